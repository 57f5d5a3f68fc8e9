"""From an effect to a decision: cost per unit of outcome, and the size a pilot needs.

:func:`cost_effectiveness` divides what a programme costs by what it achieved (an estimate
from this package, or a number with its standard error) and carries the estimate's
uncertainty over to the ratio. :func:`sample_size` says how many units each group of a pilot
needs for a two-group comparison to detect an effect of a given size (statsmodels' power of
the two-sample t test).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from ebpmkit.errors import ParameterError, check_choice
from ebpmkit.evaluate._checks import _check_level
from ebpmkit.evaluate._result import EffectEstimate
from ebpmkit.evaluate._words import _amount, _label_unit, _percent
from ebpmkit.messages import message

__all__ = ["CostEffectiveness", "SampleSize", "cost_effectiveness", "sample_size"]

_CE_METHODS = {"fieller": "フィラー法", "delta": "デルタ法"}


# --------------------------------------------------------------------------------------------
# Cost per unit of outcome
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostEffectiveness:
    """Cost per unit of outcome, with its interval: the result of :func:`cost_effectiveness`.

    Attributes
    ----------
    estimate : float
        ``cost`` divided by the size of the effect: what one unit of outcome costs (one unit
        more, or less when the effect is a decrease).
    std_error : float
        The delta method's standard error of the ratio (``nan`` with Fieller's interval).
    ci_low, ci_high : float
        The interval of the cost per unit; ``ci_high`` is ``inf`` when the effect's interval
        includes 0 (the ratio is then unbounded).
    confidence : float
        Confidence level of the interval.
    method : str
        ``"fieller"`` or ``"delta"``.
    bounded : bool
        False when the effect's interval includes 0.
    cost, effect, effect_std_error : float
        The cost per unit the effect refers to, the effect and its standard error.
    effect_ci_low, effect_ci_high : float
        The effect's interval at ``confidence``. When it includes 0, the whole set of costs
        per unit the data allow (Fieller's) is every cost per unit increase from ``cost /
        effect_ci_high`` up and every cost per unit decrease from ``cost / -effect_ci_low``
        up; ``ci_low`` and ``ci_high`` show the part on the estimate's side.
    effect_label, effect_unit, cost_unit, per : str
        The outcome's Japanese label and unit, the cost's unit (円) and what one value refers
        to (``1世帯あたり``).
    assumption : str
        What must hold for the ratio to mean what it says, in Japanese.
    notes : tuple of str
        Extra remarks for the reading.

    Examples
    --------
    >>> ce = cost_effectiveness(5000, 2.0, std_error=0.5)
    >>> ce.estimate
    2500.0
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str
    bounded: bool
    cost: float
    effect: float
    effect_std_error: float
    effect_ci_low: float = math.nan
    effect_ci_high: float = math.nan
    effect_label: str = ""
    effect_unit: str = ""
    cost_unit: str = "円"
    per: str = ""
    assumption: str = (
        "効果の推定が偏っていない(その推定の前提が成り立つ)こと、費用は確定した額であること"
    )
    notes: tuple[str, ...] = ()

    def table(self) -> pd.DataFrame:
        """One row, with the same first columns as :meth:`EffectEstimate.table`.

        Examples
        --------
        >>> cost_effectiveness(5000, 2.0, std_error=0.5).table()["推定値"].item()
        2500.0
        """
        return pd.DataFrame(
            {
                "手法": [f"費用対効果({_CE_METHODS[self.method]})"],
                "結果": [f"{self._outcome()}1{self.effect_unit or '単位'}あたりの費用"],
                "推定値": [self.estimate],
                "標準誤差": [self.std_error],
                "信頼区間(下限)": [self.ci_low],
                "信頼区間(上限)": [self.ci_high],
                "信頼水準": [_percent(self.confidence)],
                "費用": [self.cost],
                "効果": [self.effect],
                "前提": [self.assumption],
            }
        )

    def reading(self) -> str:
        """A plain-Japanese paragraph: the cost per unit, its interval, and when it means little.

        Examples
        --------
        >>> text = cost_effectiveness(5000, 2.0, std_error=1.5).reading()
        >>> "上限がありません" in text
        True
        """
        unit = self.effect_unit or "単位"
        verb = "増やす" if self.effect >= 0 else "減らす"
        level = _percent(self.confidence)
        high = (
            "上限なし" if not math.isfinite(self.ci_high) else _amount(self.ci_high, self.cost_unit)
        )
        found = (
            f"{self.per}{_amount(self.cost, self.cost_unit)}の費用で{self._outcome()}が"
            f"{_amount(abs(self.effect), self.effect_unit)}{'増えた' if self.effect >= 0 else '減った'}"
            f"ので、{self._outcome()}を1{unit}{verb}のにかかる費用は"
            f"{_amount(self.estimate, self.cost_unit)}と推定されます"
            f"({level}信頼区間: {_amount(self.ci_low, self.cost_unit)}〜{high})。"
        )
        if self.method == "fieller":
            how = (
                "区間は、効果の信頼区間の両端で費用を割って求めました(フィラー法。費用は確定した額"
                "として扱います)。"
            )
        else:
            how = (
                "区間は、効果の標準誤差から比の標準誤差を近似するデルタ法で求めました。効果が0に"
                "近いほど不正確になり、フィラー法(method='fieller')のほうが確かです。"
            )
        if self.bounded:
            warning = ""
        else:
            warning = (
                "注意: 効果の信頼区間が0を含むため、成果1単位あたりの費用には上限がありません"
                "(効果が0に近ければ費用はいくらでも大きくなり、効果が逆向きの可能性もあります)。"
                "この値を根拠に、費用に見合う効果があったと判断することはできません。"
            )
        outcome = (
            "これは成果(アウトカム)1単位あたりの費用で、配布件数や参加者数のような活動量"
            "(アウトプット)で費用を割った値とは違います。また、効果の推定が偏っていれば、"
            "この値も同じだけ偏ります。"
        )
        return "".join([found, how, warning, outcome, *self.notes])

    def _outcome(self) -> str:
        return self.effect_label or "成果"

    def _repr_html_(self) -> str:
        table = self.table().to_html(index=False, float_format=lambda v: f"{v:,.2f}")
        name = html.escape(f"費用対効果({_CE_METHODS[self.method]})")
        return f"<div><p><b>{name}</b></p>{table}<p>{html.escape(self.reading())}</p></div>"


def cost_effectiveness(
    cost: float,
    effect: EffectEstimate | float,
    *,
    std_error: float | None = None,
    confidence: float | None = None,
    method: str = "fieller",
    cost_unit: str = "円",
    y_unit: str | None = None,
) -> CostEffectiveness:
    """Cost per unit of outcome, with an interval carried over from the effect's.

    The cost is taken as known. With Fieller's method (the default) the interval is the cost
    divided by the two ends of the effect's interval: it is exact given the effect's
    interval, and unbounded (``ci_high = inf``) when that interval includes 0: the interval
    is then the part on the estimate's side (the cost over the far end of the effect's
    interval, up to infinity), and the effect may also have the other sign. The delta
    method gives ``cost * SE / effect**2`` as the ratio's standard error and a symmetric
    interval, which is poor when the effect is close to 0.

    Parameters
    ----------
    cost : float
        What the programme cost per unit the effect refers to (per participant, per
        household ...), in ``cost_unit``. Divide the total cost by the units treated first.
    effect : EffectEstimate or float
        The effect on the outcome: a result of this package (its standard error, degrees of
        freedom, label and unit are used) or a number with ``std_error``.
    std_error : float, optional
        The standard error of ``effect`` when it is a number.
    confidence : float, optional
        Confidence level; the effect's own (or 0.95 for a number) when omitted.
    method : {"fieller", "delta"}
        How the interval is made.
    cost_unit : str
        The unit of ``cost`` (円).
    y_unit : str, optional
        The unit of the outcome, when the effect does not say it.

    Returns
    -------
    CostEffectiveness

    Raises
    ------
    ParameterError
        When the effect is 0, or a number is given without ``std_error``.

    Examples
    --------
    >>> ce = cost_effectiveness(12000, 3.0, std_error=1.0, y_unit="回")
    >>> round(ce.estimate), ce.bounded
    (4000, True)
    """
    method = check_choice("method", method, list(_CE_METHODS))
    cost = _positive("cost", cost, "0より大きい費用(数値)", "a positive cost")
    est, se, df, label, unit, per, level = _effect_parts(effect, std_error, confidence, y_unit)
    if est == 0:
        raise ParameterError(
            message(
                "evaluate.effect_zero", what="成果1単位あたりの費用", what_en="the cost per unit"
            )
        )
    q = float(stats.t.ppf(0.5 + level / 2, df))
    low, high = est - q * se, est + q * se
    bounded = low > 0 or high < 0
    ratio = cost / abs(est)
    if method == "delta":
        ratio_se = cost * se / est**2
        ci = (ratio - q * ratio_se, ratio + q * ratio_se)
    else:
        ratio_se = math.nan
        near, far = sorted((abs(low), abs(high))) if bounded else (0.0, _same_side(est, low, high))
        ci = (cost / far, cost / near if near > 0 else math.inf)
    return CostEffectiveness(
        estimate=ratio, std_error=ratio_se, ci_low=ci[0], ci_high=ci[1], confidence=level,
        method=method, bounded=bounded, cost=cost, effect=est, effect_std_error=se,
        effect_ci_low=low, effect_ci_high=high,
        effect_label=label, effect_unit=unit, cost_unit=cost_unit, per=per,
    )  # fmt: skip


def _same_side(est: float, low: float, high: float) -> float:
    """The end of an interval across 0 on the estimate's side, as a size."""
    return abs(high) if est > 0 else abs(low)


def _effect_parts(
    effect: Any, std_error: Any, confidence: Any, y_unit: str | None
) -> tuple[float, float, float, str, str, str, float]:
    """Estimate, SE, df, label, unit, per and level of an EffectEstimate or a number."""
    if isinstance(effect, EffectEstimate):
        level = effect.confidence if confidence is None else _check_level(confidence)
        unit = effect.y_unit if y_unit is None else y_unit
        label = effect.y_label or effect.y
        return effect.estimate, effect.std_error, effect.df, label, unit, effect.per, level
    value = _number("effect", effect, "効果の推定値(数値)か evaluate の推定結果", "a number or an EffectEstimate")  # fmt: skip
    if std_error is None:
        raise ParameterError(message("evaluate.effect_needs_se"))
    se = _positive("std_error", std_error, "0より大きい標準誤差(数値)", "a positive standard error")
    level = 0.95 if confidence is None else _check_level(confidence)
    return value, se, math.inf, "", y_unit or "", "", level


def _number(name: str, value: Any, accepted: str, accepted_en: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ParameterError(
            message(
                "param_type", name=name, accepted=accepted, accepted_en=accepted_en, got=repr(value)
            )  # fmt: skip
        )
    if not math.isfinite(float(value)):
        raise ParameterError(
            message(
                "param_type", name=name, accepted=accepted, accepted_en=accepted_en, got=repr(value)
            )  # fmt: skip
        )
    return float(value)


def _positive(name: str, value: Any, accepted: str, accepted_en: str) -> float:
    number = _number(name, value, accepted, accepted_en)
    if number <= 0:
        raise ParameterError(
            message(
                "param_type", name=name, accepted=accepted, accepted_en=accepted_en, got=repr(value)
            )  # fmt: skip
        )
    return number


# --------------------------------------------------------------------------------------------
# Sample size of a pilot
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleSize:
    """How many units a two-group pilot needs: the result of :func:`sample_size`.

    Attributes
    ----------
    n_treated, n_comparison, n_total : int
        Units needed in the group that gets the programme, in the comparison group, and
        both together (each rounded up).
    effect, sd : float
        The effect to detect and the outcome's standard deviation, in the unit of ``y``.
    effect_size : float
        ``effect / sd`` (Cohen's d).
    power, confidence, ratio : float
        The power, the confidence level (1 - the test's significance level) and comparison
        units per treated unit.
    alternative : str
        ``"two-sided"`` or ``"one-sided"``.
    y_label, y_unit : str
        The outcome's Japanese label and unit.

    Examples
    --------
    >>> sample_size(0.5, 1.0).n_treated
    64
    """

    n_treated: int
    n_comparison: int
    n_total: int
    effect: float
    sd: float
    effect_size: float
    power: float
    confidence: float
    ratio: float
    alternative: str
    y_label: str = ""
    y_unit: str = ""
    n_half_effect: int = 0

    def table(self) -> pd.DataFrame:
        """One row: the effect, its size, power, level and the units needed.

        Examples
        --------
        >>> sample_size(0.5, 1.0).table()["合計"].item()
        128
        """
        return pd.DataFrame(
            {
                "結果": [self.y_label or "結果"],
                "検出したい効果": [self.effect],
                "標準偏差": [self.sd],
                "効果の大きさ(d)": [self.effect_size],
                "検出力": [_percent(self.power)],
                "信頼水準": [_percent(self.confidence)],
                "事業群": [self.n_treated],
                "比較群": [self.n_comparison],
                "合計": [self.n_total],
            }
        )

    def reading(self) -> str:
        """A plain-Japanese paragraph: how many are needed, and what power means.

        Examples
        --------
        >>> "64" in sample_size(0.5, 1.0).reading()
        True
        """
        label = self.y_label or "結果"
        alpha = _percent(1 - self.confidence)
        sided = "両側" if self.alternative == "two-sided" else "片側"
        found = (
            f"{label}の差{_amount(abs(self.effect), self.y_unit)}(標準偏差"
            f"{_amount(self.sd, self.y_unit)}の{abs(self.effect_size):.2f}倍)を、有意水準{alpha}"
            f"({sided}検定、信頼水準{_percent(self.confidence)})の2群の比較で{_percent(self.power)}の"
            f"確率で見つけるには、事業群に{self.n_treated:,}、比較群に{self.n_comparison:,}、"
            f"合わせて{self.n_total:,}の単位(人や世帯など、比べる単位)が必要です。"
        )
        meaning = (
            f"検出力{_percent(self.power)}とは、本当にこの大きさの効果があるときに、"
            f"それを統計的に見つけられる確率が{_percent(self.power)}だという意味です。"
            "効果の大きさと標準偏差は、過去のデータや先行事例からの見積もりです。"
        )
        half = (
            f"効果が見積もりの半分しかなければ、事業群に{self.n_half_effect:,}が必要になります。"
            "小さな効果を見つけるには、ずっと多くの単位が要ります。"
        )
        return found + meaning + half

    def _repr_html_(self) -> str:
        table = self.table().to_html(index=False, float_format=lambda v: f"{v:,.2f}")
        return (
            f"<div><p><b>{html.escape('必要なサンプルサイズ(2群の比較)')}</b></p>{table}"
            f"<p>{html.escape(self.reading())}</p></div>"
        )


def sample_size(
    effect: float,
    sd: float,
    *,
    power: float = 0.8,
    confidence: float = 0.95,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    y: str | None = None,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> SampleSize:
    """Units each group of a pilot needs to detect ``effect`` with the given power.

    Solves the power of the two-sample t test for the number of units in the treated group
    with statsmodels (``TTestIndPower().solve_power(effect_size=effect / sd, alpha=1 -
    confidence, power=power, ratio=ratio)``) and rounds up; the comparison group has
    ``ratio`` times as many (rounded up).

    Parameters
    ----------
    effect : float
        The smallest effect worth detecting, in the unit of the outcome (not 0).
    sd : float
        The standard deviation of the outcome (from earlier data), in the same unit.
    power : float
        The probability of detecting the effect when it is real (0.8 by default).
    confidence : float
        Confidence level; the test's significance level is ``1 - confidence``.
    ratio : float
        Comparison units per treated unit (1.0: equal groups).
    alternative : {"two-sided", "one-sided"}
        A two-sided test, or a one-sided test in the direction of ``effect``.
    y : str, optional
        The outcome column, for its label and unit in the reading.
    dictionary, y_unit
        See the package's shared parameters.

    Returns
    -------
    SampleSize

    Examples
    --------
    >>> res = sample_size(500, 2000, power=0.8)
    >>> res.n_treated, res.n_comparison
    (253, 253)
    """
    effect = _number("effect", effect, "0以外の数値(検出したい効果)", "a non-zero number")
    if effect == 0:
        raise ParameterError(
            message("evaluate.effect_zero", what="必要なサンプルサイズ", what_en="the sample size")
        )
    sd = _positive("sd", sd, "0より大きい数値(結果の標準偏差)", "a positive standard deviation")
    confidence = _check_level(confidence)
    power = _check_power(power, 1 - confidence)
    ratio = _positive(
        "ratio", ratio, "0より大きい数値(事業群1に対する比較群の数)", "a positive ratio"
    )
    alternative = check_choice("alternative", alternative, ["two-sided", "one-sided"])
    label, unit = _label_unit(y, dictionary, y_unit) if y is not None else ("", y_unit or "")
    n1 = _solve(effect / sd, 1 - confidence, power, ratio, alternative)
    n_half = _solve(effect / sd / 2, 1 - confidence, power, ratio, alternative)
    n2 = math.ceil(n1 * ratio)
    return SampleSize(
        n_treated=n1, n_comparison=n2, n_total=n1 + n2, effect=effect, sd=sd,
        effect_size=effect / sd, power=power, confidence=confidence, ratio=ratio,
        alternative=alternative, y_label=label, y_unit=unit, n_half_effect=n_half,
    )  # fmt: skip


def _solve(d: float, alpha: float, power: float, ratio: float, alternative: str) -> int:
    """Treated units needed (rounded up), by statsmodels' power of the two-sample t test."""
    sided = "two-sided" if alternative == "two-sided" else "larger"
    nobs = TTestIndPower().solve_power(
        effect_size=abs(d), alpha=alpha, power=power, ratio=ratio, alternative=sided
    )
    return math.ceil(float(np.squeeze(nobs)))


def _check_power(power: Any, alpha: float) -> float:
    ok = isinstance(power, (int, float, np.floating)) and not isinstance(power, bool)
    if ok and alpha < power < 1:
        return float(power)
    raise ParameterError(
        message(
            "param_type",
            name="power",
            accepted=f"{alpha:g}より大きく1より小さい値(検出力。80%なら 0.8)",
            accepted_en=f"a number between {alpha:g} and 1 (0.8 for 80% power)",
            got=repr(power),
        )
    )
