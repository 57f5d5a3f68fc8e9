"""Long-term care certification: rates by age, levels, persistence, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import ltc
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

BANDS = [65, 70, 75, 80, 85, 90]
SOURCE_RATES = [0.028, 0.055, 0.124, 0.264, 0.481, 0.727]


def make_frame(
    n_people: int = 90_000, years=(2015, 2016, 2017, 2018), seed: int = 0
) -> dict[str, pd.DataFrame]:
    """People aged 30-110 at the start (uniform to 89, then thinning), ageing one year a year."""
    rng = np.random.default_rng(seed)
    young = rng.integers(30, 90, int(n_people * 0.8))
    old = 90 + rng.geometric(0.22, n_people - len(young)) - 1
    age0 = np.concatenate([young, np.minimum(old, 110)])
    frames = []
    for i, year in enumerate(years):
        frames.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(year),
                    "person_id": np.arange(len(age0), dtype=np.int64) * 7 + 3,
                    "age": (age0 + i).astype(np.int16),
                    "sex": pd.Categorical(np.where(np.arange(len(age0)) % 2, "男性", "女性")),
                    "household_id": np.arange(len(age0), dtype=np.int64),
                    "district_code": pd.Categorical(
                        np.array(["D01", "D02"])[np.arange(len(age0)) % 2]
                    ),
                }
            )
        )
    return {"resident_years": pd.concat(frames, ignore_index=True)}


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Identical columns, dtypes and values (quicker than assert_frame_equal on categoricals)."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert pd.util.hash_pandas_object(a, index=False).equals(
        pd.util.hash_pandas_object(b, index=False)
    )


def run(tables, seed=1, profile="urban-ward"):
    ctx = SimContext(load_profile(profile), seed=seed, scale=0.1, tables=dict(tables))
    ctx.profile.validate(ltc.PARAMETERS)
    return ltc.simulate(ctx)["ltc"]


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def table(frame):
    return run(frame)


def test_columns_match_the_dictionary(table):
    declared = [c for c in ltc.COLUMNS if c.table == "ltc"]
    assert list(table.columns) == [c.column for c in declared]
    assert table["level"].cat.ordered
    assert list(table["level"].cat.categories) == list(ltc.LEVELS)
    assert table["certified"].all()


def test_certification_rate_by_age_band_is_near_the_source(table, frame):
    # The first year only: later years of this frame have no deaths, so its very old grow older.
    ry = frame["resident_years"].query("fiscal_year == 2015")
    table = table.query("fiscal_year == 2015")
    edges = [*BANDS, 200]
    certified = pd.cut(table["age"], edges, right=False).value_counts().sort_index()
    population = pd.cut(ry["age"], edges, right=False).value_counts().sort_index()
    rates = (certified / population).to_numpy()
    assert np.abs(rates - SOURCE_RATES).max() < 0.025
    middle_aged = ((table["age"] >= 40) & (table["age"] < 65)).sum() / (
        (ry["age"] >= 40) & (ry["age"] < 65)
    ).sum()
    assert 0.001 < middle_aged < 0.01
    assert table["age"].min() >= 40


def test_level_mix_matches_the_national_mix(table):
    mix = table["level"].value_counts(normalize=True).sort_index().to_numpy()
    expected = np.array(load_profile("urban-ward").numbers("ltc.level_mix"))
    assert np.abs(mix - expected / expected.sum()).max() < 0.01


def test_levels_are_heavier_at_older_ages(table):
    level = table["level"].cat.codes
    band = pd.cut(table["age"], [65, 75, 85, 200], right=False)
    means = level.groupby(band, observed=True).mean().to_numpy()
    assert means[0] < means[1] < means[2]


def test_once_certified_a_person_stays_certified_and_never_gets_lighter(table, frame):
    ry = frame["resident_years"]
    this = table[["fiscal_year", "person_id", "level"]]
    nxt = this.assign(fiscal_year=this["fiscal_year"] + 1)
    registered_next = ry[["fiscal_year", "person_id"]]
    followed = nxt.merge(registered_next, on=["fiscal_year", "person_id"])
    joined = followed.merge(
        this, on=["fiscal_year", "person_id"], how="left", suffixes=("_before", "")
    )
    assert len(joined) > 1000
    assert joined["level"].notna().all()
    assert (joined["level"].cat.codes >= joined["level_before"].cat.codes).all()
    assert (table.groupby("person_id")["first_certified_year"].nunique() == 1).all()


def test_first_certified_year_is_plausible(table):
    assert (table["first_certified_year"] <= table["fiscal_year"]).all()
    assert table["first_certified_year"].min() == 2000  # long-term care insurance began in FY2000
    first_seen = table.groupby("person_id")["fiscal_year"].transform("min")
    newly = table[table["first_certified_year"] == table["fiscal_year"]]
    assert (newly["fiscal_year"] == first_seen[newly.index]).all()


def test_certification_rate_curve_is_monotone_and_hits_band_averages():
    rate = ltc.certification_rate(load_profile("urban-ward"))
    assert (np.diff(rate) >= 0).all() and rate[39] == 0
    for start, expected in zip(BANDS[:-1], SOURCE_RATES[:-1], strict=True):
        assert rate[start : start + 5].mean() == pytest.approx(expected, abs=0.002)


def test_rate_multiplier_raises_certification(frame, tmp_path):
    path = tmp_path / "frail.toml"
    path.write_text('extends = "urban-ward"\n[ltc]\nrate_multiplier = 1.5\n', encoding="utf-8")
    assert len(run(frame, profile=path)) > 1.1 * len(run(frame))


def test_same_seed_same_table_other_seed_other_table(frame, table):
    assert_same(run(frame), table)
    assert not run(frame, seed=2)["person_id"].equals(table["person_id"])


def test_a_level_mix_of_the_wrong_length_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "urban-ward"\n[ltc]\nlevel_mix = [0.5, 0.5]\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="ltc.level_mix"):
        load_profile(path).validate(ltc.PARAMETERS)
