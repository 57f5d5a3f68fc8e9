"""Tests of the premium gift voucher domain (ebpmkit.synth.voucher).

The population tables are built by hand here (``make_population``) with the documented columns,
so these tests do not depend on population.py and income.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ebpmkit.errors import ProfileError
from ebpmkit.synth import voucher
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

SCALE = 0.03
MONEY = {
    "voucher_applications": ["sets_requested", "applicants"],
    "voucher_purchases": ["paid", "face_value", "premium"],
    "voucher_redemptions": ["redeemed_value"],
    "merchant_sales": ["sales"],
    "household_spending": ["local_spending", "voucher_used"],
}


def make_population(households: int, seed: int = 0, years=range(2015, 2025), ref_year: int = 2021):
    """Hand-made resident_years, residents, income_tax and districts with the documented columns."""
    rng = np.random.default_rng(seed)
    size = rng.choice([1, 2, 3, 4, 5], size=households, p=[0.45, 0.27, 0.15, 0.10, 0.03])
    hh = np.repeat(np.arange(1, households + 1, dtype=np.int64), size)
    rank = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    head_age = rng.choice(
        np.arange(20, 95),
        size=households,
        p=np.linspace(1.6, 0.3, 75) / np.linspace(1.6, 0.3, 75).sum(),
    )
    head = head_age[hh - 1]
    age = np.where(
        rank == 0,
        head,
        np.where(
            rank == 1,
            np.clip(head + rng.integers(-4, 5, len(hh)), 18, 100),
            (rng.random(len(hh)) * np.maximum(head - 20, 1)).astype(int),
        ),
    )
    n = len(hh)
    person = np.arange(1, n + 1, dtype=np.int64) * 10
    sex = np.where(rank == 1, np.where(rng.random(n) < 0.85, 1, 0), rng.integers(0, 2, n))
    districts = pd.DataFrame(
        {
            "district_code": [f"D{i:02d}" for i in range(1, 6)],
            "district_name": ["北一", "北二", "中央", "南一", "南二"],
            "area": pd.Categorical(["北部", "北部", "中央", "南部", "南部"]),
            "area_km2": [2.0, 3.0, 2.5, 2.2, 3.1],
        }
    )
    dist = districts["district_code"].to_numpy()[rng.integers(0, 5, households)][hh - 1]
    # household presence: some arrive after 2019, some leave after 2021
    first = np.where(rng.random(households) < 0.15, 2020, 2015)[hh - 1]
    last = np.where(rng.random(households) < 0.15, 2021, 2024)[hh - 1]
    frames = []
    for fy in years:
        a = age + (fy - ref_year)
        keep = (a >= 0) & (fy >= first) & (fy <= last)
        frames.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(fy),
                    "person_id": person[keep],
                    "age": a[keep].astype(np.int16),
                    "sex": pd.Categorical.from_codes(sex[keep], ["男性", "女性"]),
                    "nationality": pd.Categorical.from_codes(
                        np.zeros(keep.sum(), int), ["日本", "外国"]
                    ),
                    "household_id": hh[keep],
                    "relationship": pd.Categorical.from_codes(
                        np.minimum(rank[keep], 2), ["世帯主", "配偶者", "子", "親", "その他"]
                    ),
                    "chome_code": pd.array(np.char.add(dist[keep].astype(str), "-01"), dtype="str"),
                    "district_code": pd.array(dist[keep], dtype="str"),
                    "area": pd.Categorical(
                        np.where(np.isin(dist[keep], ["D01", "D02"]), "北部", "南部")
                    ),
                }
            )
        )
    resident_years = pd.concat(frames, ignore_index=True)
    exit_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    exit_date[rng.random(n) < 0.01] = np.datetime64("2021-05-10", "s")  # left before the sale
    residents = pd.DataFrame(
        {
            "person_id": person,
            "sex": pd.Categorical.from_codes(sex, ["男性", "女性"]),
            "birth_date": np.datetime64("2000-01-01", "s") - (age * 365).astype("timedelta64[D]"),
            "exit_date": exit_date,
        }
    )
    cur = resident_years.loc[
        (resident_years["fiscal_year"] == ref_year) & (resident_years["age"] >= 15)
    ]
    a = cur["age"].to_numpy()
    fem = cur["sex"].eq("女性").to_numpy()
    u = rng.random(len(cur))
    emp = np.where(
        a >= 65,
        np.where(u < 0.75, 4, np.where(u < 0.9, 1, 3)),
        np.where(
            fem & (a >= 20) & (u < 0.25),
            4,
            np.where(u < 0.55, 0, np.where(u < 0.85, 1, np.where(u < 0.93, 2, 4))),
        ),
    )
    emp = np.where((a >= 65) & (u < 0.75), 3, emp)  # 年金
    income_tax = pd.DataFrame(
        {
            "fiscal_year": np.int16(ref_year),
            "income_year": np.int16(ref_year - 1),
            "person_id": cur["person_id"].to_numpy(),
            "employment": pd.Categorical.from_codes(
                emp, ["正規雇用", "非正規雇用", "自営業", "年金", "無職"]
            ),
        }
    )
    return {
        "resident_years": resident_years,
        "residents": residents,
        "income_tax": income_tax,
        "districts": districts,
    }


def make_ctx(profile="urban-ward", seed=7, scale=SCALE, population=None):
    prof = load_profile(profile)
    if population is None:
        population = make_population(round(161512 * scale), seed=1)
    return SimContext(prof, seed=seed, scale=scale, tables=dict(population))


@pytest.fixture(scope="module")
def population():
    return make_population(round(161512 * SCALE), seed=1)


@pytest.fixture(scope="module")
def run(population):
    ctx = make_ctx(population=population)
    tables = voucher.simulate(ctx)
    return ctx, tables


def _cluster_ols(y, x, groups):
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return fit


def _did(panel: pd.DataFrame, treat: np.ndarray, unit: str, y: str):
    """Two-way fixed effects DiD (unit and month effects), errors clustered by unit.

    The panel is balanced, so sweeping out unit and month means (the within transformation)
    gives the same coefficient as OLS with unit and month dummies, much faster.
    """
    frame = pd.DataFrame(
        {
            "u": panel[unit].to_numpy(),
            "m": panel["month"].to_numpy(),
            "y": panel[y].to_numpy(float),
            "d": treat.astype(float),
        }
    )
    assert frame.groupby("u").size().nunique() == 1, "the panel must be balanced"

    def within(col):
        v = frame[col]
        return (
            v
            - frame.groupby("u")[col].transform("mean")
            - frame.groupby("m")[col].transform("mean")
            + v.mean()
        )

    fit = _cluster_ols(
        within("y").to_numpy(), within("d").to_numpy()[:, None], frame["u"].to_numpy()
    )
    lo, hi = fit.conf_int()[0]
    return fit.params[0], lo, hi


def test_columns_match_the_dictionary(run):
    _, tables = run
    declared = {(c.table, c.column): c.dtype for c in voucher.COLUMNS}
    got = {(t, col): str(df[col].dtype) for t, df in tables.items() for col in df.columns}
    assert set(got) == set(declared)
    assert set(tables) == set(voucher.TABLES)
    for key, dtype in declared.items():
        assert got[key] == dtype, key


def test_money_is_whole_yen_and_non_negative(run):
    _, tables = run
    for table, cols in MONEY.items():
        for col in cols:
            s = tables[table][col]
            assert s.dtype == np.int64, (table, col)
            assert (s >= 0).all(), (table, col)


def test_months_are_month_starts(run):
    _, tables = run
    for table in ("voucher_redemptions", "merchant_sales", "household_spending"):
        m = tables[table]["month"]
        assert m.dtype == "datetime64[s]"
        assert (m.dt.day == 1).all() and (m.dt.hour == 0).all()
    months = tables["merchant_sales"]["month"].drop_duplicates().sort_values()
    assert months.iloc[0] == pd.Timestamp("2019-07-01") and months.iloc[-1] == pd.Timestamp(
        "2022-12-01"
    )
    assert (months.diff().dropna().dt.days.between(28, 31)).all()


def test_deterministic(population):
    a = voucher.simulate(make_ctx(population=population, seed=3))
    b = voucher.simulate(make_ctx(population=population, seed=3))
    c = voucher.simulate(make_ctx(population=population, seed=4))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["voucher_purchases"].equals(c["voucher_purchases"])


def test_purchases_follow_the_design(run, population):
    ctx, tables = run
    pur = tables["voucher_purchases"]
    truth = ctx.truth["voucher"]
    assert pur["sets"].between(1, 3).all()
    assert (pur["paid"] == pur["sets"] * 10_000).all()
    assert (pur["face_value"] == pur["sets"] * 13_000).all()
    assert (pur["premium"] == pur["face_value"] - pur["paid"]).all()
    assert pur["person_id"].is_unique and pur["purchase_id"].is_monotonic_increasing
    assert pur["purchase_date"].dt.month.eq(7).all() and pur["purchase_date"].dt.year.eq(2021).all()
    assert pur["sets"].sum() <= truth["sets_issued"]
    ry = population["resident_years"]
    cur = ry.loc[ry["fiscal_year"] == 2021].set_index("person_id")
    assert (cur.loc[pur["person_id"], "age"] >= 18).all()
    assert 0.08 <= truth["buyer_share_of_eligible"] <= 0.15
    assert truth["lottery"] and truth["sets_requested"] > truth["sets_issued"]


def test_buyers_are_older_and_more_often_homemakers(run, population):
    _, tables = run
    ry = population["resident_years"]
    adults = ry.loc[(ry["fiscal_year"] == 2021) & (ry["age"] >= 18)]
    bought = adults["person_id"].isin(tables["voucher_purchases"]["person_id"])
    assert adults.loc[bought, "age"].mean() > adults.loc[~bought, "age"].mean() + 3
    young = adults["age"] < 30
    assert bought[young].mean() < bought[~young].mean() / 2


def test_redemption_rate_in_range(run):
    ctx, tables = run
    red = tables["voucher_redemptions"]["redeemed_value"].sum()
    face = tables["voucher_purchases"]["face_value"].sum()
    assert 0.98 <= red / face <= 0.995
    assert red == ctx.truth["voucher"]["redeemed_total"]
    months = tables["voucher_redemptions"]["month"]
    assert months.min() == pd.Timestamp("2021-07-01") and months.max() == pd.Timestamp("2021-12-01")
    merchants = tables["merchants"].set_index("merchant_id")
    assert merchants.loc[tables["voucher_redemptions"]["merchant_id"], "participating"].all()


def test_bigger_shops_participate_more(population):
    # 2,000 shops, so that even the rarest size band (30+ employees) has some 70 shops
    ctx = make_ctx(population=population)
    ctx.profile.values["voucher"]["merchants_min"] = 2000
    m = voucher.simulate(ctx)["merchants"]
    assert len(m) == 2000 and m["name"].is_unique
    rate = m.groupby("size", observed=True)["participating"].mean()
    assert rate.is_monotonic_increasing, rate
    assert rate["30人以上"] > rate["1-4人"] + 0.2


def test_household_did_recovers_the_truth_and_naive_does_not(run):
    ctx, tables = run
    truth = ctx.truth["voucher"]
    panel = tables["household_spending"]
    att = truth["att_yen_per_buyer_household_month"]
    assert truth["panel_households"] >= 800
    assert 0.3 <= panel.groupby("household_id")["buyer"].first().mean() <= 0.7
    assert (panel["voucher_used"] <= panel["local_spending"]).all()
    use = panel["month"].between("2021-07-01", "2021-12-01").to_numpy()
    treat = use & panel["buyer"].to_numpy()
    est, lo, hi = _did(panel, treat, "household_id", "local_spending")
    assert lo <= att <= hi, (est, lo, hi, att)
    assert att > 0

    # naive 1: buyers' spending during use vs the six months before
    b = panel.loc[panel["buyer"] & panel["month"].between("2021-01-01", "2021-12-01")]
    during = b["month"].ge("2021-07-01").to_numpy(float)
    fit = _cluster_ols(
        b["local_spending"].to_numpy(float), sm.add_constant(during), b["household_id"].to_numpy()
    )
    lo_n, hi_n = fit.conf_int()[1]
    assert not (lo_n <= att <= hi_n) and lo_n > att
    # naive 2: buyers vs non-buyers during the use months (the level difference)
    d = panel.loc[use]
    fit = _cluster_ols(
        d["local_spending"].to_numpy(float),
        sm.add_constant(d["buyer"].to_numpy(float)),
        d["household_id"].to_numpy(),
    )
    lo_g, hi_g = fit.conf_int()[1]
    assert not (lo_g <= att <= hi_g) and lo_g > att
    # "vouchers used" is not the effect
    used = panel.loc[treat, "voucher_used"].mean()
    assert used > 2.5 * att


def test_merchant_did_overstates_the_net_effect(run):
    ctx, tables = run
    m = ctx.truth["voucher"]["merchant"]
    sales = tables["merchant_sales"].merge(
        tables["merchants"][["merchant_id", "participating"]], on="merchant_id"
    )
    sales = sales.assign(log_sales=np.log(sales["sales"].clip(lower=1)))
    use = sales["month"].between("2021-07-01", "2021-12-01").to_numpy()
    treat = use & sales["participating"].to_numpy()
    est, lo, hi = _did(sales, treat, "merchant_id", "log_sales")
    assert lo <= m["did_expected_log"] <= hi
    assert lo > m["net_effect_share_of_participant_sales"]
    assert m["diverted_total"] > 0
    assert m["net_effect_total"] == pytest.approx(
        ctx.truth["voucher"]["incremental_spending_total"], rel=1e-3
    )


def test_truth_is_consistent_and_json_serialisable(run):
    import json

    ctx, tables = run
    t = ctx.truth["voucher"]
    json.dumps(t)
    assert t["incremental_share"] == pytest.approx(0.33)
    assert t["incremental_spending_total"] == pytest.approx(
        t["incremental_share"] * t["redeemed_total"], rel=1e-3
    )
    assert t["premium_total"] == tables["voucher_purchases"]["premium"].sum()
    assert t["programme_cost"] == pytest.approx(t["premium_total"] / (1 - 0.177), rel=1e-6)
    assert t["cost_per_yen_new_spending"] == pytest.approx(
        t["programme_cost"] / t["incremental_spending_total"]
    )
    # every premium yen buys well under one yen of new spending at a 30% premium and a third incremental
    assert 0.5 < t["cost_per_yen_new_spending"] < 2


def test_every_profile_generates(population):
    for name in ("regional-city", "town"):
        ctx = make_ctx(
            name,
            population=make_population(
                2000, seed=2, ref_year=load_profile(name).get("voucher")["fiscal_year"]
            ),
            scale=0.02,
        )
        tables = voucher.simulate(ctx)
        assert len(tables["voucher_purchases"]) > 0
        assert ctx.truth["voucher"]["att_yen_per_buyer_household_month"] > 0


def test_window_outside_simulated_years_is_refused(population):
    ctx = make_ctx(population=population)
    ctx.profile.values["voucher"]["fiscal_year"] = 2015
    with pytest.raises(ProfileError, match="fiscal years 2013-2016"):
        voucher.simulate(ctx)


def test_missing_input_table_is_named(population):
    tables = {k: v for k, v in population.items() if k != "income_tax"}
    with pytest.raises(RuntimeError, match="income_tax"):
        voucher.simulate(make_ctx(population=tables))


def test_sale_after_use_start_is_refused():
    prof = load_profile("urban-ward")
    prof.values["voucher"]["sale_month"] = 9
    with pytest.raises(ProfileError, match="sale_month"):
        voucher.check_profile(prof)


def test_runs_on_the_generated_population(small_tables):
    needed = ("resident_years", "income_tax", "districts", "residents")
    missing = [name for name in needed if name not in small_tables]
    assert not missing, f"the generator no longer writes {missing}: a domain left DOMAINS"
    inputs = {k: small_tables[k] for k in needed}
    ctx = SimContext(load_profile("urban-ward"), seed=7, scale=0.02, tables=inputs)
    tables = voucher.simulate(ctx)
    truth = ctx.truth["voucher"]
    assert 0.08 <= truth["buyer_share_of_eligible"] <= 0.15
    ry = inputs["resident_years"]
    adults = ry.loc[(ry["fiscal_year"] == 2021) & (ry["age"] >= 18)]
    bought = adults["person_id"].isin(tables["voucher_purchases"]["person_id"])
    assert adults.loc[bought, "age"].mean() > adults.loc[~bought, "age"].mean()
    panel = tables["household_spending"]
    use = panel["month"].between("2021-07-01", "2021-12-01").to_numpy()
    _, lo, hi = _did(panel, use & panel["buyer"].to_numpy(), "household_id", "local_spending")
    assert lo <= truth["att_yen_per_buyer_household_month"] <= hi


def _household_changes(panel: pd.DataFrame, apps: pd.DataFrame) -> pd.DataFrame:
    """Per panel household: mean spending in the use months, before them, and the draw."""
    use = panel["month"].between("2021-07-01", "2021-12-01")
    before = panel["month"] < "2021-07-01"
    hh = pd.DataFrame(
        {
            "post": panel[use].groupby("household_id")["local_spending"].mean(),
            "pre": panel[before].groupby("household_id")["local_spending"].mean(),
            "buyer": panel.groupby("household_id")["buyer"].first(),
        }
    )
    hh = hh.join(apps.set_index("household_id")[["won", "bought"]])
    hh["applied"] = hh["won"].notna()
    hh["won"] = hh["won"].fillna(False).astype(bool)
    hh["change"] = hh["post"] - hh["pre"]
    return hh


def test_applications_keep_the_losers_of_a_household_draw(run):
    ctx, tables = run
    apps, pur = tables["voucher_applications"], tables["voucher_purchases"]
    truth = ctx.truth["voucher"]
    assert apps["household_id"].is_unique and apps["household_id"].is_monotonic_increasing
    assert (apps["applicants"] >= 1).all() and (apps["sets_requested"] >= apps["applicants"]).all()
    assert not (apps["bought"] & ~apps["won"]).any(), "losers cannot buy"
    # the draw stops when the next household's sets would pass the issue
    assert apps.loc[apps["won"], "sets_requested"].sum() <= truth["sets_issued"]
    assert apps["sets_requested"].sum() > truth["sets_issued"]
    assert 0.15 <= (~apps["won"]).mean() <= 0.4  # about a quarter lose (urban-ward's figures)
    # buyers are exactly the applicants of winning households that bought, with their sets
    bought = apps.loc[apps["bought"]].set_index("household_id")["sets_requested"]
    sold = pur.groupby("household_id")["sets"].sum()
    pd.testing.assert_series_equal(sold.sort_index(), bought.sort_index(), check_names=False)
    assert truth["applicant_households"] == len(apps)
    assert apps.loc[apps["won"], "bought"].mean() == pytest.approx(0.85, abs=0.05)
    # the draw does not depend on what a household applied for (up to the last household)
    by_size = apps.groupby(apps["sets_requested"].clip(upper=6))["won"].agg(["mean", "size"])
    big = by_size[by_size["size"] >= 100]
    assert (big["mean"] - apps["won"].mean()).abs().max() < 0.08, by_size


def test_lottery_gives_the_itt_and_the_effect_on_buyers(run):
    ctx, tables = run
    truth = ctx.truth["voucher"]
    lot = truth["lottery_effects"]
    hh = _household_changes(tables["household_spending"], tables["voucher_applications"])
    assert lot["panel_winning_households"] == int(hh["won"].sum())
    assert lot["panel_losing_households"] == int((hh["applied"] & ~hh["won"]).sum())
    assert lot["panel_nonapplicant_households"] == int((~hh["applied"]).sum())
    assert lot["panel_losing_households"] >= 100
    take_up = hh.loc[hh["won"], "buyer"].mean()
    assert lot["panel_purchase_rate_of_winners"] == pytest.approx(take_up)
    assert lot["itt_yen_per_household_month"] == pytest.approx(
        lot["complier_effect_yen_per_household_month"] * take_up
    )
    assert (
        lot["complier_effect_yen_per_household_month"] == truth["att_yen_per_buyer_household_month"]
    )
    # winners vs losers, each household's change from before the programme: the ITT
    applicants = hh[hh["applied"]]
    fit = sm.OLS(
        applicants["change"].to_numpy(float),
        sm.add_constant(applicants["won"].to_numpy(float)),
    ).fit(cov_type="HC1")
    lo, hi = fit.conf_int()[1]
    assert lo <= lot["itt_yen_per_household_month"] <= hi, (fit.params[1], lo, hi)
    # dividing by the winners' purchase rate gives the effect on buyers (the Wald estimator)
    assert lo / take_up <= lot["complier_effect_yen_per_household_month"] <= hi / take_up
    # buyers and non-buyers in the use months compare different households (levels)
    d = hh["post"]
    gap = d[hh["buyer"]].mean() - d[~hh["buyer"]].mean()
    se = np.sqrt(
        d[hh["buyer"]].var() / hh["buyer"].sum() + d[~hh["buyer"]].var() / (~hh["buyer"]).sum()
    )
    assert gap - 1.96 * se > lot["complier_effect_yen_per_household_month"]


def test_event_study_truth_and_flat_pre_trends(run):
    ctx, tables = run
    truth = ctx.truth["voucher"]
    ev = truth["event_study"]
    rel = np.array(ev["relative_month"])
    att = np.array(ev["att_yen_per_buyer_household"])
    itt = np.array(ev["itt_yen_per_winning_household"])
    assert rel[0] == -24 and rel[-1] == 6 + 12 - 1 and len(ev["months"]) == len(rel)
    use = (rel >= 0) & (rel < 6)
    assert (att[~use] == 0).all() and (itt[~use] == 0).all() and (att[use] > 0).all()
    assert att[use].mean() == pytest.approx(truth["att_yen_per_buyer_household_month"])
    assert itt[use].mean() == pytest.approx(truth["lottery_effects"]["itt_yen_per_household_month"])
    assert att[use][0] > att[use][-1]  # use is front-loaded
    # event study on the panel (household and month effects, buyer x month, month -1 omitted)
    panel = tables["household_spending"]
    months = np.sort(panel["month"].unique())
    k = np.searchsorted(months, panel["month"].to_numpy())
    buyer = panel["buyer"].to_numpy()
    cols = [j for j in range(len(months)) if rel[j] != -1]
    x = np.column_stack([(buyer & (k == j)).astype(float) for j in cols])
    frame = pd.DataFrame(x).assign(y=panel["local_spending"].to_numpy(float))
    frame["u"], frame["m"] = panel["household_id"].to_numpy(), k
    within = frame.drop(columns=["u", "m"])
    within = (
        within
        - frame.groupby("u")[within.columns].transform("mean")
        - frame.groupby("m")[within.columns].transform("mean")
        + within.mean()
    )
    fit = sm.OLS(within.pop("y").to_numpy(), within.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": frame["u"].to_numpy()}
    )
    z = (fit.params - (att[cols] - att[rel == -1][0])) / fit.bse
    assert np.abs(z).max() < 3.5, np.round(z, 1)  # pre-trends flat, post path = the truth


def test_panel_shares_over_one_are_refused():
    prof = load_profile("urban-ward")
    prof.values["voucher"]["panel_winner_share"] = 0.7
    prof.values["voucher"]["panel_loser_share"] = 0.4
    with pytest.raises(ProfileError, match="panel_loser_share") as info:
        voucher.check_profile(prof)
    assert str(info.value).splitlines()[0].startswith("プロファイル")
