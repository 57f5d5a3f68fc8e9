"""What a grading run produces: the submissions it found and one result per submission.

These types are shared by :mod:`ebpmkit.grading.grade`, which makes them, and
:mod:`ebpmkit.grading.report`, which writes them out. They live here, apart from both, so
that neither of those modules has to import the other. ``grade`` re-exports them, so
``from ebpmkit.grading.grade import GradeResult`` keeps working.

Examples
--------
>>> r = GradeResult(Submission(Path("00_practice.ipynb"), "tanaka"), None, "not_a_notebook")
>>> r.total, r.max_points, r.status in STATUSES
(0, 0, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ebpmkit.errors import ParameterError
from ebpmkit.grading.messages import STATUS_LABELS
from ebpmkit.grading.questions import Verdict, get_exercise

__all__ = ["STATUSES", "GradeResult", "Submission"]

# Every status a result can have; their meanings are listed in ebpmkit.grading.grade.
STATUSES = tuple(STATUS_LABELS)


@dataclass(frozen=True)
class Submission:
    """One file handed in: where it is, whose it is, and whether it was named itself.

    ``given`` is False for a file found inside a folder given on the command line; such a
    file that is no exercise's notebook (a lesson in a learner's home) is not a submission.
    """

    path: Path
    learner: str
    given: bool = True


@dataclass
class GradeResult:
    """The grading of one submission."""

    submission: Submission
    exercise: str | None
    status: str
    detail: str = ""
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    seconds: float = 0.0
    #: Whether the run used the grading sandbox (False: ``--no-sandbox``).
    sandboxed: bool = True
    #: The seed of the ``--verify-seed`` re-run, if any.
    verify_seed: int | None = None

    @property
    def total(self) -> float:
        """Points earned."""
        return sum(v.points for v in self.verdicts.values())

    @property
    def max_points(self) -> int:
        """Points available (0 when the exercise is unknown)."""
        try:
            return get_exercise(self.exercise).max_points if self.exercise else 0
        except ParameterError:
            return 0

    @property
    def explanation(self) -> str:
        """The status in Japanese, with the specifics."""
        label = STATUS_LABELS.get(self.status, self.status)
        return f"{label}({self.detail})" if self.detail else label
