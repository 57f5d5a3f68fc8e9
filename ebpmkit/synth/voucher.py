"""Premium gift vouchers (プレミアム付商品券): who buys, where they are spent, what they change.

One programme in one fiscal year: residents aged ``min_age`` and over apply for up to
``max_sets`` sets (pay ``set_price``, spend ``set_price * (1 + premium_rate)``); when applications
exceed the issue volume, a lottery by household decides (the applications of one household win or
lose together), and the households that lost are kept in ``voucher_applications``. Some winning
households never buy (``winner_purchase_rate``). Applicants are older, more often homemakers or
pensioners, and carry an unobserved household trait (time at home, short-term outlook) that also
raises their usual local spending, so buyers differ from non-buyers before the programme starts;
winners who buy carry more of it than winners who do not. Winners and losers differ only by the
draw.

Only ``incremental_share`` (about a third) of voucher spending is new consumption; the rest
replaces spending that would have happened anyway, and ``diverted_share`` of voucher use is
taken from shops that do not accept vouchers. So "vouchers used" is not the effect, a
before/after comparison of buyers picks up the common shock and the season, a buyer/non-buyer
comparison picks up the level difference, and a shop-level difference-in-differences counts the
diverted sales twice. A household difference-in-differences recovers the truth, because the
household panel's common time effect is additive and shared by buyers and non-buyers
(parallel trends hold by construction). The spending panel samples winning, losing and
non-applying households separately, each at random, so comparing winners with losers is a
randomised comparison (an intention-to-treat effect), and dividing it by the winners' purchase
rate gives the effect on buyers. The true figures go to ``ctx.truth["voucher"]``.

Ground truth (``ctx.truth["voucher"]``, for instructors and tests, never in a learner's table):

- ``incremental_share``, ``diverted_share``: the parameters;
- ``incremental_spending_total``: new local spending caused by the programme (yen), i.e. the
  incremental share of every buyer household's monthly voucher use, rounded per household-month;
- ``att_yen_per_buyer_household_month``: mean of (spending - counterfactual spending) over the
  panel's buyer households and the use months, which a two-way fixed-effects DiD on
  ``household_spending`` estimates; ``att_population_...`` is the same over all buyer households;
- ``lottery_effects``: the panel's winning, losing and non-applying households, the winners' purchase
  rate, ``itt_yen_per_household_month`` (mean effect over the panel's winning households in the
  use months: winners minus losers estimates it) and ``complier_effect_yen_per_household_month``
  (over its buyers, equal to the ATT: losers cannot buy), with the same two over the population;
- ``event_study``: the true effect month by month over the whole window (``relative_month`` 0
  is the first use month) per panel buyer household and per panel winning household: zero
  before the programme and after the use period;
- ``merchant``: ``participants_gain_total`` (new + diverted sales of participating shops),
  ``diverted_total`` (sales lost by the other shops), ``net_effect_total`` (their difference,
  equal to the incremental spending), ``did_expected_log`` (the mean log change of participants
  minus that of the others in the use months, which a DiD on log sales estimates),
  ``net_effect_share_of_participant_sales`` (what that DiD would be without diversion, about) and
  ``did_expected_yen`` (the same DiD in yen from the effects alone: a DiD on yen sales also picks
  up the common shock, which is proportional to shop size, and participants are bigger);
- ``premium_total``, ``admin_cost`` (``admin_cost_share`` of total project cost),
  ``programme_cost`` and ``cost_per_yen_new_spending``;
- design and uptake figures: applicants (persons and households), the draw (winning and losing
  households, win rate, purchase rate of winners), sets, buyers, redemption rate.

Months are handled as integer month indices ``year * 12 + (month - 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ebpmkit._arrays import sorted_unique
from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "PARAMETERS",
    "ROLES",
    "SIZE_BANDS",
    "TABLES",
    "check_profile",
    "simulate",
]

NAME = "voucher"

CATEGORIES = (
    "スーパー",
    "飲食店",
    "衣料品",
    "家電",
    "書店",
    "ドラッグストア",
    "理容・美容",
    "生活雑貨",
)
SIZE_BANDS = ("1-4人", "5-9人", "10-29人", "30人以上")

TABLES = {
    "voucher_applications": "プレミアム付商品券の申込と抽選の結果(申し込んだ世帯ごとに1行。落選した世帯を含む)",
    "voucher_purchases": "プレミアム付商品券の購入記録(購入した住民1人につき1行)",
    "voucher_redemptions": "取扱店舗ごと・月ごとの商品券換金額(使用された商品券の額面合計)",
    "merchants": "区域内の小売・飲食等の店舗一覧と商品券取扱の有無",
    "merchant_sales": "店舗ごとの月次売上(商品券事業の前後を含む期間)",
    "household_spending": "世帯パネル調査:抽出世帯の月次の地元消費額と商品券使用額",
}

_A = "(合成データの仮定値に基づく)"

# Columns of more than one table of this module.
_MERCHANT_ID = SharedColumn("merchant_id", "int64", "店舗ID", "merchant ID")
_MONTH = SharedColumn("month", "datetime64[s]", "月", "month")

COLUMNS = [
    shared(
        "household_id",
        "voucher_applications",
        "申し込んだ世帯のID(事業年度の4月1日時点の世帯。household_spending と結合可能)",
    ),
    Column(
        "voucher_applications",
        "applicants",
        "int64",
        "申込者数",
        "applicants",
        "人",
        "世帯のうち申し込んだ人の数(対象年齢以上の住民が1人ずつ申し込む)",
    ),
    Column(
        "voucher_applications",
        "sets_requested",
        "int64",
        "申込セット数",
        "sets applied for",
        "セット",
        "世帯の申込者が申し込んだセット数の合計",
    ),
    Column(
        "voucher_applications",
        "won",
        "bool",
        "当選",
        "won the draw",
        "",
        "抽選に当選したかどうか。申込が発行数を超えたときは、世帯単位で無作為に抽選する"
        "(同じ世帯の申込はまとめて当選または落選)。超えなければ全世帯が当選",
    ),
    Column(
        "voucher_applications",
        "bought",
        "bool",
        "購入",
        "bought",
        "",
        f"商品券を購入したかどうか。落選した世帯は購入できず、当選しても購入しない世帯がある{_A}",
    ),
    Column(
        "voucher_purchases",
        "purchase_id",
        "int64",
        "購入番号",
        "purchase ID",
        "",
        "購入1件を識別する番号(購入日順)",
    ),
    shared("person_id", "voucher_purchases", "購入した住民の個人ID(residents と結合可能)"),
    shared("household_id", "voucher_purchases", "事業年度の4月1日時点の世帯ID"),
    Column(
        "voucher_purchases",
        "purchase_date",
        "datetime64[s]",
        "購入日",
        "purchase date",
        "",
        "商品券を購入した日(販売期間内)",
    ),
    Column(
        "voucher_purchases",
        "sets",
        "int64",
        "購入セット数",
        "sets bought",
        "セット",
        "購入したセット数(1人あたり上限あり)。申込が発行数を超えた場合は、世帯単位の抽選で当選した世帯の申込者だけが購入",
    ),
    Column(
        "voucher_purchases",
        "paid",
        "int64",
        "購入額",
        "amount paid",
        "円",
        "購入者が支払った額(1セットの販売価格×セット数)",
    ),
    Column(
        "voucher_purchases",
        "face_value",
        "int64",
        "額面",
        "face value",
        "円",
        "購入した商品券の額面合計(支払額+プレミアム分)",
    ),
    Column(
        "voucher_purchases",
        "premium",
        "int64",
        "プレミアム額",
        "premium",
        "円",
        "額面と支払額の差(自治体が負担するプレミアム分)",
    ),
    _MERCHANT_ID.at("voucher_redemptions", "商品券取扱店舗のID(merchants と結合可能)"),
    _MONTH.at("voucher_redemptions", "換金された月(月初日で表示)"),
    Column(
        "voucher_redemptions",
        "redeemed_value",
        "int64",
        "換金額",
        "redeemed value",
        "円",
        "その月にその店舗で使われた商品券の額面合計。これは使用額であって、事業による消費の増加額ではない",
    ),
    _MERCHANT_ID.at("merchants", "店舗を識別する番号"),
    Column("merchants", "name", "str", "名称", "name", "", "架空の店舗名"),
    Column(
        "merchants",
        "category",
        "category",
        "分類",
        "category",
        "",
        "業種: スーパー、飲食店、衣料品、家電、書店、ドラッグストア、理容・美容、生活雑貨",
    ),
    shared(
        "district_code",
        "merchants",
        "店舗が所在する住区のコード(districts と結合可能)",
        dtype="str",
    ),
    Column(
        "merchants",
        "size",
        "category",
        "従業者規模",
        "employees",
        "人",
        f"従業者数の区分(1-4人、5-9人、10-29人、30人以上){_A}",
    ),
    Column(
        "merchants",
        "participating",
        "bool",
        "取扱店舗",
        "participating",
        "",
        f"商品券の取扱店舗かどうか。規模の大きい店舗や一部の業種ほど参加しやすく、無作為ではない{_A}",
    ),
    _MERCHANT_ID.at("merchant_sales", "店舗のID(merchants と結合可能)"),
    _MONTH.at(
        "merchant_sales",
        "売上の月(月初日で表示)。商品券使用開始の24か月前から使用終了の12か月後まで",
    ),
    Column(
        "merchant_sales",
        "sales",
        "int64",
        "売上高",
        "sales",
        "円",
        f"その月の売上高。店舗規模×季節変動(12月が高い)×景気・感染症の影響×ばらつき。商品券の使用期間には取扱店舗に商品券による売上が加わり、その一部は非取扱店舗から移った分{_A}",
    ),
    shared(
        "household_id",
        "household_spending",
        "パネル調査の対象世帯のID。調査期間を通じて区域内に住む世帯を、抽選に当選した世帯・落選した世帯・申し込まなかった世帯に分け、"
        "それぞれから無作為に抽出(購入世帯がおよそ半数になる割合)。voucher_applications と結合可能",
    ),
    _MONTH.at("household_spending", "消費の月(月初日で表示)"),
    Column(
        "household_spending",
        "local_spending",
        "int64",
        "地元消費額",
        "local spending",
        "円",
        f"その月に区域内の店舗で使った金額(商品券で支払った分を含む){_A}",
    ),
    Column(
        "household_spending",
        "buyer",
        "bool",
        "購入世帯",
        "buyer household",
        "",
        "世帯員のだれかが商品券を購入した世帯かどうか",
    ),
    Column(
        "household_spending",
        "voucher_used",
        "int64",
        "商品券使用額",
        "vouchers used",
        "円",
        "その月に世帯が使った商品券の額面(使用期間外と非購入世帯は0)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Shops, their
#: sales and redemptions describe no resident.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    "voucher_applications": {"id": ("household_id",)},
    "voucher_purchases": {"id": ("person_id", "household_id")},
    "voucher_redemptions": {},
    "merchants": {},
    "merchant_sales": {},
    "household_spending": {"id": ("household_id",)},
}

_V = "voucher."

PARAMETERS = [
    # programme design (profile)
    Param(
        _V + "fiscal_year",
        low=1990,
        high=2100,
        ja="プレミアム付商品券を販売・利用する年度",
        unit="年度",
        when="none",
    ),
    Param(_V + "sale_month", low=1, high=12, ja="販売する月", unit="月", when="listed"),
    Param(
        _V + "use_start_month", low=1, high=12, ja="利用できる最初の月", unit="月", when="listed"
    ),
    Param(_V + "use_months", low=1, high=12, ja="利用できる月数", unit="か月", when="listed"),
    Param(
        _V + "premium_rate",
        low=0.0,
        high=1.0,
        ja="プレミアム率(支払額に上乗せされる割合)",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "set_price", low=100, high=1_000_000, ja="1セットの販売価格", unit="円", when="listed"
    ),
    Param(
        _V + "max_sets",
        low=1,
        high=20,
        ja="1人が買えるセット数の上限",
        unit="セット",
        when="listed",
    ),
    Param(_V + "min_age", low=0, high=100, ja="申し込める年齢の下限", unit="歳", when="listed"),
    Param(
        _V + "sets_issued",
        low=1,
        ja="発行するセット数(scale を掛けた数)。申込がこれを超えると世帯単位の抽選になる",
        unit="セット",
        when="listed",
    ),
    Param(
        _V + "application_rate",
        low=0.001,
        high=0.9,
        ja="申し込める年齢の住民のうち申し込む人の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "merchants", low=1, ja="自治体の中の店の数(scale を掛けた数)", unit="店", when="listed"
    ),
    Param(
        _V + "household_local_spending",
        low=1000,
        high=10_000_000,
        ja="世帯が地元(自治体の中)の店でふだん使う金額(月額)",
        unit="円(1か月あたり)",
        when="listed",
    ),
    # national figures and assumptions (rates/voucher.toml)
    Param(
        _V + "incremental_share",
        low=0.0,
        high=1.0,
        ja="商品券で使われた金額のうち、商品券がなければなかった消費の割合(真の効果)",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "diverted_share",
        low=0.0,
        high=1.0,
        ja="商品券の利用のうち、取扱店でない地元の店から移った分の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "redemption_rate",
        low=0.5,
        high=1.0,
        ja="販売した商品券のうち使われる割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "admin_cost_share",
        low=0.0,
        high=0.9,
        ja="事業費のうち事務費の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(_V + "ticket_value", low=1, high=100_000, ja="商品券1枚の額面", unit="円", when="listed"),
    Param(
        _V + "use_decay",
        low=0.05,
        high=2.0,
        ja="利用が月を追って減る度合い(翌月の利用は前月のこの倍)",
        unit="倍(1か月あたり)",
        when="listed",
    ),
    Param(
        _V + "use_concentration",
        low=0.1,
        high=1e6,
        ja="世帯ごとの月々の利用の偏りの小ささ(大きいほど全世帯が同じ形で使う)",
        when="listed",
    ),
    Param(
        _V + "age_band_edges",
        "numbers",
        low=0,
        high=120,
        ja="商品券を買いやすさを与える年齢区分の下限",
        unit="歳",
        when="listed",
    ),
    Param(
        _V + "age_logit",
        "numbers",
        low=-10,
        high=10,
        ja="age_band_edges の年齢区分ごとの買いやすさ",
        unit="対数オッズ",
        when="listed",
    ),
    Param(
        _V + "homemaker_logit",
        low=-10,
        high=10,
        ja="家事専業とみなす人(働いていない女性)の買いやすさ",
        unit="対数オッズ",
        when="listed",
    ),
    Param(
        _V + "pension_logit",
        low=-10,
        high=10,
        ja="年金生活の人の買いやすさ",
        unit="対数オッズ",
        when="listed",
    ),
    Param(
        _V + "household_trait_logit",
        low=0,
        high=10,
        ja="世帯に固有の観察できない傾向(在宅時間など)による買いやすさ",
        unit="対数オッズ(1標準偏差あたり)",
        when="listed",
    ),
    Param(
        _V + "person_trait_logit",
        low=0,
        high=10,
        ja="個人に固有の傾向による買いやすさ",
        unit="対数オッズ(1標準偏差あたり)",
        when="listed",
    ),
    Param(
        _V + "max_sets_share",
        low=0.0,
        high=1.0,
        ja="購入者のうち上限のセット数を買う人の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "winner_purchase_rate",
        low=0.01,
        high=0.99,
        ja="当選した世帯のうち実際に買う世帯の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "winner_purchase_trait_logit",
        low=0,
        high=10,
        ja="当選世帯のうち、世帯に固有の傾向が強いほど買う度合い",
        unit="対数オッズ(1標準偏差あたり)",
        when="listed",
    ),
    Param(
        _V + "seasonality",
        "numbers",
        low=0.01,
        high=10,
        length=12,
        ja="地元の消費の月ごとの季節指数(1月から12月)",
        unit="倍",
    ),
    Param(
        _V + "macro_months",
        "numbers",
        low=190001,
        high=210012,
        ja="景気の指数を与える月(YYYYMM、間の月は直線で補う)",
        unit="年月",
        when="none",
    ),
    Param(
        _V + "macro_levels",
        "numbers",
        low=0.01,
        high=10,
        ja="macro_months の各月の景気の指数(すべての世帯と店に共通の変動)",
        unit="倍",
        when="listed",
    ),
    Param(
        _V + "trend_per_year",
        low=-0.5,
        high=0.5,
        ja="地元の消費の1年あたりの伸び",
        unit="割合(1年あたり)",
    ),
    Param(
        _V + "household_level_sd",
        low=0,
        high=2,
        ja="世帯のふだんの消費額のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        _V + "household_trait_spending",
        low=-1,
        high=1,
        ja="世帯に固有の傾向が、ふだんの消費額を上げる割合",
        unit="割合(1標準偏差あたり)",
    ),
    Param(
        _V + "household_noise_sd",
        low=0,
        high=0.5,
        ja="世帯の月々の消費の変動(ふだんの消費額に対する割合)",
        unit="割合",
    ),
    Param(
        _V + "household_age_slope",
        low=-0.1,
        high=0.1,
        ja="世帯の最年長の人が45歳を1歳超えるごとに、ふだんの消費額が増える割合",
        unit="割合(1歳あたり)",
    ),
    Param(
        _V + "household_homemaker_spending",
        low=-0.5,
        high=2,
        ja="家事専業の人がいる世帯のふだんの消費額が増える割合",
        unit="割合",
    ),
    Param(
        _V + "panel_households",
        low=1,
        ja="家計の消費パネル(調査世帯)の世帯数(scale を掛けた数)",
        unit="世帯",
        when="listed",
    ),
    Param(
        _V + "panel_households_min",
        low=1,
        ja="scale によらないパネルの世帯数の下限",
        unit="世帯",
        when="listed",
    ),
    Param(
        _V + "panel_winner_share",
        low=0.0,
        high=1.0,
        ja="パネルのうち当選世帯の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "panel_loser_share",
        low=0.0,
        high=1.0,
        ja="パネルのうち落選世帯の割合(残りは申し込まなかった世帯)",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "months_before",
        low=1,
        high=120,
        ja="パネル・店の売上を、利用開始の何か月前から記録するか",
        unit="か月",
        when="listed",
    ),
    Param(
        _V + "months_after",
        low=0,
        high=120,
        ja="利用期間の終わりの何か月後まで記録するか",
        unit="か月",
        when="listed",
    ),
    Param(
        _V + "category_shares",
        "numbers",
        low=0,
        high=1,
        length=len(CATEGORIES),
        ja="店の業種(スーパー、飲食店、衣料品、家電、書店、ドラッグストア、理容・美容、生活雑貨)の割合",
        unit="割合(0～1)",
    ),
    Param(
        _V + "category_level",
        "numbers",
        low=0.001,
        high=1000,
        length=len(CATEGORIES),
        ja="同じ規模の店の業種ごとの月の売上の相対的な大きさ(業種の順は category_shares と同じ)",
        unit="倍",
    ),
    Param(
        _V + "category_december",
        "numbers",
        low=0,
        high=10,
        length=len(CATEGORIES),
        ja="業種ごとに季節指数に従う強さ",
        unit="倍",
    ),
    Param(
        _V + "category_participation_logit",
        "numbers",
        low=-10,
        high=10,
        length=len(CATEGORIES),
        ja="業種ごとの取扱店になりやすさ",
        unit="対数オッズ",
        when="listed",
    ),
    Param(
        _V + "category_appeal",
        "numbers",
        low=0.001,
        high=100,
        length=len(CATEGORIES),
        ja="業種ごとの商品券の使われやすさ",
        unit="倍(相対的な重み)",
        when="listed",
    ),
    Param(
        _V + "size_shares",
        "numbers",
        low=0,
        high=1,
        length=len(CATEGORIES) * len(SIZE_BANDS),
        ja="業種ごとの従業者規模(1-4人、5-9人、10-29人、30人以上)の割合(8業種×4規模の32個、業種ごとに合計1)",
        unit="割合(0～1)",
    ),
    Param(
        _V + "size_level",
        "numbers",
        low=0.001,
        high=1000,
        length=len(SIZE_BANDS),
        ja="従業者規模ごとの売上の相対的な大きさ",
        unit="倍",
    ),
    Param(
        _V + "size_participation_logit",
        "numbers",
        low=-10,
        high=10,
        length=len(SIZE_BANDS),
        ja="従業者規模ごとの取扱店になりやすさ",
        unit="対数オッズ",
        when="listed",
    ),
    Param(
        _V + "participation_share",
        low=0.01,
        high=0.99,
        ja="店のうち商品券の取扱店の割合",
        unit="割合(0～1)",
        when="listed",
    ),
    Param(
        _V + "merchant_level_sd",
        low=0,
        high=3,
        ja="同じ業種・規模の店の売上のばらつき(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        _V + "merchant_noise_sd",
        low=0,
        high=1,
        ja="店の月々の売上の変動(対数の標準偏差)",
        unit="対数の標準偏差",
    ),
    Param(
        _V + "merchant_sales_share",
        low=0.01,
        high=1,
        ja="住民の地元での消費のうち、記録される店が占める割合",
        unit="割合(0～1)",
    ),
    Param(_V + "merchants_min", low=2, high=100_000, ja="scale によらない店の数の下限", unit="店"),
]

# Learner-facing name parts of the fictional shops (labels, not figures).
_NAME_PREFIXES = (
    "さくら",
    "ひばり",
    "みどり",
    "あおば",
    "ふじ",
    "まつや",
    "たけや",
    "うめだ",
    "ことぶき",
    "あさひ",
    "わかば",
    "ひかり",
    "すずらん",
    "つばき",
    "もみじ",
    "かえで",
    "こまち",
    "まるや",
    "やまと",
    "なごみ",
    "丸福",
    "大黒",
    "栄",
    "中央",
    "駅前",
    "本町",
    "銀杏",
    "富士見",
    "松葉",
    "竹の子",
    "三河屋",
    "伊勢屋",
    "近江屋",
    "山田",
    "田中",
    "鈴木",
    "小林",
    "高橋",
    "森",
    "石川",
)
_NAME_SUFFIXES = {
    "スーパー": ("ストア", "マート", "フーズ", "食品館", "ショップ", "スーパー"),
    "飲食店": (
        "食堂",
        "亭",
        "珈琲店",
        "そば",
        "寿司",
        "ラーメン",
        "洋食店",
        "カフェ",
        "酒場",
        "ベーカリー",
    ),
    "衣料品": ("洋品店", "ブティック", "衣料店", "呉服店", "靴店", "テーラー"),
    "家電": ("電器", "でんき", "電機商会", "家電センター"),
    "書店": ("書店", "書房", "堂書店", "文具店"),
    "ドラッグストア": ("薬局", "ドラッグ", "薬店", "調剤薬局"),
    "理容・美容": ("理容室", "美容室", "ヘアサロン", "理容店", "美容院"),
    "生活雑貨": ("雑貨店", "金物店", "生花店", "荒物店", "日用品店", "おもちゃ店", "時計店"),
}


@dataclass(frozen=True)
class _Design:
    fiscal_year: int
    sale_month: int  # month index of the sale
    use_first: int  # month index of the first use month
    use_months: int
    premium_rate: float
    set_price: int
    face_per_set: int
    max_sets: int
    min_age: int
    sets_issued: int
    ticket: int
    window: np.ndarray  # month indices of the monthly tables
    in_use: np.ndarray  # bool per window month


def _month_index(fiscal_year: int, month: int) -> int:
    """Month index of calendar ``month`` inside ``fiscal_year`` (April to March)."""
    year = fiscal_year if month >= 4 else fiscal_year + 1
    return year * 12 + month - 1


def _month_dates(index: np.ndarray) -> np.ndarray:
    """First day of each month index, as datetime64[s]."""
    return (
        (np.asarray(index, dtype=np.int64) - 1970 * 12)
        .astype("datetime64[M]")
        .astype("datetime64[s]")
    )


def _fiscal_year_of(index: int) -> int:
    year, month0 = divmod(index, 12)
    return year if month0 >= 3 else year - 1


def _design(p: Profile, scale: float) -> _Design:
    """The programme's design, checked against the simulated years."""
    fy = int(p.number(_V + "fiscal_year"))
    sale = _month_index(fy, int(p.number(_V + "sale_month", low=1, high=12)))
    first = _month_index(fy, int(p.number(_V + "use_start_month", low=1, high=12)))
    months = int(p.number(_V + "use_months", low=1, high=12))
    if sale > first:
        raise ProfileError(
            message("profile.voucher_sale_after_use", fiscal_year=fy, origin=p.origin)
        )
    before = int(p.number(_V + "months_before", low=1))
    after = int(p.number(_V + "months_after", low=0))
    window = np.arange(first - before, first + months + after, dtype=np.int64)
    years = p.fiscal_years
    lo, hi = _fiscal_year_of(int(window[0])), _fiscal_year_of(int(window[-1]))
    if lo < years[0] or hi > years[-1]:
        raise ProfileError(
            message(
                "profile.voucher_window",
                fiscal_year=fy,
                low=lo,
                high=hi,
                before=before,
                after=after,
                first=years[0],
                last=years[-1],
                origin=p.origin,
            )
        )
    price = int(p.number(_V + "set_price", low=1))
    premium_rate = p.number(_V + "premium_rate", low=0, high=1)
    face = int(round(price * (1 + premium_rate)))
    ticket = int(p.number(_V + "ticket_value", low=1))
    if face % ticket:
        raise ProfileError(
            message(
                "profile.voucher_face_value",
                face=f"{face:,}",
                ticket=f"{ticket:,}",
                origin=p.origin,
            )
        )
    return _Design(
        fiscal_year=fy,
        sale_month=sale,
        use_first=first,
        use_months=months,
        premium_rate=premium_rate,
        set_price=price,
        face_per_set=face,
        max_sets=int(p.number(_V + "max_sets", low=1)),
        min_age=int(p.number(_V + "min_age", low=0)),
        sets_issued=max(1, round(p.number(_V + "sets_issued", low=1) * scale)),
        ticket=ticket,
        window=window,
        in_use=(window >= first) & (window < first + months),
    )


def check_profile(profile: Profile) -> None:
    """Check the ``[voucher]`` figures that must agree with each other and with ``[years]``.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> check_profile(load_profile("urban-ward"))
    """
    _design(profile, 1.0)
    edges = profile.numbers(_V + "age_band_edges")
    if np.any(np.diff(edges) <= 0):
        raise ProfileError(
            message("profile.increasing", key="voucher.age_band_edges", origin=profile.origin)
        )
    profile.numbers(_V + "age_logit", length=len(edges))
    months = profile.numbers(_V + "macro_months")
    profile.numbers(_V + "macro_levels", length=len(months))
    if (
        np.any(months % 100 < 1)
        or np.any(months % 100 > 12)
        or np.any(np.diff((months // 100) * 12 + months % 100) <= 0)
    ):
        raise ProfileError(
            message("profile.months", key="voucher.macro_months", origin=profile.origin)
        )
    shares = profile.number(_V + "panel_winner_share") + profile.number(_V + "panel_loser_share")
    if shares > 1:
        raise ProfileError(
            message(
                "profile.out_of_range",
                key="voucher.panel_winner_share + voucher.panel_loser_share",
                interval="[0, 1]",
                found=f"{shares:g}",
                origin=profile.origin,
            )
        )


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrate(eta: np.ndarray, target: float) -> np.ndarray:
    """Probabilities expit(a + eta) with the intercept a chosen so their mean equals ``target``."""
    a = np.log(target / (1 - target)) - float(np.mean(eta))
    for _ in range(30):
        prob = _expit(a + eta)
        gap = float(prob.mean()) - target
        if abs(gap) < 1e-9:
            break
        a -= gap / max(float(np.mean(prob * (1 - prob))), 1e-12)
    return _expit(a + eta)


def _population(ctx: SimContext, d: _Design) -> dict[str, np.ndarray]:
    """Residents registered on 1 April of the programme year, with household aggregates."""
    for name in ("resident_years", "income_tax", "districts"):
        if name not in ctx.tables:
            # The domains run in a fixed order (synth.DOMAINS); reaching this is a bug, not input.
            raise RuntimeError(
                f"The voucher module needs the table '{name}', but the context only has: "
                f"{', '.join(ctx.tables) or 'none'}. Run geography, population and income first."
            )
    ry = ctx.tables["resident_years"]
    cur = ry.loc[ry["fiscal_year"].to_numpy() == d.fiscal_year]
    if cur.empty:
        raise ProfileError(
            message(
                "profile.year_outside",
                key="voucher.fiscal_year",
                year=d.fiscal_year,
                first=int(ry["fiscal_year"].min()),
                last=int(ry["fiscal_year"].max()),
                origin=ctx.profile.origin,
            )
        )
    person = cur["person_id"].to_numpy(np.int64)
    age = cur["age"].to_numpy(np.int64)
    hh = cur["household_id"].to_numpy(np.int64)
    female = cur["sex"].eq("女性").to_numpy(bool)
    stayed = np.ones(len(cur), bool)
    if "residents" in ctx.tables:  # residents who left before the sale cannot buy
        res = ctx.tables["residents"]
        pos = pd.Index(res["person_id"].to_numpy(np.int64)).get_indexer(person)
        exit_date = res["exit_date"].to_numpy("datetime64[s]")
        sale_start = _month_dates(np.array([d.sale_month]))[0]
        left = np.zeros(len(cur), bool)
        found = pos >= 0
        left[found] = exit_date[pos[found]] < sale_start  # NaT compares False
        stayed = ~left
    it = ctx.tables["income_tax"]
    it = it.loc[it["fiscal_year"].to_numpy() == d.fiscal_year]
    pos = pd.Index(it["person_id"].to_numpy(np.int64)).get_indexer(person)
    no_work = np.append(it["employment"].eq("無職").to_numpy(bool), False)
    pension = np.append(it["employment"].eq("年金").to_numpy(bool), False)
    homemaker = no_work[pos] & female & (age >= 20) & (age <= 64)
    households, hidx = np.unique(hh, return_inverse=True)
    members = np.bincount(hidx, minlength=len(households))
    oldest = np.full(len(households), -1, np.int64)
    np.maximum.at(oldest, hidx, age)
    adult = (age >= d.min_age) & stayed
    return {
        "person": person,
        "age": age,
        "household": hh,
        "hidx": hidx,
        "homemaker": homemaker,
        "pension": pension[pos],
        "eligible": adult,
        "district": cur["district_code"].astype(str).to_numpy() if "district_code" in cur else None,
        "households": households,
        "members": members,
        "oldest": oldest,
        "has_homemaker": np.bincount(hidx, weights=homemaker, minlength=len(households)) > 0,
        "has_adult": np.bincount(hidx, weights=adult, minlength=len(households)) > 0,
    }


def _applications(
    rng: np.random.Generator, ctx: SimContext, d: _Design, pop: dict, trait: np.ndarray
) -> dict[str, np.ndarray | int | bool]:
    """Who applies (persons), the draw (households) and which winning households buy.

    Residents apply for themselves; the applications of one household are drawn together, so a
    household wins or loses as a whole (世帯単位の抽選). Households are drawn in random order
    until the next one's sets would pass the issue. Some winning households never buy: fewer of
    those whose trait made them apply, so buyers differ from winners (only in level, the trait).
    """
    p = ctx.profile
    el = np.flatnonzero(pop["eligible"])
    age = pop["age"][el]
    edges = p.numbers(_V + "age_band_edges")
    age_logit = p.numbers(_V + "age_logit", length=len(edges))
    band = np.searchsorted(edges, age, side="right") - 1
    eta = (
        age_logit[np.clip(band, 0, None)]
        + p.number(_V + "homemaker_logit") * pop["homemaker"][el]
        + p.number(_V + "pension_logit") * pop["pension"][el]
        + p.number(_V + "household_trait_logit") * trait[pop["hidx"][el]]
        + p.number(_V + "person_trait_logit") * rng.standard_normal(len(el))
    )
    prob = _calibrate(eta, p.number(_V + "application_rate", low=0.001, high=0.9))
    applied = el[rng.random(len(el)) < prob]
    sets = np.full(len(applied), d.max_sets, np.int64)
    if d.max_sets > 1:
        fewer = rng.random(len(applied)) >= p.number(_V + "max_sets_share", low=0, high=1)
        sets[fewer] = rng.integers(1, d.max_sets, size=int(fewer.sum()))
    # one entry per applying household (household index into pop["households"], ascending)
    house, of_person = np.unique(pop["hidx"][applied], return_inverse=True)
    house_sets = np.bincount(of_person, weights=sets, minlength=len(house)).astype(np.int64)
    lottery = int(sets.sum()) > d.sets_issued
    won = np.ones(len(house), bool)
    if lottery:
        order = rng.permutation(len(house))
        won[:] = False
        won[order[np.cumsum(house_sets[order]) <= d.sets_issued]] = True
    buy_prob = _calibrate(
        p.number(_V + "winner_purchase_trait_logit") * trait[house],
        p.number(_V + "winner_purchase_rate", low=0.01, high=0.99),
    )
    bought = won & (rng.random(len(house)) < buy_prob)
    return {
        "applied": applied,
        "sets": sets,
        "house": house,
        "of_person": of_person,
        "house_sets": house_sets,
        "won": won,
        "bought": bought,
        "lottery": lottery,
    }


def _purchases(rng: np.random.Generator, d: _Design, pop: dict, app: dict):
    """The purchase table (applicants of the households that bought) and the applications table."""
    buys = app["bought"][app["of_person"]]
    buyers, sets = app["applied"][buys], app["sets"][buys]
    # purchase day inside the sale month, busiest at the start
    days = int(
        (_month_dates(np.array([d.sale_month + 1])) - _month_dates(np.array([d.sale_month])))[0]
        // np.timedelta64(1, "D")
    )
    day = np.floor(rng.beta(1.0, 2.0, size=len(buyers)) * days).astype(np.int64)
    date = _month_dates(np.array([d.sale_month]))[0] + day * np.timedelta64(86400, "s")
    order = np.lexsort((pop["person"][buyers], date))
    buyers, sets, date = buyers[order], sets[order], date[order]
    paid = sets * d.set_price
    face = sets * d.face_per_set
    frame = pd.DataFrame(
        {
            "purchase_id": np.arange(1, len(buyers) + 1, dtype=np.int64),
            "person_id": pop["person"][buyers],
            "household_id": pop["household"][buyers],
            "purchase_date": date.astype("datetime64[s]"),
            "sets": sets,
            "paid": paid.astype(np.int64),
            "face_value": face.astype(np.int64),
            "premium": (face - paid).astype(np.int64),
        }
    )
    house = app["house"]
    applications = pd.DataFrame(
        {
            "household_id": pop["households"][house],
            "applicants": np.bincount(app["of_person"], minlength=len(house)).astype(np.int64),
            "sets_requested": app["house_sets"],
            "won": app["won"],
            "bought": app["bought"],
        }
    )
    won, bought = app["won"], app["bought"]
    info = {
        "eligible_residents": int(pop["eligible"].sum()),
        "applicants": len(app["applied"]),
        "applicant_households": len(house),
        "sets_requested": int(app["sets"].sum()),
        "sets_issued": d.sets_issued,
        "lottery": bool(app["lottery"]),
        "winning_households": int(won.sum()),
        "losing_households": int((~won).sum()),
        "win_rate_of_households": float(won.mean()) if len(won) else 0.0,
        "sets_won": int(app["house_sets"][won].sum()),
        "purchase_rate_of_winning_households": float(bought[won].mean()) if won.any() else 0.0,
        "sets_sold": int(sets.sum()),
    }
    return frame, applications, info


def _use(rng: np.random.Generator, ctx: SimContext, d: _Design, purchases: pd.DataFrame):
    """Tickets each buyer household uses in each use month (households x months, in yen)."""
    p = ctx.profile
    households, inv = np.unique(purchases["household_id"].to_numpy(np.int64), return_inverse=True)
    tickets = np.bincount(
        inv, weights=purchases["face_value"].to_numpy(), minlength=len(households)
    )
    tickets = (tickets // d.ticket).astype(np.int64)
    used = rng.binomial(tickets, p.number(_V + "redemption_rate", low=0.5, high=1.0))
    shape = p.number(_V + "use_decay") ** np.arange(d.use_months)
    alpha = p.number(_V + "use_concentration") * shape / shape.sum()
    split = (
        rng.dirichlet(alpha, size=len(households))
        if len(households)
        else np.empty((0, d.use_months))
    )
    monthly = (
        rng.multinomial(used, split) if len(households) else np.zeros((0, d.use_months), np.int64)
    )
    return households, monthly.astype(np.int64) * d.ticket


def _common_index(ctx: SimContext, d: _Design) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal index (per window month) and macro x trend index (per window month)."""
    p = ctx.profile
    season = p.numbers(_V + "seasonality", length=12)
    season = season / season.mean()
    anchors = p.numbers(_V + "macro_months")
    levels = p.numbers(_V + "macro_levels", length=len(anchors))
    anchor_idx = (anchors // 100) * 12 + (anchors % 100) - 1
    macro = np.interp(d.window, anchor_idx, levels)
    trend = (1 + p.number(_V + "trend_per_year")) ** ((d.window - d.window[0]) / 12)
    return season[d.window % 12], macro * trend


def _names(rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
    """Fictional shop names, unique within the table."""
    names = np.empty(len(cat), dtype=object)
    for c, label in enumerate(CATEGORIES):  # one pass per category, not per shop
        where = np.flatnonzero(cat == c)
        suffixes = _NAME_SUFFIXES[label]
        combos = np.array([f"{a}{b}" for a in _NAME_PREFIXES for b in suffixes], dtype=object)
        pick = rng.permutation(len(combos))
        k = np.arange(len(where))
        base = combos[pick[k % len(combos)]]
        branch = np.where(
            k < len(combos),
            "",
            np.char.add(" ", np.char.add((k // len(combos) + 1).astype(str), "号店")),
        )
        names[where] = base + branch.astype(object)
    return names


def _merchants(rng: np.random.Generator, ctx: SimContext, d: _Design, pop: dict):
    p = ctx.profile
    n = max(
        int(p.number(_V + "merchants_min", low=2)), ctx.scaled(p.number(_V + "merchants", low=1))
    )
    shares = p.numbers(_V + "category_shares", length=len(CATEGORIES))
    cat = rng.choice(len(CATEGORIES), size=n, p=shares / shares.sum())
    size_p = p.numbers(_V + "size_shares", length=len(CATEGORIES) * len(SIZE_BANDS)).reshape(
        len(CATEGORIES), -1
    )
    cum = np.cumsum(size_p / size_p.sum(axis=1, keepdims=True), axis=1)
    band = (rng.random(n)[:, None] >= cum[cat, :-1]).sum(axis=1)
    districts = ctx.tables["districts"]["district_code"].astype(str).to_numpy()
    weight = np.ones(len(districts))
    if pop["district"] is not None:
        counts = pd.Series(pop["district"]).value_counts()
        weight = counts.reindex(districts).fillna(0).to_numpy(float) + 1.0
    district = districts[rng.choice(len(districts), size=n, p=weight / weight.sum())]
    sd = p.number(_V + "merchant_level_sd")
    level = (
        p.numbers(_V + "category_level")[cat]
        * p.numbers(_V + "size_level", length=len(SIZE_BANDS))[band]
        * np.exp(sd * rng.standard_normal(n) - sd**2 / 2)
    )
    # calibrate total sales to residents' local spending
    total = (
        len(pop["households"])
        * p.number(_V + "household_local_spending")
        * p.number(_V + "merchant_sales_share")
    )
    level = level * total / level.sum()
    eta = (
        p.numbers(_V + "category_participation_logit")[cat]
        + p.numbers(_V + "size_participation_logit")[band]
    )
    prob = _calibrate(eta, p.number(_V + "participation_share", low=0.01, high=0.99))
    part = rng.random(n) < prob
    if not part.any():
        part[np.argmax(prob)] = True
    if part.all():
        part[np.argmin(prob)] = False
    frame = pd.DataFrame(
        {
            "merchant_id": np.arange(1, n + 1, dtype=np.int64),
            "name": pd.array(_names(rng, cat), dtype="str"),
            "category": pd.Categorical.from_codes(cat, categories=list(CATEGORIES)),
            "district_code": pd.array(district, dtype="str"),
            "size": pd.Categorical.from_codes(band, categories=list(SIZE_BANDS), ordered=True),
            "participating": part,
        }
    )
    return frame, cat, level


def _merchant_sales(rng, ctx, d, merchants, cat, level, used_by_month, season, macro):
    p = ctx.profile
    s = p.number(_V + "incremental_share", low=0, high=1)
    dv = p.number(_V + "diverted_share", low=0, high=1)
    n, t = len(merchants), len(d.window)
    amp = p.numbers(_V + "category_december")[cat]
    cat_season = 1 + amp[:, None] * (season[None, :] - 1)
    sd = p.number(_V + "merchant_noise_sd")
    noise = np.exp(sd * rng.standard_normal((n, t)) - sd**2 / 2)
    y0 = np.rint(level[:, None] * cat_season * macro[None, :] * noise).astype(np.int64)
    part = merchants["participating"].to_numpy(bool)
    pi, ni = np.flatnonzero(part), np.flatnonzero(~part)
    use_cols = np.flatnonzero(d.in_use)
    # redemptions: each month's tickets spread over participating shops by size and appeal
    appeal = level[pi] * p.numbers(_V + "category_appeal")[cat[pi]]
    tickets = used_by_month // d.ticket
    redeemed = rng.multinomial(tickets, appeal / appeal.sum()).T * d.ticket  # shops x use months
    gain = np.rint((s + dv) * redeemed).astype(np.int64)
    base_np = y0[np.ix_(ni, use_cols)].astype(float)
    diverted = dv * used_by_month.astype(float)
    loss = np.rint(base_np / base_np.sum(axis=0, keepdims=True) * diverted[None, :]).astype(
        np.int64
    )
    loss = np.minimum(loss, y0[np.ix_(ni, use_cols)])
    y1 = y0.copy()
    y1[np.ix_(pi, use_cols)] += gain
    y1[np.ix_(ni, use_cols)] -= loss
    ids = merchants["merchant_id"].to_numpy(np.int64)
    sales = pd.DataFrame(
        {
            "merchant_id": np.repeat(ids, t),
            "month": np.tile(_month_dates(d.window), n),
            "sales": y1.ravel(),
        }
    )
    redemptions = pd.DataFrame(
        {
            "merchant_id": np.repeat(ids[pi], len(use_cols)),
            "month": np.tile(_month_dates(d.window[use_cols]), len(pi)),
            "redeemed_value": redeemed.ravel().astype(np.int64),
        }
    )
    y0u, y1u = y0[:, use_cols].astype(float), y1[:, use_cols].astype(float)
    log_change = np.log(np.maximum(y1u, 1) / np.maximum(y0u, 1))
    yen_change = y1u - y0u
    gain_total, loss_total = int(gain.sum()), int(loss.sum())
    truth = {
        "participating_merchants": len(pi),
        "nonparticipating_merchants": len(ni),
        "participants_gain_total": gain_total,
        "diverted_total": loss_total,
        "net_effect_total": gain_total - loss_total,
        "net_effect_per_participant_month": (gain_total - loss_total) / (len(pi) * len(use_cols)),
        "net_effect_share_of_participant_sales": (gain_total - loss_total) / float(y0u[pi].sum()),
        "did_expected_yen": float(yen_change[pi].mean() - yen_change[ni].mean()),
        "did_expected_log": float(log_change[pi].mean() - log_change[ni].mean()),
    }
    return sales, redemptions, truth


def _panel_households(rng, ctx, d, pop, status: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Households of the spending panel (indices into pop["households"], ascending).

    Only households registered through the whole window are surveyed. Winning households,
    losing households and households that did not apply are three strata, each sampled at
    random, so the draw stays random inside the panel (winners and losers are comparable) while
    about half of the panel are buyers. ``status`` is 0 (did not apply), 1 (won) or 2 (lost).
    """
    p = ctx.profile
    ok = pop["has_adult"].copy()
    ry = ctx.tables["resident_years"]
    fy_col = ry["fiscal_year"].to_numpy()
    for fy in {_fiscal_year_of(int(d.window[0])), _fiscal_year_of(int(d.window[-1]))} - {
        d.fiscal_year
    }:
        present = sorted_unique(ry["household_id"].to_numpy(np.int64)[fy_col == fy])
        if len(present):  # a fiscal year not generated cannot be checked
            ok &= np.isin(pop["households"], present, assume_unique=True)
    n_panel = max(
        int(p.number(_V + "panel_households_min", low=1)),
        ctx.scaled(p.number(_V + "panel_households", low=1)),
    )
    pools = [np.flatnonzero(ok & (status == code)) for code in (1, 2, 0)]
    want = [
        round(n_panel * p.number(_V + "panel_winner_share")),
        round(n_panel * p.number(_V + "panel_loser_share")),
    ]
    sizes = [min(len(pools[0]), want[0]), min(len(pools[1]), want[1])]
    sizes.append(min(len(pools[2]), n_panel - sum(sizes)))
    chosen = np.sort(
        np.concatenate(
            [rng.choice(pool, size, replace=False) for pool, size in zip(pools, sizes, strict=True)]
        )
    )
    return chosen, ok


def _panel(rng, ctx, d, pop, trait, status, buyer_households, used, season, macro):
    """The household spending panel and its true effects (overall, by month, of the draw)."""
    p = ctx.profile
    s = p.number(_V + "incremental_share", low=0, high=1)
    households = pop["households"]
    chosen, ok = _panel_households(rng, ctx, d, pop, status)
    is_buyer = np.isin(households, buyer_households, assume_unique=True)
    # usual local spending: size, age, homemaker and the unobserved trait
    m = p.number(_V + "household_local_spending")
    age_term = np.clip(1 + p.number(_V + "household_age_slope") * (pop["oldest"] - 45), 0.85, 1.30)
    sd = p.number(_V + "household_level_sd")
    factor = (
        np.sqrt(pop["members"])
        * age_term
        * (1 + p.number(_V + "household_homemaker_spending") * pop["has_homemaker"])
        * np.exp(p.number(_V + "household_trait_spending") * trait)
    )
    factor = factor / factor[ok].mean()
    k = len(chosen)
    base = np.maximum(m * factor[chosen] * np.exp(sd * rng.standard_normal(k) - sd**2 / 2), 0.4 * m)
    common = m * (season * macro - 1)
    eps = (
        p.number(_V + "household_noise_sd")
        * base[:, None]
        * rng.standard_normal((k, len(d.window)))
    )
    y0 = np.rint(np.maximum(base[:, None] + common[None, :] + eps, 0.2 * m)).astype(np.int64)
    v = np.zeros((k, len(d.window)), np.int64)
    buyer = is_buyer[chosen]
    row = np.searchsorted(buyer_households, households[chosen[buyer]])
    v[np.ix_(np.flatnonzero(buyer), np.flatnonzero(d.in_use))] = used[row]
    inc = np.rint(s * v).astype(np.int64)
    frame = pd.DataFrame(
        {
            "household_id": np.repeat(households[chosen], len(d.window)),
            "month": np.tile(_month_dates(d.window), k),
            "local_spending": (y0 + inc).ravel(),
            "buyer": np.repeat(buyer, len(d.window)),
            "voucher_used": v.ravel(),
        }
    )
    return frame, _panel_truth(d, inc, buyer, status[chosen])


def _panel_truth(d: _Design, inc: np.ndarray, buyer: np.ndarray, status: np.ndarray) -> dict:
    """True effects in the panel: per buyer household, per winning household (the draw's
    intention-to-treat effect) and month by month (for an event study)."""
    use = np.flatnonzero(d.in_use)
    won = status == 1

    def mean_over(rows: np.ndarray) -> float:
        return float(inc[rows][:, use].mean()) if rows.any() else 0.0

    att = mean_over(buyer)
    months = _month_dates(d.window).astype("datetime64[D]").astype(str).tolist()
    by_month_buyers = inc[buyer].mean(axis=0) if buyer.any() else np.zeros(inc.shape[1])
    by_month_winners = inc[won].mean(axis=0) if won.any() else np.zeros(inc.shape[1])
    take_up = float(buyer[won].mean()) if won.any() else 0.0
    return {
        "panel_households": len(buyer),
        "panel_buyer_households": int(buyer.sum()),
        "att_yen_per_buyer_household_month": att,
        "lottery_effects": {
            "unit": "household (the applications of one household are drawn together)",
            "panel_winning_households": int(won.sum()),
            "panel_losing_households": int((status == 2).sum()),
            "panel_nonapplicant_households": int((status == 0).sum()),
            "panel_purchase_rate_of_winners": take_up,
            "itt_yen_per_household_month": mean_over(won),
            "complier_effect_yen_per_household_month": att,
            "note": (
                "Means over the panel's winning households (ITT) and its buyers (all winners) in "
                "the use months. Losers cannot buy, so the effect on compliers is the effect on "
                "buyers, and ITT = complier effect x purchase rate of winners. Winners who did "
                "not buy carry a lower trait (lower usual spending): buyers vs losers or vs "
                "non-buyers compares different households in levels, not in changes."
            ),
        },
        "event_study": {
            "reference": "the first use month is relative month 0",
            "months": months,
            "relative_month": (d.window - d.use_first).astype(int).tolist(),
            "att_yen_per_buyer_household": [float(x) for x in by_month_buyers],
            "itt_yen_per_winning_household": [float(x) for x in by_month_winners],
            "note": "Zero before the first use month and after the last: no anticipation, no "
            "pulled-forward demand in this simulation; the path follows monthly voucher use.",
        },
    }


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate the voucher programme's tables and write its ground truth.

    Parameters
    ----------
    ctx : SimContext
        Needs ``resident_years``, ``income_tax`` and ``districts`` in ``ctx.tables``
        (``residents`` is used when present, to drop people who left before the sale).

    Returns
    -------
    dict of str to DataFrame
        ``voucher_purchases``, ``voucher_redemptions``, ``merchants``, ``merchant_sales``,
        ``household_spending``.

    Examples
    --------
    >>> tables = simulate(ctx)  # doctest: +SKIP
    >>> ctx.truth["voucher"]["incremental_share"]  # doctest: +SKIP
    0.33
    """
    ctx.profile.validate(PARAMETERS)
    check_profile(ctx.profile)
    d = _design(ctx.profile, ctx.scale)
    p = ctx.profile
    rng = ctx.rng(NAME)
    pop = _population(ctx, d)
    trait = rng.standard_normal(len(pop["households"]))
    app = _applications(rng, ctx, d, pop, trait)
    purchases, applications, info = _purchases(rng, d, pop, app)
    status = np.zeros(len(pop["households"]), np.int8)  # 0 did not apply, 1 won, 2 lost
    status[app["house"]] = np.where(app["won"], 1, 2)
    buyer_households, used = _use(rng, ctx, d, purchases)
    used_by_month = used.sum(axis=0)
    season, macro = _common_index(ctx, d)
    merchants, cat, level = _merchants(rng, ctx, d, pop)
    sales, redemptions, merchant_truth = _merchant_sales(
        rng, ctx, d, merchants, cat, level, used_by_month, season, macro
    )
    spending, panel_truth = _panel(
        rng, ctx, d, pop, trait, status, buyer_households, used, season, macro
    )

    s = p.number(_V + "incremental_share")
    incremental = int(np.rint(s * used).astype(np.int64).sum())
    premium_total = int(purchases["premium"].sum())
    admin_share = p.number(_V + "admin_cost_share")
    admin = premium_total * admin_share / (1 - admin_share)
    face_total = int(purchases["face_value"].sum())
    redeemed_total = int(used.sum())
    cost = premium_total + admin
    months = _month_dates(d.window[d.in_use]).astype("datetime64[D]").astype(str).tolist()
    panel_truth["lottery_effects"].update(
        {
            "population_itt_yen_per_household_month": incremental
            / max(info["winning_households"] * d.use_months, 1),
            "population_complier_effect_yen_per_household_month": incremental / max(used.size, 1),
        }
    )
    ctx.truth[NAME] = {
        "fiscal_year": d.fiscal_year,
        "sale_month": str(_month_dates(np.array([d.sale_month]))[0].astype("datetime64[D]")),
        "use_months": months,
        "premium_rate": d.premium_rate,
        "incremental_share": s,
        "diverted_share": p.number(_V + "diverted_share"),
        **info,
        "buyers": len(purchases),
        "buyer_share_of_eligible": len(purchases) / max(info["eligible_residents"], 1),
        "buyer_households": len(buyer_households),
        "buyer_household_share": len(buyer_households) / max(int(pop["has_adult"].sum()), 1),
        "face_value_total": face_total,
        "paid_total": int(purchases["paid"].sum()),
        "premium_total": premium_total,
        "redeemed_total": redeemed_total,
        "redemption_rate": redeemed_total / face_total if face_total else 0.0,
        "incremental_spending_total": incremental,
        "att_population_yen_per_buyer_household_month": incremental / max(used.size, 1),
        **panel_truth,
        "merchant": merchant_truth,
        "admin_cost": round(admin),
        "programme_cost": round(cost),
        "cost_per_yen_new_spending": cost / incremental if incremental else None,
    }
    return {
        "voucher_applications": applications,
        "voucher_purchases": purchases,
        "voucher_redemptions": redemptions,
        "merchants": merchants,
        "merchant_sales": sales,
        "household_spending": spending,
    }
