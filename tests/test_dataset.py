"""load/generate: caching, determinism, variants and every way a cache can be broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import ebpmkit
from ebpmkit import cache
from ebpmkit.errors import CacheError, ParameterError
from ebpmkit.synth import generate_tables
from ebpmkit.synth.digest import dataset_digests

SMALL = {"profile": "town", "seed": 3, "scale": 0.02, "progress": False}


def _folder():
    profile = ebpmkit.load_profile("town")
    return cache.dataset_folder("town", profile.digest, SMALL["seed"], SMALL["scale"])


@pytest.fixture
def fresh_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_same_profile_seed_scale_give_identical_tables():
    a, ta = generate_tables("town", seed=5, scale=0.02)
    b, tb = generate_tables("town", seed=5, scale=0.02)
    assert dataset_digests(a) == dataset_digests(b)
    assert ta == tb
    c, _ = generate_tables("town", seed=6, scale=0.02)
    assert dataset_digests(c)["resident_years"] != dataset_digests(a)["resident_years"]


def test_determinism_survives_a_fresh_interpreter():
    """A new process with another hash seed must produce the very same bytes."""
    code = (
        "import json;"
        "from ebpmkit.synth.digest import dataset_digests;"
        "from ebpmkit.synth import generate_tables;"
        "print(json.dumps(dataset_digests(generate_tables('town', seed=5, scale=0.02)[0])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True
    )
    assert json.loads(out.stdout) == dataset_digests(generate_tables("town", seed=5, scale=0.02)[0])


def test_load_generates_once_then_reads_the_cache(fresh_data_dir):
    ds = ebpmkit.load(**SMALL)
    folder = _folder()
    manifest, reason = cache.verify_folder(folder)
    assert reason == "" and manifest["seed"] == 3
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    again = ebpmkit.load(**SMALL)
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp
    assert dataset_digests(again.tables) == dataset_digests(ds.tables)
    assert ds.resident_years is ds.tables["resident_years"]
    assert "ひばり野区" not in repr(ds) and "架空" in repr(ds)


def test_variants(fresh_data_dir):
    anon = ebpmkit.load(**SMALL)
    raw = ebpmkit.load(**SMALL, variant="raw")
    assert "identities" in raw.tables and "identities" not in anon.tables
    # Birth dates are coarsened to the year; a few are blanked to reach k = 3 (see anonymize).
    birth = anon.residents["birth_date"].dropna()
    assert len(birth) > 0.8 * len(anon.residents)
    assert ((birth.dt.day == 1) & (birth.dt.month == 1)).all()
    assert not set(anon.residents["person_id"]) & set(raw.residents["person_id"])
    assert len(anon.resident_years.merge(anon.residents, on="person_id")) == len(
        anon.resident_years
    )
    assert (raw.residents["birth_date"].dt.day != 1).any()
    assert set(anon.dictionary["table"]) == set(anon.tables)
    with pytest.raises(ParameterError, match="variant"):
        ebpmkit.load(**SMALL, variant="secret")


def test_unknown_table_attribute_lists_tables(fresh_data_dir):
    ds = ebpmkit.load(**SMALL)
    with pytest.raises(AttributeError, match="resident_years"):
        ds.residnets  # noqa: B018


@pytest.mark.parametrize(
    "damage", ["flip_byte", "truncate", "drop_manifest", "drop_table", "bad_manifest"]
)
def test_corrupt_or_partial_cache_is_rebuilt_not_used(fresh_data_dir, damage):
    expected = dataset_digests(ebpmkit.load(**SMALL).tables)
    folder = _folder()
    # One year's partition of a fiscal-year partitioned table.
    table = folder / "resident_years" / "fiscal_year=2020" / "part-0.parquet"
    assert table.is_file()
    if damage == "flip_byte":
        data = bytearray(table.read_bytes())
        data[len(data) // 2] ^= 0xFF
        table.write_bytes(bytes(data))
    elif damage == "truncate":
        table.write_bytes(table.read_bytes()[:100])
    elif damage == "drop_manifest":
        (folder / "manifest.json").unlink()
    elif damage == "drop_table":
        table.unlink()
    else:
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    assert cache.verify_folder(folder)[0] is None
    with pytest.warns(RuntimeWarning, match="作り直します"):
        ds = ebpmkit.load(**SMALL)
    assert dataset_digests(ds.tables) == expected
    assert cache.verify_folder(folder)[0] is not None


def test_failed_generation_leaves_nothing_a_later_load_trusts(fresh_data_dir, monkeypatch):
    from ebpmkit.synth import DOMAINS

    last = DOMAINS[-1]

    def boom(ctx):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(last, "simulate", boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ebpmkit.load(**SMALL)
    assert not _folder().exists()
    monkeypatch.undo()
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(fresh_data_dir))

    # A crash while writing files leaves only a hidden partial folder, never the real one.
    def crash_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("pandas.DataFrame.to_parquet", crash_write)
    with pytest.raises(OSError, match="disk full"):
        ebpmkit.load(**SMALL)
    assert not _folder().exists()
    assert not any(p.name.startswith(".") and "partial" in p.name for p in fresh_data_dir.iterdir())


def test_unwritable_data_dir_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(blocker / "data"))
    with pytest.raises(CacheError, match="EBPMKIT_DATA_DIR"):
        ebpmkit.load(**SMALL)


def test_generate_out_writes_formats_and_protects_user_files(tmp_path):
    out = ebpmkit.generate(
        "town", seed=3, scale=0.02, out=tmp_path / "ds", formats="parquet,csv", progress=False
    )
    names = {p.name for p in out.iterdir()}
    assert {
        "resident_years",
        "districts.parquet",
        "resident_years.csv",
        "dictionary.csv",
        "manifest.json",
    } <= names
    assert cache.verify_folder(out)[0] is not None
    head = (out / "resident_years.csv").read_bytes()[:3]
    assert head == b"\xef\xbb\xbf"  # UTF-8 BOM so Excel shows Japanese correctly
    # Writing again replaces a dataset folder ...
    ebpmkit.generate("town", seed=3, scale=0.02, out=out, formats="csv", progress=False)
    assert not (out / "resident_years").exists()
    # ... but never a folder holding someone's own files.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("大事なメモ", encoding="utf-8")
    with pytest.raises(CacheError, match="out"):
        ebpmkit.generate("town", seed=3, scale=0.02, out=mine, progress=False)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "大事なメモ"
    with pytest.raises(ParameterError, match="format"):
        ebpmkit.generate(
            "town", seed=3, scale=0.02, out=tmp_path / "x", formats="xlsx", progress=False
        )


def test_unwritable_out_fails_before_generating(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(CacheError, match="'out'"):
        ebpmkit.generate("town", seed=3, scale=0.02, out=blocker / "ds", progress=False)


def test_ground_truth_is_kept_out_of_learner_tables(fresh_data_dir):
    ds = ebpmkit.load(**SMALL)
    assert isinstance(ds.ground_truth, dict)
    columns = {c for t in ds.tables.values() for c in t.columns}
    assert not any("truth" in c for c in columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ebpmkit.load(**SMALL)  # a healthy cache loads without any warning


def test_tables_reads_only_what_is_asked(fresh_data_dir):
    full = ebpmkit.load(**SMALL)
    part = ebpmkit.load(**SMALL, tables=["resident_years", "households"])
    assert set(part.tables) == {"resident_years", "households"}
    # The pseudonymised ids are the same as in the full load, so joins across loads still work.
    assert dataset_digests(part.tables) == dataset_digests(
        {k: full.tables[k] for k in ("resident_years", "households")}
    )
    assert set(part.dictionary["table"]) == {"resident_years", "households"}
    with pytest.raises(ParameterError, match="resident_years") as err:
        ebpmkit.load(**SMALL, tables=["resident_year"])
    assert "使えるテーブル" in str(err.value)
    with pytest.raises(ParameterError, match="variant='raw'"):
        ebpmkit.load(**SMALL, tables=["identities"])
    raw = ebpmkit.load(**SMALL, variant="raw", tables=["identities"])
    assert list(raw.tables) == ["identities"]


def test_cache_from_another_generator_version_is_rebuilt_not_read(fresh_data_dir):
    first = ebpmkit.load(**SMALL)
    folder = _folder()
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    # Another version's cache in this version's folder, its table changed in a way the
    # manifest's hashes still vouch for: only the version tells it apart.
    manifest["generator_version"] = "0"
    districts = folder / "districts.parquet"
    first.districts.head(1).to_parquet(districts, index=False)
    manifest["files"]["districts.parquet"] = {
        "bytes": districts.stat().st_size,
        "sha256": cache._sha256(districts),
    }
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert cache.verify_folder(folder)[1].ja == "古いバージョンの生成器で作られたデータです"
    with pytest.warns(RuntimeWarning, match="古いバージョン"):
        again = ebpmkit.load(**SMALL)
    assert len(again.districts) == len(first.districts)
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["generator_version"] == (
        cache.GENERATOR_VERSION
    )
