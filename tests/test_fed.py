"""The Fed's inertial, 25 bp-rounded rule and its fit to the FOMC decisions of 2018-2019
(issue 12 item 2; docs/CALIBRATION.md §1): the rounding and the inertia, the baseline left
as it was, the record's inputs, the fitted overlay (the latent-rate form) reproducing all 13
meetings through the agent, its latent rate at the start, and the uncertainty term, the
shadow rate and real-time growth as switches."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import mesa
import numpy as np
import pytest
from helpers import BASELINE, ROOT, SMALL
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tradetalks.agents.central_banks import Fed
from tradetalks.sim import fed_fit
from tradetalks.sim.config import load_config
from tradetalks.sim.config_world import FedConfig
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.record import load_record
from tradetalks.sim.world import World

OVERLAY = ROOT / "configs" / "calibrations" / "fed_2018_2019.toml"
DOC = ROOT / "docs" / "CALIBRATION.md"
CFG = load_config(BASELINE)
FITTED = load_config(OVERLAY)
STEP = 0.25
FAST = settings(max_examples=60, deadline=None)
MIDPOINTS = st.integers(0, 19).map(lambda k: STEP * (k + 0.5))  # 0.125 ... 4.875
TRADE = 505.0 + 130.0  # the record's 2017 flows, $bn: the threat share's denominator


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def rate(previous: float, target: float, inertia: float, lower=0.125, upper=5.0) -> float:
    return float(Fed.inertial_rate(previous, target, inertia, STEP, lower, upper))


@pytest.fixture(scope="module")
def fitted():
    """The fit on the shipped record and baseline (a few seconds: the grid)."""
    return fed_fit.run()


# --------------------------------------------------------------------------- rounding
@pytest.mark.parametrize(
    ("aim", "expected"),
    [
        (2.1, 2.125),
        (2.2499, 2.125),
        (2.0, 2.125),  # a tie at a bound goes up: the range [2.00, 2.25)
        (1.9999, 1.875),
        (2.26, 2.375),
        (0.0, 0.125),  # the lowest midpoint within the bounds
        (-3.0, 0.125),
        (9.0, 4.875),  # the highest midpoint ≤ the upper bound 5.0
    ],
)
def test_the_rate_is_the_25bp_range_containing_the_rule_rate(aim, expected):
    assert rate(1.0, aim, 0.0) == expected


@FAST
@given(aim=st.floats(0.13, 4.87))
def test_the_rounded_rate_is_a_range_midpoint_within_half_a_step(aim):
    r = rate(aim, aim, 0.5)
    assert abs(r - aim) <= STEP / 2 + 1e-12
    k = (r - STEP / 2) / STEP
    assert math.isclose(k, round(k), abs_tol=1e-9), "on the 25 bp grid of range midpoints"


def test_bounds_off_the_grid_are_the_nearest_midpoints_inside_them():
    assert rate(1.0, -1.0, 0.0, lower=0.3, upper=1.1) == 0.375
    assert rate(1.0, 9.0, 0.0, lower=0.3, upper=1.1) == 0.875


# --------------------------------------------------------------------------- inertia
@FAST
@given(previous=MIDPOINTS, target=st.floats(-5.0, 10.0))
def test_full_inertia_never_moves(previous, target):
    assert rate(previous, target, 1.0) == previous


@FAST
@given(previous=MIDPOINTS, target=st.floats(0.13, 4.87))
def test_no_inertia_jumps_to_the_rounded_target(previous, target):
    r = rate(previous, target, 0.0)
    assert r == rate(target, target, 1.0)  # the range containing the target, whatever before
    assert abs(r - target) <= STEP / 2 + 1e-12


def test_partial_inertia_closes_part_of_the_gap():
    # from 2.375 toward 0.375: 0.8 of the way stays → 1.975, in the 1.75-2.00 range
    assert rate(2.375, 0.375, 0.8) == 1.875
    assert rate(2.375, 0.375, 0.9) == 2.125  # 2.175: one step
    assert rate(2.375, 0.375, 0.95) == 2.375  # 2.275: no move


@FAST
@given(previous=MIDPOINTS, low=st.floats(-2, 6), more=st.floats(0, 4), rho=st.floats(0, 1))
def test_a_higher_target_never_lowers_the_rate(previous, low, more, rho):
    assert rate(previous, low + more, rho) >= rate(previous, low, rho)


# --------------------------------------------------------------------------- the agent
def _fed(**update):
    fc = CFG.world.fed.model_copy(update=update)
    w = World(CFG.world.model_copy(update={"fed": fc}))
    return Fed(mesa.Model(rng=0), fc, CFG.world.growth, w.state), w.state


def test_the_agent_applies_the_inertial_rule_and_logs_its_moves():
    fed, state = _fed(inertia=0.5, neutral=1.0, growth_response=0.0, uncertainty_response=0.0)
    state.fed_rate = 1.875
    fed.model.steps = 3
    fed.meet()  # 0.5·1.875 + 0.5·1.0 = 1.4375: the 1.25-1.50 range
    assert state.fed_rate == 1.375 and fed.moves == [(3, 1.375)]
    fed.meet()  # 1.1875
    fed.meet()  # 1.0625: the range containing the target, 1.00-1.25 (rate 1.125) is reached
    fed.meet()  # 1.0625 again: no move, none logged
    assert state.fed_rate == 1.125 and [m for _, m in fed.moves] == [1.375, 1.125]


def _one_step_meet(self) -> None:
    """The Fed's rule before issue 12, as it was: one step toward the target."""
    st_, c = self.state, self.cfg
    gap = self.target_rate() - st_.fed_rate
    if abs(gap) >= c.step / 2:
        new = st_.fed_rate + c.step * np.sign(gap)
        st_.fed_rate = float(np.clip(new, c.lower_bound, c.upper_bound))
        self.moves.append((self.model.steps, st_.fed_rate))


def test_the_baseline_keeps_the_one_step_rule():
    assert CFG.world.fed.inertia is None
    fed, state = _fed()
    state.trade_uncertainty, state.us_growth = 1.0, 2.0  # the target 1.3, far below 1.875
    fed.meet()
    assert state.fed_rate == CFG.world.fed.rate_start - STEP, "one step, not to the target"


def test_baseline_runs_are_unchanged_without_the_new_fields(monkeypatch):
    cfg = load_config(BASELINE, {**SMALL, "run.weeks": 16})  # two FOMC meetings

    def runs() -> list:
        out = []
        for seed in range(3):
            model = TradeTalksModel(config=cfg, rng=seed)
            out.append((model.run(), list(model.fed.moves), model.world.state.fed_rate))
        return out

    now = runs()
    monkeypatch.setattr(Fed, "meet", _one_step_meet)
    assert runs() == now
    assert any(moves for _, moves, _ in now), "the Fed moved: the comparison is not vacuous"


def _overlay_moves(update: dict) -> list[list[tuple[int, float]]]:
    cfg = load_config(OVERLAY, {**SMALL, "run.weeks": 16, **update})  # two FOMC meetings
    out = []
    for seed in range(4):
        model = TradeTalksModel(config=cfg, rng=seed)
        assert model.fed.shadow == cfg.world.fed.shadow_start
        model.run()
        out.append(list(model.fed.moves))
        for _, r in model.fed.moves:
            assert math.isclose((r - STEP / 2) / STEP, round((r - STEP / 2) / STEP))
            assert cfg.world.fed.lower_bound <= r <= cfg.world.fed.upper_bound
    return out


def test_the_fitted_overlay_runs_in_the_model_from_its_latent_rate():
    fitted, midpoint = _overlay_moves({}), _overlay_moves({"world.fed.shadow_start": None})
    assert any(fitted), "the rule acts at the 30 October 2019 meeting"
    assert fitted != midpoint, "the latent start rate changes the runs' decisions"


def test_the_latent_rate_starts_where_configured():
    # from 1.75-2.00 toward a desired 1.0 with ρ 0.8: from the midpoint 0.8·1.875 + 0.2 = 1.70,
    # a cut; from the latent 1.965, 0.8·1.965 + 0.2 = 1.772, a hold
    flat = dict(neutral=1.0, growth_response=0.0, uncertainty_response=0.0, inertia=0.8)
    fed, state = _fed(**flat, shadow_rate=True, shadow_start=1.965)
    fed.meet()
    assert state.fed_rate == 1.875 and fed.shadow == pytest.approx(1.772)
    mid, state = _fed(**flat, shadow_rate=True)
    mid.meet()
    assert state.fed_rate == 1.625 and mid.shadow == pytest.approx(1.70), "off: the midpoint"
    far, state = _fed(**flat, shadow_rate=True, shadow_start=3.0)  # not in 1.75-2.00
    far.meet()  # handed over into the range first: just under 2.00
    assert fed.shadow < far.shadow < 0.8 * 2.0 + 0.2 + 1e-9 and state.fed_rate == 1.875
    with pytest.raises(ValidationError, match="shadow_start needs shadow_rate"):
        FedConfig(**{**CFG.world.fed.model_dump(), "inertia": 0.8, "shadow_start": 1.9})


# --------------------------------------------------------------------------- the record
MS = fed_fit.meetings()
HIKES = {day(d) for d in ("2018-03-21", "2018-06-13", "2018-09-26", "2018-12-19")}
CUTS = {day("2019-07-31"), day("2019-09-18")}


def test_the_meetings_and_their_decisions_come_from_the_record():
    assert [m.date for m in MS] == list(fed_fit.MEETINGS) and len(MS) == 13
    assert {m.date for m in MS if m.decision > 0} == HIKES
    assert {m.date for m in MS if m.decision < 0} == CUTS
    for m in MS:  # holds: the range in force is the same before and after
        assert (m.before == m.after) == (m.decision == 0)
        assert m.after[1] - m.after[0] == STEP
    assert MS[0].before == fed_fit.RANGE_BEFORE == (1.25, 1.50)
    assert MS[-1].after == (1.75, 2.00)


def test_growth_is_the_latest_estimate_released_before_each_meeting():
    growth = {m.date: m.growth for m in MS}  # real time (docs/facts/us-growth-real-time.md)
    assert growth[day("2018-03-21")] == 2.5  # 2017 Q4 second estimate, 28 February 2018
    assert growth[day("2018-09-26")] == 4.2  # 2018 Q2 second: the third came a day later
    assert growth[day("2019-01-30")] == 3.4  # 2018 Q3 third: Q4 was delayed by the shutdown
    assert (growth[day("2019-06-19")], growth[day("2019-07-31")]) == (3.1, 2.1)  # Q2 advance
    assert growth[day("2019-09-18")] == 2.0  # 2019 Q2 second, out 29 August
    hindsight = {m.date: m.growth for m in fed_fit.meetings(real_time=False)}
    assert all(hindsight[m.date] == 2.9 for m in MS if m.date.year == 2018)  # the old input


def test_a_recorded_decision_off_the_calendar_is_an_error():
    dates = [d for d in fed_fit.MEETINGS if d != day("2018-06-13")]
    with pytest.raises(ValueError, match="2018-06-13"):
        fed_fit.meetings(dates=dates)


def test_the_threat_share_is_read_from_the_record():
    shares = [m.threat_share for m in MS]
    expected_bn = [0, 100, 100, 232, 200, 200, 200, 200, 200, 200, 300, 300, 447.5]
    assert shares == pytest.approx([x / TRADE for x in expected_bn])


def test_escalations_raise_the_index_and_truces_lower_it():
    index = fed_fit.uncertainty_index(load_record(), CFG.world.uncertainty)
    u = CFG.world.uncertainty
    assert index[day("2018-03-01")][0] == pytest.approx(u.base + u.no_deal_weight)
    # 6 July 2018 (a Friday: no weekly step that night): both sides' first lists in force
    jump = index[day("2018-07-07")][0] - index[day("2018-07-06")][0]
    assert jump == pytest.approx(2 * u.escalation_jump)
    # 1 December 2018, Buenos Aires
    after, before = index[day("2018-12-02")][0], index[day("2018-12-01")][0]
    assert after < before
    assert 0.0 <= min(v for v, _ in index.values()) <= max(v for v, _ in index.values()) <= 1.0


# --------------------------------------------------------------------------- the fit
SHADOW = dict(neutral=2.95, growth_response=0.70, uncertainty_response=2.45, inertia=0.80)


def test_the_overlay_holds_the_fit(fitted):
    ms, result, s = fitted
    raw = tomllib.loads(OVERLAY.read_text())
    assert raw["extends"] == "../baseline.toml" and result.shadow
    start = fed_fit.latent_start(ms, result, s, CFG.world.fed.rate_start)
    coef = {k: round(v, 2) for k, v in result.coef.items()}
    assert raw["world"]["fed"] == coef | {"shadow_rate": True, "shadow_start": start}
    assert coef == SHADOW and start == 1.965
    assert OVERLAY.read_text() == fed_fit.overlay_text(result, ms, start)
    for line in OVERLAY.read_text().splitlines()[-6:]:
        assert "# calibrated: `python benchmarks/fit_fed.py --write` #" in line


def _through_the_agent(fc, ms) -> tuple[list[float], Fed]:
    """One meeting ahead through one agent: the recorded range before each meeting, the
    latent rate carried (from the range before March 2018, as in the fit)."""
    fc = fc.model_copy(update={"shadow_start": None})
    w = World(FITTED.world.model_copy(update={"fed": fc}))
    fed, got = Fed(mesa.Model(rng=0), fc, FITTED.world.growth, w.state), []
    for m in ms:
        w.state.fed_rate, w.state.us_growth = m.previous, m.growth
        w.state.trade_uncertainty = m.uncertainty
        fed.meet()
        got.append(w.state.fed_rate)
    return got, fed


def test_the_fitted_overlay_reproduces_the_table_through_the_agent(fitted):
    ms, result, _ = fitted
    got, fed = _through_the_agent(FITTED.world.fed, ms)
    assert got == pytest.approx(result.rates)
    matched = {m.date for m, r in zip(ms, got, strict=True) if r == pytest.approx(m.rate)}
    assert len(matched) == result.matches == 13, "every 2018-Sep 2019 decision"
    assert round(fed.shadow, 3) == FITTED.world.fed.shadow_start, "where the runs start"


def test_the_shadow_rate_and_real_time_growth_are_switches():
    """At the fitted coefficients: the inertia on the announced rate (shadow_rate off) misses
    four meetings, August 2018 among them; growth in hindsight (real time off) misses six."""
    ms = MS
    plain, _ = _through_the_agent(FITTED.world.fed.model_copy(update={"shadow_rate": False}), ms)
    missed = fed_fit.misses(ms, plain)
    assert day("2018-08-01") in missed and len(missed) == 4
    hindsight = fed_fit.meetings(real_time=False)
    late, _ = _through_the_agent(FITTED.world.fed, hindsight)
    assert len(fed_fit.misses(hindsight, late)) == 6 and day("2019-07-31") in fed_fit.misses(
        hindsight, late
    )


def test_the_doc_table_is_what_the_fit_prints(fitted):
    ms, result, s = fitted
    text = DOC.read_text()
    start = text.index("<!-- fed-table")
    body = text[text.index("\n", start) + 1 : text.index("<!-- /fed-table -->")]
    assert body == fed_fit.table(ms, result, s)
    assert ".venv/bin/python benchmarks/fit_fed.py" in text


@FAST
@given(j=st.integers(0, 12), low=st.floats(0, 1), more=st.floats(0, 1))
def test_higher_uncertainty_never_raises_the_fitted_rate(j, low, more):
    fc, m = FITTED.world.fed, MS[j]
    s = fed_fit.Setting.of(FITTED)
    coef = (fc.neutral, fc.growth_response, fc.uncertainty_response, fc.inertia)
    calm = fed_fit.Meeting(m.date, m.before, m.after, m.growth, "", low, 0.0)
    tense = fed_fit.Meeting(m.date, m.before, m.after, m.growth, "", min(1.0, low + more), 0.0)
    sh = bool(fc.shadow_rate)
    assert (
        fed_fit.rule([tense], s, *coef, shadow=sh)[1][0]
        <= fed_fit.rule([calm], s, *coef, shadow=sh)[1][0]
    )


def test_the_uncertainty_term_is_a_switch(fitted):
    ms, result, s = fitted
    c = result.coef
    _, off = fed_fit.rule(ms, s, c["neutral"], c["growth_response"], 0.0, c["inertia"], shadow=True)
    changed = {m.date for m, a, b in zip(ms, result.rates, off, strict=True) if a != b}
    assert CUTS | {day("2019-05-01"), day("2019-06-19")} <= changed
    sept = ms[-1]
    assert off[-1] >= sept.previous, "without U, no cut on 18 September 2019"
    refit = fed_fit.fit(ms, s, {"uncertainty_response": 0.0}, shadow=True)
    assert refit.matches < result.matches
    assert fed_fit.misses(ms, refit.rates) == [day("2019-09-18")], "the September 2019 cut"
