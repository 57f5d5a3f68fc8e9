"""Incomes and individual resident tax of every resident aged 15+, by fiscal year.

Model (national figures in ``rates/income.toml``, the municipality's in its profile's
``[income]`` section):

- Every person has a lasting earnings rank (a standard normal drawn once per person) and a
  lasting attachment to work; a small part of both is redrawn every year, so incomes are
  correlated across years.
- Employment (正規雇用 / 非正規雇用 / 自営業 / none) follows shares by sex and 5-year age band
  (ages on 31 December of the income year), scaled by the profile's ``employment_factor``;
  people with a higher rank are more often regular employees. From 65 everyone not working is
  a pensioner (年金) unless they have no pension (無職).
- Salary revenue is log-normal around the National Tax Agency's 2023 mean for the sex and age
  band, split into regular and non-regular pay with the survey's 5.30M / 2.02M ratio,
  multiplied by the profile's ``level`` (an urban ward is richer) and a small wage growth.
  Business income of the self-employed and public pensions from 65 are log-normal too
  (assumptions).
- Deductions: social insurance (15% of salary as in the ministry's furusato table, with a cap;
  shares of business and pension income), the basic deduction, and the spouse and dependants
  found in the household of ``resident_years``: the higher earner of the head and spouse claims
  the other if their income is within the limit, and every other member within the limit.
- Income tax and resident tax come from :mod:`ebpmkit.tax` (rules of each income year). The
  resident tax of fiscal year ``Y`` is assessed on income of calendar year ``Y - 1``; the
  generator uses the 1 April register of ``Y`` (the statutory date is 1 January).

Calibration targets in the profile: total income (総所得金額等) per income-levy payer
(所得割納税義務者) -- the figure published as "taxable income per taxpayer" --, the share of
residents who pay the income levy, and percentiles of salary revenue among salary earners.

Examples
--------
>>> "income_tax" in TABLES
True
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ebpmkit import tax
from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth.columns import shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = ["COLUMNS", "EMPLOYMENT", "PARAMETERS", "ROLES", "TABLES", "simulate", "summary"]

NAME = "income"
EMPLOYMENT = ["正規雇用", "非正規雇用", "自営業", "年金", "無職"]
REGULAR, NONREGULAR, SELF_EMPLOYED, PENSION, NONE = range(5)
RELATIONSHIPS = ["世帯主", "配偶者", "子", "親", "その他"]  # population.py's categories
HEAD, SPOUSE, CHILD, PARENT, OTHER = range(5)
N_BANDS = 13
DEPENDANT_COUNTS = ("young", "general", "specific", "elderly", "elderly_parent")

TABLES = {
    "income_tax": "住民の所得と個人住民税(15歳以上の住民1人1年度1行)。住民税は前年(1月-12月)の所得にもとづく",
}

_A = "(合成データの仮定値に基づく)"
_T = "国の税制(ebpmkit.tax)で計算"
COLUMNS = [
    shared(
        "fiscal_year",
        "income_tax",
        "住民税の課税年度(4月1日時点の住民が対象。実際の賦課期日は1月1日)",
    ),
    Column(
        "income_tax",
        "income_year",
        "int16",
        "所得年",
        "income year",
        "年",
        "所得の年(1月-12月)。年度の前年",
    ),
    shared("person_id", "income_tax", "residents の person_id"),
    Column(
        "income_tax",
        "employment",
        "category",
        "就業状態",
        "employment",
        "",
        f"正規雇用・非正規雇用・自営業・年金・無職。年齢・性別ごとの割合は仮定値{_A}",
    ),
    Column(
        "income_tax",
        "salary_revenue",
        "int64",
        "給与収入",
        "salary revenue",
        "円",
        f"1年間の給与の収入金額。国税庁民間給与実態統計調査(2023年)の年齢・性別平均をもとに自治体の所得水準を掛けた{_A}",
    ),
    Column(
        "income_tax",
        "pension_revenue",
        "int64",
        "公的年金収入",
        "public pension revenue",
        "円",
        f"65歳以上の公的年金等の収入金額{_A}",
    ),
    Column(
        "income_tax",
        "business_income",
        "int64",
        "事業所得",
        "business income",
        "円",
        f"自営業者の事業所得(必要経費を引いた後){_A}",
    ),
    Column(
        "income_tax",
        "total_income",
        "int64",
        "合計所得金額",
        "total income",
        "円",
        f"給与所得(所得金額調整控除後)+公的年金等の雑所得+事業所得。{_T}",
    ),
    Column(
        "income_tax",
        "income_deductions",
        "int64",
        "所得控除額(住民税)",
        "income deductions (resident tax)",
        "円",
        f"住民税の所得控除の合計: 社会保険料(給与の15%など、仮定値)・基礎控除・配偶者控除・扶養控除。{_T}",
    ),
    Column(
        "income_tax",
        "taxable_income",
        "int64",
        "課税総所得金額(住民税)",
        "taxable income (resident tax)",
        "円",
        "合計所得金額から住民税の所得控除を引いた額(千円未満切捨て)",
    ),
    Column(
        "income_tax",
        "income_tax_taxable",
        "int64",
        "課税総所得金額(所得税)",
        "taxable income (income tax)",
        "円",
        "合計所得金額から所得税の所得控除を引いた額(千円未満切捨て)",
    ),
    Column(
        "income_tax",
        "income_tax",
        "int64",
        "所得税額",
        "income tax",
        "円",
        f"所得税と復興特別所得税(2.1%)の合計。住宅ローン控除などの税額控除と、2024年分の定額減税は計算に入れていない。{_T}",
    ),
    Column(
        "income_tax",
        "income_levy",
        "int64",
        "所得割額",
        "income levy",
        "円",
        f"住民税の所得割(区市町村民税6%+都道府県民税4%、政令指定都市は2018年度から8%+2%。調整控除後)。ふるさと納税などの税額控除の前で、2024年度分の定額減税も計算に入れていない。{_T}",
    ),
    Column(
        "income_tax",
        "income_levy_municipal",
        "int64",
        "所得割額(区市町村分)",
        "income levy (municipal)",
        "円",
        "所得割のうち区市町村民税の分(6%分。政令指定都市は2018年度から8%分)。この自治体の収入になる",
    ),
    Column(
        "income_tax",
        "per_capita_levy",
        "int64",
        "均等割額",
        "per-capita levy",
        "円",
        "均等割。2023年度まで区市町村3,500円+都道府県1,500円、2024年度から3,000円+1,000円+森林環境税1,000円(森林環境税を含む)",
    ),
    Column(
        "income_tax",
        "forest_environment_tax",
        "int64",
        "森林環境税",
        "forest environment tax",
        "円",
        "2024年度から均等割と一緒に集める国税(1,000円)。per_capita_levy の内数",
    ),
    Column(
        "income_tax",
        "resident_tax",
        "int64",
        "住民税額",
        "resident tax",
        "円",
        "所得割+均等割(森林環境税を含む)",
    ),
    Column(
        "income_tax",
        "dependants",
        "int16",
        "扶養親族等の数",
        "dependants",
        "人",
        "同一生計配偶者と扶養親族(16歳未満を含む)の数。非課税限度額の判定に使う",
    ),
    Column(
        "income_tax",
        "is_taxpayer",
        "bool",
        "所得割納税義務者",
        "pays the income levy",
        "",
        "所得割を納める人(income_levy が0より大きい)。「納税義務者1人あたり所得」の分母",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES).
ROLES: dict[str, dict[str, tuple[str, ...]]] = {"income_tax": {"id": ("person_id",)}}

PARAMETERS = [
    Param(
        "income.age_bands",
        "numbers",
        low=0,
        high=120,
        length=N_BANDS,
        ja="所得の表の年齢階級の下限(15歳から5歳刻み、70～74歳と75歳以上を含む13階級)。income の年齢別の項目はこの順に並べる",
        unit="歳",
    ),
    Param(
        "income.salary_mean_men",
        "numbers",
        low=0,
        length=N_BANDS,
        ja="男性の給与収入の平均(年齢階級ごと、income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.salary_mean_women",
        "numbers",
        low=0,
        length=N_BANDS,
        ja="女性の給与収入の平均(年齢階級ごと、income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.base_year",
        low=2000,
        high=2100,
        ja="給与・事業・年金の平均額がどの所得年(暦年)の値か。他の年は income.wage_growth で伸ばす",
        unit="年",
        when="none",
    ),
    Param(
        "income.regular_ratio",
        low=1,
        high=10,
        ja="正規雇用の給与の平均が非正規雇用の何倍か",
        unit="倍",
    ),
    Param(
        "income.sigma_regular",
        low=0,
        high=2,
        ja="正規雇用の給与のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        "income.sigma_nonregular",
        low=0,
        high=2,
        ja="非正規雇用の給与のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        "income.yearly_noise",
        low=0,
        high=1,
        ja="所得の順位のうち毎年引き直す部分の大きさ(0なら毎年同じ順位)",
        unit="割合(0～1)",
    ),
    Param(
        "income.wage_growth",
        low=-0.1,
        high=0.1,
        ja="名目の給与・事業所得・年金の1年あたりの伸び率(income.base_year を基準にする)",
        unit="割合(1年あたり)",
    ),
    Param(
        "income.regular_share_men",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="男性の年齢階級ごとの正規雇用の割合(所得年の12月31日の年齢)",
        unit="割合(0～1)",
    ),
    Param(
        "income.regular_share_women",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="女性の年齢階級ごとの正規雇用の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.nonregular_share_men",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="男性の年齢階級ごとの非正規雇用の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.nonregular_share_women",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="女性の年齢階級ごとの非正規雇用の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.self_employed_share_men",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="男性の年齢階級ごとの自営業の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.self_employed_share_women",
        "numbers",
        low=0,
        high=1,
        length=N_BANDS,
        ja="女性の年齢階級ごとの自営業の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.rank_employment_link",
        low=0,
        high=1,
        ja="所得の順位が高い人ほど正規雇用になりやすい度合い(0～1)",
        unit="相関(0～1)",
    ),
    Param(
        "income.business_mean_men",
        low=0,
        ja="男性の自営業の事業所得の平均(income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.business_mean_women",
        low=0,
        ja="女性の自営業の事業所得の平均(income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.sigma_business",
        low=0,
        high=3,
        ja="事業所得のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        "income.pension_mean_men",
        low=0,
        ja="65歳以上の男性の公的年金の平均(income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.pension_mean_women",
        low=0,
        ja="65歳以上の女性の公的年金の平均(income.base_year の年の値)",
        unit="円(1年あたり)",
    ),
    Param(
        "income.sigma_pension",
        low=0,
        high=2,
        ja="公的年金額のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        "income.no_pension_share",
        low=0,
        high=1,
        ja="65歳以上で働いていない人のうち、公的年金のない人(無職)の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.pension_rank_link",
        low=0,
        high=1,
        ja="年金額が現役時代の所得の順位に沿う度合い(0～1)",
        unit="相関(0～1)",
    ),
    Param(
        "income.social_insurance_salary",
        low=0,
        high=0.5,
        ja="給与収入に対する社会保険料の割合(社会保険料控除に使う)",
        unit="割合(0～1)",
    ),
    Param(
        "income.social_insurance_salary_cap",
        low=0,
        ja="給与所得者の社会保険料の上限",
        unit="円(1年あたり)",
    ),
    Param(
        "income.social_insurance_business",
        low=0,
        high=0.5,
        ja="事業所得に対する社会保険料(国民健康保険・国民年金)の割合",
        unit="割合(0～1)",
    ),
    Param(
        "income.social_insurance_pension",
        low=0,
        high=0.5,
        ja="年金収入に対する社会保険料(医療・介護保険)の割合",
        unit="割合(0～1)",
    ),
    # municipality (profile)
    Param(
        "income.level",
        low=0.2,
        high=5,
        ja="この自治体の給与・事業所得の水準(全国の平均に掛ける倍率)。所得の目標値(income.target_*)にはこれを調整して合わせる",
        unit="倍",
    ),
    Param(
        "income.pension_level",
        low=0.2,
        high=5,
        ja="この自治体の年金額の水準(全国の平均に掛ける倍率)",
        unit="倍",
    ),
    Param(
        "income.employment_factor",
        low=0.2,
        high=2,
        ja="働く人の割合に掛ける倍率(1より大きいと働く人が多い)",
        unit="倍",
    ),
    Param("income.grade", low=1, high=3, ja="住民税の非課税限度額を決める級地(1～3)", unit="級地"),
    Param(
        "income.target_income_per_taxpayer",
        low=0,
        ja="所得割の納税義務者1人あたりの総所得金額等の目標。生成には使わず、income.target_income_fiscal_year の結果と比べる",
        unit="円",
        when="check",
        driver="income.level",
    ),
    Param(
        "income.target_income_fiscal_year",
        low=2000,
        high=2100,
        ja="所得の目標値(income.target_*)がどの年度の値か",
        unit="年度",
        when="check",
        driver="income.level",
    ),
    Param(
        "income.target_levy_payer_share",
        low=0,
        high=1,
        ja="住民のうち所得割を納める人の割合の目標。生成には使わず、結果と比べる",
        unit="割合(0～1)",
        when="check",
        driver="income.employment_factor",
    ),
    Param(
        "income.target_salary_percentiles",
        "numbers",
        low=0,
        length=4,
        ja="給与所得者の給与収入の25・50・75・90パーセンタイルの目標。生成には使わず、結果と比べる",
        unit="円",
        when="check",
        driver="income.level",
    ),
]


@dataclass(frozen=True)
class _Params:
    bands: np.ndarray
    salary_mean: np.ndarray  # (2, bands): men, women
    shares: np.ndarray  # (2, bands, 3): regular, non-regular, self-employed
    base_year: int
    regular_ratio: float
    sigma_reg: float
    sigma_non: float
    yearly_noise: float
    wage_growth: float
    rank_link: float
    business_mean: np.ndarray  # (2,)
    sigma_business: float
    pension_mean: np.ndarray  # (2,)
    sigma_pension: float
    no_pension: float
    pension_link: float
    si_salary: float
    si_salary_cap: float
    si_business: float
    si_pension: float
    level: float
    pension_level: float
    grade: int
    kind: str  # municipality.kind: a designated city splits the income levy 8:2 (tax.levy_split)

    @classmethod
    def read(cls, p: Profile) -> _Params:
        g = "income."
        factor = p.number(g + "employment_factor")
        shares = np.stack(
            [
                np.stack(
                    [
                        p.numbers(f"{g}{k}_share_{sex}")
                        for k in ("regular", "nonregular", "self_employed")
                    ],
                    axis=-1,
                )
                for sex in ("men", "women")
            ]
        )
        shares = shares * factor
        total = shares.sum(axis=-1, keepdims=True)
        shares = np.where(total > 0.98, shares * 0.98 / np.maximum(total, 1e-12), shares)
        grade = p.number(g + "grade")
        if grade not in (1, 2, 3):
            raise ProfileError(message("income.grade", found=repr(grade), origin=p.origin))
        return cls(
            bands=p.numbers(g + "age_bands"),
            salary_mean=np.stack(
                [p.numbers(g + "salary_mean_men"), p.numbers(g + "salary_mean_women")]
            ),
            shares=shares,
            base_year=int(p.number(g + "base_year")),
            regular_ratio=p.number(g + "regular_ratio"),
            sigma_reg=p.number(g + "sigma_regular"),
            sigma_non=p.number(g + "sigma_nonregular"),
            yearly_noise=p.number(g + "yearly_noise"),
            wage_growth=p.number(g + "wage_growth"),
            rank_link=p.number(g + "rank_employment_link"),
            business_mean=np.array(
                [p.number(g + "business_mean_men"), p.number(g + "business_mean_women")]
            ),
            sigma_business=p.number(g + "sigma_business"),
            pension_mean=np.array(
                [p.number(g + "pension_mean_men"), p.number(g + "pension_mean_women")]
            ),
            sigma_pension=p.number(g + "sigma_pension"),
            no_pension=p.number(g + "no_pension_share"),
            pension_link=p.number(g + "pension_rank_link"),
            si_salary=p.number(g + "social_insurance_salary"),
            si_salary_cap=p.number(g + "social_insurance_salary_cap"),
            si_business=p.number(g + "social_insurance_business"),
            si_pension=p.number(g + "social_insurance_pension"),
            level=p.number(g + "level"),
            pension_level=p.number(g + "pension_level"),
            grade=int(grade),
            kind=p.words.kind,
        )


def _thresholds(shares: np.ndarray) -> np.ndarray:
    """Normal-scale cut points so a standard-normal latent falls into each employment class.

    Classes from the top: regular, self-employed, non-regular, not working. Returns an array
    (..., 3) of cut points: latent > c0 regular, > c1 self-employed, > c2 non-regular.
    """
    cum = np.cumsum(shares[..., [0, 2, 1]], axis=-1)
    inv = np.vectorize(lambda q: NormalDist().inv_cdf(min(max(1.0 - q, 1e-12), 1 - 1e-12)))
    return inv(cum)


def _codes(series: pd.Series, labels: list[str]) -> np.ndarray:
    """Positions of a (categorical or text) column's values in ``labels``; -1 when absent."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        lookup = np.array(
            [labels.index(c) if c in labels else -1 for c in series.cat.categories] + [-1]
        )
        return lookup[series.cat.codes.to_numpy()]  # code -1 (missing) picks the last entry
    return pd.Categorical(series, categories=labels).codes.astype(np.int64)


def _first_best(codes: np.ndarray, n_groups: int, score: np.ndarray) -> np.ndarray:
    """Row of each group's highest ``score``, the earliest row on a tie (0 for empty groups).

    Two passes of ``ufunc.at`` instead of sorting by group and score: on a city's 27 million
    resident-years this takes well under a second where a lexsort took about nine.
    """
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, codes, score)
    top = np.flatnonzero(score == best[codes])
    row = np.full(n_groups, len(codes), dtype=np.int64)
    np.minimum.at(row, codes[top], top)
    row[row == len(codes)] = 0
    return row


def _dependants(
    fy: np.ndarray,
    household: np.ndarray,
    relationship: np.ndarray,
    age_dec: np.ndarray,
    income: np.ndarray,
    limit: np.ndarray,
) -> dict[str, np.ndarray]:
    """Spouse and dependant counts of each row's claimant, from the household of the register.

    The claimant of a household is the higher earner of head and spouse (the head when there is
    no spouse). Every other member whose total income is within ``limit`` is the claimant's
    spouse (if head or spouse) or a dependant of the class given by their age.
    """
    n = len(fy)
    years = fy - fy.min() if n else fy
    span = int(household.max()) + 1 if n else 1
    if household.min(initial=0) >= 0 and span * (int(years.max(initial=0)) + 1) <= 4 * n:
        codes = years * span + household  # dense household ids: no hashing needed
        n_groups = int(codes.max(initial=-1)) + 1
    else:
        codes, uniques = pd.factorize(years * (1 << 40) + household)
        n_groups = len(uniques)
    is_head = relationship == HEAD
    is_spouse = relationship == SPOUSE
    # highest score of the household: head and spouse first, then income, the head on ties
    score = income.astype(np.float64) + np.where(
        is_head, 1e13 + 0.5, np.where(is_spouse, 1e13, 0.0)
    )
    claimant = _first_best(codes, n_groups, score)[codes]
    not_claimant = claimant != np.arange(n)
    eligible = not_claimant & (income <= limit)
    claimant_rel = relationship[claimant]
    spouse = eligible & (
        (is_spouse & (claimant_rel == HEAD)) | (is_head & (claimant_rel == SPOUSE))
    )
    dep = np.flatnonzero(eligible & ~spouse)
    d_age, d_rel, d_claimant = age_dec[dep], relationship[dep], claimant[dep]
    # class of each dependant: young, general (16-18, 23-69), specific (19-22), elderly, parent
    cls = np.where(
        d_age < 16,
        0,
        np.where(
            d_age <= 18,
            1,
            np.where(d_age <= 22, 2, np.where(d_age < 70, 1, np.where(d_rel == PARENT, 4, 3))),
        ),
    )
    # counted straight into int8 cells: a bincount would first fill n * 5 int64 counters
    counts = np.zeros(n * 5, dtype=np.int8)
    np.add.at(counts, d_claimant * 5 + cls, 1)
    counts = counts.reshape(n, 5)
    out = {k: counts[:, i] for i, k in enumerate(DEPENDANT_COUNTS)}
    spouse_rows = np.flatnonzero(spouse)
    out["spouse"] = np.bincount(claimant[spouse_rows], minlength=n) > 0
    old_spouse = spouse_rows[age_dec[spouse_rows] >= 70]
    out["elderly_spouse"] = np.bincount(claimant[old_spouse], minlength=n) > 0
    out["child_under_23"] = np.bincount(d_claimant[d_age < 23], minlength=n) > 0
    child_dep = np.bincount(d_claimant[d_rel == CHILD], minlength=n) > 0
    has_spouse_member = np.bincount(codes[is_spouse], minlength=n_groups)[codes] > 0
    out["single_parent"] = ~not_claimant & is_head & ~has_spouse_member & child_dep
    return out


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``income_tax`` from ``resident_years`` and ``residents``.

    Stages: read the register; draw each person's lasting effects; employment; salary,
    business and pension revenue; social insurance; spouses and dependants from the
    household; income tax and resident tax by income year; the table.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    >>> ctx.tables["residents"] = pd.DataFrame({"person_id": [1], "birth_date": pd.to_datetime(["1980-05-01"])})
    >>> ctx.tables["resident_years"] = pd.DataFrame({"fiscal_year": [2020], "person_id": [1], "age": [39],
    ...     "sex": ["男性"], "household_id": [1], "relationship": ["世帯主"]})
    >>> list(simulate(ctx)["income_tax"].columns[:3])
    ['fiscal_year', 'income_year', 'person_id']
    """
    for name in ("resident_years", "residents"):
        if name not in ctx.tables:
            # only a caller that skips population can get here (a bug, not a profile error)
            raise RuntimeError(
                f"The income module needs the '{name}' table; run the population module first."
            )
    prm = _Params.read(ctx.profile)
    register = _read_register(ctx.tables["resident_years"], ctx.tables["residents"])
    rows = _table_rows(register, prm)
    effects = _draw_effects(ctx.rng(NAME), len(ctx.tables["residents"]), rows)
    revenue = _revenue(prm, rows, effects)
    del effects
    social = np.floor(
        np.minimum(revenue.salary * prm.si_salary, prm.si_salary_cap)
        + revenue.business * prm.si_business
        + revenue.pension * prm.si_pension
    )
    fam = _family(register, rows, revenue)
    del register
    # majority at 18 from April 2022 (status on 1 January)
    minor_age = np.where(rows.fy <= 2022, 20, 18)
    exempt = (rows.age_dec < minor_age) | fam["single_parent"]
    cols = _assess(prm, rows, revenue, social, fam, exempt)
    return {"income_tax": _frame(rows, revenue, fam, cols)}


@dataclass(frozen=True)
class _Register:
    """Every register row (children too: they count as dependants), sorted by fiscal year."""

    fy: np.ndarray
    pid: np.ndarray
    person: np.ndarray  # position of each row's person in ``residents``
    age_dec: np.ndarray  # age on 31 December of the income year
    relationship: np.ndarray
    household: np.ndarray
    adult_rows: np.ndarray  # the rows aged 15+ on 1 April, which become the table's rows
    female: np.ndarray  # of the adult rows, 1 for women


def _read_register(ry: pd.DataFrame, res: pd.DataFrame) -> _Register:
    """The register rows sorted by fiscal year, with each person's age on 31 December."""
    fy_all = ry["fiscal_year"].to_numpy(np.int64)
    order = np.argsort(fy_all, kind="stable") if (np.diff(fy_all) < 0).any() else slice(None)
    fy_all = fy_all[order]
    pid_all = ry["person_id"].to_numpy(np.int64)[order]
    idx_all = pd.Index(res["person_id"].to_numpy(np.int64)).get_indexer(pid_all)
    if (idx_all < 0).any():
        raise RuntimeError("Some person_id of resident_years are missing from residents.")
    birth_year = res["birth_date"].dt.year.to_numpy(np.int64)
    adult_rows = np.flatnonzero(ry["age"].to_numpy()[order] >= 15)
    return _Register(
        fy=fy_all,
        pid=pid_all,
        person=idx_all,
        age_dec=fy_all - 1 - birth_year[idx_all],
        relationship=_codes(ry["relationship"], RELATIONSHIPS)[order],
        household=ry["household_id"].to_numpy(np.int64)[order],
        adult_rows=adult_rows,
        female=(_codes(ry["sex"], ["男性", "女性"])[order][adult_rows] == 1).astype(np.int64),
    )


@dataclass(frozen=True)
class _Rows:
    """The rows of ``income_tax`` (residents aged 15+ on 1 April) and what the models group by."""

    fy: np.ndarray
    pid: np.ndarray
    person: np.ndarray
    age_dec: np.ndarray
    female: np.ndarray
    years: np.ndarray  # the fiscal years, first to last
    bounds: np.ndarray  # rows bounds[k]:bounds[k + 1] belong to years[k]
    group: np.ndarray  # sex x age band
    old: np.ndarray  # 65 or over on 31 December
    growth: np.ndarray  # wage growth factor of each fiscal year
    year_of: np.ndarray  # position of each row's fiscal year in ``years``

    @property
    def n(self) -> int:
        return len(self.fy)


def _table_rows(register: _Register, prm: _Params) -> _Rows:
    """Select the rows aged 15+ and compute their age band, year position and wage growth."""
    fy = register.fy[register.adult_rows]
    age_dec = register.age_dec[register.adult_rows]
    n = len(fy)
    years = np.arange(fy.min(), fy.max() + 1) if n else np.zeros(0, dtype=np.int64)
    band = np.clip((age_dec - int(prm.bands[0])) // 5, 0, N_BANDS - 1)
    return _Rows(
        fy=fy,
        pid=register.pid[register.adult_rows],
        person=register.person[register.adult_rows],
        age_dec=age_dec,
        female=register.female,
        years=years,
        bounds=np.searchsorted(fy, np.r_[years, years[-1] + 1] if n else [0]),
        group=register.female * N_BANDS + band,
        old=age_dec >= 65,
        growth=((1 + prm.wage_growth) ** (years - prm.base_year)).astype(np.float64),
        year_of=fy - (years[0] if n else 0),
    )


@dataclass(frozen=True)
class _Effects:
    """Standard-normal and uniform draws: lasting per person (indexed by row) and yearly."""

    z: np.ndarray  # earnings rank
    w: np.ndarray  # attachment to work
    zb: np.ndarray  # business
    zp: np.ndarray  # pension
    up: np.ndarray  # no pension
    e_sal: np.ndarray  # yearly part of pay
    e_emp: np.ndarray  # yearly part of employment


def _draw_effects(rng: np.random.Generator, n_persons: int, rows: _Rows) -> _Effects:
    """Draw the lasting effects in the order of ``residents`` (one per person), then yearly ones.

    The order of the draws is the random stream of this module: changing it changes the data.
    """
    idx = rows.person
    z = rng.standard_normal(n_persons, dtype=np.float32)[idx]
    w = rng.standard_normal(n_persons, dtype=np.float32)[idx]
    zb = rng.standard_normal(n_persons, dtype=np.float32)[idx]
    zp = rng.standard_normal(n_persons, dtype=np.float32)[idx]
    up = rng.random(n_persons, dtype=np.float32)[idx]
    e_sal = rng.standard_normal(rows.n, dtype=np.float32)
    e_emp = rng.standard_normal(rows.n, dtype=np.float32)
    return _Effects(z=z, w=w, zb=zb, zp=zp, up=up, e_sal=e_sal, e_emp=e_emp)


@dataclass(frozen=True)
class _Revenue:
    """Employment and the three kinds of revenue of each row."""

    employment: np.ndarray
    salary: np.ndarray
    business: np.ndarray
    pension: np.ndarray


def _revenue(prm: _Params, rows: _Rows, fx: _Effects) -> _Revenue:
    """Employment, then salary, business income and pension; pensioners are those with one."""
    emp = _employment(prm, rows, fx)
    salary = _salary(prm, rows, fx, emp)
    business = _business(prm, rows, fx, emp)
    pension = _pension(prm, rows, fx)
    emp = np.where(rows.old & (emp == NONE) & (pension > 0), np.int8(PENSION), emp)
    return _Revenue(employment=emp, salary=salary, business=business, pension=pension)


def _employment(prm: _Params, rows: _Rows, fx: _Effects) -> np.ndarray:
    """A standard-normal attachment falls between cut points by sex and age band."""
    v = prm.yearly_noise
    link = prm.rank_link
    latent = (
        np.float32(np.sqrt(1 - v))
        * (np.float32(link) * fx.z + np.float32(np.sqrt(1 - link**2)) * fx.w)
        + np.float32(np.sqrt(v)) * fx.e_emp
    )
    cuts = _thresholds(prm.shares).reshape(-1, 3).astype(np.float32)
    level = (latent > cuts[:, 2].take(rows.group)).astype(np.int8)
    level += latent > cuts[:, 1].take(rows.group)
    level += latent > cuts[:, 0].take(rows.group)
    return np.array([NONE, NONREGULAR, SELF_EMPLOYED, REGULAR], dtype=np.int8).take(level)


def _salary(prm: _Params, rows: _Rows, fx: _Effects, emp: np.ndarray) -> np.ndarray:
    """The group mean split into regular and non-regular pay with the survey's ratio."""
    v = prm.yearly_noise
    s = prm.shares.reshape(-1, 3)
    nonreg_share = s[:, 1] / np.maximum(s[:, 0] + s[:, 1], 1e-9)
    regular_mean = prm.salary_mean.reshape(-1) / (
        (1 - nonreg_share) + nonreg_share / prm.regular_ratio
    )
    means = (
        np.stack([regular_mean / prm.regular_ratio, regular_mean], axis=1) * prm.level
    )  # (groups, 2)
    sigmas = np.array([prm.sigma_non, prm.sigma_reg])
    log_mu = (np.log(np.maximum(means, 1.0)) - sigmas**2 / 2).reshape(-1)
    sig = np.tile(sigmas, len(regular_mean))
    salary = np.zeros(rows.n)
    sel = np.flatnonzero((emp == REGULAR) | (emp == NONREGULAR))
    gi = rows.group[sel] * 2 + (emp[sel] == REGULAR)
    rank = np.sqrt(1 - v) * fx.z[sel] + np.sqrt(v) * fx.e_sal[sel]
    salary[sel] = np.round(np.exp(log_mu[gi] + sig[gi] * rank) * rows.growth[rows.year_of[sel]], -3)
    return salary


def _business(prm: _Params, rows: _Rows, fx: _Effects, emp: np.ndarray) -> np.ndarray:
    """Log-normal business income of the self-employed, partly tied to the earnings rank."""
    v = prm.yearly_noise
    business = np.zeros(rows.n)
    sel = np.flatnonzero(emp == SELF_EMPLOYED)
    sb = prm.sigma_business
    brank = np.sqrt(1 - v) * (0.6 * fx.z[sel] + 0.8 * fx.zb[sel]) + np.sqrt(v) * fx.e_sal[sel]
    mean_b = prm.business_mean[rows.female[sel]] * prm.level * rows.growth[rows.year_of[sel]]
    business[sel] = np.round(mean_b * np.exp(sb * brank - sb**2 / 2), -3)
    return business


def _pension(prm: _Params, rows: _Rows, fx: _Effects) -> np.ndarray:
    """Log-normal public pension from 65, except for the share with no pension."""
    pension = np.zeros(rows.n)
    sel = np.flatnonzero(rows.old & (fx.up >= prm.no_pension))
    sp_, pl = prm.sigma_pension, prm.pension_link
    prank = pl * fx.z[sel] + np.sqrt(1 - pl**2) * fx.zp[sel]
    mean_p = prm.pension_mean[rows.female[sel]] * prm.pension_level * rows.growth[rows.year_of[sel]]
    pension[sel] = np.round(mean_p * np.exp(sp_ * prank - sp_**2 / 2), -3)
    return pension


def _family(register: _Register, rows: _Rows, revenue: _Revenue) -> dict[str, np.ndarray]:
    """Spouse and dependant counts of each table row, from the household on the register.

    Only those whose revenue could leave them within the dependant limit (total income
    <= ¥580k: salary <= ¥1.23M, pension <= ¥1.68M, business <= ¥580k) have their income
    computed; everyone else is out of reach, so their income counts as infinite.
    """
    salary, pension, business = revenue.salary, revenue.pension, revenue.business
    pre_total = np.full(rows.n, np.inf)
    limit_all = np.zeros(len(register.fy))
    for k, y in enumerate(rows.years):
        lo, hi = rows.bounds[k], rows.bounds[k + 1]
        year = int(y) - 1
        cand = lo + np.flatnonzero(
            (salary[lo:hi] <= 1_300_000)
            & (pension[lo:hi] <= 1_800_000)
            & (business[lo:hi] <= 600_000)
        )
        sal_inc = tax.salary_income(salary[cand], year)
        pen_inc = tax.pension_income(
            pension[cand], year, aged_65=rows.old[cand], other_income=sal_inc + business[cand]
        )
        pre_total[cand] = sal_inc + pen_inc + business[cand]
        limit_all[register.fy == y] = tax.dependant_income_limit(year)
    income_all = np.zeros(len(register.fy))
    income_all[register.adult_rows] = pre_total
    fam = _dependants(
        register.fy,
        register.household,
        register.relationship,
        register.age_dec,
        income_all,
        limit_all,
    )
    return {k: v_[register.adult_rows] for k, v_ in fam.items()}


def _assess(
    prm: _Params,
    rows: _Rows,
    revenue: _Revenue,
    social: np.ndarray,
    fam: dict[str, np.ndarray],
    exempt: np.ndarray,
) -> dict[str, np.ndarray]:
    """Income tax and resident tax of the rows with any income, one income year at a time."""
    salary, pension, business, old = revenue.salary, revenue.pension, revenue.business, rows.old
    names = ("total", "ded", "taxable", "it_taxable", "it", "levy", "levy_m", "pc", "forest")
    cols = {k: np.zeros(rows.n, dtype=np.int64) for k in names}
    has_income = (salary > 0) | (pension > 0) | (business > 0)
    for k, y in enumerate(rows.years):
        m = rows.bounds[k] + np.flatnonzero(has_income[rows.bounds[k] : rows.bounds[k + 1]])
        a = tax.assess(
            int(y) - 1,
            salary_revenue=salary[m],
            pension_revenue=pension[m],
            business_income=business[m],
            aged_65=old[m],
            social_insurance=social[m],
            spouse=fam["spouse"][m],
            elderly_spouse=fam["elderly_spouse"][m],
            young=fam["young"][m],
            general=fam["general"][m],
            specific=fam["specific"][m],
            elderly=fam["elderly"][m],
            elderly_parent=fam["elderly_parent"][m],
            child_under_23=fam["child_under_23"][m],
            exempt_person=exempt[m],
            grade=prm.grade,
            kind=prm.kind,
        )
        cols["total"][m] = a.total_income
        cols["ded"][m] = a.resident_deductions
        cols["taxable"][m] = a.resident_taxable
        cols["it_taxable"][m] = a.income_tax_taxable
        cols["it"][m] = a.income_tax
        cols["levy"][m] = a.income_levy
        cols["levy_m"][m] = a.resident.income_levy_municipal
        cols["pc"][m] = a.resident.per_capita_levy
        cols["forest"][m] = a.resident.forest_tax
    return cols


def _frame(
    rows: _Rows, revenue: _Revenue, fam: dict[str, np.ndarray], cols: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The ``income_tax`` table."""
    dependants = fam["spouse"].astype(np.int16)
    for key in DEPENDANT_COUNTS:
        dependants += fam[key].astype(np.int16)
    return pd.DataFrame(
        {
            "fiscal_year": rows.fy.astype(np.int16),
            "income_year": (rows.fy - 1).astype(np.int16),
            "person_id": rows.pid,
            "employment": pd.Categorical.from_codes(revenue.employment, categories=EMPLOYMENT),
            "salary_revenue": revenue.salary.astype(np.int64),
            "pension_revenue": revenue.pension.astype(np.int64),
            "business_income": revenue.business.astype(np.int64),
            "total_income": cols["total"],
            "income_deductions": cols["ded"],
            "taxable_income": cols["taxable"],
            "income_tax_taxable": cols["it_taxable"],
            "income_tax": cols["it"],
            "income_levy": cols["levy"],
            "income_levy_municipal": cols["levy_m"],
            "per_capita_levy": cols["pc"],
            "forest_environment_tax": cols["forest"],
            "resident_tax": cols["levy"] + cols["pc"],
            "dependants": dependants,
            "is_taxpayer": cols["levy"] > 0,
        },
        copy=False,  # the arrays are fresh; skip consolidating them into one 2-D block
    )


def summary(income_tax: pd.DataFrame, resident_years: pd.DataFrame) -> pd.DataFrame:
    """Calibration figures by fiscal year, to compare with the profile's targets.

    Columns: income_per_taxpayer (total income per income-levy payer), levy_payer_share
    (income-levy payers over all registered residents, children included) and the 25th, 50th,
    75th and 90th percentiles of salary revenue among salary earners.

    Examples
    --------
    >>> it = pd.DataFrame({"fiscal_year": [2020, 2020], "total_income": [3_000_000, 0],
    ...     "is_taxpayer": [True, False], "salary_revenue": [4_000_000, 0]})
    >>> ry = pd.DataFrame({"fiscal_year": [2020, 2020, 2020]})
    >>> float(summary(it, ry).loc[2020, "levy_payer_share"])
    0.3333333333333333
    """
    payers = income_tax[income_tax["is_taxpayer"]]
    out = pd.DataFrame(
        {
            "income_per_taxpayer": payers.groupby("fiscal_year")["total_income"].mean(),
            "levy_payer_share": payers.groupby("fiscal_year").size()
            / resident_years.groupby("fiscal_year").size(),
        }
    )
    earners = income_tax[income_tax["salary_revenue"] > 0]
    q = earners.groupby("fiscal_year")["salary_revenue"].quantile([0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["salary_p25", "salary_p50", "salary_p75", "salary_p90"]
    return out.join(q)
