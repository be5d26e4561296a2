"""What a worker does: run a batch of simulations and return their rows.

A task is a batch of runs (several per task keeps per-task overhead small and lets a
worker reuse its cached outcome space).  A run whose model raises is recorded as failed
with its error text; the batch goes on.  Workers limit BLAS to one thread: the model's
numpy work is small matrix-vector products, and with one process per core extra BLAS
threads only oversubscribe the machine (about 3x slower per run here).  They also freeze
the garbage collector's view of what the process already holds (see ``prepare_process``).
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

PARENT_POLL_S = 1.0  # how often a local worker checks that the sweep process is alive
BLAS_THREADS = 1  # one process per core; see the module docstring
_BLAS_LIMITED = False
_PREPARED = False
# glibc's mallopt(M_MMAP_THRESHOLD, ...): <malloc.h> defines M_MMAP_THRESHOLD as -3, and
# 32 MiB is the ceiling glibc's own dynamic threshold reaches on 64-bit (mallopt(3)).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
_CONTEXT: Context | None = None  # set once per local worker process by `init_worker`


@dataclass(frozen=True)
class Context:
    """Everything a worker needs that is the same for every run of a sweep."""

    model: str  # "module:Class"
    base_raw: dict[str, Any]
    targets: dict[str, tuple[tuple[str, float | None], ...]]  # parameter -> config paths
    outcomes: tuple[str, ...]
    series: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    """One run: its ids, seed and parameter values (by parameter name)."""

    run_id: int
    sample_id: int
    replicate: int
    seed: int
    params: dict[str, Any]


@dataclass(frozen=True)
class Task:
    """A batch of runs with consecutive run ids."""

    batch_id: int
    runs: tuple[Run, ...]


@dataclass
class BatchResult:
    """Rows of a finished batch: one per run, plus long-form series columns if kept."""

    batch_id: int
    rows: list[dict[str, Any]]
    series: dict[str, list[Any]] | None


def limit_blas() -> None:
    """Limit BLAS/OpenMP threads in this process (once)."""
    global _BLAS_LIMITED
    if not _BLAS_LIMITED:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=BLAS_THREADS)
        _BLAS_LIMITED = True


def restore_malloc_reuse() -> bool:
    """Undo a side effect of Dask's nanny, which starts workers with MALLOC_TRIM_THRESHOLD_
    set: glibc then pins its mmap threshold at 128 KiB, so every utility vector (about 1 MB)
    is mapped, zero-filled and unmapped again, and runs take 2-3 times as long (measured
    here).  Raising the threshold lets freed vectors be reused.  Returns True if applied."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - not glibc
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def prepare_process() -> None:
    """Once per worker process: limit BLAS, let malloc reuse freed arrays (see
    ``restore_malloc_reuse``), then move every object that exists now (imported
    modules, the cached outcome space) into the collector's permanent generation, so that
    full collections stop re-scanning that long-lived heap.  Measured here: about 15% of a
    run of the model with its per-farm agents, 1-2% of the lean runs sweeps make."""
    global _PREPARED
    limit_blas()
    if not _PREPARED:
        restore_malloc_reuse()
        gc.collect()
        gc.freeze()
        _PREPARED = True


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def init_worker(context: Context) -> None:
    """Process-pool initializer: keep the sweep context, import the model once, and exit
    when the sweep process dies (even by SIGKILL, which leaves no chance to clean up)."""
    global _CONTEXT
    _CONTEXT = context
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    from tradetalks.experiments.sweepfile import import_model

    import_model(context.model)


def run_task_local(task: Task) -> BatchResult:
    """Run a batch in a local pool worker (context from the initializer)."""
    assert _CONTEXT is not None, "worker not initialised"
    return run_task(_CONTEXT, task)


def failed_row(ctx: Context, run: Run, error: str) -> dict[str, Any]:
    """The row of a run that did not finish."""
    row = {
        "run_id": run.run_id,
        "sample_id": run.sample_id,
        "replicate": run.replicate,
        "seed": run.seed,
        **run.params,
        "status": "failed",
        "error": error,
    }
    row.update({oc_col: None for oc_col in _outcome_columns(ctx)})
    return row


def _outcome_columns(ctx: Context) -> list[str]:
    from tradetalks.experiments.outcomes import column_name

    return [column_name(k) for k in ctx.outcomes]


def _lean_kwargs(model_cls: Any, keep_series: bool) -> dict[str, Any]:
    """Ask the model to skip what no kept column reads (if it accepts the options): the
    weekly series when the sweep keeps none, and per-farm Mesa agents, which the summary
    and the model-level series never read."""
    import inspect

    try:
        accepted = inspect.signature(model_cls).parameters
    except (TypeError, ValueError):
        return {}
    wanted = {"farmer_agents": False}
    if not keep_series:
        wanted["collect_series"] = False
    return {k: v for k, v in wanted.items() if k in accepted}


def run_task(ctx: Context, task: Task) -> BatchResult:
    """Run every run of a batch; failures become rows with status 'failed'."""
    from tradetalks.experiments import outcomes as oc
    from tradetalks.experiments.sweepfile import import_model

    model_cls = import_model(ctx.model)
    prepare_process()
    rows: list[dict[str, Any]] = []
    series: dict[str, list[Any]] | None = (
        {"run_id": [], "week": [], "series": [], "value": []} if ctx.series else None
    )
    extra = _lean_kwargs(model_cls, keep_series=series is not None)
    for run in task.runs:
        overrides: dict[str, Any] = {}
        for name, value in run.params.items():
            for path, share in ctx.targets[name]:
                overrides[path] = value if share is None else float(value) * share
        try:
            model = model_cls(config=ctx.base_raw, rng=run.seed, overrides=overrides, **extra)
            summary = model.run()
            values = {oc.column_name(k): oc.extract(summary, k) for k in ctx.outcomes}
            ts = model.timeseries() if series is not None else None
        except Exception as exc:  # the sweep goes on; the row says why
            rows.append(failed_row(ctx, run, f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(
            {
                "run_id": run.run_id,
                "sample_id": run.sample_id,
                "replicate": run.replicate,
                "seed": run.seed,
                **run.params,
                "status": "ok",
                "error": None,
                **values,
            }
        )
        if series is not None and ts is not None:
            weeks = ts["week"].tolist() if "week" in ts else list(range(len(ts)))
            for name in ctx.series:
                vals = ts[name].astype(float).tolist()
                series["run_id"] += [run.run_id] * len(vals)
                series["week"] += weeks
                series["series"] += [name] * len(vals)
                series["value"] += vals
    return BatchResult(task.batch_id, rows, series)
