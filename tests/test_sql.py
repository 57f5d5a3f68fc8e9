"""Dataset.sql: DuckDB over the cached parquet files gives the same tables as load()."""

from __future__ import annotations

import pandas as pd
import pytest

import ebpmkit
from ebpmkit import dataset, sql
from ebpmkit.errors import ParameterError

SMALL = {"profile": "town", "seed": 3, "scale": 0.02, "progress": False}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EBPMKIT_DATA_DIR", str(folder))
        yield folder


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """The values only, in a canonical row order.

    DuckDB gives its own dtypes (no categories, microsecond times), and a view returns rows in
    no particular order (as SQL does without ORDER BY), so rows are sorted by their text.
    """
    plain = frame.astype(object)
    plain = plain.where(plain.notna(), None)
    key = plain.map(str).agg("\x1f".join, axis=1)
    return plain.iloc[key.argsort(kind="stable").to_numpy()].reset_index(drop=True)


@pytest.mark.parametrize("variant", dataset.VARIANTS)
def test_every_table_as_sql_equals_the_loaded_table(data_dir, variant):
    ds = ebpmkit.load(**SMALL, variant=variant)
    for name, table in ds.tables.items():
        got = ds.sql(f'SELECT * FROM "{name}"')
        assert list(got.columns) == list(table.columns), name
        pd.testing.assert_frame_equal(_values(got), _values(table), check_dtype=False, obj=name)


def test_identifying_layer_has_a_view_only_in_the_raw_variant(data_dir):
    raw = ebpmkit.load(**SMALL, variant="raw", tables=["districts"])
    assert len(raw.sql("SELECT * FROM identities")) > 0
    for variant in dataset.VARIANTS:
        if variant == "raw":
            continue
        ds = ebpmkit.load(**SMALL, variant=variant)
        with pytest.raises(ParameterError, match="identities"):
            ds.sql("SELECT * FROM identities")


def test_grouped_count_matches_pandas_and_works_for_a_subset_load(data_dir):
    whole = ebpmkit.load(**SMALL, variant="pseudonymized")
    expected = (
        whole.resident_years.groupby(["fiscal_year", "district_code"], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    subset = ebpmkit.load(**SMALL, variant="pseudonymized", tables=["districts"])
    assert "resident_years" not in subset.tables
    got = subset.sql(
        "SELECT fiscal_year, district_code, count(*) AS n FROM resident_years "
        "GROUP BY ALL ORDER BY fiscal_year, district_code"
    )
    expected = expected.sort_values(["fiscal_year", "district_code"]).reset_index(drop=True)
    assert got["n"].tolist() == expected["n"].tolist()
    assert got["fiscal_year"].tolist() == expected["fiscal_year"].tolist()
    assert (
        got["district_code"].astype(str).tolist() == expected["district_code"].astype(str).tolist()
    )


def test_pseudonymized_view_shows_pseudonyms_not_raw_ids(data_dir):
    raw = ebpmkit.load(**SMALL, variant="raw", tables=["resident_years"])
    ds = ebpmkit.load(**SMALL, variant="pseudonymized", tables=["districts"])
    ids = ds.sql("SELECT DISTINCT person_id FROM resident_years")["person_id"]
    assert not set(ids) & set(raw.resident_years["person_id"])


def test_memory_limit_and_threads_are_set(data_dir):
    ds = ebpmkit.load(**SMALL, variant="raw", tables=["districts"])
    q = "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t"
    default = ds.sql(q).iloc[0]
    assert int(default["t"]) == sql.DEFAULT_THREADS
    # DuckDB reports the limit in MiB: 500 MB is 476.8 MiB.
    mib = float(default["m"].split()[0])
    assert mib == pytest.approx(float(sql.DEFAULT_MEMORY_LIMIT.removesuffix("MB")) / 1.048576, 0.01)
    small = ds.sql(q, memory_limit="200MB", threads=1).iloc[0]
    assert float(small["m"].split()[0]) == pytest.approx(200 / 1.048576, 0.01)
    assert int(small["t"]) == 1


def test_bad_query_is_japanese_and_names_the_tables(data_dir):
    ds = ebpmkit.load(**SMALL, variant="raw", tables=["districts"])
    with pytest.raises(ParameterError) as err:
        ds.sql("SELECT * FROM resident_year")
    first, english = str(err.value).splitlines()[:2]
    assert "query" in first and "実行できませんでした" in first
    assert "resident_years" in first and "households" in first
    assert "resident_year" in english


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"query": 3}, "query"),
        ({"query": "  "}, "query"),
        ({"query": "SELECT 1", "memory_limit": "lots"}, "memory_limit"),
        ({"query": "SELECT 1", "memory_limit": 500}, "memory_limit"),
        ({"query": "SELECT 1", "threads": 0}, "threads"),
        ({"query": "SELECT 1", "threads": 1.5}, "threads"),
    ],
)
def test_bad_arguments_name_the_parameter(data_dir, kwargs, parameter):
    ds = ebpmkit.load(**SMALL, variant="raw", tables=["districts"])
    with pytest.raises(ParameterError, match=parameter):
        ds.sql(**kwargs)


def test_dataset_without_a_cache_folder_says_so(data_dir):
    ds = ebpmkit.load(**SMALL, variant="raw", tables=["districts"])
    by_hand = dataset.Dataset(ds.tables, ds.dictionary, ds.profile, 3, 0.02, "raw")
    with pytest.raises(ParameterError, match="load"):
        by_hand.sql("SELECT 1")
