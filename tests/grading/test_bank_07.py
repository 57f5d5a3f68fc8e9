"""Question bank 07 (the voucher case): keys compute, answers and misconceptions are told apart."""

from __future__ import annotations

import pandas as pd
import pytest

from ebpmkit.grading.banks.ex07_voucher import EXERCISE
from ebpmkit.grading.questions import decode_answer, encode_answer, evaluate


@pytest.fixture(scope="module")
def voucher_case():
    """Exercise 07, its dataset and its answer key."""
    ds = EXERCISE.data.load()
    return ds, EXERCISE.answer_key(ds)


def _judge(question_id, answer, key):
    q = EXERCISE.question(question_id)
    return evaluate(q, decode_answer(encode_answer(answer)), key[question_id])


def test_bank_is_complete():
    kinds = {q.kind for q in EXERCISE.questions}
    assert len(EXERCISE.questions) >= 5
    assert {"number", "table", "chart", "text"} <= kinds
    assert EXERCISE.max_points == 100
    assert EXERCISE.notebook == "07_case_voucher.ipynb"
    for q in EXERCISE.questions:
        assert q.prompt and q.concept and q.hints
        if q.kind in ("number", "table"):
            assert len(q.misconceptions) >= 2, q.id
        for m in q.misconceptions:
            assert m.hint and m.label


def test_every_key_computes(voucher_case):
    _, key = voucher_case
    for qid, entry in key.items():
        assert entry.error is None, (qid, entry.error)
        q = EXERCISE.question(qid)
        # every misconception is computable on the exercise's dataset
        assert len(entry.misconceptions) == len(q.misconceptions), qid


def test_expected_answers_are_correct(voucher_case):
    _, key = voucher_case
    for q in EXERCISE.questions:
        if q.kind == "text":
            continue
        verdict = _judge(q.id, key[q.id].expected, key)
        assert verdict.outcome == "correct", q.id


@pytest.mark.parametrize(
    ("question_id", "name"),
    [(q.id, m.name) for q in EXERCISE.questions for m in q.misconceptions],
)
def test_each_misconception_is_recognised(voucher_case, question_id, name):
    _, key = voucher_case
    value = dict((m.name, v) for m, v in key[question_id].misconceptions)[name]
    verdict = _judge(question_id, value, key)
    assert verdict.outcome == "misconception"
    assert verdict.misconception == name
    assert verdict.points == 0
    assert verdict.hint  # the hint that answers this mistake


def test_rounded_answers_as_a_learner_writes_them(voucher_case):
    ds, key = voucher_case
    from ebpmkit import evaluate as ev

    use = sorted(pd.to_datetime(ds.voucher_redemptions["month"].unique()))
    res = ev.did(
        ds.household_spending,
        y="local_spending",
        unit="household_id",
        time="month",
        treated="buyer",
        post=(use[0], use[-1]),
    )
    total = res.estimate * ds.voucher_purchases["household_id"].nunique() * len(use)
    cost = ds.voucher_purchases["premium"].sum() / (1 - 0.177)
    assert _judge("q3", round(res.estimate), key).outcome == "correct"
    assert _judge("q3", f"{res.estimate:,.0f}円", key).outcome == "correct"
    assert _judge("q5", round(total, -4), key).outcome == "correct"
    assert _judge("q6", round(cost / total, 2), key).outcome == "correct"
    q1 = round(key["q1"].expected, 1)
    assert _judge("q1", q1, key).outcome == "correct"
    table = key["q2"].expected.copy()
    table["rate"] = table["rate"].round(1)
    shuffled = table.sample(frac=1, random_state=0).set_index("employment")
    assert _judge("q2", shuffled, key).outcome == "correct"


def test_chart_and_text_questions(voucher_case):
    _, key = voucher_case
    assert _judge("q4", "折れ線グラフ", key).outcome == "correct"
    assert _judge("q4", "円グラフ", key).outcome == "wrong"
    assert _judge("q4", "グラフ", key).outcome == "invalid"
    short = _judge("q7", "平行トレンド", key)
    assert short.outcome == "recorded" and short.extra["short"]
    assert _judge("q7", ..., key).outcome == "unanswered"
    long = "事業がなければ両群は同じ幅で動いたという平行トレンドの仮定。事業前の推移を折れ線で確かめる。"
    assert _judge("q7", long, key).outcome == "recorded"


def test_key_holds_for_another_profile():
    from ebpmkit.dataset import load

    ds = load("town", scale=0.05, progress=False)
    key = EXERCISE.answer_key(ds)
    for qid, entry in key.items():
        assert entry.error is None, (qid, entry.error)
    assert 0 < key["q1"].expected < 100
    assert key["q5"].expected < ds.voucher_redemptions["redeemed_value"].sum()
