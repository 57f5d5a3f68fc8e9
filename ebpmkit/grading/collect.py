"""``ebpmkit collect``: copy one exercise's notebook out of every learner's home, for grading.

On a JupyterHub each learner works in a home folder (``/home/<name>``, ``/home/jupyter-<name>``
or ``<homes>/<name>`` with The Littlest JupyterHub or a volume per user). :func:`collect` looks
in each home for the exercise's notebook (``exercises/NN_*.ipynb``, at any depth, since
nbgitpuller clones the edition into a folder of its own), and copies it to
``<to>/<learner>/``, read-only (0444), so the copy graded later is the copy collected. A
learner's files are only read. ``ebpmkit grade <to> --exercise NN`` then names each row after
the folder (:func:`ebpmkit.grading.grade.learner_of`).

Examples
--------
>>> notebook_pattern("00")
'00_*.ipynb'
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ebpmkit.errors import ParameterError
from ebpmkit.grading.grade import _unescape
from ebpmkit.grading.questions import get_exercise
from ebpmkit.messages import Message, message

__all__ = ["CollectReport", "collect", "find_exercise_notebooks", "main", "notebook_pattern"]

#: How deep below a home the exercise folder may be (``<home>/<edition>/exercises/``).
MAX_DEPTH = 4
#: Folders never searched: editor leftovers, caches, environments.
SKIP = {".ipynb_checkpoints", "__pycache__", "node_modules", "site-packages"}


@dataclass
class CollectReport:
    """What :func:`collect` did, learner by learner.

    Attributes
    ----------
    copied : dict of str to pathlib.Path
        Learner -> the read-only copy written.
    missing : list of str
        Learners whose home holds no notebook of the exercise.
    lines : list of Message
        One Japanese (and English) line per learner, in the order of the homes.
    """

    copied: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    lines: list[Message] = field(default_factory=list)


def notebook_pattern(exercise: str) -> str:
    """The file name pattern of an exercise's notebook (``NN_*.ipynb``).

    Parameters
    ----------
    exercise : str
        A registered exercise id such as ``"00"``.

    Returns
    -------
    str
        A glob pattern for the notebook's file name.

    Examples
    --------
    >>> notebook_pattern("06")
    '06_*.ipynb'
    """
    return f"{get_exercise(exercise).id}_*.ipynb"


def find_exercise_notebooks(home: str | Path, exercise: str) -> list[Path]:
    """The exercise's notebooks in one home: ``exercises/NN_*.ipynb`` at any shallow depth.

    Hidden folders (``.local``, ``.cache``, ``.ipynb_checkpoints``) are not searched.

    Parameters
    ----------
    home : str or pathlib.Path
        A learner's home folder.
    exercise : str
        A registered exercise id.

    Returns
    -------
    list of pathlib.Path
        The notebooks found, sorted.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> (home / "ebpm" / "exercises").mkdir(parents=True)
    >>> _ = (home / "ebpm" / "exercises" / "00_practice.ipynb").write_text("{}")
    >>> [p.relative_to(home).as_posix() for p in find_exercise_notebooks(home, "00")]
    ['ebpm/exercises/00_practice.ipynb']
    """
    pattern = notebook_pattern(exercise)
    base = Path(home)
    found: list[Path] = []
    for folder, dirs, _files in os.walk(base):
        depth = len(Path(folder).relative_to(base).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP)
        if depth >= MAX_DEPTH:
            dirs[:] = []
        if Path(folder).name == "exercises":
            found += [p for p in Path(folder).glob(pattern) if p.is_file()]
    return sorted(found)


def _choose(found: list[Path], exercise: str) -> Path:
    """The handed-out name first, else the notebook written last."""
    wanted = Path(get_exercise(exercise).notebook).name
    exact = [p for p in found if p.name == wanted]
    pool = exact or found
    return max(pool, key=lambda p: (p.stat().st_mtime, str(p)))


def _learner(home: Path) -> str:
    return _unescape(home.name.removeprefix("jupyter-"))


def collect(exercise: str, homes: str | Path, to: str | Path) -> CollectReport:
    """Copy each learner's notebook of an exercise into ``to/<learner>/``, read-only.

    Parameters
    ----------
    exercise : str
        A registered exercise id such as ``"00"``.
    homes : str or pathlib.Path
        The folder that holds one home folder per learner (``/home``, a hub's volume root).
    to : str or pathlib.Path
        Where the copies go (created if needed; outside ``homes``). A copy collected before
        is replaced by the current notebook.

    Returns
    -------
    CollectReport
        Who was collected, who has no notebook, and one line per learner.

    Raises
    ------
    ParameterError
        When the exercise is unknown, ``homes`` is not a folder or ``to`` is inside it.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "homes" / "jupyter-sato" / "exercises").mkdir(parents=True)
    >>> _ = (root / "homes" / "jupyter-sato" / "exercises" / "00_practice.ipynb").write_text("{}")
    >>> (root / "homes" / "suzuki").mkdir()
    >>> report = collect("00", root / "homes", root / "collected")
    >>> sorted(report.copied), report.missing
    (['sato'], ['suzuki'])
    >>> oct(report.copied["sato"].stat().st_mode & 0o777)
    '0o444'
    """
    ex = get_exercise(exercise).id
    base = Path(homes)
    if not base.is_dir():
        raise ParameterError(message("collect.no_homes", name="homes", path=str(base)))
    dest = Path(to)
    if dest.resolve().is_relative_to(base.resolve()):
        raise ParameterError(message("collect.inside_homes", name="to", path=str(dest)))
    report = CollectReport()
    for home in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
        learner = _learner(home)
        try:
            found = find_exercise_notebooks(home, ex)
        except OSError as exc:
            report.missing.append(learner)
            report.lines.append(message("collect.unreadable", learner=learner, reason=exc))
            continue
        if not found:
            report.missing.append(learner)
            report.lines.append(message("collect.none", learner=learner, exercise=ex))
            continue
        source = _choose(found, ex)
        data = source.read_bytes()  # the learner's file is only read
        target = dest / learner / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()  # an earlier, read-only copy
        with open(target, "xb") as fh:
            fh.write(data)
        os.chmod(target, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        report.copied[learner] = target
        rel = source.relative_to(home).as_posix()
        if len(found) > 1:
            files = ", ".join(p.relative_to(home).as_posix() for p in found)
            line = message(
                "collect.several", learner=learner, count=len(found), files=files, chosen=rel
            )
        else:
            line = message("collect.copied", learner=learner, source=rel)
        report.lines.append(line)
    return report


def grade_command(exercise: str, to: str | Path) -> str:
    """The ``ebpmkit grade`` command that grades what :func:`collect` wrote."""
    folder = Path(to)
    return shlex.join(
        [
            "ebpmkit",
            "grade",
            str(folder),
            "--exercise",
            exercise,
            "--out",
            str(folder / f"grades_{exercise}.csv"),
            "--feedback",
            str(folder / f"feedback_{exercise}"),
        ]
    )


def main(exercise: str, homes: str | Path, to: str | Path) -> int:
    """Collect, print one line per learner and the grade command; 0 when anything was copied."""
    report = collect(exercise, homes, to)
    for line in report.lines:
        print(line.ja)
    print(
        message(
            "collect.summary", copied=len(report.copied), folder=to, missing=len(report.missing)
        ).ja
    )
    print(message("collect.next").ja)
    print("  " + grade_command(get_exercise(exercise).id, to))
    return 0 if report.copied else 1
