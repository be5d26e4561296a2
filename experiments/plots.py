# size: one figure function per analysis plot, with the small records they take; splitting
# them would scatter the shared layout constants and helpers
"""PNG plots of a sweep: deal-probability heatmap, outcome distributions by design point,
time to deal, weekly series and sensitivity indices.  Built with matplotlib's object API
(no global pyplot state).

Every function takes data (numpy arrays, pandas DataFrames, the small records below) and
returns PNG bytes; ``experiments.analysis`` queries the sweep's parts and calls them.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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
MAX_MARKED_POINTS = 60  # per-design-point panels mark each point up to this many points
TITLE_CHARS = 48  # panel titles wrap at this width
WEEK_TICKS = 7  # date ticks on a week axis, about
KEY_CHARS_PER_INCH = 13  # characters of 8-point text per inch of figure width, about
CMAP = "viridis"
DARK_CELL_SHARE = 0.6  # heatmap cells below this share of the colour range get white text
SHARE_TEXT_MAX = 0.8  # a share's label sits right of its bar, at most this far along
ALL_RUNS = "all runs"  # the label of the curve over every run in ``time_to_deal``
BAR_HEIGHT = 0.4  # two bars per parameter row in index plots
SOBOL_BARS = (  # index, offset within the row, legend label, colour
    ("S1", -BAR_HEIGHT / 2, "S1 (first order)", "tab:blue"),
    ("ST", BAR_HEIGHT / 2, "ST (total)", "tab:red"),
)
DateOf = Callable[[int], dt.date]  # the date a week's tick shows
Calendar = Sequence[tuple[int, str]]  # (week, kind) of the calendar's events to mark


@dataclass(frozen=True)
class Axis:
    """A parameter as a plot axis: its name, the labels of its levels (or bins) and the
    axis title (name, description and unit; default: the name)."""

    name: str
    labels: list[str]
    title: str = ""

    @property
    def text(self) -> str:
        """The axis title."""
        return self.title or self.name


@dataclass(frozen=True)
class Distribution:
    """One outcome over the finished runs: numbers as their values, flags and labels as
    counts (a DataFrame with columns ``value`` and ``n``, most frequent first).

    With ``per_point`` the panel shows the outcome design point by design point instead
    of pooled: numbers as columns ``n, mean, lo, hi`` (lo/hi: the replicates' range),
    flags as ``n, k`` (runs, runs true), labels as ``sample_id, value, n``."""

    name: str
    kind: str  # "number", "bool" or "label"
    values: np.ndarray | None = None  # numbers: every value present
    integer: bool = False  # numbers: an integer column (one bar per value)
    missing: int = 0  # numbers: runs without a value
    counts: pd.DataFrame | None = None  # flags and labels
    per_point: pd.DataFrame | None = None  # by design point (see above)
    label: str = ""  # "label [unit]"


@dataclass(frozen=True)
class SeriesPanel:
    """A weekly series over the finished runs: the 10/50/90% quantiles each week, and
    the median of each group of runs (a parameter's levels) by curve label."""

    name: str
    weeks: np.ndarray
    lo: np.ndarray
    mid: np.ndarray
    hi: np.ndarray
    runs: int
    groups: dict[str, np.ndarray] = field(default_factory=dict)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, TITLE_CHARS)) or text


def _title(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def wilson(k: Any, n: Any, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval of a share k/n (arrays; NaN where n = 0)."""
    k, n = np.asarray(k, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        mid = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return mid - half, mid + half


CALENDAR_MARKS = {"tariff action due": "tab:orange", "principal round": "tab:purple"}


def _week_axis(
    ax: Any, top: int, date_of: DateOf | None, what: str, calendar: Calendar = ()
) -> None:
    """Ticks at whole weeks from 0 to ``top``, each with its date under it if known; the
    calendar's events (week, kind) as short ticks along the top of the plot."""
    ax.set_xlim(0, top)
    for kind, colour in CALENDAR_MARKS.items():
        weeks = [w for w, k in calendar if k == kind and 0 <= w <= top]
        for i, w in enumerate(weeks):
            ax.axvline(w, ymin=0.94, ymax=1.0, color=colour, lw=2,
                       label=f"calendar: {kind}" if i == 0 else None)  # fmt: skip
    if date_of is None:
        ax.set_xlabel("week")
        return
    ticks = [int(t) for t in MaxNLocator(WEEK_TICKS, integer=True).tick_values(0, top)]
    ticks = [t for t in ticks if 0 <= t <= top]
    ax.set_xticks(ticks, [f"{t}\n{date_of(t):%d %b %Y}" for t in ticks], fontsize=7)
    ax.set_xlabel(f"week ({what})")


def _annotate_cells(
    ax: Any, grid: np.ndarray, notes: np.ndarray, lo: float, hi: float, size: int
) -> None:
    """Write each cell's value and note (its counts) into a heatmap."""
    mid = lo + DARK_CELL_SHARE * (hi - lo) if hi > lo else np.inf
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            color = "white" if v < mid else "black"
            text = f"{v:.3g}\n{notes[i, j]}"
            ax.text(j, i, text, ha="center", va="center", fontsize=size, color=color)


def heatmap(
    grid: np.ndarray,
    counts: np.ndarray,
    x: Axis,
    y: Axis,
    label: str,
    vrange: tuple[float, float] | None,
    title: str,
    subtitle: str,
    notes: np.ndarray | None = None,
    footnote: str = "",
) -> bytes:
    """A heatmap of a mean (``grid``, y levels by x levels; NaN where no run finished) over
    two parameters, each cell annotated, when there are few cells, with ``notes`` (text per
    cell: what the mean is over) or else its run count ``counts``."""
    fig = Figure(
        figsize=(max(6.5, 1.1 * len(x.labels) + 3), max(4.5, 0.75 * len(y.labels) + 2.8)),
        layout="constrained",
    )
    ax = fig.add_subplot()
    if vrange:
        lo, hi = vrange
    elif np.isnan(grid).all():  # no cell has a value (e.g. no run dealt): an empty colour scale
        lo, hi = 0.0, 1.0
    else:
        lo, hi = np.nanmin(grid), np.nanmax(grid)
    im = ax.imshow(grid, origin="lower", cmap=CMAP, vmin=lo, vmax=hi, aspect="auto")
    tilt = sum(len(lab) for lab in x.labels) > TILT_CHARS
    ax.set_xticks(
        range(len(x.labels)),
        x.labels,
        rotation=TILT_DEGREES if tilt else 0,
        ha="right" if tilt else "center",
    )
    ax.set_yticks(range(len(y.labels)), y.labels)
    ax.set_xlabel(x.text)
    ax.set_ylabel(y.text)
    if grid.size <= MAX_ANNOTATED_CELLS:
        if notes is None:
            notes = np.vectorize(lambda n: f"(n={int(n)})")(counts)
        size = 8 if max((str(t).count("\n") for t in notes.flat), default=0) < 2 else 7
        _annotate_cells(ax, grid, notes, lo, hi, size)
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(_title(f"{title} by {x.name} and {y.name}", subtitle, footnote), fontsize=10)
    return _png(fig)


def deal_by_parameter(
    shares: np.ndarray,
    x: Axis,
    subtitle: str,
    counts: np.ndarray | None = None,
    footnote: str = "",
) -> bytes:
    """Share of runs with a deal along one parameter (for one-parameter sweeps), with
    Wilson 95% intervals and the run count of each level when ``counts`` are given."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    n = len(x.labels)
    ax.plot(range(n), shares, marker="o")
    if counts is not None:
        lo, hi = wilson(shares * counts, counts)
        ax.fill_between(range(n), lo, hi, alpha=0.2, label="95% interval (Wilson)")
        for i, c in enumerate(counts):
            ax.annotate(f"n={int(c)}", (i, 0.02), ha="center", fontsize=7)
        ax.legend(fontsize=8)
    ax.set_xticks(range(n), x.labels, rotation=TILT_DEGREES if n > TILT_TICKS else 0)
    ax.set_ylim(0, 1)
    ax.set_xlabel(x.text)
    ax.set_ylabel("deal probability [share of runs]")
    ax.grid(alpha=0.3)
    ax.set_title(_title(f"Deal probability by {x.name}", subtitle, footnote), fontsize=10)
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
    name = d.label or d.name
    ax.set_xlabel(name + (f"  ({d.missing} runs without a value)" if d.missing else ""))
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


def _points_axis(ax: Any, runs: Any, order: str, missing: int = 0) -> None:
    """The x axis of a per-design-point panel: how many points, how many runs each."""
    runs = np.asarray(runs, int)
    lo, hi = (int(runs.min()), int(runs.max())) if runs.size else (0, 0)
    each = f"{lo}" if lo == hi else f"{lo}-{hi}"
    text = f"{runs.size} design points, ordered by {order} ({each} run{'s' * (hi > 1)} each)"
    if missing:
        text += f"; {missing} runs without a value"
    ax.set_xlabel(text, fontsize=8)


def _point_number_panel(ax: Any, d: Distribution, pts: pd.DataFrame) -> None:
    """Each design point's mean and the range of its replicates, points ordered by mean
    (``pts``: columns runs, n, mean, lo, hi; n counts the runs with a value)."""
    pts = pts.dropna(subset=["mean"]).sort_values("mean", kind="stable")
    x = np.arange(len(pts))
    marker = "o" if len(pts) <= MAX_MARKED_POINTS else None
    if (pts["n"] > 1).any():  # a band only where replicates can differ
        lo, hi = pts["lo"].to_numpy(float), pts["hi"].to_numpy(float)
        ax.fill_between(x, lo, hi, step="mid", alpha=0.25, label="replicates' range")
        ax.legend(fontsize=7)
    ax.plot(x, pts["mean"].to_numpy(float), marker=marker, ms=3, lw=1.2, color="tab:blue")
    ax.set_ylabel(d.label or d.name, fontsize=8)
    _points_axis(ax, pts["runs"] if "runs" in pts else pts["n"], "mean", d.missing)


def _point_share_panel(ax: Any, d: Distribution, pts: pd.DataFrame) -> None:
    """Each design point's share of runs with the flag, with its Wilson 95% interval."""
    pts = pts[pts["n"] > 0].assign(share=lambda t: t["k"] / t["n"])
    pts = pts.sort_values("share", kind="stable")
    x = np.arange(len(pts))
    if (pts["n"] > 1).any():  # an interval only where a point has replicates
        lo, hi = wilson(pts["k"], pts["n"])
        ax.fill_between(x, lo, hi, step="mid", alpha=0.25, label="95% interval (Wilson)")
        ax.legend(fontsize=7)
    marker = "o" if len(pts) <= MAX_MARKED_POINTS else None
    ax.plot(x, pts["share"].to_numpy(float), marker=marker, ms=3, lw=1.2, color="tab:orange")
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(d.label or d.name, fontsize=8)
    _points_axis(ax, pts["n"], "share")


def _point_label_panel(ax: Any, d: Distribution, pts: pd.DataFrame) -> None:
    """Each design point's shares of the most frequent labels, stacked."""
    pts = pts.assign(value=pts["value"].fillna("(none / open)").astype(str))
    table = pts.pivot_table(index="sample_id", columns="value", values="n", aggfunc="sum")
    table = table.fillna(0.0)
    order = table.sum().sort_values(ascending=False).index.tolist()
    shown = order[: MAX_LABELS - 1] if len(order) > MAX_LABELS else order
    if len(order) > len(shown):
        table["(other)"] = table[[c for c in order if c not in shown]].sum(axis=1)
        shown = [*shown, "(other)"]
    shares = table[shown].div(table.sum(axis=1), axis=0).sort_values(shown[0], kind="stable")
    x = np.arange(len(shares))
    ax.stackplot(x, shares.to_numpy().T, labels=[s[:MAX_LABEL_CHARS] for s in shown], step="mid")
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"share of runs — {d.name}", fontsize=8)
    ax.legend(fontsize=6, loc="upper left")
    _points_axis(ax, table.sum(axis=1), f"share of {shown[0][:MAX_LABEL_CHARS]!r}")


def outcome_distributions(dists: list[Distribution], subtitle: str, footnote: str = "") -> bytes:
    """One panel per kept outcome: design point by design point where ``per_point`` is
    given, else pooled (histograms, shares of flags, counts of labels)."""
    ncol = min(MAX_PANELS_PER_ROW, len(dists))
    nrow = math.ceil(len(dists) / ncol)
    fig = Figure(figsize=(4.6 * ncol, 3.5 * nrow + 0.8), layout="constrained")
    for k, d in enumerate(dists):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        if d.per_point is not None and d.kind == "number":
            _point_number_panel(ax, d, d.per_point)
        elif d.per_point is not None and d.kind == "bool":
            _point_share_panel(ax, d, d.per_point)
        elif d.per_point is not None:
            _point_label_panel(ax, d, d.per_point)
        elif d.kind == "number":
            _number_panel(ax, d)
        else:
            _share_panel(ax, d)
        ax.set_title(_wrap(d.label or d.name), fontsize=9)
        ax.grid(alpha=0.3)
    by = " by design point" if any(d.per_point is not None for d in dists) else ""
    fig.suptitle(_title(f"Outcome distributions{by} — {subtitle}", footnote), fontsize=11)
    return _png(fig)


def time_to_deal(
    weeks: np.ndarray,
    groups: dict[str, np.ndarray],
    horizon: int,
    subtitle: str,
    mark: tuple[int, str] | None = None,
    date_of: DateOf | None = None,
    footnote: str = "",
    calendar: Calendar = (),
) -> bytes:
    """Histogram of the deal week, and the share of runs with a deal by each week.

    ``weeks`` holds every finished run's first deal week (``inf`` for none); ``groups``
    the same for the runs of each level of a parameter, by curve label; ``mark`` a week
    to mark (the horizon asked for) and its label; ``date_of`` the first day of a week."""
    fig = Figure(figsize=(12, 5.0), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    dealt = weeks[np.isfinite(weeks)]
    if dealt.size:
        ax1.hist(dealt, bins=np.arange(0, horizon + 2) - 0.5, color="tab:green")
    _week_axis(ax1, horizon, date_of, "first day", calendar)
    if calendar:  # name the calendar's ticks
        ax1.legend(fontsize=7, loc="upper right")
    ax1.set_ylabel("runs")
    ax1.set_title(
        f"Week of the first deal ({dealt.size} of {weeks.size} runs reached one)", fontsize=10
    )
    t = np.arange(0, horizon + 1)
    curves = {ALL_RUNS: weeks, **groups} if weeks.size else dict(groups)
    for label, w in curves.items():
        share = (w[None, :] <= t[:, None]).mean(axis=1)
        style = {"color": "black", "lw": 2.2} if label == ALL_RUNS else {"lw": 1.3}
        ax2.step(t, share, where="post", label=f"{label} (n={w.size})", **style)
    if weeks.size:  # the interval of the share over all runs
        k = (weeks[None, :] <= t[:, None]).sum(axis=1)
        lo, hi = wilson(k, np.full(t.shape, weeks.size))
        ax2.fill_between(t, lo, hi, step="post", color="grey", alpha=0.25, label="95% interval")
    if mark is not None:
        for ax in (ax1, ax2):
            ax.axvline(mark[0], color="tab:red", ls="--", lw=1)
        ax2.annotate(
            mark[1],
            (mark[0], 0.02),
            color="tab:red",
            fontsize=8,
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax2.set_ylim(0, 1)
    _week_axis(ax2, horizon, date_of, "first day")
    ax2.set_ylabel("share of runs with a deal by then")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left")
    ax2.set_title("Cumulative probability of a deal (no deal: censored at the end)", fontsize=10)
    fig.suptitle(_title(subtitle, footnote), fontsize=11)
    return _png(fig)


def series_plot(
    panels: list[SeriesPanel],
    subtitle: str,
    date_of: DateOf | None = None,
    footnote: str = "",
    calendar: Calendar = (),
) -> bytes:
    """Weekly series: the median over runs with its 10-90% band, and the median of each
    group, a panel per series (week w: the state at the end of week w)."""
    ncol = min(2, len(panels))
    nrow = math.ceil(len(panels) / ncol)
    fig = Figure(figsize=(6.4 * ncol, 3.8 * nrow + 0.8), layout="constrained")
    for k, p in enumerate(panels):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        ax.fill_between(p.weeks, p.lo, p.hi, color="grey", alpha=0.3, label="10-90% of runs")
        ax.plot(p.weeks, p.mid, color="black", lw=2, label=f"median (n={p.runs} runs)")
        for label, med in p.groups.items():
            ax.plot(p.weeks, med, lw=1.1, label=label)
        _week_axis(ax, int(p.weeks.max(initial=1)), date_of, "date: end of the week", calendar)
        ax.set_ylabel(p.name, fontsize=8)
        ax.set_title(_wrap(p.name), fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(_title(f"Weekly series — {subtitle}", footnote), fontsize=11)
    return _png(fig)


def _outcome_panels(
    indices: pd.DataFrame, panel_height: float
) -> tuple[Figure, list[tuple[str, pd.DataFrame, Any]]]:
    """A figure with one panel per outcome of ``indices``: (outcome, its rows, axes) each."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    ncol = min(MAX_PANELS_PER_ROW, len(outcomes))
    nrow = math.ceil(len(outcomes) / ncol)
    fig = Figure(figsize=(5.4 * ncol, panel_height * nrow + 1.0), layout="constrained")
    panels = [
        (o, indices[indices["outcome"] == o], fig.add_subplot(nrow, ncol, k + 1))
        for k, o in enumerate(outcomes)
    ]
    return fig, panels


def _index_bars(ax: Any, rs: pd.DataFrame, bars: tuple[tuple[str, float, str, str], ...]) -> None:
    pos = np.arange(len(rs))
    for key, shift, label, color in bars:
        err = rs[f"{key}_conf"].to_numpy() if f"{key}_conf" in rs else None
        ax.barh(
            pos + shift,
            rs[key].to_numpy(),
            BAR_HEIGHT,
            xerr=err,
            label=label,
            color=color,
            capsize=2,
        )
    ax.set_yticks(pos, rs["parameter"].tolist(), fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)


def sobol_plot(
    indices: pd.DataFrame,
    labels: dict[str, str] | None = None,
    note: str = "",
    key: dict[str, str] | None = None,
) -> bytes:
    """First-order and total Sobol indices with 95% intervals, a panel per outcome, the
    parameters by total index (``indices``: a row per outcome and parameter, columns S1,
    S1_conf, ST, ST_conf; ``labels``: outcome titles; ``note``: under the title; ``key``:
    the parameters' descriptions, under the figure)."""
    fig, panels = _outcome_panels(indices, panel_height=3.8)
    for k, (o, rs, ax) in enumerate(panels):
        _index_bars(ax, rs.sort_values("ST", ascending=False, kind="stable"), SOBOL_BARS)
        ax.set_title(_wrap((labels or {}).get(o, o)), fontsize=9)
        ax.set_xlabel("Sobol index (95% CI)")
        if k == 0:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(_title("Sobol sensitivity indices (SALib)", _wrap_note(note)), fontsize=11)
    _key(fig, key)
    return _png(fig)


def _wrap_note(note: str, width: int = 120) -> str:
    return "\n".join(textwrap.wrap(note, width))


def _key(fig: Figure, key: dict[str, str] | None) -> None:
    """Parameter names with their descriptions and units, under the figure."""
    if key:
        text = "; ".join(v for v in key.values() if v)
        fig.supxlabel(_wrap_note(text, int(KEY_CHARS_PER_INCH * fig.get_figwidth())), fontsize=8)


def morris_plot(
    indices: pd.DataFrame,
    labels: dict[str, str] | None = None,
    note: str = "",
    key: dict[str, str] | None = None,
) -> bytes:
    """Morris μ* (with its 95% interval) and σ per parameter, as bars ordered by μ* (no
    point labels to overlap), a panel per outcome (``indices``: a row per outcome and
    parameter, columns mu_star, mu_star_conf, sigma)."""
    fig, panels = _outcome_panels(indices, panel_height=3.8)
    bars = (
        ("mu_star", -BAR_HEIGHT / 2, "μ* (mean |elementary effect|)", "tab:blue"),
        ("sigma", BAR_HEIGHT / 2, "σ (interactions, non-linearity)", "tab:grey"),
    )
    for k, (o, rs, ax) in enumerate(panels):
        _index_bars(ax, rs.sort_values("mu_star", ascending=False, kind="stable"), bars)
        title = (labels or {}).get(o, o)
        ax.set_title(_wrap(title), fontsize=9)
        unit = title.rsplit("[", 1)[1].rstrip("] ") if title.endswith("]") else "outcome units"
        ax.set_xlabel(f"μ* (95% CI) and σ [{unit}]")
        if k == 0:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(_title("Morris screening (SALib)", _wrap_note(note)), fontsize=11)
    _key(fig, key)
    return _png(fig)
