"""evaluate.sample_size equals statsmodels' TTestIndPower and Cohen's table, and reaches the
power it promises (checked with the noncentral t distribution by hand); cost_effectiveness
carries the effect's interval over to the cost per unit by Fieller's or the delta method and
warns when the effect's interval includes 0."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from ebpmkit import evaluate
from ebpmkit.errors import ParameterError

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    text = str(excinfo.value)
    first, *rest = text.split("\n")
    assert JAPANESE.search(first), text
    assert rest and re.match(r"[A-Z][a-z]*", rest[-1]), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def power_by_hand(n1: int, n2: int, d: float, alpha: float, two_sided: bool = True) -> float:
    """Power of Student's two-sample t test, from the noncentral t distribution."""
    df = n1 + n2 - 2
    nc = d * math.sqrt(n1 * n2 / (n1 + n2))
    if two_sided:
        crit = stats.t.ppf(1 - alpha / 2, df)
        return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    return float(stats.nct.sf(stats.t.ppf(1 - alpha, df), df, nc))


# --------------------------------------------------------------------------------------------
# Sample size
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("effect", "sd", "power", "confidence", "ratio", "alternative"),
    [
        (0.5, 1.0, 0.8, 0.95, 1.0, "two-sided"),
        (500.0, 2000.0, 0.9, 0.95, 1.0, "two-sided"),
        (-3.0, 10.0, 0.8, 0.9, 2.0, "two-sided"),
        (1200.0, 5000.0, 0.8, 0.95, 0.5, "one-sided"),
    ],
)
def test_sample_size_equals_statsmodels(effect, sd, power, confidence, ratio, alternative):
    res = evaluate.sample_size(
        effect, sd, power=power, confidence=confidence, ratio=ratio, alternative=alternative
    )
    nobs1 = TTestIndPower().solve_power(
        effect_size=abs(effect) / sd,
        alpha=1 - confidence,
        power=power,
        ratio=ratio,
        alternative="two-sided" if alternative == "two-sided" else "larger",
    )
    assert res.n_treated == math.ceil(nobs1)
    assert res.n_comparison == math.ceil(res.n_treated * ratio)
    assert res.n_total == res.n_treated + res.n_comparison
    # the units found reach the power, one unit fewer in the treated group does not
    d, alpha, two = abs(effect) / sd, 1 - confidence, alternative == "two-sided"
    assert power_by_hand(res.n_treated, res.n_comparison, d, alpha, two) >= power
    fewer = res.n_treated - 1
    assert power_by_hand(fewer, fewer * ratio, d, alpha, two) < power


def test_cohens_medium_effect_needs_64_per_group():
    # Cohen (1988), Statistical Power Analysis for the Behavioral Sciences, Table 2.4.1:
    # d = 0.50, two-sided alpha = 0.05, power = 0.80 -> n = 64 in each group.
    res = evaluate.sample_size(0.5, 1.0)
    assert (res.n_treated, res.n_comparison) == (64, 64)


def test_sample_size_reading_and_table():
    res = evaluate.sample_size(500, 2000, y_unit="円")
    text = res.reading()
    assert f"事業群に{res.n_treated:,}" in text and "検出力80%" in text
    assert "500円" in text and "有意水準5%" in text
    half = evaluate.sample_size(250, 2000)
    assert f"事業群に{half.n_treated:,}が必要になります" in text
    assert half.n_treated > 3 * res.n_treated  # a half-size effect needs about four times more
    assert res.table()["合計"].item() == res.n_total
    assert "<table" in res._repr_html_()


def test_sample_size_bad_input():
    with pytest.raises(ParameterError) as excinfo:
        evaluate.sample_size(0, 10)
    assert_bilingual(excinfo, "0", "sample size")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.sample_size(5, -1)
    assert_bilingual(excinfo, "'sd'", "-1")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.sample_size(5, 10, power=80)
    assert_bilingual(excinfo, "'power'", "0.8")


# --------------------------------------------------------------------------------------------
# Cost per unit of outcome
# --------------------------------------------------------------------------------------------
def estimate(est: float, se: float, df: float = 50.0) -> evaluate.EffectEstimate:
    q = stats.t.ppf(0.975, df)
    return evaluate.EffectEstimate(
        est, se, est - q * se, est + q * se, 200, 51, "差の差分析", "仮定",
        kind="did", df=df, y="visits", y_label="受診回数", y_unit="回", per="1人あたり",
    )  # fmt: skip


def test_fieller_divides_the_cost_by_the_ends_of_the_effects_interval():
    effect = estimate(2.0, 0.5)
    res = evaluate.cost_effectiveness(6000, effect)
    assert res.estimate == pytest.approx(3000.0)
    assert (res.ci_low, res.ci_high) == pytest.approx((6000 / effect.ci_high, 6000 / effect.ci_low))
    assert res.bounded and math.isnan(res.std_error) and res.method == "fieller"
    # at another level, the effect's interval is rebuilt with its own degrees of freedom
    res90 = evaluate.cost_effectiveness(6000, effect, confidence=0.9)
    q = stats.t.ppf(0.95, 50)
    assert res90.ci_low == pytest.approx(6000 / (2.0 + q * 0.5))


def test_delta_method_standard_error():
    res = evaluate.cost_effectiveness(6000, 2.0, std_error=0.5, method="delta")
    assert res.std_error == pytest.approx(6000 * 0.5 / 2.0**2)
    z = stats.norm.ppf(0.975)
    assert (res.ci_low, res.ci_high) == pytest.approx((3000 - z * 750, 3000 + z * 750))
    assert "デルタ法" in res.reading()


def test_an_effect_interval_across_zero_makes_the_ratio_unbounded():
    effect = estimate(1.0, 0.8)
    assert effect.ci_low < 0 < effect.ci_high
    res = evaluate.cost_effectiveness(6000, effect)
    assert not res.bounded and res.ci_high == math.inf
    assert res.ci_low == pytest.approx(6000 / effect.ci_high)
    # the whole set also holds costs per unit decrease from 6000 / -ci_low up
    assert (res.effect_ci_low, res.effect_ci_high) == pytest.approx((effect.ci_low, effect.ci_high))
    text = res.reading()
    assert "上限がありません" in text and "上限なし" in text
    assert "アウトプット" in text  # cost per outcome, not per output


def test_a_decrease_is_a_cost_per_unit_reduced():
    res = evaluate.cost_effectiveness(5000, -2.5, std_error=0.5, y_unit="回")
    assert res.estimate == pytest.approx(2000.0)
    z = stats.norm.ppf(0.975)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (5000 / (2.5 + z * 0.5), 5000 / (2.5 - z * 0.5))
    )
    assert "1回減らす" in res.reading() and "2,000円" in res.reading()


def test_cost_effectiveness_table_stacks_with_estimates():
    effect = estimate(2.0, 0.5)
    res = evaluate.cost_effectiveness(6000, effect)
    stacked = pd.concat([effect.table(), res.table()], ignore_index=True)
    assert list(stacked.columns[:7]) == list(effect.table().columns[:7])
    assert stacked.loc[1, "結果"] == "受診回数1回あたりの費用"
    assert "<table" in res._repr_html_()


def test_cost_effectiveness_bad_input():
    with pytest.raises(ParameterError) as excinfo:
        evaluate.cost_effectiveness(6000, 2.0)
    assert_bilingual(excinfo, "'std_error'")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.cost_effectiveness(6000, 0.0, std_error=1.0)
    assert_bilingual(excinfo, "0")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.cost_effectiveness(-1, 2.0, std_error=1.0)
    assert_bilingual(excinfo, "'cost'")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.cost_effectiveness(6000, "2", std_error=1.0)
    assert_bilingual(excinfo, "'effect'")
    np.testing.assert_allclose(
        evaluate.cost_effectiveness(6000, np.float64(2.0), std_error=0.5).estimate, 3000
    )
