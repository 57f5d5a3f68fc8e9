"""Benchmark: how often each estimator's 95% interval covers the simulated truth.

Run ``python bench/bench_coverage_designs.py [seeds]`` (200 seeds by default). For every seed it
simulates one small data set per design with a known effect, runs the estimator of
``ebpmkit.evaluate`` and records whether the 95% interval contains the truth. A well-calibrated
interval covers it in about 95% of seeds (with 200 seeds the share has a standard error of
about 1.5 points, so 92-98% is within noise). The naive comparisons each design replaces are
run on the same data, to show how often they would have covered the truth. The pilot size
of ``sample_size`` is checked the same way: the share of simulated pilots of that size in
which Welch's test finds the effect should be close to the power asked for.

This is not a timed benchmark; it prints figures for the report.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from ebpmkit import evaluate

__all__ = ["DESIGNS", "main", "run"]

LEVEL = 0.95

#: What a simulated design returns: the interval of each estimator, the true effect, and
#: figures by name: a name of an interval gives that estimator its own truth (a ratio's), any
#: other name is a 0/1 figure whose share over the seeds is printed.
Outcome = tuple[dict[str, tuple[float, float]], float, dict[str, float]]


# --------------------------------------------------------------------------------------------
# Simulated designs: each returns {estimator name: (low, high)} and the truth
# --------------------------------------------------------------------------------------------
def lottery(rng: np.random.Generator) -> Outcome:
    """400 applicants; keen (high-spending) winners buy more often; losers cannot buy."""
    n, effect = 400, 3000.0
    level = rng.normal(50_000, 8_000, n)
    won = rng.random(n) < 0.5
    keen = 1 / (1 + np.exp(-(level - 50_000) / 4_000))
    bought = won & (rng.random(n) < 0.2 + 0.6 * keen)
    frame = pd.DataFrame(
        {"won": won, "bought": bought, "y": level + effect * bought + rng.normal(0, 3_000, n)}
    )
    res = evaluate.lottery(frame, y="y", assigned="won", treated="bought")
    naive = evaluate.compare_groups(frame, y="y", group="bought")
    cost = evaluate.cost_effectiveness(12_000, res)
    delta = evaluate.cost_effectiveness(12_000, res, method="delta")
    intervals = {
        "lottery (effect of buying)": (res.ci_low, res.ci_high),
        "naive: buyers vs non-buyers": (naive.ci_low, naive.ci_high),
        "cost_effectiveness, Fieller": _per_increase(cost),
        "cost_effectiveness, delta": _per_increase(delta),
    }
    truths = {"cost_effectiveness, Fieller": 12_000 / effect}
    truths["cost_effectiveness, delta"] = truths["cost_effectiveness, Fieller"]
    return intervals, effect, truths


def _per_increase(ce: evaluate.CostEffectiveness) -> tuple[float, float]:
    """The interval of the cost per unit increase the result allows.

    Bounded: the interval when the estimate is an increase (a cost per unit decrease never
    covers a cost per unit increase). Unbounded (the effect's interval includes 0): Fieller's
    set holds every cost per unit increase from cost / effect_ci_high up, whatever the sign of
    the estimate; the delta method's symmetric interval is taken as it is.
    """
    if ce.bounded or ce.method == "delta":
        return (ce.ci_low, ce.ci_high) if ce.effect > 0 else (np.nan, np.nan)
    return ce.cost / ce.effect_ci_high, np.inf


def lottery_itt(rng: np.random.Generator) -> Outcome:
    """The same draw; the truth of the ITT is the effect times the winners' take-up rate."""
    n, effect, rate = 400, 3000.0, 0.5
    won = rng.random(n) < 0.5
    bought = won & (rng.random(n) < rate)
    frame = pd.DataFrame(
        {"won": won, "y": rng.normal(50_000, 8_000, n) + effect * bought + rng.normal(0, 3_000, n)}
    )
    res = evaluate.lottery(frame, y="y", assigned="won")
    return {"lottery (ITT)": (res.ci_low, res.ci_high)}, effect * rate, {}


def discontinuity(rng: np.random.Generator) -> Outcome:
    """1,000 children aged 9-21; the subsidy below 15 adds 1.5 visits; a curved age profile."""
    n, jump = 1000, 1.5
    age = rng.uniform(9, 21, n)
    smooth = 6 - 0.25 * age + 0.1 * (age - 15) ** 2 + 0.02 * (age - 15) ** 3
    frame = pd.DataFrame({"age": age, "visits": smooth + jump * (age < 15) + rng.normal(0, 1, n)})
    res = evaluate.rdd(frame, y="visits", running="age", cutoff=15, side="below")
    naive = evaluate.compare_groups(frame.assign(under=age < 15), y="visits", group="under")
    return (
        {"rdd (robust bias-corrected)": (res.ci_low, res.ci_high),
         "naive: all below vs all above": (naive.ci_low, naive.ci_high)},
        jump,
        {},
    )  # fmt: skip


def matched(rng: np.random.Generator) -> Outcome:
    """600 people; the old and the chronically ill join a guidance programme more."""
    n, effect = 600, -20.0
    age = rng.uniform(40, 75, n)
    chronic = rng.random(n) < 0.3
    joined = rng.random(n) < 1 / (1 + np.exp(-((age - 58) / 8 + 0.8 * chronic)))
    frame = pd.DataFrame(
        {"age": age, "chronic": chronic, "joined": joined,
         "cost": 100 + 3 * age + 40 * chronic + effect * joined + rng.normal(0, 15, n)}
    )  # fmt: skip
    out = {}
    for method in ("propensity", "covariate"):
        res = evaluate.matching(
            frame, y="cost", treated="joined", covariates=["age", "chronic"], method=method,
            trim=True,
        )  # fmt: skip
        out[f"matching ({method})"] = (res.ci_low, res.ci_high)
    naive = evaluate.compare_groups(frame, y="cost", group="joined")
    out["naive: joiners vs others"] = (naive.ci_low, naive.ci_high)
    return out, effect, {}


def events(rng: np.random.Generator) -> Outcome:
    """30 households x 12 months; 15 buy vouchers used from month 6 on (+4,000 yen)."""
    units, months, effect = 30, 12, 4_000.0
    frame = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), months), "t": np.tile(np.arange(months), units)}
    )
    frame["buyer"] = frame["unit"] < units // 2
    frame["y"] = (
        rng.normal(60_000, 8_000, units)[frame["unit"]]
        + 500 * np.sin(frame["t"].to_numpy())
        + effect * (frame["buyer"] & (frame["t"] >= 6))
        + rng.normal(0, 2_000, len(frame))
    )
    res = evaluate.event_study(frame, y="y", time="t", unit="unit", event=6, treated="buyer")
    did = evaluate.did(frame, y="y", unit="unit", time="t", treated="buyer", post=6)
    return (
        {"event_study (mean after the start)": (res.ci_low, res.ci_high),
         "did": (did.ci_low, did.ci_high)},
        effect,
        {"pre-trend test rejects (share)": float(res.pretrend_p < 0.05)},
    )  # fmt: skip


DESIGNS: dict[str, Callable] = {
    "lottery": lottery,
    "lottery_itt": lottery_itt,
    "rdd": discontinuity,
    "matching": matched,
    "event_study": events,
}


def pilot_power(seeds: int) -> tuple[float, float, int]:
    """Share of simulated pilots of the size sample_size gives that detect the effect."""
    effect, sd, power = 500.0, 2000.0, 0.8
    plan = evaluate.sample_size(effect, sd, power=power)
    hits = 0
    for seed in range(seeds):
        rng = np.random.default_rng(10_000 + seed)
        a = rng.normal(effect, sd, plan.n_treated)
        b = rng.normal(0.0, sd, plan.n_comparison)
        hits += stats.ttest_ind(a, b, equal_var=True).pvalue < 1 - LEVEL
    return hits / seeds, power, plan.n_treated


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------
def run(seeds: int = 200) -> pd.DataFrame:
    """Coverage of the truth by each estimator's interval over ``seeds`` simulations."""
    rows = []
    for design, simulate in DESIGNS.items():
        started = time.perf_counter()
        covered: dict[str, list[bool]] = {}
        extra: dict[str, list[float]] = {}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            intervals, truth, others = simulate(rng)
            for name, (low, high) in intervals.items():
                target = others.get(name, truth)
                covered.setdefault(name, []).append(bool(low <= target <= high))
            for name, value in others.items():
                if name not in intervals:
                    extra.setdefault(name, []).append(value)
        seconds = time.perf_counter() - started
        for name, hits in covered.items():
            rows.append({"design": design, "estimator": name, "coverage": np.mean(hits),
                         "seeds": len(hits), "seconds": seconds})  # fmt: skip
        for name, values in extra.items():
            rows.append({"design": design, "estimator": name, "coverage": np.mean(values),
                         "seeds": len(values), "seconds": seconds})  # fmt: skip
    share, power, n = pilot_power(seeds)
    rows.append({"design": "sample_size", "estimator": f"pilots of {n} per group detecting "
                 f"the effect (target power {power:.0%})", "coverage": share, "seeds": seeds,
                 "seconds": float("nan")})  # fmt: skip
    return pd.DataFrame(rows)


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    table = run(seeds)
    with pd.option_context("display.width", 120, "display.max_colwidth", 60):
        print(f"95% interval coverage of the simulated truth ({seeds} seeds per design)")
        print(table.to_string(index=False, formatters={"coverage": "{:.1%}".format,
                                                       "seconds": "{:.1f}".format}))  # fmt: skip


if __name__ == "__main__":
    main()
