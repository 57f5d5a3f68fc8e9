"""Japanese individual income tax and resident tax rules, vectorised.

Every function takes numpy arrays (or scalars) of yen amounts and one year, and returns numpy
arrays of whole yen (int64) or rates (float64). The year is the **income year** (calendar year,
所得年) unless a parameter is called ``fiscal_year``: resident tax of fiscal year ``Y`` (年度) is
levied on the income of calendar year ``Y - 1``. Income years 2014-2030 are accepted.

What is modelled (sources, read for this module and paraphrased in the comments below):

- salary income deduction (給与所得控除) for income years 2014-2015, 2016, 2017-2019, 2020-2024
  and 2025 onward (National Tax Agency (NTA), tax answer No.1410 and its history tables);
  below ¥6.6M the revenue is first rounded down to a multiple of ¥4,000, as the table in
  appended table 5 of the Income Tax Act (所得税法別表第五) does;
- public pension deduction (公的年金等控除) under and over 65, before and from 2020
  (NTA tax answer No.1600);
- income-amount adjustment deduction (所得金額調整控除, from 2020; NTA tax answer No.1411);
- basic, spouse and dependant deductions for income tax (NTA tax answers No.1199, No.1191,
  No.1180) and for resident tax (Local Tax Act, arts. 34 and 314-2);
- income tax by the progressive table (NTA tax answer No.2260) with the 2.1% reconstruction
  surtax (復興特別所得税, income years 2013-2037; NTA tax answer No.2260);
- resident tax: income levy (所得割) 10% = municipal 6% + prefectural 4% (Local Tax Act arts. 35
  and 314-3), 8% + 2% for a designated city (政令指定都市) from FY2018 (:func:`levy_split`), the
  adjustment deduction (調整控除, arts. 37 and 314-6), the per-capita levy
  (均等割) with the FY2014-FY2023 reconstruction surcharges and the forest environment tax from
  FY2024 (森林環境税及び森林環境譲与税に関する法律), and the non-taxable thresholds (非課税限度額,
  art. 295 and supplementary provisions art. 3-3) for grade-1 (1級地, e.g. Tokyo's 23 wards),
  grade-2 and grade-3 municipalities.

The personal-deduction differences (人的控除差調整額: basic ¥50,000, spouse and dependants; Local
Tax Act arts. 37 and 314-6, item 1 (a)) are given by :func:`personal_deduction_difference` and
:attr:`Assessment.special_base`. They set the adjustment deduction and, through the resident-tax
taxable income less them, the rate of the furusato-nozei special part (arts. 37-2 and 314-7; see
:mod:`ebpmkit.furusato`). Up to income year 2024 that amount equals the income-tax taxable income
for total incomes up to ¥24M; from 2025 the income-tax basic deduction is raised while the
resident-tax one and the ¥50,000 difference stay, so the two differ.

What is not modelled: the spouse special deduction (配偶者特別控除), the 2025 specific-relative
special deduction (特定親族特別控除), disability, widow and single-parent deductions (other than
their non-taxable threshold), insurance, medical and donation deductions, separate taxation
(capital gains, dividends), tax credits, the 2024 flat-rate tax cut (定額減税: income tax of
income year 2024 and resident tax of FY2024 are shown before it), and tax reforms enacted after
the FY2025 reform. Years after the last reform modelled here use the last rules modelled.

Examples
--------
>>> int(salary_income(5_000_000, 2023))
3560000
>>> int(income_tax(6_070_000, 2023))
803000
>>> r = resident_tax(total_income=8_050_000, taxable_income=6_120_000, income_year=2023)
>>> int(r.income_levy), int(r.per_capita_levy)
(609500, 5000)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ebpmkit.errors import ParameterError, check_choice
from ebpmkit.messages import message

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "Assessment",
    "PerCapitaLevy",
    "ResidentTax",
    "adjustment_deduction",
    "assess",
    "basic_deduction",
    "dependant_deduction",
    "dependant_income_limit",
    "exempt_person_limit",
    "income_adjustment_deduction",
    "income_tax",
    "levy_split",
    "marginal_rate",
    "non_taxable_limits",
    "pension_deduction",
    "pension_income",
    "per_capita_levy",
    "personal_deduction_difference",
    "resident_tax",
    "salary_income",
    "salary_income_deduction",
    "spouse_deduction",
]

FIRST_YEAR = 2014
"""First income year accepted."""
LAST_YEAR = 2030
"""Last income year accepted."""

INF = np.inf

# Each schedule is a list of (upper bound inclusive, rate, constant): amount = rate * x + constant
# for x up to the bound. Bounds are in yen.

# Salary income deduction (給与所得控除), NTA tax answer No.1410 and the tables of earlier years.
_SALARY_2014 = [  # income years 2013-2015 (平成25-27年分)
    (1_625_000, 0.0, 650_000),
    (1_800_000, 0.4, 0),
    (3_600_000, 0.3, 180_000),
    (6_600_000, 0.2, 540_000),
    (10_000_000, 0.1, 1_200_000),
    (15_000_000, 0.05, 1_700_000),
    (INF, 0.0, 2_450_000),
]
_SALARY_2016 = [  # income year 2016 (平成28年分): cap 2.3M above 12M
    *_SALARY_2014[:5],
    (12_000_000, 0.05, 1_700_000),
    (INF, 0.0, 2_300_000),
]
_SALARY_2017 = [*_SALARY_2014[:5], (INF, 0.0, 2_200_000)]  # 2017-2019: cap 2.2M above 10M
_SALARY_2020 = [  # 2020-2024 (令和2年分以降): every step 100k lower, cap 1.95M above 8.5M
    (1_625_000, 0.0, 550_000),
    (1_800_000, 0.4, -100_000),
    (3_600_000, 0.3, 80_000),
    (6_600_000, 0.2, 440_000),
    (8_500_000, 0.1, 1_100_000),
    (INF, 0.0, 1_950_000),
]
_SALARY_2025 = [(1_900_000, 0.0, 650_000), *_SALARY_2020[2:]]  # FY2025 reform: minimum 650k

# Public pension deduction (公的年金等控除), NTA tax answer No.1600, when other income <= 10M.
_PENSION_UNDER65_2005 = [  # income years 2005-2019
    (1_300_000, 0.0, 700_000),
    (4_100_000, 0.25, 375_000),
    (7_700_000, 0.15, 785_000),
    (INF, 0.05, 1_555_000),
]
_PENSION_65_2005 = [
    (3_300_000, 0.0, 1_200_000),
    (4_100_000, 0.25, 375_000),
    (7_700_000, 0.15, 785_000),
    (INF, 0.05, 1_555_000),
]
_PENSION_UNDER65_2020 = [  # 2020 onward: 100k lower, capped at 1.955M above 10M
    (1_300_000, 0.0, 600_000),
    (4_100_000, 0.25, 275_000),
    (7_700_000, 0.15, 685_000),
    (10_000_000, 0.05, 1_455_000),
    (INF, 0.0, 1_955_000),
]
_PENSION_65_2020 = [(3_300_000, 0.0, 1_100_000), *_PENSION_UNDER65_2020[1:]]

# Income tax table (速算表), NTA tax answer No.2260: rate * taxable - constant.
_INCOME_TAX_2015 = [
    (1_949_000, 0.05, 0),
    (3_299_000, 0.10, -97_500),
    (6_949_000, 0.20, -427_500),
    (8_999_000, 0.23, -636_000),
    (17_999_000, 0.33, -1_536_000),
    (39_999_000, 0.40, -2_796_000),
    (INF, 0.45, -4_796_000),
]
_INCOME_TAX_2014 = [*_INCOME_TAX_2015[:5], (INF, 0.40, -2_796_000)]  # 45% bracket from 2015
RECONSTRUCTION_SURTAX = 0.021
"""Reconstruction special income tax: 2.1% of income tax, income years 2013-2037 (NTA No.2260)."""

# Basic deduction (基礎控除) by total income (合計所得金額): (upper bound, amount).
_BASIC_INCOME_TAX_2020 = [
    (24_000_000, 480_000),
    (24_500_000, 320_000),
    (25_000_000, 160_000),
    (INF, 0),
]
_BASIC_RESIDENT_2020 = [
    (24_000_000, 430_000),
    (24_500_000, 290_000),
    (25_000_000, 150_000),
    (INF, 0),
]
# FY2025 reform (NTA, 令和7年度税制改正による所得税の基礎控除の見直し等について): 580k up to
# 23.5M, 950k up to 1.32M; the middle steps 880k/680k/630k apply to income years 2025-2026 only.
_BASIC_INCOME_TAX_2025 = [
    (1_320_000, 950_000),
    (3_360_000, 880_000),
    (4_890_000, 680_000),
    (6_550_000, 630_000),
    (23_500_000, 580_000),
    *_BASIC_INCOME_TAX_2020,
]
_BASIC_INCOME_TAX_2027 = [(1_320_000, 950_000), (23_500_000, 580_000), *_BASIC_INCOME_TAX_2020]

# Spouse deduction (配偶者控除) from 2018 by the claimant's total income: (upper, income tax,
# resident tax, income tax for a spouse aged 70+, resident tax for a spouse aged 70+, the
# personal-deduction difference used by the adjustment deduction, the same for 70+).
_SPOUSE_2018 = [
    (9_000_000, 380_000, 330_000, 480_000, 380_000, 50_000, 100_000),
    (9_500_000, 260_000, 220_000, 320_000, 260_000, 40_000, 60_000),
    (10_000_000, 130_000, 110_000, 160_000, 130_000, 20_000, 30_000),
    (INF, 0, 0, 0, 0, 0, 0),
]
_SPOUSE_BEFORE_2018 = [(INF, 380_000, 330_000, 480_000, 380_000, 50_000, 100_000)]

# Dependant deductions (扶養控除): (income tax, resident tax, personal-deduction difference).
# Dependants under 16 (年少扶養親族) get no deduction but count for the non-taxable thresholds.
_DEPENDANTS = {
    "general": (380_000, 330_000, 50_000),  # 16-18 and 23-69 (一般の控除対象扶養親族)
    "specific": (630_000, 450_000, 180_000),  # 19-22 (特定扶養親族)
    "elderly": (480_000, 380_000, 100_000),  # 70+ (老人扶養親族)
    "elderly_parent": (580_000, 450_000, 130_000),  # 70+ parent living together (同居老親等)
}
DEPENDANT_KINDS = ("young", *_DEPENDANTS)
"""Dependant classes: young (<16), general (16-18, 23-69), specific (19-22), elderly (70+),
elderly_parent (70+ lineal ascendant living with the taxpayer). Ages on 31 December."""

BASIC_DIFFERENCE = 50_000
"""Personal-deduction difference of the basic deduction for the adjustment deduction (Local Tax
Act art. 314-6): kept at ¥50,000 through the 2020 and 2025 reforms."""

MUNICIPAL_SHARE = 0.6
"""Municipal (or special-ward) share of the 10% income levy: 6% of 10% (Local Tax Act art. 314-3)."""

KINDS = ("special-ward", "city", "designated-city", "town", "village")
"""Kinds of municipality (a profile's ``municipality.kind``); only a designated city splits the
resident tax differently (:func:`levy_split`)."""

DESIGNATED_SPLIT_FROM = 2018
"""First fiscal year in which a designated city levies 8% and its prefecture 2%."""

# Rates by municipal share: (income levy municipal, prefectural; adjustment deduction municipal,
# prefectural). Written out, not multiplied, so the usual 6% and 4% stay exact.
_SPLIT_RATES = {0.6: (0.06, 0.04, 0.03, 0.02), 0.8: (0.08, 0.02, 0.04, 0.01)}


def levy_split(kind: str, fiscal_year: int) -> float:
    """The municipality's share of the resident tax's income levy in ``fiscal_year``.

    The 10% income levy is 6% municipal and 4% prefectural (Local Tax Act arts. 35 and 314-3),
    and the adjustment deduction (調整控除) 3% and 2%. From FY2018 a designated city (政令指定
    都市) levies 8% and its prefecture 2%, and the adjustment deduction is 4% and 1% (arts. 37
    and 314-6 as amended for FY2018). A furusato-nozei deduction from the resident tax is split
    the same way, so this is also the share of it that the municipality loses.

    Parameters
    ----------
    kind : str
        A kind of municipality (:data:`KINDS`).
    fiscal_year : int
        The fiscal year of the resident tax (the income year plus one).

    Returns
    -------
    float
        0.8 for a designated city from FY2018; 0.6 otherwise.

    Examples
    --------
    >>> levy_split("designated-city", 2017), levy_split("designated-city", 2018)
    (0.6, 0.8)
    >>> levy_split("special-ward", 2024)
    0.6
    """
    check_choice("kind", kind, list(KINDS))
    year = _year(fiscal_year, "fiscal_year", FIRST_YEAR + 1, LAST_YEAR + 1)
    if kind == "designated-city" and year >= DESIGNATED_SPLIT_FROM:
        return 0.8
    return MUNICIPAL_SHARE


# --------------------------------------------------------------------------------------------
# validation helpers


def _year(
    income_year: Any, name: str = "income_year", low: int = FIRST_YEAR, high: int = LAST_YEAR
) -> int:
    if isinstance(income_year, bool) or not isinstance(income_year, int | np.integer):
        raise ParameterError(message("tax.year_type", name=name, got=repr(income_year)))
    year = int(income_year)
    if not low <= year <= high:
        raise ParameterError(message("tax.year_range", name=name, low=low, high=high, got=year))
    return year


def _money(name: str, value: Any) -> np.ndarray:
    """An array of non-negative yen amounts (float64 for the arithmetic)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ParameterError(message("tax.money_type", name=name, got=repr(value)))
    arr = arr.astype(np.float64, copy=False)
    if not (arr >= 0).all():  # False for NaN too
        first = arr[~(arr >= 0)].flat[0] if arr.ndim else arr
        raise ParameterError(message("tax.money_negative", name=name, got=repr(float(first))))
    return arr


def _count(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu" or (arr < 0).any():
        raise ParameterError(message("tax.count", name=name, got=repr(value)))
    return arr.astype(np.int64, copy=False)


def _flag(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biu":
        raise ParameterError(message("tax.flag", name=name, got=repr(value)))
    return arr.astype(bool, copy=False)


def _tax_kind(tax: str) -> str:
    return check_choice("tax", tax, ["income", "resident"])


def _counts(**counts: Any) -> dict[str, np.ndarray]:
    return {k: _count(k, v) for k, v in counts.items()}


# --------------------------------------------------------------------------------------------
# arithmetic helpers (no validation; float64 arrays in and out)


def _piecewise(x: np.ndarray, schedule: list[tuple[float, float, float]]) -> np.ndarray:
    """Evaluate ``rate * x + constant`` from the first schedule row whose bound is >= x."""
    rates = np.array([row[1] for row in schedule])
    consts = np.array([row[2] for row in schedule], dtype=np.float64)
    if len(schedule) == 1:
        return rates[0] * x + consts[0]
    # index of the row = how many (finite) bounds lie below x; cheaper than searchsorted
    i = (x > schedule[0][0]).astype(np.int8)
    for row in schedule[1:-1]:
        i += x > row[0]
    return rates.take(i) * x + consts.take(i)


def _step(x: np.ndarray, schedule: list[tuple[float, float]]) -> np.ndarray:
    return _piecewise(x, [(b, 0.0, a) for b, a in schedule])


def _floor(x: Any, unit: int = 1) -> np.ndarray:
    """Round down to a multiple of ``unit`` yen (float64), ignoring float noise like 2.9999999."""
    if unit == 1:
        return np.floor(np.asarray(x, dtype=np.float64) + 1e-6)
    return np.floor(np.asarray(x, dtype=np.float64) / unit + 1e-6) * unit


def _yen(x: Any, unit: int = 1) -> np.ndarray:
    """Round down to a multiple of ``unit`` yen and return int64."""
    return _floor(x, unit).astype(np.int64)


def _subset(mask: np.ndarray, func: Any, *arrays: np.ndarray) -> np.ndarray:
    """``func(*arrays)`` evaluated only where ``mask`` holds (0 elsewhere), to save work."""
    shape = mask.shape
    if mask.all():
        return func(*arrays)
    out = np.zeros(shape)
    rows = np.flatnonzero(mask)
    if rows.size:
        out.flat[rows] = func(*(np.broadcast_to(a, shape).ravel()[rows] for a in arrays))
    return out


# --------------------------------------------------------------------------------------------
# income


def _salary_schedule(year: int) -> list:
    if year <= 2015:
        return _SALARY_2014
    if year == 2016:
        return _SALARY_2016
    if year <= 2019:
        return _SALARY_2017
    if year <= 2024:
        return _SALARY_2020
    return _SALARY_2025


# Rows of the Income Tax Act's appended table 5 (所得税法別表第五) just below ¥1.628M, while
# the minimum deduction ends at ¥1.625M (to income year 2024): from each of these revenues the
# income is that revenue less the minimum deduction, until the next row.
_TABLE_FIVE_STEPS = np.array([1_619_000, 1_620_000, 1_622_000, 1_624_000], dtype=np.float64)


def _salary_income(rev: np.ndarray, year: int) -> np.ndarray:
    """Salary income as the Income Tax Act's table 5 gives it below ¥6.6M, the formula above."""
    schedule = _salary_schedule(year)
    first_bound, _, minimum = schedule[0]
    rounded = np.where((rev > first_bound) & (rev < 6_600_000), np.floor(rev / 4_000) * 4_000, rev)
    income = np.maximum(rounded - _piecewise(rounded, schedule), 0.0)
    # The table starts at the minimum deduction + ¥1,000: below it the income is nil.
    income = np.where(rev < minimum + 1_000, 0.0, income)
    if first_bound == 1_625_000:
        near = (rev >= _TABLE_FIVE_STEPS[0]) & (rev < 1_628_000)
        if near.any():
            row = np.searchsorted(_TABLE_FIVE_STEPS, rev[near], side="right") - 1
            income = income.copy()
            income[near] = _TABLE_FIVE_STEPS[row] - minimum
    return _floor(income)


def salary_income_deduction(salary_revenue: Any, income_year: int) -> np.ndarray:
    """Salary income deduction (給与所得控除額) for a salary revenue, never above the revenue.

    Schedules: income years 2014-2015 (cap ¥2.45M above ¥15M), 2016 (cap ¥2.3M above ¥12M),
    2017-2019 (cap ¥2.2M above ¥10M), 2020-2024 (minimum ¥550k, cap ¥1.95M above ¥8.5M) and
    2025 onward (minimum ¥650k up to ¥1.9M). Source: NTA tax answer No.1410.

    Parameters
    ----------
    salary_revenue : array-like of yen
        Salary revenue (給与収入) of the year.
    income_year : int
        Calendar year of the income (2014-2030).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> salary_income_deduction([1_000_000, 5_000_000, 10_000_000], 2023).tolist()
    [550000, 1440000, 1950000]
    """
    year = _year(income_year)
    rev = _money("salary_revenue", salary_revenue)
    return _yen(rev) - _salary_income(rev, year).astype(np.int64)


def salary_income(salary_revenue: Any, income_year: int) -> np.ndarray:
    """Salary income (給与所得の金額) = revenue - salary income deduction, at least 0.

    Below ¥6.6M the Income Tax Act's appended table 5 (所得税法別表第五) decides, as NTA tax answer
    No.1410 says: nil below the minimum deduction + ¥1,000, the revenue less the minimum
    deduction up to the table's steps near ¥1.625M (to income year 2024), then the formula on
    the revenue rounded down to a multiple of ¥4,000.

    Examples
    --------
    >>> int(salary_income(3_000_000, 2023)), int(salary_income(3_000_000, 2019))
    (2020000, 1920000)
    >>> salary_income([650_999, 651_000, 1_619_999, 1_621_999, 1_623_999], 2019).tolist()
    [0, 1000, 969000, 970000, 972000]
    """
    year = _year(income_year)
    return _salary_income(_money("salary_revenue", salary_revenue), year).astype(np.int64)


def _pension_deduction(rev: np.ndarray, year: int, old: np.ndarray, other: Any) -> np.ndarray:
    if year <= 2019:
        young_s, old_s, cut = _PENSION_UNDER65_2005, _PENSION_65_2005, 0.0
    else:
        young_s, old_s = _PENSION_UNDER65_2020, _PENSION_65_2020
        cut = np.where(other > 20_000_000, 200_000.0, np.where(other > 10_000_000, 100_000.0, 0.0))
    if old.all():
        deduction = _piecewise(rev, old_s)
    elif not old.any():
        deduction = _piecewise(rev, young_s)
    else:
        deduction = np.where(old, _piecewise(rev, old_s), _piecewise(rev, young_s))
    return np.minimum(deduction - cut, rev)


def pension_deduction(
    pension_revenue: Any, income_year: int, *, aged_65: Any = True, other_income: Any = 0
) -> np.ndarray:
    """Public pension deduction (公的年金等控除額), never above the revenue.

    ``aged_65`` is whether the person is 65 or over on 31 December of the income year. From 2020
    the deduction is reduced by ¥100k when income other than pensions exceeds ¥10M and by ¥200k
    above ¥20M. Source: NTA tax answer No.1600 (and the pre-2020 table it replaced).

    Examples
    --------
    >>> pension_deduction([2_000_000, 2_000_000], 2023, aged_65=[True, False]).tolist()
    [1100000, 775000]
    """
    year = _year(income_year)
    rev = _money("pension_revenue", pension_revenue)
    old = _flag("aged_65", aged_65)
    other = _money("other_income", other_income)
    return _yen(_pension_deduction(rev, year, old, other))


def pension_income(
    pension_revenue: Any, income_year: int, *, aged_65: Any = True, other_income: Any = 0
) -> np.ndarray:
    """Miscellaneous income from public pensions (公的年金等に係る雑所得) = revenue - deduction.

    Examples
    --------
    >>> int(pension_income(2_400_000, 2023, aged_65=True))
    1300000
    """
    rev = _money("pension_revenue", pension_revenue)
    return _yen(rev) - pension_deduction(
        rev, income_year, aged_65=aged_65, other_income=other_income
    )


def _income_adjustment(
    rev: np.ndarray, sal: np.ndarray, pen: np.ndarray, year: int, child: np.ndarray
) -> np.ndarray:
    if year < 2020:
        return np.zeros(np.broadcast(rev, sal, pen, child).shape)
    part1 = np.where(
        child & (rev > 8_500_000), np.ceil((np.minimum(rev, 10_000_000) - 8_500_000) * 0.1), 0.0
    )
    part2 = np.maximum(np.minimum(sal, 100_000) + np.minimum(pen, 100_000) - 100_000, 0.0)
    return _floor(np.minimum(part1 + part2, sal))


def income_adjustment_deduction(
    salary_revenue: Any,
    salary_income_amount: Any,
    pension_income_amount: Any,
    income_year: int,
    *,
    child_under_23: Any = False,
) -> np.ndarray:
    """Income-amount adjustment deduction (所得金額調整控除), from income year 2020.

    Two parts (NTA tax answer No.1411): (1) for salary revenue above ¥8.5M with a dependant under
    23 (disability cases not modelled): (min(revenue, ¥10M) - ¥8.5M) x 10%; (2) for people with
    both salary and pension income: min(salary income, ¥100k) + min(pension income, ¥100k) -
    ¥100k. It is subtracted from salary income. Zero before 2020.

    Examples
    --------
    >>> int(income_adjustment_deduction(10_000_000, 8_050_000, 0, 2023, child_under_23=True))
    150000
    """
    year = _year(income_year)
    rev = _money("salary_revenue", salary_revenue)
    sal = _money("salary_income_amount", salary_income_amount)
    pen = _money("pension_income_amount", pension_income_amount)
    child = _flag("child_under_23", child_under_23)
    return _income_adjustment(rev, sal, pen, year, child).astype(np.int64)


# --------------------------------------------------------------------------------------------
# deductions


def dependant_income_limit(income_year: int) -> int:
    """Highest total income of a spouse or dependant who can be claimed (合計所得金額の要件).

    ¥380k up to 2019, ¥480k for 2020-2024, ¥580k from 2025 (NTA tax answers No.1180, No.1191).

    Examples
    --------
    >>> dependant_income_limit(2019), dependant_income_limit(2023)
    (380000, 480000)
    """
    year = _year(income_year)
    return 380_000 if year <= 2019 else 480_000 if year <= 2024 else 580_000


def _basic(income: np.ndarray, year: int, kind: str) -> np.ndarray:
    if year <= 2019:
        return np.full(income.shape, 380_000.0 if kind == "income" else 330_000.0)
    if kind == "resident":
        return _step(income, _BASIC_RESIDENT_2020)
    if year <= 2024:
        return _step(income, _BASIC_INCOME_TAX_2020)
    return _step(income, _BASIC_INCOME_TAX_2025 if year <= 2026 else _BASIC_INCOME_TAX_2027)


def basic_deduction(total_income: Any, income_year: int, tax: str = "resident") -> np.ndarray:
    """Basic deduction (基礎控除) for income tax or resident tax.

    Income tax: ¥380k up to 2019; from 2020 ¥480k for total income up to ¥24M, tapering to 0
    above ¥25M (NTA tax answer No.1199); from 2025 ¥580k (¥950k up to ¥1.32M, and higher
    steps up to ¥6.55M in 2025-2026). Resident tax: ¥330k up to income year 2019; from 2020
    ¥430k up to ¥24M, tapering to 0 above ¥25M (Local Tax Act art. 314-2).

    Examples
    --------
    >>> basic_deduction([3_000_000, 24_200_000], 2023, tax="income").tolist()
    [480000, 320000]
    >>> int(basic_deduction(3_000_000, 2019, tax="resident"))
    330000
    """
    year = _year(income_year)
    income = _money("total_income", total_income)
    return _basic(income, year, _tax_kind(tax)).astype(np.int64)


def _spouse_row(year: int) -> list:
    return _SPOUSE_BEFORE_2018 if year <= 2017 else _SPOUSE_2018


def _spouse_column(income: np.ndarray, year: int, col: int) -> np.ndarray:
    rows = _spouse_row(year)
    return _step(income, [(r[0], r[col]) for r in rows])


def _spouse(income: np.ndarray, year: int, kind: str, old: np.ndarray) -> np.ndarray:
    col = 1 if kind == "income" else 2
    young_amt = _spouse_column(income, year, col)
    if not old.any():
        return young_amt
    return np.where(old, _spouse_column(income, year, col + 2), young_amt)


def spouse_deduction(
    claimant_income: Any, income_year: int, tax: str = "resident", *, elderly: Any = False
) -> np.ndarray:
    """Spouse deduction (配偶者控除) for one spouse whose income is within the limit.

    From 2018 it tapers with the claimant's total income (full up to ¥9M, none above ¥10M);
    before 2018 it was flat. ``elderly`` is a spouse aged 70+ on 31 December (老人控除対象配偶者).
    Source: NTA tax answer No.1191; Local Tax Act art. 314-2.

    Examples
    --------
    >>> spouse_deduction([5_000_000, 9_200_000, 12_000_000], 2023, "income").tolist()
    [380000, 260000, 0]
    """
    year = _year(income_year)
    income = _money("claimant_income", claimant_income)
    old = _flag("elderly", elderly)
    return _spouse(income, year, _tax_kind(tax), old).astype(np.int64)


def _dependant(kind: str, counts: dict[str, np.ndarray]) -> np.ndarray | float:
    col = 0 if kind == "income" else 1
    total: np.ndarray | float = 0.0
    for name, n in counts.items():
        if np.any(n):
            total = total + n * float(_DEPENDANTS[name][col])
    return total


def dependant_deduction(
    income_year: int,
    tax: str = "resident",
    *,
    general: Any = 0,
    specific: Any = 0,
    elderly: Any = 0,
    elderly_parent: Any = 0,
) -> np.ndarray:
    """Total dependant deduction (扶養控除) for counts of dependants by class.

    Income tax / resident tax per dependant: general (16-18, 23-69) ¥380k/¥330k, specific
    (19-22) ¥630k/¥450k, elderly (70+) ¥480k/¥380k, elderly parent living together ¥580k/¥450k.
    No deduction for dependants under 16. Source: NTA tax answer No.1180; Local Tax Act
    art. 314-2. The amounts have not changed over 2014-2025.

    Examples
    --------
    >>> int(dependant_deduction(2023, "resident", general=1, specific=1))
    780000
    """
    _year(income_year)
    counts = _counts(
        general=general, specific=specific, elderly=elderly, elderly_parent=elderly_parent
    )
    shape = np.broadcast(*counts.values()).shape
    return np.broadcast_to(_dependant(_tax_kind(tax), counts), shape).astype(np.int64)


def _personal_difference(
    inc: np.ndarray,
    year: int,
    spouse: np.ndarray,
    old_spouse: np.ndarray,
    counts: dict[str, np.ndarray],
) -> np.ndarray | float:
    """Sum of the personal-deduction differences (人的控除差調整額), float64."""
    d: np.ndarray | float = float(BASIC_DIFFERENCE)
    if spouse.any():
        diff = _spouse_column(inc, year, 5)
        if old_spouse.any():
            diff = np.where(old_spouse, _spouse_column(inc, year, 6), diff)
        d = d + np.where(spouse, diff, 0.0)
    for name, n in counts.items():
        if np.any(n):
            d = d + n * float(_DEPENDANTS[name][2])
    return d


def personal_deduction_difference(
    total_income: Any,
    income_year: int,
    *,
    spouse: Any = False,
    elderly_spouse: Any = False,
    general: Any = 0,
    specific: Any = 0,
    elderly: Any = 0,
    elderly_parent: Any = 0,
) -> np.ndarray:
    """Personal-deduction differences (人的控除差調整額) of a resident-tax payer, in yen.

    The sum the Local Tax Act lists in arts. 37 and 314-6, item 1 (a): ¥50,000 for the basic
    deduction (kept at ¥50,000 through the 2020 and 2025 reforms, :data:`BASIC_DIFFERENCE`), plus
    the spouse difference (¥50k / ¥40k / ¥20k by the claimant's total income up to ¥9M / ¥9.5M /
    ¥10M; ¥100k / ¥60k / ¥30k for a spouse aged 70+) and ¥50k, ¥180k, ¥100k or ¥130k per general,
    specific, elderly or elderly-parent dependant. It sets the adjustment deduction
    (:func:`adjustment_deduction`), and the resident-tax taxable income less it sets the rate of
    the furusato-nozei special part (arts. 37-2 and 314-7; :attr:`Assessment.special_base`).
    ``spouse`` means a spouse whose deduction is claimed; ``total_income`` is the claimant's.

    Examples
    --------
    >>> personal_deduction_difference([3_000_000, 3_000_000], 2023, spouse=[False, True]).tolist()
    [50000, 100000]
    >>> int(personal_deduction_difference(5_000_000, 2025, specific=1))
    230000
    """
    year = _year(income_year)
    inc = _money("total_income", total_income)
    sp = _flag("spouse", spouse)
    counts = _counts(
        general=general, specific=specific, elderly=elderly, elderly_parent=elderly_parent
    )
    old = _flag("elderly_spouse", elderly_spouse) & sp
    d = _personal_difference(inc, year, sp, old, counts)
    shape = np.broadcast(inc, sp, old, *counts.values()).shape
    return np.broadcast_to(d, shape).astype(np.int64)


def _adjustment(
    t: np.ndarray,
    inc: np.ndarray,
    year: int,
    spouse: np.ndarray,
    old_spouse: np.ndarray,
    counts: dict[str, np.ndarray],
) -> np.ndarray:
    """Adjustment deduction (5% total, before the 3:2 split), float64."""
    d = _personal_difference(inc, year, spouse, old_spouse, counts)
    over = t > 2_000_000
    base = np.where(over, np.maximum(d - (t - 2_000_000), 50_000.0), np.minimum(d, t))
    if year >= 2020:
        base = np.where(inc > 25_000_000, 0.0, base)
    return base


def adjustment_deduction(
    taxable_income: Any,
    total_income: Any,
    income_year: int,
    *,
    spouse: Any = False,
    elderly_spouse: Any = False,
    general: Any = 0,
    specific: Any = 0,
    elderly: Any = 0,
    elderly_parent: Any = 0,
    kind: str = "city",
) -> tuple[np.ndarray, np.ndarray]:
    """Adjustment deduction (調整控除) of the resident tax: (municipal 3%, prefectural 2%) parts.

    With D the sum of personal-deduction differences (basic ¥50k, spouse, dependants) and T the
    resident-tax taxable income: if T <= ¥2M, 5% of min(D, T); otherwise 5% of max(D - (T - ¥2M),
    ¥50k). Not given when total income exceeds ¥25M (from income year 2020). The 5% is split
    3% municipal and 2% prefectural; 4% and 1% in a designated city from FY2018 (``kind``, see
    :func:`levy_split`). Source: Local Tax Act arts. 37 and 314-6.

    Examples
    --------
    >>> m, p = adjustment_deduction(6_120_000, 8_050_000, 2023)
    >>> int(m), int(p)
    (1500, 1000)
    >>> m, p = adjustment_deduction(6_120_000, 8_050_000, 2023, kind="designated-city")
    >>> int(m), int(p)
    (2000, 500)
    """
    year = _year(income_year)
    t = _money("taxable_income", taxable_income)
    inc = _money("total_income", total_income)
    sp = _flag("spouse", spouse)
    counts = _counts(
        general=general, specific=specific, elderly=elderly, elderly_parent=elderly_parent
    )
    base = _adjustment(t, inc, year, sp, _flag("elderly_spouse", elderly_spouse) & sp, counts)
    _, _, adj_m, adj_p = _SPLIT_RATES[levy_split(kind, year + 1)]
    return _yen(base * adj_m), _yen(base * adj_p)


# --------------------------------------------------------------------------------------------
# income tax


def _income_tax(t: np.ndarray, year: int, surtax: bool) -> np.ndarray:
    t = np.floor(t / 1_000) * 1_000
    base = np.maximum(_piecewise(t, _INCOME_TAX_2014 if year == 2014 else _INCOME_TAX_2015), 0.0)
    if not surtax:
        return _floor(base)
    return _floor(_floor(base) * (1 + RECONSTRUCTION_SURTAX), 100)


def income_tax(taxable_income: Any, income_year: int, *, surtax: bool = True) -> np.ndarray:
    """Income tax on the taxable income (課税総所得金額), with the reconstruction surtax.

    The taxable income is rounded down to ¥1,000; the tax follows the progressive table (5% to
    45%; the 45% bracket above ¥40M exists from 2015) and, with ``surtax``, is multiplied by
    1.021 and rounded down to ¥100. Source: NTA tax answer No.2260. Tax credits (housing loan
    and others) are not modelled.

    Examples
    --------
    >>> income_tax([1_000_000, 6_070_000], 2023, surtax=False).tolist()
    [50000, 786500]
    """
    year = _year(income_year)
    return _income_tax(_money("taxable_income", taxable_income), year, surtax).astype(np.int64)


def marginal_rate(taxable_income: Any, income_year: int) -> np.ndarray:
    """Marginal income-tax rate (0.05-0.45, without the surtax) at a taxable income.

    A taxable income of 0 gets 0.05 (the first bracket); callers that need "no taxable income"
    to mean 0 (the furusato special part does) test ``taxable_income > 0`` themselves.

    Examples
    --------
    >>> marginal_rate([0, 3_000_000, 6_070_000, 50_000_000], 2023).tolist()
    [0.05, 0.1, 0.2, 0.45]
    """
    year = _year(income_year)
    t = np.floor(_money("taxable_income", taxable_income) / 1_000) * 1_000
    table = _INCOME_TAX_2014 if year == 2014 else _INCOME_TAX_2015
    return _step(t, [(r[0], r[1]) for r in table])


# --------------------------------------------------------------------------------------------
# resident tax


@dataclass(frozen=True)
class PerCapitaLevy:
    """Per-capita levy (均等割) of one fiscal year, in yen per taxpayer."""

    municipal: int
    prefectural: int
    forest: int

    @property
    def total(self) -> int:
        """Everything collected with the per-capita levy."""
        return self.municipal + self.prefectural + self.forest


def per_capita_levy(fiscal_year: int) -> PerCapitaLevy:
    """Per-capita levy by fiscal year.

    FY2014-FY2023: municipal ¥3,500 + prefectural ¥1,500 (each standard rate ¥3,000 / ¥1,000
    plus a ¥500 surcharge for disaster-prevention works under the 2011 special act on local
    taxes after the Great East Japan Earthquake, 臨時特例法). FY2024
    onward: ¥3,000 + ¥1,000 plus the national forest environment tax ¥1,000 collected with it.
    Standard rates of the Local Tax Act (arts. 38, 310); a municipality could set its own.

    Examples
    --------
    >>> per_capita_levy(2023).total, per_capita_levy(2024).forest
    (5000, 1000)
    """
    fy = _year(fiscal_year, "fiscal_year", FIRST_YEAR, LAST_YEAR + 1)
    if fy <= 2023:
        return PerCapitaLevy(3_500, 1_500, 0)
    return PerCapitaLevy(3_000, 1_000, 1_000)


def _check_grade(grade: Any) -> int:
    if isinstance(grade, bool) or grade not in (1, 2, 3):
        raise ParameterError(message("tax.grade", got=repr(grade)))
    return int(grade)


def _limits(year: int, n: np.ndarray, grade: int) -> tuple[np.ndarray, np.ndarray]:
    factor = {1: 1.0, 2: 0.9, 3: 0.8}[grade]
    extra = 100_000.0 if year >= 2020 else 0.0
    base = 350_000.0 * factor
    has = n > 0
    per_capita = np.where(has, base * (1 + n) + 210_000.0 * factor, base) + extra
    income_levy = np.where(has, 350_000.0 * (1 + n) + 320_000.0, 350_000.0) + extra
    return np.floor(per_capita), income_levy


def non_taxable_limits(
    income_year: int, dependants: Any = 0, *, grade: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Non-taxable thresholds (非課税限度額) on total income: (per-capita levy, income levy).

    ``dependants`` counts the same-household spouse (同一生計配偶者) and every dependant,
    including those under 16. With N = 1 + dependants, for a grade-1 municipality (1級地, e.g.
    the 23 wards; grade 2 and 3 scale the ¥350k and ¥210k by 0.9 and 0.8):

    - per-capita levy: single ¥350k; with dependants ¥350k x N + ¥210k;
    - income levy: single ¥350k; with dependants ¥350k x N + ¥320k;
    - from income year 2020 (FY2021) each threshold is ¥100k higher (single ¥450k).

    A person is exempt when total income (総所得金額等 / 合計所得金額) is at or below the
    threshold. Sources: Local Tax Act art. 295 and supplementary provisions art. 3-3, with the
    ordinances of the 23 wards. The income-levy threshold is not graded.

    Examples
    --------
    >>> [int(x) for x in non_taxable_limits(2023, 0)]
    [450000, 450000]
    >>> [int(x) for x in non_taxable_limits(2019, 2)]
    [1260000, 1370000]
    """
    year = _year(income_year)
    n = _count("dependants", dependants)
    pc, il = _limits(year, n, _check_grade(grade))
    return pc.astype(np.int64), il.astype(np.int64)


def exempt_person_limit(income_year: int) -> int:
    """Total income up to which minors, widows, single parents and disabled people pay no resident
    tax: ¥1.25M, ¥1.35M from income year 2020 (Local Tax Act art. 295).

    Examples
    --------
    >>> exempt_person_limit(2023)
    1350000
    """
    return 1_250_000 if _year(income_year) <= 2019 else 1_350_000


@dataclass(frozen=True)
class ResidentTax:
    """Resident tax of one fiscal year, arrays of whole yen (per-capita parts 0 when exempt)."""

    income_levy_municipal: np.ndarray
    income_levy_prefectural: np.ndarray
    per_capita_municipal: np.ndarray
    per_capita_prefectural: np.ndarray
    forest_tax: np.ndarray

    @property
    def income_levy(self) -> np.ndarray:
        """所得割 (municipal + prefectural)."""
        return self.income_levy_municipal + self.income_levy_prefectural

    @property
    def per_capita_levy(self) -> np.ndarray:
        """均等割 including the forest environment tax from FY2024."""
        return self.per_capita_municipal + self.per_capita_prefectural + self.forest_tax

    @property
    def total(self) -> np.ndarray:
        """Income levy + per-capita levy."""
        return self.income_levy + self.per_capita_levy


def _resident(
    inc: np.ndarray,
    taxable: np.ndarray,
    year: int,
    sp: np.ndarray,
    sp_old: np.ndarray,
    n_young: np.ndarray,
    counts: dict[str, np.ndarray],
    exempt: np.ndarray,
    grade: int,
    share: float = MUNICIPAL_SHARE,
) -> ResidentTax:
    """Resident tax; ``share`` is the municipal share of the levy (:func:`levy_split`)."""
    rate_m, rate_p, adj_m, adj_p = _SPLIT_RATES[share]
    shape = np.broadcast(inc, taxable, sp, sp_old, n_young, exempt, *counts.values()).shape
    inc = np.broadcast_to(inc, shape)
    taxable = np.floor(np.broadcast_to(taxable, shape) / 1_000) * 1_000
    n_dep = sp.astype(np.int64) + n_young
    for n in counts.values():
        n_dep = n_dep + n
    pc_limit, il_limit = _limits(year, np.broadcast_to(n_dep, shape), grade)
    exempt_all = np.broadcast_to(exempt, shape) & (inc <= exempt_person_limit(year))

    adj = _adjustment(taxable, inc, year, sp, sp_old, counts)
    levy_m = np.maximum(taxable * rate_m - _floor(adj * adj_m), 0.0)
    levy_p = np.maximum(taxable * rate_p - _floor(adj * adj_p), 0.0)
    # Just above the income-levy threshold the levy is at most 10% of the excess, split 6:4
    # (8:2 in a designated city).
    cap = np.maximum(inc - il_limit, 0.0) * 0.10
    levy = levy_m + levy_p
    over = levy > cap
    if over.any():
        share_m = np.where(levy > 0, levy_m / np.where(levy > 0, levy, 1.0), share)
        levy_m = np.where(over, cap * share_m, levy_m)
        levy_p = np.where(over, cap - cap * share_m, levy_p)
    no_levy = (inc <= il_limit) | exempt_all
    levy_m = np.where(no_levy, 0, _yen(levy_m, 100))
    levy_p = np.where(no_levy, 0, _yen(levy_p, 100))

    pc = per_capita_levy(year + 1)
    pays = ((inc > pc_limit) & ~exempt_all).astype(np.int64)
    return ResidentTax(
        income_levy_municipal=levy_m,
        income_levy_prefectural=levy_p,
        per_capita_municipal=pays * pc.municipal,
        per_capita_prefectural=pays * pc.prefectural,
        forest_tax=pays * pc.forest,
    )


def resident_tax(
    total_income: Any,
    taxable_income: Any,
    income_year: int,
    *,
    spouse: Any = False,
    elderly_spouse: Any = False,
    young: Any = 0,
    general: Any = 0,
    specific: Any = 0,
    elderly: Any = 0,
    elderly_parent: Any = 0,
    exempt_person: Any = False,
    grade: int = 1,
    kind: str = "city",
) -> ResidentTax:
    """Resident tax (個人住民税) of fiscal year ``income_year + 1``.

    Income levy = 6% (municipal) and 4% (prefectural) of the taxable income rounded down to
    ¥1,000, less the adjustment deduction (3% / 2%), each rounded down to ¥100 and at least 0;
    in a designated city from FY2018, 8% and 2% less 4% and 1% (:func:`levy_split`).
    Nothing is due at or below the non-taxable thresholds (:func:`non_taxable_limits`); just
    above the income-levy threshold the levy is capped at 10% of the excess (Local Tax Act
    supplementary provisions art. 3-3). ``exempt_person`` marks a minor, widow, single parent or
    disabled person, who pays nothing up to :func:`exempt_person_limit`. ``spouse`` means a
    same-household spouse with income within :func:`dependant_income_limit`; the deduction for it
    is already inside ``taxable_income``, here it only counts for the thresholds and the
    adjustment deduction.

    Parameters
    ----------
    total_income : array-like of yen
        Total income (総所得金額等; 合計所得金額 when there is no separate taxation).
    taxable_income : array-like of yen
        Total income less the resident-tax income deductions (課税総所得金額).
    income_year : int
        Calendar year of the income; the tax is for fiscal year ``income_year + 1``.
    kind : str
        The kind of municipality (:data:`KINDS`), which splits the levy (:func:`levy_split`).

    Returns
    -------
    ResidentTax

    Examples
    --------
    >>> r = resident_tax([400_000, 8_050_000], [0, 6_120_000], 2023)
    >>> r.income_levy.tolist(), r.per_capita_levy.tolist()
    ([0, 609500], [0, 5000])
    >>> r = resident_tax(8_050_000, 6_120_000, 2023, kind="designated-city")
    >>> int(r.income_levy_municipal), int(r.income_levy_prefectural)
    (487600, 121900)
    """
    year = _year(income_year)
    inc = _money("total_income", total_income)
    taxable = _money("taxable_income", taxable_income)
    sp = _flag("spouse", spouse)
    sp_old = _flag("elderly_spouse", elderly_spouse) & sp
    counts = _counts(
        general=general, specific=specific, elderly=elderly, elderly_parent=elderly_parent
    )
    n_young = _count("young", young)
    exempt = _flag("exempt_person", exempt_person)
    share = levy_split(kind, year + 1)
    grade = _check_grade(grade)
    return _resident(inc, taxable, year, sp, sp_old, n_young, counts, exempt, grade, share)


# --------------------------------------------------------------------------------------------
# everything at once


@dataclass(frozen=True)
class Assessment:
    """Income tax and resident tax of one income year; every amount an array of whole yen.

    ``personal_difference`` is the sum of the personal-deduction differences
    (人的控除差調整額, :func:`personal_deduction_difference`).
    """

    income_year: int
    salary_income: np.ndarray
    pension_income: np.ndarray
    total_income: np.ndarray
    income_tax_deductions: np.ndarray
    resident_deductions: np.ndarray
    income_tax_taxable: np.ndarray
    resident_taxable: np.ndarray
    income_tax: np.ndarray
    resident: ResidentTax
    personal_difference: np.ndarray

    @property
    def income_levy(self) -> np.ndarray:
        """Resident-tax income levy (所得割)."""
        return self.resident.income_levy

    @property
    def special_base(self) -> np.ndarray:
        """Resident-tax taxable income less the personal-deduction differences, in yen (signed).

        The amount whose bracket sets the rate of the furusato-nozei special part (Local Tax Act
        arts. 37-2 and 314-7); negative when the differences exceed the taxable income, which
        the law treats like having no taxable income (rate 90%). Up to income year 2024 it
        equals ``income_tax_taxable`` wherever that is positive (total income up to ¥24M).
        """
        return self.resident_taxable - self.personal_difference

    @property
    def marginal_rate(self) -> np.ndarray:
        """Marginal income-tax rate; 0 where there is no taxable income."""
        rate = np.asarray(
            marginal_rate(self.income_tax_taxable, self.income_year), dtype=np.float64
        )
        return np.where(self.income_tax_taxable > 0, rate, 0.0)


def _incomes(
    year: int,
    rev: np.ndarray,
    pen_rev: np.ndarray,
    biz: np.ndarray,
    old: np.ndarray,
    child: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Salary income and pension income after their deductions (and the 2020 adjustment)."""
    sal = _subset(rev > 0, lambda r: _salary_income(r, year), rev)
    pen = _subset(
        pen_rev > 0,
        lambda p, o, other: p - _floor(_pension_deduction(p, year, o, other)),
        _floor(pen_rev),
        old,
        sal + biz,
    )
    if year >= 2020:
        sal = sal - _subset(
            ((rev > 8_500_000) & child) | ((sal > 0) & (pen > 0)),
            lambda r, s_, p, c: _income_adjustment(r, s_, p, year, c),
            rev,
            sal,
            pen,
            child,
        )
    return sal, pen


def assess(
    income_year: int,
    *,
    salary_revenue: Any = 0,
    pension_revenue: Any = 0,
    business_income: Any = 0,
    aged_65: Any = False,
    social_insurance: Any = 0,
    spouse: Any = False,
    elderly_spouse: Any = False,
    young: Any = 0,
    general: Any = 0,
    specific: Any = 0,
    elderly: Any = 0,
    elderly_parent: Any = 0,
    child_under_23: Any = None,
    exempt_person: Any = False,
    grade: int = 1,
    kind: str = "city",
) -> Assessment:
    """Income tax (of ``income_year``) and resident tax (of the next fiscal year) in one call.

    Total income = salary income (less the income-amount adjustment deduction) + public pension
    income + business income. Income deductions = social insurance premiums + basic deduction +
    spouse deduction (when ``spouse``, i.e. a spouse with income within the limit) + dependant
    deductions. Dependant counts are by class (see ``DEPENDANT_KINDS``); ``young`` (under 16)
    only counts for the non-taxable thresholds. ``child_under_23`` defaults to "has a dependant
    in young, specific or general". ``personal_difference`` of the result is
    :func:`personal_deduction_difference`, and ``special_base`` the resident-tax taxable income
    less it (what the furusato-nozei special part's rate is read from). The 2024 flat-rate tax
    cut (定額減税) is not modelled: ``income_tax`` and ``income_levy`` are before it. ``kind``
    (:data:`KINDS`) splits the income levy between municipality and prefecture
    (:func:`levy_split`).

    Examples
    --------
    >>> a = assess(2023, salary_revenue=10_000_000, social_insurance=1_500_000)
    >>> int(a.total_income), int(a.income_tax_taxable), int(a.income_tax), int(a.income_levy)
    (8050000, 6070000, 803000, 609500)
    >>> int(a.resident_taxable), int(a.personal_difference), int(a.special_base)
    (6120000, 50000, 6070000)
    """
    year = _year(income_year)
    rev = _money("salary_revenue", salary_revenue)
    pen_rev = _money("pension_revenue", pension_revenue)
    biz = _money("business_income", business_income)
    si = _money("social_insurance", social_insurance)
    counts = _counts(
        general=general, specific=specific, elderly=elderly, elderly_parent=elderly_parent
    )
    n_young = _count("young", young)
    sp = _flag("spouse", spouse)
    sp_old = _flag("elderly_spouse", elderly_spouse) & sp
    old = _flag("aged_65", aged_65)
    exempt = _flag("exempt_person", exempt_person)
    grade = _check_grade(grade)
    share = levy_split(kind, year + 1)
    if child_under_23 is None:
        child = (n_young + counts["general"] + counts["specific"]) > 0
    else:
        child = _flag("child_under_23", child_under_23)
    shape = np.broadcast(
        rev, pen_rev, biz, si, sp, sp_old, old, exempt, child, n_young, *counts.values()
    ).shape

    def full(x: Any) -> np.ndarray:
        return np.broadcast_to(x, shape)

    rev, biz = full(rev), _floor(full(biz))
    sal, pen = _incomes(year, rev, full(pen_rev), biz, full(old), full(child))
    total = sal + pen + biz

    deductions = {}
    for kind in ("income", "resident"):
        d = _floor(si) + _basic(total, year, kind) + _dependant(kind, counts)
        if sp.any():
            d = d + np.where(sp, _spouse(total, year, kind, sp_old), 0.0)
        deductions[kind] = full(d)
    it_taxable = _floor(np.maximum(total - deductions["income"], 0.0), 1_000)
    rt_taxable = _floor(np.maximum(total - deductions["resident"], 0.0), 1_000)
    personal = _personal_difference(total, year, sp, sp_old, counts)
    it = _subset(it_taxable > 0, lambda t: _income_tax(t, year, True), it_taxable)
    resident = _resident(total, rt_taxable, year, sp, sp_old, n_young, counts, exempt, grade, share)

    def out(x: np.ndarray) -> np.ndarray:
        return full(x).astype(np.int64)

    return Assessment(
        income_year=year,
        salary_income=out(sal),
        pension_income=out(pen),
        total_income=out(total),
        income_tax_deductions=out(deductions["income"]),
        resident_deductions=out(deductions["resident"]),
        income_tax_taxable=out(it_taxable),
        resident_taxable=out(rt_taxable),
        income_tax=out(it),
        resident=ResidentTax(
            *(out(getattr(resident, f)) for f in ResidentTax.__dataclass_fields__)
        ),
        personal_difference=out(personal),
    )
