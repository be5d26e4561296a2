"""Plots of a calibration: marginal posteriors, pairwise scatter, posterior predictive check.

Each function returns PNG bytes (matplotlib's object API, no global pyplot state).  The
posterior is the last generation's weighted particles; the prior is drawn as its density.
The predictive check has one panel per statistic: the statistic over simulations at
particles drawn by weight (fresh seeds), the observed value marked; a statistic computed over
a window of weeks of a tradetalks run gives the window's dates, and weeks to a deal is shown
on a date axis.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from tradetalks.experiments.calibfile import Calibration
from tradetalks.experiments.calibout import STAT_PREFIX, last_generation

DPI = 110
BINS = 30  # histogram bins of a marginal or predictive panel
PANEL_IN = 3.2  # inches per panel
MIN_WIDTH_IN = 6.4  # a figure at least this wide, so that its title fits
GRID_POINTS = 200  # points of a prior density curve
DATED_AXES = frozenset({"weeks_to_deal"})  # statistics in weeks from the start: a date axis


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 3)
    return math.ceil(n / cols), cols


def _prior_pdf(p: Any, x: np.ndarray) -> np.ndarray:
    from scipy import stats

    pr = p.prior
    if pr.kind == "uniform":
        return stats.uniform(pr.lo, pr.hi - pr.lo).pdf(x)
    if pr.kind == "normal":
        return stats.norm(pr.mean, pr.sd).pdf(x)
    if pr.kind == "lognormal":
        return stats.lognorm(s=pr.log_sd, scale=math.exp(pr.log_mean)).pdf(x)
    return stats.beta(pr.a, pr.b, loc=pr.lo, scale=pr.hi - pr.lo).pdf(x)


def marginals(calib: Calibration, table: pd.DataFrame, truth: dict[str, float] | None) -> bytes:
    """One panel per parameter: the weighted posterior histogram, the prior density and,
    for a synthetic calibration, the true value."""
    from tradetalks.experiments.calibfile import prior_range

    last = last_generation(table)
    rows, cols = _grid(len(calib.spec.parameters))
    fig = Figure(
        figsize=(max(PANEL_IN * cols, MIN_WIDTH_IN), PANEL_IN * rows), layout="constrained"
    )
    for i, p in enumerate(calib.spec.parameters):
        ax = fig.add_subplot(rows, cols, i + 1)
        x, w = last[p.path].to_numpy(), last["weight"].to_numpy()
        lo, hi = prior_range(p)
        lo, hi = min(lo, float(x.min())), max(hi, float(x.max()))
        ax.hist(x, bins=BINS, range=(lo, hi), weights=w, density=True, alpha=0.6, label="posterior")
        grid = np.linspace(lo, hi, GRID_POINTS)
        ax.plot(grid, _prior_pdf(p, grid), color="0.3", label="prior")
        if truth is not None:
            ax.axvline(truth[p.name], color="C3", label="truth")
        ax.set_title(p.path, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"{calib.spec.name}: marginal posteriors (generation {int(last['generation'].iloc[0])})"
    )
    return _png(fig)


def pairs(calib: Calibration, table: pd.DataFrame) -> bytes:
    """Pairwise scatter of the last generation (point size by weight); histograms on the
    diagonal."""
    last = last_generation(table)
    cols = [p.path for p in calib.spec.parameters]
    n = len(cols)
    w = last["weight"].to_numpy()
    fig = Figure(figsize=(max(PANEL_IN * n, MIN_WIDTH_IN), PANEL_IN * n), layout="constrained")
    size = 4 + 40 * w / w.max()
    for i, yi in enumerate(cols):
        for j, xj in enumerate(cols):
            ax = fig.add_subplot(n, n, i * n + j + 1)
            if i == j:
                ax.hist(last[xj], bins=BINS, weights=w, alpha=0.6)
            else:
                ax.scatter(last[xj], last[yi], s=size, alpha=0.5)
            if i == n - 1:
                ax.set_xlabel(xj, fontsize=8)
            if j == 0:
                ax.set_ylabel(yi, fontsize=8)
    fig.suptitle(f"{calib.spec.name}: pairwise posterior")
    return _png(fig)


def _stat_title(calib: Calibration, s: Any) -> str:
    title = f"{s.name} ({s.block})"
    if calib.start_date is None or calib.horizon is None or s.function == "weeks_to_deal":
        return title
    from tradetalks.experiments.calibstats import window_dates

    a, b = window_dates(s.args, calib.start_date, calib.horizon)
    return f"{title}\n{a:%d %b %Y} – {b:%d %b %Y}"


def _date_ticks(ax: Any, start: dt.date) -> None:
    ticks = ax.get_xticks()
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [f"{start + dt.timedelta(weeks=float(t)):%d %b %y}" for t in ticks], fontsize=7, rotation=30
    )
    ax.set_xlabel("first deal (capped)", fontsize=8)


def predictive(calib: Calibration, draws: pd.DataFrame) -> bytes:
    """One panel per statistic: its posterior predictive distribution, the observed value."""
    stats = calib.spec.statistics
    rows, cols = _grid(len(stats))
    fig = Figure(
        figsize=(max(PANEL_IN * cols, MIN_WIDTH_IN), PANEL_IN * rows), layout="constrained"
    )
    for i, s in enumerate(stats):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = draws[f"{STAT_PREFIX}{s.name}"].to_numpy()
        obs = calib.observed[s.name]
        lo, hi = min(values.min(), obs), max(values.max(), obs)
        span = (hi - lo) or 1.0
        ax.hist(values, bins=BINS, range=(lo - 0.05 * span, hi + 0.05 * span), alpha=0.6)
        ax.axvline(obs, color="C3", label=f"observed {obs:g}")
        ax.set_title(_stat_title(calib, s), fontsize=9)
        ax.legend(fontsize=7)
        if s.function in DATED_AXES and calib.start_date is not None:
            _date_ticks(ax, calib.start_date)
    fig.suptitle(f"{calib.spec.name}: posterior predictive check ({len(draws)} simulations)")
    return _png(fig)
