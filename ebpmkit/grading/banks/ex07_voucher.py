"""Exercise 07 (case): evaluating the premium gift voucher with data.

Seven questions on the voucher tables of the fictional ward: who bought (the share of buyers
aged 65 and over, and the purchase rate by employment among residents old enough to buy),
the household difference-in-differences, the chart that judges parallel trends, the
ward-wide new spending, the cost per yen of new spending and the assumption behind the
estimate. Each misconception is a mistake staff really make with such a programme: counting
voucher spending as the effect, comparing buyers with non-buyers as if assigned at random,
reading a before/after change of buyers as the effect, dividing by the wrong population,
scaling the per-household effect by people instead of households, and leaving out the
administrative cost.

The programme's year, use months and age limit are read from the tables, so the bank holds
for any profile and seed. The administrative cost is not in the data: the questions take the
Board of Audit's figure for the 2015 programmes (administrative cost was 17.7% of the grant in
the 409 bodies it sampled) and treat it as the share of project cost, premium plus
administration (see ``ADMIN_COST_SHARE``).

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7')
>>> EXERCISE.max_points
100
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.grading.questions import (
    CHART_OPTIONS,
    DatasetConfig,
    Exercise,
    Misconception,
    Question,
)

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["ADMIN_COST_SHARE", "EXERCISE"]

#: Administrative cost as a share of project cost (premium + administration). The Board of Audit
#: found administrative cost equal to 17.7% of the grant in the 409 bodies it sampled for the
#: 2015 programmes (reference/domain-facts.md); the questions assume the grant paid for premium
#: and administration only, so the same share applies to project cost.
ADMIN_COST_SHARE = 0.177


# --- the programme, read from the tables ----------------------------------------------------


def _fiscal_year(ds: Dataset) -> int:
    """Fiscal year (April to March) in which the vouchers were sold."""
    first = pd.Timestamp(ds.voucher_purchases["purchase_date"].min())
    return first.year if first.month >= 4 else first.year - 1


def _use_period(ds: Dataset) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month in which vouchers were redeemed."""
    months = ds.voucher_redemptions["month"]
    return pd.Timestamp(months.min()), pd.Timestamp(months.max())


def _use_months(ds: Dataset) -> int:
    return int(ds.voucher_redemptions["month"].nunique())


def _people(ds: Dataset) -> pd.DataFrame:
    """Residents registered on 1 April of the programme year, with a ``buyer`` flag."""
    ry = ds.resident_years
    now = ry.loc[ry["fiscal_year"] == _fiscal_year(ds), ["person_id", "age"]]
    return now.assign(buyer=now["person_id"].isin(ds.voucher_purchases["person_id"]).to_numpy())


def _min_age(ds: Dataset) -> int:
    """The youngest buyer's age, taken as the programme's age limit."""
    people = _people(ds)
    return int(people.loc[people["buyer"], "age"].min())


def _adults(ds: Dataset) -> pd.DataFrame:
    people = _people(ds)
    return people[people["age"] >= _min_age(ds)]


def _share_65(ages: pd.Series, *, strict: bool = False) -> float:
    old = ages > 65 if strict else ages >= 65
    return float(old.mean() * 100)


def _buyer_ages(ds: Dataset) -> pd.Series:
    people = _people(ds)
    return people.loc[people["buyer"], "age"]


def _buyer_ages_all_years(ds: Dataset) -> pd.Series:
    ry = ds.resident_years
    return ry.loc[ry["person_id"].isin(ds.voucher_purchases["person_id"]), "age"]


def _employment_rates(ds: Dataset, *, base: str = "adults", how: str = "rate") -> pd.DataFrame:
    """Purchase rate (%) by employment among residents old enough to buy, or a mistaken variant.

    ``base`` names the rows the rate is computed over: ``"adults"`` (the answer), ``"taxrows"``
    (every row of the programme year's income table, aged 15 and over) or ``"all_years"``
    (every year's rows). ``how`` is ``"rate"``, ``"fraction"``, ``"composition"`` (each
    status's share of the buyers) or ``"count"`` (buyers per status).
    """
    it = ds.income_tax
    if base == "all_years":
        work = it[["person_id", "employment"]]
    else:
        work = it.loc[it["fiscal_year"] == _fiscal_year(ds), ["person_id", "employment"]]
        if base == "adults":
            work = work[work["person_id"].isin(_adults(ds)["person_id"])]
    bought = work["person_id"].isin(ds.voucher_purchases["person_id"])
    groups = bought.groupby(work["employment"], observed=False)
    if how == "count":
        values = groups.sum().astype(float)
    elif how == "composition":
        values = groups.sum() / bought.sum() * 100
    else:
        values = groups.mean() * (100.0 if how == "rate" else 1.0)
    table = values.rename("rate").to_frame()
    table.index.name = "employment"
    return table.reset_index()


# --- the household panel --------------------------------------------------------------------


def _in_use(ds: Dataset) -> pd.Series:
    start, end = _use_period(ds)
    return ds.household_spending["month"].between(start, end)


# The DiD is asked for by several questions and misconceptions: compute it once per panel.
_DID_CACHE: dict[tuple[int, bool], tuple[weakref.ref, float]] = {}


def _did(ds: Dataset, *, open_ended: bool = False) -> float:
    from ebpmkit import evaluate

    panel = ds.household_spending
    cached = _DID_CACHE.get((id(panel), open_ended))
    if cached is not None and cached[0]() is panel:
        return cached[1]
    start, end = _use_period(ds)
    res = evaluate.did(
        panel,
        y="local_spending",
        unit="household_id",
        time="month",
        treated="buyer",
        post=start if open_ended else (start, end),
    )
    for k in [k for k, (ref, _) in _DID_CACHE.items() if ref() is None]:
        del _DID_CACHE[k]
    _DID_CACHE[(id(panel), open_ended)] = (weakref.ref(panel), float(res.estimate))
    return float(res.estimate)


def _before_after(ds: Dataset, *, same_months_last_year: bool = False) -> float:
    from ebpmkit import evaluate

    panel = ds.household_spending
    start, end = _use_period(ds)
    before = None
    if same_months_last_year:
        before = (start - pd.DateOffset(years=1), end - pd.DateOffset(years=1))
    res = evaluate.before_after(
        panel[panel["buyer"]],
        y="local_spending",
        time="month",
        period=(start, end),
        before=before,
        unit="household_id",
    )
    return float(res.estimate)


def _buyers_minus_nonbuyers(ds: Dataset) -> float:
    panel = ds.household_spending
    during = panel[_in_use(ds)]
    means = during.groupby("buyer")["local_spending"].mean()
    return float(means[True] - means[False])


def _voucher_used_per_month(ds: Dataset) -> float:
    panel = ds.household_spending
    during = panel[_in_use(ds) & panel["buyer"]]
    return float(during["voucher_used"].mean())


# --- ward-wide figures ----------------------------------------------------------------------


def _buyer_households(ds: Dataset) -> int:
    return int(ds.voucher_purchases["household_id"].nunique())


def _new_spending(
    ds: Dataset, per_month: float | None = None, *, units: int | None = None
) -> float:
    """Per buyer household and month, times buyer households, times use months."""
    per = _did(ds) if per_month is None else per_month
    n = _buyer_households(ds) if units is None else units
    return per * n * _use_months(ds)


def _redeemed(ds: Dataset) -> float:
    return float(ds.voucher_redemptions["redeemed_value"].sum())


def _premium(ds: Dataset) -> float:
    return float(ds.voucher_purchases["premium"].sum())


def _programme_cost(ds: Dataset) -> float:
    return _premium(ds) / (1 - ADMIN_COST_SHARE)


# --- the questions --------------------------------------------------------------------------

Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt=(
        "商品券を購入した人のうち、事業年度の4月1日時点で65歳以上の人の割合は何%ですか。"
        "小数第1位まで答えてください。"
    ),
    concept="誰が買ったか: 購入者の年齢を、事業年度の住民の表と結合して調べる",
    expected=lambda ds: _share_65(_buyer_ages(ds)),
    atol=0.051,
    hints=(
        "購入者の一覧(purchases)には年齢がありません。resident_years と person_id で結びつけます。",
        "resident_years は1人1年度1行です。先に事業年度(fy)の行だけに絞ってから、"
        'purchases["person_id"] に含まれる人(.isin)を取り出します。',
        "購入者の年齢 ages について (ages >= 65).mean() * 100 が答えです。",
    ),
    misconceptions=(
        Misconception(
            "all_adults",
            lambda ds: _share_65(_adults(ds)["age"]),
            "対象年齢以上の住民全体の割合になっています。聞いているのは「購入者のうち」の割合です。"
            "分母を購入者にしましょう。",
            label="購入者ではなく住民全体(対象年齢以上)で計算した",
        ),
        Misconception(
            "all_residents",
            lambda ds: _share_65(_people(ds)["age"]),
            "子どもを含む住民全体の割合になっています。購入者だけに絞ってから計算しましょう。",
            label="住民全体(子どもを含む)で計算した",
        ),
        Misconception(
            "all_years",
            lambda ds: _share_65(_buyer_ages_all_years(ds)),
            "resident_years のすべての年度の行で計算しています。購入者が何年度分も重なって数えられ、"
            "年齢もその年度のものになります。事業年度(fy)の行だけに絞りましょう。",
            label="年度で絞らずに結合した",
        ),
        Misconception(
            "fraction",
            lambda ds: _share_65(_buyer_ages(ds)) / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
        Misconception(
            "over_65",
            lambda ds: _share_65(_buyer_ages(ds), strict=True),
            "「65歳以上」は65歳を含みます。> ではなく >= を使いましょう。",
            label="65歳を含めなかった",
        ),
        Misconception(
            "count",
            lambda ds: int((_buyer_ages(ds) >= 65).sum()),
            "人数になっています。聞いているのは割合(%)です。購入者の人数で割りましょう。",
            label="割合ではなく人数を答えた",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="table",
    prompt=(
        "就業状態(employment)ごとの購入率、つまり、その就業状態の対象年齢以上の住民のうち商品券を"
        "買った人の割合(%)を表にしてください。列は employment と rate の二つ"
        "(rate は%、小数第1位まで)です。"
    ),
    concept="誰が買ったか: 購入率の分母は、買うことのできたその集団の人数",
    expected=lambda ds: _employment_rates(ds),
    atol=0.051,
    hints=(
        "就業状態は income_tax にあります。事業年度(fy)の行だけに絞り、adults(対象年齢以上の住民)"
        "の person_id に含まれる行だけを残します。",
        '残した表 work に、買ったかどうかの列を作ります: work["person_id"].isin(purchases["person_id"])。'
        "True を1として就業状態ごとに平均すると、購入率になります。",
        '購入したかどうかの列を bought とすると、bought.groupby(work["employment"]).mean() * 100 です。'
        '.rename("rate") で名前をつけ、.reset_index() で表にします。',
    ),
    misconceptions=(
        Misconception(
            "composition",
            lambda ds: _employment_rates(ds, how="composition"),
            "購入者の中での構成比(購入者のうち何%がその就業状態か)になっています。聞いているのは、"
            "その就業状態の人のうち何%が買ったかです。分母を「その就業状態の住民」にしましょう。",
            label="購入率ではなく購入者の構成比を出した(分母の取り違え)",
        ),
        Misconception(
            "fraction",
            lambda ds: _employment_rates(ds, how="fraction"),
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
        Misconception(
            "count",
            lambda ds: _employment_rates(ds, how="count"),
            "購入者の人数になっています。人数の多い就業状態ほど大きくなるので、割合で比べましょう。",
            label="割合ではなく人数を出した",
        ),
        Misconception(
            "wrong_population",
            lambda ds: _employment_rates(ds, base="taxrows"),
            "分母に income_tax の事業年度の全員(15歳以上)を使っています。商品券を買えたのは"
            "対象年齢以上の人だけです。adults の person_id に絞りましょう。",
            label="分母に買えない年齢の人を含めた",
        ),
        Misconception(
            "all_years",
            lambda ds: _employment_rates(ds, base="all_years"),
            "income_tax のすべての年度の行で計算しています。同じ人が何年度分も数えられます。"
            "事業年度(fy)の行だけに絞りましょう。",
            label="年度で絞らなかった",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=20,
    kind="number",
    unit="円",
    prompt=(
        "世帯パネル調査(household_spending)の地元消費額(local_spending)について、購入世帯を処置群、"
        "非購入世帯を比較群、使用期間を事業の期間とする差の差分析(evaluate.did)をしてください。"
        "推定値(購入世帯1世帯・1か月あたりの効果、円)を整数に丸めて答えてください。"
    ),
    concept="差の差分析: 購入世帯の変化から、非購入世帯の変化(共通の変化)を差し引く",
    expected=lambda ds: round(_did(ds)),
    atol=1.0,
    hints=(
        "evaluate.did には、表、結果の列(y)、単位の列(unit)、時点の列(time)、処置群の列(treated)、"
        "事業の期間(post)を渡します。",
        'evaluate.did(panel, y="local_spending", unit="household_id", time="month", '
        'treated="buyer", post=USE) の形です。USE は使用期間の (最初の月, 最後の月) です。',
        "結果 res の推定値は res.estimate です。round(res.estimate) で整数にします。",
    ),
    misconceptions=(
        Misconception(
            "before_after",
            lambda ds: round(_before_after(ds)),
            "購入世帯だけの前後比較になっています。同じ時期に、商品券と関係なく全員の消費を動かした変化"
            "(景気、季節など)も効果に入ってしまいます。非購入世帯の変化を差し引く差の差分析にしましょう。",
            label="購入世帯の前後比較を効果とした",
        ),
        Misconception(
            "before_after_last_year",
            lambda ds: round(_before_after(ds, same_months_last_year=True)),
            "購入世帯の、前年の同じ月との比較になっています。季節の影響は消えますが、景気など1年のあいだの"
            "変化は残ります。非購入世帯の変化を差し引く差の差分析にしましょう。",
            label="購入世帯の前年同月比較を効果とした",
        ),
        Misconception(
            "buyers_minus_nonbuyers",
            lambda ds: round(_buyers_minus_nonbuyers(ds)),
            "使用期間中の購入世帯と非購入世帯の差になっています。購入世帯は商品券の前から地元でよく"
            "買い物をしていた世帯で、くじ引きのように偶然で分かれたのではありません。"
            "事業前の差を差し引く差の差分析にしましょう。",
            label="購入世帯と非購入世帯を、無作為に分かれたかのように比べた",
        ),
        Misconception(
            "voucher_used",
            lambda ds: round(_voucher_used_per_month(ds)),
            "購入世帯が1か月に使った商品券の額(voucher_used の平均)になっています。商品券の多くは、"
            "なくても使っていたお金の代わりに使われます。使用額は効果ではありません。",
            label="商品券の使用額を効果とした",
        ),
        Misconception(
            "open_ended_post",
            lambda ds: round(_did(ds, open_ended=True)),
            "post に使用開始の月だけを渡したため、使用期間が終わった後の月まで事業の期間に入っています。"
            "post=(最初の月, 最後の月) のように終わりも指定しましょう。",
            label="事業の期間に使用期間後の月まで含めた",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="chart",
    prompt=(
        "差の差分析の前提(平行トレンド)を確かめるために、事業前の購入世帯と非購入世帯の地元消費額を"
        "見比べます。どのグラフがよいですか。"
    ),
    concept="平行トレンドは、グループごとの平均の推移を折れ線で描いて確かめる",
    expected=lambda ds: "折れ線グラフ",
    options=CHART_OPTIONS,
    hints=(
        "確かめたいのは「二つのグループが、事業の前に同じ幅で動いていたか」です。時間を横軸にとります。",
        "evaluate.plot_trends は、グループごとの月ごとの平均を線で結び、事業の期間に色をつけます。",
    ),
    misconceptions=(
        Misconception(
            "bar",
            lambda ds: "棒グラフ",
            "事業前と事業中の平均を棒にすると、月ごとの動きが見えません。2本の線が事業前に"
            "同じ幅で動いていたかは、時間を横軸にした線で見ます。",
            label="棒グラフを選んだ",
        ),
        Misconception(
            "box",
            lambda ds: "箱ひげ図",
            "箱ひげ図はある時点の値の散らばりを見るグラフで、時間の流れに沿った動きは見えません。",
            label="箱ひげ図を選んだ",
        ),
        Misconception(
            "scatter",
            lambda ds: "散布図",
            "散布図は二つの数量の関係を見るグラフです。見たいのは、二つのグループの平均が時間とともに"
            "どう動いたかです。",
            label="散布図を選んだ",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "問題3の推定値を使って、{区}全体で商品券が新たに生んだ消費(使用期間の合計、円)を見積もってください。"
        "購入世帯は purchases の household_id の数、月数は使用期間の月数です。"
    ),
    concept="効果の総額 = 1世帯・1か月あたりの効果 × 購入世帯数 × 月数(使用額の合計ではない)",
    expected=_new_spending,
    rtol=0.005,
    hints=(
        "問題3の推定値は「購入世帯1世帯・1か月あたり」の効果です。{区}全体の総額にするには、"
        "世帯の数と月の数を掛けます。",
        'purchases["household_id"].nunique() が購入世帯の数、len(use_months) が使用期間の月数です。',
    ),
    misconceptions=(
        Misconception(
            "redeemed",
            _redeemed,
            "使われた商品券の額面の合計になっています。その多くは、商品券がなくても使われていたお金の"
            "置き換えです。使用額の合計は効果ではありません。",
            label="商品券の使用額の合計を効果とした",
        ),
        Misconception(
            "face_value",
            lambda ds: float(ds.voucher_purchases["face_value"].sum()),
            "販売した商品券の額面の合計になっています。売れた額や使われた額は効果ではありません。",
            label="販売額面の合計を効果とした",
        ),
        Misconception(
            "per_person",
            lambda ds: _new_spending(ds, units=len(ds.voucher_purchases)),
            "購入者の人数を掛けています。推定値は1世帯あたりなので、世帯の数(household_id の数)を"
            "掛けましょう。一つの世帯で2人買った場合も1世帯です。",
            label="世帯数ではなく購入者数を掛けた",
        ),
        Misconception(
            "no_months",
            lambda ds: _did(ds) * _buyer_households(ds),
            "1か月分になっています。推定値は1か月あたりなので、使用期間の月数も掛けましょう。",
            label="月数を掛けなかった",
        ),
        Misconception(
            "panel_only",
            lambda ds: _new_spending(
                ds,
                units=int(
                    ds.household_spending.loc[
                        ds.household_spending["buyer"], "household_id"
                    ].nunique()
                ),
            ),
            "パネル調査の購入世帯の数を掛けています。調査は一部の世帯の抽出です。"
            "{区}全体の購入世帯(purchases の household_id の数)を掛けましょう。",
            label="調査対象の世帯数だけを掛けた",
        ),
        Misconception(
            "before_after_total",
            lambda ds: _new_spending(ds, _before_after(ds)),
            "購入世帯の前後比較の値を使っています。景気や季節の変化も入っています。"
            "問題3の差の差分析の推定値を使いましょう。",
            label="前後比較の値から総額を出した",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=15,
    kind="number",
    prompt=(
        "新たに生まれた消費1円あたり、{区}はいくらの費用をかけたでしょうか。費用はプレミアム分と事務費の合計で、"
        "会計検査院が抽出して調べた409団体では事務費が交付金の17.7%だったので、"
        "ここでは事務費を事業費(プレミアム分+事務費)の17.7%とみなします。"
        "問題5の総額で割り、小数第2位まで答えてください。"
    ),
    concept="費用対効果: 事業費(プレミアム分+事務費)÷ 新たに生まれた消費",
    expected=lambda ds: _programme_cost(ds) / _new_spending(ds),
    atol=0.0051,
    hints=(
        '{区}が負担したプレミアム分は purchases["premium"].sum() です。',
        "事務費が事業費の17.7%なら、事業費 = プレミアム分 ÷ (1 - 0.177) です"
        "(プレミアム分は事業費の82.3%にあたるため)。",
        "1円あたりの費用 = 事業費 ÷ 問題5の総額 です。",
    ),
    misconceptions=(
        Misconception(
            "premium_only",
            lambda ds: _premium(ds) / _new_spending(ds),
            "プレミアム分だけを費用にしています。商品券の印刷、換金、広報などの事務費もかかります。",
            label="事務費を入れなかった",
        ),
        Misconception(
            "admin_of_premium",
            lambda ds: _premium(ds) * (1 + ADMIN_COST_SHARE) / _new_spending(ds),
            "事務費をプレミアム分の17.7%として計算しています。この問題では17.7%を事業費"
            "(プレミアム分+事務費)に占める割合とみなすので、事業費 = プレミアム分 ÷ (1 - 0.177) です。",
            label="事務費をプレミアム分の17.7%とした",
        ),
        Misconception(
            "per_yen_used",
            lambda ds: _programme_cost(ds) / _redeemed(ds),
            "使われた商品券の額で割っています。使用額の多くは、なくても使われていたお金の置き換えです。"
            "新たに生まれた消費(問題5)で割りましょう。",
            label="使用額の合計で割った",
        ),
        Misconception(
            "face_value_cost",
            lambda ds: float(ds.voucher_purchases["face_value"].sum()) / _new_spending(ds),
            "額面の合計を費用にしています。額面の大部分は購入者が自分で払ったお金で、{区}の費用は"
            "プレミアム分と事務費です。",
            label="額面の合計を費用とした",
        ),
        Misconception(
            "inverted",
            lambda ds: _new_spending(ds) / _programme_cost(ds),
            "割り算が逆になっています。「消費1円あたりの費用」は 費用 ÷ 消費 です。",
            label="消費 ÷ 費用 を計算した",
        ),
    ),
)

Q7 = Question(
    id="q7",
    points=20,
    kind="text",
    prompt=(
        "問題3の差の差分析は、どんな前提(仮定)に立っていますか。その前提が成り立っていそうかを、"
        "どう確かめますか。あなたの言葉で書いてください。"
    ),
    concept="平行トレンドの仮定と、その確かめ方(事業前の推移、偽の事業時期での分析)",
    expected=None,
    min_chars=20,
    hints=(
        "evaluate.did の結果の .reading() に、前提が書いてあります。",
        "事業がなかったら、購入世帯と非購入世帯の平均はどう動いていたはずでしょうか。"
        "それは事業前のどんなグラフで確かめられますか。",
    ),
)

EXERCISE = Exercise(
    id="07",
    title="地域商品券の効果をデータで検証する",
    notebook="07_case_voucher.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
