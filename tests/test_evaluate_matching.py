"""evaluate.matching: a hand-worked case of the estimate and its Abadie-Imbens standard error,
the same matches as a direct nearest-neighbour search, agreement with statsmodels'
TreatmentEffect (inverse probability weighting for the treated) within a tolerance, the truth
covered where the naive comparison and a matching that hides a confounder miss it, the balance
table and plot, and the overlap errors."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS
from statsmodels.treatment.treatment_effects import TreatmentEffect

from ebpmkit import evaluate
from ebpmkit._labels import lookup
from ebpmkit.errors import ParameterError
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TRUE_EFFECT = -20.0  # thousand yen of medical cost a year saved by the guidance


def checkups(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Older people and those with a chronic condition join the guidance more and cost more.

    The guidance lowers cost by TRUE_EFFECT for everyone, so the effect on those who join is
    TRUE_EFFECT; joiners are older and sicker, so the naive difference is far above it.
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(40, 75, n)
    chronic = rng.random(n) < 0.3
    area = rng.choice(["北部", "中部", "南部"], n)
    joined = rng.random(n) < 1 / (1 + np.exp(-((age - 58) / 8 + 0.8 * chronic)))
    cost = 100 + 3 * age + 40 * chronic + TRUE_EFFECT * joined + rng.normal(0, 15, n)
    return pd.DataFrame(
        {"age": age, "chronic": chronic, "area": area, "joined": joined, "cost": cost}
    )


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    text = str(excinfo.value)
    first, *rest = text.split("\n")
    assert JAPANESE.search(first), text
    assert rest and re.match(r"[A-Z0-9][a-z]*", rest[-1]), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


# --------------------------------------------------------------------------------------------
# The estimate and its standard error
# --------------------------------------------------------------------------------------------
def test_hand_worked_estimate_and_standard_error():
    # Controls at x = 0, 1, 2 with outcomes 10, 13, 14; treated at x = 0.9 and 1.2 with 20, 23.
    # Both treated units match the control at x = 1 (K = 2 for it, 0 for the others).
    # Regression of the controls' outcome on x: 10.333 + 2x, so the corrections are
    #   0.9: (10.333 + 1.8) - (10.333 + 2) = -0.2 -> effect 20 - 13 + 0.2 = 7.2
    #   1.2: (10.333 + 2.4) - (10.333 + 2) = +0.4 -> effect 23 - 13 - 0.4 = 9.6
    # tau = 8.4; treated term (7.2 - 8.4)^2 + (9.6 - 8.4)^2 = 2.88.
    # The control at x = 1: its two nearest other controls (x = 0, 2) average 12, so
    #   s2 = 2/3 * (13 - 12)^2 = 2/3, and its term is K (K - 1) / M^2 * s2 = 4/3.
    # V = (2.88 + 4/3) / 2^2 = 1.05333..., SE = 1.02632...
    frame = pd.DataFrame(
        {"x": [0.0, 1.0, 2.0, 0.9, 1.2], "t": [0, 0, 0, 1, 1], "y": [10.0, 13, 14, 20, 23]}
    )
    res = evaluate.matching(frame, y="y", treated="t", covariates=["x"], method="covariate")
    assert res.estimate == pytest.approx(8.4)
    assert res.std_error == pytest.approx(np.sqrt((2.88 + 4 / 3) / 4))
    assert res.n_treated == 2 and res.n_controls == 1


def test_same_matches_as_a_direct_nearest_neighbour_search():
    frame = checkups(n=800, seed=2)
    res = evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "chronic"])
    x = np.column_stack([np.ones(len(frame)), frame["age"], frame["chronic"].astype(float)])
    t = frame["joined"].to_numpy()
    score = x @ Logit(t.astype(float), x).fit(disp=0).params
    y = frame["cost"].to_numpy()
    beta = np.linalg.lstsq(x[~t], y[~t], rcond=None)[0]
    effects = []
    for i in np.flatnonzero(t):
        j = np.flatnonzero(~t)[np.argmin(np.abs(score[~t] - score[i]))]
        effects.append(y[i] - y[j] - (x[i] - x[j]) @ beta)
    assert res.estimate == pytest.approx(np.mean(effects), rel=1e-9)
    assert res.n_treated == int(t.sum())


def test_close_to_statsmodels_inverse_probability_weighting_for_the_treated():
    frame = checkups(n=4000, seed=5)
    res = evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "chronic"])
    x = np.column_stack([np.ones(len(frame)), frame["age"], frame["chronic"].astype(float)])
    t = frame["joined"].to_numpy().astype(int)
    selection = Logit(t, x).fit(disp=0)
    ipw = TreatmentEffect(OLS(frame["cost"].to_numpy(), x), t, results_select=selection)
    # with effect_group=1 the first row (labelled ATE) is the effect on the treated
    att = float(ipw.ipw(effect_group=1).summary_frame()["coef"].iloc[0])
    # two estimators of the same effect on the treated: they differ by sampling noise only
    assert abs(res.estimate - att) < 2 * res.std_error, (res.estimate, att, res.std_error)


def test_more_neighbours_average_their_outcomes():
    frame = checkups(n=600, seed=6)
    one = evaluate.matching(frame, y="cost", treated="joined", covariates=["age"], neighbors=1)
    three = evaluate.matching(frame, y="cost", treated="joined", covariates=["age"], neighbors=3)
    assert three.std_error < one.std_error  # averaging three matches is less noisy
    assert three.n_controls >= one.n_controls


# --------------------------------------------------------------------------------------------
# The truth
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["propensity", "covariate"])
def test_covers_the_truth_where_the_naive_comparison_does_not(method):
    frame = checkups(n=4000, seed=1)
    res = evaluate.matching(
        frame, y="cost", treated="joined", covariates=["age", "chronic", "area"], method=method
    )
    assert res.ci_low <= TRUE_EFFECT <= res.ci_high, (res.ci_low, res.ci_high)
    naive = evaluate.compare_groups(frame, y="cost", group="joined")
    assert naive.ci_low > TRUE_EFFECT, naive.ci_low


def test_a_hidden_confounder_biases_the_matched_estimate():
    frame = checkups(n=4000, seed=1)
    res = evaluate.matching(frame, y="cost", treated="joined", covariates=["age"])
    assert res.ci_low > TRUE_EFFECT, (res.ci_low, TRUE_EFFECT)  # chronic left out


def test_balance_table_and_its_reading():
    frame = checkups(n=1500, seed=3)
    res = evaluate.matching(
        frame, y="cost", treated="joined", covariates=["age", "chronic", "area"]
    )
    balance = res.balance
    area = lookup("area")[0]  # the label of 'area' in the data dictionary
    assert list(balance["共変量"]) == [
        "傾向スコア",
        "年齢",
        "chronic",
        f"{area}: 北部",
        f"{area}: 南部",
    ]
    joined, others = frame.loc[frame["joined"]], frame.loc[~frame["joined"]]
    pooled = np.sqrt((joined["age"].var() + others["age"].var()) / 2)
    row = balance.loc[balance["共変量"] == "年齢"].iloc[0]
    assert row["標準化差(前)"] == pytest.approx(
        (joined["age"].mean() - others["age"].mean()) / pooled
    )
    assert row["処置群の平均"] == pytest.approx(joined["age"].mean())
    # what drives joining is made alike; the areas were alike already (joining ignores them)
    driving = balance.iloc[:3]
    assert (driving["標準化差(後)"].abs() < driving["標準化差(前)"].abs()).all()
    assert balance["標準化差(後)"].abs().max() < balance["標準化差(前)"].abs().max()
    text = res.reading()
    assert "処置群" in text and "共変量" in text and "事業の前に決まっていた値" in text
    assert f"{balance['標準化差(後)'].abs().max():.2f}" in text
    assert res._repr_html_().count("<table") == 2


def test_balance_plot():
    frame = checkups(n=800, seed=3)
    res = evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "chronic"])
    ax = res.plot()
    ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert set(ticks) == {"傾向スコア", "年齢", "chronic"}
    assert ticks["傾向スコア"] > ticks["年齢"] > ticks["chronic"]  # in table order, top down
    assert len(ax.collections) == 2  # before and after
    assert ax.get_xlabel().startswith("標準化差")
    assert any(SYNTHETIC_NOTE in t.get_text() for t in ax.texts)


# --------------------------------------------------------------------------------------------
# Overlap and bad input
# --------------------------------------------------------------------------------------------
def test_no_overlap_at_all():
    frame = checkups(n=400).assign(joined=lambda f: f["age"] > 60)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=["age"])
    assert_bilingual(excinfo, "重な", "age")


def test_treated_units_beyond_every_control():
    rng = np.random.default_rng(9)
    frame = checkups(n=1000, seed=9)
    frame["joined"] = (frame["age"] > 72) | (rng.random(len(frame)) < 0.3)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=["age"])
    text = assert_bilingual(excinfo, "比べられる相手がいません", "trim=True")
    count = int(re.search(r"処置群のうち(\d+)人", text).group(1))
    res = evaluate.matching(frame, y="cost", treated="joined", covariates=["age"], trim=True)
    assert res.n_trimmed == count > 0
    assert res.n_treated == int(frame["joined"].sum()) - count
    assert f"{count:,}人は除きました" in res.reading()


def test_covariates_must_be_given_and_not_the_outcome():
    frame = checkups(n=200)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=[])
    assert_bilingual(excinfo, "'covariates'")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "cost"])
    assert_bilingual(excinfo, "'cost'", "事業の前")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "income"])
    assert_bilingual(excinfo, "'income'")


def test_duplicated_covariates_are_refused():
    frame = checkups(n=300).assign(age_again=lambda f: f["age"] * 1.0)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame, y="cost", treated="joined", covariates=["age", "age_again"])
    assert_bilingual(excinfo, "age_again")


def test_treatment_must_be_zero_one_with_both_groups():
    frame = checkups(n=200)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(
            frame.assign(joined="はい"), y="cost", treated="joined", covariates=["age"]
        )
    assert_bilingual(excinfo, "0か1")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.matching(frame.assign(joined=True), y="cost", treated="joined", covariates=["age"])
    assert_bilingual(excinfo, "比較群", "0人")
