"""Every error message ebpmkit shows its users, Japanese first, in one place for review.

Each entry is a pair of templates: the Japanese text a municipal learner reads first, then the
English text for a reader who needs it. :func:`message` fills both with the same fields and joins
them with a line break, so the first line of every error is Japanese. Learner feedback of the
grading tools (verdicts, hints) lives in :mod:`ebpmkit.grading.messages`; the errors of every
module, grading included, live here.

Examples
--------
>>> print(message("param_type", name="scale", accepted="数値", accepted_en="a number", got="'big'"))
引数 'scale' には数値を指定してください('big' が渡されました)。
The 'scale' parameter must be a number, but 'big' was passed.
"""

from __future__ import annotations

__all__ = ["MESSAGES", "message"]

# Keys are "<area>.<what went wrong>" so a reviewer can read one area at a time; the same
# field names are used in both languages so a template can never lose a value in translation.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- generic parameter errors (used by several modules) -----------------------------
    "param_type": (
        "引数 '{name}' には{accepted}を指定してください({got} が渡されました)。",
        "The '{name}' parameter must be {accepted_en}, but {got} was passed.",
    ),
    # --- dataset, cache, profile (dataset.py, cache.py, synth/) --------------------------
    # --- charts, maps, style --------------------------------------------------------------
    # --- anonymize -----------------------------------------------------------------------
    # --- furusato, tax --------------------------------------------------------------------
    # --- evaluate -------------------------------------------------------------------------
    # --- grading (build, grade, report, runner) and cli -----------------------------------
}


def message(key: str, **fields: object) -> str:
    """Return the message ``key`` in Japanese, then English on the next line.

    Parameters
    ----------
    key : str
        A key of :data:`MESSAGES`.
    **fields
        Values for the template's placeholders; both languages use the same names.

    Returns
    -------
    str
        ``"<Japanese>\\n<English>"``.

    Examples
    --------
    >>> message("param_type", name="seed", accepted="整数", accepted_en="an integer", got="1.5")
    "引数 'seed' には整数を指定してください(1.5 が渡されました)。\\nThe 'seed' parameter must be an integer, but 1.5 was passed."
    """
    japanese, english = MESSAGES[key]
    return f"{japanese.format(**fields)}\n{english.format(**fields)}"
