"""``ebpmkit grade``: grade a class's notebooks without trusting what they print.

Each submission is copied into a temporary folder (the original is only ever read) and run
there in its own kernel (``_runner.py``), with a time budget for the whole notebook, a memory
limit on the kernel process, and a hard kill of the whole process group as a last resort.
The kernel's ``HOME`` and working folder are temporary, so a notebook that deletes files
deletes only its copies. Every ``check`` call in the notebook appends the learner's answer to
an answers file outside that folder; after the run the grader recomputes the expected answers
from the exercise's dataset and judges those answers itself, with the same rule as ``check``.

A cell is named by its place among the notebook's code cells ("3番目のコードセル"), and a
syntax error by its line, never by IPython's internal file name.

With ``verify_seed`` (``--verify-seed N``) every submission runs a second time on the same
municipality generated with seed N (the kernel's ``EBPMKIT_SEED`` is N; the dataset is
generated here first, because the sandbox sees the data read-only) and its answers are judged
against that dataset's key. An answer right on the class data but not on seed N is
``not_reproduced`` (no points): it was most likely typed in, not computed.

A broken submission becomes a row with a status, never a crash of the run:

==============  ==============================================================
status          meaning
==============  ==============================================================
ok              ran; every recorded answer judged
blank           ran; no question answered (the exercise as handed out)
error           a cell raised an error (answers recorded elsewhere still count)
exited          ``sys.exit()`` or the kernel ended itself
crashed         the kernel died (segfault, killed)
timeout         the time budget ran out (answers recorded before still count)
slow_cell       a cell ran past the per-cell limit and was interrupted; the rest ran
memory          the memory limit was hit
not_a_notebook  not an ``.ipynb`` file
corrupt         not readable as a notebook
wrong_exercise  a notebook of another (or unknown) exercise
grader_error    the grader itself failed on this file
==============  ==============================================================

Examples
--------
>>> learner_of(Path("/home/jupyter-tanaka/exercises/00_practice.ipynb"))
'tanaka'
>>> learner_of(Path("/srv/collected/00_practice_suzuki.ipynb"))
'suzuki'
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import nbformat
from tqdm.auto import tqdm

from ebpmkit.errors import ParameterError, check_range
from ebpmkit.grading.checks import ANSWERS_ENV, STRICT_ENV
from ebpmkit.grading.messages import STATUS_LABELS, text
from ebpmkit.grading.questions import (
    Exercise,
    KeyEntry,
    Verdict,
    decode_answer,
    evaluate,
    exercise_ids,
    get_exercise,
)
from ebpmkit.grading.results import STATUSES, GradeResult, Submission
from ebpmkit.grading.sandbox import confine
from ebpmkit.grading.sandbox import require as require_sandbox
from ebpmkit.messages import message

__all__ = [
    "STATUSES",
    "GradeResult",
    "Submission",
    "find_submissions",
    "grade",
    "learner_of",
    "main",
]

RUNNER = Path(__file__).with_name("_runner.py")
STARTUP_TIMEOUT = 60
#: Default seconds one cell may run before it is interrupted (never more than the budget).
CELL_TIMEOUT = 30.0
#: Statuses of a ``--verify-seed`` re-run that say nothing about how answers were found.
_RERUN_INCONCLUSIVE = ("timeout", "memory", "crashed", "grader_error")
SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}


# --- finding submissions and learners ------------------------------------------------------


def _unescape(name: str) -> str:
    """Undo JupyterHub's escaping of user names in ``jupyter-<name>`` (``-2e`` is ``.``)."""
    return re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), name)


def _identity(path: Path, root: Path | None) -> tuple[str, bool]:
    """The learner's name and whether it came from a folder (True) or the file name (False)."""
    parts = path.parts
    for part in parts[:-1]:
        if part.startswith("jupyter-") and len(part) > len("jupyter-"):
            return _unescape(part[len("jupyter-") :]), True
    if root is not None:
        with contextlib.suppress(ValueError):
            rel = path.relative_to(root).parts
            if len(rel) > 1:
                return _unescape(rel[0].removeprefix("jupyter-")), True
    stem = path.name.split(".")[0]
    for ex_id in exercise_ids():
        base = Path(get_exercise(ex_id).notebook).stem
        if base in stem:
            rest = stem.replace(base, "").strip("_-. ")
            if rest:
                return rest, False
    absolute = path.absolute().parts
    if len(absolute) > 3 and absolute[1] == "home":
        return absolute[2], True
    return stem, False


def learner_of(path: Path, root: Path | None = None) -> str:
    """Who handed this file in, from its path or its name.

    In order: a ``jupyter-<name>`` folder (a JupyterHub home); the first folder below the
    folder given on the command line (``submissions/<name>/...``); the file name minus the
    exercise's file name (``00_practice_<name>.ipynb``); ``/home/<name>/...``; the file name.
    :func:`find_submissions` then tells apart files that would share a name taken from the
    file name, by the first folder in which their paths differ.

    Examples
    --------
    >>> learner_of(Path("subs/yamada/00_practice.ipynb"), root=Path("subs"))
    'yamada'
    >>> learner_of(Path("/home/sato/exercises/00_practice.ipynb"))
    'sato'
    """
    return _identity(path, root)[0]


def _tell_apart(found: list[tuple[Submission, bool]]) -> list[Submission]:
    """Give files whose learner name came only from the file name a name of their own.

    ``ebpmkit grade /srv/homes/*/exercises/06_case_furusato.ipynb`` names every file
    ``06_case_furusato``; one feedback page would then hold the whole class's answers. Such
    files are named instead by the first folder in which their paths differ
    (``/srv/homes/<name>/...``).
    """
    by_name: dict[str, list[int]] = {}
    for i, (sub, from_folder) in enumerate(found):
        if not from_folder:
            by_name.setdefault(sub.learner, []).append(i)
    subs = [sub for sub, _ in found]
    for indices in by_name.values():
        folders = [subs[i].path.absolute().parent.parts for i in indices]
        if len(set(folders)) < 2:
            continue
        common = 0
        while all(len(f) > common for f in folders) and len({f[common] for f in folders}) == 1:
            common += 1
        for i, parts in zip(indices, folders, strict=True):
            if len(parts) > common:
                name = _unescape(parts[common].removeprefix("jupyter-"))
                subs[i] = Submission(subs[i].path, name, subs[i].given)
    return subs


def find_submissions(paths: Sequence[str | Path]) -> list[Submission]:
    """Every file to grade: the files given, and every file inside the folders given.

    Hidden files and folders and ``.ipynb_checkpoints`` are skipped; other files are kept
    (a stray non-notebook becomes a row that says so). Two files are never given the same
    learner unless a folder says so (see :func:`learner_of`).

    Examples
    --------
    >>> find_submissions([])
    []
    """
    found: list[tuple[Submission, bool]] = []
    seen: set[Path] = set()
    for raw in paths:
        given = Path(raw)
        if given.is_dir():
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                )
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    if path.is_file() and path.resolve() not in seen:
                        seen.add(path.resolve())
                        learner, solid = _identity(path, given)
                        found.append((Submission(path, learner, given=False), solid))
        elif given.is_file():
            if given.resolve() not in seen:
                seen.add(given.resolve())
                learner, solid = _identity(given, None)
                found.append((Submission(given, learner), solid))
        else:
            raise ParameterError(message("grade.no_submission", path=given))
    return _tell_apart(found)


# --- one submission ------------------------------------------------------------------------


def _exercise_of(nb: nbformat.NotebookNode, path: Path) -> str | None:
    """The exercise a notebook is for: its metadata, else its file name if it checks answers.

    Lessons have the same file names as the exercises (``notebooks/06_case_furusato.ipynb``)
    but call no ``check(...)``, so a lesson in a learner's home is never taken for one.
    """
    declared = nb.metadata.get("ebpmkit", {}).get("exercise")
    if declared:
        return str(declared)
    checks = any(
        cell.cell_type == "code" and re.search(r"\bcheck\(", cell.source) for cell in nb.cells
    )
    if not checks:
        return None
    for ex_id in exercise_ids():
        if Path(get_exercise(ex_id).notebook).stem in path.name:
            return ex_id
    return None


def _read_answers(journal: Path, exercise_id: str) -> dict[str, dict[str, Any]]:
    """The last recorded answer of each question of this exercise."""
    answers: dict[str, dict[str, Any]] = {}
    try:
        lines = journal.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return answers
    for line in lines:
        try:
            record = json.loads(line)
            if record.get("exercise") == exercise_id and isinstance(record.get("answer"), dict):
                answers[str(record["question"])] = record["answer"]
        except (ValueError, AttributeError, KeyError):
            continue
    return answers


def _score(
    ex: Exercise, key: dict[str, KeyEntry], answers: dict[str, dict[str, Any]]
) -> dict[str, Verdict]:
    verdicts = {}
    for q in ex.questions:
        payload = answers.get(q.id, {"type": "unanswered"})
        try:
            answer = decode_answer(payload)
        except Exception:
            answer = decode_answer({"type": "other", "class": "読み取れない答え"})
        verdicts[q.id] = evaluate(q, answer, key[q.id])
    return verdicts


def _kernel_env(job_dir: Path, journal: Path, seed: int | None = None) -> dict[str, str]:
    from ebpmkit import cache

    env = dict(os.environ)
    env.pop(STRICT_ENV, None)
    home = job_dir / "home"
    home.mkdir()
    try:
        import matplotlib

        mpl_dir = os.environ.get("MPLCONFIGDIR") or matplotlib.get_cachedir()
    except Exception:  # pragma: no cover - matplotlib is a dependency
        mpl_dir = ""
    env.update(
        {
            ANSWERS_ENV: str(journal),
            "EBPMKIT_PROGRESS_DIR": str(job_dir / "progress"),
            "EBPMKIT_DATA_DIR": str(cache.data_dir()),
            "HOME": str(home),
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MALLOC_ARENA_MAX": "2",
        }
    )
    if mpl_dir:
        env["MPLCONFIGDIR"] = str(mpl_dir)
    if seed is not None:  # --verify-seed: the class's seed replaced, as a class would set it
        from ebpmkit.dataset import SEED_ENV

        env[SEED_ENV] = str(seed)
    return env


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


# "msg (2444499308.py, line 5)": where IPython puts the line of a syntax error.
_SYNTAX_LINE = re.compile(r"\(([^()]*), line (\d+)\)\s*$")


def _cell_of(err: dict[str, Any]) -> int:
    """The cell's place among the notebook's code cells (from 1), as a learner counts."""
    return int(err.get("code_cell") or err.get("cell", 0) + 1)


def _problem_text(err: dict[str, Any]) -> str:
    """One cell's problem in Japanese: a syntax error by its line, never IPython's file name."""
    cell, ename, evalue = _cell_of(err), err.get("ename", ""), err.get("evalue", "")
    if ename in ("SyntaxError", "IndentationError", "TabError"):
        found = _SYNTAX_LINE.search(evalue)
        if found:
            return text("cell_syntax", cell=cell, line=found.group(2))
        return text("cell_syntax_noline", cell=cell)
    if ename == "SystemExit":
        return text("cell_exit", cell=cell, ename=ename)
    if evalue:
        return text("cell_error", cell=cell, ename=ename, evalue=evalue)
    return text("cell_error_plain", cell=cell, ename=ename)


def _status_from_run(run: dict[str, Any], answered: bool) -> tuple[str, str]:
    errors = run.get("errors", [])
    slow = run.get("slow_cells", [])
    problems = [
        text("cell_slow", cell=_cell_of(c), seconds=f"{float(c.get('seconds', 0)):g}") for c in slow
    ] + [_problem_text(e) for e in errors]

    def listed(first: str | None = None) -> str:
        shown = [first] if first else []
        shown += [p for p in problems if p != first]
        more = text("more_problems", count=len(shown) - 3) if len(shown) > 3 else ""
        return "、".join(shown[:3]) + more

    if run.get("timed_out"):
        budget = run.get("budget", "?")
        seconds = f"{budget:g}" if isinstance(budget, int | float) else str(budget)
        at, stuck = run.get("timeout_cell"), run.get("unstoppable_cell")
        if stuck:
            limit = f"{float(stuck.get('seconds', 0)):g}"
            first = text("cell_unstoppable", cell=stuck.get("code_cell"), seconds=limit)
        elif at:
            first = text("cell_timeout_at", cell=at, seconds=seconds)
        else:
            first = text("run_timeout", seconds=seconds)
        return "timeout", listed(first)
    if run.get("memory_exceeded"):
        return "memory", f"上限 {run.get('memory_mib', '?')} MiB"
    memory = [e for e in errors if "MemoryError" in e.get("ename", "")]
    if memory:
        return "memory", listed(_problem_text(memory[0]))
    if run.get("too_many_processes"):
        return "crashed", f"プロセス数が上限 {run['too_many_processes']} を超えました"
    if run.get("dead"):
        code = run.get("returncode")
        if code is not None and code >= 0:
            return "exited", f"終了コード {code}"
        return "crashed", f"シグナル {-code}" if code is not None else ""
    exits = [e for e in errors if e.get("ename") == "SystemExit"]
    if exits:
        return "exited", listed(_problem_text(exits[0]))
    if slow:
        return "slow_cell", listed()
    if errors:
        return "error", listed()
    if not answered:
        return "blank", ""
    return "ok", ""


def _execute(
    source: Path,
    data: bytes,
    *,
    timeout: float,
    memory_mb: int,
    workroot: Path,
    sandbox: bool = False,
    cell_timeout: float = 0,
    seed: int | None = None,
) -> tuple[dict[str, Any], Path]:
    """Run a copy of the notebook; return the runner's report and the answers file."""
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=workroot))
    work = job_dir / "work"
    work.mkdir()
    copy = work / source.name
    copy.write_bytes(data)
    journal = job_dir / "answers.jsonl"
    job = {
        "notebook": str(copy),
        "cwd": str(work),
        "env": _kernel_env(job_dir, journal, seed),
        "timeout": timeout,
        "cell_timeout": cell_timeout,
        "memory": int(memory_mb) * 1024 * 1024,
        "result": str(job_dir / "result.json"),
        "pid_file": str(job_dir / "kernel.pid"),
        "startup_timeout": STARTUP_TIMEOUT,
    }
    job_file = job_dir / "job.json"
    command = [sys.executable, str(RUNNER), str(job_file)]
    if sandbox:  # the runner and its kernel inside bubblewrap (sandbox.py)
        job, command = confine(job, job_dir, RUNNER)
    job_file.write_text(json.dumps(job), encoding="utf-8")
    with open(job_dir / "runner.log", "wb") as log:
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=job_dir,
        )
        hard_killed = False
        try:
            proc.wait(timeout=timeout + STARTUP_TIMEOUT + 15)
        except subprocess.TimeoutExpired:
            hard_killed = True
            _kill_group(proc.pid)
            proc.wait()
    # Whatever happened, no kernel outlives its submission.
    with contextlib.suppress(OSError, ValueError):
        _kill_group(int((job_dir / "kernel.pid").read_text()))
    try:
        run = json.loads((job_dir / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run = {"timed_out": True} if hard_killed else {"runner_error": "no result"}
    run["budget"] = timeout
    run["memory_mib"] = memory_mb
    return run, journal


def _inspect(sub: Submission, only: str | None) -> tuple[GradeResult | None, bytes, str | None]:
    """Read and classify one file: a finished result when it cannot run, else its exercise."""

    def result(exercise: str | None, status: str, detail: str = "") -> GradeResult:
        return GradeResult(sub, exercise, status, detail)

    try:
        data = sub.path.read_bytes()
    except OSError as exc:
        return result(None, "grader_error", f"読み込めません: {exc}"), b"", None
    if sub.path.suffix.lower() != ".ipynb":
        return result(None, "not_a_notebook", sub.path.name), data, None
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return result(None, "corrupt", reason), data, None
    ex_id = _exercise_of(nb, sub.path)
    if ex_id is None:
        return (
            result(None, "wrong_exercise", "どの練習問題のノートブックか分かりません"),
            data,
            None,
        )
    if only is not None and ex_id != only:
        detail = f"練習問題{ex_id}のノートブックです(採点対象は練習問題{only})"
        return result(ex_id, "wrong_exercise", detail), data, ex_id
    if ex_id not in exercise_ids():
        return result(ex_id, "wrong_exercise", f"練習問題{ex_id}は登録されていません"), data, ex_id
    return None, data, ex_id


def _submitted(sub: Submission, done: GradeResult, exercise: str | None) -> bool:
    """Whether a file that will not run still gets a row.

    A file named on the command line always does. Inside a folder (a learner's home, a
    collected folder), a notebook of no exercise (a lesson, a scratch notebook) does not, and
    with ``--exercise`` only files that look like that exercise's do: its notebook in another
    exercise's name is reported, other exercises' notebooks are left alone.
    """
    if sub.given:
        return True
    if done.status == "wrong_exercise" and done.exercise is None:
        return False
    if exercise is None:
        return True
    stem = Path(get_exercise(exercise).notebook).stem
    return stem in sub.path.name


def _reproduced(
    ex: Exercise, verdicts: dict[str, Verdict], again: dict[str, Verdict]
) -> dict[str, Verdict]:
    """The verdicts with every answer right on the class data but not on the re-run's data
    turned into ``not_reproduced`` (no points)."""
    out = dict(verdicts)
    for q in ex.questions:
        first, second = verdicts.get(q.id), again.get(q.id)
        if first is None or second is None or q.kind == "text":
            continue
        if first.outcome == "correct" and not second.passed:
            out[q.id] = Verdict(
                q.id,
                "not_reproduced",
                0,
                first.max_points,
                text("not_reproduced", question=q.id),
                text("not_reproduced_hint"),
                answer_summary=first.answer_summary,
                extra={"rerun_outcome": second.outcome},
            )
    return out


def _run_and_score(
    sub: Submission,
    data: bytes,
    ex_id: str,
    *,
    key: dict[str, KeyEntry],
    timeout: float,
    memory_mb: int,
    workroot: Path,
    sandbox: bool = False,
    cell_timeout: float = 0,
    verify: tuple[int, dict[str, KeyEntry]] | None = None,
) -> GradeResult:
    started = time.monotonic()
    seed = verify[0] if verify is not None else None

    def result(status: str, detail: str = "", **kw: Any) -> GradeResult:
        seconds = round(time.monotonic() - started, 2)
        return GradeResult(
            sub, ex_id, status, detail, seconds=seconds, sandboxed=sandbox, verify_seed=seed, **kw
        )

    def execute(
        key: dict[str, KeyEntry], seed: int | None
    ) -> tuple[dict[str, Any], dict[str, Verdict]]:
        run, journal = _execute(
            sub.path,
            data,
            timeout=timeout,
            memory_mb=memory_mb,
            workroot=workroot,
            sandbox=sandbox,
            cell_timeout=cell_timeout,
            seed=seed,
        )
        try:
            if "runner_error" in run:
                return run, {}
            return run, _score(get_exercise(ex_id), key, _read_answers(journal, ex_id))
        finally:
            shutil.rmtree(journal.parent, ignore_errors=True)

    try:
        run, verdicts = execute(key, None)
        if "runner_error" in run:
            return result("grader_error", run["runner_error"])
        answered = any(v.outcome != "unanswered" for v in verdicts.values())
        status, detail = _status_from_run(run, answered)
        if verify is not None:
            again_run, again = execute(verify[1], verify[0])
            if "runner_error" in again_run:
                again_status = "grader_error"
            else:
                done = any(v.outcome != "unanswered" for v in again.values())
                again_status = _status_from_run(again_run, done)[0]
            if again_status in _RERUN_INCONCLUSIVE:
                label = STATUS_LABELS.get(again_status, again_status)
                note = text("verify_rerun", seed=verify[0], label=label)
                detail = f"{detail}、{note}" if detail else note
            else:
                verdicts = _reproduced(get_exercise(ex_id), verdicts, again)
        return result(status, detail, verdicts=verdicts)
    except Exception as exc:  # one submission never stops the class
        return result("grader_error", f"{type(exc).__name__}: {exc}"[:200])


def _verify_key(ex: Exercise, seed: int) -> dict[str, KeyEntry]:
    """The exercise's key on its dataset with the class's seed replaced by ``seed``.

    Generating the dataset here also puts it in the data cache, which the sandboxed kernel
    can only read.
    """
    from ebpmkit.dataset import SEED_ENV, load

    profile, resolved = ex.data.resolve({**os.environ, SEED_ENV: str(seed)})
    ds = load(profile, resolved, scale=ex.data.scale, variant=ex.data.variant, progress=False)
    return ex.answer_key(ds)


def grade(
    paths: Sequence[str | Path],
    *,
    exercise: str | None = None,
    jobs: int = 1,
    timeout: float = 120,
    memory: int = 3072,
    progress: bool = True,
    sandbox: bool = True,
    cell_timeout: float = CELL_TIMEOUT,
    verify_seed: int | None = None,
) -> list[GradeResult]:
    """Grade submissions and return one :class:`GradeResult` per file, in input order.

    Parameters
    ----------
    paths : sequence of str or Path
        Notebooks, or folders searched for files (see :func:`find_submissions`).
    exercise : str, optional
        Grade only this exercise. Other exercises' notebooks named on the command line become
        ``wrong_exercise`` rows; inside a folder they are left out (see :func:`_submitted`).
    jobs : int
        Submissions run at the same time (each in its own kernel).
    timeout : float
        Seconds allowed for running one whole notebook.
    memory : int
        Memory limit of one kernel (and its subprocesses), in MiB of resident memory.
    progress : bool
        Show a progress bar.
    sandbox : bool
        Run each submission in the grading sandbox (:mod:`ebpmkit.grading.sandbox`). When
        none can run, grading refuses with a message that says how to install one; False
        (``--no-sandbox``) runs learners' code with your own permissions.
    cell_timeout : float
        Seconds one cell may run before it is interrupted; the next cells still run within
        what is left of ``timeout`` (status ``slow_cell``).
    verify_seed : int, optional
        Run every submission again on the same municipality generated with this seed and
        judge its answers on that dataset: an answer right on the class data only becomes
        ``not_reproduced`` (no points). Doubles the running time.

    Examples
    --------
    >>> results = grade(["submissions/"], jobs=2, timeout=60)  # doctest: +SKIP
    """
    jobs = check_range("jobs", jobs, low=1, high=64, kind=int)
    timeout = check_range("timeout", timeout, low=1)
    memory = check_range("memory", memory, low=256, kind=int)
    cell_timeout = check_range("cell_timeout", cell_timeout, low=1)
    if verify_seed is not None:
        verify_seed = check_range("verify_seed", verify_seed, low=0, high=2**32 - 1, kind=int)
    if sandbox:
        require_sandbox()
    if exercise is not None:
        get_exercise(exercise)
    submissions = find_submissions(paths)
    results: list[GradeResult | None] = [None] * len(submissions)
    to_run: list[tuple[int, bytes, str]] = []
    for i, sub in enumerate(submissions):
        done, data, ex_id = _inspect(sub, exercise)
        if done is not None:
            if _submitted(sub, done, exercise):
                results[i] = done
        else:
            to_run.append((i, data, ex_id))
    # Each exercise's key is computed once, here; this also fills the data cache before any
    # kernel needs it.
    keys = {}
    for ex_id in sorted({ex_id for _, _, ex_id in to_run}):
        ex = get_exercise(ex_id)
        keys[ex_id] = ex.answer_key(ex.data.load())
    verify = {}
    if verify_seed is not None:
        for ex_id in keys:
            verify[ex_id] = (verify_seed, _verify_key(get_exercise(ex_id), verify_seed))
    with (
        tempfile.TemporaryDirectory(prefix="ebpmkit-grade-") as workroot,
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(submissions), desc="採点中", unit="件", disable=not progress) as bar,
    ):
        bar.update(len(submissions) - len(to_run))
        futures = {
            pool.submit(
                _run_and_score,
                submissions[i],
                data,
                ex_id,
                key=keys[ex_id],
                timeout=timeout,
                memory_mb=memory,
                workroot=Path(workroot),
                sandbox=sandbox,
                cell_timeout=min(cell_timeout, timeout),
                verify=verify.get(ex_id),
            ): i
            for i, data, ex_id in to_run
        }
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            bar.set_postfix_str(submissions[i].learner)
            bar.update(1)
    for r in results:  # rows that never ran are part of the same run
        if r is not None:
            r.sandboxed, r.verify_seed = sandbox, verify_seed
    return [r for r in results if r is not None]


def main(
    *,
    paths: Sequence[str | Path],
    out: str | Path = "grades.csv",
    feedback: str | Path = "feedback",
    exercise: str | None = None,
    jobs: int = 1,
    timeout: float = 120,
    memory: int = 3072,
    progress: bool = True,
    sandbox: bool = True,
    cell_timeout: float = CELL_TIMEOUT,
    verify_seed: int | None = None,
) -> int:
    """Grade, then write the grades CSV, feedback pages, item analysis and free-text answers.

    Beside ``out`` (``grades.csv``) it writes ``grades_items.csv`` and ``grades_items.png``
    (per question: pass rate over those who answered, discrimination, the
    misconception at least two learners share) and ``grades_free_text.csv``;
    ``feedback/`` gets one Japanese HTML page per learner. Returns 0 when the run completed.

    Examples
    --------
    >>> main(paths=["submissions/"], out="grades.csv", jobs=2)  # doctest: +SKIP
    0
    """
    from ebpmkit.grading import report

    started = time.monotonic()
    results = grade(
        paths,
        exercise=exercise,
        jobs=jobs,
        timeout=timeout,
        memory=memory,
        progress=progress,
        sandbox=sandbox,
        cell_timeout=cell_timeout,
        verify_seed=verify_seed,
    )
    written = report.write_all(results, out=Path(out), feedback=Path(feedback))
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = "、".join(f"{k} {v}件" for k, v in sorted(counts.items()))
    print(
        f"{len(results)}件を採点しました({summary})。{time.monotonic() - started:.1f}秒 / "
        f"graded {len(results)} file(s)"
    )
    for path in written:
        print(f"書き出しました / written: {path}")
    mode = message("grade.sandbox_used", mechanism=require_sandbox()) if sandbox else None
    print(mode or message("grade.sandbox_off"))
    return 0
