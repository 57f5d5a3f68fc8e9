"""Open data in the standard layout: the export passes its own check, and the check catches
small cells, recoverable cells and a wrong header."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pandas as pd
import pytest

from ebpmkit import anonymize as A
from ebpmkit import opendata
from ebpmkit.cli import main
from ebpmkit.errors import EbpmkitError
from ebpmkit.synth import generate_tables

# The header of 「地域・年齢別人口」 written out by hand from files published in the standard's
# layout (not read off the module), so a change to opendata.HEADER has to be deliberate.
BANDS = [f"{lo}-{lo + 4}歳" for lo in range(0, 85, 5)] + ["85歳以上"]
STANDARD_HEADER = [
    "全国地方公共団体コード",
    "地域コード",
    "地方公共団体名",
    "調査年月日",
    "地域名",
    "総人口",
    "男性",
    "女性",
    *[f"{band}の{sex}" for band in BANDS for sex in ("男性", "女性")],
    "世帯数",
    "備考",
]


@pytest.fixture(scope="module")
def register():
    tables, _ = generate_tables("town", 2024, 0.05, only=("geography", "population"))
    return tables


@pytest.fixture(scope="module")
def exported(register, tmp_path_factory):
    folder = tmp_path_factory.mktemp("opendata") / "out"
    export = opendata.write_opendata(register, folder, municipality="寒梅町")
    return folder, export


def read(path):
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def write(path, rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def copy_of(exported, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(exported[0], folder)
    return folder, sorted(folder.glob("*chome.csv"))[0]


def test_export_passes_its_own_check(exported):
    folder, export = exported
    result = opendata.check_opendata(folder)
    assert result.ok, result.summary()
    assert "合格" in result.summary()
    assert len(result.files) == 2 and result.rows > 0
    assert export.primary > 0  # at this scale many cells are small: the check has work to do
    assert result.suppressed == export.primary + export.secondary


def test_header_is_the_standard_one_in_utf8_without_bom(exported):
    assert list(opendata.HEADER) == STANDARD_HEADER
    for path in exported[0].glob("*.csv"):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert raw.decode("utf-8").split("\r\n")[0] == ",".join(STANDARD_HEADER)


def test_no_published_cell_is_small_and_every_row_says_fictional(exported):
    first, last = STANDARD_HEADER.index("総人口"), STANDARD_HEADER.index("世帯数") + 1
    for path in exported[0].glob("*.csv"):
        rows = read(path)[1:]
        for row in rows:
            values = [int(v) for v in row[first:last] if v != ""]
            assert all(v == 0 or v >= 10 for v in values), row
            assert "架空" in row[-1]
            assert row[0].startswith("99") and len(row[0]) == 6
    note = (exported[0] / "README.md").read_text(encoding="utf-8")
    assert "架空" in note and "10 人" in note
    assert json.loads((exported[0] / "opendata.json").read_text(encoding="utf-8"))["fictional"]


def test_the_whole_municipality_row_counts_the_register(exported, register):
    ry = register["resident_years"]
    path = sorted(exported[0].glob("*chome.csv"))[0]
    frame = pd.DataFrame(read(path)[1:], columns=STANDARD_HEADER)
    whole = frame[frame["地域コード"] == ""].set_index("調査年月日")
    for year, group in ry.groupby("fiscal_year"):
        row = whole.loc[f"{year}-04-01"]
        assert int(row["総人口"]) == len(group)
        assert int(row["男性"]) == int((group["sex"].astype(str) == "男性").sum())
        assert int(row["世帯数"]) == group["household_id"].nunique()
        old = int(row["85歳以上の男性"]) + int(row["85歳以上の女性"])
        assert old == int((group["age"] >= 85).sum())


def test_naive_suppression_leaves_a_recoverable_cell_that_the_function_protects():
    table = pd.DataFrame({"男性": [3, 15, 18], "女性": [20, 25, 45]}, index=["D01", "D02", "全体"])
    table["計"] = table["男性"] + table["女性"]
    margins = A.Margins(columns={"計": ["男性", "女性"]}, rows={"全体": ["D01", "D02"]})
    naive = table.astype("Int64").mask(table < 10)  # only the small cell blanked
    assert A.recoverable_cells(naive, margins=margins) == [("D01", "男性")]

    result = A.suppress_small_cells(table, threshold=10, margins=margins)
    assert bool(result.primary.loc["D01", "男性"])
    assert result.secondary.to_numpy().sum() >= 3  # its row, its column and their crossing
    assert A.recoverable_cells(result.published, margins=margins) == []
    assert A.recoverable_cells(table, margins=margins, suppressed=result.suppressed) == []


def test_a_cell_fixed_only_by_solving_several_sums_is_found():
    # D01's row and both columns hold two blanks each, yet D02's row (one blank) gives D02's
    # 男性, the 男性 column then gives D01's, and D01's row its 女性: the sums are solved
    # together, not line by line.
    table = pd.DataFrame(
        {"男性": [None, None, 30], "女性": [None, 12, 50]}, index=["D01", "D02", "全体"]
    )
    table["計"] = [28, 30, 80]
    margins = A.Margins(columns={"計": ["男性", "女性"]}, rows={"全体": ["D01", "D02"]})
    assert sorted(A.recoverable_cells(table, margins=margins)) == [
        ("D01", "女性"),
        ("D01", "男性"),
        ("D02", "男性"),
    ]


def test_a_small_published_cell_fails_the_check_in_japanese(exported, tmp_path):
    folder, path = copy_of(exported, tmp_path)
    rows = read(path)
    column = STANDARD_HEADER.index("世帯数")
    rows[2][column] = "3"
    write(path, rows)
    result = opendata.check_opendata(folder)
    assert not result.ok
    assert any("10 未満" in p.ja and "世帯数" in p.ja for p in result.problems)
    assert "不合格" in result.summary()


def test_a_wrong_header_fails_the_check(exported, tmp_path):
    folder, path = copy_of(exported, tmp_path)
    rows = read(path)
    rows[0][STANDARD_HEADER.index("総人口")] = "人口総数"
    write(path, rows)
    result = opendata.check_opendata(folder)
    assert not result.ok
    assert any("見出し行" in p.ja and "総人口" in p.ja for p in result.problems)


def test_a_byte_order_mark_or_shift_jis_fails_the_check(exported, tmp_path):
    folder, path = copy_of(exported, tmp_path)
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(text.encode("cp932"))
    result = opendata.check_opendata(folder)
    assert any("UTF-8" in p.ja for p in result.problems)


def test_a_blank_left_alone_in_its_line_fails_the_check(exported, tmp_path):
    folder, path = copy_of(exported, tmp_path)
    rows = read(path)
    male = [STANDARD_HEADER.index(f"{band}の男性") for band in BANDS]
    total = STANDARD_HEADER.index("男性")
    target = next(
        i
        for i, row in enumerate(rows[1:], 1)
        if row[total] and sum(row[j] == "" for j in male) >= 2
    )
    blanks = [j for j in male if rows[target][j] == ""]
    for j in blanks[1:]:
        rows[target][j] = "0"  # publishing a zero is allowed; it leaves one blank in the line
    write(path, rows)
    result = opendata.check_opendata(folder)
    assert any("逆算" in p.ja for p in result.problems), result.summary()


def test_cli_writes_checks_and_fails_a_tampered_folder(tmp_path, capsys):
    out = tmp_path / "od"
    args = ["opendata", "--profile", "town", "--seed", "7", "--scale", "0.02", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    assert "合格" in capsys.readouterr().out
    assert main(["opendata", "--check", str(out)]) == 0
    path = sorted(out.glob("*district.csv"))[0]
    rows = read(path)
    rows[0][0] = "都道府県コード又は市区町村コード"
    write(path, rows)
    assert main(["opendata", "--check", str(out)]) == 1
    assert "不合格" in capsys.readouterr().out
    assert main(["opendata", "--profile", "town"]) == 2
    assert "--out" in capsys.readouterr().err


def test_bad_input_is_a_japanese_error_naming_the_parameter(tmp_path):
    with pytest.raises(EbpmkitError, match="引数 'dataset'"):
        opendata.write_opendata({"residents": pd.DataFrame()}, tmp_path)
    with pytest.raises(EbpmkitError, match="引数 'folder'"):
        opendata.check_opendata(tmp_path / "nowhere")
    with pytest.raises(EbpmkitError, match="引数 'threshold'"):
        opendata.check_opendata(tmp_path, threshold=1)
    table = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    with pytest.raises(EbpmkitError, match="引数 'margins'"):
        A.suppress_small_cells(table, margins=A.Margins(columns={"計": ["a"]}))
    with pytest.raises(EbpmkitError, match="引数 'suppressed'"):
        A.recoverable_cells(table, margins=A.Margins(), suppressed=pd.DataFrame({"a": [True]}))
