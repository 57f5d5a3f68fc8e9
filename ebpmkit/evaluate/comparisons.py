"""Before/after and two-group comparisons (Welch and paired intervals, by scipy)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ebpmkit._labels import lookup
from ebpmkit.errors import ParameterError, renamed_parameters
from ebpmkit.evaluate._checks import (
    _before_default,
    _check_level,
    _dropped_note,
    _numeric_y,
    _period_mask,
    _prepare,
    _two_levels,
)
from ebpmkit.evaluate._result import _METHODS, EffectEstimate, _estimate
from ebpmkit.evaluate._stats import _paired, _welch
from ebpmkit.evaluate._words import _level_name, _per, _range_text
from ebpmkit.messages import message

__all__ = ["before_after", "compare_groups"]


@renamed_parameters(level="confidence")
def before_after(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    period: Any,
    before: Any = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Mean change of ``y`` from the period before to ``period``, with a confidence interval.

    Parameters
    ----------
    data, y, time, confidence, dictionary, y_unit
        See the module's shared parameters.
    period : column name, (start, end) or start
        The period after the change (the programme's period).
    before : column name, (start, end) or start, optional
        The period to compare with; every time before ``period`` starts when omitted (or the
        rows where the ``period`` column is 0).
    unit : str, optional
        With repeated observations of the same units, compare each unit with itself: the
        change of each unit's mean, averaged over the units observed in both periods (a paired
        comparison). Without it, the two periods' rows are compared as independent samples
        (Welch).

    Returns
    -------
    EffectEstimate
        ``estimate`` is the mean after minus the mean before.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [2020] * 4 + [2021] * 4, "spend": [10, 12, 11, 13, 14, 15, 13, 16]})
    >>> before_after(frame, y="spend", time="year", period=2021).estimate
    3.0
    """
    frame = _prepare(data, {"y": y, "time": time, "unit": unit}, period=period, before=before)
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    (after_mask, after_text), (before_mask, before_text) = _two_periods(frame, time, period, before)
    notes = _dropped_note(data, frame)
    if unit is None:
        fit = _welch(yv[after_mask], yv[before_mask], confidence)
        m1, m0 = float(yv[after_mask].mean()), float(yv[before_mask].mean())
        n_obs = n_units = int(after_mask.sum() + before_mask.sum())
    else:
        keys = frame[unit].to_numpy()
        after = pd.Series(yv[after_mask]).groupby(keys[after_mask]).mean()
        prior = pd.Series(yv[before_mask]).groupby(keys[before_mask]).mean()
        both = after.index.intersection(prior.index)
        if len(both) < 2:
            raise ParameterError(message("evaluate.paired_too_few", unit=unit, count=len(both)))
        a, b = after.loc[both].to_numpy(), prior.loc[both].to_numpy()
        fit = _paired(a, b, confidence)
        m1, m0 = float(a.mean()), float(b.mean())
        used = (after_mask | before_mask) & np.isin(keys, both.to_numpy())
        n_obs, n_units = int(used.sum()), len(both)
        lone = len(after.index.union(prior.index)) - len(both)
        if lone:
            notes += (f"片方の期間にしか観測がない{lone:,}単位は除きました。",)
    return _estimate(
        "before_after",
        fit,
        y=(y, dictionary, y_unit),
        n=(n_obs, n_units),
        confidence=confidence,
        method=_METHODS["before_after"] + ("(同じ単位どうし)" if unit is not None else ""),
        per=_per(unit, time, dictionary),
        groups=(after_text, before_text),
        means=(m1, m0),
        notes=notes,
    )


def _two_periods(
    frame: pd.DataFrame, time: str, period: Any, before: Any
) -> tuple[tuple[np.ndarray, str], tuple[np.ndarray, str]]:
    """Rows of the policy period and of the period before it, each with its text."""
    after_mask, after_text = _period_mask(frame, time, period, "period")
    if before is None:
        before_mask = _before_default(frame, time, period, after_mask)
        before_text = _range_text(frame[time][before_mask]) if before_mask.any() else ""
    else:
        before_mask, before_text = _period_mask(frame, time, before, "before")
    if (after_mask & before_mask).any():
        raise ParameterError(message("evaluate.periods_overlap"))
    for mask, name in ((after_mask, "period"), (before_mask, "before")):
        if mask.sum() < 2:
            where = (
                f"引数 '{name}' の期間"
                if name == "period" or before is not None
                else ("引数 'period' より前の期間")
            )
            raise ParameterError(
                message(
                    "evaluate.period_too_few",
                    where=where,
                    where_en=f"'{name}' period",
                    count=int(mask.sum()),
                )
            )
    return (after_mask, after_text), (before_mask, before_text)


@renamed_parameters(level="confidence")
def compare_groups(
    data: pd.DataFrame,
    *,
    y: str,
    group: str,
    groups: tuple[Any, Any] | None = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Difference in the mean of ``y`` between two groups, with Welch's confidence interval.

    Parameters
    ----------
    data, y, confidence, dictionary, y_unit
        See the module's shared parameters.
    group : str
        The column naming each row's group.
    groups : (first, second), optional
        The two values of ``group`` to compare, first minus second. Needed when ``group``
        has more than two values; by default True minus False (1 minus 0) for a yes/no
        column, otherwise the first value minus the second in sorted order.
    unit : str, optional
        With repeated observations of the same units, each unit's mean is taken first, so a
        household observed for six months counts once, not six times.

    Returns
    -------
    EffectEstimate
        ``estimate`` is the mean of the first group minus that of the second.

    Examples
    --------
    >>> frame = pd.DataFrame({"g": ["A", "A", "A", "B", "B", "B"], "spend": [5, 6, 7, 1, 2, 3]})
    >>> compare_groups(frame, y="spend", group="g").estimate
    4.0
    """
    frame = _prepare(data, {"y": y, "group": group, "unit": unit})
    confidence = _check_level(confidence)
    _numeric_y(frame, y)
    notes = _dropped_note(data, frame)
    label_g, _ = lookup(group, dictionary)
    first, second = _two_levels(frame, group, groups)
    frame = frame.loc[frame[group].isin([first, second]).to_numpy()].reset_index(drop=True)
    yv = _numeric_y(frame, y)
    if unit is not None:
        varies = frame.groupby(unit, observed=True)[group].nunique()
        if (varies > 1).any():
            raise ParameterError(
                message(
                    "evaluate.group_varies",
                    column=group,
                    unit=unit,
                    example=repr(varies.index[varies > 1][0]),
                )
            )
        means = pd.Series(yv).groupby(frame[unit].to_numpy()).mean()
        labels = frame.groupby(unit, observed=True)[group].first().loc[means.index]
        a = means.to_numpy()[(labels == first).to_numpy()]
        b = means.to_numpy()[(labels == second).to_numpy()]
    else:
        a = yv[(frame[group] == first).to_numpy()]
        b = yv[(frame[group] == second).to_numpy()]
    for values, value in ((a, first), (b, second)):
        if len(values) < 2:
            raise ParameterError(
                message(
                    "evaluate.group_too_few",
                    value=repr(value),
                    what="単位" if unit else "行",
                    what_en="units" if unit else "rows",
                    count=len(values),
                )
            )
    return _estimate(
        "compare_groups",
        _welch(a, b, confidence),
        y=(y, dictionary, y_unit),
        n=(len(frame), len(a) + len(b)),
        confidence=confidence,
        groups=(_level_name(label_g, first), _level_name(label_g, second)),
        means=(float(a.mean()), float(b.mean())),
        notes=notes,
    )
