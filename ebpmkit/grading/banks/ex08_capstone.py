"""Exercise 08 (capstone): a data-backed childcare proposal and its evaluation plan.

The learner prepares the evidence for a one-page proposal on nursery places: the ward's
waiting list at its peak, the district where it was longest *relative to its children* (ages
0-5 on 1 April, the childcare class ages), the table behind the map, the chart that shows
where, and a difference-in-differences estimate for a past expansion of places, then writes
the evaluation plan and the assumption it rests on.

The misconceptions are the ones staff really make with these data: summing every year's
waiting list, reading the latest year or the applications instead of the waiting list,
ranking districts by counts instead of rates, dividing by the wrong population (ages 0-6,
applications), leaving a rate as a fraction, and taking the treated districts' before/after
change, or the gap between groups after the expansion, as the effect.

The dataset is the urban ward at scale 0.1 (not 0.05): at 0.05 a district's waiting list is
a handful of children and the count and the rate point to the same district, so the "counts
instead of rates" misconception could not be told apart from the answer.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7')
>>> EXERCISE.max_points
100
"""

from __future__ import annotations

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

__all__ = ["EXERCISE", "district_panel", "expansion_panel", "peak_year"]

#: Ages counted as "children" for the rate: the childcare class ages 0-5 (age on 1 April).
CHILD_AGES = (0, 5)


def peak_year(ds: Dataset) -> int:
    """The fiscal year with the largest waiting list in the whole ward (the first on a tie)."""
    totals = ds.childcare_capacity.groupby("fiscal_year")["waiting"].sum()
    return int(totals.idxmax())


def _children(ds: Dataset, max_age: int = CHILD_AGES[1]) -> pd.DataFrame:
    ry = ds.resident_years
    kids = ry[ry["age"].between(CHILD_AGES[0], max_age)]
    return (
        kids.groupby(["fiscal_year", "district_code"], observed=True)
        .size()
        .rename("children")
        .reset_index()
    )


def district_panel(ds: Dataset, *, max_age: int = CHILD_AGES[1]) -> pd.DataFrame:
    """One row per fiscal year and district: places, applications, waiting, children, per100.

    ``per100`` is the waiting list per 100 children of ages 0 to ``max_age``.
    """
    cap = ds.childcare_capacity.copy()
    cap["district_code"] = cap["district_code"].astype(str)
    kids = _children(ds, max_age)
    kids["district_code"] = kids["district_code"].astype(str)
    panel = cap.merge(kids, on=["fiscal_year", "district_code"], how="left")
    panel["children"] = panel["children"].fillna(0).astype("int64")
    panel["per100"] = panel["waiting"] / panel["children"] * 100
    return panel


def _year_table(
    ds: Dataset, year: int | None = None, *, max_age: int = 5, per: str = "children"
) -> pd.DataFrame:
    """The answer table of one year; ``per`` is the denominator of per100 (a misconception)."""
    panel = district_panel(ds, max_age=max_age)
    year = peak_year(ds) if year is None else year
    now = panel[panel["fiscal_year"] == year].copy()
    now["per100"] = now["waiting"] / now[per] * 100
    return now[["district_code", "children", "waiting", "per100"]].reset_index(drop=True)


def _latest(ds: Dataset) -> int:
    return int(ds.childcare_capacity["fiscal_year"].max())


def _top(table: pd.DataFrame, column: str) -> str:
    return str(table.set_index("district_code")[column].idxmax())


def expansion_panel(ds: Dataset) -> pd.DataFrame:
    """The district panel around the expansion after the peak, with the treated flag.

    Years from two before the peak to the year after it; ``treated`` marks the districts whose
    places grew faster than the median district from the peak year to the next.
    """
    panel = district_panel(ds)
    peak = peak_year(ds)
    cap = panel.pivot(index="district_code", columns="fiscal_year", values="capacity")
    growth = cap[peak + 1] / cap[peak] - 1
    expanded = growth > growth.median()
    window = panel[panel["fiscal_year"].between(peak - 2, peak + 1)].copy()
    window["treated"] = window["district_code"].map(expanded).astype(bool)
    window["post"] = window["fiscal_year"] >= peak + 1
    return window.reset_index(drop=True)


def _cell_means(ds: Dataset) -> pd.DataFrame:
    window = expansion_panel(ds)
    return window.groupby(["treated", "post"])["per100"].mean().unstack("post")


def _did(ds: Dataset) -> float:
    m = _cell_means(ds)
    return float(
        (m.loc[True, True] - m.loc[True, False]) - (m.loc[False, True] - m.loc[False, False])
    )


def _treated_before_after(ds: Dataset) -> float:
    m = _cell_means(ds)
    return float(m.loc[True, True] - m.loc[True, False])


def _gap_after(ds: Dataset) -> float:
    m = _cell_means(ds)
    return float(m.loc[True, True] - m.loc[False, True])


def _ward_before_after(ds: Dataset) -> float:
    window = expansion_panel(ds)
    means = window.groupby("post")["per100"].mean()
    return float(means[True] - means[False])


def _constant(value: str):
    return lambda ds: value


Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt="{区}全体の待機児童数(4月1日時点)がいちばん多かった年度の、{区}全体の待機児童数は何人ですか。",
    concept="年度ごとに集計してから、ピークの年度の値を読む",
    expected=lambda ds: int(ds.childcare_capacity.groupby("fiscal_year")["waiting"].sum().max()),
    hints=(
        "childcare_capacity は「年度×住区」ごとに1行の表です。まず年度ごとに待機児童数(waiting)を合計します。",
        'cc.groupby("fiscal_year")["waiting"].sum() で、年度ごとの{区}全体の待機児童数が出ます。',
        "その中でいちばん大きい値は .max()、その年度は .idxmax() で分かります。",
    ),
    misconceptions=(
        Misconception(
            "all_years",
            lambda ds: int(ds.childcare_capacity["waiting"].sum()),
            "全年度の待機児童数を足し合わせています。同じ子どもが何年も続けて待機すると重ねて数えることにもなります。"
            "年度ごとに合計してから、いちばん多い年度の値を読みましょう。",
            label="全年度を合計した",
        ),
        Misconception(
            "latest_year",
            lambda ds: int(
                ds.childcare_capacity.loc[
                    ds.childcare_capacity["fiscal_year"] == _latest(ds), "waiting"
                ].sum()
            ),
            "最新年度の待機児童数になっています。聞いているのは、待機児童数がいちばん多かった年度の値です。",
            label="最新年度の値を答えた",
        ),
        Misconception(
            "applications",
            lambda ds: int(
                ds.childcare_capacity.loc[
                    ds.childcare_capacity["fiscal_year"] == peak_year(ds), "applications"
                ].sum()
            ),
            "申込み数(applications)になっています。待機児童は、申込みのうち入所できなかった子ども(waiting)です。",
            label="申込み数を答えた",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="choice",
    prompt=(
        "問題1の年度に、0〜5歳の子ども100人あたりの待機児童数がいちばん多い住区はどこですか。"
        "住区コード(例: D01)で答えてください。"
    ),
    concept="地域の比較は、人数ではなく、対象の人口あたりの率で行う",
    expected=lambda ds: _top(_year_table(ds), "per100"),
    options=lambda ds: [str(c) for c in ds.districts["district_code"]],
    hints=(
        "子どもの多い住区は、待機児童の「人数」も多くなりがちです。住区の子どもの数で割って比べます。",
        "子どもの数は resident_years から、その年度の0〜5歳(age が0以上5以下)の人を住区ごとに数えます。",
        "待機児童数 ÷ 0〜5歳の人数 × 100 を住区ごとに計算し、.idxmax() でいちばん大きい住区を取り出します。",
    ),
    misconceptions=(
        Misconception(
            "count_not_rate",
            lambda ds: _top(_year_table(ds), "waiting"),
            "待機児童の「人数」がいちばん多い住区を選んでいます。子どもの多い住区は人数も多くなりがちです。"
            "0〜5歳の子ども100人あたりで比べましょう。",
            label="率ではなく人数で比べた",
        ),
        Misconception(
            "latest_year",
            lambda ds: _top(_year_table(ds, _latest(ds)), "per100"),
            "最新年度の値で比べています。聞いているのは、{区}全体の待機児童数がいちばん多かった年度(問題1の年度)です。",
            label="最新年度で比べた",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=15,
    kind="table",
    prompt=(
        "問題1の年度について、住区ごとの表を作ってください。列は district_code(住区コード)、"
        "children(0〜5歳の人数)、waiting(待機児童数)、per100(0〜5歳100人あたりの待機児童数)の四つです。"
    ),
    concept="地図や提案書の根拠になる表を、分子と分母をそろえて作る",
    expected=lambda ds: _year_table(ds),
    atol=0.051,
    hints=(
        "0〜5歳の人数を住区ごとに数えた表と、childcare_capacity のその年度の行を、district_code で結合(merge)します。",
        'kids = now[now["age"] <= 5].groupby("district_code").size() のように数えてから、'
        '.rename("children").reset_index() で表にします。',
        'per100 = waiting / children * 100。最後に [["district_code", "children", "waiting", "per100"]] で列を選びます。',
    ),
    misconceptions=(
        Misconception(
            "ages_0_6",
            lambda ds: _year_table(ds, max_age=6),
            "6歳まで数えています。保育所のクラスは4月1日時点の0〜5歳なので、age <= 5 です。",
            label="0〜6歳で数えた",
        ),
        Misconception(
            "fraction",
            lambda ds: _year_table(ds).assign(per100=lambda t: t["per100"] / 100),
            "per100 が0〜1の割合になっています。「100人あたり」にするには100を掛けます。",
            label="100を掛けていない",
        ),
        Misconception(
            "per_application",
            lambda ds: _year_table(ds, per="applications"),
            "per100 を申込み数で割っています。ここで聞いているのは、住区に住む0〜5歳の子ども100人あたりです"
            "(申込みをしていない家庭も含めた、住区の子ども全体に対する大きさ)。",
            label="申込み数で割った",
        ),
        Misconception(
            "latest_year",
            lambda ds: _year_table(ds, _latest(ds)),
            "最新年度の表になっています。問題1の年度(待機児童数がいちばん多かった年度)で作りましょう。",
            label="最新年度で作った",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="chart",
    prompt=(
        "提案書に、住区ごとの「子ども100人あたりの待機児童数」を、{区}内のどのあたりに集中しているかが"
        "ひと目でわかるように載せます。どのグラフがいちばん合いますか。"
    ),
    concept="地域の違いと、その場所の広がりは塗り分け地図で示す",
    expected=_constant("地図(塗り分け)"),
    options=CHART_OPTIONS,
    hints=(
        "見せたいのは「どの住区か」だけでなく「{区}内のどのあたりか(隣り合う住区にまとまっているか)」です。",
        "ebpmkit.maps.choropleth は、住区ごとの値を色の濃さで塗り分けます。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            _constant("円グラフ"),
            "円グラフは全体に占める内訳を示すグラフです。住区ごとの「率」は足し合わせても全体にならないので、円グラフには向きません。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "bar",
            _constant("棒グラフ"),
            "棒グラフで住区の値の大小は比べられますが、住区が{区}内のどこにあり、隣どうしでまとまっているかは見えません。",
            label="棒グラフを選んだ",
        ),
        Misconception(
            "line",
            _constant("折れ線グラフ"),
            "折れ線グラフは時間の変化を示すグラフです。ここで見せたいのは、一つの年度の住区による違いです。",
            label="折れ線グラフを選んだ",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=15,
    kind="number",
    prompt=(
        "定員を大きく増やした住区(treated)と、そうでない住区を比べる差の差分析(DiD)で、"
        "定員増が0〜5歳100人あたりの待機児童数をどれだけ変えたかを推定してください。小数第2位まで答えてください。"
    ),
    concept="差の差分析: 処置群の変化から、比較群の変化(事業がなくても起きた変化)を引く",
    expected=_did,
    atol=0.006,
    hints=(
        "evaluate.did(panel, y=..., unit=..., time=..., treated=..., post=...) を使います。",
        'y="per100"、unit="district_code"、time="fiscal_year"、treated="treated"、post="post" です。',
        "結果の .estimate が推定値です。round(res.estimate, 2) で小数第2位にします。",
    ),
    misconceptions=(
        Misconception(
            "treated_before_after",
            _treated_before_after,
            "定員を増やした住区だけの前後比較になっています。この期間は{区}全体で待機児童が減っていたので、"
            "その減り方まで定員増の効果に数えてしまいます。比較群の変化を引きましょう(差の差分析)。",
            label="処置群だけの前後比較を効果とした",
        ),
        Misconception(
            "gap_after",
            _gap_after,
            "定員増の後の年度だけで、二つのグループの差を比べています。定員を増やした住区は、もともと待機児童が"
            "多かったかもしれません(くじ引きで選ばれたわけではありません)。事業前の差も使う差の差分析で推定しましょう。",
            label="事業後のグループの差を効果とした",
        ),
        Misconception(
            "ward_before_after",
            _ward_before_after,
            "すべての住区をまとめた前後比較になっています。これは{区}全体の変化で、定員増の効果ではありません。"
            "treated で二つのグループに分けて比べましょう。",
            label="全住区の前後比較を効果とした",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=20,
    kind="text",
    prompt=(
        "あなたの提案(どの住区で定員を増やすか)の評価計画を書いてください。"
        "成果の指標、比べる相手(比較群)、比べる時期、使う方法(前後比較か差の差分析か)とその理由を含めてください。"
    ),
    concept="評価計画: 指標・比較群・時期・方法を事業の前に決める",
    expected=None,
    min_chars=30,
    hints=(
        "成果の指標は「0〜5歳100人あたりの待機児童数」のように、住区の大きさに左右されないものにします。",
        "比較群は「同じ年度に定員を増やさなかった住区」など、事業がなかったらどうなったかを示す相手です。"
        "前後比較だけでは、{区}全体の変化(子どもの数、無償化など)まで効果に見えてしまいます。",
    ),
)

Q7 = Question(
    id="q7",
    points=20,
    kind="text",
    prompt=(
        "その評価計画は、どんな前提(仮定)に立っていますか。その前提が成り立っていそうかを、"
        "事業の前にどう確かめますか。あなたの言葉で書いてください。"
    ),
    concept="平行トレンドの仮定と、その確かめ方(事業前の推移を比べる)",
    expected=None,
    min_chars=20,
    hints=(
        "evaluate.did の結果の .reading() に、前提が書いてあります。",
        "定員を増やさなかったら、二つのグループの待機児童の率は同じ幅で動いていたはずでしょうか。"
        "それは evaluate.plot_trends で事業前の推移を描くと確かめられます。",
    ),
)

EXERCISE = Exercise(
    id="08",
    title="データにもとづく保育の政策提案と評価計画(総合演習)",
    notebook="08_capstone.ipynb",
    # Its own seed (the class's plus 2): on the class's plus 3 (EXERCISE_SEED_OFFSET) the
    # district with the most waiting children per 100 is also the one with the most children
    # waiting, so q2's misconception would get the answer right (`ebpmkit build --check`).
    data=DatasetConfig(profile="urban-ward", seed=20250403, scale=0.1),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
