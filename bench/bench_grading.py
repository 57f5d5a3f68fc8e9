"""Benchmark: grade 40 submissions of the practice exercise with --jobs 2.

Goal (2-core machine): at most 3 minutes for the 40, the dataset coming from the cache.
The class is a mix: correct notebooks, blank ones (as handed out) and ones with the usual
misconceptions. The data cache is filled first and its time reported apart.

    python bench/bench_grading.py [--n 40] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 180


def _class_folder(folder: Path, n: int) -> None:
    solution = nbformat.read(ROOT / "solutions" / "00_practice.ipynb", as_version=4)
    blank = nbformat.read(ROOT / "exercises" / "00_practice.ipynb", as_version=4)
    wrong = nbformat.from_dict(solution)
    for cell in wrong.cells:
        if 'check("q1"' in cell.source and cell.cell_type == "code":
            cell.source = 'check("q1", len(ry))'
        if 'check("q3"' in cell.source and cell.cell_type == "code":
            cell.source = 'check("q3", "西部")'
    kinds = [solution, solution, wrong, blank]
    for i in range(n):
        nbformat.write(kinds[i % len(kinds)], folder / f"learner{i:02d}" / "00_practice.ipynb")


def run(n: int = 40, jobs: int = 2) -> dict:
    """Grade ``n`` generated submissions; return the figures."""
    from ebpmkit.grading import get_exercise
    from ebpmkit.grading.grade import main

    t = time.perf_counter()
    get_exercise("00").data.load()
    warm = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subs = tmp / "submissions"
        for i in range(n):
            (subs / f"learner{i:02d}").mkdir(parents=True)
        _class_folder(subs, n)
        t = time.perf_counter()
        main(
            paths=[subs],
            out=tmp / "grades.csv",
            feedback=tmp / "feedback",
            jobs=jobs,
            timeout=120,
            progress=False,
        )
        seconds = time.perf_counter() - t
        import pandas as pd

        grades = pd.read_csv(tmp / "grades.csv", encoding="utf-8-sig")
    return {
        "submissions": n,
        "jobs": jobs,
        "data_cache_seconds": round(warm, 2),
        "grading_seconds": round(seconds, 1),
        "seconds_per_notebook": round(seconds / n, 2),
        "statuses": grades["status"].value_counts().to_dict(),
        "goal_seconds": GOAL_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    res = run(args.n, args.jobs)
    print(f"data cache ready in {res['data_cache_seconds']:.2f} s")
    print(
        f"graded {res['submissions']} submissions with --jobs {res['jobs']}: "
        f"{res['grading_seconds']:.1f} s ({res['seconds_per_notebook']:.2f} s each; "
        f"goal <= {GOAL_SECONDS} s)"
    )
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
