"""Hand-worked checks of ebpmkit.tax: every expected figure is worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from ebpmkit import tax
from ebpmkit.errors import ParameterError

# --------------------------------------------------------------------------------------------
# salary income deduction by period


@pytest.mark.parametrize(
    ("year", "revenue", "expected"),
    [
        # 2014-2015: 10% + 1.2M up to 10M, 5% + 1.7M up to 15M, cap 2.45M
        (2014, 10_000_000, 2_200_000),  # 10M x 10% + 1.2M
        (2015, 13_000_000, 2_350_000),  # 13M x 5% + 1.7M
        (2015, 20_000_000, 2_450_000),  # cap
        # 2016: 5% + 1.7M up to 12M, cap 2.3M
        (2016, 11_000_000, 2_250_000),  # 11M x 5% + 1.7M
        (2016, 13_000_000, 2_300_000),  # cap
        # 2017-2019: cap 2.2M above 10M
        (2019, 13_000_000, 2_200_000),
        (2019, 5_000_000, 1_540_000),  # 5M x 20% + 540k
        (2019, 1_000_000, 650_000),  # minimum 650k
        # 2020-2024: each step 100k lower, cap 1.95M above 8.5M
        (2020, 5_000_000, 1_440_000),  # 5M x 20% + 440k
        (2023, 8_000_000, 1_900_000),  # 8M x 10% + 1.1M
        (2023, 10_000_000, 1_950_000),  # cap
        (2023, 1_000_000, 550_000),  # minimum 550k
        (2023, 500_000, 500_000),  # never above the revenue
        # 2025 reform: minimum 650k up to 1.9M, then as 2020
        (2025, 1_900_000, 650_000),
        (2025, 3_000_000, 980_000),  # 3M x 30% + 80k
    ],
)
def test_salary_income_deduction_by_period(year, revenue, expected):
    assert int(tax.salary_income_deduction(revenue, year)) == expected


def test_salary_income_rounds_revenue_to_4000_yen_below_6_6m():
    # 3,003,999 is rounded down to 3,000,000 (appended table 5): 3M x 70% - 80k = 2,020,000
    assert int(tax.salary_income(3_003_999, 2023)) == 2_020_000
    # above 6.6M there is no rounding: 7,000,001 - (700,000.1 + 1.1M) = 5,200,000.9 -> 5,200,000
    assert int(tax.salary_income(7_000_001, 2023)) == 5_200_000


def test_salary_income_is_vectorised_and_monotone():
    rev = np.arange(0, 30_000_001, 7_919)
    for year in (2014, 2016, 2018, 2023, 2026):
        inc = tax.salary_income(rev, year)
        assert inc.shape == rev.shape and inc.dtype == np.int64
        assert (inc >= 0).all() and (inc <= rev).all()
        # monotone apart from the few hundred yen of the 4,000-yen rounding table
        assert (np.diff(inc) >= -1_000).all()


# --------------------------------------------------------------------------------------------
# pensions


def test_pension_deduction_before_and_after_2020():
    # 65+, 2M: 1.2M (to 2019), 1.1M (from 2020)
    assert int(tax.pension_deduction(2_000_000, 2019, aged_65=True)) == 1_200_000
    assert int(tax.pension_deduction(2_000_000, 2020, aged_65=True)) == 1_100_000
    # under 65, 2M: 2M x 25% + 375k = 875k (2019); + 275k = 775k (2020)
    assert int(tax.pension_deduction(2_000_000, 2019, aged_65=False)) == 875_000
    assert int(tax.pension_deduction(2_000_000, 2020, aged_65=False)) == 775_000
    # 65+, 5M in 2023: 5M x 15% + 685k = 1,435,000
    assert int(tax.pension_deduction(5_000_000, 2023)) == 1_435_000
    # other income above 10M cuts 100k: 1.1M - 100k
    assert int(tax.pension_deduction(2_000_000, 2023, other_income=15_000_000)) == 1_000_000
    # income never negative: 65+ with 0.8M pension has no pension income
    assert int(tax.pension_income(800_000, 2023)) == 0


def test_income_adjustment_deduction():
    # salary 10M with a child under 23: (10M - 8.5M) x 10% = 150k
    assert (
        int(tax.income_adjustment_deduction(10_000_000, 8_050_000, 0, 2023, child_under_23=True))
        == 150_000
    )
    # without a child: nothing
    assert int(tax.income_adjustment_deduction(10_000_000, 8_050_000, 0, 2023)) == 0
    # salary income 300k and pension income 60k: 100k + 60k - 100k = 60k
    assert int(tax.income_adjustment_deduction(1_000_000, 300_000, 60_000, 2023)) == 60_000
    assert (
        int(tax.income_adjustment_deduction(10_000_000, 8_050_000, 0, 2019, child_under_23=True))
        == 0
    )


# --------------------------------------------------------------------------------------------
# deductions


def test_basic_deduction():
    assert int(tax.basic_deduction(3_000_000, 2019, "income")) == 380_000
    assert int(tax.basic_deduction(3_000_000, 2019, "resident")) == 330_000
    assert tax.basic_deduction([3e6, 24_200_000, 24_800_000, 26e6], 2023, "income").tolist() == [
        480_000,
        320_000,
        160_000,
        0,
    ]
    assert tax.basic_deduction([3e6, 24_200_000, 24_800_000, 26e6], 2023, "resident").tolist() == [
        430_000,
        290_000,
        150_000,
        0,
    ]
    # 2025 reform, income tax only: 950k up to 1.32M, 880k up to 3.36M (2025-26), 580k from 2027
    assert tax.basic_deduction([1_000_000, 3_000_000], 2025, "income").tolist() == [
        950_000,
        880_000,
    ]
    assert int(tax.basic_deduction(3_000_000, 2027, "income")) == 580_000
    assert int(tax.basic_deduction(3_000_000, 2025, "resident")) == 430_000


def test_spouse_and_dependant_deductions():
    # from 2018 the spouse deduction tapers with the claimant's income
    assert tax.spouse_deduction([8e6, 9_200_000, 9_800_000, 11e6], 2023, "resident").tolist() == [
        330_000,
        220_000,
        110_000,
        0,
    ]
    # before 2018 it was flat
    assert int(tax.spouse_deduction(12_000_000, 2017, "income")) == 380_000
    assert int(tax.spouse_deduction(5_000_000, 2023, "income", elderly=True)) == 480_000
    # one general (16-18) + one specific (19-22): income tax 380k + 630k, resident 330k + 450k
    assert int(tax.dependant_deduction(2023, "income", general=1, specific=1)) == 1_010_000
    assert int(tax.dependant_deduction(2023, "resident", general=1, specific=1)) == 780_000
    assert int(tax.dependant_deduction(2023, "resident", elderly_parent=1)) == 450_000
    assert tax.dependant_income_limit(2019) == 380_000
    assert tax.dependant_income_limit(2020) == 480_000
    assert tax.dependant_income_limit(2025) == 580_000


def test_adjustment_deduction():
    # taxable 80k (<= 2M), spouse + basic differences 100k: 5% of min(100k, 80k) = 4,000 -> 2,400 / 1,600
    m, p = tax.adjustment_deduction(80_000, 1_000_000, 2023, spouse=True)
    assert (int(m), int(p)) == (2_400, 1_600)
    # taxable 2.05M, differences 100k: 5% of max(100k - 50k, 50k) = 2,500
    m, p = tax.adjustment_deduction(2_050_000, 3_560_000, 2023, spouse=True)
    assert (int(m), int(p)) == (1_500, 1_000)
    # taxable 1.5M with a specific dependant: differences 50k + 180k = 230k -> 5% = 11,500
    m, p = tax.adjustment_deduction(1_500_000, 3_000_000, 2023, specific=1)
    assert int(m + p) == 11_500
    # not given above 25M total income from 2020
    m, p = tax.adjustment_deduction(20_000_000, 26_000_000, 2023)
    assert int(m + p) == 0


def test_personal_deduction_difference():
    # Local Tax Act 314-6 (1)(a): basic 50k; spouse 50k / 40k / 20k by the claimant's income up
    # to 9M / 9.5M / 10M (100k / 60k / 30k aged 70+); dependants 50k, 180k, 100k, 130k
    assert tax.personal_deduction_difference(3_000_000, 2023).tolist() == 50_000
    got = tax.personal_deduction_difference(
        [5_000_000, 9_200_000, 9_800_000, 5_000_000], 2023, spouse=True,
        elderly_spouse=[False, False, False, True],
    )  # fmt: skip
    assert got.tolist() == [100_000, 90_000, 70_000, 150_000]
    # 50k + 50k + 180k + 100k + 130k = 510k, the same in 2025 (the basic 50k is kept)
    for year in (2019, 2025):
        every = tax.personal_deduction_difference(
            6_000_000, year, general=1, specific=1, elderly=1, elderly_parent=1
        )
        assert int(every) == 510_000
    # the adjustment deduction is 5% of it when the taxable income is larger and at most 2M:
    # 1.5M taxable with a specific dependant -> 5% x 230k = 11,500 (as above)
    assert int(tax.personal_deduction_difference(3_000_000, 2023, specific=1)) * 5 // 100 == 11_500


def test_special_base_is_resident_taxable_less_the_differences():
    # 10M, non-working spouse (2023): resident taxable 5,790,000 (test_assess_hand_worked),
    # differences 50k + 50k = 100k -> 5,690,000, the income-tax taxable income
    a = tax.assess(2023, salary_revenue=10_000_000, social_insurance=1_500_000, spouse=True)
    assert (int(a.personal_difference), int(a.special_base)) == (100_000, 5_690_000)
    assert int(a.special_base) == int(a.income_tax_taxable)
    # 2025, same person: income-tax basic 580k (total 8,050,000 > 6.55M), resident 430k:
    #   income tax 8,050,000 - 1,500,000 - 580,000 - 380,000 = 5,590,000
    #   resident   8,050,000 - 1,500,000 - 430,000 - 330,000 = 5,790,000 -> base 5,690,000
    a = tax.assess(2025, salary_revenue=10_000_000, social_insurance=1_500_000, spouse=True)
    assert (int(a.income_tax_taxable), int(a.special_base)) == (5_590_000, 5_690_000)
    # differences larger than the taxable income give a negative base: 1.2M salary (2023),
    # income 1,200,000 - 550,000 = 650,000; resident taxable 650,000 - 180,000 - 430,000 = 40,000
    # -> base 40,000 - 50,000 = -10,000; income tax: 650,000 - 180,000 - 480,000 < 0 -> 0
    a = tax.assess(2023, salary_revenue=1_200_000, social_insurance=180_000)
    assert (int(a.resident_taxable), int(a.special_base)) == (40_000, -10_000)
    assert int(a.income_tax_taxable) == 0


# --------------------------------------------------------------------------------------------
# income tax


def test_income_tax_table_and_surtax():
    # 1,949,000 x 5% = 97,450; 1,950,000 x 10% - 97,500 = 97,500 (continuous)
    assert tax.income_tax([1_949_000, 1_950_000], 2023, surtax=False).tolist() == [97_450, 97_500]
    # 50M: 45% - 4,796,000 = 17,704,000 (2015+); 2014 had no 45% bracket: 40% - 2,796,000
    assert int(tax.income_tax(50_000_000, 2023, surtax=False)) == 17_704_000
    assert int(tax.income_tax(50_000_000, 2014, surtax=False)) == 17_204_000
    # surtax: 6,070,000 x 20% - 427,500 = 786,500; x 1.021 = 803,016.5 -> 803,000 (¥100 units)
    assert int(tax.income_tax(6_070_000, 2023)) == 803_000
    # taxable income is rounded down to ¥1,000 first
    assert int(tax.income_tax(1_000_999, 2023, surtax=False)) == 50_000


def test_marginal_rate():
    assert tax.marginal_rate([1e6, 3e6, 5e6, 8e6, 1e7, 2e7, 5e7], 2023).tolist() == [
        0.05,
        0.10,
        0.20,
        0.23,
        0.33,
        0.40,
        0.45,
    ]
    assert float(tax.marginal_rate(5e7, 2014)) == 0.40


# --------------------------------------------------------------------------------------------
# resident tax


def test_per_capita_levy_composition():
    fy2023, fy2024 = tax.per_capita_levy(2023), tax.per_capita_levy(2024)
    assert (fy2023.municipal, fy2023.prefectural, fy2023.forest) == (3_500, 1_500, 0)
    assert (fy2024.municipal, fy2024.prefectural, fy2024.forest) == (3_000, 1_000, 1_000)
    assert fy2023.total == fy2024.total == 5_000
    assert tax.per_capita_levy(2014).total == 5_000


def test_non_taxable_limits():
    # single: 350k until income 2019, 450k from 2020
    assert [int(x) for x in tax.non_taxable_limits(2019, 0)] == [350_000, 350_000]
    assert [int(x) for x in tax.non_taxable_limits(2020, 0)] == [450_000, 450_000]
    # spouse + child (N = 3), 2023: per-capita 350k x 3 + 210k + 100k = 1,360,000;
    # income levy 350k x 3 + 320k + 100k = 1,470,000
    assert [int(x) for x in tax.non_taxable_limits(2023, 2)] == [1_360_000, 1_470_000]
    # grade 3, single, 2023: 350k x 0.8 + 100k = 380k (per-capita); income levy not graded
    assert [int(x) for x in tax.non_taxable_limits(2023, 0, grade=3)] == [380_000, 450_000]


def test_levy_is_zero_below_threshold_and_capped_just_above():
    # single 2023: total income 450,000 is at the threshold -> nothing due
    r = tax.resident_tax(450_000, 20_000, 2023)
    assert int(r.total) == 0
    # 460,000: taxable 460,000 - 430,000 = 30,000 -> municipal 1,800 - 900 (3% of 30k) = 900,
    # prefectural 1,200 - 600 = 600, total 1,500; capped at 10% x (460k - 450k) = 1,000
    r = tax.resident_tax(460_000, 30_000, 2023)
    assert int(r.income_levy) == 1_000
    assert (int(r.income_levy_municipal), int(r.income_levy_prefectural)) == (600, 400)
    assert int(r.per_capita_levy) == 5_000
    # in income year 2019 the single threshold was 350k: 400k of income pays the per-capita levy
    assert int(tax.resident_tax(400_000, 70_000, 2019).per_capita_levy) == 5_000
    assert int(tax.resident_tax(400_000, 0, 2023).per_capita_levy) == 0


def test_exempt_person_pays_nothing_up_to_limit():
    r = tax.resident_tax([1_300_000, 1_400_000], [870_000, 970_000], 2023, exempt_person=True)
    assert r.total.tolist()[0] == 0
    assert r.total.tolist()[1] > 0


def test_fy2024_levy_includes_forest_tax():
    r = tax.resident_tax(3_000_000, 2_000_000, 2023)  # fiscal year 2024
    assert (int(r.per_capita_municipal), int(r.per_capita_prefectural), int(r.forest_tax)) == (
        3_000,
        1_000,
        1_000,
    )
    r = tax.resident_tax(3_000_000, 2_000_000, 2022)  # fiscal year 2023
    assert (int(r.per_capita_municipal), int(r.per_capita_prefectural), int(r.forest_tax)) == (
        3_500,
        1_500,
        0,
    )


# --------------------------------------------------------------------------------------------
# whole assessments, salary earners with social insurance 15% of salary, income year 2023


@pytest.mark.parametrize(
    ("salary", "family", "expected"),
    [
        # 3M single: salary income 3M x 70% - 80k = 2,020,000; SI 450,000
        #   income tax: 2,020,000 - 450,000 - 480,000 = 1,090,000 x 5% = 54,500 x 1.021 = 55,644 -> 55,600
        #   resident: 2,020,000 - 450,000 - 430,000 = 1,140,000; adjustment 5% x min(50k, T) = 2,500
        #   municipal 68,400 - 1,500 = 66,900; prefectural 45,600 - 1,000 = 44,600; levy 111,500
        (3_000_000, {}, (2_020_000, 1_090_000, 55_600, 1_140_000, 111_500)),
        # 5M single: salary income 5M x 80% - 440k = 3,560,000; SI 750,000
        #   income tax: 3,560,000 - 750,000 - 480,000 = 2,330,000: 233,000 - 97,500 = 135,500 -> 138,300
        #   resident: 2,380,000 -> 238,000 - 2,500 = 235,500
        (5_000_000, {}, (3_560_000, 2_330_000, 138_300, 2_380_000, 235_500)),
        # 7M single: salary income 7M x 90% - 1.1M = 5,200,000; SI 1,050,000
        #   income tax: 3,670,000 x 20% - 427,500 = 306,500 x 1.021 = 312,936 -> 312,900
        #   resident: 3,720,000 -> 372,000 - 2,500 = 369,500
        (7_000_000, {}, (5_200_000, 3_670_000, 312_900, 3_720_000, 369_500)),
        # 10M single: salary income 10M - 1.95M = 8,050,000; SI 1,500,000
        #   income tax: 6,070,000 x 20% - 427,500 = 786,500 -> 803,000; resident 6,120,000 -> 609,500
        (10_000_000, {}, (8_050_000, 6_070_000, 803_000, 6_120_000, 609_500)),
        # 20M single: salary income 18,050,000; SI 3,000,000
        #   income tax: 14,570,000 x 33% - 1,536,000 = 3,272,100 x 1.021 = 3,340,814 -> 3,340,800
        #   resident: 14,620,000: 877,200 - 1,500 + 584,800 - 1,000 = 1,459,500
        (20_000_000, {}, (18_050_000, 14_570_000, 3_340_800, 14_620_000, 1_459_500)),
        # 5M, non-working spouse: spouse deduction 380k / 330k
        #   income tax: 3,560,000 - 750,000 - 480,000 - 380,000 = 1,950,000: 97,500 x 1.021 = 99,547 -> 99,500
        #   resident: 3,560,000 - 750,000 - 430,000 - 330,000 = 2,050,000;
        #   adjustment: differences 100k, T > 2M: 5% x max(100k - 50k, 50k) = 2,500 -> 205,000 - 2,500
        (5_000_000, {"spouse": True}, (3_560_000, 1_950_000, 99_500, 2_050_000, 202_500)),
        # 10M, non-working spouse: income tax 6,070,000 - 380,000 = 5,690,000: 710,500 -> 725,400
        #   resident 6,120,000 - 330,000 = 5,790,000 -> 579,000 - 2,500 = 576,500
        (10_000_000, {"spouse": True}, (8_050_000, 5_690_000, 725_400, 5_790_000, 576_500)),
        # 5M, one child of 16-18 (general dependant 380k / 330k): same deductions as the spouse case
        (5_000_000, {"general": 1}, (3_560_000, 1_950_000, 99_500, 2_050_000, 202_500)),
        # 10M, one child of 16-18: income adjustment (10M - 8.5M) x 10% = 150k -> income 7,900,000
        #   income tax: 7,900,000 - 1,500,000 - 480,000 - 380,000 = 5,540,000: 680,500 x 1.021 = 694,790 -> 694,700
        #   resident: 7,900,000 - 1,500,000 - 430,000 - 330,000 = 5,640,000 -> 564,000 - 2,500 = 561,500
        (10_000_000, {"general": 1}, (7_900_000, 5_540_000, 694_700, 5_640_000, 561_500)),
    ],
)
def test_assess_hand_worked(salary, family, expected):
    a = tax.assess(2023, salary_revenue=salary, social_insurance=salary * 0.15, **family)
    got = (a.total_income, a.income_tax_taxable, a.income_tax, a.resident_taxable, a.income_levy)
    assert tuple(int(x) for x in got) == expected
    assert int(a.resident.per_capita_levy) == 5_000


def test_assess_pensioner_2019_vs_2023():
    # 65+, pension 2.4M, no other income. 2019: income 2.4M - 1.2M = 1.2M; resident taxable
    # 1.2M - SI 100k - 330k = 770k -> 77,000 - 2,500 = 74,500.
    a = tax.assess(2019, pension_revenue=2_400_000, aged_65=True, social_insurance=100_000)
    assert (int(a.total_income), int(a.income_levy)) == (1_200_000, 74_500)
    # 2023: 2.4M - 1.1M = 1.3M; 1.3M - 100k - 430k = 770k -> same levy
    a = tax.assess(2023, pension_revenue=2_400_000, aged_65=True, social_insurance=100_000)
    assert (int(a.total_income), int(a.income_levy)) == (1_300_000, 74_500)


def test_assess_is_vectorised():
    rev = np.array([0, 1_000_000, 3_000_000, 10_000_000])
    a = tax.assess(
        2023, salary_revenue=rev, social_insurance=rev * 0.15, spouse=np.array([0, 0, 1, 1])
    )
    assert a.income_levy.shape == (4,)
    assert a.income_levy[0] == 0 and a.income_levy[1] == 0  # 1M: income 450k, at the threshold
    assert (np.diff(a.income_levy) >= 0).all()
    assert a.marginal_rate.tolist() == [0.0, 0.0, 0.05, 0.2]


# --------------------------------------------------------------------------------------------
# bad input


def test_bad_input_names_the_parameter():
    with pytest.raises(ParameterError, match="salary_revenue"):
        tax.salary_income(-1, 2023)
    with pytest.raises(ParameterError, match="salary_revenue"):
        tax.salary_income([1_000_000, np.nan], 2023)
    with pytest.raises(ParameterError, match="income_year"):
        tax.salary_income(1_000_000, 2013)
    with pytest.raises(ParameterError, match="income_year"):
        tax.salary_income(1_000_000, 2031)
    with pytest.raises(ParameterError, match="income_year"):
        tax.salary_income(1_000_000, 2023.0)
    with pytest.raises(ParameterError, match="fiscal_year"):
        tax.per_capita_levy(2040)
    with pytest.raises(ParameterError, match="'tax'"):
        tax.basic_deduction(1_000_000, 2023, tax="local")
    with pytest.raises(ParameterError, match="general"):
        tax.dependant_deduction(2023, general=-1)
    with pytest.raises(ParameterError, match="grade"):
        tax.non_taxable_limits(2023, 0, grade=4)
    with pytest.raises(ParameterError, match="pension_revenue"):
        tax.assess(2023, pension_revenue="many")


@pytest.mark.parametrize(
    "call",
    [
        lambda: tax.salary_income(1_000_000, 2013),
        lambda: tax.salary_income(1_000_000, "2023"),
        lambda: tax.salary_income(-1, 2023),
        lambda: tax.salary_income("a lot", 2023),
        lambda: tax.dependant_deduction(2023, general=-1),
        lambda: tax.spouse_deduction(5_000_000, 2023, elderly="yes"),
        lambda: tax.non_taxable_limits(2023, 0, grade=4),
    ],
)
def test_errors_are_japanese_first_then_english(call):
    with pytest.raises(ParameterError) as err:
        call()
    japanese, english = err.value.args[0].split("\n")
    assert japanese.startswith("引数 '") and english.startswith("The '")


# The Income Tax Act's appended table 5 (所得税法別表第五) at its boundaries, by rule year:
# worked from the table's rows (nil below the minimum deduction + ¥1,000; revenue less the
# minimum deduction; the steps from ¥1,619,000; ¥4,000 bands from ¥1,628,000).
TABLE_FIVE = {
    2019: [
        (650_999, 0),
        (651_000, 1_000),
        (1_618_999, 968_999),
        (1_619_000, 969_000),
        (1_619_999, 969_000),
        (1_621_999, 970_000),
        (1_623_999, 972_000),
        (1_627_999, 974_000),
        (1_628_000, 976_800),
        (1_631_999, 976_800),
    ],
    2023: [
        (550_999, 0),
        (551_000, 1_000),
        (1_619_999, 1_069_000),
        (1_620_000, 1_070_000),
        (1_623_999, 1_072_000),
        (1_624_000, 1_074_000),
        (1_627_999, 1_074_000),
        (1_628_000, 1_076_800),
    ],
    2025: [
        (650_999, 0),
        (651_000, 1_000),
        (1_619_999, 969_999),
        (1_899_999, 1_249_999),
        (1_900_000, 1_250_000),
        (1_903_999, 1_250_000),
    ],
}


@pytest.mark.parametrize(
    ("year", "revenue", "income"),
    [(year, rev, inc) for year, rows in TABLE_FIVE.items() for rev, inc in rows],
)
def test_salary_income_follows_table_five_at_its_boundaries(year, revenue, income):
    assert int(tax.salary_income(revenue, year)) == income


# -- the designated-city split (8% city, 2% prefecture from FY2018) ---------------------------


def test_levy_split_by_kind_and_fiscal_year():
    assert tax.levy_split("designated-city", 2017) == 0.6
    assert tax.levy_split("designated-city", 2018) == 0.8
    assert tax.levy_split("designated-city", 2025) == 0.8
    for kind in ("special-ward", "city", "town", "village"):
        assert {tax.levy_split(kind, y) for y in (2015, 2017, 2018, 2024)} == {0.6}
    with pytest.raises(ParameterError, match="kind"):
        tax.levy_split("county", 2020)


def test_designated_city_levy_hand_worked():
    # Taxable ¥6,120,000, total ¥8,050,000, single (income year 2023, FY2024). Adjustment
    # deduction: taxable over ¥2M, differences ¥50,000 -> 5% of max(50,000 - 4,120,000, 50,000)
    # = ¥2,500. City 8%: 489,600 - 4% of 50,000 (2,000) = 487,600; prefecture 2%:
    # 122,400 - 500 = 121,900. Elsewhere 6%/4%: 367,200 - 1,500 and 244,800 - 1,000.
    city = tax.resident_tax(8_050_000, 6_120_000, 2023, kind="designated-city")
    other = tax.resident_tax(8_050_000, 6_120_000, 2023, kind="city")
    assert (int(city.income_levy_municipal), int(city.income_levy_prefectural)) == (
        487_600,
        121_900,
    )
    assert (int(other.income_levy_municipal), int(other.income_levy_prefectural)) == (
        365_700,
        243_800,
    )
    # the taxpayer pays the same; only the split between city and prefecture changes
    assert int(city.income_levy) == int(other.income_levy) == 609_500
    # income year 2016 is FY2017, before the split: a designated city levies 6%/4%
    before = tax.resident_tax(8_050_000, 6_120_000, 2016, kind="designated-city")
    same = tax.resident_tax(8_050_000, 6_120_000, 2016)
    assert int(before.income_levy_municipal) == int(same.income_levy_municipal)
    assert int(before.income_levy_prefectural) == int(same.income_levy_prefectural)


def test_designated_city_adjustment_deduction_splits_4_to_1():
    # 5% of min(100k, 80k) = 4,000: 3,200 / 800 in a designated city, 2,400 / 1,600 elsewhere
    m, p = tax.adjustment_deduction(80_000, 1_000_000, 2023, spouse=True, kind="designated-city")
    assert (int(m), int(p)) == (3_200, 800)
    m, p = tax.adjustment_deduction(80_000, 1_000_000, 2016, spouse=True, kind="designated-city")
    assert (int(m), int(p)) == (2_400, 1_600)


def test_assess_passes_the_kind_and_other_kinds_are_unchanged():
    salaries = np.array([2_500_000, 5_000_000, 10_000_000, 30_000_000])
    kw = {"salary_revenue": salaries, "social_insurance": salaries * 0.15}
    city = tax.assess(2023, kind="designated-city", **kw)
    for kind in ("special-ward", "city", "town", "village"):
        other = tax.assess(2023, kind=kind, **kw)
        np.testing.assert_array_equal(other.income_levy, tax.assess(2023, **kw).income_levy)
        np.testing.assert_array_equal(city.income_levy, other.income_levy)
        # each part rounds down to ¥100 on its own, so the shares hold to within ¥100
        levy = other.income_levy
        assert (np.abs(other.resident.income_levy_municipal - 0.6 * levy) <= 100).all()
    levy = city.income_levy
    assert (np.abs(city.resident.income_levy_municipal - 0.8 * levy) <= 100).all()


def test_furusato_loss_of_a_designated_city_is_eight_tenths():
    from ebpmkit import furusato

    share = tax.levy_split("designated-city", 2024)
    assert furusato.municipal_revenue_loss([47_999, 100_000], share).tolist() == [38_399, 80_000]
    assert furusato.municipal_revenue_loss(100_000, tax.levy_split("city", 2024)).tolist() == 60_000
