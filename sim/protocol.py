"""The negotiation protocol: alternating multi-issue offers in scheduled rounds.

``Negotiation`` is the mechanism: it alone changes the negotiation's state.  Negotiators see
it only through a ``NegotiationView`` (read-only arrays and tuples).  An offer is accepted
when the responder values it at least at its aspiration and reservation *and* every
ratifying body of both sides would approve it (Putnam's two-level game).  Deputy rounds can
only settle a text; principals close deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from tradetalks.sim.analysis import deal_metrics
from tradetalks.sim.config import ProtocolConfig
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.payoffs import Ratifier

SIDES = ("us", "china")


def other(side: str) -> str:
    """The opposite side."""
    return "china" if side == "us" else "us"


@dataclass(frozen=True)
class OfferRecord:
    """One offer made in a round, with both sides' utilities as the mechanism saw them."""

    week: int
    round_no: int
    level: str
    proposer: str
    outcome: int
    utility: dict[str, float]
    reservation: dict[str, float]
    accepted: bool
    blocked_by_ratification: bool


@dataclass(frozen=True)
class DealRecord:
    """An agreement signed by the principals."""

    week: int
    outcome: int
    terms: dict[str, str]
    new_issues: tuple[str, ...]
    utility: dict[str, float]
    reservation: dict[str, float]
    interim: bool
    # Bargaining quality at signature (sim.analysis): Nash product over the reservation
    # values, and distance to the Pareto frontier of the outcomes then on the table and
    # inside both win-sets.
    nash_product: float | None = None
    pareto_distance: float | None = None


class StrategyLike(Protocol):
    """What the mechanism needs from a strategy."""

    def aspiration(self, view: NegotiationView) -> float:
        """Lowest utility this negotiator accepts now."""
        ...

    def propose(self, view: NegotiationView) -> int:
        """Index of the outcome to offer."""
        ...


class TeamLike(Protocol):
    """What the mechanism needs from a team."""

    side: str
    reservation: float
    patience: float

    def utility(self) -> np.ndarray:
        """Current utility of every outcome."""
        ...

    def strategy_for(self, level: str) -> StrategyLike:
        """The strategy of the member who leads at this level."""
        ...


def _frozen(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.setflags(write=False)
    return v


@dataclass(frozen=True)
class NegotiationView:
    """A read-only picture of the negotiation for one side at one moment."""

    side: str
    week: int
    time: float  # weeks since the start, fractional within a round
    horizon: int  # weeks in the run
    level: str
    offers_left: int
    space: OutcomeSpace
    own_utility: np.ndarray
    reservation: float
    patience: float
    available: np.ndarray
    own_winset: np.ndarray
    opponent_values: np.ndarray  # public per-issue value contributions of the other side
    history: tuple[OfferRecord, ...]
    goodwill: float
    rng: np.random.Generator = field(repr=False)
    # Two-level game: the other side's ratifiers are public, so its win-set is known
    # (None when not supplied: strategies then treat every outcome as ratifiable there).
    opponent_winset: np.ndarray | None = None
    # The other side's patience (common knowledge in complete-information bargaining).
    opponent_patience: float | None = None
    # best_feasible() precomputed by the mechanism once per round (it does not change
    # within a round); None: computed on demand.
    best_feasible_utility: float | None = None
    # The mechanism's round counter (None outside a round): lets strategies cache what
    # stays fixed within a round.
    round_no: int | None = None

    @property
    def opponent(self) -> str:
        """The other side."""
        return other(self.side)

    @property
    def time_fraction(self) -> float:
        """Elapsed share of the horizon in [0, 1]."""
        return min(1.0, max(0.0, self.time / self.horizon))

    def opponent_offers(self) -> list[int]:
        """Outcome indices the other side has offered, oldest first."""
        return [r.outcome for r in self.history if r.proposer != self.side]

    def own_offers(self) -> list[int]:
        """Outcome indices this side has offered, oldest first."""
        return [r.outcome for r in self.history if r.proposer == self.side]

    def best_feasible(self) -> float:
        """Highest own utility among outcomes that are available and in the own win-set."""
        if self.best_feasible_utility is not None:
            return self.best_feasible_utility
        return best_feasible(self.own_utility, self.available, self.own_winset)


def best_feasible(utility: np.ndarray, available: np.ndarray, winset: np.ndarray) -> float:
    """Highest utility among available outcomes inside the win-set (else the overall best)."""
    mask = available & winset
    return float(utility[mask].max()) if mask.any() else float(utility.max())


class ProtocolError(RuntimeError):
    """A strategy broke the protocol (e.g. offered an outcome that is not available)."""


class Negotiation:
    """The mechanism: runs rounds, checks acceptance and ratification, records offers and deals."""

    def __init__(
        self,
        space: OutcomeSpace,
        teams: dict[str, TeamLike],
        ratifiers: list[Ratifier],
        cfg: ProtocolConfig,
        rng: np.random.Generator,
        horizon: int,
    ) -> None:
        self.space = space
        self.teams = teams
        self.ratifiers = ratifiers
        self.cfg = cfg
        self.rng = rng
        self.horizon = horizon
        self.history: list[OfferRecord] = []
        self.deals: list[DealRecord] = []
        self.agreed: dict[int, int] = {}
        self.settled_text: int | None = None
        self.round_count = 0
        self.phase = "pre-talks"
        self.goodwill = dict.fromkeys(SIDES, 0.0)
        self._available = space.consistent_with({})
        self._negotiable = [j for j, i in enumerate(space.issues) if i.negotiable]
        self._round_winsets: dict[str, np.ndarray] = {}
        self._round_best: dict[str, float] = {}

    # ------------------------------------------------------------------ read-only access
    @property
    def done(self) -> bool:
        """True once every negotiable issue is agreed."""
        return all(j in self.agreed for j in self._negotiable)

    @property
    def available(self) -> np.ndarray:
        """Mask of outcomes still on the table (consistent with what is agreed)."""
        return _frozen(self._available)

    def winset(self, side: str, indicators: dict[str, float]) -> np.ndarray:
        """Outcomes every ratifying body of ``side`` would approve."""
        mask = np.ones(len(self.space), dtype=bool)
        for rat in self.ratifiers:
            if rat.side == side:
                mask &= rat.winset(indicators)
        return mask

    def view(
        self,
        side: str,
        week: int,
        time: float,
        level: str,
        offers_left: int,
        indicators: dict[str, float],
        winset: np.ndarray | None = None,
        opponent_winset: np.ndarray | None = None,
        best: float | None = None,
    ) -> NegotiationView:
        """The read-only view ``side`` gets of the negotiation now."""
        team = self.teams[side]
        if winset is None:
            winset = self.winset(side, indicators)
        if opponent_winset is None:
            opponent_winset = self.winset(other(side), indicators)
        return NegotiationView(
            side=side,
            week=week,
            time=time,
            horizon=self.horizon,
            level=level,
            offers_left=offers_left,
            space=self.space,
            own_utility=_frozen(team.utility()),
            reservation=team.reservation,
            patience=team.patience,
            available=self.available,
            own_winset=_frozen(winset),
            opponent_values=self.space.contributions(other(side)),
            history=tuple(self.history),
            goodwill=self.goodwill[side],
            rng=self.rng,
            opponent_winset=_frozen(opponent_winset),
            opponent_patience=self.teams[other(side)].patience,
            best_feasible_utility=best,
            round_no=self.round_count if best is not None else None,
        )

    # ------------------------------------------------------------------ state changes
    def credit_goodwill(self, side: str, amount: float) -> None:
        """``side`` received a goodwill gesture worth ``amount`` of aspiration."""
        self.goodwill[side] += amount

    def run_round(self, week: int, level: str, indicators: dict[str, float]) -> DealRecord | None:
        """One scheduled round of alternating offers; returns the deal if principals close one."""
        if self.done:
            return None
        self.round_count += 1
        first = self.cfg.first_mover
        if self.cfg.alternate_first_mover and self.round_count % 2 == 0:
            first = other(first)
        self._round_winsets = {s: self.winset(s, indicators) for s in SIDES}
        self._round_best = {
            s: best_feasible(self.teams[s].utility(), self._available, self._round_winsets[s])
            for s in SIDES
        }
        both_ws = self._round_winsets["us"] & self._round_winsets["china"]
        self.phase = f"{level} talks"
        n = self.cfg.max_offers_per_round
        if level == "principal" and self.settled_text is not None:
            text, self.settled_text = self.settled_text, None
            signed = self._acceptable(text, SIDES, week, float(week - 1), level, n, indicators)
            if signed and both_ws[text]:
                return self._close(text, week)
        for k in range(n):
            proposer = first if k % 2 == 0 else other(first)
            responder = other(proposer)
            time = week - 1 + k / n
            pview = self._round_view(proposer, week, time, level, n - k, indicators)
            x = int(self.teams[proposer].strategy_for(level).propose(pview))
            if not (0 <= x < len(self.space)) or not self._available[x]:
                raise ProtocolError(f"{proposer} offered outcome {x}, which is not on the table")
            # a rational proposer never binds itself below its own reservation value
            own_ok = self.teams[proposer].utility()[x] >= self.teams[proposer].reservation
            likes = own_ok and self._acceptable(
                x, (responder,), week, time, level, n - k, indicators
            )
            ratifiable = bool(both_ws[x])
            self.history.append(
                OfferRecord(
                    week=week,
                    round_no=self.round_count,
                    level=level,
                    proposer=proposer,
                    outcome=x,
                    utility={s: float(self.teams[s].utility()[x]) for s in SIDES},
                    reservation={s: self.teams[s].reservation for s in SIDES},
                    accepted=likes and ratifiable,
                    blocked_by_ratification=likes and not ratifiable,
                )
            )
            if likes and ratifiable:
                if level == "deputy":
                    self.settled_text = x
                    self.phase = "text settled"
                    return None
                return self._close(x, week)
        return None

    def _round_view(
        self,
        side: str,
        week: int,
        time: float,
        level: str,
        offers_left: int,
        indicators: dict[str, float],
    ) -> NegotiationView:
        """A view inside the current round: win-sets and best outcome computed once per round."""
        return self.view(
            side,
            week,
            time,
            level,
            offers_left,
            indicators,
            self._round_winsets[side],
            self._round_winsets[other(side)],
            self._round_best[side],
        )

    def _acceptable(
        self,
        x: int,
        sides: tuple[str, ...],
        week: int,
        time: float,
        level: str,
        offers_left: int,
        indicators: dict[str, float],
    ) -> bool:
        for side in sides:
            team = self.teams[side]
            view = self._round_view(side, week, time, level, offers_left, indicators)
            floor = max(team.strategy_for(level).aspiration(view), team.reservation)
            if team.utility()[x] < floor:
                return False
        return True

    def _close(self, x: int, week: int) -> DealRecord:
        feasible = self._available.copy()
        for ws in self._round_winsets.values():
            feasible &= ws
        metrics = deal_metrics(
            x,
            {s: self.teams[s].utility() for s in SIDES},
            {s: self.teams[s].reservation for s in SIDES},
            feasible,
        )
        new = [j for j in self._negotiable if self.space.covered[x, j] and j not in self.agreed]
        for j in new:
            self.agreed[j] = int(self.space.levels[x, j])
        self._available = (
            self.space.consistent_with(self.agreed)
            if not self.done
            else (np.zeros(len(self.space), dtype=bool))
        )
        deal = DealRecord(
            week=week,
            outcome=x,
            terms=self.space.terms(x),
            new_issues=tuple(self.space.names[j] for j in new),
            utility={s: float(self.teams[s].utility()[x]) for s in SIDES},
            reservation={s: self.teams[s].reservation for s in SIDES},
            interim=not self.done,
            nash_product=metrics["nash_product"],
            pareto_distance=metrics["pareto_distance"],
        )
        self.deals.append(deal)
        self.phase = "interim deal" if deal.interim else "deal"
        return deal
