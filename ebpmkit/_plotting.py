"""Plumbing shared by :mod:`ebpmkit.charts` and :mod:`ebpmkit.maps`: input checks, axes, notes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ebpmkit import style
from ebpmkit._labels import (
    KIND_JA,
    category_levels,
    check_column,
    column_kind,
    lookup,
)
from ebpmkit.errors import ParameterError
from ebpmkit.messages import message

__all__ = ["add_source", "as_frame", "hue_palette", "new_axes", "require_kind"]

MAX_HUE = len(style.PALETTE)


def as_frame(data: Any) -> pd.DataFrame:
    """Accept a DataFrame, or a Series (its index becomes columns); reject anything else."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        name = data.name if data.name is not None else "value"
        frame = data.rename(name).to_frame()
        return frame.reset_index() if not isinstance(data.index, pd.RangeIndex) else frame
    raise ParameterError(message("param.not_dataframe", name="data", got=type(data).__name__))


def require_kind(
    data: pd.DataFrame,
    column: Any,
    parameter: str,
    kinds: Iterable[str],
    dictionary: Any = None,
) -> str:
    """Check the column exists and is of one of ``kinds``; return its kind."""
    check_column(data, column, parameter)
    kinds = tuple(kinds)
    kind = column_kind(data, column, dictionary)
    if kind not in kinds:
        label, _ = lookup(column, dictionary)
        named = f"'{column}'" if label == str(column) else f"'{column}'({label})"
        hint: str = ""
        if kind == "id":
            hint = message("plot.hint_id")
        elif "quantity" in kinds and kind == "category":
            hint = message("plot.hint_text")
        raise ParameterError(
            message(
                "plot.wrong_kind",
                column=named,
                column_en=f"'{column}'",
                kind=KIND_JA[kind],
                kind_en=kind,
                name=parameter,
                wanted="・".join(KIND_JA[k] for k in kinds),
                wanted_en=" or ".join(kinds),
                hint=hint,
            )
        )
    return kind


def new_axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    """The given Axes, or one on a new figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    elif not isinstance(ax, Axes):
        raise ParameterError(message("plot.ax", got=type(ax).__name__))
    return ax


def add_source(ax: Axes, source: str | None, *, axis_hidden: bool = False) -> None:
    """Put the source note under the axes' x label, right-aligned (once per Axes)."""
    if not source or getattr(ax, "_ebpmkit_source", None) is not None:
        return
    if axis_hidden:
        coords: Any = "axes fraction"
    else:
        coords = ("axes fraction", ax.xaxis.label)
    ax._ebpmkit_source = ax.annotate(
        source,
        xy=(1, 0),
        xycoords=coords,
        xytext=(0, -4),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=style.note_size(),
        color="#555555",
        annotation_clip=False,
    )


def hue_palette(data: pd.DataFrame, hue: Any, levels: list[Any] | None = None) -> dict[Any, Any]:
    """Colours per level: Okabe-Ito for unordered groups, a sequential ramp for ordered ones."""
    series = data[hue]
    levels = category_levels(series) if levels is None else levels
    ordered = (
        isinstance(series.dtype, pd.CategoricalDtype) and series.cat.ordered
    ) or pd.api.types.is_numeric_dtype(series)
    if ordered:
        ramp = mpl.colormaps["viridis"]
        colours = [ramp(t) for t in np.linspace(0.1, 0.85, len(levels))]
        return dict(zip(levels, colours, strict=True))
    if len(levels) > MAX_HUE:
        raise ParameterError(
            message("plot.too_many_hues", column=hue, levels=len(levels), most=MAX_HUE)
        )
    return dict(zip(levels, style.PALETTE[: len(levels)], strict=True))


def finite(values: Any) -> np.ndarray:
    """Finite float values of an array-like."""
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]
