"""ebpmkit build: stubs, metadata, --check, and never overwriting a learner's edits."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from grading_helpers import EXERCISES, SOLUTIONS, code_cell_with, read_nb, write_nb

from ebpmkit.cli import main as cli_main
from ebpmkit.grading.build import BuildError, build, build_notebook, main, strip_solutions


def test_strip_keeps_names_and_indentation():
    src = (
        "for i in range(3):\n"
        "    ### BEGIN SOLUTION\n"
        "    total = i * 2\n"
        "    ### END SOLUTION\n"
        "    print(total)"
    )
    out = strip_solutions(src)
    assert "i * 2" not in out
    assert "    total = ...\n    print(total)" in out
    compile(out, "<stub>", "exec")


def test_strip_prefers_the_answer_name():
    out = strip_solutions("# BEGIN SOLUTION\nx = 1\nanswer_q2 = x\ny = 3\n# END SOLUTION")
    assert "答えを answer_q2 に入れます" in out
    assert out.splitlines()[1:] == ["x = ...", "answer_q2 = ...", "y = ..."]


@pytest.mark.parametrize(
    "src",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_an_error(src):
    with pytest.raises(BuildError, match="SOLUTION"):
        strip_solutions(src, where="x.ipynb cell 3")


def test_exercise_keeps_metadata_and_clears_outputs():
    master = read_nb(SOLUTIONS / "00_practice.ipynb")
    master.cells[2].outputs = [nbformat.v4.new_output("stream", text="old")]
    master.cells[2].execution_count = 4
    nb = build_notebook(master, source="solutions/00_practice.ipynb")
    meta = nb.metadata["ebpmkit"]
    assert meta["exercise"] == "00" and meta["role"] == "exercise"
    assert meta["questions"] == ["q1", "q2", "q3"]
    assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")
    assert all(c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    text = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in text and "idxmax" not in text


def test_master_must_check_exactly_its_questions():
    master = read_nb(SOLUTIONS / "00_practice.ipynb")
    master.cells[code_cell_with(master, 'check("q3"')].source = "pass"
    with pytest.raises(BuildError, match="q3"):
        build_notebook(master)
    master.metadata.pop("ebpmkit")
    with pytest.raises(BuildError, match="ebpmkit.exercise"):
        build_notebook(master)


def test_check_passes_on_the_repository(capsys):
    assert main(solutions=SOLUTIONS, exercises=EXERCISES, check=True) == 0
    assert (
        cli_main(["build", "--check", "--solutions", str(SOLUTIONS), "--exercises", str(EXERCISES)])
        == 0
    )


@pytest.fixture
def tree(tmp_path):
    """A curriculum folder with the practice exercise only."""
    for folder in (SOLUTIONS, EXERCISES):
        (tmp_path / folder.name).mkdir()
        shutil.copy(folder / "00_practice.ipynb", tmp_path / folder.name)
    return tmp_path


def _edit_master(tree):
    path = tree / "solutions" / "00_practice.ipynb"
    nb = read_nb(path)
    nb.cells[0].source += "\n\n(説明を追加しました)"
    write_nb(nb, path)


def test_check_fails_after_a_master_is_edited_and_build_fixes_it(tree, capsys):
    kw = {"solutions": tree / "solutions", "exercises": tree / "exercises"}
    assert main(check=True, **kw) == 0
    _edit_master(tree)
    assert main(check=True, **kw) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(**kw) == 0
    assert main(check=True, **kw) == 0


def test_check_reports_an_exercise_without_master(tree, capsys):
    shutil.copy(tree / "exercises" / "00_practice.ipynb", tree / "exercises" / "old.ipynb")
    assert main(check=True, solutions=tree / "solutions", exercises=tree / "exercises") == 1


def test_running_an_exercise_is_not_an_edit(tree):
    path = tree / "exercises" / "00_practice.ipynb"
    nb = read_nb(path)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="ran")]
    nb.cells[2].execution_count = 1
    write_nb(nb, path)
    _edit_master(tree)
    [result] = build(solutions=tree / "solutions", exercises=tree / "exercises")
    assert result.action == "written"


def test_a_learners_edit_is_never_overwritten(tree, capsys):
    path = tree / "exercises" / "00_practice.ipynb"
    nb = read_nb(path)
    nb.cells[code_cell_with(nb, 'check("q1"')].source = 'answer_q1 = 14062\ncheck("q1", answer_q1)'
    write_nb(nb, path)
    learner_bytes = path.read_bytes()
    _edit_master(tree)
    kw = {"solutions": tree / "solutions", "exercises": tree / "exercises"}
    assert main(**kw) == 1
    assert "上書きしませんでした" in capsys.readouterr().err
    assert path.read_bytes() == learner_bytes
    [beside] = build(beside=True, **kw)
    assert beside.action == "beside" and beside.exercise.name == "00_practice.new.ipynb"
    assert path.read_bytes() == learner_bytes
    [forced] = build(force=True, **kw)
    assert forced.action == "written" and path.read_bytes() != learner_bytes


def test_help_lists_build_and_grade(capsys):
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    out = capsys.readouterr().out
    assert "build" in out and "grade" in out


def _population(ds) -> float:
    ry = ds.resident_years
    return float((ry["fiscal_year"] == ry["fiscal_year"].max()).sum())


@pytest.fixture
def ambiguous_bank():
    """Exercise 99, registered for one test: its misconceptions cannot be told apart."""
    from ebpmkit.grading import questions as Q

    def first_year(ds):
        ry = ds.resident_years
        return float((ry["fiscal_year"] == ry["fiscal_year"].min()).sum())

    q1 = Q.Question(
        id="q1",
        points=10,
        kind="number",
        prompt="最新年度の人口",
        expected=_population,
        atol=0.5,
        misconceptions=(
            # The same count reached another way: it is the expected answer.
            Q.Misconception(
                "same",
                lambda ds: len(ds.resident_years.query("fiscal_year == fiscal_year.max()")),
                "…",
            ),
            Q.Misconception("first_year", first_year, "…"),
            # Within the tolerance of the first-year misconception.
            Q.Misconception("first_year_plus", lambda ds: first_year(ds) + 0.4, "…"),
            Q.Misconception("broken", lambda ds: ds.no_such_table, "…"),
        ),
    )
    q2 = Q.Question(
        id="q2",
        points=10,
        kind="number",
        prompt="ok",
        expected=_population,
        misconceptions=(Q.Misconception("half", lambda ds: _population(ds) / 2, "…"),),
    )
    exercise = Q.Exercise(
        "99", "検査用", "99_check.ipynb", Q.DatasetConfig("town", scale=0.02), (q1, q2)
    )
    Q.register(exercise)
    yield exercise
    Q._REGISTRY.pop("99")


def test_check_names_every_question_that_cannot_tell_answers_apart(ambiguous_bank, capsys):
    from ebpmkit.grading.questions import bank_problems

    problems = bank_problems(ambiguous_bank, ambiguous_bank.data.load())
    assert len(problems) == 3
    assert "演習 99 の q1: 思い違い「same」の答えが正解と区別できません" in problems[1]
    assert "「first_year」と「first_year_plus」" in problems[2]
    assert "思い違い「broken」を計算できません" in problems[0]
    assert not any("q2" in p for p in problems)
    assert main(solutions=SOLUTIONS, exercises=EXERCISES, check=True) == 1
    err = capsys.readouterr().err
    assert "演習 99 の q1" in err and "exercise 99 q1: misconception 'same'" in err
