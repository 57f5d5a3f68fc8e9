"""A class of ten on a real JupyterHub: log in, pull the edition, do exercise 00, get graded.

Everything runs for real on 127.0.0.1: jupyterhub with configurable-http-proxy,
DummyAuthenticator, one jupyterhub-singleuser server per learner from this virtualenv,
nbgitpuller pulling the learner edition written by ``ebpmkit edition`` into each home, a kernel
per learner running the exercise cell by cell over the kernel websocket, then
``ebpmkit collect`` and ``ebpmkit grade`` (in the bubblewrap sandbox) as a trainer would run
them. The expected scores follow from which answers each learner got right.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hubtools import (
    ROOT,
    Learner,
    answer_cells,
    code_sources,
    ebpmkit_command,
    fill,
    right_answers,
    tree_state,
    wrong_answers,
)

from ebpmkit.edition import build_edition, hub_links
from ebpmkit.grading import get_exercise
from ebpmkit.grading.messages import text

EXERCISE = get_exercise("00")
NOTEBOOK = f"exercises/{EXERCISE.notebook}"
#: Each learner's answers to q1, q2, q3: right, wrong (right form, wrong value) or blank.
PLANS = {
    "learner01": ("right", "right", "right"),
    "learner02": ("right", "right", "wrong"),
    "learner03": ("right", "wrong", "blank"),
    "learner04": ("wrong", "wrong", "wrong"),
    "learner05": ("blank", "blank", "blank"),
    "learner06": ("right", "blank", "right"),
    "learner07": ("wrong", "right", "blank"),
    "learner08": ("blank", "right", "wrong"),
    "learner09": ("right", "right", "blank"),
    "learner10": ("wrong", "blank", "right"),
}


def _expected_total(plan: tuple[str, ...]) -> int:
    return sum(q.points for q, how in zip(EXERCISE.questions, plan, strict=True) if how == "right")


def _no_solution_in(home: Path) -> list[str]:
    problems = []
    for path in home.rglob("*"):
        if ".git" in path.relative_to(home).parts or not path.is_file():
            continue
        rel = path.relative_to(home).as_posix()
        if "solutions" in path.relative_to(home).parts:
            problems.append(f"{rel}: a solutions folder")
        data = path.read_bytes()
        if b"### BEGIN SOLUTION" in data:
            problems.append(f"{rel}: a solution region")
        if path.suffix == ".ipynb":
            role = json.loads(data).get("metadata", {}).get("ebpmkit", {}).get("role")
            if role == "solution":
                problems.append(f"{rel}: a master notebook")
    return problems


def test_a_class_of_ten_pulls_the_edition_does_exercise_00_and_is_graded(hub, tmp_path):
    data_before = tree_state(hub.data)

    # The trainer writes the learner edition and the links to hand out.
    repo = tmp_path / "ebpm-edition"
    assert build_edition(ROOT, repo).commit is not None
    links = dict(hub_links(hub.url, str(repo), branch="main", exercises=[NOTEBOOK]))
    target = repo.name

    # Ten learners: created with the admin token, each logs in with the password.
    names = sorted(PLANS)
    hub.create_users(names)
    with pytest.raises(PermissionError):
        hub.login(names[0], password="not-the-password")
    for name in names:
        hub.login(name)
    for name in names:
        hub.start_server(name)
    for name in names:
        hub.wait_ready(name)
    learners = [Learner(hub, name, hub.user_token(name)) for name in names]

    # Each follows the exercise's link: nbgitpuller clones the edition into their home.
    with ThreadPoolExecutor(max_workers=5) as pool:
        pulled = list(pool.map(lambda lr: lr.pull(links[NOTEBOOK]), learners))
    for name, events in zip(names, pulled, strict=True):
        assert events and events[-1]["phase"] == "finished", (name, events[-3:])
        home = hub.homes / name
        assert (home / target / NOTEBOOK).is_file(), name
        assert not _no_solution_in(home), _no_solution_in(home)

    # Each fills in the answers, saves the notebook and runs it in a kernel of their server.
    right = right_answers(ROOT / "solutions" / EXERCISE.notebook)
    kinds = {q.id: q.kind for q in EXERCISE.questions}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EBPMKIT_DATA_DIR", str(hub.data))
        wrong = wrong_answers(EXERCISE, EXERCISE.data.load())
    path = f"{target}/{NOTEBOOK}"

    def work(learner: Learner) -> tuple[dict, list[dict]]:
        nb = fill(
            learner.read_notebook(path),
            dict(zip(kinds, PLANS[learner.name], strict=True)),
            right,
            wrong,
        )
        learner.save_notebook(path, nb)
        return nb, learner.run_cells(code_sources(nb))

    with ThreadPoolExecutor(max_workers=len(learners)) as pool:
        runs = dict(zip(names, pool.map(work, learners), strict=True))
    print("kernel connections made again:", {lr.name: lr.reconnects for lr in learners})
    for name, (nb, results) in runs.items():
        errors = [r["error"] for r in results if r["error"] or r["status"] != "ok"]
        assert not errors, (name, errors)
        code_index = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        for qid, how in zip(kinds, PLANS[name], strict=True):
            shown = results[code_index.index(answer_cells(nb)[qid])]["text"]
            if how == "right":
                assert "正解です" in shown, (name, qid, shown)
            elif how == "wrong":
                assert text("wrong", question=qid).split(" ", 1)[1] in shown, (name, qid, shown)
            else:
                assert text("unanswered", question=qid).split("。")[0] in shown, (name, qid, shown)
    hub.remember()

    # The trainer collects exercise 00 from the homes and grades it in the sandbox.
    collected = tmp_path / "collected"
    run = subprocess.run(
        [*ebpmkit_command(), "collect", "00", "--from", str(hub.homes), "--to", str(collected)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "10人分" in run.stdout and "ebpmkit grade" in run.stdout
    grades = tmp_path / "grades.csv"
    run = subprocess.run(
        [
            *ebpmkit_command(),
            "grade",
            str(collected),
            "--exercise",
            "00",
            "--out",
            str(grades),
            "--feedback",
            str(tmp_path / "feedback"),
            "--jobs",
            "2",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "EBPMKIT_DATA_DIR": str(hub.data)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    table = pd.read_csv(grades, encoding="utf-8-sig").set_index("learner")
    assert sorted(table.index) == names
    for name, plan in PLANS.items():
        row = table.loc[name]
        assert row["total"] == _expected_total(plan), (name, plan, row.to_dict())
        assert row["status"] == ("blank" if set(plan) == {"blank"} else "ok"), row.to_dict()
        for q, how in zip(EXERCISE.questions, plan, strict=True):
            points = row[q.id]
            assert (0 if pd.isna(points) else points) == (q.points if how == "right" else 0)

    # Nobody wrote into the shared data, and the hub stops with every server and kernel.
    assert tree_state(hub.data) == data_before
    assert hub.stop(), hub.log_tail()
    assert hub.alive() == []
