"""Policy evaluation with honest uncertainty: the comparison designs of a municipal evaluation.

Each estimator returns an :class:`EffectEstimate` (or a design's subclass of it): the estimate,
its standard error and confidence interval, how many observations and units it rests on, the
method, and the assumption that turns the number into an *effect*. ``.table()`` gives one tidy
row (results of several methods stack with ``pd.concat``), ``.reading()`` a plain-Japanese
paragraph that says what the interval means and which assumption the estimate rests on, and a
notebook shows both. Designs with a chart to judge their assumption draw it with ``.plot()``.

The designs answer the same question with different assumptions:

- :func:`before_after`: the mean change between two periods. An effect only if nothing else
  moved the outcome between the periods (season, business cycle, other policies).
- :func:`compare_groups`: the difference between two groups (Welch's interval). An effect only
  if the groups are comparable, as if assignment had been random.
- :func:`did`: difference-in-differences with unit and time fixed effects, standard errors
  clustered by unit. An effect if the groups would have moved in parallel without the policy
  (parallel trends); :func:`plot_trends` draws the group means over time to judge that.
- :func:`lottery`: winners minus losers of a draw (the intention-to-treat effect) and, with
  the take-up column, the effect on those who take the programme up because they won (the
  Wald estimate). Random assignment makes the groups comparable (module ``randomized``).
- :func:`rdd`: the jump at a cutoff of a running variable (age, income), by ``rdrobust``;
  ``.plot()`` draws the binned means and the fits (module ``discontinuity``).
- :func:`matching`: participants against the most similar non-participants, on the propensity
  score or the covariates; ``.balance`` and ``.plot()`` show whether the covariates were made
  alike. An effect only if participation depends on the covariates alone (module ``matched``).
- :func:`event_study`: a difference-in-differences by period relative to the start, with a
  test that the periods before it show no effect (the pre-trend check); ``.plot()`` draws the
  coefficients (module ``event_time``).

Two helpers turn an effect into a decision (module ``planning``): :func:`cost_effectiveness`
(cost per unit of outcome, with its interval) and :func:`sample_size` (units a pilot needs).

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
treated : str
    A 0/1 (or True/False) column: 1 for units that received the programme.
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

from ebpmkit._labels import SOURCE_NOTE
from ebpmkit.evaluate._result import ASSUMPTIONS, EffectEstimate
from ebpmkit.evaluate.comparisons import before_after, compare_groups
from ebpmkit.evaluate.diff_in_diff import MIN_CLUSTERS, MIN_UNITS_PER_GROUP, did, plot_trends
from ebpmkit.evaluate.discontinuity import RddEstimate, rdd
from ebpmkit.evaluate.event_time import EventStudyEstimate, event_study
from ebpmkit.evaluate.matched import MatchingEstimate, matching
from ebpmkit.evaluate.planning import (
    CostEffectiveness,
    SampleSize,
    cost_effectiveness,
    sample_size,
)
from ebpmkit.evaluate.randomized import LotteryEstimate, lottery

__all__ = [
    "ASSUMPTIONS",
    "MIN_CLUSTERS",
    "MIN_UNITS_PER_GROUP",
    "SOURCE_NOTE",
    "CostEffectiveness",
    "EffectEstimate",
    "EventStudyEstimate",
    "LotteryEstimate",
    "MatchingEstimate",
    "RddEstimate",
    "SampleSize",
    "before_after",
    "compare_groups",
    "cost_effectiveness",
    "did",
    "event_study",
    "lottery",
    "matching",
    "plot_trends",
    "rdd",
    "sample_size",
]
