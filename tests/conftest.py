"""Shared fixtures: an isolated data directory and one small generated municipality per session."""

from __future__ import annotations

import functools
import os

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "full_scale: runs on data at scale 1.0 (in the normal suite; -m to pick)"
    )


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory):
    """Every test session writes generated data to its own temporary folder."""
    folder = tmp_path_factory.mktemp("ebpmkit-data")
    # A class's settings in the developer's shell must not change what the tests generate.
    saved = {
        name: os.environ.pop(name, None)
        for name in ("EBPMKIT_DATA_DIR", "EBPMKIT_PROFILE", "EBPMKIT_SEED", "EBPMKIT_CLASS_FILE")
    }
    os.environ["EBPMKIT_DATA_DIR"] = str(folder)
    # A trainer checks a class's own seed with the design tests (docs/trainer-guide.md): only
    # this variable, never a seed left in the shell, reaches them.
    if os.environ.get("EBPMKIT_TEST_SEED", "").strip():
        os.environ["EBPMKIT_SEED"] = os.environ["EBPMKIT_TEST_SEED"].strip()
    yield folder
    os.environ.pop("EBPMKIT_SEED", None)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@functools.cache
def generated(profile: str = "urban-ward", seed: int = 7, scale: float = 0.02):
    """Tables and truth of one generation, computed once per process."""
    from ebpmkit.synth import generate_tables

    return generate_tables(profile, seed, scale)


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """All tables of urban-ward at scale 0.02, seed 7."""
    return generated()[0]


@pytest.fixture(scope="session")
def small_truth() -> dict:
    """Ground truth of the same generation."""
    return generated()[1]


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened, so no test sees another's figures."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
