"""Furusato nozei (ふるさと納税) rules: how a donation is deducted, the full-deduction limit, the
revenue the donor's municipality loses, and the rules on return gifts and solicitation costs.

A donation to a municipality is deducted in three parts (Ministry of Internal Affairs and
Communications (MIC), ふるさと納税ポータルサイト「ふるさと納税の仕組み」; Income Tax Act art. 78;
Local Tax Act arts. 37-2 and 314-7):

- income tax: the donation less ¥2,000 is an income deduction, worth about (donation - ¥2,000)
  x the marginal income-tax rate x 1.021 (the reconstruction surtax falls with it);
- resident tax, basic part (基本分): (donation - ¥2,000) x 10%;
- resident tax, special part (特例分): (donation - ¥2,000) x (90% - rate x 1.021), at most 20% of
  the resident-tax income levy (所得割; 10% for donations before 2015).

The rate of the special part is read from the income-tax rate table at the **resident-tax
taxable income less the personal-deduction differences** (人的控除差調整額; arts. 37-2(1) and
314-7(1)), called the special base here (:attr:`ebpmkit.tax.Assessment.special_base`); it is
90% (rate 0) when that amount is negative or there is no taxable income. Up to income year 2024
the special base equals the income-tax taxable income (total income up to ¥24M), so the rate is
the donor's marginal income-tax rate and, up to the cap, the three parts add up to the donation
less ¥2,000: the donor bears only ¥2,000. From income year 2025 the income-tax basic deduction is
raised while the resident-tax one and its ¥50,000 difference stay: the special base is then
higher than the income-tax taxable income, and where it falls one bracket above the donor's
marginal income-tax rate the donor bears more than ¥2,000 even below the cap: (donation - ¥2,000)
x 1.021 x the difference of the two rates more. With the one-stop
exception (ワンストップ特例, no tax return) the income-tax part is instead taken off the
resident tax as the declaration special deduction (申告特例控除).

The 2024 flat-rate tax cut (定額減税) is not modelled: the income levy is taken before it.

Rules on return gifts and solicitation costs (since June 2019):

- **per gift**, in the Local Tax Act itself (arts. 37-2(2) and 314-7(2)): the procurement cost of
  a return gift at most 30% of the donation, and gifts must be local products (地場産品). The 30%
  rule is :func:`check_gift_rules`; whether a gift is a local product is not in the data.
- **on the municipality's yearly totals**, in the ministry's notice (総務省告示): all the costs of
  soliciting donations in a fiscal year (gifts, shipping, portal fees, administration and, from
  October 2023, one-stop processing and issuing receipts) at most 50% of all donations received
  in that year, donations with no gift included. This is :func:`check_solicitation_costs`; a
  single gift whose own costs exceed half its donation is not by itself a breach. Also from
  October 2023, processed meat and polished rice count as local products only when made from
  ingredients of the same prefecture.

Examples
--------
>>> s = deduction_split(50_000, 6_070_000, 609_500)
>>> int(s.income_tax), int(s.resident_basic), int(s.resident_special), int(s.total)
(9801, 4800, 33398, 47999)
>>> check_solicitation_costs(10_000_000, 4_600_000).breaks_50_rule
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit import tax
from ebpmkit.errors import ParameterError, check_choice, check_range, renamed_parameters
from ebpmkit.messages import message

__all__ = [
    "COST_COLUMNS",
    "COST_LABELS",
    "FAMILIES",
    "GIFT_COLUMNS",
    "SELF_BURDEN",
    "DeductionSplit",
    "SolicitationCosts",
    "check_gift_rules",
    "check_solicitation_costs",
    "deduction_split",
    "full_deduction_limit",
    "limit_from_levy",
    "ministry_social_insurance",
    "municipal_revenue_loss",
    "solicitation_costs_by_year",
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
"""A return gift's procurement cost at most 30% of its donation: a rule on each gift, in the
Local Tax Act (arts. 37-2(2) and 314-7(2); since June 2019)."""
TOTAL_COST_LIMIT = 0.50
"""A fiscal year's solicitation costs at most 50% of the donations received in that year: a rule
on the municipality's yearly totals, in the ministry's notice (since June 2019; from October 2023
one-stop processing and issuing receipts count as costs too). Not a rule on each gift."""

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
"""Columns of a return-gift catalogue, in yen per gift: the donation it needs and its costs."""
COST_COLUMNS = GIFT_COLUMNS[1:]
"""The cost columns of a catalogue (procurement, shipping, portal fee, administration)."""
COST_LABELS = {
    "procurement_cost": "返礼品の調達費",
    "shipping_cost": "送料",
    "portal_fee": "ポータルサイトの手数料",
    "admin_cost": "事務費など",
}
"""Japanese names of the cost columns, used by :meth:`SolicitationCosts.table`."""


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


def _signed(name: str, value: Any) -> np.ndarray:
    """An array of yen amounts that may be negative (the special base), float64."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or not np.isfinite(arr.astype(np.float64)).all():
        raise ParameterError(message("furusato.base_type", name=name, got=repr(value)))
    return arr.astype(np.float64, copy=False)


def _floor(x: Any) -> np.ndarray:
    """Round down to whole yen, ignoring float noise such as 3062.9999999."""
    return np.floor(np.round(np.asarray(x, dtype=np.float64), 6))


# Brackets of the special part (Local Tax Act arts. 37-2(1), 314-7(1)): a special base up to and
# including each bound takes that income-tax rate. At exactly ¥1.95M the income-tax table already
# says 10% but the tax equals 5% of it, and the special-part table says 5%; this table follows the
# latter.
_SPECIAL_BOUNDS = np.array(
    [1_950_000, 3_300_000, 6_950_000, 9_000_000, 18_000_000, 40_000_000, np.inf]
)
_SPECIAL_RATES = np.array([0.05, 0.10, 0.20, 0.23, 0.33, 0.40, 0.45])


@renamed_parameters(taxable_income_for_income_tax="special_base")
def special_rate(special_base: Any, income_year: int = 2023) -> np.ndarray:
    """Income-tax rate that sets the special part's share (90% - rate x 1.021); 0 for a negative base.

    ``special_base`` is the resident-tax taxable income less the personal-deduction differences
    (人的控除差調整額), :attr:`ebpmkit.tax.Assessment.special_base`, rounded down to ¥1,000. From
    0 it takes the bracket of the income-tax rate table; below 0, or with no taxable income (the
    base is then below 0 too), the share is 90% and the rate 0 (Local Tax Act arts. 37-2(1) and
    314-7(1)). The parameter was ``taxable_income_for_income_tax`` before: up to income year
    2024 the income-tax taxable income is the same amount where it is positive, but a base of
    exactly 0 takes the first bracket (5%), as the law says.

    Examples
    --------
    >>> special_rate([-1, 0, 1_950_000, 1_951_000, 50_000_000]).tolist()
    [0.0, 0.05, 0.05, 0.1, 0.45]
    """
    year = tax._year(income_year)
    base = np.floor(_signed("special_base", special_base) / 1_000) * 1_000
    rates = _SPECIAL_RATES.copy()
    if year == 2014:  # no 45% bracket before 2015
        rates[-1] = 0.40
    index = np.searchsorted(_SPECIAL_BOUNDS, np.maximum(base, 0.0), side="left")
    return np.where(base >= 0, rates[index], 0.0)


def _special_base(base: Any, t: np.ndarray, year: int) -> np.ndarray:
    """The special base given, or the income-tax taxable income standing in for it to 2024."""
    if base is not None:
        return _signed("special_base", base)
    if year >= 2025:
        raise ParameterError(message("furusato.special_base_needed", year=year))
    return np.where(t > 0, t, -1.0)  # no income-tax taxable income: no base (rate 90%)


def deduction_split(
    donation: Any,
    taxable_income_for_income_tax: Any,
    income_levy: Any,
    one_stop: Any = False,
    *,
    income_year: int = 2023,
    total_income: Any = None,
    special_base: Any = None,
) -> DeductionSplit:
    """Split a year's donations into the income-tax and resident-tax deductions.

    The income-tax part is the exact fall in income tax (with the 2.1% surtax) when the
    donation less ¥2,000 is deducted from ``taxable_income_for_income_tax``: that is (donation -
    ¥2,000) x marginal rate x 1.021 unless the deduction crosses a bracket. The special part's
    rate is :func:`special_rate` of ``special_base``. The resident parts together never exceed
    ``income_levy``. When ``total_income`` is given, the donation counts only up to 40% of it for
    income tax and 30% for resident tax.

    Parameters
    ----------
    donation : array-like of yen
        Total furusato donations of the donor in the income year.
    taxable_income_for_income_tax : array-like of yen
        Taxable income for income tax (課税総所得金額) before the donation deduction.
    income_levy : array-like of yen
        Resident-tax income levy (所得割) of the next fiscal year before the deduction (and
        before the 2024 flat-rate cut, which is not modelled).
    one_stop : bool or array of bool
        Whether the one-stop exception applies (no tax return).
    income_year : int
        Calendar year of the donation.
    total_income : array-like of yen, optional
        Total income (総所得金額等) for the 40% / 30% caps.
    special_base : array-like of yen, optional
        Resident-tax taxable income less the personal-deduction differences (negative allowed;
        ``tax.assess(...).special_base``). Up to income year 2024 it may be left out: the
        income-tax taxable income is then used (the same amount for total incomes up to ¥24M;
        0 means no base). From 2025 it must be given.

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
    base = _special_base(special_base, t, year)
    d_it, d_rt = d, d
    if total_income is not None:
        inc = _money("total_income", total_income)
        d_it, d_rt = np.minimum(d, inc * INCOME_TAX_CAP), np.minimum(d, inc * RESIDENT_CAP)
    base_it = np.maximum(_floor(d_it) - SELF_BURDEN, 0.0)
    base_rt = np.maximum(_floor(d_rt) - SELF_BURDEN, 0.0)

    before = tax.income_tax(t, year, surtax=False)
    after = tax.income_tax(np.maximum(t - base_it, 0.0), year, surtax=False)
    it_part = _floor((before - after) * (1 + tax.RECONSTRUCTION_SURTAX))

    rate = special_rate(base, year) * (1 + tax.RECONSTRUCTION_SURTAX)
    basic = np.minimum(_floor(base_rt * 0.10), levy)
    special = np.minimum(_floor(base_rt * (0.90 - rate)), _floor(levy * special_cap(year)))
    special = np.minimum(special, levy - basic)
    # 申告特例控除 = special part x (rate x 1.021) / (90% - rate x 1.021), within what is left.
    one_stop_part = _floor(special * rate / (0.90 - rate))
    one_stop_part = np.where(stop, np.minimum(one_stop_part, levy - basic - special), 0.0)
    it_part = np.where(stop, 0.0, it_part)
    shape = np.broadcast(d, t, levy, stop, base).shape

    def out(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, shape).astype(np.int64)

    return DeductionSplit(out(it_part), out(basic), out(special), out(one_stop_part))


@renamed_parameters(taxable_income_for_income_tax="special_base")
def limit_from_levy(special_base: Any, income_levy: Any, *, income_year: int = 2023) -> np.ndarray:
    """Closed-form full-deduction limit: income levy x 20% / (90% - rate x 1.021) + ¥2,000.

    This is the donation at which the special part reaches its cap; above it the donor pays
    more than ¥2,000. ``rate`` is :func:`special_rate` of ``special_base`` (the resident-tax
    taxable income less the personal-deduction differences; up to income year 2024 the
    income-tax taxable income where it is positive). Zero where the income levy is 0 (nothing
    can be deducted from resident tax, so every donation costs more than ¥2,000).

    The formula is derived here from the three deductions (see the module docstring): below the
    cap the special part is (donation - ¥2,000) x (90% - rate x 1.021); setting it equal to
    20% of the income levy and solving for the donation gives the limit.

    Examples
    --------
    >>> int(limit_from_levy(6_070_000, 609_500))
    177194
    """
    year = tax._year(income_year)
    base = _signed("special_base", special_base)
    levy = _money("income_levy", income_levy)
    rate = special_rate(base, year) * (1 + tax.RECONSTRUCTION_SURTAX)
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
    ``income_year=2019`` its figures come out after rounding down to thousands of yen. The
    closed form :func:`limit_from_levy` (at the special base of :func:`ebpmkit.tax.assess`) is
    then checked with :func:`deduction_split`; where the parts at that donation leave the donor
    more than ``tolerance`` yen above ¥2,000 (rounding, or the 40% / 30% caps on the donation
    bind), the limit is lowered by bisection to the largest donation that passes. As in the
    ministry's table, the income-tax part is counted at the rate the special part assumes: when
    the deduction takes the taxable income into a lower bracket, or (from income year 2025) the
    special base lies in a higher bracket than the income-tax taxable income, the real burden
    exceeds ¥2,000 by the difference of the two rates x 1.021 times the part of the donation
    concerned.

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
    >>> int(full_deduction_limit(25_000_000, income_year=2019))  # the ministry's table: 849,000
    849233
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
    t, levy, inc, base = a.income_tax_taxable, a.income_levy, a.total_income, a.special_base
    limit = limit_from_levy(base, levy, income_year=year).astype(np.float64)

    rate = special_rate(base, year) * (1 + tax.RECONSTRUCTION_SURTAX)

    def burden_ok(donation: np.ndarray) -> np.ndarray:
        split = deduction_split(
            donation, t, levy, income_year=year, total_income=inc, special_base=base
        )
        # the income-tax part at the special part's rate, as the ministry's table counts it
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
    municipality (or special ward) and the prefecture (Tokyo for a ward), and 8:2 for a
    designated city from FY2018: pass ``municipal_share=tax.levy_split(kind, fiscal_year)``.

    Examples
    --------
    >>> municipal_revenue_loss([47_999, 100_000]).tolist()
    [28799, 60000]
    >>> municipal_revenue_loss(100_000, tax.levy_split("designated-city", 2024)).tolist()
    80000
    """
    check_range("municipal_share", municipal_share, low=0, high=1)
    d = _money("resident_tax_deduction", resident_tax_deduction)
    return _floor(d * municipal_share).astype(np.int64)


def _table(name: str, value: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """``value`` if it is a DataFrame with ``columns``; a ParameterError naming them otherwise."""
    if not isinstance(value, pd.DataFrame):
        raise ParameterError(message("furusato.table_type", name=name, got=type(value).__name__))
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise ParameterError(
            message(
                "furusato.missing_columns",
                name=name,
                missing=", ".join(missing),
                columns=", ".join(map(str, value.columns)),
            )
        )
    return value


def _amounts(name: str, frame: pd.DataFrame, column: str, *, positive: bool = False) -> np.ndarray:
    """A column of yen amounts (zero or more, or more than zero), as float64."""
    col = frame[column]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise ParameterError(message("furusato.column_not_amount", name=name, column=column))
    arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not (arr >= 0).all():  # False for NaN too
        raise ParameterError(message("furusato.column_negative", name=name, column=column))
    if positive and not (arr > 0).all():
        raise ParameterError(message("furusato.column_not_positive", name=name, column=column))
    return arr


def check_gift_rules(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Check each return gift against the 30% procurement rule, and show its cost share.

    The 30% rule is a rule on each gift (Local Tax Act arts. 37-2(2) and 314-7(2)): the
    procurement cost at most 30% of the donation. The 50% rule is **not** a rule on each gift:
    it compares a fiscal year's total solicitation costs with all donations received in that
    year (:func:`check_solicitation_costs`). A gift's own share of costs is shown for
    information: a gift whose costs exceed half its donation is not by itself a breach.

    Parameters
    ----------
    catalogue : pandas.DataFrame
        One row per gift with the columns of :data:`GIFT_COLUMNS` in yen: donation_amount,
        procurement_cost, shipping_cost, portal_fee, admin_cost.

    Returns
    -------
    pandas.DataFrame
        A copy of ``catalogue`` with procurement_ratio (procurement cost over the donation),
        total_cost_ratio (all four costs over the donation), breaks_30_rule (True when the
        procurement cost exceeds 30%: a breach) and cost_share_over_half (True when the gift's
        own costs exceed half its donation: informative, not a breach).

    Examples
    --------
    >>> gifts = pd.DataFrame({"donation_amount": [10_000, 10_000], "procurement_cost": [3_000, 3_500],
    ...                       "shipping_cost": [1_000, 500], "portal_fee": [1_000, 1_000], "admin_cost": [500, 0]})
    >>> check_gift_rules(gifts)[["breaks_30_rule", "cost_share_over_half"]].to_numpy().tolist()
    [[False, True], [True, False]]
    """
    _table("catalogue", catalogue, GIFT_COLUMNS)
    values = {c: _amounts("catalogue", catalogue, c) for c in GIFT_COLUMNS}
    donation = _amounts("catalogue", catalogue, "donation_amount", positive=True)
    costs = sum(values[c] for c in COST_COLUMNS)
    out = catalogue.copy()
    out["procurement_ratio"] = values["procurement_cost"] / donation
    out["total_cost_ratio"] = costs / donation
    # compare in yen, not with the float ratio, so a gift at exactly 30% passes
    out["breaks_30_rule"] = values["procurement_cost"] > donation * PROCUREMENT_LIMIT + 1e-9
    out["cost_share_over_half"] = costs > donation * TOTAL_COST_LIMIT + 1e-9
    return out


def solicitation_costs_by_year(donations: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Donations received and the costs of their return gifts, totalled by fiscal year.

    Each donation's gift costs are the catalogue's costs of its gift times the number of gifts
    it buys (the donation over the gift's required donation: a donation of twice the amount
    gets two). A donation with no gift (``gift_id`` missing) counts in ``received`` with no cost.
    Costs that no catalogue holds (one-stop processing and receipts, counted since October
    2023, staff and advertising not charged to a gift) must be added before the 50% rule is
    judged with :func:`check_solicitation_costs`.

    Parameters
    ----------
    donations : pandas.DataFrame
        One row per donation received, with fiscal_year, amount (yen) and gift_id.
    catalogue : pandas.DataFrame
        The return-gift catalogue: gift_id and the columns of :data:`GIFT_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per fiscal year: fiscal_year, donations (count), no_gift (count of donations
        with no gift), received (yen), the four cost columns of :data:`COST_COLUMNS` (yen),
        total_cost and cost_ratio (total_cost over received).

    Examples
    --------
    >>> gifts = pd.DataFrame({"gift_id": [1, 2], "donation_amount": [10_000, 20_000],
    ...     "procurement_cost": [3_000, 6_000], "shipping_cost": [1_000, 1_000],
    ...     "portal_fee": [1_000, 2_000], "admin_cost": [600, 600]})
    >>> received = pd.DataFrame({"fiscal_year": [2024, 2024, 2024], "amount": [20_000, 20_000, 10_000],
    ...     "gift_id": pd.array([1, 2, None], dtype="Int64")})
    >>> solicitation_costs_by_year(received, gifts)[["received", "total_cost", "cost_ratio"]].to_numpy().tolist()
    [[50000.0, 20800.0, 0.416]]
    """
    _table("donations", donations, ("fiscal_year", "amount", "gift_id"))
    _table("catalogue", catalogue, ("gift_id", *GIFT_COLUMNS))
    amount = _amounts("donations", donations, "amount")
    required = _amounts("catalogue", catalogue, "donation_amount", positive=True)
    ids = pd.Index(catalogue["gift_id"])
    if not ids.is_unique:
        twice = sorted({str(i) for i in ids[ids.duplicated()]})
        raise ParameterError(message("furusato.duplicate_gifts", ids=", ".join(twice)))
    gift = donations["gift_id"]
    has_gift = gift.notna().to_numpy()
    row = np.full(len(donations), -1, dtype=np.int64)
    row[has_gift] = ids.get_indexer(gift[has_gift])
    unknown = has_gift & (row < 0)
    if unknown.any():
        shown = sorted({str(i) for i in gift[unknown]})[:10]
        raise ParameterError(message("furusato.unknown_gifts", ids=", ".join(shown)))
    units = np.where(has_gift, amount / required[np.maximum(row, 0)], 0.0)
    frame = pd.DataFrame(
        {
            "fiscal_year": donations["fiscal_year"].to_numpy(),
            "donations": 1,
            "no_gift": (~has_gift).astype(np.int64),
            "received": amount,
        }
    )
    for col in COST_COLUMNS:
        per_gift = _amounts("catalogue", catalogue, col)
        frame[col] = np.where(has_gift, units * per_gift[np.maximum(row, 0)], 0.0)
    out = frame.groupby("fiscal_year", sort=True).sum().reset_index()
    out["total_cost"] = out[list(COST_COLUMNS)].sum(axis=1)
    out["cost_ratio"] = out["total_cost"] / out["received"]
    return out


@dataclass(frozen=True)
class SolicitationCosts:
    """A fiscal year's solicitation costs against the donations it received (the 50% rule).

    Attributes
    ----------
    received : float
        All donations received in the fiscal year, in yen (those with no gift included).
    costs : dict of str to float
        The year's costs by item, in yen.
    fiscal_year : int or None
        The fiscal year, for the reading.
    limit : float
        The share of the donations the costs may reach (0.5).

    Examples
    --------
    >>> r = SolicitationCosts(10_000_000, {"procurement_cost": 2_900_000, "portal_fee": 2_300_000})
    >>> round(r.ratio, 2), r.breaks_50_rule
    (0.52, True)
    """

    received: float
    costs: dict[str, float] = field(default_factory=dict)
    fiscal_year: int | None = None
    limit: float = TOTAL_COST_LIMIT

    @property
    def total_cost(self) -> float:
        """All the year's costs, in yen."""
        return float(sum(self.costs.values()))

    @property
    def ratio(self) -> float:
        """Total costs over the donations received."""
        return self.total_cost / self.received

    @property
    def breaks_50_rule(self) -> bool:
        """True when the year's costs exceed half its donations (compared in yen)."""
        return self.total_cost > self.received * self.limit + 1e-6

    def table(self) -> pd.DataFrame:
        """One row per cost item and one for their total: yen and share of the donations.

        Examples
        --------
        >>> SolicitationCosts(1_000, {"shipping_cost": 100}).table()["項目"].tolist()
        ['送料', '経費の合計']
        """
        items = [COST_LABELS.get(k, str(k)) for k in self.costs] + ["経費の合計"]
        amounts = [*self.costs.values(), self.total_cost]
        return pd.DataFrame(
            {
                "項目": items,
                "金額(円)": amounts,
                "寄附の合計に対する割合": [a / self.received for a in amounts],
            }
        )

    def reading(self) -> str:
        """A plain-Japanese reading: the ratio, whether the year keeps to the rule, and why.

        Examples
        --------
        >>> print(SolicitationCosts(10_000_000, {"admin_cost": 4_000_000}, 2024).reading())
        ... # doctest: +ELLIPSIS
        2024年度の募集に要した費用(経費)の合計は4,000,000円で、受け入れた寄附の合計10,000,000円の40.0%です。5割以下なので、...
        """
        year = f"{self.fiscal_year}年度" if self.fiscal_year is not None else "この年度"
        verdict = (
            "5割を超えているので、この年度は5割ルールに違反しています。"
            if self.breaks_50_rule
            else "5割以下なので、この年度は5割ルールを守っています。"
        )
        items = "、".join(COST_LABELS.get(k, str(k)) for k in self.costs) or "なし"
        return (
            f"{year}の募集に要した費用(経費)の合計は{self.total_cost:,.0f}円で、"
            f"受け入れた寄附の合計{self.received:,.0f}円の{self.ratio:.1%}です。{verdict}"
            f"(含めた経費: {items})\n"
            "5割ルールは、返礼品1品ごとではなく、年度の経費の合計を、その年度に受け入れた寄附の合計"
            "(返礼品のない寄附を含む)と比べて判定します(総務省の告示)。2023年10月からは、"
            "ワンストップ特例の事務と寄附金受領証明書の発行の費用も経費に含めます。"
        )


def check_solicitation_costs(
    received: float, costs: Mapping[str, float] | float, *, fiscal_year: int | None = None
) -> SolicitationCosts:
    """Judge the 50% rule on a fiscal year's totals: all costs over all donations received.

    The rule in the ministry's notice: the costs of soliciting donations in a fiscal year (return
    gifts, shipping, portal fees, administration and, from October 2023, one-stop processing
    and issuing receipts) at most 50% of the donations received in that year, donations with no
    gift included. One gift over 50% does not break it; a year whose totals exceed 50% does.

    Parameters
    ----------
    received : float
        All donations received in the fiscal year, in yen, those with no gift included.
    costs : float or mapping of str to float
        The year's total costs in yen, or its costs by item (a dict, or a pandas Series such
        as a row of :func:`solicitation_costs_by_year` restricted to :data:`COST_COLUMNS`).
    fiscal_year : int, optional
        The fiscal year, named in the reading.

    Returns
    -------
    SolicitationCosts
        With ``ratio``, ``breaks_50_rule``, ``table()`` and a Japanese ``reading()``.

    Examples
    --------
    >>> r = check_solicitation_costs(10_000_000, {"procurement_cost": 2_800_000,
    ...     "shipping_cost": 900_000, "portal_fee": 1_000_000}, fiscal_year=2024)
    >>> round(r.ratio, 3), r.breaks_50_rule
    (0.47, False)
    """
    bad_received = isinstance(received, bool) or not isinstance(received, int | float | np.number)
    if bad_received or not float(received) > 0 or not np.isfinite(float(received)):
        raise ParameterError(message("furusato.received", got=repr(received)))
    if isinstance(costs, pd.Series):
        costs = costs.to_dict()
    if isinstance(costs, Mapping):
        items = dict(costs)
    elif isinstance(costs, int | float | np.number) and not isinstance(costs, bool):
        items = {"経費": costs}
    else:
        raise ParameterError(message("furusato.costs", got=type(costs).__name__))
    clean: dict[str, float] = {}
    for item, value in items.items():
        ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
        if not ok or not float(value) >= 0 or not np.isfinite(float(value)):
            raise ParameterError(message("furusato.cost_item", item=item, got=repr(value)))
        clean[str(item)] = float(value)
    if fiscal_year is not None:
        fiscal_year = tax._year(fiscal_year, "fiscal_year", 1990, 2100)
    return SolicitationCosts(float(received), clean, fiscal_year)
