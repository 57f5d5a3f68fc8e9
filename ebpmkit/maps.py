"""District maps: choropleths of any per-district value, on the fictional map or your own.

:func:`choropleth` colours each district (住区) or chome (町丁) by a value in classes, with a
legend; districts without data and suppressed (秘匿) districts are shown as such.
:func:`small_multiples` draws one map per year with the same classes, so colours compare.
:func:`read_boundaries` reads a trainer's own boundaries (GeoJSON, or the e-Stat small-area
Shapefile, which is encoded in cp932) for use with ``boundaries=``. No geopandas is needed.

Examples
--------
>>> import ebpmkit
>>> from ebpmkit import maps
>>> ds = ebpmkit.load(scale=0.05, progress=False)  # doctest: +SKIP
>>> people = ds.resident_years.query("fiscal_year == 2024")  # doctest: +SKIP
>>> maps.choropleth(people, area="district_code", labels=True)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from ebpmkit import style
from ebpmkit._labels import (
    SOURCE_NOTE,
    _plain,
    check_column,
    count_label,
    display_unit,
    lookup,
)
from ebpmkit._plotting import add_source, as_frame, new_axes
from ebpmkit.errors import ParameterError, check_choice, check_range, renamed_parameters
from ebpmkit.messages import Message, message

__all__ = [
    "MISSING_LABEL",
    "SCHEMES",
    "SUPPRESSED_LABEL",
    "choropleth",
    "classify",
    "read_boundaries",
    "small_multiples",
]

SCHEMES = ("quantile", "equal")
MISSING_LABEL = "データなし"
SUPPRESSED_LABEL = "秘匿(少人数のため非公表)"
_MISSING_COLOUR = "#d9d9d9"
_SUPPRESSED_MARKERS = {"x", "X", "*", "**", "***", "秘匿", "χ", "…", "..."}
_ZERO_MARKERS = {"-", "－", "―"}
_CODE_KEYS = ("code", "KEY_CODE", "district_code", "chome_code", "N03_007", "id")
_YEAR_COLUMNS = ("fiscal_year", "年度")
_NAME_KEYS = ("name", "S_NAME", "district_name", "chome_name", "N03_004")


# --------------------------------------------------------------------------------------------
# Reading boundaries
# --------------------------------------------------------------------------------------------
def _unreadable(path: Path, why: Message, detail: object = "") -> ParameterError:
    """The error for a boundary file that cannot be read: why (a message) and the cause."""
    # the cause (an exception's own words) is English: it goes in the English line only
    detail_en = f" ({detail})" if detail else ""
    return ParameterError(
        message("maps.unreadable", path=path, why=why, detail="", detail_en=detail_en)
    )


def _read_geojson(path: Path) -> dict[str, Any]:
    try:
        collection = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _unreadable(path, message("maps.why_utf8"), exc) from exc
    except json.JSONDecodeError as exc:
        raise _unreadable(path, message("maps.why_json", line=exc.lineno), exc) from exc
    if isinstance(collection, dict) and collection.get("type") == "Feature":
        collection = {"type": "FeatureCollection", "features": [collection]}
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise _unreadable(path, message("maps.why_collection"))
    return collection


def _read_shapefile(path: Path, encoding: str | None) -> dict[str, Any]:
    import shapefile

    encodings = [encoding] if encoding else []
    cpg = path.with_suffix(".cpg")
    if not encodings and cpg.is_file():
        encodings = [cpg.read_text(encoding="ascii", errors="ignore").strip() or "utf-8"]
    if not encodings:
        encodings = ["utf-8", "cp932"]  # e-Stat's small-area files are cp932 without a .cpg
    last: Exception | None = None
    for enc in encodings:
        try:
            with shapefile.Reader(str(path), encoding=enc) as reader:
                return reader.__geo_interface__
        except (UnicodeDecodeError, LookupError) as exc:
            last = exc
        except (shapefile.ShapefileException, OSError, ValueError, struct.error) as exc:
            if "decode" in str(exc).lower():  # pyshp wraps UnicodeDecodeError: try the next
                last = exc
                continue
            raise _unreadable(path, message("maps.why_shapefile"), exc) from exc
    raise _unreadable(path, message("maps.why_encoding", tried=", ".join(encodings)), last)


def read_boundaries(
    path: str | Path,
    *,
    code: str | None = None,
    name: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """Read boundaries from a GeoJSON file or a Shapefile, for ``choropleth(boundaries=...)``.

    Parameters
    ----------
    path : str or Path
        ``.geojson``/``.json``, ``.shp``, or a ``.zip`` holding a Shapefile (as e-Stat's
        境界データ downloads come).
    code : str, optional
        The attribute that identifies each area and matches your data (e-Stat: ``KEY_CODE``).
        Found automatically when it is one of ``code``, ``KEY_CODE``, ``N03_007`` ...
    name : str, optional
        The attribute with the area's name, for labels (e-Stat: ``S_NAME``).
    encoding : str, optional
        Text encoding of a Shapefile's attributes; without it a ``.cpg`` file is used, else
        UTF-8 and then cp932 (the encoding of e-Stat's files) are tried.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection whose features have string ``code`` and ``name``
        properties (the other attributes are kept).

    Examples
    --------
    >>> fc = read_boundaries("r2ka13101.shp", code="KEY_CODE", name="S_NAME")  # doctest: +SKIP
    >>> fc["features"][0]["properties"]["name"]  # doctest: +SKIP
    '丸の内１丁目'
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(message("maps.no_file", path=path))
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        collection = _read_geojson(path)
    elif suffix in (".shp", ".zip"):
        collection = _read_shapefile(path, encoding)
    else:
        raise _unreadable(path, message("maps.why_suffix"))
    features = [
        f
        for f in collection.get("features", [])
        if isinstance(f, dict)
        and (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")
    ]
    if not features:
        raise _unreadable(path, message("maps.why_no_polygon"))
    keys = list((features[0].get("properties") or {}).keys())
    code_key = code or next((k for k in _CODE_KEYS if k in keys), None)
    if code_key is None or code_key not in keys:
        raise ParameterError(
            message("maps.no_code", code=f" {code!r}" if code else "", keys=", ".join(keys))
        )
    name_key = name or next((k for k in _NAME_KEYS if k in keys), None)
    if name is not None and name not in keys:
        raise ParameterError(message("maps.no_name", name=name, keys=", ".join(keys)))
    out = []
    for f in features:
        props = dict(f.get("properties") or {})
        props["code"] = _code_text(props.get(code_key))
        props["name"] = str(props.get(name_key, props["code"])) if name_key else props["code"]
        out.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    return {"type": "FeatureCollection", "name": path.stem, "features": out}


def _code_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------
def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _polygons(geometry: dict[str, Any]) -> list[list[np.ndarray]]:
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    polys = coords if kind == "MultiPolygon" else [coords] if kind == "Polygon" else []
    out = []
    for poly in polys:
        rings = [np.asarray(r, dtype=float)[:, :2] for r in poly if len(r) >= 3]
        if rings:
            out.append(rings)
    return out


def _path(geometry: dict[str, Any]) -> MplPath:
    """One compound path; outer rings counter-clockwise and holes clockwise, so holes stay empty."""
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for rings in _polygons(geometry):
        for i, ring in enumerate(rings):
            if (_ring_area(ring) > 0) != (i == 0):
                ring = ring[::-1]
            closed = np.vstack([ring, ring[:1]])
            c = np.full(len(closed), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            vertices.append(closed)
            codes.append(c)
    if not vertices:
        return MplPath(np.empty((0, 2)))
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _inside(rings: list[np.ndarray], points: np.ndarray) -> np.ndarray:
    """Points inside the outer ring and outside every hole (matplotlib ignores holes here)."""
    mask = MplPath(rings[0]).contains_points(points)
    for hole in rings[1:]:
        mask &= ~MplPath(hole).contains_points(points)
    return mask


def _label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point inside the largest polygon, away from its edges (for the area's name)."""
    polys = _polygons(geometry)
    if not polys:
        return (math.nan, math.nan)
    rings = max(polys, key=lambda p: abs(_ring_area(p[0])))
    outer = rings[0]
    (x0, y0), (x1, y1) = outer.min(axis=0), outer.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 25), np.linspace(y0, y1, 25))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = grid[_inside(rings, grid)]
    if not len(inside):
        return tuple(outer.mean(axis=0))
    edges = np.concatenate(rings)
    edges = edges[:: max(1, len(edges) // 200)]
    depth = np.sqrt(np.min(((inside[:, None, :] - edges[None, :, :]) ** 2).sum(-1), axis=1))
    centre = outer.mean(axis=0)
    # prefer deep points; among similar depths prefer the centre
    score = depth - 0.15 * np.sqrt(((inside - centre) ** 2).sum(1))
    return tuple(inside[np.argmax(score)])


def _is_lonlat(collection: dict[str, Any]) -> bool:
    if collection.get("ebpmkit_coords") == "km":
        return False
    pts = [r for f in collection["features"] for p in _polygons(f["geometry"]) for r in p]
    if not pts:
        return False
    allp = np.concatenate(pts)
    return bool(np.all(np.abs(allp[:, 0]) <= 180) and np.all(np.abs(allp[:, 1]) <= 90))


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------
def _profile_of(profile: Any) -> Any:
    return getattr(profile, "profile", profile)


def _collection(boundaries: Any, profile: Any, level: str) -> dict[str, Any]:
    if boundaries is not None:
        if not (isinstance(boundaries, dict) and isinstance(boundaries.get("features"), list)):
            raise ParameterError(message("maps.boundaries", got=type(boundaries).__name__))
        return boundaries
    from ebpmkit.synth.geography import boundaries as builtin

    collection = builtin(_profile_of(profile), level=level, coords="km")
    collection["ebpmkit_coords"] = "km"
    if level == "area":
        for f in collection["features"]:
            f["properties"]["code"] = f["properties"]["name"]
    return collection


def _codes(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.map(_code_text).astype("str")
    return series.astype("str").str.strip()


def _numeric(frame: pd.DataFrame, value: str) -> tuple[pd.Series, pd.Series]:
    """Values as floats, and a mask of suppressed cells (e-Stat's "X", "*", 秘匿)."""
    series = frame[value]
    if pd.api.types.is_bool_dtype(series):
        raise _not_quantity(value, series)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float), pd.Series(False, index=series.index)
    text = series.astype("str").str.strip()
    suppressed = text.isin(_SUPPRESSED_MARKERS)
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    numbers = numbers.mask(text.isin(_ZERO_MARKERS), 0.0)
    bad = numbers.isna() & ~suppressed & series.notna()
    if bad.any():
        raise _not_quantity(value, series[bad])
    return numbers.astype(float), suppressed


def _not_quantity(value: str, examples: pd.Series) -> ParameterError:
    shown = ", ".join(repr(v) for v in pd.unique(examples.dropna())[:3])
    label, _ = lookup(value)
    named = f"'{value}'" if label == value else f"'{value}'({label})"
    return ParameterError(
        message("maps.not_quantity", column=named, column_en=f"'{value}'", examples=shown)
    )


def _per_area(
    frame: pd.DataFrame,
    value: str | None,
    area: str,
    estimator: str | None,
    suppressed: Any,
) -> tuple[pd.Series, set[str]]:
    codes = _codes(frame[area])
    hidden: set[str] = set()
    if isinstance(suppressed, str):
        check_column(frame, suppressed, "suppressed")
        hidden |= set(codes[frame[suppressed].fillna(False).astype(bool)])
    elif suppressed is not None:
        hidden |= {_code_text(c) for c in suppressed}
    if value is None:
        return codes.value_counts().astype(float), hidden
    numbers, marked = _numeric(frame, value)
    hidden |= set(codes[marked])
    table = pd.DataFrame({"code": codes, "v": numbers})
    if table["code"].duplicated().any():
        if estimator is None:
            first = table.loc[table["code"].duplicated(), "code"].iloc[0]
            raise ParameterError(message("maps.several_rows", code=first))
        check_choice("estimator", estimator, ("sum", "mean"))
        grouped = table.groupby("code")["v"]
        return (grouped.sum(min_count=1) if estimator == "sum" else grouped.mean()), hidden
    return table.set_index("code")["v"], hidden


def _check_codes(values: pd.Series, hidden: set[str], known: list[str], area: str) -> None:
    unknown = sorted((set(values.index) | hidden) - set(known))
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        sample = ", ".join(known[:3] + (["...", known[-1]] if len(known) > 3 else []))
        raise ParameterError(message("maps.unknown_codes", area=area, codes=shown, sample=sample))


def _select_year(frame: pd.DataFrame, year: Any, time: str) -> pd.DataFrame:
    if time not in frame.columns:
        if year is not None:
            check_column(frame, time, "time")
        return frame
    years = sorted(frame[time].dropna().unique())
    if year is None:
        if len(years) > 1:
            raise ParameterError(
                message(
                    "maps.several_years",
                    first=f"{years[0]:.0f}",
                    last=f"{years[-1]:.0f}",
                    time=time,
                )
            )
        return frame
    if year not in years:
        raise ParameterError(
            message(
                "plot.no_year",
                name="year",
                year=year,
                time=time,
                years=", ".join(f"{v:.0f}" for v in years),
            )
        )
    return frame[frame[time] == year]


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------
def classify(
    values: Iterable[float],
    *,
    scheme: str = "quantile",
    k: int = 5,
    breaks: Sequence[float] | None = None,
) -> np.ndarray:
    """Class boundaries (the cut points between classes) for a choropleth.

    Quantile and equal-interval cuts are rounded to two significant digits of the class width,
    so the legend shows round numbers and every value is classed by the numbers it shows.

    Parameters
    ----------
    values : array-like
        The values to class (missing values are ignored).
    scheme : {"quantile", "equal"}
        Quantile classes hold about the same number of areas; equal classes are equally wide.
    k : int
        Number of classes (fewer when values tie).
    breaks : sequence of float, optional
        Fixed cut points instead (for example ``[100, 200, 300]``: below 100, 100-200, ...).

    Returns
    -------
    numpy.ndarray
        Increasing cut points; a value ``v`` is in class ``i`` when ``cuts[i-1] <= v < cuts[i]``.

    Examples
    --------
    >>> classify([1, 2, 3, 4, 5, 6, 7, 8], k=4)
    array([2.8, 4.5, 6.2])
    >>> classify([5, 50], breaks=[10, 20])
    array([10., 20.])
    """
    if breaks is not None:
        cuts = np.asarray(list(breaks), dtype=float)
        if (
            cuts.ndim != 1
            or len(cuts) == 0
            or not np.all(np.isfinite(cuts))
            or np.any(np.diff(cuts) <= 0)
        ):
            raise ParameterError(message("maps.breaks", got=repr(list(breaks))))
        return cuts
    check_choice("scheme", scheme, SCHEMES)
    check_range("k", k, low=2, high=9, kind=int)
    vals = np.asarray(list(values), dtype=float)
    vals = vals[np.isfinite(vals)]
    if len(vals) == 0 or vals.max() == vals.min():
        return np.array([], dtype=float)
    lo, hi = float(vals.min()), float(vals.max())
    if scheme == "quantile":
        raw = np.quantile(vals, np.linspace(0, 1, k + 1)[1:-1])
    else:
        raw = np.linspace(lo, hi, k + 1)[1:-1]
    unit = 10 ** (math.floor(math.log10((hi - lo) / k)) - 1)
    cuts = np.unique(np.round(raw / unit) * unit)
    cuts = np.round(cuts, max(0, -math.floor(math.log10(unit))) + 1)
    return cuts[(cuts > lo) & (cuts <= hi)]


def _class_labels(
    cuts: np.ndarray, lo: float, hi: float, fixed: bool, unit: str
) -> tuple[list[str], str]:
    divisor, shown = display_unit(unit, max(abs(lo), abs(hi)))
    edges = np.concatenate([[lo], cuts, [hi]]) / divisor
    steps = np.diff(np.unique(edges))
    decimals = max(0, -math.floor(math.log10(steps.min()))) if len(steps) and steps.min() > 0 else 0
    decimals = min(decimals, 3)
    text = [_plain(v, decimals) for v in edges]
    labels = [f"{text[i]} 〜 {text[i + 1]}" for i in range(len(edges) - 1)]
    if fixed and len(cuts):
        labels[0] = f"{_plain(cuts[0] / divisor, decimals)} 未満"
        labels[-1] = f"{_plain(cuts[-1] / divisor, decimals)} 以上"
        for i in range(1, len(cuts)):
            labels[i] = f"{text[i]} 〜 {text[i + 1]}"
    return labels, shown


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------
class _Classes:
    def __init__(
        self, values: pd.Series, *, scheme: str, k: int, breaks: Any, cmap: str, unit: str
    ):
        finite = values[np.isfinite(values.to_numpy(dtype=float))]
        self.cuts = classify(finite, scheme=scheme, k=k, breaks=breaks)
        lo = float(finite.min()) if len(finite) else 0.0
        hi = float(finite.max()) if len(finite) else 0.0
        fixed = breaks is not None
        if fixed:
            lo, hi = min(lo, self.cuts[0]), max(hi, self.cuts[-1])
        self.labels, self.unit = _class_labels(self.cuts, lo, hi, fixed, unit)
        n = len(self.labels)
        try:
            colormap = mpl.colormaps[cmap]
        except KeyError:
            check_choice("cmap", cmap, sorted(mpl.colormaps))
        self.colours = [colormap(t) for t in (np.linspace(0.12, 0.92, n) if n > 1 else [0.55])]

    def colour(self, v: float) -> Any:
        return self.colours[int(np.searchsorted(self.cuts, v, side="right"))]

    def handles(self, missing: bool, suppressed: bool) -> list[Patch]:
        out = [
            Patch(facecolor=c, edgecolor="#888888", linewidth=0.5, label=t)
            for c, t in zip(self.colours, self.labels, strict=True)
        ]
        if suppressed:
            out.append(
                Patch(
                    facecolor="white",
                    edgecolor="#777777",
                    hatch="////",
                    linewidth=0.5,
                    label=SUPPRESSED_LABEL,
                )
            )
        if missing:
            out.append(
                Patch(
                    facecolor=_MISSING_COLOUR,
                    edgecolor="#888888",
                    linewidth=0.5,
                    label=MISSING_LABEL,
                )
            )
        return out


def _draw(
    ax: Axes,
    collection: dict[str, Any],
    values: pd.Series,
    hidden: set[str],
    classes: _Classes,
    labels: Any,
) -> tuple[bool, bool]:
    """Draw every feature; return whether any was missing and any suppressed."""
    features = collection["features"]
    patches, colours, masked = [], [], []
    missing_any = False
    for f in features:
        code = str(f["properties"].get("code"))
        patch = PathPatch(_path(f["geometry"]))
        if code in hidden:
            masked.append(patch)
            continue
        v = values.get(code, np.nan)
        if v is None or not np.isfinite(v):
            colours.append(_MISSING_COLOUR)
            missing_any = True
        else:
            colours.append(classes.colour(float(v)))
        patches.append(patch)
    width = 0.8 if len(features) <= 40 else 0.4
    ax.add_collection(
        PatchCollection(patches, facecolors=colours, edgecolors="white", linewidths=width)
    )
    if masked:
        ax.add_collection(
            PatchCollection(
                masked, facecolors="white", edgecolors="#777777", linewidths=width, hatch="////"
            )
        )
    _frame_axes(ax, collection)
    if labels:
        _names(ax, features, values, labels, classes)
    return missing_any, bool(masked)


def _frame_axes(ax: Axes, collection: dict[str, Any]) -> None:
    pts = np.concatenate(
        [r for f in collection["features"] for p in _polygons(f["geometry"]) for r in p]
    )
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    pad_x, pad_y = (x1 - x0) * 0.02, (y1 - y0) * 0.02
    ax.set_xlim(x0 - pad_x, x1 + pad_x)
    ax.set_ylim(y0 - pad_y, y1 + pad_y)
    if _is_lonlat(collection):
        ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)))
    else:
        ax.set_aspect("equal")
    ax.set_axis_off()


def _names(
    ax: Axes, features: list[dict], values: pd.Series, labels: Any, classes: _Classes
) -> None:
    check_choice("labels", labels, [True, "name", "code", "value"])
    size = 9 if len(features) <= 30 else 6.5
    stroke = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for f in features:
        props = f["properties"]
        if labels == "code":
            text = str(props.get("code"))
        elif labels == "value":
            v = values.get(str(props.get("code")), np.nan)
            text = "" if not np.isfinite(v) else _plain(v, 0 if abs(v) >= 100 else 1)
        else:
            text = str(props.get("name", props.get("code")))
        x, y = _label_point(f["geometry"])
        if text and np.isfinite(x):
            ax.text(
                x,
                y,
                text,
                ha="center",
                va="center",
                fontsize=size,
                path_effects=stroke,
                color="#222222",
            )


def _outline(ax: Axes, profile: Any, boundaries: Any, level: str) -> None:
    if boundaries is not None or level == "area":
        return
    areas = _collection(None, profile, "area")
    ax.add_collection(
        PatchCollection(
            [PathPatch(_path(f["geometry"])) for f in areas["features"]],
            facecolors="none",
            edgecolors="#555555",
            linewidths=1.3,
        )
    )


def _value_title(frame: pd.DataFrame, value: str | None, dictionary: Any) -> tuple[str, str]:
    if value is None:
        label, unit = count_label(frame)
    else:
        label, unit = lookup(value, dictionary)
    return label, unit


def _legend_title(label: str, shown: str) -> str:
    return f"{label}({shown})" if shown and shown != label else label


def choropleth(
    data: pd.DataFrame | pd.Series,
    *,
    value: str | None = None,
    area: str = "district_code",
    level: str | None = None,
    year: Any = None,
    time: str = "fiscal_year",
    estimator: str | None = None,
    scheme: str = "quantile",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    labels: bool | str = False,
    suppressed: str | Iterable[str] | None = None,
    cmap: str = style.SEQUENTIAL_CMAP,
    profile: Any = "urban-ward",
    boundaries: dict[str, Any] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Colour each district (or chome) by a value, in classes with a legend.

    Parameters
    ----------
    data : DataFrame
        One row per area with ``value``; or one row per record (person, household), which is
        counted per area when ``value`` is omitted.
    value : str, optional
        The numeric column to map. Text markers of suppressed cells (``X``, ``*``, ``秘匿``)
        are shown as suppressed.
    area : str
        Column with the area codes (``district_code`` "D01", ``chome_code`` "C001", or the
        codes of your own boundary file).
    level : {"district", "chome", "area"}, optional
        Level of the built-in map; follows ``area`` when omitted.
    year, time
        Pick one year when ``data`` holds several (column ``time``).
    estimator : {"sum", "mean"}, optional
        How to combine several rows per area.
    scheme : {"quantile", "equal"}
        How classes are cut; ``k`` classes. ``breaks`` gives fixed cut points instead.
    labels : bool or {"name", "code", "value"}
        Write each area's name (``True``), code or value on the map.
    suppressed : str or list of str, optional
        A boolean column, or the codes of areas whose value is withheld (秘匿).
    cmap : str
        A sequential matplotlib colormap.
    profile : str or Dataset
        The fictional municipality whose map is drawn (``ds`` from ``ebpmkit.load`` works).
    boundaries : dict, optional
        Your own boundaries from :func:`read_boundaries` (joined by their ``code``).
    title : str, optional
        Title above the map.
    ax, dictionary, source
        As in :mod:`ebpmkit.charts`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"district_code": ["D01", "D02", "D03"], "population": [900, 1200, 1500]})
    >>> ax = choropleth(frame, value="population", profile="town")
    >>> ax.get_legend().get_title().get_text()
    '人口(人)'
    """
    frame = as_frame(data)
    check_column(frame, area, "area")
    if value is not None:
        check_column(frame, value, "value")
    if level is None:
        level = {"chome_code": "chome", "area": "area"}.get(area, "district")
    check_choice("level", level, ("district", "chome", "area"))
    frame = _select_year(frame, year, time)
    values, hidden = _per_area(frame, value, area, estimator, suppressed)
    collection = _collection(boundaries, profile, level)
    known = [str(f["properties"].get("code")) for f in collection["features"]]
    _check_codes(values, hidden, known, area)
    label, unit = _value_title(frame, value, dictionary)
    shown_values = values.drop(index=list(hidden), errors="ignore")
    classes = _Classes(shown_values, scheme=scheme, k=k, breaks=breaks, cmap=cmap, unit=unit)
    ax = new_axes(ax, figsize=(8, 6))
    missing, masked = _draw(ax, collection, shown_values, hidden, classes, labels)
    _outline(ax, profile, boundaries, level)
    ax.legend(
        handles=classes.handles(missing, masked),
        title=_legend_title(label, classes.unit),
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        alignment="left",
    )
    if title:
        ax.set_title(title)
    add_source(ax, source, axis_hidden=True)
    return ax


@renamed_parameters(by="time")
def small_multiples(
    data: pd.DataFrame,
    *,
    value: str | None = None,
    time: str = "fiscal_year",
    area: str = "district_code",
    years: Sequence[Any] | None = None,
    level: str | None = None,
    estimator: str | None = None,
    scheme: str = "quantile",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    suppressed: str | Iterable[str] | None = None,
    cmap: str = style.SEQUENTIAL_CMAP,
    profile: Any = "urban-ward",
    boundaries: dict[str, Any] | None = None,
    ncols: int = 3,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Figure:
    """One map per year (or per value of ``time``), all with the same classes and colours.

    Parameters
    ----------
    time : str
        Column that splits the maps: fiscal years by default, or any other time column.
    years : sequence, optional
        Which values of ``time`` to draw, in order (all by default).
    ncols : int
        Maps per row.
    value, area, level, estimator, scheme, k, breaks, suppressed, cmap, profile, boundaries
        As for :func:`choropleth`.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2020, 2020, 2024, 2024],
    ...                       "district_code": ["D01", "D02", "D01", "D02"],
    ...                       "population": [900, 1200, 950, 1100]})
    >>> fig = small_multiples(frame, value="population", profile="town")
    >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
    ['2020年度', '2024年度']
    """
    frame = as_frame(data)
    check_column(frame, time, "time")
    check_column(frame, area, "area")
    if value is not None:
        check_column(frame, value, "value")
    check_range("ncols", ncols, low=1, high=8, kind=int)
    if level is None:
        level = {"chome_code": "chome", "area": "area"}.get(area, "district")
    available = sorted(frame[time].dropna().unique())
    panels = list(years) if years is not None else available
    for p in panels:
        if p not in available:
            raise ParameterError(
                message(
                    "plot.no_year",
                    name="years",
                    year=p,
                    time=time,
                    years=", ".join(map(str, available)),
                )
            )
    collection = _collection(boundaries, profile, level)
    known = [str(f["properties"].get("code")) for f in collection["features"]]
    per_panel = []
    for p in panels:
        values, hidden = _per_area(frame[frame[time] == p], value, area, estimator, suppressed)
        _check_codes(values, hidden, known, area)
        per_panel.append((p, values.drop(index=list(hidden), errors="ignore"), hidden))
    label, unit = _value_title(frame, value, dictionary)
    everything = pd.concat([v for _, v, _ in per_panel]) if per_panel else pd.Series(dtype=float)
    classes = _Classes(everything, scheme=scheme, k=k, breaks=breaks, cmap=cmap, unit=unit)
    ncols = min(ncols, max(len(panels), 1))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.4 * ncols + 2.6, 3.4 * nrows + 0.6), squeeze=False
    )
    missing_any = masked_any = False
    timeish = time in _YEAR_COLUMNS and all(isinstance(p, int | float | np.number) for p in panels)
    for ax, (p, values, hidden) in zip(axes.ravel(), per_panel, strict=False):
        missing, masked = _draw(ax, collection, values, hidden, classes, False)
        _outline(ax, profile, boundaries, level)
        missing_any |= missing
        masked_any |= masked
        ax.set_title(f"{p:.0f}年度" if timeish else str(p), loc="center")
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    fig.legend(
        handles=classes.handles(missing_any, masked_any),
        title=_legend_title(label, classes.unit),
        loc="outside right upper",
    )
    if source:
        fig.supxlabel(source, x=0.99, ha="right", fontsize=style.note_size(), color="#555555")
    return fig
