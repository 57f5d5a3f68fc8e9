"""The release-safe variant (匿名加工情報): k over the combined quasi-identifiers, no linking
codes, no raw identifier; on every built-in profile at scale 0.05 and at full scale.

The full-scale cases are marked ``full_scale``; they run in the normal suite (about a minute
for the three profiles on two cores, most of it generating the data once per session).
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from pycanon.anonymity import k_anonymity as pycanon_k

import ebpmkit
from ebpmkit import anonymize as A
from ebpmkit import release as R
from ebpmkit.errors import ParameterError

# pycanon groups by a one-element list, which pandas 3 warns about; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:In a future version, the keys of `groups`")

CASES = [
    pytest.param(p, s, id=f"{p}-{s:g}", marks=[pytest.mark.full_scale] if s == 1.0 else [])
    for p in ebpmkit.builtin_profiles()
    for s in (0.05, 1.0)
]
#: What the brief asks k over: birth year, sex, nationality, the address kept and the move-in.
CORE = ["birth_year", "sex", "nationality", "district_code", "entry_year"]


@functools.cache
def loaded(profile: str, scale: float, variant: str, tables: tuple[str, ...] | None = None):
    return ebpmkit.load(
        profile, scale=scale, variant=variant, progress=False, tables=list(tables or []) or None
    )


def smallest_class(frame: pd.DataFrame, qi: list[str]) -> int:
    """The smallest class, counted here with plain pandas (missing is one more value)."""
    return int(frame.groupby(qi, dropna=False, observed=True).size().min())


@pytest.mark.parametrize(("profile", "scale"), CASES)
def test_release_reaches_the_policy_k(profile, scale):
    anon = loaded(profile, scale, "anonymized")
    people = anon.residents
    k = R.RELEASE_POLICY.k
    assert len(people) > 0
    assert smallest_class(people, CORE) >= k
    qi = list(R.RELEASE_POLICY.quasi_identifiers)
    assert smallest_class(people, qi) >= k
    assert A.k_anonymity(people, qi) >= k
    prepared = A.with_missing_category(people, CORE).reset_index(drop=True)
    assert pycanon_k(prepared, CORE) >= k
    print(
        f"{profile} scale {scale:g}: {len(people):,} people released, k over {CORE} = "
        f"{smallest_class(people, CORE)}, over all {len(qi)} = {smallest_class(people, qi)}"
    )


@pytest.mark.parametrize(("profile", "scale"), CASES)
def test_release_holds_no_linking_code_and_no_raw_identifier(profile, scale):
    anon = loaded(profile, scale, "anonymized")
    raw = loaded(profile, scale, "raw", ("identities", "residents"))
    assert set(anon.tables) == set(R.RELEASED_TABLES)
    secret_cols = ["name_kanji", "name_kana", "address", "phone", "resident_code", "postal_code"]
    secrets_ = {str(v) for c in secret_cols for v in raw.identities[c].dropna().unique()}
    n_ids = raw.residents["person_id"].nunique()
    for name, frame in anon.tables.items():
        assert not {"person_id", "household_id"} & set(frame.columns), name
        for col in frame.columns:
            values = {str(v) for v in frame[col].dropna().unique()}
            assert not values & secrets_, f"{name}.{col} holds a raw identifier"
            if pd.api.types.is_integer_dtype(frame[col].dtype):
                # A column that could carry raw person ids would have about as many values.
                assert frame[col].nunique() < 0.01 * n_ids, f"{name}.{col}"
    # birth dates, move dates and chome are not released at their raw precision
    assert not {"birth_date", "entry_date", "exit_date", "chome_code"} & set(anon.residents)
    years = anon.residents["birth_year"].dropna()
    w = R.RELEASE_POLICY.birth_year_width
    assert ((years - R.RELEASE_POLICY.birth_year_bottom) % w == 0).all()


def test_the_report_states_the_risk_before_and_after_each_step_and_its_rule():
    raw = loaded("town", 0.05, "raw")
    tables, report = R.release(raw)
    steps = report.steps
    # Each step starts where the previous one ended.
    assert (
        steps["処理前の一意な割合"].iloc[1:].to_numpy()
        == steps["処理後の一意な割合"].iloc[:-1].to_numpy()
    ).all()
    assert steps["処理前の一意な割合"].iloc[0] == 1.0 and steps["処理前の k"].iloc[0] == 1
    assert steps["処理後の一意な割合"].iloc[-1] == 0.0
    assert (
        report.k_reached
        == smallest_class(tables["residents"], list(R.RELEASE_POLICY.quasi_identifiers))
        >= R.RELEASE_POLICY.k
    )
    # Every rule of 第62条・第34条 as domain-facts.md lists them is served by a step.
    assert set(steps["対応する基準"]) == set(R.RULES.values())
    text = report.summary()
    assert "第62条" in text and "第34条" in text and f"k = {R.RELEASE_POLICY.k}" in text
    # The release of load() is the same as release() on the raw variant.
    anon = loaded("town", 0.05, "anonymized")
    pd.testing.assert_frame_equal(anon.residents, tables["residents"])


def test_a_stricter_policy_gives_larger_classes():
    raw = loaded("town", 0.05, "raw")
    strict = R.ReleasePolicy(k=10, birth_year_width=10)
    tables, report = R.release(raw, strict)
    assert report.k_reached >= 10
    assert smallest_class(tables["residents"], list(strict.quasi_identifiers)) >= 10


@pytest.mark.parametrize(
    "bad", [{"k": 0}, {"birth_year_width": 1.5}, {"quasi_identifiers": ("name",)}]
)
def test_bad_policies_are_refused(bad):
    with pytest.raises(ParameterError) as err:
        R.ReleasePolicy(**bad)
    assert "ReleasePolicy" in str(err.value).splitlines()[0]


def test_pseudonymized_is_the_default_and_links_tables():
    ds = loaded("town", 0.05, "pseudonymized")
    assert ebpmkit.load("town", scale=0.05, progress=False, tables=["residents"]).variant == (
        "pseudonymized"
    )
    assert ds.resident_years["person_id"].isin(ds.residents["person_id"]).all()
