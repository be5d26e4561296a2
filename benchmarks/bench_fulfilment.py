"""Benchmark: retained tariffs and fulfilment, paired over seeds (issue 12, "must show").

Two claims, each with a 95% paired-bootstrap interval over seeds (common random numbers):

1. *Realised*: deals that keep US tariffs are fulfilled more than deals that roll them back in
   full. Arms: ``scenarios/implementation`` (every first deal there is a full rollback) and
   ``scenarios/tariffs_kept`` (the same model with "full rollback" off the table). Outcome:
   purchases delivered / purchases due by the end of the run, per seed where both arms sign.
2. *Before signing*: full rollback is therefore worth less to the US. At the projection the
   US used in the round of its first deal (implementation arm), the value gap
   ΔV = V_us(deal as signed, full rollback) − V_us(the same deal keeping tariffs: "also cut
   4A") is computed by the model's projector with the fulfilment-tariff link as configured and
   again with ``implementation.hostage_weight = 0``; the claim is ΔV(link) − ΔV(no link) < 0.

    .venv/bin/python benchmarks/bench_fulfilment.py [--seeds 300] [--workers 2] [--json F]
        [--overrides '{"implementation.relations_weight": 0.0}']   # applied to both arms
"""

from __future__ import annotations

import argparse
import functools
import json
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats
from tqdm import tqdm

ARMS = ("scenarios/implementation", "scenarios/tariffs_kept")
RETAINED_LEVEL = "also cut 4A"  # the deepest cut that keeps tariffs in force
CONFIDENCE = 0.95
VARIANTS = ("configured", "no_link", "no_hostage", "neither")
CHANNELS = {  # name: (with the channel, without it)
    "both channels": ("configured", "neither"),
    "delivery link (implementation.hostage_weight)": ("configured", "no_link"),
    "hostage term (hostage.phi1)": ("configured", "no_hostage"),
}
BOOTSTRAP_RESAMPLES = 4999
BOOTSTRAP_SEED = 20191213  # the Phase One announcement date: any fixed seed would do


def _config(name: str, overrides: dict[str, Any] | None = None):
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    return resolve_config(locate(name), overrides)


def run_recording(cfg: Any, seed: int, record: bool) -> tuple[Any, list]:
    """One run; with ``record``, the (snapshot, gap) of every projection made before the first
    deal (the last one is the deal's round)."""
    from tradetalks.sim.model import TradeTalksModel

    model = TradeTalksModel(cfg, rng=seed, collect_series=False)
    seen: list = []
    if record:
        project, neg = model.projector.project, model.negotiation

        def recording(snap, *, gap=None, farm_weeks=None, _p=project, _s=seen, _n=neg):
            if not _n.deals:
                _s.append((snap, gap))
            return _p(snap, gap=gap, farm_weeks=farm_weeks)

        model.projector.project = recording
    while model.running:
        model.step()
    return model, seen


def one_seed(seed: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Both arms for one seed (``overrides`` applied to each): fulfilment, first-deal terms,
    and the value gap before signing."""
    from tradetalks.sim.projector import Projector

    out: dict[str, Any] = {"seed": seed}
    for arm in ARMS:
        model, seen = run_recording(_config(arm, overrides), seed, record=arm == ARMS[0])
        st, deals = model.world.state, model.negotiation.deals
        key = "full" if arm == ARMS[0] else "kept"
        out[f"{key}_deal_week"] = deals[0].week if deals else None
        out[f"{key}_us_tariffs"] = deals[0].terms.get("us_tariffs") if deals else None
        out[f"{key}_fulfilment"] = st.ag_delivered_bn / st.ag_due_bn if st.ag_due_bn > 0 else None
        if arm == ARMS[0] and deals and seen:  # the last projection before it: the deal's round
            out.update(_value_gap(model, deals[0], seen[-1], Projector))
    return out


def _variants(cfg) -> dict[str, Any]:
    """The config as it is, without the delivery link, without the hostage term, without both."""
    no_link = {"implementation": cfg.implementation.model_copy(update={"hostage_weight": 0.0})}
    no_phi = {"hostage": cfg.hostage.model_copy(update={"phi1": 0.0})}
    return {
        "configured": cfg,
        "no_link": cfg.model_copy(update=no_link),
        "no_hostage": cfg.model_copy(update=no_phi),
        "neither": cfg.model_copy(update={**no_link, **no_phi}),
    }


def _value_gap(model, deal, projection, projector_cls) -> dict[str, float]:
    """ΔV under each variant at the snapshot of the deal's round (one projection each)."""
    snap, gap = projection
    space = model.space
    signed = dict(deal.terms)
    kept = {**signed, "us_tariffs": RETAINED_LEVEL}
    x_full, x_kept = space.index_of(signed), space.index_of(kept)
    out = {"ag_purchases": signed.get("ag_purchases")}
    for name, cfg in _variants(model.config).items():
        v = projector_cls(cfg, space).project(snap, gap=gap).utility("us", space)
        out[f"gap_{name}"] = float(v[x_full] - v[x_kept])
    return out


def paired_interval(diff: np.ndarray) -> tuple[float, float, float]:
    """Mean of paired differences and its percentile-bootstrap interval."""
    res = stats.bootstrap(
        (diff,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    ci = res.confidence_interval
    return float(diff.mean()), float(ci.low), float(ci.high)


def main() -> None:
    """Run both arms over the seeds and print the two paired comparisons."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the per-seed rows here")
    ap.add_argument("--overrides", default=None, help="config overrides (JSON), both arms")
    args = ap.parse_args()
    seeds = range(1, args.seeds + 1)
    run = functools.partial(one_seed, overrides=json.loads(args.overrides or "{}"))
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(tqdm(pool.map(run, seeds, chunksize=4), total=args.seeds, unit="seed"))
    both = [
        r for r in rows if r["full_fulfilment"] is not None and r["kept_fulfilment"] is not None
    ]
    print(f"seeds {args.seeds}; both arms signed a deal with purchases due in {len(both)}")
    terms_full = sorted({r["full_us_tariffs"] for r in rows if r["full_us_tariffs"]})
    terms_kept = sorted({r["kept_us_tariffs"] for r in rows if r["kept_us_tariffs"]})
    print(f"US tariffs in first deals: implementation {terms_full}; tariffs_kept {terms_kept}")
    summary: dict[str, Any] = {"seeds": args.seeds, "paired": len(both)}
    if both:
        full = np.array([r["full_fulfilment"] for r in both])
        kept = np.array([r["kept_fulfilment"] for r in both])
        m, lo, hi = paired_interval(kept - full)
        print(
            f"1. delivered/due: tariffs kept {kept.mean():.3f}, full rollback {full.mean():.3f};"
            f" kept − full {m:+.3f} [{lo:+.3f}, {hi:+.3f}]"
        )
        summary["fulfilment"] = {"kept": kept.mean(), "full": full.mean(), "diff": [m, lo, hi]}
    valued = [r for r in rows if "gap_configured" in r]
    if valued:
        gaps = {k: np.array([r[f"gap_{k}"] for r in valued]) for k in VARIANTS}
        print(
            f"2. ΔV = V_us(full rollback) − V_us(keep, '{RETAINED_LEVEL}') at the deal's round,"
            f" {len(valued)} seeds (mean ΔV; the effect of each channel, paired):"
        )
        summary["value_gap"] = {k: float(v.mean()) for k, v in gaps.items()}
        for name, (a, b) in CHANNELS.items():
            m, lo, hi = paired_interval(gaps[a] - gaps[b])
            print(
                f"   {name}: ΔV {gaps[a].mean():+.5f} vs {gaps[b].mean():+.5f}:"
                f" {m:+.5f} [{lo:+.5f}, {hi:+.5f}]"
            )
            summary["value_gap"][name] = [m, lo, hi]
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, "rows": rows}, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
