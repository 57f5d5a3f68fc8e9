"""The synthetic municipality generator.

``DOMAINS`` lists the domain modules in the order they run; each reads the tables of the
modules before it. :func:`generate_tables` validates the profile against every module's
declared ``PARAMETERS`` first, so a bad profile fails before any work is done.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ebpmkit._memory import reusing_freed_memory
from ebpmkit.errors import ParameterError, check_range
from ebpmkit.messages import message
from ebpmkit.synth import (
    child_allowance,
    child_health,
    childcare,
    finance,
    furusato_flows,
    geography,
    health_guidance,
    identity,
    income,
    late_elderly,
    ltc,
    ltc_premiums,
    nhi,
    population,
    school_aid,
    voucher,
)
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import PARAMETERS as profile_parameters
from ebpmkit.synth.profile import Profile, builtin_profiles, load_profile

__all__ = ["DOMAINS", "builtin_profiles", "generate_tables", "load_profile", "validate_profile"]

DOMAINS = [
    geography,
    population,
    income,
    nhi,
    health_guidance,
    ltc,
    ltc_premiums,
    late_elderly,
    childcare,
    child_health,
    furusato_flows,
    voucher,
    child_allowance,
    school_aid,
    finance,
    identity,
]


def validate_profile(profile: Profile) -> None:
    """Check every figure every domain module declares, and the modules' cross-figure rules.

    A target the user's own profile writes but the generator does not read (``when="check"``
    in its declaration, e.g. ``income.target_income_per_taxpayer``) gives a Japanese
    UserWarning naming the figure that moves the result.
    """
    profile.validate(profile_parameters)
    for module in DOMAINS:
        profile.validate(module.PARAMETERS)
        check = getattr(module, "check_profile", None)
        if check is not None:
            check(profile)
    _warn_unused_targets(profile)


# Targets that a cross-figure rule already holds to the figures that drive them (population's
# check_profile rejects age_share_targets and male_share that disagree with the age bands and
# the male share by age).
_TARGETS_HELD = frozenset({"population.age_share_targets", "population.male_share"})


def _warn_unused_targets(profile: Profile) -> None:
    """Warn (in Japanese) about a target the user's own profile writes but the generator ignores."""
    for module in DOMAINS:
        for param in module.PARAMETERS:
            if (
                param.when == "check"
                and param.key in profile.own_keys
                and param.key not in _TARGETS_HELD
            ):
                warnings.warn(
                    message(
                        "profile.target_unused",
                        origin=profile.origin,
                        key=param.key,
                        driver=param.driver,
                    ),
                    UserWarning,
                    stacklevel=3,
                )


def check_seed(seed: Any) -> int:
    """Return ``seed`` if it is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(message("param.integer_min", name="seed", low=0, got=repr(seed)))
    return seed


def check_scale(scale: Any) -> float:
    """Return ``scale`` as a float if it lies in (0, 2]."""
    return float(check_range("scale", scale, low=0, high=2, low_inclusive=False))


def generate_tables(
    profile: str | Path | Profile = "urban-ward",
    seed: int = 2024,
    scale: float = 1.0,
    *,
    only: Iterable[str] | None = None,
    on_step: Callable[[str, float], None] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Generate every table of a synthetic municipality in memory.

    Parameters
    ----------
    profile : str or Path or Profile
        A built-in profile name or a profile file.
    seed : int
        Random seed; the same profile, seed and scale give identical tables.
    scale : float
        Share of the profile's population to simulate, in (0, 2].
    only : iterable of str, optional
        Run only these domain modules (by module name, in ``DOMAINS`` order); for tests.
    on_step : callable, optional
        Called as ``on_step(module_name, seconds)`` after each module, e.g. to move a progress bar.

    Returns
    -------
    tables : dict of str to DataFrame
    truth : dict
        Ground truth of the simulated effects, by module.

    Examples
    --------
    >>> tables, truth = generate_tables("town", seed=1, scale=0.02, only=("geography", "population"))
    >>> "resident_years" in tables
    True
    """
    prof = load_profile(profile)
    seed = check_seed(seed)
    scale = check_scale(scale)
    validate_profile(prof)
    wanted = None if only is None else set(only)
    ctx = SimContext(prof, seed, scale)
    with reusing_freed_memory():
        for module in DOMAINS:
            name = module.__name__.rsplit(".", 1)[-1]
            if wanted is not None and name not in wanted:
                continue
            started = time.perf_counter()
            ctx.tables.update(module.simulate(ctx))
            if on_step is not None:
                on_step(name, time.perf_counter() - started)
    return ctx.tables, ctx.truth
