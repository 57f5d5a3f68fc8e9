"""evaluate.lottery: the ITT is Welch's difference in means, the effect of taking up equals a
manual two-stage least squares fit (statsmodels' IV2SLS lives in its sandbox, documented as
not ready for statsmodels proper, so the reference is written out with linear algebra here),
both cover the simulated truth where the naive comparisons do not, and bad input is refused
in Japanese."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from ebpmkit import evaluate
from ebpmkit.errors import ParameterError
from ebpmkit.evaluate.randomized import WEAK_FIRST_STAGE_F

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TRUE_EFFECT = 3000.0  # yen of extra spending of a household that buys because it won


def applicants(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A voucher lottery: winners buy more often when their spending is already high.

    Households with a high baseline (``level``) are keener to buy, so buyers differ from
    non-buyers before anything happens; losers cannot buy. Buying raises spending by
    TRUE_EFFECT for everyone, so the effect on those who buy because they won is TRUE_EFFECT.
    """
    rng = np.random.default_rng(seed)
    level = rng.normal(50_000, 8_000, n)
    won = rng.random(n) < 0.5
    keen = 1 / (1 + np.exp(-(level - 50_000) / 4_000))
    bought = won & (rng.random(n) < 0.2 + 0.6 * keen)
    spending = level + TRUE_EFFECT * bought + rng.normal(0, 3_000, n)
    return pd.DataFrame({"won": won.astype("int64"), "bought": bought, "spending": spending})


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    text = str(excinfo.value)
    first, *rest = text.split("\n")
    assert JAPANESE.search(first), text
    assert rest and re.match(r"[A-Z][a-z]*", rest[-1]), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def manual_2sls(y: np.ndarray, d: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """Just-identified 2SLS of y on [1, d] with instruments [1, z], HC2 sandwich by hand.

    beta = (Z'X)^-1 Z'y; V = (Z'X)^-1 Z' diag(u^2 / (1 - h)) Z (X'Z)^-1, where u are the
    structural residuals and h the leverages of the instrument matrix Z.
    """
    x = np.column_stack([np.ones_like(y), d])
    zz = np.column_stack([np.ones_like(y), z])
    zx_inv = np.linalg.inv(zz.T @ x)
    beta = zx_inv @ zz.T @ y
    u = y - x @ beta
    h = np.einsum("ij,jk,ik->i", zz, np.linalg.inv(zz.T @ zz), zz)
    meat = (zz * (u**2 / (1 - h))[:, None]).T @ zz
    cov = zx_inv @ meat @ zx_inv.T
    return float(beta[1]), float(np.sqrt(cov[1, 1]))


# --------------------------------------------------------------------------------------------
# Equal to the references
# --------------------------------------------------------------------------------------------
def test_itt_is_the_difference_in_means_with_welchs_standard_error():
    frame = applicants()
    res = evaluate.lottery(frame, y="spending", assigned="won")
    winners = frame.loc[frame["won"] == 1, "spending"]
    losers = frame.loc[frame["won"] == 0, "spending"]
    assert res.estimate == pytest.approx(winners.mean() - losers.mean(), rel=1e-9)
    welch_se = np.sqrt(winners.var() / len(winners) + losers.var() / len(losers))
    assert res.std_error == pytest.approx(welch_se, rel=1e-9)  # HC2 equals Welch here
    q = stats.t.ppf(0.975, len(frame) - 2)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (res.estimate - q * welch_se, res.estimate + q * welch_se), rel=1e-9
    )
    assert res.itt.estimate == pytest.approx(res.estimate) and res.first_stage is None
    assert res.means == pytest.approx((winners.mean(), losers.mean()))


def test_effect_of_taking_up_equals_two_stage_least_squares():
    frame = applicants()
    res = evaluate.lottery(frame, y="spending", assigned="won", treated="bought")
    beta, se = manual_2sls(
        frame["spending"].to_numpy(),
        frame["bought"].to_numpy(dtype=float),
        frame["won"].to_numpy(dtype=float),
    )
    assert res.estimate == pytest.approx(beta, rel=1e-9)
    assert res.std_error == pytest.approx(se, rel=1e-9)
    # the Wald ratio of the two OLS fits (reduced form over first stage)
    itt = smf.ols("spending ~ won", data=frame).fit().params["won"]
    first = smf.ols("bought ~ won", data=frame.assign(bought=frame["bought"].astype(float)))
    assert res.estimate == pytest.approx(itt / first.fit().params["won"], rel=1e-9)
    assert res.first_stage.estimate == pytest.approx(
        frame.groupby("won")["bought"].mean().diff().iloc[-1]
    )
    assert res.take_up[1] == 0.0  # losers cannot buy


def test_clustered_by_applicant_equals_statsmodels():
    frame = applicants(n=400, seed=3)
    frame["household"] = np.arange(len(frame))
    panel = frame.loc[frame.index.repeat(3)].reset_index(drop=True)
    panel["spending"] += np.random.default_rng(4).normal(0, 1_000, len(panel))
    res = evaluate.lottery(panel, y="spending", assigned="won", unit="household")
    fit = smf.ols("spending ~ won", data=panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["household"]}, use_t=True
    )
    assert res.estimate == pytest.approx(fit.params["won"], rel=1e-9)
    assert res.std_error == pytest.approx(fit.bse["won"], rel=1e-9)
    low, high = fit.conf_int().loc["won"]
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert res.n_units == 400 and res.n_obs == 1200 and res.df == 399


# --------------------------------------------------------------------------------------------
# The truth, and the naive comparisons that miss it
# --------------------------------------------------------------------------------------------
def test_take_up_effect_covers_the_truth_and_naive_comparisons_do_not():
    frame = applicants(n=6000, seed=1)
    res = evaluate.lottery(frame, y="spending", assigned="won", treated="bought")
    assert res.ci_low <= TRUE_EFFECT <= res.ci_high, (res.ci_low, res.ci_high)
    # buyers against everyone else: keen households buy, so the difference is too large
    naive = evaluate.compare_groups(frame, y="spending", group="bought")
    assert naive.ci_low > TRUE_EFFECT, (naive.ci_low, TRUE_EFFECT)
    # winners who bought against losers ("using winners only"): the same selection
    winners_who_bought = frame.loc[(frame["won"] == 0) | frame["bought"]]
    naive_winners = evaluate.compare_groups(winners_who_bought, y="spending", group="won")
    assert naive_winners.ci_low > TRUE_EFFECT
    # the ITT is diluted by the winners who did not buy
    assert res.itt.ci_high < TRUE_EFFECT


def test_reading_names_the_itt_the_assumptions_and_the_trap():
    frame = applicants()
    res = evaluate.lottery(frame, y="spending", assigned="won", treated="bought", y_unit="円")
    text = res.reading()
    assert "ITT" in text and "無作為割付" in text
    assert "当選者のうち事業を使った人だけを落選者と比べてはいけません" in text
    assert f"{res.take_up[0]:.1%}" in text and f"{round(res.estimate):,}円" in text
    assert "\n" not in text
    html = res._repr_html_()
    assert html.count("<table") == 2 and "第1段階" in html
    stacked = pd.concat([res.itt.table(), res.first_stage.table(), res.table()])
    assert list(stacked["手法"])[-1] == res.method and len(stacked) == 3


def test_weak_draw_is_noted():
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame({"won": rng.random(n) < 0.5})
    frame["bought"] = rng.random(n) < np.where(frame["won"], 0.12, 0.08)
    frame["spending"] = rng.normal(0, 1, n)
    res = evaluate.lottery(frame, y="spending", assigned="won", treated="bought")
    f_stat = (res.first_stage.estimate / res.first_stage.std_error) ** 2
    assert f_stat < WEAK_FIRST_STAGE_F
    assert "不安定" in res.reading()


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def test_assigned_must_be_zero_one():
    frame = applicants(n=50).assign(won=lambda f: np.where(f["won"] == 1, "当選", "落選"))
    with pytest.raises(ParameterError) as excinfo:
        evaluate.lottery(frame, y="spending", assigned="won")
    assert_bilingual(excinfo, "'assigned'", "0か1", "'当選'")


def test_one_side_of_the_draw_empty():
    frame = applicants(n=50)
    winners_only = frame.loc[frame["won"] == 1]
    with pytest.raises(ParameterError) as excinfo:
        evaluate.lottery(winners_only, y="spending", assigned="won")
    assert_bilingual(excinfo, "落選(0)", "0人", "lost (0)", "Keep the losers")


def test_a_draw_that_changes_nothing_in_take_up():
    frame = applicants(n=200).assign(bought=lambda f: f.index % 2 == 0)
    frame["won"] = np.tile([1, 1, 0, 0], 50)  # half of both sides bought
    with pytest.raises(ParameterError) as excinfo:
        evaluate.lottery(frame, y="spending", assigned="won", treated="bought")
    assert_bilingual(excinfo, "'bought'", "50.0%", "ITT")


def test_the_draw_must_not_change_within_an_applicant():
    frame = applicants(n=40)
    frame["household"] = np.arange(40) // 2  # two rows per household, drawn separately
    with pytest.raises(ParameterError) as excinfo:
        evaluate.lottery(frame, y="spending", assigned="won", unit="household")
    assert_bilingual(excinfo, "'won'", "'household'")
