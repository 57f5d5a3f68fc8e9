"""Hand-worked checks of ebpmkit.furusato (income year 2023 unless said otherwise).

Salary earners below follow the ministry's table: social insurance 15% of salary, no other
deductions. Their income-tax taxable income T and resident-tax income levy L are worked out in
tests/test_tax.py (test_assess_hand_worked); the rate factor of the special part is
90% - rate x 1.021: 5% -> 0.84895, 10% -> 0.7979, 20% -> 0.6958, 33% -> 0.56307.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit import furusato
from ebpmkit.errors import ParameterError

# --------------------------------------------------------------------------------------------
# deduction split


def test_split_below_the_cap_covers_all_but_2000():
    # salary 10M single: T = 6,070,000 (20%), L = 609,500. Donation 50,000 -> base 48,000.
    #   income tax 48,000 x 20% x 1.021 = 9,801.6 -> 9,801
    #   basic 48,000 x 10% = 4,800; special 48,000 x 0.6958 = 33,398.4 -> 33,398 (cap 121,900)
    s = furusato.deduction_split(50_000, 6_070_000, 609_500)
    assert (int(s.income_tax), int(s.resident_basic), int(s.resident_special)) == (
        9_801,
        4_800,
        33_398,
    )
    assert int(s.total) == 47_999  # 48,000 less 1 yen of rounding: the donor bears ~2,000
    assert int(s.resident_one_stop) == 0


def test_split_above_the_cap():
    # same donor, donation 300,000 -> base 298,000:
    #   income tax 298,000 x 20% x 1.021 = 60,851.6 -> 60,851 (T - base = 5,772,000 stays at 20%)
    #   basic 29,800; special 298,000 x 0.6958 = 207,348 capped at 20% x 609,500 = 121,900
    #   burden 300,000 - (60,851 + 29,800 + 121,900) = 87,449
    s = furusato.deduction_split(300_000, 6_070_000, 609_500)
    assert (int(s.income_tax), int(s.resident_basic), int(s.resident_special)) == (
        60_851,
        29_800,
        121_900,
    )
    assert 300_000 - int(s.total) == 87_449


def test_one_stop_moves_the_income_tax_part_to_resident_tax():
    # below the cap the declaration special deduction equals the income-tax part:
    #   33,398 x 0.2042 / 0.6958 = 9,801.5 -> 9,801
    s = furusato.deduction_split(50_000, 6_070_000, 609_500, one_stop=True)
    assert int(s.income_tax) == 0 and int(s.resident_one_stop) == 9_801
    assert int(s.resident_total) == 4_800 + 33_398 + 9_801
    # above the cap it is computed on the capped special part: 121,900 x 0.2042 / 0.6958 = 35,774.9
    s = furusato.deduction_split(300_000, 6_070_000, 609_500, one_stop=True)
    assert int(s.resident_one_stop) == 35_774


def test_split_is_vectorised_and_one_stop_may_differ_per_donor():
    s = furusato.deduction_split(
        [50_000, 50_000], [6_070_000, 6_070_000], [609_500, 609_500], [False, True]
    )
    assert s.income_tax.tolist() == [9_801, 0]
    assert s.resident_one_stop.tolist() == [0, 9_801]
    assert s.total.tolist() == [47_999, 47_999]


def test_split_crossing_a_bracket_uses_the_exact_income_tax_saving():
    # T = 1,960,000 (10%), donation 52,000 -> base 50,000: taxable falls to 1,910,000 (5%).
    #   income tax 98,500 - 95,500 = 3,000 x 1.021 = 3,063 (not 50,000 x 10% x 1.021 = 5,105)
    #   basic 5,000; special 50,000 x 0.7979 = 39,895
    s = furusato.deduction_split(52_000, 1_960_000, 200_000)
    assert (int(s.income_tax), int(s.resident_basic), int(s.resident_special)) == (
        3_063,
        5_000,
        39_895,
    )


def test_split_without_taxable_income_uses_90_percent():
    # T = 0: special factor 90%; donation 12,000 -> base 10,000: basic 1,000, special 9,000 capped
    # at 20% x 3,000 = 600
    s = furusato.deduction_split(12_000, 0, 3_000)
    assert (int(s.income_tax), int(s.resident_basic), int(s.resident_special)) == (0, 1_000, 600)
    # nothing at all without income levy
    assert int(furusato.deduction_split(12_000, 0, 0).total) == 0


def test_split_respects_the_40_and_30_percent_caps():
    # total income 2M: income tax counts 800,000 (base 798,000), resident tax 600,000 (base 598,000)
    #   basic 59,800; special capped at 20% x 150,000 = 30,000
    s = furusato.deduction_split(1_000_000, 1_000_000, 150_000, total_income=2_000_000)
    assert (int(s.resident_basic), int(s.resident_special)) == (59_800, 30_000)
    # income tax: T falls 1,000,000 -> 202,000: (50,000 - 10,100) x 1.021 = 40,737.9
    assert int(s.income_tax) == 40_737


# --------------------------------------------------------------------------------------------
# full-deduction limit: L x 20% / factor + 2,000


@pytest.mark.parametrize(
    ("salary", "family", "expected"),
    [
        # single
        (3_000_000, "single", 28_267),  # L 111,500 x 0.2 = 22,300 / 0.84895 = 26,267.7
        (5_000_000, "single", 61_029),  # L 235,500 -> 47,100 / 0.7979 = 59,029.9
        (7_000_000, "single", 108_208),  # L 369,500 -> 73,900 / 0.6958 = 106,208.7
        # flat 15% premiums; the ministry's table (176,000) uses capped premiums: MINISTRY_TABLE
        (10_000_000, "single", 177_194),  # L 609,500 -> 121,900 / 0.6958 = 175,194.0
        (20_000_000, "single", 520_408),  # L 1,459,500 -> 291,900 / 0.56307 = 518,408.0
        # married, spouse without income (spouse deduction 380k / 330k)
        # 3M: T 710,000 (5%); resident taxable 810,000 -> 81,000 - 5% x min(100k, 810k) = 76,000
        (3_000_000, "couple", 19_904),  # 15,200 / 0.84895 = 17,904.5
        # 5M: T 1,950,000 is "up to 1.95M" in the special-part table (5%); L 202,500
        (5_000_000, "couple", 49_705),  # 40,500 / 0.84895 = 47,705.99
        # 7M: T 3,290,000 (10%); resident 3,390,000 -> 339,000 - 2,500 = 336,500
        (7_000_000, "couple", 86_346),  # 67,300 / 0.7979 = 84,346.4
        (10_000_000, "couple", 167_708),  # L 576,500 -> 115,300 / 0.6958 = 165,708.5
        # one child of 16-18 (general dependant): below 8.5M salary the same as the spouse case
        (5_000_000, "dual_earner_high_school", 49_705),
        # 10M with the child: income adjustment 150k, L 561,500 -> 112,300 / 0.6958 = 161,397.0
        (10_000_000, "dual_earner_high_school", 163_396),
    ],
)
def test_full_deduction_limit_hand_worked(salary, family, expected):
    # worked by hand with premiums at a flat 15% of salary
    assert (
        int(furusato.full_deduction_limit(salary, family, social_insurance_rate=0.15)) == expected
    )


# The ministry's table of full-deduction limits (総務省, ふるさと納税ポータルサイト), in yen; it
# uses the rules of income year 2019 and its own schedule of social insurance premiums.
MINISTRY_TABLE = [
    (3_000_000, "single", 28_000),
    (5_000_000, "single", 61_000),
    (7_000_000, "single", 108_000),
    (10_000_000, "single", 176_000),
    (15_000_000, "single", 389_000),
    (20_000_000, "single", 564_000),
    (25_000_000, "single", 849_000),
    (25_000_000, "couple_university_high_school", 817_000),
]


@pytest.mark.parametrize(("salary", "family", "table"), MINISTRY_TABLE)
def test_default_premiums_reproduce_the_ministry_table(salary, family, table):
    limit = int(furusato.full_deduction_limit(salary, family, income_year=2019))
    assert limit // 1000 * 1000 == table


def test_flat_premiums_understate_high_salaries():
    # 15% at every salary overstates premiums above ¥9M (they are capped), so the limit is low
    flat = int(
        furusato.full_deduction_limit(25_000_000, income_year=2019, social_insurance_rate=0.15)
    )
    assert flat < 849_000 * 0.95


def test_at_the_limit_the_donor_bears_2000_and_above_it_more():
    from ebpmkit import tax

    rev = np.array([3e6, 5e6, 7e6, 10e6, 20e6])
    limit = furusato.full_deduction_limit(rev)
    a = tax.assess(
        2023, salary_revenue=rev, social_insurance=furusato.ministry_social_insurance(rev)
    )
    at = furusato.deduction_split(limit, a.income_tax_taxable, a.income_levy)
    above = furusato.deduction_split(limit + 10_000, a.income_tax_taxable, a.income_levy)
    assert (limit - at.total <= 2_010).all()
    # past the cap each extra yen is only deducted at 10% + the income-tax rate
    assert (limit + 10_000 - above.total >= 2_000 + 10_000 * 0.4).all()
    # the limit grows with salary
    assert (np.diff(limit) > 0).all()


def test_no_income_levy_means_no_limit():
    # salary 1M: income 450k, at the non-taxable threshold
    assert int(furusato.full_deduction_limit(1_000_000)) == 0


def test_limit_from_levy_matches_the_closed_form():
    assert int(furusato.limit_from_levy(6_070_000, 609_500)) == 177_194
    assert furusato.limit_from_levy([0, 1_000_000], [0, 100_000]).tolist() == [
        0,
        25_558,
    ]  # 20,000 / 0.84895


def test_limit_with_zero_tolerance_never_exceeds_default():
    strict = furusato.full_deduction_limit([5e6, 10e6], tolerance=0)  # default premiums
    assert (strict <= furusato.full_deduction_limit([5e6, 10e6])).all()


# --------------------------------------------------------------------------------------------
# municipal loss and gift rules


def test_municipal_revenue_loss():
    # 6/10 of the resident-tax deduction; 47,999 x 0.6 = 28,799.4
    assert furusato.municipal_revenue_loss([47_999, 100_000]).tolist() == [28_799, 60_000]
    assert int(furusato.municipal_revenue_loss(100_000, municipal_share=1.0)) == 100_000


def test_check_gift_rules_flags():
    gifts = pd.DataFrame(
        {
            "gift": ["米", "牛肉", "旅行券"],
            "donation_amount": [10_000, 20_000, 30_000],
            "procurement_cost": [3_000, 6_400, 9_000],  # 30%, 32%, 30%
            "shipping_cost": [1_000, 1_500, 0],
            "portal_fee": [1_000, 2_000, 3_000],
            "admin_cost": [0, 500, 4_000],  # totals 50%, 52%, 53.3%
        }
    )
    out = furusato.check_gift_rules(gifts)
    assert out["breaks_30_rule"].tolist() == [False, True, False]
    assert out["breaks_50_rule"].tolist() == [False, True, True]
    assert out["procurement_ratio"].round(3).tolist() == [0.3, 0.32, 0.3]
    assert out["total_cost_ratio"].round(3).tolist() == [0.5, 0.52, 0.533]
    assert "procurement_ratio" not in gifts.columns  # the input is not changed


def test_bad_input_names_the_parameter():
    with pytest.raises(ParameterError, match="donation"):
        furusato.deduction_split(-1, 1_000_000, 100_000)
    with pytest.raises(ParameterError, match="income_levy"):
        furusato.deduction_split(10_000, 1_000_000, np.nan)
    with pytest.raises(ParameterError, match="family"):
        furusato.full_deduction_limit(5e6, "large")
    with pytest.raises(ParameterError, match="salary_revenue"):
        furusato.full_deduction_limit(-5e6)
    with pytest.raises(ParameterError, match="income_year"):
        furusato.full_deduction_limit(5e6, income_year=2012)
    with pytest.raises(ParameterError, match="municipal_share"):
        furusato.municipal_revenue_loss(1_000, municipal_share=1.5)
    with pytest.raises(ParameterError, match="portal_fee"):
        furusato.check_gift_rules(
            pd.DataFrame(
                {
                    "donation_amount": [1],
                    "procurement_cost": [1],
                    "shipping_cost": [1],
                    "admin_cost": [1],
                }
            )
        )
    bad = pd.DataFrame({c: [1_000] for c in furusato.GIFT_COLUMNS}).assign(donation_amount=[0])
    with pytest.raises(ParameterError, match="donation_amount"):
        furusato.check_gift_rules(bad)
    with pytest.raises(ParameterError, match="catalogue"):
        furusato.check_gift_rules([1, 2])


def test_special_part_cap_was_10_percent_for_2014_donations():
    # 2014: cap 10% x 609,500 = 60,950 (20% from 2015 donations)
    assert (
        int(
            furusato.deduction_split(300_000, 6_070_000, 609_500, income_year=2014).resident_special
        )
        == 60_950
    )
    assert (
        int(
            furusato.deduction_split(300_000, 6_070_000, 609_500, income_year=2015).resident_special
        )
        == 121_900
    )
