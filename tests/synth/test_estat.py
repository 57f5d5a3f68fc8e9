"""`ebpmkit profile new`: a profile from a published table of residents by age band and sex."""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from ebpmkit.cli import main
from ebpmkit.errors import ParameterError
from ebpmkit.synth import generate_tables
from ebpmkit.synth.estat import new_profile, profile_text, read_age_table
from ebpmkit.synth.population import N_BANDS, age_group_shares
from ebpmkit.synth.profile import load_profile

CSV = resources.files("ebpmkit.synth") / "data" / "yumenoki-town-age-bands.csv"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Tolerances at the first year, for a generation of about 15,000 residents (scale 0.5): the
# register is drawn person by person, so a 5-year band's share has a sampling SD of about
# 0.2 points; the population of the first register is set exactly (up to rounding).
SCALE = 0.5
BAND_POINTS = 1.0
GROUP_POINTS = 1.0
MALE_SHARE = 0.015


def _published() -> pd.DataFrame:
    """The shipped table as plain pandas reads it (the test's own reading, not the module's)."""
    frame = pd.read_csv(CSV, skiprows=2)
    return frame.set_index("性別").filter(regex="歳")


def test_the_shipped_town_is_fictional_about_30000_and_older_than_average():
    text = CSV.read_text(encoding="utf-8")
    assert "架空" in text.splitlines()[0]
    table = _published()
    total = int(table.loc["計"].sum())
    assert 28_000 <= total <= 32_000
    old = table.loc["計"].iloc[13:].sum() / total  # 65歳以上
    assert old > 0.35  # Japan as a whole: about 29% (2023)


def test_reading_gives_the_published_counts():
    table = read_age_table(CSV)
    published = _published()
    assert table.men.tolist() == published.loc["男"].tolist()
    assert table.women.tolist() == published.loc["女"].tolist()
    assert table.total == int(published.loc["計"].sum())
    assert table.top == 100 and table.encoding == "utf-8-sig"


def test_shift_jis_and_the_e_stat_header_spelling_read_the_same(tmp_path):
    text = CSV.read_text(encoding="utf-8")
    # e-Stat writes "0歳～4歳"; numbers may come quoted with thousands separators.
    text = re.sub(r"(\d+)～(\d+)歳", r"\1歳～\2歳", text)
    text = text.replace(",2010,", ',"2,010",')
    sjis = tmp_path / "sjis.csv"
    sjis.write_bytes(text.encode("cp932"))
    table = read_age_table(sjis)
    reference = read_age_table(CSV)
    assert table.encoding == "cp932"
    assert np.array_equal(table.men + table.women, reference.men + reference.women)


def test_an_open_band_below_95_is_spread_like_the_base_profile(tmp_path):
    frame = pd.read_csv(CSV, skiprows=2)
    bands = [c for c in frame.columns if "歳" in c]
    over85 = frame[bands[17:]].sum(axis=1)
    coarse = pd.concat([frame.drop(columns=bands[17:]), over85.rename("85歳以上")], axis=1)
    path = tmp_path / "coarse.csv"
    coarse.to_csv(path, index=False, encoding="utf-8")
    text = profile_text(path, "夢ノ木町")
    shares = load_profile(_write(tmp_path, text)).numbers("population.age_band_shares")
    assert shares.sum() == pytest.approx(100, abs=0.1)
    base = load_profile("town").numbers("population.age_band_shares")
    # 85+ keeps its published share and is split in the town profile's proportions.
    share85 = over85.iloc[0] / frame[bands].iloc[0].sum() * 100
    assert shares[17:].sum() == pytest.approx(share85, abs=0.05)
    assert shares[17:] / shares[17:].sum() == pytest.approx(base[17:] / base[17:].sum(), abs=0.01)


def _write(tmp_path, text: str, name: str = "made"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = new_profile(CSV, "夢ノ木町", tmp_path_factory.mktemp("p") / "yumenoki.toml")
    profile = load_profile(out)
    tables, _ = generate_tables(profile, seed=5, scale=SCALE, only=("geography", "population"))
    ry = tables["resident_years"]
    return profile, ry[ry["fiscal_year"] == profile.fiscal_years[0]]


def test_the_new_profile_extends_a_built_in_one_by_the_kind_of_its_name(generated):
    profile, _ = generated
    assert profile.municipality == "夢ノ木町"
    assert profile.get("municipality.kind") == "town"
    # A figure the table does not give comes from the built-in town profile.
    town = load_profile("town")
    assert profile.number("income.level") == town.number("income.level")


def test_generation_reproduces_the_tables_population_and_age_shares_in_the_first_year(generated):
    _, first = generated
    published = _published()
    total = published.loc["計"].to_numpy(float)
    assert len(first) / SCALE == pytest.approx(total.sum(), rel=0.01)
    want = np.append(total[: N_BANDS - 1], total[N_BANDS - 1 :].sum()) / total.sum() * 100
    band = np.minimum(first["age"].to_numpy() // 5, N_BANDS - 1)
    got = np.bincount(band, minlength=N_BANDS) / len(first) * 100
    assert np.abs(got - want).max() <= BAND_POINTS, np.round(got - want, 2)
    assert np.abs(age_group_shares(got) - age_group_shares(want)).max() <= GROUP_POINTS
    male = published.loc["男"].sum() / total.sum()
    assert (first["sex"] == "男性").mean() == pytest.approx(male, abs=MALE_SHARE)


def test_cli_writes_the_profile_and_refuses_to_overwrite_it(tmp_path, capsys):
    out = tmp_path / "mine.toml"
    argv = ["profile", "new", "--from", str(CSV), "--name", "夢ノ木町", "--out", str(out)]
    assert main(argv) == 0
    assert "profile check" in capsys.readouterr().out
    assert load_profile(out).number("population.start") == int(_published().loc["計"].sum())
    assert main(argv) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert JAPANESE.search(first) and "out" in first
    assert main([*argv, "--force"]) == 0


def _broken(tmp_path, edit) -> str:
    text = edit(CSV.read_text(encoding="utf-8"))
    path = tmp_path / "broken.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("edit", "word"),
    [
        (lambda t: t.replace("歳", "才"), "年齢階級"),
        (lambda t: t.replace("5～9歳", "5～14歳"), "5歳刻み"),
        (lambda t: t.replace(",女,", ",不明,"), "男と女"),
        (lambda t: t.replace(",418,", ",たくさん,"), "人数"),
        (lambda t: t.replace(",817,", ",818,"), "計"),
        (lambda t: t + t.splitlines()[-1] + "\n", "二つ以上"),
    ],
    ids=["no header", "not 5-year", "no women", "not a count", "total", "two towns"],
)
def test_a_broken_table_is_a_japanese_error(tmp_path, edit, word):
    with pytest.raises(ParameterError) as err:
        read_age_table(_broken(tmp_path, edit))
    first = str(err.value).splitlines()[0]
    assert JAPANESE.search(first) and word in first


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"name": ""}, "name"),
        ({"name": "夢ノ木"}, "kind"),
        ({"name": "夢ノ木町", "extends": "metropolis"}, "extends"),
    ],
)
def test_bad_arguments_are_japanese_errors(kwargs, word):
    with pytest.raises(ParameterError) as err:
        profile_text(CSV, **kwargs)
    assert word in str(err.value).splitlines()[0]


def test_a_missing_file_and_a_wrong_suffix_are_japanese_errors(tmp_path):
    with pytest.raises(ParameterError, match="見つかりません"):
        read_age_table(tmp_path / "none.csv")
    with pytest.raises(ParameterError, match="'out'"):
        new_profile(CSV, "夢ノ木町", tmp_path / "mine.txt")
