"""Negotiation strategies: one class per strategy, each declaring its classifier.

A strategy answers two questions through the read-only ``NegotiationView``: how much it
still aspires to (``aspiration``) and what to offer (``propose``).  The default offer
logrolls: among outcomes worth at least the aspiration to us and inside our win-set, offer
the one the (modelled) opponent likes best.  Subclasses register themselves by ``name``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sim.protocol import NegotiationView

REGISTRY: dict[str, type[Strategy]] = {}
TIE_BREAK = 1e-9  # prefer our own utility among outcomes the opponent values equally


class Strategy:
    """Base class: aspiration-driven logrolling offers with a public-values opponent model."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {
        "stochastic": False,
        "uses_opponent_model": False,
        "reciprocal": False,
        "ratification_aware": False,
    }
    param_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    def __init__(self, **params: float) -> None:
        unknown = sorted(set(params) - set(self.param_names))
        if unknown:
            raise ValueError(f"strategy {self.name!r} has no parameter(s) {unknown}")
        self.params = params

    def aspiration(self, view: NegotiationView) -> float:
        """Lowest own utility acceptable now (subclasses define the concession curve)."""
        raise NotImplementedError

    def opponent_utility(self, view: NegotiationView) -> np.ndarray:
        """Estimated opponent utility of every outcome: its public values, equal issue weights."""
        negotiable = np.array([i.negotiable for i in view.space.issues], dtype=float)
        return view.opponent_values @ (negotiable / negotiable.sum())

    def candidates(self, view: NegotiationView, aspiration: float) -> np.ndarray:
        """Outcomes we could offer: on the table, ratifiable at home, worth the aspiration."""
        feasible = view.available & view.own_winset
        if not feasible.any():
            feasible = view.available
        good = feasible & (view.own_utility >= aspiration)
        if good.any():
            return good
        best = view.own_utility[feasible].max()
        return feasible & (view.own_utility >= best)

    def propose(self, view: NegotiationView) -> int:
        """Logroll: the candidate best for the modelled opponent (ties go to us)."""
        mask = self.candidates(view, self.aspiration(view))
        score = self.opponent_utility(view) + TIE_BREAK * view.own_utility
        score = np.where(mask, score, -np.inf)
        return int(np.argmax(score))

    @classmethod
    def from_config(cls, kind: str, params: dict[str, float]) -> Strategy:
        """Instantiate a registered strategy by name."""
        if kind not in REGISTRY:
            raise KeyError(kind)
        return REGISTRY[kind](**params)


def _ceiling(view: NegotiationView) -> float:
    """Starting aspiration: the best feasible outcome, discounted by patience over elapsed weeks."""
    return view.best_feasible() * view.patience ** view.time


class TimeDependent(Strategy):
    """Faratin et al. (1998) time-dependent concession: a(t) = r + (max − r)(1 − τ^(1/e)).

    e < 1 is Boulware (holds firm, concedes late), e = 1 linear, e > 1 conceder.  Patience
    discounts the ceiling per week; goodwill received lowers the aspiration.
    """

    name = "time_dependent"
    param_names = ("exponent", "horizon_weeks")
    default_exponent: ClassVar[float] = 1.0

    def aspiration(self, view: NegotiationView) -> float:
        """Concession curve in elapsed time."""
        e = self.params.get("exponent", self.default_exponent)
        horizon = self.params.get("horizon_weeks", view.horizon)
        tau = min(1.0, max(0.0, view.time / horizon))
        top = _ceiling(view)
        r = view.reservation
        return max(r, r + max(0.0, top - r) * (1 - tau ** (1 / e)) - view.goodwill)


class Boulware(TimeDependent):
    """Time-dependent with a small default exponent: firm until near the horizon."""

    name = "boulware"
    default_exponent = 0.2  # assumption: a typical Boulware exponent in Faratin et al. (1998)


class Linear(TimeDependent):
    """Time-dependent with exponent 1: concedes evenly."""

    name = "linear"
    default_exponent = 1.0


class Conceder(TimeDependent):
    """Time-dependent with a large default exponent: concedes early."""

    name = "conceder"
    default_exponent = 3.0  # assumption: a typical conceder exponent in Faratin et al. (1998)


class TitForTat(Strategy):
    """Relative tit-for-tat on concessions: concede (in own utility) what the opponent conceded.

    The opponent's concession is the rise, in our utility, from its first offer to its
    latest; we lower our aspiration from the ceiling by that amount times ``reciprocity``,
    plus a small ``initial`` concession so talks can start.
    """

    name = "tit_for_tat"
    param_names = ("reciprocity", "initial")
    classifier: ClassVar[dict[str, Any]] = {**Strategy.classifier, "reciprocal": True}

    def aspiration(self, view: NegotiationView) -> float:
        """Mirror the opponent's concessions."""
        k = self.params.get("reciprocity", 1.0)
        initial = self.params.get("initial", 0.0)
        theirs = view.opponent_offers()
        conceded = 0.0
        if len(theirs) >= 2:
            u = view.own_utility
            conceded = max(0.0, float(u[theirs[-1]] - u[theirs[0]]))
        top = _ceiling(view)
        return max(view.reservation, top - initial - k * conceded - view.goodwill)
