"""The linkage attack: a roster of names, birth years, sexes and districts against a release.

Hand-checked cases for the three adversary models, then the attack on the raw and the
anonymized variant of every built-in profile at scale 0.05 and at full scale (``full_scale``).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import ebpmkit
from ebpmkit import attack as T
from ebpmkit import release as R

#: The raw tables a roster and the raw register need (the others are not read).
RAW_TABLES = ["identities", "residents", "resident_years"]


@functools.cache
def loaded(profile: str, scale: float, variant: str):
    tables = RAW_TABLES if variant == "raw" else None
    return ebpmkit.load(profile, scale=scale, variant=variant, progress=False, tables=tables)


CASES = [
    pytest.param(p, s, id=f"{p}-{s:g}", marks=[pytest.mark.full_scale] if s == 1.0 else [])
    for p in ebpmkit.builtin_profiles()
    for s in (0.05, 1.0)
]


def test_measures_by_hand():
    # Released: two women born 1980 in D01, one man born 1970 with the district suppressed.
    released = pd.DataFrame(
        {
            "birth_year": [1980, 1980, 1970],
            "sex": ["女性", "女性", "男性"],
            "district_code": ["D01", "D01", None],
        }
    )
    # Roster: three women born 1980 in D01, a man born 1970 in D01 and one in D02.
    names = pd.DataFrame(
        {
            "name": list("abcde"),
            "birth_year": [1980, 1980, 1980, 1970, 1970],
            "sex": ["女性"] * 3 + ["男性"] * 2,
            "district_code": ["D01"] * 4 + ["D02"],
        }
    )
    r = T.link(released, names)
    assert r.f.tolist() == [2, 2, 1] and r.F.tolist() == [3, 3, 2]
    assert r.prosecutor_highest == 1.0  # the man is alone in the release
    assert r.prosecutor_average == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert r.journalist_highest == pytest.approx(1 / 2)
    assert r.marketer == r.success_rate == pytest.approx((1 / 3 + 1 / 3 + 1 / 2) / 3)
    assert r.sample_unique_share == pytest.approx(1 / 3) and r.certain == 0


def test_banded_birth_years_match_the_band_of_the_roster_year():
    released = pd.DataFrame(
        {"birth_year": [1980, 1985], "sex": ["男性", "男性"], "district_code": ["D01", "D01"]}
    )
    names = pd.DataFrame(
        {
            "birth_year": [1980, 1983, 1984, 1985, 1989, 1990],
            "sex": ["男性"] * 6,
            "district_code": ["D01"] * 6,
        }
    )
    # 1980, 1983, 1984 fall in the band 1980-84; 1985 and 1989 in 1985-89; 1990 in 1990-94.
    assert T.link(released, names).F.tolist() == [3, 2]


@pytest.mark.parametrize(("profile", "scale"), CASES)
def test_attack_succeeds_at_most_one_in_k_on_the_release_and_far_more_on_raw(profile, scale):
    raw = loaded(profile, scale, "raw")
    anon = loaded(profile, scale, "anonymized")
    names = T.roster(raw)
    on_raw, on_anon = T.link(raw, names), T.link(anon, names)
    k = R.RELEASE_POLICY.k
    print(
        f"\n{profile} scale {scale:g}: success on raw {on_raw.success_rate:.2%} "
        f"({on_raw.certain:,} named for certain), on anonymized {on_anon.success_rate:.2%} "
        f"({on_anon.certain:,}); 1/k = {1 / k:.0%}"
    )
    assert on_anon.success_rate <= 1 / k
    assert on_anon.journalist_highest <= 1 / k and on_anon.F.min() >= k
    assert on_anon.certain == 0 and on_anon.sample_unique_share == 0
    assert on_raw.certain > 0 and on_raw.sample_unique_share > 0
    assert on_raw.success_rate > 3 * on_anon.success_rate
    # On raw the release is the roster's own population: F equals f record by record.
    assert (on_raw.F == on_raw.f).all()
    assert on_raw.journalist_highest == on_raw.prosecutor_highest == 1.0
    # The average prosecutor risk is the number of classes over the number of records.
    keys = anon.residents[list(T.KEYS)]
    classes = len(keys.drop_duplicates())
    assert on_anon.prosecutor_average == pytest.approx(classes / len(keys))
    assert on_anon.marketer == pytest.approx(np.mean(1 / on_anon.F))


def test_reading_and_table_state_the_computed_figures():
    raw = loaded("town", 0.05, "raw")
    r = T.link(raw, T.roster(raw))
    text = r.reading()
    assert f"{r.marketer:.1%}" in text and f"{r.certain:,}" in text and "記者モデル" in text
    table = r.table()
    assert len(table) == 8 and table["値"].iloc[5] == pytest.approx(r.marketer)
    assert "<table" in r._repr_html_()


def test_roster_has_names_and_one_row_per_released_person():
    raw = loaded("town", 0.05, "raw")
    names = T.roster(raw)
    assert list(names.columns) == ["name", *T.KEYS]
    assert names["name"].notna().all()
    assert len(names) == len(R.person_register(raw))
