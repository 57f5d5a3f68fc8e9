"""Many kernels at once on one shared data folder: one generates the dataset, the others wait.

On a hub, twenty learners open the same lesson in the same minute. When the shared folder lacks
the dataset (or holds a broken one) and can be written, exactly one process must generate it
and the others must read that one, not generate it again nor move it away while it is read.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd
import pytest

import ebpmkit
from ebpmkit import cache, dataset
from ebpmkit.errors import CacheError

PROFILE, SEED, SCALE = "town", 404, 0.02
WORKERS = 4
TABLES = ["households", "resident_years"]


def _worker(data_dir: str, counter: str, barrier: multiprocessing.synchronize.Barrier) -> dict:
    """One kernel: load the dataset, counting each generation in ``counter`` (one line each)."""
    import os

    os.environ["EBPMKIT_DATA_DIR"] = data_dir
    real_build = dataset._build

    def counted(*args, **kwargs):
        with open(counter, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        return real_build(*args, **kwargs)

    dataset._build = counted
    barrier.wait()  # every process asks for the dataset at the same moment
    ds = ebpmkit.load(PROFILE, SEED, SCALE, tables=TABLES, progress=False)
    return {
        name: int(pd.util.hash_pandas_object(frame, index=False).sum() % 2**61)
        for name, frame in ds.tables.items()
    } | {"rows": {name: len(frame) for name, frame in ds.tables.items()}}


def _run_at_once(data_dir: Path, counter: Path) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(WORKERS)
    with context.Pool(WORKERS) as pool:
        pending = [
            pool.apply_async(_worker, (str(data_dir), str(counter), barrier))
            for _ in range(WORKERS)
        ]
        return [p.get(timeout=600) for p in pending]


def _folder() -> Path:
    profile = ebpmkit.load_profile(PROFILE)
    return cache.dataset_folder(profile.name, profile.digest, SEED, SCALE)


@pytest.mark.parametrize("state", ["missing", "damaged"])
def test_four_kernels_at_once_generate_once_and_read_the_same_tables(state, tmp_path, monkeypatch):
    data_dir = tmp_path / "shared"
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(data_dir))
    if state == "damaged":
        folder = _folder()
        folder.mkdir(parents=True)
        (folder / "households.parquet").write_bytes(b"half written")
    counter = tmp_path / "generations.txt"
    results = _run_at_once(data_dir, counter)

    generations = counter.read_text(encoding="utf-8").splitlines()
    assert len(generations) == 1, generations
    assert all(r == results[0] for r in results), results
    assert results[0]["rows"]["households"] > 0
    # What they read is the dataset in the folder, complete, and nothing broken is left.
    assert cache.verify_folder(_folder())[0] is not None
    assert not [p.name for p in data_dir.iterdir() if ".broken-" in p.name]


def test_a_read_only_share_takes_no_lock_and_says_what_to_ask(tmp_path, monkeypatch):
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    monkeypatch.setenv("EBPMKIT_DATA_DIR", str(data_dir))
    monkeypatch.setattr(cache, "writable", lambda folder: False)
    with pytest.raises(CacheError) as info:
        ebpmkit.load(PROFILE, SEED, SCALE, progress=False)
    assert "研修の担当者" in str(info.value).splitlines()[0]
    assert list(data_dir.iterdir()) == []  # no lock file, nothing else
