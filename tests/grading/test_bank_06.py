"""Exercise 06 (furusato case): the answer key agrees with the generator's ground truth and every
misconception is a distinct wrong answer that earns its own hint."""

from __future__ import annotations

import pytest

from ebpmkit import furusato
from ebpmkit.grading.banks.ex06_furusato import EXERCISE, SALARY
from ebpmkit.grading.questions import evaluate


@pytest.fixture(scope="module")
def case():
    ds = EXERCISE.data.load()
    return ds, EXERCISE.answer_key(ds)


def test_bank_shape():
    assert EXERCISE.id == "06"
    assert EXERCISE.notebook == "06_case_furusato.ipynb"
    assert len(EXERCISE.questions) >= 5
    kinds = {q.kind for q in EXERCISE.questions}
    assert {"number", "table", "chart", "text"} <= kinds
    for q in EXERCISE.questions:
        if q.kind in ("number", "table"):
            assert len(q.misconceptions) >= 2, q.id
        assert q.hints, q.id


def test_key_computes_and_expected_is_correct(case):
    _, key = case
    for q in EXERCISE.questions:
        entry = key[q.id]
        assert entry.error is None, (q.id, entry.error)
        if q.kind != "text":
            assert evaluate(q, entry.expected, entry).outcome == "correct", q.id


def test_every_misconception_is_recognised(case):
    _, key = case
    for q in EXERCISE.questions:
        entry = key[q.id]
        assert len(entry.misconceptions) == len(q.misconceptions), q.id
        for m, value in entry.misconceptions:
            verdict = evaluate(q, value, entry)
            assert verdict.outcome == "misconception", (q.id, m.name)
            assert verdict.hint


def test_loss_matches_ground_truth(case):
    ds, key = case
    truth = ds.ground_truth["furusato_flows"]["municipal_loss"]
    year = int(ds.furusato_deductions["fiscal_year"].max()) - 1
    assert key["q1"].expected == truth[str(year)]


def test_rule_breakers_match_ground_truth(case):
    ds, key = case
    truth = ds.ground_truth["furusato_flows"]["procurement_rule_breaking_gifts"]
    assert sorted(key["q3"].expected["gift_id"].astype(int)) == sorted(truth)


def test_cost_ratio_is_judged_on_the_years_totals(case):
    ds, key = case
    # the answer is the ground truth's ratio for the latest year, under the 50% limit, while the
    # worst gift on its own is over it: judging one gift at a time would call a breach
    year = str(int(ds.furusato_donations["fiscal_year"].max()))
    truth = ds.ground_truth["furusato_flows"]["catalogue_cost_ratio"][year]
    assert key["q4"].expected == pytest.approx(truth * 100, abs=1e-4)
    assert key["q4"].expected < 50
    worst = dict((m.name, value) for m, value in key["q4"].misconceptions)["worst_gift"]
    assert worst > 50


def test_limit_matches_the_rules_module(case):
    _, key = case
    assert key["q5"].expected == int(furusato.full_deduction_limit(SALARY))


def test_text_answer_is_recorded(case):
    _, key = case
    q = EXERCISE.question("q8")
    answer = "寄附者の反応のデータ: 受入額の増え方を見積もるため。事業者の売上: 地域経済への効果。"
    assert evaluate(q, answer, key["q8"]).outcome == "recorded"
    short = evaluate(q, "売上データ", key["q8"])
    assert short.outcome == "recorded" and short.points == q.points and "書き足して" in short.hint
    assert evaluate(q, ..., key["q8"]).outcome == "unanswered"
