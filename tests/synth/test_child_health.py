"""Maternal and child health: births, infant checkups and routine vaccinations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit.errors import ProfileError
from ebpmkit.synth import child_health, generate_tables
from ebpmkit.synth.child_health import add_months, months_between, vaccine_schedule
from ebpmkit.synth.profile import load_profile

PROFILE = "urban-ward"
SCALE = 0.05
ONLY = ("geography", "population", "income", "child_health")


@pytest.fixture(scope="module")
def data():
    tables, truth = generate_tables(PROFILE, seed=11, scale=SCALE, only=ONLY)
    return tables, truth["child_health"]


@pytest.fixture(scope="module")
def prof():
    return load_profile(PROFILE)


@pytest.fixture(scope="module")
def period(prof):
    years = prof.fiscal_years
    start = np.datetime64(f"{int(years[0])}-04-01", "D")
    end = np.datetime64(f"{int(years[-1]) + 1}-04-01", "D")
    return start, end


def _with_residence(table: pd.DataFrame, residents: pd.DataFrame) -> pd.DataFrame:
    cols = ["person_id", "birth_date", "entry_date", "exit_date", "exit_reason"]
    out = table.merge(residents[cols], on="person_id", how="left", suffixes=("", "_res"))
    assert out["entry_date"].notna().all(), "a row for a person who is not a resident"
    return out


def _days(series: pd.Series) -> np.ndarray:
    return series.to_numpy("datetime64[D]")


# --- births --------------------------------------------------------------------------------


def test_every_birth_in_residents_is_in_births_and_no_other(data, prof):
    tables, _ = data
    res, births = tables["residents"], tables["births"]
    born = res[res["entry_reason"] == "出生"]
    assert sorted(births["person_id"]) == sorted(born["person_id"])
    assert not births["person_id"].duplicated().any()
    last = int(prof.fiscal_years[-1])
    assert (
        (births["fiscal_year"] == last).sum() == (_fy(_days(born["birth_date"])) == last).sum() > 0
    )
    merged = births.merge(res[["person_id", "birth_date", "sex"]], on="person_id")
    assert (merged["birth_date_x"] == merged["birth_date_y"]).all()
    assert (merged["sex_x"].astype(str) == merged["sex_y"].astype(str)).all()


def _fy(days: np.ndarray) -> np.ndarray:
    month = days.astype("datetime64[M]").astype(np.int64)
    return (month - 3) // 12 + 1970


def test_births_link_to_households_and_districts(data):
    tables, _ = data
    births, hh = tables["births"], tables["households"]
    merged = births.merge(hh[["household_id", "district_code"]], on="household_id", how="left")
    assert merged["district_code_y"].notna().all()
    assert (merged["district_code_x"].astype(str) == merged["district_code_y"].astype(str)).all()
    # A child on a later register is in the household the births table names.
    ry = tables["resident_years"]
    nxt = births.assign(fiscal_year=births["fiscal_year"] + 1).merge(
        ry[["fiscal_year", "person_id", "household_id"]], on=["fiscal_year", "person_id"]
    )
    assert len(nxt) > 0.8 * len(births)
    assert (nxt["household_id_x"] == nxt["household_id_y"]).all()


def test_the_mother_is_a_woman_of_child_bearing_age_heading_the_household(data):
    tables, _ = data
    births, ry = tables["births"], tables["resident_years"]
    has = births[births["mother_relationship"].notna()]
    assert len(has) > 0.9 * len(births)
    assert has["mother_age"].between(15, 49).all()
    assert births.loc[births["mother_relationship"].isna(), "mother_age"].isna().all()
    women = ry[(ry["sex"] == "女性") & ry["relationship"].isin(["世帯主", "配偶者"])]
    women = women.assign(relationship=women["relationship"].astype(str))
    keys = set(zip(women["fiscal_year"], women["household_id"], women["relationship"], strict=True))
    found = [
        (fy + 1, h, r) in keys or (fy, h, r) in keys
        for fy, h, r in zip(
            has["fiscal_year"],
            has["household_id"],
            has["mother_relationship"].astype(str),
            strict=True,
        )
    ]
    assert np.mean(found) > 0.99


def test_birth_weight_and_gestation_follow_the_rates(data, prof):
    tables, truth = data
    births = tables["births"]
    target = prof.number("child_health.low_birth_weight_target")
    assert abs(births["low_birth_weight"].mean() - target) < 0.03
    assert truth["low_birth_weight_share"] == pytest.approx(
        births["low_birth_weight"].mean(), abs=1e-4
    )
    weeks = prof.numbers("child_health.gestation_weeks")
    shares = prof.numbers("child_health.gestation_shares")
    assert abs(births["preterm"].mean() - shares[weeks < 37].sum()) < 0.025
    assert set(births["gestational_weeks"].unique()) <= set(weeks.astype(int))
    assert (births["low_birth_weight"] == (births["birth_weight"] < 2500)).all()
    mean = births.groupby("sex", observed=True)["birth_weight"].mean()
    assert mean["男性"] > mean["女性"]
    # Heavier at later weeks.
    by_week = births.groupby("gestational_weeks")["birth_weight"].mean()
    assert by_week.loc[40] > by_week.loc[37] > by_week.loc[by_week.index.min()]


def test_birth_order_counts_the_older_children_of_the_household(data):
    tables, _ = data
    births = tables["births"]
    assert births["order_in_household"].min() == 1
    assert (births["order_in_household"] == 1).mean() > 0.4
    # A second child born into a household after a first one born here has a higher order.
    twice = births[births["household_id"].duplicated(keep=False)].sort_values("birth_date")
    firsts = twice.groupby("household_id").head(1)
    lasts = twice.groupby("household_id").tail(1)
    pair = firsts.merge(lasts, on="household_id")
    later = pair[pair["birth_date_y"] > pair["birth_date_x"]]
    assert len(later) > 0
    assert (later["order_in_household_y"] > later["order_in_household_x"]).mean() > 0.9


# --- infant checkups -----------------------------------------------------------------------


def test_checkups_are_due_only_while_resident_and_within_the_data(data, period):
    tables, _ = data
    start, end = period
    ck = _with_residence(tables["infant_checkups"], tables["residents"])
    due = _days(ck["due_date"])
    exit_ = _days(ck["exit_date"])
    assert (due >= _days(ck["entry_date"])).all()
    assert ((due < exit_) | np.isnat(exit_)).all()
    assert ((due >= start) & (due < end)).all()
    assert (months_between(_days(ck["birth_date"]), due) == ck["due_age_months"]).all()
    assert not ck.duplicated(["person_id", "checkup"]).any()
    assert (ck["fiscal_year"] == _fy(due)).all()


def test_every_child_born_here_gets_each_checkup_due_while_resident(data, prof, period):
    tables, _ = data
    _, end = period
    births = tables["births"].merge(tables["residents"][["person_id", "exit_date"]], on="person_id")
    months = prof.numbers("child_health.checkup_months").astype(int)
    ck = tables["infant_checkups"]
    have = set(zip(ck["person_id"], ck["due_age_months"], strict=True))
    for m in months:
        due = add_months(_days(births["birth_date"]), np.full(len(births), m))
        exit_ = _days(births["exit_date"])
        owed = births["person_id"][(due < end) & ((due < exit_) | np.isnat(exit_))]
        assert len(owed) > 0
        assert all((p, m) in have for p in owed)


def test_visits_fall_between_due_date_and_leaving(data, period):
    tables, _ = data
    _, end = period
    ck = _with_residence(tables["infant_checkups"], tables["residents"])
    went = ck[ck["attended"]]
    visit = _days(went["attended_date"])
    exit_ = _days(went["exit_date"])
    assert (visit >= _days(went["due_date"])).all()
    assert ((visit < exit_) | np.isnat(exit_)).all() and (visit < end).all()
    assert (went["days_after_due"] == (visit - _days(went["due_date"])).astype(int)).all()
    missed = ck[~ck["attended"]]
    assert missed["attended_date"].isna().all() and missed["findings"].isna().all()
    assert went["findings"].notna().all()


def test_attendance_is_near_the_configured_rates(data, prof, period):
    tables, truth = data
    _, end = period
    window = np.timedelta64(int(prof.number("child_health.attend_window")), "D")
    ck = _with_residence(tables["infant_checkups"], tables["residents"])
    due = _days(ck["due_date"])
    exit_ = _days(ck["exit_date"])
    seen = (due + window < end) & (np.isnat(exit_) | (due + window < exit_))
    rates = dict(
        zip(child_health.CHECKUPS, prof.numbers("child_health.checkup_rates"), strict=True)
    )
    observed = ck[seen].groupby("checkup", observed=True)["attended"].mean()
    for name, rate in rates.items():
        assert abs(observed[name] - rate) < 0.03, name
        assert truth["checkup_rates"][name] == rate


def test_findings_shares_follow_the_rates(data, prof):
    tables, _ = data
    went = tables["infant_checkups"][tables["infant_checkups"]["attended"]]
    for months, key in ((4, "4m"), (18, "18m"), (36, "36m")):
        shares = prof.numbers(f"child_health.findings_{key}")
        got = went.loc[went["due_age_months"] == months, "findings"].value_counts(normalize=True)
        # Low-birth-weight children have more findings, so 異常なし is a little under its share.
        assert shares[0] - 0.06 < got["異常なし"] <= shares[0] + 0.03


def _household_income(tables: dict) -> pd.DataFrame:
    """Equivalised household income by fiscal year, computed here from the source tables."""
    ry, it = tables["resident_years"], tables["income_tax"]
    people = ry[["fiscal_year", "person_id", "household_id"]].merge(
        it[["fiscal_year", "person_id", "total_income"]],
        on=["fiscal_year", "person_id"],
        how="left",
    )
    g = people.groupby(["fiscal_year", "household_id"])
    out = (g["total_income"].sum() / np.sqrt(g.size())).rename("income").reset_index()
    return out


def test_lower_income_households_attend_less_as_the_truth_says(data):
    tables, truth = data
    ck = tables["infant_checkups"].merge(
        _household_income(tables), on=["fiscal_year", "household_id"], how="inner"
    )
    assert len(ck) > 0.8 * len(tables["infant_checkups"])
    high = ck["income"] > ck.groupby("fiscal_year")["income"].transform("median")
    gap = ck.loc[high, "attended"].mean() - ck.loc[~high, "attended"].mean()
    assert truth["income_gap_sign"] == 1
    assert np.sign(gap) == truth["income_gap_sign"] and gap > 0.01
    assert truth["income_gap"] > 0
    q = truth["attendance_by_income_quintile"]
    assert q[5] > q[1]


def test_children_who_move_out_attend_less(data):
    tables, _ = data
    ck = _with_residence(tables["infant_checkups"], tables["residents"])
    moved = ck["exit_reason"] == "転出"
    assert ck.loc[moved, "attended"].mean() < ck.loc[~moved, "attended"].mean()


# --- vaccinations --------------------------------------------------------------------------


def test_doses_are_given_only_while_resident_and_due_before_the_end(data, period):
    tables, _ = data
    start, end = period
    vx = _with_residence(tables["vaccinations"], tables["residents"])
    date = _days(vx["vaccination_date"])
    exit_ = _days(vx["exit_date"])
    assert (date >= _days(vx["entry_date"])).all()
    assert ((date < exit_) | np.isnat(exit_)).all() and (date < end).all() and (date >= start).all()
    due = add_months(_days(vx["birth_date"]), vx["scheduled_months"].to_numpy())
    assert (due < end).all()
    assert (months_between(_days(vx["birth_date"]), date) == vx["age_months"]).all()
    assert (vx["fiscal_year"] == _fy(date)).all()


def test_doses_come_in_schedule_order(data, prof):
    tables, _ = data
    vx = tables["vaccinations"].sort_values(["person_id", "vaccine", "vaccination_date"])
    g = vx.groupby(["person_id", "vaccine"], observed=True)
    assert (g["dose"].diff().dropna() > 0).all()
    assert (g["vaccination_date"].diff().dropna() > pd.Timedelta(0)).all()
    # Children born here start every series at dose 1 and miss none in between.
    born = vx[vx["person_id"].isin(tables["births"]["person_id"])]
    counts = born.groupby(["person_id", "vaccine"], observed=True)["dose"].agg(
        ["min", "max", "size"]
    )
    assert (counts["min"] == 1).all() and (counts["max"] == counts["size"]).all()
    schedule = vaccine_schedule(prof)
    merged = vx.merge(schedule, left_on=["vaccine", "dose"], right_on=["vaccine", "dose"])
    assert len(merged) == len(vx)
    assert (merged["scheduled_months"] == merged["months"]).all()
    assert (merged["series_x"].astype(str) == merged["series_y"]).all()


def test_ages_at_the_doses_are_near_the_schedule(data, prof):
    tables, _ = data
    vx = tables["vaccinations"]
    late = vx["age_months"] - vx["scheduled_months"]
    assert (late >= 0).all() and (late <= 12).all()
    assert late.median() <= 1
    grace = prof.number("child_health.on_time_grace")
    assert (vx["on_time"] == (late <= grace)).all()
    assert vx["on_time"].mean() > 0.8


def test_coverage_of_mr_first_dose_is_near_the_schedule(data, prof, period):
    tables, _ = data
    _, end = period
    schedule = vaccine_schedule(prof)
    coverage = float(
        schedule.loc[(schedule["vaccine"] == "MR") & (schedule["dose"] == 1), "coverage"].iloc[0]
    )
    births = tables["births"].merge(tables["residents"][["person_id", "exit_date"]], on="person_id")
    by = add_months(_days(births["birth_date"]), np.full(len(births), 25))
    exit_ = _days(births["exit_date"])
    stayed = births[(by < end) & (np.isnat(exit_) | (by < exit_))]
    assert len(stayed) > 300
    vx = tables["vaccinations"]
    got = vx[(vx["vaccine"] == "MR") & (vx["dose"] == 1)]["person_id"]
    assert abs(stayed["person_id"].isin(got).mean() - coverage) < 0.035


def test_vaccines_follow_the_birth_cohorts_of_the_schedule(data):
    tables, _ = data
    vx = tables["vaccinations"].merge(
        tables["residents"][["person_id", "birth_date"]], on="person_id"
    )
    born = vx["birth_date"].dt.year * 100 + vx["birth_date"].dt.month
    assert (born[vx["vaccine"] == "五種混合"] >= 202402).all()
    assert (born[vx["vaccine"].isin(["四種混合", "Hib"])] < 202402).all()
    assert (born[vx["vaccine"] == "B型肝炎"] >= 201604).all()
    assert (vx["vaccine"] == "B型肝炎").any() and (vx["vaccine"] == "五種混合").any()


# --- linkage, determinism, profile checks -------------------------------------------------


def test_rows_link_to_the_register_of_their_year(data):
    tables, _ = data
    ry = tables["resident_years"][["fiscal_year", "person_id", "household_id"]]
    hh = tables["households"][["household_id", "district_code"]]
    for name in ("infant_checkups", "vaccinations"):
        table = tables[name]
        assert table["person_id"].isin(tables["residents"]["person_id"]).all()
        # The register of the row's fiscal year, or the next 1 April's for a child not yet on
        # one (most 4-month checkups and early doses); the rest are last-year births.
        this = table.merge(ry, on=["fiscal_year", "person_id"], suffixes=("", "_reg"))
        assert (this["household_id"] == this["household_id_reg"]).all(), name
        later = table.assign(fiscal_year=table["fiscal_year"] + 1).merge(
            ry, on=["fiscal_year", "person_id"], suffixes=("", "_reg")
        )
        keys = set(zip(this["fiscal_year"], this["person_id"], strict=True))
        only_later = later[
            [
                (y - 1, p) not in keys
                for y, p in zip(later["fiscal_year"], later["person_id"], strict=True)
            ]
        ]
        assert (only_later["household_id"] == only_later["household_id_reg"]).all(), name
        assert len(this) + len(only_later) > 0.9 * len(table), name
        places = table.merge(hh, on="household_id", how="left", suffixes=("", "_hh"))
        assert (places["district_code"].astype(str) == places["district_code_hh"].astype(str)).all()


def test_same_seed_same_tables_other_seed_other_tables(data):
    tables, _ = data
    again, _ = generate_tables(PROFILE, seed=11, scale=SCALE, only=ONLY)
    other, _ = generate_tables(PROFILE, seed=12, scale=SCALE, only=ONLY)
    for name in child_health.TABLES:
        pd.testing.assert_frame_equal(tables[name], again[name])
        assert not tables[name].equals(other[name])


def test_columns_match_the_dictionary(data):
    tables, _ = data
    for name in child_health.TABLES:
        declared = [(c.column, c.dtype) for c in child_health.COLUMNS if c.table == name]
        assert [(c, str(t)) for c, t in tables[name].dtypes.items()] == declared
    assert sum(len(tables[n].columns) for n in child_health.TABLES) >= 30


def _profile_with(tmp_path, text: str):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "urban-ward"\n' + text, encoding="utf-8")
    return load_profile(path)


def test_a_schedule_out_of_order_is_refused(tmp_path, prof):
    months = prof.numbers("child_health.vaccines.months").astype(int).tolist()
    months[0], months[1] = months[1], months[0]
    bad = _profile_with(tmp_path, f"[child_health.vaccines]\nmonths = {months}\n")
    with pytest.raises(ProfileError, match="Hib"):
        child_health.check_profile(bad)


def test_lists_of_different_lengths_are_refused(tmp_path):
    bad = _profile_with(tmp_path, "[child_health]\ngestation_shares = [0.5, 0.5]\n")
    with pytest.raises(ProfileError, match="gestation_shares"):
        child_health.check_profile(bad)


def test_add_months_keeps_the_day_or_takes_the_last_day():
    dates = np.array(["2023-08-31", "2024-01-15"], dtype="datetime64[D]")
    got = add_months(dates, np.array([6, 18]))
    assert got.tolist() == [np.datetime64("2024-02-29").item(), np.datetime64("2025-07-15").item()]
    assert months_between(dates, got).tolist() == [6, 18]
