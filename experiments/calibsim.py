"""Simulators a calibration runs: the tradetalks model, the Gaussian toy, or a user's function.

Each is a picklable callable ``simulator(params) -> stats`` (what pyabc calls, with params
keyed by parameter name).  The seed of a simulation is derived from the particle's parameter
values and the file's root seed (``particle_seed``), never from global random state, so a
particle's statistics are a function of its parameters; with ``seeds_per_particle`` k the
statistics are the mean over k seeds derived from that one (``seeds_of``).  The seed is
returned among the statistics (``SEED_KEY``; the distance reads only the observed keys).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEED_KEY = "seed"
_SPACES: dict[str, Any] = {}  # config digest -> outcome spaces of the runs (per process)


def particle_seed(root: int, values: Sequence[float]) -> int:
    """A 32-bit seed from the root seed and a particle's parameter values (their bytes)."""
    words = np.frombuffer(np.asarray(values, dtype=np.float64).tobytes(), dtype=np.uint32)
    seq = np.random.SeedSequence([int(root), *(int(w) for w in words)])
    return int(seq.generate_state(1)[0])


def seeds_of(seed: int, k: int) -> list[int]:
    """The k simulation seeds of a particle whose recorded seed is ``seed`` (k = 1: itself)."""
    if k == 1:
        return [int(seed)]
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(k)]


@dataclass(frozen=True)
class Simulator:
    """Common part: seeds, averaging over seeds, the recorded seed.  ``names`` orders the
    parameters, ``stats`` are the statistic names the simulator returns."""

    names: tuple[str, ...]
    stats: tuple[str, ...]
    root_seed: int
    seeds_per_particle: int
    # pid of the calibration process when pyabc forks local workers: a worker whose parent
    # has died (SIGKILL leaves it no chance to stop them) exits instead of simulating on
    owner: int | None = None

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """pyabc's model: the particle's statistics and its seed."""
        if self.owner is not None and os.getpid() != self.owner and os.getppid() != self.owner:
            os._exit(1)
        values = [float(params[n]) for n in self.names]
        return self.simulate(
            dict(zip(self.names, values, strict=True)), particle_seed(self.root_seed, values)
        )

    def simulate(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        """Statistics at ``params`` averaged over the particle's seeds, plus ``seed``."""
        runs = [self.run_once(params, s) for s in seeds_of(seed, self.seeds_per_particle)]
        out = {k: float(np.mean([r[k] for r in runs])) for k in self.stats}
        return {**out, SEED_KEY: float(seed)}

    def run_once(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        """One simulation's statistics (subclasses)."""
        raise NotImplementedError


@dataclass(frozen=True)
class GaussianToy(Simulator):
    """The analytic test model: statistic ``p`` is parameter ``p`` plus normal noise of sd
    ``noise_sd`` (statistics are named by the parameters' paths)."""

    paths: tuple[str, ...] = ()
    noise_sd: float = 1.0

    def run_once(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        """One draw of every statistic."""
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(len(self.names))
        return {
            path: float(params[name]) + self.noise_sd * float(e)
            for name, path, e in zip(self.names, self.paths, noise, strict=True)
        }


def import_function(spec: str) -> Callable[..., Mapping[str, float]]:
    """The function ``package.module:function`` names; ``ValueError`` saying why not."""
    module, sep, attr = spec.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"{spec!r} is not 'package.module:function'")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {spec!r}: {exc}") from None
    if not callable(fn):
        raise ValueError(f"{spec!r} is not callable")
    return fn


@dataclass(frozen=True)
class ImportedSimulator(Simulator):
    """A user's function ``f(params_by_path, seed, **options) -> {statistic: value}``."""

    spec: str = ""
    paths: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def run_once(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        """One call of the user's function, its outputs as floats."""
        fn = import_function(self.spec)
        by_path = {p: params[n] for n, p in zip(self.names, self.paths, strict=True)}
        out = fn(by_path, seed, **self.options)
        return {k: float(out[k]) for k in self.stats}


@dataclass(frozen=True)
class TradetalksSimulator(Simulator):
    """The tradetalks model on a base config (raw dict), a lean run per seed (no per-farm
    agents; weekly series only if a statistic reads them); ``measures`` are (statistic
    name, registry function, arguments)."""

    base_raw: Mapping[str, Any] = field(default_factory=dict)
    paths: tuple[str, ...] = ()
    measures: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()

    def overrides(self, params: Mapping[str, float]) -> dict[str, float]:
        """Config overrides that set the particle's parameters."""
        return {p: float(params[n]) for n, p in zip(self.names, self.paths, strict=True)}

    def run_once(self, params: Mapping[str, float], seed: int) -> dict[str, float]:
        """One model run and its statistics."""
        from tradetalks.experiments.calibstats import (
            NEEDS_ROUNDS,
            NEEDS_SERIES,
            STATISTICS,
            RunView,
            held_rounds,
        )
        from tradetalks.sim.model import TradeTalksModel

        overrides = self.overrides(params)
        series = any(fn in NEEDS_SERIES for _, fn, _ in self.measures)
        model = TradeTalksModel(
            config=dict(self.base_raw),
            rng=seed,
            overrides=overrides,
            collect_series=series,
            farmer_agents=False,
            space=self.spaces().for_run(overrides),
        )
        summary = model.run()
        rounds = any(fn in NEEDS_ROUNDS for _, fn, _ in self.measures)
        view = RunView(
            summary=summary,
            announcements=list(model.announcements),
            series=model.timeseries() if series else None,
            start_date=model.start_date,
            weeks=int(summary["weeks"]),
            rounds=held_rounds(model) if rounds else (),
            events=list(model.negotiation.events) if rounds else (),
        )
        return {name: STATISTICS[fn](view, **args) for name, fn, args in self.measures}

    def spaces(self) -> Any:
        """The outcome spaces of this base config in this process (built once)."""
        from tradetalks.experiments.spaces import RunSpaces
        from tradetalks.experiments.worker import config_key

        key = config_key(dict(self.base_raw))
        if key not in _SPACES:
            _SPACES[key] = RunSpaces(dict(self.base_raw))
        return _SPACES[key]
