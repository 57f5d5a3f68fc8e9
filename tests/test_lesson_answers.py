"""No lesson prints the answer of its graded exercise.

For every lesson ``notebooks/NN_*.ipynb`` whose exercise ``NN`` is registered, the exercise's
answer key is computed with the package's own machinery (``Exercise.answer_key``, the key that
``check()`` judges against), the lesson is executed once, and every number in its text outputs
(printed text, the plain-text, HTML and Markdown forms of displayed objects) is read back: as
written (``14,088``, ``14088``, ``23.5``) and with the Japanese unit prefixes a lesson prints
(``1.2万``, ``3.4億``). A number gives an answer away when ``evaluate()`` would accept it as
that answer, so a rounded form counts exactly when it is within the question's tolerance.

Free-text, choice and chart answers are not searched, nor are answers that take fewer than three
significant digits at the precision their question asks (a k of 5, 36 cells, a cost of 0.73
yen): one- and two-digit numbers fill every table of counts a lesson shows, so finding one says
nothing. A printed number needs at least two significant digits to be read at all.

Each lesson is one test item, so ``pytest -n 2 --dist load`` runs two lessons at a time.
"""

from __future__ import annotations

import html
import math
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

from ebpmkit.grading.questions import evaluate, exercise_ids, get_exercise

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"

# A number as a lesson prints it: digits with optional thousands separators and decimals,
# not glued to ASCII letters or digits (codes such as "D16" or "C062" are not numbers), and an
# optional Japanese unit prefix right after it.
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![0-9A-Za-z_]|,\d{3})([千万億兆]?)"
)
_PREFIX = {"": 1.0, "千": 1e3, "万": 1e4, "億": 1e8, "兆": 1e12}
_TAG = re.compile(r"<[^>]+>")


def _lesson_pairs() -> list[tuple[str, Path]]:
    pairs = []
    for exercise_id in exercise_ids():
        lessons = sorted(NOTEBOOKS.glob(f"{exercise_id}_*.ipynb"))
        if lessons:
            pairs.append((exercise_id, lessons[0]))
    return pairs


def _significant_digits(digits: str) -> int:
    return len(digits.replace(",", "").replace(".", "").lstrip("0"))


def numbers_in(text: str) -> np.ndarray:
    """Every number of ``text`` with at least two significant digits, unit prefixes applied.

    Examples
    --------
    >>> sorted(numbers_in("住民 14,088人、高齢化率 23.5%、D16、5歳、1.2万人").tolist())
    [23.5, 12000.0, 14088.0]
    """
    values = []
    for whole, decimals, prefix in _NUMBER.findall(text):
        if _significant_digits(whole + decimals) < 2:
            continue
        values.append(float(whole.replace(",", "") + decimals) * _PREFIX[prefix])
    return np.unique(np.asarray(values, dtype=float))


def output_text(nb: nbformat.NotebookNode) -> str:
    """The text a learner reads below the code cells (no images, no error tracebacks)."""
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                parts.append(str(data.get("text/plain", "")))
                parts.append(str(data.get("text/markdown", "")))
                parts.append(html.unescape(_TAG.sub(" ", str(data.get("text/html", "")))))
    return "\n".join(parts)


def telling(value: float, atol: float, rtol: float) -> bool:
    """Whether an answer has three significant digits at the precision its question asks.

    Examples
    --------
    >>> telling(14088, 0, 0), telling(34.71, 0.051, 0), telling(0.7296, 0.0051, 0), telling(36, 0, 0)
    (True, True, False, False)
    """
    tol = max(atol, rtol * abs(value))
    if tol == 0:
        return _significant_digits(f"{abs(value):.15g}".split("e")[0]) >= 3
    decimals = round(-math.log10(2 * tol))
    return len(str(round(abs(value) * 10.0**decimals)).lstrip("0")) >= 3


def _close(values: np.ndarray, target: float, atol: float, rtol: float) -> np.ndarray:
    """math.isclose (the rule of evaluate) for many values at once, sign ignored."""
    diff = np.abs(np.abs(values) - abs(target))
    return diff <= np.maximum(rtol * np.maximum(np.abs(values), abs(target)), atol)


def given_away(exercise, key, shown: np.ndarray) -> dict[str, str]:
    """Questions whose answer is among the numbers ``shown``, with what was found."""
    found = {}
    for q in exercise.questions:
        entry = key[q.id]
        if entry.error is not None or q.kind not in ("number", "table"):
            continue
        if q.kind == "number":
            if not telling(entry.expected, q.atol, q.rtol):
                continue
            hits = shown[_close(shown, entry.expected, q.atol, q.rtol)]
            # Confirm with the judging rule itself: the printed number would be marked correct.
            hits = [v for v in hits if evaluate(q, float(v), entry).outcome == "correct"]
            if hits:
                found[q.id] = f"{hits[0]:,.6g} (answer {entry.expected:,.6g})"
        else:
            cells = entry.expected.select_dtypes("float64").to_numpy().ravel()
            cells = cells[np.isfinite(cells)]
            cells = [c for c in cells if telling(c, q.atol, q.rtol)]
            if cells and all(_close(shown, c, q.atol, q.rtol).any() for c in cells):
                found[q.id] = f"all {len(cells)} telling cells of the table"
    return found


def _execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ("EBPMKIT_STRICT",)}
    env.pop("EBPMKIT_ANSWERS_FILE", None)
    env["EBPMKIT_PROGRESS_DIR"] = str(tmp_path / "progress")
    NotebookClient(nb, timeout=600, kernel_name="python3").execute(env=env, cwd=str(tmp_path))
    return nb


def test_numbers_are_read_as_a_learner_reads_them():
    text = "人口 14,088人 (14088)、率 23.46%、約1.41万人、3.2億円、D16、R294491433、2015-04-01"
    shown = numbers_in(text)
    assert 14088.0 in shown and 23.46 in shown and 14100.0 in shown and 3.2e8 in shown
    assert 16.0 not in shown and 294491433.0 not in shown
    assert _close(np.array([23.5]), 23.46, 0.05, 0.0).all()
    assert not _close(np.array([23.0]), 23.46, 0.05, 0.0).any()
    assert math.isclose(numbers_in("1,234.5")[0], 1234.5)


def test_a_printed_answer_is_found():
    """A hand-made exercise: q1's answer 14,088 printed with separators is found; q2's is not."""
    from ebpmkit.grading.questions import DatasetConfig, Exercise, Question

    ex = Exercise(
        id="zz",
        title="t",
        notebook="zz.ipynb",
        data=DatasetConfig(),
        questions=(
            Question(id="q1", points=1, kind="number", prompt="", expected=lambda ds: 14088),
            Question(
                id="q2", points=1, kind="number", prompt="", expected=lambda ds: 23.46, atol=0.05
            ),
            Question(
                id="q3",
                points=1,
                kind="table",
                prompt="",
                expected=lambda ds: pd.DataFrame({"area": ["北部", "南部"], "n": [120, 345]}),
            ),
        ),
    )
    key = ex.answer_key(None)
    shown = numbers_in("2024年度の住民: 14,088人。高齢化率 23%。北部 120人、南部 345人")
    assert set(given_away(ex, key, shown)) == {"q1", "q3"}
    assert set(given_away(ex, key, numbers_in("23.5%、北部 120人"))) == {"q2"}


@pytest.mark.parametrize(
    ("exercise_id", "lesson"), _lesson_pairs(), ids=[p[1].stem for p in _lesson_pairs()]
)
def test_lesson_does_not_print_its_exercise_answers(exercise_id, lesson, tmp_path):
    exercise = get_exercise(exercise_id)
    key = exercise.answer_key(exercise.data.load())
    searched = [
        q.id
        for q in exercise.questions
        if q.kind in ("number", "table") and key[q.id].error is None
    ]
    if not searched:
        pytest.skip(f"exercise {exercise_id} has no numeric answer")
    shown = numbers_in(output_text(_execute(lesson, tmp_path)))
    assert shown.size, f"{lesson.name} printed no numbers at all"
    found = given_away(exercise, key, shown)
    assert not found, f"{lesson.name} prints answers of exercise {exercise_id}: {found}"
