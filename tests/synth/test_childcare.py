"""Childcare: applications, the waiting list, capacity and fees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import childcare
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

YEARS = list(range(2015, 2025))
DISTRICTS = [f"D{i:02d}" for i in range(1, 7)]
SCALE = 0.2


def make_frame(n_families: int = 7000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Families (some single-parent) with children born 2008-2024, over FY2015-FY2024."""
    rng = np.random.default_rng(seed)
    single = rng.random(n_families) < 0.12
    n_kids = rng.integers(1, 4, n_families)
    first_birth = rng.integers(2008, 2023, n_families)
    parents = [
        pd.DataFrame(
            {
                "f": np.arange(n_families),
                "rel": "世帯主",
                "born": 1985 - rng.integers(0, 8, n_families),
            }
        )
    ]
    couples = np.flatnonzero(~single)
    parents.append(
        pd.DataFrame(
            {"f": couples, "rel": "配偶者", "born": 1986 - rng.integers(0, 8, len(couples))}
        )
    )
    fam = np.repeat(np.arange(n_families), n_kids)
    order = np.concatenate([np.arange(k) for k in n_kids])
    kids = pd.DataFrame({"f": fam, "rel": "子", "born": first_birth[fam] + 2 * order})
    people = pd.concat([*parents, kids], ignore_index=True)
    people["person_id"] = np.arange(len(people)) + 1
    district = rng.integers(0, len(DISTRICTS), n_families)
    rows = []
    for year in YEARS:
        age = year - people["born"].to_numpy()
        keep = age >= 0
        f = people["f"].to_numpy()[keep]
        rows.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(year),
                    "person_id": people["person_id"].to_numpy()[keep],
                    "age": age[keep].astype(np.int16),
                    "household_id": f.astype(np.int64) * 3 + 1,
                    "relationship": pd.Categorical(
                        people["rel"].to_numpy()[keep],
                        categories=["世帯主", "配偶者", "子", "親", "その他"],
                    ),
                    "district_code": pd.Categorical(
                        np.array(DISTRICTS)[district[f]], categories=DISTRICTS
                    ),
                }
            )
        )
    ry = pd.concat(rows, ignore_index=True)
    adults = ry[ry["age"] >= 15]
    n = len(adults)
    # A household-level earning capacity so the levy differs between families, zero for a few.
    capacity = rng.lognormal(np.log(180_000), 0.8, n_families)
    capacity[rng.random(n_families) < 0.06] = 0
    levy = capacity[(adults["household_id"].to_numpy() - 1) // 3] * rng.uniform(0.3, 0.7, n)
    income_tax = pd.DataFrame(
        {
            "fiscal_year": adults["fiscal_year"].to_numpy(),
            "person_id": adults["person_id"].to_numpy(),
            "income_levy": levy.round().astype(np.int64),
            "resident_tax": np.where(levy > 0, levy.round() + 5000, 0).astype(np.int64),
        }
    )
    districts = pd.DataFrame(
        {"district_code": DISTRICTS, "district_name": [f"地区{i}" for i in range(6)]}
    )
    return {"resident_years": ry, "income_tax": income_tax, "districts": districts}


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Identical columns, dtypes and values (quicker than assert_frame_equal on categoricals)."""
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert pd.util.hash_pandas_object(a, index=False).equals(
        pd.util.hash_pandas_object(b, index=False)
    )


def run(tables, seed=1, profile="urban-ward", scale=SCALE):
    ctx = SimContext(load_profile(profile), seed=seed, scale=scale, tables=dict(tables))
    ctx.profile.validate(childcare.PARAMETERS)
    out = childcare.simulate(ctx)
    return out["childcare_applications"], out["childcare_capacity"], ctx.truth["childcare"]


@pytest.fixture(scope="module")
def frame():
    return make_frame()


@pytest.fixture(scope="module")
def result(frame):
    return run(frame)


def _with_levy(apps: pd.DataFrame, frame) -> pd.DataFrame:
    """Applications with the household's municipal levy (parents' income levy x 0.6)."""
    ry, it = frame["resident_years"], frame["income_tax"]
    parents = ry[ry["relationship"].isin(["世帯主", "配偶者"])].merge(
        it, on=["fiscal_year", "person_id"]
    )
    levy = (
        parents.groupby(["fiscal_year", "household_id"])["income_levy"]
        .sum()
        .mul(0.6)
        .rename("levy")
    )
    return apps.merge(levy.reset_index(), on=["fiscal_year", "household_id"], how="left")


def test_columns_match_the_dictionary(result):
    apps, capacity, _ = result
    for name, table in (("childcare_applications", apps), ("childcare_capacity", capacity)):
        assert list(table.columns) == [c.column for c in childcare.COLUMNS if c.table == name]
    assert list(apps["status"].cat.categories) == ["入所", "待機"]
    assert set(capacity["district_code"]) == set(DISTRICTS)
    assert len(capacity) == len(YEARS) * len(DISTRICTS)


def test_only_preschool_children_apply_more_at_one_and_two_than_at_zero(result, frame):
    apps, _, _ = result
    assert apps["class_age"].between(0, 5).all()
    ry = frame["resident_years"]
    kids = ry[ry["age"] <= 5]
    rate = apps.groupby("class_age").size() / kids.groupby("age").size()
    assert rate[1] > 2 * rate[0] and rate[2] > 2 * rate[0]
    by_year = apps.groupby("fiscal_year").size() / kids.groupby("fiscal_year").size()
    assert by_year[2023] > by_year[2018] + 0.05  # use rises as in Tokyo (45.8% -> 56.8%)
    assert by_year[2018] == pytest.approx(0.458, abs=0.04)


def test_waiting_list_peaks_around_2017_and_falls_to_near_zero(result):
    _, capacity, truth = result
    waiting = capacity.groupby("fiscal_year")["waiting"].sum()
    assert waiting.idxmax() == 2017
    assert waiting[2017] == round(617 * SCALE)  # Meguro's 617, scaled
    assert waiting[2018] == round(330 * SCALE)
    assert waiting[2023] <= 0.05 * waiting[2017]
    assert truth["waiting"] == {int(y): int(w) for y, w in waiting.items()}


def test_capacity_table_agrees_with_the_applications(result):
    apps, capacity, _ = result
    counts = (
        apps.groupby(["fiscal_year", "district_code", "status"], observed=False)
        .size()
        .unstack(fill_value=0)
    )
    merged = capacity.set_index(["fiscal_year", "district_code"])
    assert (merged["enrolled"] == counts["入所"].reindex(merged.index, fill_value=0)).all()
    assert (merged["waiting"] == counts["待機"].reindex(merged.index, fill_value=0)).all()
    assert (merged["applications"] == merged["enrolled"] + merged["waiting"]).all()
    assert (merged["enrolled"] <= merged["capacity"]).all()
    # Capacity grows (never shrinks) in every district.
    wide = capacity.pivot(index="fiscal_year", columns="district_code", values="capacity")
    assert (wide.diff().iloc[1:] >= 0).all().all()
    assert wide.iloc[-1].sum() > wide.iloc[0].sum()


def test_children_already_enrolled_keep_their_place(result):
    apps, _, _ = result
    assert (apps.loc[apps["continuing"], "status"] == "入所").all()
    waiting_by_age = apps[apps["status"] == "待機"].groupby("class_age").size()
    assert (
        waiting_by_age.reindex(range(6), fill_value=0)[[0, 1, 2]].sum()
        > waiting_by_age.reindex(range(6), fill_value=0)[[3, 4, 5]].sum()
    )


def test_fees_rise_with_the_household_levy(result, frame):
    apps, _, _ = result
    apps = _with_levy(apps, frame)
    under3 = apps[
        (apps["status"] == "入所") & (apps["class_age"] < 3) & (apps["fiscal_year"] == 2018)
    ].sort_values("levy")
    assert len(under3) > 300
    assert under3["monthly_fee"].is_monotonic_increasing
    assert under3["monthly_fee"].iloc[-1] > 5 * under3["monthly_fee"].iloc[0]
    tier = under3[(under3["levy"] >= 122_100) & (under3["levy"] < 158_100)]["monthly_fee"]
    assert tier.between(18_000, 28_000).all()  # around the ¥23,100 tier


def test_ages_3_to_5_are_free_from_october_2019(result, frame):
    apps, _, _ = result
    enrolled = apps[apps["status"] == "入所"]
    over3 = enrolled[enrolled["class_age"] >= 3]
    assert (over3.loc[over3["fiscal_year"] >= 2020, "monthly_fee"] == 0).all()
    assert (over3.loc[over3["fiscal_year"] <= 2018, "monthly_fee"] > 0).mean() > 0.9
    # FY2019 is a half-year average: April-September paid, October-March free.
    with_levy = _with_levy(over3, frame)
    full = (
        childcare.monthly_fee_schedule(load_profile("urban-ward"), with_levy["levy"].to_numpy())
        * 0.5
    )
    fy2019 = (with_levy["fiscal_year"] == 2019).to_numpy() & (with_levy["levy"] > 0).to_numpy()
    assert np.abs(with_levy["monthly_fee"].to_numpy()[fy2019] - full[fy2019] / 2).max() <= 1


def test_second_children_are_free_from_october_2023(result, frame):
    apps, _, _ = result
    ry = frame["resident_years"]
    kids = ry[ry["relationship"] == "子"].copy()
    kids["order"] = (
        kids.sort_values(["age", "person_id"], ascending=[False, True])
        .groupby(["fiscal_year", "household_id"])
        .cumcount()
        + 1
    )
    apps = apps.merge(kids[["fiscal_year", "person_id", "order"]], on=["fiscal_year", "person_id"])
    under3 = apps[(apps["status"] == "入所") & (apps["class_age"] < 3)]
    second = under3[under3["order"] >= 2]
    first = under3[under3["order"] == 1]
    assert (second.loc[second["fiscal_year"] == 2024, "monthly_fee"] == 0).all()
    assert (first.loc[first["fiscal_year"] == 2024, "monthly_fee"] > 0).mean() > 0.8
    assert second.loc[second["fiscal_year"] == 2022, "monthly_fee"].gt(0).mean() > 0.8


def test_waiting_children_pay_nothing(result):
    apps, _, _ = result
    assert (apps.loc[apps["status"] == "待機", "monthly_fee"] == 0).all()


def test_same_seed_same_tables_other_seed_other_tables(frame, result):
    apps, capacity, _ = run(frame)
    assert_same(apps, result[0])
    assert_same(capacity, result[1])
    other = run(frame, seed=2)[0]
    assert not other["person_id"].equals(result[0]["person_id"])


def test_waiting_list_scales_with_the_generation_scale(frame):
    _, capacity, truth = run(frame, scale=0.1)
    assert capacity.groupby("fiscal_year")["waiting"].sum()[2017] == round(617 * 0.1)
    assert truth["waiting_target"][2017] == round(617 * 0.1)


def test_a_negative_waiting_list_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "urban-ward"\n[childcare]\nwaiting = [-1, 2]\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="childcare.waiting"):
        load_profile(path).validate(childcare.PARAMETERS)
