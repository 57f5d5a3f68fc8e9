"""Benchmark: generation time and peak memory for urban-ward at scale 1.0, and load time.

Goals (2-core machine): generation <= 20 s and <= 2.5 GB peak; load from cache <= 2 s.
Each measurement runs in a fresh process so peak memory (ru_maxrss) is that run's alone.

    python bench/bench_generate.py [--profile urban-ward] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time, warnings
import ebpmkit
from ebpmkit.dataset import generate, load
what, profile, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
t = time.perf_counter()
if what == "generate":
    generate(profile, scale=scale, progress=False)
else:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rebuild here would not be a load
        ds = load(profile, scale=scale, progress=False)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB
print(json.dumps({"seconds": elapsed, "peak_gib": peak}))
"""


def _run(what: str, profile: str, scale: float, data_dir: str) -> dict:
    env = {"EBPMKIT_DATA_DIR": data_dir, "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, profile, str(scale)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(profile: str = "urban-ward", scale: float = 1.0) -> dict:
    """Generate into a fresh data folder, then load it; return the figures."""
    with tempfile.TemporaryDirectory() as data_dir:
        gen = _run("generate", profile, scale, data_dir)
        loads = [_run("load", profile, scale, data_dir) for _ in range(3)]
    best_load = min(x["seconds"] for x in loads)
    return {
        "profile": profile,
        "scale": scale,
        "generate_seconds": round(gen["seconds"], 2),
        "generate_peak_gib": round(gen["peak_gib"], 3),
        "load_seconds_best_of_3": round(best_load, 2),
        "load_peak_gib": round(max(x["peak_gib"] for x in loads), 3),
        "goals": {"generate_seconds": 20, "generate_peak_gib": 2.5, "load_seconds": 2},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="urban-ward")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    res = run(args.profile, args.scale)
    print(
        f"generation ({res['profile']}, scale {res['scale']:g}): {res['generate_seconds']:.2f} s (goal <= 20 s)"
    )
    print(f"generation peak memory: {res['generate_peak_gib']:.2f} GiB (goal <= 2.5 GB)")
    print(f"load from cache (best of 3): {res['load_seconds_best_of_3']:.2f} s (goal <= 2 s)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
