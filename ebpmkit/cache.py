"""The data directory: where generated datasets are written, verified and found again.

A dataset folder holds, per table, one parquet file (``districts.parquet``) or, for a table
with a ``fiscal_year`` column, a hive-partitioned folder of parquet files
(``resident_years/fiscal_year=2015/part-0.parquet``) that DuckDB, Polars, Spark or Dask read
as they are (docs/scaling.md); CSV exports are one file per table. Beside them
``ground_truth.json`` and, written last, ``manifest.json`` with the size and SHA-256 of every
file. Folders are written under a temporary name and published with a single rename, so a
crash never leaves a folder that looks complete. A folder whose manifest is missing or does
not match its files is never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from ebpmkit._atomic import write_text_atomic
from ebpmkit.errors import CacheError, check_choice
from ebpmkit.messages import Message, message

__all__ = [
    "CACHE_LAYOUT",
    "FORMATS",
    "PARTITION_COLUMN",
    "PRIVATE_ENV",
    "check_target",
    "GENERATOR_VERSION",
    "data_dir",
    "dataset_folder",
    "modes",
    "read_dataset",
    "verify_folder",
    "write_dataset",
]

# Bump when a change to the generator changes its output, so old caches are not reused.
GENERATOR_VERSION = "7"
# Bump when the files' layout changes but the tables do not (no golden digests to refresh):
# a folder written with another layout is rebuilt, never misread. "2": tables with a
# fiscal_year column are hive-partitioned folders; "1" (no field) was one file per table.
CACHE_LAYOUT = "2"
PARTITION_COLUMN = "fiscal_year"
FORMATS = ("parquet", "csv")
MANIFEST = "manifest.json"
TRUTH = "ground_truth.json"
# Generated data is shared: on a hub one trainer generates it and every learner reads it, so
# folders are 0755 and files 0644 whatever the umask. Set this variable to 1 to keep the umask
# instead (a stricter umask such as 077 then makes the data private to its owner).
PRIVATE_ENV = "EBPMKIT_DATA_PRIVATE"
SHARED_DIR_MODE = 0o755
SHARED_FILE_MODE = 0o644


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


def _umask() -> int:
    """The process's umask (read by setting it and putting it back at once)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def modes(private: bool | None = None) -> tuple[int, int]:
    """Permission bits of generated ``(folders, files)``.

    Shared by default (``0o755``, ``0o644``), so every user of the machine can read the data;
    with ``private=True``, or ``EBPMKIT_DATA_PRIVATE=1`` when ``private`` is None, what the
    umask allows (``0o777`` and ``0o666`` less the umask).

    Examples
    --------
    >>> [oct(m) for m in modes(private=False)]
    ['0o755', '0o644']
    """
    if private is None:
        private = os.environ.get(PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")
    if not private:
        return SHARED_DIR_MODE, SHARED_FILE_MODE
    mask = _umask()
    return 0o777 & ~mask, 0o666 & ~mask


def _set_modes(folder: Path, private: bool | None) -> None:
    """Give a finished folder, its subfolders and files their permission bits."""
    dir_mode, file_mode = modes(private)
    for dirpath, _dirnames, filenames in os.walk(folder):
        os.chmod(dirpath, dir_mode)
        for name in filenames:
            os.chmod(Path(dirpath) / name, file_mode)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_folder(folder: Path) -> tuple[dict[str, Any] | None, str]:
    """Check a dataset folder against its manifest.

    Returns ``(manifest, "")`` when every file is present and intact, else ``(None, reason)``;
    the reason is a :class:`~ebpmkit.messages.Message` (Japanese, then English).

    Examples
    --------
    >>> import tempfile
    >>> print(verify_folder(Path(tempfile.mkdtemp()))[1])
    manifest.json がありません(生成が途中で止まった可能性があります)
    manifest.json is missing (the generation may have stopped half way)
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None, message("cache.reason.no_manifest")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, message("cache.reason.bad_manifest")
    if manifest.get("generator_version") != GENERATOR_VERSION:
        return None, message("cache.reason.old_generator")
    if manifest.get("layout") != CACHE_LAYOUT:
        return None, message("cache.reason.old_layout")
    for name, meta in files.items():
        f = Path(folder) / name
        if not f.is_file():
            return None, message("cache.reason.missing_file", name=name)
        if f.stat().st_size != meta["bytes"] or _sha256(f) != meta["sha256"]:
            return None, message("cache.reason.corrupt_file", name=name)
    return manifest, ""


def _where(parameter: str) -> Message:
    """How a message names the setting that chose a folder: a parameter or the variable."""
    if parameter == "EBPMKIT_DATA_DIR":
        return message("cache.where_data_dir")
    return message("cache.where_parameter", parameter=parameter)


def _make_folders(folder: Path, private: bool | None = None) -> None:
    """Create ``folder`` and missing parents; those created get the shared (or private) bits.

    Folders that already exist keep their bits: they belong to whoever made them.
    """
    missing = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    folder.mkdir(parents=True, exist_ok=True)
    dir_mode = modes(private)[0]
    for made in missing:
        with contextlib.suppress(OSError):
            os.chmod(made, dir_mode)


def writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (created if missing).

    Examples
    --------
    >>> import tempfile
    >>> writable(Path(tempfile.mkdtemp()))
    True
    """
    try:
        _check_writable(Path(folder), "EBPMKIT_DATA_DIR")
    except CacheError:
        return False
    return True


def _check_writable(parent: Path, parameter: str) -> None:
    try:
        _make_folders(parent)
        probe = tempfile.NamedTemporaryFile(dir=parent, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as exc:
        raise CacheError(
            message(
                "cache.not_writable",
                where=_where(parameter),
                folder=parent,
                reason=exc.strerror or exc,
            )
        ) from None


def check_target(folder: Path, parameter: str) -> None:
    """Fail early, naming ``parameter``, if ``folder`` cannot receive a dataset.

    An existing folder may be replaced only if it is a dataset folder (has a manifest) or is
    empty, so files a user keeps there are never overwritten.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CacheError(message("cache.not_a_folder", where=_where(parameter), folder=folder))
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise CacheError(message("cache.folder_in_use", where=_where(parameter), folder=folder))
    _check_writable(folder.parent, parameter)


def write_dataset(
    tables: dict[str, pd.DataFrame],
    truth: dict[str, Any],
    meta: dict[str, Any],
    folder: Path,
    formats: tuple[str, ...] = ("parquet",),
    *,
    parameter: str = "out",
    private: bool | None = None,
) -> Path:
    """Write tables to ``folder`` atomically, with a manifest written last.

    An existing folder is replaced only if it is itself a dataset folder (has a manifest or
    is empty); anything else is left untouched and reported. The folder and its files are
    readable by every user (``0o755`` / ``0o644``) unless ``private`` (see :func:`modes`).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "demo"
    >>> _ = write_dataset({"t": pd.DataFrame({"a": [1]})}, {}, {}, out)
    >>> verify_folder(out)[1]
    ''
    >>> oct(out.stat().st_mode & 0o777)
    '0o755'
    """
    folder = Path(folder)
    for fmt in formats:
        check_choice("formats", fmt, FORMATS)
    check_target(folder, parameter)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        files: dict[str, dict[str, Any]] = {}
        partitions: dict[str, dict[str, Any]] = {}
        # Tables are written side by side (parquet's writer and the hashing release the GIL),
        # each by one thread only, in every format: pandas objects are not for sharing.
        with ThreadPoolExecutor(max_workers=_writers(len(tables))) as pool:
            results = list(
                pool.map(lambda name: _write_table(tables[name], tmp, name, formats), tables)
            )
        for name, (entries, partition) in zip(tables, results, strict=True):
            files.update(entries)
            if partition is not None:
                partitions[name] = partition
        (tmp / TRUTH).write_text(
            json.dumps(truth, ensure_ascii=False, indent=1, default=float), encoding="utf-8"
        )
        files[TRUTH] = {"bytes": (tmp / TRUTH).stat().st_size, "sha256": _sha256(tmp / TRUTH)}
        manifest = {
            **meta,
            "generator_version": GENERATOR_VERSION,
            "layout": CACHE_LAYOUT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "tables": {name: len(frame) for name, frame in tables.items()},
            "formats": list(formats),
            "partitions": partitions,
            "files": files,
        }
        write_text_atomic(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        # mkdtemp made the folder 0700: open it (and its files) to every user before publishing.
        _set_modes(tmp, private)
        _publish(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _writers(jobs: int) -> int:
    """Threads for writing ``jobs`` files: one per core, at least one."""
    return max(1, min(jobs, os.cpu_count() or 1))


def _file_entry(path: Path, rows: int) -> dict[str, Any]:
    """A file's line in the manifest: its size, SHA-256 and rows."""
    return {"bytes": path.stat().st_size, "sha256": _sha256(path), "rows": rows}


def _write_table(
    frame: pd.DataFrame, tmp: Path, name: str, formats: tuple[str, ...]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """Write one table under ``tmp`` in each format: its files' manifest entries, its partitions."""
    entries: dict[str, dict[str, Any]] = {}
    partition = None
    for fmt in formats:
        if fmt == "parquet" and _partitionable(frame):
            written, arrow_type = _write_partitioned(frame, tmp, name)
            partition = {
                "column": PARTITION_COLUMN,
                "type": arrow_type,
                "columns": [str(c) for c in frame.columns],
                "files": list(written),
            }
            entries.update({rel: _file_entry(tmp / rel, rows) for rel, rows in written.items()})
            continue
        target = tmp / f"{name}.{fmt}"
        if fmt == "parquet":
            frame.to_parquet(target, index=False, compression="zstd")
        else:
            # Excel opens UTF-8 with a BOM correctly, which staff will try first.
            frame.to_csv(target, index=False, encoding="utf-8-sig")
        entries[target.name] = _file_entry(target, len(frame))
    return entries, partition


def _partitionable(frame: pd.DataFrame) -> bool:
    """Whether a table is written as fiscal-year partitions.

    Only a non-empty table whose ``fiscal_year`` is a whole number, never missing and never
    decreasing down the rows: reading its partitions in year order then gives back the rows
    in their original order. Every generated table qualifies; any other stays one file.
    """
    if PARTITION_COLUMN not in frame.columns or frame.empty:
        return False
    years = frame[PARTITION_COLUMN]
    if not pd.api.types.is_integer_dtype(years) or years.isna().any():
        return False
    return bool(years.is_monotonic_increasing)


def _partitioning(arrow_type: pa.DataType) -> pads.Partitioning:
    """Hive-style partitioning on ``fiscal_year``, typed as the column was written."""
    return pads.partitioning(pa.schema([(PARTITION_COLUMN, arrow_type)]), flavor="hive")


def _write_partitioned(frame: pd.DataFrame, folder: Path, name: str) -> tuple[dict[str, int], str]:
    """Write ``frame`` as ``name/fiscal_year=YYYY/part-0.parquet``, one file per fiscal year.

    Returns the files written (paths relative to ``folder``, in ascending year order) with
    their row counts, and the arrow type of ``fiscal_year`` (the folder names do not keep
    it). The frame's years never decrease (:func:`_partitionable`), so each year is one slice
    of the arrow table, written as it is: rows keep their order, and the pandas metadata
    (dtypes, categories, column order) rides in every file's schema. ``fiscal_year`` itself
    lives only in the folder name, as in any hive-partitioned dataset.

    The years are written in parallel threads (parquet's writer releases the GIL). This is
    about twice as quick as pyarrow's dataset writer on two cores, which serializes the work
    to keep row order, and gives smaller files, since each year fills whole row groups.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    arrow_type = table.schema.field(PARTITION_COLUMN).type
    years = frame[PARTITION_COLUMN].to_numpy()
    bounds = np.flatnonzero(np.r_[True, years[1:] != years[:-1], True])
    body = table.drop_columns([PARTITION_COLUMN])

    def write_year(i: int) -> tuple[str, int]:
        start, stop = int(bounds[i]), int(bounds[i + 1])
        rel = f"{name}/{PARTITION_COLUMN}={int(years[start])}/part-0.parquet"
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=False)
        pq.write_table(body.slice(start, stop - start), target, compression="zstd")
        return rel, stop - start

    with ThreadPoolExecutor(max_workers=_writers(len(bounds) - 1)) as pool:
        written = dict(pool.map(write_year, range(len(bounds) - 1)))
    return written, str(arrow_type)


def table_files(folder: Path, name: str, manifest: dict[str, Any]) -> list[Path]:
    """The parquet files of one cached table, in row order (one file unless partitioned).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "demo"
    >>> frame = pd.DataFrame({"fiscal_year": [2015, 2015, 2016], "n": [1, 2, 3]})
    >>> _ = write_dataset({"t": frame}, {}, {}, out)
    >>> [p.relative_to(out).as_posix() for p in table_files(out, "t", verify_folder(out)[0])]
    ['t/fiscal_year=2015/part-0.parquet', 't/fiscal_year=2016/part-0.parquet']
    """
    part = manifest.get("partitions", {}).get(name)
    if part is None:
        return [Path(folder) / f"{name}.parquet"]
    return [Path(folder) / rel for rel in part["files"]]


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


def _read_partitioned(folder: Path, name: str, manifest: dict[str, Any]) -> pd.DataFrame:
    """Read a fiscal-year partitioned table back into the frame that was written.

    The files are read in the manifest's (year) order, column by column as in
    :func:`_read_parquet`; ``fiscal_year`` comes back from the folder names with its own
    type, and the pandas metadata stored in the files restores dtypes and column order.
    """
    files = table_files(folder, name, manifest)
    first = pq.read_schema(files[0])
    arrow_type = pa.type_for_alias(manifest["partitions"][name]["type"])
    data = pads.dataset(
        [str(f) for f in files],
        format="parquet",
        partitioning=_partitioning(arrow_type),
        partition_base_dir=str(Path(folder) / name),
    )
    columns = []
    for column in manifest["partitions"][name]["columns"]:
        part = data.to_table(columns=[column]).replace_schema_metadata(first.metadata)
        columns.append(part.to_pandas())
        del part
    return pd.concat(columns, axis=1)


def read_dataset(
    folder: Path, tables: list[str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read a verified dataset folder's parquet tables and its ground truth."""
    manifest, reason = verify_folder(folder)
    if manifest is None:
        raise CacheError(message("cache.unusable", folder=folder, reason=reason))
    names = list(manifest["tables"]) if tables is None else tables
    parts = manifest.get("partitions", {})
    out = {
        name: _read_partitioned(folder, name, manifest)
        if name in parts
        else _read_parquet(Path(folder) / f"{name}.parquet")
        for name in names
    }
    truth = json.loads((Path(folder) / TRUTH).read_text(encoding="utf-8"))
    return out, truth


def discard(folder: Path, reason: str) -> None:
    """Move an untrustworthy cache folder out of the way so it is rebuilt, with a warning."""
    warnings.warn(
        message("cache.rebuilding", folder=folder, reason=reason), RuntimeWarning, stacklevel=3
    )
    aside = folder.with_name(f".{folder.name}.broken-{os.getpid()}-{time.time_ns()}")
    try:
        folder.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError as exc:
        raise CacheError(message("cache.cannot_remove", folder=folder, reason=exc)) from None
