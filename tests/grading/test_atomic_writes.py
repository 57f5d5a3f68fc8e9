"""The one atomic file writer (ebpmkit._atomic) and the grading files written with it."""

from __future__ import annotations

import concurrent.futures
import os
import stat
from pathlib import Path

import pytest

from ebpmkit import _atomic
from ebpmkit._atomic import write_bytes_atomic, write_text_atomic
from ebpmkit.grading._store import read_progress, update_progress


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = write_text_atomic(tmp_path / "grades.csv", "old\n")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(_atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_permissions_new_existing_and_explicit(tmp_path):
    umask = os.umask(0o022)
    try:
        new = write_bytes_atomic(tmp_path / "new.bin", b"x")
        assert _mode(new) == 0o644  # as open() would make it, not mkstemp's 0o600
        os.chmod(new, 0o640)
        write_bytes_atomic(new, b"y")
        assert _mode(new) == 0o640 and new.read_bytes() == b"y"
        write_bytes_atomic(new, b"z", mode=0o600)
        assert _mode(new) == 0o600
    finally:
        os.umask(umask)


def test_text_is_encoded_as_asked_and_newlines_kept(tmp_path):
    path = write_text_atomic(tmp_path / "a.csv", "市\r\n区\n", encoding="utf-8-sig")
    assert path.read_bytes() == "\ufeff市\r\n区\n".encode()


def test_progress_file_is_private(tmp_path):
    path = tmp_path / "progress.json"
    update_progress(lambda d: d["exercises"].setdefault("00", {}), path)
    assert _mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "progress.lock"]


def _bump_counter(path: str, times: int) -> None:
    def bump(data: dict) -> None:
        counter = data["exercises"].setdefault("00", {"count": 0})
        counter["count"] += 1

    for _ in range(times):
        update_progress(bump, Path(path))


def test_concurrent_updates_lose_nothing(tmp_path):
    # Two kernels of one learner write the same progress file; the lock must serialise the
    # read-change-write cycles, on every platform (filelock), or increments get lost.
    path = tmp_path / "progress.json"
    workers, times = 4, 30
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        for done in [pool.submit(_bump_counter, str(path), times) for _ in range(workers)]:
            done.result()
    assert read_progress(path)["exercises"]["00"]["count"] == workers * times
