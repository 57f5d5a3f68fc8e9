"""Question bank 11 (from effect to decision): the keys follow the programme's own definitions."""

from __future__ import annotations

import math

import pytest

from ebpmkit.grading.banks.ex07_voucher import ADMIN_COST_SHARE
from ebpmkit.grading.banks.ex11_decision import EXERCISE, KPI_OPTIONS, household_changes


@pytest.fixture(scope="module")
def decision_case():
    """Exercise 11, its dataset and its answer key."""
    ds = EXERCISE.data.load()
    return ds, EXERCISE.answer_key(ds)


def test_bank_mixes_kinds_and_names_its_notebook():
    kinds = {q.kind for q in EXERCISE.questions}
    assert {"number", "choice", "text"} <= kinds
    assert EXERCISE.max_points == 100
    assert EXERCISE.notebook == "11_effect_to_decision.ipynb"
    assert (EXERCISE.data.profile, EXERCISE.data.scale) == ("urban-ward", 0.1)


def test_every_output_option_is_a_known_misconception(decision_case):
    ds, key = decision_case
    q1 = EXERCISE.question("q1")
    assert key["q1"].expected == KPI_OPTIONS[-1]
    assert sorted(m.answer(ds) for m in q1.misconceptions) == sorted(KPI_OPTIONS[:-1])


def test_household_changes_keep_applicants_only(decision_case):
    ds, _ = decision_case
    table = household_changes(ds)
    applicants = set(ds.voucher_applications["household_id"])
    assert set(table["household_id"]) <= applicants
    assert table["household_id"].is_unique
    assert (table["change"] == table["during"] - table["before"]).all()
    assert table["won"].any() and (~table["won"]).any()
    assert not table.loc[~table["won"], "bought"].any(), "losers cannot buy"


def test_cost_is_the_generators_programme_cost(decision_case):
    ds, key = decision_case
    truth = ds.ground_truth["voucher"]
    # The generator reads the same Board of Audit share as a share of project cost.
    assert math.isclose(key["q2"].expected, truth["programme_cost"], rel_tol=1e-6, abs_tol=1.0)
    premium = float(ds.voucher_purchases["premium"].sum())
    assert math.isclose(key["q2"].expected * (1 - ADMIN_COST_SHARE), premium, rel_tol=1e-6)


def test_lottery_effect_covers_the_truth_and_is_itt_over_take_up(decision_case):
    from ebpmkit import evaluate

    ds, key = decision_case
    res = evaluate.lottery(household_changes(ds), y="change", assigned="won", treated="bought")
    truth = ds.ground_truth["voucher"]["lottery_effects"]
    assert res.ci_low <= truth["complier_effect_yen_per_household_month"] <= res.ci_high
    assert math.isclose(res.estimate, res.itt.estimate / res.first_stage.estimate, rel_tol=1e-9)
    assert key["q3"].expected == round(res.estimate)


def test_cost_per_outcome_and_its_least_favourable_end(decision_case):
    from ebpmkit import evaluate

    ds, key = decision_case
    res = evaluate.lottery(household_changes(ds), y="change", assigned="won", treated="bought")
    households = ds.voucher_purchases["household_id"].nunique()
    months = ds.voucher_redemptions["month"].nunique()
    new_spending = res.estimate * households * months
    assert math.isclose(key["q4"].expected, key["q2"].expected / new_spending, rel_tol=1e-3)
    # Fieller: the least favourable end divides the cost by the effect's lower end.
    per_unit = key["q2"].expected / (households * months)
    assert math.isclose(key["q5"].expected, per_unit / res.ci_low, rel_tol=1e-3)
    assert key["q5"].expected > key["q4"].expected
    delta = evaluate.cost_effectiveness(per_unit, res, method="delta")
    assert delta.ci_high < key["q5"].expected, "the delta method understates the far end"
