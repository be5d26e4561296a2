"""Core v2 in whole runs: one scale, rational acceptance, no hindsight, common random numbers.

The properties of issue 11 (core-v2 §2.3 f, §2.4 items 1, 6–8) checked on the baseline and on
variants of it: every acceptance on the acceptor's own scale, deals inside the true win-sets
of their agreement type, no escalation term, affine invariance of one side's utility,
run-length invariance, no hindsight about unannounced calendar entries or the opponent's
private threshold, and common random numbers across every named stream.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from test_mechanism_guards import ratifier_margins
from tradetalks.sim.config import load_config
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.protocol import SIDES
from tradetalks.sim.streams import STREAMS

FAST = {"world.farmers.count": 150}
SEEDS = (1, 2, 3, 4, 5, 6)


def run(seed: int = 1, weeks: int | None = None, **overrides) -> TradeTalksModel:
    params = {**FAST, **overrides}
    if weeks is not None:
        params["run.weeks"] = weeks
    model = TradeTalksModel(BASELINE, rng=seed, overrides=params, farmer_agents=False)
    model.run()
    return model


def fingerprint(model: TradeTalksModel, weeks: int | None = None) -> tuple:
    """What a run did up to ``weeks``: offers, deals, tariff decisions, weekly series."""
    cut = model.horizon if weeks is None else weeks
    offers = [(r.week, r.proposer, r.outcome, r.accepted) for r in model.negotiation.history]
    deals = [(d.week, d.outcome) for d in model.negotiation.deals]
    logs = [
        (e["week"], e["side"], e["label"])
        for e in model.escalation_log + model.gestures + model.announcements
    ]
    series = model.timeseries().iloc[: cut + 1].astype(object)
    series = series.where(series.notna(), None)  # NaN != NaN: compare missing values as None
    return (
        [o for o in offers if o[0] <= cut],
        [d for d in deals if d[0] <= cut],
        sorted(x for x in logs if x[0] <= cut),
        series.round(12).to_dict("list"),
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_every_acceptance_is_on_the_acceptors_own_scale(seed):
    """No side ever accepts, or binds itself to, an outcome below its walk-away value r."""
    model = run(seed)
    accepted = [r for r in model.negotiation.history if r.accepted]
    for rec in accepted:
        for side in SIDES:
            assert rec.utility[side] >= rec.reservation[side] - 1e-12, (rec.week, side)
    for deal in model.negotiation.deals:
        for side in SIDES:
            assert deal.utility[side] >= deal.reservation[side] - 1e-12


@pytest.mark.parametrize("seed", SEEDS)
def test_deals_lie_in_the_true_winsets_of_their_agreement_type(seed):
    """Recomputed independently (tests/test_mechanism_guards.py) at the run's drawn thresholds."""
    model = run(seed, **{"ratifiers.leadership.threshold_sd": 0.1})
    cfg = model.config
    thresholds = {r.name: r.threshold for r in model.ratifiers}
    for deal in model.negotiation.deals:
        levels = model.space.levels[deal.outcome]
        margins = ratifier_margins(
            cfg, levels, model.space.names, model.indicators(), thresholds=thresholds
        )
        for name, margin in margins.items():
            assert np.all(np.asarray(margin) >= -1e-9), (deal.week, name)


def test_escalation_is_never_an_agreeable_term():
    """No level of any issue escalates, and no deal raises a tariff."""
    cfg = load_config(BASELINE)
    for name, issue in cfg.issues.items():
        assert not any("escalat" in label.lower() for label in issue.levels), name
    for seed in SEEDS[:3]:
        model = run(seed)
        before = model.timeseries()
        for deal in model.negotiation.deals:
            row = before.iloc[deal.week]
            prior = before.iloc[deal.week - 1]
            assert row["us_tariff_avg"] <= prior["us_tariff_avg"] + 1e-9 or any(
                e["week"] == deal.week for e in model.escalation_log
            )


def scaled_us(a: float) -> dict:
    """Overrides multiplying the US's utility by ``a``: its values, κ, electoral weight,
    Congress's pressure, and the maker's weight on own costs (which reads that scale)."""
    cfg = load_config(BASELINE)
    out: dict = {}
    for name, issue in cfg.issues.items():
        out[f"issues.{name}.values.us"] = [a * v for v in issue.values["us"]]
    for key, k in cfg.valuation.us.kappa.items():
        out[f"valuation.us.kappa.{key}"] = a * k
    out["farm_politics.electoral_weight"] = a * cfg.farm_politics.electoral_weight
    out["ratifiers.congress.pressure_weight"] = a * cfg.ratifiers["congress"].pressure_weight
    out["makers.us.cost_weight"] = cfg.makers.us.cost_weight / a
    return out


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_scaling_one_sides_utility_leaves_the_run_identical(seed):
    """Affine invariance (core-v2 §2.4 item 6) for a = ½, exact in binary arithmetic.

    The rollback cost is one coefficient shared by both sides, so it is held at zero here."""
    base = {"irreversibility.rollback_cost_per_pp": 0.0}
    plain = run(seed, **base)
    scaled = run(seed, **base, **scaled_us(0.5))
    p, s = fingerprint(plain), fingerprint(scaled)
    assert p[:3] == s[:3]
    for col in ("us_tariff_avg", "cn_tariff_avg", "farm_approval"):
        assert p[3][col] == s[3][col]


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_short_run_is_the_start_of_a_long_one(seed):
    """Run-length invariance (core-v2 §2.4 item 7): 40 weeks = the first 40 weeks of 80."""
    short, long = run(seed, weeks=40), run(seed, weeks=80)
    assert fingerprint(short, 40) == fingerprint(long, 40)


def test_an_unannounced_calendar_entry_changes_nothing_before_its_announcement():
    """A tariff action announced on 2020-03-02 for 2020-04-15: its size is invisible until
    then (core-v2 §1 K), so two runs that differ only in it agree before that week.  Talks
    are off (no rounds), so no deal cancels the action and the walk-away values, recorded
    weekly, would show it if the projector saw it."""
    cfg = load_config(BASELINE)
    actions = [a.model_dump() for a in cfg.calendar.tariff_actions]

    def with_hidden(pp: float) -> TradeTalksModel:
        hidden = {
            "date": dt.date(2020, 4, 15),
            "side": "us",
            "label": "a hike nobody knows of yet",
            "tariff_delta_pp": pp,
            "announced": dt.date(2020, 3, 2),
        }
        return run(
            1,
            **{
                "calendar.tariff_actions": [*actions, hidden],
                "calendar.rounds": [],
                "calendar.meetings.enabled": False,
            },
        )

    a, b = with_hidden(2.0), with_hidden(9.0)
    week = cfg.week_of(dt.date(2020, 3, 2))
    assert fingerprint(a, week - 1) == fingerprint(b, week - 1)
    assert fingerprint(a) != fingerprint(b)  # it matters once public


@pytest.mark.parametrize("shift", [-0.4, -0.2, 0.2, 0.35, 0.5])
def test_the_opponents_true_threshold_is_not_in_a_sides_view(shift):
    """Changing China's private leadership threshold leaves every US view of the first round
    unchanged (the US sees only the public prior mean)."""
    seen: dict[float, list] = {}
    for delta in (0.0, shift):
        model = TradeTalksModel(BASELINE, rng=3, overrides=FAST, farmer_agents=False)
        for rat in model.ratifiers:
            if rat.name == "leadership":
                rat.threshold += delta
        strategy = model.teams["us"].strategy_for("deputy")
        views: list = []
        original = strategy.propose

        def record(view, _orig=original, _views=views):
            _views.append(view)
            return _orig(view)

        strategy.propose = record
        while not views and model.running:
            model.step()
        seen[delta] = views
    v0, v1 = seen[0.0][0], seen[shift][0]
    for name in ("own_gain", "own_gain_next", "opponent_gain_public", "opponent_winset"):
        assert np.array_equal(getattr(v0, name), getattr(v1, name)), name


def stream_states(model: TradeTalksModel) -> dict[str, dict]:
    return {name: model.streams.get(name).bit_generator.state for name in STREAMS}


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_lever_leaves_every_streams_draws_identical(seed):
    """Common random numbers across all streams (core-v2 §1 J): farm aid ×0 vs ×3."""
    a = run(seed, **{"farm_politics.aid_scale": 0.0})
    b = run(seed, **{"farm_politics.aid_scale": 3.0})
    assert stream_states(a) == stream_states(b)


def test_the_farmer_count_changes_only_the_farmers_stream():
    a = run(2)
    b = run(2, **{"world.farmers.count": 400})
    sa, sb = stream_states(a), stream_states(b)
    assert sa["farmers"] != sb["farmers"]
    assert {k: v for k, v in sa.items() if k != "farmers"} == {
        k: v for k, v in sb.items() if k != "farmers"
    }


def test_the_walk_away_value_is_the_value_of_the_status_quo_outcome():
    """r ≡ V(status quo) in a run: an outcome setting every issue at its status-quo level
    is worth r plus only the 'any deal' effect."""
    model = TradeTalksModel(BASELINE, rng=1, overrides=FAST, farmer_agents=False)
    space, v = model.space, model.valuation
    sq = np.array([i.status_quo for i in space.issues])
    row = int(np.flatnonzero((np.asarray(space.levels) == sq).all(axis=1))[0])
    for side in SIDES:
        value = v.utility(side, space)[row]
        assert value == pytest.approx(v.r[side] + v.any_deal[side], abs=1e-12)
        assert model.teams[side].reservation == v.r[side]


def screening(**params) -> dict:
    """Overrides setting screening parameters for every member of both teams."""
    cfg = load_config(BASELINE)
    return {
        f"teams.{side}.members.{role}.strategy.params.{k}": v
        for side, team in cfg.teams.items()
        for role in team.members
        for k, v in params.items()
    }


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    seed=st.integers(1, 10_000),
    optimism=st.floats(0.0, 0.4),
    sigma0=st.floats(0.02, 0.4),
    aid=st.floats(0.0, 4.0),
    threshold_sd=st.floats(0.0, 0.2),
)
def test_rational_acceptance_and_true_winsets_over_drawn_configs(
    seed, optimism, sigma0, aid, threshold_sd
):
    """IR on the acceptor's scale and deals in the true win-sets, over hypothesis-drawn
    bargaining parameters, aid levels and private-threshold spreads."""
    over = {
        **screening(optimism=optimism, sigma0=sigma0),
        "farm_politics.aid_scale": aid,
        "ratifiers.leadership.threshold_sd": threshold_sd,
        "run.weeks": 30,
    }
    model = run(seed, **over)
    thresholds = {r.name: r.threshold for r in model.ratifiers}
    for rec in model.negotiation.history:
        if rec.accepted:
            assert all(rec.utility[s] >= rec.reservation[s] - 1e-12 for s in SIDES)
    for deal in model.negotiation.deals:
        levels = model.space.levels[deal.outcome]
        margins = ratifier_margins(
            model.config, levels, model.space.names, model.indicators(), thresholds=thresholds
        )
        assert all(np.all(np.asarray(m) >= -1e-9) for m in margins.values())


def test_the_look_ahead_is_to_the_next_public_principal_round():
    """Δ (core-v2 §1 C) is the number of weeks to the next principal round already set, and
    the configured default only when none is."""
    from tradetalks.sim import snapshot

    model = TradeTalksModel(BASELINE, rng=1, overrides=FAST, farmer_agents=False)
    model.step()
    model.step()  # week 2; the 10 October principal round is in week 4
    assert snapshot.refresh(model).gap == 2
    quiet = TradeTalksModel(
        BASELINE,
        rng=1,
        overrides={**FAST, "calendar.rounds": [], "calendar.meetings.enabled": False},
        farmer_agents=False,
    )
    quiet.step()
    assert snapshot.refresh(quiet).gap == quiet.config.valuation.round_gap_weeks == 4


def _china_model_of_us(aid: float, observed: float | None) -> tuple[np.ndarray, np.ndarray]:
    """China's model of the US's gains (V − r over every outcome, before the mechanism
    normalises it into China's views), and the US's own gains, at the start under aid
    ×``aid`` (China assuming ×``observed``; None: the true scale)."""
    ov = {**FAST, "farm_politics.aid_scale": aid}
    if observed is not None:
        ov["farm_politics.observed_aid_scale"] = observed
    model = TradeTalksModel(BASELINE, rng=1, overrides=ov, farmer_agents=False)
    us = model.teams["us"]
    seen, r = us.public_values()  # what the mechanism normalises into China's views
    return np.asarray(seen) - r, np.asarray(us.gain())


def test_china_reads_the_us_aid_only_when_its_model_follows_the_true_scale():
    """core-v2 §2.1: with ``observed_aid_scale`` set, China's model of the US's values is the
    same under aid ×0 and ×3 while the US's own values differ; unset, China's model moves
    with the aid (the signalling channel), and is the US's own values."""
    seen0, own0 = _china_model_of_us(0.0, 1.0)
    seen3, own3 = _china_model_of_us(3.0, 1.0)
    assert np.array_equal(seen0, seen3)
    assert not np.allclose(own0, own3)
    free0, _ = _china_model_of_us(0.0, None)
    free3, _ = _china_model_of_us(3.0, None)
    assert not np.allclose(free0, free3)
    same, _ = _china_model_of_us(3.0, 3.0)
    assert np.array_equal(same, free3)


# ---------------------------------------------------------------- aid as compensation
COMPENSATION = "farm_politics.aid_follows_retaliation_pp"


def test_a_tranche_due_after_the_retaliation_is_lifted_is_not_paid():
    """Aid that follows the retaliation pays a tranche times the share of the 25 pp soybean
    retaliation still standing: nothing once a deal took the soybean tariff to MFN, the
    whole tranche when the aid is unconditional."""
    paid = {}
    for ref in (25.0, None):
        model = run(1, weeks=22, **{COMPENSATION: ref})
        first = model.negotiation.deals[0].week
        tranche = model.config.week_of(model.config.calendar.farm_aid[0].date)
        assert first < tranche and model.world.state.soy_tariff <= 3.0 + 1e-9
        paid[ref] = model.world.state.farm_aid_budget_paid_bn
    assert paid[25.0] == 0.0 < paid[None]


def test_the_projector_withholds_aid_on_paths_where_the_retaliation_falls():
    """The projector's aid is per path when it follows the retaliation: a path whose deal
    lifts the soybean tariff receives less aid than the no-deal path; unconditional aid is
    the same on every path."""
    from tradetalks.sim import projector_paths as pp
    from tradetalks.sim import snapshot

    model = run(1, weeks=1)
    ctx = model.projector._context(snapshot.snapshot(model), 4)
    weeks = ctx.horizon
    soy = np.vstack([np.full(weeks + 1, 33.0), np.full(weeks + 1, 3.0)])  # no deal, lifted
    got = pp.paid_aid(soy, ctx, weeks)
    assert got.shape == (2, weeks + 1) and got[0, -1] > got[1, -1] == ctx.farm.soy_aid_bn
    fp = model.config.farm_politics.model_copy(update={"aid_follows_retaliation_pp": None})
    cfg = model.config.model_copy(update={"farm_politics": fp})
    flat = pp.paid_aid(soy, pp.Context(**{**ctx.__dict__, "cfg": cfg}), weeks)
    assert flat.ndim == 1 and flat[-1] == pytest.approx(got[0, -1])


@pytest.mark.parametrize("ref", [25.0, None])
def test_aid_delays_the_deal_only_as_compensation(ref):
    """Mechanism (core-v2 §2.1, China's inference from aid off): aid ×3 against ×0 delays the
    first deal when aid stops with the retaliation, because a deal then costs the US the aid
    still to come; paid whatever the talks do, aid enters the deal and no-deal paths alike
    and the delay all but vanishes."""
    held = {"farm_politics.observed_aid_scale": 1.0, COMPENSATION: ref}
    delays = []
    for seed in range(1, 9):
        weeks = []
        for aid in (0.0, 3.0):
            model = run(seed, **held, **{"farm_politics.aid_scale": aid})
            deals = model.negotiation.deals
            weeks.append(deals[0].week if deals else model.horizon)
        delays.append(weeks[1] - weeks[0])
    if ref is None:
        assert abs(np.mean(delays)) < 1.0, delays
    else:
        assert np.mean(delays) >= 2.0 and min(delays) >= 0, delays


def test_the_electoral_link_closes_the_last_chapter():
    """Mechanism (the farm channel, MODEL.md §10): after the first deal the Huawei chapter is
    left at its status quo; closing it is worth little to the US except through the farms'
    approval at the election (the value of a deal in force, D), so with w_E = 0 China no longer
    expects the US to take the closure, nobody asks for the principal round that would sign
    it, and the second deal comes in fewer runs (the first deal barely moves)."""
    on, off = [], []  # (deals, issues agreed) by week 52, per seed
    for seed in range(1, 9):
        a, b = run(seed), run(seed, **{"farm_politics.electoral_weight": 0.0})
        on.append((len(a.negotiation.deals), len(a.negotiation.agreed)))
        off.append((len(b.negotiation.deals), len(b.negotiation.agreed)))
    assert sum(d for d, _ in on) > sum(d for d, _ in off), (on, off)
    assert sum(n for _, n in on) > sum(n for _, n in off), (on, off)
