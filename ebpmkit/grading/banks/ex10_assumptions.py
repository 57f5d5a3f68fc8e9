"""Exercise 10: checking the assumptions of an estimate and sizing a pilot.

Six questions on the voucher's household panel of the fictional ward: the event study's
average effect over the use months, the joint pre-trend test, what a failed pre-trend test
means, a placebo difference-in-differences with a fake start one year earlier, the number of
households a randomised pilot needs, and why a pilot that is too small is dangerous. Each
misconception is a mistake staff really make: averaging the months after the use period or the
reference month into the effect, taking one month's coefficient for the whole effect, reading one
pre-period coefficient instead of the joint test, reporting the F statistic as a p-value, leaving
the real programme months in the placebo's baseline, taking the standard deviation over
household-months instead of households, answering one group's size for both, and swapping power
and confidence.

The use period is read from the tables, so the bank holds for any profile and seed.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6')
>>> EXERCISE.max_points
100
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["BASELINE_MONTHS", "EFFECT_TO_DETECT", "EXERCISE", "PRETREND_OPTIONS"]

#: The smallest effect the pilot should detect (yen per household and month).
EFFECT_TO_DETECT = 3000
#: Months before the use period over which each household's usual spending is averaged.
BASELINE_MONTHS = 12

#: Readings of a joint pre-trend test with a small p-value (question 3); the second is right.
PRETREND_OPTIONS = (
    "事業の効果がはっきり見つかった",
    "事業の前から両群の動きがずれていたことになり、平行トレンドの仮定は疑わしい",
    "平行トレンドの仮定が正しいことが証明された",
    "個別の係数で区間が0を含む月が多いので、問題はない",
)


# --- the programme, read from the tables ----------------------------------------------------


def _use_months(ds: Dataset) -> list[pd.Timestamp]:
    return sorted(pd.to_datetime(ds.voucher_redemptions["month"].unique()))


def _use(ds: Dataset) -> tuple[pd.Timestamp, pd.Timestamp]:
    months = _use_months(ds)
    return months[0], months[-1]


# The event study is used by several answers and misconceptions: fit it once per panel.
_CACHE: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def _cached(ds: Dataset, name: str, compute: Any) -> Any:
    panel = ds.household_spending
    hit = _CACHE.get((id(panel), name))
    if hit is not None and hit[0]() is panel:
        return hit[1]
    value = compute()
    for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[k]
    _CACHE[(id(panel), name)] = (weakref.ref(panel), value)
    return value


def _event_study(ds: Dataset) -> Any:
    from ebpmkit import evaluate

    def fit() -> Any:
        return evaluate.event_study(
            ds.household_spending,
            y="local_spending",
            time="month",
            unit="household_id",
            event=_use(ds)[0],
            treated="buyer",
        )

    return _cached(ds, "event_study", fit)


def _periods(ds: Dataset) -> pd.DataFrame:
    return _event_study(ds).periods


def _mean_coef(ds: Dataset, first: int, last: int) -> float:
    table = _periods(ds)
    rel = table["事業開始からの時点"]
    return float(table.loc[rel.between(first, last), "推定値"].mean())


def _use_effect(ds: Dataset) -> float:
    """Mean coefficient over the use months (0 .. use months - 1)."""
    return _mean_coef(ds, 0, len(_use_months(ds)) - 1)


def _lead_p_values(ds: Dataset) -> pd.Series:
    """Each pre-period coefficient's own two-sided p-value (t with units - 1 df), by period."""
    res = _event_study(ds)
    table = res.periods
    leads = table[(table["事業開始からの時点"] < 0) & ~table["基準"]]
    t = leads["推定値"] / leads["標準誤差"]
    p = 2 * stats.t.sf(np.abs(t.to_numpy()), res.n_units - 1)
    return pd.Series(p, index=leads["事業開始からの時点"].to_numpy())


def _before_after(ds: Dataset) -> float:
    from ebpmkit import evaluate

    panel = ds.household_spending
    res = evaluate.before_after(
        panel[panel["buyer"]], y="local_spending", time="month", period=_use(ds),
        unit="household_id",
    )  # fmt: skip
    return float(res.estimate)


# --- placebo: a fake start one year earlier ---------------------------------------------------


def _fake(ds: Dataset) -> tuple[pd.Timestamp, pd.Timestamp]:
    start, end = _use(ds)
    return start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)


def _placebo(ds: Dataset, *, before_only: bool = True) -> float:
    from ebpmkit import evaluate

    panel = ds.household_spending
    if before_only:
        panel = panel[panel["month"] < _use(ds)[0]]
    res = evaluate.did(
        panel, y="local_spending", unit="household_id", time="month", treated="buyer",
        post=_fake(ds),
    )  # fmt: skip
    return float(res.estimate)


def _real_did(ds: Dataset) -> float:
    from ebpmkit import evaluate

    res = evaluate.did(
        ds.household_spending, y="local_spending", unit="household_id", time="month",
        treated="buyer", post=_use(ds),
    )  # fmt: skip
    return float(res.estimate)


# --- planning the pilot ----------------------------------------------------------------------


def _baseline(ds: Dataset) -> pd.DataFrame:
    """The panel's rows in the BASELINE_MONTHS months just before the use period."""
    panel = ds.household_spending
    start = _use(ds)[0]
    first = start - pd.DateOffset(months=BASELINE_MONTHS)
    return panel[(panel["month"] >= first) & (panel["month"] < start)]


def _sd_households(ds: Dataset) -> float:
    """Standard deviation across households of each household's mean monthly spending."""
    return float(_baseline(ds).groupby("household_id")["local_spending"].mean().std())


def _sd_rows(ds: Dataset) -> float:
    return float(_baseline(ds)["local_spending"].std())


def _sample_size(ds: Dataset, *, sd: float | None = None, **options: Any) -> Any:
    from ebpmkit import evaluate

    return evaluate.sample_size(
        EFFECT_TO_DETECT, _sd_households(ds) if sd is None else sd, **options
    )


# --- the questions --------------------------------------------------------------------------

Q1 = Question(
    id="q1",
    points=20,
    kind="number",
    prompt=(
        "世帯パネル調査(household_spending)の地元消費額について、使用期間の最初の月を事業開始、"
        "購入世帯を処置群とするイベントスタディ(evaluate.event_study)をしてください。"
        "使用期間の各月(事業開始から0か月目〜使用期間の最後の月)の係数の平均"
        "(購入世帯1世帯・1か月あたり、円)を整数に丸めて答えてください。"
    ),
    concept="イベントスタディ: 効果は事業開始後の月ごとの係数で読み、基準の月は効果ではない",
    expected=lambda ds: round(_use_effect(ds)),
    atol=1.0,
    hints=(
        'evaluate.event_study(panel, y="local_spending", time="month", unit="household_id", '
        'event=USE[0], treated="buyer") の形です。',
        "res.periods の「事業開始からの時点」が 0 から len(use_months) - 1 までの行が使用期間です。",
        "その行の「推定値」の平均を round() で整数にします。",
    ),
    misconceptions=(
        Misconception(
            "all_post",
            lambda ds: round(float(_event_study(ds).estimate)),
            "res.estimate をそのまま答えています。これは事業開始から後のすべての月(使用期間が"
            "終わった後の月を含む)の平均です。使用期間の月の行だけを選んで平均しましょう。",
            label="使用期間の後の月まで含めて平均した",
        ),
        Misconception(
            "with_reference",
            lambda ds: round(_mean_coef(ds, -1, len(_use_months(ds)) - 1)),
            "基準の月(-1、係数は0に固定)も平均に入っています。基準の月は比べる起点で、"
            "効果ではありません。0か月目からの行だけを選びましょう。",
            label="基準の月を効果の平均に含めた",
        ),
        Misconception(
            "first_month",
            lambda ds: round(_mean_coef(ds, 0, 0)),
            "0か月目(使用期間の最初の月)の係数だけになっています。効果は月によって違うので、"
            "使用期間のすべての月の係数を平均しましょう。",
            label="最初の月の係数だけを答えた",
        ),
        Misconception(
            "before_after",
            lambda ds: round(_before_after(ds)),
            "購入世帯だけの前後比較になっています。季節や景気の動きも効果に入ってしまいます。"
            "非購入世帯と比べるイベントスタディの係数を使いましょう。",
            label="購入世帯の前後比較を効果とした",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=15,
    kind="number",
    prompt=(
        "問題1のイベントスタディで、事業前のすべての月の係数が0である、という仮説の検定"
        "(事業前の傾向の同時検定)のp値はいくつですか。小数第3位まで答えてください。"
    ),
    concept="事業前の傾向は、一つの係数ではなく、事業前の係数すべての同時検定で確かめる",
    expected=lambda ds: round(float(_event_study(ds).pretrend_p), 3),
    atol=0.00051,
    hints=(
        "イベントスタディの結果には、事業前の係数の同時検定(F検定)の結果が入っています。",
        "p値は res.pretrend_p です。round(res.pretrend_p, 3) で小数第3位までにします。",
    ),
    misconceptions=(
        Misconception(
            "one_lead",
            lambda ds: round(float(_lead_p_values(ds).iloc[-1]), 3),
            "基準の月のすぐ前の月(事業開始の2か月前)の係数一つだけのp値になっています。一つの月だけでは、事業前の"
            "動き全体は分かりません。事業前のすべての係数をまとめて検定した res.pretrend_p を使いましょう。",
            label="事業前の係数を一つだけ検定した",
        ),
        Misconception(
            "smallest_lead",
            lambda ds: round(float(_lead_p_values(ds).min()), 3),
            "事業前の月ごとのp値のうち、いちばん小さいものになっています。月が多ければ、偶然に"
            "小さなp値が出る月もあります。同時検定の res.pretrend_p を使いましょう。",
            label="月ごとのp値のいちばん小さいものを選んだ",
        ),
        Misconception(
            "f_statistic",
            lambda ds: round(float(_event_study(ds).pretrend_f), 3),
            "F統計量(res.pretrend_f)になっています。聞いているのはp値(res.pretrend_p)です。",
            label="F統計量をp値として答えた",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=15,
    kind="choice",
    prompt=(
        "別の事業のイベントスタディで、事業前の係数の同時検定のp値が0.01になりました。"
        "どう読むのが正しいですか。"
    ),
    concept="事業前の傾向の検定が棄却されたら、平行トレンドが疑わしく、事業後の係数も割り引いて読む",
    expected=lambda ds: PRETREND_OPTIONS[1],
    options=PRETREND_OPTIONS,
    hints=(
        "この検定の仮説は「事業前の係数はすべて0(事業前は両群が同じように動いていた)」です。",
        "p値が小さいと、その仮説はデータと両立しにくいと判断します。事業前に差があるのは何の問題でしょうか。",
    ),
    misconceptions=(
        Misconception(
            "effect_found",
            lambda ds: PRETREND_OPTIONS[0],
            "この検定は事業前の係数についてのものです。事業前に効果はないはずなので、p値が小さいのは"
            "効果ではなく、事業前から両群の動きがずれていたことを示します。",
            label="事業前の検定を効果の検定と取り違えた",
        ),
        Misconception(
            "proved",
            lambda ds: PRETREND_OPTIONS[2],
            "p値が小さいのは、仮説(事業前の係数はすべて0)がデータと両立しにくいということです。"
            "なお、p値が大きくても平行トレンドが証明されるわけではありません。",
            label="検定の向きを逆に読んだ",
        ),
        Misconception(
            "count_months",
            lambda ds: PRETREND_OPTIONS[3],
            "個別の区間を数えても、事業前の動き全体は判断できません。月ごとには小さなずれでも、"
            "同じ向きにそろっていれば同時検定は棄却します。",
            label="同時検定より個別の係数を重んじた",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=15,
    kind="number",
    prompt=(
        "プラセボ検定をします。使用期間より前の月だけを使い、使用期間の1年前の同じ月を偽の使用期間"
        "(post)とする差の差分析(evaluate.did、購入世帯が処置群)をしてください。推定値(円)を整数に"
        "丸めて答えてください。"
    ),
    concept="偽の開始時期によるプラセボ検定: 事業がなかった時期では、効果は0に近いはず",
    expected=lambda ds: round(_placebo(ds)),
    atol=1.0,
    hints=(
        'まず panel[panel["month"] < USE[0]] で、使用期間より前の行だけにします。',
        "偽の使用期間は (USE[0] - pd.DateOffset(years=1), USE[1] - pd.DateOffset(years=1)) です。",
        'evaluate.did(before, y="local_spending", unit="household_id", time="month", '
        'treated="buyer", post=fake) の推定値を round() で整数にします。',
    ),
    misconceptions=(
        Misconception(
            "whole_panel",
            lambda ds: round(_placebo(ds, before_only=False)),
            "本当の使用期間を含むすべての月を使っています。本当の効果がある月が比べる基準に入るので、"
            "偽の期間の推定値がずれます。使用期間より前の月だけを使いましょう。",
            label="本当の使用期間を残したままプラセボ検定をした",
        ),
        Misconception(
            "real_did",
            lambda ds: round(_real_did(ds)),
            "本当の使用期間での差の差分析の推定値になっています。post を1年前の偽の使用期間にしましょう。",
            label="偽の期間ではなく本当の期間で推定した",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=20,
    kind="number",
    prompt=(
        f"来年度、世帯を無作為に二つのグループに同じ数ずつ分けて、商品券の試行をします。"
        f"1世帯・1か月あたり{EFFECT_TO_DETECT:,}円の効果を、検出力80%、信頼水準95%(有意水準5%)で"
        f"見つけるには、二つのグループの合計で何世帯が必要ですか。標準偏差には、使用期間の直前"
        f"{BASELINE_MONTHS}か月の地元消費額を世帯ごとに平均した値の、世帯のあいだの標準偏差を使って"
        "ください(evaluate.sample_size)。"
    ),
    concept="試行の規模: 標準偏差は比べる単位(世帯)で取り、必要数は1グループあたりの数の2倍",
    expected=lambda ds: _sample_size(ds).n_total,
    rtol=0.003,
    hints=(
        f"使用期間の直前{BASELINE_MONTHS}か月の行を選び、household_id ごとに local_spending の"
        "平均を取ります。その平均の .std() が標準偏差です。",
        f"evaluate.sample_size({EFFECT_TO_DETECT}, sd, power=0.8, confidence=0.95) の形です。",
        "結果の n_treated と n_comparison は1グループあたりの世帯数です。合計は n_total です。",
    ),
    misconceptions=(
        Misconception(
            "per_group",
            lambda ds: _sample_size(ds).n_treated,
            "1グループあたりの世帯数になっています。比較するグループにも同じ数の世帯が要るので、"
            "合計(n_total)を答えましょう。",
            label="1グループ分だけを答えた",
        ),
        Misconception(
            "row_sd",
            lambda ds: _sample_size(ds, sd=_sd_rows(ds)).n_total,
            "世帯・月の行のまま標準偏差を取っています。比べるのは世帯ごとの平均なので、"
            "先に household_id ごとに平均してから、世帯のあいだの標準偏差を取りましょう。",
            label="世帯ではなく世帯・月の行で標準偏差を取った",
        ),
        Misconception(
            "swapped",
            lambda ds: _sample_size(ds, power=0.95, confidence=0.8).n_total,
            "検出力と信頼水準が入れ替わっています。検出力は power=0.8、信頼水準は confidence=0.95 です。",
            label="検出力と信頼水準を取り違えた",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=15,
    kind="text",
    prompt=(
        "予算の都合で、問題5の10分の1の世帯数で試行することになりました。どんな危険がありますか。"
        "「検出力」という言葉を使って、あなたの言葉で書いてください。"
    ),
    concept="小さすぎる試行は検出力が低く、本当の効果を見逃しやすい(効果なしの誤った結論)",
    expected=None,
    min_chars=20,
    hints=(
        "検出力は、本当に効果があるときに、それを統計的に見つけられる確率です。",
        "世帯数が少ないと信頼区間は広がります。区間が0を含んだとき、「効果がない」と言えるでしょうか。",
    ),
)

EXERCISE = Exercise(
    id="10",
    title="前提を確かめ、試行の規模を見積もる",
    notebook="10_assumptions_and_pilots.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6),
)
