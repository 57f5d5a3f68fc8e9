"""Long-term care certification (要介護認定): who is certified, at which level, since when.

Each person draws one latent frailty ``u`` (uniform, fixed for life). A person of age ``a`` is
certified when ``u < rate(a)``, where ``rate`` is the national certification rate by age
(logit-linear between the mid-points of the published age bands, rare at ages 40-64). Because the
rate only rises with age, a person once certified stays certified. The age at which ``rate``
first passed ``u`` is the age of first certification; the years since then, plus a little for
each year of age and a personal offset, make a severity score whose quantiles set the care
level, so the levels match the national mix. Levels therefore rise with
age and never fall for a person.

Examples
--------
>>> import ebpmkit.synth.ltc as ltc
>>> list(ltc.LEVELS)[:2]
['要支援1', '要支援2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ebpmkit.synth._keys import categorical_rows, dense_codes
from ebpmkit.synth.columns import person_year_columns
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = ["COLUMNS", "LEVELS", "PARAMETERS", "ROLES", "TABLES", "certification_rate", "simulate"]

LEVELS = ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")
_MAX_AGE = 130

TABLES = {
    "ltc": "介護保険の要介護・要支援認定者(年度・認定者ごと1行):認定区分と初回認定年度",
}

_T = "ltc"
COLUMNS = [
    *person_year_columns(
        _T,
        year="4月1日時点で認定を受けている年度",
        age="4月1日時点の年齢。40〜64歳は特定疾病による認定(第2号被保険者)",
    ),
    Column(
        _T,
        "level",
        "category",
        "要介護度",
        "care level",
        "",
        "要支援1〜要介護5(順序付きカテゴリ)。全体の構成は令和4年度の全国値、年齢とともに重くなる仕組みは仮定",
    ),
    Column(
        _T,
        "certified",
        "bool",
        "認定あり",
        "certified",
        "",
        "認定を受けていることを示す(この表では常に True)",
    ),
    Column(
        _T,
        "first_certified_year",
        "int16",
        "初回認定年度",
        "first certified fiscal year",
        "年度",
        "初めて認定を受けた年度(転入前・データ期間前を含む推計。介護保険制度が始まった2000年度より前にはならない)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Age, sex and
#: district are quasi-identifiers here too, but the pseudonymized variant reaches k only on the
#: registers in population.py (it top-codes age here); care information is special-care
#: information.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "ltc": {
        "id": ("person_id", "household_id"),
        "sensitive": ("level", "first_certified_year"),
    },
}

PARAMETERS = [
    Param(
        "ltc.rate_band_starts",
        kind="numbers",
        low=40,
        high=120,
        ja="要介護認定率を与える年齢階級の下限(65歳以上)",
        unit="歳",
    ),
    Param(
        "ltc.rate_by_band",
        kind="numbers",
        low=0.0001,
        high=0.999,
        ja="rate_band_starts の各年齢階級の要介護認定率",
        unit="割合(0～1)",
    ),
    Param(
        "ltc.rate_40",
        low=0,
        high=0.5,
        ja="40歳の要介護認定率(40～64歳は rate_40 から rate_64 まで対数で直線に補う)",
        unit="割合(0～1)",
    ),
    Param("ltc.rate_64", low=0, high=0.5, ja="64歳の要介護認定率", unit="割合(0～1)"),
    Param("ltc.rate_multiplier", low=0.2, high=3, ja="全国の年齢別認定率に掛ける倍率", unit="倍"),
    Param(
        "ltc.level_mix",
        kind="numbers",
        low=0,
        high=1,
        length=len(LEVELS),
        ja="認定を受けた人の要介護度(要支援1・2、要介護1～5)の割合",
        unit="割合(0～1)",
    ),
    Param(
        "ltc.level_spread_years",
        low=0,
        high=30,
        ja="重さのばらつき(認定からの年数と年齢で決まる重さのまわりの広がり)",
        unit="年",
    ),
    Param(
        "ltc.level_age_weight",
        low=0,
        high=5,
        ja="認定からの年数に加えて、年齢1歳ごとに重さが増える分",
        unit="年(1歳あたり)",
    ),
    Param(
        "ltc.scheme_start_year",
        low=1990,
        high=2100,
        ja="介護保険制度が始まった年(これより前の認定日は作らない)",
        unit="年",
        when="none",
    ),
]


def certification_rate(profile, ages: np.ndarray | None = None) -> np.ndarray:
    """Share certified at each single year of age (0 below 40, never falling with age).

    From 65 the rate is logit-linear between the mid-points of the published bands (the end
    slopes carry on beyond them), with anchors adjusted so each band's average meets the
    published rate; from 40 to 64 it rises log-linearly from ``ltc.rate_40``
    to ``ltc.rate_64``. ``ltc.rate_multiplier`` scales the odds for a municipality.

    Parameters
    ----------
    profile : Profile
        Provides the ``ltc.*`` figures.
    ages : ndarray of int, optional
        Ages to evaluate; all ages 0-130 when omitted.

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> rate = certification_rate(load_profile("urban-ward"))
    >>> bool(rate[30] == 0 and rate[67] < rate[82] < rate[95])
    True
    """
    starts = profile.numbers("ltc.rate_band_starts", low=40, high=120)
    rates = profile.numbers("ltc.rate_by_band", low=0.0001, high=0.999, length=len(starts))
    mult = profile.number("ltc.rate_multiplier", low=0.2, high=3)
    all_ages = np.arange(_MAX_AGE + 1, dtype=float)
    target = np.log(rates / (1 - rates))
    # Anchors are corrected a few times so each band's average rate (ages weighted equally within
    # a band; the open last band with a 25%-a-year decline in numbers) meets the published rate.
    band = np.searchsorted(starts, all_ages, side="right") - 1
    weight = np.where(all_ages >= starts[-1], np.exp(-0.25 * (all_ages - starts[-1])), 1.0)
    weight = np.where(band >= 0, weight, 0.0)
    anchors = target.copy()
    for _ in range(6):
        rate = _logit_curve(all_ages, starts, anchors)
        avg = np.bincount(band.clip(0), weights=rate * weight, minlength=len(starts)) / np.bincount(
            band.clip(0), weights=weight, minlength=len(starts)
        )
        anchors += target - np.log(avg / (1 - avg))
    odds = rate / (1 - rate) * mult
    rate = np.where(all_ages >= starts[0], odds / (1 + odds), 0.0)
    r40, r64 = profile.number("ltc.rate_40"), profile.number("ltc.rate_64")
    young = (all_ages >= 40) & (all_ages < starts[0])
    span = max(starts[0] - 1 - 40, 1)
    young_rate = r40 * (max(r64, 1e-12) / max(r40, 1e-12)) ** ((all_ages - 40) / span) * mult
    rate = np.where(young, np.minimum(young_rate, 0.5), rate)
    rate = np.maximum.accumulate(np.minimum(rate, 0.999))
    if ages is None:
        return rate
    return rate[np.clip(np.asarray(ages, dtype=np.int64), 0, _MAX_AGE)]


def _logit_curve(ages: np.ndarray, starts: np.ndarray, logit: np.ndarray) -> np.ndarray:
    """Rates logit-linear between band mid-points, extending the end slopes."""
    mids = np.append((starts[:-1] + starts[1:]) / 2, starts[-1] + 2.5)
    if len(mids) == 1:
        x = np.full(len(ages), logit[0])
    else:
        x = np.interp(ages, mids, logit)
        last = (logit[-1] - logit[-2]) / (mids[-1] - mids[-2])
        first = (logit[1] - logit[0]) / (mids[1] - mids[0])
        x = np.where(ages > mids[-1], logit[-1] + last * (ages - mids[-1]), x)
        x = np.where(ages < mids[0], logit[0] + first * (ages - mids[0]), x)
    return 1 / (1 + np.exp(-x))


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate the ``ltc`` table from ``resident_years``.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("town"), seed=3, scale=0.01)
    >>> ctx.tables["resident_years"] = pd.DataFrame({
    ...     "fiscal_year": np.int16([2015, 2016]), "person_id": [9, 9], "age": np.int16([104, 105]),
    ...     "sex": ["女性", "女性"], "household_id": [4, 4], "district_code": ["D01", "D01"]})
    >>> simulate(ctx)["ltc"]["certified"].tolist()
    [True, True]
    """
    prof = ctx.profile
    rng = ctx.rng("ltc")
    ry = ctx.tables["resident_years"]
    rate = certification_rate(prof)

    # One frailty and one level offset per person, drawn over everyone ever registered (in
    # person_id order), so a person keeps them in every year.
    pid_all = ry["person_id"].to_numpy(np.int64)
    n_persons, person = dense_codes(pid_all)
    u = rng.random(n_persons)
    offset = rng.standard_normal(n_persons) * prof.number("ltc.level_spread_years")

    age_all = ry["age"].to_numpy()
    rows = np.flatnonzero(age_all >= 40)
    age = age_all[rows].astype(np.int64)
    person = person[rows]
    certified = u[person] < rate[np.minimum(age, _MAX_AGE)]
    rows, age, person = rows[certified], age[certified], person[certified]

    # Age when the rate first exceeded u (rate is non-decreasing, so a search finds it).
    onset = np.searchsorted(rate, u[person], side="right")
    years_certified = age - onset
    year = ry["fiscal_year"].to_numpy()[rows].astype(np.int64)
    first_year = np.maximum(year - years_certified, int(prof.number("ltc.scheme_start_year")))

    mix = prof.numbers("ltc.level_mix", low=0, high=1, length=len(LEVELS))
    severity = years_certified + prof.number("ltc.level_age_weight") * (age - 65) + offset[person]
    cuts = (
        np.quantile(severity, np.cumsum(mix / mix.sum())[:-1])
        if len(severity)
        else np.zeros(len(mix) - 1)
    )
    level = np.searchsorted(cuts, severity, side="right")

    table = pd.DataFrame(
        {
            "fiscal_year": year.astype(np.int16),
            "person_id": pid_all[rows],
            "household_id": ry["household_id"].to_numpy(np.int64)[rows],
            "age": age.astype(np.int16),
            "sex": categorical_rows(ry, "sex", rows),
            "district_code": categorical_rows(ry, "district_code", rows),
            "level": pd.Categorical.from_codes(level, categories=list(LEVELS), ordered=True),
            "certified": np.ones(len(rows), dtype=bool),
            "first_certified_year": first_year.astype(np.int16),
        }
    )
    ctx.truth["ltc"] = {
        "note": "Certification follows the Sept 2020 national rates by age; levels follow time since certification.",
        "level_cut_years": [round(float(c), 3) for c in cuts],
    }
    return {"ltc": table}
