"""What a profile will produce, before the whole municipality is generated (`ebpmkit profile check`).

The profile is validated as :func:`ebpmkit.synth.generate_tables` would, then only the map and
the population registers are simulated, at a scale that gives about ``persons`` residents, and
the counts are divided by that scale. Population and households on the first and last 1 April
registers, the age shares (three groups and the 5-year bands) and the profile's targets next to
what was generated are reported in Japanese.
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ebpmkit.errors import check_range
from ebpmkit.synth.population import (
    AGE_GROUP_LABELS,
    AGE_TARGET_TOLERANCE,
    N_BANDS,
    age_group_shares,
)
from ebpmkit.synth.profile import Profile, load_profile

__all__ = ["ProfilePreview", "preview_profile"]

#: Residents simulated by default: enough for shares within a few tenths of a point.
DEFAULT_PERSONS = 20_000
BAND_LABELS = [f"{5 * b}～{5 * b + 4}歳" for b in range(N_BANDS - 1)] + [
    f"{5 * (N_BANDS - 1)}歳以上"
]


@dataclass
class TargetCheck:
    """One figure of the profile next to what the preview generated."""

    label: str
    target: str
    got: str
    met: bool


@dataclass
class ProfilePreview:
    """The result of :func:`preview_profile`.

    ``summary`` has one column per fiscal year (first and last) and the rows 人口, 世帯数,
    1世帯あたり人数 and the three age groups (%); ``bands`` the 5-year age bands (%) of the same
    years. Counts are the simulated counts divided by ``scale``.
    """

    profile: Profile
    seed: int
    scale: float
    summary: pd.DataFrame
    bands: pd.DataFrame
    targets: list[TargetCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The report in Japanese, as `ebpmkit profile check` prints it."""
        p = self.profile
        first, last = (int(y) for y in self.summary.columns)
        where = p.origin if not p.origin.startswith("built-in") else f"組み込みの {p.name}"
        head = _row("", [f"{first}年度", f"{last}年度"])
        out = [
            f"プロファイル {where}: {p.municipality}(架空の自治体)",
            "検査: すべての項目を確かめました。生成できます。",
            *(f"注意: {note}" for note in self.notes),
            "",
            f"生成の見込み: 地図と住民基本台帳だけを scale {self.scale:.3g}"
            f"(約{round(self.scale * p.number('population.start')):,}人)・seed {self.seed} で"
            "生成し、人数・世帯数を 1/scale 倍に戻した値です"
            "(全体を scale 1 で生成したときの見込み)。",
            "",
            head,
        ]
        for row, values in self.summary.iterrows():
            fmt = (
                "{:,.0f}"
                if row in ("人口(人)", "世帯数")
                else "{:.2f}"
                if "人数" in row
                else "{:.1f}"
            )
            out.append(_row(str(row), [fmt.format(v) for v in values]))
        out += ["", "年齢5歳階級の割合(%)", head]
        for band, values in self.bands.iterrows():
            out.append(_row(str(band), [f"{v:.1f}" for v in values]))
        out += ["", "プロファイルの目標との比較(○ 目標どおり、× 目標から離れている)"]
        for t in self.targets:
            mark = "○" if t.met else "×"
            out.append(f"{mark} {t.label}: 目標 {t.target} → 見込み {t.got}")
        return "\n".join(out)


def _width(text: str) -> int:
    """Display width in a terminal: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _row(label: str, cells: list[str], first: int = 18, other: int = 14) -> str:
    """A label and right-aligned cells, aligned by display width."""
    line = label + " " * max(first - _width(label), 1)
    for cell in cells:
        line += " " * max(other - _width(cell), 1) + cell
    return line


def _register_summary(ry: pd.DataFrame, year: int, scale: float) -> tuple[list[float], np.ndarray]:
    reg = ry[ry["fiscal_year"] == year]
    age = reg["age"].to_numpy()
    band = np.minimum(age // 5, N_BANDS - 1)
    bands = np.bincount(band, minlength=N_BANDS) / len(reg) * 100
    people = len(reg) / scale
    households = reg["household_id"].nunique() / scale
    return [people, households, people / households, *age_group_shares(bands)], bands


def preview_profile(
    profile: str | Path | Profile,
    *,
    seed: int | None = None,
    persons: int = DEFAULT_PERSONS,
    income: bool = False,
) -> ProfilePreview:
    """Validate a profile and preview its population, age shares and households.

    Parameters
    ----------
    profile : str or Path or Profile
        A built-in profile name or a profile ``.toml`` file.
    seed : int, optional
        Random seed (default: the class's seed, ``$EBPMKIT_SEED``).
    persons : int
        About how many residents to simulate; the scale is ``persons / population.start``
        (at most 1).
    income : bool
        Also simulate incomes and compare them with the income targets
        (``income.target_*``, which the generator does not read).

    Returns
    -------
    ProfilePreview

    Examples
    --------
    >>> pv = preview_profile("town", persons=3000)
    >>> list(pv.summary.index[:2])
    ['人口(人)', '世帯数']
    """
    from ebpmkit.dataset import class_seed
    from ebpmkit.synth import generate_tables, validate_profile

    prof = load_profile(profile)
    persons = int(check_range("persons", persons, low=500, high=2_000_000, kind=int))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_profile(prof)
    notes = [str(w.message).splitlines()[0] for w in caught]
    seed = class_seed() if seed is None else seed
    scale = min(1.0, persons / prof.number("population.start"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already reported in notes
        only = ("geography", "population", *(("income",) if income else ()))
        tables, _ = generate_tables(prof, seed, scale, only=only)
    ry = tables["resident_years"]
    years = [int(prof.fiscal_years[0]), int(prof.fiscal_years[-1])]
    rows, band_rows = zip(*(_register_summary(ry, y, scale) for y in years), strict=True)
    index = ["人口(人)", "世帯数", "1世帯あたり人数", *(f"{g}(%)" for g in AGE_GROUP_LABELS)]
    summary = pd.DataFrame(np.array(rows).T, index=index, columns=years)
    bands = pd.DataFrame(np.array(band_rows).T, index=BAND_LABELS, columns=years)
    return ProfilePreview(
        profile=prof,
        seed=seed,
        scale=scale,
        summary=summary,
        bands=bands,
        targets=_targets(prof, ry, summary, years)
        + (_income_targets(prof, tables) if income else []),
        notes=notes,
    )


def _targets(prof: Profile, ry: pd.DataFrame, summary: pd.DataFrame, years: list[int]):
    first, last = years
    groups = summary.loc[[f"{g}(%)" for g in AGE_GROUP_LABELS], first].to_numpy()
    targets = prof.numbers("population.age_share_targets")
    gap = float(np.abs(groups - targets).max())

    def pct(values) -> str:
        return "・".join(f"{v:.1f}" for v in values) + " %"

    reg = ry[ry["fiscal_year"] == first]
    male = float((reg["sex"] == "男性").mean())
    checks = [
        TargetCheck(
            f"{first}年度の年齢3区分(0～14歳・15～64歳・65歳以上)",
            pct(targets),
            pct(groups) + f"(差は最大 {gap:.1f} ポイント)",
            # Sampling adds to the profile's own tolerance between bands and targets.
            gap <= AGE_TARGET_TOLERANCE + 1.0,
        ),
        TargetCheck(
            f"{first}年度の男性の割合(population.male_share)",
            f"{prof.number('population.male_share'):.3f}",
            f"{male:.3f}",
            abs(male - prof.number("population.male_share")) <= 0.01,
        ),
    ]
    for label, key, year, row in (
        ("人口", "population.start", first, "人口(人)"),
        ("人口", "population.end", last, "人口(人)"),
        ("世帯数", "households.end", last, "世帯数"),
    ):
        want = prof.number(key)
        got = float(summary.loc[row, year])
        checks.append(
            TargetCheck(
                f"{year}年度の{label}({key})",
                f"{want:,.0f}",
                f"{got:,.0f}",
                abs(got - want) <= 0.03 * want,
            )
        )
    return checks


def _income_targets(prof: Profile, tables: dict[str, pd.DataFrame]) -> list[TargetCheck]:
    """The income targets next to the simulated incomes (tolerances of tests/synth/test_income)."""
    from ebpmkit.synth import income

    s = income.summary(tables["income_tax"], tables["resident_years"])
    fy = int(np.clip(prof.number("income.target_income_fiscal_year"), s.index.min(), s.index.max()))
    last = int(s.index.max())
    per_payer = prof.number("income.target_income_per_taxpayer")
    share = prof.number("income.target_levy_payer_share")
    want = prof.numbers("income.target_salary_percentiles")
    got = s.loc[last, ["salary_p25", "salary_p50", "salary_p75", "salary_p90"]].to_numpy(float)

    def yen(values) -> str:
        return "・".join(f"{v / 10_000:,.0f}" for v in np.atleast_1d(values)) + " 万円"

    return [
        TargetCheck(
            f"{fy}年度の所得割納税義務者1人あたりの総所得金額等(income.target_income_per_taxpayer)",
            yen(per_payer),
            yen(s.loc[fy, "income_per_taxpayer"]),
            abs(s.loc[fy, "income_per_taxpayer"] / per_payer - 1) <= 0.06,
        ),
        TargetCheck(
            f"{fy}年度の所得割を納める人の割合(income.target_levy_payer_share)",
            f"{share:.3f}",
            f"{s.loc[fy, 'levy_payer_share']:.3f}",
            abs(s.loc[fy, "levy_payer_share"] - share) <= 0.03,
        ),
        TargetCheck(
            f"{last}年度の給与収入の25・50・75・90パーセンタイル(income.target_salary_percentiles)",
            yen(want),
            yen(got),
            bool(np.all(np.abs(got / want - 1) <= 0.18)),
        ),
    ]
