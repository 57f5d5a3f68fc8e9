"""Maternal and child health (母子保健): births, infant health checkups and routine vaccinations.

``births`` has one row per child born to a resident (``residents`` with entry reason 出生). The
child's household is the one of its first 1 April register; a child who never reaches one (born
in the last fiscal year, or gone before the next 1 April) is placed with a woman of the birth
year's register who could be its mother: of its nationality, aged 15-49, and leaving the
municipality on the child's own moving-out date (or still resident at the end), drawn with the
national fertility pattern by age. Gestational weeks and birth weight are drawn by sex.

``infant_checkups`` has one row per child and checkup (4か月児, 1歳6か月児, 3歳児) whose due age
falls while the child is resident and before the data end. Attendance is a logistic model whose
intercept is solved so that the expected rate equals the configured rate; its log-odds rise with
the household's equivalised income rank that year (``income_tax``) and fall for children who
later move out. A visit after the moving-out date or the data end is not recorded.

``vaccinations`` has one row per dose given: the routine schedule (:func:`vaccine_schedule`) by
birth cohort, coverage from one latent per child and vaccine (so the doses of a series are given
in order and a child who misses one vaccine tends to miss others), delays that accumulate along
a series, and only doses dated while the child is resident and before the data end.

Examples
--------
>>> import ebpmkit.synth.child_health as child_health
>>> sorted(child_health.TABLES)
['births', 'infant_checkups', 'vaccinations']
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ebpmkit.errors import ProfileError
from ebpmkit.messages import message
from ebpmkit.synth._keys import has_label, pair_key, positions
from ebpmkit.synth.columns import shared
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.dictionary import Column
from ebpmkit.synth.profile import Param

__all__ = [
    "CHECKUPS",
    "COLUMNS",
    "FINDINGS",
    "PARAMETERS",
    "ROLES",
    "TABLES",
    "add_months",
    "check_profile",
    "months_between",
    "simulate",
    "vaccine_schedule",
]

CHECKUPS = ("4か月児", "1歳6か月児", "3歳児")
FINDINGS = ("異常なし", "要経過観察", "要精密検査", "既医療")
_PARENTS = ("世帯主", "配偶者")
_LOW_WEIGHT = 2500  # grams: low birth weight is under this
_PRETERM = 37  # weeks: preterm is under this
_DAY = np.timedelta64(1, "D")

TABLES = {
    "births": "出生(住民の子の出生ごと1行、最終年度を含む):世帯、母の続柄と年齢、出生順位、"
    "在胎週数と出生体重。在胎週数と出生体重の分布は仮定",
    "infant_checkups": "乳幼児健康診査(4か月児・1歳6か月児・3歳児、住民である間に対象年齢に達した"
    "子と健診ごと1行):受診の有無、受診日、判定。受診率と判定の割合は仮定または全国値に近い値",
    "vaccinations": "定期予防接種(接種1回ごと1行、住民である間の接種のみ):ワクチン、回数、"
    "接種日、月齢、標準的な時期どおりか。接種率と接種時期は仮定",
}

_B, _K, _V = "births", "infant_checkups", "vaccinations"
_PID = "子を識別する番号(residents と結合可)"
COLUMNS = [
    shared("person_id", _B, _PID),
    shared(
        "household_id",
        _B,
        "出生後最初の4月1日の世帯。その日の台帳に載らない子は母と推定した女性の世帯",
    ),
    Column(
        _B,
        "mother_relationship",
        "category",
        "母の続柄",
        "mother's relationship",
        "",
        "世帯の世帯主・配偶者のうち15〜49歳の女性を母とみなした続柄(母の person_id は"
        "その年の resident_years で世帯・続柄から探す)。該当者がいなければ空欄",
    ),
    Column(_B, "mother_age", "Int16", "母の年齢", "mother's age", "歳", "出生日時点の母の年齢"),
    shared("birth_date", _B, "出生日(residents の生年月日と同じ)"),
    shared("fiscal_year", _B, "出生日の年度"),
    shared("sex", _B),
    shared("nationality", _B),
    Column(
        _B,
        "order_in_household",
        "int16",
        "世帯内の出生順位",
        "birth order in the household",
        "番目",
        "世帯の子(続柄が子)のうち、先に生まれた子の数に1を足した順位(同じ日に生まれた子は同じ順位)",
    ),
    Column(
        _B,
        "gestational_weeks",
        "int16",
        "在胎週数",
        "gestational weeks",
        "週",
        "満週数。分布は仮定(37週未満の早産は約5.6%)",
    ),
    Column(
        _B,
        "birth_weight",
        "int64",
        "出生体重",
        "birth weight",
        "g",
        "在胎週数と性別による平均の周りにばらつく(仮定)。2,500g未満の割合は全国値(約9%)に近い",
    ),
    Column(
        _B, "low_birth_weight", "bool", "低出生体重", "low birth weight", "", "出生体重2,500g未満"
    ),
    Column(_B, "preterm", "bool", "早産", "preterm birth", "", "在胎37週未満"),
    shared("district_code", _B, "世帯の住区"),
    shared("fiscal_year", _K, "対象月齢に達した日(受診期限の始まり)の年度"),
    shared("person_id", _K, _PID),
    shared(
        "household_id",
        _K,
        "対象月齢に達した年度の4月1日の世帯(その日の台帳にない子は次の4月1日か出生時の世帯)",
    ),
    shared("district_code", _K, "世帯の住区"),
    Column(
        _K,
        "checkup",
        "category",
        "健診の種類",
        "checkup",
        "",
        "4か月児(母子保健法第13条により多くの市町村が行う)、1歳6か月児・3歳児(同法第12条)",
    ),
    Column(
        _K,
        "due_age_months",
        "int16",
        "対象月齢",
        "due age in months",
        "か月",
        "健診の対象となる月齢",
    ),
    Column(
        _K,
        "due_date",
        "datetime64[s]",
        "対象月齢に達した日",
        "due date",
        "",
        "生年月日に対象月齢を足した日",
    ),
    Column(
        _K,
        "attended",
        "bool",
        "受診",
        "attended",
        "",
        "受診した。受診率は全国の約95%に近い値(仮定)で、世帯の所得が低いほど、のちに転出する子ほど低い。"
        "転出後やデータ末日より後の受診は記録されない",
    ),
    Column(_K, "attended_date", "datetime64[s]", "受診日", "attended date", "", "未受診は空欄"),
    Column(
        _K,
        "days_after_due",
        "Int16",
        "受診までの日数",
        "days after due date",
        "日",
        "対象月齢に達した日から受診日までの日数。未受診は空欄",
    ),
    Column(
        _K,
        "findings",
        "category",
        "判定",
        "findings",
        "",
        "異常なし・要経過観察・要精密検査・既医療(割合は仮定。低出生体重児は異常なし以外が多い)。未受診は空欄",
    ),
    shared("fiscal_year", _V, "接種日の年度"),
    shared("person_id", _V, _PID),
    shared(
        "household_id",
        _V,
        "接種日の年度の4月1日の世帯(その日の台帳にない子は次の4月1日か出生時の世帯)",
    ),
    shared("district_code", _V, "世帯の住区"),
    Column(
        _V,
        "vaccine",
        "category",
        "ワクチン",
        "vaccine",
        "",
        "予防接種法の定期接種(Hib、小児用肺炎球菌、B型肝炎、ロタウイルス、四種混合、五種混合、BCG、MR、水痘、日本脳炎)。"
        "対象となる生まれ月は制度の開始時期による",
    ),
    Column(_V, "dose", "int16", "接種回数", "dose number", "回目", "そのワクチンの何回目の接種か"),
    Column(_V, "series", "category", "接種区分", "series", "", "初回・追加・第1期・第2期など"),
    Column(
        _V,
        "vaccination_date",
        "datetime64[s]",
        "接種日",
        "vaccination date",
        "",
        "住民である間の接種だけを記録",
    ),
    Column(
        _V,
        "age_months",
        "int16",
        "接種時月齢",
        "age in months at the dose",
        "か月",
        "接種日の満月齢",
    ),
    Column(
        _V,
        "scheduled_months",
        "int16",
        "標準月齢",
        "scheduled age in months",
        "か月",
        "定期接種の標準的な接種期間を1か月に代表させた月齢(仮定)",
    ),
    Column(
        _V,
        "on_time",
        "bool",
        "標準どおり",
        "on time",
        "",
        "接種時月齢が標準月齢に1か月を足した月齢以下(仮定)",
    ),
]

#: Roles of the columns in anonymization (see ebpmkit.synth.dictionary.ROLES). Health facts of
#: a child (birth size, checkup results, vaccinations) are special-care information.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    _B: {
        "id": ("person_id", "household_id"),
        "sensitive": ("gestational_weeks", "birth_weight", "low_birth_weight", "preterm"),
    },
    _K: {"id": ("person_id", "household_id"), "sensitive": ("attended", "findings")},
    _V: {"id": ("person_id", "household_id"), "sensitive": ("vaccine", "dose", "on_time")},
}

_S = "child_health.vaccines."
PARAMETERS = [
    Param(
        "child_health.gestation_weeks",
        "numbers",
        low=20,
        high=45,
        ja="出生の在胎週数として引く週数",
        unit="週",
    ),
    Param(
        "child_health.gestation_shares",
        "numbers",
        low=0,
        high=1,
        ja="gestation_weeks の各週数の割合(合計1)",
        unit="割合(0～1)",
    ),
    Param(
        "child_health.weight_by_week",
        "numbers",
        low=200,
        high=6000,
        ja="gestation_weeks の各週数での男児の平均出生体重",
        unit="g",
    ),
    Param(
        "child_health.girl_weight_ratio",
        low=0.5,
        high=1.5,
        ja="女児の出生体重の男児に対する比",
        unit="倍",
    ),
    Param(
        "child_health.weight_cv",
        low=0,
        high=0.5,
        ja="同じ週数での出生体重のばらつき(変動係数)",
        unit="割合",
    ),
    Param(
        "child_health.low_birth_weight_target",
        low=0,
        high=1,
        ja="2,500g未満の出生の割合(生成結果と比べる目標)",
        unit="割合(0～1)",
        when="check",
        driver="child_health.weight_cv",
    ),
    Param(
        "child_health.checkup_months",
        "numbers",
        low=1,
        high=72,
        length=3,
        ja="4か月児・1歳6か月児・3歳児健診の対象月齢",
        unit="か月",
    ),
    Param(
        "child_health.checkup_rates",
        "numbers",
        low=0.01,
        high=0.999,
        length=3,
        ja="3つの健診の受診率(所得と転出の効果を含めた平均がこの値になる)",
        unit="割合(0～1)",
    ),
    Param(
        "child_health.attend_delay_mean",
        low=0,
        high=365,
        ja="対象月齢から受診までの平均日数",
        unit="日",
    ),
    Param(
        "child_health.attend_window",
        low=1,
        high=730,
        ja="対象月齢から受診までの最長日数",
        unit="日",
    ),
    Param(
        "child_health.income_logit",
        low=-10,
        high=10,
        ja="世帯の所得順位が最低から最高になるときの受診の対数オッズの増分",
        unit="対数オッズ",
    ),
    Param(
        "child_health.moved_out_logit",
        low=-10,
        high=10,
        ja="のちに転出する子の受診の対数オッズの差",
        unit="対数オッズ",
    ),
    *(
        Param(
            f"child_health.findings_{m}",
            "numbers",
            low=0,
            high=1,
            length=4,
            ja=f"{name}健診の判定(異常なし・要経過観察・要精密検査・既医療)の割合",
            unit="割合(0～1)",
        )
        for m, name in (("4m", "4か月児"), ("18m", "1歳6か月児"), ("36m", "3歳児"))
    ),
    Param(
        "child_health.low_weight_findings_odds",
        low=0,
        high=20,
        ja="低出生体重児で異常なし以外の判定になるオッズの倍率",
        unit="倍",
    ),
    Param(
        "child_health.vaccine_corr",
        low=0,
        high=0.99,
        ja="同じ子のワクチンの間で接種の有無が似る度合い",
        unit="相関(0～1)",
    ),
    Param(
        "child_health.dose_delay_mean",
        low=0,
        high=365,
        ja="標準月齢から各ワクチンの最初の接種までの平均日数",
        unit="日",
    ),
    Param(
        "child_health.dose_step_mean",
        low=0,
        high=365,
        ja="2回目以降の接種ごとに加わる遅れの平均日数",
        unit="日",
    ),
    Param(
        "child_health.on_time_grace",
        low=0,
        high=24,
        ja="標準どおりとみなす、標準月齢を超えた月数",
        unit="か月",
    ),
    Param(
        _S + "vaccine",
        "texts",
        ja="定期接種の1回ごとのワクチン名(同じワクチンは続けて並べる)",
        when="none",
    ),
    Param(
        _S + "series", "texts", ja="定期接種の1回ごとの接種区分(初回・追加・第1期など)", when="none"
    ),
    Param(_S + "months", "numbers", low=0, high=150, ja="定期接種の1回ごとの標準月齢", unit="か月"),
    Param(
        _S + "coverage", "numbers", low=0, high=1, ja="定期接種の1回ごとの接種率", unit="割合(0～1)"
    ),
    Param(
        _S + "born_from",
        "numbers",
        low=0,
        high=999912,
        ja="その接種の対象となる生まれ月の最初(年×100+月、0は制限なし)",
        unit="年月",
        when="listed",
    ),
    Param(
        _S + "born_before",
        "numbers",
        low=0,
        high=999912,
        ja="その接種の対象となる生まれ月の終わり(この年月より前、999912は制限なし)",
        unit="年月",
        when="listed",
    ),
]


def check_profile(profile) -> None:
    """Cross-figure rules: lists that go together have one length, shares add up, doses of a
    vaccine are listed together with rising ages and non-rising coverage."""
    origin = profile.origin
    pairs = [("child_health.gestation_weeks", "child_health.gestation_shares")]
    pairs.append(("child_health.gestation_weeks", "child_health.weight_by_week"))
    pairs += [(_S + "vaccine", _S + other) for other in ("series", "months", "coverage")]
    pairs += [(_S + "vaccine", _S + other) for other in ("born_from", "born_before")]
    for first, second in pairs:
        if len(profile.get(first)) != len(profile.get(second)) or not profile.get(first):
            raise ProfileError(
                message(
                    "child_health.lengths",
                    first=first,
                    second=second,
                    found_first=len(profile.get(first)),
                    found_second=len(profile.get(second)),
                    origin=origin,
                )
            )
    keys = ["child_health.gestation_shares"]
    keys += [f"child_health.findings_{m}" for m in ("4m", "18m", "36m")]
    for key in keys:
        total = float(profile.numbers(key).sum())
        if abs(total - 1) > 0.01:
            raise ProfileError(
                message("population.shares_sum", key=key, found=f"{total:.3f}", origin=origin)
            )
    table = vaccine_schedule(profile)
    for name, doses in table.groupby("vaccine", sort=False, observed=True):
        rows = doses.index.to_numpy()
        ordered = np.all(np.diff(doses["months"].to_numpy()) > 0) and np.all(
            np.diff(doses["coverage"].to_numpy()) <= 0
        )
        if not ordered or np.any(np.diff(rows) != 1):
            raise ProfileError(message("child_health.schedule", vaccine=name, origin=origin))


def vaccine_schedule(profile) -> pd.DataFrame:
    """The routine schedule as a table: one row per dose, in the order the profile lists them.

    Parameters
    ----------
    profile : Profile
        Provides the ``child_health.vaccines.*`` lists.

    Returns
    -------
    DataFrame
        vaccine, dose (1, 2, ... within the vaccine), series, months (standard age), coverage,
        born_from and born_before (birth months ``yyyymm`` the dose applies to).

    Examples
    --------
    >>> from ebpmkit.synth.profile import load_profile
    >>> s = vaccine_schedule(load_profile("town"))
    >>> s.loc[s["vaccine"] == "MR", ["dose", "series", "months"]].values.tolist()
    [[1, '第1期', 12], [2, '第2期', 66]]
    """
    vaccine = [str(v) for v in profile.get(_S + "vaccine")]
    table = pd.DataFrame(
        {
            "vaccine": vaccine,
            "series": [str(v) for v in profile.get(_S + "series")],
            "months": profile.numbers(_S + "months").astype(np.int64),
            "coverage": profile.numbers(_S + "coverage"),
            "born_from": profile.numbers(_S + "born_from").astype(np.int64),
            "born_before": profile.numbers(_S + "born_before").astype(np.int64),
        }
    )
    table.insert(1, "dose", table.groupby("vaccine", sort=False).cumcount() + 1)
    return table


def add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``dates`` plus whole calendar months, the day kept (or the month's last day).

    Examples
    --------
    >>> add_months(np.array(["2020-01-31", "2020-05-10"], dtype="datetime64[D]"), np.array([1, 18]))
    array(['2020-02-29', '2021-11-10'], dtype='datetime64[D]')
    """
    month, day = _month_parts(np.asarray(dates, dtype="datetime64[D]"))
    return _from_parts(month + np.asarray(months).astype(np.int64), day)


def _month_starts(lo: int, hi: int) -> np.ndarray:
    """Day numbers (since 1970-01-01) of the first day of months ``lo`` to ``hi + 1``."""
    months = np.arange(lo, hi + 2).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def _month_parts(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Months since 1970-01 and the day of the month counted from 0 (one calendar conversion:
    the day comes from a small table of month starts)."""
    month = dates.astype("datetime64[M]").astype(np.int64)
    if len(month) == 0:
        return month, month.copy()
    lo = int(month.min())
    starts = _month_starts(lo, int(month.max()))
    return month, dates.astype(np.int64) - starts[month - lo]


def _from_parts(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Dates from months since 1970-01 and a day counted from 0, kept within the month."""
    if len(month) == 0:
        return np.zeros(0, "datetime64[D]")
    lo = int(month.min())
    starts = _month_starts(lo, int(month.max()))
    first = starts[month - lo]
    length = starts[month - lo + 1] - first
    return (first + np.minimum(day, length - 1)).astype("datetime64[D]")


def months_between(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed months of age on ``on`` for children born on ``birth``.

    Examples
    --------
    >>> b = np.array(["2020-01-31", "2020-01-15"], dtype="datetime64[D]")
    >>> months_between(b, np.array(["2020-02-29", "2020-04-14"], dtype="datetime64[D]"))
    array([1, 2])
    """
    on = np.asarray(on, dtype="datetime64[D]")
    month, day = _month_parts(np.asarray(birth, dtype="datetime64[D]"))
    whole = on.astype("datetime64[M]").astype(np.int64) - month
    return whole - (_from_parts(month + whole, day) > on)


def _fiscal_year(dates: np.ndarray) -> np.ndarray:
    """Fiscal year (April to March) of ``datetime64[D]`` dates."""
    month = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return (month - 3) // 12 + 1970


@dataclass
class _Register:
    """The population facts every table needs, as arrays, with vectorised lookups."""

    pid: np.ndarray  # residents
    sex: pd.Categorical
    nationality: pd.Categorical
    birth: np.ndarray
    entry: np.ndarray
    exit: np.ndarray  # NaT replaced by a far date
    moved_out: np.ndarray  # left by 転出
    born_here: np.ndarray  # entry reason 出生
    ry: pd.DataFrame
    ry_key: np.ndarray  # pair_key(fiscal_year, person_id) of resident_years rows
    span: tuple[int, int]
    start: np.datetime64
    end: np.datetime64  # first day after the data
    hh_ids: np.ndarray  # households table
    hh_district: pd.Categorical
    women: np.ndarray  # ry rows of women who are the head or the head's spouse
    kids: np.ndarray  # ry rows of children of the head (relationship 子)
    income_tax: pd.DataFrame | None

    def at(self, pids: np.ndarray) -> np.ndarray:
        """Rows of the residents arrays of ``pids``."""
        return positions(np.asarray(pids, np.int64), self.pid)

    def district(self, hh: np.ndarray) -> pd.Categorical:
        """District of each household."""
        return self.hh_district.take(positions(hh, self.hh_ids))

    def row_on(self, pids: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """The register row of the fiscal year of each date, else of the next 1 April, else -1."""
        year = _fiscal_year(dates)
        rows = positions(pair_key(year, pids, *self.span), self.ry_key)
        later = positions(pair_key(year + 1, pids, *self.span), self.ry_key)
        return np.where(rows >= 0, rows, later)


def _register(ctx: SimContext) -> _Register:
    """Read residents, resident_years, households and income_tax into a :class:`_Register`."""
    res, ry = ctx.tables["residents"], ctx.tables["resident_years"]
    years = ctx.profile.fiscal_years
    span = (int(years[0]), len(years) + 2)
    exit_date = res["exit_date"].to_numpy("datetime64[D]")
    far = np.datetime64("2999-12-31")
    hh = ctx.tables["households"]
    ry_key = pair_key(ry["fiscal_year"].to_numpy(), ry["person_id"].to_numpy(np.int64), *span)
    reg = _Register(
        pid=res["person_id"].to_numpy(np.int64),
        sex=res["sex"].array,
        nationality=res["nationality"].array,
        birth=res["birth_date"].to_numpy("datetime64[D]"),
        entry=res["entry_date"].to_numpy("datetime64[D]"),
        exit=np.where(np.isnat(exit_date), far, exit_date),
        moved_out=has_label(res["exit_reason"], ("転出",)),
        born_here=has_label(res["entry_reason"], ("出生",)),
        ry=ry,
        ry_key=ry_key,
        span=span,
        start=np.datetime64(f"{int(years[0])}-04-01", "D"),
        end=np.datetime64(f"{int(years[-1]) + 1}-04-01", "D"),
        hh_ids=hh["household_id"].to_numpy(np.int64),
        hh_district=pd.Categorical(hh["district_code"]),
        women=np.flatnonzero(
            has_label(ry["relationship"], _PARENTS) & has_label(ry["sex"], ("女性",))
        ),
        kids=np.flatnonzero(has_label(ry["relationship"], ("子",))),
        income_tax=ctx.tables.get("income_tax"),
    )
    return reg


def _household_income(reg: _Register, year: np.ndarray, hh: np.ndarray) -> np.ndarray:
    """Equivalised income of each (fiscal year, household): the total income of the members on
    that year's register over the square root of their number; a person absent from
    income_tax has no income."""
    ry, it = reg.ry, reg.income_tax
    uniq, inverse = np.unique(pair_key(year, hh, *reg.span), return_inverse=True)
    ry_year = ry["fiscal_year"].to_numpy()
    slot = positions(pair_key(ry_year, ry["household_id"].to_numpy(np.int64), *reg.span), uniq)
    rows = np.flatnonzero(slot >= 0)
    income = np.zeros(len(rows))
    if it is not None and len(it):
        keys = pair_key(it["fiscal_year"].to_numpy(), it["person_id"].to_numpy(np.int64), *reg.span)
        at = positions(reg.ry_key[rows], keys)
        found = at >= 0
        income[found] = it["total_income"].to_numpy(np.float64)[at[found]]
    total = np.bincount(slot[rows], weights=income, minlength=len(uniq))
    size = np.bincount(slot[rows], minlength=len(uniq))
    return (total / np.sqrt(np.maximum(size, 1)))[inverse]


def simulate(ctx: SimContext) -> dict[str, pd.DataFrame]:
    """Generate ``births``, ``infant_checkups`` and ``vaccinations``.

    Examples
    --------
    >>> from ebpmkit.synth import generate_tables
    >>> only = ("geography", "population", "income", "child_health")
    >>> tables, truth = generate_tables("town", seed=1, scale=0.02, only=only)  # doctest: +SKIP
    >>> truth["child_health"]["income_gap"] > 0  # doctest: +SKIP
    True
    """
    prof = ctx.profile
    rng = ctx.rng("child_health")
    reg = _register(ctx)
    births = _births(prof, rng, reg)
    checkups, check_truth = _checkups(prof, rng, reg, births)
    vaccinations = _vaccinations(prof, rng, reg, births)
    ctx.truth["child_health"] = {
        **check_truth,
        "low_birth_weight_share": round(float(births["low_birth_weight"].mean()), 4)
        if len(births)
        else None,
        "imputed_households": int(births.attrs.pop("imputed", 0)),
        "note": "Attendance log-odds rise by income_logit from the lowest to the highest "
        "household income rank of the children due in the same fiscal year; income_gap is the "
        "attendance rate of the top income quintile minus that of the bottom quintile.",
    }
    return {_B: births, _K: checkups, _V: vaccinations}


def _births(prof, rng: np.random.Generator, reg: _Register) -> pd.DataFrame:
    """One row per child born to a resident: household, mother, birth order, gestation, weight."""
    rows = np.flatnonzero(reg.born_here)
    pid, birth = reg.pid[rows], reg.birth[rows]
    fy = _fiscal_year(birth)
    ry = reg.ry
    ry_hh = ry["household_id"].to_numpy(np.int64)
    first = positions(pair_key(fy + 1, pid, *reg.span), reg.ry_key)
    known = first >= 0
    ref_year = np.where(known, fy + 1, fy)
    hh = np.where(known, ry_hh[np.maximum(first, 0)], -1)
    mother = np.full(len(rows), -1, np.int64)
    mother[known] = _mother_in_household(reg, ref_year[known], hh[known], birth[known])
    guess = np.flatnonzero(~known)
    hh_row, is_mother = _impute_mothers(prof, rng, reg, rows[guess], fy[guess])
    hh[guess] = np.where(hh_row >= 0, ry_hh[np.maximum(hh_row, 0)], -1)
    mother[guess] = np.where(is_mother, hh_row, -1)
    placed = hh >= 0
    rows, pid, birth, fy, hh, mother, ref_year = (
        a[placed] for a in (rows, pid, birth, fy, hh, mother, ref_year)
    )
    weeks, weight = _birth_size(prof, rng, reg.sex.take(rows) == "女性")
    has_mother = mother >= 0
    mother_birth = reg.birth[np.maximum(reg.at(ry["person_id"].to_numpy(np.int64)[mother]), 0)]
    mother_age = pd.array(months_between(mother_birth, birth) // 12, dtype="Int16")
    mother_age[~has_mother] = pd.NA
    relationship = ry["relationship"].iloc[mother].array.astype(object)
    relationship[~has_mother] = None
    table = pd.DataFrame(
        {
            "person_id": pid,
            "household_id": hh,
            "mother_relationship": pd.Categorical(relationship, categories=list(_PARENTS)),
            "mother_age": mother_age,
            "birth_date": birth.astype("datetime64[s]"),
            "fiscal_year": fy.astype(np.int16),
            "sex": reg.sex.take(rows),
            "nationality": reg.nationality.take(rows),
            "order_in_household": _birth_order(reg, ref_year, hh, birth).astype(np.int16),
            "gestational_weeks": weeks.astype(np.int16),
            "birth_weight": weight.astype(np.int64),
            "low_birth_weight": weight < _LOW_WEIGHT,
            "preterm": weeks < _PRETERM,
            "district_code": reg.district(hh),
        }
    )
    table = table.sort_values(["birth_date", "person_id"], kind="stable", ignore_index=True)
    table.attrs["imputed"] = int(len(guess))
    return table


def _mother_in_household(
    reg: _Register, year: np.ndarray, hh: np.ndarray, birth: np.ndarray
) -> np.ndarray:
    """The register row of a woman head or spouse of the household, aged 15-49 at the birth."""
    women = reg.women
    ry = reg.ry
    keys = pair_key(
        ry["fiscal_year"].to_numpy()[women], ry["household_id"].to_numpy(np.int64)[women], *reg.span
    )
    at = positions(pair_key(year, hh, *reg.span), keys)
    row = np.where(at >= 0, women[np.maximum(at, 0)], -1)
    res = reg.at(ry["person_id"].to_numpy(np.int64)[np.maximum(row, 0)])
    age = months_between(reg.birth[np.maximum(res, 0)], birth) // 12
    return np.where((row >= 0) & (age >= 15) & (age <= 49), row, -1)


def _draw_in_groups(
    rng: np.random.Generator, group: np.ndarray, weight: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """For each ``wanted`` group, one candidate of that group drawn by weight, or -1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> _draw_in_groups(rng, np.array([5, 5, 7]), np.array([1.0, 0.0, 1.0]), np.array([5, 7, 9]))
    array([ 0,  2, -1])
    """
    u = rng.random(len(wanted))
    if len(group) == 0:
        return np.full(len(wanted), -1, np.int64)
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    cum = np.concatenate([[0.0], np.cumsum(weight[order])])
    lo = np.searchsorted(sorted_group, wanted, "left")
    hi = np.searchsorted(sorted_group, wanted, "right")
    total = cum[hi] - cum[lo]
    pick = np.searchsorted(cum, cum[lo] + u * total, "right") - 1
    pick = np.clip(pick, lo, np.maximum(hi - 1, lo))
    return np.where(total > 0, order[np.minimum(pick, len(order) - 1)], -1)


def _impute_mothers(
    prof, rng: np.random.Generator, reg: _Register, babies: np.ndarray, fy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A likely mother for children never on a 1 April register, from the birth year's register.

    Tiers, each for the children the previous one left unplaced: women heads or spouses aged
    15-49 of the child's nationality who leave on the child's moving-out date (or stay to the
    end); the same without the date; any such woman; any household of the year. Returns the
    register row and whether it is the mother.
    """
    ry = reg.ry
    women = reg.women
    age = ry["age"].to_numpy()[women].astype(np.int64)
    women = women[(age >= 15) & (age <= 49)]
    asfr = prof.numbers("fertility.asfr", length=7)
    weight = asfr[np.clip((ry["age"].to_numpy()[women].astype(np.int64) - 15) // 5, 0, 6)]
    res = reg.at(ry["person_id"].to_numpy(np.int64)[women])
    y0 = reg.span[0]

    def group(year: np.ndarray, foreign: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # The exit code is the moving-out day counted from the data start, or 0 for those
        # who stay (or die): a child leaves with its mother.
        day = (reg.exit[rows] - reg.start).astype(np.int64) + 1
        code = np.where(reg.moved_out[rows], np.clip(day, 1, (1 << 20) - 1), 0)
        return ((year * 2 + foreign) << 20) + code

    w_year = ry["fiscal_year"].to_numpy()[women].astype(np.int64) - y0
    w_nat = has_label(ry["nationality"], ("外国",))[women].astype(np.int64)
    b_year = fy - y0
    b_nat = np.asarray(reg.nationality.take(babies) == "外国", dtype=np.int64)
    tiers = [
        (group(w_year, w_nat, res), group(b_year, b_nat, babies)),
        (w_year * 2 + w_nat, b_year * 2 + b_nat),
        (w_year, b_year),
    ]
    row = np.full(len(babies), -1, np.int64)
    for cand_group, baby_group in tiers:
        todo = np.flatnonzero(row < 0)
        got = _draw_in_groups(rng, cand_group, weight, baby_group[todo])
        row[todo] = np.where(got >= 0, women[np.maximum(got, 0)], -1)
    is_mother = row >= 0
    todo = np.flatnonzero(row < 0)
    everyone = ry["fiscal_year"].to_numpy().astype(np.int64) - y0
    got = _draw_in_groups(rng, everyone, np.ones(len(everyone)), b_year[todo])
    row[todo] = got
    return row, is_mother


def _birth_order(reg: _Register, year: np.ndarray, hh: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """1 + the number of the household's children (relationship 子) born before ``birth``."""
    ry = reg.ry
    kids = reg.kids
    key = pair_key(
        ry["fiscal_year"].to_numpy()[kids], ry["household_id"].to_numpy(np.int64)[kids], *reg.span
    )
    kid_birth = reg.birth[np.maximum(reg.at(ry["person_id"].to_numpy(np.int64)[kids]), 0)]
    offset = 100_000  # days before 1970 of the oldest birth date the composite key holds

    def composite(k: np.ndarray, day: np.ndarray) -> np.ndarray:
        return k * (1 << 18) + day.astype(np.int64) + offset

    sorted_keys = np.sort(composite(key, kid_birth))
    query = pair_key(year, hh, *reg.span)
    before = np.searchsorted(sorted_keys, composite(query, birth), "left")
    group_start = np.searchsorted(
        sorted_keys, composite(query, np.full(len(birth), -offset)), "left"
    )
    return 1 + before - group_start


def _birth_size(prof, rng: np.random.Generator, girl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gestational weeks and birth weight (g): a mean by week and sex, a spread in proportion."""
    weeks = prof.numbers("child_health.gestation_weeks")
    shares = prof.numbers("child_health.gestation_shares", length=len(weeks))
    means = prof.numbers("child_health.weight_by_week", length=len(weeks))
    cum = np.cumsum(shares) / shares.sum()
    pick = np.minimum(np.searchsorted(cum, rng.random(len(girl)), "right"), len(weeks) - 1)
    mean = means[pick] * np.where(girl, prof.number("child_health.girl_weight_ratio"), 1.0)
    spread = 1 + prof.number("child_health.weight_cv") * rng.standard_normal(len(girl))
    weight = np.clip(np.round(mean * spread), 300, 6000)
    return weeks[pick].astype(np.int64), weight.astype(np.int64)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _households(
    reg: _Register, births: pd.DataFrame, pid: np.ndarray, dates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Household of each child on each date and the fiscal year of its register (-1 if none).

    The register of the date's fiscal year, else the next 1 April's, else the household at
    birth (children born in the last fiscal year).
    """
    row = reg.row_on(pid, dates)
    ry = reg.ry
    hh = np.where(row >= 0, ry["household_id"].to_numpy(np.int64)[np.maximum(row, 0)], -1)
    year = np.where(row >= 0, ry["fiscal_year"].to_numpy().astype(np.int64)[np.maximum(row, 0)], -1)
    at = positions(pid, births["person_id"].to_numpy(np.int64))
    use_birth = (row < 0) & (at >= 0)
    hh[use_birth] = births["household_id"].to_numpy(np.int64)[at[use_birth]]
    year[use_birth] = births["fiscal_year"].to_numpy().astype(np.int64)[at[use_birth]]
    return hh, year


def _income_rank(
    reg: _Register, year: np.ndarray, hh: np.ndarray, due_year: np.ndarray
) -> np.ndarray:
    """Rank (0-1) of each household's equivalised income among the rows due the same year."""
    income = _household_income(reg, year, hh)
    rank = pd.Series(income).groupby(due_year).rank(method="average", pct=True)
    count = pd.Series(due_year).groupby(due_year).transform("size").to_numpy()
    return rank.to_numpy() - 0.5 / np.maximum(count, 1)


def _solve_intercepts(rest: np.ndarray, kind: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Intercept per checkup so the mean of expit(intercept + rest) equals its rate."""
    lo = np.full(len(rates), -20.0)
    hi = np.full(len(rates), 20.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        mean = np.bincount(kind, weights=_expit(mid[kind] + rest), minlength=len(rates))
        mean = mean / np.maximum(np.bincount(kind, minlength=len(rates)), 1)
        high = mean > rates
        hi = np.where(high, mid, hi)
        lo = np.where(high, lo, mid)
    return (lo + hi) / 2


def _checkup_rows(prof, reg: _Register, births: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every (child, checkup) due while the child is resident and within the data period."""
    months = prof.numbers("child_health.checkup_months", length=3).astype(np.int64)
    oldest = add_months(np.array([reg.start]), np.array([-int(months.max()) - 1]))[0]
    kids = np.flatnonzero((reg.birth >= oldest) & (reg.birth < reg.end))
    kind = np.repeat(np.arange(3), len(kids))
    child = np.tile(kids, 3)
    due = add_months(reg.birth[child], months[kind])
    ok = (due >= reg.entry[child]) & (due < reg.exit[child]) & (due >= reg.start) & (due < reg.end)
    kind, child, due = kind[ok], child[ok], due[ok]
    pid = reg.pid[child]
    hh, year = _households(reg, births, pid, due)
    keep = hh >= 0
    return {
        "kind": kind[keep],
        "child": child[keep],
        "pid": pid[keep],
        "due": due[keep],
        "hh": hh[keep],
        "year": year[keep],
        "months": months[kind[keep]],
    }


def _findings(
    prof, rng: np.random.Generator, kind: np.ndarray, low_weight: np.ndarray
) -> np.ndarray:
    """Findings category code per visit: the shares of the checkup, more findings when the child
    was born under 2,500 g."""
    shares = np.vstack(
        [prof.numbers(f"child_health.findings_{m}", length=4) for m in ("4m", "18m", "36m")]
    )
    shares = shares / shares.sum(axis=1, keepdims=True)
    p0 = shares[kind, 0]
    odds = prof.number("child_health.low_weight_findings_odds")
    p0 = np.where(low_weight, p0 / (p0 + (1 - p0) * odds), p0)
    normal = rng.random(len(kind)) < p0
    other = shares[:, 1:] / np.maximum(shares[:, 1:].sum(axis=1, keepdims=True), 1e-12)
    cum = np.cumsum(other, axis=1)[kind]
    pick = 1 + np.minimum((rng.random(len(kind))[:, None] > cum).sum(axis=1), 2)
    return np.where(normal, 0, pick)


def _checkups(
    prof, rng: np.random.Generator, reg: _Register, births: pd.DataFrame
) -> tuple[pd.DataFrame, dict]:
    """The infant_checkups table and its truth: attendance by income and moving out."""
    r = _checkup_rows(prof, reg, births)
    n = len(r["pid"])
    rates = prof.numbers("child_health.checkup_rates", length=3)
    due_year = _fiscal_year(r["due"])
    rank = _income_rank(reg, r["year"], r["hh"], due_year)
    moved = reg.moved_out[r["child"]]
    rest = prof.number("child_health.income_logit") * (rank - 0.5)
    rest = rest + prof.number("child_health.moved_out_logit") * moved
    intercept = _solve_intercepts(rest, r["kind"], rates)
    intends = rng.random(n) < _expit(intercept[r["kind"]] + rest)
    mean = prof.number("child_health.attend_delay_mean")
    window = prof.number("child_health.attend_window")
    tail = 1 - np.exp(-window / mean) if mean > 0 else 1.0
    delay = np.floor(-mean * np.log1p(-rng.random(n) * tail)) if mean > 0 else np.zeros(n)
    visit = r["due"] + delay.astype(np.int64) * _DAY
    attended = intends & (visit < reg.exit[r["child"]]) & (visit < reg.end)
    b_at = positions(r["pid"], births["person_id"].to_numpy(np.int64))
    low = np.where(b_at >= 0, births["low_birth_weight"].to_numpy()[np.maximum(b_at, 0)], False)
    found = _findings(prof, rng, r["kind"], low)
    days = pd.array(delay.astype(np.int64), dtype="Int16")
    days[~attended] = pd.NA
    table = pd.DataFrame(
        {
            "fiscal_year": due_year.astype(np.int16),
            "person_id": r["pid"],
            "household_id": r["hh"],
            "district_code": reg.district(r["hh"]),
            "checkup": pd.Categorical.from_codes(r["kind"], categories=list(CHECKUPS)),
            "due_age_months": r["months"].astype(np.int16),
            "due_date": r["due"].astype("datetime64[s]"),
            "attended": attended,
            "attended_date": np.where(attended, visit, np.datetime64("NaT")).astype(
                "datetime64[s]"
            ),
            "days_after_due": days,
            "findings": pd.Categorical.from_codes(
                np.where(attended, found, -1), categories=list(FINDINGS)
            ),
        }
    )
    order = np.lexsort((r["kind"], r["pid"]))
    table = table.take(order).reset_index(drop=True)
    return table, _checkup_truth(prof, table, rank[order], intercept)


def _checkup_truth(prof, table: pd.DataFrame, rank: np.ndarray, intercept: np.ndarray) -> dict:
    """What the attendance model did, and what the table shows of it."""
    quintile = np.minimum((rank * 5).astype(np.int64), 4) + 1
    by_quintile = pd.Series(table["attended"].to_numpy()).groupby(quintile).mean()
    gap = float(by_quintile.get(5, np.nan) - by_quintile.get(1, np.nan)) if len(table) else None
    observed = table.groupby("checkup", observed=False)["attended"].mean()
    return {
        "checkup_rates": dict(
            zip(CHECKUPS, prof.numbers("child_health.checkup_rates").tolist(), strict=True)
        ),
        "attendance_observed": {str(k): round(float(v), 4) for k, v in observed.items() if v == v},
        "intercepts": dict(zip(CHECKUPS, np.round(intercept, 4).tolist(), strict=True)),
        "income_logit": prof.number("child_health.income_logit"),
        "moved_out_logit": prof.number("child_health.moved_out_logit"),
        "attendance_by_income_quintile": {
            int(q): round(float(v), 4) for q, v in by_quintile.items()
        },
        "income_gap": None if gap is None or gap != gap else round(gap, 4),
        "income_gap_sign": int(np.sign(prof.number("child_health.income_logit"))),
    }


def _doses(
    prof, rng: np.random.Generator, reg: _Register, s: pd.DataFrame, kids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The doses given: schedule row, child (residents row) and date of each.

    One latent per child and vaccine decides: a dose is given when the latent is under the
    dose's coverage quantile, so coverage that falls along a series gives the doses in order,
    and a shared part per child makes a child who misses one vaccine miss others too.
    """
    names = list(dict.fromkeys(s["vaccine"]))
    month, day = _month_parts(reg.birth[kids])
    born = (month // 12 + 1970) * 100 + month % 12 + 1
    entry = reg.entry[kids].astype(np.int64)
    leave = np.minimum(reg.exit[kids].astype(np.int64), reg.end.astype(np.int64))
    rho = prof.number("child_health.vaccine_corr")
    shared_part = rho * rng.standard_normal(len(kids))
    latent = shared_part[:, None] + np.sqrt(1 - rho**2) * rng.standard_normal(
        (len(kids), len(names))
    )
    first_lag = rng.exponential(
        max(prof.number("child_health.dose_delay_mean"), 1e-9), (len(kids), len(names))
    )
    step = max(prof.number("child_health.dose_step_mean"), 1e-9)
    lag = np.zeros(len(kids))
    parts = []
    for j, dose in enumerate(s.itertuples(index=False)):
        v = names.index(dose.vaccine)
        # Delays accumulate along a series, so later doses are never closer than scheduled.
        step_lag = rng.exponential(step, len(kids))
        lag = first_lag[:, v] if dose.dose == 1 else lag + step_lag
        due = _from_parts(month + int(dose.months), day).astype(np.int64)
        date = due + np.minimum(np.floor(lag), 365).astype(np.int64)
        threshold = NormalDist().inv_cdf(min(max(float(dose.coverage), 1e-9), 1 - 1e-9))
        given = (latent[:, v] < threshold) & (born >= dose.born_from) & (born < dose.born_before)
        given &= (date >= entry) & (date < leave) & (due < reg.end.astype(np.int64))
        at = np.flatnonzero(given)
        parts.append((np.full(len(at), j), kids[at], date[at]))
    j = np.concatenate([p[0] for p in parts]).astype(np.int64)
    child = np.concatenate([p[1] for p in parts]).astype(np.int64)
    date = np.concatenate([p[2] for p in parts]).astype("datetime64[D]")
    return j, child, date


def _vaccinations(
    prof, rng: np.random.Generator, reg: _Register, births: pd.DataFrame
) -> pd.DataFrame:
    """One row per dose given while the child is resident and before the data end."""
    s = vaccine_schedule(prof)
    names = list(dict.fromkeys(s["vaccine"]))
    series = list(dict.fromkeys(s["series"]))
    oldest = add_months(np.array([reg.start]), np.array([-int(s["months"].max()) - 13]))[0]
    kids = np.flatnonzero((reg.birth >= oldest) & (reg.birth < reg.end))
    j, child, date = _doses(prof, rng, reg, s, kids)
    pid = reg.pid[child]
    hh, _ = _households(reg, births, pid, date)
    keep = hh >= 0
    j, child, date, pid, hh = j[keep], child[keep], date[keep], pid[keep], hh[keep]
    months = s["months"].to_numpy()[j]
    age = months_between(reg.birth[child], date)
    vaccine = np.array([names.index(v) for v in s["vaccine"]])[j]
    table = pd.DataFrame(
        {
            "fiscal_year": _fiscal_year(date).astype(np.int16),
            "person_id": pid,
            "household_id": hh,
            "district_code": reg.district(hh),
            "vaccine": pd.Categorical.from_codes(vaccine, categories=names),
            "dose": s["dose"].to_numpy()[j].astype(np.int16),
            "series": pd.Categorical.from_codes(
                np.array([series.index(x) for x in s["series"]])[j], categories=series
            ),
            "vaccination_date": date.astype("datetime64[s]"),
            "age_months": age.astype(np.int16),
            "scheduled_months": months.astype(np.int16),
            "on_time": age <= months + prof.number("child_health.on_time_grace"),
        }
    )
    order = np.lexsort((j, date, pid))
    return table.take(order).reset_index(drop=True)
