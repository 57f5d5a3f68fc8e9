"""Loading a synthetic municipality: ``ebpmkit.load`` and ``ebpmkit.generate``.

``load`` returns a :class:`Dataset` from the cache, generating it on first use. The cache
holds every table, the identifying layer included; the variant decides what a learner sees.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from ebpmkit import anonymize, cache, release
from ebpmkit._memory import reusing_freed_memory
from ebpmkit.errors import CacheError, ParameterError, check_choice
from ebpmkit.messages import Message, message
from ebpmkit.synth import DOMAINS, check_scale, check_seed, generate_tables, validate_profile
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE, dictionary_frame
from ebpmkit.synth.profile import MunicipalityWords, Profile, builtin_profiles, load_profile

__all__ = [
    "CLASS_FILE_ENV",
    "CLASS_FILE_NAME",
    "DEFAULT_PROFILE",
    "DEFAULT_SEED",
    "PROFILE_ENV",
    "SEED_ENV",
    "VARIANTS",
    "ClassSettings",
    "Dataset",
    "class_file_path",
    "class_profile",
    "class_seed",
    "class_settings",
    "generate",
    "load",
    "read_class_file",
]

DEFAULT_PROFILE = "urban-ward"
DEFAULT_SEED = 20250401
VARIANTS = ("pseudonymized", "anonymized", "raw")
# The class's municipality: a hub sets these in every learner's environment, so that each
# lesson's load() and each exercise's start() use the trainer's profile and seed.
PROFILE_ENV = "EBPMKIT_PROFILE"
SEED_ENV = "EBPMKIT_SEED"


#: The class file: the same two settings written once in the shared data folder (or at
#: ``$EBPMKIT_CLASS_FILE``), for a hub whose learners' environment the trainer cannot set.
CLASS_FILE_NAME = "ebpmkit-class.toml"
CLASS_FILE_ENV = "EBPMKIT_CLASS_FILE"
CLASS_KEYS = ("profile", "seed")


@dataclass(frozen=True)
class ClassSettings:
    """The class's profile and seed, and where each came from.

    ``profile_from`` and ``seed_from`` are ``"environment"``, ``"class file"`` or
    ``"default"``; ``file`` is the class file that was read (None when none was needed or
    there is none).
    """

    profile: str | Path
    seed: int
    profile_from: str
    seed_from: str
    file: Path | None = None

    @property
    def profile_chosen(self) -> bool:
        """Whether the class chose its profile (in the environment or the class file)."""
        return self.profile_from != "default"


def class_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the class file is: ``$EBPMKIT_CLASS_FILE``, else ``ebpmkit-class.toml`` in the
    shared data folder (``$EBPMKIT_DATA_DIR``, else the user's cache folder).

    Examples
    --------
    >>> class_file_path({"EBPMKIT_DATA_DIR": "/srv/data"}).as_posix()
    '/srv/data/ebpmkit-class.toml'
    >>> class_file_path({"EBPMKIT_CLASS_FILE": "/srv/our-class.toml"}).name
    'our-class.toml'
    """
    env = os.environ if environ is None else environ
    given = env.get(CLASS_FILE_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    data = env.get("EBPMKIT_DATA_DIR", "").strip()
    return (Path(data).expanduser() if data else cache.data_dir()) / CLASS_FILE_NAME


def _class_error(entry: str, path: Path, **fields: object) -> ParameterError:
    return ParameterError(message(entry, file=path, **fields))


def _class_file_profile(value: object, path: Path) -> str | Path:
    """The class file's ``profile``: a built-in name, or a .toml path (relative to the file)."""
    names = builtin_profiles()
    if isinstance(value, str) and value.strip() in names:
        return value.strip()
    if isinstance(value, str) and value.strip():
        own = (path.parent / Path(value.strip()).expanduser()).resolve()
        if own.suffix == ".toml" and own.is_file():
            return own
    raise _class_error("class.bad_profile", path, got=repr(value), names=", ".join(names))


def _class_file_seed(value: object, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _class_error("class.bad_seed", path, got=repr(value))
    return value


def read_class_file(path: str | Path) -> dict[str, Any]:
    """The settings of a class file, checked: ``{"profile": ..., "seed": ...}`` (either may
    be missing).

    Parameters
    ----------
    path : str or Path
        The class file (TOML with the keys ``profile`` and ``seed``).

    Raises
    ------
    ParameterError
        When the file cannot be read, is not TOML, has a key other than ``profile`` and
        ``seed`` (the message names the closest one) or a value that cannot be used; the
        Japanese message names the file and the key.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / CLASS_FILE_NAME
    >>> _ = path.write_text('profile = "town"\\nseed = 2026\\n', encoding="utf-8")
    >>> read_class_file(path)
    {'profile': 'town', 'seed': 2026}
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _class_error("class.no_file", path, variable=CLASS_FILE_ENV) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _class_error("class.unreadable", path, reason=exc) from None
    except tomllib.TOMLDecodeError as exc:
        raise _class_error("class.bad_toml", path, reason=exc) from None
    for key in raw:
        if key not in CLASS_KEYS:
            close = difflib.get_close_matches(key, CLASS_KEYS, n=1, cutoff=0.0)
            raise _class_error("class.unknown_key", path, key=repr(key), close=repr(close[0]))
    settings: dict[str, Any] = {}
    if "profile" in raw:
        settings["profile"] = _class_file_profile(raw["profile"], path)
    if "seed" in raw:
        settings["seed"] = _class_file_seed(raw["seed"], path)
    return settings


def _env_profile(value: str) -> str | Path:
    names = builtin_profiles()
    if value in names:
        return value
    path = Path(value).expanduser()
    if path.suffix == ".toml" and path.is_file():
        return path
    raise ParameterError(
        message(
            "dataset.env_profile", variable=PROFILE_ENV, got=repr(value), names=", ".join(names)
        )
    )


def _env_seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ParameterError(message("dataset.env_seed", variable=SEED_ENV, got=repr(value)))
    return seed


def class_settings(environ: Mapping[str, str] | None = None) -> ClassSettings:
    """The class's profile and seed: the environment, else the class file, else the defaults.

    ``$EBPMKIT_PROFILE`` and ``$EBPMKIT_SEED`` win key by key over the class file
    (:func:`class_file_path`); the class file is read only for a key the environment leaves
    blank, and a missing class file in the data folder means the defaults (``"urban-ward"``,
    :data:`DEFAULT_SEED`). Every reader of the class's settings goes through here.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variables (default ``os.environ``).

    Raises
    ------
    ParameterError
        For a value that cannot be used (the Japanese message names the variable, or the
        class file and its key), or a class file named by ``$EBPMKIT_CLASS_FILE`` that is
        missing.

    Examples
    --------
    >>> s = class_settings({"EBPMKIT_PROFILE": "town", "EBPMKIT_SEED": "7"})
    >>> s.profile, s.seed, s.profile_from
    ('town', 7, 'environment')
    """
    env = os.environ if environ is None else environ
    profile_text = env.get(PROFILE_ENV, "").strip()
    seed_text = env.get(SEED_ENV, "").strip()
    from_file: dict[str, Any] = {}
    file = None
    if not (profile_text and seed_text):
        path = class_file_path(env)
        # Only a class file named in the environment must exist; the data folder may have none.
        if path.is_file() or env.get(CLASS_FILE_ENV, "").strip():
            from_file, file = read_class_file(path), path

    def pick(text: str, key: str, parse: Any, default: Any) -> tuple[Any, str]:
        if text:
            return parse(text), "environment"
        if key in from_file:
            return from_file[key], "class file"
        return default, "default"

    profile, profile_from = pick(profile_text, "profile", _env_profile, DEFAULT_PROFILE)
    seed, seed_from = pick(seed_text, "seed", _env_seed, DEFAULT_SEED)
    return ClassSettings(profile, seed, profile_from, seed_from, file)


def class_profile(environ: Mapping[str, str] | None = None) -> str | Path:
    """The class's profile (:func:`class_settings`): ``$EBPMKIT_PROFILE``, else the class
    file's ``profile``, else ``"urban-ward"``.

    The value is a built-in profile name or the path of a profile ``.toml`` file.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variable (default ``os.environ``).

    Raises
    ------
    ParameterError
        When the setting names neither (the Japanese message lists the built-in names).

    Examples
    --------
    >>> class_profile({"EBPMKIT_PROFILE": "town"})
    'town'
    """
    return class_settings(environ).profile


def class_seed(environ: Mapping[str, str] | None = None) -> int:
    """The class's seed (:func:`class_settings`): ``$EBPMKIT_SEED``, else the class file's
    ``seed``, else :data:`DEFAULT_SEED`.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variable (default ``os.environ``).

    Raises
    ------
    ParameterError
        When the setting is not a non-negative whole number.

    Examples
    --------
    >>> class_seed({"EBPMKIT_SEED": "7"})
    7
    """
    return class_settings(environ).seed


@dataclass
class Dataset:
    """A synthetic municipality: its tables, data dictionary and profile.

    Tables are reachable as ``ds.tables["residents"]`` or ``ds.residents``. The simulation's
    ground truth (``ds.ground_truth``) is for instructors and tests, not for learners' tables.

    Examples
    --------
    >>> ds = load("town", scale=0.02)  # doctest: +SKIP
    >>> ds.resident_years.head()  # doctest: +SKIP
    """

    tables: dict[str, pd.DataFrame]
    dictionary: pd.DataFrame
    profile: Profile
    seed: int
    scale: float
    variant: str
    _truth: dict[str, Any] = field(default_factory=dict, repr=False)
    # The cache folder the tables were read from (None for a Dataset built by hand).
    _folder: Path | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(message("dataset.no_table", name=name, tables=", ".join(tables)))

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.tables))

    @property
    def ground_truth(self) -> dict[str, Any]:
        """True values of the simulated effects (instructors and tests only)."""
        return self._truth

    @property
    def municipality(self) -> str:
        """The fictional municipality's name."""
        return self.profile.municipality

    @property
    def words(self) -> MunicipalityWords:
        """Words for this kind of municipality: ``suffix`` (区・市・町・村), ``residents``,
        ``resident_tax`` (特別区民税 or 市町村民税) and ``resident_tax_local`` (市民税 ...).

        Examples
        --------
        >>> ds = load("town", scale=0.02, tables=["districts"], progress=False)  # doctest: +SKIP
        >>> f"{ds.words.suffix}の減収"  # doctest: +SKIP
        '町の減収'
        """
        return self.profile.words

    def sql(
        self, query: str, *, memory_limit: str | None = None, threads: int | None = None
    ) -> pd.DataFrame:
        """Run SQL with DuckDB over the cached tables; the result as a pandas DataFrame.

        Every table of the dataset's variant is a view by its name reading the cache's parquet
        files directly (also the tables not loaded with ``load(tables=...)``), so a table too
        large for memory can still be counted and summed: only the result comes into pandas.
        DuckDB keeps its buffers under ``memory_limit`` (default ``"300MB"``) and uses
        ``threads`` threads (default 2); see ``ebpmkit.sql``. A variant made in memory when
        loaded (not stored in the cache) is queried from its loaded tables.

        Examples
        --------
        >>> ds = load("town", scale=0.02, tables=["districts"], progress=False)  # doctest: +SKIP
        >>> ds.sql(
        ...     "SELECT fiscal_year, count(*) AS n FROM resident_years GROUP BY 1 ORDER BY 1"
        ... )  # doctest: +SKIP
        """
        from ebpmkit import sql

        if self._folder is None:
            raise ParameterError(message("sql.no_cache"))
        return sql.run(
            self._folder,
            self.variant,
            query,
            memory_limit=memory_limit,
            threads=threads,
            loaded=self.tables,
        )

    def summary(self) -> pd.DataFrame:
        """One row per table: rows, columns and its Japanese description."""
        described = self.dictionary.drop_duplicates("table").set_index("table")["table_description"]
        return pd.DataFrame(
            {
                "テーブル": list(self.tables),
                "行数": [len(t) for t in self.tables.values()],
                "列数": [t.shape[1] for t in self.tables.values()],
                "説明": [described.get(n, "") for n in self.tables],
            }
        )

    def __repr__(self) -> str:
        lines = [
            f"{self.municipality}({SYNTHETIC_NOTE})",
            f"profile={self.profile.name!r} seed={self.seed} scale={self.scale:g} variant={self.variant!r}",
        ]
        lines += [f"  {name}: {len(t):,} 行" for name, t in self.tables.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{self.municipality}</b>({SYNTHETIC_NOTE})<br>"
            f"profile={self.profile.name}, seed={self.seed}, scale={self.scale:g}, variant={self.variant}</p>"
        )
        return head + self.summary().to_html(index=False)


# The pseudonymized variant is stored in the cache as overlays of the raw tables (only the columns
# the default policy changes: pseudonymised ids, coarsened birth dates, suppressed values),
# computed once at generation time. Hashing every id is what costs time (about 1 s per 300k
# ids); doing it here keeps load() as fast as reading the tables.
OVERLAY_PREFIX = "anonymized__"


def _with_overlays(tables: dict[str, pd.DataFrame], seed: int) -> tuple[dict, dict[str, Any]]:
    """The tables to cache: the raw ones plus the default policy's overlays, and its report."""
    parts, report = anonymize.overlays(
        tables, anonymize.DEFAULT_POLICY, anonymize.training_key(seed)
    )
    return {**tables, **{OVERLAY_PREFIX + n: p for n, p in parts.items()}}, report.to_dict()


def _split_variant(tables: dict[str, pd.DataFrame], variant: str) -> dict[str, pd.DataFrame]:
    """The raw tables; the pseudonymized ones rebuilt from the raw tables and their overlays;
    or the release-safe ones (anonymized) made from the raw register (:mod:`ebpmkit.release`)."""
    raw = {n: t for n, t in tables.items() if not n.startswith(OVERLAY_PREFIX)}
    if variant == "raw":
        return raw
    if variant == "anonymized":
        return release.release(raw)[0]
    parts = {n[len(OVERLAY_PREFIX) :]: t for n, t in tables.items() if n.startswith(OVERLAY_PREFIX)}
    return anonymize.apply_overlays(raw, parts, anonymize.DEFAULT_POLICY)


def _table_names(folder: Path, variant: str, wanted: list[str] | None = None) -> list[str]:
    """The files to read for a variant (only raw reads the identifying layer).

    With ``wanted``, only those tables and the overlays they need (the id maps and their own).
    The anonymized variant reads the raw tables its one register is made from.
    """
    names = list(json.loads((folder / cache.MANIFEST).read_text(encoding="utf-8"))["tables"])
    if variant == "anonymized":
        return [n for n in names if n in release.SOURCE_TABLES]
    if variant == "raw":
        names = [n for n in names if not n.startswith(OVERLAY_PREFIX)]
    else:
        names = [n for n in names if n not in anonymize.DEFAULT_POLICY.drop_tables]
    if wanted is None:
        return names

    def needed(name: str) -> bool:
        base = name.removeprefix(OVERLAY_PREFIX)
        return base in wanted or (
            name.startswith(OVERLAY_PREFIX) and base.startswith(anonymize.ID_MAP_PREFIX)
        )

    return [n for n in names if needed(n)]


def _check_tables(tables: list[str] | tuple[str, ...] | None, variant: str) -> list[str] | None:
    """Validate the ``tables`` argument of :func:`load` against the generated tables."""
    if tables is None:
        return None
    if isinstance(tables, str):
        tables = [tables]
    known = [n for m in DOMAINS for n in m.TABLES]
    available = (
        known
        if variant == "raw"
        else list(release.RELEASED_TABLES)
        if variant == "anonymized"
        else [n for n in known if n not in anonymize.DEFAULT_POLICY.drop_tables]
    )
    unknown = [t for t in tables if t not in available]
    if unknown:
        note = message("dataset.raw_only") if any(t in known for t in unknown) else ""
        raise ParameterError(
            message(
                "dataset.unknown_tables",
                unknown=", ".join(map(repr, unknown)),
                note=note,
                available=", ".join(available),
            )
        )
    return list(tables)


def _progress_callback(bar: tqdm):
    def step(name: str, seconds: float) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    return step


def _build(profile: Profile, seed: int, scale: float, progress: bool) -> tuple[dict, dict]:
    with tqdm(
        total=len(DOMAINS), desc="合成データを生成中", unit="段階", disable=not progress
    ) as bar:
        return generate_tables(profile, seed, scale, on_step=_progress_callback(bar))


def _meta(
    profile: Profile, seed: int, scale: float, anonymization: dict | None = None
) -> dict[str, Any]:
    return {
        "anonymization": anonymization or {},
        "profile": profile.name,
        "profile_digest": profile.digest,
        "municipality": profile.municipality,
        "seed": seed,
        "scale": scale,
        "note": "Synthetic data of a fictional municipality. " + SYNTHETIC_NOTE,
    }


def _not_in_shared_folder(profile: Profile, seed: int, scale: float, folder: Path) -> CacheError:
    """The error for a dataset missing from a folder this user cannot write (a hub's share).

    It names the command that makes the dataset, for the learner to pass on to the trainer.
    """
    name = profile.name if profile.origin.startswith("built-in") else profile.origin
    command = f"ebpmkit generate --profile {name} --seed {seed} --scale {scale:g}"
    return CacheError(
        message("dataset.shared_missing", folder=folder.parent, command=command, profile=name)
    )


def _verified(folder: Path) -> tuple[bool, str]:
    """Whether ``folder`` holds a complete dataset; if not, why (empty when it is missing)."""
    if not folder.exists():
        return False, ""
    manifest, reason = cache.verify_folder(folder)
    return manifest is not None, reason


def _lock(folder: Path, progress: bool) -> FileLock:
    """The lock that lets one process at a time generate ``folder``, taken (blocking).

    It sits beside the dataset folder, in the data folder, so that every kernel of a hub that
    shares the folder waits on the same file. When another process holds it, say why this one
    waits (a generation at scale 1 takes minutes).
    """
    lock = FileLock(str(folder.with_name(f".{folder.name}.lock")), mode=cache.modes()[1])
    try:
        lock.acquire(timeout=0.5)
    except Timeout:
        if progress:
            print(
                "ほかのカーネルが同じデータを生成しています。終わるまで待ちます。"
                " / Another kernel is generating this dataset; waiting for it.",
                file=sys.stderr,
            )
        lock.acquire()
    return lock


def _ensure_cached(profile: Profile, seed: int, scale: float, progress: bool) -> Path:
    folder = cache.dataset_folder(profile.name, profile.digest, seed, scale)
    ready, _ = _verified(folder)
    if ready:
        return folder
    # A learner on a hub reads the trainer's folder but cannot write it (so cannot take the
    # lock either): say so before spending minutes on a generation that could not be saved.
    if not cache.writable(folder.parent):
        raise _not_in_shared_folder(profile, seed, scale, folder) from None
    # Many kernels may start at once on a shared folder that lacks the dataset: one generates
    # it under the lock, the others wait and then find it complete.
    lock = _lock(folder, progress)
    try:
        ready, reason = _verified(folder)
        if ready:
            return folder
        if reason:
            cache.discard(folder, reason)
        with reusing_freed_memory():
            tables, truth = _build(profile, seed, scale, progress)
            tables, report = _with_overlays(tables, seed)
            cache.write_dataset(
                tables,
                truth,
                _meta(profile, seed, scale, report),
                folder,
                parameter="EBPMKIT_DATA_DIR",
            )
    finally:
        lock.release()
    return folder


def _or_class_settings(profile: str | Path | None, seed: int | None) -> tuple[Any, Any]:
    """The arguments given, the class's settings (:func:`class_settings`) for those left out."""
    if profile is not None and seed is not None:
        return profile, seed
    settings = class_settings()
    return (
        settings.profile if profile is None else profile,
        settings.seed if seed is None else seed,
    )


def load(
    profile: str | Path | None = None,
    seed: int | None = None,
    scale: float = 1.0,
    variant: str = "pseudonymized",
    *,
    tables: list[str] | tuple[str, ...] | None = None,
    progress: bool = True,
) -> Dataset:
    """Load a synthetic municipality, generating and caching it on first use.

    Parameters
    ----------
    profile : str or Path, optional
        ``"urban-ward"``, ``"regional-city"``, ``"town"`` or a profile ``.toml`` file. Without
        it, the class's profile: ``$EBPMKIT_PROFILE`` if set, else ``"urban-ward"``.
    seed : int, optional
        Random seed; the same profile, seed and scale always give the same data. Without it,
        the class's seed: ``$EBPMKIT_SEED`` if set, else :data:`DEFAULT_SEED`.
    scale : float
        Share of the profile's population to simulate, in (0, 2]; 0.05 is a light training set.
    variant : {"pseudonymized", "anonymized", "raw"}
        ``"pseudonymized"`` (仮名加工情報, the training default) is the raw variant after
        ``ebpmkit.anonymize.anonymize`` with ``DEFAULT_POLICY``: no identifying layer, keyed
        pseudonyms for person and household IDs that link every table, birth dates to the
        year, ages top-coded at 100, k = 3 on the registers; for internal analysis only. Its
        key is derived from the seed (reproducible, not secret; a real deployment needs a
        secret key). ``"anonymized"`` (匿名加工情報) is what could be released: one person
        register without linking codes, at the k of ``ebpmkit.release.RELEASE_POLICY`` over
        every quasi-identifier together, plus the geography tables (:mod:`ebpmkit.release`).
        ``"raw"`` adds the identifying layer (names, addresses, phone numbers, exact birth
        dates) used by the anonymization lessons.
    tables : list of str, optional
        Read only these tables (all by default). A lesson that needs two tables then uses a
        fraction of the memory; the whole dataset is still generated and cached once.
    progress : bool
        Show a progress bar while generating.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import ebpmkit
    >>> ds = ebpmkit.load("town", scale=0.05)  # doctest: +SKIP
    >>> ds = ebpmkit.load(tables=["resident_years", "households"])  # doctest: +SKIP
    >>> ds.resident_years.groupby("fiscal_year").size()  # doctest: +SKIP
    """
    variant = check_choice("variant", variant, VARIANTS)
    profile, seed = _or_class_settings(profile, seed)
    prof = load_profile(profile)
    seed = check_seed(seed)
    scale = check_scale(scale)
    validate_profile(prof)
    wanted = _check_tables(tables, variant)
    folder = _ensure_cached(prof, seed, scale, progress)
    try:
        frames, truth = cache.read_dataset(folder, _table_names(folder, variant, wanted))
    except (OSError, ValueError, KeyError, CacheError) as exc:
        # The folder changed or broke between verification and reading: rebuild once.
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc)
        cache.discard(folder, reason)
        folder = _ensure_cached(prof, seed, scale, progress)
        frames, truth = cache.read_dataset(folder, _table_names(folder, variant, wanted))
    tables = _split_variant(frames, variant)
    if variant == "anonymized" and wanted is not None:
        tables = {n: t for n, t in tables.items() if n in wanted}
    dictionary = dictionary_frame(DOMAINS)
    if variant == "anonymized":
        dictionary = release.dictionary_rows(dictionary)
    dictionary = dictionary[dictionary["table"].isin(list(tables))].reset_index(drop=True)
    return Dataset(tables, dictionary, prof, seed, scale, variant, truth, folder)


def generate(
    profile: str | Path | None = None,
    seed: int | None = None,
    scale: float = 1.0,
    out: str | Path | None = None,
    formats: tuple[str, ...] | str = ("parquet",),
    *,
    progress: bool = True,
) -> Path:
    """Generate a dataset and write it to ``out`` (default: the cache), returning the folder.

    Parameters
    ----------
    profile, seed, scale
        As for :func:`load` (without them, the class's profile and seed).
    out : str or Path, optional
        Folder to write; without it the dataset goes to the cache that :func:`load` reads.
    formats : tuple of str or str
        ``"parquet"`` and/or ``"csv"`` (a comma-separated string is accepted).

    Examples
    --------
    >>> generate("town", scale=0.02, out="/tmp/town-demo", formats="parquet,csv")  # doctest: +SKIP
    """
    if isinstance(formats, str):
        formats = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not formats:
        raise ParameterError(message("dataset.no_format", formats=", ".join(cache.FORMATS)))
    profile, seed = _or_class_settings(profile, seed)
    prof = load_profile(profile)
    seed = check_seed(seed)
    scale = check_scale(scale)
    validate_profile(prof)
    for fmt in formats:
        check_choice("formats", fmt, cache.FORMATS)
    if out is None:
        if "parquet" not in formats:
            raise ParameterError(message("dataset.cache_needs_parquet"))
        folder = cache.dataset_folder(prof.name, prof.digest, seed, scale)
        with reusing_freed_memory():
            tables, truth = _build(prof, seed, scale, progress)
            tables, report = _with_overlays(tables, seed)
            return cache.write_dataset(
                tables,
                truth,
                _meta(prof, seed, scale, report),
                folder,
                formats,
                parameter="EBPMKIT_DATA_DIR",
            )
    out = Path(out)
    # Fail on an unwritable target before spending time on generation.
    cache.check_target(out, "out")
    with reusing_freed_memory():
        tables, truth = _build(prof, seed, scale, progress)
        tables["dictionary"] = dictionary_frame(DOMAINS)
        return cache.write_dataset(
            tables, truth, _meta(prof, seed, scale), out, formats, parameter="out"
        )
