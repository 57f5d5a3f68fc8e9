"""Questions as data: validation, answer encoding and the judging rule for every kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ParameterError
from ebpmkit.grading.questions import (
    CHART_OPTIONS,
    Misconception,
    Question,
    decode_answer,
    encode_answer,
    evaluate,
    exercise_ids,
    get_exercise,
)


def judge(q: Question, answer, hint_level: int = 1):
    """Judge as check() does: through the JSON encoding."""
    return evaluate(
        q, decode_answer(encode_answer(answer)), q.key_entry(None), hint_level=hint_level
    )


NUMBER = Question(
    id="n",
    points=4,
    kind="number",
    prompt="",
    expected=lambda ds: 19.91,
    atol=0.05,
    hints=("一つ目", "二つ目"),
    misconceptions=(Misconception("fraction", lambda ds: 0.1991, "100を掛けます。"),),
)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (19.9, "correct"),
        (np.float32(19.93), "correct"),
        ("19.9%", "correct"),
        ("１９．９", "correct"),
        (19.8, "wrong"),
        (0.1991, "misconception"),
        (..., "unanswered"),
        (None, "unanswered"),
        ("", "unanswered"),
        ("たくさん", "invalid"),
        (True, "invalid"),
        (float("nan"), "invalid"),
        (pd.Series([19.9]), "invalid"),
        (object(), "invalid"),
    ],
)
def test_number(answer, outcome):
    v = judge(NUMBER, answer)
    assert v.outcome == outcome
    assert v.points == (4 if outcome == "correct" else 0)
    assert "19.91" not in str(v)


def test_wrong_answer_repeats_the_hint_the_learner_reached():
    assert "一つ目" in judge(NUMBER, 3).hint
    assert "二つ目" in judge(NUMBER, 3, hint_level=2).hint
    assert "二つ目" in judge(NUMBER, 3, hint_level=9).hint


def test_choice_and_chart():
    q = Question(
        id="c",
        points=1,
        kind="choice",
        prompt="",
        expected=lambda ds: "東部",
        options=("北部", "東部"),
    )
    assert judge(q, " 東部 ").outcome == "correct"
    assert judge(q, "北部").outcome == "wrong"
    bad = judge(q, "南部")
    assert bad.outcome == "invalid" and "北部、東部" in bad.message
    assert judge(q, pd.Series(["東部"])).outcome == "invalid"
    chart = Question(id="g", points=1, kind="chart", prompt="", expected=lambda ds: "折れ線グラフ")
    assert chart.key_entry(None).options == CHART_OPTIONS
    assert judge(chart, "折れ線グラフ").outcome == "correct"
    assert judge(chart, "棒グラフ").outcome == "wrong"


def test_table_ignores_row_order_and_tolerates_rounding():
    expected = pd.DataFrame({"area": ["北部", "東部"], "share": [0.1759, 0.2105]})
    q = Question(
        id="t",
        points=2,
        kind="table",
        prompt="",
        expected=lambda ds: expected,
        atol=0.001,
        misconceptions=(
            Misconception(
                "count",
                lambda ds: pd.Series({"北部": 492, "東部": 434}, name="share").rename_axis("area"),
                "割合で。",
            ),
        ),
    )
    assert judge(q, expected.iloc[::-1]).outcome == "correct"
    as_series = pd.Series(
        [0.1761, 0.2104], index=pd.Index(["北部", "東部"], name="area"), name="share"
    )
    assert judge(q, as_series).outcome == "correct"
    assert judge(q, expected.assign(share=[0.3, 0.2])).message.endswith(
        "値が違うところがあります。"
    )
    assert "行数" in judge(q, expected.head(1)).message
    assert "列名" in judge(q, expected.rename(columns={"share": "x"})).message
    v = judge(q, pd.Series({"北部": 492, "東部": 434}, name="share").rename_axis("area"))
    assert v.misconception == "count"
    assert judge(q, 3).outcome == "invalid"


def test_text_is_recorded_for_the_trainer():
    q = Question(id="f", points=2, kind="text", prompt="気づいたこと", expected=None, min_chars=5)
    v = judge(q, "高齢化率は東部で高い。")
    assert v.outcome == "recorded" and v.points == 2 and v.extra["text"] == "高齢化率は東部で高い。"
    assert judge(q, 3).outcome == "invalid"


@pytest.mark.parametrize("answer", ["軸がおかしい", "売上データ", "短い", " 可 "])
def test_short_text_is_recorded_with_a_kind_note(answer):
    q = Question(id="f", points=2, kind="text", prompt="", expected=None, min_chars=20)
    v = judge(q, answer)
    assert v.outcome == "recorded" and v.passed and v.points == 2
    assert v.extra["text"] == answer.strip() and v.extra["short"]
    assert "記録しました" in v.message and "未回答" not in str(v) and "まだ答えが" not in str(v)
    assert "理由や具体例" in v.hint
    long = judge(q, "縦軸が0から始まらないので、増え方が実際より大きく見えます。")
    assert long.outcome == "recorded" and long.hint is None and not long.extra["short"]


@pytest.mark.parametrize("answer", [..., None, "", "   ", "\u3000", "...", "…"])
def test_text_stub_or_blank_is_unanswered(answer):
    q = Question(id="f", points=2, kind="text", prompt="", expected=None, min_chars=20)
    v = judge(q, answer)
    assert v.outcome == "unanswered" and v.points == 0


# Every chart name the lessons (notebooks/) use, and the option it means.
LESSON_CHART_NAMES = [
    ("折れ線グラフ", "折れ線グラフ"),
    ("折れ線", "折れ線グラフ"),
    ("棒グラフ", "棒グラフ"),
    ("棒", "棒グラフ"),
    ("横棒グラフ", "棒グラフ"),
    ("積み上げ棒グラフ", "積み上げ棒グラフ"),
    ("積み上げ棒", "積み上げ棒グラフ"),
    ("100%積み上げ棒グラフ", "積み上げ棒グラフ"),
    ("100％積み上げ棒グラフ", "積み上げ棒グラフ"),
    ("１００％積み上げ 棒グラフ", "積み上げ棒グラフ"),
    ("ヒストグラム", "ヒストグラム"),
    ("人口ピラミッド", "ヒストグラム"),
    ("散布図", "散布図"),
    ("円グラフ", "円グラフ"),
    ("地図", "地図(塗り分け)"),
    ("塗り分け地図", "地図(塗り分け)"),
    ("地図（塗り分け）", "地図(塗り分け)"),
    ("折れ線　グラフ", "折れ線グラフ"),
]


@pytest.mark.parametrize(("answer", "option"), LESSON_CHART_NAMES)
def test_lesson_chart_names_are_judged_as_their_option(answer, option):
    wrong = tuple(o for o in CHART_OPTIONS if o != option)[:2]
    q = Question(
        id="g",
        points=1,
        kind="chart",
        prompt="",
        expected=lambda ds: option,
        misconceptions=tuple(
            Misconception(f"m{i}", lambda ds, o=o: o, "…") for i, o in enumerate(wrong)
        ),
    )
    assert judge(q, answer).outcome == "correct"
    other = Question(
        id="h",
        points=1,
        kind="chart",
        prompt="",
        expected=lambda ds: wrong[0],
        misconceptions=(Misconception("m", lambda ds: option, "違います。"),),
    )
    v = judge(other, answer)
    assert v.outcome == "misconception" and v.misconception == "m"


def test_exercise_03_accepts_the_lesson_name_of_the_composition_chart():
    q = get_exercise("03").question("q2")
    key = q.key_entry(None)
    for answer in ("100%積み上げ棒グラフ", "積み上げ棒グラフ", "積み上げ棒"):
        assert evaluate(q, answer, key).outcome == "correct"
    assert evaluate(q, "折れ線", key).misconception == "line"


@pytest.mark.parametrize("answer", ["レーダーチャート", "グラフ", "折れ線グラフX"])
def test_unknown_chart_name_lists_the_accepted_wording(answer):
    chart = Question(id="g", points=1, kind="chart", prompt="", expected=lambda ds: "散布図")
    v = judge(chart, answer)
    assert v.outcome == "invalid"
    for option in CHART_OPTIONS:
        assert option in v.message
    assert "100%積み上げ棒グラフ" in v.message and "人口ピラミッド" in v.message
    assert "塗り分け地図" in v.message and "省いても" in v.message


def test_choice_synonyms_of_a_bank_and_their_clashes():
    q = Question(
        id="c",
        points=1,
        kind="choice",
        prompt="",
        expected=lambda ds: "東部",
        options=("北部", "東部"),
        synonyms={"東部": ("東地区",)},
    )
    assert judge(q, "東地区").outcome == "correct"
    assert judge(q, "東 部").outcome == "correct"
    assert "東部(東地区でも可)" in judge(q, "南部").message
    clash = Question(
        id="c",
        points=1,
        kind="choice",
        prompt="",
        expected=lambda ds: "東部",
        options=("北部", "東部"),
        synonyms={"東部": ("北部",)},
    )
    assert "北部" in clash.key_entry(None).error
    with pytest.raises(ParameterError):
        Question(
            id="n",
            points=1,
            kind="number",
            prompt="",
            expected=lambda ds: 1,
            synonyms={"1": ("一",)},
        )


def test_a_bank_error_is_reported_not_raised():
    q = Question(id="x", points=1, kind="number", prompt="", expected=lambda ds: 1 / 0)
    v = evaluate(q, 1, q.key_entry(None))
    assert v.outcome == "invalid" and "ZeroDivisionError" in v.message


@pytest.mark.parametrize(
    "answer",
    [3, 2.5, "東部", True, [1, 2], pd.DataFrame({"a": [1, 2]}), pd.Series([1.0], name="x"), ...],
)
def test_encoding_round_trips(answer):
    back = decode_answer(encode_answer(answer))
    if isinstance(answer, pd.DataFrame | pd.Series):
        assert isinstance(back, pd.DataFrame) and len(back) == len(answer)
    elif answer is ...:
        assert back is ...
    else:
        assert back == answer


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"kind": "essay"}, "kind"),
        ({"id": "q 1"}, "id"),
        ({"points": -1}, "points"),
        ({"points": 1.5}, "points"),
        ({"expected": 3}, "expected"),
        ({"hints": "ひとつ"}, "hints"),
        ({"kind": "choice"}, "options"),
        ({"atol": -1}, "atol"),
    ],
)
def test_question_validation(kwargs, word):
    base = {"id": "q1", "points": 1, "kind": "number", "prompt": "", "expected": lambda ds: 1}
    with pytest.raises(ParameterError, match=word):
        Question(**{**base, **kwargs})


def test_registry():
    assert "00" in exercise_ids()
    with pytest.raises(ParameterError, match="00"):
        get_exercise("99")
    with pytest.raises(ParameterError, match="q1"):
        get_exercise("00").question("q9")
