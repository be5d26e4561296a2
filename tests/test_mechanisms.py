"""Unit tests of each mechanism: outcome space, payoffs, protocol, world, agents, calendar."""

from __future__ import annotations

import datetime as dt

import mesa
import networkx as nx
import numpy as np
import pytest
from helpers import BASELINE, LEGACY, SMALL, TWO_LEVEL
from tradetalks.agents.central_banks import Fed, PBoC
from tradetalks.agents.farmers import Farmer, FarmerPopulation
from tradetalks.agents.negotiators import Negotiator, Team
from tradetalks.sim.config import ConfigError, load_config
from tradetalks.sim.issues import OPEN, OutcomeSpace, issues_from_config
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.payoffs import Ratifier, blend_weights, reservation_value, shifted_influence
from tradetalks.sim.protocol import Negotiation
from tradetalks.sim.world import World


@pytest.fixture(scope="module")
def cfg():
    return load_config(BASELINE, {**SMALL, **TWO_LEVEL})  # tests of the ratifiers use both


@pytest.fixture(scope="module")
def space(cfg):
    return OutcomeSpace(issues_from_config(cfg), allow_interim=True, min_issues=1)


@pytest.fixture(scope="module")
def legacy():
    """The first version's model: pressure-shifted influence and the walk-away index."""
    return load_config(LEGACY, SMALL)


# ------------------------------------------------------------------ outcome space
def test_space_counts_full_and_interim_deals(cfg, space):
    sizes = [len(i.levels) for i in cfg.issues.values()]
    full = OutcomeSpace(issues_from_config(cfg), allow_interim=False)
    assert len(full) == np.prod(sizes)
    assert len(space) == np.prod([s + 1 for s in sizes]) - 1  # minus the empty deal
    assert not (space.levels == OPEN).all(axis=1).any()


def test_open_issue_is_valued_at_status_quo(cfg, space):
    idx = space.index_of({"ag_purchases": "30"})
    contrib = space.contributions("us")[idx]
    for j, issue in enumerate(space.issues):
        expected = issue.values["us"][issue.status_quo] if issue.name != "ag_purchases" else 0.8
        assert contrib[j] == pytest.approx(expected)


def test_terms_and_index_round_trip(space):
    rng = np.random.default_rng(0)
    for idx in rng.integers(0, len(space), 50):
        assert space.index_of(space.terms(int(idx))) == idx


def test_non_negotiable_issue_is_never_covered(cfg):
    c = load_config(BASELINE, {**SMALL, "issues.huawei.negotiable": False})
    sp = OutcomeSpace(issues_from_config(c), allow_interim=True)
    j = sp.names.index("huawei")
    assert not sp.covered[:, j].any()


def test_consistent_with_keeps_agreed_and_adds_more(space):
    j = space.names.index("ag_purchases")
    mask = space.consistent_with({j: 3})
    assert (space.levels[mask, j] == 3).all()
    assert space.covered[mask][:, [k for k in range(space.n_issues) if k != j]].any(axis=1).all()


# ------------------------------------------------------------------ payoffs
def test_blend_weights_is_influence_weighted_and_sums_to_one():
    w = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    out = blend_weights(w, np.array([3.0, 1.0]))
    assert out == pytest.approx([0.75, 0.25]) and out.sum() == pytest.approx(1)


def test_pressure_shifts_influence_toward_sensitive_members():
    base, sens = np.array([0.5, 0.5]), np.array([2.0, 0.0])
    calm, stressed = shifted_influence(base, sens, 0.0), shifted_influence(base, sens, 0.8)
    assert calm == pytest.approx([0.5, 0.5])
    assert stressed[0] > 0.5 and stressed.sum() == pytest.approx(1)


def test_us_blend_moves_toward_farm_issues_under_distress(legacy):
    model = mesa.Model(rng=0)
    space = OutcomeSpace(issues_from_config(legacy), allow_interim=True, min_issues=1)
    team = Team(model, "us", legacy.teams["us"], space)
    pressures = dict.fromkeys(
        [
            "farm_distress",
            "soy_loss",
            "us_tariff_burden",
            "cn_tariff_burden",
            "export_loss",
            "us_growth_shortfall",
            "cn_growth_shortfall",
            "trade_uncertainty",
            "manipulator",
            "huawei_pressure",
        ],
        0.0,
    )
    team.update(pressures)
    calm = team.weights[space.names.index("ag_purchases")]
    team.update({**pressures, "farm_distress": 1.0, "soy_loss": 1.0})
    assert team.weights[space.names.index("ag_purchases")] > calm
    assert team.weights.sum() == pytest.approx(1)
    assert all(isinstance(m, Negotiator) for m in team.members.values())


def test_reservation_falls_with_pressure_and_is_clipped(legacy):
    res = legacy.teams["us"].reservation
    zero = dict.fromkeys(res.coefficients, 0.0)
    assert reservation_value(res, zero) == pytest.approx(res.base)
    hurt = {**zero, "farm_distress": 1.0}
    assert reservation_value(res, hurt) < res.base
    assert 0.0 <= reservation_value(res, dict.fromkeys(res.coefficients, 1.0)) <= 1.0


def test_ratifier_support_follows_indicator_and_values(cfg, space):
    farmers = Ratifier("farmers", cfg.ratifiers["farmers"], space)
    more_ag = space.index_of({"ag_purchases": "50"})
    none_ag = space.index_of({"ag_purchases": "0"})
    sup = farmers.support({"farm_approval": 0.5})
    assert sup[more_ag] > sup[none_ag] == pytest.approx(0.5)
    low = farmers.winset({"farm_approval": 0.0})
    high = farmers.winset({"farm_approval": 0.9})
    assert low.sum() < high.sum()


# ------------------------------------------------------------------ protocol
class Scripted:
    """A scripted strategy: always offers one outcome, aspires to a fixed utility."""

    def __init__(self, outcome: int, aspiration: float) -> None:
        self.outcome, self.level = outcome, aspiration

    def aspiration(self, view):
        return self.level

    def propose(self, view):
        return self.outcome


class StubTeam:
    def __init__(self, side, utility, strategy, reservation=0.0):
        self.side, self._u, self.strategy = side, utility, strategy
        self.reservation, self.patience = reservation, 1.0

    def utility(self):
        return self._u

    def strategy_for(self, level):
        return self.strategy


def _negotiation(cfg, space, us_offer, cn_offer, us_asp=0.5, cn_asp=0.5, ratifiers=()):
    u_us = space.utility("us", space.weight_vector(cfg.teams["us"].members["ustr"].weights))
    u_cn = space.utility("china", space.weight_vector(cfg.teams["china"].members["deputy"].weights))
    teams = {
        "us": StubTeam("us", u_us, Scripted(us_offer, us_asp)),
        "china": StubTeam("china", u_cn, Scripted(cn_offer, cn_asp)),
    }
    return Negotiation(space, teams, list(ratifiers), cfg.protocol, 52), teams


def test_acceptance_needs_aspiration(cfg, space):
    x = space.index_of({"ag_purchases": "20", "huawei": "removal"})
    neg, _ = _negotiation(cfg, space, x, x, cn_asp=1.01)
    assert neg.run_round(1, "principal", {"farm_approval": 0.6}) is None
    neg2, _ = _negotiation(cfg, space, x, x, cn_asp=0.0, us_asp=0.0)
    deal = neg2.run_round(1, "principal", {"farm_approval": 0.6})
    assert deal is not None and deal.terms == {"ag_purchases": "20", "huawei": "removal"}


def test_offer_outside_a_winset_fails_even_if_both_like_it(cfg, space):
    x = space.index_of({"huawei": "removal"})  # Congress will not ratify Huawei removal alone
    congress = Ratifier("congress", cfg.ratifiers["congress"], space)
    assert not congress.winset({})[x]
    neg, _ = _negotiation(cfg, space, x, x, 0.0, 0.0, ratifiers=[congress])
    assert neg.run_round(1, "principal", {"farm_approval": 0.6}) is None
    assert neg.history[0].blocked_by_ratification and not neg.history[0].accepted


def test_deputies_settle_texts_principals_close(cfg, space):
    x = space.index_of({"ag_purchases": "30", "fentanyl": "enforcement"})
    neg, _ = _negotiation(cfg, space, x, x, 0.0, 0.0)
    assert neg.run_round(1, "deputy", {"farm_approval": 0.6}) is None
    assert neg.settled_text == x and neg.phase == "text settled" and not neg.deals
    deal = neg.run_round(2, "principal", {"farm_approval": 0.6})
    assert deal is not None and deal.outcome == x and deal.interim
    assert len(neg.history) == 1, "principals signed the settled text without new offers"


def test_interim_deal_restricts_later_offers(cfg, space):
    x = space.index_of({"ag_purchases": "30"})
    neg, _ = _negotiation(cfg, space, x, x, 0.0, 0.0)
    neg.run_round(1, "principal", {"farm_approval": 0.6})
    avail = neg.available
    j = space.names.index("ag_purchases")
    assert (space.levels[avail, j] == 3).all()
    assert not avail[x], "the same deal cannot be signed twice"
    with pytest.raises(ValueError):
        avail[0] = True  # the view is read-only


# ------------------------------------------------------------------ world
def test_tariffs_cut_trade_and_soybeans(cfg):
    w = World(cfg.world)
    base_imports, base_soy = w.state.us_imports_bn, w.state.soybean_exports_bn
    w.escalate("us", 10.0, 0.0)
    w.escalate("china", 5.0, 10.0)
    w.update_trade(week=1)
    assert w.state.us_imports_bn < base_imports
    assert w.state.soybean_exports_bn < base_soy
    assert w.state.escalations == 2


def test_soybean_calibration_matches_2018_fall(cfg):
    """At a 28% soybean tariff exports fall from $12.2bn to about $3.1bn (facts)."""
    w = World(cfg.world)
    w.state.soy_tariff = 28.0
    w.update_trade(week=1)
    assert w.state.soybean_exports_bn == pytest.approx(3.1, abs=0.3)


def test_deal_terms_set_world_and_end_scheduled_actions(cfg):
    w = World(cfg.world)
    ended = w.apply_terms(
        {"us_tariff_avg": 19.5, "us_keeps_schedule": 0.0, "lift_label": 1.0, "ag_extra_bn": 40.0},
        week=5,
    )
    assert ended == {"us"} and w.state.us_tariff_avg == 19.5 and not w.state.manipulator
    w.update_trade(week=5 + cfg.world.soybeans.purchase_ramp_weeks)
    assert w.state.soybean_exports_bn > cfg.world.soybeans.exports_normal_bn * 0.5
    kept = World(cfg.world).apply_terms({"us_tariff_avg": 28.4, "us_keeps_schedule": 1.0}, 1)
    assert kept == set()


# ------------------------------------------------------------------ agents
def test_farmer_update_matches_a_per_farmer_reference(cfg):
    fc = cfg.world.farmers.model_copy(update={"count": 30})
    g = nx.watts_strogatz_graph(30, 4, 0.2, seed=1)
    pop = FarmerPopulation(fc, np.random.default_rng(1), g)
    before = pop.approval.copy()
    pop.update(price_ratio=0.8, talks_signal=0.5)
    for i in range(30):
        income = (1 - pop.soy_share[i]) + pop.soy_share[i] * 0.8
        target = 1 / (
            1
            + np.exp(
                -(pop.leaning[i] + fc.welfare_response * (income - 1) + fc.talks_response * 0.5)
            )
        )
        social = np.mean([before[j] for j in g.neighbors(i)])
        expect = (
            before[i]
            + fc.own_adjustment * (target - before[i])
            + fc.social_adjustment * (social - before[i])
        )
        assert pop.approval[i] == pytest.approx(min(1, max(0, expect)))


def test_aid_raises_income_and_approval(cfg):
    fc = cfg.world.farmers.model_copy(update={"count": 50})
    g = nx.watts_strogatz_graph(50, 4, 0.1, seed=2)
    a = FarmerPopulation(fc, np.random.default_rng(3), g)
    b = FarmerPopulation(fc, np.random.default_rng(3), g)
    paid = b.pay_aid(10.0)
    assert paid == pytest.approx(10.0 * fc.aid_soy_share)
    for pop in (a, b):
        pop.update(price_ratio=0.85, talks_signal=0.0)
    assert b.income_index > a.income_index and b.mean_approval > a.mean_approval
    assert b.mean_distress < a.mean_distress


def test_fed_cuts_under_uncertainty_and_respects_bounds(cfg):
    model = mesa.Model(rng=0)
    w = World(cfg.world)
    fed = Fed(model, cfg.world.fed, cfg.world.growth, w.state)
    w.state.trade_uncertainty = 1.0
    start = w.state.fed_rate
    fed.meet()
    assert w.state.fed_rate == pytest.approx(start - cfg.world.fed.step)
    for _ in range(40):
        fed.meet()
    assert w.state.fed_rate >= cfg.world.fed.lower_bound


def test_pboc_label_after_weeks_above_threshold_and_pledge_cap(cfg):
    model = mesa.Model(rng=0)
    pc = cfg.world.pboc.model_copy(
        update={"shock_sd": 0.0, "manipulator_start": False, "cny_start": 7.2}
    )
    w = World(cfg.world.model_copy(update={"pboc": pc}))
    w.state.us_tariff_avg = 40.0
    pboc = PBoC(model, pc, cfg.world.growth, w.state, 21.2)
    assert pboc.target_rate() > pc.threshold
    for _ in range(pc.designation_weeks):
        pboc.step()
    assert w.state.manipulator
    w.state.currency_pledge = 1.0
    assert pboc.target_rate() <= pc.threshold - pc.pledge_margin


# ------------------------------------------------------------------ model and calendar
def test_model_is_mesa_model_with_full_cast():
    m = TradeTalksModel(config=BASELINE, rng=1, overrides=SMALL, farmer_agents=True)
    types = {t.__name__ for t in m.agent_types}
    assert {"Team", "Negotiator", "Farmer", "Fed", "PBoC"} <= types
    assert len(m.agents_by_type[Farmer]) == SMALL["world.farmers.count"]
    assert {r.title for r in m.teams["us"].members.values()} >= {
        "President",
        "US Trade Representative",
    }
    farmer = m.agents_by_type[Farmer][0]
    assert farmer.cell in m.network.all_cells
    assert len(list(farmer.cell.neighborhood)) >= 2


def test_tariff_deadline_fires_when_not_postponed():
    m = TradeTalksModel(  # the legacy postponement logit (core v2: the tariff makers)
        config=LEGACY,
        rng=1,
        overrides={**SMALL, "world.gestures.postpone_bias": -50.0, "calendar.rounds": []},
    )
    m.run()
    assert len(m.escalation_log) == 3
    assert m.world.state.us_tariff_avg == pytest.approx(21.2 + 2.5 + 4.75)


def test_postponement_is_a_gesture_with_audience_cost():
    m = TradeTalksModel(  # legacy: the audience cost is a shift of the home ratifiers
        config=LEGACY,
        rng=1,
        overrides={
            **SMALL,
            "world.gestures.postpone_bias": 50.0,
            "world.gestures.reciprocate_probability": 1.0,
            "calendar.rounds": [],
        },
    )
    congress = next(r for r in m.ratifiers if r.name == "congress")
    m.run()
    assert not m.escalation_log
    kinds = {g["kind"] for g in m.gestures}
    assert kinds == {"postponement", "reciprocation"}
    assert congress.base_shift < 0
    assert m.negotiation.goodwill["china"] > 0


def test_patience_change_and_aid_tranche_apply_on_their_dates():
    m = TradeTalksModel(config=LEGACY, rng=1, overrides=SMALL)  # v2 has no patience changes
    cfg = m.config
    aid_week = cfg.week_of(cfg.calendar.farm_aid[0].date)
    while m.steps < aid_week - 1:
        m.step()
    assert m.world.state.farm_aid_paid_bn == 0
    m.step()
    assert m.world.state.farm_aid_paid_bn > 0
    change = cfg.calendar.patience_changes[0]
    while m.steps < cfg.week_of(change.date):
        m.step()
    assert m.teams[change.team].patience == change.patience


def test_shorter_run_drops_later_events_and_stops():
    m = TradeTalksModel(config=BASELINE, rng=1, overrides={**SMALL, "run.weeks": 5})
    s = m.run()
    assert s["weeks"] == 5 and m.steps == 5
    assert all(e.week <= 5 for e in m._events)
    assert len(m.timeseries()) == 6  # week 0 plus five weeks


def test_datacollector_keys_weeks_and_has_contract_series():
    m = TradeTalksModel(config=BASELINE, rng=2, overrides={**SMALL, "run.weeks": 6})
    m.run()
    df = m.timeseries()
    for col in (
        "us_tariff_avg",
        "cn_tariff_avg",
        "soybean_exports_bn",
        "soybean_price",
        "farm_income_index",
        "farm_approval",
        "farm_aid_paid_bn",
        "fed_rate",
        "cny_usd",
        "manipulator",
        "huawei_status",
        "us_reservation",
        "china_reservation",
        "last_offer_us_utility",
        "last_offer_china_utility",
        "phase",
        "deal_status",
    ):
        assert col in df.columns
    assert df["week"].tolist() == list(range(7))
    assert df["date"].iloc[1] == "2019-09-16"


def test_overrides_as_keyword_arguments_work_with_batch_run():
    rows = mesa.batch_run(
        TradeTalksModel,
        {"config": str(BASELINE), "run.weeks": 3, "world.farmers.count": [30, 40]},
        number_processes=1,
        rng=[1],
        display_progress=False,
        max_steps=10,
    )
    assert sorted(r["world.farmers.count"] for r in rows) == [30, 40]
    assert all(r["Step"] == 3 for r in rows)


def test_bad_override_in_model_raises_config_error():
    with pytest.raises(ConfigError) as exc:
        TradeTalksModel(config=BASELINE, rng=1, overrides={"teams.us.patiense": 0.9})
    assert exc.value.problems[0][0] == "teams.us.patiense"


def test_start_date_and_week_mapping(cfg):
    assert cfg.week_of(dt.date(2019, 9, 16)) == 1
    assert cfg.week_of(dt.date(2019, 10, 15)) == 5


def test_optional_farmer_series():
    m = TradeTalksModel(
        config=BASELINE, rng=1, overrides={**SMALL, "run.weeks": 3}, farmer_series=True
    )
    m.run()
    df = m.datacollector.get_agenttype_vars_dataframe(Farmer)
    assert set(df.columns) >= {"approval", "distress"}
    assert len(df) == 4 * SMALL["world.farmers.count"]
    assert df["approval"].between(0, 1).all()


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize(
    "path",
    [BASELINE, BASELINE.parent / "scenarios" / "farm_crisis_no_aid.toml"],
    ids=["base", "crisis"],
)
def test_mesa_free_starting_point_matches_the_model(path, seed):
    from tradetalks.sim.start import starting_point

    cfg = load_config(path, SMALL)
    start = starting_point(cfg, seed)
    model = TradeTalksModel(config=cfg, rng=seed)
    for side in ("us", "china"):
        assert start.reservation[side] == model.teams[side].reservation
        assert np.array_equal(start.utility[side], model.teams[side].utility())
        assert np.array_equal(
            start.winset[side], model.negotiation.winset(side, model.indicators())
        )


def test_skipping_series_leaves_the_summary_unchanged():
    over = {**SMALL, "run.weeks": 20}
    a = TradeTalksModel(config=BASELINE, rng=3, overrides=over).run()
    b = TradeTalksModel(config=BASELINE, rng=3, overrides=over, collect_series=False).run()
    assert a == b


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_farms_without_mesa_agents_give_the_same_run(seed):
    """Sweeps skip the per-farm agents: the summary and the weekly series stay the same."""
    full = TradeTalksModel(config=BASELINE, rng=seed, overrides=SMALL, farmer_agents=True)
    lean = TradeTalksModel(config=BASELINE, rng=seed, overrides=SMALL)  # lean by default
    assert Farmer not in lean.agents_by_type and lean.network is None
    assert len(full.agents_by_type[Farmer]) == SMALL["world.farmers.count"]
    assert full.run() == lean.run()
    assert full.timeseries().equals(lean.timeseries())


def test_farmer_series_needs_farmer_agents():
    with pytest.raises(ValueError, match="farmer_agents"):
        TradeTalksModel(config=BASELINE, rng=1, farmer_series=True, farmer_agents=False)
