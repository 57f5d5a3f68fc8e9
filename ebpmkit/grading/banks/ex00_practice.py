"""Exercise 00 (practice): the population of the fictional ward in the latest fiscal year.

Three questions on ``resident_years`` (one row per resident per fiscal year, as of 1 April):
a count (the change in population from the first to the latest year), a share with tolerance
and a choice. Each misconception is a mistake staff really make with register data: counting
every year's rows, reading the list of everyone ever registered, subtracting the wrong way or
from the wrong year, giving a fraction for a percentage, and comparing counts instead of rates.

Lesson 00 shows this exercise's data (it practises ``check`` on it) and prints the latest
year's population, so q1 asks for the change since the first year, which the lesson never
prints (tests/test_lesson_answers.py).

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3')
>>> EXERCISE.max_points
30
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["EXERCISE"]


def _year(ds: Dataset, which: str = "last") -> pd.DataFrame:
    ry = ds.resident_years
    year = ry["fiscal_year"].max() if which == "last" else ry["fiscal_year"].min()
    return ry[ry["fiscal_year"] == year]


def _share_65(frame: pd.DataFrame, *, strict: bool = False) -> float:
    old = frame["age"] > 65 if strict else frame["age"] >= 65
    return float(old.mean() * 100)


def _area_shares(ds: Dataset) -> pd.Series:
    now = _year(ds)
    return (now["age"] >= 65).groupby(now["area"], observed=True).mean()


def _area_counts(ds: Dataset) -> pd.Series:
    now = _year(ds)
    return (now["age"] >= 65).groupby(now["area"], observed=True).sum()


def _population(ds: Dataset, which: str = "last") -> int:
    return len(_year(ds, which))


def _previous_year(ds: Dataset) -> int:
    years = sorted(ds.resident_years["fiscal_year"].unique())
    ry = ds.resident_years
    return len(ry[ry["fiscal_year"] == years[-2]]) if len(years) > 1 else 0


Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt=(
        "最新年度の人口(4月1日時点)は、最初の年度の人口(4月1日時点)と比べて何人増えましたか。"
        "減った場合はマイナスの数で答えてください。"
    ),
    concept="1人1年度1行の表から、二つの時点の人数を数えて比べる",
    expected=lambda ds: _population(ds) - _population(ds, "first"),
    hints=(
        "resident_years は「各年度4月1日時点の住民」の表で、1人につき年度ごとに1行あります。"
        "年度で行を絞って数えると、その年度の人口になります。",
        '最初の年度は ry["fiscal_year"].min()、最新年度は ry["fiscal_year"].max() で分かります。',
        '増えた人数 = len(ry[ry["fiscal_year"] == 最新年度]) - len(ry[ry["fiscal_year"] == 最初の年度])',
    ),
    misconceptions=(
        Misconception(
            "all_years",
            lambda ds: len(ds.resident_years),
            "resident_years の全部の行を数えると、同じ人を年度の数だけ重ねて数えてしまいます。"
            "年度で行を絞ってから数え、最新年度の人数から最初の年度の人数を引きましょう。",
            label="全年度の行をすべて数えた",
        ),
        Misconception(
            "latest_level",
            lambda ds: _population(ds),
            "最新年度の人口そのものになっています。聞いているのは、最初の年度と比べて何人増えたか"
            "(最新年度の人口 − 最初の年度の人口)です。",
            label="増えた人数ではなく最新年度の人口を答えた",
        ),
        Misconception(
            "reversed",
            lambda ds: _population(ds, "first") - _population(ds),
            "引き算の順序が逆です。増えた人数は「最新年度の人口 − 最初の年度の人口」です。",
            label="引き算の順序を逆にした",
        ),
        Misconception(
            "ever_registered",
            lambda ds: len(ds.residents) - _population(ds, "first"),
            "residents は期間中に一度でも登録された人の一覧で、転出した人や亡くなった人も含みます。"
            "ある時点の人口は resident_years を年度で絞って数えます。",
            label="residents(登録されたことのある全員)を最新年度の人口とした",
        ),
        Misconception(
            "previous_year",
            lambda ds: _population(ds) - _previous_year(ds),
            "前の年度と比べた増減になっています。比べる相手は最初の年度(fiscal_year の最小値)です。",
            label="前の年度と比べた",
        ),
        Misconception(
            "percent",
            lambda ds: (_population(ds) / _population(ds, "first") - 1) * 100,
            "増えた割合(%)になっています。聞いているのは増えた人数です。",
            label="人数ではなく増加率(%)を答えた",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="number",
    prompt="最新年度の65歳以上の人の割合(高齢化率)は何%ですか。小数第1位まで答えてください。",
    concept="割合の分子と分母を同じ集団・同じ時点にそろえる",
    expected=lambda ds: _share_65(_year(ds)),
    atol=0.05,
    hints=(
        "割合 = 65歳以上の人数 ÷ 人口 × 100 です。分子も分母も最新年度の人で数えます。",
        '最新年度の表を now とすると、(now["age"] >= 65) は65歳以上なら True になります。',
        'True を1として平均すると割合になります: (now["age"] >= 65).mean() * 100',
    ),
    misconceptions=(
        Misconception(
            "fraction",
            lambda ds: _share_65(_year(ds)) / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
        Misconception(
            "over_65",
            lambda ds: _share_65(_year(ds), strict=True),
            "「65歳以上」は65歳を含みます。> ではなく >= を使いましょう。",
            label="65歳を含めなかった(> と >= の取り違え)",
        ),
        Misconception(
            "all_years_denominator",
            lambda ds: (_year(ds)["age"] >= 65).sum() / len(ds.resident_years) * 100,
            "分母が全年度の行数になっています。分母も最新年度の人口にそろえましょう。",
            label="分母に全年度の行数を使った",
        ),
        Misconception(
            "all_years",
            lambda ds: _share_65(ds.resident_years),
            "全年度をまとめた割合になっています。最新年度の行だけに絞ってから計算しましょう。",
            label="全年度をまとめて計算した",
        ),
        Misconception(
            "count",
            lambda ds: int((_year(ds)["age"] >= 65).sum()),
            "人数になっています。聞いているのは割合(%)です。65歳以上の人数を人口で割りましょう。",
            label="割合ではなく人数を答えた",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=10,
    kind="choice",
    prompt="最新年度に、65歳以上の人の割合がいちばん高い地区(area)はどこですか。",
    concept="人数ではなく割合で地域を比べる",
    expected=lambda ds: str(_area_shares(ds).idxmax()),
    options=lambda ds: [str(a) for a in ds.resident_years["area"].cat.categories],
    hints=(
        "地区(area)ごとに、65歳以上の人の割合を計算して比べます。",
        '最新年度の表 now について (now["age"] >= 65).groupby(now["area"]).mean() で地区ごとの割合が出ます。',
        "いちばん大きい値の地区名は .idxmax() で取り出せます。",
    ),
    misconceptions=(
        Misconception(
            "count_not_share",
            lambda ds: str(_area_counts(ds).idxmax()),
            "65歳以上の「人数」がいちばん多い地区を選んでいます。人口の多い地区は人数も多くなりがちです。"
            "地区ごとの「割合」で比べましょう。",
            label="割合ではなく人数で比べた",
        ),
        Misconception(
            "lowest",
            lambda ds: str(_area_shares(ds).idxmin()),
            "割合がいちばん低い地区を選んでいます。sort_values() は小さい順に並べます。"
            "大きい順なら ascending=False、または .idxmax() を使います。",
            label="いちばん低い地区を選んだ",
        ),
    ),
)

EXERCISE = Exercise(
    id="00",
    title="架空の自治体の人口を調べる",
    notebook="00_practice.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3),
)
