"""The cache's file layout: fiscal-year partitions that read back to exactly the written tables."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ebpmkit
from ebpmkit import cache
from ebpmkit.synth.digest import dataset_digests

SMALL = {"profile": "town", "seed": 3, "scale": 0.02, "progress": False}


@pytest.fixture
def fresh_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _mixed_frame() -> pd.DataFrame:
    """A table with every kind of column the generator writes, sorted by fiscal year."""
    years = np.repeat(np.array([2015, 2016, 2018], dtype=np.int16), [3, 1, 2])
    return pd.DataFrame(
        {
            "person_id": np.arange(6, dtype=np.int64)[::-1],
            "name": pd.array(["あ", "い", None, "う", "え", "お"], dtype="str"),
            "sex": pd.Categorical(["女", "男", "女", "男", "女", "男"], categories=["男", "女"]),
            "fiscal_year": years,
            "income": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "rate": np.linspace(0, 1, 6),
        }
    )


def _flat_read(frame: pd.DataFrame, tmp_path: Path) -> pd.DataFrame:
    """What the one-file-per-table cache gave back for this frame."""
    path = tmp_path / "flat.parquet"
    frame.to_parquet(path, index=False, compression="zstd")
    return cache._read_parquet(path)


def test_fiscal_year_table_is_hive_partitioned_and_reads_back_identically(tmp_path):
    frame = _mixed_frame()
    out = cache.write_dataset(
        {"t": frame, "plain": frame.drop(columns="fiscal_year")}, {}, {}, tmp_path / "ds"
    )
    manifest, reason = cache.verify_folder(out)
    assert reason == ""
    assert sorted(manifest["partitions"]) == ["t"]
    assert not (out / "t.parquet").exists() and (out / "plain.parquet").is_file()
    years = sorted(p.name for p in (out / "t").iterdir())
    assert years == [f"fiscal_year={y}" for y in sorted(set(frame["fiscal_year"]))]
    back, _ = cache.read_dataset(out)
    expected = _flat_read(frame, tmp_path)
    pd.testing.assert_frame_equal(back["t"], expected, check_exact=True)
    assert list(back["t"].columns) == list(frame.columns)
    assert back["t"]["fiscal_year"].dtype == np.int16
    assert list(back["t"]["sex"].cat.categories) == ["男", "女"]
    assert back["t"]["name"].dtype == frame["name"].dtype
    # The manifest keeps the written column order (partition folders put fiscal_year last).
    assert manifest["partitions"]["t"]["columns"] == list(frame.columns)


def test_manifest_covers_every_file_with_row_counts(tmp_path):
    frame = _mixed_frame()
    out = cache.write_dataset({"t": frame}, {"x": 1}, {}, tmp_path / "ds")
    manifest = cache.verify_folder(out)[0]
    on_disk = {
        Path(d, f).relative_to(out).as_posix()
        for d, _, names in os.walk(out)
        for f in names
        if f != cache.MANIFEST
    }
    assert on_disk == set(manifest["files"])
    part_rows = [manifest["files"][rel]["rows"] for rel in manifest["partitions"]["t"]["files"]]
    assert part_rows == frame.groupby("fiscal_year").size().tolist()
    # Every partition file and folder is shared like the single files.
    assert all((Path(d).stat().st_mode & 0o777) == 0o755 for d, _, _ in os.walk(out))


@pytest.mark.parametrize(
    "change",
    ["unsorted", "missing_year", "float_year", "empty"],
)
def test_tables_that_cannot_keep_their_row_order_stay_one_file(tmp_path, change):
    frame = _mixed_frame()
    if change == "unsorted":
        frame = frame.iloc[::-1].reset_index(drop=True)
    elif change == "missing_year":
        frame = frame.assign(fiscal_year=pd.array([2015, None, 2016, 2016, 2017, 2018], "Int16"))
    elif change == "float_year":
        frame = frame.assign(fiscal_year=frame["fiscal_year"].astype(float))
    else:
        frame = frame.iloc[:0]
    out = cache.write_dataset({"t": frame}, {}, {}, tmp_path / "ds")
    manifest = cache.verify_folder(out)[0]
    assert manifest["partitions"] == {}
    assert (out / "t.parquet").is_file()
    back, _ = cache.read_dataset(out)
    pd.testing.assert_frame_equal(back["t"], _flat_read(frame, tmp_path), check_exact=True)


def test_damaged_partition_makes_the_folder_untrusted(tmp_path):
    out = cache.write_dataset({"t": _mixed_frame()}, {}, {}, tmp_path / "ds")
    part = out / "t" / "fiscal_year=2016" / "part-0.parquet"
    part.unlink()
    manifest, reason = cache.verify_folder(out)
    assert manifest is None and "fiscal_year=2016" in str(reason)


def test_old_flat_layout_is_never_read_but_rebuilt(fresh_data_dir):
    expected = dataset_digests(ebpmkit.load(**SMALL).tables)
    profile = ebpmkit.load_profile("town")
    folder = cache.dataset_folder("town", profile.digest, SMALL["seed"], SMALL["scale"])
    manifest_path = folder / cache.MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    # A folder from before partitioning: same generator version, no layout field.
    del manifest["layout"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    manifest2, reason = cache.verify_folder(folder)
    assert manifest2 is None and "形式" in str(reason)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ds = ebpmkit.load(**SMALL)
    assert any("作り直します" in str(w.message) for w in seen)
    assert dataset_digests(ds.tables) == expected
    assert json.loads(manifest_path.read_text(encoding="utf-8"))["layout"] == cache.CACHE_LAYOUT


def test_load_subset_reads_partitioned_tables_like_the_whole(fresh_data_dir):
    whole = ebpmkit.load(**SMALL)
    part = ebpmkit.load(**SMALL, tables=["resident_years"])
    pd.testing.assert_frame_equal(part.resident_years, whole.resident_years, check_exact=True)
