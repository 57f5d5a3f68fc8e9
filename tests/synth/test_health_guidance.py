"""Specific health checkups and guidance (ebpmkit.synth.health_guidance): who is examined, the
guidance rule, the effect written into ``nhi``, and the selection-on-observables design.

The design test uses urban-ward at scale 0.3 so the heavy-tailed cost leaves intervals narrow
enough to tell the three comparisons apart (at scale 0.05 their 95% intervals are about
+-150,000 yen wide).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from ebpmkit.synth import generate_tables, health_guidance, nhi
from ebpmkit.synth.context import SimContext
from ebpmkit.synth.profile import load_profile

SCALE = 0.3
SEED = 7


@pytest.fixture(scope="module")
def run():
    """Inputs, the nhi table before guidance, and the module's output and truth."""
    inputs, _ = generate_tables(
        "urban-ward", SEED, SCALE, only=("geography", "population", "income")
    )
    ctx = SimContext(load_profile("urban-ward"), SEED, SCALE, tables=dict(inputs))
    ctx.tables.update(nhi.simulate(ctx))
    before = ctx.tables["nhi"]
    out = health_guidance.simulate(ctx)
    return ctx, before, out


@pytest.fixture(scope="module")
def flagged(run):
    """The flagged examinees seen in NHI the next year, with income and next year's cost."""
    ctx, _, out = run
    checkups, after = out["checkups"], out["nhi"]
    nxt = after[["fiscal_year", "person_id", "medical_cost"]].rename(
        columns={"medical_cost": "next_cost"}
    )
    nxt["fiscal_year"] = nxt["fiscal_year"] - 1
    it = ctx.tables["income_tax"][["fiscal_year", "person_id", "total_income"]]
    frame = checkups.merge(nxt, on=["fiscal_year", "person_id"]).merge(
        it, on=["fiscal_year", "person_id"], how="left"
    )
    frame = frame[frame["guidance_level"] != "対象外"].copy()
    frame["log_income"] = np.log1p(frame["total_income"].fillna(0) / 10_000)
    frame["g"] = frame["guided"].astype(float)
    return frame


def _effect(frame: pd.DataFrame, formula: str) -> tuple[float, float, float]:
    fit = smf.ols(formula, data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["person_id"]}
    )
    lo, hi = fit.conf_int().loc["g"]
    return float(fit.params["g"]), float(lo), float(hi)


def test_columns_match_the_dictionary(run):
    _, _, out = run
    table = out["checkups"]
    declared = [c for c in health_guidance.COLUMNS if c.table == "checkups"]
    assert list(table.columns) == [c.column for c in declared]
    for c in declared:
        assert str(table[c.column].dtype) == c.dtype, c.column
    assert set(out) == {"checkups", "nhi"}
    assert list(out["nhi"].columns) == list(run[1].columns)


def test_examinees_are_nhi_members_aged_40_to_74(run):
    _, before, out = run
    checkups = out["checkups"]
    assert checkups["age"].between(40, 74).all()
    joined = checkups.merge(before, on=["fiscal_year", "person_id"], suffixes=("", "_nhi"))
    assert len(joined) == len(checkups)
    assert (joined["age"] == joined["age_nhi"]).all()
    assert not checkups.duplicated(["fiscal_year", "person_id"]).any()
    eligible = before["age"].between(40, 74).sum()
    assert len(checkups) / eligible == pytest.approx(0.38, abs=0.01)  # take-up in rates file
    # the same people come back: among members eligible in two years running, take-up the
    # second year is far higher after a checkup the first year
    eligible = before.loc[before["age"].between(40, 74), ["fiscal_year", "person_id"]]
    took = eligible.merge(checkups[["fiscal_year", "person_id"]], how="left", indicator=True)
    took["took"] = took.pop("_merge") == "both"
    pairs = took.merge(
        took.assign(fiscal_year=took["fiscal_year"] - 1), on=["fiscal_year", "person_id"]
    )
    rate = pairs.groupby("took_x")["took_y"].mean()
    assert rate[True] > rate[False] + 0.3, rate


def test_guidance_follows_the_simplified_rule(run):
    _, _, out = run
    c = out["checkups"]
    high_bp, high_a1c = c["systolic_bp"] >= 130, c["hba1c"] >= 5.6
    flagged = (c["bmi"] >= 25) & (high_bp | high_a1c)
    intensive = flagged & high_bp & high_a1c & (c["age"] < 65)
    level = c["guidance_level"].astype(str)
    assert (level.ne("対象外") == flagged).all()
    assert (level.eq("積極的支援") == intensive).all()
    assert not c.loc[~flagged, "guided"].any()
    assert c.loc[flagged, "guided"].mean() == pytest.approx(0.30, abs=0.01)
    assert c["guidance_level"].cat.ordered and c["motivation"].cat.ordered


def test_only_the_next_year_cost_of_the_guided_is_lowered(run):
    ctx, before, out = run
    after = out["nhi"]
    changed = before["medical_cost"].to_numpy() != after["medical_cost"].to_numpy()
    c = out["checkups"]
    guided = c.loc[c["guided"], ["fiscal_year", "person_id"]]
    targets = before.reset_index().merge(
        guided.assign(fiscal_year=guided["fiscal_year"] + 1), on=["fiscal_year", "person_id"]
    )
    positive = targets.loc[targets["medical_cost"] > 0, "index"].to_numpy()
    assert set(np.flatnonzero(changed)) == set(positive)
    old = before["medical_cost"].to_numpy()[positive]
    new = after["medical_cost"].to_numpy()[positive]
    np.testing.assert_array_equal(new, np.round(old * 0.9 / 10).astype(np.int64) * 10)
    other = [col for col in before.columns if col != "medical_cost"]
    pd.testing.assert_frame_equal(before[other], after[other])
    truth = ctx.truth["health_guidance"]
    assert truth["nhi_rows_lowered"] == len(positive)
    assert truth["nhi_cost_total_change_yen"] == int((new - old).sum())


def test_the_guided_are_older_sicker_richer_and_more_motivated(flagged):
    means = flagged.groupby("guided")[["age", "bmi", "systolic_bp", "hba1c", "log_income"]].mean()
    assert (means.loc[True] > means.loc[False]).all(), means
    codes = flagged["motivation"].cat.codes
    assert codes[flagged["guided"]].mean() > codes[~flagged["guided"]].mean() + 0.2


def test_adjustment_recovers_the_truth_naive_and_hidden_do_not(run, flagged):
    ctx, _, _ = run
    truth = ctx.truth["health_guidance"]
    att = truth["true_effect_yen"]
    assert att < 0
    observed = "age + bmi + systolic_bp + hba1c + log_income"
    est, lo, hi = _effect(flagged, f"next_cost ~ g + {observed} + C(motivation)")
    assert lo <= att <= hi, (est, lo, hi, att)
    assert est == pytest.approx(truth["ols_adjusted_yen"])
    # naive: the guided are older and sicker, so the difference is biased upward
    est_n, lo_n, _ = _effect(flagged, "next_cost ~ g")
    assert lo_n > att and est_n == pytest.approx(truth["naive_difference_yen"])
    # motivation hidden: the adjusted estimate overstates the saving
    est_h, _, hi_h = _effect(flagged, f"next_cost ~ g + {observed}")
    assert hi_h < att and est_h == pytest.approx(truth["ols_without_hidden_yen"])


def test_truth_is_consistent_and_json_serialisable(run, flagged):
    ctx, _, out = run
    truth = ctx.truth["health_guidance"]
    json.dumps(truth)
    assert truth["relative_effect"] == pytest.approx(-0.10)
    assert truth["hidden_variable"] == "motivation"
    for column, table in truth["selection_variables"].items():
        source = "checkups" if table == "checkups" else table.split()[0]
        frame = out["checkups"] if source == "checkups" else ctx.tables[source]
        assert column in frame.columns, (column, source)
    guided = flagged[flagged["guided"]]
    # ATT = the guided's next-year cost minus what it would have been (x 1/0.9, up to rounding)
    counterfactual = np.where(guided["next_cost"] > 0, guided["next_cost"] / 0.9, 0)
    assert truth["true_effect_yen"] == pytest.approx(
        (guided["next_cost"] - counterfactual).mean(), rel=1e-3
    )
    assert truth["guided_with_next_year"] == len(guided)
    assert truth["checkups"] == len(out["checkups"])


def test_runs_in_the_generator_and_is_deterministic():
    only = ("geography", "population", "income", "nhi", "health_guidance")
    a, truth = generate_tables("town", 3, 0.02, only=only)
    b, _ = generate_tables("town", 3, 0.02, only=only)
    pd.testing.assert_frame_equal(a["checkups"], b["checkups"])
    pd.testing.assert_frame_equal(a["nhi"], b["nhi"])
    assert truth["health_guidance"]["guided"] > 0
