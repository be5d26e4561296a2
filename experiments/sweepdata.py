"""A sweep's results as DuckDB sees them: a view over the verified Parquet parts of
``DIR/runs`` (never loaded whole) and what the validated manifest says about its columns
and design.

Nothing from the directory is pasted into SQL: the parts are opened through DuckDB's
Python API with their paths as values, column names are identifiers checked by the
manifest's schema (and quoted), and every other value a query needs is a bound parameter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from tradetalks.experiments.integrity import batch_range, check_parts
from tradetalks.experiments.manifest import Manifest, ManifestError, load_manifest
from tradetalks.experiments.store import PART_RE, SweepStore
from tradetalks.experiments.sweepspec import COLUMN_RE, RESERVED_COLUMNS

PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")  # named parameters in a query


class AnalysisError(Exception):
    """The directory is not an analysable sweep (bad input: exit 2)."""


def quote(name: str) -> str:
    """An SQL identifier: a column name the manifest's schema admitted, double-quoted."""
    if not COLUMN_RE.match(name):
        raise AnalysisError(f"{name!r} is not a column name")
    return f'"{name}"'


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _misplaced(m: Manifest, files: list[Path]) -> list[str]:
    """Parts whose run ids are not exactly their batch's (read one by one: the slow path,
    taken only when the quick check over all parts found something)."""
    out = []
    for f in files:
        match = PART_RE.match(f.name)
        batch = int(match.group(1)) if match else -1
        try:
            ids = pq.read_table(f, columns=["run_id"]).column("run_id").to_pylist()
        except Exception:  # unreadable: pyarrow raises several kinds
            ids = None
        if ids != list(batch_range(m, batch)):
            out.append(f"{f.parent.name}/{f.name}")
    return out


class SweepData:
    """A DuckDB view over a sweep's parts plus what the manifest says about them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            self.m = load_manifest(self.root)
        except ManifestError as exc:
            raise AnalysisError(str(exc)) from None
        self.store = SweepStore(self.root)
        check = check_parts(self.store, self.m)
        if check.damaged or check.unexpected:
            raise AnalysisError(
                f"{root} has damaged or duplicated parts, refused: {check.describe_refused()}. "
                "Resume the sweep (tradetalks sweep ... --resume) to run damaged batches "
                "again; move away files that are not parts of it"
            )
        self.uncommitted = sorted(check.uncommitted)
        files = sorted(check.done.values())
        if not files and self.uncommitted:
            raise AnalysisError(
                f"{root}: none of its {len(self.uncommitted)} part(s) has a commit record "
                "(in commits/); resume the sweep to run them again"
            )
        if not files:
            raise AnalysisError(f"{root} has no finished runs yet")
        self.con = duckdb.connect()
        self.params_sql: dict[str, Any] = {}
        try:
            self.con.read_parquet([str(f) for f in files]).create_view("runs")
            types = self.con.execute(
                "SELECT column_name, data_type FROM "
                "information_schema.columns WHERE table_name = 'runs'"
            ).fetchall()
            self.types = {str(k): str(v) for k, v in types}
            if list(self.types) != self.m.columns:
                raise AnalysisError(f"the columns of the parts in {root} are not the manifest's")
            self._check_runs(files)
            self._check_values()
        except duckdb.Error as exc:
            raise AnalysisError(f"cannot read the parts of {root}: {exc}") from None
        self.params = self.m.params
        self.param_specs = self.m.design.parameters
        self.sampler = self.m.design.sampler
        self.outcomes = [
            c for c in self.m.columns if c not in self.params and c not in RESERVED_COLUMNS
        ]
        self.horizon = self.m.horizon_weeks

    def _check_runs(self, files: list[Path]) -> None:
        """Every run of the done batches once, with its own sample and replicate: a part
        copied under another batch's name, or rows edited, are refused by name."""
        done = {int(PART_RE.match(f.name).group(1)) for f in files}  # type: ignore[union-attr]
        _, rows = self.sql(
            "SELECT run_id // $bs AS batch, count(*), count(DISTINCT run_id), min(run_id), "
            "count(*) FILTER (WHERE sample_id <> run_id // $reps OR replicate <> run_id % $reps"
            " OR run_id < 0) FROM runs GROUP BY batch",
            {"bs": self.m.batch_size, "reps": self.m.replicates},
        )
        seen = {}
        for batch, n, distinct, first, wrong in rows:
            seen[batch] = (n, distinct, first, wrong)
        expected = {b: batch_range(self.m, b) for b in done}
        if seen == {b: (len(r), len(r), r.start, 0) for b, r in expected.items()}:
            return
        bad = _misplaced(self.m, files) or [f"{f.parent.name}/{f.name}" for f in files]
        raise AnalysisError(
            f"{self.root}: parts hold runs twice, or runs of another batch (duplicated or "
            f"misplaced parts), refused: {', '.join(bad[:10])}"
        )

    def _check_values(self) -> None:
        """Each parameter's values in the runs are ones its manifest entry allows: listed
        values, or within its range (integers: within its rounded ends)."""
        for p in self.m.design.parameters:
            col = quote(p.column)
            if p.values is not None:
                _, rows = self.sql(f"SELECT DISTINCT {col} FROM runs")
                stray = [r[0] for r in rows if r[0] not in p.values]
            else:
                assert p.range is not None
                lo, hi = p.range
                bounds = {"lo": lo, "hi": hi}
                if p.integer:
                    bounds = {"lo": min(lo, round(lo)), "hi": max(hi, round(hi))}
                _, rows = self.sql(
                    f"SELECT {col} FROM runs WHERE {col} < $lo OR {col} > $hi OR {col} IS NULL "
                    "LIMIT 3",
                    bounds,
                )
                stray = [r[0] for r in rows]
            if stray:
                raise AnalysisError(
                    f"{self.root}: the runs hold values of {p.column} that its manifest "
                    f"does not allow ({', '.join(map(repr, stray[:3]))})"
                )

    @property
    def subtitle(self) -> str:
        """The line under each plot's title: the sweep's name and size."""
        return f"sweep {self.m.name!r} — {self.m.runs} runs"

    def sql(
        self, query: str, params: dict[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a query with its named parameters (``$name``: from ``params`` and those the
        axes registered); return (column names, rows)."""
        values = {**self.params_sql, **(params or {})}
        used = {name: values[name] for name in dict.fromkeys(PARAM_RE.findall(query))}
        try:
            cur = self.con.execute(query, used) if used else self.con.execute(query)
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.Error as exc:  # data that the checks above did not foresee
            raise AnalysisError(f"cannot analyse {self.root}: {exc}") from None

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
        """SQL expression giving a parameter's level index (its values bound as named
        parameters of this view), the levels and their labels."""
        i = self.params.index(name)
        spec = self.param_specs[i]
        if spec.values is not None or self.sampler.kind == "grid":
            _, rows = self.sql(f"SELECT DISTINCT {quote(name)} FROM runs ORDER BY 1")
            levels = [r[0] for r in rows]
            if spec.values is not None:  # keep the sweep file's order
                levels = [v for v in spec.values if v in levels]
            self.params_sql[f"levels_{i}"] = levels
            expr = f"(list_position($levels_{i}, {quote(name)}) - 1)"
            return expr, levels, [_fmt(v) for v in levels]
        assert spec.range is not None
        lo, hi = spec.range
        width = (hi - lo) / bins
        self.params_sql.update({f"lo_{i}": lo, f"width_{i}": width, f"top_{i}": bins - 1})
        # integer values rounded below the range's low end count in the first bin
        expr = (
            f"GREATEST(0, LEAST(CAST(floor(({quote(name)} - $lo_{i}) / $width_{i}) AS INTEGER),"
            f" $top_{i}))"
        )
        edges = [lo + k * width for k in range(bins + 1)]
        labels = [f"{_fmt(edges[k])}–{_fmt(edges[k + 1])}" for k in range(bins)]
        return expr, list(range(bins)), labels
