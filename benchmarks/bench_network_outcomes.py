"""Benchmark: the baseline's first deals on the vectorised farm network against networkx's.

    .venv/bin/python benchmarks/bench_network_outcomes.py [--seeds 200] [--aid-scale 1]
        [--workers 2] [--out JSON]

Issue 13 replaced ``networkx.watts_strogatz_graph`` by the generator of
``agents/small_world.py`` (same model, other draws), and asks that the baseline's deal-week and
terms distributions stay indistinguishable. Each seed runs the baseline to its first deal
twice: with the shipped generator, and with networkx's graph on the same integer the
``farmers`` stream draws for the network (the model before the switch). Only the edges
differ: the farms' traits and every other stream are the same, so the runs pair by seed.
``--aid-scale 3`` runs both arms with farm aid ×3, where the farm channel moves the first deal
by weeks (docs/MODEL.md §10), so the farms' network has something to move.

Prints how far the farms' acreage-weighted approval at the run's end (its first deal's week)
moved with the network, to show that the networks differ where they act; the seeds whose
first deal is the same (week, and week and terms); two-sample tests of the first-deal week
(Mann–Whitney U, log-rank) and of each issue's agreed level (chi-square on the runs with a
deal); and the paired RMST(52) difference with its 95% bootstrap interval and a TOST within
±1 week (90% interval), the margin issue 11 uses for the farmer count. Not a test: 200 seeds
take about 16 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import stats
from tradetalks.agents import farm_population
from tradetalks.experiments import paired
from tradetalks.experiments.runtime import limit_blas
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import baseline
from tradetalks.sim.spaces import outcome_space

ARMS = ("numpy", "networkx")  # the shipped generator first, then the one it replaced
TAU = 52  # RMST horizon, weeks: the baseline's run
MARGIN = 1.0  # weeks: issue 11's equivalence margin for the farmer count, reused here
SHIPPED = farm_population.watts_strogatz_edges


def networkx_edges(n: int, k: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """The edges ``networkx.watts_strogatz_graph`` drew before issue 13: the same integer
    seed, read back from the generator the model seeds with it."""
    seed = int(rng.bit_generator.seed_seq.entropy)
    return farm_population.edge_array(nx.watts_strogatz_graph(n, k, p, seed=seed))


@cache
def _setup(aid_scale: float) -> tuple[Any, Any]:
    """The baseline (farm aid × ``aid_scale``) and its outcome space, once per worker."""
    limit_blas()
    cfg = resolve_config(baseline(), {"farm_politics.aid_scale": aid_scale})
    return cfg, outcome_space(cfg)


def run_first_deal(arm: str, seed: int, aid_scale: float = 1.0) -> dict[str, Any]:
    """One baseline run on ``arm``'s network to its first deal: the week and the terms."""
    cfg, space = _setup(aid_scale)
    farm_population.watts_strogatz_edges = networkx_edges if arm == "networkx" else SHIPPED
    try:
        model = TradeTalksModel(
            config=cfg, rng=seed, space=space, collect_series=False, farmer_agents=False
        )
        while model.running and not model.negotiation.deals:
            model.step()
    finally:
        farm_population.watts_strogatz_edges = SHIPPED
    deals, approval = model.negotiation.deals, float(model.farmers.acreage_approval)
    if not deals:
        return {"seed": seed, "week": None, "terms": {}, "approval": approval}
    week, terms = int(deals[0].week), dict(deals[0].terms)
    return {"seed": seed, "week": week, "terms": terms, "approval": approval}


def _terms_tests(runs: Mapping[str, list[dict]]) -> dict[str, dict[str, Any]]:
    """Per issue: chi-square of the agreed level (arm × level) over the runs with a deal."""
    issues = sorted({i for arm in ARMS for r in runs[arm] for i in r["terms"]})
    out = {}
    for issue in issues:
        counts = {arm: {} for arm in ARMS}
        for arm in ARMS:
            for r in runs[arm]:
                if r["week"] is not None:
                    level = str(r["terms"].get(issue, "left open"))
                    counts[arm][level] = counts[arm].get(level, 0) + 1
        levels = sorted(set(counts[ARMS[0]]) | set(counts[ARMS[1]]))
        table = np.array([[counts[arm].get(lv, 0) for lv in levels] for arm in ARMS])
        p = 1.0 if len(levels) < 2 else float(stats.chi2_contingency(table).pvalue)
        out[issue] = {"levels": levels, "counts": table.tolist(), "p": p}
    return out


def compare(runs: Mapping[str, list[dict]], seed: int = 0) -> dict[str, Any]:
    """The paired and two-sample comparisons of the two arms' first deals."""
    a, b = (paired.first_deal_weeks([r["week"] for r in runs[arm]]) for arm in ARMS)
    same_week = sum(x == y for x, y in zip(a, b, strict=True))
    same_deal = sum(
        ra["week"] == rb["week"] and ra["terms"] == rb["terms"]
        for ra, rb in zip(runs[ARMS[0]], runs[ARMS[1]], strict=True)
    )
    rng = np.random.default_rng(seed)

    def stat(w: np.ndarray) -> float:
        return paired.rmst(w, TAU)

    effect = paired.paired_bootstrap(a, b, stat, rng)
    tost = paired.paired_bootstrap(a, b, stat, rng, level=0.90)
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    mwu = stats.mannwhitneyu(fa, fb, alternative="two-sided") if len(fa) and len(fb) else None
    chi2, p_lr = paired.logrank(a, b)
    moved = np.abs([ra["approval"] - rb["approval"] for ra, rb in zip(*runs.values(), strict=True)])
    return {
        "approval_moved": {"max": float(moved.max()), "mean": float(moved.mean())},
        "n": len(a),
        "same_week": int(same_week),
        "same_week_and_terms": int(same_deal),
        "rmst": {arm: stat(w) for arm, w in zip(ARMS, (a, b), strict=True)},
        "rmst_difference": {"estimate": effect.estimate, "low": effect.low, "high": effect.high},
        "tost_90": {"low": tost.low, "high": tost.high, "within_1_week": tost.within(MARGIN)},
        "mann_whitney_p": None if mwu is None else float(mwu.pvalue),
        "logrank": {"chi2": chi2, "p": p_lr},
        "no_deal": {arm: int(np.isinf(w).sum()) for arm, w in zip(ARMS, (a, b), strict=True)},
        "terms": _terms_tests(runs),
    }


def _print(res: Mapping[str, Any], aid_scale: float) -> None:
    d, t = res["rmst_difference"], res["tost_90"]
    print(f"baseline (farm aid ×{aid_scale:g}), seeds 1..{res['n']}, first deal: shipped "
          "generator vs networkx (paired)")  # fmt: skip
    mv = res["approval_moved"]
    print(f"  farms' approval at the run's end, |networkx − numpy|: mean {mv['mean']:.2e}, "
          f"max {mv['max']:.2e}")  # fmt: skip
    print(f"  same first-deal week: {res['same_week']} of {res['n']}; same week and terms: "
          f"{res['same_week_and_terms']}")  # fmt: skip
    print(f"  RMST({TAU}) weeks: numpy {res['rmst']['numpy']:.3f}, networkx "
          f"{res['rmst']['networkx']:.3f}; networkx − numpy {d['estimate']:+.3f} "
          f"[{d['low']:+.3f}, {d['high']:+.3f}] (95%)")  # fmt: skip
    print(f"  TOST: 90% interval [{t['low']:+.3f}, {t['high']:+.3f}] within ±{MARGIN:g} week: "
          f"{t['within_1_week']}")  # fmt: skip
    mwu = res["mann_whitney_p"]
    print(f"  first-deal week, Mann–Whitney U p = {math.nan if mwu is None else mwu:.3f}; "
          f"log-rank χ² = {res['logrank']['chi2']:.2f}, p = {res['logrank']['p']:.3f}; "
          f"no deal: {res['no_deal']}")  # fmt: skip
    print("  terms of the first deal, chi-square per issue (arm × level):")
    for issue, x in res["terms"].items():
        print(f"    {issue:<14} p = {x['p']:.3f}  levels {len(x['levels'])}")


def main() -> None:
    """Command line: run both arms on the seeds, print and optionally save the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds 1..N (default 200)")
    parser.add_argument("--aid-scale", type=float, default=1.0, help="farm aid × (default 1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the comparison and the runs as JSON")
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error("--seeds needs at least 2")
    seeds = list(range(1, args.seeds + 1))
    jobs = [(arm, s, args.aid_scale) for arm in ARMS for s in seeds]
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            done = list(pool.map(run_first_deal, *zip(*jobs, strict=True), chunksize=10))
    else:
        done = [run_first_deal(*job) for job in jobs]
    runs = {arm: done[i * len(seeds) : (i + 1) * len(seeds)] for i, arm in enumerate(ARMS)}
    res = compare(runs)
    _print(res, args.aid_scale)
    if args.out:
        out = {"aid_scale": args.aid_scale, "comparison": res, "runs": runs}
        args.out.write_text(json.dumps(out, indent=1) + "\n")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
