"""Guards: every mechanism has a test that fails when the mechanism is switched off (issue 9).

- Protocol, with scripted opponents that drive one mechanism each: individual rationality of
  the proposer and of the responder, win-set membership when an offer is accepted and when a
  settled text is signed, the round structure, patience and goodwill reaching a strategy.
- World, central banks and payoffs: reference computations of the documented reduced forms
  (docs/MODEL.md §2-4, §9) and their exact thresholds.
- Model level, metamorphic properties: more farm distress never raises the US walk-away
  value, more export loss never raises China's; audience costs shrink the home win-set and
  weigh against backing down.

Win-sets are recomputed here from the ratifier configs with this file's own numpy code
(``ratifier_margins``), never through ``Ratifier`` or the protocol; ``test_theory.py`` and
``test_properties.py`` use the same helpers.  ``benchmarks/mutation.py --hand`` lists the
hand-made mutants these tests kill.
"""

from __future__ import annotations

import dataclasses
import math

import mesa
import networkx as nx
import numpy as np
import pytest
from helpers import BASELINE, LEGACY, SMALL, TWO_LEVEL
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from tradetalks.agents.central_banks import Fed, PBoC
from tradetalks.agents.farm_population import (
    FarmerPopulation,
    initial_population,
    neighbour_mean_matrix,
)
from tradetalks.agents.strategies import REGISTRY
from tradetalks.sim.config import ModelStateError, load_config
from tradetalks.sim.indicators import PRESSURES
from tradetalks.sim.issues import OPEN
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.payoffs import (
    Ratifier,
    blend_weights,
    reservation_value,
    shifted_influence,
    team_position,
    team_pressure,
)
from tradetalks.sim.protocol import (
    DealRecord,
    Negotiation,
    OfferRecord,
    ProtocolError,
    best_feasible,
)
from tradetalks.sim.spaces import outcome_space
from tradetalks.sim.world import STATE_SOURCES, World

SIDES = ("us", "china")
TOL = 1e-9  # margins closer to a threshold than this count as ties (float rounding)
CFG = load_config(BASELINE, {**SMALL, **TWO_LEVEL})  # the ratifier mechanism's test bed
# the first version's walk-away index and pressure-shifted influence (core v2 projects both)
LEGACY_CFG = load_config(LEGACY, SMALL)
SPACE = outcome_space(CFG)
U = {
    "us": SPACE.utility("us", SPACE.weight_vector(CFG.teams["us"].members["ustr"].weights)),
    "china": SPACE.utility(
        "china", SPACE.weight_vector(CFG.teams["china"].members["deputy"].weights)
    ),
}
APPROVAL = {"farm_approval": 0.6}
FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# =============================================================================== helpers
def ratifier_gains(cfg, levels, names) -> dict[str, np.ndarray]:
    """Σ_i w_i (v_i(x_i) − v_i(sq_i)) of every ratifier for outcomes given as rows of levels
    (OPEN: the issue stays at its status quo), from the configs alone (docs/MODEL.md §4)."""
    levels = np.atleast_2d(np.asarray(levels))
    out = {}
    for name, rat in cfg.ratifiers.items():
        gain = np.zeros(len(levels))
        for j, issue_name in enumerate(names):
            issue = cfg.issues[issue_name]
            weight = rat.weights.get(issue_name, 0.0)
            table = issue.values.get(rat.values)
            if weight == 0.0 or table is None:
                continue
            vals = np.asarray(table, dtype=float)
            sq = issue.levels.index(issue.status_quo)
            level = np.where(levels[:, j] == OPEN, sq, levels[:, j])
            gain += weight * (vals[level] - vals[sq])
        out[name] = gain
    return out


def legislative(cfg, levels, names, side: str) -> np.ndarray:
    """Outcomes (rows of levels) covering a level conceded by ``side`` (or both) that needs
    legislation, from the issue configs alone (sim/chapters.py)."""
    levels = np.atleast_2d(np.asarray(levels))
    out = np.zeros(len(levels), dtype=bool)
    for j, issue_name in enumerate(names):
        issue = cfg.issues[issue_name]
        if issue.needs_legislation and issue.concedes in (side, "both"):
            flags = np.asarray(issue.needs_legislation, dtype=bool)
            out |= (levels[:, j] != OPEN) & flags[np.maximum(levels[:, j], 0)]
    return out


def ratifier_margins(cfg, levels, names, indicators, shifts=None, gains=None, thresholds=None):
    """support − threshold of every ratifier (≥ 0: the body ratifies), where
    support = base (or its live indicator) + shift + sensitivity · gain; a body that votes
    only on legislation has +inf on its side's executive agreements.  ``thresholds``: the
    run's true (drawn) thresholds by name, else the configs' public ones."""
    gains = ratifier_gains(cfg, levels, names) if gains is None else gains
    shifts, thresholds = shifts or {}, thresholds or {}
    out = {}
    for name, rat in cfg.ratifiers.items():
        base = indicators[rat.base_indicator] if rat.base_indicator else rat.base
        threshold = thresholds.get(name, rat.threshold)
        out[name] = base + shifts.get(name, 0.0) + rat.sensitivity * gains[name] - threshold
        if rat.applies_to == "legislative":
            out[name] = np.where(legislative(cfg, levels, names, rat.side), out[name], np.inf)
    return out


def side_margin(cfg, margins: dict[str, np.ndarray], side: str) -> np.ndarray:
    """Smallest margin over a side's ratifiers (≥ 0: inside its win-set; +inf: no ratifier)."""
    mine = [m for name, m in margins.items() if cfg.ratifiers[name].side == side]
    n = len(next(iter(margins.values()))) if margins else 1
    return np.min(mine, axis=0) if mine else np.full(n, np.inf)


def audience_shifts(model, before_week: int) -> dict[str, float]:
    """Ratifier base shifts from the postponements logged before ``before_week``: each lowers
    the constant base of its side's ratifiers by the action's audience cost (Fearon 1994).
    With tariff makers (core v2) the audience cost is paid in the maker's own rule instead
    (agents/makers.py), and no ratifier moves."""
    cfg = model.config
    if cfg.makers is not None:
        return dict.fromkeys(cfg.ratifiers, 0.0)
    cost = {(a.side, a.label): a.audience_cost for a in cfg.calendar.tariff_actions}
    shifts = dict.fromkeys(cfg.ratifiers, 0.0)
    for g in model.gestures:
        if g["kind"] != "postponement" or g["week"] >= before_week:
            continue
        for name, rat in cfg.ratifiers.items():
            if rat.side == g["side"] and rat.base_indicator is None:
                shifts[name] -= cost[(g["side"], g["label"])]
    return shifts


def side_margins_at(model, week: int, outcomes, approval=None) -> dict[str, np.ndarray]:
    """Each side's smallest ratification margin for ``outcomes`` in the round of ``week``,
    from the farm approval recorded that week (``approval``: the timeseries column, read
    once by the caller) and the audience costs paid before it."""
    if approval is None:
        approval = model.timeseries().set_index("week")["farm_approval"]
    indicators = {"farm_approval": float(approval.loc[week])}
    margins = ratifier_margins(
        model.config,
        model.space.levels[np.atleast_1d(outcomes)],
        model.space.names,
        indicators,
        audience_shifts(model, week),
        thresholds={rat.name: rat.threshold for rat in model.ratifiers},
    )
    return {side: side_margin(model.config, margins, side) for side in SIDES}


def assert_offers_respect_the_winsets(model) -> None:
    """Every accepted offer and every deal lies in both win-sets at that week; an offer
    recorded as blocked by ratification lies outside one of them."""
    neg = model.negotiation
    approval = model.timeseries().set_index("week")["farm_approval"]

    def margin(week: int, outcome: int) -> float:
        return min(float(m[0]) for m in side_margins_at(model, week, outcome, approval).values())

    for rec in neg.history:
        if rec.accepted:
            assert margin(rec.week, rec.outcome) >= -TOL, rec
        elif rec.blocked_by_ratification:
            assert margin(rec.week, rec.outcome) < TOL, rec
    for deal in neg.deals:
        assert margin(deal.week, deal.outcome) >= -TOL, deal


GAINS = ratifier_gains(CFG, SPACE.levels, SPACE.names)
MARGINS = ratifier_margins(CFG, SPACE.levels, SPACE.names, APPROVAL, gains=GAINS)
US_MARGIN = side_margin(CFG, MARGINS, "us")
CN_MARGIN = side_margin(CFG, MARGINS, "china")


def _first(mask: np.ndarray) -> int:
    hits = np.flatnonzero(mask)
    assert len(hits), "the baseline has no such outcome"
    return int(hits[0])


# --------------------------------------------------------------------- scripted opponents
class Scripted:
    """Offers the given outcomes in turn (the last one repeated), aspires to a fixed level,
    and records every view the mechanism hands it."""

    def __init__(self, offers, aspiration: float = 0.0) -> None:
        self.offers = [offers] if isinstance(offers, int) else list(offers)
        self.level = aspiration
        self.proposed = 0
        self.views: list = []

    def aspiration(self, view):
        self.views.append(("aspiration", view))
        return self.level

    def propose(self, view):
        self.views.append(("propose", view))
        x = self.offers[min(self.proposed, len(self.offers) - 1)]
        self.proposed += 1
        return x


class StubTeam:
    """A team with a fixed utility; ``strategy`` may differ by level."""

    def __init__(self, side, strategy, reservation=0.0, patience=1.0, utility=None):
        self.side = side
        self._u = U[side] if utility is None else utility
        self.strategies = strategy if isinstance(strategy, dict) else {}
        self.default = None if isinstance(strategy, dict) else strategy
        self.reservation, self.patience = reservation, patience

    def utility(self):
        return self._u

    def strategy_for(self, level):
        return self.strategies.get(level, self.default)


def negotiation(us, china, ratifiers=(), horizon=52, **protocol) -> Negotiation:
    cfg = CFG.protocol.model_copy(update=protocol)
    return Negotiation(SPACE, {"us": us, "china": china}, list(ratifiers), cfg, horizon)


def ratifiers() -> list[Ratifier]:
    return [Ratifier(name, r, SPACE) for name, r in CFG.ratifiers.items()]


# =============================================================================== protocol
def test_independent_winsets_match_the_protocols():
    """The helper and the mechanism agree wherever the margin is not a float tie."""
    neg = negotiation(StubTeam("us", Scripted(0)), StubTeam("china", Scripted(0)), ratifiers())
    for approval in (0.0, 0.35, 0.6, 1.0):
        ind = {"farm_approval": approval}
        margins = ratifier_margins(CFG, SPACE.levels, SPACE.names, ind, gains=GAINS)
        for side in SIDES:
            mine = side_margin(CFG, margins, side)
            clear = np.abs(mine) > TOL
            assert np.array_equal(neg.winset(side, ind)[clear], (mine >= 0)[clear])
    assert neg.winset("us", {"farm_approval": 0.0}).sum() < neg.winset("us", APPROVAL).sum()


@pytest.mark.parametrize("exact", [True, False], ids=["at_reservation", "below_reservation"])
def test_the_proposer_never_binds_itself_below_its_reservation(exact):
    """The responder would take the offer; the proposer's own reservation decides (the US
    takes none of China's offers, so only the US's own offers can close)."""
    x = SPACE.index_of({"ag_purchases": "30"})
    res = U["us"][x] if exact else U["us"][x] + 1e-6
    us = StubTeam("us", Scripted(x, aspiration=1.01), reservation=res)
    china = StubTeam("china", Scripted(x), reservation=0.0)
    neg = negotiation(us, china)
    deal = neg.run_round(1, "principal", APPROVAL)
    if exact:
        assert deal is not None and deal.outcome == x and len(neg.history) == 1
    else:
        assert deal is None and not neg.deals
        assert not any(r.accepted or r.blocked_by_ratification for r in neg.history)
        assert len(neg.history) == CFG.protocol.max_offers_per_round


@pytest.mark.parametrize("exact", [True, False], ids=["at_reservation", "below_reservation"])
def test_the_responder_floor_is_its_reservation_when_its_aspiration_is_lower(exact):
    x = SPACE.index_of({"ag_purchases": "30"})
    res = U["china"][x] if exact else U["china"][x] + 1e-6
    us = StubTeam("us", Scripted(x, aspiration=1.01))  # only China's acceptance counts
    china = StubTeam("china", Scripted(x, aspiration=0.0), reservation=res)
    neg = negotiation(us, china)
    deal = neg.run_round(1, "principal", APPROVAL)
    assert (deal is not None) == exact
    assert neg.history[0].accepted == exact


@pytest.mark.parametrize("exact", [True, False], ids=["at_aspiration", "below_aspiration"])
def test_the_responder_floor_is_its_aspiration_when_above_its_reservation(exact):
    x = SPACE.index_of({"ag_purchases": "30"})
    asp = U["china"][x] if exact else U["china"][x] + 1e-6
    us = StubTeam("us", Scripted(x, aspiration=1.01))  # only China's acceptance counts
    china = StubTeam("china", Scripted(x, aspiration=asp), reservation=0.0)
    neg = negotiation(us, china)
    assert (neg.run_round(1, "principal", APPROVAL) is not None) == exact


@pytest.mark.parametrize("outside", ["us", "china"])
def test_an_offer_both_like_is_blocked_outside_either_winset(outside):
    inside = "china" if outside == "us" else "us"
    own = {"us": US_MARGIN, "china": CN_MARGIN}
    x = _first((own[outside] < -TOL) & (own[inside] > TOL))
    neg = negotiation(StubTeam("us", Scripted(x)), StubTeam("china", Scripted(x)), ratifiers())
    assert neg.run_round(1, "principal", APPROVAL) is None and not neg.deals
    assert all(r.blocked_by_ratification and not r.accepted for r in neg.history)
    assert neg.phase == "principal talks"


def test_an_unwanted_unratifiable_offer_is_rejected_not_blocked():
    x = _first(US_MARGIN < -TOL)
    us = StubTeam("us", Scripted(x))
    china = StubTeam("china", Scripted(x, aspiration=1.01))
    neg = negotiation(us, china, ratifiers())
    assert neg.run_round(1, "principal", APPROVAL) is None
    rejected_by_china = [r for r in neg.history if r.proposer == "us"]
    assert not any(r.blocked_by_ratification or r.accepted for r in rejected_by_china)


def test_an_offer_inside_both_winsets_closes_a_deal():
    x = _first((US_MARGIN > TOL) & (CN_MARGIN > TOL))
    neg = negotiation(StubTeam("us", Scripted(x)), StubTeam("china", Scripted(x)), ratifiers())
    deal = neg.run_round(1, "principal", APPROVAL)
    assert deal is not None and deal.outcome == x
    assert neg.history[0].accepted and not neg.history[0].blocked_by_ratification


# a text both sides can ratify at approval 0.6 that the farmers reject at approval 0.2
LOW = {"farm_approval": 0.2}
_LOW_FARMERS = ratifier_margins(CFG, SPACE.levels, SPACE.names, LOW, gains=GAINS)["farmers"]
TEXT = _first((US_MARGIN > TOL) & (CN_MARGIN > TOL) & (_LOW_FARMERS < -TOL))


def _settle():
    us = StubTeam("us", Scripted(TEXT))
    china = StubTeam("china", Scripted(TEXT))
    rats = ratifiers()
    neg = negotiation(us, china, rats)
    assert neg.run_round(1, "deputy", APPROVAL) is None
    assert neg.settled_text == TEXT and neg.phase == "text settled" and not neg.deals
    return neg, rats


def test_a_settled_text_is_signed_at_once_while_still_ratifiable():
    neg, _ = _settle()
    deal = neg.run_round(5, "principal", APPROVAL)
    assert deal is not None and deal.outcome == TEXT and deal.week == 5
    assert len(neg.history) == 1, "signed without new offers"
    assert neg.settled_text is None
    n = CFG.protocol.max_offers_per_round
    for side in SIDES:  # each principal judged the text at the start of the round
        view = _views(neg.teams[side].default, "aspiration")[-1]
        assert (view.week, view.time, view.level, view.offers_left) == (5, 4.0, "principal", n)


def test_a_settled_text_is_not_signed_once_the_farmers_turn_against_it():
    neg, _ = _settle()
    assert neg.run_round(2, "principal", LOW) is None and not neg.deals
    assert neg.settled_text is None, "the text is off the table once the signing failed"
    later = neg.history[1:]
    assert later and all(r.blocked_by_ratification for r in later)


def test_a_settled_text_is_not_signed_once_chinas_leadership_turns_against_it():
    neg, rats = _settle()
    leadership = next(r for r in rats if r.name == "leadership")
    leadership.base_shift = -(CN_MARGIN[TEXT] + 0.01)  # as audience costs would
    assert neg.run_round(2, "principal", APPROVAL) is None and not neg.deals
    assert all(r.blocked_by_ratification for r in neg.history[1:])


@pytest.mark.parametrize("side", SIDES)
def test_a_settled_text_is_not_signed_if_a_principal_no_longer_accepts_it(side):
    """Signing needs both sides to accept the text still (here its value fell below one
    side's reservation, so no offer of it can pass either)."""
    neg, _ = _settle()
    neg.teams[side].reservation = U[side][TEXT] + 1e-6
    assert neg.run_round(2, "principal", APPROVAL) is None and not neg.deals
    assert len(neg.history) == 1 + CFG.protocol.max_offers_per_round


def test_deputies_never_close_and_a_second_deputy_round_keeps_talking():
    neg, _ = _settle()
    assert neg.run_round(2, "deputy", APPROVAL) is None and not neg.deals
    assert neg.settled_text == TEXT


def _views(strategy, kind):
    return [v for k, v in strategy.views if k == kind]


@pytest.mark.parametrize(
    ("first", "alternate", "expected"),
    [("us", True, ["us", "china"]), ("us", False, ["us", "us"]), ("china", True, ["china", "us"])],
)
def test_first_mover_alternates_between_rounds(first, alternate, expected):
    x = SPACE.index_of({"ag_purchases": "0"})
    us = StubTeam("us", Scripted(x, 1.01))
    china = StubTeam("china", Scripted(x, 1.01))
    neg = negotiation(us, china, first_mover=first, alternate_first_mover=alternate)
    openers = []
    for week in (1, 2):
        before = len(neg.history)
        neg.run_round(week, "principal", APPROVAL)
        openers.append(neg.history[before].proposer)
    assert openers == expected
    assert neg.round_count == 2


@pytest.mark.parametrize("n", [1, 4, 5])
def test_a_round_alternates_offers_in_time(n):
    """k-th offer of a round at t = week − 1 + k/n, proposers alternating, both views alike."""
    x = SPACE.index_of({"fentanyl": "enforcement"})
    us_s, cn_s = Scripted(x, 1.01), Scripted(x, 1.01)
    neg = negotiation(
        StubTeam("us", us_s, reservation=0.1, patience=0.9),
        StubTeam("china", cn_s, reservation=0.2, patience=0.8),
        ratifiers(),
        horizon=40,
        max_offers_per_round=n,
    )
    assert neg.phase == "pre-talks"
    assert neg.run_round(7, "deputy", APPROVAL) is None
    assert neg.phase == "deputy talks"
    assert [r.proposer for r in neg.history] == [("us", "china")[k % 2] for k in range(n)]
    props = sorted(_views(us_s, "propose") + _views(cn_s, "propose"), key=lambda v: v.time)
    resps = sorted(_views(us_s, "aspiration") + _views(cn_s, "aspiration"), key=lambda v: v.time)
    assert len(props) == len(resps) == n
    for k, (p, r) in enumerate(zip(props, resps, strict=True)):
        assert p.time == r.time == pytest.approx(6 + k / n)
        assert p.offers_left == r.offers_left == n - k
        assert p.week == r.week == 7 and p.level == r.level == "deputy"
        assert p.horizon == 40 and p.round_no == 1
        assert p.side == ("us", "china")[k % 2] and r.side != p.side
    for rec in neg.history:
        assert (rec.week, rec.round_no, rec.level, rec.outcome) == (7, 1, "deputy", x)
        assert rec.utility == {s: pytest.approx(U[s][x]) for s in SIDES}
        assert rec.reservation == {"us": 0.1, "china": 0.2}
        assert not rec.accepted and not rec.blocked_by_ratification


def test_each_side_sees_its_own_and_the_others_public_state():
    x = SPACE.index_of({"currency": "transparency pledge"})
    us_s, cn_s = Scripted(x, 1.01), Scripted(x, 1.01)
    neg = negotiation(
        StubTeam("us", us_s, reservation=0.1, patience=0.9),
        StubTeam("china", cn_s, reservation=0.2, patience=0.8),
        ratifiers(),
    )
    neg.credit_goodwill("china", 0.03)
    neg.credit_goodwill("china", 0.02)
    neg.run_round(1, "principal", APPROVAL)
    own = {"us": US_MARGIN, "china": CN_MARGIN}
    for side, strat, res, pat in (("us", us_s, 0.1, 0.9), ("china", cn_s, 0.2, 0.8)):
        opp = "china" if side == "us" else "us"
        view = _views(strat, "propose")[0]
        assert view.side == side and view.opponent == opp
        assert np.array_equal(view.own_utility, U[side])
        assert view.reservation == res and view.patience == pat
        assert view.opponent_patience == (0.8 if side == "us" else 0.9)
        assert view.goodwill == pytest.approx(0.05 if side == "china" else 0.0)
        clear = np.abs(own[side]) > TOL
        assert np.array_equal(view.own_winset[clear], (own[side] >= 0)[clear])
        clear = np.abs(own[opp]) > TOL
        assert np.array_equal(view.opponent_winset[clear], (own[opp] >= 0)[clear])
        assert np.array_equal(view.opponent_values, SPACE.contributions(opp))
        assert np.array_equal(view.available, SPACE.consistent_with({}))
        feasible = view.available & view.own_winset
        assert view.best_feasible() == pytest.approx(U[side][feasible].max())
        assert view.best_feasible_utility == pytest.approx(U[side][feasible].max())
        later = _views(strat, "propose")[-1]
        assert [r.proposer for r in later.history] == [
            r.proposer for r in neg.history[: len(later.history)]
        ]
        assert later.opponent_offers() == [r.outcome for r in later.history if r.proposer != side]


def test_a_view_without_the_rounds_best_outcome_computes_it():
    x = SPACE.index_of({"currency": "transparency pledge"})
    cn_s = Scripted(x, 1.01)
    neg = negotiation(StubTeam("us", Scripted(x, 1.01)), StubTeam("china", cn_s), ratifiers())
    neg.run_round(1, "principal", LOW)
    view = dataclasses.replace(_views(cn_s, "propose")[0], best_feasible_utility=None)
    mine = side_margin(
        CFG, ratifier_margins(CFG, SPACE.levels, SPACE.names, LOW, gains=GAINS), "china"
    )
    expect = U["china"][(mine > TOL) & SPACE.consistent_with({})].max()
    assert view.best_feasible() == pytest.approx(expect)
    with pytest.raises(ValueError):
        view.own_winset[0] = not view.own_winset[0]


def test_best_feasible_falls_back_to_the_overall_best():
    u = np.array([0.2, 0.9, 0.5, 0.7])
    avail = np.array([True, False, True, True])
    assert best_feasible(u, avail, np.array([True, True, True, False])) == 0.5
    assert best_feasible(u, avail, np.array([False, True, False, False])) == 0.9
    assert best_feasible(u, avail, np.ones(4, dtype=bool)) == 0.7


@pytest.mark.parametrize("bad", [-1, len(SPACE)])
def test_offering_an_outcome_outside_the_space_breaks_the_protocol(bad):
    neg = negotiation(StubTeam("us", Scripted(bad)), StubTeam("china", Scripted(0)))
    with pytest.raises(ProtocolError):
        neg.run_round(1, "principal", APPROVAL)


def test_offering_what_an_earlier_deal_took_off_the_table_breaks_the_protocol():
    first = SPACE.index_of({"ag_purchases": "30"})
    taken = SPACE.index_of({"ag_purchases": "20", "fentanyl": "enforcement"})
    us = StubTeam("us", Scripted([first, taken]))
    neg = negotiation(us, StubTeam("china", Scripted(first)), alternate_first_mover=False)
    assert neg.run_round(1, "principal", APPROVAL) is not None
    with pytest.raises(ProtocolError):
        neg.run_round(2, "principal", APPROVAL)


def test_deals_narrow_the_table_until_everything_is_agreed():
    names = SPACE.names
    first = SPACE.index_of({"ag_purchases": "30"})
    full_terms = {n: CFG.issues[n].levels[1] for n in names}
    full_terms["ag_purchases"] = "30"
    full = SPACE.index_of(full_terms)
    us = StubTeam("us", Scripted([first, full]), reservation=0.05)
    china = StubTeam("china", Scripted([first, full]), reservation=0.1)
    neg = negotiation(us, china, alternate_first_mover=False)
    d1 = neg.run_round(3, "principal", APPROVAL)
    assert d1.week == 3 and d1.outcome == first and d1.interim
    assert d1.new_issues == ("ag_purchases",) and dict(d1.terms) == {"ag_purchases": "30"}
    assert d1.utility == {s: pytest.approx(U[s][first]) for s in SIDES}
    assert d1.reservation == {"us": 0.05, "china": 0.1}
    assert neg.phase == "interim deal" and not neg.done
    j = names.index("ag_purchases")
    assert neg.agreed == {j: 3}
    assert np.array_equal(neg.available, SPACE.consistent_with({j: 3}))
    d2 = neg.run_round(4, "principal", APPROVAL)
    assert d2 is not None and not d2.interim and neg.done and neg.phase == "deal"
    assert set(d2.new_issues) == set(names) - {"ag_purchases"}
    assert neg.available.dtype == bool and not neg.available.any()
    n_offers = len(neg.history)
    assert neg.run_round(5, "principal", APPROVAL) is None
    assert len(neg.history) == n_offers and neg.round_count == 2, "nothing left to negotiate"


def _pareto_front(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Mask of points no other point weakly dominates with one strict improvement."""
    uniq, inv = np.unique(np.column_stack([u1, u2]), axis=0, return_inverse=True)
    order = np.lexsort((-uniq[:, 1], -uniq[:, 0]))  # best first on u1, then on u2
    second = uniq[order, 1]
    before = np.concatenate([[-np.inf], np.maximum.accumulate(second)[:-1]])
    front = np.zeros(len(uniq), dtype=bool)
    front[order] = second > before
    return front[inv.ravel()]


def test_deal_quality_is_measured_over_what_both_sides_could_ratify():
    """The deal is on the frontier of the ratifiable outcomes though others beat it."""
    ok = (US_MARGIN > TOL) & (CN_MARGIN > TOL)
    idx = np.flatnonzero(ok)
    front = idx[_pareto_front(U["us"][idx], U["china"][idx])]
    everywhere = _pareto_front(U["us"], U["china"])
    x = int(next(i for i in front if not everywhere[i]))
    r = {"us": 0.1, "china": 0.15}
    neg = negotiation(
        StubTeam("us", Scripted(x), reservation=r["us"]),
        StubTeam("china", Scripted(x), reservation=r["china"]),
        ratifiers(),
    )
    deal = neg.run_round(1, "principal", APPROVAL)
    assert deal is not None and deal.outcome == x
    assert deal.pareto_distance == pytest.approx(0.0, abs=1e-12)
    assert deal.nash_product == pytest.approx((U["us"][x] - r["us"]) * (U["china"][x] - r["china"]))


def test_records_are_immutable_python_values():
    rec = OfferRecord(
        week=np.int64(2),
        round_no=np.int64(1),
        level="deputy",
        proposer="us",
        outcome=np.int64(7),
        utility={"us": np.float64(0.5), "china": 0.25},
        reservation={"us": 0.1, "china": np.float64(0.2)},
        accepted=np.bool_(True),
        blocked_by_ratification=np.bool_(False),
    )
    for name in ("week", "round_no", "outcome"):
        assert type(getattr(rec, name)) is int
    assert type(rec.accepted) is bool and type(rec.blocked_by_ratification) is bool
    assert all(type(v) is float for v in (*rec.utility.values(), *rec.reservation.values()))
    with pytest.raises(TypeError):
        rec.utility["us"] = 1.0
    deal = DealRecord(
        week=np.int64(3),
        outcome=np.int64(5),
        terms={"a": "1"},
        new_issues=["a"],
        utility={"us": np.float64(0.5), "china": 0.5},
        reservation={"us": 0.0, "china": 0.0},
        interim=np.bool_(True),
        nash_product=np.float64(0.25),
        pareto_distance=None,
    )
    assert type(deal.week) is int and type(deal.outcome) is int and type(deal.interim) is bool
    assert deal.new_issues == ("a",) and type(deal.nash_product) is float
    assert deal.pareto_distance is None
    assert all(type(v) is float for v in (*deal.utility.values(), *deal.reservation.values()))
    for mapping in (deal.terms, deal.utility, deal.reservation):
        with pytest.raises(TypeError):
            mapping["b"] = "2"


# ---------------------------------------------------------------- patience and goodwill
def _responder_game(patience: float, goodwill: float, week: int):
    """The US offers x worth 0.1 less to China than China's best; China plays ``linear``
    over a horizon so long that only patience and goodwill move its aspiration."""
    top = U["china"].max()
    x = _first(np.abs(U["china"] - (top - 0.1)) < 0.02)
    china = StubTeam("china", REGISTRY["linear"](), patience=patience)
    us = StubTeam("us", Scripted(x, aspiration=1.01))  # takes nothing China offers
    neg = negotiation(us, china, horizon=100_000)
    neg.credit_goodwill("china", goodwill)
    return neg.run_round(week, "principal", APPROVAL), x


def test_impatience_lowers_the_aspiration_of_a_time_dependent_responder():
    patient, _ = _responder_game(patience=1.0, goodwill=0.0, week=11)
    assert patient is None
    impatient, x = _responder_game(patience=0.97, goodwill=0.0, week=11)
    assert impatient is not None and impatient.outcome == x
    early, _ = _responder_game(patience=0.97, goodwill=0.0, week=1)
    assert early is None, "patience discounts by elapsed time"


def test_goodwill_received_lowers_the_aspiration_of_the_receiver():
    without, _ = _responder_game(patience=1.0, goodwill=0.0, week=1)
    assert without is None
    with_goodwill, x = _responder_game(patience=1.0, goodwill=0.15, week=1)
    assert with_goodwill is not None and with_goodwill.outcome == x


# =============================================================================== payoffs
def test_reservation_value_is_linear_in_pressures_and_clipped_both_ways():
    res = LEGACY_CFG.teams["us"].reservation.model_copy(
        update={"base": 0.5, "coefficients": {"farm_distress": 0.2, "manipulator": -0.1}}
    )
    p = dict.fromkeys(PRESSURES, 0.0)
    assert reservation_value(res, {**p, "farm_distress": 0.5}) == pytest.approx(0.4)
    assert reservation_value(res, {**p, "farm_distress": 0.5, "manipulator": 1.0}) == (
        pytest.approx(0.5)
    )
    high = res.model_copy(update={"base": 0.95})
    assert reservation_value(high, {**p, "manipulator": 1.0}) == 1.0
    low = res.model_copy(update={"base": 0.1})
    assert reservation_value(low, {**p, "farm_distress": 1.0}) == 0.0


def test_team_position_combines_pressure_influence_weights_and_reservation():
    team = LEGACY_CFG.teams["us"]
    space = outcome_space(LEGACY_CFG)
    weights = [space.weight_vector(m.weights) for m in team.members.values()]
    pressures = {**dict.fromkeys(PRESSURES, 0.0), "farm_distress": 0.6, "soy_loss": 0.2}
    pos = team_position(team, weights, pressures)
    expect_p = sum(w * pressures[k] for k, w in team.pressure_weights.items())
    assert team_pressure(team.pressure_weights, pressures) == pytest.approx(expect_p)
    assert pos.pressure == pytest.approx(expect_p)
    base = np.array([m.influence for m in team.members.values()])
    sens = np.array([m.pressure_sensitivity for m in team.members.values()])
    raw = base * np.exp(sens * expect_p)
    assert pos.influence == pytest.approx(raw / raw.sum())
    assert shifted_influence(base, sens, expect_p) == pytest.approx(raw / raw.sum())
    assert pos.weights == pytest.approx(np.array(weights).T @ (raw / raw.sum()))
    assert blend_weights(weights, raw) == pytest.approx(pos.weights)
    assert pos.reservation == pytest.approx(reservation_value(team.reservation, pressures))


@FAST
@given(approval=st.floats(0.0, 1.0), shift=st.floats(-0.5, 0.2))
def test_ratifier_support_and_winset_follow_the_config(approval, shift):
    ind = {"farm_approval": approval}
    for name, rcfg in CFG.ratifiers.items():
        rat = Ratifier(name, rcfg, SPACE)
        rat.base_shift = shift
        assert rat.side == rcfg.side and rat.name == name
        expect_base = (approval if rcfg.base_indicator else rcfg.base) + shift
        assert rat.base(ind) == pytest.approx(expect_base)
        margin = ratifier_margins(CFG, SPACE.levels, SPACE.names, ind, {name: shift}, GAINS)[name]
        np.testing.assert_allclose(rat.support(ind), margin + rcfg.threshold, rtol=0, atol=1e-12)
        clear = np.abs(margin) > TOL
        assert np.array_equal(rat.winset(ind)[clear], (margin >= 0)[clear])


def test_a_body_exactly_at_its_threshold_ratifies():
    """support ≥ threshold: a deal that leaves a body's issues alone keeps its base support,
    and a base equal to the threshold is enough (leadership: 0.55 = 0.55; the farmers at an
    approval equal to their threshold)."""
    leadership = Ratifier("leadership", CFG.ratifiers["leadership"], SPACE)
    assert CFG.ratifiers["leadership"].base == CFG.ratifiers["leadership"].threshold
    x = SPACE.index_of({"fentanyl": "enforcement"})  # not an issue the leadership weighs
    assert GAINS["leadership"][x] == 0.0 and leadership.winset(APPROVAL)[x]
    farmers = Ratifier("farmers", CFG.ratifiers["farmers"], SPACE)
    y = SPACE.index_of({"ip_tech": "pledges"})  # not an issue the farmers weigh
    at_threshold = {"farm_approval": CFG.ratifiers["farmers"].threshold}
    assert GAINS["farmers"][y] == 0.0 and farmers.winset(at_threshold)[y]
    assert not farmers.winset({"farm_approval": at_threshold["farm_approval"] - 1e-6})[y]


# =============================================================================== world
def _world(**sections):
    """A World of the baseline with some config sections updated."""
    wc = CFG.world
    updates = {k: getattr(wc, k).model_copy(update=v) for k, v in sections.items()}
    return World(wc.model_copy(update=updates))


def _reference_pressures(w: World) -> dict[str, float]:
    st_, c = w.state, w.cfg
    t, s, g = c.trade, c.soybeans, c.growth
    raw = {
        "farm_distress": st_.farm_distress,
        "soy_loss": 1 - st_.soybean_exports_bn / s.exports_normal_bn,
        "us_tariff_burden": (st_.us_tariff_avg - t.us_tariff_base)
        / (t.tariff_ceiling - t.us_tariff_base),
        "cn_tariff_burden": (st_.cn_tariff_avg - t.cn_tariff_base)
        / (t.tariff_ceiling - t.cn_tariff_base),
        "export_loss": 1 - st_.us_imports_bn / t.us_imports_base_bn,
        "us_growth_shortfall": (g.us_potential - st_.us_growth) / g.shortfall_scale,
        "cn_growth_shortfall": (g.cn_potential - st_.cn_growth) / g.shortfall_scale,
        "trade_uncertainty": st_.trade_uncertainty,
        "manipulator": float(st_.manipulator),
        "huawei_pressure": 1 - st_.huawei_status,
    }
    return {k: min(1.0, max(0.0, v)) if math.isfinite(v) else 1.0 for k, v in raw.items()}


@FAST
@given(
    distress=st.floats(0, 1),
    exports=st.floats(0, 20),
    us_tar=st.floats(0, 63),
    cn_tar=st.floats(0, 63),
    imports=st.floats(0, 700),
    us_g=st.floats(-3, 5),
    cn_g=st.floats(2, 9),
    unc=st.floats(0, 1),
    label=st.booleans(),
    huawei=st.floats(0, 1),
)
def test_pressures_follow_the_state(
    distress, exports, us_tar, cn_tar, imports, us_g, cn_g, unc, label, huawei
):
    w = World(CFG.world)
    st_ = w.state
    st_.farm_distress, st_.soybean_exports_bn = distress, exports
    st_.us_tariff_avg, st_.cn_tariff_avg, st_.us_imports_bn = us_tar, cn_tar, imports
    st_.us_growth, st_.cn_growth, st_.trade_uncertainty = us_g, cn_g, unc
    st_.manipulator, st_.huawei_status = label, huawei
    got = w.pressures()
    assert got.keys() == PRESSURES.keys()
    assert got == pytest.approx(_reference_pressures(w))
    assert got["farm_distress"] == pytest.approx(distress)
    assert got["manipulator"] == float(label)


def test_a_non_finite_pressure_counts_as_full():
    w = World(CFG.world)
    w.state.us_growth = -math.inf
    w.state.soybean_exports_bn = math.nan
    p = w.pressures()
    assert p["us_growth_shortfall"] == 1.0 and p["soy_loss"] == 1.0


def test_non_finite_indicators_are_an_error_naming_the_keys_that_drive_them():
    w = World(CFG.world)
    assert w.non_finite() == {}
    w.check_finite()  # a sane state passes
    w.state.us_imports_bn, w.state.cn_growth = math.inf, math.nan
    w.state.extra.update({"probe": -math.inf, "fine": 1.0})
    bad = w.non_finite()
    assert set(bad) == {"us_imports_bn", "cn_growth", "probe"}
    assert bad["us_imports_bn"] == math.inf and math.isnan(bad["cn_growth"])
    assert bad["probe"] == -math.inf and all(type(v) is float for v in bad.values())
    with pytest.raises(ModelStateError) as exc:
        w.check_finite()
    problems = dict(exc.value.problems)
    assert set(problems) == {"indicator us_imports_bn", "indicator cn_growth", "indicator probe"}
    assert problems["indicator us_imports_bn"].endswith(", ".join(STATE_SOURCES["us_imports_bn"]))
    assert problems["indicator probe"].endswith("driven by world"), "unknown: the world config"


def _reference_trade(w: World, week: int) -> dict[str, float]:
    st_, t, s = w.state, w.cfg.trade, w.cfg.soybeans
    fx = (st_.cny_usd / w.cfg.pboc.cny_anchor) ** t.fx_passthrough
    us_price = (1 + st_.us_tariff_avg / 100) / (1 + t.us_tariff_base / 100) / fx
    cn_price = (1 + st_.cn_tariff_avg / 100) / (1 + t.cn_tariff_base / 100) * fx
    soy_rel = (1 + st_.soy_tariff / 100) / (1 + s.soy_tariff_mfn / 100)
    ramp = 0.0
    if st_.ag_commitment_bn > 0:
        ramp = min(1.0, (week - st_.ag_commitment_week) / s.purchase_ramp_weeks)
    goodwill = st_.goodwill_purchases_bn * (1 - s.goodwill_decay)
    exports = (
        s.exports_normal_bn * soy_rel ** (-s.elasticity)
        + s.purchase_soy_share * st_.ag_commitment_bn * ramp
        + goodwill
    )
    share = max(exports, 1e-9) / s.exports_normal_bn
    return {
        "us_imports_bn": t.us_imports_base_bn * us_price ** (-t.us_import_elasticity),
        "cn_imports_bn": t.cn_imports_base_bn * cn_price ** (-t.cn_import_elasticity),
        "goodwill_purchases_bn": goodwill,
        "soybean_exports_bn": exports,
        "soybean_price": s.price_normal * min(share, 1.0) ** s.price_flex,
    }


@FAST
@example(us_tar=21.2, cn_tar=21.8, soy=63.0, cny=7.0, commitment=0.5, since=5, goodwill=0.0)
@given(
    us_tar=st.floats(0, 63),
    cn_tar=st.floats(0, 63),
    soy=st.floats(0, 63),
    cny=st.floats(6.0, 8.0),
    commitment=st.sampled_from([0.0, 20.0, 50.0]),
    since=st.integers(0, 60),
    goodwill=st.floats(0, 3),
)
def test_trade_and_soybeans_follow_the_reduced_form(
    us_tar, cn_tar, soy, cny, commitment, since, goodwill
):
    w = _world(trade={"fx_passthrough": 0.7})
    st_ = w.state
    st_.us_tariff_avg, st_.cn_tariff_avg, st_.soy_tariff, st_.cny_usd = us_tar, cn_tar, soy, cny
    st_.ag_commitment_bn, st_.ag_commitment_week = commitment, 3
    st_.goodwill_purchases_bn = goodwill
    expect = _reference_trade(w, 3 + since)
    w.update_trade(week=3 + since)
    for key, value in expect.items():
        assert getattr(st_, key) == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_trade_responds_in_the_documented_directions():
    def after(**state):
        w = World(CFG.world)
        for k, v in state.items():
            setattr(w.state, k, v)
        w.update_trade(week=10)
        return w.state

    base = after()
    assert after(us_tariff_avg=30.0).us_imports_bn < base.us_imports_bn
    assert after(cn_tariff_avg=30.0).cn_imports_bn < base.cn_imports_bn
    weak = after(cny_usd=7.5)  # a weaker yuan: cheaper Chinese goods, dearer US goods
    assert weak.us_imports_bn > base.us_imports_bn and weak.cn_imports_bn < base.cn_imports_bn
    assert after(soy_tariff=3.0).soybean_price > base.soybean_price
    assert after(soy_tariff=3.0).soybean_price == pytest.approx(CFG.world.soybeans.price_normal)
    ramp = CFG.world.soybeans.purchase_ramp_weeks
    half = after(ag_commitment_bn=40.0, ag_commitment_week=10 - ramp // 2).soybean_exports_bn
    full = after(ag_commitment_bn=40.0, ag_commitment_week=10 - ramp).soybean_exports_bn
    later = after(ag_commitment_bn=40.0, ag_commitment_week=10 - 2 * ramp).soybean_exports_bn
    assert base.soybean_exports_bn < half < full == later


@FAST
@given(
    seed=st.integers(0, 2**16),
    us_tar=st.floats(0, 63),
    cn_tar=st.floats(0, 63),
    unc=st.floats(0, 1),
    rate=st.floats(0, 5),
    rrr=st.floats(8, 14),
    huawei=st.floats(0, 1),
    imports=st.floats(100, 600),
)
def test_growth_moves_toward_its_target_with_shocks(
    seed, us_tar, cn_tar, unc, rate, rrr, huawei, imports
):
    w = World(CFG.world)
    st_, g = w.state, CFG.world.growth
    st_.us_tariff_avg, st_.cn_tariff_avg, st_.trade_uncertainty = us_tar, cn_tar, unc
    st_.fed_rate, st_.rrr, st_.huawei_status, st_.us_imports_bn = rate, rrr, huawei, imports
    st_.us_growth, st_.cn_growth = 1.5, 5.5
    p = _reference_pressures(w)
    us_target = (
        g.us_potential
        - g.us_tariff_drag * (p["us_tariff_burden"] + p["cn_tariff_burden"])
        - g.us_uncertainty_drag * unc
        + g.us_rate_effect * (CFG.world.fed.neutral - rate)
    )
    cn_target = (
        g.cn_potential
        - g.cn_export_drag * p["export_loss"]
        - g.cn_huawei_drag * p["huawei_pressure"]
        - g.cn_uncertainty_drag * unc
        + g.cn_rrr_effect * (CFG.world.pboc.rrr_start - rrr)
    )
    shocks = np.random.default_rng(seed).normal(0.0, g.shock_sd, size=2)
    w.update_growth(np.random.default_rng(seed))
    assert st_.us_growth == pytest.approx(1.5 + g.adjustment * (us_target - 1.5) + shocks[0])
    assert st_.cn_growth == pytest.approx(5.5 + g.adjustment * (cn_target - 5.5) + shocks[1])


@pytest.mark.parametrize("deal", [False, True])
@pytest.mark.parametrize(
    ("threats", "start"), [((0.0, 0.0), 0.7), ((7.25, 2.0), 0.2), ((20, 5), 0.0)]
)
def test_uncertainty_drifts_toward_threats_and_the_absence_of_a_deal(deal, threats, start):
    w = World(CFG.world)
    u = CFG.world.uncertainty
    st_ = w.state
    st_.us_threat_pp, st_.cn_threat_pp = threats
    st_.deal_in_force, st_.trade_uncertainty = deal, start
    threat = min(1.0, sum(threats) / u.threat_scale_pp)
    target = min(1.0, u.base + u.threat_weight * threat + (0.0 if deal else u.no_deal_weight))
    w.update_uncertainty()
    assert st_.trade_uncertainty == pytest.approx(start + u.adjustment * (target - start))


def test_uncertainty_drifts_toward_a_target_capped_at_one():
    w = _world(uncertainty={"adjustment": 0.5, "base": 1.0, "threat_weight": 2.0})
    w.state.us_threat_pp, w.state.trade_uncertainty = 50.0, 0.7
    w.update_uncertainty()
    assert w.state.trade_uncertainty == pytest.approx(0.85)
    w2 = _world(uncertainty={"adjustment": 1.0, "base": 0.0, "no_deal_weight": 0.0})
    w2.state.trade_uncertainty = 0.5
    w2.update_uncertainty()
    assert w2.state.trade_uncertainty == 0.0


def test_escalation_raises_tariffs_spends_the_threat_and_jumps_uncertainty():
    w = World(CFG.world)
    st_, jump = w.state, CFG.world.uncertainty.escalation_jump
    st_.us_threat_pp, st_.cn_threat_pp, st_.trade_uncertainty = 7.25, 2.0, 0.5
    us0, cn0, soy0 = st_.us_tariff_avg, st_.cn_tariff_avg, st_.soy_tariff
    w.escalate("us", 2.5, 9.0)
    assert st_.us_tariff_avg == pytest.approx(us0 + 2.5) and st_.soy_tariff == soy0
    assert st_.us_threat_pp == pytest.approx(4.75) and st_.cn_threat_pp == 2.0
    assert st_.trade_uncertainty == pytest.approx(0.5 + jump) and st_.escalations == 1
    w.escalate("china", 3.0, 5.0)
    assert st_.cn_tariff_avg == pytest.approx(cn0 + 3.0) and st_.soy_tariff == soy0 + 5.0
    assert st_.cn_threat_pp == 0.0 and st_.us_tariff_avg == pytest.approx(us0 + 2.5)
    assert st_.escalations == 2 and st_.trade_uncertainty == pytest.approx(0.5 + 2 * jump)
    ceiling = CFG.world.trade.tariff_ceiling
    st_.trade_uncertainty = 1.0 - jump / 2
    w.escalate("us", 500.0, 0.0)
    w.escalate("china", 500.0, 500.0)
    assert st_.us_tariff_avg == st_.cn_tariff_avg == st_.soy_tariff == ceiling
    assert st_.us_threat_pp == 0.0 and st_.trade_uncertainty == 1.0
    st_.us_threat_pp, st_.cn_threat_pp = 3.0, 1.0
    w.escalate("us", -500.0, 0.0)  # a cut never goes below zero nor spends a threat
    w.escalate("china", -500.0, -500.0)
    assert st_.us_tariff_avg == st_.cn_tariff_avg == st_.soy_tariff == 0.0
    assert (st_.us_threat_pp, st_.cn_threat_pp) == (3.0, 1.0)


def test_agreed_terms_take_effect():
    w = World(CFG.world)
    st_ = w.state
    st_.trade_uncertainty, st_.us_threat_pp, st_.cn_threat_pp = 0.6, 7.0, 2.0
    ended = w.apply_terms(
        {
            "cn_tariff_avg": 16.5,
            "soy_tariff": 3.0,
            "cn_keeps_schedule": 0.0,
            "cn_threat_pp": 0.5,
            "huawei_status": 0.67,
            "currency_pledge": 0.5,
            "ip_reform": 0.33,
            "fentanyl_enforcement": 1.0,
            "lift_label": 0.0,
        },
        week=9,
    )
    assert ended == {"china"}
    assert (st_.cn_tariff_avg, st_.soy_tariff, st_.cn_threat_pp) == (16.5, 3.0, 0.5)
    assert st_.us_threat_pp == 7.0 and st_.ag_commitment_bn == 0.0
    assert (st_.huawei_status, st_.currency_pledge, st_.ip_reform) == (0.67, 0.5, 0.33)
    assert st_.fentanyl_enforcement == 1.0
    assert st_.manipulator, "a partial pledge does not lift the label"
    assert st_.deal_in_force
    relief = CFG.world.uncertainty.deal_relief
    assert relief > 0 and st_.trade_uncertainty == pytest.approx(0.6 * (1 - relief))
    st_.us_threat_pp = 7.0
    ended = w.apply_terms({"us_tariff_avg": 21.2, "ag_extra_bn": 30.0, "lift_label": 1.0}, 12)
    assert ended == {"us"} and st_.us_tariff_avg == 21.2 and st_.us_threat_pp == 0.0
    assert (st_.ag_commitment_bn, st_.ag_commitment_week) == (30.0, 12)
    assert not st_.manipulator
    assert st_.soy_tariff == 3.0


def test_a_kept_schedule_leaves_tariffs_and_threats_alone():
    w = World(CFG.world)
    st_ = w.state
    st_.us_threat_pp, st_.cn_threat_pp = 7.25, 2.0
    before = (st_.us_tariff_avg, st_.cn_tariff_avg, st_.soy_tariff)
    ended = w.apply_terms(
        {
            "us_tariff_avg": 28.4,
            "us_keeps_schedule": 1.0,
            "cn_tariff_avg": 23.8,
            "soy_tariff": 33.0,
            "cn_keeps_schedule": 1.0,
        },
        week=2,
    )
    assert ended == set()
    assert (st_.us_tariff_avg, st_.cn_tariff_avg, st_.soy_tariff) == before
    assert (st_.us_threat_pp, st_.cn_threat_pp) == (7.25, 2.0)


def test_deal_relief_scales_with_its_coefficient():
    calm = _world(uncertainty={"deal_relief": 0.0})
    calm.state.trade_uncertainty = 0.5
    calm.apply_terms({"ip_reform": 1.0}, week=1)
    assert calm.state.trade_uncertainty == 0.5 and calm.state.deal_in_force
    relief = _world(uncertainty={"deal_relief": 0.4})
    relief.state.trade_uncertainty = 0.5
    relief.apply_terms({"ip_reform": 1.0}, week=1)
    assert relief.state.trade_uncertainty == pytest.approx(0.3)


def test_the_world_starts_from_its_config():
    wc = CFG.world
    st_ = World(wc).state
    assert (st_.us_tariff_avg, st_.cn_tariff_avg) == (
        wc.trade.us_tariff_start,
        wc.trade.cn_tariff_start,
    )
    assert st_.soy_tariff == wc.soybeans.soy_tariff_start
    assert (st_.us_growth, st_.cn_growth) == (wc.growth.us_start, wc.growth.cn_start)
    assert st_.trade_uncertainty == wc.uncertainty.start
    assert (st_.fed_rate, st_.cny_usd, st_.rrr) == (
        wc.fed.rate_start,
        wc.pboc.cny_start,
        wc.pboc.rrr_start,
    )
    assert st_.manipulator == wc.pboc.manipulator_start
    assert st_.huawei_status == wc.huawei.status_start
    assert st_.soybean_price < wc.soybeans.price_normal
    assert st_.us_imports_bn > 0 and st_.cn_imports_bn > 0
    assert (st_.us_threat_pp, st_.cn_threat_pp, st_.escalations) == (0.0, 0.0, 0)


# =============================================================================== farmers
def _farm_cfg(**updates):
    return CFG.world.farmers.model_copy(update=updates)


def _population(count=40, seed=3, **updates):
    fc = _farm_cfg(count=count, **updates)
    return FarmerPopulation(fc, np.random.default_rng(seed), nx.cycle_graph(count)), fc


def test_farms_draw_heterogeneous_size_soy_share_debt_and_leaning():
    pop, fc = _population(count=4000, seed=5)
    assert pop.n == 4000
    for values in (pop.size, pop.soy_share, pop.debt, pop.leaning):
        assert values.shape == (4000,) and values.std() > 0
    assert pop.soy_share.mean() == pytest.approx(
        fc.soy_share_alpha / (fc.soy_share_alpha + fc.soy_share_beta), abs=0.02
    )
    assert pop.debt.mean() == pytest.approx(
        fc.debt_alpha / (fc.debt_alpha + fc.debt_beta), abs=0.02
    )
    assert pop.leaning.mean() == pytest.approx(fc.leaning_mean, abs=0.05)
    assert np.log(pop.size).mean() == pytest.approx(fc.size_log_mean, abs=0.05)
    assert np.array_equal(pop.approval, 1 / (1 + np.exp(-pop.leaning)))


def test_a_new_population_is_at_a_normal_year():
    pop, _ = _population()
    assert pop.mean_distress == 0.0 and pop.income_index == pytest.approx(1.0)
    assert np.array_equal(pop.income, np.ones(pop.n)) and not pop.aid_received.any()
    assert pop.revenue_share == pytest.approx(pop.size / pop.size.sum())
    soy = pop.size * pop.soy_share
    assert pop.aid_share == pytest.approx(soy / soy.sum())


def test_aid_is_paid_by_soybean_acreage_as_a_share_of_normal_income():
    pop, fc = _population()
    assert pop.pay_aid(4.0) == pytest.approx(4.0 * fc.aid_soy_share)
    assert pop.pay_aid(2.0) == pytest.approx(2.0 * fc.aid_soy_share)
    normal = fc.revenue_total_bn * pop.revenue_share
    expect = 6.0 * fc.aid_soy_share * pop.aid_share / normal
    assert pop.aid_received == pytest.approx(expect), "tranches add up"


@FAST
@given(
    price=st.floats(0.0, 1.3),
    talks=st.floats(-1, 2),
    amp=st.floats(0, 6),
    aid=st.floats(0, 30),
    own=st.floats(0, 1),
    social=st.floats(0, 1),
)
def test_farm_income_distress_and_approval_follow_the_reduced_form(
    price, talks, amp, aid, own, social
):
    pop, c = _population(
        count=30, debt_amplification=amp, own_adjustment=own, social_adjustment=social
    )
    pop.pay_aid(aid)
    before, aid_received = pop.approval.copy(), pop.aid_received.copy()
    pop.update(price_ratio=price, talks_signal=talks)
    income = (1 - pop.soy_share) + pop.soy_share * price
    welfare = income + aid_received
    shortfall = np.clip(1 - welfare, 0, None)
    distress = np.clip(shortfall * (1 + amp * pop.debt), 0, 1)
    target = 1 / (
        1 + np.exp(-(pop.leaning + c.welfare_response * (welfare - 1) + c.talks_response * talks))
    )
    social_mean = (np.roll(before, 1) + np.roll(before, -1)) / 2  # a ring: two neighbours
    approval = np.clip(before + own * (target - before) + social * (social_mean - before), 0, 1)
    assert pop.income == pytest.approx(income) and pop.welfare == pytest.approx(welfare)
    assert pop.distress == pytest.approx(distress)
    assert pop.approval == pytest.approx(approval)
    assert pop.mean_distress == pytest.approx(distress.mean())
    assert pop.mean_approval == pytest.approx(approval.mean())
    assert pop.income_index == pytest.approx(pop.revenue_share @ welfare)


def test_distress_and_approval_stay_in_the_unit_interval():
    pop, _ = _population(debt_amplification=50.0, own_adjustment=1.0, social_adjustment=1.0)
    pop.update(price_ratio=0.0, talks_signal=20.0)
    assert pop.distress.max() == 1.0 and pop.approval.max() == 1.0
    pop.update(price_ratio=0.0, talks_signal=-60.0)
    assert pop.approval.min() == 0.0


def test_neighbour_mean_averages_each_farmers_neighbours():
    graph = nx.path_graph(3)
    graph.add_node(3)  # a farmer without neighbours
    mat = neighbour_mean_matrix(graph, 4).toarray()
    assert mat.shape == (4, 4)
    expect = [[0, 1, 0, 0], [0.5, 0, 0.5, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert mat == pytest.approx(np.array(expect, dtype=float))
    empty = nx.empty_graph(2)
    assert not neighbour_mean_matrix(empty, 2).toarray().any()


@pytest.mark.parametrize(("count", "k", "degree"), [(5, 6, 4), (2, 6, 0), (40, 6, 6)])
def test_the_small_world_never_asks_for_more_neighbours_than_farmers(count, k, degree):
    fc = _farm_cfg(
        count=count, network=CFG.world.farmers.network.model_copy(update={"k": k, "p": 0.0})
    )
    edges, pop = initial_population(fc, np.random.default_rng(1))
    assert pop.n == count
    assert set(np.bincount(edges.ravel(), minlength=count).tolist()) == {degree}


def test_each_seed_draws_its_own_farm_network():
    """The graph's seed comes from the run's generator over a wide range: a hundred runs give
    a hundred different networks (and the same seed the same one)."""
    fc = _farm_cfg(count=30)

    def network(seed: int) -> frozenset:
        edges = initial_population(fc, np.random.default_rng(seed))[0]
        return frozenset(map(tuple, np.sort(edges, axis=1).tolist()))

    edges = [network(seed) for seed in range(100)]
    assert len(set(edges)) == 100
    assert network(7) == edges[7]


# ========================================================================= central banks
def _make_fed(fed_updates=None, growth_updates=None):
    fc = CFG.world.fed.model_copy(update=fed_updates or {})
    gc = CFG.world.growth.model_copy(update=growth_updates or {})
    w = World(CFG.world.model_copy(update={"fed": fc, "growth": gc}))
    return Fed(mesa.Model(rng=0), fc, gc, w.state), w.state, fc, gc


@FAST
@given(growth=st.floats(-2, 5), unc=st.floats(0, 1))
def test_fed_rule_answers_the_growth_gap_and_uncertainty(growth, unc):
    fed, st_, fc, gc = _make_fed()
    st_.us_growth, st_.trade_uncertainty = growth, unc
    expect = (
        fc.neutral + fc.growth_response * (growth - gc.us_potential) - fc.uncertainty_response * unc
    )
    assert fed.target_rate() == pytest.approx(expect)
    st_.us_growth = growth + 1.0
    assert fed.target_rate() > expect, "stronger growth, a higher target (Taylor 1993)"


@pytest.mark.parametrize(
    ("growth", "moves", "direction"),
    [(1.75, True, -1), (2.25, True, 1), (1.76, False, 0), (2.0, False, 0)],
)
def test_fed_moves_one_step_when_the_gap_reaches_half_a_step(growth, moves, direction):
    fed, st_, _, _ = _make_fed(
        {"neutral": 2.0, "rate_start": 2.0, "growth_response": 0.5, "step": 0.25},
        {"us_potential": 2.0},
    )
    st_.us_growth, st_.trade_uncertainty = growth, 0.0
    fed.model.steps = 4  # the week of the meeting is logged
    fed.meet()
    assert st_.fed_rate == 2.0 + direction * 0.25
    assert fed.moves == ([(4, st_.fed_rate)] if moves else [])


def test_fed_rate_stays_within_its_bounds():
    fed, st_, _, _ = _make_fed(
        {"neutral": 0.0, "rate_start": 0.25, "lower_bound": 0.125, "upper_bound": 0.5}
    )
    st_.trade_uncertainty = 1.0
    fed.meet()
    assert st_.fed_rate == 0.125
    st_.trade_uncertainty, st_.us_growth = 0.0, 10.0
    for _ in range(5):
        fed.meet()
    assert st_.fed_rate == 0.5


def _make_pboc(pboc_updates=None, growth_updates=None, seed=0):
    pc = CFG.world.pboc.model_copy(update={"shock_sd": 0.0, **(pboc_updates or {})})
    gc = CFG.world.growth.model_copy(update=growth_updates or {})
    w = World(CFG.world.model_copy(update={"pboc": pc, "growth": gc}))
    model = mesa.Model(rng=seed)
    return PBoC(model, pc, gc, w.state, CFG.world.trade.us_tariff_start), w.state, pc


@FAST
@given(tariff=st.floats(0, 63), pledge=st.sampled_from([0.0, 0.5, 1.0]), cny=st.floats(6, 8))
def test_pboc_fixing_moves_toward_a_tariff_offsetting_target(tariff, pledge, cny):
    pboc, st_, pc = _make_pboc({"adjustment": 0.3, "cny_start": cny})
    st_.us_tariff_avg, st_.currency_pledge = tariff, pledge
    target = pc.cny_anchor * (1 + pc.tariff_offset * tariff / 100)
    if pledge > 0:
        target = min(target, pc.threshold - pc.pledge_margin * pledge)
    assert pboc.target_rate() == pytest.approx(target)
    pboc.step()
    assert st_.cny_usd == pytest.approx(cny + 0.3 * (target - cny))


def test_pboc_target_rises_with_tariffs_and_the_fixing_stays_positive():
    pboc, st_, _ = _make_pboc({"adjustment": 1.0, "cny_anchor": 0.001, "cny_start": 0.001})
    low = pboc.target_rate()
    st_.us_tariff_avg += 10
    assert pboc.target_rate() > low
    pboc.step()
    assert st_.cny_usd == 0.01


def test_pboc_fixing_adds_a_shock_drawn_from_the_model_generator():
    pboc, st_, _ = _make_pboc({"shock_sd": 0.05, "adjustment": 0.3}, seed=11)
    start, target = st_.cny_usd, pboc.target_rate()
    # the same generator, the same draw: the normal quantile of the week's first uniform
    shock = 0.05 * float(ndtri(mesa.Model(rng=11).rng.random(2)[0]))
    pboc.step()
    assert st_.cny_usd == pytest.approx(start + 0.3 * (target - start) + shock)
    paths = []
    for seed in (1, 1, 2):
        pboc, st_, _ = _make_pboc({"shock_sd": 0.05}, seed=seed)
        for _ in range(5):
            pboc.step()
        paths.append(st_.cny_usd)
    assert paths[0] == paths[1] != paths[2]


def _still(**updates):
    """A PBoC whose fixing never moves (no adjustment, no shock): the review alone acts."""
    return _make_pboc({"adjustment": 0.0, **updates})


def test_treasury_labels_after_designation_weeks_at_or_above_the_line():
    pboc, st_, pc = _still(manipulator_start=False, cny_start=7.0, threshold=7.0)
    for _ in range(pc.designation_weeks - 1):
        pboc.step()
    assert not st_.manipulator
    pboc.step()
    assert st_.manipulator


def test_weeks_below_the_line_reset_the_designation_count():
    pboc, st_, pc = _still(manipulator_start=False, cny_start=7.2)
    for _ in range(pc.designation_weeks - 1):
        pboc.step()
    st_.cny_usd = 6.9
    pboc.step()
    st_.cny_usd = 7.2
    for _ in range(pc.designation_weeks - 1):
        pboc.step()
    assert not st_.manipulator
    pboc.step()
    assert st_.manipulator


@pytest.mark.parametrize(("pledge", "labelled"), [(1.0, False), (0.5, True)])
def test_only_a_full_currency_pledge_forestalls_the_label(pledge, labelled):
    pboc, st_, pc = _still(manipulator_start=False, cny_start=7.2)
    st_.currency_pledge = pledge
    for _ in range(pc.designation_weeks + 2):
        pboc.step()
    assert st_.manipulator == labelled


@pytest.mark.parametrize("probability", [1.0, 0.0])
def test_treasury_lifts_the_label_after_lift_weeks_below_the_line(probability):
    pboc, st_, _ = _still(
        manipulator_start=True, cny_start=6.5, lift_probability=probability, lift_weeks=3
    )
    for _ in range(2):
        pboc.step()
    assert st_.manipulator
    pboc.step()
    assert st_.manipulator == (probability == 0.0)
    st_.cny_usd = 7.1  # a week above the line restarts the count
    pboc.step()
    assert pboc.weeks_below == 0 and pboc.weeks_above == 1


def test_the_label_is_lifted_in_a_run_once_the_yuan_stays_below_the_line():
    over = {
        **SMALL,
        "run.weeks": 30,
        "calendar.rounds": [],
        "calendar.meetings.enabled": False,  # no talks, so no deal lifts the label first
        "world.pboc.cny_start": 6.5,
        "world.pboc.cny_anchor": 6.5,
        "world.pboc.tariff_offset": 0.0,
        "world.pboc.shock_sd": 0.0,
        "world.pboc.lift_probability": 1.0,
    }
    m = TradeTalksModel(config=BASELINE, rng=1, overrides=over)
    lift_weeks = m.config.world.pboc.lift_weeks
    m.run()
    series = [bool(v) for v in m.timeseries()["manipulator"]]
    assert series[0] and series[lift_weeks - 1] and not series[lift_weeks]


@pytest.mark.parametrize(
    ("growth", "rrr", "cut"), [(5.5, 10.5, True), (5.5, 10.25, False), (5.51, 12.0, False)]
)
def test_pboc_cuts_reserves_when_growth_falls_short_down_to_a_floor(growth, rrr, cut):
    pboc, st_, _ = _make_pboc(
        {"rrr_trigger_shortfall": 0.25, "rrr_cut": 0.5, "rrr_floor": 10.0},
        {"cn_potential": 6.0, "shortfall_scale": 2.0},
    )
    st_.cn_growth, st_.rrr = growth, rrr
    pboc.meet()
    assert st_.rrr == (rrr - 0.5 if cut else rrr)


# =============================================================================== model level
QUIET = {**SMALL, "run.weeks": 12, "calendar.rounds": [], "world.gestures.postpone_bias": -50.0}


def _series(over: dict, seed: int):
    """The legacy model's weekly series (the walk-away index reacts to pressures there)."""
    m = TradeTalksModel(config=LEGACY, rng=seed, overrides=over, farmer_agents=False)
    m.run()
    return m.timeseries()


@FAST
@given(seed=st.integers(0, 2**16), low=st.floats(0.0, 2.0), extra=st.floats(0.5, 4.0))
def test_more_farm_distress_never_raises_the_us_walk_away_value(seed, low, extra):
    """Only the debt amplification differs: the world and every draw stay the same."""
    a = _series({**QUIET, "world.farmers.debt_amplification": low}, seed)
    b = _series({**QUIET, "world.farmers.debt_amplification": low + extra}, seed)
    da, db = a["farm_distress"].to_numpy(), b["farm_distress"].to_numpy()
    ra, rb = a["us_reservation"].to_numpy(), b["us_reservation"].to_numpy()
    assert (db >= da - 1e-12).all()
    assert (rb <= ra + 1e-12).all()
    more = (db > da + 1e-9) & (ra > 0)
    assert more.any()
    assert (rb[more] < ra[more]).all(), "farm distress reaches the US reservation value"
    assert np.array_equal(a["china_reservation"], b["china_reservation"])
    assert (b["us_pressure"].to_numpy()[more] > a["us_pressure"].to_numpy()[more]).all()


@FAST
@given(seed=st.integers(0, 2**16), low=st.floats(0.5, 3.0), extra=st.floats(0.5, 3.0))
def test_more_export_loss_never_raises_chinas_walk_away_value(seed, low, extra):
    """Only the US import elasticity differs (no PBoC meetings, whose reserve cuts would
    answer the shortfall): China loses more exports and never values walking away more."""
    over = {**QUIET, "calendar.pboc_meetings": []}
    a = _series({**over, "world.trade.us_import_elasticity": low}, seed)
    b = _series({**over, "world.trade.us_import_elasticity": low + extra}, seed)
    assert (b["us_imports_bn"] < a["us_imports_bn"]).all()
    ra, rb = a["china_reservation"].to_numpy(), b["china_reservation"].to_numpy()
    assert (rb <= ra + 1e-12).all()
    lower = ra > 0
    assert lower.any() and (rb[lower] < ra[lower]).all()
    assert np.array_equal(a["us_reservation"], b["us_reservation"])


def test_audience_costs_weigh_against_backing_down():
    """With a huge weight on audience costs no action is postponed, even under a strong bias."""
    over = {
        **SMALL,
        "calendar.rounds": [],
        "world.gestures.postpone_bias": 50.0,
        "world.gestures.reciprocate_probability": 0.0,
    }
    free = TradeTalksModel(config=LEGACY, rng=1, overrides=over)  # the legacy logit
    free.run()
    assert free.gestures and not free.escalation_log
    costly = TradeTalksModel(
        config=LEGACY, rng=1, overrides={**over, "world.gestures.audience_cost_weight": 5000.0}
    )
    costly.run()
    assert not costly.gestures
    assert len(costly.escalation_log) == len(costly.config.calendar.tariff_actions)


def test_audience_costs_shrink_the_winset_of_the_side_that_backed_down():
    over = {
        **SMALL,
        **TWO_LEVEL,
        "calendar.rounds": [],
        "world.gestures.postpone_bias": 50.0,
        "world.gestures.reciprocate_probability": 1.0,
    }
    m = TradeTalksModel(config=LEGACY, rng=1, overrides=over)  # audience cost as a shift
    m.run()
    shifts = audience_shifts(m, m.steps + 1)
    assert shifts["congress"] < 0
    for rat in m.ratifiers:
        assert rat.base_shift == pytest.approx(shifts[rat.name])
    ind = m.indicators()
    shifted = ratifier_margins(m.config, m.space.levels, m.space.names, ind, shifts)
    plain = ratifier_margins(m.config, m.space.levels, m.space.names, ind)
    for side in SIDES:
        mine = side_margin(m.config, shifted, side)
        clear = np.abs(mine) > TOL
        assert np.array_equal(m.negotiation.winset(side, ind)[clear], (mine >= 0)[clear])
    lost = (side_margin(m.config, plain, "us") > TOL) & (
        side_margin(m.config, shifted, "us") < -TOL
    )
    assert lost.any(), "backing down cost the US deals it could ratify before"
