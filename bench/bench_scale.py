"""Benchmark: does generation scale linearly, and can a small kernel aggregate the whole city?

Prints, in one run, each step measured in its own fresh process (so a peak is that run's alone):

1. urban-ward at scale 1.0 (about 280,000 residents): generation wall time, CPU time and peak
   memory;
2. designated-city at scale 1.0 (about 2.7 million residents, 24 administrative wards): the same
   figures, against the goals of at most 3 minutes and 16 GB;
3. the city's cost per resident against the ward's (wall time, CPU time, peak memory; goal: at
   most 1.2 times);
4. the peak RSS of a process that opens the city's dataset (``load(..., tables=["districts"])``)
   and runs a grouped count over every resident-year with ``ds.sql`` (goal: at most 1 GB), for
   the learners' default variant and for the raw one.

Wall time depends on what else the machine runs (other jobs share its cores), so the CPU time
(user + system, all threads) is printed beside it, and the load average before and after. Peak
memory is read twice: ``ru_maxrss`` reported by the child itself (exact), and the highest RSS
the parent saw polling the child with psutil every 20 ms (a cross-check).

    python bench/bench_scale.py

Running it takes about 3 minutes and 11 GB of memory on two quiet cores. This prints figures; it is not a timed test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import psutil

__all__ = ["main", "measure"]

GB = 1e9
GOAL_SQL_GB = 1.0
GOAL_CITY_SECONDS = 180.0
GOAL_CITY_GB = 16.0
GOAL_PER_RESIDENT_RATIO = 1.2
WARD, CITY = "urban-ward", "designated-city"

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
out["peak_bytes"] = usage.ru_maxrss * 1024  # KiB on Linux
print(json.dumps(out))
"""


def measure(what: str, profile: str, scale: float, data_dir: str) -> dict:
    """Run one step in a fresh process; its JSON figures plus psutil's highest sampled RSS.

    Examples
    --------
    >>> measure("generate", "town", 0.02, "/tmp/bench-data")["residents"] > 0  # doctest: +SKIP
    True
    """
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
    res["psutil_peak_bytes"] = highest
    return res


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER GOAL"


def _load_average(when: str) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {when}: {load} (1, 5, 15 min) on {os.cpu_count()} CPUs")


def _generation(profile: str, data_dir: str) -> dict:
    gen = measure("generate", profile, 1.0, data_dir)
    print(
        f"{profile} scale 1.0: generation {gen['seconds']:.1f} s wall, "
        f"{gen['cpu_seconds']:.1f} s CPU; peak {gen['peak_bytes'] / GB:.2f} GB "
        f"(psutil sampled {gen['psutil_peak_bytes'] / GB:.2f} GB); "
        f"{gen['residents']:,} residents, {gen['resident_years']:,} resident-years"
    )
    return gen


def _city_goals(city: dict) -> None:
    print(
        f"  goals for the city: wall <= {GOAL_CITY_SECONDS:.0f} s: "
        f"{_verdict(city['seconds'] <= GOAL_CITY_SECONDS)}; peak <= {GOAL_CITY_GB:g} GB: "
        f"{_verdict(city['peak_bytes'] <= GOAL_CITY_GB * GB)}"
    )


def _per_resident(ward: dict, city: dict) -> None:
    """The city's cost per resident over the ward's, for wall time, CPU time and peak memory."""
    for label, key in (
        ("wall time", "seconds"),
        ("CPU time", "cpu_seconds"),
        ("peak", "peak_bytes"),
    ):
        w, c = ward[key] / ward["residents"], city[key] / city["residents"]
        unit, factor = ("µs", 1e6) if key != "peak_bytes" else ("KB", 1e-3)
        print(
            f"  per resident, {label}: ward {w * factor:.1f} {unit}, city {c * factor:.1f} {unit}, "
            f"ratio {c / w:.2f} (goal <= {GOAL_PER_RESIDENT_RATIO:g}: "
            f"{_verdict(c / w <= GOAL_PER_RESIDENT_RATIO)})"
        )
    print(f"  residents: city / ward = {city['residents'] / ward['residents']:.2f}")


def _sql(profile: str, data_dir: str) -> None:
    for variant in ("default", "raw"):
        q = measure(f"sql:{variant}", profile, 1.0, data_dir)
        peak = max(q["peak_bytes"], q["psutil_peak_bytes"])
        print(
            f"ds.sql grouped count over every resident-year of {profile} ({q['variant']}): "
            f"{q['seconds']:.1f} s wall, {q['cpu_seconds']:.1f} s CPU; peak RSS "
            f"{q['peak_bytes'] / GB:.2f} GB (psutil {q['psutil_peak_bytes'] / GB:.2f} GB; "
            f"goal <= {GOAL_SQL_GB:g} GB: {_verdict(peak <= GOAL_SQL_GB * GB)}); "
            f"{q['groups']:,} groups over {q['rows_counted']:,} rows"
        )


def main() -> None:
    """Run every step and print the figures."""
    _load_average("before the run")
    with tempfile.TemporaryDirectory() as data_dir:
        ward = _generation(WARD, data_dir)
        city = _generation(CITY, data_dir)
        _city_goals(city)
        _per_resident(ward, city)
        _sql(CITY, data_dir)
    _load_average("after the run")


if __name__ == "__main__":
    main()
