"""The vocabulary table in docs/architecture.md holds for the public signatures."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def vocabulary() -> dict[str, list[str]]:
    """Parameter name -> the functions ("module.function") the table says take it."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- vocabulary: start -->")[1].split("<!-- vocabulary: end -->")[0]
    rows = {}
    for line in table.strip().splitlines()[2:]:
        name, _meaning, used_by = (cell.strip() for cell in line.strip("|").split("|"))
        rows[name.strip("`")] = [f.strip() for f in used_by.split(",")]
    return rows


def parameters(qualified: str) -> set[str]:
    module, name = qualified.split(".")
    func = getattr(importlib.import_module(f"ebpmkit.{module}"), name)
    return set(inspect.signature(func).parameters)


ROWS = sorted((name, f) for name, users in vocabulary().items() for f in users)


@pytest.mark.parametrize(("name", "function"), ROWS)
def test_table_matches_the_signature(name, function):
    assert name in parameters(function), f"{function} has no parameter '{name}'"


def test_the_time_column_has_one_name_everywhere():
    for function in ("charts.trend", "maps.choropleth", "maps.small_multiples",
                     "evaluate.plot_trends"):  # fmt: skip
        assert "time" in parameters(function), function
    assert "x" not in parameters("charts.trend")
    assert "by" not in parameters("maps.small_multiples")
    assert "group" not in parameters("evaluate.plot_trends")


def test_every_shared_name_of_a_helper_is_in_the_table():
    """A parameter that two public helpers share must be a row of the table."""
    rows = vocabulary()
    seen: dict[str, list[str]] = {}
    for module in ("charts", "maps", "evaluate"):
        mod = importlib.import_module(f"ebpmkit.{module}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and not re.match(r"[A-Z_]", name):
                for param in inspect.signature(obj).parameters:
                    seen.setdefault(param, []).append(f"{module}.{name}")
    shared = {p: fs for p, fs in seen.items() if len(fs) > 1}
    # Parameters two helpers share only because one passes them on (a map's look), listed here.
    map_only = {"scheme", "k", "breaks", "suppressed", "cmap", "profile", "boundaries"}
    missing = sorted(set(shared) - set(rows) - map_only)
    assert not missing, f"add these shared parameter names to the vocabulary table: {missing}"
