"""A real JupyterHub for tests and benchmarks: start it, drive learners through it, stop it.

Used by ``tests/hub/conftest.py`` and imported by path from ``bench/bench_hub_load.py``. The hub
listens on 127.0.0.1 only (random free ports for the proxy, its API and the hub), logs users in
with DummyAuthenticator (one shared password), and spawns each learner's server with
SimpleLocalProcessSpawner from this virtualenv, with homes under a temporary folder. The
exercise data is generated once into a folder every server reads (``EBPMKIT_DATA_DIR``).

A learner's session is plain HTTP: the hub's REST API (admin token from the config), the
server's contents API, nbgitpuller's sync endpoint and one kernel driven over the kernel
websocket (``websocket-client``), cell by cell, the way JupyterLab sends them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests
import websocket

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "ebpm-password-" + "x" * 8
IN_CI = os.environ.get("EBPMKIT_CI") == "1"
#: Seconds a learner's server may take to start (10 or 40 at once on two cores).
SPAWN_SECONDS = 300
#: Seconds one cell may run (the first one loads the data and computes the answer key).
CELL_SECONDS = 600
#: How often one learner's kernel connection may drop and be made again before the test fails.
MAX_RECONNECTS = 3


def missing_components() -> list[str]:
    """What this machine lacks to run a hub: jupyterhub, the proxy, singleuser, git."""
    need = {
        "jupyterhub": VENV_BIN / "jupyterhub",
        "jupyterhub-singleuser": VENV_BIN / "jupyterhub-singleuser",
    }
    missing = [name for name, path in need.items() if not path.exists()]
    if shutil.which("configurable-http-proxy") is None:
        missing.append("configurable-http-proxy (npm install -g configurable-http-proxy)")
    if shutil.which("git") is None:
        missing.append("git")
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ebpmkit_command() -> list[str]:
    script = VENV_BIN / "ebpmkit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ebpmkit.cli"]


def prepare_data(folder: Path, exercise: str = "00") -> Path:
    """Generate the exercise's dataset into ``folder`` once, then make it read-only for all."""
    env = {**os.environ, "EBPMKIT_DATA_DIR": str(folder)}
    code = f"from ebpmkit.grading import get_exercise; get_exercise({exercise!r}).data.load()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=1200)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return folder


def tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every file below a folder (to prove nobody wrote there)."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


CONFIG = """\
# Written by tests/hub/hubtools.py: a throwaway hub on 127.0.0.1.
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "ebpmkit-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["ebpmkit-test"]}}]
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{homes}/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {spawn}
c.Spawner.http_timeout = {spawn}
c.Spawner.environment = {environment!r}
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.log_level = "INFO"
"""


@dataclass
class Hub:
    """One running JupyterHub and everything it started."""

    workdir: Path
    homes: Path
    data: Path
    proxy_port: int = field(default_factory=free_port)
    hub_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    process: subprocess.Popen | None = None
    seen: dict[int, psutil.Process] = field(default_factory=dict)
    #: More options for every learner's server (e.g. ``--KernelManager.transport=ipc``).
    server_args: list[str] = field(default_factory=list)
    #: A short per-user runtime folder (``{username}`` filled in): kernels on Unix sockets
    #: need one, since a socket path may not be longer than about 100 bytes.
    runtime_dir_template: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def log(self) -> Path:
        return self.workdir / "jupyterhub.log"

    def write_config(self) -> Path:
        args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        args += self.server_args
        environment = {
            "EBPMKIT_DATA_DIR": str(self.data),
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MPLBACKEND": "Agg",
            "JUPYTER_PREFER_ENV_PATH": "1",
        }
        text = CONFIG.format(
            proxy_port=self.proxy_port,
            hub_port=self.hub_port,
            proxy_api_port=self.proxy_api_port,
            chp=shutil.which("configurable-http-proxy"),
            workdir=self.workdir,
            password=PASSWORD,
            token=self.token,
            homes=self.homes,
            singleuser=str(VENV_BIN / "jupyterhub-singleuser"),
            args=args,
            spawn=SPAWN_SECONDS,
            environment=environment,
        )
        if self.runtime_dir_template:
            text += (
                'c.Spawner.environment["JUPYTER_RUNTIME_DIR"] = '
                f"lambda spawner: {self.runtime_dir_template!r}.format(username=spawner.user.name)\n"
            )
        path = self.workdir / "jupyterhub_config.py"
        path.write_text(text, encoding="utf-8")
        return path

    def start(self, seconds: float = 120) -> Hub:
        config = self.write_config()
        self.homes.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub stopped:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/hub/health", timeout=5).ok:
                    self.remember()
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"jupyterhub did not answer at {self.url}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(
            self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        )

    # --- processes ---------------------------------------------------------------------
    def remember(self) -> None:
        """Note every process the hub started so far (proxy, servers, kernels)."""
        if self.process is None:
            return
        try:
            hub = psutil.Process(self.process.pid)
            for p in [hub, *hub.children(recursive=True)]:
                self.seen.setdefault(p.pid, p)
        except psutil.NoSuchProcess:
            pass

    def alive(self) -> list[str]:
        """Processes the hub started that still run (a reused pid is not counted)."""
        out = []
        for p in self.seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    out.append(f"{p.pid} {' '.join(p.cmdline())[:160]}")
            except psutil.NoSuchProcess:
                continue
        return out

    def stop(self, seconds: float = 120) -> bool:
        """Shut the hub down through its API (servers and proxy too); True when it stopped."""
        self.remember()
        if self.process is None or self.process.poll() is not None:
            return True
        try:
            self.api("POST", "/shutdown", json={"servers": True, "proxy": True})
        except requests.RequestException:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        deadline = time.monotonic() + 30
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.5)
        return True

    def kill_everything(self) -> None:
        """Last resort after a failure: end every process the hub started, by its id."""
        self.remember()
        for p in self.seen.values():
            try:
                if p.is_running():
                    p.kill()
            except psutil.NoSuchProcess:
                continue

    # --- the REST API ------------------------------------------------------------------
    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        r = requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kw)
        r.raise_for_status()
        return r

    def login(self, name: str, password: str = PASSWORD) -> requests.Session:
        """Log in through the hub's login form (DummyAuthenticator checks the password)."""
        s = requests.Session()
        s.get(f"{self.url}/hub/login", timeout=60).raise_for_status()
        xsrf = s.cookies.get("_xsrf")
        r = s.post(
            f"{self.url}/hub/login",
            data={"username": name, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        if r.status_code != 302:
            raise PermissionError(f"login of {name} refused: HTTP {r.status_code}")
        return s

    def create_users(self, names: list[str]) -> None:
        self.api("POST", "/users", json={"usernames": names})

    def user_token(self, name: str) -> str:
        r = self.api("POST", f"/users/{name}/tokens", json={"note": "ebpmkit test learner"})
        return r.json()["token"]

    def start_server(self, name: str) -> None:
        r = requests.post(
            f"{self.url}/hub/api/users/{name}/server",
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
        )
        if r.status_code not in (201, 202):
            raise RuntimeError(f"spawn of {name}: HTTP {r.status_code} {r.text}")

    def wait_ready(self, name: str, seconds: float = SPAWN_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            server = self.api("GET", f"/users/{name}").json().get("servers", {}).get("")
            if server and server.get("ready"):
                self.remember()
                return
            if server is None and time.monotonic() > deadline - seconds + 10:
                raise RuntimeError(f"server of {name} gone:\n{self.log_tail()}")
            time.sleep(1)
        raise RuntimeError(f"server of {name} not ready after {seconds}s:\n{self.log_tail()}")


# --- one learner's session on their server ------------------------------------------------
@dataclass
class Learner:
    """A learner with a token, talking to their own server through the proxy."""

    hub: Hub
    name: str
    token: str
    reconnects: int = 0

    @property
    def base(self) -> str:
        return f"{self.hub.url}/user/{urllib.parse.quote(self.name)}"

    def _get(self, path: str, **kw: Any) -> requests.Response:
        r = requests.get(
            f"{self.base}{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=kw.pop("timeout", 120),
            **kw,
        )
        r.raise_for_status()
        return r

    def pull(self, link: str) -> list[dict[str, Any]]:
        """Follow an nbgitpuller link the way its page does: the page, then the sync stream."""
        query = urllib.parse.urlsplit(link).query
        page = self._get(f"/git-pull?{query}")
        assert "nbgitpuller" in page.text.lower() or page.status_code == 200
        events = []
        with self._get(f"/git-pull/api?{query}", stream=True, timeout=300) as r:
            for raw in r.iter_lines(decode_unicode=True):
                if raw and raw.startswith("data:"):
                    event = json.loads(raw[len("data:") :])
                    events.append(event)
                    if event.get("phase") in ("finished", "error"):
                        break
        return events

    def read_notebook(self, path: str) -> dict[str, Any]:
        return self._get(f"/api/contents/{urllib.parse.quote(path)}?content=1").json()["content"]

    def save_notebook(self, path: str, nb: dict[str, Any]) -> None:
        r = requests.put(
            f"{self.base}/api/contents/{urllib.parse.quote(path)}",
            headers={"Authorization": f"token {self.token}"},
            json={"type": "notebook", "format": "json", "content": nb},
            timeout=120,
        )
        r.raise_for_status()

    def run_cells(self, sources: list[str]) -> list[dict[str, Any]]:
        """Start a kernel, run the cells in order, shut it down; one result per cell.

        Like JupyterLab, the client names its session in the channel's address, so when the
        connection drops (a busy two-core machine with ten kernels), it connects again and
        the server hands over what the kernel said meanwhile. ``self.reconnects`` counts
        how often that happened; a connection that cannot be made again fails with the
        hub's log.
        """
        headers = {"Authorization": f"token {self.token}"}
        r = requests.post(
            f"{self.base}/api/kernels", headers=headers, json={"name": "python3"}, timeout=120
        )
        r.raise_for_status()
        kernel = r.json()["id"]
        session = uuid.uuid4().hex
        ws_url = (
            self.base.replace("http://", "ws://")
            + f"/api/kernels/{kernel}/channels?session_id={session}"
        )
        channel = _Channel(ws_url, self.token, on_lost=self._lost)
        results = []
        try:
            for source in sources:
                results.append(_execute(channel, session, self.name, source))
        finally:
            channel.close()
            requests.delete(f"{self.base}/api/kernels/{kernel}", headers=headers, timeout=120)
        return results

    def _lost(self, error: Exception) -> None:
        self.reconnects += 1
        if self.reconnects > MAX_RECONNECTS:
            mine = [line for line in self.hub.log_tail(400).splitlines() if self.name in line]
            raise AssertionError(
                f"{self.name}: the kernel's connection dropped {self.reconnects} times "
                f"({error}); the hub's log about this learner:\n" + "\n".join(mine[-40:])
            ) from error


class _Channel:
    """A kernel's websocket that connects again, with the same session, when it drops."""

    def __init__(self, url: str, token: str, on_lost) -> None:
        self.url, self.token, self.on_lost = url, token, on_lost
        self.ws = self._connect()

    def _connect(self) -> websocket.WebSocket:
        return websocket.create_connection(
            self.url, header=[f"Authorization: token {self.token}"], timeout=CELL_SECONDS
        )

    def send(self, text: str) -> None:
        self.ws.send(text)

    def recv(self) -> str:
        while True:
            try:
                text = self.ws.recv()
                if text:
                    return text
                # An empty message is the server's close frame.
                raise websocket.WebSocketConnectionClosedException("closed by the server")
            except websocket.WebSocketConnectionClosedException as error:
                self.on_lost(error)  # raises once too many
                time.sleep(1)
                self.ws = self._connect()

    def close(self) -> None:
        self.ws.close()


def _execute(channel: _Channel, session: str, user: str, code: str) -> dict[str, Any]:
    msg_id = uuid.uuid4().hex
    channel.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": user,
                    "session": session,
                    "msg_type": "execute_request",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    out: dict[str, Any] = {"status": None, "text": "", "error": None}
    idle = False
    deadline = time.monotonic() + CELL_SECONDS
    while (out["status"] is None or not idle) and time.monotonic() < deadline:
        msg = json.loads(channel.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["header"]["msg_type"]
        content = msg["content"]
        if kind == "execute_reply":
            out["status"] = content["status"]
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
        elif kind == "stream":
            out["text"] += content["text"]
        elif kind in ("display_data", "execute_result"):
            out["text"] += content["data"].get("text/plain", "") + "\n"
        elif kind == "error":
            out["error"] = f"{content['ename']}: {content['evalue']}"
    return out


# --- answers of varied quality --------------------------------------------------------------
CHECK = re.compile(r"check\(\s*[\"'](q\d+)[\"']")


def answer_cells(nb: dict[str, Any]) -> dict[str, int]:
    """Index of the code cell that checks each question."""
    out = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            m = CHECK.search("".join(cell["source"]))
            if m:
                out[m.group(1)] = i
    return out


def right_answers(master: Path) -> dict[str, str]:
    """Each question's cell of the master notebook, without the solution markers."""
    nb = json.loads(master.read_text(encoding="utf-8"))
    cells = answer_cells(nb)
    out = {}
    for qid, i in cells.items():
        lines = "".join(nb["cells"][i]["source"]).splitlines()
        out[qid] = "\n".join(
            line
            for line in lines
            if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
        )
    return out


def wrong_answers(exercise: Any, ds: Any) -> dict[str, str]:
    """A wrong answer per question, as code: the right form, surely not the right value."""
    out = {}
    for q in exercise.questions:
        expected = q.expected(ds)
        if q.kind == "number":
            out[q.id] = repr(float(expected) * 3 + 1000)
        elif q.kind in ("choice", "chart"):
            options = q.options(ds) if callable(q.options) else q.options
            out[q.id] = repr(next(o for o in options if o != expected))
        else:
            raise NotImplementedError(f"no wrong answer for a {q.kind!r} question")
    return out


def fill(
    nb: dict[str, Any], plan: dict[str, str], right: dict[str, str], wrong: dict[str, str]
) -> dict[str, Any]:
    """The learner's notebook: each question right, wrong or left as handed out (blank)."""
    nb = json.loads(json.dumps(nb))
    for qid, i in answer_cells(nb).items():
        how = plan.get(qid, "blank")
        if how == "right":
            nb["cells"][i]["source"] = right[qid]
        elif how == "wrong":
            nb["cells"][i]["source"] = f"answer_{qid} = {wrong[qid]}\ncheck({qid!r}, answer_{qid})"
    return nb


def code_sources(nb: dict[str, Any]) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
