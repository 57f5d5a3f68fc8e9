"""Child allowance: amounts by month and rule, income limits, the 2024 reform, linkage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import child_allowance, generate_tables
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

ONLY = ("geography", "population", "income", "child_allowance")
K = "child_allowance."


@pytest.fixture(scope="module")
def generated():
    tables, truth = generate_tables("urban-ward", seed=11, scale=0.03, only=ONLY)
    return tables, truth


@pytest.fixture(scope="module")
def rates():
    prof = load_profile("urban-ward")
    return {
        key.removeprefix(K): prof.get(key) for key in (p.key for p in child_allowance.PARAMETERS)
    }


def month_index(values: pd.Series, missing: int) -> np.ndarray:
    """year * 12 + month - 1 of each date; ``missing`` where there is none."""
    dates = pd.to_datetime(values)
    out = (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(out), missing, out).astype(np.int64)


def expected_annual(children: pd.DataFrame, tables, rates) -> np.ndarray:
    """Each child's annual amount, summed month by month from the rates (independent of the
    module's interval arithmetic)."""
    homes = tables["child_allowance"][
        ["fiscal_year", "household_id", "limit_income", "income_limit", "upper_income_limit"]
    ]
    res = tables["residents"][["person_id", "birth_date", "exit_date"]]
    df = children.merge(homes, on=["fiscal_year", "household_id"]).merge(res, on="person_id")
    born = month_index(df["birth_date"], 0)
    left = month_index(df["exit_date"], 10**9)
    upper_from = rates["upper_limit_from"][0] * 12 + rates["upper_limit_from"][1] - 1
    reform_from = rates["reform_from"][0] * 12 + rates["reform_from"][1] - 1
    age, order, order_new = df["age"].to_numpy(), df["birth_order"], df["birth_order_reform"]
    below = df["limit_income"] < df["income_limit"]
    below_upper = df["limit_income"] < df["upper_income_limit"]
    total = np.zeros(len(df))
    for k in range(12):
        m = df["fiscal_year"].to_numpy().astype(np.int64) * 12 + 3 + k
        young = m <= born + rates["under3_months"]
        std = np.where(
            young,
            rates["old_under3_monthly"],
            np.where(
                (age <= rates["primary_end_age"]) & (order >= 3),
                rates["old_third_monthly"],
                rates["old_standard_monthly"],
            ),
        )
        std = np.where(age <= rates["old_end_age"], std, 0)
        special = np.where(age <= rates["old_end_age"], rates["special_monthly"], 0)
        p1 = np.where(below, std, special)
        p2 = np.where(below, std, np.where(below_upper, special, 0))
        new = np.where(
            order_new >= 3,
            rates["new_third_monthly"],
            np.where(young, rates["new_under3_monthly"], rates["new_standard_monthly"]),
        )
        new = np.where(age <= rates["new_end_age"], new, 0)
        amount = np.where(m < upper_from, p1, np.where(m < reform_from, p2, new))
        total += np.where(m <= left, amount, 0)
    return total


def test_tables_have_the_declared_columns(generated):
    tables, _ = generated
    for table in child_allowance.TABLES:
        declared = [c.column for c in child_allowance.COLUMNS if c.table == table]
        assert list(tables[table].columns) == declared
    assert set(tables["child_allowance"]["limit_status"].cat.categories) == set(
        child_allowance.LIMIT_STATUSES
    )


def test_each_childs_amount_follows_the_rules_of_each_month(generated, rates):
    tables, _ = generated
    children = tables["child_allowance_children"]
    assert len(children) > 1000
    np.testing.assert_array_equal(
        children["allowance_annual"].to_numpy(), expected_annual(children, tables, rates)
    )


def test_household_amounts_add_up_their_children(generated):
    tables, _ = generated
    homes = tables["child_allowance"]
    by_home = (
        tables["child_allowance_children"]
        .groupby(["fiscal_year", "household_id"])["allowance_annual"]
        .sum()
    )
    joined = homes.set_index(["fiscal_year", "household_id"])["allowance_annual"]
    assert joined.loc[by_home.index].equals(by_home.rename("allowance_annual"))
    assert (joined.drop(by_home.index) == 0).all()  # only 支給なし households are paid nothing
    assert (
        homes["amount_before_reform"] + homes["amount_after_reform"] == homes["allowance_annual"]
    ).all()


def test_birth_order_counts_the_households_children_eldest_first(generated, rates):
    tables, _ = generated
    ry = tables["resident_years"]
    rel = ry["relationship"].astype(str)
    children = tables["child_allowance_children"]
    for column, count_age in (
        ("birth_order", "old_count_age"),
        ("birth_order_reform", "new_count_age"),
    ):
        counted = ry[
            ((rel == "子") & (ry["age"] <= rates[count_age]))
            | ((rel == "その他") & (ry["age"] <= rates["new_end_age"]))
        ]
        ranked = counted.sort_values(["age", "person_id"], ascending=[False, True]).copy()
        ranked["rank"] = ranked.groupby(["fiscal_year", "household_id"]).cumcount() + 1
        got = children.merge(ranked, on=["fiscal_year", "person_id", "household_id"])
        assert len(got) == len(children)
        assert (got[column] == got["rank"]).all(), column


def test_recipient_is_the_higher_earner_and_the_limits_follow_dependants(generated, rates):
    tables, _ = generated
    homes = tables["child_allowance"]
    ry = tables["resident_years"]
    parents = ry[ry["relationship"].astype(str).isin(["世帯主", "配偶者"])]
    it = tables["income_tax"][["fiscal_year", "person_id", "total_income", "dependants"]]
    parents = parents.merge(it, on=["fiscal_year", "person_id"], how="left").fillna(
        {"total_income": 0, "dependants": 0}
    )
    best = parents.groupby(["fiscal_year", "household_id"])["total_income"].max()
    rec = homes.merge(parents, on=["fiscal_year", "person_id", "household_id"])
    assert len(rec) == len(homes)
    top = best.loc[list(zip(rec["fiscal_year"], rec["household_id"], strict=True))].to_numpy()
    assert (rec["total_income"].to_numpy() == top).all()
    expected_income = np.maximum(rec["total_income"] - rates["limit_income_deduction"], 0)
    assert (rec["limit_income"] == expected_income).all()
    assert (rec["limit_dependants"] == rec["dependants"]).all()
    deps = homes["limit_dependants"].astype(np.int64)
    assert (
        homes["income_limit"] == rates["limit_base"] + rates["limit_per_dependant"] * deps
    ).all()
    assert (
        homes["upper_income_limit"]
        == rates["upper_limit_base"] + rates["limit_per_dependant"] * deps
    ).all()


def test_limit_status_follows_the_limits_in_force_each_year(generated):
    tables, _ = generated
    h = tables["child_allowance"]
    below = h["limit_income"] < h["income_limit"]
    above_upper = h["limit_income"] >= h["upper_income_limit"]
    status = h["limit_status"].astype(str)
    early = h["fiscal_year"] <= 2021
    assert (status[early & below] == "所定の額").all()
    assert (status[early & ~below] == "特例給付").all()  # no upper limit yet
    mid = h["fiscal_year"].between(2022, 2024)
    assert (status[mid & below] == "所定の額").all()
    assert (status[mid & ~below & ~above_upper] == "特例給付").all()
    assert (status[mid & above_upper] == "支給なし").all()
    assert (h["limit_applied"] == (h["fiscal_year"] <= 2024)).all()
    # the data hold each status, so the checks above are not empty
    assert {"所定の額", "特例給付", "支給なし"} <= set(status[mid])
    assert (early & ~below & (h["limit_income"] >= h["upper_income_limit"])).any()


def test_nothing_above_the_upper_limit_from_october_2022(generated):
    tables, _ = generated
    h = tables["child_allowance"]
    top = h[h["limit_income"] >= h["upper_income_limit"]]
    assert (top.loc[top["fiscal_year"] == 2023, "allowance_annual"] == 0).all()
    fy22 = top[top["fiscal_year"] == 2022]
    assert (
        len(fy22) and (fy22["months_special"] <= 6).all() and (fy22["months_standard"] == 0).all()
    )
    assert (fy22["amount_before_reform"] > 0).all()  # special payment April-September 2022
    fy24 = top[top["fiscal_year"] == 2024]
    assert (fy24["amount_before_reform"] == 0).all()
    # paid again from October 2024 (unless the family moved out before)
    stayed = fy24[fy24["months_reformed"] > 0]
    assert len(stayed) > 0.8 * len(fy24) and (stayed["amount_after_reform"] > 0).all()


def test_fy2024_has_six_months_under_each_rule(generated):
    tables, _ = generated
    h = tables["child_allowance"]
    fy24 = h[h["fiscal_year"] == 2024]
    old_months = fy24["months_standard"] + fy24["months_special"]
    assert (old_months <= 6).all() and (fy24["months_reformed"] <= 6).all()
    assert (h.loc[h["fiscal_year"] < 2024, "months_reformed"] == 0).all()
    k = tables["child_allowance_children"]
    k24 = k[(k["fiscal_year"] == 2024) & (k["months_paid"] == 12)]
    assert len(k24) > 0.5 * (k["fiscal_year"] == 2024).sum()
    assert (k24["rule_period"] == "年度途中で改正").all()
    # a household with a child paid all year was paid six months under each rule
    whole = fy24.set_index("household_id").loc[k24["household_id"].unique()]
    assert (whole["months_standard"] + whole["months_special"] == 6).all()
    assert (whole["months_reformed"] == 6).all()
    assert (fy24.loc[fy24["limit_status"] == "支給なし", "months_special"] == 0).all()


def test_high_school_age_is_paid_only_from_october_2024(generated, rates):
    tables, truth = generated
    k = tables["child_allowance_children"]
    older = k[k["age"] > rates["old_end_age"]]
    assert len(older) > 20
    assert (older["fiscal_year"] >= 2024).all()
    assert (older["rule_period"] == "改正後").all()
    assert (older["months_paid"] <= 6).all() and (older["monthly_old_rule"] == 0).all()
    assert (k["age"] <= rates["new_end_age"]).all()
    assert truth["child_allowance"]["by_year"][2024]["high_school_age_paid"] == len(older)


def test_third_children_get_the_third_child_amounts(generated, rates):
    tables, _ = generated
    k = tables["child_allowance_children"]
    third_new = k[k["birth_order_reform"] >= 3]
    assert len(third_new) > 10
    assert (third_new["monthly_new_rule"] == rates["new_third_monthly"]).all()
    homes = tables["child_allowance"][["fiscal_year", "household_id", "limit_status"]]
    k = k.merge(homes, on=["fiscal_year", "household_id"])
    primary = k[
        (k["birth_order"] >= 3)
        & k["age"].between(3, rates["primary_end_age"])
        & (k["limit_status"] == "所定の額")
        & (k["fiscal_year"] <= 2021)
    ]
    assert len(primary) > 10
    assert (primary["monthly_old_rule"] == rates["old_third_monthly"]).all()
    second = k[
        (k["birth_order"] == 2) & k["age"].between(3, 14) & (k["limit_status"] == "所定の額")
    ]
    assert (second["monthly_old_rule"] == rates["old_standard_monthly"]).all()


def test_reform_raises_the_amounts_paid(generated):
    _, truth = generated
    by_year = truth["child_allowance"]["by_year"]
    assert by_year[2024]["reform_effect"] > 0
    assert all(by_year[y]["reform_effect"] == 0 for y in range(2015, 2024))
    assert (
        by_year[2024]["amount"]
        == by_year[2024]["amount_without_reform"] + by_year[2024]["reform_effect"]
    )


def test_take_up_is_near_the_configured_share(generated, rates):
    tables, truth = generated
    ry = tables["resident_years"]
    rel = ry["relationship"].astype(str)
    young = ry[rel.isin(["子", "その他"]) & (ry["age"] <= rates["old_end_age"])]
    young = young[young["fiscal_year"] <= 2023]
    eligible = young.groupby(["fiscal_year", "household_id"]).ngroups
    homes = tables["child_allowance"]
    taken = (homes["fiscal_year"] <= 2023).sum()
    assert abs(taken / eligible - rates["take_up"]) < 0.02
    assert taken < eligible  # some eligible households do not apply


def test_every_person_is_on_the_register_that_year(generated):
    tables, _ = generated
    ry = tables["resident_years"][["fiscal_year", "person_id", "household_id", "relationship"]]
    homes = tables["child_allowance"].merge(ry, on=["fiscal_year", "person_id", "household_id"])
    assert len(homes) == len(tables["child_allowance"])
    assert homes["relationship"].astype(str).isin(["世帯主", "配偶者"]).all()
    kids = tables["child_allowance_children"]
    assert len(kids.merge(ry, on=["fiscal_year", "person_id", "household_id"])) == len(kids)
    keys = tables["child_allowance"].set_index(["fiscal_year", "household_id"]).index
    assert kids.set_index(["fiscal_year", "household_id"]).index.isin(keys).all()


def test_a_hand_made_family_in_fy2024(rates):
    """Three children (20, 10 and 1 on 1 April 2024): second and third by the reformed count."""
    ry = pd.DataFrame(
        {
            "fiscal_year": np.int16([2024] * 5),
            "person_id": [1, 2, 3, 4, 5],
            "age": np.int16([45, 44, 20, 10, 1]),
            "household_id": [9] * 5,
            "relationship": ["世帯主", "配偶者", "子", "子", "子"],
            "district_code": ["D01"] * 5,
        }
    )
    residents = pd.DataFrame(
        {
            "person_id": [1, 2, 3, 4, 5],
            "birth_date": pd.to_datetime(
                ["1978-06-01", "1979-06-01", "2003-06-01", "2013-06-01", "2022-06-01"]
            ),
            "exit_date": pd.to_datetime([pd.NaT] * 5),
        }
    )
    it = pd.DataFrame(
        {
            "fiscal_year": [2024] * 3,
            "person_id": [1, 2, 3],
            "total_income": [3_000_000, 5_000_000, 0],
        }
    )
    ctx = SimContext(load_profile("town"), seed=1, scale=0.01)
    ctx.tables.update(resident_years=ry, residents=residents, income_tax=it)
    out = child_allowance.simulate(ctx)
    kids = out["child_allowance_children"].set_index("person_id")
    assert kids.loc[4, "birth_order"] == 1 and kids.loc[4, "birth_order_reform"] == 2
    assert kids.loc[5, "birth_order"] == 2 and kids.loc[5, "birth_order_reform"] == 3
    assert (
        kids.loc[4, "allowance_annual"]
        == 6 * rates["old_standard_monthly"] + 6 * rates["new_standard_monthly"]
    )
    assert (
        kids.loc[5, "allowance_annual"]
        == 6 * rates["old_under3_monthly"] + 6 * rates["new_third_monthly"]
    )
    home = out["child_allowance"].iloc[0]
    assert home["person_id"] == 2  # the spouse earns more
    assert home["eligible_children"] == 2 and home["third_plus_children"] == 1
    assert home["counted_children"] == 3


def test_same_seed_gives_the_same_tables():
    a, ta = generate_tables("town", seed=4, scale=0.02, only=ONLY)
    b, tb = generate_tables("town", seed=4, scale=0.02, only=ONLY)
    for table in child_allowance.TABLES:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert ta["child_allowance"] == tb["child_allowance"]


def test_limits_in_the_wrong_order_are_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'extends = "town"\n[child_allowance]\nupper_limit_base = 5000000\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError, match="upper_limit_base"):
        child_allowance.check_profile(load_profile(path))
