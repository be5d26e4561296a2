# size: the mechanism and the read-only view it builds are one contract (what strategies see
# and how their answers are checked); splitting them would split that contract.
"""The negotiation protocol: alternating multi-issue offers in scheduled rounds.

``Negotiation`` is the mechanism: it alone changes the negotiation's state.  Negotiators see
it only through a ``NegotiationView``, which lets them change nothing the mechanism or any
other run uses: its arrays (and the outcome space's) are ``read_only``, its history is a
tuple of frozen records with read-only mappings, and it carries no random generator (each
strategy draws from its own).  An offer is accepted when the responder values it at least
at its aspiration and reservation *and* every ratifying body of both sides would approve it
(Putnam's two-level game).  Deputy rounds can only settle a text; principals close deals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
from tradetalks.sim import factored_rounds
from tradetalks.sim.analysis import deal_metrics, tidy
from tradetalks.sim.chapters import Chapters
from tradetalks.sim.config import ProtocolConfig
from tradetalks.sim.issues import OPEN, OutcomeSpace, PickledByFields, read_only
from tradetalks.sim.lazy_space import ProductMask, is_lazy
from tradetalks.sim.payoffs import Ratifier

SIDES = ("us", "china")


def other(side: str) -> str:
    """The opposite side."""
    return "china" if side == "us" else "us"


def _by_side(values: Mapping[str, float]) -> Mapping[str, float]:
    """A read-only side → float mapping (plain Python floats)."""
    return MappingProxyType({str(k): float(v) for k, v in values.items()})


@dataclass(frozen=True)
class OfferRecord(PickledByFields):
    """One offer made in a round, with both sides' utilities as the mechanism saw them.

    Immutable: ``utility`` and ``reservation`` become read-only mappings of Python floats.
    """

    week: int
    round_no: int
    level: str
    proposer: str
    outcome: int
    utility: Mapping[str, float]
    reservation: Mapping[str, float]
    accepted: bool
    blocked_by_ratification: bool

    def __post_init__(self) -> None:
        for name in ("week", "round_no", "outcome"):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("accepted", "blocked_by_ratification"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        object.__setattr__(self, "utility", _by_side(self.utility))
        object.__setattr__(self, "reservation", _by_side(self.reservation))


@dataclass(frozen=True)
class DealRecord(PickledByFields):
    """An agreement signed by the principals (immutable, like ``OfferRecord``)."""

    week: int
    outcome: int
    terms: Mapping[str, str]
    new_issues: tuple[str, ...]
    utility: Mapping[str, float]
    reservation: Mapping[str, float]
    interim: bool
    # Bargaining quality at signature (sim.analysis): Nash product over the reservation
    # values, and distance to the Pareto frontier of the outcomes then on the table and
    # inside both win-sets.
    nash_product: float | None = None
    pareto_distance: float | None = None
    # "executive" unless a covered level needs legislation; the sides whose legislature
    # must pass it (sim/chapters.py)
    agreement_type: str = "executive"
    legislatures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "week", int(self.week))
        object.__setattr__(self, "outcome", int(self.outcome))
        object.__setattr__(self, "interim", bool(self.interim))
        object.__setattr__(self, "terms", MappingProxyType(dict(self.terms)))
        object.__setattr__(self, "new_issues", tuple(self.new_issues))
        object.__setattr__(self, "legislatures", tuple(self.legislatures))
        object.__setattr__(self, "utility", _by_side(self.utility))
        object.__setattr__(self, "reservation", _by_side(self.reservation))
        for name in ("nash_product", "pareto_distance"):
            value = getattr(self, name)
            object.__setattr__(self, name, None if value is None else float(value))


# public event kinds strategies may learn from (core-v2 §1 C); the model records them
EVENT_KINDS = (
    "escalation",
    "retaliation",
    "postponement",
    "gesture",
    "truce",
    "deal",
    "collapse",
    "fired",
    "incident",
    "dispute",  # a review found purchases short (sim/monitoring.py)
    "unravel",  # a signed agreement became void; talks reopen
)


@dataclass(frozen=True)
class PublicEvent(PickledByFields):
    """A public event (core-v2 §1 C, K): ``side`` did ``kind`` in ``week``."""

    week: int
    side: str
    kind: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "week", int(self.week))
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; known: {EVENT_KINDS}")
        if self.side not in SIDES:
            raise ValueError(f"unknown side {self.side!r}")


class StrategyLike(Protocol):
    """What the mechanism needs from a strategy.

    A strategy may also define ``accepts(view, outcome) -> bool``; the mechanism then asks
    it instead of comparing with ``aspiration`` (still never below the reservation value).
    """

    def aspiration(self, view: NegotiationView) -> float:
        """Lowest utility this negotiator accepts now."""
        ...

    def propose(self, view: NegotiationView) -> int:
        """Index of the outcome to offer."""
        ...


class TeamLike(Protocol):
    """What the mechanism needs from a team.

    Optional (core v2; read with ``getattr`` defaults, so legacy teams need none):
    ``gain_next() -> np.ndarray | None`` (G_s(x, t+Δ); None or absent: a legacy team),
    ``gap`` (Δ weeks) and ``private_type`` (the private acceptance share γ, or None).
    """

    side: str
    reservation: float
    patience: float

    def utility(self) -> np.ndarray:
        """Current utility of every outcome."""
        ...

    def strategy_for(self, level: str) -> StrategyLike:
        """The strategy of the member who leads at this level."""
        ...


@dataclass(frozen=True)
class NegotiationView:
    """A read-only picture of the negotiation for one side at one moment.

    Every array is ``read_only``; ``space`` is the (read-only) outcome space the runs share;
    ``history`` is a tuple of frozen records.  A round's views cover only the outcomes that
    round can touch: ``outcomes`` holds the outcome index of each position of the view's
    arrays (those on the table and those in the history, ascending), and every index a view
    gives or takes (an offer, ``history`` outcomes, ``on_table``) is such a position.  With
    ``outcomes`` None the arrays cover the whole space and positions are outcome indices.
    """

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
    # Core v2 (None with legacy teams): own gain V − r now and at the next round (t + Δ),
    # the gap Δ in weeks, the opponent's normalised gain from its public values
    # (V_o − r_o)/(M_o − r_o), and this side's private acceptance share γ.
    own_gain: np.ndarray | None = None
    own_gain_next: np.ndarray | None = None
    gap: int | None = None
    opponent_gain_public: np.ndarray | None = None
    own_type: float | None = None
    # Public events so far (oldest first) and the opponent's offer awaiting an answer.
    events: tuple[PublicEvent, ...] = ()
    on_table: int | None = None
    outcomes: np.ndarray | None = None  # outcome index of each position (None: the identity)

    def outcome(self, position: int) -> int:
        """The outcome index (in ``space``) at ``position`` of this view's arrays."""
        return int(position) if self.outcomes is None else int(self.outcomes[position])

    @property
    def opponent(self) -> str:
        """The other side."""
        return other(self.side)

    def opponent_offers(self) -> list[int]:
        """Outcome indices the other side has offered, oldest first."""
        return [r.outcome for r in self.history if r.proposer != self.side]

    def best_feasible(self) -> float:
        """Highest own utility among outcomes that are available and in the own win-set."""
        if self.best_feasible_utility is not None:
            return self.best_feasible_utility
        return best_feasible(self.own_utility, self.available, self.own_winset)


def top_value(values: np.ndarray, mask: np.ndarray, empty: float) -> float:
    """The largest of ``values`` inside ``mask``, else of all of them, else ``empty`` (a view
    over a round with nothing on the table and no history has no outcome at all)."""
    if mask.any():
        return float(values[mask].max())
    return float(values.max()) if len(values) else empty


def normalised_gain(utility: np.ndarray, reservation: float, mask: np.ndarray) -> np.ndarray:
    """(V − r)/(M − r), M the best V inside ``mask`` (read-only); unscaled if M ≤ r (no gain)."""
    top = top_value(utility, mask, reservation)
    span = top - reservation
    return read_only((utility - reservation) / (span if span > 0 else 1.0))


def _undominated(u1: np.ndarray, u2: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` less outcomes another masked outcome dominates (strictly better for side 1, at
    least as good for side 2, in ``tidy`` utilities): the same Pareto frontier, found by a
    sort of fewer outcomes.  Binned by side 1's utility, an outcome goes when an outcome in a
    higher bin is as good for side 2 (all kept unless every utility is finite)."""
    a, b, idx = tidy(u1), tidy(u2), np.flatnonzero(mask)
    a_in, b_in = a[idx], b[idx]
    if len(idx) == 0 or not (np.isfinite(a_in).all() and np.isfinite(b_in).all()):
        return mask
    low, high = a_in.min(), a_in.max()
    scale = DOMINANCE_BINS / (high - low) if high > low else 0.0
    # bins rise with the utility (rounding is monotone): a higher bin is a strictly higher a
    bins = np.minimum(((a_in - low) * scale).astype(np.intp), DOMINANCE_BINS - 1)
    top = np.full(DOMINANCE_BINS + 1, -np.inf)
    np.maximum.at(top, bins, b_in)
    above = np.maximum.accumulate(top[::-1])[::-1][1:]  # best b in the bins above each bin
    out = np.zeros(len(mask), dtype=bool)
    out[idx[b_in > above[bins]]] = True
    return read_only(out)


def _relabel(record: OfferRecord, position: int) -> OfferRecord:
    """``record`` with its outcome given as a position of a round's views (no re-validation:
    every other field is the original's, already frozen)."""
    out = object.__new__(OfferRecord)
    out.__dict__.update(record.__dict__)
    out.__dict__["outcome"] = position
    return out


def best_feasible(utility: np.ndarray, available: np.ndarray, winset: np.ndarray) -> float:
    """Highest utility among available outcomes inside the win-set (else the overall best)."""
    mask = available & winset
    return float(utility[mask].max()) if mask.any() else float(utility.max())


def _gain(team: TeamLike) -> np.ndarray:
    """V − r of every outcome (the team's cached copy when it keeps one)."""
    cached = getattr(team, "gain", None)
    return cached() if callable(cached) else read_only(team.utility() - team.reservation)


def _public_values(team: TeamLike) -> tuple[np.ndarray, float]:
    """(V, r) as the other side models them (the team's own unless it says otherwise)."""
    public = getattr(team, "public_values", None)
    return public() if callable(public) else (team.utility(), team.reservation)


RELABEL_AT_ONCE = 8  # _history_view: this many new records searched at once (speed only)
DOMINANCE_BINS = 64  # _undominated: bins of the US's utility (speed only: any number ≥ 1)
FACTORED_STATES = 8  # round states whose factored outcomes are kept (memory, not results)
LIST_BELOW = 16384  # a space never enumerated lists fewer available outcomes (speed only)


def _both(table: Any, signable: Any) -> Any:
    """Outcomes on the table whose chapters can be signed (a ``ProductMask`` on a space never
    enumerated, else a read-only mask)."""
    return table & signable if isinstance(table, ProductMask) else read_only(table & signable)


def _same_mask(a: Any, b: Any) -> bool:
    """The same outcomes: arrays equal, or product masks built alike."""
    return a.same(b) if isinstance(a, ProductMask) else bool(np.array_equal(a, b))


class ProtocolError(RuntimeError):
    """A strategy broke the protocol (e.g. offered an outcome that is not available)."""


@dataclass(frozen=True)
class _Moment:
    """Where an exchange stands: the week, the time within it, the level, offers left."""

    week: int
    time: float
    level: str
    offers_left: int


# what opening a round sets; ``Negotiation.preview`` saves and restores it
_ROUND_STATE = (
    "_available",
    "_signable",
    "_index",
    "_local",
    "_indicators",
    "_view_history",
    "_round_winsets",
    "_round_believed",
    "_round_best",
    "round_count",
    "_gains",
    "phase",
)


class Negotiation:
    """The mechanism: runs rounds, checks acceptance and ratification, records offers and deals."""

    def __init__(
        self,
        space: OutcomeSpace,
        teams: dict[str, TeamLike],
        ratifiers: list[Ratifier],
        cfg: ProtocolConfig,
        horizon: int,
        chapters: Chapters | None = None,
    ) -> None:
        self.space = space
        self._lazy = is_lazy(space)  # never enumerated: rounds must take the factored path
        self.teams = teams
        self.ratifiers = ratifiers
        self.cfg = cfg
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
        # chapters (readiness, agenda, agreement types); None: every chapter ready, executive
        self.chapters = Chapters(space) if chapters is None else chapters
        self._table = self._available  # on the table; _available also needs ready chapters
        self._round_believed: dict[str, np.ndarray] = {}  # win-sets at public prior thresholds
        self._signable = self.chapters.signable(None)  # chapters ready at the last round
        self.events: list[PublicEvent] = []  # public events, oldest first (core-v2 §1 C)
        self._gains: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}  # v2, per round
        # a round's views cover ``_index`` (outcomes on the table or in the history); win-sets
        # and ``_local`` (what views read, per side) are arrays over it
        self._index = read_only(np.zeros(0, dtype=np.intp))
        self._whole = self._index  # every outcome's index, built when first needed
        self._rows_of: tuple[np.ndarray, OutcomeSpace] = (self._index, space.rows(self._index))
        self._local: dict[Any, Any] = {}
        self._indicators: dict[str, float] = {}
        self._view_history: tuple[np.ndarray, list[OfferRecord]] = (self._index, [])
        # arrays over the space gathered at a round's outcomes, kept while both are the same
        self._gathered: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # rounds cover the outcomes their decisions can reach, found issue by issue
        # (sim/factored_rounds.py), not every available one; the same decisions either way
        self.factored = self._lazy
        # the factored outcomes of recent round states: a week's previews and its round share
        # one (state → (the valuations it was found for, outcomes without the history))
        self._factored_seen: dict[tuple, tuple[tuple, np.ndarray | None]] = {}

    # ------------------------------------------------------------------ read-only access
    @property
    def done(self) -> bool:
        """True once every negotiable issue is agreed."""
        return all(j in self.agreed for j in self._negotiable)

    @property
    def available(self) -> np.ndarray:
        """Mask of outcomes that can be signed: still on the table (consistent with what is
        agreed) and with every covered chapter ready and on the agenda (read-only)."""
        return self._available

    @property
    def readiness(self) -> Mapping[str, float]:
        """Readiness of every issue's chapter (a read-only mapping, for views and reporters)."""
        return MappingProxyType(self.chapters.readiness_by_issue())

    def winset(
        self, side: str, indicators: dict[str, float], *, believed: bool = False
    ) -> np.ndarray:
        """Outcomes every ratifying body of ``side`` would approve given the agreement type
        (read-only); ``believed``: at the public prior thresholds, as the other side sees it."""
        return self.chapters.winset(side, self.ratifiers, indicators, believed=believed)

    # ------------------------------------------------------------------ state changes
    def record_event(self, kind: str, side: str, week: int) -> PublicEvent:
        """Record a public event (``side`` did ``kind`` in ``week``) that strategies may read."""
        event = PublicEvent(week=week, side=side, kind=kind)
        self.events.append(event)
        return event

    def reopen(self, week: int) -> None:
        """An agreement unravelled: every issue is open again, from the status quo in force
        (levels are relative to it), and both sides see it in the public record."""
        self.agreed = {}
        self.settled_text = None
        self._table = self.space.consistent_with({})
        self._available = _both(self._table, self._signable)
        self.phase = "talks reopened"
        for side in SIDES:
            self.record_event("unravel", side, week)

    def credit_goodwill(self, side: str, amount: float) -> None:
        """``side`` received a goodwill gesture worth ``amount`` of aspiration."""
        self.goodwill[side] += amount

    def run_round(
        self,
        week: int,
        level: str,
        indicators: dict[str, float],
        date: dt.date | None = None,
    ) -> DealRecord | None:
        """One scheduled round of alternating offers; returns the deal if principals close one.

        ``date`` (default: the first day of ``week``) decides which issues are on the agenda;
        a deputy round first raises the readiness of the chapters it works on."""
        if self.done:
            return None
        date = self.chapters.date_of(week) if date is None else date
        if level == "deputy":
            self.chapters.advance(date, self.agreed)
        first = self._start_round(level, indicators, date)
        if not self._available.any():  # nothing ready to sign: the round has nothing to do
            return None
        n = self.cfg.max_offers_per_round
        if level == "principal" and self.settled_text is not None:
            text, self.settled_text = self.settled_text, None
            moment = _Moment(week, float(week - 1), level, n)
            if (
                self._available[text]
                and self._acceptable(text, SIDES, moment)
                and self._ratifiable(text)
            ):
                return self._close(text, week)
        for k in range(n):
            proposer = first if k % 2 == 0 else other(first)
            moment = _Moment(week, week - 1 + k / n, level, n - k)
            x, agreed = self._offer(proposer, moment)
            if agreed:
                if level == "deputy":
                    self.settled_text = x
                    self.phase = "text settled"
                    return None
                return self._close(x, week)
        return None

    def forced_round(self, week: int, level: str, date: dt.date, *, collapse: bool) -> None:
        """A recorded round in a replay (sim/replay.py): counted, a deputy round advances
        readiness as ``run_round`` does, but no offers are made (the record holds none), so
        nothing is signed; a collapse enters the public record for both sides."""
        self.round_count += 1
        if level == "deputy":
            self.chapters.advance(date, self.agreed)
        self.phase = f"{level} talks"
        if collapse:
            for side in SIDES:
                self.record_event("collapse", side, week)

    def _start_round(
        self, level: str, indicators: dict[str, float], date: dt.date | None = None
    ) -> str:
        """Count the round, fix what can be signed, its win-sets (true, and believed by the
        other side) and best outcomes; return the first mover."""
        self.round_count += 1
        first = self.cfg.first_mover
        if self.cfg.alternate_first_mover and self.round_count % 2 == 0:
            first = other(first)
        self._signable = self.chapters.signable(date)
        self._available = _both(self._table, self._signable)
        self._indicators = indicators
        self._index = self._round_index(level, date)
        full = self._full
        available = self._available if full else read_only(self._available[self._index])
        self._local = {"available": available}
        self._round_winsets = {s: self._winset_at(s, believed=False) for s in SIDES}
        self._round_believed = {s: self._winset_at(s, believed=True) for s in SIDES}
        self._round_best = {s: self._best(s) for s in SIDES}
        self.phase = f"{level} talks"
        return first

    def _round_index(self, level: str, date: dt.date | None = None) -> np.ndarray:
        """The outcomes this round's views cover: those available, those in the history and a
        settled text, ascending (the previous round's array when they are the same); every
        outcome unless both sides' strategies at ``level`` take such views
        (``round_positions``, agents/strategies.py).  With ``factored`` on and both sides'
        strategies declaring ``factored_rounds``: the factored search's outcomes instead of
        every available one (sim/factored_rounds.py)."""
        if not all(
            getattr(t.strategy_for(level), "round_positions", False) for t in self.teams.values()
        ):
            self._never_enumerated(level)
            if len(self._whole) != len(self.space):
                self._whole = read_only(np.arange(len(self.space)))
            return self._whole
        extra = [r.outcome for r in self.history]
        if self.settled_text is not None:
            extra.append(self.settled_text)
        if self.factored and all(  # the outcomes the decisions can reach (sim/factored_rounds)
            getattr(t.strategy_for(level), "factored_rounds", False) for t in self.teams.values()
        ):
            index = self._listed(extra) if self._lazy else None
            if index is None:
                index = self._factored_index(date, extra)
            if index is not None:
                last = self._view_history[0]
                return last if np.array_equal(last, index) else read_only(index)
        self._never_enumerated(level)
        covered = self._available
        if extra and not covered[extra].all():
            covered = covered.copy()
            covered[extra] = True
        index = np.flatnonzero(covered)
        last = self._view_history[0]
        return last if np.array_equal(last, index) else read_only(index)

    def _listed(self, extra: list[int]) -> np.ndarray | None:
        """On a space never enumerated, every available outcome and ``extra`` when at most
        ``LIST_BELOW`` combinations of allowed choices hold them (None: more): listing costs
        less than a search then, and a round covering every available outcome decides as one
        covering the search's (the enumerated path's rounds, as tests/test_lazy_space.py
        checks)."""
        listed = self._available.indices(LIST_BELOW)
        if listed is None:
            return None
        return np.union1d(listed, np.asarray(extra, dtype=np.int64)) if extra else listed

    def _never_enumerated(self, level: str) -> None:
        """On a space never enumerated only the factored search can list a round's outcomes
        (the config check refuses runs it cannot serve: config_schema.lazy_problem)."""
        if self._lazy:
            kinds = {s: type(t.strategy_for(level)).__name__ for s, t in self.teams.items()}
            raise ProtocolError(
                f"a {level} round on a space of {len(self.space):,} outcomes (never enumerated) "
                f"needs core-v2 valuations and strategies declaring factored_rounds ({kinds})"
            )

    def _factored_index(self, date: dt.date | None, extra: list[int]) -> np.ndarray | None:
        """``factored_rounds.round_outcomes`` for this round (None where it does not apply),
        found once per round state: the valuations, each body's margins, the ready chapters
        and the agreed levels are all it reads besides the history, added here."""
        if not _same_mask(self.space.consistent_with(self.agreed), self._table):
            return None  # a state the agreed levels do not describe: cover what is available
        ind = self._indicators
        margins = tuple(
            (r.threshold - r.base(ind), r.threshold_for(True) - r.base(ind)) for r in self.ratifiers
        )
        state = (margins, self.chapters.ready(date).tobytes(), tuple(sorted(self.agreed.items())))
        values = tuple(v for t in self.teams.values() for v in (t.valuation, t.observed))
        seen = self._factored_seen.get(state)
        if seen is None or any(a is not b for a, b in zip(seen[0], values, strict=True)):
            found = factored_rounds.round_outcomes(
                self.space, self.teams, self.ratifiers, self.chapters, ind, self.agreed, date, []
            )
            if len(self._factored_seen) >= FACTORED_STATES:
                del self._factored_seen[next(iter(self._factored_seen))]  # the oldest
            seen = self._factored_seen[state] = (values, found)
        found = seen[1]
        return found if found is None or not extra else np.union1d(found, extra)

    @property
    def _full(self) -> bool:
        """This round covers every outcome of an enumerated space (positions are indices)."""
        return not self._lazy and len(self._index) == len(self.space)

    @property
    def _rows(self) -> OutcomeSpace:
        """This round's outcomes as a space of their own (the space itself for all of them),
        built once per set of outcomes."""
        if self._full:
            return self.space
        if self._rows_of[0] is not self._index:
            self._rows_of = (self._index, self.space.rows(self._index))
        return self._rows_of[1]

    def _winset_at(self, side: str, *, believed: bool) -> np.ndarray:
        """``side``'s win-set at this round's outcomes (true, or at the public thresholds)."""
        if self._full:
            return self.winset(side, self._indicators, believed=believed)
        return self.chapters.winset_at(
            side, self.ratifiers, self._indicators, self._index, believed=believed
        )

    def _at(self, name: Any, source: np.ndarray | None, make: Any = None) -> np.ndarray:
        """``source`` (an array over the space) at this round's outcomes; reused while the
        outcomes and ``source`` are the same arrays (teams keep theirs for a valuation).
        ``make``: computes the values at the round's outcomes instead (``source`` None)."""
        if self._full:  # every outcome: positions are indices
            return read_only(source)
        hit = self._gathered.get(name)
        if hit is not None and hit[0] is self._index and hit[1] is source:
            return hit[2]
        out = read_only(source[self._index] if make is None else make())
        self._gathered[name] = (self._index, source, out)
        return out

    def _utility_at(self, side: str) -> np.ndarray:
        """``side``'s utility at this round's outcomes."""
        return self._team_values(side, "utility")

    def _team_values(self, side: str, name: str) -> Any:
        """A team's ``name`` (utility, gain, gain_next, public_values) at this round's outcomes:
        computed there by a team that can (``<name>_at``), else gathered from its values
        over the whole space (None where a legacy team has none)."""
        team = self.teams[side]
        at = getattr(team, f"{name}_at", None)
        if callable(at):
            return at(self._rows, self._index)
        if name == "gain":
            return self._at((name, side), _gain(team))
        if name == "public_values":
            public, r = _public_values(team)
            return self._at((name, side), public), r
        full = getattr(team, name, None)
        values = full() if callable(full) else None
        return None if values is None else self._at((name, side), values)

    def _best(self, side: str) -> float:
        """``best_feasible`` of ``side`` this round: over the available outcomes inside its
        win-set, else over the whole space (as ``best_feasible`` falls back). With nothing on
        the table no offer is made and no meeting wish read (``run_round``,
        ``snapshot.meeting_requests``), so the round's own outcomes stand in for the space."""
        available = self._local["available"]
        mask = available & self._round_winsets[side]
        if mask.any():
            return float(self._utility_at(side)[mask].max())
        if not available.any():
            return top_value(self._utility_at(side), mask, self.teams[side].reservation)
        if self._lazy:  # the top of the whole space, found issue by issue
            return factored_rounds.top_value(
                self.space, self.teams, side, self.ratifiers, self._indicators
            )
        return float(self.teams[side].utility().max())

    def _position(self, x: int) -> int:
        """Position of outcome ``x`` in this round's views."""
        if self._full:
            return int(x)
        pos = int(self._index.searchsorted(x))
        if pos >= len(self._index) or self._index[pos] != x:
            raise ProtocolError(f"outcome {x} is not among this round's outcomes")
        return pos

    def _history_view(self) -> tuple[OfferRecord, ...]:
        """The history with outcomes as positions of this round's views (extended as offers
        are made, so the records of a round keep their identity)."""
        if self._full:  # every outcome: positions are indices
            return tuple(self.history)
        index, records = self._view_history
        if index is not self._index:
            index, records = self._index, []
            self._view_history = (index, records)
        new = self.history[len(records) :]
        if len(new) >= RELABEL_AT_ONCE and len(index):  # a new round's: positions at once
            outcomes = np.array([r.outcome for r in new], dtype=np.intp)
            pos = np.minimum(index.searchsorted(outcomes), len(index) - 1)
            for r, p, x in zip(new, pos.tolist(), (index[pos] != outcomes).tolist(), strict=True):
                if x:
                    raise ProtocolError(f"outcome {r.outcome} is not among this round's outcomes")
                records.append(_relabel(r, p))
        else:
            records.extend(_relabel(r, self._position(r.outcome)) for r in new)
        return tuple(records)

    def preview(
        self, side: str, week: int, level: str, indicators: dict[str, float], date: dt.date | None
    ) -> NegotiationView:
        """The view ``side`` would get if a round of ``level`` opened now; changes nothing (a
        side uses it to decide whether to ask for a meeting).  Its ``round_no`` is None."""
        saved = {name: getattr(self, name) for name in _ROUND_STATE}
        try:
            self._start_round(level, indicators, date)
            self.round_count, self._gains = None, {}  # type: ignore[assignment]
            return self._view(side, _Moment(week, float(week - 1), level, 1))
        finally:
            for name, value in saved.items():
                setattr(self, name, value)

    def _ratifiable(self, x: int) -> bool:
        """True if every ratifying body of both sides approves outcome ``x`` this round, at
        the true thresholds and for its agreement type."""
        pos = self._position(x)
        return bool(self._round_winsets["us"][pos] and self._round_winsets["china"][pos])

    def _offer(self, proposer: str, moment: _Moment) -> tuple[int, bool]:
        """``proposer`` makes one offer; record it and return it with whether it is agreed."""
        strategy = self.teams[proposer].strategy_for(moment.level)
        pos = int(strategy.propose(self._view(proposer, moment)))
        if not (0 <= pos < len(self._index)) or not self._local["available"][pos]:
            raise ProtocolError(f"{proposer} offered position {pos}, which is not on the table")
        x = int(self._index[pos])
        # a rational proposer never binds itself below its own reservation value
        own_ok = bool(self._utility_at(proposer)[pos] >= self.teams[proposer].reservation)
        likes = own_ok and self._acceptable(x, (other(proposer),), moment, offered_by=proposer)
        ratifiable = self._ratifiable(x)
        self.history.append(
            OfferRecord(
                week=moment.week,
                round_no=self.round_count,
                level=moment.level,
                proposer=proposer,
                outcome=x,
                utility={s: float(self._utility_at(s)[pos]) for s in SIDES},
                reservation={s: self.teams[s].reservation for s in SIDES},
                accepted=likes and ratifiable,
                blocked_by_ratification=likes and not ratifiable,
            )
        )
        return x, likes and ratifiable

    def _v2_fields(self, side: str, week: int) -> dict[str, Any]:
        """Core-v2 view fields of ``side`` (all None for a legacy team), fixed per round."""
        key = (self.round_count, week)
        cached = self._gains.get(side)
        if cached is not None and cached[0] == key:
            return cached[1]
        team = self.teams[side]
        nxt = self._team_values(side, "gain_next")
        fields: dict[str, Any] = dict.fromkeys(
            ("own_gain", "own_gain_next", "gap", "opponent_gain_public")
        )
        if nxt is not None:
            seen, r = self._team_values(other(side), "public_values")
            span = self._believed_span(side, seen, r)
            fields = {
                "own_gain": self._team_values(side, "gain"),
                "own_gain_next": nxt,
                "gap": getattr(team, "gap", None),
                "opponent_gain_public": read_only((seen - r) / (span if span > 0 else 1.0)),
            }
        self._gains[side] = (key, fields)
        return fields

    def _believed_span(self, side: str, seen: np.ndarray, r: float) -> float:
        """M − r: the best of the other side's public values ``seen`` (at this round's
        outcomes) on the table inside the joint win-set as ``side`` knows it: its own true
        one, the other side's at the public prior thresholds (never the opponent's private
        draw). With nothing there, over the round's outcomes on the table; with nothing on
        the table, r (such a view decides nothing, sim/snapshot.meeting_requests)."""
        available = self._local["available"]
        joint = available & self._round_winsets[side]
        joint &= self._round_believed[other(side)]
        return top_value(seen, joint if joint.any() else available, r) - r

    def _view(self, side: str, moment: _Moment, on_table: int | None = None) -> NegotiationView:
        """The read-only view ``side`` gets now; win-sets and best outcome are fixed per round."""
        team = self.teams[side]
        return NegotiationView(
            side=side,
            week=moment.week,
            time=moment.time,
            horizon=self.horizon,
            level=moment.level,
            offers_left=moment.offers_left,
            space=self.space,
            own_utility=self._utility_at(side),
            reservation=team.reservation,
            patience=team.patience,
            available=self._local["available"],
            own_winset=self._round_winsets[side],
            opponent_values=self._values_at(other(side)),
            history=self._history_view(),
            goodwill=self.goodwill[side],
            opponent_winset=self._round_believed[other(side)],  # public prior thresholds
            opponent_patience=self.teams[other(side)].patience,
            best_feasible_utility=self._round_best[side],
            round_no=self.round_count,
            own_type=getattr(team, "private_type", None),
            events=tuple(self.events),
            on_table=None if on_table is None else self._position(on_table),
            outcomes=self._index,
            **self._v2_fields(side, moment.week),
        )

    def _values_at(self, side: str) -> np.ndarray:
        """``side``'s public per-issue values at this round's outcomes (rows of the space's)."""
        if self._lazy:  # the round's rows: the same gathers as over the whole space
            return self._at(("values", side), None, lambda: self._rows.contributions(side))
        return self._at(("values", side), self.space.contributions(side))

    def _acceptable(
        self, x: int, sides: tuple[str, ...], moment: _Moment, offered_by: str | None = None
    ) -> bool:
        """True if each of ``sides`` values ``x`` at least at its aspiration and reservation
        (asking the strategy's ``accepts`` when it has one; ``offered_by`` puts x on the table)."""
        pos = self._position(x)
        for side in sides:
            team = self.teams[side]
            value = self._utility_at(side)[pos]
            if value < team.reservation:
                return False
            on_table = x if offered_by == other(side) else None
            view = self._view(side, moment, on_table)
            strategy = team.strategy_for(moment.level)
            accepts = getattr(strategy, "accepts", None)
            if callable(accepts):
                if not accepts(view, pos):
                    return False
            elif value < strategy.aspiration(view):
                return False
        return True

    def _close(self, x: int, week: int) -> DealRecord:
        """Sign outcome ``x``: agree its issues, narrow the table and record the deal."""
        if self._lazy:
            utility, metrics = self._deal_values_factored(x)
        else:
            feasible = self._available.copy()
            for side in SIDES:
                feasible &= self.winset(side, self._indicators)
            utility, metrics = self._deal_values(x, feasible)
        row = self.space.row(x)
        new = [j for j in self._negotiable if row[j] != OPEN and j not in self.agreed]
        for j in new:
            self.agreed[j] = int(row[j])
        if not self.done:
            self._table = self.space.consistent_with(self.agreed)
        elif self._lazy:
            self._table = self.space.nothing()
        else:
            self._table = read_only(np.zeros(len(self.space), dtype=bool))
        self._available = _both(self._table, self._signable)
        kind, legislatures = self.chapters.agreement_type(x)
        deal = DealRecord(
            week=week,
            outcome=x,
            terms=self.space.terms(x),
            new_issues=tuple(self.space.names[j] for j in new),
            utility=utility,
            reservation={s: self.teams[s].reservation for s in SIDES},
            interim=not self.done,
            nash_product=metrics["nash_product"],
            pareto_distance=metrics["pareto_distance"],
            agreement_type=kind,
            legislatures=legislatures,
        )
        self.deals.append(deal)
        self.phase = "interim deal" if deal.interim else "deal"
        return deal

    def _deal_values_factored(self, x: int) -> tuple[dict[str, float], dict]:
        """``_deal_values`` on a space never enumerated: over the outcomes that may be on the
        frontier of what can be signed inside both true win-sets (found issue by issue,
        sim/factored_rounds.deal_outcomes) and ``x``: the same frontier, so the same bits."""
        found = factored_rounds.deal_outcomes(
            self.space,
            self.teams,
            self.ratifiers,
            self._indicators,
            self.agreed,
            self._available.allowed,
        )
        index = read_only(np.union1d(found, [x]).astype(np.intp))
        rows, at = self.space.rows(index), int(np.searchsorted(index, x))
        res = {s: self.teams[s].reservation for s in SIDES}
        u = {s: self.teams[s].utility_at(rows, index) for s in SIDES}
        feasible = np.asarray(self._available[index]).copy()
        for side in SIDES:
            feasible &= self.chapters.winset_at(side, self.ratifiers, self._indicators, index)
        mask = _undominated(u["us"], u["china"], feasible)
        return {s: float(u[s][at]) for s in SIDES}, deal_metrics(at, u, res, mask)

    def _deal_values(self, x: int, feasible: np.ndarray) -> tuple[dict[str, float], dict]:
        """Each side's utility of deal ``x`` and its ``deal_metrics`` over ``feasible``: where
        both teams value outcomes where they are (``utility_at``, core v2), at the feasible
        outcomes and ``x`` only, the same bits as over the whole space."""
        teams = [self.teams[s] for s in SIDES]
        res = {s: self.teams[s].reservation for s in SIDES}
        if any(
            getattr(t, "valuation", None) is None or not hasattr(t, "utility_at") for t in teams
        ):
            u = {s: self.teams[s].utility() for s in SIDES}
            return {s: float(u[s][x]) for s in SIDES}, deal_metrics(x, u, res, feasible)
        chosen = feasible.copy()
        chosen[x] = True  # x itself, feasible or not
        index = read_only(np.flatnonzero(chosen))
        rows, at = self.space.rows(index), int(np.searchsorted(index, x))
        u = {s: self.teams[s].utility_at(rows, index) for s in SIDES}
        mask = _undominated(u["us"], u["china"], feasible[index])
        return {s: float(u[s][at]) for s in SIDES}, deal_metrics(at, u, res, mask)
