"""Run one submission in its own kernel, with a time and a memory limit (a grading subprocess).

``ebpmkit grade`` starts this file as a script (``python _runner.py job.json``), in a new
session so that it can be killed as a group. It deliberately imports nothing from ebpmkit: the
kernel does that. The job file gives the notebook copy, its working folder, the kernel's
environment, the time budget (seconds, the whole notebook) and the memory limit.

The memory limit is on resident memory (what a runaway notebook actually takes from the
machine): a watchdog thread sums the resident set of the kernel's process group (with psutil)
every 0.1 s and kills the group when it passes the limit. ``RLIMIT_AS`` on the kernel is a
backstop (the limit plus 8 GiB of address space, because a kernel with pandas and pyarrow
reserves gigabytes it never touches): it turns a single giant allocation into a MemoryError.

Cells run one by one with ``allow_errors``: an error in one cell does not stop the rest, as in
a learner's own top-to-bottom run. A cell that runs longer than ``cell_timeout`` seconds is
interrupted (SIGINT, as the notebook's stop button does; the kernel lives on) and the next cell
runs, within what is left of the budget; a kernel that ignores the interrupt for
``INTERRUPT_GRACE`` seconds ends the run as a timeout. When the time budget runs out the
kernel is stopped. Each problem names its cell by its place among the notebook's code cells
(``code_cell``, from 1), the number a learner counts. The result (which cells failed and how, whether time ran out, whether the kernel
died and with which code) is written as JSON; the answers themselves are read by the grader
from the answers file that ``check`` appends to.

Inside the grading sandbox (``sandbox.py``; the job says ``"sandboxed": true``) the runner
first copies the files the job lists (the notebook into its working folder, matplotlib's font
list into the private home) and sets ``RLIMIT_FSIZE``. Its watchdog then counts every process
of the sandbox's own process namespace, not only the kernel's group, and kills them all when
their memory passes the limit or their number passes ``max_processes`` (a fork storm). The
result is written in place, because the sandbox sees that one file bound, not its folder.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
import time
from typing import Any

import psutil

__all__ = ["run"]


ADDRESS_SPACE_MARGIN = 8 * 1024**3
# Seconds an interrupted cell may take to stop before the run counts as timed out.
INTERRUPT_GRACE = 10.0


def _limit_memory(limit: int) -> Any:
    def apply() -> None:  # runs in the kernel process, between fork and exec
        import resource

        if limit > 0:
            cap = limit + ADDRESS_SPACE_MARGIN
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def group_rss(pgid: int) -> int | None:
    """Resident bytes of every process in the process group ``pgid`` (None without groups).

    Processes that end or cannot be read while being counted are skipped.
    """
    if not hasattr(os, "getpgid"):  # pragma: no cover - Windows has no process groups
        return None
    total = 0
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid:
                total += process.memory_info().rss
        except (psutil.Error, OSError):
            continue
    return total


def _namespace_others() -> list[psutil.Process]:
    """Every process of the sandbox's namespace but its init (pid 1) and this runner."""
    spared = {1, os.getpid()}
    return [p for p in psutil.process_iter() if p.pid not in spared]


def _own_pid_namespace() -> bool:
    """True only inside bubblewrap's process namespace (bwrap is pid 1, our parent)."""
    try:
        return os.getppid() == 1 and psutil.Process(1).name() == "bwrap"
    except psutil.Error:
        return False


def namespace_usage() -> tuple[int, int]:
    """Resident bytes and number of the namespace's processes (see _namespace_others)."""
    total = count = 0
    for process in _namespace_others():
        try:
            total += process.memory_info().rss
            count += 1
        except psutil.Error:
            continue
    return total, count


def _kill_namespace() -> None:
    """Kill every other process of the namespace; repeat while a storm still forks."""
    for _ in range(100):
        others = _namespace_others()
        if not others:
            return
        for process in others:
            try:
                process.kill()
            except psutil.Error:
                continue
        time.sleep(0.01)


class _Watchdog(threading.Thread):
    """Kills the kernel's process group when its resident memory passes the limit.

    With ``whole_namespace`` (only inside the sandbox's own process namespace) it counts
    and kills every process of the namespace instead, and also stops them when there are
    more than ``max_processes``.
    """

    def __init__(
        self, pgid: int, limit: int, *, whole_namespace: bool = False, max_processes: int = 0
    ) -> None:
        super().__init__(daemon=True)
        self.pgid, self.limit = pgid, limit
        self.whole_namespace = whole_namespace and _own_pid_namespace()
        self.max_processes = max_processes
        self.exceeded = False
        self.too_many = False
        self.peak = 0
        self.stopped = threading.Event()

    def _usage(self) -> tuple[int | None, int]:
        if self.whole_namespace:
            return namespace_usage()
        return group_rss(self.pgid), 0

    def _kill(self) -> None:
        if self.whole_namespace:
            _kill_namespace()
            return
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except OSError:
            pass

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            rss, count = self._usage()
            if rss is None:
                return
            self.peak = max(self.peak, rss)
            self.too_many = bool(self.max_processes) and count + 1 > self.max_processes
            if (self.limit > 0 and rss > self.limit) or self.too_many:
                self.exceeded = not self.too_many
                self._kill()
                return


def _errors_of(cell: Any, index: int, ordinal: int) -> list[dict[str, Any]]:
    return [
        {
            "cell": index,
            "code_cell": ordinal,
            "ename": out.get("ename", ""),
            "evalue": str(out.get("evalue", ""))[:300],
        }
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _interrupt(client: Any, grace: float) -> bool:
    """Interrupt the running cell; True once the kernel has answered it within ``grace`` s."""
    from queue import Empty

    from nbclient.util import ensure_async, run_sync

    async def stop() -> bool:
        await ensure_async(client.km.interrupt_kernel())
        end = time.monotonic() + grace
        # The timed-out execute request is the only one outstanding: its reply is next.
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await ensure_async(client.kc.shell_channel.get_msg(timeout=left))
            except Empty:
                return False
            if msg.get("msg_type") == "execute_reply":
                return True
        return False

    try:
        return bool(run_sync(stop)())
    except Exception:
        return False


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Execute the job's notebook and return what happened (see the module docstring)."""
    # nbformat's validator imports jsonschema, which builds an IRI grammar on import when
    # rfc3987_syntax is installed (about 3 s). Notebook validation never needs IRIs.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    deadline = started + float(job["timeout"])
    nb = nbformat.read(job["notebook"], as_version=4)
    client = NotebookClient(
        nb,
        timeout=max(1, math.ceil(job["timeout"])),
        allow_errors=True,
        kernel_name="python3",
        shutdown_kernel="immediate",
        resources={"metadata": {"path": job["cwd"]}},
        startup_timeout=int(job.get("startup_timeout", 60)),
    )
    result: dict[str, Any] = {
        "errors": [],
        "timed_out": False,
        "dead": False,
        "returncode": None,
        "cells_run": 0,
        "slow_cells": [],
    }
    cell_limit = float(job.get("cell_timeout") or 0)
    with client.setup_kernel(
        env=job["env"], cwd=job["cwd"], preexec_fn=_limit_memory(int(job["memory"]))
    ):
        process = getattr(client.km.provisioner, "process", None)
        watchdog = None
        if process is not None:
            if job.get("pid_file"):
                with open(job["pid_file"], "w") as handle:
                    handle.write(str(process.pid))
            sandboxed = bool(job.get("sandboxed"))
            if int(job["memory"]) > 0 or sandboxed:
                watchdog = _Watchdog(
                    process.pid,
                    int(job["memory"]),
                    whole_namespace=sandboxed,
                    max_processes=int(job.get("max_processes", 0)),
                )
                watchdog.start()
        ordinal = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            ordinal += 1  # empty code cells count too: the learner sees them
            if not cell.source.strip():
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result["timed_out"] = True
                result["timeout_cell"] = ordinal
                break
            by_cell = 0 < cell_limit < remaining
            limit = cell_limit if by_cell else remaining
            client.timeout = max(1, math.ceil(limit))
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                grace = min(INTERRUPT_GRACE, deadline - time.monotonic())
                if by_cell and grace > 0 and _interrupt(client, grace):
                    result["slow_cells"].append(
                        {"cell": index, "code_cell": ordinal, "seconds": cell_limit}
                    )
                    result["cells_run"] += 1
                    continue
                result["timed_out"] = True
                result["timeout_cell"] = ordinal
                if by_cell:  # it would not stop when interrupted
                    result["unstoppable_cell"] = {"code_cell": ordinal, "seconds": cell_limit}
                break
            except DeadKernelError:
                result["dead"] = True
                break
            result["cells_run"] += 1
            result["errors"] += _errors_of(cell, index, ordinal)
        if watchdog is not None:
            watchdog.stopped.set()
            result["memory_exceeded"] = watchdog.exceeded
            result["peak_rss_mib"] = round(watchdog.peak / 1024**2)
            if watchdog.too_many:
                result["too_many_processes"] = watchdog.max_processes
                _kill_namespace()
        if process is not None:
            if result["timed_out"] and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except OSError:
                    pass
            if result["dead"]:
                for _ in range(50):
                    if process.poll() is not None:
                        break
                    time.sleep(0.05)
                result["returncode"] = process.poll()
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def _prepare_sandbox(job: dict[str, Any]) -> None:
    """Inside the sandbox: copy the job's files into place, cap the size of files."""
    import resource
    import shutil

    for source, target in job.get("copy", []):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    size = int(job.get("file_bytes", 0))
    if size > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    try:
        if job.get("sandboxed"):
            _prepare_sandbox(job)
        result = run(job)
    except Exception as exc:  # reported to the grader, which makes it a row
        result = {"runner_error": f"{type(exc).__name__}: {exc}"[:500]}
    if job.get("sandboxed"):  # only the file itself is bound: no rename beside it
        with open(job["result"], "w", encoding="utf-8") as handle:
            json.dump(result, handle, ensure_ascii=False)
        return 0
    # Not ebpmkit._atomic: importing ebpmkit here would run its __init__ (matplotlib, style)
    # in every runner. The file lives in the job's throwaway folder and is read only after
    # this process has ended, so the rename alone is enough: never half a JSON file.
    tmp = job["result"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle, ensure_ascii=False)
    os.replace(tmp, job["result"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
