"""Run the notebooks: solutions pass every question in strict mode; exercises run to the end
with every question unanswered (read back from the answers file, as the grader does)."""

from __future__ import annotations

import os

import nbformat
import pytest
from grading_helpers import EXERCISES, SOLUTIONS, read_nb
from nbclient import NotebookClient

from ebpmkit.grading.grade import _read_answers, _score
from ebpmkit.grading.questions import get_exercise

SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))
EXERCISE_FILES = sorted(EXERCISES.glob("*.ipynb"))


def _run(path, tmp_path, **env):
    nb = read_nb(path)
    journal = tmp_path / "answers.jsonl"
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False)
    client.execute(
        env={
            **os.environ,
            "EBPMKIT_ANSWERS_FILE": str(journal),
            "EBPMKIT_PROGRESS_DIR": str(tmp_path / "progress"),
            **env,
        },
        cwd=str(tmp_path),
    )
    exercise_id = nb.metadata["ebpmkit"]["exercise"]
    ex = get_exercise(exercise_id)
    return nb, _score(ex, ex.answer_key(ex.data.load()), _read_answers(journal, exercise_id))


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=lambda p: p.name)
def test_solution_passes_every_question_in_strict_mode(path, tmp_path):
    nb, verdicts = _run(path, tmp_path, EBPMKIT_STRICT="1")
    assert verdicts and all(v.passed for v in verdicts.values()), verdicts


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=lambda p: p.name)
def test_exercise_runs_to_the_end_and_fails_every_question(path, tmp_path):
    nb, verdicts = _run(path, tmp_path)
    assert verdicts and all(v.outcome == "unanswered" for v in verdicts.values())
    outputs = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert outputs.count("まだ答えが入っていません") == len(verdicts)


def test_masters_and_exercises_say_what_the_learner_does():
    for path in SOLUTION_FILES + EXERCISE_FILES:
        first = read_nb(path).cells[0]
        assert first.cell_type == "markdown"
        for heading in ("やること", "学べること", "必要なもの", "所要時間", "架空"):
            assert heading in first.source, (path.name, heading)
    assert nbformat.validate(read_nb(SOLUTION_FILES[0])) is None
