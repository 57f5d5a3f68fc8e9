"""Profiles: built-ins load, every figure has a source, bad files fail with clear errors."""

from __future__ import annotations

import pytest

from ebpmkit.errors import ParameterError, ProfileError
from ebpmkit.synth import generate_tables, validate_profile
from ebpmkit.synth.profile import _PROFILE_DIR, _RATES_DIR, _is_leaf, builtin_profiles, load_profile


def test_builtin_profiles_load_and_validate():
    assert builtin_profiles() == ["designated-city", "regional-city", "town", "urban-ward"]
    for name in builtin_profiles():
        profile = load_profile(name)
        validate_profile(profile)
        assert profile.municipality


@pytest.mark.parametrize(
    "entry", [*_PROFILE_DIR.glob("*.toml"), *_RATES_DIR.glob("*.toml")], ids=lambda e: e.name
)
def test_every_builtin_figure_names_its_source(entry):
    import tomllib

    data = tomllib.loads(entry.read_text(encoding="utf-8"))

    def leaves(node, prefix=""):
        if _is_leaf(node):
            yield prefix, node
        elif isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, f"{prefix}.{k}" if prefix else k)
        else:
            yield prefix, None

    for key, leaf in leaves(data):
        assert leaf is not None, f"{entry.name}: '{key}' is written without a source"
        assert str(leaf.get("source", "")).strip(), f"{entry.name}: '{key}' has an empty source"


def test_unknown_profile_lists_the_accepted_names():
    with pytest.raises(ParameterError, match="urban-ward") as err:
        load_profile("metropolis")
    assert "profile" in str(err.value)


def test_malformed_toml_names_the_file(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text("[population\nend = 3", encoding="utf-8")
    with pytest.raises(ProfileError, match="mine.toml"):
        load_profile(bad)


def test_wrong_type_and_out_of_range_figures_name_the_key(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "town"\n[population]\nend = "many"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="population.end"):
        generate_tables(path, seed=1, scale=0.01)
    path.write_text('extends = "town"\n[population]\nforeign_share = 1.5\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="population.foreign_share"):
        generate_tables(path, seed=1, scale=0.01)
    path.write_text(
        'extends = "town"\n[population]\nage_band_shares = [50, 50]\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="age_band_shares"):
        generate_tables(path, seed=1, scale=0.01)


def test_missing_figure_names_the_key(tmp_path):
    path = tmp_path / "bare.toml"
    path.write_text('[municipality]\nname = "テスト町"\n', encoding="utf-8")
    with pytest.raises(
        ProfileError,
        match="has no figure .geography|has no figure .population|has no figure .years",
    ):
        generate_tables(path, seed=1, scale=0.01)


def test_user_profile_extends_a_builtin(tmp_path):
    path = tmp_path / "mytown.toml"
    path.write_text(
        'extends = "town"\n[municipality]\nname = { value = "試験町", source = "test" }\n',
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert profile.name == "mytown"
    assert profile.municipality == "試験町"
    assert profile.number("population.end") == load_profile("town").number("population.end")
    assert profile.digest != load_profile("town").digest


def test_extends_must_name_a_builtin(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('extends = "atlantis"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="extends"):
        load_profile(path)


def test_scale_and_seed_are_checked():
    with pytest.raises(ParameterError, match="scale"):
        generate_tables("town", seed=1, scale=0)
    with pytest.raises(ParameterError, match="scale"):
        generate_tables("town", seed=1, scale=-0.5)
    with pytest.raises(ParameterError, match="seed"):
        generate_tables("town", seed=-1, scale=0.1)
