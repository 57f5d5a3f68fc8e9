"""Words and numbers of the readings and charts: labels, units, amounts, times."""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from ebpmkit._labels import lookup


def _label_unit(y: str, dictionary: Any, y_unit: str | None) -> tuple[str, str]:
    label, unit = lookup(y, dictionary)
    return label, unit if y_unit is None else y_unit


def _unit_noun(unit: str, dictionary: Any) -> str:
    """``世帯`` for a column labelled 世帯ID; ``単位`` when the label says nothing."""
    label, _ = lookup(unit, dictionary)
    for suffix in ("ID", "番号", "コード"):
        if label.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)]
    return "単位"


def _per(unit: str | None, time: str | None, dictionary: Any) -> str:
    """``1世帯・1か月あたり`` from the unit's and time's labels, as far as they are known."""
    parts = []
    if unit is not None and (noun := _unit_noun(unit, dictionary)) != "単位":
        parts.append(f"1{noun}")
    if time is not None:
        label, _ = lookup(time, dictionary)
        parts.append({"月": "1か月", "年": "1年", "年度": "1年度"}.get(label, "1時点"))
    return "・".join(parts) + "あたり" if parts else ""


def _level_name(label: str, value: Any) -> str:
    if isinstance(value, (bool, np.bool_, int, np.integer)) and value in (0, 1):
        return label if bool(value) else f"{label}以外"
    return f"{label}が「{value}」"


def _legend_label(value: Any, binary: bool) -> str:
    if binary:
        return "はい" if bool(value) else "いいえ"
    return str(value)


def _percent(level: float) -> str:
    text = f"{level * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _amount(value: float, unit: str) -> str:
    """``1,234円``: yen and large values as whole numbers, small ones to three digits."""
    if value is None or not np.isfinite(value):
        return "-"
    a = abs(value)
    if unit in ("円", "人", "世帯", "件") or a >= 100:
        text = f"{value:,.0f}"
    elif a >= 10:
        text = f"{value:,.1f}"
    elif a >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return f"{text}{unit}"


def _time_text(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(value)
        return f"{ts.year}年{ts.month}月" if ts.day == 1 else f"{ts.year}年{ts.month}月{ts.day}日"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _range_text(series: pd.Series) -> str:
    low, high = series.min(), series.max()
    return _time_text(low) if low == high else f"{_time_text(low)}〜{_time_text(high)}"


def _month_tick(x: float, pos: int | None = None) -> str:
    d = mdates.num2date(x)
    return f"{d.year}年{d.month}月"
