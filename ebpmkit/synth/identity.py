"""The identifying layer of the raw variant: names, kana, addresses and phone numbers.

Anonymization lessons start from data that identifies people, so ``variant="raw"`` adds the
table ``identities``: one row per person of ``residents`` with a municipal resident code
(宛名番号), name in kanji and katakana, birth date, sex, full address, postal code and phone
number. Everything is fictional and shaped so it cannot be a real person's:

- the resident code is ``"R"`` + 9 digits, never 11 or 12 plain digits like a real national
  ID (個人番号 is 12 digits), drawn at random so it cannot be derived from ``person_id``;
- names are built from name parts whose readings are known, so the katakana always matches the
  kanji; surnames follow a few common ones and a long tail, given names follow birth cohorts;
- phone numbers put a ``0`` right after the area code or the 090/080/070 prefix. Japan's
  numbering plan never gives such numbers to a subscriber (after the area code the local
  exchange code cannot start with 0, and the 0A0-0 mobile ranges are not allocated to any
  carrier), so no generated number can ring a real person;
- postal codes are made up per town (町) and shared by its chome, as real codes are.

Household members share the surname of the household head at the time they first appear in
the register (a spouse who joined later keeps their own) and the address of the household they
were last registered in. Foreign residents get katakana names, given name first.

Everything is vectorised: name parts are assembled into arrays once per process and sampled
with numpy; strings are joined with pyarrow compute kernels.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ebpmkit._arrays import sorted_unique
from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth import _names as N
from ebpmkit.synth.columns import shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = ["COLUMNS", "PARAMETERS", "ROLES", "TABLES", "name_parts", "simulate"]

TABLES = {
    "identities": (
        "住民の識別情報(宛名番号・氏名・カナ・生年月日・住所・電話番号)。匿名加工の演習用で、"
        "raw 版にだけ含まれる。氏名・住所・番号はすべて架空"
    ),
}

_T = "identities"
COLUMNS = [
    shared("person_id", _T, "住民を識別する番号(residents と結合できる)"),
    Column(
        _T,
        "resident_code",
        "str",
        "宛名番号",
        "resident code",
        "",
        "自治体の宛名番号を模した架空の番号。「R」+9桁で、個人番号(マイナンバー、12桁)とは形が異なる。"
        "個人IDとは無関係に無作為に割り当てる",
    ),
    Column(
        _T,
        "name_kanji",
        "str",
        "氏名",
        "name",
        "",
        "架空の氏名(姓・名の出現頻度や年代ごとの名付けの傾向は仮定)。姓と名を全角スペースで区切る。世帯員は初めて登録された時点の世帯主の姓を持つ(後から"
        "世帯に加わった配偶者は自分の姓のまま)。外国籍住民はカタカナで「名 姓」の順",
    ),
    Column(
        _T,
        "name_kana",
        "str",
        "氏名カナ",
        "name in katakana",
        "",
        "氏名の読み(全角カタカナ、全角スペース区切り)",
    ),
    shared("birth_date", _T, "residents の生年月日と同じ"),
    shared("sex", _T),
    Column(
        _T,
        "address",
        "str",
        "住所",
        "address",
        "",
        "架空の自治体内の住所(自治体名+丁目+番号)。集合住宅は「3-12-405」のように部屋番号を付ける(集合住宅の"
        "割合は仮定)。最後に登録された世帯の住所で、同じ世帯の人は同じ住所",
    ),
    Column(
        _T,
        "postal_code",
        "str",
        "郵便番号",
        "postal code",
        "",
        "架空の郵便番号(NNN-NNNN)。町ごとに一つで、同じ町の丁目は同じ番号",
    ),
    Column(
        _T,
        "phone",
        "str",
        "電話番号",
        "phone number",
        "",
        "架空の電話番号。携帯(090/080/070)か世帯の固定電話。市外局番や090などの直後を0にしており、この形の"
        "番号は実際には割り当てられない。15歳未満は世帯主の番号。携帯の割合は仮定",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). The direct
#: identifiers keep the identifying layer out of the pseudonymized and anonymized variants.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    _T: {
        "direct": ("resident_code", "name_kanji", "name_kana", "address", "postal_code", "phone"),
        "id": ("person_id",),
        "quasi": ("birth_date", "sex"),
    },
}

PARAMETERS = [
    Param(
        "municipality.name",
        "text",
        ja="架空の自治体の名前(日本語)。表・グラフ・教材の文に出る",
        when="none",
    ),
    Param("identity.area_code", "text", ja="固定電話番号の市外局番", when="none"),
    Param(
        "identity.apartment_share",
        low=0,
        high=1,
        ja="集合住宅(住所に部屋番号がつく)に住む世帯の割合",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.apartment_floors", low=1, high=60, ja="集合住宅の最上階", unit="階", when="none"
    ),
    Param(
        "identity.surname_tier_shares",
        "numbers",
        low=0,
        high=1,
        length=3,
        ja="多い名字・中くらいの名字・少ない名字の3段階の人の割合",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.given_name_cohort_starts",
        "numbers",
        low=1800,
        high=2100,
        length=3,
        ja="名前のはやりが変わる生まれ年の区切り",
        unit="年",
        when="none",
    ),
    Param(
        "identity.given_name_era_weights",
        "table",
        ja="名前の型(classic・neutral・modern)ごとの、生まれ年の区切りごとの重み",
        unit="倍(相対的な重み)",
        when="none",
    ),
    Param(
        "identity.hiragana_female_share",
        low=0,
        high=0.5,
        ja="女性の名前をひらがなで書く割合",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.old_katakana_female_share",
        low=0,
        high=1,
        ja="old_katakana_before_year より前に生まれた女性の名前をカタカナで書く割合",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.old_katakana_before_year",
        low=1800,
        high=2100,
        ja="カタカナの名前が多い生まれ年の上限",
        unit="年",
        when="none",
    ),
    Param(
        "identity.mobile_share_by_age",
        "numbers",
        low=0,
        high=1,
        length=2,
        ja="携帯電話の番号を登録する割合(15～64歳、65歳以上の順)",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.mobile_prefix_weights",
        "numbers",
        low=0,
        high=1,
        length=3,
        ja="携帯電話番号の 090・080・070 の割合",
        unit="割合(0～1)",
        when="none",
    ),
    Param(
        "identity.foreign_origin_weights",
        "table",
        ja="外国籍の住民の出身(名前の作り方)ごとの重み",
        unit="倍(相対的な重み)",
        when="none",
    ),
]

_ERAS = ("classic", "neutral", "modern")
_CLASSIC, _NEUTRAL, _MODERN = 0, 1, 2
_SPACE = "\u3000"  # full-width space between family and given name
_MOBILE_PREFIXES = ("090", "080", "070")
_FOREIGN_NATIONALITY = "外国"
_HEAD = "世帯主"
_FEMALE = "女性"


# --------------------------------------------------------------------------------------------
# Name pools (built once per process)
# --------------------------------------------------------------------------------------------
def _jitter(text: str, spread: float = 0.7) -> float:
    """A fixed pseudo-random weight factor in [e^-spread, e^spread], so tails look irregular."""
    u = zlib.crc32(text.encode("utf-8")) / 2**32
    return math.exp(spread * (2 * u - 1))


def _weighted(token: str) -> tuple[str, float]:
    m = re.fullmatch(r"(.*?)([\d.]+)?", token)
    assert m is not None
    return m.group(1), float(m.group(2) or 1.0)


def _readings(text: str) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for line in text.strip().splitlines():
        reading, *tokens = line.split()
        out[reading] = [_weighted(t) for t in tokens]
    return out


def _pairs(text: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in text.strip().splitlines()}


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


@dataclass(frozen=True)
class _GivenPool:
    """Japanese given names of one sex: index into the shared given-name arrays, weight, era."""

    index: np.ndarray
    weight: np.ndarray
    era: np.ndarray
    hiragana: np.ndarray


@dataclass(frozen=True)
class _Pools:
    family_kanji: pa.Array
    family_kana: pa.Array
    surname_tier: np.ndarray  # tier (0, 1, 2) of each Japanese surname, which come first
    surname_weight: np.ndarray  # weight within the tier
    foreign_family: dict[str, np.ndarray]  # origin -> indices into family arrays
    given_kanji: pa.Array
    given_kana: pa.Array
    given_key: np.ndarray  # one code per distinct written given name
    japanese_given: tuple[_GivenPool, _GivenPool]  # male, female
    old_katakana: np.ndarray  # indices into given arrays
    foreign_given: dict[tuple[str, int], np.ndarray]  # (origin, is_female) -> indices
    parts: pd.DataFrame  # every (kind, kanji, kana) part, for checks
    kanji: pa.Array  # family names then given names, for one take per name
    kana: pa.Array


def _compose_given(
    heads: str, tails: str, pairs: str, classic: str, modern: str, solo: str, faker_pairs
) -> dict[tuple[str, str], list]:
    """(kanji, kana) -> [weight, era] for one sex's Japanese given names."""
    head_table, tail_table, pair_table = _readings(heads), _readings(tails), _pairs(pairs)
    classic_tails, modern_tails = set(classic.split()), set(modern.split())
    modern_heads = set(N.MODERN_HEAD_KANJI.split())
    names: dict[tuple[str, str], list] = {}

    def add(kanji: str, kana: str, weight: float, era: int) -> None:
        entry = names.setdefault((kanji, kana), [0.0, era])
        entry[0] += weight

    for head_reading, tail_readings in pair_table.items():
        for tail_reading in tail_readings:
            if tail_reading in classic_tails:
                era = _CLASSIC
            elif tail_reading in modern_tails:
                era = _MODERN
            else:
                era = _NEUTRAL
            for head, head_w in head_table[head_reading]:
                head_era = _MODERN if era == _NEUTRAL and head in modern_heads else era
                for tail, tail_w in tail_table[tail_reading]:
                    kanji = head + tail
                    add(
                        kanji,
                        head_reading + tail_reading,
                        (head_w * tail_w) ** 0.6 * _jitter(kanji),
                        head_era,
                    )
    for token in solo.split():
        kanji, kana, era_code = token.split(":")
        add(kanji, kana, 4.0, {"c": _CLASSIC, "n": _NEUTRAL, "m": _MODERN}[era_code])
    for kanji, kana, _roman in faker_pairs:
        add(kanji, kana, 4.0, _NEUTRAL)
    return names


def _composed_surnames() -> dict[str, tuple[str, float]]:
    readings = dict(t.split(":") for t in N.SURNAME_READINGS.split())
    restricted = set(N.SURNAME_RESTRICTED_SUFFIXES.split())
    nature = set(N.SURNAME_RESTRICTED_OK_PREFIXES.split())
    banned = set(N.SURNAME_BANNED.split())
    minor, major = set(N.SURNAME_MINOR_PREFIXES.split()), set(N.SURNAME_MAJOR_SUFFIXES.split())
    out: dict[str, tuple[str, float]] = {}
    for ptoken in N.SURNAME_PREFIXES.split():
        prefix, pkana, pw = ptoken.split(":")
        for stoken in N.SURNAME_SUFFIXES.split():
            suffix, plain, voiced, p_voiced, sw = stoken.split(":")
            kanji = prefix + suffix
            if (
                prefix == suffix
                or kanji in banned
                or (suffix in restricted and prefix not in nature)
            ):
                continue
            if prefix in minor and suffix not in major:
                continue
            if kanji in readings:
                kana = readings[kanji]
            else:
                u = zlib.crc32(("voice" + kanji).encode("utf-8")) / 2**32
                kana = pkana + (voiced if voiced != "-" and u < float(p_voiced) else plain)
            out[kanji] = (kana, float(pw) * float(sw) * _jitter(kanji, 1.0))
    return out


@functools.cache
def _pools() -> _Pools:
    """Every family and given name the generator can use, with readings, weights and eras."""
    from faker.providers.person.ja_JP import Provider as JaProvider

    family = _family_names(JaProvider)
    given = _given_names_list(JaProvider)
    parts = pd.concat(
        [
            pd.DataFrame({"kind": "family", "kanji": family.kanji, "kana": family.kana}),
            pd.DataFrame({"kind": "given", "kanji": given.kanji, "kana": given.kana}),
        ],
        ignore_index=True,
    ).drop_duplicates(ignore_index=True)
    return _Pools(
        family_kanji=pa.array(family.kanji, pa.string()),
        family_kana=pa.array(family.kana, pa.string()),
        surname_tier=family.tier,
        surname_weight=family.weight,
        foreign_family=family.foreign,
        given_kanji=pa.array(given.kanji, pa.string()),
        given_kana=pa.array(given.kana, pa.string()),
        given_key=pd.factorize(pd.Series(given.kanji, dtype=object))[0].astype(np.int64),
        japanese_given=given.japanese,
        old_katakana=given.old_katakana,
        foreign_given=given.foreign,
        parts=parts,
        kanji=pa.array(family.kanji + given.kanji, pa.string()),
        kana=pa.array(family.kana + given.kana, pa.string()),
    )


@dataclass(frozen=True)
class _FamilyNames:
    """Family names: the Japanese ones first (with tier and weight), then the foreign ones."""

    kanji: list[str]
    kana: list[str]
    tier: np.ndarray  # of the Japanese surnames
    weight: np.ndarray  # of the Japanese surnames
    foreign: dict[str, np.ndarray]  # origin -> indices


def _family_names(provider) -> _FamilyNames:
    """Surnames: Faker's 50 (weighted by its counts), the common list, then the composed tail;
    a surname already listed keeps its first tier. Foreign family names follow, by origin."""
    kanji_list: list[str] = []
    kana_list: list[str] = []
    tiers: list[int] = []
    weights: list[float] = []
    seen: set[str] = set()

    def add_surname(kanji: str, kana: str, tier: int, weight: float) -> None:
        if kanji in seen:
            return
        seen.add(kanji)
        kanji_list.append(kanji)
        kana_list.append(kana)
        tiers.append(tier)
        weights.append(weight)

    for (kanji, kana, _roman), count in provider.last_name_pairs.items():
        add_surname(kanji, kana, 0, float(count))
    for rank, token in enumerate(N.SURNAMES_COMMON.split()):
        kanji, kana = token.split(":")
        add_surname(kanji, kana, 1, (rank + 10.0) ** -0.8)
    for kanji, (kana, weight) in sorted(_composed_surnames().items()):
        add_surname(kanji, kana, 2, weight)
    n_japanese = len(kanji_list)

    foreign_family: dict[str, np.ndarray] = {}
    for origin, (families, _male, _female) in N.FOREIGN.items():
        start = len(kanji_list)
        names = list(dict.fromkeys(families.split()))
        kanji_list.extend(names)
        kana_list.extend(names)
        foreign_family[origin] = np.arange(start, start + len(names))
    return _FamilyNames(
        kanji=kanji_list,
        kana=kana_list,
        tier=np.array(tiers[:n_japanese], dtype=np.int8),
        weight=np.array(weights[:n_japanese]),
        foreign=foreign_family,
    )


@dataclass(frozen=True)
class _GivenNames:
    """Given names: Japanese men's and women's pools, old katakana names, then foreign ones."""

    kanji: list[str]
    kana: list[str]
    japanese: tuple[_GivenPool, _GivenPool]  # male, female
    old_katakana: np.ndarray  # indices
    foreign: dict[tuple[str, int], np.ndarray]  # (origin, is_female) -> indices


def _given_names_list(provider) -> _GivenNames:
    """Compose the Japanese pools of each sex, then append the old katakana and foreign names."""
    given_kanji: list[str] = []
    given_kana: list[str] = []
    pools = []
    for sex, spec in enumerate(
        [
            (
                N.MALE_HEADS,
                N.MALE_TAILS,
                N.MALE_PAIRS,
                N.MALE_CLASSIC_TAILS,
                N.MALE_MODERN_TAILS,
                N.MALE_SOLO,
                provider.first_name_male_pairs,
            ),
            (
                N.FEMALE_HEADS,
                N.FEMALE_TAILS,
                N.FEMALE_PAIRS,
                N.FEMALE_CLASSIC_TAILS,
                N.FEMALE_MODERN_TAILS,
                N.FEMALE_SOLO,
                provider.first_name_female_pairs,
            ),
        ]
    ):
        rows = _japanese_given_rows(_compose_given(*spec), female=sex == 1)
        start = len(given_kanji)
        given_kanji.extend(r[0] for r in rows)
        given_kana.extend(r[1] for r in rows)
        pools.append(
            _GivenPool(
                index=np.arange(start, start + len(rows)),
                weight=np.array([r[2] for r in rows]),
                era=np.array([r[3] for r in rows], dtype=np.int8),
                hiragana=np.array([r[4] for r in rows]),
            )
        )
    start = len(given_kanji)
    old = N.FEMALE_OLD_KATAKANA.split()
    given_kanji.extend(old)
    given_kana.extend(old)
    old_katakana = np.arange(start, start + len(old))
    foreign_given: dict[tuple[str, int], np.ndarray] = {}
    for origin, (_families, male, female) in N.FOREIGN.items():
        for sex, names_text in enumerate([male, female]):
            names = list(dict.fromkeys(names_text.split()))
            if origin in N.FOREIGN_GIVEN_PARTS:
                firsts, seconds = (t.split() for t in N.FOREIGN_GIVEN_PARTS[origin][sex])
                names += [a + b for a in firsts for b in seconds if a != b and a + b not in names]
            start = len(given_kanji)
            given_kanji.extend(names)
            given_kana.extend(names)
            foreign_given[(origin, sex)] = np.arange(start, start + len(names))
    return _GivenNames(
        kanji=given_kanji,
        kana=given_kana,
        japanese=(pools[0], pools[1]),
        old_katakana=old_katakana,
        foreign=foreign_given,
    )


def _japanese_given_rows(
    names: dict[tuple[str, str], list], *, female: bool
) -> list[tuple[str, str, float, int, bool]]:
    """(written, kana, weight, era, is_hiragana) of each composed name; short women's names
    may also be written in hiragana, at the weight of their most common kanji spelling."""
    rows = [(k, v, w, e, False) for (k, v), (w, e) in names.items()]
    if female:
        written: dict[str, list] = {}
        for (_kanji, kana), (w, e) in names.items():
            if len(kana) <= 3:
                entry = written.setdefault(kana, [0.0, e])
                entry[0] = max(entry[0], w)
        rows += [(_hiragana(v), v, w, e, True) for v, (w, e) in written.items()]
    return rows


_GRID_BAN, _GRID_GO, _ROOMS_PER_FLOOR = 40, 30, 8


def _house_numbers(
    rng: np.random.Generator,
    unit_chome: np.ndarray,
    apartment: np.ndarray,
    n_chome: int,
    floors: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block (番), lot (号) and room of every address unit, distinct within each chome.

    Each chome gets a grid of up to 40 blocks x 30 lots, sized to its number of units. Houses
    take distinct random lots; apartments share buildings (one lot each, filled to about half of
    ``floors`` x 8 rooms) and take distinct rooms, so no two units share an address unless a
    chome has more units than its grid holds.
    """
    n_units = len(unit_chome)
    order = np.lexsort((rng.random(n_units), apartment, unit_chome))
    houses = np.bincount(unit_chome[~apartment], minlength=n_chome)
    flats = np.bincount(unit_chome[apartment], minlength=n_chome)
    per_building = max(1, _ROOMS_PER_FLOOR * floors // 2)
    buildings = -(-flats // per_building)
    slots = houses + buildings
    n_ban = np.clip(-(-3 * slots // (2 * _GRID_GO)), 3, _GRID_BAN)
    grid = n_ban * _GRID_GO
    # A random order of every chome's grid cells: cell (c, j) sorted by chome, then a random key.
    cell_chome = np.repeat(np.arange(n_chome), grid)
    cell_no = np.arange(len(cell_chome)) - np.repeat(np.cumsum(grid) - grid, grid)
    cells = cell_no[np.lexsort((rng.random(len(cell_chome)), cell_chome))]
    grid_start = np.cumsum(grid) - grid

    c = unit_chome[order]
    rank = np.arange(n_units) - np.repeat(
        np.cumsum(houses + flats) - houses - flats, houses + flats
    )
    is_flat = apartment[order]
    flat_rank = rank - houses[c]
    slot = np.where(is_flat, houses[c] + flat_rank % np.maximum(buildings[c], 1), rank)
    cell = cells[grid_start[c] + slot % grid[c]]
    k = flat_rank // np.maximum(buildings[c], 1)
    room_sorted = np.where(
        is_flat, 100 * (k // _ROOMS_PER_FLOOR % floors + 1) + k % _ROOMS_PER_FLOOR + 1, 0
    )
    ban = np.empty(n_units, dtype=np.int64)
    go = np.empty(n_units, dtype=np.int64)
    room = np.empty(n_units, dtype=np.int64)
    ban[order] = cell // _GRID_GO + 1
    go[order] = cell % _GRID_GO + 1
    room[order] = room_sorted
    return ban, go, room


@functools.cache
def _number_tables(floors: int) -> tuple[pa.Array, pa.Array]:
    """House numbers: ``(ban-1)*30 + (go-1)`` -> "3番12号" (houses) or, offset by 1200, "3-12-"
    (apartments); and room numbers: room -> "405" (0 -> "" for houses)."""
    houses = [f"{b}番{g}号" for b in range(1, _GRID_BAN + 1) for g in range(1, _GRID_GO + 1)]
    flats = [f"{b}-{g}-" for b in range(1, _GRID_BAN + 1) for g in range(1, _GRID_GO + 1)]
    rooms = [""] + [str(r) for r in range(1, 100 * floors + 10)]
    return pa.array(houses + flats, pa.string()), pa.array(rooms, pa.string())


def name_parts() -> pd.DataFrame:
    """Every family-name and given-name part with its reading, as used by :func:`simulate`.

    A generated ``name_kanji`` / ``name_kana`` pair is always one ``family`` row and one
    ``given`` row of this table (in that order for Japanese names, given name first for
    foreign residents), so tests and lessons can check that the kana matches the kanji.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` ("family" or "given"), ``kanji`` and ``kana``.

    Examples
    --------
    >>> parts = name_parts()
    >>> parts.loc[parts["kanji"] == "佐藤", "kana"].tolist()
    ['サトウ']
    """
    return _pools().parts.copy()


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def _require(tables: dict[str, pd.DataFrame], name: str, columns: list[str]) -> pd.DataFrame:
    if name not in tables:
        raise RuntimeError(
            f"identity needs the table '{name}', but the context only has: {', '.join(tables) or 'none'}. "
            "Run population and geography first."
        )
    frame = tables[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RuntimeError(
            f"The table '{name}' lacks the column(s) {', '.join(missing)} that identity needs. "
            f"It has: {', '.join(map(str, frame.columns))}."
        )
    return frame


def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices 0..len(weights)-1 drawn with probability proportional to ``weights``."""
    cdf = np.cumsum(weights, dtype=float)
    return np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right").clip(0, len(weights) - 1)


def _unique_ints(rng: np.random.Generator, space: int, size: int) -> np.ndarray:
    """``size`` distinct integers in [0, space) in random order (with repeats only if space < size)."""
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    if size > space:
        return rng.integers(0, space, size)
    return rng.choice(space, size=size, replace=False).astype(np.int64)


def _ascii(n: int, *parts) -> np.ndarray:
    """Fixed-layout ASCII strings as a numpy bytes array, built without a Python loop over rows.

    Each part is either a ``bytes`` constant or a ``(values, width)`` pair of integers written
    as zero-padded decimal digits.
    """
    widths = [len(p) if isinstance(p, bytes) else p[1] for p in parts]
    out = np.empty((n, sum(widths)), dtype=np.uint8)
    col = 0
    for part, width in zip(parts, widths, strict=True):
        if isinstance(part, bytes):
            out[:, col : col + width] = np.frombuffer(part, dtype=np.uint8)
        else:
            value = np.asarray(part[0], dtype=np.int64).copy()
            for k in range(col + width - 1, col - 1, -1):
                out[:, k] = 48 + value % 10
                value //= 10
        col += width
    return out.view(f"S{out.shape[1]}").ravel()


def _text(values: np.ndarray) -> pd.Series:
    """A numpy bytes array (ASCII or UTF-8, NUL-padded) as a pandas ``str`` Series, without copies per row."""
    n = len(values)
    matrix = np.ascontiguousarray(values).view(np.uint8).reshape(n, values.dtype.itemsize)
    keep = matrix != 0
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    data = matrix[keep]
    array = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return pd.Series(array.cast(pa.string()), dtype="str")


def _join(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*parts, "")


def _equals(column: pd.Series, value: str) -> np.ndarray:
    """``column == value`` as a bool array, fast for categorical and string columns."""
    return (column == value).to_numpy(dtype=bool, na_value=False)


def _positions(column: pd.Series, index: pd.Index, rows: np.ndarray | None = None) -> np.ndarray:
    """Position in ``index`` of each value of ``column`` (or of its ``rows``); -1 when absent."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        cat_pos = np.append(index.get_indexer(column.cat.categories.astype(str)), -1)
        codes = column.cat.codes.to_numpy()
        return cat_pos[codes if rows is None else codes[rows]]
    values = (
        pa.array(column.array)
        if isinstance(column.dtype, pd.StringDtype)
        else pa.array(column.astype(str))
    )
    if rows is not None:
        values = values.take(pa.array(rows))
    found = pc.index_in(values, value_set=pa.array(index.to_numpy(dtype=object), pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _person_positions(
    ids: np.ndarray, pid: np.ndarray, order: np.ndarray, sorted_pid: np.ndarray
) -> np.ndarray:
    """Row position in ``residents`` of each person id in ``ids``; unknown ids are an error."""
    n = len(pid)
    if n and len(ids) and sorted_pid[-1] - sorted_pid[0] < 8 * n + 1024:  # dense ids: direct table
        table = np.full(int(sorted_pid[-1] - sorted_pid[0]) + 1, -1, dtype=np.int64)
        table[pid - sorted_pid[0]] = np.arange(n)
        offset = ids - sorted_pid[0]
        inside = (offset >= 0) & (offset < len(table))
        pos = np.where(inside, table[offset.clip(0, len(table) - 1)], -1)
    elif n:
        i = np.searchsorted(sorted_pid, ids).clip(0, n - 1)
        pos = np.where(sorted_pid[i] == ids, order[i], -1)
    else:
        pos = np.full(len(ids), -1, dtype=np.int64)
    if np.any(pos < 0):
        raise RuntimeError(
            "The table 'resident_years' names person_id values that are not in 'residents'."
        )
    return pos


# --------------------------------------------------------------------------------------------
# The steps of simulate()
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Settings:
    """The profile figures identity reads, checked once before any work."""

    municipality: str
    area_code: str
    apartment_share: float
    floors: int
    tier_shares: np.ndarray
    cohort_starts: np.ndarray
    era_weights: np.ndarray  # (classic, neutral, modern) x 4 cohorts
    hiragana_share: float
    old_katakana_share: float
    old_katakana_before: float
    mobile_share: np.ndarray  # 15-64, 65+
    prefix_weights: np.ndarray  # 090, 080, 070
    origin_weights: np.ndarray  # in the order of _names.FOREIGN


def _settings(profile) -> _Settings:
    profile.validate(PARAMETERS)
    area_code = profile.text("identity.area_code")
    if not re.fullmatch(r"0\d{1,4}", area_code):
        raise ProfileError(
            message("identity.area_code", found=repr(area_code), origin=profile.origin)
        )
    era_table = profile.table("identity.given_name_era_weights")
    try:
        era = np.array([[float(x) for x in era_table[e]] for e in _ERAS])
    except (KeyError, TypeError, ValueError):
        era = np.zeros(0)
    if era.shape != (3, 4) or np.any(era < 0) or np.any(era.sum(axis=0) <= 0):
        raise ProfileError(
            message("identity.era_weights", found=repr(era_table), origin=profile.origin)
        )
    origins = list(N.FOREIGN)
    origin_table = profile.table("identity.foreign_origin_weights")
    unknown = sorted(set(origin_table) - set(origins))
    origin_w = np.array([origin_table.get(o, 0.0) for o in origins], dtype=float)
    if unknown or np.any(origin_w < 0) or origin_w.sum() <= 0:
        raise ProfileError(
            message(
                "identity.origin_weights",
                origins=", ".join(origins),
                found=repr(origin_table),
                origin=profile.origin,
            )
        )
    tiers = profile.numbers("identity.surname_tier_shares", low=0, high=1, length=3)
    prefixes = profile.numbers("identity.mobile_prefix_weights", low=0, high=1, length=3)
    for key, values in (("surname_tier_shares", tiers), ("mobile_prefix_weights", prefixes)):
        if values.sum() <= 0:
            raise ProfileError(
                message("identity.all_zero", key=f"identity.{key}", origin=profile.origin)
            )
    return _Settings(
        municipality=profile.text("municipality.name"),
        area_code=area_code,
        apartment_share=profile.number("identity.apartment_share"),
        floors=int(profile.number("identity.apartment_floors")),
        tier_shares=tiers,
        cohort_starts=np.sort(profile.numbers("identity.given_name_cohort_starts")),
        era_weights=era,
        hiragana_share=profile.number("identity.hiragana_female_share"),
        old_katakana_share=profile.number("identity.old_katakana_female_share"),
        old_katakana_before=profile.number("identity.old_katakana_before_year"),
        mobile_share=profile.numbers("identity.mobile_share_by_age"),
        prefix_weights=prefixes,
        origin_weights=origin_w,
    )


@dataclass(frozen=True)
class _Register:
    """Per-person facts from residents and resident_years (arrays in residents' row order)."""

    pid: np.ndarray
    female: np.ndarray
    foreign: np.ndarray
    birth: np.ndarray  # datetime64[s]
    birth_year: np.ndarray
    rowed: np.ndarray  # positions of people with at least one register row
    first: np.ndarray  # row of resident_years of the first register year (-1: none)
    last: np.ndarray  # row of the last register year (-1: none)
    household: np.ndarray  # household_id of every resident_years row
    head_at_first: np.ndarray  # position of the household head in the first row's household-year
    head_at_last: np.ndarray
    age: np.ndarray  # age in the last register year (or at entry when never registered)


def _register(residents: pd.DataFrame, years: pd.DataFrame) -> _Register:
    n = len(residents)
    pid = residents["person_id"].to_numpy(dtype=np.int64)
    order = np.argsort(pid, kind="stable")
    sorted_pid = pid[order]
    if n > 1 and np.any(sorted_pid[1:] == sorted_pid[:-1]):
        raise RuntimeError(
            "The table 'residents' has repeated person_id values; each person must appear once."
        )
    birth = residents["birth_date"].to_numpy(dtype="datetime64[s]")
    if np.any(np.isnat(birth)):
        raise RuntimeError("The table 'residents' has missing birth_date values.")

    r_pos = _person_positions(years["person_id"].to_numpy(dtype=np.int64), pid, order, sorted_pid)
    r_fy = years["fiscal_year"].to_numpy(dtype=np.int64)
    n_rows = len(r_fy)
    fy0 = r_fy.min() if n_rows else 0
    n_fy = int(r_fy.max() - fy0 + 1) if n_rows else 1
    r_hh = years["household_id"].to_numpy(dtype=np.int64)
    r_key = r_hh * n_fy + (r_fy - fy0)  # one key per household and year
    # First and last register row of every person: the smallest and largest (year, row).
    year_row = (r_fy - fy0) * n_rows + np.arange(n_rows)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, r_pos, year_row)
    np.maximum.at(last, r_pos, year_row)
    has_row = last >= 0
    rowed = np.flatnonzero(has_row)
    first = np.where(has_row, first % max(n_rows, 1), -1)
    last = np.where(has_row, last % max(n_rows, 1), -1)

    is_head = _equals(years["relationship"], _HEAD)
    head_keys = pd.Index(r_key[is_head])
    head_pos = r_pos[is_head]
    if not head_keys.is_unique:  # two heads in one household-year: keep the first listed
        keep = ~head_keys.duplicated()
        head_keys, head_pos = head_keys[keep], head_pos[keep]
    heads = []
    for rows in (first, last):
        found = head_keys.get_indexer(r_key[rows[rowed]])
        head = np.full(n, -1, dtype=np.int64)
        head[rowed] = np.where(found >= 0, head_pos[found], -1)
        heads.append(head)

    age = np.zeros(n, dtype=np.int64)
    age[rowed] = years["age"].to_numpy(dtype=np.int64)[last[rowed]]
    never = np.flatnonzero(~has_row)
    if len(never):  # never on a 1 April register: age when they arrived (or 0 for births)
        if "entry_date" in residents.columns:
            entry = residents["entry_date"].to_numpy(dtype="datetime64[D]")[never]
        else:
            entry = birth[never].astype("datetime64[D]")
        days = (entry - birth[never].astype("datetime64[D]")).astype(np.int64)
        age[never] = np.clip(np.nan_to_num(days / 365.25), 0, None).astype(np.int64)

    return _Register(
        pid=pid,
        female=_equals(residents["sex"], _FEMALE),
        foreign=_equals(residents["nationality"], _FOREIGN_NATIONALITY),
        birth=birth,
        birth_year=birth.astype("datetime64[Y]").astype(np.int64) + 1970,
        rowed=rowed,
        first=first,
        last=last,
        household=r_hh,
        head_at_first=heads[0],
        head_at_last=heads[1],
        age=age,
    )


def _family_lines(reg: _Register) -> np.ndarray:
    """The person each resident's surname comes from (themselves for the first of a line).

    A person takes the surname of the head of the household they first appear in; that head
    took theirs the same way, so follow heads back until someone heads their own first
    household. Foreign residents under a Japanese head keep their own (foreign) surname.
    """
    n = len(reg.pid)
    parent = np.arange(n)
    head = reg.head_at_first
    follows = (head >= 0) & ~(reg.foreign & ~reg.foreign[head.clip(0)])
    parent[follows] = head[follows]
    for _ in range(64):  # pointer jumping: log2(depth) rounds
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    loop = parent[parent] != parent  # cannot happen with a consistent register; be safe
    parent[loop] = np.flatnonzero(loop)
    return parent


def _surnames(
    rng: np.random.Generator, reg: _Register, parent: np.ndarray, st: _Settings, pools: _Pools
) -> tuple[np.ndarray, np.ndarray]:
    """Family-name index (into the family arrays) and foreign origin (-1: Japanese) per person."""
    n = len(reg.pid)
    roots = np.flatnonzero(parent == np.arange(n))
    tier_total = np.bincount(pools.surname_tier, pools.surname_weight, minlength=3)
    surname_p = pools.surname_weight / tier_total[pools.surname_tier]
    surname_p = surname_p * st.tier_shares[pools.surname_tier]
    family = np.zeros(n, dtype=np.int64)
    origin = np.full(n, -1, dtype=np.int64)
    root_foreign = roots[reg.foreign[roots]]
    root_japanese = roots[~reg.foreign[roots]]
    family[root_japanese] = _choice(rng, surname_p, len(root_japanese))
    origin[root_foreign] = _choice(rng, st.origin_weights, len(root_foreign))
    for k, name in enumerate(N.FOREIGN):
        members = root_foreign[origin[root_foreign] == k]
        pool = pools.foreign_family[name]
        family[members] = pool[rng.integers(0, len(pool), len(members))]
    return family[parent], origin[parent]


def _given_names(
    rng: np.random.Generator,
    reg: _Register,
    parent: np.ndarray,
    origin: np.ndarray,
    st: _Settings,
    pools: _Pools,
) -> np.ndarray:
    """Given-name index (into the given arrays) per person, distinct within a family line."""
    cohort = np.searchsorted(st.cohort_starts, reg.birth_year, side="right")
    weights = {}
    for sex in (0, 1):
        pool = pools.japanese_given[sex]
        for k in range(4):
            w = pool.weight * st.era_weights[pool.era, k]
            if sex == 1 and pool.hiragana.any():  # rescale so hiragana names get their share
                h = pool.hiragana
                scale = st.hiragana_share / max(1 - st.hiragana_share, 1e-9)
                w = np.where(h, w * scale * w[~h].sum() / max(w[h].sum(), 1e-12), w)
            weights[sex, k] = w

    def draw(who: np.ndarray) -> np.ndarray:
        out = np.zeros(len(who), dtype=np.int64)
        f, c, fo, og = reg.female[who], cohort[who], reg.foreign[who], origin[who]
        for sex in (0, 1):
            for k in range(4):
                sel = np.flatnonzero((f == sex) & (c == k) & ~fo)
                out[sel] = pools.japanese_given[sex].index[_choice(rng, weights[sex, k], len(sel))]
            for k, name in enumerate(N.FOREIGN):
                sel = np.flatnonzero((f == sex) & fo & (og == k))
                pool = pools.foreign_given[(name, sex)]
                out[sel] = pool[rng.integers(0, len(pool), len(sel))]
        old = np.flatnonzero(f & ~fo & (reg.birth_year[who] < st.old_katakana_before))
        old = old[rng.random(len(old)) < st.old_katakana_share]
        out[old] = pools.old_katakana[rng.integers(0, len(pools.old_katakana), len(old))]
        return out

    given = draw(np.arange(len(reg.pid)))
    check = np.arange(len(reg.pid))
    n_keys = int(pools.given_key.max()) + 1
    for _ in range(8):  # no two people of one family line share a full name
        key = parent[check] * n_keys + pools.given_key[given[check]]
        dup = check[pd.Series(key).duplicated().to_numpy()]
        if len(dup) == 0:
            break
        given[dup] = draw(dup)
        check = np.flatnonzero(np.isin(parent, parent[dup]))
    return given


def _full_names(
    reg: _Register, family: np.ndarray, given: np.ndarray, pools: _Pools
) -> tuple[pa.Array, pa.Array]:
    """Names in kanji and kana: family + given, or given + family for foreign residents."""
    n_family = len(pools.family_kanji)
    first = pa.array(np.where(reg.foreign, n_family + given, family))
    second = pa.array(np.where(reg.foreign, family, n_family + given))
    kanji = _join(pools.kanji.take(first), _SPACE, pools.kanji.take(second))
    kana = _join(pools.kana.take(first), _SPACE, pools.kana.take(second))
    return kanji, kana


@dataclass(frozen=True)
class _Units:
    """Address units: one per household of a last register row, one per never-registered person."""

    of_person: np.ndarray
    chome: np.ndarray  # position in the chome table


def _address_units(
    rng: np.random.Generator,
    reg: _Register,
    years: pd.DataFrame,
    households: pd.DataFrame,
    chome_index: pd.Index,
) -> _Units:
    n = len(reg.pid)
    rowed = reg.rowed
    last_chome = _positions(years["chome_code"], chome_index, reg.last[rowed])
    if np.any(last_chome < 0):
        raise RuntimeError(
            "The table 'resident_years' has chome_code values that are not in 'chome'."
        )
    keys, unit = np.unique(
        reg.household[reg.last[rowed]] * len(chome_index) + last_chome, return_inverse=True
    )
    never = np.setdiff1d(np.arange(n), rowed, assume_unique=True)
    of_person = np.empty(n, dtype=np.int64)
    of_person[rowed] = unit
    of_person[never] = len(keys) + np.arange(len(never))
    unit_chome = np.empty(len(keys) + len(never), dtype=np.int64)
    unit_chome[: len(keys)] = keys % len(chome_index)
    if len(never):  # people never on a 1 April register lived where households live
        hh_chome = _positions(households["chome_code"], chome_index)
        weight = np.bincount(hh_chome[hh_chome >= 0], minlength=len(chome_index)) + 1.0
        unit_chome[len(keys) :] = _choice(rng, weight, len(never))
    return _Units(of_person=of_person, chome=unit_chome)


def _addresses(
    rng: np.random.Generator, units: _Units, chome: pd.DataFrame, st: _Settings
) -> tuple[pa.Array, pa.Array]:
    """Full address and postal code of every person."""
    n_units = len(units.chome)
    apartment = rng.random(n_units) < st.apartment_share
    ban, go, room = _house_numbers(rng, units.chome, apartment, len(chome), st.floors)
    place = pa.array([st.municipality + c for c in chome["chome_name"].astype(str)], pa.string())
    numbers, rooms = _number_tables(st.floors)
    number = (ban - 1) * _GRID_GO + (go - 1) + np.where(apartment, _GRID_BAN * _GRID_GO, 0)
    unit_address = _join(
        place.take(pa.array(units.chome)),
        numbers.take(pa.array(number)),
        rooms.take(pa.array(room)),
    )
    # Postal codes: one per town (町), numbered in the order of the chome codes.
    codes = chome["chome_code"].astype(str).to_numpy()
    towns = (chome["town_name"] if "town_name" in chome.columns else chome["chome_code"]).astype(
        str
    )
    towns = towns.to_numpy()
    town_no = pd.Index(pd.unique(towns[np.argsort(codes, kind="stable")])).get_indexer(towns)
    prefix = 100 + zlib.crc32(st.municipality.encode("utf-8")) % 800 + town_no // 99
    postal = pa.array([f"{p:03d}-{t % 99 + 1:04d}" for p, t in zip(prefix, town_no, strict=True)])
    person_units = pa.array(units.of_person)
    return unit_address.take(person_units), postal.take(pa.array(units.chome[units.of_person]))


def _phones(rng: np.random.Generator, reg: _Register, units: _Units, st: _Settings) -> np.ndarray:
    """Phone numbers as a bytes array: a mobile, the household's landline, or (children) the head's."""
    n = len(reg.pid)
    me = np.arange(n)
    head = reg.head_at_last
    child = (reg.age < 15) & (head >= 0) & (head != me) & (reg.age[head.clip(0)] >= 15)
    mobile = rng.random(n) < np.where(reg.age >= 65, st.mobile_share[1], st.mobile_share[0])
    mobile &= ~child
    landline_units = sorted_unique(units.of_person[~mobile & ~child])
    # After the area code comes a local exchange code whose first digit we set to 0: such
    # numbers are never given to subscribers, so none of them is a real line.
    free = 10 - len(st.area_code) - 1
    unit_line = np.zeros(len(units.chome), dtype=np.int64)
    unit_line[landline_units] = _unique_ints(rng, 10**free, len(landline_units))
    line = unit_line[units.of_person]
    exchange = [(line // 10_000, free - 4)] if free > 4 else []
    landline = _ascii(n, st.area_code.encode() + b"-0", *exchange, b"-", (line % 10_000, 4))
    # Mobiles 090/080/070 followed by 0: these ranges are not allocated to any carrier.
    mobile_idx = np.flatnonzero(mobile)
    which = _choice(rng, st.prefix_weights, len(mobile_idx))
    number = np.zeros(n, dtype=np.int64)
    for k in range(3):
        sel = mobile_idx[which == k]
        number[sel] = _unique_ints(rng, 10**7, len(sel)) + k * 10**7
    mobile_str = _ascii(
        n,
        b"0",
        (9 - number // 10**7, 1),  # 090, 080, 070
        b"0-0",
        (number // 10_000 % 1000, 3),
        b"-",
        (number % 10_000, 4),
    )
    phone = np.where(mobile, mobile_str, landline.astype(mobile_str.dtype))
    return phone[np.where(child, head, me)]


# --------------------------------------------------------------------------------------------
# The module
# --------------------------------------------------------------------------------------------
def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Build the ``identities`` table from the population and geography tables.

    Parameters
    ----------
    ctx : SimContext
        Needs ``residents``, ``resident_years``, ``households`` and ``chome`` in ``ctx.tables``
        and the ``identity`` figures of the profile (see ``PARAMETERS``).

    Returns
    -------
    dict
        ``{"identities": DataFrame}`` with one row per person of ``residents``, same order.

    Examples
    --------
    >>> import pandas as pd
    >>> from ebpmkit.synth.profile import load_profile
    >>> ctx = SimContext(load_profile("urban-ward"), seed=1, scale=0.01)
    >>> ctx.tables = {
    ...     "residents": pd.DataFrame({"person_id": [1, 2], "sex": ["男性", "女性"],
    ...         "birth_date": pd.to_datetime(["1980-05-01", "1982-07-07"]),
    ...         "nationality": ["日本", "日本"]}),
    ...     "resident_years": pd.DataFrame({"fiscal_year": [2015, 2015], "person_id": [1, 2],
    ...         "age": [34, 32], "household_id": [10, 10], "relationship": ["世帯主", "配偶者"],
    ...         "chome_code": ["C01", "C01"]}),
    ...     "households": pd.DataFrame({"household_id": [10], "chome_code": ["C01"]}),
    ...     "chome": pd.DataFrame({"chome_code": ["C01"], "chome_name": ["桜台一丁目"],
    ...         "town_name": ["桜台"]}),
    ... }
    >>> ids = simulate(ctx)["identities"]
    >>> ids["name_kanji"].str.split("\u3000").str[0].nunique()  # a couple shares one surname
    1
    >>> ids["address"].nunique()
    1
    """
    st = _settings(ctx.profile)
    residents = _require(ctx.tables, "residents", ["person_id", "sex", "birth_date", "nationality"])
    years = _require(
        ctx.tables,
        "resident_years",
        ["fiscal_year", "person_id", "age", "household_id", "relationship", "chome_code"],
    )
    households = _require(ctx.tables, "households", ["household_id", "chome_code"])
    chome = _require(ctx.tables, "chome", ["chome_code", "chome_name"])
    chome_index = pd.Index(chome["chome_code"].astype(str))
    if not chome_index.is_unique:
        raise RuntimeError("The table 'chome' has repeated chome_code values.")
    rng = ctx.rng("identity")
    pools = _pools()

    reg = _register(residents, years)
    parent = _family_lines(reg)
    family, origin = _surnames(rng, reg, parent, st, pools)
    given = _given_names(rng, reg, parent, origin, st, pools)
    name_kanji, name_kana = _full_names(reg, family, given, pools)
    units = _address_units(rng, reg, years, households, chome_index)
    address, postal = _addresses(rng, units, chome, st)
    phone = _phones(rng, reg, units, st)
    # Resident codes: random and distinct, so they say nothing about person_id or order.
    code = _ascii(len(reg.pid), b"R", (_unique_ints(rng, 10**9, len(reg.pid)), 9))

    frame = pd.DataFrame(
        {
            "person_id": reg.pid,
            "resident_code": _text(code),
            "name_kanji": pd.Series(name_kanji, dtype="str"),
            "name_kana": pd.Series(name_kana, dtype="str"),
            "birth_date": reg.birth,
            "sex": pd.Categorical.from_codes(
                reg.female.astype(np.int8), categories=["男性", _FEMALE]
            ),
            "address": pd.Series(address, dtype="str"),
            "postal_code": pd.Series(postal, dtype="str"),
            "phone": _text(phone),
        }
    )
    return {"identities": frame}
