"""Which batches of a sweep directory are done, and which parts are damaged or out of place.

A batch is done when its commit record (``commits/part-NNNNNN.json``) exists, is well-formed,
belongs to that batch and sweep (its first run and row count), and its parts have exactly
the size and sha256 it records.  A truncated, corrupt or missing part fails that check:
``resume`` runs its batch again, ``analyze`` refuses it by name.  Files in the part folders
that no batch of this sweep would write (a copy, a part beyond the last batch) are named
too: they would count runs twice.  Sweeps written before commit records (manifest format 1)
are checked by reading each part (its run ids must be exactly its batch's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from tradetalks.experiments.manifest import Manifest
from tradetalks.experiments.store import (
    PART_RE,
    RECORD_RE,
    TMP_SUFFIX,
    SweepStore,
    file_digest,
    file_record,
    part_name,
    record_name,
)

MAX_RECORD_BYTES = 64 * 1024  # a commit record is a few hundred bytes
MAX_LISTED = 10  # problems named in one message (then a count)


class FileRecord(BaseModel):
    """One part file as its commit record describes it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    file: str
    rows: Annotated[int, Field(ge=0)]
    bytes: Annotated[int, Field(ge=0)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class PartRecord(BaseModel):
    """A batch's commit record."""

    model_config = ConfigDict(extra="forbid", strict=True)
    batch: Annotated[int, Field(ge=0)]
    first_run: Annotated[int, Field(ge=0)]
    runs: FileRecord
    series: FileRecord | None


@dataclass
class PartsCheck:
    """What a sweep directory's parts are: done batches (batch -> results part), damaged
    ones (batch -> why), batches with parts but no record (a kill before the commit), and
    files that belong to no batch."""

    done: dict[int, Path] = field(default_factory=dict)
    damaged: dict[int, str] = field(default_factory=dict)
    uncommitted: set[int] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)

    def describe_refused(self) -> str:
        """The damaged and unexpected files, named (at most ``MAX_LISTED``)."""
        items = [why for _, why in sorted(self.damaged.items())]
        items += [f"{name} is not a part of this sweep (a copy?)" for name in self.unexpected]
        more = len(items) - MAX_LISTED
        return "; ".join(items[:MAX_LISTED]) + (f"; and {more} more" if more > 0 else "")


def batch_range(m: Manifest, batch: int) -> range:
    """The run ids of a batch."""
    return range(batch * m.batch_size, min(m.runs, (batch + 1) * m.batch_size))


def _scan(folder: Path, pattern: Any, batches: int, unexpected: list[str]) -> set[int]:
    """Batch ids of the well-named files in ``folder``; other names go to ``unexpected``."""
    found: set[int] = set()
    if not folder.is_dir():
        return found
    for f in folder.iterdir():
        if f.name.startswith(".") and f.name.endswith(TMP_SUFFIX):
            continue  # a killed write's leftover, cleaned on resume, never read
        match = pattern.match(f.name)
        batch = int(match.group(1)) if match else -1
        if match and 0 <= batch < batches and f.name in (part_name(batch), record_name(batch)):
            found.add(batch)
        else:
            unexpected.append(f"{folder.name}/{f.name}")
    return found


def _check_file(folder: Path, rec: FileRecord, batch: int) -> str | None:
    """Why a part does not match its record, or None."""
    where = f"{folder.name}/{part_name(batch)}"
    if rec.file != part_name(batch):
        return f"the record of batch {batch} names {rec.file!r}"
    path = folder / rec.file
    if not path.is_file():
        return f"{where} is missing"
    size, digest = file_digest(path)
    if size != rec.bytes:
        return f"{where} has {size} bytes, not the {rec.bytes} recorded (truncated?)"
    if digest != rec.sha256:
        return f"{where} does not match its recorded sha256 (corrupt)"
    return None


def _read_record(path: Path) -> PartRecord:
    """A commit record, validated; ``ValueError`` if it is not one."""
    if path.stat().st_size > MAX_RECORD_BYTES:
        raise ValueError("too large")
    try:
        return PartRecord.model_validate(json.loads(path.read_bytes()))
    except (ValidationError, RecursionError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc).splitlines()[0]) from None


def check_batch(store: SweepStore, m: Manifest, batch: int) -> str | None:
    """Why a committed batch is not done (damaged), or None if its parts match its record."""
    name = f"{store.commits_dir.name}/{record_name(batch)}"
    try:
        rec = _read_record(store.commits_dir / record_name(batch))
    except ValueError as exc:  # JSONDecodeError too
        return f"{name} is not a valid commit record ({exc})"
    expected = batch_range(m, batch)
    if rec.batch != batch or rec.first_run != expected.start or rec.runs.rows != len(expected):
        return f"{name} does not describe batch {batch} of this sweep"
    if (rec.series is None) != (not m.series):
        return f"{name} does not match the sweep's series"
    why = _check_file(store.runs_dir, rec.runs, batch)
    if why is None and rec.series is not None:
        why = _check_file(store.series_dir, rec.series, batch)
    return why


def legacy_part_ok(m: Manifest, path: Path, batch: int) -> bool:
    """A part of a sweep without commit records (format 1): readable, and holding exactly the
    run ids of its batch."""
    try:
        ids = pq.read_table(path).column("run_id").to_pylist()
    except Exception:  # unreadable in any way: pyarrow raises several kinds
        return False
    return ids == list(batch_range(m, batch))


def check_parts(store: SweepStore, m: Manifest) -> PartsCheck:
    """Sort every batch of a sweep directory into done, damaged, uncommitted (see the
    module docstring), and name the files that belong to no batch."""
    out = PartsCheck()
    runs = _scan(store.runs_dir, PART_RE, m.batches, out.unexpected)
    series = _scan(store.series_dir, PART_RE, m.batches, out.unexpected)
    records = _scan(store.commits_dir, RECORD_RE, m.batches, out.unexpected)
    if not m.series and series:
        out.unexpected += [f"{store.series_dir.name}/{part_name(b)}" for b in sorted(series)]
    for batch in sorted(runs | series | records):
        path = store.runs_dir / part_name(batch)
        if batch in records:
            why = check_batch(store, m, batch)
        elif m.format == 1 and batch in runs:
            ok = legacy_part_ok(m, path, batch) and (not m.series or batch in series)
            why = None if ok else f"{store.runs_dir.name}/{part_name(batch)} is damaged"
        else:
            out.uncommitted.add(batch)
            continue
        if why is None:
            out.done[batch] = path
        else:
            out.damaged[batch] = why
    out.unexpected.sort()
    return out


def commit_legacy(store: SweepStore, m: Manifest, batches: list[int]) -> None:
    """Write commit records for parts of a format-1 sweep that passed ``legacy_part_ok``,
    so that from now on they are checked like any other."""
    for batch in batches:
        if (store.commits_dir / record_name(batch)).exists():
            continue
        runs = file_record(store.runs_dir / part_name(batch), len(batch_range(m, batch)))
        series = None
        if m.series:
            path = store.series_dir / part_name(batch)
            series = file_record(path, pq.read_metadata(path).num_rows)
        first = batch_range(m, batch).start
        store.commits_dir.mkdir(exist_ok=True)
        record = {"batch": batch, "first_run": first, "series": series, "runs": runs}
        store.write_record(batch, record)
