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
    assert judge(q, "短い").outcome == "unanswered"
    assert judge(q, 3).outcome == "invalid"


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
