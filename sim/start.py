"""The state of a run at its start, computed without Mesa (for ``tradetalks space``).

The model (``sim/model.py``) builds its world and farmers through the same functions, and
a test checks that the two agree, so the bargaining space reported here is exactly the one
the model's week 0 sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tradetalks.agents.farm_population import FarmerPopulation, initial_population
from tradetalks.sim.chapters import Chapters
from tradetalks.sim.config import Config
from tradetalks.sim.issues import OutcomeSpace, outcome_space
from tradetalks.sim.payoffs import Ratifier, team_position
from tradetalks.sim.protocol import SIDES
from tradetalks.sim.streams import stream_seed
from tradetalks.sim.world import World


def initial_world(cfg: Config) -> World:
    """The world in the starting week, with every scheduled tariff action as a live threat."""
    world = World(cfg.world, cfg.irreversibility)
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


def starting_point(cfg: Config, seed: int) -> StartingPoint:
    """Week 0 of the run ``(cfg, seed)``, drawn from the same generator sequence as the model."""
    rng = np.random.default_rng(stream_seed(seed, "farmers"))
    space = outcome_space(cfg)
    world = initial_world(cfg)
    _, farmers = initial_population(cfg.world.farmers, rng)
    sync_farms(world, farmers, talks_signal=0.0)
    pressures = world.pressures()
    utility, reservation = {}, {}
    for side in SIDES:
        team = cfg.teams[side]
        weights = [space.weight_vector(m.weights) for m in team.members.values()]
        pos = team_position(team, weights, pressures)
        utility[side] = space.blended_utility(side, weights, pos.influence)
        reservation[side] = pos.reservation
    ratifiers = [Ratifier(name, r, space) for name, r in cfg.ratifiers.items()]
    live = indicators(world)
    chapters = Chapters.from_config(cfg, space)  # agreement types decide who votes
    winset = {side: chapters.winset(side, ratifiers, live) for side in SIDES}
    return StartingPoint(space, world, utility, reservation, winset)
