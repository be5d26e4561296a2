"""The state of a run at its start, computed without Mesa (for ``tradetalks space``).

The model (``sim/model.py``) builds its world and farmers through the same functions, and
a test checks that the two agree, so the bargaining space reported here is exactly the one
the model's week 0 sees: in core v2 the projection of week 0's snapshot (built by
``sim/snapshot.py`` from explicit inputs), with the ratifiers' private thresholds drawn from
the "types" stream as the model draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.agents.farm_population import FarmerPopulation, initial_population
from tradetalks.sim.chapters import Chapters, congress_pressure
from tradetalks.sim.config import Config, TariffAction
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.payoffs import Ratifier, team_position
from tradetalks.sim.projector import Projector, Valuation
from tradetalks.sim.protocol import SIDES
from tradetalks.sim.snapshot import PublicState, build_snapshot, open_progress, pending_from
from tradetalks.sim.spaces import outcome_space
from tradetalks.sim.streams import RunStreams, stream_seed
from tradetalks.sim.world import World


def initial_world(cfg: Config) -> World:
    """The world in the starting week, with every scheduled tariff action as a live threat."""
    world = World(cfg.world, cfg.irreversibility, cfg.implementation)
    st = world.state
    start = cfg.run.start_date
    actions = [  # a threat counts once it is public
        a for a in cfg.calendar.tariff_actions if a.announced is None or a.announced <= start
    ]
    st.us_threat_pp = sum(a.tariff_delta_pp for a in actions if a.side == "us")
    st.cn_threat_pp = sum(a.tariff_delta_pp for a in actions if a.side == "china")
    return world


def sync_farms(world: World, farmers: FarmerPopulation, talks_signal: float) -> None:
    """Farmers react to this week's soybean price and talks; the world records the aggregates."""
    st = world.state
    farmers.update(st.soybean_price / world.cfg.soybeans.price_normal, talks_signal)
    st.farm_approval = farmers.mean_approval
    st.farm_distress = farmers.mean_distress
    st.farm_income_index = farmers.income_index


def indicators(world: World) -> dict[str, float]:
    """Live indicators ratifiers may use as their base support."""
    return {"farm_approval": world.state.farm_approval}


@dataclass
class StartingPoint:
    """Utilities, reservation values and win-sets of both teams in week 0."""

    space: OutcomeSpace
    world: World
    utility: dict[str, np.ndarray]
    reservation: dict[str, float]
    winset: dict[str, np.ndarray]


@dataclass(frozen=True)
class Scheduled:
    """A calendar tariff action as the model schedules it: its week and the action."""

    week: int
    payload: TariffAction


def scheduled_actions(cfg: Config) -> dict[str, list[Scheduled]]:
    """The calendar's tariff actions pending in week 0, by side, in the model's order (by
    week, then calendar order; only those within the run's weeks 1..horizon)."""
    weeks = [(cfg.week_of(a.date), a) for a in cfg.calendar.tariff_actions]
    ordered = sorted(((w, a) for w, a in weeks if 1 <= w <= cfg.run.weeks), key=lambda x: x[0])
    return {side: [Scheduled(w, a) for w, a in ordered if a.side == side] for side in SIDES}


def draw_private(ratifiers: list[Ratifier], seed: int) -> None:
    """The ratifiers' true thresholds from the "types" stream, as the model draws them."""
    types = RunStreams(seed).get("types")
    for rat in ratifiers:
        rat.draw_private(types)


def week0_valuation(
    cfg: Config, space: Any, world: World, farmers: FarmerPopulation, chapters: Chapters
) -> Valuation:
    """Week 0's projected ``Valuation`` (``space`` is anything the projector values outcomes
    of: the enumerated space, or ``tradetalks space``'s rows)."""
    talks = open_progress(space, {}, chapters.readiness)
    pub = PublicState(
        week=0,
        date=cfg.run.start_date,
        pending=pending_from(cfg, scheduled_actions(cfg), 0, None, talks),
        agreed={},
        last_fired=dict.fromkeys(SIDES),
        patience={side: cfg.teams[side].patience for side in SIDES},
        talks_signal=0.0,
    )
    return Projector(cfg, space).project(build_snapshot(cfg, world, farmers, pub))


def projected_values(
    cfg: Config,
    space: OutcomeSpace,
    world: World,
    farmers: FarmerPopulation,
    ratifiers: list[Ratifier],
    chapters: Chapters,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Core v2: week 0's projection, as ``snapshot.refresh`` hands it to the teams (the US
    pays the Congress signing lump)."""
    valuation = week0_valuation(cfg, space, world, farmers, chapters)
    pressure = congress_pressure(space, ratifiers, chapters, indicators(world))
    utility, reservation = {}, {}
    for side in SIDES:
        u = valuation.utility(side, space)
        if side == "us" and pressure.any():
            u = u - pressure
        utility[side] = u
        reservation[side] = float(valuation.r[side])
    return utility, reservation


def starting_point(cfg: Config, seed: int) -> StartingPoint:
    """Week 0 of the run ``(cfg, seed)``, drawn from the same generator sequence as the model."""
    rng = np.random.default_rng(stream_seed(seed, "farmers"))
    space = outcome_space(cfg)
    world = initial_world(cfg)
    _, farmers = initial_population(cfg.world.farmers, rng)
    sync_farms(world, farmers, talks_signal=0.0)
    ratifiers = [Ratifier(name, r, space) for name, r in cfg.ratifiers.items()]
    draw_private(ratifiers, seed)
    chapters = Chapters.from_config(cfg, space)  # agreement types decide who votes
    if cfg.valuation is not None:
        utility, reservation = projected_values(cfg, space, world, farmers, ratifiers, chapters)
    else:
        pressures = world.pressures()
        utility, reservation = {}, {}
        for side in SIDES:
            team = cfg.teams[side]
            weights = [space.weight_vector(m.weights) for m in team.members.values()]
            pos = team_position(team, weights, pressures)
            utility[side] = space.blended_utility(side, weights, pos.influence)
            reservation[side] = pos.reservation
    live = indicators(world)
    winset = {side: chapters.winset(side, ratifiers, live) for side in SIDES}
    return StartingPoint(space, world, utility, reservation, winset)
