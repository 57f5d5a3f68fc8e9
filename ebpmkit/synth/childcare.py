"""Licensed childcare (認可保育所): applications, admissions, waiting lists, capacity and fees.

Children of class ages 0-5 (age on 1 April) apply with a chance that rises over the years and is
lower at age 0. Each child keeps one latent propensity, so a child who applies once tends to
apply again. Each district's capacity grows over the years (it never shrinks); it is solved year
by year so that the ward's waiting list follows the profile's series (scaled by the generation
scale), with districts differing persistently in how short of places they are. Children already
enrolled keep their place; new applicants are ranked with extra points for single parents.
Fees follow the household's municipal income levy on a schedule interpolated between one ward's
tier points, with free care for ages 3-5 (and for resident-tax-exempt households) from October
2019 and, where the profile says so, for second and later children from October 2023.

Examples
--------
>>> import ebpmkit.synth.childcare as childcare
>>> sorted(childcare.TABLES)
['childcare_applications', 'childcare_capacity']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit._arrays import sorted_unique
from ebpmkit.synth._keys import dense_codes, has_label, pair_key, positions
from ebpmkit.synth.columns import shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = [
    "COLUMNS",
    "PARAMETERS",
    "ROLES",
    "STATUSES",
    "TABLES",
    "monthly_fee_schedule",
    "simulate",
]

STATUSES = ("入所", "待機")
_PARENTS = ("世帯主", "配偶者")
_CHILD = "子"

TABLES = {
    "childcare_applications": "認可保育所の利用申込み(年度・申込み児童ごと1行、4月1日時点):入所/待機の別と保育料",
    "childcare_capacity": "認可保育所の地区別の定員・申込み・入所・待機児童数(年度・地区ごと1行、4月1日時点)",
}

_A = "childcare_applications"
_C = "childcare_capacity"
COLUMNS = [
    shared("fiscal_year", _A, "申込みの年度(4月1日入所の選考)"),
    shared("person_id", _A, "児童を識別する番号(residents と結合可)"),
    shared("household_id", _A, "その年度4月1日時点の世帯"),
    shared("district_code", _A, "児童が住む住区のコード"),
    Column(
        _A,
        "class_age",
        "int16",
        "クラス年齢",
        "class age",
        "歳",
        "4月1日時点の年齢(0〜5歳児クラス)",
    ),
    Column(
        _A,
        "status",
        "category",
        "利用状況",
        "status",
        "",
        "入所=4月1日に入所、待機=入所できなかった(待機児童)。申込み率の年次推移は東京都の利用率を基にした仮定",
    ),
    Column(
        _A,
        "continuing",
        "bool",
        "継続利用",
        "continuing",
        "",
        "前年度から引き続き入所している児童(選考で優先)",
    ),
    Column(
        _A,
        "monthly_fee",
        "int64",
        "保育料(月額)",
        "monthly fee",
        "円",
        "年度平均の月額保育料。父母(世帯主・配偶者)の区市町村民税所得割額(所得割の6/10、当該年度)による。"
        "3歳未満はある区の階層表の区切りの間を直線で補間、3〜5歳は2019年9月まではその半額(仮定)。"
        "2019年10月から3〜5歳と住民税非課税世帯は無償、プロフィールにより第2子以降も無償(2023年10月から)。"
        "年度途中の無償化は月数で按分(2019年度の3〜5歳は半年分)。9月の所得割の切替えは省略。待機の場合は0",
    ),
    shared("fiscal_year", _C, "4月1日時点の年度"),
    shared("district_code", _C, "住区のコード"),
    Column(
        _C,
        "capacity",
        "int64",
        "定員",
        "capacity",
        "人",
        "住区内の認可保育所の定員(0〜5歳の合計)。毎年維持または増加し、待機児童数がプロフィールの推移に沿うよう設定(仮定)",
    ),
    Column(
        _C,
        "applications",
        "int64",
        "申込み数",
        "applications",
        "人",
        "4月1日入所の申込み児童数(継続を含む)",
    ),
    Column(_C, "enrolled", "int64", "入所数", "enrolled", "人", "4月1日の入所児童数"),
    Column(
        _C,
        "waiting",
        "int64",
        "待機児童数",
        "waiting children",
        "人",
        "申込みのうち入所できなかった児童数",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES).
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    _A: {"id": ("person_id", "household_id")},
    _C: {},
}

PARAMETERS = [
    Param(
        "childcare.application_rate_years",
        kind="numbers",
        low=1990,
        high=2100,
        ja="保育所の申込率を与える年度(間の年度は直線で補う)",
        unit="年度",
        when="none",
    ),
    Param(
        "childcare.application_rate",
        kind="numbers",
        low=0,
        high=1,
        ja="childcare.application_rate_years の各年度の、未就学児のうち認可保育所に申し込む割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        "childcare.waiting_years",
        kind="numbers",
        low=1990,
        high=2100,
        ja="待機児童数の目標を与える年度",
        unit="年度",
        when="none",
    ),
    Param(
        "childcare.waiting",
        kind="numbers",
        low=0,
        ja="childcare.waiting_years の各年度の待機児童数(scale を掛けた数)。住区の定員はこれに合うように決まる",
        unit="人",
        when="listed",
    ),
    Param(
        "childcare.second_child_free_from",
        kind="numbers",
        length=2,
        required=False,
        ja="第2子以降の保育料を無償にした時期(年、月)。書かなければ無償化しない",
        unit="年、月",
        when="listed",
    ),
    Param(
        "childcare.class_age_weights",
        kind="numbers",
        low=0,
        high=10,
        length=6,
        ja="0～5歳児クラスごとの申し込みやすさ(相対的な重み)",
        unit="倍(相対的な重み)",
    ),
    Param(
        "childcare.fee_levy_points",
        kind="numbers",
        low=0,
        ja="3歳未満の保育料の表で、世帯の住民税所得割額の区切り(fee_points と同じ数)",
        unit="円",
    ),
    Param(
        "childcare.fee_points",
        kind="numbers",
        low=0,
        ja="fee_levy_points の各所得割額での3歳未満の保育料(月額、間は直線で補う)",
        unit="円(1か月あたり)",
    ),
    Param("childcare.fee_cap", low=0, ja="3歳未満の保育料の上限(月額)", unit="円(1か月あたり)"),
    Param(
        "childcare.over3_fee_ratio",
        low=0,
        high=2,
        ja="無償化前の3～5歳児の保育料の、3歳未満の保育料に対する比",
        unit="倍",
    ),
    Param(
        "childcare.free_3to5_from",
        kind="numbers",
        length=2,
        ja="3～5歳児(と住民税非課税世帯の0～2歳児)の保育料が無償になった時期(年、月)",
        unit="年、月",
        when="listed",
    ),
    Param(
        "childcare.single_parent_priority",
        low=0,
        high=10,
        ja="ひとり親世帯に加える入所選考の優先点",
        unit="点",
    ),
    Param(
        "childcare.district_balance_sd",
        low=0,
        high=1,
        ja="住区の間で、申込に対する定員の多さがばらつく度合い",
        unit="割合",
    ),
    Param(
        "childcare.district_balance_persistence",
        low=0,
        high=1,
        ja="定員の足りない住区が翌年度も足りない度合い",
        unit="相関(0～1)",
    ),
]


def monthly_fee_schedule(profile, levy: np.ndarray) -> np.ndarray:
    """Full monthly fee for an under-3 child, from the household's municipal income levy.

    Linear between the tier points, then along the last segment's slope up to the cap; rounded
    to 100 yen.

    Parameters
    ----------
    profile : Profile
        Provides ``childcare.fee_levy_points``, ``childcare.fee_points`` and ``childcare.fee_cap``.
    levy : ndarray
        Municipal income levy of the parents (yen a year).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> monthly_fee_schedule(load_profile("urban-ward"), np.array([0, 51150, 335800])).tolist()
    [3000, 8500, 54400]
    """
    xs = profile.numbers("childcare.fee_levy_points", low=0)
    ys = profile.numbers("childcare.fee_points", low=0, length=len(xs))
    levy = np.asarray(levy, dtype=float)
    fee = np.interp(levy, xs, ys)
    if len(xs) > 1:
        slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        fee = np.where(levy > xs[-1], ys[-1] + slope * (levy - xs[-1]), fee)
    fee = np.minimum(fee, profile.number("childcare.fee_cap"))
    return (np.round(fee / 100) * 100).astype(np.int64)


def _payable_share(year: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Share of the fiscal year's 12 months (April-March) before a rule starting (year, month)."""
    start_year, start_month = int(start[0]), int(start[1])
    months = 12 * (start_year - year) + (start_month - 4)
    return np.clip(months, 0, 12) / 12


def _line(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Straight line through the points, extended beyond the ends."""
    if len(xs) == 1:
        return np.full(len(x), ys[0], dtype=float)
    y = np.interp(x, xs, ys)
    lo = ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (x - xs[0])
    hi = ys[-1] + (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]) * (x - xs[-1])
    return np.where(x < xs[0], lo, np.where(x > xs[-1], hi, y))


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``childcare_applications`` and ``childcare_capacity``.

    Stages: who applies; applications by district; capacity solved for the waiting-list
    target; admission (continuing children first, then by priority points); fees; the tables
    and ground truth.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("urban-ward"), seed=1, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2018] * 3), "person_id": [1, 2, 3], "age": np.int16([35, 33, 1]),
    ...     "household_id": [7, 7, 7], "relationship": ["世帯主", "配偶者", "子"], "district_code": ["D01"] * 3})
    >>> ctx.tables["income_tax"] = pd.DataFrame({"fiscal_year": [2018, 2018], "person_id": [1, 2],
    ...     "income_levy": [200_000, 100_000], "resident_tax": [205_000, 105_000]})
    >>> out = simulate(ctx)
    >>> sorted(out)
    ['childcare_applications', 'childcare_capacity']
    """
    prof = ctx.profile
    rng = ctx.rng("childcare")
    ry = ctx.tables["resident_years"]
    app = _applicants(prof, rng, ry)
    dist = _districts(ctx, ry, app)
    capacity, target = _capacity(ctx, rng, app.years, dist.applications)

    years = app.years
    span = (int(years[0]), int(years[-1] - years[0] + 1)) if len(years) else (0, 1)
    # Family facts need only the applicants' households: cut the register down first.
    family = ry.iloc[
        np.flatnonzero(positions(ry["household_id"].to_numpy(np.int64), sorted_unique(app.hh)) >= 0)
    ]
    single = _single_parent(family, app.year, app.hh, span)
    enrolled, continuing = _admit(prof, rng, app, dist, capacity, single)
    fee = _fees(
        prof, family, ctx.tables["income_tax"], app.year, app.pid, app.hh, app.class_age, span
    )
    fee = np.where(enrolled, fee, 0)

    codes_cat = pd.CategoricalDtype(list(dist.codes))
    applications_table = pd.DataFrame(
        {
            "fiscal_year": app.year.astype(np.int16),
            "person_id": app.pid,
            "household_id": app.hh,
            "district_code": pd.Categorical(dist.values, dtype=codes_cat),
            "class_age": app.class_age.astype(np.int16),
            "status": pd.Categorical.from_codes(
                np.where(enrolled, 0, 1), categories=list(STATUSES)
            ),
            "continuing": continuing,
            "monthly_fee": fee.astype(np.int64),
        }
    )
    capacity_table, waiting = _capacity_table(app, dist, capacity, enrolled, codes_cat)
    ctx.truth["childcare"] = {
        "waiting_target": {int(y): int(w) for y, w in zip(years, target, strict=True)},
        "waiting": {int(y): int(w) for y, w in zip(years, waiting, strict=True)},
        "application_rate": {
            int(y): round(float(r), 4) for y, r in zip(years, app.rate, strict=True)
        },
        "note": "Capacity is solved each year so the waiting list follows the profile series times the scale.",
    }
    return {"childcare_applications": applications_table, "childcare_capacity": capacity_table}


@dataclass(frozen=True)
class _Applicants:
    """Children of class ages 0-5 who apply: one row per child and fiscal year."""

    years: np.ndarray  # every fiscal year of the register
    rate: np.ndarray  # application rate of each year
    weights: np.ndarray  # relative application chance by class age 0-5
    mean_w: np.ndarray  # mean class-age weight of each year's children
    propensity: np.ndarray  # fixed per child (by dense code ``kid``)
    rows: np.ndarray  # positions in resident_years
    year: np.ndarray
    class_age: np.ndarray
    pid: np.ndarray
    kid: np.ndarray  # dense child code
    yi: np.ndarray  # position of the row's fiscal year in ``years``
    hh: np.ndarray


def _applicants(prof, rng: np.random.Generator, ry: pd.DataFrame) -> _Applicants:
    """Who applies: the year's rate, shaped by class age, against a propensity fixed per child."""
    age_all = ry["age"].to_numpy()
    kid_rows = np.flatnonzero((age_all >= 0) & (age_all <= 5))
    year = ry["fiscal_year"].to_numpy()[kid_rows].astype(np.int64)
    class_age = age_all[kid_rows].astype(np.int64)
    pid = ry["person_id"].to_numpy(np.int64)[kid_rows]
    all_years = ry["fiscal_year"].to_numpy().astype(np.int64)
    y0 = int(all_years.min()) if len(all_years) else 0
    years = (
        y0 + np.flatnonzero(np.bincount(all_years - y0))
        if len(all_years)
        else np.zeros(0, np.int64)
    )
    rate = np.clip(
        _line(
            years.astype(float),
            prof.numbers("childcare.application_rate_years"),
            prof.numbers("childcare.application_rate", low=0, high=1),
        ),
        0.01,
        0.95,
    )
    weights = prof.numbers("childcare.class_age_weights", length=6)
    yi = np.searchsorted(years, year)
    mean_w = np.bincount(yi, weights=weights[class_age], minlength=len(years)) / np.maximum(
        np.bincount(yi, minlength=len(years)), 1
    )
    p_apply = np.minimum(rate[yi] * weights[class_age] / np.maximum(mean_w[yi], 1e-9), 0.98)
    n_kids, kid = dense_codes(pid)
    propensity = rng.random(n_kids)
    applies = propensity[kid] < p_apply
    rows = kid_rows[applies]
    return _Applicants(
        years=years,
        rate=rate,
        weights=weights,
        mean_w=mean_w,
        propensity=propensity,
        rows=rows,
        year=year[applies],
        class_age=class_age[applies],
        pid=pid[applies],
        kid=kid[applies],
        yi=yi[applies],
        hh=ry["household_id"].to_numpy(np.int64)[rows],
    )


@dataclass(frozen=True)
class _Districts:
    """The district codes and each applicant's district."""

    codes: np.ndarray
    values: np.ndarray  # district code of each applicant
    index: np.ndarray  # position of each applicant's district in ``codes``
    applications: np.ndarray  # applications by (year, district)


def _districts(ctx: SimContext, ry: pd.DataFrame, app: _Applicants) -> _Districts:
    """Count applications by district: the geography's list when there is one, so empty
    districts still appear."""
    district_values = ry["district_code"].iloc[app.rows].astype(str).to_numpy()
    if "districts" in ctx.tables:
        codes = ctx.tables["districts"]["district_code"].astype(str).to_numpy()
        codes = np.concatenate([codes, np.setdiff1d(np.unique(district_values), codes)])
    else:
        codes = np.unique(ry["district_code"].astype(str).to_numpy())
    di = np.searchsorted(np.sort(codes), district_values)
    di = np.argsort(codes)[di] if len(codes) else di
    applications = np.zeros((len(app.years), len(codes)), dtype=np.int64)
    np.add.at(applications, (app.yi, di), 1)
    return _Districts(codes=codes, values=district_values, index=di, applications=applications)


def _admit(
    prof,
    rng: np.random.Generator,
    app: _Applicants,
    dist: _Districts,
    capacity: np.ndarray,
    single: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Admission year by year: continuing children first, then the rest by priority points.

    Returns whether each application was admitted and whether the child was continuing.
    """
    years, yi, kid, class_age, di = app.years, app.yi, app.kid, app.class_age, dist.index
    n_d = len(dist.codes)
    bonus = prof.number("childcare.single_parent_priority")
    enrolled = np.zeros(len(app.rows), dtype=bool)
    continuing = np.zeros(len(app.rows), dtype=bool)
    # Before the first year: a child who would have applied a year earlier (same propensity,
    # the earlier year's rate) counts as already enrolled, so the first year has continuing
    # children too.
    was_enrolled = np.zeros(len(app.propensity), dtype=bool)
    if len(years):
        before = _line(
            np.array([years[0] - 1.0]),
            prof.numbers("childcare.application_rate_years"),
            prof.numbers("childcare.application_rate"),
        )[0]
        first = np.flatnonzero((yi == 0) & (class_age >= 1))
        p_before = (
            np.clip(before, 0.01, 0.95)
            * app.weights[class_age[first] - 1]
            / max(app.mean_w[0], 1e-9)
        )
        was_enrolled[kid[first]] = app.propensity[kid[first]] < np.minimum(p_before, 0.98)
    noise = rng.random(len(app.rows))
    for i in range(len(years)):
        at = np.flatnonzero(yi == i)
        continuing[at] = was_enrolled[kid[at]]
        priority = noise[at] + bonus * single[at] + 100.0 * continuing[at]
        order = at[np.lexsort((-priority, di[at]))]
        starts = np.concatenate([[0], np.cumsum(np.bincount(di[at], minlength=n_d))[:-1]])
        rank = np.arange(len(order)) - starts[di[order]]
        enrolled[order] = rank < capacity[i, di[order]]
        was_enrolled[:] = False
        was_enrolled[kid[at[enrolled[at]]]] = True
    return enrolled, continuing


def _capacity_table(
    app: _Applicants,
    dist: _Districts,
    capacity: np.ndarray,
    enrolled: np.ndarray,
    codes_cat: pd.CategoricalDtype,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``childcare_capacity`` table and the waiting list of each year."""
    applications, n_d = dist.applications, len(dist.codes)
    enrolled_count = np.zeros_like(applications)
    np.add.at(enrolled_count, (app.yi[enrolled], dist.index[enrolled]), 1)
    table = pd.DataFrame(
        {
            "fiscal_year": np.repeat(app.years, n_d).astype(np.int16),
            "district_code": pd.Categorical(np.tile(dist.codes, len(app.years)), dtype=codes_cat),
            "capacity": capacity.ravel(),
            "applications": applications.ravel(),
            "enrolled": enrolled_count.ravel(),
            "waiting": (applications - enrolled_count).ravel(),
        }
    )
    return table, (applications - enrolled_count).sum(axis=1)


def _capacity(
    ctx: SimContext, rng: np.random.Generator, years: np.ndarray, applications: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Capacity per year and district (never falling) meeting the waiting-list target each year."""
    prof = ctx.profile
    target = np.interp(
        years,
        prof.numbers("childcare.waiting_years"),
        prof.numbers("childcare.waiting", low=0),
    )
    target = np.round(target * ctx.scale).astype(np.int64)
    n_years, n_d = applications.shape
    sd = prof.number("childcare.district_balance_sd")
    rho = prof.number("childcare.district_balance_persistence")
    base = rng.standard_normal(n_d)
    capacity = np.zeros((n_years, n_d), dtype=np.int64)
    previous = np.zeros(n_d, dtype=np.int64)
    for i in range(n_years):
        a = applications[i]
        e = np.sqrt(rho) * base + np.sqrt(1 - rho) * rng.standard_normal(n_d)

        def shortfall(m: float, a=a, e=e, previous=previous) -> tuple[int, np.ndarray]:
            cap = np.maximum(previous, np.round(a * np.maximum(1 + m + sd * e, 0))).astype(np.int64)
            return int(np.maximum(a - cap, 0).sum()), cap

        lo, hi = -1.0, 2.0  # shortfall(lo) is largest, shortfall(hi) is 0
        for _ in range(40):
            mid = (lo + hi) / 2
            if shortfall(mid)[0] <= target[i]:
                hi = mid
            else:
                lo = mid
        capacity[i] = shortfall(hi)[1]
        previous = capacity[i]
    return capacity, target


def _single_parent(
    ry: pd.DataFrame, year: np.ndarray, hh: np.ndarray, span: tuple[int, int]
) -> np.ndarray:
    """Whether each applicant's household has no spouse of the head that year."""
    if "relationship" not in ry.columns or len(hh) == 0:
        return np.zeros(len(hh), dtype=bool)
    spouse = np.flatnonzero(has_label(ry["relationship"], ("配偶者",)))
    keys = pair_key(
        ry["fiscal_year"].to_numpy()[spouse], ry["household_id"].to_numpy(np.int64)[spouse], *span
    )
    return positions(pair_key(year, hh, *span), keys) < 0


def _fees(
    prof,
    ry: pd.DataFrame,
    it: pd.DataFrame,
    year: np.ndarray,
    pid: np.ndarray,
    hh: np.ndarray,
    class_age: np.ndarray,
    span: tuple[int, int],
) -> np.ndarray:
    """Average monthly fee over the fiscal year for each applicant, if admitted."""
    n = len(pid)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    app_keys = sorted_unique(pair_key(year, hh, *span))
    mine = np.searchsorted(app_keys, pair_key(year, hh, *span))
    ry_year = ry["fiscal_year"].to_numpy()
    ry_hh = ry["household_id"].to_numpy(np.int64)
    ry_pid = ry["person_id"].to_numpy(np.int64)
    has_rel = "relationship" in ry.columns

    # Parents: the head and spouse of the child's household that year. The fee schedule reads the
    # municipal levy at the 6% rate in every kind of municipality, a designated city too (its
    # 8% from FY2018 is not used here), so that the levy split alone does not move fees; this
    # is our reading of the national fee rules and was not checked against them offline.
    parent_rows = (
        np.flatnonzero(has_label(ry["relationship"], _PARENTS))
        if has_rel
        else np.zeros(0, np.int64)
    )
    slot = positions(pair_key(ry_year[parent_rows], ry_hh[parent_rows], *span), app_keys)
    parent_rows, slot = parent_rows[slot >= 0], slot[slot >= 0]
    it_year = it["fiscal_year"].to_numpy().astype(np.int64)
    in_span = np.flatnonzero((it_year >= span[0]) & (it_year < span[0] + span[1]))
    it_keys = pair_key(it_year[in_span], it["person_id"].to_numpy(np.int64)[in_span], *span)
    at = positions(pair_key(ry_year[parent_rows], ry_pid[parent_rows], *span), it_keys)
    found = at >= 0
    at = in_span[at[found]]
    levy = np.zeros(len(parent_rows))
    levy[found] = it["income_levy"].to_numpy(np.float64)[at] * 0.6
    tax = levy.copy()
    if "resident_tax" in it.columns:
        tax[found] = it["resident_tax"].to_numpy(np.float64)[at]
    household_levy = np.bincount(slot, weights=levy, minlength=len(app_keys))
    household_tax = np.bincount(slot, weights=tax, minlength=len(app_keys))
    levy_child, exempt = household_levy[mine], household_tax[mine] <= 0

    # Birth order among the household's children (relationship 子), eldest first.
    order_rank = np.ones(n, dtype=np.int64)
    kid_rows = (
        np.flatnonzero(has_label(ry["relationship"], (_CHILD,)))
        if has_rel
        else np.zeros(0, np.int64)
    )
    kid_slot = positions(pair_key(ry_year[kid_rows], ry_hh[kid_rows], *span), app_keys)
    kid_rows, kid_slot = kid_rows[kid_slot >= 0], kid_slot[kid_slot >= 0]
    if len(kid_rows):
        sib_age = ry["age"].to_numpy()[kid_rows].astype(np.int64)
        srt = np.lexsort((ry_pid[kid_rows], -sib_age, kid_slot))
        sorted_slot = kid_slot[srt]
        rank = np.arange(len(srt)) - np.searchsorted(sorted_slot, sorted_slot, side="left") + 1
        sib_keys = pair_key(ry_year[kid_rows][srt], ry_pid[kid_rows][srt], *span)
        at = positions(pair_key(year, pid, *span), sib_keys)
        order_rank = np.where(at >= 0, rank[np.maximum(at, 0)], 1)

    full = monthly_fee_schedule(prof, levy_child).astype(float)
    over3 = class_age >= 3
    full = np.where(over3, full * prof.number("childcare.over3_fee_ratio"), full)
    free_from = prof.numbers("childcare.free_3to5_from", length=2)
    share = np.ones(n)
    share = np.where(over3 | exempt, _payable_share(year, free_from), share)
    if prof.has("childcare.second_child_free_from"):
        second = prof.numbers("childcare.second_child_free_from", length=2)
        share = np.where(order_rank >= 2, np.minimum(share, _payable_share(year, second)), share)
    return np.round(full * share).astype(np.int64)
