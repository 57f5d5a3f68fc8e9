"""Friendly explanations of the errors beginners make, shown in the lesson kernels.

When ``import ebpmkit`` runs inside IPython (a Jupyter kernel), :func:`install` registers a
custom exception handler with IPython's documented ``InteractiveShell.set_custom_exc``. For the
errors a learner makes in their own code with pandas (a misspelt column, a name that is not
defined yet, text compared with a number ...) it shows a short Japanese explanation and what
to do, with the original traceback one click away (an HTML ``<details>``; plain-text frontends
get the traceback as text). An error ebpmkit raises on purpose (:class:`~ebpmkit.EbpmkitError`)
is shown as its message, Japanese first, without ebpmkit's internal frames. Any other error is
shown as IPython always shows it.

The handler never swallows an error. The cell still fails with the same exception, so "Run
All" stops there and nbval and ``ebpmkit grade`` see the error; the error output keeps the
exception's name, its message and the learner's own frames (the cell and functions defined in
cells). ``KeyboardInterrupt`` and ``SystemExit`` are never handled.

Turning it off: ``ebpmkit.friendly.uninstall()`` in a running kernel, or the environment
variable ``EBPMKIT_FRIENDLY_ERRORS=0`` before the kernel starts. ``install()`` turns it on again.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"fiscal_year": [2024], "age": [70]})
>>> try:
...     df["fiscal_yaer"]
... except KeyError as error:
...     print("\\n".join(explain(error).japanese))
表に「fiscal_yaer」という列はありません。
近い名前の列: fiscal_year
列名のつづり(大文字・小文字、_ の位置)を確かめてください。列名の一覧は 表.columns で表示できます。
"""

from __future__ import annotations

import ast
import builtins
import difflib
import html
import os
import re
import sys
import sysconfig
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ebpmkit.errors import EbpmkitError
from ebpmkit.messages import MESSAGES

__all__ = [
    "ENV",
    "HANDLED",
    "Explanation",
    "explain",
    "install",
    "install_on_import",
    "is_installed",
    "uninstall",
]

#: Set to ``0`` (or ``false``, ``no``, ``off``) to keep ``import ebpmkit`` from installing the handler.
ENV = "EBPMKIT_FRIENDLY_ERRORS"

#: The exception classes the handler looks at; every other error goes straight to IPython.
HANDLED: tuple[type[BaseException], ...] = (
    EbpmkitError,
    KeyError,
    NameError,
    TypeError,
    ValueError,
    AttributeError,
)

_OFF = ("0", "false", "no", "off")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(
    sorted(
        {
            os.path.abspath(path)
            for key in ("stdlib", "platstdlib", "purelib", "platlib")
            if (path := sysconfig.get_paths().get(key))
        }
    )
)
# Libraries whose errors a learner's own code causes directly (the frames between the learner's
# code and the raise may belong to them).
_DATA_LIBRARIES = ("pandas", "numpy")


# --------------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Explanation:
    """What went wrong and what to do: lines of Japanese, each with its English.

    Examples
    --------
    >>> e = Explanation((("列がありません。", "No such column."),))
    >>> e.headline, e.english
    ('列がありません。', ['No such column.'])
    """

    lines: tuple[tuple[str, str], ...]

    @property
    def headline(self) -> str:
        """The first Japanese line (what went wrong)."""
        return self.lines[0][0]

    @property
    def japanese(self) -> list[str]:
        """The Japanese lines, in order."""
        return [ja for ja, _ in self.lines if ja]

    @property
    def english(self) -> list[str]:
        """The English lines, in order (empty ones left out)."""
        return [en for _, en in self.lines if en]

    def text(self, original: str = "", ename: str = "") -> str:
        """Plain text: the Japanese lines, the English ones, then the original error."""
        parts = [f"⚠️ {self.headline}", *self.japanese[1:]]
        if self.english:
            parts += ["", *self.english]
        if original:
            ja, en = _line("friendly.original", ename=ename)
            parts += ["", f"--- {ja} / {en} ---", original]
        return "\n".join(parts)

    def html(self, original: str = "", ename: str = "") -> str:
        """An HTML box; the original error is inside a closed ``<details>``."""

        def escape(line: str) -> str:
            return html.escape(line, quote=False)

        body = "".join(f"<div>{escape(line)}</div>" for line in self.japanese[1:])
        english = "<br>".join(escape(line) for line in self.english)
        details = ""
        if original:
            summary, summary_en = _line("friendly.original", ename=ename)
            details = (
                f'<details style="margin-top:6px"><summary>{escape(summary)}'
                f' / {escape(summary_en)}</summary><pre style="white-space:pre-wrap;'
                f'font-size:85%">{escape(original)}</pre></details>'
            )
        return (
            '<div class="ebpmkit-friendly-error" style="border-left:6px solid #D55E00;'
            'padding:6px 10px;margin:4px 0;background:rgba(213,94,0,0.06)">'
            f"<b>⚠️ {escape(self.headline)}</b>{body}"
            + (
                f'<div style="color:#555;font-size:90%;margin-top:4px">{english}</div>'
                if english
                else ""
            )
            + details
            + "</div>"
        )


def _line(entry: str, /, **fields: Any) -> tuple[str, str]:
    """Both templates of ``entry``, filled; a field ``<name>_en`` is the English value of ``<name>``."""
    japanese, english = MESSAGES[entry]
    ja = {k: v for k, v in fields.items() if not k.endswith("_en")}
    en = {**ja, **{k.removesuffix("_en"): v for k, v in fields.items() if k.endswith("_en")}}
    return japanese.format(**ja), english.format(**en)


def _names(values: Any, limit: int = 12) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:limit])
    return shown + (f" ほか{len(values) - limit}個" if len(values) > limit else "")


def _closest(word: str, candidates: Any, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Close matches, ignoring case first (``Age`` finds ``age``)."""
    candidates = [str(c) for c in candidates]
    lower = {c.lower(): c for c in candidates}
    exact = [lower[word.lower()]] if word.lower() in lower and lower[word.lower()] != word else []
    close = difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
    return list(dict.fromkeys(exact + close))[:n]


# --------------------------------------------------------------------------------------------
# Where an error comes from
# --------------------------------------------------------------------------------------------
def _walk(tb: types.TracebackType | None) -> Iterator[types.TracebackType]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _origin(frame: types.FrameType) -> str:
    """``"user"`` (a cell, a function defined in one), ``"data"`` (pandas, numpy),
    ``"ebpmkit"`` or ``"library"``."""
    filename = frame.f_code.co_filename
    module = str(frame.f_globals.get("__name__", ""))
    if module.split(".")[0] in _DATA_LIBRARIES:
        return "data"
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    if path.startswith(_PACKAGE_DIR + os.sep):
        return "ebpmkit"
    parts = set(path.split(os.sep))
    if (
        filename.startswith("<frozen")
        or path.startswith(_LIBRARY_DIRS)
        or parts & {"site-packages", "dist-packages"}
    ):
        return "library"
    return "user"


def _split(error: BaseException) -> tuple[list[types.FrameType], list[types.FrameType]] | None:
    """The learner's frames and the pandas/numpy frames after the last of them, or None when
    the error did not come from the learner's own code (another library or ebpmkit is between)."""
    frames = [tb.tb_frame for tb in _walk(error.__traceback__)]
    origins = [_origin(f) for f in frames]
    if "user" not in origins:
        return None
    last = max(i for i, o in enumerate(origins) if o == "user")
    if any(o != "data" for o in origins[last + 1 :]):
        return None
    return [f for f, o in zip(frames, origins, strict=True) if o == "user"], frames[last + 1 :]


# --------------------------------------------------------------------------------------------
# The rules: each returns an Explanation or None
# --------------------------------------------------------------------------------------------
_KEY_MESSAGES = (
    re.compile(r"(?P<keys>\[.*\]) not (in index|found in axis)", re.S),
    re.compile(r"None of (?P<keys>.*) are in the \[?(columns|index)\]?", re.S),
    re.compile(r"Columns? not found: (?P<keys>.*)", re.S),
    re.compile(r"name '(?P<keys>.+)' is not defined"),
)


def _missing_keys(error: BaseException) -> list[Any]:
    raw = error.args[0] if error.args else None
    if isinstance(error, NameError):
        name = getattr(error, "name", None)
        if name:
            return [name]
    if isinstance(raw, str):
        for pattern in _KEY_MESSAGES:
            match = pattern.fullmatch(raw.strip())
            if match:
                inner = match.group("keys")
                quoted = re.findall(r"'((?:[^'\\]|\\.)*)'", inner)
                if inner.startswith("[") and not quoted:
                    try:
                        return list(ast.literal_eval(inner))
                    except (ValueError, SyntaxError):
                        pass
                return [q for q in quoted if q not in ("str", "object")] or [inner.strip()]
    return [raw]


def _table_in(frames: list[types.FrameType]) -> tuple[pd.DataFrame | None, pd.Index | None]:
    """The outermost DataFrame pandas was working on, and the innermost Index it searched."""
    table, index = None, None
    for frame in frames:
        owner = frame.f_locals.get("self")
        if table is None:
            if isinstance(owner, pd.DataFrame):
                table = owner
            elif isinstance(getattr(owner, "obj", None), pd.DataFrame):
                table = owner.obj  # .loc, .iloc and groupby objects keep their table in .obj
        if isinstance(owner, pd.Index):
            index = owner
    return table, index


def _label_matches(key: str, columns: list[str]) -> list[str]:
    """Columns whose Japanese label in the data dictionary is ``key`` (``年度`` -> fiscal_year)."""
    if key.isascii():
        return []
    try:
        from ebpmkit._labels import lookup

        return [c for c in columns if lookup(c)[0] == key]
    except Exception:  # the dictionary is a nicety here; never let it hide the error
        return []


def _absent(key: Any, columns: pd.Index) -> bool:
    try:
        return key not in columns
    except TypeError:  # an unhashable key (a list inside a list) is not a column name
        return False


def _missing_column(error: BaseException, data: list[types.FrameType]) -> Explanation | None:
    if not (isinstance(error, KeyError) or (isinstance(error, NameError) and data)):
        return None
    table, index = _table_in(data)
    if table is None:
        return None
    if index is not None and index is table.index and index is not table.columns:
        return None  # a row label that is not there (df.loc["x"]), not a column
    columns = [str(c) for c in table.columns]
    missing = [k for k in _missing_keys(error) if _absent(k, table.columns)]
    if not missing:
        return None
    key = str(missing[0])
    lines = [_line("friendly.missing_column", key=key)]
    if isinstance(missing[0], int) and not isinstance(missing[0], bool):
        lines.append(_line("friendly.row_by_position", position=missing[0]))
    labelled = _label_matches(key, columns)
    close = _closest(key, columns)
    if labelled:
        lines.append(_line("friendly.label_column", key=key, column=labelled[0]))
    elif close:
        lines.append(_line("friendly.closest_columns", names=", ".join(close)))
    else:
        lines.append(_line("friendly.all_columns", names=_names(columns)))
    lines.append(_line("friendly.column_tip"))
    return Explanation(tuple(lines))


# Names a lesson defines in its first cells: what makes them exist.
_DEFINED_BY = {
    "pd": "import pandas as pd",
    "np": "import numpy as np",
    "plt": "import matplotlib.pyplot as plt",
    "ebpmkit": "import ebpmkit",
    "charts": "from ebpmkit import charts",
    "maps": "from ebpmkit import maps",
    "evaluate": "from ebpmkit import evaluate",
    "anonymize": "from ebpmkit import anonymize",
    "start": "from ebpmkit.grading import start, check, hint, progress",
    "check": "from ebpmkit.grading import start, check, hint, progress",
    "hint": "from ebpmkit.grading import start, check, hint, progress",
    "progress": "from ebpmkit.grading import start, check, hint, progress",
    "ds": 'ds = start("00") や ds = ebpmkit.load()',
}
_HIDDEN = {"In", "Out", "exit", "quit", "get_ipython", "copyright", "credits", "license"}


def _undefined_name(
    error: BaseException, user: list[types.FrameType], data: list
) -> Explanation | None:
    if not isinstance(error, NameError) or data:
        return None
    name = getattr(error, "name", None) or "".join(_missing_keys(error)[:1] or [""])
    if not isinstance(name, str) or not name:
        return None
    frame = user[-1]
    known = {*frame.f_globals, *frame.f_locals, *vars(builtins)}
    known = {n for n in known if not n.startswith("_") and n not in _HIDDEN and n != name}
    lines = [_line("friendly.undefined_name", name=name)]
    if name == "答え":
        lines.append(_line("friendly.answer_placeholder"))
    elif re.fullmatch(r"q\d+", name):
        lines.append(_line("friendly.quote_id", name=name))
    if name in _DEFINED_BY:
        lines.append(_line("friendly.defined_by", name=name, statement=_DEFINED_BY[name]))
    close = _closest(name, sorted(known), cutoff=0.7)
    if close:
        lines.append(_line("friendly.closest_names", names=", ".join(close)))
    lines.append(_line("friendly.run_above"))
    return Explanation(tuple(lines))


_KIND = {pd.DataFrame: ("表(DataFrame)", "DataFrame"), pd.Series: ("列(Series)", "Series")}
# Methods that pandas 2 removed: what to write instead, in Japanese and in English.
_REMOVED = {
    "append": ("pd.concat([表1, 表2])", "pd.concat([table1, table2])"),
    "iteritems": (".items()", ".items()"),
    "ix": (".loc[...] や .iloc[...]", ".loc[...] or .iloc[...]"),
}


def _no_attribute(error: BaseException, data: list) -> Explanation | None:
    obj = getattr(error, "obj", None)
    name = getattr(error, "name", None)
    if not isinstance(error, AttributeError) or not isinstance(name, str):
        return None
    kind = next((k for cls, k in _KIND.items() if isinstance(obj, cls)), None)
    if kind is None:
        return None
    entry = "friendly.no_attribute" if isinstance(obj, pd.DataFrame) else "friendly.no_method"
    lines = [_line(entry, kind=kind[0], kind_en=kind[1], name=name)]
    if name in _REMOVED:
        instead, instead_en = _REMOVED[name]
        lines.append(
            _line("friendly.removed_method", name=name, instead=instead, instead_en=instead_en)
        )
    if isinstance(obj, pd.DataFrame):
        columns = _closest(name, obj.columns)
        if columns:
            lines.append(_line("friendly.use_column", column=columns[0]))
    methods = _closest(name, [m for m in dir(type(obj)) if not m.startswith("_")], cutoff=0.75)
    if methods and name not in _REMOVED:
        lines.append(_line("friendly.closest_methods", names=", ".join(methods)))
    return Explanation(tuple(lines))


_NUMBER_TYPES = r"(int|float|complex|bool|int\d+|float\d+|Int\d+|Float\d+|number)"
_PATTERNS: tuple[
    tuple[type[BaseException], re.Pattern[str], Callable[[re.Match[str]], list]], ...
] = (
    (
        TypeError,
        re.compile(
            rf"(Invalid comparison between dtype=(str|object|string) and {_NUMBER_TYPES}"
            rf"|Invalid comparison between dtype={_NUMBER_TYPES} and (str|object|string)"
            r"|'[<>=!]+' not supported between instances of '\w+' and '\w+')"
        ),
        lambda m: [_line("friendly.text_vs_number"), _line("friendly.text_vs_number_do")],
    ),
    (
        ValueError,
        re.compile(r"The truth value of an? (Series|DataFrame|array).* is ambiguous.*", re.S),
        lambda m: [_line("friendly.ambiguous"), _line("friendly.ambiguous_do")],
    ),
    (
        TypeError,
        re.compile(
            r"(can only concatenate str \(not \"\w+\"\) to str"
            r"|unsupported operand type\(s\) for .+: '(str|int|float)' and '(str|int|float)'"
            r"|operation '\w+' not supported for dtype '(str|object|string)'.*)"
        ),
        lambda m: [_line("friendly.text_arithmetic"), _line("friendly.text_arithmetic_do")],
    ),
    (
        TypeError,
        re.compile(r"'(DataFrame|Series)' object is not callable"),
        lambda m: [
            _line(
                "friendly.not_callable",
                kind=_KIND[getattr(pd, m.group(1))][0],
                kind_en=m.group(1),
            ),
            _line("friendly.not_callable_do"),
        ],
    ),
    (
        ValueError,
        re.compile(
            r"(could not convert string to float: |invalid literal for int\(\) with base \d+: "
            r"|Unable to parse string )(?P<value>'.*'|\".*\")( at position \d+)?",
            re.S,
        ),
        lambda m: [
            _line("friendly.not_a_number", value=m.group("value")),
            _line("friendly.not_a_number_do"),
        ],
    ),
    (
        ValueError,
        re.compile(
            r"You are trying to merge on (?P<left>\S+) and (?P<right>\S+) columns"
            r"(?: for key '(?P<key>[^']+)')?.*",
            re.S,
        ),
        lambda m: [
            _line(
                "friendly.merge_types",
                key=m.group("key") or "",
                left=m.group("left"),
                right=m.group("right"),
            ),
            _line("friendly.merge_types_do", key=m.group("key") or "列名"),
        ],
    ),
    (
        TypeError,
        re.compile(r"Cannot perform reduction '(?P<op>\w+)' with (string|str|object) dtype"),
        lambda m: [
            _line("friendly.text_reduction", operation=m.group("op")),
            _line("friendly.text_reduction_do"),
        ],
    ),
)


def _pattern(error: BaseException) -> Explanation | None:
    message = str(error)
    for cls, pattern, build in _PATTERNS:
        if isinstance(error, cls):
            match = pattern.fullmatch(message.strip())
            if match:
                return Explanation(tuple(build(match)))
    return None


def explain(error: BaseException) -> Explanation | None:
    """A short Japanese explanation of ``error`` and what to do, or None for any other error.

    Explained: an error ebpmkit raised on purpose (its own message), and the errors a learner
    makes in their own code with pandas: a missing DataFrame column (with the closest names),
    a name not defined yet, text compared or computed with numbers, ``and``/``or`` between
    conditions, a table called with ``( )``, text that is not a number, merge keys of two
    types, a mean of a text column, and a DataFrame attribute that does not exist. An error
    raised inside another library, or inside ebpmkit without being an EbpmkitError, is not
    explained (None).

    Parameters
    ----------
    error : BaseException
        The exception, with its traceback (``error.__traceback__``).

    Returns
    -------
    Explanation or None

    Examples
    --------
    >>> try:
    ...     undefined_table.head()
    ... except NameError as error:
    ...     print(explain(error).headline)
    「undefined_table」という名前はまだありません(変数や関数が作られていません)。
    >>> explain(ZeroDivisionError("division by zero")) is None
    True
    """
    if isinstance(error, EbpmkitError):
        text = str(error).strip()
        first, _, rest = text.partition("\n")
        return Explanation(((first, ""), *((line, "") for line in rest.splitlines() if line)))
    if not isinstance(error, HANDLED):
        return None
    split = _split(error)
    if split is None:
        return None
    user, data = split
    for rule in (
        lambda: _missing_column(error, data),
        lambda: _undefined_name(error, user, data),
        lambda: _no_attribute(error, data),
        lambda: _pattern(error),
    ):
        found = rule()
        if found is not None:
            return found
    return None


# --------------------------------------------------------------------------------------------
# The IPython handler
# --------------------------------------------------------------------------------------------
def _short_error(value: BaseException) -> BaseException:
    """A copy of ``value`` without its chain and with only the first line of its message."""
    short = type(value).__new__(type(value))
    short.__dict__.update(getattr(value, "__dict__", {}))
    first = str(value).strip().partition("\n")[0]
    short.args = value.args if "\n" not in str(value).strip() else (first,)
    short.__cause__, short.__context__, short.__suppress_context__ = None, None, True
    return short


def _learner_traceback(shell: Any, etype: type, value: BaseException, tb: Any) -> list[str]:
    """The standard traceback of the learner's own frames only (cells and their functions)."""
    chain = None
    for item in reversed(list(_walk(tb))):
        if _origin(item.tb_frame) == "user":
            chain = types.TracebackType(chain, item.tb_frame, item.tb_lasti, item.tb_lineno)
    return shell.InteractiveTB.structured_traceback(etype, _short_error(value), chain, tb_offset=0)


def _show_friendly(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any) -> bool:
    if hasattr(value, "_render_traceback_") or isinstance(value, BaseExceptionGroup):
        return False
    explanation = explain(value)
    if explanation is None:
        return False
    # What %tb and %debug read, as IPython's own showtraceback sets it.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):  # pragma: no cover - depends on the interpreter
        sys.last_exc = value
    full = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    original = _ANSI.sub("", shell.InteractiveTB.stb2text(full))
    short = _learner_traceback(shell, etype, value, tb)
    from IPython.display import display

    name = etype.__name__
    display(
        {
            "text/plain": explanation.text(original, name),
            "text/html": explanation.html(original, name),
        },
        raw=True,
    )
    # The error itself: the cell fails, and the error output names the exception as always.
    shell._showtraceback(etype, value, short)
    if getattr(shell, "call_pdb", False):
        shell.debugger(force=True)
    return True


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    """The custom exception handler: friendly when the error is explained, IPython's otherwise."""
    try:
        shown = _show_friendly(shell, etype, value, tb, tb_offset)
    except Exception:
        shown = False
    if not shown:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def _shell(shell: Any = None) -> Any:
    if shell is not None:
        return shell
    if "IPython" not in sys.modules:  # no IPython loaded, so no kernel either
        return None
    from IPython import get_ipython

    return get_ipython()


def is_installed(shell: Any = None) -> bool:
    """Whether the friendly handler is installed in ``shell`` (the running IPython by default).

    Examples
    --------
    >>> is_installed() in (True, False)
    True
    """
    shell = _shell(shell)
    handler = getattr(getattr(shell, "CustomTB", None), "__func__", None)
    return shell is not None and getattr(handler, "_ebpmkit_friendly", False) is True


def install(shell: Any = None) -> bool:
    """Show friendly Japanese explanations for the errors beginners make in ``shell``.

    ``import ebpmkit`` calls this in an IPython kernel unless ``EBPMKIT_FRIENDLY_ERRORS=0``.
    Another custom handler already installed is left in place.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        The shell; the running one (``get_ipython()``) by default.

    Returns
    -------
    bool
        Whether the handler is installed now (False outside IPython).

    Examples
    --------
    >>> install()  # doctest: +SKIP
    True
    """
    shell = _shell(shell)
    if shell is None:
        return False
    if is_installed(shell):
        return True
    if getattr(shell, "custom_exceptions", ()) not in ((), None):
        return False
    shell.set_custom_exc(HANDLED, _handler)
    shell.CustomTB.__func__._ebpmkit_friendly = True
    return True


def uninstall(shell: Any = None) -> bool:
    """Go back to IPython's usual error display (undoes :func:`install`).

    Returns
    -------
    bool
        Whether a friendly handler was removed.

    Examples
    --------
    >>> uninstall()  # doctest: +SKIP
    True
    """
    shell = _shell(shell)
    if shell is None or not is_installed(shell):
        return False
    shell.set_custom_exc((), None)
    return True


def install_on_import() -> bool:
    """What ``import ebpmkit`` runs: :func:`install` in IPython unless ``EBPMKIT_FRIENDLY_ERRORS=0``.

    Examples
    --------
    >>> install_on_import() in (True, False)
    True
    """
    if os.environ.get(ENV, "").strip().lower() in _OFF:
        return False
    try:
        return install()
    except Exception:
        return False
