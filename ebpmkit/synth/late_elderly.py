"""Late-stage elderly medical care (後期高齢者医療制度): the insured, premiums and claims.

Everyone aged ``nhi.late_stage_age`` (75) or over on 1 April is insured here and no longer in
``nhi`` (those aged 65-74 with a disability who may join are not modelled). Two tables:

- ``late_elderly``: one row per insured person and fiscal year. The premium is a per-capita
  part (均等割), reduced by 7割, 5割 or 2割 when the household's total income (the head's and
  the insured members') is at or below the year's lines, plus an income part (所得割: a rate
  times total income minus the basic deduction), capped; rates change every two years
  (assumptions near the national average). The co-payment ratio is 1割; 3割 for households
  with an insured member whose taxable income is ¥1.45M or more (現役並み所得, unless revenue is
  under the lines); from October 2022 2割 for the middle group (FY2022 is half 1割, half 2割).
- ``late_elderly_claims``: one row per insured person and fiscal year with the year's medical
  cost, drawn like :mod:`ebpmkit.synth.nhi` draws it (``nhi.cost.band_means`` smoothed with
  :func:`ebpmkit.synth.nhi.age_means`, the zero share, the log spread and the persistence of
  ``nhi.cost``), visits, inpatient days, and the patient's co-payment under an annual ceiling.

Examples
--------
>>> import ebpmkit.synth.late_elderly as le
>>> sorted(le.TABLES)
['late_elderly', 'late_elderly_claims']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit.synth._elderly import (
    ElderlyRows,
    check_schedule,
    elderly_rows,
    judged_income,
    schedule_index,
)
from ebpmkit.synth._keys import categorical_rows, dense_codes
from ebpmkit.synth.columns import person_year_columns, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.nhi import age_means
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "COLUMNS",
    "COPAY_CLASSES",
    "PARAMETERS",
    "REDUCTIONS",
    "ROLES",
    "TABLES",
    "check_profile",
    "middle_months",
    "simulate",
]

REDUCTIONS = ("なし", "2割", "5割", "7割")
COPAY_CLASSES = ("1割", "2割", "3割")

TABLES = {
    "late_elderly": "後期高齢者医療制度の被保険者(75歳以上、年度・被保険者ごと1行):保険料(均等割・所得割・軽減)"
    "と窓口負担割合。保険料率は全国平均に近い仮定値",
    "late_elderly_claims": "後期高齢者医療の医療費(年度・被保険者ごと1行):医療費、受診回数、入院日数、窓口負担。"
    "年齢別の平均は全国の一人当たり医療費、ばらつきと入院は仮定",
}

_T = "late_elderly"
_C = "late_elderly_claims"
_P = "late_elderly."
_A = "(仮定値に基づく)"
COLUMNS = [
    *person_year_columns(
        _T,
        year="4月1日時点で後期高齢者医療制度に加入している年度",
        age="4月1日時点の年齢(75歳以上。国保の表には含まれない)",
    ),
    Column(
        _T,
        "household_taxed",
        "bool",
        "世帯課税",
        "household taxed",
        "",
        "同じ年度に世帯(住民基本台帳の世帯)の誰かが住民税を課税されている(均等割か所得割がある)",
    ),
    Column(
        _T,
        "total_income",
        "int64",
        "合計所得金額",
        "total income",
        "円",
        "前年の合計所得金額(income_tax から)",
    ),
    Column(
        _T,
        "taxable_income",
        "int64",
        "課税総所得金額(住民税)",
        "taxable income (resident tax)",
        "円",
        "前年の所得による住民税の課税所得(income_tax から)。窓口負担割合の判定に使う",
    ),
    Column(
        _T,
        "income_base",
        "int64",
        "所得割の基礎となる所得",
        "income base",
        "円",
        "合計所得金額から基礎控除(2020年度まで33万円、2021年度から43万円)を引いた額(0未満は0)",
    ),
    Column(
        _T,
        "insured_in_household",
        "int16",
        "世帯の被保険者数",
        "insured in household",
        "人",
        "同じ世帯で後期高齢者医療制度に加入している人の数",
    ),
    Column(
        _T,
        "reduction_income",
        "int64",
        "軽減判定所得",
        "income judged for the reduction",
        "円",
        "世帯主と世帯の被保険者の合計所得金額の合計。均等割の軽減の判定に使う"
        "(年金の15万円特別控除などは省略)",
    ),
    Column(
        _T,
        "per_capita_reduction",
        "category",
        "均等割の軽減",
        "per-capita reduction",
        "",
        "なし・2割・5割・7割。判定の基準額は年度ごと(9割・8.5割の特例軽減と、"
        "給与・年金所得者が複数いるときの加算は省略)",
    ),
    Column(
        _T,
        "per_capita_part",
        "int64",
        "均等割額",
        "per-capita part",
        "円",
        f"均等割(軽減後、1円未満切捨て)。2年ごとの率は全国平均に近い値{_A}",
    ),
    Column(
        _T,
        "income_part",
        "int64",
        "所得割額",
        "income part",
        "円",
        f"所得割の基礎となる所得×所得割率(1円未満切捨て){_A}",
    ),
    Column(
        _T,
        "premium_capped",
        "bool",
        "賦課限度額の適用",
        "premium capped",
        "",
        "均等割と所得割の合計が賦課限度額を超え、限度額で打ち切った",
    ),
    Column(
        _T,
        "annual_premium",
        "int64",
        "保険料(年額)",
        "annual premium",
        "円",
        "均等割額+所得割額(賦課限度額まで)",
    ),
    Column(
        _T,
        "copay_class",
        "category",
        "負担割合",
        "co-payment class",
        "",
        "年度末(3月)時点の窓口負担割合: 1割・2割(2022年10月から)・3割(現役並み所得)",
    ),
    Column(
        _T,
        "copay_ratio",
        "float64",
        "負担割合(年度平均)",
        "co-payment ratio",
        "割合(0～1)",
        "年度を通した窓口負担の割合。2022年度に2割になった人は4〜9月が1割、10〜3月が2割で0.15",
    ),
    shared("fiscal_year", _C, "医療費の年度"),
    shared("person_id", _C, "住民を識別する番号(residents と結合可)"),
    shared("household_id", _C, "その年度4月1日時点の世帯"),
    shared("age", _C, "4月1日時点の年齢(75歳以上)"),
    shared("district_code", _C, "その年度4月1日時点の住所の住区"),
    Column(
        _C,
        "medical_cost",
        "int64",
        "医療費(年額)",
        "annual medical cost",
        "円",
        "年間の医療費総額(10割)。年齢別の平均は令和元年度の全制度の一人当たり医療費"
        f"(5歳階級の値を年齢でなめらかにつないだもの、国保と同じ)。ばらつき・0円の割合は仮定{_A}",
    ),
    Column(
        _C,
        "visits",
        "int32",
        "受診回数",
        "visits",
        "回",
        f"年間の外来の受診回数(入院以外の医療費と相関、関係式は国保と同じ仮定){_A}",
    ),
    Column(
        _C,
        "inpatient_days",
        "int32",
        "入院日数",
        "inpatient days",
        "日",
        f"年間の入院日数(365日まで)。医療費の高い人ほど入院があった(入院の割合と1日あたりの医療費は仮定){_A}",
    ),
    Column(
        _C,
        "patient_copay",
        "int64",
        "窓口負担額",
        "patient co-payment",
        "円",
        "医療費×負担割合(年度平均)を、高額療養費の月の限度額×12か月で打ち切った額(仮定)",
    ),
    Column(
        _C,
        "high_cost_refund",
        "int64",
        "高額療養費",
        "high-cost refund",
        "円",
        "医療費×負担割合のうち、限度額を超えて払い戻された額",
    ),
    Column(
        _C,
        "insurer_paid",
        "int64",
        "給付額",
        "benefit paid",
        "円",
        "医療費から窓口負担額を引いた額(制度が負担)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Medical
#: information is special-care information; the premium follows from the resident tax.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "late_elderly": {"id": ("person_id", "household_id")},
    "late_elderly_claims": {
        "id": ("person_id", "household_id"),
        "sensitive": (
            "medical_cost",
            "visits",
            "inpatient_days",
            "patient_copay",
            "high_cost_refund",
            "insurer_paid",
        ),
    },
}

_R = _P + "reduction."
_Y = _P + "copay."
_K = _P + "claims."
_YEN = "円(1年あたり)"
PARAMETERS = [
    Param(
        _P + "period_starts",
        kind="numbers",
        low=1990,
        high=2100,
        when="listed",
        ja="保険料率を定める2年ごとの期間の最初の年度。per_capita・income_rate・cap はこの順に並べる",
        unit="年度",
    ),
    Param(
        _P + "per_capita",
        kind="numbers",
        low=0,
        when="listed",
        ja="期ごとの保険料の均等割(被保険者1人あたり)",
        unit=_YEN,
    ),
    Param(
        _P + "income_rate",
        kind="numbers",
        low=0,
        high=1,
        when="listed",
        ja="期ごとの保険料の所得割率",
        unit="割合(0～1)",
    ),
    Param(
        _P + "cap", kind="numbers", low=0, when="listed", ja="期ごとの保険料の賦課限度額", unit=_YEN
    ),
    Param(
        _P + "basic_deduction_from",
        kind="numbers",
        low=1990,
        high=2100,
        when="listed",
        ja="所得割の基礎から引く基礎控除の額が変わる年度",
        unit="年度",
    ),
    Param(
        _P + "basic_deduction",
        kind="numbers",
        low=0,
        when="listed",
        ja="所得割の基礎となる所得を求めるとき合計所得金額から引く額",
        unit="円",
    ),
    Param(
        _R + "years",
        kind="numbers",
        low=1990,
        high=2100,
        when="listed",
        ja="均等割の軽減の判定基準が変わる年度。base_line などはこの順に並べる(後の年度は最後の値)",
        unit="年度",
    ),
    Param(
        _R + "base_line",
        kind="numbers",
        low=0,
        when="listed",
        ja="7割軽減となる世帯の所得の上限(5割・2割の基準の土台にもなる)",
        unit="円",
    ),
    Param(
        _R + "per_insured_5",
        kind="numbers",
        low=0,
        when="listed",
        ja="5割軽減の基準で、被保険者1人ごとに加える額",
        unit="円(1人あたり)",
    ),
    Param(
        _R + "per_insured_2",
        kind="numbers",
        low=0,
        when="listed",
        ja="2割軽減の基準で、被保険者1人ごとに加える額",
        unit="円(1人あたり)",
    ),
    Param(
        _R + "shares",
        kind="numbers",
        low=0,
        high=1,
        length=3,
        ja="均等割の軽減の割合(7割・5割・2割の順)",
        unit="割合(0～1)",
    ),
    Param(
        _Y + "active_taxable_line",
        low=0,
        ja="この額以上の課税所得の被保険者がいる世帯は現役並み所得(3割負担)",
        unit="円",
    ),
    Param(
        _Y + "active_revenue_lines",
        kind="numbers",
        low=0,
        length=2,
        ja="収入がこれ未満なら現役並み所得としない(世帯の被保険者が1人のとき、2人以上のとき)",
        unit="円",
    ),
    Param(
        _Y + "middle_from",
        kind="numbers",
        low=1,
        high=2100,
        length=2,
        ja="一定以上所得の人の2割負担が始まる年と月",
        unit="年・月",
    ),
    Param(
        _Y + "middle_taxable_line",
        low=0,
        ja="この額以上の課税所得の被保険者がいる世帯が2割負担の候補",
        unit="円",
    ),
    Param(
        _Y + "middle_income_lines",
        kind="numbers",
        low=0,
        length=2,
        ja="年金収入等がこの額以上なら2割負担(世帯の被保険者が1人のとき、2人以上のときは合計)",
        unit="円",
    ),
    Param(
        _Y + "ratios",
        kind="numbers",
        low=0,
        high=1,
        length=3,
        ja="窓口負担の割合(1割・2割・3割の順)",
        unit="割合(0～1)",
    ),
    Param(
        _Y + "annual_ceilings",
        kind="numbers",
        low=0,
        length=3,
        ja="窓口負担の年間の上限(住民税非課税世帯、一般・2割、現役並み所得の順)",
        unit=_YEN,
    ),
    Param(
        _K + "stay_mid_cost", low=1, ja="年間の医療費がこの額の人の半数に入院があった", unit=_YEN
    ),
    Param(
        _K + "stay_slope",
        low=0,
        high=10,
        ja="医療費(対数)が増えたときの入院があった割合の上がり方",
        unit="係数(対数1あたり)",
    ),
    Param(
        _K + "inpatient_share",
        low=0,
        high=1,
        ja="入院があった人の年間の医療費のうち入院の分の割合",
        unit="割合(0～1)",
    ),
    Param(_K + "inpatient_day_cost", low=1, ja="入院1日あたりの医療費", unit="円"),
]


def check_profile(profile: Profile) -> None:
    """The period and yearly lists agree with their first years."""
    check_schedule(
        profile, _P + "period_starts", tuple(_P + k for k in ("per_capita", "income_rate", "cap"))
    )
    check_schedule(profile, _P + "basic_deduction_from", (_P + "basic_deduction",))
    check_schedule(
        profile,
        _R + "years",
        tuple(_R + k for k in ("base_line", "per_insured_5", "per_insured_2")),
    )


def middle_months(year: np.ndarray, start_year: int, start_month: int) -> np.ndarray:
    """Months of each fiscal year (April-March) at or after a calendar month (year, month).

    Examples
    --------
    >>> middle_months(np.array([2021, 2022, 2023]), 2022, 10).tolist()
    [0, 6, 12]
    """
    start_fy = start_year if start_month >= 4 else start_year - 1
    within = 12 - (start_month - 4) % 12
    year = np.asarray(year)
    return np.where(year < start_fy, 0, np.where(year > start_fy, 12, within))


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``late_elderly`` and ``late_elderly_claims`` from the register and income_tax.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2024]), "person_id": [1], "age": np.int16([80]),
    ...     "sex": ["女性"], "household_id": [4], "relationship": ["世帯主"], "district_code": ["D01"]})
    >>> ctx.tables["income_tax"] = pd.DataFrame({
    ...     "fiscal_year": [2024], "person_id": [1], "pension_revenue": [700_000],
    ...     "total_income": [0], "taxable_income": [0], "resident_tax": [0]})
    >>> out = simulate(ctx)["late_elderly"]
    >>> out[["per_capita_reduction", "annual_premium", "copay_class"]].values.tolist()
    [['7割', 15116, '1割']]
    """
    prof = ctx.profile
    rng = ctx.rng("late_elderly")
    ry = ctx.tables["resident_years"]
    old = elderly_rows(ry, ctx.tables["income_tax"], int(prof.number("nhi.late_stage_age")))
    insured = np.bincount(old.group, minlength=old.n_groups)[old.group]
    prem = _premiums(prof, old, insured)
    copay = _copay(prof, old, insured)
    claims = _claims(prof, rng, ry, old, copay)
    table = _member_frame(ry, old, insured, prem, copay)
    ctx.truth["late_elderly"] = _truth(table)
    return {"late_elderly": table, "late_elderly_claims": _claims_frame(ry, old, claims)}


def _premiums(prof: Profile, old: ElderlyRows, insured: np.ndarray) -> dict[str, np.ndarray]:
    """Per-capita part after the household's reduction, income part, cap and premium."""
    k = schedule_index(prof.numbers(_P + "period_starts"), old.year)
    d = schedule_index(prof.numbers(_P + "basic_deduction_from"), old.year)
    base = np.maximum(old.total - prof.numbers(_P + "basic_deduction")[d], 0.0)
    # The household's income: the insured members' and the head's, once (the head may be
    # younger and not insured).
    group_total = np.bincount(old.group, weights=old.total, minlength=old.n_groups)[old.group]
    head_outside = old.head_age < int(prof.number("nhi.late_stage_age"))
    judged = group_total + np.where(head_outside, old.head_total, 0.0)
    r = schedule_index(prof.numbers(_R + "years"), old.year)
    line = prof.numbers(_R + "base_line")[r]
    lines = np.column_stack(
        [
            line,
            line + prof.numbers(_R + "per_insured_5")[r] * insured,
            line + prof.numbers(_R + "per_insured_2")[r] * insured,
        ]
    )
    # 0: 7割 (at or below the first line), 1: 5割, 2: 2割, 3: none.
    level = (judged[:, None] > lines).sum(axis=1)
    share = np.append(prof.numbers(_R + "shares", length=3), 0.0)[level]
    per_capita = np.floor(prof.numbers(_P + "per_capita")[k] * (1 - share) + 1e-6)
    income_part = np.floor(prof.numbers(_P + "income_rate")[k] * base + 1e-6)
    cap = prof.numbers(_P + "cap")[k]
    raw = per_capita + income_part
    return {
        "base": base,
        "judged": judged,
        "reduction": 3 - level,  # index into REDUCTIONS
        "per_capita": per_capita,
        "income_part": income_part,
        "capped": raw > cap,
        "premium": np.minimum(raw, cap),
    }


def _copay(prof: Profile, old: ElderlyRows, insured: np.ndarray) -> dict[str, np.ndarray]:
    """Co-payment class at the fiscal year's end and the ratio averaged over the year."""
    g, n = old.group, old.n_groups
    many = insured >= 2

    def any_in_household(flag: np.ndarray) -> np.ndarray:
        return np.bincount(g[flag], minlength=n).astype(bool)[g]

    def household_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(g, weights=values, minlength=n)[g]

    rev_lines = prof.numbers(_Y + "active_revenue_lines", length=2)
    revenue = np.where(many, household_sum(old.revenue), old.revenue)
    active = any_in_household(old.taxable >= prof.number(_Y + "active_taxable_line")) & (
        revenue >= np.where(many, rev_lines[1], rev_lines[0])
    )
    inc_lines = prof.numbers(_Y + "middle_income_lines", length=2)
    judged = judged_income(old)
    judged = np.where(many, household_sum(judged), judged)
    middle = (
        ~active
        & any_in_household(old.taxable >= prof.number(_Y + "middle_taxable_line"))
        & (judged >= np.where(many, inc_lines[1], inc_lines[0]))
    )
    start_year, start_month = prof.numbers(_Y + "middle_from", length=2).astype(int)
    months = np.where(middle, middle_months(old.year, start_year, start_month), 0)
    r1, r2, r3 = prof.numbers(_Y + "ratios", length=3)
    ratio = np.where(active, r3, r1 + (r2 - r1) * months / 12)
    klass = np.where(active, 2, np.where(months > 0, 1, 0))
    # Ceiling: households exempt from resident tax, general (1割 and 2割), 現役並み.
    tier = np.where(active, 2, np.where(old.household_taxed, 1, 0))
    return {"class": klass, "ratio": ratio, "tier": tier}


@dataclass(frozen=True)
class _Claims:
    cost: np.ndarray
    visits: np.ndarray
    days: np.ndarray
    copay: np.ndarray
    refund: np.ndarray


def _claims(
    prof: Profile,
    rng: np.random.Generator,
    ry: pd.DataFrame,
    old: ElderlyRows,
    copay: dict[str, np.ndarray],
) -> _Claims:
    """Medical cost as nhi draws it, inpatient stays by cost, visits and the co-payment."""
    n = len(old.rows)
    n_persons, person_all = dense_codes(ry["person_id"].to_numpy(np.int64), compact=False)
    z_person = rng.standard_normal(n_persons)[person_all[old.rows]]
    means = age_means(prof.numbers("nhi.cost.band_means", low=0, length=20) * 10_000)
    mean = means[np.minimum(old.age, len(means) - 1)]
    p_zero = np.interp(
        old.age, prof.numbers("nhi.cost.zero_share_ages"), prof.numbers("nhi.cost.zero_share")
    )
    sd, rho = prof.number("nhi.cost.log_sd"), prof.number("nhi.cost.persistence")
    # Log-normal with the zero share taken out, so the expected cost is the age's mean.
    mu = np.log(mean / (1 - p_zero)) - sd**2 / 2
    x = np.sqrt(rho) * z_person + np.sqrt(1 - rho) * rng.standard_normal(n)
    positive = rng.random(n) >= p_zero
    cost = np.where(positive, np.maximum(np.round(np.exp(mu + sd * x) / 10), 1) * 10, 0.0)

    logit = prof.number(_K + "stay_slope") * (
        np.log(np.maximum(cost, 1.0)) - np.log(prof.number(_K + "stay_mid_cost"))
    )
    stay = positive & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    inpatient = np.where(stay, cost * prof.number(_K + "inpatient_share"), 0.0)
    # A stay lasts at least a day and at most the year.
    days = np.where(
        stay,
        np.clip(np.round(inpatient / prof.number(_K + "inpatient_day_cost")), 1, 365),
        0,
    )
    outpatient = cost - inpatient
    lam = np.exp(
        prof.number("nhi.cost.visit_elasticity")
        * np.log(np.maximum(outpatient, 1.0) / prof.number("nhi.cost.visit_cost_unit"))
    )
    visits = np.where(outpatient > 0, np.maximum(rng.poisson(lam), 1), 0)

    owed = np.floor(cost * copay["ratio"] + 1e-6)
    ceiling = prof.numbers(_Y + "annual_ceilings", length=3)[copay["tier"]]
    paid = np.minimum(owed, ceiling)
    return _Claims(
        cost=cost.astype(np.int64),
        visits=visits.astype(np.int32),
        days=days.astype(np.int32),
        copay=paid.astype(np.int64),
        refund=(owed - paid).astype(np.int64),
    )


def _member_frame(
    ry: pd.DataFrame,
    old: ElderlyRows,
    insured: np.ndarray,
    prem: dict[str, np.ndarray],
    copay: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The ``late_elderly`` table."""
    return pd.DataFrame(
        {
            "fiscal_year": old.year.astype(np.int16),
            "person_id": old.pid,
            "household_id": old.hh,
            "age": old.age.astype(np.int16),
            "sex": categorical_rows(ry, "sex", old.rows),
            "district_code": categorical_rows(ry, "district_code", old.rows),
            "household_taxed": old.household_taxed,
            "total_income": old.total.astype(np.int64),
            "taxable_income": old.taxable.astype(np.int64),
            "income_base": prem["base"].astype(np.int64),
            "insured_in_household": insured.astype(np.int16),
            "reduction_income": prem["judged"].astype(np.int64),
            "per_capita_reduction": pd.Categorical.from_codes(
                prem["reduction"], categories=list(REDUCTIONS), ordered=True
            ),
            "per_capita_part": prem["per_capita"].astype(np.int64),
            "income_part": prem["income_part"].astype(np.int64),
            "premium_capped": prem["capped"],
            "annual_premium": prem["premium"].astype(np.int64),
            "copay_class": pd.Categorical.from_codes(
                copay["class"], categories=list(COPAY_CLASSES), ordered=True
            ),
            "copay_ratio": copay["ratio"],
        }
    )


def _claims_frame(ry: pd.DataFrame, old: ElderlyRows, claims: _Claims) -> pd.DataFrame:
    """The ``late_elderly_claims`` table."""
    return pd.DataFrame(
        {
            "fiscal_year": old.year.astype(np.int16),
            "person_id": old.pid,
            "household_id": old.hh,
            "age": old.age.astype(np.int16),
            "district_code": categorical_rows(ry, "district_code", old.rows),
            "medical_cost": claims.cost,
            "visits": claims.visits,
            "inpatient_days": claims.days,
            "patient_copay": claims.copay,
            "high_cost_refund": claims.refund,
            "insurer_paid": claims.cost - claims.copay,
        }
    )


def _truth(table: pd.DataFrame) -> dict:
    """Shares of each reduction and co-payment class by year."""

    def shares(column: str) -> dict:
        counts = pd.crosstab(table["fiscal_year"], table[column], normalize="index")
        return {
            int(y): {str(c): round(float(v), 4) for c, v in row.items()}
            for y, row in counts.iterrows()
        }

    return {
        "reduction_shares": shares("per_capita_reduction"),
        "copay_class_shares": shares("copay_class"),
        "note": (
            "Premium rates are assumptions near the national average of each two-year period; "
            "the special 9割/8.5割 reductions, the earner addition to the reduction lines and "
            "the 2022-25 outpatient relief for the 2割 group are not modelled."
        ),
    }
