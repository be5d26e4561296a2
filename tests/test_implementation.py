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


# ------------------------------------------------------------------ relations (talks signal)
RELATIONS = IMP.relations_weight


@given(price=st.floats(0.5, 1.5), burden=st.floats(0.0, 1.0), talks=st.floats(-2.0, 2.0))
def test_the_rule_moves_with_relations_only_when_weighted(price, burden, talks):
    f = float(dyn.fulfilment_rate(price, burden, 1.0, IMP, talks))
    if 0 < f < IMP.cap:  # inside the bounds better relations raise deliveries, by the weight
        up = float(dyn.fulfilment_rate(price, burden, 1.0, IMP, talks + 0.1))
        assert up > f
        if up < IMP.cap:
            assert up - f == pytest.approx(0.1 * RELATIONS, rel=1e-9)
    off = IMP.model_copy(update={"relations_weight": 0.0})
    assert dyn.fulfilment_rate(price, burden, 1.0, off, talks) == dyn.fulfilment_rate(
        price, burden, 1.0, off, 0.0
    )


def _after_scripted(event: str, weight: float, monkeypatch) -> tuple[float, float]:
    """The share delivered in the week after a scripted ``event`` ("none", "escalation" or
    "gesture") in week 3 of the scenario's seed 1 with a purchase commitment in force, and
    the talks signal the next week's trade step reads."""
    from tradetalks.agents.makers import Decision
    from tradetalks.sim.config_calendar import TariffAction
    from tradetalks.sim.model import CalendarEvent

    overrides = {"world.farmers.count": 150, "implementation.relations_weight": weight}
    model = TradeTalksModel(SCENARIO, rng=1, overrides=overrides, collect_series=False)
    for _ in range(3):
        model.step()
    st_ = model.world.state
    st_.ag_commitment_bn, st_.ag_commitment_week, st_.deal_in_force = 30.0, -30, True
    week = model.steps
    # China's non-farm retaliation: no soybean tariff, so prices and US tariffs stay put
    action = TariffAction(
        date=model.start_date, side="china", label="scripted", tariff_delta_pp=5.0
    )
    if event == "escalation":
        model.tariffs.fire("china", action, week)
    elif event == "gesture":  # China's maker postpones the action indefinitely
        maker = model.tariffs.makers["china"]
        decision = Decision(week, "china", "postpone", action.label, 0.0, None)
        monkeypatch.setattr(maker, "decide_due", lambda *_: decision)
        model.tariffs.due(CalendarEvent(model, "tariff", week, action))
    signal = model.talks_signal
    model.step()
    return st_.ag_fulfilment, signal


def test_deliveries_fall_after_an_escalation_and_rise_after_a_gesture(monkeypatch):
    """implementation.relations_weight: the week after a scripted escalation China's buyers
    deliver less, after a gesture more, by the weight times the signal's jump; with the
    weight at 0 neither changes deliveries (the prices and US tariffs they read are equal)."""
    assert RELATIONS > 0
    g = load_config(SCENARIO).world.gestures
    for weight in (RELATIONS, 0.0):
        calm, s0 = _after_scripted("none", weight, monkeypatch)
        hit, s1 = _after_scripted("escalation", weight, monkeypatch)
        kind, s2 = _after_scripted("gesture", weight, monkeypatch)
        assert s1 - s0 == pytest.approx(g.talks_signal_escalation)
        assert s2 - s0 == pytest.approx(g.talks_signal_gesture)
        assert 0 < min(hit, calm, kind) and max(hit, calm, kind) < IMP.cap  # not clipped
        if weight:
            assert hit < calm < kind
            assert calm - hit == pytest.approx(-weight * g.talks_signal_escalation, rel=1e-6)
            assert kind - calm == pytest.approx(weight * g.talks_signal_gesture, rel=1e-6)
        else:
            assert hit == calm == kind


def test_world_and_projector_read_the_same_talks_signal_week_by_week():
    """The projector's trade step reads each path's talks signal as the world reads the
    model's (after last week's events, before this week's decay): with shocks at zero, a
    commitment in force, a gesture's signal in the snapshot and China's non-farm retaliation
    firing in week 2, the shares delivered and soybean exports agree week by week, and
    differ from those of the rule without relations."""
    from tradetalks.agents.farm_population import initial_population
    from tradetalks.sim.projector import PendingAction, Projector, Snapshot, state_numbers
    from tradetalks.sim.spaces import outcome_space
    from tradetalks.sim.start import initial_world

    cfg = load_config(SCENARIO, {"world.growth.shock_sd": 0.0})
    g, decay = cfg.world.gestures, 1 - cfg.world.farmers.talks_signal_decay
    weeks, fire_week, pp = 6, 2, 5.0

    def realised(c) -> tuple[np.ndarray, np.ndarray]:
        world = initial_world(c)
        world.state.ag_commitment_bn, world.state.ag_commitment_week = 40.0, 0
        world.state.deal_in_force = True
        talks, rate, exports = g.talks_signal_gesture, [], []
        for k in range(1, weeks + 1):
            world.update_trade(k, talks)
            talks *= decay  # the model's _update_domestic
            if k == fire_week:
                world.escalate("china", pp, 0.0)
                talks += g.talks_signal_escalation
            rate.append(world.state.ag_fulfilment), exports.append(world.state.soybean_exports_bn)
        return np.array(rate), np.array(exports)

    def projected(c) -> tuple[np.ndarray, np.ndarray]:
        world = initial_world(c)
        world.state.ag_commitment_bn, world.state.ag_commitment_week = 40.0, 0
        world.state.deal_in_force = True
        _, farmers = initial_population(c.world.farmers, np.random.default_rng(1))
        v = c.valuation
        snap = Snapshot(
            0, c.run.start_date, state_numbers(world.state),
            farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy),
            (PendingAction("china", fire_week, pp, 0.0, 1.0, "scripted"),),
            talks_signal=g.talks_signal_gesture,
        )  # fmt: skip
        path = Projector(c, outcome_space(c)).joint_path(snap, frozenset({0}), weeks)
        return path["ag_rate"][0, :weeks], path["soy_exports"][0, 1 : weeks + 1]

    rate, exports = realised(cfg)
    p_rate, p_exports = projected(cfg)
    np.testing.assert_allclose(p_rate, rate, rtol=1e-12)
    np.testing.assert_allclose(p_exports, exports, rtol=1e-12)
    off = cfg.model_copy(
        update={"implementation": cfg.implementation.model_copy(update={"relations_weight": 0.0})}
    )
    rate_off, _ = realised(off)
    np.testing.assert_allclose(projected(off)[0], rate_off, rtol=1e-12)
    # the signal bites: a gesture lifts the first weeks, the retaliation cuts the ones after
    assert rate[0] > rate_off[0] and rate[fire_week] < rate_off[fire_week]
