"""The projector's paths event by event (sim/projector_paths.py), each against the world's
own rule or its formula written out: a tariff action on a path's scalar state is
``World.escalate``; a deal's terms, the events' effects on uncertainty and the talks signal,
and the consequences the teams value."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from test_projector import SNAP, snapshot
from tradetalks.sim import projector_paths as pp
from tradetalks.sim.config import load_config
from tradetalks.sim.dynamics import deal_terms
from tradetalks.sim.projector import Projector
from tradetalks.sim.spaces import outcome_space
from tradetalks.sim.start import initial_world

BASE = load_config(BASELINE)
CEILING = BASE.world.trade.tariff_ceiling
pps = st.floats(-40.0, 40.0)


@settings(max_examples=60, deadline=None)
@given(
    side=st.sampled_from(["us", "china"]),
    tariff=pps,
    soy=pps,
    start=st.tuples(st.floats(0.0, 60.0), st.floats(0.0, 60.0), st.floats(0.0, 60.0)),
    threat=st.floats(0.0, 30.0),
    fired=st.tuples(st.floats(0.0, 30.0), st.floats(0.0, 30.0), st.floats(0.0, 30.0)),
)
def test_an_action_on_a_path_is_the_worlds_escalation(side, tariff, soy, start, threat, fired):
    """Tariffs clipped to [0, ceiling], the firing side's threat spent by the pp it fires
    (never below 0), and the pp fired counted per side: the same as ``World.escalate``."""
    world = initial_world(BASE)
    w = world.state
    w.us_tariff_avg, w.cn_tariff_avg, w.soy_tariff = start
    w.us_threat_pp = w.cn_threat_pp = threat
    world.fired.update(zip(("us", "china", "china_soy"), fired, strict=True))
    s = {
        "us_tariff_avg": start[0], "cn_tariff_avg": start[1], "soy_tariff": start[2],
        "us_threat_pp": threat, "cn_threat_pp": threat,
        "fired_us": fired[0], "fired_china": fired[1], "fired_china_soy": fired[2],
    }  # fmt: skip
    pp._escalate(s, side, tariff, soy, CEILING)
    world.escalate(side, tariff, soy)
    assert s["us_tariff_avg"] == w.us_tariff_avg and s["cn_tariff_avg"] == w.cn_tariff_avg
    assert s["soy_tariff"] == w.soy_tariff
    assert s["us_threat_pp"] == w.us_threat_pp and s["cn_threat_pp"] == w.cn_threat_pp
    for key in ("us", "china", "china_soy"):
        assert s[f"fired_{key}"] == pytest.approx(world.fired[key], abs=1e-12)


def _ctx(cfg=BASE, snap=SNAP, gap: int = 4) -> pp.Context:
    return Projector(cfg, outcome_space(cfg))._context(snap, gap)


def test_a_deal_on_a_path_puts_its_terms_in_force():
    """``deal_terms`` on the path's state with the pp fired so far and the retaliation's
    persistence; a purchase commitment dated at the deal's week; the Huawei status; the
    manipulator label lifted from a lift of 1."""
    seen = []

    def terms(s, q, fired, trade, soybeans, persistence):
        seen.append((dict(fired), persistence))
        return deal_terms(s, q, fired, trade, soybeans, persistence)

    ctx = _ctx()
    ctx.terms = terms
    s = pp._start_state(ctx)
    s.update(fired_us=3.0, fired_china=2.0, fired_china_soy=1.0, manipulator=1.0)
    q = {"ag_extra_bn": 40.0, "huawei_status": 0.75, "lift_label": 1.0}
    spec = pp.PathSpec(deal_week=5, quantities=q, any_deal=True)
    rolled = pp._apply_deal(s, spec, ctx, 5)
    assert seen == [
        ({"us": 3.0, "china": 2.0, "china_soy": 1.0}, BASE.irreversibility.retaliation_persistence)
    ]
    assert (s["ag_commitment_bn"], s["ag_commitment_week"]) == (40.0, ctx.week + 5)
    assert s["huawei_status"] == 0.75 and s["manipulator"] == 0.0
    assert {"us", "china"} <= set(rolled)
    kept = pp._start_state(ctx)
    kept["manipulator"] = 1.0
    pp._apply_deal(kept, pp.PathSpec(deal_week=2, quantities={"lift_label": 0.5}), ctx, 2)
    assert (
        kept["manipulator"] == 1.0
        and kept["huawei_status"] == pp._start_state(ctx)["huawei_status"]
    )
    no_irr = load_config(BASELINE).model_copy(update={"irreversibility": None})
    ctx2 = _ctx(no_irr)
    ctx2.terms = terms
    pp._apply_deal(pp._start_state(ctx2), spec, ctx2, 5)
    assert seen[-1][1] == 0.0  # without irreversibility, no persistence


def test_events_move_uncertainty_and_the_talks_signal_in_their_week():
    """A deal in week k multiplies that week's uncertainty by 1 − relief and adds the deal's
    talks signal; an action firing adds the escalation jump and its signal (a deal and an
    action in the same week add up); a remedial tariff unravels the deal from its week."""
    snap = snapshot(p_fire=1.0)
    ctx = _ctx(snap=snap)
    a = next(j for j, x in enumerate(ctx.actions) if x.weeks_ahead > 1)
    week = ctx.actions[a].weeks_ahead
    g, u = BASE.world.gestures, BASE.world.uncertainty
    specs = [
        pp.PathSpec(),
        pp.PathSpec(frozenset({a})),
        pp.PathSpec(deal_week=week, any_deal=True),
        pp.PathSpec(frozenset({a}), deal_week=week - 1, any_deal=True, quantities={}),
        pp.PathSpec(unravel=(week + 3, 7.5), deal_week=1, any_deal=True),
    ]
    ev = pp.event_arrays(specs, ctx)
    assert not ev["unc_add"][0].any() and not ev["talks_add"][0].any()
    assert np.all(ev["unc_mult"][0] == 1.0)
    assert ev["unc_add"][1, week] == u.escalation_jump
    assert ev["talks_add"][1, week] == g.talks_signal_escalation
    assert ev["unc_mult"][2, week] == pytest.approx(1.0 - u.deal_relief)
    assert ev["talks_add"][2, week] == g.talks_signal_deal
    assert ev["deal"][2, week] == 1.0 and ev["deal"][2, week - 1] == 0.0
    assert ev["deal_week"].tolist() == [-1, -1, week, week - 1, 1]
    # the deal does not cancel this action (no terms): it fires after the deal
    assert ev["talks_add"][3, week - 1] == g.talks_signal_deal
    assert ev["unc_add"][3, week] == u.escalation_jump
    # the remedial tariff: the deal ends, the US tariff rises by its pp, a jump and a signal
    k = week + 3
    assert ev["deal"][4, k - 1] == 1.0 and ev["deal"][4, k] == 0.0
    assert ev["us_tau"][4, k] - ev["us_tau"][4, k - 1] == pytest.approx(7.5)
    assert ev["unc_add"][4, k] == u.escalation_jump
    assert ev["talks_add"][4, k] == g.talks_signal_escalation
    both = pp.event_arrays([pp.PathSpec(frozenset({a}), deal_week=week, any_deal=True)], ctx)
    assert both["talks_add"][0, week] == pytest.approx(
        g.talks_signal_deal + g.talks_signal_escalation
    )


def test_the_consequences_the_teams_value_are_their_formulas():
    ctx = _ctx()
    sim = pp.simulate([pp.PathSpec(), pp.PathSpec(deal_week=2, any_deal=True)], ctx, 10)
    c = pp.consequences(sim, BASE)
    t, g = BASE.world.trade, BASE.world.growth
    np.testing.assert_allclose(
        c["importer_cost_bn"], (sim["us_tau"] - t.us_tariff_base) / 100 * sim["us_imports"]
    )
    np.testing.assert_allclose(c["us_export_loss_bn"], t.cn_imports_base_bn - sim["cn_imports"])
    np.testing.assert_allclose(c["export_loss_bn"], t.us_imports_base_bn - sim["us_imports"])
    np.testing.assert_allclose(c["us_growth_gap_pp"], g.us_potential - sim["us_growth"])
    np.testing.assert_allclose(c["cn_growth_gap_pp"], g.cn_potential - sim["cn_growth"])
    np.testing.assert_array_equal(c["uncertainty"], sim["uncertainty"])
    np.testing.assert_array_equal(c["manipulator_label"], sim["manip"])
    np.testing.assert_allclose(c["huawei_restriction"], 1.0 - sim["huawei"])
    assert np.any(c["huawei_restriction"] != 0) or np.any(c["importer_cost_bn"] != 0)


def test_goodwill_purchases_decay_on_every_path_and_add_to_exports():
    """Goodwill purchases in the snapshot add G·(1 − decay)^k to week k's soybean exports
    (the world's rule: decayed each week before the exports are counted)."""
    ctx = _ctx()
    specs = [pp.PathSpec(), pp.PathSpec(deal_week=2, any_deal=True)]
    ev = pp.event_arrays(specs, ctx)
    plain = pp._markets(ev, ctx)
    ctx.state = {**ctx.state, "goodwill_purchases_bn": 3.0}
    gift = pp._markets(ev, ctx)
    decay = BASE.world.soybeans.goodwill_decay
    assert 0 < decay < 1
    k = np.arange(1, ev["us_tau"].shape[1])
    for row in gift["soy_exports"][:, 1:] - plain["soy_exports"][:, 1:]:
        np.testing.assert_allclose(row, 3.0 * (1 - decay) ** k)


def test_aid_that_follows_the_retaliation_pays_the_share_still_standing():
    """Each tranche × clip((soybean tariff − MFN)/retaliation pp, 0, 1) on the path, paid in
    its week and cumulated from the farms' aid so far; without soybean tariffs per path, every
    tranche in full."""
    ctx = _ctx()
    ctx.aid_weeks = np.zeros_like(ctx.aid_weeks)
    ctx.aid_weeks[[1, 3]] = (2.0, 1.0)
    mfn = BASE.world.soybeans.soy_tariff_mfn
    ref = BASE.farm_politics.aid_follows_retaliation_pp
    assert ref
    weeks = 6
    soy = np.array([[mfn + ref] * 8, [mfn + ref / 2] * 8, [mfn] * 8], dtype=float)
    got = pp.paid_aid(soy, ctx, weeks)
    share = np.clip((soy[:, :weeks] - mfn) / ref, 0.0, 1.0)
    due = ctx.aid_weeks[:weeks] * share
    want = ctx.farm.soy_aid_bn + np.concatenate([np.zeros((3, 1)), np.cumsum(due, axis=1)], axis=1)
    np.testing.assert_allclose(got, want)
    assert got[0, -1] - ctx.farm.soy_aid_bn == pytest.approx(3.0)
    assert got[1, -1] - ctx.farm.soy_aid_bn == pytest.approx(1.5)
    assert got[2, -1] == ctx.farm.soy_aid_bn
    full = pp.paid_aid(None, ctx, weeks)
    assert full[-1] - ctx.farm.soy_aid_bn == pytest.approx(3.0)


def test_soybean_exports_on_a_path_follow_the_tariff_the_lost_market_and_commitments():
    """Market exports at each step read last week's soybean tariff and the share of the
    market kept, which shrinks by the hysteresis rate in every week the tariff stands above
    MFN (not at MFN); a commitment adds its purchases on the ramp from the week it was
    signed (no goodwill, no delivery rule in the baseline)."""
    from tradetalks.sim import dynamics as dyn

    ctx = _ctx()
    s, rate = BASE.world.soybeans, BASE.irreversibility.soy_hysteresis
    assert rate > 0 and BASE.implementation is None
    ctx.state = {**ctx.state, "goodwill_purchases_bn": 0.0, "soy_market_lost": 0.1}
    ev = pp.event_arrays([pp.PathSpec(), pp.PathSpec(deal_week=3, any_deal=True)], ctx)
    width = ev["soy_tau"].shape[1]
    ev["soy_tau"][0] = s.soy_tariff_mfn + 25.0
    ev["soy_tau"][1] = s.soy_tariff_mfn  # at MFN: nothing more lost
    ev["commit"][1, 5:], ev["cweek"][1, 5:] = 30.0, ctx.week + 5
    got = pp._markets(ev, ctx)["soy_exports"]
    k = np.arange(1, width)
    tau = ev["soy_tau"][:, :-1]
    kept = 0.9 * np.cumprod(1.0 - rate * (tau > s.soy_tariff_mfn), axis=1)
    market = dyn.soy_market_exports(tau, 1.0 - kept, s)
    since = ctx.week + k - ev["cweek"][1, :-1]
    bought = np.where(
        ev["commit"][1, :-1] > 0,
        dyn.committed_soy_bn(ev["commit"][1, :-1], dyn.purchase_ramp(since, s), s),
        0.0,
    )
    np.testing.assert_allclose(got[0, 1:], market[0])
    np.testing.assert_allclose(got[1, 1:], market[1] + bought)
    assert bought[6] > 0 and bought[4] == 0  # step 6 reads week 5's commitment


def test_the_farm_chain_reads_the_aid_each_paths_retaliation_leaves_standing():
    """With aid following the retaliation, a path whose deal waives China's soybean tariff
    pays less aid, so the farms' approval on it is stepped with that path's aid."""
    ctx = _ctx()
    cn_levels = BASE.issues["cn_tariffs"]
    waive = cn_levels.levels.index("waive farm tariffs")
    q = {k: float(v[waive]) for k, v in cn_levels.quantities.items()}
    specs = [pp.PathSpec(), pp.PathSpec(deal_week=1, quantities=q, any_deal=True)]
    sim = pp.simulate(specs, ctx, 30)
    assert sim["soy_tau"][1, 5] < sim["soy_tau"][0, 5]
    per_path, _ = pp.farm_approval(sim["price"], sim["talks_add"], ctx, 30, sim["soy_tau"])
    flat, _ = pp.farm_approval(sim["price"], sim["talks_add"], ctx, 30, None)
    np.testing.assert_array_equal(sim["approval"], per_path)
    assert not np.array_equal(per_path, flat)


def test_the_farm_targets_read_last_weeks_talks_signal_decayed_once_more():
    """Each step's approval target reads the talks signal after last week's events, decayed
    at the step's start: approval_target(leaning, welfare, (1 − decay)·talks, f)."""
    from tradetalks.sim import dynamics as dyn

    ctx = _ctx()
    f, farm = BASE.world.farmers, ctx.farm
    w = 8
    ratio = np.full((3, w), 0.9)
    ratio[2, 1] = 0.7  # path 2 is path 0 but for the first step's price: its own targets
    talks_add = np.zeros((3, w))
    talks_add[1, 2] = 0.5
    aid = pp.paid_aid(None, ctx, w - 1)
    got = pp._approval_targets(ratio, talks_add, aid, ctx)
    talks = (1 - f.talks_signal_decay) * pp._talks_after(talks_add[:, : w - 1], ctx)
    share = dyn.aid_income_share(aid[1:, None, None], farm.soy_share, f, farm.soy_mean)
    welfare = dyn.farm_welfare(farm.soy_share, ratio[:, 1:].T[:, :, None], share)
    want = dyn.approval_target(farm.leaning, welfare, talks[:, :, None], f)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(got[:, 0], got[:, 1])  # the two paths' signals differ
    assert not np.allclose(got[0, 0], got[0, 2]) and np.array_equal(got[1:, 0], got[1:, 2])


def _stimulus_by_hand(x: np.ndarray, cfg, week: int, rrr0: float, y0: float):
    """``_stimulus`` written out path by path and week by week from its docstring."""
    c, g = cfg.world.pboc, cfg.world.growth
    steps, n = x.shape
    out, path = np.empty((steps, n)), np.empty((n, steps + 1))
    for p in range(n):
        rrr, y = rrr0, y0
        path[p, 0] = rrr
        for k in range(1, steps + 1):
            for cut in cfg.calendar.rrr_cuts:
                known = cut.announced is None or cfg.week_of(cut.announced) <= max(week, 1)
                if known and cfg.week_of(cut.date) - week == k:
                    rrr = max(0.0, rrr - cut.cut_pp * cut.coverage)
            target = x[k - 1, p] + g.cn_rrr_effect * (rrr0 - rrr)
            y = g.adjustment * target + (1 - g.adjustment) * y
            if any(cfg.week_of(d) - week == k for d in cfg.calendar.pboc_meetings):
                short = (g.cn_potential - y) / g.shortfall_scale
                if short >= c.rrr_trigger_shortfall and rrr - c.rrr_cut >= c.rrr_floor:
                    rrr -= c.rrr_cut
            out[k - 1, p], path[p, k] = y, rrr
    return out, path


def _pboc_cfg(cuts=(), meetings=(), growth=None, **pboc):
    from test_stimulus import ON

    cal = ON.calendar.model_copy(update={"rrr_cuts": list(cuts), "pboc_meetings": list(meetings)})
    world = ON.world.model_copy(
        update={
            "pboc": ON.world.pboc.model_copy(update=pboc),
            "growth": ON.world.growth.model_copy(update=growth or {}),
        }
    )
    return ON.model_copy(update={"calendar": cal, "world": world})


def _on_week(cfg, week: int):
    import datetime as dt

    date = cfg.run.start_date + dt.timedelta(weeks=week - 1)
    assert cfg.week_of(date) == week
    return date


STEPS = 10


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.floats(4.0, 7.0), min_size=2 * STEPS, max_size=2 * STEPS),
    cut_pp=st.sampled_from([0.5, 3.0, 5.0]),
    pile=st.integers(1, 4),  # cuts in the first week: four of 5 pp take 13.5 below 0
    late=st.booleans(),
)
def test_dated_cuts_enter_inside_the_window_once_announced(x, cut_pp, pile, late):
    """Dated cuts at the snapshot's week (already in its RRR), its first and last projected
    weeks and one week past the window: only those inside enter, once announced by the
    snapshot's week (announced that very week counts), the RRR never below 0; a meeting's
    cut as the rule says."""
    from test_stimulus import SNAP as PSNAP
    from tradetalks.sim.config_calendar import RrrCut

    week = PSNAP.week
    base = _pboc_cfg()
    cuts = []
    for k in (0, *[1] * pile, STEPS, STEPS + 1):
        announced = _on_week(base, week + 1) if late and k == STEPS else _on_week(base, week)
        cuts.append(RrrCut(date=_on_week(base, week + k), cut_pp=cut_pp, announced=announced))
    meetings = [_on_week(base, week + 3), _on_week(base, week + 6)]
    cfg = _pboc_cfg(cuts, meetings)
    ctx = Projector(cfg, outcome_space(cfg))._context(PSNAP, 4)
    arr = np.array(x).reshape(STEPS, 2)
    got = pp._stimulus(arr, ctx)
    want = _stimulus_by_hand(arr, cfg, week, float(ctx.state["rrr"]), float(ctx.state["cn_growth"]))
    np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=1e-12)
    first = want[1][:, 1]
    rrr0 = float(ctx.state["rrr"])
    after = rrr0
    for _ in range(pile):
        after = max(0.0, after - cut_pp)
    assert np.all(first == after)  # week 1's cuts only, never below 0
    assert (after == 0.0) == (pile * cut_pp > rrr0)


def test_a_meeting_cuts_at_the_trigger_exactly_and_never_below_the_floor():
    """Growth following its target at once (adjustment 1, no RRR effect): a shortfall equal
    to the trigger cuts, one a hair below does not; a cut that would end exactly on the floor
    is made, the next one is not."""
    from test_stimulus import SNAP as PSNAP

    week, base = PSNAP.week, _pboc_cfg()
    growth = {"adjustment": 1.0, "cn_rrr_effect": 0.0, "cn_potential": 6.0, "shortfall_scale": 1.0}
    rrr0 = float(PSNAP.state["rrr"])
    cfg = _pboc_cfg(
        meetings=[_on_week(base, week + 2), _on_week(base, week + 4)],
        growth=growth,
        rrr_trigger_shortfall=0.5,
        rrr_cut=0.5,
        rrr_floor=rrr0 - 0.5,
    )
    ctx = Projector(cfg, outcome_space(cfg))._context(PSNAP, 4)
    x = np.tile([5.5, np.nextafter(5.5, 6.0)], (6, 1))  # shortfall 0.5 exactly, and a hair less
    _, rrr = pp._stimulus(x, ctx)
    assert rrr[0, 2] == rrr0 - 0.5 and rrr[1, 2] == rrr0  # cut at the trigger, not below it
    assert rrr[0, 4] == rrr0 - 0.5  # the floor: no second cut
    want = _stimulus_by_hand(x, cfg, week, rrr0, float(ctx.state["cn_growth"]))[1]
    np.testing.assert_array_equal(rrr, want)


@pytest.mark.parametrize("relations", [0.0, 0.06])
def test_the_delivery_rule_on_a_path_reads_the_price_before_purchases_goodwill_included(
    relations,
):
    """With an implementation section the share delivered is ``fulfilment_rate`` of the
    price of market exports plus goodwill purchases (before the committed ones), last week's
    tariff burden and, with a relations weight, the talks signal after last week's events; a
    commitment below $1bn still buys; week 0 is the snapshot's own state."""
    from tradetalks.sim import dynamics as dyn
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    cfg = resolve_config(locate("scenarios/implementation"))
    imp = cfg.implementation.model_copy(update={"relations_weight": relations})
    cfg = cfg.model_copy(update={"implementation": imp})
    ctx = Projector(cfg, outcome_space(cfg))._context(snapshot(cfg), 4)
    ctx.state = {**ctx.state, "goodwill_purchases_bn": 2.0}
    w, s = cfg.world, cfg.world.soybeans
    ev = pp.event_arrays([pp.PathSpec(), pp.PathSpec(deal_week=3, any_deal=True)], ctx)
    ev["commit"][1, 3:], ev["cweek"][1, 3:] = 0.5, ctx.week + 3
    ev["talks_add"][1, 2] = 0.5
    got = pp._markets(ev, ctx)
    width = ev["soy_tau"].shape[1]
    k = np.arange(1, width)
    tau = ev["soy_tau"][:, :-1]
    kept = (1.0 - ctx.state["soy_market_lost"]) * np.cumprod(
        1.0 - cfg.irreversibility.soy_hysteresis * (tau > s.soy_tariff_mfn), axis=1
    )
    market = dyn.soy_market_exports(tau, 1.0 - kept, s)
    goodwill = 2.0 * (1 - s.goodwill_decay) ** k
    before = dyn.soybean_price(market + goodwill, s) / s.price_normal
    burden = dyn.tariff_burden(ev["us_tau"][:, :-1], w.trade.us_tariff_base, w.trade.tariff_ceiling)
    talks = pp._talks_after(ev["talks_add"][:, :-1], ctx).T if relations else 0.0
    rate = dyn.fulfilment_rate(before, burden, dyn.soy_demand(w), imp, talks)
    since = ctx.week + k - ev["cweek"][:, :-1]
    due = np.where(
        ev["commit"][:, :-1] > 0,
        dyn.committed_soy_bn(ev["commit"][:, :-1], dyn.purchase_ramp(since, s), s),
        0.0,
    )
    assert due[1, 5] > 0 and due[0].sum() == 0  # $0.5bn a year is bought
    exports = market + due * rate + goodwill
    np.testing.assert_allclose(got["ag_rate"], rate, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got["soy_exports"][:, 1:], exports, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["price"][:, 1:], dyn.soybean_price(exports, s), atol=1e-12)
    assert (got["ag_rate"][0] != got["ag_rate"][1]).any() == bool(relations)  # talks count
    for key, state in (
        ("soy_exports", "soybean_exports_bn"), ("price", "soybean_price"),
        ("us_imports", "us_imports_bn"), ("cn_imports", "cn_imports_bn"),
    ):  # fmt: skip
        assert np.all(got[key][:, 0] == ctx.state[state]), key


def test_without_an_irreversibility_section_no_market_is_lost_on_a_path():
    """No ``[irreversibility]``: the share of the soybean market kept stays the snapshot's,
    whatever the tariff."""
    from tradetalks.sim import dynamics as dyn

    cfg = BASE.model_copy(update={"irreversibility": None})
    ctx = Projector(cfg, outcome_space(cfg))._context(SNAP, 4)
    ctx.state = {**ctx.state, "goodwill_purchases_bn": 0.0, "soy_market_lost": 0.1}
    ev = pp.event_arrays([pp.PathSpec()], ctx)
    ev["soy_tau"][0] = cfg.world.soybeans.soy_tariff_mfn + 25.0
    markets = pp._markets(ev, ctx)
    assert "ag_rate" not in markets  # no delivery rule without an implementation section
    got = markets["soy_exports"]
    tau = ev["soy_tau"][:, :-1]
    want = dyn.soy_market_exports(tau, np.full(tau.shape, 0.1), cfg.world.soybeans)
    np.testing.assert_allclose(got[:, 1:], want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("per_path_aid", [False, True])
def test_paths_share_farm_targets_only_when_prices_talks_and_aid_all_agree(per_path_aid):
    """Targets computed for all paths at once (each distinct path once) equal each path's
    own, when paths differ only in the last talks signal the targets read, or only in the
    first or the last week's aid paid on the path."""
    ctx = _ctx()
    w, n = 8, 5
    ratio = np.full((n, w), 0.9)
    talks_add = np.zeros((n, w))
    talks_add[1, w - 2] = 0.5  # the last column a target reads
    ratio[4, w - 1] = 0.7  # the last step's price
    aid = pp.paid_aid(None, ctx, w - 1)
    if per_path_aid:
        aid = np.tile(aid + 0.2, (n, 1))
        aid[2, 1] += 0.5  # the first week's aid a target reads
        aid[3, w - 1] += 0.5  # and the last
    got = pp._approval_targets(ratio, talks_add, aid, ctx)
    for p in range(n):
        one = aid[p : p + 1] if per_path_aid else aid
        alone = pp._approval_targets(ratio[p : p + 1], talks_add[p : p + 1], one, ctx)
        np.testing.assert_array_equal(got[:, p], alone[:, 0])
    distinct = {got[:, p].tobytes() for p in range(n)}
    assert len(distinct) == (5 if per_path_aid else 3)
