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
from tradetalks.sim.issues import OPEN, OutcomeSpace, issues_from_config
from tradetalks.sim.projector import (
    PendingAction,
    Projector,
    Snapshot,
    state_numbers,
)
from tradetalks.sim.snapshot import aid_from
from tradetalks.sim.spaces import outcome_space
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


# ------------------------------------------------------------------ the valuation's formulas
def _formula(val, side: str, space: OutcomeSpace, next_round: bool) -> np.ndarray:
    """V_s(x) written out outcome by outcome: r + D·1[covers an issue] + Σ_i g_i(x_i), the US's
    gains on hostage issues times φ̂(x), + the joint issues' interactions, − the dispute cost."""
    r = (val.r_next if next_round else val.r)[side]
    d = (val.any_deal_next if next_round else val.any_deal)[side]
    gains = (val.gains_next if next_round else val.gains)[side]
    pairs = (val.pairs_next if next_round else val.pairs).get(side, ())
    held = val.hostage.issues if (val.hostage is not None and side == "us") else frozenset()
    phi = val.hostage.phi(space) if held else None
    cost = val.disputes.cost(side, space, next_round) if val.disputes is not None else None
    out = []
    for x, levels in enumerate(space.levels.tolist()):
        covered = [j for j, lv in enumerate(levels) if lv != OPEN]
        own = sum(gains[j][levels[j]] for j in covered if j not in held)
        hostage = sum(gains[j][levels[j]] for j in covered if j in held)
        v = r + (d if covered else 0.0) + own + (phi[x] * hostage if held else 0.0)
        for j, k, table in pairs:
            if levels[j] != OPEN and levels[k] != OPEN:
                v += table[levels[j], levels[k]]
        out.append(v - (cost[x] if cost is not None else 0.0))
    return np.array(out)


def _hand_valuation(with_pairs: bool) -> tuple:
    """A valuation with every term set by hand on a small space, now and next round apart."""
    from test_projector_value import issue
    from tradetalks.sim.projector_value import DisputeTerm, HostageTerm

    space = OutcomeSpace(
        [issue("a", 3), issue("b", 2), issue("c", 3)], allow_interim=True, min_issues=0
    )
    rng = np.random.default_rng(5)

    def per_issue() -> dict:
        return {s: tuple(rng.normal(0, 1, n) for n in (3, 2, 3)) for s in ("us", "china")}

    pairs = {s: ((0, 2, rng.normal(0, 1, (3, 3))),) for s in ("us", "china")}
    pairs_next = {s: ((0, 2, rng.normal(0, 1, (3, 3))),) for s in ("us", "china")}
    hostage = HostageTerm(
        0.3, 0.6, frozenset({1}), (np.array([0.0, 4.0, 9.0]), np.zeros(2), np.zeros(3)), 10.0, 10.0
    )
    disputes = DisputeTerm(
        ag=2,
        commits=np.array([False, True, True]),
        rate0=(0.5, 0.6),
        rate=((None, None, np.array([0.0, 0.1, -0.2])), (np.array([0.0, 0.1, 0.0]), None, None)),
        reviews=(3, 2),
        loss={s: (rng.normal(0, 1, 3), rng.normal(0, 1, 3)) for s in ("us", "china")},
        rule=(0.8, 1.2, -0.2, 1.5, 0.3, 0.9),
    )
    val = valuation_of(
        per_issue(), per_issue(), hostage=hostage, disputes=disputes,
        pairs=pairs if with_pairs else {}, pairs_next=pairs_next if with_pairs else {},
    )  # fmt: skip
    return val, space


def valuation_of(gains, gains_next, **terms):
    """A hand-made valuation: fixed r and D (this round and next, all four apart) around the
    given per-issue gains and any further terms (``hostage``, ``pairs``, ``disputes``...)."""
    from tradetalks.sim.projector import Valuation

    return Valuation(
        week=1, gap=3, r={"us": 0.1, "china": -0.2}, r_next={"us": 0.05, "china": -0.1},
        flow_no_deal={}, any_deal={"us": 0.3, "china": 0.4},
        gains=gains, gains_next=gains_next, any_deal_next={"us": -0.1, "china": 0.2},
        paths={}, action_effect={}, lumps={}, **terms,
    )  # fmt: skip


@pytest.mark.parametrize("with_pairs", [True, False])
@pytest.mark.parametrize("next_round", [False, True])
@pytest.mark.parametrize("side", ["us", "china"])
def test_a_valuations_utility_is_its_formula(side, next_round, with_pairs):
    """V_s(x) on every outcome of a hand-made valuation equals the formula written out, for
    this round and the next (each with its own r, D, gains and interactions); φ̂ scales the
    US's hostage-issue gains only; G = V − r of the same round."""
    val, space = _hand_valuation(with_pairs)
    got = val.utility(side, space, next_round=next_round)
    np.testing.assert_allclose(got, _formula(val, side, space, next_round), atol=1e-12)
    assert val.utility(side, space, next_round=next_round) is got  # computed once per space
    r = (val.r_next if next_round else val.r)[side]
    np.testing.assert_allclose(val.gain(side, space, next_round=next_round), got - r, atol=1e-15)
    if not next_round:
        np.testing.assert_allclose(val.gain(side, space), got - r, atol=1e-15)


def test_a_space_whose_outcomes_all_cover_an_issue_adds_d_everywhere():
    val, space = _hand_valuation(True)
    rows = space.rows(np.flatnonzero(space.covered.any(axis=1)))
    assert rows.all_cover
    full = val.utility("china", space)
    np.testing.assert_allclose(val.utility("china", rows), full[space.covered.any(axis=1)])


def test_conceding_under_fire_costs_the_conceded_value_times_the_decayed_factor():
    """With the opponent's hike just fired (under_fire 0), each level's gain falls by
    under_fire_cost · 2^(−start/half-life)·… · the intrinsic value it concedes (the factor
    from ``under_fire_factor``), and the lump carries it; without the cost nothing moves."""
    from tradetalks.sim.projector_value import under_fire_factor

    snap = snapshot(under_fire=0.0, no_actions=True)
    off_cfg = load_config(BASELINE, {"irreversibility.under_fire_cost": 0.0})
    on, off = Projector(BASE, SPACE), Projector(off_cfg, SPACE)
    v_on, v_off = on.project(snap), off.project(snap)
    base = on._base_levels(snap)
    cost = BASE.irreversibility.under_fire_cost
    assert cost > 0
    moved = 0
    for side in ("us", "china"):
        uf = under_fire_factor(0.0, snap.pending, side, 0, BASE.irreversibility)
        for j, conceded in enumerate(on._conceded(side, base)):
            want = -cost * uf * conceded
            np.testing.assert_allclose(v_on.gains[side][j] - v_off.gains[side][j], want, atol=1e-12)
            moved += int(np.count_nonzero(conceded))
    assert moved > 0  # some levels concede value


def test_elections_are_counted_in_whole_weeks_from_the_snapshot_inside_the_horizon():
    proj = Projector(BASE, SPACE)
    dates = proj.fp.election_dates
    assert dates
    first = dates[0]
    for days_before in (0, 6, 7, 13, 14):
        snap = snapshot()
        snap = Snapshot(**{**snap.__dict__, "date": first - dt.timedelta(days=days_before)})
        weeks = days_before // 7
        got = proj._elections(snap, weeks + 1)
        assert got[:1] == [weeks]
        assert weeks not in proj._elections(snap, weeks)  # the horizon's own week is outside
    late = Snapshot(**{**SNAP.__dict__, "date": first + dt.timedelta(days=1)})
    assert all(k >= 0 for k in proj._elections(late, 500))


def test_scheduled_aid_lands_in_its_week_of_the_horizon_scaled_by_the_soybean_share():
    proj = Projector(BASE, SPACE)
    share = BASE.world.farmers.aid_soy_share
    snap = Snapshot(**{**SNAP.__dict__, "aid": ((0, 2.0), (3, 1.0), (3, 0.5), (10_000, 9.0))})
    ctx = proj._context(snap, 4)
    assert ctx.horizon == proj.val.horizon_weeks + 4 and len(ctx.aid_weeks) == ctx.horizon + 1
    want = np.zeros(ctx.horizon + 1)
    want[0], want[3] = 2.0 * share, 1.5 * share
    np.testing.assert_allclose(ctx.aid_weeks, want)
    assert ctx.talks == SNAP.farm.talks_signal  # without the snapshot's own signal: the farms'
    signalled = Snapshot(**{**SNAP.__dict__, "talks_signal": 0.37})
    assert proj._context(signalled, 4).talks == 0.37


def _no_deal_paths(proj: Projector, snap: Snapshot, gap: int) -> tuple:
    """The no-deal plan's paths alone (no rollback lumps), simulated to the last election in
    the window: (plan, elections, sim)."""
    from tradetalks.sim import projector_paths as pp
    from tradetalks.sim.projector_value import Batch

    ctx = proj._context(snap, gap)
    batch = Batch(snap.pending)
    nd = batch.plan(None, {}, False, exact=True)
    elections = proj._elections(snap, ctx.horizon)
    return nd, elections, pp.simulate(batch.specs, ctx, max(elections, default=0))


@pytest.mark.parametrize("side", ["us", "china"])
def test_a_paths_value_discounts_its_flows_and_lumps_as_the_formula_says(side):
    """Per path: V(t) = Σ_{k<H} (1 − δ)δ^k·c_k + δ^H·c_H + Σ_{k<H} δ^k·lump_k, and V(t + Δ) the
    same from week Δ; the US's lump on an election day is w_E·(approval − reference); δ is the
    snapshot's patience when it carries one."""
    proj, gap = Projector(BASE, SPACE), 3
    snap = Snapshot(**{**SNAP.__dict__, "patience": {"us": 0.985, "china": 0.99}})
    _, elections, sim = _no_deal_paths(proj, snap, gap)
    assert elections  # the 2020 election lies inside the horizon
    sc = proj._score(sim, snap, side, gap, elections)
    delta, horizon = snap.patience[side], sc["flow"].shape[1] - 1
    assert sc["delta"] == delta
    lump = np.zeros_like(sc["flow"])
    if side == "us":
        fp = proj.fp
        assert fp.electoral_weight > 0
        for k in elections:
            lump[:, k] = fp.electoral_weight * (sim["approval"][:, k] - fp.approval_reference)
    np.testing.assert_allclose(sc["lump"], lump, atol=1e-15)
    assert np.any(lump != 0) == (side == "us")
    for name, start in (("now", 0), ("next", gap)):
        want = []
        for flow, lp in zip(sc["flow"], lump, strict=True):
            n = horizon - start
            v = sum((1 - delta) * delta**k * flow[start + k] for k in range(n))
            v += delta**n * flow[horizon] + sum(delta**k * lp[start + k] for k in range(n))
            want.append(v)
        np.testing.assert_allclose(sc[name], want, rtol=1e-10, atol=1e-12)


def test_chinas_model_of_us_values_assumes_its_own_aid_scale_only_when_told_to():
    from tradetalks.sim.projector import observer_projector

    assert observer_projector(BASE, SPACE) is None  # no observed scale: the US's own values
    fp = BASE.farm_politics
    same = BASE.model_copy(update={"farm_politics": fp.model_copy(
        update={"observed_aid_scale": fp.aid_scale})})  # fmt: skip
    assert observer_projector(same, SPACE) is None
    seen = fp.aid_scale + 1.5
    other = BASE.model_copy(update={"farm_politics": fp.model_copy(
        update={"observed_aid_scale": seen})})  # fmt: skip
    obs = observer_projector(other, SPACE)
    assert obs is not None and obs.space is SPACE
    assert obs.cfg.farm_politics.aid_scale == seen
    assert obs.cfg.farm_politics.electoral_weight == fp.electoral_weight
    assert observer_projector(BASE.model_copy(update={"farm_politics": None}), SPACE) is None


@pytest.mark.parametrize("start", [0, 5])
@pytest.mark.parametrize("side", ["us", "china"])
def test_per_issue_gains_lumps_and_interactions_are_their_formulas(side, start):
    """From scored paths (here random numbers) and plans: an issue level's projected gain is
    its plan's value + c0 − r, its gain that + its intrinsic change + the under-fire lump
    (−cost·uf·conceded), its lump the under-fire part + −rollback of its path; an agreed issue
    keeps only its intrinsic change; a pair's interaction is the joint plan's projected gain
    less the two issues' own; D is the any-deal plan's value + c0 − r. The round at t + Δ
    reads the "next" values and the under-fire factor at Δ."""
    from tradetalks.sim.projector_value import Plan, under_fire_factor

    proj = Projector(BASE, SPACE)
    ja, jb, agreed = 0, 2, 5  # 6 and 4 levels: the table is not square
    proj.pairs = [(ja, jb), (ja, agreed)]
    name = SPACE.issues[agreed].name
    snap = Snapshot(**{**snapshot(under_fire=0.0).__dict__, "agreed": {name: 1}})
    rng = np.random.default_rng(11)
    plans, n = {"any": Plan(0)}, 1
    for j, issue in enumerate(SPACE.issues):
        for lv in range(issue.n_levels):
            if j != agreed and lv != issue.status_quo:
                plans[(j, lv)], n = Plan(n), n + 1
    for lv in range(SPACE.issues[ja].n_levels):
        for lu in range(SPACE.issues[jb].n_levels):
            if (ja, lv) in plans and (jb, lu) in plans:
                plans[(ja, jb, lv, lu)], n = Plan(n), n + 1
    sc = {"now": rng.normal(0, 1, n), "next": rng.normal(0, 1, n), "rollback": rng.normal(0, 1, n)}
    v, r = sc["next" if start else "now"], 0.123
    p = np.array([a.p_fire for a in snap.pending])  # plans without parts: p is not read
    d, gains, lumps, pairs = proj._gains(side, snap, plans, sc, np.zeros(len(p)), p, r, start)
    base = proj._base_levels(snap)
    assert base[agreed] == 1
    c0, intrinsic = proj._intrinsic(side, base)
    uf = under_fire_factor(0.0, snap.pending, side, start, BASE.irreversibility)
    if start and side == "china":  # the US hike due in week 4 comes before a deal in week 5
        assert uf != under_fire_factor(0.0, snap.pending, "us", start, BASE.irreversibility)
    cost = BASE.irreversibility.under_fire_cost
    assert d == pytest.approx(v[0] + c0 - r, rel=1e-12)
    projected = []
    for j, issue in enumerate(SPACE.issues):
        own = np.array([
            v[plans[(j, lv)].base] + c0 - r if (j, lv) in plans else 0.0
            for lv in range(issue.n_levels)
        ])  # fmt: skip
        back = np.array([
            -sc["rollback"][plans[(j, lv)].base] if (j, lv) in plans else 0.0
            for lv in range(issue.n_levels)
        ])  # fmt: skip
        fire = -cost * uf * np.maximum(0.0, -intrinsic[j])
        if j == agreed:
            own, back, fire = np.zeros_like(own), np.zeros_like(own), np.zeros_like(own)
        projected.append(own)
        np.testing.assert_allclose(gains[j], own + intrinsic[j] + fire, atol=1e-12)
        np.testing.assert_allclose(lumps[j], fire + back, atol=1e-12)
    assert any(np.any(np.maximum(0.0, -intrinsic[j]) > 0) for j in range(len(SPACE.issues)))
    (j, k, table), (_, _, with_agreed) = pairs
    assert (j, k) == (ja, jb) and not np.any(with_agreed)
    for lv in range(table.shape[0]):
        for lu in range(table.shape[1]):
            plan = plans.get((ja, jb, lv, lu))
            want = (
                0.0
                if plan is None
                else v[plan.base] + c0 - r - projected[ja][lv] - projected[jb][lu]
            )
            assert table[lv, lu] == pytest.approx(want, abs=1e-12)
    assert np.any(table != 0)


def test_bellman_holds_with_an_election_inside_the_first_gap():
    """ū carries the lumps of the weeks before t + Δ: with the election two weeks ahead (the
    US's electoral lump inside the first gap) r(t) = (1 − δ^Δ)·ū + δ^Δ·r(t + Δ) still holds."""
    proj = Projector(BASE, SPACE)
    election = proj.fp.election_dates[0]
    snap = Snapshot(**{**SNAP.__dict__, "date": election - dt.timedelta(weeks=2)})
    gap = 4
    assert 2 in proj._elections(snap, gap)
    val = proj.project(snap, gap=gap)
    for side in ("us", "china"):
        d = BASE.teams[side].patience ** gap
        bellman = (1 - d) * val.flow_no_deal[side] + d * val.r_next[side]
        assert val.r[side] == pytest.approx(bellman, abs=1e-9)


@pytest.mark.parametrize("exact", [False, True])
def test_deal_plans_cover_each_world_changing_level_and_each_pair_of_them(exact):
    """Plans: "any" (a deal in force, any_deal), one per level of an issue not agreed whose
    terms change the world (not its base level), and one per pair of such levels of issues
    valued jointly (none for a pair with an agreed issue); all start at ``start`` and pass
    ``exact`` on (exact: every announced action on its own path)."""
    from tradetalks.sim.projector_value import Batch

    proj = Projector(BASE, SPACE)
    agreed = 5
    proj.pairs = [(0, agreed), (0, 2)]  # the pair with the agreed issue first: skipped, not the end
    snap = Snapshot(**{**SNAP.__dict__, "agreed": {SPACE.issues[agreed].name: 1}})
    batch = Batch(snap.pending)
    plans = proj._deal_plans(batch, snap, 3, exact=exact)
    base = proj._base_levels(snap)
    singles = {
        (j, lv)
        for j, issue in enumerate(SPACE.issues)
        for lv in range(issue.n_levels)
        if j != agreed and proj._needs_path(j, lv, base[j])
    }
    pairs = {(0, 2, lv, lu) for (j, lv) in singles if j == 0 for (k, lu) in singles if k == 2}
    assert singles and pairs
    assert set(plans) == {"any"} | singles | pairs
    assert all(k[0] != agreed for k in singles) and (agreed, 1) not in plans
    for key, plan in plans.items():
        spec = batch.specs[plan.base]
        assert spec.deal_week == 3 and spec.any_deal == (key == "any")
        if exact:
            assert all(kind == "path" for _, kind, _ in plan.parts)
    if not exact:
        kinds = {kind for plan in plans.values() for _, kind, _ in plan.parts}
        assert kinds - {"path"}  # first order: some actions counted without their own path
    first = min(pairs)  # a pair's path carries both levels' terms
    joint = dict(batch.specs[plans[first].base].quantities)
    assert joint == {**proj.level_q[0][first[2]], **proj.level_q[2][first[3]]}


def test_a_joint_path_fires_exactly_the_actions_it_is_given():
    """``joint_path`` (the consistency checks' no-deal path): an action in ``fires`` raises its
    side's tariff by its pp from its week on, one left out changes nothing."""
    proj = Projector(BASE, SPACE)
    snap = snapshot()
    first = snap.pending[0]
    assert first.side == "us" and first.tariff_pp > 0
    weeks = first.weeks_ahead + 6
    none = proj.joint_path(snap, frozenset(), weeks)
    one = proj.joint_path(snap, frozenset({0}), weeks)
    horizon = proj.val.horizon_weeks + proj.val.round_gap_weeks
    assert none["us_tau"].shape == (1, horizon + 1)
    step = one["us_tau"][0] - none["us_tau"][0]
    k = first.weeks_ahead
    np.testing.assert_allclose(step[:k], 0.0)
    np.testing.assert_allclose(step[k:weeks], first.tariff_pp)  # row k: after week k's events
    assert none["approval"].shape[1] == weeks + 1  # the farm chain up to ``weeks``


@pytest.mark.parametrize("gap", [1, 4])
@pytest.mark.parametrize("patience", [0.99, 1.0])
def test_the_no_deal_flow_over_the_first_gap_is_its_formula(patience, gap):
    """ū = (Σ_{k<Δ} (1 − δ)δ^k·c_k + Σ_{k<Δ} δ^k·lump_k)/(1 − δ^Δ) + c0 on the no-deal mix of
    paths; with δ = 1 the plain mean of the flows + the lumps spread over Δ + c0. The election
    in the gap's last week puts a US lump inside it."""

    proj = Projector(BASE, SPACE)
    election = proj.fp.election_dates[0]
    snap = Snapshot(**{
        **snapshot(p_fire=0.4).__dict__, "date": election - dt.timedelta(weeks=gap - 1),
        "patience": {"us": patience, "china": patience},
    })  # fmt: skip
    val = proj.project(snap, gap=gap)
    nd, elections, sim = _no_deal_paths(proj, snap, gap)
    p = np.array([a.p_fire for a in snap.pending])
    for side in ("us", "china"):
        sc = proj._score(sim, snap, side, gap, elections)
        flow, lump = nd.mix(sc["flow"], p)[:gap], nd.mix(sc["lump"], p)[:gap]
        c0 = proj._intrinsic(side, proj._base_levels(snap))[0]
        if patience < 1:
            k = np.arange(gap)
            want = (flow @ ((1 - patience) * patience**k) + lump @ patience**k) / (
                1 - patience**gap
            ) + c0
        else:
            want = flow.mean() + lump.sum() / gap + c0
        assert val.flow_no_deal[side] == pytest.approx(want, rel=1e-9, abs=1e-12)
        assert (np.any(lump != 0)) == (side == "us")


def test_lumps_on_the_first_and_last_weeks_of_the_window_are_discounted_like_the_others():
    """An election one week ahead, and one in the window's last week (H − 1): each lump
    enters V(t) at δ^k; the terminal week H carries only the flow."""

    proj, gap = Projector(BASE, SPACE), 3
    election = proj.fp.election_dates[0]
    horizon = proj.val.horizon_weeks + gap
    delta = BASE.teams["us"].patience
    fp = proj.fp
    for k in (1, horizon - 1):
        snap = Snapshot(**{**SNAP.__dict__, "date": election - dt.timedelta(weeks=k)})
        _, elections, sim = _no_deal_paths(proj, snap, gap)
        assert k in elections
        sc = proj._score(sim, snap, "us", gap, elections)
        w = (1 - delta) * delta ** np.arange(horizon + 1)
        w[-1] = delta**horizon
        lump = np.zeros_like(sc["flow"])
        for e in elections:
            lump[:, e] = fp.electoral_weight * (sim["approval"][:, e] - fp.approval_reference)
        disc = delta ** np.arange(horizon + 1)
        disc[-1] = 0.0
        np.testing.assert_allclose(sc["now"], sc["flow"] @ w + lump @ disc, rtol=1e-12)


def test_aid_due_in_the_horizons_last_week_is_counted():
    proj = Projector(BASE, SPACE)
    ctx = proj._context(SNAP, 4)
    snap = Snapshot(**{**SNAP.__dict__, "aid": ((ctx.horizon, 1.0), (ctx.horizon + 1, 5.0))})
    aid = proj._context(snap, 4).aid_weeks
    assert aid[-1] == pytest.approx(BASE.world.farmers.aid_soy_share) and aid[:-1].sum() == 0


def test_a_projection_carries_its_week_and_the_next_rounds_interactions():
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.shipped import locate

    cfg = resolve_config(locate("scenarios/implementation"))
    assert cfg.valuation.joint_issues
    space = outcome_space(cfg)
    val = Projector(cfg, space).project(snapshot(cfg))
    assert val.week == 1
    for side in ("us", "china"):
        assert len(val.pairs_next[side]) == len(val.pairs[side]) == len(cfg.valuation.joint_issues)
    ((_, _, now),), ((_, _, nxt),) = val.pairs["us"], val.pairs_next["us"]
    assert np.any(nxt != 0) and not np.array_equal(now, nxt)  # its own, read at t + Δ


def test_exact_values_add_each_levels_intrinsic_change_and_under_fire_cost_to_its_joint_path():
    """``exact_values`` (the additive form's check): with nothing announced, a signed deal
    covering no issue is worth r + D; an agreed issue's level counts nothing (the row with it
    open is worth the same); under fire each level's conceded value costs −cost·uf·conceded
    on top of the path; ``gap`` defaults to ``valuation.round_gap_weeks``."""
    from tradetalks.sim.projector_value import under_fire_factor

    empty = np.full(len(SPACE.issues), OPEN)
    quiet = snapshot(no_actions=True)
    proj = Projector(BASE, SPACE)
    val = proj.project(quiet)
    got = proj.exact_values(quiet, empty)
    for side in ("us", "china"):
        assert got[side][0] == pytest.approx(val.r[side] + val.any_deal[side], abs=1e-12)
    rows = SPACE.levels[np.random.default_rng(2).choice(len(SPACE), 12, replace=False)]
    agreed = 3
    name = SPACE.issues[agreed].name
    fixed = Snapshot(**{**snapshot(under_fire=0.0).__dict__, "agreed": {name: 1}})
    opened = rows.copy()
    opened[:, agreed] = OPEN
    a, b = proj.exact_values(fixed, rows), proj.exact_values(fixed, opened)
    gap = BASE.valuation.round_gap_weeks
    explicit = proj.exact_values(fixed, rows, gap=gap)
    off = Projector(load_config(BASELINE, {"irreversibility.under_fire_cost": 0.0}), SPACE)
    plain = off.exact_values(fixed, rows)
    base = proj._base_levels(fixed)
    cost = BASE.irreversibility.under_fire_cost
    for side in ("us", "china"):
        np.testing.assert_allclose(a[side], b[side], rtol=1e-12)
        np.testing.assert_array_equal(a[side], explicit[side])
        uf = under_fire_factor(0.0, fixed.pending, side, 0, BASE.irreversibility)
        conceded = proj._conceded(side, base)
        want = [
            -cost
            * uf
            * sum(conceded[j][lv] for j, lv in enumerate(row) if lv != OPEN and j != agreed)
            for row in rows
        ]
        np.testing.assert_allclose(a[side] - plain[side], want, atol=1e-12)
    assert any(np.any(w != 0) for w in want)
