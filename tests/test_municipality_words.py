"""Texts name the municipality as its kind says: 区・市・町・村, 特別区民税 or 市町村民税."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ebpmkit
from ebpmkit.errors import ProfileError
from ebpmkit.synth import validate_profile
from ebpmkit.synth.profile import KIND_WORDS, Profile, load_profile

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("name", "suffix", "tax"),
    [
        ("urban-ward", "区", "特別区民税"),
        ("regional-city", "市", "市町村民税"),
        ("designated-city", "市", "市町村民税"),
        ("town", "町", "市町村民税"),
    ],
)
def test_built_in_profiles_get_the_words_of_their_kind(name, suffix, tax):
    words = load_profile(name).words
    assert words.suffix == suffix and words.resident_tax == tax
    assert words.residents == suffix + "民"
    # The name ends with the kind's word (ひばり野区, 水鏡市, 寒梅町).
    assert load_profile(name).municipality.endswith(suffix)


def test_the_dataset_has_the_profiles_words():
    ds = ebpmkit.load("town", scale=0.02, tables=["districts"], progress=False)
    assert ds.words == KIND_WORDS["town"]
    assert f"{ds.words.suffix}の減収" == "町の減収"


def test_without_a_kind_the_name_decides_else_a_city():
    bare = load_profile("town").values
    for name, kind in (("夢ノ木村", "village"), ("夢ノ木", "city")):
        values = {**bare, "municipality": {"name": name}}
        profile = Profile(name="x", values=values)
        assert profile.words.kind == kind


def test_an_unknown_kind_is_a_japanese_error(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "town"\n[municipality]\nkind = "county"\n', encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        validate_profile(load_profile(path))
    first = str(err.value).splitlines()[0]
    assert "municipality.kind" in first and "'town'" in first


@pytest.mark.parametrize("lesson", ["01_what_is_ebpm", "06_case_furusato"])
def test_lessons_compute_the_kind_word_instead_of_writing_ku(lesson):
    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    joined = "\n".join(code)
    assert "ds.words" in joined
    for fixed in ("区の減収", "区が受け入れた", "区民の区外"):
        assert fixed not in joined, f"{lesson}: '{fixed}' should come from ds.words"


# --- question banks and the managers' dashboards in a town class -----------------------------

# Where a text names the municipality itself (not 地区, 住区, 区分 ...).
NAMES_THE_WARD = ("区の", "区が", "区は", "区全体", "区内", "区外", "区民", "特別区民税", "区(")


def _bank_texts(ex) -> list[str]:
    texts = [ex.title]
    for q in ex.questions:
        texts += [q.prompt, q.concept, *q.hints]
        texts += [t for m in q.misconceptions for t in (m.hint, m.label)]
    return texts


def _ward_words(texts) -> list[str]:
    return [
        t
        for t in texts
        if any(w in t.replace("地区", "").replace("住区", "") for w in NAMES_THE_WARD)
    ]


def test_exercise_06_reads_town_words_in_a_town_class(monkeypatch):
    from ebpmkit.grading import get_exercise

    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    ex = get_exercise("06")
    texts = _bank_texts(ex)
    assert not _ward_words(texts), _ward_words(texts)
    q1 = ex.questions[0]
    assert "町の住民税(市町村民税)" in q1.prompt
    assert "町(6%)と道府県(4%)" in " ".join(m.hint for m in q1.misconceptions)
    assert any("町民" in h for h in ex.questions[-1].hints)


def test_the_ward_class_still_reads_ku(monkeypatch):
    from ebpmkit.grading import get_exercise

    monkeypatch.delenv("EBPMKIT_PROFILE", raising=False)
    q1 = get_exercise("06").questions[0]
    assert "区の住民税(特別区民税)" in q1.prompt
    assert "{" not in " ".join(_bank_texts(get_exercise("06")))  # no placeholder left


def test_no_bank_names_the_ward_in_a_town_class(monkeypatch):
    from ebpmkit.grading import get_exercise
    from ebpmkit.grading.questions import exercise_ids

    monkeypatch.setenv("EBPMKIT_PROFILE", "town")
    found = {i: _ward_words(_bank_texts(get_exercise(i))) for i in exercise_ids()}
    assert not {i: t for i, t in found.items() if t}
    # Titles equal the notebooks' headings, which every class shares, so they name no kind.
    assert get_exercise("00").title == "架空の自治体の人口を調べる"
    assert get_exercise("02").question("q2").prompt.startswith("町全体の人口は")


@pytest.fixture(scope="module")
def town_workshop():
    return ebpmkit.load("town", scale=0.05, progress=False)


def test_the_dashboards_name_the_town(town_workshop):
    from ebpmkit import widgets

    view = widgets.furusato_view(town_workshop)
    labels = view.summary["項目"].tolist()
    assert "町の減収(住民がほかの自治体へ寄附した分)" in labels
    figure_labels = [t.get_text() for ax in view.figure.axes for t in ax.get_xticklabels()]
    assert "町の減収" in figure_labels
    texts = labels + view.notes + figure_labels
    cases = widgets.example_proposals(town_workshop)
    for case in cases.values():
        p = case.proposal
        texts += [case.text, case.catch, p.question, p.target, p.indicator, p.outcome]
    texts += [p.hidden for p in widgets.chart_pitfalls(town_workshop)]
    assert not _ward_words(texts), _ward_words(texts)
    assert "町の財源を増やしたい" == cases["B"].proposal.question
    assert "町内の消費額" == cases["C"].proposal.indicator
