"""Where batches run: a local process pool (default) or a Dask distributed cluster
(``experiments.daskbackend``).

Both backends take an iterator of tasks and yield finished batches in completion order,
keeping only a bounded window of tasks in flight (so memory stays flat however many runs
there are).  A worker process that dies takes its tasks with it: the local pool is rebuilt
and the lost tasks resubmitted; Dask's scheduler reschedules them itself.  A task lost
more than ``MAX_ATTEMPTS`` times is recorded as failed rather than retried forever.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import warnings
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from tradetalks.experiments.worker import (
    BatchResult,
    Context,
    Task,
    empty_series,
    failed_row,
    init_worker,
    run_task_local,
)
from tradetalks.sim.issues import OutcomeSpace

IN_FLIGHT_PER_WORKER = 2  # tasks queued per worker: keeps workers busy, memory bounded
MAX_ATTEMPTS = 3  # a task whose worker dies this many times is recorded as failed
FORKSERVER_PRELOAD = [
    "tradetalks.experiments.worker",
    "tradetalks.sim.model",
]  # imported once by a fork server


def default_workers() -> int:
    """Cores available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start_method() -> str:
    """How local workers start: forked from this process when it runs no other Python
    thread (fast: the model is already imported and its outcome space built), else from
    a fork server (safe inside threaded hosts such as notebooks or a test session).
    Always explicit, because ``mesa.batch_run`` switches the global default to spawn."""
    return "fork" if threading.active_count() == 1 else "forkserver"


def failed_batch(ctx: Context, task: Task, error: str) -> BatchResult:
    """A batch whose runs are all recorded as failed with ``error``."""
    rows = [failed_row(ctx, run, error) for run in task.runs]
    return BatchResult(task.batch_id, rows, empty_series(ctx))


class LocalBackend:
    """A process pool on this machine.

    Workers are forked (see ``start_method``), so they start with the model imported and
    with ``space``, the base scenario's outcome space that the probe run built and warmed
    (without it, each worker builds its own); a fresh interpreter would spend seconds
    importing.  The runner starts them before any thread of its own.  If a forked worker
    dies, the pool is rebuilt from a fork server for the rest of the sweep: a host that has
    loaded native libraries which do not survive a fork (seen in a long test session) then
    loses a few seconds, not the sweep.
    """

    name = "local"

    def __init__(
        self, context: Context, workers: int | None = None, space: OutcomeSpace | None = None
    ) -> None:
        self.context = context
        self.space = space
        self.workers = workers or default_workers()
        self.window = self.workers * IN_FLIGHT_PER_WORKER
        self.method = start_method()

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _pool(self) -> ProcessPoolExecutor:
        mp = multiprocessing.get_context(self.method)
        if mp.get_start_method() == "forkserver":
            mp.set_forkserver_preload(FORKSERVER_PRELOAD)
        return ProcessPoolExecutor(
            self.workers,
            mp_context=mp,
            initializer=init_worker,
            initargs=(self.context, self.space),
        )

    @staticmethod
    def _start(pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """Fork the workers now.  The only other threads here belong to native libraries
        (OpenBLAS, pyarrow's jemalloc) that register fork handlers, so Python's generic
        warning about forking a multi-threaded process does not apply.  Each worker freezes
        what it inherited out of the garbage collector first (``prepare_process``)."""
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            pool.submit(int).result()
        return pool

    def map(self, tasks: Iterable[Task]) -> Iterator[BatchResult]:
        """Run tasks; yield each finished batch."""
        it = iter(tasks)
        retry: deque[Task] = deque()
        attempts: Counter[int] = Counter()
        pending: dict[Future[BatchResult], Task] = {}
        pool = self._start(self._pool())
        try:
            while True:
                broken = self._submit(pool, pending, retry, it)
                if not pending and not broken:
                    return
                lost: list[Task] = []
                if not broken:
                    broken = yield from self._collect(pending, lost)
                if broken:  # a worker died: every task still in this pool is lost too
                    yield from self._drain(pending, lost)
                    pool.shutdown(wait=False, cancel_futures=True)
                    self.method = "forkserver"  # a clean parent for the workers from now on
                    pool = self._start(self._pool())
                    yield from self._requeue(lost, attempts, retry)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _submit(
        self,
        pool: ProcessPoolExecutor,
        pending: dict[Future[BatchResult], Task],
        retry: deque[Task],
        it: Iterator[Task],
    ) -> bool:
        """Fill the window of tasks in flight, retried ones first; True if the pool broke
        since the last wait (the task it refused goes back to the front of ``retry``)."""
        while len(pending) < self.window:
            task = retry.popleft() if retry else next(it, None)
            if task is None:
                return False
            try:
                pending[pool.submit(run_task_local, task)] = task
            except BrokenProcessPool:  # the task never ran
                retry.appendleft(task)
                return True
        return False

    @staticmethod
    def _collect(
        pending: dict[Future[BatchResult], Task], lost: list[Task]
    ) -> Generator[BatchResult, None, bool]:
        """Yield the batches that finish next; return True if a worker died (its task is
        added to ``lost``)."""
        broken = False
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            task = pending.pop(fut)
            try:
                result = fut.result()
            except BrokenProcessPool:
                lost.append(task)
                broken = True
            else:
                yield result
        return broken

    @staticmethod
    def _drain(pending: dict[Future[BatchResult], Task], lost: list[Task]) -> Iterator[BatchResult]:
        """In a broken pool: yield the batches that still finished; the others are lost."""
        for fut, task in pending.items():
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                yield fut.result()
            else:
                lost.append(task)
        pending.clear()

    def _requeue(
        self, lost: list[Task], attempts: Counter[int], retry: deque[Task]
    ) -> Iterator[BatchResult]:
        """Queue lost tasks again, in batch order; yield as failed those lost too often."""
        for task in sorted(lost, key=lambda t: t.batch_id):
            attempts[task.batch_id] += 1
            if attempts[task.batch_id] >= MAX_ATTEMPTS:
                error = f"worker process died {MAX_ATTEMPTS} times running this batch"
                yield failed_batch(self.context, task, error)
            else:
                retry.append(task)
