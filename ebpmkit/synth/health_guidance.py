"""Specific health checkups and guidance (特定健診・特定保健指導) of NHI members aged 40-74.

Each fiscal year some NHI members aged 40-74 take the checkup (the same people tend to come
every year, older people more often). Their results (BMI, systolic blood pressure, HbA1c) follow
their health, which is read from their medical cost that year (a high cost for one's age means
poorer health). A simplified rule flags those at risk for guidance (動機付け支援, or 積極的支援
under ``intensive_max_age`` with two risks), and some of the flagged take it up: more often when
older, sicker (worse results), richer (income in ``income_tax``) and more motivated (the
questionnaire answer ``motivation``). Guidance lowers the person's medical cost of the *next*
fiscal year by ``effect`` (a share; an assumption), so this module rewrites those rows of ``nhi``
(and nothing else there), and the next checkup's results follow the lowered cost.

Motivation is the confounder that is easy to leave out: it is drawn so that, for the same age and
results, motivated people have lower next-year cost whether or not they take guidance. So

- the naive comparison (next-year cost of the guided minus the not guided, among the flagged) is
  biased upward: the guided are older and sicker, so it can even show guidance raising cost;
- adjusting (matching, weighting or regression) for every selection variable (age, the three
  results, income and motivation) recovers the true effect, as participation depends on nothing
  else (selection on observables);
- adjusting for all but ``motivation`` leaves a bias (the guided look better than guidance made
  them): the hidden-variable case.

Ground truth (``ctx.truth["health_guidance"]``, for instructors and tests):

- ``true_effect_yen``: mean over the guided (with a next-year NHI row) of their next-year cost
  minus the cost they would have had without guidance (the ATT, in yen per person);
- ``naive_difference_yen``: next-year mean cost of the guided minus the not guided, among the
  flagged who have a next-year row;
- ``selection_variables`` (observed, with the table of each), ``hidden_variable`` (the one whose
  omission breaks adjustment, ``motivation``) and, for reference, least-squares estimates with
  and without it (``ols_adjusted_yen``, ``ols_without_hidden_yen``);
- counts: checkups, flagged, guided, by year and in all.

Examples
--------
>>> import ebpmkit.synth.health_guidance as hg
>>> sorted(hg.TABLES)
['checkups']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import rankdata

from ebpmkit.synth._keys import dense_codes, pair_key, positions
from ebpmkit.synth.columns import person_year_columns
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = ["COLUMNS", "LEVELS", "MOTIVATION", "PARAMETERS", "ROLES", "TABLES", "simulate"]

NAME = "health_guidance"

#: Guidance levels, from no guidance to the most intensive.
LEVELS = ("対象外", "動機付け支援", "積極的支援")
#: Questionnaire answers on changing one's lifestyle, least to most motivated.
MOTIVATION = (
    "改善するつもりはない",
    "いずれ改善したい",
    "近いうちに改善したい",
    "すでに取り組んでいる",
)

TABLES = {
    "checkups": "国保の特定健診(40〜74歳)の受診者(年度・受診者ごとに1行):検査値、問診の回答、特定保健指導の区分と利用",
}

_T = "checkups"
_A = "(合成データの仮定値に基づく)"
COLUMNS = [
    *person_year_columns(
        _T,
        year="特定健診を受けた年度(受診時に国保に加入)",
        age="その年度の4月1日時点の年齢(40〜74歳)",
    ),
    Column(_T, "bmi", "float64", "BMI", "BMI", "kg/m²", f"体格指数(体重÷身長の2乗){_A}"),
    Column(
        _T,
        "systolic_bp",
        "int64",
        "収縮期血圧",
        "systolic blood pressure",
        "mmHg",
        f"健診で測った収縮期(上の)血圧{_A}",
    ),
    Column(_T, "hba1c", "float64", "HbA1c", "HbA1c", "%", f"血糖の状態を示す検査値{_A}"),
    Column(
        _T,
        "motivation",
        "category",
        "生活習慣改善の意欲",
        "motivation to change lifestyle",
        "",
        "問診での回答(順序付きカテゴリ): " + "、".join(MOTIVATION) + _A,
    ),
    Column(
        _T,
        "guidance_level",
        "category",
        "保健指導の区分",
        "guidance level",
        "",
        "健診結果による特定保健指導の区分(順序付きカテゴリ): 対象外、動機付け支援、積極的支援。"
        f"BMIと血圧・血糖から決める簡略化した基準{_A}",
    ),
    Column(
        _T,
        "guided",
        "bool",
        "保健指導の利用",
        "took guidance",
        "",
        "特定保健指導を利用したかどうか(対象外の人は常に False)。利用は本人が選ぶため、"
        "利用した人としなかった人はもともと違う",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). As in ``nhi``,
#: the pseudonymized variant reaches k only on the registers; checkup results are special-care
#: information (health checkup results).
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "checkups": {
        "id": ("person_id", "household_id"),
        "sensitive": ("bmi", "systolic_bp", "hba1c", "guidance_level", "guided"),
    },
}

_P = "health_guidance."
PARAMETERS = [
    Param(
        _P + "checkup_ages",
        "numbers",
        low=0,
        high=120,
        length=2,
        ja="特定健診の対象の年齢の下限と上限",
        unit="歳",
    ),
    Param(
        _P + "checkup_rate",
        low=0.01,
        high=0.99,
        ja="国民健康保険の対象者の特定健診の受診率",
        unit="割合(0～1)",
    ),
    Param(
        _P + "checkup_age_logit",
        low=-5,
        high=5,
        ja="年齢が10歳上がるごとの受診しやすさ",
        unit="対数オッズ(10歳あたり)",
    ),
    Param(
        _P + "checkup_person_logit",
        low=0,
        high=10,
        ja="毎年同じ人が受診する度合い(その人に固有の受診しやすさのばらつき)",
        unit="対数オッズ",
    ),
    Param(
        _P + "health_link",
        low=0,
        high=1,
        ja="健診のリスクと同じ年度の医療費(年齢に比べた高さ)の相関",
        unit="相関(0～1)",
    ),
    Param(
        _P + "result_link",
        low=0,
        high=1,
        ja="健診の各結果(BMI・血圧・HbA1c)とリスクの相関",
        unit="相関(0～1)",
    ),
    Param(
        _P + "bmi",
        "numbers",
        low=0,
        high=100,
        length=2,
        ja="40～74歳のBMIの平均と標準偏差",
        unit="kg/m²",
    ),
    Param(
        _P + "systolic_bp",
        "numbers",
        low=0,
        high=300,
        length=3,
        ja="収縮期血圧の57歳での平均、1歳あたりの上昇、標準偏差",
        unit="mmHg",
    ),
    Param(
        _P + "hba1c",
        "numbers",
        low=0,
        high=20,
        length=3,
        ja="HbA1c の57歳での平均、1歳あたりの上昇、標準偏差",
        unit="%",
    ),
    Param(
        _P + "thresholds",
        "numbers",
        low=0,
        high=300,
        length=3,
        ja="保健指導の対象とする基準(BMI、収縮期血圧、HbA1c の順。簡略化した判定)",
        unit="kg/m²、mmHg、%",
    ),
    Param(
        _P + "intensive_max_age",
        low=0,
        high=120,
        ja="積極的支援の対象になる年齢の上限(この年齢以上は動機付け支援だけ)",
        unit="歳",
    ),
    Param(
        _P + "motivation_shares",
        "numbers",
        low=0,
        high=1,
        length=len(MOTIVATION),
        ja="問診の意欲の4段階の回答の割合(低い順)",
        unit="割合(0～1)",
    ),
    Param(
        _P + "motivation_link",
        low=0,
        high=0.99,
        ja="意欲と翌年度の医療費の低さの相関(指導を受けなくても)。指導の効果を単純比較で過大に見せる隠れた要因",
        unit="相関(0～1)",
    ),
    Param(
        _P + "guidance_rate",
        low=0.01,
        high=0.99,
        ja="対象者のうち保健指導を受ける人の割合",
        unit="割合(0～1)",
    ),
    Param(
        _P + "guidance_age_logit",
        low=-5,
        high=5,
        ja="年齢が10歳上がるごとの指導の受けやすさ",
        unit="対数オッズ(10歳あたり)",
    ),
    Param(
        _P + "guidance_risk_logit",
        low=-5,
        high=5,
        ja="健診結果が悪い人ほど指導を受けやすい度合い",
        unit="対数オッズ(基準を1標準偏差超えるごと)",
    ),
    Param(
        _P + "guidance_income_logit",
        low=-5,
        high=5,
        ja="所得が高い人ほど指導を受けやすい度合い",
        unit="対数オッズ(対数所得の1標準偏差あたり)",
    ),
    Param(
        _P + "guidance_motivation_logit",
        low=-5,
        high=5,
        ja="意欲が高い人ほど指導を受けやすい度合い",
        unit="対数オッズ(回答1段階あたり)",
    ),
    Param(
        _P + "effect",
        low=0,
        high=0.9,
        ja="保健指導を受けた人の翌年度の医療費が下がる割合(真の効果)",
        unit="割合(0～1)",
    ),
]

_MID_AGE = 57  # ages are centred here in the logits (the middle of 40-74)


def _calibrate(eta: np.ndarray, target: float) -> np.ndarray:
    """Probabilities expit(a + eta), with the intercept a solved so that they average ``target``."""
    a = np.log(target / (1 - target)) - float(np.mean(eta)) if len(eta) else 0.0
    for _ in range(40):
        prob = 1.0 / (1.0 + np.exp(-(a + eta)))
        gap = float(prob.mean()) - target if len(eta) else 0.0
        if abs(gap) < 1e-10:
            break
        a -= gap / max(float(np.mean(prob * (1 - prob))), 1e-12)
    return 1.0 / (1.0 + np.exp(-(a + eta)))


def _normal_scores(cost: np.ndarray) -> np.ndarray:
    """Cost as normal scores of its ranks (ties share a score), so that neither the many zeros
    nor the heavy right tail dominate a regression on it."""
    if len(cost) == 0:
        return np.zeros(0)
    return ndtri((rankdata(cost) - 0.5) / len(cost))


def _residual(y: np.ndarray, *columns: np.ndarray) -> np.ndarray:
    """Standardised least-squares residual of ``y`` on a constant and ``columns``."""
    if len(y) < 3:
        return np.zeros(len(y))
    x = np.column_stack([np.ones(len(y)), *columns])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    r = y - x @ beta
    return r / (r.std() or 1.0)


def _to_yen(value: np.ndarray) -> np.ndarray:
    """Whole multiples of 10 yen (as the NHI table records cost)."""
    return (np.round(np.asarray(value, float) / 10) * 10).astype(np.int64)


@dataclass
class _Rows:
    """The NHI rows aged 40-74 that may take the checkup, with what the module needs of them."""

    nhi_row: np.ndarray  # position in the nhi table
    year: np.ndarray
    person: np.ndarray  # dense person code
    age: np.ndarray
    income: np.ndarray  # total income of the fiscal year (0 if none)
    next_row: np.ndarray  # position in the nhi table of the same person's next year, or -1


def _rows(ctx: SimContext) -> tuple[pd.DataFrame, _Rows]:
    for name in ("nhi", "income_tax"):
        if name not in ctx.tables:
            # The domains run in a fixed order (synth.DOMAINS); reaching this is a bug, not input.
            raise RuntimeError(
                f"The health_guidance module needs the table '{name}', but the context only has: "
                f"{', '.join(ctx.tables) or 'none'}. Run population, income and nhi first."
            )
    nhi = ctx.tables["nhi"]
    lo, hi = ctx.profile.numbers(_P + "checkup_ages", length=2)
    year = nhi["fiscal_year"].to_numpy().astype(np.int64)
    pid = nhi["person_id"].to_numpy(np.int64)
    first, span = (int(year.min()), int(year.max()) - int(year.min()) + 2) if len(year) else (0, 2)
    keys = pair_key(year, pid, first, span)
    age = nhi["age"].to_numpy().astype(np.int64)
    rows = np.flatnonzero((age >= lo) & (age <= hi))
    it = ctx.tables["income_tax"]
    it_year = it["fiscal_year"].to_numpy().astype(np.int64)
    inside = np.flatnonzero((it_year >= first) & (it_year < first + span))
    at = positions(
        keys[rows],
        pair_key(it_year[inside], it["person_id"].to_numpy(np.int64)[inside], first, span),
    )
    income = np.zeros(len(rows))
    found = at >= 0
    income[found] = np.maximum(it["total_income"].to_numpy(np.float64)[inside[at[found]]], 0)
    _, person = dense_codes(pid[rows])
    return nhi, _Rows(
        nhi_row=rows,
        year=year[rows],
        person=person,
        age=age[rows],
        income=income,
        next_row=positions(pair_key(year[rows] + 1, pid[rows], first, span), keys),
    )


def _results(rng: np.random.Generator, prof, age: np.ndarray, cost: np.ndarray) -> dict:
    """Checkup results of one year's examinees from their cost that year (poorer health for a
    higher cost at one's age), and the guidance level the simplified rule gives them."""
    n = len(age)
    link, share = prof.number(_P + "health_link"), prof.number(_P + "result_link")
    health = _residual(_normal_scores(cost), age)
    risk = link * health + np.sqrt(1 - link**2) * rng.standard_normal(n)
    noise = rng.standard_normal((3, n))

    def result(k: int) -> np.ndarray:
        return share * risk + np.sqrt(1 - share**2) * noise[k]

    bmi_mean, bmi_sd = prof.numbers(_P + "bmi", length=2)
    bp_mean, bp_slope, bp_sd = prof.numbers(_P + "systolic_bp", length=3)
    a1c_mean, a1c_slope, a1c_sd = prof.numbers(_P + "hba1c", length=3)
    bmi = np.round(np.clip(bmi_mean + bmi_sd * result(0), 14, 50), 1)
    bp = np.rint(np.clip(bp_mean + bp_slope * (age - _MID_AGE) + bp_sd * result(1), 80, 220))
    a1c = np.round(np.clip(a1c_mean + a1c_slope * (age - _MID_AGE) + a1c_sd * result(2), 4, 13), 1)
    t_bmi, t_bp, t_a1c = prof.numbers(_P + "thresholds", length=3)
    high_bp, high_a1c = bp >= t_bp, a1c >= t_a1c
    flagged = (bmi >= t_bmi) & (high_bp | high_a1c)
    intensive = flagged & high_bp & high_a1c & (age < prof.number(_P + "intensive_max_age"))
    return {
        "bmi": bmi,
        "systolic_bp": bp.astype(np.int64),
        "hba1c": a1c,
        "level": np.where(intensive, 2, np.where(flagged, 1, 0)).astype(np.int8),
        # the observed risk the guided select on: distance above each threshold, in SDs
        "risk": (bmi - t_bmi) / bmi_sd + (bp - t_bp) / bp_sd + (a1c - t_a1c) / a1c_sd,
    }


def _motivation(rng: np.random.Generator, prof, age, risk, next_cost) -> np.ndarray:
    """Questionnaire answer 0-3: for the same age and results, people with a lower cost next year
    (without guidance) are more motivated. Those without a next year get the noise alone."""
    rho = prof.number(_P + "motivation_link")
    n = len(age)
    known = next_cost >= 0
    signal = rng.standard_normal(n)
    signal[known] = -_residual(_normal_scores(next_cost[known]), age[known], risk[known])
    latent = rho * signal + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    shares = prof.numbers(_P + "motivation_shares", length=len(MOTIVATION))
    cuts = np.quantile(latent, np.cumsum(shares / shares.sum())[:-1]) if n else np.zeros(3)
    return np.searchsorted(cuts, latent).astype(np.int8)


def _guided(rng, prof, age, risk, income, motivation, level) -> np.ndarray:
    """Who among the flagged takes guidance: older, sicker, richer and more motivated people more."""
    flagged = np.flatnonzero(level > 0)
    log_income = np.log1p(income[flagged] / 10_000)
    z_income = (log_income - log_income.mean()) / (log_income.std() or 1.0) if len(flagged) else 0
    eta = (
        prof.number(_P + "guidance_age_logit") * (age[flagged] - _MID_AGE) / 10
        + prof.number(_P + "guidance_risk_logit") * risk[flagged]
        + prof.number(_P + "guidance_income_logit") * z_income
        + prof.number(_P + "guidance_motivation_logit") * motivation[flagged]
    )
    prob = _calibrate(eta, prof.number(_P + "guidance_rate"))
    guided = np.zeros(len(age), bool)
    guided[flagged] = rng.random(len(flagged)) < prob
    return guided


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``checkups`` and lower the next-year ``nhi`` cost of those who took guidance.

    Parameters
    ----------
    ctx : SimContext
        Needs ``nhi`` and ``income_tax`` in ``ctx.tables``.

    Returns
    -------
    dict of str to DataFrame
        ``checkups``, and ``nhi`` with the next-year cost of the guided lowered.

    Examples
    --------
    >>> from ebpmkit.synth import generate_tables
    >>> tables, truth = generate_tables("town", seed=1, scale=0.02,
    ...     only=("geography", "population", "income", "nhi", "health_guidance"))
    >>> bool(tables["checkups"]["age"].between(40, 74).all())
    True
    >>> truth["health_guidance"]["hidden_variable"]
    'motivation'
    """
    prof = ctx.profile
    prof.validate(PARAMETERS)
    rng = ctx.rng(NAME)
    nhi, rows = _rows(ctx)
    original = nhi["medical_cost"].to_numpy(np.int64)
    cost = original.copy()  # with the effect of guidance, filled year by year
    # who takes the checkup: older people more, and the same people year after year
    n = len(rows.age)
    propensity = rng.standard_normal(int(rows.person.max()) + 1 if n else 0)[rows.person]
    eta = (
        prof.number(_P + "checkup_age_logit") * (rows.age - _MID_AGE) / 10
        + prof.number(_P + "checkup_person_logit") * propensity
    )
    took = rng.random(n) < _calibrate(eta, prof.number(_P + "checkup_rate"))
    effect = prof.number(_P + "effect")
    parts = []
    for fy in np.unique(rows.year[took]):
        sel = np.flatnonzero(took & (rows.year == fy))
        res = _results(rng, prof, rows.age[sel], cost[rows.nhi_row[sel]])
        nxt = rows.next_row[sel]
        next_cost = np.where(nxt >= 0, original[np.maximum(nxt, 0)], -1)
        motivation = _motivation(rng, prof, rows.age[sel], res["risk"], next_cost)
        guided = _guided(
            rng, prof, rows.age[sel], res["risk"], rows.income[sel], motivation, res["level"]
        )
        lowered = nxt[guided & (nxt >= 0)]
        cost[lowered] = _to_yen(original[lowered] * (1 - effect))
        parts.append({"sel": sel, **res, "motivation": motivation, "guided": guided})
    table = _frame(nhi, rows, parts)
    ctx.truth[NAME] = _truth(table, rows, parts, original, cost, effect)
    return {"checkups": table, "nhi": nhi.assign(medical_cost=cost)}


def _frame(nhi: pd.DataFrame, rows: _Rows, parts: list[dict]) -> pd.DataFrame:
    """The ``checkups`` table: one row per examinee and year, in the order of ``nhi``."""
    sel = np.concatenate([p["sel"] for p in parts]) if parts else np.zeros(0, np.int64)

    def joined(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    frame = nhi.iloc[rows.nhi_row[sel]][
        ["fiscal_year", "person_id", "household_id", "age", "sex", "district_code"]
    ].reset_index(drop=True)
    frame["bmi"] = joined("bmi").astype(np.float64)
    frame["systolic_bp"] = joined("systolic_bp").astype(np.int64)
    frame["hba1c"] = joined("hba1c").astype(np.float64)
    frame["motivation"] = pd.Categorical.from_codes(
        joined("motivation").astype(np.int8), categories=list(MOTIVATION), ordered=True
    )
    frame["guidance_level"] = pd.Categorical.from_codes(
        joined("level").astype(np.int8), categories=list(LEVELS), ordered=True
    )
    frame["guided"] = joined("guided").astype(bool)
    return frame


def _ols_effect(y: np.ndarray, treated: np.ndarray, covariates: list[np.ndarray]) -> float:
    """Least-squares coefficient of ``treated`` in y ~ 1 + treated + covariates."""
    if len(y) <= len(covariates) + 2 or treated.all() or not treated.any():
        return float("nan")
    x = np.column_stack([np.ones(len(y)), treated.astype(float), *covariates])
    return float(np.linalg.lstsq(x, y, rcond=None)[0][1])


def _truth(
    table: pd.DataFrame,
    rows: _Rows,
    parts: list[dict],
    original: np.ndarray,
    cost: np.ndarray,
    effect_share: float,
) -> dict:
    """The true effect on the guided, the naive difference and adjusted estimates for reference."""
    sel = np.concatenate([p["sel"] for p in parts]) if parts else np.zeros(0, np.int64)
    nxt = rows.next_row[sel]
    flagged = table["guidance_level"].cat.codes.to_numpy() > 0
    guided = table["guided"].to_numpy(bool)
    known = flagged & (nxt >= 0)  # flagged examinees seen in NHI the next year
    y = cost[nxt[known]].astype(float)
    g = guided[known]
    effect = cost[nxt[guided & (nxt >= 0)]] - original[nxt[guided & (nxt >= 0)]]
    motivation = table["motivation"].cat.codes.to_numpy()[known]
    observed = [
        table["age"].to_numpy(float)[known],
        table["bmi"].to_numpy(float)[known],
        table["systolic_bp"].to_numpy(float)[known],
        table["hba1c"].to_numpy(float)[known],
        np.log1p(rows.income[sel][known] / 10_000),
    ]
    dummies = [(motivation == k).astype(float) for k in range(1, len(MOTIVATION))]
    years = table["fiscal_year"].to_numpy()
    return {
        "relative_effect": -effect_share,
        "outcome": "medical_cost in nhi of the fiscal year after the checkup (yen per person)",
        "true_effect_yen": float(effect.mean()) if len(effect) else 0.0,
        "naive_difference_yen": float(y[g].mean() - y[~g].mean())
        if g.any() and (~g).any()
        else 0.0,
        "ols_adjusted_yen": _ols_effect(y, g, observed + dummies),
        "ols_without_hidden_yen": _ols_effect(y, g, observed),
        "selection_variables": {
            "age": "checkups",
            "bmi": "checkups",
            "systolic_bp": "checkups",
            "hba1c": "checkups",
            "total_income": "income_tax (same fiscal year)",
            "motivation": "checkups",
        },
        "hidden_variable": "motivation",
        "note": (
            "Guidance is taken up more by the older, the sicker (results), the richer and the "
            "more motivated; participation depends on nothing else, so adjusting for all six "
            "selection variables recovers true_effect_yen (the ATT). The naive difference is "
            "biased upward (the guided are older and sicker). motivation is drawn so that, for the "
            "same age and results, the motivated have lower next-year cost without guidance: leave "
            "it out (as if hidden, e.g. no questionnaire) and the adjusted estimate overstates the "
            "saving. The OLS figures are linear adjustments on the flagged with a next-year row "
            "(reference values, not the truth)."
        ),
        "checkups": len(table),
        "checkup_rate": float(len(table) / max(len(rows.age), 1)),
        "flagged": int(flagged.sum()),
        "guided": int(guided.sum()),
        "guidance_rate_of_flagged": float(guided.sum() / max(int(flagged.sum()), 1)),
        "flagged_with_next_year": int(known.sum()),
        "guided_with_next_year": int(g.sum()),
        "by_year": {
            int(fy): {
                "checkups": int((years == fy).sum()),
                "flagged": int(flagged[years == fy].sum()),
                "guided": int(guided[years == fy].sum()),
            }
            for fy in np.unique(years)
        },
        "nhi_rows_lowered": int((cost != original).sum()),
        "nhi_cost_total_change_yen": int((cost - original).sum()),
    }
