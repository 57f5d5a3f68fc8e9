"""Registry microsimulation: residents, households and one register per fiscal year.

The base register (1 April of the first fiscal year) is drawn from the profile's age, sex and
nationality shares and grouped into households. Each fiscal year then brings deaths, births,
moves out and in, young adults leaving home, couples forming and separating. The register on
1 April of every fiscal year becomes the rows of ``resident_years``.

Everything is vectorised over persons; the only Python loops are over years and over the few
age offsets of :func:`match_by_age`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit.messages import message
from ebpmkit.synth.columns import shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = ["COLUMNS", "PARAMETERS", "ROLES", "TABLES", "age_on", "match_by_age", "simulate"]

N_BANDS = 20  # 5-year bands 0-4 ... 90-94 and 95+
SEXES = ["男性", "女性"]
NATIONALITIES = ["日本", "外国"]
ENTRY_REASONS = ["初期登録", "出生", "転入"]
EXIT_REASONS = ["死亡", "転出"]
RELATIONSHIPS = ["世帯主", "配偶者", "子", "親", "その他"]
HEAD, SPOUSE, CHILD, PARENT, OTHER = range(5)
FORMED_REASONS = ["初期登録", "転入", "独立", "結婚", "離別"]
INITIAL, MOVED_IN, LEFT_HOME, COUPLED, SEPARATED = range(5)

TABLES = {
    "residents": "住民基本台帳の個人(期間中に一度でも登録された人)。出生・死亡・転入・転出の日付つき",
    "households": "世帯。期間中に存在したすべての世帯と、その所在地・形成理由",
    "resident_years": "各年度4月1日時点の住民基本台帳(1人1年度1行)",
}

_FY_NOTE = "各年度の4月1日時点。"
COLUMNS = [
    shared(
        "person_id",
        "residents",
        "住民を識別する番号(架空)。匿名化版では鍵付きの仮名(別の番号)に置き換わる",
    ),
    shared("sex", "residents"),
    shared("birth_date", "residents", "生年月日(匿名化版では年の1月1日に丸める)"),
    shared("nationality", "residents"),
    Column(
        "residents",
        "entry_date",
        "datetime64[s]",
        "登録日",
        "registration date",
        "",
        "出生日・転入日。初年度4月1日に既に住んでいた人は初年度4月1日",
    ),
    Column(
        "residents",
        "entry_reason",
        "category",
        "登録理由",
        "registration reason",
        "",
        "初期登録・出生・転入",
    ),
    Column(
        "residents",
        "exit_date",
        "datetime64[s]",
        "消除日",
        "deregistration date",
        "",
        "死亡日・転出日。期間末まで住んでいる人は空欄",
    ),
    Column(
        "residents",
        "exit_reason",
        "category",
        "消除理由",
        "deregistration reason",
        "",
        "死亡・転出。転出率・世帯形成率は仮定値",
    ),
    shared(
        "household_id",
        "households",
        "世帯を識別する番号(架空)。匿名化版では鍵付きの仮名(別の番号)に置き換わる",
    ),
    shared("chome_code", "households", "世帯の所在する町丁"),
    shared("district_code", "households", "世帯の所在する住区"),
    shared("area", "households", "世帯の所在する地区"),
    Column(
        "households",
        "formed_date",
        "datetime64[s]",
        "世帯形成日",
        "date formed",
        "",
        "世帯ができた日(初年度から住む世帯は初年度4月1日)",
    ),
    Column(
        "households",
        "formed_reason",
        "category",
        "形成理由",
        "reason formed",
        "",
        "初期登録・転入・独立・結婚・離別",
    ),
    shared("fiscal_year", "resident_years", _FY_NOTE + "4月から翌年3月まで"),
    shared("person_id", "resident_years", "residents の person_id"),
    shared("age", "resident_years", _FY_NOTE + "満年齢(保育の年齢区分と同じ数え方)"),
    shared("sex", "resident_years"),
    shared("nationality", "resident_years"),
    shared("household_id", "resident_years", _FY_NOTE + "所属する世帯"),
    Column(
        "resident_years",
        "relationship",
        "category",
        "続柄",
        "relationship to head",
        "",
        "世帯主・配偶者・子・親・その他",
    ),
    shared("chome_code", "resident_years", _FY_NOTE + "住所の町丁"),
    shared("district_code", "resident_years", _FY_NOTE + "住所の住区"),
    shared("area", "resident_years", _FY_NOTE + "住所の地区"),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). The pseudonymized
#: variant reaches k over the person register's birth date, sex and nationality, and over each
#: year's fiscal year, age, sex and nationality.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "residents": {"id": ("person_id",), "quasi": ("birth_date", "sex", "nationality")},
    "households": {"id": ("household_id",)},
    "resident_years": {
        "id": ("person_id", "household_id"),
        "quasi": ("fiscal_year", "age", "sex", "nationality"),
    },
}

PARAMETERS = [
    Param(
        "population.start",
        low=100,
        ja="初年度4月1日の住民基本台帳の人数(scale を掛けた人数が生成される)",
        unit="人",
        when="first",
    ),
    Param(
        "population.end",
        low=100,
        ja="最終年度4月1日の住民基本台帳の人数。途中の年度は初年度から直線で近づけ、足りない分を転入で補う",
        unit="人",
        when="last",
    ),
    Param(
        "population.male_share",
        low=0.3,
        high=0.7,
        ja="初年度の男性の割合の目標。age_band_shares と male_share_by_age から決まる割合との差が"
        "0.01を超えるプロファイルは、生成の前にエラーになる",
        unit="割合(0～1)",
        when="check",
        driver="population.male_share_by_age",
    ),
    Param(
        "population.foreign_share",
        low=0,
        high=0.5,
        ja="外国籍の住民の割合。初年度の住民に割り当て、以後は転入者で毎年度この割合に近づける",
        unit="割合(0～1)",
    ),
    Param(
        "population.age_band_shares",
        "numbers",
        low=0,
        length=N_BANDS,
        ja="年齢5歳階級(0～4歳、5～9歳、…、90～94歳、95歳以上の20階級)の人口割合。初年度の住民の年齢はここから作られる(合計100)",
        unit="%",
        when="first",
    ),
    Param(
        "population.age_share_targets",
        "numbers",
        low=0,
        high=100,
        length=3,
        ja="初年度の年齢3区分(0～14歳、15～64歳、65歳以上)の人口割合の目標。"
        "age_band_shares の階級の合計との差が0.5ポイントを超えるプロファイルは、生成の前にエラーになる",
        unit="%",
        when="check",
        driver="population.age_band_shares",
    ),
    Param(
        "population.male_share_by_age",
        "numbers",
        low=0,
        high=1,
        length=6,
        ja="年齢区分(0～19、20～39、40～64、65～74、75～84、85歳以上)ごとの男性の割合。初年度の住民と、一人で転入する世帯主の性別を決める",
        unit="割合(0～1)",
        when="first",
    ),
    Param(
        "population.foreign_weight_by_age",
        "numbers",
        low=0,
        length=4,
        ja="年齢区分(0～19、20～39、40～64、65歳以上)ごとの外国籍になりやすさ(相対的な重み)",
        unit="倍(相対的な重み)",
    ),
    Param(
        "population.births_per_1000",
        "numbers",
        low=0,
        high=40,
        ja="年度ごとの出生数(人口千人あたり)。初年度から最終年度まで年度の数だけ並べる",
        unit="人(人口千人あたり)",
        when="by_year",
    ),
    Param(
        "population.out_rate_by_age",
        "numbers",
        low=0,
        high=0.5,
        length=N_BANDS,
        ja="年齢5歳階級(20階級)ごとの1年間の転出率。世帯はその世帯員の率の平均で転出する",
        unit="割合(0～1、1年あたり)",
    ),
    Param(
        "population.in_age_weights",
        "numbers",
        low=0,
        length=N_BANDS,
        ja="転入する世帯主の年齢5歳階級(20階級)の重み。どの年齢の人が転入しやすいかを決める",
        unit="倍(相対的な重み)",
    ),
    Param(
        "population.elderly_weight_by_area",
        "numbers",
        low=0,
        ja="地区ごとの、65歳以上の世帯主の住みやすさ(相対的な重み、geography.areas と同じ順)。値が最も小さい地区の最初の住区が団地になる",
        unit="倍(相対的な重み)",
    ),
    Param(
        "population.estate_pull",
        low=0,
        high=20,
        ja="初年度に、世帯主が50～64歳の世帯が団地に住む倍率(団地の最初の住民が同じ世代で入居した想定)",
        unit="倍",
        when="first",
    ),
    Param(
        "population.estate_elderly_weight",
        low=0,
        high=20,
        ja="初年度に、世帯主が65歳以上の世帯が団地に住む倍率",
        unit="倍",
        when="first",
    ),
    Param(
        "population.estate_inflow",
        low=0,
        high=20,
        ja="2年度目以降に、新しい世帯が団地に入る倍率(空き家が出にくいほど小さい)。団地が最も速く高齢化する",
        unit="倍",
    ),
    Param(
        "households.persons_per_household",
        low=1,
        high=6,
        ja="初年度の1世帯あたりの人数。初年度の世帯数は人口をこれで割った数になる",
        unit="人",
        when="first",
    ),
    Param(
        "households.end",
        low=1,
        ja="最終年度4月1日の世帯数。途中の年度は初年度の世帯数から直線で近づける",
        unit="世帯",
        when="last",
    ),
    Param(
        "households.single_share",
        low=0,
        high=0.95,
        ja="初年度の単独世帯(一人暮らし)の割合",
        unit="割合(0～1)",
        when="first",
    ),
    Param(
        "households.single_weight_by_age",
        "numbers",
        low=0,
        length=N_BANDS,
        ja="年齢5歳階級(20階級)ごとの、一人暮らしになりやすさ(相対的な重み)",
        unit="倍(相対的な重み)",
        when="first",
    ),
    Param(
        "households.single_parent_share",
        low=0,
        high=1,
        ja="子のいる世帯のうち、ひとり親の世帯の割合(初年度の世帯と転入世帯)",
        unit="割合(0～1)",
    ),
    Param(
        "households.leave_home_rate",
        low=0,
        high=1,
        ja="親元にいる成人の子が1年間に独立して同じ自治体の中に世帯を持つ率",
        unit="割合(0～1、1年あたり)",
    ),
    Param(
        "households.couple_formation_rate",
        low=0,
        high=1,
        ja="一人暮らしの女性が1年間に結婚して新しい世帯を持つ率",
        unit="割合(0～1、1年あたり)",
    ),
    Param(
        "households.separation_rate",
        low=0,
        high=1,
        ja="夫婦が1年間に別れる率(配偶者が出て一人暮らしになる)",
        unit="割合(0～1、1年あたり)",
    ),
    Param(
        "households.in_household_types",
        "numbers",
        low=0,
        length=3,
        ja="転入世帯の種類(単身・夫婦のみ・子のいる世帯)の割合。単身の数は人口と世帯数の目標から決まり、残りを夫婦と子のいる世帯にこの比で分ける",
        unit="割合",
    ),
    Param(
        "households.family.child_at_home_ages",
        "numbers",
        low=0,
        high=120,
        ja="親元に住む子の割合を与える年齢(間の年齢は直線で補う)。child_at_home_share と同じ数だけ並べる",
        unit="歳",
        when="first",
    ),
    Param(
        "households.family.child_at_home_share",
        "numbers",
        low=0,
        high=1,
        ja="child_at_home_ages の各年齢で、親元に住む子の割合",
        unit="割合(0～1)",
        when="first",
    ),
    Param(
        "households.family.mother_age_gap",
        "numbers",
        low=0,
        high=60,
        length=2,
        ja="母と子の年齢差の平均と標準偏差",
        unit="年",
        when="first",
    ),
    Param(
        "households.family.mother_age_gap_range",
        "numbers",
        low=10,
        high=60,
        length=2,
        ja="母と子の年齢差の下限と上限",
        unit="年",
        when="first",
    ),
    Param(
        "households.family.children",
        "numbers",
        low=1,
        high=10,
        ja="初年度の家族の子の数の候補(children_shares と同じ数だけ並べる)",
        unit="人",
        when="first",
    ),
    Param(
        "households.family.children_shares",
        "numbers",
        low=0,
        high=1,
        ja="children の各人数の家族の割合(合計1)",
        unit="割合(0～1)",
        when="first",
    ),
    Param(
        "households.family.husband_age_gap",
        "numbers",
        low=-20,
        high=20,
        length=2,
        ja="夫と妻の年齢差(夫－妻)の平均と標準偏差。新しく夫婦になる二人にも使う",
        unit="年",
    ),
    Param(
        "households.family.wife_weight_ages",
        "numbers",
        low=0,
        high=120,
        ja="子と同居しない女性が妻である重みを与える年齢(間の年齢は直線で補う)",
        unit="歳",
        when="first",
    ),
    Param(
        "households.family.wife_weights",
        "numbers",
        low=0,
        ja="wife_weight_ages の各年齢で、子と同居しない女性が妻である重み",
        unit="倍(相対的な重み)",
        when="first",
    ),
    Param(
        "households.family.leave_home_ages",
        "numbers",
        low=15,
        high=100,
        length=2,
        ja="親元の子が独立しうる年齢の下限と上限",
        unit="歳",
    ),
    Param(
        "households.family.couple_formation_ages",
        "numbers",
        low=15,
        high=100,
        length=2,
        ja="一人暮らしの人が夫婦になりうる年齢の下限と上限",
        unit="歳",
    ),
    Param(
        "households.family.bride_max_age",
        low=15,
        high=100,
        ja="新しく夫婦になる女性の年齢の上限",
        unit="歳",
    ),
    Param(
        "households.family.alone_move_factor",
        low=0,
        high=1,
        ja="成人の子・親などが一人で転出する率の、その年齢の転出率に対する倍率",
        unit="倍",
    ),
    Param(
        "households.in_movers.family_head_age",
        "numbers",
        low=0,
        high=100,
        length=2,
        ja="子のいる転入世帯の世帯主の年齢の平均と標準偏差",
        unit="歳",
    ),
    Param(
        "households.in_movers.family_head_age_range",
        "numbers",
        low=18,
        high=100,
        length=2,
        ja="子のいる転入世帯の世帯主の年齢の下限と上限",
        unit="歳",
    ),
    Param(
        "households.in_movers.couple_head_min_age",
        low=18,
        high=100,
        ja="夫婦のみで転入する世帯の世帯主の年齢の下限",
        unit="歳",
    ),
    Param(
        "households.in_movers.children",
        "numbers",
        low=1,
        high=10,
        ja="子のいる転入世帯の子の数の候補",
        unit="人",
    ),
    Param(
        "households.in_movers.children_shares",
        "numbers",
        low=0,
        high=1,
        ja="in_movers.children の各人数の割合(合計1)",
        unit="割合(0～1)",
    ),
    Param(
        "households.in_movers.child_age_gap",
        "numbers",
        low=0,
        high=60,
        length=2,
        ja="転入世帯の世帯主と子の年齢差の平均と標準偏差",
        unit="年",
    ),
    Param(
        "households.in_movers.girl_share",
        low=0,
        high=1,
        ja="転入する子のうち女子の割合",
        unit="割合(0～1)",
    ),
    Param(
        "mortality.anchor_ages",
        "numbers",
        low=0,
        high=120,
        ja="死亡確率を与える年齢(間の年齢は対数で直線に補う)。qx_male・qx_female と同じ数だけ並べる",
        unit="歳",
    ),
    Param(
        "mortality.qx_male",
        "numbers",
        low=0,
        high=1,
        ja="anchor_ages の各年齢で、男性が1年間に死亡する確率",
        unit="確率(0～1)",
    ),
    Param(
        "mortality.qx_female",
        "numbers",
        low=0,
        high=1,
        ja="anchor_ages の各年齢で、女性が1年間に死亡する確率",
        unit="確率(0～1)",
    ),
    Param("mortality.scale", low=0, high=5, ja="死亡確率全体に掛ける倍率", unit="倍"),
    Param(
        "fertility.asfr",
        "numbers",
        low=0,
        high=1,
        length=7,
        ja="母の年齢5歳階級(15～19歳から45～49歳の7階級)ごとの出生率。年齢による出生の形だけを使い、出生の総数は population.births_per_1000 で決まる",
        unit="出生率(1人1年あたり)",
    ),
    Param(
        "fertility.male_birth_share",
        low=0,
        high=1,
        ja="生まれる子のうち男児の割合",
        unit="割合(0～1)",
    ),
]

MALE_GROUP_EDGES = np.array([20, 40, 65, 75, 85])  # 0-19, 20-39, 40-64, 65-74, 75-84, 85+
FOREIGN_GROUP_EDGES = np.array([20, 40, 65])  # 0-19, 20-39, 40-64, 65+
DAY = np.timedelta64(1, "D")


def check_profile(profile) -> None:
    """Cross-figure checks that single-figure bounds cannot express."""
    from ebpmkit.errors import ProfileError

    shares = profile.numbers("population.age_band_shares")
    if abs(shares.sum() - 100) > 0.5:
        raise ProfileError(
            message("population.age_band_sum", found=f"{shares.sum():.1f}", origin=profile.origin)
        )
    _check_age_targets(profile, shares)
    _check_male_share(profile, shares)
    n_years = len(profile.fiscal_years)
    if len(profile.numbers("population.births_per_1000")) != n_years:
        raise ProfileError(
            message(
                "population.births_per_year",
                years=n_years,
                found=len(profile.numbers("population.births_per_1000")),
                origin=profile.origin,
            )
        )
    n_areas = len(profile.get("geography.areas"))
    if len(profile.numbers("population.elderly_weight_by_area")) != n_areas:
        raise ProfileError(
            message(
                "population.elderly_weight_per_area",
                areas=n_areas,
                found=len(profile.numbers("population.elderly_weight_by_area")),
                origin=profile.origin,
            )
        )
    if profile.numbers("households.in_household_types").sum() <= 0:
        raise ProfileError(message("population.in_household_types", origin=profile.origin))
    _check_family(profile)


#: Bands (of ``age_band_shares``) of the three age groups 0-14, 15-64 and 65+.
AGE_GROUP_BANDS = (slice(0, 3), slice(3, 13), slice(13, N_BANDS))
AGE_GROUP_LABELS = ("0～14歳", "15～64歳", "65歳以上")
#: How far (percentage points) a group's share may differ from ``age_share_targets``.
AGE_TARGET_TOLERANCE = 0.5


def age_group_shares(band_shares: np.ndarray) -> np.ndarray:
    """Shares of the groups 0-14, 15-64 and 65+ from the 20 five-year band shares.

    Examples
    --------
    >>> age_group_shares(np.full(20, 5.0)).tolist()
    [15.0, 50.0, 35.0]
    """
    return np.array([float(band_shares[b].sum()) for b in AGE_GROUP_BANDS])


def _check_age_targets(profile, band_shares: np.ndarray) -> None:
    """``age_share_targets`` must agree with the bands the ages are drawn from.

    The generator draws the first register's ages from ``age_band_shares``; the targets are only
    compared with the result, so targets that disagree would be silently missed.
    """
    from ebpmkit.errors import ProfileError

    targets = profile.numbers("population.age_share_targets")
    groups = age_group_shares(band_shares)
    if np.abs(groups - targets).max() > AGE_TARGET_TOLERANCE:

        def show(values: np.ndarray) -> str:
            return "[" + ", ".join(f"{v:.1f}" for v in values) + "]"

        raise ProfileError(
            message(
                "population.age_targets_unmet",
                targets=show(targets),
                groups=show(groups),
                tolerance=AGE_TARGET_TOLERANCE,
                origin=profile.origin,
            )
        )


#: How far the male share implied by the bands and ``male_share_by_age`` may be from
#: ``male_share``.
MALE_SHARE_TOLERANCE = 0.01


def implied_male_share(band_shares: np.ndarray, male_share_by_age: np.ndarray) -> float:
    """The first register's male share that the age bands and the male share by age give.

    Examples
    --------
    >>> implied_male_share(np.full(20, 5.0), np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.3]))
    0.47
    """
    group = np.searchsorted(MALE_GROUP_EDGES, np.arange(N_BANDS) * 5, "right")
    return round(float(band_shares @ male_share_by_age[group]) / float(band_shares.sum()), 6)


def _check_male_share(profile, band_shares: np.ndarray) -> None:
    """``male_share`` must agree with what the bands and ``male_share_by_age`` give."""
    from ebpmkit.errors import ProfileError

    want = profile.number("population.male_share")
    got = implied_male_share(band_shares, profile.numbers("population.male_share_by_age"))
    if abs(got - want) > MALE_SHARE_TOLERANCE:
        raise ProfileError(
            message(
                "population.male_share_unmet",
                target=f"{want:.3f}",
                implied=f"{got:.3f}",
                tolerance=MALE_SHARE_TOLERANCE,
                origin=profile.origin,
            )
        )


def _check_family(profile) -> None:
    """The family model's lists must pair up, and its shares add up to 1."""
    from ebpmkit.errors import ProfileError

    for values, weights in (
        ("family.child_at_home_ages", "family.child_at_home_share"),
        ("family.wife_weight_ages", "family.wife_weights"),
        ("family.children", "family.children_shares"),
        ("in_movers.children", "in_movers.children_shares"),
    ):
        xs = profile.numbers(f"households.{values}")
        ws = profile.numbers(f"households.{weights}")
        if len(xs) != len(ws) or len(xs) == 0:
            raise ProfileError(
                message(
                    "population.family_pairs",
                    values=f"households.{values}",
                    weights=f"households.{weights}",
                    found_values=len(xs),
                    found_weights=len(ws),
                    origin=profile.origin,
                )
            )
        if weights.endswith("shares") and abs(ws.sum() - 1) > 1e-6:
            raise ProfileError(
                message(
                    "population.shares_sum",
                    key=f"households.{weights}",
                    found=f"{ws.sum():g}",
                    origin=profile.origin,
                )
            )


# -- small vectorised helpers ---------------------------------------------------------------
def age_on(birth: np.ndarray, date: np.datetime64) -> np.ndarray:
    """Completed years of age on ``date`` for an array of ``datetime64[D]`` birth dates.

    Examples
    --------
    >>> age_on(np.array(["2000-04-02", "2000-04-01"], dtype="datetime64[D]"), np.datetime64("2015-04-01"))
    array([14, 15])
    """
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    bm = (birth.astype("datetime64[M]") - birth.astype("datetime64[Y]")).astype(np.int64) + 1
    bd = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    d = np.datetime64(date, "D")
    ry = int(d.astype("datetime64[Y]").astype(np.int64)) + 1970
    rm = int((d.astype("datetime64[M]") - d.astype("datetime64[Y]")).astype(np.int64)) + 1
    rd = int((d - d.astype("datetime64[M]")).astype(np.int64)) + 1
    not_yet = (bm * 100 + bd) > (rm * 100 + rd)
    return (ry - by - not_yet).astype(np.int64)


def _year_and_monthday(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year and month*100+day of ``datetime64[D]`` dates (one slow conversion, cached)."""
    year = dates.astype("datetime64[Y]")
    month = dates.astype("datetime64[M]")
    md = ((month - year).astype(np.int64) + 1) * 100 + (dates - month).astype(np.int64) + 1
    return year.astype(np.int64) + 1970, md


def _band(age: np.ndarray) -> np.ndarray:
    return np.minimum(age // 5, N_BANDS - 1)


def match_by_age(
    target_ages: np.ndarray,
    cand_ages: np.ndarray,
    rng: np.random.Generator,
    offsets: tuple[int, ...] = (0, 1, -1, 2, -2, 3, -3, 4, -4, 6, -6, 8, -8, 12, -12),
) -> np.ndarray:
    """Give each target a distinct candidate of the same age (or the nearest within ``offsets``).

    Returns the candidate index for each target, or -1 where none was left.

    Examples
    --------
    >>> match_by_age(np.array([30, 31]), np.array([31, 30, 50]), np.random.default_rng(0))
    array([1, 0])
    """
    result = np.full(len(target_ages), -1, dtype=np.int64)
    available = np.ones(len(cand_ages), dtype=bool)
    for off in offsets:
        todo = np.flatnonzero(result < 0)
        cidx = np.flatnonzero(available)
        if len(todo) == 0 or len(cidx) == 0:
            break
        cidx = cidx[rng.permutation(len(cidx))]
        cidx = cidx[np.argsort(cand_ages[cidx], kind="stable")]
        ages_c = cand_ages[cidx]
        want = target_ages[todo] + off
        order = np.argsort(want, kind="stable")
        sorted_want = want[order]
        rank = np.empty(len(todo), dtype=np.int64)
        rank[order] = np.arange(len(todo)) - np.searchsorted(sorted_want, sorted_want, "left")
        lo = np.searchsorted(ages_c, want, "left")
        hi = np.searchsorted(ages_c, want, "right")
        ok = rank < (hi - lo)
        chosen = cidx[lo[ok] + rank[ok]]
        result[todo[ok]] = chosen
        available[chosen] = False
    return result


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` distinct items drawn with probability proportional to ``weights``."""
    n = min(n, int((weights > 0).sum()))
    if n <= 0:
        return np.array([], dtype=np.int64)
    # Efraimidis-Spirakis keys: the n largest u**(1/w) are a weighted sample without replacement.
    keys = np.full(len(weights), -np.inf)
    pos = weights > 0
    keys[pos] = np.log(rng.random(pos.sum())) / weights[pos]
    return np.argpartition(-keys, n - 1)[:n]


class _State:
    """Growing per-person and per-household arrays of the microsimulation."""

    def __init__(self) -> None:
        self.sex = np.empty(0, np.int8)
        self.birth = np.empty(0, "datetime64[D]")
        self.foreign = np.empty(0, bool)
        self.entry = np.empty(0, "datetime64[D]")
        self.entry_reason = np.empty(0, np.int8)
        self.exit = np.empty(0, "datetime64[D]")
        self.exit_reason = np.empty(0, np.int8)
        self.hh = np.empty(0, np.int64)
        self.rel = np.empty(0, np.int8)
        self.hh_chome = np.empty(0, np.int64)
        self.hh_formed = np.empty(0, "datetime64[D]")
        self.hh_reason = np.empty(0, np.int8)
        self.birth_year = np.empty(0, np.int64)
        self.birth_md = np.empty(0, np.int64)

    def age(self, persons: np.ndarray, on: np.datetime64) -> np.ndarray:
        """Age on date ``on`` of the given persons, from the cached birth year and month-day."""
        (ry,), (rmd,) = _year_and_monthday(np.array([on], dtype="datetime64[D]"))
        return ry - self.birth_year[persons] - (self.birth_md[persons] > rmd)

    @property
    def n(self) -> int:
        return len(self.sex)

    def add_persons(self, sex, birth, foreign, entry, reason, hh, rel) -> np.ndarray:
        start = self.n
        k = len(sex)
        self.sex = np.concatenate([self.sex, sex.astype(np.int8)])
        self.birth = np.concatenate([self.birth, birth])
        by, bmd = _year_and_monthday(birth)
        self.birth_year = np.concatenate([self.birth_year, by])
        self.birth_md = np.concatenate([self.birth_md, bmd])
        self.foreign = np.concatenate([self.foreign, foreign])
        self.entry = np.concatenate([self.entry, np.broadcast_to(entry, k)])
        self.entry_reason = np.concatenate([self.entry_reason, np.full(k, reason, np.int8)])
        self.exit = np.concatenate([self.exit, np.full(k, np.datetime64("NaT"), "datetime64[D]")])
        self.exit_reason = np.concatenate([self.exit_reason, np.full(k, -1, np.int8)])
        self.hh = np.concatenate([self.hh, hh.astype(np.int64)])
        self.rel = np.concatenate([self.rel, rel.astype(np.int8)])
        return np.arange(start, self.n)

    def add_households(self, chome, formed, reason) -> np.ndarray:
        start = len(self.hh_chome)
        k = len(chome)
        self.hh_chome = np.concatenate([self.hh_chome, chome.astype(np.int64)])
        self.hh_formed = np.concatenate([self.hh_formed, np.broadcast_to(formed, k)])
        self.hh_reason = np.concatenate([self.hh_reason, np.full(k, reason, np.int8)])
        return np.arange(start, len(self.hh_chome))

    def present(self) -> np.ndarray:
        return np.flatnonzero(np.isnat(self.exit))


@dataclass(frozen=True)
class _Family:
    """The family model: how people group into households and how newcomers' families look.

    Read from ``households.family`` and ``households.in_movers`` (national assumptions in
    ``rates/demography.toml``, which a profile may override). Means and standard deviations
    are in years.
    """

    at_home_ages: np.ndarray  # ages at which the share living with a parent is given
    at_home_share: np.ndarray
    mother_gap: tuple[float, float]  # mother's age minus her child's: mean, sd
    mother_gap_range: tuple[float, float]
    children: np.ndarray  # children per family on the first register
    children_shares: np.ndarray
    husband_gap: tuple[float, float]  # husband's age minus his wife's: mean, sd
    wife_ages: np.ndarray  # ages at which the weight of a childless woman being a wife is given
    wife_weights: np.ndarray
    leave_home_ages: tuple[int, int]  # a child of these ages may leave home
    couple_ages: tuple[int, int]  # a single person of these ages may form a couple
    bride_max_age: int
    alone_move_factor: float  # adults moving out alone, as a share of their age's rate
    in_head_age: tuple[float, float]  # head of an in-moving family: mean, sd
    in_head_age_range: tuple[float, float]
    in_couple_head_min_age: int
    in_children: np.ndarray  # children per in-moving family
    in_children_shares: np.ndarray
    in_children_mean: float
    in_child_gap: tuple[float, float]  # head's age minus the child's: mean, sd
    in_girl_share: float

    @property
    def husband_gap_years(self) -> int:
        """The mean husband-wife gap in whole years, for matching a new couple by age."""
        return int(np.rint(self.husband_gap[0]))

    @classmethod
    def read(cls, p: Profile) -> _Family:
        f, i = "households.family.", "households.in_movers."

        def pair(key: str) -> tuple[float, float]:
            a, b = p.numbers(key, length=2)
            return float(a), float(b)

        def int_pair(key: str) -> tuple[int, int]:
            a, b = pair(key)
            return int(a), int(b)

        return cls(
            at_home_ages=p.numbers(f + "child_at_home_ages"),
            at_home_share=p.numbers(f + "child_at_home_share"),
            mother_gap=pair(f + "mother_age_gap"),
            mother_gap_range=pair(f + "mother_age_gap_range"),
            children=p.numbers(f + "children").astype(np.int64),
            children_shares=p.numbers(f + "children_shares"),
            husband_gap=pair(f + "husband_age_gap"),
            wife_ages=p.numbers(f + "wife_weight_ages"),
            wife_weights=p.numbers(f + "wife_weights"),
            leave_home_ages=int_pair(f + "leave_home_ages"),
            couple_ages=int_pair(f + "couple_formation_ages"),
            bride_max_age=int(p.number(f + "bride_max_age")),
            alone_move_factor=p.number(f + "alone_move_factor"),
            in_head_age=pair(i + "family_head_age"),
            in_head_age_range=pair(i + "family_head_age_range"),
            in_couple_head_min_age=int(p.number(i + "couple_head_min_age")),
            in_children=p.numbers(i + "children").astype(np.int64),
            in_children_shares=p.numbers(i + "children_shares"),
            # Rounded so float noise (1.4000000000000001) cannot shift the in-mover counts.
            in_children_mean=round(
                float(p.numbers(i + "children") @ p.numbers(i + "children_shares")), 9
            ),
            in_child_gap=pair(i + "child_age_gap"),
            in_girl_share=p.number(i + "girl_share"),
        )


class _Model:
    """Rates read once from the profile."""

    def __init__(self, ctx: SimContext) -> None:
        p = ctx.profile
        self.rng = ctx.rng("population")
        self.years = p.fiscal_years
        self.band_shares = p.numbers("population.age_band_shares") / 100
        self.male_by_group = p.numbers("population.male_share_by_age")
        self.foreign_share = p.number("population.foreign_share")
        self.foreign_w = p.numbers("population.foreign_weight_by_age")
        self.births_per_1000 = p.numbers("population.births_per_1000")
        self.out_rate = p.numbers("population.out_rate_by_age")
        self.in_w = p.numbers("population.in_age_weights")
        self.elderly_area_w = p.numbers("population.elderly_weight_by_area")
        self.pph = p.number("households.persons_per_household")
        self.single_share = p.number("households.single_share")
        self.single_w = p.numbers("households.single_weight_by_age")
        self.single_parent = p.number("households.single_parent_share")
        self.leave_home = p.number("households.leave_home_rate")
        self.couple_rate = p.number("households.couple_formation_rate")
        self.separation = p.number("households.separation_rate")
        self.in_types = p.numbers("households.in_household_types")
        self.family = _Family.read(p)
        self.asfr = p.numbers("fertility.asfr")
        self.boy_share = p.number("fertility.male_birth_share")
        ages = np.arange(0, 121)
        anchors = p.numbers("mortality.anchor_ages")
        scale = p.number("mortality.scale")
        self.qx = np.stack(
            [
                np.minimum(
                    np.exp(np.interp(ages, anchors, np.log(p.numbers(f"mortality.qx_{s}"))))
                    * scale,
                    0.6,
                )
                for s in ("male", "female")
            ]
        )
        start = p.number("population.start") * ctx.scale
        end = p.number("population.end") * ctx.scale
        n = len(self.years)
        # Register targets on 1 April of each fiscal year, plus one more after the last year.
        steps = np.arange(n + 1) / max(n - 1, 1)
        self.targets = np.round(start + (end - start) * steps).astype(np.int64)
        hh_start = start / self.pph
        hh_end = p.number("households.end") * ctx.scale
        self.hh_targets = np.round(hh_start + (hh_end - hh_start) * steps).astype(np.int64)

    # -- drawing people -------------------------------------------------------------------
    def draw_sex(self, age: np.ndarray) -> np.ndarray:
        p_male = self.male_by_group[np.searchsorted(MALE_GROUP_EDGES, age, "right")]
        return (self.rng.random(len(age)) >= p_male).astype(np.int8)  # 0 male, 1 female

    def draw_birth(self, age: np.ndarray, on: np.datetime64) -> np.ndarray:
        """Birth dates for people who are ``age`` on date ``on``."""
        days = (age * 365.2425 + self.rng.random(len(age)) * 365).astype(np.int64)
        birth = on - days * DAY
        # Rounding can land a day off the requested age; nudge into the right year of age.
        got = age_on(birth, on)
        birth = birth + (got - age) * 365 * DAY
        return birth

    def draw_ages_from_bands(self, weights: np.ndarray, n: int, low: int = 0) -> np.ndarray:
        w = weights.copy()
        w[: low // 5] = 0
        band = self.rng.choice(N_BANDS, size=n, p=w / w.sum())
        within = self.rng.integers(0, 5, size=n)
        top = band == N_BANDS - 1
        within[top] = np.minimum(self.rng.geometric(0.28, top.sum()) - 1, 14)
        return np.maximum(band * 5 + within, low)

    def foreign_weight(self, age: np.ndarray) -> np.ndarray:
        return self.foreign_w[np.searchsorted(FOREIGN_GROUP_EDGES, age, "right")]


class _Places:
    """Where households live: a chome for each new household, by the head's age.

    Older residents live more in some areas (``elderly_weight_by_area``). One place is built
    into every municipality so that ageing is not the same everywhere, as in real wards and
    cities, and a lesson's "largest rise" is not simply "highest level": an **estate** (団地),
    the first district of the youngest area. Its first residents moved in as young families
    decades ago; on the first register households whose head is 50-64 are drawn to it
    (``estate_pull``), it holds few older households (``estate_elderly_weight``) and few homes
    fall vacant later (``estate_inflow``), so it ages fastest.
    """

    def __init__(self, ctx: SimContext, model: _Model) -> None:
        p = ctx.profile
        chome = ctx.tables["chome"]
        self.rng = model.rng
        self.district = chome["district_code"].astype(str).to_numpy()
        areas = list(p.get("geography.areas"))
        area_idx = chome["area"].astype(str).map({a: i for i, a in enumerate(areas)}).to_numpy()
        # A fixed density pattern per chome (from the profile's map seed, not the data seed),
        # so the same chome is dense or sparse whatever the seed.
        density = np.random.default_rng(int(p.number("geography.layout_seed"))).lognormal(
            0, 0.35, len(chome)
        )
        self.base = chome["area_km2"].to_numpy(float) * density
        self.elderly_w = model.elderly_area_w[area_idx]
        youngest = int(np.argmin(model.elderly_area_w))
        self.estate_district = str(np.min(self.district[area_idx == youngest]))
        estate = self.district == self.estate_district
        self.estate_area = areas[youngest]
        pull = p.number("population.estate_pull", low=0)
        elderly = p.number("population.estate_elderly_weight", low=0)
        later = np.where(estate, p.number("population.estate_inflow", low=0), 1.0)
        self.first = (
            _normalize(self.base),
            _normalize(self.base * np.where(estate, pull, 1.0)),
            _normalize(self.base * self.elderly_w * np.where(estate, elderly, 1.0)),
        )
        young = _normalize(self.base * later)
        self.later_weights = (young, young, _normalize(self.base * self.elderly_w * later))

    def initial(self, head_age: np.ndarray) -> np.ndarray:
        """Chome of the households on the first 1 April register."""
        return self._draw(head_age, self.first)

    def later(self, head_age: np.ndarray) -> np.ndarray:
        """Chome of households formed or moving in later."""
        return self._draw(head_age, self.later_weights)

    def _draw(self, head_age: np.ndarray, weights) -> np.ndarray:
        young, pre_elderly, old = weights
        out = self.rng.choice(len(young), size=len(head_age), p=young)
        for mask, p in (((head_age >= 50) & (head_age < 65), pre_elderly), (head_age >= 65, old)):
            if p is not young:
                out[mask] = self.rng.choice(len(p), size=int(mask.sum()), p=p)
        return out


def _normalize(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _initial_register(ctx: SimContext, m: _Model, st: _State, places: _Places) -> None:
    """The register on 1 April of the first fiscal year, grouped into households.

    Stages: draw the people; families (children under a mother, most with a father); one-person
    households; couples without children at home and other two-person households; everyone
    left joins a household; households placed in chome.
    """
    rng = m.rng
    d0 = np.datetime64(f"{m.years[0]}-04-01")
    n0 = int(m.targets[0])
    age = m.draw_ages_from_bands(m.band_shares, n0)
    sex = m.draw_sex(age)
    fw = m.foreign_weight(age)
    foreign = rng.random(n0) < m.foreign_share * fw / fw.mean()
    birth = m.draw_birth(age, d0)

    # Household of each person (-1 while unassigned) and relationship to its head; the
    # stages below fill both in place.
    hh = np.full(n0, -1, np.int64)
    rel = np.full(n0, OTHER, np.int8)
    h_target = round(n0 / m.pph)
    n_families, next_hh = _first_families(m, age, sex, hh, rel)
    singles = _first_singles(m, age, hh, rel, next_hh, round(m.single_share * h_target))
    next_hh += len(singles)
    # The rest of the household count is made of two-person households.
    _first_couples(m, age, sex, hh, rel, next_hh, h_target - len(singles) - n_families)
    _join_a_household(rng, age, hh, rel, singles)

    # Renumber households densely and place each in a chome.
    used, hh = np.unique(hh, return_inverse=True)
    head_age = np.zeros(len(used), np.int64)
    is_head = rel == HEAD
    head_age[hh[is_head]] = age[is_head]
    st.add_households(places.initial(head_age), d0, INITIAL)
    st.add_persons(sex, birth, foreign, d0, 0, hh, rel)


def _first_families(
    m: _Model, age: np.ndarray, sex: np.ndarray, hh: np.ndarray, rel: np.ndarray
) -> tuple[int, int]:
    """Children (0-17, and some 18-24 still at home) grouped under a mother of a fitting age,
    most with a husband as head; households numbered from 0.

    Returns the number of families that found a mother and the next free household number.
    """
    rng, fam = m.rng, m.family
    n0 = len(age)
    p_home = np.interp(age, fam.at_home_ages, fam.at_home_share)
    kid = rng.random(n0) < p_home
    kids = np.flatnonzero(kid)
    gap = np.clip(rng.normal(*fam.mother_gap, len(kids)), *fam.mother_gap_range)
    implied = age[kids] + gap
    kids = kids[np.argsort(implied, kind="stable")]
    implied = np.sort(implied)
    sizes = rng.choice(fam.children, size=len(kids), p=fam.children_shares)
    fam_of_kid = np.repeat(np.arange(len(sizes)), sizes)[: len(kids)]
    n_fam = int(fam_of_kid[-1]) + 1 if len(kids) else 0
    fam_target = np.rint(np.bincount(fam_of_kid, weights=implied) / np.bincount(fam_of_kid)).astype(
        np.int64
    )
    women = np.flatnonzero((sex == 1) & ~kid & (age >= 18))
    mother = match_by_age(fam_target, age[women], rng)
    has_mother = mother >= 0
    mothers = np.full(n_fam, -1, np.int64)
    mothers[has_mother] = women[mother[has_mother]]
    two_parent = has_mother & (rng.random(n_fam) >= m.single_parent)
    men = np.flatnonzero((sex == 0) & ~kid & (age >= 18))
    husband_age = age[np.maximum(mothers, 0)] + np.rint(rng.normal(*fam.husband_gap, n_fam)).astype(
        np.int64
    )
    father_pos = np.full(n_fam, -1, np.int64)
    fp = match_by_age(husband_age[two_parent], age[men], rng)
    father_pos[np.flatnonzero(two_parent)[fp >= 0]] = men[fp[fp >= 0]]
    # Families that found no mother: the oldest child stays, handled as "other" adults later.
    fam_hh = np.arange(n_fam)
    ok_kid = has_mother[fam_of_kid]
    hh[kids[ok_kid]] = fam_hh[fam_of_kid[ok_kid]]
    rel[kids[ok_kid]] = CHILD
    hh[mothers[has_mother]] = fam_hh[has_mother]
    rel[mothers[has_mother]] = SPOUSE
    with_father = father_pos >= 0
    hh[father_pos[with_father]] = fam_hh[with_father]
    rel[father_pos[with_father]] = HEAD
    rel[mothers[has_mother & ~with_father]] = HEAD
    return int(has_mother.sum()), n_fam


def _first_singles(
    m: _Model, age: np.ndarray, hh: np.ndarray, rel: np.ndarray, next_hh: int, n_single: int
) -> np.ndarray:
    """One-person households, drawn among those 15+ not yet in a family, weighted by age.

    Returns the persons who live alone.
    """
    free = (hh < 0) & (age >= 15)
    weights = np.where(free, m.single_w[_band(age)], 0.0)
    singles = _pick(m.rng, weights, n_single)
    hh[singles] = next_hh + np.arange(len(singles))
    rel[singles] = HEAD
    return singles


def _first_couples(
    m: _Model,
    age: np.ndarray,
    sex: np.ndarray,
    hh: np.ndarray,
    rel: np.ndarray,
    next_hh: int,
    n_wanted: int,
) -> None:
    """Couples without children at home, then other two-person households, up to
    ``n_wanted`` households in all."""
    rng, fam = m.rng, m.family
    free = np.flatnonzero((hh < 0) & (age >= 20))
    n_couples = max(0, min(n_wanted, len(free) // 2))
    # Wives are drawn mostly from ages at which couples are common; those who find no husband
    # of a fitting age are replaced in a second and third round.
    wife_w = np.interp(age, fam.wife_ages, fam.wife_weights)
    wives_parts, husbands_parts = [], []
    avail = np.zeros(len(age), bool)
    avail[free] = True
    for _ in range(3):
        need = n_couples - sum(len(w) for w in wives_parts)
        women_left = np.flatnonzero(avail & (sex == 1))
        men_left = np.flatnonzero(avail & (sex == 0))
        if need <= 0 or len(women_left) == 0 or len(men_left) == 0:
            break
        wives = women_left[_pick(rng, wife_w[women_left], need)]
        wanted = age[wives] + np.rint(rng.normal(*fam.husband_gap, len(wives))).astype(np.int64)
        pos = match_by_age(wanted, age[men_left], rng)
        wives_parts.append(wives[pos >= 0])
        husbands_parts.append(men_left[pos[pos >= 0]])
        avail[wives] = False  # an unmatched woman is not asked again
        avail[husbands_parts[-1]] = False
    wives = np.concatenate(wives_parts) if wives_parts else np.array([], np.int64)
    husbands = np.concatenate(husbands_parts) if husbands_parts else np.array([], np.int64)
    couple_hh = next_hh + np.arange(len(wives))
    hh[husbands], rel[husbands] = couple_hh, HEAD
    hh[wives], rel[wives] = couple_hh, SPOUSE
    next_hh += len(wives)

    # Two-person households that are not couples (a parent with a grown child, relatives)
    # fill the rest of the household count when men and women do not pair up evenly.
    left = np.flatnonzero((hh < 0) & (age >= 20))
    n_pairs = min(n_couples - len(wives), len(left) // 2)
    if n_pairs > 0:
        pair = left[rng.permutation(len(left))[: 2 * n_pairs]].reshape(n_pairs, 2)
        older = np.where(age[pair[:, 0]] >= age[pair[:, 1]], pair[:, 0], pair[:, 1])
        younger = np.where(older == pair[:, 0], pair[:, 1], pair[:, 0])
        pair_hh = next_hh + np.arange(n_pairs)
        hh[older], rel[older] = pair_hh, HEAD
        hh[younger] = pair_hh
        rel[younger] = np.where(age[older] - age[younger] >= 18, CHILD, OTHER)


def _join_a_household(
    rng: np.random.Generator, age: np.ndarray, hh: np.ndarray, rel: np.ndarray, singles: np.ndarray
) -> None:
    """Everyone left joins a household whose head is about 30 years younger (as the head's
    parent, from 50) or older (as a child); one-person households stay alone.

    The head is drawn evenly among the heads within 2 years of the wanted age (the nearest
    head when there is none). The window is in years, not in a number of heads, so the people
    spread over as many households as the population has: a window of a fixed count of heads
    piled them into the same few households of each age, which grew with the scale.
    """
    rest = np.flatnonzero(hh < 0)
    heads = np.flatnonzero((rel == HEAD) & (hh >= 0) & ~np.isin(hh, hh[singles]))
    if len(heads) == 0:  # a tiny scale can leave no family to join
        heads = np.flatnonzero(rel == HEAD)
    target = np.where(age[rest] >= 50, age[rest] - 30, age[rest] + 30)
    order = np.argsort(age[heads], kind="stable")
    sorted_heads, sorted_age = heads[order], age[heads][order]
    lo = np.searchsorted(sorted_age, target - 2, "left")
    hi = np.searchsorted(sorted_age, target + 2, "right")
    none = hi <= lo
    nearest = np.clip(np.searchsorted(sorted_age, target), 0, len(heads) - 1)
    lo, hi = np.where(none, nearest, lo), np.where(none, nearest + 1, hi)
    slot = np.minimum(lo + (rng.random(len(rest)) * (hi - lo)).astype(np.int64), len(heads) - 1)
    hh[rest] = hh[sorted_heads[slot]]
    rel[rest] = np.where(age[rest] >= 50, PARENT, np.where(age[rest] < 18, OTHER, CHILD))


def _children_left_alone_move(st: _State, d1: np.datetime64, dates) -> None:
    """Children left in a household with no one aged 18+ go to relatives outside (a move out)."""
    present = st.present()
    grown = st.age(present, d1) >= 18
    adult = np.zeros(len(st.hh_chome), bool)
    adult[st.hh[present[grown]]] = True
    alone = present[~adult[st.hh[present]]]
    if len(alone):
        st.exit[alone] = np.maximum(dates(len(alone)), st.entry[alone])
        st.exit_reason[alone] = 1


def _fix_heads(st: _State, present: np.ndarray, age: np.ndarray) -> None:
    """Give every household that lost its head a new one: the spouse, else the oldest member."""
    hh = st.hh[present]
    n_hh = len(st.hh_chome)
    has_head = np.zeros(n_hh, bool)
    has_head[hh[st.rel[present] == HEAD]] = True
    need = present[~has_head[hh]]
    if len(need) == 0:
        return
    order = np.lexsort((-age[need], st.rel[need] != SPOUSE, st.hh[need]))
    need = need[order]
    first = np.r_[True, st.hh[need][1:] != st.hh[need][:-1]]
    st.rel[need[first]] = HEAD


def _year(ctx: SimContext, m: _Model, st: _State, k: int, chome_of) -> None:
    """Simulate fiscal year ``m.years[k]``: events between its 1 April and the next.

    Stages: deaths; moves out; births; household changes among those who stay (leaving home,
    couples forming, couples separating); moves in to reach next April's targets; children
    left without an adult; households that lost their head.
    """
    rng = m.rng
    fy = int(m.years[k])
    d0, d1 = np.datetime64(f"{fy}-04-01"), np.datetime64(f"{fy + 1}-04-01")
    span = int((d1 - d0) / DAY)

    def dates(n: int) -> np.ndarray:
        # Events fall strictly after the 1 April register that opens the year.
        return d0 + rng.integers(1, span, n) * DAY

    present = st.present()
    age = np.zeros(st.n, np.int64)
    age[present] = st.age(present, d0)
    _deaths(m, st, present, age, dates)
    stay = _moves_out(m, st, present, age, dates)
    age = _births(m, st, stay, age, m.births_per_1000[k] / 1000 * len(present), dates)
    go = _leave_home(m, st, stay, age, dates, chome_of)
    brides = _form_couples(m, st, stay, age, go, dates, chome_of)
    _separate(m, st, stay, age, brides, dates, chome_of)

    # Moves in: enough new households to reach next April's register target.
    present = st.present()
    occupied = int((np.bincount(st.hh[present], minlength=len(st.hh_chome)) > 0).sum())
    _move_in(
        m,
        st,
        int(m.targets[k + 1]) - len(present),
        int(m.hh_targets[k + 1]) - occupied,
        d1,
        dates,
        chome_of,
    )
    age = np.concatenate([age, np.zeros(st.n - len(age), np.int64)])
    _children_left_alone_move(st, d1, dates)
    _fix_heads(st, st.present(), age)


def _deaths(m: _Model, st: _State, present: np.ndarray, age: np.ndarray, dates) -> None:
    """Deaths at the life table's rate for each person's sex and age."""
    q = m.qx[st.sex[present], np.minimum(age[present], 120)]
    dead = present[m.rng.random(len(present)) < q]
    st.exit[dead], st.exit_reason[dead] = dates(len(dead)), 0


def _moves_out(m: _Model, st: _State, present: np.ndarray, age: np.ndarray, dates) -> np.ndarray:
    """Moves out: whole households, and grown children and parents leaving alone.

    Returns the persons still registered.
    """
    rng = m.rng
    alive = present[np.isnat(st.exit[present])]
    # A household moves at the mean of its members' rates, so families with small children
    # leave more often than the parents' ages alone would say.
    n_hh = len(st.hh_chome)
    members = np.bincount(st.hh[alive], minlength=n_hh)
    hh_rate = np.bincount(st.hh[alive], weights=m.out_rate[_band(age[alive])], minlength=n_hh)
    hh_rate = hh_rate / np.maximum(members, 1)
    hh_leaves = rng.random(n_hh) < hh_rate
    hh_date = dates(n_hh)
    moving = alive[hh_leaves[st.hh[alive]]]
    st.exit[moving], st.exit_reason[moving] = hh_date[st.hh[moving]], 1
    alive = alive[np.isnat(st.exit[alive])]
    # Spouses move with their household; grown children and parents may also leave alone.
    alone = (age[alive] >= 18) & np.isin(st.rel[alive], [CHILD, PARENT, OTHER])
    alone_rate = np.where(alone, m.family.alone_move_factor * m.out_rate[_band(age[alive])], 0.0)
    leavers = alive[rng.random(len(alive)) < alone_rate]
    st.exit[leavers], st.exit_reason[leavers] = dates(len(leavers)), 1
    return alive[np.isnat(st.exit[alive])]


def _births(
    m: _Model, st: _State, stay: np.ndarray, age: np.ndarray, expected: float, dates
) -> np.ndarray:
    """Births: the age pattern scaled so the year has ``expected`` births in all.

    Babies join their mother's household. Returns ``age`` extended to the babies.
    """
    rng = m.rng
    mothers = stay[(st.sex[stay] == 1) & (age[stay] >= 15) & (age[stay] <= 49)]
    w = m.asfr[np.minimum((age[mothers] - 15) // 5, 6)]
    p_birth = np.minimum(w * expected / max(w.sum(), 1e-9), 0.9)
    mums = mothers[rng.random(len(mothers)) < p_birth]
    baby_rel = np.where(np.isin(st.rel[mums], [HEAD, SPOUSE]), CHILD, OTHER)
    st.add_persons(
        (rng.random(len(mums)) >= m.boy_share).astype(np.int8),
        dates(len(mums)),
        st.foreign[mums],
        np.datetime64("NaT"),
        1,
        st.hh[mums],
        baby_rel,
    )
    babies = np.arange(st.n - len(mums), st.n)
    st.entry[babies] = st.birth[babies]
    return np.concatenate([age, np.zeros(len(mums), np.int64)])


def _leave_home(
    m: _Model, st: _State, stay: np.ndarray, age: np.ndarray, dates, chome_of
) -> np.ndarray:
    """Adult children leaving home within the municipality; returns who left."""
    lo, hi = m.family.leave_home_ages
    young_child = stay[(st.rel[stay] == CHILD) & (age[stay] >= lo) & (age[stay] <= hi)]
    go = young_child[m.rng.random(len(young_child)) < m.leave_home]
    new = st.add_households(chome_of(age[go]), dates(len(go)), LEFT_HOME)
    st.hh[go], st.rel[go] = new, HEAD
    return go


def _form_couples(
    m: _Model,
    st: _State,
    stay: np.ndarray,
    age: np.ndarray,
    go: np.ndarray,
    dates,
    chome_of,
) -> np.ndarray:
    """Single people forming couples, who set up a new home together; returns the brides.

    Those who just left home this year do not marry in the same year.
    """
    rng, fam = m.rng, m.family
    lo, hi = fam.couple_ages
    sizes = np.bincount(st.hh[stay], minlength=len(st.hh_chome))
    single = stay[(sizes[st.hh[stay]] == 1) & (age[stay] >= lo) & (age[stay] <= hi)]
    moved_out_of_home = np.zeros(st.n, bool)
    moved_out_of_home[go] = True
    single = single[~moved_out_of_home[single]]
    women = single[st.sex[single] == 1]
    men = single[st.sex[single] == 0]
    brides = women[(rng.random(len(women)) < m.couple_rate) & (age[women] <= fam.bride_max_age)]
    pos = match_by_age(age[brides] + fam.husband_gap_years, age[men], rng)
    brides, grooms = brides[pos >= 0], men[pos[pos >= 0]]
    new = st.add_households(chome_of(age[grooms]), dates(len(grooms)), COUPLED)
    st.hh[grooms], st.rel[grooms] = new, HEAD
    st.hh[brides], st.rel[brides] = new, SPOUSE
    return brides


def _separate(
    m: _Model,
    st: _State,
    stay: np.ndarray,
    age: np.ndarray,
    brides: np.ndarray,
    dates,
    chome_of,
) -> None:
    """Couples separating (not those married this year): the spouse leaves to live alone."""
    just_married = np.zeros(st.n, bool)
    just_married[brides] = True
    spouses = stay[(st.rel[stay] == SPOUSE) & ~just_married[stay]]
    part = spouses[m.rng.random(len(spouses)) < m.separation]
    new = st.add_households(chome_of(age[part]), dates(len(part)), SEPARATED)
    st.hh[part], st.rel[part] = new, HEAD


def _move_in(m: _Model, st: _State, n_people: int, n_households: int, d1, dates, chome_of) -> None:
    """Add in-mover households: about ``n_people`` persons in about ``n_households`` households.

    The mix of one-person and larger households is solved so both the register and the
    household count follow their targets; couples and families share the larger households
    in the profile's proportions.
    """
    if n_people <= 0:
        return
    rng = m.rng
    couple_share = m.in_types[1] / max(m.in_types[1:].sum(), 1e-9)
    fam = m.family
    multi_size = couple_share * 2 + (1 - couple_share) * (
        2 - m.single_parent + fam.in_children_mean
    )
    n_multi = round((n_people - n_households) / max(multi_size - 1, 1e-9))
    n_multi = int(np.clip(n_multi, 0, n_people // 2))
    n_single = int(np.clip(n_households - n_multi, 0, n_people - round(n_multi * multi_size)))
    n_single = max(n_single, 0)
    n_hh = n_single + n_multi
    if n_hh == 0:
        return
    kind = np.concatenate(
        [np.zeros(n_single, np.int64), np.where(rng.random(n_multi) < couple_share, 1, 2)]
    )
    n_kids = np.where(
        kind == 2, rng.choice(fam.in_children, size=n_hh, p=fam.in_children_shares), 0
    )
    lone_parent = (kind == 2) & (rng.random(n_hh) < m.single_parent)
    head_age = m.draw_ages_from_bands(m.in_w, n_hh, low=18)
    family_age = np.clip(rng.normal(*fam.in_head_age, n_hh), *fam.in_head_age_range).astype(
        np.int64
    )
    head_age = np.where(
        kind == 2,
        family_age,
        np.where(kind == 1, np.maximum(head_age, fam.in_couple_head_min_age), head_age),
    )
    mean_size = n_people / n_hh
    # Foreign share of newcomers keeps the register near the profile's foreign share.
    present = st.present()
    foreign_now = st.foreign[present].sum()
    want = m.foreign_share * (len(present) + n_people) - foreign_now
    fw = m.foreign_weight(head_age)
    p_foreign = np.clip(fw / fw.sum() * max(want, 0) / mean_size, 0, 1)
    hh_foreign = rng.random(n_hh) < p_foreign
    hh_ids = st.add_households(chome_of(head_age), dates(n_hh), MOVED_IN)
    entry = st.hh_formed[hh_ids]

    # Head: a man in couples and two-parent families, else as drawn.
    head_sex = np.where((kind == 1) | ((kind == 2) & ~lone_parent), 0, m.draw_sex(head_age))
    head_sex = np.where(lone_parent, 1, head_sex)
    spouse = (kind == 1) | ((kind == 2) & ~lone_parent)
    sp_age = np.maximum(
        head_age[spouse] - np.rint(rng.normal(*fam.husband_gap, spouse.sum())).astype(np.int64), 18
    )
    kid_of = np.repeat(np.arange(n_hh), n_kids)
    kid_age = np.clip(
        head_age[kid_of] - np.rint(rng.normal(*fam.in_child_gap, len(kid_of))).astype(np.int64),
        0,
        17,
    )

    ages = np.concatenate([head_age, sp_age, kid_age])
    hh_of = np.concatenate([np.arange(n_hh), np.flatnonzero(spouse), kid_of])
    sex = np.concatenate(
        [
            head_sex,
            np.ones(spouse.sum(), np.int8),
            (rng.random(len(kid_of)) < fam.in_girl_share).astype(np.int8),
        ]
    )
    rel = np.concatenate(
        [np.full(n_hh, HEAD), np.full(spouse.sum(), SPOUSE), np.full(len(kid_of), CHILD)]
    )
    on = entry[hh_of]
    birth = m.draw_birth(ages, d1) if len(ages) else np.empty(0, "datetime64[D]")
    # Nobody is born after they move in.
    birth = np.minimum(birth, on)
    ids = st.add_persons(sex, birth, hh_foreign[hh_of], d1, 2, hh_ids[hh_of], rel)
    st.entry[ids] = on


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Run the registry microsimulation and return residents, households and resident_years.

    Examples
    --------
    >>> from ebpmkit.synth import generate_tables
    >>> tables, _ = generate_tables("town", seed=1, scale=0.02, only=("geography", "population"))
    >>> sorted(tables["resident_years"]["fiscal_year"].unique().tolist())[:2]
    [2015, 2016]
    """
    m = _Model(ctx)
    st = _State()
    places = _Places(ctx, m)
    _initial_register(ctx, m, st, places)
    registers = []
    for k, fy in enumerate(m.years):
        present = st.present()
        registers.append((int(fy), present, st.hh[present].copy(), st.rel[present].copy()))
        _year(ctx, m, st, k, places.later)
    tables = _tables(ctx, m, st, registers)
    ctx.truth["population"] = _ageing_truth(tables["resident_years"], places)
    return tables


def _ageing_truth(ry: pd.DataFrame, places: _Places) -> dict:
    """What the built-in places do to ageing, as the data shows it (for trainers and tests)."""

    def shares(by: str) -> pd.DataFrame:
        old = ry["age"] >= 65
        return old.groupby([ry["fiscal_year"], ry[by]], observed=True).mean().unstack() * 100

    area, district = shares("area"), shares("district_code")
    rise = area.iloc[-1] - area.iloc[0]
    return {
        "estate_district": places.estate_district,
        "estate_area": places.estate_area,
        "area_largest_rise_in_elderly_share": str(rise.idxmax()),
        "area_highest_elderly_share_latest": str(area.iloc[-1].idxmax()),
        "district_highest_elderly_share_first": str(district.iloc[0].idxmax()),
        "district_highest_elderly_share_latest": str(district.iloc[-1].idxmax()),
    }


def _cat(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=labels)


def _tables(ctx: SimContext, m: _Model, st: _State, registers) -> dict[str, pd.DataFrame]:
    chome = ctx.tables["chome"]
    areas = list(ctx.profile.get("geography.areas"))
    # Codes are categoricals: 2.8M register rows repeat 88 chome and 22 district codes.
    chome_codes = chome["chome_code"].astype(str).tolist()
    district_codes = sorted(chome["district_code"].astype(str).unique())
    chome_district = (
        chome["district_code"]
        .astype(str)
        .map({d: i for i, d in enumerate(district_codes)})
        .to_numpy()
    )
    chome_area = chome["area"].astype(str).map({a: i for i, a in enumerate(areas)}).to_numpy()

    # Persons never registered on any 1 April and gone by the end still count as residents.
    residents = pd.DataFrame(
        {
            "person_id": np.arange(1, st.n + 1, dtype=np.int64),
            "sex": _cat(st.sex, SEXES),
            "birth_date": st.birth.astype("datetime64[s]"),
            "nationality": _cat(st.foreign.astype(np.int8), NATIONALITIES),
            "entry_date": st.entry.astype("datetime64[s]"),
            "entry_reason": _cat(st.entry_reason, ENTRY_REASONS),
            "exit_date": st.exit.astype("datetime64[s]"),
            "exit_reason": _cat(st.exit_reason, EXIT_REASONS),
        }
    )
    # Households are numbered from 1 in order of formation; drop any that never held anyone.
    n_hh = len(st.hh_chome)
    households = pd.DataFrame(
        {
            "household_id": np.arange(1, n_hh + 1, dtype=np.int64),
            "chome_code": pd.Categorical.from_codes(st.hh_chome, categories=chome_codes),
            "district_code": pd.Categorical.from_codes(
                chome_district[st.hh_chome], categories=district_codes
            ),
            "area": pd.Categorical.from_codes(chome_area[st.hh_chome], categories=areas),
            "formed_date": st.hh_formed.astype("datetime64[s]"),
            "formed_reason": _cat(st.hh_reason, FORMED_REASONS),
        }
    )

    parts = []
    for fy, present, hh, rel in registers:
        d0 = np.datetime64(f"{fy}-04-01")
        chome_idx = st.hh_chome[hh]
        parts.append(
            pd.DataFrame(
                {
                    "fiscal_year": np.full(len(present), fy, np.int16),
                    "person_id": present.astype(np.int64) + 1,
                    "age": st.age(present, d0).astype(np.int16),
                    "sex": _cat(st.sex[present], SEXES),
                    "nationality": _cat(st.foreign[present].astype(np.int8), NATIONALITIES),
                    "household_id": hh + 1,
                    "relationship": _cat(rel, RELATIONSHIPS),
                    "chome_code": pd.Categorical.from_codes(chome_idx, categories=chome_codes),
                    "district_code": pd.Categorical.from_codes(
                        chome_district[chome_idx], categories=district_codes
                    ),
                    "area": pd.Categorical.from_codes(chome_area[chome_idx], categories=areas),
                }
            )
        )
    resident_years = pd.concat(parts, ignore_index=True)
    return {"residents": residents, "households": households, "resident_years": resident_years}
