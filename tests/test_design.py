"""Design rules of the package that a review would otherwise have to catch by eye."""

from __future__ import annotations

import ast
from pathlib import Path

import ebpmkit

ROOT = Path(ebpmkit.__file__).resolve().parent
# A function longer than this is a run of steps that should be named stages (see the
# generator's modules, e.g. synth/population.py's simulate).
MAX_LINES = 120


def long_functions(root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    """Every function or method in ``root`` longer than ``limit`` lines, with its place."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines})")
    return found


def test_no_function_is_longer_than_the_limit():
    assert not long_functions(), f"split these into named stages: {long_functions()}"


def test_the_length_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "long.py").write_text(f"def wall():\n{body}\n", encoding="utf-8")
    assert long_functions(tmp_path) == [f"long.py:1 wall ({MAX_LINES + 1})"]
