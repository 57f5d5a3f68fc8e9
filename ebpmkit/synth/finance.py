"""The municipality's finance: settlements (決算) of the programmes the data simulates.

One row of ``settlements`` per programme and fiscal year: cost by type (人件費, 物件費, 委託料,
扶助費, 補助費等), staff, an output and the cost per output, so a learner can set an outcome
against its cost. ``settlement_revenue`` splits each programme-year's cost by revenue source
(国庫支出金, 都道府県支出金, 保険料, 寄附金 ... and 一般財源, the rest), and
``finance_summary`` gives the year's resident-tax revenue, the furusato nozei loss and the
programmes' totals.

Programme coverage is table-driven: :data:`PROGRAMMES` lists builders, each reading named
tables of the modules before it; a programme whose tables are absent is skipped and writes
nothing (``ctx.truth["finance"]["skipped"]``), so a run with ``only=`` or a module added later
changes the coverage and nothing else. The simulated parts come from the tables (the voucher's
premium, the return gifts' costs, childcare fees, NHI medical costs and premiums, counts of
children in care, certified people and checkups); unit costs, staff per 100,000 residents and
funding shares are figures of ``rates/finance.toml`` (``[finance]``), most of them assumptions.

Specific revenue never exceeds the cost: when the shares and the collected fees or premiums
add up to more, they are scaled down together (for furusato nozei the donations received
beyond the year's costs go to a fund, outside these tables), and 一般財源 is the remainder,
so the revenue of every programme-year sums to its total cost exactly. No random numbers are
drawn: the tables follow from the others.

The resident-tax loss from furusato nozei (``furusato_deductions.municipal_loss``, by fiscal year
of deduction) goes to ``finance_summary`` with the local allocation tax's compensation, 75% of it
for a municipality that receives the tax (交付団体) and none for a Tokyo special ward, as lesson
06 and ``ebpmkit.widgets`` treat it; ``finance.receives_allocation_tax = "yes"`` or ``"no"`` in a
profile overrides the default read from ``municipality.kind``.

Examples
--------
>>> [p.code for p in PROGRAMMES][:3]
['voucher', 'furusato', 'childcare']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ebpmkit.errors import EbpmkitError
from ebpmkit.messages import message
from ebpmkit.synth.columns import SharedColumn, shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param, Profile

__all__ = [
    "COLUMNS",
    "PARAMETERS",
    "PROGRAMMES",
    "REVENUE_SOURCES",
    "ROLES",
    "TABLES",
    "Programme",
    "receives_allocation_tax",
    "simulate",
]

NAME = "finance"

TABLES = {
    "settlements": "事業別の決算(事業・年度ごとに1行):性質別の経費、職員数、成果(アウトプット)と"
    "その1単位あたりの経費。単価・職員数・財源の割合の多くは仮定値",
    "settlement_revenue": "事業別の決算の財源内訳(事業・年度・財源ごとに1行)。"
    "財源の合計は事業の経費の合計に等しく、一般財源はその残り",
    "finance_summary": "年度ごとの財政の概要:住民税(区市町村分)の収入、ふるさと納税による減収と"
    "地方交付税による補塡、この表に載る事業の経費の合計",
}

#: Revenue sources in the order ``settlement_revenue`` lists them; 一般財源 is the rest.
REVENUE_SOURCES = (
    "国庫支出金",
    "都道府県支出金",
    "支払基金交付金",
    "保険料",
    "分担金・負担金",
    "寄附金",
    "一般財源",
)
_GENERAL = "一般財源"
_COSTS = ("goods_cost", "contract_cost", "benefit_cost", "subsidy_cost")

_A = "(合成データの仮定値に基づく)"

_CODE = SharedColumn("programme_code", "str", "事業コード", "programme code")

COLUMNS = [
    shared("fiscal_year", "settlements", "決算の年度(4月-翌年3月)"),
    _CODE.at("settlements", "事業を識別する英字のコード(settlement_revenue と結合可能)"),
    Column("settlements", "programme_name", "str", "事業名", "programme", "", "事業の名前"),
    Column(
        "settlements",
        "personnel_cost",
        "int64",
        "人件費",
        "personnel cost",
        "円",
        f"事業に従事した職員の人件費(職員数×1人あたり人件費){_A}",
    ),
    Column(
        "settlements",
        "goods_cost",
        "int64",
        "物件費",
        "goods and services",
        "円",
        "委託料を除く物件費(返礼品の調達費・送料・ポータル手数料、商品券の印刷など)。"
        f"生成された表の額のほかは仮定{_A}",
    ),
    Column(
        "settlements",
        "contract_cost",
        "int64",
        "委託料",
        "contracted services",
        "円",
        f"外部に委託した費用(健診、商品券の販売・換金事務、ふるさと納税の事務など){_A}",
    ),
    Column(
        "settlements",
        "benefit_cost",
        "int64",
        "扶助費・給付費",
        "benefits",
        "円",
        "住民への給付(保育所への運営費の支払い、介護・医療の保険給付、手当)。"
        f"保育・介護は人数×1人あたりの仮定額、医療は医療費から自己負担を除いた額{_A}",
    ),
    Column(
        "settlements",
        "subsidy_cost",
        "int64",
        "補助費等",
        "subsidies and contributions",
        "円",
        "補助金・負担金(商品券のプレミアム分、後期高齢者医療広域連合への保険料の納付など)",
    ),
    Column(
        "settlements",
        "total_cost",
        "int64",
        "経費合計",
        "total cost",
        "円",
        "人件費・物件費・委託料・扶助費・補助費等の合計。settlement_revenue の財源の合計に等しい",
    ),
    Column(
        "settlements",
        "staff_fte",
        "float64",
        "職員数",
        "staff (FTE)",
        "人",
        f"事業に従事した職員の数(常勤換算)。人口10万人あたりの仮定値に人口を掛けた数{_A}",
    ),
    Column(
        "settlements",
        "cost_per_fte",
        "int64",
        "1人あたり人件費",
        "cost per FTE",
        "円",
        f"常勤職員1人の1年間の人件費(給与・手当・事業主負担の合計){_A}",
    ),
    Column(
        "settlements",
        "output_name",
        "str",
        "成果指標",
        "output measure",
        "",
        "事業の成果(アウトプット)として数えるもの(販売セット数、受入寄附額、入所児童数など)",
    ),
    Column(
        "settlements",
        "output_unit",
        "str",
        "成果指標の単位",
        "output unit",
        "",
        "成果指標の単位(セット、円、人、件)",
    ),
    Column(
        "settlements",
        "output_value",
        "int64",
        "成果の値",
        "output",
        "",
        "成果指標の値。生成されたほかの表から数えた値(単位は output_unit)",
    ),
    Column(
        "settlements",
        "cost_per_output",
        "float64",
        "成果1単位あたり経費",
        "cost per output",
        "円",
        "経費合計を成果の値で割った額(ふるさと納税では受け入れた寄附1円あたりの経費)。"
        "成果が0のときは欠損",
    ),
    shared("fiscal_year", "settlement_revenue", "決算の年度(4月-翌年3月)"),
    _CODE.at("settlement_revenue", "事業のコード(settlements と結合可能)"),
    Column(
        "settlement_revenue",
        "revenue_source",
        "str",
        "財源",
        "revenue source",
        "",
        "国庫支出金、都道府県支出金、支払基金交付金、保険料、分担金・負担金(保育料)、寄附金、"
        "一般財源(事業の経費のうち、ほかの財源で賄えない残り)",
    ),
    Column(
        "settlement_revenue",
        "revenue_amount",
        "int64",
        "財源の額",
        "amount",
        "円",
        "その財源で賄った額。国・都道府県の負担は法令の負担割合を経費に掛けた簡略な計算で、"
        f"保険料・保育料・寄附は生成された表の額。合計が経費を超えるときは比例して縮める{_A}",
    ),
    Column(
        "settlement_revenue",
        "revenue_share",
        "float64",
        "財源の割合",
        "share of cost",
        "割合(0～1)",
        "事業の経費合計に占めるその財源の割合",
    ),
    Column(
        "settlement_revenue",
        "revenue_basis",
        "str",
        "算定の根拠",
        "basis",
        "",
        "その財源の額の求め方(負担割合など)。オフラインで確認していない割合はそう書いてある",
    ),
    shared("fiscal_year", "finance_summary", "年度(4月-翌年3月)"),
    Column(
        "finance_summary",
        "resident_count",
        "int64",
        "住民数",
        "residents",
        "人",
        "その年度4月1日の住民基本台帳の人数",
    ),
    Column(
        "finance_summary",
        "income_levy_municipal_total",
        "int64",
        "所得割額(区市町村分)の合計",
        "municipal income levy",
        "円",
        "income_tax の所得割額(区市町村分)の合計。寄附金税額控除などの税額控除の前",
    ),
    Column(
        "finance_summary",
        "per_capita_levy_municipal_total",
        "int64",
        "均等割額(区市町村分)の合計",
        "municipal per-capita levy",
        "円",
        "均等割を納める人の数×区市町村分の均等割(2023年度まで3,500円、2024年度から3,000円)",
    ),
    Column(
        "finance_summary",
        "furusato_tax_loss",
        "int64",
        "ふるさと納税による減収額",
        "furusato tax loss",
        "円",
        "furusato_deductions の区市町村の減収額の合計(控除年度ごと)。ふるさと納税の表がないときは0",
    ),
    Column(
        "finance_summary",
        "allocation_tax_compensation",
        "int64",
        "地方交付税による補塡額",
        "allocation tax compensation",
        "円",
        "減収のうち地方交付税で補われる額。交付団体は減収の75%、東京都の特別区と不交付団体は0",
    ),
    Column(
        "finance_summary",
        "resident_tax_net",
        "int64",
        "住民税収入(区市町村分、控除後)",
        "municipal resident tax, net",
        "円",
        "所得割(区市町村分)と均等割(区市町村分)の合計から、ふるさと納税による減収を引いた額。"
        "ほかの税額控除と徴収率は考慮しない",
    ),
    Column(
        "finance_summary",
        "furusato_received",
        "int64",
        "ふるさと納税の受入額",
        "furusato donations received",
        "円",
        "furusato_donations の寄附額の合計(受付年度ごと)。ふるさと納税の表がないときは0",
    ),
    Column(
        "finance_summary",
        "programme_cost_total",
        "int64",
        "掲載事業の経費合計",
        "programmes' total cost",
        "円",
        "settlements に載るその年度の事業の経費合計の和(自治体の歳出全体ではない)",
    ),
    Column(
        "finance_summary",
        "programme_general_revenue",
        "int64",
        "掲載事業の一般財源",
        "programmes' general revenue",
        "円",
        "settlement_revenue の一般財源の和(その年度の掲載事業に使った一般財源)",
    ),
    Column(
        "finance_summary",
        "general_revenue_per_resident",
        "float64",
        "住民1人あたり一般財源",
        "general revenue per resident",
        "円",
        "掲載事業の一般財源を住民数で割った額",
    ),
]

#: Aggregates over programmes and years describe no resident.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {table: {} for table in TABLES}

_F = "finance."


def _staff(code: str, what: str) -> Param:
    return Param(
        f"{_F}{code}.staff_per_100k",
        low=0,
        high=1000,
        ja=f"{what}に従事する職員の数(人口10万人あたり、常勤換算)",
        unit="人(人口10万人あたり)",
    )


def _share(code: str, payer: str, what: str) -> Param:
    return Param(
        f"{_F}{code}.{payer}_share",
        low=0.0,
        high=1.0,
        ja=f"{what}の割合",
        unit="割合(0～1)",
    )


PARAMETERS = [
    Param(
        _F + "staff_cost_per_fte",
        low=0,
        high=100_000_000,
        ja="常勤職員1人の1年間の人件費(給与・手当・事業主負担)",
        unit="円(1人1年あたり)",
    ),
    Param(
        _F + "allocation_tax_compensation_share",
        low=0.0,
        high=1.0,
        ja="地方交付税を受け取る自治体で、ふるさと納税による住民税の減収が地方交付税で補われる割合",
        unit="割合(0～1)",
    ),
    Param(
        _F + "receives_allocation_tax",
        "text",
        choices=("auto", "yes", "no"),
        ja="地方交付税を受け取る自治体(交付団体)かどうか。yes: 交付団体、no: 不交付団体、"
        "auto: 特別区は no、それ以外は yes とみなす",
        when="none",
    ),
    _staff("voucher", "プレミアム付商品券の事業"),
    Param(
        _F + "voucher.printing_share",
        low=0.0,
        high=1.0,
        ja="商品券の事務費のうち印刷の費用(物件費)の割合。残りは販売・換金事務の委託料",
        unit="割合(0～1)",
        when="listed",
    ),
    _share("voucher", "national", "商品券の事業費のうち国の交付金で賄う分"),
    _staff("furusato", "ふるさと納税の受入れ"),
    _staff("childcare", "保育所の入所・保育料の事務"),
    Param(
        _F + "childcare.cost_per_child_month",
        "numbers",
        low=0,
        high=10_000_000,
        length=6,
        ja="認可保育所の児童1人あたりの月額の運営費(0歳児クラスから5歳児クラスまで)",
        unit="円(1人1か月あたり)",
    ),
    _share("childcare", "national", "保育の費用(保育料を除く)のうち国が負担する分"),
    _share("childcare", "prefectural", "保育の費用(保育料を除く)のうち都道府県が負担する分"),
    _staff("ltc", "介護保険の事務"),
    Param(
        _F + "ltc.benefit_per_certified",
        "numbers",
        low=0,
        high=100_000_000,
        length=7,
        ja="認定者1人あたりの年間の介護保険給付(要支援1から要介護5まで)",
        unit="円(1人1年あたり)",
    ),
    _share("ltc", "national", "介護保険給付のうち国が負担する分"),
    _share("ltc", "prefectural", "介護保険給付のうち都道府県が負担する分"),
    _share("ltc", "first_insured", "介護保険給付のうち65歳以上の保険料で賄う分"),
    _share("ltc", "second_insured", "介護保険給付のうち40～64歳の保険料(支払基金交付金)で賄う分"),
    _staff("checkups", "特定健診・特定保健指導"),
    Param(
        _F + "checkups.checkup_unit_cost",
        low=0,
        high=1_000_000,
        ja="特定健診1件の委託料",
        unit="円(1件あたり)",
    ),
    Param(
        _F + "checkups.guidance_unit_cost",
        "numbers",
        low=0,
        high=1_000_000,
        length=2,
        ja="特定保健指導1人あたりの委託料(動機付け支援、積極的支援)",
        unit="円(1人あたり)",
    ),
    _share("checkups", "national", "特定健診・保健指導の費用のうち国が負担する分"),
    _share("checkups", "prefectural", "特定健診・保健指導の費用のうち都道府県が負担する分"),
    _staff("nhi", "国民健康保険の事務"),
    Param(
        _F + "nhi.copay_age_edges",
        "numbers",
        low=0,
        high=120,
        length=3,
        ja="医療費の自己負担割合を分ける年齢の下限(4月1日の年齢)",
        unit="歳",
    ),
    Param(
        _F + "nhi.copay_rates",
        "numbers",
        low=0.0,
        high=1.0,
        length=3,
        ja="copay_age_edges の年齢区分ごとの自己負担割合",
        unit="割合(0～1)",
    ),
    _share("nhi", "national", "国保の医療給付のうち国が負担する分"),
    _share("nhi", "prefectural", "国保の医療給付のうち都道府県が負担する分"),
    _staff("child_allowance", "児童手当の事務"),
    _share("child_allowance", "national", "児童手当のうち国が負担する分"),
    _share("child_allowance", "prefectural", "児童手当のうち都道府県が負担する分"),
    _staff("school_aid", "就学援助の事務"),
    _share("school_aid", "national", "就学援助のうち国が負担する分"),
    _staff("late_elderly", "後期高齢者医療の保険料の徴収"),
    _share("late_elderly", "municipal_benefit", "後期高齢者医療の給付のうち区市町村が負担する分"),
    _staff("child_health", "乳幼児健診・予防接種"),
    Param(
        _F + "child_health.checkup_unit_cost",
        low=0,
        high=1_000_000,
        ja="乳幼児健診1件の費用",
        unit="円(1件あたり)",
    ),
    Param(
        _F + "child_health.vaccination_unit_cost",
        low=0,
        high=1_000_000,
        ja="予防接種1回の委託料",
        unit="円(1回あたり)",
    ),
]


# ------------------------------------------------------------------------------------------
# programme builders


@dataclass
class Part:
    """What a builder returns: by fiscal year (the index), costs other than staff, the output
    and the specific revenue.

    ``costs`` has the columns of ``_COSTS`` (yen) and ``output_value``; ``revenue`` maps a
    source of :data:`REVENUE_SOURCES` to its amount by fiscal year and the basis text.
    """

    costs: pd.DataFrame
    revenue: dict[str, tuple[pd.Series, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Programme:
    """One programme of the settlements and the tables its builder reads.

    The programme is skipped when ``tables`` are absent: all of them, or, with
    ``any_table``, every one of them. ``optional`` tables are passed to the builder when
    present (the LTC premiums collected, the late-stage elderly's medical costs).
    """

    code: str
    name: str
    output_name: str
    output_unit: str
    tables: tuple[str, ...]
    build: Callable[[Profile, dict[str, pd.DataFrame]], Part]
    any_table: bool = False
    optional: tuple[str, ...] = ()

    def present(self, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame] | None:
        """The tables this programme reads, or None when it is to be skipped."""
        found = {t: tables[t] for t in self.tables if t in tables}
        wanted = bool(found) if self.any_table else len(found) == len(self.tables)
        if not wanted:
            return None
        return found | {t: tables[t] for t in self.optional if t in tables}


def _fiscal_year(dates: pd.Series) -> np.ndarray:
    """Fiscal year (April to March) of each date."""
    d = pd.DatetimeIndex(dates)
    return (d.year - (d.month < 4)).to_numpy().astype(np.int16)


def _column(frame: pd.DataFrame, table: str, candidates: tuple[str, ...]) -> str:
    """The first of ``candidates`` that ``frame`` has; a clear error when it has none."""
    for name in candidates:
        if name in frame.columns:
            return name
    raise EbpmkitError(
        message(
            "finance.missing_column",
            table=table,
            wanted=", ".join(candidates),
            found=", ".join(map(str, frame.columns)),
        )
    )


def _sum_by_year(years: np.ndarray | pd.Series, values: np.ndarray | pd.Series) -> pd.Series:
    """Sum of ``values`` by fiscal year, as int64 indexed by fiscal year."""
    s = pd.Series(np.asarray(values, dtype=np.float64)).groupby(np.asarray(years)).sum()
    return np.rint(s).astype(np.int64).rename_axis("fiscal_year")


def _count_by_year(years: np.ndarray | pd.Series) -> pd.Series:
    """Rows by fiscal year, as int64 indexed by fiscal year."""
    return _sum_by_year(years, np.ones(len(years)))


def _costs(output: pd.Series, **costs: pd.Series | int) -> pd.DataFrame:
    """Cost columns and the output on the years of ``output`` (missing years count 0)."""
    frame = pd.DataFrame(index=output.index)
    for col in _COSTS:
        value = costs.get(col, 0)
        frame[col] = (
            value.reindex(frame.index, fill_value=0) if isinstance(value, pd.Series) else value
        )
    frame["output_value"] = output
    return frame.astype(np.int64)


def _shares(p: Profile, code: str, base: pd.Series, **payers: str) -> dict:
    """Revenue of each payer as its share of ``base``, with the share in the basis text."""
    out = {}
    for payer, source in payers.items():
        share = p.number(f"{_F}{code}.{payer}_share")
        if share == 0:
            continue  # no row for a payer that bears nothing
        note = p.source(f"{_F}{code}.{payer}_share") or ""
        checked = "(オフラインで未確認)" if "not checked offline" in note else ""
        basis = (
            f"経費のうち{share:.1%}(仮定)"
            if note.startswith("assumption")
            else (f"負担割合 {share:.1%}{checked}")
        )
        out[source] = (base * share, basis)
    return out


def _voucher(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    pur = t["voucher_purchases"]
    fy = _fiscal_year(pur["purchase_date"])
    premium = _sum_by_year(fy, pur["premium"])
    # The voucher module's admin share is a share of total project cost (premium + admin).
    admin_share = p.number("voucher.admin_cost_share")
    admin = premium * admin_share / (1 - admin_share)
    printing = np.rint(admin * p.number(_F + "voucher.printing_share")).astype(np.int64)
    contract = np.rint(admin).astype(np.int64) - printing
    costs = _costs(
        _sum_by_year(fy, pur["sets"]),
        subsidy_cost=premium,
        goods_cost=printing,
        contract_cost=contract,
    )
    base = costs[list(_COSTS)].sum(axis=1)
    return Part(costs, _shares(p, "voucher", base, national="国庫支出金"))


def _furusato(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    # The catalogue's costs of every gift sent, by the rules' own function (ebpmkit.furusato),
    # imported here as furusato_flows does, to keep the generator's import light.
    from ebpmkit.furusato import solicitation_costs_by_year

    y = solicitation_costs_by_year(t["furusato_donations"], t["furusato_gifts"])
    y = y.set_index(y["fiscal_year"].astype(np.int16).rename("fiscal_year"))
    goods = np.rint(y["procurement_cost"] + y["shipping_cost"] + y["portal_fee"])
    received = np.rint(y["received"]).astype(np.int64)
    costs = _costs(
        received,
        goods_cost=goods.astype(np.int64),
        contract_cost=np.rint(y["admin_cost"]).astype(np.int64),
    )
    basis = "受け入れた寄附のうち経費に充てた分(残りは基金への積立てなどで、この表の外)"
    return Part(costs, {"寄附金": (received.astype(np.float64), basis)})


def _childcare(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    apps = t["childcare_applications"]
    inside = apps[apps["status"].astype(str).to_numpy() == "入所"]
    fy = inside["fiscal_year"].to_numpy()
    unit = p.numbers(_F + "childcare.cost_per_child_month", length=6)
    cost = _sum_by_year(fy, unit[inside["class_age"].to_numpy().clip(0, 5)] * 12)
    fees = _sum_by_year(fy, inside["monthly_fee"].to_numpy() * 12)
    costs = _costs(_count_by_year(fy), benefit_cost=cost)
    net = (cost - fees).clip(lower=0)
    revenue = {"分担金・負担金": (fees.astype(np.float64), "保育料(月額×12か月)の合計")}
    revenue |= _shares(p, "childcare", net, national="国庫支出金", prefectural="都道府県支出金")
    return Part(costs, revenue)


def _ltc(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    ltc = t["ltc"]
    fy = ltc["fiscal_year"].to_numpy()
    per = p.numbers(_F + "ltc.benefit_per_certified", length=7)
    benefit = _sum_by_year(fy, per[ltc["level"].cat.codes.to_numpy()])
    costs = _costs(_count_by_year(fy), benefit_cost=benefit)
    revenue = _shares(
        p,
        "ltc",
        benefit,
        national="国庫支出金",
        prefectural="都道府県支出金",
        second_insured="支払基金交付金",
        first_insured="保険料",
    )
    if "ltc_premiums" in t:
        # The premiums the insured aged 65+ actually paid replace their statutory share.
        prem = t["ltc_premiums"]
        paid = _sum_by_year(prem["fiscal_year"].to_numpy(), prem["premium_paid"].to_numpy())
        basis = "納付された第1号被保険者(65歳以上)の保険料の合計"
        revenue["保険料"] = (paid.astype(np.float64), basis)
    return Part(costs, revenue)


def _checkups(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    c = t["checkups"]
    fy = c["fiscal_year"].to_numpy()
    guidance = np.concatenate([[0.0], p.numbers(_F + "checkups.guidance_unit_cost", length=2)])
    level = np.where(c["guided"].to_numpy(bool), c["guidance_level"].cat.codes.to_numpy(), 0)
    each = p.number(_F + "checkups.checkup_unit_cost") + guidance[level.clip(0, 2)]
    contract = _sum_by_year(fy, each)
    costs = _costs(_count_by_year(fy), contract_cost=contract)
    revenue = _shares(p, "checkups", contract, national="国庫支出金", prefectural="都道府県支出金")
    return Part(costs, revenue)


def _nhi(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    nhi = t["nhi"]
    fy = nhi["fiscal_year"].to_numpy()
    edges = p.numbers(_F + "nhi.copay_age_edges", length=3)
    copay = p.numbers(_F + "nhi.copay_rates", length=3)
    band = np.searchsorted(edges, nhi["age"].to_numpy(), side="right") - 1
    benefit = _sum_by_year(fy, nhi["medical_cost"].to_numpy() * (1 - copay[band.clip(0)]))
    costs = _costs(_count_by_year(fy), benefit_cost=benefit)
    premiums = _sum_by_year(fy, nhi["premium_paid"].to_numpy())
    revenue = {"保険料": (premiums.astype(np.float64), "納付された国保の保険料の合計")}
    revenue |= _shares(p, "nhi", benefit, national="国庫支出金", prefectural="都道府県支出金")
    return Part(costs, revenue)


# Tables of modules written beside this one: the first column name found is read, so a
# module may name its amount column in any of these ways.
_ALLOWANCE_AMOUNT = ("allowance_annual", "annual_amount", "amount_paid", "amount")
_AID_AMOUNT = ("aid_total", "aid_annual", "aid_amount", "annual_amount", "total_aid", "amount")
_LATE_PREMIUM = ("premium_paid", "annual_premium")
# Rows of the child-health tables that count as done: a True flag or a date.
_DONE_FLAGS = ("attended", "vaccinated", "done", "given")
_DONE_DATES = ("checkup_date", "visit_date", "vaccination_date", "dose_date")
_CHILD_CHECKUP_TABLES = ("infant_checkups", "child_checkups")
_VACCINATION_TABLES = ("vaccinations", "child_vaccinations")


def _paid_rows(t: dict[str, pd.DataFrame], table: str, candidates: tuple[str, ...]) -> tuple:
    """Fiscal years and amounts of the rows of ``table`` with an amount above zero."""
    frame = t[table]
    amount = frame[_column(frame, table, candidates)].to_numpy(np.float64)
    paid = amount > 0
    return frame["fiscal_year"].to_numpy()[paid], amount[paid]


def _child_allowance(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    fy, amount = _paid_rows(t, "child_allowance_children", _ALLOWANCE_AMOUNT)
    benefit = _sum_by_year(fy, amount)
    costs = _costs(_count_by_year(fy), benefit_cost=benefit)
    revenue = _shares(
        p, "child_allowance", benefit, national="国庫支出金", prefectural="都道府県支出金"
    )
    return Part(costs, revenue)


def _school_aid(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    fy, amount = _paid_rows(t, "school_aid", _AID_AMOUNT)
    benefit = _sum_by_year(fy, amount)
    costs = _costs(_count_by_year(fy), benefit_cost=benefit)
    return Part(costs, _shares(p, "school_aid", benefit, national="国庫支出金"))


def _late_elderly(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    frame = t["late_elderly"]
    fy = frame["fiscal_year"].to_numpy()
    premiums = _sum_by_year(fy, frame[_column(frame, "late_elderly", _LATE_PREMIUM)].to_numpy())
    # The municipality collects the premiums and pays them to the prefecture-wide union
    # (広域連合), which runs the scheme: a contribution (補助費等) financed by the premiums,
    # plus its own statutory share of the benefits, from general revenue.
    share = pd.Series(0, index=premiums.index, dtype=np.int64)
    if "late_elderly_claims" in t:
        claims = t["late_elderly_claims"]
        rate = p.number(_F + "late_elderly.municipal_benefit_share")
        share = _sum_by_year(claims["fiscal_year"].to_numpy(), claims["insurer_paid"] * rate)
    costs = _costs(_count_by_year(fy), subsidy_cost=premiums.add(share, fill_value=0))
    basis = "後期高齢者医療の保険料(広域連合へ納付)"
    return Part(costs, {"保険料": (premiums.astype(np.float64), basis)})


def _done(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a checkup or vaccination table that took place (all when nothing says)."""
    for flag in _DONE_FLAGS:
        if flag in frame.columns:
            return frame[frame[flag].to_numpy(bool)]
    for date in _DONE_DATES:
        if date in frame.columns:
            return frame[frame[date].notna().to_numpy()]
    return frame


def _child_health(p: Profile, t: dict[str, pd.DataFrame]) -> Part:
    def years(names: tuple[str, ...]) -> np.ndarray:
        found = [_done(t[n])["fiscal_year"].to_numpy() for n in names if n in t]
        return np.concatenate(found) if found else np.zeros(0, np.int16)

    checkup_years = years(_CHILD_CHECKUP_TABLES)
    vaccination_years = years(_VACCINATION_TABLES)
    unit_c = p.number(_F + "child_health.checkup_unit_cost")
    unit_v = p.number(_F + "child_health.vaccination_unit_cost")
    fy = np.concatenate([checkup_years, vaccination_years])
    each = np.concatenate(
        [np.full(len(checkup_years), unit_c), np.full(len(vaccination_years), unit_v)]
    )
    # Routine vaccinations and infant checkups are the municipality's own duty, financed from
    # general revenue (the allocation tax counts them): no specific revenue.
    return Part(_costs(_count_by_year(fy), contract_cost=_sum_by_year(fy, each)))


#: The programmes, in the order the settlements list them. A programme whose tables are
#: absent is skipped.
PROGRAMMES = (
    Programme(
        "voucher",
        "プレミアム付商品券事業",
        "販売セット数",
        "セット",
        ("voucher_purchases",),
        _voucher,
    ),
    Programme(
        "furusato",
        "ふるさと納税(寄附の受入れ)",
        "受入寄附額",
        "円",
        ("furusato_donations", "furusato_gifts"),
        _furusato,
    ),
    Programme(
        "childcare",
        "保育所の運営(施設型給付)",
        "入所児童数",
        "人",
        ("childcare_applications",),
        _childcare,
    ),
    Programme(
        "ltc",
        "介護保険給付",
        "要介護・要支援認定者数",
        "人",
        ("ltc",),
        _ltc,
        optional=("ltc_premiums",),
    ),
    Programme(
        "checkups", "特定健診・特定保健指導", "特定健診の受診者数", "人", ("checkups",), _checkups
    ),
    Programme("nhi", "国民健康保険の医療給付", "被保険者数", "人", ("nhi",), _nhi),
    Programme(
        "child_allowance",
        "児童手当",
        "支給対象児童数",
        "人",
        ("child_allowance_children",),
        _child_allowance,
    ),
    Programme("school_aid", "就学援助", "援助対象児童生徒数", "人", ("school_aid",), _school_aid),
    Programme(
        "late_elderly",
        "後期高齢者医療(保険料の徴収と納付)",
        "被保険者数",
        "人",
        ("late_elderly",),
        _late_elderly,
        optional=("late_elderly_claims",),
    ),
    Programme(
        "child_health",
        "乳幼児健診・予防接種",
        "健診・接種の件数",
        "件",
        (*_CHILD_CHECKUP_TABLES, *_VACCINATION_TABLES),
        _child_health,
        any_table=True,
    ),
)


# ------------------------------------------------------------------------------------------
# settlement


def _settle(
    prog: Programme, part: Part, p: Profile, residents: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The settlement rows and the revenue rows of one programme."""
    f = part.costs.sort_index()
    years = f.index.to_numpy()
    people = residents.reindex(years, fill_value=0).to_numpy(np.float64)
    fte = np.round(p.number(f"{_F}{prog.code}.staff_per_100k") * people / 100_000, 2)
    per_fte = round(p.number(_F + "staff_cost_per_fte"))
    personnel = np.rint(fte * per_fte).astype(np.int64)
    total = personnel + f[list(_COSTS)].sum(axis=1).to_numpy(np.int64)
    output = f["output_value"].to_numpy(np.int64)
    settlements = pd.DataFrame(
        {
            "fiscal_year": years.astype(np.int16),
            "programme_code": prog.code,
            "programme_name": prog.name,
            "personnel_cost": personnel,
            **{c: f[c].to_numpy(np.int64) for c in _COSTS},
            "total_cost": total,
            "staff_fte": fte,
            "cost_per_fte": np.full(len(years), per_fte, np.int64),
            "output_name": prog.output_name,
            "output_unit": prog.output_unit,
            "output_value": output,
            "cost_per_output": np.where(output > 0, total / np.maximum(output, 1), np.nan),
        }
    )
    return settlements, _revenue(prog, part, years, total)


def _revenue(prog: Programme, part: Part, years: np.ndarray, total: np.ndarray) -> pd.DataFrame:
    """Revenue rows: the specific sources (scaled down together when they would exceed the
    cost) and 一般財源, the rest, so every programme-year sums to its cost."""
    sources = [s for s in REVENUE_SOURCES if s in part.revenue]
    amounts = np.column_stack(
        [part.revenue[s][0].reindex(years, fill_value=0).to_numpy(np.float64) for s in sources]
        or [np.zeros((len(years), 0))]
    ).reshape(len(years), len(sources))
    specific = amounts.sum(axis=1)
    factor = np.where(specific > total, total / np.maximum(specific, 1), 1.0)
    amounts = np.floor(amounts * factor[:, None]).astype(np.int64)
    general = total - amounts.sum(axis=1)
    names = [*sources, _GENERAL]
    basis = [part.revenue[s][1] for s in sources] + ["経費のうちほかの財源で賄えない残り"]
    values = np.column_stack([amounts, general]).ravel()
    n = len(names)
    return pd.DataFrame(
        {
            "fiscal_year": np.repeat(years, n).astype(np.int16),
            "programme_code": prog.code,
            "revenue_source": np.tile(names, len(years)),
            "revenue_amount": values,
            "revenue_share": values / np.maximum(np.repeat(total, n), 1),
            "revenue_basis": np.tile(basis, len(years)),
        }
    )


def receives_allocation_tax(profile: Profile) -> bool:
    """Whether the municipality receives the local allocation tax (交付団体).

    ``finance.receives_allocation_tax`` when it says "yes" or "no"; with "auto" (the national
    default) a Tokyo special ward does not (lesson 06: no compensation of its furusato loss)
    and any other municipality is taken to receive it.

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> receives_allocation_tax(load_profile("urban-ward")), receives_allocation_tax(load_profile("town"))
    (False, True)
    """
    said = profile.text(_F + "receives_allocation_tax")
    if said != "auto":
        return said == "yes"
    return profile.words.kind != "special-ward"


def _summary(
    ctx: SimContext, residents: pd.Series, settlements: pd.DataFrame, revenue: pd.DataFrame
) -> pd.DataFrame:
    """The year's resident-tax revenue, the furusato flows and the programmes' totals."""
    from ebpmkit.tax import per_capita_levy

    t = ctx.tables
    years = residents.index.to_numpy()
    it = t["income_tax"]
    fy = it["fiscal_year"].to_numpy()
    levy = _sum_by_year(fy, it["income_levy_municipal"].to_numpy())
    payers = _count_by_year(fy[it["per_capita_levy"].to_numpy() > 0]).reindex(years, fill_value=0)
    municipal = np.array([per_capita_levy(int(y)).municipal for y in years], np.int64)
    loss = pd.Series(0, index=years, dtype=np.int64)
    if "furusato_deductions" in t:
        d = t["furusato_deductions"]
        loss = _sum_by_year(d["fiscal_year"].to_numpy(), d["municipal_loss"].to_numpy())
    received = pd.Series(0, index=years, dtype=np.int64)
    if "furusato_donations" in t:
        d = t["furusato_donations"]
        received = _sum_by_year(d["fiscal_year"].to_numpy(), d["amount"].to_numpy())
    loss = loss.reindex(years, fill_value=0).to_numpy(np.int64)
    share = ctx.profile.number(_F + "allocation_tax_compensation_share")
    compensation = np.rint(loss * share).astype(np.int64) * receives_allocation_tax(ctx.profile)
    pc = payers.to_numpy(np.int64) * municipal
    levy = levy.reindex(years, fill_value=0).to_numpy(np.int64)
    cost = settlements.groupby("fiscal_year")["total_cost"].sum()
    general = revenue[revenue["revenue_source"] == _GENERAL]
    general = general.groupby("fiscal_year")["revenue_amount"].sum()
    general = general.reindex(years, fill_value=0).to_numpy(np.int64)
    people = residents.to_numpy(np.int64)
    return pd.DataFrame(
        {
            "fiscal_year": years.astype(np.int16),
            "resident_count": people,
            "income_levy_municipal_total": levy,
            "per_capita_levy_municipal_total": pc,
            "furusato_tax_loss": loss,
            "allocation_tax_compensation": compensation,
            "resident_tax_net": levy + pc - loss,
            "furusato_received": received.reindex(years, fill_value=0).to_numpy(np.int64),
            "programme_cost_total": cost.reindex(years, fill_value=0).to_numpy(np.int64),
            "programme_general_revenue": general,
            "general_revenue_per_resident": general / np.maximum(people, 1),
        }
    )


def _residents(ctx: SimContext) -> pd.Series:
    """Residents on 1 April by fiscal year (the simulated years only)."""
    if "resident_years" not in ctx.tables:
        raise EbpmkitError(message("finance.needs_table", table="resident_years"))
    counts = _count_by_year(ctx.tables["resident_years"]["fiscal_year"].to_numpy())
    years = np.intersect1d(counts.index.to_numpy(), ctx.profile.fiscal_years)
    return counts.reindex(years)


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Build the settlements of every programme whose tables exist, and the yearly summary.

    Parameters
    ----------
    ctx : SimContext
        Needs ``resident_years``; each programme of :data:`PROGRAMMES` reads its own tables
        and is skipped when they are absent. ``finance_summary`` needs ``income_tax`` and is
        not written without it.

    Returns
    -------
    dict of str to DataFrame
        ``settlements``, ``settlement_revenue`` and, with ``income_tax``, ``finance_summary``.

    Examples
    --------
    >>> tables = simulate(ctx)  # doctest: +SKIP
    >>> ctx.truth["finance"]["skipped"]  # doctest: +SKIP
    ['child_allowance', 'school_aid', 'late_elderly', 'child_health']
    """
    ctx.profile.validate(PARAMETERS)
    residents = _residents(ctx)
    years = set(residents.index.tolist())
    settled, revenues, skipped = [], [], []
    for prog in PROGRAMMES:
        found = prog.present(ctx.tables)
        if found is None:
            skipped.append(prog.code)
            continue
        part = prog.build(ctx.profile, found)
        part.costs = part.costs[part.costs.index.isin(years)]
        rows, revenue = _settle(prog, part, ctx.profile, residents)
        settled.append(rows)
        revenues.append(revenue)
    settlements = _stack(settled, "settlements")
    revenue = _stack(revenues, "settlement_revenue")
    out = {"settlements": settlements, "settlement_revenue": revenue}
    if "income_tax" in ctx.tables:
        out["finance_summary"] = _summary(ctx, residents, settlements, revenue)
    ctx.truth[NAME] = {
        "programmes": [p.code for p in PROGRAMMES if p.code not in skipped],
        "skipped": skipped,
        "receives_allocation_tax": receives_allocation_tax(ctx.profile),
    }
    return out


def _stack(frames: list[pd.DataFrame], table: str) -> pd.DataFrame:
    """The programmes' rows in one table sorted by year (programme order kept within a year),
    with the declared dtypes even when no programme was built."""
    declared = [c for c in COLUMNS if c.table == table]
    if not frames:
        return pd.DataFrame({c.column: pd.Series(dtype=c.dtype) for c in declared})
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values("fiscal_year", kind="stable", ignore_index=True)
    return frame.astype({c.column: c.dtype for c in declared})
