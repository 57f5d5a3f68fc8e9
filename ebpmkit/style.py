"""The look of every ebpmkit chart: Japanese glyphs, a colour-blind-safe palette, projector sizes.

``import ebpmkit`` calls :func:`apply` once. Call it again after anything that resets
matplotlib's settings, for example ``seaborn.set_theme()``, which replaces the font list with
one that has no Japanese glyphs (Japanese text then shows as empty boxes). To keep a seaborn
theme and only get the Japanese font back, call :func:`fonts` instead.

The Japanese font is IPAexGothic, shipped inside the ``matplotlib-fontja`` package, so charts
render the same on a bare JupyterHub image with no system fonts. Glyphs it lacks fall back to
DejaVu Sans, which ships with matplotlib. PDF output embeds the font (TrueType, ``pdf.fonttype
42``); SVG output draws text as paths, so neither needs the font on the reader's machine.

Examples
--------
>>> import seaborn as sns
>>> from ebpmkit import style
>>> sns.set_theme()
>>> style.apply()
>>> import matplotlib as mpl
>>> mpl.rcParams["font.family"][0]
'IPAexGothic'
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
from matplotlib import font_manager

from ebpmkit.errors import check_choice

__all__ = [
    "CONTEXTS",
    "FONT_FAMILY",
    "PALETTE",
    "SEQUENTIAL_CMAP",
    "apply",
    "font_path",
    "note_size",
    "fonts",
    "rc",
]

#: Font fallback chain: the bundled Japanese font first, then matplotlib's own DejaVu Sans.
FONT_FAMILY = ["IPAexGothic", "DejaVu Sans"]

#: Okabe-Ito colours (Okabe & Ito 2008, "Color Universal Design"), reordered so that the first
#: colours are the most distinct on a projector; told apart by the common colour-vision types.
PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermilion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow (last: hard to see as a thin line on white)
]

#: Colormap for ordered values (maps, ordered categories): ColorBrewer YlGnBu, colour-blind safe.
SEQUENTIAL_CMAP = "YlGnBu"

#: Font sizes (points) for each context: base, title, axis label, tick label, legend, note.
CONTEXTS: dict[str, dict[str, float]] = {
    "projector": {"base": 13, "title": 16, "label": 14, "tick": 12, "legend": 12, "note": 9.5},
    "notebook": {"base": 11, "title": 13, "label": 12, "tick": 10.5, "legend": 10.5, "note": 8.5},
    "paper": {"base": 9, "title": 10.5, "label": 9.5, "tick": 8.5, "legend": 8.5, "note": 7},
}

_current_context = "projector"


def font_path() -> str:
    """Path of the bundled IPAexGothic font file.

    Examples
    --------
    >>> font_path().endswith("ipaexg.ttf")
    True
    """
    import matplotlib_fontja

    return matplotlib_fontja.get_font_ttf_path()


def _register_font() -> None:
    """Make sure matplotlib knows the bundled font (idempotent, no system fonts needed)."""
    path = font_path()
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)  # also clears findfont's cache


def fonts() -> None:
    """Restore Japanese glyphs and font embedding only, keeping every other setting.

    Use this after ``seaborn.set_theme(...)`` when you want to keep the seaborn look.

    Examples
    --------
    >>> import seaborn as sns
    >>> sns.set_theme(style="darkgrid")
    >>> fonts()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.facecolor"] != "white", mpl.rcParams["font.family"][0]
    (True, 'IPAexGothic')
    """
    _register_font()
    mpl.rcParams.update(
        {
            "font.family": list(FONT_FAMILY),
            "axes.unicode_minus": True,
            "pdf.fonttype": 42,
            "ps.fonttype": 42,
            "svg.fonttype": "path",
        }
    )


def rc(context: str = "projector") -> dict[str, Any]:
    """The matplotlib settings :func:`apply` sets, as a dict (for ``mpl.rc_context``).

    Examples
    --------
    >>> rc("paper")["font.size"]
    9
    """
    check_choice("context", context, list(CONTEXTS))
    s = CONTEXTS[context]
    return {
        "font.family": list(FONT_FAMILY),
        "font.size": s["base"],
        "axes.titlesize": s["title"],
        "axes.titleweight": "normal",  # IPAexGothic has one weight; bold would be faked
        "axes.titlelocation": "left",
        "axes.titlepad": 10,
        "axes.labelsize": s["label"],
        "xtick.labelsize": s["tick"],
        "ytick.labelsize": s["tick"],
        "legend.fontsize": s["legend"],
        "legend.title_fontsize": s["legend"],
        "legend.frameon": False,
        "figure.titlesize": s["title"],
        "figure.figsize": (8.0, 5.0),
        "figure.dpi": 100,
        "figure.facecolor": "white",
        "figure.constrained_layout.use": True,
        "savefig.dpi": 300,
        "savefig.facecolor": "white",
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "axes.facecolor": "white",
        "axes.edgecolor": "#444444",
        "axes.linewidth": 1.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.8,
        "lines.linewidth": 2.5,
        "lines.markersize": 7,
        "patch.edgecolor": "white",
        "image.cmap": "viridis",
        "axes.unicode_minus": True,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
    }


def apply(context: str = "projector") -> None:
    """Apply the ebpmkit look: Japanese fonts, colour-blind-safe palette, readable sizes.

    Parameters
    ----------
    context : {"projector", "notebook", "paper"}
        Font sizes: ``"projector"`` (default) is large enough for the back of a training room.

    Examples
    --------
    >>> apply("notebook")
    >>> import matplotlib as mpl
    >>> mpl.rcParams["font.size"]
    11.0
    >>> apply()
    """
    global _current_context
    settings = rc(context)
    _register_font()
    mpl.rcParams.update(settings)
    _current_context = context


def note_size() -> float:
    """Font size (points) of source notes in the current context."""
    return CONTEXTS[_current_context]["note"]
