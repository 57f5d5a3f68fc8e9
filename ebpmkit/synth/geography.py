"""The fictional map of the municipality: areas > districts (住区) > chome (町丁).

The map is built from the profile's ``[geography]`` section alone and is fixed by its
``layout_seed`` (drawn from ``np.random.default_rng(layout_seed)``, not from the data seed), so
the same profile always has the same map whatever seed the data are generated with.

How it is built:

1. A noisy blob (a polar outline with random harmonics, warped by smooth noise) is rasterised
   on a grid of about 60,000 cells covering the municipality (200 per chome when that is more).
2. Every cell is given an area, a district and a chome. Each level is a power diagram (Voronoi
   cells with additive weights) computed in coordinates warped by smooth noise, nested in the
   level above: area seeds sit where the area's name points (北部 north, 中央 centre ...), and
   the weights are tuned until each area's size matches ``area_km2``; district and chome seeds
   come from a few k-means steps inside their parent. Pieces cut off from their unit are given
   to a neighbour, so every unit is one contiguous region.
3. Each unit's outline is traced from the raster with contourpy (marching squares), smoothed and
   simplified (Douglas-Peucker, tolerance 0.3 cell), so neighbours share their edges up to a few
   metres. Coordinates are kilometres in a local plane (x east, y north, origin at the
   municipality's centroid), scaled so the raster's total area is exactly ``total_km2``; unit
   areas (``area_km2``) are counted on the raster.
4. Longitude and latitude place that plane at a fixed, fictional origin in the Pacific Ocean
   (:data:`ORIGIN_LONLAT`, equirectangular projection), so the map can never be mistaken for a
   real place.

The maps of the built-in profiles are shipped as ``ebpmkit/synth/data/<profile>.geojson`` (all
three levels in one file, a ``level`` property on each feature) and regenerated with
``python -m ebpmkit.synth.geography``; :func:`boundaries` reads them when the profile's
geography matches and builds the map on the fly otherwise (about a second).

Examples
--------
>>> fc = boundaries("town", level="area")
>>> [f["properties"]["name"] for f in fc["features"]]
['北部', '中部', '南部']
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import contourpy
import numpy as np
import pandas as pd

from ebpmkit.errors import ProfileError, check_choice
from ebpmkit.messages import message
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile, builtin_profiles, load_profile

__all__ = [
    "COLUMNS",
    "LEVELS",
    "ORIGIN_LONLAT",
    "PARAMETERS",
    "ROLES",
    "TABLES",
    "boundaries",
    "build_map",
    "check_profile",
    "simulate",
    "write_builtin_maps",
]

#: Bump when the algorithm changes: the shipped maps then no longer match and must be rebuilt.
MAP_VERSION = 1

#: Longitude and latitude of the local plane's origin: open sea east of Japan, chosen so the
#: fictional map never sits on a real place.
ORIGIN_LONLAT = (141.5, 34.5)

#: The levels of :func:`boundaries`, coarsest first.
LEVELS = ("area", "district", "chome")

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320 * math.cos(math.radians(ORIGIN_LONLAT[1]))
_LONLAT_DECIMALS = 5
_KM_DECIMALS = 4
_TARGET_CELLS = 60_000
#: A map with many chome (a designated city) gets a finer grid: at least this many cells per
#: chome, so small chome keep their outline's area when it is smoothed.
_CELLS_PER_CHOME = 200
#: At most this many areas: a designated city's 24 administrative wards fit, with room to spare.
_MAX_AREAS = 30
_SIMPLIFY_CELLS = 0.3
_DATA_DIR = resources.files("ebpmkit.synth") / "data"

TABLES = {
    "districts": "住区(地域のまとまり、おおむね小学校区)の一覧。架空の地図から作成",
    "chome": "町丁(町名と丁目)の一覧と、属する住区・地区。架空の地図から作成",
}

_AREA_NOTE = (
    "架空の地図から計算(自治体全体の面積と地区の面積はプロファイルの値に合わせ、"
    "住区・町丁の形と大きさは仮定)"
)
_AREA_KM2 = SharedColumn("area_km2", "float64", "面積", "land area", "km²")

COLUMNS = [
    shared(
        "district_code",
        "districts",
        "住区を識別するコード(D01, D02 ...)。地区順、地区内は北から",
        dtype="str",
    ),
    Column(
        "districts", "district_name", "str", "住区名", "district name", "", "住区の名前(架空の地名)"
    ),
    shared("area", "districts", "住区が属する地区(北部・中央など)"),
    _AREA_KM2.at("districts", f"住区の面積。{_AREA_NOTE}"),
    Column(
        "districts",
        "centroid_x_km",
        "float64",
        "重心の東西位置",
        "centroid x",
        "km",
        "住区の重心の位置(自治体の重心から東へ何km)。架空の平面座標",
    ),
    Column(
        "districts",
        "centroid_y_km",
        "float64",
        "重心の南北位置",
        "centroid y",
        "km",
        "住区の重心の位置(自治体の重心から北へ何km)。架空の平面座標",
    ),
    shared("chome_code", "chome", "町丁を識別するコード(C001, C002 ...)。住区順", dtype="str"),
    Column(
        "chome",
        "chome_name",
        "str",
        "町丁名",
        "chome name",
        "",
        "町丁の名前(例: 桜台二丁目)。丁目が一つだけの町は町名のみ",
    ),
    Column(
        "chome",
        "town_name",
        "category",
        "町名",
        "town name",
        "",
        "丁目をまとめた町の名前(架空の地名)",
    ),
    shared("district_code", "chome", "町丁が属する住区のコード", dtype="str"),
    shared("area", "chome", "町丁が属する地区"),
    _AREA_KM2.at("chome", f"町丁の面積。{_AREA_NOTE}"),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES): the map holds
#: no personal data.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {"districts": {}, "chome": {}}

PARAMETERS = [
    Param(
        "geography.layout_seed",
        low=0,
        high=2**32 - 1,
        ja="架空の地図を作る乱数の種。同じ値なら、生成の seed を変えても同じ地図(住区・町丁の形と人口の疎密)になる",
        when="none",
    ),
    Param(
        "geography.total_km2",
        low=0.5,
        high=5000,
        ja="自治体全体の面積。地区・住区・町丁の面積はこれを分けて作る",
        unit="km²",
        when="none",
    ),
    Param(
        "geography.area_km2",
        kind="numbers",
        low=0.01,
        ja="地区ごとの面積(geography.areas と同じ順)",
        unit="km²",
        when="none",
    ),
    Param(
        "geography.districts_per_area",
        kind="numbers",
        low=1,
        high=60,
        ja="地区ごとの住区の数(geography.areas と同じ順)",
        unit="個",
        when="none",
    ),
    Param(
        "geography.chome_count",
        low=1,
        high=600,
        ja="町丁(丁目)の数。住区に分けて割り当てる",
        unit="個",
        when="none",
    ),
    Param(
        "geography.town_count",
        low=1,
        high=600,
        ja="町名の数(いくつかの町丁が同じ町名の1丁目・2丁目…になる)",
        unit="個",
        when="none",
    ),
    Param(
        "geography.areas",
        "texts",
        ja="地区の名前のリスト(1～30個。政令指定都市では行政区)。地区ごとの項目はこの順に値を並べる",
        when="none",
    ),
]


# --------------------------------------------------------------------------------------------
# Profile figures
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    layout_seed: int
    total_km2: float
    areas: tuple[str, ...]
    area_km2: tuple[float, ...]
    districts_per_area: tuple[int, ...]
    chome_count: int
    town_count: int

    @property
    def digest(self) -> str:
        blob = json.dumps(
            [MAP_VERSION, self.__dict__], sort_keys=True, ensure_ascii=False, default=list
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _spec(profile: Profile) -> _Spec:
    """Read and cross-check the ``[geography]`` figures."""
    profile.validate(PARAMETERS)
    where = profile.origin
    areas = profile.get("geography.areas")
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) and a for a in areas):
        raise ProfileError(message("geography.areas", found=repr(areas), origin=where))
    if len(set(areas)) != len(areas) or len(areas) > _MAX_AREAS:
        raise ProfileError(message("geography.areas_distinct", found=repr(areas), origin=where))
    n = len(areas)
    area_km2 = profile.numbers("geography.area_km2", low=0.01, length=n)
    per_area = profile.numbers("geography.districts_per_area", low=1, high=60, length=n)
    if not np.all(per_area == np.round(per_area)):
        raise ProfileError(
            message("geography.districts_whole", found=repr(per_area.tolist()), origin=where)
        )
    total = profile.number("geography.total_km2", low=0.5, high=5000)
    if abs(area_km2.sum() - total) > 0.05 * total:
        raise ProfileError(
            message(
                "geography.area_sum",
                total=f"{total:g}",
                found=f"{area_km2.sum():g}",
                origin=where,
            )
        )
    n_districts = int(per_area.sum())
    chome = int(profile.number("geography.chome_count", low=1, high=600))
    towns = int(profile.number("geography.town_count", low=1, high=600))
    if chome < n_districts:
        raise ProfileError(
            message("geography.chome_count", districts=n_districts, found=chome, origin=where)
        )
    if towns > chome:
        raise ProfileError(message("geography.town_count", chome=chome, found=towns, origin=where))
    return _Spec(
        layout_seed=int(profile.number("geography.layout_seed")),
        total_km2=float(total),
        areas=tuple(areas),
        area_km2=tuple(float(a) for a in area_km2),
        districts_per_area=tuple(int(d) for d in per_area),
        chome_count=chome,
        town_count=towns,
    )


def check_profile(profile: Profile) -> None:
    """Check the ``[geography]`` figures against each other (list lengths, totals, counts).

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> check_profile(load_profile("urban-ward"))
    """
    _spec(profile)


# --------------------------------------------------------------------------------------------
# Place names
# --------------------------------------------------------------------------------------------
# Nature words that Japanese place names are commonly built from (trees, flowers, birds,
# water, light, landforms). Combined with a landform suffix they give names such as 桜台,
# 若葉が丘, 梅坂, 泉町.
_STEMS = (
    "桜",
    "若葉",
    "青葉",
    "緑",
    "松",
    "梅",
    "柳",
    "藤",
    "楓",
    "椿",
    "桐",
    "萩",
    "竹",
    "杉",
    "桃",
    "栗",
    "橘",
    "榎",
    "樫",
    "楠",
    "欅",
    "朝日",
    "旭",
    "月見",
    "星",
    "光",
    "雲",
    "霞",
    "虹",
    "鈴",
    "鶴",
    "鷺",
    "鶯",
    "燕",
    "泉",
    "清水",
    "滝",
    "池",
    "岩",
    "白",
    "若",
    "花",
    "菜",
    "稲",
    "穂",
    "森",
    "林",
    "千草",
    "常盤",
    "宮",
    "浜",
    "陽",
    "春",
    "秋",
    "雪",
    "菊",
    "蓮",
    "葵",
    "紅葉",
    "若松",
    "松風",
    "白鷺",
    "玉",
    "豊",
    "栄",
    "幸",
    "和",
    "篠",
    "萱",
    "芦",
    "菅",
    "茅",
    "芝",
    "麦",
    "鷹",
    "駒",
    "鹿",
    "亀",
    "柿",
    "梨",
    "椎",
    "檜",
    "蛍",
    "百合",
    "桂",
    "杏",
    "石",
    "風",
    "汐",
    "湊",
    "緑葉",
    "瑞",
    "美園",
    "草",
)
_SUFFIXES = ("台", "町", "丘", "が丘", "坂", "原", "野", "平", "谷", "沢", "山", "森", "里", "見")
_SUFFIX_WEIGHTS = np.array([14, 18, 8, 8, 7, 8, 8, 5, 6, 6, 4, 3, 3, 2], dtype=float)

# Tokyo's wards, cities, towns and villages: never used as (part of) a fictional name.
_REAL_NAMES = (
    "千代田",
    "中央",
    "港",
    "新宿",
    "文京",
    "台東",
    "墨田",
    "江東",
    "品川",
    "目黒",
    "大田",
    "世田谷",
    "渋谷",
    "中野",
    "杉並",
    "豊島",
    "北",
    "荒川",
    "板橋",
    "練馬",
    "足立",
    "葛飾",
    "江戸川",
    "八王子",
    "立川",
    "武蔵野",
    "三鷹",
    "青梅",
    "府中",
    "昭島",
    "調布",
    "町田",
    "小金井",
    "小平",
    "日野",
    "東村山",
    "国分寺",
    "国立",
    "福生",
    "狛江",
    "東大和",
    "清瀬",
    "東久留米",
    "武蔵村山",
    "多摩",
    "稲城",
    "羽村",
    "あきる野",
    "西東京",
    "瑞穂",
    "日の出",
    "檜原",
    "奥多摩",
    "大島",
    "利島",
    "新島",
    "神津島",
    "三宅",
    "御蔵島",
    "八丈",
    "青ヶ島",
    "小笠原",
)

_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 40 -> 四十 (1 to 99)."""
    tens, ones = divmod(n, 10)
    text = ""
    if tens:
        text += ("" if tens == 1 else _KANJI_DIGITS[tens]) + "十"
    if ones:
        text += _KANJI_DIGITS[ones]
    return text


def _is_real(name: str) -> bool:
    return any(name == real or (len(real) > 1 and real in name) for real in _REAL_NAMES)


def _place_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """``count`` new fictional names, each stem used once before any is reused."""
    stems = [str(s) for s in rng.permutation(np.array(_STEMS))]
    weights = _SUFFIX_WEIGHTS / _SUFFIX_WEIGHTS.sum()
    names: list[str] = []
    tries = 0
    while len(names) < count:
        stem = stems[tries % len(stems)]
        tries += 1
        if tries > 50 * (count + len(stems)):  # pragma: no cover - only for absurd counts
            raise ProfileError(message("geography.place_names", count=count))
        for suffix in rng.choice(np.array(_SUFFIXES), size=6, p=weights):
            name = stem + str(suffix)
            if stem.endswith(str(suffix)[0]) or name in taken or _is_real(name):
                continue
            names.append(name)
            taken.add(name)
            break
    return names


# --------------------------------------------------------------------------------------------
# Raster
# --------------------------------------------------------------------------------------------
def _fft_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (fast for FFT)."""
    best = 1 << (n - 1).bit_length()
    for a in (1, 3, 5, 9, 15, 25, 27, 45, 75, 81):
        size = a
        while size < n:
            size *= 2
        best = min(best, size)
    return best


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma_cells: float) -> np.ndarray:
    """Smooth Gaussian noise with unit standard deviation (white noise low-passed by FFT).

    Wide noise is made on a coarser grid and interpolated bilinearly, which looks the same.
    """
    step = max(1, int(sigma_cells // 3))
    coarse = (_fft_size(shape[0] // step + 2), _fft_size(shape[1] // step + 2))
    white = rng.standard_normal(coarse)
    ky = np.fft.fftfreq(coarse[0])[:, None]
    kx = np.fft.rfftfreq(coarse[1])[None, :]
    gain = np.exp(-2.0 * (np.pi * sigma_cells / step) ** 2 * (kx**2 + ky**2))
    field = np.fft.irfft2(np.fft.rfft2(white) * gain, s=coarse)
    if step > 1:
        r = np.arange(shape[0]) / step
        c = np.arange(shape[1]) / step
        r0, c0 = r.astype(np.int64), c.astype(np.int64)
        fr, fc = (r - r0)[:, None], (c - c0)[None, :]
        top = field[r0][:, c0] * (1 - fc) + field[r0][:, c0 + 1] * fc
        bottom = field[r0 + 1][:, c0] * (1 - fc) + field[r0 + 1][:, c0 + 1] * fc
        field = top * (1 - fr) + bottom * fr
    else:
        field = field[: shape[0], : shape[1]]
    return field / field.std()


def _angle_gap(a: float, taken: list[float]) -> float:
    """Smallest angle between ``a`` and the ``taken`` angles (radians)."""
    return min(abs((a - t + math.pi) % (2 * math.pi) - math.pi) for t in taken)


def _area_directions(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Anchor direction of each area from its name; centre areas get (0, 0).

    Compass characters (北 東 南 西) point the way; 中 (中央, 中部, 中心部) is the centre.
    Other names take the free compass points, farthest from the taken ones first. Once the 16
    compass points are all taken (a designated city's many wards), the rest go to an inner
    ring at half the distance, again farthest from the taken inner points first.
    """
    compass = {"北": (0.0, 1.0), "東": (1.0, 0.0), "南": (0.0, -1.0), "西": (-1.0, 0.0)}
    n = len(names)
    angle: list[float | None] = [None] * n
    radius = np.ones(n)
    centre = np.zeros(n, dtype=bool)
    for i, name in enumerate(names):
        v = np.sum([compass[c] for c in set(name) if c in compass] or [(0.0, 0.0)], axis=0)
        if np.hypot(*v) > 1e-9:
            angle[i] = math.atan2(v[1], v[0])
        elif "中" in name and not centre.any():
            centre[i] = True
    if n == 1:
        centre[0] = True
    slots = [math.pi / 2 - k * math.pi / 2 for k in range(4)] + [
        math.pi / 4 - k * math.pi / 2 for k in range(4)
    ]
    slots += [math.pi / 2 - (k + 0.5) * math.pi / 4 for k in range(8)]
    inner_slots = [math.pi / 2 - (k + 0.5) * 2 * math.pi / 14 for k in range(14)]
    inner: list[float] = []
    for i in range(n):
        if angle[i] is not None or centre[i]:
            continue
        taken = [a for a in angle if a is not None]
        if not taken:
            angle[i] = slots[0]
            continue
        best = max(slots, key=lambda a, taken=taken: _angle_gap(a, taken))
        if _angle_gap(best, taken) < 1e-9:
            best = max(inner_slots, key=lambda a: _angle_gap(a, inner) if inner else 0.0)
            inner.append(best)
            radius[i] = 0.5
        angle[i] = best
    out = np.zeros((n, 2))
    for i, a in enumerate(angle):
        if a is not None and not centre[i]:
            out[i] = (radius[i] * math.cos(a), radius[i] * math.sin(a))
    return out, centre


def _components(labels: np.ndarray) -> np.ndarray:
    """4-connected components of equal labels >= 0: a component id per cell (-1 elsewhere).

    Cells are grouped into horizontal runs first; runs that touch vertically with the same
    label are then merged by label propagation with pointer jumping (all vectorised).
    """
    h, w = labels.shape
    flat = labels.ravel()
    start = np.ones(h * w, dtype=bool)
    start[1:] = flat[1:] != flat[:-1]
    start[::w] = True
    run = np.cumsum(start) - 1
    n = int(run[-1]) + 1
    grid = run.reshape(h, w)
    same = (labels[1:] == labels[:-1]) & (labels[1:] >= 0)
    pairs = np.unique(grid[1:][same] * n + grid[:-1][same])
    a, b = pairs // n, pairs % n
    parent = np.arange(n)
    while True:
        low = np.minimum(parent[a], parent[b])
        new = parent.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new[new]]
        if np.array_equal(new, parent):
            break
        parent = new
    return np.where(labels >= 0, parent[grid], -1)


def _neighbours(grid: np.ndarray, fill: int) -> np.ndarray:
    """The 4 neighbours of every cell, stacked on a new first axis."""
    pad = np.pad(grid, 1, constant_values=fill)
    return np.stack([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]])


def _despeckle(labels: np.ndarray, parent: np.ndarray, parent_of: np.ndarray) -> np.ndarray:
    """Give a cell to the label of 3 of its 4 neighbours (same parent): removes spurs and 1-cell necks."""
    for _ in range(2):
        nb = _neighbours(labels, -1)
        a, b, c, d = nb
        major = np.where(
            (a == b) & ((a == c) | (a == d)), a, np.where((c == d) & ((c == a) | (c == b)), c, -1)
        )
        ok = (major >= 0) & (labels >= 0) & (major != labels)
        ok &= parent_of[np.maximum(major, 0)] == parent
        labels = np.where(ok, major, labels)
    return labels


def _keep_largest(labels: np.ndarray, parent: np.ndarray, parent_of: np.ndarray) -> np.ndarray:
    """Give every piece cut off from its unit's largest piece to a neighbouring unit of the same parent."""
    comp = _components(labels)
    inside = labels >= 0
    size = np.bincount(comp[inside], minlength=comp.max() + 1)
    key = size[comp] * (comp.max() + 1) + comp  # unique per piece, larger pieces higher
    best = np.full(labels.max() + 1, -1, dtype=np.int64)
    np.maximum.at(best, labels[inside], key[inside])
    main = np.where(inside, key == best[np.maximum(labels, 0)], False)
    out = np.where(inside & ~main, -2, labels)
    while (out == -2).any():
        nb = _neighbours(out, -1)
        for k in range(4):
            take = (out == -2) & (nb[k] >= 0)
            take &= parent_of[np.maximum(nb[k], 0)] == parent
            out = np.where(take, nb[k], out)
            nb = _neighbours(out, -1)
    return out


def _sq_dist(points: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Squared distances, points x seeds."""
    dx = points[:, 0, None] - seeds[None, :, 0]
    dy = points[:, 1, None] - seeds[None, :, 1]
    return dx * dx + dy * dy


def _split(
    points: np.ndarray,
    k: int,
    rng: np.random.Generator,
    targets: np.ndarray,
    seeds: np.ndarray | None = None,
    tol: float = 0.03,
) -> np.ndarray:
    """Split cells into ``k`` power-diagram cells whose sizes approach the shares ``targets``."""
    m = len(points)
    if k == 1:
        return np.zeros(m, dtype=np.int64)
    if seeds is None:  # a few k-means steps from random cells spread the seeds evenly
        seeds = points[rng.choice(m, size=k, replace=False)].copy()
        for _ in range(8):
            lab = _sq_dist(points, seeds).argmin(1)
            n = np.bincount(lab, minlength=k)
            sums = np.column_stack(
                [np.bincount(lab, weights=points[:, i], minlength=k) for i in (0, 1)]
            )
            seeds = np.where(n[:, None] > 0, sums / np.maximum(n, 1)[:, None], seeds)
    dist = _sq_dist(points, seeds)
    spread = points.var(0).sum()
    weight = np.zeros(k)
    # Many small units (a designated city's wards) oscillate with the larger steps that suit a
    # few: their steps shrink with their share, and they get more of them.
    many = k > 16
    step = targets if many else np.sqrt(targets)
    for _ in range(400 if many else 80):
        lab = (dist - weight).argmin(1)
        share = np.bincount(lab, minlength=k) / m
        error = (targets - share) / targets
        if np.abs(error).max() < tol:
            break
        weight += 0.5 * spread * np.clip(error, -1, 1) * step
    return lab


def _allocate(total: int, weights: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
    """Whole numbers >= 1 (<= cap) adding up to ``total``, proportional to ``weights``."""
    count = np.ones(len(weights), dtype=np.int64)
    cap = np.full(len(weights), total) if cap is None else cap
    while count.sum() < total:
        room = np.where(count < cap, weights / count, -np.inf)
        count[int(np.argmax(room))] += 1
    return count


def _check_room(cells: int, k: int, what: str, figure: str) -> None:
    """Fail when ``k`` units (``what``, a message) cannot get 40 grid cells each."""
    if cells < 40 * k:
        raise ProfileError(message("geography.no_room", what=what, figure=figure))


@dataclass
class _Raster:
    area: np.ndarray  # grid of area index, -1 outside
    district: np.ndarray  # grid of district index (in code order)
    chome: np.ndarray  # grid of chome index (in code order)
    cell_km: float
    origin: tuple[float, float]  # grid (col, row) of the km origin
    district_area: np.ndarray  # area index of each district
    chome_district: np.ndarray  # district index of each chome


def _raster(spec: _Spec) -> _Raster:
    """Draw the map on a grid: the outline, then areas, districts inside areas, chome inside
    districts, each level numbered in code order.

    Every draw comes from one generator seeded by the layout seed, in the order of the stages.
    """
    rng = np.random.default_rng(spec.layout_seed)
    directions, centre = _area_directions(spec.areas)
    outline = _outline(rng, directions, centre)
    grid = _land(rng, outline, max(_TARGET_CELLS, _CELLS_PER_CHOME * spec.chome_count))
    areas = _area_level(rng, spec, grid, outline, directions)
    districts = _district_level(rng, spec, grid, areas)
    districts, cx, cy = _districts_in_code_order(grid, districts)
    chome = _chome_level(rng, spec, grid, districts)
    chome = _chome_in_code_order(grid, chome, cx, cy)
    return _Raster(
        area=areas.grid,
        district=districts.grid,
        chome=chome.grid,
        cell_km=math.sqrt(spec.total_km2 / len(grid.flat)),
        origin=(float(grid.cols.mean()), float(grid.rows.mean())),
        district_area=districts.parent,
        chome_district=chome.parent,
    )


@dataclass(frozen=True)
class _Outline:
    """The outline as a polar blob r(theta), stretched along the axis the area names spread over."""

    harmonics: np.ndarray
    amplitude: np.ndarray
    phase: np.ndarray
    sx: float  # stretch east-west
    sy: float  # stretch north-south

    def radius(self, theta: np.ndarray) -> np.ndarray:
        """The blob's radius (before stretching) at the angles ``theta``."""
        r = 1.0 + (self.amplitude * np.cos(self.harmonics * theta[..., None] + self.phase)).sum(-1)
        return np.clip(r, 0.6, 1.45)


def _outline(rng: np.random.Generator, directions: np.ndarray, centre: np.ndarray) -> _Outline:
    """Random harmonics of the outline; a municipality whose areas spread north-south is taller."""
    ring = directions[~centre]
    ratio = (
        np.sqrt((np.sum(ring[:, 1] ** 2) + 0.5) / (np.sum(ring[:, 0] ** 2) + 0.5))
        if len(ring)
        else 1.0
    )
    ratio = float(np.clip(ratio, 1 / 1.3, 1.3))
    harmonics = np.arange(2, 9)
    amplitude = rng.normal(0.0, 1.0, harmonics.size) * 0.13 / harmonics**0.8
    phase = rng.uniform(0, 2 * np.pi, harmonics.size)
    return _Outline(
        harmonics=harmonics,
        amplitude=amplitude,
        phase=phase,
        sx=1 / np.sqrt(ratio),
        sy=np.sqrt(ratio),
    )


def _warp(
    rng: np.random.Generator, shape: tuple[int, int], cell: float, scales: list[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth displacement fields: a sum of noise at each (wavelength, amplitude) scale."""
    wx, wy = np.zeros(shape), np.zeros(shape)
    for sigma, amp in scales:
        wx += amp * _noise(rng, shape, sigma / cell)
        wy += amp * _noise(rng, shape, sigma / cell)
    return wx, wy


@dataclass(frozen=True)
class _Grid:
    """The raster: cell centres (row i = y, north up; column j = x, east) and the land cells."""

    gx: np.ndarray
    gy: np.ndarray
    cell: float  # cell size in outline units
    mask: np.ndarray  # land cells
    flat: np.ndarray  # flat indices of the land cells
    rows: np.ndarray  # row of each land cell
    cols: np.ndarray  # column of each land cell

    @property
    def shape(self) -> tuple[int, int]:
        return self.gx.shape

    def level_coords(
        self, rng: np.random.Generator, scales: list[tuple[float, float]]
    ) -> np.ndarray:
        """Warped coordinates of the land cells, so a level's boundaries wiggle at ``scales``."""
        wx, wy = _warp(rng, self.shape, self.cell, scales)
        flat = self.flat
        return np.column_stack(
            [self.gx.ravel()[flat] + wx.ravel()[flat], self.gy.ravel()[flat] + wy.ravel()[flat]]
        )

    def to_grid(self, values: np.ndarray) -> np.ndarray:
        """A full grid with ``values`` on the land cells and -1 at sea."""
        grid = np.full(self.shape, -1, dtype=np.int64)
        grid.ravel()[self.flat] = values
        return grid


def _land(rng: np.random.Generator, outline: _Outline, cells: int) -> _Grid:
    """Size the grid to the blob (about ``cells`` cells) and mark the land: one piece, no
    holes, with sea all round the edge."""
    sx, sy = outline.sx, outline.sy
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    r = outline.radius(theta)
    blob_area = 0.5 * np.sum(r**2) * (2 * np.pi / theta.size) * sx * sy
    cell = np.sqrt(blob_area / cells)
    margin = 0.25
    x0, x1 = (r * np.cos(theta) * sx).min() - margin, (r * np.cos(theta) * sx).max() + margin
    y0, y1 = (r * np.sin(theta) * sy).min() - margin, (r * np.sin(theta) * sy).max() + margin
    nx, ny = int(np.ceil((x1 - x0) / cell)), int(np.ceil((y1 - y0) / cell))
    xs, ys = x0 + cell * np.arange(nx), y0 + cell * np.arange(ny)
    gx, gy = np.meshgrid(xs, ys)

    wx, wy = _warp(rng, (ny, nx), cell, [(0.3, 0.08), (0.1, 0.035), (0.03, 0.008)])
    ux, uy = (gx + wx) / sx, (gy + wy) / sy
    mask = np.hypot(ux, uy) < outline.radius(np.arctan2(uy, ux))
    comp = _components(np.where(mask, 0, -1))
    mask &= comp == int(np.argmax(np.bincount(comp[mask])))  # the largest piece
    comp = _components(np.where(mask, -1, 0))  # fill holes: only the open sea stays outside
    mask = comp != comp[0, 0]
    mask[[0, -1], :] = False  # the grid's edge is always sea
    mask[:, [0, -1]] = False
    flat = np.flatnonzero(mask)
    rows, cols = np.divmod(flat, nx)
    return _Grid(gx=gx, gy=gy, cell=cell, mask=mask, flat=flat, rows=rows, cols=cols)


@dataclass(frozen=True)
class _Level:
    """One level of the map (areas, districts or chome) on the grid."""

    grid: np.ndarray  # the unit of each cell, -1 at sea
    labels: np.ndarray  # the unit of each land cell
    parent: np.ndarray  # the unit of the level above, for each unit


def _area_level(
    rng: np.random.Generator,
    spec: _Spec,
    grid: _Grid,
    outline: _Outline,
    directions: np.ndarray,
) -> _Level:
    """Areas grown from seeds where their names point (北, 南 ...), sized by ``area_km2``."""
    n_areas = len(spec.areas)
    pa = grid.level_coords(rng, [(0.35, 0.11), (0.1, 0.02)])
    reach = 0.6 * outline.radius(
        np.arctan2(directions[:, 1] / outline.sy, directions[:, 0] / outline.sx)
    )
    seeds = directions * reach[:, None] * np.array([outline.sx, outline.sy])
    area_share = np.asarray(spec.area_km2) / np.sum(spec.area_km2)
    area_lab = _split(pa, n_areas, rng, area_share, seeds=seeds, tol=0.01)
    area_grid = grid.to_grid(area_lab)
    parent_grid = np.where(grid.mask, 0, -1)
    area_grid = _keep_largest(
        _despeckle(area_grid, parent_grid, np.zeros(n_areas, np.int64)),
        parent_grid,
        np.zeros(n_areas, np.int64),
    )
    return _Level(
        grid=area_grid, labels=area_grid.ravel()[grid.flat], parent=np.zeros(n_areas, np.int64)
    )


def _district_level(rng: np.random.Generator, spec: _Spec, grid: _Grid, areas: _Level) -> _Level:
    """Each area split into its ``districts_per_area`` districts of slightly unequal size."""
    n_areas = len(spec.areas)
    pd_ = grid.level_coords(rng, [(0.15, 0.05), (0.05, 0.012)])
    district_lab = np.zeros(len(grid.flat), dtype=np.int64)
    district_area = np.repeat(np.arange(n_areas), spec.districts_per_area)
    start = np.r_[0, np.cumsum(spec.districts_per_area)]
    for a in range(n_areas):
        inside = areas.labels == a
        k = spec.districts_per_area[a]
        what = message("geography.room_districts", k=k, area=spec.areas[a])
        _check_room(inside.sum(), k, what, "districts_per_area")
        share = np.exp(rng.normal(0.0, 0.2, k))
        district_lab[inside] = start[a] + _split(pd_[inside], k, rng, share / share.sum())
    district_grid = _keep_largest(
        _despeckle(grid.to_grid(district_lab), areas.grid, district_area),
        areas.grid,
        district_area,
    )
    return _Level(grid=district_grid, labels=district_grid.ravel()[grid.flat], parent=district_area)


def _districts_in_code_order(
    grid: _Grid, districts: _Level
) -> tuple[_Level, np.ndarray, np.ndarray]:
    """Renumber districts by area, then north to south; also return their centroids (cx, cy),
    which order the chome."""
    district_lab, district_area = districts.labels, districts.parent
    n_districts = len(district_area)
    counts = np.bincount(district_lab, minlength=n_districts)
    cy = np.bincount(district_lab, weights=grid.rows, minlength=n_districts) / counts
    cx = np.bincount(district_lab, weights=grid.cols, minlength=n_districts) / counts
    order = np.lexsort((cx, -cy, district_area))
    rank = np.empty(n_districts, dtype=np.int64)
    rank[order] = np.arange(n_districts)
    district_lab = rank[district_lab]
    level = _Level(
        grid=grid.to_grid(district_lab), labels=district_lab, parent=district_area[order]
    )
    return level, cx[order], cy[order]


def _chome_level(rng: np.random.Generator, spec: _Spec, grid: _Grid, districts: _Level) -> _Level:
    """``chome_count`` chome shared among districts by the square root of their size (cells)."""
    n_districts = len(districts.parent)
    counts = np.bincount(districts.labels, minlength=n_districts)
    per_district = _allocate(spec.chome_count, np.sqrt(counts.astype(float)))
    pc = grid.level_coords(rng, [(0.07, 0.02), (0.025, 0.005)])
    chome_lab = np.zeros(len(grid.flat), dtype=np.int64)
    chome_district = np.repeat(np.arange(n_districts), per_district)
    cstart = np.r_[0, np.cumsum(per_district)]
    for d in range(n_districts):
        inside = districts.labels == d
        k = int(per_district[d])
        _check_room(inside.sum(), k, message("geography.room_chome", k=k), "chome_count")
        share = np.exp(rng.normal(0.0, 0.25, k))
        chome_lab[inside] = cstart[d] + _split(pc[inside], k, rng, share / share.sum())
    chome_grid = _keep_largest(
        _despeckle(grid.to_grid(chome_lab), districts.grid, chome_district),
        districts.grid,
        chome_district,
    )
    return _Level(grid=chome_grid, labels=chome_grid.ravel()[grid.flat], parent=chome_district)


def _chome_in_code_order(grid: _Grid, chome: _Level, cx: np.ndarray, cy: np.ndarray) -> _Level:
    """Renumber chome by district, then clockwise from north around the district centroid."""
    chome_lab, chome_district = chome.labels, chome.parent
    n_chome = len(chome_district)
    ccount = np.bincount(chome_lab, minlength=n_chome)
    ky = np.bincount(chome_lab, weights=grid.rows, minlength=n_chome) / ccount
    kx = np.bincount(chome_lab, weights=grid.cols, minlength=n_chome) / ccount
    bearing = np.arctan2(kx - cx[chome_district], ky - cy[chome_district]) % (2 * np.pi)
    corder = np.lexsort((bearing, chome_district))
    crank = np.empty(n_chome, dtype=np.int64)
    crank[corder] = np.arange(n_chome)
    chome_lab = crank[chome_lab]
    return _Level(grid=grid.to_grid(chome_lab), labels=chome_lab, parent=chome_district[corder])


# --------------------------------------------------------------------------------------------
# Outlines
# --------------------------------------------------------------------------------------------
def _simplify(chain: np.ndarray, keep: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker, vectorised over every segment at once; ``keep`` marks fixed points."""
    keep = keep.copy()
    points = np.arange(len(chain))
    while True:
        ends = np.flatnonzero(keep)
        inner = np.flatnonzero(~keep)
        if inner.size == 0:
            break
        seg = np.searchsorted(ends, inner) - 1
        a, b = chain[ends[seg]], chain[ends[seg + 1]]
        d, p = b - a, chain[inner] - a
        length = np.hypot(d[:, 0], d[:, 1])
        cross = np.abs(p[:, 0] * d[:, 1] - p[:, 1] * d[:, 0])
        dev = np.where(
            length > 0, cross / np.where(length > 0, length, 1), np.hypot(p[:, 0], p[:, 1])
        )
        order = np.lexsort((dev, seg))
        last = np.r_[seg[order][1:] != seg[order][:-1], True]
        best = order[last]
        add = inner[best[dev[best] > tol]]
        if add.size == 0:
            break
        keep[add] = True
    return chain[keep[points]]


def _clean_ring(ring: np.ndarray) -> np.ndarray | None:
    """Smooth (symmetric kernel, so shared edges stay shared) and simplify a closed ring (grid units)."""
    ring = ring[:-1] if np.array_equal(ring[0], ring[-1]) else ring
    if len(ring) < 4:
        return None
    for _ in range(2):
        ring = 0.25 * np.roll(ring, 1, axis=0) + 0.5 * ring + 0.25 * np.roll(ring, -1, axis=0)
    far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
    closed = np.vstack([ring, ring[:1]])
    fixed = np.zeros(len(closed), dtype=bool)
    fixed[[0, far, -1]] = True
    out = _simplify(closed, fixed, _SIMPLIFY_CELLS)
    return out if len(out) >= 4 else None


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _trace(grid: np.ndarray, value: int) -> list[list[np.ndarray]]:
    """Outline of the cells equal to ``value``: polygons (outer ring, then holes), in grid units."""
    rr, cc = np.nonzero(grid == value)
    r0, r1 = max(rr.min() - 1, 0), min(rr.max() + 2, grid.shape[0])
    c0, c1 = max(cc.min() - 1, 0), min(cc.max() + 2, grid.shape[1])
    z = (grid[r0:r1, c0:c1] == value).astype(float)
    gen = contourpy.contour_generator(
        np.arange(c0, c1, dtype=float), np.arange(r0, r1, dtype=float), z, fill_type="OuterOffset"
    )
    points, offsets = gen.filled(0.5, 1.5)
    polygons = []
    for pts, off in zip(points, offsets, strict=True):
        rings = [_clean_ring(pts[off[i] : off[i + 1]]) for i in range(len(off) - 1)]
        if rings[0] is None:
            continue
        outer = rings[0]
        if abs(_signed_area(outer)) < 3.0:  # contour artefacts smaller than 3 cells
            continue
        holes = [h for h in rings[1:] if h is not None and abs(_signed_area(h)) >= 3.0]
        polygons.append([outer, *holes])
    polygons.sort(key=lambda p: -abs(_signed_area(p[0])))
    return polygons


def _to_lonlat(xy_km: np.ndarray) -> np.ndarray:
    lon = ORIGIN_LONLAT[0] + xy_km[:, 0] / _KM_PER_DEG_LON
    lat = ORIGIN_LONLAT[1] + xy_km[:, 1] / _KM_PER_DEG_LAT
    return np.round(np.column_stack([lon, lat]), _LONLAT_DECIMALS)


def _to_km(lonlat: np.ndarray) -> np.ndarray:
    x = (lonlat[:, 0] - ORIGIN_LONLAT[0]) * _KM_PER_DEG_LON
    y = (lonlat[:, 1] - ORIGIN_LONLAT[1]) * _KM_PER_DEG_LAT
    return np.round(np.column_stack([x, y]), _KM_DECIMALS)


def _geometry(polygons: list[list[np.ndarray]], raster: _Raster) -> dict[str, Any]:
    """GeoJSON geometry in lon/lat: outer rings counter-clockwise, holes clockwise, rings closed."""
    out = []
    for polygon in polygons:
        rings = []
        for i, ring in enumerate(polygon):
            km = (ring - np.array(raster.origin)) * raster.cell_km
            ll = _to_lonlat(km)
            ll = ll[np.r_[True, np.any(ll[1:] != ll[:-1], axis=1)]]
            ll = np.vstack([ll, ll[:1]]) if not np.array_equal(ll[0], ll[-1]) else ll
            if len(ll) < 4:
                continue
            if (_signed_area(ll) > 0) != (i == 0):
                ll = ll[::-1]
            rings.append(ll.tolist())
        if rings:
            out.append(rings)
    if len(out) == 1:
        return {"type": "Polygon", "coordinates": out[0]}
    return {"type": "MultiPolygon", "coordinates": out}


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------
def _names(spec: _Spec, raster: _Raster) -> tuple[list[str], list[str], list[str]]:
    """District names, and each chome's town name and chome name."""
    rng = np.random.default_rng([spec.layout_seed, 1])
    n_districts = len(raster.district_area)
    n_chome = len(raster.chome_district)
    per_district = np.bincount(raster.chome_district, minlength=n_districts)
    town_of = np.zeros(n_chome, dtype=np.int64)
    if spec.town_count >= n_districts:  # towns nested in districts
        towns = _allocate(spec.town_count, per_district.astype(float), cap=per_district)
        first = 0
        for d in range(n_districts):
            cuts = np.sort(
                rng.choice(np.arange(1, per_district[d]), size=towns[d] - 1, replace=False)
            )
            run = np.zeros(per_district[d], dtype=np.int64)
            run[cuts] = 1
            town_of[raster.chome_district == d] = first + np.cumsum(run)
            first += towns[d]
    else:  # fewer towns than districts: towns run across district borders
        cuts = np.sort(rng.choice(np.arange(1, n_chome), size=spec.town_count - 1, replace=False))
        run = np.zeros(n_chome, dtype=np.int64)
        run[cuts] = 1
        town_of = np.cumsum(run)
    taken: set[str] = set(spec.areas)
    town_names = _place_names(rng, spec.town_count, taken)
    size = np.bincount(town_of, minlength=spec.town_count)
    number = np.zeros(n_chome, dtype=np.int64)
    for t in range(spec.town_count):
        number[town_of == t] = np.arange(1, size[t] + 1)
    chome_names = [
        town_names[t] if size[t] == 1 else f"{town_names[t]}{_kanji_number(int(k))}丁目"
        for t, k in zip(town_of, number, strict=True)
    ]
    district_names: list[str] = []
    used: set[str] = set()
    for d in range(n_districts):
        town = town_names[town_of[np.flatnonzero(raster.chome_district == d)[0]]]
        if town in used:
            town = _place_names(rng, 1, taken)[0]
        used.add(town)
        district_names.append(f"{town}住区")
    return district_names, [town_names[t] for t in town_of], chome_names


def _district_code(d: int, n_districts: int) -> str:
    """D01, D02 ...; three digits once there are 100 districts or more, so codes sort in order."""
    return f"D{d + 1:0{max(2, len(str(n_districts)))}d}"


def _collection(spec: _Spec, name: str) -> dict[str, Any]:
    raster = _raster(spec)
    district_names, town_names, chome_names = _names(spec, raster)
    cell_km2 = raster.cell_km**2
    features: list[dict[str, Any]] = []

    def feature(level: str, grid: np.ndarray, value: int, props: dict[str, Any]) -> None:
        geometry = _geometry(_trace(grid, value), raster)
        km2 = round(float((grid == value).sum() * cell_km2), _KM_DECIMALS)
        features.append(
            {
                "type": "Feature",
                "properties": {"level": level, **props, "area_km2": km2},
                "geometry": geometry,
            }
        )

    for a, area in enumerate(spec.areas):
        feature("area", raster.area, a, {"code": f"A{a + 1}", "name": area, "area": area})
    rows, cols = np.indices(raster.district.shape)
    for d, dname in enumerate(district_names):
        cells = raster.district == d
        cx = (cols[cells].mean() - raster.origin[0]) * raster.cell_km
        cy = (rows[cells].mean() - raster.origin[1]) * raster.cell_km
        props = {
            "code": _district_code(d, len(district_names)),
            "name": dname,
            "area": spec.areas[raster.district_area[d]],
            "centroid_x_km": round(float(cx), 3),
            "centroid_y_km": round(float(cy), 3),
        }
        feature("district", raster.district, d, props)
    width = max(3, len(str(len(chome_names))))
    for c, cname in enumerate(chome_names):
        d = int(raster.chome_district[c])
        props = {
            "code": f"C{c + 1:0{width}d}",
            "name": cname,
            "area": spec.areas[raster.district_area[d]],
            "town_name": town_names[c],
            "district_code": _district_code(d, len(raster.district_area)),
        }
        feature("chome", raster.chome, c, props)
    return {
        "type": "FeatureCollection",
        "name": name,
        "ebpmkit": {
            "note": "架空の自治体の地図です(実在の場所ではありません)。座標は架空の原点に置いた経緯度です。",
            "geography_digest": spec.digest,
            "origin_lonlat": list(ORIGIN_LONLAT),
            "map_version": MAP_VERSION,
        },
        "features": features,
    }


def _dumps(collection: dict[str, Any]) -> str:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


_CACHE: dict[str, str] = {}


def _map_text(profile: Profile) -> str:
    """The whole map (every level) as GeoJSON text: shipped file, cache, or a fresh build."""
    spec = _spec(profile)
    if spec.digest in _CACHE:
        return _CACHE[spec.digest]
    text = None
    # a shipped map serves every profile whose geography equals a built-in one (e.g. `extends`)
    names = builtin_profiles()
    names.sort(key=lambda n: n != profile.name)
    for name in names:
        shipped = _DATA_DIR / f"{name}.geojson"
        if shipped.is_file():
            candidate = shipped.read_text(encoding="utf-8")
            if json.loads(candidate).get("ebpmkit", {}).get("geography_digest") == spec.digest:
                text = candidate
                break
    if text is None:
        text = _dumps(_collection(spec, profile.name))
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[spec.digest] = text
    return text


def build_map(profile: str | Path | Profile = "urban-ward") -> dict[str, Any]:
    """Build the map of a profile from scratch (ignoring shipped files and the cache).

    Parameters
    ----------
    profile : str or Path or Profile
        A built-in profile name, a profile file, or a loaded profile.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection holding every level (``level`` property on each feature).

    Examples
    --------
    >>> fc = build_map("town")
    >>> sorted({f["properties"]["level"] for f in fc["features"]})
    ['area', 'chome', 'district']
    """
    prof = load_profile(profile)
    return json.loads(_dumps(_collection(_spec(prof), prof.name)))


def _convert_km(geometry: dict[str, Any]) -> None:
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    converted = [[_to_km(np.asarray(ring)).tolist() for ring in polygon] for polygon in polygons]
    geometry["coordinates"] = converted if geometry["type"] == "MultiPolygon" else converted[0]


def boundaries(
    profile: str | Path | Profile = "urban-ward", level: str = "district", *, coords: str = "lonlat"
) -> dict[str, Any]:
    """Boundaries of the fictional municipality's areas, districts (住区) or chome (町丁).

    Parameters
    ----------
    profile : str or Path or Profile
        A built-in profile name, a profile file, or a loaded profile. Built-in profiles read the
        shipped map; other profiles build theirs (about a second, then cached).
    level : {"area", "district", "chome"}
        Which units to return.
    coords : {"lonlat", "km"}
        ``"lonlat"``: longitude and latitude (GeoJSON order) around the fictional origin
        :data:`ORIGIN_LONLAT`; ``"km"``: the local plane in kilometres, x east and y north of
        the municipality's centroid (the plane of ``centroid_x_km``/``centroid_y_km``).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection. Feature properties: ``level``, ``code``, ``name``,
        ``area``, ``area_km2``; districts add ``centroid_x_km``/``centroid_y_km`` and chome add
        ``town_name``/``district_code``. Geometries are Polygon (MultiPolygon only if a unit
        were ever split), outer rings counter-clockwise.

    Examples
    --------
    >>> fc = boundaries("urban-ward", level="district")
    >>> len(fc["features"]), fc["features"][0]["properties"]["code"]
    (22, 'D01')
    >>> boundaries("town", level="area", coords="km")["features"][0]["geometry"]["type"]
    'Polygon'
    """
    check_choice("level", level, LEVELS)
    check_choice("coords", coords, ["lonlat", "km"])
    prof = load_profile(profile)
    collection = json.loads(_map_text(prof))
    collection["name"] = prof.name
    collection["features"] = [
        f for f in collection["features"] if f["properties"]["level"] == level
    ]
    if coords == "km":
        for f in collection["features"]:
            _convert_km(f["geometry"])
    return collection


def _tables(collection: dict[str, Any], areas: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    props = pd.DataFrame([f["properties"] for f in collection["features"]])
    d = props[props["level"] == "district"]
    c = props[props["level"] == "chome"]
    districts = pd.DataFrame(
        {
            "district_code": d["code"].astype("str").to_numpy(),
            "district_name": d["name"].astype("str").to_numpy(),
            "area": pd.Categorical(d["area"], categories=list(areas)),
            "area_km2": d["area_km2"].astype("float64").to_numpy(),
            "centroid_x_km": d["centroid_x_km"].astype("float64").to_numpy(),
            "centroid_y_km": d["centroid_y_km"].astype("float64").to_numpy(),
        }
    )
    towns = list(dict.fromkeys(c["town_name"]))
    chome = pd.DataFrame(
        {
            "chome_code": c["code"].astype("str").to_numpy(),
            "chome_name": c["name"].astype("str").to_numpy(),
            "town_name": pd.Categorical(c["town_name"], categories=towns),
            "district_code": c["district_code"].astype("str").to_numpy(),
            "area": pd.Categorical(c["area"], categories=list(areas)),
            "area_km2": c["area_km2"].astype("float64").to_numpy(),
        }
    )
    return {"districts": districts, "chome": chome}


def simulate(ctx) -> dict[str, pd.DataFrame]:
    """The ``districts`` and ``chome`` tables of the profile's map (independent of seed and scale).

    Examples
    --------
    >>> from ebpmkit.synth.context import SimContext
    >>> from ebpmkit.synth.profile import load_profile
    >>> out = simulate(SimContext(load_profile("urban-ward"), seed=1, scale=0.1))
    >>> len(out["districts"]), len(out["chome"])
    (22, 88)
    """
    spec = _spec(ctx.profile)
    return _tables(json.loads(_map_text(ctx.profile)), spec.areas)


def write_builtin_maps(directory: str | Path | None = None) -> list[Path]:
    """Rebuild the shipped map of every built-in profile (``<directory>/<profile>.geojson``).

    Examples
    --------
    >>> import tempfile
    >>> paths = write_builtin_maps(tempfile.mkdtemp())  # doctest: +SKIP
    """
    out_dir = Path(str(_DATA_DIR)) if directory is None else Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in builtin_profiles():
        prof = load_profile(name)
        path = out_dir / f"{name}.geojson"
        path.write_text(_dumps(_collection(_spec(prof), name)), encoding="utf-8")
        written.append(path)
    _CACHE.clear()
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m ebpmkit.synth.geography [directory]``: rewrite the shipped maps."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_builtin_maps(args[0] if args else None):
        print(f"{path}: {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
