"""The curriculum's shape: every lesson 2-8 has a graded exercise that mixes kinds of questions,
and every computed question knows at least two real misconceptions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ebpmkit.grading.questions import exercise_ids, get_exercise

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Every lesson from 02 on has a graded exercise of the same number.
GRADED = [p.name[:2] for p in LESSONS if int(p.name[:2]) >= 2]


def test_lessons_are_numbered_once_each_from_00():
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert len(set(numbers)) == len(numbers), "two lessons share a number"
    assert set(range(9)) <= set(numbers), "the core lessons 00-08"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name)
def test_lesson_opens_and_closes_the_same_way(lesson):
    nb = json.loads(lesson.read_text(encoding="utf-8"))
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    opening = "\n".join(markdown[:3])
    assert markdown[0].startswith(f"# {lesson.name[:2]} "), "title starts with the lesson number"
    for word in ("学", "分"):  # what you will learn, how many minutes it takes
        assert word in opening
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), (
        "outputs committed"
    )
    if lesson.name[:2] in GRADED + ["00"]:
        assert "../exercises/" in "\n".join(markdown[-3:]), "ends with a link to its exercise"


@pytest.mark.parametrize("exercise_id", GRADED)
def test_each_graded_lesson_has_a_rich_exercise(exercise_id):
    assert exercise_id in exercise_ids()
    ex = get_exercise(exercise_id)
    assert len(ex.questions) >= 5
    kinds = {q.kind for q in ex.questions}
    assert {"number", "text"} <= kinds or {"table", "text"} <= kinds
    assert kinds & {"chart", "choice"}, "a chart or choice question"
    for q in ex.questions:
        if q.kind in ("number", "table"):
            assert len(q.misconceptions) >= 2, f"{exercise_id}-{q.id} needs two misconceptions"
    assert (ROOT / "solutions" / ex.notebook).is_file()
    assert (ROOT / "exercises" / ex.notebook).is_file()


@pytest.mark.parametrize("exercise_id", ["00", *GRADED])
def test_an_exercise_has_one_name_in_its_notebook_and_in_progress(exercise_id):
    # progress(), the grade report and the notebook's heading all show the bank's title.
    ex = get_exercise(exercise_id)
    for folder in ("solutions", "exercises"):
        nb = json.loads((ROOT / folder / ex.notebook).read_text(encoding="utf-8"))
        heading = "".join(nb["cells"][0]["source"]).splitlines()[0]
        assert heading == f"# 練習問題 {exercise_id}: {ex.title}", folder


def test_learner_texts_call_an_exercise_by_one_name():
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "ebpmkit").rglob("*.py")]
    for folder in ("notebooks", "exercises", "solutions"):
        texts += [p.read_text(encoding="utf-8") for p in (ROOT / folder).rglob("*.ipynb")]
    # 課題 stays free for its other sense (地域の課題, a policy problem).
    exercise_as_kadai = re.compile(r"課題\s*[0-9{]|この課題|課題のデータ|課題番号")
    assert not [t for t in texts if exercise_as_kadai.search(t)], "an exercise is a 練習問題"
