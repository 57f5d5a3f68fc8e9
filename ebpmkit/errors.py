"""Error types raised by ebpmkit.

Every error a user can cause names the parameter at fault and what is accepted, so the
message alone tells the reader how to fix the call.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ebpmkit.messages import message

__all__ = [
    "CacheError",
    "EbpmkitError",
    "ParameterError",
    "ProfileError",
    "check_choice",
    "check_range",
    "renamed_parameters",
]

F = TypeVar("F", bound=Callable[..., Any])


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
        raise ParameterError(message("param.choice", name=name, options=shown, got=repr(value)))
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
        raise ParameterError(message("param.not_number", name=name, got=repr(value)))
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and value > high
    if too_low or too_high or value != value:  # value != value catches NaN
        left = "[" if low_inclusive else "("
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{left}{lo}, {hi}]"
        raise ParameterError(message("param.range", name=name, interval=interval, got=repr(value)))
    return value


def renamed_parameters(**renames: str) -> Callable[[F], F]:
    """Accept old keyword names for one release, with a Japanese deprecation warning.

    ``renamed_parameters(x="time")`` lets ``f(x=...)`` keep working as ``f(time=...)`` and
    warns (FutureWarning, which users see, unlike DeprecationWarning). Passing both names is
    an error, since the call would be ambiguous.

    Examples
    --------
    >>> @renamed_parameters(by="time")
    ... def plot(*, time="fiscal_year"):
    ...     return time
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     plot(by="month")
    'month'
    >>> "'by' は 'time' に名前が変わりました" in str(caught[0].message)
    True
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise ParameterError(message("param.renamed_both", old=old, new=new))
                warnings.warn(
                    message("param.renamed", function=func.__name__, old=old, new=new),
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
