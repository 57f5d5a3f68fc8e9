"""Furusato nozei (ふるさと納税) rules: how a donation is deducted, the full-deduction limit, the
revenue the donor's municipality loses, and the return-gift cost rules.

A donation to a municipality is deducted in three parts (Ministry of Internal Affairs and
Communications (MIC), ふるさと納税ポータルサイト「ふるさと納税の仕組み」; Income Tax Act art. 78;
Local Tax Act arts. 37-2 and 314-7):

- income tax: the donation less ¥2,000 is an income deduction, worth about (donation - ¥2,000)
  x the marginal income-tax rate x 1.021 (the reconstruction surtax falls with it);
- resident tax, basic part (基本分): (donation - ¥2,000) x 10%;
- resident tax, special part (特例分): (donation - ¥2,000) x (90% - marginal rate x 1.021),
  at most 20% of the resident-tax income levy (所得割; 10% for donations before 2015).

Up to the cap the three parts add up to the donation less ¥2,000, so the donor bears only
¥2,000. With the one-stop exception (ワンストップ特例, no tax return) the income-tax part is
instead taken off the resident tax as the declaration special deduction (申告特例控除).

Examples
--------
>>> s = deduction_split(50_000, 6_070_000, 609_500)
>>> int(s.income_tax), int(s.resident_basic), int(s.resident_special), int(s.total)
(9801, 4800, 33398, 47999)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit import tax
from ebpmkit.errors import ParameterError, check_choice, check_range

__all__ = [
    "FAMILIES",
    "GIFT_COLUMNS",
    "SELF_BURDEN",
    "DeductionSplit",
    "check_gift_rules",
    "deduction_split",
    "full_deduction_limit",
    "limit_from_levy",
    "ministry_social_insurance",
    "municipal_revenue_loss",
    "special_cap",
    "special_rate",
]

SELF_BURDEN = 2_000
"""The part of a donation that is never deducted (適用下限額), in yen."""
SPECIAL_CAP = 0.20
"""The resident-tax special part is capped at 20% of the income levy for donations from 2015
(10% for donations of 2014 and earlier; see :func:`special_cap`). The one-stop exception exists
for donations from April 2015; it is not refused for earlier years here."""


def special_cap(income_year: int) -> float:
    """Cap of the special part as a share of the income levy: 10% for 2014 donations, then 20%.

    Examples
    --------
    >>> special_cap(2014), special_cap(2023)
    (0.1, 0.2)
    """
    return 0.10 if tax._year(income_year) <= 2014 else SPECIAL_CAP


INCOME_TAX_CAP = 0.40
"""Donations count for income tax up to 40% of total income (総所得金額等)."""
RESIDENT_CAP = 0.30
"""Donations count for resident tax up to 30% of total income."""
PROCUREMENT_LIMIT = 0.30
"""Return-gift procurement cost at most 30% of the donation (rule since June 2019)."""
TOTAL_COST_LIMIT = 0.50
"""All solicitation costs at most 50% of the donation (rule since June 2019, tightened Oct 2023)."""

FAMILIES: dict[str, dict[str, int]] = {
    # the rows of the ministry's table of full-deduction limits
    "single": {},  # 独身又は共働き
    "couple": {"spouse": 1},  # 夫婦 (配偶者に収入なし)
    "dual_earner_high_school": {"general": 1},  # 共働き+子1人(高校生)
    "dual_earner_university": {"specific": 1},  # 共働き+子1人(大学生)
    "couple_high_school": {"spouse": 1, "general": 1},  # 夫婦+子1人(高校生)
    "dual_earner_university_high_school": {"general": 1, "specific": 1},  # 共働き+子2人
    "couple_university_high_school": {"spouse": 1, "general": 1, "specific": 1},  # 夫婦+子2人
}
"""Family types of the ministry's limit table: a child in high school is 16-18 (general
dependant), one in university 19-22 (specific dependant); "dual earner" means the spouse earns
too much to be claimed."""

GIFT_COLUMNS = ("donation_amount", "procurement_cost", "shipping_cost", "portal_fee", "admin_cost")


@dataclass(frozen=True)
class DeductionSplit:
    """How a donation less ¥2,000 is deducted; arrays of whole yen.

    ``resident_one_stop`` is the declaration special deduction (申告特例控除), non-zero only
    with the one-stop exception, when ``income_tax`` is 0.
    """

    income_tax: np.ndarray
    resident_basic: np.ndarray
    resident_special: np.ndarray
    resident_one_stop: np.ndarray

    @property
    def resident_total(self) -> np.ndarray:
        """Everything deducted from the resident tax: what the donor's municipality and
        prefecture lose (see :func:`municipal_revenue_loss`)."""
        return self.resident_basic + self.resident_special + self.resident_one_stop

    @property
    def total(self) -> np.ndarray:
        """All deductions: the donation less the donor's own burden."""
        return self.income_tax + self.resident_total


def _money(name: str, value: Any) -> np.ndarray:
    return tax._money(name, value)


def _floor(x: Any) -> np.ndarray:
    """Round down to whole yen, ignoring float noise such as 3062.9999999."""
    return np.floor(np.round(np.asarray(x, dtype=np.float64), 6))


# Brackets of the special part (Local Tax Act art. 314-7): taxable income up to and including
# each bound takes that income-tax rate. At exactly ¥1.95M the income-tax table already says 10%
# but the tax equals 5% of it, and the special-part table says 5%; this table follows the latter.
_SPECIAL_BOUNDS = np.array(
    [1_950_000, 3_300_000, 6_950_000, 9_000_000, 18_000_000, 40_000_000, np.inf]
)
_SPECIAL_RATES = np.array([0.05, 0.10, 0.20, 0.23, 0.33, 0.40, 0.45])


def special_rate(taxable_income_for_income_tax: Any, income_year: int = 2023) -> np.ndarray:
    """Income-tax rate that sets the special part's share (90% - rate x 1.021); 0 with no taxable income.

    Examples
    --------
    >>> special_rate([0, 1_950_000, 1_951_000, 50_000_000]).tolist()
    [0.0, 0.05, 0.1, 0.45]
    """
    year = tax._year(income_year)
    t = (
        _floor(_money("taxable_income_for_income_tax", taxable_income_for_income_tax) / 1_000)
        * 1_000
    )
    rates = _SPECIAL_RATES.copy()
    if year == 2014:  # no 45% bracket before 2015
        rates[-1] = 0.40
    return np.where(t > 0, rates[np.searchsorted(_SPECIAL_BOUNDS, t, side="left")], 0.0)


def deduction_split(
    donation: Any,
    taxable_income_for_income_tax: Any,
    income_levy: Any,
    one_stop: Any = False,
    *,
    income_year: int = 2023,
    total_income: Any = None,
) -> DeductionSplit:
    """Split a year's donations into the income-tax and resident-tax deductions.

    The income-tax part is the exact fall in income tax (with the 2.1% surtax) when the
    donation less ¥2,000 is deducted from ``taxable_income_for_income_tax``: that is (donation -
    ¥2,000) x marginal rate x 1.021 unless the deduction crosses a bracket. The special part's
    rate uses the marginal rate at ``taxable_income_for_income_tax`` (90% when it is 0); the law
    uses the resident-tax taxable income less the personal-deduction differences, which falls in
    the same bracket except near a bracket boundary. The resident parts together never exceed
    ``income_levy``. When ``total_income`` is given, the donation counts only up to 40% of it for
    income tax and 30% for resident tax.

    Parameters
    ----------
    donation : array-like of yen
        Total furusato donations of the donor in the income year.
    taxable_income_for_income_tax : array-like of yen
        Taxable income for income tax (課税総所得金額) before the donation deduction.
    income_levy : array-like of yen
        Resident-tax income levy (所得割) of the next fiscal year before the deduction.
    one_stop : bool or array of bool
        Whether the one-stop exception applies (no tax return).
    income_year : int
        Calendar year of the donation.
    total_income : array-like of yen, optional
        Total income (総所得金額等) for the 40% / 30% caps.

    Returns
    -------
    DeductionSplit

    Examples
    --------
    >>> s = deduction_split(50_000, 6_070_000, 609_500, one_stop=True)
    >>> int(s.income_tax), int(s.resident_one_stop), int(s.resident_total)
    (0, 9801, 47999)
    """
    year = tax._year(income_year)
    d = _money("donation", donation)
    t = (
        _floor(_money("taxable_income_for_income_tax", taxable_income_for_income_tax) / 1_000)
        * 1_000
    )
    levy = _money("income_levy", income_levy)
    stop = tax._flag("one_stop", one_stop)
    d_it, d_rt = d, d
    if total_income is not None:
        inc = _money("total_income", total_income)
        d_it, d_rt = np.minimum(d, inc * INCOME_TAX_CAP), np.minimum(d, inc * RESIDENT_CAP)
    base_it = np.maximum(_floor(d_it) - SELF_BURDEN, 0.0)
    base_rt = np.maximum(_floor(d_rt) - SELF_BURDEN, 0.0)

    before = tax.income_tax(t, year, surtax=False)
    after = tax.income_tax(np.maximum(t - base_it, 0.0), year, surtax=False)
    it_part = _floor((before - after) * (1 + tax.RECONSTRUCTION_SURTAX))

    rate = special_rate(t, year) * (1 + tax.RECONSTRUCTION_SURTAX)
    basic = np.minimum(_floor(base_rt * 0.10), levy)
    special = np.minimum(_floor(base_rt * (0.90 - rate)), _floor(levy * special_cap(year)))
    special = np.minimum(special, levy - basic)
    # 申告特例控除 = special part x (rate x 1.021) / (90% - rate x 1.021), within what is left.
    one_stop_part = _floor(special * rate / (0.90 - rate))
    one_stop_part = np.where(stop, np.minimum(one_stop_part, levy - basic - special), 0.0)
    it_part = np.where(stop, 0.0, it_part)
    shape = np.broadcast(d, t, levy, stop).shape

    def out(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, shape).astype(np.int64)

    return DeductionSplit(out(it_part), out(basic), out(special), out(one_stop_part))


def limit_from_levy(
    taxable_income_for_income_tax: Any, income_levy: Any, *, income_year: int = 2023
) -> np.ndarray:
    """Closed-form full-deduction limit: income levy x 20% / (90% - rate x 1.021) + ¥2,000.

    This is the donation at which the special part reaches its cap; above it the donor pays
    more than ¥2,000. Zero where the income levy is 0 (nothing can be deducted from resident
    tax, so every donation costs more than ¥2,000).

    Examples
    --------
    >>> int(limit_from_levy(6_070_000, 609_500))
    177194
    """
    year = tax._year(income_year)
    t = _money("taxable_income_for_income_tax", taxable_income_for_income_tax)
    levy = _money("income_levy", income_levy)
    rate = special_rate(t, year) * (1 + tax.RECONSTRUCTION_SURTAX)
    limit = _floor(levy * special_cap(year) / (0.90 - rate)) + SELF_BURDEN
    return np.where(levy > 0, limit, 0).astype(np.int64)


def ministry_social_insurance(salary_revenue: Any) -> np.ndarray:
    """Social insurance premiums as the ministry's table of limits assumes them, in yen.

    The deduction simulator behind the table of full-deduction limits on the ministry's
    furusato nozei portal (総務省) takes 15% of the salary revenue below ¥9M, 3% plus ¥1.08M
    from ¥9M to ¥18M, and ¥1.62M from ¥18M: premiums stop growing with salary because the
    standard monthly remuneration they are levied on is capped.

    Examples
    --------
    >>> ministry_social_insurance([5_000_000, 10_000_000, 25_000_000]).tolist()
    [750000, 1380000, 1620000]
    """
    rev = _money("salary_revenue", salary_revenue)
    premiums = np.where(
        rev < 9_000_000, rev * 0.15, np.where(rev < 18_000_000, rev * 0.03 + 1_080_000, 1_620_000)
    )
    return _floor(premiums).astype(np.int64)


def full_deduction_limit(
    salary_revenue: Any,
    family: str = "single",
    *,
    income_year: int = 2023,
    social_insurance_rate: float | None = None,
    tolerance: int = 10,
) -> np.ndarray:
    """Largest donation a salary earner can make while bearing only ¥2,000 (控除上限額).

    Follows the assumptions of the ministry's table: salary is the only income, social
    insurance premiums follow :func:`ministry_social_insurance` (or a flat share of the salary
    revenue, ``social_insurance_rate``), no other deductions, and the family is one of
    :data:`FAMILIES`. The table itself uses the rules of income year 2019: with
    ``income_year=2019`` its figures come out after rounding down to thousands of yen. The closed form :func:`limit_from_levy` is then checked with
    :func:`deduction_split`; where the parts at that donation leave the donor more than
    ``tolerance`` yen above ¥2,000 (rounding, or the 40% / 30% caps on the donation bind), the
    limit is lowered by bisection to the largest donation that passes. As in the ministry's
    table, the income-tax part is counted at the marginal rate: when the deduction takes the
    taxable income into a lower bracket, the exact saving (the ``income_tax`` of
    :func:`deduction_split`) is smaller, and the real burden exceeds ¥2,000 by up to the
    difference of the two rates times the part of the donation below the bracket boundary.

    Parameters
    ----------
    salary_revenue : array-like of yen
        Salary revenue (給与収入) of the year.
    family : str
        One of the keys of :data:`FAMILIES`.
    income_year : int
        Calendar year of the donation and the income.
    social_insurance_rate : float, optional
        Social insurance premiums as a flat share of salary revenue; by default the ministry's
        schedule (:func:`ministry_social_insurance`).
    tolerance : int
        Yen of rounding allowed above the ¥2,000 burden.

    Returns
    -------
    numpy.ndarray of int64 (0 where no resident-tax income levy is due)

    Examples
    --------
    >>> int(full_deduction_limit(10_000_000, income_year=2019))  # the ministry's table: 176,000
    176331
    >>> full_deduction_limit([3_000_000, 10_000_000], "couple").tolist()
    [19904, 171157]
    """
    check_choice("family", family, FAMILIES)
    if social_insurance_rate is not None:
        check_range("social_insurance_rate", social_insurance_rate, low=0, high=0.5)
    check_range("tolerance", tolerance, low=0, kind=int)
    year = tax._year(income_year)
    rev = _money("salary_revenue", salary_revenue)
    a = tax.assess(
        year,
        salary_revenue=rev,
        social_insurance=ministry_social_insurance(rev)
        if social_insurance_rate is None
        else _floor(rev * social_insurance_rate),
        **FAMILIES[family],
    )
    t, levy, inc = a.income_tax_taxable, a.income_levy, a.total_income
    limit = limit_from_levy(t, levy, income_year=year).astype(np.float64)

    rate = special_rate(t, year) * (1 + tax.RECONSTRUCTION_SURTAX)

    def burden_ok(donation: np.ndarray) -> np.ndarray:
        split = deduction_split(donation, t, levy, income_year=year, total_income=inc)
        # the income-tax part at the nominal rate, as the ministry's table counts it
        base_it = np.maximum(np.minimum(donation, inc * INCOME_TAX_CAP) - SELF_BURDEN, 0.0)
        covered = _floor(base_it * rate) + split.resident_basic + split.resident_special
        return donation - covered <= SELF_BURDEN + tolerance

    bad = (limit > SELF_BURDEN) & ~burden_ok(limit)
    if bad.any():
        lo = np.full(limit.shape, float(SELF_BURDEN))
        hi = limit.copy()
        for _ in range(40):  # bisection over the whole array; rows that passed stay at hi
            mid = _floor((lo + hi) / 2)
            ok = burden_ok(mid)
            lo = np.where(bad & ok, mid, lo)
            hi = np.where(bad & ~ok, mid, hi)
            if (hi - lo <= 1)[bad].all():
                break
        limit = np.where(bad, lo, limit)
    return limit.astype(np.int64)


def municipal_revenue_loss(
    resident_tax_deduction: Any, municipal_share: float = tax.MUNICIPAL_SHARE
) -> np.ndarray:
    """The donor's municipality's share of the resident-tax deduction (the prefecture bears the rest).

    Every resident-tax part of the deduction is split like the income levy, 6:4 between a
    municipality (or special ward) and the prefecture (Tokyo for a ward).

    Examples
    --------
    >>> municipal_revenue_loss([47_999, 100_000]).tolist()
    [28799, 60000]
    """
    check_range("municipal_share", municipal_share, low=0, high=1)
    d = _money("resident_tax_deduction", resident_tax_deduction)
    return _floor(d * municipal_share).astype(np.int64)


def check_gift_rules(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Check a return-gift catalogue against the 30% procurement and 50% total-cost rules.

    Parameters
    ----------
    catalogue : pandas.DataFrame
        One row per gift with the columns of :data:`GIFT_COLUMNS` in yen: donation_amount,
        procurement_cost, shipping_cost, portal_fee, admin_cost.

    Returns
    -------
    pandas.DataFrame
        A copy of ``catalogue`` with procurement_ratio, total_cost_ratio (all four costs over the
        donation), breaks_30_rule and breaks_50_rule (True when the ratio exceeds the limit).

    Examples
    --------
    >>> gifts = pd.DataFrame({"donation_amount": [10_000, 10_000], "procurement_cost": [3_000, 3_500],
    ...                       "shipping_cost": [1_000, 500], "portal_fee": [1_000, 1_000], "admin_cost": [500, 0]})
    >>> check_gift_rules(gifts)[["breaks_30_rule", "breaks_50_rule"]].to_numpy().tolist()
    [[False, True], [True, False]]
    """
    if not isinstance(catalogue, pd.DataFrame):
        raise ParameterError(
            f"The 'catalogue' parameter must be a pandas DataFrame, but {type(catalogue).__name__} was passed."
        )
    missing = [c for c in GIFT_COLUMNS if c not in catalogue.columns]
    if missing:
        raise ParameterError(
            f"引数 'catalogue' に列 {', '.join(missing)} がありません。"
            f"ある列: {', '.join(map(str, catalogue.columns))}\n"
            f"The 'catalogue' parameter lacks the column(s) {', '.join(missing)}. "
            f"It contains these columns: {', '.join(map(str, catalogue.columns))}."
        )
    values = {}
    for col in GIFT_COLUMNS:
        if not pd.api.types.is_numeric_dtype(catalogue[col]) or pd.api.types.is_bool_dtype(
            catalogue[col]
        ):
            raise ParameterError(
                f"The column '{col}' of 'catalogue' must hold amounts in yen (numbers)."
            )
        arr = catalogue[col].to_numpy(dtype=np.float64, na_value=np.nan)
        if not (arr >= 0).all():
            raise ParameterError(
                f"The column '{col}' of 'catalogue' must hold zero or positive amounts, with no missing values."
            )
        values[col] = arr
    donation = values["donation_amount"]
    if not (donation > 0).all():
        raise ParameterError(
            "The column 'donation_amount' of 'catalogue' must be positive for every gift."
        )
    costs = (
        values["procurement_cost"]
        + values["shipping_cost"]
        + values["portal_fee"]
        + values["admin_cost"]
    )
    out = catalogue.copy()
    out["procurement_ratio"] = values["procurement_cost"] / donation
    out["total_cost_ratio"] = costs / donation
    # compare in yen, not with the float ratio, so a gift at exactly 30% passes
    out["breaks_30_rule"] = values["procurement_cost"] > donation * PROCUREMENT_LIMIT + 1e-9
    out["breaks_50_rule"] = costs > donation * TOTAL_COST_LIMIT + 1e-9
    return out
