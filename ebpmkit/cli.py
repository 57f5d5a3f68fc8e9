"""The ``ebpmkit`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

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

    folder = generate(args.profile, args.seed, args.scale, out=args.out, formats=args.format)
    print(f"書き出しました / written: {folder}")
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
    )


def _cmd_workshop(args: argparse.Namespace) -> int:
    from ebpmkit import workshop

    return workshop.serve(
        workshop.workshop_folder(_repo_root()), port=args.port, open_browser=not args.no_browser
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ebpmkit`` command."""
    from ebpmkit.dataset import DEFAULT_SEED

    parser = argparse.ArgumentParser(
        prog="ebpmkit",
        description="EBPM training kit: synthetic municipality data, lessons and exercises "
        "(すべて架空の自治体の合成データです).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
        "--scale", type=float, default=1.0, help="share of the population, in (0, 2] (default: 1.0)"
    )
    gen.add_argument(
        "--out", default=None, help="output folder (default: the cache in $EBPMKIT_DATA_DIR)"
    )
    gen.add_argument(
        "--format", default="parquet", help="parquet, csv or parquet,csv (default: parquet)"
    )
    gen.set_defaults(func=_cmd_generate)

    prof = sub.add_parser("profiles", help="list the built-in municipality profiles")
    prof.set_defaults(func=_cmd_profiles)

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

    wks = sub.add_parser(
        "workshop",
        help="start the managers' workshop (Voila, no code visible) on 127.0.0.1, offline",
    )
    wks.add_argument("--port", type=int, default=8866, help="port to listen on (default: 8866)")
    wks.add_argument("--no-browser", action="store_true", help="do not open a browser")
    wks.set_defaults(func=_cmd_workshop)
    return parser


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
