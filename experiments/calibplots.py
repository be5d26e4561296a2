"""Plots of a calibration: marginal posteriors, pairwise scatter, posterior predictive check.

Each function returns PNG bytes (matplotlib's object API, no global pyplot state).  The
posterior is the last generation's weighted particles; the prior is drawn as its density.
The predictive check has one panel per statistic: the statistic over simulations at
particles drawn by weight (fresh seeds), the observed value marked.  A statistic of a dated
tradetalks run has dates on its x axis: a time to an event is drawn as a histogram of the
event's dates, a value over a window (a mean tariff, a count) as the predictive 5-95% and
25-75% bands and median across the window's dates, with the record's value as a line across
the same dates.  Other statistics (the toy's) are histograms of their values.
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
# statistics in weeks from their window's first day to an event, capped at its last day
WEEKS_FROM_WINDOW = frozenset(
    {"weeks_to_deal_dated", "weeks_to_move", "weeks_to_truce", "weeks_to_collapse"}
)
BANDS = ((0.05, 0.95, 0.25), (0.25, 0.75, 0.45))  # predictive quantile bands and their alpha
DATE_FORMAT = "%d %b %y"


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


def _window(calib: Calibration, s: Any) -> tuple[dt.date, dt.date] | None:
    """The dates of a statistic's window in a dated run (None: no dates to draw on)."""
    if calib.start_date is None or calib.horizon is None or s.function in DATED_AXES:
        return None
    from tradetalks.experiments.calibstats import window_dates

    return window_dates(s.args, calib.start_date, calib.horizon)


def _date_axis(ax: Any) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter

    ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(DateFormatter(DATE_FORMAT))
    ax.tick_params(axis="x", labelsize=7, labelrotation=30)


def _event_dates(ax: Any, values: np.ndarray, obs: float, window: tuple[dt.date, dt.date]) -> None:
    """A time to an event, as a histogram of the event's dates; the cap is the window's end."""
    from matplotlib.dates import date2num

    first = date2num(window[0])
    x, at = first + 7.0 * values, first + 7.0 * obs
    lo, hi = min(x.min(), at, first), max(x.max(), at, date2num(window[1]))
    ax.hist(x, bins=BINS, range=(lo - 3.5, hi + 3.5), alpha=0.6)
    day = window[0] + dt.timedelta(days=round(7.0 * obs))
    ax.axvline(at, color="C3", label=f"recorded {day:%d %b %Y}")
    ax.set_xlabel(f"first event (none by {window[1]:%d %b %Y}: at that date)", fontsize=8)
    _date_axis(ax)


def _window_bands(ax: Any, values: np.ndarray, obs: float, window: tuple[dt.date, dt.date]) -> None:
    """A value over a window, as predictive bands and the median across its dates."""
    span = [window[0], window[1]]
    for lo, hi, alpha in BANDS:
        q = np.quantile(values, [lo, hi])
        ax.fill_between(span, q[0], q[1], alpha=alpha, color="C0", label=f"{lo:.0%}–{hi:.0%}")
    ax.plot(span, [np.median(values)] * 2, color="C0", label="median")
    ax.plot(span, [obs, obs], color="C3", linewidth=2, label=f"recorded {obs:g}")
    pad = dt.timedelta(days=max(3, (window[1] - window[0]).days // 10))
    ax.set_xlim(window[0] - pad, window[1] + pad)
    _date_axis(ax)


def predictive(calib: Calibration, draws: pd.DataFrame) -> bytes:
    """``predictive_figure`` as PNG bytes."""
    return _png(predictive_figure(calib, draws))


def predictive_figure(calib: Calibration, draws: pd.DataFrame) -> Figure:
    """One panel per statistic: its posterior predictive distribution, the observed value."""
    stats = calib.spec.statistics
    rows, cols = _grid(len(stats))
    fig = Figure(
        figsize=(max(PANEL_IN * cols, MIN_WIDTH_IN), PANEL_IN * rows), layout="constrained"
    )
    for i, s in enumerate(stats):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = draws[f"{STAT_PREFIX}{s.name}"].to_numpy(dtype=float)
        obs = calib.observed[s.name]
        window = _window(calib, s)
        if window is not None and s.function in WEEKS_FROM_WINDOW:
            _event_dates(ax, values, obs, window)
        elif window is not None:
            _window_bands(ax, values, obs, window)
        else:
            lo, hi = min(values.min(), obs), max(values.max(), obs)
            span = (hi - lo) or 1.0
            ax.hist(values, bins=BINS, range=(lo - 0.05 * span, hi + 0.05 * span), alpha=0.6)
            ax.axvline(obs, color="C3", label=f"observed {obs:g}")
            if s.function in DATED_AXES and calib.start_date is not None:
                _date_ticks(ax, calib.start_date)
        ax.set_title(_stat_title(calib, s), fontsize=9)
        ax.legend(fontsize=6)
    fig.suptitle(f"{calib.spec.name}: posterior predictive check ({len(draws)} simulations)")
    return fig
