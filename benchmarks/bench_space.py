"""Benchmark: the factored concession space (issue 13) against the enumerated one.

For spaces of n issues with 5 levels each (plus "left open"), prints the time and peak
traced memory of the Pareto frontier, Nash point and one offer search, factored (merged
issue by issue, ``sim/factored.py``) and enumerated (``OutcomeSpace`` + ``sim/analysis.py``),
their ratio where both run, and whether they agree.  Enumeration stops at ``--max-enumerated``
issues (memory grows with the product of the levels).

    .venv/bin/python benchmarks/bench_space.py [--issues 5 7 8 12 15] [--max-enumerated 8]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from tradetalks.agents.screening import best_for as enumerated_best_for
from tradetalks.sim import analysis as an
from tradetalks.sim import factored as fa
from tradetalks.sim.issues import Issue, OutcomeSpace

LEVELS = 5
R = 0.3  # reservation value per issue's worth of utility (both sides)


def issues(n: int, rng: np.random.Generator) -> list[Issue]:
    """n issues of LEVELS levels; the US's values rise with the level, China's fall."""
    out = []
    for j in range(n):
        us = np.sort(rng.random(LEVELS))
        out.append(
            Issue(
                name=f"issue{j}",
                levels=tuple(f"l{k}" for k in range(LEVELS)),
                status_quo=0,
                concedes="china",
                negotiable=True,
                values={"us": us, "china": np.sort(rng.random(LEVELS))[::-1]},
                quantities={},
            )
        )
    return out


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak MB traced) of one call."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, dt, peak


Summary = tuple[np.ndarray, tuple[float, float], tuple[float, float]]


def factored(iss: list[Issue], w: np.ndarray) -> Summary:
    """Frontier utility pairs, the Nash point's and the offer's utilities, factored."""
    choices = tuple(np.array([-1, *range(LEVELS)]) for _ in iss)
    tables = tuple(
        tuple(
            w[j] * np.asarray(i.values[s])[np.where(c == -1, i.status_quo, c)]
            for j, (i, c) in enumerate(zip(iss, choices, strict=True))
        )
        for s in ("us", "china")
    )
    space = fa.FactoredSpace(tuple(i.name for i in iss), choices, tables, 1)
    front = space.frontier()
    k, x = fa.nash(front, (R, R)), int(fa.best_for(front, 0.5)[0])
    pairs = np.column_stack([front.u1, front.u2])
    return pairs, (front.u1[k], front.u2[k]), (front.u1[x], front.u2[x])


def enumerated(iss: list[Issue], w: np.ndarray) -> Summary:
    """The same from the enumerated space."""
    space = OutcomeSpace(iss, allow_interim=True)
    u1, u2 = space.utility("us", w), space.utility("china", w)
    every = np.ones(len(space), dtype=bool)
    front = an.pareto_frontier(u1, u2)
    k = an.nash_point(u1, u2, (R, R))
    x = int(enumerated_best_for(u1, u2, 0.5, every))
    pairs = np.column_stack([u1[front], u2[front]])
    return pairs, (u1[k], u2[k]), (u1[x], u2[x])


def same(a: Summary, b: Summary) -> bool:
    """Equal frontiers (as sets of utility pairs), Nash points and offers."""
    pa, pb = (np.unique(np.round(p, 9), axis=0) for p in (a[0], b[0]))
    return pa.shape == pb.shape and np.allclose(pa, pb) and np.allclose(a[1:], b[1:])


def main() -> None:
    """Print one row per space size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, nargs="+", default=[5, 7, 8, 12, 15])
    ap.add_argument("--max-enumerated", type=int, default=8)
    args = ap.parse_args()
    print(
        f"{'issues':>6} {'outcomes':>10} {'frontier':>8} {'factored s':>10} {'MB':>6}"
        f" {'enumerated s':>12} {'MB':>7} {'ratio':>7} {'same':>5}"
    )
    for n in args.issues:
        rng = np.random.default_rng(n)
        iss = issues(n, rng)
        w = np.full(n, 1.0 / n)
        fact, t_f, m_f = measured(lambda: factored(iss, w))  # noqa: B023
        size = (LEVELS + 1) ** n - 1
        row = f"{n:>6} {size:>10.3g} {len(fact[0]):>8} {t_f:>10.4f} {m_f:>6.1f}"
        if n <= args.max_enumerated:
            enum, t_e, m_e = measured(lambda: enumerated(iss, w))  # noqa: B023
            row += f" {t_e:>12.4f} {m_e:>7.1f} {t_e / t_f:>7.1f} {same(fact, enum)!s:>5}"
        else:
            row += f" {'—':>12} {'—':>7} {'—':>7} {'—':>5}"
        print(row)


if __name__ == "__main__":
    main()
