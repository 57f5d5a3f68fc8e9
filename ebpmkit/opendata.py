"""Open data: population tables in the layout of the standard open data set for municipalities.

`write_opendata` aggregates the register (``resident_years``, the 1 April register of each
fiscal year) into the dataset 「地域・年齢別人口」 of the Digital Agency's 自治体標準オープンデータセット
(population by area, 5-year age band and sex, with 総人口, 男性, 女性 and 世帯数), once by chome
(町丁) and once by district (住区), for every reference date. Small cells are suppressed by
:func:`ebpmkit.anonymize.suppress_small_cells` with the table's own margins declared, so no
suppressed cell can be calculated back from a published total; `check_opendata` (and
``ebpmkit opendata --check``) verifies a written folder.

Every file describes a fictional municipality: the note ``README.md`` beside the CSV files says
so, and so does the 備考 column of every row; the CSV header is the standard's, unchanged.

Decisions and assumptions (the standard's definition book was not available while this was
written; check :data:`HEADER` against its current edition before publishing real data):

- **Header.** :data:`HEADER` follows files published in the standard's current layout for
  「地域・年齢別人口」: 全国地方公共団体コード, 地域コード, 地方公共団体名, 調査年月日, 地域名, 総人口, 男性, 女性,
  then ``<band>の男性`` and ``<band>の女性`` for 0-4歳 ... 80-84歳 and 85歳以上, then 世帯数 and 備考.
  (The earlier 推奨データセット began with 都道府県コード又は市区町村コード, 都道府県名 and 市区町村名; some
  publishers extend the bands to 100歳以上.)
- **Encoding.** UTF-8 without a byte-order mark, CRLF line ends (RFC 4180), one header row.
  Whether the standard asks for a BOM was not confirmed; without one, the first column name is
  exactly 全国地方公共団体コード for every CSV reader.
- **全国地方公共団体コード.** A fictional municipality has no real code. :func:`fictional_code` makes
  a six-digit code whose first two digits are 99: prefecture codes run from 01 to 47, so the code
  can never name a real municipality. Its last digit is 0, not a computed check digit.
- **地方公共団体名** is the profile's fictional name; **地域名** of the row for the whole
  municipality is that name and its 地域コード is empty. 地域コード of a chome is its district code
  and chome code (``D01-C001``), so a reader can add chome up to districts.
- **調査年月日** is 1 April of each fiscal year, written ``YYYY-MM-DD``.
- **Suppression.** A cell of 1 to ``threshold - 1`` (default 10: assumption, a threshold often
  used for small-area tables; domain-facts.md names no number for open data) is suppressed, and
  further cells so that none can be recovered from the published sums (secondary suppression).
  Zeros are published, as official statistics publish empty cells. A suppressed cell is an
  empty field: Japanese statistical tables print 「X」 for a concealed figure, but a machine-
  readable numeric column must hold numbers only, and the standard's files leave a field empty
  when there is no value. The 備考 of such a row says that blanks are suppressed cells.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ebpmkit._atomic import write_text_atomic
from ebpmkit.anonymize import Margins, SuppressedTable, recoverable_cells, suppress_small_cells
from ebpmkit.errors import ParameterError
from ebpmkit.messages import Message, message

__all__ = [
    "COUNT_COLUMNS",
    "DEFAULT_THRESHOLD",
    "HEADER",
    "OpenDataCheck",
    "OpenDataExport",
    "check_opendata",
    "fictional_code",
    "write_opendata",
]

#: Cells from 1 to DEFAULT_THRESHOLD - 1 residents (or households) are suppressed.
DEFAULT_THRESHOLD = 10

_BANDS = [f"{lo}-{lo + 4}歳" for lo in range(0, 85, 5)] + ["85歳以上"]
_SEXES = ("男性", "女性")
_BAND_COLUMNS = [f"{band}の{sex}" for band in _BANDS for sex in _SEXES]

#: The count columns of 「地域・年齢別人口」, in the standard's order.
COUNT_COLUMNS = ("総人口", "男性", "女性", *_BAND_COLUMNS, "世帯数")

#: The header row of 「地域・年齢別人口」 (see the module notes for its source).
HEADER = (
    "全国地方公共団体コード",
    "地域コード",
    "地方公共団体名",
    "調査年月日",
    "地域名",
    *COUNT_COLUMNS,
    "備考",
)

_LEVELS = {"chome": "町丁別", "district": "住区別"}
_META = "opendata.json"
_NOTE = "README.md"
_FICTIONAL = "架空の自治体の合成データ"
_CHOME_CODE = re.compile(r"^(D\d+)-(C\d+)$")
_DISTRICT_CODE = re.compile(r"^D\d+$")


def fictional_code(name: str) -> str:
    """A six-digit 全国地方公共団体コード for a fictional municipality (prefecture part 99).

    Real prefecture codes run from 01 to 47, so ``99`` never names a real municipality; the
    middle three digits come from the name, the last digit is 0 (not a check digit).

    Examples
    --------
    >>> code = fictional_code("寒梅町")
    >>> code[:2], len(code), code == fictional_code("寒梅町")
    ('99', 6, True)
    """
    return f"99{zlib.crc32(str(name).encode('utf-8')) % 1000:03d}0"


def file_name(code: str, level: str) -> str:
    """The CSV file of one level (``chome`` or ``district``)."""
    return f"{code}_population_by_area_and_age_{level}.csv"


# --------------------------------------------------------------------------------------------
# Counting the register
# --------------------------------------------------------------------------------------------
def _tables_of(dataset: Any, municipality: str | None) -> tuple[Mapping[str, pd.DataFrame], str]:
    """The tables and the municipality's name of a Dataset or a dict of tables."""
    tables = getattr(dataset, "tables", dataset)
    if not isinstance(tables, Mapping) or not {"resident_years", "chome"} <= set(tables):
        raise ParameterError(message("opendata.not_dataset", got=type(dataset).__name__))
    name = municipality or getattr(dataset, "municipality", None) or "架空市"
    return tables, str(name)


def _register_counts(tables: Mapping[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray, list]:
    """Residents by (year, chome, band x sex) and households by (year, chome), as arrays."""
    ry = tables["resident_years"]
    chome_codes = tables["chome"]["chome_code"].astype(str).tolist()
    years = sorted(int(y) for y in pd.unique(ry["fiscal_year"]))
    y = ry["fiscal_year"].to_numpy(np.int64) - years[0]
    c = pd.Categorical(ry["chome_code"].astype(str), categories=chome_codes).codes.astype(np.int64)
    band = np.minimum(ry["age"].to_numpy(np.int64) // 5, len(_BANDS) - 1)
    col = band * 2 + (ry["sex"] == "女性").to_numpy(dtype=np.int64)
    n_y, n_c, n_k = len(years), len(chome_codes), len(_BAND_COLUMNS)
    keep = c >= 0
    flat = (y[keep] * n_c + c[keep]) * n_k + col[keep]
    persons = np.bincount(flat, minlength=n_y * n_c * n_k).reshape(n_y, n_c, n_k)
    first = ~ry.duplicated(["fiscal_year", "household_id"]).to_numpy() & keep
    homes = np.bincount(y[first] * n_c + c[first], minlength=n_y * n_c).reshape(n_y, n_c)
    return persons, homes, years


def _area_rows(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """One row per published area: code, name, level and (for a chome) its district."""
    chome = tables["chome"]
    districts = tables.get("districts")
    d_codes = sorted(chome["district_code"].astype(str).unique())
    d_names = dict.fromkeys(d_codes, "")
    if districts is not None:
        d_names.update(
            zip(
                districts["district_code"].astype(str),
                districts["district_name"].astype(str),
                strict=True,
            )
        )
    rows = [("", name, "total", "")]
    rows += [(d, d_names[d] or d, "district", d) for d in d_codes]
    rows += [
        (f"{d}-{c}", n, "chome", d)
        for c, n, d in zip(
            chome["chome_code"].astype(str),
            chome["chome_name"].astype(str),
            chome["district_code"].astype(str),
            strict=True,
        )
    ]
    return pd.DataFrame(rows, columns=["code", "name", "level", "district"])


def _year_table(persons: np.ndarray, homes: np.ndarray, areas: pd.DataFrame) -> pd.DataFrame:
    """Counts of one year: every area row (whole, districts, chome) by every count column."""
    chome = areas[areas["level"] == "chome"]
    block = np.column_stack(
        [
            persons.sum(axis=1),
            persons[:, 0::2].sum(axis=1),
            persons[:, 1::2].sum(axis=1),
            persons,
            homes,
        ]
    )
    chome_part = pd.DataFrame(block, index=chome["code"].to_numpy(), columns=list(COUNT_COLUMNS))
    by_district = chome_part.groupby(chome["district"].to_numpy(), sort=True).sum()
    whole = chome_part.sum().to_frame().T.set_axis([""])
    out = pd.concat([whole, by_district, chome_part])
    return out.reindex(areas["code"].to_numpy()).fillna(0).astype(np.int64)


def _table_margins(areas: pd.DataFrame) -> Margins:
    """The sums a 「地域・年齢別人口」 table publishes: totals by sex and band, areas by district."""
    levels = areas.set_index("code")
    rows: dict[str, list[str]] = {}
    districts = levels.index[levels["level"] == "district"].tolist()
    chome = levels[levels["level"] == "chome"]
    if "" in levels.index:
        rows[""] = districts or chome.index.tolist()
    for d in districts:
        rows[d] = chome.index[chome["district"] == d].tolist()
    columns = {
        "総人口": ["男性", "女性"],
        "男性": _BAND_COLUMNS[0::2],
        "女性": _BAND_COLUMNS[1::2],
    }
    return Margins(columns=columns, rows={k: v for k, v in rows.items() if v})


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
@dataclass
class OpenDataExport:
    """What :func:`write_opendata` wrote: the folder, its files and the cells it suppressed."""

    folder: Path
    files: list[Path]
    threshold: int
    dates: list[str]
    primary: int = 0
    secondary: int = 0

    def summary(self) -> str:
        """What was written and suppressed, in Japanese."""
        return (
            f"{self.folder} に {len(self.files)} 個の CSV を書き出しました"
            f"(調査年月日 {len(self.dates)} 時点、{self.dates[0]} ~ {self.dates[-1]})。"
            f"{self.threshold} 未満のセル {self.primary:,} 個を秘匿し、合計から逆算されない"
            f"よう、さらに {self.secondary:,} 個を秘匿しました(空欄)。{_FICTIONAL}です。"
        )


def _csv_rows(
    result: SuppressedTable, areas: pd.DataFrame, level: str, code: str, name: str, date: str
) -> list[list[str]]:
    """The CSV rows of one level and date: the whole municipality first, then its areas."""
    shown = areas[areas["level"].isin(["total", level])]
    at = result.counts.index.get_indexer(shown["code"].to_numpy())
    blanks = result.suppressed.to_numpy(dtype=bool)[at]
    cells = result.counts.to_numpy(dtype=np.int64)[at].astype(str).astype(object)
    cells[blanks] = ""
    hidden = blanks.any(axis=1)
    rows = []
    for (area_code, area_name), values, blank in zip(
        shown[["code", "name"]].itertuples(index=False), cells, hidden, strict=True
    ):
        note = _FICTIONAL + ("。空欄は秘匿したセル" if blank else "")
        rows.append([code, area_code, name, date, area_name, *values, note])
    return rows


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def _note_text(export: OpenDataExport, name: str, code: str) -> str:
    """The Japanese note beside the CSV files."""
    files = "\n".join(f"- {p.name}" for p in export.files)
    return (
        f"# {name} 地域・年齢別人口(オープンデータの練習用)\n\n"
        f"**このフォルダのデータはすべて架空です。** {name}は実在しない自治体で、数字は ebpmkit が"
        "生成した合成データを集計したものです。実在の自治体・住民とは関係がありません。\n\n"
        "デジタル庁「自治体標準オープンデータセット」の「地域・年齢別人口」の様式"
        "(見出し行・列の順)にそろえた UTF-8 の CSV です(BOM なし、改行 CRLF)。\n\n"
        f"{files}\n\n"
        f"- 全国地方公共団体コード {code} は架空のコードです(先頭の 99 はどの都道府県にも"
        "使われていません。末尾は検査数字ではありません)。\n"
        "- 調査年月日は各年度の4月1日(住民基本台帳の4月1日時点)。\n"
        "- 地域コードは町丁が「住区コード-町丁コード」、住区が住区コード、自治体全体は空欄。\n"
        f"- {export.threshold} 人(世帯)未満のセルは秘匿して空欄にしました。合計から逆算できない"
        "よう、ほかのセルも秘匿しています(二次秘匿)。0 はそのまま公開しています。\n"
        "- 確かめ方: `ebpmkit opendata --check このフォルダ`\n"
    )


def _check_threshold(threshold: Any) -> int:
    """An integer of at least 2 (a threshold of 1 would suppress nothing)."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 2:
        raise ParameterError(
            message("param.integer_min", name="threshold", low=2, got=repr(threshold))
        )
    return int(threshold)


def write_opendata(
    dataset: Any,
    out: str | Path,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    municipality: str | None = None,
    progress: bool = False,
) -> OpenDataExport:
    """Write 「地域・年齢別人口」 by chome and by district, small cells suppressed.

    Parameters
    ----------
    dataset : Dataset or dict of DataFrame
        A raw-variant dataset (``load(..., variant="raw")``: the register before any
        pseudonymization, as a municipality aggregates it), or its tables: ``resident_years``
        and ``chome`` (``districts`` adds district names).
    out : str or Path
        The folder to write (created if needed); files of an earlier export are replaced.
    threshold : int
        Cells of 1 to ``threshold - 1`` are suppressed (default 10).
    municipality : str, optional
        The fictional municipality's name (default: the Dataset's; needed for a dict).
    progress : bool
        Show a progress bar, one step per reference date.

    Returns
    -------
    OpenDataExport

    Examples
    --------
    >>> ds = ebpmkit.load("town", scale=0.05, variant="raw")  # doctest: +SKIP
    >>> print(write_opendata(ds, "opendata").summary())  # doctest: +SKIP
    """
    tables, name = _tables_of(dataset, municipality)
    threshold = _check_threshold(threshold)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    code = fictional_code(name)
    persons, homes, years = _register_counts(tables)
    areas = _area_rows(tables, name)
    margins = _table_margins(areas)
    rows: dict[str, list[list[str]]] = {level: [] for level in _LEVELS}
    export = OpenDataExport(folder, [], int(threshold), [f"{y}-04-01" for y in years])
    for i, date in enumerate(tqdm(export.dates, desc="オープンデータ", disable=not progress)):
        result = suppress_small_cells(
            _year_table(persons[i], homes[i], areas), threshold=int(threshold), margins=margins
        )
        export.primary += int(result.primary.to_numpy().sum())
        export.secondary += int(result.secondary.to_numpy().sum())
        for level in _LEVELS:
            rows[level] += _csv_rows(result, areas, level, code, name, date)
    for level in _LEVELS:
        path = folder / file_name(code, level)
        export.files.append(write_text_atomic(path, _csv_text(rows[level])))
    meta = {"threshold": int(threshold), "code": code, "municipality": name, "fictional": True}
    meta["files"] = [p.name for p in export.files]
    write_text_atomic(folder / _META, json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    write_text_atomic(folder / _NOTE, _note_text(export, name, code))
    return export


# --------------------------------------------------------------------------------------------
# Checking a written folder
# --------------------------------------------------------------------------------------------
@dataclass
class OpenDataCheck:
    """The result of :func:`check_opendata`: what was read and every problem found."""

    folder: Path
    threshold: int
    files: list[str] = field(default_factory=list)
    rows: int = 0
    suppressed: int = 0
    problems: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the folder passes every check."""
        return bool(self.files) and not self.problems

    def summary(self, limit: int = 20) -> str:
        """The verdict and the first ``limit`` problems, in Japanese."""
        head = (
            f"{self.folder}: CSV {len(self.files)} 個、{self.rows:,} 行、"
            f"秘匿したセル {self.suppressed:,} 個(基準: {self.threshold} 未満)。"
        )
        if self.ok:
            return head + (
                "\n合格: 見出し行は標準の様式どおり、文字コードは UTF-8、"
                f"{self.threshold} 未満の値は公開されておらず、秘匿したセルは合計から逆算できません。"
            )
        lines = [head, f"不合格: 問題が {len(self.problems):,} 件あります。"]
        lines += [f"- {p.ja}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"- ほか {len(self.problems) - limit:,} 件")
        return "\n".join(lines)


def _read_csv(path: Path, report: OpenDataCheck) -> list[list[str]] | None:
    """The data rows of one CSV, or None (with a problem) when it is not UTF-8 or its header
    is not the standard's."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        report.problems.append(message("opendata.not_utf8", file=path.name))
        return None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0] if rows else []
    if tuple(header) != HEADER:
        column = next(
            (i for i, (a, b) in enumerate(zip(HEADER, header, strict=False)) if a != b),
            min(len(HEADER), len(header)),
        )
        expected = HEADER[column] if column < len(HEADER) else "(なし)"
        got = header[column] if column < len(header) else "(なし)"
        report.problems.append(
            message(
                "opendata.header", file=path.name, column=column + 1, expected=expected, got=got
            )
        )
        return None
    return rows[1:]


def _cell_value(text: str, where: dict[str, Any], column: str, report: OpenDataCheck) -> float:
    """One published count (NaN when suppressed), with its problems recorded."""
    if text == "":
        report.suppressed += 1
        return np.nan
    if not text.isdigit() or not text.isascii():
        report.problems.append(
            message(
                "opendata.bad_value", file=where["file"], row=where["row"], column=column, got=text
            )
        )
        return np.nan
    value = int(text)
    if 0 < value < report.threshold:
        report.problems.append(
            message(
                "opendata.small_cell",
                column=column,
                got=value,
                threshold=report.threshold,
                **where,
            )
        )
    return float(value)


def _records(path: Path, rows: list[list[str]], report: OpenDataCheck) -> list[dict[str, Any]]:
    """Each data row as a record (date, code, name, counts), its cells checked."""
    first, last = HEADER.index(COUNT_COLUMNS[0]), HEADER.index(COUNT_COLUMNS[-1]) + 1
    out = []
    for number, row in enumerate(rows, start=2):
        if len(row) != len(HEADER):
            got = f"{len(row)} 列"
            report.problems.append(
                message("opendata.bad_value", file=path.name, row=number, column="行", got=got)
            )
            continue
        code, name, date = row[1], row[4], row[3]
        if code and not (_CHOME_CODE.match(code) or _DISTRICT_CODE.match(code)):
            report.problems.append(
                message("opendata.unknown_area", file=path.name, row=number, code=code)
            )
            continue
        where = {"file": path.name, "row": number, "area": name or code}
        counts = [
            _cell_value(t, where, c, report)
            for t, c in zip(row[first:last], COUNT_COLUMNS, strict=True)
        ]
        out.append({"date": date, "code": code, "name": name, "counts": counts})
    report.rows += len(rows)
    return out


def _recoverable_on(date: str, records: list[dict[str, Any]], report: OpenDataCheck) -> None:
    """Record every suppressed cell of one reference date that the published sums give back."""
    table: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    for rec in records:
        if rec["code"] in table and not np.array_equal(
            table[rec["code"]], rec["counts"], equal_nan=True
        ):
            report.problems.append(message("opendata.totals_differ", date=date))
        table[rec["code"]] = rec["counts"]
        names[rec["code"]] = rec["name"] or rec["code"]
    frame = pd.DataFrame.from_dict(table, orient="index", columns=list(COUNT_COLUMNS))
    level = ["total" if not c else "chome" if _CHOME_CODE.match(c) else "district" for c in table]
    district = [m.group(1) if (m := _CHOME_CODE.match(c)) else "" for c in table]
    areas = pd.DataFrame({"code": list(table), "level": level, "district": district})
    for area, column in recoverable_cells(frame, margins=_table_margins(areas)):
        report.problems.append(
            message("opendata.recoverable", date=date, area=names[area], column=column)
        )


def check_opendata(folder: str | Path, *, threshold: int | None = None) -> OpenDataCheck:
    """Check an open-data folder: UTF-8, the standard's header, no small cell, nothing recoverable.

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`write_opendata` (``ebpmkit opendata --out``).
    threshold : int, optional
        The smallest count that may be published (default: the one the folder was written
        with, from its ``opendata.json``, else :data:`DEFAULT_THRESHOLD`). Zeros may be
        published.

    Returns
    -------
    OpenDataCheck
        ``.ok`` and a Japanese ``.summary()``.

    Examples
    --------
    >>> check_opendata("opendata").ok  # doctest: +SKIP
    True
    """
    path = Path(folder)
    if not path.is_dir():
        raise ParameterError(message("opendata.no_folder", folder=path))
    if threshold is None:
        meta = path / _META
        threshold = DEFAULT_THRESHOLD
        if meta.is_file():
            threshold = int(
                json.loads(meta.read_text(encoding="utf-8")).get("threshold", threshold)
            )
    report = OpenDataCheck(path, _check_threshold(threshold))
    by_date: dict[str, list[dict[str, Any]]] = {}
    for csv_path in sorted(path.glob("*.csv")):
        report.files.append(csv_path.name)
        rows = _read_csv(csv_path, report)
        for rec in _records(csv_path, rows, report) if rows is not None else []:
            by_date.setdefault(rec["date"], []).append(rec)
    if not report.files:
        report.problems.append(message("opendata.no_files", folder=path))
    for date, records in sorted(by_date.items()):
        _recoverable_on(date, records, report)
    return report
