"""The Dask backend: a LocalCluster only this process can drive, or an existing scheduler.

A LocalCluster listens on 127.0.0.1 with TLS and a certificate authority made for it alone
(``distributed.Security.temporary()``): every connection, the sweep's own client and its
workers included, must present a certificate from that authority, so another local
process cannot connect and run code in the workers.  It serves no web pages: no dashboard
unless asked (``dashboard=True``), and the status pages Dask serves even without one are
not started.  An existing scheduler (``--scheduler``) is reached with the security the
user configured for Dask (``distributed.comm.tls.*`` in Dask's config or its
``DASK_DISTRIBUTED__COMM__TLS__*`` environment variables); its address is checked first,
and the connection is made, with a timeout, before any run starts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from tradetalks.experiments.backends import IN_FLIGHT_PER_WORKER, default_workers, failed_batch
from tradetalks.experiments.worker import BatchResult, Context, Task, run_task

CONNECT_TIMEOUT_S = 10  # at most this long to reach a scheduler (Dask's own default is 30 s)
DASK_RETRIES = 2  # extra attempts Dask gives a task that raised (transient errors)
SCHEMES = ("tcp", "tls")
ADDRESS_RE = re.compile(
    r"^(?P<scheme>[a-z]+)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})$"
)
NO_HTTP_ROUTES = {  # Dask's scheduler and workers serve these pages even without a dashboard
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
}


class SchedulerAddressError(ValueError):
    """A ``--scheduler`` address that is not ``tcp://HOST:PORT`` or ``tls://HOST:PORT``."""


class SchedulerError(Exception):
    """The Dask cluster cannot be started or reached, or failed mid-sweep (exit 1)."""


def check_address(address: str) -> str:
    """``address`` if it is ``tcp://HOST:PORT`` or ``tls://HOST:PORT``, else
    ``SchedulerAddressError`` saying what is wrong."""
    m = ADDRESS_RE.match(address)
    if m is None:
        raise SchedulerAddressError(
            f"--scheduler {address!r} is not an address of the form tcp://HOST:PORT or "
            "tls://HOST:PORT"
        )
    if m["scheme"] not in SCHEMES:
        raise SchedulerAddressError(
            f"--scheduler {address!r}: the scheme must be tcp or tls, not {m['scheme']!r}"
        )
    if not 0 < int(m["port"]) < 2**16:
        raise SchedulerAddressError(f"--scheduler {address!r}: port {m['port']} is out of range")
    return address


def _stop_http(dask_worker: Any) -> None:
    """Stop a worker's HTTP server (run in each worker of a local cluster)."""
    dask_worker.http_server.stop()


def start_local_cluster(workers: int, dashboard: bool = False) -> tuple[Any, Any]:
    """A TLS LocalCluster on 127.0.0.1 with its own certificate authority, and a client
    of it; no HTTP server unless ``dashboard`` (then the dashboard, on 127.0.0.1)."""
    import dask
    from distributed import Client, LocalCluster, Security

    try:
        security = Security.temporary()
    except ImportError:  # pragma: no cover - the package is a dependency
        raise SchedulerError(
            "the dask backend needs the 'cryptography' package to secure its cluster "
            "with TLS; install it"
        ) from None
    routes = {} if dashboard else NO_HTTP_ROUTES
    with dask.config.set(routes):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address="127.0.0.1:0" if dashboard else None,
            worker_dashboard_address=None,
            # without a dashboard Dask still serves status pages, by default on port 8787
            scheduler_kwargs={} if dashboard else {"dashboard_address": "127.0.0.1:0"},
        )
    try:
        if not dashboard:
            cluster.scheduler.http_server.stop()
        client = Client(cluster, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
        if not dashboard:
            client.run(_stop_http)
    except BaseException:
        cluster.close()
        raise
    return cluster, client


def connect_timeout() -> float:
    """Seconds to wait for a scheduler: Dask's ``distributed.comm.timeouts.connect``, at
    most ``CONNECT_TIMEOUT_S``."""
    import dask
    from dask.utils import parse_timedelta

    configured = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")
    return min(float(configured or CONNECT_TIMEOUT_S), CONNECT_TIMEOUT_S)


def connect(address: str) -> Any:
    """A client of an existing scheduler, with the security configured for Dask."""
    from distributed import Client

    timeout = connect_timeout()
    try:
        return Client(address, set_as_default=False, timeout=timeout)
    except TypeError as exc:  # distributed: "TLS expects a `ssl_context` argument ..."
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address}: it needs TLS and no TLS is "
            "configured for Dask (distributed.comm.tls.ca-file, .client.cert and "
            f".client.key in Dask's config or environment) ({exc})"
        ) from None
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # timeouts, refused or failed connections, TLS refused
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s: "
            f"{type(exc).__name__}: {exc}. Check that it runs, the address, and the TLS "
            "settings of Dask's config; nothing was written"
        ) from None


class DaskBackend:
    """Dask distributed: a secured LocalCluster on 127.0.0.1, or an existing scheduler."""

    name = "dask"

    def __init__(
        self,
        context: Context,
        workers: int | None = None,
        scheduler: str | None = None,
        dashboard: bool = False,
    ) -> None:
        self.context = context
        self.requested = workers
        self.scheduler = scheduler
        self.dashboard = dashboard
        self.token = uuid.uuid4().hex  # task keys unique on a shared scheduler
        self.cluster: Any = None
        self.client: Any = None
        self.workers = workers or default_workers()
        self.window = self.workers * IN_FLIGHT_PER_WORKER

    def __enter__(self) -> DaskBackend:
        if self.scheduler:
            self.client = connect(check_address(self.scheduler))
            if self.requested is None:
                self.workers = max(1, sum(self.client.nthreads().values()))
        else:
            try:
                self.cluster, self.client = start_local_cluster(self.workers, self.dashboard)
            except (MemoryError, RecursionError, SchedulerError):
                raise
            except Exception as exc:  # a port, a worker that did not start
                raise SchedulerError(
                    f"cannot start a local Dask cluster: {type(exc).__name__}: {exc}"
                ) from None
        self.window = self.workers * IN_FLIGHT_PER_WORKER
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def address(self) -> str | None:
        """The scheduler's address (``tls://127.0.0.1:PORT`` for a local cluster)."""
        return None if self.client is None else self.client.scheduler.address

    def map(self, tasks: Iterable[Task]) -> Iterator[BatchResult]:
        """Run tasks on the cluster; yield each finished batch.  A scheduler lost on the
        way ends the sweep with ``SchedulerError`` (finished batches stay stored)."""
        it = iter(tasks)
        pending: dict[Any, Task] = {}
        try:
            yield from self._run(it, pending)
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # comm errors, cancelled futures, a lost scheduler
            raise SchedulerError(
                f"the Dask cluster failed during the sweep: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            for fut in pending:
                fut.cancel()

    def _run(self, it: Iterator[Task], pending: dict[Any, Task]) -> Iterator[BatchResult]:
        from distributed import wait as dwait

        while True:
            while len(pending) < self.window:
                task = next(it, None)
                if task is None:
                    break
                fut = self.client.submit(
                    run_task,
                    self.context,
                    task,
                    pure=False,
                    retries=DASK_RETRIES,
                    key=f"tradetalks-{self.token}-batch-{task.batch_id}",
                )
                pending[fut] = task
            if not pending:
                return
            with self.client.as_current():  # the sweep's client is nobody's default
                done = dwait(list(pending), return_when="FIRST_COMPLETED").done
            for fut in done:
                task = pending.pop(fut)
                if fut.status == "finished":
                    result = fut.result()
                else:  # KilledWorker (lost too often) or an error outside the runs
                    exc = fut.exception()
                    result = failed_batch(self.context, task, f"{type(exc).__name__}: {exc}")
                fut.release()
                yield result
