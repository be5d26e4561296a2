"""The market's deal probability (issue 12): it moves on public news, and the PBoC aims the
yuan at the tariff it implies, so a scripted escalation and a scripted deal move the yuan in
opposite directions."""

from __future__ import annotations

import mesa
import pytest
from helpers import BASELINE
from tradetalks.agents.central_banks import PBoC
from tradetalks.sim.config import DealExpectationsConfig, load_config
from tradetalks.sim.protocol import PublicEvent
from tradetalks.sim.world import World

CFG = load_config(BASELINE)
EXPECT = DealExpectationsConfig(
    p_start=0.4,  # the values of this test, not the model's
    reversion=0.1,
    step_deal=2.0,
    step_gesture=0.5,
    step_escalation=-1.0,
    step_collapse=-2.0,
)


class _Talks:
    def __init__(self) -> None:
        self.events: list[PublicEvent] = []


def _pboc(expectations: DealExpectationsConfig | None, news: str | None, weeks: int = 3):
    """A PBoC stepped ``weeks`` weeks; ``news`` happens in week 1 (shocks off)."""
    pc = CFG.world.pboc.model_copy(update={"expectations": expectations, "shock_sd": 0.0})
    w = World(CFG.world.model_copy(update={"pboc": pc}))
    model = mesa.Model(rng=0)
    model.negotiation = _Talks()
    bank = PBoC(
        model, pc, CFG.world.growth, w.state, CFG.world.trade.us_tariff_start,
        us_tariff_base=CFG.world.trade.us_tariff_base,
    )  # fmt: skip
    for week in range(1, weeks + 1):
        if news is not None and week == 1:
            model.negotiation.events.append(PublicEvent(week, "us", news))
        model.steps = week
        bank.step()
    return w.state


def test_an_escalation_and_a_deal_move_the_yuan_in_opposite_directions():
    calm = _pboc(EXPECT, None)
    hot = _pboc(EXPECT, "escalation")
    deal = _pboc(EXPECT, "deal")
    assert hot.deal_probability < calm.deal_probability < deal.deal_probability
    assert hot.cny_usd > calm.cny_usd > deal.cny_usd  # CNY per USD: up is a weaker yuan


def test_without_expectations_news_moves_nothing():
    assert _pboc(None, "escalation").cny_usd == pytest.approx(_pboc(None, None).cny_usd)
    assert _pboc(None, "deal").cny_usd == pytest.approx(_pboc(None, None).cny_usd)


def test_the_probability_reverts_toward_its_start():
    early = _pboc(EXPECT, "deal", weeks=2).deal_probability
    late = _pboc(EXPECT, "deal", weeks=40).deal_probability
    assert EXPECT.p_start < late < early


def test_in_a_run_the_deal_lifts_the_market_probability():
    from tradetalks.sim.model import TradeTalksModel

    over = {"world.farmers.count": 150, "world.pboc.expectations": EXPECT.model_dump()}
    model = TradeTalksModel(BASELINE, rng=1, overrides=over)
    model.run()
    p = model.timeseries()["deal_probability"].to_numpy(float)
    week = model.negotiation.deals[0].week
    assert p[0] == pytest.approx(EXPECT.p_start)
    # the PBoC fixes before the week's rounds: it reads the deal the week after
    assert p[week + 1] > p[week]
