"""Benchmark: the vectorised identity layer against a per-row Faker loop.

Run ``python bench/bench_identity.py`` (or call :func:`run`). Both sides build the same columns
for the same people: resident code, name in kanji and kana (household members share the
surname), birth date, sex, address, postal code (one per chome) and phone number. The input
frames are made here with :func:`make_tables`, so the benchmark does not need population.py.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from faker import Faker

from ebpmkit.synth import identity
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

__all__ = ["faker_baseline", "make_tables", "residents_like", "run"]

_TOWNS = ["桜台", "緑町", "東野", "川辺", "松原", "本町", "青葉台", "宮前"]
_KANJI_NUMBERS = ["一", "二", "三", "四"]


def make_tables(
    n_persons: int = 20_000, seed: int = 0, n_years: int = 3
) -> dict[str, pd.DataFrame]:
    """Hand-made ``residents``, ``resident_years``, ``households`` and ``chome`` frames.

    Households of 1-5 people (head, spouse, children) in 32 chome, about 4% foreign
    households, registered for ``n_years`` fiscal years from FY2015.

    Examples
    --------
    >>> tables = make_tables(500)
    >>> sorted(tables)
    ['chome', 'households', 'resident_years', 'residents']
    """
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3, 4, 5], n_persons, p=[0.45, 0.25, 0.15, 0.12, 0.03])
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n_persons) + 1]
    sizes[-1] -= sizes.sum() - n_persons
    sizes = sizes[sizes > 0]
    n_households = len(sizes)
    household = np.repeat(np.arange(1, n_households + 1), sizes)
    rank = np.arange(n_persons) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    relationship = np.where(rank == 0, "世帯主", np.where(rank == 1, "配偶者", "子"))
    sex = rng.choice(["男性", "女性"], n_persons)
    age = np.where(rank < 2, rng.integers(20, 95, n_persons), rng.integers(0, 30, n_persons))
    days = (age * 365.25).astype(np.int64) + rng.integers(0, 365, n_persons)
    birth = (np.datetime64("2015-04-01") - days.astype("timedelta64[D]")).astype("datetime64[s]")
    nationality = np.where(np.repeat(rng.random(n_households) < 0.04, sizes), "外国", "日本")
    chome = pd.DataFrame(
        {
            "chome_code": [f"C{i:03d}" for i in range(1, 4 * len(_TOWNS) + 1)],
            "chome_name": [f"{t}{k}丁目" for t in _TOWNS for k in _KANJI_NUMBERS],
            "town_name": [t for t in _TOWNS for _ in _KANJI_NUMBERS],
            "area_km2": 0.2,
        }
    )
    hh_chome = chome["chome_code"].to_numpy()[rng.integers(0, len(chome), n_households)]
    households = pd.DataFrame(
        {"household_id": np.arange(1, n_households + 1), "chome_code": hh_chome}
    )
    years = pd.concat(
        [
            pd.DataFrame(
                {
                    "fiscal_year": np.int16(2015 + j),
                    "person_id": np.arange(1, n_persons + 1),
                    "age": (age + j).astype(np.int16),
                    "household_id": household,
                    "relationship": pd.Categorical(relationship),
                    "chome_code": pd.Categorical(hh_chome[household - 1]),
                }
            )
            for j in range(n_years)
        ],
        ignore_index=True,
    )
    residents = pd.DataFrame(
        {
            "person_id": np.arange(1, n_persons + 1),
            "sex": pd.Categorical(sex, categories=["男性", "女性"]),
            "birth_date": birth,
            "nationality": pd.Categorical(nationality, categories=["日本", "外国"]),
        }
    )
    return {
        "residents": residents,
        "resident_years": years,
        "households": households,
        "chome": chome,
    }


def residents_like(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per person with what a per-row generator needs: household and chome of the last year."""
    years = tables["resident_years"]
    last = years[years["fiscal_year"] == years["fiscal_year"].max()]
    frame = tables["residents"].merge(
        last[["person_id", "household_id", "relationship", "chome_code"]],
        on="person_id",
        how="left",
    )
    frame["chome_code"] = frame["chome_code"].astype(str)
    return frame.merge(
        tables["chome"][["chome_code", "chome_name", "town_name"]], on="chome_code", how="left"
    )


def faker_baseline(
    frame: pd.DataFrame, seed: int, municipality: str = "ひばり野区"
) -> pd.DataFrame:
    """The same columns as ``identities``, made the usual way: one Faker call after another per row.

    ``frame`` is the output of :func:`residents_like`.

    Examples
    --------
    >>> out = faker_baseline(residents_like(make_tables(50)), seed=1)
    >>> list(out.columns)[:3]
    ['person_id', 'resident_code', 'name_kanji']
    """
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    surname: dict[int, tuple[str, str]] = {}
    postal: dict[str, str] = {}
    address: dict[int, str] = {}
    codes: set[str] = set()
    rows = []
    for row in frame.itertuples(index=False):
        if row.household_id not in surname:
            if row.nationality == "外国":
                family = fake.last_kana_name()
                surname[row.household_id] = (family, family)
            else:
                kanji, kana, _roman = fake.last_name_pair()
                surname[row.household_id] = (kanji, kana)
        family_kanji, family_kana = surname[row.household_id]
        if row.nationality == "外国":
            given = (
                fake.first_kana_name_female() if row.sex == "女性" else fake.first_kana_name_male()
            )
            name_kanji, name_kana = f"{given}\u3000{family_kanji}", f"{given}\u3000{family_kana}"
        else:
            pair = (
                fake.first_name_female_pair() if row.sex == "女性" else fake.first_name_male_pair()
            )
            name_kanji, name_kana = (
                f"{family_kanji}\u3000{pair[0]}",
                f"{family_kana}\u3000{pair[1]}",
            )
        if row.household_id not in address:
            if fake.random.random() < 0.72:
                number = f"{fake.random_int(1, 30)}-{fake.random_int(1, 30)}-{fake.random_int(1, 12)}0{fake.random_int(1, 8)}"
            else:
                number = f"{fake.random_int(1, 30)}番{fake.random_int(1, 30)}号"
            address[row.household_id] = f"{municipality}{row.chome_name}{number}"
        if row.town_name not in postal:
            postal[row.town_name] = fake.numerify("###-####")
        code = fake.numerify("R#########")
        while code in codes:
            code = fake.numerify("R#########")
        codes.add(code)
        phone = fake.numerify(
            fake.random_element(["090-0###-####", "080-0###-####", "03-0###-####"])
        )
        rows.append(
            (row.person_id, code, name_kanji, name_kana, row.birth_date, row.sex,
             address[row.household_id], postal[row.town_name], phone)
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["person_id", "resident_code", "name_kanji", "name_kana", "birth_date", "sex",
                 "address", "postal_code", "phone"],
    )  # fmt: skip


def _best_of(repeat: int, func) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(n_persons: int = 20_000, seed: int = 1, repeat: int = 3) -> dict[str, float]:
    """Time both generators on ``n_persons`` people and return the figures.

    Returns
    -------
    dict
        ``persons``, ``vectorised_s`` (best of ``repeat``, name tables already built),
        ``vectorised_cold_s`` (first call, building the name tables), ``faker_s``,
        ``speedup`` (faker / vectorised) and ``unique_name_share`` of the vectorised output.

    Examples
    --------
    >>> figures = run(2_000, repeat=1)
    >>> figures["speedup"] > 1
    True
    """
    tables = make_tables(n_persons, seed=seed)
    ctx = SimContext(load_profile("urban-ward"), seed=seed, scale=1.0)
    ctx.tables = tables
    identity._pools.cache_clear()
    start = time.perf_counter()
    identity.simulate(ctx)
    cold = time.perf_counter() - start
    vec_s, out = _best_of(repeat, lambda: identity.simulate(ctx)["identities"])
    flat = residents_like(tables)
    faker_s, _ = _best_of(max(1, repeat // 3), lambda: faker_baseline(flat, seed))
    counts = out["name_kanji"].map(out["name_kanji"].value_counts())
    return {
        "persons": float(n_persons),
        "vectorised_s": vec_s,
        "vectorised_cold_s": cold,
        "faker_s": faker_s,
        "speedup": faker_s / vec_s,
        "unique_name_share": float((counts == 1).mean()),
    }


def main() -> None:
    """Print the figures (goal: at least 30 times faster than the per-row Faker loop)."""
    figures = run()
    print(f"persons:              {figures['persons']:,.0f}")
    print(f"vectorised simulate:  {figures['vectorised_s'] * 1000:8.1f} ms (warm)")
    print(
        f"  first call:         {figures['vectorised_cold_s'] * 1000:8.1f} ms (builds the name tables)"
    )
    print(f"Faker per-row loop:   {figures['faker_s'] * 1000:8.1f} ms")
    print(f"speed-up:             {figures['speedup']:8.1f}x")
    print(f"unique full names:    {figures['unique_name_share']:8.1%}")


if __name__ == "__main__":
    main()
