"""Content hashes of tables, shared by the determinism tests."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_digest(frame: pd.DataFrame) -> str:
    """A content hash of a DataFrame, its column names and dtypes included."""
    h = hashlib.sha256()
    h.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def tables_digest(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Per-table content hashes."""
    return {name: frame_digest(frame) for name, frame in sorted(tables.items())}
