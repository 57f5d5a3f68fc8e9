"""Fixtures for the grading tests: an isolated progress store and the practice exercise."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_progress(tmp_path, monkeypatch):
    """No test writes to the real ~/.ebpmkit, and strict mode is off unless a test sets it."""
    monkeypatch.setenv("EBPMKIT_PROGRESS_DIR", str(tmp_path / "progress"))
    monkeypatch.delenv("EBPMKIT_STRICT", raising=False)
    monkeypatch.delenv("EBPMKIT_ANSWERS_FILE", raising=False)


@pytest.fixture(scope="session")
def practice():
    """Exercise 00, its dataset and its answer key."""
    from ebpmkit.grading import get_exercise

    ex = get_exercise("00")
    ds = ex.data.load()
    return ex, ds, ex.answer_key(ds)
