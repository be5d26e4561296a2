"""Hypothesis strategies and a test harness for negotiation: payoff tables, spaces, offers.

Shipped with the package so that users can property-test their own strategies:

- ``payoff_tables()`` draws two utility vectors over a small set of outcomes (dyadic values,
  so that rescaling by powers of two and shifting by dyadic amounts are exact) with
  reservation values;
- ``small_spaces()`` draws a small multi-issue ``OutcomeSpace`` with per-side values, and
  ``weight_vectors()`` issue weights for it;
- ``scripted_duel()`` plays one strategy against a scripted opponent (a fixed list of
  offers), through the same read-only ``NegotiationView`` the mechanism builds, and returns
  what the strategy offered and aspired to at each step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from tradetalks.sim.issues import Issue, OutcomeSpace, read_only
from tradetalks.sim.protocol import NegotiationView, OfferRecord, StrategyLike, other

DYADIC_DENOMINATOR = 16  # utilities k/16: exact under the metamorphic transforms


@st.composite
def payoff_tables(
    draw: st.DrawFn, min_outcomes: int = 1, max_outcomes: int = 40
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(u1, u2, (r1, r2)): two utility vectors in [0, 1] (multiples of 1/16) and reservations."""
    n = draw(st.integers(min_outcomes, max_outcomes))
    grid = st.integers(0, DYADIC_DENOMINATOR)
    u1 = np.array(draw(st.lists(grid, min_size=n, max_size=n)), dtype=float) / DYADIC_DENOMINATOR
    u2 = np.array(draw(st.lists(grid, min_size=n, max_size=n)), dtype=float) / DYADIC_DENOMINATOR
    r1 = draw(grid) / DYADIC_DENOMINATOR
    r2 = draw(grid) / DYADIC_DENOMINATOR
    return u1, u2, (r1, r2)


def _values(draw: st.DrawFn, n: int, descending: bool) -> list[float]:
    vals = sorted(
        draw(st.lists(st.integers(0, DYADIC_DENOMINATOR), min_size=n, max_size=n)),
        reverse=descending,
    )
    return [v / DYADIC_DENOMINATOR for v in vals]


@st.composite
def issue_lists(draw: st.DrawFn, max_issues: int = 3, max_levels: int = 4) -> list[Issue]:
    """Issues with opposed, monotone per-side values (the side in ``concedes`` loses)."""
    k = draw(st.integers(1, max_issues))
    issues = []
    for j in range(k):
        n = draw(st.integers(2, max_levels))
        concedes = draw(st.sampled_from(["us", "china"]))
        giver, taker = _values(draw, n, True), _values(draw, n, False)
        values = {concedes: np.array(giver), other(concedes): np.array(taker)}
        issues.append(
            Issue(
                name=f"issue_{j}",
                levels=tuple(f"level_{i}" for i in range(n)),
                status_quo=draw(st.integers(0, n - 1)),
                concedes=concedes,
                negotiable=True,
                values=values,
                quantities={},
            )
        )
    return issues


@st.composite
def small_spaces(
    draw: st.DrawFn, max_issues: int = 3, max_levels: int = 4, allow_interim: bool | None = None
) -> OutcomeSpace:
    """A small outcome space (interim deals drawn on or off unless fixed)."""
    issues = draw(issue_lists(max_issues, max_levels))
    interim = draw(st.booleans()) if allow_interim is None else allow_interim
    return OutcomeSpace(issues, allow_interim=interim)


@st.composite
def weight_vectors(draw: st.DrawFn, n: int) -> np.ndarray:
    """Non-negative issue weights summing to 1 (at least one positive)."""
    raw = np.array(draw(st.lists(st.integers(0, 8), min_size=n, max_size=n)), dtype=float)
    if raw.sum() == 0:
        raw[draw(st.integers(0, n - 1))] = 1.0
    return raw / raw.sum()


# --------------------------------------------------------------------------- harness
@dataclass
class DuelStep:
    """One step of a scripted duel: the strategy's offer and aspiration at that time."""

    time: float
    offer: int
    aspiration: float
    own_utility: float


def make_view(
    space: OutcomeSpace,
    side: str,
    own_utility: np.ndarray,
    history: Sequence[OfferRecord],
    *,
    time: float,
    horizon: int,
    reservation: float = 0.0,
    patience: float = 1.0,
    own_winset: np.ndarray | None = None,
    opponent_winset: np.ndarray | None = None,
    opponent_patience: float | None = None,
    goodwill: float = 0.0,
) -> NegotiationView:
    """A ``NegotiationView`` as the mechanism would build it (all arrays read-only)."""
    ro = read_only
    n = len(space)
    return NegotiationView(
        side=side,
        week=int(time) + 1,
        time=time,
        horizon=horizon,
        level="principal",
        offers_left=1,
        space=space,
        own_utility=ro(own_utility),
        reservation=reservation,
        patience=patience,
        available=ro(np.ones(n, dtype=bool)),
        own_winset=ro(np.ones(n, dtype=bool) if own_winset is None else own_winset),
        opponent_values=space.contributions(other(side)),
        history=tuple(history),
        goodwill=goodwill,
        opponent_winset=None if opponent_winset is None else ro(opponent_winset),
        opponent_patience=opponent_patience,
    )


def scripted_duel(
    strategy: StrategyLike,
    space: OutcomeSpace,
    utility: dict[str, np.ndarray],
    script: Sequence[int] | Callable[[int, list[int]], int],
    *,
    side: str = "us",
    horizon: int = 10,
    steps: int | None = None,
    seed: int = 0,
    **view_kwargs: object,
) -> list[DuelStep]:
    """Play ``strategy`` (as ``side``) against a scripted opponent, one exchange per week.

    Each week the scripted opponent offers first (``script[k]``, or ``script(k, our
    offers so far)``), then the strategy proposes.  Returns the strategy's offers and
    aspirations; nothing is accepted (the duel measures behaviour, not outcomes).  ``seed``
    reseeds the strategy's own generator (its ``rng`` attribute, if it has one).
    """
    if hasattr(strategy, "rng"):
        strategy.rng = np.random.default_rng(seed)  # type: ignore[attr-defined]
    opp = other(side)
    history: list[OfferRecord] = []
    ours: list[int] = []
    out: list[DuelStep] = []
    n_steps = (
        steps if steps is not None else (len(script) if isinstance(script, Sequence) else horizon)
    )
    for k in range(n_steps):
        theirs = script[k] if isinstance(script, Sequence) else script(k, ours)
        history.append(_record(k, opp, theirs, utility))
        view = make_view(
            space,
            side,
            utility[side],
            history,
            time=float(k),
            horizon=horizon,
            **view_kwargs,
        )  # type: ignore[arg-type]
        x = int(strategy.propose(view))
        asp = float(strategy.aspiration(view))
        ours.append(x)
        history.append(_record(k, side, x, utility))
        out.append(
            DuelStep(time=float(k), offer=x, aspiration=asp, own_utility=float(utility[side][x]))
        )
    return out


def _record(k: int, proposer: str, x: int, utility: dict[str, np.ndarray]) -> OfferRecord:
    return OfferRecord(
        week=k + 1,
        round_no=k + 1,
        level="principal",
        proposer=proposer,
        outcome=int(x),
        utility={s: float(u[x]) for s, u in utility.items()},
        reservation=dict.fromkeys(utility, 0.0),
        accepted=False,
        blocked_by_ratification=False,
    )
