"""Difference-in-differences with two-way fixed effects, and the parallel-trends chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from statsmodels.regression.linear_model import OLS

from ebpmkit import style
from ebpmkit._labels import SOURCE_NOTE, axis_label, format_axis, lookup
from ebpmkit._plotting import add_source, new_axes
from ebpmkit.errors import ParameterError, renamed_parameters
from ebpmkit.evaluate._checks import (
    _binary,
    _check_level,
    _coerce_time,
    _dropped_note,
    _numeric_y,
    _period_mask,
    _prepare,
    _sorted,
)
from ebpmkit.evaluate._result import EffectEstimate, _estimate
from ebpmkit.evaluate._stats import _interval, _within
from ebpmkit.evaluate._words import _legend_label, _month_tick, _per, _range_text, _unit_noun
from ebpmkit.messages import message

__all__ = ["MIN_CLUSTERS", "MIN_UNITS_PER_GROUP", "did", "plot_trends"]

#: Fewest units (clusters) :func:`did` accepts: cluster-robust standard errors rest on many
#: independent clusters and are too small, so intervals too narrow, with only a few.
MIN_CLUSTERS = 10

#: Fewest treated units, and fewest comparison units, :func:`did` accepts. With one treated
#: unit, the effect cannot be told apart from that unit's own shocks.
MIN_UNITS_PER_GROUP = 2


@renamed_parameters(level="confidence")
def did(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    treated: str,
    post: Any,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Difference-in-differences with unit and time fixed effects, errors clustered by unit.

    Fits ``y ~ treated:post + C(unit) + C(time)`` by OLS. The unit and time effects are swept
    out first (the within transformation; by the Frisch-Waugh-Lovell theorem the coefficient
    and residuals are those of the regression with dummies), then statsmodels fits the
    remaining one-regressor model with standard errors clustered by unit. The small-sample
    factor is that of the dummy regression, so estimate, standard error and interval equal
    statsmodels' ``smf.ols(f"{y} ~ d + C({unit}) + C({time})").fit(cov_type="cluster", ...,
    use_t=True)``; the interval uses a t distribution with (units - 1) degrees of freedom.

    Parameters
    ----------
    data, y, unit, time, confidence, dictionary, y_unit
        See the module's shared parameters. The panel may be unbalanced.
    treated : str
        A 0/1 (or True/False) column: 1 for units in the treated group. It must not change
        within a unit.
    post : column name, (start, end) or start
        When the policy is in effect. Times outside it (before, and after it ends) are the
        comparison periods.

    Returns
    -------
    EffectEstimate
        ``estimate`` is the average effect on the treated group per unit and time in ``post``.

    Raises
    ------
    ParameterError
        With fewer than :data:`MIN_CLUSTERS` units, fewer than :data:`MIN_UNITS_PER_GROUP`
        treated or comparison units, or no observation before or during ``post``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "t": np.tile(np.arange(4), 40)})
    >>> panel["treated"] = panel["unit"] < 20
    >>> panel["y"] = panel["unit"] + panel["t"] + 5.0 * (panel["treated"] & (panel["t"] >= 2))
    >>> panel["y"] += rng.normal(0, 1, len(panel))
    >>> res = did(panel, y="y", unit="unit", time="t", treated="treated", post=2)
    >>> bool(res.ci_low < 5 < res.ci_high)
    True
    """
    frame = _prepare(data, {"y": y, "unit": unit, "time": time, "treated": treated}, post=post)
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    treat = _binary(frame, treated, "treated")
    post_mask, post_text = _period_mask(frame, time, post, "post")
    u_codes, u_levels = pd.factorize(frame[unit].to_numpy(), sort=True)
    t_codes, t_levels = pd.factorize(frame[time].to_numpy(), sort=True)
    panel = _Panel(u_codes, t_codes, len(u_levels), len(t_levels), len(frame))
    treated_units = _check_did_groups(treat, u_codes, u_levels, unit=unit, treated=treated)
    _check_did_periods(treat, post_mask)
    est, se, df = _twfe_effect(yv, (treat & post_mask).astype(float), panel)
    fit = (est, se, df, *_interval(est, se, df, confidence))
    label_t, _ = lookup(treated, dictionary)
    noun = _unit_noun(unit, dictionary)
    notes = _dropped_note(data, frame) + (
        f"処置群は{treated_units:,}{noun}、比較群は{panel.n_units - treated_units:,}{noun}、"
        f"時点は{panel.n_times:,}個({_range_text(frame[time])})です。",
    )
    return _estimate(
        "did",
        fit,
        y=(y, dictionary, y_unit),
        n=(panel.n_obs, panel.n_units),
        confidence=confidence,
        per=_per(unit, time, dictionary),
        groups=(label_t, f"{label_t}以外"),
        period=post_text,
        notes=notes,
    )


@dataclass(frozen=True)
class _Panel:
    """Integer codes of each row's unit and time, and the panel's size."""

    u_codes: np.ndarray
    t_codes: np.ndarray
    n_units: int
    n_times: int
    n_obs: int


def _check_did_groups(
    treat: np.ndarray, u_codes: np.ndarray, u_levels: Any, *, unit: str, treated: str
) -> int:
    """Each unit is treated or not throughout, with enough units of each; return the treated."""
    per_unit = pd.Series(treat).groupby(u_codes).agg(["min", "max"])
    if (per_unit["min"] != per_unit["max"]).any():
        bad = u_levels[int(per_unit.index[(per_unit["min"] != per_unit["max"]).to_numpy()][0])]
        raise ParameterError(
            message("evaluate.did_treated_varies", treated=treated, unit=unit, example=repr(bad))
        )
    n_units = len(u_levels)
    treated_units = int(per_unit["max"].sum())
    if n_units < MIN_CLUSTERS:
        raise ParameterError(
            message("evaluate.few_clusters", unit=unit, count=n_units, minimum=MIN_CLUSTERS)
        )
    for count, name_ja, name_en in (
        (treated_units, "処置群", "treated"),
        (n_units - treated_units, "比較群", "comparison"),
    ):
        if count < MIN_UNITS_PER_GROUP:
            raise ParameterError(
                message(
                    "evaluate.did_group_too_small",
                    group=name_ja,
                    group_en=name_en,
                    treated=treated,
                    value=1 if name_en == "treated" else 0,
                    count=count,
                    minimum=MIN_UNITS_PER_GROUP,
                )
            )
    return treated_units


def _check_did_periods(treat: np.ndarray, post_mask: np.ndarray) -> None:
    """Treated units are seen in and outside the policy period, comparison units in it."""
    if not (treat & post_mask).any() or not (treat & ~post_mask).any():
        which = "期間中" if not (treat & post_mask).any() else "期間外(事業前など)"
        raise ParameterError(
            message(
                "evaluate.did_no_period",
                which=which,
                which_en="in" if which == "期間中" else "outside",
            )
        )
    if not post_mask[~treat].any():
        raise ParameterError(message("evaluate.did_no_comparison_in_post"))


def _twfe_effect(yv: np.ndarray, d: np.ndarray, panel: _Panel) -> tuple[float, float, float]:
    """Two-way fixed effects estimate of ``d``'s coefficient, SE clustered by unit, and df."""
    k_full = panel.n_units + panel.n_times  # intercept, unit and time dummies but one each, d
    if panel.n_obs <= k_full:
        raise ParameterError(message("evaluate.did_too_few_rows", count=panel.n_obs, k=k_full))
    stacked = _within(
        np.column_stack([yv, d]), panel.u_codes, panel.t_codes, panel.n_units, panel.n_times
    )
    fit = OLS(stacked[:, 0], stacked[:, 1:]).fit(
        cov_type="cluster", cov_kwds={"groups": panel.u_codes}, use_t=True
    )
    # statsmodels scales the cluster covariance by G/(G-1) * (N-1)/(N-K) with K its regressors
    # (1 here); the dummy regression has K = units + times.
    se = float(fit.bse[0]) * math.sqrt((panel.n_obs - 1) / (panel.n_obs - k_full))
    return float(fit.params[0]), se, float(panel.n_units - 1)


@renamed_parameters(group="hue")
def plot_trends(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    hue: str,
    ax: Axes | None = None,
    event: Any = None,
    band: bool = True,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Mean of ``y`` over time, one line per group, with the start of the policy marked.

    Draw this before trusting a difference-in-differences: before the policy starts, the
    lines should move in parallel (the gap between them may be large, but it should stay
    about the same).

    Parameters
    ----------
    data, y, time, dictionary
        See the module's shared parameters.
    hue : str
        One line per value of this column (at most 8), e.g. the treated/comparison column.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    event : start or (start, end), optional
        The start of the policy (a dashed line) or its period (a shaded span).
    band : bool
        Shade the 95% confidence interval of each mean.
    source : str or None
        The note under the chart; ``None`` leaves it out (only for data that are not synthetic).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2019, 2020, 2021] * 2,
    ...                       "g": [True] * 3 + [False] * 3, "spend": [10, 11, 15, 8, 9, 10]})
    >>> ax = plot_trends(frame, y="spend", time="fiscal_year", hue="g", event=2021)
    >>> ax.get_xlabel()
    '年度'
    """
    frame = _prepare(data, {"y": y, "time": time, "hue": hue})
    yv = _numeric_y(frame, y)
    ax = new_axes(ax)
    levels, binary = _plot_levels(frame[hue])
    if len(levels) > len(style.PALETTE):
        raise ParameterError(
            message(
                "evaluate.hue_too_many",
                column=hue,
                count=len(levels),
                maximum=len(style.PALETTE),
            )
        )
    label_g, _ = lookup(hue, dictionary)
    label_y, unit_y = lookup(y, dictionary)
    is_date = pd.api.types.is_datetime64_any_dtype(frame[time])
    stats_ = (
        pd.DataFrame({"g": frame[hue].to_numpy(), "t": frame[time].to_numpy(), "y": yv})
        .groupby(["g", "t"], sort=True)["y"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    for colour, value in zip(style.PALETTE, levels, strict=False):
        part = stats_.loc[stats_["g"] == value]
        x = part["t"].to_numpy()
        mean = part["mean"].to_numpy()
        name = _legend_label(value, binary)
        ax.plot(x, mean, marker="o", markersize=3, color=colour, label=name)
        if band:
            half = 1.96 * (part["std"] / np.sqrt(part["count"])).fillna(0).to_numpy()
            ax.fill_between(x, mean - half, mean + half, color=colour, alpha=0.18, linewidth=0)
    if event is not None:
        _mark_event(ax, frame, time, event)
    shown = format_axis(ax.yaxis, unit_y, stats_["mean"].to_numpy())
    ax.set_ylabel(f"{label_y}の平均" + (f"({shown})" if shown else ""))
    ax.set_xlabel(axis_label(time, dictionary))
    if is_date:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_month_tick))
    elif pd.api.types.is_integer_dtype(frame[time]):
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_title(
        "グループ別の平均の推移" + ("(帯は95%信頼区間)" if band else ""), fontsize="medium"
    )
    ax.legend(title=label_g, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    add_source(ax, source)
    return ax


def _plot_levels(series: pd.Series) -> tuple[list[Any], bool]:
    """Levels in legend order, and whether the column is a yes/no (0/1) column."""
    present = list(pd.unique(series.to_numpy()))
    if pd.api.types.is_bool_dtype(series) or (
        pd.api.types.is_numeric_dtype(series) and set(present) <= {0, 1}
    ):
        return sorted(present, reverse=True), True  # the treated group first
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in present], False
    return _sorted(present), False


def _mark_event(ax: Axes, frame: pd.DataFrame, time: str, event: Any) -> None:
    series = frame[time]
    if isinstance(event, (tuple, list)):
        if len(event) != 2:
            raise ParameterError(message("evaluate.event_spec", got=repr(event)))
        start, end = (_coerce_time(series, v, "event") for v in event)
        ax.axvspan(start, end, color="#999999", alpha=0.2, linewidth=0, label="事業期間")
    else:
        start = _coerce_time(series, event, "event")
        ax.axvline(start, color="#555555", linestyle="--", linewidth=1.2, label="事業開始")
    ax.annotate(
        "事業開始",
        xy=(start, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=style.note_size(),
        color="#333333",
    )
