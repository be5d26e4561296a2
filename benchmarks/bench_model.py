"""Benchmark: the 52-week baseline at 1,000 and 10,000 farmers.

Prints wall time (model construction + 52 weeks), weeks/s and farmer-weeks/s, and the
ratio of the cost per farmer-week at 10,000 to that at 1,000.  Each model builds its own
outcome space unless one is passed (``space=``, as sweeps do): the table passes one, built
once, and a run that builds its own is reported separately as "cold".

    .venv/bin/python benchmarks/bench_model.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import baseline
from tradetalks.sim.shipped import locate as shipped_config
from tradetalks.sim.spaces import outcome_space

BASELINE = baseline()


def one_run(farmers: int, seed: int, space: OutcomeSpace | None = None) -> tuple[float, int]:
    """Wall time of building and running one model, and the weeks it ran."""
    t0 = time.perf_counter()
    model = TradeTalksModel(
        config=BASELINE, rng=seed, overrides={"world.farmers.count": farmers}, space=space
    )
    model.run()
    return time.perf_counter() - t0, model.steps


def main() -> None:
    """Run the benchmark and print a small table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    cold, _ = one_run(1000, 0)
    print(f"a run that builds its own outcome space: {cold:.3f} s")
    space = outcome_space(resolve_config(BASELINE))
    one_run(1000, 0, space)  # the space fills its caches of derived arrays once
    print(f"{'farmers':>8} {'median s':>9} {'min s':>7} {'weeks/s':>8} {'farmer-weeks/s':>15}")
    per_fw = {}
    for n in (1000, 10000):
        times, weeks = [], 0
        for seed in range(1, args.repeats + 1):
            t, weeks = one_run(n, seed, space)
            times.append(t)
        med = statistics.median(times)
        per_fw[n] = med / (n * weeks)
        print(
            f"{n:>8} {med:>9.3f} {min(times):>7.3f} {weeks / med:>8.1f} {n * weeks / med:>15,.0f}"
        )
    ratio = per_fw[10000] / per_fw[1000]
    print(f"cost per farmer-week at 10,000 / at 1,000: {ratio:.2f} (target <= 1.5)")
    core_v2_vs_legacy(args.repeats)


def cpu_per_run(config: object, repeats: int) -> float:
    """Median CPU seconds of one 52-week run as a sweep runs it (a shared space, no series,
    farmers as arrays), over ``repeats`` seeds after one warm-up run."""
    space = outcome_space(resolve_config(config))
    kw = {"space": space, "collect_series": False, "farmer_agents": False}
    TradeTalksModel(config=config, rng=0, **kw).run()
    times = []
    for seed in range(1, repeats + 1):
        t0 = time.process_time()
        TradeTalksModel(config=config, rng=seed, **kw).run()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def core_v2_vs_legacy(repeats: int) -> None:
    """CPU of a core-v2 baseline run against the first version's model (issue 11: ≤ 2×)."""
    legacy = shipped_config("legacy/clock_v1")
    v2, v1 = cpu_per_run(BASELINE, repeats * 3), cpu_per_run(legacy, repeats * 3)
    print(
        f"CPU per run: core v2 {v2:.3f} s, first version {v1:.3f} s,"
        f" ratio {v2 / v1:.2f} (target <= 2)"
    )


if __name__ == "__main__":
    main()
