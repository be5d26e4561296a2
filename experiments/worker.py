"""What a worker does: run a batch of simulations and return their rows.

A task is a batch of runs (several per task keeps per-task overhead small).  A run whose
model raises is recorded as failed with its error text; the batch goes on.  A worker holds
the outcome space of a sweep's base config (handed over by the sweep process, or built
once) and passes it to every run (``experiments.spaces``); it asks the model only for what
the kept columns read (``_lean_kwargs``) and prepares its process once
(``runtime.prepare_process``: one BLAS thread, malloc reuse, a frozen garbage-collector
view of what the process already holds).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.runtime import (
    accepted_options,
    free_run,
    import_model,
    prepare_process,
    release_memory,
)
from tradetalks.experiments.spaces import RunSpaces
from tradetalks.sim.issues import OutcomeSpace

PARENT_POLL_S = 1.0  # how often a local worker checks that the sweep process is alive
MAX_CONTEXTS = 4  # sweeps whose outcome spaces a worker keeps (a shared Dask cluster)
SERIES_COLUMNS = ("run_id", "week", "series", "value")  # long form, as the store writes it
_CONTEXT: Context | None = None  # set once per local worker process by `init_worker`
_SPACES: dict[str, RunSpaces] = {}  # context key -> the outcome spaces of its runs


def config_key(base_raw: dict[str, Any]) -> str:
    """A digest of a raw base config: names the outcome spaces built from it in a worker."""
    text = json.dumps(base_raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Context:
    """Everything a worker needs that is the same for every run of a sweep."""

    model: str  # "module:Class"
    base_raw: dict[str, Any]
    targets: dict[str, tuple[tuple[str, float | None], ...]]  # parameter -> config paths
    outcomes: tuple[str, ...]
    series: tuple[str, ...]
    key: str = field(init=False)  # digest of base_raw (travels with the context to Dask)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", config_key(self.base_raw))


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


def empty_series(ctx: Context) -> dict[str, list[Any]] | None:
    """Empty long-form series columns if the sweep keeps series, else None."""
    return {c: [] for c in SERIES_COLUMNS} if ctx.series else None


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def run_spaces(ctx: Context, base: OutcomeSpace | None = None) -> RunSpaces:
    """The outcome spaces of a context's runs in this process, kept across its tasks (built
    before ``prepare_process``, which then freezes them with the long-lived heap)."""
    spaces = _SPACES.get(ctx.key)
    if spaces is None:
        if len(_SPACES) >= MAX_CONTEXTS:
            _SPACES.pop(next(iter(_SPACES)))
        spaces = _SPACES[ctx.key] = RunSpaces(ctx.base_raw, base)
    return spaces


def init_worker(context: Context, space: OutcomeSpace | None = None) -> None:
    """Process-pool initializer: keep the sweep context and its outcome space (``space``,
    if the sweep process built it: forked workers share it), import the model once, and
    exit when the sweep process dies (even by SIGKILL, which leaves no chance to clean up)."""
    global _CONTEXT
    _CONTEXT = context
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    import_model(context.model)
    if space is not None:
        run_spaces(context, space)


def run_task_local(task: Task) -> BatchResult:
    """Run a batch in a local pool worker (context from the initializer)."""
    assert _CONTEXT is not None, "worker not initialised"
    return run_task(_CONTEXT, task)


def _ids(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "sample_id": run.sample_id,
        "replicate": run.replicate,
        "seed": run.seed,
        **run.params,
    }


def failed_row(ctx: Context, run: Run, error: str) -> dict[str, Any]:
    """The row of a run that did not finish."""
    row = {**_ids(run), "status": "failed", "error": error}
    row.update({oc.column_name(k): None for k in ctx.outcomes})
    return row


def _lean_kwargs(model_cls: Any, keep_series: bool) -> dict[str, Any]:
    """Ask the model to skip what no kept column reads (if it accepts the options): the
    weekly series when the sweep keeps none, and per-farm Mesa agents, which the summary
    and the model-level series never read."""
    wanted: dict[str, Any] = {"farmer_agents": False}
    if not keep_series:
        wanted["collect_series"] = False
    return accepted_options(model_cls, wanted)


def _overrides(ctx: Context, run: Run) -> dict[str, Any]:
    """Config overrides that set every parameter of a run."""
    out: dict[str, Any] = {}
    for name, value in run.params.items():
        for path, share in ctx.targets[name]:
            out[path] = value if share is None else float(value) * share
    return out


def _append_series(series: dict[str, list[Any]], ctx: Context, run: Run, ts: Any) -> None:
    """Append a run's kept weekly series to the long-form columns."""
    weeks = ts["week"].tolist() if "week" in ts else list(range(len(ts)))
    for name in ctx.series:
        vals = ts[name].astype(float).tolist()
        series["run_id"] += [run.run_id] * len(vals)
        series["week"] += weeks
        series["series"] += [name] * len(vals)
        series["value"] += vals


def _task_spaces(ctx: Context, model_cls: type) -> RunSpaces | None:
    """The spaces to hand the runs, if the model takes one; None also if the base space
    cannot be built (each run's model then builds its own, or names the problem)."""
    if not accepted_options(model_cls, {"space": None}):
        return None
    try:
        return run_spaces(ctx)
    except Exception:
        return None


def run_task(ctx: Context, task: Task) -> BatchResult:
    """Run every run of a batch; failures become rows with status 'failed'."""
    model_cls = import_model(ctx.model)
    spaces = _task_spaces(ctx, model_cls)
    prepare_process()
    rows: list[dict[str, Any]] = []
    series = empty_series(ctx)
    options = _lean_kwargs(model_cls, keep_series=series is not None)
    for run in task.runs:
        overrides = _overrides(ctx, run)
        if spaces is not None:
            options["space"] = spaces.for_run(overrides)
        error = None
        try:
            model = model_cls(config=ctx.base_raw, rng=run.seed, overrides=overrides, **options)
            summary = model.run()
            values = {oc.column_name(k): oc.extract(summary, k) for k in ctx.outcomes}
            ts = model.timeseries() if series is not None else None
        except Exception as exc:  # the sweep goes on; the row says why
            error = f"{type(exc).__name__}: {exc}"
        model = summary = None
        free_run()  # before the next run is built: one model alive at a time
        if error is not None:
            rows.append(failed_row(ctx, run, error))
            continue
        rows.append({**_ids(run), "status": "ok", "error": None, **values})
        if series is not None and ts is not None:
            _append_series(series, ctx, run, ts)
    release_memory()
    return BatchResult(task.batch_id, rows, series)
