"""Keep freed memory for reuse while a dataset is generated, then give it back.

Generation makes and drops hundreds of arrays of tens to hundreds of megabytes. glibc's
allocator serves each from fresh pages of the operating system and returns them on free, so
the next array pays again for the kernel to fault in and zero its pages: on the designated
city that was about a fifth of the run. Inside :func:`reusing_freed_memory` large blocks come
from the heap and freed memory stays there for the next array (glibc's ``mallopt`` with
``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``); on leaving, the thresholds go back to glibc's
defaults and ``malloc_trim`` returns the free pages, so a notebook kernel does not keep them.

Elsewhere than on glibc (macOS, Windows, musl) this does nothing. The peak memory grows a
little, as heap blocks fit less tightly than fresh pages: for the designated city 11.1 GB
against 10.3 GB, for a run 19% quicker (165 s to 134 s).
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["reusing_freed_memory"]

# mallopt(3) parameter numbers and glibc's documented defaults.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_DEFAULT_MMAP_THRESHOLD = 128 * 1024
# Blocks up to 2 GiB from the heap; up to 2 GiB of free heap kept before trimming.
_KEEP = 2**31 - 1

_lock = threading.Lock()
_depth = 0


def _glibc() -> Any | None:
    """The process's C library if it is glibc with ``mallopt`` and ``malloc_trim``."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


@contextlib.contextmanager
def reusing_freed_memory() -> Iterator[None]:
    """Within the block, freed large arrays are reused instead of returned to the system.

    Nested and concurrent uses share one setting: the outermost block sets it and restores
    glibc's defaults when the last one ends.

    Examples
    --------
    >>> import numpy as np
    >>> with reusing_freed_memory():
    ...     total = sum(float(np.ones(1_000_000).sum()) for _ in range(3))
    >>> total
    3000000.0
    """
    global _depth
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_MMAP_THRESHOLD)
                libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
                libc.malloc_trim(0)
