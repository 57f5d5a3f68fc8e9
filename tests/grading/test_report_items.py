"""Item analysis on a class small enough to work every figure out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ebpmkit.grading import register
from ebpmkit.grading.questions import DatasetConfig, Exercise, Misconception, Question, evaluate
from ebpmkit.grading.report import item_analysis, plot_items
from ebpmkit.grading.results import GradeResult, Submission

EX = Exercise(
    id="t3",
    title="手計算の練習問題",
    notebook="t3_items.ipynb",
    data=DatasetConfig(),
    questions=(
        Question(
            id="a",
            points=10,
            kind="number",
            prompt="数",
            expected=lambda ds: 42,
            concept="数える",
            misconceptions=(
                Misconception("double", lambda ds: 84, "二重です。", label="二重に数えた"),
                Misconception("half", lambda ds: 21, "半分です。", label="半分にした"),
            ),
        ),
        Question(
            id="b",
            points=2,
            kind="number",
            prompt="別の数",
            expected=lambda ds: 7,
            concept="比べる",
            misconceptions=(
                Misconception("one", lambda ds: 1, "1ではありません。", label="1と答えた"),
                Misconception("two", lambda ds: 2, "2ではありません。", label="2と答えた"),
            ),
        ),
        Question(id="c", points=5, kind="text", prompt="感想", expected=None, concept="考える"),
    ),
)

# Answers of a, b and c (... = not answered). a is right at 42, b at 7; c counts when written.
#          a    b    c        total (a 10, b 2, c 5 points)
CLASS = {
    "u1": (42, 7, "書いた"),  # 10 + 2 + 5 = 17
    "u2": (42, 1, ...),  # 10 + 0 + 0 = 10 (b: misconception "one")
    "u3": (42, ..., "書いた"),  # 10 + 0 + 5 = 15
    "u4": (84, 7, "書いた"),  #  0 + 2 + 5 = 7 (a: "double")
    "u5": (84, 7, ...),  #  0 + 2 + 0 = 2 (a: "double")
    "u6": (21, 7, ...),  #  0 + 2 + 0 = 2 (a: "half")
    "u7": (..., 99, "書いた"),  #  0 + 0 + 5 = 5 (b: plainly wrong)
    "u8": (21, 2, ...),  #  0 + 0 + 0 = 0 (a: "half", b: "two")
    "u9": (..., ..., ...),  # a blank notebook: ran, answered nothing
}


@pytest.fixture(scope="module", autouse=True)
def _bank():
    register(EX, replace=True)


def _result(learner: str, answers: tuple, status: str = "ok") -> GradeResult:
    key = EX.answer_key(None)
    verdicts = {
        q.id: evaluate(q, answer, key[q.id])
        for q, answer in zip(EX.questions, answers, strict=True)
    }
    return GradeResult(Submission(Path(f"{learner}.ipynb"), learner), "t3", status, "", verdicts)


@pytest.fixture(scope="module")
def items():
    results = [
        _result(name, answers, "blank" if name == "u9" else "ok") for name, answers in CLASS.items()
    ]
    results.append(GradeResult(Submission(Path("x.txt"), "u10"), None, "not_a_notebook"))
    return item_analysis(results).set_index("問題")


def test_totals_are_as_worked_out():
    totals = {name: _result(name, answers).total for name, answers in CLASS.items()}
    assert totals == {
        "u1": 17, "u2": 10, "u3": 15, "u4": 7, "u5": 2, "u6": 2, "u7": 5, "u8": 0, "u9": 0,
    }  # fmt: skip


def test_counts_and_difficulty_are_over_those_who_answered(items):
    # Nine notebooks ran (u1-u9); u10's file is not a notebook.
    assert list(items["採点数"]) == [9, 9, 9]
    # a: u7 and u9 left it blank; of the 7 who answered, u1 u2 u3 are right: 3/7.
    assert items.loc["a", ["回答数", "未回答数", "正解数"]].tolist() == [7, 2, 3]
    assert items.loc["a", "正解率"] == round(3 / 7, 3)
    # b: u3 and u9 left it blank; of the 7 who answered, u1 u4 u5 u6 are right: 4/7.
    assert items.loc["b", ["回答数", "未回答数", "正解数"]].tolist() == [7, 2, 4]
    assert items.loc["b", "正解率"] == round(4 / 7, 3)


def test_free_text_has_no_rate_and_no_discrimination(items):
    # c: written by u1 u3 u4 u7.
    assert items.loc["c", "種類"] == "自由記述"
    assert items.loc["c", ["回答数", "未回答数"]].tolist() == [4, 5]
    for column in ("正解数", "正解率", "識別力"):
        assert items.loc["c", column] is None or math.isnan(items.loc["c", column])


def test_discrimination_is_upper_minus_lower_27_percent(items):
    # Eight learners answered something (u9 did not): each group has round(0.27 * 8) = 2.
    # By total: u1 17, u3 15, u2 10, u4 7, u7 5, u5 2, u6 2, u8 0 (ties by name).
    # Upper u1 u3, lower u6 u8.
    # a: upper 2/2 right, lower 0/2 -> D = 1.0.
    # b: upper u1 right, u3 blank -> 1/2; lower u6 right, u8 wrong -> 1/2 -> D = 0.0.
    assert items.loc["a", "識別力"] == 1.0
    assert items.loc["b", "識別力"] == 0.0


def test_a_common_misconception_needs_two_learners(items):
    # a: "double" (u4 u5) and "half" (u6 u8) are tied at two: both are named.
    assert items.loc["a", "よくある思い違い"] == "二重に数えた、半分にした"
    assert items.loc["a", ["その人数", "思い違い数"]].tolist() == [2, 4]
    # b: "one" (u2) and "two" (u8) are one learner each: nothing is common.
    assert items.loc["b", "よくある思い違い"] == ""
    assert items.loc["b", ["その人数", "思い違い数"]].tolist() == [0, 2]


def test_too_few_learners_have_no_discrimination():
    results = [_result(n, CLASS[n]) for n in ("u1", "u2", "u3")]
    table = item_analysis(results).set_index("問題")
    assert table["識別力"].isna().all()


def test_chart_plots_scored_questions_and_lists_free_text_apart(items):
    ax = plot_items(items.reset_index())
    fig = ax.figure
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 2 and not any(label.startswith("練習問題t3 c") for label in labels)
    assert labels[0].startswith("練習問題t3 a(回答 7人)")
    assert "二重に数えた、半分にした(2人)" in labels[0].replace("\n", "")
    assert fig._supxlabel is not None and "練習問題t3 c(回答 4人)" in fig._supxlabel.get_text()
    d_panel = fig.axes[1]
    assert "識別力" in d_panel.get_title("left") + d_panel.get_title()
    assert sorted(p.get_width() for p in d_panel.patches) == [0.0, 1.0]
    # Nothing is cut: every text lies inside the saved figure.
    fig.canvas.draw()
    bounds = fig.bbox
    renderer = fig.canvas.get_renderer()
    for text in [
        *ax.get_yticklabels(),
        *ax.texts,
        *d_panel.texts,
        ax.xaxis.label,
        d_panel.xaxis.label,
        fig._supxlabel,
    ]:
        box = text.get_window_extent(renderer)
        assert box.x0 >= bounds.x0 - 1 and box.x1 <= bounds.x1 + 1, text.get_text()
        assert box.y0 >= bounds.y0 - 1 and box.y1 <= bounds.y1 + 1, text.get_text()
