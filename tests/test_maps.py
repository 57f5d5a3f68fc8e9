"""ebpmkit.maps: choropleths from a tiny GeoJSON (a hole, a multipolygon), the fictional map,
Shapefiles in cp932, and clear errors for bad input."""

from __future__ import annotations

import json
import math
import zipfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapefile

import ebpmkit
from ebpmkit import ParameterError, maps

LON, LAT = 139.70, 35.60


def sq(x0, y0, x1, y1, clockwise=False):
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    ring = ring[::-1] if clockwise else ring
    return [[LON + x / 100, LAT + y / 100] for x, y in ring]


def pt(x, y):
    return (LON + x / 100, LAT + y / 100)


def tiny_geojson() -> dict:
    """A1: a square with a hole (hole drawn the wrong way round on purpose);
    B2: a multipolygon, an island in A1's hole plus a square to the east; C3: north of A1."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "A1", "name": "穴あき町"},
                "geometry": {"type": "Polygon", "coordinates": [sq(0, 0, 4, 4), sq(1, 1, 3, 3)]},
            },
            {
                "type": "Feature",
                "properties": {"code": "B2", "name": "飛び地町"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[sq(1.5, 1.5, 2.5, 2.5)], [sq(5, 0, 6, 1)]],
                },
            },
            {
                "type": "Feature",
                "properties": {"code": "C3", "name": "北町"},
                "geometry": {"type": "Polygon", "coordinates": [sq(0, 4, 4, 6)]},
            },
        ],
    }


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.geojson"
    path.write_text(json.dumps(tiny_geojson(), ensure_ascii=False), encoding="utf-8")
    return maps.read_boundaries(path)


def _pixel(ax, x, y) -> tuple[int, int, int]:
    """The colour drawn at a map point."""
    fig = ax.figure
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    px, py = ax.transData.transform(pt(x, y))
    return tuple(int(c) for c in rgba[int(rgba.shape[0] - py), int(px), :3])


def _rgb(colour) -> tuple[int, int, int]:
    return tuple(int(round(c * 255)) for c in plt.matplotlib.colors.to_rgb(colour))


def _close(a, b, tol=3) -> bool:
    return all(abs(i - j) <= tol for i, j in zip(a, b, strict=True))


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------------------------
# Geometry: holes and multipolygons
# --------------------------------------------------------------------------------------------
def test_hole_stays_empty_and_multipolygon_has_both_parts(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2", "C3"], "v": [10.0, 20.0, 30.0]})
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny, breaks=[15, 25])
    low, mid, _ = (_rgb(h.get_facecolor()) for h in ax.get_legend().legend_handles)
    assert _close(_pixel(ax, 0.5, 0.5), low)  # A1's ring
    assert _close(_pixel(ax, 1.2, 1.2), (255, 255, 255))  # A1's hole is empty
    assert _close(_pixel(ax, 2, 2), mid)  # B2's island inside the hole
    assert _close(_pixel(ax, 5.5, 0.5), mid)  # B2's other part
    assert _close(_pixel(ax, 4.5, 0.5), (255, 255, 255))  # between B2's parts
    # longitude/latitude: the map is stretched so a degree of latitude looks right
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(LAT + 0.03)), rel=1e-3)


def test_names_on_request_sit_inside_their_area(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2", "C3"], "v": [1, 2, 3]})
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny, labels=True)
    where = {
        t.get_text(): t.get_position() for t in ax.texts if not t.get_text().startswith("出典")
    }
    assert set(where) == {"穴あき町", "飛び地町", "北町"}
    x, y = where["穴あき町"]
    assert not (pt(1, 1)[0] < x < pt(3, 3)[0] and pt(1, 1)[1] < y < pt(3, 3)[1])  # not in the hole


def test_missing_and_suppressed_areas_are_shown_as_such(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2"], "v": ["1,200", "X"]})  # e-Stat style text
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny)
    labels = _legend(ax)
    assert maps.MISSING_LABEL in labels and maps.SUPPRESSED_LABEL in labels
    colours = ax.collections[0].get_facecolors()
    assert len(ax.collections[0].get_paths()) == 2  # A1 and C3 (no data)
    assert len(ax.collections[1].get_paths()) == 1  # B2, hatched
    assert ax.collections[1].get_hatch() == "////"
    assert tuple(np.round(colours[1][:3], 3)) == tuple(
        np.round(plt.matplotlib.colors.to_rgb("#d9d9d9"), 3)
    )


def test_suppressed_by_column_or_codes(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2", "C3"], "v": [1, 2, 3], "hide": [False, True, False]})
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny, suppressed="hide")
    assert maps.SUPPRESSED_LABEL in _legend(ax)
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny, suppressed=["C3"])
    assert len(ax.collections[1].get_paths()) == 1


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------
def test_quantile_and_equal_classes():
    values = np.arange(1, 101)
    assert list(maps.classify(values, k=4)) == [26.0, 50.0, 75.0]
    assert list(maps.classify(values, scheme="equal", k=4)) == [26.0, 50.0, 75.0]
    skewed = [1, 1, 1, 1, 2, 3, 100]
    assert len(maps.classify(skewed, k=5)) < 4  # ties merge classes
    assert len(maps.classify([5, 5, 5])) == 0


def test_fixed_breaks_and_their_legend(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2", "C3"], "v": [50, 150, 400]})
    ax = maps.choropleth(frame, value="v", area="code", boundaries=tiny, breaks=[100, 200, 300])
    assert _legend(ax)[:4] == ["100 未満", "100 〜 200", "200 〜 300", "300 以上"]


def test_bad_breaks():
    with pytest.raises(ParameterError, match="小さい順"):
        maps.classify([1, 2], breaks=[3, 2])
    with pytest.raises(ParameterError, match="scheme"):
        maps.classify([1, 2], scheme="jenks")


def test_legend_title_and_units_on_the_fictional_map():
    frame = pd.DataFrame(
        {"district_code": ["D01", "D02", "D03"], "population": [90_000, 120_000, 150_000]}
    )
    ax = maps.choropleth(frame, value="population", profile="town")
    assert ax.get_legend().get_title().get_text() == "人口(万人)"
    assert _legend(ax)[0].startswith("9 〜")
    assert maps.MISSING_LABEL in _legend(ax)  # the town has 8 districts


# --------------------------------------------------------------------------------------------
# The synthetic municipality
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def town():
    return ebpmkit.load("town", scale=0.02, progress=False)


def test_counts_per_district_and_chome(town):
    ry = town.resident_years
    now = ry[ry["fiscal_year"] == ry["fiscal_year"].max()]
    ax = maps.choropleth(now, profile=town, labels=True)
    assert ax.get_legend().get_title().get_text() == "人数(人)"
    assert len(ax.collections[0].get_paths()) == len(town.districts)
    assert {t.get_text() for t in ax.texts} >= set(town.districts["district_name"])
    ax = maps.choropleth(now, area="chome_code", profile=town)
    assert len(ax.collections[0].get_paths()) == len(town.chome)
    ax = maps.choropleth(town.households, area="area", profile=town)
    assert ax.get_legend().get_title().get_text() == "世帯数(世帯)"


def test_small_multiples_share_classes(town):
    ry = town.resident_years
    years = sorted(ry["fiscal_year"].unique())[::4]
    fig = maps.small_multiples(ry, years=years, profile="town", ncols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [f"{y}年度" for y in years]
    assert len(fig.legends) == 1
    with pytest.raises(ParameterError, match="1999"):
        maps.small_multiples(ry, years=[1999], profile="town")


# --------------------------------------------------------------------------------------------
# Shapefiles (e-Stat small areas are cp932)
# --------------------------------------------------------------------------------------------
def _estat_shapefile(folder, encoding="cp932"):
    path = folder / "r2ka13101.shp"
    with shapefile.Writer(str(path), shapeType=shapefile.POLYGON, encoding=encoding) as w:
        w.field("KEY_CODE", "C", size=11)
        w.field("S_NAME", "C", size=40)
        w.field("JINKO", "N", size=9)
        # Shapefile rings: outer clockwise, hole counter-clockwise
        w.poly([sq(0, 0, 4, 4, clockwise=True), sq(1, 1, 3, 3)])
        w.record("131010010", "丸の内一丁目", 120)
        w.poly([sq(0, 4, 4, 6, clockwise=True)])
        w.record("131010020", "丸の内二丁目", 80)
    return path


def test_shapefile_in_cp932_is_read_without_naming_the_encoding(tmp_path):
    path = _estat_shapefile(tmp_path)
    fc = maps.read_boundaries(path)
    props = [f["properties"] for f in fc["features"]]
    assert [p["code"] for p in props] == ["131010010", "131010020"]
    assert [p["name"] for p in props] == ["丸の内一丁目", "丸の内二丁目"]
    data = pd.DataFrame({"KEY_CODE": [131010010, 131010020], "JINKO": [120, 80]})
    ax = maps.choropleth(data, value="JINKO", area="KEY_CODE", boundaries=fc, labels=True)
    assert _close(_pixel(ax, 2, 2), (255, 255, 255))  # the hole, from a clockwise Shapefile ring
    assert not _close(_pixel(ax, 0.5, 0.5), (255, 255, 255))


def test_zipped_shapefile(tmp_path):
    path = _estat_shapefile(tmp_path)
    archive = tmp_path / "estat.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for suffix in (".shp", ".shx", ".dbf"):
            z.write(path.with_suffix(suffix), path.with_suffix(suffix).name)
    fc = maps.read_boundaries(archive, code="KEY_CODE", name="S_NAME")
    assert fc["features"][1]["properties"]["name"] == "丸の内二丁目"


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def test_unknown_district_code():
    frame = pd.DataFrame({"district_code": ["D01", "D99"], "v": [1, 2]})
    with pytest.raises(ParameterError) as err:
        maps.choropleth(frame, value="v", profile="town")
    assert str(err.value).startswith(
        "地図にない地域コードがあります(引数 'area' の列 'district_code'): D99"
    )
    assert "D01, D02, D03, ..., D08" in str(err.value)


def test_missing_columns_list_the_columns():
    frame = pd.DataFrame({"district_code": ["D01"], "v": [1]})
    with pytest.raises(ParameterError, match="使える列: district_code, v"):
        maps.choropleth(frame, value="population", profile="town")
    with pytest.raises(ParameterError, match="使える列: district_code, v"):
        maps.choropleth(frame, area="chome_code", profile="town")


def test_text_is_not_a_value(tiny):
    frame = pd.DataFrame({"code": ["A1", "B2"], "v": ["多い", "少ない"]})
    with pytest.raises(ParameterError, match="数値ではない値"):
        maps.choropleth(frame, value="v", area="code", boundaries=tiny)


def test_several_rows_per_area_and_several_years(town):
    with pytest.raises(ParameterError, match="複数の年度"):
        maps.choropleth(town.resident_years, profile="town")
    frame = pd.DataFrame({"district_code": ["D01", "D01"], "age": [30, 40]})
    with pytest.raises(ParameterError, match="estimator='sum'"):
        maps.choropleth(frame, value="age", profile="town")
    ax = maps.choropleth(frame, value="age", estimator="mean", profile="town")
    assert ax.get_legend() is not None


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("broken.geojson", "{not json", "GeoJSON"),
        ("list.json", "[1, 2]", "FeatureCollection"),
        (
            "points.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"code": "P"},
                            "geometry": {"type": "Point", "coordinates": [0, 0]},
                        }
                    ],
                }
            ),
            "多角形",
        ),
        ("map.kml", "<kml/>", "形式が分かりません"),
        ("bad.shp", "not a shapefile", "Shapefile として読めません"),
    ],
)
def test_unreadable_boundary_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ParameterError, match=match) as err:
        maps.read_boundaries(path)
    assert str(err.value).startswith("引数 'path' の境界ファイル")


def test_missing_file_and_missing_dbf(tmp_path):
    with pytest.raises(ParameterError, match="見つかりません"):
        maps.read_boundaries(tmp_path / "nothing.geojson")
    path = _estat_shapefile(tmp_path)
    path.with_suffix(".dbf").unlink()
    with pytest.raises(ParameterError, match="読めません"):
        maps.read_boundaries(path)


def test_code_attribute_must_exist(tmp_path):
    path = _estat_shapefile(tmp_path)
    with pytest.raises(ParameterError, match="KEY_CODE, S_NAME, JINKO"):
        maps.read_boundaries(path, code="CITY")


def test_boundaries_must_be_a_feature_collection():
    with pytest.raises(ParameterError, match="read_boundaries"):
        maps.choropleth(pd.DataFrame({"district_code": ["D01"]}), boundaries="map.geojson")
