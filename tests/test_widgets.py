"""The managers' dashboards, headless: values in -> figures and tables out, and their widgets."""

from __future__ import annotations

import io
from dataclasses import replace

import ipywidgets
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

import ebpmkit
from ebpmkit import furusato, widgets
from ebpmkit._labels import SOURCE_NOTE
from ebpmkit.errors import ParameterError


@pytest.fixture(scope="module")
def ds():
    return ebpmkit.load(scale=0.02, progress=False)


def texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text)]


def says_fictional(figure) -> bool:
    return any(SOURCE_NOTE in t for t in texts(figure))


def first_line(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value).split("\n", 1)[0]


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find(box, kind, description: str | None = None):
    found = [
        w
        for w in walk(box)
        if isinstance(w, kind) and (description is None or w.description == description)
    ]
    assert found, f"no {kind.__name__} {description!r} in the dashboard"
    return found[0]


def message_of(box) -> str:
    """The text of the dashboard's message line (empty when there is none)."""
    notes = [w.value for w in walk(box) if isinstance(w, ipywidgets.HTML)]
    return " ".join(v for v in notes if "ebpmkit-message" in v)


def image_of(box) -> ipywidgets.Image:
    return find(box, ipywidgets.Image)


# --------------------------------------------------------------------------------------------
# Explorer
# --------------------------------------------------------------------------------------------
def test_a_share_for_the_whole_municipality_is_totals_over_totals(ds):
    """Hand-worked: the 65+ share of the whole municipality is all 65+ over all known ages."""
    ry = ds.resident_years
    year = int(ry["fiscal_year"].max())
    people = ry[ry["fiscal_year"] == year]
    expected = (people["age"] >= 65).sum() / people["age"].notna().sum() * 100
    view = widgets.explorer_view(
        ds, indicator="aged65_share", districts=["D01"], years=(year - 1, year)
    )
    column = f"{ds.municipality}全体(%)"
    assert view.table.set_index("年度").loc[year, column] == pytest.approx(expected, abs=0.05)


def test_every_indicator_has_a_value_for_every_district_and_year(ds):
    districts = set(ds.districts["district_code"].astype(str))
    years = set(ds.resident_years["fiscal_year"].astype(int))
    for ind in widgets.INDICATORS:
        values = widgets.indicator_values(ds, ind.key)
        assert set(values["district_code"]) == districts, ind.key
        assert set(values["fiscal_year"]) == years, ind.key
        assert values["value"].notna().all(), ind.key
        assert ind.label and not ind.label.isascii(), ind.key


def test_indicator_labels_come_from_the_data_dictionary(ds):
    labels = {i.key: i.label for i in widgets.INDICATORS}
    assert labels["waiting"] == ebpmkit.charts.axis_label("waiting").split("(")[0]
    assert "医療費" in labels["medical_cost"]


def test_the_chart_table_holds_the_districts_numbers(ds):
    values = widgets.indicator_values(ds, "mean_age")
    view = widgets.explorer_view(
        ds, indicator="mean_age", districts=["D02", "D03"], comparison="none"
    )
    name = dict(zip(ds.districts["district_code"], ds.districts["district_name"], strict=True))
    table = view.table.set_index("年度")
    for code in ("D02", "D03"):
        mine = values[values["district_code"] == code].set_index("fiscal_year")["value"]
        assert np.allclose(table[f"{name[code]}(歳)"], mine.round(1).to_numpy())
    assert len(table.columns) == 2  # no comparison line


def test_the_view_draws_a_chart_and_a_map_that_say_the_data_are_fictional(ds):
    view = widgets.explorer_view(ds, indicator="aged75_share", districts=["D01", "D04"])
    chart = view.figure.axes[0]
    assert chart.get_ylabel().startswith("75歳以上の割合")
    last = int(ds.resident_years["fiscal_year"].max())
    assert f"{last}年度の75歳以上の割合" in texts(view.figure)  # the map's title
    assert says_fictional(view.figure)
    assert len(view.map_table) == len(ds.districts)


def test_comparing_with_an_earlier_year_maps_the_change(ds):
    view = widgets.explorer_view(
        ds, indicator="population", districts=["D05"], years=(2020, 2024),
        comparison="previous_year", base_year=2016,
    )  # fmt: skip
    values = widgets.indicator_values(ds, "population").set_index(["fiscal_year", "district_code"])
    row = view.map_table.set_index("住区コード").loc["D07"]
    expected = values.loc[(2024, "D07"), "value"] - values.loc[(2016, "D07"), "value"]
    assert row["変化(人)"] == expected
    assert "人口の変化(2016→2024年度)" in texts(view.figure)
    assert 2016 in set(view.table["年度"])  # the chart starts at the year compared with


def test_comparing_with_another_district_adds_its_line(ds):
    view = widgets.explorer_view(
        ds, indicator="single_share", districts=["D01"], comparison="district",
        compare_district="D09",
    )  # fmt: skip
    name = dict(zip(ds.districts["district_code"], ds.districts["district_name"], strict=True))
    assert f"{name['D09']}(%)" in view.table.columns
    assert set(view.data.loc[view.data["選択"] == "比較", "住区コード"]) == {"D09"}


@pytest.mark.parametrize(
    ("choices", "japanese"),
    [
        ({"districts": []}, "住区が選ばれていません"),
        ({"years": (2030, 2031)}, "年度 2030 のデータはありません"),
        ({"years": 1999}, "年度 1999 のデータはありません"),
        ({"districts": [f"D{i:02d}" for i in range(1, 9)]}, "住区が 8 個選ばれています"),
        ({"districts": ["D99"]}, "住区 D99 はありません"),
        ({"comparison": "district", "compare_district": "D01"}, "比べる住区を"),
        (
            {"comparison": "previous_year", "years": (2020, 2024), "base_year": 2024},
            "比べる年度 2024",
        ),
        ({"indicator": "happiness"}, "指標 'happiness' はありません"),
    ],
)
def test_invalid_choices_give_a_short_japanese_message(ds, choices, japanese):
    base = {"indicator": "aged65_share", "districts": ["D01"]}
    with pytest.raises(ParameterError) as exc:
        widgets.explorer_view(ds, **{**base, **choices})
    assert japanese in first_line(exc)
    assert not first_line(exc).isascii()


def test_export_writes_a_png_and_a_csv_that_excel_reads(ds, tmp_path):
    view = widgets.explorer_view(ds, indicator="foreign_share", districts=["D03"])
    paths = widgets.export_view(view, tmp_path / "memo")
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("指標,年度,住区コード,住区,選択,値")
    assert text.splitlines()[-1] == SOURCE_NOTE
    back = pd.read_csv(io.StringIO(text), skipfooter=1, engine="python")
    assert len(back) == len(view.data)
    assert np.allclose(back["値"], view.data["値"])


def test_export_into_an_unwritable_place_says_so_in_japanese(ds, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    view = widgets.explorer_view(ds, districts=["D01"])
    with pytest.raises(ParameterError) as exc:
        widgets.export_view(view, blocker / "memo")
    assert "保存できませんでした" in first_line(exc)


def test_the_explorer_redraws_and_shows_messages_instead_of_tracebacks(ds, tmp_path):
    box = widgets.explorer(ds, export_dir=tmp_path)
    image = image_of(box)
    # only the controls a comparison needs are hidden, each control has its own layout
    assert find(box, ipywidgets.Dropdown, "比べる住区").layout.display == "none"
    assert find(box, ipywidgets.Dropdown, "指標").layout.display is None
    layouts = [id(w.layout) for w in walk(box) if isinstance(w, ipywidgets.DOMWidget)]
    assert len(layouts) == len(set(layouts))
    before = image.value
    find(box, ipywidgets.Dropdown, "指標").value = "child_share"
    assert image.value != before and message_of(box) == ""
    districts = find(box, ipywidgets.SelectMultiple, "住区(複数可)")
    districts.value = ()
    assert "住区が選ばれていません" in message_of(box)
    assert "Traceback" not in message_of(box)
    assert image.layout.display == "none"
    districts.value = ("D02",)
    assert message_of(box) == "" and image.layout.display is None
    find(box, ipywidgets.Button, "メモ用に保存(PNG・CSV)").click()
    saved = [
        w.value for w in walk(box) if isinstance(w, ipywidgets.HTML) and "保存しました" in w.value
    ]
    assert saved and str(tmp_path) in saved[0]
    assert len(list(tmp_path.glob("child_share_*.png"))) == 1


# --------------------------------------------------------------------------------------------
# Voucher simulator
# --------------------------------------------------------------------------------------------
def test_the_recorded_design_reproduces_the_programme_cost(ds):
    """Hand-worked from the tables: buyers found in the register x the mean payment."""
    view = widgets.voucher_view(ds)
    design = widgets.voucher_design(ds)
    basis = widgets._voucher_basis(ds)
    people = basis["people"]
    buyers = int((people["buyer"] & (people["age"] >= design.min_age)).sum())
    paid = ds.voucher_purchases["paid"].mean() * buyers
    expected = paid * design.premium_rate / (1 - design.admin_share)
    assert view.values["cost"] == pytest.approx(expected)
    assert view.values["buyer_total"] == pytest.approx(buyers)


def test_new_spending_uses_the_evidence_range_and_the_truth(ds):
    view = widgets.voucher_view(ds)
    used = view.values["used"]
    truth = ds.ground_truth["voucher"]["incremental_share"]
    shares = [widgets.VOUCHER_EVIDENCE[0].share, truth, widgets.VOUCHER_EVIDENCE[1].share]
    assert view.values["new_low"] == pytest.approx(used * min(shares))
    assert view.values["new_high"] == pytest.approx(used * max(shares))
    per_yen = [float(v.removesuffix("円")) for v in view.estimates["新たな消費1円あたりの費用"]]
    assert per_yen == pytest.approx([view.values["cost"] / (used * s) for s in shares], abs=0.006)
    assert view.estimates["出典"].str.len().gt(10).all()
    assert says_fictional(view.figure)


def test_a_higher_premium_costs_more_per_yen_of_new_spending(ds):
    low = widgets.voucher_view(ds, premium_rate=0.2, budget=1e12)
    high = widgets.voucher_view(ds, premium_rate=0.4, budget=1e12)
    ratio = lambda v: v.values["cost"] / v.values["new_high"]  # noqa: E731
    # cost / new spending = p / ((1 + p) (1 - admin) redemption share): rises with p
    assert ratio(high) > ratio(low)
    assert high.values["cost"] > low.values["cost"]


def test_who_would_buy_follows_the_last_programmes_rates(ds):
    view = widgets.voucher_view(ds)
    basis = widgets._voucher_basis(ds)
    people = basis["people"]
    old = people[people["age"] >= widgets.voucher_design(ds).min_age]
    rates = old.groupby("band", observed=False)["buyer"].mean() * 100
    assert np.allclose(view.buyers["前回の購入率(%)"], rates.round(1).to_numpy())
    assert view.buyers["購入する見込みの人数(人)"].sum() == pytest.approx(
        view.values["buyer_total"], abs=len(view.buyers)
    )


def test_a_small_budget_means_a_lottery_within_it(ds):
    view = widgets.voucher_view(ds, budget=1_000_000)
    assert view.values["cost"] == pytest.approx(1_000_000)
    assert view.values["sold_share"] < 1
    assert "抽選" in " ".join(view.summary["説明"])


@pytest.mark.parametrize(
    ("change", "japanese"),
    [
        ({"purchase_cap": 5_000, "set_price": 10_000}, "1セットも買えません"),
        ({"budget": 100}, "1セット分のプレミアムと事務費"),
        ({"min_age": 130}, "この条件(130歳以上)にあてはまる住民がいません"),
        ({"premium_rate": 0.0}, "プレミアム率は"),
    ],
)
def test_invalid_voucher_designs_give_a_short_japanese_message(ds, change, japanese):
    with pytest.raises(ParameterError) as exc:
        widgets.voucher_view(ds, **change)
    assert japanese in first_line(exc)


def test_the_voucher_dashboard_redraws_and_explains_a_cap_below_the_price(ds):
    box = widgets.voucher_simulator(ds)
    image = image_of(box)
    before = image.value
    find(box, ipywidgets.IntSlider, "プレミアム率(%)").value = 20
    assert image.value != before and message_of(box) == ""
    find(box, ipywidgets.IntSlider, "1人の購入上限(円)").value = 5_000
    assert "1セットも買えません" in message_of(box)
    assert image.layout.display == "none"


# --------------------------------------------------------------------------------------------
# Furusato simulator
# --------------------------------------------------------------------------------------------
def test_the_datas_plan_reproduces_the_years_cost_ratio(ds):
    year = int(ds.furusato_donations["fiscal_year"].max())
    totals = furusato.solicitation_costs_by_year(ds.furusato_donations, ds.furusato_gifts)
    recorded = totals.set_index("fiscal_year").loc[year, "cost_ratio"]
    view = widgets.furusato_view(ds)
    # the plan's shares are rounded to 0.1 percentage points, five of them
    assert view.values["ratio"] == pytest.approx(recorded, abs=0.003)


def test_the_30_rule_is_judged_per_gift_category(ds):
    plan = widgets.furusato_plan(ds)
    category = next(iter(plan.mix))
    at_limit = widgets.furusato_view(ds, procurement={**plan.procurement, category: 30.0})
    over = widgets.furusato_view(ds, procurement={**plan.procurement, category: 30.5})
    row = lambda v: v.rules.set_index("対象").loc[f"{category}の調達費 / 寄附額", "判定"]  # noqa: E731
    assert row(at_limit) == "守っている" and row(over) == "違反"
    assert over.values["breaks_30_rule"] == at_limit.values["breaks_30_rule"] + 1


def test_the_50_rule_is_judged_on_the_years_totals(ds):
    plan = widgets.furusato_plan(ds)
    # every gift keeps to 30%, but portal fees and administration push the totals over 50%
    costly = widgets.furusato_view(
        ds,
        procurement=dict.fromkeys(plan.mix, 25.0),
        shipping=5,
        portal_fee=12,
        admin=9,
        no_gift_share=0,
    )
    assert costly.values["breaks_30_rule"] == 0
    assert costly.values["ratio"] == pytest.approx(0.51)
    assert costly.values["breaks_50_rule"] == 1
    assert costly.rules.iloc[-1]["判定"] == "違反"
    # one category over 30% while the year's totals stay under 50%
    one_over = widgets.furusato_view(
        ds, procurement={**dict.fromkeys(plan.mix, 25.0), next(iter(plan.mix)): 35.0},
        shipping=2, portal_fee=5, admin=3,
    )  # fmt: skip
    assert one_over.values["breaks_30_rule"] == 1 and one_over.values["breaks_50_rule"] == 0


def test_donations_grow_with_the_assumption_and_the_outflow_does_not(ds):
    base = widgets.furusato_view(ds)
    grown = widgets.furusato_view(ds, growth=50)
    assert grown.values["donations_central"] == pytest.approx(
        1.5 * base.values["donations_central"]
    )
    assert grown.values["outflow_central"] == pytest.approx(base.values["outflow_central"])
    helped = widgets.furusato_view(ds, compensated=True)
    assert helped.values["outflow_central"] == pytest.approx(0.25 * base.values["outflow_central"])


def test_the_range_comes_from_past_years(ds):
    received = ds.furusato_donations.groupby("fiscal_year")["amount"].sum()
    changes = received.pct_change().dropna().tail(5)
    view = widgets.furusato_view(ds)
    year = int(received.index.max())
    assert view.values["donations_low"] == pytest.approx(received[year] * (1 + changes.min()))
    assert view.values["donations_high"] == pytest.approx(received[year] * (1 + changes.max()))
    assert any("前年比の幅" in note for note in view.notes)
    assert says_fictional(view.figure)


@pytest.mark.parametrize(
    ("change", "japanese"),
    [
        ("mix", "返礼品の構成比の合計が"),
        ("shipping", "割合 shipping は 0〜100% の範囲"),
    ],
)
def test_invalid_furusato_plans_give_a_short_japanese_message(ds, change, japanese):
    plan = widgets.furusato_plan(ds)
    bad = (
        replace(plan, mix={k: v / 2 for k, v in plan.mix.items()})
        if change == "mix"
        else replace(plan, shipping=120)
    )
    with pytest.raises(ParameterError) as exc:
        widgets.furusato_view(ds, bad)
    assert japanese in first_line(exc)


def test_the_furusato_dashboard_redraws_and_rebalances_the_mix(ds):
    box = widgets.furusato_simulator(ds)
    image = image_of(box)
    before = image.value
    sliders = [w for w in walk(box) if isinstance(w, ipywidgets.FloatSlider)]
    mix = [w for w in sliders if w.description.endswith("の構成比(%)")]
    procurement = [w for w in sliders if w.description.endswith("の調達費(%)")]
    procurement[0].value = 40
    assert image.value != before and message_of(box) == ""
    mix[0].value = mix[0].value + 20
    assert "返礼品の構成比の合計が" in message_of(box)
    find(box, ipywidgets.Button, "構成比の合計を100%にそろえる").click()
    assert sum(w.value for w in mix) == pytest.approx(100)
    assert message_of(box) == ""


# --------------------------------------------------------------------------------------------
# Proposal checker
# --------------------------------------------------------------------------------------------
GOOD = widgets.Proposal(
    title="待機児童の率が高い住区で定員を増やす", department="保育課",
    question="待機児童を減らしたい", target="0〜2歳の子のいる世帯", indicator="待機児童の率",
    goal="3年で半分にする", inputs="整備費の補助", activity="認可保育所の新設",
    output="定員の増加", outcome="申込みした家庭が入所できる", outcome_kind="change",
    data_measure="rate", data_years=5, data_sources=("庁内の業務データ",),
    comparison="similar_group", effect="率が2ポイント下がる", effect_basis="difference",
    uncertainty="interval", cost=5_000, net_of_losses=True,
)  # fmt: skip

# What makes each criterion fail on its own (the field it reads, and nothing else).
ONE_FLAW = {
    "question": {"goal": ""},
    "logic_model": {"output": ""},
    "outcome": {"outcome_kind": "output"},
    "own_data": {"data_sources": ("他の自治体の事例",)},
    "rate": {"data_measure": "count"},
    "trend": {"data_years": 1},
    "comparison": {"comparison": "before_after"},
    "counterfactual": {"effect_basis": "total"},
    "uncertainty": {"uncertainty": "none"},
    "cost": {"cost": 0},
    "net": {"net_of_losses": False},
}


def test_a_complete_proposal_meets_every_criterion():
    result = widgets.check_proposal(GOOD)
    assert result["met"].all()
    assert (result["作成者に聞く質問"] == "").all()


@pytest.mark.parametrize("key", list(ONE_FLAW))
def test_each_criterion_fails_on_its_own_flaw(key):
    result = widgets.check_proposal(replace(GOOD, **ONE_FLAW[key])).set_index("key")
    assert list(result.index[~result["met"]]) == [key]
    question = next(c.question for c in widgets.CRITERIA if c.key == key)
    assert result.loc[key, "作成者に聞く質問"] == question


def test_every_criterion_has_a_flaw_case():
    assert set(ONE_FLAW) == {c.key for c in widgets.CRITERIA}


def test_the_three_workshop_proposals_are_caught(ds):
    cases = widgets.example_proposals(ds)
    assert list(cases) == ["A", "B", "C"]
    for case in cases.values():
        result = widgets.check_proposal(case.proposal).set_index("key")
        missed = set(result.index[~result["met"]])
        assert set(case.flaws) <= missed, case.key
        assert all(result.loc[k, "作成者に聞く質問"] for k in case.flaws)


def test_the_proposals_numbers_come_from_the_data(ds):
    cases = widgets.example_proposals(ds)
    used = ds.voucher_redemptions["redeemed_value"].sum()
    assert ebpmkit.charts.format_number(used, "円") in cases["C"].text
    year = int(ds.furusato_donations["fiscal_year"].max())
    received = ds.furusato_donations.loc[ds.furusato_donations["fiscal_year"] == year, "amount"]
    assert ebpmkit.charts.format_number(received.sum(), "円") in cases["B"].text
    values = widgets.indicator_values(ds, "aged65")
    last = values[values["fiscal_year"] == values["fiscal_year"].max()]
    assert f"{int(last['value'].max()):,}人" in cases["A"].text


def test_sources_are_the_curriculums_own_or_its_reference_facts():
    for criterion in widgets.CRITERIA:
        assert "レッスン" in criterion.source or "研修教材" in criterion.source, criterion.key
        # the curriculum's references hold no citation of these yet: none may be invented
        assert "行政事業レビュー" not in criterion.source


def test_an_unknown_choice_is_refused_in_japanese():
    with pytest.raises(ParameterError) as exc:
        widgets.check_proposal(widgets.Proposal(comparison="vibes"))
    assert "'comparison' に 'vibes' は選べません" in first_line(exc)


def test_the_checker_form_updates_its_verdict(ds):
    cases = widgets.example_proposals(ds)
    box = widgets.proposal_checker(examples=cases)
    verdict = box.children[-1]
    assert "11項目のうち0項目" in verdict.value
    find(box, ipywidgets.Dropdown, "記入例を読み込む").value = "C"
    met = int(widgets.check_proposal(cases["C"].proposal)["met"].sum())
    assert f"11項目のうち{met}項目" in verdict.value
    find(box, ipywidgets.Dropdown, "比べる相手").value = "lottery"
    assert f"11項目のうち{met + 1}項目" in verdict.value


# --------------------------------------------------------------------------------------------
# Reading a chart critically
# --------------------------------------------------------------------------------------------
def test_the_three_pitfalls_name_what_they_hide_from_the_data(ds):
    pitfalls = widgets.chart_pitfalls(ds)
    assert len(pitfalls) == 3
    values = widgets.indicator_values(ds, "aged65_share")
    first, last = int(values["fiscal_year"].min()), int(values["fiscal_year"].max())
    name = dict(zip(ds.districts["district_code"], ds.districts["district_name"], strict=True))
    now = values[values["fiscal_year"] == last].set_index("district_code")
    then = values[values["fiscal_year"] == first].set_index("district_code")
    total = lambda f: f["numerator"].sum() / f["denominator"].sum() * 100  # noqa: E731
    assert f"{first}年度の{total(then):.1f}%" in pitfalls[0].hidden
    assert name[now["numerator"].idxmax()] in pitfalls[1].hidden
    assert name[now["value"].idxmax()] in pitfalls[1].hidden
    assert name[(now["value"] - then["value"]).idxmax()] in pitfalls[2].hidden
    for pitfall in pitfalls:
        assert says_fictional(pitfall.figure), pitfall.title
    # the misleading axis starts above zero, the honest one at zero
    misleading, honest = pitfalls[0].figure.axes[:2]
    assert misleading.get_ylim()[0] > 0 and honest.get_ylim()[0] == 0


def test_the_reveal_button_shows_what_a_chart_hides(ds):
    tabs = widgets.chart_reading(ds)
    page = tabs.children[0]
    button = find(page, ipywidgets.ToggleButton)
    hidden = page.children[-1]
    assert hidden.layout.display == "none"
    button.value = True
    assert hidden.layout.display is None and "ポイント" in hidden.value


# --------------------------------------------------------------------------------------------
# The workshop command
# --------------------------------------------------------------------------------------------
def test_the_workshop_serves_only_this_computer_without_a_browser_when_asked(tmp_path):
    from ebpmkit import workshop

    arguments = workshop.voila_arguments(tmp_path, port=8999, open_browser=False)
    assert "--Voila.ip=127.0.0.1" in arguments and "--no-browser" in arguments
    assert (
        "'self'" in workshop.CONTENT_SECURITY_POLICY
        and "http" not in workshop.CONTENT_SECURITY_POLICY
    )
    with pytest.raises(ParameterError) as exc:
        workshop.workshop_folder(tmp_path)
    assert "研修のノートブックが見つかりません" in first_line(exc)
    assert any(workshop.workshop_folder().glob("0*.ipynb"))


def test_the_workshop_refuses_a_privileged_port():
    from ebpmkit import workshop

    with pytest.raises(ParameterError):
        workshop.serve(port=80, open_browser=False)
