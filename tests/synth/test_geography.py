"""The fictional map: shipped files match a fresh build, counts, areas, contiguity, names, errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from ebpmkit.errors import ParameterError, ProfileError
from ebpmkit.synth import geography
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import builtin_profiles, load_profile

EXPECTED = {
    # profile: (areas, districts, chome, towns)
    "urban-ward": (5, 22, 88, 27),
    "regional-city": (5, 16, 64, 40),
    "town": (3, 8, 30, 14),
    "designated-city": (24, 116, 580, 260),
}


@functools.cache
def fresh_text(name: str) -> str:
    """A from-scratch build of a built-in profile's map, as the shipped file would be written."""
    spec = geography._spec(load_profile(name))
    return geography._dumps(geography._collection(spec, name))


@functools.cache
def tables(name: str):
    return geography.simulate(SimContext(load_profile(name), seed=3, scale=0.05))


def rings(feature):
    geom = feature["geometry"]
    polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return polygons


def shoelace(ring) -> float:
    xy = np.asarray(ring)
    return 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


def polygon_km2(feature) -> float:
    return sum(sum(shoelace(r) for r in polygon) for polygon in rings(feature))


def write_profile(tmp_path, name: str, geography_toml: str):
    path = tmp_path / f"{name}.toml"
    path.write_text('extends = "urban-ward"\n\n[geography]\n' + geography_toml, encoding="utf-8")
    return load_profile(path)


# -- shipped files ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", builtin_profiles())
def test_shipped_map_equals_a_fresh_build(name):
    """Also the determinism test: the shipped file was built in another process."""
    text = fresh_text(name)
    shipped = (geography._DATA_DIR / f"{name}.geojson").read_text(encoding="utf-8")
    assert shipped == text, (
        f"ebpmkit/synth/data/{name}.geojson is out of date: run `python -m ebpmkit.synth.geography`"
    )
    assert len(shipped.encode()) < 1_000_000


# -- tables -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", builtin_profiles())
def test_counts_codes_and_names(name):
    n_areas, n_districts, n_chome, n_towns = EXPECTED[name]
    out = tables(name)
    districts, chome = out["districts"], out["chome"]
    assert list(districts.columns) == [
        c.column for c in geography.COLUMNS if c.table == "districts"
    ]
    assert list(chome.columns) == [c.column for c in geography.COLUMNS if c.table == "chome"]
    assert len(districts) == n_districts and len(chome) == n_chome
    assert chome["town_name"].nunique() == n_towns
    assert districts["area"].nunique() == n_areas
    # two digits, three from 100 districts (a designated city), so the codes sort in order
    width = 2 if n_districts < 100 else 3
    assert list(districts["district_code"]) == [
        f"D{i:0{width}d}" for i in range(1, n_districts + 1)
    ]
    assert districts["district_code"].is_monotonic_increasing
    assert list(chome["chome_code"]) == [f"C{i:03d}" for i in range(1, n_chome + 1)]
    assert districts["district_name"].is_unique and chome["chome_name"].is_unique
    assert districts["district_name"].str.endswith("住区").all()
    # codes run by area, then district: the area order is the profile's order
    areas = list(load_profile(name).get("geography.areas"))
    assert districts["area"].cat.codes.is_monotonic_increasing
    assert list(districts["area"].cat.categories) == areas
    assert chome["district_code"].is_monotonic_increasing
    # chome names: town name + kanji numeral 丁目, or the town name alone for a one-chome town
    for town, group in chome.groupby("town_name", observed=True):
        if len(group) == 1:
            assert group["chome_name"].iloc[0] == town
        else:
            expected = [f"{town}{geography._kanji_number(k)}丁目" for k in range(1, len(group) + 1)]
            assert list(group["chome_name"]) == expected
    # the chome's area is its district's area
    area_of = dict(zip(districts["district_code"], districts["area"].astype(str), strict=True))
    assert (chome["district_code"].map(area_of) == chome["area"].astype(str)).all()
    names = [*districts["district_name"], *chome["town_name"].cat.categories]
    assert not any(geography._is_real(n.removesuffix("住区")) for n in names)


@pytest.mark.parametrize("name", builtin_profiles())
def test_areas_match_the_profile(name):
    profile = load_profile(name)
    total = profile.number("geography.total_km2")
    targets = dict(
        zip(profile.get("geography.areas"), profile.numbers("geography.area_km2"), strict=True)
    )
    out = tables(name)
    districts, chome = out["districts"], out["chome"]
    assert districts["area_km2"].sum() == pytest.approx(total, rel=1e-3)
    assert chome["area_km2"].sum() == pytest.approx(total, rel=1e-3)
    by_area = districts.groupby("area", observed=True)["area_km2"].sum()
    for area, km2 in targets.items():
        assert by_area[area] == pytest.approx(km2, rel=0.15)
    chome_sum = chome.groupby("district_code")["area_km2"].sum()
    np.testing.assert_allclose(chome_sum.to_numpy(), districts["area_km2"].to_numpy(), rtol=1e-3)
    assert chome["area_km2"].min() > 0.1 * chome["area_km2"].median()  # no slivers


def test_area_names_are_placed_by_direction():
    d = tables("urban-ward")["districts"]
    c = d.groupby("area", observed=True)[["centroid_x_km", "centroid_y_km"]].mean()
    assert (
        c.loc["北部", "centroid_y_km"]
        > c.loc["中央", "centroid_y_km"]
        > c.loc["南部", "centroid_y_km"]
    )
    assert (
        c.loc["東部", "centroid_x_km"]
        > c.loc["中央", "centroid_x_km"]
        > c.loc["西部", "centroid_x_km"]
    )
    assert np.hypot(*c.loc["中央"]) == np.hypot(c["centroid_x_km"], c["centroid_y_km"]).min()
    # an area whose name has no direction takes a free compass point (湖岸部: the west)
    r = tables("regional-city")["districts"]
    rc = r.groupby("area", observed=True)[["centroid_x_km"]].mean()
    assert rc["centroid_x_km"].idxmin() == "湖岸部"


# -- boundaries -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", builtin_profiles())
@pytest.mark.parametrize("level", geography.LEVELS)
def test_polygons_are_valid_and_add_up(name, level):
    total = load_profile(name).number("geography.total_km2")
    lonlat = geography.boundaries(name, level)
    km = geography.boundaries(name, level, coords="km")
    assert lonlat["type"] == "FeatureCollection"
    n_expected = {"area": 0, "district": 1, "chome": 2}[level]
    assert len(lonlat["features"]) == EXPECTED[name][n_expected]
    codes = [f["properties"]["code"] for f in lonlat["features"]]
    assert len(set(codes)) == len(codes)
    for f in lonlat["features"]:
        assert f["properties"]["level"] == level
        assert {"code", "name", "area", "area_km2"} <= set(f["properties"])
        # every unit is one contiguous polygon
        assert f["geometry"]["type"] == "Polygon", f["properties"]
        for polygon in rings(f):
            for i, ring in enumerate(polygon):
                assert len(ring) >= 4 and ring[0] == ring[-1]
                assert (shoelace(ring) > 0) == (i == 0)  # outer counter-clockwise, holes clockwise
            lon, lat = np.asarray(polygon[0]).T
            assert 140 < lon.min() and lon.max() < 143 and 33 < lat.min() and lat.max() < 36
    polygon_areas = np.array([polygon_km2(f) for f in km["features"]])
    raster_areas = np.array([f["properties"]["area_km2"] for f in km["features"]])
    assert polygon_areas.sum() == pytest.approx(total, rel=0.03)
    np.testing.assert_allclose(polygon_areas, raster_areas, rtol=0.08)


def test_district_centroids_lie_in_their_polygons():
    km = geography.boundaries("urban-ward", "district", coords="km")
    for f in km["features"]:
        ring = np.asarray(f["geometry"]["coordinates"][0])
        cx, cy = f["properties"]["centroid_x_km"], f["properties"]["centroid_y_km"]
        assert ring[:, 0].min() < cx < ring[:, 0].max() and ring[:, 1].min() < cy < ring[:, 1].max()


def test_boundaries_and_tables_agree():
    out = tables("urban-ward")
    fc = geography.boundaries("urban-ward", "chome")
    props = [f["properties"] for f in fc["features"]]
    assert [p["code"] for p in props] == list(out["chome"]["chome_code"])
    assert [p["name"] for p in props] == list(out["chome"]["chome_name"])
    assert [p["town_name"] for p in props] == list(out["chome"]["town_name"].astype(str))


def test_bad_level_and_coords_name_the_choices():
    with pytest.raises(
        ParameterError, match=r"'level' parameter must be one of 'area', 'district', 'chome'"
    ):
        geography.boundaries("urban-ward", level="ward")
    with pytest.raises(ParameterError, match=r"'coords' parameter must be one of 'lonlat', 'km'"):
        geography.boundaries("urban-ward", coords="utm")


# -- user profiles ----------------------------------------------------------------------------
def test_user_profile_builds_on_the_fly(tmp_path):
    # unnamed areas, fewer towns than districts (towns then cross district borders)
    profile = write_profile(
        tmp_path,
        "my-town",
        'layout_seed = 5\ntotal_km2 = 30.0\nareas = ["山側", "川側", "駅前"]\n'
        "area_km2 = [12.0, 10.0, 8.0]\ndistricts_per_area = [3, 2, 2]\nchome_count = 20\ntown_count = 5\n",
    )
    out = geography.simulate(SimContext(profile, seed=1, scale=0.1))
    assert len(out["districts"]) == 7 and len(out["chome"]) == 20
    assert out["chome"]["town_name"].nunique() == 5
    assert out["districts"]["district_name"].is_unique and out["chome"]["chome_name"].is_unique
    assert out["districts"]["area_km2"].sum() == pytest.approx(30.0, rel=1e-3)
    fc = geography.boundaries(profile, "district")
    assert fc["name"] == "my-town"
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])


def test_profile_extending_a_builtin_reuses_its_shipped_map(tmp_path):
    path = tmp_path / "copy.toml"
    path.write_text('extends = "urban-ward"\n', encoding="utf-8")
    fc = geography.boundaries(load_profile(path), "area")
    assert fc["name"] == "copy"
    assert fc["features"] == geography.boundaries("urban-ward", "area")["features"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("districts_per_area = [4, 4, 5, 4]\n", "must list 5 numbers"),
        ("area_km2 = [3.0, 2.6, 2.59, 2.27, 9.0]\n", "must add up to total_km2"),
        ("chome_count = 10\n", "at least the number of districts"),
        ("town_count = 100\n", "must not exceed chome_count"),
        ('areas = ["北部", "北部", "中央", "南部", "西部"]\n', "different names"),
    ],
)
def test_inconsistent_geography_is_a_profile_error(tmp_path, toml, message):
    profile = write_profile(tmp_path, "bad", toml)
    with pytest.raises(ProfileError, match=message):
        geography.check_profile(profile)
    with pytest.raises(ProfileError, match=message):
        geography.boundaries(profile)


def test_too_many_units_for_an_area_is_a_profile_error(tmp_path):
    profile = write_profile(
        tmp_path,
        "crowded",
        "area_km2 = [0.02, 2.6, 2.59, 2.27, 7.19]\ndistricts_per_area = [40, 4, 5, 4, 5]\n",
    )
    with pytest.raises(ProfileError, match="no room for 40 districts in the area 北部"):
        geography.boundaries(profile)


def test_kanji_numerals():
    assert [geography._kanji_number(n) for n in (1, 2, 9, 10, 11, 20, 34)] == [
        "一",
        "二",
        "九",
        "十",
        "十一",
        "二十",
        "三十四",
    ]
