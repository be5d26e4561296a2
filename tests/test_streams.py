"""Named random streams: seeded by name, stable under adding streams, fixed draws per week."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.streams import STREAMS, RunStreams, WeeklyDraws, stream_seed


def test_a_stream_depends_on_its_name_and_the_seed_only():
    a, b = RunStreams(7), RunStreams(7)
    b.get("types")  # creating another stream first changes nothing for "farmers"
    assert np.array_equal(a.get("farmers").random(5), b.get("farmers").random(5))
    assert not np.array_equal(
        RunStreams(7).get("world").random(5), RunStreams(7).get("farmers").random(5)
    )
    assert not np.array_equal(
        RunStreams(8).get("world").random(5), RunStreams(7).get("world").random(5)
    )


def test_stream_seed_is_the_documented_seed_sequence():
    ss = stream_seed(3, "world")
    assert ss.entropy == 3 and len(ss.spawn_key) == 1
    assert RunStreams(3).get("world").random() == np.random.default_rng(ss).random()


def test_unknown_stream_names_are_refused():
    with pytest.raises(KeyError, match="unknown random stream"):
        RunStreams(1).get("wrold")


@settings(max_examples=30, deadline=None)
@given(asked=st.lists(st.booleans(), min_size=1, max_size=20))
def test_weekly_draws_consume_the_same_whatever_is_asked(asked):
    """Skipping weeks (a branch not taken) never shifts later weeks' numbers."""
    full = WeeklyDraws(np.random.default_rng(5), 3)
    sparse = WeeklyDraws(np.random.default_rng(5), 3)
    weeks = len(asked)
    expected = [full.take(w).copy() for w in range(weeks + 1)]
    for w, ask in enumerate(asked):
        if ask:
            assert np.array_equal(sparse.take(w), expected[w])
    assert np.array_equal(sparse.take(weeks), expected[weeks])


def test_weekly_draws_refuse_going_back():
    d = WeeklyDraws(np.random.default_rng(0), 2)
    d.take(3)
    with pytest.raises(ValueError):
        d.take(2)


def test_the_model_draws_nothing_from_its_root_generator_after_construction():
    """Every draw goes through a named stream: the root generator's state stays put."""
    model = TradeTalksModel(rng=4, farmer_agents=False, collect_series=False)
    before = model.rng.bit_generator.state
    for _ in range(12):
        model.step()
    assert model.rng.bit_generator.state == before
    assert set(model.streams._streams) <= set(STREAMS)
