"""The grading sandbox against hostile submissions: nothing outside a submission's copy changes.

Three submissions are graded once, through the sandbox, together with a trainer's secret in
the environment and a server listening on 127.0.0.1:

* ``mallory`` answers every question correctly, then tries to delete files by absolute path
  (a file outside the class folder, another learner's folder, the trainer's home, the whole
  class folder, the exercise data), to read another learner's notebook, to connect to the
  server, to read the environment (its own and bubblewrap's), and to write 1 GiB to its
  folder, to /tmp and to the answers file. Each attempt is recorded; the last cell raises an
  error listing what happened, which becomes the row's status detail.
* ``victim`` is an honest, correct submission (it must get full points).
* ``storm`` answers correctly, starts a process in a new session meant to outlive grading,
  then forks children until the sandbox stops it (at most 2000: the bound set by the test).

When bubblewrap cannot run, the tests skip, or fail in CI (``EBPMKIT_CI=1``).
"""

from __future__ import annotations

import contextlib
import csv
import os
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
from grading_helpers import SOLUTIONS, code_cell_with, read_nb, tree_hashes, write_nb

from ebpmkit.cli import main as cli_main
from ebpmkit.errors import ParameterError
from ebpmkit.grading import sandbox
from ebpmkit.grading.grade import grade

SECRET = "secret-xyz-" + uuid.uuid4().hex[:8]
VICTIM_MARKER = "VICTIM-MARKER-" + uuid.uuid4().hex[:8]
SURVIVOR = "ebpmkit-survivor-" + uuid.uuid4().hex[:8]
STORM = "ebpmkit-storm-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module", autouse=True)
def _needs_sandbox():
    name, reason = sandbox.mechanism()
    if name is None:
        if os.environ.get("EBPMKIT_CI") == "1":
            pytest.fail(f"the grading sandbox must run in CI: {reason}")
        pytest.skip(f"no grading sandbox here: {reason}")


class _Listener(threading.Thread):
    """A TCP server on 127.0.0.1 that records every connection and every byte it gets."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.seen: list[bytes] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.seen.append(conn.recv(100) or b"<connected>")
                except OSError:
                    self.seen.append(b"<connected>")
        self.server.close()


def _after_last_check(nb, *sources: str):
    nb = nbformat.from_dict(nb)
    at = code_cell_with(nb, 'check("q3"') + 1
    for offset, source in enumerate(sources):
        nb.cells.insert(at + offset, nbformat.v4.new_code_cell(source))
    return nb


def _hostile_source(targets: dict[str, str], port: int) -> str:
    return f"""
import os, shutil, socket
T = {targets!r}
seen = []
def attempt(tag, action):  # records tag:outcome (an exception's name without "Error")
    try:
        result = action()
        seen.append(f"{{tag}}:{{result or 'done'}}")
    except BaseException as exc:
        seen.append(f"{{tag}}:{{type(exc).__name__.removesuffix('Error')}}")
def fill(tag, path):  # up to 1 GiB in 1 MiB blocks; records how many got written
    start = os.path.getsize(path) if os.path.exists(path) else 0
    written = 0
    block = b"x" * 2**20
    try:
        with open(path, "ab") as handle:
            while written < 2**30:
                handle.write(block)
                handle.flush()
                written += len(block)
    finally:
        os.truncate(path, start)
        seen.append(f"{{tag}}MiB={{written // 2**20}}")
attempt("out", lambda: os.remove(T["outside"]))
attempt("far", lambda: os.remove(T["far"]))
attempt("victim", lambda: shutil.rmtree(T["victim_dir"]))
attempt("home", lambda: shutil.rmtree(T["home"]))
attempt("plant", lambda: open(os.path.join(T["home"], "planted"), "w").write("x"))
attempt("data", lambda: shutil.rmtree(T["data"]))
attempt("data_in", lambda: shutil.rmtree(os.environ["EBPMKIT_DATA_DIR"]))
attempt("class", lambda: shutil.rmtree(T["class"]))
attempt("read", lambda: "LEAK" if T["marker"] in open(T["victim_nb"]).read() else "nomark")
attempt("net", lambda: socket.create_connection(("127.0.0.1", {port}), 3).sendall(b"hi"))
def environments():
    texts = [repr(dict(os.environ))]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                texts.append(open(f"/proc/{{pid}}/environ", "rb").read().decode())
                texts.append(open(f"/proc/{{pid}}/cmdline", "rb").read().decode())
            except OSError:
                pass
    text = " ".join(texts)
    return "LEAK" if T["secret"] in text or T["home"] in text else "clean"
attempt("env", environments)
seen.append("HOME=" + os.environ["HOME"])
attempt("cwd", lambda: fill("cwd", "big.bin"))
attempt("tmp", lambda: fill("tmp", "/tmp/big.bin"))
attempt("ans", lambda: fill("ans", os.environ["EBPMKIT_ANSWERS_FILE"]))
"""


def _storm_source() -> tuple[str, str]:
    survivor = (
        "import subprocess\n"
        f"subprocess.Popen([{SURVIVOR!r}, '300'], executable='/usr/bin/sleep',"
        " start_new_session=True)\n"
    )
    storm = (
        "import os, time\n"
        "for _ in range(2000):  # the test's own bound, should the sandbox not stop it\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        f"        os.execv('/usr/bin/sleep', [{STORM!r}, '300'])\n"
        "time.sleep(10)\n"
    )
    return survivor, storm


def _marked_processes() -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if cmdline and cmdline[0] in (SURVIVOR, STORM):
            found.append(f"{process.pid} {cmdline[0]}")
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox")
    subs, home, outside = root / "class", root / "trainer-home", root / "outside"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY of the trainer\n")
    (home / "notes.txt").write_text("講師のメモ\n")
    outside.mkdir()
    (outside / "keep.txt").write_text("outside the class folder\n")
    far_dir = Path(tempfile.mkdtemp(prefix="ebpmkit-sandbox-far-", dir="/var/tmp"))
    far = far_dir / "keep.txt"
    far.write_text("far outside\n")

    from ebpmkit import cache
    from ebpmkit.grading import get_exercise

    get_exercise("00").data.load()  # the data the exercise reads is cached before grading
    data = cache.data_dir()

    solution = read_nb(SOLUTIONS / "00_practice.ipynb")
    victim = nbformat.from_dict(solution)
    victim.cells.append(nbformat.v4.new_markdown_cell(VICTIM_MARKER))
    victim_nb = write_nb(victim, subs / "victim" / "00_practice.ipynb")

    listener = _Listener()
    listener.start()
    targets = {
        "outside": str(outside / "keep.txt"),
        "far": str(far),
        "victim_dir": str(victim_nb.parent),
        "victim_nb": str(victim_nb),
        "home": str(home),
        "data": str(data),
        "class": str(subs),
        "marker": VICTIM_MARKER,
        "secret": SECRET,
    }
    hostile_cells = [_hostile_source(targets, listener.port), 'raise RuntimeError(" ".join(seen))']
    write_nb(_after_last_check(solution, *hostile_cells), subs / "mallory" / "00_practice.ipynb")
    write_nb(_after_last_check(solution, *_storm_source()), subs / "storm" / "00_practice.ipynb")

    watched = {"class": subs, "home": home, "outside": outside, "far": far_dir}
    before = {name: tree_hashes(folder) for name, folder in watched.items()}
    data_before = tree_hashes(data)
    report = root / "report"
    saved = {k: os.environ.get(k) for k in ("HOME", "JUPYTERHUB_API_TOKEN")}
    os.environ.update({"HOME": str(home), "JUPYTERHUB_API_TOKEN": SECRET})
    started = time.monotonic()
    try:
        code = cli_main(
            [
                "grade",
                str(subs),
                "--out",
                str(report / "grades.csv"),
                "--feedback",
                str(report / "feedback"),
                "--timeout",
                "60",
                "--memory",
                "1536",
                "--quiet",
            ]
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        listener.stop.set()
        listener.join()
    seconds = time.monotonic() - started
    with open(report / "grades.csv", encoding="utf-8-sig") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    after = {name: tree_hashes(folder) for name, folder in watched.items()}
    survivors = _marked_processes()
    yield {
        "code": code,
        "rows": rows,
        "before": before,
        "after": after,
        "data_same": tree_hashes(data) == data_before,
        "listener": listener,
        "report": report,
        "survivors": survivors,
        "seconds": seconds,
    }
    for line in survivors:  # only our own marked processes, should a test have failed
        with contextlib.suppress(psutil.Error):
            psutil.Process(int(line.split()[0])).kill()
    far.unlink(missing_ok=True)
    far_dir.rmdir()


def _outcomes(row: dict[str, str]) -> dict[str, str]:
    """The hostile cell's record, from the status detail: tag -> what happened."""
    detail = row["status_ja"].split("RuntimeError: ", 1)[1]
    pairs = (item.split(":", 1) if ":" in item else item.split("=", 1) for item in detail.split())
    return {key: value.rstrip(")") for key, value in pairs}


def test_every_file_outside_the_sandbox_is_byte_identical(hostile):
    assert hostile["code"] == 0
    assert hostile["after"] == hostile["before"]
    assert hostile["data_same"]


def test_deletions_and_reads_by_absolute_path_find_nothing(hostile):
    seen = _outcomes(hostile["rows"]["mallory"])
    # None of these paths exists inside the sandbox; the data is there only read-only.
    for tag in ("out", "far", "victim", "home", "plant", "class", "data", "read"):
        assert seen[tag] == "FileNotFound", (tag, seen)
    assert seen["data_in"] == "OS"  # read-only file system


def test_no_connection_reaches_a_server_on_the_machine(hostile):
    assert _outcomes(hostile["rows"]["mallory"])["net"] in ("ConnectionRefused", "OS")
    assert hostile["listener"].seen == []


def test_no_secret_of_the_trainer_in_any_output(hostile):
    seen = _outcomes(hostile["rows"]["mallory"])
    assert seen["env"] == "clean"
    assert seen["HOME"] == sandbox.HOME
    for path in hostile["report"].rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".html"):
            assert SECRET not in path.read_text(encoding="utf-8-sig"), path


def test_writing_a_gigabyte_is_cut_short(hostile):
    seen = _outcomes(hostile["rows"]["mallory"])
    # The answers file is on the trainer's disk: RLIMIT_FSIZE caps it. The others are
    # size-limited in-memory folders, also under that cap.
    for tag in ("cwd", "tmp", "ans"):
        assert seen[tag] == "OS", seen  # EFBIG or ENOSPC
        assert int(seen[f"{tag}MiB"]) <= sandbox.FILE_BYTES // 2**20, seen


def test_hostile_submission_keeps_its_points_and_says_what_it_did(hostile):
    row = hostile["rows"]["mallory"]
    assert row["status"] == "error" and float(row["total"]) == 30


def test_honest_submission_gets_full_points_in_the_sandbox(hostile):
    row = hostile["rows"]["victim"]
    assert row["status"] == "ok" and float(row["total"]) == 30


def test_no_process_outlives_grading_and_a_fork_storm_is_stopped(hostile):
    assert hostile["survivors"] == []
    row = hostile["rows"]["storm"]
    # Stopped by the process limit, or by the memory limit when the forked copies of the
    # kernel (counted whole until they exec) pass it first.
    assert row["status"] in ("crashed", "memory"), row["status_ja"]
    assert str(sandbox.MAX_PROCESSES) in row["status_ja"] or "1536 MiB" in row["status_ja"]
    assert float(row["total"]) == 30  # answers checked before the storm still count


def test_grading_refuses_without_a_sandbox_unless_told(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    write_nb(read_nb(SOLUTIONS / "00_practice.ipynb"), tmp_path / "00_practice_a.ipynb")
    assert cli_main(["grade", str(tmp_path), "--out", str(tmp_path / "g.csv"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bubblewrap" in err and "sudo apt install bubblewrap" in err and "--no-sandbox" in err
    with pytest.raises(ParameterError, match="管理者"):
        grade([tmp_path], progress=False)
    assert not (tmp_path / "g.csv").exists()


def test_no_sandbox_is_printed_in_the_report(tmp_path, capsys):
    nb = read_nb(SOLUTIONS / "00_practice.ipynb")
    nb.metadata["ebpmkit"]["exercise"] = "01"
    write_nb(nb, tmp_path / "00_practice_a.ipynb")
    args = ["grade", str(tmp_path / "00_practice_a.ipynb"), "--exercise", "00", "--quiet"]
    args += ["--out", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "fb")]
    assert cli_main([*args, "--no-sandbox"]) == 0
    assert "サンドボックスなし" in capsys.readouterr().out
    assert cli_main(args) == 0
    assert "サンドボックス: bubblewrap" in capsys.readouterr().out
