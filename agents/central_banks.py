"""Central banks as Mesa agents: the Fed's rate rule and the PBoC's exchange-rate management.

Both act on the shared ``WorldState``: the Fed at scheduled meetings, the PBoC every week
(CNY/USD, dated reserve-requirement cuts) and at scheduled meetings (its reserve-requirement
rule).  The US Treasury's currency label is decided here too, since it reacts to the PBoC's
rate against the threshold.  Issue 12's optional blocks (``world.pboc.line``,
``world.pboc.lift_hazard``, ``calendar.rrr_cuts``) are off unless configured: without them
the PBoC draws and does exactly what it did before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from mesa import Agent
from mesa.time import Priority, Schedule
from scipy.special import expit as _expit
from scipy.special import logit as _logit
from scipy.special import ndtri as _normal
from tradetalks.sim.config import FedConfig, GrowthConfig, PBoCConfig
from tradetalks.sim.maker_rule import logistic, recency
from tradetalks.sim.streams import WeeklyDraws

PBOC_DRAWS = 2  # uniforms a week: the fixing shock (through the normal quantile), the label review
# The line's decision takes the low 27 of the label uniform's 53 random bits: a uniform on a
# grid of 2^-27 independent of its high 26 bits, so the label review (u < h, a decision on
# the high bits but for a band of 2^-26 around h) and the line are independent draws from
# one uniform, and the stream consumes PBOC_DRAWS a week with the line on or off.
LOW_BITS = 2.0**26


def low_bits(u: float) -> float:
    """A uniform from the low 27 bits of a 53-bit uniform ``u`` (exact in binary floats)."""
    return (u * LOW_BITS) % 1.0


if TYPE_CHECKING:
    from mesa import Model
    from tradetalks.sim.world import WorldState


class Fed(Agent):
    """Sets the policy rate at FOMC meetings by a rule reacting to growth and trade uncertainty.

    Options of issue 12 (off in the baseline): ``shadow_rate``, the rule's inertia acts on a
    latent unrounded rate carried across meetings, from ``shadow_start`` (the fitted overlay
    sets both); ``uncertainty_memory``, the rule reads the mean or an exponentially weighted
    memory of the weekly U since the last meeting."""

    def __init__(
        self, model: Model, cfg: FedConfig, growth: GrowthConfig, state: WorldState
    ) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.growth = growth
        self.state = state
        self.moves: list[tuple[int, float]] = []
        # the latent rate of the last meeting (shadow_rate); before the first, shadow_start
        # (not set: the start rate); a rate set by someone else hands it over (``hand_over``)
        self.shadow: float | None = cfg.shadow_start
        self._memory: list[float] = []  # [sum, count] of weekly U (mean) or [level] (ewma)
        self._seen: int | None = None  # the week last observed
        if cfg.uncertainty_memory is not None:  # a weekly observation, only with the option
            self._memory = [0.0, 0.0] if cfg.uncertainty_memory.kind == "mean" else []
            model.schedule_recurring(
                self.observe, Schedule(interval=1.0, start=1.0), priority=Priority.HIGH
            )

    def observe(self) -> None:
        """This week's U into the intermeeting memory (once a week; a meeting observes first)."""
        mem, week = self.cfg.uncertainty_memory, self.model.steps
        if mem is None or self._seen == week:
            return
        self._seen, u = week, self.state.trade_uncertainty
        if mem.kind == "mean":
            self._memory = [self._memory[0] + u, self._memory[1] + 1.0]
        else:
            keep = 0.5 ** (1.0 / float(mem.half_life_weeks or 1.0))
            self._memory = [keep * self._memory[0] + (1 - keep) * u if self._memory else u]

    def uncertainty(self) -> float:
        """The U the rule reads: the memory since the last meeting, else U this week."""
        mem = self.cfg.uncertainty_memory
        if mem is None:
            return self.state.trade_uncertainty
        self.observe()
        if mem.kind == "mean":
            total, count = self._memory
            return total / count if count else self.state.trade_uncertainty
        return self._memory[0]

    def target_rate(self) -> float:
        """The rule: neutral rate + growth gap response − uncertainty response (the 'insurance')."""
        st, c = self.state, self.cfg
        return (
            c.neutral
            + c.growth_response * (st.us_growth - self.growth.us_potential)
            - c.uncertainty_response * self.uncertainty()
        )

    @staticmethod
    def inertial_rate(
        previous: Any, target: Any, inertia: Any, step: float, lower: float, upper: float
    ) -> Any:
        """The inertial rule rounded to the step (issue 12): the midpoint of the ``step``-wide
        target range (bounds multiples of the step) containing inertia·previous + (1 −
        inertia)·target, i.e. the nearest range midpoint, within the midpoints inside
        [lower, upper].  numpy-broadcasting, for the fit (``sim/fed_fit.py``)."""
        aim = np.multiply(inertia, previous) + np.multiply(np.subtract(1.0, inertia), target)
        lo = step * (math.ceil(lower / step - 0.5) + 0.5)  # the lowest midpoint ≥ lower
        hi = step * (math.floor(upper / step - 0.5) + 0.5)  # the highest midpoint ≤ upper
        return np.clip(step * (np.floor(np.divide(aim, step)) + 0.5), lo, max(lo, hi))

    @staticmethod
    def hand_over(shadow: Any, rate: Any, step: float, lower: float, upper: float) -> Any:
        """The latent rate consistent with the announced ``rate``: ``shadow`` if it rounds to
        it, else the nearest point of the announced range (a rate set by someone else: the
        start, a replayed decision).  numpy-broadcasting, for the fit."""
        same = np.isclose(Fed.inertial_rate(shadow, 0.0, 1.0, step, lower, upper), rate)
        inside = np.clip(shadow, np.subtract(rate, step / 2), np.subtract(rate, step / 2) + step)
        return np.where(same, shadow, np.minimum(inside, np.nextafter(np.add(rate, step / 2), 0)))

    def meet(self) -> None:
        """One meeting: without ``inertia``, move by one step toward the target if the gap
        exceeds half a step; with it, set the inertial rule's rounded rate (from the latent
        rate with ``shadow_rate``)."""
        st, c = self.state, self.cfg
        if c.inertia is not None:
            target, previous = self.target_rate(), st.fed_rate
            if c.shadow_rate:
                shadow = st.fed_rate if self.shadow is None else self.shadow
                previous = float(
                    Fed.hand_over(shadow, st.fed_rate, c.step, c.lower_bound, c.upper_bound)
                )
                self.shadow = c.inertia * previous + (1 - c.inertia) * target
            new = float(
                self.inertial_rate(
                    previous, target, c.inertia, c.step, c.lower_bound, c.upper_bound
                )
            )
            if c.uncertainty_memory is not None and c.uncertainty_memory.kind == "mean":
                self._memory = [0.0, 0.0]  # the next meeting reads the weeks after this one
            if new != st.fed_rate:
                st.fed_rate = new
                self.moves.append((self.model.steps, st.fed_rate))
            return
        gap = self.target_rate() - st.fed_rate
        if abs(gap) >= c.step / 2:
            new = st.fed_rate + c.step * np.sign(gap)
            st.fed_rate = float(np.clip(new, c.lower_bound, c.upper_bound))
            self.moves.append((self.model.steps, st.fed_rate))


class PBoC(Agent):
    """Manages CNY/USD toward a tariff-offsetting target; eases reserves when growth sags or
    on the dates of the calendar's cuts; with ``line``, defends 7.0 unless China lets it pass
    (once passed, the line is defended again when the rate is back under it)."""

    def __init__(
        self,
        model: Model,
        cfg: PBoCConfig,
        growth: GrowthConfig,
        state: WorldState,
        us_tariff_start: float,
        draws: WeeklyDraws | None = None,
        us_tariff_base: float | None = None,
        rrr_cuts: Sequence[tuple[int, float]] | None = None,
        china_logit_scale: float | None = None,
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
        config = getattr(model, "config", None)  # a TradeTalksModel's; None for a lone bank
        # (week, pp off the system-wide ratio) of calendar.rrr_cuts, applied in step()
        self.rrr_cuts = _dated_cuts(config) if rrr_cuts is None else list(rrr_cuts)
        self.rrr_moves: list[tuple[int, float]] = []  # (week, ratio after): dated and rule cuts
        self.china_scale = _china_scale(config) if china_logit_scale is None else china_logit_scale
        if cfg.line is not None and self.china_scale is None:
            raise ValueError("world.pboc.line needs China's maker ([makers.china].logit_scale)")
        # the record's rate passed 7.0 on 5 August 2019 (facts): a run starting above the line
        # starts with it passed
        self.line_open = cfg.line is not None and state.cny_usd >= cfg.threshold
        self._crossed = self.line_open  # the rate has been past the line since it was let pass
        self.line_passes: list[int] = []  # weeks China let the rate pass the line
        self.label_lifts: list[int] = []  # weeks the Treasury lifted the label

    # ------------------------------------------------------------------ expectations
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

    # ------------------------------------------------------------------ the fixing
    @staticmethod
    def tariff_target(anchor: Any, offset: Any, expected_tariff: Any) -> Any:
        """The rate offsetting part of the expected US tariff (%): anchor·(1 + offset·tariff /
        100); numpy-broadcasting, for the fit (``sim/cny_fit.py``)."""
        return anchor * (1 + offset * expected_tariff / 100)

    @staticmethod
    def fixing(previous: float, target: float, adjustment: float, shock: float = 0.0) -> float:
        """One week's fixing: previous + adjustment·(target − previous) + shock, at least
        0.01 (the weekly step without the line; ``sim/cny_fit.py`` calls it with no shock)."""
        return max(0.01, previous + adjustment * (target - previous) + shock)

    def aim(self) -> float:
        """Where the PBoC would take the rate without a defended line: depreciation
        offsetting part of the expected tariffs; a currency pledge caps it under the line."""
        st, c = self.state, self.cfg
        target = self.tariff_target(c.cny_anchor, c.tariff_offset, self.expected_us_tariff())
        if st.currency_pledge > 0:
            cap = c.threshold - c.pledge_margin * st.currency_pledge
            target = min(target, cap)
        return target

    def target_rate(self) -> float:
        """The aim, capped just under the line while the PBoC defends it."""
        target = self.aim()
        return min(target, self.line_cap) if self.defending else target

    @property
    def defending(self) -> bool:
        """True while the PBoC holds the rate under the line (``world.pboc.line``)."""
        return self.cfg.line is not None and not self.line_open

    @property
    def line_cap(self) -> float:
        """Where a defended line holds the rate: ``threshold − line.margin``."""
        line = self.cfg.line
        return self.cfg.threshold - (0.0 if line is None else line.margin)

    def step(self) -> None:
        """Weekly fixing: partial adjustment toward the target plus a market shock."""
        st, c = self.state, self.cfg
        week = self.model.steps
        u = self.draws.take(week)
        self.update_expectations()
        self._apply_dated_cuts(week)
        self._decide_line(week, float(u[1]))
        shock = c.shock_sd * float(_normal(u[0]))
        rate = float(self.fixing(st.cny_usd, self.target_rate(), c.adjustment, shock))
        if self.defending:
            rate = min(rate, self.line_cap)
        elif self.line_open:
            self._rearm(rate)
        st.cny_usd = rate
        self._treasury_review()

    # ------------------------------------------------------------------ the line
    def weeks_since_us_hike(self, week: int) -> float:
        """Weeks since the last US tariff increase fired (inf if none)."""
        desk = getattr(self.model, "tariffs", None)
        fired = [] if desk is None else desk.fired.get("us", [])
        hikes = [w for w, pp, soy in fired if pp > 0 or soy > 0]
        return math.inf if not hikes else float(week - hikes[-1])

    def p_let_pass(self, week: int) -> float:
        """P(China lets the rate pass the line this week) = logistic((bias +
        reaction_weight·e^(−w/τ))/ς), w the weeks since a US hike fired (0 without a line)."""
        line = self.cfg.line
        if line is None or self.china_scale is None:
            return 0.0
        pull = line.reaction_weight * recency(
            self.weeks_since_us_hike(week), line.reaction_tau_weeks
        )
        return float(logistic((line.bias + pull) / self.china_scale))

    def _decide_line(self, week: int, u_label: float) -> None:
        """While the line is defended and the aim is beyond it, China decides whether to let
        the rate pass ("draw, then mask": its uniform is the label's low bits)."""
        if not self.defending or self.aim() <= self.line_cap:
            return
        if low_bits(u_label) < self.p_let_pass(week):
            self.line_open, self._crossed = True, False
            self.line_passes.append(week)

    def _rearm(self, rate: float) -> None:
        """The line passed is defended again once the rate, having gone past it, is back
        under it, or is under it with the aim no longer beyond the cap."""
        if rate >= self.cfg.threshold:
            self._crossed = True
        elif self._crossed or self.aim() <= self.line_cap:
            self.line_open = False

    # ------------------------------------------------------------------ the label
    def lift_probability(self) -> float:
        """The Treasury's weekly probability of lifting the label once ``lift_weeks`` are
        below the line: ``lift_probability``, or the ``lift_hazard`` logit."""
        c, h = self.cfg, self.cfg.lift_hazard
        if h is None:
            return c.lift_probability
        z = h.bias + h.weeks_weight * self.weeks_below
        return float(logistic(z + h.deal_weight * self.state.deal_probability))

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
            if self.draws.take(self.model.steps)[1] < self.lift_probability():
                st.manipulator = False
                self.label_lifts.append(self.model.steps)

    # ------------------------------------------------------------------ reserves
    def _apply_dated_cuts(self, week: int) -> None:
        """The calendar's RRR cuts dated this week (calendar.rrr_cuts)."""
        st = self.state
        for when, pp in self.rrr_cuts:
            if when == week:
                st.rrr = max(0.0, st.rrr - pp)
                self.rrr_moves.append((week, st.rrr))

    def meet(self) -> None:
        """A policy meeting: cut the reserve requirement if growth falls short enough."""
        st, c = self.state, self.cfg
        shortfall = (self.growth.cn_potential - st.cn_growth) / self.growth.shortfall_scale
        if shortfall >= c.rrr_trigger_shortfall and st.rrr - c.rrr_cut >= c.rrr_floor:
            st.rrr -= c.rrr_cut
            self.rrr_moves.append((self.model.steps, st.rrr))


def _dated_cuts(config: Any) -> list[tuple[int, float]]:
    """(week, pp) of a model config's ``calendar.rrr_cuts`` (none without a config)."""
    if config is None:
        return []
    return [(config.week_of(c.date), c.effective_pp) for c in config.calendar.rrr_cuts]


def _china_scale(config: Any) -> float | None:
    """China's maker's logit scale ς (None without ``[makers]``)."""
    makers = getattr(config, "makers", None)
    return None if makers is None else makers.china.logit_scale
