"""`ebpmkit generate --class`: every dataset of the lessons, workshop and exercises, once each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ebpmkit import cache
from ebpmkit.classdata import ClassDataset, class_datasets, generate_class, lesson_scales
from ebpmkit.cli import main
from ebpmkit.errors import ParameterError
from ebpmkit.grading import questions
from ebpmkit.synth.profile import load_profile
from ebpmkit.widgets import WORKSHOP_SCALE

ROOT = Path(__file__).resolve().parents[1]
ENV = {"EBPMKIT_PROFILE": "town", "EBPMKIT_SEED": "7"}


def _notebook(folder: Path, name: str, *sources: str) -> None:
    cells = [{"cell_type": "code", "source": s} for s in sources]
    cells.append({"cell_type": "markdown", "source": "ebpmkit.load(scale=0.3)"})  # not code
    (folder / f"{name}.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")


def test_lesson_scales_reads_each_load_call_of_the_code_cells(tmp_path):
    _notebook(tmp_path, "01_a", "ds = ebpmkit.load()", "x = json.load(f)")
    _notebook(tmp_path, "02_b", "raw = ebpmkit.load(variant='raw', scale=0.05)\n%matplotlib inline")
    _notebook(tmp_path, "03_c", "ds = ebpmkit.load(tables=['districts'], scale=0.05)")
    # The cell with a magic cannot be parsed and is skipped; json.load is not ours.
    assert lesson_scales(tmp_path) == {1.0: ["01_a"], 0.05: ["03_c"]}


def test_every_exercise_and_the_lessons_default_load_are_listed_once():
    sets = class_datasets(ENV, lessons=ROOT / "notebooks")
    keys = [(d.profile, d.seed, d.scale) for d in sets]
    assert len(keys) == len(set(keys))
    assert [d.scale for d in sets] == sorted(d.scale for d in sets)
    by_key = dict(zip(keys, sets, strict=True))
    assert "レッスンの既定" in by_key[("town", 7, 1.0)].used_by
    assert "管理職向けワークショップ" in by_key[("town", 7, WORKSHOP_SCALE)].used_by
    for exercise_id in questions.exercise_ids():
        config = questions.get_exercise(exercise_id).data
        profile, seed = config.resolve(ENV)
        assert f"練習問題 {exercise_id}" in by_key[(profile, seed, config.scale)].used_by
    for scale, lessons in lesson_scales(ROOT / "notebooks").items():
        for lesson in lessons:
            assert f"レッスン {lesson}" in by_key[("town", 7, scale)].used_by


def test_without_a_class_profile_the_banks_profile_is_used():
    sets = class_datasets({}, lessons=None)
    profiles = {d.profile for d in sets}
    banks = {str(questions.get_exercise(i).data.profile) for i in questions.exercise_ids()}
    assert banks <= profiles


def test_generate_class_fills_the_data_folder_once(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(tmp_path))
    tiny = [ClassDataset("town", 3, 0.02, ("テスト",))]
    (folder,) = generate_class(tiny, progress=False)
    assert folder.parent == tmp_path and (folder / "manifest.json").is_file()
    assert folder == cache.dataset_folder("town", load_profile("town").digest, 3, 0.02)
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    assert generate_class(tiny, progress=False) == [folder]
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp  # kept, not rebuilt


def test_cli_lists_the_class_datasets_without_generating(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    monkeypatch.setenv("EBPMKIT_SEED", "7")
    assert main(["generate", "--class", "--list"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "練習問題 00" in out and "レッスンの既定" in out
    assert not any(tmp_path.iterdir())


def test_cli_refuses_class_with_a_profile_or_seed(capsys):
    assert main(["generate", "--class", "--seed", "3"]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert "--seed" in first and "EBPMKIT_SEED" in first


def test_bad_inputs_are_japanese_errors(tmp_path):
    with pytest.raises(ParameterError, match="datasets"):
        generate_class("town")
    with pytest.raises(ParameterError, match="見つかりません"):
        lesson_scales(tmp_path / "none")


def test_cli_list_without_class_is_refused(capsys):
    assert main(["generate", "--list"]) == 2
    assert "--class" in capsys.readouterr().err.splitlines()[0]
