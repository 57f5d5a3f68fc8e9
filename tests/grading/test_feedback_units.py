"""Amounts of money in feedback pages: thousands separators and 円, never a bare number."""

from __future__ import annotations

from pathlib import Path

import pytest

from ebpmkit.grading import get_exercise
from ebpmkit.grading.messages import number_text
from ebpmkit.grading.questions import KeyEntry, Question, evaluate, summarize
from ebpmkit.grading.report import feedback_html
from ebpmkit.grading.results import GradeResult, Submission


@pytest.mark.parametrize(("exercise", "question"), [("06", "q1"), ("07", "q5"), ("11", "q2")])
def test_a_yen_answer_is_written_with_separators_and_yen(exercise, question):
    q = get_exercise(exercise).question(question)
    assert q.unit == "円"
    # Judged against a key of 1 yen: wrong, so the page shows the learner's answer and a hint.
    v = evaluate(q, 12345678, KeyEntry(expected=1.0))
    assert v.answer_summary == "12,345,678円"
    sub = Submission(Path(f"{exercise}.ipynb"), "tanaka")
    page = feedback_html("tanaka", [GradeResult(sub, exercise, "ok", verdicts={question: v})])
    assert "12,345,678円" in page and "12345678" not in page


def test_the_unit_follows_number_text_and_only_numbers():
    q = Question(id="q", points=1, kind="number", prompt="", expected=lambda ds: 1, unit="円")
    key = q.key_entry(None)
    assert evaluate(q, -2508000.5, key).answer_summary == number_text(-2508000.5) + "円"
    assert evaluate(q, "二百万", key).answer_summary == "二百万"  # text stays as typed
    assert summarize(float("nan"), "円") == number_text(float("nan"))
    plain = Question(id="p", points=1, kind="number", prompt="", expected=lambda ds: 1)
    assert evaluate(plain, 14062, plain.key_entry(None)).answer_summary == "14,062"
