"""Exercise 06 (case): furusato nozei in the fictional ward -- the revenue it loses, who donates,
which return gifts break the rules, the year's cost ratio, the deduction limit, and a scenario
for richer gifts.

The case reproduces the ward's own practitioner training (a group exercise on enriching the
furusato-nozei return gifts). Eight questions on ``furusato_deductions``, ``furusato_outflow``,
``income_tax``, ``furusato_gifts`` and ``furusato_donations``: the ward's loss in one fiscal year,
the donor share of the top income band, the gifts breaking the 30% procurement rule (a rule on
each gift; a table), the latest year's solicitation cost ratio (the 50% rule is judged on the
year's totals), a full-deduction limit by the formula, a chart choice, a scenario's net revenue
and a free-text list of the data the proposal still needs. The misconceptions are mistakes staff
really make: summing donations instead of deductions, reading the calendar year as the fiscal
year, counting the whole resident-tax deduction (the prefecture bears 4/10), dividing by the
wrong population, counting donations instead of donors, judging the 50% rule one gift at a
time, averaging the gifts' cost ratios, forgetting the ¥2,000 self-burden and using the 10% cap.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8')
>>> EXERCISE.max_points
100
>>> int(_limit(SALARY, "formula"))
129766
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ebpmkit import furusato, tax
from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["EXERCISE", "GROWTH", "INCOME_YEAR", "SALARY", "TOP_INCOME"]

TOP_INCOME = 10_000_000
"""Lower bound of the top income band of q2 (total income, yen)."""
SALARY = 8_000_000
"""Salary revenue of the single earner of q5 (yen)."""
INCOME_YEAR = 2023
"""Income year (and donation year) of q5."""
GROWTH = 0.20
"""Rise in receipts assumed by the scenario of q7."""


# --- q1: the ward's revenue loss --------------------------------------------------------------


def _last_fy(ds: Dataset) -> int:
    """The latest fiscal year with deductions."""
    return int(ds.furusato_deductions["fiscal_year"].max())


def _loss_fy(ds: Dataset) -> int:
    """The fiscal year of q1: the one before the latest, so its calendar year also exists."""
    return _last_fy(ds) - 1


def _deductions_sum(ds: Dataset, column: str, *, by: str = "fiscal_year") -> int:
    fd = ds.furusato_deductions
    return int(fd.loc[fd[by] == _loss_fy(ds), column].sum())


def _outflow_sum(ds: Dataset, year: int) -> int:
    fo = ds.furusato_outflow
    return int(fo.loc[fo["calendar_year"] == year, "amount"].sum())


Q1 = Question(
    id="q1",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "2023年度(データの最新年度の前の年度)に、ふるさと納税の寄附金控除によって"
        "{区}の住民税({特別区民税})の収入はいくら減りましたか(円)。"
    ),
    concept=(
        "{区}の減収は寄附額ではなく住民税の控除額の{区}の分(6/10。政令指定都市は2018年度から8/10)で、"
        "寄附の翌年度に生じる"
    ),
    expected=lambda ds: _deductions_sum(ds, "municipal_loss"),
    atol=1,
    hints=(
        "{区}の減収は「寄附額」ではなく、住民税から差し引かれる控除額のうち{区}の分です。"
        "furusato_deductions の列の説明(ds.dictionary)を読んでみましょう。",
        "2022年の寄附の控除は2023年度の住民税に効きます。年度の列(fiscal_year)で絞ります。",
        'fd[fd["fiscal_year"] == 2023]["municipal_loss"].sum() の形で求められます。',
    ),
    misconceptions=(
        Misconception(
            "donations",
            lambda ds: _deductions_sum(ds, "total_donation"),
            "寄附額の合計になっています。寄附額のうち2,000円と所得税の控除分は{区}の収入とは関係がなく、"
            "{区}が失うのは住民税の控除額のうち{区}の分(municipal_loss)です。",
            label="控除額ではなく寄附額を合計した",
        ),
        Misconception(
            "donations_calendar",
            lambda ds: _outflow_sum(ds, _loss_fy(ds)),
            "2023年中の寄附額の合計になっています。寄附額は減収額ではありません。"
            "また2023年の寄附は2024年度の住民税から控除されます。",
            label="2023年の寄附額を合計した(寄附額と暦年の両方の取り違え)",
        ),
        Misconception(
            "calendar_year",
            lambda ds: _deductions_sum(ds, "municipal_loss", by="calendar_year"),
            "寄附年(calendar_year)が2023の行で集計しています。2023年の寄附の控除は翌年の"
            "2024年度です。2023年度の減収は fiscal_year(控除年度)で絞りましょう。",
            label="年度ではなく寄附年で絞った",
        ),
        Misconception(
            "whole_resident_tax",
            lambda ds: _deductions_sum(ds, "resident_tax_deduction"),
            "住民税の控除額の全体になっています。住民税の所得割は{区}(6%)と{都}(4%)に分かれ"
            "(政令指定都市は2018年度から8%と2%)、控除も同じ割合で分かれます。"
            "{区}の減収はそのうち{区}の分(municipal_loss)です。",
            label="住民税の控除額の全体({都}の分を含む)を答えた",
        ),
        Misconception(
            "all_deductions",
            lambda ds: (
                _deductions_sum(ds, "resident_tax_deduction")
                + _deductions_sum(ds, "income_tax_deduction")
            ),
            "所得税の控除まで足しています。所得税は国の税で、{区}の収入には関係しません。"
            "{区}の減収は住民税の控除額のうち{区}の分(municipal_loss)です。",
            label="所得税の控除も含めた",
        ),
        Misconception(
            "all_years",
            lambda ds: int(ds.furusato_deductions["municipal_loss"].sum()),
            "すべての年度の合計になっています。2023年度の行だけに絞りましょう。",
            label="全年度を合計した",
        ),
    ),
)


# --- q2: the donor share of the top income band -----------------------------------------------


def _taxpayers(ds: Dataset, fy: int) -> pd.DataFrame:
    it = ds.income_tax
    return it[(it["fiscal_year"] == fy) & it["is_taxpayer"]]


def _donors(ds: Dataset, fy: int) -> pd.Series:
    """Person ids of the donors whose deduction falls in fiscal year ``fy``."""
    fd = ds.furusato_deductions
    return fd.loc[fd["fiscal_year"] == fy, "person_id"]


def _top_share(ds: Dataset, *, income_fy: int | None = None, donor_fy: int | None = None) -> float:
    last = _last_fy(ds)
    tp = _taxpayers(ds, last if income_fy is None else income_fy)
    top = tp[tp["total_income"] >= TOP_INCOME]
    donors = _donors(ds, last if donor_fy is None else donor_fy)
    return float(top["person_id"].isin(donors).mean() * 100)


def _top_donor_count(ds: Dataset) -> int:
    tp = _taxpayers(ds, _last_fy(ds))
    top = tp[tp["total_income"] >= TOP_INCOME]
    return int(top["person_id"].isin(_donors(ds, _last_fy(ds))).sum())


def _share_of_donors(ds: Dataset) -> float:
    return _top_donor_count(ds) / len(_donors(ds, _last_fy(ds))) * 100


def _over_all_taxpayers(ds: Dataset) -> float:
    return _top_donor_count(ds) / len(_taxpayers(ds, _last_fy(ds))) * 100


def _donations_per_person(ds: Dataset) -> float:
    last = _last_fy(ds)
    tp = _taxpayers(ds, last)
    top = tp[tp["total_income"] >= TOP_INCOME]
    fo = ds.furusato_outflow
    rows = fo.loc[fo["calendar_year"] == last - 1, "person_id"]
    return float(rows.isin(top["person_id"]).sum() / len(top) * 100)


Q2 = Question(
    id="q2",
    points=15,
    kind="number",
    prompt=(
        "2024年度(最新年度)の所得割納税義務者(is_taxpayer が True)のうち、合計所得金額"
        "(total_income)が1,000万円以上の人について、2024年度に寄附金控除を受けた人"
        "(2023年中にふるさと納税をした人)の割合は何%ですか。小数第1位まで答えてください。"
    ),
    concept="割合の分母を「その所得階級の納税義務者」にそろえ、寄附の件数ではなく人で数える",
    expected=_top_share,
    atol=0.05,
    hints=(
        "分母は「2024年度の、合計所得金額1,000万円以上の所得割納税義務者」、"
        "分子はそのうち2024年度に控除を受けた人です。",
        "income_tax の2024年度の行には2023年の所得が入っています。furusato_deductions の"
        "2024年度の行(2023年の寄附)の person_id と照らし合わせます。",
        '上位の人の表を top とすると、top["person_id"].isin(寄附者のperson_id).mean() * 100 です。',
    ),
    misconceptions=(
        Misconception(
            "fraction",
            lambda ds: _top_share(ds) / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
        Misconception(
            "share_of_donors",
            _share_of_donors,
            "「寄附した人のうち、1,000万円以上の人が何%か」になっています。聞いているのは逆で、"
            "「1,000万円以上の人のうち、寄附した人が何%か」です。分母を所得階級の人数にしましょう。",
            label="寄附者に占める上位階級の割合を答えた(分母の取り違え)",
        ),
        Misconception(
            "all_taxpayers",
            _over_all_taxpayers,
            "分母が納税義務者全体になっています。所得階級ごとの割合は、分母もその階級の人数にします。",
            label="分母に納税義務者全体を使った",
        ),
        Misconception(
            "donations_not_people",
            _donations_per_person,
            "寄附の件数(furusato_outflow の行数)で数えています。1人が何件も寄附するので、"
            "人の割合にはなりません。寄附者は furusato_deductions(1人1年1行)で数えます。",
            label="寄附者ではなく寄附の件数を数えた",
        ),
        Misconception(
            "calendar_join",
            lambda ds: _top_share(ds, income_fy=_last_fy(ds) - 1),
            "2023年の寄附を2023年度の所得(2022年の所得)と照らし合わせています。"
            "2023年の寄附の控除は2024年度で、2024年度の income_tax に2023年の所得が入っています。"
            "年度(fiscal_year)どうしで結合しましょう。",
            label="寄附年と年度を取り違えて結合した",
        ),
    ),
)


# --- q3: gifts breaking the 30% procurement rule ----------------------------------------------


def _gift_ids(ds: Dataset, rule: str) -> pd.DataFrame:
    checked = furusato.check_gift_rules(ds.furusato_gifts)
    if rule == "30":
        mask = checked["breaks_30_rule"]
    elif rule == "per_gift_50":  # the 50% rule applied to each gift as well
        mask = checked["breaks_30_rule"] | checked["cost_share_over_half"]
    elif rule == "shipping":  # procurement and shipping counted against the 30% limit
        cost = checked["procurement_cost"] + checked["shipping_cost"]
        mask = cost > checked["donation_amount"] * furusato.PROCUREMENT_LIMIT
    elif rule == "all_costs":  # every cost counted against the 30% limit
        mask = checked["total_cost_ratio"] > furusato.PROCUREMENT_LIMIT
    else:
        raise ValueError(rule)
    ids = checked.loc[mask, "gift_id"].sort_values()
    return pd.DataFrame({"gift_id": ids.to_numpy()})


Q3 = Question(
    id="q3",
    points=10,
    kind="table",
    prompt=(
        "返礼品の一覧(furusato_gifts)のうち、調達費が寄附額の3割を超えていて、"
        "3割ルールに違反している返礼品はどれですか。列 gift_id だけの表で答えてください。"
    ),
    concept="3割ルールは返礼品1品ごとの調達費、5割ルールは年度の経費の合計にかかる",
    expected=lambda ds: _gift_ids(ds, "30"),
    hints=(
        "3割ルールは、返礼品1品ごとに「調達費 ÷ 寄附額」が30%以下という決まりです"
        "(地方税法第37条の2第2項・第314条の7第2項)。送料や手数料は入りません。",
        "furusato.check_gift_rules(gifts) が、返礼品ごとに3割ルールに違反しているかどうかの列"
        "(breaks_30_rule)を付けます。",
        "違反した行の gift_id 列を、行番号を振り直して表にします: "
        'checked.loc[checked["breaks_30_rule"], ["gift_id"]].reset_index(drop=True)',
    ),
    misconceptions=(
        Misconception(
            "per_gift_50",
            lambda ds: _gift_ids(ds, "per_gift_50"),
            "経費の合計が寄附額の5割を超える返礼品も含まれています。5割ルールは返礼品1品ごとではなく、"
            "年度の経費の合計を寄附の合計と比べる決まりなので、1品が5割を超えていても、それだけでは"
            "違反ではありません。3割ルールの違反(breaks_30_rule)だけを答えましょう。",
            label="5割ルールを返礼品1品ずつに当てはめた",
        ),
        Misconception(
            "shipping_in_30",
            lambda ds: _gift_ids(ds, "shipping"),
            "調達費に送料を足して3割と比べています。3割ルールは返礼品そのものの調達費だけで判定し、"
            "送料は手数料・事務費とともに5割ルールの経費(年度の合計)に入ります。",
            label="送料も調達費に含めた",
        ),
        Misconception(
            "all_costs_30",
            lambda ds: _gift_ids(ds, "all_costs"),
            "経費の合計を3割と比べています。3割の上限は返礼品の調達費だけにかかり、"
            "経費の合計には、年度の合計で5割の上限がかかります。",
            label="経費の合計を3割と比べた",
        ),
    ),
)


# --- q4: the latest year's solicitation cost ratio (the 50% rule) -----------------------------


def _latest_donations(ds: Dataset) -> pd.DataFrame:
    """Donations of the latest fiscal year, with the costs of their gifts."""
    dn = ds.furusato_donations
    latest = dn[dn["fiscal_year"] == dn["fiscal_year"].max()]
    return latest.merge(furusato.check_gift_rules(ds.furusato_gifts), on="gift_id", how="left")


def _cost_ratio(ds: Dataset, how: str) -> float:
    """The latest year's cost ratio in %, right (``totals``) or with a known mistake."""
    if how == "totals":
        yearly = furusato.solicitation_costs_by_year(ds.furusato_donations, ds.furusato_gifts)
        return float(yearly["cost_ratio"].iloc[-1] * 100)
    if how == "worst_gift":  # one gift at a time: the highest cost share of a listed gift
        gifts = furusato.check_gift_rules(ds.furusato_gifts)
        year = ds.furusato_donations["fiscal_year"].max()
        listed = gifts[(gifts["listed_from"] <= year) & (gifts["listed_to"] >= year)]
        return float(listed["total_cost_ratio"].max() * 100)
    rows = _latest_donations(ds)
    received = rows["amount"].sum()
    if how == "gift_average":  # the gifts' own cost shares averaged, each gift once
        return float(rows.drop_duplicates("gift_id")["total_cost_ratio"].mean() * 100)
    if how == "no_multiples":  # one gift's costs per donation, whatever its amount
        return float(rows[list(furusato.COST_COLUMNS)].sum(axis=1).sum() / received * 100)
    if how == "procurement_only":
        units = rows["amount"] / rows["donation_amount"]
        return float((units * rows["procurement_cost"]).sum() / received * 100)
    raise ValueError(how)


Q4 = Question(
    id="q4",
    points=10,
    kind="number",
    prompt=(
        "最新年度(2024年度)に{区}が受け入れた寄附の合計に対する、募集にかかった経費の合計の割合"
        "(経費率)は何%ですか。経費は、寄附1件ごとに、選ばれた返礼品の調達費・送料・ポータル手数料・"
        "事務費を足したものとします(寄附額が必要寄附額の2倍・3倍のときは、返礼品を二つ・三つ送るので"
        "経費も2倍・3倍)。小数第1位まで答えてください。"
    ),
    concept="5割ルールは返礼品1品ごとではなく、年度の経費の合計 ÷ 寄附の合計で判定する",
    expected=lambda ds: _cost_ratio(ds, "totals"),
    atol=0.05,
    hints=(
        "5割ルールは、年度の経費の合計を、その年度に受け入れた寄附の合計で割って判定します。"
        "返礼品1品ずつの割合ではありません。",
        "furusato_donations の最新年度の行に furusato_gifts を gift_id で結合し、"
        "寄附1件ごとの経費(四つの経費の合計 × 寄附額 ÷ 必要寄附額)を求めて合計します。",
        "furusato.solicitation_costs_by_year(dn, gifts) が、年度ごとの受入額・経費・経費率"
        "(cost_ratio)を計算します。最新年度の cost_ratio に100を掛けます。",
    ),
    misconceptions=(
        Misconception(
            "worst_gift",
            lambda ds: _cost_ratio(ds, "worst_gift"),
            "経費率が最も高い返礼品1品の割合になっています。5割ルールは1品ずつ判定するのではなく、"
            "年度の経費の合計を寄附の合計で割って判定します。寄附1件ごとの経費を足し合わせましょう。",
            label="返礼品を1品ずつ判定した(最も経費率の高い返礼品の値)",
        ),
        Misconception(
            "gift_average",
            lambda ds: _cost_ratio(ds, "gift_average"),
            "返礼品ごとの経費率を平均しています。これでは、よく選ばれた返礼品も1件しか選ばれなかった"
            "返礼品も同じ重みになります。寄附1件ごとの経費を合計し、寄附の合計で割りましょう。",
            label="返礼品ごとの経費率を平均した",
        ),
        Misconception(
            "no_multiples",
            lambda ds: _cost_ratio(ds, "no_multiples"),
            "寄附額が必要寄附額の2倍・3倍の寄附でも、経費を返礼品一つ分で数えています。"
            "経費に 寄附額 ÷ 必要寄附額 を掛けましょう。",
            label="2倍・3倍の寄附の経費を一つ分で数えた",
        ),
        Misconception(
            "procurement_only",
            lambda ds: _cost_ratio(ds, "procurement_only"),
            "調達費だけで計算しています。5割ルールの経費には、送料・ポータル手数料・事務費も入ります。",
            label="調達費だけで計算した",
        ),
        Misconception(
            "fraction",
            lambda ds: _cost_ratio(ds, "totals") / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
    ),
)


# --- q5: a full-deduction limit by the formula ------------------------------------------------


def _limit(salary: int, how: str) -> float:
    """The limit of a single salary earner, right (``formula``) or with a known mistake."""
    a = tax.assess(INCOME_YEAR, salary_revenue=salary, social_insurance=round(salary * 0.15))
    levy = float(np.asarray(a.income_levy).reshape(-1)[0])
    base = np.asarray(a.special_base).reshape(-1)[0]
    rate = float(np.asarray(furusato.special_rate(base, INCOME_YEAR)).reshape(-1)[0])
    surtax = 1 + tax.RECONSTRUCTION_SURTAX
    if how == "formula":
        return float(np.floor(levy * 0.20 / (0.90 - rate * surtax)) + furusato.SELF_BURDEN)
    if how == "no_self_burden":
        return float(np.floor(levy * 0.20 / (0.90 - rate * surtax)))
    if how == "cap_10":
        return float(np.floor(levy * 0.10 / (0.90 - rate * surtax)) + furusato.SELF_BURDEN)
    if how == "no_surtax":
        return float(np.floor(levy * 0.20 / (0.90 - rate)) + furusato.SELF_BURDEN)
    if how == "cap_only":
        return float(np.floor(levy * 0.20))
    raise ValueError(how)


Q5 = Question(
    id="q5",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "2023年に給与収入が800万円だった独身(または共働き)の人が、自己負担2,000円だけで"
        "ふるさと納税できる寄附額の上限(控除上限額)は何円ですか。問題のセルで求めた所得割額 levy と"
        "特例分の割合を決める税率 rate を使い、式で計算してください(円未満は切り捨て)。"
    ),
    concept="控除上限額 = 所得割額×20% ÷(90% − 税率×1.021)+ 2,000円",
    expected=lambda ds: _limit(SALARY, "formula"),
    atol=1,
    hints=(
        "住民税の特例分は所得割額の20%が上限です。特例分の割合は(90% − 税率×1.021)です。",
        "上限まで寄附すると、特例分 =(寄附額 − 2,000円)×(90% − rate×1.021)= levy×20% になります。"
        "これを寄附額について解きます。",
        "levy * 0.2 / (0.9 - rate * 1.021) + 2000 を計算し、int() で円未満を切り捨てます。",
    ),
    misconceptions=(
        Misconception(
            "no_self_burden",
            lambda ds: _limit(SALARY, "no_self_burden"),
            "自己負担の2,000円を足し忘れています。控除されるのは寄附額から2,000円を引いた額なので、"
            "上限の寄附額は最後に2,000円を足します。",
            label="自己負担2,000円を足し忘れた",
        ),
        Misconception(
            "cap_10",
            lambda ds: _limit(SALARY, "cap_10"),
            "特例分の上限を所得割額の10%で計算しています。10%は2014年までの寄附のルールで、"
            "2015年からは20%です。",
            label="上限を所得割額の10%で計算した",
        ),
        Misconception(
            "no_surtax",
            lambda ds: _limit(SALARY, "no_surtax"),
            "税率に1.021を掛けていません。所得税には復興特別所得税(2.1%)がかかるので、"
            "特例分の割合は 90% − 税率×1.021 です。",
            label="復興特別所得税(×1.021)を忘れた",
        ),
        Misconception(
            "cap_only",
            lambda ds: _limit(SALARY, "cap_only"),
            "所得割額の20%(特例分の上限額)そのものを答えています。上限となる寄附額は、"
            "これを(90% − rate×1.021)で割り、2,000円を足して求めます。",
            label="特例分の上限額をそのまま答えた",
        ),
    ),
)


# --- q6: a chart choice -----------------------------------------------------------------------

Q6 = Question(
    id="q6",
    points=10,
    kind="chart",
    prompt=(
        "2015〜2024年度の「{区}の減収額」と「{区}が受け入れた寄附額」の推移を1枚のグラフで"
        "比べるには、どのグラフが合っていますか。"
    ),
    concept="年度を追った変化(推移)は折れ線グラフで、二つの系列を並べて比べる",
    expected=lambda ds: "折れ線グラフ",
    hints=(
        "見たいのは、10年間の「変化の向きと大きさ」です。",
        "横軸に年度をとり、減収額と受入額を1本ずつの線にすると、開き方の変化が分かります。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            lambda ds: "円グラフ",
            "円グラフは、ある1時点の全体の内訳を見るグラフです。年度を追った変化は表せません。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "stacked",
            lambda ds: "積み上げ棒グラフ",
            "積み上げると、減収額と受入額を足した高さができますが、この二つは一つの全体の内訳ではないので、"
            "足した値に意味がありません。2本の線で並べて比べましょう。",
            label="積み上げ棒グラフを選んだ",
        ),
    ),
)


# --- q7: a scenario for richer gifts ----------------------------------------------------------


def _received(ds: Dataset, *, all_years: bool = False) -> float:
    dn = ds.furusato_donations
    if all_years:
        return float(dn["amount"].sum())
    return float(dn.loc[dn["fiscal_year"] == dn["fiscal_year"].max(), "amount"].sum())


Q7 = Question(
    id="q7",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "返礼品を充実させた結果、最新年度(2024年度)の受入額が20%増え、その年度の経費の合計"
        "(調達費・送料・ポータル手数料・事務費)が5割ルールの上限である受入額の50%になったとします。"
        "{区}の手元に残る額(受入額 − 経費)は何円ですか。"
    ),
    concept="寄附の受入額から経費を引いた額が{区}の収入。年度の経費を5割ルールの上限で見積もる",
    expected=lambda ds: _received(ds) * (1 + GROWTH) * (1 - furusato.TOTAL_COST_LIMIT),
    atol=1,
    hints=(
        "まず最新年度の受入額(furusato_donations の amount の合計)を求めます。",
        "増えた後の受入額は 受入額 × 1.2 です。手元に残るのは、そこから経費(受入額の50%)を引いた額です。",
        "受入額 × 1.2 × (1 − 0.5) を計算します。",
    ),
    misconceptions=(
        Misconception(
            "no_costs",
            lambda ds: _received(ds) * (1 + GROWTH),
            "経費を引いていません。返礼品・送料・手数料・事務費に受入額の半分がかかるので、"
            "{区}の手元に残るのは残りの半分です。",
            label="経費を引かなかった",
        ),
        Misconception(
            "increase_only",
            lambda ds: _received(ds) * GROWTH * (1 - furusato.TOTAL_COST_LIMIT),
            "増えた分(20%)だけを計算しています。聞いているのは、増えた後の受入額全体から経費を引いた額です。",
            label="増えた分だけを計算した",
        ),
        Misconception(
            "procurement_only",
            lambda ds: _received(ds) * (1 + GROWTH) * (1 - furusato.PROCUREMENT_LIMIT),
            "経費を30%で計算しています。30%は返礼品1品ごとの調達費の上限です。送料・手数料・事務費を"
            "含めた年度の経費の合計の上限は、受入額の50%です。",
            label="経費を3割(調達費の上限)で計算した",
        ),
        Misconception(
            "all_years",
            lambda ds: (
                _received(ds, all_years=True) * (1 + GROWTH) * (1 - furusato.TOTAL_COST_LIMIT)
            ),
            "すべての年度の受入額を合計しています。最新年度の行だけに絞りましょう。",
            label="全年度の受入額を使った",
        ),
    ),
)


# --- q8: free text ----------------------------------------------------------------------------

Q8 = Question(
    id="q8",
    points=10,
    kind="text",
    prompt=(
        "「返礼品を充実させる」案を判断するために、このデータにはまだないが必要なデータを二つ以上挙げ、"
        "それぞれ何を確かめるために必要かを書いてください。"
    ),
    concept="案の判断に必要なデータを、ロジックモデルの段階(投入・活動・結果・成果)に沿って考える",
    expected=None,
    hints=(
        "ロジックモデルのどの段階(経費・返礼品の数・寄附額・地域の事業者の売上など)を"
        "測るデータがないかを考えましょう。",
        "例: 返礼品を変えたときの寄附者の反応、事業者の売上や雇用、{区民}の寄附の流出先 など。",
    ),
    min_chars=20,
)

EXERCISE = Exercise(
    id="06",
    title="ふるさと納税の返礼品を充実させる案をデータで考える",
    notebook="06_case_furusato.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8),
)
