"""Golden data: every table of the small golden datasets matches its committed digest.

This guards the data contract (same profile, seed and scale give identical tables everywhere)
and every refactor of the generator: a change that alters data must say so on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ebpmkit.cache import GENERATOR_VERSION
from ebpmkit.dataset import load
from ebpmkit.synth.digest import GOLDEN_VARIANTS, dataset_digests, frame_digest
from ebpmkit.synth.profile import builtin_profiles

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "digests.json"
RECORDED = json.loads(GOLDEN.read_text(encoding="utf-8"))
HOW_TO = (
    "If you changed the generated data on purpose: bump GENERATOR_VERSION in ebpmkit/cache.py, "
    "run `make golden` and commit tests/golden/digests.json in the same commit, saying what "
    "changed and why. If you did not mean to change the data (a refactor, a dependency "
    "update), find what did: the digests must stay as they are."
)


def test_golden_file_covers_every_profile_and_variant():
    expected = {f"{p}/{v}" for p in builtin_profiles() for v in GOLDEN_VARIANTS}
    assert set(RECORDED["datasets"]) == expected, f"run `make golden`. {HOW_TO}"


def test_generator_version_matches_the_golden_file():
    assert RECORDED["generator_version"] == GENERATOR_VERSION, (
        f"GENERATOR_VERSION is {GENERATOR_VERSION} but the golden digests were written by "
        f"version {RECORDED['generator_version']}: run `make golden` and commit the digests "
        "with the version bump."
    )


@pytest.mark.parametrize("variant", GOLDEN_VARIANTS)
@pytest.mark.parametrize("profile", builtin_profiles())
def test_tables_match_golden_digests(profile, variant):
    ds = load(profile, RECORDED["seed"], RECORDED["scale"], variant=variant, progress=False)
    recorded = RECORDED["datasets"][f"{profile}/{variant}"]
    now = dataset_digests(ds.tables)
    changed = sorted(t for t in set(now) | set(recorded) if now.get(t) != recorded.get(t))
    assert not changed, (
        f"{profile} ({variant}, seed {RECORDED['seed']}, scale {RECORDED['scale']:g}): "
        f"these tables differ from the golden digests: {', '.join(changed)}. {HOW_TO}"
    )


def test_digest_sees_a_single_changed_value_and_dtype():
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3],
            "x": [0.5, None, 2.0],
            "s": pd.Series(["a", None, "c"], dtype="str"),
            "c": pd.Categorical(["甲", "乙", "甲"]),
            "d": pd.to_datetime(["2020-04-01", None, "2021-04-01"]).astype("datetime64[s]"),
        }
    )
    base = frame_digest(frame)
    changed_value = frame.copy()
    changed_value.loc[2, "x"] = 2.0000000001
    assert frame_digest(changed_value) != base
    assert frame_digest(frame.assign(n=frame["n"].astype("int32"))) != base
    assert frame_digest(frame.assign(s=["a", "b", "c"])) != base
    assert frame_digest(frame.iloc[::-1].reset_index(drop=True)) != base


def test_digest_ignores_memory_layout_and_storage():
    frame = pd.DataFrame({"c": pd.Categorical(["b", "a", "b"]), "n": [3, 1, 2]})
    # The same labels with other codes, and a copy with another memory order.
    recoded = frame.assign(c=pd.Categorical(["b", "a", "b"], categories=["b", "a"]))
    assert frame_digest(recoded) == frame_digest(frame)
    # One consolidated 2-D block, or one array per column (as parquet reads with split_blocks).
    values = np.arange(6, dtype=np.int64).reshape(3, 2)
    block = pd.DataFrame(values, columns=["a", "b"])
    split = pd.DataFrame({"a": values[:, 0].copy(), "b": values[:, 1].copy()})
    assert frame_digest(block) == frame_digest(split)
    # A date stored in milliseconds (as parquet returns it) equals the same date in seconds.
    days = pd.Series(pd.to_datetime(["2020-04-01", "2021-04-01"]))
    assert frame_digest(pd.DataFrame({"d": days.astype("datetime64[ms]")})) != frame_digest(
        pd.DataFrame({"d": days.astype("datetime64[s]")})
    ), "the dtype is part of the contract, so the unit shows in the digest"
