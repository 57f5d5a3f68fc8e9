"""Generation reuses freed memory while it runs and gives it back when it ends (glibc only)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ebpmkit import _memory

pytestmark = pytest.mark.skipif(
    _memory._glibc() is None, reason="mallopt and malloc_trim are glibc's (Linux) only"
)

# Run in a fresh interpreter: the allocator's settings are process-wide.
CHILD = r"""
import json, resource
import numpy as np
import psutil
from ebpmkit._memory import reusing_freed_memory

def faults(cycles=8):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(cycles):
        block = np.ones(8_000_000)  # 64 MB, made and dropped as the generator does
        block += 1
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

out = {"outside": faults()}
rss = lambda: psutil.Process().memory_info().rss
with reusing_freed_memory():
    faults(1)  # the first block grows the heap once
    out["inside"] = faults()
    big = np.ones(64_000_000)  # 512 MB, freed inside the block: kept for reuse
    del big
    out["kept"] = rss()
out["after"] = rss()
out["outside_again"] = faults()
print(json.dumps(out))
"""


def test_freed_arrays_are_reused_inside_and_given_back_after():
    run = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    got = json.loads(run.stdout.strip().splitlines()[-1])
    # Outside, every 64 MB array is faulted in afresh; inside, the freed one is reused.
    assert got["inside"] * 10 < got["outside"], got
    # Leaving the block returns the freed 512 MB to the system.
    assert got["kept"] - got["after"] > 400e6, got
    # And the default behaviour is back: fresh pages for each array again.
    assert got["outside_again"] > got["outside"] / 2 > got["inside"], got


def test_nested_blocks_restore_the_defaults_once(monkeypatch):
    calls = []

    class FakeLibc:
        def mallopt(self, option, value):
            calls.append(("mallopt", option, value))
            return 1

        def malloc_trim(self, pad):
            calls.append(("trim", pad))
            return 1

    monkeypatch.setattr(_memory, "_glibc", FakeLibc)
    with _memory.reusing_freed_memory():
        with _memory.reusing_freed_memory():
            assert len(calls) == 2  # set once, by the outer block
        assert len(calls) == 2  # the inner block restores nothing
    assert calls[2:] == [
        ("mallopt", _memory._M_MMAP_THRESHOLD, _memory._DEFAULT_MMAP_THRESHOLD),
        ("mallopt", _memory._M_TRIM_THRESHOLD, _memory._DEFAULT_TRIM_THRESHOLD),
        ("trim", 0),
    ]
    assert _memory._depth == 0
