"""The tariff maker agent's bookkeeping (agents/makers.py) against scripted uniforms: which
uniform of the week's block decides what, the inputs the agent hands the pure rule
(sim/maker_rule.py), and the decision it records. The rule's own behaviour is in
tests/test_makers.py; here each expected value is written out from the rule's functions."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import mesa
import numpy as np
import pytest
from helpers import BASELINE
from test_makers import cfg_with
from tradetalks.agents.makers import (
    DUE_DRAWS,
    WEEK_DRAWS,
    OppMove,
    TariffMaker,
    WeekInputs,
    since,
)
from tradetalks.sim.config import load_config
from tradetalks.sim.config_calendar import TariffAction
from tradetalks.sim.config_makers import MakerConfig, MakersConfig
from tradetalks.sim.maker_rule import (
    DueInputs,
    EscalationInputs,
    escalate_margin,
    logistic,
    p_escalate,
    p_fire,
    pick_float,
    pick_int,
    threat_size,
)
from tradetalks.sim.shipped import locate

MAKERS = MakersConfig.model_validate(tomllib.loads(BASELINE.read_text())["makers"])
US, CN = MAKERS.us, MAKERS.china
_MODEL = mesa.Model()
# a due hike with a soybean part, so its threat size reads both
HIKE = TariffAction(
    date=dt.date(2019, 9, 1),
    side="us",
    label="List 4A to 15%",
    tariff_delta_pp=4.0,
    soy_tariff_delta_pp=6.0,
)
DUE = DueInputs(progress=0.4, own_cost=-0.01, age_weeks=3.0)


class Script:
    """``WeeklyDraws`` stand-in: the same block of uniforms every week."""

    def __init__(self, block: list[float]) -> None:
        self.block = np.asarray(block, dtype=float)

    def take(self, week: int) -> np.ndarray:
        return self.block


def scripted(cfg: MakerConfig, block: list[float], side: str = "us") -> TariffMaker:
    m = TariffMaker(_MODEL, side, cfg, np.random.default_rng(0))
    m.draws = Script(block)
    return m


def block(week: list[float] | None = None, *due: list[float]) -> list[float]:
    """A week's block: the weekly uniforms, then each due slot's (unset ones 0.5)."""
    out = list(week or [0.5] * WEEK_DRAWS)
    for slot in range(US.max_due_per_week):
        out += list(due[slot]) if slot < len(due) else [0.5] * DUE_DRAWS
    return out


def test_weeks_since_a_move_count_from_it_and_none_is_never():
    assert since(10, 4) == 6.0
    assert since(4, 4) == 0.0
    assert math.isinf(since(3, None))


# ------------------------------------------------------------------ the inputs the rule gets
MOVES = WeekInputs(
    progress=0.3,
    own_cost=-0.02,
    opp_fired=OppMove(5, 2.0),
    opp_announced=OppMove(7, 4.0),
    opp_gesture_week=6,
)


@pytest.mark.parametrize(
    ("answer_to", "move"), [("fired", OppMove(5, 2.0)), ("announced", OppMove(7, 4.0))]
)
def test_the_reply_terms_read_the_move_the_maker_answers(answer_to, move):
    """Weeks since the opponent's escalation count from the move the maker answers to (fired,
    or announced), weeks since its gesture from the gesture, and what is owed is that move's
    size while it is unanswered and inside the window."""
    m = scripted(cfg_with(CN, answer_to=answer_to, retaliate_window_weeks=3), block(), "china")
    got = m.escalation_inputs(8, MOVES)
    assert got == EscalationInputs(
        progress=0.3,
        own_cost=-0.02,
        weeks_since_opp_escalation=float(8 - move.week),
        weeks_since_opp_gesture=2.0,
        unanswered_pp=move.size_pp,
    )
    m.answered_week = move.week  # answered: nothing owed, the recency stays
    assert m.escalation_inputs(8, MOVES).unanswered_pp == 0.0
    assert m.escalation_inputs(8, MOVES).weeks_since_opp_escalation == float(8 - move.week)


def test_nothing_owed_without_a_move_or_outside_the_window():
    m = scripted(cfg_with(CN, retaliate_window_weeks=2), block(), "china")
    quiet = m.escalation_inputs(8, WeekInputs(progress=0.0, own_cost=0.0))
    assert quiet.unanswered_pp == 0.0
    assert math.isinf(quiet.weeks_since_opp_escalation)
    assert math.isinf(quiet.weeks_since_opp_gesture)
    late = m.escalation_inputs(8, MOVES)  # fired in week 5: 3 weeks ago, the window is 2
    assert late.unanswered_pp == 0.0 and late.weeks_since_opp_escalation == 3.0


# ------------------------------------------------------------------ due actions
def test_a_due_action_fires_on_the_first_uniform_of_its_slot():
    size = float(threat_size(US, HIKE.tariff_delta_pp, HIKE.soy_tariff_delta_pp))
    assert size > HIKE.tariff_delta_pp  # the soybean part counts
    p = float(p_fire(US, size, DUE, HIKE.postponable))
    assert 0.05 < p < 0.95
    fire = scripted(US, block(None, [p - 0.01, 0.99, 0.99])).decide_due(HIKE, 5, DUE)
    assert (fire.kind, fire.week, fire.side, fire.label) == ("fire", 5, "us", HIKE.label)
    assert fire.p_act == pytest.approx(p, rel=1e-12)
    hold = scripted(US, block(None, [p + 0.01, 0.0, 0.0])).decide_due(HIKE, 5, DUE)
    assert hold.kind == "postpone" and hold.p_act == pytest.approx(p, rel=1e-12)


def test_a_postponement_is_indefinite_on_the_second_uniform_and_dated_by_the_third():
    share = US.indefinite_share
    assert 0.1 < share < 0.9
    m = scripted(US, block(None, [0.999, share - 0.05, share + 0.05]))
    d = m.decide_due(HIKE, 5, DUE)
    assert d.kind == "postpone" and d.postpone_weeks is None
    for u2 in (0.05, 0.6, 0.95):
        d = scripted(US, block(None, [0.999, share + 0.05, u2])).decide_due(HIKE, 5, DUE)
        assert d.postpone_weeks == pick_int(US.postpone_weeks, u2)
    assert d.week == 5 and d.side == "us" and d.label == HIKE.label


def test_each_due_action_of_a_week_takes_its_own_slot():
    """The k-th due action of a week reads uniforms WEEK_DRAWS + k·DUE_DRAWS onwards; a new
    week starts again at slot 0."""
    b = np.arange(WEEK_DRAWS + US.max_due_per_week * DUE_DRAWS) / 100.0
    m = scripted(US, list(b))
    for k in range(3):
        start = WEEK_DRAWS + k * DUE_DRAWS
        assert m._due_uniforms(4).tolist() == b[start : start + DUE_DRAWS].tolist()
    assert m._due_uniforms(5).tolist() == b[WEEK_DRAWS : WEEK_DRAWS + DUE_DRAWS].tolist()


# ------------------------------------------------------------------ remedial tariffs
def test_a_remedial_tariff_adds_the_shortfall_to_the_weekly_margin():
    """At a review with a dispute: P = logistic((margin + remedial_weight·shortfall)/scale);
    the lead time comes from the second uniform, the size from the third."""
    cfg = cfg_with(US, remedial_weight=2.0)
    inputs = WeekInputs(progress=0.5, own_cost=-0.01, opp_fired=OppMove(6, 3.0))
    shortfall, sizes = 0.3, ([5.0, 15.0], [2, 10])
    base = float(escalate_margin(cfg, scripted(cfg, block()).escalation_inputs(9, inputs)))
    p = float(logistic((base + 2.0 * shortfall) / cfg.logit_scale))
    assert p != pytest.approx(float(logistic(base / cfg.logit_scale)))
    u = np.array([p - 0.001, 0.15, 0.85])
    m = scripted(cfg, block())
    d = m.decide_remedial(9, inputs, shortfall, sizes, u)
    lead, pp = pick_int(sizes[1], 0.15), pick_float(sizes[0], 0.85)
    assert (d.week, d.side, d.kind, d.lead_weeks) == (9, "us", "remedial", lead)
    assert d.tariff_pp == pytest.approx(pp) and d.soy_pp == 0.0
    assert d.p_act == pytest.approx(p, rel=1e-12)
    assert d.label == f"us remedial: +{pp:.2f}pp from week {9 + lead}"
    assert m.decisions == [d] and d.event()["kind"] == "escalation"
    assert (
        scripted(cfg, block()).decide_remedial(
            9, inputs, shortfall, sizes, u + np.array([0.002, 0.0, 0.0])
        )
        is None
    )


def test_the_remedial_margin_reads_the_recency_of_the_week_it_is_decided():
    cfg = cfg_with(US, remedial_weight=1.0, reaction_weight=1.5)
    inputs = WeekInputs(progress=0.5, own_cost=-0.01, opp_fired=OppMove(2, 3.0))
    ps = []
    for week in (3, 12):
        want = escalate_margin(cfg, scripted(cfg, block()).escalation_inputs(week, inputs))
        p = float(logistic((float(want) + 0.2) / cfg.logit_scale))
        u = np.array([p - 1e-6, 0.5, 0.5])
        assert scripted(cfg, block()).decide_remedial(week, inputs, 0.2, ([5, 5], [4, 4]), u)
        ps.append(p)
    assert ps[0] != pytest.approx(ps[1])  # the answer fades with the weeks since the hike


# ------------------------------------------------------------------ new actions
def test_a_new_action_records_its_side_probability_and_dated_label():
    cfg = cfg_with(US, escalate_bias=0.0)
    inputs = WeekInputs(progress=0.2, own_cost=-0.01)
    p = float(p_escalate(cfg, scripted(cfg, block()).escalation_inputs(7, inputs)))
    u = [p - 0.01, 0.3, 0.6, 0.5]
    m = scripted(cfg, block(u))
    (d,) = m.decide_week(7, inputs)
    lead, pp = pick_int(cfg.escalation_lead_weeks, 0.3), pick_float(cfg.escalation_pp, 0.6)
    assert (d.week, d.side, d.kind, d.lead_weeks, d.target) == (7, "us", "escalate", lead, None)
    assert d.p_act == pytest.approx(p, rel=1e-12) and d.tariff_pp == pytest.approx(pp)
    assert d.label == f"us escalate: +{pp:.2f}pp from week {7 + lead}"
    assert scripted(cfg, block([p + 0.01, 0.3, 0.6, 0.5])).decide_week(7, inputs) == []


def test_a_targeted_action_names_its_target_and_draws_its_size_from_the_rescaled_uniform():
    cfg = load_config(locate("scenarios/targeted_retaliation")).makers.china
    cfg = cfg_with(cfg, escalate_bias=10.0)
    inputs = WeekInputs(progress=0.0, own_cost=0.0, weeks_to_opp_election=10.0)
    m = scripted(cfg, block(), "china")
    q = m.p_farm_target(inputs)
    assert 0.05 < q < 0.95
    u3 = q * 0.5
    m = scripted(cfg, block([0.0, 0.2, 0.4, u3]), "china")
    (d,) = m.decide_week(3, inputs)
    assert d.target == "farm" and d.side == "china"
    assert d.soy_pp == pytest.approx(pick_float(cfg.escalation_soy_pp, u3 / q))
    assert d.label.endswith(" on farm goods") and d.label.startswith("china escalate: +")
    (other,) = scripted(cfg, block([0.0, 0.2, 0.4, q + 0.01]), "china").decide_week(3, inputs)
    assert other.target == "other" and other.soy_pp == 0.0
    assert other.label.endswith(" on other goods")
