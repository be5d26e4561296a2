"""Benchmark: the figures of issue 13 (population scale, start-up, run cost), each beside the
reference it is judged against, measured in the same invocation.

    .venv/bin/python benchmarks/bench_scale.py [--farmers 300000] [--repeats 5] [--quick] [--all]
    .venv/bin/python benchmarks/bench_scale.py --budget 20    # where a warm run's time goes

Prints one line per figure: what was measured, the value, the reference measured here, their
ratio and the issue's target. CPU times are process CPU (``time.process_time``) so that other
load on the machine inflates them less than wall times; start-up figures are wall times of
whole processes (what a user waits for). Peak memory is the child process's maximum resident
set (``ru_maxrss``). The other figures of issue 13 have their own scripts (``OTHERS``), named at
the end; ``--all`` runs each of them after these figures and prints its output under the
command that reproduces it, each with its own reference measured in the same run (about 14
minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WEEKS = 52
SMALL = 1_000  # the baseline's farmer count: the reference for the farmers' share of a run
# one child process per measurement: its own interpreter, BLAS pinned to one thread as in
# every entry point (experiments.runtime.limit_blas), peak memory its own
CHILD_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}

MODEL_RUN = """
import json, resource, sys, time
from tradetalks.experiments.runtime import limit_blas
limit_blas()
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.shipped import baseline
t0 = time.process_time()
m = TradeTalksModel(baseline(), rng=1, overrides={"world.farmers.count": int(sys.argv[1])},
                    collect_series=False, farmer_agents=False)
built = time.process_time()
m.run()
done = time.process_time()
print(json.dumps({"build": built - t0, "run": done - built,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

KERNEL = """
import json, resource, sys, time
import numpy as np
from scipy import sparse
from tradetalks.experiments.runtime import limit_blas
limit_blas()
from tradetalks.agents.small_world import watts_strogatz_edges
from tradetalks.sim.config import load_config
from tradetalks.sim.shipped import baseline
f = load_config(baseline()).world.farmers  # the model's coefficients, the model's arithmetic
n, weeks = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
t0 = time.process_time()
edges = watts_strogatz_edges(n, min(f.network.k, n - 1), f.network.p, rng)
rows = np.concatenate([edges[:, 0], edges[:, 1]])
cols = np.concatenate([edges[:, 1], edges[:, 0]])
deg = np.bincount(rows, minlength=n).astype(float)
a = sparse.csr_array((1.0 / np.maximum(deg, 1.0)[rows], (rows, cols)), shape=(n, n))
size = rng.lognormal(f.size_log_mean, f.size_log_sd, n)
soy, debt = rng.beta(f.soy_share_alpha, f.soy_share_beta, n), rng.beta(f.debt_alpha, f.debt_beta, n)
leaning, aid = rng.normal(f.leaning_mean, f.leaning_sd, n), np.zeros(n)
share = size / size.sum()
approval = 1 / (1 + np.exp(-leaning))
built = time.process_time()
for week in range(weeks):
    price = 0.8 + 0.2 * week / weeks  # any price path: the arithmetic is the same
    welfare = (1.0 - soy) + soy * price + aid
    amplified = np.clip(1.0 - welfare, 0.0, None) * (1.0 + f.debt_amplification * debt)
    distress = np.clip(amplified, 0.0, 1.0)
    target = 1 / (1 + np.exp(-(leaning + f.welfare_response * (welfare - 1.0))))
    social = a @ approval
    approval = np.clip(approval + f.own_adjustment * (target - approval)
                       + f.social_adjustment * (social - approval), 0.0, 1.0)
    stats = (approval.mean(), distress.mean(), share @ welfare, share @ approval)
done = time.process_time()
print(json.dumps({"build": built - t0, "run": done - built,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: object) -> dict:
    """Run ``code`` in a fresh interpreter and return the JSON it prints."""
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        env=CHILD_ENV,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall(cmd: list[str], repeats: int, env: dict[str, str] | None = None) -> float:
    """Median wall seconds of a whole command (interpreter start to exit)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env or CHILD_ENV, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def line(what: str, value: str, ref: str, ratio: float | None, target: str) -> None:
    """One figure, its reference, their ratio and the target."""
    r = "" if ratio is None else f"{ratio:5.2f}×"
    print(f"{what:<44} {value:>12}  vs {ref:<34} {r:>7}  target: {target}")


def population(n: int, repeats: int) -> None:
    """A lean model run with ``n`` farmers against a bare numpy kernel of the farmer week; the
    farmers' share is the difference from the same at ``SMALL`` farmers (the negotiation and
    the world cost the same at any population)."""
    cost = {}
    for size in (SMALL, n):
        runs = [child(MODEL_RUN, size) for _ in range(repeats)]
        kernels = [child(KERNEL, size, WEEKS) for _ in range(repeats)]
        cost[size] = (
            statistics.median(r["build"] + r["run"] for r in runs),
            statistics.median(k["build"] + k["run"] for k in kernels),
            statistics.median(r["rss_mb"] for r in runs),
            statistics.median(k["rss_mb"] for k in kernels),
        )
    model, kernel, rss, kernel_rss = cost[n]
    line(f"{n:,} farmers × {WEEKS} weeks, whole run (CPU s)", f"{model:.2f}",
         f"numpy kernel, same arithmetic {kernel:.2f}", model / kernel,
         "≤ 3× (about 2 s)")  # fmt: skip
    farm, bare = model - cost[SMALL][0], kernel - cost[SMALL][1]
    line(f"  the farmers' part (less a {SMALL:,}-farmer run)", f"{farm:.2f}",
         f"the kernel's, likewise {bare:.2f}", farm / bare if bare > 0 else None,
         "≤ 3×")  # fmt: skip
    line("  peak memory of that run (MB)", f"{rss:.0f}", f"kernel {kernel_rss:.0f}", None,
         "< 400 MB")  # fmt: skip


def warm_run(repeats: int) -> None:
    """CPU of a warm baseline run as a sweep runs it, beside the first version's model."""
    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import baseline, locate
    from tradetalks.sim.spaces import outcome_space

    cfgs = {"v2": resolve_config(baseline()), "v1": resolve_config(locate("legacy/clock_v1"))}
    kw = {k: {"space": outcome_space(c), "collect_series": False, "farmer_agents": False}
          for k, c in cfgs.items()}  # fmt: skip
    for k, c in cfgs.items():
        TradeTalksModel(config=c, rng=0, **kw[k]).run()  # warm: caches, first imports
    times: dict[str, list[float]] = {k: [] for k in cfgs}
    for seed in range(1, 3 * repeats + 1):  # interleaved, against the VM's drift
        for k, c in cfgs.items():
            t0 = time.process_time()
            TradeTalksModel(config=c, rng=seed, **kw[k]).run()
            times[k].append(time.process_time() - t0)
    v2, v1 = statistics.median(times["v2"]), statistics.median(times["v1"])
    line("warm baseline run, core v2 (CPU ms)", f"{v2 * 1e3:.0f}",
         f"first version's model {v1 * 1e3:.0f} ms", v2 / v1,
         "≤ 25 ms (issue 13); ≤ 2× the first version (issue 11)")  # fmt: skip


def start_up(repeats: int) -> None:
    """Wall time of the command line against bare interpreter start-up and ``import mesa``."""
    cli = [str(BIN / "tradetalks")]
    bare = wall([sys.executable, "-c", "pass"], repeats)
    mesa = wall([sys.executable, "-c", "import mesa"], repeats)
    for name, cmd in (
        ("tradetalks --help", [*cli, "--help"]),
        ("tradetalks validate baseline", [*cli, "validate", "configs/baseline.toml"]),
    ):
        t = wall(cmd, repeats)
        line(f"{name} (wall s)", f"{t:.2f}", f"python -c pass {bare:.2f}", t / bare, "< 0.5 s")
    t = wall([*cli, "run"], repeats)
    line("tradetalks run, cold (wall s)", f"{t:.2f}", f"python -c 'import mesa' {mesa:.2f}",
         t / mesa, "< 1 s")  # fmt: skip
    eager = wall([*cli, "run"], repeats, {**CHILD_ENV, "TRADETALKS_EAGER_IMPORTS": "1"})
    line("  the same, Mesa's unused modules eager", f"{eager:.2f}", f"lazy {t:.2f}",
         eager / t, "(reference: tradetalks/mesa_startup.py)")  # fmt: skip


# where a warm run's time goes (--budget): (label, module, attribute path), timed by wrapping
# each in place; nested entries are counted inside their callers too
BUDGET = (
    ("the whole run", "tradetalks.sim.model", "TradeTalksModel.run"),
    ("building the model (its first projection included)", "tradetalks.sim.model",
     "TradeTalksModel.__init__"),
    ("projections (sim/projector.py)", "tradetalks.sim.projector", "Projector.project"),
    ("  their paths, simulated (projector_paths.simulate)", "tradetalks.sim.projector_paths",
     "simulate"),
    ("  of which the farm groups' weekly loop", "tradetalks.sim.projector_paths", "farm_approval"),
    ("negotiation rounds (Negotiation.run_round)", "tradetalks.sim.protocol",
     "Negotiation.run_round"),
    ("  the screening belief (inside rounds and previews)", "tradetalks.agents.screening",
     "ScreeningStrategy.belief"),
    ("  the screening offer search (best_for)", "tradetalks.agents.screening", "best_for"),
    ("  views built for strategies", "tradetalks.sim.protocol", "Negotiation._view"),
    ("meeting requests: previews of a round", "tradetalks.sim.protocol", "Negotiation.preview"),
)  # fmt: skip


def budget(runs: int) -> None:
    """Wall time per warm baseline run (lean, as a sweep runs it) by part, and calls per run."""
    import importlib
    from collections import Counter, defaultdict

    from tradetalks.experiments.runtime import limit_blas
    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import baseline
    from tradetalks.sim.spaces import outcome_space

    limit_blas()
    spent: defaultdict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0
                calls[label] += 1

        return wrapper

    for label, module, path in BUDGET:
        *owners, name = path.split(".")
        owner: object = importlib.import_module(module)
        for part in owners:
            owner = getattr(owner, part)
        setattr(owner, name, timed(label, getattr(owner, name)))
    cfg = resolve_config(baseline())
    space = outcome_space(cfg)

    def run(seed: int) -> None:
        model = TradeTalksModel(
            config=cfg, rng=seed, space=space, collect_series=False, farmer_agents=False
        )
        model.run()

    run(0)  # warm
    spent.clear()
    calls.clear()
    t0 = time.perf_counter()
    for seed in range(1, runs + 1):
        run(seed)
    total = (time.perf_counter() - t0) / runs
    print(f"\nwhere a warm baseline run's time goes ({runs} seeds, wall ms per run, the timing "
          f"wrappers included: {total * 1e3:.1f} ms a run)")  # fmt: skip
    for label, _, _ in BUDGET:
        per_call = spent[label] / max(calls[label], 1) * 1e3
        print(f"  {label:<52} {spent[label] / runs * 1e3:7.1f} ms  {calls[label] / runs:7.1f} "
              f"calls  {per_call:7.3f} ms a call")  # fmt: skip


# issue 13's other figures: (what, the script and its arguments; --quick: shorter arguments)
OTHERS = (
    ("the factored space (12 issues x 5 levels) and a run on it, against the enumerated space",
     ["benchmarks/bench_space.py", "--repeats", "3"],
     ["benchmarks/bench_space.py", "--repeats", "1"]),
    ("core v2's frontier and offer search on the factored space (7 and 12 issues)",
     ["benchmarks/bench_factored_v2.py", "--repeats", "5"],
     ["benchmarks/bench_factored_v2.py", "--repeats", "1"]),
    ("core-v2 rounds on the factored path against the enumerated one (same decisions, CPU)",
     ["benchmarks/bench_factored_rounds.py", "--seeds", "50"],
     ["benchmarks/bench_factored_rounds.py", "--seeds", "2"]),
    ("core-v2 runs on a space never enumerated: the oracle, and 52 weeks on 12 issues",
     ["benchmarks/bench_lazy_space.py", "--seeds", "10", "--twelve-seeds", "10"],
     ["benchmarks/bench_lazy_space.py", "--seeds", "2", "--twelve-seeds", "2"]),
    ("the farm network generator against networkx (speed)",
     ["benchmarks/bench_network.py"], ["benchmarks/bench_network.py", "--quick"]),
    ("first deals on the new farm network against networkx's (200 seeds, two-sample tests)",
     ["benchmarks/bench_network_outcomes.py", "--seeds", "200"],
     ["benchmarks/bench_network_outcomes.py", "--seeds", "40"]),
    ("sweep throughput and worker memory against mesa.batch_run (the same runs)",
     ["benchmarks/bench_sweep.py", "--runs", "500", "--repeats", "3"],
     ["benchmarks/bench_sweep.py", "--runs", "100", "--repeats", "1"]),
)  # fmt: skip


def others(quick: bool) -> None:
    """Run the other scripts of issue 13, each output under the command that reproduces it."""
    for what, full, short in OTHERS:
        cmd = short if quick else full
        print(f"\n── {what}\n$ .venv/bin/python {' '.join(cmd)}", flush=True)
        out = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, cwd=ROOT)
        print(out.stdout.rstrip(), flush=True)
        if out.returncode != 0:
            print(f"(failed with exit code {out.returncode}: {out.stderr.strip()[-400:]})")


def main() -> None:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--farmers", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="30,000 farmers and 3 repeats")
    ap.add_argument("--all", action="store_true", help="also run issue 13's other benchmarks")
    ap.add_argument(
        "--budget", type=int, metavar="RUNS", help="only: where a warm run's time goes, by part"
    )
    args = ap.parse_args()
    if args.budget:
        budget(args.budget)
        return
    n, repeats = (30_000, 3) if args.quick else (args.farmers, args.repeats)
    print(f"issue 13 figures, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    population(n, repeats)
    warm_run(repeats)
    start_up(repeats)
    if args.all:
        others(args.quick)
        return
    print(
        "elsewhere (--all runs them): the factored space, 12 issues × 5 levels:"
        " benchmarks/bench_space.py; the network generator: benchmarks/bench_network.py (speed)"
        " and benchmarks/bench_network_outcomes.py (first deals); sweep throughput and worker"
        " memory against mesa.batch_run: benchmarks/bench_sweep.py"
    )


if __name__ == "__main__":
    main()
