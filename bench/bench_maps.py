"""Benchmark: building each fictional map from scratch, and drawing the finest choropleth.

Run ``python bench/bench_maps.py`` (``make bench`` runs it with the others). For every built-in
profile it prints the time to build the map as :mod:`ebpmkit.synth.geography` does for a
trainer's own profile (built-in profiles ship theirs), against the goal of at most 1.5 s of
CPU, with the number of areas, districts and chome and the size of the shipped file. Then it
draws a chome-level choropleth of the largest maps with :func:`ebpmkit.maps.choropleth` and
saves it as a PNG, which is what a lesson cell does.

Wall time depends on what else the machine runs; the CPU time of this process is printed
beside it.
"""

from __future__ import annotations

import argparse
import io
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ebpmkit import maps
from ebpmkit.synth import geography
from ebpmkit.synth.profile import builtin_profiles, load_profile

__all__ = ["GOAL_BUILD_CPU_SECONDS", "build", "draw", "main"]

GOAL_BUILD_CPU_SECONDS = 1.5
DRAWN = ("urban-ward", "designated-city")


def _timed(work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def build(name: str) -> dict:
    """Build one built-in profile's map from scratch; its timings and unit counts.

    Examples
    --------
    >>> build("town")["features"] > 0  # doctest: +SKIP
    True
    """
    spec = geography._spec(load_profile(name))
    collection, wall, cpu = _timed(lambda: geography._collection(spec, name))
    levels = pd.Series([f["properties"]["level"] for f in collection["features"]])
    shipped = (geography._DATA_DIR / f"{name}.geojson").stat().st_size
    return {
        "profile": name,
        "wall": wall,
        "cpu": cpu,
        "features": len(collection["features"]),
        "levels": levels.value_counts().to_dict(),
        "shipped_bytes": shipped,
    }


def draw(name: str) -> dict:
    """Draw a chome-level choropleth of one profile's map and save it as a PNG; its timings."""
    codes = [f["properties"]["code"] for f in geography.boundaries(name, "chome")["features"]]
    values = np.random.default_rng(0).gamma(2.0, 50.0, len(codes)).round()
    data = pd.DataFrame({"chome_code": codes, "人数": values})

    def work() -> int:
        ax = maps.choropleth(data, value="人数", area="chome_code", profile=name)
        buffer = io.BytesIO()
        ax.figure.savefig(buffer, format="png")
        plt.close(ax.figure)
        return buffer.tell()

    png_bytes, wall, cpu = _timed(work)
    return {"profile": name, "wall": wall, "cpu": cpu, "chome": len(codes), "png_bytes": png_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    print(f"build a map from scratch (goal: at most {GOAL_BUILD_CPU_SECONDS} s of CPU)")
    for name in builtin_profiles():
        got = build(name)
        verdict = "ok" if got["cpu"] <= GOAL_BUILD_CPU_SECONDS else "over"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(got["levels"].items()))
        print(
            f"  {name}: {got['wall']:.2f} s wall, {got['cpu']:.2f} s CPU ({verdict}); "
            f"{counts}; shipped file {got['shipped_bytes'] / 1e3:,.0f} kB"
        )
    maps.choropleth(pd.DataFrame({"district_code": ["D01"], "n": [1]}), value="n")  # warm-up
    plt.close("all")
    print("draw a chome-level choropleth and save it as PNG")
    for name in DRAWN:
        got = draw(name)
        print(
            f"  {name}: {got['chome']:,} chome in {got['wall']:.2f} s wall, "
            f"{got['cpu']:.2f} s CPU; PNG {got['png_bytes'] / 1e3:,.0f} kB"
        )


if __name__ == "__main__":
    main()
