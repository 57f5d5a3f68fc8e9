"""Regression discontinuity: the jump in an outcome where eligibility changes at a cutoff.

When a programme applies on one side of a threshold of a score (an age, an income), people
just above and just below it are alike but for the programme, so the jump in the mean outcome
at the threshold is its effect there. The estimate is a local linear regression on each side
with the bandwidth chosen from the data and the robust bias-corrected interval, both from
``rdrobust``, the field's reference implementation (Calonico, Cattaneo and Titiunik).
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from rdrobust import rdrobust

from ebpmkit import style
from ebpmkit._labels import SOURCE_NOTE, axis_label, format_axis, lookup
from ebpmkit._plotting import add_source, new_axes
from ebpmkit.errors import ParameterError, check_choice
from ebpmkit.evaluate._checks import _check_level, _dropped_note, _numeric_y, _prepare
from ebpmkit.evaluate._result import EffectEstimate, _estimate
from ebpmkit.evaluate._words import _amount
from ebpmkit.messages import message

__all__ = ["MIN_DISTINCT_PER_SIDE", "RddEstimate", "rdd"]

#: Fewest distinct values of the running variable :func:`rdd` needs on each side of the
#: cutoff (a local linear fit and its quadratic bias correction need a few points each).
MIN_DISTINCT_PER_SIDE = 5


@dataclass(frozen=True)
class RddEstimate(EffectEstimate):
    """The result of :func:`rdd`: an :class:`EffectEstimate` with the bandwidth and the data.

    ``estimate`` is rdrobust's conventional local linear estimate of the jump (the programme's
    side minus the other side); ``std_error``, ``ci_low`` and ``ci_high`` are its robust
    bias-corrected standard error and interval, which is why the interval need not be centred
    on the estimate.

    Attributes
    ----------
    running, running_label, running_unit, running_axis : str
        The running variable, its Japanese label, unit and axis label.
    cutoff : float
        Where eligibility changes.
    side : str
        ``"above"`` when the programme applies at and above the cutoff, ``"below"`` when it
        applies below it.
    bandwidth, bias_bandwidth : float
        The bandwidth of the estimate (h) and of the bias correction (b), in the unit of the
        running variable.
    n_effective : tuple of int
        Observations within the bandwidth below and at or above the cutoff.
    fits : tuple of tuple of float
        Intercept and slope (in ``running - cutoff``) of the local linear fit below and
        above the cutoff; the plot draws them.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"score": rng.uniform(-1, 1, 600)})
    >>> frame["y"] = frame["score"] + 2.0 * (frame["score"] >= 0) + rng.normal(0, 0.3, 600)
    >>> res = rdd(frame, y="y", running="score", cutoff=0)
    >>> bool(res.ci_low < 2 < res.ci_high), res.bandwidth > 0
    (True, True)
    """

    running: str = ""
    running_label: str = ""
    running_unit: str = ""
    running_axis: str = ""
    cutoff: float = 0.0
    side: str = "above"
    bandwidth: float = math.nan
    bias_bandwidth: float = math.nan
    n_effective: tuple[int, ...] = ()
    fits: tuple[tuple[float, ...], ...] = ()
    x_values: np.ndarray | None = field(default=None, repr=False, compare=False)
    y_values: np.ndarray | None = field(default=None, repr=False, compare=False)

    def _story(self) -> tuple[str, str]:
        label, unit = self._label(), self.running_unit
        cut = f"{_number(self.cutoff)}{unit}"
        where = "以上" if self.side == "above" else "未満"
        moved = "高い" if self.estimate >= 0 else "低い"
        found = (
            f"回帰不連続デザインは、ある値(割当変数。ここでは{self.running_label})が基準値を"
            "超えるかどうかで事業の対象が切り替わることを使い、基準値のすぐ上と下を比べる方法です。"
            f"{self.running_label}が{cut}{where}で対象になる側は、"
            f"反対側と比べて、{label}が基準値のところで{self.per}"
            f"{_amount(abs(self.estimate), self.y_unit)}{moved}と推定されます({self._ci_text()})。"
            f"基準値から±{_number(self.bandwidth)}{unit}の範囲(帯域幅。データから選んだ幅)にある"
            f"{sum(self.n_effective):,}件の観測を使いました。この区間は推定値の偏りを補正して作った"
            "区間(robust bias-corrected)なので、推定値が区間の真ん中にあるとは限りません。"
        )
        assumption = (
            "これを事業の効果と読めるのは「基準値のすぐ上と下はもともと比べられる(事業がなければ、"
            f"{label}は基準値の前後でなめらかにつながっていた)」場合です。基準値で同時にほかの制度も"
            "変わる場合や、人が自分の値を基準値の上か下かに動かせる場合には成り立ちません。"
            "また、この効果は基準値の近くの人についてのもので、基準値から遠い人に当てはまるとは"
            "限りません。plot() で基準値の前後の平均を描き、基準値以外の場所に段差がないかも"
            "確かめてください。"
        )
        return found, assumption

    def plot(
        self, *, bins: int = 20, ax: Axes | None = None, source: str | None = SOURCE_NOTE
    ) -> Axes:
        """Binned means of ``y`` on each side of the cutoff, with the local linear fits.

        Parameters
        ----------
        bins : int
            Bins of equal width on each side (one per value when there are fewer values).
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
        >>> rng = np.random.default_rng(0)
        >>> frame = pd.DataFrame({"score": rng.uniform(-1, 1, 600)})
        >>> frame["y"] = frame["score"] + 2.0 * (frame["score"] >= 0) + rng.normal(0, 0.3, 600)
        >>> ax = rdd(frame, y="y", running="score", cutoff=0).plot()
        >>> ax.get_xlabel()
        'score'
        """
        return _plot_rdd(self, bins=bins, ax=ax, source=source)


def rdd(
    data: pd.DataFrame,
    *,
    y: str,
    running: str,
    cutoff: float,
    side: str = "above",
    bandwidth: float | None = None,
    unit: str | None = None,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> RddEstimate:
    """The jump in ``y`` at ``cutoff`` of ``running``: a sharp regression discontinuity.

    Calls ``rdrobust`` (local linear fits with a triangular kernel on each side, the
    MSE-optimal bandwidth ``mserd`` unless ``bandwidth`` is given, and the robust
    bias-corrected interval); the result equals ``rdrobust(y, x, c=cutoff,
    level=100 * confidence)`` with the sign turned for ``side="below"``.

    Parameters
    ----------
    data, y, confidence, dictionary, y_unit
        See the package's shared parameters.
    running : str
        The running variable (割当変数): the numeric column whose value decides who the
        programme applies to, such as age.
    cutoff : float
        The value of ``running`` where eligibility changes.
    side : {"above", "below"}
        ``"above"``: the programme applies where ``running >= cutoff``; ``"below"``: where
        ``running < cutoff`` (for example a subsidy that ends at an age). The estimate is the
        programme's side minus the other side.
    bandwidth : float, optional
        Use this bandwidth instead of the one chosen from the data (to see how the estimate
        moves with it).
    unit : str, optional
        Cluster the standard errors by this column (several rows per person).

    Returns
    -------
    RddEstimate

    Raises
    ------
    ParameterError
        When one side of the cutoff has no observations or too few distinct values.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> frame = pd.DataFrame({"age": rng.uniform(10, 20, 800)})
    >>> frame["visits"] = 5 - 0.2 * frame["age"] + 1.5 * (frame["age"] < 15) + rng.normal(0, 0.5, 800)
    >>> res = rdd(frame, y="visits", running="age", cutoff=15, side="below")
    >>> bool(res.ci_low < 1.5 < res.ci_high)
    True
    """
    frame = _prepare(data, {"y": y, "running": running, "unit": unit})
    confidence = _check_level(confidence)
    side = check_choice("side", side, ["above", "below"])
    yv = _numeric_y(frame, y)
    xv = _numeric_y(frame, running, "running")
    cutoff = _check_cutoff(cutoff)
    _check_sides(xv, cutoff, running)
    cluster = None if unit is None else pd.factorize(frame[unit].to_numpy())[0]
    out, printed = _run_rdrobust(yv, xv, cutoff, confidence, bandwidth, cluster)
    sign = 1.0 if side == "above" else -1.0
    tau = sign * float(out.coef.iloc[0, 0])
    se = float(out.se.iloc[2, 0])
    low, high = sorted(sign * float(v) for v in out.ci.iloc[2])
    notes = _dropped_note(data, frame)
    if "Mass points" in printed:
        notes += (
            f"割当変数 '{running}' の値は少数の値に集中しています(年齢を1歳刻みで数えた場合など)。"
            "rdrobust はこれを考慮して推定しますが、基準値の近くの値が少ないと推定は不安定になります。",
        )
    label_x, unit_x = lookup(running, dictionary)
    n_units = len(np.unique(cluster)) if cluster is not None else len(yv)
    return _estimate(
        "rdd", (tau, se, math.inf, low, high), y=(y, dictionary, y_unit),
        n=(len(yv), n_units), confidence=confidence, cls=RddEstimate, running=running,
        running_label=label_x, running_unit=unit_x,
        running_axis=axis_label(running, dictionary), cutoff=cutoff, side=side,
        bandwidth=float(out.bws.iloc[0, 0]), bias_bandwidth=float(out.bws.iloc[1, 0]),
        n_effective=tuple(int(n) for n in out.N_h),
        fits=tuple(tuple(float(b) for b in np.ravel(beta)[:2])
                   for beta in (out.beta_p_l, out.beta_p_r)),
        x_values=xv, y_values=yv, notes=notes,
    )  # fmt: skip


def _check_cutoff(cutoff: Any) -> float:
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.number)):
        raise ParameterError(
            message(
                "param_type",
                name="cutoff",
                accepted="割当変数と同じ単位の数値",
                accepted_en="a number in the unit of the running variable",
                got=repr(cutoff),
            )
        )
    if not math.isfinite(float(cutoff)):
        raise ParameterError(
            message(
                "param_type",
                name="cutoff",
                accepted="有限の数値",
                accepted_en="a finite number",
                got=repr(cutoff),
            )
        )
    return float(cutoff)


def _check_sides(xv: np.ndarray, cutoff: float, running: str) -> None:
    """Both sides of the cutoff have observations, with enough distinct values."""
    below, above = xv[xv < cutoff], xv[xv >= cutoff]
    for values, side, side_en in ((below, "未満", "below"), (above, "以上", "at or above")):
        if len(values) == 0:
            raise ParameterError(
                message(
                    "evaluate.rdd_side_empty",
                    running=running,
                    cutoff=_number(cutoff),
                    side=side,
                    side_en=side_en,
                    low=_number(float(xv.min())),
                    high=_number(float(xv.max())),
                )
            )
    if min(len(np.unique(below)), len(np.unique(above))) < MIN_DISTINCT_PER_SIDE:
        raise ParameterError(
            message(
                "evaluate.rdd_too_few",
                cutoff=_number(cutoff),
                left=len(below),
                right=len(above),
                minimum=MIN_DISTINCT_PER_SIDE,
            )
        )


def _run_rdrobust(
    yv: np.ndarray,
    xv: np.ndarray,
    cutoff: float,
    confidence: float,
    bandwidth: float | None,
    cluster: np.ndarray | None,
) -> tuple[Any, str]:
    """rdrobust's fit and what it printed (it reports mass points on standard output)."""
    if bandwidth is not None and (
        isinstance(bandwidth, bool)
        or not isinstance(bandwidth, (int, float, np.number))
        or not bandwidth > 0
    ):
        raise ParameterError(
            message(
                "param_type",
                name="bandwidth",
                accepted="0より大きい数値(割当変数と同じ単位)",
                accepted_en="a positive number in the unit of the running variable",
                got=repr(bandwidth),
            )
        )
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            out = rdrobust(
                yv,
                xv,
                c=cutoff,
                level=100 * confidence,
                h=None if bandwidth is None else float(bandwidth),
                cluster=cluster,
            )
    except Exception as error:  # rdrobust raises plain Exceptions and ValueErrors
        raise ParameterError(message("evaluate.rdd_failed", reason=str(error)[:200])) from error
    return out, printed.getvalue()


def _plot_rdd(res: RddEstimate, *, bins: int, ax: Axes | None, source: str | None) -> Axes:
    ax = new_axes(ax)
    xv, yv, c = res.x_values, res.y_values, res.cutoff
    means = pd.concat(
        [_binned(xv[xv < c], yv[xv < c], bins), _binned(xv[xv >= c], yv[xv >= c], bins)]
    )
    colour, fit_colour = style.PALETTE[0], style.PALETTE[1]
    ax.scatter(means["x"], means["y"], s=18, color=colour, label="区間ごとの平均", zorder=3)
    h = res.bandwidth
    ends = ((max(c - h, xv.min()), c), (c, min(c + h, xv.max())))
    for i, ((a, b), (lo, hi)) in enumerate(zip(res.fits, ends, strict=True)):
        grid = np.linspace(lo, hi, 50)
        name = "局所線形の当てはめ(帯域幅の内側)" if i == 0 else None
        ax.plot(grid, a + b * (grid - c), color=fit_colour, linewidth=2.2, label=name)
    ax.axvline(c, color="#555555", linestyle="--", linewidth=1.2, label="基準値")
    ax.axvspan(c - h, c + h, color="#999999", alpha=0.12, linewidth=0)
    label_y = res._label()
    shown = format_axis(ax.yaxis, res.y_unit, means["y"].to_numpy())
    ax.set_ylabel(f"{label_y}の平均" + (f"({shown})" if shown else ""))
    ax.set_xlabel(res.running_axis or res.running)
    ax.set_title(
        f"基準値({_number(c)}{res.running_unit})の前後の{label_y}(網かけは帯域幅)",
        fontsize="medium",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    add_source(ax, source)
    return ax


def _binned(x: np.ndarray, y: np.ndarray, bins: int) -> pd.DataFrame:
    """Mean of ``y`` in equal-width bins of ``x`` (one bin per value when values are few)."""
    values = np.unique(x)
    if len(values) <= bins:
        keys = x
    else:
        edges = np.linspace(x.min(), x.max(), bins + 1)
        keys = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    frame = pd.DataFrame({"k": keys, "x": x, "y": y}).groupby("k")[["x", "y"]].mean()
    return frame.reset_index(drop=True)


def _number(value: float) -> str:
    """``15`` for 15.0, ``0.5`` for 0.5: a cutoff or bandwidth as people write it."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.1f}"
