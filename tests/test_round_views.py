"""Views over a round's outcomes (sim/protocol.py): the mechanism gives strategies that declare
``round_positions`` arrays over the outcomes the round can touch (those on the table and those
in the history) instead of the whole space. It is an optimisation, so it must change nothing:
the same offers, answers and deals as whole-space views, seed for seed."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASELINE
from test_core_v2 import FAST, fingerprint
from tradetalks.agents.screening import ScreeningStrategy
from tradetalks.agents.strategies import Strategy
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.protocol import ProtocolError
from tradetalks.sim.shipped import locate

WEEKS = 30


def _run(config, seed: int, monkeypatch, positions: bool) -> TradeTalksModel:
    with monkeypatch.context() as m:
        m.setattr(Strategy, "round_positions", positions)
        m.setattr(ScreeningStrategy, "round_positions", positions)
        model = TradeTalksModel(
            config, rng=seed, overrides={**FAST, "run.weeks": WEEKS}, farmer_agents=False
        )
        model.run()
    return model


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("config", ["baseline", "theory/rubinstein", "legacy/clock_v1"])
def test_views_over_round_outcomes_change_nothing(config, seed, monkeypatch):
    """Every offer (proposer, outcome, both utilities, answer), deal and weekly series is the
    same with round views as with whole-space views."""
    cfg = BASELINE if config == "baseline" else locate(config)
    local = _run(cfg, seed, monkeypatch, positions=True)
    whole = _run(cfg, seed, monkeypatch, positions=False)
    assert local.negotiation.history, "the run made no offer: nothing was compared"
    assert fingerprint(local) == fingerprint(whole)
    values = [
        [(dict(r.utility), dict(r.reservation)) for r in m.negotiation.history]
        for m in (local, whole)
    ]
    assert values[0] == values[1]


def _first_view(monkeypatch, positions: bool):
    """The first view the US's deputy strategy gets in a baseline run."""
    model = TradeTalksModel(BASELINE, rng=1, overrides=FAST, farmer_agents=False)
    strategy = model.teams["us"].strategy_for("deputy")
    seen: list = []
    original = strategy.propose

    def record(view):
        seen.append(view)
        return original(view)

    monkeypatch.setattr(strategy, "propose", record)
    monkeypatch.setattr(type(strategy), "round_positions", positions)
    while not seen and model.running:
        model.step()
    return model, seen[0]


def test_a_round_view_covers_the_available_outcomes_and_maps_positions_back(monkeypatch):
    model, view = _first_view(monkeypatch, positions=True)
    neg, space = model.negotiation, model.space
    assert len(view.outcomes) < len(space)
    assert np.all(np.diff(view.outcomes) > 0)
    available = np.flatnonzero(neg.available)
    assert np.array_equal(view.outcomes[view.available], available)
    us = model.teams["us"]
    for pos in (0, len(view.outcomes) // 2, len(view.outcomes) - 1):
        x = view.outcome(pos)
        assert view.own_utility[pos] == us.utility()[x]
        assert np.array_equal(view.opponent_values[pos], space.contributions("china")[x])


def test_a_strategy_that_does_not_declare_round_positions_sees_the_whole_space(monkeypatch):
    model, view = _first_view(monkeypatch, positions=False)
    assert len(view.own_utility) == len(model.space)
    assert np.array_equal(view.outcomes, np.arange(len(model.space)))
    assert view.outcome(7) == 7


def test_an_offer_outside_the_round_is_refused(monkeypatch):
    """A position beyond the round's outcomes, or one not on the table, is a protocol error."""
    model = TradeTalksModel(BASELINE, rng=1, overrides=FAST, farmer_agents=False)
    strategy = model.teams["us"].strategy_for("deputy")
    monkeypatch.setattr(strategy, "propose", lambda view: len(view.outcomes))
    with pytest.raises(ProtocolError, match="not on the table"):
        while model.running:
            model.step()


@pytest.mark.parametrize(
    "config", ["baseline", "scenarios/implementation", "scenarios/enforcement_anticipated"]
)
def test_team_values_at_a_rounds_outcomes_equal_the_whole_spaces(config):
    """A team's utility, gains, next-round gains and public values computed on a round's
    outcomes alone (``space.rows``: hostage, joint-issue, dispute and Congress terms included)
    equal its values over the whole space at those outcomes, bit for bit."""
    cfg = BASELINE if config == "baseline" else locate(config)
    model = TradeTalksModel(cfg, rng=2, overrides=FAST, farmer_agents=False)
    for _ in range(6):
        model.step()
    rng = np.random.default_rng(0)
    index = np.sort(rng.choice(len(model.space), size=500, replace=False))
    rows = model.space.rows(index)
    for team in model.teams.values():
        assert np.array_equal(team.utility_at(rows, index), team.utility()[index])
        assert np.array_equal(team.gain_at(rows, index), team.gain()[index])
        assert np.array_equal(team.gain_next_at(rows, index), team.gain_next()[index])
        seen, r = team.public_values_at(rows, index)
        full, r_full = team.public_values()
        assert r == r_full and np.array_equal(seen, full[index])
