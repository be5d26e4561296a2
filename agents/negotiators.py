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
        self._at: dict[str, tuple[Any, Any]] = {}  # values at a round's outcomes, by name

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
        self._at = {}

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
        self._at = {}

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

    # ------------------------------------------------------- values at a round's outcomes
    def _kept(self, name: str, rows: OutcomeSpace, make: Any) -> Any:
        """``make()`` for these ``rows``, kept until the rows or this week's values change."""
        hit = self._at.get(name)
        if hit is None or hit[0] is not rows:
            hit = self._at[name] = (rows, make())
        return hit[1]

    def _signing_at(self, index: np.ndarray) -> np.ndarray | None:
        cost = self.signing_cost
        return cost[index] if cost is not None and cost.any() else None

    def utility_at(self, rows: OutcomeSpace, index: np.ndarray) -> np.ndarray:
        """``utility()`` at the outcomes ``index`` (``rows``: those outcomes as a space, or the
        whole space), computed there only: the same values, bit for bit."""
        if rows is self.space:
            return self.utility()
        if self.valuation is None:
            return self._kept("utility", rows, lambda: read_only(self.utility()[index]))

        def make() -> np.ndarray:
            u = self.valuation.utility(self.side, rows)
            cost = self._signing_at(index)
            return u if cost is None else read_only(u - cost)

        return self._kept("utility", rows, make)

    def gain_at(self, rows: OutcomeSpace, index: np.ndarray) -> np.ndarray:
        """``gain()`` at the outcomes ``index``."""
        if rows is self.space:
            return self.gain()
        if self.valuation is None:
            return self._kept("gain", rows, lambda: read_only(self.gain()[index]))
        return self._kept(
            "gain", rows, lambda: read_only(self.utility_at(rows, index) - self.reservation)
        )

    def gain_next_at(self, rows: OutcomeSpace, index: np.ndarray) -> np.ndarray | None:
        """``gain_next()`` at the outcomes ``index`` (v2 only)."""
        if self.valuation is None:
            return None
        if rows is self.space:
            return self.gain_next()

        def make() -> np.ndarray:
            v = self.valuation
            g = v.utility(self.side, rows, next_round=True) - v.r_next[self.side]
            cost = self._signing_at(index)
            if cost is not None:
                g -= cost
            return read_only(g)

        return self._kept("gain_next", rows, make)

    def public_values_at(self, rows: OutcomeSpace, index: np.ndarray) -> tuple[np.ndarray, float]:
        """``public_values()`` at the outcomes ``index`` (v2 only)."""
        if rows is self.space:
            return self.public_values()
        if self.observed is self.valuation:
            return self.utility_at(rows, index), self.reservation

        def make() -> tuple[np.ndarray, float]:
            u = self.observed.utility(self.side, rows)
            cost = self._signing_at(index)
            return (u if cost is None else read_only(u - cost)), float(self.observed.r[self.side])

        return self._kept("public", rows, make)

    def strategy_for(self, level: str) -> Strategy:
        """Strategy of the member leading at ``level`` ('deputy' or 'principal')."""
        return self.members[getattr(self.cfg.leads, level)].strategy
