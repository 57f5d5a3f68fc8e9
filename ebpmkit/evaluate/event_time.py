"""Event study: the effect period by period before and after a programme starts.

A difference-in-differences with one coefficient per period relative to the start (leads
before it, lags after it) instead of one for the whole programme. The coefficients before the
start should be compatible with zero if the groups moved in parallel before the programme (the
pre-trend check); those after it trace how the effect builds up and fades.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from scipy import stats
from statsmodels.regression.linear_model import OLS

from ebpmkit import style
from ebpmkit._labels import SOURCE_NOTE, format_axis, lookup
from ebpmkit._plotting import add_source, new_axes
from ebpmkit.errors import ParameterError
from ebpmkit.evaluate._checks import (
    _binary,
    _check_level,
    _coerce_time,
    _dropped_note,
    _is_column,
    _numeric_y,
    _prepare,
)
from ebpmkit.evaluate._result import EffectEstimate, _estimate
from ebpmkit.evaluate._stats import _within
from ebpmkit.evaluate._words import _amount, _per, _time_text, _unit_noun
from ebpmkit.evaluate.diff_in_diff import MIN_CLUSTERS, MIN_UNITS_PER_GROUP
from ebpmkit.messages import message

__all__ = ["EventStudyEstimate", "event_study"]


@dataclass(frozen=True)
class EventStudyEstimate(EffectEstimate):
    """The result of :func:`event_study`: the average effect after the start, and every period.

    ``estimate`` (with its standard error and interval) is the mean of the coefficients of the
    periods from the start on (0, 1, 2 ...), so it stacks with the other designs' results.

    Attributes
    ----------
    periods : DataFrame
        One row per period relative to the start (``事業開始からの時点``; 0 is the first
        period of the programme, -1 the one before): estimate, standard error, interval and
        the treated observations behind it. The reference period is a row with estimate 0
        and no interval (``基準`` is True).
    reference : int
        The period whose coefficient is fixed at 0.
    pretrend_f, pretrend_p : float
        The F statistic and p-value of the joint test that every coefficient before the start
        is 0 (``nan`` with no such period).
    n_leads : int
        Periods before the start that were estimated (the reference period excluded).
    time_label : str
        The Japanese label of the time column (``月``).
    start : str
        The start of the programme in words, or ``""`` when units start at different times.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(40), 8), "t": np.tile(np.arange(8), 40)})
    >>> panel["treated"] = panel["unit"] < 20
    >>> panel["y"] = panel["unit"] + panel["t"] + 3.0 * (panel["treated"] & (panel["t"] >= 4))
    >>> panel["y"] += rng.normal(0, 1, len(panel))
    >>> res = event_study(panel, y="y", time="t", unit="unit", event=4, treated="treated")
    >>> res.periods["事業開始からの時点"].tolist()
    [-4, -3, -2, -1, 0, 1, 2, 3]
    """

    periods: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    reference: int = -1
    pretrend_f: float = math.nan
    pretrend_p: float = math.nan
    n_leads: int = 0
    time_label: str = ""
    start: str = ""

    def _story(self) -> tuple[str, str]:
        label = self._label()
        moved = "増えた" if self.estimate >= 0 else "減った"
        n_post = int((self.periods["事業開始からの時点"] >= 0).sum())
        start = f"({self.start})" if self.start else ""
        found = (
            "イベントスタディは、事業開始の前後の時点ごとに、処置群と比較群の差がどう変わったかを"
            f"推定する方法です。係数は、事業開始{start}の{-self.reference}時点前を基準(0)にした差です。"
            f"事業開始後の{n_post}時点の平均で、処置群の{label}は、比較群と同じ動きをした場合と"
            f"比べて{self.per}{_amount(abs(self.estimate), self.y_unit)}{moved}と推定されます"
            f"({self._ci_text()})。{self._pretrend_text()}"
        )
        assumption = (
            f"この推定は「平行トレンド」の仮定、つまり事業がなければ両群の{label}の平均は同じ幅で"
            "動いていたはずだ、という前提に立っています。また、事業の開始を見越して前から行動が"
            "変わっていた(効果の先取り)場合も、基準の時点がずれて推定が偏ります。plot() で、"
            "事業前の係数が0の近くに並んでいるか確かめてください。"
        )
        return found, assumption

    def _pretrend_text(self) -> str:
        if self.n_leads == 0:
            return "事業前の時点が基準の時点しかないので、事業前の動きは確かめられません。"
        alpha = 1 - self.confidence
        leads = self.periods.loc[self.periods["事業開始からの時点"] < 0].dropna()
        apart = int(((leads["信頼区間(下限)"] > 0) | (leads["信頼区間(上限)"] < 0)).sum())
        test = (
            f"事業前の{self.n_leads}時点の係数がすべて0である、という仮説の検定(F検定)の"
            f"p値は{self.pretrend_p:.3f}です"
            + (
                f"(個別には、{self.n_leads}時点のうち{apart}時点で区間が0を含みません)。"
                if apart
                else "(個別に見ても、区間が0を含まない時点はありません)。"
            )
        )
        if self.pretrend_p >= alpha:
            return test + (
                "事業前の係数は0と両立しており、事業の前に両群の動きがずれていた証拠は"
                "見られません。ただし、これで平行トレンドが正しいと証明されたわけではありません。"
            )
        return test + (
            "事業前の係数は0と両立しません。事業の前から両群の動きがずれていたことになり、"
            "平行トレンドの仮定は疑わしく、事業後の係数にもそのずれが混ざっているおそれがあります。"
        )

    def _html_extra(self) -> str:
        table = self.periods.to_html(index=False, float_format=lambda v: f"{v:,.2f}")
        return f"<p>{html.escape('時点ごとの係数:')}</p>{table}"

    def plot(self, *, ax: Axes | None = None, source: str | None = SOURCE_NOTE) -> Axes:
        """The coefficient of each period relative to the start, with its interval.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when omitted.
        source : str or None
            The note under the chart; ``None`` leaves it out (only for data that are not
            synthetic).

        Returns
        -------
        matplotlib Axes

        Examples
        --------
        >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(20), 6), "t": np.tile(np.arange(6), 20)})
        >>> panel["treated"] = panel["unit"] < 10
        >>> panel["y"] = np.random.default_rng(0).normal(0, 1, len(panel))
        >>> ax = event_study(panel, y="y", time="t", unit="unit", event=3, treated="treated").plot()
        >>> ax.get_xlabel()
        '事業開始からの時点(t、0 = 事業開始)'
        """
        return _plot_event_study(self, ax=ax, source=source)


def event_study(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    unit: str,
    event: Any,
    treated: str | None = None,
    reference: int = -1,
    window: tuple[int, int] | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EventStudyEstimate:
    """Effects by period relative to the start of a programme, with a pre-trend check.

    Fits ``y ~ sum_k D_k + C(unit) + C(time)`` by OLS, where ``D_k`` is 1 for a treated unit
    ``k`` periods after its start (negative ``k``: before it) and ``k = reference`` is left
    out, with standard errors clustered by unit. Like :func:`did`, the unit and time effects
    are swept out first, so the coefficients, standard errors and t intervals (units - 1
    degrees of freedom) equal statsmodels' ``smf.ols(...).fit(cov_type="cluster", ...,
    use_t=True)`` with the dummies. Periods are counted in the values of ``time`` present in
    the data (one month per step for monthly data).

    Parameters
    ----------
    data, y, time, unit, confidence, dictionary, y_unit
        See the package's shared parameters. One row per unit and time.
    event : time value or column name
        When the programme starts: one value of ``time`` (every treated unit starts then;
        ``treated`` says which units are treated), or a column holding each unit's start
        (missing for units never treated).
    treated : str, optional
        A 0/1 (or True/False) column: 1 for units that receive the programme. Needed when
        ``event`` is a time value.
    reference : int
        The period relative to the start whose coefficient is fixed at 0 (the comparison
        point); -1, the period just before the start, by default.
    window : (first, last), optional
        Periods relative to the start to estimate; treated units' rows outside it are left
        out. Every period in the data by default.

    Returns
    -------
    EventStudyEstimate
        ``estimate`` is the mean effect over the periods from the start on; ``periods`` has
        every coefficient; ``pretrend_p`` the p-value of the pre-trend test.

    Raises
    ------
    ParameterError
        With fewer than :data:`MIN_CLUSTERS` units or :data:`MIN_UNITS_PER_GROUP` comparison
        units, a start that is not a time in the data, or no treated observation at the
        reference period.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(60), 10), "t": np.tile(np.arange(10), 60)})
    >>> panel["treated"] = panel["unit"] < 30
    >>> panel["y"] = panel["t"] + 2.0 * (panel["treated"] & (panel["t"] >= 5))
    >>> panel["y"] += rng.normal(0, 1, len(panel))
    >>> res = event_study(panel, y="y", time="t", unit="unit", event=5, treated="treated")
    >>> bool(res.ci_low < 2 < res.ci_high), bool(res.pretrend_p > 0.05)
    (True, True)
    """
    as_column = _is_column(data, event) if isinstance(data, pd.DataFrame) else False
    frame = _prepare(
        data,
        {"y": y, "time": time, "unit": unit, "treated": treated},
        optional={"event": event} if as_column else None,
    )
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    u_codes, u_levels = pd.factorize(frame[unit].to_numpy(), sort=True)
    t_codes, t_levels = pd.factorize(frame[time].to_numpy(), sort=True)
    starts, start_text = _unit_starts(frame, u_codes, u_levels, t_levels, event=event,
                                      time=time, unit=unit, treated=treated)  # fmt: skip
    _check_units(starts, unit)
    rel = t_codes - starts[u_codes]  # nan for units never treated
    keep, window = _window(rel, window, reference)
    notes = _dropped_note(data, frame)
    if not keep.all():
        notes += (f"期間(window={window})の外にある処置群の{int((~keep).sum()):,}行は除きました。",)
        yv, rel, u_codes, t_codes = yv[keep], rel[keep], u_codes[keep], t_codes[keep]
        u_codes = pd.factorize(u_codes, sort=True)[0]
        t_codes = pd.factorize(t_codes, sort=True)[0]
    periods = _periods(rel, reference)
    fit = _fit(yv, rel, periods, u_codes, t_codes)
    table, summary = _summarise(fit, rel, periods, reference, confidence)
    if len(np.unique(starts[~np.isnan(starts)])) > 1:
        notes += (
            "事業の開始時点が単位によって違います。効果が開始時点や経過時間によって大きく違うと、"
            "この方法の係数にはほかの時点の効果が混ざることがあります。",
        )
    label_t, _ = lookup(time, dictionary)
    return _estimate(
        "event_study", summary["fit"], y=(y, dictionary, y_unit), n=(len(yv), len(u_levels)),
        confidence=confidence, cls=EventStudyEstimate, per=_per(unit, time, dictionary),
        periods=table, reference=int(reference), pretrend_f=summary["f"],
        pretrend_p=summary["p"], n_leads=summary["leads"], time_label=label_t,
        start=start_text, groups=(f"処置群の{_unit_noun(unit, dictionary)}", "比較群"),
        notes=notes,
    )  # fmt: skip


def _unit_starts(
    frame: pd.DataFrame,
    u_codes: np.ndarray,
    u_levels: Any,
    t_levels: Any,
    *,
    event: Any,
    time: str,
    unit: str,
    treated: str | None,
) -> tuple[np.ndarray, str]:
    """Each unit's start as a position among the time values (nan: never treated)."""
    series = frame[time]
    if _is_column(frame, event):
        values = frame[event]
        is_treated = values.notna().to_numpy()
        if treated is not None:
            is_treated &= _binary(frame, treated, "treated")
        per_unit = _constant_within(values.where(is_treated), u_codes, u_levels, event, unit, "event")  # fmt: skip
        text = ""
    else:
        if treated is None:
            raise ParameterError(message("evaluate.event_treated_needed", event=repr(event)))
        value = _coerce_time(series, event, "event")
        flags = pd.Series(_binary(frame, treated, "treated").astype(float))
        per_flag = _constant_within(flags, u_codes, u_levels, treated, unit, "treated")
        per_unit = pd.Series([value if f == 1.0 else None for f in per_flag], dtype=object)
        text = _time_text(value)
    starts = np.full(len(u_levels), np.nan)
    given = per_unit.notna().to_numpy()
    if given.any():
        wanted = per_unit[given].tolist()
        try:
            found = pd.Index(t_levels).get_indexer(pd.Index(wanted))
        except (TypeError, ValueError):
            found = np.full(len(wanted), -1)
        if (found < 0).any():
            shown = ", ".join(_time_text(v) for v in list(t_levels[:3])) + (
                f" ... {_time_text(t_levels[-1])}" if len(t_levels) > 3 else ""
            )
            bad = wanted[int(np.flatnonzero(found < 0)[0])]
            raise ParameterError(
                message("evaluate.event_not_a_time", event=repr(bad), time=time, times=shown)
            )
        starts[given] = found
    return starts, text


def _constant_within(
    values: pd.Series, u_codes: np.ndarray, u_levels: Any, column: str, unit: str, name: str
) -> pd.Series:
    """One value per unit (missing allowed); refuses a value that changes within a unit."""
    frame = pd.DataFrame({"u": u_codes, "v": values.to_numpy()})
    counts = frame.groupby("u")["v"].nunique(dropna=False)
    if (counts > 1).any():
        bad = u_levels[int(counts.index[(counts > 1).to_numpy()][0])]
        raise ParameterError(
            message(
                "evaluate.treated_varies", column=column, name=name, unit=unit, example=repr(bad)
            )
        )
    first = frame.groupby("u")["v"].first()
    return first.reindex(range(len(u_levels))).reset_index(drop=True)


def _check_units(starts: np.ndarray, unit: str) -> None:
    if len(starts) < MIN_CLUSTERS:
        raise ParameterError(
            message("evaluate.few_clusters", unit=unit, count=len(starts), minimum=MIN_CLUSTERS)
        )
    never = int(np.isnan(starts).sum())
    if never < MIN_UNITS_PER_GROUP:
        raise ParameterError(
            message("evaluate.no_comparison_units", count=never, minimum=MIN_UNITS_PER_GROUP)
        )


def _window(
    rel: np.ndarray, window: Any, reference: Any
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """Rows to keep (comparison units always) and the checked window."""
    if isinstance(reference, bool) or not isinstance(reference, (int, np.integer)):
        raise ParameterError(
            message(
                "param_type",
                name="reference",
                accepted="事業開始からの時点を表す整数(-1 など)",
                accepted_en="a whole number of periods from the start, such as -1",
                got=repr(reference),
            )
        )
    if window is None:
        return np.ones(len(rel), dtype=bool), None
    ok = (
        isinstance(window, (tuple, list))
        and len(window) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in window)
        and window[0] <= reference <= window[1]
    )
    if not ok:
        raise ParameterError(message("evaluate.window", reference=reference, got=repr(window)))
    lo, hi = int(window[0]), int(window[1])
    keep = np.isnan(rel) | ((rel >= lo) & (rel <= hi))
    return keep, (lo, hi)


def _periods(rel: np.ndarray, reference: int) -> list[int]:
    """The estimated periods: every observed one but the reference."""
    seen = sorted(int(v) for v in np.unique(rel[~np.isnan(rel)]))
    if reference not in seen:
        raise ParameterError(
            message(
                "evaluate.reference_missing",
                reference=reference,
                periods=", ".join(str(v) for v in seen[:20]) + (" ..." if len(seen) > 20 else ""),
            )
        )
    return [k for k in seen if k != reference]


def _fit(
    yv: np.ndarray, rel: np.ndarray, periods: list[int], u_codes: np.ndarray, t_codes: np.ndarray
) -> dict[str, Any]:
    """Coefficients of the period dummies and their clustered covariance (dummy-regression scale)."""
    dummies = np.column_stack([(rel == k).astype(float) for k in periods])
    n_u, n_t = int(u_codes.max()) + 1, int(t_codes.max()) + 1
    swept = _within(np.column_stack([yv, dummies]), u_codes, t_codes, n_u, n_t)
    x = swept[:, 1:]
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ParameterError(message("evaluate.collinear"))
    n, m = len(yv), len(periods)
    k_full = n_u + n_t - 1 + m  # intercept, unit and time dummies but one each, period dummies
    if n <= k_full:
        raise ParameterError(message("evaluate.collinear"))
    ols = OLS(swept[:, 0], x).fit(cov_type="cluster", cov_kwds={"groups": u_codes}, use_t=True)
    # statsmodels scales by (N - 1) / (N - K) with K its m regressors; the dummy regression
    # has K = k_full (see did).
    cov = np.asarray(ols.cov_params()) * (n - m) / (n - k_full)
    return {"beta": np.asarray(ols.params), "cov": cov, "df": float(n_u - 1)}


def _summarise(
    fit: dict[str, Any], rel: np.ndarray, periods: list[int], reference: int, confidence: float
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table of periods, the mean effect after the start and the pre-trend test."""
    beta, cov, df = fit["beta"], fit["cov"], fit["df"]
    se = np.sqrt(np.diag(cov))
    q = float(stats.t.ppf(0.5 + confidence / 2, df))
    counts = {k: int((rel == k).sum()) for k in [*periods, reference]}
    rows = [
        {"事業開始からの時点": k, "推定値": b, "標準誤差": s, "信頼区間(下限)": b - q * s,
         "信頼区間(上限)": b + q * s, "処置群の観測数": counts[k], "基準": False}
        for k, b, s in zip(periods, beta, se, strict=True)
    ]  # fmt: skip
    rows.append(
        {"事業開始からの時点": reference, "推定値": 0.0, "標準誤差": np.nan,
         "信頼区間(下限)": np.nan, "信頼区間(上限)": np.nan,
         "処置群の観測数": counts[reference], "基準": True}
    )  # fmt: skip
    table = pd.DataFrame(rows).sort_values("事業開始からの時点", ignore_index=True)
    post = np.array([k >= 0 for k in periods])
    leads = np.array([k < 0 for k in periods])
    if not post.any():
        raise ParameterError(message("evaluate.reference_missing", reference=reference,
                                     periods=", ".join(str(k) for k in periods)))  # fmt: skip
    weights = post / post.sum()
    est = float(weights @ beta)
    est_se = float(math.sqrt(weights @ cov @ weights))
    f_stat, p_value = math.nan, math.nan
    if leads.any():
        b, v = beta[leads], cov[np.ix_(leads, leads)]
        f_stat = float(b @ np.linalg.solve(v, b)) / int(leads.sum())
        p_value = float(stats.f.sf(f_stat, int(leads.sum()), df))
    summary = {
        "fit": (est, est_se, df, est - q * est_se, est + q * est_se),
        "f": f_stat,
        "p": p_value,
        "leads": int(leads.sum()),
    }
    return table, summary


def _plot_event_study(res: EventStudyEstimate, *, ax: Axes | None, source: str | None) -> Axes:
    ax = new_axes(ax)
    table = res.periods
    est = table.loc[~table["基準"]]
    ref = table.loc[table["基準"]]
    colour = style.PALETTE[0]
    ax.errorbar(
        est["事業開始からの時点"], est["推定値"],
        yerr=[est["推定値"] - est["信頼区間(下限)"], est["信頼区間(上限)"] - est["推定値"]],
        fmt="o", color=colour, ecolor=colour, elinewidth=1.2, capsize=2, markersize=4,
        label=f"推定値と{round(res.confidence * 100)}%信頼区間",
    )  # fmt: skip
    ax.scatter(ref["事業開始からの時点"], ref["推定値"], s=36, facecolors="white",
               edgecolors=colour, zorder=3, label="基準の時点(0に固定)")  # fmt: skip
    ax.axhline(0, color="#555555", linewidth=1)
    ax.axvline(-0.5, color="#555555", linestyle="--", linewidth=1.2, label="事業開始")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    values = np.r_[est["信頼区間(下限)"].to_numpy(), est["信頼区間(上限)"].to_numpy()]
    shown = format_axis(ax.yaxis, res.y_unit, values, absolute=False)
    label_y = res._label()
    ax.set_ylabel(f"{label_y}の差" + (f"({shown})" if shown else ""))
    ax.set_xlabel(f"事業開始からの時点({res.time_label}、0 = 事業開始)")
    ax.set_title("事業開始の前後の効果(事業前は0の近くにあるか)", fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    add_source(ax, source)
    return ax
