# size: the built-in kinds register themselves on import; kept with the base class, one
# import fills REGISTRY (splitting them off would need an import for its side effect).
"""Negotiation strategies: one class per strategy, each declaring its properties.

A strategy answers two questions through the read-only ``NegotiationView``: how much it
still aspires to (``aspiration``) and what to offer (``propose``).  The default offer
logrolls: among outcomes worth at least the aspiration to us and inside our win-set, offer
the one the (modelled) opponent likes best — one masked ``argmax`` over the whole outcome
space.  Subclasses register themselves by ``name`` (``REGISTRY`` fills itself) and name
their typed parameters (``params_model``, a model in ``sim/config_strategies.py``).  A user
strategy subclasses ``Strategy`` with its own ``params_model`` and is named in a config by
import path, ``kind = "package.module:Class"``.

Each class declares its ``classifier``: read-only properties the test-suite checks against
behaviour (``tests/test_strategies.py``):

``stochastic``
    draws from its own generator (``self.rng``, spawned from the model's when the strategy
    is built, so it never moves the model's stream); if False, the same views give the same
    offers whatever the seed.
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
``frontier_offers``
    not random; offers are never beaten on both its own utility and the equal-weight
    opponent model's; it accepts on its own utility alone, and its aspiration reads the space
    only through the best feasible utility and the offers made: a run of such strategies may
    keep only those frontiers of a space too large to enumerate (sim/frontier_rows.py;
    DEVELOPERS.md states the contract).

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
from tradetalks.sim import config_strategies as sp
from tradetalks.sim.config_strategies import StrategyParams, StrategySpec, import_object
from tradetalks.sim.protocol import NegotiationView

REGISTRY: dict[str, type[Strategy]] = {}
TIE_BREAK = 1e-9  # prefer our own utility among outcomes the opponent values equally
TOLERANCE = 1e-9  # numerical slack when comparing utilities that are equal in theory
UNBUILT_SEED = 0  # a strategy built outside a model draws from this fixed seed (reproducible)


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
            # proposes the first outcome maximising the modelled opponent's utility plus
            # TIE_BREAK·own among those worth the aspiration, accepts on its own utility: its
            # picks lie on frontiers a run may keep alone (sim/frontier_rows.py)
            "frontier_offers": False,
        }
    )
    params_model: ClassVar[type[StrategyParams]] = StrategyParams  # no parameters
    # The mechanism may give a round's views over that round's outcomes only (positions in
    # ``view.outcomes``, NegotiationView): this code indexes only the view's own arrays. A
    # subclass indexing arrays of its own over the whole space sets False (whole-space views).
    round_positions: ClassVar[bool] = True
    # The round may cover only the factored search's candidates (sim/factored_rounds.py):
    # true where every decision is an argmax over the round's outcomes of the values that
    # search keeps (core v2's screening strategy); a subclass reading anything else sets False.
    factored_rounds: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    def __init__(
        self,
        params: StrategyParams | None = None,
        *,
        rng: np.random.Generator | None = None,
        **values: Any,
    ) -> None:
        """Typed ``params`` (or keyword values validated by ``params_model``) and the strategy's
        own generator ``rng`` (the model spawns one per negotiator)."""
        if params is None:
            params = self.params_model.model_validate(values)  # a ValueError if invalid
        elif values or not isinstance(params, self.params_model):
            raise TypeError(f"{type(self).__name__} takes one {self.params_model.__name__}")
        self.params = params
        self.rng = np.random.default_rng(UNBUILT_SEED) if rng is None else rng

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

        Cached while the values (the same array: the same outcomes), side and weights stay the
        same, so a strategy pays for the product only when its model or the outcomes move.
        """
        w = self.opponent_weights(view)
        key = (view.side, w.tobytes())
        cache = getattr(self, "_opponent_cache", None)
        if cache is not None and cache[0] is view.opponent_values and cache[1] == key:
            return cache[2]
        u = np.einsum("ij,j->i", view.opponent_values, w)  # faster than BLAS matvec here
        u.setflags(write=False)
        self._opponent_cache = (view.opponent_values, key, u)
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
    def from_config(cls, spec: StrategySpec, rng: np.random.Generator) -> Strategy:
        """Build the strategy a member's validated config names (``sim.scenario`` checks user
        classes), drawing from its own generator ``rng``."""
        strategy: type[Strategy] = REGISTRY.get(spec.kind) or import_object(spec.kind)
        params = spec.params
        if not isinstance(params, strategy.params_model):
            params = strategy.params_model.model_validate(params or {})
        return strategy(params, rng=rng)


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
    params_model = sp.TimeDependentParams
    params: sp.TimeDependentParams
    classifier = _classifier(time_dependent=True, frontier_offers=True)

    def horizon(self) -> float | None:
        """Weeks over which the strategy concedes fully (None: the run's horizon)."""
        return self.params.horizon_weeks

    def aspiration(self, view: NegotiationView) -> float:
        """Concession curve in elapsed time."""
        tau = _elapsed(view, self.horizon())
        r = view.reservation
        return max(r, _time_curve(_ceiling(view), r, tau, self.params.exponent) - view.goodwill)


class Boulware(TimeDependent):
    """Time-dependent with a small default exponent: firm until near the horizon."""

    name = "boulware"
    params_model = sp.BoulwareParams


class Linear(TimeDependent):
    """Time-dependent with exponent 1: concedes evenly."""

    name = "linear"
    params_model = sp.LinearParams


class Conceder(TimeDependent):
    """Time-dependent with a large default exponent: concedes early."""

    name = "conceder"
    params_model = sp.ConcederParams


class RandomAcceptable(TimeDependent):
    """Time-dependent aspiration, but offers a uniformly random outcome meeting it.

    A baseline without logrolling (like GENIUS' random-walker agents): it shows what
    logrolling adds, and it is the suite's check that a strategy declared stochastic does
    draw from its own generator.
    """

    name = "random_acceptable"
    params_model = sp.RandomAcceptableParams
    classifier = _classifier(stochastic=True)

    def propose(self, view: NegotiationView) -> int:
        """A random candidate (drawn from the strategy's own generator)."""
        idx = np.flatnonzero(self.candidates(view, self.aspiration(view)))
        return int(self.rng.choice(idx))


class TitForTat(Strategy):
    """Relative tit-for-tat on concessions (Faratin et al. 1998, behaviour-dependent tactic).

    The opponent's concession is the rise, in our utility, from its first offer to its
    latest; we lower our aspiration from the ceiling by that amount times ``reciprocity``,
    plus a small ``initial`` concession so talks can start.  A retraction by the opponent
    (its latest offer worse for us than an earlier one) is mirrored too.
    """

    name = "tit_for_tat"
    params_model = sp.TitForTatParams
    params: sp.TitForTatParams
    classifier = _classifier(reciprocal=True, frontier_offers=True)

    def aspiration(self, view: NegotiationView) -> float:
        """Mirror the opponent's concessions."""
        theirs = view.opponent_offers()
        conceded = 0.0
        if len(theirs) >= 2:
            u = view.own_utility
            conceded = max(0.0, float(u[theirs[-1]] - u[theirs[0]]))
        top = _ceiling(view)
        k, initial = self.params.reciprocity, self.params.initial
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
    params_model = sp.OpponentModelParams
    params: sp.OpponentModelParams
    classifier = _classifier(time_dependent=True, uses_opponent_model=True)

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
        raw = prior * np.exp(-self.params.learning_rate * loss)
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
    params_model = sp.RatificationAwareParams
    params: sp.RatificationAwareParams
    classifier = _classifier(time_dependent=True, ratification_aware=True)

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
        floor = r + self.params.leverage * self.tightness(view) * max(0.0, top - r)
        tau = _elapsed(view, self.horizon())
        return max(floor, _time_curve(top, floor, tau, self.params.exponent) - view.goodwill)


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
    params_model = sp.RubinsteinParams
    params: sp.RubinsteinParams

    def discounts(self, view: NegotiationView) -> tuple[float, float]:
        """(δ_own, δ_opp): parameters if set, else the teams' patience."""
        own = view.patience if self.params.discount is None else self.params.discount
        opp = self.params.opponent_discount
        if opp is None:
            opp = view.opponent_patience if view.opponent_patience is not None else own
        return float(own), float(opp)

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
