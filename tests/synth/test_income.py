"""Tests of the income domain module: structure, tax relationships, calibration, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit import tax
from ebpmkit.errors import ProfileError
from ebpmkit.synth import geography, income, population
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

YEARS = range(2019, 2025)


def _hand_frame(n_families: int = 300, seed: int = 3) -> dict[str, pd.DataFrame]:
    """A small register built by hand: families of a couple with three children, single
    adults and elderly couples, registered for fiscal years 2019-2024 (ages advance)."""
    rng = np.random.default_rng(seed)
    people = []  # (household, relationship, sex, birth year)
    hh = 0
    for _ in range(n_families):
        hh += 1
        b = int(rng.integers(1965, 1985))
        people += [(hh, "世帯主", "男性", b), (hh, "配偶者", "女性", b + 2)]
        people += [
            (hh, "子", str(rng.choice(["男性", "女性"])), int(rng.integers(1998, 2015)))
            for _ in range(3)
        ]
        hh += 1
        people.append(
            (hh, "世帯主", str(rng.choice(["男性", "女性"])), int(rng.integers(1950, 2003)))
        )
        hh += 1
        b = int(rng.integers(1935, 1955))
        people += [(hh, "世帯主", "男性", b), (hh, "配偶者", "女性", b + 1)]
    frame = pd.DataFrame(people, columns=["household_id", "relationship", "sex", "birth_year"])
    frame["person_id"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    birth = pd.to_datetime(frame["birth_year"].astype(str) + "-07-01").astype("datetime64[s]")
    residents = pd.DataFrame(
        {"person_id": frame["person_id"], "sex": pd.Categorical(frame["sex"]), "birth_date": birth}
    )
    years = []
    for fy in YEARS:
        years.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(fy),
                    "person_id": frame["person_id"],
                    "age": (fy - frame["birth_year"] - 1).astype(
                        np.int16
                    ),  # born in July: age on 1 April
                    "sex": pd.Categorical(frame["sex"], categories=["男性", "女性"]),
                    "household_id": frame["household_id"].astype(np.int64),
                    "relationship": pd.Categorical(
                        frame["relationship"], categories=income.RELATIONSHIPS
                    ),
                }
            )
        )
    return {"residents": residents, "resident_years": pd.concat(years, ignore_index=True)}


def _run(
    tables: dict[str, pd.DataFrame], profile: str = "urban-ward", seed: int = 5
) -> pd.DataFrame:
    ctx = SimContext(load_profile(profile), seed=seed, scale=0.01)
    ctx.tables.update(tables)
    return income.simulate(ctx)["income_tax"]


@pytest.fixture(scope="module")
def hand() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    tables = _hand_frame()
    return tables, _run(tables)


def _population(profile: str, scale: float, seed: int) -> dict[str, pd.DataFrame]:
    ctx = SimContext(load_profile(profile), seed=seed, scale=scale)
    for module in (geography, population):
        ctx.tables.update(module.simulate(ctx))
    return ctx.tables


@pytest.fixture(scope="module")
def ward(small_tables) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The shared urban-ward fixture (scale 0.02, seed 7) with its income table."""
    if "income_tax" in small_tables:
        return small_tables, small_tables["income_tax"]
    return small_tables, _run({k: small_tables[k] for k in ("residents", "resident_years")}, seed=7)


# --------------------------------------------------------------------------------------------
# structure


def test_columns_match_the_declared_dictionary(hand):
    _, it = hand
    declared = {c.column: c.dtype for c in income.COLUMNS}
    assert list(it.columns) == list(declared)
    for col, dtype in declared.items():
        assert str(it[col].dtype) == dtype or (
            dtype == "category" and isinstance(it[col].dtype, pd.CategoricalDtype)
        ), col
    assert list(it["employment"].cat.categories) == income.EMPLOYMENT


def test_one_row_per_resident_aged_15_and_over(hand):
    tables, it = hand
    ry = tables["resident_years"]
    adults = ry[ry["age"] >= 15]
    assert len(it) == len(adults)
    assert not it.duplicated(["fiscal_year", "person_id"]).any()
    assert (it["fiscal_year"] == it["income_year"] + 1).all()


def test_amounts_are_consistent(hand):
    _, it = hand
    money = [c.column for c in income.COLUMNS if c.unit == "円"]
    assert (it[money] >= 0).all().all()
    assert (it["resident_tax"] == it["income_levy"] + it["per_capita_levy"]).all()
    assert (it["is_taxpayer"] == (it["income_levy"] > 0)).all()
    # taxable income = total income - deductions, rounded down to ¥1,000, never negative
    expect = np.maximum(it["total_income"] - it["income_deductions"], 0) // 1000 * 1000
    assert (it["taxable_income"] == expect).all()
    # municipal share of the levy is 6/10 (each part rounded down to ¥100)
    payers = it[it["is_taxpayer"]]
    assert (abs(payers["income_levy_municipal"] - 0.6 * payers["income_levy"]) <= 200).all()
    # no work income without the matching employment
    assert (it.loc[it["employment"].isin(["年金", "無職"]), "salary_revenue"] == 0).all()
    assert (it.loc[it["employment"] != "自営業", "business_income"] == 0).all()


def test_levy_is_zero_below_the_threshold(hand):
    tables, it = hand
    # adults (minors are exempt up to ¥1.35M) with no dependants: ¥350k up to income year
    # 2019, ¥450k from 2020
    ages = tables["resident_years"][["fiscal_year", "person_id", "age"]]
    it = it.merge(ages, on=["fiscal_year", "person_id"])
    alone = it[(it["dependants"] == 0) & (it["age"] >= 21)]
    limit = np.where(alone["income_year"] >= 2020, 450_000, 350_000)
    below = alone[alone["total_income"] <= limit]
    assert len(below) > 50
    assert (below["income_levy"] == 0).all() and (below["per_capita_levy"] == 0).all()
    assert (alone.loc[alone["total_income"] > limit + 200_000, "per_capita_levy"] > 0).all()


def test_fy2024_per_capita_levy_includes_the_forest_tax(hand):
    _, it = hand
    paying = it[it["per_capita_levy"] > 0]
    assert set(paying["per_capita_levy"]) == {5_000}
    assert set(paying.loc[paying["fiscal_year"] == 2024, "forest_environment_tax"]) == {1_000}
    assert set(paying.loc[paying["fiscal_year"] <= 2023, "forest_environment_tax"]) == {0}
    fy2024 = tax.per_capita_levy(2024)
    assert (fy2024.municipal, fy2024.prefectural, fy2024.forest) == (3_000, 1_000, 1_000)


def test_levy_matches_the_tax_rules_for_a_salary_earner(hand):
    _, it = hand
    # a single salary earner with no dependants, recomputed with ebpmkit.tax
    row = it[
        (it["dependants"] == 0) & (it["salary_revenue"] > 3_000_000) & (it["pension_revenue"] == 0)
    ].iloc[0]
    year = int(row["income_year"])
    si = min(row["salary_revenue"] * 0.15, 2_000_000)
    a = tax.assess(year, salary_revenue=row["salary_revenue"], social_insurance=np.floor(si))
    assert int(a.total_income) == row["total_income"]
    assert int(a.income_levy) == row["income_levy"]


# --------------------------------------------------------------------------------------------
# households: spouse and dependants


def test_dependants_found_in_the_household():
    # one household: head (income 5M), spouse (no income), children aged 10, 17, 20 and 25
    # (the 25-year-old earns 2M), a parent aged 75 with 300k; and a single parent household
    rel = np.array([0, 1, 2, 2, 2, 2, 3, 0, 2])
    age = np.array([45, 43, 10, 17, 20, 25, 75, 40, 12])
    inc = np.array([5e6, 0, 0, 0, 0, 2e6, 3e5, 3e6, 0])
    hh = np.array([1, 1, 1, 1, 1, 1, 1, 2, 2])
    fy = np.full(9, 2024)
    fam = income._dependants(fy, hh, rel, age, inc, np.full(9, 480_000.0))
    assert bool(fam["spouse"][0]) and not fam["spouse"][1:].any()
    assert (fam["young"][0], fam["general"][0], fam["specific"][0], fam["elderly_parent"][0]) == (
        1,
        1,
        1,
        1,
    )
    assert fam["general"][1:].sum() == 0  # only the claimant has dependants
    assert bool(fam["single_parent"][7]) and not fam["single_parent"][0]
    # the higher earner claims: if the spouse earns more, she claims the head
    inc2 = inc.copy()
    inc2[0], inc2[1] = 0, 6e6
    fam = income._dependants(fy, hh, rel, age, inc2, np.full(9, 480_000.0))
    assert bool(fam["spouse"][1]) and fam["young"][1] == 1 and fam["young"][0] == 0


def test_families_pay_less_than_singles_with_the_same_salary(hand):
    _, it = hand
    earners = it[
        (it["salary_revenue"].between(5_000_000, 8_000_000)) & (it["pension_revenue"] == 0)
    ]
    with_dep = earners[earners["dependants"] >= 2]
    alone = earners[earners["dependants"] == 0]
    ratio = lambda g: (g["income_levy"] / g["salary_revenue"]).mean()  # noqa: E731
    assert len(with_dep) > 20 and len(alone) > 5
    assert ratio(with_dep) < ratio(alone)


# --------------------------------------------------------------------------------------------
# relationships in the shared population fixture


def test_income_rises_with_age_to_the_50s_and_men_earn_more(ward):
    tables, it = ward
    ry = tables["resident_years"][["fiscal_year", "person_id", "age", "sex"]]
    d = it.merge(ry, on=["fiscal_year", "person_id"])
    earners = d[d["salary_revenue"] > 0]
    by_age = earners.groupby(pd.cut(earners["age"], [19, 29, 39, 49, 59, 120]), observed=True)[
        "salary_revenue"
    ].mean()
    assert by_age.iloc[0] < by_age.iloc[1] < by_age.iloc[3]  # 20s < 30s < 50s
    assert by_age.iloc[4] < by_age.iloc[3]  # falls after 60
    by_sex = earners.groupby("sex", observed=True)["salary_revenue"].mean()
    assert by_sex["男性"] > 1.3 * by_sex["女性"]


def test_students_and_pensioners(ward):
    tables, it = ward
    d = it.merge(
        tables["resident_years"][["fiscal_year", "person_id", "age"]],
        on=["fiscal_year", "person_id"],
    )
    teens = d[d["age"].between(15, 18)]
    assert (teens["employment"] == "無職").mean() > 0.7
    over70 = d[d["age"] >= 70]
    assert (over70["employment"] == "年金").mean() > 0.6
    assert (over70["pension_revenue"] > 0).mean() > 0.9
    assert (d.loc[d["age"] < 64, "pension_revenue"] == 0).all()


def test_income_is_persistent_across_years(ward):
    _, it = ward
    a = it[(it["fiscal_year"] == 2020) & (it["salary_revenue"] > 0)][
        ["person_id", "salary_revenue"]
    ]
    b = it[(it["fiscal_year"] == 2021) & (it["salary_revenue"] > 0)][
        ["person_id", "salary_revenue"]
    ]
    both = a.merge(b, on="person_id")
    assert len(both) > 500
    corr = np.corrcoef(np.log(both["salary_revenue_x"]), np.log(both["salary_revenue_y"]))[0, 1]
    assert corr > 0.7


# --------------------------------------------------------------------------------------------
# calibration against the profile targets
#
# Tolerances: the per-taxpayer income is a published figure (secondary) and the model is tuned
# to it; at scale 0.02 about 2,500 levy payers a year give a standard error near 2% (the
# income of payers has a coefficient of variation near 1), so 6% allows about 3 standard
# errors. The levy-payer share is an assumption: 3 percentage points. The salary percentiles
# are assumptions scaled from national band shares; the modelled municipalities have a
# prime-age-heavy workforce, so p50-p90 sit about 10% above the scaled national figures; in the
# town p75 sits 10-15% above over seeds 1, 2, 3 and 7 (before and after generator version 3),
# so 18%.


def _check_calibration(
    profile_name: str, tables: dict[str, pd.DataFrame], it: pd.DataFrame
) -> None:
    p = load_profile(profile_name)
    s = income.summary(it, tables["resident_years"])
    fy = max(int(p.number("income.target_income_fiscal_year")), int(s.index.min()))
    target = p.number("income.target_income_per_taxpayer")
    assert s.loc[fy, "income_per_taxpayer"] == pytest.approx(target, rel=0.06)
    assert s.loc[fy, "levy_payer_share"] == pytest.approx(
        p.number("income.target_levy_payer_share"), abs=0.03
    )
    got = s.loc[2024, ["salary_p25", "salary_p50", "salary_p75", "salary_p90"]].to_numpy(float)
    np.testing.assert_allclose(got, p.numbers("income.target_salary_percentiles"), rtol=0.18)


def test_calibration_urban_ward(ward):
    tables, it = ward
    _check_calibration("urban-ward", tables, it)
    s = income.summary(it, tables["resident_years"])
    # the urban ward is far richer than the national salary survey's median of about ¥4M
    assert s.loc[2024, "salary_p50"] > 5_000_000


@pytest.mark.parametrize(("profile", "scale"), [("regional-city", 0.05), ("town", 0.1)])
def test_calibration_other_profiles(profile, scale):
    tables = _population(profile, scale, 7)
    it = _run({k: tables[k] for k in ("residents", "resident_years")}, profile=profile, seed=7)
    _check_calibration(profile, tables, it)


# --------------------------------------------------------------------------------------------
# determinism and bad input


def test_same_seed_same_table_and_other_seed_differs():
    tables = _hand_frame(60)
    a, b, c = _run(tables, seed=11), _run(tables, seed=11), _run(tables, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a["salary_revenue"].equals(c["salary_revenue"])


def test_missing_tables_and_bad_profiles_are_reported(tmp_path):
    ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    with pytest.raises(RuntimeError, match="resident_years"):
        income.simulate(ctx)
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "town"\n[income]\nlevel = -1\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="income.level"):
        load_profile(bad).validate(income.PARAMETERS)
    bad.write_text('extends = "town"\n[income]\ngrade = 2.5\n', encoding="utf-8")
    ctx = SimContext(load_profile(bad), seed=1, scale=0.01)
    ctx.tables.update(_hand_frame(5))
    with pytest.raises(ProfileError, match="income.grade"):
        income.simulate(ctx)
