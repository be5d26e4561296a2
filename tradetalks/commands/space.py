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

from tradetalks.console import (
    CONFIG_HELP,
    SEED_HELP,
    SET_HELP,
    SET_METAVAR,
    app,
    load_scenario,
)

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


def shown_points(n: int, limit: int | None = FRONTIER_SHOWN) -> list[int]:
    """Indices of the frontier points to list: all of them, or ``limit`` evenly spaced ones
    from the first (the US's best) to the last (China's best)."""
    if limit is None or n <= limit:
        return list(range(n))
    if limit < 2:
        return [0][:limit]
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


def _terms(terms: dict[str, Any]) -> str:
    return "; ".join(f"{k} {v}" for k, v in terms.items()) or "no issue settled"


def readable(report: dict[str, Any], limit: int | None = FRONTIER_SHOWN) -> str:
    """A few lines for people: every frontier point, or ``limit`` of them, with its terms."""
    r = report["reservation"]
    frontier = report["frontier"]
    picked = shown_points(len(frontier), limit)
    which = (
        "all shown"
        if len(picked) == len(frontier)
        else f"{len(picked)} of them shown, evenly spaced from the US's best to China's best "
        "(--all lists every one)"
    )
    lines = [
        f"Outcomes {report['outcomes']}, ratifiable by both sides {report['feasible']}, "
        f"individually rational {report['individually_rational']}",
        f"Reservation values: US {r['us']:.3f}  China {r['china']:.3f}",
        f"Pareto frontier: {len(frontier)} outcomes, {which}:",
        "        US   China  terms (an issue not named is left open)",
    ]
    for i in picked:
        p = frontier[i]
        mark = "" if p["individually_rational"] else "  (below a reservation value)"
        u = p["utility"]
        lines.append(f"    {u['us']:6.3f}  {u['china']:6.3f}  {_terms(p['terms'])}{mark}")
    lines += _fmt_point("Nash bargaining point", report["nash"])
    lines += _fmt_point("Kalai-Smorodinsky point", report["kalai_smorodinsky"])
    lines += _fmt_point("Maximum-welfare point", report["max_welfare"])
    return "\n".join(lines)


@app.command()
def space(
    config: Annotated[Path | None, typer.Argument(help=CONFIG_HELP, metavar="CONFIG")] = None,
    seed: Annotated[int | None, typer.Option(help=SEED_HELP, min=0, metavar="N")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help=SET_HELP, metavar=SET_METAVAR)
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"List every frontier point (default: {FRONTIER_SHOWN}, evenly spaced)",
            metavar="",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (every point)", metavar="")
    ] = False,
) -> None:
    """The bargaining space at the start: outcomes, Pareto frontier, Nash and Kalai points."""
    from tradetalks.sim.start import (
        starting_point,  # Mesa-free: the command stays well under a second
    )

    cfg, seed_ = load_scenario(config, seed, None, set_)
    report = bargaining_space(starting_point(cfg, seed_)).report()
    report["seed"] = seed_
    text = json.dumps(report) if as_json else readable(report, None if show_all else FRONTIER_SHOWN)
    typer.echo(text)
