"""Tariff makers (core-v2 §1 E): the logit rule, credibility, audience costs, fixed draws.

Mechanism tests use the baseline's ``[makers]`` coefficients and fail when the coefficient of
the mechanism they test is zeroed (the second half of each pair checks that the effect then
vanishes).  Frequencies come from paired seeds: the same uniforms under both arms.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import replace

import mesa
import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tradetalks.agents.makers import OppMove, TariffMaker, WeekInputs
from tradetalks.sim.config import load_config
from tradetalks.sim.config_calendar import TariffAction
from tradetalks.sim.config_makers import MakerConfig, MakersConfig
from tradetalks.sim.maker_rule import (
    DueInputs,
    EscalationInputs,
    audience_cost,
    p_escalate,
    p_fire,
    pick_int,
    recency,
    threat_size,
)

MAKERS = MakersConfig.model_validate(tomllib.loads(BASELINE.read_text())["makers"])
US, CN = MAKERS.us, MAKERS.china
HIKE = TariffAction(
    date=dt.date(2019, 5, 10), side="us", label="List 3 to 25%", tariff_delta_pp=5.9
)
SIZE = float(threat_size(US, HIKE.tariff_delta_pp))
FRESH = DueInputs(progress=0.5, own_cost=-0.02, age_weeks=1.0)
OLD = replace(FRESH, age_weeks=10.0)
QUIET = EscalationInputs(progress=0.2, own_cost=-0.02)
SEEDS = range(2000)
_MODEL = mesa.Model()


def cfg_with(cfg: MakerConfig, **kw: object) -> MakerConfig:
    """A copy of ``cfg`` with some coefficients changed (validated again)."""
    return MakerConfig.model_validate({**cfg.model_dump(), **kw})


def maker(cfg: MakerConfig, seed: int, side: str = "us") -> TariffMaker:
    return TariffMaker(_MODEL, side, cfg, np.random.default_rng(seed))


def fire_share(cfg: MakerConfig, inp: DueInputs, seeds=SEEDS) -> float:
    """Share of seeds in which the maker fires the due hike."""
    return float(np.mean([maker(cfg, s).decide_due(HIKE, 5, inp).kind == "fire" for s in seeds]))


# --------------------------------------------------------------------------- config
def test_the_baseline_carries_both_makers():
    cfg = load_config(BASELINE)
    assert cfg.makers is not None and cfg.makers.side("china") == CN


def test_a_range_upside_down_is_rejected():
    with pytest.raises(ValidationError, match="escalation_lead_weeks"):
        cfg_with(US, escalation_lead_weeks=[8, 2])


# --------------------------------------------------------------------------- draws (CRN)
@settings(max_examples=25, deadline=None)
@given(
    calls=st.lists(st.integers(0, 4), min_size=1, max_size=12),
    a=st.floats(0.0, 2.0),
    bias=st.floats(-5.0, 5.0),
)
def test_a_fixed_number_of_draws_per_week_whatever_the_decisions(calls, a, bias):
    """Any decisions and any number of due actions a week leave the stream where it would be."""
    plain = maker(US, 11)
    other = maker(cfg_with(US, audience_scale=a, escalate_bias=bias, fire_bias=-bias), 11)
    weeks = range(1, len(calls) + 1)
    for week, n_due in zip(weeks, calls, strict=True):
        plain.decide_week(week, WeekInputs(progress=0.0, own_cost=0.0))
        for _ in range(n_due):
            other.decide_due(HIKE, week, FRESH)
        if week % 2:
            other.decide_week(week, WeekInputs(progress=1.0, own_cost=-1.0, n_pending=1))
    plain.draws.take(len(calls) + 1)
    other.draws.take(len(calls) + 1)
    assert plain.draws.rng.bit_generator.state == other.draws.rng.bit_generator.state


def test_more_due_actions_than_slots_is_an_error():
    m = maker(cfg_with(US, max_due_per_week=1), 0)
    m.decide_due(HIKE, 3, FRESH)
    with pytest.raises(ValueError, match="max_due_per_week"):
        m.decide_due(HIKE, 3, FRESH)
    m.decide_due(HIKE, 4, FRESH)  # a new week, new slots


# --------------------------------------------------------------------------- credibility
def test_p_fire_is_the_makers_own_firing_probability():
    """The decision reports p_fire's value, and the maker fires with that frequency."""
    assert maker(US, 0).decide_due(HIKE, 5, FRESH).p_act == p_fire(US, SIZE, FRESH)
    inp = DueInputs(progress=0.8, own_cost=-0.05, age_weeks=6.0)
    p = float(p_fire(US, SIZE, inp))
    assert 0.05 < p < 0.95  # an informative case
    share = fire_share(US, inp, range(4000))
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / 4000)


def test_p_fire_scores_many_actions_at_once():
    sizes = np.array([1.0, SIZE, 10.0])
    ages = np.array([1.0, 4.0, 20.0])
    many = p_fire(US, sizes, replace(FRESH, age_weeks=ages))
    one = [p_fire(US, s, replace(FRESH, age_weeks=a)) for s, a in zip(sizes, ages, strict=True)]
    assert np.allclose(many, one)


def test_an_action_that_cannot_be_postponed_fires():
    fixed = HIKE.model_copy(update={"postponable": False})
    cfg = cfg_with(US, fire_bias=-10.0)
    assert all(maker(cfg, s).decide_due(fixed, 2, OLD).kind == "fire" for s in range(50))


# --------------------------------------------------------------------------- audience costs
def test_raising_audience_scale_raises_firing_and_lowers_postponing():
    low, high = cfg_with(US, audience_scale=0.02), cfg_with(US, audience_scale=0.3)
    assert p_fire(high, SIZE, OLD) > p_fire(low, SIZE, OLD)
    fire_low, fire_high = fire_share(low, OLD), fire_share(high, OLD)
    assert fire_high > fire_low + 0.1  # P(postpone) = 1 − P(fire) falls by as much


def test_an_old_threat_is_postponed_more_often_than_a_fresh_one():
    assert fire_share(US, OLD) < fire_share(US, FRESH) - 0.1


def test_backing_down_pays_the_audience_cost_once_as_a_lump():
    cfg = cfg_with(US, fire_bias=-10.0, indefinite_share=0.0)
    m = maker(cfg, 3)
    d = m.decide_due(HIKE, 7, OLD)
    assert d.kind == "postpone" and d.postpone_weeks in range(2, 10)
    assert d.audience_cost == pytest.approx(float(audience_cost(cfg, SIZE, OLD.age_weeks)))
    assert m.audience_paid == [
        {
            "week": 7,
            "side": "us",
            "label": HIKE.label,
            "cost": d.audience_cost,
            "size_pp": SIZE,
            "age_weeks": 10.0,
        }
    ]
    assert d.event() == {"week": 7, "side": "us", "kind": "postponement", "label": HIKE.label}
    fired = maker(cfg_with(US, fire_bias=10.0), 3)
    assert fired.decide_due(HIKE, 7, OLD).event()["kind"] == "fired"
    assert fired.audience_paid == []


def test_an_indefinite_postponement_has_no_new_date():
    cfg = cfg_with(US, fire_bias=-10.0, indefinite_share=1.0)
    assert maker(cfg, 1).decide_due(HIKE, 2, FRESH).postpone_weeks is None


# --------------------------------------------------------------------------- escalation
def china_answers(cfg: MakerConfig, seeds=range(400)) -> float:
    """Share of seeds in which China answers a 4pp US hike that fired in week 10."""
    move = OppMove(week=10, size_pp=4.0)
    answered = 0
    for s in seeds:
        m = maker(cfg, s, "china")
        for week in range(10, 10 + cfg.retaliate_window_weeks + 1):
            out = m.decide_week(week, WeekInputs(progress=0.2, own_cost=-0.02, opp_fired=move))
            if out:
                answered += out[0].kind == "retaliate"
                break
    return answered / len(seeds)


def test_china_retaliates_when_not_answering_is_costly_and_rarely_otherwise():
    assert china_answers(CN) > 0.9
    assert china_answers(cfg_with(CN, noreply_cost=0.0)) < 0.2


def test_an_escalation_is_answered_once():
    cfg = cfg_with(CN, noreply_cost=5.0, escalate_bias=-10.0, reaction_weight=0.0)
    m = maker(cfg, 0, "china")
    inp = WeekInputs(progress=0.0, own_cost=0.0, opp_fired=OppMove(4, 3.0))
    (d,) = m.decide_week(4, inp)
    assert d.kind == "retaliate" and d.event()["kind"] == "retaliation"
    assert d.lead_weeks in range(1, 4) and 1.0 <= d.tariff_pp <= 3.0 and d.fire_week > 4
    assert all(m.decide_week(w, inp) == [] for w in range(5, 8))


def test_new_actions_take_sizes_and_lead_times_from_config():
    cfg = cfg_with(US, escalate_bias=10.0)
    for s in range(100):
        (d,) = maker(cfg, s).decide_week(1, WeekInputs(progress=0.0, own_cost=0.0))
        assert d.kind == "escalate" and 1 <= d.lead_weeks <= 16
        assert 2.5 <= d.tariff_pp <= 6.0 and d.soy_pp == 0.0
        assert d.event()["kind"] == "escalation"


def test_a_deal_or_a_full_pipeline_stops_new_actions():
    cfg = cfg_with(US, escalate_bias=10.0)
    m = maker(cfg, 0)
    m.bind()
    assert m.decide_week(1, WeekInputs(progress=0.0, own_cost=0.0)) == []
    m.unbind()
    full = WeekInputs(progress=0.0, own_cost=0.0, n_pending=cfg.max_pending)
    assert m.decide_week(2, full) == []
    assert len(m.decide_week(3, replace(full, n_pending=0))) == 1


# --------------------------------------------------------------------------- mechanisms
def _due(cfg, **kw):
    return float(p_fire(cfg, SIZE, replace(FRESH, **kw)))


def _esc(cfg, **kw):
    return float(p_escalate(cfg, replace(QUIET, **kw)))


# (coefficient, its maker, P with the mechanism's input on, P with it off): on > off
MECHANISMS = {
    "audience_scale": (US, lambda c: _due(c, age_weeks=1.0), lambda c: _due(c, age_weeks=30.0)),
    "progress_weight_fire": (US, lambda c: _due(c, progress=0.0), lambda c: _due(c, progress=1.0)),
    "cost_weight": (US, lambda c: _due(c, own_cost=0.0), lambda c: _due(c, own_cost=-0.3)),
    "reaction_weight": (
        US,
        lambda c: _due(c, weeks_since_opp_escalation=0.0),
        lambda c: _due(c),
    ),
    "reciprocity_weight": (US, lambda c: _due(c), lambda c: _due(c, weeks_since_opp_gesture=0.0)),
    "progress_weight_escalate": (
        US,
        lambda c: _esc(c, progress=0.0),
        lambda c: _esc(c, progress=1.0),
    ),
    "noreply_cost": (CN, lambda c: _esc(c, unanswered_pp=4.0), lambda c: _esc(c)),
}


@pytest.mark.parametrize("name", sorted(MECHANISMS))
def test_each_mechanism_moves_the_decision_and_vanishes_when_zeroed(name):
    cfg, on, off = MECHANISMS[name]
    assert on(cfg) > off(cfg) + 0.01  # the baseline's coefficient acts
    zeroed = cfg_with(cfg, **{name: 0.0})
    assert on(zeroed) == pytest.approx(off(zeroed), abs=1e-12)


# the escalation decision reads the same cost and reply terms as the due decision
ESCALATION = {
    "cost_weight": (lambda c: _esc(c, own_cost=0.0), lambda c: _esc(c, own_cost=-0.3)),
    "reaction_weight": (lambda c: _esc(c, weeks_since_opp_escalation=0.0), lambda c: _esc(c)),
    "reciprocity_weight": (lambda c: _esc(c), lambda c: _esc(c, weeks_since_opp_gesture=0.0)),
}


@pytest.mark.parametrize("name", sorted(ESCALATION))
def test_escalation_reads_its_cost_and_the_opponents_last_moves(name):
    """A cheaper escalation, a recent escalation by the other side and no recent gesture from
    it each make a new action likelier, and stop mattering when the coefficient is 0."""
    on, off = ESCALATION[name]
    assert on(US) > off(US) + 1e-3
    zeroed = cfg_with(US, **{name: 0.0})
    assert on(zeroed) == pytest.approx(off(zeroed), abs=1e-12)


def test_sizes_recency_and_certain_actions_are_as_stated():
    """S = |tariff pp| + w_soy·|soy pp|; recency is 1 for a move this week (or a date in the
    future) and 0 for none; an action that cannot be postponed fires with probability 1."""
    w = US.soy_size_weight
    assert w > 0
    assert threat_size(US, -5.0, 10.0) == pytest.approx(5.0 + w * 10.0)
    assert threat_size(US, 5.0) == pytest.approx(5.0)
    assert recency(0.0, 4.0) == 1.0 and recency(-3.0, 4.0) == 1.0
    assert recency(math.inf, 4.0) == 0.0 and recency(4.0, 4.0) == pytest.approx(math.exp(-1))
    assert p_fire(cfg_with(US, fire_bias=-10.0), SIZE, FRESH, postponable=False) == 1.0


# --------------------------------------------------------------------------- invariants
weeks = st.one_of(st.floats(0.0, 520.0), st.just(math.inf))
due_inputs = st.builds(
    DueInputs,
    progress=st.floats(0.0, 1.0),
    own_cost=st.floats(-10.0, 10.0),
    age_weeks=st.floats(0.0, 520.0),
    weeks_since_opp_escalation=weeks,
    weeks_since_opp_gesture=weeks,
)
esc_inputs = st.builds(
    EscalationInputs,
    progress=st.floats(0.0, 1.0),
    own_cost=st.floats(-10.0, 10.0),
    weeks_since_opp_escalation=weeks,
    weeks_since_opp_gesture=weeks,
    unanswered_pp=st.floats(0.0, 100.0),
)
coefficients = st.fixed_dictionaries(
    {
        "logit_scale": st.floats(1e-3, 10.0),
        "fire_bias": st.floats(-10.0, 10.0),
        "audience_scale": st.floats(0.0, 10.0),
        "noreply_cost": st.floats(0.0, 10.0),
    }
)


@settings(max_examples=200, deadline=None)
@given(coef=coefficients, inp=due_inputs, esc=esc_inputs, size=st.floats(0.0, 100.0))
def test_probabilities_are_probabilities(coef, inp, esc, size):
    cfg = cfg_with(US, **coef)
    assert 0.0 <= p_fire(cfg, size, inp) <= 1.0
    assert 0.0 <= p_escalate(cfg, esc) <= 1.0


@settings(max_examples=200, deadline=None)
@given(
    inp=due_inputs,
    a=st.floats(0.0, 5.0),
    da=st.floats(0.0, 5.0),
    dage=st.floats(0.0, 50.0),
    dprog=st.floats(0.0, 1.0),
)
def test_firing_is_monotone_in_audience_cost_age_and_progress(inp, a, da, dage, dprog):
    cfg, more = cfg_with(US, audience_scale=a), cfg_with(US, audience_scale=a + da)
    assert p_fire(more, SIZE, inp) >= p_fire(cfg, SIZE, inp)
    older = replace(inp, age_weeks=inp.age_weeks + dage)
    assert p_fire(cfg, SIZE, older) <= p_fire(cfg, SIZE, inp)
    further = replace(inp, progress=min(1.0, inp.progress + dprog))
    assert p_fire(cfg, SIZE, further) <= p_fire(cfg, SIZE, inp)


@settings(max_examples=200, deadline=None)
@given(esc=esc_inputs, extra=st.floats(0.0, 50.0))
def test_retaliation_is_monotone_in_what_is_owed(esc, extra):
    more = replace(esc, unanswered_pp=esc.unanswered_pp + extra)
    assert p_escalate(CN, more) >= p_escalate(CN, esc)


# ---------------------------------------------------------------- targeted retaliation (issue 12)
def _targeting_maker(farm_bias: float, election_weight: float = 0.2):
    from tradetalks.agents.makers import TariffMaker
    from tradetalks.sim.config import load_config
    from tradetalks.sim.shipped import locate

    cfg = load_config(locate("scenarios/targeted_retaliation")).makers.china
    t = cfg.targeting.model_copy(
        update={"farm_bias": farm_bias, "election_weight": election_weight}
    )
    maker = TariffMaker.__new__(TariffMaker)  # the rule only: no model, no stream
    maker.cfg = cfg.model_copy(update={"targeting": t})
    return maker


@given(u=st.floats(0.0, 0.999999), weeks=st.floats(0.0, 200.0))
def test_a_target_is_drawn_from_the_same_uniform_as_the_soybean_size(u, weeks):
    from tradetalks.agents.makers import WeekInputs

    maker = _targeting_maker(-0.05)
    soy = [0.0, 5.0]
    inputs = WeekInputs(progress=0.0, own_cost=0.0, weeks_to_opp_election=weeks)
    target, soy_pp = maker._target(inputs, soy, u)
    p = maker.p_farm_target(inputs)
    assert target == ("farm" if u < p else "other")
    assert (soy_pp > 0) == (target == "farm" and u > 0)
    assert 0.0 <= soy_pp <= soy[1]
    # without targeting the size comes from the same uniform as before
    untargeted = maker.cfg.model_copy(update={"targeting": None})
    maker.cfg = untargeted
    assert maker._target(inputs, soy, u) == (None, soy[0] + u * (soy[1] - soy[0]))


def test_farm_goods_are_targeted_more_as_the_election_nears():
    from tradetalks.agents.makers import WeekInputs

    maker = _targeting_maker(-0.05)
    near = maker.p_farm_target(WeekInputs(0.0, 0.0, weeks_to_opp_election=1.0))
    far = maker.p_farm_target(WeekInputs(0.0, 0.0, weeks_to_opp_election=100.0))
    none = maker.p_farm_target(WeekInputs(0.0, 0.0))
    assert near > far > none
    flat = _targeting_maker(-0.05, election_weight=0.0)
    assert flat.p_farm_target(WeekInputs(0.0, 0.0, weeks_to_opp_election=1.0)) == none


def test_farm_targets_hit_soybean_exports_and_no_targeting_changes_nothing():
    """The farm chain feels the products hit: with China's actions all on farm goods, US
    soybean exports end lower than with all on other goods; without targeting runs are as
    in the baseline."""
    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.shipped import baseline, locate

    scen = locate("scenarios/targeted_retaliation")
    # China announces often, and no talks end its actions before they fire
    loud = {"makers.china.escalate_bias": 0.3, "run.weeks": 30, "calendar.meetings.enabled": False}

    def exports(bias: float) -> float:
        total = 0.0
        for seed in (1, 2, 3):
            over = {**loud, "makers.china.targeting.farm_bias": bias}
            m = TradeTalksModel(scen, rng=seed, overrides=over, collect_series=False)
            m.run()
            total += m.world.state.soybean_exports_bn
            targets = {d.target for d in m.tariffs.makers["china"].decisions if d.target}
            assert targets <= {"farm" if bias > 0 else "other"}
        return total

    assert exports(5.0) < exports(-5.0)
    base = TradeTalksModel(baseline(), rng=1, collect_series=False).run()
    off = TradeTalksModel(
        scen, rng=1, overrides={"makers.china.targeting": None}, collect_series=False
    ).run()
    assert off == base


@settings(max_examples=40, deadline=None)
@given(lo=st.integers(-20, 20), width=st.integers(0, 12))
def test_a_drawn_integer_is_uniform_on_its_closed_range(lo, width):
    """Lead times and postponements: one uniform u in [0, 1) gives each integer of [lo, hi]
    on an equal share of u (the cell of u it falls in), the last one up to u → 1."""
    hi = lo + width
    n = width + 1
    cells = (np.arange(n * 7) + 0.5) / (n * 7)  # seven points inside each cell
    got = np.array([pick_int([lo, hi], float(u)) for u in cells])
    assert np.array_equal(np.bincount(got - lo, minlength=n), np.full(n, 7))
    assert pick_int([lo, hi], 0.0) == lo and pick_int([lo, hi], math.nextafter(1.0, 0)) == hi
