"""`ebpmkit profile check`: validation and a preview of population, ages and households."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ebpmkit.cli import main
from ebpmkit.errors import ParameterError
from ebpmkit.synth.population import age_group_shares
from ebpmkit.synth.preview import preview_profile
from ebpmkit.synth.profile import load_profile

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
PERSONS = 6000


@pytest.fixture(scope="module")
def town():
    return preview_profile("town", seed=3, persons=PERSONS)


def test_preview_runs_at_the_scale_it_reports(town):
    profile = load_profile("town")
    assert town.scale == pytest.approx(PERSONS / profile.number("population.start"))
    assert f"scale {town.scale:.3g}" in town.text()


def test_preview_gives_first_and_last_year_at_full_scale(town):
    profile = load_profile("town")
    first, last = int(profile.fiscal_years[0]), int(profile.fiscal_years[-1])
    assert list(town.summary.columns) == [first, last]
    people = town.summary.loc["人口(人)"]
    assert people[first] == pytest.approx(profile.number("population.start"), rel=0.01)
    assert people[last] == pytest.approx(profile.number("population.end"), rel=0.03)
    assert town.summary.loc["世帯数", last] == pytest.approx(
        profile.number("households.end"), rel=0.03
    )
    groups = town.summary.loc[["0～14歳(%)", "15～64歳(%)", "65歳以上(%)"], first].to_numpy()
    assert np.abs(groups - profile.numbers("population.age_share_targets")).max() < 2.0
    # The bands add up to 100 and their groups are the summary's groups.
    assert town.bands[first].sum() == pytest.approx(100)
    assert age_group_shares(town.bands[first].to_numpy()) == pytest.approx(groups)
    assert all(t.met for t in town.targets), [t for t in town.targets if not t.met]


def test_cli_prints_the_preview_in_japanese(capsys):
    assert main(["profile", "check", "town", "--persons", "3000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for word in ("人口(人)", "世帯数", "0～14歳", "95歳以上", "2015年度", "2024年度", "scale"):
        assert word in out
    assert "○" in out


def test_cli_reports_a_broken_profile_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "town"\n[population]\nstart = "lots"\n', encoding="utf-8")
    assert main(["profile", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert JAPANESE.search(first) and "population.start" in first
    assert "Traceback" not in err


def test_cli_reports_unmet_age_targets(tmp_path, capsys):
    bad = tmp_path / "targets.toml"
    bad.write_text(
        'extends = "town"\n[population]\nage_share_targets = [20, 50, 30]\n', encoding="utf-8"
    )
    assert main(["profile", "check", str(bad)]) == 2
    assert "population.age_share_targets" in capsys.readouterr().err.splitlines()[0]


def test_a_target_the_generator_ignores_is_a_note_in_the_preview(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'extends = "town"\n[income]\ntarget_income_per_taxpayer = 5000000\n', encoding="utf-8"
    )
    preview = preview_profile(mine, seed=1, persons=1000)
    notes = [line for line in preview.text().splitlines() if line.startswith("注意")]
    assert notes and "income.level" in notes[0]


def test_bad_persons_is_a_japanese_parameter_error():
    with pytest.raises(ParameterError, match="persons"):
        preview_profile("town", persons=10)


def test_income_targets_are_compared_and_an_unmet_one_is_marked(tmp_path):
    met = preview_profile("town", seed=2, persons=PERSONS, income=True)
    income = [t for t in met.targets if "income.target" in t.label]
    assert len(income) == 3 and all(t.met for t in income), income
    # A target moved without moving income.level is reported as not met.
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'extends = "town"\n[income]\ntarget_income_per_taxpayer = 6000000\n', encoding="utf-8"
    )
    moved = preview_profile(mine, seed=2, persons=PERSONS, income=True)
    (per_payer,) = [t for t in moved.targets if "target_income_per_taxpayer" in t.label]
    assert not per_payer.met and "600 万円" in per_payer.target
    assert "× " + per_payer.label in moved.text()
