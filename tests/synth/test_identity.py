"""Tests for ebpmkit.synth.identity: the identifying layer of the raw variant.

The population tables are built by hand here (``_tables``) with the documented columns, so these
tests do not depend on population.py: households of 1-5 people (head, spouse, children), a few
foreign households and foreign spouses, adult children who leave to head a new household in the
last year, and a few people who never appear on a 1 April register.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from faker.providers.person.ja_JP import Provider as JaProvider

from ebpmkit.errors import ProfileError
from ebpmkit.synth import identity
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import Profile, load_profile

SPACE = "\u3000"
TOWNS = ["桜台", "緑町", "東野", "川辺"]


def _tables(n_households: int = 1500, seed: int = 0, years=(2015, 2016, 2017)) -> dict:
    rng = np.random.default_rng(seed)
    size = rng.choice([1, 2, 3, 4, 5], n_households, p=[0.45, 0.25, 0.15, 0.12, 0.03])
    hh_ids = np.arange(1, n_households + 1) * 10
    hh = np.repeat(hh_ids, size)
    rank = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    n = len(hh)
    pid = np.arange(1, n + 1) * 3 + 1000
    rel = np.where(rank == 0, "世帯主", np.where(rank == 1, "配偶者", "子"))
    head_sex = np.repeat(rng.choice(["男性", "女性"], n_households, p=[0.6, 0.4]), size)
    sex = np.where(rank == 0, head_sex, rng.choice(["男性", "女性"], n))
    sex = np.where(rank == 1, np.where(head_sex == "男性", "女性", "男性"), sex)
    age = np.where(rank < 2, rng.integers(20, 95, n), rng.integers(0, 30, n))
    days = (age * 365.25).astype(np.int64) + rng.integers(0, 365, n)
    birth = (np.datetime64("2015-04-01") - days.astype("timedelta64[D]")).astype("datetime64[s]")
    foreign = np.repeat(rng.random(n_households) < 0.05, size)
    foreign |= (rank == 1) & (rng.random(n) < 0.03)  # a foreign spouse in a Japanese household
    nat = np.where(foreign, "外国", "日本")
    chome = pd.DataFrame(
        {
            "chome_code": [f"C{i:03d}" for i in range(1, 13)],
            "chome_name": [f"{t}{k}丁目" for t in TOWNS for k in ["一", "二", "三"]],
            "town_name": [t for t in TOWNS for _ in range(3)],
            "district_code": ["D01"] * 12,
            "area": pd.Categorical(["北部"] * 12),
            "area_km2": np.full(12, 0.2),
        }
    )
    codes = chome["chome_code"].to_numpy()
    hh_chome = rng.integers(0, 12, n_households)
    movers = np.flatnonzero((rank >= 2) & (age >= 18) & (rng.random(n) < 0.5))
    new_hh = 10 * (n_households + 1 + np.arange(len(movers))) + 5
    new_chome = rng.integers(0, 12, len(movers))
    households = pd.DataFrame(
        {
            "household_id": np.r_[hh_ids, new_hh],
            "chome_code": np.r_[codes[hh_chome], codes[new_chome]],
        }
    )
    never = rng.random(n) < 0.01
    frames = []
    for j, fy in enumerate(years):
        h, r = hh.copy(), rel.copy()
        c = codes[np.repeat(hh_chome, size)]
        if j == len(years) - 1:
            h[movers], r[movers], c[movers] = new_hh, "世帯主", codes[new_chome]
        frames.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(fy),
                    "person_id": pid,
                    "age": (age + j).astype(np.int16),
                    "sex": pd.Categorical(sex),
                    "nationality": pd.Categorical(nat),
                    "household_id": h,
                    "relationship": pd.Categorical(r),
                    "chome_code": c,
                }
            )[~never]
        )
    residents = pd.DataFrame(
        {
            "person_id": pid,
            "sex": pd.Categorical(sex, categories=["男性", "女性"]),
            "birth_date": birth,
            "nationality": pd.Categorical(nat, categories=["日本", "外国"]),
            "entry_date": np.full(n, np.datetime64("2015-04-01", "s")),
            "entry_reason": pd.Categorical(["初期登録"] * n),
            "exit_date": np.full(n, np.datetime64("NaT", "s")),
            "exit_reason": pd.Categorical([None] * n, categories=["死亡", "転出"]),
        }
    )
    ry = pd.concat(frames, ignore_index=True)
    return {"residents": residents, "resident_years": ry, "households": households, "chome": chome}


def _run(tables: dict, seed: int = 1, profile="urban-ward") -> pd.DataFrame:
    ctx = SimContext(load_profile(profile), seed=seed, scale=1.0)
    ctx.tables = dict(tables)
    return identity.simulate(ctx)["identities"]


@pytest.fixture(scope="module")
def tables() -> dict:
    return _tables()


@pytest.fixture(scope="module")
def small() -> dict:
    return _tables(n_households=150, seed=9)


@pytest.fixture(scope="module")
def ids(tables) -> pd.DataFrame:
    return _run(tables)


def _split(ids: pd.DataFrame, tables: dict) -> pd.DataFrame:
    """Family and given name parts in kanji and kana (order depends on nationality)."""
    foreign = (tables["residents"]["nationality"] == "外国").to_numpy()
    kanji = ids["name_kanji"].str.split(SPACE, expand=True)
    kana = ids["name_kana"].str.split(SPACE, expand=True)
    return pd.DataFrame(
        {
            "family": np.where(foreign, kanji[1], kanji[0]),
            "given": np.where(foreign, kanji[0], kanji[1]),
            "family_kana": np.where(foreign, kana[1], kana[0]),
            "given_kana": np.where(foreign, kana[0], kana[1]),
            "foreign": foreign,
        }
    )


def _first_and_last(tables: dict) -> pd.DataFrame:
    ry = tables["resident_years"].sort_values(["person_id", "fiscal_year"])
    first = ry.groupby("person_id").first()
    last = ry.groupby("person_id").last()
    return first.add_suffix("_first").join(last.add_suffix("_last"))


# -- shape and contract ------------------------------------------------------------------------
def test_one_row_per_resident_in_order_and_nothing_missing(ids, tables):
    assert ids["person_id"].tolist() == tables["residents"]["person_id"].tolist()
    assert not ids.isna().any().any()
    assert (ids["birth_date"].to_numpy() == tables["residents"]["birth_date"].to_numpy()).all()
    assert (ids["sex"].astype(str) == tables["residents"]["sex"].astype(str)).all()


def test_columns_match_the_declared_dictionary(ids):
    declared = [c for c in identity.COLUMNS if c.table == "identities"]
    assert [c.column for c in declared] == list(ids.columns)
    for col in declared:
        assert str(ids[col.column].dtype) == col.dtype, col.column
        assert re.search(r"[ぁ-んァ-ヶ一-龥]", col.label_ja), col.column
    assert set(identity.TABLES) == {"identities"}


def test_same_seed_same_table_other_seed_other_table(tables, ids):
    pd.testing.assert_frame_equal(ids, _run(tables))
    other = _run(tables, seed=2)
    assert (other["name_kanji"] != ids["name_kanji"]).mean() > 0.9
    assert (other["resident_code"] != ids["resident_code"]).all()


# -- names ---------------------------------------------------------------------------------------
def test_kana_is_katakana_and_matches_the_kanji_through_the_name_parts(ids, tables):
    assert ids["name_kana"].str.fullmatch(r"[ァ-ヶー]+\u3000[ァ-ヶー]+").all()
    assert ids["name_kanji"].str.count(SPACE).eq(1).all()
    parts = identity.name_parts()
    pairs = set(parts.itertuples(index=False, name=None))
    names = _split(ids, tables)
    family = names[["family", "family_kana"]].drop_duplicates()
    given = names[["given", "given_kana"]].drop_duplicates()
    assert all(("family", k, v) in pairs for k, v in family.itertuples(index=False, name=None))
    assert all(("given", k, v) in pairs for k, v in given.itertuples(index=False, name=None))
    # Faker's common surnames keep Faker's reading; each surname has one reading.
    faker = {kanji: kana for (kanji, kana, _roman) in JaProvider.last_name_pairs}
    common = names[names["family"].isin(list(faker))]
    assert len(common) > 0.1 * len(names)
    assert (common["family_kana"] == common["family"].map(faker)).all()
    assert names.groupby("family")["family_kana"].nunique().max() == 1


def test_foreign_residents_have_katakana_names_given_name_first(ids, tables):
    names = _split(ids, tables)
    foreign = names[names["foreign"]]
    assert len(foreign) > 20
    assert (foreign["family"] == foreign["family_kana"]).all()
    assert (foreign["given"] == foreign["given_kana"]).all()
    japanese_parts = set(identity.name_parts().query("kind == 'family'")["kanji"].head(300))
    assert not foreign["family"].isin(japanese_parts).any()


def test_household_members_share_the_heads_surname(ids, tables):
    names = _split(ids, tables).set_index(ids["person_id"])
    rows = _first_and_last(tables)
    ry = tables["resident_years"]
    heads = ry[ry["relationship"] == "世帯主"].set_index(["household_id", "fiscal_year"])[
        "person_id"
    ]
    first = rows.reset_index()[["person_id", "household_id_first", "fiscal_year_first"]]
    first["head"] = heads.reindex(
        pd.MultiIndex.from_frame(first[["household_id_first", "fiscal_year_first"]])
    ).to_numpy()
    first = first.dropna(subset=["head"]).astype({"head": "int64"})  # the head never registered
    first = first[first["head"] != first["person_id"]]
    same = (
        names.loc[first["person_id"], "family"].to_numpy()
        == names.loc[first["head"], "family"].to_numpy()
    )
    foreign_under_japanese = (
        names.loc[first["person_id"], "foreign"].to_numpy()
        & ~names.loc[first["head"], "foreign"].to_numpy()
    )
    assert len(first) > 500
    assert same[~foreign_under_japanese].all()
    # Adults who left to head their own household keep the surname they grew up with.
    movers = rows[(rows["household_id_first"] != rows["household_id_last"])]
    assert len(movers) > 20


def test_no_two_people_of_a_family_share_a_full_name(ids):
    with_address = ids.groupby(["address", "name_kanji"]).size()
    assert with_address.max() == 1


def test_most_full_names_are_unique_in_a_50k_population():
    tables = _tables(n_households=24_500, seed=5)
    assert 45_000 < len(tables["residents"]) < 55_000
    ids = _run(tables)
    counts = ids["name_kanji"].map(ids["name_kanji"].value_counts())
    assert (counts == 1).mean() > 0.85
    # A few common surnames and a long tail.
    family = _split(ids, tables).query("~foreign")["family"].value_counts(normalize=True)
    assert 0.005 < family.iloc[0] < 0.03
    assert 0.12 < family.head(50).sum() < 0.35
    assert len(family) > 1000


def test_given_names_follow_birth_cohorts(ids, tables):
    names = _split(ids, tables)
    year = tables["residents"]["birth_date"].dt.year.to_numpy()
    female = (tables["residents"]["sex"] == "女性").to_numpy()
    ko = names["given"].str.endswith("子").to_numpy()
    japanese = ~names["foreign"].to_numpy()
    old = female & japanese & (year < 1955)
    young = female & japanese & (year >= 1995)
    assert ko[old].mean() > 2 * ko[young].mean()


# -- addresses and postal codes ----------------------------------------------------------------
def test_addresses_are_inside_the_municipality_and_shared_by_the_household(ids, tables):
    rows = _first_and_last(tables)
    ids_rows = ids.set_index("person_id").join(rows, how="left")
    pattern = r"ひばり野区(桜台|緑町|東野|川辺)[一二三]丁目(\d+番\d+号|\d+-\d+-\d+)"
    assert ids["address"].str.fullmatch(pattern).all()
    registered = ids_rows.dropna(subset=["household_id_last"])
    per_household = registered.groupby("household_id_last")["address"].nunique()
    assert (per_household == 1).all()
    # Different households never share an address.
    households_per_address = registered.groupby("address")["household_id_last"].nunique()
    assert households_per_address.max() == 1
    share_flat = ids.drop_duplicates("address")["address"].str.contains("-").mean()
    assert 0.55 < share_flat < 0.9  # urban-ward: 72% of households in apartments


def test_people_never_on_a_register_still_get_an_address(ids, tables):
    on_register = set(tables["resident_years"]["person_id"])
    never = ids[~ids["person_id"].isin(on_register)]
    assert len(never) > 0
    assert never["address"].str.startswith("ひばり野区").all()
    assert never["address"].nunique() == len(never)


def test_postal_code_is_fictional_format_and_one_per_town(ids, tables):
    assert ids["postal_code"].str.fullmatch(r"\d{3}-\d{4}").all()
    town = ids["address"].str.extract(r"ひばり野区(.+?)[一二三]丁目")[0]
    chome = ids["address"].str.extract(r"ひばり野区(.+?丁目)")[0]
    assert ids.groupby(chome)["postal_code"].nunique().eq(1).all()
    assert ids.groupby(town)["postal_code"].nunique().eq(1).all()
    assert ids.groupby("postal_code").apply(lambda g: town[g.index].nunique()).eq(1).all()


# -- phones and codes ----------------------------------------------------------------------------
def test_phone_numbers_have_japanese_format_and_cannot_be_real(ids):
    mobile = ids["phone"].str.fullmatch(r"0[789]0-0\d{3}-\d{4}")
    landline = ids["phone"].str.fullmatch(r"03-0\d{3}-\d{4}")
    assert (mobile | landline).all()
    assert 0.4 < mobile.mean() < 0.95


def test_children_share_the_heads_phone_and_mobiles_are_personal(ids, tables):
    rows = _first_and_last(tables)
    ry = tables["resident_years"]
    last = ry.sort_values("fiscal_year").groupby("person_id").last()
    heads = ry[ry["relationship"] == "世帯主"].set_index(["household_id", "fiscal_year"])[
        "person_id"
    ]
    phone = ids.set_index("person_id")["phone"]
    kids = last[(last["age"] < 15)].reset_index()
    kids["head"] = heads.reindex(
        pd.MultiIndex.from_frame(kids[["household_id", "fiscal_year"]])
    ).to_numpy()
    kids = kids.dropna(subset=["head"]).astype({"head": "int64"})
    assert len(kids) > 50
    assert (phone[kids["person_id"]].to_numpy() == phone[kids["head"]].to_numpy()).all()
    adults = ids[~ids["person_id"].isin(kids["person_id"])]
    mobiles = adults[adults["phone"].str.startswith(("090", "080", "070"))]
    assert mobiles["phone"].is_unique
    assert len(rows) > 0


def test_other_area_codes_follow_the_profile(tables):
    ids = _run(tables, profile="town")
    landline = ids["phone"].str.fullmatch(r"0467-0\d-\d{4}")
    mobile = ids["phone"].str.fullmatch(r"0[789]0-0\d{3}-\d{4}")
    assert (landline | mobile).all() and landline.any()
    assert ids["address"].str.startswith("寒梅町").all()


def test_resident_code_is_unique_not_a_national_id_and_unrelated_to_person_id(ids):
    code = ids["resident_code"]
    assert code.is_unique
    assert code.str.fullmatch(r"R\d{9}").all()
    assert not code.str.fullmatch(r"\d{11,12}").any()
    number = code.str[1:].astype("int64")
    rho = np.corrcoef(ids["person_id"].rank(), number.rank())[0, 1]
    assert abs(rho) < 0.1


# -- bad input -----------------------------------------------------------------------------------
def test_missing_table_or_column_names_what_is_missing(small):
    ctx = SimContext(load_profile("urban-ward"), seed=1, scale=1.0)
    ctx.tables = {k: v for k, v in small.items() if k != "chome"}
    with pytest.raises(RuntimeError, match="chome"):
        identity.simulate(ctx)
    ctx.tables = dict(small, residents=small["residents"].drop(columns="nationality"))
    with pytest.raises(RuntimeError, match="nationality"):
        identity.simulate(ctx)


def test_register_rows_for_unknown_people_are_rejected(small):
    ry = small["resident_years"].copy()
    ry.loc[0, "person_id"] = 999_999_999
    with pytest.raises(RuntimeError, match="not in 'residents'"):
        _run(dict(small, resident_years=ry))


def test_unknown_chome_code_is_rejected(small):
    ry = small["resident_years"].copy()
    last_year = ry.index[ry["fiscal_year"] == ry["fiscal_year"].max()][0]
    ry.loc[last_year, "chome_code"] = "X99"
    with pytest.raises(RuntimeError, match="chome_code"):
        _run(dict(small, resident_years=ry))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("area_code", "3", "area_code"),
        ("area_code", "0749", None),  # another valid area code is accepted
        ("mobile_share_by_age", [0.5], "mobile_share_by_age"),
        ("foreign_origin_weights", {"martian": 1.0}, "foreign_origin_weights"),
        ("given_name_era_weights", {"classic": [1, 1]}, "given_name_era_weights"),
        ("apartment_share", 1.5, "apartment_share"),
    ],
)
def test_bad_profile_figures_fail_with_the_figure_named(small, key, value, message):
    base = load_profile("urban-ward")
    values = dict(base.values, identity=dict(base.values["identity"], **{key: value}))
    ctx = SimContext(Profile(base.name, values, base.sources, base.origin), seed=1, scale=1.0)
    ctx.tables = dict(small)
    if message is None:
        assert len(identity.simulate(ctx)["identities"]) == len(small["residents"])
    else:
        with pytest.raises(ProfileError, match=message):
            identity.simulate(ctx)


def test_categorical_or_string_inputs_give_the_same_table():
    tables = _tables(n_households=300, seed=3)
    years = tables["resident_years"].assign(
        chome_code=lambda f: f["chome_code"].astype("category"),
        relationship=lambda f: f["relationship"].astype(str),
    )
    residents = tables["residents"].assign(
        sex=lambda f: f["sex"].astype(str), nationality=lambda f: f["nationality"].astype(str)
    )
    other = dict(tables, resident_years=years, residents=residents)
    pd.testing.assert_frame_equal(_run(tables), _run(other))


def test_empty_register_gives_an_empty_table():
    tables = {k: v.iloc[0:0] for k, v in _tables(n_households=20).items() if k != "chome"}
    ids = _run(dict(tables, chome=_tables(n_households=20)["chome"]))
    assert ids.empty
    assert list(ids.columns) == [c.column for c in identity.COLUMNS]
