"""Core v2's frontier and screening offer search on the factored space (sim/factored_v2.py,
issue 13), against enumeration where enumeration is possible.

1. The baseline's week-0 projection (7 issues, 97,999 outcomes; the hostage term) and the
   two scenarios with jointly valued issues and anticipated disputes: candidates kept by
   the merge, time of the factored search against valuing every outcome and taking the
   frontier, and that both give the same frontier.
2. The same projection with ``--extra`` more issues of 5 levels (default 5: 12 issues,
   762,048,000 outcomes), valued intrinsically (each side's table times a weight, drawn
   once with numpy seed 12; assumption: a benchmark, not a model), where enumeration would
   need about 6 GB per value column: the frontier of (V_us, V_china) this round and the
   US's offer search (its values at the next round against China's this round), time and
   peak traced memory.
3. With ``--check`` added issues (default 2: 9 issues, 3,527,999 outcomes), the frontier from
   a product never enumerated against the enumerated space's.
4. A core-v2 round's outcomes (``factored_rounds.round_outcomes``: both sides, this round and
   the next, the offer set, own win-set and available outcomes) on part 2's product, with the
   baseline's bodies and every chapter ready, against the same on the baseline's 7 issues
   at its first round: time and outcomes covered.

    .venv/bin/python benchmarks/bench_factored_v2.py [--repeats 3] [--extra 5] [--check 2]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline", "scenarios/implementation", "scenarios/enforcement_anticipated")
EXTRA_LEVELS = 5  # levels of each added issue
EXTRA_WEIGHT = 0.1  # scale of an added issue's intrinsic value (assumption: a benchmark)
SEED = 12  # numpy seed of the added issues' tables


def _week0(name: str):
    """(the enumerated space, week 0's valuation) of a shipped config, seed from its file."""
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate
    from tradetalks.sim.spaces import outcome_space

    from tradetalks.commands import space as sp

    cfg = resolve_config(locate(name))
    return cfg, outcome_space(cfg), sp.week0(cfg, cfg.run.seed).valuation


def _best_of(repeats: int, fn) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def shipped(repeats: int) -> None:
    """Part 1: the factored search against enumeration on the shipped 7-issue space."""
    from tradetalks.sim import factored_v2 as f2
    from tradetalks.sim.analysis import pareto_mask

    print(f"1. 7 issues, 97,999 outcomes: factored frontier vs enumerated (best of {repeats})")
    for name in SCENARIOS:
        _, space, val = _week0(name)
        us, cn = f2.Term(val, "us"), f2.Term(val, "china")

        def enumerated(space=space, val=val):
            val._cache.clear()
            if val.hostage is not None:
                val.hostage._cache.clear()
            return np.flatnonzero(
                pareto_mask(val.utility("us", space), val.utility("china", space))
            )

        t_enum, front = _best_of(repeats, enumerated)
        t_fact, got = _best_of(
            repeats, lambda space=space, us=us, cn=cn: f2.frontier(space, us, cn)
        )
        c = f2.candidates(space, (us, cn))
        print(
            f"  {name}: {len(c.index):,} candidates, frontier {len(front)} points, "
            f"same: {np.array_equal(front, got)}; factored {t_fact * 1e3:.0f} ms, "
            f"enumerated {t_enum * 1e3:.0f} ms (factored/enumerated {t_fact / t_enum:.2f})"
        )


def _extended(extra: int):
    """The baseline's week-0 valuation on its issues plus ``extra`` drawn ones."""
    from tradetalks.sim.factored_v2 import Product
    from tradetalks.sim.issues import Issue

    cfg, space, val = _week0("baseline")
    rng = np.random.default_rng(SEED)
    issues, gains = list(space.issues), {s: list(val.gains[s]) for s in ("us", "china")}
    for k in range(extra):
        up = np.concatenate([[0.0], np.sort(rng.random(EXTRA_LEVELS - 2)), [1.0]])
        us, cn = (up, up[::-1]) if k % 2 == 0 else (up[::-1], up)
        levels = tuple(map(str, range(EXTRA_LEVELS)))
        concedes = "china" if k % 2 == 0 else "us"
        issues.append(Issue(f"extra_{k}", levels, 0, concedes, True, {"us": us, "china": cn}, {}))
        for side, table in (("us", us), ("china", cn)):
            gains[side].append(EXTRA_WEIGHT * (table - table[0]))
    hostage = val.hostage
    if hostage is not None:
        cuts = (*hostage.us_cut, *(np.zeros(EXTRA_LEVELS) for _ in range(extra)))
        hostage = replace(hostage, us_cut=cuts, _cache={})
    g = {s: tuple(v) for s, v in gains.items()}
    val = replace(val, gains=g, gains_next=g, hostage=hostage, _cache={})
    product = Product.build(issues, cfg.protocol.allow_interim, cfg.protocol.min_issues_in_deal)
    return product, val


def extended(repeats: int, extra: int) -> None:
    """Part 2: the search on a space too large to enumerate."""
    from tradetalks.sim import factored_v2 as f2

    product, val = _extended(extra)
    size = int(np.prod([len(c) for c in product.choices], dtype=np.int64))
    print(
        f"2. {len(product.issues)} issues, {size:,} outcomes (enumerated: about "
        f"{size * 8 / 1e9:.1f} GB per value column)"
    )
    for label, terms in (
        ("frontier of (V_us, V_china)", (f2.Term(val, "us"), f2.Term(val, "china"))),
        (
            "US offer search (V_us next round vs V_china)",
            (f2.Term(val, "us", True), f2.Term(val, "china")),
        ),
    ):
        t, c = _best_of(repeats, lambda terms=terms: f2.candidates(product, terms))
        tracemalloc.start()  # a pass of its own: tracing slows Python several times
        f2.candidates(product, terms)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(
            f"  {label}: {len(c.index):,} candidates in {t * 1e3:.1f} ms, peak traced {peak:.0f} MB"
        )


def checked(extra: int) -> None:
    """Part 3: with ``extra`` added issues, small enough to enumerate, the same frontier."""
    from tradetalks.sim import factored_v2 as f2
    from tradetalks.sim.analysis import pareto_mask
    from tradetalks.sim.issues import OutcomeSpace

    product, val = _extended(extra)
    space = OutcomeSpace(list(product.issues), allow_interim=True, min_issues=product.min_issues)
    us, cn = f2.Term(val, "us"), f2.Term(val, "china")
    t = time.perf_counter()
    front = np.flatnonzero(pareto_mask(us.values(space), cn.values(space)))
    t_enum = time.perf_counter() - t
    t = time.perf_counter()
    got = f2.frontier(product, us, cn)
    t_fact = time.perf_counter() - t
    print(
        f"3. {len(product.issues)} issues, {len(space):,} outcomes, enumerated as the oracle: "
        f"frontier {len(front)} points, same: {np.array_equal(front, got)}; factored "
        f"{t_fact * 1e3:.0f} ms (never enumerated), enumerated {t_enum:.1f} s"
    )


class _AllReady:
    """Chapters as ``round_outcomes`` reads them, every one ready and none legislative: the
    model's ``Chapters`` holds masks over an enumerated space, which part 4 has not."""

    def __init__(self, n_issues: int) -> None:
        self.n_issues = n_issues

    def ready(self, date) -> np.ndarray:
        return np.ones(self.n_issues, dtype=bool)

    def legislative(self, side: str) -> np.ndarray:
        return np.zeros(1, dtype=bool)


def round_at_scale(repeats: int, extra: int) -> None:
    """Part 4: a core-v2 round's outcomes on a product of 7 + ``extra`` issues."""
    from types import SimpleNamespace

    from tradetalks.sim import factored_rounds as fr
    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    model = TradeTalksModel(resolve_config(locate("baseline")), rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    args = (neg.ratifiers, neg.chapters, model.indicators(), {}, model.date, [])
    t7, got7 = _best_of(repeats, lambda: fr.round_outcomes(model.space, neg.teams, *args))
    product, val = _extended(extra)
    teams = {s: SimpleNamespace(valuation=val, observed=val) for s in ("us", "china")}
    wide = (neg.ratifiers, _AllReady(len(product.issues)), model.indicators(), {}, None, [])
    t12, got12 = _best_of(repeats, lambda: fr.round_outcomes(product, teams, *wide))
    print(
        f"4. a round's outcomes: {len(model.space.issues)} issues (the baseline's first round) "
        f"{len(got7)} outcomes in {t7 * 1e3:.0f} ms; {len(product.issues)} issues (week 0's "
        f"values, every chapter ready) {len(got12)} outcomes in {t12 * 1e3:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    """Print the four parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--extra", type=int, default=5, help="issues added in part 2")
    parser.add_argument("--check", type=int, default=2, help="issues added in part 3")
    args = parser.parse_args(argv)
    shipped(args.repeats)
    extended(args.repeats, args.extra)
    checked(args.check)
    round_at_scale(args.repeats, args.extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
