"""The PBoC's issue 12 blocks (docs/MODEL.md §7.14): 7.0 defended unless China lets it pass,
the manipulator label lifted by a Treasury hazard, and the record's dated RRR cuts.  Each
changes outcomes when on and nothing when off; none moves the world stream's draws."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import mesa
import numpy as np
import pytest
from helpers import BASELINE, SMALL
from scipy.special import ndtri
from tradetalks.agents.central_banks import PBOC_DRAWS, PBoC, low_bits
from tradetalks.sim.config import DealExpectationsConfig, load_config
from tradetalks.sim.config_calendar import RrrCut
from tradetalks.sim.config_world import DefendedLineConfig, LiftHazardConfig
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.world import World

CFG = load_config(BASELINE)
PBOC_SCENARIO = BASELINE.parent / "scenarios" / "pboc.toml"
SCALE = CFG.makers.china.logit_scale
# the values of these tests (the scenario's line; a hazard that rises fast)
LINE = DefendedLineConfig(margin=0.03, bias=-0.45, reaction_weight=0.5, reaction_tau_weeks=2.0)
HOLD = LINE.model_copy(update={"bias": -10.0, "reaction_weight": 0.0})  # never lets it pass
HAZARD = LiftHazardConfig(bias=-6.0, weeks_weight=0.1, deal_weight=4.0)


def _expect(p: float) -> DealExpectationsConfig:
    """A market deal probability held at ``p`` (no news, no reversion)."""
    return DealExpectationsConfig(
        p_start=p, reversion=0.0, step_deal=0.0, step_gesture=0.0, step_escalation=0.0,
        step_collapse=0.0,
    )  # fmt: skip


def _bank(seed: int = 0, rrr_cuts=None, scale: float | None = SCALE, **update):
    """A lone PBoC on the baseline's world (US tariffs 21.2%: the aim is 7.065, above the
    line), its model with a tariff desk whose US log the test writes."""
    pc = CFG.world.pboc.model_copy(update=update)
    w = World(CFG.world.model_copy(update={"pboc": pc}))
    model = mesa.Model(rng=seed)
    model.tariffs = SimpleNamespace(fired={"us": [], "china": []})
    bank = PBoC(
        model, pc, CFG.world.growth, w.state, CFG.world.trade.us_tariff_start,
        us_tariff_base=CFG.world.trade.us_tariff_base, rrr_cuts=rrr_cuts,
        china_logit_scale=scale,
    )  # fmt: skip
    return model, bank, w.state


def _run(model, bank, weeks: int, hike_week: int | None = None) -> list[float]:
    """Step ``weeks`` weeks; a US hike fires in ``hike_week`` (after the PBoC's fixing, as
    the model's tariff events follow the step).  Returns the weekly rates."""
    rates = []
    for week in range(1, weeks + 1):
        model.steps = week
        bank.step()
        rates.append(bank.state.cny_usd)
        if week == hike_week:
            model.tariffs.fired["us"].append((week, 2.5, 0.0))
    return rates


# ------------------------------------------------------------------ 7.0, a defended line
def test_the_line_holds_without_a_fired_us_hike():
    assert _bank()[1].aim() > 7.0  # the tariffs in force push the yuan past 7
    for seed in range(20):
        model, bank, _ = _bank(seed, cny_start=6.9, line=HOLD)
        rates = _run(model, bank, 52)
        assert max(rates) <= 7.0 - HOLD.margin and bank.line_passes == []
        model, free, _ = _bank(seed, cny_start=6.9)  # no line: the same shocks take it past
        assert max(_run(model, free, 52)) > 7.0


def test_the_line_is_let_pass_more_often_after_a_fired_us_hike():
    """Over 300 seeds: the line is let pass within 8 weeks of a US hike about three times as
    often as in 8 quiet weeks (0.32 against 0.085 by the logit), and only then goes past."""
    passed, past = {"hike": 0, "quiet": 0}, {"hike": 0, "quiet": 0}
    for seed in range(300):
        for case, hike in (("hike", 1), ("quiet", None)):
            model, bank, _ = _bank(seed, cny_start=6.96, line=LINE)
            rates = _run(model, bank, 9, hike_week=hike)
            passed[case] += bool(bank.line_passes)
            past[case] += max(rates) > 7.0
            if not bank.line_passes:
                assert max(rates) <= 7.0 - LINE.margin
    assert passed["hike"] > 2 * passed["quiet"] > 0 and past["hike"] > 2 * past["quiet"]
    assert passed["hike"] / 300 == pytest.approx(0.32, abs=0.08)


def test_the_probability_of_letting_it_pass_is_the_makers_logit():
    model, bank, _ = _bank(line=LINE)
    assert bank.p_let_pass(5) == pytest.approx(1 / (1 + math.exp(-LINE.bias / SCALE)))
    model.tariffs.fired["us"].append((3, 2.5, 0.0))
    model.tariffs.fired["us"].append((4, -1.0, 0.0))  # a tariff cut is no escalation
    pull = LINE.reaction_weight * math.exp(-2 / LINE.reaction_tau_weeks)
    assert bank.p_let_pass(5) == pytest.approx(1 / (1 + math.exp(-(LINE.bias + pull) / SCALE)))
    assert bank.p_let_pass(4) > bank.p_let_pass(5) > bank.p_let_pass(30)
    assert _bank()[1].p_let_pass(5) == 0.0  # no line


def test_a_line_let_pass_is_defended_again_once_the_rate_is_back_under():
    let = LINE.model_copy(update={"bias": 10.0})  # China lets it pass the first week it binds
    model, bank, st = _bank(cny_start=6.96, shock_sd=0.0, line=let)
    rates = _run(model, bank, 20)
    assert bank.line_passes == [1] and max(rates) > 7.0 and not bank.defending
    st.us_tariff_avg = CFG.world.trade.us_tariff_base  # a rollback: the aim falls under 7
    for week in range(21, 60):
        model.steps = week
        bank.step()
    assert st.cny_usd < 7.0 and bank.defending and bank.line_passes == [1]


def test_a_run_starting_past_the_line_starts_with_it_passed():
    assert not _bank(cny_start=7.08, line=LINE)[1].defending  # the record: passed 5 Aug 2019
    assert _bank(cny_start=6.9, line=LINE)[1].defending


def test_the_line_needs_chinas_maker():
    with pytest.raises(ValueError, match=r"makers\.china"):
        _bank(line=LINE, scale=None)


# ------------------------------------------------------------------ off: nothing changes
def test_without_the_blocks_the_fixing_is_the_rule_of_before():
    """With no line, hazard or cuts the rate follows the partial-adjustment rule on the
    stream's first uniform, and the label review reads the second, as before issue 12."""
    model, bank, st = _bank(seed=4, manipulator_start=True, cny_start=6.8)
    st.us_tariff_avg = CFG.world.trade.us_tariff_base
    replay = mesa.Model(rng=4).rng  # a lone bank draws from its model's generator
    replay.random(PBOC_DRAWS)  # week 0's block: weeks count from 1
    c, rate, below, label = CFG.world.pboc, 6.8, 0, True
    for week in range(1, 60):
        u = replay.random(PBOC_DRAWS)
        target = c.cny_anchor * (1 + c.tariff_offset * CFG.world.trade.us_tariff_base / 100)
        rate = max(0.01, rate + c.adjustment * (target - rate) + c.shock_sd * ndtri(u[0]))
        below = below + 1 if rate < c.threshold else 0
        if label and below >= c.lift_weeks and u[1] < c.lift_probability:
            label = False
        model.steps = week
        bank.step()
        assert st.cny_usd == rate and st.manipulator == label
    assert not label  # the review ran


def test_the_blocks_draw_nothing_more_from_the_stream():
    """A line, a hazard and dated cuts leave the stream where it was (common random numbers)."""
    states = []
    for update in ({}, {"line": LINE, "lift_hazard": HAZARD}):
        model, bank, _ = _bank(seed=2, rrr_cuts=[(3, 0.5)], cny_start=6.9, **update)
        _run(model, bank, 30, hike_week=4)
        states.append(model.rng.bit_generator.state)
    assert states[0] == states[1]


def test_the_line_uniform_is_the_label_uniforms_low_bits():
    u = np.random.default_rng(0).random(20_000)
    low = np.array([low_bits(x) for x in u])
    assert np.all((low >= 0) & (low < 1)) and abs(np.corrcoef(u, low)[0, 1]) < 0.03
    assert np.all(np.floor(u * 2**26) / 2**26 + low / 2**26 == u)  # exact: the bits split


# ------------------------------------------------------------------ the label's hazard
def test_the_label_hazard_rises_with_weeks_below_and_the_deal_probability():
    _, bank, st = _bank(lift_hazard=HAZARD)
    grid = {}
    for weeks in (0, 12, 26):
        for p in (0.0, 0.5, 0.9):
            bank.weeks_below, st.deal_probability = weeks, p
            grid[weeks, p] = bank.lift_probability()
            z = HAZARD.bias + HAZARD.weeks_weight * weeks + HAZARD.deal_weight * p
            assert grid[weeks, p] == pytest.approx(1 / (1 + math.exp(-z)))
    assert grid[0, 0.5] < grid[12, 0.5] < grid[26, 0.5]
    assert grid[12, 0.0] < grid[12, 0.5] < grid[12, 0.9]
    _, plain, _ = _bank()
    plain.weeks_below = 26
    assert plain.lift_probability() == CFG.world.pboc.lift_probability  # off: the constant


def _lift_weeks(seeds: range, **update) -> list[float]:
    """The week the label is lifted (inf if not within 60 weeks), the rate under the line."""
    out = []
    for seed in seeds:
        model, bank, st = _bank(seed, manipulator_start=True, cny_start=6.8, **update)
        st.us_tariff_avg = CFG.world.trade.us_tariff_base
        _run(model, bank, 60)
        out.append(bank.label_lifts[0] if bank.label_lifts else math.inf)
    return out


def test_the_hazard_lifts_the_label_sooner_when_a_deal_is_expected():
    seeds = range(150)
    hopeful = _lift_weeks(seeds, lift_hazard=HAZARD, expectations=_expect(0.9))
    gloomy = _lift_weeks(seeds, lift_hazard=HAZARD, expectations=_expect(0.1))
    constant = _lift_weeks(seeds, expectations=_expect(0.9))  # lift_probability 0.05
    assert np.median(hopeful) < np.median(gloomy)
    assert min(hopeful + gloomy) >= CFG.world.pboc.lift_weeks
    assert hopeful != constant  # the hazard replaces the constant


# ------------------------------------------------------------------ dated RRR cuts
def test_dated_cuts_apply_in_their_week_only():
    model, bank, st = _bank(rrr_cuts=[(3, 0.5), (5, 0.25), (0, 9.0)])  # week 0: before the run
    start = st.rrr
    seen = []
    for week in range(1, 8):
        model.steps = week
        bank.step()
        seen.append(st.rrr)
    assert seen == [start] * 2 + [start - 0.5] * 2 + [start - 0.75] * 3
    assert bank.rrr_moves == [(3, start - 0.5), (5, start - 0.75)]


def test_a_cut_announced_after_its_date_is_refused():
    with pytest.raises(ValueError, match="announced"):
        RrrCut(date=dt.date(2019, 10, 15), cut_pp=0.5, announced=dt.date(2019, 10, 16))
    assert RrrCut(date=dt.date(2019, 10, 15), cut_pp=0.5, coverage=0.2).effective_pp == 0.1


def test_a_dated_rrr_cut_raises_chinas_growth_path():
    cut = [{"date": dt.date(2019, 10, 15), "cut_pp": 1.0}]  # week 5 of the baseline
    runs = {}
    for name, over in (("plain", SMALL), ("cut", {**SMALL, "calendar.rrr_cuts": cut})):
        model = TradeTalksModel(BASELINE, rng=3, overrides={**over, "run.weeks": 20})
        model.run()
        runs[name] = model.timeseries()
    plain, with_cut = runs["plain"], runs["cut"]
    week = load_config(BASELINE).week_of(dt.date(2019, 10, 15))
    assert with_cut["rrr"].iloc[week] == plain["rrr"].iloc[week] - 1.0
    g0, g1 = plain["cn_growth"].to_numpy(), with_cut["cn_growth"].to_numpy()
    assert np.array_equal(g0[:week], g1[:week])  # the same shocks: nothing before the cut
    assert np.all(g1[week:] > g0[week:])
    assert np.array_equal(plain["cny_usd"], with_cut["cny_usd"])  # the cut draws nothing


# ------------------------------------------------------------------ the scenario
def test_the_pboc_scenario_turns_the_blocks_on_and_the_baseline_has_none():
    base, scen = CFG, load_config(PBOC_SCENARIO)
    assert base.world.pboc.line is None and base.world.pboc.lift_hazard is None
    assert base.calendar.rrr_cuts == [] and base.world.pboc.expectations is None
    p = scen.world.pboc
    assert p.line is not None and p.lift_hazard is not None and p.expectations is not None
    assert [c.date for c in scen.calendar.rrr_cuts] == [
        dt.date(2019, 9, 16), dt.date(2019, 10, 15), dt.date(2019, 11, 15),
    ]  # fmt: skip
    # the 16 Sep cut is dated, so the scenario's ratio starts before it
    assert p.rrr_start == base.world.pboc.rrr_start + scen.calendar.rrr_cuts[0].cut_pp


def test_the_pboc_scenario_runs_its_cuts_and_leaves_the_world_stream_in_step():
    over = {**SMALL, "run.weeks": 12}
    scen = TradeTalksModel(PBOC_SCENARIO, rng=1, overrides=over)
    assert not scen.pboc.defending  # the record's rate starts past the line (7.08)
    scen.run()
    rrr = scen.timeseries()["rrr"].to_numpy()
    assert rrr[0] == 13.5 and rrr[1] == 13.0 and rrr[5] == pytest.approx(13.0 - 0.5 * 0.13)
    base = TradeTalksModel(BASELINE, rng=1, overrides=over)
    base.run()
    world = [m.streams.get("world").bit_generator.state for m in (scen, base)]
    assert world[0] == world[1]
