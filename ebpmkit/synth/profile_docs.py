"""docs/profile-keys.md: every profile key in Japanese, rendered from the declarations.

Each figure a profile may hold is declared once, as a :class:`~ebpmkit.synth.profile.Param`
beside the code that reads it (a domain module's ``PARAMETERS``, or
:data:`ebpmkit.synth.profile.PARAMETERS` for the municipality and its years), with what it drives
(``ja``), its unit and the fiscal years it applies to (``when``). This module gathers them and
writes the reference page; ``tests/synth/test_profile_docs.py`` fails when the committed page
differs from what the declarations give. Refresh it with
``python -m ebpmkit.synth.profile_docs`` or ``ebpmkit profile keys --write``.
"""

from __future__ import annotations

from pathlib import Path

from ebpmkit.synth.profile import (
    _PROFILE_DIR,
    PARAMETERS,
    WHEN,
    Param,
    _national_rates,
    _read_profile_chain,
    builtin_profiles,
)

__all__ = ["declared_parameters", "render_profile_keys", "write_profile_keys"]

#: Japanese names of the sections (the first part of a key), in the order the page lists them.
SECTIONS = {
    "extends": "元にするプロファイル",
    "municipality": "自治体",
    "years": "期間",
    "geography": "地図(地区・住区・町丁)",
    "population": "人口(住民基本台帳)",
    "households": "世帯",
    "mortality": "死亡(全国共通の率)",
    "fertility": "出生(全国共通の率)",
    "income": "所得と住民税",
    "nhi": "国民健康保険",
    "health_guidance": "特定健診・特定保健指導",
    "ltc": "介護保険の要介護認定",
    "ltc_premiums": "介護保険料(65歳以上)",
    "late_elderly": "後期高齢者医療制度",
    "childcare": "保育所",
    "child_health": "母子保健(出生・乳幼児健診・予防接種、全国共通の率)",
    "furusato": "ふるさと納税",
    "voucher": "プレミアム付商品券",
    "child_allowance": "児童手当(全国共通の制度)",
    "school_aid": "就学援助",
    "finance": "自治体の財政(事業別の決算)",
    "identity": "氏名・住所・電話(実名版だけにある識別情報)",
}

_KINDS = {
    "number": "数値",
    "numbers": "数値のリスト",
    "text": "文字列",
    "texts": "文字列のリスト",
    "table": "表",
    "bool": "true / false",
}


def declared_parameters() -> list[Param]:
    """Every declared profile figure, once each, in page order (section, then declaration).

    Examples
    --------
    >>> keys = [p.key for p in declared_parameters()]
    >>> keys[:2], "population.age_band_shares" in keys
    (['extends', 'municipality.name'], True)
    """
    from ebpmkit.synth import DOMAINS

    seen: dict[str, Param] = {}
    for param in [*PARAMETERS, *(p for m in DOMAINS for p in m.PARAMETERS)]:
        seen.setdefault(param.key, param)
    order = list(SECTIONS)
    return sorted(seen.values(), key=lambda p: order.index(p.key.split(".")[0]))


def _shape(param: Param) -> str:
    """The kind, length, bounds and choices of a figure, in Japanese."""
    text = _KINDS[param.kind]
    if param.length is not None:
        text += f"({param.length}個)"
    if param.low is not None or param.high is not None:
        # Counts and amounts get thousands separators; years and codes (YYYYMM) do not.
        grouped = any(word in param.unit for word in ("円", "人", "世帯", "店", "セット"))
        low = "" if param.low is None else _number(param.low, grouped)
        high = "" if param.high is None else _number(param.high, grouped)
        text += f"、{low}～{high}"
    if param.choices:
        text += "、" + " / ".join(f"`{c}`" for c in param.choices)
    if not param.required:
        text += "、省略可"
    return text


def _number(value: float, grouped: bool) -> str:
    """A bound as written in a profile."""
    if not float(value).is_integer():
        return f"{value:g}"
    return f"{int(value):,}" if grouped else f"{int(value)}"


def render_profile_keys() -> str:
    """The reference page of every profile key, as Markdown (Japanese).

    Examples
    --------
    >>> text = render_profile_keys()
    >>> "`population.age_band_shares`" in text and "初年度の4月1日" in text
    True
    """
    national = _national_rates()[0]
    builtin = [
        _read_profile_chain((_PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8"), name)[0]
        for name in builtin_profiles()
    ]

    def has(node: dict, key: str) -> bool:
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def where(key: str) -> str:
        in_profiles = any(has(values, key) for values in builtin)
        if not has(national, key):
            return "各プロファイル"
        return "全国共通(プロファイルで置き換え)" if in_profiles else "全国共通"

    lines = [
        "# プロファイルの項目 (Profile keys)",
        "",
        "架空の自治体は、プロファイル(TOML ファイル)の数値から作られます。このページは、"
        "プロファイルに書けるすべての項目について、何を決めるか・単位・どの年度に効くかを示します。",
        "This page lists every key a municipality profile may hold, in Japanese.",
        "",
        "This file is generated from the `Param` declarations (`ja`, `unit`, `when`) of",
        "ebpmkit/synth/profile.py and the domain modules' `PARAMETERS`; edit those, not this file,",
        "and refresh it with `python -m ebpmkit.synth.profile_docs` (or `ebpmkit profile keys --write`).",
        "",
        "## 読み方",
        "",
        '- 自分のプロファイルは `extends = "town"` のように組み込みのプロファイルを元にし、'
        "変えたい項目だけを書きます。`ebpmkit profile check ファイル.toml` で、"
        "生成する前に人口・年齢構成・世帯数の見込みを確かめられます"
        "(`--income` を付けると所得の目標値とも比べます)。",
        "- 「適用する年度」が「生成には使わない」の項目は確認用の目標値です。"
        "生成結果を動かすのは「結果を動かすのは」に書いた項目です。",
        "- 「置き場所」が「全国共通」の項目は ebpmkit/synth/rates/*.toml にあり、"
        "どの自治体にも同じ値が使われます(プロファイルに書けば、その自治体だけ置き換わります。"
        "「プロファイルで置き換え」は、組み込みのプロファイルのどれかが置き換えている項目です)。",
        "- 値は `births_per_1000 = 7.3` のように書くか、"
        '`births_per_1000 = { value = 7.3, source = "出典" }` のように出典を添えて書きます。',
        "- 人数・金額のうち「scale を掛けた」とある項目は、生成の scale(人口の縮尺)に比例して小さくなります。",
        "",
        "「適用する年度」の意味:",
        "",
        "| 表記 | 意味 |",
        "|---|---|",
    ]
    lines += [f"| {text.split('(')[0]} | {text} |" for text in WHEN.values()]
    lines.append("")
    section = None
    for param in declared_parameters():
        head = param.key.split(".")[0]
        if head != section:
            section = head
            lines += [
                f"## {head}: {SECTIONS[head]}",
                "",
                "| 項目 | 内容 | 単位 | 適用する年度 | 形式 | 置き場所 |",
                "|---|---|---|---|---|---|",
            ]
        about = param.ja
        if param.when == "check" and param.driver:
            about += f"。結果を動かすのは `{param.driver}`"
        lines.append(
            f"| `{param.key}` | {about} | {param.unit or '－'} | "
            f"{WHEN[param.when].split('(')[0]} | {_shape(param)} | {where(param.key)} |"
        )
    return "\n".join(_close_tables(lines))


def _close_tables(lines: list[str]) -> list[str]:
    """A blank line before each section heading after a table (Markdown needs it)."""
    out: list[str] = []
    for line in lines:
        if line.startswith("## ") and out and out[-1] != "":
            out.append("")
        out.append(line)
    return out


def write_profile_keys(path: str | Path | None = None) -> Path:
    """Write the page to ``path`` (default: docs/profile-keys.md of the source checkout).

    Examples
    --------
    >>> import tempfile
    >>> out = write_profile_keys(Path(tempfile.mkdtemp()) / "keys.md")
    >>> out.read_text(encoding="utf-8").startswith("# プロファイルの項目")
    True
    """
    target = (
        Path(path) if path else Path(__file__).resolve().parents[2] / "docs" / "profile-keys.md"
    )
    target.write_text(render_profile_keys() + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(write_profile_keys())
