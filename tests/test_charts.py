"""ebpmkit.charts: auto's rule table, labels and units, Japanese numbers, bad input."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import ebpmkit
from ebpmkit import ParameterError, charts
from ebpmkit._labels import JapaneseFormatter, display_unit, lookup

YEARS = [2020, 2021, 2022]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def town():
    return ebpmkit.load("town", scale=0.02, progress=False)


def people(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "fiscal_year": np.resize(YEARS, n).astype("int16"),
            "person_id": np.arange(n),
            "age": rng.integers(0, 95, n).astype("int16"),
            "sex": pd.Categorical(np.resize(["男性", "女性"], n), categories=["男性", "女性"]),
            "area": pd.Categorical(np.resize(["北部", "中部", "南部"], n)),
            "district_code": np.resize(["D01", "D02", "D03"], n),
            "area_km2": rng.uniform(0.5, 2.0, n),
        }
    )


MONEY = pd.DataFrame(
    {"column": ["salary"], "label_ja": ["給与収入"], "unit": ["円"], "table": ["income_tax"]}
)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.figure.findobj(plt.Text)]


# --------------------------------------------------------------------------------------------
# auto's rule table: every rule is hit by a small frame
# --------------------------------------------------------------------------------------------
CASES = [
    ({"x": "age", "hue": "sex"}, "pyramid"),
    ({"x": "fiscal_year"}, "trend"),
    ({"x": "fiscal_year", "y": "area_km2"}, "trend"),
    ({"x": "fiscal_year", "y": "area"}, "composition"),
    ({"x": "district_code"}, "map"),
    ({"x": "district_code", "y": "area_km2"}, "map"),
    ({"x": "area", "y": "area_km2"}, "compare"),
    ({"x": "area", "y": "sex"}, "composition"),
    ({"x": "area"}, "distribution"),
    ({"x": "area_km2"}, "distribution"),
    ({"x": "area_km2", "y": "sex"}, "distribution_by"),
    ({"x": "age", "y": "area_km2"}, "relation"),
]


@pytest.mark.parametrize(("columns", "chart"), CASES, ids=[c for _, c in CASES])
def test_auto_rule(columns, chart, capsys):
    frame = people()
    if chart == "map":  # a map shows one year
        frame = frame[frame["fiscal_year"] == 2022]
    choice = charts.choose(frame, **columns)
    assert choice.chart == chart
    ax = charts.auto(frame, **columns, explain=True, profile="town")
    assert capsys.readouterr().out.strip() == choice.reason
    assert ax._ebpmkit_choice == choice
    assert charts.SOURCE_NOTE in _texts(ax)


def test_every_rule_is_exercised():
    hit = {charts.choose(people(), **columns).rule for columns, _ in CASES}
    assert hit == set(charts.RULES)


def test_rule_reasons_are_japanese_sentences():
    for rule in charts.RULES:
        assert rule.reason.endswith("。")
        assert any("\u3040" <= ch <= "\u30ff" for ch in rule.reason)


def test_pyramid_rule_needs_two_groups():
    frame = people().assign(area3=lambda d: d["area"])
    assert charts.choose(frame, x="age", hue="area3").chart == "distribution"


def test_auto_refuses_identifiers():
    with pytest.raises(ParameterError, match="識別番号"):
        charts.auto(people(), x="person_id")


def test_column_kinds():
    frame = people().assign(when=pd.to_datetime(["2020-04-01"] * 60), flag=True, calendar_year=2020)
    kinds = {c: charts.column_kind(frame, c) for c in frame.columns}
    assert kinds == {
        "fiscal_year": "time",
        "person_id": "id",
        "age": "age",
        "sex": "category",
        "area": "category",
        "district_code": "area",
        "area_km2": "quantity",
        "when": "time",
        "flag": "category",
        "calendar_year": "time",
    }


# --------------------------------------------------------------------------------------------
# Labels and units
# --------------------------------------------------------------------------------------------
def test_labels_from_the_built_in_dictionary():
    assert charts.axis_label("age") == "年齢(歳)"
    assert charts.axis_label("fiscal_year") == "年度"
    assert charts.axis_label("sex") == "性別"
    assert charts.axis_label("area_km2") == "面積(km²)"


def test_labels_from_a_dataset_or_a_dictionary_frame(town):
    assert charts.axis_label("age", town) == "年齢(歳)"
    assert charts.axis_label("salary", MONEY) == "給与収入(円)"
    assert charts.axis_label("salary", MONEY, measure_unit="万円") == "給与収入(万円)"
    assert lookup("salary", MONEY) == ("給与収入", "円")


def test_unknown_columns_fall_back_to_their_name():
    assert charts.axis_label("my_column") == "my_column"
    assert charts.axis_label("population") == "人口(人)"  # a declared derived name


def test_bad_dictionary_is_a_clear_error():
    with pytest.raises(ParameterError, match="dictionary"):
        charts.axis_label("age", dictionary=42)


def test_chart_axes_carry_labels_units_and_note():
    frame = people()
    ax = charts.pyramid(frame, year=2022)
    assert ax.get_ylabel() == "年齢(歳)" and ax.get_xlabel() == "人口(人)"
    assert ax.get_title(loc="left") == "人口ピラミッド(2022年度)"
    ax = charts.trend(frame, time="fiscal_year")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("年度", "人数(人)")
    ax = charts.compare(frame, x="area", y="age")
    assert ax.get_ylabel() == "年齢の平均(歳)"
    assert charts.SOURCE_NOTE.startswith("出典: ebpmkit ")
    assert all(charts.SOURCE_NOTE in _texts(plt.figure(n).axes[0]) for n in plt.get_fignums())


def test_money_is_shown_in_man_yen():
    frame = pd.DataFrame({"fiscal_year": YEARS, "salary": [3_800_000, 4_100_000, 4_500_000]})
    ax = charts.trend(frame, time="fiscal_year", y="salary", dictionary=MONEY)
    assert ax.get_ylabel() == "給与収入(万円)"
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "400" in ticks and all("," not in t or len(t) > 4 for t in ticks)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (12345, "人", "12,345人"),
        (123_456, "人", "12.3万人"),
        (2_500_000, "人", "250万人"),
        (5_321, "世帯", "5,321世帯"),
        (980, "円", "980円"),
        (45_600, "円", "45.6千円"),
        (456_000, "円", "456千円"),
        (4_560_000, "円", "456万円"),
        (98_765_432, "円", "9,877万円"),
        (1_234_567_890, "円", "12.3億円"),
        (-2_000_000, "円", "-200万円"),
        (350, "千円", "350千円"),
        (350_000, "千円", "3.5億円"),
        (42, "歳", "42歳"),
        (12.5, "%", "12.5%"),
        (1.234, "km²", "1.23km²"),
        (1234.0, "", "1,234"),
        (float("nan"), "人", "-"),
    ],
)
def test_format_number(value, unit, text):
    assert charts.format_number(value, unit) == text


def test_display_unit_and_formatter():
    assert display_unit("円", 3e9) == (1e8, "億円")
    assert display_unit("人", 999) == (1.0, "人")
    assert display_unit("km", 1e9) == (1.0, "km")
    f = JapaneseFormatter(1e4, absolute=True)  # a pyramid's axis in 万人
    f.set_locs([-25_000, 0, 25_000, 50_000])
    assert [f(v) for v in (-25_000, 0, 50_000)] == ["2.5", "0", "5"]
    f = JapaneseFormatter(1.0)
    f.set_locs([0, 2500, 5000])
    assert [f(v) for v in (0, 2500, 5000)] == ["0", "2,500", "5,000"]
    f.set_locs([0.0, 0.25, 0.5])
    assert f(0.25) == "0.25"


# --------------------------------------------------------------------------------------------
# Each helper, on the town
# --------------------------------------------------------------------------------------------
def test_helpers_on_the_town(town, tmp_path):
    ry = town.resident_years
    last = int(ry["fiscal_year"].max())
    now = ry[ry["fiscal_year"] == last]
    ax = charts.pyramid(ry, years=[int(ry["fiscal_year"].min()), last], dictionary=town)
    assert len(ax.get_legend().get_texts()) == 2
    ax = charts.composition(ry, x="fiscal_year", hue="area", normalize=True)
    heights = np.array([p.get_height() for p in ax.patches]).reshape(3, -1).sum(axis=0)
    assert np.allclose(heights, 100)
    ax = charts.distribution(now, x="age")
    assert any(t.startswith("中央値") for t in _texts(ax))
    ax = charts.distribution(town.households, x="area")
    assert ax.get_ylabel() == "世帯数(世帯)"
    charts.save(ax, tmp_path / "households.png", dpi=80)
    assert (tmp_path / "households.png").stat().st_size > 1000


def test_trend_mean_has_a_band():
    frame = people()
    ax = charts.trend(frame, time="fiscal_year", y="age", estimator="mean")
    assert ax.get_ylabel() == "年齢の平均(歳)"
    assert ax.collections  # the confidence band
    total = charts.trend(frame, time="fiscal_year", y="age", estimator="sum")
    assert total.get_ylabel() == "年齢の合計(歳)"


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------
def test_missing_column_lists_the_columns():
    with pytest.raises(ParameterError) as err:
        charts.trend(people(), time="year")
    message = str(err.value)
    assert message.startswith("列 'year' はデータにありません")
    assert "使える列: fiscal_year, person_id, age, sex" in message
    assert "The column 'year'" in message


def test_text_for_a_quantity_is_refused():
    with pytest.raises(ParameterError, match="数量・年齢の列を指定") as err:
        charts.compare(people(), x="area", y="sex")
    assert "'sex'(性別)" in str(err.value)


def test_time_axis_must_be_time():
    with pytest.raises(ParameterError, match="時点"):
        charts.trend(people(), time="area")


def test_identifier_is_not_a_quantity():
    with pytest.raises(ParameterError, match="識別番号"):
        charts.distribution(people(), x="person_id")


def test_repeated_rows_need_an_estimator():
    with pytest.raises(ParameterError, match="estimator='sum'"):
        charts.trend(people(), time="fiscal_year", y="age")
    with pytest.raises(ParameterError, match="estimator"):
        charts.trend(people(), time="fiscal_year", y="age", estimator="max")


def test_too_many_colours():
    frame = people().assign(group=[f"G{i % 12}" for i in range(60)])
    with pytest.raises(ParameterError, match="8 個を超えて"):
        charts.trend(frame, time="fiscal_year", hue="group")


def test_pyramid_checks():
    with pytest.raises(ParameterError, match="二つの区分"):
        charts.pyramid(people(), hue="area")
    with pytest.raises(ParameterError, match="1999 年度のデータはありません"):
        charts.pyramid(people(), year=1999)


def test_data_must_be_a_frame():
    with pytest.raises(ParameterError, match="DataFrame"):
        charts.trend([1, 2, 3], time="fiscal_year")


def test_save_formats_and_errors(tmp_path):
    ax = charts.distribution(people(), x="age")
    for suffix in ("png", "svg", "pdf"):
        assert charts.save(ax.figure, tmp_path / f"c.{suffix}", dpi=72).stat().st_size > 0
    with pytest.raises(ParameterError, match=r"\.png, \.svg, \.pdf"):
        charts.save(ax, tmp_path / "c.jpg")
    with pytest.raises(ParameterError, match="フォルダ"):
        charts.save(ax, tmp_path / "nowhere" / "c.png")
    with pytest.raises(ParameterError, match="Figure"):
        charts.save("chart", tmp_path / "c.png")


def test_trend_over_months_reads_japanese_dates():
    months = pd.date_range("2020-07-01", periods=18, freq="MS")
    frame = pd.DataFrame({"month": months, "local_spending": np.arange(18) * 1000 + 150_000})
    ax = charts.trend(frame, time="month", y="local_spending")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all("年" in t and t.endswith("月") for t in labels)


@pytest.mark.parametrize(
    ("draw", "old", "new"),
    [
        (lambda f, **kw: charts.trend(f, **kw), {"x": "fiscal_year"}, {"time": "fiscal_year"}),
        (lambda f, **kw: charts.pyramid(f, **kw), {"year": [2020, 2021]}, {"years": [2020, 2021]}),
    ],
)
def test_old_parameter_names_still_work_for_one_release_with_a_japanese_warning(draw, old, new):
    frame = pd.DataFrame(
        {
            "fiscal_year": [2020, 2020, 2021, 2021],
            "age": [30, 70, 31, 71],
            "sex": ["男性", "女性"] * 2,
        }
    )
    with pytest.warns(FutureWarning, match="次の版で使えなくなる"):
        before = draw(frame, **old)
    after = draw(frame, **new)
    assert before.get_xlabel() == after.get_xlabel() and before.get_title() == after.get_title()
    with pytest.raises(ParameterError, match="だけを指定"):
        charts.trend(frame, x="fiscal_year", time="fiscal_year")


def test_every_rule_names_a_chart_auto_can_draw():
    assert {rule.chart for rule in charts.RULES} == set(charts.AUTO_CHARTS)
    bad = (*charts.RULES, charts.Rule("time", None, None, "sparkline", "…"))
    with pytest.raises(RuntimeError, match="sparkline"):
        charts.check_rules(bad, charts.AUTO_CHARTS)
