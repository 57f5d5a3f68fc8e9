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


def test_check_gift_rules_flags_30_percent_per_gift_and_shows_cost_share():
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
    assert out["breaks_30_rule"].tolist() == [False, True, False]  # exactly 30% passes
    # a gift's own cost share over half is shown, and is not called a breach
    assert out["cost_share_over_half"].tolist() == [False, True, True]
    assert "breaks_50_rule" not in out.columns
    assert out["procurement_ratio"].round(3).tolist() == [0.3, 0.32, 0.3]
    assert out["total_cost_ratio"].round(3).tolist() == [0.5, 0.52, 0.533]
    assert "procurement_ratio" not in gifts.columns  # the input is not changed


# A catalogue with one gift whose own costs are 60% of its donation (A) and one at 45% (B):
#   A: 10,000 needs 3,000 + 1,500 + 1,000 + 500 = 6,000 of costs (procurement 30%: allowed)
#   B: 20,000 needs 5,000 + 1,000 + 2,000 + 1,000 = 9,000
CATALOGUE = pd.DataFrame(
    {
        "gift_id": [1, 2],
        "donation_amount": [10_000, 20_000],
        "procurement_cost": [3_000, 5_000],
        "shipping_cost": [1_500, 1_000],
        "portal_fee": [1_000, 2_000],
        "admin_cost": [500, 1_000],
    }
)
# FY2024: A once, B once, B with twice its donation (two gifts), and 10,000 with no gift.
# FY2025: A four times.
RECEIVED = pd.DataFrame(
    {
        "fiscal_year": [2024, 2024, 2024, 2024, 2025, 2025, 2025, 2025],
        "amount": [10_000, 20_000, 40_000, 10_000, 10_000, 10_000, 10_000, 10_000],
        "gift_id": pd.array([1, 2, 2, None, 1, 1, 1, 1], dtype="Int64"),
    }
)


def test_yearly_costs_count_gifts_per_donation_and_donations_without_gifts():
    years = furusato.solicitation_costs_by_year(RECEIVED, CATALOGUE).set_index("fiscal_year")
    fy24 = years.loc[2024]
    # received 10,000 + 20,000 + 40,000 + 10,000 = 80,000 (the donation with no gift included)
    assert (fy24["donations"], fy24["no_gift"], fy24["received"]) == (4, 1, 80_000)
    # procurement 3,000 + 5,000 + 2 x 5,000 = 18,000; shipping 1,500 + 1,000 + 2,000 = 4,500;
    # portal 1,000 + 2,000 + 4,000 = 7,000; admin 500 + 1,000 + 2,000 = 3,500; total 33,000
    got = fy24[["procurement_cost", "shipping_cost", "portal_fee", "admin_cost", "total_cost"]]
    assert got.tolist() == [18_000, 4_500, 7_000, 3_500, 33_000]
    assert fy24["cost_ratio"] == pytest.approx(33_000 / 80_000)  # 41.25%
    # FY2025: 4 x 10,000 = 40,000 received, 4 x 6,000 = 24,000 of costs: 60%
    assert years.loc[2025, ["received", "total_cost"]].tolist() == [40_000, 24_000]


def test_one_gift_over_half_is_not_a_breach_when_the_year_is_under_half():
    # FY2024 above: gift A costs 60% of its donation, but the year's costs are 33,000 plus
    # one-stop processing 3,000 and receipts 1,000 = 37,000 of 80,000 received: 46.25%
    costs = {
        "procurement_cost": 18_000,
        "shipping_cost": 4_500,
        "portal_fee": 7_000,
        "admin_cost": 3_500,
        "ワンストップ特例の事務": 3_000,
        "受領証明書の発行": 1_000,
    }
    assert furusato.check_gift_rules(CATALOGUE)["cost_share_over_half"].tolist() == [True, False]
    r = furusato.check_solicitation_costs(80_000, costs, fiscal_year=2024)
    assert r.total_cost == 37_000 and r.ratio == pytest.approx(0.4625)
    assert not r.breaks_50_rule
    assert "守っています" in r.reading() and "46.2%" in r.reading()
    table = r.table()
    assert table["項目"].tolist()[-1] == "経費の合計"
    assert table["金額(円)"].tolist()[-1] == 37_000


def test_a_year_whose_totals_exceed_half_breaks_the_rule():
    # FY2025 above: 24,000 of costs over 40,000 received = 60%
    row = furusato.solicitation_costs_by_year(RECEIVED, CATALOGUE).iloc[-1]
    r = furusato.check_solicitation_costs(
        row["received"], row[list(furusato.COST_COLUMNS)], fiscal_year=2025
    )
    assert r.ratio == pytest.approx(0.6) and r.breaks_50_rule
    assert "違反しています" in r.reading() and "2025年度" in r.reading()


def test_the_50_percent_rule_counts_donations_without_gifts_and_allows_exactly_half():
    # 30,000 of costs: over half of 55,000 of donations with gifts (54.5%), but with a further
    # 5,000 received with no gift the year's donations are 60,000 and the ratio is exactly 50%
    assert furusato.check_solicitation_costs(55_000, 30_000).breaks_50_rule
    assert not furusato.check_solicitation_costs(60_000, 30_000).breaks_50_rule


def test_solicitation_cost_input_errors_are_japanese_first():
    with pytest.raises(ParameterError, match="received") as err:
        furusato.check_solicitation_costs(0, 100)
    assert err.value.args[0].splitlines()[0].startswith("引数 'received'")
    with pytest.raises(ParameterError, match="送料"):
        furusato.check_solicitation_costs(1_000, {"送料": -1})
    with pytest.raises(ParameterError, match="costs"):
        furusato.check_solicitation_costs(1_000, "たくさん")
    with pytest.raises(ParameterError, match="99"):
        furusato.solicitation_costs_by_year(RECEIVED.assign(gift_id=99), CATALOGUE)
    with pytest.raises(ParameterError, match="fiscal_year"):
        furusato.solicitation_costs_by_year(RECEIVED.drop(columns="fiscal_year"), CATALOGUE)


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
    with pytest.raises(ParameterError, match="catalogue") as err:
        furusato.check_gift_rules([1, 2])
    assert err.value.args[0].splitlines()[0].startswith("引数 'catalogue' には pandas")


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


# --------------------------------------------------------------------------------------------
# the special part's rate: the resident-tax taxable income less the personal-deduction differences


def test_special_rate_reads_the_special_base():
    # a negative base (differences larger than the taxable income) takes 90%, i.e. rate 0; a
    # base of exactly 0 is "zero or more" and takes the first bracket (Local Tax Act 314-7(1))
    assert furusato.special_rate([-50_000, 0, 3_300_000, 3_301_000]).tolist() == [
        0.0,
        0.05,
        0.10,
        0.20,
    ]


def test_2025_special_rate_uses_the_resident_tax_base_not_the_income_tax_taxable_income():
    from ebpmkit import tax

    # salary 6.5M single in 2025, premiums 15% = 975,000:
    #   salary income 6,500,000 - (6,500,000 x 20% + 440,000) = 4,760,000 (total income)
    #   income tax: basic 680,000 (total income 3.36M-4.89M in 2025):
    #     4,760,000 - 975,000 - 680,000 = 3,105,000 (10% bracket)
    #   resident tax: basic 430,000: 4,760,000 - 975,000 - 430,000 = 3,355,000
    #   personal-deduction differences: basic only, 50,000 -> special base 3,305,000 (20%)
    #   income levy: 3,355,000 x 10% = 335,500 less the adjustment 5% x 50,000 = 2,500 -> 333,000
    a = tax.assess(2025, salary_revenue=6_500_000, social_insurance=975_000)
    got = (a.income_tax_taxable, a.resident_taxable, a.personal_difference, a.special_base)
    assert tuple(int(x) for x in got) == (3_105_000, 3_355_000, 50_000, 3_305_000)
    assert int(a.income_levy) == 333_000
    assert float(tax.marginal_rate(a.income_tax_taxable, 2025)) == 0.10
    assert float(furusato.special_rate(a.special_base, 2025)) == 0.20
    # limit: 333,000 x 20% = 66,600 / (90% - 20% x 1.021 = 0.6958) = 95,717.2 -> 95,717 + 2,000;
    # with the income-tax taxable income (10%) it would be 66,600 / 0.7979 = 83,469 + 2,000
    limit = furusato.limit_from_levy(a.special_base, a.income_levy, income_year=2025)
    assert int(limit) == 97_717
    assert int(furusato.limit_from_levy(a.income_tax_taxable, a.income_levy)) == 85_469
    assert (
        int(furusato.full_deduction_limit(6_500_000, income_year=2025, social_insurance_rate=0.15))
        == 97_717
    )
    # donation 52,000 -> 50,000 deducted:
    #   income tax: 3,105,000 -> 3,055,000: (310,500 - 97,500) - (305,500 - 97,500) = 5,000
    #     x 1.021 = 5,105 (the marginal 10%)
    #   basic 5,000; special 50,000 x 0.6958 = 34,790 (the 20% the special base gives)
    #   the donor bears 52,000 - 44,895 = 7,105 = 2,000 + 50,000 x 1.021 x (20% - 10%)
    s = furusato.deduction_split(
        52_000, a.income_tax_taxable, a.income_levy, income_year=2025, special_base=a.special_base
    )
    assert (int(s.income_tax), int(s.resident_basic), int(s.resident_special)) == (
        5_105,
        5_000,
        34_790,
    )
    assert 52_000 - int(s.total) == 7_105


def test_2025_split_needs_the_special_base():
    with pytest.raises(ParameterError, match="special_base") as err:
        furusato.deduction_split(52_000, 3_105_000, 333_000, income_year=2025)
    assert err.value.args[0].startswith("2025年分の寄附では")


def test_up_to_2024_the_special_base_is_the_income_tax_taxable_income():
    from ebpmkit import tax

    # the differences of the deductions (basic 50k, spouse, dependants) are the personal-
    # deduction differences themselves, so both routes give the same base up to 2024
    rev = np.arange(1_500_000, 20_000_001, 250_000)
    for year in (2019, 2023, 2024):
        for family in furusato.FAMILIES.values():
            a = tax.assess(year, salary_revenue=rev, social_insurance=rev * 0.15, **family)
            taxed = a.income_tax_taxable > 0
            assert (a.special_base[taxed] == a.income_tax_taxable[taxed]).all()
            assert (a.special_base[~taxed] <= 0).all()


def test_old_parameter_name_of_the_special_base_still_works_with_a_warning():
    with pytest.warns(FutureWarning, match="special_base"):
        assert int(furusato.limit_from_levy(taxable_income_for_income_tax=6_070_000,
                                            income_levy=609_500)) == 177_194  # fmt: skip
