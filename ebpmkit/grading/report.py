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
import math
import re
import textwrap
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
    "GROUP_SHARE",
    "ITEM_COLUMNS",
    "KIND_LABELS",
    "feedback_html",
    "free_text_table",
    "grades_table",
    "item_analysis",
    "plot_items",
    "write_all",
]

# Statuses whose notebook ran, so its questions count in the item analysis.
RAN = ("ok", "blank", "error", "exited", "crashed", "timeout", "slow_cell", "memory")
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

    ``sandboxed`` is False for a run with ``--no-sandbox``; ``verify_seed`` is the seed of
    the ``--verify-seed`` re-run (empty without one) and ``not_reproduced`` lists the
    questions whose answers were right on the class data only.

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
                "sandboxed": r.sandboxed,
                "verify_seed": r.verify_seed,
                "not_reproduced": " ".join(
                    q for q, v in r.verdicts.items() if v.outcome == "not_reproduced"
                ),
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
        "sandboxed",
        "verify_seed",
        "not_reproduced",
    ]
    return pd.DataFrame(rows, columns=columns)


#: The kinds of question in the item analysis's words.
KIND_LABELS = {
    "number": "数値",
    "table": "表",
    "choice": "選択",
    "chart": "グラフ",
    "text": "自由記述",
}
#: Share of learners in each of the upper and lower groups of the discrimination index.
GROUP_SHARE = 0.27
#: Columns of the item analysis (``grades_items.csv``).
ITEM_COLUMNS = [
    "練習問題",
    "問題",
    "種類",
    "考え方",
    "配点",
    "採点数",
    "回答数",
    "正解数",
    "正解率",
    "未回答数",
    "識別力",
    "思い違い数",
    "よくある思い違い",
    "その人数",
]


def _common_misconception(verdicts: list, labels: dict[str, str]) -> tuple[str, int]:
    """The misconception(s) most learners share, if at least two share one; else ``("", 0)``."""
    wrong = Counter(v.misconception for v in verdicts if v.misconception)
    top = max(wrong.values(), default=0)
    if top < 2:
        return "", 0
    names = [name for name, n in wrong.items() if n == top]
    return "、".join(labels.get(name, name) for name in names), top


def _groups(mine: list[GradeResult]) -> tuple[list[GradeResult], list[GradeResult]] | None:
    """Upper and lower 27% of the learners who answered anything, by total score.

    Each group has ``round(0.27 * N)`` learners (at least one); with fewer than four learners
    there are no groups. Equal totals are ordered by learner name, so the split is repeatable.
    """
    answered = [r for r in mine if any(v.outcome != "unanswered" for v in r.verdicts.values())]
    if len(answered) < 4:
        return None
    size = max(1, math.floor(GROUP_SHARE * len(answered) + 0.5))
    ranked = sorted(answered, key=lambda r: (-r.total, r.submission.learner))
    return ranked[:size], ranked[-size:]


def _discrimination(question: str, groups) -> float | None:
    """Upper-lower index D: correct share in the upper group minus that in the lower group."""
    if groups is None:
        return None
    upper, lower = groups

    def share(group: list[GradeResult]) -> float:
        return sum(r.verdicts[question].passed for r in group if question in r.verdicts) / len(
            group
        )

    return round(share(upper) - share(lower), 3)


def item_analysis(results: Sequence[GradeResult]) -> pd.DataFrame:
    """Per question: difficulty, discrimination, and the misconception learners share.

    Only notebooks that ran count (``採点数``). ``正解率`` (the difficulty index, the
    proportion correct) is over the ``回答数`` learners who answered the question, not over
    blank ones. ``識別力`` is the upper-lower discrimination index D: the share correct among
    the 27% of learners with the highest totals minus that among the 27% with the lowest
    (learners who answered nothing are left out; an unanswered question counts as not
    correct; four learners at least). Free-text questions (``種類`` 自由記述) earn their points
    by being written, so they have neither index. ``よくある思い違い`` names a misconception
    only when at least two learners share it (ties are all named).

    Examples
    --------
    >>> list(item_analysis([]).columns)[:4]
    ['練習問題', '問題', '種類', '考え方']
    """
    rows = []
    graded = [r for r in results if r.status in RAN and r.exercise]
    for ex_id in sorted({r.exercise for r in graded}):
        try:
            ex = get_exercise(ex_id)
        except ParameterError:
            continue
        mine = [r for r in graded if r.exercise == ex_id]
        groups = _groups(mine)
        for q in ex.questions:
            verdicts = [r.verdicts[q.id] for r in mine if q.id in r.verdicts]
            unanswered = sum(v.outcome == "unanswered" for v in verdicts)
            answered = len(verdicts) - unanswered
            passed = sum(v.passed for v in verdicts)
            free = q.kind == "text"
            label, shared = _common_misconception(
                verdicts, {m.name: (m.label or m.name) for m in q.misconceptions}
            )
            rows.append(
                {
                    "練習問題": ex_id,
                    "問題": q.id,
                    "種類": KIND_LABELS.get(q.kind, q.kind),
                    "考え方": q.concept,
                    "配点": q.points,
                    "採点数": len(verdicts),
                    "回答数": answered,
                    "正解数": None if free else passed,
                    "正解率": None if free or not answered else round(passed / answered, 3),
                    "未回答数": unanswered,
                    "識別力": None if free else _discrimination(q.id, groups),
                    "思い違い数": sum(v.misconception is not None for v in verdicts),
                    "よくある思い違い": label,
                    "その人数": shared,
                }
            )
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


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


def _item_label(row: pd.Series) -> str:
    """A question's tick label: exercise, id and n, then its shared misconception, wrapped."""
    label = f"練習問題{row['練習問題']} {row['問題']}(回答 {row['回答数']}人)"
    if row["よくある思い違い"]:
        note = f"よくある思い違い: {row['よくある思い違い']}({row['その人数']}人)"
        label += "\n" + "\n".join(textwrap.wrap(note, 22))
    return label


def plot_items(items: pd.DataFrame, path: Path | None = None):
    """Difficulty (proportion correct) and discrimination per question, side by side.

    Free-text questions have neither, so they are listed below the chart instead of plotted.
    Returns the Axes of the difficulty panel; saves a PNG when ``path`` is given.

    Examples
    --------
    >>> ax = plot_items(item_analysis([]))
    """
    import matplotlib.pyplot as plt

    scored = items[items["種類"] != KIND_LABELS["text"]]
    free = items[items["種類"] == KIND_LABELS["text"]]
    lines = sum(1 + bool(t) * 2 for t in scored["よくある思い違い"]) if len(scored) else 0
    height = max(3.0, 0.35 * lines + 0.4 * len(scored) + 2.0)
    fig, (ax, ax_d) = plt.subplots(
        1, 2, figsize=(10, height), sharey=True, layout="constrained", width_ratios=(3, 2)
    )
    if scored.empty:
        ax.text(0.5, 0.5, "正解率を計算できる問題がありません", ha="center", va="center")
        ax.set_axis_off()
        ax_d.set_axis_off()
    else:
        y = list(range(len(scored)))[::-1]
        rates = scored["正解率"].astype(float) * 100
        ax.barh(y, rates.fillna(0), color="#0072B2")
        ax.set_yticks(y, [_item_label(row) for _, row in scored.iterrows()], fontsize=9)
        ax.set_xlim(0, 115)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("正解率(難易度): 回答した人のうち\n正解した人の割合(%)", fontsize=9)
        for yi, rate in zip(y, rates, strict=True):
            note = "回答なし" if pd.isna(rate) else f"{rate:.0f}%"
            ax.text((0 if pd.isna(rate) else rate) + 1, yi, note, va="center", fontsize=9)
        ax.set_title("問題ごとの正解率")
        ds = scored["識別力"].astype(float)
        ax_d.barh(y, ds.fillna(0), color="#E69F00")
        ax_d.axvline(0, color="#555555", linewidth=0.8)
        ax_d.set_xlim(-1.15, 1.15)
        ax_d.set_xlabel("識別力: 合計点の上位27%と\n下位27%の正解率の差", fontsize=9)
        for yi, d in zip(y, ds, strict=True):
            note = "人数不足" if pd.isna(d) else f"{d:.2f}"
            x = 0.05 if pd.isna(d) or d < 0 else d + 0.05
            ax_d.text(x, yi, note, va="center", fontsize=9)
        ax_d.set_title("問題ごとの識別力")
    if not free.empty:
        items = [
            f"練習問題{e} {q}(回答 {n}人)"
            for e, q, n in zip(free["練習問題"], free["問題"], free["回答数"], strict=True)
        ]
        # Lines break between questions, never inside one, so each stays readable.
        lines = ["自由記述の問題(正解率・識別力の対象外。回答は grades_free_text.csv):"]
        for item in items:
            if len(lines) > 1 and len(lines[-1]) + len(item) < 60:
                lines[-1] += "、" + item
            else:
                lines.append(item)
        fig.supxlabel("\n".join(lines), fontsize=9)
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
            # A file that did not run earned no points: showing "0 / 30" would read as a mark.
            "total": (
                text("feedback_total", total=f"{r.total:g}", max_points=r.max_points)
                if r.status in RAN
                else ""
            ),
            "rows": _feedback_rows(r),
        }
        for r in results
    ]
    notes = []
    if any(not r.sandboxed for r in results):
        notes.append(text("feedback_no_sandbox"))
    for seed in sorted({r.verify_seed for r in results if r.verify_seed is not None}):
        notes.append(text("feedback_verify", seed=seed))
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
            notes=notes,
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
