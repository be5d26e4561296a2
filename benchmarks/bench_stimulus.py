"""Benchmark: issue 12's two projector switches, each on against off over common seeds.

``--mode stimulus`` (default): ``scenarios/pboc`` with ``valuation.rrr_per_path`` (the PBoC's
reserve rule applied on each projected path) against the RRR held at the snapshot's value on
every path; values read for China.  ``--mode disputes``: ``scenarios/enforcement`` with
``valuation.anticipate_disputes`` against without; values read for the US.

1. *Values*: at the snapshot of the round of the first deal in the "off" arm (the last
   projection before it), both projectors value the same state: the side's walk-away value
   r, its gain G = V(x) − r from the deal signed, and its mean gain over every outcome.
2. *Outcomes*: the first-deal week of each arm (RMST to week 52, a run without a deal counted
   as 52), the share with a deal by week 52, and (disputes) the runs with a dispute or an
   unravelling and the first deals waiving China's soybean tariffs.

Each effect is on − off with a 95% paired-bootstrap interval over seeds.

    .venv/bin/python benchmarks/bench_stimulus.py [--mode stimulus|disputes] [--seeds 100]
        [--workers 1] [--json F]
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

MODES = {  # mode: (scenario, switch, side whose values are read)
    "stimulus": ("scenarios/pboc", "rrr_per_path", "china"),
    "disputes": ("scenarios/enforcement", "anticipate_disputes", "us"),
}
WAIVED = ("waive farm tariffs", "full rollback")  # China's levels lifting its soybean tariff
TAU = 52.0  # RMST horizon, weeks (the run's length)
COUNTED = ("disputes", "unravelled", "waived")  # runs with any; waived: the first deal's term
BOOTSTRAP_RESAMPLES = 4999
BOOTSTRAP_SEED = 20191213  # the Phase One announcement date: any fixed seed would do


def _arms(mode: str) -> dict[str, Any]:
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    scenario, switch, _ = MODES[mode]
    cfg = resolve_config(locate(scenario))
    return {
        arm: cfg.model_copy(update={"valuation": cfg.valuation.model_copy(update={switch: on})})
        for arm, on in (("on", True), ("off", False))
    }


def _run(cfg: Any, seed: int, record: bool) -> tuple[Any, list]:
    """One run; with ``record``, the (snapshot, gap) of every projection before a deal."""
    from bench_fulfilment import run_recording  # benchmarks/ is on sys.path when run

    return run_recording(cfg, seed, record)


def one_seed(job: tuple[str, int]) -> dict[str, Any]:
    """Both arms for one (mode, seed), and both projectors at the "off" arm's deal round."""
    from tradetalks.sim.projector import Projector

    mode, seed = job
    side = MODES[mode][2]
    arms, out = _arms(mode), {"seed": seed}
    for name, cfg in arms.items():
        model, seen = _run(cfg, seed, record=name == "off")
        deals = model.negotiation.deals
        out[f"{name}_deal_week"] = deals[0].week if deals else None
        out[f"{name}_waived"] = bool(deals) and deals[0].terms.get("cn_tariffs") in WAIVED
        out[f"{name}_disputes"] = len(model.monitor.disputes)
        out[f"{name}_unravelled"] = len(model.monitor.unravelled)
        if name == "off" and deals and seen:
            snap, gap = seen[-1]
            space = model.space
            x = deals[0].outcome
            for arm, acfg in arms.items():
                val = Projector(acfg, space).project(snap, gap=gap)
                g = val.gain(side, space)
                out[f"val_{arm}_r"] = float(val.r[side])
                out[f"val_{arm}_gain_signed"] = float(g[x])
                out[f"val_{arm}_gain_mean"] = float(g.mean())
    return out


def interval(diff: np.ndarray) -> tuple[float, float, float]:
    """Mean of paired differences and its percentile-bootstrap interval."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(diff), size=(BOOTSTRAP_RESAMPLES, len(diff)))
    boot = diff[idx].mean(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return float(diff.mean()), float(lo), float(hi)


def _rmst_effect(rows: list[dict]) -> dict[str, Any]:
    """RMST to TAU and the share with a deal by TAU, on − off, paired bootstrap."""
    from tradetalks.experiments.paired import first_deal_weeks, paired_bootstrap, rmst, share_by

    off = first_deal_weeks([r["off_deal_week"] for r in rows])
    on = first_deal_weeks([r["on_deal_week"] for r in rows])
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    out = {}
    for name, stat in (
        ("rmst", lambda w: rmst(w, TAU)),
        ("share_by_52", lambda w: share_by(w, TAU)),
    ):
        eff = paired_bootstrap(off, on, stat, rng, n_boot=BOOTSTRAP_RESAMPLES)
        out[name] = {"off": stat(off), "on": stat(on), "diff": [eff.estimate, eff.low, eff.high]}
    out["changed"] = int(np.sum(off != on))
    return out


def main() -> None:
    """Run both arms over the seeds and print the paired effects."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sorted(MODES), default="stimulus")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the per-seed rows here")
    args = ap.parse_args()
    scenario, switch, side = MODES[args.mode]
    jobs = [(args.mode, seed) for seed in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(one_seed, jobs, chunksize=4))
    summary: dict[str, Any] = {"mode": args.mode, "seeds": args.seeds}
    valued = [r for r in rows if "val_on_r" in r]
    print(f"{scenario}, seeds 1-{args.seeds}; on/off = valuation.{switch}")
    print(f"1. at the off arm's deal round ({len(valued)} seeds with a deal), {side}, on − off:")
    for key in ("r", "gain_signed", "gain_mean"):
        a = np.array([r[f"val_off_{key}"] for r in valued])
        b = np.array([r[f"val_on_{key}"] for r in valued])
        m, lo, hi = interval(b - a)
        print(f"   {key}: off {a.mean():.5f}, on {b.mean():.5f}; {m:+.5f} [{lo:+.5f}, {hi:+.5f}]")
        summary[key] = {"off": a.mean(), "on": b.mean(), "diff": [m, lo, hi]}
    timing = _rmst_effect(rows)
    summary["timing"] = timing
    for name in ("rmst", "share_by_52"):
        t = timing[name]
        m, lo, hi = t["diff"]
        print(f"2. {name}: off {t['off']:.3f}, on {t['on']:.3f}; {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    print(f"   first-deal week changed in {timing['changed']} of {len(rows)} seeds")
    for arm in ("off", "on"):
        counts = {k: sum(bool(r[f"{arm}_{k}"]) for r in rows) for k in COUNTED}
        summary[f"runs_{arm}"] = counts
        print(f"   {arm}: runs with " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, "rows": rows}, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
