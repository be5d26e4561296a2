"""The result store of a sweep: a directory of atomically written Parquet parts.

Layout of ``DIR``::

    manifest.json        sweep file, resolved base config, code version, seeds, design
    sweep.toml           the sweep file as run
    base_config.toml     the fully resolved base scenario (with the sweep's ``set``)
    design.parquet       sample_id, parameter values (and raw design coordinates)
    runs/part-NNNNNN.parquet     one row per run, one file per batch
    series/part-NNNNNN.parquet   optional long-form weekly series (run_id, week, series, value)
    status.json          written when every run is done

The directory itself appears atomically (built in a temporary sibling, then renamed), and
each part is written to a temporary file and renamed into place, series first: a batch is
done exactly when its ``runs`` part exists.  Nothing is ever held for more than one batch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tradetalks.experiments.worker import BatchResult

MANIFEST = "manifest.json"
STATUS = "status.json"
DESIGN = "design.parquet"
RUNS = "runs"
SERIES = "series"
TMP_SUFFIX = ".tmp"
SERIES_SCHEMA = pa.schema(  # the long form of worker.SERIES_COLUMNS
    [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("week", pa.int64(), nullable=False),
        pa.field("series", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
    ]
)


def part_name(batch_id: int) -> str:
    """File name of a batch's part."""
    return f"part-{batch_id:06d}.parquet"


def _write_atomically(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class SweepStore:
    """A sweep's output directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs_dir = self.root / RUNS
        self.series_dir = self.root / SERIES

    # ---------------------------------------------------------------- create / open
    @classmethod
    def create(
        cls, root: Path, manifest: dict[str, Any], files: dict[str, bytes], design: pa.Table
    ) -> SweepStore:
        """Create the directory with its manifest and design, all at once."""
        root = Path(root).resolve()
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        try:
            (tmp / RUNS).mkdir()
            (tmp / SERIES).mkdir()
            pq.write_table(design, tmp / DESIGN)
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
            if root.is_dir() and not any(root.iterdir()):
                root.rmdir()
            os.replace(tmp, root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls(root)

    @staticmethod
    def is_sweep_dir(root: Path) -> bool:
        """True if ``root`` holds a sweep manifest."""
        return (Path(root) / MANIFEST).is_file()

    def manifest(self) -> dict[str, Any]:
        """The manifest written when the sweep started."""
        return json.loads((self.root / MANIFEST).read_text())

    def design(self) -> pa.Table:
        """The design table (sample_id and parameter values)."""
        return pq.read_table(self.root / DESIGN)

    # ---------------------------------------------------------------- parts
    def clean_temporary(self) -> int:
        """Remove half-written temporary files left by a killed sweep; return how many."""
        n = 0
        for d in (self.runs_dir, self.series_dir):
            for f in d.glob(f".*{TMP_SUFFIX}"):
                f.unlink(missing_ok=True)
                n += 1
        return n

    def done_batches(self) -> set[int]:
        """Batches whose results part exists."""
        return {int(f.stem.split("-")[1]) for f in self.runs_dir.glob("part-*.parquet")}

    def write_batch(self, result: BatchResult, schema: pa.Schema) -> None:
        """Write a batch's series (if any) and then its rows, each atomically."""
        name = part_name(result.batch_id)
        if result.series is not None:
            series = pa.Table.from_pydict(result.series, schema=SERIES_SCHEMA)
            _write_atomically(self.series_dir / name, lambda p: pq.write_table(series, p))
        table = pa.Table.from_pylist(result.rows, schema=schema)
        _write_atomically(self.runs_dir / name, lambda p: pq.write_table(table, p))

    def write_status(self, status: dict[str, Any]) -> None:
        """Record that the sweep finished (counts and timing)."""
        path = self.root / STATUS
        _write_atomically(path, lambda p: p.write_text(json.dumps(status, indent=2) + "\n"))

    @property
    def runs_glob(self) -> str:
        """Glob over the result parts (for DuckDB's read_parquet)."""
        return str(self.runs_dir / "part-*.parquet")


def sql_string(text: str) -> str:
    """A SQL string literal (paths may contain quotes)."""
    return "'" + text.replace("'", "''") + "'"


def read_runs(root: Path) -> pa.Table:
    """The whole results table of a sweep directory, ordered by run id (via DuckDB)."""
    import duckdb

    store = SweepStore(root)
    with duckdb.connect() as con:
        return con.sql(
            f"SELECT * FROM read_parquet({sql_string(store.runs_glob)}) ORDER BY run_id"
        ).to_arrow_table()


def count_runs(root: Path) -> tuple[int, int, int]:
    """(rows, distinct run ids, failed runs) over a sweep's parts, without loading them."""
    import duckdb

    store = SweepStore(root)
    if not any(store.runs_dir.glob("part-*.parquet")):
        return 0, 0, 0
    with duckdb.connect() as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT run_id), count(*) FILTER (WHERE status <> 'ok') "
            f"FROM read_parquet({sql_string(store.runs_glob)})"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
