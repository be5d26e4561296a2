"""Core-v2 runs on a space never enumerated (sim/lazy_space.py, issue 13).

1. The oracle: each config and seed run on its enumerated space (the model's default path)
   and on the same space never enumerated; whether every offer (week, round, proposer,
   outcome, acceptance, both values to 12 decimals) and the summary are the same, and the
   CPU time of each.  The baseline (7 issues, 97,999 outcomes) and baseline_9.toml (9
   issues, 1,567,999 outcomes: the extra issues of the 12-issue config, cut to 3 levels).
2. The 12-issue baseline (benchmarks/configs/baseline_12.toml, 762,048,000 outcomes, which no
   enumerated space could hold): CPU of a 52-week run (median and largest over the seeds)
   against the issue's target (under 1 s) and as a ratio to the baseline's enumerated run
   measured here, and the peak memory of a fresh process building and running one.

    .venv/bin/python benchmarks/bench_lazy_space.py [--seeds 10] [--twelve-seeds 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_factored_rounds import record  # the same offers compared (this folder is on the path)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "configs" / "baseline.toml"
NINE = ROOT / "benchmarks" / "configs" / "baseline_9.toml"
TWELVE = ROOT / "benchmarks" / "configs" / "baseline_12.toml"
NINE_SEEDS = 3  # the 9-issue oracle's seeds (its enumerated runs take 1-2 s each)
TARGET_S = 1.0  # issue 13: a 52-week run on the 12-issue space under 1 s
PEAK = """
import resource, sys
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
TradeTalksModel(resolve_config(sys.argv[1]), rng=1, collect_series=False).run()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _lazy(cfg):
    """``cfg``'s space never enumerated, whatever its size."""
    from tradetalks.sim.issues import issues_from_config, space_key
    from tradetalks.sim.lazy_space import LazySpace

    p = cfg.protocol
    return LazySpace(
        issues_from_config(cfg), p.allow_interim, p.min_issues_in_deal, key=space_key(cfg)
    )


def _run(cfg, seed: int, space=None) -> tuple[str, list, float]:
    """(summary JSON, offers, CPU seconds) of one run (``space``: given, else the model's)."""
    from tradetalks.sim.model import TradeTalksModel

    start = time.process_time()
    model = TradeTalksModel(cfg, rng=seed, space=space, collect_series=False)
    summary = model.run()
    cpu = time.process_time() - start
    return (*record(model, summary), cpu)


def oracle(path: Path, seeds: range) -> tuple[int, list[float], list[float]]:
    """(runs that differ, enumerated CPU per run, never-enumerated CPU per run)."""
    from tradetalks.sim.issues import OutcomeSpace, issues_from_config, space_key
    from tradetalks.sim.scenario import resolve_config

    cfg = resolve_config(path)
    p = cfg.protocol
    space = OutcomeSpace(
        issues_from_config(cfg), p.allow_interim, p.min_issues_in_deal, key=space_key(cfg)
    )
    lazy = _lazy(cfg)
    differ, t_enum, t_lazy = 0, [], []
    for seed in seeds:
        a, b = _run(cfg, seed, space), _run(cfg, seed, lazy)
        t_enum.append(a[2])
        t_lazy.append(b[2])
        if a[:2] != b[:2]:
            differ += 1
            print(f"  {path.name} seed {seed}: the spaces' runs differ", flush=True)
    return differ, t_enum, t_lazy


def twelve(seeds: range) -> list[float]:
    """CPU seconds of each 52-week run of the 12-issue baseline (its space built once)."""
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.spaces import outcome_space

    cfg = resolve_config(TWELVE)
    space = outcome_space(cfg)
    return [_run(cfg, seed, space)[2] for seed in seeds]


def peak_mb(path: Path) -> float:
    """Peak resident memory (MB) of a fresh process building and running ``path`` once."""
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print the oracle's and the 12-issue runs' figures; exit 1 when a run differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="baseline oracle seeds (1..N)")
    parser.add_argument("--twelve-seeds", type=int, default=10, help="12-issue runs (1..N)")
    args = parser.parse_args(argv)
    cmd = "    .venv/bin/python benchmarks/bench_lazy_space.py"
    print(f"{cmd} --seeds {args.seeds} --twelve-seeds {args.twelve_seeds}\n")
    # first, while this process is small: a child's peak counts its parent's at the fork
    peak = peak_mb(TWELVE)
    print(f"{'config':14} {'runs':>4} {'differ':>6} {'enumerated s/run':>16} {'never s/run':>11}")
    total = 0
    reference = []
    for path, seeds in ((BASELINE, range(1, args.seeds + 1)), (NINE, range(1, NINE_SEEDS + 1))):
        differ, t_enum, t_lazy = oracle(path, seeds)
        total += differ
        reference = reference or t_enum
        print(
            f"{path.stem:14} {len(seeds):>4} {differ:>6} {statistics.median(t_enum):>16.3f} "
            f"{statistics.median(t_lazy):>11.3f}",
            flush=True,
        )
    cpu = twelve(range(1, args.twelve_seeds + 1))
    ref = statistics.median(reference)
    med = statistics.median(cpu)
    print(
        f"\n12 issues (762,048,000 outcomes), {len(cpu)} runs of 52 weeks: CPU median "
        f"{med:.3f} s, max {max(cpu):.3f} s (target < {TARGET_S:.0f} s: "
        f"{'met' if max(cpu) < TARGET_S else 'not met'}); "
        f"{med / ref:.1f}x the baseline's enumerated run ({ref:.3f} s)"
    )
    print(f"peak memory of one 12-issue run in a fresh process: {peak:.0f} MB")
    print(f"runs that differ: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
