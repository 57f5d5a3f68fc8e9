"""``ebpmkit build``: write the learner notebooks in exercises/ from the masters in solutions/.

In a master, the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by
a Japanese stub that keeps the names the solution assigns (``answer_q1 = ...``), so the
exercise runs as is and every ``check`` says "not answered yet". Outputs and execution counts
are cleared; the notebook's ``ebpmkit`` metadata (exercise id) is kept, with the question
list and a digest of the generated content added.

The digest protects learners' work: when an exercise on disk no longer matches the digest it
was written with (someone edited it in place), the build does not overwrite it. It stops and
says so, or with ``beside=True`` writes ``<name>.new.ipynb`` next to it.

Examples
--------
>>> print(strip_solutions('x = 1\\n### BEGIN SOLUTION\\nanswer_q1 = x + 1\\n### END SOLUTION\\ncheck("q1", answer_q1)'))
x = 1
# ▼ ここにコードを書いてください。「...」を書きかえて、答えを answer_q1 に入れます。
answer_q1 = ...
check("q1", answer_q1)
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ebpmkit._atomic import write_text_atomic
from ebpmkit.errors import EbpmkitError
from ebpmkit.grading import questions
from ebpmkit.grading.messages import text
from ebpmkit.grading.questions import get_exercise
from ebpmkit.messages import message

__all__ = ["BuildError", "BuildResult", "build_notebook", "main", "strip_solutions"]

BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")
# Cell metadata worth keeping in a learner copy; the rest (execution, scroll state) goes.
KEEP_CELL_METADATA = ("tags", "ebpmkit", "editable", "deletable", "slideshow")


class BuildError(EbpmkitError, ValueError):
    """A master notebook cannot be turned into an exercise (named file, cell and fix)."""


@dataclass(frozen=True)
class BuildResult:
    """What the build did with one exercise.

    ``action`` is ``written``, ``unchanged``, ``outdated`` (check mode), ``conflict`` (the
    exercise was changed in place and left alone), ``beside`` (written next to it) or
    ``orphan`` (check mode: an exercise whose master is gone).
    """

    master: Path
    exercise: Path
    action: str


def _assigned_names(code: str) -> list[str]:
    """Simple names assigned at the top level of ``code``, in order of last assignment."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            elts = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            for elt in elts:
                if isinstance(elt, ast.Name):
                    if elt.id in names:
                        names.remove(elt.id)
                    names.append(elt.id)
    return names


def _stub(region: list[str], indent: str) -> list[str]:
    code = "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in region)
    names = _assigned_names(code)
    if not names:
        return [indent + text("stub_comment"), indent + "..."]
    answer = next((n for n in reversed(names) if n.startswith("answer")), names[-1])
    return [indent + text("stub_answer", name=answer)] + [f"{indent}{n} = ..." for n in names]


def strip_solutions(source: str, *, where: str = "") -> str:
    """Replace every solution region of one cell's source by a Japanese stub.

    Parameters
    ----------
    source : str
        A code cell's source.
    where : str
        File and cell, for error messages.

    Examples
    --------
    >>> strip_solutions("### BEGIN SOLUTION\\nprint(1)\\n### END SOLUTION")
    '# ▼ ここにコードを書いてください。\\n...'
    """
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for line in source.split("\n"):
        begin = BEGIN.match(line)
        if region is None:
            if begin:
                region, indent = [], begin.group(1)
            elif END.match(line):
                raise BuildError(message("build.end_without_begin", where=where))
            else:
                out.append(line)
        elif END.match(line):
            out.extend(_stub(region, indent))
            region = None
        elif begin:
            raise BuildError(message("build.nested", where=where))
        else:
            region.append(line)
    if region is not None:
        raise BuildError(message("build.begin_without_end", where=where))
    return "\n".join(out)


def _content_digest(nb: nbformat.NotebookNode) -> str:
    """Digest of what a learner could change: cell types and sources, and our metadata."""
    meta = {k: v for k, v in nb.metadata.get("ebpmkit", {}).items() if k != "content_digest"}
    payload = json.dumps(
        [meta] + [[c.cell_type, c.source] for c in nb.cells], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def build_notebook(master: nbformat.NotebookNode, *, source: str = "") -> nbformat.NotebookNode:
    """The learner copy of a master notebook.

    Parameters
    ----------
    master : NotebookNode
        The master (solution) notebook; its metadata ``ebpmkit.exercise`` names the exercise.
    source : str
        The master's path relative to the curriculum folder (recorded in the copy).

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(metadata={"ebpmkit": {"exercise": "00"}})
    >>> nb.cells = [nbformat.v4.new_code_cell('### BEGIN SOLUTION\\nanswer_q1 = 1\\n### END SOLUTION\\ncheck("q1", answer_q1)'),
    ...             nbformat.v4.new_code_cell('check("q2", 2)\\ncheck("q3", 3)')]
    >>> build_notebook(nb).metadata["ebpmkit"]["role"]
    'exercise'
    """
    meta = dict(master.metadata.get("ebpmkit", {}))
    exercise_id = meta.get("exercise")
    if not exercise_id:
        raise BuildError(message("build.no_exercise", source=source))
    ex = get_exercise(exercise_id)
    nb = copy.deepcopy(master)
    checked: list[str] = []
    for index, cell in enumerate(nb.cells):
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, where=f"{source} cell {index + 1}")
        cell.outputs = []
        cell.execution_count = None
        checked += CHECK_CALL.findall(cell.source)
    missing = [q for q in ex.ids if q not in checked]
    unknown = sorted(set(checked) - set(ex.ids))
    if missing or unknown:
        raise BuildError(
            message(
                "build.checks_differ",
                source=source,
                exercise=ex.id,
                declared=", ".join(ex.ids),
                missing=", ".join(missing) or "-",
                unknown=", ".join(unknown) or "-",
            )
        )
    meta.update(
        {
            "exercise": ex.id,
            "role": "exercise",
            "source": source,
            "questions": list(ex.ids),
            "points": {q.id: q.points for q in ex.questions},
        }
    )
    nb.metadata = {k: v for k, v in master.metadata.items() if k in ("kernelspec", "language_info")}
    nb.metadata["ebpmkit"] = meta
    nb.metadata["ebpmkit"]["content_digest"] = _content_digest(nb)
    return nb


def _render(nb: nbformat.NotebookNode) -> str:
    out = nbformat.writes(nb)
    return out if out.endswith("\n") else out + "\n"


def _is_pristine(path: Path) -> bool:
    """Whether the exercise on disk is as the build wrote it (outputs from running it aside)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    recorded = nb.metadata.get("ebpmkit", {}).get("content_digest")
    return recorded is not None and recorded == _content_digest(nb)


def _write_exercise(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A new exercise gets the usual permissions (0o666 less the umask): every learner reads it.
    write_text_atomic(path, content)


def _masters(solutions: Path) -> list[Path]:
    return sorted(
        p for p in solutions.glob("*.ipynb") if p.is_file() and not p.name.startswith(".")
    )


def build(
    *,
    solutions: str | Path = "solutions",
    exercises: str | Path = "exercises",
    check: bool = False,
    beside: bool = False,
    force: bool = False,
) -> list[BuildResult]:
    """Build (or with ``check=True`` only compare) every exercise; return what happened.

    Examples
    --------
    >>> results = build(check=True)  # doctest: +SKIP
    """
    solutions, exercises = Path(solutions), Path(exercises)
    if not solutions.is_dir():
        raise BuildError(message("build.no_solutions", folder=solutions))
    results = []
    for master_path in _masters(solutions):
        try:
            master = nbformat.read(master_path, as_version=4)
        except Exception as exc:
            raise BuildError(message("build.unreadable", path=master_path, reason=exc)) from exc
        rel = f"{solutions.name}/{master_path.name}"
        content = _render(build_notebook(master, source=rel))
        target = exercises / master_path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == content:
            action = "unchanged"
        elif check:
            action = "outdated"
        elif current is None or force or _is_pristine(target):
            _write_exercise(target, content)
            action = "written"
        elif beside:
            target = target.with_name(target.stem + ".new.ipynb")
            _write_exercise(target, content)
            action = "beside"
        else:
            action = "conflict"
        results.append(BuildResult(master_path, target, action))
    if check and exercises.is_dir():
        masters = {p.name for p in _masters(solutions)}
        for path in sorted(exercises.glob("*.ipynb")):
            if path.name not in masters:
                results.append(BuildResult(solutions / path.name, path, "orphan"))
    return results


def main(
    *,
    solutions: str | Path = "solutions",
    exercises: str | Path = "exercises",
    check: bool = False,
    beside: bool = False,
    force: bool = False,
) -> int:
    """Run the build and print one line per exercise; return the exit code.

    0 when every exercise is up to date (or was written), 1 when ``check`` found an outdated
    exercise or an exercise changed in place was left alone.

    Examples
    --------
    >>> main(check=True)  # doctest: +SKIP
    0
    """
    results = build(
        solutions=solutions, exercises=exercises, check=check, beside=beside, force=force
    )
    lines = {
        "unchanged": "最新です / up to date",
        "written": "書き出しました / written",
        "outdated": "古くなっています。ebpmkit build を実行してください / out of date: run ebpmkit build",
        "orphan": "対応する解答がありません / no master in solutions/ for this exercise",
        "beside": "学習者が変更したため、隣に書き出しました / changed in place: written beside it",
        "conflict": (
            "生成後に書きかえられているため上書きしませんでした(--beside で隣に書き出す、"
            "--force で上書き) / changed in place since it was built: left alone "
            "(use --beside or --force)"
        ),
    }
    for r in results:
        stream = sys.stderr if r.action in ("outdated", "conflict", "orphan") else sys.stdout
        print(f"{r.exercise}: {lines[r.action]}", file=stream)
    if not results:
        print(f"{solutions}: 解答のノートブックがありません / no master notebooks", file=sys.stderr)
    problems = check_banks() if check else []
    for problem in problems:
        print(problem, file=sys.stderr)
    failed = any(r.action in ("outdated", "conflict", "orphan") for r in results)
    return 1 if failed or problems else 0


def check_banks(exercise_ids: Sequence[str] | None = None) -> list[str]:
    """Every registered question bank, checked on its own dataset (see ``bank_problems``).

    Examples
    --------
    >>> check_banks(["00"])
    []
    """
    ids = questions.exercise_ids() if exercise_ids is None else exercise_ids
    problems: list[str] = []
    for ex_id in ids:
        exercise = questions.get_exercise(ex_id)
        problems += questions.bank_problems(exercise, exercise.data.load())
    return problems
