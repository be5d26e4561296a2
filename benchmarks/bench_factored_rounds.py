"""Core-v2 rounds over the factored search's outcomes (sim/factored_rounds.py, issue 13)
against rounds over every available outcome, the oracle.

For each config and seed, one run on each path (``Negotiation.factored`` off and on) with
the same seed: whether every offer (week, round, proposer, outcome, acceptance, both values
to 12 decimals) and the run's summary are the same, the CPU time of each path, and the
available outcomes a factored round covered, and their share of those available (median
and largest; the history the round also covers left out).

    .venv/bin/python benchmarks/bench_factored_rounds.py [--seeds 50] [--config PATH ...]

Without ``--config``: the baseline for ``--seeds`` seeds, then every shipped scenario and
theory config on seeds 1 and 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DECIMALS = 12  # offers' values compared at this precision (as analysis.UTILITY_DECIMALS)
OTHER_SEEDS = (1, 2)  # seeds of the scenarios and theory configs


def _run(cfg, seed: int, factored: bool):
    """(summary JSON, offers, CPU seconds) of one run on one path."""
    from tradetalks.sim.model import TradeTalksModel

    model = TradeTalksModel(cfg, rng=seed, collect_series=False)
    model.negotiation.factored = factored
    start = time.process_time()
    summary = model.run()
    cpu = time.process_time() - start
    return (*record(model, summary), cpu)


def record(model, summary: dict) -> tuple[str, list]:
    """(summary JSON, offers) of a finished run: each offer's week, round, proposer,
    outcome, acceptance and both values to ``DECIMALS``."""
    offers = [
        (r.week, r.round_no, r.proposer, r.outcome, r.accepted,
         round(r.utility["us"], DECIMALS), round(r.utility["china"], DECIMALS))
        for r in model.negotiation.history
    ]  # fmt: skip
    return json.dumps(summary, sort_keys=True, default=str), offers


def _compare(path: Path, seeds, sizes: list[tuple[int, int]]) -> tuple[int, int, float, float]:
    """(seeds, seeds that differ, enumerated CPU, factored CPU) on one config."""
    from tradetalks.sim.protocol import Negotiation
    from tradetalks.sim.scenario import resolve_config

    cfg = resolve_config(path)
    original = Negotiation._factored_index

    def measured(self, date, extra):
        out = original(self, date, extra)
        if out is not None:
            sizes.append((int(self.available[out].sum()), int(self.available.sum())))
        return out

    Negotiation._factored_index = measured
    differ, t_enum, t_fact = 0, 0.0, 0.0
    try:
        for seed in seeds:
            a = _run(cfg, seed, False)
            b = _run(cfg, seed, True)
            t_enum, t_fact = t_enum + a[2], t_fact + b[2]
            if a[:2] != b[:2]:
                differ += 1
                print(f"  {path.name} seed {seed}: the paths differ", flush=True)
    finally:
        Negotiation._factored_index = original
    return len(seeds), differ, t_enum, t_fact


def main(argv: list[str] | None = None) -> int:
    """Print one line a config and the totals; exit 1 when any run differs."""
    from tqdm import tqdm

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=50, help="baseline seeds (1..N)")
    parser.add_argument("--config", action="append", type=Path, help="configs (repeatable)")
    args = parser.parse_args(argv)
    if args.config:
        jobs = [(p, range(1, args.seeds + 1)) for p in args.config]
    else:
        others = sorted((ROOT / "configs" / "scenarios").glob("*.toml"))
        others += sorted((ROOT / "configs" / "theory").glob("*.toml"))
        jobs = [(ROOT / "configs" / "baseline.toml", range(1, args.seeds + 1))]
        jobs += [(p, OTHER_SEEDS) for p in others]
    print(f"{'config':34} {'seeds':>5} {'differ':>6} {'enumerated s':>12} {'factored s':>10}")
    sizes: list[tuple[int, int]] = []
    total_differ = 0
    for path, seeds in tqdm(jobs, desc="configs", file=sys.stderr):
        n, differ, t_enum, t_fact = _compare(path, seeds, sizes)
        total_differ += differ
        tqdm.write(
            f"{path.stem:34} {n:>5} {differ:>6} {t_enum:>12.2f} {t_fact:>10.2f}", file=sys.stdout
        )
    if sizes:
        covered = [c for c, _ in sizes]
        share = [c / max(a, 1) for c, a in sizes]
        print(
            f"factored rounds: {len(sizes)}; available outcomes covered median "
            f"{statistics.median(covered):.0f}, max {max(covered)}; share of the available "
            f"median {statistics.median(share):.4f}, max {max(share):.4f}"
        )
    print(f"runs that differ: {total_differ}")
    return 1 if total_differ else 0


if __name__ == "__main__":
    sys.exit(main())
