"""Benchmark: wall time and kernel peak memory of every notebook in notebooks/ and solutions/.

Goals (each notebook, 2-core machine): <= 30 s from the first cell to the last, and the
kernel's peak memory (resident set, VmHWM) <= 1 GB.

Each notebook runs in a fresh kernel with nbclient, in a temporary folder (so progress files
and saved charts do not touch the checkout), with strict mode on for the solutions. A last
cell, appended to the copy, prints the kernel's peak memory read from /proc/self/status
(``resource.getrusage`` where /proc is missing). Time is the wall time of ``execute()``,
kernel start included.

Before anything is timed, every dataset the notebooks use is loaded once, so a first-use
generation never counts in a notebook's time: the default urban ward (the lessons) and each
registered exercise's dataset (the solutions). The output says so.

    python bench/bench_notebooks.py [--timeout 600] [NOTEBOOK ...]

This prints figures; it is not a test and exits 0 even when a goal is missed or a notebook
fails (the failure is shown in the table).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions")
GOAL_SECONDS = 30.0
GOAL_MB = 1024.0

# Appended to each notebook's copy: the kernel process's peak resident memory in MiB.
PEAK_CELL = r"""
import json as _json, os as _os, resource as _resource, sys as _sys
try:
    with open(f"/proc/{_os.getpid()}/status", encoding="ascii") as _f:
        _kib = next(int(_l.split()[1]) for _l in _f if _l.startswith("VmHWM:"))
    _how = "VmHWM"
except (OSError, StopIteration):
    _kib = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
    _kib = _kib / 1024 if _sys.platform == "darwin" else _kib  # bytes on macOS
    _how = "ru_maxrss"
print("EBPMKIT_BENCH_PEAK " + _json.dumps({"mb": _kib / 1024, "how": _how}))
"""


def notebooks(paths: list[str] | None = None) -> list[Path]:
    """The notebooks to run: the given paths, or every .ipynb in notebooks/ and solutions/."""
    if paths:
        return [Path(p).resolve() for p in paths]
    found: list[Path] = []
    for folder in FOLDERS:
        found += sorted((ROOT / folder).glob("*.ipynb"))
    return found


def warm_up() -> list[str]:
    """Load every dataset the notebooks use once (generating it if needed); return what ran."""
    import ebpmkit
    from ebpmkit.grading.questions import exercise_ids, get_exercise

    done: list[str] = []
    t = time.perf_counter()
    ebpmkit.load(progress=False)
    done.append(f"urban-ward scale 1 (lessons): {time.perf_counter() - t:.1f} s")
    seen: set[tuple] = set()
    for ex_id in exercise_ids():
        data = get_exercise(ex_id).data
        if data in seen:
            continue
        seen.add(data)
        t = time.perf_counter()
        data.load()
        done.append(
            f"{data.profile} scale {data.scale:g} (exercise {ex_id}): {time.perf_counter() - t:.1f} s"
        )
    return done


def _peak(nb) -> tuple[float | None, str]:
    for output in nb.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith("EBPMKIT_BENCH_PEAK "):
                data = json.loads(line.split(" ", 1)[1])
                return data["mb"], data["how"]
    return None, ""


def run_one(path: Path, timeout: int = 600) -> dict:
    """Execute one notebook in a fresh kernel; return seconds, peak MB and any error."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    strict = path.parent.name == "solutions"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "EBPMKIT_PROGRESS_DIR": str(Path(tmp) / "progress"),
            "EBPMKIT_ANSWERS_FILE": str(Path(tmp) / "answers.jsonl"),
            "EBPMKIT_STRICT": "1" if strict else "0",
        }
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False)
        error = ""
        t = time.perf_counter()
        try:
            client.execute(env=env, cwd=tmp)
        except Exception as exc:  # a broken notebook is a row of the table, not a crash
            first = str(exc).strip().splitlines()
            error = f"{type(exc).__name__}: {first[-1] if first else ''}"[:120]
        seconds = time.perf_counter() - t
    mb, how = _peak(nb)
    return {
        "notebook": f"{path.parent.name}/{path.name}",
        "seconds": round(seconds, 2),
        "peak_mb": None if mb is None else round(mb, 1),
        "peak_measure": how,
        "error": error,
    }


def _verdict(res: dict) -> str:
    if res["error"]:
        return "FAILED"
    ok_time = res["seconds"] <= GOAL_SECONDS
    ok_mem = res["peak_mb"] is not None and res["peak_mb"] <= GOAL_MB
    if ok_time and ok_mem:
        return "yes"
    missed = [w for w, ok in (("time", ok_time), ("memory", ok_mem)) if not ok]
    return "no (" + ", ".join(missed) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="*", help="notebooks to run (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()

    paths = notebooks(args.notebook)
    print("Loading each dataset once before timing (first-use generation is not counted):")
    for line in warm_up():
        print(f"  {line}")
    print(f"Goals per notebook: <= {GOAL_SECONDS:g} s, kernel peak memory <= {GOAL_MB:g} MB")
    print(
        "(time includes kernel start; memory is the kernel's VmHWM; solutions run in strict mode)"
    )
    rows = []
    width = max([len("notebook")] + [len(f"{p.parent.name}/{p.name}") for p in paths])
    print(f"{'notebook':<{width}}  {'seconds':>8}  {'peak MB':>8}  within goals?")
    for path in paths:
        res = run_one(path, args.timeout)
        rows.append(res)
        peak = "-" if res["peak_mb"] is None else f"{res['peak_mb']:.0f}"
        line = f"{res['notebook']:<{width}}  {res['seconds']:>8.1f}  {peak:>8}  {_verdict(res)}"
        if res["error"]:
            line += f"  {res['error']}"
        print(line, flush=True)
    within = sum(_verdict(r) == "yes" for r in rows)
    print(f"{within} of {len(rows)} notebooks within the goals")
    print(json.dumps(rows, ensure_ascii=False))


if __name__ == "__main__":
    main()
    sys.exit(0)
