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
import difflib
import functools
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
from ebpmkit.messages import message

__all__ = [
    "KIND_WORDS",
    "PARAMETERS",
    "WHEN",
    "MunicipalityWords",
    "Param",
    "Profile",
    "builtin_profiles",
    "load_profile",
]

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


#: When a profile figure takes effect, by the code a :class:`Param` declares in ``when``; the
#: Japanese text is what docs/profile-keys.md shows. ``check`` marks a target that the generator
#: does not read: it is only compared with what was generated.
WHEN = {
    "first": "初年度の4月1日(最初の住民基本台帳)。以後の年度は出生・死亡・転出入で変わる",
    "last": "最終年度の4月1日",
    "each": "全年度(毎年度同じ値)",
    "by_year": "年度ごと(初年度から順に1年度に一つ)",
    "listed": "項目で指定した年度",
    "none": "年度によらない(名前・地図・期間など)",
    "check": "生成には使わない(生成結果と比べる確認用の目標値)",
}


@dataclass(frozen=True)
class Param:
    """Declared shape and meaning of one profile figure.

    The shape validates a profile before generating: ``kind`` is one of "number", "numbers" (a
    list of numbers), "text", "texts" (a list of text), "table" (a mapping) or "bool";
    ``low``/``high`` bound every number; ``length`` fixes a list's length; ``choices`` lists
    the values a text may take. The meaning is rendered into docs/profile-keys.md: ``ja`` says in
    Japanese what the figure drives, ``unit`` its unit (Japanese, empty for a plain count or
    name) and ``when`` (a key of :data:`WHEN`) the fiscal years it applies to. A target the
    generator does not read has ``when="check"`` and names in ``driver`` the figure to change
    instead.

    Examples
    --------
    >>> Param("population.start", low=100, ja="初年度の人口", unit="人", when="first").when
    'first'
    """

    key: str
    kind: str = "number"
    low: float | None = None
    high: float | None = None
    length: int | None = None
    required: bool = True
    ja: str = ""
    unit: str = ""
    when: str = "each"
    choices: tuple[str, ...] = ()
    driver: str = ""

    def __post_init__(self) -> None:
        # A programming error in a declaration, caught at import.
        if self.when not in WHEN:
            raise AssertionError(f"{self.key}: unknown when={self.when!r}")
        if self.kind not in ("number", "numbers", "text", "texts", "table", "bool"):
            raise AssertionError(f"{self.key}: unknown kind={self.kind!r}")


#: The figures of a profile that no domain module owns: the municipality, its years and
#: the profile's parent. Validated with the modules' declarations (synth.validate_profile).
PARAMETERS = [
    Param(
        "extends",
        "text",
        required=False,
        ja="元にする組み込みプロファイルの名前(urban-ward, regional-city, designated-city, town)。"
        "書いた項目だけが元のプロファイルの値を置き換える",
        when="none",
    ),
    Param(
        "municipality.name",
        "text",
        ja="架空の自治体の名前(日本語)。表・グラフ・教材の文に出る",
        when="none",
    ),
    Param(
        "municipality.name_en",
        "text",
        required=False,
        ja="架空の自治体の英語名",
        when="none",
    ),
    Param(
        "municipality.kind",
        "text",
        required=False,
        choices=("special-ward", "city", "designated-city", "town", "village"),
        ja="自治体の種類(special-ward: 特別区、city: 市、designated-city: 政令指定都市、"
        "town: 町、village: 村)。教材の文で使う呼び方(区・市・町・村、住民税の名前、"
        "地区の呼び方)と、住民税の所得割の市町村と道府県の分け方(政令指定都市は2018年度から"
        "8%と2%、ほかは6%と4%)を決める",
        when="none",
    ),
    Param(
        "years.first",
        low=1990,
        high=2100,
        ja="最初の年度(この年度の4月1日の住民基本台帳から生成を始める)",
        unit="年度",
        when="none",
    ),
    Param(
        "years.last",
        low=1990,
        high=2100,
        ja="最後の年度(年度ごとの項目は初年度からこの年度までの数だけ値を並べる)",
        unit="年度",
        when="none",
    ),
]


@dataclass(frozen=True)
class MunicipalityWords:
    """How texts name a kind of municipality, its residents and its resident tax.

    ``resident_tax`` is the legal name of the municipal part of the individual resident tax:
    市町村民税 (Local Tax Act art. 5(2)(i)), which a Tokyo special ward levies as 特別区民税
    (art. 1(2) applies the provisions on municipalities to special wards and reads 市町村民税
    as 特別区民税). ``resident_tax_local`` is the name residents see (市民税, 町民税 ...).
    ``area_level`` names the areas of the map (``geography.areas``): 地区, or 行政区 for the
    administrative wards of a designated city (Local Autonomy Act art. 252-20).
    """

    kind: str
    suffix: str  # 区, 市, 町, 村: "区の減収", "市外への寄附"
    residents: str  # 区民, 市民 ...
    resident_tax: str
    resident_tax_local: str
    area_level: str = "地区"


#: The words of each ``municipality.kind``.
KIND_WORDS = {
    "special-ward": MunicipalityWords("special-ward", "区", "区民", "特別区民税", "特別区民税"),
    "city": MunicipalityWords("city", "市", "市民", "市町村民税", "市民税"),
    "designated-city": MunicipalityWords(
        "designated-city", "市", "市民", "市町村民税", "市民税", area_level="行政区"
    ),
    "town": MunicipalityWords("town", "町", "町民", "市町村民税", "町民税"),
    "village": MunicipalityWords("village", "村", "村民", "市町村民税", "村民税"),
}


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
        raise ProfileError(message("profile.bad_toml", origin=origin, reason=exc)) from None


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
    #: Dotted keys the user's own file writes (empty for a built-in profile): a target written
    #: there that the generator does not read is reported (synth.validate_profile).
    own_keys: frozenset[str] = frozenset()

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
                    message("profile.missing", name=self.name, origin=self.origin, key=key)
                )
            node = node[part]
        return node

    def number(self, key: str, *, low: float | None = None, high: float | None = None) -> float:
        """A single number, checked against optional bounds."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong("profile.not_number", key, value)
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
            raise self._wrong("profile.not_numbers", key, value)
        if length is not None and len(value) != length:
            raise ProfileError(
                message(
                    "profile.wrong_length",
                    key=key,
                    length=length,
                    found=len(value),
                    origin=self.origin,
                )
            )
        self._check_bounds(key, value, low, high)
        return np.asarray(value, dtype=float)

    def text(self, key: str) -> str:
        """A string figure."""
        value = self.get(key)
        if not isinstance(value, str):
            raise self._wrong("profile.not_text", key, value)
        return value

    def table(self, key: str) -> dict[str, Any]:
        """A mapping (a TOML table)."""
        value = self.get(key)
        if not isinstance(value, dict):
            raise self._wrong("profile.not_table", key, value)
        return value

    def _wrong(self, key_of_message: str, key: str, value: Any) -> ProfileError:
        """The error for a figure of the wrong kind: its key, what was found, and where."""
        return ProfileError(message(key_of_message, key=key, found=repr(value), origin=self.origin))

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
                    message(
                        "profile.out_of_range",
                        key=key,
                        interval=f"[{lo}, {hi}]",
                        found=repr(v),
                        origin=self.origin,
                    )
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
                value = self.text(p.key)
                if p.choices and value not in p.choices:
                    raise ProfileError(
                        message(
                            "profile.not_choice",
                            key=p.key,
                            choices=", ".join(repr(c) for c in p.choices),
                            found=repr(value),
                            origin=self.origin,
                        )
                    )
            elif p.kind == "texts":
                value = self.get(p.key)
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise self._wrong("profile.not_texts", p.key, value)
            elif p.kind == "table":
                self.table(p.key)
            elif p.kind == "bool":
                if not isinstance(self.get(p.key), bool):
                    raise self._wrong("profile.not_bool", p.key, self.get(p.key))
            else:  # pragma: no cover - a programming error in a Param declaration
                raise AssertionError(f"unknown Param kind {p.kind!r}")

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
    def words(self) -> MunicipalityWords:
        """The words texts use for this kind of municipality (区・市・町・村, the resident tax).

        From ``municipality.kind``; a profile without it is read by the last character of
        its name, else taken as a city.

        Examples
        --------
        >>> w = load_profile("town").words
        >>> w.suffix, w.residents, w.resident_tax, w.resident_tax_local
        ('町', '町民', '市町村民税', '町民税')
        >>> load_profile("urban-ward").words.resident_tax
        '特別区民税'
        >>> load_profile("designated-city").words.area_level
        '行政区'
        """
        kind = self.get("municipality.kind") if self.has("municipality.kind") else None
        if kind not in KIND_WORDS:
            name = self.municipality if self.has("municipality.name") else ""
            kind = {"区": "special-ward", "市": "city", "町": "town", "村": "village"}.get(
                name[-1:], "city"
            )
        return KIND_WORDS[kind]

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
            message(
                "profile.bad_extends",
                origin=origin,
                names=", ".join(builtin_profiles()),
                found=repr(parent),
            )
        )
    if parent in seen:
        raise ProfileError(message("profile.extends_loop", origin=origin, parent=parent))
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
        raise ParameterError(message("dataset.profile_type", got=repr(profile)))
    names = builtin_profiles()
    if isinstance(profile, str) and profile in names:
        text = (_PROFILE_DIR / f"{profile}.toml").read_text(encoding="utf-8")
        name, origin, builtin = profile, f"built-in profile '{profile}'", True
    else:
        path = Path(profile)
        if path.suffix != ".toml" or not path.is_file():
            raise _unknown_profile(profile, names)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(message("profile.unreadable", path=path, reason=exc)) from None
        name, origin, builtin = path.stem, str(path), False
    rates, rate_sources = _national_rates()
    values, sources = _read_profile_chain(text, origin)
    own: frozenset[str] = frozenset()
    if not builtin:
        _check_keys(values, _known_keys(), "", origin)
        own = frozenset(_leaf_keys(_split(_read_toml(text, origin), "", {}), ""))
    merged = _merge(rates, values)
    return Profile(
        name=name,
        values=merged,
        sources={**rate_sources, **sources},
        origin=origin,
        own_keys=own,
    )


def _leaf_keys(node: dict, prefix: str) -> Iterable[str]:
    """Dotted keys of the leaves of a nested mapping."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _leaf_keys(value, path)
        else:
            yield path


def _unknown_profile(profile: str | Path, names: list[str]) -> ParameterError:
    """The error for a profile that is neither a built-in name nor a .toml file."""
    close = difflib.get_close_matches(str(profile), names, n=1)
    hint = message("profile.did_you_mean", names=repr(close[0])) if close else ""
    return ParameterError(
        message(
            "dataset.unknown_profile",
            names=", ".join(repr(n) for n in names),
            got=repr(str(profile)),
            hint=hint,
        )
    )


# Tables whose keys the profile chooses itself (the return-gift categories): their entries are
# checked against the keys any entry of a built-in profile has.
_FREE_TABLES = ("furusato.gifts",)
_ANY = "*"


def _union(into: dict, node: dict, prefix: str) -> None:
    """Add the keys of ``node`` to the tree ``into`` (free tables fold into one ``*`` entry)."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        slot = _ANY if prefix in _FREE_TABLES else key
        if isinstance(value, dict):
            child = into.setdefault(slot, {})
            if isinstance(child, dict):
                _union(child, value, path)
        else:
            into.setdefault(slot, None)


@functools.cache
def _known_keys() -> dict:
    """Every key a profile may have: those of the national rates and the built-in profiles."""
    known: dict = {"extends": None}
    _union(known, _national_rates()[0], "")
    for name in builtin_profiles():
        text = (_PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8")
        _union(known, _read_profile_chain(text, f"built-in profile '{name}'")[0], "")
    return known


def _check_keys(values: dict, known: dict, prefix: str, origin: str) -> None:
    """Reject a key no profile knows (a misspelt ``strat`` or ``[populaton]``), naming near ones.

    Examples
    --------
    >>> _check_keys({"population": {"strat": 1}}, _known_keys(), "", "mine.toml")
    Traceback (most recent call last):
    ...
    ebpmkit.errors.ProfileError: プロファイル mine.toml の項目 'population.strat' は使えません。'population.start' のことですか。
    The profile mine.toml has an unknown key 'population.strat'. Did you mean 'population.start'?
    """
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        slot = _ANY if prefix in _FREE_TABLES else key
        if slot not in known:
            raise _unknown_key(path, key, known, prefix, origin)
        child = known[slot]
        if isinstance(value, dict) and isinstance(child, dict):
            _check_keys(value, child, path, origin)


def _unknown_key(path: str, key: str, known: dict, prefix: str, origin: str) -> ProfileError:
    """The error for an unknown key: the closest valid names, else every valid one."""
    names = sorted(k for k in known if k != _ANY)
    full = [f"{prefix}.{n}" if prefix else n for n in names]
    close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
    if close:
        shown = ", ".join(repr(f"{prefix}.{c}" if prefix else c) for c in close)
        return ProfileError(message("profile.unknown_key", origin=origin, key=path, close=shown))
    return ProfileError(
        message("profile.unknown_key_choices", origin=origin, key=path, names=", ".join(full))
    )
