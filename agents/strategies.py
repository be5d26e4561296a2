"""Negotiation strategies: one class per strategy, each declaring its properties.

A strategy answers two questions through the read-only ``NegotiationView``: how much it
still aspires to (``aspiration``) and what to offer (``propose``).  The default offer
logrolls: among outcomes worth at least the aspiration to us and inside our win-set, offer
the one the (modelled) opponent likes best — one masked ``argmax`` over the whole outcome
space.  Subclasses register themselves by ``name`` (``REGISTRY`` fills itself).

Each class declares its ``classifier``: read-only properties the test-suite checks against
behaviour (``tests/test_strategies_properties.py``):

``stochastic``
    draws from the model's generator (``view.rng``); if False, the same views give the
    same offers whatever the seed.
``uses_opponent_model``
    learns the other side's preferences from its offers; if False (and not
    ``reciprocal``), offers do not depend on what the other side has offered.
``reciprocal``
    the aspiration answers the other side's concessions.
``ratification_aware``
    reads the other side's win-set (``view.opponent_winset``); if False, offers do not
    depend on it.
``time_dependent``
    with everything else fixed, the aspiration never rises as time passes.

Sources: Faratin, Sierra & Jennings (1998) for the time-dependent and behaviour-dependent
(tit-for-tat) tactics; Baarslag et al. (2013) for value/frequency opponent models;
Putnam (1988) and Schelling (1960) for ratification as leverage; Rubinstein (1982) for the
alternating-offers equilibrium.  See docs/MODEL.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from tradetalks.sim.protocol import NegotiationView

REGISTRY: dict[str, type[Strategy]] = {}
TIE_BREAK = 1e-9  # prefer our own utility among outcomes the opponent values equally
TOLERANCE = 1e-9  # numerical slack when comparing utilities that are equal in theory


class Strategy:
    """Base class: aspiration-driven logrolling offers with a public-values opponent model."""

    name: ClassVar[str] = ""
    classifier: ClassVar[Mapping[str, bool]] = MappingProxyType(
        {
            "stochastic": False,
            "uses_opponent_model": False,
            "reciprocal": False,
            "ratification_aware": False,
            "time_dependent": False,
        }
    )
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

    def param(self, name: str) -> float:
        """A parameter from config, or the class default ``default_<name>``."""
        return float(self.params.get(name, getattr(self, f"default_{name}")))

    def aspiration(self, view: NegotiationView) -> float:
        """Lowest own utility acceptable now (subclasses define the concession curve)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ opponent model
    def opponent_weights(self, view: NegotiationView) -> np.ndarray:
        """Estimated issue weights of the opponent: equal over negotiable issues (a prior)."""
        negotiable = np.array([i.negotiable for i in view.space.issues], dtype=float)
        return negotiable / negotiable.sum()

    def opponent_utility(self, view: NegotiationView) -> np.ndarray:
        """Estimated opponent utility of every outcome: its public values, modelled weights.

        Cached while the space, side and weights stay the same (the prior never changes),
        so a strategy pays for the product over the whole space only when its model moves.
        """
        w = self.opponent_weights(view)
        key = (view.side, w.tobytes())
        cache = getattr(self, "_opponent_cache", None)
        if cache is not None and cache[0] is view.space and cache[1] == key:
            return cache[2]
        u = np.einsum("ij,j->i", view.opponent_values, w)  # faster than BLAS matvec here
        u.setflags(write=False)
        self._opponent_cache = (view.space, key, u)
        return u

    # ------------------------------------------------------------------ offers
    def feasible(self, view: NegotiationView) -> np.ndarray:
        """Outcomes we may offer: on the table and ratifiable at home (or just on the table
        if nothing is ratifiable)."""
        feasible = view.available & view.own_winset
        return feasible if feasible.any() else view.available

    def candidates(self, view: NegotiationView, aspiration: float) -> np.ndarray:
        """Feasible outcomes worth the aspiration (or the best feasible ones if none is)."""
        feasible = self.feasible(view)
        good = feasible & (view.own_utility >= aspiration)
        if good.any():
            return good
        best = view.own_utility[feasible].max()
        return feasible & (view.own_utility >= best)

    def feasible_subset(self, view: NegotiationView) -> tuple[np.ndarray, ...]:
        """Indices of the feasible outcomes with our and the modelled opponent's utility there.

        Within one round the table, the win-sets and our utility do not change, so the subset
        is computed once per round (and again whenever the opponent model moves): each offer
        then scans the feasible outcomes only, not the whole space.
        """
        w = self.opponent_weights(view)
        key = (view.round_no, view.side, id(view.space), w.tobytes())
        cache = getattr(self, "_subset_cache", None)
        if view.round_no is not None and cache is not None and cache[0] == key:
            return cache[1]
        idx = np.flatnonzero(self.feasible(view))
        subset = (idx, view.own_utility[idx], self.opponent_utility(view)[idx])
        self._subset_cache = (key, subset)
        return subset

    def propose(self, view: NegotiationView) -> int:
        """Logroll: the candidate best for the modelled opponent (ties go to us).

        Candidates are ``candidates()``: feasible outcomes worth the aspiration, else the
        best feasible ones; among them the first maximum of the opponent's utility.
        """
        idx, own, opp = self.feasible_subset(view)
        good = np.flatnonzero(own >= self.aspiration(view))
        if len(good) == 0:
            good = np.flatnonzero(own >= own.max())
        score = opp[good] + TIE_BREAK * own[good]
        return int(idx[good[np.argmax(score)]])  # first maximum: the lowest index

    @classmethod
    def from_config(cls, kind: str, params: dict[str, float]) -> Strategy:
        """Instantiate a registered strategy by name."""
        if kind not in REGISTRY:
            raise KeyError(kind)
        return REGISTRY[kind](**params)


def _classifier(**changes: bool) -> Mapping[str, bool]:
    """A read-only classifier: the base properties with ``changes`` applied."""
    unknown = set(changes) - set(Strategy.classifier)
    if unknown:
        raise KeyError(f"unknown strategy properties {sorted(unknown)}")
    return MappingProxyType({**Strategy.classifier, **changes})


def _ceiling(view: NegotiationView, feasible: np.ndarray | None = None) -> float:
    """Starting aspiration: the best feasible outcome, discounted by patience over elapsed weeks."""
    if feasible is None:
        top = view.best_feasible()
    else:
        top = float(view.own_utility[feasible].max()) if feasible.any() else view.best_feasible()
    return top * view.patience**view.time


def _elapsed(view: NegotiationView, horizon: float | None) -> float:
    """Elapsed share τ ∈ [0, 1] of the strategy's horizon (default: the run's)."""
    h = view.horizon if horizon is None else horizon
    return min(1.0, max(0.0, view.time / h))


def _time_curve(top: float, floor: float, tau: float, exponent: float) -> float:
    """Faratin et al. (1998): floor + (top − floor)(1 − τ^(1/e))."""
    return floor + max(0.0, top - floor) * (1 - tau ** (1 / exponent))


class TimeDependent(Strategy):
    """Faratin et al. (1998) time-dependent concession: a(t) = r + (max − r)(1 − τ^(1/e)).

    e < 1 is Boulware (holds firm, concedes late), e = 1 linear, e > 1 conceder.  Patience
    discounts the ceiling per week; goodwill received lowers the aspiration.
    """

    name = "time_dependent"
    param_names: ClassVar[tuple[str, ...]] = ("exponent", "horizon_weeks")
    classifier = _classifier(time_dependent=True)
    default_exponent: ClassVar[float] = 1.0  # linear concession
    default_horizon_weeks: ClassVar[float | None] = None  # None: the run's horizon

    def horizon(self) -> float | None:
        """Weeks over which the strategy concedes fully (None: the run's horizon)."""
        return self.params.get("horizon_weeks", self.default_horizon_weeks)

    def aspiration(self, view: NegotiationView) -> float:
        """Concession curve in elapsed time."""
        tau = _elapsed(view, self.horizon())
        r = view.reservation
        return max(r, _time_curve(_ceiling(view), r, tau, self.param("exponent")) - view.goodwill)


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


class RandomAcceptable(TimeDependent):
    """Time-dependent aspiration, but offers a uniformly random outcome meeting it.

    A baseline without logrolling (like GENIUS' random-walker agents): it shows what
    logrolling adds, and it is the suite's check that a strategy declared stochastic does
    draw from the model's generator.
    """

    name = "random_acceptable"
    classifier = _classifier(stochastic=True)

    def propose(self, view: NegotiationView) -> int:
        """A random candidate (drawn from ``view.rng``)."""
        idx = np.flatnonzero(self.candidates(view, self.aspiration(view)))
        return int(view.rng.choice(idx))


class TitForTat(Strategy):
    """Relative tit-for-tat on concessions (Faratin et al. 1998, behaviour-dependent tactic).

    The opponent's concession is the rise, in our utility, from its first offer to its
    latest; we lower our aspiration from the ceiling by that amount times ``reciprocity``,
    plus a small ``initial`` concession so talks can start.  A retraction by the opponent
    (its latest offer worse for us than an earlier one) is mirrored too.
    """

    name = "tit_for_tat"
    param_names: ClassVar[tuple[str, ...]] = ("reciprocity", "initial")
    classifier = _classifier(reciprocal=True)
    default_reciprocity: ClassVar[float] = 1.0  # concede exactly what the other side conceded
    default_initial: ClassVar[float] = 0.0  # no unilateral opening concession

    def aspiration(self, view: NegotiationView) -> float:
        """Mirror the opponent's concessions."""
        theirs = view.opponent_offers()
        conceded = 0.0
        if len(theirs) >= 2:
            u = view.own_utility
            conceded = max(0.0, float(u[theirs[-1]] - u[theirs[0]]))
        top = _ceiling(view)
        k, initial = self.param("reciprocity"), self.param("initial")
        return max(view.reservation, top - initial - k * conceded - view.goodwill)


class OpponentModelling(TimeDependent):
    """Time-dependent concession, logrolling against issue weights learnt from the offers.

    The other side's per-level values are public (``view.opponent_values``); its issue
    weights are not.  Each of its offers reveals how much of each issue's value it was
    willing to give up: the mean normalised loss ``L_i`` (0 = it always asked for its best
    level, 1 = it always offered its worst).  A side that concedes readily on an issue
    cares little about it, so the estimate is a logit in the losses,
    ``ŵ_i ∝ exp(−learning_rate · L_i)`` over negotiable issues (equal weights before any
    offer) — a value-based variant of the frequency models of Baarslag et al. (2013).
    """

    name = "opponent_model"
    param_names: ClassVar[tuple[str, ...]] = ("exponent", "horizon_weeks", "learning_rate")
    classifier = _classifier(time_dependent=True, uses_opponent_model=True)
    default_exponent = 1.0  # linear concession
    # assumption: a full loss divides a weight by e² ≈ 7.4; on the scripted logrolling
    # conceder of tests/test_strategies.py it recovers weights (0.6, 0.3, 0.1) to L1 ≈ 0.13
    default_learning_rate: ClassVar[float] = 2.0

    def opponent_weights(self, view: NegotiationView) -> np.ndarray:
        """Issue weights learnt from the opponent's offers (the prior before any)."""
        prior = super().opponent_weights(view)
        offers = view.opponent_offers()
        if not offers:
            return prior
        opp = view.opponent
        tables = [i.values.get(opp, np.zeros(1)) for i in view.space.issues]
        best = np.array([t.max() for t in tables])
        worst = np.array([t.min() for t in tables])
        span = np.where(best > worst, best - worst, 1.0)
        loss = ((best - view.opponent_values[offers]) / span).mean(axis=0)
        raw = prior * np.exp(-self.param("learning_rate") * loss)
        return raw / raw.sum()


class RatificationAware(TimeDependent):
    """Two-level bargaining: tied hands as leverage, and offers the other side can ratify.

    - *Respects the other side's constraint*: offers and the ceiling are taken inside the
      joint win-set (own ∩ other side's ∩ on the table) whenever it is not empty — there
      is no point asking for a deal the other side's legislature would reject.
    - *Uses its own constraint as leverage* (Schelling 1960; Putnam 1988): the narrower its
      own win-set (``tightness`` = share of the table its ratifiers would veto), the less
      it concedes: the concession curve stops at
      ``floor = r + leverage · tightness · (ceiling − r)`` instead of the reservation ``r``.
    """

    name = "ratification_aware"
    param_names: ClassVar[tuple[str, ...]] = ("exponent", "horizon_weeks", "leverage")
    classifier = _classifier(time_dependent=True, ratification_aware=True)
    default_exponent = 1.0  # linear concession
    default_leverage: ClassVar[float] = 0.5  # assumption: half the domestic constraint is credible

    def joint(self, view: NegotiationView) -> np.ndarray:
        """Outcomes on the table that both sides could ratify (may be empty)."""
        opp = view.opponent_winset
        mask = view.available & view.own_winset
        return mask if opp is None else mask & opp

    def tightness(self, view: NegotiationView) -> float:
        """Share of the outcomes on the table that our own ratifiers would veto."""
        on_table = int(view.available.sum())
        if on_table == 0:
            return 0.0
        return 1.0 - int((view.available & view.own_winset).sum()) / on_table

    def feasible(self, view: NegotiationView) -> np.ndarray:
        """The joint win-set when not empty, else the base rule."""
        joint = self.joint(view)
        return joint if joint.any() else super().feasible(view)

    def aspiration(self, view: NegotiationView) -> float:
        """Concede from the best jointly ratifiable outcome down to a leverage floor."""
        top = _ceiling(view, self.feasible(view))
        r = view.reservation
        floor = r + self.param("leverage") * self.tightness(view) * max(0.0, top - r)
        tau = _elapsed(view, self.horizon())
        return max(floor, _time_curve(top, floor, tau, self.param("exponent")) - view.goodwill)


class Rubinstein(Strategy):
    """The subgame-perfect equilibrium strategy of Rubinstein (1982) for one divisible issue.

    The pie is the space's utility: the strategy assumes the other side gets ``1 − own``
    (a constant-sum split, as in the theory config).  With per-period discount factors
    ``δ_own`` and ``δ_opp`` (the teams' patience, one period = one offer in the theory
    config; or the ``discount`` / ``opponent_discount`` parameters):

    - as proposer it demands ``s = (1 − δ_opp)/(1 − δ_own·δ_opp)``, i.e. offers the
      outcome with the largest own utility not above ``s`` (so the other side gets at
      least its acceptance threshold) — to the resolution of the levels;
    - as responder it accepts any share of at least ``δ_own·(1 − δ_opp)/(1 − δ_own·δ_opp)``,
      what it would get by proposing next period, discounted once.

    Stationary: neither time nor history moves it.  With ``δ_own·δ_opp = 1`` the shares
    are the limit ``ln δ_opp / (ln δ_own + ln δ_opp)``, or ½ when both are 1.
    """

    name = "rubinstein"
    param_names: ClassVar[tuple[str, ...]] = ("discount", "opponent_discount")

    def discounts(self, view: NegotiationView) -> tuple[float, float]:
        """(δ_own, δ_opp): parameters if set, else the teams' patience."""
        own = self.params.get("discount", view.patience)
        opp_default = view.opponent_patience if view.opponent_patience is not None else own
        return float(own), float(self.params.get("opponent_discount", opp_default))

    @staticmethod
    def proposer_share(d_own: float, d_opp: float) -> float:
        """Equilibrium share of the proposer: (1 − δ_opp)/(1 − δ_own·δ_opp)."""
        if d_own * d_opp < 1.0:
            return (1.0 - d_opp) / (1.0 - d_own * d_opp)
        if d_own == 1.0 and d_opp == 1.0:
            return 0.5
        return math.log(d_opp) / (math.log(d_own) + math.log(d_opp))

    def aspiration(self, view: NegotiationView) -> float:
        """Accept at least δ_own times the share we would get by proposing next period."""
        d_own, d_opp = self.discounts(view)
        return d_own * self.proposer_share(d_own, d_opp) - TOLERANCE

    def propose(self, view: NegotiationView) -> int:
        """The largest own share not above the equilibrium demand (ties: smallest index)."""
        d_own, d_opp = self.discounts(view)
        demand = self.proposer_share(d_own, d_opp)
        u = view.own_utility
        feasible = self.feasible(view)
        within = feasible & (u <= demand + TOLERANCE)
        if not within.any():
            within = feasible & (u <= u[feasible].min())
        return int(np.argmax(np.where(within, u, -np.inf)))
