"""ebpmkit.evaluate: DiD recovers the simulated voucher effect, naive designs do not; statsmodels
equivalence; Welch and paired intervals; readings; the trends chart; bad input."""

from __future__ import annotations

import dataclasses
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

import ebpmkit
from ebpmkit import evaluate
from ebpmkit.errors import ParameterError
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE

USE = ("2021-07-01", "2021-12-01")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def voucher():
    ds = ebpmkit.load("urban-ward", scale=0.05, progress=False)
    truth = ds.ground_truth["voucher"]
    return ds.household_spending, truth["att_yen_per_buyer_household_month"]


@pytest.fixture(scope="module")
def voucher_did(voucher):
    panel, _ = voucher
    return evaluate.did(
        panel, y="local_spending", unit="household_id", time="month", treated="buyer", post=USE
    )


def small_panel(units: int = 30, times: int = 6, effect: float = 5.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), times),
            "t": np.tile(np.arange(2010, 2010 + times), units),
        }
    )
    frame["treated"] = (frame["unit"] % 3 == 0).astype("int64")
    frame["post"] = frame["t"] >= 2010 + times // 2
    level = rng.normal(0, 3, units)[frame["unit"]]
    frame["y"] = (
        level
        + 0.5 * (frame["t"] - 2010)
        + effect * (frame["treated"].eq(1) & frame["post"])
        + rng.normal(0, 1, len(frame))
    )
    return frame


def dummies_fit(frame: pd.DataFrame, y: str, unit: str, time: str, d: np.ndarray):
    """The direct statsmodels regression: y ~ d + C(unit) + C(time), clustered by unit."""
    data = frame.assign(d=d.astype(float))
    return smf.ols(f"{y} ~ d + C({unit}) + C({time})", data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data[unit])[0]}, use_t=True
    )


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    message = str(excinfo.value)
    first, *rest = message.split("\n")
    assert JAPANESE.search(first), message
    assert rest and re.match(r"[A-Z][a-z]+ ", rest[-1]), message  # then one in English
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# --------------------------------------------------------------------------------------------
# The voucher evaluation
# --------------------------------------------------------------------------------------------
def test_did_recovers_the_true_voucher_effect(voucher, voucher_did):
    panel, att = voucher
    res = voucher_did
    assert att > 0
    assert res.ci_low <= att <= res.ci_high, (res.estimate, res.ci_low, res.ci_high, att)
    assert res.ci_low > 0
    assert res.n_units == panel["household_id"].nunique() and res.n_obs == len(panel)
    assert res.kind == "did" and "平行トレンド" in res.assumption


def test_naive_designs_miss_the_true_effect(voucher):
    panel, att = voucher
    buyers = panel.loc[panel["buyer"]]
    naive = evaluate.before_after(
        buyers,
        y="local_spending",
        time="month",
        period=USE,
        before=("2021-01-01", "2021-06-01"),
        unit="household_id",
    )
    assert naive.ci_low > att, (naive.estimate, naive.ci_low, att)
    # the default comparison period (everything before the programme) misses it too
    default = evaluate.before_after(
        buyers, y="local_spending", time="month", period=USE, unit="household_id"
    )
    assert default.ci_low > att
    assert default.groups[1] == "2019年7月〜2021年6月"
    # buyers against non-buyers in the use months pick up the level difference
    during = panel.loc[panel["month"].between(*USE)]
    groups = evaluate.compare_groups(during, y="local_spending", group="buyer", unit="household_id")
    assert groups.ci_low > att
    assert groups.groups == ("購入世帯", "購入世帯以外")


def test_did_equals_statsmodels_with_dummies(voucher, voucher_did):
    panel, _ = voucher
    d = panel["buyer"].to_numpy() & panel["month"].between(*USE).to_numpy()
    fit = dummies_fit(panel, "local_spending", "household_id", "month", d)
    res = voucher_did
    assert res.estimate == pytest.approx(fit.params["d"], rel=1e-6)
    assert res.std_error == pytest.approx(fit.bse["d"], rel=1e-6)
    low, high = fit.conf_int().loc["d"]
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-6)
    assert res.df == panel["household_id"].nunique() - 1


def test_did_on_an_unbalanced_panel_equals_statsmodels():
    frame = small_panel(units=24, times=7, seed=3)
    rng = np.random.default_rng(5)
    frame = frame.loc[rng.random(len(frame)) > 0.2].reset_index(drop=True)
    res = evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    fit = dummies_fit(frame, "y", "unit", "t", frame["treated"].eq(1) & frame["post"])
    assert res.estimate == pytest.approx(fit.params["d"], rel=1e-6)
    assert res.std_error == pytest.approx(fit.bse["d"], rel=1e-6)
    assert res.n_obs == len(frame)


def test_post_as_column_pair_or_start_agree():
    frame = small_panel()
    by_column = evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    by_start = evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post=2013)
    by_pair = evaluate.did(
        frame, y="y", unit="unit", time="t", treated="treated", post=(2013, None)
    )
    assert by_column.estimate == pytest.approx(by_start.estimate)
    assert by_pair.estimate == pytest.approx(by_start.estimate)
    assert by_start.ci_low <= 5 <= by_start.ci_high


def test_missing_values_are_left_out_and_said():
    frame = small_panel()
    frame.loc[[0, 7], "y"] = np.nan
    res = evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert res.n_obs == len(frame) - 2
    assert "欠損値" in res.reading() and "2行" in res.reading()


# --------------------------------------------------------------------------------------------
# Before/after and group comparison against scipy
# --------------------------------------------------------------------------------------------
def test_before_after_without_unit_is_welch():
    frame = small_panel()
    res = evaluate.before_after(frame, y="y", time="t", period=(2013, 2015), confidence=0.9)
    after = frame.loc[frame["t"] >= 2013, "y"]
    prior = frame.loc[frame["t"] < 2013, "y"]
    test = stats.ttest_ind(after, prior, equal_var=False)
    ci = test.confidence_interval(0.9)
    assert res.estimate == pytest.approx(after.mean() - prior.mean())
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))
    assert res.n_units == res.n_obs == len(frame)
    assert "90%信頼区間" in res.reading()


def test_before_after_with_unit_is_paired():
    frame = small_panel()
    res = evaluate.before_after(frame, y="y", time="t", period=2013, unit="unit")
    means = frame.groupby(["unit", frame["t"] >= 2013])["y"].mean().unstack()
    test = stats.ttest_rel(means[True], means[False])
    ci = test.confidence_interval(0.95)
    assert res.estimate == pytest.approx((means[True] - means[False]).mean())
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))
    assert res.n_units == 30


def test_compare_groups_is_welch_and_names_the_order():
    frame = pd.DataFrame(
        {"area": ["北部"] * 5 + ["南部"] * 6 + ["西部"] * 2, "spend": np.arange(13.0) ** 1.5}
    )
    res = evaluate.compare_groups(frame, y="spend", group="area", groups=("南部", "北部"))
    south, north = (
        frame.loc[frame["area"] == "南部", "spend"],
        frame.loc[frame["area"] == "北部", "spend"],
    )
    ci = stats.ttest_ind(south, north, equal_var=False).confidence_interval(0.95)
    assert res.estimate == pytest.approx(south.mean() - north.mean())
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))
    assert res.n_obs == 11
    assert "くじ引き" in res.reading() and "南部" in res.reading()


# --------------------------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------------------------
def test_result_is_a_frozen_tidy_record(voucher_did):
    res = voucher_did
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.0  # type: ignore[misc]
    table = res.table()
    assert table.shape[0] == 1
    assert table.loc[0, "推定値"] == res.estimate
    assert table.loc[0, "単位数"] == res.n_units
    stacked = pd.concat([res.table(), res.table()], ignore_index=True)
    assert list(stacked.columns) == list(table.columns)
    html = res._repr_html_()
    assert "<table" in html and "平行トレンド" in html


def test_readings_name_the_assumption_and_the_interval(voucher, voucher_did):
    panel, _ = voucher
    text = voucher_did.reading()
    assert "平行トレンド" in text and "95%信頼区間" in text
    assert "1世帯・1か月あたり" in text and "2021年7月〜2021年12月" in text
    assert f"{round(voucher_did.estimate):,}円" in text
    assert re.search(r"\d{1,3}(,\d{3})+円", text)
    assert "\n" not in text
    buyers = panel.loc[panel["buyer"]]
    before = evaluate.before_after(buyers, y="local_spending", time="month", period=USE)
    assert "事業以外" in before.reading() and "季節" in before.reading()


def test_reading_of_an_interval_across_zero():
    res = evaluate.EffectEstimate(
        -3.0, 4.0, -11.0, 5.0, 50, 50, "前後比較", "仮定", kind="before_after"
    )
    text = res.reading()
    assert "減りました" in text and "0をまたいで" in text


# --------------------------------------------------------------------------------------------
# The trends chart
# --------------------------------------------------------------------------------------------
def test_plot_trends_marks_the_start_and_the_source(voucher):
    panel, _ = voucher
    ax = evaluate.plot_trends(
        panel, y="local_spending", time="month", hue="buyer", event="2021-07-01"
    )
    assert len(ax.get_lines()) == 3  # two groups and the start line
    assert ax.get_xlabel() == "月"
    assert ax.get_ylabel().startswith("地元消費額の平均")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["はい", "いいえ"] and "事業開始" in legend
    texts = [t.get_text() for t in ax.texts]
    assert any(SYNTHETIC_NOTE in t and t.startswith("出典") for t in texts)
    assert "年" in ax.xaxis.get_major_formatter()(ax.get_xticks()[1])


def test_plot_trends_shades_a_period_and_uses_a_given_axes():
    frame = small_panel()
    fig, ax = plt.subplots()
    out = evaluate.plot_trends(frame, y="y", time="t", hue="treated", ax=ax, event=(2013, 2015))
    assert out is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["はい", "いいえ"]
    assert any("事業期間" == t.get_text() for t in ax.get_legend().get_texts())


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def test_missing_column_lists_the_columns():
    frame = small_panel()
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="spend", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "'spend'", "unit, t, treated, post, y")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.plot_trends(frame, y="y", time="month", hue="treated")
    assert_bilingual(excinfo, "'month'")


def test_treatment_must_be_zero_one_or_bool():
    frame = small_panel().assign(treated=lambda f: np.where(f["treated"] == 1, "対象", "対象外"))
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "0か1", "'対象'")
    frame = small_panel().assign(treated=lambda f: f["treated"] * 2)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "0/1")


def test_treatment_must_not_change_within_a_unit():
    frame = small_panel()
    frame["treated"] = (frame["treated"].eq(1) & frame["post"]).astype(int)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "同じ単位", "'post'")


def test_too_few_units_to_cluster():
    frame = small_panel(units=8)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "8個", str(evaluate.MIN_CLUSTERS))


def test_one_treated_unit_is_refused():
    frame = small_panel().assign(treated=lambda f: f["unit"].eq(0))
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post")
    assert_bilingual(excinfo, "処置群", "1個", "treated units")


def test_non_numeric_outcome_is_refused():
    frame = small_panel().assign(y=lambda f: f["y"].round(1).astype(str))
    for call in (
        lambda: evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post="post"),
        lambda: evaluate.before_after(frame, y="y", time="t", period=2013),
        lambda: evaluate.compare_groups(frame, y="y", group="treated"),
    ):
        with pytest.raises(ParameterError) as excinfo:
            call()
        assert_bilingual(excinfo, "数値", "pd.to_numeric")


def test_period_outside_the_data_and_bad_level():
    frame = small_panel()
    with pytest.raises(ParameterError) as excinfo:
        evaluate.did(frame, y="y", unit="unit", time="t", treated="treated", post=2030)
    assert_bilingual(excinfo, "2010〜2015")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.before_after(frame, y="y", time="t", period="2013")
    assert_bilingual(excinfo, "'2013'")
    dated = frame.assign(t=pd.to_datetime(frame["t"].astype(str) + "-04-01"))
    with pytest.raises(ParameterError) as excinfo:
        evaluate.before_after(dated, y="y", time="t", period=2013)
    assert_bilingual(excinfo, "日付", "'2021-07-01'")
    assert evaluate.before_after(dated, y="y", time="t", period="2013-04-01").n_obs == len(frame)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.before_after(frame, y="y", time="t", period=2013, confidence=95)
    assert_bilingual(excinfo, "0.95")


def test_group_with_more_than_two_values_needs_groups():
    frame = pd.DataFrame({"area": ["北部", "南部", "西部"] * 4, "spend": np.arange(12.0)})
    with pytest.raises(ParameterError) as excinfo:
        evaluate.compare_groups(frame, y="spend", group="area")
    assert_bilingual(excinfo, "3種類", "groups=(a, b)")


# --------------------------------------------------------------------------------------------
# The package keeps the module's public names
# --------------------------------------------------------------------------------------------
def test_the_package_keeps_every_name_of_the_former_module():
    before = ["ASSUMPTIONS", "MIN_CLUSTERS", "MIN_UNITS_PER_GROUP", "SOURCE_NOTE",
              "EffectEstimate", "before_after", "compare_groups", "did", "plot_trends"]  # fmt: skip
    assert set(before) <= set(evaluate.__all__)
    for name in evaluate.__all__:
        assert getattr(evaluate, name) is not None, name
    assert callable(evaluate.did) and evaluate.did.__name__ == "did"
    assert evaluate.SOURCE_NOTE.startswith("出典") and SYNTHETIC_NOTE in evaluate.SOURCE_NOTE
    assert evaluate.MIN_CLUSTERS == 10 and evaluate.MIN_UNITS_PER_GROUP == 2
    # every design's result is an EffectEstimate and names its assumption
    for cls in (evaluate.LotteryEstimate, evaluate.RddEstimate, evaluate.MatchingEstimate,
                evaluate.EventStudyEstimate):  # fmt: skip
        assert issubclass(cls, evaluate.EffectEstimate)
    for kind in ("lottery", "lottery_take_up", "rdd", "matching", "event_study"):
        assert JAPANESE.search(evaluate.ASSUMPTIONS[kind]), kind
