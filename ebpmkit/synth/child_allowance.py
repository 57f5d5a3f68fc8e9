"""Child allowance (児童手当): who receives it, at which amount, before and after the 2024 reform.

The rules of each month of a fiscal year (April-March) decide the amount (national figures in
``rates/child_allowance.toml``):

- until September 2022: ¥15,000 a month under 3, ¥10,000 from 3 to the end of junior high school
  (¥15,000 for the third child and later until the end of primary school), and a special payment
  (特例給付) of ¥5,000 a month above the income limit;
- October 2022 to September 2024: the same, but nothing above the upper income limit;
- from October 2024: no income limit, paid to the end of high-school age, ¥15,000 under 3,
  ¥10,000 from 3, ¥30,000 for the third child and later (children up to 22 counted).

FY2022 and FY2024 therefore have six months under each rule. The recipient is the higher earner
of the household's head and spouse; the limit is judged on their income of the previous calendar
year (``income_tax`` of the same fiscal year) less a uniform deduction, against limits that rise
with their dependants. Children are the household's members with relationship 子 (and young
members with relationship その他, grandchildren, for whom the head's household is taken as the
recipient). Ages and birth order are those of 1 April; the under-3 amount runs to the month of
the third birthday; a child who moves out or dies is paid to that month. Children born or moving
in during a fiscal year are paid from the next one (the register is that of 1 April).

Examples
--------
>>> import ebpmkit.synth.child_allowance as child_allowance
>>> sorted(child_allowance.TABLES)
['child_allowance', 'child_allowance_children']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit._arrays import sorted_unique
from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth._keys import categorical_rows, dense_codes, has_label, pair_key, positions
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "COLUMNS",
    "LIMIT_STATUSES",
    "PARAMETERS",
    "ROLES",
    "RULE_PERIODS",
    "TABLES",
    "check_profile",
    "simulate",
]

NAME = "child_allowance"
LIMIT_STATUSES = ("所定の額", "特例給付", "支給なし")
STANDARD, SPECIAL, NONE = range(3)
RULE_PERIODS = ("旧制度", "年度途中で改正", "改正後")
_FAR = np.iinfo(np.int64).max // 4  # month index of "never" (no exit)

TABLES = {
    "child_allowance": "児童手当の受給世帯(年度・世帯ごと1行):受給者、所得制限の判定、"
    "制度ごとの支給月数と年間支給額。2024年10月の制度改正の前後を含む。所得上限を超えて"
    "支給のない世帯も含む",
    "child_allowance_children": "児童手当が支給された児童(年度・児童ごと1行):算定上の順位、"
    "改正前後の制度での月額と年間支給額",
}

_H = "child_allowance"
_K = "child_allowance_children"
_ANNUAL = SharedColumn("allowance_annual", "int64", "年間支給額", "annual allowance", "円")
COLUMNS = [
    shared("fiscal_year", _H, "支給の年度(4月〜翌3月分の手当)"),
    shared("household_id", _H, "その年度4月1日時点の受給世帯"),
    shared("person_id", _H, "受給者(世帯主と配偶者のうち前年の所得が高い人)の番号"),
    shared("district_code", _H, "受給者の住所の住区(その年度4月1日時点)"),
    Column(
        _H,
        "eligible_children",
        "int16",
        "支給対象児童数",
        "eligible children",
        "人",
        "その年度のいずれかの月の制度で年齢上支給の対象になる児童の数"
        "(2024年9月までは中学校修了まで、2024年10月からは18歳年度末まで)。所得による区分は問わない",
    ),
    Column(
        _H,
        "counted_children",
        "int16",
        "算定対象の子の数",
        "children counted",
        "人",
        "第3子以降の数え方で数える子の数(年度末の月の制度による。改正前は18歳年度末まで、"
        "改正後は22歳年度末までの子。続柄が子の世帯員をすべて数えるのは仮定)",
    ),
    Column(
        _H,
        "third_plus_children",
        "int16",
        "第3子以降の支給対象児童数",
        "third and later eligible children",
        "人",
        "支給対象児童のうち、年度末の月の制度の数え方で第3子以降に当たる児童の数",
    ),
    Column(
        _H,
        "limit_income",
        "int64",
        "所得制限の判定所得",
        "income judged for the limit",
        "円",
        "受給者の前年の総所得金額等(income_tax の同じ年度の total_income)から一律8万円を引いた額"
        "(医療費控除などの諸控除は省略)。6月の現況届による切替えは省略し、年度を通じて同じ",
    ),
    Column(
        _H,
        "limit_dependants",
        "int16",
        "判定の扶養親族等の数",
        "dependants for the limit",
        "人",
        "受給者の扶養親族等の数(income_tax の dependants)",
    ),
    Column(
        _H,
        "income_limit",
        "int64",
        "所得制限限度額",
        "income limit",
        "円",
        "児童手当法施行令による所得制限限度額(扶養親族等0人で622万円、1人につき38万円を加算)。"
        "判定所得がこの額以上なら特例給付。2024年10月からは適用しない",
    ),
    Column(
        _H,
        "upper_income_limit",
        "int64",
        "所得上限限度額",
        "upper income limit",
        "円",
        "所得上限限度額(扶養親族等0人で858万円、1人につき38万円を加算)。2022年10月から"
        "2024年9月まで、判定所得がこの額以上なら支給なし",
    ),
    Column(
        _H,
        "limit_status",
        "category",
        "所得制限の区分",
        "income limit status",
        "",
        "所定の額・特例給付・支給なし。その年度の改正前の最後の月の制度による区分"
        "(2022年度は上限の導入後の区分)。改正後だけの年度(2025年度以降)は所定の額",
    ),
    Column(
        _H,
        "limit_applied",
        "bool",
        "所得制限の適用あり",
        "income limit applied",
        "",
        "その年度に所得制限のある月(2024年9月まで)があるとき True",
    ),
    Column(
        _H,
        "months_standard",
        "int16",
        "所定の額の支給月数",
        "months at the standard amount",
        "月",
        "2024年9月までの制度で所定の額を支給した月数(世帯の児童のうち最も多い児童の月数)",
    ),
    Column(
        _H,
        "months_special",
        "int16",
        "特例給付の支給月数",
        "months of special payment",
        "月",
        "特例給付(月額5千円)を支給した月数(世帯の児童のうち最も多い児童の月数)",
    ),
    Column(
        _H,
        "months_reformed",
        "int16",
        "改正後の支給月数",
        "months under the reformed rules",
        "月",
        "2024年10月からの制度で支給した月数(2024年度は最大6か月)",
    ),
    Column(
        _H,
        "amount_before_reform",
        "int64",
        "改正前の制度による支給額",
        "amount under the former rules",
        "円",
        "その年度のうち2024年9月までの月に支給した額(所定の額と特例給付)",
    ),
    Column(
        _H,
        "amount_after_reform",
        "int64",
        "改正後の制度による支給額",
        "amount under the reformed rules",
        "円",
        "その年度のうち2024年10月からの月に支給した額",
    ),
    _ANNUAL.at(_H, "その年度の世帯の支給額の合計(改正前と改正後の合計。支給なしの世帯は0)"),
    shared("fiscal_year", _K, "支給の年度(4月〜翌3月分の手当)"),
    shared("person_id", _K, "児童の番号(residents と結合可)"),
    shared("household_id", _K, "その年度4月1日時点の世帯(child_allowance と結合可)"),
    shared("age", _K, "4月1日時点の年齢"),
    Column(
        _K,
        "birth_order",
        "int16",
        "算定上の順位(改正前)",
        "birth order (former rules)",
        "番目",
        "改正前の数え方による順位:世帯の18歳年度末までの子のうち年長から数えた順位(4月1日時点)",
    ),
    Column(
        _K,
        "birth_order_reform",
        "int16",
        "算定上の順位(改正後)",
        "birth order (reformed rules)",
        "番目",
        "改正後の数え方による順位:世帯の22歳年度末までの子のうち年長から数えた順位(4月1日時点)。"
        "改正前の年度では改正後の制度ならばの順位",
    ),
    Column(
        _K,
        "months_under3",
        "int16",
        "3歳未満の月数",
        "months under 3",
        "月",
        "その年度のうち3歳の誕生月までの月数(3歳未満の額が適用される月数。支給の有無は問わない)",
    ),
    Column(
        _K,
        "months_paid",
        "int16",
        "支給月数",
        "months paid",
        "月",
        "その年度に手当を支給した月数(転出・死亡の月まで)",
    ),
    Column(
        _K,
        "monthly_old_rule",
        "int64",
        "改正前の制度での月額",
        "monthly amount, former rules",
        "円",
        "4月時点の年齢・順位と世帯の所得区分による、2024年9月までの制度での月額(2025年度以降は"
        "改正がなかった場合の額)。2022年度は4月の制度(上限なし)による",
    ),
    Column(
        _K,
        "monthly_new_rule",
        "int64",
        "改正後の制度での月額",
        "monthly amount, reformed rules",
        "円",
        "4月時点の年齢と改正後の順位による、2024年10月からの制度での月額"
        "(2023年度以前は改正後の制度ならばの額)",
    ),
    _ANNUAL.at(_K, "その年度に児童に支給した額(月ごとの制度と年齢による額の合計)"),
    Column(
        _K,
        "rule_period",
        "category",
        "適用された制度",
        "rules applied",
        "",
        "旧制度(2024年9月までの月だけ支給)・年度途中で改正(両方の月に支給)・改正後(2024年10月"
        "からの月だけ支給。高校生年代は改正後だけ)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). The allowance is
#: paid to nearly every family, and its amounts and the income judged are not special-care
#: information; like the incomes of income_tax they are kept as they are.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    _H: {"id": ("household_id", "person_id")},
    _K: {"id": ("person_id", "household_id")},
}

_M = "円(1か月あたり)"
PARAMETERS = [
    Param(
        "child_allowance.take_up",
        low=0,
        high=1,
        ja="支給対象の世帯のうち申請して手当を受ける世帯の割合",
        unit="割合(0～1)",
    ),
    Param("child_allowance.old_under3_monthly", low=0, ja="改正前の3歳未満の月額", unit=_M),
    Param("child_allowance.old_standard_monthly", low=0, ja="改正前の3歳～中学生の月額", unit=_M),
    Param(
        "child_allowance.old_third_monthly",
        low=0,
        ja="改正前の第3子以降の3歳～小学生の月額",
        unit=_M,
    ),
    Param(
        "child_allowance.special_monthly", low=0, ja="特例給付の月額(所得制限を超える世帯)", unit=_M
    ),
    Param(
        "child_allowance.old_end_age",
        low=0,
        high=25,
        ja="改正前の支給の終わり(中学校修了)に当たる4月1日時点の年齢",
        unit="歳",
    ),
    Param(
        "child_allowance.primary_end_age",
        low=0,
        high=25,
        ja="改正前の第3子以降の額の終わり(小学校修了)に当たる4月1日時点の年齢",
        unit="歳",
    ),
    Param(
        "child_allowance.old_count_age",
        low=0,
        high=30,
        ja="改正前に順位を数える子の上限の4月1日時点の年齢(18歳年度末)",
        unit="歳",
    ),
    Param("child_allowance.new_under3_monthly", low=0, ja="改正後の3歳未満の月額", unit=_M),
    Param(
        "child_allowance.new_standard_monthly", low=0, ja="改正後の3歳～18歳年度末の月額", unit=_M
    ),
    Param("child_allowance.new_third_monthly", low=0, ja="改正後の第3子以降の月額", unit=_M),
    Param(
        "child_allowance.new_end_age",
        low=0,
        high=25,
        ja="改正後の支給の終わり(18歳年度末)に当たる4月1日時点の年齢",
        unit="歳",
    ),
    Param(
        "child_allowance.new_count_age",
        low=0,
        high=30,
        ja="改正後に順位を数える子の上限の4月1日時点の年齢(22歳年度末)",
        unit="歳",
    ),
    Param(
        "child_allowance.under3_months",
        low=1,
        high=120,
        ja="3歳未満の額を支給する、生まれた月から数えた月数(3歳の誕生月まで)",
        unit="月",
    ),
    Param(
        "child_allowance.upper_limit_from",
        kind="numbers",
        length=2,
        ja="所得上限限度額を超える世帯への支給をやめた時期(年、月)",
        unit="年、月",
        when="listed",
    ),
    Param(
        "child_allowance.reform_from",
        kind="numbers",
        length=2,
        ja="所得制限をなくし、高校生年代と第3子以降の増額を始めた時期(年、月)",
        unit="年、月",
        when="listed",
    ),
    Param(
        "child_allowance.limit_base",
        low=0,
        ja="扶養親族等がいない場合の所得制限限度額",
        unit="円",
        when="listed",
    ),
    Param(
        "child_allowance.upper_limit_base",
        low=0,
        ja="扶養親族等がいない場合の所得上限限度額",
        unit="円",
        when="listed",
    ),
    Param(
        "child_allowance.limit_per_dependant",
        low=0,
        ja="扶養親族等1人あたりの限度額の加算",
        unit="円",
        when="listed",
    ),
    Param(
        "child_allowance.limit_income_deduction",
        low=0,
        ja="所得制限の判定で総所得金額等から一律に引く額",
        unit="円",
        when="listed",
    ),
]


@dataclass(frozen=True)
class _Rules:
    """The allowance's rules, read once from the profile."""

    take_up: float
    old_under3: float
    old_standard: float
    old_third: float
    special: float
    old_end_age: int
    primary_end_age: int
    old_count_age: int
    new_under3: float
    new_standard: float
    new_third: float
    new_end_age: int
    new_count_age: int
    under3_months: int
    upper_from: int  # month index (year * 12 + month - 1) of the first month without payment
    reform_from: int  # month index of the first month under the reformed rules
    limit_base: float
    upper_base: float
    per_dependant: float
    deduction: float

    @classmethod
    def read(cls, p: Profile) -> _Rules:
        """Read and cross-check the ``child_allowance.*`` figures."""
        k = "child_allowance."
        upper = p.numbers(k + "upper_limit_from", length=2)
        reform = p.numbers(k + "reform_from", length=2)
        rules = cls(
            take_up=p.number(k + "take_up", low=0, high=1),
            old_under3=p.number(k + "old_under3_monthly", low=0),
            old_standard=p.number(k + "old_standard_monthly", low=0),
            old_third=p.number(k + "old_third_monthly", low=0),
            special=p.number(k + "special_monthly", low=0),
            old_end_age=int(p.number(k + "old_end_age")),
            primary_end_age=int(p.number(k + "primary_end_age")),
            old_count_age=int(p.number(k + "old_count_age")),
            new_under3=p.number(k + "new_under3_monthly", low=0),
            new_standard=p.number(k + "new_standard_monthly", low=0),
            new_third=p.number(k + "new_third_monthly", low=0),
            new_end_age=int(p.number(k + "new_end_age")),
            new_count_age=int(p.number(k + "new_count_age")),
            under3_months=int(p.number(k + "under3_months", low=1)),
            upper_from=int(upper[0]) * 12 + int(upper[1]) - 1,
            reform_from=int(reform[0]) * 12 + int(reform[1]) - 1,
            limit_base=p.number(k + "limit_base", low=0),
            upper_base=p.number(k + "upper_limit_base", low=0),
            per_dependant=p.number(k + "limit_per_dependant", low=0),
            deduction=p.number(k + "limit_income_deduction", low=0),
        )
        pairs = (
            ("limit_base", "upper_limit_base", rules.limit_base <= rules.upper_base),
            ("upper_limit_from", "reform_from", rules.upper_from <= rules.reform_from),
            ("old_end_age", "new_end_age", rules.old_end_age <= rules.new_end_age),
            ("new_end_age", "new_count_age", rules.new_end_age <= rules.new_count_age),
        )
        for earlier, later, ok in pairs:
            if not ok:
                raise ProfileError(
                    message(
                        "child_allowance.order",
                        earlier=k + earlier,
                        later=k + later,
                        origin=p.origin,
                    )
                )
        return rules


def check_profile(profile: Profile) -> None:
    """Check the ``[child_allowance]`` figures that must agree with each other.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> check_profile(load_profile("town"))
    """
    _Rules.read(profile)


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``child_allowance`` and ``child_allowance_children``.

    Stages: the children of each household and their birth order; the recipient and the
    income-limit class; the months of each rule and the amounts; take-up; the tables and the
    ground truth (``ctx.truth["child_allowance"]``).

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2023, 2023]), "person_id": [1, 2], "age": np.int16([40, 5]),
    ...     "household_id": [7, 7], "relationship": ["世帯主", "子"], "district_code": ["D01"] * 2})
    >>> ctx.tables["residents"] = pd.DataFrame({"person_id": [1, 2],
    ...     "birth_date": pd.to_datetime(["1982-05-01", "2017-06-01"]),
    ...     "exit_date": pd.to_datetime([pd.NaT, pd.NaT])})
    >>> ctx.tables["income_tax"] = pd.DataFrame({"fiscal_year": [2023], "person_id": [1],
    ...     "total_income": [4_000_000], "dependants": np.int16([1])})
    >>> simulate(ctx)["child_allowance_children"]["allowance_annual"].tolist()
    [120000]
    """
    rules = _Rules.read(ctx.profile)
    ry = ctx.tables["resident_years"]
    years = ry["fiscal_year"].to_numpy().astype(np.int64)
    span = (int(years.min()), int(years.max() - years.min() + 1)) if len(years) else (0, 1)
    kids = _children(rules, ry, span)
    homes = _recipients(rules, ry, ctx.tables.get("income_tax"), kids, span)
    kids = _months(rules, kids, ctx.tables["residents"])
    pay = _amounts(rules, kids, homes)
    taken = _take_up(rules, ctx.rng(NAME), homes)
    households = _household_table(rules, ry, kids, homes, pay, taken)
    children = _children_table(rules, kids, homes, pay, taken)
    ctx.truth[NAME] = _truth(rules, households, kids, homes, pay, taken)
    return {_H: households, _K: children}


@dataclass(frozen=True)
class _Kids:
    """Children of the register aged up to the end of high-school age: one row per child-year."""

    rows: np.ndarray  # positions in resident_years
    year: np.ndarray
    pid: np.ndarray
    age: np.ndarray
    key: np.ndarray  # (fiscal year, household) key
    order_old: np.ndarray  # birth order among children up to old_count_age (0 if not counted)
    order_new: np.ndarray  # birth order among children up to new_count_age
    counted_old: np.ndarray  # children counted in the household under the former rules
    counted_new: np.ndarray
    months: dict[str, np.ndarray] | None = None  # months of each rule period, filled by _months


def _children(rules: _Rules, ry: pd.DataFrame, span: tuple[int, int]) -> _Kids:
    """The household's children and their birth order as each rule counts it (eldest first)."""
    age_all = ry["age"].to_numpy().astype(np.int64)
    is_child = has_label(ry["relationship"], ("子",)) & (age_all <= rules.new_count_age)
    # grandchildren (その他) are counted while they are of an age the allowance is paid for
    is_other = has_label(ry["relationship"], ("その他",)) & (age_all <= rules.new_end_age)
    rows = np.flatnonzero(is_child | is_other)
    year = ry["fiscal_year"].to_numpy()[rows].astype(np.int64)
    pid = ry["person_id"].to_numpy(np.int64)[rows]
    age = age_all[rows]
    key = pair_key(year, ry["household_id"].to_numpy(np.int64)[rows], *span)
    order = np.lexsort((pid, -age, key))
    sorted_key = key[order]
    start = np.searchsorted(sorted_key, sorted_key, side="left")
    end = np.searchsorted(sorted_key, sorted_key, side="right")
    rank_new = np.arange(len(order)) - start + 1
    # Among the children counted by the former rules (the younger ones, so later in each
    # group), the rank is a running count within the group.
    counted = (age[order] <= rules.old_count_age).astype(np.int64)
    running = np.cumsum(counted)
    before = np.where(start > 0, running[np.maximum(start - 1, 0)], 0)
    rank_old = np.where(counted > 0, running - before, 0)
    order_new = np.empty_like(rank_new)
    order_old = np.empty_like(rank_old)
    n_old = np.empty_like(rank_old)
    order_new[order], order_old[order] = rank_new, rank_old
    n_old[order] = running[end - 1] - before
    n_new = np.empty_like(rank_new)
    n_new[order] = end - start
    keep = age <= rules.new_end_age
    return _Kids(
        rows=rows[keep],
        year=year[keep],
        pid=pid[keep],
        age=age[keep],
        key=key[keep],
        order_old=order_old[keep],
        order_new=order_new[keep],
        counted_old=n_old[keep],
        counted_new=n_new[keep],
    )


@dataclass(frozen=True)
class _Homes:
    """Households with children: the recipient and the income-limit class of each."""

    keys: np.ndarray  # sorted unique (fiscal year, household) keys
    year: np.ndarray  # fiscal year of each key
    hh: np.ndarray  # household id of each key
    slot: np.ndarray  # each child's position in ``keys``
    recipient_row: np.ndarray  # position of the recipient in resident_years
    income: np.ndarray  # income judged for the limit
    dependants: np.ndarray
    limit: np.ndarray
    upper: np.ndarray
    over: np.ndarray  # 0 under the limit, 1 between the limits, 2 at or above the upper limit


def _recipients(
    rules: _Rules,
    ry: pd.DataFrame,
    it: pd.DataFrame | None,
    kids: _Kids,
    span: tuple[int, int],
) -> _Homes:
    """The higher earner of the head and spouse, their income less the deduction, the limits."""
    keys = sorted_unique(kids.key)
    ry_year = ry["fiscal_year"].to_numpy().astype(np.int64)
    ry_pid = ry["person_id"].to_numpy(np.int64)
    parents = np.flatnonzero(has_label(ry["relationship"], ("世帯主", "配偶者")))
    slot = positions(
        pair_key(ry_year[parents], ry["household_id"].to_numpy(np.int64)[parents], *span), keys
    )
    parents, slot = parents[slot >= 0], slot[slot >= 0]
    total = np.zeros(len(parents))
    deps = np.zeros(len(parents), dtype=np.int64)
    if it is not None and len(it):
        it_keys = pair_key(it["fiscal_year"].to_numpy(), it["person_id"].to_numpy(np.int64), *span)
        at = positions(pair_key(ry_year[parents], ry_pid[parents], *span), it_keys)
        found = at >= 0
        total[found] = it["total_income"].to_numpy(np.float64)[at[found]]
        if "dependants" in it.columns:
            deps[found] = it["dependants"].to_numpy(np.int64)[at[found]]
    is_head = has_label(ry["relationship"].iloc[parents], ("世帯主",))
    # the higher income first, the head on a tie
    best = np.lexsort((~is_head, -total, slot))
    first = best[np.r_[True, slot[best][1:] != slot[best][:-1]]] if len(best) else best
    recipient_row = np.full(len(keys), -1, dtype=np.int64)
    income = np.zeros(len(keys))
    dependants = np.zeros(len(keys), dtype=np.int64)
    recipient_row[slot[first]] = parents[first]
    income[slot[first]] = np.maximum(total[first] - rules.deduction, 0)
    dependants[slot[first]] = deps[first]
    limit = rules.limit_base + rules.per_dependant * dependants
    upper = rules.upper_base + rules.per_dependant * dependants
    over = np.where(income >= upper, 2, np.where(income >= limit, 1, 0))
    return _Homes(
        keys=keys,
        year=keys % span[1] + span[0],
        hh=keys // span[1],
        slot=np.searchsorted(keys, kids.key),
        recipient_row=recipient_row,
        income=income,
        dependants=dependants,
        limit=limit,
        upper=upper,
        over=over,
    )


def _month_index(dates: pd.Series, rows: np.ndarray, missing: int) -> np.ndarray:
    """Month index (year * 12 + month - 1) of ``dates`` at ``rows``; ``missing`` where NaT."""
    values = dates.to_numpy()[rows]
    ok = ~np.isnat(values)
    out = np.full(len(rows), missing, dtype=np.int64)
    stamp = values[ok].astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    out[ok] = stamp + 1970 * 12
    return out


def _months(rules: _Rules, kids: _Kids, residents: pd.DataFrame) -> _Kids:
    """Months of each rule period, split into months under 3 and from 3, within the months the
    child is registered (April to the month of leaving)."""
    at = positions(kids.pid, residents["person_id"].to_numpy(np.int64))
    found = at >= 0
    at = np.where(found, at, 0)
    born = _month_index(residents["birth_date"], at, 0)
    # a child missing from residents is taken as over 3 (no under-3 months)
    born = np.where(found, born, -_FAR)
    left = _month_index(residents["exit_date"], at, _FAR) if "exit_date" in residents else _FAR
    left = np.where(found, left, _FAR)
    start = kids.year * 12 + 3
    paid_end = np.clip(left - start + 1, 0, 12)
    young_end = np.minimum(np.clip(born + rules.under3_months - start + 1, 0, 12), paid_end)
    a = np.clip(rules.upper_from - start, 0, 12)
    r = np.clip(rules.reform_from - start, 0, 12)
    zero = np.zeros_like(start)

    def overlap(p: np.ndarray, q: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.maximum(np.minimum(q, hi) - np.maximum(p, lo), 0)

    months = {
        "p1_young": overlap(zero, a, zero, young_end),
        "p1_old": overlap(zero, a, young_end, paid_end),
        "p2_young": overlap(a, r, zero, young_end),
        "p2_old": overlap(a, r, young_end, paid_end),
        "p3_young": overlap(r, zero + 12, zero, young_end),
        "p3_old": overlap(r, zero + 12, young_end, paid_end),
        "under3": np.clip(born + rules.under3_months - start + 1, 0, 12),
        "old_rule": r,  # months of the fiscal year before the reform
        "april_young": (born + rules.under3_months >= start).astype(np.int64),
    }
    return _Kids(**{**kids.__dict__, "months": months})


@dataclass(frozen=True)
class _Pay:
    """Amounts of each child: per rule period and in April under each rule."""

    old_standard: np.ndarray  # paid under the former rules at the standard amount
    old_special: np.ndarray  # paid as the special payment
    new: np.ndarray  # paid under the reformed rules
    months_standard: np.ndarray
    months_special: np.ndarray
    months_new: np.ndarray
    no_reform: np.ndarray  # what the former rules would have paid in the reformed months
    april_old: np.ndarray
    april_new: np.ndarray


def _old_monthly(rules: _Rules, kids: _Kids, young: bool) -> np.ndarray:
    """Monthly standard amount under the former rules (0 beyond junior high school)."""
    if young:
        return np.where(kids.age <= rules.old_end_age, rules.old_under3, 0.0)
    third = (kids.order_old >= 3) & (kids.age <= rules.primary_end_age)
    return np.where(
        kids.age <= rules.old_end_age, np.where(third, rules.old_third, rules.old_standard), 0.0
    )


def _new_monthly(rules: _Rules, kids: _Kids, young: bool) -> np.ndarray:
    """Monthly amount under the reformed rules (0 beyond high-school age)."""
    base = rules.new_under3 if young else rules.new_standard
    amount = np.where(kids.order_new >= 3, rules.new_third, base)
    return np.where(kids.age <= rules.new_end_age, amount, 0.0)


def _amounts(rules: _Rules, kids: _Kids, homes: _Homes) -> _Pay:
    """Each child's amount month by month: the rule of the month, the age, the limit class."""
    m = kids.months
    over = homes.over[homes.slot]
    special = np.where(kids.age <= rules.old_end_age, rules.special, 0.0)
    std_y, std_o = _old_monthly(rules, kids, True), _old_monthly(rules, kids, False)
    new_y, new_o = _new_monthly(rules, kids, True), _new_monthly(rules, kids, False)
    under = over == 0
    # Until September 2022 everyone above the limit gets the special payment; from October 2022
    # only those below the upper limit.
    p1_special = ~under
    p2_special = over == 1
    std_months_y = np.where(under, m["p1_young"] + m["p2_young"], 0)
    std_months_o = np.where(under, m["p1_old"] + m["p2_old"], 0)
    spc_months = np.where(p1_special, m["p1_young"] + m["p1_old"], 0) + np.where(
        p2_special, m["p2_young"] + m["p2_old"], 0
    )
    old_standard = std_months_y * std_y + std_months_o * std_o
    old_special = spc_months * special
    new = m["p3_young"] * new_y + m["p3_old"] * new_o
    # Counterfactual without the reform: the rules of September 2024 carry on.
    old_as_p2_y = np.where(under, std_y, np.where(p2_special, special, 0.0))
    old_as_p2_o = np.where(under, std_o, np.where(p2_special, special, 0.0))
    no_reform = m["p3_young"] * old_as_p2_y + m["p3_old"] * old_as_p2_o
    young = m["april_young"] > 0
    april_p1 = (kids.year * 12 + 3) < rules.upper_from
    april_class = np.where(april_p1, np.minimum(over, SPECIAL), over)
    april_std = np.where(young, std_y, std_o)
    april_old = np.where(
        april_class == STANDARD, april_std, np.where(april_class == SPECIAL, special, 0.0)
    )
    return _Pay(
        old_standard=old_standard,
        old_special=old_special,
        new=new,
        months_standard=std_months_y * (std_y > 0) + std_months_o * (std_o > 0),
        months_special=spc_months * (special > 0),
        months_new=m["p3_young"] * (new_y > 0) + m["p3_old"] * (new_o > 0),
        no_reform=no_reform,
        april_old=april_old,
        april_new=np.where(young, new_y, new_o),
    )


def _year_status(
    rules: _Rules, year: np.ndarray, over: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The limit status of the year (that of its last month before the reform) and whether any
    month of the year has an income limit."""
    start = year * 12 + 3
    old_months = np.clip(rules.reform_from - start, 0, 12)
    upper_in_force = start + old_months - 1 >= rules.upper_from
    status = np.where(upper_in_force, over, np.minimum(over, SPECIAL))
    return np.where(old_months > 0, status, STANDARD), old_months > 0


def _eligible(rules: _Rules, kids: _Kids) -> np.ndarray:
    """Whether the child's age qualifies in some month of the year (limit status aside)."""
    old_months = kids.months["old_rule"]
    return ((kids.age <= rules.old_end_age) & (old_months > 0)) | (
        (kids.age <= rules.new_end_age) & (old_months < 12)
    )


def _take_up(rules: _Rules, rng: np.random.Generator, homes: _Homes) -> np.ndarray:
    """Whether each household applies: a propensity fixed per household, so the few who do not
    apply tend to stay out."""
    n, code = dense_codes(homes.hh)
    return rng.random(n)[code] < rules.take_up


def _per_home(homes: _Homes, values: np.ndarray, how: str = "sum") -> np.ndarray:
    """Sum or maximum of the children's ``values`` by household."""
    if how == "sum":
        return np.bincount(homes.slot, weights=values, minlength=len(homes.keys))
    out = np.zeros(len(homes.keys))
    np.maximum.at(out, homes.slot, values)
    return out


def _household_table(
    rules: _Rules, ry: pd.DataFrame, kids: _Kids, homes: _Homes, pay: _Pay, taken: np.ndarray
) -> pd.DataFrame:
    """One row per household that receives (or applied for) the allowance in a year."""
    eligible = _eligible(rules, kids)
    n_eligible = _per_home(homes, eligible.astype(float))
    reformed = kids.months["old_rule"] < 12  # the year's last month is under the reformed rules
    order = np.where(reformed, kids.order_new, kids.order_old)
    counted = np.where(reformed, kids.counted_new, kids.counted_old)
    third = _per_home(homes, (eligible & (order >= 3)).astype(float))
    status, applied = _year_status(rules, homes.year, homes.over)
    before = _per_home(homes, pay.old_standard + pay.old_special)
    after = _per_home(homes, pay.new)
    sel = np.flatnonzero((n_eligible > 0) & taken & (homes.recipient_row >= 0))
    rec = homes.recipient_row[sel]
    return pd.DataFrame(
        {
            "fiscal_year": homes.year[sel].astype(np.int16),
            "household_id": homes.hh[sel],
            "person_id": ry["person_id"].to_numpy(np.int64)[rec],
            "district_code": categorical_rows(ry, "district_code", rec),
            "eligible_children": n_eligible[sel].astype(np.int16),
            "counted_children": _per_home(homes, counted, "max")[sel].astype(np.int16),
            "third_plus_children": third[sel].astype(np.int16),
            "limit_income": np.round(homes.income[sel]).astype(np.int64),
            "limit_dependants": homes.dependants[sel].astype(np.int16),
            "income_limit": np.round(homes.limit[sel]).astype(np.int64),
            "upper_income_limit": np.round(homes.upper[sel]).astype(np.int64),
            "limit_status": pd.Categorical.from_codes(status[sel], categories=list(LIMIT_STATUSES)),
            "limit_applied": applied[sel],
            "months_standard": _per_home(homes, pay.months_standard, "max")[sel].astype(np.int16),
            "months_special": _per_home(homes, pay.months_special, "max")[sel].astype(np.int16),
            "months_reformed": _per_home(homes, pay.months_new, "max")[sel].astype(np.int16),
            "amount_before_reform": np.round(before[sel]).astype(np.int64),
            "amount_after_reform": np.round(after[sel]).astype(np.int64),
            "allowance_annual": np.round(before[sel] + after[sel]).astype(np.int64),
        }
    )


def _children_table(
    rules: _Rules, kids: _Kids, homes: _Homes, pay: _Pay, taken: np.ndarray
) -> pd.DataFrame:
    """One row per child paid in a year."""
    annual = pay.old_standard + pay.old_special + pay.new
    old_months = pay.months_standard + pay.months_special
    sel = np.flatnonzero(taken[homes.slot] & (homes.recipient_row[homes.slot] >= 0) & (annual > 0))
    period = np.where(old_months > 0, np.where(pay.months_new > 0, 1, 0), 2)
    return pd.DataFrame(
        {
            "fiscal_year": kids.year[sel].astype(np.int16),
            "person_id": kids.pid[sel],
            "household_id": homes.hh[homes.slot[sel]],
            "age": kids.age[sel].astype(np.int16),
            "birth_order": kids.order_old[sel].astype(np.int16),
            "birth_order_reform": kids.order_new[sel].astype(np.int16),
            "months_under3": kids.months["under3"][sel].astype(np.int16),
            "months_paid": (old_months + pay.months_new)[sel].astype(np.int16),
            "monthly_old_rule": np.round(pay.april_old[sel]).astype(np.int64),
            "monthly_new_rule": np.round(pay.april_new[sel]).astype(np.int64),
            "allowance_annual": np.round(annual[sel]).astype(np.int64),
            "rule_period": pd.Categorical.from_codes(period[sel], categories=list(RULE_PERIODS)),
        }
    )


def _truth(
    rules: _Rules,
    households: pd.DataFrame,
    kids: _Kids,
    homes: _Homes,
    pay: _Pay,
    taken: np.ndarray,
) -> dict:
    """Counts by limit status and the reform's effect on the amounts, by fiscal year."""
    paid = taken[homes.slot] & (homes.recipient_row[homes.slot] >= 0)
    eligible_home = _per_home(homes, _eligible(rules, kids).astype(float)) > 0
    actual = np.where(paid, pay.old_standard + pay.old_special + pay.new, 0.0)
    without = np.where(paid, pay.old_standard + pay.old_special + pay.no_reform, 0.0)
    out: dict = {
        "note": "Amounts follow the rules of each month; the counterfactual carries the rules of "
        "September 2024 on after the reform (same children, same take-up).",
        "take_up": rules.take_up,
        "by_year": {},
    }
    for year in np.unique(kids.year):
        at = kids.year == year
        homes_at = homes.year == year
        rows = households[households["fiscal_year"] == year]
        out["by_year"][int(year)] = {
            "eligible_households": int(np.sum(eligible_home & homes_at)),
            "households": int(len(rows)),
            "households_by_status": {
                s: int((rows["limit_status"] == s).sum()) for s in LIMIT_STATUSES
            },
            "children_paid": int(np.sum(at & (actual > 0))),
            "high_school_age_paid": int(np.sum(at & (actual > 0) & (kids.age > rules.old_end_age))),
            "amount": int(round(actual[at].sum())),
            "amount_without_reform": int(round(without[at].sum())),
            "reform_effect": int(round(actual[at].sum() - without[at].sum())),
        }
    return out
