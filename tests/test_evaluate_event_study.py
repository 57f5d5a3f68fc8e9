"""evaluate.event_study: equals a direct statsmodels formula fit with period dummies and unit and
time fixed effects (clustered by unit), with its F test of the leads; covers a simulated
monthly effect; the pre-trend check tells a parallel panel from one that drifts; the chart; bad
input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from ebpmkit import evaluate
from ebpmkit.errors import ParameterError
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
START = pd.Timestamp("2021-07-01")
EFFECT = 4_000.0  # yen a month while the vouchers are in use (July to December)


def households(units: int = 60, seed: int = 0, *, drift: float = 0.0) -> pd.DataFrame:
    """Monthly spending of households, Jan 2020 to Jun 2022; half buy vouchers used Jul-Dec 2021.

    ``drift`` adds a trend of that many yen a month to buyers only (parallel trends fail).
    """
    rng = np.random.default_rng(seed)
    months = pd.date_range("2020-01-01", "2022-06-01", freq="MS")
    frame = pd.DataFrame(
        {"household": np.repeat(np.arange(units), len(months)), "month": np.tile(months, units)}
    )
    frame["buyer"] = frame["household"] < units // 2
    step = (frame["month"].dt.year - 2020) * 12 + frame["month"].dt.month - 1
    in_use = frame["buyer"] & frame["month"].between(START, pd.Timestamp("2021-12-01"))
    frame["spending"] = (
        rng.normal(60_000, 8_000, units)[frame["household"]]
        + 300 * np.sin(step / 2)
        + drift * step * frame["buyer"]
        + EFFECT * in_use
        + rng.normal(0, 2_000, len(frame))
    )
    return frame


def dummies_fit(frame: pd.DataFrame, rel: pd.Series, reference: int = -1):
    """y ~ D_k (k != reference) + C(household) + C(month), clustered by household."""
    data = frame.copy()
    names = []
    for k in sorted(int(v) for v in rel.dropna().unique()):
        if k == reference:
            continue
        name = f"d_{'m' if k < 0 else 'p'}{abs(k)}"
        data[name] = (rel == k).astype(float)
        names.append((k, name))
    formula = "spending ~ " + " + ".join(n for _, n in names) + " + C(household) + C(month)"
    fit = smf.ols(formula, data=data).fit(
        cov_type="cluster", cov_kwds={"groups": data["household"]}, use_t=True
    )
    return fit, names


def relative_months(frame: pd.DataFrame, start: pd.Series) -> pd.Series:
    months = (
        (frame["month"].dt.year - start.dt.year) * 12 + frame["month"].dt.month - start.dt.month
    )
    return months.where(start.notna())


def assert_bilingual(excinfo: pytest.ExceptionInfo, *fragments: str) -> str:
    text = str(excinfo.value)
    first, *rest = text.split("\n")
    assert JAPANESE.search(first), text
    assert rest and re.match(r"[A-Z][a-z]*", rest[-1]), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


@pytest.fixture(scope="module")
def panel():
    return households()


@pytest.fixture(scope="module")
def study(panel):
    return evaluate.event_study(
        panel, y="spending", time="month", unit="household", event="2021-07-01", treated="buyer"
    )


def test_equals_statsmodels_with_period_dummies(panel, study):
    start = pd.Series(START, index=panel.index).where(panel["buyer"])
    fit, names = dummies_fit(panel, relative_months(panel, start))
    periods = study.periods.set_index("事業開始からの時点")
    for k, name in names:
        assert periods.loc[k, "推定値"] == pytest.approx(fit.params[name], rel=1e-6, abs=1e-6)
        assert periods.loc[k, "標準誤差"] == pytest.approx(fit.bse[name], rel=1e-6)
        low, high = fit.conf_int().loc[name]
        assert periods.loc[k, "信頼区間(下限)"] == pytest.approx(low, rel=1e-6)
    leads = [n for k, n in names if k < 0]
    test = fit.f_test(", ".join(f"{n} = 0" for n in leads))
    assert study.pretrend_f == pytest.approx(float(test.fvalue), rel=1e-6)
    assert study.pretrend_p == pytest.approx(float(test.pvalue), rel=1e-6)
    # the average after the start is the mean of those coefficients, with its own SE
    post = [n for k, n in names if k >= 0]
    avg = fit.t_test(" + ".join(post) + " = 0").effect / len(post)
    assert study.estimate == pytest.approx(float(np.squeeze(avg)), rel=1e-6)
    weights = np.array([1 / len(post) if n in post else 0.0 for n in fit.params.index])
    se = float(np.sqrt(weights @ fit.cov_params().to_numpy() @ weights))
    assert study.std_error == pytest.approx(se, rel=1e-6)
    assert study.df == 59 and study.n_units == 60


def test_columns_of_starts_equal_the_formula_fit():
    frame = households(units=40, seed=2)
    first = {0: "2021-03-01", 1: "2021-07-01"}
    frame["start"] = pd.to_datetime(
        frame["household"].map(lambda h: first[h % 2] if h < 20 else None)
    )
    res = evaluate.event_study(frame, y="spending", time="month", unit="household", event="start")
    fit, names = dummies_fit(frame, relative_months(frame, frame["start"]))
    periods = res.periods.set_index("事業開始からの時点")
    for k, name in names:
        assert periods.loc[k, "推定値"] == pytest.approx(fit.params[name], rel=1e-6, abs=1e-6)
        assert periods.loc[k, "標準誤差"] == pytest.approx(fit.bse[name], rel=1e-6)
    assert "開始時点が単位によって違います" in res.reading()


def test_covers_the_effect_and_finds_no_pre_trend(study):
    periods = study.periods.set_index("事業開始からの時点")
    in_use = periods.loc[0:5]  # July to December 2021
    inside = (in_use["信頼区間(下限)"] <= EFFECT) & (EFFECT <= in_use["信頼区間(上限)"])
    assert inside.sum() >= 5, in_use
    after = periods.loc[6:]  # the vouchers are used up: no effect
    assert ((after["信頼区間(下限)"] <= 0) & (0 <= after["信頼区間(上限)"])).mean() > 0.8
    assert study.pretrend_p > 0.05
    assert "0と両立しており" in study.reading() and "平行トレンド" in study.reading()
    assert study.n_leads == 17  # January 2020 to May 2021; June 2021 is the reference


def test_a_drifting_panel_fails_the_pre_trend_check():
    frame = households(seed=4, drift=150.0)
    res = evaluate.event_study(
        frame, y="spending", time="month", unit="household", event="2021-07-01", treated="buyer"
    )
    assert res.pretrend_p < 0.05
    text = res.reading()
    assert "0と両立しません" in text and "疑わしく" in text
    assert f"{res.pretrend_p:.3f}" in text


def test_window_and_reference(panel):
    res = evaluate.event_study(
        panel, y="spending", time="month", unit="household", event="2021-07-01",
        treated="buyer", window=(-6, 8), reference=-2,
    )  # fmt: skip
    periods = res.periods["事業開始からの時点"].tolist()
    assert periods == list(range(-6, 9))
    assert res.periods.loc[res.periods["基準"], "事業開始からの時点"].item() == -2
    dropped = int(((panel["month"] < "2021-01-01") | (panel["month"] > "2022-03-01")).sum() / 2)
    assert res.n_obs == len(panel) - dropped
    assert "window" in res.reading()


def test_plot_shows_coefficients_the_reference_and_the_start(study):
    ax = study.plot()
    assert ax.get_xlabel() == "事業開始からの時点(月、0 = 事業開始)"
    assert ax.get_ylabel().startswith("spendingの差")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "事業開始" in legend and "基準の時点(0に固定)" in legend
    assert any(SYNTHETIC_NOTE in t.get_text() for t in ax.texts)
    starts = [line for line in ax.get_lines() if list(line.get_xdata()) == [-0.5, -0.5]]
    assert starts


def test_html_shows_every_period(study):
    html = study._repr_html_()
    assert html.count("<table") == 2 and "時点ごとの係数" in html


def test_bad_input():
    frame = households(units=30)
    call = dict(y="spending", time="month", unit="household")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(frame, **call, event="2021-07-01")
    assert_bilingual(excinfo, "'treated'")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(frame, **call, event="2021-07-15", treated="buyer")
    assert_bilingual(excinfo, "2021-07-15", "2020年1月")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(frame.assign(buyer=True), **call, event="2021-07-01", treated="buyer")
    assert_bilingual(excinfo, "比較群", "0個")
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(frame, **call, event="2021-07-01", treated="buyer", window=(0, 5))
    assert_bilingual(excinfo, "'window'", "-1")
    moving = frame.assign(buyer=frame["month"] >= START)
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(moving, **call, event="2021-07-01", treated="buyer")
    assert_bilingual(excinfo, "'buyer'", "household")
    few = frame.loc[frame["household"] < 6]
    with pytest.raises(ParameterError) as excinfo:
        evaluate.event_study(few, **call, event="2021-07-01", treated="buyer")
    assert_bilingual(excinfo, "6個", "10")
