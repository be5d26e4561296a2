"""``tradetalks analyze``: summary tables (DuckDB over the Parquet parts), plots, indices.

Everything is computed by DuckDB straight from ``DIR/runs/part-*.parquet`` (the parts are
never loaded whole), then written under ``DIR/analysis/`` in one atomic step:

* ``overview.csv`` — runs, failures, deal rate; ``outcomes.csv`` — each outcome's spread;
* ``by_sample.csv`` — mean outcomes per design point (over replicates);
* ``by_<parameter>.csv`` — marginal means per parameter level (or equal-width bin);
* ``failures.csv`` — failed runs and their errors (if any);
* plots (see ``experiments.plots``) and, for Sobol / Morris designs, SALib indices.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from tradetalks.experiments import plots
from tradetalks.experiments.seeds import design_seed
from tradetalks.experiments.store import MANIFEST, SweepStore, sql_string

CONF_LEVEL = 0.95  # confidence level of SALib's bootstrap intervals
NUM_RESAMPLES = 1000  # SALib bootstrap resamples (its default of 100 gives ragged CIs)
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")  # SALib sobol.analyze results kept
MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")  # SALib morris.analyze results kept
ANALYSIS_DIR = "analysis"


class AnalysisError(Exception):
    """The directory is not an analysable sweep (bad input: exit 2)."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv(columns: list[str], rows: list[tuple[Any, ...]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else (f"{v:.6g}" if isinstance(v, float) else v) for v in r])
    return buf.getvalue().encode()


class SweepData:
    """A DuckDB view over a sweep's parts plus what the manifest says about them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not (self.root / MANIFEST).is_file():
            raise AnalysisError(f"{root} is not a sweep directory (no {MANIFEST})")
        self.store = SweepStore(self.root)
        if not any(self.store.runs_dir.glob("part-*.parquet")):
            raise AnalysisError(f"{root} has no finished runs yet")
        self.manifest = json.loads((self.root / MANIFEST).read_text())
        self.con = duckdb.connect()
        self.con.execute(
            f"CREATE VIEW runs AS SELECT * FROM read_parquet({sql_string(self.store.runs_glob)})"
        )
        types = dict(
            self.con.execute(
                "SELECT column_name, data_type FROM "
                "information_schema.columns WHERE table_name = 'runs'"
            ).fetchall()
        )
        self.types = {k: str(v) for k, v in types.items()}
        self.params: list[str] = self.manifest["design"]["names"]
        self.param_specs: list[dict[str, Any]] = self.manifest["design"]["parameters"]
        self.sampler: dict[str, Any] = self.manifest["design"]["sampler"]
        self.outcomes = [
            c
            for c in self.manifest["columns"]
            if c not in self.params
            and c not in ("run_id", "sample_id", "replicate", "seed", "status", "error")
        ]
        self.horizon = int(self.manifest["horizon_weeks"])

    def sql(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a query; return (column names, rows)."""
        cur = self.con.execute(query)
        return [d[0] for d in cur.description], cur.fetchall()

    def kind(self, col: str) -> str:
        """'bool', 'number' or 'label' for a column."""
        t = self.types.get(col, "")
        if t == "BOOLEAN":
            return "bool"
        if t in ("VARCHAR",):
            return "label"
        return "number"

    def numeric_outcomes(self) -> list[str]:
        """Outcomes that can be averaged (flags count as 0/1)."""
        return [c for c in self.outcomes if self.kind(c) in ("bool", "number")]

    def mean_expr(self, col: str) -> str:
        """SQL for the mean of a column over a group (flags as shares)."""
        return f"avg(CAST({_q(col)} AS DOUBLE))"

    def axis(self, name: str, bins: int) -> tuple[str, list[Any], list[str]]:
        """SQL expression giving a parameter's level index, the levels and their labels."""
        spec = self.param_specs[self.params.index(name)]
        if "values" in spec or self.sampler["kind"] == "grid":
            _, rows = self.sql(f"SELECT DISTINCT {_q(name)} FROM runs ORDER BY 1")
            levels = [r[0] for r in rows]
            if "values" in spec:  # keep the sweep file's order
                levels = [v for v in spec["values"] if v in levels]
            cases = " ".join(f"WHEN {_q(name)} = {_lit(v)} THEN {i}" for i, v in enumerate(levels))
            return f"CASE {cases} END", levels, [_fmt(v) for v in levels]
        lo, hi = spec["range"]
        width = (hi - lo) / bins
        expr = f"LEAST(CAST(floor(({_q(name)} - {lo!r}) / {width!r}) AS INTEGER), {bins - 1})"
        edges = [lo + i * width for i in range(bins + 1)]
        labels = [f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}" for i in range(bins)]
        return expr, list(range(bins)), labels


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    return sql_string(str(v))


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- tables
def tables(d: SweepData, bins: int) -> dict[str, bytes]:
    """The CSV summary tables."""
    out: dict[str, bytes] = {}
    num = d.numeric_outcomes()
    deal = "deal" in d.outcomes
    cols, rows = d.sql(
        "SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'ok') AS ok, "
        "count(*) FILTER (WHERE status <> 'ok') AS failed, "
        f"{d.manifest['runs']} AS planned"
        + (", avg(CAST(deal AS DOUBLE)) AS deal_rate" if deal else "")
        + (
            ", avg(deal_week) AS mean_deal_week, median(deal_week) AS median_deal_week"
            if "deal_week" in d.outcomes
            else ""
        )
        + " FROM runs"
    )
    out["overview.csv"] = _csv(cols, rows)

    stats = []
    for c in num:
        _, r = d.sql(
            f"SELECT count({_q(c)}), {d.mean_expr(c)}, stddev_samp(CAST({_q(c)} AS "
            f"DOUBLE)), min(CAST({_q(c)} AS DOUBLE)), quantile_cont(CAST({_q(c)} AS "
            f"DOUBLE), 0.5), max(CAST({_q(c)} AS DOUBLE)) FROM runs WHERE status = 'ok'"
        )
        stats.append((c, *r[0]))
    out["outcomes.csv"] = _csv(["outcome", "n", "mean", "sd", "min", "median", "max"], stats)

    means = ", ".join(f"{d.mean_expr(c)} AS {_q(c)}" for c in num)
    pcols = ", ".join(_q(p) for p in d.params)
    cols, rows = d.sql(
        f"SELECT sample_id, {pcols}, count(*) AS runs, "
        f"count(*) FILTER (WHERE status <> 'ok') AS failed{', ' + means if means else ''} "
        f"FROM runs GROUP BY sample_id, {pcols} ORDER BY sample_id"
    )
    out["by_sample.csv"] = _csv(cols, rows)

    for p in d.params:
        expr, _, labels = d.axis(p, bins)
        cols, rows = d.sql(
            f"SELECT {expr} AS level, count(*) AS runs, "
            f"count(*) FILTER (WHERE status <> 'ok') AS failed{', ' + means if means else ''} "
            f"FROM runs GROUP BY level ORDER BY level"
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
    n = int(d.manifest["design"]["samples"])
    y = np.full(n, np.nan)
    for sid, v in rows:
        if v is not None:
            y[sid] = v
    return y


def sensitivity(
    d: SweepData, log: Callable[[str], None]
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """SALib Sobol (S1, ST) or Morris (mu*, sigma) indices per outcome, if the design has them."""
    kind = d.sampler["kind"]
    if kind not in ("sobol", "morris"):
        return {}, []
    problem = d.manifest["design"]["problem"]
    from tradetalks.experiments.outcomes import column_name

    wanted = [column_name(c) for c in d.manifest["analysis"].get("sensitivity") or []]
    wanted = wanted or d.numeric_outcomes()
    seed = design_seed(int(d.manifest["root_seed"]))
    results: list[dict[str, Any]] = []
    for col in wanted:
        if col not in d.outcomes:
            log(f"sensitivity: {col!r} is not a kept outcome; skipped")
            continue
        y = _sample_means(d, col)
        if np.isnan(y).any():
            log(
                f"sensitivity: {col!r} is missing for {int(np.isnan(y).sum())} samples "
                "(failed runs or no value); skipped"
            )
            continue
        if np.ptp(y) == 0:
            log(f"sensitivity: {col!r} does not vary; skipped")
            continue
        if kind == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                problem,
                y,
                calc_second_order=d.sampler["second_order"],
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
            results += _index_rows(col, problem["names"], si, SOBOL_KEYS)
        else:
            import pyarrow.parquet as pq
            from SALib.analyze import morris

            design = pq.read_table(d.root / d.manifest["design"]["file"])
            x = np.column_stack([design.column(f"raw__{n}").to_numpy() for n in problem["names"]])
            si = morris.analyze(
                problem,
                x,
                y,
                num_resamples=NUM_RESAMPLES,
                conf_level=CONF_LEVEL,
                num_levels=d.sampler["levels"],
                seed=seed,
            )
            results += _index_rows(col, problem["names"], si, MORRIS_KEYS)
    if not results:
        return {}, []
    cols = list(results[0])
    name = "sobol_indices.csv" if kind == "sobol" else "morris_indices.csv"
    return {name: _csv(cols, [tuple(r[c] for c in cols) for r in results])}, results


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


def analyze_sweep(
    directory: str | Path,
    x: str | None = None,
    y: str | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Write tables, plots and indices under ``DIR/analysis/``; return the files written."""
    d = SweepData(Path(directory))
    settings = d.manifest.get("analysis", {})
    bins = int(settings.get("bins", 6))
    default = settings.get("heatmap") or d.params[:2]
    x = x or (default[0] if default else None)
    y = y or (default[1] if len(default) > 1 else None)
    for opt, v in (("--x", x), ("--y", y)):
        if v is not None and v not in d.params:
            raise AnalysisError(
                f"{opt} {v!r} is not a parameter of this sweep; parameters: {', '.join(d.params)}"
            )
    if x is not None and x == y:
        raise AnalysisError("--x and --y must name different parameters")
    _, ((done, planned),) = d.sql(f"SELECT count(*), {d.manifest['runs']} FROM runs")
    if done < planned:
        log(f"note: the sweep is unfinished ({done} of {planned} runs); analysing those")
    files = tables(d, bins)
    sens_files, indices = sensitivity(d, log)
    files.update(sens_files)
    files.update(plots.all_plots(d, x, y, bins, indices))
    target = d.root / ANALYSIS_DIR
    _write_dir(target, files)
    return [target / name for name in sorted(files)]


def _index_rows(
    outcome: str, names: list[str], si: Any, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One row per parameter: the outcome, the parameter and SALib's ``keys`` for it."""
    return [
        {"outcome": outcome, "parameter": name, **{k: float(si[k][j]) for k in keys}}
        for j, name in enumerate(names)
    ]
