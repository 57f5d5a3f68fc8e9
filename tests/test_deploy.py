"""deploy/: the TLJH install script and the z2jh image and values agree with the repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
TLJH = ROOT / "deploy" / "tljh" / "install.sh"
Z2JH = ROOT / "deploy" / "z2jh"


def test_the_tljh_script_is_valid_bash_and_installs_from_the_lock():
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    subprocess.run([bash, "-n", str(TLJH)], check=True)
    text = TLJH.read_text(encoding="utf-8")
    assert "--require-hashes" in text and "requirements/lock.txt" in text
    assert "fonts-ipaexfont-gothic" in text
    assert "ebpmkit/jupyterlab/overrides.json" in text
    assert (ROOT / "requirements" / "lock.txt").is_file()
    assert (ROOT / "ebpmkit" / "jupyterlab" / "overrides.json").is_file()


def _hub_snippet(text: str) -> str:
    body = re.search(r"<<EOF\n(.*?)\nEOF\n", text, re.S).group(1)
    values = {"DATA_DIR": "/srv/data", "PROFILE": "town", "SEED": "7"}
    return re.sub(r"(?<!\{)\$(\w+)", lambda m: values[m.group(1)], body)


def test_the_tljh_hub_snippet_sets_every_learners_environment():
    c = Config()
    exec(compile(_hub_snippet(TLJH.read_text(encoding="utf-8")), "ebpmkit.py", "exec"), {"c": c})
    env = c.Spawner.environment.get_value({"OTHER": "kept"})
    runtime = env.pop("JUPYTER_RUNTIME_DIR")
    assert env == {
        "OTHER": "kept",
        "EBPMKIT_DATA_DIR": "/srv/data",
        "EBPMKIT_PROFILE": "town",
        "EBPMKIT_SEED": "7",
    }
    spawner = SimpleNamespace(user=SimpleNamespace(name="a" * 30))
    socket = f"{runtime(spawner)}/kernel-{'0' * 36}-ipc-4"
    assert len(socket.encode()) < 104  # the longest Unix socket path, with room


def test_the_tljh_kernels_use_unix_sockets():
    text = TLJH.read_text(encoding="utf-8")
    body = re.search(r"<<'JSON'\n(.*?)\nJSON\n", text, re.S).group(1)
    assert json.loads(body) == {"KernelManager": {"transport": "ipc"}}


def _bytes(size: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)([KMG]?)", size).groups()
    return int(float(number) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[unit])


def test_the_image_copies_only_what_exists_and_the_values_agree():
    docker = (Z2JH / "Dockerfile").read_text(encoding="utf-8")
    for line in docker.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert "--require-hashes" in docker and "fonts-ipaexfont-gothic" in docker
    values = yaml.safe_load((Z2JH / "values.yaml").read_text(encoding="utf-8"))
    user = values["singleuser"]
    memory = user["memory"]
    assert _bytes(memory["guarantee"]) <= _bytes(memory["limit"])
    tljh_limit = re.search(r"EBPMKIT_MEMORY_LIMIT:-(\w+)", TLJH.read_text(encoding="utf-8"))
    assert _bytes(tljh_limit.group(1)) == _bytes(memory["limit"])
    mounts = {m["name"]: m for m in user["storage"]["extraVolumeMounts"]}
    volumes = {v["name"]: v for v in user["storage"]["extraVolumes"]}
    data = mounts["ebpmkit-data"]
    assert data["readOnly"] and data["mountPath"] == user["extraEnv"]["EBPMKIT_DATA_DIR"]
    claim = volumes["ebpmkit-data"]["persistentVolumeClaim"]
    assert claim["readOnly"]
    job = list(yaml.safe_load_all((Z2JH / "data-job.yaml").read_text(encoding="utf-8")))
    pvc = next(d for d in job if d["kind"] == "PersistentVolumeClaim")
    assert pvc["metadata"]["name"] == claim["claimName"]
    assert "ReadWriteMany" in pvc["spec"]["accessModes"]
