"""`make lab` opens JupyterLab in Japanese, with nothing fetched from the internet.

The Makefile copies ebpmkit/jupyterlab/overrides.json into the environment's JupyterLab
settings; these tests read what it installed and check each key against the schemas of the
JupyterLab that is installed, so a misspelt key cannot silently do nothing.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import ebpmkit

SHIPPED = Path(ebpmkit.__file__).resolve().parent / "jupyterlab" / "overrides.json"
LAB = Path(sys.prefix) / "share" / "jupyter" / "lab"


def _schema(plugin: str) -> dict:
    package, name = plugin.rsplit(":", 1)
    return json.loads((LAB / "schemas" / package / f"{name}.json").read_text(encoding="utf-8"))


def test_make_installed_the_settings():
    installed = LAB / "settings" / "overrides.json"
    assert installed.is_file(), "run `make install`: JupyterLab's settings are missing"
    assert json.loads(installed.read_text(encoding="utf-8")) == json.loads(
        SHIPPED.read_text(encoding="utf-8")
    )


def test_japanese_menus_and_no_news_from_the_internet():
    settings = json.loads((LAB / "settings" / "overrides.json").read_text(encoding="utf-8"))
    assert settings["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    notification = settings["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    packs = {e.name for e in importlib.metadata.entry_points(group="jupyterlab.languagepack")}
    assert "ja_JP" in packs, "the Japanese language pack is not installed"


def test_every_setting_exists_in_the_installed_jupyterlab():
    settings = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for plugin, values in settings.items():
        properties = _schema(plugin)["properties"]
        for key, value in values.items():
            assert key in properties, f"{plugin} has no setting '{key}'"
            allowed = [c["const"] for c in properties[key].get("oneOf", [])]
            assert not allowed or value in allowed, f"{plugin} {key}: {value!r} not in {allowed}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_started_jupyterlab_serves_the_japanese_defaults(tmp_path):
    """Start the real JupyterLab (127.0.0.1 only) and read the defaults it serves."""
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--IdentityProvider.token=", f"--ServerApp.root_dir={tmp_path}",
           "--allow-root"]  # fmt: skip
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/lab/api/settings/"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "@jupyterlab/translation-extension:plugin") as r:
                    translation = json.load(r)
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not start within 60 s"
                time.sleep(0.5)
        with urllib.request.urlopen(base + "@jupyterlab/apputils-extension:notification") as r:
            notification = json.load(r)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert translation["schema"]["properties"]["locale"]["default"] == "ja_JP"
    props = notification["schema"]["properties"]
    assert props["fetchNews"]["default"] == "false"
    assert props["checkForUpdates"]["default"] is False
