"""Late-stage elderly medical care: everyone 75+ insured (and out of NHI), premiums with their
reductions and cap, co-payment ratios by year, medical cost by age, determinism."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from ebpmkit.synth import generate_tables, late_elderly
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

MODULES = ("geography", "population", "income", "nhi", "late_elderly")
PROFILE = "town"
P = "late_elderly."


@functools.cache
def generated(seed: int = 5):
    return generate_tables(PROFILE, seed=seed, scale=0.1, only=MODULES)


@pytest.fixture(scope="module")
def tables():
    return generated()[0]


@pytest.fixture(scope="module")
def members(tables):
    return tables["late_elderly"]


@pytest.fixture(scope="module")
def claims(tables):
    return tables["late_elderly_claims"]


@pytest.fixture(scope="module")
def prof():
    return load_profile(PROFILE)


def at(prof, key, years):
    """The value of a listed schedule ``key`` in each fiscal year (its starts in ``starts``)."""
    starts = {
        P + "per_capita": P + "period_starts",
        P + "income_rate": P + "period_starts",
        P + "cap": P + "period_starts",
        P + "basic_deduction": P + "basic_deduction_from",
    }.get(key, P + "reduction.years")
    idx = np.searchsorted(prof.numbers(starts), np.asarray(years), side="right") - 1
    return prof.numbers(key)[np.clip(idx, 0, None)]


def test_columns_match_the_dictionary(members, claims):
    for name, frame in (("late_elderly", members), ("late_elderly_claims", claims)):
        declared = [c for c in late_elderly.COLUMNS if c.table == name]
        assert list(frame.columns) == [c.column for c in declared]
        assert [str(frame[c.column].dtype) for c in declared] == [c.dtype for c in declared]
    assert len(late_elderly.COLUMNS) >= 25


def test_everyone_at_the_late_stage_age_is_insured(tables, members, claims, prof):
    ry = tables["resident_years"]
    old = ry[ry["age"] >= prof.number("nhi.late_stage_age")]
    expected = set(zip(old["fiscal_year"], old["person_id"], strict=True))
    for frame in (members, claims):
        keys = list(zip(frame["fiscal_year"], frame["person_id"], strict=True))
        assert len(keys) == len(set(keys)) and set(keys) == expected
    assert (claims["household_id"].to_numpy() == members["household_id"].to_numpy()).all()


def test_nobody_is_in_nhi_and_late_elderly_in_the_same_year(tables, members, prof):
    nhi = tables["nhi"]
    assert (nhi["age"] < prof.number("nhi.late_stage_age")).all()
    both = nhi.merge(members, on=["fiscal_year", "person_id"])
    assert both.empty


def test_premium_is_per_capita_plus_income_part_up_to_the_cap(members, prof):
    years = members["fiscal_year"]
    base = np.maximum(members["total_income"] - at(prof, P + "basic_deduction", years), 0)
    assert (members["income_base"] == base).all()
    income_part = np.floor(members["income_base"] * at(prof, P + "income_rate", years) + 1e-6)
    assert (members["income_part"] == income_part).all()
    shares = dict(zip(["7割", "5割", "2割"], prof.numbers(P + "reduction.shares"), strict=True))
    share = members["per_capita_reduction"].astype(str).map(shares).fillna(0.0)
    per_capita = np.floor(at(prof, P + "per_capita", years) * (1 - share) + 1e-6)
    assert (members["per_capita_part"] == per_capita).all()
    cap = at(prof, P + "cap", years)
    raw = members["per_capita_part"] + members["income_part"]
    assert (members["annual_premium"] == np.minimum(raw, cap)).all()
    assert (members["premium_capped"] == (raw > cap)).all()


def test_reduction_never_grows_with_household_income(members, prof):
    frame = members.assign(level=members["per_capita_reduction"].cat.codes).sort_values(
        ["fiscal_year", "insured_in_household", "reduction_income", "level"],
        ascending=[True, True, True, False],
    )
    rises = frame.groupby(["fiscal_year", "insured_in_household"])["level"].diff().gt(0).sum()
    assert rises == 0
    # The 7割 line is the year's base line.
    seven = members[members["per_capita_reduction"] == "7割"]
    assert (
        seven["reduction_income"] <= at(prof, P + "reduction.base_line", seven["fiscal_year"])
    ).all()
    assert set(members["per_capita_reduction"].astype(str)) == {"なし", "2割", "5割", "7割"}


def test_copay_ratios_by_year(members, prof):
    r1, r2, r3 = prof.numbers(P + "copay.ratios")
    start_year, start_month = prof.numbers(P + "copay.middle_from").astype(int)
    before = members[members["fiscal_year"] < start_year]
    assert set(before["copay_class"].astype(str)) == {"1割", "3割"}
    assert set(np.round(before["copay_ratio"], 6)) == {r1, r3}
    first = members[(members["fiscal_year"] == start_year) & (members["copay_class"] == "2割")]
    months_after = 12 - (start_month - 4)
    assert len(first) and np.allclose(first["copay_ratio"], r1 + (r2 - r1) * months_after / 12)
    later = members[(members["fiscal_year"] > start_year) & (members["copay_class"] == "2割")]
    assert len(later) and np.allclose(later["copay_ratio"], r2)
    third = members[members["copay_class"] == "3割"]
    assert len(third) and np.allclose(third["copay_ratio"], r3)


def test_active_income_is_judged_by_household(members, prof):
    line = prof.number(P + "copay.active_taxable_line")
    high = (
        members.assign(high=members["taxable_income"] >= line)
        .groupby(["fiscal_year", "household_id"])["high"]
        .transform("any")
    )
    # 3割 only where an insured member of the household has the taxable income ...
    assert high[members["copay_class"] == "3割"].all()
    # ... and the whole household shares the class.
    classes = members.groupby(["fiscal_year", "household_id"])["copay_class"].nunique()
    assert (classes == 1).all()
    assert high[members["copay_class"] == "3割"].sum() > 0


def test_claims_add_up(claims, members, prof):
    assert (claims["patient_copay"] + claims["insurer_paid"] == claims["medical_cost"]).all()
    owed = np.floor(claims["medical_cost"] * members["copay_ratio"].to_numpy() + 1e-6)
    assert (claims["patient_copay"] + claims["high_cost_refund"] == owed).all()
    ceilings = prof.numbers(P + "copay.annual_ceilings")
    assert (claims["patient_copay"] <= ceilings.max()).all()
    assert claims["inpatient_days"].between(0, 365).all()
    zero = claims["medical_cost"] == 0
    assert (claims.loc[zero, ["visits", "inpatient_days"]] == 0).all().all()
    # Inpatient stays come with high costs.
    stayed = claims["inpatient_days"] > 0
    assert (
        claims.loc[stayed, "medical_cost"].median()
        > 2 * claims.loc[~stayed, "medical_cost"].median()
    )


def old_register(n_people: int = 60_000, years=(2019, 2020, 2021), seed: int = 0):
    """People aged 75-99 (uniform), ageing one year a year, with no income."""
    rng = np.random.default_rng(seed)
    age0 = rng.integers(75, 100, n_people)
    frames = [
        pd.DataFrame(
            {
                "fiscal_year": np.int16(year),
                "person_id": np.arange(n_people, dtype=np.int64) * 3 + 1,
                "age": (age0 + i).astype(np.int16),
                "sex": pd.Categorical(np.where(np.arange(n_people) % 2, "男性", "女性")),
                "household_id": np.arange(n_people, dtype=np.int64),
                "relationship": "世帯主",
                "district_code": pd.Categorical(["D01"] * n_people),
            }
        )
        for i, year in enumerate(years)
    ]
    it = pd.DataFrame({"fiscal_year": np.int16([]), "person_id": np.int64([])})
    return {"resident_years": pd.concat(frames, ignore_index=True), "income_tax": it}


def test_cost_by_age_follows_the_national_band_means(prof):
    ctx = SimContext(prof, seed=3, scale=0.1, tables=old_register())
    claims = late_elderly.simulate(ctx)["late_elderly_claims"]
    band_means = prof.numbers("nhi.cost.band_means") * 10_000
    band = claims["age"] // 5
    first_year = claims[claims["fiscal_year"] == 2019]  # ages still uniform within bands
    means = first_year.groupby(band[first_year.index])["medical_cost"].mean()
    for b, mean in means.items():
        assert mean == pytest.approx(band_means[b], rel=0.08), f"band {5 * b}-{5 * b + 4}"
    # Persistence: a person's cost this year predicts next year's.
    wide = claims.pivot(index="person_id", columns="fiscal_year", values="medical_cost")
    both = wide[(wide[2019] > 0) & (wide[2020] > 0)]
    rho = prof.number("nhi.cost.persistence")
    assert np.log(both[2019]).corr(np.log(both[2020])) == pytest.approx(rho, abs=0.05)


def test_deterministic_and_seed_dependent(tables, members, claims, prof):
    again = late_elderly.simulate(SimContext(prof, seed=5, scale=0.1, tables=dict(tables)))
    pd.testing.assert_frame_equal(again["late_elderly"], members)
    pd.testing.assert_frame_equal(again["late_elderly_claims"], claims)
    other = late_elderly.simulate(SimContext(prof, seed=6, scale=0.1, tables=dict(tables)))
    assert not other["late_elderly_claims"]["medical_cost"].equals(claims["medical_cost"])
    pd.testing.assert_frame_equal(other["late_elderly"], members)  # premiums draw nothing


def test_middle_months():
    assert late_elderly.middle_months(np.array([2021, 2022, 2023]), 2022, 10).tolist() == [0, 6, 12]
    assert late_elderly.middle_months(np.array([2021, 2022]), 2023, 1).tolist() == [0, 3]
