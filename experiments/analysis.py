# size: it holds every query of the analysis (runs, design, series), so that no other
# module builds SQL over a sweep's parts; each function is one table, index set or plot's data
"""``tradetalks analyze``: summary tables (DuckDB over the Parquet parts), plots, indices.

Everything is computed by DuckDB straight from ``DIR/runs/part-*.parquet`` (the parts are
never loaded whole), then written under ``DIR/analysis/`` in one atomic step:

* ``overview.csv`` — runs, failures, deal rate with its 95% interval, deals by the horizon
  and the restricted mean time to deal; ``outcomes.csv`` — each outcome's spread;
* ``by_sample.csv`` — mean outcomes per design point (over replicates; means of the deal
  week over the ``deals`` column's runs);
* ``by_<parameter>.csv`` — marginal means per parameter level (or equal-width bin);
* ``failures.csv`` — failed runs and their errors (if any); ``notes.txt`` — the notes and
  warnings printed while analysing;
* plots and, for Sobol / Morris designs, SALib indices (``experiments.sensitivity``; the
  time to deal as the two censoring-proof outcomes named there).

The horizon is the runs' end unless a date is given (``by``).  This module (with the view
in ``experiments.sweepdata``) does all the querying, of the runs and of the weekly series;
``experiments.plots`` and ``experiments.sensitivity`` get the results as arrays and
DataFrames, ``experiments.labels`` gives names their units and weeks their dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tradetalks.experiments import labels as lb
from tradetalks.experiments import plots
from tradetalks.experiments import sensitivity as sa
from tradetalks.experiments.manifest import DESIGN_FILE
from tradetalks.experiments.outcomes import column_name
from tradetalks.experiments.seeds import design_seed
from tradetalks.experiments.store import part_name
from tradetalks.experiments.sweepdata import AnalysisError, SweepData, quote

ANALYSIS_DIR = "analysis"
NOTES_FILE = "notes.txt"
INTEGER_TYPES = ("BIGINT", "INTEGER")  # DuckDB column types plotted one bar per value
DEAL_SHARE = "avg(CAST(deal AS DOUBLE))"  # SQL: share of runs with a deal
MAX_GROUPS = 8  # curves per parameter level in the time-to-deal and series plots
OK = "status = 'ok'"
Z95 = 1.959964  # normal quantile of the 95% intervals of means


@dataclass
class Context:
    """What every step needs: the sweep, the horizon, labels, run counts and the log."""

    d: SweepData
    bins: int
    horizon: int  # week of the horizon: a deal by it has deal_week <= horizon
    by: str  # the horizon for people ("2020-01-15 (week 18)")
    start: dt.date | None  # the runs' start date, if the base config gives it
    log: Callable[[str], None]
    total: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)
    plabels: dict[str, str] = field(default_factory=dict)  # parameter -> label with unit
    outcome_titles: dict[str, str] = field(default_factory=dict)  # derived outcomes' labels
    calendar: list[tuple[int, str]] = field(default_factory=list)  # (week, kind) to mark

    def say(self, text: str) -> None:
        """Log a note or warning and keep it for ``notes.txt`` and the figures."""
        self.notes.append(text)
        self.log(text)

    @property
    def footnote(self) -> str:
        """The line every figure carries: how many runs failed (and are left out)."""
        done = f"{self.total} of {self.d.m.runs} runs done; " if self.total < self.d.m.runs else ""
        if not self.failed:
            return f"{done}no run failed"
        return f"{done}{self.failed} of {self.total} runs failed (left out)"

    def date_of(self, week: int) -> dt.date:
        """First day of week ``week``."""
        assert self.start is not None
        return lb.week_start(self.start, week)

    def end_of(self, week: int) -> dt.date:
        """Date of the state at the end of week ``week`` (a series' row)."""
        assert self.start is not None
        return self.start + dt.timedelta(weeks=week)


def _csv(columns: list[str], rows: list[tuple[Any, ...]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else (f"{v:.6g}" if isinstance(v, float) else v) for v in r])
    return buf.getvalue().encode()


def _horizon(d: SweepData, by: str | dt.date | None) -> tuple[int, str, dt.date | None]:
    """(week, label, start date) of the horizon: the runs' end, or the week of ``by``."""
    start = lb.sweep_start_date(d.root)
    if by is None:
        end = f"the end, {lb.end_date(start, d.horizon)}" if start else "the end"
        return d.horizon, f"{end} (week {d.horizon})", start
    if start is None:
        raise AnalysisError(f"{d.root}: the base config gives no start date to count weeks from")
    try:
        day = by if isinstance(by, dt.date) else lb.parse_date(by)
    except ValueError as exc:
        raise AnalysisError(f"--by: {exc}") from None
    week = lb.week_of(start, day)
    if week < 1:
        raise AnalysisError(f"--by {day} is before the runs start ({start})")
    if week > d.horizon:
        last = lb.end_date(start, d.horizon)
        raise AnalysisError(f"--by {day} is after the runs end ({last}): runs cannot tell")
    return week, f"{day} (week {week})", start


# --------------------------------------------------------------------------- tables
def _timing(d: SweepData, horizon: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sample ids of the finished runs and their two timing outcomes (``sa.TIMING``)."""
    _, rows = d.sql(f"SELECT sample_id, deal_week FROM runs WHERE {OK} ORDER BY run_id")
    ids = np.array([r[0] for r in rows], dtype=int)
    weeks = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
    return ids, sa.deal_timing(weeks, horizon)


def _overview(ctx: Context) -> bytes:
    d = ctx.d
    cols, rows = d.sql(
        f"SELECT count(*) AS runs, count(*) FILTER (WHERE {OK}) AS ok, "
        f"count(*) FILTER (WHERE status <> 'ok') AS failed, $planned AS planned"
        + (f", {DEAL_SHARE} AS deal_rate" if "deal" in d.outcomes else "")
        + (
            ", avg(deal_week) AS mean_deal_week, median(deal_week) AS median_deal_week"
            ", count(deal_week) AS deals"
            if "deal_week" in d.outcomes
            else ""
        )
        + " FROM runs",
        {"planned": d.m.runs},
    )
    row = list(rows[0])
    if "deal" in d.outcomes and row[1]:
        lo, hi = plots.wilson(row[4] * row[1], row[1])
        cols, row = [*cols, "deal_rate_low95", "deal_rate_high95"], [*row, float(lo), float(hi)]
    if "deal_week" in d.outcomes and row[1]:
        _, timing = _timing(d, ctx.horizon)
        cols = [*cols, "horizon", sa.DEAL_BY, sa.RMST]
        row = [*row, ctx.by, *(float(timing[k].mean()) for k in sa.TIMING)]
    return _csv(cols, [tuple(row)])


def _spreads(d: SweepData) -> bytes:
    stats = []
    for c in d.numeric_outcomes():
        x = f"CAST({quote(c)} AS DOUBLE)"
        _, r = d.sql(
            f"SELECT count({quote(c)}), {d.mean_expr(c)}, stddev_samp({x}), min({x}), "
            f"quantile_cont({x}, 0.5), max({x}) FROM runs WHERE {OK}"
        )
        stats.append((c, lb.outcome_label(c), *r[0]))
    return _csv(["outcome", "label", "n", "mean", "sd", "min", "median", "max"], stats)


def _with_deal_interval(cols: list[str], rows: list[tuple[Any, ...]]) -> tuple[list, list]:
    """Append the Wilson 95% interval of the ``deal`` share (over ``ok`` runs) to rows."""
    if "deal" not in cols:
        return cols, rows
    i, n = cols.index("deal"), cols.index("ok")
    out = []
    for r in rows:
        lo, hi = plots.wilson((r[i] or 0.0) * r[n], r[n]) if r[n] else (None, None)
        out.append((*r, None if lo is None else float(lo), None if hi is None else float(hi)))
    return [*cols, "deal_low95", "deal_high95"], out


def tables(d: SweepData, bins: int, ctx: Context | None = None) -> dict[str, bytes]:
    """The CSV summary tables."""
    ctx = ctx or Context(d, bins, d.horizon, f"week {d.horizon}", None, print)
    out = {"overview.csv": _overview(ctx), "outcomes.csv": _spreads(d)}
    means = ", ".join(f"{d.mean_expr(c)} AS {quote(c)}" for c in d.numeric_outcomes())
    means = ", " + means if means else ""
    counts = f"count(*) FILTER (WHERE {OK}) AS ok, count(*) FILTER (WHERE status <> 'ok') AS failed"
    if "deal_week" in d.outcomes:  # the timing outcomes over the finished runs, per group
        d.params_sql["hz_week"] = ctx.horizon
        t = "LEAST(COALESCE(deal_week, $hz_week), $hz_week)"
        half = (
            f"{Z95} * stddev_samp({t}) FILTER (WHERE {OK}) / sqrt(count(deal) FILTER (WHERE {OK}))"
        )
        counts += (
            f", count(deal_week) AS deals, avg(CASE WHEN deal_week <= $hz_week THEN 1.0 "
            f"ELSE 0.0 END) FILTER (WHERE {OK}) AS {sa.DEAL_BY}, avg({t}) FILTER (WHERE {OK}) "
            f"AS {sa.RMST}, {sa.RMST} - {half} AS {sa.RMST}_low95, {sa.RMST} + {half} "
            f"AS {sa.RMST}_high95"
        )
    pcols = ", ".join(quote(p) for p in d.params)
    cols, rows = d.sql(
        f"SELECT sample_id, {pcols}, count(*) AS runs, {counts}{means} "
        f"FROM runs GROUP BY sample_id, {pcols} ORDER BY sample_id"
    )
    out["by_sample.csv"] = _csv(*_with_deal_interval(cols, rows))
    for p in d.params:
        expr, _, levels = d.axis(p, bins)
        cols, rows = d.sql(
            f"SELECT {expr} AS level, count(*) AS runs, {counts}{means} "
            "FROM runs GROUP BY level ORDER BY level"
        )
        rows = [(levels[r[0]] if r[0] is not None else None, *r[1:]) for r in rows]
        out[f"by_{p}.csv"] = _csv(*_with_deal_interval([p, *cols[1:]], rows))
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
        f"SELECT sample_id, {d.mean_expr(col)} FROM runs WHERE {OK} "
        "GROUP BY sample_id ORDER BY sample_id"
    )
    y = np.full(d.m.design.samples, np.nan)
    for sid, v in rows:
        if v is not None:
            y[sid] = v
    return y


def _means_by_sample(ids: np.ndarray, values: np.ndarray, samples: int) -> np.ndarray:
    """Per-sample means of per-run values (NaN for a sample without a finished run)."""
    n = np.bincount(ids, minlength=samples).astype(float)
    with np.errstate(invalid="ignore"):
        return np.bincount(ids, weights=values, minlength=samples) / np.where(n, n, np.nan)


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


def _targets(ctx: Context) -> dict[str, np.ndarray]:
    """Per-sample means of each outcome to analyse, by name; the deal week's censoring
    is handled by analysing the two timing outcomes (and the raw week only if no run is
    censored)."""
    d = ctx.d
    wanted = [column_name(c) for c in d.m.analysis.sensitivity or []] or d.numeric_outcomes()
    out: dict[str, np.ndarray] = {}
    for col in wanted:
        if col not in d.outcomes or d.kind(col) == "label":
            ctx.say(f"sensitivity: {col!r} is not a kept numeric outcome; skipped")
            continue
        if col != "deal_week":
            out[col] = _sample_means(d, col)
            continue
        ids, timing = _timing(d, ctx.horizon)
        censored = int((timing[sa.DEAL_BY] == 0).sum())
        if censored:
            ctx.say(
                f"sensitivity: deal_week is censored ({censored} of {ids.size} finished runs "
                f"had no deal by {ctx.by}): analysed as {sa.DEAL_BY} and {sa.RMST} instead"
            )
        else:
            out[col] = _sample_means(d, col)
        for name in sa.TIMING:
            out[name] = _means_by_sample(ids, timing[name], d.m.design.samples)
    if "deal" in out and sa.DEAL_BY in out and ctx.horizon == d.horizon:
        del out[sa.DEAL_BY]
        ctx.say(f"sensitivity: {sa.DEAL_BY} at the runs' end is deal; analysed once, as deal")
    return out


def sensitivity(
    d: SweepData, log: Callable[[str], None], ctx: Context | None = None, step: Any = None
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """SALib Sobol (S1, ST) or Morris (mu*, sigma) indices per outcome, if the design has them."""
    kind = d.sampler.kind
    if kind not in sa.DESIGNS or d.m.design.problem is None:
        return {}, []
    ctx = ctx or Context(d, d.m.analysis.bins, d.horizon, f"week {d.horizon}", None, log)
    problem = d.m.design.problem.model_dump()
    problem["bounds"] = [list(b) for b in problem["bounds"]]
    names = problem["names"]
    second = d.sampler.second_order
    warn = sa.design_warning(kind, d.sampler.samples or 0, len(names), second)
    if warn:
        ctx.say(f"warning: {warn}")
    seed = design_seed(d.m.root_seed)
    x = _design_matrix(d, names) if kind == "morris" else None
    results: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    for col, y in _targets(ctx).items():
        why = sa.unusable(y)
        if why is not None:
            ctx.say(f"sensitivity: {col!r} {why}; skipped")
        elif x is None:
            rows, two = sa.sobol_indices(col, problem, y, second, seed)
            results, pairs = results + rows, pairs + two
        else:
            results += sa.morris_rows(col, problem, x, y, d.sampler.levels, seed)
        if step is not None:
            step(f"indices of {col}")
    if not results:
        return {}, []
    for warning in (sa.wide_intervals(results), sa.noise_warning(results)):
        if warning:
            ctx.say(f"warning: {warning}")
    for col in dict.fromkeys(r["outcome"] for r in results):
        ctx.say(f"{kind} {sa.top_parameter(results, col)}")
    out = {f"{kind}_indices.csv": _rows_csv(results)}
    if pairs:
        out["sobol_second_order.csv"] = _rows_csv(pairs)
    return out, results


def _rows_csv(rows: list[dict[str, Any]]) -> bytes:
    cols = list(rows[0])
    return _csv(cols, [tuple(r[c] for c in cols) for r in rows])


# --------------------------------------------------------------------------- plot data
def _axis(ctx: Context, name: str) -> tuple[str, list[str], plots.Axis]:
    """SQL level index, level labels and plot axis of a parameter."""
    expr, _, levels = ctx.d.axis(name, ctx.bins)
    return expr, levels, plots.Axis(name, levels, ctx.plabels.get(name, name))


def _cells(ctx: Context, x: str, y: str) -> tuple[dict[str, np.ndarray], plots.Axis, plots.Axis]:
    """Per heatmap cell (y levels by x levels): finished runs, failed runs, runs with a
    deal, and the mean deal week over the runs with one (NaN where there is none)."""
    d = ctx.d
    xe, xl, xa = _axis(ctx, x)
    ye, yl, ya = _axis(ctx, y)
    week = "deal_week" in d.outcomes
    _, rows = d.sql(
        f"SELECT {xe} AS xi, {ye} AS yi, count(*) FILTER (WHERE {OK}), "
        f"count(*) FILTER (WHERE status <> 'ok'), count(*) FILTER (WHERE {OK} AND deal), "
        + ("avg(deal_week) FILTER (WHERE status = 'ok')" if week else "NULL")
        + " FROM runs GROUP BY xi, yi"
    )
    shape = (len(yl), len(xl))
    c = {k: np.zeros(shape) for k in ("ok", "failed", "deals")}
    c["week"] = np.full(shape, np.nan)
    for xi, yi, ok, failed, deals, mean_week in rows:
        if xi is not None and yi is not None:
            c["ok"][yi, xi], c["failed"][yi, xi], c["deals"][yi, xi] = ok, failed, deals
            c["week"][yi, xi] = np.nan if mean_week is None else mean_week
    return c, xa, ya


def _heatmaps(ctx: Context, x: str, y: str) -> dict[str, bytes]:
    c, xa, ya = _cells(ctx, x, y)
    failed = np.vectorize(lambda f: f", {int(f)} failed" if f else "")(c["failed"])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(c["ok"] > 0, c["deals"] / c["ok"], np.nan)
    lo, hi = plots.wilson(c["deals"], c["ok"])
    notes = np.empty(share.shape, dtype=object)
    for ij in np.ndindex(share.shape):
        notes[ij] = f"[{lo[ij]:.2f}, {hi[ij]:.2f}]\nn={int(c['ok'][ij])}{failed[ij]}"
    sub = ctx.d.subtitle
    out = {
        "deal_heatmap.png": plots.heatmap(
            share,
            c["ok"],
            xa,
            ya,
            "deal probability [share of runs]",
            (0.0, 1.0),
            "Deal probability (95% interval, runs)",
            sub,
            notes=notes,
            footnote=ctx.footnote,
        )
    }
    if "deal_week" in ctx.d.outcomes:
        for ij in np.ndindex(share.shape):
            notes[ij] = f"{int(c['deals'][ij])} deals\nof n={int(c['ok'][ij])}{failed[ij]}"
        out["deal_week_heatmap.png"] = plots.heatmap(
            c["week"],
            c["ok"],
            xa,
            ya,
            "week of the first deal [week]",
            None,
            "Mean week of the first deal (runs with one)",
            sub,
            notes=notes,
            footnote=ctx.footnote,
        )
    return out


def _deal_by(ctx: Context, x: str) -> bytes:
    xe, xl, xa = _axis(ctx, x)
    _, rows = ctx.d.sql(
        f"SELECT {xe} AS xi, {DEAL_SHARE}, count(*) FROM runs WHERE {OK} GROUP BY xi"
    )
    shares, counts = np.full(len(xl), np.nan), np.zeros(len(xl))
    for xi, p, n in rows:
        if xi is not None:
            shares[xi], counts[xi] = p, n
    return plots.deal_by_parameter(shares, xa, ctx.d.subtitle, counts, ctx.footnote)


def _distribution(ctx: Context, c: str) -> plots.Distribution:
    """One outcome design point by design point (finished runs)."""
    d, q = ctx.d, quote(c)
    kind, label = d.kind(c), lb.outcome_label(c)
    if kind == "label":
        cols, rows = d.sql(
            f"SELECT sample_id, CAST({q} AS VARCHAR) AS value, count(*) AS n FROM runs "
            f"WHERE {OK} GROUP BY sample_id, value ORDER BY sample_id"
        )
        return plots.Distribution(c, kind, per_point=pd.DataFrame(rows, columns=cols), label=label)
    v = f"CAST({q} AS DOUBLE)"
    stats = (
        f"count({q}) AS n, sum({v}) AS k"
        if kind == "bool"
        else (f"count({q}) AS n, avg({v}) AS mean, min({v}) AS lo, max({v}) AS hi")
    )
    cols, rows = d.sql(
        f"SELECT sample_id, count(*) AS runs, {stats} FROM runs WHERE {OK} "
        "GROUP BY sample_id ORDER BY sample_id"
    )
    pts = pd.DataFrame(rows, columns=cols)
    missing = int((pts["runs"] - pts["n"]).sum())
    integer = d.types.get(c) in INTEGER_TYPES
    return plots.Distribution(c, kind, integer=integer, missing=missing, per_point=pts, label=label)


def _time_to_deal(ctx: Context, group: str | None) -> bytes:
    d = ctx.d

    def weeks(where: str = "TRUE", params: dict[str, Any] | None = None) -> np.ndarray:
        _, rows = d.sql(f"SELECT deal_week FROM runs WHERE {OK} AND {where}", params)
        return np.array([np.inf if r[0] is None else r[0] for r in rows], dtype=float)

    groups: dict[str, np.ndarray] = {}
    if group is not None:
        expr, levels, _ = _axis(ctx, group)
        for i, lab in enumerate(levels[:MAX_GROUPS]):
            w = weeks(f"({expr}) = $group_level", {"group_level": i})
            if w.size:
                groups[f"{group} = {lab}"] = w
    every = weeks()
    mark = None
    if ctx.horizon < d.horizon and every.size:
        mark = (ctx.horizon, f"by {ctx.by}: {np.mean(every <= ctx.horizon):.0%}")
    date_of = ctx.date_of if ctx.start else None
    return plots.time_to_deal(
        every, groups, d.horizon, d.subtitle, mark, date_of, ctx.footnote, ctx.calendar
    )


def _series(ctx: Context, group: str | None) -> list[plots.SeriesPanel]:
    """Weekly series of the finished runs, from the done batches' series parts."""
    import duckdb

    d = ctx.d
    if not d.m.series:
        return []
    _, rows = d.sql("SELECT DISTINCT run_id // $bs FROM runs ORDER BY 1", {"bs": d.m.batch_size})
    files = [d.store.series_dir / part_name(b) for (b,) in rows]
    files = [str(f) for f in files if f.is_file()]
    if not files:
        return []
    try:
        d.con.read_parquet(files).create_view("series")
    except duckdb.Error as exc:
        raise AnalysisError(f"cannot read the series of {d.root}: {exc}") from None
    join = f"FROM series s JOIN runs r USING (run_id) WHERE r.{OK}"
    _, q = d.sql(
        "SELECT s.series, s.week, quantile_cont(s.value, [0.1, 0.5, 0.9]), "
        f"count(DISTINCT s.run_id) {join} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    grouped: dict[tuple[str, int], dict[int, float]] = {}
    if group is not None:
        expr, levels, _ = _axis(ctx, group)
        _, g = d.sql(
            f"SELECT s.series, {expr} AS xi, s.week, median(s.value) {join} GROUP BY 1, 2, 3"
        )
        for name, xi, week, med in g:
            if xi is not None and xi < MAX_GROUPS:
                grouped.setdefault((name, xi), {})[week] = med
    panels = []
    for name in dict.fromkeys(r[0] for r in q):
        mine = [r for r in q if r[0] == name]
        weeks = np.array([r[1] for r in mine])
        qs = np.array([[np.nan if v is None else v for v in r[2]] for r in mine], dtype=float)
        curves = {
            f"{group} = {levels[xi]}": np.array([vals.get(w, np.nan) for w in weeks])
            for (n, xi), vals in sorted(grouped.items())
            if n == name
        }
        runs = max(r[3] for r in mine)
        label = lb.series_label(name)
        panels.append(plots.SeriesPanel(label, weeks, *qs.T, runs, curves))
    return panels


def plot_files(
    d: SweepData,
    x: str | None,
    y: str | None,
    bins: int,
    indices: list[dict[str, Any]],
    ctx: Context | None = None,
    step: Any = None,
) -> dict[str, bytes]:
    """Every plot that the sweep's outcomes and design allow, as PNG bytes by file name."""
    ctx = ctx or Context(d, bins, d.horizon, f"week {d.horizon}", None, print)
    step = step or (lambda _: None)
    out: dict[str, bytes] = {}
    if "deal" in d.outcomes and x is not None:
        out.update(
            _heatmaps(ctx, x, y) if y is not None else {f"deal_by_{x}.png": _deal_by(ctx, x)}
        )
        step("heatmaps")
    if d.outcomes:
        dists = [_distribution(ctx, c) for c in d.outcomes]
        out["outcome_distributions.png"] = plots.outcome_distributions(
            dists, d.subtitle, ctx.footnote
        )
        step("distributions")
    if "deal_week" in d.outcomes:
        out["time_to_deal.png"] = _time_to_deal(ctx, x)
        step("time to deal")
    panels = _series(ctx, x)
    if panels:
        date_of = ctx.end_of if ctx.start else None
        out["series.png"] = plots.series_plot(
            panels, d.subtitle, date_of, ctx.footnote, ctx.calendar
        )
        step("weekly series")
    if indices:
        names = {r["outcome"] for r in indices}
        titles = {o: ctx.outcome_titles.get(o, lb.outcome_label(o)) for o in names}
        note = "; ".join(n for n in ctx.notes if n.startswith("warning:"))
        frame, key = pd.DataFrame(indices), {p: ctx.plabels.get(p, "") for p in d.params}
        if "S1" in indices[0]:
            out["sobol_indices.png"] = plots.sobol_plot(frame, titles, note, key)
        else:
            out["morris_indices.png"] = plots.morris_plot(frame, titles, note, key)
        step("index plots")
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


def _context(d: SweepData, by: str | dt.date | None, log: Callable[[str], None]) -> Context:
    week, label, start = _horizon(d, by)
    ctx = Context(d, d.m.analysis.bins, week, label, start, log)
    _, ((ctx.total, ctx.failed),) = d.sql(
        "SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM runs"
    )
    ctx.plabels = lb.parameter_labels(d.param_specs)
    ctx.calendar = lb.sweep_calendar(d.root)
    ctx.outcome_titles = {
        sa.DEAL_BY: f"deal by {label} [share of runs]",
        sa.RMST: f"restricted mean time to deal, to {label}; no deal = week {week} [weeks]",
    }
    return ctx


def _planned_steps(d: SweepData, x: str | None) -> int:
    """About how many steps an analysis takes (tables, indices per outcome, plots)."""
    plots_ = [("deal" in d.outcomes and x is not None), bool(d.outcomes)]
    plots_ += ["deal_week" in d.outcomes, bool(d.m.series)]
    indices = 0
    if d.sampler.kind in sa.DESIGNS:
        indices = len(d.m.analysis.sensitivity or d.numeric_outcomes()) + len(sa.TIMING) + 1
    return 1 + sum(plots_) + indices


def analyze_sweep(
    directory: str | Path,
    x: str | None = None,
    y: str | None = None,
    log: Callable[[str], None] = print,
    by: str | dt.date | None = None,
    progress: bool | None = None,
) -> list[Path]:
    """Write tables, plots and indices under ``DIR/analysis/``; return the files written.

    ``by`` is the horizon of the timing outcomes (a date; default the runs' end);
    ``progress`` shows a bar on stderr (default: when stderr is a terminal)."""
    import matplotlib
    from tqdm import tqdm

    d = SweepData(Path(directory))
    x, y = _axes(d, x, y)
    ctx = _context(d, by, log)
    if ctx.total < d.m.runs:
        ctx.say(f"note: the sweep is unfinished ({ctx.total} of {d.m.runs} runs); analysing those")
    if ctx.failed:
        ctx.say(f"note: {ctx.failed} of {ctx.total} runs failed; left out of every mean and plot")
    if d.uncommitted:
        ctx.say(
            f"note: {len(d.uncommitted)} batch(es) were written but never committed (killed?); "
            "left out: resume the sweep to run them"
        )
    show = sys.stderr.isatty() if progress is None else progress
    steps = _planned_steps(d, x)
    with tqdm(
        total=steps, desc="analyze", unit="step", file=sys.stderr, disable=not show, leave=False
    ) as bar:

        def step(what: str) -> None:
            bar.set_postfix_str(what, refresh=False)
            bar.update(1)

        files = tables(d, ctx.bins, ctx)
        step("tables")
        sens_files, indices = sensitivity(d, log, ctx, step)
        files.update(sens_files)
        if ctx.failed == ctx.total:
            ctx.say("note: no run finished; tables only, no plots (see the runs' errors)")
        else:  # labels come from the data: draw them as text, never as matplotlib math
            with matplotlib.rc_context({"text.parse_math": False}):
                files.update(plot_files(d, x, y, ctx.bins, indices, ctx, step))
    if ctx.notes:
        files[NOTES_FILE] = ("\n".join(ctx.notes) + "\n").encode()
    target = d.root / ANALYSIS_DIR
    _write_dir(target, files)
    return [target / name for name in sorted(files)]
