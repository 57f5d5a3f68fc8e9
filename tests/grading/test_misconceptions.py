"""Table-driven: every question of every bank, on its own dataset.

The expected answer is correct, the stub is "not answered", and every declared misconception,
fed as an answer, triggers its own hint (so no two misconceptions, and no misconception and
the answer, coincide on the exercise's data).
"""

from __future__ import annotations

import functools

import pytest

from ebpmkit.grading.questions import (
    decode_answer,
    encode_answer,
    evaluate,
    exercise_ids,
    get_exercise,
)

CASES = [
    (ex_id, q.id, m.name)
    for ex_id in exercise_ids()
    for q in get_exercise(ex_id).questions
    for m in q.misconceptions
]
QUESTIONS = [(ex_id, q.id) for ex_id in exercise_ids() for q in get_exercise(ex_id).questions]


@functools.cache
def _dataset(ex_id: str):
    return get_exercise(ex_id).data.load()


def _judge(ex_id, qid, answer):
    ex = get_exercise(ex_id)
    q = ex.question(qid)
    return evaluate(q, decode_answer(encode_answer(answer)), q.key_entry(_dataset(ex_id)))


@pytest.mark.parametrize(("ex_id", "qid", "name"), CASES)
def test_misconception_triggers_its_own_hint(ex_id, qid, name):
    q = get_exercise(ex_id).question(qid)
    m = next(m for m in q.misconceptions if m.name == name)
    v = _judge(ex_id, qid, m.answer(_dataset(ex_id)))
    assert v.outcome == "misconception" and v.misconception == name
    assert m.hint in v.hint
    assert v.points == 0


@pytest.mark.parametrize(("ex_id", "qid"), QUESTIONS)
def test_expected_is_correct_and_stub_is_unanswered(ex_id, qid):
    q = get_exercise(ex_id).question(qid)
    if q.kind != "text":
        v = _judge(ex_id, qid, q.expected(_dataset(ex_id)))
        assert v.outcome == "correct" and v.points == q.points
    assert _judge(ex_id, qid, ...).outcome == "unanswered"
    assert q.hints, "every question has a hint ladder"
    assert q.concept, "every question names the idea it tests (item analysis)"
    for m in q.misconceptions:
        assert m.label, f"{m.name}: a Japanese label for the item analysis"
