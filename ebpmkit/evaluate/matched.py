"""Matching: compare each participant with the most similar non-participants.

When people choose to join a programme, participants differ from the others. If what makes
them join is observed (age, earlier health, income ...), each participant can be compared
with the non-participants most like them on those covariates: either on the propensity score
(the probability of joining predicted from the covariates by a logistic regression) or on the
covariates themselves (Mahalanobis distance). The average of those differences is the effect
on the participants (ATT). Matching is nearest-neighbour with replacement, with Abadie and
Imbens' regression correction for the covariate differences left after matching; the standard
error is Abadie and Imbens' (2006, Econometrica 74(1)) for matching with replacement, which
counts how often each control is reused (it treats the propensity score as known).
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats
from scipy.spatial import cKDTree
from statsmodels.discrete.discrete_model import Logit

from ebpmkit import style
from ebpmkit._labels import SOURCE_NOTE, check_column, lookup
from ebpmkit._plotting import add_source, as_frame, new_axes
from ebpmkit.errors import ParameterError, check_choice
from ebpmkit.evaluate._checks import _binary, _check_level, _dropped_note, _numeric_y, _prepare
from ebpmkit.evaluate._result import EffectEstimate, _estimate
from ebpmkit.evaluate._words import _amount
from ebpmkit.messages import message

__all__ = ["CALIPER_SD", "MatchingEstimate", "matching"]

#: A treated unit whose propensity score lies further than this many standard deviations (of
#: the propensity score, a probability) beyond the range of the comparison group's scores has
#: no comparable control.
CALIPER_SD = 0.2

_METHOD_NAMES = {
    "propensity": "傾向スコアマッチング(最近傍、処置群への効果)",
    "covariate": "共変量マッチング(マハラノビス距離、最近傍、処置群への効果)",
}
_VARIANCE_NEIGHBOURS = 2  # controls matched to a control to estimate its outcome's variance
_MIN_PER_GROUP = 2


@dataclass(frozen=True)
class MatchingEstimate(EffectEstimate):
    """The result of :func:`matching`: an :class:`EffectEstimate` with the balance table.

    Attributes
    ----------
    matched_on : str
        ``"propensity"`` or ``"covariate"``.
    covariates : tuple of str
        The covariates the groups were matched on.
    balance : DataFrame
        One row per covariate (a category contributes one row per level but the first, and
        the propensity score is the first row): the treated group's mean, the comparison
        group's mean before and after matching, and the standardized mean difference (the
        difference over the pooled standard deviation before matching) before and after.
    n_treated, n_controls : int
        Treated units compared, and distinct comparison units used as their matches.
    n_trimmed : int
        Treated units left out for lack of a comparable control (``trim=True``).
    treated_label : str
        The Japanese label of the treatment column.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"age": rng.uniform(40, 75, 800)})
    >>> frame["joined"] = rng.random(800) < 1 / (1 + np.exp(-(frame["age"] - 58) / 6))
    >>> frame["cost"] = 100 + 3 * frame["age"] - 20 * frame["joined"] + rng.normal(0, 10, 800)
    >>> res = matching(frame, y="cost", treated="joined", covariates=["age"])
    >>> list(res.balance.columns)[:2]
    ['共変量', '処置群の平均']
    """

    matched_on: str = "propensity"
    covariates: tuple[str, ...] = ()
    balance: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    n_treated: int = 0
    n_controls: int = 0
    n_trimmed: int = 0
    treated_label: str = ""

    def _story(self) -> tuple[str, str]:
        label, took = self._label(), self.treated_label
        how = (
            "傾向スコア(共変量から予測した参加の確率)が近い"
            if self.matched_on == "propensity"
            else "共変量が近い"
        )
        moved = "高い" if self.estimate >= 0 else "低い"
        found = (
            f"マッチングは、事業に参加した人(処置群。「{took}」が1の人)それぞれに、{how}"
            "参加していない人(比較群)を組み合わせて比べる方法です。処置群の"
            f"{self.n_treated:,}人を比較群の{self.n_controls:,}人と組み合わせて比べると、"
            f"処置群の{label}は{self.per}{_amount(abs(self.estimate), self.y_unit)}{moved}と"
            f"推定されます(処置群への効果、{self._ci_text()})。組み合わせた後に残る共変量の"
            f"小さな違いの分は、回帰で補正しています。{self._balance_text()}"
        )
        covs = "、".join(self.covariates)
        assumption = (
            f"これを事業の効果と読めるのは「参加するかどうかは、そろえた共変量({covs})だけで"
            "決まった(共変量が同じなら、参加したかどうかは偶然と同じ)」場合です。意欲や関心の"
            f"ように、データにない違いが参加と{label}の両方に関わっていれば、その違いが効果に"
            "混ざります。また、共変量には事業の前に決まっていた値だけを使ってください。"
            "事業の結果として変わる値でそろえると、効果の一部を消してしまいます。"
        )
        return found, assumption

    def _balance_text(self) -> str:
        if self.balance is None or self.balance.empty:
            return ""
        before = float(self.balance["標準化差(前)"].abs().max())
        after = float(self.balance["標準化差(後)"].abs().max())
        change = "小さくなりました" if after < before else "小さくなっていません"
        return (
            "共変量の平均の差を標準偏差で割った値(標準化差)の絶対値は、最大でそろえる前の"
            f"{before:.2f}から、そろえた後は{after:.2f}へと{change}。0に近いほど、比べる二つの"
            "グループの共変量がそろっています(plot() で確かめられます)。"
        )

    def _html_extra(self) -> str:
        if self.balance is None:
            return ""
        table = self.balance.to_html(index=False, float_format=lambda v: f"{v:,.3f}")
        return f"<p>{html.escape('共変量のバランス(そろえる前と後):')}</p>{table}"

    def plot(self, *, ax: Axes | None = None, source: str | None = SOURCE_NOTE) -> Axes:
        """The standardized differences of each covariate before and after matching.

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
        >>> rng = np.random.default_rng(0)
        >>> frame = pd.DataFrame({"age": rng.uniform(40, 75, 400)})
        >>> frame["joined"] = rng.random(400) < (frame["age"] - 30) / 60
        >>> frame["cost"] = frame["age"] + rng.normal(0, 5, 400)
        >>> ax = matching(frame, y="cost", treated="joined", covariates=["age"]).plot()
        >>> ax.get_xlabel()
        '標準化差(処置群 − 比較群)'
        """
        return _plot_balance(self, ax=ax, source=source)


def matching(
    data: pd.DataFrame,
    *,
    y: str,
    treated: str,
    covariates: list[str],
    method: str = "propensity",
    neighbors: int = 1,
    trim: bool = False,
    confidence: float = 0.95,
    dictionary: Any = None,
    y_unit: str | None = None,
) -> MatchingEstimate:
    """The effect on participants, by nearest-neighbour matching with replacement.

    Each treated unit is matched to the ``neighbors`` comparison units nearest to it, on the
    logit of the propensity score (``method="propensity"``; a logistic regression of
    ``treated`` on the covariates, by statsmodels) or on the covariates (``"covariate"``;
    Mahalanobis distance). The estimate is the mean over treated units of their outcome minus
    the mean outcome of their matches (the average effect on the treated, ATT), corrected for
    the covariate differences left after matching by a linear regression of the controls'
    outcome on the covariates, with Abadie and Imbens' standard error and a normal interval.

    Parameters
    ----------
    data, y, confidence, dictionary, y_unit
        See the package's shared parameters. One row per unit.
    treated : str
        A 0/1 (or True/False) column: 1 for those who took part in the programme.
    covariates : list of str
        Columns fixed before the programme that drive participation and the outcome.
        Categorical columns enter as one indicator per level but the first.
    method : {"propensity", "covariate"}
        Match on the propensity score or on the covariates.
    neighbors : int
        Comparison units matched to each treated unit.
    trim : bool
        With ``False`` (the default), a treated unit without a comparable control (see
        :data:`CALIPER_SD`) is an error; with ``True`` it is left out and the reading says so.

    Returns
    -------
    MatchingEstimate

    Raises
    ------
    ParameterError
        When the propensity scores of the two groups do not overlap, or a treated unit has no
        comparable control (and ``trim`` is False).

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> frame = pd.DataFrame({"age": rng.uniform(40, 75, 1000)})
    >>> frame["joined"] = rng.random(1000) < 1 / (1 + np.exp(-(frame["age"] - 58) / 6))
    >>> frame["cost"] = 100 + 3 * frame["age"] - 20 * frame["joined"] + rng.normal(0, 10, 1000)
    >>> res = matching(frame, y="cost", treated="joined", covariates=["age"])
    >>> bool(res.ci_low < -20 < res.ci_high)
    True
    """
    covariates = _check_covariates(data, covariates, y=y, treated=treated)
    method = check_choice("method", method, ["propensity", "covariate"])
    neighbors = _check_neighbors(neighbors)
    frame = _prepare(
        data, {"y": y, "treated": treated} | {f"covariates {c}": c for c in covariates}
    )
    confidence = _check_level(confidence)
    yv = _numeric_y(frame, y)
    t = _binary(frame, treated, "treated")
    _check_groups(t, treated, neighbors)
    x, names = _covariate_matrix(frame, covariates, dictionary)
    score = _propensity(x, t, covariates)
    keep, n_trimmed = _common_support(score, t, trim=trim)
    points = score[:, None] if method == "propensity" else _whiten(x, covariates)
    treated_rows = np.flatnonzero(t & keep)
    control_rows = np.flatnonzero(~t)
    matches = _nearest(points[control_rows], points[treated_rows], neighbors)
    est, se = _att(
        (yv[treated_rows], yv[control_rows]),
        (x[treated_rows], x[control_rows]),
        matches,
        points[control_rows],
    )
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    probability = 1 / (1 + np.exp(-score))
    balance = _balance(
        np.column_stack([probability, x]), ["傾向スコア", *names], treated_rows,
        control_rows, matches,
    )  # fmt: skip
    notes = _dropped_note(data, frame)
    label_t, _ = lookup(treated, dictionary)
    if n_trimmed:
        notes += (
            f"比べられる相手のいない処置群の{n_trimmed:,}人は除きました。効果は、比べられる相手の"
            "いる処置群の人についてのものです。",
        )
    used = len(np.unique(matches))
    return _estimate(
        "matching", (est, se, math.inf, est - z * se, est + z * se), y=(y, dictionary, y_unit),
        n=(len(treated_rows) + used, len(treated_rows) + used), confidence=confidence,
        cls=MatchingEstimate, method=_METHOD_NAMES[method], matched_on=method,
        covariates=tuple(covariates), balance=balance, n_treated=len(treated_rows),
        n_controls=used, n_trimmed=n_trimmed, treated_label=label_t,
        groups=(label_t, f"{label_t}以外"), notes=notes,
    )  # fmt: skip


def _check_covariates(data: Any, covariates: Any, *, y: str, treated: str) -> list[str]:
    frame = as_frame(data)
    if isinstance(covariates, str):
        covariates = [covariates]
    if not isinstance(covariates, (list, tuple)) or not covariates:
        raise ParameterError(message("evaluate.covariates_empty", got=repr(covariates)))
    for column in covariates:
        check_column(frame, column, "covariates")
        for other, name in ((y, "y"), (treated, "treated")):
            if column == other:
                raise ParameterError(
                    message("evaluate.covariate_reused", column=column, other=name)
                )
    return list(dict.fromkeys(covariates))


def _check_neighbors(neighbors: Any) -> int:
    if isinstance(neighbors, bool) or not isinstance(neighbors, (int, np.integer)) or neighbors < 1:
        raise ParameterError(
            message(
                "param_type",
                name="neighbors",
                accepted="1以上の整数",
                accepted_en="a whole number of at least 1",
                got=repr(neighbors),
            )
        )
    return int(neighbors)


def _check_groups(t: np.ndarray, treated: str, neighbors: int) -> None:
    minimum = max(_MIN_PER_GROUP, neighbors + 1)
    for mask, group, group_en, value in ((t, "処置群", "treated group", 1), (~t, "比較群", "comparison group", 0)):  # fmt: skip
        if int(mask.sum()) < minimum:
            raise ParameterError(
                message(
                    "evaluate.group_too_small",
                    group=group,
                    group_en=group_en,
                    treated=treated,
                    value=value,
                    count=int(mask.sum()),
                    minimum=minimum,
                )
            )


def _covariate_matrix(
    frame: pd.DataFrame, covariates: list[str], dictionary: Any
) -> tuple[np.ndarray, list[str]]:
    """Numbers for each covariate: numeric as they are, categories as 0/1 per level but one."""
    columns, names = [], []
    for column in covariates:
        series = frame[column]
        label, _ = lookup(column, dictionary)
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            columns.append(series.to_numpy(dtype=float))
            names.append(label)
        elif isinstance(series.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(series):
            dummies = pd.get_dummies(series, drop_first=True, dtype=float)
            for level in dummies.columns:
                columns.append(dummies[level].to_numpy())
                names.append(f"{label}: {level}")
        else:
            raise ParameterError(
                message("evaluate.covariate_type", column=column, dtype=str(series.dtype))
            )
    return np.column_stack(columns), names


def _propensity(x: np.ndarray, t: np.ndarray, covariates: list[str]) -> np.ndarray:
    """The logit of the propensity score (statsmodels Logit); refuses separated groups."""
    design = np.column_stack([np.ones(len(x)), x])
    covs = ", ".join(covariates)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ParameterError(message("evaluate.covariates_collinear", covariates=covs))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = Logit(t.astype(float), design).fit(disp=0, maxiter=200)
    score = design @ np.asarray(fit.params)
    lo_t, hi_t = score[t].min(), score[t].max()
    lo_c, hi_c = score[~t].min(), score[~t].max()
    if lo_t > hi_c or hi_t < lo_c:
        troubled = any("Separation" in w.category.__name__ or "Convergence" in w.category.__name__ for w in caught)  # fmt: skip
        if troubled or not np.isfinite(score).all():
            raise ParameterError(message("evaluate.separation", covariates=covs))
        p = 1 / (1 + np.exp(-score))
        raise ParameterError(
            message(
                "evaluate.no_overlap",
                treated_range=f"{p[t].min():.3f}〜{p[t].max():.3f}",
                treated_range_en=f"{p[t].min():.3f} to {p[t].max():.3f}",
                control_range=f"{p[~t].min():.3f}〜{p[~t].max():.3f}",
                control_range_en=f"{p[~t].min():.3f} to {p[~t].max():.3f}",
            )
        )
    return score


def _common_support(score: np.ndarray, t: np.ndarray, *, trim: bool) -> tuple[np.ndarray, int]:
    """Rows to keep: treated units within the controls' range widened by the caliper.

    The range is taken on the probability scale, where a score near 0 or 1 is close to its
    neighbours, so only a treated unit clearly beyond every control is flagged.
    """
    p = 1 / (1 + np.exp(-score))
    caliper = CALIPER_SD * float(np.std(p, ddof=1))
    lo, hi = p[~t].min() - caliper, p[~t].max() + caliper
    outside = t & ((p < lo) | (p > hi))
    if outside.any() and not trim:
        rows = np.flatnonzero(outside)
        examples = ", ".join(str(r) for r in rows[:5]) + (" ..." if len(rows) > 5 else "")
        raise ParameterError(
            message("evaluate.no_comparable", count=int(outside.sum()), examples=examples)
        )
    return ~outside, int(outside.sum())


def _whiten(x: np.ndarray, covariates: list[str]) -> np.ndarray:
    """Covariates rotated and scaled so that Euclidean distance is Mahalanobis distance."""
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ParameterError(
            message("evaluate.covariates_collinear", covariates=", ".join(covariates))
        ) from None
    return np.linalg.solve(chol, (x - x.mean(axis=0)).T).T


def _nearest(controls: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Indices (into ``controls``) of the ``k`` nearest controls of each target row."""
    _, idx = cKDTree(controls).query(targets, k=k)
    return np.asarray(idx).reshape(len(targets), k)


def _att(
    outcomes: tuple[np.ndarray, np.ndarray],
    covariates: tuple[np.ndarray, np.ndarray],
    matches: np.ndarray,
    points_c: np.ndarray,
) -> tuple[float, float]:
    """The bias-corrected matching estimate of the effect on the treated, and its standard error.

    Each treated unit's effect is its outcome minus the mean outcome of its matches, less the
    part of that difference a linear regression of the controls' outcome on the covariates
    puts down to the covariates still differing after matching (Abadie and Imbens, 2011,
    Journal of Business & Economic Statistics 29(1)). The variance is Abadie and Imbens'
    (2006):

    V = [sum over treated (e_i - tau)^2 + sum over controls K_j (K_j - 1) / M^2 * s2_j] / N1^2,

    with e_i a treated unit's effect, K_j the times control j is used, M matches per treated
    unit, and s2_j the variance of control j's outcome, estimated from its nearest other
    controls.
    """
    y_treated, y_controls = outcomes
    x_treated, x_controls = covariates
    n1, m = matches.shape
    design_c = np.column_stack([np.ones(len(x_controls)), x_controls])
    beta = np.linalg.lstsq(design_c, y_controls, rcond=None)[0]
    fitted_t = np.column_stack([np.ones(n1), x_treated]) @ beta
    fitted_c = design_c @ beta
    effects = (
        y_treated - y_controls[matches].mean(axis=1) - (fitted_t - fitted_c[matches].mean(axis=1))
    )
    tau = float(effects.mean())
    used = np.bincount(matches.ravel(), minlength=len(y_controls)).astype(float)
    j = min(_VARIANCE_NEIGHBOURS, len(y_controls) - 1)
    _, near = cKDTree(points_c).query(points_c, k=j + 1)
    near = np.asarray(near).reshape(len(y_controls), j + 1)
    not_self = near != np.arange(len(y_controls))[:, None]  # self first, unless tied
    others = np.take_along_axis(near, np.argsort(~not_self, axis=1, kind="stable"), 1)[:, :j]
    sigma2 = j / (j + 1) * (y_controls - y_controls[others].mean(axis=1)) ** 2
    variance = (np.sum((effects - tau) ** 2) + np.sum(used * (used - 1) / m**2 * sigma2)) / n1**2
    return tau, math.sqrt(variance)


def _balance(
    x: np.ndarray,
    names: list[str],
    treated_rows: np.ndarray,
    control_rows: np.ndarray,
    matches: np.ndarray,
) -> pd.DataFrame:
    """Means and standardized differences of each covariate before and after matching."""
    xt, xc = x[treated_rows], x[control_rows]
    matched = xc[matches].mean(axis=1)  # each treated unit's matched controls, averaged
    mean_t, mean_c, mean_m = xt.mean(axis=0), xc.mean(axis=0), matched.mean(axis=0)
    pooled = np.sqrt((xt.var(axis=0, ddof=1) + xc.var(axis=0, ddof=1)) / 2)
    pooled = np.where(pooled > 0, pooled, np.nan)
    return pd.DataFrame(
        {
            "共変量": names,
            "処置群の平均": mean_t,
            "比較群の平均(前)": mean_c,
            "比較群の平均(後)": mean_m,
            "標準化差(前)": (mean_t - mean_c) / pooled,
            "標準化差(後)": (mean_t - mean_m) / pooled,
        }
    )


def _plot_balance(res: MatchingEstimate, *, ax: Axes | None, source: str | None) -> Axes:
    balance = res.balance
    height = 1.2 + 0.35 * len(balance)
    ax = new_axes(ax, figsize=(6.4, max(2.8, height)))
    rows = np.arange(len(balance))[::-1]
    before, after = style.PALETTE[0], style.PALETTE[1]
    ax.scatter(
        balance["標準化差(前)"], rows, color=before, marker="o", label="そろえる前", zorder=3
    )
    ax.scatter(balance["標準化差(後)"], rows, color=after, marker="D", label="そろえた後", zorder=3)
    for r, a, b in zip(rows, balance["標準化差(前)"], balance["標準化差(後)"], strict=True):
        ax.plot([a, b], [r, r], color="#bbbbbb", linewidth=1, zorder=1)
    ax.axvline(0, color="#555555", linewidth=1)
    ax.set_yticks(rows, balance["共変量"])
    ax.set_xlabel("標準化差(処置群 − 比較群)")
    ax.set_title("共変量のバランス(0に近いほど、そろっている)", fontsize="medium")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    add_source(ax, source)
    return ax
