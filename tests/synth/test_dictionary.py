"""The data dictionary matches the generated tables exactly, and says the data is synthetic."""

from __future__ import annotations

from pathlib import Path

from ebpmkit.synth import DOMAINS
from ebpmkit.synth.dictionary import SYNTHETIC_NOTE, dictionary_frame, render_markdown

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


def test_committed_readme_is_up_to_date():
    dictionary = dictionary_frame(DOMAINS)
    tables = {t: d for m in DOMAINS for t, d in m.TABLES.items()}
    expected = render_markdown(dictionary, tables) + "\n"
    committed = (ROOT / "synthetic" / "README.md").read_text(encoding="utf-8")
    assert committed == expected, "run `make dictionary` to refresh synthetic/README.md"
    assert SYNTHETIC_NOTE in committed
