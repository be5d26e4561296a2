"""The world's equations (sim/dynamics.py): World and FarmerPopulation call them, the deal
terms say what a level does relative to the state at signature, the farm chain is concave."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.agents.farm_population import initial_population
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import load_config
from tradetalks.sim.config_valuation import IrreversibilityConfig
from tradetalks.sim.world import World

from tests.helpers import BASELINE

CFG = load_config(BASELINE)
W = CFG.world


def test_world_trade_is_the_shared_equation():
    world = World(W)
    world.state.us_tariff_avg, world.state.cny_usd = 27.0, 7.2
    world.update_trade(week=3)
    us, cn = dyn.trade_flows(27.0, world.state.cn_tariff_avg, 7.2, W.trade, W.pboc.cny_anchor)
    assert (world.state.us_imports_bn, world.state.cn_imports_bn) == (us, cn)
    assert world.state.soybean_price == dyn.soybean_price(
        world.state.soybean_exports_bn, W.soybeans
    )


def test_the_equations_take_arrays_of_paths():
    tau = np.array([[10.0, 20.0], [30.0, 40.0]])
    us, _ = dyn.trade_flows(tau, tau, 7.0, W.trade, W.pboc.cny_anchor)
    assert us.shape == (2, 2) and np.all(np.diff(us, axis=1) < 0)
    scalar, _ = dyn.trade_flows(30.0, 30.0, 7.0, W.trade, W.pboc.cny_anchor)
    assert us[1, 0] == pytest.approx(scalar)


def _state(world: World) -> dict[str, float]:
    return {k: v for k, v in vars(world.state).items() if isinstance(v, float | int)}


def test_cancelling_scheduled_hikes_costs_no_rollback_but_rolling_back_fired_ones_does():
    world = World(W)
    world.state.us_threat_pp = 7.25
    cancel = {"us_cancel_scheduled": 1.0}
    terms = dyn.deal_terms(_state(world), cancel, world.fired, W.trade, W.soybeans)
    assert terms.ended == {"us"} and terms.rolled_back_pp["us"] == 0.0
    assert terms.tariffs["us_threat_pp"] == 0.0
    world.escalate("us", 4.75, 0.0)  # 4B fires: now "suspend 4B" is a rollback
    both = {**cancel, "us_rollback_fired": 1.0}
    terms = dyn.deal_terms(_state(world), both, world.fired, W.trade, W.soybeans)
    assert terms.rolled_back_pp["us"] == pytest.approx(4.75)
    assert terms.tariffs["us_tariff_avg"] == pytest.approx(W.trade.us_tariff_start)


def test_fired_retaliation_persists_by_the_configured_share():
    irr = IrreversibilityConfig(retaliation_persistence=0.25)
    world = World(W, irr)
    world.escalate("china", 2.0, 5.0)
    world.apply_terms({"cn_cancel_scheduled": 1.0, "cn_rollback_fired": 1.0}, week=3)
    assert world.state.cn_tariff_avg == pytest.approx(W.trade.cn_tariff_start + 0.5)
    assert world.state.soy_tariff == pytest.approx(W.soybeans.soy_tariff_start + 1.25)


def test_full_rollback_stops_at_the_base_and_mfn():
    world = World(W)
    q = {"cn_cancel_scheduled": 1.0, "cn_rollback_pp": 63.0, "soy_rollback_pp": 63.0}
    world.apply_terms(q, week=1)
    assert world.state.cn_tariff_avg == W.trade.cn_tariff_base
    assert world.state.soy_tariff == W.soybeans.soy_tariff_mfn


def test_legacy_absolute_quantities_still_apply():
    world = World(W)
    ended = world.apply_terms({"us_tariff_avg": 10.0, "us_threat_pp": 1.0}, week=1)
    assert ended == {"us"} and world.state.us_tariff_avg == 10.0 and world.state.us_threat_pp == 1.0


def test_soy_hysteresis_only_while_the_soy_tariff_is_above_mfn():
    world = World(W, IrreversibilityConfig(soy_hysteresis=0.01))
    for week in range(1, 11):
        world.update_trade(week)
    assert world.state.soy_market_lost == pytest.approx(1 - 0.99**11)  # week 0 too
    world.state.soy_tariff = W.soybeans.soy_tariff_mfn
    lost = world.state.soy_market_lost
    world.update_trade(11)
    assert world.state.soy_market_lost == lost
    assert World(W).state.soy_market_lost == 0.0  # off without the section


@settings(max_examples=50, deadline=None)
@given(st.floats(0.6, 1.2), st.floats(0.0, 20.0))
def test_farm_income_is_the_revenue_weighted_welfare_on_the_usda_scale(price, aid):
    """Income ($bn) from the chain equals R × the population's revenue-weighted welfare."""
    _, pop = initial_population(W.farmers, np.random.default_rng(3))
    pop.pay_aid(aid)
    pop.update(price, 0.0)
    chain = dyn.farm_income_bn(price, pop.soy_aid_bn, W.farmers, pop.soy_mean)
    assert pop.farm_income_bn == pytest.approx(chain, rel=1e-9)


def test_acreage_approval_is_concave_in_farm_income_over_the_relevant_range():
    """Core-v2 §2.1 relies on it: more aid lowers the marginal approval of income.  A mean of
    logistics is concave where approval is above about one half: incomes from 0.9 of normal
    up (the 2019 soybean price was about 0.82 of normal, but aid lifts income above 0.9)."""
    _, pop = initial_population(W.farmers, np.random.default_rng(5))
    income = np.linspace(0.9, 1.2, 31)
    approval = [
        pop.revenue_share @ dyn.approval_target(pop.leaning, x, 0.0, W.farmers) for x in income
    ]
    assert np.all(np.diff(approval, 2) < 0)


def test_the_aggregate_reproduces_the_population_now():
    _, pop = initial_population(W.farmers, np.random.default_rng(2))
    pop.update(0.85, 0.0)
    agg = pop.aggregate(12, 3)
    assert agg.acre_share.sum() == pytest.approx(1.0) and agg.count_share.sum() == pytest.approx(1)
    assert agg.count_share @ agg.approval == pytest.approx(pop.mean_approval)
    assert agg.acreage_approval == pytest.approx(pop.acreage_approval, abs=0.01)
