"""evaluate.rdd: equals rdrobust called directly, covers a simulated jump that a naive
comparison of the two sides misses, draws the binned means with the fits, and refuses a cutoff
with no data on one side in Japanese."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pandas as pd
import pytest
from rdrobust import rdrobust

from ebpmkit import evaluate
from ebpmkit.errors import ParameterError
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
JUMP = 1.5  # extra visits a year while the subsidy lasts (below the cutoff age)


def children(
    n: int = 4000, seed: int = 0, *, whole_years: bool = False, curve: float = 0.02
) -> pd.DataFrame:
    """Visits change with age along a curve; the subsidy (ages below 15) adds JUMP visits.

    The curve is smooth through the cutoff but not a polynomial of degree two or less on
    either side, so only a fit local to the cutoff recovers the jump. ``whole_years`` counts
    age in whole years from 3 to 26 (a running variable with mass points).
    """
    rng = np.random.default_rng(seed)
    age = np.floor(rng.uniform(3, 27, n)) if whole_years else rng.uniform(9, 21, n)
    smooth = 6 - 0.25 * age + 0.1 * (age - 15) ** 2 + curve * (age - 15) ** 3
    visits = smooth + JUMP * (age < 15) + rng.normal(0, 1, n)
    return pd.DataFrame({"age": age, "visits": visits, "child": np.arange(n)})


def quiet_rdrobust(*args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return rdrobust(*args, **kwargs)


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    text = str(excinfo.value)
    first, *rest = text.split("\n")
    assert JAPANESE.search(first), text
    assert rest and re.match(r"[A-Z][a-z]*", rest[-1]), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


def test_equals_rdrobust_called_directly():
    frame = children()
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, confidence=0.9)
    ref = quiet_rdrobust(frame["visits"].to_numpy(), frame["age"].to_numpy(), c=15, level=90)
    assert res.estimate == pytest.approx(ref.coef.iloc[0, 0], rel=1e-12)  # conventional
    assert res.std_error == pytest.approx(ref.se.iloc[2, 0], rel=1e-12)  # robust
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(ref.ci.iloc[2]), rel=1e-12)
    assert res.bandwidth == pytest.approx(ref.bws.iloc[0, 0])
    assert res.bias_bandwidth == pytest.approx(ref.bws.iloc[1, 0])
    assert res.n_effective == tuple(int(n) for n in ref.N_h)
    # the fits drawn by plot() meet the estimate at the cutoff
    (a_left, _), (a_right, _) = res.fits
    assert a_right - a_left == pytest.approx(res.estimate)


def test_programme_below_the_cutoff_turns_the_sign():
    frame = children()
    above = evaluate.rdd(frame, y="visits", running="age", cutoff=15)
    below = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below")
    assert below.estimate == pytest.approx(-above.estimate)
    assert (below.ci_low, below.ci_high) == pytest.approx((-above.ci_high, -above.ci_low))
    assert "未満で対象" in below.reading() and "以上で対象" in above.reading()


def test_a_given_bandwidth_is_passed_to_rdrobust():
    frame = children()
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, bandwidth=2.0)
    ref = quiet_rdrobust(frame["visits"].to_numpy(), frame["age"].to_numpy(), c=15, h=2.0)
    assert res.bandwidth == 2.0
    assert res.estimate == pytest.approx(ref.coef.iloc[0, 0], rel=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(ref.ci.iloc[2]), rel=1e-12)


def test_clustered_errors_equal_rdrobust_with_cluster():
    frame = children(n=2000, seed=4)
    frame["family"] = np.arange(len(frame)) // 2
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, unit="family")
    ref = quiet_rdrobust(
        frame["visits"].to_numpy(),
        frame["age"].to_numpy(),
        c=15,
        cluster=pd.factorize(frame["family"])[0],
    )
    assert res.std_error == pytest.approx(ref.se.iloc[2, 0], rel=1e-12)
    assert res.n_units == 1000


def test_covers_the_jump_where_the_naive_comparison_does_not():
    frame = children(n=6000, seed=2)
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below")
    assert res.ci_low <= JUMP <= res.ci_high, (res.ci_low, res.ci_high)
    # the mean of everyone below 15 against everyone above: the curve hides most of the jump
    naive = evaluate.compare_groups(
        frame.assign(under=frame["age"] < 15), y="visits", group="under"
    )
    assert naive.ci_high < JUMP, (naive.ci_high, JUMP)
    # a bandwidth that takes in the whole sample fits one line per side and is biased too
    wide = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below", bandwidth=50)
    assert not wide.ci_low <= JUMP <= wide.ci_high, (wide.ci_low, wide.ci_high)


def test_reading_names_the_assumption_the_bandwidth_and_the_interval():
    frame = children()
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below", y_unit="回")
    text = res.reading()
    assert "なめらかにつながっていた" in text and "割当変数" in text
    assert "帯域幅" in text and "robust bias-corrected" in text
    assert f"{sum(res.n_effective):,}件" in text
    assert "\n" not in text
    assert res.kind == "rdd" and "rdrobust" in res.method


def test_whole_years_are_mass_points_and_are_noted():
    frame = children(whole_years=True, curve=0.0)
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below")
    assert "少数の値に集中" in res.reading()
    assert res.ci_low <= JUMP <= res.ci_high


def test_plot_draws_binned_means_fits_and_the_cutoff():
    frame = children()
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below")
    ax = res.plot(bins=10)
    points = ax.collections[0].get_offsets()
    assert len(points) == 20  # ten bins on each side
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 50]
    assert len(lines) == 2  # one fit on each side, within the bandwidth
    assert min(lines[1].get_xdata()) == 15 and max(lines[0].get_xdata()) == 15
    assert max(lines[1].get_xdata()) <= 15 + res.bandwidth + 1e-9
    assert ax.get_xlabel() == "年齢(歳)"  # the label of 'age' in the data dictionary
    assert "基準値" in ax.get_title(loc="left")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "区間ごとの平均" in legend and "基準値" in legend
    assert any(SYNTHETIC_NOTE in t.get_text() for t in ax.texts)


def test_no_observations_on_one_side():
    frame = children()
    older = frame.loc[frame["age"] >= 15]
    with pytest.raises(ParameterError) as excinfo:
        evaluate.rdd(older, y="visits", running="age", cutoff=15)
    assert_bilingual(excinfo, "'age'", "基準値 15 未満", "below the cutoff 15")


def test_too_few_values_near_the_cutoff_and_a_bad_cutoff():
    frame = children().head(300)
    frame.loc[frame["age"] >= 15, "age"] = np.tile([16.0, 17.0], 300)[
        : int((frame["age"] >= 15).sum())
    ]
    with pytest.raises(ParameterError) as excinfo:
        evaluate.rdd(frame, y="visits", running="age", cutoff=15)
    assert_bilingual(excinfo, str(evaluate.discontinuity.MIN_DISTINCT_PER_SIDE))
    with pytest.raises(ParameterError) as excinfo:
        evaluate.rdd(children(), y="visits", running="age", cutoff="15歳")
    assert_bilingual(excinfo, "'cutoff'")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.rdd(children(), y="visits", running="age", cutoff=15, side="left")
    assert "'side'" in str(excinfo.value)
