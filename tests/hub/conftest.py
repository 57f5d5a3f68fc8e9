"""A real JupyterHub on 127.0.0.1 for the class tests (see hubtools.py).

Without configurable-http-proxy or jupyterhub the tests are skipped with the reason, except in
CI (``EBPMKIT_CI=1``), where they fail: the hub test must run there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import hubtools


def _components_or_skip() -> None:
    missing = hubtools.missing_components()
    if missing and hubtools.IN_CI:
        pytest.fail(f"EBPMKIT_CI=1 and missing: {', '.join(missing)}: the hub test must run in CI")
    if missing:
        pytest.skip(f"no real JupyterHub here: missing {', '.join(missing)}")


@pytest.fixture
def hub(tmp_path):
    """A running hub with its homes and a read-only data folder; stopped (or killed) after."""
    _components_or_skip()
    data = hubtools.prepare_data(tmp_path / "data")
    running = hubtools.Hub(workdir=tmp_path / "hub", homes=tmp_path / "homes", data=data)
    running.workdir.mkdir()
    running.start()
    try:
        yield running
    finally:
        if not running.stop():
            running.kill_everything()
        running.kill_everything()  # anything the test's own shutdown check left behind
        for path in [data, *data.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # let tmp_path be removed
