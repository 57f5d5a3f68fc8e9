"""The data directory: where generated datasets are written, verified and found again.

A dataset folder holds one file per table and format, ``ground_truth.json`` and, written last,
``manifest.json`` with the size and SHA-256 of every file. Folders are written under a
temporary name and published with a single rename, so a crash never leaves a folder that looks
complete. A folder whose manifest is missing or does not match its files is never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ebpmkit._atomic import write_text_atomic
from ebpmkit.errors import CacheError, ParameterError

__all__ = [
    "FORMATS",
    "check_target",
    "GENERATOR_VERSION",
    "data_dir",
    "dataset_folder",
    "read_dataset",
    "verify_folder",
    "write_dataset",
]

# Bump when a change to the generator changes its output, so old caches are not reused.
GENERATOR_VERSION = "4"
FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
TRUTH = "ground_truth.json"


def data_dir() -> Path:
    """The folder holding cached datasets: ``$EBPMKIT_DATA_DIR``, else ``~/.cache/ebpmkit``.

    Examples
    --------
    >>> isinstance(data_dir(), Path)
    True
    """
    env = os.environ.get("EBPMKIT_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ebpmkit"


def dataset_folder(profile_name: str, digest: str, seed: int, scale: float) -> Path:
    """The cache folder for one profile (by content digest), seed and scale."""
    return data_dir() / f"{profile_name}-{digest}-seed{seed}-scale{scale:g}-v{GENERATOR_VERSION}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_folder(folder: Path) -> tuple[dict[str, Any] | None, str]:
    """Check a dataset folder against its manifest.

    Returns ``(manifest, "")`` when every file is present and intact, else ``(None, reason)``.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None, "manifest.json がありません(生成が途中で止まった可能性があります)"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, "manifest.json が壊れています"
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return None, "古いバージョンの生成器で作られたデータです"
    for name, meta in files.items():
        f = Path(folder) / name
        if not f.is_file():
            return None, f"{name} がありません"
        if f.stat().st_size != meta["bytes"] or _sha256(f) != meta["sha256"]:
            return None, f"{name} の内容が manifest と一致しません(破損しています)"
    return manifest, ""


def _check_writable(parent: Path, parameter: str) -> None:
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=parent, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise CacheError(
            f"'{parameter}' のフォルダ {parent} に書き込めません({exc.strerror or exc})。"
            f"書き込めるフォルダを指定してください。\n"
            f"The '{parameter}' folder {parent} is not writable: choose a folder you can write to"
            + (" (set EBPMKIT_DATA_DIR)." if parameter == "EBPMKIT_DATA_DIR" else ".")
        ) from None


def check_target(folder: Path, parameter: str) -> None:
    """Fail early, naming ``parameter``, if ``folder`` cannot receive a dataset.

    An existing folder may be replaced only if it is a dataset folder (has a manifest) or is
    empty, so files a user keeps there are never overwritten.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CacheError(
            f"'{parameter}' {folder} はフォルダではありません。 / '{parameter}' {folder} is not a folder."
        )
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise CacheError(
            f"'{parameter}' のフォルダ {folder} には ebpmkit のデータ以外のファイルがあるため、上書きしません。"
            f"空のフォルダか新しいフォルダ名を指定してください。\n"
            f"The '{parameter}' folder {folder} holds files that are not an ebpmkit dataset; "
            "nothing was overwritten. Choose an empty or new folder."
        )
    _check_writable(folder.parent, parameter)


def write_dataset(
    tables: dict[str, pd.DataFrame],
    truth: dict[str, Any],
    meta: dict[str, Any],
    folder: Path,
    formats: tuple[str, ...] = ("parquet",),
    *,
    parameter: str = "out",
) -> Path:
    """Write tables to ``folder`` atomically, with a manifest written last.

    An existing folder is replaced only if it is itself a dataset folder (has a manifest or
    is empty); anything else is left untouched and reported.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "demo"
    >>> _ = write_dataset({"t": pd.DataFrame({"a": [1]})}, {}, {}, out)
    >>> verify_folder(out)[1]
    ''
    """
    folder = Path(folder)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ParameterError(
                f"引数 'format' には {', '.join(FORMATS)} を指定してください({fmt!r} が渡されました)。\n"
                f"The 'format' parameter accepts {', '.join(FORMATS)} (comma-separated), but {fmt!r} was passed."
            )
    check_target(folder, parameter)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        files: dict[str, dict[str, Any]] = {}
        for name, frame in tables.items():
            for fmt in formats:
                target = tmp / f"{name}.{fmt}"
                if fmt == "parquet":
                    frame.to_parquet(target, index=False, compression="zstd")
                else:
                    # Excel opens UTF-8 with a BOM correctly, which staff will try first.
                    frame.to_csv(target, index=False, encoding="utf-8-sig")
                files[target.name] = {"bytes": target.stat().st_size, "sha256": _sha256(target)}
        (tmp / TRUTH).write_text(
            json.dumps(truth, ensure_ascii=False, indent=1, default=float), encoding="utf-8"
        )
        files[TRUTH] = {"bytes": (tmp / TRUTH).stat().st_size, "sha256": _sha256(tmp / TRUTH)}
        manifest = {
            **meta,
            "generator_version": GENERATOR_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "tables": {name: len(frame) for name, frame in tables.items()},
            "formats": list(formats),
            "files": files,
        }
        write_text_atomic(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        _publish(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _publish(tmp: Path, folder: Path) -> None:
    """Move a finished temporary folder into place with renames only."""
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}-{time.time_ns()}")
        folder.rename(old)
    tmp.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read one table column by column, to keep a lesson kernel's peak memory low.

    Reading the whole file holds arrow's copy of every column and the finished frame at once;
    one column at a time holds the frame and a single column's arrow buffers. Lessons run in
    kernels of at most 1 GB (bench/bench_notebooks.py measures it). pyarrow's ``self_destruct``
    would do the same job, but its documentation calls it experimental, and with pandas 3.0.6
    it made ``load()`` die with a segmentation fault.
    """
    names = pq.ParquetFile(path).schema_arrow.names
    if not names:
        return pd.read_parquet(path)
    # concat along columns shares the columns' memory (copy-on-write), it does not copy them.
    return pd.concat([pd.read_parquet(path, columns=[name]) for name in names], axis=1)


def read_dataset(
    folder: Path, tables: list[str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a verified dataset folder's parquet tables and its ground truth."""
    manifest, reason = verify_folder(folder)
    if manifest is None:
        raise CacheError(
            f"{folder} のデータは使えません: {reason} / The dataset in {folder} cannot be used: {reason}"
        )
    names = list(manifest["tables"]) if tables is None else tables
    out = {name: _read_parquet(Path(folder) / f"{name}.parquet") for name in names}
    truth = json.loads((Path(folder) / TRUTH).read_text(encoding="utf-8"))
    return out, truth


def discard(folder: Path, reason: str) -> None:
    """Move an untrustworthy cache folder out of the way so it is rebuilt, with a warning."""
    warnings.warn(
        f"キャッシュ {folder} は使えないため作り直します({reason})。 / Rebuilding the cache {folder}: {reason}",
        RuntimeWarning,
        stacklevel=3,
    )
    aside = folder.with_name(f".{folder.name}.broken-{os.getpid()}-{time.time_ns()}")
    try:
        folder.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError as exc:
        raise CacheError(
            f"壊れたキャッシュ {folder} を削除できません({exc})。管理者に連絡するか EBPMKIT_DATA_DIR を変更してください。\n"
            f"The broken cache {folder} cannot be removed ({exc}); set EBPMKIT_DATA_DIR to a writable folder."
        ) from None
