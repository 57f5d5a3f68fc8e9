"""National health insurance (国民健康保険): who is enrolled, premiums, payment and medical cost.

One row per enrolled person per fiscal year. Enrolment follows the household: employee-insured
workers (regular workers, and a calibrated share of non-regular workers) cover low-income members
of their household as dependants; everyone else under 75 (the self-employed, pensioners, the
non-employed and their families) is in NHI, apart from a few covered elsewhere. The share of
non-regular workers with employee insurance is solved so that enrolment meets the profile's
``nhi.enrolment_share``. Premiums follow the 23-ward FY2023 formula with caps per household;
arrears are drawn so the amount collected meets ``nhi.collection_rate``; medical cost follows the
national per-person cost by age (smoothed across the 5-year bands) with a heavy right tail.

The child medical subsidy (子ども医療費助成) covers children aged under
``nhi.child_subsidy.end_age`` on 1 April: their cost and visits are higher (the effect sizes are
assumptions), so both jump down at the end age while the age profile is smooth elsewhere; the
true effect at the cutoff is in ``ctx.truth["nhi"]["child_subsidy"]``. Jobless residents of
school age (under the first of ``nhi.student_ages``) are insured with their household, so NHI
enrolment has no break at 15. :mod:`ebpmkit.synth.health_guidance` later lowers the next year's
cost of those who took specific health guidance.

Examples
--------
>>> import ebpmkit.synth.nhi as nhi
>>> sorted(nhi.TABLES)
['nhi']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit.synth._keys import categorical_rows, dense_codes, pair_key, positions
from ebpmkit.synth.columns import person_year_columns
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = [
    "COLUMNS",
    "PARAMETERS",
    "ROLES",
    "TABLES",
    "age_means",
    "premium_components",
    "simulate",
]

TABLES = {
    "nhi": "国民健康保険の被保険者(年度・被保険者ごと1行):保険料、納付額、医療費、受診回数",
}

_T = "nhi"
COLUMNS = [
    *person_year_columns(
        _T,
        year="4月1日時点で国保に加入している年度",
        age="4月1日時点の年齢。75歳以上は後期高齢者医療制度に移るため含まない",
    ),
    Column(
        _T,
        "premium",
        "int64",
        "保険料(年額)",
        "annual premium",
        "円",
        "23区の令和5年度算定式(医療分・支援金分・40〜64歳の介護分、賦課限度額は世帯単位)を全年度に適用し、"
        "世帯の保険料を加入者ごとに按分した額。軽減措置は省略(仮定)",
    ),
    Column(
        _T,
        "premium_paid",
        "int64",
        "保険料納付額",
        "premium paid",
        "円",
        "年度内に納付された額。収納率がプロフィールの目標(東京都91.5%など)になるよう滞納を設定(滞納の分布は仮定)",
    ),
    Column(
        _T,
        "medical_cost",
        "int64",
        "医療費(年額)",
        "annual medical cost",
        "円",
        "年間の医療費総額(10割)。年齢別の平均は令和元年度の全制度の一人当たり医療費(5歳階級の値を年齢でなめらかにつないだもの)、"
        "ばらつき・0円の割合は仮定。子ども医療費助成の対象年齢の子どもと、特定保健指導を受けた翌年度の人は、その影響を含む(影響の大きさは仮定)",
    ),
    Column(
        _T,
        "visits",
        "int32",
        "受診回数",
        "visits",
        "回",
        "年間の受診回数(医療費と相関、関係式は仮定)。子ども医療費助成の対象年齢の子どもは、その影響を含む(影響の大きさは仮定)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Age, sex and
#: district are quasi-identifiers here too, but the pseudonymized variant reaches k only on the
#: registers in population.py; medical information is special-care information.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "nhi": {"id": ("person_id", "household_id"), "sensitive": ("medical_cost", "visits")},
}

PARAMETERS = [
    Param(
        "nhi.enrolment_share",
        low=0.01,
        high=0.9,
        ja="住民のうち国民健康保険に加入する人の割合。非正規雇用の人が勤め先の保険に入る割合を調整して、これに合わせる",
        unit="割合(0～1)",
    ),
    Param("nhi.collection_rate", low=0.5, high=1.0, ja="国民健康保険料の収納率", unit="割合(0～1)"),
    Param(
        "nhi.late_stage_age",
        low=60,
        high=90,
        ja="この年齢から国民健康保険を離れ、後期高齢者医療制度に移る",
        unit="歳",
    ),
    Param(
        "nhi.dependant_revenue_limit",
        low=0,
        ja="健康保険の被扶養者になれる年収の上限(60歳未満)",
        unit="円(1年あたり)",
    ),
    Param(
        "nhi.dependant_revenue_limit_60",
        low=0,
        ja="健康保険の被扶養者になれる年収の上限(60歳以上)",
        unit="円(1年あたり)",
    ),
    Param(
        "nhi.jobless_enrol_share",
        low=0,
        high=1,
        ja="働いていない25～64歳のうち国民健康保険に入る人の割合(残りは任意継続など)",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.student_enrol_share",
        low=0,
        high=1,
        ja="働いていない学生の年齢(nhi.student_ages)の人のうち国民健康保険に入る人の割合",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.student_ages",
        kind="numbers",
        low=0,
        high=120,
        length=2,
        ja="学生とみなす年齢の下限と上限",
        unit="歳",
    ),
    Param(
        "nhi.child_subsidy.end_age",
        low=1,
        high=30,
        ja="子ども医療費助成の対象は、4月1日にこの年齢未満の子。医療費のこの年齢での段差が回帰不連続デザインの題材になる",
        unit="歳",
    ),
    Param(
        "nhi.child_subsidy.cost_effect",
        low=0,
        high=5,
        ja="助成の対象の子の医療費が増える割合(真の効果)",
        unit="割合",
    ),
    Param(
        "nhi.child_subsidy.visit_effect",
        low=0,
        high=5,
        ja="助成の対象の子の受診回数が増える割合(真の効果)",
        unit="割合",
    ),
    Param(
        "nhi.nonregular_insured_range",
        kind="numbers",
        low=0,
        high=1,
        length=2,
        ja="非正規雇用のうち勤め先の健康保険に入る人の割合の範囲(下限と上限)",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.premium.medical_per_head",
        low=0,
        ja="保険料の医療分の均等割(加入者1人あたり)",
        unit="円(1年あたり)",
    ),
    Param("nhi.premium.medical_rate", low=0, ja="保険料の医療分の所得割の率", unit="割合(0～1)"),
    Param("nhi.premium.medical_cap", low=0, ja="保険料の医療分の賦課限度額", unit="円(1年あたり)"),
    Param(
        "nhi.premium.support_per_head",
        low=0,
        ja="保険料の後期高齢者支援金分の均等割",
        unit="円(1年あたり)",
    ),
    Param(
        "nhi.premium.support_rate",
        low=0,
        ja="保険料の後期高齢者支援金分の所得割の率",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.premium.support_cap",
        low=0,
        ja="保険料の後期高齢者支援金分の賦課限度額",
        unit="円(1年あたり)",
    ),
    Param(
        "nhi.premium.care_per_head",
        low=0,
        ja="保険料の介護分の均等割(nhi.premium.care_ages の加入者だけ)",
        unit="円(1年あたり)",
    ),
    Param("nhi.premium.care_rate", low=0, ja="保険料の介護分の所得割の率", unit="割合(0～1)"),
    Param("nhi.premium.care_cap", low=0, ja="保険料の介護分の賦課限度額", unit="円(1年あたり)"),
    Param(
        "nhi.premium.basic_deduction",
        low=0,
        ja="所得割の基礎になる所得から引く基礎控除の額",
        unit="円",
    ),
    Param(
        "nhi.premium.care_ages",
        kind="numbers",
        low=0,
        high=120,
        length=2,
        ja="介護分を納める加入者の年齢の下限と上限(介護保険の第2号被保険者)",
        unit="歳",
    ),
    Param(
        "nhi.payment.unpaid_share",
        low=0,
        high=1,
        ja="滞納する世帯のうち、その年度に全く納めない世帯の割合(残りは一部を納める)",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.payment.persistence",
        low=0,
        high=1,
        ja="前年度に滞納した世帯が翌年度も滞納しやすい度合い",
        unit="相関(0～1)",
    ),
    Param(
        "nhi.payment.income_effect",
        low=0,
        high=5,
        ja="所得の低い世帯ほど滞納しやすい度合い",
        unit="係数(対数所得の1標準偏差あたり)",
    ),
    Param(
        "nhi.payment.young_effect",
        low=0,
        high=5,
        ja="加入者が40歳未満の世帯ほど滞納しやすい度合い",
        unit="係数(加入者がみな40歳未満のとき)",
    ),
    Param(
        "nhi.cost.band_means",
        kind="numbers",
        low=0,
        length=20,
        ja="年齢5歳階級(20階級)ごとの1人1年あたりの医療費の平均",
        unit="万円(1年あたり)",
    ),
    Param(
        "nhi.cost.zero_share_ages",
        kind="numbers",
        low=0,
        high=120,
        ja="1年間に医療費が0円の人の割合を与える年齢(間の年齢は直線で補う)",
        unit="歳",
    ),
    Param(
        "nhi.cost.zero_share",
        kind="numbers",
        low=0,
        high=0.95,
        ja="zero_share_ages の各年齢で、1年間に医療費が0円の人の割合",
        unit="割合(0～1)",
    ),
    Param(
        "nhi.cost.log_sd",
        low=0.05,
        high=3,
        ja="医療費のばらつき(対数の標準偏差)。大きいほど一部の人に医療費が集中する",
        unit="対数の標準偏差",
    ),
    Param(
        "nhi.cost.persistence",
        low=0,
        high=0.99,
        ja="同じ人の医療費の年度間の相関(対数)",
        unit="相関(0～1)",
    ),
    Param(
        "nhi.cost.visit_cost_unit", low=1, ja="医療費の少ない人で、受診1回あたりの医療費", unit="円"
    ),
    Param(
        "nhi.cost.visit_elasticity",
        low=0,
        high=1.5,
        ja="医療費が増えたときの受診回数の増え方(弾力性、1未満なら医療費ほどには増えない)",
        unit="弾力性",
    ),
]

# Employment codes used internally (income_tax.employment labels).
_REGULAR, _NONREGULAR, _SELF, _PENSION, _JOBLESS, _CHILD = range(6)
_EMPLOYMENT = {
    "正規雇用": _REGULAR,
    "非正規雇用": _NONREGULAR,
    "自営業": _SELF,
    "年金": _PENSION,
    "無職": _JOBLESS,
}


# -- small vectorised helpers ---------------------------------------------------------------------
def _aligned(
    year: np.ndarray, pid: np.ndarray, age: np.ndarray, it_year: np.ndarray, it_pid: np.ndarray
) -> np.ndarray | None:
    """Positions in income_tax when it lists the rows aged 15+ in the same order (the usual
    case, as income.py derives it from resident_years); None otherwise."""
    adult = np.flatnonzero(age >= 15)
    if len(adult) != len(it_pid):
        return None
    if not (np.array_equal(pid[adult], it_pid) and np.array_equal(year[adult], it_year)):
        return None
    pos = np.full(len(pid), -1, dtype=np.int64)
    pos[adult] = np.arange(len(adult))
    return pos


def _person_draws(
    rng: np.random.Generator, person_id: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` uniforms and ``k`` standard normals per person, the same in every fiscal year."""
    n, idx = dense_codes(person_id.astype(np.int64))
    return rng.random((n, k))[idx], rng.standard_normal((n, k))[idx]


# -- premium rules --------------------------------------------------------------------------------
def premium_components(profile, income_base: np.ndarray, care: np.ndarray) -> dict[str, np.ndarray]:
    """Uncapped per-person premium parts (medical, support, care) in yen.

    Parameters
    ----------
    profile : Profile
        Provides ``nhi.premium.*``.
    income_base : ndarray
        Total income minus the basic deduction, floored at 0 (旧ただし書き所得).
    care : ndarray of bool
        Whether the person pays the care part (ages 40-64).

    Returns
    -------
    dict of str to ndarray
        ``medical``, ``support`` and ``care`` parts before the household caps.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> parts = premium_components(load_profile("urban-ward"), np.array([1_000_000.0]), np.array([False]))
    >>> int(parts["medical"][0]), int(parts["care"][0])
    (116700, 0)
    """
    p = "nhi.premium."
    out = {}
    for part in ("medical", "support", "care"):
        out[part] = (
            profile.number(p + part + "_per_head")
            + profile.number(p + part + "_rate") * income_base
        )
    out["care"] = np.where(care, out["care"], 0.0)
    return out


# -- simulation -----------------------------------------------------------------------------------
def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate the ``nhi`` table from ``resident_years`` and ``income_tax``.

    Stages: the register rows under the late-stage age and lasting draws per person; each
    row's employment and income; enrolment (the employee-insured share solved to meet the
    target); premiums, payments and medical cost of the enrolled; the table and ground truth.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2015]), "person_id": [1], "age": np.int16([70]),
    ...     "sex": ["男性"], "household_id": [1], "relationship": ["世帯主"], "district_code": ["D01"]})
    >>> ctx.tables["income_tax"] = pd.DataFrame({
    ...     "fiscal_year": [2015], "person_id": [1], "employment": ["年金"], "salary_revenue": [0],
    ...     "pension_revenue": [2_000_000], "business_income": [0], "total_income": [800_000]})
    >>> simulate(ctx)["nhi"]["premium"].tolist()
    [95583]
    """
    prof = ctx.profile
    rng = ctx.rng("nhi")
    ry = ctx.tables["resident_years"]
    reg = _read_register(ry, int(prof.number("nhi.late_stage_age")))
    draws = _PersonDraws.draw(rng, reg.n_persons)
    income = _read_income(ctx.tables["income_tax"], ry, reg)
    q, sel, grp = _enrolment(prof, reg, income, draws)

    total_income = income.total_income[sel]
    age = reg.age[sel]
    n_groups, grp = dense_codes(grp[sel])
    premium = _premiums(prof, total_income, age, grp, n_groups)
    person = reg.person[sel]
    paid = _payments(prof, rng, premium, total_income, age, grp, n_groups, draws.arrears[person])
    subsidy = _Subsidy.of(prof)
    cost, visits, at_cutoff = _medical_cost(prof, rng, age, draws.health[person], subsidy)

    table = _frame(ry, reg, sel, premium, paid, cost, visits)
    ctx.truth["nhi"] = _truth(prof, reg, reg.year[sel], q, premium, paid)
    ctx.truth["nhi"]["child_subsidy"] = {
        "end_age": subsidy.end_age,
        "running_variable": "age (on 1 April of the fiscal year)",
        "covered": f"age < {subsidy.end_age}",
        "cost_effect": subsidy.cost_effect,
        "visit_effect": subsidy.visit_effect,
        "effect_at_cutoff": at_cutoff,
        "note": (
            "effect_at_cutoff is the subsidy's effect per enrolled child and year on the rows aged "
            f"{subsidy.end_age - 1} and {subsidy.end_age}, had both been covered (cost in yen: "
            "covered minus not covered, same draws; visits: expected visits, covered minus not): "
            "the jump a regression discontinuity at the end age estimates. Expected cost is smooth "
            "in age elsewhere (band means interpolated); a covered child's cost and expected "
            "visits are raised by cost_effect and visit_effect (assumptions)."
        ),
    }
    return {"nhi": table}


@dataclass(frozen=True)
class _Register:
    """The register rows under the late-stage age (those NHI can cover), by fiscal year."""

    all_year: np.ndarray  # fiscal year of every register row, for the enrolment shares
    first_year: int
    span: int  # number of fiscal years
    n_persons: int
    rows: np.ndarray  # positions in resident_years of the rows under the late-stage age
    person: np.ndarray  # dense person code of each row
    year: np.ndarray
    pid: np.ndarray
    age: np.ndarray
    hh: np.ndarray

    @property
    def n_all(self) -> int:
        return len(self.all_year)


def _read_register(ry: pd.DataFrame, late_age: int) -> _Register:
    """Keep the rows under the late-stage (75+) age; persons are coded over the whole register."""
    all_year = ry["fiscal_year"].to_numpy().astype(np.int64)
    n_all = len(ry)
    first_year = int(all_year.min()) if n_all else 0
    n_persons, person = dense_codes(ry["person_id"].to_numpy(np.int64), compact=False)
    rows = np.flatnonzero(ry["age"].to_numpy() < late_age)
    return _Register(
        all_year=all_year,
        first_year=first_year,
        span=int(all_year.max()) - first_year + 1 if n_all else 1,
        n_persons=n_persons,
        rows=rows,
        person=person[rows],
        year=all_year[rows],
        pid=ry["person_id"].to_numpy(np.int64)[rows],
        age=ry["age"].to_numpy()[rows].astype(np.int64),
        hh=ry["household_id"].to_numpy(np.int64)[rows],
    )


@dataclass(frozen=True)
class _PersonDraws:
    """Lasting draws per person (by dense person code), the same in every fiscal year."""

    insured: np.ndarray  # uniform: a non-regular worker is employee-insured when below q
    group: np.ndarray  # uniform: the jobless and students covered elsewhere
    arrears: np.ndarray  # normal: the household's payment score
    health: np.ndarray  # normal: the personal part of medical cost

    @classmethod
    def draw(cls, rng: np.random.Generator, n_persons: int) -> _PersonDraws:
        """Draw from the whole register, so the draws do not depend on who is under 75."""
        insured, group = rng.random(n_persons), rng.random(n_persons)
        arrears, health = rng.standard_normal(n_persons), rng.standard_normal(n_persons)
        return cls(insured=insured, group=group, arrears=arrears, health=health)


@dataclass(frozen=True)
class _Income:
    """Employment and income of each register row in the income year behind its fiscal year."""

    employment: np.ndarray  # _REGULAR ... _CHILD
    revenue: np.ndarray  # salary + pension + business income (floored at 0)
    total_income: np.ndarray


def _read_income(it: pd.DataFrame, ry: pd.DataFrame, reg: _Register) -> _Income:
    """Look each row up in income_tax of the same fiscal year; children and the absent earn 0."""
    first_year, span, rows = reg.first_year, reg.span, reg.rows
    it_year = it["fiscal_year"].to_numpy().astype(np.int64)
    it_rows = np.flatnonzero((it_year >= first_year) & (it_year < first_year + span))
    it_key = pair_key(
        it_year[it_rows], it["person_id"].to_numpy(np.int64)[it_rows], first_year, span
    )
    pos = _aligned(
        reg.all_year,
        ry["person_id"].to_numpy(np.int64),
        ry["age"].to_numpy(),
        it_year[it_rows],
        it["person_id"].to_numpy(np.int64)[it_rows],
    )
    if pos is not None:
        pos = pos[rows]
    else:
        pos = positions(pair_key(reg.year, reg.pid, first_year, span), it_key)
    found = pos >= 0
    pos = it_rows[pos[found]]
    emp_labels = pd.Categorical(it["employment"])
    code_of_cat = np.array(
        [_EMPLOYMENT.get(str(c), _JOBLESS) for c in emp_labels.categories] + [_JOBLESS],
        dtype=np.int64,
    )
    emp = np.where(reg.age >= 15, _JOBLESS, _CHILD)
    emp[found] = code_of_cat[emp_labels.codes[pos]]  # code -1 (missing) maps to the last entry

    def income_column(name: str) -> np.ndarray:
        out = np.zeros(len(rows))
        if name in it.columns:
            out[found] = it[name].to_numpy(np.float64)[pos]
        return out

    revenue = (
        income_column("salary_revenue")
        + income_column("pension_revenue")
        + np.maximum(income_column("business_income"), 0.0)
    )
    total_income = np.maximum(income_column("total_income"), 0.0)
    return _Income(employment=emp, revenue=revenue, total_income=total_income)


def _enrolment(
    prof, reg: _Register, income: _Income, draws: _PersonDraws
) -> tuple[float, np.ndarray, np.ndarray]:
    """Solve q, the share of non-regular workers with employee insurance, to meet the target.

    Enrolment is a threshold on q: row i is in NHI when q <= t_i. A non-regular worker with
    u_ins < q is employee-insured, and the low-revenue members of a household with an
    employee-insured worker are dependants. Returns q, the enrolled rows (positions among the
    register rows) and the household-year group of every register row.
    """
    emp, age = income.employment, reg.age
    u_ins, u_grp = draws.insured[reg.person], draws.group[reg.person]
    n_groups, grp = dense_codes(pair_key(reg.year, reg.hh, reg.first_year, reg.span))
    limit = np.where(
        age >= 60,
        prof.number("nhi.dependant_revenue_limit_60"),
        prof.number("nhi.dependant_revenue_limit"),
    )
    low_rev = income.revenue < limit
    regular = emp == _REGULAR
    nonreg = emp == _NONREGULAR
    has_regular = np.bincount(grp, weights=regular, minlength=n_groups) > 0
    min_u = np.full(n_groups, np.inf)
    np.minimum.at(min_u, grp[nonreg], u_ins[nonreg])
    group_share = np.ones(len(reg.rows))
    group_share[emp == _JOBLESS] = prof.number("nhi.jobless_enrol_share")
    student_lo, student_hi = prof.numbers("nhi.student_ages", length=2)
    group_share[(emp == _JOBLESS) & (age < student_lo)] = 1.0  # school age: with the household
    students = (emp == _JOBLESS) & (age >= student_lo) & (age <= student_hi)
    group_share[students] = prof.number("nhi.student_enrol_share")
    eligible = ~regular & (u_grp < group_share) & ~(low_rev & has_regular[grp])
    t = np.where(nonreg, u_ins, np.inf)
    t = np.where(low_rev, np.minimum(t, min_u[grp]), t)
    t = np.where(eligible, t, -np.inf)

    q_lo, q_hi = prof.numbers("nhi.nonregular_insured_range", low=0, high=1, length=2)
    k = int(np.clip(round(prof.number("nhi.enrolment_share") * reg.n_all), 1, max(len(t), 1)))
    # The k-th largest threshold enrols exactly k rows (np.partition is linear, a sort is not).
    q = (
        float(np.clip(np.partition(t, len(t) - k)[len(t) - k], q_lo, q_hi))
        if len(t)
        else float(q_lo)
    )
    return q, np.flatnonzero(t >= q), grp


def _frame(
    ry: pd.DataFrame,
    reg: _Register,
    sel: np.ndarray,
    premium: np.ndarray,
    paid: np.ndarray,
    cost: np.ndarray,
    visits: np.ndarray,
) -> pd.DataFrame:
    """The ``nhi`` table: one row per enrolled person and fiscal year."""
    src = reg.rows[sel]

    return pd.DataFrame(
        {
            "fiscal_year": reg.year[sel].astype(np.int16),
            "person_id": reg.pid[sel],
            "household_id": reg.hh[sel],
            "age": reg.age[sel].astype(np.int16),
            "sex": categorical_rows(ry, "sex", src),
            "district_code": categorical_rows(ry, "district_code", src),
            "premium": premium,
            "premium_paid": paid,
            "medical_cost": cost,
            "visits": visits,
        }
    )


def _truth(
    prof, reg: _Register, year: np.ndarray, q: float, premium: np.ndarray, paid: np.ndarray
) -> dict:
    """The solved employee-insured share and the enrolment and collection it gave."""
    first_year, span = reg.first_year, reg.span
    per_year = np.bincount(reg.all_year - first_year, minlength=span) if reg.n_all else np.zeros(0)
    enrolled_per_year = np.bincount(year - first_year, minlength=span) if reg.n_all else np.zeros(0)
    return {
        "nonregular_insured_share": round(q, 4),
        "enrolment_share_target": prof.number("nhi.enrolment_share"),
        "enrolment_share": {
            first_year + i: round(float(enrolled_per_year[i] / per_year[i]), 4)
            for i in range(len(per_year))
            if per_year[i]
        },
        "collection_rate": round(float(paid.sum() / max(premium.sum(), 1)), 4),
        "note": "Premiums use the 23-ward FY2023 formula in every year, without low-income reductions.",
    }


def _premiums(
    prof, total_income: np.ndarray, age: np.ndarray, grp: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per-enrollee premium: each part capped per household, then shared in proportion to members' parts."""
    base = np.maximum(total_income - prof.number("nhi.premium.basic_deduction"), 0.0)
    care_lo, care_hi = prof.numbers("nhi.premium.care_ages", length=2)
    parts = premium_components(prof, base, (age >= care_lo) & (age <= care_hi))
    premium = np.zeros(len(age))
    for part, raw in parts.items():
        household = np.bincount(grp, weights=raw, minlength=n_groups)
        capped = np.minimum(household, prof.number(f"nhi.premium.{part}_cap"))
        ratio = np.divide(capped, household, out=np.zeros(n_groups), where=household > 0)
        premium += raw * ratio[grp]
    return np.floor(premium + 1e-6).astype(np.int64)  # guard against 869999.9999 at the caps


def _payments(
    prof,
    rng: np.random.Generator,
    premium: np.ndarray,
    total_income: np.ndarray,
    age: np.ndarray,
    grp: np.ndarray,
    n_groups: int,
    z_person: np.ndarray,
) -> np.ndarray:
    """Premium paid: households ranked by a latent payment score fall into arrears, worst first,
    until the amount collected meets ``nhi.collection_rate``."""
    if len(premium) == 0:
        return premium.copy()
    h_prem = np.bincount(grp, weights=premium, minlength=n_groups)
    h_income = np.bincount(grp, weights=total_income, minlength=n_groups)
    h_young = np.bincount(grp, weights=age < 40, minlength=n_groups) / np.maximum(
        np.bincount(grp, minlength=n_groups), 1
    )
    # The household's latent is that of its first listed enrollee, so it persists across years.
    first = np.full(n_groups, len(grp))
    np.minimum.at(first, grp, np.arange(len(grp)))
    rho = prof.number("nhi.payment.persistence")
    log_inc = np.log1p(h_income / 1e6)
    score = (
        rho * z_person[first]
        + np.sqrt(1 - rho**2) * rng.standard_normal(n_groups)
        + prof.number("nhi.payment.income_effect")
        * (log_inc - log_inc.mean())
        / (log_inc.std() + 1e-9)
        - prof.number("nhi.payment.young_effect") * h_young
    )
    shortfall = np.where(
        rng.random(n_groups) < prof.number("nhi.payment.unpaid_share"),
        1.0,
        rng.uniform(0.1, 0.9, n_groups),
    )
    gap = (1 - prof.number("nhi.collection_rate")) * h_prem.sum()
    # Only the worst-scored households can fall into arrears: sort a candidate slice first and
    # widen it if it does not cover the gap.
    share = 0.25
    while True:
        n_cand = min(n_groups, max(1, int(share * n_groups)))
        cand = (
            np.argpartition(score, n_cand - 1)[:n_cand]
            if n_cand < n_groups
            else np.arange(n_groups)
        )
        order = cand[np.argsort(score[cand], kind="stable")]
        cum = np.cumsum((shortfall * h_prem)[order])
        if cum[-1] > gap or n_cand == n_groups:
            break
        share *= 2
    n_arrears = int(np.searchsorted(cum, gap, side="right"))
    h_short = np.zeros(n_groups)
    h_short[order[:n_arrears]] = shortfall[order[:n_arrears]]
    if n_arrears < len(order):  # the next household falls short by just the remainder
        nxt = order[n_arrears]
        left = gap - (cum[n_arrears - 1] if n_arrears else 0.0)
        h_short[nxt] = min(1.0, left / h_prem[nxt]) if h_prem[nxt] > 0 else 0.0
    return np.round(premium * (1 - h_short[grp])).astype(np.int64)


def age_means(band_means: np.ndarray) -> np.ndarray:
    """Mean cost at each whole age from the means of 5-year bands, smooth across band edges.

    The cost is linear in age between knots at the middle of each band (flat outside the
    first and last knot), with knot values solved so that the mean over each band's five ages
    is the band's figure exactly. A step at every fifth birthday would put a jump where none
    exists (and a false one at the end of the child medical subsidy).

    Parameters
    ----------
    band_means : ndarray
        Mean cost of ages 0-4, 5-9, ... (any unit).

    Returns
    -------
    ndarray
        One mean per whole age 0 .. 5 * len(band_means) - 1.

    Examples
    --------
    >>> m = age_means(np.array([24.0, 13.1, 10.6]))
    >>> [round(float(x), 2) for x in m.reshape(3, 5).mean(axis=1)]
    [24.0, 13.1, 10.6]
    >>> bool(np.all(np.abs(np.diff(m)) < 3.0))
    True
    """
    n = len(band_means)
    ages = np.arange(5 * n)
    knots = 5.0 * np.arange(n) + 2.0
    weights = np.empty((n, n))
    for j in range(n):
        weights[:, j] = np.interp(ages, knots, np.eye(n)[j]).reshape(n, 5).mean(axis=1)
    return np.interp(ages, knots, np.linalg.solve(weights, np.asarray(band_means, float)))


@dataclass(frozen=True)
class _Subsidy:
    """The child medical subsidy (子ども医療費助成): free care under ``end_age`` on 1 April.

    Municipalities pay the co-payment until the 31 March after a chosen birthday, so in fiscal
    year Y a child is covered all year exactly when aged under ``end_age`` on 1 April of Y.
    """

    end_age: int
    cost_effect: float  # relative rise of a covered child's cost
    visit_effect: float  # relative rise of a covered child's expected visits

    @classmethod
    def of(cls, prof) -> _Subsidy:
        s = "nhi.child_subsidy."
        return cls(
            end_age=int(prof.number(s + "end_age")),
            cost_effect=prof.number(s + "cost_effect"),
            visit_effect=prof.number(s + "visit_effect"),
        )


def _medical_cost(
    prof, rng: np.random.Generator, age: np.ndarray, z_person: np.ndarray, subsidy: _Subsidy
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Annual medical cost (yen, multiples of 10) and visits: zero for some, log-normal otherwise,
    with the smoothed age means of the national table and a persistent personal component.

    Covered children (``age < subsidy.end_age``) use more care: their cost and expected visits are
    raised by the subsidy's effects; the third value holds the true effect at the cutoff.
    """
    n = len(age)
    means = age_means(prof.numbers("nhi.cost.band_means", low=0, length=20) * 10_000)
    mean = means[np.minimum(age, len(means) - 1)]
    p_zero = np.interp(
        age, prof.numbers("nhi.cost.zero_share_ages"), prof.numbers("nhi.cost.zero_share")
    )
    sd = prof.number("nhi.cost.log_sd")
    rho = prof.number("nhi.cost.persistence")
    mu = np.log(mean / (1 - p_zero)) - sd**2 / 2
    x = np.sqrt(rho) * z_person + np.sqrt(1 - rho) * rng.standard_normal(n)
    positive = rng.random(n) >= p_zero
    pos = np.flatnonzero(positive)
    level = np.exp(mu[pos] + sd * x[pos])
    covered = age[pos] < subsidy.end_age

    def to_yen(value: np.ndarray) -> np.ndarray:
        return np.maximum(np.round(value / 10), 1).astype(np.int64) * 10

    cost0 = to_yen(level)  # without the subsidy
    cost1 = np.where(covered, to_yen(level * (1 + subsidy.cost_effect)), cost0)
    lam0 = np.exp(
        prof.number("nhi.cost.visit_elasticity")
        * np.log(cost0 / prof.number("nhi.cost.visit_cost_unit"))
    )
    lam1 = np.where(covered, lam0 * (1 + subsidy.visit_effect), lam0)
    cost = np.zeros(n, dtype=np.int64)
    cost[pos] = cost1
    visits = np.zeros(n, dtype=np.int32)
    visits[pos] = np.maximum(rng.poisson(lam1), 1)
    # The true effect at the cutoff: the subsidy's effect on the rows aged end_age - 1 (the
    # last covered age) and end_age (the first age not covered), had both been covered.
    near = np.isin(age, (subsidy.end_age - 1, subsidy.end_age))
    at = np.isin(age[pos], (subsidy.end_age - 1, subsidy.end_age))
    gain_cost = to_yen(level[at] * (1 + subsidy.cost_effect)) - cost0[at]
    lam = lam0[at]
    lam_cov = lam * (1 + subsidy.visit_effect)
    gain_visits = lam_cov + np.exp(-lam_cov) - lam - np.exp(-lam)  # E[max(Poisson, 1)]
    rows = max(int(near.sum()), 1)  # zero-cost rows gain nothing
    truth = {
        "rows_at_cutoff": int(near.sum()),
        "medical_cost_yen": float(gain_cost.sum() / rows),
        "visits": float(gain_visits.sum() / rows),
    }
    return cost, visits, truth
