"""Exercise 11 (from effect to decision): the voucher's cost per outcome, and a decision memo.

Six questions on the premium gift voucher of the fictional ward, read as a decision: which
indicator is the programme's KPI (an outcome, not an output), what the programme cost, the
effect on buyer households estimated from the lottery (winners against losers, divided by the
winners' purchase rate), the cost per yen of new spending with its interval (Fieller's, from
``evaluate.cost_effectiveness``), the least favourable end of that interval, and the memo's
uncertainty and recommendation in the learner's words.

The misconceptions are the ones staff make when a programme report turns into a budget
decision: taking an output (sets sold, vouchers used, shops taking part) as the KPI; leaving
the premium or the administration out of the cost, or counting the face value as cost; taking
voucher use, the buyers' before/after change or the effect of winning (ITT) as the effect;
dividing the cost by an output (sets sold) or by voucher use instead of the new spending; and
reading the point estimate, or the wrong end, as the least favourable case.

The lottery is used because it splits households by chance: the household panel samples
winning, losing and non-applying households at random, and each household's change (mean
spending in the use months minus the months before) removes its usual level, so the
comparison is both unbiased and precise. The administrative cost is not in the data: as in
exercise 07, the Board of Audit's figure (17.7% of the grant in the 409 bodies it sampled for
the 2015 programmes) is read as the share of project cost (``ADMIN_COST_SHARE``).

The dataset is the urban ward at scale 0.1: the panel has the same 800 households at every
scale below 1, and the programme's totals grow with the scale.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6')
>>> EXERCISE.max_points
100
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.grading.banks.ex07_voucher import ADMIN_COST_SHARE
from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset
    from ebpmkit.evaluate import CostEffectiveness, LotteryEstimate

__all__ = ["EXERCISE", "KPI_OPTIONS", "household_changes"]

#: The choices of question 1: three outputs of the programme and one outcome (the last).
KPI_OPTIONS = (
    "販売したセット数",
    "使われた商品券の額(換金額の合計)",
    "取扱店舗の数",
    "商品券がなかった場合と比べて増えた地元消費額",
)


# --- the programme, read from the tables ----------------------------------------------------


def _use_period(ds: Dataset) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month in which vouchers were redeemed."""
    months = ds.voucher_redemptions["month"]
    return pd.Timestamp(months.min()), pd.Timestamp(months.max())


def _use_months(ds: Dataset) -> int:
    return int(ds.voucher_redemptions["month"].nunique())


def _buyer_households(ds: Dataset) -> int:
    return int(ds.voucher_purchases["household_id"].nunique())


def _premium(ds: Dataset) -> float:
    return float(ds.voucher_purchases["premium"].sum())


def _programme_cost(ds: Dataset) -> float:
    """Premium plus administration, administration being ADMIN_COST_SHARE of the total."""
    return _premium(ds) / (1 - ADMIN_COST_SHARE)


def _admin_cost(ds: Dataset) -> float:
    return _programme_cost(ds) - _premium(ds)


def _sets_sold(ds: Dataset) -> int:
    return int(ds.voucher_purchases["sets"].sum())


def _redeemed(ds: Dataset) -> float:
    return float(ds.voucher_redemptions["redeemed_value"].sum())


# --- the lottery ----------------------------------------------------------------------------


def household_changes(ds: Dataset) -> pd.DataFrame:
    """One row per panel household that applied: its change in local spending and the draw.

    ``change`` is the household's mean ``local_spending`` in the use months minus its mean in
    the months before them; ``won`` and ``bought`` come from ``voucher_applications``
    (households that did not apply are not in the draw and are left out).

    Examples
    --------
    >>> list(household_changes(ds).columns)  # doctest: +SKIP
    ['household_id', 'during', 'before', 'change', 'won', 'bought']
    """
    panel = ds.household_spending
    start, end = _use_period(ds)
    during = panel[panel["month"].between(start, end)].groupby("household_id")["local_spending"]
    before = panel[panel["month"] < start].groupby("household_id")["local_spending"]
    table = pd.DataFrame({"during": during.mean(), "before": before.mean()})
    table["change"] = table["during"] - table["before"]
    draw = ds.voucher_applications[["household_id", "won", "bought"]]
    return table.reset_index().merge(draw, on="household_id", how="inner")


def _lottery(ds: Dataset) -> LotteryEstimate:
    from ebpmkit import evaluate

    return evaluate.lottery(household_changes(ds), y="change", assigned="won", treated="bought")


def _buyers_before_after(ds: Dataset) -> float:
    table = household_changes(ds)
    return float(table.loc[table["bought"], "change"].mean())


def _voucher_used_per_month(ds: Dataset) -> float:
    panel = ds.household_spending
    start, end = _use_period(ds)
    during = panel[panel["month"].between(start, end) & panel["buyer"]]
    return float(during["voucher_used"].mean())


# --- cost per outcome -----------------------------------------------------------------------


def _new_spending(ds: Dataset) -> float:
    """Effect per buyer household and month, times buyer households, times use months."""
    return _lottery(ds).estimate * _buyer_households(ds) * _use_months(ds)


def _cost_effectiveness(ds: Dataset, *, method: str = "fieller") -> CostEffectiveness:
    from ebpmkit import evaluate

    per_unit = _programme_cost(ds) / (_buyer_households(ds) * _use_months(ds))
    return evaluate.cost_effectiveness(per_unit, _lottery(ds), method=method)


# --- the questions --------------------------------------------------------------------------

Q1 = Question(
    id="q1",
    points=10,
    kind="choice",
    prompt=(
        "地元の消費を増やすことを目的とするプレミアム付商品券事業で、成果指標(KPI)としていちばん"
        "ふさわしいものはどれですか。"
    ),
    concept="KPIは産出(事業の量)ではなく成果(住民や地域に起きる変化)で立てる",
    expected=lambda ds: KPI_OPTIONS[-1],
    options=KPI_OPTIONS,
    hints=(
        "事業をすれば必ず増える数(産出)と、住民や地域に起きる変化(成果)を分けて考えます。",
        "商品券がなくても使われたはずのお金は、事業の成果ではありません。"
        "「事業がなかった場合」と比べた差になっているものを選びます。",
    ),
    misconceptions=(
        Misconception(
            "sets_sold",
            lambda ds: KPI_OPTIONS[0],
            "販売したセット数は、予算を増やせば増える事業の量(産出)です。"
            "地元の消費が増えたかどうかは分かりません。",
            label="産出(販売セット数)をKPIにした",
        ),
        Misconception(
            "redeemed",
            lambda ds: KPI_OPTIONS[1],
            "使われた商品券の額の多くは、商品券がなくても使われていたお金の置き換えです。"
            "使用額は効果ではありません(レッスン07)。",
            label="使用額をKPIにした",
        ),
        Misconception(
            "merchants",
            lambda ds: KPI_OPTIONS[2],
            "取扱店舗の数は、事業の準備(活動)がどれだけ進んだかを示す数です。"
            "住民や地域に起きた変化ではありません。",
            label="取扱店舗数をKPIにした",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "{区}が負担した事業費(プレミアム分と事務費の合計、円)を答えてください。"
        "事務費は事業費(プレミアム分+事務費)の17.7%とみなします。整数に丸めて答えてください。"
    ),
    concept="事業費 = 自治体が負担したプレミアム分 + 事務費(購入者が払った額は含めない)",
    expected=lambda ds: round(_programme_cost(ds)),
    rtol=0.0005,
    hints=(
        '{区}が負担したプレミアム分は purchases["premium"].sum() です。',
        "事務費が事業費の17.7%なら、プレミアム分は事業費の82.3%です。"
        "事業費 = プレミアム分 ÷ (1 - 0.177) です。",
    ),
    misconceptions=(
        Misconception(
            "premium_only",
            lambda ds: round(_premium(ds)),
            "プレミアム分だけになっています。印刷・換金・広報などの事務費も{区}の費用です。",
            label="事務費を入れなかった",
        ),
        Misconception(
            "admin_only",
            lambda ds: round(_admin_cost(ds)),
            "事務費だけになっています。購入者に上乗せしたプレミアム分も、{区}が負担した費用です。",
            label="プレミアム分を費用に入れなかった",
        ),
        Misconception(
            "admin_of_premium",
            lambda ds: round(_premium(ds) * (1 + ADMIN_COST_SHARE)),
            "事務費をプレミアム分の17.7%として計算しています。ここでは17.7%を事業費"
            "(プレミアム分+事務費)に占める割合とみなすので、事業費 = プレミアム分 ÷ (1 - 0.177) です。",
            label="事務費をプレミアム分の17.7%とした",
        ),
        Misconception(
            "face_value",
            lambda ds: round(float(ds.voucher_purchases["face_value"].sum())),
            "額面の合計になっています。額面の大部分は購入者が自分で払ったお金で、"
            "{区}の費用はプレミアム分と事務費です。",
            label="額面の合計を費用とした",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=20,
    kind="number",
    prompt=(
        "抽選の結果を使って、商品券の購入が購入世帯の地元消費額を1世帯・1か月あたりいくら増やしたかを"
        "推定してください(evaluate.lottery、結果の列は世帯ごとの変化 change、当選は won、購入は bought)。"
        "推定値を整数に丸めて答えてください。"
    ),
    concept="くじ引きの比較: 当選の効果(ITT)を、当選による購入率の差で割ると購入の効果になる",
    expected=lambda ds: round(_lottery(ds).estimate),
    atol=1.0,
    hints=(
        "evaluate.lottery(表, y=..., assigned=..., treated=...) を使います。"
        "assigned は抽選の結果、treated は実際に買ったかどうかです。",
        'evaluate.lottery(changes, y="change", assigned="won", treated="bought") の形です。',
        "結果 res の推定値は res.estimate です(res.itt は当選したことの効果です)。"
        "round(res.estimate) で整数にします。",
    ),
    misconceptions=(
        Misconception(
            "itt",
            lambda ds: round(_lottery(ds).itt.estimate),
            "当選したことの効果(ITT)になっています。当選しても買わなかった世帯があるので、"
            "購入の効果はこれより大きくなります。treated に bought を渡し、res.estimate を使いましょう。",
            label="当選の効果(ITT)を購入の効果とした",
        ),
        Misconception(
            "voucher_used",
            lambda ds: round(_voucher_used_per_month(ds)),
            "購入世帯が1か月に使った商品券の額(voucher_used の平均)になっています。"
            "使用額の多くは、なくても使っていたお金の置き換えです。使用額は効果ではありません。",
            label="商品券の使用額を効果とした",
        ),
        Misconception(
            "buyers_before_after",
            lambda ds: round(_buyers_before_after(ds)),
            "購入世帯の変化(使用期間中 − その前)の平均になっています。季節や景気のように、"
            "商品券と関係なく全員の消費を動かした変化まで入ります。落選した世帯と比べましょう。",
            label="購入世帯の前後比較を効果とした",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=20,
    kind="number",
    prompt=(
        "新たに生まれた地元消費1円あたりの事業費(成果1単位あたりの費用)を求めてください。"
        "問題2の事業費を、購入世帯数(purchases の household_id の数)× 使用期間の月数で割って"
        "1世帯・1か月あたりの費用にし、問題3の結果と一緒に evaluate.cost_effectiveness に渡します。"
        "推定値を小数第2位まで答えてください。"
    ),
    concept="成果1単位あたりの費用 = 事業費 ÷ 事業がなかった場合と比べて増えた成果(産出や使用額ではない)",
    expected=lambda ds: _cost_effectiveness(ds).estimate,
    atol=0.0051,
    hints=(
        "事業費と効果は、同じ単位(購入世帯1世帯・1か月あたり)にそろえてから割ります。",
        "per_unit = 問題2の事業費 ÷ (購入世帯数 × 月数) として、"
        "evaluate.cost_effectiveness(per_unit, res) と書きます。res は問題3の結果です。",
        "結果の .estimate を round(..., 2) で小数第2位にします。",
    ),
    misconceptions=(
        Misconception(
            "per_set",
            lambda ds: _programme_cost(ds) / _sets_sold(ds),
            "販売したセット数(産出)で割っています。これは1セット売るのにかかった費用で、"
            "消費がどれだけ増えたかとは関係ありません。新たに生まれた消費で割りましょう。",
            label="費用を産出(販売セット数)で割った",
        ),
        Misconception(
            "per_yen_used",
            lambda ds: _programme_cost(ds) / _redeemed(ds),
            "使われた商品券の額で割っています。使用額の多くは、なくても使われていたお金の置き換えです。"
            "新たに生まれた消費(効果 × 購入世帯数 × 月数)で割りましょう。",
            label="使用額の合計を成果とした",
        ),
        Misconception(
            "admin_only",
            lambda ds: _admin_cost(ds) / _new_spending(ds),
            "費用が事務費だけになっています。プレミアム分も{区}が負担した費用です。",
            label="プレミアム分を費用に入れなかった",
        ),
        Misconception(
            "premium_only",
            lambda ds: _premium(ds) / _new_spending(ds),
            "費用がプレミアム分だけになっています。事務費も入れた事業費(問題2)を使いましょう。",
            label="事務費を費用に入れなかった",
        ),
        Misconception(
            "itt_effect",
            lambda ds: (
                _programme_cost(ds)
                / (_lottery(ds).itt.estimate * _buyer_households(ds) * _use_months(ds))
            ),
            "当選の効果(ITT)で割っています。購入世帯1世帯あたりの効果は、問題3の res.estimate です。",
            label="当選の効果(ITT)で割った",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=15,
    kind="number",
    prompt=(
        "問題4の結果の95%信頼区間のうち、事業にとっていちばん不利な値(消費1円あたりの費用がいちばん高い値)"
        "はいくらですか。小数第2位まで答えてください。"
    ),
    concept="判断には推定値だけでなく区間を使う: 効果が小さい側の端で、費用がいちばん高くなる",
    expected=lambda ds: _cost_effectiveness(ds).ci_high,
    atol=0.0051,
    hints=(
        "費用対効果の結果には、区間の下限 .ci_low と上限 .ci_high があります。",
        "効果が小さいほど、消費1円あたりの費用は高くなります。効果の区間の下限で割った値が、いちばん不利な値です。",
    ),
    misconceptions=(
        Misconception(
            "estimate",
            lambda ds: _cost_effectiveness(ds).estimate,
            "推定値(問題4の答え)になっています。効果には不確かさがあり、効果が小さかった場合には"
            "費用はもっと高くなります。区間の端を読みましょう。",
            label="推定値をいちばん不利な値とした",
        ),
        Misconception(
            "low_end",
            lambda ds: _cost_effectiveness(ds).ci_low,
            "区間の下限になっています。これは効果が大きかった場合の、いちばん有利な値です。",
            label="区間の逆の端を読んだ",
        ),
        Misconception(
            "delta",
            lambda ds: _cost_effectiveness(ds, method="delta").ci_high,
            "デルタ法の区間になっています。比の区間を左右対称に近似するので、効果が小さい側の"
            '費用を低く見積もります。既定のフィラー法(method="fieller")の区間を使いましょう。',
            label="デルタ法の区間を使った",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=20,
    kind="text",
    prompt=(
        "次年度もこの商品券事業を続けるかを判断する1枚のメモの、「分からないこと(不確かさ)」と"
        "「提案」の部分を書いてください。問題4・5の数字と、その数字が立っている前提を使ってください。"
    ),
    concept="判断のメモ: 数字とその幅、前提、分からないことを示してから提案する",
    expected=None,
    min_chars=40,
    hints=(
        "消費1円あたりの費用が、区間のいちばん不利な端でも納得できる水準かを考えます。",
        "分からないことの例: 使用期間の後の前倒しの消費、{区}外での買い物が{区}内に移っただけの分、事務費の見積もり、"
        "調査の世帯が{区}全体を代表しているか。提案の例: 続ける・やめる・設計を変えて検証を続ける。",
    ),
)

EXERCISE = Exercise(
    id="11",
    title="効果を費用と比べて判断する",
    notebook="11_effect_to_decision.ipynb",
    # Exercise 08's dataset (the class's seed plus 2). On the class's plus 3
    # (EXERCISE_SEED_OFFSET) the lottery's 95% interval misses the generator's true effect, as
    # one draw in twenty does; q5 builds the decision on that interval, so the default class
    # gets a draw whose interval holds the truth. Sharing 08's dataset also spares the class
    # folder one generation.
    data=DatasetConfig(profile="urban-ward", seed=20250403, scale=0.1),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6),
)
