"""ebpmkit.style: Japanese glyphs with no system fonts, palette, sizes, embedded PDF fonts."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib import font_manager

import ebpmkit
from ebpmkit import charts, maps, style

JA = "人口ピラミッド・住区別の平均所得(千円)㎡ 〜 ①"


@pytest.fixture(autouse=True)
def _close_and_restore():
    yield
    plt.close("all")
    style.apply()


@pytest.fixture
def no_system_fonts(monkeypatch):
    """Pretend the machine has no fonts but matplotlib's own (no CJK system font at all)."""
    own = str(Path(mpl.get_data_path()) / "fonts")
    kept = [f for f in font_manager.fontManager.ttflist if f.fname.startswith(own)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()
    style.apply()
    yield
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()


def _people() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame(
        {
            "fiscal_year": rng.choice([2020, 2024], n).astype("int16"),
            "age": rng.integers(0, 100, n).astype("int16"),
            "sex": pd.Categorical(rng.choice(["男性", "女性"], n), categories=["男性", "女性"]),
            "area": pd.Categorical(rng.choice(["北部", "中部", "南部"], n)),
            "district_code": rng.choice([f"D0{i}" for i in range(1, 9)], n),
            "給与収入": rng.gamma(3, 1.5e6, n).round(),
        }
    )


def _draw_everything(tmp_path: Path) -> list[plt.Figure]:
    people = _people()
    dictionary = pd.DataFrame(
        {"column": ["給与収入"], "label_ja": ["給与収入"], "unit": ["円"], "table": ["x"]}
    )
    one_year = people[people["fiscal_year"] == 2024]
    axes = [
        charts.pyramid(people, years=[2020, 2024]),
        charts.trend(people, time="fiscal_year", hue="sex"),
        charts.trend(
            people, time="fiscal_year", y="給与収入", estimator="mean", dictionary=dictionary
        ),
        charts.composition(people, x="fiscal_year", hue="area", normalize=True),
        charts.composition(people, x="area", hue="sex"),
        charts.compare(people, x="area", y="給与収入", hue="sex", dictionary=dictionary),
        charts.distribution(people, x="給与収入", dictionary=dictionary),
        charts.distribution(people, x="age", hue="sex"),
        charts.distribution(people, x="area"),
        charts.relation(people, x="age", y="給与収入", dictionary=dictionary),
        charts.auto(one_year, x="district_code", profile="town"),
        maps.choropleth(one_year, area="district_code", profile="town", labels=True, title=JA),
    ]
    figs = [ax.figure for ax in axes]
    figs.append(maps.small_multiples(people, area="district_code", profile="town"))
    for fig in figs:
        fig.axes[0].set_title(JA)
    return figs


def test_no_missing_glyph_when_drawing_every_helper(no_system_fonts, tmp_path, caplog):
    """Every helper with Japanese labels draws (PNG, PDF, SVG) without a missing glyph."""
    plt.close("all")  # start with no figure left open by another test
    found = font_manager.findfont(font_manager.FontProperties(family=style.FONT_FAMILY[0]))
    assert Path(found) == Path(style.font_path())  # the bundled font, not a system one
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
            figs = _draw_everything(tmp_path)
            for fig in figs:
                fig.canvas.draw()  # Agg: what a notebook shows and PNG files
            for suffix in ("pdf", "svg"):  # the other renderers, on the most text-heavy charts
                charts.save(figs[0], tmp_path / f"pyramid.{suffix}")
                charts.save(figs[-2], tmp_path / f"map.{suffix}")
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_missing_glyph_is_detected_without_the_style(no_system_fonts):
    """The check above is meaningful: with seaborn's fonts Japanese glyphs are missing."""
    sns.set_theme()
    fig, ax = plt.subplots()
    ax.set_title("人口")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_apply_after_seaborn_theme_restores_fonts_and_palette():
    sns.set_theme()
    assert "IPAexGothic" not in mpl.rcParams["font.family"]
    style.apply()
    assert mpl.rcParams["font.family"][:2] == style.FONT_FAMILY
    colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colours[:3] == [c.lower() for c in style.PALETTE[:3]] or colours[:3] == style.PALETTE[:3]
    assert mpl.rcParams["pdf.fonttype"] == 42


def test_fonts_keeps_the_seaborn_look():
    sns.set_theme(style="darkgrid")
    grey = mpl.rcParams["axes.facecolor"]
    style.fonts()
    assert mpl.rcParams["axes.facecolor"] == grey
    assert mpl.rcParams["font.family"][0] == "IPAexGothic"


def test_contexts_change_sizes():
    style.apply("paper")
    small = mpl.rcParams["font.size"]
    style.apply("projector")
    assert mpl.rcParams["font.size"] > small
    with pytest.raises(ebpmkit.ParameterError, match="context"):
        style.apply("poster")


def test_palette_is_okabe_ito():
    okabe_ito = {
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
        "#000000",
    }
    assert set(style.PALETTE) == okabe_ito


def test_pdf_embeds_the_japanese_font(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title("住区別の人口")
    path = charts.save(fig, tmp_path / "chart.pdf")
    blob = path.read_bytes()
    assert b"IPAexGothic" in blob and b"/FontFile2" in blob  # TrueType, embedded
