"""The result every estimator returns: :class:`EffectEstimate`."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ebpmkit.evaluate._words import _amount, _label_unit, _percent

__all__ = ["ASSUMPTIONS", "EffectEstimate"]

#: The assumption each design rests on, in the words of the readings.
ASSUMPTIONS = {
    "before_after": "二つの期間のあいだに、事業以外に結果を動かす変化がなかった",
    "compare_groups": "二つのグループはもともと比べられる(どちらに入るかが、くじ引きのように偶然で決まった)",
    "did": "平行トレンド(事業がなければ、処置群と比較群の平均は同じ幅で動いていた)",
    "lottery": "くじで当落が偶然に決まった(無作為割付)ので、当選者と落選者はもともと比べられる",
    "lottery_take_up": (
        "無作為割付に加え、当選は参加を通じてだけ結果を動かし(除外制約)、"
        "当選したために参加をやめる人はいない"
    ),
    "rdd": (
        "基準値のすぐ上と下はもともと比べられる(事業がなければ、結果は基準値の前後で"
        "なめらかにつながっていた)"
    ),
    "matching": "参加するかどうかは、そろえた共変量だけで決まった(共変量が同じなら、参加は偶然と同じ)",
    "event_study": (
        "平行トレンド(事業がなければ、処置群と比較群の平均は同じ幅で動いていた)、"
        "事業の前に効果が先取りされていない"
    ),
}

_METHODS = {
    "before_after": "前後比較",
    "compare_groups": "グループ比較(Welch)",
    "did": "差の差分析(DiD、二方向固定効果)",
    "lottery": "くじによる比較(ITT)",
    "lottery_take_up": "くじを使った参加の効果(Wald推定、操作変数法)",
    "rdd": "回帰不連続デザイン(局所線形、rdrobust)",
    "matching": "傾向スコアマッチング(最近傍、処置群への効果)",
    "event_study": "イベントスタディ(二方向固定効果)",
}


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
        found, assumption = self._story()
        caveat = "ただし、信頼区間は前提が崩れたときの偏り(バイアス)までは含みません。"
        return "".join(
            [found, self._interval_text(), self._zero_text(), assumption, caveat, *self.notes]
        )

    # The parts of a reading; each design's result class writes its own story.
    def _label(self) -> str:
        return self.y_label or self.y or "結果"

    def _ci_text(self) -> str:
        low, high = _amount(self.ci_low, self.y_unit), _amount(self.ci_high, self.y_unit)
        return f"{_percent(self.confidence)}信頼区間: {low}〜{high}"

    def _interval_text(self) -> str:
        level = _percent(self.confidence)
        return (
            f"{level}信頼区間とは、同じ方法でデータを取り直して区間を作ることを繰り返すと、"
            f"そのうち{level}の回で本当の値を含むように作った幅で、偶然のばらつきによる不確かさを表します。"
        )

    def _zero_text(self) -> str:
        if self.ci_low <= 0 <= self.ci_high:
            return "区間が0をまたいでいるので、差がない(0である)可能性も否定できません。"
        return "区間が0を含まないので、偶然のばらつきだけでこの差が出たとは考えにくいと言えます。"

    def _story(self) -> tuple[str, str]:
        """What was found and what must hold for it to be an effect (two sentences)."""
        story = {"did": _story_did, "before_after": _story_before_after}.get(
            self.kind, _story_groups
        )
        return story(self)

    def _html_extra(self) -> str:
        """More HTML after the reading (a design's own tables); nothing by default."""
        return ""

    def _repr_html_(self) -> str:
        table = self.table().to_html(
            index=False,
            float_format=lambda v: f"{v:,.2f}",
            formatters={"観測数": "{:,}".format, "単位数": "{:,}".format},
        )
        return (
            f"<div><p><b>{html.escape(self.method)}</b></p>{table}"
            f"<p>{html.escape(self.reading())}</p>{self._html_extra()}</div>"
        )


def _story_did(r: EffectEstimate) -> tuple[str, str]:
    first, second = (r.groups + ("", ""))[:2]
    label = r._label()
    moved = "増えた" if r.estimate >= 0 else "減った"
    found = (
        f"差の差分析(DiD)によると、{first}(処置群)の{label}は、"
        f"事業の期間{f'({r.period})' if r.period else ''}に、"
        f"{second}(比較群)と同じ動きをした場合と比べて{r.per}{_amount(abs(r.estimate), r.y_unit)}"
        f"{moved}と推定されます({r._ci_text()})。"
    )
    assumption = (
        f"この推定は「平行トレンド」の仮定、つまり事業がなければ両群の{label}の平均は"
        "同じ幅で動いていたはずだ、という前提に立っています。plot_trends で事業前の推移を描き、"
        "2本の線が平行に動いているか確かめてください。"
    )
    return found, assumption


def _story_before_after(r: EffectEstimate) -> tuple[str, str]:
    first, second = (r.groups + ("", ""))[:2]
    label = r._label()
    moved = "増えました" if r.estimate >= 0 else "減りました"
    means = ""
    if len(r.means) == 2:
        means = (
            f"{second}の{_amount(r.means[1], r.y_unit)}から"
            f"{first}の{_amount(r.means[0], r.y_unit)}へ、"
        )
    est = _amount(abs(r.estimate), r.y_unit)
    found = f"前後比較では、{label}の平均が{means}{r.per}{est}{moved}({r._ci_text()})。"
    assumption = (
        "これを事業の効果と読めるのは「二つの期間のあいだに、事業以外に"
        f"{label}を動かす変化(季節、景気、ほかの施策など)がなかった」場合だけです。"
        "同じ時期にほかの変化があれば、その影響も効果のように見えてしまいます。"
    )
    return found, assumption


def _story_groups(r: EffectEstimate) -> tuple[str, str]:
    first, second = (r.groups + ("", ""))[:2]
    moved = "高く" if r.estimate >= 0 else "低く"
    means = ""
    if len(r.means) == 2:
        means = (
            f"{first}が{_amount(r.means[0], r.y_unit)}、"
            f"{second}が{_amount(r.means[1], r.y_unit)}で、"
        )
    est = _amount(abs(r.estimate), r.y_unit)
    found = (
        f"グループ比較では、{r._label()}の平均は{means}{first}のほうが{r.per}{est}{moved}なっています"
        f"({r._ci_text()})。"
    )
    assumption = (
        "この差を事業の効果と読めるのは「二つのグループがもともと比べられる"
        "(どちらのグループに入るかが、くじ引きのように偶然で決まった)」場合だけです。"
        "自分で選んで参加した人は、参加しなかった人ともともと違うことが多く、"
        "その違いも差に含まれてしまいます。"
    )
    return found, assumption


def _estimate(
    kind: str,
    fit: tuple[float, ...],
    *,
    y: tuple[str, Any, str | None],
    n: tuple[int, int],
    confidence: float,
    cls: type[EffectEstimate] = EffectEstimate,
    **details: Any,
) -> Any:
    """The result every estimator returns: ``fit`` is (estimate, SE, df, low, high).

    ``cls`` is :class:`EffectEstimate` or a design's subclass of it (``details`` then also
    holds that class's own fields).
    """
    est, se, df, lo, hi = fit
    column, dictionary, y_unit = y
    label, unit_of_y = _label_unit(column, dictionary, y_unit)
    details.setdefault("method", _METHODS[kind])
    details.setdefault("assumption", ASSUMPTIONS[kind])
    return cls(
        estimate=est,
        std_error=se,
        ci_low=lo,
        ci_high=hi,
        n_obs=n[0],
        n_units=n[1],
        kind=kind,
        confidence=confidence,
        df=df,
        y=column,
        y_label=label,
        y_unit=unit_of_y,
        **details,
    )
