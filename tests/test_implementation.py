"""After the signature (issue 12, first part): China's state buyers deliver a share of the
purchases due, by a rule of prices, demand and the US tariffs kept (core-v2 §1 G)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given
from hypothesis import strategies as st
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import load_config
from tradetalks.sim.config_valuation import ImplementationConfig
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.shipped import locate
from tradetalks.sim.world import World

SCENARIO = locate("scenarios/implementation")
IMP = load_config(SCENARIO).implementation


@given(
    price=st.floats(0.5, 1.5),
    burden=st.floats(0.0, 1.0),
    demand=st.floats(0.5, 1.5),
)
def test_the_rule_moves_with_prices_demand_and_tariffs_kept(price, burden, demand):
    f = float(dyn.fulfilment_rate(price, burden, demand, IMP))
    assert 0.0 <= f <= IMP.cap
    if f < IMP.cap and f > 0:  # inside the bounds each force moves it the stated way
        assert dyn.fulfilment_rate(price * 1.05, burden, demand, IMP) < f  # dearer US beans
        assert dyn.fulfilment_rate(price, burden, demand * 0.95, IMP) < f  # less demand
    assert dyn.fulfilment_rate(price, burden, demand, None) == 1.0  # no stage: all delivered


def _world(imp: ImplementationConfig | None, us_tariff: float) -> World:
    cfg = load_config(BASELINE)
    w = World(cfg.world, cfg.irreversibility, imp)
    w.state.ag_commitment_bn, w.state.ag_commitment_week = 30.0, 0
    w.state.us_tariff_avg = us_tariff
    for week in range(1, 27):
        w.update_trade(week)
    return w


def test_tariffs_kept_raise_deliveries_and_no_stage_delivers_everything():
    base = load_config(BASELINE).world.trade.us_tariff_base
    kept, lifted = _world(IMP, 21.2), _world(IMP, base)
    assert kept.state.ag_delivered_bn > lifted.state.ag_delivered_bn  # the hostage motive
    off = IMP.model_copy(update={"hostage_weight": 0.0})
    assert _world(off, 21.2).state.ag_delivered_bn == pytest.approx(
        _world(off, base).state.ag_delivered_bn
    )
    full = _world(None, 21.2)
    assert full.state.ag_delivered_bn == pytest.approx(full.state.ag_due_bn)
    assert kept.state.ag_due_bn == pytest.approx(full.state.ag_due_bn)


def test_a_run_reports_fulfilment_by_quarter():
    model = TradeTalksModel(SCENARIO, rng=1, overrides={"world.farmers.count": 150})
    summary = model.run()
    quarters = summary["fulfilment"]
    assert quarters, "the scenario's seed 1 signs purchases"
    for q in quarters:
        assert q["delivered_bn"] == pytest.approx(q["share"] * q["due_bn"], abs=1e-5)
        assert 0.0 < q["share"] <= IMP.cap
    total = sum(q["delivered_bn"] for q in quarters)
    assert total == pytest.approx(model.world.state.ag_delivered_bn, abs=1e-5)
    assert np.isclose(
        model.world.state.ag_delivered_bn / model.world.state.ag_due_bn,
        sum(q["delivered_bn"] for q in quarters) / sum(q["due_bn"] for q in quarters),
    )


def test_without_the_stage_every_purchase_is_delivered():
    summary = TradeTalksModel(BASELINE, rng=1, overrides={"world.farmers.count": 150}).run()
    assert all(q["share"] == pytest.approx(1.0) for q in summary["fulfilment"])


def _projected_after(cfg, weeks: int = 4):
    from tradetalks.sim.snapshot import snapshot

    model = TradeTalksModel(cfg, rng=1, collect_series=False)
    for _ in range(weeks):
        model.step()
    return model, snapshot(model)


def _us_values(cfg, model, snap):
    from tradetalks.sim.projector import Projector

    return Projector(cfg, model.space).project(snap, gap=4).utility("us", model.space)


def test_purchases_and_tariffs_valued_jointly_make_full_rollback_worth_less():
    """valuation.joint_issues: with deliveries tied to the tariffs kept, purchases are worth
    less to the US under a full rollback than under a partial cut — an interaction per-issue
    paths cannot see; with the pair removed (or the delivery link cut) it is gone."""
    cfg = load_config(SCENARIO)
    assert cfg.valuation.joint_issues == [["ag_purchases", "us_tariffs"]]
    model, snap = _projected_after(cfg)
    space = model.space
    deal = {"ag_purchases": "20", "cn_tariffs": "waive farm tariffs"}
    full = space.index_of({**deal, "us_tariffs": "full rollback"})
    cut = space.index_of({**deal, "us_tariffs": "also cut 4A"})
    joint = _us_values(cfg, model, snap)
    additive = _us_values(
        cfg.model_copy(update={"valuation": cfg.valuation.model_copy(update={"joint_issues": []})}),
        model,
        snap,
    )
    unlinked_cfg = cfg.model_copy(
        update={"implementation": cfg.implementation.model_copy(update={"hostage_weight": 0.0})}
    )
    unlinked = _us_values(unlinked_cfg, model, snap)
    # the pair moves both outcomes' values, full rollback by more (fewer purchases delivered)
    loss = (joint[full] - joint[cut]) - (additive[full] - additive[cut])
    assert loss < -1e-4
    unlinked_additive = _us_values(
        unlinked_cfg.model_copy(
            update={"valuation": cfg.valuation.model_copy(update={"joint_issues": []})}
        ),
        model,
        snap,
    )
    gone = (unlinked[full] - unlinked[cut]) - (unlinked_additive[full] - unlinked_additive[cut])
    assert abs(gone) < abs(loss) / 10
    # an outcome leaving either issue open is valued as before
    open_tariffs = space.index_of(deal)
    assert joint[open_tariffs] == pytest.approx(additive[open_tariffs], abs=1e-12)


def test_joint_issues_must_name_two_issues():
    from tradetalks.sim.config import ConfigError

    with pytest.raises(ConfigError, match="joint_issues"):
        load_config(SCENARIO, {"valuation.joint_issues": [["ag_purchases", "soybeans"]]})
    with pytest.raises(ConfigError, match="joint_issues"):
        load_config(SCENARIO, {"valuation.joint_issues": [["us_tariffs", "us_tariffs"]]})
