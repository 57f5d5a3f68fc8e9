"""Every dataset a class needs, generated in one go (`ebpmkit generate --class`).

A class works on one municipality (``EBPMKIT_PROFILE``, ``EBPMKIT_SEED``), but at several
scales and seeds: the lessons' default ``ebpmkit.load()`` (scale 1), the scales the lessons and
the managers' workshop pass, and each exercise bank's :class:`~ebpmkit.grading.questions.
DatasetConfig` (its own scale and its distance from the class's seed). Generating them all
before the session, into the shared data folder (``EBPMKIT_DATA_DIR``), means no learner waits
for a generation and a read-only shared folder never lacks a dataset.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ebpmkit import cache
from ebpmkit._atomic import write_text_atomic
from ebpmkit.dataset import class_file_path, class_settings, load
from ebpmkit.errors import ParameterError
from ebpmkit.messages import message
from ebpmkit.synth.profile import load_profile

__all__ = [
    "ClassDataset",
    "class_datasets",
    "generate_class",
    "lesson_scales",
    "write_class_file",
]

#: The scale of ``ebpmkit.load()`` without ``scale=`` (the lessons' default load).
DEFAULT_LOAD_SCALE = 1.0


@dataclass(frozen=True)
class ClassDataset:
    """One dataset the class needs: profile, seed, scale, and who uses it (Japanese labels)."""

    profile: str
    seed: int
    scale: float
    used_by: tuple[str, ...]

    def describe(self) -> str:
        """One Japanese line: the dataset and who uses it."""
        return f"{self.profile}・seed {self.seed}・scale {self.scale:g}({'、'.join(self.used_by)})"


def _load_scales(source: str) -> list[float]:
    """The ``scale=`` of each ``ebpmkit.load(...)`` / ``load(...)`` call in one code cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: nothing we can read
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
        if name != "load" or owner not in (None, "ebpmkit"):
            continue
        scale = DEFAULT_LOAD_SCALE
        for kw in node.keywords:
            if kw.arg == "scale" and isinstance(kw.value, ast.Constant):
                scale = float(kw.value.value)
        found.append(scale)
    return found


def lesson_scales(folder: str | Path) -> dict[float, list[str]]:
    """The scales the lesson notebooks of ``folder`` load, with the lessons that load each.

    Parameters
    ----------
    folder : str or Path
        The lessons folder (``notebooks/``); its ``*.ipynb`` files are read, not run.

    Returns
    -------
    dict of float to list of str

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> cell = {"cell_type": "code", "source": "ds = ebpmkit.load(scale=0.05)"}
    >>> _ = (folder / "01_x.ipynb").write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    >>> lesson_scales(folder)
    {0.05: ['01_x']}
    """
    folder = Path(str(folder))
    if not folder.is_dir():
        raise ParameterError(message("classdata.no_lessons", folder=folder))
    scales: dict[float, list[str]] = {}
    for path in sorted(folder.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            for scale in _load_scales(source):
                users = scales.setdefault(scale, [])
                if path.stem not in users:
                    users.append(path.stem)
    return scales


def class_datasets(
    environ: Mapping[str, str] | None = None, lessons: str | Path | None = None
) -> list[ClassDataset]:
    """Every dataset the lessons, the workshop and the exercises load, once each, smallest first.

    Parameters
    ----------
    environ : mapping, optional
        Where ``EBPMKIT_PROFILE`` and ``EBPMKIT_SEED`` are read (default ``os.environ``).
    lessons : str or Path, optional
        The lessons folder to scan for ``load(scale=...)``; without it only the default load
        (scale 1) and the workshop's scale count for the lessons.

    Returns
    -------
    list of ClassDataset

    Examples
    --------
    >>> sets = class_datasets({"EBPMKIT_PROFILE": "town", "EBPMKIT_SEED": "7"})
    >>> {d.profile for d in sets}, sets[-1].scale
    ({'town'}, 1.0)
    """
    from ebpmkit.grading import questions
    from ebpmkit.widgets import WORKSHOP_SCALE

    environ = os.environ if environ is None else environ
    settings = class_settings(environ)
    profile, seed = str(settings.profile), settings.seed
    wanted: dict[tuple[str, int, float], list[str]] = {}

    def add(key: tuple[str, int, float], who: str) -> None:
        users = wanted.setdefault(key, [])
        if who not in users:
            users.append(who)

    add((profile, seed, DEFAULT_LOAD_SCALE), "レッスンの既定")
    if lessons is not None:
        for scale, users in lesson_scales(lessons).items():
            for who in users:
                add((profile, seed, scale), f"レッスン {who}")
    add((profile, seed, float(WORKSHOP_SCALE)), "管理職向けワークショップ")
    for exercise_id in questions.exercise_ids():
        config = questions.get_exercise(exercise_id).data
        ex_profile, ex_seed = config.resolve(environ)
        add((str(ex_profile), int(ex_seed), float(config.scale)), f"練習問題 {exercise_id}")
    return sorted(
        (ClassDataset(p, s, sc, tuple(users)) for (p, s, sc), users in wanted.items()),
        key=lambda d: (d.scale, d.profile, d.seed),
    )


def generate_class(
    datasets: list[ClassDataset] | None = None, *, progress: bool = True
) -> list[Path]:
    """Generate every dataset of :func:`class_datasets` into the data folder, with a progress bar.

    A dataset already in the folder (with a valid manifest) is kept; the rest are generated,
    smallest first, so the exercises' small datasets are ready early.

    Parameters
    ----------
    datasets : list of ClassDataset, optional
        What to generate (default: :func:`class_datasets` of the environment).
    progress : bool
        Show a tqdm progress bar, one step per dataset.

    Returns
    -------
    list of Path
        The cache folder of each dataset, in the order generated.

    Examples
    --------
    >>> folders = generate_class()  # doctest: +SKIP
    """
    if datasets is None:
        datasets = class_datasets()
    if not isinstance(datasets, list) or not all(isinstance(d, ClassDataset) for d in datasets):
        raise ParameterError(
            message(
                "param_type",
                name="datasets",
                accepted="ClassDataset のリスト",
                accepted_en="a list of ClassDataset",
                got=repr(datasets)[:80],
            )
        )
    folders = []
    with tqdm(
        total=len(datasets), desc="データを準備しています", unit="件", disable=not progress
    ) as bar:
        for item in datasets:
            bar.set_postfix_str(f"{item.profile} scale {item.scale:g}")
            prof = load_profile(item.profile)
            load(prof, item.seed, item.scale, tables=["districts"], progress=False)
            folders.append(cache.dataset_folder(prof.name, prof.digest, item.seed, item.scale))
            bar.update(1)
    return folders


def _profile_beside(profile: str | Path, folder: Path) -> str:
    """The class file's ``profile`` value for a profile file: its name in ``folder``.

    A profile file elsewhere is copied next to the class file, because learners (and the
    grading sandbox, which sees only the data folder) may not be able to read the trainer's
    own folders; the class file then names it relative to itself.
    """
    source = Path(profile).resolve()
    if source.parent != folder.resolve():
        write_text_atomic(
            folder / source.name, source.read_text(encoding="utf-8"), mode=cache.modes()[1]
        )
    return source.name


def write_class_file(
    profile: str | Path | None = None, seed: int | None = None, path: str | Path | None = None
) -> Path:
    """Write the class file (``ebpmkit-class.toml``) that gives every learner the class's
    profile and seed without setting their environment.

    Parameters
    ----------
    profile : str or Path, optional
        A built-in profile name or a profile ``.toml`` file (default: the class's profile now,
        :func:`ebpmkit.dataset.class_settings`). A file outside the class file's folder is
        copied into it.
    seed : int, optional
        The class's seed (default: the class's seed now).
    path : str or Path, optional
        Where to write (default :func:`ebpmkit.dataset.class_file_path`: ``$EBPMKIT_CLASS_FILE``,
        else ``ebpmkit-class.toml`` in the data folder).

    Returns
    -------
    Path
        The class file, readable by every user (unless ``EBPMKIT_DATA_PRIVATE=1``).

    Examples
    --------
    >>> import tempfile
    >>> out = write_class_file("town", 2026, Path(tempfile.mkdtemp()) / "ebpmkit-class.toml")
    >>> print(out.read_text(encoding="utf-8").splitlines()[-2:])
    ['profile = "town"', 'seed = 2026']
    """
    from ebpmkit.synth import check_seed

    settings = class_settings() if profile is None or seed is None else None
    profile = settings.profile if profile is None else profile
    seed = check_seed(settings.seed if seed is None else seed)
    prof = load_profile(profile)  # the same checks as load(), before anything is written
    target = class_file_path() if path is None else Path(path)
    # Creates a missing folder with the shared bits, and fails early naming ``path``.
    cache._check_writable(target.parent, "path")
    value = (
        prof.name if prof.origin.startswith("built-in") else _profile_beside(profile, target.parent)
    )
    text = (
        "# 研修で使う自治体(プロファイル)と乱数の種。環境変数 EBPMKIT_PROFILE と EBPMKIT_SEED が\n"
        "# 設定されていれば、そちらが優先されます。\n"
        "# The class's profile and seed; EBPMKIT_PROFILE and EBPMKIT_SEED win over them.\n"
        f"profile = {json.dumps(value, ensure_ascii=False)}\n"
        f"seed = {int(seed)}\n"
    )
    return write_text_atomic(target, text, mode=cache.modes()[1])
