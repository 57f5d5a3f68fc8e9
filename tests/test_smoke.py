"""The smoke set: what a learner does first, on whatever versions are installed.

`make smoke-lowest` runs this file (with lesson 00 and exercise 00 under nbval) in an
environment holding the lowest versions that pyproject.toml allows, so the lower bounds stay
honest; `make test` runs it on the lock like every other test.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

import ebpmkit
from ebpmkit.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("variant", ["pseudonymized", "raw"])
@pytest.mark.parametrize("profile", ebpmkit.builtin_profiles())
def test_every_profile_loads(profile, variant):
    ds = ebpmkit.load(profile, scale=0.02, variant=variant, progress=False)
    ry = ds.resident_years
    assert len(ry) > 0 and ry["fiscal_year"].nunique() == len(ds.profile.fiscal_years)
    assert ("identities" in ds.tables) == (variant == "raw")
    # Joins by person work in both variants (pseudonyms are the same in every table).
    assert ry["person_id"].isin(ds.residents["person_id"]).all()
    assert set(ds.dictionary["table"]) >= set(ds.tables)


@pytest.mark.parametrize("profile", ebpmkit.builtin_profiles())
def test_every_profile_loads_its_release(profile):
    # The release (匿名加工情報) has one register of people, no linking codes, and geography.
    ds = ebpmkit.load(profile, scale=0.02, variant="anonymized", progress=False)
    assert set(ds.tables) == {"districts", "chome", "residents"} and len(ds.residents) > 0
    assert not {"person_id", "household_id"} & set(ds.residents.columns)
    assert set(ds.dictionary["table"]) == set(ds.tables)


def test_grade_exercise_00(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROGRESS_DIR", str(tmp_path / "progress"))
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(ROOT / "solutions" / "00_practice.ipynb", submissions / "00_practice_alice.ipynb")
    shutil.copy(ROOT / "exercises" / "00_practice.ipynb", submissions / "00_practice_bob.ipynb")
    out = tmp_path / "report" / "grades.csv"
    args = ["grade", str(submissions), "--out", str(out), "--timeout", "120", "--quiet"]
    assert cli_main([*args, "--feedback", str(tmp_path / "feedback")]) == 0
    with open(out, encoding="utf-8-sig") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    assert rows["alice"]["status"] == "ok" and float(rows["alice"]["total"]) == 30
    assert rows["bob"]["status"] == "blank" and float(rows["bob"]["total"] or 0) == 0
