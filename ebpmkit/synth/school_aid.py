"""School expense aid (就学援助): which pupils' households are aided, on which income line.

Pupils are residents aged 6-14 on 1 April (public primary and junior high school ages; private
schools are not told apart). Their household's income is the sum of its members' total income of
the previous calendar year (``income_tax`` of the same fiscal year), and its welfare standard is
an assumed annual amount by household size (``rates/school_aid.toml``). Two groups are aided:

- 要保護: households below the welfare standard that receive public assistance (an assumed share,
  fixed per household); they are always aided, but only for the school trip, because public
  assistance's education aid covers the rest;
- 準要保護: other households whose income is at or below the line (``income_line_multiple`` times
  the standard) and that apply (``take_up``, a propensity fixed per household).

Households a little above the line (``near_line_band``) apply at the same rate and are refused,
so ``school_aid_households`` holds every decision and ``school_aid`` the aided pupils.

Examples
--------
>>> import ebpmkit.synth.school_aid as school_aid
>>> sorted(school_aid.TABLES)
['school_aid', 'school_aid_households']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit.synth._keys import categorical_rows, dense_codes, pair_key, positions
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "DECISIONS",
    "PARAMETERS",
    "ROLES",
    "SCHOOL_LEVELS",
    "TABLES",
    "simulate",
]

NAME = "school_aid"
CATEGORIES = ("要保護", "準要保護")
DECISIONS = ("認定", "不認定")
SCHOOL_LEVELS = ("小学校", "中学校")
#: Ages on 1 April of the first and last year of primary and of junior high school.
PRIMARY_AGES = (6, 11)
JUNIOR_AGES = (12, 14)

TABLES = {
    "school_aid_households": "就学援助の申請・認定(年度・世帯ごと1行):世帯の所得、基準額と認定の"
    "結果。要保護世帯と、準要保護の申請をした世帯(認定・不認定)",
    "school_aid": "就学援助を受けた児童生徒(年度・児童生徒ごと1行):区分と費目ごとの援助額(仮定)。"
    "要保護の児童生徒は修学旅行の学年でなければ援助額0(ほかの費目は生活保護の教育扶助で賄う)",
}

_H = "school_aid_households"
_P = "school_aid"
_INCOME = SharedColumn(
    "judged_income", "int64", "認定に用いた世帯の所得", "household income judged", "円"
)
_LINE = SharedColumn("aid_income_line", "int64", "認定基準額", "income line", "円")
_CATEGORY = SharedColumn("aid_category", "category", "就学援助の区分", "aid category")
_INCOME_TEXT = (
    "世帯員全員の前年の総所得金額等(income_tax の同じ年度の total_income)の合計。"
    "4〜6月の前々年の所得による判定は省略"
)
_LINE_TEXT = (
    "準要保護の認定基準額:生活保護基準額(仮定)に倍率(既定1.2、プロフィールで変更可)を掛けた額"
)
COLUMNS = [
    shared("fiscal_year", _H, "援助の年度(4月〜翌3月)"),
    shared("household_id", _H, "その年度4月1日時点の世帯"),
    shared("district_code", _H, "世帯の住所の住区(その年度4月1日時点)"),
    Column(
        _H, "household_size", "int16", "世帯人員", "household size", "人", "4月1日時点の世帯員の数"
    ),
    Column(
        _H,
        "school_children",
        "int16",
        "小中学生の数",
        "pupils",
        "人",
        "世帯の6〜14歳(4月1日時点)の子の数。国公私立の別は区別しない",
    ),
    _INCOME.at(_H, _INCOME_TEXT),
    Column(
        _H,
        "welfare_standard",
        "int64",
        "生活保護基準額(年額)",
        "welfare standard",
        "円",
        "世帯人員ごとの生活扶助等の基準の概算(仮定:都市部のおよその額、7人以上は同額)",
    ),
    _LINE.at(_H, _LINE_TEXT),
    Column(
        _H,
        "aid_decision",
        "category",
        "認定の結果",
        "decision",
        "",
        "認定・不認定。基準額を少し上回る世帯の申請は不認定(申請の割合は仮定)",
    ),
    _CATEGORY.at(
        _H,
        "要保護(生活保護を受けている世帯。基準額未満の世帯のうち一定の割合、仮定)・準要保護。"
        "不認定の世帯は空欄",
    ),
    shared("fiscal_year", _P, "援助の年度(4月〜翌3月)"),
    shared("person_id", _P, "児童生徒の番号(residents と結合可)"),
    shared("household_id", _P, "その年度4月1日時点の世帯(school_aid_households と結合可)"),
    shared("district_code", _P, "児童生徒の住所の住区(その年度4月1日時点)"),
    shared("age", _P, "4月1日時点の年齢(6〜14歳)"),
    Column(_P, "school_level", "category", "学校種", "school level", "", "小学校・中学校"),
    Column(
        _P,
        "grade",
        "int16",
        "学年",
        "grade",
        "年",
        "4月1日時点の年齢による学年(小学校1〜6年、中学校1〜3年)",
    ),
    _CATEGORY.at(_P, "要保護・準要保護"),
    _INCOME.at(_P, _INCOME_TEXT),
    _LINE.at(_P, _LINE_TEXT),
    Column(
        _P,
        "supplies_aid",
        "int64",
        "学用品費等",
        "school supplies aid",
        "円",
        "学用品費・通学用品費・校外活動費(年額、仮定)。要保護は教育扶助で賄うため0",
    ),
    Column(
        _P,
        "new_entrant_aid",
        "int64",
        "新入学学用品費",
        "new entrant aid",
        "円",
        "小学校1年・中学校1年のみ(国の補助単価に近い額、仮定)。要保護は0",
    ),
    Column(
        _P,
        "school_trip_aid",
        "int64",
        "修学旅行費",
        "school trip aid",
        "円",
        "小学校6年・中学校3年のみ(国の補助単価に近い額、仮定)。要保護も対象",
    ),
    Column(
        _P,
        "school_lunch_aid",
        "int64",
        "学校給食費",
        "school lunch aid",
        "円",
        "給食費の年額(仮定)。要保護は教育扶助で賄うため0",
    ),
    Column(
        _P,
        "aid_total",
        "int64",
        "援助額合計",
        "total aid",
        "円",
        "費目ごとの援助額の合計(要保護で修学旅行の学年でなければ0)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Whether a
#: household receives public assistance (要保護) is treated as sensitive benefit information.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    _H: {"id": ("household_id",), "sensitive": ("aid_category",)},
    _P: {"id": ("person_id", "household_id"), "sensitive": ("aid_category",)},
}

_Y = "円(1人1年あたり、小学校・中学校)"
PARAMETERS = [
    Param(
        "school_aid.income_line_multiple",
        low=1,
        high=2,
        ja="準要保護の認定基準額を生活保護基準額の何倍にするか",
        unit="倍",
    ),
    Param(
        "school_aid.welfare_standard",
        kind="numbers",
        low=0,
        length=7,
        ja="世帯人員1人～7人以上の生活保護基準額(年額、仮定)",
        unit="円(1年あたり)",
    ),
    Param(
        "school_aid.protected_share",
        low=0,
        high=1,
        ja="所得が生活保護基準額に満たない世帯のうち生活保護を受けている(要保護)世帯の割合",
        unit="割合(0～1)",
    ),
    Param(
        "school_aid.take_up",
        low=0,
        high=1,
        ja="準要保護の基準を満たす世帯のうち申請する世帯の割合",
        unit="割合(0～1)",
    ),
    Param(
        "school_aid.near_line_band",
        low=0,
        high=1,
        ja="基準額を上回っても申請する(不認定になる)世帯の所得の幅(基準額に対する割合)",
        unit="割合(0～1)",
    ),
    Param("school_aid.supplies", kind="numbers", low=0, length=2, ja="学用品費等の年額", unit=_Y),
    Param(
        "school_aid.new_entrant",
        kind="numbers",
        low=0,
        length=2,
        ja="新入学学用品費(1年生のみ)",
        unit=_Y,
    ),
    Param(
        "school_aid.school_trip",
        kind="numbers",
        low=0,
        length=2,
        ja="修学旅行費(最終学年のみ)",
        unit=_Y,
    ),
    Param(
        "school_aid.school_lunch", kind="numbers", low=0, length=2, ja="学校給食費の年額", unit=_Y
    ),
]


@dataclass(frozen=True)
class _Rules:
    """The aid's rules, read once from the profile."""

    multiple: float
    standard: np.ndarray  # by household size 1..7+
    protected_share: float
    take_up: float
    band: float
    supplies: np.ndarray  # by school level (primary, junior high)
    new_entrant: np.ndarray
    school_trip: np.ndarray
    school_lunch: np.ndarray

    @classmethod
    def read(cls, p: Profile) -> _Rules:
        """Read the ``school_aid.*`` figures."""
        k = "school_aid."
        return cls(
            multiple=p.number(k + "income_line_multiple", low=1, high=2),
            standard=p.numbers(k + "welfare_standard", low=0, length=7),
            protected_share=p.number(k + "protected_share", low=0, high=1),
            take_up=p.number(k + "take_up", low=0, high=1),
            band=p.number(k + "near_line_band", low=0, high=1),
            supplies=p.numbers(k + "supplies", low=0, length=2),
            new_entrant=p.numbers(k + "new_entrant", low=0, length=2),
            school_trip=p.numbers(k + "school_trip", low=0, length=2),
            school_lunch=p.numbers(k + "school_lunch", low=0, length=2),
        )


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``school_aid_households`` and ``school_aid``.

    Stages: pupils and their households; household size and income; the line; who is on public
    assistance and who applies; the decision; the aid by item; the ground truth
    (``ctx.truth["school_aid"]``).

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2020, 2020]), "person_id": [1, 2], "age": np.int16([40, 8]),
    ...     "household_id": [7, 7], "district_code": ["D01"] * 2})
    >>> ctx.tables["income_tax"] = pd.DataFrame({"fiscal_year": [2020], "person_id": [1],
    ...     "total_income": [9_000_000]})
    >>> len(simulate(ctx)["school_aid"])
    0
    """
    rules = _Rules.read(ctx.profile)
    ry = ctx.tables["resident_years"]
    years = ry["fiscal_year"].to_numpy().astype(np.int64)
    span = (int(years.min()), int(years.max() - years.min() + 1)) if len(years) else (0, 1)
    homes = _households(rules, ry, ctx.tables.get("income_tax"), span)
    decision = _decide(rules, ctx.rng(NAME), homes)
    households = _household_table(ry, homes, decision)
    pupils = _pupil_table(rules, ry, homes, decision)
    ctx.truth[NAME] = _truth(rules, homes, decision, pupils)
    return {_H: households, _P: pupils}


@dataclass(frozen=True)
class _Homes:
    """Households with pupils: one row per (fiscal year, household)."""

    keys: np.ndarray  # sorted unique (fiscal year, household) keys
    year: np.ndarray
    hh: np.ndarray
    pupil_rows: np.ndarray  # positions of the pupils in resident_years
    pupil_slot: np.ndarray  # each pupil's position in ``keys``
    first_row: np.ndarray  # one pupil's row per household (for the district)
    size: np.ndarray
    pupils: np.ndarray
    income: np.ndarray
    standard: np.ndarray
    line: np.ndarray


def _households(
    rules: _Rules, ry: pd.DataFrame, it: pd.DataFrame | None, span: tuple[int, int]
) -> _Homes:
    """Pupils' households, their size and their income of the previous year."""
    age = ry["age"].to_numpy().astype(np.int64)
    ry_year = ry["fiscal_year"].to_numpy().astype(np.int64)
    ry_key = pair_key(ry_year, ry["household_id"].to_numpy(np.int64), *span)
    pupil_rows = np.flatnonzero((age >= PRIMARY_AGES[0]) & (age <= JUNIOR_AGES[1]))
    keys, first, pupil_slot = np.unique(ry_key[pupil_rows], return_index=True, return_inverse=True)
    member_slot = positions(ry_key, keys)
    members = np.flatnonzero(member_slot >= 0)
    size = np.bincount(member_slot[members], minlength=len(keys))
    income = np.zeros(len(keys))
    if it is not None and len(it) and len(members):
        it_keys = pair_key(it["fiscal_year"].to_numpy(), it["person_id"].to_numpy(np.int64), *span)
        pid = ry["person_id"].to_numpy(np.int64)[members]
        at = positions(pair_key(ry_year[members], pid, *span), it_keys)
        found = at >= 0
        income = np.bincount(
            member_slot[members][found],
            weights=it["total_income"].to_numpy(np.float64)[at[found]],
            minlength=len(keys),
        )
    standard = rules.standard[np.clip(size, 1, len(rules.standard)) - 1]
    return _Homes(
        keys=keys,
        year=keys % span[1] + span[0],
        hh=keys // span[1],
        pupil_rows=pupil_rows,
        pupil_slot=pupil_slot,
        first_row=pupil_rows[first],
        size=size,
        pupils=np.bincount(pupil_slot, minlength=len(keys)),
        income=income,
        standard=standard,
        line=np.round(standard * rules.multiple),
    )


@dataclass(frozen=True)
class _Decision:
    """Each household's route: on public assistance, applying, and the result."""

    protected: np.ndarray  # 要保護
    eligible: np.ndarray  # at or below the line and not 要保護
    applied: np.ndarray  # applied for 準要保護 aid
    approved: np.ndarray  # aided (要保護 or approved 準要保護)


def _decide(rules: _Rules, rng: np.random.Generator, homes: _Homes) -> _Decision:
    """Public assistance and application, with draws fixed per household (they persist)."""
    n, code = dense_codes(homes.hh)
    draws = rng.random((n, 2))
    on_assistance = draws[code, 0] < rules.protected_share
    applies = draws[code, 1] < rules.take_up
    protected = (homes.income < homes.standard) & on_assistance
    eligible = (homes.income <= homes.line) & ~protected
    near = (homes.income > homes.line) & (homes.income <= homes.line * (1 + rules.band))
    applied = (eligible | near) & applies
    return _Decision(
        protected=protected,
        eligible=eligible,
        applied=applied,
        approved=protected | (eligible & applied),
    )


def _household_table(ry: pd.DataFrame, homes: _Homes, decision: _Decision) -> pd.DataFrame:
    """One row per 要保護 household and per household that applied."""
    sel = np.flatnonzero(decision.protected | decision.applied)
    category = np.where(decision.protected, 0, np.where(decision.approved, 1, -1))
    return pd.DataFrame(
        {
            "fiscal_year": homes.year[sel].astype(np.int16),
            "household_id": homes.hh[sel],
            "district_code": categorical_rows(ry, "district_code", homes.first_row[sel]),
            "household_size": homes.size[sel].astype(np.int16),
            "school_children": homes.pupils[sel].astype(np.int16),
            "judged_income": np.round(homes.income[sel]).astype(np.int64),
            "welfare_standard": np.round(homes.standard[sel]).astype(np.int64),
            "aid_income_line": homes.line[sel].astype(np.int64),
            "aid_decision": pd.Categorical.from_codes(
                np.where(decision.approved[sel], 0, 1), categories=list(DECISIONS)
            ),
            "aid_category": pd.Categorical.from_codes(category[sel], categories=list(CATEGORIES)),
        }
    )


def _pupil_table(
    rules: _Rules, ry: pd.DataFrame, homes: _Homes, decision: _Decision
) -> pd.DataFrame:
    """One row per aided pupil, with the aid by item."""
    aided = np.flatnonzero(decision.approved[homes.pupil_slot])
    rows, slot = homes.pupil_rows[aided], homes.pupil_slot[aided]
    age = ry["age"].to_numpy().astype(np.int64)[rows]
    level = (age >= JUNIOR_AGES[0]).astype(np.int64)
    grade = np.where(level == 1, age - JUNIOR_AGES[0], age - PRIMARY_AGES[0]) + 1
    last_grade = np.where(level == 1, JUNIOR_AGES[1] - JUNIOR_AGES[0], 5) + 1
    protected = decision.protected[slot]
    # 要保護 pupils get only the school trip: public assistance's education aid pays the rest.
    full = ~protected
    supplies = np.where(full, rules.supplies[level], 0.0)
    entrant = np.where(full & (grade == 1), rules.new_entrant[level], 0.0)
    trip = np.where(grade == last_grade, rules.school_trip[level], 0.0)
    lunch = np.where(full, rules.school_lunch[level], 0.0)
    amounts = [np.round(a).astype(np.int64) for a in (supplies, entrant, trip, lunch)]
    return pd.DataFrame(
        {
            "fiscal_year": homes.year[slot].astype(np.int16),
            "person_id": ry["person_id"].to_numpy(np.int64)[rows],
            "household_id": homes.hh[slot],
            "district_code": categorical_rows(ry, "district_code", rows),
            "age": age.astype(np.int16),
            "school_level": pd.Categorical.from_codes(level, categories=list(SCHOOL_LEVELS)),
            "grade": grade.astype(np.int16),
            "aid_category": pd.Categorical.from_codes(
                np.where(protected, 0, 1), categories=list(CATEGORIES)
            ),
            "judged_income": np.round(homes.income[slot]).astype(np.int64),
            "aid_income_line": homes.line[slot].astype(np.int64),
            "supplies_aid": amounts[0],
            "new_entrant_aid": amounts[1],
            "school_trip_aid": amounts[2],
            "school_lunch_aid": amounts[3],
            "aid_total": sum(amounts),
        }
    )


def _truth(rules: _Rules, homes: _Homes, decision: _Decision, pupils: pd.DataFrame) -> dict:
    """Eligible and aided counts, realised take-up and the aid rate of pupils, by fiscal year."""
    out: dict = {
        "note": "要保護 = below the welfare standard and on public assistance (assumed share); "
        "準要保護 = at or below the line and applied (assumed take-up).",
        "take_up": rules.take_up,
        "income_line_multiple": rules.multiple,
        "by_year": {},
    }
    aided_per_year = pupils.groupby("fiscal_year").size()
    for year in np.unique(homes.year):
        at = homes.year == year
        eligible = int(np.sum(at & decision.eligible))
        approved_quasi = int(np.sum(at & decision.eligible & decision.approved))
        out["by_year"][int(year)] = {
            "pupils": int(homes.pupils[at].sum()),
            "pupils_aided": int(aided_per_year.get(year, 0)),
            "protected_households": int(np.sum(at & decision.protected)),
            "eligible_households": eligible,
            "approved_households": approved_quasi,
            "refused_households": int(np.sum(at & decision.applied & ~decision.approved)),
            "take_up": round(approved_quasi / eligible, 4) if eligible else None,
        }
    return out
