"""The learner edition: the part of the curriculum a class may see, as its own git repository.

The curriculum folder holds the graded masters (``solutions/``) and the trainers' documents
beside the lessons, so it must never be handed to learners as it is. :func:`build_edition`
writes a separate folder, a git repository with one commit per change, holding only:

* the lessons (``notebooks/``, without ``notebooks/manager``: the managers' workshop runs as a
  Voila app for managers, not as learner notebooks);
* the exercises as handed out (``exercises/``, written by ``ebpmkit build``);
* the data dictionary (``synthetic/README.md`` and ``synthetic/dictionary.csv``);
* a short Japanese ``README.md`` written here.

Every file is checked on the way in: a notebook whose metadata says it is a master, or any file
that still holds a solution region, stops the edition before anything is written. A JupyterHub
gives the edition to each learner through nbgitpuller; :func:`hub_links` makes the links.

Examples
--------
>>> sorted(EDITION_PARTS)
['exercises', 'notebooks', 'synthetic/README.md', 'synthetic/dictionary.csv']
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ebpmkit.errors import EbpmkitError, ParameterError
from ebpmkit.messages import message

__all__ = [
    "EDITION_PARTS",
    "EditionResult",
    "build_edition",
    "edition_files",
    "edition_is_current",
    "hub_links",
]

#: What the edition takes from the curriculum: folders (every file below them) and single files.
EDITION_PARTS = ("notebooks", "exercises", "synthetic/README.md", "synthetic/dictionary.csv")
#: Folders below the parts that never go to learners.
EXCLUDED = ("notebooks/manager",)
#: Folders and files no edition carries (editor and Python leftovers).
SKIPPED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}
#: The marker that tells an edition folder from any other folder (so an update never deletes a
#: folder the trainer pointed at by mistake).
MARKER = ".ebpmkit-edition.json"
#: Text that only a master notebook holds.
SOLUTION_MARKERS = (b"### BEGIN SOLUTION", b"### END SOLUTION")
#: The commit author of every edition commit (no dependence on the trainer's git settings).
AUTHOR = ("ebpmkit edition", "edition@ebpmkit.invalid")

README = """\
# 根拠に基づく政策立案(EBPM)研修 教材

この教材は、研修の受講者用です。データはすべて架空の自治体の合成データで、実在の人物・統計では
ありません。

## 中身

- `notebooks/`: 講義のノートブック({lessons}個)。`00_orientation.ipynb` から順に開いてください。
- `exercises/`: 練習問題({exercises}個)。`...`(点三つ)を自分のコードに書きかえて、
  `check("q1", 答え)` で答え合わせができます。
- `synthetic/README.md`: 合成データの表と列の説明(データ辞書)。`dictionary.csv` は同じ内容の表です。

## 教材が新しくなったとき

講師から配られたリンクをもう一度開くと、新しい版が届きます。自分で書きかえたノートブックは
そのまま残ります(同じセルを講師も直していたときは、自分の版が残ります)。

## 困ったとき

ノートブックのエラーは、日本語の短いヒントで表示されます。わからないときは講師に声をかけて
ください。
"""


@dataclass(frozen=True)
class EditionResult:
    """What :func:`build_edition` did.

    Attributes
    ----------
    folder : pathlib.Path
        The edition folder (a git repository).
    changed : tuple of str
        Files added, changed or removed, as paths inside the edition.
    commit : str or None
        The new commit's id, or None when nothing changed.
    """

    folder: Path
    changed: tuple[str, ...]
    commit: str | None


def _skipped(rel: str) -> bool:
    parts = rel.split("/")
    if any(p in SKIPPED_NAMES for p in parts):
        return True
    return any(rel == ex or rel.startswith(ex + "/") for ex in EXCLUDED)


def _leaks_solution(rel: str, data: bytes) -> bool:
    """True when a file holds a solution region or is a master notebook."""
    if any(m in data for m in SOLUTION_MARKERS):
        return True
    if rel.endswith(".ipynb"):
        try:
            meta = json.loads(data.decode("utf-8")).get("metadata", {})
        except (UnicodeDecodeError, ValueError):
            return False
        role = (meta.get("ebpmkit") or {}).get("role")
        return role == "solution"
    return False


def _readme(files: dict[str, bytes]) -> bytes:
    def count(folder: str) -> int:
        return sum(
            1
            for p in files
            if p.startswith(folder + "/")
            and p.endswith(".ipynb")
            and "/" not in p[len(folder) + 1 :]
        )

    text = README.format(lessons=count("notebooks"), exercises=count("exercises"))
    return text.encode("utf-8")


def _marker(files: dict[str, bytes]) -> bytes:
    listing = {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items())}
    body = {"edition": "ebpmkit learner edition", "files": listing}
    return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def edition_files(root: str | Path) -> dict[str, bytes]:
    """The files of the learner edition made from a curriculum folder, by their path in it.

    Parameters
    ----------
    root : str or pathlib.Path
        The curriculum folder (it has ``notebooks/``, ``exercises/`` and ``synthetic/``).

    Returns
    -------
    dict of str to bytes
        Every file of the edition (paths with ``/``, sorted), the Japanese ``README.md`` and the
        edition marker included. The same curriculum always gives the same bytes.

    Raises
    ------
    ParameterError
        When ``root`` lacks a part of the edition, or a file would put a solution in it.

    Examples
    --------
    >>> from ebpmkit.cli import _repo_root
    >>> files = edition_files(_repo_root())
    >>> "exercises/00_practice.ipynb" in files, any(p.startswith("solutions/") for p in files)
    (True, False)
    """
    base = Path(root)
    files: dict[str, bytes] = {}
    for part in EDITION_PARTS:
        src = base / part
        if not src.exists():
            raise ParameterError(message("edition.missing_part", name="root", part=str(src)))
        found = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
        for path in found:
            rel = path.relative_to(base).as_posix()
            if _skipped(rel):
                continue
            data = path.read_bytes()
            if _leaks_solution(rel, data):
                raise ParameterError(message("edition.solution_found", name="root", path=rel))
            files[rel] = data
    files["README.md"] = _readme(files)
    files[MARKER] = _marker(files)
    return dict(sorted(files.items()))


def _folder_files(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel == ".git" or rel.startswith(".git/") or not path.is_file():
            continue
        out[rel] = path.read_bytes()
    return out


def _differences(want: dict[str, bytes], have: dict[str, bytes]) -> list[str]:
    return sorted(p for p in set(want) | set(have) if want.get(p) != have.get(p))


def _check_out(out: str | Path) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(message("edition.not_a_folder", name="out", path=str(folder)))
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise ParameterError(message("edition.foreign_folder", name="out", path=str(folder)))
    return folder


def _git(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }
    if shutil.which("git") is None:
        raise EbpmkitError(message("edition.no_git"))
    run = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise EbpmkitError(
            message("edition.git_failed", command=" ".join(args), output=run.stderr.strip())
        )
    return run.stdout.strip()


def edition_is_current(root: str | Path, out: str | Path) -> list[str]:
    """The files in which an edition folder differs from the curriculum (empty: up to date).

    Parameters
    ----------
    root : str or pathlib.Path
        The curriculum folder.
    out : str or pathlib.Path
        The edition folder; a folder that does not exist yet differs in every file.

    Returns
    -------
    list of str
        Paths inside the edition that would be added, changed or removed, sorted.

    Examples
    --------
    >>> import tempfile
    >>> from ebpmkit.cli import _repo_root
    >>> len(edition_is_current(_repo_root(), Path(tempfile.mkdtemp()) / "new")) > 0
    True
    """
    folder = _check_out(out)
    want = edition_files(root)
    have = _folder_files(folder) if folder.is_dir() else {}
    return _differences(want, have)


def build_edition(root: str | Path, out: str | Path, *, branch: str = "main") -> EditionResult:
    """Write or update the learner edition in ``out`` and commit what changed.

    Parameters
    ----------
    root : str or pathlib.Path
        The curriculum folder.
    out : str or pathlib.Path
        The edition folder: a new (or empty) folder, or an edition written before.
    branch : str
        The branch of a new edition repository (default ``"main"``).

    Returns
    -------
    EditionResult
        The folder, the files that changed and the new commit (None when nothing changed).

    Raises
    ------
    ParameterError
        When ``out`` is a file or a folder that is not an edition, or the curriculum would put
        a solution into the edition.

    Examples
    --------
    >>> import tempfile
    >>> from ebpmkit.cli import _repo_root
    >>> out = Path(tempfile.mkdtemp()) / "edition"
    >>> first = build_edition(_repo_root(), out)
    >>> first.commit is not None, build_edition(_repo_root(), out).commit
    (True, None)
    """
    if not isinstance(branch, str) or not branch or branch.startswith("-") or " " in branch:
        raise ParameterError(message("edition.bad_branch", name="branch", got=repr(branch)))
    folder = _check_out(out)
    want = edition_files(root)  # every check before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".git").exists():
        _git(folder, "init", "-q", "-b", branch)
    have = _folder_files(folder)
    changed = _differences(want, have)
    for rel in changed:
        target = folder / rel
        if rel not in want:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(want[rel])
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if ".git" not in d.relative_to(folder).parts and not any(d.iterdir()):
            d.rmdir()  # a folder left empty by a removed file
    _git(folder, "add", "-A")
    if not _git(folder, "status", "--porcelain"):
        return EditionResult(folder, tuple(changed), None)
    summary = f"教材を更新 / update the edition: {len(changed)} files"
    _git(folder, "commit", "-q", "-m", summary, "-m", "\n".join(changed[:50]))
    return EditionResult(folder, tuple(changed), _git(folder, "rev-parse", "HEAD"))


def _check_hub(hub: str) -> str:
    parsed = urllib.parse.urlsplit(hub) if isinstance(hub, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ParameterError(message("edition.bad_hub", name="hub", got=repr(hub)))
    return hub.rstrip("/")


def hub_links(
    hub: str,
    repo: str,
    *,
    branch: str | None = None,
    open: str | None = None,  # the nbgitpuller word, as on the command line
    exercises: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """nbgitpuller links that give each learner the edition on a JupyterHub.

    Opening a link logs the learner in, clones the edition into their home (or pulls the
    changes, keeping their own edits) and opens JupyterLab at a file.

    Parameters
    ----------
    hub : str
        The hub's address (``https://hub.example.jp``), with any base path.
    repo : str
        Where the hub's servers clone the edition from (a git URL or a path on the hub).
    branch : str, optional
        The branch to pull (nbgitpuller finds the default branch when omitted).
    open : str, optional
        The file (inside the edition) the first link opens; the edition's README by default.
    exercises : sequence of str
        Exercise notebooks (``exercises/00_practice.ipynb``); one more link for each.

    Returns
    -------
    list of (str, str)
        ``(what, link)`` pairs: the whole edition first, then one per exercise.

    Examples
    --------
    >>> links = hub_links("https://hub.example.jp", "https://git.example.jp/ebpm.git",
    ...                   exercises=["exercises/00_practice.ipynb"])
    >>> [what for what, _ in links]
    ['edition', 'exercises/00_practice.ipynb']
    >>> links[1][1].split("?")[0]
    'https://hub.example.jp/hub/user-redirect/git-pull'
    """
    base = _check_hub(hub)
    if not isinstance(repo, str) or not repo.strip():
        raise ParameterError(message("edition.bad_repo", name="repo", got=repr(repo)))
    target = repo.rstrip("/").split("/")[-1].removesuffix(".git") or "edition"
    common = {"repo": repo}
    if branch:
        common["branch"] = branch
    common["targetpath"] = target

    def link(path: str) -> str:
        if path.startswith("/") or ".." in path.split("/"):
            raise ParameterError(message("edition.bad_path", name="open", got=repr(path)))
        query = {**common, "urlpath": f"lab/tree/{target}/{path}".rstrip("/")}
        return f"{base}/hub/user-redirect/git-pull?{urllib.parse.urlencode(query)}"

    links = [("edition", link(open or "README.md"))]
    links += [(nb, link(nb)) for nb in exercises]
    return links
