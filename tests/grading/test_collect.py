"""ebpmkit collect: learners' notebooks copied out of their homes, read-only, never changed."""

from __future__ import annotations

import hashlib
import os
import shlex
import stat
import time
from pathlib import Path

import pytest

from ebpmkit.cli import main
from ebpmkit.errors import ParameterError
from ebpmkit.grading import collect
from ebpmkit.grading.grade import find_submissions


def _digest(folder: Path) -> dict[str, tuple[str, int, float]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode, st.st_mtime)
    return out


def _put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def homes(tmp_path):
    """Homes in the layouts grade.py knows, one learner each way, plus two without a notebook."""
    root = tmp_path / "homes"
    # nbgitpuller's clone folder inside a JupyterHub home
    _put(root / "jupyter-tanaka" / "ebpm-edition" / "exercises" / "00_practice.ipynb", "tanaka")
    # escaped name (sato.k) and the edition straight in the home
    _put(root / "jupyter-sato-2ek" / "exercises" / "00_practice.ipynb", "sato.k")
    # a plain /home/<name> home with a copy the learner made, and an older original
    old = _put(root / "suzuki" / "exercises" / "00_practice.ipynb", "suzuki original")
    _put(root / "suzuki" / "exercises" / "00_practice-Copy1.ipynb", "suzuki copy")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    # checkpoints and other exercises do not count
    _put(root / "yamada" / "exercises" / ".ipynb_checkpoints" / "00_practice-checkpoint.ipynb", "x")
    _put(root / "yamada" / "exercises" / "02_reading_resident_data.ipynb", "other")
    (root / "ito").mkdir()
    return root


def test_each_notebook_is_copied_read_only_and_the_homes_are_untouched(homes, tmp_path):
    before = _digest(homes)
    to = tmp_path / "collected"
    report = collect.collect("00", homes, to)
    assert _digest(homes) == before
    assert sorted(report.copied) == ["sato.k", "suzuki", "tanaka"]
    assert report.missing == ["ito", "yamada"]
    for learner, path in report.copied.items():
        assert path.parent == to / learner
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert report.copied["tanaka"].read_text(encoding="utf-8") == "tanaka"
    assert report.copied["sato.k"].read_text(encoding="utf-8") == "sato.k"
    # the handed-out name wins over a newer copy, and the line says there were two
    assert report.copied["suzuki"].read_text(encoding="utf-8") == "suzuki original"
    lines = {line.ja.split(":")[0]: line.ja for line in report.lines}
    assert "2個" in lines["suzuki"] and "00_practice-Copy1.ipynb" in lines["suzuki"]
    assert "ノートブックがありません" in lines["ito"]


def test_grade_names_the_collected_learners_by_their_folder(homes, tmp_path):
    to = tmp_path / "collected"
    collect.collect("00", homes, to)
    learners = sorted(s.learner for s in find_submissions([to]))
    assert learners == ["sato.k", "suzuki", "tanaka"]


def test_collecting_again_replaces_the_read_only_copy(homes, tmp_path):
    to = tmp_path / "collected"
    collect.collect("00", homes, to)
    _put(homes / "jupyter-tanaka" / "ebpm-edition" / "exercises" / "00_practice.ipynb", "v2")
    report = collect.collect("00", homes, to)
    assert report.copied["tanaka"].read_text(encoding="utf-8") == "v2"
    assert stat.S_IMODE(report.copied["tanaka"].stat().st_mode) == 0o444


def test_the_command_reports_in_japanese_and_prints_the_grade_command(homes, tmp_path, capsys):
    to = tmp_path / "collected"
    assert main(["collect", "00", "--from", str(homes), "--to", str(to)]) == 0
    out = capsys.readouterr().out
    assert "3人分" in out and "ノートブックがない人: 2人" in out
    command = shlex.split(out.strip().splitlines()[-1])
    assert command[:5] == ["ebpmkit", "grade", str(to), "--exercise", "00"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["collect", "00", "--from", str(empty), "--to", str(to)]) == 1


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda tmp: collect.collect("99", tmp, tmp / "out"), "exercise"),
        (lambda tmp: collect.collect("00", tmp / "none", tmp / "out"), "homes"),
        (lambda tmp: collect.collect("00", tmp, tmp / "inside"), "to"),
    ],
)
def test_bad_input_names_the_parameter(call, parameter, tmp_path):
    with pytest.raises(ParameterError) as err:
        call(tmp_path)
    assert parameter in str(err.value).splitlines()[0]
