"""Exercise 00 (practice): the population of the fictional ward in the latest fiscal year.

Three questions on ``resident_years`` (one row per resident per fiscal year, as of 1 April):
a count, a share with tolerance and a choice. Each misconception is a mistake staff really
make with register data: counting every year's rows, reading the list of everyone ever
registered, giving a fraction for a percentage, and comparing counts instead of rates.

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


Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt="最新年度(4月1日時点)の人口は何人ですか。",
    concept="1人1年度1行の表から、ある時点の人数を数える",
    expected=lambda ds: len(_year(ds)),
    hints=(
        "resident_years は「各年度4月1日時点の住民」の表で、1人につき年度ごとに1行あります。",
        '最新年度は ry["fiscal_year"].max() で分かります。',
        '最新年度の行だけを取り出して数えます: len(ry[ry["fiscal_year"] == 最新年度])',
    ),
    misconceptions=(
        Misconception(
            "all_years",
            lambda ds: len(ds.resident_years),
            "resident_years の全部の行を数えると、同じ人を年度の数だけ重ねて数えてしまいます。"
            "最新年度の行だけに絞りましょう。",
            label="全年度の行をすべて数えた",
        ),
        Misconception(
            "ever_registered",
            lambda ds: len(ds.residents),
            "residents は期間中に一度でも登録された人の一覧で、転出した人や亡くなった人も含みます。"
            "ある時点の人口は resident_years を年度で絞って数えます。",
            label="residents(登録されたことのある全員)を数えた",
        ),
        Misconception(
            "first_year",
            lambda ds: len(_year(ds, "first")),
            "いちばん古い年度の人数になっています。最新年度は fiscal_year の最大値(max)です。",
            label="最初の年度を数えた",
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
    title="練習: 架空の区の人口を調べる",
    notebook="00_practice.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3),
)
