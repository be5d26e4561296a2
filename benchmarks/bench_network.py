"""The farm network: networkx.watts_strogatz_graph against the vectorised generator (issue 13).

Reproduce:

    .venv/bin/python benchmarks/bench_network.py            # k=6, p=0.1 as in the baseline
    .venv/bin/python benchmarks/bench_network.py --quick    # 1k and 10k only

For each farmer count it prints the median wall time of each generator over interleaved
repeats in this one process and their ratio, then the peak memory (tracemalloc: Python and
numpy allocations) of building each network once at the largest count. Both build only the
network, with the same (n, k, p); the farm model then turns the edges into its neighbour-mean
matrix (timed on its own line).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

import networkx as nx
import numpy as np
from tradetalks.agents.farm_population import neighbour_mean_matrix
from tradetalks.agents.small_world import watts_strogatz_edges

K, P = 6, 0.1  # configs/baseline.toml [world.farmers.network]
SIZES = {1_000: 9, 10_000: 7, 100_000: 3, 300_000: 3}  # farmers: repeats


def _networkx(n: int, seed: int) -> object:
    return nx.watts_strogatz_graph(n, K, P, seed=seed)


def _numpy(n: int, seed: int) -> object:
    return watts_strogatz_edges(n, K, P, np.random.default_rng(seed))


def _time(build: Callable[[int, int], object], n: int, seed: int) -> float:
    gc.collect()
    start = time.perf_counter()
    build(n, seed)
    return time.perf_counter() - start


def _peak_mb(build: Callable[[int, int], object], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    kept = build(n, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k farmers only")
    args = parser.parse_args()
    sizes = {n: r for n, r in SIZES.items() if not args.quick or n <= 10_000}
    print(f"Watts-Strogatz k={K} p={P}: median wall time over interleaved repeats")
    print(f"{'farmers':>9} {'repeats':>7} {'networkx s':>11} {'numpy s':>9} {'ratio':>7}")
    for n, repeats in sizes.items():
        old, new = [], []
        for seed in range(repeats):
            old.append(_time(_networkx, n, seed))
            new.append(_time(_numpy, n, seed))
        t_old, t_new = statistics.median(old), statistics.median(new)
        print(f"{n:>9,} {repeats:>7} {t_old:>11.4f} {t_new:>9.4f} {t_old / t_new:>6.1f}×")
    largest = max(sizes)
    edges = _numpy(largest, 0)
    mat = [_time(lambda n, s: neighbour_mean_matrix(edges, n), largest, s) for s in range(3)]
    print(f"neighbour-mean matrix from the edges at {largest:,}: {statistics.median(mat):.4f} s")
    peak_old, peak_new = _peak_mb(_networkx, largest), _peak_mb(_numpy, largest)
    print(f"peak memory at {largest:,} farmers (tracemalloc, one build each):")
    ratio = peak_old / peak_new
    print(f"  networkx {peak_old:8.1f} MB   numpy {peak_new:8.1f} MB   ratio {ratio:.1f}×")


if __name__ == "__main__":
    main()
