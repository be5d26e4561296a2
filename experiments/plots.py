"""PNG plots of a sweep: deal-probability heatmap, outcome distributions, time to deal,
and sensitivity indices.  Built with matplotlib's object API (no global pyplot state).

Every function takes data (numpy arrays, pandas DataFrames, the small records below) and
returns PNG bytes; ``experiments.analysis`` queries the sweep's parts and calls them.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import pandas as pd

DPI = 120
MAX_ANNOTATED_CELLS = 150  # write the value into heatmap cells up to this many cells
MAX_LABELS = 8  # most frequent labels shown for a text outcome
MAX_LABEL_CHARS = 28  # a label longer than this is cut in the bar chart
TILT_CHARS = 30  # tilt x tick labels when they add up to more characters than this
TILT_TICKS = 5  # ... or, on a line plot, when there are more ticks than this
TILT_DEGREES = 30
MIN_HIST_BINS = 5  # histogram bins for a continuous outcome: at least ...
MAX_BINS = 30  # ... and at most
MAX_PANELS_PER_ROW = 3
CMAP = "viridis"
DARK_CELL_SHARE = 0.6  # heatmap cells below this share of the colour range get white text
SHARE_TEXT_MAX = 0.8  # a share's label sits right of its bar, at most this far along
ALL_RUNS = "all runs"  # the label of the curve over every run in ``time_to_deal``
SOBOL_BAR_HEIGHT = 0.4  # two bars per parameter row
SOBOL_BARS = (  # index, offset within the row, legend label, colour
    ("S1", -SOBOL_BAR_HEIGHT / 2, "S1 (first order)", "tab:blue"),
    ("ST", SOBOL_BAR_HEIGHT / 2, "ST (total)", "tab:red"),
)


@dataclass(frozen=True)
class Axis:
    """A parameter as a plot axis: its name and the labels of its levels (or bins)."""

    name: str
    labels: list[str]


@dataclass(frozen=True)
class Distribution:
    """One outcome over the finished runs: numbers as their values, flags and labels as
    counts (a DataFrame with columns ``value`` and ``n``, most frequent first)."""

    name: str
    kind: str  # "number", "bool" or "label"
    values: np.ndarray | None = None  # numbers: every value present
    integer: bool = False  # numbers: an integer column (one bar per value)
    missing: int = 0  # numbers: runs without a value
    counts: pd.DataFrame | None = None  # flags and labels


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _annotate_cells(ax: Any, grid: np.ndarray, counts: np.ndarray, lo: float, hi: float) -> None:
    """Write each cell's value and run count into a heatmap."""
    mid = lo + DARK_CELL_SHARE * (hi - lo) if hi > lo else np.inf
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            ax.text(
                j,
                i,
                f"{v:.3g}\n(n={int(counts[i, j])})",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v < mid else "black",
            )


def heatmap(
    grid: np.ndarray,
    counts: np.ndarray,
    x: Axis,
    y: Axis,
    label: str,
    vrange: tuple[float, float] | None,
    title: str,
    subtitle: str,
) -> bytes:
    """A heatmap of a mean (``grid``, y levels by x levels; NaN where no run finished) over
    two parameters, each cell annotated with its run count when there are few cells."""
    fig = Figure(
        figsize=(max(6.0, 0.9 * len(x.labels) + 3), max(4.5, 0.6 * len(y.labels) + 2.5)),
        layout="constrained",
    )
    ax = fig.add_subplot()
    lo, hi = vrange if vrange else (np.nanmin(grid), np.nanmax(grid))
    im = ax.imshow(grid, origin="lower", cmap=CMAP, vmin=lo, vmax=hi, aspect="auto")
    tilt = sum(len(lab) for lab in x.labels) > TILT_CHARS
    ax.set_xticks(
        range(len(x.labels)),
        x.labels,
        rotation=TILT_DEGREES if tilt else 0,
        ha="right" if tilt else "center",
    )
    ax.set_yticks(range(len(y.labels)), y.labels)
    ax.set_xlabel(x.name)
    ax.set_ylabel(y.name)
    if grid.size <= MAX_ANNOTATED_CELLS:
        _annotate_cells(ax, grid, counts, lo, hi)
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{title} by {x.name} and {y.name}\n{subtitle}", fontsize=10)
    return _png(fig)


def deal_by_parameter(shares: np.ndarray, x: Axis, subtitle: str) -> bytes:
    """Share of runs with a deal along one parameter (for one-parameter sweeps)."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    n = len(x.labels)
    ax.plot(range(n), shares, marker="o")
    ax.set_xticks(range(n), x.labels, rotation=TILT_DEGREES if n > TILT_TICKS else 0)
    ax.set_ylim(0, 1)
    ax.set_xlabel(x.name)
    ax.set_ylabel("deal probability")
    ax.grid(alpha=0.3)
    ax.set_title(f"Deal probability by {x.name}\n{subtitle}", fontsize=10)
    return _png(fig)


def _number_panel(ax: Any, d: Distribution) -> None:
    """Histogram of a numeric outcome with its mean."""
    v = d.values if d.values is not None else np.empty(0)
    if v.size:
        if d.integer:  # one bar per integer value
            edges: Any = np.arange(v.min(), v.max() + 2) - 0.5
        else:
            edges = min(MAX_BINS, max(MIN_HIST_BINS, len(np.unique(v))))
        ax.hist(v, bins=edges, color="tab:blue", alpha=0.85, rwidth=0.85)
        ax.axvline(float(np.mean(v)), color="black", ls="--", lw=1, label=f"mean {np.mean(v):.3g}")
        ax.legend(fontsize=8)
    ax.set_xlabel(d.name + (f"  ({d.missing} runs without a value)" if d.missing else ""))
    ax.set_ylabel("runs")


def _share_panel(ax: Any, d: Distribution) -> None:
    """Bars of the share of runs per label (both answers, in order, for a flag)."""
    rows = [] if d.counts is None else list(d.counts[["value", "n"]].itertuples(index=False))
    total = sum(int(n) for _, n in rows) or 1
    rows = rows[:MAX_LABELS]
    if d.kind == "bool":
        seen = dict(rows)
        rows = [(k, seen.get(k, 0)) for k in ("true", "false")]
    labels = ["(none / open)" if v is None else str(v) for v, _ in rows]
    shares = [int(n) / total for _, n in rows]
    ax.barh(range(len(rows)), shares, color="tab:orange")
    for i, sh in enumerate(shares):
        ax.text(min(sh, SHARE_TEXT_MAX) + 0.02, i, f"{sh:.0%}", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [lab[:MAX_LABEL_CHARS] for lab in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of runs — {d.name}")


def outcome_distributions(dists: list[Distribution], subtitle: str) -> bytes:
    """One panel per kept outcome: histograms, shares of flags, counts of labels."""
    ncol = min(MAX_PANELS_PER_ROW, len(dists))
    nrow = math.ceil(len(dists) / ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.3 * nrow + 0.6), layout="constrained")
    for k, d in enumerate(dists):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        if d.kind == "number":
            _number_panel(ax, d)
        else:
            _share_panel(ax, d)
        ax.set_title(d.name, fontsize=10)
    fig.suptitle(f"Outcome distributions — {subtitle}", fontsize=11)
    return _png(fig)


def time_to_deal(
    weeks: np.ndarray, groups: dict[str, np.ndarray], horizon: int, subtitle: str
) -> bytes:
    """Histogram of the deal week, and the share of runs with a deal by each week.

    ``weeks`` holds every finished run's first deal week (``inf`` for none); ``groups``
    the same for the runs of each level of a parameter, by curve label."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    dealt = weeks[np.isfinite(weeks)]
    if dealt.size:
        ax1.hist(dealt, bins=np.arange(0, horizon + 2) - 0.5, color="tab:green")
    ax1.set_xlim(-0.5, horizon + 0.5)
    ax1.set_xlabel("week of first deal")
    ax1.set_ylabel("runs")
    ax1.set_title(f"Time to deal ({dealt.size} of {weeks.size} runs reached a deal)", fontsize=10)

    t = np.arange(0, horizon + 1)
    curves = {ALL_RUNS: weeks, **groups} if weeks.size else dict(groups)
    for label, w in curves.items():
        share = (w[None, :] <= t[:, None]).mean(axis=1)
        style = {"color": "black", "lw": 2.2} if label == ALL_RUNS else {"lw": 1.3}
        ax2.step(t, share, where="post", label=label, **style)
    ax2.set_ylim(0, 1)
    ax2.set_xlim(0, horizon)
    ax2.set_xlabel("week")
    ax2.set_ylabel("share of runs with a deal by then")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left")
    ax2.set_title("Cumulative probability of a deal", fontsize=10)
    fig.suptitle(subtitle, fontsize=11)
    return _png(fig)


def _outcome_panels(
    indices: pd.DataFrame, panel_height: float
) -> tuple[Figure, list[tuple[str, pd.DataFrame, Any]]]:
    """A figure with one panel per outcome of ``indices``: (outcome, its rows, axes) each."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    ncol = min(MAX_PANELS_PER_ROW, len(outcomes))
    nrow = math.ceil(len(outcomes) / ncol)
    fig = Figure(figsize=(5.2 * ncol, panel_height * nrow + 0.6), layout="constrained")
    panels = [
        (o, indices[indices["outcome"] == o], fig.add_subplot(nrow, ncol, k + 1))
        for k, o in enumerate(outcomes)
    ]
    return fig, panels


def sobol_plot(indices: pd.DataFrame) -> bytes:
    """First-order and total Sobol indices with confidence intervals, a panel per outcome
    (``indices``: a row per outcome and parameter, columns S1, S1_conf, ST, ST_conf)."""
    fig, panels = _outcome_panels(indices, panel_height=3.8)
    for k, (o, rs, ax) in enumerate(panels):
        pos = np.arange(len(rs))
        for key, shift, label, color in SOBOL_BARS:
            ax.barh(
                pos + shift,
                rs[key].to_numpy(),
                SOBOL_BAR_HEIGHT,
                xerr=rs[f"{key}_conf"].to_numpy(),
                label=label,
                color=color,
                capsize=2,
            )
        ax.set_yticks(pos, rs["parameter"].tolist(), fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("Sobol index (95% CI)")
        if k == 0:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Sobol sensitivity indices (SALib)", fontsize=11)
    return _png(fig)


def morris_plot(indices: pd.DataFrame) -> bytes:
    """Morris μ* against σ per parameter (elementary effects), a panel per outcome
    (``indices``: a row per outcome and parameter, columns mu_star, mu_star_conf, sigma)."""
    fig, panels = _outcome_panels(indices, panel_height=4.2)
    for o, rs, ax in panels:
        ax.errorbar(
            rs["mu_star"].to_numpy(),
            rs["sigma"].to_numpy(),
            xerr=rs["mu_star_conf"].to_numpy(),
            fmt="o",
            capsize=2,
        )
        for name, mu_star, sigma in rs[["parameter", "mu_star", "sigma"]].itertuples(index=False):
            ax.annotate(
                name,
                (mu_star, sigma),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )
        ax.set_xlabel("μ* (mean |elementary effect|, 95% CI)")
        ax.set_ylabel("σ (interaction / non-linearity)")
        ax.set_title(o, fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle("Morris screening (SALib)", fontsize=11)
    return _png(fig)
