"""Reports of a grading run: grades CSV, feedback pages, item analysis and free-text answers.

CSV files are written as UTF-8 with a byte-order mark so that Excel opens the Japanese text
correctly. Feedback pages are self-contained HTML in Japanese; like ``check`` they never show
an expected answer, only the learner's own answer, the verdict and a hint.

Examples
--------
>>> item_analysis([]).empty
True
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import jinja2
import pandas as pd

from ebpmkit._atomic import write_text_atomic
from ebpmkit.errors import ParameterError
from ebpmkit.grading.messages import OUTCOME_LABELS, text
from ebpmkit.grading.questions import get_exercise
from ebpmkit.grading.results import GradeResult

__all__ = [
    "feedback_html",
    "free_text_table",
    "grades_table",
    "item_analysis",
    "plot_items",
    "write_all",
]

# Statuses whose notebook ran, so its questions count in the item analysis.
RAN = ("ok", "blank", "error", "exited", "crashed", "timeout", "memory")
# A misconception's hint starts with this; the feedback table's column already says "hint".
HINT_PREFIX = text("hint_misconception", hint="")


def _question_ids(results: Sequence[GradeResult]) -> list[str]:
    ids: list[str] = []
    for r in results:
        for qid in r.verdicts:
            if qid not in ids:
                ids.append(qid)
    return ids


def grades_table(results: Sequence[GradeResult]) -> pd.DataFrame:
    """One row per submission: learner, exercise, points per question, total and status.

    Examples
    --------
    >>> list(grades_table([]).columns)[:3]
    ['learner', 'exercise', 'file']
    """
    qids = _question_ids(results)
    rows = []
    for r in results:
        row = {
            "learner": r.submission.learner,
            "exercise": r.exercise or "",
            "file": str(r.submission.path),
        }
        for qid in qids:
            v = r.verdicts.get(qid)
            row[qid] = v.points if v is not None else None
        row.update(
            {
                "total": r.total,
                "max_points": r.max_points,
                "status": r.status,
                "status_ja": r.explanation,
                "seconds": r.seconds,
            }
        )
        rows.append(row)
    columns = [
        "learner",
        "exercise",
        "file",
        *qids,
        "total",
        "max_points",
        "status",
        "status_ja",
        "seconds",
    ]
    return pd.DataFrame(rows, columns=columns)


def item_analysis(results: Sequence[GradeResult]) -> pd.DataFrame:
    """Per question: how many ran it, pass rate, and the most common misconception.

    Examples
    --------
    >>> list(item_analysis([]).columns)[:4]
    ['課題', '問題', '考え方', '配点']
    """
    columns = [
        "課題",
        "問題",
        "考え方",
        "配点",
        "採点数",
        "正解数",
        "正解率",
        "未回答数",
        "思い違い数",
        "最も多い思い違い",
        "その人数",
    ]
    rows = []
    graded = [r for r in results if r.status in RAN and r.exercise]
    for ex_id in sorted({r.exercise for r in graded}):
        try:
            ex = get_exercise(ex_id)
        except ParameterError:
            continue
        mine = [r for r in graded if r.exercise == ex_id]
        for q in ex.questions:
            verdicts = [r.verdicts[q.id] for r in mine if q.id in r.verdicts]
            n = len(verdicts)
            passed = sum(v.passed for v in verdicts)
            wrong = Counter(v.misconception for v in verdicts if v.misconception)
            labels = {m.name: (m.label or m.name) for m in q.misconceptions}
            top, top_n = wrong.most_common(1)[0] if wrong else (None, 0)
            rows.append(
                {
                    "課題": ex_id,
                    "問題": q.id,
                    "考え方": q.concept,
                    "配点": q.points,
                    "採点数": n,
                    "正解数": passed,
                    "正解率": round(passed / n, 3) if n else None,
                    "未回答数": sum(v.outcome == "unanswered" for v in verdicts),
                    "思い違い数": sum(wrong.values()),
                    "最も多い思い違い": labels.get(top, "") if top else "",
                    "その人数": top_n,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def free_text_table(results: Sequence[GradeResult]) -> pd.DataFrame:
    """Every free-text answer, for the trainer to read.

    Examples
    --------
    >>> free_text_table([]).empty
    True
    """
    rows = []
    for r in results:
        if not r.exercise or r.status not in RAN:
            continue
        ex = get_exercise(r.exercise)
        for q in ex.questions:
            v = r.verdicts.get(q.id)
            if q.kind == "text" and v is not None and v.outcome == "recorded":
                rows.append(
                    {
                        "learner": r.submission.learner,
                        "exercise": r.exercise,
                        "question": q.id,
                        "prompt": q.prompt,
                        "answer": v.extra.get("text", ""),
                    }
                )
    return pd.DataFrame(rows, columns=["learner", "exercise", "question", "prompt", "answer"])


def plot_items(items: pd.DataFrame, path: Path | None = None):
    """A horizontal bar chart of pass rates per question, with the top misconception.

    Returns the matplotlib Axes; saves a PNG when ``path`` is given.

    Examples
    --------
    >>> ax = plot_items(item_analysis([]))
    """
    import matplotlib.pyplot as plt

    height = max(2.5, 0.6 * len(items) + 1.5)
    fig, ax = plt.subplots(figsize=(8, height), layout="constrained")
    if items.empty:
        ax.text(0.5, 0.5, "採点できた提出物がありません", ha="center", va="center")
        ax.set_axis_off()
    else:
        labels = [f"課題{e} {q}" for e, q in zip(items["課題"], items["問題"], strict=True)]
        rates = items["正解率"].fillna(0).astype(float) * 100
        y = range(len(items))[::-1]
        ax.barh(list(y), rates, color="#0072B2")
        ax.set_yticks(list(y), labels)
        ax.set_xlim(0, 100)
        ax.set_xlabel("正解率(%)")
        for yi, rate, top, n in zip(
            y, rates, items["最も多い思い違い"], items["その人数"], strict=True
        ):
            note = f"{rate:.0f}%" + (f"  よくある思い違い: {top}({n}人)" if top else "")
            ax.text(min(rate, 100) + 1, yi, note, va="center", fontsize=9)
        ax.set_title("問題ごとの正解率(クラス全体)")
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return ax


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return cleaned or "learner"


@functools.cache
def _templates() -> jinja2.Environment:
    """The report templates shipped in ``grading/templates/``; every value is escaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ebpmkit.grading", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _heading(r: GradeResult) -> str:
    if not r.exercise:
        return r.submission.path.name
    try:
        title = get_exercise(r.exercise).title
    except ParameterError:
        return text("feedback_exercise_id", exercise=r.exercise)
    return text("feedback_exercise", exercise=r.exercise, title=title)


def _feedback_rows(r: GradeResult) -> list[dict[str, object]]:
    """One row per judged question: the learner's answer and a hint, never the expected one."""
    if not r.verdicts:
        return []
    rows = []
    for q in get_exercise(r.exercise).questions:
        v = r.verdicts.get(q.id)
        if v is None:
            continue
        answer = v.extra.get("text", v.answer_summary) if q.kind == "text" else v.answer_summary
        hint = v.hint or ("" if v.passed else (q.hints[0] if q.hints else ""))
        rows.append(
            {
                "question": q.id,
                "prompt": q.prompt,
                "passed": v.passed,
                "outcome": OUTCOME_LABELS.get(v.outcome, v.outcome),
                "points": f"{v.points:g} / {v.max_points:g}",
                "answer": answer,
                "hint": hint.removeprefix(HINT_PREFIX),
            }
        )
    return rows


def feedback_html(learner: str, results: Sequence[GradeResult]) -> str:
    """The Japanese feedback page of one learner (all their submissions).

    Rendered from ``templates/feedback.html.j2`` with autoescaping, so whatever a learner
    typed (an answer, a file name, their user name) appears as text, never as markup.

    Examples
    --------
    >>> "採点結果" in feedback_html("tanaka", [])
    True
    >>> "&lt;b&gt;" in feedback_html("<b>", [])
    True
    """
    sections = [
        {
            "heading": _heading(r),
            "file": text("feedback_file", name=r.submission.path.name),
            "status": text("feedback_status", label=r.explanation),
            "total": text("feedback_total", total=f"{r.total:g}", max_points=r.max_points),
            "rows": _feedback_rows(r),
        }
        for r in results
    ]
    headers = [
        text(key)
        for key in (
            "feedback_question",
            "feedback_outcome",
            "feedback_points",
            "feedback_your_answer",
            "feedback_hint",
        )
    ]
    return (
        _templates()
        .get_template("feedback.html.j2")
        .render(
            title=text("feedback_title", learner=learner),
            intro=text("feedback_intro"),
            synthetic=text("feedback_synthetic"),
            headers=headers,
            sections=sections,
        )
    )


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    # With a byte-order mark, so that Excel reads the Japanese text as UTF-8.
    write_text_atomic(path, table.to_csv(index=False), encoding="utf-8-sig")


def write_all(results: Sequence[GradeResult], *, out: Path, feedback: Path) -> list[Path]:
    """Write every report of a run; return the paths written.

    Examples
    --------
    >>> write_all([], out=Path("grades.csv"), feedback=Path("feedback"))  # doctest: +SKIP
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    feedback = Path(feedback)
    feedback.mkdir(parents=True, exist_ok=True)
    written = []
    _write_csv(grades_table(results), out)
    written.append(out)
    items = item_analysis(results)
    items_csv = out.with_name(out.stem + "_items.csv")
    _write_csv(items, items_csv)
    items_png = out.with_name(out.stem + "_items.png")
    plot_items(items, items_png)
    free = out.with_name(out.stem + "_free_text.csv")
    _write_csv(free_text_table(results), free)
    written += [items_csv, items_png, free]
    by_learner: dict[str, list[GradeResult]] = {}
    for r in results:
        by_learner.setdefault(r.submission.learner, []).append(r)
    used: set[str] = set()
    for learner, mine in sorted(by_learner.items()):
        name = _safe_name(learner)
        while name in used:
            name += "_"
        used.add(name)
        page = feedback / f"{name}.html"
        write_text_atomic(page, feedback_html(learner, mine))
    written.append(feedback)
    return written
