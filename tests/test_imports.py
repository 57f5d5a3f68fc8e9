"""No import cycles between ebpmkit's modules.

A cycle makes the result of ``import`` depend on which module happens to be imported first
(one of them sees the other half-initialised), so it breaks in ways that no single test shows.
This test reads every module's source with :mod:`ast` (nothing is imported) and builds the
graph of the imports that run when a module is imported: statements at module level,
including those inside module-level ``if``/``try``/``with`` blocks and class bodies, but not
those under ``if TYPE_CHECKING:`` and not those inside functions (a deferred import runs
after every module involved has finished loading). Within ``ebpmkit.grading`` imports inside
functions count too: a deferred import there once hid the cycle grade -> report -> grade.

Edges follow what Python executes:

- ``import a.b.c`` and ``from a.b.c import name`` depend on ``a.b.c``;
- ``from a.b import c`` depends on the submodule ``a.b.c`` when there is one, else on ``a.b``;
- the implicit import of parent packages is not an edge: a package's ``__init__`` importing
  its own submodules, which import their siblings, is how packages are built, not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ebpmkit

PACKAGE = "ebpmkit"
ROOT = Path(ebpmkit.__file__).resolve().parent


def _modules(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of the package, by dotted name (found on disk, not imported)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        # Only folders that are packages hold modules (data folders may hold stray .py files).
        if any(
            not (root / Path(*rel.parts[:i]) / "__init__.py").is_file()
            for i in range(1, len(rel.parts))
        ):
            continue
        parts = [package, *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(body: list[ast.stmt], deferred: bool):
    """The import statements that run when the module body runs (and, if ``deferred``, those
    that run when its functions are called)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if deferred:
                yield from _import_statements(node.body, deferred)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_statements(node.body, deferred)
            yield from _import_statements(node.orelse, deferred)
        elif isinstance(node, ast.ClassDef):
            yield from _import_statements(node.body, deferred)
        else:  # try, with, for, while, match: their blocks run too
            for block in ("body", "orelse", "finalbody"):
                yield from _import_statements(getattr(node, block, []), deferred)
            for part in [*getattr(node, "handlers", []), *getattr(node, "cases", [])]:
                yield from _import_statements(part.body, deferred)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of a (possibly relative) import target."""
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def import_graph(
    modules: dict[str, Path] | None = None, *, deferred: bool = False
) -> dict[str, set[str]]:
    """For every module, the package modules its import runs (see the module docstring).

    With ``deferred=True`` the imports inside functions count as well.
    """
    modules = _modules() if modules is None else modules
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in _import_statements(tree.body, deferred):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, is_package, node.level, node.module)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules, as ``[a, b, ..., a]``.

    Examples
    --------
    >>> find_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b', 'a']]
    >>> find_cycles({"a": {"b"}, "b": set()})
    []
    """
    # Tarjan's strongly connected components, iteratively (no recursion limit to hit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return [_cycle_in(graph, group) for group in sorted(groups)]


def _cycle_in(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected group."""
    members = set(group)
    start = group[0]
    came_from: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for child in sorted(graph[node] & members):
            if child == start:
                path = [start]
                while node != start:
                    path.append(node)
                    node = came_from[node]
                return [start, *reversed(path[1:]), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    raise AssertionError(f"{group} is not strongly connected")  # pragma: no cover


def test_modules_are_found():
    modules = _modules()
    assert {"ebpmkit", "ebpmkit.cache", "ebpmkit.grading", "ebpmkit.grading.grade"} <= set(modules)


def test_import_graph_reads_the_import_forms(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg import a\n")
    (pkg / "a.py").write_text("from . import b\nimport pkg.sub.c as c\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import a\n"
        "def later():\n    from pkg import a\n"
        "try:\n    from .sub import c\nexcept ImportError:\n    pass\n"
    )
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from ..a import name\n")
    graph = import_graph(_modules(pkg, "pkg"))
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b", "pkg.sub.c"},
        "pkg.b": {"pkg.sub.c"},
        "pkg.sub": set(),
        "pkg.sub.c": {"pkg.a"},
    }
    assert find_cycles(graph) == [["pkg.a", "pkg.sub.c", "pkg.a"]]
    assert import_graph(_modules(pkg, "pkg"), deferred=True)["pkg.b"] == {"pkg.a", "pkg.sub.c"}


def test_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, (
        "Import cycles between ebpmkit modules (move what both need elsewhere):\n"
        + ("\n".join(" -> ".join(cycle) for cycle in cycles))
    )


def test_no_import_cycles_in_grading_even_deferred():
    # grade.main imports report inside the function; report must still not import grade back
    # (the result types both need live in grading.results).
    graph = import_graph(deferred=True)
    grading = {
        name: {t for t in targets if t.startswith("ebpmkit.grading")}
        for name, targets in graph.items()
        if name.startswith("ebpmkit.grading")
    }
    cycles = find_cycles(grading)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)
