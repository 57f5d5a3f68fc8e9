"""The event study on exercise 10's dataset recovers the simulated monthly effects.

The dataset is the one learners get (loaded through the bank's ``DatasetConfig``), and the
truth is the generator's ``ground_truth["voucher"]["event_study"]``. Every month the truth gives
(but the reference month) must be estimated. Intervals of single months may miss by chance, and
all of them are contrasts with the same reference month, so their misses are not independent and
cannot be counted against a binomial bound; the tests therefore judge the intervals that summarise
many months: the average effect from the start on (``res.estimate``, the event study's own
summary) and the difference-in-differences over the use months. The naive before/after
comparison of buyers must miss the truth, and the pre-trend test must not reject (the panel is
parallel by construction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ebpmkit import evaluate
from ebpmkit.grading.banks.ex10_assumptions import EXERCISE

REL = "事業開始からの時点"


@pytest.fixture(scope="module")
def ds():
    return EXERCISE.data.load()


@pytest.fixture(scope="module")
def use(ds) -> tuple[pd.Timestamp, pd.Timestamp]:
    months = sorted(pd.to_datetime(ds.voucher_redemptions["month"].unique()))
    return months[0], months[-1]


@pytest.fixture(scope="module")
def result(ds, use):
    return evaluate.event_study(
        ds.household_spending, y="local_spending", time="month", unit="household_id",
        event=use[0], treated="buyer",
    )  # fmt: skip


@pytest.fixture(scope="module")
def truth(ds) -> pd.DataFrame:
    t = ds.ground_truth["voucher"]["event_study"]
    return pd.DataFrame({REL: t["relative_month"], "truth": t["att_yen_per_buyer_household"]})


def test_every_month_of_the_truth_is_estimated(result, truth):
    periods = result.periods
    estimated = set(periods.loc[~periods["基準"], REL])
    reference = int(periods.loc[periods["基準"], REL].item())
    assert reference == result.reference == -1
    assert estimated == set(truth[REL]) - {reference}
    # the truth is zero at the reference month, so fixing its coefficient at 0 loses nothing
    assert truth.loc[truth[REL] == reference, "truth"].item() == 0.0


def test_average_effect_from_the_start_covers_the_truth(result, truth):
    after = truth.loc[truth[REL] >= 0, "truth"]
    assert after.gt(0).any()  # a real effect, so covering it is not covering zero
    assert result.ci_low <= after.mean() <= result.ci_high


def test_use_period_difference_in_differences_covers_the_truth(ds, use):
    att = ds.ground_truth["voucher"]["att_yen_per_buyer_household_month"]
    res = evaluate.did(
        ds.household_spending, y="local_spending", unit="household_id", time="month",
        treated="buyer", post=use,
    )  # fmt: skip
    assert res.ci_low <= att <= res.ci_high


def test_naive_before_after_misses_the_truth(ds, use):
    att = ds.ground_truth["voucher"]["att_yen_per_buyer_household_month"]
    panel = ds.household_spending
    naive = evaluate.before_after(
        panel[panel["buyer"]], y="local_spending", time="month", period=use, unit="household_id"
    )
    assert not naive.ci_low <= att <= naive.ci_high


def test_truth_months_match_the_use_period(ds, use, truth):
    months = pd.to_datetime(pd.Series(ds.ground_truth["voucher"]["event_study"]["months"]))
    start = months[np.asarray(truth[REL]) == 0].item()
    assert start == use[0]
    effective = months[np.asarray(truth["truth"]) > 0]
    assert effective.min() >= use[0] and effective.max() <= use[1]


def test_pretrend_test_does_not_reject(result):
    assert result.n_leads > 0
    assert result.pretrend_p >= 1 - result.confidence
