"""PNG plots of a sweep: deal-probability heatmap, outcome distributions, time to deal,
and sensitivity indices.  Built with matplotlib's object API (no global pyplot state)."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from tradetalks.experiments.analysis import SweepData

DPI = 120
MAX_ANNOTATED_CELLS = 150  # write the value into heatmap cells up to this many cells
MAX_LABELS = 8  # most frequent labels shown for a text outcome
TILT_CHARS = 30  # tilt x tick labels when they add up to more characters than this
MAX_BINS = 30  # histogram bins for a continuous outcome
TILT_CHARS = 30  # tilt x tick labels when they add up to more characters than this
MAX_BINS = 30  # histogram bins for a continuous outcome
MAX_PANELS_PER_ROW = 3
CMAP = "viridis"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _title(d: SweepData) -> str:
    return f"sweep {d.manifest['name']!r} — {d.manifest['runs']} runs"


def heatmap(
    d: SweepData,
    x: str,
    y: str,
    bins: int,
    metric: str,
    label: str,
    vrange: tuple[float, float] | None,
    title: str,
) -> bytes:
    """A heatmap of an SQL aggregate ``metric`` over two parameters (levels or bins)."""
    xe, xl, xlab = d.axis(x, bins)
    ye, yl, ylab = d.axis(y, bins)
    _, rows = d.sql(
        f"SELECT {xe} AS xi, {ye} AS yi, {metric}, count(*) "
        "FROM runs WHERE status = 'ok' GROUP BY xi, yi"
    )
    grid = np.full((len(yl), len(xl)), np.nan)
    counts = np.zeros_like(grid)
    for xi, yi, v, n in rows:
        if xi is not None and yi is not None and v is not None:
            grid[yi, xi], counts[yi, xi] = v, n
    fig = Figure(
        figsize=(max(6.0, 0.9 * len(xl) + 3), max(4.5, 0.6 * len(yl) + 2.5)), layout="constrained"
    )
    ax = fig.add_subplot()
    lo, hi = vrange if vrange else (np.nanmin(grid), np.nanmax(grid))
    im = ax.imshow(grid, origin="lower", cmap=CMAP, vmin=lo, vmax=hi, aspect="auto")
    tilt = sum(len(lab) for lab in xlab) > TILT_CHARS
    ax.set_xticks(
        range(len(xl)), xlab, rotation=30 if tilt else 0, ha="right" if tilt else "center"
    )
    ax.set_yticks(range(len(yl)), ylab)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if grid.size <= MAX_ANNOTATED_CELLS:
        mid = lo + 0.6 * (hi - lo) if hi > lo else np.inf
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
    fig.colorbar(im, ax=ax, label=label)
    ax.set_title(f"{title} by {x} and {y}\n{_title(d)}", fontsize=10)
    return _png(fig)


def deal_by_parameter(d: SweepData, x: str, bins: int) -> bytes:
    """Share of runs with a deal along one parameter (for one-parameter sweeps)."""
    xe, xl, xlab = d.axis(x, bins)
    _, rows = d.sql(
        f"SELECT {xe} AS xi, avg(CAST(deal AS DOUBLE)) FROM runs "
        "WHERE status = 'ok' GROUP BY xi ORDER BY xi"
    )
    vals = np.full(len(xl), np.nan)
    for xi, p in rows:
        if xi is not None:
            vals[xi] = p
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(range(len(xl)), vals, marker="o")
    ax.set_xticks(range(len(xl)), xlab, rotation=30 if len(xl) > 5 else 0)
    ax.set_ylim(0, 1)
    ax.set_xlabel(x)
    ax.set_ylabel("deal probability")
    ax.grid(alpha=0.3)
    ax.set_title(f"Deal probability by {x}\n{_title(d)}", fontsize=10)
    return _png(fig)


def outcome_distributions(d: SweepData) -> bytes:
    """One panel per kept outcome: histograms, shares of flags, counts of labels."""
    cols = d.outcomes
    ncol = min(MAX_PANELS_PER_ROW, len(cols))
    nrow = math.ceil(len(cols) / ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.3 * nrow + 0.6), layout="constrained")
    for k, c in enumerate(cols):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        kind = d.kind(c)
        if kind == "number":
            _, rows = d.sql(
                f"SELECT CAST({_q(c)} AS DOUBLE) FROM runs "
                f"WHERE status = 'ok' AND {_q(c)} IS NOT NULL"
            )
            v = np.array([r[0] for r in rows], dtype=float)
            if v.size:
                if d.types.get(c) in ("BIGINT", "INTEGER"):  # one bar per integer value
                    edges: Any = np.arange(v.min(), v.max() + 2) - 0.5
                else:
                    edges = min(MAX_BINS, max(5, len(np.unique(v))))
                ax.hist(v, bins=edges, color="tab:blue", alpha=0.85, rwidth=0.85)
                ax.axvline(
                    float(np.mean(v)), color="black", ls="--", lw=1, label=f"mean {np.mean(v):.3g}"
                )
                ax.legend(fontsize=8)
            _, ((nulls,),) = d.sql(
                f"SELECT count(*) FROM runs WHERE status = 'ok' AND {_q(c)} IS NULL"
            )
            ax.set_xlabel(c + (f"  ({nulls} runs without a value)" if nulls else ""))
            ax.set_ylabel("runs")
        else:
            _, rows = d.sql(
                f"SELECT CAST({_q(c)} AS VARCHAR) AS v, count(*) AS n FROM runs "
                "WHERE status = 'ok' GROUP BY v ORDER BY n DESC, v"
            )
            total = sum(r[1] for r in rows) or 1
            rows = rows[:MAX_LABELS]
            if kind == "bool":  # both answers, always in the same order
                seen = dict(rows)
                rows = [(k, seen.get(k, 0)) for k in ("true", "false")]
            labels = ["(none / open)" if r[0] is None else str(r[0]) for r in rows]
            shares = [r[1] / total for r in rows]
            ax.barh(range(len(rows)), shares, color="tab:orange")
            for i, sh in enumerate(shares):
                ax.text(min(sh, 0.8) + 0.02, i, f"{sh:.0%}", va="center", fontsize=8)
            ax.set_yticks(range(len(rows)), [lab[:28] for lab in labels], fontsize=8)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_xlabel(f"share of runs — {c}")
        ax.set_title(c, fontsize=10)
    fig.suptitle(f"Outcome distributions — {_title(d)}", fontsize=11)
    return _png(fig)


def time_to_deal(d: SweepData, group: str | None, bins: int) -> bytes:
    """Histogram of the deal week, and the share of runs with a deal by each week."""
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    _, rows = d.sql("SELECT deal_week FROM runs WHERE status = 'ok' AND deal_week IS NOT NULL")
    weeks = np.array([r[0] for r in rows], dtype=float)
    _, ((n_ok,),) = d.sql("SELECT count(*) FROM runs WHERE status = 'ok'")
    edges = np.arange(0, d.horizon + 2) - 0.5
    if weeks.size:
        ax1.hist(weeks, bins=edges, color="tab:green")
    ax1.set_xlim(-0.5, d.horizon + 0.5)
    ax1.set_xlabel("week of first deal")
    ax1.set_ylabel("runs")
    ax1.set_title(f"Time to deal ({weeks.size} of {n_ok} runs reached a deal)", fontsize=10)

    t = np.arange(0, d.horizon + 1)
    groups: list[tuple[str, str]] = [("all runs", "TRUE")]
    if group is not None:
        expr, _, labels = d.axis(group, bins)
        groups += [(f"{group} = {lab}", f"({expr}) = {i}") for i, lab in enumerate(labels)]
    for label, cond in groups:
        _, rows = d.sql(f"SELECT deal_week FROM runs WHERE status = 'ok' AND {cond}")
        if not rows:
            continue
        w = np.array([np.inf if r[0] is None else r[0] for r in rows], dtype=float)
        share = (w[None, :] <= t[:, None]).mean(axis=1)
        style = {"color": "black", "lw": 2.2} if label == "all runs" else {"lw": 1.3}
        ax2.step(t, share, where="post", label=label, **style)
    ax2.set_ylim(0, 1)
    ax2.set_xlim(0, d.horizon)
    ax2.set_xlabel("week")
    ax2.set_ylabel("share of runs with a deal by then")
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left")
    ax2.set_title("Cumulative probability of a deal", fontsize=10)
    fig.suptitle(_title(d), fontsize=11)
    return _png(fig)


def _outcome_panels(
    indices: list[dict[str, Any]], panel_height: float
) -> tuple[Figure, list[tuple[str, list[dict[str, Any]], Any]]]:
    """A figure with one panel per outcome of ``indices``: (outcome, its rows, axes) each."""
    outcomes = list(dict.fromkeys(r["outcome"] for r in indices))
    ncol = min(MAX_PANELS_PER_ROW, len(outcomes))
    nrow = math.ceil(len(outcomes) / ncol)
    fig = Figure(figsize=(5.2 * ncol, panel_height * nrow + 0.6), layout="constrained")
    panels = [
        (o, [r for r in indices if r["outcome"] == o], fig.add_subplot(nrow, ncol, k + 1))
        for k, o in enumerate(outcomes)
    ]
    return fig, panels


SOBOL_BAR_HEIGHT = 0.4  # two bars per parameter row
SOBOL_BARS = (  # index, offset within the row, legend label, colour
    ("S1", -SOBOL_BAR_HEIGHT / 2, "S1 (first order)", "tab:blue"),
    ("ST", SOBOL_BAR_HEIGHT / 2, "ST (total)", "tab:red"),
)


def sobol_plot(indices: list[dict[str, Any]]) -> bytes:
    """First-order and total Sobol indices with confidence intervals, a panel per outcome."""
    fig, panels = _outcome_panels(indices, panel_height=3.8)
    for k, (o, rs, ax) in enumerate(panels):
        pos = np.arange(len(rs))
        for key, shift, label, color in SOBOL_BARS:
            ax.barh(
                pos + shift,
                [r[key] for r in rs],
                SOBOL_BAR_HEIGHT,
                xerr=[r[f"{key}_conf"] for r in rs],
                label=label,
                color=color,
                capsize=2,
            )
        ax.set_yticks(pos, [r["parameter"] for r in rs], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(o, fontsize=10)
        ax.set_xlabel("Sobol index (95% CI)")
        if k == 0:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Sobol sensitivity indices (SALib)", fontsize=11)
    return _png(fig)


def morris_plot(indices: list[dict[str, Any]]) -> bytes:
    """Morris μ* against σ per parameter (elementary effects), a panel per outcome."""
    fig, panels = _outcome_panels(indices, panel_height=4.2)
    for o, rs, ax in panels:
        ax.errorbar(
            [r["mu_star"] for r in rs],
            [r["sigma"] for r in rs],
            xerr=[r["mu_star_conf"] for r in rs],
            fmt="o",
            capsize=2,
        )
        for r in rs:
            ax.annotate(
                r["parameter"],
                (r["mu_star"], r["sigma"]),
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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def all_plots(
    d: SweepData, x: str | None, y: str | None, bins: int, indices: list[dict[str, Any]]
) -> dict[str, bytes]:
    """Every plot that the sweep's outcomes and design allow."""
    out: dict[str, bytes] = {}
    if "deal" in d.outcomes and x is not None:
        if y is not None:
            out["deal_heatmap.png"] = heatmap(
                d,
                x,
                y,
                bins,
                "avg(CAST(deal AS DOUBLE))",
                "deal probability",
                (0.0, 1.0),
                "Deal probability",
            )
            if "deal_week" in d.outcomes:
                out["deal_week_heatmap.png"] = heatmap(
                    d,
                    x,
                    y,
                    bins,
                    "avg(deal_week)",
                    "mean week of the first deal (runs with one)",
                    None,
                    "Mean week of the first deal",
                )
        else:
            out[f"deal_by_{x}.png"] = deal_by_parameter(d, x, bins)
    if d.outcomes:
        out["outcome_distributions.png"] = outcome_distributions(d)
    if "deal_week" in d.outcomes:
        out["time_to_deal.png"] = time_to_deal(d, x, bins)
    if indices and "S1" in indices[0]:
        out["sobol_indices.png"] = sobol_plot(indices)
    elif indices:
        out["morris_indices.png"] = morris_plot(indices)
    return out
