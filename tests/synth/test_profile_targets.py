"""Targets the generator does not read are reported, never silently ignored."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import validate_profile
from ebpmkit.synth.population import (
    AGE_TARGET_TOLERANCE,
    age_group_shares,
    implied_male_share,
)
from ebpmkit.synth.profile import builtin_profiles, load_profile

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _profile(tmp_path, text: str, name: str = "mine"):
    path = tmp_path / f"{name}.toml"
    path.write_text('extends = "town"\n' + text, encoding="utf-8")
    return load_profile(path)


@pytest.mark.parametrize("name", builtin_profiles())
def test_built_in_targets_agree_with_the_bands_and_raise_no_warning(name):
    profile = load_profile(name)
    groups = age_group_shares(profile.numbers("population.age_band_shares"))
    targets = profile.numbers("population.age_share_targets")
    assert np.abs(groups - targets).max() <= AGE_TARGET_TOLERANCE
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_profile(profile)


def test_age_targets_the_bands_cannot_meet_are_an_error_in_japanese(tmp_path):
    profile = _profile(tmp_path, "[population]\nage_share_targets = [20.0, 50.0, 30.0]\n")
    with pytest.raises(ProfileError) as err:
        validate_profile(profile)
    first, english = str(err.value).split("\n")
    assert JAPANESE.search(first) and "population.age_share_targets" in first
    town = age_group_shares(load_profile("town").numbers("population.age_band_shares"))
    # The message gives the groups the bands make, so the fix can be copied from it.
    shown = "[" + ", ".join(f"{v:.1f}" for v in town) + "]"
    assert shown in first and "age_band_shares" in english


def test_new_bands_with_inherited_targets_are_caught_and_the_suggested_fix_works(tmp_path):
    town = load_profile("town").numbers("population.age_band_shares")
    older = town.copy()
    older[:5] -= 1.0  # five points moved from the young to the old
    older[-5:] += 1.0
    bands = ", ".join(f"{v:.1f}" for v in older)
    text = f"[population]\nage_band_shares = [{bands}]\n"
    with pytest.raises(ProfileError, match="age_share_targets"):
        validate_profile(_profile(tmp_path, text))
    groups = age_group_shares(older)
    fixed = text + "age_share_targets = [" + ", ".join(f"{v:.1f}" for v in groups) + "]\n"
    # Older bands also mean more women (more of them live long): male_share follows.
    male = implied_male_share(older, load_profile("town").numbers("population.male_share_by_age"))
    fixed += f"male_share = {male:.3f}\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_profile(_profile(tmp_path, fixed, "fixed"))


@pytest.mark.parametrize(
    ("key", "line", "driver"),
    [
        (
            "income.target_income_per_taxpayer",
            "[income]\ntarget_income_per_taxpayer = 5000000\n",
            "income.level",
        ),
        (
            "income.target_levy_payer_share",
            "[income]\ntarget_levy_payer_share = 0.6\n",
            "income.employment_factor",
        ),
    ],
)
def test_a_target_written_in_a_users_profile_is_reported_with_what_to_change(
    tmp_path, key, line, driver
):
    profile = _profile(tmp_path, line)
    with pytest.warns(UserWarning) as caught:
        validate_profile(profile)
    texts = [str(w.message) for w in caught]
    hit = [t for t in texts if key in t.splitlines()[0]]
    assert hit, texts
    assert JAPANESE.search(hit[0].splitlines()[0]) and driver in hit[0].splitlines()[0]


def test_a_male_share_the_sexes_by_age_cannot_give_is_an_error(tmp_path):
    profile = _profile(tmp_path, "[population]\nmale_share = 0.45\n")
    town = load_profile("town")
    implied = implied_male_share(
        town.numbers("population.age_band_shares"), town.numbers("population.male_share_by_age")
    )
    with pytest.raises(ProfileError) as err:
        validate_profile(profile)
    first = str(err.value).splitlines()[0]
    assert "population.male_share" in first and f"{implied:.3f}" in first
    ok = _profile(tmp_path, f"[population]\nmale_share = {implied:.3f}\n", "ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_profile(ok)


def test_a_plain_extension_writes_no_target_and_gets_no_warning(tmp_path):
    profile = _profile(tmp_path, "[population]\nstart = 30000\nend = 29000\n")
    assert profile.own_keys == {"extends", "population.start", "population.end"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_profile(profile)
