"""Draw one image of each chart and map helper into docs/images/ (run from the repository root).

    .venv/bin/python docs/make_images.py

The images are small (100 dpi) so they can be committed; they use the fictional urban ward at
scale 0.05 with the default seed, so they are the same on every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

import ebpmkit
from ebpmkit import charts, maps

OUT = Path(__file__).resolve().parent / "images"
DPI = 100
AGE3 = ["0〜14歳", "15〜64歳", "65歳以上"]


def _save(name: str, ax_or_fig) -> Path:
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    path = OUT / f"{name}.png"
    fig.savefig(path, dpi=DPI, bbox_inches="tight", pil_kwargs={"optimize": True})
    plt.close(fig)
    return path


def _foreign(ds, now: pd.DataFrame) -> pd.DataFrame:
    """Foreign residents per chome, with counts of 1-2 marked as suppressed (秘匿)."""
    counts = (
        now[now["nationality"] == "外国"]
        .groupby("chome_code")
        .size()
        .reindex(ds.chome["chome_code"], fill_value=0)
        .rename("外国籍の人数")
        .reset_index()
    )
    return counts.assign(秘匿=counts["外国籍の人数"].between(1, 2))


def main() -> int:
    OUT.mkdir(exist_ok=True)
    ds = ebpmkit.load(scale=0.05, progress=False)
    ry = ds.resident_years
    last = int(ry["fiscal_year"].max())
    first = int(ry["fiscal_year"].min())
    now = ry[ry["fiscal_year"] == last]
    paths = [
        _save("pyramid", charts.pyramid(ry, years=[first, last])),
        _save("trend", charts.trend(ry, time="fiscal_year", hue="area")),
        _save(
            "composition",
            charts.composition(
                ry.assign(年齢区分=pd.cut(ry["age"], [0, 15, 65, 200], right=False, labels=AGE3)),
                x="fiscal_year",
                hue="年齢区分",
                normalize=True,
            ),
        ),
        _save("compare", charts.compare(now, x="area", y="age", hue="sex")),
        _save("distribution", charts.distribution(now, x="age", hue="sex")),
        _save("auto", charts.auto(now, x="relationship")),
        _save("choropleth", maps.choropleth(now, area="district_code", labels=True)),
        _save(
            "choropleth_suppressed",
            maps.choropleth(
                _foreign(ds, now), value="外国籍の人数", area="chome_code", suppressed="秘匿"
            ),
        ),
        _save(
            "small_multiples",
            maps.small_multiples(
                ry[ry["fiscal_year"].isin([first, (first + last) // 2, last])],
                area="district_code",
            ),
        ),
    ]
    for path in paths:
        print(f"{path.relative_to(OUT.parent.parent)}  {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
