"""Chart helpers for lessons: the right chart in one line, with Japanese labels and units.

Every function takes the data first, then keyword-only column names (``x=``, ``y=``, ``hue=``)
and ``ax=``, and returns the matplotlib ``Axes`` so the chart can be styled further. Axis
labels and units come from the data dictionary; numbers are written the Japanese way (人,
世帯, 千円, 万円, 億円, 万人); every chart carries a note saying the data are synthetic.

Shared parameters
-----------------
data : DataFrame
    The table, one row per record (person, household, year ...).
x, y, hue : str
    Column names. ``hue`` splits the chart by a category, one colour per group (at most 8).
ax : matplotlib Axes, optional
    Where to draw; a new figure when omitted.
dictionary : Dataset or DataFrame, optional
    Where labels and units are looked up: ``ds`` from ``ebpmkit.load`` or a data dictionary
    table; the dictionary of every built-in table when omitted. Unknown columns are labelled
    with their own name.
source : str or None
    The note under the chart; ``None`` leaves it out (only for data that are not synthetic).

Examples
--------
>>> import ebpmkit
>>> from ebpmkit import charts
>>> ds = ebpmkit.load("town", scale=0.02, progress=False)  # doctest: +SKIP
>>> charts.pyramid(ds.resident_years, years=[2015, 2024])  # doctest: +SKIP
>>> charts.auto(ds.resident_years, x="fiscal_year", explain=True)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ebpmkit import style
from ebpmkit._labels import (
    KIND_JA,
    SOURCE_NOTE,
    axis_label,
    category_levels,
    check_column,
    column_kind,
    count_label,
    format_axis,
    format_number,
    format_range,
    lookup,
)
from ebpmkit._plotting import (
    add_source,
    as_frame,
    finite,
    hue_palette,
    new_axes,
    require_kind,
)
from ebpmkit.errors import ParameterError, check_choice, check_range, renamed_parameters
from ebpmkit.messages import message

__all__ = [
    "AUTO_CHARTS",
    "RULES",
    "SOURCE_NOTE",
    "Choice",
    "Rule",
    "auto",
    "axis_label",
    "check_rules",
    "choose",
    "column_kind",
    "compare",
    "composition",
    "distribution",
    "format_number",
    "format_range",
    "pyramid",
    "relation",
    "save",
    "trend",
]

_ESTIMATORS = ("sum", "mean")


def _sns() -> Any:
    """seaborn, imported on first use (it pulls in scipy, which makes ``import ebpmkit`` slow)."""
    import seaborn

    return seaborn


_COUNT = "__count__"


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------
def _check_hue(frame: pd.DataFrame, hue: Any, dictionary: Any) -> None:
    if hue is not None:
        require_kind(frame, hue, "hue", ("category", "area", "time", "age"), dictionary)


def _horizontal(levels: list[Any], limit: int = 8) -> bool:
    """Lay groups out as rows when there are many or their names are long."""
    return len(levels) > limit or max((len(str(v)) for v in levels), default=0) > 6


def _year_ticks(axis: Any, years: np.ndarray) -> None:
    axis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=min(len(years), 10)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, pos: f"{v:.0f}"))


def _month_ticks(axis: Any) -> None:
    """Dates read the Japanese way on the axis: 2021年7月."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axis.set_major_locator(locator)
    axis.set_major_formatter(
        ticker.FuncFormatter(
            lambda v, pos: f"{mdates.num2date(v):%Y}年{mdates.num2date(v).month}月"
        )
    )


# The bin rules numpy.histogram knows by name.
_BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")


def _check_bins(bins: Any) -> None:
    """``bins`` of :func:`distribution`: a rule's name, a count >= 1, or increasing edges."""
    if isinstance(bins, str):
        check_choice("bins", bins, _BIN_RULES)
    elif isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        check_range("bins", bins, low=1, kind=(int, np.integer))
    else:
        try:
            edges = np.asarray(bins, dtype=float)
        except (TypeError, ValueError):
            edges = np.zeros(0)
        if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ParameterError(message("charts.bins", got=repr(bins)))


def _aggregate(
    frame: pd.DataFrame, keys: list[Any], y: Any, estimator: str | None, parameter: str = "y"
) -> tuple[pd.DataFrame, str, str]:
    """Rows per key: the count, the given values, or their sum or mean; name and label prefix."""
    if y is None:
        out = frame.groupby(keys, observed=True, sort=True).size().rename(_COUNT).reset_index()
        return out, _COUNT, ""
    repeated = frame.duplicated(keys).any()
    if repeated and estimator is None:
        raise ParameterError(
            message("charts.several_rows", per=axis_label(keys[0]), per_en=keys[0], y=y)
        )
    if estimator is not None:
        check_choice("estimator", estimator, _ESTIMATORS)
    if not repeated or estimator is None:
        return frame[[*keys, y]], y, ""
    grouped = frame.groupby(keys, observed=True, sort=True)[y]
    out = (grouped.sum() if estimator == "sum" else grouped.mean()).reset_index()
    return out, y, "合計" if estimator == "sum" else "平均"


def _value_label(
    frame: pd.DataFrame, y: Any, shown_unit: str | None, dictionary: Any, prefix: str = ""
) -> str:
    if y is None or y == _COUNT:
        label, _ = count_label(frame)
        return f"{label}({shown_unit})" if shown_unit else label
    label, unit = lookup(y, dictionary)
    label = f"{label}の{prefix}" if prefix else label
    shown = unit if shown_unit is None else shown_unit
    return f"{label}({shown})" if shown and shown != label else label


def _unit(frame: pd.DataFrame, y: Any, dictionary: Any) -> str:
    if y is None or y == _COUNT:
        return count_label(frame)[1]
    return lookup(y, dictionary)[1]


def _tick_labels(levels: list[Any], kind: str) -> list[str]:
    return [
        f"{v:.0f}" if kind == "time" and isinstance(v, int | float | np.number) else str(v)
        for v in levels
    ]


def _finish(ax: Axes, source: str | None) -> Axes:
    add_source(ax, source)
    return ax


def _legend_outside(ax: Axes, title: str, handles=None, labels=None, reverse=False) -> None:
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if reverse:
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0))


# --------------------------------------------------------------------------------------------
# Population pyramid
# --------------------------------------------------------------------------------------------
def pyramid(
    data: pd.DataFrame,
    *,
    y: str = "age",
    hue: str = "sex",
    x: str | None = None,
    year: int | None = None,
    years: Sequence[int] | None = None,
    time: str = "fiscal_year",
    bin_width: int = 5,
    top: int = 90,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Population pyramid: people by age class, one sex to each side; two years overlaid.

    Parameters
    ----------
    data : DataFrame
        One row per person (for example ``resident_years``), or counts in column ``x``.
    y : str
        Age column.
    hue : str
        A category with exactly two groups (sex); the first is drawn on the left.
    x : str, optional
        Column of counts when ``data`` is already aggregated.
    year : int, optional
        The year to draw (the latest when neither ``year`` nor ``years`` is given).
    years : two ints, optional
        Two years to compare: the later as bars, the earlier as a black outline, so the
        change in shape is visible.
    time : str
        Year column (used when ``data`` holds several years).
    bin_width, top : int
        Width of the age classes in years, and the age from which everyone is one class.
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [3, 40, 41, 80], "sex": ["男性", "女性", "男性", "女性"]})
    >>> ax = pyramid(frame)
    >>> ax.get_xlabel()
    '人口(人)'
    """
    frame = as_frame(data)
    levels = _pyramid_levels(frame, x=x, y=y, hue=hue, dictionary=dictionary)
    chosen = _pyramid_years(frame, time=time, year=year, years=years)
    n_classes = top // bin_width + 1
    selected = [frame[frame[time] == v] for v in chosen] if chosen else [frame]
    counts = [_age_counts(sub, x, y, hue, levels, bin_width, n_classes) for sub in selected]
    ax = new_axes(ax, figsize=(8, 6))
    colours = [style.PALETTE[0], style.PALETTE[3]]
    handles = _draw_pyramid(ax, counts, chosen, colours, levels)
    _label_pyramid(
        ax, frame, counts[-1], x=x, y=y, bin_width=bin_width, top=top, dictionary=dictionary
    )
    _name_pyramid_sides(ax, levels, colours)
    if chosen:
        span = "と".join(f"{v:.0f}年度" for v in chosen)
        ax.set_title(f"人口ピラミッド({span})")
    if handles:
        ax.legend(handles=handles, loc="upper center", ncols=2, bbox_to_anchor=(0.5, 1.0))
    return _finish(ax, source)


def _pyramid_levels(
    frame: pd.DataFrame, *, x: str | None, y: str, hue: str, dictionary: Any
) -> list[Any]:
    """Check the columns; return the two groups of ``hue`` (left, right)."""
    require_kind(frame, y, "y", ("age", "quantity"), dictionary)
    check_column(frame, hue, "hue")
    if x is not None:
        require_kind(frame, x, "x", ("quantity",), dictionary)
    levels = category_levels(frame[hue])
    if len(levels) != 2:
        raise ParameterError(
            message(
                "charts.pyramid_sides",
                column=hue,
                count=len(levels),
                levels=", ".join(map(str, levels)),
            )
        )
    return levels


def _pyramid_years(
    frame: pd.DataFrame, *, time: str, year: Any, years: Sequence[int] | None
) -> list[Any]:
    """The one or two years to draw, sorted ([] when ``data`` has no time column)."""
    if year is not None and years is not None:
        raise ParameterError(message("charts.year_and_years"))
    if year is not None and np.ndim(year) > 0:
        warnings.warn(message("charts.year_list"), FutureWarning, stacklevel=3)
        year, years = None, list(year)
    if time not in frame.columns:
        if year is not None or years is not None:
            check_column(frame, time, "time")
        return []
    available = sorted(frame[time].dropna().unique())
    wanted = [year] if year is not None else list(years) if years is not None else available[-1:]
    missing = [v for v in wanted if v not in available]
    if missing:
        raise ParameterError(
            message(
                "plot.no_year",
                name="year" if year is not None else "years",
                year=missing[0],
                time=time,
                years=", ".join(f"{v:.0f}" for v in available),
            )
        )
    if not 1 <= len(wanted) <= 2:
        raise ParameterError(message("charts.two_years", got=repr(list(wanted))))
    return sorted(wanted)


def _age_counts(
    sub: pd.DataFrame,
    x: str | None,
    y: str,
    hue: str,
    levels: list[Any],
    bin_width: int,
    n_classes: int,
) -> np.ndarray:
    """People (or the sum of ``x``) per age class, one row per group of ``hue``."""
    cls = np.minimum(sub[y].to_numpy(dtype=float) // bin_width, n_classes - 1)
    weights = sub[x].to_numpy(dtype=float) if x is not None else np.ones(len(sub))
    out = np.zeros((2, n_classes))
    for i, level in enumerate(levels):
        mask = (sub[hue] == level).to_numpy() & np.isfinite(cls)
        out[i] = np.bincount(cls[mask].astype(int), weights[mask], minlength=n_classes)
    return out


def _draw_pyramid(
    ax: Axes, counts: list[np.ndarray], years: list[Any], colours: list[str], levels: list[Any]
) -> list[Any]:
    """Bars for the later year, an outline for the earlier one; return the legend handles."""
    main = counts[-1]
    before = counts[0] if len(counts) == 2 else None
    n_classes = main.shape[1]
    pos = np.arange(n_classes)
    ax.barh(pos, -main[0], height=0.9, color=colours[0], label=str(levels[0]))
    ax.barh(pos, main[1], height=0.9, color=colours[1], label=str(levels[1]))
    handles: list[Any] = []
    if before is not None:
        edges = np.arange(n_classes + 1) - 0.5
        kw = {"orientation": "horizontal", "color": "black", "linewidth": 1.8, "baseline": 0}
        ax.stairs(-before[0], edges, **kw)
        ax.stairs(before[1], edges, **kw)
        handles = [
            Patch(color="#888888", label=f"{years[1]:.0f}年度(棒)"),
            Line2D([], [], color="black", linewidth=1.8, label=f"{years[0]:.0f}年度(線)"),
        ]
    peak = max(main.max(), before.max() if before is not None else 0, 1)
    ax.set_xlim(-peak * 1.12, peak * 1.12)
    ax.set_ylim(-0.6, n_classes - 0.4 + (1.6 if handles else 0.9))
    ax.axvline(0, color="#444444", linewidth=0.8)
    return handles


def _label_pyramid(
    ax: Axes,
    frame: pd.DataFrame,
    main: np.ndarray,
    *,
    x: str | None,
    y: str,
    bin_width: int,
    top: int,
    dictionary: Any,
) -> None:
    """Age classes on the y axis, people (in 人 or 万人) on the x axis."""
    n_classes = main.shape[1]
    names = [f"{i * bin_width}〜{i * bin_width + bin_width - 1}" for i in range(n_classes - 1)]
    ax.set_yticks(np.arange(n_classes), [*names, f"{top}以上"])
    ax.grid(axis="y", visible=False)
    unit = "人" if x is None else _unit(frame, x, dictionary)
    shown = format_axis(ax.xaxis, unit, main, absolute=True)
    ax.set_xlabel(_value_label(frame, x, shown, dictionary) if x is not None else f"人口({shown})")
    ax.set_ylabel(axis_label(y, dictionary))


def _name_pyramid_sides(ax: Axes, levels: list[Any], colours: list[str]) -> None:
    """Write each group's name above its side, in its colour."""
    for side, (level, colour) in enumerate(zip(levels, colours, strict=True)):
        ax.text(
            0.02 if side == 0 else 0.98,
            0.985,
            str(level),
            transform=ax.transAxes,
            ha="left" if side == 0 else "right",
            va="top",
            color=colour,
            fontsize="large",
        )


# --------------------------------------------------------------------------------------------
# Trend over years
# --------------------------------------------------------------------------------------------
@renamed_parameters(x="time")
def trend(
    data: pd.DataFrame,
    *,
    time: str = "fiscal_year",
    y: str | None = None,
    hue: str | None = None,
    estimator: str | None = None,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Line chart of a value over years (or of the number of rows per year).

    Parameters
    ----------
    time : str
        Time column, drawn along the x axis: fiscal years (the default), years or dates.
    y : str, optional
        Quantity column. Without it the rows per year are counted (people, households ...).
    hue : str, optional
        One line per group.
    estimator : {"sum", "mean"}, optional
        Needed when a year has several rows: ``"sum"`` for totals (people, tax revenue),
        ``"mean"`` for averages (shown with a 95% confidence band).
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2020, 2021, 2022], "population": [1200, 1180, 1150]})
    >>> trend(frame, time="fiscal_year", y="population").get_ylabel()
    '人口(人)'
    """
    frame = as_frame(data)
    require_kind(frame, time, "time", ("time",), dictionary)
    if y is not None:
        require_kind(frame, y, "y", ("quantity", "age"), dictionary)
    _check_hue(frame, hue, dictionary)
    keys = [time] + ([hue] if hue is not None else [])
    palette = hue_palette(frame, hue) if hue is not None else None
    ax = new_axes(ax)
    band = y is not None and estimator == "mean" and frame.duplicated(keys).any()
    if band:
        if estimator is not None:
            check_choice("estimator", estimator, _ESTIMATORS)
        plotted, column, prefix = frame, y, "平均"
        values = frame.groupby(keys, observed=True)[y].mean().to_numpy()
    else:
        plotted, column, prefix = _aggregate(frame, keys, y, estimator)
        values = plotted[column].to_numpy()
    _sns().lineplot(
        data=plotted,
        x=time,
        y=column,
        hue=hue,
        palette=palette,
        marker="o",
        errorbar=("se", 1.96) if band else None,
        ax=ax,
    )
    if column_kind(frame, time, dictionary) == "time" and pd.api.types.is_numeric_dtype(
        frame[time]
    ):
        _year_ticks(ax.xaxis, frame[time].unique())
    elif pd.api.types.is_datetime64_any_dtype(frame[time]):
        _month_ticks(ax.xaxis)
    shown = format_axis(ax.yaxis, _unit(frame, y, dictionary), values)
    ax.set_xlabel(axis_label(time, dictionary))
    ax.set_ylabel(_value_label(frame, column, shown, dictionary, prefix))
    if band:
        ax.set_title("平均(帯は95%信頼区間)", fontsize=style.CONTEXTS["projector"]["tick"])
    if hue is not None:
        _legend_outside(ax, axis_label(hue, dictionary))
    return _finish(ax, source)


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------
def composition(
    data: pd.DataFrame,
    *,
    x: str,
    hue: str,
    y: str | None = None,
    normalize: bool = False,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Stacked bars: how a total splits into groups, per year or per category.

    Parameters
    ----------
    x : str
        One bar per value of this column (years, districts, categories).
    hue : str
        The groups stacked in each bar.
    y : str, optional
        Quantity to add up; without it rows are counted.
    normalize : bool
        ``True`` draws 100% bars (shares), to compare the make-up of bars of different size.
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2020, 2020, 2021], "sex": ["男性", "女性", "女性"]})
    >>> composition(frame, x="fiscal_year", hue="sex", normalize=True).get_ylabel()
    '構成比(%)'
    """
    frame = as_frame(data)
    x_kind = require_kind(frame, x, "x", ("time", "category", "area", "age"), dictionary)
    require_kind(frame, hue, "hue", ("category", "area", "age", "time"), dictionary)
    if y is not None:
        require_kind(frame, y, "y", ("quantity",), dictionary)
    levels = category_levels(frame[hue])
    palette = hue_palette(frame, hue, levels)
    if y is None:
        table = frame.groupby([x, hue], observed=True).size().unstack(hue)
    else:
        table = frame.groupby([x, hue], observed=True)[y].sum().unstack(hue)
    bars = category_levels(frame[x])
    table = table.reindex(index=bars, columns=levels).fillna(0).astype(float)
    if normalize:
        table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0).fillna(0) * 100
    horizontal = x_kind != "time" and _horizontal(bars, limit=10)
    ax = new_axes(ax, figsize=(8, max(5, 0.38 * len(bars) + 1.5)) if horizontal else None)
    pos = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    for level in levels:
        values = table[level].to_numpy()
        kw = {"color": palette[level], "label": str(level), "edgecolor": "white", "linewidth": 0.6}
        if horizontal:
            ax.barh(pos, values, left=bottom, height=0.75, **kw)
        else:
            ax.bar(pos, values, bottom=bottom, width=0.75, **kw)
        if normalize and len(bars) <= 12:
            _segment_labels(ax, pos, bottom, values, palette[level], horizontal)
        bottom = bottom + values
    value_axis = ax.xaxis if horizontal else ax.yaxis
    labels = _tick_labels(bars, x_kind)
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(pos, labels, rotation=0 if len(bars) <= 12 else 90)
        ax.grid(axis="x", visible=False)
    if normalize:
        shown = format_axis(value_axis, "%", [100])
        value_label = "構成比(%)"
        (ax.set_xlim if horizontal else ax.set_ylim)(0, 100)
    else:
        shown = format_axis(value_axis, _unit(frame, y, dictionary), bottom)
        value_label = _value_label(frame, y, shown, dictionary)
    cat_label = axis_label(x, dictionary)
    ax.set_xlabel(value_label if horizontal else cat_label)
    ax.set_ylabel(cat_label if horizontal else value_label)
    _legend_outside(ax, axis_label(hue, dictionary), reverse=not horizontal)
    return _finish(ax, source)


def _segment_labels(ax, pos, bottom, values, colour, horizontal) -> None:
    r, g, b = plt.matplotlib.colors.to_rgb(colour)
    ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"
    for p, b0, v in zip(pos, bottom, values, strict=True):
        if v >= 7:
            xy = (b0 + v / 2, p) if horizontal else (p, b0 + v / 2)
            ax.text(*xy, f"{v:.0f}%", ha="center", va="center", color=ink, fontsize="small")


# --------------------------------------------------------------------------------------------
# Comparison of groups
# --------------------------------------------------------------------------------------------
def compare(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Group means with their 95% confidence intervals, to compare groups honestly.

    A dot is the group's mean; the line through it is the 95% confidence interval (mean ±
    1.96 standard errors). Overlapping intervals warn that a difference may be chance.

    Parameters
    ----------
    x : str
        The groups (a category column, such as districts or sex).
    y : str
        Quantity to compare.
    hue : str, optional
        A second split, drawn side by side.
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["男性", "女性"] * 3, "age": [30, 35, 40, 42, 50, 61]})
    >>> compare(frame, x="sex", y="age").get_ylabel()
    '年齢の平均(歳)'
    """
    frame = as_frame(data)
    require_kind(frame, x, "x", ("category", "area", "time"), dictionary)
    require_kind(frame, y, "y", ("quantity", "age"), dictionary)
    _check_hue(frame, hue, dictionary)
    order = category_levels(frame[x])
    horizontal = _horizontal(order, limit=6)
    palette = hue_palette(frame, hue) if hue is not None else None
    ax = new_axes(ax, figsize=(8, max(5, 0.38 * len(order) + 1.5)) if horizontal else None)
    plotted = frame.assign(**{str(x): frame[x].astype(str)})
    _sns().pointplot(
        data=plotted,
        x=y if horizontal else x,
        y=x if horizontal else y,
        hue=hue,
        order=[str(v) for v in order],
        palette=palette,
        color=None if hue is not None else style.PALETTE[0],
        estimator="mean",
        errorbar=("se", 1.96),
        linestyle="none",
        marker="o",
        dodge=0.4 if hue is not None else False,
        capsize=0.15,
        linewidth=2,
        markersize=9,
        orient="h" if horizontal else "v",
        ax=ax,
    )
    means = frame.groupby(x, observed=True)[y].mean().to_numpy()
    value_axis = ax.xaxis if horizontal else ax.yaxis
    shown = format_axis(value_axis, _unit(frame, y, dictionary), means)
    value_label = _value_label(frame, y, shown, dictionary, "平均")
    ax.set_xlabel(value_label if horizontal else axis_label(x, dictionary))
    ax.set_ylabel(axis_label(x, dictionary) if horizontal else value_label)
    ax.grid(axis="y" if horizontal else "x", visible=False)
    ax.set_title("点は平均、線は95%信頼区間", fontsize=style.CONTEXTS["projector"]["tick"])
    if hue is not None:
        _legend_outside(ax, axis_label(hue, dictionary))
    return _finish(ax, source)


# --------------------------------------------------------------------------------------------
# Distribution
# --------------------------------------------------------------------------------------------
def distribution(
    data: pd.DataFrame,
    *,
    x: str,
    hue: str | None = None,
    bins: Any = "auto",
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """How values spread: a histogram for a quantity, bars of counts for a category.

    Parameters
    ----------
    x : str
        The column whose distribution is drawn.
    hue : str, optional
        Groups to overlay; each group is then shown as shares (%) of its own total, so groups
        of different size can be compared.
    bins : int, sequence or str
        Histogram bins (as for ``numpy.histogram``); 5-year classes for ages by default.
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [3, 40, 41, 80, 15, 62]})
    >>> distribution(frame, x="age").get_ylabel()
    '件数(件)'
    """
    frame = as_frame(data)
    kind = require_kind(frame, x, "x", ("quantity", "age", "category", "area", "time"), dictionary)
    _check_hue(frame, hue, dictionary)
    palette = hue_palette(frame, hue) if hue is not None else None
    count_name, count_unit = count_label(frame)
    if kind in ("category", "area", "time"):
        return _count_bars(frame, x, hue, kind, palette, ax, dictionary, source)
    _check_bins(bins)
    ax = new_axes(ax)
    values = finite(frame[x])
    if kind == "age" and isinstance(bins, str) and bins == "auto":
        bins = np.arange(0, max(values.max(initial=0), 1) + 6, 5)
    _sns().histplot(
        data=frame,
        x=x,
        hue=hue,
        bins=bins,
        stat="percent" if hue is not None else "count",
        common_norm=False,
        element="step" if hue is not None else "bars",
        fill=hue is None,
        linewidth=2 if hue is not None else 0.5,
        palette=palette,
        color=style.PALETTE[0] if hue is None else None,
        **({"edgecolor": "white"} if hue is None else {}),
        ax=ax,
    )
    unit = _unit(frame, x, dictionary)
    shown = format_axis(ax.xaxis, unit, values)
    ax.set_xlabel(axis_label(x, dictionary, measure_unit=shown))
    if hue is None:
        counts = [p.get_height() for p in ax.patches]
        y_shown = format_axis(ax.yaxis, count_unit, counts)
        ax.set_ylabel(f"{count_name}({y_shown})")
        if len(values):
            median = float(np.median(values))
            ax.axvline(median, color="black", linestyle="--", linewidth=1.5)
            ax.annotate(
                f"中央値 {format_number(median, unit)}",
                xy=(median, 1),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
                fontsize="small",
            )
    else:
        format_axis(ax.yaxis, "%", [100])
        ax.set_ylabel("割合(%)")
        legend = ax.get_legend()
        if legend is not None:
            legend.set_title(axis_label(hue, dictionary))
            _sns().move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="x", visible=False)
    return _finish(ax, source)


def _count_bars(frame, x, hue, kind, palette, ax, dictionary, source) -> Axes:
    order = category_levels(frame[x])
    horizontal = kind != "time" and _horizontal(order, limit=8)
    ax = new_axes(ax, figsize=(8, max(5, 0.38 * len(order) + 1.5)) if horizontal else None)
    labels = _tick_labels(order, kind)
    shown_as = dict(zip(order, labels, strict=True))
    plotted = frame.assign(**{str(x): frame[x].map(shown_as).astype(str)})
    _sns().countplot(
        data=plotted,
        **({"y": x} if horizontal else {"x": x}),
        hue=hue,
        order=labels,
        palette=palette,
        color=style.PALETTE[0] if hue is None else None,
        ax=ax,
    )
    count_name, count_unit = count_label(frame)
    counts = frame.groupby([x] + ([hue] if hue else []), observed=True).size().to_numpy()
    shown = format_axis(ax.xaxis if horizontal else ax.yaxis, count_unit, counts)
    value_label = f"{count_name}({shown})"
    ax.set_xlabel(value_label if horizontal else axis_label(x, dictionary))
    ax.set_ylabel(axis_label(x, dictionary) if horizontal else value_label)
    ax.grid(axis="y" if horizontal else "x", visible=False)
    if not horizontal and len(order) > 12:
        ax.tick_params(axis="x", labelrotation=90)
    if hue is not None:
        _legend_outside(ax, axis_label(hue, dictionary))
    return _finish(ax, source)


# --------------------------------------------------------------------------------------------
# Relation of two quantities
# --------------------------------------------------------------------------------------------
def relation(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str | None = None,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Scatter plot of two quantities; points are see-through so dense areas show.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, 40, 50], "area_km2": [1.0, 2.0, 1.5]})
    >>> relation(frame, x="age", y="area_km2").get_xlabel()
    '年齢(歳)'
    """
    frame = as_frame(data)
    require_kind(frame, x, "x", ("quantity", "age"), dictionary)
    require_kind(frame, y, "y", ("quantity", "age"), dictionary)
    _check_hue(frame, hue, dictionary)
    palette = hue_palette(frame, hue) if hue is not None else None
    ax = new_axes(ax)
    n = max(len(frame), 1)
    _sns().scatterplot(
        data=frame,
        x=x,
        y=y,
        hue=hue,
        palette=palette,
        color=style.PALETTE[0] if hue is None else None,
        alpha=float(np.clip(300 / n, 0.08, 0.9)),
        s=25 if n > 1000 else 45,
        edgecolor="none",
        ax=ax,
    )
    xs = format_axis(ax.xaxis, _unit(frame, x, dictionary), finite(frame[x]))
    ys = format_axis(ax.yaxis, _unit(frame, y, dictionary), finite(frame[y]))
    ax.set_xlabel(axis_label(x, dictionary, measure_unit=xs))
    ax.set_ylabel(axis_label(y, dictionary, measure_unit=ys))
    if hue is not None:
        _sns().move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        ax.get_legend().set_title(axis_label(hue, dictionary))
    return _finish(ax, source)


# --------------------------------------------------------------------------------------------
# Automatic choice
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One row of :data:`RULES`: column kinds it matches, the chart, and why it fits.

    ``y`` and ``hue`` are a kind, ``None`` (must be absent) or ``"any"``.
    """

    x: str
    y: str | None
    hue: str | None
    chart: str
    reason: str


#: The declared rules of :func:`auto`, checked top to bottom; the first match wins. A column
#: of kind ``age`` also matches ``quantity``, and ``area`` also matches ``category``.
RULES: tuple[Rule, ...] = (
    Rule("age", None, "category", "pyramid",
         "年齢と二つの区分(性別など)の組み合わせなので、人口ピラミッドにしました。"
         "年齢構成の形(子どもの多さ、高齢化の進み具合)が一目で分かります。"),
    Rule("time", None, "any", "trend",
         "年(年度)ごとの件数なので、折れ線グラフにしました。増えているか減っているか、"
         "変化の向きと速さが読み取れます。"),
    Rule("time", "quantity", "any", "trend",
         "年(年度)ごとの数量なので、折れ線グラフにしました。時間の流れに沿った変化が"
         "読み取れます。"),
    Rule("time", "category", None, "composition",
         "年(年度)ごとの区分の内訳なので、100%積み上げ棒グラフにしました。"
         "構成比の移り変わりを比べられます。"),
    Rule("area", None, None, "map",
         "住区・町丁ごとの件数なので、塗り分け地図にしました。"
         "どの地域に多いかを場所と一緒に見られます。"),
    Rule("area", "quantity", None, "map",
         "住区・町丁ごとの数量なので、塗り分け地図にしました。"
         "地域による違いや、隣り合う地域のまとまりが見えます。"),
    Rule("category", "quantity", "any", "compare",
         "区分ごとの数量なので、平均を95%信頼区間つきで比べるグラフにしました。"
         "区間が重なっていれば、差は偶然の範囲かもしれません。"),
    Rule("category", "category", None, "composition",
         "二つの区分の組み合わせなので、100%積み上げ棒グラフにしました。"
         "区分ごとに内訳の割合を比べられます。"),
    Rule("category", None, "any", "distribution",
         "区分ごとの件数なので、棒グラフにしました。棒の長さで多い少ないを比べられます。"),
    Rule("quantity", None, "any", "distribution",
         "一つの数量なので、ヒストグラムで分布を見ます。ばらつきや偏り、"
         "中央値の位置が分かります。"),
    Rule("quantity", "category", None, "distribution_by",
         "数量を区分ごとに分けたので、区分ごとのヒストグラムを重ねました。"
         "各区分の中での割合(%)なので、人数の違う区分も比べられます。"),
    Rule("quantity", "quantity", "any", "relation",
         "二つの数量なので、散布図にしました。一方が大きいと他方も大きいかなど、"
         "関係の有無と形が見えます。"),
)  # fmt: skip

_BROADER = {"age": "quantity", "area": "category"}


@dataclass(frozen=True)
class Choice:
    """The chart :func:`choose` picked: the rule, and the kinds it saw."""

    rule: Rule
    kinds: dict[str, str | None]

    @property
    def chart(self) -> str:
        return self.rule.chart

    @property
    def reason(self) -> str:
        return self.rule.reason

    def __str__(self) -> str:
        return self.reason


def _matches(pattern: str | None, kind: str | None) -> bool:
    if pattern == "any":
        return True
    if pattern is None or kind is None:
        return pattern is None and kind is None
    return kind == pattern or _BROADER.get(kind) == pattern


def choose(
    data: pd.DataFrame,
    *,
    x: str,
    y: str | None = None,
    hue: str | None = None,
    dictionary: Any = None,
) -> Choice:
    """Pick a chart from the kinds of the columns, using :data:`RULES`.

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2020, 2021], "population": [100, 98]})
    >>> choose(frame, x="fiscal_year", y="population").chart
    'trend'
    """
    frame = as_frame(data)
    kinds: dict[str, str | None] = {}
    for parameter, column in (("x", x), ("y", y), ("hue", hue)):
        if column is None:
            kinds[parameter] = None
            continue
        check_column(frame, column, parameter)
        kind = column_kind(frame, column, dictionary)
        if kind == "id":
            label, _ = lookup(column, dictionary)
            raise ParameterError(
                message("charts.id_axis", column=column, label=label, name=parameter)
            )
        kinds[parameter] = kind
    if hue is not None and kinds["hue"] in ("category", "area"):
        hue_kind = "category"
    else:
        hue_kind = kinds["hue"]
    for rule in RULES:
        if (
            _matches(rule.x, kinds["x"])
            and _matches(rule.y, kinds["y"])
            and _matches(rule.hue, hue_kind)
        ):
            if rule.chart == "pyramid" and len(category_levels(frame[hue])) != 2:
                continue
            return Choice(rule, kinds)
    given = {p: k for p, k in kinds.items() if k is not None}
    raise ParameterError(
        message(
            "charts.no_rule",
            kinds=", ".join(f"{p}={KIND_JA[k]}" for p, k in given.items()),
            kinds_en=", ".join(f"{p}={k}" for p, k in given.items()),
        )
    )


def auto(
    data: pd.DataFrame,
    *,
    x: str,
    y: str | None = None,
    hue: str | None = None,
    ax: Axes | None = None,
    explain: bool = False,
    profile: Any = "urban-ward",
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Draw the chart that suits the columns' kinds, and optionally say why in Japanese.

    The kinds are time (年・年度), age, quantity, category and area (住区・町丁コード); the
    chart is chosen by the first matching row of :data:`RULES`. When a year or a group has
    several rows, quantities are averaged and rows are counted.

    Parameters
    ----------
    x, y, hue : str
        Column names; ``y`` and ``hue`` are optional.
    explain : bool
        Print why this chart was chosen.
    profile : str or Dataset
        The municipality whose map is drawn when ``x`` is a district or chome code.
    ax, dictionary, source
        See the module's shared parameters.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["男性", "女性", "女性"]})
    >>> auto(frame, x="sex", explain=True).get_ylabel()
    区分ごとの件数なので、棒グラフにしました。棒の長さで多い少ないを比べられます。
    '件数(件)'
    """
    frame = as_frame(data)
    choice = choose(frame, x=x, y=y, hue=hue, dictionary=dictionary)
    if explain:
        print(choice.reason)
    common = {"ax": ax, "dictionary": dictionary, "source": source, "profile": profile}
    out = AUTO_CHARTS[choice.chart](frame, x, y, hue, **common)
    out._ebpmkit_choice = choice
    return out


# How auto() draws each chart its rules can choose: the roles x, y and hue of auto's columns
# are handed to the chart's own parameters. A chart kind is added with its function, a Rule
# and an entry here; the check below stops the import if a rule names a chart with no entry.
def _auto_pyramid(frame, x, y, hue, *, profile, **common):
    return pyramid(frame, y=x, hue=hue, **common)


def _auto_trend(frame, x, y, hue, *, profile, **common):
    repeated = y is not None and frame.duplicated([x] + ([hue] if hue else [])).any()
    return trend(frame, time=x, y=y, hue=hue, estimator="mean" if repeated else None, **common)


def _auto_composition(frame, x, y, hue, *, profile, **common):
    return composition(frame, x=x, hue=y, normalize=True, **common)


def _auto_map(frame, x, y, hue, *, profile, **common):
    from ebpmkit import maps  # maps imports charts' helpers, so import it when first drawn

    level = "chome" if x == "chome_code" else "district"
    estimator = "mean" if y is not None and frame.duplicated([x]).any() else None
    return maps.choropleth(
        frame, value=y, area=x, level=level, estimator=estimator, profile=profile, **common
    )


def _auto_compare(frame, x, y, hue, *, profile, **common):
    return compare(frame, x=x, y=y, hue=hue, **common)


def _auto_distribution(frame, x, y, hue, *, profile, **common):
    return distribution(frame, x=x, hue=hue, **common)


def _auto_distribution_by(frame, x, y, hue, *, profile, **common):
    return distribution(frame, x=x, hue=y, **common)


def _auto_relation(frame, x, y, hue, *, profile, **common):
    return relation(frame, x=x, y=y, hue=hue, **common)


#: Chart name (as in :data:`RULES`) -> how :func:`auto` draws it.
AUTO_CHARTS: dict[str, Callable[..., Axes]] = {
    "pyramid": _auto_pyramid,
    "trend": _auto_trend,
    "composition": _auto_composition,
    "map": _auto_map,
    "compare": _auto_compare,
    "distribution": _auto_distribution,
    "distribution_by": _auto_distribution_by,
    "relation": _auto_relation,
}


def check_rules(rules: Sequence[Rule], charts: Mapping[str, Callable[..., Axes]]) -> None:
    """Fail if a rule names a chart that ``charts`` cannot draw, or a chart has no rule.

    Examples
    --------
    >>> check_rules(RULES, AUTO_CHARTS)
    >>> sparkline = Rule("time", None, None, "sparkline", "…")
    >>> check_rules([*RULES, sparkline], AUTO_CHARTS)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: charts.RULES names charts that auto() cannot draw: sparkline;...
    """
    named = {rule.chart for rule in rules}
    missing, unused = sorted(named - set(charts)), sorted(set(charts) - named)
    if missing or unused:
        raise RuntimeError(
            f"charts.RULES names charts that auto() cannot draw: {', '.join(missing) or '-'}; "
            f"charts in AUTO_CHARTS that no rule chooses: {', '.join(unused) or '-'}. "
            "Add the chart to AUTO_CHARTS and a Rule to RULES together."
        )


check_rules(RULES, AUTO_CHARTS)


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------
_FORMATS = ("png", "svg", "pdf")


def save(fig: Figure | Axes, path: str | Path, *, dpi: int = 300) -> Path:
    """Save a chart for a report: PNG at print resolution, SVG, or PDF with fonts embedded.

    Parameters
    ----------
    fig : Figure or Axes
        The chart (an Axes returned by a chart function is accepted too).
    path : str or Path
        File name ending in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int
        Resolution of PNG files (300 is print quality).

    Returns
    -------
    Path

    Examples
    --------
    >>> ax = trend(pd.DataFrame({"fiscal_year": [2020, 2021], "population": [100, 98]}),
    ...            time="fiscal_year", y="population")
    >>> save(ax, "/tmp/trend.pdf").name
    'trend.pdf'
    """
    figure = fig.figure if isinstance(fig, Axes) else fig
    if not isinstance(figure, Figure):
        raise ParameterError(message("charts.save_fig", got=type(fig).__name__))
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in _FORMATS:
        raise ParameterError(
            message(
                "charts.save_suffix",
                formats=", ".join("." + f for f in _FORMATS),
                got=repr(path.name),
            )
        )
    if not path.parent.is_dir():
        raise ParameterError(message("charts.save_folder", folder=path.parent))
    rc = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path"}
    with plt.rc_context(rc):
        figure.savefig(
            path,
            format=suffix,
            dpi=dpi,
            bbox_inches="tight",
            metadata={"Creator": "ebpmkit"} if suffix != "svg" else None,
        )
    return path
