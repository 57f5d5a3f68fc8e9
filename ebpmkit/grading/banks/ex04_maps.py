"""Exercise 04 (maps): the values behind a district map, and how to class and suppress them.

Seven questions on ``resident_years``, ``districts`` and ``chome`` of the fictional ward: the
chart for a question about places, the district with the highest elderly share, a table of
shares by district, the densest district, the legend for maps of several years, the number of
suppressed small cells, and a free-text answer. Each misconception is a mistake staff really
make with district figures: ranking districts by head counts instead of rates, dividing by
the whole municipality's population (or by all its elderly people), using the wrong year,
dividing by the total area, and counting zero cells as suppressed.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7')
>>> EXERCISE.max_points
70
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["EXERCISE", "LEGEND_OPTIONS", "SUPPRESSION_THRESHOLD"]

#: Counts from 1 to this minus one are suppressed (秘匿) in question 6.
SUPPRESSION_THRESHOLD = 3

#: The choices of question 5.
LEGEND_OPTIONS = (
    "年度ごとに分位数で区切った地図を並べる",
    "すべての年度で同じ区切りを使った地図を並べる",
    "年度ごとに等間隔で区切った地図を並べる",
)


def _year(ds: Dataset, which: str = "last") -> pd.DataFrame:
    ry = ds.resident_years
    year = ry["fiscal_year"].max() if which == "last" else ry["fiscal_year"].min()
    return ry[ry["fiscal_year"] == year]


def _district_elderly(frame: pd.DataFrame) -> pd.Series:
    return (frame["age"] >= 65).groupby(frame["district_code"], observed=True).sum()


def _district_shares(frame: pd.DataFrame) -> pd.Series:
    return (frame["age"] >= 65).groupby(frame["district_code"], observed=True).mean() * 100


def _district_table(values: pd.Series) -> pd.DataFrame:
    """The answer's shape: one row per district, columns ``district_code`` and ``高齢化率``."""
    return pd.DataFrame(
        {"district_code": values.index.astype(str), "高齢化率": values.to_numpy(dtype=float)}
    )


def _densities(frame: pd.DataFrame, ds: Dataset, *, total_area: bool = False) -> pd.Series:
    """People per km² by district; ``total_area`` divides by the whole municipality's area."""
    people = frame.groupby("district_code", observed=True).size()
    area = ds.districts.set_index("district_code")["area_km2"]
    if total_area:
        return people / float(area.sum())
    people.index = people.index.astype(str)
    return people / area.reindex(people.index)


def _foreign_by_chome(ds: Dataset, which: str = "last") -> pd.Series:
    """Foreign residents per chome, every chome of the map included (zeros too)."""
    now = _year(ds, which)
    foreign = now[now["nationality"] == "外国"]
    counts = foreign.groupby("chome_code", observed=True).size()
    counts.index = counts.index.astype(str)
    return counts.reindex(ds.chome["chome_code"].astype(str), fill_value=0)


def _suppressed(counts: pd.Series, *, low: int = 1, high: int = SUPPRESSION_THRESHOLD - 1) -> int:
    return int(counts.between(low, high).sum())


Q1 = Question(
    id="q1",
    points=10,
    kind="chart",
    prompt=(
        "住区ごとの高齢化率を、どのあたりの住区で高いか、隣り合う住区でまとまっているかも"
        "含めて見せたいとき、どのグラフを使いますか。"
    ),
    concept="場所による違いは塗り分け地図で見る",
    expected=lambda ds: "地図(塗り分け)",
    hints=(
        "見せたいのは、値の大きさだけでなく「どこで」高いかです。",
        "住区の形の上に、値に応じた色を塗るものです。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            lambda ds: "円グラフ",
            "円グラフは全体に占める割合を見せるグラフです。高齢化率は住区ごとの率なので、"
            "足し合わせても「全体」にはなりません。場所も分かりません。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "bar",
            lambda ds: "棒グラフ",
            "棒グラフでも住区ごとの値は比べられますが、住区がどこにあり、隣どうしでまとまっているかは"
            "見えません。場所と一緒に見せる方法を考えましょう。",
            label="棒グラフを選んだ",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="choice",
    prompt="最新年度に、高齢化率(65歳以上の割合)がいちばん高い住区はどこですか。住区コードで答えてください。",
    concept="住区の比較は人数ではなく、その住区の人口で割った率で行う",
    expected=lambda ds: str(_district_shares(_year(ds)).idxmax()),
    options=lambda ds: [str(c) for c in ds.districts["district_code"]],
    hints=(
        "住区(district_code)ごとに、65歳以上の人の割合を計算して比べます。",
        '最新年度の表 now について (now["age"] >= 65).groupby(now["district_code"]).mean() で住区ごとの割合が出ます。',
        "いちばん大きい値の住区コードは .idxmax() で取り出せます。",
    ),
    # No "first year" misconception here: the oldest district in the first year is still the
    # oldest in the latest year in 25 of 54 generated municipalities (3 profiles x 6 seeds x 3
    # scales), so that hint could not be told apart from "correct". q3 asks for every
    # district's share, where the first year gives other values, and carries that hint.
    misconceptions=(
        Misconception(
            "count_not_share",
            lambda ds: str(_district_elderly(_year(ds)).idxmax()),
            "65歳以上の「人数」がいちばん多い住区を選んでいます。人口の多い住区は人数も多くなります。"
            "住区の人口で割った「割合」で比べましょう。",
            label="割合ではなく人数で比べた",
        ),
        Misconception(
            "lowest",
            lambda ds: str(_district_shares(_year(ds)).idxmin()),
            "割合がいちばん低い住区を選んでいます。いちばん高い住区は .idxmax() で取り出せます。",
            label="いちばん低い住区を選んだ",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=10,
    kind="table",
    prompt=(
        "最新年度の住区ごとの高齢化率(%)の表を、列 district_code と 高齢化率 で作ってください"
        "(地図に塗る値です)。"
    ),
    concept="率の分母は、その住区の人口にする",
    expected=lambda ds: _district_table(_district_shares(_year(ds))),
    atol=0.05,
    hints=(
        "分子は住区ごとの65歳以上の人数、分母はその住区の人口です。",
        '(now["age"] >= 65).groupby(now["district_code"]).mean() * 100 で住区ごとの割合(%)が出ます。',
        '列の名前をそろえるには、.rename("高齢化率").reset_index() とします。',
    ),
    misconceptions=(
        Misconception(
            "whole_population",
            lambda ds: _district_table(_district_elderly(_year(ds)) / len(_year(ds)) * 100),
            "分母が{区}全体の人口になっています。すべての住区を同じ数で割ると、地図の色の並びは人数の地図と"
            "同じになります。分母はその住区の人口にしましょう。",
            label="分母に{区}全体の人口を使った",
        ),
        Misconception(
            "share_of_all_elderly",
            lambda ds: _district_table(
                _district_elderly(_year(ds)) / _district_elderly(_year(ds)).sum() * 100
            ),
            "{区}全体の65歳以上の人のうち、その住区に住む人の割合になっています。"
            "これは人数の地図と同じ意味です。分母はその住区の人口です。",
            label="分母に{区}全体の65歳以上の人数を使った",
        ),
        Misconception(
            "count",
            lambda ds: _district_table(_district_elderly(_year(ds)).astype(float)),
            "65歳以上の人数になっています。住区の人口で割って、割合(%)にしましょう。",
            label="割合ではなく人数を答えた",
        ),
        Misconception(
            "first_year",
            lambda ds: _district_table(_district_shares(_year(ds, "first"))),
            "いちばん古い年度の割合になっています。最新年度の行だけに絞りましょう。",
            label="最初の年度で計算した",
        ),
        Misconception(
            "fraction",
            lambda ds: _district_table(_district_shares(_year(ds)) / 100),
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="number",
    prompt=(
        "最新年度に人口密度(人口 ÷ 住区の面積、人/km²)がいちばん高い住区の人口密度はいくつですか。"
        "整数で答えてください。"
    ),
    concept="面積の違う地域は、面積で割った密度で比べる",
    expected=lambda ds: float(_densities(_year(ds), ds).max()),
    atol=0.5,
    hints=(
        "住区ごとの人口を、その住区の面積(ds.districts の area_km2)で割ります。",
        '人口は now.groupby("district_code").size()、面積は ds.districts.set_index("district_code")["area_km2"] で取り出せます。',
        "割り算した結果の .max() が答えです。",
    ),
    misconceptions=(
        Misconception(
            "most_people",
            lambda ds: int(_year(ds).groupby("district_code", observed=True).size().max()),
            "いちばん人口の多い住区の人数になっています。面積で割って密度にしましょう。",
            label="密度ではなく人口を答えた",
        ),
        Misconception(
            "total_area",
            lambda ds: float(_densities(_year(ds), ds, total_area=True).max()),
            "分母が{区}全体の面積になっています。住区の密度は、その住区の面積で割ります。",
            label="分母に{区}全体の面積を使った",
        ),
        Misconception(
            "whole_municipality",
            lambda ds: len(_year(ds)) / float(ds.districts["area_km2"].sum()),
            "{区}全体の人口密度になっています。住区ごとに計算して、いちばん高い住区の値を答えましょう。",
            label="{区}全体の密度を答えた",
        ),
        Misconception(
            "first_year",
            lambda ds: float(_densities(_year(ds, "first"), ds).max()),
            "いちばん古い年度の人口で計算しています。最新年度の行だけに絞りましょう。",
            label="最初の年度で計算した",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=10,
    kind="choice",
    prompt=(
        "住区ごとの75歳以上の割合が、三つの年度の間でどう変わったかを地図で見せます。"
        "凡例の区切りはどうしますか。"
    ),
    concept="年度や地域を比べる地図は、同じ区切り(同じ色=同じ値の範囲)で描く",
    expected=lambda ds: LEGEND_OPTIONS[1],
    options=LEGEND_OPTIONS,
    hints=(
        "比べるには、同じ色がどの地図でも同じ値の範囲を表している必要があります。",
        "maps.small_multiples は、すべての年度の値から一つの区切りを決めて地図を並べます。",
    ),
    misconceptions=(
        Misconception(
            "quantile_each_year",
            lambda ds: LEGEND_OPTIONS[0],
            "年度ごとに分位数で区切ると、どの年度でも濃い色と薄い色の住区が同じくらいの数になり、"
            "値が上がっても地図の色は変わりません。すべての年度で同じ区切りを使いましょう。",
            label="年度ごとに分位数で区切った",
        ),
        Misconception(
            "equal_each_year",
            lambda ds: LEGEND_OPTIONS[2],
            "等間隔でも、年度ごとに最小値と最大値から区切ると、年度によって同じ色の意味が変わります。"
            "すべての年度で同じ区切りを使いましょう。",
            label="年度ごとに等間隔で区切った",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=10,
    kind="number",
    prompt=(
        "最新年度の町丁ごとの外国籍の住民の人数を地図にします。1〜2人の町丁は秘匿します"
        "(0人は公表します)。秘匿する町丁はいくつありますか。"
    ),
    concept="少人数のセルの秘匿: 1〜2人は秘匿し、0は秘匿しない",
    expected=lambda ds: _suppressed(_foreign_by_chome(ds)),
    hints=(
        '最新年度の外国籍の住民(nationality が "外国")を、町丁(chome_code)ごとに数えます。',
        '.reindex(ds.chome["chome_code"], fill_value=0) で、0人の町丁も表に入れられます。',
        "人数が1以上2以下の町丁の数は、counts.between(1, 2).sum() で数えられます。",
    ),
    misconceptions=(
        Misconception(
            "zeros_too",
            lambda ds: _suppressed(_foreign_by_chome(ds), low=0),
            "0人の町丁も数えています。0人は公表するので、秘匿するのは1〜2人の町丁だけです"
            "(counts < 3 ではなく、counts.between(1, 2) を使います)。",
            label="0人の町丁も秘匿に数えた",
        ),
        Misconception(
            "up_to_three",
            lambda ds: _suppressed(_foreign_by_chome(ds), high=SUPPRESSION_THRESHOLD),
            "3人の町丁も数えています。秘匿するのは1〜2人の町丁です(<= 3 ではなく <= 2)。",
            label="3人の町丁も秘匿に数えた",
        ),
        Misconception(
            "first_year",
            lambda ds: _suppressed(_foreign_by_chome(ds, "first")),
            "いちばん古い年度で数えています。最新年度の行だけに絞りましょう。",
            label="最初の年度で数えた",
        ),
    ),
)

Q7 = Question(
    id="q7",
    points=10,
    kind="text",
    prompt=(
        "課長から「65歳以上の人が最も多い住区に、高齢者向けの事業を集中しよう」と言われました。"
        "人数の地図と率の地図の違いにふれながら、どう答えるかを2〜3文で書いてください。"
    ),
    concept="件数と率の使い分けを、政策の判断に結びつけて説明する",
    expected=None,
    hints=(
        "人数の多い住区は、人口が多いだけかもしれません。率(その住区の人口で割った値)ではどうでしょうか。",
        "事業の量(定員・予算)を決めるには人数、住区の特徴や優先度を比べるには率が向いています。",
    ),
    min_chars=20,
)

EXERCISE = Exercise(
    id="04",
    title="地図で地域を比べる",
    notebook="04_maps.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
