"""Rounds on request: both sides ask, or one side asks twice running; deputies meet regularly."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
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


@settings(max_examples=80, deadline=None)
@given(
    enabled=st.booleans(),
    week=st.integers(1, 60),
    since=st.integers(-1, 6),  # week + lead − last principal, around the spacing of 3
    pending=st.one_of(st.none(), st.integers(1, 70)),
)
@example(enabled=True, week=10, since=3, pending=None)  # exactly spaced: open
@example(enabled=True, week=10, since=2, pending=None)  # a week short: closed
def test_open_for_says_whether_a_request_now_could_set_a_round(enabled, week, since, pending):
    """``open_for`` (read before the sides weigh a request, sim/snapshot.meeting_requests) is
    exactly plan's condition: a request by both sides now sets a principal round iff it is
    open (switched on, none already set, spaced from the last one)."""
    cfg = ON.model_copy(update={"enabled": enabled})
    state = {"last_principal": week + cfg.lead_weeks - since, "next_principal": pending}
    p, q = MeetingPlanner(cfg, **state), MeetingPlanner(cfg, **state)
    opened = p.open_for(week)
    assert isinstance(opened, bool)
    set_now = principals(q.plan(week, {"us": True, "china": True}, talks_open=True))
    assert opened == bool(set_now)
    assert opened == (enabled and pending is None and since >= cfg.principal_gap_weeks)


def test_a_request_made_while_talks_were_closed_still_counts_next_week():
    """The planner remembers the last week's requests whatever the talks' state, so one side
    asking in a closed week and again once they open has asked twice running."""
    p = MeetingPlanner(ON)
    assert p.plan(5, {"us": True, "china": False}, talks_open=False) == []
    assert principals(p.plan(6, {"us": True, "china": False}, talks_open=True)) == [8]
