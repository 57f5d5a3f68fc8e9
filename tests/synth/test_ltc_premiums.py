"""Long-term care premiums of the 65+: stages by tax status and income, premium = base x ratio,
special collection, linkage to the register and income_tax, determinism."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import generate_tables, ltc_premiums, validate_profile
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

MODULES = ("geography", "population", "income", "ltc_premiums")
PROFILE = "town"
P = "ltc_premiums."


@functools.cache
def generated(seed: int = 11):
    return generate_tables(PROFILE, seed=seed, scale=0.1, only=MODULES)


@pytest.fixture(scope="module")
def tables():
    return generated()[0]


@pytest.fixture(scope="module")
def table(tables):
    return tables["ltc_premiums"]


@pytest.fixture(scope="module")
def prof():
    return load_profile(PROFILE)


def period_of(prof, year):
    starts = prof.numbers(P + "period_starts")
    return np.searchsorted(starts, np.asarray(year), side="right") - 1


def test_columns_match_the_dictionary(table):
    declared = [c for c in ltc_premiums.COLUMNS if c.table == "ltc_premiums"]
    assert list(table.columns) == [c.column for c in declared]
    assert [str(table[c.column].dtype) for c in declared] == [c.dtype for c in declared]


def test_every_resident_of_the_first_age_is_listed_once_a_year(tables, table, prof):
    ry = tables["resident_years"]
    old = ry[ry["age"] >= prof.number(P + "first_age")]
    expected = set(zip(old["fiscal_year"], old["person_id"], strict=True))
    listed = list(zip(table["fiscal_year"], table["person_id"], strict=True))
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    merged = table.merge(ry, on=["fiscal_year", "person_id"], suffixes=("", "_ry"))
    assert (merged["household_id"] == merged["household_id_ry"]).all()
    assert (merged["age"] == merged["age_ry"]).all()


def test_stage_counts_are_nine_then_thirteen(table, prof):
    counts = prof.numbers(P + "stage_counts")
    expected = counts[period_of(prof, table["fiscal_year"])]
    assert (table["stage_count"] == expected).all()
    assert (table["stage"] >= 1).all() and (table["stage"] <= table["stage_count"]).all()
    nine = table[table["stage_count"] == 9]
    thirteen = table[table["stage_count"] == 13]
    assert set(nine["stage"]) == set(range(1, 10))
    assert thirteen["stage"].max() > 9  # the new upper stages are used
    assert len(thirteen) and (thirteen["fiscal_year"] >= 2024).all()


def test_stages_follow_tax_status(table):
    exempt_household = ~table["household_taxed"]
    taxed_exempt_person = table["household_taxed"] & ~table["person_taxed"]
    assert table.loc[exempt_household, "stage"].between(1, 3).all()
    assert table.loc[taxed_exempt_person, "stage"].between(4, 5).all()
    assert (table.loc[table["person_taxed"], "stage"] >= 6).all()
    # A taxed person is in a taxed household.
    assert not (table["person_taxed"] & ~table["household_taxed"]).any()


def test_stage_never_falls_as_income_rises(table):
    income = np.where(
        table["person_taxed"], table["total_income"], table["pension_and_other_income"]
    )
    frame = table.assign(income=income).sort_values(
        ["fiscal_year", "household_taxed", "person_taxed", "income", "stage"]
    )
    groups = frame.groupby(["fiscal_year", "household_taxed", "person_taxed"], sort=False)
    falls = groups["stage"].diff().lt(0).sum()
    assert falls == 0
    # ... and it does rise: income separates the stages within each status.
    assert frame.groupby("person_taxed")["stage"].nunique().min() >= 2


def test_stage_lines_are_those_of_the_profile(table, prof):
    lines = prof.numbers(P + "exempt_lines")
    exempt = table[~table["household_taxed"]]
    assert (exempt.loc[exempt["stage"] == 1, "pension_and_other_income"] <= lines[0]).all()
    assert (exempt.loc[exempt["stage"] == 3, "pension_and_other_income"] > lines[1]).all()
    fy2021 = table[(table["fiscal_year"] == 2021) & table["person_taxed"]]
    k = period_of(prof, 2021)
    line1 = prof.numbers(P + "taxed_line_1")[k]
    assert (fy2021.loc[fy2021["stage"] == 6, "total_income"] < line1).all()
    assert (fy2021.loc[fy2021["stage"] == 7, "total_income"] >= line1).all()


def test_premium_is_base_times_ratio(table, prof):
    base = prof.numbers(P + "base_monthly")[period_of(prof, table["fiscal_year"])] * 12
    assert np.allclose(table["base_amount"], base)
    exact = table["base_amount"] * table["stage_ratio"]
    assert ((exact - table["annual_premium"]).between(0, 1)).all()
    stage5 = table[table["stage"] == 5]
    assert (stage5["annual_premium"] == stage5["base_amount"]).all()


def test_ratios_and_public_reductions_by_year(table, prof):
    standard = {9: prof.numbers(P + "ratios_9"), 13: prof.numbers(P + "ratios_13")}
    expected = [
        standard[c][s - 1] for c, s in zip(table["stage_count"], table["stage"], strict=True)
    ]
    assert np.allclose(table["standard_ratio"], expected)
    upper = table["stage"] >= 4
    assert (table.loc[upper, "stage_ratio"] == table.loc[upper, "standard_ratio"]).all()
    starts = prof.numbers(P + "reduced_from")
    for s in (1, 2, 3):
        reduced = prof.numbers(P + f"reduced_stage{s}")
        rows = table[table["stage"] == s]
        idx = np.searchsorted(starts, rows["fiscal_year"], side="right") - 1
        assert np.allclose(rows["stage_ratio"], reduced[idx])
    # The full reduction of FY2020-23 halves stage 2 and cuts stage 1 below a third.
    fy2020 = table[table["fiscal_year"] == 2020].groupby("stage")["stage_ratio"].first()
    assert fy2020[1] < fy2020[2] < fy2020[3] < fy2020[4]
    # Stages rise in premium within a year.
    by_stage = table[table["fiscal_year"] == 2024].groupby("stage")["annual_premium"].first()
    assert by_stage.is_monotonic_increasing


def test_special_collection_rule(table, prof):
    special = table["pension_revenue"] >= prof.number(P + "special_collection_min")
    assert ((table["collection"] == "特別徴収") == special).all()
    assert (table.loc[special, "premium_paid"] == table.loc[special, "annual_premium"]).all()
    ordinary = table[~special]
    assert len(ordinary) > 50
    assert (ordinary["premium_paid"] <= ordinary["annual_premium"]).all()
    assert (table["premium_paid"] >= 0).all()
    short = (ordinary["premium_paid"] < ordinary["annual_premium"]).mean()
    assert 0.3 * prof.number(P + "arrears_share") < short < 3 * prof.number(P + "arrears_share")


def test_tax_status_follows_income_tax(tables, table):
    ry, it = tables["resident_years"], tables["income_tax"]
    taxed = it.loc[it["resident_tax"] > 0, ["fiscal_year", "person_id"]]
    members = ry.merge(taxed, on=["fiscal_year", "person_id"])
    households = set(zip(members["fiscal_year"], members["household_id"], strict=True))
    expected = [
        (y, h) in households
        for y, h in zip(table["fiscal_year"], table["household_id"], strict=True)
    ]
    assert (table["household_taxed"].to_numpy() == np.array(expected)).all()
    persons = set(zip(taxed["fiscal_year"], taxed["person_id"], strict=True))
    own = [(y, p) in persons for y, p in zip(table["fiscal_year"], table["person_id"], strict=True)]
    assert (table["person_taxed"].to_numpy() == np.array(own)).all()
    joined = table.merge(it, on=["fiscal_year", "person_id"], suffixes=("", "_it"))
    assert len(joined) == len(table)
    assert (joined["total_income"] == joined["total_income_it"]).all()
    assert (joined["pension_and_other_income"] >= joined["pension_revenue"]).all()


def test_truth_counts_the_stages(table):
    truth = generated()[1]["ltc_premiums"]
    counts = table.groupby(["fiscal_year", "stage"]).size()
    for (year, stage), n in counts.items():
        assert truth["stages_by_year"][int(year)][int(stage)] == n


def test_deterministic_and_seed_dependent(tables, table, prof):
    ctx = SimContext(prof, seed=11, scale=0.1, tables=dict(tables))
    again = ltc_premiums.simulate(ctx)["ltc_premiums"]
    pd.testing.assert_frame_equal(again, table)
    other = ltc_premiums.simulate(SimContext(prof, seed=12, scale=0.1, tables=dict(tables)))
    assert not other["ltc_premiums"]["premium_paid"].equals(table["premium_paid"])


def test_a_period_with_other_than_9_or_13_stages_is_rejected(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "town"\n[ltc_premiums]\nstage_counts = [9, 9, 9, 12]\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="stage_counts"):
        validate_profile(load_profile(path))


def test_period_lists_must_match_the_starts(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "town"\n[ltc_premiums]\nbase_monthly = [5514, 5869, 6014]\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="base_monthly"):
        validate_profile(load_profile(path))
