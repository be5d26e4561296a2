"""``tradetalks analyze``: summary tables (DuckDB over the Parquet parts), plots, indices.

Everything is computed by DuckDB straight from ``DIR/runs/part-*.parquet`` (the parts are
never loaded whole), then written under ``DIR/analysis/`` in one atomic step:

* ``overview.csv`` — runs, failures, deal rate; ``outcomes.csv`` — each outcome's spread;
* ``by_sample.csv`` — mean outcomes per design point (over replicates);
* ``by_<parameter>.csv`` — marginal means per parameter level (or equal-width bin);
* ``failures.csv`` — failed runs and their errors (if any);
* plots and, for Sobol / Morris designs, SALib indices.

This module (with the view in ``experiments.sweepdata``) does all the querying;
``experiments.plots`` and ``experiments.sensitivity`` get the results as arrays and
DataFrames.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tradetalks.experiments import plots
from tradetalks.experiments import sensitivity as sa
from tradetalks.experiments.manifest import DESIGN_FILE
from tradetalks.experiments.outcomes import column_name
from tradetalks.experiments.seeds import design_seed
from tradetalks.experiments.sweepdata import AnalysisError, SweepData, quote

ANALYSIS_DIR = "analysis"
INTEGER_TYPES = ("BIGINT", "INTEGER")  # DuckDB column types plotted one bar per value
DEAL_SHARE = "avg(CAST(deal AS DOUBLE))"  # SQL: share of runs with a deal
MEAN_DEAL_WEEK = "avg(deal_week)"  # SQL: mean week of the first deal, over runs with one


def _csv(columns: list[str], rows: list[tuple[Any, ...]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else (f"{v:.6g}" if isinstance(v, float) else v) for v in r])
    return buf.getvalue().encode()


# --------------------------------------------------------------------------- tables
def _overview(d: SweepData) -> bytes:
    deal_week = "deal_week" in d.outcomes
    cols, rows = d.sql(
        "SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'ok') AS ok, "
        "count(*) FILTER (WHERE status <> 'ok') AS failed, $planned AS planned"
        + (f", {DEAL_SHARE} AS deal_rate" if "deal" in d.outcomes else "")
        + (
            ", avg(deal_week) AS mean_deal_week, median(deal_week) AS median_deal_week"
            if deal_week
            else ""
        )
        + " FROM runs",
        {"planned": d.m.runs},
    )
    return _csv(cols, rows)


def _spreads(d: SweepData) -> bytes:
    stats = []
    for c in d.numeric_outcomes():
        x = f"CAST({quote(c)} AS DOUBLE)"
        _, r = d.sql(
            f"SELECT count({quote(c)}), {d.mean_expr(c)}, stddev_samp({x}), min({x}), "
            f"quantile_cont({x}, 0.5), max({x}) FROM runs WHERE status = 'ok'"
        )
        stats.append((c, *r[0]))
    return _csv(["outcome", "n", "mean", "sd", "min", "median", "max"], stats)


def tables(d: SweepData, bins: int) -> dict[str, bytes]:
    """The CSV summary tables."""
    out = {"overview.csv": _overview(d), "outcomes.csv": _spreads(d)}
    means = ", ".join(f"{d.mean_expr(c)} AS {quote(c)}" for c in d.numeric_outcomes())
    means = ", " + means if means else ""
    failed = "count(*) FILTER (WHERE status <> 'ok') AS failed"
    pcols = ", ".join(quote(p) for p in d.params)
    cols, rows = d.sql(
        f"SELECT sample_id, {pcols}, count(*) AS runs, {failed}{means} "
        f"FROM runs GROUP BY sample_id, {pcols} ORDER BY sample_id"
    )
    out["by_sample.csv"] = _csv(cols, rows)
    for p in d.params:
        expr, _, labels = d.axis(p, bins)
        cols, rows = d.sql(
            f"SELECT {expr} AS level, count(*) AS runs, {failed}{means} "
            "FROM runs GROUP BY level ORDER BY level"
        )
        rows = [(labels[r[0]] if r[0] is not None else None, *r[1:]) for r in rows]
        out[f"by_{p}.csv"] = _csv([p, *cols[1:]], rows)
    cols, rows = d.sql(
        "SELECT run_id, sample_id, replicate, seed, error FROM runs "
        "WHERE status <> 'ok' ORDER BY run_id"
    )
    if rows:
        out["failures.csv"] = _csv(cols, rows)
    return out


# --------------------------------------------------------------------------- sensitivity
def _sample_means(d: SweepData, col: str) -> np.ndarray:
    _, rows = d.sql(
        f"SELECT sample_id, {d.mean_expr(col)} FROM runs WHERE status = 'ok' "
        "GROUP BY sample_id ORDER BY sample_id"
    )
    y = np.full(d.m.design.samples, np.nan)
    for sid, v in rows:
        if v is not None:
            y[sid] = v
    return y


def _design_matrix(d: SweepData, names: list[str]) -> np.ndarray:
    """The design in problem space, a column per parameter (as SALib drew it)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = [f"raw__{n}" for n in names]
    try:
        design = pq.read_table(d.root / DESIGN_FILE, columns=cols)
        x = np.column_stack([design.column(c).to_numpy() for c in cols]).astype(float)
    except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
        raise AnalysisError(f"{d.root / DESIGN_FILE} cannot be read: {exc}") from None
    if x.shape[0] != d.m.design.samples:
        raise AnalysisError(f"{d.root / DESIGN_FILE} does not hold the sweep's design")
    return x


def sensitivity(
    d: SweepData, log: Callable[[str], None]
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """SALib Sobol (S1, ST) or Morris (mu*, sigma) indices per outcome, if the design has them."""
    kind = d.sampler.kind
    if kind not in sa.DESIGNS or d.m.design.problem is None:
        return {}, []
    problem = d.m.design.problem.model_dump()
    problem["bounds"] = [list(b) for b in problem["bounds"]]
    wanted = [column_name(c) for c in d.m.analysis.sensitivity or []]
    seed = design_seed(d.m.root_seed)
    x = _design_matrix(d, problem["names"]) if kind == "morris" else None
    results: list[dict[str, Any]] = []
    for col in wanted or d.numeric_outcomes():
        if col not in d.outcomes:
            log(f"sensitivity: {col!r} is not a kept outcome; skipped")
            continue
        y = _sample_means(d, col)
        why = sa.unusable(y)
        if why is not None:
            log(f"sensitivity: {col!r} {why}; skipped")
        elif x is None:
            results += sa.sobol_rows(col, problem, y, d.sampler.second_order, seed)
        else:
            results += sa.morris_rows(col, problem, x, y, d.sampler.levels, seed)
    if not results:
        return {}, []
    cols = list(results[0])
    name = f"{kind}_indices.csv"
    return {name: _csv(cols, [tuple(r[c] for c in cols) for r in results])}, results


# --------------------------------------------------------------------------- plot data
def _grid(
    d: SweepData, x: str, y: str, bins: int, metric: str
) -> tuple[np.ndarray, np.ndarray, plots.Axis, plots.Axis]:
    """An SQL aggregate ``metric`` of the finished runs and their counts over two
    parameters (y levels by x levels; NaN where no run has a value)."""
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
    return grid, counts, plots.Axis(x, xlab), plots.Axis(y, ylab)


def _deal_shares(d: SweepData, x: str, bins: int) -> tuple[np.ndarray, plots.Axis]:
    """Share of finished runs with a deal at each level of parameter ``x``."""
    xe, xl, xlab = d.axis(x, bins)
    _, rows = d.sql(
        f"SELECT {xe} AS xi, {DEAL_SHARE} FROM runs WHERE status = 'ok' GROUP BY xi ORDER BY xi"
    )
    vals = np.full(len(xl), np.nan)
    for xi, p in rows:
        if xi is not None:
            vals[xi] = p
    return vals, plots.Axis(x, xlab)


def _distribution(d: SweepData, c: str) -> plots.Distribution:
    """One outcome over the finished runs: its values, or counts of its labels."""
    kind = d.kind(c)
    if kind == "number":
        _, rows = d.sql(
            f"SELECT CAST({quote(c)} AS DOUBLE) FROM runs "
            f"WHERE status = 'ok' AND {quote(c)} IS NOT NULL"
        )
        _, ((missing,),) = d.sql(
            f"SELECT count(*) FROM runs WHERE status = 'ok' AND {quote(c)} IS NULL"
        )
        values = np.array([r[0] for r in rows], dtype=float)
        integer = d.types.get(c) in INTEGER_TYPES
        return plots.Distribution(c, kind, values=values, integer=integer, missing=missing)
    _, rows = d.sql(
        f"SELECT CAST({quote(c)} AS VARCHAR) AS v, count(*) AS n FROM runs "
        "WHERE status = 'ok' GROUP BY v ORDER BY n DESC, v"
    )
    counts = pd.DataFrame(
        {"value": pd.Series([r[0] for r in rows], dtype=object), "n": [r[1] for r in rows]}
    )
    return plots.Distribution(c, kind, counts=counts)


def _deal_weeks(
    d: SweepData, where: str = "TRUE", params: dict[str, Any] | None = None
) -> np.ndarray:
    """First deal week of each finished run matching ``where`` (SQL with named ``params``),
    ``inf`` if none."""
    _, rows = d.sql(f"SELECT deal_week FROM runs WHERE status = 'ok' AND {where}", params)
    return np.array([np.inf if r[0] is None else r[0] for r in rows], dtype=float)


def _time_to_deal(d: SweepData, group: str | None, bins: int) -> bytes:
    groups: dict[str, np.ndarray] = {}
    if group is not None:
        expr, _, labels = d.axis(group, bins)
        for i, lab in enumerate(labels):
            weeks = _deal_weeks(d, f"({expr}) = $group_level", {"group_level": i})
            if weeks.size:
                groups[f"{group} = {lab}"] = weeks
    return plots.time_to_deal(_deal_weeks(d), groups, d.horizon, d.subtitle)


def _heatmaps(d: SweepData, x: str, y: str, bins: int) -> dict[str, bytes]:
    out = {}
    grid, counts, xa, ya = _grid(d, x, y, bins, DEAL_SHARE)
    out["deal_heatmap.png"] = plots.heatmap(
        grid, counts, xa, ya, "deal probability", (0.0, 1.0), "Deal probability", d.subtitle
    )
    if "deal_week" in d.outcomes:
        grid, counts, xa, ya = _grid(d, x, y, bins, MEAN_DEAL_WEEK)
        out["deal_week_heatmap.png"] = plots.heatmap(
            grid,
            counts,
            xa,
            ya,
            "mean week of the first deal (runs with one)",
            None,
            "Mean week of the first deal",
            d.subtitle,
        )
    return out


def plot_files(
    d: SweepData, x: str | None, y: str | None, bins: int, indices: list[dict[str, Any]]
) -> dict[str, bytes]:
    """Every plot that the sweep's outcomes and design allow, as PNG bytes by file name."""
    out: dict[str, bytes] = {}
    if "deal" in d.outcomes and x is not None:
        if y is not None:
            out.update(_heatmaps(d, x, y, bins))
        else:
            shares, xa = _deal_shares(d, x, bins)
            out[f"deal_by_{x}.png"] = plots.deal_by_parameter(shares, xa, d.subtitle)
    if d.outcomes:
        dists = [_distribution(d, c) for c in d.outcomes]
        out["outcome_distributions.png"] = plots.outcome_distributions(dists, d.subtitle)
    if "deal_week" in d.outcomes:
        out["time_to_deal.png"] = _time_to_deal(d, x, bins)
    if indices and "S1" in indices[0]:
        out["sobol_indices.png"] = plots.sobol_plot(pd.DataFrame(indices))
    elif indices:
        out["morris_indices.png"] = plots.morris_plot(pd.DataFrame(indices))
    return out


# --------------------------------------------------------------------------- driver
def _write_dir(target: Path, files: dict[str, bytes]) -> None:
    """Replace ``target`` by a directory holding exactly ``files``, in one rename."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    old = None
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _axes(d: SweepData, x: str | None, y: str | None) -> tuple[str | None, str | None]:
    """The heatmap's parameters: as asked, else the sweep file's, else the first two."""
    default = d.m.analysis.heatmap or d.params[:2]
    x = x or (default[0] if default else None)
    y = y or (default[1] if len(default) > 1 else None)
    for opt, v in (("--x", x), ("--y", y)):
        if v is not None and v not in d.params:
            raise AnalysisError(
                f"{opt} {v!r} is not a parameter of this sweep; parameters: {', '.join(d.params)}"
            )
    if x is not None and x == y:
        raise AnalysisError("--x and --y must name different parameters")
    return x, y


def analyze_sweep(
    directory: str | Path,
    x: str | None = None,
    y: str | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Write tables, plots and indices under ``DIR/analysis/``; return the files written."""
    import matplotlib

    d = SweepData(Path(directory))
    bins = d.m.analysis.bins
    x, y = _axes(d, x, y)
    _, ((done,),) = d.sql("SELECT count(*) FROM runs")
    if done < d.m.runs:
        log(f"note: the sweep is unfinished ({done} of {d.m.runs} runs); analysing those")
    if d.uncommitted:
        log(
            f"note: {len(d.uncommitted)} batch(es) were written but never committed (killed?); "
            "left out: resume the sweep to run them"
        )
    files = tables(d, bins)
    sens_files, indices = sensitivity(d, log)
    files.update(sens_files)
    # labels come from the data: draw them as text, never as matplotlib math ("$...$")
    with matplotlib.rc_context({"text.parse_math": False}):
        files.update(plot_files(d, x, y, bins, indices))
    target = d.root / ANALYSIS_DIR
    _write_dir(target, files)
    return [target / name for name in sorted(files)]
