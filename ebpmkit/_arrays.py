"""Array helpers for the large integer arrays of a city-sized dataset.

``np.unique(values)`` without further arguments finds the unique values with a hash table in
numpy 2.x. On millions of distinct int64 ids that is many times slower than sorting (12.3 s
against 0.7 s for ten million random ids with numpy 2.4), so the generator and the
pseudonymization sort instead. The result is the same array.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sorted_unique"]


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-D array in ascending order, found by sorting.

    Equal to ``np.unique(values)`` for integer arrays, and quicker on large ones.

    Parameters
    ----------
    values : ndarray
        A 1-D array of integers (or of any type numpy sorts).

    Returns
    -------
    ndarray
        The distinct values, ascending.

    Examples
    --------
    >>> sorted_unique(np.array([7, 3, 7, 10]))
    array([ 3,  7, 10])
    """
    ordered = np.sort(np.asarray(values).ravel())
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
