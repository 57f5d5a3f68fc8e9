"""Long-term care insurance premiums (介護保険料) of the first-category insured (aged 65+).

One row per resident aged ``ltc_premiums.first_age`` or over on 1 April and fiscal year. The
premium of fiscal year Y is set in stages (所得段階) by the resident tax of Y (income of the
calendar year Y-1, from ``income_tax``):

- stages 1-3: nobody in the household pays resident tax (世帯非課税); split by pension revenue
  plus other total income at ``exempt_lines`` (¥800,000 and ¥1,200,000);
- stages 4-5: the household is taxed but the person is not; split at the first exempt line;
- stages 6 and up: the person is taxed; split by total income at the period's lines (1.2M,
  1.9M/2.0M/2.1M, 2.9M/3.0M/3.2M; from FY2024 also 4.2M ... 7.2M).

The national standard had 9 stages until FY2023 and 13 from FY2024. Each stage's premium is
the period's base amount (基準額, ``base_monthly`` x 12, national averages) times the stage's
ratio; the ratios of stages 1-3 are lowered by the public-funded reductions that apply from
each year of ``reduced_from`` (FY2015-18 stage 1 only, FY2019 a half-year step, FY2020-23 in
full, from FY2024 the 13-stage values). Pensions of ``special_collection_min`` (¥180,000) a year
or more are deducted at source (特別徴収, always paid); the rest pay themselves (普通徴収) and
some fall into arrears (assumptions). Welfare recipients, the 老齢福祉年金 and a municipality's
own extra stages are not modelled.

Examples
--------
>>> import ebpmkit.synth.ltc_premiums as lp
>>> sorted(lp.TABLES)
['ltc_premiums']
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth._elderly import (
    ElderlyRows,
    check_schedule,
    elderly_rows,
    judged_income,
    schedule_index,
)
from ebpmkit.synth._keys import categorical_rows, dense_codes
from ebpmkit.synth.columns import person_year_columns
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "COLLECTION",
    "COLUMNS",
    "PARAMETERS",
    "ROLES",
    "TABLES",
    "Schedule",
    "assign_stages",
    "check_profile",
    "simulate",
]

COLLECTION = ("特別徴収", "普通徴収")

TABLES = {
    "ltc_premiums": "介護保険の第1号被保険者(65歳以上)の保険料(年度・被保険者ごと1行):"
    "世帯・本人の住民税の課税状況、所得段階、基準額、保険料、徴収方法、納付額。"
    "段階と割合は国の標準段階、基準額は全国平均、滞納は仮定",
}

_T = "ltc_premiums"
_P = "ltc_premiums."
COLUMNS = [
    *person_year_columns(
        _T,
        year="保険料の賦課年度(4月1日時点の住民が対象。住民税は同じ年度の課税=前年の所得による)",
        age="4月1日時点の年齢(65歳以上)",
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
        "person_taxed",
        "bool",
        "本人課税",
        "person taxed",
        "",
        "本人が同じ年度に住民税を課税されている(均等割か所得割がある)",
    ),
    Column(
        _T,
        "pension_revenue",
        "int64",
        "公的年金収入",
        "public pension revenue",
        "円",
        "前年の公的年金等の収入金額(income_tax から)。18万円以上なら特別徴収",
    ),
    Column(
        _T,
        "total_income",
        "int64",
        "合計所得金額",
        "total income",
        "円",
        "前年の合計所得金額(income_tax から)。第6段階以上の区分に使う",
    ),
    Column(
        _T,
        "pension_and_other_income",
        "int64",
        "年金収入等",
        "pension revenue plus other income",
        "円",
        "公的年金等の収入金額+年金以外の合計所得金額。第1〜5段階の区分に使う"
        "(年金の雑所得を引き直した近似。給与所得の10万円調整は省略)",
    ),
    Column(
        _T,
        "ltc_period",
        "int16",
        "介護保険事業計画期間",
        "insurance period",
        "期",
        "保険料を定める3年ごとの期間(第6期=2015〜2017年度、第9期=2024〜2026年度)",
    ),
    Column(
        _T,
        "stage_count",
        "int16",
        "段階の数",
        "number of stages",
        "段階",
        "その年度の標準段階の数(2023年度まで9段階、2024年度から13段階)",
    ),
    Column(
        _T,
        "stage",
        "int16",
        "保険料段階",
        "premium stage",
        "段階",
        "1〜3: 世帯非課税、4〜5: 世帯課税・本人非課税、6以上: 本人課税(所得で区分)。国の標準段階",
    ),
    Column(
        _T,
        "standard_ratio",
        "float64",
        "基準額に対する割合(軽減前)",
        "standard ratio",
        "倍",
        "標準段階の基準額に対する割合(公費による軽減の前)",
    ),
    Column(
        _T,
        "stage_ratio",
        "float64",
        "基準額に対する割合",
        "stage ratio",
        "倍",
        "保険料の計算に使う割合。第1〜3段階は公費による軽減後(2015年度から第1段階、2019年10月から第1〜3段階)",
    ),
    Column(
        _T,
        "base_amount",
        "int64",
        "基準額(年額)",
        "base amount (annual)",
        "円",
        "第5段階の保険料(基準額)。期ごとの全国平均の月額×12(プロファイルで変えられる)",
    ),
    Column(
        _T,
        "annual_premium",
        "int64",
        "保険料(年額)",
        "annual premium",
        "円",
        "基準額×基準額に対する割合(1円未満切捨て)",
    ),
    Column(
        _T,
        "collection",
        "category",
        "徴収方法",
        "collection method",
        "",
        "特別徴収(年金からの天引き、公的年金収入18万円以上)・普通徴収(納付書・口座振替)",
    ),
    Column(
        _T,
        "premium_paid",
        "int64",
        "保険料納付額",
        "premium paid",
        "円",
        "年度内に納付された額。特別徴収は全額、普通徴収の一部は滞納(滞納の割合と分布は仮定)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). The stage follows
#: from the resident tax and income, which income_tax holds without a sensitive role either.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "ltc_premiums": {"id": ("person_id", "household_id")},
}

_YEN = "円(1年あたり)"
PARAMETERS = [
    Param(
        _P + "first_age", low=40, high=120, ja="介護保険料(第1号被保険者)を納める年齢", unit="歳"
    ),
    Param(
        _P + "period_starts",
        kind="numbers",
        low=1990,
        high=2100,
        when="listed",
        ja="保険料を定める期間(介護保険事業計画期間)の最初の年度。以下の期ごとの項目はこの順に並べる",
        unit="年度",
    ),
    Param(
        _P + "base_monthly",
        kind="numbers",
        low=0,
        when="listed",
        ja="期ごとの保険料の基準額(月額)。自治体が期ごとに定める(組み込みの値は全国平均)",
        unit="円(1か月あたり)",
    ),
    Param(
        _P + "stage_counts",
        kind="numbers",
        low=9,
        high=13,
        when="listed",
        ja="期ごとの保険料段階の数(9 または 13)",
        unit="段階",
    ),
    Param(
        _P + "ratios_9",
        kind="numbers",
        low=0,
        high=5,
        length=9,
        ja="9段階の各段階の基準額に対する割合(公費による軽減の前)",
        unit="倍",
    ),
    Param(
        _P + "ratios_13",
        kind="numbers",
        low=0,
        high=5,
        length=13,
        ja="13段階の各段階の基準額に対する割合(公費による軽減の前)",
        unit="倍",
    ),
    Param(
        _P + "reduced_from",
        kind="numbers",
        low=1990,
        high=2100,
        when="listed",
        ja="第1〜3段階の公費による軽減後の割合が適用される最初の年度。reduced_stage1〜3 はこの順に並べる",
        unit="年度",
    ),
    Param(
        _P + "reduced_stage1",
        kind="numbers",
        low=0,
        high=5,
        when="listed",
        ja="第1段階の公費による軽減後の割合",
        unit="倍",
    ),
    Param(
        _P + "reduced_stage2",
        kind="numbers",
        low=0,
        high=5,
        when="listed",
        ja="第2段階の公費による軽減後の割合",
        unit="倍",
    ),
    Param(
        _P + "reduced_stage3",
        kind="numbers",
        low=0,
        high=5,
        when="listed",
        ja="第3段階の公費による軽減後の割合",
        unit="倍",
    ),
    Param(
        _P + "exempt_lines",
        kind="numbers",
        low=0,
        length=2,
        ja="第1〜3段階を分ける年金収入等の額(1つ目は第4・5段階の区分にも使う)",
        unit="円",
    ),
    Param(
        _P + "taxed_line_1",
        kind="numbers",
        low=0,
        when="listed",
        ja="期ごとの第6・7段階を分ける合計所得金額",
        unit="円",
    ),
    Param(
        _P + "taxed_line_2",
        kind="numbers",
        low=0,
        when="listed",
        ja="期ごとの第7・8段階を分ける合計所得金額",
        unit="円",
    ),
    Param(
        _P + "taxed_line_3",
        kind="numbers",
        low=0,
        when="listed",
        ja="期ごとの第8・9段階を分ける合計所得金額",
        unit="円",
    ),
    Param(
        _P + "upper_lines",
        kind="numbers",
        low=0,
        length=4,
        ja="13段階のとき第9〜13段階を分ける合計所得金額",
        unit="円",
    ),
    Param(
        _P + "special_collection_min",
        low=0,
        ja="この額以上の公的年金を受け取る人は年金から天引き(特別徴収)",
        unit=_YEN,
    ),
    Param(
        _P + "arrears_share",
        low=0,
        high=1,
        ja="普通徴収の人のうち、その年度に滞納する人の割合",
        unit="割合(0～1)",
    ),
    Param(
        _P + "unpaid_share",
        low=0,
        high=1,
        ja="滞納する人のうち、その年度に全く納めない人の割合(残りは一部を納める)",
        unit="割合(0～1)",
    ),
    Param(
        _P + "arrears_persistence",
        low=0,
        high=0.99,
        ja="前年度に滞納した人が翌年度も滞納しやすい度合い",
        unit="相関(0～1)",
    ),
]

_PERIOD_LISTS = ("base_monthly", "stage_counts", "taxed_line_1", "taxed_line_2", "taxed_line_3")
_REDUCED_LISTS = ("reduced_stage1", "reduced_stage2", "reduced_stage3")


def check_profile(profile: Profile) -> None:
    """The period lists agree with ``period_starts``, and every period has 9 or 13 stages."""
    check_schedule(profile, _P + "period_starts", tuple(_P + k for k in _PERIOD_LISTS))
    check_schedule(profile, _P + "reduced_from", tuple(_P + k for k in _REDUCED_LISTS))
    counts = profile.numbers(_P + "stage_counts")
    if not np.isin(counts, (9, 13)).all():
        raise ProfileError(
            message(
                "ltc_premiums.stage_counts",
                found=repr([int(c) for c in counts]),
                origin=profile.origin,
            )
        )


@dataclass(frozen=True)
class Schedule:
    """The stages, ratios and base amounts of every period, read from the profile.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> s = Schedule.read(load_profile("town"))
    >>> std, ratio = s.ratios(np.array([2020, 2020]), np.array([1, 5]))
    >>> std.tolist(), ratio.tolist()
    ([0.5, 1.0], [0.3, 1.0])
    """

    starts: np.ndarray
    base_annual: np.ndarray
    stage_counts: np.ndarray
    taxed_lines: list[np.ndarray]  # per period: the lines of stages 6 and up
    exempt_lines: np.ndarray
    ratios_by_count: dict[int, np.ndarray]
    reduced_from: np.ndarray
    reduced: np.ndarray  # (periods of reduction, 3): ratios of stages 1-3

    @classmethod
    def read(cls, prof: Profile) -> Schedule:
        """The schedule of ``prof`` (``ltc_premiums.*``)."""
        counts = prof.numbers(_P + "stage_counts").astype(np.int64)
        upper = prof.numbers(_P + "upper_lines", length=4)
        first3 = np.column_stack([prof.numbers(_P + f"taxed_line_{i}") for i in (1, 2, 3)])
        lines = [np.concatenate([first3[k], upper[: counts[k] - 9]]) for k in range(len(counts))]
        return cls(
            starts=prof.numbers(_P + "period_starts").astype(np.int64),
            base_annual=prof.numbers(_P + "base_monthly") * 12,
            stage_counts=counts,
            taxed_lines=lines,
            exempt_lines=prof.numbers(_P + "exempt_lines", length=2),
            ratios_by_count={
                9: prof.numbers(_P + "ratios_9", length=9),
                13: prof.numbers(_P + "ratios_13", length=13),
            },
            reduced_from=prof.numbers(_P + "reduced_from").astype(np.int64),
            reduced=np.column_stack([prof.numbers(_P + k) for k in _REDUCED_LISTS]),
        )

    def period(self, year: np.ndarray) -> np.ndarray:
        """Index of the period of each fiscal year."""
        return schedule_index(self.starts, year)

    def ratios(self, year: np.ndarray, stage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standard ratio of each (year, stage) and the ratio after the public-funded reductions."""
        period = self.period(year)
        standard = np.zeros(len(stage))
        for k, count in enumerate(self.stage_counts):
            m = period == k
            standard[m] = self.ratios_by_count[int(count)][stage[m] - 1]
        ratio = standard.copy()
        red = np.searchsorted(self.reduced_from, year, side="right") - 1
        low = (stage <= 3) & (red >= 0)
        ratio[low] = self.reduced[red[low], stage[low] - 1]
        return standard, ratio


def assign_stages(
    household_taxed: np.ndarray,
    person_taxed: np.ndarray,
    judged: np.ndarray,
    total: np.ndarray,
    exempt_lines: np.ndarray,
    taxed_lines: np.ndarray,
) -> np.ndarray:
    """Premium stage (1 ..) of each person by the national standard rules.

    Parameters
    ----------
    household_taxed, person_taxed : ndarray of bool
        Resident-tax status of the household and of the person.
    judged : ndarray
        Pension revenue plus other total income (stages 1-5).
    total : ndarray
        Total income (stages 6 and up).
    exempt_lines : ndarray
        The two lines of stages 1-3; the first also splits stages 4 and 5.
    taxed_lines : ndarray
        The lines of stages 6 and up (3 for 9 stages, 7 for 13).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> assign_stages(np.array([False, False, True, True]), np.array([False, False, False, True]),
    ...     np.array([800_000, 800_001, 900_000, 0]), np.array([0, 0, 0, 2_100_000]),
    ...     np.array([800_000, 1_200_000]), np.array([1_200_000, 2_100_000, 3_200_000]))
    array([1, 2, 5, 8])
    """
    # An amount at a line belongs to the lower stage for stages 1-5 (以下) and to the upper
    # stage from stage 6 (未満).
    exempt_stage = 1 + np.searchsorted(exempt_lines, judged, side="left")
    taxed_household = 4 + (judged > exempt_lines[0])
    taxed_person = 6 + np.searchsorted(taxed_lines, total, side="right")
    return np.where(
        person_taxed, taxed_person, np.where(household_taxed, taxed_household, exempt_stage)
    ).astype(np.int64)


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate the ``ltc_premiums`` table from ``resident_years`` and ``income_tax``.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2020, 2024]), "person_id": [1, 1], "age": np.int16([70, 74]),
    ...     "sex": ["女性", "女性"], "household_id": [4, 4], "relationship": ["世帯主", "世帯主"],
    ...     "district_code": ["D01", "D01"]})
    >>> ctx.tables["income_tax"] = pd.DataFrame({
    ...     "fiscal_year": [2020, 2024], "person_id": [1, 1], "pension_revenue": [700_000, 700_000],
    ...     "total_income": [0, 0], "resident_tax": [0, 0]})
    >>> simulate(ctx)["ltc_premiums"][["stage", "annual_premium"]].values.tolist()
    [[1, 21128], [1, 21289]]
    """
    prof = ctx.profile
    rng = ctx.rng("ltc_premiums")
    ry = ctx.tables["resident_years"]
    old = elderly_rows(ry, ctx.tables["income_tax"], int(prof.number(_P + "first_age")))
    sched = Schedule.read(prof)
    period = sched.period(old.year)
    judged = judged_income(old)
    stage = np.zeros(len(old.rows), dtype=np.int64)
    for k in range(len(sched.starts)):
        m = period == k
        stage[m] = assign_stages(
            old.household_taxed[m],
            old.person_taxed[m],
            judged[m],
            old.total[m],
            sched.exempt_lines,
            sched.taxed_lines[k],
        )
    standard, ratio = sched.ratios(old.year, stage)
    base = sched.base_annual[period]
    premium = np.floor(base * ratio + 1e-6).astype(np.int64)
    special = old.pension >= prof.number(_P + "special_collection_min")
    paid = _payments(prof, rng, ry, old, premium, special)

    table = _frame(ry, old, sched, judged, stage, standard, ratio, base, premium, special, paid)
    ctx.truth["ltc_premiums"] = _truth(table)
    return {"ltc_premiums": table}


def _payments(
    prof: Profile,
    rng: np.random.Generator,
    ry: pd.DataFrame,
    old: ElderlyRows,
    premium: np.ndarray,
    special: np.ndarray,
) -> np.ndarray:
    """Amount paid: special collection in full; ordinary payers below a persistent score's
    ``arrears_share`` quantile fall into arrears (some pay nothing, the others part)."""
    n_persons, person_all = dense_codes(ry["person_id"].to_numpy(np.int64), compact=False)
    z_person = rng.standard_normal(n_persons)[person_all[old.rows]]
    rho = prof.number(_P + "arrears_persistence")
    n = len(premium)
    score = rho * z_person + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    share = prof.number(_P + "arrears_share")
    cut = NormalDist().inv_cdf(min(max(share, 1e-9), 1 - 1e-9))
    arrears = ~special & (score < cut) & (share > 0)
    fraction = np.where(
        rng.random(n) < prof.number(_P + "unpaid_share"), 0.0, rng.uniform(0.1, 0.9, n)
    )
    return np.where(arrears, np.round(premium * fraction), premium).astype(np.int64)


def _frame(
    ry: pd.DataFrame,
    old: ElderlyRows,
    sched: Schedule,
    judged: np.ndarray,
    stage: np.ndarray,
    standard: np.ndarray,
    ratio: np.ndarray,
    base: np.ndarray,
    premium: np.ndarray,
    special: np.ndarray,
    paid: np.ndarray,
) -> pd.DataFrame:
    """The ``ltc_premiums`` table."""
    period = sched.period(old.year)
    # Periods are numbered from the first, FY2000-02 (介護保険事業計画の第1期).
    number = (sched.starts[period] - 2000) // 3 + 1
    return pd.DataFrame(
        {
            "fiscal_year": old.year.astype(np.int16),
            "person_id": old.pid,
            "household_id": old.hh,
            "age": old.age.astype(np.int16),
            "sex": categorical_rows(ry, "sex", old.rows),
            "district_code": categorical_rows(ry, "district_code", old.rows),
            "household_taxed": old.household_taxed,
            "person_taxed": old.person_taxed,
            "pension_revenue": old.pension.astype(np.int64),
            "total_income": old.total.astype(np.int64),
            "pension_and_other_income": np.round(judged).astype(np.int64),
            "ltc_period": number.astype(np.int16),
            "stage_count": sched.stage_counts[period].astype(np.int16),
            "stage": stage.astype(np.int16),
            "standard_ratio": standard,
            "stage_ratio": ratio,
            "base_amount": np.round(base).astype(np.int64),
            "annual_premium": premium,
            "collection": pd.Categorical.from_codes(
                np.where(special, 0, 1), categories=list(COLLECTION)
            ),
            "premium_paid": paid,
        }
    )


def _truth(table: pd.DataFrame) -> dict:
    """Stage counts per year and the collection rate of each method."""
    by_year = table.groupby("fiscal_year", observed=True)["stage"].value_counts().sort_index()
    stages = {
        int(year): {int(s): int(n) for (_, s), n in group.items()}
        for year, group in by_year.groupby(level=0)
    }
    rates = {}
    for method in COLLECTION:
        rows = table["collection"] == method
        due = int(table.loc[rows, "annual_premium"].sum())
        rates[method] = (
            round(float(table.loc[rows, "premium_paid"].sum() / due), 4) if due else None
        )
    return {
        "stages_by_year": stages,
        "collection_rate": rates,
        "note": (
            "Stages follow the national standard (9 stages to FY2023, 13 from FY2024) with the "
            "national average base amount of each period; arrears of ordinary collection are "
            "assumptions."
        ),
    }
