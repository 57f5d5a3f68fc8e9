"""Texts name the municipality as its kind says: 区・市・町・村, 特別区民税 or 市町村民税."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ebpmkit
from ebpmkit.errors import ProfileError
from ebpmkit.synth import validate_profile
from ebpmkit.synth.profile import KIND_WORDS, Profile, load_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("name", "suffix", "tax"),
    [
        ("urban-ward", "区", "特別区民税"),
        ("regional-city", "市", "市町村民税"),
        ("town", "町", "市町村民税"),
    ],
)
def test_built_in_profiles_get_the_words_of_their_kind(name, suffix, tax):
    words = load_profile(name).words
    assert words.suffix == suffix and words.resident_tax == tax
    assert words.residents == suffix + "民"
    # The name ends with the kind's word (ひばり野区, 水鏡市, 寒梅町).
    assert load_profile(name).municipality.endswith(suffix)


def test_the_dataset_has_the_profiles_words():
    ds = ebpmkit.load("town", scale=0.02, tables=["districts"], progress=False)
    assert ds.words == KIND_WORDS["town"]
    assert f"{ds.words.suffix}の減収" == "町の減収"


def test_without_a_kind_the_name_decides_else_a_city():
    bare = load_profile("town").values
    for name, kind in (("夢ノ木村", "village"), ("夢ノ木", "city")):
        values = {**bare, "municipality": {"name": name}}
        profile = Profile(name="x", values=values)
        assert profile.words.kind == kind


def test_an_unknown_kind_is_a_japanese_error(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "town"\n[municipality]\nkind = "county"\n', encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        validate_profile(load_profile(path))
    first = str(err.value).splitlines()[0]
    assert "municipality.kind" in first and "'town'" in first


@pytest.mark.parametrize("lesson", ["01_what_is_ebpm", "06_case_furusato"])
def test_lessons_compute_the_kind_word_instead_of_writing_ku(lesson):
    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    joined = "\n".join(code)
    assert "ds.words" in joined
    for fixed in ("区の減収", "区が受け入れた", "区民の区外"):
        assert fixed not in joined, f"{lesson}: '{fixed}' should come from ds.words"
