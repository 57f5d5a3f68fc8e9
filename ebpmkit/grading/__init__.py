"""Graded notebooks: questions as data, immediate checks, exercise builds and class grading.

In a notebook::

    from ebpmkit.grading import check, hint, progress, start
    ds = start("00")            # load the exercise's data, prepare the answer key
    check("q1", answer)         # Japanese verdict and hint; never the expected value
    hint("q1")                  # the next hint
    progress()                  # this learner's progress across all exercises

For trainers, ``ebpmkit build`` (:mod:`ebpmkit.grading.build`) writes exercises/ from the
masters in solutions/, and ``ebpmkit grade`` (:mod:`ebpmkit.grading.grade`) grades a class.
"""

from ebpmkit.grading.checks import AnswerError, check, hint, progress, progress_table, start
from ebpmkit.grading.questions import (
    DatasetConfig,
    Exercise,
    Misconception,
    Question,
    Verdict,
    evaluate,
    exercise_ids,
    get_exercise,
    register,
)

__all__ = [
    "AnswerError",
    "DatasetConfig",
    "Exercise",
    "Misconception",
    "Question",
    "Verdict",
    "check",
    "evaluate",
    "exercise_ids",
    "get_exercise",
    "hint",
    "progress",
    "progress_table",
    "register",
    "start",
]
