"""Run a sweep: validate, plan batches, dispatch them to a backend, store each as it lands.

Reproducible: every run's seed comes from the root seed and its (sample, replicate), so
the table is the same for any worker count, backend or completion order.  Resumable: a
batch counts as done exactly when its commit record exists and its parts match it
(``experiments.integrity``), so after a kill at any moment, or a part truncated or
damaged since, ``resume=True`` runs only the batches not done — from the design, base
config and batch plan saved in the directory, not from files that may have changed since.
Bounded: the number of runs is known from the sweep file before anything is built; more
than ``RUNS_NEEDING_YES`` need ``yes=True`` (``--yes``), and ``sweepcheck`` refuses
designs too large to hold.  Nothing is written before every check has passed and the
backend is up (a Dask scheduler reached).
"""

from __future__ import annotations

import datetime as dt
import math
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from tradetalks.experiments.backends import LocalBackend, default_workers
from tradetalks.experiments.daskbackend import DaskBackend
from tradetalks.experiments.integrity import PartsCheck, check_parts, commit_legacy
from tradetalks.experiments.manifest import Manifest, ManifestError, build_manifest, load_manifest
from tradetalks.experiments.progress import Progress
from tradetalks.experiments.samplers import Design, build_design
from tradetalks.experiments.seeds import run_seed
from tradetalks.experiments.store import SweepStore, count_runs
from tradetalks.experiments.sweepfile import Sweep, load_sweep
from tradetalks.experiments.worker import Context, Run, Task

MIN_TASKS_PER_WORKER = 4  # automatic batches: at least this many tasks per worker ...
MAX_BATCH_SIZE = 16  # ... of at most this many runs (bounds work lost to a kill)
BACKENDS = ("local", "dask")
# A sweep of more runs than this starts only with --yes: at a few dozen runs per second
# per machine it takes a day or more, and a typo in `replicates` should not start it.
RUNS_NEEDING_YES = 1_000_000


class SweepUsageError(Exception):
    """The output directory or options do not fit (bad input: exit 2)."""


@dataclass
class SweepReport:
    """What a sweep invocation did."""

    out: Path
    runs: int
    ran_now: int
    failed: int
    skipped_batches: int
    elapsed_s: float
    backend: str
    workers: int
    repaired_batches: int = 0  # damaged or half-committed batches run again


def auto_batch_size(n_runs: int, workers: int) -> int:
    """Runs per task: enough tasks to balance the load, few enough to keep overhead low."""
    return max(1, min(MAX_BATCH_SIZE, math.ceil(n_runs / (workers * MIN_TASKS_PER_WORKER))))


def design_table(design: Design, sweep: Sweep) -> pa.Table:
    """The design as a table: sample_id, parameter values, raw coordinates (if any)."""
    schema = sweep.result_schema()
    cols: dict[str, pa.Array] = {"sample_id": pa.array(range(len(design)), pa.int64())}
    for j, p in enumerate(sweep.parameters):
        cols[p.name] = pa.array([r[j] for r in design.rows], schema.field(p.name).type)
    if design.raw is not None:
        for j, p in enumerate(sweep.parameters):
            cols[f"raw__{p.name}"] = pa.array(design.raw[:, j], pa.float64())
    return pa.table(cols)


def _rows_from_table(table: pa.Table, names: list[str]) -> list[tuple[Any, ...]]:
    cols = [table.column(n).to_pylist() for n in names]
    return list(zip(*cols, strict=True))


def _tasks(
    sweep: Sweep, rows: list[tuple[Any, ...]], batch_size: int, n_runs: int, done: set[int]
) -> Iterator[Task]:
    names = [p.name for p in sweep.parameters]
    reps, root = sweep.spec.replicates, sweep.spec.root_seed
    common = sweep.spec.common_seeds  # then the seed depends on the replicate only
    for b in range(math.ceil(n_runs / batch_size)):
        if b in done:
            continue
        runs = []
        for run_id in range(b * batch_size, min(n_runs, (b + 1) * batch_size)):
            sample, rep = divmod(run_id, reps)
            runs.append(
                Run(
                    run_id,
                    sample,
                    rep,
                    run_seed(root, 0 if common else sample, rep),
                    dict(zip(names, rows[sample], strict=True)),
                )
            )
        yield Task(b, tuple(runs))


def _check_out(out: Path) -> None:
    """Refuse an output location that cannot be a directory (a parent that is a file)."""
    if out.exists() and not out.is_dir():
        raise SweepUsageError(f"--out {out} exists and is not a directory")
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise SweepUsageError(f"--out {out}: {parent} is not a directory")
            return


def _check_options(
    out: Path, workers: int | None, backend: str, scheduler: str | None, resume: bool
) -> bool:
    """Refuse bad options or output directories; True if ``out`` holds a sweep already."""
    if backend not in BACKENDS:
        raise SweepUsageError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if scheduler and backend != "dask":
        raise SweepUsageError("--scheduler needs --backend dask")
    if scheduler:
        from tradetalks.experiments.daskbackend import SchedulerAddressError, check_address

        try:
            check_address(scheduler)
        except SchedulerAddressError as exc:
            raise SweepUsageError(str(exc)) from None
    if workers is not None and workers < 1:
        raise SweepUsageError(f"--workers must be at least 1, not {workers}")
    _check_out(out)
    existing = SweepStore.is_sweep_dir(out)
    if out.exists() and not existing and any(out.iterdir()):
        raise SweepUsageError(
            f"--out {out} is a non-empty directory without a sweep manifest; choose a new directory"
        )
    if existing and not resume:
        raise SweepUsageError(
            f"--out {out} already holds a sweep; pass --resume to finish "
            "it, or choose a new directory"
        )
    return existing


def _check_size(sweep: Sweep, yes: bool) -> None:
    """A sweep larger than ``RUNS_NEEDING_YES`` runs needs ``yes``."""
    if sweep.n_runs > RUNS_NEEDING_YES and not yes:
        raise SweepUsageError(
            f"{sweep.path.name} asks for {sweep.samples:,} design points x "
            f"{sweep.spec.replicates:,} replicates = {sweep.n_runs:,} runs, more than "
            f"{RUNS_NEEDING_YES:,}; check the sampler and replicates, then pass --yes to run it"
        )


@dataclass
class _Plan:
    """A sweep directory and what its runs are: from the sweep file, or from the directory
    (on resume, so that files changed since cannot change the runs).  A new sweep's
    directory is written only when the backend is up (``files``: what it will hold)."""

    base_raw: dict[str, Any]
    base_toml: str
    rows: list[tuple[Any, ...]]
    batch_size: int
    n_runs: int
    store: SweepStore | None = None
    done: set[int] = field(default_factory=set)
    repaired: dict[int, str] = field(default_factory=dict)
    files: tuple[dict[str, Any], pa.Table] | None = None


def _open_manifest(out: Path, sweep: Sweep) -> Manifest:
    """The manifest of the sweep in ``out``, if it is the one ``sweep`` would start."""
    try:
        m = load_manifest(out)
    except ManifestError as exc:
        raise SweepUsageError(str(exc)) from None
    if m.sweep_sha256 != sweep.sha256:
        raise SweepUsageError(
            f"{sweep.path} differs from the sweep started in {out} (sweep.toml there); "
            "resume with the same file or start a new directory"
        )
    if m.model != sweep.model:
        raise SweepUsageError(
            f"the sweep in {out} was started with --model {m.model}; resume with the same"
        )
    if m.columns != sweep.result_schema().names:
        raise SweepUsageError(f"the columns of {out} no longer match the sweep file")
    return m


def _repair(store: SweepStore, m: Manifest) -> PartsCheck:
    """Sort the parts; remove damaged and half-committed batches so they run again."""
    check = check_parts(store, m)
    if check.unexpected:
        raise SweepUsageError(
            f"{store.root} holds files that are no part of this sweep: "
            f"{check.describe_refused()}; move them away and resume again"
        )
    for batch in sorted(set(check.damaged) | check.uncommitted):
        store.remove_batch(batch)
    if m.format == 1:
        commit_legacy(store, m, sorted(check.done))
    return check


def _reopen(out: Path, sweep: Sweep) -> _Plan:
    """The plan saved in an existing sweep directory (for ``resume``), with its damaged
    batches removed to run again."""
    m = _open_manifest(out, sweep)
    store = SweepStore(out)
    try:
        base_toml = (store.root / m.base_config_file).read_text(encoding="utf-8")
        base_raw = tomllib.loads(base_toml)
        rows = _rows_from_table(store.design(), m.params)
    except (
        FileNotFoundError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        pa.ArrowException,
        KeyError,
    ) as exc:
        raise SweepUsageError(f"{out} is damaged: {type(exc).__name__}: {exc}") from None
    if len(rows) != m.design.samples:
        raise SweepUsageError(f"{out}/design.parquet does not hold the sweep's design")
    store.clean_temporary()
    check = _repair(store, m)
    return _Plan(
        base_raw,
        base_toml,
        rows,
        m.batch_size,
        m.runs,
        store=store,
        done=set(check.done),
        repaired={**check.damaged, **dict.fromkeys(check.uncommitted, "not committed")},
    )


def _new_plan(sweep: Sweep, n_workers: int) -> _Plan:
    """A new sweep's design and manifest, in memory (written by ``_create``)."""
    design = build_design(sweep)
    n_runs = len(design) * sweep.spec.replicates
    batch_size = sweep.spec.execution.batch_size or auto_batch_size(n_runs, n_workers)
    try:
        manifest = build_manifest(sweep, len(design), design.problem, batch_size)
    except ManifestError as exc:
        raise SweepUsageError(str(exc)) from None
    plan = _Plan(sweep.base_raw, sweep.base_toml, design.rows, batch_size, n_runs)
    plan.files = (manifest, design_table(design, sweep))
    return plan


def _create(out: Path, sweep: Sweep, plan: _Plan) -> SweepStore:
    """Write the new sweep directory with its manifest, design and base config."""
    assert plan.files is not None
    manifest, design = plan.files
    files = {"sweep.toml": sweep.text.encode(), "base_config.toml": sweep.base_toml.encode()}
    return SweepStore.create(out, manifest, files, design)


def _backend(
    sweep: Sweep,
    plan: _Plan,
    backend: str,
    workers: int | None,
    scheduler: str | None,
    dashboard: bool = False,
) -> LocalBackend | DaskBackend:
    """The backend, with the context every worker needs (and, for local workers, the outcome
    space the probe run built, if the runs use the same base config)."""
    context = Context(
        model=sweep.model,
        base_raw=plan.base_raw,
        targets={p.name: p.targets for p in sweep.parameters},
        outcomes=tuple(sweep.outcome_types),
        series=sweep.series,
    )
    if backend == "dask":
        return DaskBackend(context, workers, scheduler, dashboard)
    space = sweep.space if plan.base_toml == sweep.base_toml else None
    return LocalBackend(context, workers, space)


def _dispatch(
    sweep: Sweep, plan: _Plan, be: LocalBackend | DaskBackend, store: SweepStore, bar: Any
) -> int:
    """Run the missing batches on the (entered) backend, storing each as it lands."""
    schema = sweep.result_schema()
    ran = 0
    try:
        for result in be.map(_tasks(sweep, plan.rows, plan.batch_size, plan.n_runs, plan.done)):
            store.write_batch(result, schema)
            ran += len(result.rows)
            if bar is not None:
                bar.update(len(result.rows))
    finally:
        if bar is not None:
            bar.close()
    return ran


def _finish(store: SweepStore, n_runs: int, ran: int, elapsed: float, be: Any) -> int:
    """Check that every run is stored once and write the status; return failed runs."""
    rows_written, distinct, failed = count_runs(store.part_files())
    if not rows_written == distinct == n_runs:  # pragma: no cover - a bug, not bad input
        raise RuntimeError(
            f"sweep finished with {rows_written} rows ({distinct} distinct), expected {n_runs}"
        )
    store.write_status(
        {
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "runs": n_runs,
            "failed": failed,
            "ran_in_last_invocation": ran,
            "elapsed_s_last_invocation": round(elapsed, 3),
            "backend": be.name,
            "workers": be.workers,
        }
    )
    return failed


def run_sweep(
    sweep_file: str | Path,
    out: str | Path,
    workers: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = True,
    model: str | None = None,
    yes: bool = False,
    log: Callable[[str], None] | None = None,
    dashboard: bool = False,
) -> SweepReport:
    """Run (or finish, with ``resume``) a sweep into ``out``; see the module docstring.

    Raises ``SweepError`` for a bad sweep file, ``ModelError`` for a bad ``model`` (the
    ``--model`` flag) and ``SweepUsageError`` for bad options, a bad output directory or a
    sweep too large without ``yes``, all before anything is written; ``SchedulerError`` if
    the Dask backend cannot start or reach its scheduler.  ``progress=None`` hides progress
    output; ``True`` shows a bar on a terminal and plain lines otherwise.  ``log`` gets
    notes (batches run again); ``dashboard`` serves a local Dask cluster's dashboard.
    """
    out = Path(out)
    existing = _check_options(out, workers, backend, scheduler, resume)
    sweep = load_sweep(sweep_file, model)
    _check_size(sweep, yes)
    n_workers = workers or default_workers()
    plan = _reopen(out, sweep) if existing else _new_plan(sweep, n_workers)
    log = log or (lambda _: None)
    for batch, why in sorted(plan.repaired.items()):
        log(f"batch {batch} runs again: {why}")
    n_runs, batch_size = plan.n_runs, plan.batch_size
    done_runs = sum(min(n_runs, (b + 1) * batch_size) - b * batch_size for b in plan.done)
    be = _backend(sweep, plan, backend, workers, scheduler, dashboard)
    with be:  # a Dask cluster is up (or its scheduler reached) before anything is written
        if dashboard and isinstance(be, DaskBackend) and be.cluster is not None:
            log(f"Dask dashboard: {be.cluster.dashboard_link}")
        store = plan.store or _create(out, sweep, plan)
        bar = (
            None
            if progress is None
            else Progress(n_runs, done_runs, desc=sweep.name, plain=None if progress else True)
        )
        start = time.monotonic()
        ran = _dispatch(sweep, plan, be, store, bar)
        elapsed = time.monotonic() - start
    failed = _finish(store, n_runs, ran, elapsed, be)
    return SweepReport(
        store.root,
        n_runs,
        ran,
        failed,
        len(plan.done),
        elapsed,
        be.name,
        be.workers,
        len(plan.repaired),
    )
