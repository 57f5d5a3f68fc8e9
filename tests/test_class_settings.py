"""The class's municipality (EBPMKIT_PROFILE, EBPMKIT_SEED) and a shared data folder on a hub."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

import ebpmkit
from ebpmkit import cache, dataset
from ebpmkit.errors import CacheError, ParameterError
from ebpmkit.grading import get_exercise
from ebpmkit.grading.questions import EXERCISE_SEED_OFFSET, DatasetConfig

TINY = {"scale": 0.01, "progress": False}


@pytest.fixture(autouse=True)
def _no_class_settings(monkeypatch):
    """Start every test without the class settings a developer's shell might carry."""
    for name in (dataset.PROFILE_ENV, dataset.SEED_ENV, dataset.CLASS_FILE_ENV, cache.PRIVATE_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


class _Chosen(Exception):
    """Raised by a stand-in for the cache lookup, carrying what load() chose."""


@pytest.fixture
def chosen(monkeypatch):
    """load() and generate() stop at the cache and report the profile and seed they chose."""

    def stop(profile, seed, scale, *args, **kwargs):
        raise _Chosen(profile.name, seed)

    monkeypatch.setattr(dataset, "_ensure_cached", stop)
    monkeypatch.setattr(dataset, "_build", stop)

    def pick(call):
        with pytest.raises(_Chosen) as info:
            call()
        return info.value.args

    return pick


def _first_line(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value).splitlines()[0]


# --- the class's profile and seed ----------------------------------------------------------


def test_without_settings_load_uses_the_documented_defaults(chosen):
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("urban-ward", ebpmkit.DEFAULT_SEED)


def test_environment_chooses_profile_and_seed_of_load_and_generate(chosen, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    monkeypatch.setenv("EBPMKIT_SEED", "42")
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("town", 42)
    assert chosen(lambda: ebpmkit.generate(**TINY)) == ("town", 42)


def test_explicit_arguments_win_over_the_environment(chosen, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    monkeypatch.setenv("EBPMKIT_SEED", "42")
    assert chosen(lambda: ebpmkit.load("regional-city", 7, **TINY)) == ("regional-city", 7)
    assert chosen(lambda: ebpmkit.load(seed=0, **TINY)) == ("town", 0)


def test_a_profile_file_in_the_environment_is_used(chosen, monkeypatch, tmp_path):
    own = tmp_path / "our-town.toml"
    own.write_text('extends = "town"\n', encoding="utf-8")
    monkeypatch.setenv("EBPMKIT_PROFILE", str(own))
    assert dataset.class_profile() == own
    assert chosen(lambda: ebpmkit.load(**TINY))[0] == "our-town"


@pytest.mark.parametrize("value", ["twon", "town.toml", "/no/such/profile.toml"])
def test_a_bad_profile_setting_is_a_japanese_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("EBPMKIT_PROFILE", value)
    with pytest.raises(ParameterError) as info:
        ebpmkit.load(**TINY)
    first = _first_line(info)
    assert first.startswith("環境変数 EBPMKIT_PROFILE")
    assert repr(value) in first
    assert "town" in first and "urban-ward" in first  # the names it accepts
    assert "The EBPMKIT_PROFILE variable" in str(info.value)


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "2e3"])
def test_a_bad_seed_setting_is_a_japanese_error_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("EBPMKIT_SEED", value)
    with pytest.raises(ParameterError) as info:
        ebpmkit.load(**TINY)
    first = _first_line(info)
    assert first.startswith("環境変数 EBPMKIT_SEED")
    assert "0以上の整数" in first and repr(value) in first


def test_blank_settings_mean_unset(chosen, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", " ")
    monkeypatch.setenv("EBPMKIT_SEED", "")
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("urban-ward", ebpmkit.DEFAULT_SEED)


def test_a_class_really_gets_its_municipality(data_dir, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    monkeypatch.setenv("EBPMKIT_SEED", "11")
    ds = ebpmkit.load(tables=["households"], **TINY)
    assert (ds.profile.name, ds.seed, ds.municipality) == ("town", 11, "寒梅町")


# --- the class file (ebpmkit-class.toml) -----------------------------------------------------


def _class_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / dataset.CLASS_FILE_NAME
    path.write_text(text, encoding="utf-8")
    return path


def test_a_class_file_in_the_data_folder_chooses_load_and_exercises(chosen, data_dir):
    _class_file(data_dir, 'profile = "town"\nseed = 2026\n')
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("town", 2026)
    assert chosen(get_exercise("00").data.load) == ("town", 2026 + EXERCISE_SEED_OFFSET)
    settings = dataset.class_settings()
    assert (settings.profile_from, settings.seed_from) == ("class file", "class file")
    assert settings.file == data_dir / dataset.CLASS_FILE_NAME


def test_the_environment_wins_over_the_class_file_key_by_key(chosen, data_dir, monkeypatch):
    _class_file(data_dir, 'profile = "town"\nseed = 2026\n')
    monkeypatch.setenv("EBPMKIT_SEED", "5")
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("town", 5)
    monkeypatch.delenv("EBPMKIT_SEED")
    monkeypatch.setenv("EBPMKIT_PROFILE", "regional-city")
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("regional-city", 2026)


def test_a_class_file_with_one_key_leaves_the_other_default(chosen, data_dir):
    _class_file(data_dir, "seed = 9\n")
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("urban-ward", 9)
    # The bank's own profile stands when the class chose none.
    bank = DatasetConfig("town", seed=ebpmkit.DEFAULT_SEED + 3)
    assert bank.resolve() == ("town", 12)


def test_the_class_file_variable_names_another_place(chosen, tmp_path, monkeypatch):
    path = _class_file(tmp_path / "elsewhere", 'profile = "town"\nseed = 1\n')
    monkeypatch.setenv("EBPMKIT_CLASS_FILE", str(path))
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("town", 1)


def test_a_named_class_file_that_is_missing_is_a_japanese_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_CLASS_FILE", str(tmp_path / "none.toml"))
    with pytest.raises(ParameterError) as info:
        dataset.class_settings()
    first = _first_line(info)
    assert first.startswith("研修の設定ファイル") and "none.toml" in first
    assert "EBPMKIT_CLASS_FILE" in first


def test_a_profile_file_is_found_beside_the_class_file(chosen, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "our-town.toml").write_text('extends = "town"\n', encoding="utf-8")
    _class_file(data_dir, 'profile = "our-town.toml"\n')
    assert dataset.class_profile() == (data_dir / "our-town.toml").resolve()
    assert chosen(lambda: ebpmkit.load(**TINY))[0] == "our-town"


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ('profil = "town"\n', "'profil'", "'profile'"),
        ("sede = 3\n", "'sede'", "'seed'"),
        ('profile = "twon"\n', "'profile'", "urban-ward"),
        ('profile = "missing.toml"\n', "'profile'", "town"),
        ("seed = -2\n", "'seed'", "0以上の整数"),
        ('seed = "7"\n', "'seed'", "0以上の整数"),
        ("seed = 1.5\n", "'seed'", "0以上の整数"),
    ],
)
def test_a_bad_class_file_is_a_japanese_error_naming_the_file_and_key(data_dir, text, key, hint):
    path = _class_file(data_dir, text)
    with pytest.raises(ParameterError) as info:
        ebpmkit.load(**TINY)
    first = _first_line(info)
    assert first.startswith(f"研修の設定ファイル {path} の項目 {key}"), first
    assert hint in first
    assert str(path) in str(info.value).splitlines()[1]  # the English line names it too


def test_a_class_file_that_is_not_toml_names_the_file(data_dir):
    path = _class_file(data_dir, 'profile = "town\n')
    with pytest.raises(ParameterError) as info:
        dataset.class_settings()
    assert _first_line(info).startswith(f"研修の設定ファイル {path} は TOML")


def test_generate_class_writes_the_class_file_that_learners_then_read(
    chosen, data_dir, tmp_path, monkeypatch, capsys
):
    from ebpmkit import classdata
    from ebpmkit.cli import main

    own = tmp_path / "profiles" / "our-town.toml"
    own.parent.mkdir()
    own.write_text('extends = "town"\n', encoding="utf-8")
    monkeypatch.setenv("EBPMKIT_PROFILE", str(own))
    monkeypatch.setenv("EBPMKIT_SEED", "2026")
    monkeypatch.setattr(classdata, "generate_class", lambda datasets, progress: [])
    assert main(["generate", "--class", "--write-class-file"]) == 0
    written = data_dir / dataset.CLASS_FILE_NAME
    assert str(written) in capsys.readouterr().out
    assert _bits(written) == 0o644
    # The profile was copied beside the class file, so a learner who cannot read the
    # trainer's own folder still finds it.
    assert (data_dir / "our-town.toml").read_text(encoding="utf-8") == own.read_text("utf-8")
    monkeypatch.delenv("EBPMKIT_PROFILE")
    monkeypatch.delenv("EBPMKIT_SEED")
    own.unlink()
    assert chosen(lambda: ebpmkit.load(**TINY)) == ("our-town", 2026)


def test_write_class_file_needs_class(capsys):
    from ebpmkit.cli import main

    assert main(["generate", "--write-class-file"]) == 2
    assert "--class" in capsys.readouterr().err.splitlines()[0]


# --- exercises: the bank's dataset is the default, the class overrides it ---------------------


def test_exercise_dataset_defaults_to_the_bank():
    bank = DatasetConfig("town", seed=500, scale=0.05)
    assert bank.resolve({}) == ("town", 500)
    none = DatasetConfig("town")
    assert none.resolve({}) == ("town", ebpmkit.DEFAULT_SEED + EXERCISE_SEED_OFFSET)


def test_class_settings_move_every_exercise_and_keep_its_offset():
    # The bank's seed is 5 above the default seed; with the class's seed 1000 the exercise
    # uses 1005, so it stays 5 away from the seed the class's lessons load.
    bank = DatasetConfig("urban-ward", seed=ebpmkit.DEFAULT_SEED + 5, scale=0.05)
    env = {"EBPMKIT_PROFILE": "town", "EBPMKIT_SEED": "1000"}
    assert bank.resolve(env) == ("town", 1005)
    lesson_seed = dataset.class_seed(env)
    assert bank.resolve(env)[1] - lesson_seed == bank.resolve({})[1] - ebpmkit.DEFAULT_SEED
    # A seed below the offset's reach wraps within numpy's range instead of going negative.
    below = DatasetConfig("town", seed=ebpmkit.DEFAULT_SEED - 5)
    assert below.resolve({"EBPMKIT_SEED": "0"})[1] == 2**32 - 5


def test_exercise_settings_are_validated_like_load():
    with pytest.raises(ParameterError, match="EBPMKIT_SEED"):
        DatasetConfig().resolve({"EBPMKIT_SEED": "seven"})
    with pytest.raises(ParameterError, match="EBPMKIT_PROFILE"):
        DatasetConfig().resolve({"EBPMKIT_PROFILE": "ward"})


def test_an_exercise_loads_the_class_municipality(chosen, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", "regional-city")
    monkeypatch.setenv("EBPMKIT_SEED", "77")
    ex = get_exercise("00")
    assert chosen(ex.data.load) == ("regional-city", 77 + EXERCISE_SEED_OFFSET)
    assert ex.data.scale == 0.05  # the scale stays the bank's


def test_the_variant_is_part_of_the_config(chosen, monkeypatch):
    seen = {}

    def fake_load(profile, seed, scale, variant, progress):
        seen.update(profile=profile, seed=seed, scale=scale, variant=variant)
        return "dataset"

    monkeypatch.setattr(dataset, "load", fake_load)
    monkeypatch.setenv("EBPMKIT_SEED", "3")
    assert DatasetConfig("town", scale=0.02, variant="raw").load() == "dataset"
    assert seen == {
        "profile": "town",
        "seed": 3 + EXERCISE_SEED_OFFSET,
        "scale": 0.02,
        "variant": "raw",
    }


# --- a shared data folder ---------------------------------------------------------------------


def _bits(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def strict_umask():
    old = os.umask(0o077)
    yield
    os.umask(old)


def test_generated_data_is_readable_by_every_user_whatever_the_umask(data_dir, strict_umask):
    ds = ebpmkit.load("town", 3, tables=["households"], **TINY)
    folder = cache.dataset_folder("town", ds.profile.digest, 3, TINY["scale"])
    assert _bits(data_dir) == 0o755  # created by load, so it is opened too
    assert _bits(folder) == 0o755
    # Tables with a fiscal year are partitioned folders: every level must open for everyone.
    entries = list(folder.rglob("*"))
    files = [f for f in entries if f.is_file()]
    folders = [f for f in entries if f.is_dir()]
    assert len(files) > 5 and folders
    assert {str(f): _bits(f) for f in files} == {str(f): 0o644 for f in files}
    assert {str(f): _bits(f) for f in folders} == {str(f): 0o755 for f in folders}


def test_a_stricter_umask_is_kept_only_when_asked(data_dir, strict_umask, monkeypatch):
    monkeypatch.setenv("EBPMKIT_DATA_PRIVATE", "1")
    out = cache.write_dataset({"t": pd.DataFrame({"a": [1]})}, {}, {}, data_dir / "ds")
    assert _bits(data_dir) == 0o700
    assert _bits(out) == 0o700
    assert {_bits(f) for f in out.iterdir()} == {0o600}
    assert [oct(m) for m in cache.modes(private=True)] == ["0o700", "0o600"]


def test_an_existing_data_folder_keeps_its_owner_s_bits(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    os.chmod(shared, 0o750)
    cache.write_dataset({"t": pd.DataFrame({"a": [1]})}, {}, {}, shared / "ds")
    assert _bits(shared) == 0o750
    assert _bits(shared / "ds") == 0o755


@pytest.fixture
def read_only_share(data_dir, monkeypatch):
    """The data folder exists but this user cannot create files in it (a hub's shared folder).

    Tests run as root, for whom chmod does not block writes, so creating a file fails here by
    a stand-in for the probe that the cache makes.
    """
    data_dir.mkdir(parents=True)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "NamedTemporaryFile", refuse)

    def no_generation(*args, **kwargs):
        raise AssertionError("generated although the folder cannot be written")

    monkeypatch.setattr(dataset, "_build", no_generation)
    return data_dir


def test_a_missing_dataset_in_a_read_only_share_says_what_to_ask_the_trainer(read_only_share):
    with pytest.raises(CacheError) as info:
        ebpmkit.load("town", 12, **TINY)
    first = _first_line(info)
    assert first.startswith(f"共有のデータフォルダ {read_only_share} に")
    assert "研修の担当者" in first
    assert (
        f"EBPMKIT_DATA_DIR={read_only_share} ebpmkit generate --profile town --seed 12 --scale 0.01"
        in first
    )
    assert "PermissionError" not in str(info.value)


def test_the_exercise_command_names_the_class_seed(read_only_share, monkeypatch):
    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    monkeypatch.setenv("EBPMKIT_SEED", "31")
    with pytest.raises(CacheError) as info:
        get_exercise("00").data.load()
    seed = 31 + EXERCISE_SEED_OFFSET
    assert f"ebpmkit generate --profile town --seed {seed} --scale 0.05" in _first_line(info)


def test_a_broken_dataset_in_a_read_only_share_is_left_and_explained(read_only_share):
    profile = ebpmkit.load_profile("town")
    folder = cache.dataset_folder("town", profile.digest, 12, TINY["scale"])
    folder.mkdir()
    (folder / "households.parquet").write_bytes(b"half written")
    with pytest.raises(CacheError) as info:
        ebpmkit.load("town", 12, **TINY)
    assert "ebpmkit generate --profile town --seed 12" in _first_line(info)
    assert folder.is_dir()  # not moved away under the trainer's feet
