"""The learner edition (ebpmkit edition) and the nbgitpuller links (ebpmkit hub-link)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from ebpmkit import edition
from ebpmkit.cli import main
from ebpmkit.errors import ParameterError

REPO = Path(__file__).resolve().parent.parent


def _commits(folder: Path) -> int:
    out = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"], cwd=folder, capture_output=True, text=True
    )
    return int(out.stdout)


@pytest.fixture
def curriculum(tmp_path):
    """A copy of the parts of the curriculum the edition reads, plus masters and trainer docs."""
    root = tmp_path / "curriculum"
    for part in ("notebooks", "exercises", "solutions", "docs"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("images"))
    (root / "synthetic").mkdir()
    for name in ("README.md", "dictionary.csv"):
        shutil.copy2(REPO / "synthetic" / name, root / "synthetic" / name)
    return root


def test_the_edition_holds_lessons_exercises_and_dictionary_but_no_solution(curriculum, tmp_path):
    out = tmp_path / "edition"
    result = edition.build_edition(curriculum, out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if ".git" not in p.parts}
    files = {f for f in files if (out / f).is_file()}
    lessons = {f"notebooks/{p.name}" for p in (curriculum / "notebooks").glob("*.ipynb")}
    exercises = {f"exercises/{p.name}" for p in (curriculum / "exercises").glob("*.ipynb")}
    assert lessons and exercises
    assert lessons <= files and exercises <= files
    assert {"synthetic/README.md", "synthetic/dictionary.csv", "README.md"} <= files
    assert not any(f.startswith(("solutions/", "docs/", "notebooks/manager/")) for f in files)
    # nothing of a master: no solution region, no notebook marked as a solution, no copy of one
    masters = {p.read_bytes() for p in (curriculum / "solutions").glob("*.ipynb")}
    for f in files:
        data = (out / f).read_bytes()
        assert b"### BEGIN SOLUTION" not in data, f
        assert data not in masters, f
        if f.endswith(".ipynb"):
            role = json.loads(data)["metadata"].get("ebpmkit", {}).get("role")
            assert role != "solution", f
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "架空" in readme and f"練習問題({len(exercises)}個)" in readme
    assert result.commit is not None and _commits(out) == 1
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=out, capture_output=True, text=True
    ).stdout.split()
    assert set(tracked) == files


def test_a_second_run_commits_only_a_change(curriculum, tmp_path):
    out = tmp_path / "edition"
    edition.build_edition(curriculum, out)
    again = edition.build_edition(curriculum, out)
    assert again.commit is None and again.changed == () and _commits(out) == 1
    assert edition.edition_is_current(curriculum, out) == []

    lesson = curriculum / "notebooks" / "00_orientation.ipynb"
    lesson.write_bytes(lesson.read_bytes().replace(b"}", b"} ", 1))
    (curriculum / "exercises" / "04_maps.ipynb").unlink()
    assert edition.edition_is_current(curriculum, out) == [
        edition.MARKER,
        "README.md",  # it counts the exercises
        "exercises/04_maps.ipynb",
        "notebooks/00_orientation.ipynb",
    ]
    third = edition.build_edition(curriculum, out)
    assert third.commit is not None and _commits(out) == 2
    assert not (out / "exercises" / "04_maps.ipynb").exists()
    assert (out / "notebooks" / "00_orientation.ipynb").read_bytes() == lesson.read_bytes()
    assert edition.edition_is_current(curriculum, out) == []


def test_a_solution_in_the_curriculum_stops_the_edition_before_writing(curriculum, tmp_path):
    master = curriculum / "solutions" / "00_practice.ipynb"
    shutil.copy2(master, curriculum / "exercises" / "00_practice.ipynb")
    out = tmp_path / "edition"
    with pytest.raises(ParameterError, match="00_practice.ipynb"):
        edition.build_edition(curriculum, out)
    assert not out.exists()
    # a master's metadata alone gives it away too, without the region markers
    nb = json.loads(master.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("### BEGIN SOLUTION", "")
        cell["source"] = cell["source"].replace("### END SOLUTION", "")
    (curriculum / "exercises" / "00_practice.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(ParameterError, match="root"):
        edition.edition_files(curriculum)


def test_a_folder_that_is_not_an_edition_is_left_alone(curriculum, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ParameterError, match="out"):
        edition.build_edition(curriculum, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_the_command_writes_checks_and_reports_in_japanese(
    curriculum, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(curriculum)
    out = tmp_path / "edition"
    assert main(["edition", "--out", str(out), "--check"]) == 1
    assert "古くなっています" in capsys.readouterr().err
    assert main(["edition", "--out", str(out)]) == 0
    assert "書き出しました" in capsys.readouterr().out
    assert main(["edition", "--out", str(out), "--check"]) == 0
    assert "最新です" in capsys.readouterr().out
    (curriculum / "synthetic" / "dictionary.csv").write_text("changed\n", encoding="utf-8")
    assert main(["edition", "--out", str(out), "--check"]) == 1
    assert "synthetic/dictionary.csv" in capsys.readouterr().err


# --- hub links -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "repo",
    [
        "https://git.example.jp/city/ebpm-edition.git",
        "/srv/教材 2026/edition",
        "file:///srv/edition?x=1&y=2#frag",
    ],
)
def test_links_round_trip_through_the_query(repo):
    links = edition.hub_links(
        "https://hub.example.jp/base/",
        repo,
        branch="main",
        exercises=["exercises/00_practice.ipynb", "exercises/06_case_furusato.ipynb"],
    )
    assert [w for w, _ in links] == [
        "edition",
        "exercises/00_practice.ipynb",
        "exercises/06_case_furusato.ipynb",
    ]
    target = repo.rstrip("/").split("/")[-1].removesuffix(".git")
    for what, link in links:
        parts = urllib.parse.urlsplit(link)
        assert (parts.scheme, parts.netloc) == ("https", "hub.example.jp")
        assert parts.path == "/base/hub/user-redirect/git-pull" and not parts.fragment
        query = urllib.parse.parse_qs(parts.query, strict_parsing=True)
        assert query["repo"] == [repo] and query["branch"] == ["main"]
        assert query["targetpath"] == [target]
        opened = "README.md" if what == "edition" else what
        assert query["urlpath"] == [f"lab/tree/{target}/{opened}"]


def test_without_a_branch_the_link_lets_nbgitpuller_choose():
    ((_, link),) = edition.hub_links("http://127.0.0.1:8000", "/srv/ed", open="notebooks")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert "branch" not in query and query["urlpath"] == ["lab/tree/ed/notebooks"]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"hub": "hub.example.jp", "repo": "/srv/ed"}, "hub"),
        ({"hub": "ftp://hub.example.jp", "repo": "/srv/ed"}, "hub"),
        ({"hub": "https://hub.example.jp", "repo": "  "}, "repo"),
        ({"hub": "https://hub.example.jp", "repo": "/srv/ed", "open": "../secret"}, "open"),
    ],
)
def test_bad_link_input_names_the_parameter(kwargs, parameter):
    with pytest.raises(ParameterError) as err:
        edition.hub_links(**kwargs)
    assert f"'{parameter}'" in str(err.value).splitlines()[0]


def test_hub_link_command_prints_one_link_per_exercise(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert main(["hub-link", "--hub", "https://hub.example.jp", "--repo", "/srv/ed"]) == 0
    out = capsys.readouterr().out
    links = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert len(links) == 1 + len(list((REPO / "exercises").glob("*.ipynb")))
    assert "教材全体" in out
