"""Settlements: totals from the source tables, revenue that sums to cost, coverage by table."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import EbpmkitError
from ebpmkit.synth import finance, generate_tables
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile
from ebpmkit.tax import per_capita_levy

YEARS = (2015, 2016, 2017)


@pytest.fixture(scope="module")
def generated():
    tables, truth = generate_tables("urban-ward", seed=11, scale=0.03)
    return tables, truth


@pytest.fixture(scope="module")
def tables(generated):
    return generated[0]


def settled(tables, code):
    s = tables["settlements"]
    return s[s["programme_code"] == code].set_index("fiscal_year")


def revenue_of(tables, code, source):
    r = tables["settlement_revenue"]
    r = r[(r["programme_code"] == code) & (r["revenue_source"] == source)]
    return r.set_index("fiscal_year")["revenue_amount"]


def fiscal_year(dates):
    d = pd.DatetimeIndex(dates)
    return d.year - (d.month < 4)


def assert_series(actual, expected):
    expected = expected.rename_axis("fiscal_year")
    assert len(expected) > 0
    pd.testing.assert_series_equal(
        actual.astype(np.int64),
        expected.astype(np.int64),
        check_names=False,
        check_index_type=False,
    )


# ------------------------------------------------------------------------------------------
# the generated tables


def test_tables_match_the_dictionary(tables):
    for table in finance.TABLES:
        declared = [c for c in finance.COLUMNS if c.table == table]
        assert list(tables[table].columns) == [c.column for c in declared]
        assert [str(t) for t in tables[table].dtypes] == [c.dtype for c in declared]
    assert len(finance.COLUMNS) >= 25
    assert finance.ROLES == {t: {} for t in finance.TABLES}


def test_voucher_premium_and_sets_equal_the_purchases(tables):
    pur = tables["voucher_purchases"]
    fy = fiscal_year(pur["purchase_date"])
    s = settled(tables, "voucher")
    assert_series(s["subsidy_cost"], pur.groupby(fy)["premium"].sum())
    assert_series(s["output_value"], pur.groupby(fy)["sets"].sum())
    # the administrative cost is the voucher module's share of the project cost
    share = load_profile("urban-ward").number("voucher.admin_cost_share")
    admin = s["goods_cost"] + s["contract_cost"]
    expected = s["subsidy_cost"] * share / (1 - share)
    assert (np.abs(admin - expected) <= 1).all()


def test_furusato_donations_and_gift_costs_equal_the_source_tables(tables):
    don = tables["furusato_donations"]
    gifts = tables["furusato_gifts"].set_index("gift_id")
    s = settled(tables, "furusato")
    received = don.groupby("fiscal_year")["amount"].sum()
    assert_series(s["output_value"], received)
    summary = tables["finance_summary"].set_index("fiscal_year")
    assert_series(summary["furusato_received"], received)
    g = gifts.loc[don["gift_id"]]
    units = don["amount"].to_numpy() / g["donation_amount"].to_numpy()
    each = units * (g["procurement_cost"] + g["shipping_cost"] + g["portal_fee"] + g["admin_cost"])
    costs = pd.Series(each.to_numpy()).groupby(don["fiscal_year"].to_numpy()).sum()
    assert (np.abs((s["goods_cost"] + s["contract_cost"]) - costs) <= 2).all()
    # donations fund the programme up to its cost, never beyond
    assert (revenue_of(tables, "furusato", "寄附金") <= s["total_cost"]).all()


def test_childcare_fees_and_cost_follow_the_children_in_care(tables):
    apps = tables["childcare_applications"]
    inside = apps[apps["status"] == "入所"]
    s = settled(tables, "childcare")
    assert_series(s["output_value"], inside.groupby("fiscal_year").size())
    fees = (inside["monthly_fee"] * 12).groupby(inside["fiscal_year"]).sum()
    assert_series(revenue_of(tables, "childcare", "分担金・負担金"), fees)
    unit = load_profile("urban-ward").numbers("finance.childcare.cost_per_child_month")
    cost = (
        pd.Series(unit[inside["class_age"].to_numpy()] * 12)
        .groupby(inside["fiscal_year"].to_numpy())
        .sum()
    )
    assert_series(s["benefit_cost"], cost)


def test_ltc_benefit_and_shares_follow_the_rates(tables):
    p = load_profile("urban-ward")
    ltc = tables["ltc"]
    s = settled(tables, "ltc")
    assert_series(s["output_value"], ltc.groupby("fiscal_year").size())
    per = p.numbers("finance.ltc.benefit_per_certified")
    benefit = (
        pd.Series(per[ltc["level"].cat.codes.to_numpy()])
        .groupby(ltc["fiscal_year"].to_numpy())
        .sum()
    )
    assert_series(s["benefit_cost"], benefit)
    national = revenue_of(tables, "ltc", "国庫支出金") / s["benefit_cost"]
    assert np.allclose(national, p.number("finance.ltc.national_share"), atol=1e-6)
    paid = tables["ltc_premiums"].groupby("fiscal_year")["premium_paid"].sum()
    assert_series(revenue_of(tables, "ltc", "保険料"), paid)


def test_checkups_and_nhi_follow_their_tables(tables):
    p = load_profile("urban-ward")
    c = tables["checkups"]
    s = settled(tables, "checkups")
    assert_series(s["output_value"], c.groupby("fiscal_year").size())
    minimum = c.groupby("fiscal_year").size() * p.number("finance.checkups.checkup_unit_cost")
    assert (s["contract_cost"] >= minimum).all()
    nhi = tables["nhi"]
    copay = np.where((nhi["age"] < 6) | (nhi["age"] >= 70), 0.2, 0.3)
    benefit = (nhi["medical_cost"] * (1 - copay)).groupby(nhi["fiscal_year"]).sum()
    s = settled(tables, "nhi")
    assert (np.abs(s["benefit_cost"] - benefit) <= 1).all()
    assert_series(s["output_value"], nhi.groupby("fiscal_year").size())
    paid = nhi.groupby("fiscal_year")["premium_paid"].sum()
    assert (revenue_of(tables, "nhi", "保険料") <= paid).all()


def test_new_domains_are_covered_from_their_tables(tables):
    children = tables["child_allowance_children"]
    paid = children[children["allowance_annual"] > 0]
    s = settled(tables, "child_allowance")
    assert_series(s["benefit_cost"], paid.groupby("fiscal_year")["allowance_annual"].sum())
    assert_series(s["output_value"], paid.groupby("fiscal_year").size())
    aid = tables["school_aid"]
    s = settled(tables, "school_aid")
    assert_series(
        s["benefit_cost"], aid[aid["aid_total"] > 0].groupby("fiscal_year")["aid_total"].sum()
    )
    assert "国庫支出金" not in set(revenue_of_all(tables, "school_aid"))  # a share of 0: no row
    late = tables["late_elderly"]
    assert_series(
        revenue_of(tables, "late_elderly", "保険料"),
        late.groupby("fiscal_year")["annual_premium"].sum(),
    )
    checkups = tables["infant_checkups"]
    done = pd.concat(
        [checkups.loc[checkups["attended"], "fiscal_year"], tables["vaccinations"]["fiscal_year"]]
    )
    s = settled(tables, "child_health")
    assert_series(s["output_value"], done.value_counts().sort_index())


def revenue_of_all(tables, code):
    r = tables["settlement_revenue"]
    return r.loc[r["programme_code"] == code, "revenue_source"]


def test_revenue_sums_to_cost_for_every_programme_and_year(tables):
    s = tables["settlements"].set_index(["fiscal_year", "programme_code"])
    r = tables["settlement_revenue"]
    sums = r.groupby(["fiscal_year", "programme_code"])["revenue_amount"].sum()
    assert sums.sort_index().equals(s["total_cost"].sort_index())
    assert (r["revenue_amount"] >= 0).all()
    shares = r.groupby(["fiscal_year", "programme_code"])["revenue_share"].sum()
    assert np.allclose(shares, 1.0)
    assert (
        r.groupby(["fiscal_year", "programme_code"])["revenue_source"].last() == "一般財源"
    ).all()


def test_costs_add_up_and_cost_per_output_is_total_over_output(tables):
    s = tables["settlements"]
    parts = s[["personnel_cost", "goods_cost", "contract_cost", "benefit_cost", "subsidy_cost"]]
    assert (parts.sum(axis=1) == s["total_cost"]).all()
    assert np.allclose(s["cost_per_output"], s["total_cost"] / s["output_value"])
    assert (np.abs(s["personnel_cost"] - s["staff_fte"] * s["cost_per_fte"]) <= 1).all()
    # staff scale with the residents of the year
    residents = tables["resident_years"].groupby("fiscal_year").size()
    p = load_profile("urban-ward")
    nhi = settled(tables, "nhi")
    expected = p.number("finance.nhi.staff_per_100k") * residents[nhi.index] / 100_000
    assert np.allclose(nhi["staff_fte"], expected, atol=0.006)


def test_summary_totals_equal_the_tax_and_programme_tables(tables):
    it = tables["income_tax"]
    summary = tables["finance_summary"].set_index("fiscal_year")
    assert_series(
        summary["income_levy_municipal_total"],
        it.groupby("fiscal_year")["income_levy_municipal"].sum(),
    )
    payers = it[it["per_capita_levy"] > 0].groupby("fiscal_year").size()
    municipal = pd.Series([per_capita_levy(int(y)).municipal for y in payers.index], payers.index)
    assert_series(summary["per_capita_levy_municipal_total"], payers * municipal)
    d = tables["furusato_deductions"]
    assert_series(summary["furusato_tax_loss"], d.groupby("fiscal_year")["municipal_loss"].sum())
    assert (summary["allocation_tax_compensation"] == 0).all()  # a special ward
    assert_series(
        summary["programme_cost_total"],
        tables["settlements"].groupby("fiscal_year")["total_cost"].sum(),
    )


def test_finance_is_deterministic(generated):
    tables, truth = generated
    inputs = {k: v for k, v in tables.items() if k not in finance.TABLES}
    again = finance.simulate(SimContext(load_profile("urban-ward"), 11, 0.03, tables=inputs))
    for name, frame in again.items():
        pd.testing.assert_frame_equal(frame, tables[name])
    assert truth["finance"]["receives_allocation_tax"] is False


# ------------------------------------------------------------------------------------------
# coverage by table, with small hand-made tables


def residents_frame(n=1000):
    return pd.DataFrame(
        {
            "fiscal_year": np.repeat(np.array(YEARS, np.int16), n),
            "person_id": np.tile(np.arange(n, dtype=np.int64), len(YEARS)),
        }
    )


def run(tables, profile="town"):
    p = load_profile(profile) if isinstance(profile, str) else profile
    ctx = SimContext(p, seed=1, scale=0.1, tables={"resident_years": residents_frame(), **tables})
    return finance.simulate(ctx), ctx.truth["finance"]


def test_programmes_are_skipped_when_their_tables_are_absent():
    out, truth = run({})
    assert set(out) == {"settlements", "settlement_revenue"}  # no income_tax: no summary
    assert out["settlements"].empty and out["settlement_revenue"].empty
    assert truth["programmes"] == []
    assert truth["skipped"] == [p.code for p in finance.PROGRAMMES]
    declared = [c.dtype for c in finance.COLUMNS if c.table == "settlements"]
    assert [str(t) for t in out["settlements"].dtypes] == declared


def test_new_domain_builders_read_their_tables():
    children = pd.DataFrame(
        {"fiscal_year": np.int16([2015, 2015, 2016]), "allowance_annual": [120_000, 0, 60_000]}
    )
    aid = pd.DataFrame({"fiscal_year": np.int16([2016, 2016]), "aid_total": [50_000, 70_000]})
    late = pd.DataFrame(
        {"fiscal_year": np.int16([2015, 2016, 2016]), "annual_premium": [90_000, 80_000, 10_000]}
    )
    claims = pd.DataFrame({"fiscal_year": np.int16([2016]), "insurer_paid": [1_200_000]})
    checkups = pd.DataFrame({"fiscal_year": np.int16([2017] * 3), "attended": [True, False, True]})
    out, truth = run(
        {
            "child_allowance_children": children,
            "school_aid": aid,
            "late_elderly": late,
            "late_elderly_claims": claims,
            "infant_checkups": checkups,
        }
    )
    p = load_profile("town")
    assert truth["programmes"] == ["child_allowance", "school_aid", "late_elderly", "child_health"]
    s = out["settlements"].set_index(["programme_code", "fiscal_year"])
    assert s.loc[("child_allowance", 2015), "benefit_cost"] == 120_000
    assert s.loc[("child_allowance", 2015), "output_value"] == 1  # the child paid nothing
    assert s.loc[("school_aid", 2016), "benefit_cost"] == 120_000
    assert s.loc[("school_aid", 2016), "output_value"] == 2
    share = p.number("finance.late_elderly.municipal_benefit_share")
    assert s.loc[("late_elderly", 2016), "subsidy_cost"] == round(90_000 + 1_200_000 * share)
    assert s.loc[("child_health", 2017), "output_value"] == 2
    unit = p.number("finance.child_health.checkup_unit_cost")
    assert s.loc[("child_health", 2017), "contract_cost"] == 2 * unit
    r = out["settlement_revenue"].set_index(["programme_code", "fiscal_year", "revenue_source"])
    national = r.loc[("child_allowance", 2016, "国庫支出金"), "revenue_amount"]
    assert national == np.floor(60_000 * p.number("finance.child_allowance.national_share"))
    assert r.loc[("late_elderly", 2015, "保険料"), "revenue_amount"] == 90_000


def test_a_table_without_the_expected_column_fails_in_japanese():
    bad = pd.DataFrame({"fiscal_year": np.int16([2015]), "something": [1]})
    with pytest.raises(EbpmkitError, match="school_aid"):
        run({"school_aid": bad})


def test_allocation_tax_compensates_three_quarters_only_where_received():
    it = pd.DataFrame(
        {
            "fiscal_year": np.int16([2016, 2016]),
            "income_levy_municipal": [300_000, 100_000],
            "per_capita_levy": [5_000, 0],
        }
    )
    deductions = pd.DataFrame(
        {"fiscal_year": np.int16([2016, 2016]), "municipal_loss": [7_000, 1_001]}
    )
    inputs = {"income_tax": it, "furusato_deductions": deductions}
    town = load_profile("town")
    summary = run(inputs, town)[0]["finance_summary"].set_index("fiscal_year")
    share = town.number("finance.allocation_tax_compensation_share")
    assert summary.loc[2016, "allocation_tax_compensation"] == round(8_001 * share)
    assert summary.loc[2016, "resident_tax_net"] == 400_000 + 3_500 - 8_001
    assert summary.loc[2015, "furusato_tax_loss"] == 0
    ward = run(inputs, "urban-ward")[0]["finance_summary"].set_index("fiscal_year")
    assert ward.loc[2016, "allocation_tax_compensation"] == 0
    # a profile may say otherwise
    own = load_profile("town")
    own.values = copy.deepcopy(own.values)
    own.values["finance"]["receives_allocation_tax"] = "no"
    assert not finance.receives_allocation_tax(own)
    assert (run(inputs, own)[0]["finance_summary"]["allocation_tax_compensation"] == 0).all()
