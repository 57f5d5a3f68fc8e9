"""The designated-city profile: 24 administrative wards, 市 words, the 8:2 levy split."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ebpmkit.synth import generate_tables, validate_profile
from ebpmkit.synth.profile import KIND_WORDS, load_profile

NAME = "designated-city"


@functools.cache
def _generated():
    return generate_tables(
        NAME, seed=3, scale=0.02, only=("geography", "population", "income", "furusato_flows")
    )


def test_loads_validates_and_is_sized_like_a_large_city():
    profile = load_profile(NAME)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_profile(profile)
    assert profile.get("municipality.kind") == "designated-city"
    assert 2_600_000 <= profile.number("population.start") <= 2_800_000
    areas = profile.get("geography.areas")
    assert len(areas) == 24 and len(set(areas)) == 24
    assert all(a.endswith("区") for a in areas)
    assert all(n >= 3 for n in profile.numbers("geography.districts_per_area"))


def test_words_of_a_designated_city():
    words = load_profile(NAME).words
    assert words == KIND_WORDS["designated-city"]
    assert (words.suffix, words.residents, words.resident_tax_local) == ("市", "市民", "市民税")
    assert words.resident_tax == "市町村民税" and words.area_level == "行政区"
    assert load_profile("regional-city").words.area_level == "地区"


def test_small_generation_has_24_wards_with_districts_and_chome():
    tables, _ = _generated()
    ry, districts, chome = tables["resident_years"], tables["districts"], tables["chome"]
    assert ry["area"].nunique() == 24
    assert districts.groupby("area", observed=True).size().min() >= 3
    assert chome.groupby("area", observed=True).size().min() >= 3 * 3
    # about 2% of 2.7 million residents on the first register
    first = ry[ry["fiscal_year"] == ry["fiscal_year"].min()]
    assert 50_000 <= len(first) <= 58_000


def test_generated_levy_and_furusato_loss_follow_the_split():
    tables, _ = _generated()
    it = tables["income_tax"]
    payers = it[it["income_levy"] > 0]
    share = np.where(payers["fiscal_year"] >= 2018, 0.8, 0.6)
    # each part is rounded down to ¥100, so a levy strays a little from the exact share
    assert (np.abs(payers["income_levy_municipal"] - share * payers["income_levy"]) <= 200).all()
    assert (payers["fiscal_year"] < 2018).any() and (payers["fiscal_year"] >= 2018).any()
    fd = tables["furusato_deductions"]
    expect = np.where(fd["fiscal_year"] >= 2018, 0.8, 0.6) * fd["resident_tax_deduction"]
    assert (np.abs(fd["municipal_loss"] - expect) < 1).all()
