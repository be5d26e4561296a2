"""Statistics of paired what-if comparisons: shares with exact intervals, means and paired
differences with BCa bootstrap intervals (a fixed seed: the same runs give the same numbers),
the exact McNemar test, and Kaplan–Meier curves of time to a deal censored at the horizon."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import asdict
from typing import Any

import numpy as np
from scipy import stats
from tradetalks.experiments.paired import PairedEffect
from tradetalks.sim.summary import deal_date

LEVEL = 0.95  # every interval
N_RESAMPLES = 2000  # bootstrap resamples
BOOTSTRAP_SEED = 15  # fixed: the same runs give the same intervals


def _f(x: float) -> float | None:
    """A JSON number: rounded, None when undefined."""
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def _p(p: float) -> float:
    """A p-value to three significant digits (small ones stay visible)."""
    return float(f"{p:.3g}")


def _bootstrap(x: np.ndarray) -> tuple[float, float]:
    """BCa interval of the mean (percentile if BCa is undefined); a point if x is constant."""
    if len(x) == 0:
        return math.nan, math.nan
    if np.ptp(x) == 0:
        return float(x[0]), float(x[0])
    kw = {"n_resamples": N_RESAMPLES, "confidence_level": LEVEL}
    for method in ("BCa", "percentile"):
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = stats.bootstrap((x,), np.mean, method=method, rng=rng, **kw).confidence_interval
        if math.isfinite(ci.low) and math.isfinite(ci.high):
            break
    return float(ci.low), float(ci.high)


def mean_stats(x: np.ndarray) -> dict[str, float | None]:
    """Mean with its bootstrap interval."""
    low, high = _bootstrap(np.asarray(x, float))
    return {"mean": _f(float(np.mean(x))) if len(x) else None, "low": _f(low), "high": _f(high)}


def share_stats(hits: np.ndarray) -> dict[str, Any]:
    """A share with its exact (Clopper–Pearson) interval."""
    k, n = int(np.sum(hits)), len(hits)
    if n == 0:
        return {"count": 0, "n": 0, "share": None, "low": None, "high": None}
    ci = stats.binomtest(k, n).proportion_ci(LEVEL, method="exact")
    return {"count": k, "n": n, "share": _f(k / n), "low": _f(ci.low), "high": _f(ci.high)}


def paired_effect(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Mean of the paired differences b − a with the bootstrap interval (resampling seeds)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    low, high = _bootstrap(d)
    eff = PairedEffect(float(d.mean()) if len(d) else math.nan, low, high, LEVEL, len(d))
    return {**{k: _f(v) for k, v in asdict(eff).items()}, "n": len(d), "excludes_0": eff.excludes()}


def _yes_no(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    return {**paired_effect(a, b), "mcnemar": mcnemar(a, b)}


def mcnemar(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Exact McNemar test of paired yes/no outcomes: discordant pairs and two-sided p."""
    only_b, only_a = int(np.sum(b & ~a)), int(np.sum(a & ~b))
    n = only_a + only_b
    p = 1.0 if n == 0 else stats.binomtest(only_b, n, 0.5).pvalue
    return {"only_a": only_a, "only_b": only_b, "p": _p(p)}


def km_curve(weeks: np.ndarray, horizon: int, start: dt.date) -> dict[str, Any]:
    """Kaplan–Meier estimate of P(first deal by week t), no deal censored at ``horizon``.

    Censoring happens only at the end of the run, so before it the curve is the share of
    runs with a deal; where the log-log interval is undefined (shares of 0 or 1) the exact
    binomial interval of that share fills it in.
    """
    t = np.asarray(weeks, float)
    n, done = len(t), t[np.isfinite(t)]
    points: list[tuple[float, float, float, float]] = [(0.0, 0.0, 0.0, 0.0)]
    if len(done):
        data = stats.CensoredData(uncensored=done, right=np.full(n - len(done), float(horizon)))
        cdf = stats.ecdf(data).cdf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = cdf.confidence_interval(LEVEL, method="log-log")
        lows, highs = ci.low.probabilities, ci.high.probabilities
        for w, p, lo, hi in zip(cdf.quantiles, cdf.probabilities, lows, highs, strict=True):
            if not (math.isfinite(lo) and math.isfinite(hi)):
                exact = share_stats(np.arange(n) < round(p * n))
                lo, hi = exact["low"], exact["high"]
            points.append((float(w), float(p), float(lo), float(hi)))
    median = next((w for w, p, _, _ in points if p >= 0.5), None)
    return {
        "week": [int(w) for w, *_ in points],
        "date": [deal_date(start, int(w)) if w else start.isoformat() for w, *_ in points],
        "p_deal": [_f(p) for _, p, _, _ in points],
        "low": [_f(lo) for *_, lo, _ in points],
        "high": [_f(hi) for *_, hi in points],
        "median_week": None if median is None else int(median),
        "median_date": None if median is None else deal_date(start, int(median)),
    }
