"""What every process that runs the model for a sweep needs: the model class, one BLAS thread,
malloc that reuses freed arrays, and a garbage collector that leaves the inherited heap alone.

Used by the probe run (``experiments.probe``) in the sweep process and by the workers
(``experiments.worker``), so it sits below both.  BLAS gets one thread: the model's numpy
work is small matrix-vector products, and with one process per core extra BLAS threads only
oversubscribe the machine (about 3x slower per run here).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.metadata
import inspect
import os
import re
import sys
from functools import reduce
from typing import Any

BLAS_THREADS = 1  # one process per core; see the module docstring
# glibc's mallopt(M_MMAP_THRESHOLD, ...): <malloc.h> defines M_MMAP_THRESHOLD as -3, and
# 32 MiB is the ceiling glibc's own dynamic threshold reaches on 64-bit (mallopt(3)).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
_BLAS_LIMITED = False
_PREPARED_IN: int | None = None  # the process that ran prepare_process (a fork must run it again)
DEFAULT_MODEL = "tradetalks.sim.model:TradeTalksModel"
MODEL_ENTRY_POINTS = "tradetalks.models"  # entry-point group of installed model classes
_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
MODEL_RE = re.compile(rf"^{_DOTTED}:{_DOTTED}$")  # package.module:Class


class ModelError(Exception):
    """The model named on the command line cannot be used (bad input: exit 2)."""


def import_model(spec: str) -> type:
    """Import a model class from ``package.module:Class`` (resolved by ``resolve_model``)."""
    if not MODEL_RE.match(spec):
        raise ValueError(f"expected package.module:Class, not {spec!r}")
    module, _, attrs = spec.partition(":")
    obj = reduce(getattr, attrs.split("."), importlib.import_module(module))
    if not isinstance(obj, type):
        raise ValueError(f"{spec} is not a class")
    return obj


def _entry_point(name: str) -> str:
    """The ``package.module:Class`` of an installed model (entry point ``name``)."""
    found = importlib.metadata.entry_points(group=MODEL_ENTRY_POINTS, name=name)
    for ep in found:
        return ep.value.replace(" ", "")
    known = sorted(ep.name for ep in importlib.metadata.entry_points(group=MODEL_ENTRY_POINTS))
    raise ModelError(
        f"--model {name!r}: no installed model has that name (entry points of group "
        f"{MODEL_ENTRY_POINTS!r}: {', '.join(known) or 'none'}); or give package.module:Class"
    )


def resolve_model(flag: str | None) -> tuple[str, type]:
    """The model of a sweep as (``package.module:Class``, class): the built-in model, the
    class a ``--model package.module:Class`` names, or an installed model by entry-point
    name.  Only the command line chooses it: sweep files are data and cannot."""
    spec = DEFAULT_MODEL if flag is None else flag.strip()
    if ":" not in spec:
        spec = _entry_point(spec)
    if not MODEL_RE.match(spec):
        raise ModelError(
            f"--model expects package.module:Class or the name of an installed model, not {flag!r}"
        )
    try:
        return spec, import_model(spec)
    except (Exception, SystemExit) as exc:  # an import runs the module's own code
        raise ModelError(f"--model {flag}: cannot import {spec}: {exc}") from None


def accepted_options(model_cls: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """The options of ``wanted`` that the model class names in its signature; a model given
    given by ``--model`` may not know them (and may read unknown keywords as config keys)."""
    try:
        accepted = inspect.signature(model_cls).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in wanted.items() if k in accepted}


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


def release_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``), between a
    worker's batches: the allocator otherwise keeps the peak of every run's freed arrays.
    Returns True if it released anything (False off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - not glibc
        return False
    return bool(libc.malloc_trim(0))


def free_run() -> None:
    """Free a finished run's model now.  The model and its agents refer to each other, so only
    the cycle collector frees them, and a full collection is rare: a worker then holds several
    dead models at its peak.  Measured: 60 baseline runs in one process, peak RSS 292 -> 235
    MB; a 200-run sweep, largest worker 308-321 -> 205-207 MB; 0.55 ms a run (under 1%).
    Call it only after ``prepare_process``: everything the process inherited is frozen then,
    and the collector traverses only what was made since."""
    gc.collect()


def prepare_process() -> None:
    """Once per worker process: limit BLAS, let malloc reuse freed arrays (see
    ``restore_malloc_reuse``), then move every object that exists now (imported modules,
    the sweep's outcome space) into the collector's permanent generation, so that full
    collections stop re-scanning that long-lived heap.  Measured here: about 15% of a run
    of the model with its per-farm agents, 1-2% of the lean runs sweeps make."""
    global _PREPARED_IN
    limit_blas()
    if _PREPARED_IN != os.getpid():  # once per process, forked children included
        restore_malloc_reuse()
        # no gc.collect() first: a worker forked from a process with live threads (a browser
        # driver, a Dask client) can inherit objects caught mid-update, and traversing them
        # segfaults (seen after the Playwright test); frozen, they are never traversed
        gc.freeze()
        _PREPARED_IN = os.getpid()
