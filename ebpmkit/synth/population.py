"""Registry microsimulation: residents, households and one register per fiscal year.

The base register (1 April of the first fiscal year) is drawn from the profile's age, sex and
nationality shares and grouped into households. Each fiscal year then brings deaths, births,
moves out and in, young adults leaving home, couples forming and separating. The register on
1 April of every fiscal year becomes the rows of ``resident_years``.

Everything is vectorised over persons; the only Python loops are over years and over the few
age offsets of :func:`match_by_age`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = ["COLUMNS", "PARAMETERS", "TABLES", "age_on", "match_by_age", "simulate"]

N_BANDS = 20  # 5-year bands 0-4 ... 90-94 and 95+
SEXES = ["男性", "女性"]
NATIONALITIES = ["日本", "外国"]
ENTRY_REASONS = ["初期登録", "出生", "転入"]
EXIT_REASONS = ["死亡", "転出"]
RELATIONSHIPS = ["世帯主", "配偶者", "子", "親", "その他"]
HEAD, SPOUSE, CHILD, PARENT, OTHER = range(5)
FORMED_REASONS = ["初期登録", "転入", "独立", "結婚", "離別"]
INITIAL, MOVED_IN, LEFT_HOME, COUPLED, SEPARATED = range(5)

TABLES = {
    "residents": "住民基本台帳の個人(期間中に一度でも登録された人)。出生・死亡・転入・転出の日付つき",
    "households": "世帯。期間中に存在したすべての世帯と、その所在地・形成理由",
    "resident_years": "各年度4月1日時点の住民基本台帳(1人1年度1行)",
}

_FY_NOTE = "各年度の4月1日時点。"
COLUMNS = [
    Column(
        "residents",
        "person_id",
        "int64",
        "個人ID",
        "person ID",
        "",
        "住民を識別する番号(架空)。匿名化版では鍵付きの仮名(別の番号)に置き換わる",
    ),
    Column("residents", "sex", "category", "性別", "sex", "", "男性・女性"),
    Column(
        "residents",
        "birth_date",
        "datetime64[s]",
        "生年月日",
        "date of birth",
        "",
        "生年月日(匿名化版では年の1月1日に丸める)",
    ),
    Column("residents", "nationality", "category", "国籍", "nationality", "", "日本・外国"),
    Column(
        "residents",
        "entry_date",
        "datetime64[s]",
        "登録日",
        "registration date",
        "",
        "出生日・転入日。初年度4月1日に既に住んでいた人は初年度4月1日",
    ),
    Column(
        "residents",
        "entry_reason",
        "category",
        "登録理由",
        "registration reason",
        "",
        "初期登録・出生・転入",
    ),
    Column(
        "residents",
        "exit_date",
        "datetime64[s]",
        "消除日",
        "deregistration date",
        "",
        "死亡日・転出日。期間末まで住んでいる人は空欄",
    ),
    Column(
        "residents",
        "exit_reason",
        "category",
        "消除理由",
        "deregistration reason",
        "",
        "死亡・転出。転出率・世帯形成率は仮定値",
    ),
    Column(
        "households",
        "household_id",
        "int64",
        "世帯ID",
        "household ID",
        "",
        "世帯を識別する番号(架空)。匿名化版では鍵付きの仮名(別の番号)に置き換わる",
    ),
    Column(
        "households", "chome_code", "category", "町丁コード", "chome code", "", "世帯の所在する町丁"
    ),
    Column(
        "households",
        "district_code",
        "category",
        "住区コード",
        "district code",
        "",
        "世帯の所在する住区",
    ),
    Column("households", "area", "category", "地区", "area", "", "世帯の所在する地区"),
    Column(
        "households",
        "formed_date",
        "datetime64[s]",
        "世帯形成日",
        "date formed",
        "",
        "世帯ができた日(初年度から住む世帯は初年度4月1日)",
    ),
    Column(
        "households",
        "formed_reason",
        "category",
        "形成理由",
        "reason formed",
        "",
        "初期登録・転入・独立・結婚・離別",
    ),
    Column(
        "resident_years",
        "fiscal_year",
        "int16",
        "年度",
        "fiscal year",
        "年度",
        _FY_NOTE + "4月から翌年3月まで",
    ),
    Column(
        "resident_years", "person_id", "int64", "個人ID", "person ID", "", "residents の person_id"
    ),
    Column(
        "resident_years",
        "age",
        "int16",
        "年齢",
        "age",
        "歳",
        _FY_NOTE + "満年齢(保育の年齢区分と同じ数え方)",
    ),
    Column("resident_years", "sex", "category", "性別", "sex", "", "男性・女性"),
    Column("resident_years", "nationality", "category", "国籍", "nationality", "", "日本・外国"),
    Column(
        "resident_years",
        "household_id",
        "int64",
        "世帯ID",
        "household ID",
        "",
        _FY_NOTE + "所属する世帯",
    ),
    Column(
        "resident_years",
        "relationship",
        "category",
        "続柄",
        "relationship to head",
        "",
        "世帯主・配偶者・子・親・その他",
    ),
    Column(
        "resident_years",
        "chome_code",
        "category",
        "町丁コード",
        "chome code",
        "",
        _FY_NOTE + "住所の町丁",
    ),
    Column(
        "resident_years",
        "district_code",
        "category",
        "住区コード",
        "district code",
        "",
        _FY_NOTE + "住所の住区",
    ),
    Column("resident_years", "area", "category", "地区", "area", "", _FY_NOTE + "住所の地区"),
]

PARAMETERS = [
    Param("population.start", low=100),
    Param("population.end", low=100),
    Param("population.male_share", low=0.3, high=0.7),
    Param("population.foreign_share", low=0, high=0.5),
    Param("population.age_band_shares", "numbers", low=0, length=N_BANDS),
    Param("population.age_share_targets", "numbers", low=0, high=100, length=3),
    Param("population.male_share_by_age", "numbers", low=0, high=1, length=6),
    Param("population.foreign_weight_by_age", "numbers", low=0, length=4),
    Param("population.births_per_1000", "numbers", low=0, high=40),
    Param("population.out_rate_by_age", "numbers", low=0, high=0.5, length=N_BANDS),
    Param("population.in_age_weights", "numbers", low=0, length=N_BANDS),
    Param("population.elderly_weight_by_area", "numbers", low=0),
    Param("population.estate_pull", low=0, high=20),
    Param("population.estate_elderly_weight", low=0, high=20),
    Param("population.estate_inflow", low=0, high=20),
    Param("households.persons_per_household", low=1, high=6),
    Param("households.end", low=1),
    Param("households.single_share", low=0, high=0.95),
    Param("households.single_weight_by_age", "numbers", low=0, length=N_BANDS),
    Param("households.single_parent_share", low=0, high=1),
    Param("households.leave_home_rate", low=0, high=1),
    Param("households.couple_formation_rate", low=0, high=1),
    Param("households.separation_rate", low=0, high=1),
    Param("households.in_household_types", "numbers", low=0, length=3),
    Param("mortality.anchor_ages", "numbers", low=0, high=120),
    Param("mortality.qx_male", "numbers", low=0, high=1),
    Param("mortality.qx_female", "numbers", low=0, high=1),
    Param("mortality.scale", low=0, high=5),
    Param("fertility.asfr", "numbers", low=0, high=1, length=7),
    Param("fertility.male_birth_share", low=0, high=1),
]

MALE_GROUP_EDGES = np.array([20, 40, 65, 75, 85])  # 0-19, 20-39, 40-64, 65-74, 75-84, 85+
FOREIGN_GROUP_EDGES = np.array([20, 40, 65])  # 0-19, 20-39, 40-64, 65+
DAY = np.timedelta64(1, "D")


def check_profile(profile) -> None:
    """Cross-figure checks that single-figure bounds cannot express."""
    from ebpmkit.errors import ProfileError

    shares = profile.numbers("population.age_band_shares")
    if abs(shares.sum() - 100) > 0.5:
        raise ProfileError(
            f"'population.age_band_shares' must add up to 100 (percent), but they add up to {shares.sum():.1f}."
        )
    n_years = len(profile.fiscal_years)
    if len(profile.numbers("population.births_per_1000")) != n_years:
        raise ProfileError(
            f"'population.births_per_1000' must list one figure per fiscal year ({n_years}), "
            f"but {len(profile.numbers('population.births_per_1000'))} were found."
        )
    n_areas = len(profile.get("geography.areas"))
    if len(profile.numbers("population.elderly_weight_by_area")) != n_areas:
        raise ProfileError(
            f"'population.elderly_weight_by_area' must list one weight per area in 'geography.areas' ({n_areas})."
        )
    if profile.numbers("households.in_household_types").sum() <= 0:
        raise ProfileError("'households.in_household_types' must have at least one positive share.")


# -- small vectorised helpers ---------------------------------------------------------------
def age_on(birth: np.ndarray, date: np.datetime64) -> np.ndarray:
    """Completed years of age on ``date`` for an array of ``datetime64[D]`` birth dates.

    Examples
    --------
    >>> age_on(np.array(["2000-04-02", "2000-04-01"], dtype="datetime64[D]"), np.datetime64("2015-04-01"))
    array([14, 15])
    """
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    bm = (birth.astype("datetime64[M]") - birth.astype("datetime64[Y]")).astype(np.int64) + 1
    bd = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    d = np.datetime64(date, "D")
    ry = int(d.astype("datetime64[Y]").astype(np.int64)) + 1970
    rm = int((d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64)) + 1
    rd = int((d - d.astype("datetime64[M]")).astype(np.int64)) + 1
    not_yet = (bm * 100 + bd) > (rm * 100 + rd)
    return (ry - by - not_yet).astype(np.int64)


def _year_and_monthday(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year and month*100+day of ``datetime64[D]`` dates (one slow conversion, cached)."""
    year = dates.astype("datetime64[Y]")
    month = dates.astype("datetime64[M]")
    md = ((month - year).astype(np.int64) + 1) * 100 + (dates - month).astype(np.int64) + 1
    return year.astype(np.int64) + 1970, md


def _band(age: np.ndarray) -> np.ndarray:
    return np.minimum(age // 5, N_BANDS - 1)


def match_by_age(
    target_ages: np.ndarray,
    cand_ages: np.ndarray,
    rng: np.random.Generator,
    offsets: tuple[int, ...] = (0, 1, -1, 2, -2, 3, -3, 4, -4, 6, -6, 8, -8, 12, -12),
) -> np.ndarray:
    """Give each target a distinct candidate of the same age (or the nearest within ``offsets``).

    Returns the candidate index for each target, or -1 where none was left.

    Examples
    --------
    >>> match_by_age(np.array([30, 31]), np.array([31, 30, 50]), np.random.default_rng(0))
    array([1, 0])
    """
    result = np.full(len(target_ages), -1, dtype=np.int64)
    available = np.ones(len(cand_ages), dtype=bool)
    for off in offsets:
        todo = np.flatnonzero(result < 0)
        cidx = np.flatnonzero(available)
        if len(todo) == 0 or len(cidx) == 0:
            break
        cidx = cidx[rng.permutation(len(cidx))]
        cidx = cidx[np.argsort(cand_ages[cidx], kind="stable")]
        ages_c = cand_ages[cidx]
        want = target_ages[todo] + off
        order = np.argsort(want, kind="stable")
        sorted_want = want[order]
        rank = np.empty(len(todo), dtype=np.int64)
        rank[order] = np.arange(len(todo)) - np.searchsorted(sorted_want, sorted_want, "left")
        lo = np.searchsorted(ages_c, want, "left")
        hi = np.searchsorted(ages_c, want, "right")
        ok = rank < (hi - lo)
        chosen = cidx[lo[ok] + rank[ok]]
        result[todo[ok]] = chosen
        available[chosen] = False
    return result


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` distinct items drawn with probability proportional to ``weights``."""
    n = min(n, int((weights > 0).sum()))
    if n <= 0:
        return np.array([], dtype=np.int64)
    # Efraimidis-Spirakis keys: the n largest u**(1/w) are a weighted sample without replacement.
    keys = np.full(len(weights), -np.inf)
    pos = weights > 0
    keys[pos] = np.log(rng.random(pos.sum())) / weights[pos]
    return np.argpartition(-keys, n - 1)[:n]


class _State:
    """Growing per-person and per-household arrays of the microsimulation."""

    def __init__(self) -> None:
        self.sex = np.empty(0, np.int8)
        self.birth = np.empty(0, "datetime64[D]")
        self.foreign = np.empty(0, bool)
        self.entry = np.empty(0, "datetime64[D]")
        self.entry_reason = np.empty(0, np.int8)
        self.exit = np.empty(0, "datetime64[D]")
        self.exit_reason = np.empty(0, np.int8)
        self.hh = np.empty(0, np.int64)
        self.rel = np.empty(0, np.int8)
        self.hh_chome = np.empty(0, np.int64)
        self.hh_formed = np.empty(0, "datetime64[D]")
        self.hh_reason = np.empty(0, np.int8)
        self.birth_year = np.empty(0, np.int64)
        self.birth_md = np.empty(0, np.int64)

    def age(self, persons: np.ndarray, on: np.datetime64) -> np.ndarray:
        """Age on date ``on`` of the given persons, from the cached birth year and month-day."""
        (ry,), (rmd,) = _year_and_monthday(np.array([on], dtype="datetime64[D]"))
        return ry - self.birth_year[persons] - (self.birth_md[persons] > rmd)

    @property
    def n(self) -> int:
        return len(self.sex)

    def add_persons(self, sex, birth, foreign, entry, reason, hh, rel) -> np.ndarray:
        start = self.n
        k = len(sex)
        self.sex = np.concatenate([self.sex, sex.astype(np.int8)])
        self.birth = np.concatenate([self.birth, birth])
        by, bmd = _year_and_monthday(birth)
        self.birth_year = np.concatenate([self.birth_year, by])
        self.birth_md = np.concatenate([self.birth_md, bmd])
        self.foreign = np.concatenate([self.foreign, foreign])
        self.entry = np.concatenate([self.entry, np.broadcast_to(entry, k)])
        self.entry_reason = np.concatenate([self.entry_reason, np.full(k, reason, np.int8)])
        self.exit = np.concatenate([self.exit, np.full(k, np.datetime64("NaT"), "datetime64[D]")])
        self.exit_reason = np.concatenate([self.exit_reason, np.full(k, -1, np.int8)])
        self.hh = np.concatenate([self.hh, hh.astype(np.int64)])
        self.rel = np.concatenate([self.rel, rel.astype(np.int8)])
        return np.arange(start, self.n)

    def add_households(self, chome, formed, reason) -> np.ndarray:
        start = len(self.hh_chome)
        k = len(chome)
        self.hh_chome = np.concatenate([self.hh_chome, chome.astype(np.int64)])
        self.hh_formed = np.concatenate([self.hh_formed, np.broadcast_to(formed, k)])
        self.hh_reason = np.concatenate([self.hh_reason, np.full(k, reason, np.int8)])
        return np.arange(start, len(self.hh_chome))

    def present(self) -> np.ndarray:
        return np.flatnonzero(np.isnat(self.exit))


class _Model:
    """Rates read once from the profile."""

    def __init__(self, ctx: SimContext) -> None:
        p = ctx.profile
        self.rng = ctx.rng("population")
        self.years = p.fiscal_years
        self.band_shares = p.numbers("population.age_band_shares") / 100
        self.male_by_group = p.numbers("population.male_share_by_age")
        self.foreign_share = p.number("population.foreign_share")
        self.foreign_w = p.numbers("population.foreign_weight_by_age")
        self.births_per_1000 = p.numbers("population.births_per_1000")
        self.out_rate = p.numbers("population.out_rate_by_age")
        self.in_w = p.numbers("population.in_age_weights")
        self.elderly_area_w = p.numbers("population.elderly_weight_by_area")
        self.pph = p.number("households.persons_per_household")
        self.single_share = p.number("households.single_share")
        self.single_w = p.numbers("households.single_weight_by_age")
        self.single_parent = p.number("households.single_parent_share")
        self.leave_home = p.number("households.leave_home_rate")
        self.couple_rate = p.number("households.couple_formation_rate")
        self.separation = p.number("households.separation_rate")
        self.in_types = p.numbers("households.in_household_types")
        self.asfr = p.numbers("fertility.asfr")
        self.boy_share = p.number("fertility.male_birth_share")
        ages = np.arange(0, 121)
        anchors = p.numbers("mortality.anchor_ages")
        scale = p.number("mortality.scale")
        self.qx = np.stack(
            [
                np.minimum(
                    np.exp(np.interp(ages, anchors, np.log(p.numbers(f"mortality.qx_{s}"))))
                    * scale,
                    0.6,
                )
                for s in ("male", "female")
            ]
        )
        start = p.number("population.start") * ctx.scale
        end = p.number("population.end") * ctx.scale
        n = len(self.years)
        # Register targets on 1 April of each fiscal year, plus one more after the last year.
        steps = np.arange(n + 1) / max(n - 1, 1)
        self.targets = np.round(start + (end - start) * steps).astype(np.int64)
        hh_start = start / self.pph
        hh_end = p.number("households.end") * ctx.scale
        self.hh_targets = np.round(hh_start + (hh_end - hh_start) * steps).astype(np.int64)

    # -- drawing people -------------------------------------------------------------------
    def draw_sex(self, age: np.ndarray) -> np.ndarray:
        p_male = self.male_by_group[np.searchsorted(MALE_GROUP_EDGES, age, "right")]
        return (self.rng.random(len(age)) >= p_male).astype(np.int8)  # 0 male, 1 female

    def draw_birth(self, age: np.ndarray, on: np.datetime64) -> np.ndarray:
        """Birth dates for people who are ``age`` on date ``on``."""
        days = (age * 365.2425 + self.rng.random(len(age)) * 365).astype(np.int64)
        birth = on - days * DAY
        # Rounding can land a day off the requested age; nudge into the right year of age.
        got = age_on(birth, on)
        birth = birth + (got - age) * 365 * DAY
        return birth

    def draw_ages_from_bands(self, weights: np.ndarray, n: int, low: int = 0) -> np.ndarray:
        w = weights.copy()
        w[: low // 5] = 0
        band = self.rng.choice(N_BANDS, size=n, p=w / w.sum())
        within = self.rng.integers(0, 5, size=n)
        top = band == N_BANDS - 1
        within[top] = np.minimum(self.rng.geometric(0.28, top.sum()) - 1, 14)
        return np.maximum(band * 5 + within, low)

    def foreign_weight(self, age: np.ndarray) -> np.ndarray:
        return self.foreign_w[np.searchsorted(FOREIGN_GROUP_EDGES, age, "right")]


class _Places:
    """Where households live: a chome for each new household, by the head's age.

    Older residents live more in some areas (``elderly_weight_by_area``). One place is built
    into every municipality so that ageing is not the same everywhere, as in real wards and
    cities, and a lesson's "largest rise" is not simply "highest level": an **estate** (団地),
    the first district of the youngest area. Its first residents moved in as young families
    decades ago; on the first register households whose head is 50-64 are drawn to it
    (``estate_pull``), it holds few older households (``estate_elderly_weight``) and few homes
    fall vacant later (``estate_inflow``), so it ages fastest.
    """

    def __init__(self, ctx: SimContext, model: _Model) -> None:
        p = ctx.profile
        chome = ctx.tables["chome"]
        self.rng = model.rng
        self.district = chome["district_code"].astype(str).to_numpy()
        areas = list(p.get("geography.areas"))
        area_idx = chome["area"].astype(str).map({a: i for i, a in enumerate(areas)}).to_numpy()
        # A fixed density pattern per chome (from the profile's map seed, not the data seed),
        # so the same chome is dense or sparse whatever the seed.
        density = np.random.default_rng(int(p.number("geography.layout_seed"))).lognormal(
            0, 0.35, len(chome)
        )
        self.base = chome["area_km2"].to_numpy(float) * density
        self.elderly_w = model.elderly_area_w[area_idx]
        youngest = int(np.argmin(model.elderly_area_w))
        self.estate_district = str(np.min(self.district[area_idx == youngest]))
        estate = self.district == self.estate_district
        self.estate_area = areas[youngest]
        pull = p.number("population.estate_pull", low=0)
        elderly = p.number("population.estate_elderly_weight", low=0)
        later = np.where(estate, p.number("population.estate_inflow", low=0), 1.0)
        self.first = (
            _normalize(self.base),
            _normalize(self.base * np.where(estate, pull, 1.0)),
            _normalize(self.base * self.elderly_w * np.where(estate, elderly, 1.0)),
        )
        young = _normalize(self.base * later)
        self.later_weights = (young, young, _normalize(self.base * self.elderly_w * later))

    def initial(self, head_age: np.ndarray) -> np.ndarray:
        """Chome of the households on the first 1 April register."""
        return self._draw(head_age, self.first)

    def later(self, head_age: np.ndarray) -> np.ndarray:
        """Chome of households formed or moving in later."""
        return self._draw(head_age, self.later_weights)

    def _draw(self, head_age: np.ndarray, weights) -> np.ndarray:
        young, pre_elderly, old = weights
        out = self.rng.choice(len(young), size=len(head_age), p=young)
        for mask, p in (((head_age >= 50) & (head_age < 65), pre_elderly), (head_age >= 65, old)):
            if p is not young:
                out[mask] = self.rng.choice(len(p), size=int(mask.sum()), p=p)
        return out


def _normalize(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _initial_register(ctx: SimContext, m: _Model, st: _State, places: _Places) -> None:
    rng = m.rng
    d0 = np.datetime64(f"{m.years[0]}-04-01")
    n0 = int(m.targets[0])
    age = m.draw_ages_from_bands(m.band_shares, n0)
    sex = m.draw_sex(age)
    fw = m.foreign_weight(age)
    foreign = rng.random(n0) < m.foreign_share * fw / fw.mean()
    birth = m.draw_birth(age, d0)

    hh = np.full(n0, -1, np.int64)
    rel = np.full(n0, OTHER, np.int8)
    h_target = round(n0 / m.pph)

    # 1. Families: children (0-17, and some 18-24 still at home) grouped under a mother.
    p_home = np.interp(age, [17, 18, 24, 25], [1.0, 0.75, 0.25, 0.0])
    kid = rng.random(n0) < p_home
    kids = np.flatnonzero(kid)
    gap = np.clip(rng.normal(32, 4.5, len(kids)), 19, 45)
    implied = age[kids] + gap
    kids = kids[np.argsort(implied, kind="stable")]
    implied = np.sort(implied)
    sizes = rng.choice([1, 2, 3], size=len(kids), p=[0.45, 0.42, 0.13])
    fam_of_kid = np.repeat(np.arange(len(sizes)), sizes)[: len(kids)]
    n_fam = int(fam_of_kid[-1]) + 1 if len(kids) else 0
    fam_target = np.rint(np.bincount(fam_of_kid, weights=implied) / np.bincount(fam_of_kid)).astype(
        np.int64
    )
    women = np.flatnonzero((sex == 1) & ~kid & (age >= 18))
    mother = match_by_age(fam_target, age[women], rng)
    has_mother = mother >= 0
    mothers = np.full(n_fam, -1, np.int64)
    mothers[has_mother] = women[mother[has_mother]]
    two_parent = has_mother & (rng.random(n_fam) >= m.single_parent)
    men = np.flatnonzero((sex == 0) & ~kid & (age >= 18))
    husband_age = age[np.maximum(mothers, 0)] + np.rint(rng.normal(2, 3, n_fam)).astype(np.int64)
    father_pos = np.full(n_fam, -1, np.int64)
    fp = match_by_age(husband_age[two_parent], age[men], rng)
    father_pos[np.flatnonzero(two_parent)[fp >= 0]] = men[fp[fp >= 0]]
    # Families that found no mother: the oldest child stays, handled as "other" adults later.
    fam_hh = np.arange(n_fam)
    ok_kid = has_mother[fam_of_kid]
    hh[kids[ok_kid]] = fam_hh[fam_of_kid[ok_kid]]
    rel[kids[ok_kid]] = CHILD
    hh[mothers[has_mother]] = fam_hh[has_mother]
    rel[mothers[has_mother]] = SPOUSE
    with_father = father_pos >= 0
    hh[father_pos[with_father]] = fam_hh[with_father]
    rel[father_pos[with_father]] = HEAD
    rel[mothers[has_mother & ~with_father]] = HEAD
    next_hh = n_fam
    n_families = int(has_mother.sum())

    # 2. One-person households.
    free = (hh < 0) & (age >= 15)
    weights = np.where(free, m.single_w[_band(age)], 0.0)
    n_single = round(m.single_share * h_target)
    singles = _pick(rng, weights, n_single)
    hh[singles] = next_hh + np.arange(len(singles))
    rel[singles] = HEAD
    next_hh += len(singles)

    # 3. Couples without children at home.
    free = np.flatnonzero((hh < 0) & (age >= 20))
    n_couples = max(0, min(h_target - len(singles) - n_families, len(free) // 2))
    # Wives are drawn mostly from ages at which couples are common; those who find no husband
    # of a fitting age are replaced in a second and third round.
    wife_w = np.interp(age, [20, 25, 75, 85, 95], [0.3, 1.0, 1.0, 0.4, 0.05])
    wives_parts, husbands_parts = [], []
    avail = np.zeros(n0, bool)
    avail[free] = True
    for _ in range(3):
        need = n_couples - sum(len(w) for w in wives_parts)
        women_left = np.flatnonzero(avail & (sex == 1))
        men_left = np.flatnonzero(avail & (sex == 0))
        if need <= 0 or len(women_left) == 0 or len(men_left) == 0:
            break
        wives = women_left[_pick(rng, wife_w[women_left], need)]
        wanted = age[wives] + np.rint(rng.normal(2, 3, len(wives))).astype(np.int64)
        pos = match_by_age(wanted, age[men_left], rng)
        wives_parts.append(wives[pos >= 0])
        husbands_parts.append(men_left[pos[pos >= 0]])
        avail[wives] = False  # an unmatched woman is not asked again
        avail[husbands_parts[-1]] = False
    wives = np.concatenate(wives_parts) if wives_parts else np.array([], np.int64)
    husbands = np.concatenate(husbands_parts) if husbands_parts else np.array([], np.int64)
    couple_hh = next_hh + np.arange(len(wives))
    hh[husbands], rel[husbands] = couple_hh, HEAD
    hh[wives], rel[wives] = couple_hh, SPOUSE
    next_hh += len(wives)

    # Two-person households that are not couples (a parent with a grown child, relatives)
    # fill the rest of the household count when men and women do not pair up evenly.
    left = np.flatnonzero((hh < 0) & (age >= 20))
    n_pairs = min(n_couples - len(wives), len(left) // 2)
    if n_pairs > 0:
        pair = left[rng.permutation(len(left))[: 2 * n_pairs]].reshape(n_pairs, 2)
        older = np.where(age[pair[:, 0]] >= age[pair[:, 1]], pair[:, 0], pair[:, 1])
        younger = np.where(older == pair[:, 0], pair[:, 1], pair[:, 0])
        pair_hh = next_hh + np.arange(n_pairs)
        hh[older], rel[older] = pair_hh, HEAD
        hh[younger] = pair_hh
        rel[younger] = np.where(age[older] - age[younger] >= 18, CHILD, OTHER)
        next_hh += n_pairs

    # 4. Everyone left joins a household: the old as a head's parent, the young as a child.
    rest = np.flatnonzero(hh < 0)
    heads = np.flatnonzero((rel == HEAD) & (hh >= 0) & ~np.isin(hh, hh[singles]))
    if len(heads) == 0:  # a tiny scale can leave no family to join
        heads = np.flatnonzero(rel == HEAD)
    target = np.where(age[rest] >= 50, age[rest] - 30, age[rest] + 30)
    order = np.argsort(age[heads], kind="stable")
    sorted_heads, sorted_age = heads[order], age[heads][order]
    slot = np.clip(
        np.searchsorted(sorted_age, target) + rng.integers(-20, 21, len(rest)), 0, len(heads) - 1
    )
    hh[rest] = hh[sorted_heads[slot]]
    rel[rest] = np.where(age[rest] >= 50, PARENT, np.where(age[rest] < 18, OTHER, CHILD))

    # Renumber households densely and place each in a chome.
    used, hh = np.unique(hh, return_inverse=True)
    head_age = np.zeros(len(used), np.int64)
    is_head = rel == HEAD
    head_age[hh[is_head]] = age[is_head]
    st.add_households(places.initial(head_age), d0, INITIAL)
    st.add_persons(sex, birth, foreign, d0, 0, hh, rel)


def _children_left_alone_move(st: _State, d1: np.datetime64, dates) -> None:
    """Children left in a household with no one aged 18+ go to relatives outside (a move out)."""
    present = st.present()
    grown = st.age(present, d1) >= 18
    adult = np.zeros(len(st.hh_chome), bool)
    adult[st.hh[present[grown]]] = True
    alone = present[~adult[st.hh[present]]]
    if len(alone):
        st.exit[alone] = np.maximum(dates(len(alone)), st.entry[alone])
        st.exit_reason[alone] = 1


def _fix_heads(st: _State, present: np.ndarray, age: np.ndarray) -> None:
    """Give every household that lost its head a new one: the spouse, else the oldest member."""
    hh = st.hh[present]
    n_hh = len(st.hh_chome)
    has_head = np.zeros(n_hh, bool)
    has_head[hh[st.rel[present] == HEAD]] = True
    need = present[~has_head[hh]]
    if len(need) == 0:
        return
    order = np.lexsort((-age[need], st.rel[need] != SPOUSE, st.hh[need]))
    need = need[order]
    first = np.r_[True, st.hh[need][1:] != st.hh[need][:-1]]
    st.rel[need[first]] = HEAD


def _year(ctx: SimContext, m: _Model, st: _State, k: int, chome_of) -> None:
    """Simulate fiscal year ``m.years[k]``: events between its 1 April and the next."""
    rng = m.rng
    fy = int(m.years[k])
    d0, d1 = np.datetime64(f"{fy}-04-01"), np.datetime64(f"{fy + 1}-04-01")
    span = int((d1 - d0) / DAY)

    def dates(n: int) -> np.ndarray:
        # Events fall strictly after the 1 April register that opens the year.
        return d0 + rng.integers(1, span, n) * DAY

    present = st.present()
    age = np.zeros(st.n, np.int64)
    age[present] = st.age(present, d0)
    pop_start = len(present)

    # Deaths.
    q = m.qx[st.sex[present], np.minimum(age[present], 120)]
    dead = present[rng.random(len(present)) < q]
    st.exit[dead], st.exit_reason[dead] = dates(len(dead)), 0

    # Moves out: whole households (at the head's rate) and adults leaving alone.
    alive = present[np.isnat(st.exit[present])]
    # A household moves at the mean of its members' rates, so families with small children
    # leave more often than the parents' ages alone would say.
    n_hh = len(st.hh_chome)
    members = np.bincount(st.hh[alive], minlength=n_hh)
    hh_rate = np.bincount(st.hh[alive], weights=m.out_rate[_band(age[alive])], minlength=n_hh)
    hh_rate = hh_rate / np.maximum(members, 1)
    hh_leaves = rng.random(n_hh) < hh_rate
    hh_date = dates(n_hh)
    moving = alive[hh_leaves[st.hh[alive]]]
    st.exit[moving], st.exit_reason[moving] = hh_date[st.hh[moving]], 1
    alive = alive[np.isnat(st.exit[alive])]
    # Spouses move with their household; grown children and parents may also leave alone.
    alone = (age[alive] >= 18) & np.isin(st.rel[alive], [CHILD, PARENT, OTHER])
    alone_rate = np.where(alone, 0.5 * m.out_rate[_band(age[alive])], 0.0)
    leavers = alive[rng.random(len(alive)) < alone_rate]
    st.exit[leavers], st.exit_reason[leavers] = dates(len(leavers)), 1
    stay = alive[np.isnat(st.exit[alive])]

    # Births: the age pattern scaled so births per 1,000 residents meet the profile's figure.
    mothers = stay[(st.sex[stay] == 1) & (age[stay] >= 15) & (age[stay] <= 49)]
    w = m.asfr[np.minimum((age[mothers] - 15) // 5, 6)]
    expected = m.births_per_1000[k] / 1000 * pop_start
    p_birth = np.minimum(w * expected / max(w.sum(), 1e-9), 0.9)
    mums = mothers[rng.random(len(mothers)) < p_birth]
    baby_rel = np.where(np.isin(st.rel[mums], [HEAD, SPOUSE]), CHILD, OTHER)
    st.add_persons(
        (rng.random(len(mums)) >= m.boy_share).astype(np.int8),
        dates(len(mums)),
        st.foreign[mums],
        np.datetime64("NaT"),
        1,
        st.hh[mums],
        baby_rel,
    )
    babies = np.arange(st.n - len(mums), st.n)
    st.entry[babies] = st.birth[babies]
    age = np.concatenate([age, np.zeros(len(mums), np.int64)])

    # Household changes among those who stay.
    # Adult children leaving home within the municipality.
    young_child = stay[(st.rel[stay] == CHILD) & (age[stay] >= 20) & (age[stay] <= 34)]
    go = young_child[rng.random(len(young_child)) < m.leave_home]
    new = st.add_households(chome_of(age[go]), dates(len(go)), LEFT_HOME)
    st.hh[go], st.rel[go] = new, HEAD
    # Single people forming couples.
    sizes = np.bincount(st.hh[stay], minlength=len(st.hh_chome))
    single = stay[(sizes[st.hh[stay]] == 1) & (age[stay] >= 25) & (age[stay] <= 44)]
    moved_out_of_home = np.zeros(st.n, bool)
    moved_out_of_home[go] = True
    single = single[~moved_out_of_home[single]]
    women = single[st.sex[single] == 1]
    men = single[st.sex[single] == 0]
    brides = women[(rng.random(len(women)) < m.couple_rate) & (age[women] <= 39)]
    pos = match_by_age(age[brides] + 2, age[men], rng)
    brides, grooms = brides[pos >= 0], men[pos[pos >= 0]]
    # The couple sets up a new home together.
    new = st.add_households(chome_of(age[grooms]), dates(len(grooms)), COUPLED)
    st.hh[grooms], st.rel[grooms] = new, HEAD
    st.hh[brides], st.rel[brides] = new, SPOUSE
    # Couples separating: the spouse leaves to live alone.
    just_married = np.zeros(st.n, bool)
    just_married[brides] = True
    spouses = stay[(st.rel[stay] == SPOUSE) & ~just_married[stay]]
    part = spouses[rng.random(len(spouses)) < m.separation]
    new = st.add_households(chome_of(age[part]), dates(len(part)), SEPARATED)
    st.hh[part], st.rel[part] = new, HEAD

    # Moves in: enough new households to reach next April's register target.
    present = st.present()
    occupied = int((np.bincount(st.hh[present], minlength=len(st.hh_chome)) > 0).sum())
    _move_in(
        m,
        st,
        int(m.targets[k + 1]) - len(present),
        int(m.hh_targets[k + 1]) - occupied,
        d1,
        dates,
        chome_of,
    )
    age = np.concatenate([age, np.zeros(st.n - len(age), np.int64)])
    _children_left_alone_move(st, d1, dates)
    _fix_heads(st, st.present(), age)


def _move_in(m: _Model, st: _State, n_people: int, n_households: int, d1, dates, chome_of) -> None:
    """Add in-mover households: about ``n_people`` persons in about ``n_households`` households.

    The mix of one-person and larger households is solved so both the register and the
    household count follow their targets; couples and families share the larger households
    in the profile's proportions.
    """
    if n_people <= 0:
        return
    rng = m.rng
    couple_share = m.in_types[1] / max(m.in_types[1:].sum(), 1e-9)
    kids_mean = 1.4
    multi_size = couple_share * 2 + (1 - couple_share) * (2 - m.single_parent + kids_mean)
    n_multi = round((n_people - n_households) / max(multi_size - 1, 1e-9))
    n_multi = int(np.clip(n_multi, 0, n_people // 2))
    n_single = int(np.clip(n_households - n_multi, 0, n_people - round(n_multi * multi_size)))
    n_single = max(n_single, 0)
    n_hh = n_single + n_multi
    if n_hh == 0:
        return
    kind = np.concatenate(
        [np.zeros(n_single, np.int64), np.where(rng.random(n_multi) < couple_share, 1, 2)]
    )
    n_kids = np.where(kind == 2, rng.choice([1, 2], size=n_hh, p=[0.6, 0.4]), 0)
    lone_parent = (kind == 2) & (rng.random(n_hh) < m.single_parent)
    head_age = m.draw_ages_from_bands(m.in_w, n_hh, low=18)
    family_age = np.clip(rng.normal(35, 5, n_hh), 24, 50).astype(np.int64)
    head_age = np.where(
        kind == 2, family_age, np.where(kind == 1, np.maximum(head_age, 22), head_age)
    )
    mean_size = n_people / n_hh
    # Foreign share of newcomers keeps the register near the profile's foreign share.
    present = st.present()
    foreign_now = st.foreign[present].sum()
    want = m.foreign_share * (len(present) + n_people) - foreign_now
    fw = m.foreign_weight(head_age)
    p_foreign = np.clip(fw / fw.sum() * max(want, 0) / mean_size, 0, 1)
    hh_foreign = rng.random(n_hh) < p_foreign
    hh_ids = st.add_households(chome_of(head_age), dates(n_hh), MOVED_IN)
    entry = st.hh_formed[hh_ids]

    # Head: a man in couples and two-parent families, else as drawn.
    head_sex = np.where((kind == 1) | ((kind == 2) & ~lone_parent), 0, m.draw_sex(head_age))
    head_sex = np.where(lone_parent, 1, head_sex)
    spouse = (kind == 1) | ((kind == 2) & ~lone_parent)
    sp_age = np.maximum(
        head_age[spouse] - np.rint(rng.normal(2, 3, spouse.sum())).astype(np.int64), 18
    )
    kid_of = np.repeat(np.arange(n_hh), n_kids)
    kid_age = np.clip(
        head_age[kid_of] - np.rint(rng.normal(32, 4, len(kid_of))).astype(np.int64), 0, 17
    )

    ages = np.concatenate([head_age, sp_age, kid_age])
    hh_of = np.concatenate([np.arange(n_hh), np.flatnonzero(spouse), kid_of])
    sex = np.concatenate(
        [head_sex, np.ones(spouse.sum(), np.int8), (rng.random(len(kid_of)) < 0.49).astype(np.int8)]
    )
    rel = np.concatenate(
        [np.full(n_hh, HEAD), np.full(spouse.sum(), SPOUSE), np.full(len(kid_of), CHILD)]
    )
    on = entry[hh_of]
    birth = m.draw_birth(ages, d1) if len(ages) else np.empty(0, "datetime64[D]")
    # Nobody is born after they move in.
    birth = np.minimum(birth, on)
    ids = st.add_persons(sex, birth, hh_foreign[hh_of], d1, 2, hh_ids[hh_of], rel)
    st.entry[ids] = on


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Run the registry microsimulation and return residents, households and resident_years.

    Examples
    --------
    >>> from ebpmkit.synth import generate_tables
    >>> tables, _ = generate_tables("town", seed=1, scale=0.02, only=("geography", "population"))
    >>> sorted(tables["resident_years"]["fiscal_year"].unique().tolist())[:2]
    [2015, 2016]
    """
    m = _Model(ctx)
    st = _State()
    places = _Places(ctx, m)
    _initial_register(ctx, m, st, places)
    registers = []
    for k, fy in enumerate(m.years):
        present = st.present()
        registers.append((int(fy), present, st.hh[present].copy(), st.rel[present].copy()))
        _year(ctx, m, st, k, places.later)
    tables = _tables(ctx, m, st, registers)
    ctx.truth["population"] = _ageing_truth(tables["resident_years"], places)
    return tables


def _ageing_truth(ry: pd.DataFrame, places: _Places) -> dict:
    """What the built-in places do to ageing, as the data shows it (for trainers and tests)."""

    def shares(by: str) -> pd.DataFrame:
        old = ry["age"] >= 65
        return old.groupby([ry["fiscal_year"], ry[by]], observed=True).mean().unstack() * 100

    area, district = shares("area"), shares("district_code")
    rise = area.iloc[-1] - area.iloc[0]
    return {
        "estate_district": places.estate_district,
        "estate_area": places.estate_area,
        "area_largest_rise_in_elderly_share": str(rise.idxmax()),
        "area_highest_elderly_share_latest": str(area.iloc[-1].idxmax()),
        "district_highest_elderly_share_first": str(district.iloc[0].idxmax()),
        "district_highest_elderly_share_latest": str(district.iloc[-1].idxmax()),
    }


def _cat(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=labels)


def _tables(ctx: SimContext, m: _Model, st: _State, registers) -> dict[str, pd.DataFrame]:
    chome = ctx.tables["chome"]
    areas = list(ctx.profile.get("geography.areas"))
    # Codes are categoricals: 2.8M register rows repeat 88 chome and 22 district codes.
    chome_codes = chome["chome_code"].astype(str).tolist()
    district_codes = sorted(chome["district_code"].astype(str).unique())
    chome_district = (
        chome["district_code"]
        .astype(str)
        .map({d: i for i, d in enumerate(district_codes)})
        .to_numpy()
    )
    chome_area = chome["area"].astype(str).map({a: i for i, a in enumerate(areas)}).to_numpy()

    # Persons never registered on any 1 April and gone by the end still count as residents.
    residents = pd.DataFrame(
        {
            "person_id": np.arange(1, st.n + 1, dtype=np.int64),
            "sex": _cat(st.sex, SEXES),
            "birth_date": st.birth.astype("datetime64[s]"),
            "nationality": _cat(st.foreign.astype(np.int8), NATIONALITIES),
            "entry_date": st.entry.astype("datetime64[s]"),
            "entry_reason": _cat(st.entry_reason, ENTRY_REASONS),
            "exit_date": st.exit.astype("datetime64[s]"),
            "exit_reason": _cat(st.exit_reason, EXIT_REASONS),
        }
    )
    # Households are numbered from 1 in order of formation; drop any that never held anyone.
    n_hh = len(st.hh_chome)
    households = pd.DataFrame(
        {
            "household_id": np.arange(1, n_hh + 1, dtype=np.int64),
            "chome_code": pd.Categorical.from_codes(st.hh_chome, categories=chome_codes),
            "district_code": pd.Categorical.from_codes(
                chome_district[st.hh_chome], categories=district_codes
            ),
            "area": pd.Categorical.from_codes(chome_area[st.hh_chome], categories=areas),
            "formed_date": st.hh_formed.astype("datetime64[s]"),
            "formed_reason": _cat(st.hh_reason, FORMED_REASONS),
        }
    )

    parts = []
    for fy, present, hh, rel in registers:
        d0 = np.datetime64(f"{fy}-04-01")
        chome_idx = st.hh_chome[hh]
        parts.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.full(len(present), fy, np.int16),
                    "person_id": present.astype(np.int64) + 1,
                    "age": st.age(present, d0).astype(np.int16),
                    "sex": _cat(st.sex[present], SEXES),
                    "nationality": _cat(st.foreign[present].astype(np.int8), NATIONALITIES),
                    "household_id": hh + 1,
                    "relationship": _cat(rel, RELATIONSHIPS),
                    "chome_code": pd.Categorical.from_codes(chome_idx, categories=chome_codes),
                    "district_code": pd.Categorical.from_codes(
                        chome_district[chome_idx], categories=district_codes
                    ),
                    "area": pd.Categorical.from_codes(chome_area[chome_idx], categories=areas),
                }
            )
        )
    resident_years = pd.concat(parts, ignore_index=True)
    return {"residents": residents, "households": households, "resident_years": resident_years}
