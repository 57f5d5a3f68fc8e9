"""Input checks shared by the estimators: columns, missing values, 0/1 columns, periods."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ebpmkit._labels import check_column, lookup
from ebpmkit._plotting import as_frame
from ebpmkit.errors import ParameterError
from ebpmkit.evaluate._words import _time_text
from ebpmkit.messages import message


def _prepare(
    data: Any,
    columns: dict[str, str | None],
    *,
    optional: dict[str, str] | None = None,
    **periods: Any,
) -> pd.DataFrame:
    """Check the named columns exist; drop rows with a missing value in any of them.

    Columns in ``optional`` (parameter -> column) are checked and kept, but a missing value
    there is a value (for example "never treated"), not a reason to drop the row.
    """
    frame = as_frame(data)
    used: list[str] = []
    for parameter, column in columns.items():
        if column is None:
            continue
        check_column(frame, column, parameter)
        used.append(column)
    for spec in periods.values():
        if _is_column(frame, spec):
            used.append(spec)
    used = list(dict.fromkeys(used))
    extra = []
    for parameter, column in (optional or {}).items():
        check_column(frame, column, parameter)
        if column not in used:
            extra.append(column)
    keep = frame[used].notna().all(axis=1).to_numpy()
    if keep.all():
        return frame[used + extra].reset_index(drop=True)
    return frame.loc[keep, used + extra].reset_index(drop=True)


def _dropped_note(data: Any, frame: pd.DataFrame) -> tuple[str, ...]:
    dropped = len(data) - len(frame)
    if dropped <= 0:
        return ()
    return (f"欠けている値(欠損値)のある{dropped:,}行は除いて計算しました。",)


def _check_level(level: Any) -> float:
    ok = isinstance(level, (int, float, np.floating)) and not isinstance(level, bool)
    if ok and 0 < level < 1:
        return float(level)
    raise ParameterError(message("evaluate.confidence", got=repr(level)))


def _numeric_y(frame: pd.DataFrame, y: str, parameter: str = "y") -> np.ndarray:
    series = frame[y]
    if not pd.api.types.is_numeric_dtype(series):
        example = series.iloc[0] if len(series) else ""
        raise ParameterError(
            message(
                "evaluate.not_numeric",
                column=y,
                name=parameter,
                dtype=str(series.dtype),
                example=repr(example),
            )
        )
    if len(series) == 0:
        raise ParameterError(message("evaluate.no_values", column=y))
    return series.to_numpy(dtype=float)


def _binary(frame: pd.DataFrame, column: str, parameter: str) -> np.ndarray:
    """A 0/1 or True/False column as a boolean array; anything else is refused."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool)
    values = pd.unique(series.to_numpy())
    if pd.api.types.is_numeric_dtype(series) and set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
        return series.to_numpy(dtype=float) == 1.0
    shown = ", ".join(repr(v) for v in list(values)[:5]) + (" ..." if len(values) > 5 else "")
    raise ParameterError(message("evaluate.not_binary", column=column, name=parameter, shown=shown))


def _is_column(frame: pd.DataFrame, spec: Any) -> bool:
    if isinstance(spec, (tuple, list, dict, set)) or spec is None:
        return False
    try:
        return spec in frame.columns
    except TypeError:
        return False


def _coerce_time(series: pd.Series, value: Any, parameter: str) -> Any:
    if value is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        try:
            if isinstance(value, (bool, int, float, np.number)):
                raise TypeError  # pd.Timestamp(2021) would be nanoseconds after 1970
            return pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ParameterError(
                message("evaluate.not_a_date", name=parameter, got=repr(value))
            ) from None
    if pd.api.types.is_numeric_dtype(series):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ParameterError(
                message(
                    "evaluate.time_not_number",
                    name=parameter,
                    got=repr(value),
                    time=series.name,
                    example=repr(series.iloc[0]),
                )
            )
    return value


def _period_mask(
    frame: pd.DataFrame, time: str, spec: Any, parameter: str
) -> tuple[np.ndarray, str]:
    """Rows in a period given as a 0/1 column, a (start, end) pair or a start."""
    if _is_column(frame, spec):
        mask = _binary(frame, spec, parameter)
        return mask, f"「{lookup(spec)[0]}」が1の時点"
    series = frame[time]
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2 or (spec[0] is None and spec[1] is None):
            raise ParameterError(message("evaluate.period_pair", name=parameter, got=repr(spec)))
        start, end = (_coerce_time(series, v, parameter) for v in spec)
    else:
        start, end = _coerce_time(series, spec, parameter), None
    mask = np.ones(len(series), dtype=bool)
    try:
        if start is not None:
            mask &= (series >= start).to_numpy()
        if end is not None:
            mask &= (series <= end).to_numpy()
    except TypeError:
        raise ParameterError(
            message(
                "evaluate.period_incomparable",
                name=parameter,
                got=repr(spec),
                time=time,
                example=repr(series.iloc[0]),
            )
        ) from None
    if end is None:
        text = f"{_time_text(start)}以降"
    elif start is None:
        text = f"{_time_text(end)}まで"
    else:
        text = f"{_time_text(start)}〜{_time_text(end)}"
    if not mask.any():
        raise ParameterError(
            message(
                "evaluate.period_empty",
                name=parameter,
                text=text,
                text_en=repr(spec),
                time=time,
                low=_time_text(series.min()),
                low_en=repr(series.min()),
                high=_time_text(series.max()),
                high_en=repr(series.max()),
            )
        )
    return mask, text


def _before_default(frame: pd.DataFrame, time: str, period: Any, after: np.ndarray) -> np.ndarray:
    if _is_column(frame, period):
        return ~after
    series = frame[time]
    start = series[after].min()
    return (series < start).to_numpy()


def _two_levels(frame: pd.DataFrame, group: str, groups: Any) -> tuple[Any, Any]:
    series = frame[group]
    present = list(pd.unique(series.to_numpy()))
    if groups is not None:
        if not isinstance(groups, (tuple, list)) or len(groups) != 2:
            raise ParameterError(message("evaluate.groups_pair", got=repr(groups)))
        for value in groups:
            if value not in present:
                shown = ", ".join(repr(v) for v in _sorted(present))
                raise ParameterError(
                    message(
                        "evaluate.group_value_missing", column=group, value=repr(value), shown=shown
                    )
                )
        return groups[0], groups[1]
    if len(present) != 2:
        shown = ", ".join(repr(v) for v in _sorted(present)[:10])
        raise ParameterError(
            message("evaluate.group_levels", column=group, count=len(present), shown=shown)
        )
    if pd.api.types.is_bool_dtype(series) or set(present) <= {0, 1}:
        return (True, False) if pd.api.types.is_bool_dtype(series) else (1, 0)
    ordered = (
        _sorted(present)
        if not isinstance(series.dtype, pd.CategoricalDtype)
        else [c for c in series.cat.categories if c in present]
    )
    return ordered[0], ordered[1]


def _sorted(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)
