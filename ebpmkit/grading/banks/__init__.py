"""The built-in question banks, one module per exercise (``exNN_<name>.py``).

Each module defines ``EXERCISE``, an :class:`~ebpmkit.grading.questions.Exercise`; every
``ex*.py`` module in this folder is found and registered, so adding an exercise is adding a
module here and its master to ``solutions/`` (``ebpmkit build`` writes the learner copy).
A bank that fails to import is skipped with a warning naming it, so one broken bank never
stops a learner's notebook on another exercise; ``tests/grading`` imports every bank strictly.

Examples
--------
>>> "00" in [ex.id for ex in load_banks()]
True
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

__all__ = ["bank_modules", "load_banks"]


def bank_modules() -> list[str]:
    """Names of the bank modules in this package (``ex00_practice`` ...), sorted.

    Examples
    --------
    >>> bank_modules()[0]
    'ex00_practice'
    """
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ex"))


def load_banks(*, strict: bool = False) -> list:
    """Import every bank module and return their exercises, in module order.

    Parameters
    ----------
    strict : bool
        Raise on a bank that cannot be imported instead of warning and skipping it.
    """
    exercises = []
    for name in bank_modules():
        try:
            module = importlib.import_module(f"{__name__}.{name}")
            exercises.append(module.EXERCISE)
        except Exception as exc:
            if strict:
                raise
            warnings.warn(
                f"Question bank {name} could not be loaded and is skipped: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
    return exercises
