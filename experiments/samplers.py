"""Sampling designs: grid, random, Latin hypercube, Sobol (Saltelli) and Morris.

Designs come from libraries, not hand-written code: ``scipy.stats.qmc`` (Latin hypercube,
scaling), SALib (Saltelli's extension of Sobol' sequences, Morris trajectories) and numpy's
Generator for plain random sampling.  Non-grid samplers work in the SALib "problem" space:
a range parameter spans ``[low, high]``; a list parameter spans ``[0, len(values)]`` and
a draw ``x`` picks ``values[floor(x)]``.  The raw matrix is kept so SALib can analyse it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.experiments.seeds import design_rng, design_seed
from tradetalks.experiments.sweepfile import Sweep
from tradetalks.experiments.sweepspec import Parameter

GRID_DECIMALS = 12  # grid points are rounded here: 0.9845, not linspace's 0.9844999999999999


@dataclass(frozen=True)
class Design:
    """Parameter values of every sample (rows in sample-id order) and the raw matrix."""

    rows: list[tuple[Any, ...]]
    raw: np.ndarray | None  # samples x parameters, in problem space (None for a grid)
    problem: dict[str, Any] | None  # SALib problem (None for a grid)

    def __len__(self) -> int:
        return len(self.rows)


def salib_problem(params: tuple[Parameter, ...]) -> dict[str, Any]:
    """The SALib problem definition of a sweep's parameters."""
    bounds = []
    for p in params:
        if p.values is not None:
            bounds.append([0.0, float(len(p.values))])
        else:
            bounds.append([p.low, p.high])
    return {"num_vars": len(params), "names": [p.name for p in params], "bounds": bounds}


def grid_levels(p: Parameter) -> list[Any]:
    """The points of one parameter on a grid."""
    if p.values is not None:
        return list(p.values)
    assert p.low is not None and p.high is not None and p.steps is not None
    pts = np.linspace(p.low, p.high, p.steps)
    if p.integer:
        return list(dict.fromkeys(round(float(x)) for x in pts))
    return [float(round(x, GRID_DECIMALS)) for x in pts]


def decode(p: Parameter, x: float) -> Any:
    """A parameter value from a coordinate in problem space."""
    if p.values is not None:
        return p.values[min(int(np.floor(x)), len(p.values) - 1)]
    if p.integer:
        return round(float(x))
    return float(x)


def raw_matrix(sweep: Sweep) -> np.ndarray:
    """The design matrix in problem space for the non-grid samplers."""
    s = sweep.spec.sampler
    problem = salib_problem(sweep.parameters)
    d = problem["num_vars"]
    lo = np.array([b[0] for b in problem["bounds"]])
    hi = np.array([b[1] for b in problem["bounds"]])
    root = sweep.spec.root_seed
    from scipy.stats import qmc  # imported here: slow, and grids do not need it

    if s.kind == "random":
        unit = design_rng(root).random((s.samples, d))
        return qmc.scale(unit, lo, hi)
    if s.kind == "lhs":
        unit = qmc.LatinHypercube(d, rng=design_rng(root)).random(s.samples)
        return qmc.scale(unit, lo, hi)
    if s.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(
            problem,
            s.samples,
            calc_second_order=s.second_order,
            scramble=s.scramble,
            seed=design_seed(root),
        )
    if s.kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, s.samples, num_levels=s.levels, seed=design_seed(root))
    raise ValueError(f"unknown sampler {s.kind!r}")


def build_design(sweep: Sweep) -> Design:
    """The sweep's design: one row of parameter values per sample."""
    params = sweep.parameters
    if sweep.spec.sampler.kind == "grid":
        rows = list(itertools.product(*(grid_levels(p) for p in params)))
        return Design(rows, None, None)
    raw = raw_matrix(sweep)
    rows = [tuple(decode(p, x) for p, x in zip(params, r, strict=True)) for r in raw]
    return Design(rows, raw, salib_problem(params))
