"""The release-safe variant (匿名加工情報): a person register without linking codes, at k.

``ebpmkit.load(variant="anonymized")`` gives what a municipality could hand to an outside party
as 匿名加工情報 (anonymously processed information), in contrast to ``variant="pseudonymized"``
(仮名加工情報: keyed pseudonyms that link every table, for internal analysis only). The facts
behind the steps are in /work/shared/reference/domain-facts.md, "Anonymization (Japan)": the
processing standards of 個人情報保護法施行規則 第62条 (行政機関等匿名加工情報) and 第34条
(businesses) ask to delete or replace descriptions that identify a person, delete individual
identification codes entirely, delete codes that link records, delete unusual descriptions and
take other measures suited to the data; no numeric k is prescribed (the policy chooses one).

The release holds one table of people, ``residents``, built from the raw register:

- no names, kana, addresses, phone numbers or resident codes (the identifying layer is left out),
  and no ``person_id`` or ``household_id`` (the codes that link records are deleted, so the
  release cannot be joined to anything else);
- the quasi-identifiers an adversary can combine: birth year (5-year groups, bottom-coded),
  sex, nationality, the address kept to the district (住区; chome is dropped), the years of
  moving in and out, and the household size (top-coded);
- k over all of them together by local suppression (a suppressed value is missing) and, where
  that is not enough, by deleting the record (:func:`ebpmkit.anonymize.enforce_k`).

A person's address is that of their last 1 April register (``resident_years``); people who were
never on a 1 April register have no address to release and are left out. The other tables of
the dataset (tax, insurance, care, childcare, furusato, voucher) are not part of this release:
each would need its own processing and its own k, and joining them back is what the deleted
linking codes prevented. The geography tables (``districts``, ``chome``) hold no people and are
kept.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit.anonymize import enforce_k
from ebpmkit.errors import ParameterError
from ebpmkit.messages import message

__all__ = [
    "RELEASED_TABLES",
    "RELEASE_POLICY",
    "RULES",
    "ReleasePolicy",
    "ReleaseReport",
    "person_register",
    "release",
]

#: The rules of 施行規則 第62条 (public bodies) and 第34条 (businesses) as domain-facts.md
#: describes them (the order of its list; no item text is quoted from the regulation).
RULES: dict[str, str] = {
    "identifying": "特定の個人を識別できる記述の削除・置換",
    "codes": "個人識別符号の全部削除",
    "linking": "情報を相互に連結する符号の削除",
    "unusual": "特異な記述の削除",
    "other": "その他、データの性質に応じた適切な措置",
}
_LAW = "個人情報保護法施行規則 第62条(行政機関等匿名加工情報)・第34条(事業者)"

#: The raw tables the release is made from, and the tables it holds.
SOURCE_TABLES = ("districts", "chome", "residents", "resident_years")
RELEASED_TABLES = ("districts", "chome", "residents")

#: The exit reason of people still registered at the end of the data (exit year missing).
STILL_REGISTERED = "登録中"

#: Columns of the released ``residents`` with their Japanese labels (for the dictionary).
RELEASE_COLUMNS: dict[str, tuple[str, str]] = {
    "birth_year": ("生まれ年(5年区分の最初の年)", "年"),
    "sex": ("性別", ""),
    "nationality": ("国籍", ""),
    "district_code": ("住区コード", ""),
    "area": ("地域", ""),
    "entry_year": ("住民登録の開始年度(区分の最初の年度)", "年度"),
    "entry_reason": ("登録の理由", ""),
    "exit_year": ("住民登録の終了年度(区分の最初の年度)", "年度"),
    "exit_reason": ("終了の理由", ""),
    "household_size": ("世帯人数(上限で丸めた値)", "人"),
}


@dataclass(frozen=True)
class ReleasePolicy:
    """How the release is made; every figure is a choice of the policy, not of the law.

    Parameters
    ----------
    k : int
        Every combination of the quasi-identifiers is shared by at least ``k`` released people.
    birth_year_width : int
        Birth years are grouped into bands of this many years (1 keeps the year).
    birth_year_bottom : int
        Birth years before this are recoded to it (very old ages are unusual descriptions).
    household_size_top : int
        Household sizes above this are recoded to it (meaning "this many or more").
    quasi_identifiers : tuple of str
        What an adversary may know and combine, in the order values are suppressed.
    """

    k: int = 5
    birth_year_width: int = 5
    birth_year_bottom: int = 1925
    household_size_top: int = 5
    move_year_width: int = 2
    quasi_identifiers: tuple[str, ...] = (
        "exit_year",
        "entry_year",
        "household_size",
        "exit_reason",
        "entry_reason",
        "district_code",
        "nationality",
        "birth_year",
        "sex",
    )
    name: str = "公表・提供用(匿名加工情報)"

    def __post_init__(self) -> None:
        for what in ("k", "birth_year_width", "household_size_top", "move_year_width"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ParameterError(message("release.policy_count", name=what, got=repr(value)))
        unknown = [c for c in self.quasi_identifiers if c not in RELEASE_COLUMNS]
        if unknown:
            raise ParameterError(
                message(
                    "release.policy_columns",
                    unknown=", ".join(unknown),
                    available=", ".join(RELEASE_COLUMNS),
                )
            )


#: The policy behind ``load(variant="anonymized")``.
RELEASE_POLICY = ReleasePolicy()


@dataclass
class ReleaseReport:
    """The steps of :func:`release`, the risk before and after each, and the rules they serve.

    ``steps`` has one row per step: what was done, the rule of 第62条・第34条 it serves (as
    domain-facts.md lists them), and over the quasi-identifiers as they stand after the step
    the share of people unique on them and the smallest class (k).
    """

    policy: ReleasePolicy
    steps: pd.DataFrame = field(repr=False)

    @property
    def k_reached(self) -> int:
        """The smallest class over the quasi-identifiers of the released table."""
        return int(self.steps["最小の同値類(k)"].iloc[-1])

    def summary(self) -> str:
        """The report in Japanese."""
        lines = [
            f"匿名加工の報告({self.policy.name}、目標 k = {self.policy.k})",
            f"根拠: {_LAW} の加工基準(domain-facts.md の整理による)。k の値は法令ではなく方針の選択です。",
            "",
        ]
        for _, s in self.steps.iterrows():
            lines.append(
                f"- {s['処理']}: {s['内容']}【{s['対応する基準']}】 "
                f"一意な人 {s['処理前の一意な割合']:.1%} → {s['処理後の一意な割合']:.1%}、"
                f"最小の同値類 {s['処理前の k']} → {s['最小の同値類(k)']}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (
            f"<p><b>匿名加工の報告({html.escape(self.policy.name)})</b> 根拠: {html.escape(_LAW)}</p>"
            + self.steps.to_html(index=False)
        )


def person_register(raw: Any, *, parameter: str = "raw") -> pd.DataFrame:
    """One row per person of the raw register with their last 1 April address and household.

    Columns: person_id, sex, birth_date, nationality, entry_date, entry_reason, exit_date,
    exit_reason, chome_code, district_code, area, household_size. People never on a 1 April
    register (``resident_years``) have no address and are left out.

    Parameters
    ----------
    raw : Dataset or dict of str -> DataFrame
        The raw variant (``residents`` and ``resident_years`` with ``person_id``); the
        pseudonymized variant works too (its pseudonyms link the tables the same way).
    parameter : str
        The name errors give the argument (for callers that pass theirs on).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> raw = ebpmkit.load("town", scale=0.02, variant="raw", progress=False)  # doctest: +SKIP
    >>> person_register(raw).columns[-1]  # doctest: +SKIP
    'household_size'
    """
    tables = getattr(raw, "tables", raw)
    if not isinstance(tables, Mapping) or not all(
        isinstance(tables.get(t), pd.DataFrame) and "person_id" in tables[t].columns
        for t in ("residents", "resident_years")
    ):
        raise ParameterError(
            message("release.needs_raw", parameter=parameter, got=type(raw).__name__)
        )
    years = tables["resident_years"]
    size = years.groupby(["fiscal_year", "household_id"], observed=True)["person_id"].transform(
        "size"
    )
    last = (
        years[["fiscal_year", "person_id", "chome_code", "district_code", "area"]]
        .assign(household_size=size.to_numpy())
        .sort_values(["person_id", "fiscal_year"], kind="stable")
        .drop_duplicates("person_id", keep="last")
        .drop(columns="fiscal_year")
    )
    return tables["residents"].merge(last, on="person_id", how="inner", validate="1:1")


def _unique_share_and_k(frame: pd.DataFrame, qi: list[str]) -> tuple[float, int]:
    if not qi:
        return (1.0 if len(frame) == 1 else 0.0), len(frame)
    sizes = frame.groupby(qi, dropna=False, observed=True)[qi[0]].transform("size")
    sizes = sizes.to_numpy() if len(qi) else np.full(len(frame), len(frame))
    return float((sizes == 1).mean()), int(sizes.min())


def _fiscal_year(s: pd.Series, width: int) -> pd.Series:
    """The fiscal year (April to March) of each date, grouped into periods of ``width``
    years that start at the first fiscal year of the data (missing stays missing)."""
    fy = (s.dt.year - (s.dt.month < 4)).astype("Int64")
    first = fy.min()
    return first + (fy - first) // width * width


def _round_unusual(reg: pd.DataFrame, policy: ReleasePolicy) -> tuple[pd.DataFrame, int, int]:
    """Bottom-code the oldest birth dates and top-code the largest households, with counts."""
    born = reg["birth_date"].dt.year
    n_old = int((born < policy.birth_year_bottom).sum())
    n_big = int((reg["household_size"] > policy.household_size_top).sum())
    rounded = reg.assign(
        birth_date=reg["birth_date"].mask(
            born < policy.birth_year_bottom, pd.Timestamp(f"{policy.birth_year_bottom}-01-01")
        ),
        household_size=reg["household_size"].clip(upper=policy.household_size_top),
    )
    return rounded, n_old, n_big


def _generalized(reg: pd.DataFrame, policy: ReleasePolicy) -> pd.DataFrame:
    """The released columns: birth-year bands, moving periods, the district instead of chome."""
    w, m = policy.birth_year_width, policy.move_year_width
    year = reg["birth_date"].dt.year.astype("int64")
    return pd.DataFrame(
        {
            "birth_year": (policy.birth_year_bottom + (year - policy.birth_year_bottom) // w * w)
            .astype("Int64")
            .to_numpy(),
            "sex": reg["sex"].to_numpy(),
            "nationality": reg["nationality"].to_numpy(),
            "district_code": reg["district_code"].to_numpy(),
            "area": reg["area"].to_numpy(),
            "entry_year": _fiscal_year(reg["entry_date"], m).to_numpy(),
            "entry_reason": reg["entry_reason"].to_numpy(),
            "exit_year": _fiscal_year(reg["exit_date"], m).to_numpy(),
            "exit_reason": reg["exit_reason"].astype(object).fillna(STILL_REGISTERED).to_numpy(),
            "household_size": reg["household_size"].astype("Int64").to_numpy(),
        }
    )


def release(
    dataset: Any, policy: ReleasePolicy = RELEASE_POLICY
) -> tuple[dict[str, pd.DataFrame], ReleaseReport]:
    """The release-safe tables (匿名加工情報) from the raw variant, and the report of each step.

    Parameters
    ----------
    dataset : Dataset or dict of str -> DataFrame
        The raw variant (``ebpmkit.load(..., variant="raw")``).
    policy : ReleasePolicy
        k, bands and codes; :data:`RELEASE_POLICY` gives ``load(variant="anonymized")``.

    Returns
    -------
    (dict of str -> DataFrame, ReleaseReport)
        ``residents`` (released people), ``districts`` and ``chome``; and the report.

    Examples
    --------
    >>> raw = ebpmkit.load("town", scale=0.02, variant="raw", progress=False)  # doctest: +SKIP
    >>> tables, report = release(raw)  # doctest: +SKIP
    >>> report.k_reached >= RELEASE_POLICY.k  # doctest: +SKIP
    True
    """
    if not isinstance(policy, ReleasePolicy):
        raise ParameterError(message("release.policy", got=type(policy).__name__))
    reg = person_register(dataset, parameter="dataset")
    tables = getattr(dataset, "tables", dataset)
    steps: list[dict[str, Any]] = []
    qi_all = list(policy.quasi_identifiers)

    def record(frame, qi, what, detail, rule, before):
        share, k = _unique_share_and_k(frame, [c for c in qi if c in frame.columns])
        steps.append(
            {
                "処理": what,
                "内容": detail,
                "対応する基準": RULES[rule],
                "処理前の一意な割合": before[0],
                "処理前の k": before[1],
                "処理後の一意な割合": share,
                "最小の同値類(k)": k,
            }
        )
        return share, k

    # Step 1: the identifying layer. With names and addresses everyone is unique (k = 1).
    ident = tables.get("identities")
    start = (1.0, 1) if ident is not None else _unique_share_and_k(reg, ["person_id"])
    # After dropping names the person_id still singles everyone out.
    after = record(
        reg,
        ["person_id"],
        "識別情報の削除",
        "氏名・かな・住所・郵便番号・電話番号(identities)を提供しない",
        "identifying",
        start,
    )
    after = record(
        reg,
        ["person_id"],
        "個人識別符号の削除",
        "住民票コードに当たる resident_code を全部削除",
        "codes",
        after,
    )
    # Step 2: delete the linking codes; now what is left are the quasi-identifiers as raw.
    raw_qi = ["birth_date", "sex", "nationality", "chome_code", "entry_date", "exit_date"]
    raw_qi += ["entry_reason", "exit_reason", "household_size"]
    reg = reg.drop(columns=["person_id"])
    after = record(
        reg,
        raw_qi,
        "連結符号の削除",
        "person_id・household_id を削除(他のテーブルと結合できない)",
        "linking",
        after,
    )
    # Step 3: unusual descriptions: the oldest birth years and the largest households.
    reg, n_old, n_big = _round_unusual(reg, policy)
    after = record(
        reg,
        raw_qi,
        "特異な値の丸め",
        f"{policy.birth_year_bottom}年より前の生まれ {n_old:,} 人を{policy.birth_year_bottom}年に、"
        f"{policy.household_size_top}人を超える世帯 {n_big:,} 人を{policy.household_size_top}人に",
        "unusual",
        after,
    )
    # Step 4: generalization: 5-year birth groups, years of moving, district instead of chome.
    w, m = policy.birth_year_width, policy.move_year_width
    out = _generalized(reg, policy)
    after = record(
        out,
        qi_all,
        "一般化",
        f"生まれ年を{w}年区分に、登録の開始・終了の日を{m}年度区分に、住所を住区(町丁は削除)に",
        "other",
        after,
    )
    # Step 5: local suppression, then deletion of the records that cannot reach k.
    out, log = enforce_k(out, qi_all, policy.k, order=qi_all, drop=True)
    out = out.reset_index(drop=True)
    # area follows district: a suppressed district keeps its area only if that is safe too,
    # so blank it with the district (the area is coarser and not a quasi-identifier here).
    out = out.assign(area=out["area"].mask(out["district_code"].isna()))
    detail = "、".join(f"{c} {n:,}" for c, n in log["suppressed"].items() if n)
    record(
        out,
        qi_all,
        "局所秘匿と行の削除",
        f"k = {policy.k} 未満の人の値を欠損に({detail or 'なし'})、削除した人 {log['dropped']:,}",
        "other",
        after,
    )
    report = ReleaseReport(policy, pd.DataFrame(steps))
    kept = {n: tables[n] for n in ("districts", "chome") if n in tables}
    return {**kept, "residents": out}, report


def dictionary_rows(dictionary: pd.DataFrame) -> pd.DataFrame:
    """The data dictionary of the release: the geography tables' rows as they are, and one row
    per column of the released ``residents`` (labels of :data:`RELEASE_COLUMNS`)."""
    keep = dictionary[dictionary["table"].isin(["districts", "chome"])]
    rows = [
        {
            "table": "residents",
            "table_description": "公表・提供用に匿名加工した住民の記録(連結符号なし、k 匿名)",
            "column": col,
            "label_ja": label,
            "label_en": col.replace("_", " "),
            "unit": unit,
            "description": label,
        }
        for col, (label, unit) in RELEASE_COLUMNS.items()
    ]
    return pd.concat([keep, pd.DataFrame(rows)], ignore_index=True)
