"""Immediate checks in a notebook: ``start``, ``check``, ``hint`` and ``progress``.

A graded notebook starts with ``ds = start("00")``, which loads the exercise's dataset and
computes the answer key once, before the learner can change any table. ``check("q1", answer)``
shows a short Japanese verdict and the most specific hint (the hint of a recognised
misconception, else the reason the answer has the wrong form, else the current rung of the
hint ladder); it never shows the expected value. ``hint("q1")`` climbs the ladder from the
first rung the learner has not seen yet, counting the rung a wrong ``check`` just showed.

Every check is also appended to the file named by ``EBPMKIT_ANSWERS_FILE`` when that variable
is set: ``ebpmkit grade`` reads it after running the notebook and judges the answers itself.
With ``EBPMKIT_STRICT=1`` an answer that is not correct raises :class:`AnswerError`, so a
solution notebook is tested simply by running it.

Examples
--------
>>> ds = start("00")  # doctest: +SKIP
>>> check("q1", len(ds.resident_years))  # doctest: +SKIP
❌ q1 はまだ正解ではありません。よくある思い違いに当てはまるようです。
ヒント: resident_years の全部の行を数えると、...
"""

from __future__ import annotations

import html
import json
import os
import sys
import time
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from ebpmkit.errors import EbpmkitError, ParameterError
from ebpmkit.grading import _store
from ebpmkit.grading.messages import count_text, text
from ebpmkit.grading.questions import (
    MAX_ANSWER_BYTES,
    Exercise,
    KeyEntry,
    Question,
    Verdict,
    decode_answer,
    encode_answer,
    evaluate,
    exercise_ids,
    get_exercise,
)
from ebpmkit.messages import message

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = [
    "ANSWERS_ENV",
    "STRICT_ENV",
    "AnswerError",
    "check",
    "exercise_id",
    "hint",
    "is_strict",
    "progress",
    "progress_table",
    "start",
]

STRICT_ENV = "EBPMKIT_STRICT"
ANSWERS_ENV = "EBPMKIT_ANSWERS_FILE"


class AnswerError(EbpmkitError, AssertionError):
    """Raised by ``check`` in strict mode when an answer is not correct."""


@dataclass
class _Session:
    exercise: Exercise
    key: dict[str, KeyEntry]
    # Per question, the highest rung of the hint ladder shown so far, by hint() or by check().
    hints_seen: dict[str, int] = field(default_factory=dict)


_SESSION: _Session | None = None

# What ``check("q1")`` gets when no answer is passed (``None`` and ``...`` are answers: "not yet").
_NO_ANSWER: Any = object()


class _Notice:
    """A short message shown in a notebook as HTML (and as plain text elsewhere)."""

    def __init__(self, message: str, colour: str = "#0072B2") -> None:
        self.message, self.colour = message, colour

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body = "<br>".join(html.escape(line) for line in self.message.splitlines())
        return (
            f'<div style="border-left:6px solid {self.colour};padding:6px 10px;margin:4px 0;'
            f'background:rgba(0,0,0,0.03)">{body}</div>'
        )


def _show(obj: Any) -> None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        shell = None
    if shell is not None and hasattr(obj, "_repr_html_"):
        from IPython.display import display

        display({"text/plain": str(obj), "text/html": obj._repr_html_()}, raw=True)
    else:
        print(obj)


def is_strict() -> bool:
    """Whether strict mode is on (``EBPMKIT_STRICT=1``).

    Examples
    --------
    >>> is_strict() in (True, False)
    True
    """
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _require_session() -> _Session | None:
    if _SESSION is None:
        _show(_Notice(text("not_started"), "#E69F00"))
        if is_strict():
            raise AnswerError(message("grading.not_started"))
    return _SESSION


def _session_and_question(question: str) -> tuple[_Session, Question] | None:
    """The running exercise and its question ``question``, or None after a Japanese notice."""
    session = _require_session()
    if session is None:
        return None
    try:
        return session, session.exercise.question(str(question))
    except ParameterError:
        message = text("unknown_question", question=question, ids=", ".join(session.exercise.ids))
        _show(_Notice(message, "#E69F00"))
        if is_strict():
            raise
        return None


def exercise_id(exercise: str | int) -> str:
    """The registered exercise id meant by ``exercise``: ``"2"``, ``2`` and ``"０２"`` are ``"02"``.

    Raises
    ------
    ParameterError
        When no exercise has that id; the message lists every id with its title, in Japanese.

    Examples
    --------
    >>> exercise_id("0"), exercise_id(2), exercise_id(" 02 ")
    ('00', '02', '02')
    >>> exercise_id("99")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ebpmkit.errors.ParameterError: 練習問題「99」はありません...
    """
    ids = exercise_ids()
    if isinstance(exercise, bool) or not isinstance(exercise, str | int):
        wanted = repr(exercise)
    else:
        wanted = unicodedata.normalize("NFKC", str(exercise)).strip()
        if wanted in ids:
            return wanted
        if wanted.isdigit() and wanted.zfill(2) in ids:
            return wanted.zfill(2)
    choices = "\n".join(f'  "{i}": {get_exercise(i).title}' for i in ids)
    raise ParameterError(
        message(
            "grading.start_unknown", exercise=wanted, choices=choices, choices_en=", ".join(ids)
        )
    )


def start(exercise: str = "00") -> Dataset:
    """Begin an exercise: load its dataset and prepare the answer key.

    Parameters
    ----------
    exercise : str
        Exercise id, e.g. ``"00"`` (see :func:`~ebpmkit.grading.questions.exercise_ids`);
        ``"2"`` or ``2`` mean ``"02"``.

    Returns
    -------
    Dataset
        The synthetic municipality the exercise's questions are about.

    Raises
    ------
    ParameterError
        When there is no such exercise; the Japanese message lists the exercises.

    Examples
    --------
    >>> ds = start("00")  # doctest: +SKIP
    """
    global _SESSION
    ex = get_exercise(exercise_id(exercise))
    ds = ex.data.load()
    # Computed now, before the learner can change a table of ds.
    key = ex.answer_key(ds)
    stored = _store.read_progress().get("exercises", {}).get(ex.id, {}).get("questions", {})
    hints_seen = {qid: int(rec.get("hints", 0)) for qid, rec in stored.items()}
    _SESSION = _Session(ex, key, hints_seen)
    _show(
        _Notice(
            text(
                "started",
                title=ex.title,
                exercise=ex.id,
                count=len(ex.questions),
                points=ex.max_points,
            )
        )
    )
    return ds


def _journal(exercise_id: str, question: str, payload: dict[str, Any]) -> None:
    path = os.environ.get(ANSWERS_ENV)
    if not path:
        return
    record = {"exercise": exercise_id, "question": question, "answer": payload, "time": time.time()}
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    except (OSError, TypeError, ValueError):
        pass


def _save_progress(ex: Exercise, verdict: Verdict | None, question: str, hints: int) -> None:
    def change(data: dict[str, Any]) -> None:
        entry = data["exercises"].setdefault(ex.id, {"questions": {}})
        entry["title"] = ex.title
        entry["max_points"] = ex.max_points
        rec = entry.setdefault("questions", {}).setdefault(question, {"attempts": 0, "hints": 0})
        rec["hints"] = max(int(rec.get("hints", 0)), hints)
        if verdict is not None:
            rec["attempts"] = int(rec.get("attempts", 0)) + 1
            rec["outcome"] = verdict.outcome
            rec["points"] = verdict.points
            rec["max_points"] = verdict.max_points
        rec["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")

    try:
        _store.update_progress(change)
    except OSError as exc:
        _show(_Notice(text("progress_unsaved", error=exc), "#E69F00"))


def _is_estimate(answer: Any) -> bool:
    """Whether ``answer`` is a result of :mod:`ebpmkit.evaluate` (without importing it)."""
    module = sys.modules.get("ebpmkit.evaluate")
    cls = getattr(module, "EffectEstimate", None)
    return cls is not None and isinstance(answer, cls)


def _no_answer(question: str) -> None:
    """``check("q1")`` without an answer: a kind verdict (strict mode raises it)."""
    found = _session_and_question(question)
    if found is None:
        return
    _, q = found
    verdict = Verdict(q.id, "unanswered", 0, q.points, text("no_answer", question=q.id))
    _show(verdict)
    if is_strict():
        raise AnswerError(
            message(
                "grading.strict_failed",
                question=q.id,
                detail=verdict.message,
                detail_en="no answer was passed",
            )
        )


def check(question: str, answer: Any = _NO_ANSWER) -> None:
    """Check an answer and show a Japanese verdict with the most specific hint.

    Parameters
    ----------
    question : str
        Question id, e.g. ``"q1"``.
    answer : object
        The answer; ``...`` (the exercise's stub) means "not answered yet". Leaving it out
        shows a verdict saying how to pass it (``check("q1", 答え)``).

    Raises
    ------
    AnswerError
        Only in strict mode (``EBPMKIT_STRICT=1``), when the answer is not correct.

    Examples
    --------
    >>> check("q1", 14062)  # doctest: +SKIP
    ✅ 正解です!q1(10点)
    """
    if answer is _NO_ANSWER:
        _no_answer(question)
        return
    found = _session_and_question(question)
    if found is None:
        return
    session, q = found
    payload = encode_answer(answer)
    if len(json.dumps(payload, ensure_ascii=False)) > MAX_ANSWER_BYTES:
        payload = {"type": "other", "class": "大きすぎる答え"}
    _journal(session.exercise.id, q.id, payload)
    verdict = evaluate(
        q,
        decode_answer(payload),
        session.key[q.id],
        hint_level=max(session.hints_seen.get(q.id, 0), 1),
    )
    if verdict.outcome == "invalid" and q.kind == "number" and _is_estimate(answer):
        verdict = replace(verdict, hint=text("use_estimate"))
    shown = verdict.extra.get("hint_level")
    if shown is not None:
        # The learner has now seen this rung; hint() goes on from the next one.
        session.hints_seen[q.id] = max(session.hints_seen.get(q.id, 0), shown)
        if shown < len(q.hints):
            more = text("hint_more", question=q.id)
            verdict = replace(verdict, hint="\n".join(x for x in (verdict.hint, more) if x))
    _save_progress(session.exercise, verdict, q.id, session.hints_seen.get(q.id, 0))
    _show(verdict)
    if is_strict() and not verdict.passed:
        raise AnswerError(
            message(
                "grading.strict_failed",
                question=q.id,
                detail=" ".join(verdict.lines()[1:]) or verdict.message,
                detail_en=f"the answer is {verdict.outcome}",
            )
        )


def hint(question: str) -> None:
    """Show the next hint of the question's ladder that the learner has not seen yet.

    A rung shown by a wrong ``check`` counts as seen. When every rung has been shown, a
    notice says so instead of repeating one.

    Examples
    --------
    >>> hint("q1")  # doctest: +SKIP
    ヒント 1/3: resident_years は「各年度4月1日時点の住民」の表で、...
    """
    found = _session_and_question(question)
    if found is None:
        return
    session, q = found
    if not q.hints:
        _show(_Notice(text("hint_none", question=q.id)))
        return
    seen = session.hints_seen.get(q.id, 0)
    total = len(q.hints)
    if seen >= total:
        _show(_Notice(text("hint_all_seen", question=q.id, count=count_text(total)), "#56B4E9"))
        return
    level = seen + 1
    message = text("hint_label", level=level, total=total, hint=q.hints[level - 1])
    if level == total:
        message += "\n" + text("hint_all_shown")
    session.hints_seen[q.id] = level
    _save_progress(session.exercise, None, q.id, level)
    _show(_Notice(message, "#56B4E9"))


def progress_table() -> pd.DataFrame:
    """The learner's progress across every exercise, one row per exercise.

    Examples
    --------
    >>> list(progress_table().columns)[:3]
    ['練習問題', '題名', '問題数']
    """
    stored = _store.read_progress().get("exercises", {})
    rows = []
    for ex_id in sorted(set(exercise_ids()) | set(stored)):
        rec = stored.get(ex_id, {})
        questions = rec.get("questions", {})
        try:
            ex = get_exercise(ex_id)
            title, count, max_points = ex.title, len(ex.questions), ex.max_points
        except ParameterError:
            title, count, max_points = (
                rec.get("title", ""),
                len(questions),
                rec.get("max_points", 0),
            )
        answered = [r for r in questions.values() if r.get("outcome") not in (None, "unanswered")]
        rows.append(
            {
                text("progress_exercise"): ex_id,
                "題名": title,
                "問題数": count,
                "回答済み": len(answered),
                "正解": sum(
                    r.get("outcome") in ("correct", "recorded") for r in questions.values()
                ),
                "得点": sum(float(r.get("points", 0)) for r in questions.values()),
                "満点": max_points,
                "ヒント使用": sum(int(r.get("hints", 0)) for r in questions.values()),
            }
        )
    return pd.DataFrame(rows)


def progress() -> None:
    """Show the learner's progress across every exercise (stored per user).

    Examples
    --------
    >>> progress()  # doctest: +SKIP
    """
    table = progress_table()
    try:
        from IPython import get_ipython

        in_notebook = get_ipython() is not None
    except ImportError:  # pragma: no cover
        in_notebook = False
    if in_notebook:
        from IPython.display import HTML, display

        display(HTML(f"<b>{text('progress_title')}</b>" + table.to_html(index=False)))
    else:
        print(text("progress_title"))
        print(table.to_string(index=False))
