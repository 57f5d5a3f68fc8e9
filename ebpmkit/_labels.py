"""Labels, units, column kinds and Japanese number formatting shared by charts and maps.

Axis labels come from the data dictionary (``label_ja`` and ``unit``); numbers are written the
way Japanese municipal documents write them: ``12,345人``, ``12.3万人``, ``450万円``,
``1.2億円``, and money in yen is shown in 千円, 万円 or 億円 as its magnitude suggests.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker

from ebpmkit.errors import ParameterError, renamed_parameters
from ebpmkit.messages import message
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE

__all__ = [
    "DERIVED",
    "KINDS",
    "SOURCE_NOTE",
    "JapaneseFormatter",
    "axis_label",
    "check_column",
    "column_kind",
    "count_label",
    "display_unit",
    "format_number",
    "format_range",
    "lookup",
    "resolve_dictionary",
]

#: The note every chart and map carries.
SOURCE_NOTE = f"出典: ebpmkit {SYNTHETIC_NOTE}"

#: Column names lessons often create by aggregating (not in the data dictionary): label, unit.
DERIVED: dict[str, tuple[str, str]] = {
    "population": ("人口", "人"),
    "人口": ("人口", "人"),
    "persons": ("人数", "人"),
    "人数": ("人数", "人"),
    "households": ("世帯数", "世帯"),
    "世帯数": ("世帯数", "世帯"),
    "count": ("件数", "件"),
    "size": ("件数", "件"),
    "件数": ("件数", "件"),
}

#: Column kinds used by :func:`ebpmkit.charts.auto`. ``age`` is a quantity measured in years of
#: age; ``area`` is a district or chome code that can be drawn on the map; ``id`` identifies a
#: row and is neither a quantity nor a category.
KINDS = ("time", "age", "quantity", "category", "area", "id")

KIND_JA = {
    "time": "時点(年・年度)",
    "age": "年齢",
    "quantity": "数量",
    "category": "区分(カテゴリ)",
    "area": "地域コード",
    "id": "識別番号(ID)",
}

_TIME_NAMES = {"fiscal_year", "year", "calendar_year", "年度", "年"}
_AREA_NAMES = {"district_code": "district", "chome_code": "chome"}

# Display scales per base unit: (lower bound of magnitude, divisor, shown unit), largest first.
_SCALES: dict[str, list[tuple[float, float, str]]] = {
    "円": [(1e8, 1e8, "億円"), (1e6, 1e4, "万円"), (1e4, 1e3, "千円"), (0, 1.0, "円")],
    "人": [(1e5, 1e4, "万人"), (0, 1.0, "人")],
    "世帯": [(1e5, 1e4, "万世帯"), (0, 1.0, "世帯")],
    "件": [(1e5, 1e4, "万件"), (0, 1.0, "件")],
}
# Units that are a multiple of a base unit.
_MULTIPLES = {"千円": ("円", 1e3), "万円": ("円", 1e4), "億円": ("円", 1e8), "万人": ("人", 1e4)}


# --------------------------------------------------------------------------------------------
# The data dictionary
# --------------------------------------------------------------------------------------------
@functools.cache
def _default_dictionary() -> pd.DataFrame:
    from ebpmkit.synth import DOMAINS
    from ebpmkit.synth.dictionary import dictionary_frame

    return dictionary_frame(DOMAINS)


def resolve_dictionary(dictionary: Any = None) -> pd.DataFrame:
    """The data dictionary to look labels up in: from a Dataset, a DataFrame, or the built-in one.

    Examples
    --------
    >>> "label_ja" in resolve_dictionary().columns
    True
    """
    if dictionary is None:
        return _default_dictionary()
    frame = getattr(dictionary, "dictionary", dictionary)
    if isinstance(frame, pd.DataFrame) and {"column", "label_ja"} <= set(frame.columns):
        return frame
    raise ParameterError(message("plot.dictionary", got=type(dictionary).__name__))


def lookup(column: Any, dictionary: Any = None, *, table: str | None = None) -> tuple[str, str]:
    """Japanese label and unit of a column: ``(label_ja, unit)``; the name and "" when unknown.

    Parameters
    ----------
    column : str
        Column name.
    dictionary : Dataset or DataFrame, optional
        Where to look; the dictionary of every built-in table when omitted.
    table : str, optional
        Prefer this table's entry when a column name appears in several tables.

    Examples
    --------
    >>> lookup("age")
    ('年齢', '歳')
    >>> lookup("my_own_column")
    ('my_own_column', '')
    """
    name = str(column)
    frame = resolve_dictionary(dictionary)
    rows = frame[frame["column"] == name]
    if table is not None and "table" in frame.columns and (rows["table"] == table).any():
        rows = rows[rows["table"] == table]
    if len(rows):
        row = rows.iloc[0]
        unit = row["unit"] if "unit" in frame.columns else ""
        return str(row["label_ja"]), "" if pd.isna(unit) else str(unit)
    if name in DERIVED:
        return DERIVED[name]
    return name, ""


@renamed_parameters(unit="measure_unit")
def axis_label(
    column: Any,
    dictionary: Any = None,
    *,
    measure_unit: str | None = None,
    table: str | None = None,
) -> str:
    """An axis label such as ``年齢(歳)``: the Japanese label and, if any, the unit.

    Parameters
    ----------
    column : str
        Column name.
    dictionary : Dataset or DataFrame, optional
        As for :func:`lookup`.
    measure_unit : str, optional
        Unit to show instead of the dictionary's (for example ``"千円"`` after scaling yen).
    table : str, optional
        As for :func:`lookup`.

    Examples
    --------
    >>> axis_label("age")
    '年齢(歳)'
    >>> axis_label("fiscal_year")
    '年度'
    >>> axis_label("salary_revenue", measure_unit="万円")  # doctest: +SKIP
    '給与収入(万円)'
    """
    label, dict_unit = lookup(column, dictionary, table=table)
    shown = dict_unit if measure_unit is None else measure_unit
    if not shown or shown == label:
        return label
    return f"{label}({shown})"


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------
def check_column(data: pd.DataFrame, column: Any, parameter: str) -> str:
    """Return ``column`` if it is a column of ``data``; otherwise say which columns there are.

    Examples
    --------
    >>> check_column(pd.DataFrame({"age": [1]}), "age", "x")
    'age'
    """
    if column is None:
        raise ParameterError(
            message("param.column_needed", name=parameter, columns=_column_list(data))
        )
    if column not in data.columns:
        raise ParameterError(
            message(
                "param.column_missing", column=column, name=parameter, columns=_column_list(data)
            )
        )
    return column


def _column_list(data: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in data.columns)


def column_kind(data: pd.DataFrame, column: Any, dictionary: Any = None) -> str:
    """The kind of a column: one of :data:`KINDS`.

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2020], "age": [40], "sex": ["女性"], "d": [1.5]})
    >>> [column_kind(frame, c) for c in frame.columns]
    ['time', 'age', 'category', 'quantity']
    """
    series = data[check_column(data, column, "column")]
    name = str(column)
    label, unit = lookup(name, dictionary)
    if name in _AREA_NAMES:
        return "area"
    if pd.api.types.is_datetime64_any_dtype(series) or isinstance(series.dtype, pd.PeriodDtype):
        return "time"
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    yearish = name in _TIME_NAMES or "year" in name.lower() or name.endswith(("年度", "年"))
    if numeric and (yearish or unit in ("年度", "年")):
        return "time"
    if name.endswith("_id") or name == "id" or label.endswith("ID"):
        return "id"
    if numeric:
        return "age" if unit == "歳" or name in ("age", "年齢") else "quantity"
    return "category"


def count_label(data: pd.DataFrame) -> tuple[str, str]:
    """Label and unit of a row count: people, households, or records.

    Examples
    --------
    >>> count_label(pd.DataFrame({"person_id": [1]}))
    ('人数', '人')
    """
    if "person_id" in data.columns:
        return "人数", "人"
    if "household_id" in data.columns:
        return "世帯数", "世帯"
    return "件数", "件"


def category_levels(series: pd.Series) -> list[Any]:
    """Levels of a category column in display order (category order, else sorted)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    values = series.dropna().unique()
    try:
        return sorted(values)
    except TypeError:
        return list(values)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
def display_unit(unit: str, magnitude: float) -> tuple[float, str]:
    """Divisor and unit to show values of about ``magnitude`` in (e.g. yen in 千円).

    Examples
    --------
    >>> display_unit("円", 4_500_000)
    (10000.0, '万円')
    >>> display_unit("人", 1_234)
    (1.0, '人')
    """
    base, factor = _MULTIPLES.get(unit, (unit, 1.0))
    if base not in _SCALES:
        return 1.0, unit
    magnitude = abs(float(magnitude)) * factor if np.isfinite(magnitude) else 0.0
    for low, divisor, shown in _SCALES[base]:
        if magnitude >= low:
            if factor != 1.0 and divisor < factor:  # never show finer than the data's unit
                return 1.0, unit
            return divisor / factor, shown
    return 1.0, unit


def _plain(value: float, decimals: int) -> str:
    text = f"{value:,.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _decimals(value: float) -> int:
    """Decimals for about three significant digits, none at 100 and above."""
    a = abs(value)
    if a >= 100 or a == 0 or a == int(a):
        return 0
    return 1 if a >= 10 else 2


def format_number(value: float, unit: str = "", *, scale: bool = True) -> str:
    """A number written the Japanese way, with its unit.

    Parameters
    ----------
    value : float
        The number, in ``unit``.
    unit : str
        Unit from the data dictionary (``"円"``, ``"人"``, ``"世帯"``, ``"%"``, ``"歳"`` ...).
    scale : bool
        Show large amounts in 千円・万円・億円 or 万人 (default); ``False`` keeps the unit.

    Examples
    --------
    >>> format_number(12345, "人"), format_number(123456, "人")
    ('12,345人', '12.3万人')
    >>> format_number(4_560_000, "円"), format_number(1_234_567_890, "円")
    ('456万円', '12.3億円')
    >>> format_number(45_600, "円"), format_number(0.5, "")
    ('45.6千円', '0.5')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "-"
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ParameterError(message("param.not_number", name="value", got=repr(value))) from None
    divisor, shown = display_unit(unit, value) if scale else (1, unit)
    scaled = value / divisor
    if unit == "%":
        return f"{_plain(scaled, 1)}%"
    return f"{_plain(scaled, _decimals(scaled))}{shown}"


def format_range(low: float, high: float, unit: str = "") -> str:
    """Two numbers written as a range in one display unit, the unit shown once.

    Writing each end with :func:`format_number` can mix units (``455千円〜816万円``), which
    hides how far apart the ends are; here the larger end chooses the unit for both.

    Parameters
    ----------
    low, high : float
        The ends of the range, in ``unit``.
    unit : str
        Unit from the data dictionary, as for :func:`format_number`.

    Examples
    --------
    >>> format_range(455_000, 8_160_000, "円")
    '46〜816万円'
    >>> format_range(1_250_000, 3_500_000, "円")
    '125〜350万円'
    >>> format_range(-12_000, 30_000, "円")
    '-12〜30千円'
    >>> format_range(3, 7, "人")
    '3〜7人'
    """
    for name, value in (("low", low), ("high", high)):
        try:
            float(value)
        except (TypeError, ValueError):
            raise ParameterError(message("param.not_number", name=name, got=repr(value))) from None
    low, high = float(low), float(high)
    divisor, shown = display_unit(unit, max(abs(low), abs(high)))
    ends = [value / divisor for value in (low, high)]
    if unit == "%":
        return f"{_plain(ends[0], 1)}〜{_plain(ends[1], 1)}%"
    # One precision for both ends, that of the larger (about three significant digits).
    decimals = _decimals(max(abs(end) for end in ends))
    return f"{_plain(ends[0], decimals)}〜{_plain(ends[1], decimals)}{shown}"


class JapaneseFormatter(ticker.Formatter):
    """Tick labels divided by ``divisor`` with thousands separators and just enough decimals.

    Examples
    --------
    >>> f = JapaneseFormatter(1e4)
    >>> f.set_locs([0, 25_000, 50_000])
    >>> f(25_000), f(50_000)
    ('2.5', '5')
    """

    def __init__(self, divisor: float = 1.0, *, absolute: bool = False) -> None:
        self.divisor = divisor
        self.absolute = absolute
        self._decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        scaled = np.asarray(list(locs), dtype=float) / self.divisor
        scaled = scaled[np.isfinite(scaled)]
        tol = 1e-9 * max(1.0, float(np.abs(scaled).max(initial=0)))
        self._decimals = 0
        while self._decimals < 4 and not np.allclose(
            scaled, np.round(scaled, self._decimals), rtol=0, atol=tol
        ):
            self._decimals += 1

    def __call__(self, x: float, pos: int | None = None) -> str:
        value = abs(x) if self.absolute else x
        return _plain(value / self.divisor, self._decimals)


def format_axis(
    axis: Any, unit: str, values: Iterable[float] | float, *, absolute: bool = False
) -> str:
    """Set a Japanese tick formatter on a matplotlib axis; return the unit to put in its label.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> format_axis(ax.yaxis, "円", [0, 3_000_000])
    '万円'
    >>> plt.close(fig)
    """
    if unit == "%":
        axis.set_major_formatter(ticker.PercentFormatter(decimals=0))
        return "%"
    vals = np.asarray(values if np.ndim(values) else [values], dtype=float)
    vals = vals[np.isfinite(vals)]
    magnitude = float(np.abs(vals).max()) if len(vals) else 0.0
    divisor, shown = display_unit(unit, magnitude)
    axis.set_major_formatter(JapaneseFormatter(divisor, absolute=absolute))
    return shown
