"""Statistics shared by the estimators: Welch and paired intervals, the within transformation."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.regression.linear_model import OLS

from ebpmkit.errors import ParameterError
from ebpmkit.messages import message

_TOL = 1e-13  # convergence of the within transformation on unbalanced panels (relative)
_MAX_SWEEPS = 10_000


def _paired(after: np.ndarray, prior: np.ndarray, confidence: float) -> tuple[float, ...]:
    """The mean change of the same units (a one-sample t test on the changes, by scipy)."""
    change = after - prior
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # identical changes: see _welch
        test = stats.ttest_1samp(change, 0.0)
        interval = test.confidence_interval(confidence)
    df = float(test.df)
    se = float(change.std(ddof=1) / math.sqrt(len(change)))
    return float(change.mean()), se, df, float(interval.low), float(interval.high)


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, ...]:
    """Welch's t test of mean(a) - mean(b), by scipy: estimate, std. error, df, interval."""
    with warnings.catch_warnings():
        # Identical values in both groups (a learner's toy example) make scipy warn about
        # precision; the interval is then (0, 0), which the reading explains.
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_ind(a, b, equal_var=False)
        interval = test.confidence_interval(confidence)
    low, high, df = float(interval.low), float(interval.high), float(test.df)
    # scipy keeps the standard error private; the interval is estimate +/- t * se.
    se = (high - low) / 2 / float(stats.t.ppf(0.5 + confidence / 2, df))
    return float(np.mean(a) - np.mean(b)), se, df, low, high


def _interval(est: float, se: float, df: float, level: float) -> tuple[float, float]:
    q = float(stats.t.ppf(0.5 + level / 2, df))
    return est - q * se, est + q * se


def _within(values: np.ndarray, u: np.ndarray, t: np.ndarray, n_u: int, n_t: int) -> np.ndarray:
    """Sweep unit and time means out of each column (two-way within transformation).

    Exact double demeaning for a balanced panel (each unit once at each time); alternating
    projections until convergence otherwise.
    """
    values = np.asarray(values, dtype=float)
    count_u = np.bincount(u, minlength=n_u).astype(float)
    count_t = np.bincount(t, minlength=n_t).astype(float)

    def means(codes: np.ndarray, counts: np.ndarray, x: np.ndarray) -> np.ndarray:
        return (
            np.column_stack(
                [
                    np.bincount(codes, weights=x[:, j], minlength=len(counts))
                    for j in range(x.shape[1])
                ]
            )
            / counts[:, None]
        )

    cells = u.astype(np.int64) * n_t + t
    balanced = len(values) == n_u * n_t and len(np.unique(cells)) == len(values)
    if balanced:
        return (
            values
            - means(u, count_u, values)[u]
            - means(t, count_t, values)[t]
            + values.mean(axis=0)
        )
    scale = np.abs(values).max(axis=0) + 1.0
    out = values - values.mean(axis=0)
    for _ in range(_MAX_SWEEPS):
        out = out - means(u, count_u, out)[u]
        out = out - means(t, count_t, out)[t]
        if (np.abs(means(u, count_u, out)).max(axis=0) <= _TOL * scale).all():
            return out
    raise ParameterError(message("evaluate.within_no_convergence"))


def _robust_ols(yv: np.ndarray, x: np.ndarray, groups: np.ndarray | None = None) -> Any:
    """OLS by statsmodels with heteroskedasticity-robust (HC2) or cluster-robust errors.

    HC2 makes the standard error of a difference in means between two groups equal to
    Welch's; with ``groups`` the errors are clustered (as in :func:`did`). The fit uses
    t intervals: n - k degrees of freedom, or clusters - 1 with ``groups``.
    """
    model = OLS(yv, x)
    if groups is None:
        return model.fit(cov_type="HC2", use_t=True)
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)


def _fit_df(fit: Any, groups: np.ndarray | None) -> float:
    """Degrees of freedom of the t intervals of :func:`_robust_ols`'s fit."""
    if groups is None:
        return float(fit.df_resid)
    return float(len(np.unique(groups)) - 1)
