"""Benchmark: CPU of a core-v2 baseline run against the model as it was when issue 11 was
filed (commit 5df4a26, the first version's baseline), measured side by side.

    .venv/bin/python benchmarks/bench_cpu_vs_filing.py [--pairs 4] [--seeds 15]

Issue 11 asks that a v2 run cost at most 2x "today's" CPU, today being the day it was filed.
The script checks that commit out into a temporary git worktree, and runs each model in its
own interpreter (the old tree's top-level packages on PYTHONPATH), alternating old and new
``--pairs`` times.  Each block is the median CPU time (``time.process_time``) of ``--seeds``
52-week baseline runs after one warm-up run, as a sweep runs them: the config resolved once,
one shared outcome space, no weekly series, farmers as arrays.  ``benchmarks/bench_model.py``
compares with the first version's config (configs/legacy/clock_v1.toml) on today's code,
which has itself become faster since.  Not a test: timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILED = "5df4a26"  # issue 11 was filed against this commit (28 Nov 2026)
TARGET = 2.0  # issue 11: a v2 run at most 2x the CPU of the filing day's

TIMING = """
import statistics, sys, time
seeds = int(sys.argv[1])
def runs(make):
    make(0).run()
    times = []
    for s in range(1, seeds + 1):
        t0 = time.process_time()
        make(s).run()
        times.append(time.process_time() - t0)
    print(statistics.median(times))
"""
OLD = (
    TIMING
    + """
from sim.model import TradeTalksModel
from sim.scenario import resolve_config
cfg = resolve_config(sys.argv[2] + "/configs/baseline.toml")
runs(lambda s: TradeTalksModel(config=cfg, rng=s, collect_series=False, farmer_agents=False))
"""
)
NEW = (
    TIMING
    + """
from tradetalks.sim.spaces import outcome_space
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import baseline
cfg = resolve_config(baseline())
kw = {"space": outcome_space(cfg), "collect_series": False, "farmer_agents": False}
runs(lambda s: TradeTalksModel(config=cfg, rng=s, **kw))
"""
)


def median_cpu(code: str, seeds: int, cwd: Path, env: dict[str, str] | None = None) -> float:
    """Run ``code`` in a fresh interpreter; the median CPU seconds it prints."""
    out = subprocess.run(
        [sys.executable, "-c", code, str(seeds), str(cwd)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Check out the filing commit, alternate old and new blocks, print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--seeds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = Path(tmp) / "filed"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "-q", "--detach", str(old_tree), FILED], check=True
        )
        try:
            env = {"PYTHONPATH": str(old_tree), "PATH": "/usr/bin:/bin"}
            ratios = []
            for i in range(args.pairs):
                old = median_cpu(OLD, args.seeds, old_tree, env)
                new = median_cpu(NEW, args.seeds, ROOT)
                ratios.append(new / old)
                print(f"pair {i + 1}: filed {old:.4f} s, v2 now {new:.4f} s, ratio {new / old:.2f}")
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(old_tree)], check=True)
    print(
        f"median ratio {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f};"
        f" target <= {TARGET:g})"
    )


if __name__ == "__main__":
    main()
