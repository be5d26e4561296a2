"""The Fed's rule fitted on real-time growth and issue 12's options (docs/CALIBRATION.md §1,
the comparison).  Growth at each meeting is BEA's latest estimate released before it; with
the old, hindsight input the July 2019 cut is out of reach (same growth, lower U than June),
with real-time growth the refitted rule cuts.  The options, a latent shadow rate carried
across meetings and U's memory since the last meeting, each change the rule's decisions when
switched on, and the fit evaluates them with the agent's own code."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import mesa
import numpy as np
import pytest
from helpers import BASELINE, ROOT, SMALL
from pydantic import ValidationError
from tradetalks.agents.central_banks import Fed
from tradetalks.sim import fed_fit
from tradetalks.sim.config import load_config
from tradetalks.sim.config_world import FedConfig, FedMemory
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.record import load_record
from tradetalks.sim.world import World

CFG = load_config(BASELINE)
STEP = 0.25
RECORD = load_record()
S = fed_fit.Setting.of(CFG)
MEAN = FedMemory(kind="mean")
EWMA = FedMemory(kind="ewma", half_life_weeks=4.0)
JUNE, JULY = dt.date(2019, 6, 19), dt.date(2019, 7, 31)
# the shadow-rate option's coefficients fitted on the hindsight input (8-week EWMA), used to
# check the option's mechanics on fixed inputs
NEW = (1.05, 1.55, 0.1, 0.8)
OLD = (2.35, 1.75, 2.5, 0.8)  # the old rule: fitted on the hindsight input
# the plain rule refitted on real-time growth (docs/CALIBRATION.md's comparison)
REAL_TIME = (2.45, 0.5, 1.35, 0.7)
# the shadow-rate rule on real-time growth: the overlay
SHADOW = (2.95, 0.7, 2.45, 0.8)
# BEA's latest estimate out before each meeting (docs/facts/us-growth-real-time.md)
GROWTH = (2.5, 2.3, 2.2, 4.1, 4.2, 3.5, 3.5, 3.4, 2.6, 3.2, 3.1, 2.1, 2.0)


def _fed(**update) -> tuple[Fed, object]:
    fc = CFG.world.fed.model_copy(update=update)
    w = World(CFG.world.model_copy(update={"fed": fc}))
    return Fed(mesa.Model(rng=0), fc, CFG.world.growth, w.state), w.state


def _flat(target: float, **update) -> dict:
    """A rule whose target is ``target`` whatever the inputs."""
    return dict(neutral=target, growth_response=0.0, uncertainty_response=0.0, **update)


# --------------------------------------------------------------------------- the config
def test_the_options_need_the_inertial_rule_and_a_half_life_only_for_ewma():
    base = CFG.world.fed.model_dump()
    with pytest.raises(ValidationError, match="need inertia"):
        FedConfig(**{**base, "shadow_rate": True})
    with pytest.raises(ValidationError, match="need inertia"):
        FedConfig(**{**base, "uncertainty_memory": {"kind": "mean"}})
    with pytest.raises(ValidationError, match="half_life_weeks"):
        FedMemory(kind="ewma")
    with pytest.raises(ValidationError, match="half_life_weeks"):
        FedMemory(kind="mean", half_life_weeks=4.0)
    assert CFG.world.fed.shadow_rate is None and CFG.world.fed.uncertainty_memory is None


# --------------------------------------------------------------------------- the shadow rate
def _meetings(fed: Fed, state, n: int) -> list[float]:
    out = []
    for week in range(1, n + 1):
        fed.model.steps = week
        fed.meet()
        out.append(state.fed_rate)
    return out


def test_a_slowly_falling_desired_rate_holds_then_cuts_only_with_the_shadow_rate():
    # from 2.25-2.50 toward a desired 2.0 with ρ 0.8: 0.8·2.375 + 0.2·2.0 = 2.30 (hold);
    # the latent rate carries on: 0.8·2.30 + 0.2·2.0 = 2.24 (a cut) ...
    fed, state = _fed(**_flat(2.0, inertia=0.8, shadow_rate=True))
    state.fed_rate = 2.375
    assert _meetings(fed, state, 3) == [2.375, 2.125, 2.125]
    assert fed.shadow == pytest.approx(0.8 * (0.8 * 2.30 + 0.4) + 0.4)
    # ... while the rounded rate's inertia restarts from 2.375 each meeting: a hold forever
    plain, st2 = _fed(**_flat(2.0, inertia=0.8))
    st2.fed_rate = 2.375
    assert _meetings(plain, st2, 3) == [2.375] * 3
    off, st3 = _fed(**_flat(2.0, inertia=0.8, shadow_rate=False))
    st3.fed_rate = 2.375
    assert _meetings(off, st3, 3) == [2.375] * 3, "shadow_rate = false is the rule without it"


def test_a_rate_set_by_someone_else_hands_the_latent_rate_over_to_its_range():
    args = (STEP, 0.125, 5.0)
    assert Fed.hand_over(2.30, 2.375, *args) == 2.30  # consistent: kept
    assert Fed.hand_over(2.30, 1.875, *args) == pytest.approx(2.0)  # into 1.75-2.00
    assert Fed.hand_over(1.10, 1.875, *args) == 1.75
    assert Fed.hand_over(-1.0, 0.125, *args) == -1.0, "below the floor the latent rate stays"
    got = Fed.hand_over(np.array([2.3, 2.3]), np.array([2.375, 1.875]), *args)
    assert got[0] == 2.3 and got[1] < 2.0 and Fed.inertial_rate(got[1], 0, 1, *args) == 1.875
    fed, state = _fed(**_flat(2.0, inertia=0.8, shadow_rate=True))
    state.fed_rate = 2.375
    _meetings(fed, state, 1)  # latent 2.30
    state.fed_rate = 2.875  # a replayed hike
    _meetings(fed, state, 1)  # from 2.75, not 2.30: 0.8·2.75 + 0.2·2.0 = 2.60
    assert fed.shadow == pytest.approx(2.60) and state.fed_rate == 2.625


# --------------------------------------------------------------------------- U's memory
def _weeks(fed: Fed, state, us: list[float]) -> None:
    for week, u in enumerate(us, start=1):
        fed.model.steps, state.trade_uncertainty = week, u
        fed.observe()


def test_the_mean_memory_reads_the_weeks_since_the_last_meeting():
    fed, state = _fed(
        neutral=3.0, growth_response=0.0, uncertainty_response=2.0, inertia=0.0,
        uncertainty_memory=MEAN,
    )  # fmt: skip
    state.fed_rate = 2.375
    _weeks(fed, state, [0.2, 0.2, 0.2, 0.8])
    fed.observe()  # a second look in the same week counts once
    assert fed.uncertainty() == pytest.approx(0.35)
    fed.meet()  # 3 − 2·0.35 = 2.30: 2.25-2.50
    assert state.fed_rate == 2.375
    fed.observe()  # the meeting's week is read once: it belongs to the meeting before
    state.trade_uncertainty = 0.1
    fed.model.steps = 5
    assert fed.uncertainty() == pytest.approx(0.1), "the mean restarts after a meeting"
    point, st2 = _fed(neutral=3.0, growth_response=0.0, uncertainty_response=2.0, inertia=0.0)
    st2.fed_rate, st2.trade_uncertainty = 2.375, 0.8
    point.meet()  # 3 − 1.6 = 1.4: the meeting's U alone cuts to 1.25-1.50
    assert st2.fed_rate == 1.375


def test_the_ewma_memory_weights_weeks_by_the_half_life():
    fed, state = _fed(
        neutral=3.0, growth_response=0.0, uncertainty_response=2.0, inertia=0.0,
        uncertainty_memory=FedMemory(kind="ewma", half_life_weeks=2.0),
    )  # fmt: skip
    _weeks(fed, state, [0.2, 0.2, 0.8, 0.8])
    keep = 0.5**0.5
    expected = 0.2
    for u in (0.2, 0.8, 0.8):
        expected = keep * expected + (1 - keep) * u
    assert fed.uncertainty() == pytest.approx(expected)
    fed.meet()
    fed.model.steps = 5
    assert fed.uncertainty() == pytest.approx(keep * expected + (1 - keep) * 0.8), "carried"


def test_the_model_feeds_the_memory_every_week():
    cfg = load_config(
        BASELINE,
        {
            **SMALL, "run.weeks": 8, "world.fed.inertia": 0.8, "world.fed.shadow_rate": True,
            "world.fed.uncertainty_memory": {"kind": "mean"},
        },
    )  # fmt: skip
    model = TradeTalksModel(config=cfg, rng=0)
    weeks = [d for d in cfg.calendar.fed_meetings if cfg.week_of(d) <= 8]
    seen = []
    while model.running:
        model.step()
        seen.append((model.steps, model.fed._seen))
    assert all(week == got for week, got in seen), "observed once every week"
    assert weeks, "a meeting in the eight weeks: the memory was read and restarted"
    assert model.fed._memory[1] == model.steps - cfg.week_of(weeks[-1])
    assert model.fed.shadow is not None


# --------------------------------------------------------------------------- the fit
MS = fed_fit.meetings(RECORD, CFG.world.uncertainty, real_time=False)  # the hindsight input
RT = fed_fit.meetings(RECORD, CFG.world.uncertainty)  # real time: the default


def test_the_fit_evaluates_the_shadow_rule_with_the_agents_code():
    coef = (1.6, 1.2, 1.1, 0.7)
    fc = CFG.world.fed.model_copy(
        update=dict(zip(fed_fit.PARAMS, coef, strict=True)) | {"shadow_rate": True}
    )
    fed = Fed(mesa.Model(rng=0), fc, CFG.world.growth, World(CFG.world).state)
    got = []
    for m in MS:  # one meeting ahead: the recorded range before each, the latent rate kept
        fed.state.fed_rate, fed.state.us_growth = m.previous, m.growth
        fed.state.trade_uncertainty = m.uncertainty
        fed.meet()
        got.append(fed.state.fed_rate)
    aim, rates = fed_fit.rule(MS, S, *coef, shadow=True)
    assert got == pytest.approx(list(rates))
    assert fed.shadow == pytest.approx(aim[-1])
    own = fed_fit.own_path(MS, S, *coef, shadow=True)
    assert math.isclose(own[0], rates[0]), "the same first meeting"


def test_the_shadow_rate_changes_the_fitted_rules_decisions():
    _, on = fed_fit.rule(MS, S, *NEW, shadow=True)
    _, off = fed_fit.rule(MS, S, *NEW)
    assert len(fed_fit.misses(MS, on)) == 2 < len(fed_fit.misses(MS, off))
    assert set(fed_fit.misses(MS, on)) == {dt.date(2018, 12, 19), JULY}


def test_the_memories_are_means_of_the_daily_index():
    index = fed_fit.uncertainty_index(RECORD, CFG.world.uncertainty, fed_fit.MEETINGS[-1])
    mean = fed_fit.remembered(index, fed_fit.MEETINGS, MEAN)
    days = [d for d in index if JUNE < d <= JULY]
    assert mean[JULY] == pytest.approx(np.mean([index[d][0] for d in days]))
    point = fed_fit.remembered(index, fed_fit.MEETINGS, None)
    assert point == {m.date: m.uncertainty for m in MS} == {m.date: m.uncertainty for m in RT}
    short = fed_fit.remembered(
        index, fed_fit.MEETINGS, FedMemory(kind="ewma", half_life_weeks=0.01)
    )
    assert short == pytest.approx(point, abs=1e-3), "a very short half-life is the day's U"
    ewma = fed_fit.remembered(index, fed_fit.MEETINGS, EWMA)
    assert ewma != pytest.approx(point, abs=1e-2)


@pytest.mark.parametrize("memory", fed_fit.MEMORIES)
def test_u_fell_from_june_to_july_under_every_memory(memory):
    """Why, in hindsight, no rule of this form cuts in July after holding in June: growth is the
    same, U is lower, so the July target is higher; in real time growth fell by 1 pp."""
    u = CFG.world.uncertainty
    ms = {m.date: m for m in fed_fit.meetings(RECORD, u, memory=memory, real_time=False)}
    assert ms[JULY].uncertainty < ms[JUNE].uncertainty
    assert ms[JULY].growth == ms[JUNE].growth and ms[JULY].previous == ms[JUNE].previous
    rt = {m.date: m for m in fed_fit.meetings(RECORD, u, memory=memory)}
    assert rt[JULY].uncertainty == ms[JULY].uncertainty, "U does not depend on growth"
    assert (rt[JUNE].growth, rt[JULY].growth) == (3.1, 2.1)  # Q1 second; Q2 advance, 26 July


def test_the_fit_can_require_a_meeting_and_the_table_marks_the_misses():
    fixed = dict(zip(fed_fit.PARAMS, NEW, strict=True))
    free_b = {k: v for k, v in fixed.items() if k != "uncertainty_response"}
    best = fed_fit.fit(MS, S, fixed, shadow=True)
    assert best.matches == 11 and best.shadow is False  # fit() leaves the label to its caller
    forced = fed_fit.fit(MS, S, free_b, shadow=True, must=(JULY,))
    assert JULY not in fed_fit.misses(MS, forced.rates) and forced.matches < best.matches
    old = fed_fit.fit(MS, S, {"neutral": 2.35, "growth_response": 1.75, "inertia": 0.8})
    text = fed_fit.comparison_table([("old", MS, old), ("new", MS, best)], S)
    rows = text.splitlines()[2:]
    missed = (len(MS) - old.matches) + (len(MS) - best.matches)
    assert len(rows) == len(MS) and sum(r.count("**miss**") for r in rows) == missed


def test_the_doc_comparison_table_is_what_the_code_prints():
    """docs/CALIBRATION.md's comparison at its coefficients: the old rule on the hindsight
    input, the plain and the shadow-rate rule (the overlay) on real-time growth (the fits
    themselves are run by ``benchmarks/fit_fed.py --compare``: minutes, not a test)."""
    old = fed_fit.fit(MS, S, dict(zip(fed_fit.PARAMS, OLD, strict=True)))
    plain = fed_fit.fit(RT, S, dict(zip(fed_fit.PARAMS, REAL_TIME, strict=True)))
    shadow = fed_fit.fit(RT, S, dict(zip(fed_fit.PARAMS, SHADOW, strict=True)), shadow=True)
    shadow = replace(shadow, shadow=True)
    text = (ROOT / "docs" / "CALIBRATION.md").read_text()
    start = text.index("<!-- fed-compare")
    body = text[text.index("\n", start) + 1 : text.index("<!-- /fed-compare -->")]
    rules = [("old rule", MS, old), ("plain rule", RT, plain), ("shadow rule", RT, shadow)]
    assert body == fed_fit.comparison_table(rules, S)
    assert (old.matches, plain.matches, shadow.matches) == (10, 12, 13)
    assert fed_fit.misses(RT, plain.rates) == [dt.date(2018, 8, 1)]
    overlay = load_config(ROOT / "configs" / "calibrations" / "fed_2018_2019.toml").world.fed
    assert (overlay.neutral, overlay.growth_response, overlay.uncertainty_response) == SHADOW[:3]
    assert overlay.inertia == SHADOW[3] and overlay.shadow_rate, "the overlay is the shadow rule"


def test_the_shadow_rule_reproduces_august_2018_by_its_latent_rate():
    """The latent rate is just under 2.00 in August 2018 (a hold) and stays above 2.00 in
    September (a hike); the plain rule at the same coefficients hikes in August."""
    k = [m.date for m in RT].index(dt.date(2018, 8, 1))
    aim, rates = fed_fit.rule(RT, S, *SHADOW, shadow=True)
    assert 1.99 < np.ravel(aim)[k] < 2.0 and np.ravel(rates)[k] == RT[k].previous
    assert fed_fit.misses(RT, np.ravel(rates)) == []
    _, plain = fed_fit.rule(RT, S, *SHADOW)
    assert dt.date(2018, 8, 1) in fed_fit.misses(RT, np.ravel(plain))


# --------------------------------------------------------------------------- real-time growth
def test_growth_is_the_latest_estimate_released_before_each_meeting():
    assert tuple(m.growth for m in RT) == GROWTH
    estimates = [e for e in RECORD.of_kind("growth") if e.side == "us" and e.estimate]
    for m in RT:
        out = [e for e in estimates if e.published < m.date]
        latest = max(out, key=lambda e: (e.period_start, e.published))
        assert m.growth == latest.pct and str(latest.published) in m.growth_note
        assert all(e.published < m.date for e in out), "nothing released on or after the day"
    sept_2018 = next(m for m in RT if m.date == dt.date(2018, 9, 26))
    assert sept_2018.growth == 4.2, "the third estimate of 27 September came a day later"


def test_real_time_growth_is_what_reproduces_the_july_cut():
    """Switch real time off (the hindsight input) at the new rule's coefficients: July holds;
    take the 26 July advance estimate out of the record: July holds again."""
    dates = [m.date for m in RT]
    _, on = fed_fit.rule(RT, S, *REAL_TIME)
    _, off = fed_fit.rule(MS, S, *REAL_TIME)
    k = dates.index(JULY)
    assert np.ravel(on)[k] == RT[k].rate == 2.125 < RT[k].previous
    assert np.ravel(off)[k] == RT[k].previous, "with growth in hindsight the rule holds in July"
    advance = [
        e for e in RECORD.entries
        if e.kind == "growth" and e.estimate == "advance" and e.period_start == dt.date(2019, 4, 1)
    ]  # fmt: skip
    assert len(advance) == 1
    late = RECORD.model_copy(update={"entries": [e for e in RECORD.entries if e not in advance]})
    ms = fed_fit.meetings(late, CFG.world.uncertainty)
    assert ms[k].growth == 3.1 and "2019 Q1 third" in ms[k].growth_note
    assert np.ravel(fed_fit.rule(ms, S, *REAL_TIME)[1])[k] == RT[k].previous


def test_real_time_growth_needs_an_estimate_out_before_the_meeting():
    with pytest.raises(ValueError, match="no US growth estimate released before 2018-01-26"):
        fed_fit.us_growth(RECORD, dt.date(2018, 1, 26))
    assert fed_fit.us_growth(RECORD, dt.date(2018, 1, 27))[0] == 2.6  # Q4 2017 advance
