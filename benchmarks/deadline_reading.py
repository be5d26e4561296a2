"""Diagnostic: whose reading of whom makes a pending US hike delay the deals before it?

``bench_deadline.py`` finds a level effect with the baseline's hostage value: with the 15
October hike moved to week ``--due`` (held certain, weekly principal rounds, irreversibility
on), arm H signs fewer first deals in the weeks before it than arm 0 (no hike), on the same
seeds.  This script runs arm H again with one side's reading of the other swapped for arm
0's in the same week and seed: the opponent's public values V(x) and walk-away r, from which
the screening strategy computes the normalised gain g(x) = (V − r)/(M − r) it screens on
(``Negotiation._v2_fields``, patched here in the worker processes; not a supported hook).
Swapping V and r together, r only (arm H's V) or V only (arm H's r) splits the effect.  It
also prints, at week 1, how the pending hike moves each side's r and M − r.

    .venv/bin/python benchmarks/deadline_reading.py [--due 3] [--seeds 200] [--type-step 0.01]
        [--workers 2] [--out PATH]

Not a test: a probe of one mechanism (docs/MODEL.md §10).
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as bc
import bench_deadline as bd
from tradetalks.sim import protocol
from tradetalks.sim.issues import read_only
from tradetalks.sim.model import TradeTalksModel

# variant → (the side whose reading is swapped, what is swapped); None: unpatched
VARIANTS: dict[str, tuple[str, str] | None] = {
    "arm H": None,
    "arm H, China reads the US as in arm 0 (V and r)": ("china", "both"),
    "arm H, China reads the US as in arm 0 (r only)": ("china", "r"),
    "arm H, China reads the US as in arm 0 (V only)": ("china", "V"),
    "arm H, the US reads China as in arm 0 (V and r)": ("us", "both"),
}
_STATE: dict[str, Any] = {"mode": None, "record": {}}
_ORIGINAL = protocol.Negotiation._v2_fields


def _fields(self: Any, side: str, week: int) -> dict[str, Any]:
    """``_v2_fields``, recording (in arm 0) or swapping (in arm H) ``side``'s reading."""
    fields = _ORIGINAL(self, side, week)
    mode, record = _STATE["mode"], _STATE["record"]
    if fields.get("opponent_gain_public") is None or mode is None:
        return fields
    values, r = self.teams[protocol.other(side)].public_values()
    if mode == "record":
        span = _span(self, side, values, float(r))
        record.setdefault((side, week), (np.array(values), float(r), span))
        return fields
    if mode[0] != side:
        return fields
    weeks = sorted(w for s, w in record if s == side)  # arm 0's latest week up to this one
    v0, r0, _ = record[(side, weeks[max(bisect.bisect_right(weeks, week) - 1, 0)])]
    v, rr = {"both": (v0, r0), "r": (np.asarray(values), r0), "V": (v0, float(r))}[mode[1]]
    seen = v if len(self._index) == len(self.space) else v[self._index]
    span = _span(self, side, v, rr)
    fields = {**fields, "opponent_gain_public": read_only((seen - rr) / (span if span > 0 else 1))}
    self._gains[side] = (self._gains[side][0], fields)
    return fields


def _span(neg: Any, side: str, values: np.ndarray, r: float) -> float:
    """M − r as ``side`` reads the other from ``values`` over the whole space (the rule of
    ``Negotiation._believed_span``, at the round's outcomes)."""
    seen = values if len(neg._index) == len(neg.space) else values[neg._index]
    return neg._believed_span(side, seen, r)


def _run(arm: dict[str, Any], seed: int) -> TradeTalksModel:
    cfg = bc._config(arm)
    model = TradeTalksModel(
        config=cfg, rng=seed, space=bc._space(cfg), collect_series=False, farmer_agents=False
    )
    model.run()
    return model


def _first(model: TradeTalksModel) -> int | None:
    deals = model.negotiation.deals
    return int(deals[0].week) if deals else None


def _scales(record: dict, side: str, week: int) -> tuple[float, float] | None:
    """(r, M − r) of ``side``'s reading of the other at ``week`` (None: no round then)."""
    if (side, week) not in record:
        return None
    _, r, span = record[(side, week)]
    return r, span


def seeds_batch(due: int, seeds: list[int], type_step: float | None) -> list[dict[str, Any]]:
    """Every variant on ``seeds``: first-deal weeks and the week-1 scales of both arms."""
    protocol.Negotiation._v2_fields = _fields
    shared = bc.makers_held(bd.hike_due_in(due))
    if type_step is not None:
        shared.update(bc.members_param("type_step", type_step))
    arms = bc.did_arms(bc.OCT_HIKE_LABEL, shared)
    rows = []
    for seed in seeds:
        _STATE["mode"], _STATE["record"] = "record", {}
        row: dict[str, Any] = {"seed": seed, "arm 0": _first(_run(arms["0_on"], seed))}
        scales = {s: _scales(_STATE["record"], s, 1) for s in ("china", "us")}
        h_record = dict(_STATE["record"])
        for name, mode in VARIANTS.items():
            if mode is None:  # arm H unpatched, its readings recorded for the scales
                _STATE["mode"], _STATE["record"] = "record", {}
                row[name] = _first(_run(arms["H_on"], seed))
                h_scales = {s: _scales(_STATE["record"], s, 1) for s in ("china", "us")}
                _STATE["record"] = h_record
            else:
                _STATE["mode"] = mode
                row[name] = _first(_run(arms["H_on"], seed))
        row["scales"] = {"arm 0": scales, "arm H": h_scales}
        rows.append(row)
    return rows


def summarise(due: int, rows: list[dict[str, Any]]) -> str:
    """Markdown: first deals before the due week per variant, paired against arm 0."""
    n, pre = len(rows), due - 1
    base = np.array([r["arm 0"] is not None and r["arm 0"] <= pre for r in rows], dtype=float)
    head = ["variant", f"first deal by week {pre}", f"in week {due}", "later or none",
            f"by week {pre}, − arm 0 (paired, 95% CI)"]  # fmt: skip
    out = []
    for name in ("arm 0", *VARIANTS):
        weeks = [r[name] for r in rows]
        by = np.array([w is not None and w <= pre for w in weeks], dtype=float)
        d = by - base
        half = 1.96 * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
        m = d.mean()
        out.append([name, int(by.sum()), sum(w == due for w in weeks),
                    sum(w is None or w > due for w in weeks),
                    f"{m:+.3f} [{m - half:+.3f}, {m + half:+.3f}]"])  # fmt: skip
    lines = [f"hike due in week {due}, {n} paired seeds", "", bc.table(head, out), ""]
    for side, whom in (("china", "China's reading of the US"), ("us", "the US's of China")):
        s0 = np.array([r["scales"]["arm 0"][side] for r in rows if r["scales"]["arm 0"][side]])
        sh = np.array([r["scales"]["arm H"][side] for r in rows if r["scales"]["arm H"][side]])
        if len(s0) and len(sh):
            r0, rh, m0, mh = s0[:, 0].mean(), sh[:, 0].mean(), s0[:, 1].mean(), sh[:, 1].mean()
            lines.append(f"week 1, {whom}: r {r0:.4f} (arm 0) → {rh:.4f} (arm H); "
                         f"M − r {m0:.4f} → {mh:.4f}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--due", type=int, default=3, help="week the hike is due (default 3)")
    ap.add_argument("--seeds", type=int, default=200, help="paired seeds (default 200)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--type-step", type=float, help="every member's type grid step (0.01)")
    ap.add_argument("--out", type=Path, help="write every seed's first-deal weeks here (JSON)")
    args = ap.parse_args()
    seeds = list(range(1, args.seeds + 1))
    chunks = [seeds[i :: max(args.workers, 1)] for i in range(max(args.workers, 1))]
    with ProcessPoolExecutor(len(chunks)) as pool:
        k = len(chunks)
        parts = list(pool.map(seeds_batch, [args.due] * k, chunks, [args.type_step] * k))
    rows = sorted((r for p in parts for r in p), key=lambda r: r["seed"])
    grid = f", type grid step {args.type_step:g}" if args.type_step else ""
    print(summarise(args.due, rows).replace(" paired seeds", f" paired seeds{grid}", 1))
    if args.out:
        args.out.write_text(json.dumps({"due": args.due, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
