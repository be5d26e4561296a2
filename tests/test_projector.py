"""The projector (sim/projector.py): one scale for walk-away and deal values (core-v2 §1 A, B,
D, F, H; §2.4 item 1)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.agents.farm_population import initial_population
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import OPEN, OutcomeSpace, issues_from_config, outcome_space
from tradetalks.sim.projector import (
    PendingAction,
    Projector,
    Snapshot,
    state_numbers,
)
from tradetalks.sim.snapshot import aid_from
from tradetalks.sim.start import initial_world, sync_farms

BASE = load_config(BASELINE)
SPACE = outcome_space(BASE)
INF = math.inf


def snapshot(cfg=BASE, seed=1, p_fire=0.6, fire_us=False, under_fire=INF, no_actions=False):
    """Week 1 of the baseline as a snapshot; ``fire_us``: the first US hike has fired."""
    world = initial_world(cfg)
    _, farmers = initial_population(cfg.world.farmers, np.random.default_rng(seed))
    sync_farms(world, farmers, 0.0)
    actions = [] if no_actions else list(cfg.calendar.tariff_actions)
    if fire_us:
        first = actions.pop(0)
        world.escalate(first.side, first.tariff_delta_pp, first.soy_tariff_delta_pp)
    pending = tuple(
        PendingAction(
            a.side,
            cfg.week_of(a.date) - 1,
            a.tariff_delta_pp,
            a.soy_tariff_delta_pp,
            p_fire,
            a.label,
        )
        for a in actions
    )
    v = cfg.valuation
    return Snapshot(
        week=1,
        date=cfg.run.start_date,
        state=state_numbers(world.state),
        farm=farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy),
        pending=pending,
        aid=aid_from(cfg, cfg.run.start_date, 1),
        fired=dict(world.fired),
        under_fire={"us": under_fire, "china": under_fire},
    )


SNAP = snapshot()
VAL = Projector(BASE, SPACE).project(SNAP)


def with_status_quo_row(cfg) -> OutcomeSpace:
    """The space with the empty deal (every issue open) as a row."""
    return OutcomeSpace(issues_from_config(cfg), allow_interim=True, min_issues=0)


def test_walk_away_is_the_value_of_the_status_quo_exactly():
    space = with_status_quo_row(BASE)
    empty = int(np.flatnonzero(~space.covered.any(axis=1))[0])
    for side in ("us", "china"):
        assert VAL.utility(side, space)[empty] == VAL.r[side]
        for issue, g in zip(SPACE.issues, VAL.gains[side], strict=True):
            assert g[issue.status_quo] == 0.0


@pytest.mark.parametrize("gap", [1, 4, 9])
@pytest.mark.parametrize("p_fire", [0.0, 0.4, 1.0])
def test_bellman_identity_on_the_projection(gap, p_fire):
    """r(t) = (1 − δ^Δ)·ū + δ^Δ·r(t+Δ) within 1e−9."""
    val = Projector(BASE, SPACE).project(snapshot(p_fire=p_fire), gap=gap)
    for side in ("us", "china"):
        d = BASE.teams[side].patience ** gap
        bellman = (1 - d) * val.flow_no_deal[side] + d * val.r_next[side]
        assert val.r[side] == pytest.approx(bellman, abs=1e-9)


def test_a_deal_weakly_better_on_every_covered_issue_has_a_nonnegative_gain():
    for side in ("us", "china"):
        assert VAL.any_deal[side] >= 0.0
        g = VAL.gain(side, SPACE)
        ok = np.ones(len(SPACE), dtype=bool)
        for j, gains in enumerate(VAL.gains[side]):
            lv = SPACE.levels[:, j]
            ok &= (lv == OPEN) | (gains[np.maximum(lv, 0)] >= 0)
        assert ok.sum() > 100 and np.all(g[ok] >= 0)


def test_additive_projection_error_is_small_against_joint_projections():
    """|V_exact − V_additive| over random deals: the 95th percentile is below 1% of V's range
    (the hostage term is a multiplicative adjustment outside the projection: off here).

    Known exception, reported not hidden: for the US, deals that combine farm purchases with
    China waiving its soybean tariff overshoot the soybean price cap (price ∝ min(share, 1)),
    which the additive form counts twice through the electoral lump: about 4% of the range.
    Those deals are held to 5%, every other deal to 1%."""
    cfg = load_config(BASELINE, {"hostage.phi1": 0.0, "hostage.phi0": 1.0})
    proj, snap = Projector(cfg, SPACE), snapshot(cfg)
    val = proj.project(snap)
    rows = np.random.default_rng(0).choice(len(SPACE), 120, replace=False)
    exact = proj.exact_values(snap, SPACE.levels[rows])
    ag, cn = SPACE.names.index("ag_purchases"), SPACE.names.index("cn_tariffs")
    waived = BASE.issues["cn_tariffs"].levels.index("waive farm tariffs")
    levels = SPACE.levels[rows]
    soy_pair = (levels[:, ag] > 0) & (levels[:, cn] >= waived)
    for side in ("us", "china"):
        u = val.utility(side, SPACE)
        err = np.abs(exact[side] - u[rows]) / (u.max() - u.min())
        p95, pair = np.quantile(err[~soy_pair], 0.95), err[soy_pair].max(initial=0.0)
        print(f"additive error {side}: p95 {p95:.2e}, soybean pair max {pair:.2e} of V's range")
        assert p95 < 0.01 and pair < 0.05


def _scaled(a: float) -> dict:
    over = {f"valuation.us.kappa.{k}": a * v for k, v in BASE.valuation.us.kappa.items()}
    over["farm_politics.electoral_weight"] = a * BASE.farm_politics.electoral_weight
    over["irreversibility.rollback_cost_per_pp"] = a * BASE.irreversibility.rollback_cost_per_pp
    # the under-fire lump is per unit of conceded value: scaling the values scales it
    for name, issue in BASE.issues.items():
        over[f"issues.{name}.values.us"] = [a * x for x in issue.values["us"]]
    return over


def test_one_sides_utility_is_affine_invariant():
    a = 0.5
    cfg = load_config(BASELINE, _scaled(a))
    snap = snapshot(cfg, fire_us=True, under_fire=2.0)
    base = Projector(BASE, SPACE).project(snapshot(fire_us=True, under_fire=2.0))
    val = Projector(cfg, outcome_space(cfg)).project(snap)
    assert val.any_deal["us"] == pytest.approx(a * base.any_deal["us"], rel=1e-9)
    for g, g0 in zip(val.gains["us"], base.gains["us"], strict=True):
        np.testing.assert_allclose(g, a * g0, rtol=1e-9, atol=1e-12)
    # (China's gains move too: rollback_cost_per_pp is one coefficient for both sides)


def test_without_irreversibility_the_rollback_and_under_fire_lumps_vanish():
    over = {f"irreversibility.{k}": 0.0 for k in ("rollback_cost_per_pp", "under_fire_cost")}
    over.update(
        {"irreversibility.retaliation_persistence": 0.0, "irreversibility.soy_hysteresis": 0.0}
    )
    cfg = load_config(BASELINE, over)
    off = Projector(cfg, SPACE).project(snapshot(cfg, fire_us=True, under_fire=1.0))
    on = Projector(BASE, SPACE).project(snapshot(fire_us=True, under_fire=1.0))
    for side in ("us", "china"):
        assert all(np.all(x == 0.0) for x in off.lumps[side])
        assert any(np.any(x < 0.0) for x in on.lumps[side])
    us_tariffs = SPACE.names.index("us_tariffs")
    rollback = BASE.issues["us_tariffs"].levels.index("cancel + suspend 4B")
    assert on.lumps["us"][us_tariffs][rollback] < 0  # 2.5pp rolled back, not cancelled


def _ag_gain(cfg) -> float:
    val = Projector(cfg, SPACE).project(snapshot(cfg))
    return float(val.gains["us"][SPACE.names.index("ag_purchases")][-1])


def test_farm_aid_acts_on_us_gains_only_through_the_electoral_lump():
    no_vote = {"farm_politics.electoral_weight": 0.0}
    g1 = _ag_gain(load_config(BASELINE, no_vote))
    g3 = _ag_gain(load_config(BASELINE, {**no_vote, "farm_politics.aid_scale": 3.0}))
    assert g1 == g3


def test_more_aid_lowers_the_us_gain_of_farm_purchases():
    """Aid ×3 lifts income into flatter approval: purchases are worth less to the US."""
    g1, g3 = _ag_gain(BASE), _ag_gain(load_config(BASELINE, {"farm_politics.aid_scale": 3.0}))
    g0 = _ag_gain(load_config(BASELINE, {"farm_politics.electoral_weight": 0.0}))
    assert g3 < g1
    assert g1 > g0  # the electoral lump carries part of the purchases' value


def test_announced_actions_have_effects_of_the_expected_sign():
    us_hike = BASE.calendar.tariff_actions[1].label
    assert VAL.action_effect[us_hike]["china"] < 0.0


def test_world_and_projector_agree_for_one_step_with_shocks_at_zero():
    cfg = load_config(BASELINE, {"world.growth.shock_sd": 0.0})
    world = initial_world(cfg)
    _, farmers = initial_population(cfg.world.farmers, np.random.default_rng(4))
    sync_farms(world, farmers, 0.0)
    v = cfg.valuation
    snap = Snapshot(
        1, cfg.run.start_date, state_numbers(world.state),
        farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy),
    )  # fmt: skip
    val = Projector(cfg, SPACE).project(snap, farm_weeks=2)
    world.update_trade(2)
    sync_farms(world, farmers, 0.0)
    world.update_growth(np.random.default_rng(0))
    world.update_uncertainty()
    s, paths = world.state, val.paths
    for key, got in (
        ("us_imports", s.us_imports_bn), ("cn_imports", s.cn_imports_bn),
        ("soy_exports", s.soybean_exports_bn), ("price", s.soybean_price),
        ("us_growth", s.us_growth), ("cn_growth", s.cn_growth),
        ("uncertainty", s.trade_uncertainty),
    ):  # fmt: skip
        assert paths[key][1] == pytest.approx(got, rel=1e-12), key
    assert paths["approval"][1] == pytest.approx(farmers.acreage_approval, abs=2e-3)
    assert paths["farm_income_bn"][1] == pytest.approx(farmers.farm_income_bn, rel=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(1, 12))
def test_bellman_holds_for_any_credibility_and_gap(p_fire, gap):
    val = Projector(BASE, SPACE).project(snapshot(p_fire=p_fire), gap=gap)
    for side in ("us", "china"):
        d = BASE.teams[side].patience ** gap
        assert val.r[side] == pytest.approx(
            (1 - d) * val.flow_no_deal[side] + d * val.r_next[side], abs=1e-9
        )


def _with_commitment(world, commitment_bn: float):
    """``world`` with a purchase commitment signed in week 0 and a deal in force."""
    if commitment_bn > 0:
        st = world.state
        st.ag_commitment_bn, st.ag_commitment_week, st.deal_in_force = commitment_bn, 0, True
    return world


def _realised(
    cfg, seed: int, weeks: int, commitment_bn: float = 0.0, soy: list | None = None
) -> tuple[np.ndarray, np.ndarray, object]:
    """World + farmers stepped directly (no negotiation), every announced action firing and
    every tranche (announced and expected) paid on its date: the policies held fixed.
    ``commitment_bn``: a purchase commitment in force from week 0; ``soy`` collects the
    weekly soybean exports and the share of the purchases due delivered."""
    world = _with_commitment(initial_world(cfg), commitment_bn)
    _, farmers = initial_population(cfg.world.farmers, np.random.default_rng(seed))
    sync_farms(world, farmers, 0.0)
    v = cfg.valuation
    start = farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy)
    aid = {
        cfg.week_of(a.date): a.amount_bn
        for a in (*cfg.calendar.farm_aid, *cfg.farm_politics.expected_aid)
    }
    rng, talks, g = np.random.default_rng(seed + 10_000), 0.0, cfg.world.gestures
    approval, tariff = [farmers.acreage_approval], [world.state.us_tariff_avg]
    if soy is not None:
        soy.append((world.state.soybean_exports_bn, world.state.ag_fulfilment))
    for k in range(1, weeks + 1):
        world.update_trade(k, talks)  # the model's order: last week's signal, before the decay
        talks *= 1 - cfg.world.farmers.talks_signal_decay
        sync_farms(world, farmers, talks)
        world.update_growth(rng)
        world.update_uncertainty()
        if k in aid:
            farmers.pay_aid(aid[k])
        for a in cfg.calendar.tariff_actions:
            if cfg.week_of(a.date) == k:
                world.escalate(a.side, a.tariff_delta_pp, a.soy_tariff_delta_pp)
                talks += g.talks_signal_escalation
        approval.append(farmers.acreage_approval)
        tariff.append(world.state.us_tariff_avg)
        if soy is not None:
            soy.append((world.state.soybean_exports_bn, world.state.ag_fulfilment))
    return np.array(approval), np.array(tariff), (world, start)


@pytest.mark.slow
def test_projected_no_deal_path_lies_within_two_se_of_the_mean_realised_path():
    """Core-v2 §1 L: over many seeds, policies fixed, the mean realised approval and tariff
    paths agree with the projection (from each seed's start) within 2 SE at every week."""
    weeks, seeds = 60, 100
    date = BASE.run.start_date - dt.timedelta(weeks=1)  # week 0: before the first step
    real, proj, tariffs, ptariffs = [], [], [], []
    for seed in range(seeds):
        approval, tariff, (_, farm) = _realised(BASE, seed, weeks)
        world = initial_world(BASE)
        pending = tuple(
            PendingAction(
                a.side, BASE.week_of(a.date), a.tariff_delta_pp, a.soy_tariff_delta_pp, 1.0, a.label
            )
            for a in BASE.calendar.tariff_actions
        )
        _, farmers = initial_population(BASE.world.farmers, np.random.default_rng(seed))
        sync_farms(world, farmers, 0.0)
        snap = Snapshot(0, date, state_numbers(world.state), farm, pending, aid_from(BASE, date, 1))
        path = Projector(BASE, SPACE).joint_path(snap, frozenset(range(len(pending))), weeks)
        real.append(approval), tariffs.append(tariff)
        proj.append(path["approval"][0]), ptariffs.append(path["us_tau"][0, : weeks + 1])
    real, proj = np.array(real), np.array(proj)
    se = real.std(axis=0, ddof=1) / math.sqrt(seeds)
    gap = np.abs(proj.mean(axis=0) - real.mean(axis=0))
    print(f"approval: max |projected − realised| {gap.max():.2e}, max 2 SE {2 * se.max():.2e}")
    assert np.all(gap <= 2 * se + 1e-12)
    np.testing.assert_allclose(np.mean(ptariffs, axis=0), np.mean(tariffs, axis=0), atol=1e-9)


@pytest.mark.slow
def test_with_a_commitment_under_the_fulfilment_rule_the_projection_stays_within_two_se():
    """The same check with issue 12's blocks on (scenarios/implementation: deliveries by the
    fulfilment rule, hostage on IP, purchases and tariffs valued jointly) and a purchase
    commitment in force from week 0, in the realised world and in the projector's snapshot:
    approval, the US tariff and soybean exports (which carry the rule) within 2 SE of the mean
    realised path at every week.  Tariffs and exports do not depend on the seed here (policies
    fixed, the yuan held), so their SE is 0 and they must agree to rounding."""
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    cfg = resolve_config(locate("scenarios/implementation"))
    assert cfg.implementation is not None and cfg.valuation.joint_issues
    weeks, seeds, commitment = 60, 100, 40.0
    date = cfg.run.start_date - dt.timedelta(weeks=1)  # week 0: before the first step
    pending = tuple(
        PendingAction(
            a.side, cfg.week_of(a.date), a.tariff_delta_pp, a.soy_tariff_delta_pp, 1.0, a.label
        )
        for a in cfg.calendar.tariff_actions
    )
    projector = Projector(cfg, SPACE)
    series = {"approval": ([], []), "us tariff": ([], []), "soybean exports": ([], [])}
    for seed in range(seeds):
        soy: list = []
        approval, tariff, (_, farm) = _realised(cfg, seed, weeks, commitment, soy)
        world = _with_commitment(initial_world(cfg), commitment)
        _, farmers = initial_population(cfg.world.farmers, np.random.default_rng(seed))
        sync_farms(world, farmers, 0.0)
        snap = Snapshot(0, date, state_numbers(world.state), farm, pending, aid_from(cfg, date, 1))
        path = projector.joint_path(snap, frozenset(range(len(pending))), weeks)
        exports, rate = np.array(soy).T
        # the rule is at work: deliveries move with prices and the tariffs kept, not 1 or 0
        assert rate[1:].min() < rate[1:].max() and not np.any(rate[1:] == 1.0)
        for name, real, proj in (
            ("approval", approval, path["approval"][0]),
            ("us tariff", tariff, path["us_tau"][0, : weeks + 1]),
            ("soybean exports", exports, path["soy_exports"][0, : weeks + 1]),
        ):
            series[name][0].append(real), series[name][1].append(proj)
    failed = []
    for name, (real, proj) in series.items():
        real, proj = np.array(real), np.array(proj)
        se = real.std(axis=0, ddof=1) / math.sqrt(seeds)
        gap = np.abs(proj.mean(axis=0) - real.mean(axis=0))
        print(f"{name}: max |projected − realised| {gap.max():.2e}, max 2 SE {2 * se.max():.2e}")
        # rounding only: 1e-12 as above for approval, 1e-9 (as the tariff check above) for
        # the series whose SE is 0
        if not np.all(gap <= 2 * se + (1e-12 if name == "approval" else 1e-9)):
            failed.append((name, int(np.argmax(gap - 2 * se)), float(gap.max())))
    assert not failed, failed


def test_rolling_back_fired_tariffs_costs_exactly_the_configured_lump():
    """Irreversibility 1 (core-v2 §1 D): once the 15 October hike has fired, a level that rolls
    it back costs the US rollback_cost_per_pp per point rolled back, paid at signature;
    cancelling only what is scheduled costs nothing of the kind."""
    cost = BASE.irreversibility.rollback_cost_per_pp
    assert cost > 0
    zero = load_config(BASELINE, {"irreversibility.rollback_cost_per_pp": 0.0})
    snap = snapshot(fire_us=True)
    with_cost = Projector(BASE, SPACE).project(snap)
    without = Projector(zero, SPACE).project(snapshot(zero, fire_us=True))
    j = SPACE.names.index("us_tariffs")
    levels = BASE.issues["us_tariffs"].levels
    rollback, cancel = levels.index("cancel + suspend 4B"), levels.index("cancel hikes")
    fired = BASE.calendar.tariff_actions[0].tariff_delta_pp
    diff = with_cost.gains["us"][j] - without.gains["us"][j]
    assert diff[rollback] == pytest.approx(-cost * fired, rel=1e-9)
    assert diff[cancel] == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 120),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(-5, 5),
    st.integers(0, 2**32 - 1),
)
def test_the_first_order_filter_is_scipys_lfilter_step_for_step(n, w, b, c, z0, seed):
    """The projector's hand-rolled recursion gives lfilter's numbers bit for bit (it replaces
    scipy.signal only to keep that import out of start-up)."""
    from scipy.signal import lfilter
    from tradetalks.sim.path_arrays import first_order_filter

    x = np.random.default_rng(seed).normal(size=(n, w))
    ref = lfilter([b], [1.0, -c], x, axis=1, zi=np.full((n, 1), z0))[0]
    assert np.array_equal(first_order_filter(b, c, x, z0), ref)
