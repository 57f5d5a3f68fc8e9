"""A linkage attack: an adversary with a public-style roster names the people of a release.

Think of a residents' roster or a voter list (選挙人名簿): it gives each person's name, birth
year, sex and where they live. :func:`roster` builds such a list from the raw variant (the
district, 住区, of each person's last 1 April register). :func:`link` joins it to a released
table on birth year, sex and district and measures how many released records the adversary can
put a name to. A released value that was suppressed (missing) matches every roster value; a
released birth year that was grouped into bands is matched by the band the roster's year falls
in (the band width is read off the released years).

The measures (the three adversary models of the ARX tool and of the R package sdcMicro, and the
share of sample uniques), in our own words:

- **prosecutor risk** (検察官モデル): the adversary knows that the person is in the release.
  A record's risk is one over the number of released records that share its values (its
  equivalence class, ``f``); we report the highest and the average over records.
- **journalist risk** (記者モデル): the adversary does not know whether the person is in the
  release, and matches against a larger list of the population (the roster). A record's risk is
  one over the number of roster people compatible with it (``F``); we report the highest.
- **marketer risk** (マーケターモデル): the adversary tries to name every released record at
  once and cares about how many are right on average: the mean over records of ``1 / F``. It is
  also the **success rate** of the attack as performed here: each released record linked to one
  of its compatible roster people at random is right with probability ``1 / F``, since the true
  person is always among them.
- **sample uniques** (標本一意): the share of released records alone in their class (``f = 1``).

sdcMicro estimates ``F`` from the sample when the population is unknown; here the roster is the
population, so ``F`` is counted. When every class of the release has at least ``k`` records over
the keys (with missing values as wildcards), every ``F`` is at least ``k`` and the success rate is
at most ``1 / k``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from math import gcd
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit.errors import ParameterError
from ebpmkit.messages import message
from ebpmkit.release import person_register

__all__ = ["KEYS", "LinkageResult", "link", "roster"]

#: What the roster and the release have in common: the adversary's keys.
KEYS = ("birth_year", "sex", "district_code")


def roster(raw: Any) -> pd.DataFrame:
    """A public-style roster from the raw variant: name, birth year, sex and district.

    Parameters
    ----------
    raw : Dataset or dict of str -> DataFrame
        The raw variant (``ebpmkit.load(..., variant="raw")``), with ``identities``.

    Returns
    -------
    DataFrame
        ``name``, ``birth_year``, ``sex``, ``district_code``: one row per person with an
        address (see :func:`ebpmkit.release.person_register`).

    Examples
    --------
    >>> raw = ebpmkit.load("town", scale=0.02, variant="raw", progress=False)  # doctest: +SKIP
    >>> list(roster(raw).columns)  # doctest: +SKIP
    ['name', 'birth_year', 'sex', 'district_code']
    """
    tables = getattr(raw, "tables", raw)
    if not isinstance(tables, Mapping) or not isinstance(tables.get("identities"), pd.DataFrame):
        raise ParameterError(message("attack.needs_raw", got=type(raw).__name__))
    reg = person_register(tables)
    names = tables["identities"][["person_id", "name_kanji"]]
    out = reg.merge(names, on="person_id", how="left", validate="1:1")
    return pd.DataFrame(
        {
            "name": out["name_kanji"].to_numpy(),
            "birth_year": out["birth_date"].dt.year.astype("int64").to_numpy(),
            "sex": out["sex"].to_numpy(),
            "district_code": out["district_code"].to_numpy(),
        }
    )


def _released_keys(released: Any) -> tuple[pd.DataFrame, str]:
    """The released records' keys (birth_year, sex, district_code) and what was released."""
    variant = getattr(released, "variant", None)
    tables = getattr(released, "tables", None)
    if tables is not None:
        if variant == "anonymized":
            frame, what = tables["residents"], "匿名加工した版(anonymized)"
        else:
            frame = person_register(tables)
            what = "元データ(raw)" if variant == "raw" else f"{variant} 版"
    elif isinstance(released, pd.DataFrame):
        frame, what = released, "渡された表"
    else:
        raise ParameterError(message("attack.released", got=type(released).__name__))
    if "birth_year" not in frame.columns and "birth_date" in frame.columns:
        frame = frame.assign(birth_year=frame["birth_date"].dt.year.astype("Int64"))
    absent = [c for c in KEYS if c not in frame.columns]
    if absent:
        raise ParameterError(
            message("attack.columns", missing=", ".join(absent), available=", ".join(frame.columns))
        )
    return frame[list(KEYS)].reset_index(drop=True), what


def _as_text(s: pd.Series) -> pd.Series:
    return s.astype("string")


def _on_grid(years: pd.Series, grid: np.ndarray) -> pd.Series:
    """Roster birth years mapped to the released bands: the band start at or below each year,
    with the band width the greatest common divisor of the released years' distances."""
    lo = int(grid.min())
    width = reduce(gcd, (int(v) - lo for v in grid), 0) or 1
    y = years.to_numpy(np.int64)
    return pd.Series(lo + np.maximum(y - lo, 0) // width * width, index=years.index)


@dataclass(frozen=True)
class LinkageResult:
    """The risks of one linkage of a roster to a release (see the module docstring).

    ``F`` (roster people compatible with each released record) and ``f`` (released records in
    its class) are kept per released record for further analysis.
    """

    released: str
    n_released: int
    n_roster: int
    prosecutor_highest: float
    prosecutor_average: float
    journalist_highest: float
    marketer: float
    sample_unique_share: float
    certain: int
    F: np.ndarray
    f: np.ndarray

    @property
    def success_rate(self) -> float:
        """Expected share of released records the attack names correctly (= marketer risk)."""
        return self.marketer

    def table(self) -> pd.DataFrame:
        """The measures as a table (Japanese labels)."""
        rows = [
            ("公開された記録の数", self.n_released),
            ("名簿の人数", self.n_roster),
            ("検察官モデルのリスク(最大)", self.prosecutor_highest),
            ("検察官モデルのリスク(平均)", self.prosecutor_average),
            ("記者モデルのリスク(最大)", self.journalist_highest),
            ("マーケターモデルのリスク(=攻撃の成功率)", self.marketer),
            ("標本一意な記録の割合", self.sample_unique_share),
            ("名簿の一人だけに当てはまる記録の数", self.certain),
        ]
        # object dtype keeps counts as integers beside the shares
        return pd.DataFrame(rows, columns=["指標", "値"], dtype=object)

    def reading(self) -> str:
        """The result in Japanese words."""
        return (
            f"{self.released}の {self.n_released:,} 件を、氏名・生まれ年・性別・住区の名簿"
            f"({self.n_roster:,} 人)と突き合わせました。"
            f"名簿の一人だけに当てはまり、氏名が確実に分かる記録は {self.certain:,} 件"
            f"({self.certain / max(self.n_released, 1):.1%})です。"
            f"記録ごとに当てはまる名簿の人から一人を選ぶと、平均で {self.marketer:.1%} の記録に"
            f"正しい氏名が付きます(マーケターモデルのリスク)。"
            f"最も危ない記録のリスクは、検察官モデル(公開データに含まれると知っている場合)で"
            f" {self.prosecutor_highest:.1%}、記者モデル(名簿の人が含まれるか知らない場合)で"
            f" {self.journalist_highest:.1%}です。"
            f"同じ値の記録がほかにない標本一意な記録は {self.sample_unique_share:.1%} です。"
            "この値は、名簿が持つ項目(生まれ年・性別・住区)で突き合わせた場合のものです。"
        )

    def __repr__(self) -> str:
        return self.reading()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.reading())}</p>" + self.table().to_html(index=False)


def link(released: Any, roster: pd.DataFrame) -> LinkageResult:
    """Link a roster to a released table on birth year, sex and district; measure the risks.

    Parameters
    ----------
    released : Dataset or DataFrame
        A Dataset (``"anonymized"``: its ``residents``; ``"raw"`` or ``"pseudonymized"``: each
        person's register row with their last district), or a table with ``birth_year`` (or
        ``birth_date``), ``sex`` and ``district_code``. Missing values match anything.
    roster : DataFrame
        The adversary's list, as :func:`roster` makes it (``birth_year``, ``sex``,
        ``district_code``).

    Returns
    -------
    LinkageResult
        ``.table()``, ``.reading()``, ``.success_rate``.

    Examples
    --------
    >>> raw = ebpmkit.load("town", scale=0.02, variant="raw", progress=False)  # doctest: +SKIP
    >>> link(raw, roster(raw)).success_rate > 0  # doctest: +SKIP
    True
    >>> rel = pd.DataFrame({"birth_year": [1980, 1980], "sex": ["女性"] * 2,
    ...                     "district_code": ["D01", None]})
    >>> names = pd.DataFrame({"birth_year": [1980, 1980, 1981], "sex": ["女性"] * 3,
    ...                       "district_code": ["D01", "D02", "D01"]})
    >>> result = link(rel, names)
    >>> result.F.tolist(), round(result.success_rate, 2)
    ([1, 2], 0.75)
    """
    keys, what = _released_keys(released)
    if not isinstance(roster, pd.DataFrame) or [c for c in KEYS if c not in roster.columns]:
        shown = ", ".join(map(str, getattr(roster, "columns", []))) or type(roster).__name__
        raise ParameterError(message("attack.roster", needed=", ".join(KEYS), got=shown))
    grid = keys["birth_year"].dropna().to_numpy(np.int64)
    names = roster[list(KEYS)].dropna().reset_index(drop=True)
    if len(grid):
        names = names.assign(birth_year=_on_grid(names["birth_year"], np.unique(grid)))
    names = names.assign(**{c: _as_text(names[c]) for c in KEYS})
    rel = keys.assign(**{c: _as_text(keys[c]) for c in KEYS})
    present = rel.notna().to_numpy()
    F = np.zeros(len(rel), dtype=np.int64)
    for pattern in np.unique(present, axis=0) if len(rel) else []:
        rows = np.flatnonzero((present == pattern).all(axis=1))
        cols = [c for c, p in zip(KEYS, pattern, strict=True) if p]
        if not cols:
            F[rows] = len(names)
            continue
        counts = names.groupby(cols, observed=True).size().rename("__F__").reset_index()
        hit = rel.iloc[rows][cols].merge(counts, on=cols, how="left")["__F__"]
        F[rows] = hit.fillna(0).to_numpy(np.int64)
    f = (
        rel.groupby(list(KEYS), dropna=False, observed=True)["sex"].transform("size").to_numpy()
        if len(rel)
        else np.zeros(0, dtype=np.int64)
    )
    inv_F = np.divide(1.0, F, out=np.zeros(len(F)), where=F > 0)
    n = len(rel)
    return LinkageResult(
        released=what,
        n_released=n,
        n_roster=len(roster),
        prosecutor_highest=float((1 / f).max()) if n else 0.0,
        prosecutor_average=float((1 / f).mean()) if n else 0.0,
        journalist_highest=float(inv_F.max()) if n else 0.0,
        marketer=float(inv_F.mean()) if n else 0.0,
        sample_unique_share=float((f == 1).mean()) if n else 0.0,
        certain=int((F == 1).sum()),
        F=F,
        f=f,
    )
