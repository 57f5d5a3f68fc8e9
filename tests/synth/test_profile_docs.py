"""docs/profile-keys.md: every profile key declared, described in Japanese, and the page in sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ebpmkit.synth.profile import WHEN, Param, _known_keys
from ebpmkit.synth.profile_docs import declared_parameters, render_profile_keys

ROOT = Path(__file__).resolve().parents[2]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DECLARED = declared_parameters()
BY_KEY = {p.key: p for p in DECLARED}


def _leaves(node: dict, prefix: str = ""):
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and path not in BY_KEY:
            yield from _leaves(value, path)
        else:
            yield path


def test_committed_page_is_up_to_date():
    committed = (ROOT / "docs" / "profile-keys.md").read_text(encoding="utf-8")
    expected = render_profile_keys() + "\n"
    assert committed == expected, "run `python -m ebpmkit.synth.profile_docs` to refresh it"


def test_every_key_a_profile_may_hold_is_declared():
    # The keys of the national rates and of every built-in profile; a table the profile names
    # freely (furusato.gifts) is declared as a whole.
    missing = sorted(set(_leaves(_known_keys())) - set(BY_KEY))
    assert not missing, "declare these keys with a Param (ja, unit, when): " + ", ".join(missing)


@pytest.mark.parametrize("param", DECLARED, ids=lambda p: p.key)
def test_every_declaration_says_in_japanese_what_it_drives_and_when(param: Param):
    assert JAPANESE.search(param.ja), f"{param.key}: no Japanese description"
    assert param.when in WHEN
    assert f"`{param.key}`" in render_profile_keys()


def test_a_target_names_the_figure_that_drives_it():
    targets = [p for p in DECLARED if p.when == "check"]
    assert {"population.age_share_targets", "income.target_income_per_taxpayer"} <= {
        p.key for p in targets
    }
    for param in targets:
        assert param.driver in BY_KEY, param.key
        assert BY_KEY[param.driver].when != "check", param.key


def test_a_declaration_with_an_unknown_year_code_is_a_bug():
    with pytest.raises(AssertionError, match="when"):
        Param("population.start", when="sometimes")


def test_the_page_shows_unit_and_year_of_a_first_year_figure():
    row = next(
        line
        for line in render_profile_keys().splitlines()
        if line.startswith("| `population.age_band_shares`")
    )
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "%"
    assert cells[3] == WHEN["first"].split("(")[0]
    assert "20個" in cells[4]
