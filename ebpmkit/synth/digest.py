"""Content digests of generated tables, and the golden digests that hold the data contract.

The same profile, seed and scale must give identical tables on every machine. A digest here
is computed from the values in a canonical byte form (little-endian numbers, UTF-8 text,
category labels rather than codes, a fixed marker for missing values), so it does not depend
on the platform's byte order, on how pandas lays out memory, on parquet's encoding or on
pandas' own hash function, which may change between releases while the data does not.

The golden file (``tests/golden/digests.json``) holds the digest of every table of small
datasets: each built-in profile, both variants, the default seed. ``make golden`` rewrites it
after a deliberate change to the generator, together with a bump of
``ebpmkit.cache.GENERATOR_VERSION``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "GOLDEN_SCALE",
    "GOLDEN_VARIANTS",
    "dataset_digests",
    "frame_digest",
    "golden_digests",
    "write_golden",
]

# Small enough to build all six datasets in seconds, large enough that every table has rows.
GOLDEN_SCALE = 0.02
GOLDEN_VARIANTS = ("raw", "pseudonymized", "anonymized")
_MISSING = b"\x00<NA>\x00"
_SEP = b"\x1f"


def _column_bytes(values: pd.Series) -> bytes:
    """The column's values in a canonical byte form (see the module docstring)."""
    dtype = values.dtype
    missing = values.isna().to_numpy()
    if isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
    ):
        # Text, categories and anything else: the value as text, so codes and string storage
        # (object, python or pyarrow) do not matter.
        return _SEP.join(
            _MISSING if m else str(v).encode("utf-8") for v, m in zip(values, missing, strict=True)
        )
    if pd.api.types.is_datetime64_any_dtype(dtype):
        # Seconds since the epoch: a date is the same date whatever unit pandas stores it in.
        filled = values.fillna(pd.Timestamp(0))
        numbers = filled.astype("datetime64[s]").to_numpy().astype("<i8")
    elif pd.api.types.is_bool_dtype(dtype):
        numbers = values.fillna(False).to_numpy(dtype=bool).astype("<i1")
    elif pd.api.types.is_integer_dtype(dtype):
        numbers = values.fillna(0).to_numpy(dtype=np.int64).astype("<i8")
    else:
        numbers = values.fillna(0.0).to_numpy(dtype=np.float64).astype("<f8")
    return np.packbits(missing).tobytes() + _SEP + numbers.tobytes()


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and values, in order.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", None]})
    >>> frame_digest(a) == frame_digest(a.copy())
    True
    >>> frame_digest(a) == frame_digest(a.assign(x=[1, 3]))
    False
    """
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode("utf-8"))
    h.update(str(len(frame)).encode("ascii"))
    for column in frame.columns:
        h.update(_SEP + _column_bytes(frame[column]))
    return h.hexdigest()


def dataset_digests(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Table name -> :func:`frame_digest`, sorted by name.

    Examples
    --------
    >>> list(dataset_digests({"b": pd.DataFrame({"x": [1]}), "a": pd.DataFrame()}))
    ['a', 'b']
    """
    return {name: frame_digest(frame) for name, frame in sorted(tables.items())}


def golden_digests(progress: bool = False) -> dict[str, Any]:
    """Digests of every golden dataset, as they load today (``write_golden`` stores them).

    Every built-in profile in both variants, default seed, scale :data:`GOLDEN_SCALE`.
    """
    from ebpmkit.cache import GENERATOR_VERSION
    from ebpmkit.dataset import DEFAULT_SEED, load
    from ebpmkit.synth.profile import builtin_profiles

    datasets = {}
    for profile in builtin_profiles():
        for variant in GOLDEN_VARIANTS:
            ds = load(profile, DEFAULT_SEED, GOLDEN_SCALE, variant=variant, progress=progress)
            datasets[f"{profile}/{variant}"] = dataset_digests(ds.tables)
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": DEFAULT_SEED,
        "scale": GOLDEN_SCALE,
        "datasets": datasets,
    }


def write_golden(path: str | Path) -> Path:
    """Write :func:`golden_digests` to ``path`` (run it through ``make golden``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(golden_digests(progress=True), ensure_ascii=False, indent=1, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
