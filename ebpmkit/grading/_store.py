"""The learner's progress store: one JSON file per user, written atomically.

The file is ``$EBPMKIT_PROGRESS_DIR/progress.json`` when the variable is set, otherwise
``~/.ebpmkit/progress.json`` (on JupyterHub every user has their own home). Updates take an
advisory lock, read, change and write the file with :func:`ebpmkit._atomic.write_text_atomic`
(a temporary file that replaces the old one), so a crash never leaves half a file. The file
is private to its user (mode 0o600). A corrupt file is set aside, not lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import filelock

from ebpmkit._atomic import write_text_atomic

__all__ = ["PROGRESS_ENV", "progress_path", "read_progress", "update_progress"]

PROGRESS_ENV = "EBPMKIT_PROGRESS_DIR"
VERSION = 1


def progress_path() -> Path:
    """Where this user's progress is stored.

    Examples
    --------
    >>> progress_path().name
    'progress.json'
    """
    folder = os.environ.get(PROGRESS_ENV)
    base = Path(folder).expanduser() if folder else Path.home() / ".ebpmkit"
    return base / "progress.json"


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "exercises": {}}


def read_progress(path: Path | None = None) -> dict[str, Any]:
    """The stored progress (an empty record when there is none or it cannot be read).

    Examples
    --------
    >>> read_progress(Path("/nonexistent/progress.json"))
    {'version': 1, 'exercises': {}}
    """
    return _read(path or progress_path())[0]


def _read(path: Path) -> tuple[dict[str, Any], bool]:
    """The stored record and whether an existing file was unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty(), False
    except (OSError, ValueError):
        return _empty(), True
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        return _empty(), True
    return data, False


def _locked(path: Path) -> filelock.FileLock:
    # filelock takes the operating system's own lock (fcntl on Linux and macOS, msvcrt on
    # Windows), so two kernels of one learner never interleave their updates on any of them.
    return filelock.FileLock(path.with_suffix(".lock"))


def _write(path: Path, data: dict[str, Any]) -> None:
    # The progress file holds one learner's answers: readable by that learner only.
    text = json.dumps(data, ensure_ascii=False, indent=1)
    write_text_atomic(path, text, mode=0o600)


def update_progress(
    change: Callable[[dict[str, Any]], None], path: Path | None = None
) -> dict[str, Any]:
    """Apply ``change`` to the stored progress and write it back atomically.

    Raises OSError when the folder cannot be written; callers in notebooks report it kindly.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "progress.json"
    >>> update_progress(lambda d: d["exercises"].setdefault("00", {}), p)["exercises"]
    {'00': {}}
    """
    path = path or progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        data, broken = _read(path)
        if broken:
            # Unreadable: set it aside rather than lose it, and start again.
            with contextlib.suppress(OSError):
                os.replace(path, path.with_name(f"progress.broken-{int(time.time())}.json"))
        change(data)
        data["version"] = VERSION
        _write(path, data)
    return data
