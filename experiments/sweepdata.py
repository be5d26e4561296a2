"""A sweep's results as DuckDB sees them: a view over the Parquet parts of ``DIR/runs``
(never loaded whole) and what the manifest says about its columns and design."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from tradetalks.experiments.store import MANIFEST, SweepStore, sql_string
from tradetalks.experiments.sweepspec import RESERVED_COLUMNS


class AnalysisError(Exception):
    """The directory is not an analysable sweep (bad input: exit 2)."""


def quote(name: str) -> str:
    """An SQL identifier (column names may hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int | float):
        return repr(v)
    return sql_string(str(v))


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


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
            if c not in self.params and c not in RESERVED_COLUMNS
        ]
        self.horizon = int(self.manifest["horizon_weeks"])

    @property
    def subtitle(self) -> str:
        """The line under each plot's title: the sweep's name and size."""
        return f"sweep {self.manifest['name']!r} — {self.manifest['runs']} runs"

    def sql(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a query; return (column names, rows)."""
        cur = self.con.execute(query)
        return [d[0] for d in cur.description], cur.fetchall()

    def kind(self, col: str) -> str:
        """'bool', 'number' or 'label' for a column."""
        t = self.types.get(col, "")
        if t == "BOOLEAN":
            return "bool"
        if t == "VARCHAR":
            return "label"
        return "number"

    def numeric_outcomes(self) -> list[str]:
        """Outcomes that can be averaged (flags count as 0/1)."""
        return [c for c in self.outcomes if self.kind(c) in ("bool", "number")]

    def mean_expr(self, col: str) -> str:
        """SQL for the mean of a column over a group (flags as shares)."""
        return f"avg(CAST({quote(col)} AS DOUBLE))"

    def axis(self, name: str, bins: int) -> tuple[str, list[Any], list[str]]:
        """SQL expression giving a parameter's level index, the levels and their labels."""
        spec = self.param_specs[self.params.index(name)]
        if "values" in spec or self.sampler["kind"] == "grid":
            _, rows = self.sql(f"SELECT DISTINCT {quote(name)} FROM runs ORDER BY 1")
            levels = [r[0] for r in rows]
            if "values" in spec:  # keep the sweep file's order
                levels = [v for v in spec["values"] if v in levels]
            cases = " ".join(
                f"WHEN {quote(name)} = {_lit(v)} THEN {i}" for i, v in enumerate(levels)
            )
            return f"CASE {cases} END", levels, [_fmt(v) for v in levels]
        lo, hi = spec["range"]
        width = (hi - lo) / bins
        expr = f"LEAST(CAST(floor(({quote(name)} - {lo!r}) / {width!r}) AS INTEGER), {bins - 1})"
        edges = [lo + i * width for i in range(bins + 1)]
        labels = [f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}" for i in range(bins)]
        return expr, list(range(bins)), labels
