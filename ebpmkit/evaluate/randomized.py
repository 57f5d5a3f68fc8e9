"""Lotteries: the effect of being drawn (ITT) and of taking the programme up through the draw.

When a programme is oversubscribed and places are drawn by lot, winners and losers differ only
by chance, so the difference in their mean outcome is the effect of winning (the
intention-to-treat effect, ITT). Not every winner takes the place up, and some losers may get
in another way; dividing the ITT by the difference the draw makes in take-up (the first stage)
gives the effect on those who take the programme up because they won (the Wald estimator, the
simplest instrumental-variable estimate, with the draw as the instrument).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ebpmkit._labels import lookup
from ebpmkit.errors import ParameterError
from ebpmkit.evaluate._checks import _binary, _check_level, _dropped_note, _numeric_y, _prepare
from ebpmkit.evaluate._result import ASSUMPTIONS, EffectEstimate, _estimate
from ebpmkit.evaluate._stats import _fit_df, _interval, _robust_ols
from ebpmkit.evaluate._words import _amount, _per
from ebpmkit.messages import message

__all__ = ["WEAK_FIRST_STAGE_F", "LotteryEstimate", "lottery"]

#: Below this F statistic of the first stage (the draw's effect on take-up) the reading warns
#: that the effect on those who take the programme up is unstable (a weak instrument).
WEAK_FIRST_STAGE_F = 10.0

_MIN_PER_ARM = 2
_MIN_CLUSTERS = 10  # as in did: clustered errors need many units


@dataclass(frozen=True)
class LotteryEstimate(EffectEstimate):
    """The result of :func:`lottery`: an :class:`EffectEstimate` with the draw's two parts.

    Without ``treated`` the estimate is the effect of winning (ITT); with it, the effect on
    those who take the programme up because they won.

    Attributes
    ----------
    itt : EffectEstimate
        Winners minus losers in the mean of ``y`` (the intention-to-treat effect).
    first_stage : EffectEstimate or None
        Winners minus losers in the share who took the programme up (``treated``), or
        ``None`` without ``treated``.
    take_up : tuple of float
        The share who took it up among winners and among losers, or ``()``.
    treated_label : str
        The Japanese label of ``treated`` (for example 購入), or ``""``.

    Examples
    --------
    >>> frame = pd.DataFrame({"won": [1, 1, 1, 0, 0, 0], "spend": [5.0, 7, 6, 2, 3, 1]})
    >>> round(lottery(frame, y="spend", assigned="won").itt.estimate, 6)
    4.0
    """

    itt: EffectEstimate | None = None
    first_stage: EffectEstimate | None = None
    take_up: tuple[float, ...] = ()
    treated_label: str = ""

    def _story(self) -> tuple[str, str]:
        label = self._label()
        itt = self.itt if self.itt is not None else self
        moved = "高く" if itt.estimate >= 0 else "低く"
        means = ""
        if len(itt.means) == 2:
            means = (
                f"当選者が{_amount(itt.means[0], self.y_unit)}、"
                f"落選者が{_amount(itt.means[1], self.y_unit)}で、"
            )
        found = (
            f"くじに当たった人(当選者)と外れた人(落選者)の{label}の平均は、{means}"
            f"当選者のほうが{self.per}{_amount(abs(itt.estimate), self.y_unit)}{moved}なっています"
            f"(くじの効果、{itt._ci_text()})。この差は「当選したこと」の効果で、ITT"
            "(intention-to-treat、割り当ての効果)と呼びます。実際に事業を使ったかどうかは問いません。"
        )
        assumption = (
            "当落はくじで偶然に決まるので、当選者と落選者はもともと比べられます(無作為割付)。"
            "この前提は、くじが公正に行われ、落選者の結果も当選者と同じように測られている場合に"
            "成り立ちます。"
        )
        if self.first_stage is None:
            return found, assumption
        return found + self._take_up_text(), assumption + self._take_up_assumption()

    def _take_up_text(self) -> str:
        won, lost = (self.take_up + (np.nan, np.nan))[:2]
        points = self.first_stage.estimate * 100 if self.first_stage is not None else np.nan
        moved = "上がり" if points >= 0 else "下がり"
        return (
            f"実際に事業を使った人(「{self.treated_label}」が1の人)の割合は、当選者で{won:.1%}、"
            f"落選者で{lost:.1%}で、当選によって{abs(points):.1f}ポイント{moved}ました。"
            "くじの効果をこの差で割ると、くじがきっかけで事業を使った人への効果は"
            f"{self.per}{_amount(self.estimate, self.y_unit)}と推定されます({self._ci_text()})。"
        )

    def _take_up_assumption(self) -> str:
        return (
            "さらに、これを事業を使った人への効果と読むには、「当選は事業を使うことを通じてだけ"
            f"{self._label()}を動かす」「当選したために事業を使わなくなる人はいない」という前提も"
            "要ります。この効果は、当選したときだけ事業を使う人たちについてのもので、全員に"
            "当てはまるとは限りません。なお、当選者のうち事業を使った人だけを落選者と比べては"
            "いけません。使うかどうかは本人が選んでいるので、もともとの違いが差に混ざってしまいます。"
        )

    def _html_extra(self) -> str:
        parts = [p.table() for p in (self.itt, self.first_stage) if p is not None]
        if self.first_stage is None:
            return ""
        table = pd.concat(parts, ignore_index=True).to_html(
            index=False, float_format=lambda v: f"{v:,.3f}"
        )
        return f"<p>{html.escape('くじの効果(ITT)と、当選による参加の割合の差:')}</p>{table}"


def lottery(
    data: pd.DataFrame,
    *,
    y: str,
    assigned: str,
    treated: str | None = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> LotteryEstimate:
    """The effect of winning a lottery (ITT) and, with ``treated``, of taking the programme up.

    The ITT is the difference in the mean of ``y`` between winners and losers, by OLS of
    ``y`` on the draw with heteroskedasticity-robust (HC2) standard errors, which for a
    difference in means equal Welch's. With ``treated``, the effect on those who take the
    programme up because they won is the ITT divided by the first stage (winners minus losers
    in the share who took it up): the Wald estimator, which equals two-stage least squares
    with the draw as the instrument. Its standard error is that of 2SLS with the same robust
    errors (the delta method on the two regressions, which for this estimator is the same
    formula).

    Parameters
    ----------
    data, y, confidence, dictionary, y_unit
        See the package's shared parameters.
    assigned : str
        A 0/1 (or True/False) column: 1 for those who won the draw, 0 for those who lost.
        Everyone who entered the draw must be in ``data``, losers included.
    treated : str, optional
        A 0/1 (or True/False) column: 1 for those who actually took the programme up (for
        example bought the vouchers), whether they won or not.
    unit : str, optional
        With several rows per applicant (for example months), the column identifying the
        applicant: standard errors are then clustered by it, and ``assigned`` must not change
        within it.

    Returns
    -------
    LotteryEstimate
        ``estimate`` is the ITT without ``treated``, else the effect on those who take the
        programme up through the draw; ``itt`` and ``first_stage`` hold the two parts.

    Raises
    ------
    ParameterError
        When ``assigned`` or ``treated`` is not 0/1, a side of the draw has fewer than two
        rows, or winning makes no difference to take-up.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> frame = pd.DataFrame({"won": np.repeat([1, 0], 200)})
    >>> frame["bought"] = (frame["won"] == 1) & (rng.random(400) < 0.5)
    >>> frame["spend"] = 100 + 20 * frame["bought"] + rng.normal(0, 5, 400)
    >>> res = lottery(frame, y="spend", assigned="won", treated="bought")
    >>> bool(res.ci_low < 20 < res.ci_high), round(res.itt.estimate / res.first_stage.estimate, 6) == round(res.estimate, 6)
    (True, True)
    """
    frame = _prepare(data, {"y": y, "assigned": assigned, "treated": treated, "unit": unit})
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    won = _binary(frame, assigned, "assigned")
    groups = _draw_units(frame, won, assigned=assigned, unit=unit)
    _check_arms(won, groups, assigned=assigned)
    x = np.column_stack([np.ones(len(yv)), won.astype(float)])
    n = (len(yv), len(np.unique(groups)) if groups is not None else len(yv))
    per = _per(unit, None, dictionary)
    notes = _dropped_note(data, frame)
    itt = _difference(yv, x, groups, won, confidence, y=(y, dictionary, y_unit), n=n, per=per)
    itt = _as_part(itt, "くじの効果(ITT)")
    if treated is None:
        fit = (itt.estimate, itt.std_error, itt.df, itt.ci_low, itt.ci_high)
        return _estimate(
            "lottery", fit, y=(y, dictionary, y_unit), n=n, confidence=confidence,
            cls=LotteryEstimate, itt=itt, per=per, groups=itt.groups, means=itt.means,
            notes=notes,
        )  # fmt: skip
    took = _binary(frame, treated, "treated").astype(float)
    label_d, _ = lookup(treated, dictionary)
    first = _difference(took, x, groups, won, confidence, y=(treated, dictionary, ""), n=n, per="")
    first = _as_part(first, "当選による参加の割合の差(第1段階)", y_label=f"{label_d}の割合")
    if abs(first.estimate) < 1e-12:
        raise ParameterError(
            message("evaluate.no_first_stage", treated=treated, share=first.means[0])
        )
    beta = itt.estimate / first.estimate
    resid_fit = _robust_ols(yv - beta * took, x, groups)
    se = float(resid_fit.bse[1]) / abs(first.estimate)
    df = _fit_df(resid_fit, groups)
    f_stat = (first.estimate / first.std_error) ** 2
    if f_stat < WEAK_FIRST_STAGE_F:
        notes += (
            f"当選による「{label_d}」の割合の差が小さい(第1段階のF値 {f_stat:.1f} が"
            f"{WEAK_FIRST_STAGE_F:.0f}未満)ため、事業を使った人への効果の推定は不安定です。",
        )
    return _estimate(
        "lottery_take_up", (beta, se, df, *_interval(beta, se, df, confidence)),
        y=(y, dictionary, y_unit), n=n, confidence=confidence, cls=LotteryEstimate,
        itt=itt, first_stage=first, take_up=first.means, treated_label=label_d, per=per,
        groups=itt.groups, means=itt.means, notes=notes,
    )  # fmt: skip


def _difference(
    values: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray | None,
    won: np.ndarray,
    confidence: float,
    *,
    y: tuple[str, Any, str | None],
    n: tuple[int, int],
    per: str,
) -> EffectEstimate:
    """Winners minus losers in the mean of ``values``, with robust (or clustered) errors."""
    fit = _robust_ols(values, x, groups)
    est, se = float(fit.params[1]), float(fit.bse[1])
    df = _fit_df(fit, groups)
    return _estimate(
        "compare_groups",
        (est, se, df, *_interval(est, se, df, confidence)),
        y=y,
        n=n,
        confidence=confidence,
        per=per,
        groups=("当選者", "落選者"),
        means=(float(values[won].mean()), float(values[~won].mean())),
    )


def _as_part(part: EffectEstimate, method: str, **changes: Any) -> EffectEstimate:
    """A part of the lottery's estimate, named by what it measures."""
    return replace(part, method=method, assumption=ASSUMPTIONS["lottery"], **changes)


def _draw_units(
    frame: pd.DataFrame, won: np.ndarray, *, assigned: str, unit: str | None
) -> np.ndarray | None:
    """Cluster codes of ``unit`` (the draw must not change within one), or None."""
    if unit is None:
        return None
    codes, levels = pd.factorize(frame[unit].to_numpy(), sort=True)
    per_unit = pd.Series(won).groupby(codes).agg(["min", "max"])
    varies = (per_unit["min"] != per_unit["max"]).to_numpy()
    if varies.any():
        bad = levels[int(per_unit.index[varies][0])]
        raise ParameterError(
            message("evaluate.assigned_varies", assigned=assigned, unit=unit, example=repr(bad))
        )
    if len(levels) < _MIN_CLUSTERS:
        raise ParameterError(
            message("evaluate.few_clusters", unit=unit, count=len(levels), minimum=_MIN_CLUSTERS)
        )
    return codes


def _check_arms(won: np.ndarray, groups: np.ndarray | None, *, assigned: str) -> None:
    """Both sides of the draw have at least two applicants."""
    for side, mask in (("当選(1)", won), ("落選(0)", ~won)):
        count = int(mask.sum()) if groups is None else len(np.unique(groups[mask]))
        if count < _MIN_PER_ARM:
            raise ParameterError(
                message(
                    "evaluate.arm_too_small",
                    assigned=assigned,
                    side=side,
                    side_en="won (1)" if side.startswith("当選") else "lost (0)",
                    count=count,
                    minimum=_MIN_PER_ARM,
                )
            )
