"""Grading real submissions whose cells go wrong one by one, and the re-run on another seed.

* ``syntax``: the q2 cell (the notebook's fourth code cell) has a syntax error on its fifth
  line. Only q2 is lost; the row and the feedback page name the cell and the line in
  Japanese, never IPython's "(2444499308.py, line 5)".
* ``stubborn``: an endless loop that swallows the interrupt ends the run as a timeout (the
  kernel is killed), naming its cell; q1, checked before it, still counts.
* ``loop``: an endless loop in a cell of its own after q1 (the third code cell). The cell is
  interrupted at the per-cell limit, the kernel lives on, and q2 and q3 still count.
* ``typed`` / ``computed`` (``--verify-seed``): answers copied as literals from a correct run
  are right on the class data only and become ``not_reproduced``; computed ones keep full
  credit.

They run through the grading sandbox when one is available here, else without it.
"""

from __future__ import annotations

import csv
import os

import nbformat
import pytest
from grading_helpers import SOLUTIONS, code_cell_with, read_nb, write_nb

from ebpmkit.cli import main as cli_main
from ebpmkit.grading import sandbox
from ebpmkit.grading.grade import _status_from_run
from ebpmkit.grading.messages import OUTCOME_LABELS, STATUS_LABELS, text

SANDBOX = sandbox.mechanism()[0] is not None or os.environ.get("EBPMKIT_CI") == "1"
VERIFY_SEED = 8
# Per-cell limit: long enough for a normal cell on a loaded CI machine (the two test workers and
# two grading jobs share two cores), far below the notebook's budget of BUDGET seconds.
CELL_LIMIT = 20
BUDGET = 300


def _syntax_error_in_q2(solution):
    nb = nbformat.from_dict(solution)
    at = code_cell_with(nb, 'check("q2"')
    nb.cells[at].source = (
        "now = ry[ry['fiscal_year'] == ry['fiscal_year'].max()]\n"
        "older = now['age'] >= 65\n"
        "share = older.mean()\n"
        "# the next line misses a bracket\n"
        "answer_q2 = round(share * 100, 1\n"
        'check("q2", answer_q2)'
    )
    return nb


def _loop_after_q1(solution):
    nb = nbformat.from_dict(solution)
    at = code_cell_with(nb, 'check("q1"') + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def _stubborn_after_q1(solution):
    nb = nbformat.from_dict(solution)
    at = code_cell_with(nb, 'check("q1"') + 1
    source = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass"
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def _code_cell_number(nb, needle: str) -> int:
    """The 1-based place of the cell among the notebook's code cells, as a learner counts."""
    at = code_cell_with(nb, needle)
    return sum(c.cell_type == "code" for c in nb.cells[: at + 1])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from ebpmkit.grading import get_exercise

    root = tmp_path_factory.mktemp("cells")
    subs = root / "subs"
    solution = read_nb(SOLUTIONS / "00_practice.ipynb")
    notebooks = {
        "syntax": _syntax_error_in_q2(solution),
        "loop": _loop_after_q1(solution),
        "stubborn": _stubborn_after_q1(solution),
    }
    for name, nb in notebooks.items():
        write_nb(nb, subs / f"00_practice_{name}.ipynb")
    # The class's data exist before grading, as on a hub: no cell's time goes into generating it.
    get_exercise("00").data.load()
    out = root / "grades.csv"
    args = ["grade", str(subs), "--out", str(out), "--feedback", str(root / "fb"), "--quiet"]
    args += ["--timeout", str(BUDGET), "--cell-timeout", str(CELL_LIMIT), "--jobs", "2"]
    code = cli_main(args + ([] if SANDBOX else ["--no-sandbox"]))
    with open(out, encoding="utf-8-sig") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (root / "fb").glob("*.html")}
    ex = get_exercise("00")
    return {"code": code, "rows": rows, "pages": pages, "nbs": notebooks, "points": ex}


def _points(row) -> list[float]:
    return [float(row[q] or 0) for q in ("q1", "q2", "q3")]


def test_a_syntax_error_loses_only_that_cells_answer(graded):
    assert graded["code"] == 0
    row = graded["rows"]["syntax"]
    assert row["status"] == "error"
    full = [q.points for q in graded["points"].questions]
    assert _points(row) == [full[0], 0, full[2]]  # q3, after the broken cell, still counts
    cell = _code_cell_number(graded["nbs"]["syntax"], 'check("q2"')
    said = text("cell_syntax", cell=cell, line=5)
    assert said == f"{cell}番目のコードセルに文法の誤りがあります(5行目)"
    assert said in row["status_ja"]
    page = graded["pages"]["syntax"]
    assert said in page
    assert ".py, line" not in page and ".py, line" not in row["status_ja"]
    assert "SyntaxError" not in page


def test_an_endless_cell_is_interrupted_and_later_cells_run(graded):
    row = graded["rows"]["loop"]
    assert row["status"] == "slow_cell", row["status_ja"]
    full = [q.points for q in graded["points"].questions]
    assert _points(row) == full  # q1 before the loop, q2 and q3 after it
    cell = _code_cell_number(graded["nbs"]["loop"], "while True")
    said = text("cell_slow", cell=cell, seconds=str(CELL_LIMIT))
    assert said in row["status_ja"] and said in graded["pages"]["loop"]
    assert STATUS_LABELS["slow_cell"] in graded["pages"]["loop"]
    # Interrupted, not the whole budget used: the rest of the notebook ran right after.
    assert float(row["seconds"]) < BUDGET - CELL_LIMIT


def test_a_cell_that_ignores_the_interrupt_ends_the_run_as_a_timeout(graded):
    row = graded["rows"]["stubborn"]
    assert row["status"] == "timeout", row["status_ja"]
    full = [q.points for q in graded["points"].questions]
    assert _points(row) == [full[0], 0, 0]  # answers recorded before it still count
    cell = _code_cell_number(graded["nbs"]["stubborn"], "KeyboardInterrupt")
    said = text("cell_unstoppable", cell=cell, seconds=str(CELL_LIMIT))
    assert said in row["status_ja"] and said in graded["pages"]["stubborn"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {"cell": 6, "code_cell": 4, "ename": "SyntaxError", "evalue": "x (12345.py, line 5)"},
            "4番目のコードセルに文法の誤りがあります(5行目)",
        ),
        (
            {"cell": 2, "code_cell": 2, "ename": "IndentationError", "evalue": "unexpected"},
            "2番目のコードセルに文法の誤りがあります",
        ),
        (
            {"cell": 2, "code_cell": 1, "ename": "NameError", "evalue": "name 'x' is not defined"},
            "1番目のコードセルでエラーが出ました(NameError: name 'x' is not defined)",
        ),
    ],
)
def test_problems_are_named_by_code_cell(error, expected):
    status, detail = _status_from_run({"errors": [error]}, True)
    assert status == "error" and detail == expected


def test_a_timed_out_run_names_the_cell_and_lists_other_problems():
    run = {
        "timed_out": True,
        "timeout_cell": 5,
        "budget": 60.0,
        "slow_cells": [{"cell": 3, "code_cell": 2, "seconds": 30.0}],
        "errors": [{"cell": 1, "code_cell": 1, "ename": "KeyError", "evalue": "'x'"}],
    }
    status, detail = _status_from_run(run, True)
    assert status == "timeout"
    assert detail.startswith("5番目のコードセルの実行中に制限時間(60秒)になりました")
    assert "2番目のコードセルは30秒を超えた" in detail and "1番目のコードセル" in detail


# --- --verify-seed -----------------------------------------------------------------------


def _typed_in(solution, key):
    """The solution with every answer replaced by its value from a correct run, as a literal."""
    nb = nbformat.from_dict(solution)
    for qid, entry in key.items():
        value = entry.expected
        literal = (
            repr(int(value)) if isinstance(value, float) and value.is_integer() else repr(value)
        )
        nb.cells[
            code_cell_with(nb, f'check("{qid}"')
        ].source = f'answer_{qid} = {literal}\ncheck("{qid}", answer_{qid})'
    return nb


@pytest.fixture(scope="module")
def verified(tmp_path_factory, practice):
    from ebpmkit.grading.grade import _verify_key

    ex, _, key = practice
    root = tmp_path_factory.mktemp("verify")
    subs = root / "subs"
    solution = read_nb(SOLUTIONS / "00_practice.ipynb")
    write_nb(_typed_in(solution, key), subs / "00_practice_typed.ipynb")
    write_nb(solution, subs / "00_practice_computed.ipynb")
    out = root / "grades.csv"
    args = ["grade", str(subs), "--out", str(out), "--feedback", str(root / "fb"), "--quiet"]
    args += ["--jobs", "2", "--verify-seed", str(VERIFY_SEED)]
    code = cli_main(args + ([] if SANDBOX else ["--no-sandbox"]))
    with open(out, encoding="utf-8-sig") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (root / "fb").glob("*.html")}
    return {
        "code": code,
        "rows": rows,
        "pages": pages,
        "ex": ex,
        "key": key,
        "other": _verify_key(ex, VERIFY_SEED),
    }


def test_typed_in_answers_are_not_reproduced(verified):
    assert verified["code"] == 0
    key, other = verified["key"], verified["other"]
    # A typed-in answer fails the re-run only where the other seed moves the answer past its
    # tolerance; on seed 8 both number questions move that far (the area question does not).
    tolerance = {
        q.id: max(q.atol, q.rtol * abs(float(key[q.id].expected)))
        for q in verified["ex"].questions
        if q.kind == "number"
    }
    changed = [
        q
        for q in key
        if (
            abs(float(key[q].expected) - float(other[q].expected)) > tolerance[q]
            if q in tolerance
            else key[q].expected != other[q].expected
        )
    ]
    assert "q1" in changed and "q2" in changed
    row = verified["rows"]["typed"]
    assert row["verify_seed"] == str(VERIFY_SEED)
    assert row["not_reproduced"].split() == changed
    for q in verified["ex"].questions:
        # Right on the class data, so only the re-run takes the points away.
        assert float(row[q.id]) == (0 if q.id in changed else q.points)
    page = verified["pages"]["typed"]
    assert text("not_reproduced_hint") in page
    assert OUTCOME_LABELS["not_reproduced"] in page
    assert text("feedback_verify", seed=VERIFY_SEED) in page


def test_computed_answers_keep_full_credit(verified):
    row = verified["rows"]["computed"]
    assert row["status"] == "ok", row["status_ja"]
    assert row["not_reproduced"] == ""
    assert float(row["total"]) == verified["ex"].max_points
    assert text("not_reproduced_hint") not in verified["pages"]["computed"]


# --- --no-sandbox in the reports ------------------------------------------------------------


def test_no_sandbox_is_written_in_the_csv_and_every_page(tmp_path):
    nb = read_nb(SOLUTIONS / "00_practice.ipynb")
    nb.metadata["ebpmkit"]["exercise"] = "01"  # turned away before any kernel starts
    write_nb(nb, tmp_path / "00_practice_a.ipynb")
    write_nb(nb, tmp_path / "00_practice_b.ipynb")
    args = ["grade", str(tmp_path / "00_practice_a.ipynb"), str(tmp_path / "00_practice_b.ipynb")]
    args += ["--exercise", "00", "--quiet", "--no-sandbox"]
    args += ["--out", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "fb")]
    assert cli_main(args) == 0
    with open(tmp_path / "g.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["sandboxed"] for row in rows] == ["False", "False"]
    pages = list((tmp_path / "fb").glob("*.html"))
    assert len(pages) == 2
    for page in pages:
        assert text("feedback_no_sandbox") in page.read_text(encoding="utf-8")


def test_a_sandboxed_run_says_nothing_of_the_sort():
    from pathlib import Path

    from ebpmkit.grading.report import feedback_html, grades_table
    from ebpmkit.grading.results import GradeResult, Submission

    done = GradeResult(Submission(Path("a.ipynb"), "a"), None, "corrupt")
    assert grades_table([done])["sandboxed"].tolist() == [True]
    assert text("feedback_no_sandbox") not in feedback_html("a", [done])


@pytest.mark.parametrize(
    ("option", "value"), [("cell_timeout", 0), ("verify_seed", -1), ("verify_seed", 2**32)]
)
def test_bad_limits_are_refused_in_japanese(option, value, tmp_path):
    from ebpmkit.errors import ParameterError
    from ebpmkit.grading.grade import grade

    with pytest.raises(ParameterError, match=option) as caught:
        grade([tmp_path], progress=False, sandbox=False, **{option: value})
    assert any("\u3040" <= ch <= "\u30ff" for ch in str(caught.value))
