"""Judging is exactly as strict as a question declares, and answers keep full precision.

Every answer here is judged the way the grader judges it: encoded as ``check`` records it,
written as JSON, read back and decoded. Each tolerance is tested from both sides, 10% inside
and 10% outside, with values whose third and later decimals matter, so that

* doubling a number question's tolerance (the "outside" answers pass),
* multiplying a table question's tolerance by ten (likewise),
* rounding encoded answers to two decimals (inside and outside collapse onto one value)

each make a test here fail. The last tests write answers with ``check()`` into a real answers
file and read them back with the grader's reader, comparing every value exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ebpmkit.grading.questions import Question, decode_answer, encode_answer, evaluate

INSIDE, OUTSIDE = 0.9, 1.1


def _judged(question: Question, answer) -> str:
    """The outcome the grader gives: through the answers file's JSON and back."""
    payload = json.loads(json.dumps(encode_answer(answer), ensure_ascii=False))
    return evaluate(question, decode_answer(payload), question.key_entry(None)).outcome


def _number(expected: float, **tolerance) -> Question:
    return Question(
        id="q", points=5, kind="number", prompt="", expected=lambda ds: expected, **tolerance
    )


# --- number questions ----------------------------------------------------------------------

ATOL_EXPECTED, ATOL = 19.9137, 0.004


@pytest.mark.parametrize("side", [1, -1])
def test_number_atol_inside_is_correct(side):
    answer = ATOL_EXPECTED + side * INSIDE * ATOL
    assert _judged(_number(ATOL_EXPECTED, atol=ATOL), answer) == "correct"


@pytest.mark.parametrize("side", [1, -1])
def test_number_atol_outside_is_wrong(side):
    answer = ATOL_EXPECTED + side * OUTSIDE * ATOL
    assert _judged(_number(ATOL_EXPECTED, atol=ATOL), answer) == "wrong"


RTOL_EXPECTED, RTOL = 0.123456, 1e-3


@pytest.mark.parametrize("side", [1, -1])
def test_number_rtol_inside_is_correct(side):
    # math.isclose: |a - e| <= rtol * max(|a|, |e|); 0.9 * rtol * e is inside on both sides.
    answer = RTOL_EXPECTED * (1 + side * INSIDE * RTOL)
    assert _judged(_number(RTOL_EXPECTED, rtol=RTOL), answer) == "correct"


@pytest.mark.parametrize("side", [1, -1])
def test_number_rtol_outside_is_wrong(side):
    answer = RTOL_EXPECTED * (1 + side * OUTSIDE * RTOL)
    assert _judged(_number(RTOL_EXPECTED, rtol=RTOL), answer) == "wrong"


def test_number_without_tolerance_is_exact():
    q = _number(14062)
    assert _judged(q, 14062) == "correct" and _judged(q, 14062.0) == "correct"
    assert _judged(q, np.nextafter(14062.0, np.inf)) == "wrong"


def test_a_large_relative_tolerance_is_not_widened_by_the_absolute_one():
    # Both declared: the larger of the two bounds applies, and no more.
    q = _number(1000.0, atol=0.5, rtol=1e-3)  # bounds 0.5 and about 1.0
    assert _judged(q, 1000.0 + INSIDE * 1.0) == "correct"
    assert _judged(q, 1000.0 + OUTSIDE * 1.0011) == "wrong"


# --- table questions -----------------------------------------------------------------------

DISTRICTS = ["北部", "南部", "東部"]
RATES = [3.14159265, 2.71828183, 1.41421356]
AMOUNTS = [1234.56789, 98765.4321, 5555.55555]


def _table(atol: float = 0.0, rtol: float = 0.0, column: str = "rate") -> Question:
    values = RATES if column == "rate" else AMOUNTS
    expected = pd.DataFrame({"district": DISTRICTS, column: values})
    return Question(
        id="t",
        points=5,
        kind="table",
        prompt="",
        expected=lambda ds: expected,
        atol=atol,
        rtol=rtol,
    )


def _answer(column: str, values: list[float], *, series: bool = False):
    frame = pd.DataFrame({"district": DISTRICTS, column: values})
    if series:  # a groupby result: the district is the named index
        return frame.set_index("district")[column]
    return frame.iloc[::-1]  # row order does not matter


TABLE_ATOL = 1e-3


@pytest.mark.parametrize("series", [False, True])
def test_table_atol_cell_just_inside_is_correct(series):
    values = [RATES[0] + INSIDE * TABLE_ATOL, RATES[1] - INSIDE * TABLE_ATOL, RATES[2]]
    assert _judged(_table(atol=TABLE_ATOL), _answer("rate", values, series=series)) == "correct"


@pytest.mark.parametrize("row", [0, 1, 2])
def test_table_atol_one_cell_just_outside_is_wrong(row):
    values = list(RATES)
    values[row] += OUTSIDE * TABLE_ATOL
    assert _judged(_table(atol=TABLE_ATOL), _answer("rate", values)) == "wrong"


TABLE_RTOL = 1e-4


def test_table_rtol_cells_just_inside_are_correct():
    # numpy.isclose: |a - e| <= atol + rtol * |e|, relative to the expected cell.
    values = [AMOUNTS[0] * (1 + INSIDE * TABLE_RTOL), AMOUNTS[1] * (1 - INSIDE * TABLE_RTOL)]
    values.append(AMOUNTS[2])
    assert _judged(_table(rtol=TABLE_RTOL, column="amount"), _answer("amount", values)) == (
        "correct"
    )


@pytest.mark.parametrize("side", [1, -1])
def test_table_rtol_one_cell_just_outside_is_wrong(side):
    values = list(AMOUNTS)
    values[1] = AMOUNTS[1] * (1 + side * OUTSIDE * TABLE_RTOL)
    outcome = _judged(_table(rtol=TABLE_RTOL, column="amount"), _answer("amount", values))
    assert outcome == "wrong"


def test_a_table_without_tolerance_is_exact():
    q = _table()
    assert _judged(q, _answer("rate", list(RATES))) == "correct"
    values = list(RATES)
    values[2] = float(np.nextafter(RATES[2], np.inf))
    assert _judged(q, _answer("rate", values)) == "wrong"


# --- the answers file keeps every value ------------------------------------------------------


@pytest.fixture
def recorded(practice, tmp_path, monkeypatch, capsys):
    """Answers written by check() in exercise 00, read back by the grader's reader."""
    from ebpmkit.grading import check, start
    from ebpmkit.grading.grade import _read_answers

    journal = tmp_path / "answers.jsonl"
    monkeypatch.setenv("EBPMKIT_ANSWERS_FILE", str(journal))
    start("00")

    def record(question: str, answer):
        check(question, answer)
        capsys.readouterr()
        return decode_answer(_read_answers(journal, "00")[question])

    return record


NUMBERS = [0.1 + 0.2, 1 / 3, 2508000.123456789, 1.0000000000000002, 6.02214076e23, 5e-324, -0.0]


@pytest.mark.parametrize("value", NUMBERS)
def test_numbers_come_back_exactly(recorded, value):
    back = recorded("q2", value)
    assert back == value and np.signbit(back) == np.signbit(value)
    assert recorded("q1", np.float64(value)) == value


def test_a_big_integer_comes_back_exactly(recorded):
    assert recorded("q1", 2**62 + 1) == 2**62 + 1
    assert recorded("q1", np.int64(-(2**53) - 1)) == -(2**53) - 1


def test_tables_come_back_with_every_value(recorded):
    frame = pd.DataFrame(
        {
            "district": ["北部", "南部", "東部", "西部"],
            "share": [0.1 + 0.2, 1 / 3, 2.5e-12, 123456789.12345679],
            "count": [14062, 0, -3, 2**40],
            "rate": pd.array([1 / 7, None, 2 / 3, 0.5], dtype="Float64"),
        }
    )
    back = recorded("q1", frame)
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    assert back["district"].tolist() == frame["district"].tolist()
    assert back["share"].tolist() == frame["share"].tolist()  # exact, not approximately
    assert back["count"].tolist() == frame["count"].tolist()
    rate = back["rate"].tolist()
    assert rate[0] == 1 / 7 and rate[2] == 2 / 3 and rate[3] == 0.5
    assert rate[1] is None or np.isnan(rate[1])


def test_a_series_comes_back_with_its_index_and_values(recorded):
    series = pd.Series([0.1 + 0.2, 1 / 3], index=pd.Index(["北部", "南部"], name="area"))
    series.name = "share"
    back = recorded("q1", series)
    assert back.attrs.get("series") is True
    assert back["area"].tolist() == ["北部", "南部"]
    assert back["share"].tolist() == [0.1 + 0.2, 1 / 3]
