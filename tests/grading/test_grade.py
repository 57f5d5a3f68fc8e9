"""ebpmkit grade: a folder of good and broken submissions, learners, statuses and originals."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_helpers import (
    EXERCISES,
    REPO,
    SOLUTIONS,
    code_cell_with,
    read_nb,
    tree_hashes,
    write_nb,
)

from ebpmkit.cli import main as cli_main
from ebpmkit.grading import _runner
from ebpmkit.grading.grade import _status_from_run, find_submissions, grade, learner_of


def _with_cell_after(nb, needle: str, source: str):
    nb = nbformat.from_dict(nb)
    at = code_cell_with(nb, needle) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def _make_submissions(folder: Path) -> dict[str, str]:
    """Write the class folder; return learner -> expected status."""
    solution = read_nb(SOLUTIONS / "00_practice.ipynb")
    exercise = read_nb(EXERCISES / "00_practice.ipynb")
    expected = {}

    write_nb(solution, folder / "00_practice_alice.ipynb")
    expected["alice"] = "ok"

    write_nb(exercise, folder / "00_practice_bob.ipynb")
    expected["bob"] = "blank"

    broken = nbformat.from_dict(solution)
    q1 = code_cell_with(broken, 'check("q1"')
    broken.cells[q1].source = 'answer_q1 = len(ry[ry["fiscal_year"] ==\ncheck("q1", answer_q1)'
    write_nb(broken, folder / "00_practice_carol.ipynb")
    expected["carol"] = "error"

    write_nb(
        _with_cell_after(solution, 'check("q1"', "while True:\n    pass"),
        folder / "00_practice_dave.ipynb",
    )
    expected["dave"] = "timeout"

    write_nb(
        _with_cell_after(solution, 'check("q2"', "import sys\nsys.exit()"),
        folder / "00_practice_erin.ipynb",
    )
    expected["erin"] = "exited"

    hog = "blocks = []\nwhile True:\n    blocks.append(b'x' * (50 * 1024**2))"
    write_nb(_with_cell_after(solution, 'check("q2"', hog), folder / "00_practice_frank.ipynb")
    expected["frank"] = "memory"

    # Reserved but untouched memory: the resident set stays small, the address-space
    # backstop turns it into a MemoryError (without it this would loop until the timeout).
    reserve = (
        "import numpy as np\nblocks = []\nwhile True:\n    blocks.append(np.empty(64 * 1024**2))"
    )
    write_nb(_with_cell_after(solution, 'check("q1"', reserve), folder / "00_practice_lena.ipynb")
    expected["lena"] = "memory"

    deleter = (
        "import os, shutil\n"
        "for name in os.listdir('.'):\n"
        "    shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)\n"
        "shutil.rmtree(os.path.expanduser('~'), ignore_errors=True)"
    )
    write_nb(_with_cell_after(solution, "start(", deleter), folder / "00_practice_gina.ipynb")
    expected["gina"] = "ok"

    (folder / "00_practice_hiro.ipynb").write_text('{"cells": [{"cell_type": "code", "sou', "utf-8")
    expected["hiro"] = "corrupt"

    (folder / "00_practice_ichiro.txt").write_text("提出します。よろしくお願いします。", "utf-8")
    expected["ichiro"] = "not_a_notebook"

    other = nbformat.from_dict(solution)
    other.metadata["ebpmkit"] = {"exercise": "99", "role": "exercise"}
    write_nb(other, folder / "00_practice_jun.ipynb")
    expected["jun"] = "wrong_exercise"

    wrong = nbformat.from_dict(solution)
    wrong.cells[code_cell_with(wrong, 'check("q1"')].source = 'check("q1", len(ry))'
    wrong.cells[code_cell_with(wrong, 'check("q3"')].source = 'check("q3", "西部")'
    write_nb(wrong, folder / "00_practice_kumi.ipynb")
    expected["kumi"] = "ok"
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    expected = _make_submissions(subs)
    before = tree_hashes(subs)
    out = root / "report" / "grades.csv"
    code = cli_main(
        [
            "grade",
            str(subs),
            "--out",
            str(out),
            "--feedback",
            str(root / "feedback"),
            "--jobs",
            "2",
            "--timeout",
            "25",
            "--memory",
            "1024",
            "--quiet",
        ]
    )
    with open(out, encoding="utf-8-sig") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    return {
        "code": code,
        "rows": rows,
        "expected": expected,
        "before": before,
        "after": tree_hashes(subs),
        "root": root,
        "out": out,
    }


def test_run_completes_with_a_row_and_clear_status_each(graded):
    assert graded["code"] == 0
    rows, expected = graded["rows"], graded["expected"]
    assert set(rows) == set(expected)
    got = {learner: row["status"] for learner, row in rows.items()}
    assert got == expected
    for row in rows.values():
        assert row["status_ja"], row


def test_originals_are_byte_identical(graded):
    assert graded["after"] == graded["before"]


def test_points(graded):
    rows = graded["rows"]

    def points(learner):
        return [float(rows[learner][q] or 0) for q in ("q1", "q2", "q3")]

    assert points("alice") == [10, 10, 10] and float(rows["alice"]["total"]) == 30
    assert points("bob") == [0, 0, 0]
    assert points("carol") == [0, 10, 10]  # the cell with the syntax error never ran
    assert points("dave") == [10, 0, 0]  # answers checked before the endless loop count
    assert points("erin") == [10, 10, 10]  # IPython carries on after sys.exit(), as Jupyter does
    assert points("frank") == [10, 10, 0]
    assert points("gina") == [10, 10, 10]  # it deleted only its own temporary copy
    assert points("kumi") == [0, 10, 0]
    for learner in ("hiro", "ichiro", "jun"):
        assert rows[learner]["q1"] == ""
    assert points("lena") == [10, 10, 10]  # MemoryError is an error in one cell only
    # Named as the learner counts (the second code cell), without IPython's file name.
    assert "2番目のコードセルに文法の誤りがあります(2行目)" in rows["carol"]["status_ja"]
    assert ".py, line" not in rows["carol"]["status_ja"]
    assert "1024 MiB" in rows["frank"]["status_ja"]
    assert "MemoryError" in rows["lena"]["status_ja"]
    assert "99" in rows["jun"]["status_ja"]


def test_item_analysis_and_feedback(graded):
    root, out = graded["root"], graded["out"]
    with open(out.with_name("grades_items.csv"), encoding="utf-8-sig") as handle:
        items = {row["問題"]: row for row in csv.DictReader(handle)}
    assert set(items) == {"q1", "q2", "q3"}
    # Ran: alice bob carol dave erin frank gina kumi lena = 9. q1 is blank for bob (the
    # exercise as handed out) and carol (her q1 cell does not run): 7 answered, 6 right, and
    # kumi's misconceptions are hers alone, so none is "common".
    assert items["q1"]["採点数"] == "9" and items["q1"]["回答数"] == "7"
    assert items["q1"]["正解数"] == "6" and items["q1"]["正解率"] == str(round(6 / 7, 3))
    assert items["q1"]["よくある思い違い"] == "" and items["q3"]["よくある思い違い"] == ""
    assert items["q1"]["思い違い数"] == "1" and items["q3"]["思い違い数"] == "1"
    assert out.with_name("grades_items.png").stat().st_size > 1000
    pages = {p.stem for p in (root / "feedback").glob("*.html")}
    assert pages == set(graded["expected"])
    kumi = (root / "feedback" / "kumi.html").read_text(encoding="utf-8")
    assert (
        "思い違い" in kumi and "14062" not in kumi and "14,062" not in kumi and "東部" not in kumi
    )


@pytest.mark.parametrize(
    ("path", "root", "learner"),
    [
        ("/home/jupyter-tanaka/exercises/00_practice.ipynb", None, "tanaka"),
        ("/home/jupyter-sato-2ejiro/00_practice.ipynb", None, "sato.jiro"),
        ("/home/suzuki/exercises/00_practice.ipynb", None, "suzuki"),
        ("subs/yamada/00_practice.ipynb", "subs", "yamada"),
        ("subs/00_practice-ito.ipynb", "subs", "ito"),
        ("/srv/in/kato_00_practice.ipynb", None, "kato"),
        ("/srv/in/random.ipynb", None, "random"),
    ],
)
def test_learner_of(path, root, learner):
    assert learner_of(Path(path), Path(root) if root else None) == learner


def test_wrong_exercise_when_one_is_asked_for(tmp_path):
    nb = read_nb(SOLUTIONS / "00_practice.ipynb")
    nb.metadata["ebpmkit"]["exercise"] = "01"
    write_nb(nb, tmp_path / "a.ipynb")
    nb.metadata.pop("ebpmkit")
    write_nb(nb, tmp_path / "b.ipynb")
    # Nothing here is executed: both are turned away before a kernel starts.
    given = [tmp_path / "a.ipynb", tmp_path / "b.ipynb"]
    results = grade(given, exercise="00", progress=False)
    assert [r.status for r in results] == ["wrong_exercise", "wrong_exercise"]
    assert "練習問題01" in results[0].explanation and "練習問題00" in results[0].explanation
    assert "分かりません" in results[1].explanation
    # Inside a folder, neither is exercise 00's: they are not submissions, so no rows.
    assert grade([tmp_path], exercise="00", progress=False) == []


def test_a_home_folder_gives_rows_only_for_the_named_exercise(tmp_path, fake_runs):
    homes = tmp_path / "home"
    exercise = read_nb(EXERCISES / "00_practice.ipynb")
    for name in ("jupyter-ann", "ben"):
        home = homes / name
        write_nb(exercise, home / "exercises" / "00_practice.ipynb")
        write_nb(
            read_nb(EXERCISES / "02_reading_resident_data.ipynb"),
            home / "exercises" / "02_reading_resident_data.ipynb",
        )
        # Lessons share the exercises' file names but check nothing.
        write_nb(
            read_nb(REPO / "notebooks" / "02_reading_resident_data.ipynb"),
            home / "notebooks" / "02_reading_resident_data.ipynb",
        )
        (home / "notebooks" / "mine.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (homes / "ben" / "exercises" / "00_practice_old.txt").write_text("x", encoding="utf-8")
    results = grade([homes], exercise="00", progress=False)
    rows = sorted((r.submission.learner, r.submission.path.name, r.status) for r in results)
    # ben's stray file is named like exercise 00's notebook, so the trainer hears of it.
    assert rows == [
        ("ann", "00_practice.ipynb", "ok"),
        ("ben", "00_practice.ipynb", "ok"),
        ("ben", "00_practice_old.txt", "not_a_notebook"),
    ]
    # Without --exercise every exercise is graded, but a lesson is still no submission.
    everything = grade([homes], progress=False)
    assert sorted((r.submission.learner, r.exercise) for r in everything if r.exercise) == [
        ("ann", "00"),
        ("ann", "02"),
        ("ben", "00"),
        ("ben", "02"),
    ]
    assert not any("notebooks" in r.submission.path.parts and r.exercise for r in everything)


@pytest.fixture
def fake_runs(monkeypatch):
    """Grade without kernels: each learner answers q1 with a number made from their name."""
    from ebpmkit.grading import grade as grade_module
    from ebpmkit.grading.questions import encode_answer
    from ebpmkit.grading.results import GradeResult

    def run(sub, data, ex_id, *, key, **kwargs):
        ex = grade_module.get_exercise(ex_id)
        answers = {ex.questions[0].id: encode_answer(_answer_of(sub.learner))}
        verdicts = grade_module._score(ex, key, answers)
        return GradeResult(sub, ex_id, "ok", verdicts=verdicts)

    monkeypatch.setattr(grade_module, "_run_and_score", run)


def _answer_of(learner: str) -> int:
    return 100000 + sum(ord(c) for c in learner) * 7


@pytest.mark.parametrize(
    "layout",
    [
        "/srv/homes/{name}/exercises/00_practice.ipynb",  # homes outside /home
        "/collected/{name}/00_practice.ipynb",  # a collected folder, files named one by one
        "/home/jupyter-{name}/exercises/00_practice.ipynb",  # The Littlest JupyterHub
        "/home/{name}/exercises/00_practice.ipynb",  # plain user homes
    ],
)
def test_same_notebook_in_many_homes_gives_one_page_per_learner(tmp_path, fake_runs, layout):
    from ebpmkit.grading import report

    names = ["ann", "ben", "cho"]
    exercise = read_nb(EXERCISES / "00_practice.ipynb")
    if layout.startswith("/home/"):
        paths = [Path(layout.format(name=n)) for n in names]
        found = [learner_of(p) for p in paths]
        assert found == names
        return  # the grader may not write under the real /home; the names are what matter
    paths = [write_nb(exercise, tmp_path / layout.format(name=n).lstrip("/")) for n in names]
    results = grade(paths, exercise="00", progress=False)
    assert [r.submission.learner for r in results] == names
    report.write_all(results, out=tmp_path / "grades.csv", feedback=tmp_path / "feedback")
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (tmp_path / "feedback").glob("*.html")}
    assert set(pages) == set(names)
    for name in names:
        others = [f"{_answer_of(n):,}" for n in names if n != name]
        assert f"{_answer_of(name):,}" in pages[name]
        assert not any(o in pages[name] for o in others)


def test_a_collected_folder_names_learners_by_their_folder(tmp_path):
    exercise = read_nb(EXERCISES / "00_practice.ipynb")
    for name in ("ann", "jupyter-ben"):
        write_nb(exercise, tmp_path / "collected" / name / "00_practice.ipynb")
    found = find_submissions([tmp_path / "collected"])
    assert [s.learner for s in found] == ["ann", "ben"]


def test_names_from_the_file_name_are_kept_when_they_differ(tmp_path):
    exercise = read_nb(EXERCISES / "00_practice.ipynb")
    a = write_nb(exercise, tmp_path / "x" / "00_practice_ann.ipynb")
    b = write_nb(exercise, tmp_path / "y" / "00_practice_ben.ipynb")
    c = write_nb(exercise, tmp_path / "y" / "inner" / "00_practice.ipynb")
    d = write_nb(exercise, tmp_path / "z" / "00_practice.ipynb")
    assert [s.learner for s in find_submissions([a, b, c, d])] == ["ann", "ben", "y", "z"]


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    assert cli_main(["grade", str(tmp_path / "nowhere")]) == 2
    assert "見つかりません" in capsys.readouterr().err


def test_hidden_and_checkpoint_files_are_skipped(tmp_path):
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "a.ipynb").write_text("{}")
    assert [s.path.name for s in find_submissions([tmp_path])] == ["a.ipynb"]


@pytest.mark.parametrize(
    ("run", "answered", "status"),
    [
        ({"timed_out": True}, True, "timeout"),
        ({"memory_exceeded": True, "dead": True}, True, "memory"),
        ({"errors": [{"cell": 2, "ename": "MemoryError", "evalue": ""}]}, True, "memory"),
        ({"dead": True, "returncode": 3}, True, "exited"),
        ({"dead": True, "returncode": -11}, True, "crashed"),
        ({"errors": [{"cell": 2, "ename": "SystemExit", "evalue": ""}]}, True, "exited"),
        ({"errors": [{"cell": 2, "ename": "NameError", "evalue": "x"}]}, True, "error"),
        ({}, False, "blank"),
        ({}, True, "ok"),
    ],
)
def test_status_rules(run, answered, status):
    assert _status_from_run(run, answered)[0] == status


# A process that starts a child in its own process group; each holds 60 MiB it has written to.
_HOLDER = "b = b'x' * (60 * 1024**2); print('ready', flush=True); import time; time.sleep(60)"
_GROUP = (
    "import subprocess, sys, time\n"
    f"child = subprocess.Popen([sys.executable, '-c', {_HOLDER!r}], stdout=subprocess.PIPE)\n"
    "child.stdout.readline()\n"
    f"exec({_HOLDER!r})\n"
)


def test_memory_watchdog_sums_and_kills_the_process_group():
    group = subprocess.Popen(
        [sys.executable, "-c", _GROUP], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert group.stdout.readline().strip() == b"ready"
        rss = _runner.group_rss(group.pid)
        assert rss is not None and rss >= 120 * 1024**2  # parent and child, both counted
        watchdog = _runner._Watchdog(group.pid, limit=rss // 2)
        watchdog.start()
        watchdog.join(timeout=10)
        assert watchdog.exceeded and watchdog.peak >= rss // 2
        assert group.wait(timeout=10) == -signal.SIGKILL
        assert _runner.group_rss(group.pid) == 0  # the child went with it
    finally:
        with contextlib.suppress(OSError):
            os.killpg(group.pid, signal.SIGKILL)
        group.wait()
        group.stdout.close()
