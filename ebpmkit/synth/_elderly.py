"""Income and resident-tax status of older residents, shared by ltc_premiums and late_elderly.

Both schemes judge a person by the resident tax of the same fiscal year (income of the
previous calendar year, from ``income_tax``) and by the household on the register: whether
anyone in the household pays resident tax (世帯課税), the person's own status (本人課税), and
the head's income. A person absent from ``income_tax`` (under 15) has no income and pays no
resident tax. Premium schedules change by period; :func:`schedule_index` finds the period of
each fiscal year and :func:`check_schedule` checks that a profile's lists agree.

Examples
--------
>>> schedule_index(np.array([2015, 2018]), np.array([2015, 2017, 2020])).tolist()
[0, 0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit import tax
from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth._keys import dense_codes, has_label, pair_key, positions
from ebpmkit.synth.profile import Profile

__all__ = ["ElderlyRows", "check_schedule", "elderly_rows", "judged_income", "schedule_index"]


@dataclass(frozen=True)
class ElderlyRows:
    """Register rows of residents at or above an age, with their income and tax status.

    Every array has one value per selected row of ``resident_years`` (``rows`` are their
    positions); incomes are those of ``income_tax`` for the same fiscal year (0 when absent).
    """

    rows: np.ndarray
    year: np.ndarray
    pid: np.ndarray
    hh: np.ndarray
    age: np.ndarray
    group: np.ndarray  # household-year code, dense over the selected rows
    n_groups: int
    salary: np.ndarray
    pension: np.ndarray
    business: np.ndarray
    total: np.ndarray
    taxable: np.ndarray
    person_taxed: np.ndarray
    household_taxed: np.ndarray
    head_total: np.ndarray  # total income of the head of the row's household
    head_age: np.ndarray  # age of that head (-1 when the household has no head on the register)

    @property
    def revenue(self) -> np.ndarray:
        """Salary and pension revenue plus business income (the revenue the schemes compare)."""
        return self.salary + self.pension + np.maximum(self.business, 0.0)


def elderly_rows(ry: pd.DataFrame, it: pd.DataFrame, min_age: int) -> ElderlyRows:
    """The rows of ``resident_years`` aged ``min_age`` or over, linked to ``income_tax``.

    Parameters
    ----------
    ry : DataFrame
        ``resident_years`` (fiscal_year, person_id, household_id, age; relationship if known).
    it : DataFrame
        ``income_tax`` of the same fiscal years.
    min_age : int
        First age (on 1 April) to keep.

    Returns
    -------
    ElderlyRows

    Examples
    --------
    >>> ry = pd.DataFrame({"fiscal_year": [2020, 2020], "person_id": [1, 2],
    ...     "household_id": [5, 5], "age": [70, 40], "relationship": ["配偶者", "世帯主"]})
    >>> it = pd.DataFrame({"fiscal_year": [2020, 2020], "person_id": [1, 2],
    ...     "salary_revenue": [0, 5_000_000], "pension_revenue": [1_000_000, 0],
    ...     "business_income": [0, 0], "total_income": [0, 3_560_000],
    ...     "taxable_income": [0, 2_500_000], "resident_tax": [0, 250_000]})
    >>> old = elderly_rows(ry, it, 65)
    >>> old.pid.tolist(), old.person_taxed.tolist(), old.household_taxed.tolist()
    ([1], [False], [True])
    >>> old.head_total.tolist(), old.head_age.tolist()
    ([3560000.0], [40])
    """
    year_all = ry["fiscal_year"].to_numpy().astype(np.int64)
    pid_all = ry["person_id"].to_numpy(np.int64)
    hh_all = ry["household_id"].to_numpy(np.int64)
    age_all = ry["age"].to_numpy().astype(np.int64)
    first = int(year_all.min()) if len(year_all) else 0
    span = int(year_all.max()) - first + 1 if len(year_all) else 1
    n_all_groups, grp_all = dense_codes(pair_key(year_all, hh_all, first, span), compact=False)
    ry_key = pair_key(year_all, pid_all, first, span)

    it_year = it["fiscal_year"].to_numpy().astype(np.int64)
    keep = np.flatnonzero((it_year >= first) & (it_year < first + span))
    it_key = pair_key(it_year[keep], it["person_id"].to_numpy(np.int64)[keep], first, span)
    it_col = {name: _column(it, name, keep) for name in _INCOME_COLUMNS}
    taxed_it = it_col["resident_tax"] > 0

    # Household status and the head's income, over the whole register.
    at_ry = positions(it_key, ry_key)
    found = at_ry >= 0
    taxed_groups = np.bincount(grp_all[at_ry[found & taxed_it]], minlength=n_all_groups).astype(
        bool
    )
    head_total_g = np.zeros(n_all_groups)
    head_age_g = np.full(n_all_groups, -1, dtype=np.int64)
    if "relationship" in ry.columns:
        heads = np.flatnonzero(has_label(ry["relationship"], ("世帯主",)))
        head_age_g[grp_all[heads]] = age_all[heads]
        at_it = positions(ry_key[heads], it_key)
        got = at_it >= 0
        head_total_g[grp_all[heads[got]]] = it_col["total_income"][at_it[got]]

    rows = np.flatnonzero(age_all >= min_age)
    at_it = positions(ry_key[rows], it_key)
    got = at_it >= 0

    def income(name: str) -> np.ndarray:
        out = np.zeros(len(rows))
        out[got] = it_col[name][at_it[got]]
        return out

    grp = grp_all[rows]
    n_groups, dense = dense_codes(grp)
    person_taxed = np.zeros(len(rows), dtype=bool)
    person_taxed[got] = taxed_it[at_it[got]]
    return ElderlyRows(
        rows=rows,
        year=year_all[rows],
        pid=pid_all[rows],
        hh=hh_all[rows],
        age=age_all[rows],
        group=dense,
        n_groups=n_groups,
        salary=income("salary_revenue"),
        pension=income("pension_revenue"),
        business=income("business_income"),
        total=np.maximum(income("total_income"), 0.0),
        taxable=income("taxable_income"),
        person_taxed=person_taxed,
        household_taxed=taxed_groups[grp],
        head_total=np.maximum(head_total_g[grp], 0.0),
        head_age=head_age_g[grp],
    )


_INCOME_COLUMNS = (
    "salary_revenue",
    "pension_revenue",
    "business_income",
    "total_income",
    "taxable_income",
    "resident_tax",
)


def _column(it: pd.DataFrame, name: str, keep: np.ndarray) -> np.ndarray:
    """A numeric column of income_tax at ``keep`` (zeros when the table lacks it)."""
    if name not in it.columns:
        return np.zeros(len(keep))
    return it[name].to_numpy(np.float64)[keep]


def judged_income(old: ElderlyRows) -> np.ndarray:
    """Pension revenue plus total income without the pension's part (年金収入 + その他の合計所得).

    The pension's part of total income is recomputed with :func:`ebpmkit.tax.pension_income`
    for the income year (the calendar year before the fiscal year); salary-related
    adjustments are ignored, and the other income is floored at 0.

    Examples
    --------
    >>> ry = pd.DataFrame({"fiscal_year": [2020], "person_id": [1], "household_id": [1],
    ...     "age": [80]})
    >>> it = pd.DataFrame({"fiscal_year": [2020], "person_id": [1], "pension_revenue": [2_000_000],
    ...     "total_income": [800_000]})
    >>> judged_income(elderly_rows(ry, it, 75)).tolist()
    [2000000.0]
    """
    other = old.total.copy()
    for year in np.unique(old.year):
        m = np.flatnonzero((old.year == year) & (old.pension > 0))
        if len(m) == 0:
            continue
        from_pension = tax.pension_income(old.pension[m], int(year) - 1, aged_65=old.age[m] >= 66)
        other[m] = np.maximum(old.total[m] - from_pension, 0.0)
    return old.pension + other


def schedule_index(starts: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Index of the period (listed by first fiscal year) each fiscal year falls in.

    A year before the first start takes the first period (:func:`check_schedule` rejects a
    profile whose years begin before it).
    """
    idx = np.searchsorted(np.asarray(starts), np.asarray(year), side="right") - 1
    return np.clip(idx, 0, len(starts) - 1)


def check_schedule(profile: Profile, starts_key: str, list_keys: tuple[str, ...]) -> None:
    """Reject a schedule whose lists differ in length from its starts, or which starts too late.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> check_schedule(load_profile("town"), "ltc_premiums.period_starts",
    ...     ("ltc_premiums.base_monthly",))
    """
    starts = profile.numbers(starts_key)
    for key in list_keys:
        found = len(profile.numbers(key))
        if found != len(starts):
            raise ProfileError(
                message(
                    "synth.schedule_length",
                    key=key,
                    starts=starts_key,
                    length=len(starts),
                    found=found,
                    origin=profile.origin,
                )
            )
    first = int(profile.number("years.first"))
    if len(starts) == 0 or starts[0] > first or np.any(np.diff(starts) <= 0):
        raise ProfileError(
            message(
                "synth.schedule_start",
                key=starts_key,
                first=first,
                found=repr([int(s) for s in starts]),
                origin=profile.origin,
            )
        )
