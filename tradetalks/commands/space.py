"""``tradetalks space CONFIG [--json]``: the bargaining space at the start of a run.

Computes week 0 of the run without Mesa (``sim.start``, checked against the model by the
tests, so reservation values and win-sets are exactly the model's), then reports the
number of outcomes, how many both sides could ratify and how many are individually
rational, the Pareto frontier of the ratifiable outcomes, and the Nash,
Kalai–Smorodinsky and maximum-welfare points relative to the reservation values
(``sim.analysis``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import app, load_scenario

FRONTIER_SHOWN = 12  # frontier points listed in the readable output (all of them in --json)


def bargaining_space(start: Any) -> Any:
    """The ``BargainingSpace`` of a run's week 0 (``sim.start.StartingPoint``)."""
    from tradetalks.sim.analysis import BargainingSpace

    feasible = start.winset["us"] & start.winset["china"]
    return BargainingSpace(
        space=start.space,
        utility=start.utility,
        reservation=start.reservation,
        feasible=feasible,
    )


def _fmt_point(title: str, p: dict[str, Any] | None) -> list[str]:
    if p is None:
        return [f"{title}: none (no individually rational outcome)"]
    u = p["utility"]
    lines = [
        f"{title}: US {u['us']:.3f}  China {u['china']:.3f}  (Nash product {p['nash_product']:.4f})"
    ]
    lines += [f"    {k:<14} {v}" for k, v in p["terms"].items()]
    return lines


def readable(report: dict[str, Any]) -> str:
    """A few lines for people."""
    r = report["reservation"]
    lines = [
        f"Outcomes {report['outcomes']}, ratifiable by both sides {report['feasible']}, "
        f"individually rational {report['individually_rational']}",
        f"Reservation values: US {r['us']:.3f}  China {r['china']:.3f}",
        f"Pareto frontier: {len(report['frontier'])} outcomes (US, China):",
    ]
    shown = report["frontier"]
    step = max(1, len(shown) // FRONTIER_SHOWN)
    for p in shown[::step]:
        mark = "" if p["individually_rational"] else "  (below a reservation value)"
        lines.append(f"    {p['utility']['us']:.3f}  {p['utility']['china']:.3f}{mark}")
    lines += _fmt_point("Nash bargaining point", report["nash"])
    lines += _fmt_point("Kalai-Smorodinsky point", report["kalai_smorodinsky"])
    lines += _fmt_point("Maximum-welfare point", report["max_welfare"])
    return "\n".join(lines)


@app.command()
def space(
    config: Annotated[Path, typer.Argument(help="Scenario TOML")],
    seed: Annotated[int | None, typer.Option(help="Seed (default: run.seed)", min=0)] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: key.path=value")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """The bargaining space at the start: outcomes, Pareto frontier, Nash and Kalai points."""
    from tradetalks.sim.start import (
        starting_point,  # Mesa-free: the command stays well under a second
    )

    cfg, seed_ = load_scenario(config, seed, None, set_)
    report = bargaining_space(starting_point(cfg, seed_)).report()
    report["seed"] = seed_
    typer.echo(json.dumps(report) if as_json else readable(report))
