"""Benchmark: does the data scale? Generation and SQL over the partitioned cache.

Prints, each measured in its own fresh process (so a peak is that run's alone):

1. urban-ward at scale 1.0: generation time and peak memory;
2. the peak RSS of a process that opens that dataset (``load(..., tables=["districts"])``)
   and runs a grouped count over every resident-year with ``ds.sql`` (goal: at most 1 GB),
   for the raw variant and for the learners' default variant;
3. a designated-city profile (政令指定都市) at scale 1.0 if one is built in, else urban-ward at
   scale 2.0, with the same figures and the peak memory per resident against step 1.

Wall time depends on what else the machine runs, so the CPU time (user + system, all threads)
is printed beside it. Peak memory is read twice: ``ru_maxrss`` reported by the child itself (exact), and the
highest RSS the parent saw polling the child with psutil every 20 ms (a cross-check).

    python bench/bench_scale.py [--skip-large]

This prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import psutil

__all__ = ["designated_city", "main", "measure"]

GOAL_SQL_GIB = 1.0
# Profile kinds or names that mean a designated city (政令指定都市), should one be added.
DESIGNATED = ("designated-city", "designated_city", "seirei")

CHILD = r"""
import json, resource, sys, time
what, profile, scale = sys.argv[1], sys.argv[2], float(sys.argv[3])
t = time.perf_counter()
out = {}
if what == "generate":
    from ebpmkit.dataset import generate
    folder = generate(profile, scale=scale, progress=False)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    out["residents"] = manifest["tables"]["residents"]
    out["resident_years"] = manifest["tables"]["resident_years"]
else:
    from ebpmkit.dataset import load
    variant = what.split(":", 1)[1]
    kwargs = {} if variant == "default" else {"variant": variant}
    ds = load(profile, scale=scale, tables=["districts"], progress=False, **kwargs)
    counts = ds.sql(
        "SELECT fiscal_year, district_code, sex, count(*) AS n "
        "FROM resident_years GROUP BY ALL ORDER BY ALL"
    )
    out["groups"] = len(counts)
    out["rows_counted"] = int(counts["n"].sum())
    out["variant"] = ds.variant
out["seconds"] = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
out["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # all threads of the process
out["peak_gib"] = usage.ru_maxrss / 1024 ** 2  # KiB -> GiB
print(json.dumps(out))
"""


def measure(what: str, profile: str, scale: float, data_dir: str) -> dict:
    """Run one step in a fresh process; its JSON figures plus psutil's highest sampled RSS."""
    env = {**os.environ, "EBPMKIT_DATA_DIR": data_dir}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, what, profile, str(scale)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    watched = psutil.Process(proc.pid)
    highest = 0
    while proc.poll() is None:
        try:
            highest = max(highest, watched.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{what} {profile} {scale:g} failed:\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    res["psutil_peak_gib"] = highest / 1024**3
    return res


def designated_city() -> str | None:
    """A built-in designated-city profile's name, if there is one."""
    from ebpmkit.synth.profile import builtin_profiles, load_profile

    for name in builtin_profiles():
        kind = load_profile(name).words.kind
        if any(d in name or d in kind for d in DESIGNATED):
            return name
    return None


def _report(profile: str, scale: float, data_dir: str) -> dict:
    gen = measure("generate", profile, scale, data_dir)
    print(
        f"{profile} scale {scale:g}: generation {gen['seconds']:.1f} s "
        f"(CPU {gen['cpu_seconds']:.1f} s), peak "
        f"{gen['peak_gib']:.2f} GiB (psutil sampled {gen['psutil_peak_gib']:.2f} GiB); "
        f"{gen['residents']:,} residents, {gen['resident_years']:,} resident-years"
    )
    for variant in ("raw", "default"):
        q = measure(f"sql:{variant}", profile, scale, data_dir)
        verdict = "ok" if q["peak_gib"] <= GOAL_SQL_GIB else "OVER GOAL"
        print(
            f"  ds.sql grouped count ({q['variant']}): {q['seconds']:.1f} s "
            f"(CPU {q['cpu_seconds']:.1f} s), peak RSS "
            f"{q['peak_gib']:.2f} GiB (psutil {q['psutil_peak_gib']:.2f}; goal <= "
            f"{GOAL_SQL_GIB:g} GB: {verdict}); {q['groups']:,} groups over "
            f"{q['rows_counted']:,} rows"
        )
        gen[f"sql_{variant}"] = q
    return gen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-large", action="store_true", help="only urban-ward at 1.0")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average before the run: {load} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as data_dir:
        base = _report("urban-ward", 1.0, data_dir)
        if args.skip_large:
            return
        city = designated_city()
        large = _report(city, 1.0, data_dir) if city else _report("urban-ward", 2.0, data_dir)
    if not city:
        print("no designated-city profile is built in: urban-ward at scale 2.0 instead")
    per = {
        name: res["peak_gib"] * 1024**3 / res["residents"]
        for name, res in (("base", base), ("large", large))
    }
    print(
        f"generation peak per resident: {per['base'] / 1024:.1f} KiB at urban-ward 1.0, "
        f"{per['large'] / 1024:.1f} KiB at the larger run (ratio {per['large'] / per['base']:.2f}; "
        f"residents ratio {large['residents'] / base['residents']:.2f}, time ratio "
        f"{large['seconds'] / base['seconds']:.2f}, CPU time ratio "
        f"{large['cpu_seconds'] / base['cpu_seconds']:.2f})"
    )


if __name__ == "__main__":
    main()
