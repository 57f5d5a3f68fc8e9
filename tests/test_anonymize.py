"""anonymize: pseudonyms, generalization, k-anonymity/l-diversity against pycanon, the anonymized
variant on real generated data, small-cell suppression solved as a linear system, bad input."""

from __future__ import annotations

import hashlib
import hmac
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pycanon.anonymity import k_anonymity as pycanon_k
from pycanon.anonymity import l_diversity as pycanon_l

import ebpmkit
from ebpmkit import anonymize as A
from ebpmkit.errors import ParameterError
from ebpmkit.synth import DOMAINS
from ebpmkit.synth.dictionary import declared_roles
from ebpmkit.synth.digest import dataset_digests

# pycanon groups by a one-element list, which pandas 3 warns about; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:In a future version, the keys of `groups`")

SMALL = {"profile": "town", "seed": 3, "scale": 0.02, "progress": False}


@pytest.fixture(scope="module")
def raw():
    return ebpmkit.load(**SMALL, variant="raw")


@pytest.fixture(scope="module")
def anon():
    return ebpmkit.load(**SMALL)


def random_frame(seed: int, n: int = 400) -> pd.DataFrame:
    """Quasi-identifiers of several dtypes, each with missing values."""
    rng = np.random.default_rng(seed)
    sex = pd.Categorical(rng.choice(["男性", "女性"], n))
    age = rng.integers(0, 6, n).astype(float)
    district = rng.choice(["D01", "D02", "D03"], n).astype(object)
    level = rng.choice(["要支援1", "要介護1", "要介護3"], n).astype(object)
    age[rng.random(n) < 0.05] = np.nan
    district[rng.random(n) < 0.05] = None
    level[rng.random(n) < 0.05] = None
    sex[rng.random(n) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "sex": sex,
            "age": age,
            "district": pd.array(district, dtype="str"),
            "level": pd.array(level, dtype="str"),
        }
    )


# --------------------------------------------------------------------------------------------
# k and l agree with pycanon, missing values included
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "qi", [["sex"], ["sex", "age"], ["sex", "age", "district"], ["district", "age"]]
)
def test_k_and_l_agree_with_pycanon_including_missing_values(seed, qi):
    df = random_frame(seed, n=60 + 70 * seed)
    assert df[qi].isna().any().any()
    # pycanon drops NaN groups; the module's rule (missing is its own category "欠損") is made
    # explicit with with_missing_category, and then both must agree.
    prepared = A.with_missing_category(df, list(df.columns)).reset_index(drop=True)
    assert A.k_anonymity(df, qi) == pycanon_k(prepared, qi)
    assert A.l_diversity(df, qi, "level") == pycanon_l(prepared, qi, ["level"])
    for other in [c for c in ("district", "sex", "age") if c not in qi][:1]:
        assert A.l_diversity(df, qi, ["level", other]) == pycanon_l(prepared, qi, ["level", other])


def test_missing_values_match_only_missing_values():
    df = pd.DataFrame({"sex": ["男性", None, None, "女性"], "age": [30, 30, 30, 30]})
    classes = A.equivalence_classes(df, ["sex", "age"], k=2)
    assert sorted(classes["件数"]) == [1, 1, 2]
    assert A.k_anonymity(df, ["sex", "age"]) == 1
    at_risk = A.records_at_risk(df, ["sex", "age"], k=2)
    assert at_risk["sex"].tolist() == ["男性", "女性"]


def test_assess_reports_classes_and_records_at_risk():
    df = random_frame(1)
    r = A.assess(df, ["sex", "age", "district"], k=5, sensitive="level")
    sizes = df.groupby(["sex", "age", "district"], dropna=False, observed=True).size()
    assert r.k == sizes.min() and len(r.classes) == len(sizes)
    assert r.records_at_risk == int(sizes[sizes < 5].sum())
    assert r.l == A.l_diversity(df, ["sex", "age", "district"], "level")
    assert "k =" in r.summary() and "欠損" in r.summary() and "<ul>" in r._repr_html_()


@pytest.mark.parametrize("seed", range(4))
def test_enforce_k_reaches_k_and_keeps_safe_classes(seed):
    df = random_frame(seed, n=300)
    qi = ["sex", "age", "district"]
    out, log = A.enforce_k(df, qi, k=4, order=["district", "sex"])
    assert A.k_anonymity(out, qi) >= 4 and log["k"] >= 4
    prepared = A.with_missing_category(out, qi).reset_index(drop=True)
    assert pycanon_k(prepared, qi) == log["k"]
    # age is not in the suppression order, so it is never blanked
    assert out["age"].isna().sum() == df.loc[out.index, "age"].isna().sum()
    assert log["at_risk_before"] == len(A.records_at_risk(df, qi, k=4))


# --------------------------------------------------------------------------------------------
# Pseudonyms and generalization
# --------------------------------------------------------------------------------------------
def test_pseudonyms_are_hmac_sha256_consistent_and_keyed():
    key = b"k" * 32
    ids = np.array([5, 1, 5, 99])
    got = A.pseudonym_values(ids, key, "person_id")
    digest = hmac.digest(key, b"person_id:" + (5).to_bytes(8, "big"), hashlib.sha256)
    expected = (int.from_bytes(digest[:8], "big") >> 2) | (1 << 62)
    assert got[0] == got[2] == expected
    assert len(set(got)) == 3 and (got >= 2**62).all()
    assert not set(got) & set(A.pseudonym_values(ids, key, "household_id"))
    assert not set(got) & set(A.pseudonym_values(ids, b"x" * 32, "person_id"))
    frame, generated = A.pseudonymize(pd.DataFrame({"person_id": ids}), "person_id")
    assert len(generated) == 32 and frame["person_id"].nunique() == 3
    again, same = A.pseudonymize(pd.DataFrame({"person_id": ids}), ["person_id"], key=generated)
    assert same == generated and again.equals(frame)


def test_pseudonyms_hashed_in_worker_processes_equal_those_hashed_here(monkeypatch):
    key = b"k" * 32
    ids = np.unique(np.random.default_rng(3).integers(0, 2**40, 5_000))
    here = A._hmac_ids(ids, key, "person_id", workers=1)
    started = []
    real = A._hmac_in_processes

    def spy(*args):
        result = real(*args)
        started.append((args[-1], result is not None))  # workers asked for, and they ran
        return result

    monkeypatch.setattr(A, "_hmac_in_processes", spy)
    assert np.array_equal(A._hmac_ids(ids, key, "person_id", workers=3), here)
    assert started == [(3, True)]
    # a single id, or a place where no process can start, hashes here with the same result
    monkeypatch.setattr(A, "_hmac_in_processes", lambda *args: None)
    assert np.array_equal(A._hmac_ids(ids, key, "person_id", workers=2), here)
    expected = hmac.digest(key, b"person_id:" + int(ids[0]).to_bytes(8, "big"), hashlib.sha256)
    assert here[0] == (int.from_bytes(expected[:8], "big") >> 2) | (1 << 62)


def test_generalization_and_coding():
    assert list(A.age_band([0, 4, 5, 99, 100, 120])) == [
        "0〜4歳",
        "0〜4歳",
        "5〜9歳",
        "95〜99歳",
        "100歳以上",
        "100歳以上",
    ]
    assert A.age_band([1, np.nan]).isna().tolist() == [False, True]
    bands = A.income_band([50_000, 1_000_000, 25_000_000])
    assert list(bands) == ["100万円未満", "100万〜200万円未満", "2,000万円以上"]
    assert bands.ordered
    ages = pd.Series([35, 100, 104], dtype="int16")
    assert A.top_code(ages, 100).tolist() == [35, 100, 100]
    assert A.top_code(ages, 100).dtype == "int16"
    assert A.top_code(ages, 100, label="100歳以上").tolist() == ["35", "100歳以上", "100歳以上"]
    assert A.bottom_code(pd.Series([-5, 3]), 0).tolist() == [0, 3]
    dates = pd.Series(pd.to_datetime(["1909-05-02", "1980-07-21", None]))
    assert A.bottom_code(dates, "1915-01-01").dt.year.tolist()[:2] == [1915, 1980]
    coarse = A.coarsen_date(dates, "Y")
    assert coarse.dt.strftime("%Y-%m-%d").tolist()[:2] == ["1909-01-01", "1980-01-01"]
    assert coarse.isna().tolist() == [False, False, True]
    ids = pd.DataFrame({"person_id": [1], "name_kanji": ["山田　花子"], "phone": ["090"]})
    assert list(A.drop_identifiers(ids).columns) == ["person_id"]


# --------------------------------------------------------------------------------------------
# Policies built from the roles the domain modules declare
# --------------------------------------------------------------------------------------------
def test_built_in_policies_follow_the_declared_roles():
    direct = declared_roles(DOMAINS, "direct")
    assert A.DIRECT_IDENTIFIERS == tuple(c for cols in direct.values() for c in cols)
    for policy in (A.DEFAULT_POLICY, A.PUBLICATION_POLICY):
        assert policy.drop_tables == tuple(direct) == ("identities",)
        assert policy.pseudonym_columns == ("person_id", "household_id")
        assert policy.quasi_identifiers["residents"] == ("birth_date", "sex", "nationality")
    assert dict(A.DEFAULT_POLICY.quasi_identifiers) == {
        t: c for t, c in declared_roles(DOMAINS, "quasi").items() if t != "identities"
    }
    assert A.PUBLICATION_POLICY.quasi_identifiers["resident_years"] == (
        *declared_roles(DOMAINS, "quasi")["resident_years"],
        "district_code",
    )


def test_a_new_table_is_anonymized_as_its_module_declares(monkeypatch):
    clinic = SimpleNamespace(
        TABLES={"clinic_visits": "架空の受診記録", "clinic_staff": "架空の職員名簿"},
        ROLES={
            "clinic_visits": {
                "id": ("patient_id", "person_id"),
                "quasi": ("age", "sex"),
                "sensitive": ("diagnosis",),
            },
            "clinic_staff": {"direct": ("staff_name",)},
        },
    )
    monkeypatch.setattr(A, "DOMAINS", [*DOMAINS, clinic])
    policy = A._declared_policy("test", k=2)
    assert "clinic_staff" in policy.drop_tables
    assert policy.pseudonym_columns[-1] == "patient_id"
    assert policy.quasi_identifiers["clinic_visits"] == ("age", "sex")
    assert policy.sensitive == {"clinic_visits": ("diagnosis",)}


# --------------------------------------------------------------------------------------------
# The pseudonymized variant (the default) on real generated data
# --------------------------------------------------------------------------------------------
def test_anonymized_variant_reaches_k_of_its_policy(anon):
    policy = A.DEFAULT_POLICY
    assert policy.quasi_identifiers
    for table, qi in policy.quasi_identifiers.items():
        frame = anon.tables[table]
        assert A.k_anonymity(frame, list(qi)) >= policy.k
        prepared = A.with_missing_category(frame, list(qi)).reset_index(drop=True)
        assert pycanon_k(prepared, list(qi)) >= policy.k


def test_anonymized_variant_has_no_direct_identifier_of_the_raw_variant(raw, anon):
    assert "identities" not in anon.tables
    ident = raw.identities
    secrets_ = set()
    for col in ("name_kanji", "name_kana", "address", "phone", "resident_code", "postal_code"):
        secrets_ |= set(ident[col].dropna())
    values = set()
    for frame in anon.tables.values():
        for col in frame.columns:
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype):
                values |= set(frame[col].dropna().astype(str))
            elif isinstance(frame[col].dtype, pd.CategoricalDtype):
                values |= set(frame[col].cat.categories.astype(str))
    assert not values & secrets_
    exact = set(raw.residents["birth_date"][raw.residents["birth_date"].dt.day_of_year != 1])
    # birth dates are on the register and on the births event; other dates are events
    birth_columns = [
        (t, c)
        for t, f in anon.tables.items()
        for c in f.columns
        if "birth" in c and pd.api.types.is_datetime64_any_dtype(f[c])
    ]
    assert sorted(birth_columns) == [("births", "birth_date"), ("residents", "birth_date")]
    for table, col in birth_columns:
        published = set(anon.tables[table][col].dropna())
        assert exact and published and not published & exact, table
    for col in ("person_id", "household_id"):
        raw_ids = {v for f in raw.tables.values() if col in f.columns for v in f[col]}
        anon_ids = {v for f in anon.tables.values() if col in f.columns for v in f[col]}
        assert raw_ids and anon_ids and not raw_ids & anon_ids


def test_joins_still_work_after_pseudonymisation(raw, anon):
    for table in ("income_tax", "nhi", "ltc", "furusato_outflow"):
        joined_raw = raw.tables[table].merge(raw.residents[["person_id"]], on="person_id")
        joined = anon.tables[table].merge(anon.residents[["person_id"]], on="person_id")
        assert len(joined) == len(joined_raw) == len(anon.tables[table])
    hh = anon.resident_years.merge(anon.households[["household_id"]], on="household_id")
    assert len(hh) == len(anon.resident_years)


def test_cached_variant_equals_the_pipeline_with_the_training_key(raw, anon):
    out, report = A.anonymize(raw, A.DEFAULT_POLICY, key=A.training_key(SMALL["seed"]))
    assert out.variant == "pseudonymized" and set(out.dictionary["table"]) == set(out.tables)
    assert dataset_digests(out.tables) == dataset_digests(anon.tables)
    assert report.ok and not report.key_generated
    text = report.summary()
    assert "k = 3" in text and "達成" in text and "HMAC" in text
    assert report.key.hex() not in text + repr(report) + report._repr_html_()
    assert "key" not in report.to_dict()


def test_publication_policy_generalizes_and_reaches_its_k(raw):
    out, report = A.anonymize(raw, A.PUBLICATION_POLICY)
    assert report.key_generated and len(report.key) == 32
    ry = out.resident_years
    assert isinstance(ry["age"].dtype, pd.CategoricalDtype) and "chome_code" not in ry
    for table, qi in A.PUBLICATION_POLICY.quasi_identifiers.items():
        assert A.k_anonymity(out.tables[table], list(qi)) >= 5
    assert report.ok


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------
def determined_cells(published: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """Which suppressed cells the published cells and the additivity equations pin down."""
    r, c = published.shape
    cell = np.arange(r * c).reshape(r, c)
    eqs = []
    for i in range(r):
        eq = np.zeros(r * c)
        eq[cell[i, :-1]], eq[cell[i, -1]] = 1, -1
        eqs.append(eq)
    for j in range(c):
        eq = np.zeros(r * c)
        eq[cell[:-1, j]], eq[cell[-1, j]] = 1, -1
        eqs.append(eq)
    a = np.array(eqs)[:, suppressed.ravel()]
    rank = np.linalg.matrix_rank(a)
    out = []
    for i in range(a.shape[1]):
        unit = np.zeros(a.shape[1])
        unit[i] = 1
        out.append(np.linalg.matrix_rank(np.vstack([a, unit])) == rank)
    return np.array(out, dtype=bool)


def random_table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r, c = rng.integers(2, 8), rng.integers(2, 7)
    values = rng.poisson(rng.choice([2.0, 6.0, 20.0]), size=(r, c))
    values[rng.random((r, c)) < 0.15] = 0
    return pd.DataFrame(
        values, index=[f"D{i:02d}" for i in range(r)], columns=[f"{j}区分" for j in range(c)]
    )


@pytest.mark.parametrize("threshold", [3, 5])
@pytest.mark.parametrize("seed", range(25))
def test_no_small_cell_is_published_or_recoverable(seed, threshold):
    table = random_table(seed)
    res = A.suppress_small_cells(table, threshold=threshold)
    counts = res.counts.to_numpy()
    sup = res.suppressed.to_numpy()
    # margins are the true sums
    assert (counts[:-1, -1] == table.sum(axis=1)).all() and counts[-1, -1] == table.to_numpy().sum()
    # no published cell (margins included) is below the threshold, zeros aside
    published = counts[~sup]
    assert not ((published > 0) & (published < threshold)).any()
    # every row and column line with a suppressed cell has at least two
    for line in [*sup, *sup.T]:
        assert line.sum() != 1
    # and solving published cells + margins as a linear system determines none of them
    if sup.any():
        assert not determined_cells(counts, sup).any()
        # a least-squares solution exists but the suppressed values are not unique
        assert res.published.isna().to_numpy().sum() == sup.sum()


def test_secondary_suppression_takes_the_smallest_complement():
    table = pd.DataFrame(
        {"a": [10, 1, 8], "b": [12, 9, 7], "c": [30, 40, 6]}, index=["D01", "D02", "D03"]
    )
    res = A.suppress_small_cells(table)
    assert res.primary.loc["D02", "a"] and not res.primary.loc["D02", "b"]
    assert res.suppressed.loc["D02", "b"]  # 9 is the smallest other cell in row D02
    assert res.suppressed.loc["D03", "a"] or res.suppressed.loc["D01", "a"]
    display = res.to_display()
    assert (
        display.loc["D02", "a"] == "X"
        and display.loc["合計", "合計"] == f"{table.to_numpy().sum():,}"
    )
    assert "二次秘匿" in res.summary() and "<table" in res._repr_html_()


def test_a_margin_with_a_single_suppressed_cell_is_not_published():
    # Column "b" total is 2: suppressed as a primary cell; its line (the total row) needs a second.
    table = pd.DataFrame({"a": [5, 7], "b": [1, 1], "c": [9, 4]}, index=["x", "y"])
    res = A.suppress_small_cells(table)
    assert res.primary.loc["合計", "b"]
    assert res.suppressed.loc["合計"].sum() >= 2
    assert not determined_cells(res.counts.to_numpy(), res.suppressed.to_numpy()).any()


def test_no_suppression_needed_publishes_everything():
    table = pd.DataFrame({"a": [5, 0], "b": [7, 9]})
    res = A.suppress_small_cells(table)
    assert not res.suppressed.to_numpy().any()
    assert res.published.loc[1, "a"] == 0


# --------------------------------------------------------------------------------------------
# Bad input: clear ParameterError, Japanese first then English
# --------------------------------------------------------------------------------------------
def assert_bilingual(err: pytest.ExceptionInfo, *needles: str) -> None:
    first, second = str(err.value).splitlines()[:2]
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in first)
    assert second.startswith(("The ", "Two ")), second
    for needle in needles:
        assert needle in str(err.value)


def test_quasi_identifier_not_in_frame_lists_the_columns():
    df = random_frame(0)
    with pytest.raises(ParameterError) as err:
        A.k_anonymity(df, ["sex", "年齢"])
    assert_bilingual(err, "'年齢'", "使える列: sex, age, district, level", "The data has these")
    with pytest.raises(ParameterError) as err:
        A.l_diversity(df, ["sex"], "income")
    assert_bilingual(err, "'income'", "sensitive")
    with pytest.raises(ParameterError) as err:
        A.pseudonymize(df, "person_id")
    assert_bilingual(err, "'person_id'", "district")
    with pytest.raises(ParameterError) as err:
        A.drop_identifiers(df, ["phone"])
    assert_bilingual(err, "'phone'")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_k_and_threshold_must_be_integers_of_at_least_one(bad):
    df = random_frame(0)
    with pytest.raises(ParameterError) as err:
        A.records_at_risk(df, ["sex"], k=bad)
    assert_bilingual(err, "'k'")
    with pytest.raises(ParameterError) as err:
        A.assess(df, ["sex"], k=bad)
    assert_bilingual(err, "'k'")
    with pytest.raises(ParameterError) as err:
        A.suppress_small_cells(random_table(0), threshold=bad)
    assert_bilingual(err, "'threshold'")
    with pytest.raises(ParameterError) as err:
        A.Policy(k=bad)
    assert_bilingual(err, "'k'")


def test_bad_tables_policies_and_keys(raw):
    with pytest.raises(ParameterError) as err:
        A.suppress_small_cells(pd.DataFrame({"a": [1.5, 2]}))
    assert_bilingual(err, "table")
    with pytest.raises(ParameterError) as err:
        A.anonymize(raw, A.Policy(quasi_identifiers={"residents": ("age",)}))
    assert_bilingual(err, "'age'", "birth_date")
    with pytest.raises(ParameterError) as err:
        A.anonymize(raw, A.Policy(quasi_identifiers={"people": ("age",)}))
    assert_bilingual(err, "people", "resident_years")
    with pytest.raises(ParameterError) as err:
        A.Policy(quasi_identifiers={"t": ("a",)}, suppression_order={"t": ("b",)})
    assert_bilingual(err, "'b'")
    with pytest.raises(ParameterError) as err:
        A.pseudonym_values([1, 2], b"short", "person_id")
    assert_bilingual(err, "'key'")
    with pytest.raises(ParameterError) as err:
        A.anonymize(raw, "strict")
    assert_bilingual(err, "'policy'")
    with pytest.raises(ParameterError) as err:
        A.k_anonymity(random_frame(0).iloc[:0], ["sex"])
    assert_bilingual(err)
