"""Exercise 03 (showing it): choosing charts and reading them without being misled.

Seven questions on ``resident_years`` of the fictional ward: three chart choices (a
distribution, a composition, a relation), the real change behind a bar chart whose axis does
not start at zero, a table of rates by area, an index that replaces a dual-axis chart, and a
free-text answer. Each misconception is a mistake staff really make when they read or build
charts: reading the heights of truncated bars, giving a fraction or a head count for a
percentage, counting instead of dividing, dividing by the wrong population, using the wrong
year, and picking a pie or a line where they do not fit.

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

__all__ = ["EXERCISE", "axis_start"]


def _year(ds: Dataset, which: str = "last") -> pd.DataFrame:
    ry = ds.resident_years
    year = ry["fiscal_year"].max() if which == "last" else ry["fiscal_year"].min()
    return ry[ry["fiscal_year"] == year]


def _population(ds: Dataset) -> pd.Series:
    """People per fiscal year (1 April)."""
    return ds.resident_years.groupby("fiscal_year").size()


def _elderly(ds: Dataset) -> pd.Series:
    """People aged 65 and over per fiscal year."""
    ry = ds.resident_years
    return ry[ry["age"] >= 65].groupby("fiscal_year").size()


def axis_start(ds: Dataset) -> int:
    """Where the misleading bar chart of the exercise starts its y axis.

    99% of the smallest yearly population, rounded down to hundreds (the notebook computes
    the same value before drawing the chart).
    """
    return int(_population(ds).min() * 0.99) // 100 * 100


def _change(ds: Dataset, start: int | None = None, end: int | None = None) -> float:
    pop = _population(ds)
    start = pop.index.min() if start is None else start
    end = pop.index.max() if end is None else end
    return float((pop[end] / pop[start] - 1) * 100)


def _apparent_change(ds: Dataset) -> float:
    """The change a reader sees in the heights of bars that start at ``axis_start``."""
    pop = _population(ds)
    base = axis_start(ds)
    first, last = pop.index.min(), pop.index.max()
    return float(((pop[last] - base) / (pop[first] - base) - 1) * 100)


def _index(series: pd.Series, *, reverse: bool = False) -> float:
    first, last = series.index.min(), series.index.max()
    if reverse:
        return float(series[first] / series[last] * 100)
    return float(series[last] / series[first] * 100)


def _share_series(ds: Dataset) -> pd.Series:
    ry = ds.resident_years
    return (ry["age"] >= 65).groupby(ry["fiscal_year"]).mean() * 100


def _area_table(values: pd.Series) -> pd.DataFrame:
    """The answer's shape: one row per area, columns ``area`` and ``高齢化率``."""
    return pd.DataFrame(
        {"area": values.index.astype(str), "高齢化率": values.to_numpy(dtype=float)}
    )


def _area_elderly(frame: pd.DataFrame) -> pd.Series:
    return (frame["age"] >= 65).groupby(frame["area"], observed=True).sum()


def _area_shares(frame: pd.DataFrame) -> pd.Series:
    return (frame["age"] >= 65).groupby(frame["area"], observed=True).mean() * 100


Q1 = Question(
    id="q1",
    points=10,
    kind="chart",
    prompt=(
        "最新年度の住民の年齢が、何歳くらいに多く、どのように散らばっているか(山がいくつあるか)"
        "を見せたいとき、どのグラフを使いますか。"
    ),
    concept="一つの数量のばらつき(分布)はヒストグラムで見る",
    expected=lambda ds: "ヒストグラム",
    hints=(
        "見せたいのは「一つの数量(年齢)が、どの値のあたりにどれくらいあるか」です。",
        "年齢をいくつかの幅(5歳きざみなど)に区切り、それぞれの幅に入る人数を棒の高さで表すグラフです。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            lambda ds: "円グラフ",
            "円グラフは、少ない項目の「全体に占める割合」を見せるグラフです。年齢の階級は数が多く、"
            "並び順(若い→高齢)も扇の並びでは読み取りにくくなります。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "box",
            lambda ds: "箱ひげ図",
            "箱ひげ図は中央値や散らばりの要約には便利ですが、山が二つあるかどうかなど、"
            "分布の形は隠れてしまいます。形を見るなら、人数を階級ごとに表すグラフです。",
            label="箱ひげ図を選んだ",
        ),
        Misconception(
            "line",
            lambda ds: "折れ線グラフ",
            "折れ線グラフは、時間のように順番のある点を結んで「変化」を見せるグラフです。"
            "ここで見たいのは、ある年度の年齢の散らばりです。",
            label="折れ線グラフを選んだ",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="chart",
    prompt=(
        "五つの地区それぞれの年齢3区分(0〜14歳・15〜64歳・65歳以上)の構成比を、"
        "地区どうしで比べられるように一つのグラフで見せるには、どのグラフを使いますか。"
    ),
    concept="全体の内訳(構成比)を区分ごとに比べるときは100%積み上げ棒グラフ",
    expected=lambda ds: "積み上げ棒グラフ",
    hints=(
        "見せたいのは「全体がどんな部分でできているか(内訳)」を、地区ごとに並べたものです。",
        "1本の棒を部分ごとに色分けし、どの棒も100%にそろえると、大きさの違う地区どうしでも構成比を比べられます。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            lambda ds: "円グラフ",
            "円グラフを五つ並べると、扇の角度を円どうしで見比べることになり、差が読み取りにくくなります。"
            "内訳を地区どうしで比べるなら、棒を100%にそろえて色分けするグラフが向いています。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "line",
            lambda ds: "折れ線グラフ",
            "折れ線グラフは時間の変化を見るグラフです。地区には順番がないので、線で結ぶと"
            "意味のない「傾き」ができてしまいます。",
            label="折れ線グラフを選んだ",
        ),
        Misconception(
            "bar",
            lambda ds: "棒グラフ",
            "区分ごとの棒を横に並べることもできますが、「全体に占める割合」は読み取りにくくなります。"
            "内訳を見せるなら、1本の棒の中で部分を重ねるグラフです。",
            label="(積み上げない)棒グラフを選んだ",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=10,
    kind="number",
    prompt=(
        "縦軸を途中から始めた棒グラフでは、人口が大きく増えたように見えます。"
        "最初の年度から最新年度までの、実際の人口の増加率は何%ですか。小数第1位まで答えてください。"
    ),
    concept="縦軸が途中から始まる棒グラフの見た目ではなく、数字で変化を確かめる",
    expected=_change,
    atol=0.05,
    hints=(
        "増加率(%) = (最新年度の人口 ÷ 最初の年度の人口 − 1) × 100 です。",
        'pop = ry.groupby("fiscal_year").size() で年度ごとの人口が出ます。',
        "pop[最新年度] / pop[最初の年度] から1を引き、100を掛けます。",
    ),
    misconceptions=(
        Misconception(
            "bar_heights",
            _apparent_change,
            "グラフの棒の高さの比から読み取った値になっています。縦軸が途中から始まっているので、"
            "棒の高さは人口に比例していません。人口の数字そのもので計算しましょう。",
            label="途中から始まる棒の高さの比で答えた",
        ),
        Misconception(
            "fraction",
            lambda ds: _change(ds) / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない",
        ),
        Misconception(
            "people",
            lambda ds: int(_population(ds).iloc[-1] - _population(ds).iloc[0]),
            "増えた人数になっています。聞いているのは増加率(%)です。最初の年度の人口で割りましょう。",
            label="増加率ではなく増えた人数を答えた",
        ),
        Misconception(
            "reversed",
            lambda ds: (_population(ds).iloc[0] / _population(ds).iloc[-1] - 1) * 100,
            "割る順番が逆です。増加率は「新しい値 ÷ 古い値 − 1」です。",
            label="古い年度を新しい年度で割った",
        ),
        Misconception(
            "last_step",
            lambda ds: _change(ds, start=int(_population(ds).index[-2])),
            "前の年度から最新年度への1年分の変化になっています。最初の年度から比べましょう。",
            label="前年度からの変化を答えた",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="table",
    prompt=(
        "最新年度の地区(area)ごとの高齢化率(その地区の人口に占める65歳以上の割合、%)の表を、"
        "列 area と 高齢化率 で作ってください。"
    ),
    concept="地区の特徴は、その地区の人口で割った率で比べる(件数と率の取り違えに注意)",
    expected=lambda ds: _area_table(_area_shares(_year(ds))),
    atol=0.05,
    hints=(
        "分子は地区ごとの65歳以上の人数、分母はその地区の人口です。どちらも最新年度の人で数えます。",
        '最新年度の表を now とすると、(now["age"] >= 65).groupby(now["area"]).mean() * 100 で地区ごとの割合(%)が出ます。',
        '列の名前をそろえるには、.rename("高齢化率").reset_index() とします。',
    ),
    misconceptions=(
        Misconception(
            "count",
            lambda ds: _area_table(_area_elderly(_year(ds)).astype(float)),
            "65歳以上の人数になっています。人口の多い地区は人数も多くなります。"
            "その地区の人口で割って、割合(%)にしましょう。",
            label="割合ではなく人数を答えた",
        ),
        Misconception(
            "share_of_all_elderly",
            lambda ds: _area_table(_area_elderly(_year(ds)) / _area_elderly(_year(ds)).sum() * 100),
            "{区}全体の65歳以上の人のうち、その地区に住む人の割合になっています。"
            "これは「高齢者がどこに住んでいるか」で、地区の高齢化率ではありません。"
            "分母はその地区の人口です。",
            label="分母に{区}全体の65歳以上の人数を使った",
        ),
        Misconception(
            "whole_population",
            lambda ds: _area_table(_area_elderly(_year(ds)) / len(_year(ds)) * 100),
            "分母が{区}全体の人口になっています。すべての地区を同じ数で割ると、順位は人数と同じままです。"
            "分母はその地区の人口にしましょう。",
            label="分母に{区}全体の人口を使った",
        ),
        Misconception(
            "first_year",
            lambda ds: _area_table(_area_shares(_year(ds, "first"))),
            "いちばん古い年度の割合になっています。最新年度は fiscal_year の最大値(max)です。",
            label="最初の年度で計算した",
        ),
        Misconception(
            "all_years",
            lambda ds: _area_table(_area_shares(ds.resident_years)),
            "全年度をまとめた割合になっています。最新年度の行だけに絞ってから計算しましょう。",
            label="全年度をまとめて計算した",
        ),
        Misconception(
            "fraction",
            lambda ds: _area_table(_area_shares(_year(ds)) / 100),
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=10,
    kind="number",
    prompt=(
        "二軸グラフの代わりに、最初の年度を100とした指数で比べます。"
        "最新年度の65歳以上の人数の指数はいくつですか。小数第1位まで答えてください。"
    ),
    concept="単位の違う量の変化は、最初の年度を100とした指数にそろえて比べる",
    expected=lambda ds: _index(_elderly(ds)),
    atol=0.05,
    hints=(
        "指数 = 最新年度の値 ÷ 最初の年度の値 × 100 です。",
        'ry[ry["age"] >= 65].groupby("fiscal_year").size() で、年度ごとの65歳以上の人数が出ます。',
    ),
    misconceptions=(
        Misconception(
            "change",
            lambda ds: _index(_elderly(ds)) - 100,
            "増加率(%)になっています。指数は、最初の年度を100としたときの値なので、100を引きません。",
            label="指数ではなく増加率を答えた",
        ),
        Misconception(
            "population",
            lambda ds: _index(_population(ds)),
            "人口全体の指数になっています。65歳以上の人だけに絞ってから数えましょう。",
            label="人口全体の指数を答えた",
        ),
        Misconception(
            "share",
            lambda ds: _index(_share_series(ds)),
            "高齢化率(割合)の指数になっています。聞いているのは65歳以上の「人数」の指数です。",
            label="高齢化率の指数を答えた",
        ),
        Misconception(
            "reversed",
            lambda ds: _index(_elderly(ds), reverse=True),
            "割る順番が逆です。指数は「最新年度の値 ÷ 最初の年度の値 × 100」です。",
            label="最初の年度を最新年度で割った",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=10,
    kind="chart",
    prompt=(
        "住区ごとの人口密度と高齢化率に関係があるか(人口密度の高い住区ほど高齢化率が低いか)"
        "を見たいとき、どのグラフを使いますか。"
    ),
    concept="二つの量の関係は散布図で見る",
    expected=lambda ds: "散布図",
    hints=(
        "住区一つにつき、二つの量(人口密度と高齢化率)があります。",
        "横軸に一方、縦軸にもう一方をとり、住区を一つの点で表すグラフです。",
    ),
    misconceptions=(
        Misconception(
            "line",
            lambda ds: "折れ線グラフ",
            "折れ線グラフは点を順番に線で結ぶので、時間のように順番のある量に使います。"
            "住区には順番がないので、点だけを打って関係を見ます。",
            label="折れ線グラフを選んだ",
        ),
        Misconception(
            "bar",
            lambda ds: "棒グラフ",
            "棒グラフでは、一つの量を住区ごとに比べられますが、二つの量の関係は見えません。"
            "二つの量を横軸と縦軸にとるグラフを考えましょう。",
            label="棒グラフを選んだ",
        ),
        Misconception(
            "map",
            lambda ds: "地図(塗り分け)",
            "地図は「どこで高いか」を見るのに向いていますが、二つの量の関係は読み取りにくくなります。",
            label="地図を選んだ",
        ),
    ),
)

Q7 = Question(
    id="q7",
    points=10,
    kind="text",
    prompt=(
        "問題3の「縦軸を途中から始めた棒グラフ」が会議資料に載っていました。"
        "何が誤解を招くのか、どう直すとよいかを、上司に説明するつもりで2〜3文で書いてください。"
    ),
    concept="誤解を招くグラフを見つけ、直し方を言葉で説明する",
    expected=None,
    hints=(
        "棒グラフは、棒の長さで量を表します。縦軸が0から始まらないと、長さの比はどうなるでしょうか。",
        "直し方の例: 縦軸を0から始める、折れ線グラフにして目盛りをはっきり書く、変化率を数字で添える。",
    ),
    min_chars=20,
)

EXERCISE = Exercise(
    id="03",
    title="グラフで伝える",
    notebook="03_showing_it.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
