"""The environment the tests run in is exactly the committed lock (requirements/lock.txt).

A course is prepared months before it runs, on machines nobody here controls; the same lock
must give the same packages, hence the same data, everywhere.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
# Installed beside the lock on purpose: the project itself (editable) and the venv's own pip.
NOT_LOCKED = {"ebpmkit", "pip"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked_pins(text: str, environment: dict[str, str] | None = None) -> dict[str, str]:
    """Name -> version of every pin whose marker holds here (or in ``environment``)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        if marker is None or Marker(marker).evaluate(environment):
            pins[canonicalize_name(name)] = version
    return pins


def installed() -> dict[str, str]:
    return {
        canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()
    }


def test_lock_parser_reads_pins_and_markers():
    text = (
        "numpy==2.4.6 \\\n    --hash=sha256:00\n"
        "appnope==1.0.0 ; sys_platform == 'never' \\\n"
        "scipy==1.17.1 ; python_full_version >= '3.0' \\\n"
    )
    assert locked_pins(text) == {"numpy": "2.4.6", "scipy": "1.17.1"}


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_lock_covers_every_supported_python(python):
    env = {"python_version": python, "python_full_version": f"{python}.0"}
    pins = locked_pins(LOCK.read_text(encoding="utf-8"), env)
    # The generator's numbers come from these; one version of each for every Python.
    for name in ("pandas", "numpy", "pyarrow", "faker", "jupyterlab", "uv", "setuptools"):
        assert name in pins, f"{name} is not locked for Python {python}: run `make lock`"


def test_installed_versions_equal_the_lock():
    pins = locked_pins(LOCK.read_text(encoding="utf-8"))
    have = installed()
    wrong = {n: (v, have.get(n)) for n, v in pins.items() if have.get(n) != v}
    extra = sorted(set(have) - set(pins) - NOT_LOCKED)
    assert not wrong and not extra, (
        "The environment differs from requirements/lock.txt "
        f"(locked vs installed: {wrong}; not in the lock: {extra}). "
        "Run `make install` (or `make clean test`); to change a dependency, edit pyproject.toml "
        "and run `make lock`."
    )
