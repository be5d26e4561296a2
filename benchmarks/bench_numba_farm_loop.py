"""Exploration, not a dependency: the projector's farm-group loop (sim/projector_paths.py:
``farm_approval``) at the baseline's size, as numpy steps it and as a numba kernel would.

    python3 -m venv /tmp/nb && /tmp/nb/bin/pip install numba && /tmp/nb/bin/python \\
        benchmarks/bench_numba_farm_loop.py

Prints the first call's compile time, both loops' time a call and whether the bits agree
(benchmarks/results/scale.md, "What that would take"). Synthetic inputs with the loop's
arithmetic: own adjustment toward a target, the pull of the groups' mean, a clip to [0, 1].
"""

from __future__ import annotations

import time
import timeit

import numpy as np

WEEKS, PATHS, GROUPS = 60, 23, 36  # a baseline projection's farm chain (about)
OWN, SOCIAL = 0.1, 0.05  # any adjustment rates: the cost is the same


def numpy_loop(a0: np.ndarray, target: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The projector's weekly loop, numpy call by numpy call."""
    groups = np.empty((target.shape[0] + 1, *target.shape[1:]))
    groups[0] = a0
    pull, mean = np.empty(target.shape[1:]), np.empty(target.shape[1])
    for a, new, goal in zip(groups[:-1], groups[1:], target, strict=True):
        np.add(a, np.multiply(OWN, np.subtract(goal, a, new), new), new)
        np.matmul(a, share, mean)
        np.multiply(SOCIAL, np.subtract(mean[:, None], a, pull), pull)
        np.clip(np.add(new, pull, new), 0.0, 1.0, new)
    return groups


def kernel(
    a0: np.ndarray, target: np.ndarray, share: np.ndarray, own: float, social: float
) -> np.ndarray:
    """The same arithmetic as loops over scalars (compiled by numba)."""
    steps, paths, groups = target.shape
    out = np.empty((steps + 1, paths, groups))
    out[0, :, :] = a0
    for k in range(steps):
        for p in range(paths):
            mean = 0.0
            for j in range(groups):
                mean += out[k, p, j] * share[j]
            for j in range(groups):
                a = out[k, p, j]
                v = a + own * (target[k, p, j] - a) + social * (mean - a)
                out[k + 1, p, j] = min(max(v, 0.0), 1.0)
    return out


def main() -> None:
    try:
        from numba import njit
    except ImportError:
        raise SystemExit("numba is not installed here (see the docstring)") from None
    rng = np.random.default_rng(0)
    target = rng.random((WEEKS - 1, PATHS, GROUPS))
    a0, share = rng.random(GROUPS), rng.random(GROUPS)
    share /= share.sum()
    compiled = njit(kernel)
    t0 = time.perf_counter()
    compiled(a0, target, share, OWN, SOCIAL)
    print(f"first call (compiles): {time.perf_counter() - t0:.2f} s")
    x, y = numpy_loop(a0, target, share), compiled(a0, target, share, OWN, SOCIAL)
    print(f"max |numpy - numba| {np.abs(x - y).max():.2e}; the same bits: {np.array_equal(x, y)}")
    for name, fn in (("numpy", lambda: numpy_loop(a0, target, share)),
                     ("numba", lambda: compiled(a0, target, share, OWN, SOCIAL))):  # fmt: skip
        print(f"{name}: {timeit.timeit(fn, number=300) / 300 * 1e6:.0f} µs a call")


if __name__ == "__main__":
    main()
