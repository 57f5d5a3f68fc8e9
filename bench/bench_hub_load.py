"""Benchmark: 40 learners on one JupyterHub run exercise 00 at the same moment.

A real hub on 127.0.0.1 (tests/hub/hubtools.py: configurable-http-proxy, DummyAuthenticator,
SimpleLocalProcessSpawner from this virtualenv). Every learner logs in, starts a server and
pulls the learner edition through nbgitpuller first; then all of them start a kernel and run
the exercise's cells (right answers) at once. Printed: how many finished, the slowest
learner's time, the hub's peak memory (hub and proxy), the peak per learner (server and
kernel, and the kernel alone: the figure a per-user memory limit is set from), the drop in the
machine's available memory (shared library pages counted once), and kernels lost (a kernel
that died or a run that broke off). Memory is sampled with psutil every 0.25 s.

    python bench/bench_hub_load.py [--learners 40] [--kernel-transport tcp|ipc]

If the machine's available memory falls under 3 GiB the run stops its kernels and says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
#: Stop the run when the whole machine has less than this available.
MEMORY_FLOOR = 3 * 1024 * MiB


def _hubtools():
    path = ROOT / "tests" / "hub" / "hubtools.py"
    spec = importlib.util.spec_from_file_location("hubtools", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["hubtools"] = module
    spec.loader.exec_module(module)
    return module


class Sampler(threading.Thread):
    """Peak resident memory of the hub, the proxy, and each learner's server and kernel."""

    def __init__(self, hub_pid: int, homes: Path) -> None:
        super().__init__(daemon=True)
        self.hub_pid = hub_pid
        self.homes = homes
        self.stop_event = threading.Event()
        self.hub_peak = 0
        self.proxy_peak = 0
        self.user_peak: dict[str, int] = {}
        self.kernel_peak: dict[str, int] = {}
        self.low_memory = False
        self.available_at_start = psutil.virtual_memory().available
        self.available_min = self.available_at_start

    def _owner(self, proc: psutil.Process) -> str | None:
        try:
            cwd = Path(proc.cwd())
        except (psutil.Error, OSError):
            return None
        if cwd.parent == self.homes or self.homes in cwd.parents:
            return cwd.relative_to(self.homes).parts[0]
        return None

    def sample(self) -> None:
        try:
            hub = psutil.Process(self.hub_pid)
            children = hub.children(recursive=True)
            self.hub_peak = max(self.hub_peak, hub.memory_info().rss)
        except psutil.Error:
            return
        per_user: dict[str, int] = {}
        for proc in children:
            try:
                rss = proc.memory_info().rss
                cmd = " ".join(proc.cmdline())
            except psutil.Error:
                continue
            if "configurable-http-proxy" in cmd:
                self.proxy_peak = max(self.proxy_peak, rss)
                continue
            user = self._owner(proc)
            if user is None:
                continue
            per_user[user] = per_user.get(user, 0) + rss
            if "ipykernel" in cmd:
                self.kernel_peak[user] = max(self.kernel_peak.get(user, 0), rss)
        for user, rss in per_user.items():
            self.user_peak[user] = max(self.user_peak.get(user, 0), rss)
        available = psutil.virtual_memory().available
        self.available_min = min(self.available_min, available)
        if available < MEMORY_FLOOR:
            self.low_memory = True
            for proc in children:
                try:
                    if "ipykernel" in " ".join(proc.cmdline()):
                        proc.kill()
                except psutil.Error:
                    continue

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            time.sleep(0.25)


def run(learners: int = 40, keep_log: Path | None = None, transport: str = "tcp") -> dict:
    """Run the class; return the figures."""
    ht = _hubtools()
    from ebpmkit.edition import build_edition, hub_links
    from ebpmkit.grading import get_exercise

    missing = ht.missing_components()
    if missing:
        raise SystemExit(f"no real JupyterHub here: missing {', '.join(missing)}")
    exercise = get_exercise("00")
    notebook = f"exercises/{exercise.notebook}"
    right = ht.right_answers(ROOT / "solutions" / exercise.notebook)
    plan = {q.id: "right" for q in exercise.questions}
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        tmp_path = Path(tmp)
        data = ht.prepare_data(tmp_path / "data")
        repo = tmp_path / "ebpm-edition"
        build_edition(ROOT, repo)
        link = dict(hub_links("http://127.0.0.1", str(repo), exercises=[notebook]))[notebook]
        hub = ht.Hub(workdir=tmp_path / "hub", homes=tmp_path / "homes", data=data)
        if transport != "tcp":
            hub.server_args.append(f"--KernelManager.transport={transport}")
            runtime = Path(tempfile.mkdtemp(prefix="jr-", dir="/tmp"))
            hub.runtime_dir_template = f"{runtime}/{{username}}"
        hub.workdir.mkdir()
        t0 = time.monotonic()
        hub.start()
        sampler = Sampler(hub.process.pid, hub.homes)
        sampler.start()
        try:
            names = [f"learner{i:02d}" for i in range(1, learners + 1)]
            hub.create_users(names)
            for name in names:
                hub.start_server(name)
            for name in names:
                hub.wait_ready(name)
            spawned = time.monotonic() - t0
            class_ = [ht.Learner(hub, name, hub.user_token(name)) for name in names]
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda lr: lr.pull(link), class_))
            path = f"{repo.name}/{notebook}"
            barrier = threading.Barrier(len(class_))

            def work(lr) -> tuple[str, float | None, str]:
                nb = ht.fill(lr.read_notebook(path), plan, right, {})
                barrier.wait()
                start = time.monotonic()
                try:
                    results = lr.run_cells(ht.code_sources(nb))
                except Exception as exc:  # a kernel that died mid-run
                    return lr.name, None, f"lost: {type(exc).__name__}: {str(exc)[:120]}"
                bad = [r for r in results if r["status"] != "ok" or r["error"]]
                status = "ok" if not bad else f"error: {bad[0]['error'] or bad[0]['status']}"
                return lr.name, time.monotonic() - start, status

            with ThreadPoolExecutor(max_workers=len(class_)) as pool:
                outcomes = list(pool.map(work, class_))
        finally:
            sampler.stop_event.set()
            sampler.join()
            stopped = hub.stop()
            if not stopped:
                hub.kill_everything()
            left = hub.alive()
            hub.kill_everything()
            if keep_log is not None and hub.log.exists():
                keep_log.write_bytes(hub.log.read_bytes())
            for p in [data, *data.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)
            if hub.runtime_dir_template:
                shutil.rmtree(Path(hub.runtime_dir_template).parent, ignore_errors=True)
    finished = [t for _, t, s in outcomes if s == "ok"]
    lost = [n for n, _, s in outcomes if s.startswith("lost")]
    user_peaks = sorted(sampler.user_peak.values())
    kernel_peaks = sorted(sampler.kernel_peak.values())
    return {
        "learners": learners,
        "finished": len(finished),
        "errors": sorted({s for _, _, s in outcomes if s.startswith("error")}),
        "kernels_lost": len(lost),
        "lost_how": sorted({s for _, _, s in outcomes if s.startswith("lost")}),
        "servers_ready_s": spawned,
        "slowest_s": max(finished) if finished else None,
        "median_s": sorted(finished)[len(finished) // 2] if finished else None,
        "hub_peak_mib": sampler.hub_peak / MiB,
        "proxy_peak_mib": sampler.proxy_peak / MiB,
        "user_peak_max_mib": user_peaks[-1] / MiB if user_peaks else None,
        "user_peak_median_mib": user_peaks[len(user_peaks) // 2] / MiB if user_peaks else None,
        "kernel_peak_max_mib": kernel_peaks[-1] / MiB if kernel_peaks else None,
        "machine_used_mib": (sampler.available_at_start - sampler.available_min) / MiB,
        "low_memory_stop": sampler.low_memory,
        "stopped_cleanly": stopped and not left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--keep-log", type=Path, default=None, help="copy the hub's log here")
    parser.add_argument(
        "--kernel-transport",
        choices=["tcp", "ipc"],
        default="tcp",
        help="how kernels talk to their server: tcp (Jupyter's default: each kernel picks free "
        "ports, which races when many start at once) or ipc (Unix sockets)",
    )
    args = parser.parse_args()
    figures = run(args.learners, args.keep_log, args.kernel_transport)
    print(f"kernel transport              {args.kernel_transport}")
    print(f"learners                      {figures['learners']}")
    print(f"finished                      {figures['finished']}")
    print(f"kernels lost                  {figures['kernels_lost']}")
    if figures["lost_how"]:
        print(f"how they were lost            {figures['lost_how']}")
    if figures["errors"]:
        print(f"errors                        {figures['errors']}")
    print(f"servers ready after           {figures['servers_ready_s']:.1f} s")
    for key, label in [("slowest_s", "slowest learner"), ("median_s", "median learner")]:
        value = figures[key]
        print(f"{label:30s}{'-' if value is None else f'{value:.1f} s'}")
    print(f"hub peak memory               {figures['hub_peak_mib']:.0f} MiB")
    print(f"proxy peak memory             {figures['proxy_peak_mib']:.0f} MiB")
    for key, label in [
        ("user_peak_max_mib", "per-user peak (max)"),
        ("user_peak_median_mib", "per-user peak (median)"),
        ("kernel_peak_max_mib", "kernel peak (max)"),
    ]:
        value = figures[key]
        print(f"{label:30s}{'-' if value is None else f'{value:.0f} MiB'}")
    print(f"machine memory used (peak)    {figures['machine_used_mib']:.0f} MiB")
    print(f"stopped by its memory guard   {figures['low_memory_stop']}")
    print(f"hub and servers stopped       {figures['stopped_cleanly']}")


if __name__ == "__main__":
    main()
