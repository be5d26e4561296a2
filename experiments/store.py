"""The result store of a sweep: a directory of atomically written Parquet parts.

Layout of ``DIR``::

    manifest.json        sweep file, resolved base config, code version, seeds, design
    sweep.toml           the sweep file as run
    base_config.toml     the fully resolved base scenario (with the sweep's ``set``)
    design.parquet       sample_id, parameter values (and raw design coordinates)
    runs/part-NNNNNN.parquet     one row per run, one file per batch
    series/part-NNNNNN.parquet   optional long-form weekly series (run_id, week, series, value)
    commits/part-NNNNNN.json     the batch's commit record: rows, bytes and sha256 of its parts
    status.json          written when every run is done

The directory itself appears atomically (built in a temporary sibling, then renamed), and
each part is written to a temporary file and renamed into place, series first, then its
commit record: a batch is done exactly when its record exists and its parts match it
(``experiments.integrity``).  Nothing is ever held for more than one batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tradetalks.experiments.manifest import MANIFEST
from tradetalks.experiments.worker import BatchResult

STATUS = "status.json"
DESIGN = "design.parquet"
RUNS = "runs"
SERIES = "series"
COMMITS = "commits"
TMP_SUFFIX = ".tmp"
PART_RE = re.compile(r"^part-(\d{6,})\.parquet$")  # exactly as ``part_name`` writes them
RECORD_RE = re.compile(r"^part-(\d{6,})\.json$")
HASH_CHUNK = 1 << 20
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


def record_name(batch_id: int) -> str:
    """File name of a batch's commit record."""
    return f"part-{batch_id:06d}.json"


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex digest) of a file."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def file_record(path: Path, rows: int) -> dict[str, Any]:
    """What a commit record says about one part file."""
    size, digest = file_digest(path)
    return {"file": path.name, "rows": rows, "bytes": size, "sha256": digest}


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
        self.commits_dir = self.root / COMMITS

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
            (tmp / COMMITS).mkdir()
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

    def design(self) -> pa.Table:
        """The design table (sample_id and parameter values)."""
        return pq.read_table(self.root / DESIGN)

    # ---------------------------------------------------------------- parts
    def clean_temporary(self) -> int:
        """Remove half-written temporary files left by a killed sweep; return how many."""
        n = 0
        for d in (self.runs_dir, self.series_dir, self.commits_dir):
            for f in d.glob(f".*{TMP_SUFFIX}"):
                f.unlink(missing_ok=True)
                n += 1
        return n

    def part_files(self, batches: set[int] | None = None) -> list[Path]:
        """The results parts of ``batches`` (default: every part present), in name order."""
        if batches is not None:
            return sorted(self.runs_dir / part_name(b) for b in batches)
        return sorted(f for f in self.runs_dir.iterdir() if PART_RE.match(f.name))

    def write_batch(self, result: BatchResult, schema: pa.Schema) -> None:
        """Write a batch's series (if any), then its rows, each atomically, and last its
        commit record (rows, bytes and sha256 of each part): then the batch is done."""
        name = part_name(result.batch_id)
        record: dict[str, Any] = {
            "batch": result.batch_id,
            "first_run": min(r["run_id"] for r in result.rows),
            "series": None,
        }
        if result.series is not None:
            series = pa.Table.from_pydict(result.series, schema=SERIES_SCHEMA)
            path = self.series_dir / name
            _write_atomically(path, lambda p: pq.write_table(series, p))
            record["series"] = file_record(path, series.num_rows)
        table = pa.Table.from_pylist(result.rows, schema=schema)
        _write_atomically(self.runs_dir / name, lambda p: pq.write_table(table, p))
        record["runs"] = file_record(self.runs_dir / name, table.num_rows)
        self.write_record(result.batch_id, record)

    def write_record(self, batch_id: int, record: dict[str, Any]) -> None:
        """Commit a batch: write its record atomically."""
        text = json.dumps(record, indent=1) + "\n"
        _write_atomically(self.commits_dir / record_name(batch_id), lambda p: p.write_text(text))

    def remove_batch(self, batch_id: int) -> None:
        """Remove a batch's parts and record (to run it again)."""
        self.commits_dir.joinpath(record_name(batch_id)).unlink(missing_ok=True)
        for d in (self.runs_dir, self.series_dir):
            d.joinpath(part_name(batch_id)).unlink(missing_ok=True)

    def write_status(self, status: dict[str, Any]) -> None:
        """Record that the sweep finished (counts and timing)."""
        path = self.root / STATUS
        _write_atomically(path, lambda p: p.write_text(json.dumps(status, indent=2) + "\n"))


def read_runs(root: Path) -> pa.Table:
    """The whole results table of a sweep directory, ordered by run id (via DuckDB)."""
    import duckdb

    files = [str(f) for f in SweepStore(root).part_files()]
    with duckdb.connect() as con:
        return con.read_parquet(files).order("run_id").to_arrow_table()


def count_runs(files: list[Path]) -> tuple[int, int, int]:
    """(rows, distinct run ids, failed runs) over the given parts, without loading them."""
    import duckdb

    if not files:
        return 0, 0, 0
    with duckdb.connect() as con:
        rows = (
            con.read_parquet([str(f) for f in files])
            .aggregate("count(*), count(DISTINCT run_id), count(*) FILTER (WHERE status <> 'ok')")
            .fetchall()
        )
    row = rows[0] if rows else None
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
