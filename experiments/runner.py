"""Run a sweep: validate, plan batches, dispatch them to a backend, store each as it lands.

Reproducible: every run's seed comes from the root seed and its (sample, replicate), so
the table is the same for any worker count, backend or completion order.  Resumable: a
batch counts as done exactly when its Parquet part exists, so after a kill at any moment
``resume=True`` runs only the missing batches — from the design, base config and batch
plan saved in the directory, not from files that may have changed since.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import math
import platform
import subprocess
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from tradetalks.experiments.backends import DaskBackend, LocalBackend, default_workers
from tradetalks.experiments.progress import Progress
from tradetalks.experiments.samplers import Design, build_design
from tradetalks.experiments.seeds import run_seed
from tradetalks.experiments.store import SweepStore, count_runs
from tradetalks.experiments.sweepfile import Sweep, load_sweep
from tradetalks.experiments.worker import Context, Run, Task

MIN_TASKS_PER_WORKER = 4  # automatic batches: at least this many tasks per worker ...
MAX_BATCH_SIZE = 16  # ... of at most this many runs (bounds work lost to a kill)
MANIFEST_FORMAT = 1
BACKENDS = ("local", "dask")


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


def auto_batch_size(n_runs: int, workers: int) -> int:
    """Runs per task: enough tasks to balance the load, few enough to keep overhead low."""
    return max(1, min(MAX_BATCH_SIZE, math.ceil(n_runs / (workers * MIN_TASKS_PER_WORKER))))


def code_version() -> dict[str, Any]:
    """Versions that determine the results: this package (and git commit), key libraries."""
    out: dict[str, Any] = {"python": platform.python_version()}
    for dist in (
        "tradetalks",
        "mesa",
        "numpy",
        "scipy",
        "SALib",
        "pyarrow",
        "dask",
        "distributed",
        "duckdb",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    repo = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        out["git_commit"] = git("rev-parse", "HEAD")
        out["git_dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = None
    return out


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


def _manifest(sweep: Sweep, design: Design, batch_size: int) -> dict[str, Any]:
    spec = sweep.spec
    n_runs = len(design) * spec.replicates
    return {
        "format": MANIFEST_FORMAT,
        "name": spec.name,
        "description": spec.description,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sweep_file": str(sweep.path),
        "sweep_sha256": sweep.sha256,
        "base": str(sweep.base_path),
        "base_config_file": "base_config.toml",
        "model": spec.model,
        "code_version": code_version(),
        "root_seed": spec.root_seed,
        "seeds": "run seed = SeedSequence(root_seed, spawn_key=(sample_id, replicate))"
        ".generate_state(1, uint64)[0] >> 1; design from SeedSequence(root_seed)",
        "design": {
            "sampler": spec.sampler.model_dump(),
            "parameters": [p.model_dump(exclude_none=True) for p in spec.parameters],
            "names": [p.name for p in sweep.parameters],
            "samples": len(design),
            "problem": design.problem,
            "file": "design.parquet",
        },
        "replicates": spec.replicates,
        "runs": n_runs,
        "batch_size": batch_size,
        "batches": math.ceil(n_runs / batch_size),
        "outcomes": list(sweep.outcome_types),
        "series": list(sweep.series),
        "columns": sweep.result_schema().names,
        "horizon_weeks": sweep.horizon,
        "analysis": spec.analysis.model_dump(),
    }


def _rows_from_table(table: pa.Table, names: list[str]) -> list[tuple[Any, ...]]:
    cols = [table.column(n).to_pylist() for n in names]
    return list(zip(*cols, strict=True))


def _tasks(
    sweep: Sweep, rows: list[tuple[Any, ...]], batch_size: int, n_runs: int, done: set[int]
) -> Iterator[Task]:
    names = [p.name for p in sweep.parameters]
    reps, root = sweep.spec.replicates, sweep.spec.root_seed
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
                    run_seed(root, sample, rep),
                    dict(zip(names, rows[sample], strict=True)),
                )
            )
        yield Task(b, tuple(runs))


def _check_options(
    out: Path, workers: int | None, backend: str, scheduler: str | None, resume: bool
) -> bool:
    """Refuse bad options or output directories; True if ``out`` holds a sweep already."""
    if backend not in BACKENDS:
        raise SweepUsageError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if scheduler and backend != "dask":
        raise SweepUsageError("--scheduler needs --backend dask")
    if workers is not None and workers < 1:
        raise SweepUsageError(f"--workers must be at least 1, not {workers}")
    existing = SweepStore.is_sweep_dir(out)
    if out.exists() and not existing:
        if not out.is_dir():
            raise SweepUsageError(f"--out {out} exists and is not a directory")
        if any(out.iterdir()):
            raise SweepUsageError(
                f"--out {out} is a non-empty directory without a sweep "
                "manifest; choose a new directory"
            )
    if existing and not resume:
        raise SweepUsageError(
            f"--out {out} already holds a sweep; pass --resume to finish "
            "it, or choose a new directory"
        )
    return existing


@dataclass
class _Plan:
    """A sweep directory and what its runs are: from the sweep file, or from the directory
    (on resume, so that files changed since cannot change the runs)."""

    store: SweepStore
    base_raw: dict[str, Any]
    base_toml: str
    rows: list[tuple[Any, ...]]
    batch_size: int
    n_runs: int


def _reopen(out: Path, sweep: Sweep, sweep_file: str | Path) -> _Plan:
    """The plan saved in an existing sweep directory (for ``resume``)."""
    store = SweepStore(out)
    manifest = store.manifest()
    if manifest.get("sweep_sha256") != sweep.sha256:
        raise SweepUsageError(
            f"{sweep_file} differs from the sweep started in {out} "
            "(sweep.toml there); resume with the same file or start a "
            "new directory"
        )
    if manifest.get("columns") != sweep.result_schema().names:
        raise SweepUsageError(f"the columns of {out} no longer match the sweep file")
    base_toml = (store.root / manifest["base_config_file"]).read_text()
    rows = _rows_from_table(store.design(), manifest["design"]["names"])
    store.clean_temporary()
    n_runs = int(manifest["runs"])
    return _Plan(
        store, tomllib.loads(base_toml), base_toml, rows, int(manifest["batch_size"]), n_runs
    )


def _create(out: Path, sweep: Sweep, n_workers: int) -> _Plan:
    """A new sweep directory with the manifest, design and base config."""
    design = build_design(sweep)
    n_runs = len(design) * sweep.spec.replicates
    batch_size = sweep.spec.execution.batch_size or auto_batch_size(n_runs, n_workers)
    store = SweepStore.create(
        out,
        _manifest(sweep, design, batch_size),
        {"sweep.toml": sweep.text.encode(), "base_config.toml": sweep.base_toml.encode()},
        design_table(design, sweep),
    )
    return _Plan(store, sweep.base_raw, sweep.base_toml, design.rows, batch_size, n_runs)


def _backend(
    sweep: Sweep, plan: _Plan, backend: str, workers: int | None, scheduler: str | None
) -> LocalBackend | DaskBackend:
    """The backend, with the context every worker needs (and, for local workers, the outcome
    space the probe run built, if the runs use the same base config)."""
    context = Context(
        model=sweep.spec.model,
        base_raw=plan.base_raw,
        targets={p.name: p.targets for p in sweep.parameters},
        outcomes=tuple(sweep.outcome_types),
        series=sweep.series,
    )
    if backend == "dask":
        return DaskBackend(context, workers, scheduler)
    space = sweep.space if plan.base_toml == sweep.base_toml else None
    return LocalBackend(context, workers, space)


def _dispatch(
    sweep: Sweep, plan: _Plan, be: LocalBackend | DaskBackend, done: set[int], bar: Any
) -> int:
    """Run the missing batches on the backend and store each as it lands; runs done."""
    schema = sweep.result_schema()
    ran = 0
    try:
        with be:
            for result in be.map(_tasks(sweep, plan.rows, plan.batch_size, plan.n_runs, done)):
                plan.store.write_batch(result, schema)
                ran += len(result.rows)
                if bar is not None:
                    bar.update(len(result.rows))
    finally:
        if bar is not None:
            bar.close()
    return ran


def run_sweep(
    sweep_file: str | Path,
    out: str | Path,
    workers: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = True,
) -> SweepReport:
    """Run (or finish, with ``resume``) a sweep into ``out``; see the module docstring.

    Raises ``SweepError`` for a bad sweep file and ``SweepUsageError`` for a bad output
    directory or options, in both cases before anything is written.  ``progress=None``
    hides progress output; ``True`` shows a bar on a terminal and plain lines otherwise.
    """
    out = Path(out)
    existing = _check_options(out, workers, backend, scheduler, resume)
    sweep = load_sweep(sweep_file)
    n_workers = workers or default_workers()
    plan = _reopen(out, sweep, sweep_file) if existing else _create(out, sweep, n_workers)
    n_runs, batch_size = plan.n_runs, plan.batch_size
    done = plan.store.done_batches()
    done_runs = sum(min(n_runs, (b + 1) * batch_size) - b * batch_size for b in done)
    bar = (
        None
        if progress is None
        else Progress(n_runs, done_runs, desc=sweep.name, plain=None if progress else True)
    )
    be = _backend(sweep, plan, backend, workers, scheduler)
    start = time.monotonic()
    ran = _dispatch(sweep, plan, be, done, bar)
    elapsed = time.monotonic() - start
    rows_written, distinct, failed = count_runs(plan.store.root)
    if not rows_written == distinct == n_runs:  # pragma: no cover - a bug, not bad input
        raise RuntimeError(
            f"sweep finished with {rows_written} rows ({distinct} distinct), expected {n_runs}"
        )
    plan.store.write_status(
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
    return SweepReport(
        plan.store.root, n_runs, ran, failed, len(done), elapsed, be.name, be.workers
    )
