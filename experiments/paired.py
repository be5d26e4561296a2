"""Paired what-if statistics over common random numbers: RMST, deal-by-date, bootstrap CIs.

Two arms run the same seeds (every random stream identical, sim/streams.py), so their
outcomes pair up by seed.  Deal timing is censored at the run's end and quantised by rounds,
so medians are lumpy: compare restricted mean times to the first deal (RMST) and shares
with a deal by a date, with paired bootstrap intervals (core-v2 §2.3).  A log-rank test
compares whole curves; TOST checks equivalence within a margin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

Statistic = Callable[[np.ndarray], float]


def first_deal_weeks(weeks: list[int | None] | np.ndarray) -> np.ndarray:
    """First-deal weeks as floats, ``inf`` for runs without a deal (censored)."""
    return np.array([np.inf if w is None else float(w) for w in weeks], dtype=float)


def rmst(weeks: np.ndarray, tau: float) -> float:
    """Restricted mean time to the first deal over ``[0, tau]``: mean of min(T, tau).

    Runs must last at least ``tau`` weeks so that a run without a deal is censored at or
    after ``tau`` (its time counts as ``tau``)."""
    return float(np.minimum(np.asarray(weeks, dtype=float), tau).mean())


def share_by(weeks: np.ndarray, week: float) -> float:
    """Share of runs with a first deal in or before ``week``."""
    return float((np.asarray(weeks, dtype=float) <= week).mean())


@dataclass(frozen=True)
class PairedEffect:
    """A paired difference (arm B − arm A) with its bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float
    n: int

    def excludes(self, value: float = 0.0) -> bool:
        """True if the interval lies wholly on one side of ``value``."""
        return self.low > value or self.high < value

    def within(self, margin: float) -> bool:
        """True if the interval lies inside ±``margin`` (equivalence, as in TOST)."""
        return -margin < self.low and self.high < margin


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    statistic: Statistic,
    rng: np.random.Generator,
    n_boot: int = 2000,
    level: float = 0.95,
) -> PairedEffect:
    """statistic(b) − statistic(a), resampling seeds (rows) together in both arms."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError("paired arms need the same, positive number of runs")
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    diffs = np.array([statistic(b[i]) - statistic(a[i]) for i in idx])
    tail = (1 - level) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail])
    return PairedEffect(statistic(b) - statistic(a), float(low), float(high), level, len(a))


def logrank(weeks_a: np.ndarray, weeks_b: np.ndarray) -> tuple[float, float]:
    """Log-rank test of two first-deal curves (``inf`` = censored at the end): (χ², p)."""
    ta, tb = np.asarray(weeks_a, float), np.asarray(weeks_b, float)
    times = np.unique(np.concatenate([ta, tb])[np.isfinite(np.concatenate([ta, tb]))])
    obs_minus_exp, var = 0.0, 0.0
    for t in times:
        at_risk_a, at_risk_b = (ta >= t).sum(), (tb >= t).sum()
        d_a, d_b = (ta == t).sum(), (tb == t).sum()
        n, d = at_risk_a + at_risk_b, d_a + d_b
        if n <= 1:
            continue
        obs_minus_exp += d_a - d * at_risk_a / n
        var += d * (at_risk_a / n) * (1 - at_risk_a / n) * (n - d) / (n - 1)
    if var <= 0:
        return 0.0, 1.0
    chi2 = obs_minus_exp**2 / var
    return float(chi2), float(stats.chi2.sf(chi2, df=1))
