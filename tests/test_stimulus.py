"""China's stimulus in the projection (issue 12; ``valuation.rrr_per_path``): the PBoC's
reserve rule applied on each projected path, so the paths without a deal, with the larger
growth shortfall, get more cuts than the deal paths and China's cost of delay falls."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from mesa import Model
from test_projector import SPACE, snapshot
from tradetalks.agents.central_banks import PBoC
from tradetalks.agents.farm_population import initial_population
from tradetalks.sim import projector_paths as pp
from tradetalks.sim.projector import PendingAction, Projector, Snapshot, state_numbers
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate
from tradetalks.sim.snapshot import aid_from
from tradetalks.sim.start import initial_world, sync_farms

PBOC = resolve_config(locate("scenarios/pboc"))


def with_rule(cfg, on: bool, **pboc):
    """``cfg`` with the per-path rule ``on`` (and ``world.pboc`` keys replaced)."""
    val = cfg.valuation.model_copy(update={"rrr_per_path": on})
    world = cfg.world.model_copy(update={"pboc": cfg.world.pboc.model_copy(update=pboc)})
    return cfg.model_copy(update={"valuation": val, "world": world})


OFF, ON = with_rule(PBOC, False), with_rule(PBOC, True)
SNAP = snapshot(PBOC)  # week 1: growth 6.0 against a potential of 6.2, falling without a deal


def full_rollback() -> dict[str, float]:
    """The quantities of the US tariff level rolling back the most."""
    issue = SPACE.issues[SPACE.names.index("us_tariffs")]
    return {k: float(v[-1]) for k, v in issue.quantities.items()}


def test_the_scenario_turns_the_rule_on_and_the_baseline_does_not():
    from helpers import BASELINE
    from tradetalks.sim.config import load_config

    assert PBOC.valuation.rrr_per_path and not load_config(BASELINE).valuation.rrr_per_path


def test_paths_without_a_deal_get_more_stimulus_than_a_deal_path():
    proj = Projector(ON, SPACE)
    ctx = proj._context(SNAP, 4)
    specs = [pp.PathSpec(), pp.PathSpec(deal_week=0, quantities=full_rollback(), any_deal=True)]
    sim = pp.simulate(specs, ctx, 0)
    no_deal, deal = sim["rrr"]
    assert no_deal[0] == deal[0] == SNAP.state["rrr"]
    assert no_deal[-1] < deal[-1] <= SNAP.state["rrr"]  # more cuts without the deal
    assert np.all(np.diff(no_deal) <= 0) and np.all(no_deal >= ON.world.pboc.rrr_floor)
    assert "rrr" not in pp.simulate(specs, Projector(OFF, SPACE)._context(SNAP, 4), 0)


def test_the_rule_per_path_lowers_chinas_gain_from_a_deal():
    """With a shortfall, China's walk-away value rises more than its deal values: its gains
    from the deals that relieve its growth (tariff rollbacks) fall, none rises."""
    off, on = Projector(OFF, SPACE).project(SNAP), Projector(ON, SPACE).project(SNAP)
    assert on.r["china"] > off.r["china"] + 1e-3
    drop = off.gain("china", SPACE) - on.gain("china", SPACE)
    print(f"China's gain falls by {drop.mean():.2e} on average, {drop.max():.2e} at most")
    assert drop.min() > -1e-12 and drop.max() > 1e-3
    us_tariffs = SPACE.names.index("us_tariffs")
    assert off.gains["china"][us_tariffs][-1] - on.gains["china"][us_tariffs][-1] > 1e-3
    assert on.r["us"] == off.r["us"]  # the US's values do not read China's growth


@pytest.mark.parametrize("gap", [1, 4, 9])
def test_bellman_identity_holds_with_the_rule_on(gap):
    """r(t) = (1 − δ^Δ)·ū + δ^Δ·r(t+Δ) within 1e−9: the no-deal path's cuts are one path."""
    val = Projector(ON, SPACE).project(SNAP, gap=gap)
    for side in ("us", "china"):
        d = ON.teams[side].patience ** gap
        bellman = (1 - d) * val.flow_no_deal[side] + d * val.r_next[side]
        assert val.r[side] == pytest.approx(bellman, abs=1e-9)


def test_a_dated_cut_enters_the_projection_once_announced():
    """A cut dated week 8 changes the projected RRR at a week-1 snapshot only if it was
    announced by then (nothing unannounced enters, core-v2 §1 K)."""
    start = PBOC.run.start_date
    seen = {}
    for announced in (start, start + dt.timedelta(weeks=4)):
        cut = {"date": start + dt.timedelta(weeks=7), "cut_pp": 1.0, "announced": announced}
        cal = PBOC.calendar.model_validate({**PBOC.calendar.model_dump(), "rrr_cuts": [cut]})
        cfg = ON.model_copy(update={"calendar": cal})
        sim = pp.simulate([pp.PathSpec()], Projector(cfg, SPACE)._context(SNAP, 4), 0)
        seen[announced == start] = sim["rrr"][0]
    assert seen[True][7] == seen[True][6] - 1.0 == SNAP.state["rrr"] - 1.0  # week 8 = step 7
    assert np.all(seen[False][:15] == SNAP.state["rrr"])  # nothing before the first meeting


def test_without_a_shortfall_the_rule_cuts_nothing_and_changes_no_gain():
    """The only difference the switch makes is the cuts: with a trigger no path reaches and no
    dated cut, the values are those of the rule off (to rounding)."""
    kw = {"rrr_trigger_shortfall": 1.0}
    cal = PBOC.calendar.model_copy(update={"rrr_cuts": []})
    off = Projector(with_rule(PBOC, False, **kw), SPACE).project(SNAP)
    on_cfg = with_rule(PBOC, True, **kw).model_copy(update={"calendar": cal})
    on = Projector(on_cfg, SPACE).project(SNAP)
    for side in ("us", "china"):
        assert on.r[side] == pytest.approx(off.r[side], abs=1e-12)
        np.testing.assert_allclose(on.gain(side, SPACE), off.gain(side, SPACE), atol=1e-12)


def test_switched_off_the_values_are_todays_exactly():
    """``rrr_per_path = false`` is the projector as it was, the RRR held at the snapshot's
    value on every path: nothing the rule reads (its trigger, cut and floor, the meetings,
    the dated cuts) moves any value, bit for bit; switched on, each of them does."""
    cal = PBOC.calendar
    changes = {
        "trigger": ({"rrr_trigger_shortfall": 0.0}, cal),
        "cut": ({"rrr_cut": 1.0}, cal),
        "floor": ({"rrr_floor": 13.4}, cal),
        "no meetings": ({}, cal.model_copy(update={"pboc_meetings": []})),
        "no dated cuts": ({}, cal.model_copy(update={"rrr_cuts": []})),
    }
    ref = {on: Projector(with_rule(PBOC, on), SPACE).project(SNAP) for on in (False, True)}
    for name, (kw, calendar) in changes.items():
        for on in (False, True):
            cfg = with_rule(PBOC, on, **kw).model_copy(update={"calendar": calendar})
            val = Projector(cfg, SPACE).project(SNAP)
            same = val.r["china"] == ref[on].r["china"] and np.array_equal(
                val.gain("china", SPACE), ref[on].gain("china", SPACE)
            )
            assert same != on, (name, on)


def _realised_china(cfg, seed: int, weeks: int, cuts: bool) -> tuple[np.ndarray, np.ndarray]:
    """China's growth and the RRR with the world stepped directly (every announced action
    firing, the yuan held) and, with ``cuts``, the PBoC agent cutting on its dates and by its
    meeting rule."""
    world = initial_world(cfg)
    dated = [(cfg.week_of(c.date), c.effective_pp) for c in cfg.calendar.rrr_cuts]
    bank = PBoC(
        Model(rng=seed), cfg.world.pboc, cfg.world.growth, world.state, 0.0,
        us_tariff_base=cfg.world.trade.us_tariff_base, rrr_cuts=dated,
        china_logit_scale=cfg.makers.china.logit_scale,
    )  # fmt: skip
    meetings = {cfg.week_of(d) for d in cfg.calendar.pboc_meetings}
    rng = np.random.default_rng(seed + 10_000)
    growth, rrr = [world.state.cn_growth], [world.state.rrr]
    for k in range(1, weeks + 1):
        if cuts:
            bank._apply_dated_cuts(k)
        world.update_trade(k)
        world.update_growth(rng)
        world.update_uncertainty()
        for a in cfg.calendar.tariff_actions:
            if cfg.week_of(a.date) == k:
                world.escalate(a.side, a.tariff_delta_pp, a.soy_tariff_delta_pp)
        if cuts and k in meetings:
            bank.meet()
        growth.append(world.state.cn_growth), rrr.append(world.state.rrr)
    return np.array(growth), np.array(rrr)


@pytest.mark.slow
def test_with_the_rule_on_the_projection_stays_within_two_se_of_the_realised_path():
    """Core-v2 §1 L with the rule on, policies fixed: the RRR of the projected no-deal path,
    and the growth its cuts add (rule on − rule off), lie within 2 SE of the mean realised
    ones (the PBoC agent cutting − not cutting, on the same shocks) at every week."""
    weeks, seeds = 60, 100
    date = ON.run.start_date - dt.timedelta(weeks=1)  # week 0: before the first step
    pending = tuple(
        PendingAction(
            a.side, ON.week_of(a.date), a.tariff_delta_pp, a.soy_tariff_delta_pp, 1.0, a.label
        )
        for a in ON.calendar.tariff_actions
    )
    world = initial_world(ON)
    _, farmers = initial_population(ON.world.farmers, np.random.default_rng(0))
    sync_farms(world, farmers, 0.0)
    v = ON.valuation
    farm = farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy)
    snap = Snapshot(0, date, state_numbers(world.state), farm, pending, aid_from(ON, date, 1))
    fires = frozenset(range(len(pending)))
    on, off = (Projector(c, SPACE).joint_path(snap, fires, weeks) for c in (ON, OFF))
    runs = [[_realised_china(ON, s, weeks, cuts) for s in range(seeds)] for cuts in (True, False)]
    (g_on, rrr), (g_off, _) = ((np.array(x) for x in zip(*r, strict=True)) for r in runs)
    assert rrr[:, -1].max() < ON.world.pboc.rrr_start - 1.0  # the rule is at work
    for name, real, proj in (
        ("growth added", g_on - g_off, (on["cn_growth"] - off["cn_growth"])[0, : weeks + 1]),
        ("rrr", rrr, on["rrr"][0, : weeks + 1]),
    ):
        se = real.std(axis=0, ddof=1) / math.sqrt(seeds)
        gap = np.abs(proj - real.mean(axis=0))
        print(f"{name}: max |projected − realised| {gap.max():.2e}, max 2 SE {2 * se.max():.2e}")
        assert np.all(gap <= 2 * se + 1e-9), name
