"""The grading sandbox: each submission runs inside bubblewrap, away from everything else.

``ebpmkit grade`` runs learners' code. Without a sandbox that code runs with the trainer's
permissions: it can delete files by their absolute path, read other learners' notebooks,
reach servers on the machine and read the trainer's tokens from the environment. With the
sandbox, the grading subprocess (``_runner.py``, which starts the kernel) runs inside
`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, the tool Flatpak uses;
it works without root through user namespaces) and sees:

* the system (``/usr`` and a few files of ``/etc``) and the Python installation, read-only;
* the exercise data (``EBPMKIT_DATA_DIR``) read-only at ``/data``;
* ``/grading``, ``/tmp`` and a home ``/home/learner``: empty size-limited in-memory folders
  (tmpfs) that vanish with the sandbox; the runner copies the notebook into
  ``/grading/work`` and runs it there;
* two files of the trainer's disk, bound one by one: the answers file that ``check``
  appends to and the runner's result (each capped by ``RLIMIT_FSIZE``);
* its own network namespace with only a loopback interface (no network), its own process
  namespace (when the runner ends, every process left in it is killed by the kernel), a new
  session, no way to create further user namespaces, and an environment built from nothing
  (no token, no path of the trainer's home; bwrap itself starts with an empty environment
  and reads its options from a deleted file, because its init process is visible inside).

Nothing else of the machine is visible: not other learners' homes, not the trainer's home,
not the submissions folder. The memory and time limits of ``_runner.py`` stay; inside the
sandbox its watchdog counts every process of the namespace (a process that leaves the
kernel's process group is still counted) and stops a fork storm at :data:`MAX_PROCESSES`.

Landlock (a kernel mechanism that needs neither root nor user namespaces) would be a
fallback where bubblewrap cannot run; it is not implemented.

Examples
--------
>>> job = {"notebook": "/t/job/work/a.ipynb", "cwd": "/t/job/work", "env": {}}
>>> str(inside_path(job["notebook"], outside=Path("/t/job")))
'/grading/work/a.ipynb'
>>> sorted(minimal_env({"OMP_NUM_THREADS": "1", "JUPYTERHUB_API_TOKEN": "x"}))[:3]
['EBPMKIT_ANSWERS_FILE', 'EBPMKIT_DATA_DIR', 'EBPMKIT_PROGRESS_DIR']
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ebpmkit.errors import ParameterError
from ebpmkit.grading.checks import ANSWERS_ENV
from ebpmkit.messages import Message, message

__all__ = [
    "FILE_BYTES",
    "MAX_PROCESSES",
    "TMPFS_BYTES",
    "confine",
    "inside_path",
    "mechanism",
    "minimal_env",
    "require",
]

GRADING = Path("/grading")  # the job's folder, as the sandbox sees it
HOME = "/home/learner"
DATA = "/data"
TMPFS_BYTES = 256 * 1024**2  # each of /grading, /tmp and the home
FILE_BYTES = 128 * 1024**2  # RLIMIT_FSIZE: the largest file any process may write
MAX_PROCESSES = 128  # processes in the sandbox, the runner included
# Environment variables the kernel keeps from the grader's own kernel environment.
KEPT = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONDONTWRITEBYTECODE",
    "MALLOC_ARENA_MAX",
    # The class's municipality (and ``grade --verify-seed``'s): the notebook must load the
    # dataset the grader's key was computed on.
    "EBPMKIT_SEED",
    "EBPMKIT_PROFILE",
)
# The few files of /etc that programs need (dynamic linker, time zone, fonts, MIME types).
# passwd and group are not among them: the sandbox gets its own, naming nobody of the hub.
ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "fonts",
    "alternatives",
    "mime.types",
    "nsswitch.conf",
    "os-release",
)
NAMESPACES = [
    "--unshare-all",  # user (when unprivileged), ipc, pid, net, uts, cgroup
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
]


def _bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def _probe(bwrap: str) -> str:
    """Run a trivial command in a sandbox like the real one; '' when it works, else why not."""
    command = [bwrap, *NAMESPACES, *_system_binds(), "--proc", "/proc", "--dev", "/dev"]
    command += ["--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", "true"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        text = done.stderr.decode("utf-8", "replace").strip()
        return text.splitlines()[0][:200] if text else f"exit code {done.returncode}"
    return ""


def mechanism() -> tuple[str | None, Message | None]:
    """The sandbox this machine can run, and why none can when there is none.

    Returns ``("bubblewrap", None)`` when ``bwrap`` is installed and a test sandbox ran,
    else ``(None, reason)`` with a Japanese and English reason that says what to do.

    Examples
    --------
    >>> name, reason = mechanism()
    >>> name in ("bubblewrap", None) and (name is None) == (reason is not None)
    True
    """
    try:
        return require(), None
    except ParameterError as exc:
        return None, exc.args[0]


def require() -> str:
    """The sandbox mechanism to use; raise a ParameterError that says how to get one.

    Examples
    --------
    >>> require() if mechanism()[0] else "bubblewrap"
    'bubblewrap'
    """
    bwrap = _bwrap()
    if bwrap is None:
        raise ParameterError(message("grade.sandbox_missing"))
    failure = _probe(bwrap)
    if failure:
        raise ParameterError(message("grade.sandbox_broken", reason=failure))
    return "bubblewrap"


def _system_binds() -> list[str]:
    """bwrap arguments for the read-only system: /usr, its links, and the files in ETC."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for name in ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


@functools.cache
def _python_roots() -> tuple[str, ...]:
    """Folders the kernel's Python needs: its prefixes, its import path and ebpmkit itself.

    The import path is asked of the interpreter in isolated mode (no PYTHONPATH, no user
    site, no current folder), which is what the kernel gets in the sandbox's bare
    environment. Folders inside /usr or inside another root are left out.
    """
    code = (
        "import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix,"
        " sys.base_exec_prefix, *sys.path]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    import ebpmkit

    found = [*json.loads(done.stdout), str(Path(ebpmkit.__file__).parent)]
    found.append(str(Path(os.path.realpath(sys.executable)).parent.parent))
    paths = sorted({os.path.realpath(p) for p in found if p and os.path.exists(p)}, key=len)
    roots: list[str] = []
    for path in paths:
        covered = [r for r in ["/usr", *roots] if path == r or path.startswith(r + "/")]
        if not covered:
            roots.append(path)
    return tuple(roots)


def inside_path(path: str | Path, *, outside: Path) -> Path:
    """Where ``path``, a path inside the job folder ``outside``, is seen inside the sandbox."""
    return GRADING / Path(path).relative_to(outside)


def minimal_env(kernel_env: dict[str, str]) -> dict[str, str]:
    """The kernel's whole environment in the sandbox: nothing of the trainer's.

    Only the thread and memory settings and the class's profile and seed of ``kernel_env``
    are kept; everything else is set here (paths inside the sandbox).
    """
    venv_bin = str(Path(sys.executable).parent)
    env = {name: kernel_env[name] for name in KEPT if name in kernel_env}
    env.update(
        {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": HOME,
            "USER": "learner",
            "LOGNAME": "learner",
            "TMPDIR": "/tmp",
            "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
            "EBPMKIT_DATA_DIR": DATA,
            "EBPMKIT_PROGRESS_DIR": f"{HOME}/.ebpmkit",
            ANSWERS_ENV: str(GRADING / "answers.jsonl"),
        }
    )
    return env


def _identity_files(job_dir: Path) -> tuple[Path, Path]:
    """An /etc/passwd and /etc/group that name only the sandbox's user."""
    uid, gid = os.getuid(), os.getgid()
    users = {0: "root", 65534: "nobody", uid: "learner"}
    groups = {0: "root", 65534: "nogroup", gid: "learner"}
    passwd = job_dir / "sandbox-passwd"
    passwd.write_text(
        "".join(f"{n}:x:{u}:{u if u != uid else gid}::{HOME}:/bin/sh\n" for u, n in users.items())
    )
    group = job_dir / "sandbox-group"
    group.write_text("".join(f"{n}:x:{g}:\n" for g, n in groups.items()))
    return passwd, group


def _seed_fonts(kernel_env: dict[str, str], job_dir: Path) -> list[list[str]]:
    """Copy matplotlib's font list into the job so the kernel does not rebuild it (seconds)."""
    source = Path(kernel_env.get("MPLCONFIGDIR") or "")
    seed = job_dir / "seed"
    seed.mkdir()
    copies = []
    if source.is_dir():
        for font_list in sorted(source.glob("fontlist-*.json")):
            shutil.copyfile(font_list, seed / font_list.name)
            target = f"{HOME}/.config/matplotlib/{font_list.name}"
            copies.append([str(GRADING / "seed" / font_list.name), target])
    return copies


def confine(job: dict[str, Any], job_dir: Path, runner: Path) -> tuple[dict[str, Any], list[str]]:
    """Turn the runner's job into its sandboxed form; return it and the command to start.

    Parameters
    ----------
    job : dict
        The job ``grade`` would give ``_runner.py`` (paths inside ``job_dir``).
    job_dir : Path
        The job's folder on the trainer's disk; the sandbox sees only the files bound here.
    runner : Path
        ``_runner.py`` (inside the ebpmkit package, which the sandbox sees read-only).

    Returns
    -------
    (dict, list of str)
        The job with the sandbox's paths and environment (to be written to
        ``job_dir / "job.json"``), and the ``bwrap`` command line.

    Examples
    --------
    >>> confine({}, Path("/nonexistent"), Path("_runner.py"))  # doctest: +SKIP
    """
    from ebpmkit import cache

    bwrap = _bwrap()
    if bwrap is None:
        raise ParameterError(message("grade.sandbox_missing"))
    notebook = Path(job["notebook"])
    for name in ("answers.jsonl", "result.json"):
        (job_dir / name).touch()
    passwd, group = _identity_files(job_dir)
    inside = dict(job)
    inside.pop("pid_file", None)  # a pid of the sandbox's namespace means nothing outside
    inside.update(
        {
            "notebook": str(GRADING / "work" / notebook.name),
            "cwd": str(GRADING / "work"),
            "env": minimal_env(job["env"]),
            "result": str(GRADING / "result.json"),
            "sandboxed": True,
            "file_bytes": FILE_BYTES,
            "max_processes": MAX_PROCESSES,
            "copy": [
                [str(GRADING / "source" / notebook.name), str(GRADING / "work" / notebook.name)],
                *_seed_fonts(job["env"], job_dir),
            ],
        }
    )
    args = [bwrap, *NAMESPACES, *_system_binds()]
    args += ["--ro-bind", str(passwd), "/etc/passwd", "--ro-bind", str(group), "/etc/group"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for folder in ("/tmp", HOME, str(GRADING)):
        args += ["--size", str(TMPFS_BYTES), "--tmpfs", folder]
    # Python's folders come after the private /tmp and home: bwrap mounts in order, and a
    # checkout or virtual environment under /tmp (as in CI) must show through the tmpfs.
    for root in _python_roots():
        args += ["--ro-bind", root, root]
    data = cache.data_dir()
    if data.is_dir():
        args += ["--ro-bind", str(data.resolve()), DATA]
    args += [
        "--ro-bind", str(notebook), str(GRADING / "source" / notebook.name),
        "--ro-bind", str(job_dir / "seed"), str(GRADING / "seed"),
        "--ro-bind", str(job_dir / "job.json"), str(GRADING / "job.json"),
        "--bind", str(job_dir / "answers.jsonl"), str(GRADING / "answers.jsonl"),
        "--bind", str(job_dir / "result.json"), str(GRADING / "result.json"),
        "--dir", str(GRADING / "work"),
        "--chdir", str(GRADING / "work"),
    ]  # fmt: skip
    return inside, _launcher(bwrap, args[1:], job_dir, runner)


def _launcher(bwrap: str, options: list[str], job_dir: Path, runner: Path) -> list[str]:
    """The command that starts bwrap with an empty environment and unlisted options.

    Inside the sandbox, bubblewrap's own init is process 1, and ``/proc/1/environ`` and
    ``/proc/1/cmdline`` are readable there: started as it is, bwrap would show the trainer's
    environment (tokens) and the folders it binds. So a shell opens the options file on
    descriptor 3 and deletes it, and ``env -i`` starts ``bwrap --args 3`` with no
    environment; only the runner's command stays on the command line.
    """
    options_file = job_dir / "sandbox-args"
    options_file.write_bytes(b"".join(o.encode() + b"\0" for o in options))
    script = 'exec 3<"$0" && rm -f "$0" && exec /usr/bin/env -i "$@"'
    command = [bwrap, "--args", "3", "--", sys.executable, str(runner), str(GRADING / "job.json")]
    return ["/bin/sh", "-c", script, str(options_file), *command]
