"""Columns that tables of several domain modules share, declared once.

A column name means one thing and has one label wherever it appears: ``district_code`` is the
住区コード in every table, never 地区コード (住区 is the district level of the fictional map,
地区 the area level above it). A domain module takes such a column with :func:`shared`, giving
the table and, where the table needs it, its own description or dtype; labels and units come
from here. Columns repeated only inside one module (``merchant_id`` in the voucher tables) are
declared there, as a :class:`SharedColumn` constant beside ``COLUMNS``.

``tests/synth/test_dictionary.py`` fails when a column name has two labels anywhere in the data
dictionary, except for the names in :data:`HOMONYMS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebpmkit.errors import ParameterError
from ebpmkit.messages import message
from ebpmkit.synth.dictionary import Column

__all__ = ["HOMONYMS", "SHARED", "SharedColumn", "person_year_columns", "shared"]


@dataclass(frozen=True)
class SharedColumn:
    """A column declared once and placed in several tables with :meth:`at`.

    Examples
    --------
    >>> SHARED["district_code"].at("nhi", "住区のコード").label_ja
    '住区コード'
    """

    column: str
    dtype: str
    label_ja: str
    label_en: str
    unit: str = ""
    description: str = ""

    def at(self, table: str, description: str | None = None, *, dtype: str | None = None) -> Column:
        """This column in ``table``, with the table's own description or dtype if given."""
        return Column(
            table,
            self.column,
            self.dtype if dtype is None else dtype,
            self.label_ja,
            self.label_en,
            self.unit,
            self.description if description is None else description,
        )


#: The columns tables of several domain modules share: time, people, households, places.
SHARED: dict[str, SharedColumn] = {
    c.column: c
    for c in (
        SharedColumn("fiscal_year", "int16", "年度", "fiscal year", "年度"),
        SharedColumn("person_id", "int64", "個人ID", "person ID"),
        SharedColumn("household_id", "int64", "世帯ID", "household ID"),
        SharedColumn("age", "int16", "年齢", "age", "歳"),
        SharedColumn("sex", "category", "性別", "sex", "", "男性・女性"),
        SharedColumn("birth_date", "datetime64[s]", "生年月日", "date of birth"),
        SharedColumn("nationality", "category", "国籍", "nationality", "", "日本・外国"),
        SharedColumn("chome_code", "category", "町丁コード", "chome code"),
        SharedColumn("district_code", "category", "住区コード", "district code"),
        SharedColumn("area", "category", "地区", "area"),
    )
}

#: Column names that mean different things in different tables and so keep a label per table.
#: Charts look labels up by column name alone, so each entry here is a chart label that can be
#: wrong for one of its tables; renaming the column is the fix (a change of the data).
HOMONYMS: dict[str, str] = {
    "premium": "nhi: 国保の保険料(年額); voucher_purchases: 商品券のプレミアム額",
}


def shared(
    column: str, table: str, description: str | None = None, *, dtype: str | None = None
) -> Column:
    """The shared column ``column`` in ``table`` (see :data:`SHARED`).

    Examples
    --------
    >>> shared("fiscal_year", "nhi", "4月1日時点で国保に加入している年度").label_ja
    '年度'
    """
    if column not in SHARED:
        known = ", ".join(SHARED)
        raise ParameterError(message("synth.unknown_shared_column", column=column, known=known))
    return SHARED[column].at(table, description, dtype=dtype)


def person_year_columns(table: str, *, year: str, age: str) -> list[Column]:
    """The first columns of a table with one row per resident and fiscal year (nhi, ltc).

    ``year`` and ``age`` describe what the year and the age mean in ``table``; person,
    household, sex and district are the same in every such table.

    Examples
    --------
    >>> [c.column for c in person_year_columns("ltc", year="認定の年度", age="年齢")][:3]
    ['fiscal_year', 'person_id', 'household_id']
    """
    return [
        shared("fiscal_year", table, year),
        shared("person_id", table, "住民を識別する番号(residents と結合可)"),
        shared("household_id", table, "その年度4月1日時点の世帯"),
        shared("age", table, age),
        shared("sex", table),
        shared("district_code", table, "その年度4月1日時点の住所の住区"),
    ]
