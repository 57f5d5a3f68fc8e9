"""Reports: grades table, item analysis with misconceptions, free text and feedback pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ebpmkit.grading import register
from ebpmkit.grading.grade import GradeResult, Submission
from ebpmkit.grading.questions import (
    DatasetConfig,
    Exercise,
    Misconception,
    Question,
    evaluate,
)
from ebpmkit.grading.report import (
    feedback_html,
    free_text_table,
    grades_table,
    item_analysis,
    write_all,
)

EX = Exercise(
    id="t1",
    title="テスト練習問題",
    notebook="t1_test.ipynb",
    data=DatasetConfig(),
    questions=(
        Question(
            id="a",
            points=5,
            kind="number",
            prompt="数",
            expected=lambda ds: 42,
            concept="数える",
            hints=("よく数えて。",),
            misconceptions=(
                Misconception("double", lambda ds: 84, "二重です。", label="二重に数えた"),
            ),
        ),
        Question(id="b", points=2, kind="text", prompt="感想", expected=None, concept="考える"),
    ),
)


@pytest.fixture(scope="module", autouse=True)
def _bank():
    register(EX, replace=True)


def _result(learner, a, b, status="ok"):
    key = EX.answer_key(None)
    verdicts = {
        "a": evaluate(EX.questions[0], a, key["a"]),
        "b": evaluate(EX.questions[1], b, key["b"]),
    }
    return GradeResult(Submission(Path(f"{learner}.ipynb"), learner), "t1", status, "", verdicts)


@pytest.fixture
def results():
    return [
        _result("ann", 42, "東部が高い。"),
        _result("ben", 84, ...),
        _result("cho", 84, "人数でなく割合。"),
        _result("dan", 10, ...),
        GradeResult(Submission(Path("x.txt"), "eve"), None, "not_a_notebook", "x.txt"),
    ]


def test_grades_table(results):
    table = grades_table(results)
    assert list(table["total"]) == [7, 0, 2, 0, 0]
    assert list(table["status"])[-1] == "not_a_notebook"
    assert table["status_ja"].str.len().min() > 0


def test_item_analysis_counts_only_notebooks_that_ran(results):
    items = item_analysis(results).set_index("問題")
    assert items.loc["a", "採点数"] == 4 and items.loc["a", "正解数"] == 1
    assert items.loc["a", "正解率"] == 0.25
    assert items.loc["a", "回答数"] == 4  # everyone answered a
    assert items.loc["a", "よくある思い違い"] == "二重に数えた" and items.loc["a", "その人数"] == 2
    assert items.loc["b", "未回答数"] == 2


def test_free_text_is_collected(results):
    free = free_text_table(results)
    assert list(free["learner"]) == ["ann", "cho"]
    assert "割合" in free["answer"].iloc[1]


def test_feedback_page_has_hints_not_answers(results):
    page = feedback_html("ben", [results[1]])
    assert "二重です。" in page and "ben さんの採点結果" in page
    assert "42" not in page


def test_feedback_page_escapes_what_learners_typed():
    attack = "<script>alert('x')</script>"
    r = _result("fay", 42, attack)
    page = feedback_html(f"fay{attack}", [r])
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;") == 3  # the answer, the title and the heading
    assert "正解" in page and "合計 7 / 7 点" in page


def test_write_all(results, tmp_path):
    written = write_all(results, out=tmp_path / "g" / "grades.csv", feedback=tmp_path / "fb")
    names = {p.name for p in written}
    assert {"grades.csv", "grades_items.csv", "grades_items.png", "grades_free_text.csv"} <= names
    assert (tmp_path / "g" / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel
    assert {p.name for p in (tmp_path / "fb").iterdir()} == {
        f"{n}.html" for n in ("ann", "ben", "cho", "dan", "eve")
    }


SHORT_EX = Exercise(
    id="t2",
    title="記述の練習問題",
    notebook="t2_text.ipynb",
    data=DatasetConfig(),
    questions=(
        Question(
            id="f",
            points=10,
            kind="text",
            prompt="グラフの問題点",
            expected=None,
            min_chars=20,
        ),
    ),
)


def test_short_free_text_is_scored_and_in_the_free_text_file(tmp_path):
    register(SHORT_EX, replace=True)
    key = SHORT_EX.answer_key(None)
    q = SHORT_EX.questions[0]
    results = [
        GradeResult(
            Submission(Path(f"{learner}.ipynb"), learner),
            "t2",
            "ok",
            "",
            {"f": evaluate(q, answer, key["f"])},
        )
        for learner, answer in (("gen", "軸がおかしい"), ("hana", "売上データ"), ("iku", ...))
    ]
    assert list(grades_table(results)["total"]) == [10, 10, 0]
    assert item_analysis(results).set_index("問題").loc["f", "未回答数"] == 1
    written = write_all(results, out=tmp_path / "grades.csv", feedback=tmp_path / "fb")
    free_csv = next(p for p in written if p.name == "grades_free_text.csv")
    free = pd.read_csv(free_csv, encoding="utf-8-sig")
    assert list(free["learner"]) == ["gen", "hana"]
    assert list(free["answer"]) == ["軸がおかしい", "売上データ"]
    page = (tmp_path / "fb" / "gen.html").read_text(encoding="utf-8")
    assert "軸がおかしい" in page and "理由や具体例" in page and "未回答" not in page
