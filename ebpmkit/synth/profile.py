"""Municipality profiles: the figures a synthetic municipality is calibrated to.

A profile is a TOML file. Every figure may be written bare (``births_per_1000 = 7.3``) or with
its source beside it (``births_per_1000 = { value = 7.3, source = "..." }``); the built-in
profiles always give the source. National rates shared by every profile (mortality, fertility
shape, tax and insurance rules) live in ``rates/*.toml`` and are merged underneath the profile,
so a profile only states what makes its municipality different. A profile may also name
another profile in ``extends`` and override a few figures.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ebpmkit.errors import ParameterError, ProfileError

__all__ = ["Param", "Profile", "builtin_profiles", "load_profile"]

_PROFILE_DIR = resources.files("ebpmkit.synth") / "profiles"
_RATES_DIR = resources.files("ebpmkit.synth") / "rates"


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with ebpmkit.

    Examples
    --------
    >>> "urban-ward" in builtin_profiles()
    True
    """
    return sorted(
        p.name.removesuffix(".toml") for p in _PROFILE_DIR.iterdir() if p.name.endswith(".toml")
    )


@dataclass(frozen=True)
class Param:
    """Declared shape of one profile figure, used to validate a profile before generating.

    ``kind`` is one of "number", "numbers" (a list of numbers), "text", "table" (a mapping)
    or "bool". ``low``/``high`` bound every number; ``length`` fixes a list's length.
    """

    key: str
    kind: str = "number"
    low: float | None = None
    high: float | None = None
    length: int | None = None
    required: bool = True


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) <= {"value", "source", "note"}


def _split(node: Any, prefix: str, sources: dict[str, str]) -> Any:
    """Strip ``{value, source}`` wrappers, collecting sources by dotted key."""
    if _is_leaf(node):
        if "source" in node:
            sources[prefix] = str(node["source"])
        return _split(node["value"], prefix, sources)
    if isinstance(node, dict):
        return {k: _split(v, f"{prefix}.{k}" if prefix else k, sources) for k, v in node.items()}
    return node


def _merge(base: dict, top: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(text: str, origin: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(
            f"The profile file {origin} is not valid TOML ({exc}). "
            "Fix the line it names, or start from a built-in profile with `extends`."
        ) from None


@dataclass
class Profile:
    """A merged, validated municipality profile.

    Examples
    --------
    >>> p = load_profile("town")
    >>> p.number("population.end") > 0
    True
    """

    name: str
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    origin: str = ""

    # -- access -----------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        """Whether the dotted ``key`` is present."""
        try:
            self.get(key)
        except ProfileError:
            return False
        return True

    def get(self, key: str) -> Any:
        """The value at a dotted ``key`` such as ``"population.end"``."""
        node: Any = self.values
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ProfileError(
                    f"The profile '{self.name}' ({self.origin}) has no figure '{key}'. "
                    "Add it to the profile file, or use `extends` to inherit it from a built-in profile."
                )
            node = node[part]
        return node

    def number(self, key: str, *, low: float | None = None, high: float | None = None) -> float:
        """A single number, checked against optional bounds."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(
                f"The profile figure '{key}' must be a number, but {value!r} was found in {self.origin}."
            )
        self._check_bounds(key, [value], low, high)
        return float(value)

    def numbers(
        self,
        key: str,
        *,
        low: float | None = None,
        high: float | None = None,
        length: int | None = None,
    ) -> np.ndarray:
        """A list of numbers as a float array, checked against bounds and length."""
        value = self.get(key)
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise ProfileError(
                f"The profile figure '{key}' must be a list of numbers, but {value!r} was found in {self.origin}."
            )
        if length is not None and len(value) != length:
            raise ProfileError(
                f"The profile figure '{key}' must list {length} numbers, but {len(value)} were found in {self.origin}."
            )
        self._check_bounds(key, value, low, high)
        return np.asarray(value, dtype=float)

    def text(self, key: str) -> str:
        """A string figure."""
        value = self.get(key)
        if not isinstance(value, str):
            raise ProfileError(
                f"The profile figure '{key}' must be text, but {value!r} was found in {self.origin}."
            )
        return value

    def table(self, key: str) -> dict[str, Any]:
        """A mapping (a TOML table)."""
        value = self.get(key)
        if not isinstance(value, dict):
            raise ProfileError(
                f"The profile figure '{key}' must be a table, but {value!r} was found in {self.origin}."
            )
        return value

    def source(self, key: str) -> str | None:
        """The source written beside a figure, if any."""
        return self.sources.get(key)

    def _check_bounds(
        self, key: str, values: Iterable[float], low: float | None, high: float | None
    ) -> None:
        for v in values:
            if (low is not None and v < low) or (high is not None and v > high) or v != v:
                lo = "-inf" if low is None else f"{low:g}"
                hi = "inf" if high is None else f"{high:g}"
                raise ProfileError(
                    f"The profile figure '{key}' must lie in [{lo}, {hi}], but {v!r} was found in {self.origin}."
                )

    # -- checks -----------------------------------------------------------------------------
    def validate(self, params: Iterable[Param]) -> None:
        """Check every declared figure, so a bad profile fails before any generation starts."""
        for p in params:
            if not p.required and not self.has(p.key):
                continue
            if p.kind == "number":
                self.number(p.key, low=p.low, high=p.high)
            elif p.kind == "numbers":
                self.numbers(p.key, low=p.low, high=p.high, length=p.length)
            elif p.kind == "text":
                self.text(p.key)
            elif p.kind == "table":
                self.table(p.key)
            elif p.kind == "bool":
                if not isinstance(self.get(p.key), bool):
                    raise ProfileError(
                        f"The profile figure '{p.key}' must be true or false in {self.origin}."
                    )
            else:  # pragma: no cover - a programming error in a Param declaration
                raise ValueError(f"unknown Param kind {p.kind!r}")

    @property
    def digest(self) -> str:
        """A short hash of every figure, so a cache built from an edited profile is not reused."""
        blob = json.dumps(self.values, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    @property
    def municipality(self) -> str:
        """The fictional municipality's Japanese name."""
        return self.text("municipality.name")

    @property
    def fiscal_years(self) -> np.ndarray:
        """The simulated fiscal years, first to last."""
        first = int(self.number("years.first", low=1990, high=2100))
        last = int(self.number("years.last", low=first, high=2100))
        return np.arange(first, last + 1)


def _national_rates() -> tuple[dict, dict[str, str]]:
    values: dict = {}
    sources: dict[str, str] = {}
    for entry in sorted(_RATES_DIR.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            raw = _read_toml(entry.read_text(encoding="utf-8"), f"rates/{entry.name}")
            values = _merge(values, _split(raw, "", sources))
    return values, sources


def _read_profile_chain(
    text: str, origin: str, seen: tuple[str, ...] = ()
) -> tuple[dict, dict[str, str]]:
    raw = _read_toml(text, origin)
    sources: dict[str, str] = {}
    values = _split(raw, "", sources)
    parent = values.pop("extends", None)
    if parent is None:
        return values, sources
    if not isinstance(parent, str) or parent not in builtin_profiles():
        raise ProfileError(
            f"'extends' in {origin} must name a built-in profile ({', '.join(builtin_profiles())}), "
            f"but {parent!r} was found."
        )
    if parent in seen:
        raise ProfileError(f"'extends' in {origin} loops back to '{parent}'.")
    base_text = (_PROFILE_DIR / f"{parent}.toml").read_text(encoding="utf-8")
    base_values, base_sources = _read_profile_chain(
        base_text, f"built-in profile '{parent}'", (*seen, parent)
    )
    return _merge(base_values, values), {**base_sources, **sources}


def load_profile(profile: str | Path | Profile = "urban-ward") -> Profile:
    """Load a built-in profile by name, or a user's profile from a ``.toml`` file.

    Parameters
    ----------
    profile : str or Path or Profile
        A built-in name (see :func:`builtin_profiles`) or a path to a TOML file.

    Returns
    -------
    Profile

    Examples
    --------
    >>> load_profile("regional-city").name
    'regional-city'
    """
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str | Path):
        raise ParameterError(
            f"The 'profile' parameter must be a profile name or a path to a .toml file, but {profile!r} was passed."
        )
    names = builtin_profiles()
    if isinstance(profile, str) and profile in names:
        text = (_PROFILE_DIR / f"{profile}.toml").read_text(encoding="utf-8")
        name, origin = profile, f"built-in profile '{profile}'"
    else:
        path = Path(profile)
        if path.suffix != ".toml" or not path.is_file():
            raise ParameterError(
                f"The 'profile' parameter must be one of {', '.join(repr(n) for n in names)} "
                f"or the path of an existing .toml profile file, but {str(profile)!r} was passed."
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(
                f"The profile file {path} cannot be read as UTF-8 text: {exc}"
            ) from None
        name, origin = path.stem, str(path)
    rates, rate_sources = _national_rates()
    values, sources = _read_profile_chain(text, origin)
    merged = _merge(rates, values)
    return Profile(name=name, values=merged, sources={**rate_sources, **sources}, origin=origin)
