"""ABC-SMC with pyabc for a validated calibration file: priors, distance, sampler, run, resume.

The settings follow core-v2 §3.7 (pyabc 0.13): ``AdaptivePNormDistance`` with MAD scales and
fixed weights that give each block of statistics one weight in all, ``LocalTransition``,
``QuantileEpsilon``, a wall-time limit; ``MulticoreEvalParallelSampler`` here (one worker:
``SingleCoreSampler``), ``DaskDistributedSampler`` on a cluster (``experiments.daskbackend``).
The SQLite database is the resumable store: ``resume`` loads it and runs only the
generations still missing (a generation killed mid-way is sampled again).  pyabc samples
from numpy's global random state, so it is seeded once from the file's seed; pyabc's
parallel samplers reseed their workers from the operating system, so runs are statistically,
not bit-for-bit, reproducible (each particle's simulation seed is stored with it).
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from tradetalks.experiments.calibfile import Calibration

ABC_ID = 1  # one ABC-SMC run per database
SCALES = "scales.json"  # the distance's first scale weights, beside the database
PREDICTIVE_STREAM = 1  # spawn key of the predictive check's seeds (the fit's are per particle)
Progress = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Backend:
    """Where simulations run: ``local`` (``workers`` processes) or ``dask`` (a secured
    LocalCluster of ``workers`` processes, or the scheduler at ``scheduler``)."""

    kind: str = "local"
    workers: int | None = None
    scheduler: str | None = None


def make_prior(pyabc: Any, calib: Calibration) -> Any:
    """The pyabc prior: independent scipy distributions on natural scales."""
    rvs = {}
    for p in calib.spec.parameters:
        pr = p.prior
        if pr.kind == "uniform":
            rv = pyabc.RV("uniform", pr.lo, pr.hi - pr.lo)
        elif pr.kind == "normal":
            rv = pyabc.RV("norm", pr.mean, pr.sd)
        elif pr.kind == "lognormal":
            rv = pyabc.RV("lognorm", pr.log_sd, 0.0, math.exp(pr.log_mean))
        else:
            rv = pyabc.RV("beta", pr.a, pr.b, pr.lo, pr.hi - pr.lo)
        rvs[p.name] = rv
    return pyabc.Distribution(**rvs)


def mad_or_mean_ad(*, samples: np.ndarray, **kwargs: Any) -> np.ndarray:
    """pyabc's MAD per statistic; where it is zero (more than half the sample equal, common
    for counts), the mean absolute deviation from the median instead.  pyabc gives a
    statistic of zero scale zero weight, so without this a count that is mostly 0 in the
    prior predictive would be dropped and the fit would return the prior."""
    med = np.nanmedian(samples, axis=0)
    dev = np.abs(samples - med)
    mad = np.nanmedian(dev, axis=0)
    return np.where(np.isclose(mad, 0.0), np.nanmean(dev, axis=0), mad)


def scale_function(pyabc: Any, name: str) -> Any:
    """The distance's scale function named in ``[abc] scale``."""
    return {"mad": mad_or_mean_ad, "std": pyabc.distance.scale.standard_deviation}[name]


def block_weights(calib: Calibration) -> dict[str, float]:
    """Fixed distance weights: each block of statistics sums to one (core-v2 §3.4)."""
    sizes: dict[str, int] = {}
    for s in calib.spec.statistics:
        sizes[s.block] = sizes.get(s.block, 0) + 1
    return {s.name: 1.0 / sizes[s.block] for s in calib.spec.statistics}


@contextmanager
def sampler_for(pyabc: Any, backend: Backend, batch_size: int) -> Iterator[Any]:
    """A pyabc sampler for ``backend`` (a Dask cluster is closed on exit)."""
    from tradetalks.experiments.backends import default_workers

    if backend.kind == "dask":
        from tradetalks.experiments.daskbackend import check_address, connect, start_local_cluster

        cluster = None
        if backend.scheduler:
            client = connect(check_address(backend.scheduler))
        else:
            cluster, client = start_local_cluster(backend.workers or default_workers())
        try:
            yield pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=batch_size)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    workers = backend.workers or default_workers()
    if workers == 1:
        yield pyabc.sampler.SingleCoreSampler()
    else:
        yield pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)


def _abc_class(pyabc: Any) -> type:
    """``pyabc.ABCSMC`` that reports each finished generation to ``on_generation``."""

    class ReportingABCSMC(pyabc.ABCSMC):
        on_generation: Progress | None = None
        started: float = 0.0
        limit_s: float = math.inf  # the wall-time limit, from ``started``
        lookahead: float = 0.0  # the next generation's time as a multiple of the last's
        last_s: float = 0.0  # the last generation's wall time

        def run_generation(self, t: int) -> dict:
            eps = float(self.eps(t))
            t0 = time.perf_counter()
            ret = super().run_generation(t=t)
            self.last_s = time.perf_counter() - t0
            if ret.get("successful") and self.on_generation is not None:
                self.on_generation(
                    {
                        "generation": t,
                        "epsilon": eps,
                        "acceptance_rate": float(ret["acceptance_rate"]),
                        "simulations": int(self.history.total_nr_simulations),
                        "elapsed_s": time.perf_counter() - self.started,
                    }
                )
            return ret

        def check_terminate(self, t: int, acceptance_rate: float) -> bool:
            if super().check_terminate(t=t, acceptance_rate=acceptance_rate):
                return True
            elapsed = time.perf_counter() - self.started
            if not next_generation_overruns(elapsed, self.last_s, self.lookahead, self.limit_s):
                return False
            if self.on_generation is not None:
                self.on_generation({"note": WALLTIME_NOTE.format(elapsed / 60, self.last_s)})
            return True

    return ReportingABCSMC


WALLTIME_NOTE = (
    "stopped after {:.1f} min: the next generation would end past the wall-time limit "
    "(the last took {:.0f} s)"
)


def next_generation_overruns(elapsed: float, last: float, lookahead: float, limit: float) -> bool:
    """True if a generation started now would end past ``limit`` seconds, taking
    ``lookahead`` times the ``last`` generation's time (0: pyabc's own rule, which only asks
    whether the limit has passed)."""
    return elapsed + lookahead * last > limit


def make_distance(pyabc: Any, calib: Calibration, scales: Path, resume: bool) -> Any:
    """``AdaptivePNormDistance`` with the block weights.  Its scales are refitted every
    generation (pyabc's default), or with ``refit_scales = false`` fitted once on the prior
    predictive sample and kept (a resume reads them from ``scales``)."""
    spec = calib.spec.abc
    kwargs: dict[str, Any] = {}
    if not spec.refit_scales:
        if resume and scales.is_file():
            kwargs["initial_scale_weights"] = json.loads(scales.read_text(encoding="utf-8"))
            kwargs["fit_scale_ixs"] = set()
        else:
            kwargs["fit_scale_ixs"] = {0}
    return pyabc.distance.AdaptivePNormDistance(
        p=spec.distance_p,
        scale_function=scale_function(pyabc, spec.scale),
        fixed_weights=block_weights(calib),
        **kwargs,
    )


def _saving_scales(distance: Any, path: Path, progress: Progress | None) -> Progress:
    """A progress callback that first stores the distance's first scale weights (by
    statistic name) in ``path``, once, so that a resume can keep them."""

    def report(info: dict[str, Any]) -> None:
        if not path.exists() and distance.scale_weights:
            first = distance.scale_weights[min(distance.scale_weights)]
            ids = distance.sumstat.get_ids()
            data = {k: float(w) for k, w in zip(ids, np.atleast_1d(first), strict=True)}
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(path)
        if progress is not None:
            progress(info)

    return report


def generations_done(db: Path) -> int:
    """Completed generations stored in a calibration database (0 if none)."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db}", _id=ABC_ID)
    return int(history.max_t) + 1


def run_abc(
    calib: Calibration,
    db: Path,
    backend: Backend,
    resume: bool = False,
    progress: Progress | None = None,
) -> Any:
    """Run (or continue, ``resume``) the ABC-SMC of ``calib`` into the SQLite file ``db``
    until ``max_generations`` generations are stored or a stopping rule fires; return the
    pyabc History."""
    import pyabc
    from tradetalks.experiments.backends import default_workers

    spec = calib.spec.abc
    np.random.seed(calib.spec.seed)  # pyabc's own sampling draws from numpy's global state
    distance = make_distance(pyabc, calib, db.with_name(SCALES), resume)
    with sampler_for(pyabc, backend, spec.dask_batch_size) as sampler:
        forks = backend.kind == "local" and (backend.workers or default_workers()) > 1
        owner = os.getpid() if forks else None
        abc = _abc_class(pyabc)(
            models=dataclasses.replace(calib.simulator, owner=owner),
            parameter_priors=make_prior(pyabc, calib),
            distance_function=distance,
            population_size=spec.population_size,
            transitions=pyabc.LocalTransition(k_fraction=spec.k_fraction),
            eps=pyabc.QuantileEpsilon(
                alpha=spec.eps_alpha, quantile_multiplier=spec.eps_multiplier
            ),
            sampler=sampler,
        )
        abc.on_generation = _saving_scales(distance, db.with_name(SCALES), progress)
        abc.started = time.perf_counter()
        abc.limit_s, abc.lookahead = spec.max_walltime_minutes * 60, spec.walltime_lookahead
        url = f"sqlite:///{db}"
        history = abc.load(url, ABC_ID) if resume else abc.new(url, calib.observed)
        remaining = spec.max_generations - (int(history.max_t) + 1)
        if remaining <= 0:
            return history
        gc.freeze()  # a forked worker inherits a frozen heap (a fork with much garbage crashed)
        try:
            abc.run(
                max_nr_populations=remaining,
                min_acceptance_rate=spec.min_acceptance_rate,
                max_total_nr_simulations=spec.max_total_simulations,
                max_walltime=timedelta(minutes=spec.max_walltime_minutes),
            )
        finally:
            gc.unfreeze()
        return abc.history


def predictive_draws(calib: Calibration, table: Any, n: int) -> Any:
    """Statistics of ``n`` simulations at particles of the last generation drawn by weight,
    each with a fresh seed (root seed, ``PREDICTIVE_STREAM``, draw number): the posterior
    predictive sample (run in this process)."""
    import pandas as pd
    from tradetalks.experiments.calibout import STAT_PREFIX, last_generation

    last = last_generation(table)
    w = last["weight"].to_numpy()
    seq = np.random.SeedSequence([calib.spec.seed, PREDICTIVE_STREAM])
    rng = np.random.default_rng(seq)
    picks = rng.choice(len(last), size=n, p=w / w.sum())
    seeds = seq.spawn(1)[0].generate_state(n)
    rows = []
    for i, k in enumerate(picks):
        params = {name: float(last[path].iloc[k]) for name, path in calib.paths.items()}
        out = calib.simulator.simulate(params, int(seeds[i]))
        rows.append({f"{STAT_PREFIX}{s}": out[s] for s in calib.observed} | {"seed": int(seeds[i])})
    return pd.DataFrame(rows)
