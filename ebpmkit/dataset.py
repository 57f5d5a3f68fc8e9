"""Loading a synthetic municipality: ``ebpmkit.load`` and ``ebpmkit.generate``.

``load`` returns a :class:`Dataset` from the cache, generating it on first use. The cache
holds every table, the identifying layer included; the variant decides what a learner sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ebpmkit import cache
from ebpmkit.errors import CacheError, ParameterError, check_choice
from ebpmkit.synth import DOMAINS, check_scale, check_seed, generate_tables, validate_profile
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE, dictionary_frame
from ebpmkit.synth.profile import Profile, load_profile

__all__ = ["DEFAULT_SEED", "VARIANTS", "Dataset", "generate", "load"]

DEFAULT_SEED = 20250401
VARIANTS = ("anonymized", "raw")
IDENTITY_TABLES = ("identities",)


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

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(
            f"テーブル '{name}' はありません。使えるテーブル: {', '.join(tables)}\n"
            f"There is no table '{name}'. The dataset has these tables: {', '.join(tables)}"
        )

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


def _anonymized_view(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop the identifying layer and coarsen exact birth dates to the first of the month."""
    out = {k: v for k, v in tables.items() if k not in IDENTITY_TABLES}
    if "residents" in out:
        res = out["residents"]
        out["residents"] = res.assign(
            birth_date=res["birth_date"]
            .dt.to_period("M")
            .dt.to_timestamp()
            .astype(res["birth_date"].dtype)
        )
    return out


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


def _meta(profile: Profile, seed: int, scale: float) -> dict[str, Any]:
    return {
        "profile": profile.name,
        "profile_digest": profile.digest,
        "municipality": profile.municipality,
        "seed": seed,
        "scale": scale,
        "note": "Synthetic data of a fictional municipality. " + SYNTHETIC_NOTE,
    }


def _ensure_cached(profile: Profile, seed: int, scale: float, progress: bool) -> Path:
    folder = cache.dataset_folder(profile.name, profile.digest, seed, scale)
    if folder.exists():
        manifest, reason = cache.verify_folder(folder)
        if manifest is not None:
            return folder
        cache.discard(folder, reason)
    tables, truth = _build(profile, seed, scale, progress)
    cache.write_dataset(
        tables, truth, _meta(profile, seed, scale), folder, parameter="EBPMKIT_DATA_DIR"
    )
    return folder


def load(
    profile: str | Path = "urban-ward",
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    variant: str = "anonymized",
    *,
    progress: bool = True,
) -> Dataset:
    """Load a synthetic municipality, generating and caching it on first use.

    Parameters
    ----------
    profile : str or Path
        ``"urban-ward"`` (default), ``"regional-city"``, ``"town"`` or a profile ``.toml`` file.
    seed : int
        Random seed; the same profile, seed and scale always give the same data.
    scale : float
        Share of the profile's population to simulate, in (0, 2]; 0.05 is a light training set.
    variant : {"anonymized", "raw"}
        ``"raw"`` adds the identifying layer (names, addresses, phone numbers, exact birth
        dates) used by the anonymization lessons.
    progress : bool
        Show a progress bar while generating.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> import ebpmkit
    >>> ds = ebpmkit.load("town", scale=0.05)  # doctest: +SKIP
    >>> ds.resident_years.groupby("fiscal_year").size()  # doctest: +SKIP
    """
    variant = check_choice("variant", variant, VARIANTS)
    prof = load_profile(profile)
    seed = check_seed(seed)
    scale = check_scale(scale)
    validate_profile(prof)
    folder = _ensure_cached(prof, seed, scale, progress)
    try:
        tables, truth = cache.read_dataset(folder)
    except (OSError, ValueError, CacheError) as exc:
        # The folder changed or broke between verification and reading: rebuild once.
        cache.discard(folder, str(exc))
        folder = _ensure_cached(prof, seed, scale, progress)
        tables, truth = cache.read_dataset(folder)
    if variant == "anonymized":
        tables = _anonymized_view(tables)
    dictionary = dictionary_frame(DOMAINS)
    dictionary = dictionary[dictionary["table"].isin(list(tables))].reset_index(drop=True)
    return Dataset(tables, dictionary, prof, seed, scale, variant, truth)


def generate(
    profile: str | Path = "urban-ward",
    seed: int = DEFAULT_SEED,
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
        As for :func:`load`.
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
        raise ParameterError(
            "引数 'format' に出力形式を1つ以上指定してください。 / Pass at least one format."
        )
    prof = load_profile(profile)
    seed = check_seed(seed)
    scale = check_scale(scale)
    validate_profile(prof)
    for fmt in formats:
        check_choice("format", fmt, cache.FORMATS)
    if out is None:
        if "parquet" not in formats:
            raise ParameterError(
                "キャッシュには parquet 形式が必要です。CSV だけが必要なら out を指定してください。\n"
                "The cache needs parquet; pass 'out' to write CSV only."
            )
        folder = cache.dataset_folder(prof.name, prof.digest, seed, scale)
        tables, truth = _build(prof, seed, scale, progress)
        return cache.write_dataset(
            tables, truth, _meta(prof, seed, scale), folder, formats, parameter="EBPMKIT_DATA_DIR"
        )
    out = Path(out)
    # Fail on an unwritable target before spending time on generation.
    cache.check_target(out, "out")
    tables, truth = _build(prof, seed, scale, progress)
    tables["dictionary"] = dictionary_frame(DOMAINS)
    return cache.write_dataset(
        tables, truth, _meta(prof, seed, scale), out, formats, parameter="out"
    )
