"""Error types raised by ebpmkit.

Every error a user can cause names the parameter at fault and what is accepted, so the
message alone tells the reader how to fix the call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "CacheError",
    "EbpmkitError",
    "ParameterError",
    "ProfileError",
    "check_choice",
    "check_range",
]


class EbpmkitError(Exception):
    """Base class for every error ebpmkit raises on purpose."""


class ParameterError(EbpmkitError, ValueError, TypeError):
    """A function or command received an argument it cannot accept.

    Subclasses both ValueError and TypeError so callers can catch either.
    """


class ProfileError(EbpmkitError, ValueError):
    """A municipality profile file is missing, malformed or out of range."""


class CacheError(EbpmkitError, OSError):
    """The data directory cannot be read or written."""


def check_choice(name: str, value: Any, options: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise ParameterError.

    Examples
    --------
    >>> check_choice("variant", "raw", ["raw", "anonymized"])
    'raw'
    """
    options = list(options)
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ParameterError(
            f"引数 '{name}' には {shown} のいずれかを指定してください({value!r} が渡されました)。\n"
            f"The '{name}' parameter must be one of {shown}, but {value!r} was passed."
        )
    return value


def check_range(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    kind: type | tuple[type, ...] = (int, float),
) -> Any:
    """Return ``value`` if it is a number within the given bounds; otherwise raise ParameterError.

    Examples
    --------
    >>> check_range("scale", 0.5, low=0, low_inclusive=False)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ParameterError(
            f"引数 '{name}' には数値を指定してください({value!r} が渡されました)。\n"
            f"The '{name}' parameter must be a number, but {value!r} was passed."
        )
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and value > high
    if too_low or too_high or value != value:  # value != value catches NaN
        left = "[" if low_inclusive else "("
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ParameterError(
            f"引数 '{name}' は {left}{lo}, {hi}] の範囲で指定してください({value!r} が渡されました)。\n"
            f"The '{name}' parameter must be in the range {left}{lo}, {hi}], got {value!r} instead."
        )
    return value
