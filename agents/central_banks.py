"""Central banks as Mesa agents: the Fed's rate rule and the PBoC's exchange-rate management.

Both act on the shared ``WorldState``: the Fed at scheduled meetings, the PBoC every week
(CNY/USD) and at scheduled meetings (reserve requirement).  The US Treasury's currency
label is decided here too, since it reacts to the PBoC's rate against the threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa import Agent
from scipy.special import expit as _expit
from scipy.special import logit as _logit
from scipy.special import ndtri as _normal
from tradetalks.sim.config import FedConfig, GrowthConfig, PBoCConfig
from tradetalks.sim.streams import WeeklyDraws

PBOC_DRAWS = 2  # uniforms a week: the fixing shock (through the normal quantile), the label review

if TYPE_CHECKING:
    from mesa import Model
    from tradetalks.sim.world import WorldState


class Fed(Agent):
    """Sets the policy rate at FOMC meetings by a rule reacting to growth and trade uncertainty."""

    def __init__(
        self, model: Model, cfg: FedConfig, growth: GrowthConfig, state: WorldState
    ) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.growth = growth
        self.state = state
        self.moves: list[tuple[int, float]] = []

    def target_rate(self) -> float:
        """The rule: neutral rate + growth gap response − uncertainty response (the 'insurance')."""
        st, c = self.state, self.cfg
        return (
            c.neutral
            + c.growth_response * (st.us_growth - self.growth.us_potential)
            - c.uncertainty_response * st.trade_uncertainty
        )

    def meet(self) -> None:
        """One meeting: move by one step toward the target if the gap exceeds half a step."""
        st, c = self.state, self.cfg
        gap = self.target_rate() - st.fed_rate
        if abs(gap) >= c.step / 2:
            new = st.fed_rate + c.step * np.sign(gap)
            st.fed_rate = float(np.clip(new, c.lower_bound, c.upper_bound))
            self.moves.append((self.model.steps, st.fed_rate))


class PBoC(Agent):
    """Manages CNY/USD toward a tariff-offsetting target; eases reserves when growth sags."""

    def __init__(
        self,
        model: Model,
        cfg: PBoCConfig,
        growth: GrowthConfig,
        state: WorldState,
        us_tariff_start: float,
        draws: WeeklyDraws | None = None,
        us_tariff_base: float | None = None,
    ) -> None:
        super().__init__(model)
        # two uniforms a week (the fixing shock, the label review), drawn whether used or not;
        # the model passes its "world" stream, a lone PBoC draws from its model's generator
        self.draws = WeeklyDraws(model.rng, PBOC_DRAWS) if draws is None else draws
        self.cfg = cfg
        self.growth = growth
        self.state = state
        self.us_tariff_start = us_tariff_start
        self.weeks_above = 0
        self.weeks_below = 0
        if cfg.expectations is not None and us_tariff_base is None:
            raise ValueError("deal expectations need the US tariff base (world.trade)")
        self.us_tariff_base = us_tariff_base
        self._seen = 0  # public events already read
        if cfg.expectations is not None:
            state.deal_probability = cfg.expectations.p_start

    def expected_us_tariff(self) -> float:
        """The US tariff the market expects: the one in force plus the hikes pending without
        a deal, the January 2018 base with one, weighted by the deal probability (the tariff
        in force without [world.pboc.expectations])."""
        st = self.state
        if self.cfg.expectations is None:
            return st.us_tariff_avg
        p, base = st.deal_probability, float(self.us_tariff_base or 0.0)
        return p * base + (1 - p) * (st.us_tariff_avg + st.us_threat_pp)

    def update_expectations(self) -> None:
        """Move the deal probability on the public news since last week (each kind once a
        week), after reverting part of the way to its start."""
        e, st = self.cfg.expectations, self.state
        if e is None:
            return
        events = getattr(getattr(self.model, "negotiation", None), "events", ())
        news = {(ev.week, ev.kind) for ev in events[self._seen :]}
        self._seen = len(events)
        start = _logit(e.p_start)
        x = start + (1 - e.reversion) * (_logit(st.deal_probability) - start)
        for _, kind in news:
            x += {
                "deal": e.step_deal,
                "truce": e.step_deal,
                "gesture": e.step_gesture,
                "postponement": e.step_gesture,
                "escalation": e.step_escalation,
                "fired": e.step_escalation,
                "retaliation": e.step_escalation,
                "collapse": e.step_collapse,
            }.get(kind, 0.0)
        st.deal_probability = float(_expit(x))

    def target_rate(self) -> float:
        """Depreciation offsetting part of the expected tariffs; a currency pledge caps it
        under the line."""
        st, c = self.state, self.cfg
        target = c.cny_anchor * (1 + c.tariff_offset * self.expected_us_tariff() / 100)
        if st.currency_pledge > 0:
            cap = c.threshold - c.pledge_margin * st.currency_pledge
            target = min(target, cap)
        return target

    def step(self) -> None:
        """Weekly fixing: partial adjustment toward the target plus a market shock."""
        st, c = self.state, self.cfg
        u = self.draws.take(self.model.steps)
        self.update_expectations()
        shock = c.shock_sd * float(_normal(u[0]))
        st.cny_usd = float(
            max(0.01, st.cny_usd + c.adjustment * (self.target_rate() - st.cny_usd) + shock)
        )
        self._treasury_review()

    def _treasury_review(self) -> None:
        """The US Treasury labels China after sustained weakness past the threshold; may lift it."""
        st, c = self.state, self.cfg
        if st.cny_usd >= c.threshold:
            self.weeks_above += 1
            self.weeks_below = 0
        else:
            self.weeks_below += 1
            self.weeks_above = 0
        pledged = st.currency_pledge >= 1.0  # a full pledge in force forestalls a new label
        if not st.manipulator and not pledged and self.weeks_above >= c.designation_weeks:
            st.manipulator = True
        elif st.manipulator and self.weeks_below >= c.lift_weeks:
            if self.draws.take(self.model.steps)[1] < c.lift_probability:
                st.manipulator = False

    def meet(self) -> None:
        """A policy meeting: cut the reserve requirement if growth falls short enough."""
        st, c = self.state, self.cfg
        shortfall = (self.growth.cn_potential - st.cn_growth) / self.growth.shortfall_scale
        if shortfall >= c.rrr_trigger_shortfall and st.rrr - c.rrr_cut >= c.rrr_floor:
            st.rrr -= c.rrr_cut
