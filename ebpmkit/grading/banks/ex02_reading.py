"""Exercise 02 (reading resident data): households, population and ageing by area and year.

Seven questions on ``resident_years`` (one row per resident per fiscal year, as of 1 April):
households in one area, the population change over the period, a pivot table of population by
area and year, the share of single-person households, the area that aged most, a chart choice
and a free-text reflection. Each misconception is a mistake staff really make with register
data: counting persons instead of households, reading ``residents`` (everyone ever registered)
or ``households`` (every household that ever existed) as if they were a snapshot, forgetting to
filter the year, swapping rows and columns, and comparing levels instead of changes.

The area asked about, 南部, exists in every built-in profile.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7')
>>> EXERCISE.max_points
80
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = ["AREA", "EXERCISE"]

# The area of question 1 (present in the urban-ward, regional-city and town profiles).
AREA = "南部"


def _year(ds: Dataset, which: str = "last") -> pd.DataFrame:
    """The register on 1 April of the first or the last fiscal year."""
    ry = ds.resident_years
    year = ry["fiscal_year"].max() if which == "last" else ry["fiscal_year"].min()
    return ry[ry["fiscal_year"] == year]


def _households_in_area(frame: pd.DataFrame) -> int:
    return int(frame.loc[frame["area"] == AREA, "household_id"].nunique())


def _population_change(ds: Dataset) -> int:
    return len(_year(ds, "last")) - len(_year(ds, "first"))


def _pivot(ds: Dataset, *, households: bool = False) -> pd.DataFrame:
    """Rows: area; columns: fiscal year; values: persons (or households)."""
    ry = ds.resident_years
    return ry.pivot_table(
        index="area",
        columns="fiscal_year",
        values="household_id" if households else "person_id",
        aggfunc="nunique" if households else "count",
        observed=True,
    )


def _single_households(ds: Dataset) -> int:
    # The first year, not the latest: lesson 02 prints the latest year's share as its worked
    # example, and the exercise must not be answerable by copying it.
    sizes = _year(ds, "first").groupby("household_id").size()
    return int((sizes == 1).sum())


def _single_share(ds: Dataset) -> float:
    sizes = _year(ds, "first").groupby("household_id").size()
    return float((sizes == 1).mean() * 100)


def _elderly_share(ds: Dataset) -> pd.DataFrame:
    """Share of residents aged 65+ (%), rows fiscal year, columns area."""
    ry = ds.resident_years
    old = ry["age"] >= 65
    return old.groupby([ry["fiscal_year"], ry["area"]], observed=True).mean().unstack() * 100


def _change(table: pd.DataFrame) -> pd.Series:
    return table.loc[table.index.max()] - table.loc[table.index.min()]


Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt=f"最新年度(4月1日時点)に、{AREA}地区には何世帯ありましたか。",
    concept="世帯の数は、その時点の世帯IDの種類の数で数える",
    expected=lambda ds: _households_in_area(_year(ds)),
    hints=(
        "世帯の数は、resident_years の household_id(世帯ID)の種類の数です。"
        "一つの世帯に何人いても、1世帯と数えます。",
        f"最新年度の行と {AREA} の行の両方に当てはまる行に絞ります: "
        f'sub = ry[(ry["fiscal_year"] == 最新年度) & (ry["area"] == "{AREA}")]',
        'sub["household_id"].nunique() で、重なりを除いた世帯IDの数が出ます。',
    ),
    misconceptions=(
        Misconception(
            "persons",
            lambda ds: int((_year(ds)["area"] == AREA).sum()),
            "人数(行の数)を数えています。resident_years は1人1行なので、行を数えると人口になります。"
            "世帯の数は household_id の種類の数(.nunique())で数えます。",
            label="世帯ではなく人数を数えた",
        ),
        Misconception(
            "households_table",
            lambda ds: int((ds.households["area"] == AREA).sum()),
            "households は、期間中に一度でも存在したすべての世帯の一覧で、転出したり、"
            "なくなったりした世帯も含みます。ある時点の世帯数は、resident_years を年度で絞って数えます。",
            label="households(期間中のすべての世帯)を数えた",
        ),
        Misconception(
            "all_years",
            lambda ds: _households_in_area(ds.resident_years),
            "年度で絞らずに数えたため、期間中のどこかの年度にいた世帯を全部数えています。"
            "最新年度の行だけに絞ってから数えましょう。",
            label="年度で絞らなかった",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="number",
    prompt="{区}全体の人口は、最初の年度から最新年度までに何人増えましたか(減ったときはマイナスの数)。",
    concept="二つの時点の人口を、同じ台帳(4月1日時点)から数えて引き算する",
    expected=_population_change,
    hints=(
        "最新年度の人口から、最初の年度の人口を引きます。どちらも resident_years で数えます。",
        '最初の年度は ry["fiscal_year"].min()、最新年度は ry["fiscal_year"].max() です。',
        '年度ごとの人口は ry.groupby("fiscal_year").size() でまとめて出せます。'
        "その最後の値から最初の値を引きます。",
    ),
    misconceptions=(
        Misconception(
            "reversed",
            lambda ds: -_population_change(ds),
            "引き算の順番が逆です。「増えた人数」は、新しい年度の人口 − 古い年度の人口 です。",
            label="引き算の順番が逆",
        ),
        Misconception(
            "ever_registered",
            lambda ds: len(ds.residents) - len(_year(ds, "first")),
            "residents は、期間中に一度でも登録された人の一覧(転出した人、亡くなった人も含む)"
            "なので、ある時点の人口ではありません。最新年度の人口は resident_years を年度で絞って数えます。",
            label="residents(登録されたことのある全員)を最新の人口とした",
        ),
        Misconception(
            "households",
            lambda ds: (
                _year(ds)["household_id"].nunique() - _year(ds, "first")["household_id"].nunique()
            ),
            "世帯数の増減になっています。聞いているのは人口(人数)の増減です。",
            label="人口ではなく世帯数の増減",
        ),
        Misconception(
            "percent",
            lambda ds: _population_change(ds) / len(_year(ds, "first")) * 100,
            "増加率(%)になっています。聞いているのは増えた人数です。",
            label="人数ではなく増加率(%)",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=15,
    kind="table",
    prompt="地区(area)を行、年度(fiscal_year)を列にして、各年度4月1日時点の人口(人数)の表を作ってください。",
    concept="ピボットテーブル(クロス集計)で、地域×年度の人数をまとめる",
    expected=lambda ds: _pivot(ds),
    hints=(
        "pandas の pivot_table を使うと、行と列を指定して集計した表が作れます。",
        '行(index)は "area"、列(columns)は "fiscal_year" です。'
        "人数を数えるので、1人1行の列(person_id)の個数を数えます。",
        'ry.pivot_table(index="area", columns="fiscal_year", values="person_id", aggfunc="count")',
    ),
    misconceptions=(
        Misconception(
            "transposed",
            lambda ds: _pivot(ds).T,
            "行と列が逆になっています。行(index)に地区、列(columns)に年度を指定しましょう。",
            label="行と列が逆",
        ),
        Misconception(
            "households",
            lambda ds: _pivot(ds, households=True),
            "世帯数の表になっています(世帯IDの種類の数)。聞いているのは人口(人数)なので、"
            "1人1行の person_id の個数(count)を数えます。",
            label="人口ではなく世帯数を集計",
        ),
        Misconception(
            "share",
            lambda ds: _pivot(ds) / _pivot(ds).sum() * 100,
            "各年度の中での割合(%)になっています。聞いているのは人数そのものです。",
            label="人数ではなく割合にした",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=15,
    kind="number",
    prompt="最初の年度に、単身世帯(世帯員が1人の世帯)は全世帯の何%ですか。小数第1位まで答えてください。",
    concept="世帯の割合は、世帯を単位にして分子と分母を同じ年度でそろえる",
    expected=_single_share,
    atol=0.05,
    hints=(
        "まず最初の年度の行に絞り、世帯(household_id)ごとに人数を数えます。",
        'first を最初の年度の表とすると、sizes = first.groupby("household_id").size() で'
        "世帯ごとの人数が出ます(1世帯1行)。",
        "人数が1の世帯の割合は (sizes == 1).mean() * 100 です。分母は世帯の数です。",
    ),
    misconceptions=(
        Misconception(
            "per_person",
            lambda ds: _single_households(ds) / len(_year(ds, "first")) * 100,
            "単身世帯の数を人口(人数)で割っています。これは「一人暮らしの人の割合」です。"
            "世帯の割合なので、分母は世帯の数にします。",
            label="分母を人数にした(世帯ではなく人で数えた)",
        ),
        Misconception(
            "households_table",
            lambda ds: _single_households(ds) / len(ds.households) * 100,
            "分母が households の全行(期間中に一度でも存在した世帯すべて)になっています。"
            "分母も最初の年度の世帯数にそろえましょう。",
            label="分母に households の全行を使った",
        ),
        Misconception(
            "no_year_filter",
            lambda ds: float((ds.resident_years.groupby("household_id").size() == 1).mean() * 100),
            "年度で絞らずに世帯ごとの行数を数えたので、同じ世帯の何年度分もの行が合算されています。"
            "先に最初の年度の行だけに絞りましょう。",
            label="年度で絞らずに世帯の人数を数えた",
        ),
        Misconception(
            "all_years_pooled",
            lambda ds: float(
                (ds.resident_years.groupby(["fiscal_year", "household_id"]).size() == 1).mean()
                * 100
            ),
            "全年度をまとめた割合になっています(分母がすべての年度の世帯)。"
            "最初の年度の世帯だけで計算しましょう。",
            label="全年度をまとめて割合を出した",
        ),
        Misconception(
            "latest_year",
            lambda ds: float((_year(ds).groupby("household_id").size() == 1).mean() * 100),
            "最新年度の割合になっています。聞いているのは最初の年度です。"
            'ry["fiscal_year"].min() の年度に絞りましょう。',
            label="最初の年度ではなく最新年度で計算した",
        ),
        Misconception(
            "fraction",
            lambda ds: _single_share(ds) / 100,
            "0〜1の割合になっています。%で答えるには100を掛けます。",
            label="%にしていない(0〜1の割合)",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=10,
    kind="choice",
    prompt="最初の年度から最新年度までに、65歳以上の人の割合(高齢化率)がいちばん大きく上がった地区はどこですか。",
    concept="地域の比較は、水準ではなく変化(差)を、人数ではなく割合で見る",
    expected=lambda ds: str(_change(_elderly_share(ds)).idxmax()),
    options=lambda ds: [str(a) for a in ds.resident_years["area"].cat.categories],
    hints=(
        "地区ごと・年度ごとの高齢化率(65歳以上の人数 ÷ 人口)を計算し、最新年度の値から最初の年度の値を引きます。"
        "人数の増え方ではなく、割合の変化で比べます。",
        'share = (ry["age"] >= 65).groupby([ry["fiscal_year"], ry["area"]]).mean().unstack() * 100'
        " で、行が年度、列が地区の高齢化率の表になります。",
        "差は share.loc[最新年度] - share.loc[最初の年度]、いちばん大きい地区は .idxmax() で分かります。",
    ),
    # The data make the fastest-ageing area differ from the oldest one (the estate in
    # synth/population.py; the ground truth names both). No "smallest rise" misconception:
    # older areas' shares drift back toward the average as young newcomers settle everywhere,
    # so the smallest rise is usually the oldest area, the same answer as the level mistake.
    misconceptions=(
        Misconception(
            "level_not_change",
            lambda ds: str(_elderly_share(ds).iloc[-1].idxmax()),
            "最新年度の高齢化率がいちばん高い地区を選んでいます。聞いているのは"
            "「どれだけ上がったか」(最新年度 − 最初の年度)です。",
            label="変化ではなく最新年度の水準で選んだ",
        ),
    ),
)


def _constant(value: str):
    return lambda ds: value


Q6 = Question(
    id="q6",
    points=10,
    kind="chart",
    prompt="地区ごとの人口の推移(年度ごとの変化)を、地区どうしで比べながら示すには、どのグラフがいちばん合いますか。",
    concept="時間の変化は折れ線グラフで示す",
    expected=_constant("折れ線グラフ"),
    hints=(
        "見せたいのは「年度とともにどう変わったか」です。横軸に年度を並べるグラフを考えましょう。",
        "地区ごとに1本ずつ線を引けば、増え方・減り方を地区どうしで比べられます。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            _constant("円グラフ"),
            "円グラフは、ある1時点の内訳(全体に占める割合)を示すグラフで、年度ごとの変化は読み取れません。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "map",
            _constant("地図(塗り分け)"),
            "塗り分け地図は、ある1時点の地域の違いを見るのに向いています。"
            "年度ごとの変化を追うには、横軸に年度をとるグラフが向いています。",
            label="地図を選んだ",
        ),
        Misconception(
            "stacked",
            _constant("積み上げ棒グラフ"),
            "積み上げ棒グラフは、全体の大きさと内訳を示すのに向いています。"
            "下の段以外の地区は基準の高さがそろわないので、地区ごとの増減が読み取りにくくなります。",
            label="積み上げ棒グラフを選んだ",
        ),
        Misconception(
            "histogram",
            _constant("ヒストグラム"),
            "ヒストグラムは、一つの数量(年齢など)のばらつきを示すグラフです。時間の変化には使いません。",
            label="ヒストグラムを選んだ",
        ),
    ),
)

Q7 = Question(
    id="q7",
    points=10,
    kind="text",
    prompt=(
        "この練習問題で見つけた変化(人口の増減、単身世帯の割合、地区ごとの高齢化の違いなど)を一つ選び、"
        "その理由として考えられることと、それを確かめるために次に見たいデータを書いてください。"
    ),
    concept="集計の結果から仮説を立て、確かめるためのデータを考える",
    expected=None,
    hints=(
        "たとえば「どの年齢の人が増えたか・減ったか」「転入・転出・出生・死亡のどれが効いているか」を考えてみましょう。",
        "residents の entry_reason(登録理由)や exit_reason(消除理由)を使うと、"
        "人口の変化が転入・転出によるのか、出生・死亡によるのかを調べられます。",
    ),
    min_chars=30,
)

EXERCISE = Exercise(
    id="02",
    title="住民データを読む(世帯・人口・高齢化)",
    notebook="02_reading_resident_data.ipynb",
    data=DatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
