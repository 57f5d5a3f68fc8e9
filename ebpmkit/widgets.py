"""The managers' dashboards: judge a policy proposal against the data without writing code.

Each dashboard is one function that returns a ready ipywidgets container, with every control
labelled in Japanese:

- :func:`explorer`: an indicator per district (住区) over the years, a chart and a map that
  update together, the numbers behind them, and an export of the view (PNG, CSV for Excel);
- :func:`furusato_simulator`: the return-gift mix and its costs -> donations received, the net
  revenue after costs, the tax outflow, and the 30% and 50% rules;
- :func:`voucher_simulator`: a premium gift voucher's design -> its cost, the new spending it
  can be expected to cause (the simulation's truth and the published studies' range), the cost
  per yen of new spending, and who would buy;
- :func:`proposal_checker`: what a proposal claims -> which criteria it meets and the questions
  to ask its author;
- :func:`chart_reading`: three misleading charts drawn from the same data, each beside an
  honest one, with what it hides.

The logic is kept apart from the widgets so it can be tested without a browser: every
dashboard has a pure function (:func:`explorer_view`, :func:`furusato_view`,
:func:`voucher_view`, :func:`check_proposal`, :func:`chart_pitfalls`) from values to figures and
tables, and the widget only reads its controls, calls it and shows the result. A value the
function cannot accept (no district chosen, a year outside the data, a purchase cap below the
price of one set) raises a :class:`~ebpmkit.errors.ParameterError`; the dashboard shows the
first, Japanese line of its message in place of the chart, never a traceback.

Figures are :class:`matplotlib.figure.Figure` objects made without pyplot, so a notebook does not
draw them a second time and nothing accumulates in pyplot's figure list. Every chart carries
the note that the data are fictional.

Examples
--------
>>> from ebpmkit import widgets
>>> widgets.explorer()  # doctest: +SKIP
>>> [c.key for c in widgets.CRITERIA][:3]
['question', 'logic_model', 'outcome']
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from matplotlib.ticker import Formatter, MaxNLocator, PercentFormatter

from ebpmkit import charts, furusato, maps, style
from ebpmkit._atomic import write_bytes_atomic
from ebpmkit._labels import SOURCE_NOTE, format_axis, format_number, lookup
from ebpmkit._plotting import add_source
from ebpmkit.errors import EbpmkitError, ParameterError
from ebpmkit.messages import Message, message

__all__ = [
    "COMPARISONS",
    "COMPENSATED_SHARE",
    "CRITERIA",
    "DATA_SOURCES",
    "INDICATORS",
    "PROPOSAL_CHOICES",
    "VOUCHER_EVIDENCE",
    "WORKSHOP_SCALE",
    "Criterion",
    "Evidence",
    "ExplorerView",
    "FurusatoPlan",
    "FurusatoView",
    "Indicator",
    "Pitfall",
    "Proposal",
    "VoucherDesign",
    "VoucherView",
    "WorkshopCase",
    "chart_pitfalls",
    "chart_reading",
    "check_proposal",
    "example_proposals",
    "explorer",
    "explorer_view",
    "export_view",
    "furusato_plan",
    "furusato_simulator",
    "furusato_view",
    "indicator_values",
    "proposal_checker",
    "voucher_design",
    "voucher_simulator",
    "voucher_view",
    "workshop_dataset",
]

_LOG = logging.getLogger(__name__)

#: Share of the profile's population the workshop simulates: small, so Voilà starts fast.
WORKSHOP_SCALE = 0.05

#: Resolution of the dashboards' images on screen (the PNG export uses :data:`_EXPORT_DPI`).
_SCREEN_DPI = 72
_EXPORT_DPI = 150
#: Lines a chart can tell apart by colour (the palette's size) less one for the comparison.
_MAX_DISTRICTS = len(style.PALETTE) - 1

_WIDE = {"description_width": "10em"}
_GIFT = {"description_width": "14em"}


def _control_layout(width: str = "27em") -> widgets.Layout:
    """A new layout for each control (one shared Layout would hide them all together)."""
    return widgets.Layout(width=width)


# --------------------------------------------------------------------------------------------
# Shared plumbing
# --------------------------------------------------------------------------------------------
def workshop_dataset(scale: float = WORKSHOP_SCALE) -> Any:
    """The workshop's dataset: the class municipality at a small scale, loaded once per process.

    Parameters
    ----------
    scale : float
        Share of the profile's population (default :data:`WORKSHOP_SCALE`).

    Returns
    -------
    Dataset

    Examples
    --------
    >>> ds = workshop_dataset()  # doctest: +SKIP
    >>> ds.scale  # doctest: +SKIP
    0.05
    """
    return _cached_dataset(float(scale))


_DATASETS: dict[float, Any] = {}


def _cached_dataset(scale: float) -> Any:
    if scale not in _DATASETS:
        from ebpmkit.dataset import load

        _DATASETS[scale] = load(scale=scale, progress=False)
    return _DATASETS[scale]


def _figure(width: float, height: float) -> Figure:
    """A figure outside pyplot (nothing is drawn twice, nothing is left open)."""
    return Figure(figsize=(width, height), layout="constrained")


def _figure_note(fig: Figure) -> None:
    """The fictional-data note once under a figure of several maps (as maps.small_multiples)."""
    fig.supxlabel(SOURCE_NOTE, x=0.99, ha="right", fontsize=style.note_size(), color="#555555")


class _PercentTicks(Formatter):
    """Percent tick labels with just the decimals their spacing needs (12.5%, never 12%)."""

    decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        values = np.asarray(locs, dtype=float)
        self.decimals = next(
            (d for d in range(4) if np.allclose(values * 10**d, np.round(values * 10**d))), 4
        )

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:.{self.decimals}f}%"


def _percent_ticks(ax: Any) -> None:
    """Percent ticks with as many decimals as their spacing needs (no repeated labels).

    Examples
    --------
    >>> f = _PercentTicks()
    >>> f.set_locs([10.0, 12.5, 15.0])
    >>> f(12.5), f(15.0)
    ('12.5%', '15.0%')
    >>> f.set_locs([10.0, 12.0, 14.0])
    >>> f(12.0)
    '12%'
    """
    ax.yaxis.set_major_formatter(_PercentTicks())


def _png(fig: Figure, dpi: int = _SCREEN_DPI) -> bytes:
    """The figure as PNG bytes; screen images are compressed lightly (quicker to redraw)."""
    buffer = io.BytesIO()
    quick = {"compress_level": 1} if dpi == _SCREEN_DPI else None
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs=quick)
    return buffer.getvalue()


def _image() -> widgets.Image:
    return widgets.Image(format="png", layout={"width": "100%"})


def _draw_into(image: widgets.Image, fig: Figure) -> None:
    """Show a figure in an image widget, never wider than its own pixels (stays sharp)."""
    image.value = _png(fig)
    image.layout.max_width = f"{round(fig.get_figwidth() * _SCREEN_DPI)}px"


def _japanese(exc: BaseException) -> str:
    """The first (Japanese) line of an error's message."""
    text = exc.args[0] if exc.args else ""
    if isinstance(text, Message):
        return text.ja
    return str(text).split("\n", 1)[0]


def _notice(text: str, kind: str = "error") -> str:
    colour = {"error": "#b00020", "info": "#0b5394", "ok": "#1b5e20"}[kind]
    return (
        f'<div class="ebpmkit-message ebpmkit-{kind}" style="color:{colour};'
        f'font-weight:bold;padding:4px 0">{_escape(text)}</div>'
    )


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _numeric_like(values: pd.Series) -> bool:
    """Whether a column holds numbers (or amounts written as text, such as 1,160万円)."""
    if pd.api.types.is_numeric_dtype(values):
        return True
    text = values.dropna().astype(str)
    number = r"^[-+約]?[0-9][0-9,.]*(%|円|人|千円|万円|億円|万人)?(\(.*\))?$"
    return bool(len(text)) and bool(text.str.match(number).all())


def _html_table(frame: pd.DataFrame, caption: str = "") -> str:
    """A plain HTML table (the numbers behind a chart), with the fictional-data note.

    Numbers are right-aligned, text left-aligned; missing values are shown as "-".

    Examples
    --------
    >>> "<td style='text-align:right'>1,200</td>" in _html_table(pd.DataFrame({"人数": [1200]}))
    True
    """
    right = [_numeric_like(frame[c]) for c in frame.columns]
    years = [str(c).endswith(("年度", "年")) for c in frame.columns]

    def cell(tag: str, value: Any, numeric: bool, year: bool = False) -> str:
        if isinstance(value, float) and math.isnan(value):
            shown = "-"
        elif year and isinstance(value, int | np.integer):
            shown = str(value)
        elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
            shown = f"{value:,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")
        else:
            shown = str(value)
        align = "right" if numeric else "left"
        return f"<{tag} style='text-align:{align}'>{_escape(shown)}</{tag}>"

    head = "".join(cell("th", c, r) for c, r in zip(frame.columns, right, strict=True))
    body = "".join(
        "<tr>"
        + "".join(cell("td", v, r, y) for v, r, y in zip(row, right, years, strict=True))
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    style_ = (
        "<style>.ebpmkit-numbers table{border-collapse:collapse;font-size:13px}"
        ".ebpmkit-numbers th,.ebpmkit-numbers td{padding:2px 8px;border-bottom:1px solid #ddd}"
        "</style>"
    )
    return (
        f"{style_}<div class='ebpmkit-numbers'><table><caption style='text-align:left;"
        f"font-weight:bold'>{_escape(caption)}</caption><tr>{head}</tr>{body}</table>"
        f"<div style='font-size:11px;color:#555'>{_escape(SOURCE_NOTE)}</div></div>"
    )


def _guard(status: widgets.HTML, action: Callable[[], None]) -> bool:
    """Run a redraw; show a short Japanese message instead of a traceback when it fails."""
    try:
        action()
    except EbpmkitError as exc:
        status.value = _notice(_japanese(exc))
        return False
    except Exception:  # a dashboard never shows a traceback; the log keeps it for the trainer
        _LOG.exception("dashboard redraw failed")
        status.value = _notice(_japanese(ParameterError(message("widgets.unexpected"))))
        return False
    status.value = ""
    return True


def _observe(controls: Iterable[widgets.Widget], callback: Callable[..., None]) -> None:
    for control in controls:
        control.observe(callback, names="value")


def _fail(key: str, **fields_: Any) -> ParameterError:
    return ParameterError(message(key, **fields_))


def _fiscal_years(values: Iterable[Any]) -> list[int]:
    return sorted(int(v) for v in pd.unique(pd.Series(list(values)).dropna()))


def _yen(value: float) -> str:
    return format_number(value, "円")


def _range_text(values: Sequence[float], unit: str = "円") -> str:
    low, high = min(values), max(values)
    return f"{format_number(low, unit)}〜{format_number(high, unit)}"


# --------------------------------------------------------------------------------------------
# Explorer: indicators per district
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """A district-level indicator: how to compute it from the tables, and how to show it.

    ``compute(ds)`` returns one row per fiscal year and district with a ``numerator`` and a
    ``denominator``; the value is ``numerator / denominator * per``. A count has denominator 1,
    so the whole municipality's value of a rate is the sum of numerators over the sum of
    denominators, never the mean of the districts' rates.
    """

    key: str
    label: str
    unit: str
    kind: str  # "rate", "mean" or "count"
    compute: Callable[[Any], pd.DataFrame] = field(repr=False, compare=False)
    per: float = 1.0
    decimals: int = 0
    description: str = ""


_KEYS = ["fiscal_year", "district_code"]


def _grouped(frame: pd.DataFrame, numerator: pd.Series, denominator: pd.Series) -> pd.DataFrame:
    parts = frame[_KEYS].assign(numerator=numerator.astype(float), denominator=denominator)
    out = parts.groupby(_KEYS, observed=True)[["numerator", "denominator"]].sum().reset_index()
    out["district_code"] = out["district_code"].astype(str)
    out["fiscal_year"] = out["fiscal_year"].astype(int)
    return out


def _people(ds: Any) -> pd.DataFrame:
    return _grouped(ds.resident_years, pd.Series(1.0, index=ds.resident_years.index), 1.0)


def _age_share(low: int, high: int | None = None) -> Callable[[Any], pd.DataFrame]:
    def compute(ds: Any) -> pd.DataFrame:
        ry = ds.resident_years
        age = ry["age"]
        inside = age >= low if high is None else age.between(low, high)
        return _grouped(ry, inside.fillna(False), age.notna().astype(float))

    return compute


def _age_count(low: int) -> Callable[[Any], pd.DataFrame]:
    def compute(ds: Any) -> pd.DataFrame:
        ry = ds.resident_years
        return _grouped(ry, (ry["age"] >= low).fillna(False), 1.0)

    return compute


def _foreign_share(ds: Any) -> pd.DataFrame:
    ry = ds.resident_years
    known = ry["nationality"].isin(["日本", "外国"])
    return _grouped(ry, ry["nationality"].eq("外国").fillna(False), known.astype(float))


def _mean_age(ds: Any) -> pd.DataFrame:
    ry = ds.resident_years
    return _grouped(ry, ry["age"].fillna(0), ry["age"].notna().astype(float))


def _household_sizes(ds: Any) -> pd.DataFrame:
    ry = ds.resident_years
    sizes = ry.groupby(["fiscal_year", "household_id"], observed=True).agg(
        district_code=("district_code", "first"), size=("person_id", "size")
    )
    return sizes.reset_index()


def _households(ds: Any) -> pd.DataFrame:
    h = _household_sizes(ds)
    return _grouped(h, pd.Series(1.0, index=h.index), 1.0)


def _single_share(ds: Any) -> pd.DataFrame:
    h = _household_sizes(ds)
    return _grouped(h, h["size"].eq(1), 1.0)


def _waiting(ds: Any) -> pd.DataFrame:
    cc = ds.childcare_capacity
    return _grouped(cc, cc["waiting"], 1.0)


def _waiting_rate(ds: Any) -> pd.DataFrame:
    waiting = _waiting(ds).drop(columns="denominator")
    children = _age_share(0, 5)(ds).drop(columns="denominator")
    merged = children.rename(columns={"numerator": "denominator"}).merge(waiting, on=_KEYS)
    return merged[[*_KEYS, "numerator", "denominator"]]


def _certified_share(ds: Any) -> pd.DataFrame:
    ltc = ds.ltc
    certified = ltc[ltc["certified"].fillna(False).astype(bool) & (ltc["age"] >= 65)]
    counts = _grouped(certified, pd.Series(1.0, index=certified.index), 1.0)
    elderly = _age_share(65)(ds).drop(columns="denominator")
    merged = elderly.rename(columns={"numerator": "denominator"}).merge(
        counts.drop(columns="denominator"), on=_KEYS, how="left"
    )
    merged["numerator"] = merged["numerator"].fillna(0.0)
    return merged[[*_KEYS, "numerator", "denominator"]]


def _nhi_share(ds: Any) -> pd.DataFrame:
    nhi = _grouped(ds.nhi, pd.Series(1.0, index=ds.nhi.index), 1.0).drop(columns="denominator")
    people = _people(ds).drop(columns="denominator").rename(columns={"numerator": "denominator"})
    return people.merge(nhi, on=_KEYS, how="left").fillna({"numerator": 0.0})[
        [*_KEYS, "numerator", "denominator"]
    ]


def _medical_cost(ds: Any) -> pd.DataFrame:
    nhi = ds.nhi
    return _grouped(nhi, nhi["medical_cost"], 1.0)


def _with_district(ds: Any, table: pd.DataFrame) -> pd.DataFrame:
    """A person-level table with each person's district in the same fiscal year."""
    where = ds.resident_years[["fiscal_year", "person_id", "district_code"]]
    return table.merge(where, on=["fiscal_year", "person_id"], how="inner")


def _income_per_taxpayer(ds: Any) -> pd.DataFrame:
    it = ds.income_tax[["fiscal_year", "person_id", "total_income", "is_taxpayer"]]
    payers = _with_district(ds, it[it["is_taxpayer"].fillna(False).astype(bool)])
    return _grouped(payers, payers["total_income"], 1.0)


def _furusato_loss_per_person(ds: Any) -> pd.DataFrame:
    loss = _with_district(
        ds, ds.furusato_deductions[["fiscal_year", "person_id", "municipal_loss"]]
    )
    totals = _grouped(loss, loss["municipal_loss"], 1.0).drop(columns="denominator")
    people = _people(ds).drop(columns="denominator").rename(columns={"numerator": "denominator"})
    return people.merge(totals, on=_KEYS, how="left").fillna({"numerator": 0.0})[
        [*_KEYS, "numerator", "denominator"]
    ]


def _mean_of(compute: Callable[[Any], pd.DataFrame], count: Callable[[Any], pd.DataFrame]):
    """A mean per person: the sum of ``compute`` over the count of ``count``'s rows."""

    def mean(ds: Any) -> pd.DataFrame:
        total = compute(ds).drop(columns="denominator")
        rows = count(ds).drop(columns="denominator").rename(columns={"numerator": "denominator"})
        return total.merge(rows, on=_KEYS)[[*_KEYS, "numerator", "denominator"]]

    return mean


def _rows(table: str) -> Callable[[Any], pd.DataFrame]:
    def compute(ds: Any) -> pd.DataFrame:
        frame = ds.tables[table]
        return _grouped(frame, pd.Series(1.0, index=frame.index), 1.0)

    return compute


def _taxpayers(ds: Any) -> pd.DataFrame:
    it = ds.income_tax[["fiscal_year", "person_id", "is_taxpayer"]]
    payers = _with_district(ds, it[it["is_taxpayer"].fillna(False).astype(bool)])
    return _grouped(payers, pd.Series(1.0, index=payers.index), 1.0)


def _label(column: str, ds: Any = None) -> str:
    """A column's Japanese label from the data dictionary."""
    return lookup(column, ds)[0]


def _indicators() -> tuple[Indicator, ...]:
    """The curated list of district-level indicators (labels from the data dictionary)."""
    age = _label("age")
    waiting = _label("waiting")
    cost = _label("medical_cost")
    income = _label("total_income")
    loss = _label("municipal_loss")
    return (
        Indicator(
            "population", "人口", "人", "count", _people, description="各年度4月1日の住民の数"
        ),
        Indicator("households", "世帯数", "世帯", "count", _households),
        Indicator("aged65", "65歳以上の人口", "人", "count", _age_count(65)),
        Indicator("aged65_share", "65歳以上の割合", "%", "rate", _age_share(65), 100, 1),
        Indicator("aged75_share", "75歳以上の割合", "%", "rate", _age_share(75), 100, 1),
        Indicator("child_share", "0〜14歳の割合", "%", "rate", _age_share(0, 14), 100, 1),
        Indicator("foreign_share", "外国籍の住民の割合", "%", "rate", _foreign_share, 100, 1),
        Indicator("mean_age", f"{age}の平均", "歳", "mean", _mean_age, 1, 1),
        Indicator("single_share", "単身世帯の割合", "%", "rate", _single_share, 100, 1),
        Indicator("waiting", waiting, "人", "count", _waiting),
        Indicator(
            "waiting_rate", f"0〜5歳100人あたりの{waiting}", "人", "rate", _waiting_rate, 100, 2
        ),
        Indicator("ltc_rate", "65歳以上の要介護認定率", "%", "rate", _certified_share, 100, 1),
        Indicator("nhi_share", "国民健康保険の加入率", "%", "rate", _nhi_share, 100, 1),
        Indicator(
            "medical_cost",
            f"国保加入者1人あたりの{cost}",
            "円",
            "mean",
            _mean_of(_medical_cost, _rows("nhi")),
        ),
        Indicator(
            "income_per_taxpayer",
            f"所得割納税義務者1人あたりの{income}",
            "円",
            "mean",
            _mean_of(_income_per_taxpayer, _taxpayers),
        ),
        Indicator(
            "furusato_loss",
            f"住民1人あたりのふるさと納税による{loss}",
            "円",
            "rate",
            _furusato_loss_per_person,
        ),
    )


#: The indicators the explorer offers, in the order of its menu.
INDICATORS: tuple[Indicator, ...] = _indicators()

#: Ways to compare the chosen districts: key -> Japanese label of the menu.
COMPARISONS: dict[str, str] = {
    "municipality": "自治体全体",
    "district": "別の住区",
    "previous_year": "前の年度",
    "none": "比較しない",
}

_VALUES: dict[int, dict[str, pd.DataFrame]] = {}


def _indicator(key: str) -> Indicator:
    for ind in INDICATORS:
        if ind.key == key:
            return ind
    names = "、".join(i.key for i in INDICATORS)
    raise _fail("widgets.unknown_indicator", got=repr(key), names=names)


def indicator_values(ds: Any, indicator: str) -> pd.DataFrame:
    """One indicator per fiscal year and district: numerator, denominator and value.

    Parameters
    ----------
    ds : Dataset
        The municipality (``ebpmkit.load(...)``).
    indicator : str
        The ``key`` of one of :data:`INDICATORS` (for example ``"aged65_share"``).

    Returns
    -------
    DataFrame
        Columns fiscal_year, district_code, numerator, denominator, value. Computed once per
        dataset and kept while the dataset lives.

    Examples
    --------
    >>> ds = workshop_dataset()  # doctest: +SKIP
    >>> indicator_values(ds, "aged65_share").columns.tolist()  # doctest: +SKIP
    ['fiscal_year', 'district_code', 'numerator', 'denominator', 'value']
    """
    ind = _indicator(indicator)
    key = id(ds)
    if key not in _VALUES:
        _VALUES[key] = {}
        weakref.finalize(ds, _VALUES.pop, key, None)
    cache = _VALUES[key]
    if ind.key not in cache:
        frame = ind.compute(ds)
        den = frame["denominator"].where(frame["denominator"] > 0)
        value = frame["numerator"] if ind.kind == "count" else frame["numerator"] / den * ind.per
        cache[ind.key] = frame.assign(value=value).sort_values(_KEYS)
    return cache[ind.key]


@dataclass
class ExplorerView:
    """What the explorer shows for one set of control values.

    Attributes
    ----------
    figure : Figure
        The chart (left) and the district map (right).
    table : DataFrame
        The chart's numbers: one row per fiscal year, one column per line.
    map_table : DataFrame
        The map's numbers: one row per district.
    data : DataFrame
        Every number behind the view in long form (what the CSV export writes).
    title : str
        What the view shows, in Japanese.
    """

    figure: Figure
    table: pd.DataFrame
    map_table: pd.DataFrame
    data: pd.DataFrame
    title: str
    indicator: Indicator


def _district_names(ds: Any) -> dict[str, str]:
    d = ds.districts
    return dict(zip(d["district_code"].astype(str), d["district_name"].astype(str), strict=True))


def _check_years(years: Any, available: list[int]) -> tuple[int, int]:
    """A year or a (first, last) pair, each a fiscal year the indicator has data for."""
    if years is None:
        return available[0], available[-1]
    pair = [years, years] if np.ndim(years) == 0 else list(years)
    if len(pair) != 2:
        raise _fail("widgets.year_outside", got=repr(years), first=available[0], last=available[-1])
    try:
        start, end = sorted(int(y) for y in pair)
    except (TypeError, ValueError):
        raise _fail(
            "widgets.year_outside", got=repr(years), first=available[0], last=available[-1]
        ) from None
    for year in (start, end):
        if year not in available:
            raise _fail("widgets.year_outside", got=year, first=available[0], last=available[-1])
    return start, end


def _check_districts(ds: Any, districts: Any) -> list[str]:
    if isinstance(districts, str):
        districts = [districts]
    chosen = list(dict.fromkeys(str(d) for d in (districts or [])))
    if not chosen:
        raise _fail("widgets.no_district")
    names = _district_names(ds)
    unknown = [d for d in chosen if d not in names]
    if unknown:
        codes = list(names)
        raise _fail(
            "widgets.unknown_district", got=", ".join(unknown), first=codes[0], last=codes[-1]
        )
    if len(chosen) > _MAX_DISTRICTS:
        raise _fail("widgets.too_many_districts", count=len(chosen), limit=_MAX_DISTRICTS)
    return chosen


def _check_comparison(
    comparison: str,
    chosen: list[str],
    compare_district: Any,
    base_year: Any,
    span: tuple[int, int],
    available: list[int],
) -> tuple[str | None, int | None]:
    """The district or the year a comparison needs, checked against the other choices."""
    if comparison not in COMPARISONS:
        options = "、".join(f"'{k}'({v})" for k, v in COMPARISONS.items())
        raise _fail("widgets.unknown_comparison", got=repr(comparison), options=options)
    if comparison == "district":
        other = None if compare_district is None else str(compare_district)
        if other is None or other in chosen:
            raise _fail("widgets.compare_district")
        return other, None
    if comparison == "previous_year":
        start, end = span
        base = (start if start < end else end - 1) if base_year is None else int(base_year)
        if base not in available or base >= end:
            raise _fail("widgets.base_year", got=base, end=end, first=available[0])
        return None, base
    return None, None


def _comparison_line(
    values: pd.DataFrame, ind: Indicator, municipality: str, count: int
) -> pd.DataFrame:
    """The whole municipality per year: a rate from the totals, a count as a district mean."""
    total = values.groupby("fiscal_year")[["numerator", "denominator"]].sum().reset_index()
    if ind.kind == "count":
        total["value"] = total["numerator"] / count
        name = f"{municipality}(住区の平均)"
    else:
        total["value"] = total["numerator"] / total["denominator"].where(total["denominator"] > 0)
        total["value"] *= ind.per
        name = f"{municipality}全体"
    return total.assign(district_code="", series=name)


def _explorer_series(
    ds: Any,
    values: pd.DataFrame,
    ind: Indicator,
    chosen: list[str],
    other: str | None,
    comparison: str,
    span: tuple[int, int],
) -> pd.DataFrame:
    """The lines of the chart in long form (one row per line and year)."""
    names = _district_names(ds)
    inside = values[values["fiscal_year"].between(*span)]
    codes = chosen + ([other] if other else [])
    parts = [inside[inside["district_code"] == c].assign(series=names[c]) for c in codes]
    if comparison == "municipality":
        parts.append(_comparison_line(inside, ind, ds.municipality, len(names)))
    lines = pd.concat(parts, ignore_index=True)
    order = list(dict.fromkeys(lines["series"]))
    lines["series"] = pd.Categorical(lines["series"], categories=order)
    return lines


def _mini_dictionary(ind: Indicator, change: str | None = None) -> pd.DataFrame:
    """Labels and units of the explorer's own columns, for the chart and map helpers."""
    unit = "ポイント" if ind.unit == "%" else ind.unit
    rows = [
        ("fiscal_year", "年度", ""),
        ("series", "住区", ""),
        (ind.key, ind.label, ind.unit),
        ("change", change or "変化", unit),
    ]
    return pd.DataFrame(
        {
            "table": "widgets",
            "column": [r[0] for r in rows],
            "label_ja": [r[1] for r in rows],
            "unit": [r[2] for r in rows],
        }
    )


_BOUNDARIES: dict[str, dict[str, Any]] = {}


def _highlight(ax: Any, ds: Any, chosen: list[str]) -> None:
    """Outline the chosen districts on the map and write their names."""
    from ebpmkit.synth.geography import boundaries

    key = f"{ds.profile.name}:{ds.profile.digest}"
    if key not in _BOUNDARIES:
        _BOUNDARIES[key] = boundaries(ds.profile, level="district", coords="km")
    names = _district_names(ds)
    for feature in _BOUNDARIES[key]["features"]:
        code = str(feature["properties"].get("code"))
        if code not in chosen:
            continue
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for polygon in polygons:
            ring = np.asarray(polygon[0])
            ax.add_patch(Polygon(ring, closed=True, fill=False, edgecolor="#000000", linewidth=2.4))
        x, y = _centre(polygons)
        ax.text(x, y, names[code], ha="center", va="center", fontsize=10,
                color="#000000", bbox={"facecolor": "white", "alpha": 0.75, "pad": 1.5,
                                       "edgecolor": "none"})  # fmt: skip


def _centre(polygons: list[Any]) -> tuple[float, float]:
    """The mean of the outer ring's vertices of the largest polygon (a label point)."""
    rings = [np.asarray(p[0], dtype=float) for p in polygons]
    ring = max(rings, key=len)
    return float(ring[:, 0].mean()), float(ring[:, 1].mean())


def _explorer_map(
    ds: Any, values: pd.DataFrame, ind: Indicator, chosen: list[str], end: int, base: int | None
) -> tuple[pd.DataFrame, str, str]:
    """The map's numbers (one row per district), the column to colour and the map title."""
    names = _district_names(ds)
    now = values[values["fiscal_year"] == end].set_index("district_code")["value"]
    table = pd.DataFrame({"district_code": list(names), "住区": list(names.values())})
    table[f"{end}年度"] = table["district_code"].map(now)
    if base is None:
        table[ind.key] = table[f"{end}年度"]
        return table, ind.key, f"{end}年度の{ind.label}"
    before = values[values["fiscal_year"] == base].set_index("district_code")["value"]
    table[f"{base}年度"] = table["district_code"].map(before)
    table["change"] = table[f"{end}年度"] - table[f"{base}年度"]
    return table, "change", f"{ind.label}の変化({base}→{end}年度)"


def _explorer_figure(
    ds: Any,
    lines: pd.DataFrame,
    map_table: pd.DataFrame,
    ind: Indicator,
    column: str,
    map_title: str,
    chosen: list[str],
    base: int | None,
) -> Figure:
    fig = _figure(14.0, 5.4)
    ax, map_ax = fig.subplots(1, 2, width_ratios=[1.0, 1.0])
    dictionary = _mini_dictionary(ind, map_title)
    chart = lines.rename(columns={"value": ind.key})
    charts.trend(chart, time="fiscal_year", y=ind.key, hue="series", ax=ax, dictionary=dictionary)
    years = _fiscal_years(chart["fiscal_year"])
    if len(years) == 1:
        ax.set_xlim(years[0] - 1, years[0] + 1)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    if ind.unit == "%":
        _percent_ticks(ax)
    if base is not None:
        ax.axvline(base, color="#555555", linestyle="--", linewidth=1.2)
        ax.annotate("比べる年度", xy=(base, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=10, color="#555555")  # fmt: skip
    ax.set_title(ind.label, loc="left")
    maps.choropleth(
        map_table, value=column, area="district_code", profile=ds, ax=map_ax,
        dictionary=dictionary, title=map_title,
    )  # fmt: skip
    _highlight(map_ax, ds, chosen)
    return fig


def explorer_view(
    ds: Any,
    *,
    indicator: str = "aged65_share",
    districts: Sequence[str] | str = ("D01",),
    years: int | Sequence[int] | None = None,
    comparison: str = "municipality",
    compare_district: str | None = None,
    base_year: int | None = None,
) -> ExplorerView:
    """The explorer's chart, map and tables for one set of choices (no widgets involved).

    Parameters
    ----------
    ds : Dataset
        The municipality.
    indicator : str
        The ``key`` of one of :data:`INDICATORS`.
    districts : sequence of str
        District codes (``"D01"`` ...) drawn as lines and outlined on the map; at most 7.
    years : int or (int, int), optional
        One fiscal year or the first and last of a range (all years when omitted). The map
        shows the last one.
    comparison : {"municipality", "district", "previous_year", "none"}
        A line for the whole municipality, a line for ``compare_district``, or the change
        since ``base_year`` (the map then shows the change).
    compare_district : str, optional
        The district to compare with when ``comparison="district"``.
    base_year : int, optional
        The earlier year when ``comparison="previous_year"`` (default: the first of ``years``,
        or the year before when only one is chosen).

    Returns
    -------
    ExplorerView

    Raises
    ------
    ParameterError
        With a Japanese first line: no district chosen, a year without data, a comparison
        that needs a district or an earlier year it was not given.

    Examples
    --------
    >>> ds = workshop_dataset()  # doctest: +SKIP
    >>> view = explorer_view(ds, indicator="aged65_share", districts=["D01", "D05"])  # doctest: +SKIP
    >>> view.table.columns[0]  # doctest: +SKIP
    '年度'
    """
    ind = _indicator(indicator)
    values = indicator_values(ds, ind.key)
    available = _fiscal_years(values["fiscal_year"])
    span = _check_years(years, available)
    chosen = _check_districts(ds, districts)
    other, base = _check_comparison(
        comparison, chosen, compare_district, base_year, span, available
    )
    shown = (span[0] if base is None else min(base, span[0]), span[1])
    lines = _explorer_series(ds, values, ind, chosen, other, comparison, shown)
    map_table, column, map_title = _explorer_map(ds, values, ind, chosen, span[1], base)
    figure = _explorer_figure(ds, lines, map_table, ind, column, map_title, chosen, base)
    table = _chart_table(lines, ind)
    shown_map = _map_numbers(map_table, ind, column)
    first, last = span
    period = f"{first}年度" if first == last else f"{first}〜{last}年度"
    title = f"{ind.label}({period}、{ds.municipality}、{COMPARISONS[comparison]})"
    data = _long_data(ds, values, lines, ind, shown, chosen)
    return ExplorerView(figure, table, shown_map, data, title, ind)


def _round(series: pd.Series, ind: Indicator) -> pd.Series:
    return series.astype(float).round(ind.decimals)


def _chart_table(lines: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    wide = lines.pivot_table(
        index="fiscal_year", columns="series", values="value", observed=True, sort=True
    )
    wide = wide.apply(lambda s: _round(s, ind))
    wide.columns = [f"{c}({ind.unit})" for c in wide.columns]
    return wide.reset_index().rename(columns={"fiscal_year": "年度"})


def _map_numbers(map_table: pd.DataFrame, ind: Indicator, column: str) -> pd.DataFrame:
    shown = map_table.drop(columns=[ind.key], errors="ignore").rename(
        columns={"district_code": "住区コード", "change": "変化"}
    )
    unit = "ポイント" if ind.unit == "%" and column == "change" else ind.unit
    for name in shown.columns[2:]:
        shown[name] = _round(shown[name], ind)
    return shown.rename(
        columns={c: f"{c}({unit if c == '変化' else ind.unit})" for c in shown.columns[2:]}
    )


def _long_data(
    ds: Any,
    values: pd.DataFrame,
    lines: pd.DataFrame,
    ind: Indicator,
    span: tuple[int, int],
    chosen: list[str],
) -> pd.DataFrame:
    """Every number of the view, long, with Japanese headers (the CSV for a memo).

    All districts of the years shown (the map's numbers among them), then the comparison line;
    a column says which rows are the chosen districts.
    """
    names = _district_names(ds)
    rows = values[values["fiscal_year"].between(*span)].assign(
        series=lambda f: f["district_code"].map(names)
    )
    others = set(lines["district_code"]) - set(chosen) - {""}
    code = rows["district_code"]
    rows["選択"] = np.select([code.isin(chosen), code.isin(others)], ["選んだ住区", "比較"], "")
    municipal = lines[lines["district_code"].eq("")].assign(選択="比較")
    rows = pd.concat([rows, municipal], ignore_index=True)
    counted = ind.kind == "count"
    out = pd.DataFrame(
        {
            "指標": ind.label,
            "年度": rows["fiscal_year"].astype(int),
            "住区コード": rows["district_code"].astype(str),
            "住区": rows["series"].astype(str),
            "選択": rows["選択"],
            "値": _round(rows["value"], ind),
            "単位": ind.unit,
            "分子": rows["numerator"],
            "分母": np.nan if counted else rows["denominator"],
        }
    )
    return out.sort_values(["選択", "年度", "住区コード"], key=_selection_order).reset_index(
        drop=True
    )


def _selection_order(column: pd.Series) -> pd.Series:
    if column.name == "選択":
        return column.map({"選んだ住区": 0, "比較": 1, "": 2})
    return column


def _export_folder() -> Path:
    """Where memos are saved: $EBPMKIT_EXPORT_DIR, else a folder in the user's home."""
    configured = os.environ.get("EBPMKIT_EXPORT_DIR")
    return Path(configured) if configured else Path.home() / "ebpmkit-memo"


def export_view(view: ExplorerView, folder: str | Path | None = None) -> dict[str, Path]:
    """Save the explorer's current view for a memo: the PNG and an Excel-friendly CSV.

    Parameters
    ----------
    view : ExplorerView
        What :func:`explorer_view` returned.
    folder : str or Path, optional
        Where to write (created if needed); ``$EBPMKIT_EXPORT_DIR`` or ``~/ebpmkit-memo`` by
        default.

    Returns
    -------
    dict
        ``{"png": path, "csv": path}``. The CSV is UTF-8 with a byte-order mark (Excel opens it
        with the Japanese intact), has Japanese headers and ends with the fictional-data note.

    Examples
    --------
    >>> view = explorer_view(workshop_dataset(), districts=["D01"])  # doctest: +SKIP
    >>> sorted(export_view(view, "/tmp/memo"))  # doctest: +SKIP
    ['csv', 'png']
    """
    target = Path(folder) if folder is not None else _export_folder()
    stem = f"{view.indicator.key}_{datetime.now():%Y%m%d-%H%M%S-%f}"
    try:
        target.mkdir(parents=True, exist_ok=True)
        png = write_bytes_atomic(target / f"{stem}.png", _png(view.figure, _EXPORT_DPI))
        text = view.data.to_csv(index=False, lineterminator="\r\n") + f"{SOURCE_NOTE}\r\n"
        csv = write_bytes_atomic(target / f"{stem}.csv", text.encode("utf-8-sig"))
    except OSError as exc:
        raise _fail("widgets.export_failed", folder=target, reason=exc.strerror or exc) from None
    return {"png": Path(png), "csv": Path(csv)}


def _download_link(path: Path, mime: str, text: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<a download="{_escape(path.name)}" href="data:{mime};base64,{data}">{_escape(text)}</a>'
    )


def _show(widget: widgets.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


def _explorer_controls(ds: Any, indicator: str, districts: Sequence[str]) -> dict[str, Any]:
    names = _district_names(ds)
    years = _fiscal_years(ds.resident_years["fiscal_year"])
    options = [(f"{name}({code})", code) for code, name in names.items()]
    return {
        "indicator": widgets.Dropdown(
            options=[(i.label, i.key) for i in INDICATORS], value=indicator,
            description="指標", style=_WIDE, layout=_control_layout(),
        ),
        "districts": widgets.SelectMultiple(
            options=options, value=tuple(districts), rows=7,
            description="住区(複数可)", style=_WIDE, layout=_control_layout(),
        ),
        "years": widgets.IntRangeSlider(
            min=years[0], max=years[-1], value=(years[0], years[-1]),
            description="年度(範囲)", style=_WIDE, layout=_control_layout("31em"),
        ),
        "comparison": widgets.Dropdown(
            options=[(label, key) for key, label in COMPARISONS.items()], value="municipality",
            description="比較", style=_WIDE, layout=_control_layout(),
        ),
        "compare_district": widgets.Dropdown(
            options=options, value=options[-1][1],
            description="比べる住区", style=_WIDE, layout=_control_layout(),
        ),
        "base_year": widgets.Dropdown(
            options=years, value=years[0],
            description="比べる年度", style=_WIDE, layout=_control_layout(),
        ),
    }  # fmt: skip


def explorer(
    ds: Any = None,
    *,
    indicator: str = "aged65_share",
    districts: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
    comparison: str = "municipality",
    export_dir: str | Path | None = None,
) -> widgets.VBox:
    """A dashboard to explore an indicator by district: chart, map and numbers together.

    Choose an indicator, districts, a range of fiscal years and a comparison (the whole
    municipality, another district, or an earlier year); the chart and the map redraw together
    and the numbers behind them are shown below. 「メモ用に保存」 writes the view as PNG and CSV
    into ``export_dir`` and offers both as downloads.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.
    indicator : str
        The indicator shown first (a key of :data:`INDICATORS`).
    districts : sequence of str, optional
        The districts chosen first (the first district when omitted).
    years : (int, int), optional
        The range of fiscal years shown first (all years when omitted).
    comparison : str
        The comparison chosen first (a key of :data:`COMPARISONS`).
    export_dir : str or Path, optional
        Where 「メモ用に保存」 writes (see :func:`export_view`).

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> explorer()  # doctest: +SKIP
    """
    ds = workshop_dataset() if ds is None else ds
    first = list(_district_names(ds))[:1]
    c = _explorer_controls(ds, indicator, list(districts or first))
    if years is not None:
        c["years"].value = tuple(years)
    c["comparison"].value = comparison
    status, image = widgets.HTML(), _image()
    numbers, map_numbers, saved = widgets.HTML(), widgets.HTML(), widgets.HTML()
    save = widgets.Button(description="メモ用に保存(PNG・CSV)", layout={"width": "16em"})
    state: dict[str, ExplorerView | None] = {"view": None}

    def redraw(*_: Any) -> None:
        _show(c["compare_district"], c["comparison"].value == "district")
        _show(c["base_year"], c["comparison"].value == "previous_year")

        def action() -> None:
            view = explorer_view(ds, **{k: w.value for k, w in c.items()})
            _draw_into(image, view.figure)
            numbers.value = _html_table(view.table, f"グラフの数値: {view.title}")
            map_numbers.value = _html_table(view.map_table, "地図の数値(住区ごと)")
            state["view"] = view

        ok = _guard(status, action)
        if not ok:
            state["view"] = None
        for part in (image, numbers, map_numbers):
            _show(part, ok)
        save.disabled = not ok
        saved.value = ""

    def export(_: Any) -> None:
        view = state["view"]
        if view is None:
            return

        def action() -> None:
            paths = export_view(view, export_dir)
            saved.value = _saved_note(paths)

        _guard(status, action)

    _observe(c.values(), redraw)
    save.on_click(export)
    redraw()
    maps_box = widgets.Accordion(children=[map_numbers], titles=("地図の数値(住区ごと)",))
    left = widgets.VBox([c["indicator"], c["districts"]])
    right = widgets.VBox([c["years"], c["comparison"], c["compare_district"], c["base_year"],
                          widgets.HBox([save]), saved])  # fmt: skip
    box = widgets.VBox([widgets.HBox([left, right]), status, image, numbers, maps_box])
    box.add_class("ebpmkit-dashboard")
    box.add_class("ebpmkit-explorer")
    return box


def _saved_note(paths: dict[str, Path]) -> str:
    links = " ".join(
        [
            _download_link(paths["png"], "image/png", "PNG をダウンロード"),
            _download_link(paths["csv"], "text/csv", "CSV をダウンロード"),
        ]
    )
    where = _escape(str(paths["png"].parent))
    return (
        f"<div class='ebpmkit-saved'>保存しました(フォルダ: <code>{where}</code>)<br>"
        f"{_escape(paths['png'].name)}、{_escape(paths['csv'].name)}<br>{links}</div>"
    )


# --------------------------------------------------------------------------------------------
# Voucher simulator
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """One estimate of the share of voucher use that is new spending, with its source."""

    label: str
    share: float
    source: str


#: Published estimates of the share of voucher use that is new spending (domain facts).
VOUCHER_EVIDENCE: tuple[Evidence, ...] = (
    Evidence(
        "研究の低い値",
        0.10,
        "Hori, Hsieh, Murata and Shimizutani (2002): 1999年の地域振興券では、券の額に対する"
        "消費の増加(限界消費性向)が最初の月に0.2〜0.3、3〜4か月でみると約0.1。"
        "無償で配られた券で、プレミアム付商品券とは設計が違います",
    ),
    Evidence(
        "調査の高い値",
        0.36,
        "内閣府の効果検証(2017年4月、2015年度の全国の事業): 商品券がきっかけで買ったと"
        "購入者が答えた額は、使用額の約36%。自己申告で、前倒しの買い物も含みます",
    ),
)

#: Age bands of the "who would buy" chart (lower edges; the last band is open).
_AGE_EDGES = (18, 30, 40, 50, 60, 70, 80)


@dataclass(frozen=True)
class VoucherDesign:
    """A premium gift voucher's design (all amounts in yen).

    Attributes
    ----------
    premium_rate : float
        The premium as a share of the price (0.3: pay 10,000 yen, spend 13,000 yen).
    set_price : int
        The price of one set.
    purchase_cap : int
        The most one person may pay (the cap on sets times the set price).
    min_age : int
        Residents of this age or older may buy.
    non_taxable_only : bool
        Only residents who pay no income levy (所得割) may buy.
    budget : float
        The municipality's budget for the premium and the administration.
    admin_share : float
        Administration as a share of the programme's cost (premium + administration).
    """

    premium_rate: float = 0.30
    set_price: int = 10_000
    purchase_cap: int = 30_000
    min_age: int = 18
    non_taxable_only: bool = False
    budget: float = 15_000_000
    admin_share: float = 0.177


def _voucher_year(ds: Any) -> int:
    dates = pd.to_datetime(ds.voucher_purchases["purchase_date"])
    years = np.where(dates.dt.month >= 4, dates.dt.year, dates.dt.year - 1)
    return int(pd.Series(years).mode().iloc[0])


def voucher_design(ds: Any) -> VoucherDesign:
    """The design of the programme the data record, with the budget it actually cost.

    Parameters
    ----------
    ds : Dataset
        The municipality.

    Returns
    -------
    VoucherDesign
        Premium, price, cap and age from the profile; the budget is the premium the buyers
        received divided by (1 - the administration share), rounded up to 100,000 yen.

    Examples
    --------
    >>> voucher_design(workshop_dataset()).premium_rate  # doctest: +SKIP
    0.3
    """
    p = ds.profile
    admin = float(p.number("voucher.admin_cost_share"))
    premium = float(ds.voucher_purchases["premium"].sum())
    price = int(p.number("voucher.set_price"))
    return VoucherDesign(
        premium_rate=float(p.number("voucher.premium_rate")),
        set_price=price,
        purchase_cap=int(p.number("voucher.max_sets")) * price,
        min_age=int(p.number("voucher.min_age")),
        budget=float(math.ceil(premium / (1 - admin) / 100_000) * 100_000),
        admin_share=admin,
    )


def _age_band(age: pd.Series) -> pd.Series:
    labels = [f"{lo}〜{hi - 1}歳" for lo, hi in zip(_AGE_EDGES, _AGE_EDGES[1:], strict=False)]
    labels.append(f"{_AGE_EDGES[-1]}歳以上")
    return pd.cut(age, bins=[*_AGE_EDGES, np.inf], right=False, labels=labels)


_VOUCHER_BASIS: dict[int, dict[str, Any]] = {}


def _voucher_basis(ds: Any) -> dict[str, Any]:
    """What the last programme shows: who was eligible, who bought, how much, how much used."""
    key = id(ds)
    if key in _VOUCHER_BASIS:
        return _VOUCHER_BASIS[key]
    year = _voucher_year(ds)
    ry = ds.resident_years
    people = ry.loc[ry["fiscal_year"] == year, ["person_id", "age"]].dropna(subset=["age"])
    it = ds.income_tax
    payers = it.loc[(it["fiscal_year"] == year) & it["is_taxpayer"].fillna(False), "person_id"]
    purchases = ds.voucher_purchases
    people = people.assign(
        band=_age_band(people["age"]),
        buyer=people["person_id"].isin(purchases["person_id"]),
        non_taxable=~people["person_id"].isin(payers),
    )
    design = voucher_design(ds)
    old = people[people["age"] >= design.min_age]
    face = float(purchases["face_value"].sum())
    basis = {
        "year": year,
        "people": people,
        "rates": _buy_rates(old),
        "paid": purchases["paid"].to_numpy(dtype=float),
        "old": design,
        "redemption": float(ds.voucher_redemptions["redeemed_value"].sum()) / face if face else 0.0,
        "truth": (ds.ground_truth.get("voucher") or {}).get("incremental_share"),
    }
    _VOUCHER_BASIS[key] = basis
    weakref.finalize(ds, _VOUCHER_BASIS.pop, key, None)
    return basis


def _buy_rates(old: pd.DataFrame) -> pd.DataFrame:
    """Share of eligible people who bought, by age band, overall and among the non-taxable."""
    overall = old.groupby("band", observed=False)["buyer"].agg(["mean", "size"])
    low = old[old["non_taxable"]].groupby("band", observed=False)["buyer"].agg(["mean", "size"])
    rates = pd.DataFrame({"all": overall["mean"], "non_taxable": low["mean"]})
    # a band with few non-taxable people borrows the overall rate (stated in the notes)
    rates["non_taxable"] = rates["non_taxable"].where(low["size"] >= 20, rates["all"])
    return rates.fillna(0.0)


def _check_design(design: VoucherDesign) -> None:
    if not 0 < design.premium_rate <= 1:
        raise _fail("widgets.premium_rate", got=f"{design.premium_rate:.0%}")
    if design.set_price <= 0:
        raise _fail("widgets.set_price", got=design.set_price)
    if design.purchase_cap < design.set_price:
        raise _fail(
            "widgets.cap_below_price",
            cap=format_number(design.purchase_cap, "円", scale=False),
            price=format_number(design.set_price, "円", scale=False),
        )
    if not 0 <= design.admin_share < 0.9:
        raise _fail("widgets.admin_share", got=f"{design.admin_share:.0%}")


def _paid_per_buyer(paid: np.ndarray, old: VoucherDesign, design: VoucherDesign) -> float:
    """Mean payment under the new cap: those who bought the old cap buy the new one."""
    cap = design.purchase_cap // design.set_price * design.set_price
    wanted = np.where(paid >= old.purchase_cap, cap, np.minimum(paid, cap))
    sets = np.maximum(np.floor(wanted / design.set_price), 1)
    return float((sets * design.set_price).mean()) if len(sets) else float(design.set_price)


@dataclass
class VoucherView:
    """What the voucher simulator shows for one design.

    Attributes
    ----------
    figure : Figure
        Cost against new spending (left) and who would buy, by age (right).
    summary : DataFrame
        The programme in figures: eligible, buyers, sales, premium, cost, use.
    estimates : DataFrame
        New spending and the cost per yen of it under each estimate, with its source.
    buyers : DataFrame
        By age band: eligible residents, the last programme's purchase rate, expected buyers.
    notes : list of str
        The assumptions, in Japanese.
    values : dict
        The main figures as numbers (yen, people), for tests and other code.
    """

    figure: Figure
    summary: pd.DataFrame
    estimates: pd.DataFrame
    buyers: pd.DataFrame
    notes: list[str]
    values: dict[str, float]


def _voucher_estimates(basis: dict[str, Any]) -> list[Evidence]:
    low, high = VOUCHER_EVIDENCE
    found = [low]
    if basis["truth"] is not None:
        found.append(
            Evidence(
                "この架空の自治体の真値",
                float(basis["truth"]),
                "シミュレーションで決めた本当の値(現実の自治体では分からない値です)",
            )
        )
    return [*found, high]


def _voucher_numbers(ds: Any, design: VoucherDesign) -> dict[str, Any]:
    """The programme's figures for a design, from the last programme's behaviour."""
    basis = _voucher_basis(ds)
    _check_design(design)
    people = basis["people"]
    eligible = people[people["age"] >= design.min_age]
    if design.non_taxable_only:
        eligible = eligible[eligible["non_taxable"]]
    if eligible.empty:
        raise _fail("widgets.no_eligible", age=design.min_age)
    rates = basis["rates"]["non_taxable" if design.non_taxable_only else "all"]
    counts = eligible.groupby("band", observed=False).size()
    expected = counts * rates.reindex(counts.index).fillna(0.0)
    per_buyer = _paid_per_buyer(basis["paid"], basis["old"], design)
    one_set = design.set_price * design.premium_rate / (1 - design.admin_share)
    if design.budget < one_set:
        raise _fail("widgets.budget_too_small", budget=_yen(design.budget), one_set=_yen(one_set))
    demand = float(expected.sum()) * per_buyer * design.premium_rate / (1 - design.admin_share)
    sold = min(1.0, design.budget / demand) if demand > 0 else 0.0
    buyers = expected * sold
    paid = float(buyers.sum()) * per_buyer
    premium = paid * design.premium_rate
    cost = premium / (1 - design.admin_share)
    used = paid * (1 + design.premium_rate) * basis["redemption"]
    return {
        "basis": basis, "counts": counts, "rates": rates, "buyers": buyers,
        "eligible": float(len(eligible)), "buyer_total": float(buyers.sum()),
        "per_buyer": per_buyer, "sold_share": sold, "paid": paid, "premium": premium,
        "admin": cost - premium, "cost": cost, "used": used,
    }  # fmt: skip


def voucher_view(ds: Any, design: VoucherDesign | None = None, **changes: Any) -> VoucherView:
    """The voucher simulator's figures for one design (no widgets involved).

    The last programme in the data gives the behaviour: the purchase rate of each age band
    (among the non-taxable when only they may buy), how much buyers paid, and the share of the
    face value that was used. New spending is the used value times the share of use that is
    new, for each estimate: the published studies' range (:data:`VOUCHER_EVIDENCE`) and the
    simulation's truth.

    Parameters
    ----------
    ds : Dataset
        The municipality.
    design : VoucherDesign, optional
        The design; :func:`voucher_design` (the last programme) when omitted.
    **changes
        Fields of :class:`VoucherDesign` to change, e.g. ``premium_rate=0.2``.

    Returns
    -------
    VoucherView

    Raises
    ------
    ParameterError
        With a Japanese first line: a purchase cap below the price of one set, nobody
        eligible, a budget smaller than one set's premium.

    Examples
    --------
    >>> view = voucher_view(workshop_dataset(), premium_rate=0.2)  # doctest: +SKIP
    >>> view.values["cost"] < view.values["used"]  # doctest: +SKIP
    True
    """
    design = replace(design or voucher_design(ds), **changes)
    n = _voucher_numbers(ds, design)
    evidence = _voucher_estimates(n["basis"])
    new = {e.label: n["used"] * e.share for e in evidence}
    estimates = pd.DataFrame(
        {
            "根拠": [e.label for e in evidence],
            "新たな消費の割合(使用額に対して)": [f"{e.share:.0%}" for e in evidence],
            "新たな消費": [_yen(new[e.label]) for e in evidence],
            "新たな消費1円あたりの費用": [
                f"{n['cost'] / new[e.label]:.2f}円" if new[e.label] > 0 else "-" for e in evidence
            ],
            "出典": [e.source for e in evidence],
        }
    )
    values = {k: float(v) for k, v in n.items() if isinstance(v, int | float)}
    values.update({f"new_{i}": v for i, v in enumerate(new.values())})
    values["new_low"], values["new_high"] = min(new.values()), max(new.values())
    buyers = _buyer_table(n)
    figure = _voucher_figure(n, evidence, new, buyers)
    return VoucherView(figure, _voucher_summary(n, design), estimates, buyers,
                       _voucher_notes(n, design), values)  # fmt: skip


def _buyer_table(n: dict[str, Any]) -> pd.DataFrame:
    counts, buyers = n["counts"], n["buyers"]
    return pd.DataFrame(
        {
            "年齢": [str(b) for b in counts.index],
            "対象者数(人)": counts.to_numpy(),
            "前回の購入率(%)": (n["rates"].reindex(counts.index).fillna(0) * 100)
            .round(1)
            .to_numpy(),
            "購入する見込みの人数(人)": buyers.round(0).to_numpy(),
        }
    )


def _voucher_summary(n: dict[str, Any], design: VoucherDesign) -> pd.DataFrame:
    sets = n["per_buyer"] / design.set_price
    lottery = "予算の範囲で抽選" if n["sold_share"] < 1 else "希望者の全員が購入"
    rows = [
        ("対象者数", format_number(n["eligible"], "人"), "設計の条件にあてはまる住民"),
        ("購入する見込みの人数", format_number(round(n["buyer_total"]), "人"),
         f"{lottery}(希望のうち{n['sold_share']:.0%}を販売)"),
        ("1人あたりの購入額(平均)", f"{_yen(n['per_buyer'])}(約{sets:.1f}セット)",
         "前回の買い方から(前回の上限まで買った人は新しい上限まで買うと仮定)"),
        ("販売額(購入者の支払い)", _yen(n["paid"]), ""),
        ("プレミアム分(自治体の負担)", _yen(n["premium"]), f"販売額の{design.premium_rate:.0%}"),
        ("事務費", _yen(n["admin"]), f"事業費の{design.admin_share:.1%}"),
        ("事業費の合計", _yen(n["cost"]), f"予算 {_yen(design.budget)}"),
        ("商品券の使用額", _yen(n["used"]),
         f"額面の{n['basis']['redemption']:.1%}(前回の使用率)。これは効果ではありません"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["項目", "見込み", "説明"])


def _voucher_notes(n: dict[str, Any], design: VoucherDesign) -> list[str]:
    basis = n["basis"]
    people = basis["people"]
    old = people[people["age"] >= basis["old"].min_age]
    buyers_age = old.loc[old["buyer"], "age"].mean()
    notes = [
        f"購入率は、前回({basis['year']}年度)の年齢別の購入率と同じと仮定しています。"
        "プレミアム率を変えたときに買う人がどれだけ増減するかは、このデータからは分かりません。",
        f"前回の購入者の平均年齢は{buyers_age:.1f}歳で、対象者全体の{old['age'].mean():.1f}歳と"
        "違います。買う人は住民全体と同じではありません。",
        "新たな消費の幅は、研究・調査の値の幅です。設計や時期が違う事業の値なので、"
        "目安として使います。",
    ]
    if design.non_taxable_only:
        notes.append(
            "非課税の人に限るときは、非課税の人の前回の購入率を使います(人数が少ない年齢層は全体の率)。"
        )
    return notes


def _voucher_figure(
    n: dict[str, Any], evidence: list[Evidence], new: dict[str, float], buyers: pd.DataFrame
) -> Figure:
    fig = _figure(14.0, 5.2)
    ax, right = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
    labels = ["事業費の合計", "商品券の使用額", *[f"新たな消費({e.label})" for e in evidence]]
    amounts = [n["cost"], n["used"], *[new[e.label] for e in evidence]]
    colours = [style.PALETTE[3], "#999999", *[style.PALETTE[0]] * len(evidence)]
    pos = np.arange(len(labels))
    ax.barh(pos, amounts, color=colours, height=0.65)
    ax.set_yticks(pos, labels)
    ax.invert_yaxis()
    shown = format_axis(ax.xaxis, "円", amounts)
    ax.set_xlabel(f"金額({shown})")
    for p_, amount in zip(pos, amounts, strict=True):
        ax.annotate(_yen(amount), xy=(amount, p_), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=11)  # fmt: skip
    ax.set_xlim(0, max(amounts) * 1.3)
    ax.grid(axis="y", visible=False)
    ax.set_title("事業費と、新たに生まれる消費の見込み", loc="left")
    add_source(ax, SOURCE_NOTE)
    frame = buyers.melt(
        id_vars="年齢", value_vars=["購入する見込みの人数(人)"], value_name="people"
    ).assign(区分="購入する見込み")
    rest = buyers.assign(people=buyers["対象者数(人)"] - buyers["購入する見込みの人数(人)"])
    frame = pd.concat([frame, rest.assign(区分="購入しない見込み")[["年齢", "people", "区分"]]])
    frame["年齢"] = pd.Categorical(frame["年齢"], categories=list(buyers["年齢"]), ordered=False)
    frame["区分"] = pd.Categorical(frame["区分"], categories=["購入する見込み", "購入しない見込み"])
    charts.composition(frame, x="年齢", hue="区分", y="people", ax=right,
                       dictionary=_voucher_dictionary())  # fmt: skip
    right.set_title("だれが買うか(年齢別の対象者)", loc="left")
    for label in right.get_xticklabels():
        label.set_rotation(35)
        label.set_horizontalalignment("right")
    return fig


def _voucher_dictionary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": "widgets",
            "column": ["people", "年齢", "区分"],
            "label_ja": ["対象者数", "年齢", "区分"],
            "unit": ["人", "", ""],
        }
    )


def _voucher_controls(design: VoucherDesign) -> dict[str, widgets.Widget]:
    budget = round(design.budget / 10_000)
    return {
        "premium_rate": widgets.IntSlider(
            value=round(design.premium_rate * 100), min=5, max=50, step=5,
            description="プレミアム率(%)", style=_WIDE, layout=_control_layout(),
        ),
        "set_price": widgets.IntSlider(
            value=design.set_price, min=1_000, max=20_000, step=1_000,
            description="1セットの価格(円)", style=_WIDE, layout=_control_layout(),
        ),
        "purchase_cap": widgets.IntSlider(
            value=design.purchase_cap, min=5_000, max=100_000, step=5_000,
            description="1人の購入上限(円)", style=_WIDE, layout=_control_layout(),
        ),
        "min_age": widgets.IntSlider(
            value=design.min_age, min=18, max=90, step=1,
            description="対象(歳以上)", style=_WIDE, layout=_control_layout(),
        ),
        "non_taxable_only": widgets.Checkbox(
            value=design.non_taxable_only, description="所得割が非課税の人に限る",
            indent=False, layout=_control_layout(),
        ),
        "budget": widgets.IntSlider(
            value=budget, min=0, max=max(5 * budget, 100), step=10,
            description="予算(万円)", style=_WIDE, layout=_control_layout(),
        ),
        "admin_share": widgets.FloatSlider(
            value=round(design.admin_share * 100, 1), min=0, max=50, step=0.5,
            description="事務費の割合(%)", style=_WIDE, layout=_control_layout(),
        ),
    }  # fmt: skip


def _design_from(controls: dict[str, widgets.Widget]) -> VoucherDesign:
    v = {k: w.value for k, w in controls.items()}
    return VoucherDesign(
        premium_rate=v["premium_rate"] / 100,
        set_price=int(v["set_price"]),
        purchase_cap=int(v["purchase_cap"]),
        min_age=int(v["min_age"]),
        non_taxable_only=bool(v["non_taxable_only"]),
        budget=float(v["budget"]) * 10_000,
        admin_share=float(v["admin_share"]) / 100,
    )


def _bullets(lines: Iterable[str]) -> str:
    items = "".join(f"<li>{_escape(line)}</li>" for line in lines)
    return f"<ul class='ebpmkit-notes' style='margin:4px 0'>{items}</ul>"


def voucher_simulator(ds: Any = None, **changes: Any) -> widgets.VBox:
    """A dashboard to try a premium gift voucher's design before deciding on it.

    Premium rate, price of a set, purchase cap, eligibility (age, non-taxable residents), the
    budget and the administration share -> the cost, the value used, the new spending it can
    be expected to cause (the published range and the simulation's truth), the cost per yen
    of new spending, and who would buy. The controls start at the last programme's design.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.
    **changes
        Fields of :class:`VoucherDesign` to start from instead of the last programme's.

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> voucher_simulator(premium_rate=0.4)  # doctest: +SKIP
    """
    ds = workshop_dataset() if ds is None else ds
    c = _voucher_controls(replace(voucher_design(ds), **changes))
    status, image = widgets.HTML(), _image()
    summary, estimates, buyers, notes = (widgets.HTML() for _ in range(4))

    def redraw(*_: Any) -> None:
        def action() -> None:
            view = voucher_view(ds, _design_from(c))
            _draw_into(image, view.figure)
            summary.value = _html_table(view.summary, "事業の見込み")
            estimates.value = _html_table(view.estimates, "新たに生まれる消費の見込み(根拠ごと)")
            buyers.value = _html_table(view.buyers, "だれが買うか(年齢別)")
            notes.value = _bullets(view.notes)

        ok = _guard(status, action)
        for part in (image, summary, estimates, buyers, notes):
            _show(part, ok)

    _observe(c.values(), redraw)
    redraw()
    names = list(c)
    left = widgets.VBox([c[k] for k in names[:4]])
    right = widgets.VBox([c[k] for k in names[4:]])
    more = widgets.Accordion(children=[buyers], titles=("年齢別の数値",))
    box = widgets.VBox(
        [widgets.HBox([left, right]), status, image, summary, estimates, notes, more]
    )
    box.add_class("ebpmkit-dashboard")
    box.add_class("ebpmkit-voucher")
    return box


# --------------------------------------------------------------------------------------------
# Proposal checker
# --------------------------------------------------------------------------------------------
#: Menu options of the checker's choices: field -> {value: Japanese label}.
PROPOSAL_CHOICES: dict[str, dict[str, str]] = {
    "outcome_kind": {
        "none": "書かれていない",
        "change": "住民や地域に起きる変化",
        "output": "事業の量(実施回数・配った数・使われた額)",
    },
    "data_measure": {
        "none": "データを見ていない",
        "rate": "率(対象の人口などで割った値)で比べている",
        "count": "人数・件数・金額(割らない値)で比べている",
        "no_groups": "地域や集団は比べていない",
    },
    "comparison": {
        "none": "比べる相手がない",
        "before_after": "同じ対象の事業の前と後",
        "similar_group": "事業を受けない似た地域・世帯(差の差など)",
        "lottery": "くじ引きで分けた相手",
        "other_average": "全国や他自治体の平均",
    },
    "effect_basis": {
        "none": "効果は示されていない",
        "difference": "事業がなかった場合との差",
        "total": "実績の総額・総数(使われた額、参加者数など)",
    },
    "uncertainty": {
        "none": "幅は示されていない",
        "interval": "幅(信頼区間など)がある",
        "studies": "複数の研究・調査の幅がある",
    },
}

#: Where the data a proposal used came from (several may apply).
DATA_SOURCES: tuple[str, ...] = (
    "庁内の業務データ",
    "公表された統計",
    "他の自治体の事例",
    "アンケート",
)


@dataclass
class Proposal:
    """What a proposal claims, as a manager reads it off the page (no judgement yet).

    The choice fields take the keys of :data:`PROPOSAL_CHOICES`; ``data_sources`` takes
    entries of :data:`DATA_SOURCES`; ``cost`` is in units of 10,000 yen (万円), 0 when the
    proposal does not say.
    """

    title: str = ""
    department: str = ""
    question: str = ""
    target: str = ""
    indicator: str = ""
    goal: str = ""
    inputs: str = ""
    activity: str = ""
    output: str = ""
    outcome: str = ""
    outcome_kind: str = "none"
    data_measure: str = "none"
    data_years: int = 0
    data_sources: tuple[str, ...] = ()
    comparison: str = "none"
    effect: str = ""
    effect_basis: str = "none"
    uncertainty: str = "none"
    cost: float = 0.0
    net_of_losses: bool = False


@dataclass(frozen=True)
class Criterion:
    """One criterion for judging a proposal: what is checked, what to ask, and its source."""

    key: str
    label: str
    requirement: str
    question: str
    source: str
    met: Callable[[Proposal], bool] = field(repr=False, compare=False)


_RUBRIC = "研修教材 08 総合演習「判断基準(ルーブリック)」の"


def _filled(*texts: str) -> bool:
    return all(str(t).strip() for t in texts)


#: The checklist, as data. Each source is a lesson of this curriculum or a fact from its
#: reference notes; where the government's own guidance would be the source, it is not cited
#: because the curriculum's references do not hold it yet (see docs/workshop-run-sheet.md).
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "question", "問い", "対象・成果の指標・目標が書かれている",
        "だれの、何が、いつまでに、どれだけ変われば成功ですか。",
        _RUBRIC + "「問い」", lambda p: _filled(p.target, p.indicator, p.goal),
    ),
    Criterion(
        "logic_model", "ロジックモデル", "投入 → 活動 → 産出 → 成果 がすべて書かれている",
        "事業ができたとして、住民の何が変わりますか。その間に何が起きる必要がありますか。",
        _RUBRIC + "「ロジックモデル」、レッスン 01",
        lambda p: _filled(p.inputs, p.activity, p.output, p.outcome),
    ),
    Criterion(
        "outcome", "成果と産出の区別", "成果の欄が、事業の量ではなく住民や地域に起きる変化",
        "成果の欄の数字は、事業をすれば必ず増える数(産出)ではありませんか。住民にとって何が変わりますか。",
        _RUBRIC + "「ロジックモデル」(産出と成果が混ざっている)",
        lambda p: p.outcome_kind == "change",
    ),
    Criterion(
        "own_data", "自分の自治体のデータ", "庁内のデータか公表された統計で、問題の大きさを確かめている",
        "この自治体のデータでは、問題はどのくらいの大きさですか。",
        _RUBRIC + "「使った根拠とそのレベル」(他の自治体の事例だけ)",
        lambda p: bool({"庁内の業務データ", "公表された統計"} & set(p.data_sources)),
    ),
    Criterion(
        "rate", "率で比べる", "地域や集団を、人数ではなく対象の人口などで割った率で比べている",
        "その数字は何で割った値ですか。人口が多い地域だから多いだけではありませんか。",
        _RUBRIC + "「使った根拠とそのレベル」、レッスン 03・04",
        lambda p: p.data_measure in ("rate", "no_groups"),
    ),
    Criterion(
        "trend", "推移を見る", "一つの年度だけでなく、3年度以上の推移を見ている",
        "その差は毎年続いていますか。たまたまその年度だけの値ではありませんか。",
        _RUBRIC + "「使った根拠とそのレベル」(一時点だけ)",
        lambda p: p.data_years >= 3,
    ),
    Criterion(
        "comparison", "比べる相手", "事業を受けない似た相手(またはくじ引きで分けた相手)と比べる",
        "事業がなかったら、その指標はどうなっていたと考えますか。比べる相手はどこですか。",
        _RUBRIC + "「評価デザインと前提」、レッスン 07",
        lambda p: p.comparison in ("similar_group", "lottery"),
    ),
    Criterion(
        "counterfactual", "効果の測り方", "効果を「事業がなかった場合」との差で示している",
        "その金額や人数には、事業がなくても起きていた分が含まれていませんか。",
        "レッスン 07(使われた額は効果ではない)、内閣府の効果検証(2017年4月)",
        lambda p: p.effect_basis == "difference",
    ),
    Criterion(
        "uncertainty", "不確かさ", "効果の大きさに幅(不確かさ)が示されている",
        "効果はどのくらいの幅で考えられますか。いちばん小さい場合でも費用に見合いますか。",
        "レッスン 03(不確かさの省略)、レッスン 06(仮定と幅を示した見込み)",
        lambda p: p.effect_basis != "none" and p.uncertainty != "none",
    ),
    Criterion(
        "cost", "費用", "事業の費用(人件費・事務費を含む)が書かれている",
        "総費用はいくらですか。事務費や職員の手間も含めていますか。",
        "レッスン 07(新たな消費1円あたりの費用)",
        lambda p: p.cost > 0,
    ),
    Criterion(
        "net", "正味で考える", "費用と、失うもの(税の流出、置き換わった消費など)を差し引いている",
        "増える分から、費用と失う分を差し引くと、いくら残りますか。",
        "レッスン 06(ふるさと納税による減収)、レッスン 07(置き換わった消費)",
        lambda p: p.net_of_losses,
    ),
)  # fmt: skip


def _choice(name: str, value: str) -> str:
    options = PROPOSAL_CHOICES[name]
    if value not in options:
        shown = "、".join(f"'{k}'" for k in options)
        raise _fail("widgets.proposal_choice", name=name, got=repr(value), options=shown)
    return value


def check_proposal(proposal: Proposal, criteria: Sequence[Criterion] = CRITERIA) -> pd.DataFrame:
    """Judge a proposal against the checklist: which criteria it meets, what to ask.

    Parameters
    ----------
    proposal : Proposal
        What the proposal claims.
    criteria : sequence of Criterion
        The checklist (:data:`CRITERIA` by default).

    Returns
    -------
    DataFrame
        One row per criterion: key, 観点, 確かめること, 判定 (満たしている / 確認が必要),
        met (bool), 作成者に聞く質問 (empty when met), 出典.

    Examples
    --------
    >>> result = check_proposal(Proposal(target="子育て世帯", indicator="待機児童数", goal="半減"))
    >>> result.set_index("key").loc["question", "判定"]
    '満たしている'
    >>> result.set_index("key").loc["cost", "作成者に聞く質問"]
    '総費用はいくらですか。事務費や職員の手間も含めていますか。'
    """
    for name in PROPOSAL_CHOICES:
        _choice(name, getattr(proposal, name))
    met = [bool(c.met(proposal)) for c in criteria]
    return pd.DataFrame(
        {
            "key": [c.key for c in criteria],
            "観点": [c.label for c in criteria],
            "確かめること": [c.requirement for c in criteria],
            "判定": ["満たしている" if m else "確認が必要" for m in met],
            "met": met,
            "作成者に聞く質問": [
                "" if m else c.question for c, m in zip(criteria, met, strict=True)
            ],
            "出典": [c.source for c in criteria],
        }
    )


@dataclass
class WorkshopCase:
    """A fictional proposal of the workshop, with the flaws a manager should catch.

    Attributes
    ----------
    key, department, title : str
        "A", "B" or "C"; the (fictional) department; the proposal's title.
    text : str
        The proposal as its author wrote it (Japanese; its numbers come from the data).
    proposal : Proposal
        What it claims, filled in as a manager would fill in the checker.
    flaws : tuple of str
        Keys of :data:`CRITERIA` the proposal misses by design.
    dashboard : str
        The dashboard that shows the flaw ("explorer", "furusato" or "voucher").
    catch : str
        What the data say instead (Japanese; for the debrief), computed from the data.
    start : dict
        Keyword arguments that open the dashboard where the proposal stands.
    """

    key: str
    department: str
    title: str
    text: str
    proposal: Proposal
    flaws: tuple[str, ...]
    dashboard: str
    catch: str
    start: dict[str, Any] = field(default_factory=dict)


def _case_elderly(ds: Any) -> WorkshopCase:
    """A: a place for the elderly where their number is largest (counts, one year)."""
    names = _district_names(ds)
    counts = indicator_values(ds, "aged65_share")
    year = int(counts["fiscal_year"].max())
    first = int(counts["fiscal_year"].min())
    now = counts[counts["fiscal_year"] == year].set_index("district_code")
    then = counts[counts["fiscal_year"] == first].set_index("district_code")
    by_count, by_share = now["numerator"].idxmax(), now["value"].idxmax()
    rise = (now["value"] - then["value"]).idxmax()
    place = names[by_count]
    text = (
        f"{place}は、{year}年度に65歳以上の住民が{int(now.loc[by_count, 'numerator']):,}人と、"
        f"{ds.words.suffix}内でいちばん多い住区です。{place}に高齢者の通いの場を新しく設けて、閉じこもりがちな"
        "高齢者を減らします。参加者の外出の頻度を、通いの場のない似た住区と比べて確かめます。"
    )
    if by_share != by_count:
        catch = (
            f"65歳以上の割合で比べると、いちばん高いのは{names[by_share]}"
            f"({now.loc[by_share, 'value']:.1f}%)で、{place}は{now.loc[by_count, 'value']:.1f}%です。"
        )
    else:
        catch = (
            f"{year}年度は、割合で比べても{place}がいちばん高い住区です"
            f"({now.loc[by_count, 'value']:.1f}%)。それでも、人数だけの根拠では、住民の多い住区を選んだだけかもしれません。"
        )
    catch += (
        f"{first}年度からの推移を見ると、割合がいちばん大きく上がったのは{names[rise]}"
        f"({then.loc[rise, 'value']:.1f}% → {now.loc[rise, 'value']:.1f}%)です。"
    )
    proposal = Proposal(
        title=f"{place}に高齢者の通いの場を新設する", department="高齢福祉課",
        question=f"{place}で、閉じこもりがちな高齢者を減らしたい",
        target=f"{place}の65歳以上の住民", indicator="週1回以上外出する65歳以上の割合",
        goal="3年で5ポイント上げる", inputs="運営費の補助、会場、職員1人",
        activity="通いの場の開設と運営", output="通いの場の開催回数・参加者数",
        outcome="外出する高齢者が増え、閉じこもりが減る", outcome_kind="change",
        data_measure="count", data_years=1, data_sources=("庁内の業務データ",),
        comparison="similar_group", effect="外出する割合が5ポイント上がる(他自治体の例)",
        effect_basis="difference", uncertainty="studies", cost=1_200, net_of_losses=True,
    )  # fmt: skip
    start = {"indicator": "aged65", "districts": [by_count], "years": (year, year)}
    return WorkshopCase("A", "高齢福祉課", proposal.title, text, proposal,
                        ("rate", "trend"), "explorer", catch, start)  # fmt: skip


def _case_furusato(ds: Any) -> WorkshopCase:
    """B: richer return gifts to raise donations (gross receipts, no costs, no outflow)."""
    donations = ds.furusato_donations
    year = int(donations["fiscal_year"].max())
    received = float(donations.loc[donations["fiscal_year"] == year, "amount"].sum())
    loss = float(
        ds.furusato_deductions.loc[
            ds.furusato_deductions["fiscal_year"] == year, "municipal_loss"
        ].sum()
    )
    ratio = _cost_ratio(ds, year)
    k = ds.words.suffix  # 区・市・町・村: the texts name the class's kind of municipality
    text = (
        f"{year}年度のふるさと納税の寄附の受入れは{_yen(received)}でした。体験型の返礼品を加えて、"
        f"寄附を1.5倍の{_yen(received * 1.5)}に増やし、{k}の財源を増やします。"
    )
    catch = (
        f"寄附が1.5倍になっても、返礼品・送料・手数料・事務費(寄附の約{ratio:.0%})を差し引くと、"
        f"残るのは約{_yen(received * 1.5 * (1 - ratio))}です。一方、{k}の住民がほかの自治体に寄附した"
        f"ことによる{year}年度の{k}の減収は{_yen(loss)}で、受入れの約{loss / received:.0f}倍です。"
        "1.5倍という見込みにも根拠と幅が示されていません。"
    )
    proposal = Proposal(
        title="体験型の返礼品を加えて、ふるさと納税の寄附を増やす", department="産業振興課",
        question=f"{k}の財源を増やしたい", target=f"{k}外の寄附者", indicator="寄附の受入額",
        goal="1.5倍にする", inputs="返礼品の開発費、事業者との調整",
        activity="体験型の返礼品の追加", output="返礼品の数",
        outcome=f"寄附の受入れが増え、{k}の財源が増える", outcome_kind="change",
        data_measure="no_groups", data_years=5, data_sources=("庁内の業務データ", "他の自治体の事例"),
        comparison="before_after", effect="寄附が1.5倍", effect_basis="total",
        uncertainty="none", cost=300, net_of_losses=False,
    )  # fmt: skip
    return WorkshopCase("B", "産業振興課", proposal.title, text, proposal,
                        ("net", "uncertainty"), "furusato", catch, {"growth": 50})  # fmt: skip


def _cost_ratio(ds: Any, year: int) -> float:
    """All gift costs over donations received in a fiscal year (the 50% rule's ratio)."""
    totals = furusato.solicitation_costs_by_year(ds.furusato_donations, ds.furusato_gifts)
    return float(totals.set_index("fiscal_year").loc[year, "cost_ratio"])


def _case_voucher(ds: Any) -> WorkshopCase:
    """C: the vouchers used called the effect (no counterfactual, no comparison, no range)."""
    view = voucher_view(ds)
    basis = _voucher_basis(ds)
    used = float(ds.voucher_redemptions["redeemed_value"].sum())
    cost = view.values["cost"]
    rate = round(voucher_design(ds).premium_rate * 100)
    k = ds.words.suffix
    text = (
        f"{basis['year']}年度のプレミアム付商品券では{_yen(used)}分の商品券が使われ、地域に{_yen(used)}の"
        f"消費が生まれました。事業費{_yen(cost)}の{used / cost:.1f}倍の効果です。プレミアム率を"
        f"{rate}%から{rate + 10}%に上げて、もう一度行います。"
    )
    catch = (
        f"使われた額は効果ではありません。新たに生まれた消費は、研究・調査の幅で{_yen(view.values['new_low'])}"
        f"〜{_yen(view.values['new_high'])}、新たな消費1円あたりの費用は"
        f"{cost / view.values['new_high']:.2f}〜{cost / view.values['new_low']:.2f}円です。"
    )
    proposal = Proposal(
        title=f"プレミアム率を{rate + 10}%に上げて商品券をもう一度発行する", department="商工課",
        question=f"{k}内の消費を増やしたい", target=f"{k}内の店舗と住民", indicator=f"{k}内の消費額",
        goal=f"前回の{_yen(used)}を上回る", inputs="プレミアム分の予算、印刷・換金の事務",
        activity="商品券の販売と換金", output="販売したセット数・使われた額",
        outcome=f"{k}内の店の売上が増える", outcome_kind="output",
        data_measure="no_groups", data_years=1, data_sources=("庁内の業務データ",),
        comparison="none", effect=f"消費が{_yen(used)}生まれた", effect_basis="total",
        uncertainty="none", cost=round(cost / 10_000), net_of_losses=False,
    )  # fmt: skip
    return WorkshopCase("C", "商工課", proposal.title, text, proposal,
                        ("counterfactual", "comparison", "uncertainty"), "voucher", catch,
                        {"premium_rate": (rate + 10) / 100})  # fmt: skip


def example_proposals(ds: Any = None) -> dict[str, WorkshopCase]:
    """The workshop's three fictional proposals, their claims computed from the data.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.

    Returns
    -------
    dict of str to WorkshopCase
        ``"A"`` (elderly, counts of one year), ``"B"`` (furusato, gross receipts) and ``"C"``
        (vouchers, the amount used called the effect).

    Examples
    --------
    >>> cases = example_proposals()  # doctest: +SKIP
    >>> cases["C"].flaws  # doctest: +SKIP
    ('counterfactual', 'comparison', 'uncertainty')
    """
    ds = workshop_dataset() if ds is None else ds
    return {c.key: c for c in (_case_elderly(ds), _case_furusato(ds), _case_voucher(ds))}


_TEXT_FIELDS = {
    "title": "提案の名前", "department": "提案した部署", "question": "問い",
    "target": "対象(だれの)", "indicator": "成果の指標", "goal": "目標(どれだけ・いつまでに)",
    "inputs": "投入(予算・人)", "activity": "活動(事業)", "output": "産出(できたもの)",
    "outcome": "成果(住民の変化)", "effect": "効果の大きさ(主張)",
}  # fmt: skip
_CHOICE_LABELS = {
    "outcome_kind": "成果の欄に書かれているもの",
    "data_measure": "見たデータの数字",
    "comparison": "比べる相手",
    "effect_basis": "効果の示し方",
    "uncertainty": "効果の幅",
}
_FORM_STYLE = {"description_width": "13em"}


def _checker_controls() -> dict[str, widgets.Widget]:
    c: dict[str, widgets.Widget] = {}
    for name, label in _TEXT_FIELDS.items():
        kind = widgets.Textarea if name == "question" else widgets.Text
        c[name] = kind(description=label, style=_FORM_STYLE, layout=_control_layout("32em"))
    for name, label in _CHOICE_LABELS.items():
        options = [(text, key) for key, text in PROPOSAL_CHOICES[name].items()]
        c[name] = widgets.Dropdown(options=options, description=label, style=_FORM_STYLE,
                                   layout=_control_layout("32em"))  # fmt: skip
    c["data_years"] = widgets.IntSlider(min=0, max=10, description="見た年度の数",
                                        style=_FORM_STYLE, layout=_control_layout("32em"))  # fmt: skip
    for i, source in enumerate(DATA_SOURCES):
        c[f"source_{i}"] = widgets.Checkbox(description=f"データの出どころ: {source}",
                                            indent=False, layout=_control_layout("32em"))  # fmt: skip
    c["cost"] = widgets.BoundedFloatText(min=0, max=10_000_000, step=10,
                                         description="費用(万円、0は記載なし)",
                                         style=_FORM_STYLE, layout=_control_layout("32em"))  # fmt: skip
    c["net_of_losses"] = widgets.Checkbox(
        description="費用と失うもの(税の流出・置き換わった消費など)を差し引いている",
        indent=False,
        layout=widgets.Layout(width="40em"),
    )
    return c


def _proposal_from(c: dict[str, widgets.Widget]) -> Proposal:
    values = {f.name: c[f.name].value for f in fields(Proposal) if f.name in c}
    values["data_sources"] = tuple(s for i, s in enumerate(DATA_SOURCES) if c[f"source_{i}"].value)
    return Proposal(**values)


def _fill(c: dict[str, widgets.Widget], proposal: Proposal) -> None:
    for f in fields(Proposal):
        if f.name in c:
            c[f.name].value = getattr(proposal, f.name)
    for i, source in enumerate(DATA_SOURCES):
        c[f"source_{i}"].value = source in proposal.data_sources


def _verdict_html(result: pd.DataFrame) -> str:
    met = int(result["met"].sum())
    rows = "".join(
        f"<tr><td style='white-space:nowrap'>{_escape(r['観点'])}</td>"
        f"<td style='white-space:nowrap'>{'✔ ' if r['met'] else '？ '}{_escape(r['判定'])}</td>"
        f"<td>{_escape(r['作成者に聞く質問'])}</td><td style='font-size:11px'>{_escape(r['出典'])}</td></tr>"
        for _, r in result.iterrows()
    )
    questions = "".join(
        f"<li>{_escape(q)}</li>" for q in result.loc[~result["met"], "作成者に聞く質問"]
    )
    asked = f"<p><b>作成者に聞く質問</b></p><ol>{questions}</ol>" if questions else ""
    return (
        f"<div class='ebpmkit-verdict'><p><b>{len(result)}項目のうち{met}項目を満たしています。</b></p>"
        "<table class='ebpmkit-criteria' style='border-collapse:collapse;font-size:13px'>"
        "<tr><th>観点</th><th>判定</th><th>作成者に聞く質問</th><th>出典</th></tr>"
        f"{rows}</table>{asked}</div>"
    )


_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("提案", ("title", "department")),
    ("1. 問い", ("question", "target", "indicator", "goal")),
    ("2. ロジックモデル", ("inputs", "activity", "output", "outcome", "outcome_kind")),
    (
        "3. 見たデータ",
        ("data_measure", "data_years", *(f"source_{i}" for i in range(len(DATA_SOURCES)))),
    ),
    (
        "4. 効果と費用",
        ("comparison", "effect", "effect_basis", "uncertainty", "cost", "net_of_losses"),
    ),
)


def _form_column(
    c: dict[str, widgets.Widget], sections: Sequence[tuple[str, tuple[str, ...]]]
) -> widgets.VBox:
    parts: list[widgets.Widget] = []
    for heading, names in sections:
        parts.append(widgets.HTML(f"<b>{heading}</b>"))
        parts.extend(c[name] for name in names)
    return widgets.VBox(parts)


def proposal_checker(
    proposal: Proposal | None = None, *, examples: dict[str, WorkshopCase] | None = None
) -> widgets.VBox:
    """A form for what a proposal claims; it says which criteria are met and what to ask.

    Parameters
    ----------
    proposal : Proposal, optional
        Claims to start from (an empty form when omitted).
    examples : dict of str to WorkshopCase, optional
        Proposals a menu can load into the form (the workshop passes
        :func:`example_proposals`).

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> form = proposal_checker(Proposal(target="子育て世帯"))
    >>> "11項目のうち" in form.children[-1].value
    True
    """
    c = _checker_controls()
    status, verdict = widgets.HTML(), widgets.HTML()
    menu = widgets.Dropdown(
        options=[("(白紙から記入する)", "")]
        + [(f"提案{k}: {case.title}", k) for k, case in (examples or {}).items()],
        description="記入例を読み込む", style=_FORM_STYLE, layout=_control_layout("32em"),
    )  # fmt: skip
    state = {"filling": False}

    def recheck(*_: Any) -> None:
        if state["filling"]:
            return

        def action() -> None:
            verdict.value = _verdict_html(check_proposal(_proposal_from(c)))

        _guard(status, action)

    def load(change: Any) -> None:
        case = (examples or {}).get(change["new"])
        state["filling"] = True
        try:
            _fill(c, case.proposal if case else Proposal())
        finally:
            state["filling"] = False
        recheck()

    _observe(c.values(), recheck)
    menu.observe(load, names="value")
    if proposal is not None:
        state["filling"] = True
        _fill(c, proposal)
        state["filling"] = False
    recheck()
    form = widgets.HBox([_form_column(c, _SECTIONS[:3]), _form_column(c, _SECTIONS[3:])])
    box = widgets.VBox([menu, form, status, verdict])
    box.add_class("ebpmkit-dashboard")
    box.add_class("ebpmkit-checker")
    return box


# --------------------------------------------------------------------------------------------
# Reading a chart critically: three misleading charts from the same data
# --------------------------------------------------------------------------------------------
@dataclass
class Pitfall:
    """A misleading chart beside an honest one drawn from the same data, and what it hides."""

    title: str
    question: str
    figure: Figure
    hidden: str


def _elderly(ds: Any) -> tuple[pd.DataFrame, int, int, dict[str, str]]:
    values = indicator_values(ds, "aged65_share")
    years = _fiscal_years(values["fiscal_year"])
    return values, years[0], years[-1], _district_names(ds)


def _pitfall_axis(ds: Any) -> Pitfall:
    """A bar chart whose value axis starts just below the smaller bar."""
    values, first, last, _ = _elderly(ds)
    whole = _comparison_line(values, _indicator("aged65_share"), ds.municipality, 1)
    whole = whole.set_index("fiscal_year")["value"]
    a, b = float(whole[first]), float(whole[last])
    low = math.floor(min(a, b) * 10 - 1) / 10
    fig = _figure(12.0, 4.6)
    axes = fig.subplots(1, 2)
    for ax, bottom, title in zip(axes, (low, 0.0), ("誤解を招く例", "正直な例"), strict=True):
        ax.bar([f"{first}年度", f"{last}年度"], [a, b], color=style.PALETTE[0], width=0.55)
        ax.set_ylim(bottom, max(a, b) * (1.002 if bottom else 1.15))
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=1 if bottom else 0))
        ax.set_ylabel("65歳以上の割合(%)")
        ax.set_title(f"{title}: {ds.municipality}全体の65歳以上の割合", loc="left", fontsize=13)
        add_source(ax, SOURCE_NOTE)
    looks = (b - low) / (a - low) if a > low else float("nan")
    change = "上がって" if b > a else "下がって" if b < a else "変わらず"
    hidden = (
        f"{first}年度の{a:.1f}%から{last}年度の{b:.1f}%へ、{abs(b - a):.1f}ポイント{change}います"
        f"(もとの値の{abs(b - a) / a:.0%}の変化)。縦軸を{low:.1f}%から始めると、棒の高さは"
        f"{looks:.1f}倍に見えます。棒グラフの縦軸は0から始めます。"
    )
    return Pitfall(
        "グラフ1: 縦軸の始まり", "高齢化は、この期間に急に進んだのでしょうか。", fig, hidden
    )


def _pitfall_counts(ds: Any) -> Pitfall:
    """A map of counts (where most people live) read as a map of need."""
    values, _, last, names = _elderly(ds)
    now = values[values["fiscal_year"] == last].assign(people=lambda f: f["numerator"])
    share = now.rename(columns={"value": "aged65_share"})
    fig = _figure(12.0, 4.8)
    axes = fig.subplots(1, 2)
    dictionary = pd.DataFrame({"column": ["people", "aged65_share"],
                               "label_ja": ["65歳以上の人数", "65歳以上の割合"], "unit": ["人", "%"]})  # fmt: skip
    maps.choropleth(share, value="people", profile=ds, ax=axes[0], dictionary=dictionary,
                    title=f"誤解を招く例: {last}年度の65歳以上の人数", source=None)  # fmt: skip
    maps.choropleth(share, value="aged65_share", profile=ds, ax=axes[1], dictionary=dictionary,
                    title=f"正直な例: {last}年度の65歳以上の割合", source=None)  # fmt: skip
    _figure_note(fig)
    top = now.set_index("district_code")
    by_count, by_share = top["numerator"].idxmax(), top["value"].idxmax()
    if by_count != by_share:
        hidden = (
            f"人数がいちばん多いのは{names[by_count]}({int(top.loc[by_count, 'numerator']):,}人)ですが、"
            f"割合がいちばん高いのは{names[by_share]}({top.loc[by_share, 'value']:.1f}%)です。"
            f"{names[by_count]}の割合は{top.loc[by_count, 'value']:.1f}%です。人数の地図は、"
            "住民の多い住区を濃く塗るだけです。"
        )
    else:
        hidden = (
            f"この年度は、人数でも割合でも{names[by_count]}がいちばん上です。それでも、人数の地図は"
            "住民の多い住区を濃く塗るので、ほかの住区の順位は割合の地図と違います。"
        )
    return Pitfall(
        "グラフ2: 人数の地図",
        "高齢者のための事業は、どの住区から始めるべきでしょうか。",
        fig,
        hidden,
    )


def _pitfall_snapshot(ds: Any) -> Pitfall:
    """One year's ranking, which hides which district is changing fastest."""
    values, first, last, names = _elderly(ds)
    now = values[values["fiscal_year"] == last].set_index("district_code")["value"]
    then = values[values["fiscal_year"] == first].set_index("district_code")["value"]
    rise = (now - then).sort_values()
    highest, fastest = now.idxmax(), rise.index[-1]
    fig = _figure(12.0, 5.6)
    ax, trend_ax = fig.subplots(1, 2, width_ratios=[0.8, 1.0])
    ranked = now.sort_values()
    colours = [style.PALETTE[3] if c == highest else "#9ecae1" for c in ranked.index]
    ax.barh([names[c] for c in ranked.index], ranked.to_numpy(), color=colours)
    format_axis(ax.xaxis, "%", ranked.to_numpy())
    ax.set_xlabel("65歳以上の割合(%)")
    ax.tick_params(axis="y", labelsize=9)
    ax.set_title(f"誤解を招く例: {last}年度だけの順位", loc="left", fontsize=13)
    add_source(ax, SOURCE_NOTE)
    codes = list(dict.fromkeys([highest, fastest]))
    lines = _explorer_series(ds, values, _indicator("aged65_share"), codes, None,
                             "municipality", (first, last))  # fmt: skip
    dictionary = _mini_dictionary(_indicator("aged65_share"))
    charts.trend(lines.rename(columns={"value": "aged65_share"}), time="fiscal_year",
                 y="aged65_share", hue="series", ax=trend_ax, dictionary=dictionary)  # fmt: skip
    trend_ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    _percent_ticks(trend_ax)
    trend_ax.set_title(f"正直な例: {first}〜{last}年度の推移", loc="left", fontsize=13)
    if highest != fastest:
        hidden = (
            f"{last}年度にいちばん高いのは{names[highest]}({now[highest]:.1f}%)ですが、{first}年度から"
            f"いちばん大きく上がったのは{names[fastest]}({then[fastest]:.1f}% → {now[fastest]:.1f}%)です。"
            "一つの年度の順位は、これから困りごとが増える場所を隠します。"
        )
    else:
        hidden = (
            f"この{ds.words.suffix}では、いちばん高い住区といちばん大きく上がった住区が同じ({names[highest]})です。"
            "それでも、一つの年度の順位だけでは、変化の速さは分かりません。"
        )
    return Pitfall(
        "グラフ3: 一つの年度だけ", "いちばん手を打つべき住区はどこでしょうか。", fig, hidden
    )


def chart_pitfalls(ds: Any = None) -> list[Pitfall]:
    """Three misleading charts of the same data (65+ residents by district), each with an honest one.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.

    Returns
    -------
    list of Pitfall
        A value axis that does not start at zero; a map of counts read as a map of need; one
        year's ranking that hides the trend. ``hidden`` says what each hides, with numbers
        computed from the data.

    Examples
    --------
    >>> [p.title for p in chart_pitfalls()]  # doctest: +SKIP
    ['グラフ1: 縦軸の始まり', 'グラフ2: 人数の地図', 'グラフ3: 一つの年度だけ']
    """
    ds = workshop_dataset() if ds is None else ds
    return [_pitfall_axis(ds), _pitfall_counts(ds), _pitfall_snapshot(ds)]


def chart_reading(ds: Any = None) -> widgets.Tab:
    """Three tabs, each a misleading chart beside an honest one; a button reveals what it hides.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.

    Returns
    -------
    ipywidgets.Tab

    Examples
    --------
    >>> chart_reading()  # doctest: +SKIP
    """
    pages = []
    pitfalls = chart_pitfalls(ds)
    for pitfall in pitfalls:
        hidden = widgets.HTML(_notice(pitfall.hidden, "info"))
        _show(hidden, False)
        button = widgets.ToggleButton(description="隠れていることを見る", layout={"width": "14em"})
        button.observe(lambda change, h=hidden: _show(h, bool(change["new"])), names="value")
        image = _image()
        _draw_into(image, pitfall.figure)
        question = widgets.HTML(f"<p><b>問い: {_escape(pitfall.question)}</b></p>")
        title = widgets.HTML(f"<h4 style='margin:4px 0'>{_escape(pitfall.title)}</h4>")
        pages.append(widgets.VBox([title, question, image, button, hidden]))
    tabs = widgets.Tab(children=pages, titles=tuple(f"グラフ{i + 1}" for i in range(len(pages))))
    tabs.add_class("ebpmkit-dashboard")
    tabs.add_class("ebpmkit-pitfalls")
    return tabs


# --------------------------------------------------------------------------------------------
# Furusato simulator
# --------------------------------------------------------------------------------------------
#: Share of a resident-tax loss made good through the local allocation tax for a municipality
#: that receives it (交付団体); Tokyo's special wards and other 不交付団体 get none back.
COMPENSATED_SHARE = 0.75

_OTHER_COST = "その他の経費(ワンストップ特例の事務・受領証明書など)"


@dataclass
class FurusatoPlan:
    """A return-gift plan for one year; every share is a percentage of donations received.

    Attributes
    ----------
    mix : dict of str to float
        Share of the donations with a gift that go to each gift category (sums to 100).
    procurement : dict of str to float
        Each category's procurement cost as a percentage of its donation (the 30% rule).
    shipping, portal_fee, admin, other_costs : float
        Shipping, portal fees, administration, and costs no gift carries (one-stop processing,
        receipts, advertising), each as a percentage of donations.
    no_gift_share : float
        Donations with no return gift, as a percentage of all donations.
    growth : float
        The change in donations the plan assumes (a proposal's claim), in percent.
    compensated : bool
        The municipality receives the local allocation tax (交付団体): 75% of its resident-tax
        loss is made good.
    """

    mix: dict[str, float] = field(default_factory=dict)
    procurement: dict[str, float] = field(default_factory=dict)
    shipping: float = 5.0
    portal_fee: float = 10.0
    admin: float = 5.0
    other_costs: float = 0.0
    no_gift_share: float = 0.0
    growth: float = 0.0
    compensated: bool = False


def _latest_donation_year(ds: Any) -> int:
    return int(ds.furusato_donations["fiscal_year"].max())


def _donations_with_gifts(ds: Any, year: int) -> pd.DataFrame:
    rows = ds.furusato_donations[ds.furusato_donations["fiscal_year"] == year]
    gifts = ds.furusato_gifts[["gift_id", "category", *furusato.GIFT_COLUMNS]]
    return rows.merge(gifts, on="gift_id", how="left")


def furusato_plan(ds: Any) -> FurusatoPlan:
    """The plan the data record for the latest fiscal year: mix, cost shares, gifts' absence.

    Parameters
    ----------
    ds : Dataset
        The municipality.

    Returns
    -------
    FurusatoPlan
        Category shares of the donations received, each category's procurement cost share,
        and the shipping, portal and administration shares of the year's totals
        (:func:`ebpmkit.furusato.solicitation_costs_by_year`).

    Examples
    --------
    >>> sum(furusato_plan(workshop_dataset()).mix.values())  # doctest: +SKIP
    100.0
    """
    year = _latest_donation_year(ds)
    rows = _donations_with_gifts(ds, year)
    gifted = rows[rows["gift_id"].notna()]
    units = gifted["amount"] / gifted["donation_amount"]
    by_cat = (
        gifted.assign(proc=units * gifted["procurement_cost"])
        .groupby("category", observed=True)[["amount", "proc"]]
        .sum()
    )
    categories = [str(c) for c in pd.unique(ds.furusato_gifts["category"].astype(str))]
    by_cat.index = by_cat.index.astype(str)
    by_cat = by_cat.reindex(categories).fillna(0.0)
    totals = furusato.solicitation_costs_by_year(ds.furusato_donations, ds.furusato_gifts)
    row = totals.set_index("fiscal_year").loc[year]
    share = by_cat["amount"] / by_cat["amount"].sum() * 100
    ratio = (by_cat["proc"] / by_cat["amount"].where(by_cat["amount"] > 0) * 100).fillna(25.0)
    return FurusatoPlan(
        mix={c: round(float(share[c]), 1) for c in categories},
        procurement={c: round(float(ratio[c]), 1) for c in categories},
        shipping=round(float(row["shipping_cost"] / row["received"] * 100), 1),
        portal_fee=round(float(row["portal_fee"] / row["received"] * 100), 1),
        admin=round(float(row["admin_cost"] / row["received"] * 100), 1),
        no_gift_share=round(float(row["no_gift"] / row["donations"] * 100), 1),
    )


@dataclass
class FurusatoView:
    """What the furusato simulator shows for one plan.

    Attributes
    ----------
    figure : Figure
        Donations, costs, net revenue, the outflow and the balance with their ranges (left);
        the 30% rule by gift category and the 50% rule on the year's totals (right).
    summary : DataFrame
        The money in low / central / high cases.
    rules : DataFrame
        The 30% rule per gift category and the 50% rule on the year's totals.
    costs : SolicitationCosts
        The 50% rule's judgement (:func:`ebpmkit.furusato.check_solicitation_costs`).
    notes : list of str
        How the range was set and what the data cannot say, in Japanese.
    values : dict
        The main figures as numbers (yen), for tests and other code.
    """

    figure: Figure
    summary: pd.DataFrame
    rules: pd.DataFrame
    costs: Any
    notes: list[str]
    values: dict[str, float]


def _yearly_changes(series: pd.Series, years: int = 5) -> tuple[float, float, float]:
    """The smallest, median and largest year-on-year change of the last ``years`` changes."""
    changes = series.sort_index().pct_change().dropna().tail(years)
    if changes.empty:
        return 0.0, 0.0, 0.0
    return float(changes.min()), float(changes.median()), float(changes.max())


def _check_plan(plan: FurusatoPlan) -> None:
    total = sum(plan.mix.values())
    if not plan.mix or abs(total - 100) > 0.5:
        raise _fail("widgets.mix_total", total=f"{total:.1f}")
    shares = {
        "shipping": plan.shipping, "portal_fee": plan.portal_fee, "admin": plan.admin,
        "other_costs": plan.other_costs, "no_gift_share": plan.no_gift_share,
        **{f"procurement[{k}]": v for k, v in plan.procurement.items()},
        **{f"mix[{k}]": v for k, v in plan.mix.items()},
    }  # fmt: skip
    for name, value in shares.items():
        if not 0 <= value <= 100:
            raise _fail("widgets.share_range", name=name, got=f"{value:g}")
    if not -90 <= plan.growth <= 500:
        raise _fail("widgets.growth_range", got=f"{plan.growth:g}")
    missing = [k for k in plan.mix if k not in plan.procurement]
    if missing:
        raise _fail("widgets.share_range", name=f"procurement[{missing[0]}]", got="-")


_CASES = ("low", "central", "high")
_CASE_LABELS = {"low": "少ない場合", "central": "中くらい", "high": "多い場合"}


def _furusato_numbers(ds: Any, plan: FurusatoPlan) -> dict[str, Any]:
    """Donations, costs, net revenue, the outflow and the balance, each in three cases."""
    _check_plan(plan)
    year = _latest_donation_year(ds)
    received = ds.furusato_donations.groupby("fiscal_year")["amount"].sum()
    loss = ds.furusato_deductions.groupby("fiscal_year")["municipal_loss"].sum()
    growth = _yearly_changes(received)
    loss_growth = _yearly_changes(loss)
    base, base_loss = float(received.get(year, 0.0)), float(loss.get(year, 0.0))
    if base <= 0:
        raise _fail("widgets.no_donations", year=year)
    gifted = 1 - plan.no_gift_share / 100
    proc = gifted * sum(plan.mix[c] / 100 * plan.procurement[c] / 100 for c in plan.mix)
    shares = {
        "procurement_cost": proc, "shipping_cost": plan.shipping / 100,
        "portal_fee": plan.portal_fee / 100, "admin_cost": plan.admin / 100,
        _OTHER_COST: plan.other_costs / 100,
    }  # fmt: skip
    donations = {
        c: base * (1 + plan.growth / 100) * (1 + g) for c, g in zip(_CASES, growth, strict=True)
    }
    kept = 1 - (COMPENSATED_SHARE if plan.compensated else 0.0)
    outflow = {c: base_loss * (1 + g) * kept for c, g in zip(_CASES, loss_growth, strict=True)}
    costs = furusato.check_solicitation_costs(
        donations["central"], {k: donations["central"] * v for k, v in shares.items()},
        fiscal_year=year + 1,
    )  # fmt: skip
    net = {c: donations[c] * (1 - costs.ratio) for c in _CASES}
    balance = {
        "low": net["low"] - outflow["high"],
        "central": net["central"] - outflow["central"],
        "high": net["high"] - outflow["low"],
    }
    return {
        "year": year, "base": base, "base_loss": base_loss, "growth": growth,
        "loss_growth": loss_growth, "donations": donations, "costs": costs,
        "net": net, "outflow": outflow, "balance": balance, "shares": shares,
        "suffix": ds.words.suffix,
    }  # fmt: skip


def _gift_rule_table(ds: Any, plan: FurusatoPlan, costs: Any) -> pd.DataFrame:
    """The 30% rule for one representative gift per category, and the 50% rule on the totals."""
    categories = list(plan.mix)
    typical = pd.DataFrame(
        {
            "donation_amount": 10_000.0,
            "procurement_cost": [100.0 * plan.procurement[c] for c in categories],
            "shipping_cost": 100.0 * plan.shipping,
            "portal_fee": 100.0 * plan.portal_fee,
            "admin_cost": 100.0 * plan.admin,
        }
    )
    judged = furusato.check_gift_rules(typical)
    law = "地方税法 第37条の2第2項・第314条の7第2項"
    rows = [
        ("30%ルール(返礼品ごと)", f"{c}の調達費 / 寄附額", f"{plan.procurement[c]:.1f}%",
         "違反" if broken else "守っている", law)
        for c, broken in zip(categories, judged["breaks_30_rule"], strict=True)
    ]  # fmt: skip
    verdict = "違反" if costs.breaks_50_rule else "守っている"
    rows.append(("5割ルール(年度の合計)", "経費の合計 / 寄附の合計", f"{costs.ratio:.1%}",
                 verdict, "総務省の告示(年度の合計で判定)"))  # fmt: skip
    return pd.DataFrame(rows, columns=["ルール", "対象", "割合", "判定", "根拠"])


def _catalogue_breaches(ds: Any, year: int) -> int:
    gifts = ds.furusato_gifts
    listed = gifts[(gifts["listed_from"] <= year) & (gifts["listed_to"] >= year)]
    return int(furusato.check_gift_rules(listed)["breaks_30_rule"].sum()) if len(listed) else 0


def furusato_view(ds: Any, plan: FurusatoPlan | None = None, **changes: Any) -> FurusatoView:
    """The furusato simulator's figures for one plan (no widgets involved).

    Donations received next year are the latest year's times the plan's assumed change, in
    three cases set by the smallest, median and largest year-on-year change of the last five
    years; the outflow (the resident-tax loss from residents' donations elsewhere) likewise.
    Costs follow the plan's shares; the 30% rule is judged per gift category with
    :func:`ebpmkit.furusato.check_gift_rules`, the 50% rule on the year's totals with
    :func:`ebpmkit.furusato.check_solicitation_costs`.

    Parameters
    ----------
    ds : Dataset
        The municipality.
    plan : FurusatoPlan, optional
        The plan; :func:`furusato_plan` (the latest year in the data) when omitted.
    **changes
        Fields of :class:`FurusatoPlan` to change, e.g. ``growth=50``.

    Returns
    -------
    FurusatoView

    Raises
    ------
    ParameterError
        With a Japanese first line: a gift mix that does not add up to 100%, a share outside
        0-100%.

    Examples
    --------
    >>> view = furusato_view(workshop_dataset(), growth=50)  # doctest: +SKIP
    >>> view.values["balance_central"] < 0  # doctest: +SKIP
    True
    """
    plan = replace(plan or furusato_plan(ds), **changes)
    n = _furusato_numbers(ds, plan)
    rules = _gift_rule_table(ds, plan, n["costs"])
    values = {"ratio": n["costs"].ratio, "breaks_50_rule": float(n["costs"].breaks_50_rule)}
    for key in ("donations", "net", "outflow", "balance"):
        values.update({f"{key}_{c}": float(n[key][c]) for c in _CASES})
    values["cost_central"] = n["costs"].total_cost
    values["breaks_30_rule"] = float((rules["判定"] == "違反").iloc[:-1].sum())
    figure = _furusato_figure(n, plan, rules)
    return FurusatoView(figure, _furusato_summary(n), rules, n["costs"],
                        _furusato_notes(ds, n, plan), values)  # fmt: skip


def _furusato_summary(n: dict[str, Any]) -> pd.DataFrame:
    rows = [
        ("寄附の受入れ", n["donations"]),
        (
            "経費(返礼品・送料・手数料・事務費など)",
            {c: n["donations"][c] - n["net"][c] for c in _CASES},
        ),
        ("正味の収入(受入れ − 経費)", n["net"]),
        (f"{n['suffix']}の減収(住民がほかの自治体へ寄附した分)", n["outflow"]),
        ("差し引き(正味の収入 − 減収)", n["balance"]),
    ]
    return pd.DataFrame(
        [(label, *(_yen(v[c]) for c in _CASES)) for label, v in rows],
        columns=["項目", *(_CASE_LABELS[c] for c in _CASES)],
    )


def _furusato_notes(ds: Any, n: dict[str, Any], plan: FurusatoPlan) -> list[str]:
    g, lg = n["growth"], n["loss_growth"]
    notes = [
        f"寄附の受入れは、{n['year']}年度の{_yen(n['base'])}に、寄附の増加の仮定({plan.growth:+.0f}%)と、"
        f"過去5年度の前年比の幅({g[0]:+.0%}〜{g[2]:+.0%}、中央値{g[1]:+.0%})をかけて見込みました。",
        "返礼品の構成を変えたときに寄附がどれだけ変わるかは、このデータからは分かりません。"
        "増加の仮定は提案の主張として入れ、その根拠を作成者に確かめます。",
        f"{n['suffix']}の減収は、{n['year']}年度の{_yen(n['base_loss'])}に、過去5年度の前年比の幅"
        f"({lg[0]:+.0%}〜{lg[2]:+.0%})をかけて見込みました。",
        "減収の75%が地方交付税で補てんされる(交付団体)と仮定しています。"
        if plan.compensated
        else "地方交付税による補てんはないとしています(東京都の特別区などの不交付団体。"
        "交付団体なら減収の約75%が補てんされます)。",
        n["costs"].reading().replace("\n", " "),
    ]
    breaches = _catalogue_breaches(ds, n["year"])
    notes.append(
        f"データの返礼品の一覧では、{n['year']}年度に掲載されていた返礼品のうち{breaches}品が"
        "30%ルールを超えています(返礼品ごとのルールなので、1品でも超えれば違反です)。"
        if breaches
        else f"データの返礼品の一覧では、{n['year']}年度に30%ルールを超える返礼品はありません。"
    )
    return notes


def _furusato_figure(n: dict[str, Any], plan: FurusatoPlan, rules: pd.DataFrame) -> Figure:
    fig = _figure(14.0, 5.6)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.25, 1.0])
    ax = fig.add_subplot(grid[:, 0])
    labels = ["寄附の\n受入れ", "経費", "正味の\n収入", f"{n['suffix']}の減収", "差し引き"]
    cost = {c: n["donations"][c] - n["net"][c] for c in _CASES}
    series = [n["donations"], cost, n["net"], n["outflow"], n["balance"]]
    centre = np.array([s["central"] for s in series])
    low = np.array([min(s["low"], s["high"]) for s in series])
    high = np.array([max(s["low"], s["high"]) for s in series])
    colours = [style.PALETTE[0], style.PALETTE[1], style.PALETTE[2], style.PALETTE[3],
               style.PALETTE[6] if centre[-1] >= 0 else style.PALETTE[3]]  # fmt: skip
    ax.bar(labels, centre, color=colours, width=0.6,
           yerr=[centre - low, high - centre], capsize=6, ecolor="#333333")  # fmt: skip
    ax.axhline(0, color="#333333", linewidth=0.8)
    shown = format_axis(ax.yaxis, "円", np.concatenate([low, high]), absolute=False)
    ax.set_ylabel(f"金額({shown})")
    ax.set_title(f"{n['year'] + 1}年度の見込み(線は見込みの幅)", loc="left", fontsize=13)
    ax.grid(axis="x", visible=False)
    for x, value in enumerate(centre):
        end = high[x] if value >= 0 else low[x]
        ax.annotate(_yen(value), xy=(x, end), xytext=(0, 4 if value >= 0 else -4),
                    textcoords="offset points", ha="center", va="bottom" if value >= 0 else "top",
                    fontsize=10)  # fmt: skip
    per_gift = fig.add_subplot(grid[0, 1])
    categories = list(plan.mix)
    ratios = [plan.procurement[c] for c in categories]
    broken = rules["判定"].iloc[:-1].eq("違反").to_numpy()
    per_gift.barh(categories, ratios, color=np.where(broken, style.PALETTE[3], style.PALETTE[4]))
    per_gift.axvline(furusato.PROCUREMENT_LIMIT * 100, color="#b00020", linestyle="--")
    per_gift.set_xlim(0, max(60.0, max(ratios) + 5))
    per_gift.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    per_gift.set_title("返礼品ごとの調達費の割合(30%ルール)", loc="left", fontsize=12)
    per_gift.invert_yaxis()
    totals = fig.add_subplot(grid[1, 1])
    left = 0.0
    for i, (item, share) in enumerate(n["shares"].items()):
        label = furusato.COST_LABELS.get(item, "その他の経費")
        totals.barh([""], [share * 100], left=left, color=style.PALETTE[i % 6], label=label)
        left += share * 100
    totals.axvline(furusato.TOTAL_COST_LIMIT * 100, color="#b00020", linestyle="--")
    totals.set_xlim(0, max(100.0, left + 5))
    totals.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    totals.set_title(f"年度の経費の合計: 寄附の{left:.1f}%(5割ルール)", loc="left", fontsize=12)
    totals.set_yticks([])
    totals.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize=9)
    _figure_note(fig)
    return fig


def _furusato_controls(plan: FurusatoPlan) -> dict[str, widgets.Widget]:
    c: dict[str, widgets.Widget] = {}
    for cat in plan.mix:
        c[f"mix:{cat}"] = widgets.FloatSlider(
            value=plan.mix[cat], min=0, max=100, step=0.5, description=f"{cat}の構成比(%)",
            style=_GIFT, layout=_control_layout("31em"),
        )  # fmt: skip
        c[f"procurement:{cat}"] = widgets.FloatSlider(
            value=plan.procurement[cat], min=0, max=60, step=0.5,
            description=f"{cat}の調達費(%)", style=_GIFT, layout=_control_layout("31em"),
        )  # fmt: skip
    for name, label, top in (
        ("shipping", "送料(%)", 30), ("portal_fee", "ポータル手数料(%)", 30),
        ("admin", "事務費(%)", 30), ("other_costs", "その他の経費(%)", 30),
        ("no_gift_share", "返礼品なしの寄附(%)", 100), ("growth", "寄附の増加の仮定(%)", 200),
    ):  # fmt: skip
        c[name] = widgets.FloatSlider(
            value=getattr(plan, name), min=-50 if name == "growth" else 0, max=top, step=0.5,
            description=label, style=_WIDE, layout=_control_layout(),
        )  # fmt: skip
    c["compensated"] = widgets.Checkbox(
        value=plan.compensated,
        description="交付団体(減収の75%が地方交付税で補てんされる)",
        indent=False,
        layout=widgets.Layout(width="30em"),
    )
    return c


def _plan_from(c: dict[str, widgets.Widget]) -> FurusatoPlan:
    mix = {k.split(":", 1)[1]: w.value for k, w in c.items() if k.startswith("mix:")}
    procurement = {
        k.split(":", 1)[1]: w.value for k, w in c.items() if k.startswith("procurement:")
    }
    plain = {k: w.value for k, w in c.items() if ":" not in k}
    return FurusatoPlan(mix=mix, procurement=procurement, **plain)


def _rebalanced(values: Sequence[float], step: float = 0.5) -> list[float] | None:
    """Shares in steps of ``step`` that keep the proportions and add up to exactly 100.

    Examples
    --------
    >>> _rebalanced([30, 30, 30])
    [33.0, 33.5, 33.5]
    >>> _rebalanced([0, 0]) is None
    True
    """
    total = float(sum(values))
    if total <= 0:
        return None
    shares = [round(v / total * 100 / step) * step for v in values]
    largest = max(range(len(shares)), key=lambda i: values[i])
    shares[largest] = round(shares[largest] + 100 - sum(shares), 6)
    return shares


def furusato_simulator(ds: Any = None, **changes: Any) -> widgets.VBox:
    """A dashboard to try a return-gift plan: donations, net revenue, the outflow, the rules.

    The gift mix and each category's procurement cost, shipping, portal fees, administration,
    other costs, donations with no gift and an assumed change in donations -> expected
    donations received, the net revenue after costs, the outflow, the balance, the 30% rule
    per gift category and the 50% rule on the year's totals, each with its range. The
    controls start at the latest year in the data.

    Parameters
    ----------
    ds : Dataset, optional
        The municipality; :func:`workshop_dataset` when omitted.
    **changes
        Fields of :class:`FurusatoPlan` to start from instead of the data's (``growth=50``).

    Returns
    -------
    ipywidgets.VBox

    Examples
    --------
    >>> furusato_simulator(growth=50)  # doctest: +SKIP
    """
    ds = workshop_dataset() if ds is None else ds
    c = _furusato_controls(replace(furusato_plan(ds), **changes))
    status, image = widgets.HTML(), _image()
    summary, rules, notes = widgets.HTML(), widgets.HTML(), widgets.HTML()
    balance = widgets.Button(description="構成比の合計を100%にそろえる", layout={"width": "18em"})

    quiet = {"on": False}

    def redraw(*_: Any) -> None:
        if quiet["on"]:
            return

        def action() -> None:
            view = furusato_view(ds, _plan_from(c))
            _draw_into(image, view.figure)
            summary.value = _html_table(view.summary, "お金の見込み(幅つき)")
            rules.value = _html_table(view.rules, "返礼品と経費のルール")
            notes.value = _bullets(view.notes)

        ok = _guard(status, action)
        for part in (image, summary, rules, notes):
            _show(part, ok)

    def rebalance(_: Any) -> None:
        mix = [w for k, w in c.items() if k.startswith("mix:")]
        shares = _rebalanced([w.value for w in mix])
        if shares is None:
            return
        quiet["on"] = True
        try:
            for w, share in zip(mix, shares, strict=True):
                w.value = share
        finally:
            quiet["on"] = False
        redraw()

    _observe(c.values(), redraw)
    balance.on_click(rebalance)
    redraw()
    gifts = widgets.VBox([w for k, w in c.items() if ":" in k] + [balance])
    other = widgets.VBox([w for k, w in c.items() if ":" not in k])
    box = widgets.VBox([widgets.HBox([gifts, other]), status, image, summary, rules, notes])
    box.add_class("ebpmkit-dashboard")
    box.add_class("ebpmkit-furusato")
    return box
