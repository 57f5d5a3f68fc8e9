"""The ``ebpmkit`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ebpmkit.errors import EbpmkitError
from ebpmkit.messages import message

__all__ = ["main"]


def _repo_root() -> Path:
    """The curriculum folder: the current directory if it has notebooks/, else the source checkout."""
    here = Path.cwd()
    if (here / "notebooks").is_dir():
        return here
    return Path(__file__).resolve().parent.parent


def _cmd_generate(args: argparse.Namespace) -> int:
    from ebpmkit.dataset import generate

    if args.class_datasets:
        return _generate_class(args)
    if args.list:
        print(message("cli.list_needs_class"), file=sys.stderr)
        return 2
    if args.write_class_file:
        print(message("cli.class_file_needs_class"), file=sys.stderr)
        return 2
    scale = 1.0 if args.scale is None else args.scale
    folder = generate(args.profile, args.seed, scale, out=args.out, formats=args.format)
    print(f"書き出しました / written: {folder}")
    return 0


def _generate_class(args: argparse.Namespace) -> int:
    """`generate --class`: every dataset of the lessons and exercises, into the data folder."""
    from ebpmkit import cache, classdata

    given = [
        flag
        for flag, value in (
            ("--profile", args.profile),
            ("--seed", args.seed),
            ("--scale", args.scale),
            ("--out", args.out),
        )
        if value is not None
    ]
    if given:
        print(message("cli.class_alone", options=", ".join(given)), file=sys.stderr)
        return 2
    lessons = _repo_root() / "notebooks"
    datasets = classdata.class_datasets(lessons=lessons if lessons.is_dir() else None)
    print(f"データフォルダ / data folder: {cache.data_dir()}")
    for item in datasets:
        print(f"  {item.describe()}")
    if args.list:
        return 0
    if args.write_class_file:
        written = classdata.write_class_file()
        print(f"研修の設定ファイルを書きました / class file written: {written}")
    folders = classdata.generate_class(datasets, progress=True)
    print(f"{len(folders)} 件のデータがそろいました / {len(folders)} datasets ready.")
    return 0


def _cmd_profile_check(args: argparse.Namespace) -> int:
    from ebpmkit.synth.preview import preview_profile

    preview = preview_profile(args.file, seed=args.seed, persons=args.persons, income=args.income)
    print(preview.text())
    return 0


def _cmd_profile_new(args: argparse.Namespace) -> int:
    from ebpmkit.synth.estat import new_profile
    from ebpmkit.synth.profile import load_profile

    out = new_profile(
        args.from_csv,
        args.name,
        args.out,
        kind=args.kind,
        extends=args.extends,
        name_en=args.name_en,
        overwrite=args.force,
    )
    prof = load_profile(out)
    old = prof.numbers("population.age_share_targets")[2]
    print(
        f"書き出しました / written: {out}\n"
        f"{prof.municipality}: 人口 {int(prof.number('population.start')):,} 人、"
        f"65歳以上 {old:.1f} %(初年度)。\n"
        f"生成の前に見込みを確かめるには: ebpmkit profile check {out}"
    )
    return 0


def _cmd_profile_keys(args: argparse.Namespace) -> int:
    from ebpmkit.synth.profile_docs import render_profile_keys, write_profile_keys

    if args.write:
        print(f"書き出しました / written: {write_profile_keys()}")
    else:
        print(render_profile_keys())
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    from ebpmkit.synth.profile import builtin_profiles, load_profile

    for name in builtin_profiles():
        p = load_profile(name)
        print(
            f"{name:15s} {p.municipality}  {int(p.number('population.end')):>9,} 人 (架空 / fictional)"
        )
    return 0


def _install_lab_settings(prefix: Path | None = None) -> Path | None:
    """Install the curriculum's JupyterLab settings into an environment that lacks them.

    ``make`` copies ebpmkit/jupyterlab/overrides.json into the environment; an environment set
    up with pip alone (a Windows office PC) gets it here, on the first ``ebpmkit lab``, so its
    menus are in Japanese and nothing is fetched from the internet there too. Settings that an
    administrator already put in place are left as they are.

    Returns
    -------
    pathlib.Path or None
        The file written, or None when the environment already had one.

    Examples
    --------
    >>> import tempfile
    >>> prefix = Path(tempfile.mkdtemp())
    >>> _install_lab_settings(prefix).name, _install_lab_settings(prefix)
    ('overrides.json', None)
    """
    from ebpmkit._atomic import write_bytes_atomic

    target = (
        Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    )
    if target.exists():
        return None
    shipped = Path(__file__).resolve().parent / "jupyterlab" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, shipped.read_bytes(), mode=0o644)
    return target


def _cmd_lab(args: argparse.Namespace) -> int:
    root = _repo_root()
    _install_lab_settings()
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={root}",
        # Training rooms are often offline: no update checks, no extension manager lookups.
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        *args.jupyter_args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")  # containers often run as root
    if (root / "notebooks").is_dir():
        # Serve the whole curriculum (lessons link to ../exercises/) but open on the lessons.
        cmd.append("--LabApp.default_url=/lab/tree/notebooks")
    print(" ".join(cmd))
    return subprocess.call(cmd, env=os.environ.copy())


def _cmd_build(args: argparse.Namespace) -> int:
    from ebpmkit.grading import build

    root = _repo_root()
    return build.main(
        solutions=args.solutions or root / "solutions",
        exercises=args.exercises or root / "exercises",
        check=args.check,
        beside=args.beside,
        force=args.force,
    )


def _cmd_grade(args: argparse.Namespace) -> int:
    from ebpmkit.grading import grade

    return grade.main(
        paths=args.paths,
        out=args.out,
        feedback=args.feedback,
        exercise=args.exercise,
        jobs=args.jobs,
        timeout=args.timeout,
        memory=args.memory,
        progress=not args.quiet,
        sandbox=not args.no_sandbox,
        cell_timeout=args.cell_timeout,
        verify_seed=args.verify_seed,
    )


def _cmd_edition(args: argparse.Namespace) -> int:
    from ebpmkit import edition

    root = _repo_root()
    if args.check:
        differ = edition.edition_is_current(root, args.out)
        if differ:
            shown = ", ".join(differ[:10]) + (" ..." if len(differ) > 10 else "")
            print(
                message("edition.out_of_date", folder=args.out, count=len(differ), files=shown),
                file=sys.stderr,
            )
            return 1
        print(message("edition.current", folder=args.out).ja)
        return 0
    result = edition.build_edition(root, args.out, branch=args.branch)
    if result.commit is None:
        print(message("edition.unchanged", folder=result.folder).ja)
    else:
        print(
            message(
                "edition.written",
                folder=result.folder,
                count=len(result.changed),
                commit=result.commit[:12],
            ).ja
        )
    return 0


def _cmd_hub_link(args: argparse.Namespace) -> int:
    from ebpmkit import edition

    exercises = sorted(
        p.relative_to(_repo_root()).as_posix() for p in (_repo_root() / "exercises").glob("*.ipynb")
    )
    for what, link in edition.hub_links(
        args.hub, args.repo, branch=args.branch, open=args.open, exercises=exercises
    ):
        label = "教材全体 / whole edition" if what == "edition" else what
        print(f"{label}\n  {link}")
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from ebpmkit.grading import collect

    return collect.main(args.exercise, getattr(args, "from"), args.to)


def _cmd_opendata(args: argparse.Namespace) -> int:
    """`opendata`: write the open-data tables (then check them), or only check a folder."""
    from ebpmkit import opendata

    if args.check is None:
        if args.out is None:
            print(message("cli.opendata_needs_out"), file=sys.stderr)
            return 2
        from ebpmkit.dataset import class_profile, class_seed
        from ebpmkit.synth import generate_tables
        from ebpmkit.synth.profile import load_profile

        prof = load_profile(class_profile() if args.profile is None else args.profile)
        seed = class_seed() if args.seed is None else args.seed
        # Only the register is needed: geography and population draw from their own random
        # streams, so these are the same tables a full generation makes, in a fraction of the time.
        tables, _ = generate_tables(prof, seed, args.scale, only=("geography", "population"))
        export = opendata.write_opendata(
            tables,
            args.out,
            threshold=opendata.DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
            municipality=prof.municipality,
            progress=not args.quiet,
        )
        print(export.summary())
    result = opendata.check_opendata(args.check or args.out, threshold=args.threshold)
    print(result.summary())
    return 0 if result.ok else 1


def _cmd_workshop(args: argparse.Namespace) -> int:
    from ebpmkit import workshop

    return workshop.serve(
        workshop.workshop_folder(_repo_root()), port=args.port, open_browser=not args.no_browser
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ebpmkit`` command."""
    parser = argparse.ArgumentParser(
        prog="ebpmkit",
        description="EBPM training kit: synthetic municipality data, lessons and exercises "
        "(すべて架空の自治体の合成データです).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    _add_generate(sub)

    prof = sub.add_parser("profiles", help="list the built-in municipality profiles")
    prof.set_defaults(func=_cmd_profiles)

    _add_profile(sub)

    lab = sub.add_parser(
        "lab",
        help="start JupyterLab on the curriculum (other options go to jupyter lab, e.g. --port)",
    )
    lab.set_defaults(func=_cmd_lab)

    bld = sub.add_parser(
        "build", help="write the learner notebooks in exercises/ from the masters in solutions/"
    )
    bld.add_argument("--solutions", default=None, help="masters folder (default: solutions/)")
    bld.add_argument("--exercises", default=None, help="output folder (default: exercises/)")
    bld.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date"
    )
    bld.add_argument(
        "--beside",
        action="store_true",
        help="when an exercise was changed in place, write <name>.new.ipynb beside it",
    )
    bld.add_argument(
        "--force", action="store_true", help="overwrite exercises even if changed in place"
    )
    bld.set_defaults(func=_cmd_build)

    _add_grade(sub)
    _add_hub(sub)
    _add_opendata(sub)

    wks = sub.add_parser(
        "workshop",
        help="start the managers' workshop (Voila, no code visible) on 127.0.0.1, offline",
    )
    wks.add_argument("--port", type=int, default=8866, help="port to listen on (default: 8866)")
    wks.add_argument("--no-browser", action="store_true", help="do not open a browser")
    wks.set_defaults(func=_cmd_workshop)
    return parser


def _add_generate(sub: Any) -> None:
    """The ``generate`` subcommand (one dataset, or every dataset of a class)."""
    from ebpmkit.dataset import DEFAULT_SEED

    gen = sub.add_parser(
        "generate", help="generate a synthetic municipality (into the cache or --out)"
    )
    # Without --profile/--seed the class's settings apply ($EBPMKIT_PROFILE, $EBPMKIT_SEED),
    # so a trainer who set them once generates the same municipality the lessons load.
    gen.add_argument(
        "--profile",
        default=None,
        help="built-in profile name or a .toml file (default: $EBPMKIT_PROFILE, else urban-ward)",
    )
    gen.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"random seed (default: $EBPMKIT_SEED, else {DEFAULT_SEED})",
    )
    gen.add_argument(
        "--scale",
        type=float,
        default=None,
        help="share of the population, in (0, 2] (default: 1.0)",
    )
    gen.add_argument(
        "--out", default=None, help="output folder (default: the cache in $EBPMKIT_DATA_DIR)"
    )
    gen.add_argument(
        "--format", default="parquet", help="parquet, csv or parquet,csv (default: parquet)"
    )
    gen.add_argument(
        "--class",
        dest="class_datasets",
        action="store_true",
        help="generate every dataset the lessons and exercises use into the data folder "
        "($EBPMKIT_DATA_DIR), for the class's $EBPMKIT_PROFILE and $EBPMKIT_SEED",
    )
    gen.add_argument(
        "--list", action="store_true", help="with --class: list the datasets, generate nothing"
    )
    gen.add_argument(
        "--write-class-file",
        action="store_true",
        help="with --class: also write the class's profile and seed to ebpmkit-class.toml in "
        "the data folder (or $EBPMKIT_CLASS_FILE), for learners whose environment has neither",
    )
    gen.set_defaults(func=_cmd_generate)


def _add_profile(sub: Any) -> None:
    """The ``profile`` subcommand: check, new, keys."""
    one = sub.add_parser("profile", help="check a profile before generating, list its keys")
    one_sub = one.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    chk = one_sub.add_parser(
        "check",
        help="validate a profile and preview population, age shares and households "
        "(first and last year; only the population is simulated, at a small scale)",
    )
    chk.add_argument("file", metavar="FILE", help="a profile .toml file or a built-in name")
    chk.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed (default: $EBPMKIT_SEED, else the default)",
    )
    chk.add_argument(
        "--persons",
        type=int,
        default=20_000,
        help="about how many residents to simulate (default: 20000)",
    )
    chk.add_argument(
        "--income",
        action="store_true",
        help="also simulate incomes and compare them with the income targets (slower)",
    )
    chk.set_defaults(func=_cmd_profile_check)
    new = one_sub.add_parser(
        "new",
        help="make a profile from a published table of residents by 5-year age band and sex "
        "(住民基本台帳, e-Stat CSV layout; UTF-8 or Shift_JIS)",
    )
    new.add_argument("--from", dest="from_csv", required=True, metavar="FILE.csv")
    new.add_argument(
        "--name", required=True, help="the municipality's Japanese name, e.g. 夢ノ木町"
    )
    new.add_argument("--out", required=True, metavar="FILE.toml", help="the profile to write")
    new.add_argument(
        "--kind",
        default=None,
        help="special-ward, city, designated-city, town or village (default: from --name; "
        "a name ending in 市 is a city unless --kind designated-city)",
    )
    new.add_argument(
        "--extends", default=None, help="built-in profile to extend (default: by kind)"
    )
    new.add_argument("--name-en", default=None, help="English name (default: --name)")
    new.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    new.set_defaults(func=_cmd_profile_new)
    keys = one_sub.add_parser("keys", help="print docs/profile-keys.md (every profile key)")
    keys.add_argument(
        "--write", action="store_true", help="write docs/profile-keys.md of the source checkout"
    )
    keys.set_defaults(func=_cmd_profile_keys)


def _add_grade(sub: Any) -> None:
    """The ``grade`` subcommand."""
    grd = sub.add_parser(
        "grade",
        help="grade submissions: grades CSV, Japanese feedback pages, class item analysis",
    )
    grd.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of them")
    grd.add_argument("--out", default="grades.csv", help="grades CSV (default: grades.csv)")
    grd.add_argument(
        "--feedback", default="feedback", help="folder of per-learner pages (default: feedback/)"
    )
    grd.add_argument(
        "--exercise", default=None, help="grade only this exercise id (others: wrong_exercise)"
    )
    grd.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at the same time (default: 1)"
    )
    grd.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="seconds allowed per notebook (default: 120)",
    )
    grd.add_argument(
        "--cell-timeout",
        type=float,
        default=30,
        help="seconds one cell may run before it is interrupted; later cells still run "
        "(default: 30)",
    )
    grd.add_argument(
        "--verify-seed",
        type=int,
        default=None,
        metavar="N",
        help="also run each submission on the same municipality generated with seed N; "
        "answers right only on the class data are flagged not_reproduced (no points)",
    )
    grd.add_argument(
        "--memory",
        type=int,
        default=3072,
        help="memory limit per kernel, MiB of resident memory (default: 3072)",
    )
    grd.add_argument("--quiet", action="store_true", help="no progress bar")
    grd.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run submissions WITHOUT the bubblewrap sandbox, with your own permissions "
        "(the report says so)",
    )
    grd.set_defaults(func=_cmd_grade)


def _add_opendata(sub: Any) -> None:
    """The ``opendata`` subcommand: write the standard open-data tables, or check a folder."""
    opd = sub.add_parser(
        "opendata",
        help="write population by area and age band (地域・年齢別人口) in the layout of the "
        "standard open data set for municipalities, small cells suppressed; or --check a folder",
    )
    opd.add_argument("--profile", default=None, help="built-in profile name or a .toml file")
    opd.add_argument("--seed", type=int, default=None, help="random seed")
    opd.add_argument(
        "--scale", type=float, default=1.0, help="share of the population, in (0, 2] (default: 1.0)"
    )
    opd.add_argument("--out", default=None, help="the folder to write")
    opd.add_argument(
        "--threshold",
        type=int,
        default=None,
        help="suppress cells below this count (default: 10; with --check: the folder's own)",
    )
    opd.add_argument(
        "--check",
        default=None,
        metavar="FOLDER",
        help="write nothing; check FOLDER (UTF-8, the standard header, no small or recoverable "
        "cell) and exit 1 if it fails",
    )
    opd.add_argument("--quiet", action="store_true", help="no progress bar")
    opd.set_defaults(func=_cmd_opendata)


def _add_hub(sub: Any) -> None:
    """The class's hub: ``edition``, ``hub-link`` and ``collect``."""
    edn = sub.add_parser(
        "edition",
        help="write or update the learner edition (a git repository without solutions/)",
    )
    edn.add_argument("--out", required=True, help="the edition folder (a git repository)")
    edn.add_argument(
        "--branch", default="main", help="branch of a new edition repository (default: main)"
    )
    edn.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the edition is out of date"
    )
    edn.set_defaults(func=_cmd_edition)

    hbl = sub.add_parser(
        "hub-link", help="print nbgitpuller links that give learners the edition on a JupyterHub"
    )
    hbl.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.jp")
    hbl.add_argument("--repo", required=True, help="git URL (or hub path) of the edition")
    hbl.add_argument("--branch", default=None, help="branch to pull (default: the repository's)")
    hbl.add_argument("--open", default=None, help="file the first link opens (default: README.md)")
    hbl.set_defaults(func=_cmd_hub_link)

    col = sub.add_parser(
        "collect",
        help="copy each learner's notebook of an exercise from their home, read-only, for grading",
    )
    col.add_argument("exercise", help="exercise id, e.g. 00")
    col.add_argument("--from", required=True, help="folder of the learners' homes, e.g. /home")
    col.add_argument("--to", required=True, help="folder to copy into (<to>/<learner>/)")
    col.set_defaults(func=_cmd_collect)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors a user can fix are printed without a traceback."""
    parser = build_parser()
    # `ebpmkit lab --port 9999 ...` passes options it does not know on to JupyterLab.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(message("cli.unknown_arguments", arguments=" ".join(extra)))
    args.jupyter_args = extra
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except EbpmkitError as exc:
        print(f"ebpmkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(message("cli.interrupted"), file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
