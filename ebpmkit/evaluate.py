"""Policy evaluation with honest uncertainty: before/after, group comparison, difference-in-differences.

Each estimator returns an :class:`EffectEstimate`: the estimate, its standard error and
confidence interval, how many observations and units it rests on, the method, and the
assumption that turns the number into an *effect*. ``.table()`` gives one tidy row (results of
several methods stack with ``pd.concat``), ``.reading()`` a plain-Japanese paragraph that says
what the interval means and which assumption the estimate rests on, and a notebook shows both.

The three designs answer the same question with different assumptions:

- :func:`before_after`: the mean change between two periods. An effect only if nothing else
  moved the outcome between the periods (season, business cycle, other policies).
- :func:`compare_groups`: the difference between two groups (Welch's interval). An effect only
  if the groups are comparable, as if assignment had been random.
- :func:`did`: difference-in-differences with unit and time fixed effects, standard errors
  clustered by unit. An effect if the groups would have moved in parallel without the policy
  (parallel trends); :func:`plot_trends` draws the group means over time to judge that.

Shared parameters
-----------------
data : DataFrame
    One row per observation (for a panel: one row per unit and time).
y : str
    The outcome column (numbers; ``True``/``False`` counts as 1/0).
time : str
    The time column (dates, years, fiscal years).
unit : str
    The column that identifies a unit observed repeatedly (household, shop, district).
confidence : float
    Confidence level of the interval, 0.95 by default (95%信頼区間).
dictionary : Dataset or DataFrame, optional
    Where Japanese labels and units of the columns are looked up (``ds`` from
    ``ebpmkit.load``); the built-in data dictionary when omitted.
y_unit : str, optional
    Unit of ``y`` for the reading (``"円"``, ``"人"`` ...) when the dictionary does not know it.

Periods (``period``, ``before`` and ``post``) are given as a 0/1 (or True/False) column name,
a ``(start, end)`` pair (both included; ``None`` leaves an end open), or a single start value
(that time and everything after it). Times may be written as strings: ``"2021-07-01"``.

Examples
--------
>>> import ebpmkit
>>> from ebpmkit import evaluate
>>> ds = ebpmkit.load("urban-ward", scale=0.05, progress=False)  # doctest: +SKIP
>>> panel = ds.household_spending  # doctest: +SKIP
>>> res = evaluate.did(panel, y="local_spending", unit="household_id", time="month",
...                    treated="buyer", post=("2021-07-01", "2021-12-01"))  # doctest: +SKIP
>>> print(res.reading())  # doctest: +SKIP
>>> evaluate.plot_trends(panel, y="local_spending", time="month", hue="buyer",
...                      event=("2021-07-01", "2021-12-01"))  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from scipy import stats
from statsmodels.regression.linear_model import OLS

from ebpmkit import style
from ebpmkit._labels import SOURCE_NOTE, axis_label, check_column, format_axis, lookup
from ebpmkit._plotting import add_source, as_frame, new_axes
from ebpmkit.errors import ParameterError, renamed_parameters

__all__ = [
    "ASSUMPTIONS",
    "MIN_CLUSTERS",
    "MIN_UNITS_PER_GROUP",
    "SOURCE_NOTE",
    "EffectEstimate",
    "before_after",
    "compare_groups",
    "did",
    "plot_trends",
]

#: Fewest units (clusters) :func:`did` accepts: cluster-robust standard errors rest on many
#: independent clusters and are too small, so intervals too narrow, with only a few.
MIN_CLUSTERS = 10

#: Fewest treated units, and fewest comparison units, :func:`did` accepts. With one treated
#: unit, the effect cannot be told apart from that unit's own shocks.
MIN_UNITS_PER_GROUP = 2

#: The assumption each design rests on, in the words of the readings.
ASSUMPTIONS = {
    "before_after": "2つの期間のあいだに、事業以外に結果を動かす変化がなかった",
    "compare_groups": "2つのグループはもともと比べられる(どちらに入るかが、くじ引きのように偶然で決まった)",
    "did": "平行トレンド(事業がなければ、処置群と比較群の平均は同じ幅で動いていた)",
}

_METHODS = {
    "before_after": "前後比較",
    "compare_groups": "グループ比較(Welch)",
    "did": "差の差分析(DiD、二方向固定効果)",
}

_TOL = 1e-13  # convergence of the within transformation on unbalanced panels (relative)
_MAX_SWEEPS = 10_000


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EffectEstimate:
    """One estimate with its uncertainty, the design it comes from and the assumption it needs.

    Attributes
    ----------
    estimate, std_error : float
        The estimate and its standard error, in the unit of ``y``.
    ci_low, ci_high : float
        The confidence interval at ``confidence`` (95% by default).
    n_obs : int
        Rows used.
    n_units : int
        Units used (households, shops ...); each row counts as a unit when no unit was given.
    method : str
        The design, in Japanese (for example 差の差分析).
    assumption : str
        What must hold for the estimate to be the effect of the policy, in Japanese.
    kind : str
        ``"before_after"``, ``"compare_groups"`` or ``"did"``.
    confidence : float
        Confidence level of the interval.
    df : float
        Degrees of freedom of the t distribution behind the interval.
    y, y_label, y_unit : str
        The outcome column, its Japanese label and unit (``"円"``, or ``""`` when unknown).
    per : str
        What one value refers to (for example ``1世帯・1か月あたり``), or ``""``.
    groups : tuple of str
        The two things compared, first minus second: the later and the earlier period, the
        two groups, or the treated and comparison groups.
    means : tuple of float
        The means of the two things compared (before/after and group comparison), or ``()``.
    period : str
        The policy period of a difference-in-differences, in words (``2021年7月〜2021年12月``).
    notes : tuple of str
        Extra remarks for the reading (for example rows left out for missing values).

    Examples
    --------
    >>> r = EffectEstimate(1200.0, 300.0, 600.0, 1800.0, 400, 40, "前後比較", "仮定",
    ...                    kind="before_after", y_label="消費額", y_unit="円")
    >>> r.table()["推定値"].item()
    1200.0
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    n_obs: int
    n_units: int
    method: str
    assumption: str
    kind: str = ""
    confidence: float = 0.95
    df: float = math.inf
    y: str = ""
    y_label: str = ""
    y_unit: str = ""
    per: str = ""
    groups: tuple[str, ...] = ()
    means: tuple[float, ...] = ()
    period: str = ""
    notes: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """One row: method, estimate, standard error, interval, counts and assumption.

        Examples
        --------
        >>> r = EffectEstimate(1.0, 0.5, 0.0, 2.0, 10, 10, "前後比較", "仮定")
        >>> list(r.table().columns)[:4]
        ['手法', '結果', '推定値', '標準誤差']
        """
        return pd.DataFrame(
            {
                "手法": [self.method],
                "結果": [self.y_label or self.y],
                "推定値": [self.estimate],
                "標準誤差": [self.std_error],
                "信頼区間(下限)": [self.ci_low],
                "信頼区間(上限)": [self.ci_high],
                "信頼水準": [_percent(self.confidence)],
                "観測数": [self.n_obs],
                "単位数": [self.n_units],
                "前提": [self.assumption],
            }
        )

    def reading(self) -> str:
        """A plain-Japanese paragraph: what was found, what the interval means, what it assumes.

        Examples
        --------
        >>> r = EffectEstimate(1200.0, 300.0, 600.0, 1800.0, 400, 40, "前後比較", "仮定",
        ...                    kind="before_after", y_label="消費額", y_unit="円",
        ...                    groups=("後", "前"), means=(11200.0, 10000.0))
        >>> "1,200円" in r.reading()
        True
        """
        level = _percent(self.confidence)
        label = self.y_label or self.y or "結果"
        est = _amount(abs(self.estimate), self.y_unit)
        ci = f"{level}信頼区間: {_amount(self.ci_low, self.y_unit)}〜{_amount(self.ci_high, self.y_unit)}"
        per = self.per
        first, second = (self.groups + ("", ""))[:2]
        if self.kind == "did":
            moved = "増えた" if self.estimate >= 0 else "減った"
            found = (
                f"差の差分析(DiD)によると、{first}(処置群)の{label}は、"
                f"事業の期間{f'({self.period})' if self.period else ''}に、"
                f"{second}(比較群)と同じ動きをした場合と比べて{per}{est}{moved}と推定されます"
                f"({ci})。"
            )
            assumption = (
                f"この推定は「平行トレンド」の仮定、つまり事業がなければ両群の{label}の平均は"
                "同じ幅で動いていたはずだ、という前提に立っています。plot_trends で事業前の推移を描き、"
                "2本の線が平行に動いているか確かめてください。"
            )
        elif self.kind == "before_after":
            moved = "増えました" if self.estimate >= 0 else "減りました"
            means = ""
            if len(self.means) == 2:
                means = (
                    f"{second}の{_amount(self.means[1], self.y_unit)}から"
                    f"{first}の{_amount(self.means[0], self.y_unit)}へ、"
                )
            found = f"前後比較では、{label}の平均が{means}{per}{est}{moved}({ci})。"
            assumption = (
                "これを事業の効果と読めるのは「2つの期間のあいだに、事業以外に"
                f"{label}を動かす変化(季節、景気、ほかの施策など)がなかった」場合だけです。"
                "同じ時期にほかの変化があれば、その影響も効果のように見えてしまいます。"
            )
        else:
            moved = "高く" if self.estimate >= 0 else "低く"
            means = ""
            if len(self.means) == 2:
                means = (
                    f"{first}が{_amount(self.means[0], self.y_unit)}、"
                    f"{second}が{_amount(self.means[1], self.y_unit)}で、"
                )
            found = (
                f"グループ比較では、{label}の平均は{means}{first}のほうが{per}{est}{moved}なっています"
                f"({ci})。"
            )
            assumption = (
                "この差を事業の効果と読めるのは「2つのグループがもともと比べられる"
                "(どちらのグループに入るかが、くじ引きのように偶然で決まった)」場合だけです。"
                "自分で選んで参加した人は、参加しなかった人ともともと違うことが多く、"
                "その違いも差に含まれてしまいます。"
            )
        interval = (
            f"{level}信頼区間とは、同じ方法でデータを取り直して区間を作ることを繰り返すと、"
            f"そのうち{level}の回で本当の値を含むように作った幅で、偶然のばらつきによる不確かさを表します。"
        )
        if self.ci_low <= 0 <= self.ci_high:
            zero = "区間が0をまたいでいるので、差がない(0である)可能性も否定できません。"
        else:
            zero = (
                "区間が0を含まないので、偶然のばらつきだけでこの差が出たとは考えにくいと言えます。"
            )
        caveat = "ただし、信頼区間は前提が崩れたときの偏り(バイアス)までは含みません。"
        return "".join([found, interval, zero, assumption, caveat, *self.notes])

    def _repr_html_(self) -> str:
        table = self.table().to_html(
            index=False,
            float_format=lambda v: f"{v:,.2f}",
            formatters={"観測数": "{:,}".format, "単位数": "{:,}".format},
        )
        return (
            f"<div><p><b>{html.escape(self.method)}</b></p>{table}"
            f"<p>{html.escape(self.reading())}</p></div>"
        )


# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------
@renamed_parameters(level="confidence")
def before_after(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    period: Any,
    before: Any = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Mean change of ``y`` from the period before to ``period``, with a confidence interval.

    Parameters
    ----------
    data, y, time, confidence, dictionary, y_unit
        See the module's shared parameters.
    period : column name, (start, end) or start
        The period after the change (the programme's period).
    before : column name, (start, end) or start, optional
        The period to compare with; every time before ``period`` starts when omitted (or the
        rows where the ``period`` column is 0).
    unit : str, optional
        With repeated observations of the same units, compare each unit with itself: the
        change of each unit's mean, averaged over the units observed in both periods (a paired
        comparison). Without it, the two periods' rows are compared as independent samples
        (Welch).

    Returns
    -------
    EffectEstimate
        ``estimate`` is the mean after minus the mean before.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [2020] * 4 + [2021] * 4, "spend": [10, 12, 11, 13, 14, 15, 13, 16]})
    >>> before_after(frame, y="spend", time="year", period=2021).estimate
    3.0
    """
    frame = _prepare(data, {"y": y, "time": time, "unit": unit}, period=period, before=before)
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    (after_mask, after_text), (before_mask, before_text) = _two_periods(frame, time, period, before)
    notes = _dropped_note(data, frame)
    if unit is None:
        fit = _welch(yv[after_mask], yv[before_mask], confidence)
        m1, m0 = float(yv[after_mask].mean()), float(yv[before_mask].mean())
        n_obs = n_units = int(after_mask.sum() + before_mask.sum())
    else:
        keys = frame[unit].to_numpy()
        after = pd.Series(yv[after_mask]).groupby(keys[after_mask]).mean()
        prior = pd.Series(yv[before_mask]).groupby(keys[before_mask]).mean()
        both = after.index.intersection(prior.index)
        if len(both) < 2:
            raise ParameterError(
                f"両方の期間に観測がある単位('{unit}')が{len(both)}個しかありません。"
                "単位ごとの変化を比べるには2個以上必要です。\n"
                f"Only {len(both)} units ('{unit}') are observed in both periods; at least 2 are needed."
            )
        a, b = after.loc[both].to_numpy(), prior.loc[both].to_numpy()
        fit = _paired(a, b, confidence)
        m1, m0 = float(a.mean()), float(b.mean())
        used = (after_mask | before_mask) & np.isin(keys, both.to_numpy())
        n_obs, n_units = int(used.sum()), len(both)
        lone = len(after.index.union(prior.index)) - len(both)
        if lone:
            notes += (f"片方の期間にしか観測がない{lone:,}単位は除きました。",)
    return _estimate(
        "before_after",
        fit,
        y=(y, dictionary, y_unit),
        n=(n_obs, n_units),
        confidence=confidence,
        method=_METHODS["before_after"] + ("(同じ単位どうし)" if unit is not None else ""),
        per=_per(unit, time, dictionary),
        groups=(after_text, before_text),
        means=(m1, m0),
        notes=notes,
    )


def _two_periods(
    frame: pd.DataFrame, time: str, period: Any, before: Any
) -> tuple[tuple[np.ndarray, str], tuple[np.ndarray, str]]:
    """Rows of the policy period and of the period before it, each with its text."""
    after_mask, after_text = _period_mask(frame, time, period, "period")
    if before is None:
        before_mask = _before_default(frame, time, period, after_mask)
        before_text = _range_text(frame[time][before_mask]) if before_mask.any() else ""
    else:
        before_mask, before_text = _period_mask(frame, time, before, "before")
    if (after_mask & before_mask).any():
        raise ParameterError(
            "引数 'period' と 'before' の期間が重なっています。重ならない2つの期間を指定してください。\n"
            "The 'period' and 'before' periods overlap; give two periods that do not."
        )
    for mask, name in ((after_mask, "period"), (before_mask, "before")):
        if mask.sum() < 2:
            where = (
                f"引数 '{name}' の期間"
                if name == "period" or before is not None
                else ("引数 'period' より前の期間")
            )
            raise ParameterError(
                f"{where}に当たる行が{int(mask.sum())}行しかありません。"
                "比べるには各期間に2行以上必要です。期間の指定を確かめてください。\n"
                f"The '{name}' period has {int(mask.sum())} rows; each period needs at least 2."
            )
    return (after_mask, after_text), (before_mask, before_text)


@renamed_parameters(level="confidence")
def compare_groups(
    data: pd.DataFrame,
    *,
    y: str,
    group: str,
    groups: tuple[Any, Any] | None = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Difference in the mean of ``y`` between two groups, with Welch's confidence interval.

    Parameters
    ----------
    data, y, confidence, dictionary, y_unit
        See the module's shared parameters.
    group : str
        The column naming each row's group.
    groups : (first, second), optional
        The two values of ``group`` to compare, first minus second. Needed when ``group``
        has more than two values; by default True minus False (1 minus 0) for a yes/no
        column, otherwise the first value minus the second in sorted order.
    unit : str, optional
        With repeated observations of the same units, each unit's mean is taken first, so a
        household observed for six months counts once, not six times.

    Returns
    -------
    EffectEstimate
        ``estimate`` is the mean of the first group minus that of the second.

    Examples
    --------
    >>> frame = pd.DataFrame({"g": ["A", "A", "A", "B", "B", "B"], "spend": [5, 6, 7, 1, 2, 3]})
    >>> compare_groups(frame, y="spend", group="g").estimate
    4.0
    """
    frame = _prepare(data, {"y": y, "group": group, "unit": unit})
    confidence = _check_level(confidence)
    _numeric_y(frame, y)
    notes = _dropped_note(data, frame)
    label_g, _ = lookup(group, dictionary)
    first, second = _two_levels(frame, group, groups)
    frame = frame.loc[frame[group].isin([first, second]).to_numpy()].reset_index(drop=True)
    yv = _numeric_y(frame, y)
    if unit is not None:
        varies = frame.groupby(unit, observed=True)[group].nunique()
        if (varies > 1).any():
            raise ParameterError(
                f"列 '{group}' の値が、同じ単位('{unit}')のなかで変わっています"
                f"(例: {unit} = {varies.index[varies > 1][0]!r})。単位ごとに1つのグループに属する"
                "データで比べてください。\n"
                f"The column '{group}' changes within a unit ('{unit}'); each unit must belong to one group."
            )
        means = pd.Series(yv).groupby(frame[unit].to_numpy()).mean()
        labels = frame.groupby(unit, observed=True)[group].first().loc[means.index]
        a = means.to_numpy()[(labels == first).to_numpy()]
        b = means.to_numpy()[(labels == second).to_numpy()]
    else:
        a = yv[(frame[group] == first).to_numpy()]
        b = yv[(frame[group] == second).to_numpy()]
    for values, value in ((a, first), (b, second)):
        if len(values) < 2:
            raise ParameterError(
                f"グループ {value!r} の{'単位' if unit else '行'}が{len(values)}個しかありません。"
                "比べるには各グループに2個以上必要です。\n"
                f"Group {value!r} has {len(values)} {'units' if unit else 'rows'}; at least 2 are needed."
            )
    return _estimate(
        "compare_groups",
        _welch(a, b, confidence),
        y=(y, dictionary, y_unit),
        n=(len(frame), len(a) + len(b)),
        confidence=confidence,
        groups=(_level_name(label_g, first), _level_name(label_g, second)),
        means=(float(a.mean()), float(b.mean())),
        notes=notes,
    )


@renamed_parameters(level="confidence")
def did(
    data: pd.DataFrame,
    *,
    y: str,
    unit: str,
    time: str,
    treated: str,
    post: Any,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> EffectEstimate:
    """Difference-in-differences with unit and time fixed effects, errors clustered by unit.

    Fits ``y ~ treated:post + C(unit) + C(time)`` by OLS. The unit and time effects are swept
    out first (the within transformation; by the Frisch-Waugh-Lovell theorem the coefficient
    and residuals are those of the regression with dummies), then statsmodels fits the
    remaining one-regressor model with standard errors clustered by unit. The small-sample
    factor is that of the dummy regression, so estimate, standard error and interval equal
    statsmodels' ``smf.ols(f"{y} ~ d + C({unit}) + C({time})").fit(cov_type="cluster", ...,
    use_t=True)``; the interval uses a t distribution with (units - 1) degrees of freedom.

    Parameters
    ----------
    data, y, unit, time, confidence, dictionary, y_unit
        See the module's shared parameters. The panel may be unbalanced.
    treated : str
        A 0/1 (or True/False) column: 1 for units in the treated group. It must not change
        within a unit.
    post : column name, (start, end) or start
        When the policy is in effect. Times outside it (before, and after it ends) are the
        comparison periods.

    Returns
    -------
    EffectEstimate
        ``estimate`` is the average effect on the treated group per unit and time in ``post``.

    Raises
    ------
    ParameterError
        With fewer than :data:`MIN_CLUSTERS` units, fewer than :data:`MIN_UNITS_PER_GROUP`
        treated or comparison units, or no observation before or during ``post``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(40), 4), "t": np.tile(np.arange(4), 40)})
    >>> panel["treated"] = panel["unit"] < 20
    >>> panel["y"] = panel["unit"] + panel["t"] + 5.0 * (panel["treated"] & (panel["t"] >= 2))
    >>> panel["y"] += rng.normal(0, 1, len(panel))
    >>> res = did(panel, y="y", unit="unit", time="t", treated="treated", post=2)
    >>> bool(res.ci_low < 5 < res.ci_high)
    True
    """
    frame = _prepare(data, {"y": y, "unit": unit, "time": time, "treated": treated}, post=post)
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    treat = _binary(frame, treated, "treated")
    post_mask, post_text = _period_mask(frame, time, post, "post")
    u_codes, u_levels = pd.factorize(frame[unit].to_numpy(), sort=True)
    t_codes, t_levels = pd.factorize(frame[time].to_numpy(), sort=True)
    panel = _Panel(u_codes, t_codes, len(u_levels), len(t_levels), len(frame))
    treated_units = _check_did_groups(treat, u_codes, u_levels, unit=unit, treated=treated)
    _check_did_periods(treat, post_mask)
    est, se, df = _twfe_effect(yv, (treat & post_mask).astype(float), panel)
    fit = (est, se, df, *_interval(est, se, df, confidence))
    label_t, _ = lookup(treated, dictionary)
    noun = _unit_noun(unit, dictionary)
    notes = _dropped_note(data, frame) + (
        f"処置群は{treated_units:,}{noun}、比較群は{panel.n_units - treated_units:,}{noun}、"
        f"時点は{panel.n_times:,}個({_range_text(frame[time])})です。",
    )
    return _estimate(
        "did",
        fit,
        y=(y, dictionary, y_unit),
        n=(panel.n_obs, panel.n_units),
        confidence=confidence,
        per=_per(unit, time, dictionary),
        groups=(label_t, f"{label_t}以外"),
        period=post_text,
        notes=notes,
    )


def _estimate(
    kind: str,
    fit: tuple[float, ...],
    *,
    y: tuple[str, Any, str | None],
    n: tuple[int, int],
    confidence: float,
    **details: Any,
) -> EffectEstimate:
    """The result every estimator returns: ``fit`` is (estimate, SE, df, low, high)."""
    est, se, df, lo, hi = fit
    column, dictionary, y_unit = y
    label, unit_of_y = _label_unit(column, dictionary, y_unit)
    details.setdefault("method", _METHODS[kind])
    return EffectEstimate(
        estimate=est,
        std_error=se,
        ci_low=lo,
        ci_high=hi,
        n_obs=n[0],
        n_units=n[1],
        assumption=ASSUMPTIONS[kind],
        kind=kind,
        confidence=confidence,
        df=df,
        y=column,
        y_label=label,
        y_unit=unit_of_y,
        **details,
    )


@dataclass(frozen=True)
class _Panel:
    """Integer codes of each row's unit and time, and the panel's size."""

    u_codes: np.ndarray
    t_codes: np.ndarray
    n_units: int
    n_times: int
    n_obs: int


def _check_did_groups(
    treat: np.ndarray, u_codes: np.ndarray, u_levels: Any, *, unit: str, treated: str
) -> int:
    """Each unit is treated or not throughout, with enough units of each; return the treated."""
    per_unit = pd.Series(treat).groupby(u_codes).agg(["min", "max"])
    if (per_unit["min"] != per_unit["max"]).any():
        bad = u_levels[int(per_unit.index[(per_unit["min"] != per_unit["max"]).to_numpy()][0])]
        raise ParameterError(
            f"列 '{treated}' の値が、同じ単位のなかで変わっています(例: {unit} = {bad!r})。"
            f"'{treated}' には、単位が処置群なら1(True)、比較群なら0(False)を、すべての時点で同じ値で"
            "入れてください。事業の期間は引数 'post' で指定します。\n"
            f"The column '{treated}' changes within a unit ({unit} = {bad!r}); it must mark treated "
            "units with the same value at every time. Give the policy period with 'post'."
        )
    n_units = len(u_levels)
    treated_units = int(per_unit["max"].sum())
    if n_units < MIN_CLUSTERS:
        raise ParameterError(
            f"単位('{unit}')が{n_units}個しかありません。単位ごとにまとめた(クラスタ化した)"
            f"標準誤差は単位が少ないと小さく出すぎるため、{MIN_CLUSTERS}個以上の単位が必要です。\n"
            f"There are only {n_units} units ('{unit}'); standard errors clustered by unit need "
            f"at least {MIN_CLUSTERS}."
        )
    for count, name_ja, name_en in (
        (treated_units, "処置群", "treated"),
        (n_units - treated_units, "比較群", "comparison"),
    ):
        if count < MIN_UNITS_PER_GROUP:
            raise ParameterError(
                f"{name_ja}の単位('{treated}' が{'1' if name_en == 'treated' else '0'}の単位)が"
                f"{count}個しかありません。これでは、事業の効果とその単位に固有の変動を"
                f"区別できません。{name_ja}には{MIN_UNITS_PER_GROUP}個以上の単位が必要です。\n"
                f"There are only {count} {name_en} units; the effect cannot be told apart from "
                f"one unit's own shocks. At least {MIN_UNITS_PER_GROUP} are needed."
            )
    return treated_units


def _check_did_periods(treat: np.ndarray, post_mask: np.ndarray) -> None:
    """Treated units are seen in and outside the policy period, comparison units in it."""
    if not (treat & post_mask).any() or not (treat & ~post_mask).any():
        which = "期間中" if not (treat & post_mask).any() else "期間外(事業前など)"
        raise ParameterError(
            f"処置群に、引数 'post' で指定した事業の{which}の観測がありません。"
            "差の差分析には、事業の期間中と期間外の両方の観測が必要です。期間の指定を確かめてください。\n"
            "The treated group has no observations "
            f"{'in' if which == '期間中' else 'outside'} the 'post' period; both are needed."
        )
    if not post_mask[~treat].any():
        raise ParameterError(
            "比較群に、事業の期間中の観測がありません。比較群の同じ時期の動きが、差の差分析の基準になります。\n"
            "The comparison group has no observations in the 'post' period."
        )


def _twfe_effect(yv: np.ndarray, d: np.ndarray, panel: _Panel) -> tuple[float, float, float]:
    """Two-way fixed effects estimate of ``d``'s coefficient, SE clustered by unit, and df."""
    k_full = panel.n_units + panel.n_times  # intercept, unit and time dummies but one each, d
    if panel.n_obs <= k_full:
        raise ParameterError(
            f"観測が{panel.n_obs}行しかなく、単位と時点の効果({k_full}個)を推定するには足りません。\n"
            f"There are {panel.n_obs} rows, too few for {k_full} unit and time effects."
        )
    stacked = _within(
        np.column_stack([yv, d]), panel.u_codes, panel.t_codes, panel.n_units, panel.n_times
    )
    fit = OLS(stacked[:, 0], stacked[:, 1:]).fit(
        cov_type="cluster", cov_kwds={"groups": panel.u_codes}, use_t=True
    )
    # statsmodels scales the cluster covariance by G/(G-1) * (N-1)/(N-K) with K its regressors
    # (1 here); the dummy regression has K = units + times.
    se = float(fit.bse[0]) * math.sqrt((panel.n_obs - 1) / (panel.n_obs - k_full))
    return float(fit.params[0]), se, float(panel.n_units - 1)


# --------------------------------------------------------------------------------------------
# Parallel trends chart
# --------------------------------------------------------------------------------------------
@renamed_parameters(group="hue")
def plot_trends(
    data: pd.DataFrame,
    *,
    y: str,
    time: str,
    hue: str,
    ax: Axes | None = None,
    event: Any = None,
    band: bool = True,
    dictionary: Any = None,
    source: str | None = SOURCE_NOTE,
) -> Axes:
    """Mean of ``y`` over time, one line per group, with the start of the policy marked.

    Draw this before trusting a difference-in-differences: before the policy starts, the
    lines should move in parallel (the gap between them may be large, but it should stay
    about the same).

    Parameters
    ----------
    data, y, time, dictionary
        See the module's shared parameters.
    hue : str
        One line per value of this column (at most 8), e.g. the treated/comparison column.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    event : start or (start, end), optional
        The start of the policy (a dashed line) or its period (a shaded span).
    band : bool
        Shade the 95% confidence interval of each mean.
    source : str or None
        The note under the chart; ``None`` leaves it out (only for data that are not synthetic).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> frame = pd.DataFrame({"fiscal_year": [2019, 2020, 2021] * 2,
    ...                       "g": [True] * 3 + [False] * 3, "spend": [10, 11, 15, 8, 9, 10]})
    >>> ax = plot_trends(frame, y="spend", time="fiscal_year", hue="g", event=2021)
    >>> ax.get_xlabel()
    '年度'
    """
    frame = _prepare(data, {"y": y, "time": time, "hue": hue})
    yv = _numeric_y(frame, y)
    ax = new_axes(ax)
    levels, binary = _plot_levels(frame[hue])
    if len(levels) > len(style.PALETTE):
        raise ParameterError(
            f"列 '{hue}' には{len(levels)}個の値があり、色で見分けられる{len(style.PALETTE)}個を"
            "超えています。比べたいグループに絞ってください。\n"
            f"The column '{hue}' has {len(levels)} values; at most {len(style.PALETTE)} can be told apart."
        )
    label_g, _ = lookup(hue, dictionary)
    label_y, unit_y = lookup(y, dictionary)
    is_date = pd.api.types.is_datetime64_any_dtype(frame[time])
    stats_ = (
        pd.DataFrame({"g": frame[hue].to_numpy(), "t": frame[time].to_numpy(), "y": yv})
        .groupby(["g", "t"], sort=True)["y"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    for colour, value in zip(style.PALETTE, levels, strict=False):
        part = stats_.loc[stats_["g"] == value]
        x = part["t"].to_numpy()
        mean = part["mean"].to_numpy()
        name = _legend_label(value, binary)
        ax.plot(x, mean, marker="o", markersize=3, color=colour, label=name)
        if band:
            half = 1.96 * (part["std"] / np.sqrt(part["count"])).fillna(0).to_numpy()
            ax.fill_between(x, mean - half, mean + half, color=colour, alpha=0.18, linewidth=0)
    if event is not None:
        _mark_event(ax, frame, time, event)
    shown = format_axis(ax.yaxis, unit_y, stats_["mean"].to_numpy())
    ax.set_ylabel(f"{label_y}の平均" + (f"({shown})" if shown else ""))
    ax.set_xlabel(axis_label(time, dictionary))
    if is_date:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_month_tick))
    elif pd.api.types.is_integer_dtype(frame[time]):
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_title(
        "グループ別の平均の推移" + ("(帯は95%信頼区間)" if band else ""), fontsize="medium"
    )
    ax.legend(title=label_g, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    add_source(ax, source)
    return ax


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _prepare(data: Any, columns: dict[str, str | None], **periods: Any) -> pd.DataFrame:
    """Check the named columns exist; drop rows with a missing value in any of them."""
    frame = as_frame(data)
    used: list[str] = []
    for parameter, column in columns.items():
        if column is None:
            continue
        check_column(frame, column, parameter)
        used.append(column)
    for spec in periods.values():
        if _is_column(frame, spec):
            used.append(spec)
    used = list(dict.fromkeys(used))
    subset = frame[used]
    keep = subset.notna().all(axis=1).to_numpy()
    if keep.all():
        return frame[used].reset_index(drop=True)
    return frame.loc[keep, used].reset_index(drop=True)


def _dropped_note(data: Any, frame: pd.DataFrame) -> tuple[str, ...]:
    dropped = len(data) - len(frame)
    if dropped <= 0:
        return ()
    return (f"欠けている値(欠損値)のある{dropped:,}行は除いて計算しました。",)


def _check_level(level: Any) -> float:
    ok = isinstance(level, (int, float, np.floating)) and not isinstance(level, bool)
    if ok and 0 < level < 1:
        return float(level)
    raise ParameterError(
        f"引数 'confidence'(信頼水準)は0より大きく1より小さい値で指定してください({level!r} が渡されました)。"
        "95%信頼区間なら 0.95 です。\n"
        f"The 'confidence' parameter must be between 0 and 1 (exclusive), got {level!r}; use 0.95 for 95%."
    )


def _numeric_y(frame: pd.DataFrame, y: str) -> np.ndarray:
    series = frame[y]
    if not pd.api.types.is_numeric_dtype(series):
        example = series.iloc[0] if len(series) else ""
        raise ParameterError(
            f"列 '{y}'(引数 'y')は数値の列ではありません(型: {series.dtype}、例: {example!r})。"
            "平均や差を計算できるのは数値の列だけです。数字が文字として読み込まれているなら、"
            f"pd.to_numeric(data['{y}']) で数値に変換してください。\n"
            f"The column '{y}' (passed as 'y') is not numeric (dtype {series.dtype}); "
            "convert it with pd.to_numeric or choose a numeric column."
        )
    if len(series) == 0:
        raise ParameterError(
            f"列 '{y}' に使える値がありません(すべて欠損値か、行がありません)。\n"
            f"The column '{y}' has no usable values."
        )
    return series.to_numpy(dtype=float)


def _binary(frame: pd.DataFrame, column: str, parameter: str) -> np.ndarray:
    """A 0/1 or True/False column as a boolean array; anything else is refused."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=bool)
    values = pd.unique(series.to_numpy())
    if pd.api.types.is_numeric_dtype(series) and set(np.asarray(values, dtype=float)) <= {0.0, 1.0}:
        return series.to_numpy(dtype=float) == 1.0
    shown = ", ".join(repr(v) for v in list(values)[:5]) + (" ..." if len(values) > 5 else "")
    raise ParameterError(
        f"列 '{column}'(引数 '{parameter}')には0か1(または True か False)だけを入れてください"
        f"(入っている値: {shown})。たとえば data['{column}'] == '対象' のように比較して、"
        "True/False の列を作ってから渡してください。\n"
        f"The column '{column}' (passed as '{parameter}') must hold only 0/1 or True/False, "
        f"but it holds {shown}."
    )


def _is_column(frame: pd.DataFrame, spec: Any) -> bool:
    if isinstance(spec, (tuple, list, dict, set)) or spec is None:
        return False
    try:
        return spec in frame.columns
    except TypeError:
        return False


def _coerce_time(series: pd.Series, value: Any, parameter: str) -> Any:
    if value is None:
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        try:
            if isinstance(value, (bool, int, float, np.number)):
                raise TypeError  # pd.Timestamp(2021) would be nanoseconds after 1970
            return pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ParameterError(
                f"引数 '{parameter}' の {value!r} を日付として読めません。"
                "'2021-07-01' のように年-月-日で書いてください。\n"
                f"The value {value!r} in '{parameter}' is not a date; write it like '2021-07-01'."
            ) from None
    if pd.api.types.is_numeric_dtype(series):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ParameterError(
                f"引数 '{parameter}' の {value!r} は、時点の列 '{series.name}' と同じ数値で"
                f"指定してください(例: {series.iloc[0]!r})。列名のつもりなら、その列はデータにありません。\n"
                f"The value {value!r} in '{parameter}' must be a number like the time column "
                f"'{series.name}' (e.g. {series.iloc[0]!r}); if it is a column name, the data has no such column."
            )
    return value


def _period_mask(
    frame: pd.DataFrame, time: str, spec: Any, parameter: str
) -> tuple[np.ndarray, str]:
    """Rows in a period given as a 0/1 column, a (start, end) pair or a start."""
    if _is_column(frame, spec):
        mask = _binary(frame, spec, parameter)
        return mask, f"「{lookup(spec)[0]}」が1の時点"
    series = frame[time]
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2 or (spec[0] is None and spec[1] is None):
            raise ParameterError(
                f"引数 '{parameter}' には (開始, 終了) の2つの時点を指定してください"
                f"({spec!r} が渡されました)。\n"
                f"The '{parameter}' parameter must be a (start, end) pair, but {spec!r} was passed."
            )
        start, end = (_coerce_time(series, v, parameter) for v in spec)
    else:
        start, end = _coerce_time(series, spec, parameter), None
    mask = np.ones(len(series), dtype=bool)
    try:
        if start is not None:
            mask &= (series >= start).to_numpy()
        if end is not None:
            mask &= (series <= end).to_numpy()
    except TypeError:
        raise ParameterError(
            f"引数 '{parameter}' の {spec!r} は、時点の列 '{time}' の値と比べられません"
            f"(例: {series.iloc[0]!r})。同じ形式で指定してください。\n"
            f"The '{parameter}' value {spec!r} cannot be compared with the time column '{time}'."
        ) from None
    if end is None:
        text = f"{_time_text(start)}以降"
    elif start is None:
        text = f"{_time_text(end)}まで"
    else:
        text = f"{_time_text(start)}〜{_time_text(end)}"
    if not mask.any():
        raise ParameterError(
            f"引数 '{parameter}' の期間({text})に当たる行がありません。"
            f"時点の列 '{time}' は {_time_text(series.min())}〜{_time_text(series.max())} です。\n"
            f"No rows fall in the '{parameter}' period {spec!r}; the time column '{time}' runs "
            f"from {series.min()!r} to {series.max()!r}."
        )
    return mask, text


def _before_default(frame: pd.DataFrame, time: str, period: Any, after: np.ndarray) -> np.ndarray:
    if _is_column(frame, period):
        return ~after
    series = frame[time]
    start = series[after].min()
    return (series < start).to_numpy()


def _two_levels(frame: pd.DataFrame, group: str, groups: Any) -> tuple[Any, Any]:
    series = frame[group]
    present = list(pd.unique(series.to_numpy()))
    if groups is not None:
        if not isinstance(groups, (tuple, list)) or len(groups) != 2:
            raise ParameterError(
                f"引数 'groups' には比べる2つの値を (a, b) の形で指定してください({groups!r} が渡されました)。\n"
                f"The 'groups' parameter must be a pair (a, b), but {groups!r} was passed."
            )
        for value in groups:
            if value not in present:
                shown = ", ".join(repr(v) for v in _sorted(present))
                raise ParameterError(
                    f"列 '{group}' に値 {value!r} はありません。ある値: {shown}\n"
                    f"The column '{group}' has no value {value!r}. It has: {shown}"
                )
        return groups[0], groups[1]
    if len(present) != 2:
        shown = ", ".join(repr(v) for v in _sorted(present)[:10])
        raise ParameterError(
            f"列 '{group}' には{len(present)}種類の値があります({shown})。比べる2つを "
            f"groups=(a, b) で指定してください。\n"
            f"The column '{group}' has {len(present)} values ({shown}); pass the two to compare "
            "as groups=(a, b)."
        )
    if pd.api.types.is_bool_dtype(series) or set(present) <= {0, 1}:
        return (True, False) if pd.api.types.is_bool_dtype(series) else (1, 0)
    ordered = (
        _sorted(present)
        if not isinstance(series.dtype, pd.CategoricalDtype)
        else [c for c in series.cat.categories if c in present]
    )
    return ordered[0], ordered[1]


def _sorted(values: list[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _plot_levels(series: pd.Series) -> tuple[list[Any], bool]:
    """Levels in legend order, and whether the column is a yes/no (0/1) column."""
    present = list(pd.unique(series.to_numpy()))
    if pd.api.types.is_bool_dtype(series) or (
        pd.api.types.is_numeric_dtype(series) and set(present) <= {0, 1}
    ):
        return sorted(present, reverse=True), True  # the treated group first
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in present], False
    return _sorted(present), False


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------
def _paired(after: np.ndarray, prior: np.ndarray, confidence: float) -> tuple[float, ...]:
    """The mean change of the same units (a one-sample t test on the changes, by scipy)."""
    change = after - prior
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # identical changes: see _welch
        test = stats.ttest_1samp(change, 0.0)
        interval = test.confidence_interval(confidence)
    df = float(test.df)
    se = float(change.std(ddof=1) / math.sqrt(len(change)))
    return float(change.mean()), se, df, float(interval.low), float(interval.high)


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, ...]:
    """Welch's t test of mean(a) - mean(b), by scipy: estimate, std. error, df, interval."""
    with warnings.catch_warnings():
        # Identical values in both groups (a learner's toy example) make scipy warn about
        # precision; the interval is then (0, 0), which the reading explains.
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_ind(a, b, equal_var=False)
        interval = test.confidence_interval(confidence)
    low, high, df = float(interval.low), float(interval.high), float(test.df)
    # scipy keeps the standard error private; the interval is estimate +/- t * se.
    se = (high - low) / 2 / float(stats.t.ppf(0.5 + confidence / 2, df))
    return float(np.mean(a) - np.mean(b)), se, df, low, high


def _interval(est: float, se: float, df: float, level: float) -> tuple[float, float]:
    q = float(stats.t.ppf(0.5 + level / 2, df))
    return est - q * se, est + q * se


def _within(values: np.ndarray, u: np.ndarray, t: np.ndarray, n_u: int, n_t: int) -> np.ndarray:
    """Sweep unit and time means out of each column (two-way within transformation).

    Exact double demeaning for a balanced panel (each unit once at each time); alternating
    projections until convergence otherwise.
    """
    values = np.asarray(values, dtype=float)
    count_u = np.bincount(u, minlength=n_u).astype(float)
    count_t = np.bincount(t, minlength=n_t).astype(float)

    def means(codes: np.ndarray, counts: np.ndarray, x: np.ndarray) -> np.ndarray:
        return (
            np.column_stack(
                [
                    np.bincount(codes, weights=x[:, j], minlength=len(counts))
                    for j in range(x.shape[1])
                ]
            )
            / counts[:, None]
        )

    cells = u.astype(np.int64) * n_t + t
    balanced = len(values) == n_u * n_t and len(np.unique(cells)) == len(values)
    if balanced:
        return (
            values
            - means(u, count_u, values)[u]
            - means(t, count_t, values)[t]
            + values.mean(axis=0)
        )
    scale = np.abs(values).max(axis=0) + 1.0
    out = values - values.mean(axis=0)
    for _ in range(_MAX_SWEEPS):
        out = out - means(u, count_u, out)[u]
        out = out - means(t, count_t, out)[t]
        if (np.abs(means(u, count_u, out)).max(axis=0) <= _TOL * scale).all():
            return out
    raise ParameterError(
        "単位と時点の効果を取り除く計算が収束しませんでした。単位ごとの観測時点がばらばらすぎる"
        "可能性があります。観測の少ない単位や時点を除いてください。\n"
        "Sweeping out unit and time effects did not converge; the panel is too unbalanced."
    )


# --------------------------------------------------------------------------------------------
# Words and numbers
# --------------------------------------------------------------------------------------------
def _label_unit(y: str, dictionary: Any, y_unit: str | None) -> tuple[str, str]:
    label, unit = lookup(y, dictionary)
    return label, unit if y_unit is None else y_unit


def _unit_noun(unit: str, dictionary: Any) -> str:
    """``世帯`` for a column labelled 世帯ID; ``単位`` when the label says nothing."""
    label, _ = lookup(unit, dictionary)
    for suffix in ("ID", "番号", "コード"):
        if label.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)]
    return "単位"


def _per(unit: str | None, time: str | None, dictionary: Any) -> str:
    """``1世帯・1か月あたり`` from the unit's and time's labels, as far as they are known."""
    parts = []
    if unit is not None and (noun := _unit_noun(unit, dictionary)) != "単位":
        parts.append(f"1{noun}")
    if time is not None:
        label, _ = lookup(time, dictionary)
        parts.append({"月": "1か月", "年": "1年", "年度": "1年度"}.get(label, "1時点"))
    return "・".join(parts) + "あたり" if parts else ""


def _level_name(label: str, value: Any) -> str:
    if isinstance(value, (bool, np.bool_, int, np.integer)) and value in (0, 1):
        return label if bool(value) else f"{label}以外"
    return f"{label}が「{value}」"


def _legend_label(value: Any, binary: bool) -> str:
    if binary:
        return "はい" if bool(value) else "いいえ"
    return str(value)


def _percent(level: float) -> str:
    text = f"{level * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _amount(value: float, unit: str) -> str:
    """``1,234円``: yen and large values as whole numbers, small ones to three digits."""
    if value is None or not np.isfinite(value):
        return "-"
    a = abs(value)
    if unit in ("円", "人", "世帯", "件") or a >= 100:
        text = f"{value:,.0f}"
    elif a >= 10:
        text = f"{value:,.1f}"
    elif a >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    if text in ("-0", "-0.0"):
        text = "0"
    return f"{text}{unit}"


def _time_text(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(value)
        return f"{ts.year}年{ts.month}月" if ts.day == 1 else f"{ts.year}年{ts.month}月{ts.day}日"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _range_text(series: pd.Series) -> str:
    low, high = series.min(), series.max()
    return _time_text(low) if low == high else f"{_time_text(low)}〜{_time_text(high)}"


def _month_tick(x: float, pos: int | None = None) -> str:
    d = mdates.num2date(x)
    return f"{d.year}年{d.month}月"


def _mark_event(ax: Axes, frame: pd.DataFrame, time: str, event: Any) -> None:
    series = frame[time]
    if isinstance(event, (tuple, list)):
        if len(event) != 2:
            raise ParameterError(
                f"引数 'event' には開始時点か (開始, 終了) を指定してください({event!r} が渡されました)。\n"
                f"The 'event' parameter must be a start or a (start, end) pair, but {event!r} was passed."
            )
        start, end = (_coerce_time(series, v, "event") for v in event)
        ax.axvspan(start, end, color="#999999", alpha=0.2, linewidth=0, label="事業期間")
    else:
        start = _coerce_time(series, event, "event")
        ax.axvline(start, color="#555555", linestyle="--", linewidth=1.2, label="事業開始")
    ax.annotate(
        "事業開始",
        xy=(start, 1),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=style.note_size(),
        color="#333333",
    )
