"""Benchmark: the first deal with and without the implementation stage (issue 12, first part).

For the baseline and ``scenarios/implementation`` over the same seeds, prints how many runs
deal, the median week of the first deal, its US tariff terms and, with the stage, the share
of the purchases due that was delivered by the end of the run.

    .venv/bin/python benchmarks/bench_implementation.py [--seeds 30]
"""

from __future__ import annotations

import argparse
import collections
import statistics

from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import baseline, locate
from tradetalks.sim.spaces import outcome_space


def main() -> None:
    """Print one line per configuration."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    args = ap.parse_args()
    for name, path in (
        ("baseline", baseline()),
        ("implementation", locate("scenarios/implementation")),
    ):
        cfg = resolve_config(path)
        space = outcome_space(cfg)
        weeks, terms, shares = [], collections.Counter(), []
        for seed in range(1, args.seeds + 1):
            model = TradeTalksModel(cfg, rng=seed, space=space, collect_series=False)
            model.run()
            deals = model.negotiation.deals
            weeks.append(deals[0].week if deals else None)
            terms[deals[0].terms.get("us_tariffs", "left open") if deals else "no deal"] += 1
            st = model.world.state
            if st.ag_due_bn > 0:
                shares.append(st.ag_delivered_bn / st.ag_due_bn)
        dealt = [w for w in weeks if w is not None]
        median = statistics.median(dealt) if dealt else None
        delivered = f", delivered/due {statistics.mean(shares):.3f}" if shares else ""
        print(
            f"{name}: {len(dealt)}/{args.seeds} deal, median first week {median}, "
            f"US tariffs in the first deal {dict(terms)}{delivered}"
        )


if __name__ == "__main__":
    main()
