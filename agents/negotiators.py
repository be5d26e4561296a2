"""Negotiating teams and their members, as Mesa agents.

A ``Negotiator`` carries its own issue weights, influence and strategy.  A ``Team`` blends
its members' weights by influence (which shifts with domestic pressure), computes its
utility of every outcome and its reservation value each week, and tells the mechanism which
member's strategy leads at deputy and principal level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from tradetalks.agents.strategies import Strategy
from tradetalks.sim.config import MemberConfig, TeamConfig
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.payoffs import team_position

if TYPE_CHECKING:
    from mesa import Model


class Negotiator(Agent):
    """One member of a team (e.g. the USTR, the Vice-Premier)."""

    def __init__(
        self, model: Model, side: str, role: str, cfg: MemberConfig, space: OutcomeSpace
    ) -> None:
        super().__init__(model)
        self.side = side
        self.role = role
        self.title = cfg.title or role
        self.weights = space.weight_vector(cfg.weights)
        self.base_influence = cfg.influence
        self.pressure_sensitivity = cfg.pressure_sensitivity
        self.influence = cfg.influence
        self.strategy = Strategy.from_config(cfg.strategy, rng=model.rng.spawn(1)[0])


class Team(Agent):
    """A negotiating team: blended utility, reservation value and patience, updated weekly."""

    def __init__(self, model: Model, side: str, cfg: TeamConfig, space: OutcomeSpace) -> None:
        super().__init__(model)
        self.side = side
        self.cfg = cfg
        self.space = space
        self.members = {
            role: Negotiator(model, side, role, m, space) for role, m in cfg.members.items()
        }
        self.patience = cfg.patience
        self.reservation = cfg.reservation.base
        self.pressure = 0.0
        self.weights = np.zeros(space.n_issues)
        self.influence = np.zeros(len(self.members))
        self._utility: np.ndarray | None = None

    def update(self, pressures: dict[str, float]) -> None:
        """Recompute influence, blended weights, utility of every outcome and reservation."""
        pos = team_position(self.cfg, [m.weights for m in self.members.values()], pressures)
        for member, share in zip(self.members.values(), pos.influence, strict=True):
            member.influence = float(share)
        self.pressure = pos.pressure
        self.weights = pos.weights
        self.influence = pos.influence
        self.reservation = pos.reservation
        self._utility = None  # recomputed lazily: only rounds need the full vector

    def utility(self) -> np.ndarray:
        """This week's utility of every outcome (read-only: the space returns it so)."""
        if self._utility is None:
            self._utility = self.space.blended_utility(
                self.side, [m.weights for m in self.members.values()], self.influence
            )
        return self._utility

    def strategy_for(self, level: str) -> Strategy:
        """Strategy of the member leading at ``level`` ('deputy' or 'principal')."""
        return self.members[getattr(self.cfg.leads, level)].strategy
