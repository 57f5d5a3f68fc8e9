"""National health insurance: enrolment rules, premiums, payment, medical cost, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import nhi
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

EMPLOYMENT = ["正規雇用", "非正規雇用", "自営業", "年金", "無職"]


def make_frame(
    n_households: int = 6000, years=(2015, 2016, 2017), seed: int = 0
) -> dict[str, pd.DataFrame]:
    """A hand-made register with the documented columns: singles, couples, families, elderly."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, n_households, p=[0.45, 0.2, 0.25, 0.1])
    head_age = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            rng.integers(20, 85, n_households),
            rng.integers(25, 75, n_households),
            rng.integers(28, 50, n_households),
        ],
        rng.integers(65, 90, n_households),
    )
    parts = [pd.DataFrame({"h": np.arange(n_households), "rel": "世帯主", "age0": head_age})]
    couples = np.flatnonzero(kind > 0)
    parts.append(
        pd.DataFrame(
            {
                "h": couples,
                "rel": "配偶者",
                "age0": head_age[couples] - rng.integers(-3, 4, len(couples)),
            }
        )
    )
    kids = np.repeat(np.flatnonzero(kind == 2), 2)
    parts.append(
        pd.DataFrame(
            {"h": kids, "rel": "子", "age0": head_age[kids] - rng.integers(25, 40, len(kids))}
        )
    )
    people = pd.concat(parts, ignore_index=True)
    people["person_id"] = np.arange(len(people)) + 1
    u = rng.random(len(people))
    rows = []
    for i, year in enumerate(years):
        age = people["age0"].to_numpy() + i
        keep = age >= 0
        rows.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(year),
                    "person_id": people["person_id"].to_numpy()[keep],
                    "age": age[keep].astype(np.int16),
                    "sex": pd.Categorical(np.where(u[keep] < 0.5, "男性", "女性")),
                    "household_id": people["h"].to_numpy()[keep] * 10 + 5,
                    "relationship": pd.Categorical(people["rel"].to_numpy()[keep]),
                    "district_code": pd.Categorical(
                        np.array(["D01", "D02", "D03"])[people["h"].to_numpy()[keep] % 3]
                    ),
                    "u": u[keep],
                }
            )
        )
    ry = pd.concat(rows, ignore_index=True)
    adult = ry[ry["age"] >= 15]
    a, uu = adult["age"].to_numpy(), adult["u"].to_numpy()
    emp = np.select(
        [a < 23, a < 65, a < 75],
        [
            np.where(uu < 0.3, 1, 4),
            np.select([uu < 0.55, uu < 0.75, uu < 0.87], [0, 1, 2], 4),
            np.select([uu < 0.7, uu < 0.82, uu < 0.92], [3, 1, 2], 4),
        ],
        3,
    )
    m = len(adult)
    salary = np.where(
        emp == 0,
        rng.lognormal(np.log(5e6), 0.5, m),
        np.where(emp == 1, rng.lognormal(np.log(1.6e6), 0.6, m), 0),
    )
    pension = np.where(emp == 3, rng.lognormal(np.log(2e6), 0.4, m), 0)
    business = np.where(emp == 2, rng.lognormal(np.log(3.5e6), 0.8, m), 0)
    total = np.maximum(salary * 0.7, 0) + np.maximum(pension - 1_100_000, 0) + business
    income_tax = pd.DataFrame(
        {
            "fiscal_year": adult["fiscal_year"].to_numpy(),
            "person_id": adult["person_id"].to_numpy(),
            "employment": pd.Categorical(np.array(EMPLOYMENT)[emp], categories=EMPLOYMENT),
            "salary_revenue": salary.astype(np.int64),
            "pension_revenue": pension.astype(np.int64),
            "business_income": business.astype(np.int64),
            "total_income": total.astype(np.int64),
        }
    )
    return {"resident_years": ry.drop(columns="u"), "income_tax": income_tax}


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Identical columns, dtypes and values (quicker than assert_frame_equal on categoricals)."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert pd.util.hash_pandas_object(a, index=False).equals(
        pd.util.hash_pandas_object(b, index=False)
    )


def run(tables, profile="urban-ward", seed=1):
    ctx = SimContext(load_profile(profile), seed=seed, scale=0.05, tables=dict(tables))
    ctx.profile.validate(nhi.PARAMETERS)
    return nhi.simulate(ctx)["nhi"], ctx.truth["nhi"]


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def result(frame):
    return run(frame)


def _joined(result, frame):
    table, _ = result
    return table.merge(frame["income_tax"], on=["fiscal_year", "person_id"], how="left")


def test_columns_match_the_dictionary(result):
    table, _ = result
    declared = [c for c in nhi.COLUMNS if c.table == "nhi"]
    assert list(table.columns) == [c.column for c in declared]
    for c in declared:
        assert str(table[c.column].dtype) == c.dtype or (
            c.dtype == "category" and isinstance(table[c.column].dtype, pd.CategoricalDtype)
        )


def test_nobody_aged_75_or_over_is_enrolled(result, frame):
    table, _ = result
    assert table["age"].max() < 75
    register = frame["resident_years"]
    assert (register["age"] >= 75).any()  # the frame has people who would otherwise be candidates


def test_enrolment_share_meets_the_profile_target(result, frame):
    table, truth = result
    share = len(table) / len(frame["resident_years"])
    assert share == pytest.approx(0.25, abs=0.002)
    low, high = load_profile("urban-ward").numbers("nhi.nonregular_insured_range")
    assert low <= truth["nonregular_insured_share"] <= high


def test_regular_workers_and_their_dependants_are_not_enrolled(result, frame):
    table, _ = result
    joined = _joined(result, frame)
    assert not (joined["employment"] == "正規雇用").any()
    ry = frame["resident_years"].merge(
        frame["income_tax"], on=["fiscal_year", "person_id"], how="left"
    )
    with_regular = ry.loc[
        ry["employment"] == "正規雇用", ["fiscal_year", "household_id"]
    ].drop_duplicates()
    kids = ry[(ry["age"] < 15)].merge(with_regular, on=["fiscal_year", "household_id"])
    enrolled = set(zip(table["fiscal_year"], table["person_id"], strict=True))
    assert len(kids) > 100
    assert not any(
        (y, p) in enrolled for y, p in zip(kids["fiscal_year"], kids["person_id"], strict=True)
    )


def test_self_employed_and_pensioners_are_mostly_enrolled(result, frame):
    table, _ = result
    ry = frame["resident_years"].merge(frame["income_tax"], on=["fiscal_year", "person_id"])
    ry = ry[ry["age"] < 75]
    enrolled = ry.merge(
        table[["fiscal_year", "person_id"]],
        on=["fiscal_year", "person_id"],
        how="left",
        indicator=True,
    )
    rate = (
        enrolled.assign(nhi=enrolled["_merge"] == "both")
        .groupby("employment", observed=True)["nhi"]
        .mean()
    )
    assert rate["自営業"] > 0.8 and rate["年金"] > 0.8
    assert rate["正規雇用"] == 0
    assert 0 < rate["非正規雇用"] < rate["自営業"]
    older = (
        enrolled.assign(nhi=enrolled["_merge"] == "both")
        .groupby(enrolled["age"] >= 65)["nhi"]
        .mean()
    )
    assert older[True] > older[False]  # ages 65-74 are over-represented among enrollees


def test_premium_follows_the_formula_for_one_person_households(result, frame):
    joined = _joined(result, frame)
    size = joined.groupby(["fiscal_year", "household_id"])["person_id"].transform("size")
    single = joined[(size == 1) & joined["total_income"].notna()]
    assert len(single) > 200
    base = np.maximum(single["total_income"].to_numpy() - 430_000, 0)
    care = (single["age"] >= 40) & (single["age"] <= 64)
    expected = (
        np.minimum(45_000 + 0.0717 * base, 650_000)
        + np.minimum(15_100 + 0.0242 * base, 220_000)
        + np.where(care, np.minimum(16_200 + 0.0223 * base, 170_000), 0)
    )
    assert np.abs(single["premium"].to_numpy() - expected).max() <= 1


def test_premium_rises_with_income_and_respects_the_caps(result, frame):
    joined = _joined(result, frame)
    size = joined.groupby(["fiscal_year", "household_id"])["person_id"].transform("size")
    young = joined[(size == 1) & (joined["age"] < 40)].sort_values("total_income")
    assert young["premium"].is_monotonic_increasing
    household = joined.groupby(["fiscal_year", "household_id"])["premium"].sum()
    assert household.max() <= 650_000 + 220_000 + 170_000
    rich = young[young["total_income"] > 20_000_000]
    assert (rich["premium"] == 650_000 + 220_000).all()


def test_collection_rate_meets_the_target(result):
    table, truth = result
    assert (table["premium_paid"] <= table["premium"]).all() and (table["premium_paid"] >= 0).all()
    rate = table["premium_paid"].sum() / table["premium"].sum()
    assert rate == pytest.approx(0.915, abs=0.002)
    assert truth["collection_rate"] == pytest.approx(rate, abs=0.001)
    unpaid = table["premium_paid"] < table["premium"]
    assert 0.02 < unpaid.mean() < 0.4
    assert (table.loc[unpaid, "premium_paid"] == 0).any()  # some pay nothing at all


def test_medical_cost_rises_with_age_and_follows_the_national_table(result):
    table, _ = result
    band_means = np.array(load_profile("urban-ward").numbers("nhi.cost.band_means")) * 10_000
    by_decade = table.groupby(table["age"] // 10 * 10)["medical_cost"].mean()
    assert by_decade[70] > by_decade[50] > by_decade[20]
    older = table[(table["age"] >= 65) & (table["age"] < 75)]
    expected = band_means[older["age"].to_numpy() // 5].mean()
    assert older["medical_cost"].mean() == pytest.approx(expected, rel=0.15)
    assert (table["medical_cost"] == 0).mean() > 0.03
    assert table["medical_cost"].max() > 20 * table["medical_cost"].mean()  # heavy right tail


def test_visits_go_with_cost(result):
    table, _ = result
    assert ((table["visits"] == 0) == (table["medical_cost"] == 0)).all()
    positive = table[table["medical_cost"] > 0]
    corr = np.corrcoef(np.log(positive["medical_cost"]), np.log(positive["visits"]))[0, 1]
    assert corr > 0.5


def test_same_seed_same_table_other_seed_other_table(frame, result):
    again, _ = run(frame)
    assert_same(result[0], again)
    other, _ = run(frame, seed=2)
    assert not other["medical_cost"].equals(result[0]["medical_cost"])


def test_a_profile_with_an_impossible_enrolment_share_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "urban-ward"\n[nhi]\nenrolment_share = 1.5\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="nhi.enrolment_share"):
        load_profile(path).validate(nhi.PARAMETERS)


def test_age_means_keep_the_band_means_and_have_no_step_at_band_edges():
    bands = load_profile("urban-ward").numbers("nhi.cost.band_means")
    means = nhi.age_means(bands)
    np.testing.assert_allclose(means.reshape(-1, 5).mean(axis=1), bands, rtol=1e-9)
    step = np.abs(np.diff(means))
    for edge in range(5, len(means), 5):  # the change into a new band is the local slope
        assert step[edge - 1] <= max(step[edge - 2], step[edge]) + 1e-9, edge
    assert (means > 0).all()


def _children(n_per_age: int = 20_000, ages=range(10, 20), seed: int = 3):
    """Many rows of the ages around the subsidy's end, with their own lasting draws."""
    age = np.repeat(np.array(list(ages)), n_per_age)
    rng = np.random.default_rng(seed)
    return age, rng.standard_normal(len(age))


def _jump(age: np.ndarray, y: np.ndarray, cut: float, width: int = 4) -> tuple[float, float]:
    """Local linear jump at ``cut`` (left minus right) with its standard error (OLS)."""
    import statsmodels.api as sm

    near = np.abs(age - cut) < width
    a, left = age[near] - cut, (age[near] < cut).astype(float)
    x = sm.add_constant(np.column_stack([left, a, a * left]))
    fit = sm.OLS(y[near].astype(float), x).fit()
    return float(fit.params[1]), float(fit.bse[1])


def test_child_subsidy_raises_cost_and_visits_up_to_the_end_age():
    prof = load_profile("urban-ward")
    subsidy = nhi._Subsidy.of(prof)
    assert subsidy.end_age == 15
    age, z = _children()
    cost, visits, truth = nhi._medical_cost(prof, np.random.default_rng(0), age, z, subsidy)
    # the true effect: a covered child's cost is 20% higher (rows aged 14 and 15)
    means = nhi.age_means(prof.numbers("nhi.cost.band_means") * 10_000)
    expected = 0.2 * means[[14, 15]].mean()
    assert truth["medical_cost_yen"] == pytest.approx(expected, rel=0.05)
    assert truth["rows_at_cutoff"] == 2 * 20_000 and truth["visits"] > 0
    for y, true in ((cost, truth["medical_cost_yen"]), (visits, truth["visits"])):
        est, se = _jump(age, y, 14.5)
        assert abs(est - true) < 3 * se, (est, se, true)
        assert est > 5 * se
        for placebo in (12.5, 17.5):  # smooth in age away from the end age (not across it)
            est_p, se_p = _jump(age, y, placebo, width=2)
            assert abs(est_p) < 3.5 * se_p, (placebo, est_p, se_p)


def test_without_the_subsidy_nothing_jumps_at_15():
    prof = load_profile("urban-ward")
    none = nhi._Subsidy(end_age=15, cost_effect=0.0, visit_effect=0.0)
    age, z = _children()
    cost, visits, truth = nhi._medical_cost(prof, np.random.default_rng(0), age, z, none)
    assert truth["medical_cost_yen"] == 0 and truth["visits"] == pytest.approx(0, abs=1e-9)
    for y in (cost, visits):
        est, se = _jump(age, y, 14.5)
        assert abs(est) < 3.5 * se, (est, se)


def test_children_of_school_age_follow_their_household(result, frame):
    table, truth = result
    ry = frame["resident_years"].merge(
        frame["income_tax"][["fiscal_year", "person_id", "employment"]],
        on=["fiscal_year", "person_id"],
        how="left",
    )
    working = ry["employment"].isin(["正規雇用", "非正規雇用"])
    has_worker = working.groupby([ry["fiscal_year"], ry["household_id"]]).transform("any")
    enrolled = pd.MultiIndex.from_frame(ry[["fiscal_year", "person_id"]]).isin(
        pd.MultiIndex.from_frame(table[["fiscal_year", "person_id"]])
    )
    no_worker = ~has_worker.to_numpy()
    young = (ry["age"] < 18).to_numpy() & ~working.to_numpy()
    assert young[no_worker].sum() > 100
    assert enrolled[no_worker & young].all()  # no break at 15: school-age children are insured
    students = (ry["age"].between(18, 24) & ry["employment"].eq("無職")).to_numpy()
    assert enrolled[no_worker & students].mean() == pytest.approx(0.3, abs=0.1)
    assert truth["child_subsidy"]["end_age"] == 15
