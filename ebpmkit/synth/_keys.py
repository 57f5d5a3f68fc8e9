"""Vectorised key helpers shared by the domain modules: dense codes, pair keys, lookups.

Person and household ids are int64 and mostly dense, so direct indexing beats hashing; each
helper falls back to sorting when the ids span too wide a range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["categorical_rows", "dense_codes", "has_label", "pair_key", "positions"]


def _small_range(lo: int, hi: int, n: int) -> bool:
    return hi - lo <= 4 * n + 1_000_000


def dense_codes(key: np.ndarray, compact: bool = True) -> tuple[int, np.ndarray]:
    """Map int64 keys to group numbers ``0..n-1`` in key order; return ``(n, codes)``.

    With ``compact=False`` a small key range is used as it is (some numbers unused), which is
    quicker when the codes only index per-key random draws.

    Examples
    --------
    >>> dense_codes(np.array([7, 3, 7, 10]))
    (3, array([1, 0, 1, 2]))
    """
    if len(key) == 0:
        return 0, np.zeros(0, dtype=np.int64)
    lo, hi = int(key.min()), int(key.max())
    if _small_range(lo, hi, len(key)):
        if not compact:
            return hi - lo + 1, key - lo
        present = np.zeros(hi - lo + 1, dtype=bool)
        present[key - lo] = True
        remap = np.cumsum(present) - 1
        return int(remap[-1]) + 1, remap[key - lo]
    uniq, inverse = np.unique(key, return_inverse=True)
    return len(uniq), inverse


def pair_key(year: np.ndarray, ident: np.ndarray, first_year: int, n_years: int) -> np.ndarray:
    """One int64 key per (fiscal year, id) pair, compact when ids are small.

    Examples
    --------
    >>> pair_key(np.array([2015, 2016]), np.array([1, 1]), 2015, 10)
    array([10, 11])
    """
    return (np.asarray(year).astype(np.int64) - first_year) + np.asarray(ident).astype(
        np.int64
    ) * n_years


def positions(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Row of ``keys`` holding each ``query`` key, or -1 (for repeated keys, one of their rows).

    Examples
    --------
    >>> positions(np.array([5, 9, 2]), np.array([2, 5]))
    array([ 1, -1,  0])
    """
    if len(keys) == 0 or len(query) == 0:
        return np.full(len(query), -1, dtype=np.int64)
    lo = min(int(keys.min()), int(query.min()))
    hi = max(int(keys.max()), int(query.max()))
    if _small_range(lo, hi, len(keys) + len(query)):
        # A city's lookup table spans tens of millions of slots and every access misses the
        # cache, so it holds int32 rows when they fit: half the memory traffic.
        row_type = np.int32 if len(keys) < np.iinfo(np.int32).max else np.int64
        table = np.full(hi - lo + 1, -1, dtype=row_type)
        table[keys - lo] = np.arange(len(keys), dtype=row_type)
        return np.take(table, query - lo).astype(np.int64, copy=False)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    at = np.searchsorted(sorted_keys, query).clip(0, len(keys) - 1)
    return np.where(sorted_keys[at] == query, order[at], -1)


def has_label(series: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Whether each value of ``series`` is one of ``labels`` (via category codes: fast).

    Examples
    --------
    >>> has_label(pd.Series(["子", "世帯主"], dtype="category"), ("子",)).tolist()
    [True, False]
    """
    cat = series.astype("category")
    wanted = np.flatnonzero(np.isin(np.asarray(cat.cat.categories, dtype=object), labels))
    return np.isin(cat.cat.codes.to_numpy(), wanted)


def categorical_rows(table: pd.DataFrame, column: str, rows: np.ndarray) -> pd.Categorical:
    """``table[column]`` at positions ``rows`` as a Categorical (all missing if absent).

    A domain table copies sex or district from ``resident_years`` this way, keeping the
    categories (and so the order of the labels) of the register.

    Examples
    --------
    >>> ry = pd.DataFrame({"sex": pd.Categorical(["男性", "女性", "女性"])})
    >>> list(categorical_rows(ry, "sex", np.array([2, 0])))
    ['女性', '男性']
    >>> categorical_rows(ry, "district_code", np.array([0])).isna().all()
    np.True_
    """
    if column not in table.columns:
        return pd.Categorical([pd.NA] * len(rows))
    values = table[column].iloc[rows]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    return pd.Categorical(values)
