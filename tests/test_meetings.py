"""Rounds on request: both sides ask, or one side asks twice running; deputies meet regularly."""

from __future__ import annotations

from tradetalks.sim.config_calendar import MeetingsConfig
from tradetalks.sim.meetings import MeetingPlanner

ON = MeetingsConfig(enabled=True, lead_weeks=2, principal_gap_weeks=3, deputy_every_weeks=4)


def principals(rounds):
    return [w for w, level in rounds if level == "principal"]


def test_a_principal_round_needs_both_sides_or_one_side_twice():
    p = MeetingPlanner(ON)
    assert principals(p.plan(5, {"us": True, "china": False}, talks_open=True)) == []
    assert principals(p.plan(6, {"us": True, "china": False}, talks_open=True)) == [8]
    q = MeetingPlanner(ON)
    assert principals(q.plan(5, {"us": True, "china": True}, talks_open=True)) == [7]
    r = MeetingPlanner(ON)
    r.plan(5, {"us": True, "china": False}, talks_open=True)
    assert principals(r.plan(6, {"us": False, "china": True}, talks_open=True)) == []


def test_no_second_round_while_one_is_set_and_rounds_are_spaced():
    p = MeetingPlanner(ON)
    both = {"us": True, "china": True}
    assert principals(p.plan(5, both, talks_open=True)) == [7]
    assert principals(p.plan(6, both, talks_open=True)) == []
    p.note_round(7, "principal")
    assert principals(p.plan(7, both, talks_open=True)) == []  # 7 + 2 − 7 < 3
    assert principals(p.plan(8, both, talks_open=True)) == [10]


def test_switched_off_or_talks_over_means_no_rounds():
    both = {"us": True, "china": True}
    assert MeetingPlanner(MeetingsConfig()).plan(5, both, talks_open=True) == []
    assert MeetingPlanner(ON).plan(5, both, talks_open=False) == []


def test_deputies_meet_every_few_weeks():
    p = MeetingPlanner(ON)
    none = {"us": False, "china": False}
    deputy = [r for w in range(1, 13) for r in p.plan(w, none, talks_open=True) if r[1] == "deputy"]
    assert [w for w, _ in deputy] == [2, 6, 10]
