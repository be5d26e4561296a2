"""Negotiating teams and their members, as Mesa agents.

A ``Negotiator`` carries its own issue weights, influence and strategy.  A ``Team`` blends
its members' weights by influence (which shifts with domestic pressure), computes its
utility of every outcome and its reservation value each week, and tells the mechanism which
member's strategy leads at deputy and principal level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import Agent
from tradetalks.agents.strategies import Strategy
from tradetalks.sim.config import MemberConfig, TeamConfig
from tradetalks.sim.issues import OutcomeSpace, read_only
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
        # the side's named stream in a TradeTalksModel; a bare Mesa model's own generator
        streams = getattr(model, "streams", None)
        stream = model.rng if streams is None else streams.get(f"strategy.{side}")
        self.strategy = Strategy.from_config(cfg.strategy, rng=stream.spawn(1)[0])


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
        self.reservation = cfg.reservation.base if cfg.reservation is not None else 0.0
        self.pressure = 0.0
        self.weights = np.zeros(space.n_issues)
        self.influence = np.zeros(len(self.members))
        self._utility: np.ndarray | None = None
        # core v2: the projector's valuation (None: the legacy pressure-index valuation)
        self.valuation: Any = None
        self.private_type: float | None = None  # own acceptance share γ (drawn by the model)
        self.signing_cost: np.ndarray | None = None  # lumps paid at signature (e.g. Congress)
        self._gain_next: np.ndarray | None = None
        self._gain: np.ndarray | None = None
        self.observed: Any = None  # the valuation the other side models this side's values by
        self._public: tuple[np.ndarray, float] | None = None

    def set_valuation(
        self, valuation: Any, signing_cost: np.ndarray | None = None, observed: Any = None
    ) -> None:
        """Core v2: take utilities and the walk-away value from a projector ``Valuation``.

        The walk-away value is V(no-deal path) on the same scale as every deal's value;
        ``signing_cost`` (per outcome, ≥ 0) is a lump the side pays when it signs;
        ``observed`` is the valuation the other side's model of these values comes from
        (None: this one).
        """
        self.valuation = valuation
        self.observed = valuation if observed is None else observed
        self._public = None
        self.signing_cost = signing_cost
        self.reservation = float(valuation.r[self.side])
        self._utility = None
        self._gain_next = None
        self._gain = None

    @property
    def gap(self) -> int | None:
        """Δ: weeks to the next decision opportunity in the current valuation (v2 only)."""
        return None if self.valuation is None else int(self.valuation.gap)

    def gain_next(self) -> np.ndarray | None:
        """G(x, t+Δ): each outcome's gain if signed at the next opportunity (v2 only)."""
        if self.valuation is None:
            return None
        if self._gain_next is None:
            v = self.valuation
            g = v.utility(self.side, self.space, next_round=True) - v.r_next[self.side]
            if self.signing_cost is not None:
                g -= self.signing_cost
            self._gain_next = read_only(g)
        return self._gain_next

    def public_values(self) -> tuple[np.ndarray, float]:
        """(V(x), r) as the other side models them: from the observed valuation, which is
        this side's own unless the other side assumes another aid scale (v2 only)."""
        if self._public is None:
            if self.observed is self.valuation:
                self._public = (self.utility(), self.reservation)
            else:
                u = self.observed.utility(self.side, self.space)
                if self.signing_cost is not None and self.signing_cost.any():
                    u = read_only(u - self.signing_cost)
                self._public = (u, float(self.observed.r[self.side]))
        return self._public

    def gain(self) -> np.ndarray:
        """G(x) = V(x) − r: each outcome's gain over the walk-away value this week."""
        if self._gain is None or self.valuation is None:
            gain = read_only(self.utility() - self.reservation)
            if self.valuation is None:
                return gain
            self._gain = gain
        return self._gain

    def update(self, pressures: dict[str, float]) -> None:
        """Recompute influence, blended weights, utility of every outcome and reservation.

        In core v2 pressure enters once, through the projection: influence stays at its base
        and the walk-away value comes from ``set_valuation``.
        """
        if self.valuation is not None or self.cfg.reservation is None:
            return
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
        if self._utility is None and self.valuation is not None:
            u = self.valuation.utility(self.side, self.space)
            if self.signing_cost is not None and self.signing_cost.any():
                u = read_only(u - self.signing_cost)
            self._utility = u
        if self._utility is None:
            self._utility = self.space.blended_utility(
                self.side, [m.weights for m in self.members.values()], self.influence
            )
        return self._utility

    def strategy_for(self, level: str) -> Strategy:
        """Strategy of the member leading at ``level`` ('deputy' or 'principal')."""
        return self.members[getattr(self.cfg.leads, level)].strategy
