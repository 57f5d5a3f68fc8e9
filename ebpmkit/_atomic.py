"""Write a file so that a reader sees either the old content or the new one, never a mix.

Every single-file write that must not be seen half done (a learner's progress, an exercise
notebook, a dataset's manifest, grades and feedback pages) goes through this module, so that
they all give the same guarantees:

- the content goes to a new temporary file in the target's folder (same file system, so the
  final rename is atomic), is flushed and fsynced, and then replaces the target with
  ``os.replace``;
- if anything fails, including an interrupt, the temporary file is removed and the target is
  left as it was;
- permission bits: an existing target keeps its own; a new file gets what ``open`` would give
  it (``0o666`` less the umask); ``mode=`` sets them explicitly (``0o600`` for a private file).

The folder itself is not fsynced: after a power cut the file holds the old or the new
content, either one complete. A symbolic link at the target is replaced by the file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic"]

_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _new_temporary(path: Path) -> tuple[Path, int]:
    """Create a hidden temporary file beside ``path``; the OS applies the umask to 0o666."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, _FLAGS, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name beside {path}")  # pragma: no cover


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, mode: int | None = None
) -> Path:
    """Replace the file at ``path`` with ``data`` in one step.

    Parameters
    ----------
    path : str or Path
        The file to write. Its folder must exist.
    data : bytes
        The complete new content.
    mode : int, optional
        Permission bits of the written file, such as ``0o600``. By default an existing file
        keeps its bits and a new one gets ``0o666`` less the umask.

    Returns
    -------
    Path
        ``path``, as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_bytes_atomic(folder / "a.bin", b"\\x00\\x01").read_bytes()
    b'\\x00\\x01'
    """
    path = Path(path)
    if mode is None:
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(path).st_mode)
    tmp, fd = _new_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", mode: int | None = None
) -> Path:
    """Replace the file at ``path`` with ``text`` in one step (see :func:`write_bytes_atomic`).

    The text is written as given: line endings are not translated, on any system. Use
    ``encoding="utf-8-sig"`` for a CSV file that Excel should open as UTF-8.

    ``path``, ``mode`` and the result are as for :func:`write_bytes_atomic`; ``encoding`` is
    how ``text`` becomes bytes.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> note = write_text_atomic(folder / "note.txt", "架空の市\\n")
    >>> note.read_text(encoding="utf-8")
    '架空の市\\n'
    >>> _ = write_text_atomic(note, "二度目\\n")
    >>> [p.name for p in folder.iterdir()]  # no temporary file is left behind
    ['note.txt']
    """
    return write_bytes_atomic(path, text.encode(encoding), mode=mode)
