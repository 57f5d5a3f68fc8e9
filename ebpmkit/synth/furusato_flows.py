"""Furusato nozei (ふるさと納税) flows: donations out of and into the municipality.

**Outflow.** Residents who pay the resident-tax income levy donate to other municipalities. The
chance of donating in calendar year ``Y`` is logistic in the log of the year's total income
(read from the ``income_tax`` row of fiscal year ``Y + 1``, which is assessed on that income),
plus a lasting personal propensity; the intercept of each year is solved so the share of
taxpayers who donate follows the profile's ``furusato.donor_share`` (the strong growth of the
scheme). When the profile gives ``furusato.loss_target``, the whole path is first scaled so the
municipality's loss in ``loss_target_year`` meets it (the loss target is scaled by ``scale``).
A donor gives a multiple of their own full-deduction limit
(:func:`ebpmkit.furusato.limit_from_levy`; log-normal, most below or near it, some above),
split into 1-10
donations in round thousands of yen, dated with the December peak. Donors with at most 5
donations, salary income only and no other reason to file use the one-stop exception. The
deductions of fiscal year ``Y + 1`` come from :mod:`ebpmkit.furusato` (the rules are not
re-implemented here); the municipality loses 6/10 of the resident-tax deduction (8/10 in a
designated city from FY2018: :func:`ebpmkit.tax.levy_split`). The
income-tax taxable income is the ``income_tax_taxable`` column of ``income_tax`` (or, when that
column is missing, the resident-tax taxable income less the basic-deduction difference). The
special part's rate is read from the special base (the resident-tax taxable income less the
personal-deduction differences), which the table gives as the income-tax taxable income plus
the part of the basic-deduction difference above ¥50,000 (see :meth:`_Taxpayers.special_base`).
The 2024 flat-rate tax cut (定額減税) is not modelled.

**Inflow.** A return-gift catalogue built from the profile's items (fictional names), with the
costs of each gift. A few gifts break the 30% procurement rule (a rule on each gift) so
learners can find them, and a few others cost more than half their donation, which is not by
itself a breach: the 50% rule is on the year's totals (all solicitation costs over all
donations received). Their ids, and each fiscal year's cost ratio from the catalogue's costs,
are in ``ctx.truth["furusato_flows"]``. Donations received follow the profile's
``furusato.received`` (yen per fiscal year at scale 1.0, scaled), spread over the listed gifts
by a log-normal popularity.

Examples
--------
>>> "furusato_outflow" in TABLES and "furusato_gifts" in TABLES
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit.errors import EbpmkitError, ProfileError
from ebpmkit.messages import message
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile
from ebpmkit.tax import levy_split

__all__ = ["COLUMNS", "PARAMETERS", "ROLES", "TABLES", "check_profile", "simulate"]

NAME = "furusato_flows"

TABLES = {
    "furusato_outflow": "住民が他の自治体へ行ったふるさと納税の寄附(寄附1件につき1行)",
    "furusato_deductions": "ふるさと納税をした住民の寄附金控除(寄附者・寄附年ごとに1行)。住民税の控除は寄附の翌年度に適用",
    "furusato_gifts": "この自治体のふるさと納税返礼品の一覧と1件あたりの経費",
    "furusato_donations": "この自治体が受け入れたふるさと納税の寄附(寄附1件につき1行)",
}

_A = "(合成データの仮定値に基づく)"

# Columns of more than one table of this module.
_DONATION_ID = SharedColumn("donation_id", "int64", "寄附番号", "donation ID")
_DONATION_DATE = SharedColumn("donation_date", "datetime64[s]", "寄附日", "donation date")
_CALENDAR_YEAR = SharedColumn("calendar_year", "int16", "寄附年", "calendar year", "年")
_AMOUNT = SharedColumn("amount", "int64", "寄附額", "amount", "円")
_ONE_STOP = SharedColumn("one_stop", "bool", "ワンストップ特例", "one-stop exception")
_GIFT_ID = SharedColumn("gift_id", "int64", "返礼品ID", "gift ID")

# fmt: off
COLUMNS = [
    # furusato_outflow
    _DONATION_ID.at("furusato_outflow", "寄附1件を識別する番号(寄附日順)"),
    shared("person_id", "furusato_outflow", f"寄附した住民の個人ID(residents と結合可能)。寄附するのは住民税の所得割を納める人で、寄附する確率は所得が高いほど、また年を追うごとに高くなる(全国では2024年度の寄附について1,080万人が控除を受けた、二次資料){_A}"),
    _DONATION_DATE.at("furusato_outflow", f"寄附をした日。12月に年間の3割以上が集中し、9月の約7倍(2017年の全国の傾向、二次資料)。他の月の配分は仮定{_A}"),
    _CALENDAR_YEAR.at("furusato_outflow", "寄附をした暦年(1月-12月)。控除はこの翌年度の住民税に適用"),
    _AMOUNT.at("furusato_outflow", f"寄附1件の金額(千円単位)。寄附者の控除上限額に対する寄附総額の比率は対数正規分布で、多くは上限以下{_A}"),
    Column("furusato_outflow", "destination_prefecture", "category", "寄附先都道府県", "destination prefecture", "", f"寄附先の自治体がある都道府県。配分は架空の重み{_A}"),
    _ONE_STOP.at("furusato_outflow", f"ワンストップ特例を使ったかどうか。その年の寄附が5件以下で、給与所得のみ(給与収入2,000万円以下)の人の一部(確定申告をする理由のある人を除く){_A}"),
    # furusato_deductions
    shared("person_id", "furusato_deductions", "寄附した住民の個人ID(residents と結合可能)"),
    _CALENDAR_YEAR.at("furusato_deductions", "寄附をした暦年"),
    shared("fiscal_year", "furusato_deductions", "控除年度: 住民税の寄附金税額控除が適用される年度(寄附年の翌年度)。income_tax の同じ年度の行と結合可能"),
    Column("furusato_deductions", "total_donation", "int64", "寄附総額", "total donation", "円", "その年の寄附額の合計"),
    Column("furusato_deductions", "income_tax_deduction", "int64", "所得税の控除額", "income tax deduction", "円", "所得税の寄附金控除による減税額(復興特別所得税を含む)。ワンストップ特例では0(全額を住民税から控除)"),
    Column("furusato_deductions", "resident_tax_basic", "int64", "住民税控除(基本分)", "resident tax deduction (basic)", "円", "住民税の寄附金税額控除の基本分((寄附額-2,000円)×10%)"),
    Column("furusato_deductions", "resident_tax_special", "int64", "住民税控除(特例分)", "resident tax deduction (special)", "円", "住民税の寄附金税額控除の特例分(所得割額の2割が上限)"),
    Column("furusato_deductions", "resident_tax_one_stop", "int64", "申告特例控除額", "one-stop special deduction", "円", "ワンストップ特例のとき、所得税の控除の代わりに住民税から差し引く額(申告特例控除)。それ以外は0"),
    Column("furusato_deductions", "resident_tax_deduction", "int64", "住民税の控除額", "resident tax deduction", "円", "住民税から差し引く額の合計(基本分+特例分+申告特例控除額)。翌年度の所得割が減る"),
    Column("furusato_deductions", "municipal_loss", "int64", "区市町村の減収額", "municipal revenue loss", "円", "住民税の控除額のうち区市町村民税の分(6/10。政令指定都市は2018年度から8/10)。この自治体の減収になる(残りは都道府県民税)"),
    Column("furusato_deductions", "full_deduction_limit", "int64", "控除上限額", "full-deduction limit", "円", "自己負担2,000円で全額控除される寄附額の上限の目安(所得割額×20%÷(90%-税率×1.021)+2,000円)。税率は、住民税の課税総所得金額から人的控除差調整額を引いた額に所得税の税率表を当てはめたもの(2024年分まではふつう所得税の限界税率と同じ)。所得割額は2024年度の定額減税の前の額"),
    Column("furusato_deductions", "over_limit", "bool", "上限超過", "over limit", "", "寄附総額が控除上限額を超えたかどうか(超えた分は自己負担になる)"),
    _ONE_STOP.at("furusato_deductions", "ワンストップ特例を使ったかどうか"),
    # furusato_gifts
    _GIFT_ID.at("furusato_gifts", "返礼品を識別する番号"),
    Column("furusato_gifts", "name", "str", "名称", "name", "", "返礼品の名前(架空)"),
    Column("furusato_gifts", "category", "category", "分類", "category", "", "返礼品の分類"),
    Column("furusato_gifts", "donation_amount", "int64", "必要寄附額", "required donation", "円", "この返礼品を受け取るのに必要な寄附額"),
    Column("furusato_gifts", "procurement_cost", "int64", "調達費", "procurement cost", "円", f"返礼品の調達にかかる費用。返礼品1品ごとに寄附額の3割以下というルールがある(地方税法第37条の2第2項・第314条の7第2項){_A}"),
    Column("furusato_gifts", "shipping_cost", "int64", "送料", "shipping cost", "円", f"返礼品の送料{_A}"),
    Column("furusato_gifts", "portal_fee", "int64", "ポータル手数料", "portal fee", "円", f"ポータルサイトに支払う手数料{_A}"),
    Column("furusato_gifts", "admin_cost", "int64", "事務費", "admin cost", "円", f"決済手数料・事務・広報などの費用。経費を寄附額の5割以下とするルールは、返礼品1品ごとではなく、年度の経費の合計と受け入れた寄附の合計で判定する(総務省の告示){_A}"),
    Column("furusato_gifts", "supplier", "category", "提供事業者", "supplier", "", "返礼品を提供する事業者(架空)"),
    Column("furusato_gifts", "listed_from", "int16", "掲載開始年度", "listed from", "年度", "返礼品の掲載を始めた年度"),
    Column("furusato_gifts", "listed_to", "int16", "掲載終了年度", "listed to", "年度", "掲載を終えた年度(掲載中のものはデータの最終年度)"),
    # furusato_donations
    _DONATION_ID.at("furusato_donations", "受け入れた寄附1件を識別する番号(受入番号、寄附日順)"),
    _DONATION_DATE.at("furusato_donations", "寄附を受け付けた日(12月に集中)"),
    shared("fiscal_year", "furusato_donations", "寄附を受け付けた年度(4月-翌年3月)"),
    _AMOUNT.at("furusato_donations", "寄附額(返礼品の必要寄附額、まれにその2倍・3倍)"),
    _GIFT_ID.at("furusato_donations", "選ばれた返礼品(furusato_gifts と結合可能)"),
    Column("furusato_donations", "donor_prefecture", "category", "寄附者の都道府県", "donor prefecture", "", f"寄附者が住む都道府県。配分は人口と大都市圏への偏り、自治体と同じ都道府県への偏りに基づく仮定{_A}"),
    Column("furusato_donations", "portal", "category", "受付窓口", "portal", "", f"寄附を受け付けたポータルサイト(架空)または自治体の窓口{_A}"),
]
# fmt: on

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Gifts and the
#: donations received describe no resident.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "furusato_outflow": {"id": ("person_id",)},
    "furusato_deductions": {"id": ("person_id",)},
    "furusato_gifts": {},
    "furusato_donations": {},
}

_F = "furusato."

PARAMETERS = [
    # profile
    Param(
        _F + "prefecture",
        "text",
        ja="この自治体のある都道府県(furusato.prefectures のどれか)。同じ都道府県への寄附の重みが変わる",
        when="none",
    ),
    Param(
        _F + "donor_share",
        "numbers",
        low=0.0,
        high=0.95,
        ja="住民税の納税者のうち寄附をする人の割合(控除を受ける年度ごと。その前年の寄附)",
        unit="割合(0～1)",
        when="by_year",
    ),
    Param(
        _F + "loss_target",
        low=0,
        required=False,
        ja="furusato.loss_target_year の年度の住民税の減収(市町村分)の目標。書くと、寄附者の割合の推移全体をこれに合うよう拡大・縮小する(scale を掛けた額)",
        unit="円",
        when="listed",
    ),
    Param(
        _F + "loss_target_year",
        low=1990,
        high=2100,
        required=False,
        ja="furusato.loss_target を合わせる年度(loss_target と組で書く)",
        unit="年度",
        when="none",
    ),
    Param(
        _F + "received",
        "numbers",
        low=0,
        ja="この自治体が受け取る寄附の総額(年度ごと、scale を掛けた額)",
        unit="円",
        when="by_year",
    ),
    Param(
        _F + "gifts",
        "table",
        ja="返礼品の分類ごとの表(名前は自由)。label(分類名)、weight(人気の重み)、items(品名)、variants・variant_factors(量の違いとその倍率)、amounts(寄附額)、shipping(送料の範囲)、suppliers(事業者)",
    ),
    # national (rates/furusato.toml)
    Param(
        _F + "destination_weights",
        "numbers",
        low=0,
        length=47,
        ja="住民の寄附がどの都道府県に向かうかの重み(furusato.prefectures の順、架空の値)",
        unit="倍(相対的な重み)",
    ),
    Param(
        _F + "donor_weights",
        "numbers",
        low=0,
        length=47,
        ja="この自治体への寄附がどの都道府県の住民から来るかの重み(furusato.prefectures の順)",
        unit="倍(相対的な重み)",
    ),
    Param(
        _F + "month_weights",
        "numbers",
        low=0,
        length=12,
        ja="寄附の月ごとの重み(1月から12月)。12月が最も多い",
        unit="倍(相対的な重み)",
    ),
    Param(
        _F + "december_end_skew",
        low=0.2,
        high=10,
        ja="12月の寄附が月末に偏る度合い(控除の期限が年末のため)",
        unit="倍",
    ),
    Param(_F + "income_slope", low=0, high=10, ja="所得が高い人ほど寄附しやすい度合い", unit="倍"),
    Param(
        _F + "person_effect_sd",
        low=0,
        high=5,
        ja="同じ人が毎年寄附する度合い(その人に固有の寄附しやすさのばらつき)",
        unit="標準偏差",
    ),
    Param(
        _F + "limit_ratio_median",
        low=0.01,
        high=5,
        ja="寄附額の、控除の上限額(全額控除される目安)に対する比の中央値",
        unit="倍",
    ),
    Param(
        _F + "limit_ratio_sigma",
        low=0,
        high=3,
        ja="上限額に対する比のばらつき(対数の標準偏差)。上限を超える人の割合を決める",
        unit="対数の標準偏差",
    ),
    Param(_F + "donation_size", low=1000, high=10_000_000, ja="寄附1件あたりの平均額", unit="円"),
    Param(_F + "min_donation", low=1000, high=1_000_000, ja="寄附1件の最小額", unit="円"),
    Param(_F + "donation_unit", low=1, high=100_000, ja="寄附額の刻み", unit="円"),
    Param(_F + "max_donations", low=1, high=100, ja="1人が1年間にする寄附の件数の上限", unit="件"),
    Param(
        _F + "one_stop_max_donations",
        low=0,
        high=100,
        ja="ワンストップ特例を使える寄附先の数の上限(1年間)",
        unit="団体",
    ),
    Param(
        _F + "one_stop_salary_limit",
        low=0,
        ja="ワンストップ特例を使える給与収入の上限(これを超えると確定申告が必要)",
        unit="円",
    ),
    Param(
        _F + "one_stop_uptake",
        low=0,
        high=1,
        ja="ワンストップ特例を使える人のうち、実際に使う人の割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "one_stop_first_year",
        low=2000,
        high=2100,
        ja="ワンストップ特例が始まった年(これより前の寄附には使えない)",
        unit="年",
        when="none",
    ),
    Param(
        _F + "max_donor_share",
        low=0.01,
        high=1,
        ja="合わせ込みのあとで、納税者のうち寄附する人の割合の上限",
        unit="割合(0～1)",
    ),
    Param(
        _F + "portal_shares",
        "numbers",
        low=0,
        ja="寄附の受付先(furusato.portals の順)ごとの割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "multiple_shares",
        "numbers",
        low=0,
        length=3,
        ja="寄附が返礼品の必要寄附額の1倍・2倍・3倍である割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "popularity_sigma",
        low=0,
        high=5,
        ja="返礼品の人気のばらつき(対数の標準偏差)。大きいほど一部の品に寄附が集まる",
        unit="対数の標準偏差",
    ),
    Param(
        _F + "price_elasticity",
        low=0,
        high=5,
        ja="寄附額が高い返礼品ほど人気が下がる度合い((寄附額÷1万円)のマイナスこの値乗)",
        unit="弾力性",
    ),
    Param(
        _F + "rule_breaker_boost",
        low=0,
        high=10,
        ja="基準を超える(返礼品が豪華な)品の人気の倍率",
        unit="倍",
    ),
    Param(
        _F + "home_donor_factor",
        low=0,
        high=20,
        ja="自治体と同じ都道府県の住民から寄附が来る重みの倍率",
        unit="倍",
    ),
    Param(
        _F + "procurement_share",
        "numbers",
        low=0,
        high=0.3,
        length=2,
        ja="通常の返礼品の調達費の、寄附額に対する割合の範囲(下限と上限)",
        unit="割合(0～1)",
    ),
    Param(
        _F + "portal_fee_share",
        "numbers",
        low=0,
        high=0.5,
        length=2,
        ja="ポータルサイト手数料の、寄附額に対する割合の範囲",
        unit="割合(0～1)",
    ),
    Param(
        _F + "admin_share",
        "numbers",
        low=0,
        high=0.5,
        length=2,
        ja="決済手数料・事務費・広告費の、寄附額に対する割合の範囲",
        unit="割合(0～1)",
    ),
    Param(
        _F + "max_total_share",
        low=0.1,
        high=0.5,
        ja="通常の返礼品の経費の合計の、寄附額に対する割合の上限",
        unit="割合(0～1)",
    ),
    Param(
        _F + "procurement_breaker_share",
        low=0,
        high=0.5,
        ja="調達費が寄附額の3割を超える返礼品の割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "procurement_breaker_range",
        "numbers",
        low=0.3,
        high=1,
        length=2,
        ja="3割を超える返礼品の調達費の割合の範囲",
        unit="割合(0～1)",
    ),
    Param(
        _F + "total_breaker_share",
        low=0,
        high=0.5,
        ja="経費の合計が寄附額の5割を超える返礼品の割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "total_breaker_range",
        "numbers",
        low=0.5,
        high=1,
        length=2,
        ja="5割を超える返礼品の経費の割合の範囲",
        unit="割合(0～1)",
    ),
    Param(
        _F + "listed_first_year_share",
        low=0,
        high=1,
        ja="初年度にすでに掲載されている返礼品の割合(以後、品が増える)",
        unit="割合(0～1)",
        when="first",
    ),
    Param(
        _F + "still_listed_share",
        low=0,
        high=1,
        ja="最終年度まで掲載が続く返礼品の割合",
        unit="割合(0～1)",
    ),
    # Lists of text; _Settings also checks that there are 47 prefectures and one share per portal.
    Param(
        _F + "prefectures",
        "texts",
        ja="47都道府県の名前(全国地方公共団体コード順)。寄附先・寄附者の都道府県の分類になる",
        when="none",
    ),
    Param(_F + "portals", "texts", ja="寄附を受け付けるポータルサイト等の名前(架空)", when="none"),
]

_SALARY_EARNERS = ("正規雇用", "非正規雇用")
_INCOME_COLUMNS = (
    "fiscal_year",
    "person_id",
    "employment",
    "salary_revenue",
    "pension_revenue",
    "business_income",
    "total_income",
    "taxable_income",
    "income_levy",
)
_DEDUCTION_KEYS = ("income_tax", "basic", "special", "one_stop", "resident", "loss")
_GIFT_KEYS = (
    "label",
    "weight",
    "items",
    "variants",
    "variant_factors",
    "amounts",
    "shipping",
    "suppliers",
)


# ------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class _Settings:
    """Every figure the module reads, checked once."""

    years: np.ndarray
    values: dict[str, Any]

    @classmethod
    def read(cls, profile: Profile) -> _Settings:
        profile.validate(PARAMETERS)
        years = profile.fiscal_years
        v = {p.key.removeprefix(_F): profile.get(p.key) for p in PARAMETERS if profile.has(p.key)}
        for key in ("prefectures", "portals"):
            value = profile.get(_F + key)
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise ProfileError(
                    message(
                        "furusato_flows.text_list",
                        origin=profile.origin,
                        key=_F + key,
                        found=repr(value),
                    )
                )
            v[key] = value
        if len(v["prefectures"]) != 47:
            raise ProfileError(
                message(
                    "furusato_flows.prefectures",
                    origin=profile.origin,
                    found=len(v["prefectures"]),
                )
            )
        if v["prefecture"] not in v["prefectures"]:
            raise ProfileError(
                message(
                    "furusato_flows.prefecture",
                    origin=profile.origin,
                    found=repr(v["prefecture"]),
                )
            )
        if len(v["portal_shares"]) != len(v["portals"]):
            raise ProfileError(
                message(
                    "profile.wrong_length",
                    origin=profile.origin,
                    key=_F + "portal_shares",
                    length=len(v["portals"]),
                    found=len(v["portal_shares"]),
                )
            )
        for key in ("donor_share", "received"):
            if len(v[key]) != len(years):
                raise ProfileError(
                    message(
                        "furusato_flows.per_year",
                        origin=profile.origin,
                        key=_F + key,
                        length=len(years),
                        first=years[0],
                        last=years[-1],
                        found=len(v[key]),
                    )
                )
        if ("loss_target" in v) != ("loss_target_year" in v):
            raise ProfileError(message("furusato_flows.loss_target_pair", origin=profile.origin))
        if "loss_target_year" in v and int(v["loss_target_year"]) not in years:
            raise ProfileError(
                message(
                    "furusato_flows.loss_target_year",
                    origin=profile.origin,
                    first=years[0],
                    last=years[-1],
                    found=repr(v["loss_target_year"]),
                )
            )
        gifts = v["gifts"]
        if not gifts:
            raise ProfileError(message("furusato_flows.no_gifts", origin=profile.origin))
        for key, cat in gifts.items():
            missing = [k for k in _GIFT_KEYS if not isinstance(cat, dict) or k not in cat]
            if missing:
                raise ProfileError(
                    message(
                        "furusato_flows.gift_keys",
                        origin=profile.origin,
                        category=key,
                        missing=", ".join(missing),
                    )
                )
            if (
                len(cat["variants"]) != len(cat["variant_factors"])
                or not cat["items"]
                or not cat["amounts"]
            ):
                raise ProfileError(
                    message("furusato_flows.gift_lists", origin=profile.origin, category=key)
                )
        return cls(years=years, values=v)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def weights(self, key: str) -> np.ndarray:
        w = np.asarray(self.values[key], dtype=float)
        return w / w.sum()


# ------------------------------------------------------------------------------------------
# shared helpers


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _solve_intercept(x: np.ndarray, target: float, weights: np.ndarray | None = None) -> float:
    """The ``a`` with ``sum(weights * logistic(a + x)) == target`` (safeguarded Newton on the log).

    Examples
    --------
    >>> a = _solve_intercept(np.array([-1.0, 0.0, 1.0]), 1.5)
    >>> round(a, 6)
    0.0
    """
    total = float(len(x) if weights is None else weights.sum())
    if total <= 0 or target <= 0:
        return -50.0
    target = min(target, total * (1 - 1e-9))
    lo, hi = -60.0 - float(x.max()), 60.0 - float(x.min())
    centre = float(x.mean() if weights is None else np.average(x, weights=weights))
    a = min(max(float(np.log(target / (total - target))) - centre, lo), hi)
    for _ in range(100):
        p = _logistic(a + x)
        f = float(p.sum() if weights is None else weights @ p)
        if abs(f - target) <= 1e-6 * target:
            break
        if f < target:
            lo = a
        else:
            hi = a
        q = p * (1 - p)
        slope = float(q.sum() if weights is None else weights @ q) / max(f, 1e-300)  # d log f / da
        a_new = a + (np.log(target) - np.log(max(f, 1e-300))) / max(slope, 1e-12)
        a = a_new if lo < a_new < hi else 0.5 * (lo + hi)
    return a


def _dates(
    years: np.ndarray, months: np.ndarray, rng: np.random.Generator, december_skew: float
) -> np.ndarray:
    """Days since 1970 (int64) within the given calendar years and months (0 = January).

    December dates bunch towards the 31st (the deadline of the deduction).
    """
    if len(years) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = int(years.min())
    index = (years.astype(np.int64) - lo) * 12 + months
    n_months = (int(years.max()) - lo + 1) * 12
    starts = np.arange(n_months + 1).astype("timedelta64[M]") + np.datetime64(f"{lo}-01", "M")
    days = starts.astype("datetime64[D]").astype(np.int64)  # days since 1970 of each month start
    u = rng.random(len(years))
    december = np.flatnonzero(months == 11)
    u[december] **= 1.0 / december_skew
    length = np.diff(days)[index]
    return days[:-1][index] + np.minimum((u * length).astype(np.int64), length - 1)


def _date_order(days: np.ndarray) -> np.ndarray:
    """A stable sort of days (a radix sort on a small integer key)."""
    if len(days) == 0:
        return np.zeros(0, dtype=np.int64)
    key = days - days.min()
    if key.max() < 2**15:
        key = key.astype(np.int16)
    return np.argsort(key, kind="stable")


def _as_datetime(days: np.ndarray) -> np.ndarray:
    return (days * 86_400).astype("datetime64[s]")


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int32), categories=categories)


# ------------------------------------------------------------------------------------------
# outflow


def _furusato_rules() -> Any:
    """The deduction rules, from :mod:`ebpmkit.furusato`."""
    from ebpmkit import furusato

    return furusato


class _Taxpayers:
    """Rows of ``income_tax`` with an income levy, sorted by fiscal year; columns read lazily."""

    def __init__(self, ctx: SimContext, s: _Settings) -> None:
        if "income_tax" not in ctx.tables:
            raise EbpmkitError(message("furusato_flows.needs_income_tax"))
        it = ctx.tables["income_tax"]
        missing = [c for c in _INCOME_COLUMNS if c not in it.columns]
        if missing:
            raise EbpmkitError(
                message(
                    "furusato_flows.income_columns",
                    missing=", ".join(missing),
                    columns=", ".join(map(str, it.columns)),
                )
            )
        self.table = it
        self.kind = ctx.profile.words.kind  # splits the municipal loss (tax.levy_split)
        fy = it["fiscal_year"].to_numpy()
        mask = it["income_levy"].to_numpy() > 0
        if not (len(fy) < 2 or (fy[1:] >= fy[:-1]).all()):
            order = np.argsort(fy, kind="stable")
            self.rows = order[mask[order]]
        else:
            self.rows = np.flatnonzero(mask)
        self.fiscal_year = fy[self.rows].astype(np.int64)
        inside = (self.fiscal_year >= s.years[0]) & (self.fiscal_year <= s.years[-1])
        if not inside.all():
            self.rows, self.fiscal_year = self.rows[inside], self.fiscal_year[inside]
        self.slices = _year_slices(s.years, self.fiscal_year)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str, at: np.ndarray | slice | None = None) -> np.ndarray:
        """A column at some taxpayers (positions in the sorted order), as int64."""
        rows = self.rows if at is None else self.rows[at]
        return self.table[name].to_numpy()[rows].astype(np.int64, copy=False)

    def taxable_for_income_tax(self, at: np.ndarray | slice) -> np.ndarray:
        """Taxable income for income tax: the table's ``income_tax_taxable`` when present, else the
        resident-tax taxable income less the difference of the basic deductions (spouse and
        dependant differences are ignored)."""
        if "income_tax_taxable" in self.table.columns:
            return self.column("income_tax_taxable", at)
        from ebpmkit.tax import BASIC_DIFFERENCE

        return np.maximum(self.column("taxable_income", at) - BASIC_DIFFERENCE, 0)

    def special_base(self, at: np.ndarray | slice, year: int) -> np.ndarray:
        """The special base of income ``year``: resident-tax taxable income less the
        personal-deduction differences, signed (negative: rate 90%).

        The deductions of the two taxes differ by the personal-deduction differences, except
        that the basic deduction's difference counts as ¥50,000 however large it is: so the base
        is the income-tax taxable income plus the basic-deduction difference above ¥50,000 (nil
        up to income year 2024 for total income up to ¥24M). Where the income-tax taxable income
        is 0 the table cannot give the spouse and dependant differences: up to 2024 the base is
        then at most 0 and is taken as negative; from 2025 it is taken as the resident-tax
        taxable income less ¥50,000 (no other differences), capped at the basic-deduction gap.
        Without ``income_tax_taxable`` it is the resident-tax taxable income less ¥50,000.
        """
        from ebpmkit.tax import BASIC_DIFFERENCE, basic_deduction

        resident = self.column("taxable_income", at)
        if "income_tax_taxable" not in self.table.columns:
            return resident - BASIC_DIFFERENCE
        total = self.column("total_income", at)
        gap = (
            basic_deduction(total, year, "income")
            - basic_deduction(total, year, "resident")
            - BASIC_DIFFERENCE
        )
        none = np.where(gap > 0, np.minimum(resident - BASIC_DIFFERENCE, gap), -1)
        taxable_it = self.column("income_tax_taxable", at)
        return np.where(taxable_it > 0, taxable_it + gap, none)

    def salary_earner(self, at: np.ndarray | slice) -> np.ndarray:
        emp = self.table["employment"]
        rows = self.rows[at]
        if isinstance(emp.dtype, pd.CategoricalDtype):
            wanted = [i for i, c in enumerate(emp.cat.categories) if c in _SALARY_EARNERS]
            return np.isin(emp.cat.codes.to_numpy()[rows], wanted)
        return emp.iloc[rows].isin(_SALARY_EARNERS).to_numpy(bool)


def _year_slices(years: np.ndarray, sorted_values: np.ndarray) -> dict[int, slice]:
    lo = np.searchsorted(sorted_values, years, side="left")
    hi = np.searchsorted(sorted_values, years, side="right")
    return {int(y): slice(int(a), int(b)) for y, a, b in zip(years, lo, hi, strict=True) if b > a}


@dataclass
class _Giving:
    """What some taxpayers of one fiscal year would give if they donated."""

    at: np.ndarray  # positions among the taxpayers
    limit: np.ndarray
    units: np.ndarray
    count: np.ndarray
    one_stop: np.ndarray
    taxable_it: np.ndarray
    levy: np.ndarray
    total_income: np.ndarray
    special_base: np.ndarray

    def take(self, keep: np.ndarray) -> _Giving:
        return _Giving(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[_Giving]) -> _Giving:
        fields = _Giving.__dataclass_fields__
        return _Giving(
            *(
                np.concatenate([getattr(p, f) for p in parts] or [np.zeros(0, np.int64)])
                for f in fields
            )
        )


def _giving(
    tp: _Taxpayers, at: np.ndarray, year: int, s: _Settings, rules: Any, rng: np.random.Generator
) -> _Giving:
    """Draw the donation total, count and one-stop use of taxpayers ``at`` for income ``year``."""
    n = len(at)
    taxable_it, levy = tp.taxable_for_income_tax(at), tp.column("income_levy", at)
    base = tp.special_base(at, year)
    limit = rules.limit_from_levy(base, levy, income_year=year).astype(np.int64)
    unit = int(s["donation_unit"])
    min_units = int(np.ceil(float(s["min_donation"]) / unit))
    ratio = np.exp(
        np.log(float(s["limit_ratio_median"]))
        + float(s["limit_ratio_sigma"]) * rng.standard_normal(n)
    )
    units = np.maximum(np.rint(ratio * limit / unit), min_units).astype(np.int64)
    count = 1 + rng.poisson(np.maximum(units * (unit / float(s["donation_size"])) - 1.0, 0.0))
    count = np.minimum(np.minimum(count, int(s["max_donations"])), units // min_units)
    salary_only = (
        tp.salary_earner(at)
        & (tp.column("salary_revenue", at) <= float(s["one_stop_salary_limit"]))
        & (tp.column("business_income", at) == 0)
        & (tp.column("pension_revenue", at) == 0)
    )
    one_stop = (
        salary_only
        & (count <= int(s["one_stop_max_donations"]))
        & (rng.random(n) < float(s["one_stop_uptake"]))
        & (year >= int(s["one_stop_first_year"]))  # the exception did not exist before
    )
    return _Giving(
        at, limit, units, count, one_stop, taxable_it, levy, tp.column("total_income", at), base
    )


def _deductions(rules: Any, year: int, g: _Giving, unit: int, kind: str) -> dict[str, np.ndarray]:
    """:func:`ebpmkit.furusato.deduction_split` of one income year, and the municipal loss.

    The loss is the municipality's share of the resident-tax deduction in the next fiscal
    year, which depends on its ``kind`` (:func:`ebpmkit.tax.levy_split`).
    """
    split = rules.deduction_split(
        g.units * unit,
        g.taxable_it,
        g.levy,
        g.one_stop,
        income_year=int(year),
        total_income=g.total_income,
        special_base=g.special_base,
    )
    return {
        "income_tax": split.income_tax,
        "basic": split.resident_basic,
        "special": split.resident_special,
        "one_stop": split.resident_one_stop,
        "resident": split.resident_total,
        "loss": rules.municipal_revenue_loss(split.resident_total, levy_split(kind, int(year) + 1)),
    }


def _outflow(
    ctx: SimContext, s: _Settings, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Donations made by residents and their deductions, with the ground truth of the model.

    Stages: each taxpayer's inclination to donate; donor shares by fiscal year (calibrated to
    the loss target); donors and what they give; deductions of each donor-year; single
    donations with dates and destinations.
    """
    rules = _furusato_rules()
    tp = _Taxpayers(ctx, s)
    unit = int(s["donation_unit"])
    person = tp.column("person_id")
    x, draw = _inclination(s, rng, tp, person)
    shares, calibration, drawn = _donor_shares(ctx, s, rng, rules, tp, x)
    intercepts, givers = _donors(s, rng, rules, tp, x, draw, shares, drawn)

    parts = [(g_y, _deductions(rules, y - 1, g_y, unit, tp.kind)) for y, g_y in givers]
    g = _Giving.concat([p[0] for p in parts])
    ded_arrays = {
        k: np.concatenate([p[1][k] for p in parts] or [np.zeros(0, np.int64)])
        for k in _DEDUCTION_KEYS
    }
    fy = tp.fiscal_year[g.at]
    total = g.units * unit
    deductions = pd.DataFrame(
        {
            "person_id": person[g.at],
            "calendar_year": (fy - 1).astype(np.int16),
            "fiscal_year": fy.astype(np.int16),
            "total_donation": total,
            "income_tax_deduction": ded_arrays["income_tax"],
            "resident_tax_basic": ded_arrays["basic"],
            "resident_tax_special": ded_arrays["special"],
            "resident_tax_one_stop": ded_arrays["one_stop"],
            "resident_tax_deduction": ded_arrays["resident"],
            "municipal_loss": ded_arrays["loss"],
            "full_deduction_limit": g.limit,
            "over_limit": total > g.limit,
            "one_stop": g.one_stop.astype(bool),
        }
    )
    outflow = _donations(s, rng, g, fy, person)

    by_fy = deductions.groupby("fiscal_year")
    truth = {
        "income_slope": float(s["income_slope"]),
        "person_effect_sd": float(s["person_effect_sd"]),
        "donor_share_target": {str(int(y)): float(v) for y, v in zip(s.years, shares, strict=True)},
        "uptake_intercept": intercepts,
        "loss_calibration": calibration,
        "donor_share": {
            str(int(k)): len(grp) / (tp.slices[int(k)].stop - tp.slices[int(k)].start)
            for k, grp in by_fy
        },
        "municipal_loss": {str(int(k)): int(v) for k, v in by_fy["municipal_loss"].sum().items()},
    }
    return outflow, deductions, truth


def _inclination(
    s: _Settings, rng: np.random.Generator, tp: _Taxpayers, person: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Who is inclined to donate: income and a lasting personal propensity.

    Returns each taxpayer-year's logit score without the year's intercept, and the uniform
    draw it is compared with.
    """
    n = len(tp)
    if n and 0 <= person.min() and person.max() < 4 * n + 1_000_000:
        who, n_people = person, int(person.max()) + 1  # ids small enough to index a table
    else:
        who, uniques = pd.factorize(person)
        n_people = len(uniques)
    x = rng.normal(0.0, float(s["person_effect_sd"]), n_people)[who]
    x += float(s["income_slope"]) * np.log(np.maximum(tp.column("total_income"), 100_000))
    return x, rng.random(n)


def _donor_shares(
    ctx: SimContext,
    s: _Settings,
    rng: np.random.Generator,
    rules: Any,
    tp: _Taxpayers,
    x: np.ndarray,
) -> tuple[np.ndarray, dict[str, Any] | None, dict[int, _Giving]]:
    """Donor shares by fiscal year, scaled to the loss target when the profile gives one.

    Calibrating needs what every taxpayer of the target year would give; those draws are
    returned so the donors of that year reuse them rather than drawing again.
    """
    unit = int(s["donation_unit"])
    shares = np.asarray(s["donor_share"], dtype=float)
    calibration: dict[str, Any] | None = None
    drawn: dict[int, _Giving] = {}
    if "loss_target" in s.values:
        target_fy = int(s["loss_target_year"])
        k = int(np.flatnonzero(s.years == target_fy)[0])
        target = float(s["loss_target"]) * ctx.scale
        factor = 1.0
        sl = tp.slices.get(target_fy)
        if sl is not None:
            g = drawn[target_fy] = _giving(
                tp, np.arange(sl.start, sl.stop), target_fy - 1, s, rules, rng
            )
            loss = _deductions(rules, target_fy - 1, g, unit, tp.kind)["loss"].astype(float)
            if loss.sum() > 0:
                a = _solve_intercept(x[sl], target, loss)
                factor = float(_logistic(a + x[sl]).mean()) / shares[k]
        shares = shares * factor
        calibration = {"fiscal_year": target_fy, "target_yen": target, "share_factor": factor}
    return np.minimum(shares, float(s["max_donor_share"])), calibration, drawn


def _donors(
    s: _Settings,
    rng: np.random.Generator,
    rules: Any,
    tp: _Taxpayers,
    x: np.ndarray,
    draw: np.ndarray,
    shares: np.ndarray,
    drawn: dict[int, _Giving],
) -> tuple[dict[str, float], list[tuple[int, _Giving]]]:
    """Each year's intercept solved to meet its donor share; the donors and what they give."""
    intercepts: dict[str, float] = {}
    givers: list[tuple[int, _Giving]] = []
    for k, y in enumerate(s.years):
        sl = tp.slices.get(int(y))
        if sl is None:
            continue
        a = _solve_intercept(x[sl], shares[k] * (sl.stop - sl.start))
        intercepts[str(int(y))] = a
        donor = sl.start + np.flatnonzero(draw[sl] < _logistic(a + x[sl]))
        if int(y) in drawn:
            givers.append((int(y), drawn[int(y)].take(donor - sl.start)))
        else:
            givers.append((int(y), _giving(tp, donor, int(y) - 1, s, rules, rng)))
    return intercepts, givers


def _donations(
    s: _Settings, rng: np.random.Generator, g: _Giving, fy: np.ndarray, person: np.ndarray
) -> pd.DataFrame:
    """Each donor-year split into donations of whole units, at least the minimum each, dated
    (December heavy) and sent to a prefecture; rows in date order."""
    unit = int(s["donation_unit"])
    min_units = int(np.ceil(float(s["min_donation"]) / unit))
    d = len(g.at)
    owner = np.repeat(np.arange(d), g.count)
    starts = np.cumsum(g.count) - g.count
    extra = g.units - g.count * min_units
    w = rng.gamma(2.0, size=len(owner))
    wsum = np.bincount(owner, weights=w, minlength=d)
    alloc = np.floor(w / wsum[owner] * extra[owner]).astype(np.int64)
    if d:
        alloc[starts] += extra - np.add.reduceat(alloc, starts)
    amount = (min_units + alloc) * unit
    months = rng.choice(12, size=len(owner), p=s.weights("month_weights"))
    days = _dates((fy - 1)[owner], months, rng, float(s["december_end_skew"]))
    dest = rng.choice(47, size=len(owner), p=s.weights("destination_weights"))
    order = _date_order(days)
    owner = owner[order]
    return pd.DataFrame(
        {
            "donation_id": np.arange(1, len(order) + 1, dtype=np.int64),
            "person_id": person[g.at][owner],
            "donation_date": _as_datetime(days[order]),
            "calendar_year": (fy - 1).astype(np.int16)[owner],
            "amount": amount[order],
            "destination_prefecture": _categorical(dest[order], s["prefectures"]),
            "one_stop": g.one_stop.astype(bool)[owner],
        }
    )


# ------------------------------------------------------------------------------------------
# inflow


def _join(item: str, variant: str) -> str:
    if not variant or variant.startswith(("（", "(")):
        return item + variant
    return f"{item} {variant}"


def _catalogue(s: _Settings, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """The gift catalogue, each gift's popularity and the ground truth of the rule breakers.

    Stages: the list of gifts and their donation amounts; cost shares that keep to the
    rules; rule breakers chosen at random; listing years; popularity.
    """
    items = _gift_items(s, rng)
    g = len(items.name)
    amt = items.amount
    costs = _gift_costs(s, rng, items)
    proc_breakers, total_breakers = _rule_breakers(s, rng, items, costs)
    breakers = np.concatenate([proc_breakers, total_breakers])
    first, last = _listing_years(s, rng, g, breakers)

    popularity = (
        items.category_weight
        * np.exp(float(s["popularity_sigma"]) * rng.standard_normal(g))
        * (amt / 10_000.0) ** -float(s["price_elasticity"])
    )
    popularity[breakers] *= float(s["rule_breaker_boost"])
    # Every year keeps at least the most popular gift.
    years = s.years
    top = int(np.argmax(popularity))
    first[top], last[top] = years[0], years[-1]

    gifts = pd.DataFrame(
        {
            "gift_id": np.arange(1, g + 1, dtype=np.int64),
            "name": pd.array(items.name, dtype="str"),
            "category": pd.Categorical(items.category, categories=items.labels),
            "donation_amount": amt,
            "procurement_cost": np.floor(costs.procurement * amt).astype(np.int64),
            "shipping_cost": costs.shipping.astype(np.int64),
            "portal_fee": np.floor(costs.portal * amt).astype(np.int64),
            "admin_cost": np.floor(costs.admin * amt).astype(np.int64),
            "supplier": pd.Categorical(items.supplier, categories=items.suppliers),
            "listed_from": first.astype(np.int16),
            "listed_to": last.astype(np.int16),
        }
    )
    ids = gifts["gift_id"].to_numpy()
    truth = {
        # the 30% rule is on each gift: these gifts break it
        "procurement_rule_breaking_gifts": [int(i) for i in ids[proc_breakers]],
        # costs above half the donation of one gift: not a breach (the 50% rule is on the
        # year's totals; see "catalogue_cost_ratio")
        "cost_share_over_half_gifts": [int(i) for i in ids[total_breakers]],
        "rule_breaker_popularity_boost": float(s["rule_breaker_boost"]),
        "gift_popularity": {
            str(int(i)): round(float(p), 6) for i, p in zip(ids, popularity, strict=True)
        },
    }
    return gifts, popularity, truth


@dataclass(frozen=True)
class _GiftItems:
    """One entry per gift (an item in one variant) of the profile's ``[furusato.gifts]``."""

    name: list[str]
    category: list[str]
    amount: np.ndarray  # donation amount (yen)
    ship_lo: list[float]
    ship_hi: list[float]
    supplier: list[str]
    category_weight: np.ndarray
    labels: list[str]  # category labels, in profile order
    suppliers: list[str]  # suppliers, in order of first appearance


def _gift_items(s: _Settings, rng: np.random.Generator) -> _GiftItems:
    """Each item gets a base amount and a supplier of its category; its variants scale the
    amount, rounded to the donation unit."""
    unit = int(s["donation_unit"])
    rows: list[tuple] = []  # (name, category, amount, ship_lo, ship_hi, supplier, category weight)
    labels = [str(c["label"]) for c in s["gifts"].values()]
    suppliers: list[str] = []
    for cat in s["gifts"].values():
        for item in cat["items"]:
            base = float(rng.choice(np.asarray(cat["amounts"], dtype=float)))
            supplier = str(cat["suppliers"][rng.integers(len(cat["suppliers"]))])
            if supplier not in suppliers:
                suppliers.append(supplier)
            for variant, factor in zip(cat["variants"], cat["variant_factors"], strict=True):
                amount = max(unit, round(base * float(factor) / unit) * unit)
                ship_lo, ship_hi = (float(v) for v in cat["shipping"])
                rows.append(
                    (
                        _join(str(item), str(variant)),
                        str(cat["label"]),
                        amount,
                        ship_lo,
                        ship_hi,
                        supplier,
                        float(cat["weight"]),
                    )
                )
    name, category, amount, ship_lo, ship_hi, supplier, cat_weight = (
        list(c) for c in zip(*rows, strict=True)
    )
    return _GiftItems(
        name=name,
        category=category,
        amount=np.asarray(amount, dtype=np.int64),
        ship_lo=ship_lo,
        ship_hi=ship_hi,
        supplier=supplier,
        category_weight=np.asarray(cat_weight),
        labels=labels,
        suppliers=suppliers,
    )


@dataclass(frozen=True)
class _GiftCosts:
    """Shipping cost (yen) and the other costs as shares of the donation amount.

    The arrays are filled in place when rule breakers are chosen.
    """

    shipping: np.ndarray
    portal: np.ndarray
    admin: np.ndarray
    procurement: np.ndarray


def _gift_costs(s: _Settings, rng: np.random.Generator, items: _GiftItems) -> _GiftCosts:
    """Costs of ordinary gifts: under 30% for procurement, and under ``max_total_share`` of the
    donation in all (by shrinking admin, then procurement), so the year's totals keep to the
    50% rule."""
    g, amt = len(items.name), items.amount
    ship = np.round(rng.uniform(items.ship_lo, items.ship_hi) / 10) * 10
    portal = rng.uniform(*s["portal_fee_share"], size=g)
    admin = rng.uniform(*s["admin_share"], size=g)
    proc = rng.uniform(*s["procurement_share"], size=g)
    room = float(s["max_total_share"]) - ship / amt - portal
    if (room < 0.06).any():
        worst = items.name[int(np.argmin(room))]
        raise ProfileError(message("furusato_flows.gift_shipping", gift=worst))
    admin = np.minimum(admin, np.maximum(room - 0.15, 0.005))
    proc = np.maximum(np.minimum(proc, room - admin), 0.05)
    return _GiftCosts(shipping=ship, portal=portal, admin=admin, procurement=proc)


def _rule_breakers(
    s: _Settings, rng: np.random.Generator, items: _GiftItems, costs: _GiftCosts
) -> tuple[np.ndarray, np.ndarray]:
    """Choose gifts at random to break the 30% procurement rule, or to cost more than half
    their donation in all (not a breach by itself), and raise their costs in ``costs``; returns
    both sets of gift positions."""
    g, amt = len(items.name), items.amount
    proc, admin, ship, portal = costs.procurement, costs.admin, costs.shipping, costs.portal
    pick = rng.permutation(g)
    n_proc = (
        max(2, round(float(s["procurement_breaker_share"]) * g))
        if s["procurement_breaker_share"] > 0
        else 0
    )
    n_total = (
        max(1, round(float(s["total_breaker_share"]) * g)) if s["total_breaker_share"] > 0 else 0
    )
    n_proc, n_total = min(n_proc, g), min(n_total, max(g - n_proc, 0))
    proc_breakers = np.sort(pick[:n_proc])
    total_breakers = np.sort(pick[n_proc : n_proc + n_total])
    proc[proc_breakers] = rng.uniform(*s["procurement_breaker_range"], size=n_proc)
    target = rng.uniform(*s["total_breaker_range"], size=n_total)
    tb = total_breakers
    admin[tb] = target - proc[tb] - ship[tb] / amt[tb] - portal[tb]
    return proc_breakers, total_breakers


def _listing_years(
    s: _Settings, rng: np.random.Generator, g: int, breakers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First and last fiscal year each gift is listed; rule breakers stay listed to the end."""
    years = s.years
    first = np.where(
        rng.random(g) < float(s["listed_first_year_share"]),
        years[0],
        rng.integers(years[0], years[-1] + 1, size=g),
    )
    still = rng.random(g) < float(s["still_listed_share"])
    last = np.where(still, years[-1], rng.integers(first, np.maximum(first, years[-1] - 1) + 1))
    last[breakers] = years[-1]
    return first, last


def _inflow(
    ctx: SimContext,
    s: _Settings,
    rng: np.random.Generator,
    gifts: pd.DataFrame,
    popularity: np.ndarray,
) -> tuple[pd.DataFrame, dict]:
    amt = gifts["donation_amount"].to_numpy(np.int64)
    first = gifts["listed_from"].to_numpy()
    last = gifts["listed_to"].to_numpy()
    mult_p = s.weights("multiple_shares")
    month_p = s.weights("month_weights")
    parts: list[tuple[np.ndarray, ...]] = []
    for k, y in enumerate(s.years):
        listed = (first <= y) & (last >= y)
        p = np.where(listed, popularity, 0.0)
        p = p / p.sum()
        mean_amount = float(p @ amt) * float(mult_p @ np.arange(1, 4))
        count = round(float(s["received"][k]) * ctx.scale / mean_amount)
        gift = rng.choice(len(amt), size=count, p=p)
        mult = rng.choice(3, size=count, p=mult_p) + 1
        month = rng.choice(12, size=count, p=month_p)
        cal = np.where(month < 3, y + 1, y)
        parts.append((gift, mult, month, cal, np.full(count, y)))
    gift, mult, month, cal, fy = (np.concatenate(c) for c in zip(*parts, strict=True))
    days = _dates(cal, month, rng, float(s["december_end_skew"]))
    donor_w = np.asarray(s["donor_weights"], dtype=float)
    donor_w[s["prefectures"].index(s["prefecture"])] *= float(s["home_donor_factor"])
    prefecture = rng.choice(47, size=len(gift), p=donor_w / donor_w.sum())
    portal = rng.choice(len(s["portals"]), size=len(gift), p=s.weights("portal_shares"))
    order = _date_order(days)
    donations = pd.DataFrame(
        {
            "donation_id": np.arange(1, len(order) + 1, dtype=np.int64),
            "donation_date": _as_datetime(days[order]),
            "fiscal_year": fy[order].astype(np.int16),
            "amount": (amt[gift] * mult)[order],
            "gift_id": gifts["gift_id"].to_numpy()[gift][order],
            "donor_prefecture": _categorical(prefecture[order], s["prefectures"]),
            "portal": _categorical(portal[order], s["portals"]),
        }
    )
    received = donations.groupby("fiscal_year")["amount"].sum()
    # the 50% rule judged on each year's totals, with the catalogue's costs of every gift sent
    # (costs no catalogue holds, such as one-stop processing, are not simulated)
    yearly = _furusato_rules().solicitation_costs_by_year(donations, gifts)
    ratio = {
        str(int(y)): round(float(r), 6)
        for y, r in zip(yearly["fiscal_year"], yearly["cost_ratio"], strict=True)
    }
    truth = {
        "received_target": {
            str(int(y)): float(v) * ctx.scale for y, v in zip(s.years, s["received"], strict=True)
        },
        "received": {str(int(k)): int(v) for k, v in received.items()},
        "catalogue_cost_ratio": ratio,
        "years_over_50_percent": [int(y) for y, r in ratio.items() if r > 0.5],
    }
    return donations, truth


# ------------------------------------------------------------------------------------------
# entry points


def check_profile(profile: Profile) -> None:
    """Check the ``[furusato]`` figures that must agree with each other (list lengths, the
    loss-target year, the prefecture, portal shares, gift categories).

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> check_profile(load_profile("town"))
    """
    _Settings.read(profile)


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate the furusato nozei tables of ``ctx.profile`` from the ``income_tax`` table.

    Parameters
    ----------
    ctx : SimContext
        Needs ``ctx.tables["income_tax"]`` (income.py); writes ``ctx.truth["furusato_flows"]``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``furusato_outflow``, ``furusato_deductions``, ``furusato_gifts``, ``furusato_donations``.

    Examples
    --------
    >>> [c.column for c in COLUMNS if c.table == "furusato_deductions"][:3]
    ['person_id', 'calendar_year', 'fiscal_year']
    """
    s = _Settings.read(ctx.profile)
    out_rng, gift_rng, in_rng = ctx.rng(NAME).spawn(3)
    outflow, deductions, out_truth = _outflow(ctx, s, out_rng)
    gifts, popularity, gift_truth = _catalogue(s, gift_rng)
    donations, in_truth = _inflow(ctx, s, in_rng, gifts, popularity)
    ctx.truth[NAME] = {**out_truth, **gift_truth, **in_truth}
    return {
        "furusato_outflow": outflow,
        "furusato_deductions": deductions,
        "furusato_gifts": gifts,
        "furusato_donations": donations,
    }
