"""Exercise 05 (protecting people): identifiers, k-anonymity, l-diversity and small cells.

Six questions on the raw variant of the fictional ward (the identifying layer included, scale
0.05): the k of a register over given quasi-identifiers, the records at risk for k = 3, which
columns are direct identifiers (a table), the cells to suppress in a cross-table (primary and
secondary), l-diversity of the long-term-care register, and a free-text question on keyed
pseudonyms. The misconceptions are mistakes staff really make: counting the combinations
instead of the smallest class, forgetting a quasi-identifier, counting classes instead of
records, reading "fewer than k" as "k or fewer", suppressing only the small cells, and giving
k (or the number of classes) for l.

The exercise needs the raw variant, so its dataset configuration loads ``variant="raw"``
(:class:`RawDatasetConfig`); the answers are computed with :mod:`ebpmkit.anonymize`.

Examples
--------
>>> EXERCISE.ids
('q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7')
>>> EXERCISE.max_points
70
>>> EXERCISE.data.variant
'raw'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ebpmkit.anonymize import (
    DIRECT_IDENTIFIERS,
    age_band,
    k_anonymity,
    l_diversity,
    suppress_small_cells,
)
from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question

if TYPE_CHECKING:
    from ebpmkit.dataset import Dataset

__all__ = [
    "AGE_CLASSES",
    "EXERCISE",
    "Q3_COLUMNS",
    "RawDatasetConfig",
    "age_classes",
    "latest_ltc",
    "latest_register",
]


@dataclass(frozen=True)
class RawDatasetConfig(DatasetConfig):
    """A :class:`DatasetConfig` that loads the raw variant (names, addresses, phone numbers).

    Examples
    --------
    >>> RawDatasetConfig(scale=0.05).variant
    'raw'
    """

    # Only the variant differs: the class's profile and seed (DatasetConfig.resolve) still apply.
    variant: str = "raw"


#: Long-term-care age classes (the second-insured 40-64, then the usual 10-year steps).
AGE_CLASSES = ("40〜64歳", "65〜74歳", "75〜84歳", "85歳以上")

#: Columns of ``identities`` the learner classifies in q3.
Q3_COLUMNS = ("resident_code", "name_kanji", "name_kana", "birth_date", "sex", "address", "phone")

# Quasi-identifiers of q1 and q2 (age20 is the 20-year band made in the notebook).
Q1_QI = ["age20", "sex", "district_code"]
Q2_QI = [*Q1_QI, "nationality"]
L_QI = ["age_class", "sex"]


def latest_register(ds: Dataset) -> pd.DataFrame:
    """The latest fiscal year of ``resident_years`` with ``age20`` (20-year bands, 80+ as one).

    This is the table the exercise notebook builds before q1.
    """
    ry = ds.resident_years
    now = ry[ry["fiscal_year"] == ry["fiscal_year"].max()].copy()
    now["age20"] = age_band(now["age"], width=20, top=80)
    return now


def age_classes(ages: pd.Series) -> pd.Series:
    """Long-term-care age classes as text (40-64, 65-74, 75-84, 85 and over)."""
    cut = pd.cut(ages, bins=[0, 64, 74, 84, 200], labels=list(AGE_CLASSES))
    return cut.astype(str)


def latest_ltc(ds: Dataset) -> pd.DataFrame:
    """The latest fiscal year of ``ltc`` with ``age_class`` (text).

    This is the table the exercise notebook builds before q4 and q5.
    """
    ltc = ds.ltc
    last = ltc[ltc["fiscal_year"] == ltc["fiscal_year"].max()].copy()
    last["age_class"] = age_classes(last["age"])
    return last


def _sizes(frame: pd.DataFrame, qi: list[str]) -> pd.Series:
    return frame.groupby(qi, observed=True, dropna=False).size()


def _k(frame: pd.DataFrame, qi: list[str]) -> int:
    return k_anonymity(frame, qi)


def _at_risk(frame: pd.DataFrame, qi: list[str], *, at_most: bool = False) -> int:
    sizes = _sizes(frame, qi)
    return int(sizes[sizes <= 3].sum() if at_most else sizes[sizes < 3].sum())


def _identifier_table(flip: tuple[str, ...] = (), *, all_true: bool = False) -> pd.DataFrame:
    direct = [True if all_true else (c in DIRECT_IDENTIFIERS) != (c in flip) for c in Q3_COLUMNS]
    return pd.DataFrame({"列": list(Q3_COLUMNS), "直接識別子": direct})


def _ltc_table(ds: Dataset) -> pd.DataFrame:
    last = latest_ltc(ds)
    # Districts, not areas: the finer table has many small cells spread over every age class,
    # so primary and secondary suppression differ in number. With areas the few small cells
    # sat among 40-64-year-olds, each got one partner, and the two counts could be equal.
    return pd.crosstab(last["district_code"], last["age_class"])


def _suppressed(ds: Dataset, part: str = "all", *, threshold: int = 3) -> int:
    res = suppress_small_cells(_ltc_table(ds), threshold=threshold)
    if part == "primary":
        return int(res.primary.to_numpy().sum())
    if part == "secondary":
        return int(res.secondary.to_numpy().sum())
    return int(res.suppressed.to_numpy().sum())


def _classes(ds: Dataset) -> int:
    return len(_sizes(latest_ltc(ds), L_QI))


Q1 = Question(
    id="q1",
    points=10,
    kind="number",
    prompt=(
        "最新年度の住民(resident_years)について、準識別子を 年齢の20歳階級(age20)・性別・住区"
        "(district_code)としたとき、k-匿名性の k はいくつですか。"
    ),
    concept="k は最も小さい同値類の人数(すべての準識別子で数える)",
    expected=lambda ds: _k(latest_register(ds), Q1_QI),
    hints=(
        "同値類は、準識別子の値がすべて同じ行のまとまりです。k はその人数のいちばん小さい値です。",
        "準識別子は age20・sex・district_code の三つです。一つでも抜けると同値類が大きくなります。",
        'anonymize.k_anonymity(now, ["age20", "sex", "district_code"]) で求められます。',
    ),
    misconceptions=(
        Misconception(
            "distinct_combinations",
            lambda ds: len(_sizes(latest_register(ds), Q1_QI)),
            "これは準識別子の組み合わせ(同値類)の数です。k は同値類の「数」ではなく、"
            "いちばん小さい同値類の「人数」です。",
            label="組み合わせの数を答えた",
        ),
        Misconception(
            "largest_class",
            lambda ds: int(_sizes(latest_register(ds), Q1_QI).max()),
            "いちばん大きい同値類の人数になっています。k は、いちばん小さい同値類の人数(min)です。",
            label="最大の同値類の人数を答えた",
        ),
        Misconception(
            "forgot_district",
            lambda ds: _k(latest_register(ds), ["age20", "sex"]),
            "住区(district_code)が準識別子から抜けています。三つの準識別子をすべて使って数えましょう。",
            label="住区を準識別子から落とした",
        ),
        Misconception(
            "forgot_sex",
            lambda ds: _k(latest_register(ds), ["age20", "district_code"]),
            "性別(sex)が準識別子から抜けています。三つの準識別子をすべて使って数えましょう。",
            label="性別を準識別子から落とした",
        ),
        Misconception(
            "exact_age",
            lambda ds: _k(latest_register(ds), ["age", "sex", "district_code"]),
            "1歳きざみの年齢(age)で数えています。問題の準識別子は20歳階級(age20)です。",
            label="階級ではなく1歳きざみの年齢を使った",
        ),
        Misconception(
            "all_years",
            lambda ds: _k(
                ds.resident_years.assign(
                    age20=age_band(ds.resident_years["age"], width=20, top=80)
                ),
                Q1_QI,
            ),
            "全年度の行で数えています。同じ人が年度の数だけ重なるので、同値類が大きく見えます。"
            "最新年度の行だけで数えましょう。",
            label="全年度の行で数えた",
        ),
    ),
)

Q2 = Question(
    id="q2",
    points=10,
    kind="number",
    prompt=(
        "q1 の準識別子に国籍(nationality)を加えます。k = 3 を目標にしたとき、"
        "リスクのある(同値類の人数が3人未満の)レコードは何件ですか。"
    ),
    concept="リスクのあるレコードは、k 未満の同値類に入っている行の数",
    expected=lambda ds: _at_risk(latest_register(ds), Q2_QI),
    hints=(
        "準識別子は age20・sex・district_code・nationality の四つです。",
        "同値類ごとの人数を数え、人数が3未満(1人か2人)の同値類に入っている行を数えます。",
        'len(anonymize.records_at_risk(now, ["age20", "sex", "district_code", "nationality"], k=3))',
    ),
    misconceptions=(
        Misconception(
            "classes_not_records",
            lambda ds: int((_sizes(latest_register(ds), Q2_QI) < 3).sum()),
            "これは3人未満の同値類の「数」です。聞いているのはレコード(行)の数です。"
            "2人の同値類には2件のレコードがあります。",
            label="同値類の数を数えた",
        ),
        Misconception(
            "at_most_k",
            lambda ds: _at_risk(latest_register(ds), Q2_QI, at_most=True),
            "3人の同値類まで数えています。k = 3 を満たすのは3人以上の同値類なので、"
            "リスクがあるのは3人「未満」(1人か2人)の同値類です。",
            label="3人以下(<=)で数えた",
        ),
        Misconception(
            "unique_only",
            lambda ds: int((_sizes(latest_register(ds), Q2_QI) == 1).sum()),
            "1人だけの同値類しか数えていません。2人の同値類も k = 3 を満たしません。",
            label="1人だけの同値類しか数えなかった",
        ),
        Misconception(
            "forgot_nationality",
            lambda ds: _at_risk(latest_register(ds), Q1_QI),
            "国籍(nationality)が準識別子に入っていません。q1 の三つに国籍を加えた四つで数えましょう。",
            label="国籍を加えなかった",
        ),
        Misconception(
            "safe_records",
            lambda ds: len(latest_register(ds)) - _at_risk(latest_register(ds), Q2_QI),
            "k = 3 を満たしている(安全な)レコードの数になっています。聞いているのは満たさない方です。",
            label="安全なレコードを数えた",
        ),
    ),
)

Q3 = Question(
    id="q3",
    points=10,
    kind="table",
    prompt=(
        "identities 表の列 resident_code・name_kanji・name_kana・birth_date・sex・address・phone "
        "のそれぞれが直接識別子かどうかを、列「列」と「直接識別子」(True/False)の表で答えてください。"
    ),
    concept="直接識別子(それだけで本人にたどり着ける)と準識別子(組み合わせると分かる)の区別",
    expected=lambda ds: _identifier_table(),
    hints=(
        "直接識別子は、それだけで本人にたどり着ける情報です。準識別子は、一つでは大勢に当てはまるが、"
        "組み合わせると本人が分かる情報です。",
        "氏名は漢字でもカナでも、本人にたどり着けます。役所の中で使う番号も、台帳を引けば本人が分かります。",
        "生年月日と性別は、それだけでは大勢に当てはまります(準識別子)。",
    ),
    misconceptions=(
        Misconception(
            "kana_not_direct",
            lambda ds: _identifier_table(("name_kana",)),
            "氏名のカナ(読み)も、氏名と同じく本人にたどり着ける直接識別子です。",
            label="カナ氏名を直接識別子にしなかった",
        ),
        Misconception(
            "birth_date_direct",
            lambda ds: _identifier_table(("birth_date",)),
            "生年月日は、同じ日に生まれた人が大勢いるので、それだけでは本人に決まりません。"
            "ほかの項目と組み合わせると分かる準識別子です(一般化して扱います)。",
            label="生年月日を直接識別子にした",
        ),
        Misconception(
            "code_not_direct",
            lambda ds: _identifier_table(("resident_code",)),
            "宛名番号は役所の中の番号ですが、台帳を引けば一人に決まり、記録どうしもつなげます。"
            "直接識別子として削除します。",
            label="宛名番号を直接識別子にしなかった",
        ),
        Misconception(
            "everything_direct",
            lambda ds: _identifier_table(all_true=True),
            "すべてを直接識別子にしています。性別や生年月日は、それだけでは本人に決まらない準識別子です。",
            label="すべての列を直接識別子にした",
        ),
    ),
)

Q4 = Question(
    id="q4",
    points=10,
    kind="number",
    prompt=(
        "最新年度の介護保険の認定者を、住区(district_code)× 年齢区分(age_class)で集計した表を公表します。"
        "3人未満のセルを秘匿し、合計から逆算されないよう二次秘匿もするとき、合計の行・列も含めて"
        "秘匿するセルは全部でいくつですか。"
    ),
    concept="小さいセルの秘匿は、一次秘匿と二次秘匿(逆算の防止)を合わせて行う",
    expected=lambda ds: _suppressed(ds),
    hints=(
        "1〜2人のセル(一次秘匿)だけを隠すと、同じ行・列の合計から引き算で分かってしまいます。",
        "anonymize.suppress_small_cells(table, threshold=3) が、一次秘匿と二次秘匿をまとめて行います。",
        "結果の .suppressed は秘匿するセルが True の表です。.to_numpy().sum() で数えられます。",
    ),
    misconceptions=(
        Misconception(
            "primary_only",
            lambda ds: _suppressed(ds, "primary"),
            "3人未満のセル(一次秘匿)しか数えていません。合計から逆算されないよう、"
            "ほかのセルも秘匿します(二次秘匿)。両方を合わせて数えましょう。",
            label="一次秘匿だけを数えた",
        ),
        Misconception(
            "secondary_only",
            lambda ds: _suppressed(ds, "secondary"),
            "二次秘匿のセルしか数えていません。3人未満のセル(一次秘匿)も秘匿するセルです。",
            label="二次秘匿だけを数えた",
        ),
        Misconception(
            "threshold_4",
            lambda ds: _suppressed(ds, threshold=4),
            "3人のセルまで秘匿しています。「3人未満」は1人と2人です(threshold=3)。",
            label="3人以下を秘匿した",
        ),
    ),
)

Q5 = Question(
    id="q5",
    points=10,
    kind="number",
    prompt=(
        "最新年度の介護保険の認定者について、準識別子を 年齢区分(age_class)・性別、"
        "機微な情報を要介護度(level)としたとき、l-多様性の l はいくつですか。"
    ),
    concept="l は同値類の中の機微な情報の種類数の最小値",
    expected=lambda ds: l_diversity(latest_ltc(ds), L_QI, "level"),
    hints=(
        "同値類(年齢区分と性別が同じ人のまとまり)ごとに、要介護度が何種類あるかを数えます。",
        "その種類数のうち、いちばん小さい値が l です。",
        'anonymize.l_diversity(last, ["age_class", "sex"], "level") で求められます。',
    ),
    misconceptions=(
        Misconception(
            "gave_k",
            lambda ds: _k(latest_ltc(ds), L_QI),
            "これは k(いちばん小さい同値類の人数)です。l は人数ではなく、"
            "同値類の中の要介護度の「種類数」のいちばん小さい値です。",
            label="l ではなく k を答えた",
        ),
        Misconception(
            "forgot_sex",
            lambda ds: l_diversity(latest_ltc(ds), ["age_class"], "level"),
            "性別(sex)が準識別子から抜けています。同値類は年齢区分と性別の両方が同じ人のまとまりです。",
            label="性別を準識別子から落とした",
        ),
        Misconception(
            "classes",
            lambda ds: _classes(ds),
            "同値類の数になっています。l は、同値類の中の要介護度の種類数のいちばん小さい値です。",
            label="同値類の数を答えた",
        ),
    ),
)

Q6 = Question(
    id="q6",
    points=10,
    kind="text",
    prompt=(
        "個人IDを鍵つきの仮名(キー付きハッシュ)に置き換えた表は、それだけでは匿名とはいえません。"
        "なぜですか。あなたの言葉で説明してください。"
    ),
    concept="仮名化は再識別を防がない(鍵と準識別子)",
    expected=None,
    hints=(
        "鍵を持っている人は、知っている個人IDから仮名を計算できます。",
        "鍵が守られていても、表に残っている年齢・性別・住区などの組み合わせから、一人に絞れる人がいます。",
    ),
    min_chars=20,
)

Q7 = Question(
    id="q7",
    points=10,
    kind="chart",
    prompt=(
        "町丁ごとの外国籍の住民数を公表します。1〜2人の町丁は秘匿します。"
        "どこに多いかを伝え、秘匿した町丁も秘匿したと分かるように示すには、どの図を使いますか。"
    ),
    concept="秘匿したセルは「0」や空白と区別できる形で示す",
    expected=lambda ds: "地図(塗り分け)",
    hints=(
        "伝えたいのは「どこに」多いかです。場所が分かる図を考えましょう。",
        "塗り分け地図なら、秘匿した町丁を斜線などで「秘匿」と示せます。",
    ),
    misconceptions=(
        Misconception(
            "pie",
            lambda ds: "円グラフ",
            "円グラフでは場所が分からず、88の町丁を切り分けると読めません。"
            "秘匿した町丁をどう示すかも分からなくなります。",
            label="円グラフを選んだ",
        ),
        Misconception(
            "bar",
            lambda ds: "棒グラフ",
            "棒グラフでは秘匿した町丁の棒が「0」に見えてしまいがちで、場所も分かりません。"
            "場所を見せながら秘匿を区別できる図を考えましょう。",
            label="棒グラフを選んだ",
        ),
    ),
)

EXERCISE = Exercise(
    id="05",
    title="住民を守る",
    notebook="05_protecting_people.ipynb",
    data=RawDatasetConfig(profile="urban-ward", scale=0.05),
    questions=(Q1, Q2, Q3, Q4, Q5, Q6, Q7),
)
