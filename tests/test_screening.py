"""The default strategy of core v2: Bayesian screening with one-step look-ahead (core-v2 §1 C).

Teams here hold synthetic additive tables (V = r + Σ_i Δ_i(x_i)), as the projector would
supply them, and play through the real mechanism (``sim.protocol.Negotiation``).  Each test
also shows that it fails when its mechanism is switched off.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.agents.screening import PRUNE_ABOVE, ScreeningStrategy, best_for
from tradetalks.sim.config_talks import ProtocolConfig
from tradetalks.sim.issues import Issue, OutcomeSpace, read_only
from tradetalks.sim.protocol import (
    Negotiation,
    NegotiationView,
    OfferRecord,
    PublicEvent,
    _Moment,
    normalised_gain,
)

from tradetalks.testing.negotiation import make_view, small_spaces

TOL = 1e-9
GAP = 4  # weeks between principal rounds


def linear_space(levels: int, weights: tuple[float, ...]) -> OutcomeSpace:
    """Issues on a linear frontier: the US gains w_i·ℓ/(L−1), China the rest of w_i."""
    grid = np.linspace(0, 1, levels)
    issues = [
        Issue(
            f"i{j}",
            tuple(str(k) for k in range(levels)),
            0,
            "china",
            True,
            {"us": w * grid, "china": w * (1 - grid)},
            {},
        )
        for j, w in enumerate(weights)
    ]
    return OutcomeSpace(issues, allow_interim=False)


# 2 issues × 41 levels, weights 0.6/0.4: gains are multiples of 1/200 (0.625 is on the grid)
SPACE = linear_space(41, (0.6, 0.4))


class AdditiveTeam:
    """A core-v2 team with fixed additive tables: V = r + Σ_i Δ_i, G(t+Δ) = ``next_scale``·G."""

    def __init__(
        self,
        side,
        strategy,
        patience,
        private_type=None,
        *,
        space=SPACE,
        reservation=0.0,
        gains=None,
        gains_next=None,
    ):
        self.side, self.strategy, self.patience = side, strategy, patience
        self.private_type, self.reservation, self.gap = private_type, reservation, GAP
        gain = space.contributions(side).sum(axis=1) if gains is None else gains
        self._u = read_only(reservation + gain)
        self._next = read_only(gain if gains_next is None else gains_next)

    def utility(self) -> np.ndarray:
        return self._u

    def gain_next(self) -> np.ndarray:
        return self._next

    def strategy_for(self, level: str) -> ScreeningStrategy:
        return self.strategy


def beta(d_s: float, d_o: float) -> float:
    """The opponent's BRW share seen from s: ρ_s/(ρ_s + ρ_o)."""
    rs, ro = -math.log(d_s), -math.log(d_o)
    return rs / (rs + ro)


def negotiation(teams, space=SPACE, offers=2, first="us") -> Negotiation:
    cfg = ProtocolConfig(max_offers_per_round=offers, allow_interim=False, first_mover=first)
    return Negotiation(space, teams, [], cfg, 400)


def play(us, china, rounds=20, **kw):
    """Principal rounds every GAP weeks until a deal; (rounds before the deal, deal, mechanism)."""
    neg = negotiation({"us": us, "china": china}, **kw)
    for k in range(rounds):
        deal = neg.run_round(1 + GAP * k, "principal", {})
        if deal is not None:
            return k, deal, neg
    return rounds, None, neg


# ------------------------------------------------------------------------------ best_for
@settings(max_examples=60, deadline=None)
@given(small_spaces(allow_interim=False), st.floats(0, 1), st.data())
def test_best_for_is_the_constrained_argmax(space, threshold, data):
    own = space.contributions("us").sum(axis=1)
    opp = space.contributions("china").sum(axis=1)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(space), max_size=len(space))))
    x = best_for(own, opp, threshold, mask)
    ok = [i for i in range(len(space)) if mask[i] and opp[i] >= threshold - TOL]
    if not ok:
        assert x == -1
    else:
        assert mask[x] and opp[x] >= threshold - TOL
        assert own[x] == pytest.approx(max(own[i] for i in ok))
    many = best_for(own, opp, np.array([threshold, 0.0]), mask)
    assert many[0] == x  # vectorised over thresholds: the same answer


def _pick_by_rule(own, opp, threshold, mask):
    """The rule best_for states, one outcome at a time: the largest own gain among outcomes
    meeting the threshold, ties (within TOL) to the larger opponent gain, then the lowest index."""
    ok = [i for i in range(len(own)) if mask[i] and opp[i] >= threshold - TOL]
    if not ok:
        return -1
    best = max(own[i] for i in ok)
    ties = [i for i in ok if own[i] >= best - TOL]
    top = max(opp[i] for i in ties)
    return min(i for i in ties if opp[i] == top)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(PRUNE_ABOVE + 1, 4 * PRUNE_ABOVE),
    st.integers(1, 5),
    st.lists(st.floats(-0.2, 1.2), min_size=1, max_size=14),
    st.integers(0, 2**32 - 1),
)
def test_best_for_over_many_outcomes_follows_the_rule_for_every_threshold(n, q, thresholds, seed):
    """Above PRUNE_ABOVE outcomes best_for drops non-contenders first: the picks stay those of
    the rule, with coarse gains (many exact ties) and near-ties inside the tolerance."""
    rng = np.random.default_rng(seed)
    jitter = rng.choice([0.0, 0.4 * TOL, -0.4 * TOL, 3 * TOL], size=(2, n))
    own = np.round(rng.random(n) * q) / q + jitter[0]
    opp = np.round(rng.random(n) * q) / q + jitter[1]
    grid = np.concatenate([np.asarray(thresholds), rng.choice(opp, size=3)])
    mask = rng.random(n) < 0.85
    picks = best_for(own, opp, grid, mask)
    assert picks.tolist() == [_pick_by_rule(own, opp, m, mask) for m in grid]


# ------------------------------------------------------------------------------ IR
@settings(max_examples=40, deadline=None)
@given(space=small_spaces(allow_interim=False), data=st.data())
def test_never_accepts_below_reservation(space, data):
    """Random additive tables (gains of either sign), types, optimism, next-round gains: no
    accepted offer is worth less than either side's reservation value."""
    teams = {}
    for side in ("us", "china"):
        tables = [
            np.array(
                data.draw(st.lists(st.integers(-8, 8), min_size=i.n_levels, max_size=i.n_levels))
            )
            / 8
            for i in space.issues
        ]
        gain = sum(t[space.effective[:, j]] for j, t in enumerate(tables))
        strat = ScreeningStrategy(
            sigma0=data.draw(st.sampled_from([0.0, 0.1, 0.3])),
            optimism=data.draw(st.sampled_from([0.0, 0.2])),
        )
        teams[side] = AdditiveTeam(
            side,
            strat,
            data.draw(st.floats(0.9, 0.999)),
            data.draw(st.one_of(st.none(), st.floats(0, 1))),
            space=space,
            reservation=data.draw(st.floats(-1, 1)),
            gains=gain,
            gains_next=gain * data.draw(st.floats(-1, 2)),
        )
    _, _, neg = play(teams["us"], teams["china"], rounds=4, space=space, offers=3)
    for rec in neg.history:
        if rec.accepted:
            assert all(rec.utility[s] >= rec.reservation[s] - TOL for s in rec.utility)
    view = neg._view("us", _Moment(1, 0.0, "principal", 1))
    strat = teams["us"].strategy
    below = np.flatnonzero(teams["us"].utility() < teams["us"].reservation)
    assert not any(strat.accepts(view, int(y)) for y in below)
    assert strat.aspiration(view) >= view.reservation


def test_the_reservation_guard_is_what_keeps_acceptance_rational():
    """With next-round gains all negative W < r: without max(r, W) the strategy would accept
    outcomes below its reservation value; with it, it does not."""
    gains = SPACE.contributions("us").sum(axis=1) - 0.5
    us = AdditiveTeam("us", ScreeningStrategy(), 0.99, gains=gains, gains_next=gains - 1.0)
    china = AdditiveTeam("china", ScreeningStrategy(), 0.99)
    neg = negotiation({"us": us, "china": china})
    neg.run_round(1, "principal", {})
    view = neg._view("us", _Moment(1, 0.0, "principal", 1))
    bar = us.strategy.bar(view)
    assert bar < 0  # W − r < 0: the look-ahead alone would accept losses
    losing = np.flatnonzero((gains >= bar) & (gains < 0))
    assert len(losing) > 0
    assert not any(us.strategy.accepts(view, int(y)) for y in losing)


# ------------------------------------------------------------------------------ complete info
def _complete_information(d_us, d_cn, first, space=SPACE, type_slack=0.0, **params):
    b_cn = beta(d_us, d_cn)  # China's share seen by the US
    b_us = beta(d_cn, d_us)
    params = {"sigma0": 0.0, "optimism": 0.0, **params}
    us = AdditiveTeam("us", ScreeningStrategy(**params), d_us, b_us - type_slack, space=space)
    cn = AdditiveTeam("china", ScreeningStrategy(**params), d_cn, b_cn - type_slack, space=space)
    k, deal, neg = play(us, cn, rounds=3, space=space, first=first)
    return k, deal, neg, {"us": b_us, "china": b_cn}


@pytest.mark.parametrize("first", ["us", "china"])
def test_complete_information_closes_at_once_at_the_brw_share(first):
    """σ_0 = 0, b = 0, types at β: the first offer of the first principal round is accepted,
    giving the responder exactly its share β (on the grid here: 0.625 = 125/200)."""
    d_cn = 0.997
    d_us = d_cn ** (5 / 3)  # ρ_US = 5/3 ρ_CN: β_CN = 0.625, β_US = 0.375
    k, deal, neg, b = _complete_information(d_us, d_cn, first)
    assert k == 0 and deal is not None and len(neg.history) == 1
    responder = "china" if first == "us" else "us"
    g = normalised_gain(neg.teams[responder].utility(), 0.0, np.ones(len(SPACE), bool))
    assert g[deal.outcome] == pytest.approx(b[responder], abs=1e-6)


LEVEL_STEPS = {  # one level per issue of SPACE_COARSE, in normalised gain
    "coarse": (0.5 + 0.3 + 0.2) / 10,
}
SPACE_COARSE = linear_space(11, (0.5, 0.3, 0.2))


@pytest.mark.parametrize(("d_us", "d_cn"), [(0.995, 0.997), (0.99, 0.99), (0.998, 0.99)])
def test_complete_information_within_one_level_per_issue(d_us, d_cn):
    """Generic patience, three issues of 11 levels: off the grid, types sitting exactly at β
    would leave no outcome both accept, so they sit one grid step (1/100) below; the first
    round closes at the responder's share β within one level per issue."""
    k, deal, neg, b = _complete_information(d_us, d_cn, "us", SPACE_COARSE, type_slack=0.01)
    assert k == 0 and deal is not None
    g = _share_full(neg, "china", deal.outcome)
    assert b["china"] - 0.01 - TOL <= g <= b["china"] + LEVEL_STEPS["coarse"]


def _share_full(neg, side, x):
    team = neg.teams[side]
    return float(normalised_gain(team.utility(), 0.0, np.ones(len(neg.space), bool))[x])


def test_complete_information_limit_fails_without_its_ingredients():
    """Optimism (b > 0) or an ignored patience (β = ½) moves the first-round outcome off β."""
    d_cn = 0.997
    d_us = d_cn ** (5 / 3)
    k, deal, _, _ = _complete_information(d_us, d_cn, "us", optimism=0.2)
    assert not (k == 0 and deal is not None)  # stingy offers at β − b are refused
    k, deal, neg, _ = _complete_information(0.997, 0.997, "us")  # equal patience: β = ½
    assert k == 0 and abs(_share_full(neg, "china", deal.outcome) - 0.625) > 0.1


# ------------------------------------------------------------------------------ delay
def _draws(n=16, seed=1):
    """True types below the BRW shares (so a deal exists), from a fixed seed."""
    b_cn = beta(0.995, 0.997)
    rng = np.random.default_rng(seed)
    return [(1 - b_cn - u, b_cn - v) for u, v in rng.uniform(0, 0.15, size=(n, 2))]


def mean_delay(**params) -> float:
    """Rounds to agreement, averaged over the drawn true types (capped at 20)."""
    out = []
    for t_us, t_cn in _draws():
        us = AdditiveTeam("us", ScreeningStrategy(**params), 0.995, t_us)
        cn = AdditiveTeam("china", ScreeningStrategy(**params), 0.997, t_cn)
        out.append(play(us, cn, rounds=20)[0])
    return float(np.mean(out))


def test_delay_rises_with_the_prior_spread():
    delays = [mean_delay(sigma0=s) for s in (0.0, 0.2, 0.3)]
    assert delays[0] == 0.0
    assert delays[0] <= delays[1] <= delays[2] and delays[2] > delays[0]
    # with the updates off (ε = ½: offers and rejections say nothing) delay does not respond
    off = [mean_delay(sigma0=s, epsilon=0.5) for s in (0.0, 0.2, 0.3)]
    assert len(set(off)) == 1


class NoOptimism(ScreeningStrategy):
    """A mutant whose prior ignores the optimism b."""

    name = ""  # a probe: not registered (it would replace "screening")

    def prior_mean(self, view: NegotiationView) -> float:
        b = self.params.optimism
        return min(1.0, super().prior_mean(view) + b)


FINE_GRID = [round(0.05 * k, 2) for k in range(1, 20)]  # Γ in steps of 0.05


def test_delay_rises_with_optimism():
    """On a finer type grid (the default Γ can bracket a type between two grid points, and
    the weekly drift then keeps the beliefs cycling: see docs), optimism delays agreement."""
    delays = [mean_delay(sigma0=0.1, optimism=b, types=FINE_GRID) for b in (0.0, 0.15, 0.2)]
    assert delays[0] < delays[1] < delays[2]
    # learning is what ends the delay: without updates optimists never agree
    assert mean_delay(sigma0=0.1, optimism=0.2, types=FINE_GRID, epsilon=0.5) > delays[2]
    flat = []
    for b in (0.0, 0.2):
        runs = []
        for t_us, t_cn in _draws():
            params = {"sigma0": 0.1, "optimism": b, "types": FINE_GRID}
            us = AdditiveTeam("us", NoOptimism(**params), 0.995, t_us)
            cn = AdditiveTeam("china", NoOptimism(**params), 0.997, t_cn)
            runs.append(play(us, cn)[0])
        flat.append(np.mean(runs))
    assert flat[0] == flat[1]  # the test sees optimism only through the prior


# ------------------------------------------------------------------------------ belief updates
OWN = SPACE.contributions("us").sum(axis=1)
OPP = read_only(SPACE.contributions("china").sum(axis=1))


def v2_view(history=(), events=(), week=1, on_table=None, opponent_patience=0.997):
    base = make_view(
        SPACE,
        "us",
        OWN,
        history,
        time=float(week - 1),
        horizon=52,
        patience=0.995,
        opponent_patience=opponent_patience,
    )
    return dataclasses.replace(
        base,
        week=week,
        own_gain=read_only(OWN),
        own_gain_next=read_only(OWN),
        gap=GAP,
        opponent_gain_public=OPP,
        events=tuple(events),
        on_table=on_table,
    )


def offer(proposer, x, week=1, accepted=False):
    return OfferRecord(
        week=week,
        round_no=1,
        level="principal",
        proposer=proposer,
        outcome=x,
        utility={"us": OWN[x], "china": OPP[x]},
        reservation={"us": 0.0, "china": 0.0},
        accepted=accepted,
        blocked_by_ratification=False,
    )


def mean_type(strategy, view) -> float:
    grid, mu = strategy.belief(view)
    assert mu.sum() == pytest.approx(1.0)
    return float(grid @ mu)


X_MID = int(np.argmin(np.abs(OPP - 0.5)))  # an outcome giving China half its best gain


@pytest.mark.parametrize(
    ("record", "direction"),
    [
        (offer("us", X_MID), +1),  # own offer rejected: the type is above g_o(x)
        (offer("china", X_MID), -1),  # opponent offers y: the type is at most g_o(y)
        (PublicEvent(1, "china", "escalation"), +1),
        (PublicEvent(1, "china", "gesture"), -1),
        (PublicEvent(1, "china", "postponement"), -1),
        (PublicEvent(1, "us", "escalation"), 0),  # one's own moves say nothing about the other
    ],
)
def test_belief_updates_move_as_stated(record, direction):
    strat = ScreeningStrategy(sigma0=0.3)
    prior = mean_type(strat, v2_view())
    kw = {"events": [record]} if isinstance(record, PublicEvent) else {"history": [record]}
    moved = mean_type(strat, v2_view(**kw)) - prior
    assert np.sign(round(moved, 12)) == direction
    # switched off (uninformative tremble, no signal weights) nothing moves
    off = ScreeningStrategy(sigma0=0.3, epsilon=0.5, eta_esc=0.0, eta_gw=0.0)
    assert mean_type(off, v2_view(**kw)) == pytest.approx(mean_type(off, v2_view()))


def test_an_offer_on_the_table_caps_the_posterior():
    strat = ScreeningStrategy(sigma0=0.3)
    grid, mu = strat.belief(v2_view(on_table=X_MID))
    assert mu[grid > OPP[X_MID] + TOL].sum() < 0.1  # ε-tremble mass only
    assert mean_type(strat, v2_view(on_table=X_MID)) < mean_type(strat, v2_view())


def test_beliefs_drift_back_to_the_prior():
    strat = ScreeningStrategy(sigma0=0.3)
    _, prior = strat.belief(v2_view())
    gaps = []
    for week in (1, 3, 10, 40):
        _, mu = strat.belief(v2_view(history=[offer("us", X_MID)], week=week))
        gaps.append(np.abs(mu - prior).sum())
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3] and gaps[3] < 0.05
    still = ScreeningStrategy(sigma0=0.3, drift=1.0)  # λ = 1: no drift
    _, a = still.belief(v2_view(history=[offer("us", X_MID)], week=1))
    _, b = still.belief(v2_view(history=[offer("us", X_MID)], week=40))
    assert np.allclose(a, b)


_RECORDS = st.one_of(
    st.builds(
        offer,
        st.sampled_from(["us", "china"]),
        st.integers(0, len(OPP) - 1),
        week=st.integers(1, 30),
        accepted=st.booleans(),
    ),
    st.builds(
        PublicEvent,
        st.integers(1, 30),
        st.sampled_from(["us", "china"]),
        st.sampled_from(["escalation", "retaliation", "incident", "gesture", "postponement"]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(_RECORDS, max_size=25),
    extra=st.integers(0, 20),
    on_table=st.one_of(st.none(), st.integers(0, len(OPP) - 1)),
    drift=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    eps=st.sampled_from([0.01, 0.05, 0.3]),
)
def test_the_belief_in_one_product_equals_the_step_by_step_replay(
    records, extra, on_table, drift, eps
):
    """``belief`` sums weighted log-likelihoods; ``replay`` applies Bayes' rule and the
    drift record by record (the model's definition): they agree on any record, and
    incrementally, as the record grows in the same strategy object."""
    strat = ScreeningStrategy(sigma0=0.2, drift=drift, epsilon=eps, eta_esc=0.7, eta_gw=0.4)
    oracle = ScreeningStrategy(sigma0=0.2, drift=drift, epsilon=eps, eta_esc=0.7, eta_gw=0.4)
    history = [r for r in records if isinstance(r, OfferRecord)]
    events = [r for r in records if isinstance(r, PublicEvent)]
    week = max([r.week for r in records], default=1) + extra
    for n in range(len(history) + 1):  # the record grows: the cached prefix is extended
        view = v2_view(history=history[:n], events=events, week=week, on_table=on_table)
        grid, mu = strat.belief(view)
        grid_o, mu_o = oracle.replay(view)
        assert np.array_equal(grid, grid_o)
        assert np.allclose(mu, mu_o, rtol=1e-9, atol=1e-12)


def test_rejections_make_offers_more_generous():
    """Learning (Coasian): after a rejection the next offer gives the opponent more."""
    strat = ScreeningStrategy(sigma0=0.3, optimism=0.2)
    first = strat.propose(v2_view())
    later = strat.propose(v2_view(history=[offer("us", first)], week=5))
    assert OPP[later] > OPP[first]
    off = ScreeningStrategy(sigma0=0.3, optimism=0.2, epsilon=0.5)
    assert off.propose(v2_view(history=[offer("us", first)], week=5)) == first


# ------------------------------------------------------------------------------ no hindsight
class Recording(ScreeningStrategy):
    """Logs every view it is shown."""

    name = ""  # a probe: not registered (it would replace "screening")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.views: list[NegotiationView] = []

    def propose(self, view):
        self.views.append(view)
        return super().propose(view)

    def accepts(self, view, outcome):
        self.views.append(view)
        return super().accepts(view, outcome)


def _signature(view: NegotiationView) -> tuple:
    arrays = ("own_utility", "own_gain", "own_gain_next", "opponent_gain_public", "available")
    return (
        *(getattr(view, a).tobytes() for a in arrays),
        view.history,
        view.events,
        view.own_type,
        view.on_table,
        view.week,
        view.reservation,
    )


def test_the_opponents_true_type_is_invisible_until_it_acts():
    """Changing China's private type leaves every US view unchanged until China answers."""
    runs = []
    for t_cn in (0.3, 0.9):  # the first accepts the US's opening offer, the second refuses
        us = AdditiveTeam("us", Recording(sigma0=0.1, optimism=0.2), 0.995, 0.2)
        cn = AdditiveTeam("china", ScreeningStrategy(sigma0=0.1), 0.997, t_cn)
        play(us, cn, rounds=3)
        runs.append(us.strategy.views)
    first = [_signature(v) for v in runs[0]]
    second = [_signature(v) for v in runs[1]]
    assert first[0] == second[0]  # the US's first offer: China has not acted yet
    assert first != second  # afterwards China's answers differ, and so do the US's views
    assert len(first) == 1  # China (type 0.3) accepted: the US saw nothing more
    later = runs[1][1]  # China (type 0.9) refused: the US sees that, and only that
    assert later.history[0].accepted is False and later.history[0].proposer == "us"


def test_the_parsed_record_is_not_reused_for_another_side_or_another_record():
    """The incremental cache of ``belief`` follows the viewer's side and the whole prefix."""
    strat = ScreeningStrategy(sigma0=0.2)
    history = [offer("us", X_MID, week=1), offer("china", X_MID, week=2)]
    us = v2_view(history=history, week=4)
    china = dataclasses.replace(us, side="china")
    a, b, c = offer("us", 1), offer("us", 2), offer("us", 3)
    for view in (
        us,
        china,
        v2_view(history=[a, b], week=3),
        v2_view(history=[c, b, a], week=3),
    ):
        oracle = ScreeningStrategy(sigma0=0.2).replay(view)[1]
        assert np.allclose(strat.belief(view)[1], oracle, atol=1e-12)


def test_a_prior_that_underflows_rules_types_out_without_a_warning():
    """σ0 = 0.01 puts zero prior mass far from the prior mean: those types are ruled out
    (log 0 = −inf), with no divide-by-zero warning in every calibration log."""
    import warnings

    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.shipped import baseline

    narrow = {"teams.us.members.ustr.strategy.params.sigma0": 0.01, "run.weeks": 12}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = TradeTalksModel(
            config=baseline(), rng=3, overrides=narrow, collect_series=False, farmer_agents=False
        )
        model.run()
    assert model.steps == 12


# ------------------------------------------------------- guards the mutation run found open
def test_an_observation_every_type_rules_out_is_ignored():
    """Without trembles (ε = 0, the step-by-step replay) a rejection of the offer that gives
    China its best gain says its type is above every type on the grid: Bayes' rule would
    leave no mass, so the record is ignored and the next one still counts."""
    strat = ScreeningStrategy(sigma0=0.2, epsilon=0.0, drift=1.0)
    top = int(np.argmax(OPP))
    _, prior = strat.belief(v2_view())
    _, after = strat.belief(v2_view(history=[offer("us", top)]))
    assert np.all(np.isfinite(after)) and np.allclose(after, prior)
    informative = offer("china", X_MID)
    _, one = strat.belief(v2_view(history=[informative]))
    _, both = strat.belief(v2_view(history=[offer("us", top), informative]))
    assert np.allclose(one, both) and not np.allclose(one, prior)


def test_a_drift_between_disjoint_beliefs_falls_back_to_the_prior():
    """μ^λ·μ_0^(1−λ) is zero everywhere when μ and μ_0 share no type: the prior is restored
    (a guard: Bayes' rule keeps μ inside μ_0's support, so runs never reach it)."""
    strat = ScreeningStrategy(sigma0=0.2, drift=0.5)
    mu, mu0 = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.5, 0.5])
    out = strat._drift(mu, mu0, 2)
    assert np.array_equal(out, mu0) and out is not mu0
    assert strat._drift(mu, mu0, 0) is mu  # no week passed: nothing drifts


@pytest.mark.parametrize("path", ["belief", "replay"])
def test_a_rejected_offer_at_exactly_the_reservation_value_binds_and_informs(path):
    """An offer worth exactly the proposer's reservation value binds it (it is not a pass),
    so its rejection moves the belief up, on both forms of the belief."""
    strat = ScreeningStrategy(sigma0=0.3)
    at_r = dataclasses.replace(offer("us", X_MID), reservation={"us": OWN[X_MID], "china": 0.0})
    below = dataclasses.replace(at_r, reservation={"us": OWN[X_MID] + 1e-6, "china": 0.0})
    mean = {}
    for name, rec in (("prior", None), ("at_r", at_r), ("pass", below)):
        grid, mu = getattr(strat, path)(v2_view(history=[] if rec is None else [rec]))
        mean[name] = float(grid @ mu)
    assert mean["at_r"] > mean["prior"] + 1e-3
    assert mean["pass"] == pytest.approx(mean["prior"], abs=1e-12)  # a pass says nothing


@pytest.mark.parametrize("scale", [1.0, 0.5])
@pytest.mark.parametrize("own_type", [None, 0.3, 0.8])
@pytest.mark.parametrize("history", [(), ("us",), ("china",)])
def test_the_aspiration_is_the_bar_that_accepts_applies(own_type, history, scale):
    """``aspiration`` (the acceptance bar on the V scale: max(r, W, r + type·(M − r))) is the
    threshold ``accepts`` applies: an outcome is accepted iff its value reaches it."""
    strat = ScreeningStrategy(sigma0=0.2)
    records = [offer(p, X_MID) for p in history]
    own = read_only(scale * OWN)  # M − r = scale
    view = dataclasses.replace(
        v2_view(history=records, week=3),
        own_type=own_type,
        own_utility=own,
        own_gain=own,
        own_gain_next=own,
    )
    bar = strat.aspiration(view)
    assert bar >= view.reservation
    clear = np.flatnonzero(np.abs(own - bar) > 1e-6)  # off the boundary
    accepted = np.array([strat.accepts(view, int(y)) for y in clear])
    assert np.array_equal(accepted, own[clear] >= bar)
    assert accepted.any() and not accepted.all()
    if own_type is not None:
        assert bar >= view.reservation + own_type * scale - 1e-9


def test_a_record_of_this_week_counts_in_full():
    """The drift discounts a record by λ^(weeks since): none for one made this week, so with
    λ = ½ the belief after it equals the belief without any drift."""
    rec = offer("us", X_MID, week=3)
    half = ScreeningStrategy(sigma0=0.3, drift=0.5).belief(v2_view(history=[rec], week=3))
    full = ScreeningStrategy(sigma0=0.3, drift=1.0).belief(v2_view(history=[rec], week=3))
    assert np.allclose(half[1], full[1], rtol=1e-12, atol=1e-15)
    later = ScreeningStrategy(sigma0=0.3, drift=0.5).belief(v2_view(history=[rec], week=4))
    assert not np.allclose(later[1], full[1])


def _next_round_view(own_type=None):
    """Next round's gains rank outcomes the other way round from today's."""
    view = v2_view(week=2)
    nxt = read_only(np.where(OWN > 0, 0.5 * (1.0 - OWN), 0.0))
    return dataclasses.replace(view, own_gain_next=nxt, own_type=own_type)


@pytest.mark.parametrize("own_type", [None, 0.6])
def test_the_offer_uses_todays_gains_and_the_bar_next_rounds(own_type):
    """``propose`` maximises P·G(x, t) on today's gains (and today's shares for the own type);
    ``bar`` reads the gains of t + Δ: with next round's ranking reversed they part ways."""
    strat = ScreeningStrategy(sigma0=0.2)
    view = _next_round_view(own_type)
    grid, mu = strat.belief(view)
    x_now, _ = strat.plan(view, grid, mu)
    x_next, v_next = strat.plan(view, grid, mu, next_round=True)
    assert strat.propose(view) == x_now != x_next
    assert strat.bar(view) == pytest.approx(view.patience**GAP * v_next)
    if own_type is not None:
        t = strat.tables(view)
        assert t.own_share[x_now] >= own_type - TOL and t.own_share_next[x_next] >= own_type - TOL
        assert t.own_share_next[x_now] < own_type  # today's pick fails next round's type
        nxt = view.own_gain_next
        np.testing.assert_allclose(t.own_share_next, nxt / nxt.max(), atol=1e-12)


def test_the_gap_to_the_next_round_is_the_views_when_it_has_one():
    strat = ScreeningStrategy(sigma0=0.2, gap_weeks=9)
    view = v2_view()
    grid, mu = strat.belief(view)
    _, v = strat.plan(view, grid, mu, next_round=True)
    assert strat.bar(view) == pytest.approx(0.995**GAP * v)  # the view's gap, not 9 weeks
    legacy = dataclasses.replace(view, gap=None)
    assert ScreeningStrategy(sigma0=0.2, gap_weeks=9).bar(legacy) == pytest.approx(0.995**9 * v)
    bare = dataclasses.replace(view, own_gain_next=None)  # next round as today
    assert ScreeningStrategy(sigma0=0.2).tables(bare).own_next is bare.own_gain


def test_with_nothing_to_gain_the_side_passes_and_takes_exactly_its_reservation():
    """When no outcome gains anything (every G ≤ 0) the offer is a pass, its own best
    outcome; an outcome worth exactly r is acceptable when nothing better is in prospect."""
    strat = ScreeningStrategy(sigma0=0.2)
    flat = read_only(np.minimum(OWN - OWN.max(), 0.0))  # G ≤ 0 everywhere, 0 at the top
    view = dataclasses.replace(v2_view(), own_gain=flat, own_gain_next=flat)
    best = int(np.argmax(flat))
    assert strat.propose(view) == best
    assert strat.accepts(view, best) and not strat.accepts(view, int(np.argmin(flat)))


def test_an_empty_joint_winset_falls_back_to_the_outcomes_on_the_table():
    """With no outcome in both believed win-sets the strategy still reasons over everything
    on the table (and says so in its tables)."""
    strat = ScreeningStrategy(sigma0=0.2)
    nowhere = read_only(np.zeros(len(OWN), dtype=bool))
    view = dataclasses.replace(v2_view(), opponent_winset=nowhere)
    t = strat.tables(view)
    assert t.mask.all()
    assert 0 <= strat.propose(view) < len(OWN)


def test_a_legacy_view_scores_gains_on_utility_and_the_opponent_on_its_modelled_span():
    """Without core-v2 gains the own gain is V − r and the opponent's is its modelled
    utility scaled to [0, 1] over the offer set."""
    strat = ScreeningStrategy(sigma0=0.2)
    kw = {"time": 0.0, "horizon": 52, "reservation": 0.3, "patience": 0.995}
    opp_u = strat.opponent_utility(make_view(SPACE, "us", OWN + 0.3, (), **kw))
    believed = opp_u >= 0.2  # China's believed win-set: the offer set starts above 0
    view = make_view(SPACE, "us", OWN + 0.3, (), opponent_winset=believed, **kw)
    t = strat.tables(view)
    np.testing.assert_allclose(t.own, OWN, atol=1e-12)
    low, high = opp_u[believed].min(), opp_u[believed].max()
    assert low >= 0.2
    np.testing.assert_allclose(t.opp, (opp_u - low) / (high - low), atol=1e-12)
    assert t.opp[believed].min() == 0.0 and t.opp[believed].max() == pytest.approx(1.0)
    span = OWN[believed].max()
    np.testing.assert_allclose(t.own_share, OWN / span, atol=1e-12)
    typed = dataclasses.replace(view, own_type=0.5)  # next round's shares: today's
    assert math.isfinite(strat.bar(typed)) and strat.accepts(typed, int(np.argmax(OWN)))


def test_the_pruning_keeps_an_outcome_exactly_at_the_lowest_bar():
    """``best_for`` counts an outcome with g_o exactly at a threshold (less the tolerance)
    as meeting it, and the pruning before it must too."""
    from tradetalks.agents.strategies import TOLERANCE

    thresholds = np.array([0.2, 0.5, 0.8])
    rng = np.random.default_rng(0)
    n = PRUNE_ABOVE + 40
    opp = rng.uniform(0.0, 0.15, n)  # below every threshold
    opp[:10] = rng.uniform(0.85, 1.0, 10)  # these meet all, with low gains
    own = rng.uniform(0.0, 0.1, n)
    opp[17], own[17] = thresholds[0] - TOLERANCE, 0.9  # exactly at the lowest bar, best gain
    mask = np.ones(n, dtype=bool)
    picks = best_for(own, opp, thresholds, mask)
    assert picks[0] == 17
    assert best_for(own, opp, float(thresholds[0]), mask) == 17


@pytest.mark.parametrize("history", [(), ("us",), ("china",)])
def test_a_side_asks_to_meet_when_its_offer_gains_and_is_likely_enough_taken(history):
    """``wants_meeting``: the screening offer x_k* gains something and the belief that the
    other side takes it, P(γ_o ≤ γ_k*) = value / G(x_k*), reaches ``pi_min`` (inclusive)."""
    records = [offer(p, X_MID) for p in history]
    view = v2_view(history=records, week=2)
    probe = ScreeningStrategy(sigma0=0.2)
    grid, mu = probe.belief(view)
    x, value = probe.plan(view, grid, mu)
    p_taken = value / float(OWN[x])
    assert 0.05 < p_taken < 0.95 and value > 0
    for pi_min, wants in ((p_taken - 0.01, True), (p_taken, True), (p_taken + 0.01, False)):
        assert ScreeningStrategy(sigma0=0.2, pi_min=pi_min).wants_meeting(view) is wants
    flat = read_only(np.minimum(OWN - OWN.max(), 0.0))  # nothing to gain
    nothing = dataclasses.replace(view, own_gain=flat, own_gain_next=flat)
    assert not ScreeningStrategy(sigma0=0.2, pi_min=0.0).wants_meeting(nothing)


def test_without_a_record_the_belief_is_the_prior_whatever_the_opponents_gains():
    strat = ScreeningStrategy(sigma0=0.2)
    _, prior = strat.prior(v2_view())
    for opp in (OPP, read_only(1.0 - OPP), read_only(np.full_like(OPP, 0.5))):
        view = dataclasses.replace(v2_view(week=5), opponent_gain_public=opp)
        assert np.allclose(ScreeningStrategy(sigma0=0.2).belief(view)[1], prior, atol=1e-15)


def test_types_the_prior_rules_out_stay_ruled_out():
    """σ0 = 0.005 underflows the prior to 0 far from its mean: those types have log μ = −inf,
    so no record or drift gives them mass."""
    strat = ScreeningStrategy(sigma0=0.005, drift=0.5)
    _, mu0 = strat.prior(v2_view())
    out = mu0 == 0
    assert out.sum() >= 2 and (~out).sum() >= 2
    for view in (v2_view(), v2_view(history=[offer("us", X_MID)], week=4)):
        _, mu = strat.belief(view)
        assert np.all(mu[out] == 0) and mu.sum() == pytest.approx(1.0)
