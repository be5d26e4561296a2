"""Benchmark: does a scheduled hike act as a deadline, and only through irreversibility?

The deadline difference-in-differences of core-v2 §2.3 (c) (``bench_core.section_did``) with
the hike's date moved: the US hike of 15 October 2019 (Lists 1-3, 25% → 30%) is made due in
each of the weeks ``--weeks`` in turn, the other scheduled deadlines are removed from both
arms, the makers are held to the calendar (the hike is certain: "announced and credible"),
principal rounds are weekly, and the four arms (hike / no hike × irreversibility on / off)
run on the same seeds.  If the hike is a deadline, arm H's first deals pile into the last
round before it fires, wherever it is put; without irreversibility they should not follow it.

Within a week the model holds its rounds before tariff actions fire (sim/model.py), so the
round of the due week is the last one before the hike: the "due week as pre" hazard ratio
(windows −2..0 and +1..+3) is the one that can see a deadline; the −3..−1 ratio of the
design's text is printed beside it.

Each setting runs with the hostage value as in the baseline and switched off (φ0 = 1,
φ1 = 0).  Beside the deadline a pending hike has a level effect: it lowers both walk-aways
(China's more) and so moves the normalised gains each side screens on; on the baseline's
0.004 grid the US then reads China as more eager and holds out for the round before the hike,
with irreversibility off too (``deadline_reading.py``; docs/MODEL.md §10).  ``--type-step``
sets every member's type grid: on the 0.01 grid that round was the grid's (core_v2.md §7).

    .venv/bin/python benchmarks/bench_deadline.py [--seeds 300] [--weeks 3,4,5,6,7,8,9]
        [--hostage-scale PP] [--optimism B] [--type-step STEP] [--out PATH]
    .venv/bin/python benchmarks/bench_deadline.py --from-json PATH   # the tables again

Prints a markdown table; every number goes to ``--out`` (JSON).  Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as bc

HOSTAGE_OFF = {"hostage.phi0": 1.0, "hostage.phi1": 0.0}
HOSTAGE = {"as in the baseline": {}, "off (φ0 = 1, φ1 = 0)": HOSTAGE_OFF}


def hike_due_in(week: int) -> list[dict[str, Any]]:
    """The baseline's calendar with the 15 Oct hike moved to ``week`` (same weekday) and the
    15 Dec hikes (US List 4B, China's second tranche) removed."""
    acts = bc.tariff_actions_without(bc.HIKE_LABEL, bc.CN_DEC_LABEL)
    oct_hike = next(a for a in acts if a["label"] == bc.OCT_HIKE_LABEL)
    shift = bc.week_date(week) - bc.week_date(bc._BASE.week_of(oct_hike["date"]))
    return [{**a, "date": a["date"] + shift} if a is oct_hike else a for a in acts]


def _share_in(weeks_map: dict[str, int], week: int, n: int) -> float:
    return sum(v for k, v in weeks_map.items() if float(k) == week) / n


def _ci(x: list[float]) -> str:
    return f"[{bc.fmt(x[0], 2)}, {bc.fmt(x[1], 2)}]" if x else "[–]"


def follow_rows(data: dict[str, Any]) -> list[list[str]]:
    """Does arm H's pile of first deals follow the hike's date?  For each setting and due week
    d: P_H(first deal in week d | hike due in d) − the mean over the other due weeks d' of
    P_H(first deal in week d | hike due in d'), with a normal-approximation 95% interval
    (the settings treated as independent samples of ``seeds`` runs each)."""
    n = data["seeds"]
    by: dict[tuple[str, str], dict[int, dict[str, int]]] = {}
    for st in data["settings"]:
        for irr in ("on", "off"):
            by.setdefault((st["hostage"], irr), {})[st["due_week"]] = st[irr]["first_deal_weeks_H"]
    rows = []
    for (hostage, irr), dues in by.items():
        for d, weeks_map in dues.items():
            others = [_share_in(m, d, n) for e, m in dues.items() if e != d]
            if not others:
                continue
            p, q = _share_in(weeks_map, d, n), float(np.mean(others))
            diff = round(p - q, 12) + 0.0  # no "−0.00" from rounding noise
            half = 1.96 * np.sqrt(p * (1 - p) / n + q * (1 - q) / (n * len(others)))
            rows.append(
                [
                    hostage,
                    irr,
                    str(d),
                    bc.fmt(p, 2),
                    bc.fmt(q, 2),
                    f"{diff:+.2f} [{diff - half + 0.0:+.2f}, {diff + half:+.2f}]",
                ]
            )
    return rows


def tables(data: dict[str, Any]) -> str:
    """The DiD table and the date-following table, from the numbers of ``run``."""
    n = data["seeds"]
    rows = []
    for st in data["settings"]:
        for irr in ("on", "off"):
            x, d = st[irr], st["due_week"]
            rows.append(
                [
                    st["hostage"],
                    str(d),
                    irr,
                    f"{bc.fmt(x['HR_due_week_pre'], 2)} {_ci(x['ci95_due_week_pre'])}",
                    f"{bc.fmt(x['HR'], 2)} {_ci(x['ci95'])}",
                    bc.fmt(_share_in(x["first_deal_weeks_H"], d, n), 2),
                    bc.fmt(_share_in(x["first_deal_weeks_0"], d, n), 2),
                    bc._weeks_text(x["first_deal_weeks_H"]),
                    bc._weeks_text(x["first_deal_weeks_0"]),
                ]
            )
    return "\n".join(
        [
            f"### Deadline DiD with the hike's date moved ({n} paired seeds per setting)",
            "",
            "The 15 Oct 2019 US hike (Lists 1-3, 25% → 30%) due in the week shown; the 15 Dec "
            "hikes removed from both arms; makers held to the calendar (the hike certain); a "
            "deputy round in week 1, then principal rounds every week. HR = [h_H(pre)/h_H(post)]"
            " / [h_0(pre)/h_0(post)] of the first deal; pre = weeks −2..0 with the due week's "
            "round (held before the hike fires), or −3..−1; post = +1..+3; 95% bootstrap CIs "
            "over seeds; nan where a window has no run at risk or no deal."
            + (
                f" Every member's screening optimism b = {data['optimism']:g} (baseline 0.25)."
                if data.get("optimism") is not None
                else ""
            )
            + (
                f" Every member's type grid step {data['type_step']:g} (baseline 0.004)."
                if data.get("type_step") is not None
                else ""
            ),
            "",
            bc.table(
                [
                    "hostage value",
                    "due week",
                    "irreversibility",
                    "HR, due week as pre [95% CI]",
                    "HR, −3..−1 [95% CI]",
                    "H: P(first deal in due week)",
                    "0: P(first deal in due week)",
                    "first-deal weeks H (week: runs)",
                    "first-deal weeks 0",
                ],
                rows,
            ),
            "",
            "### Does the pile of first deals follow the hike's date?",
            "",
            "Arm H only: the share of runs whose first deal falls in week d when the hike is due "
            "in d, against the mean share in week d when it is due in any other week of the "
            "table (same seeds); a deadline moves the pile with the date, a level effect of the "
            "hike (pressure) does not. Intervals: normal approximation.",
            "",
            bc.table(
                [
                    "hostage value",
                    "irreversibility",
                    "due week d",
                    "P_H(deal in d | due d)",
                    "mean P_H(deal in d | due elsewhere)",
                    "difference [≈95%]",
                ],
                follow_rows(data),
            ),
        ]
    )


def run(
    seeds: int,
    weeks: list[int],
    n_boot: int,
    workers: int,
    hostage: dict[str, Any] | None = None,
    optimism: float | None = None,
    type_step: float | None = None,
) -> dict[str, Any]:
    """Every (hostage, due week) setting's DiD (``bench_core.section_did``'s numbers);
    ``hostage``: the hostage settings (name → overrides), by default ``HOSTAGE``;
    ``optimism``, ``type_step``: every member's screening optimism b and type grid step
    (None: the baseline's)."""
    runner = bc.Runner(workers, progress=False)
    rng = np.random.default_rng(2019)
    data: dict[str, Any] = {
        "seeds": seeds, "weeks": weeks, "settings": [], "optimism": optimism, "type_step": type_step
    }  # fmt: skip
    extra = {} if optimism is None else bc.members_param("optimism", optimism)
    if type_step is not None:
        extra.update(bc.members_param("type_step", type_step))
    try:
        for h_name, h_over in (HOSTAGE if hostage is None else hostage).items():
            for week in weeks:
                shared = {**bc.makers_held(hike_due_in(week)), **h_over, **extra}
                _, d = bc.section_did(
                    runner, seeds, n_boot, rng, bc.OCT_HIKE_LABEL, "hike_week_oct", shared
                )
                data["settings"].append({"hostage": h_name, **d})
    finally:
        runner.close()
    return data


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the arguments, run, print the table and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=300)
    ap.add_argument(
        "--weeks", default="3,4,5,6,7,8,9", help="due weeks of the hike, comma-separated"
    )
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/core_v2_did_dates.json")
    ap.add_argument("--from-json", default=None, help="print the tables of a saved run; no runs")
    ap.add_argument(
        "--hostage-scale",
        type=float,
        default=None,
        help="run only the baseline's hostage value with its scale fixed at this many pp "
        "(hostage.max_pp): does a fixed scale remove the hike's level effect?",
    )
    ap.add_argument(
        "--optimism",
        type=float,
        default=None,
        help="every member's screening optimism b (baseline 0.25): with more, arm 0 signs "
        "later, so a hike due after the baseline's deal weeks has runs at risk around it",
    )
    ap.add_argument(
        "--type-step",
        type=float,
        default=None,
        help="every member's screening type grid step (baseline 0.004): the round before the "
        "hike moved with it at 0.01 (benchmarks/results/core_v2.md §7)",
    )
    args = ap.parse_args(argv)
    if args.from_json:  # the tables again, from numbers written by an earlier run
        data = json.loads(Path(args.from_json).read_text())
        print(tables(data))
        print(f"\n(numbers of {args.from_json}: {data.get('wall_s', 0):.0f} s wall when run)")
        return data
    weeks = [int(w) for w in args.weeks.split(",") if w.strip()]
    t0 = time.perf_counter()
    hostage = None
    if args.hostage_scale is not None:
        name = f"as in the baseline, scale fixed (max_pp = {args.hostage_scale:g})"
        hostage = {name: {"hostage.max_pp": args.hostage_scale}}
    data = run(args.seeds, weeks, args.boot, args.workers, hostage, args.optimism, args.type_step)
    data["wall_s"] = time.perf_counter() - t0
    data["args"] = vars(args)
    print(tables(data))
    print(f"\n({data['wall_s']:.0f} s wall)")
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(bc._jsonable(data), indent=1, default=str))
        print(f"numbers written to {path}")
    return data


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
