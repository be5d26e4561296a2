"""Core v2's values on the factored space (sim/factored_v2.py, issue 13) against the
enumerated space, its oracle: the same Pareto frontier of the exact V_s and the same screening
offers, on drawn valuations with every non-additive term (the hostage issues' φ̂, jointly
valued pairs, the dispute term) and on the shipped configs' projections."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_factored import assert_same_points
from test_projector import SNAP, SPACE, VAL, snapshot, valuation_of
from test_projector_value import issue
from tradetalks.agents.screening import best_for as enumerated_best_for
from tradetalks.agents.strategies import TOLERANCE
from tradetalks.sim import factored_v2 as f2
from tradetalks.sim.analysis import nash_point, pareto_mask, tidy
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.projector import Projector
from tradetalks.sim.projector_value import DisputeTerm, HostageTerm
from tradetalks.sim.spaces import outcome_space

SIDES = ("us", "china")


def _table(draw, shape, coarse: bool) -> np.ndarray:
    """A drawn table; ``coarse``: few distinct values, so ties between outcomes are common."""
    size = int(np.prod(shape))
    if coarse:
        vals = draw(st.lists(st.integers(-2, 2), min_size=size, max_size=size))
        return np.array(vals, dtype=float).reshape(shape) / 4
    vals = draw(st.lists(st.floats(-1, 1), min_size=size, max_size=size))
    return np.array(vals).reshape(shape)


@st.composite
def valuations(draw):
    """A small space and a valuation with any of the non-additive terms, drawn."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    n = len(sizes)
    interim = draw(st.booleans())
    space = OutcomeSpace(  # may be empty (more issues asked for than there are)
        [issue(f"i{j}", m) for j, m in enumerate(sizes)],
        allow_interim=interim,
        min_issues=draw(st.integers(0, 2)) if interim else draw(st.sampled_from([0, 1, 5])),
    )
    coarse = draw(st.booleans())

    def per_issue():
        return {s: tuple(_table(draw, (m,), coarse) for m in sizes) for s in SIDES}

    hostage = pairs = pairs_next = disputes = None
    if draw(st.booleans()):
        held = frozenset(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=2)))
        cuts = tuple(np.abs(_table(draw, (m,), True)) * 8 for m in sizes)
        hostage = HostageTerm(
            draw(st.floats(-0.2, 0.8)), draw(st.floats(0, 1)), held, cuts, 6.0, 8.0
        )
    if draw(st.booleans()) and n >= 2:
        j, k = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        pairs = {s: ((j, k, _table(draw, (sizes[j], sizes[k]), coarse)),) for s in SIDES}
    if draw(st.booleans()) and n >= 2:  # the next round's interactions, on issues of their own
        j, k = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
        pairs_next = {s: ((j, k, _table(draw, (sizes[j], sizes[k]), coarse)),) for s in SIDES}
    if draw(st.booleans()):
        ag = draw(st.integers(0, n - 1))
        rate_issue = draw(st.integers(0, n - 1))
        rate = [None] * n
        rate[rate_issue] = _table(draw, (sizes[rate_issue],), True) / 2
        disputes = DisputeTerm(
            ag=ag,
            commits=np.array(draw(st.lists(st.booleans(), min_size=sizes[ag], max_size=sizes[ag]))),
            rate0=(0.6, 0.7),
            rate=(tuple(rate), tuple(rate)),
            reviews=(3, 2),
            loss={
                s: (_table(draw, (sizes[ag],), coarse), _table(draw, (sizes[ag],), coarse))
                for s in SIDES
            },
            rule=(0.8, 1.2, -0.2, 1.5, 0.3, 0.9),
        )
    val = valuation_of(
        per_issue(), per_issue(), hostage=hostage, disputes=disputes,
        pairs=pairs or {}, pairs_next=pairs_next or {},
    )  # fmt: skip
    return space, val


def _oracle_frontier(space, us: f2.Term, china: f2.Term, mask=None) -> np.ndarray:
    return np.flatnonzero(pareto_mask(us.values(space), china.values(space), mask))


@settings(max_examples=150, deadline=None)
@given(valuations(), st.booleans())
def test_the_frontier_of_exact_values_is_the_enumerated_one(drawn, next_round):
    """Every outcome on the enumerated frontier of (V_us, V_china), and no other, whatever
    terms the valuation has; the values at the candidates are the enumerated values."""
    space, val = drawn
    us, china = f2.Term(val, "us", next_round), f2.Term(val, "china", next_round)
    got = f2.frontier(space, us, china)
    np.testing.assert_array_equal(got, _oracle_frontier(space, us, china))
    c = f2.candidates(space, (us, china))
    for term, values in zip((us, china), c.values, strict=True):
        np.testing.assert_array_equal(values, term.values(space)[c.index])


@settings(max_examples=150, deadline=None)
@given(valuations(), st.sampled_from(SIDES), st.booleans(), st.data())
def test_screening_offers_on_the_candidates_are_the_enumerated_offers(drawn, side, nxt, data):
    """``agents.screening.best_for`` on the candidates picks, for every threshold, the
    outcome it picks on the whole space (ties included), own values this round or next —
    unless two own values differ by less than its tolerance (1e-9) yet more than the 12
    decimals the merge compares at: the merge then drops the lower one, which the search
    would have counted as a tie (sim/factored_v2.py says so)."""
    space, val = drawn
    other = "china" if side == "us" else "us"
    own, opp = f2.Term(val, side, nxt), f2.Term(val, other)
    r_own, r_opp = val.r_next[side] if nxt else val.r[side], val.r[other]
    span = 0.7
    own_all = np.unique(tidy(own.values(space)))
    near = np.diff(own_all)
    assume(not ((near > 0) & (near <= TOLERANCE)).any())  # the one documented difference
    thresholds = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=1, max_size=6)))
    full = enumerated_best_for(
        own.values(space) - r_own,
        (opp.values(space) - r_opp) / span,
        thresholds,
        np.ones(len(space), bool),
    )
    c = f2.candidates(space, (own, opp))
    picks = enumerated_best_for(
        c.values[0] - r_own, (c.values[1] - r_opp) / span, thresholds, np.ones(len(c.index), bool)
    )
    np.testing.assert_array_equal([c.index[p] if p >= 0 else -1 for p in picks], full)


@settings(max_examples=80, deadline=None)
@given(valuations(), st.data())
def test_agreed_issues_kept_choices_and_constraints_narrow_as_the_enumerated_masks(drawn, data):
    """With issues agreed (``consistent_with``), choices left out per issue and a linear
    constraint (a body's support ≥ its threshold), the frontier is the enumerated frontier
    over the outcomes those masks allow."""
    space, val = drawn
    us, china = f2.Term(val, "us"), f2.Term(val, "china")
    choices = [np.asarray(c) for c in space._choices]
    n = len(choices)
    agreed = {}
    if data.draw(st.booleans()):
        j = data.draw(st.integers(0, n - 1))
        levels = choices[j][choices[j] >= 0].tolist()  # a level, not OPEN
        agreed = {j: data.draw(st.sampled_from(levels))} if levels else {}
    open_kept = data.draw(st.booleans())  # else leaving an issue open may be ruled out too
    keep = [
        np.array(data.draw(st.lists(st.booleans(), min_size=len(c), max_size=len(c))))
        | ((c < 0) & open_kept)
        for c in choices
    ]
    support = tuple(
        np.array(data.draw(st.lists(st.integers(-2, 2), min_size=len(c), max_size=len(c))), float)
        for c in choices
    )
    # a threshold a hair above or below a sum: the merge's slack must not let it through
    theta = data.draw(st.integers(-2, 2)) + data.draw(st.sampled_from([0.0, 5e-10, -5e-10]))
    mask = space.consistent_with(agreed).copy()
    for j, c in enumerate(choices):
        lv = space.levels[:, j]
        allowed = c[keep[j]]
        mask &= np.isin(lv, allowed)
    total = sum(support[j][np.searchsorted(choices[j], space.levels[:, j])] for j in range(n))
    mask &= total >= theta
    got = f2.frontier(
        space, us, china, agreed=agreed, keep=keep, constraints=(support,), thresholds=(theta,)
    )
    np.testing.assert_array_equal(
        got, _oracle_frontier(space, us, china, mask) if mask.any() else []
    )
    c = f2.candidates(
        space, (us, china), agreed=agreed, keep=keep, constraints=(support,), thresholds=(theta,)
    )
    assert set(c.index.tolist()) <= set(np.flatnonzero(mask).tolist())
    if len(space) and not space.covered[0].any():  # the outcome covering nothing: iff allowed
        assert (0 in c.index) == bool(mask[0])


@pytest.mark.parametrize(
    "scenario", [None, "scenarios/implementation", "scenarios/enforcement_anticipated"]
)
def test_shipped_projections_give_the_enumerated_frontier(scenario):
    """The baseline's projection at its start (hostage issues), and the scenarios with
    jointly valued issues and anticipated disputes: the same frontier, this round and next,
    from fewer candidates than outcomes."""
    if scenario is None:
        space, val = SPACE, VAL
    else:
        from tradetalks.sim.scenario import resolve_config
        from tradetalks.sim.shipped import locate

        cfg = resolve_config(locate(scenario))
        space = outcome_space(cfg)
        val = Projector(cfg, space).project(snapshot(cfg))
    for nxt in (False, True):
        us, china = f2.Term(val, "us", nxt), f2.Term(val, "china", nxt)
        got = f2.frontier(space, us, china)
        np.testing.assert_array_equal(got, _oracle_frontier(space, us, china))
        assert len(f2.candidates(space, (us, china)).index) < len(space) / 10
    assert SNAP.week == 1


@settings(max_examples=60, deadline=None)
@given(valuations(), st.integers(0, 2), st.booleans())
def test_a_product_never_enumerated_gives_the_same_candidates(drawn, fewest, interim):
    """``Product.build`` (no enumeration: indices counted from the product, as for spaces
    too large to hold) gives the candidates and values the enumerated space gives, whatever
    the fewest issues a deal covers and whether issues may be left open."""
    space, val = drawn
    issues = list(space.issues)
    assume(fewest <= len(issues) and (interim or fewest > 0))
    enumerated = OutcomeSpace(issues, allow_interim=interim, min_issues=fewest)
    terms = (f2.Term(val, "us"), f2.Term(val, "china", True))
    want = f2.candidates(enumerated, terms)
    got = f2.candidates(f2.Product.build(issues, interim, fewest), terms)
    np.testing.assert_array_equal(got.index, want.index)
    for a, b in zip(got.values, want.values, strict=True):
        np.testing.assert_array_equal(a, b)
    if len(enumerated):
        np.testing.assert_array_equal(enumerated.levels[got.index], enumerated.levels[want.index])


@pytest.mark.parametrize("scenario", ["baseline", "scenarios/enforcement_anticipated"])
def test_without_combining_the_coupled_issues_first_frontier_points_are_lost(scenario, monkeypatch):
    """The mechanism: treating every issue as additive (no coupled issues) merges on the
    additive parts alone, and the candidates then miss outcomes on the true frontier."""
    if scenario == "baseline":
        space, val = SPACE, VAL
    else:
        from tradetalks.sim.scenario import resolve_config
        from tradetalks.sim.shipped import locate

        cfg = resolve_config(locate(scenario))
        space = outcome_space(cfg)
        val = Projector(cfg, space).project(snapshot(cfg))
    us, china = f2.Term(val, "us"), f2.Term(val, "china")
    assert f2.coupled_issues([f2.parts(t, space._choices) for t in (us, china)])
    truth = _oracle_frontier(space, us, china)
    np.testing.assert_array_equal(f2.frontier(space, us, china), truth)
    monkeypatch.setattr(f2, "coupled_issues", lambda split: [])
    assert not set(truth.tolist()) <= set(f2.frontier(space, us, china).tolist())


def test_the_coupled_issues_are_the_ones_the_non_additive_terms_read():
    """On a hand-made valuation: the US's coupled issues are φ̂'s cut issue, the hostage
    issue, the pair and the dispute term's rate and purchases issues (this round's or the
    next round's); China's the same less the hostage term's; the merge starts from every
    combination of them."""
    from test_projector import _hand_valuation

    val, space = _hand_valuation(True)  # cut on a; hostage b; pair (a, c); disputes: ag c
    choices = space._choices
    for nxt, rate_issue in ((False, 2), (True, 0)):  # the delivery rate reads c, then a
        us, china = (f2.parts(f2.Term(val, s, nxt), choices) for s in SIDES)
        assert f2.coupled_issues([us]) == [0, 1, 2]
        assert len(us.monotone) == 1 and not china.monotone
        assert f2.coupled_issues([china]) == sorted({0, 2, rate_issue})
        assert np.any(us.monotone[0][1]) and not np.any(us.monotone[0][0])
    c = f2.candidates(space, (f2.Term(val, "china"), f2.Term(val, "china", True)))
    assert c.examined == 4 * 4  # a and c, each three levels or open
    nothing = f2.candidates(
        space,
        (f2.Term(val, "us"), f2.Term(val, "china")),
        keep=[np.zeros(4, bool), np.ones(3, bool), np.ones(4, bool)],
    )
    assert len(nothing.index) == 0 and nothing.examined == 0
    with pytest.raises(ValueError, match="two terms"):
        f2.candidates(space, (f2.Term(val, "us"),))


@settings(max_examples=60, deadline=None)
@given(valuations(), st.data())
def test_with_three_terms_every_outcome_left_out_is_beaten_in_all_three(drawn, data):
    """A third term rides along: every outcome not among the candidates is weakly beaten in
    all three values by one that is (strictly in one of them, or tied in all)."""
    space, val = drawn
    terms = (f2.Term(val, "us"), f2.Term(val, "china"), f2.Term(val, "us", True))
    c = f2.candidates(space, terms)
    everything = np.column_stack([tidy(t.values(space)) for t in terms])
    kept = everything[c.index]
    for x in np.setdiff1d(np.arange(len(space)), c.index):
        assert (kept >= everything[x]).all(axis=1).any(), x


def test_a_product_with_an_issue_off_the_table_counts_it_open():
    """``Product.build`` leaves an issue that is not negotiable open, as the space does."""
    from tradetalks.sim.issues import Issue

    fixed = Issue("fixed", ("0", "1"), 0, "us", False, {"us": np.zeros(2)}, {})
    issues = [issue("a", 2), fixed, issue("b", 3)]
    product = f2.Product.build(issues, True, 1)
    enumerated = OutcomeSpace(issues, allow_interim=True, min_issues=1)
    for got, want in zip(product.choices, enumerated._choices, strict=True):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=100, deadline=None)
@given(valuations(), st.floats(-0.5, 1.0), st.floats(-0.5, 1.0), st.booleans())
def test_the_bargaining_points_of_exact_values_are_the_enumerated_points(drawn, r1, r2, nxt):
    """Nash, Kalai–Smorodinsky and maximum-welfare points of (V_us, V_china) from the
    factored frontier (``factored.nash`` ...) are the enumerated ones (``analysis``), this
    round's values or the next round's."""
    space, val = drawn
    us, china = f2.Term(val, "us", nxt), f2.Term(val, "china", nxt)
    front = f2.front(space, us, china)
    assert_same_points(front, front.position, us.values(space), china.values(space), (r1, r2))


def test_an_issue_with_a_single_level_still_couples_its_pair():
    """Interim deals off, issue a has one level: its pair with b still reads it (a code of 0
    for its only choice would leave it free and drop the pair's 5 from the frontier)."""
    space = OutcomeSpace([issue("a", 1), issue("b", 3)], allow_interim=False, min_issues=1)
    g = {
        "us": (np.zeros(1), np.array([0.0, 1.0, 0.0])),
        "china": (np.zeros(1), np.array([2.0, 1.0, 0.0])),
    }
    val = valuation_of(g, g, pairs={s: ((0, 1, np.array([[0.0, 0.0, 5.0]])),) for s in SIDES})
    us, china = f2.Term(val, "us"), f2.Term(val, "china")
    np.testing.assert_array_equal(f2.frontier(space, us, china), [2])
    assert f2.coupled_issues([f2.parts(us, space._choices)]) == [0, 1]


def test_a_space_with_no_outcome_has_no_candidates():
    empty = OutcomeSpace([issue("a", 2), issue("b", 2)], allow_interim=True, min_issues=3)
    gains = {s: (np.zeros(2), np.zeros(2)) for s in SIDES}
    val = valuation_of(gains, gains)
    assert len(empty) == 0
    c = f2.candidates(empty, (f2.Term(val, "us"), f2.Term(val, "china")))
    assert len(c.index) == 0


def _with_cost(space, val, support, weight=1.0, threshold=0.0):
    """V_us less a pressure lump weight·max(0, threshold − support(x)) (Congress's, on
    executive deals), and the support per outcome."""
    choices = space._choices
    s = sum(
        np.asarray(col)[np.searchsorted(choices[j], space.levels[:, j])]
        for j, col in enumerate(support)
    )
    return val.utility("us", space) - weight * np.maximum(0.0, threshold - s)


def test_a_value_falling_with_a_sum_below_a_threshold_needs_that_sum_in_the_merge():
    """The US's value less a lump that grows as Congress's support falls: the candidates
    keep the outcome with less additive value but more support (the frontier's point) only
    when the support rides along (``monotone``)."""
    space = OutcomeSpace([issue("a", 2), issue("b", 2)], allow_interim=True, min_issues=1)
    us = (np.array([0.0, 1.0]), np.array([0.0, 0.5]))
    flat = (np.zeros(2), np.zeros(2))
    val = valuation_of({"us": us, "china": flat}, {"us": us, "china": flat})
    support = (np.array([0.0, 0.0, -5.0]), np.zeros(3))  # per choice: open, level 0, level 1
    total = _with_cost(space, val, support)
    best = int(np.argmax(total))
    terms = (f2.Term(val, "us"), f2.Term(val, "china"))
    assert best in f2.candidates(space, terms, monotone=[support]).index
    assert best not in f2.candidates(space, terms).index


@settings(max_examples=60, deadline=None)
@given(valuations(), st.data())
def test_with_a_sum_riding_along_the_frontier_of_the_lowered_value_is_found(drawn, data):
    """For any support per issue and choice, the frontier of (V_us − lump, V_china) over
    the candidates with the support riding along is the enumerated frontier."""
    space, val = drawn
    support = tuple(
        np.array(data.draw(st.lists(st.integers(-2, 2), min_size=len(c), max_size=len(c))), float)
        for c in space._choices
    )
    terms = (f2.Term(val, "us"), f2.Term(val, "china"))
    total, china = _with_cost(space, val, support, 0.3, 0.5), val.utility("china", space)
    c = f2.candidates(space, terms, monotone=[support])
    got = c.index[pareto_mask(total[c.index], china[c.index])]
    np.testing.assert_array_equal(got, np.flatnonzero(pareto_mask(total, china)))


def test_gains_a_rounding_step_apart_keep_both_outcomes_that_tie_once_completed():
    """Found by hypothesis: China's gain on one issue is 5e-13, under the 12-decimal grid.
    Partial sums that round apart can tie once completed, so the merge must not let the
    larger prune the smaller: the frontier keeps both tied outcomes, as the enumeration does."""
    sizes = (1, 2, 2, 3)
    space = OutcomeSpace([issue(f"i{j}", m) for j, m in enumerate(sizes)], allow_interim=False)
    zeros = tuple(np.zeros(m) for m in sizes)
    china = (np.zeros(1), np.zeros(2), np.array([0.0, 5e-13]), np.array([0.0, 0.0, 0.04097352]))
    val = valuation_of(
        {"us": zeros, "china": china},
        {"us": zeros, "china": zeros},
        pairs={
            "us": ((0, 1, np.zeros((1, 2))),),
            "china": ((0, 1, np.array([[0.0, 0.01652764]])),),
        },
    )
    us_term, china_term = f2.Term(val, "us"), f2.Term(val, "china")
    expected = _oracle_frontier(space, us_term, china_term)
    assert len(expected) == 2
    np.testing.assert_array_equal(f2.frontier(space, us_term, china_term), expected)


def test_a_bargaining_point_is_never_an_outcome_a_rounding_step_beats():
    """Found by hypothesis: China's gain on one issue is 5e-13; the two outcomes' Nash
    products tie at 12 decimals while China's values do not, so the point is the outcome on
    the frontier (the enumerated search once took the lower index, which that one beats)."""
    sizes = (1, 2, 3)
    space = OutcomeSpace([issue(f"i{j}", m) for j, m in enumerate(sizes)], allow_interim=False)
    zeros = tuple(np.zeros(m) for m in sizes)
    china = (np.array([0.33]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 5e-13]))
    val = valuation_of({"us": zeros, "china": china}, {"us": zeros, "china": zeros})
    us, cn = f2.Term(val, "us"), f2.Term(val, "china")
    u1, u2 = us.values(space), cn.values(space)
    front = f2.front(space, us, cn)
    assert_same_points(front, front.position, u1, u2, (0.0, 0.0))
    assert nash_point(u1, u2, (0.0, 0.0)) in np.flatnonzero(pareto_mask(u1, u2))
