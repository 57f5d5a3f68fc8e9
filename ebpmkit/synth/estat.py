"""A profile from a municipality's own age-band population table (`ebpmkit profile new`).

The table is the one municipalities and e-Stat publish from the basic resident register
(住民基本台帳に基づく人口, 年齢階級別): a header row of 5-year age bands (``0～4歳`` or
``0歳～4歳`` ... ``100歳以上``) and one row per sex (男, 女, and usually 計). Title lines above the
header and a total column (総数) are allowed; the file may be UTF-8 or Shift_JIS (cp932), as
downloads from e-Stat often are. The new profile extends a built-in one and sets the population,
the 5-year age shares, the three age-group targets and the male share by age from the table;
every other figure is the built-in profile's.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ebpmkit.errors import ParameterError, ProfileError
from ebpmkit.messages import message
from ebpmkit.synth.population import (
    MALE_GROUP_EDGES,
    N_BANDS,
    age_group_shares,
    implied_male_share,
)
from ebpmkit.synth.profile import builtin_profiles, load_profile

__all__ = ["AgeTable", "new_profile", "profile_text", "read_age_table"]

_BAND = re.compile(r"^(\d+)歳?[～~〜\-－―](\d+)歳$")
_TOP = re.compile(r"^(\d+)歳以上$")
_SEXES = {
    "男": "男",
    "男性": "男",
    "女": "女",
    "女性": "女",
    "計": "計",
    "総数": "計",
    "合計": "計",
}
#: The built-in profile a kind of municipality extends by default.
BASE_BY_KIND = {
    "special-ward": "urban-ward",
    "city": "regional-city",
    "designated-city": "designated-city",
    "town": "town",
    "village": "town",
}
_KIND_BY_SUFFIX = {"区": "special-ward", "市": "city", "町": "town", "村": "village"}


@dataclass
class AgeTable:
    """Residents by 5-year age band and sex, read from a published table.

    ``men`` and ``women`` are counts by band; band ``i`` is ages ``5 i`` to ``5 i + 4``, and the
    last band (``top`` and over) is open.
    """

    men: np.ndarray
    women: np.ndarray
    top: int
    path: Path
    encoding: str

    @property
    def total(self) -> int:
        """Residents of both sexes."""
        return int(self.men.sum() + self.women.sum())


def _clean(cell: object) -> str:
    return unicodedata.normalize("NFKC", str(cell)).strip().replace(" ", "").replace("\u3000", "")


def _band_of(label: str) -> tuple[int, int | None] | None:
    """(low, high) of an age-band header, high None for the open top band; None if not a band."""
    text = _clean(label)
    if m := _BAND.match(text):
        return int(m.group(1)), int(m.group(2))
    if m := _TOP.match(text):
        return int(m.group(1)), None
    return None


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ParameterError(message("estat.encoding", path=path))


def read_age_table(path: str | Path) -> AgeTable:
    """Read a basic-resident-register table of residents by 5-year age band and sex.

    Parameters
    ----------
    path : str or Path
        A CSV file (UTF-8 or Shift_JIS): title lines, a header with the age bands, and rows
        for 男 and 女 (a 計 row and a 総数 column are checked against them when present).

    Returns
    -------
    AgeTable

    Examples
    --------
    >>> from importlib import resources
    >>> csv = resources.files("ebpmkit.synth") / "data" / "yumenoki-town-age-bands.csv"
    >>> table = read_age_table(csv)
    >>> table.top, table.total > 25_000
    (100, True)
    """
    path = Path(str(path))
    if not path.is_file():
        raise ParameterError(message("estat.no_file", path=path))
    text, encoding = _decode(path)
    lines = text.splitlines()
    header_at = next(
        (
            i
            for i, line in enumerate(lines[:50])
            if sum(_band_of(cell) is not None for cell in line.split(",")) >= 5
        ),
        None,
    )
    if header_at is None:
        raise ParameterError(message("estat.no_header", path=path))
    frame = pd.read_csv(io.StringIO("\n".join(lines[header_at:])), dtype=str, keep_default_na=False)
    bands = {col: _band_of(col) for col in frame.columns}
    band_cols = [col for col, band in bands.items() if band is not None]
    edges = [bands[col] for col in band_cols]
    expected = [(5 * i, 5 * i + 4) for i in range(len(edges) - 1)]
    top = edges[-1][0]
    if edges[:-1] != expected or edges[-1][1] is not None or top % 5 or top < 50:
        raise ParameterError(
            message("estat.bands", path=path, found=", ".join(map(str, band_cols)))
        )
    rows: dict[str, np.ndarray] = {}
    for _, row in frame.iterrows():
        sex = next((_SEXES[_clean(v)] for v in row.drop(band_cols) if _clean(v) in _SEXES), None)
        if sex is None:
            continue
        if sex in rows:
            raise ParameterError(message("estat.several_rows", path=path, sex=sex))
        rows[sex] = np.array([_count(row[col], col, path) for col in band_cols], dtype=float)
    if "男" not in rows or "女" not in rows:
        raise ParameterError(message("estat.no_sex_rows", path=path))
    if "計" in rows and not np.allclose(rows["計"], rows["男"] + rows["女"]):
        raise ParameterError(message("estat.total_mismatch", path=path))
    return AgeTable(men=rows["男"], women=rows["女"], top=top, path=path, encoding=encoding)


def _count(cell: object, column: str, path: Path) -> float:
    text = _clean(cell).replace(",", "")
    if text in ("-", "－", "―", ""):
        return 0.0
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ParameterError(message("estat.bad_count", path=path, column=column, found=repr(cell)))
    return value


def _bands20(counts: np.ndarray, top: int, base: np.ndarray) -> np.ndarray:
    """Counts in the generator's 20 bands (0-4 ... 90-94, 95+).

    Bands from 95 are merged; an open band that starts below 95 is spread over the bands it
    covers in the proportions of ``base`` (the built-in profile's shares).
    """
    first_open = top // 5
    out = np.zeros(N_BANDS)
    n = min(first_open, N_BANDS - 1)
    out[:n] = counts[:n]
    if first_open >= N_BANDS - 1:
        out[N_BANDS - 1] = counts[N_BANDS - 1 :].sum()
    else:
        weights = base[first_open:] / base[first_open:].sum()
        out[first_open:] = counts[first_open] * weights
    return out


def _kind(name: str) -> str:
    kind = _KIND_BY_SUFFIX.get(name[-1:])
    if kind is None:
        raise ParameterError(message("estat.kind", name=name, kinds=", ".join(BASE_BY_KIND)))
    return kind


def _q(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _list(values) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def profile_text(
    csv: str | Path,
    name: str,
    *,
    kind: str | None = None,
    extends: str | None = None,
    name_en: str | None = None,
) -> str:
    """The TOML text of a profile built from an age-band table.

    Parameters
    ----------
    csv : str or Path
        The table (see :func:`read_age_table`).
    name : str
        The municipality's Japanese name, which also gives its kind by the last character
        (区, 市, 町, 村) unless ``kind`` is given.
    kind : str, optional
        "special-ward", "city", "designated-city", "town" or "village" (a name ending in 市 is
        read as "city").
    extends : str, optional
        The built-in profile to extend (default: by kind, a town extends "town").
    name_en : str, optional
        The English name (default: the Japanese name).

    Returns
    -------
    str

    Examples
    --------
    >>> from importlib import resources
    >>> csv = resources.files("ebpmkit.synth") / "data" / "yumenoki-town-age-bands.csv"
    >>> print(profile_text(csv, "夢ノ木町").splitlines()[3])
    extends = "town"
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(message("estat.name", got=repr(name)))
    name = name.strip()
    kind = _kind(name) if kind is None else kind
    if kind not in BASE_BY_KIND:
        raise ParameterError(message("estat.kind", name=kind, kinds=", ".join(BASE_BY_KIND)))
    extends = BASE_BY_KIND[kind] if extends is None else extends
    if extends not in builtin_profiles():
        raise ParameterError(
            message("estat.extends", names=", ".join(builtin_profiles()), got=repr(extends))
        )
    base = load_profile(extends)
    table = read_age_table(csv)
    base_shares = base.numbers("population.age_band_shares")
    men = _bands20(table.men, table.top, base_shares)
    women = _bands20(table.women, table.top, base_shares)
    people = men + women
    total = int(round(people.sum()))
    shares = np.round(people / people.sum() * 100, 2)
    groups = np.round(age_group_shares(shares), 1)
    group_of_band = np.searchsorted(MALE_GROUP_EDGES, np.arange(N_BANDS) * 5, "right")
    male_by_group = np.array(
        [
            men[group_of_band == g].sum() / max(people[group_of_band == g].sum(), 1)
            for g in range(len(MALE_GROUP_EDGES) + 1)
        ]
    ).round(3)
    male_share = implied_male_share(shares, male_by_group)
    change = base.number("population.end") / base.number("population.start")
    end = int(round(total * change))
    per_household = base.number("population.end") / base.number("households.end")
    households = int(round(end / per_household))
    src = f"{table.path.name}"
    years = f"FY{int(base.fiscal_years[0])}"
    lines = [
        f"# Profile made by `ebpmkit profile new` from {src}: residents by 5-year age band",
        f"# and sex (basic resident register), taken as the 1 April register of {years}.",
        f"# Every figure not written here comes from the built-in profile {extends!r}.",
        f"extends = {_q(extends)}",
        "",
        "[municipality]",
        f'name = {{ value = {_q(name)}, source = "ebpmkit profile new --name" }}',
        f'name_en = {{ value = {_q(name_en or name)}, source = "ebpmkit profile new" }}',
        f'kind = {{ value = {_q(kind)}, source = "from the name (区 市 町 村) or --kind" }}',
        "",
        "[population]",
        f'start = {{ value = {total}, source = "{src}: men and women, all ages" }}',
        f'end = {{ value = {end}, source = "assumption: the change from the first to the last '
        f'year of the built-in profile {extends} ({change:.4f} times)" }}',
        f'age_band_shares = {{ value = {_list(shares)}, source = "{src}: 5-year bands, 95 and '
        'over together" }',
        f'age_share_targets = {{ value = {_list(groups)}, source = "{src}: 0-14, 15-64, 65+" }}',
        f'male_share_by_age = {{ value = {_list(male_by_group)}, source = "{src}: men per '
        'resident at 0-19, 20-39, 40-64, 65-74, 75-84, 85+" }',
        f'male_share = {{ value = {male_share:.3f}, source = "{src}: men per resident" }}',
        "",
        "[households]",
        f'end = {{ value = {households}, source = "assumption: persons per household in the last '
        f'year as in the built-in profile {extends} ({per_household:.2f})" }}',
        "",
    ]
    return "\n".join(lines)


def new_profile(
    csv: str | Path,
    name: str,
    out: str | Path,
    *,
    kind: str | None = None,
    extends: str | None = None,
    name_en: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a profile built from an age-band table to ``out`` and check that it loads.

    Parameters
    ----------
    csv, name, kind, extends, name_en
        As for :func:`profile_text`.
    out : str or Path
        The ``.toml`` file to write.
    overwrite : bool
        Replace ``out`` if it exists.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> from importlib import resources
    >>> csv = resources.files("ebpmkit.synth") / "data" / "yumenoki-town-age-bands.csv"
    >>> out = new_profile(csv, "夢ノ木町", Path(tempfile.mkdtemp()) / "yumenoki.toml")
    >>> load_profile(out).municipality
    '夢ノ木町'
    """
    out = Path(str(out))
    if out.suffix != ".toml":
        raise ParameterError(message("estat.out_suffix", got=repr(str(out))))
    if out.exists() and not overwrite:
        raise ParameterError(message("estat.out_exists", path=out))
    text = profile_text(csv, name, kind=kind, extends=extends, name_en=name_en)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    from ebpmkit.synth import validate_profile

    try:
        validate_profile(load_profile(out))
    except ProfileError:
        out.unlink()
        raise
    return out
