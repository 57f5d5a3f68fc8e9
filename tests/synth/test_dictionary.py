"""The data dictionary matches the generated tables exactly, gives each column name one label,
declares the anonymization roles of every table, and says the data is synthetic."""

from __future__ import annotations

from pathlib import Path

from ebpmkit.synth import DOMAINS
from ebpmkit.synth.columns import HOMONYMS, SHARED
from ebpmkit.synth.dictionary import ROLES, SYNTHETIC_NOTE, dictionary_frame, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_every_generated_column_is_described_once(small_tables):
    dictionary = dictionary_frame(DOMAINS)
    assert not dictionary.duplicated(["table", "column"]).any()
    described = {(t, c) for t, c in zip(dictionary["table"], dictionary["column"], strict=True)}
    generated = {(t, c) for t, frame in small_tables.items() for c in frame.columns}
    assert generated - described == set(), "columns without a dictionary row"
    assert described - generated == set(), "dictionary rows for columns that are not generated"


def test_declared_dtypes_match(small_tables):
    dictionary = dictionary_frame(DOMAINS)
    for row in dictionary.itertuples():
        actual = str(small_tables[row.table][row.column].dtype)
        assert actual == row.dtype, (
            f"{row.table}.{row.column}: declared {row.dtype}, generated {actual}"
        )


def test_labels_are_filled_in():
    dictionary = dictionary_frame(DOMAINS)
    for col in ("label_ja", "label_en", "description", "table_description"):
        assert dictionary[col].str.strip().str.len().gt(0).all(), col


def test_a_column_name_has_one_label_in_every_table():
    dictionary = dictionary_frame(DOMAINS)
    labels = dictionary.groupby("column")[["label_ja", "label_en", "unit"]].nunique()
    drifted = labels[labels.gt(1).any(axis=1)].index
    problems = {
        name: sorted(set(zip(rows["table"], rows["label_ja"], rows["label_en"], strict=True)))
        for name, rows in dictionary[dictionary["column"].isin(drifted)].groupby("column")
        if name not in HOMONYMS
    }
    assert not problems, (
        "columns with two labels (declare them once in ebpmkit/synth/columns.py or as a "
        f"SharedColumn in their module): {problems}"
    )
    stale = sorted(set(HOMONYMS) - set(drifted))
    assert not stale, f"HOMONYMS lists columns that now have one label: {stale}"


def test_shared_columns_keep_their_declared_labels():
    dictionary = dictionary_frame(DOMAINS)
    for row in dictionary[dictionary["column"].isin(list(SHARED))].itertuples():
        spec = SHARED[row.column]
        assert (row.label_ja, row.label_en, row.unit) == (
            spec.label_ja,
            spec.label_en,
            spec.unit,
        ), f"{row.table}.{row.column}: declare it with columns.shared(), not a Column of its own"


def test_every_table_declares_the_roles_of_its_columns():
    for module in DOMAINS:
        name = module.__name__
        roles = getattr(module, "ROLES", None)
        assert roles is not None, f"{name} has no ROLES (see ebpmkit.synth.dictionary.ROLES)"
        assert set(roles) == set(module.TABLES), (
            f"{name}: ROLES must list every table of TABLES (an empty dict when no column has "
            f"a role); missing {sorted(set(module.TABLES) - set(roles))}, "
            f"unknown {sorted(set(roles) - set(module.TABLES))}"
        )
        for table, by_role in roles.items():
            columns = {c.column for c in module.COLUMNS if c.table == table}
            assert set(by_role) <= set(ROLES), f"{name}: {table} has unknown roles {by_role}"
            named = [c for cols in by_role.values() for c in cols]
            assert set(named) <= columns, f"{name}: {table} names undeclared columns {named}"
            assert len(named) == len(set(named)), f"{name}: {table} gives a column two roles"


def test_person_and_household_ids_are_pseudonymised_wherever_they_appear():
    for module in DOMAINS:
        for column in module.COLUMNS:
            if column.column in ("person_id", "household_id"):
                ids = module.ROLES[column.table].get("id", ())
                assert column.column in ids, f"{column.table}.{column.column} needs the role 'id'"


def test_committed_readme_is_up_to_date():
    dictionary = dictionary_frame(DOMAINS)
    tables = {t: d for m in DOMAINS for t, d in m.TABLES.items()}
    expected = render_markdown(dictionary, tables) + "\n"
    committed = (ROOT / "synthetic" / "README.md").read_text(encoding="utf-8")
    assert committed == expected, "run `make dictionary` to refresh synthetic/README.md"
    assert SYNTHETIC_NOTE in committed
