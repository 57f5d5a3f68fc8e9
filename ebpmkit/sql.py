"""SQL over a cached dataset with DuckDB, reading the parquet files where they lie.

``Dataset.sql`` opens an in-process DuckDB connection, defines one view per table of the
dataset's variant over the cache folder's parquet files (fiscal-year partitions included) and
returns the query's result as a pandas DataFrame. Only the result is held in pandas, so a
grouped count over every resident-year needs a fraction of the memory of loading the table.
As in any SQL database, rows come in no particular order unless the query has ORDER BY.

The pseudonymized variant is stored as the raw tables plus overlays
(``dataset.OVERLAY_PREFIX``): its views rebuild those tables in SQL, with the same pseudonyms,
coarsened values and kept rows as ``load(variant="pseudonymized")``; the identifying layer has
no view. A variant that is not stored in the cache but made in memory when loaded (the
release-safe ``"anonymized"`` one) is queried from the loaded tables instead: never from the
raw files, which would show what that variant removes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from ebpmkit import cache
from ebpmkit.errors import ParameterError, check_range
from ebpmkit.messages import message

__all__ = ["DEFAULT_MEMORY_LIMIT", "DEFAULT_THREADS", "FILE_VARIANTS", "run", "view_sql"]

# DuckDB's own buffers stay under this (its `memory_limit` setting); with Python, pandas and
# the result the process stays under 1 GB, with room left for the tables a lesson kernel
# already holds (bench/bench_scale.py: the pseudonymized grouped count of urban-ward peaks at
# 0.58 GiB at scale 1.0 and at 2.0; with "500MB" it was 0.70 and 0.81 GiB). Larger
# intermediate results spill to a temporary folder instead of growing memory.
DEFAULT_MEMORY_LIMIT = "300MB"
DEFAULT_THREADS = 2
# Variants whose tables are views over the cache's files; any other is queried in memory.
FILE_VARIANTS = ("raw", "pseudonymized")

# Arrow type names (as the manifest stores the partition column's type) -> DuckDB types.
_DUCK_TYPES = {
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "uint8": "UTINYINT",
    "uint16": "USMALLINT",
    "uint32": "UINTEGER",
    "uint64": "UBIGINT",
}
# Overlay names and columns, as ebpmkit.dataset and ebpmkit.anonymize write them.
_OVERLAY = "anonymized__"
_IDS = "__ids__"
_ROW = "__row__"


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str | Path) -> str:
    """A quoted SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _columns(folder: Path, name: str, manifest: dict[str, Any]) -> list[str]:
    part = manifest.get("partitions", {}).get(name)
    if part is not None:
        return list(part["columns"])
    return list(pq.read_schema(Path(folder) / f"{name}.parquet").names)


def _scan(folder: Path, name: str, manifest: dict[str, Any], position: bool = False) -> str:
    """A SELECT of one stored table with its columns in their written order.

    With ``position``, a column ``__pos`` numbers the rows from 0 in the table's order (the
    files' order in the manifest, then each file's rows).
    """
    files = cache.table_files(folder, name, manifest)
    part = manifest.get("partitions", {}).get(name)
    cols = []
    for c in _columns(folder, name, manifest):
        if part is not None and c == part["column"]:
            cols.append(f"CAST({_q(c)} AS {_DUCK_TYPES[part['type']]}) AS {_q(c)}")
        else:
            cols.append(_q(c))
    options = ["hive_partitioning = true"] if part is not None else ["hive_partitioning = false"]
    if position:
        options += ["file_row_number = true", "filename = true"]
        offsets, start = [], 0
        for f in files:
            offsets.append(f"WHEN {_lit(f)} THEN {start}")
            start += manifest["files"][f.relative_to(folder).as_posix()]["rows"]
        cols.append(f"(CASE filename {' '.join(offsets)} END) + file_row_number AS __pos")
    paths = "[" + ", ".join(_lit(f) for f in files) + "]"
    return f"SELECT {', '.join(cols)} FROM read_parquet({paths}, {', '.join(options)})"


def _anonymized_view(folder: Path, name: str, manifest: dict[str, Any]) -> str:
    """The anonymized table, rebuilt from the raw one, its overlay and the id maps."""
    from ebpmkit.anonymize import DEFAULT_POLICY

    raw_cols = _columns(folder, name, manifest)
    overlay = _OVERLAY + name
    over_cols: list[str] = []
    if overlay in manifest["tables"]:
        over_cols = _columns(folder, overlay, manifest)
    maps = [
        t[len(_OVERLAY + _IDS) :]
        for t in manifest["tables"]
        if t.startswith(_OVERLAY + _IDS) and t[len(_OVERLAY + _IDS) :] in raw_cols
    ]
    drop = set(DEFAULT_POLICY.drop_columns.get(name, ()))
    select = []
    for c in raw_cols:
        if c in drop:
            continue
        if c in over_cols:
            select.append(f"o.{_q(c)}")
        elif c in maps:
            select.append(f"m_{maps.index(c)}.pseudonym AS {_q(c)}")
        else:
            select.append(f"r.{_q(c)}")
    select += [f"o.{_q(c)}" for c in over_cols if c not in raw_cols and c != _ROW]
    sql = f"SELECT {', '.join(select)} FROM ({_scan(folder, name, manifest, True)}) AS r"
    if over_cols:
        sql += f" JOIN ({_scan(folder, overlay, manifest, True)}) AS o ON "
        sql += f"r.__pos = o.{_q(_ROW)}" if _ROW in over_cols else "r.__pos = o.__pos"
    for i, c in enumerate(maps):
        scan = _scan(folder, _OVERLAY + _IDS + c, manifest)
        sql += f" LEFT JOIN ({scan}) AS m_{i} ON r.{_q(c)} = m_{i}.id"
    # No ORDER BY: SQL rows have no order unless the query asks for one, and sorting every
    # resident-year of a 2.7M city before a grouped count would need the whole table in memory.
    return sql


def view_sql(folder: Path, variant: str) -> dict[str, str]:
    """The SELECT behind each table's view, by table name, for a cache folder and variant.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "demo"
    >>> _ = cache.write_dataset({"t": pd.DataFrame({"a": [1]})}, {}, {}, out)
    >>> list(view_sql(out, "raw"))
    ['t']
    """
    from ebpmkit.anonymize import DEFAULT_POLICY

    folder = Path(folder)
    manifest = json.loads((folder / cache.MANIFEST).read_text(encoding="utf-8"))
    names = [n for n in manifest["tables"] if not n.startswith(_OVERLAY)]
    if variant == "raw":
        return {n: _scan(folder, n, manifest) for n in names}
    if variant not in FILE_VARIANTS:
        raise ValueError(f"variant {variant!r} is not stored in the cache")
    return {
        n: _anonymized_view(folder, n, manifest)
        for n in names
        if n not in DEFAULT_POLICY.drop_tables
    }


def _check_memory_limit(value: Any) -> str:
    """A DuckDB size such as ``"500MB"`` or ``"1GB"``."""
    text = str(value).strip().replace(" ", "").upper() if isinstance(value, str) else ""
    number = text.rstrip("KMGTIB")
    unit = text[len(number) :]
    ok = unit in ("KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB")
    try:
        ok = ok and float(number) > 0
    except ValueError:
        ok = False
    if not ok:
        raise ParameterError(message("sql.bad_memory_limit", got=repr(value)))
    return text


def run(
    folder: Path,
    variant: str,
    query: str,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    loaded: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Run ``query`` with DuckDB over the tables of a cache folder; the result as a DataFrame.

    Parameters
    ----------
    folder : Path
        A verified cache folder (``cache.verify_folder``).
    variant : str
        Which tables the views show: ``"raw"`` or ``"pseudonymized"`` (rebuilt from the
        overlays) read the files; another variant needs ``loaded``.
    query : str
        One SQL statement (DuckDB's dialect); each table is a view by its name.
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (default :data:`DEFAULT_MEMORY_LIMIT`).
    threads : int, optional
        DuckDB's ``threads`` (default :data:`DEFAULT_THREADS`).
    loaded : dict of str to DataFrame, optional
        The tables of a variant made in memory (not in :data:`FILE_VARIANTS`), queried as
        they are.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "demo"
    >>> frame = pd.DataFrame({"fiscal_year": [2015, 2015, 2016], "n": [1, 2, 3]})
    >>> _ = cache.write_dataset({"t": frame}, {}, {}, out)
    >>> run(out, "raw", "SELECT fiscal_year, count(*) AS n FROM t GROUP BY 1 ORDER BY 1")
       fiscal_year  n
    0         2015  2
    1         2016  1
    """
    import duckdb

    if not isinstance(query, str) or not query.strip():
        raise ParameterError(message("sql.not_text", got=type(query).__name__))
    limit = _check_memory_limit(DEFAULT_MEMORY_LIMIT if memory_limit is None else memory_limit)
    n_threads = DEFAULT_THREADS if threads is None else threads
    if isinstance(n_threads, bool) or not isinstance(n_threads, int):
        raise ParameterError(message("param.integer_min", name="threads", low=1, got=repr(threads)))
    check_range("threads", n_threads, low=1)
    views = view_sql(folder, variant) if variant in FILE_VARIANTS else {}
    frames = {} if variant in FILE_VARIANTS else dict(loaded or {})
    spill = tempfile.mkdtemp(prefix="ebpmkit-duckdb-")
    config = {
        "memory_limit": limit,
        "threads": n_threads,
        "temp_directory": spill,
        # Nothing may need the network at run time: never fetch a DuckDB extension.
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    try:
        with duckdb.connect(":memory:", config=config) as con:
            # A text progress bar would clutter notebooks and logs (a connection setting).
            con.execute("SET enable_progress_bar = false")
            for name, select in views.items():
                con.execute(f"CREATE VIEW {_q(name)} AS {select}")
            for name, frame in frames.items():
                con.register(name, frame)
            try:
                return con.execute(query).df()
            except duckdb.Error as exc:
                error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ParameterError(
                    message("sql.bad_query", error=error, tables=", ".join([*views, *frames]))
                ) from None
    finally:
        shutil.rmtree(spill, ignore_errors=True)
