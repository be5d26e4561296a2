"""Tariff actions in a run: who decides, what fires, what is announced.

With ``[makers]`` in the config each government's ``TariffMaker`` (agents/makers.py) decides:
when an own announced action falls due it fires or postpones it (paying the audience cost of
backing down, once), and each week it may announce an escalation or a retaliation with a lead
time; every public decision goes into the negotiation's public-events log, where strategies
learn from it.  Without makers the legacy rule of the first version decides (a logit on talks
momentum and pressure, a coin flip for reciprocity, the audience cost as a ratifier shift).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from tradetalks.agents.makers import OppMove, TariffMaker, WeekInputs
from tradetalks.sim import snapshot
from tradetalks.sim.config import TariffAction
from tradetalks.sim.maker_rule import DueInputs, threat_size
from tradetalks.sim.protocol import SIDES, other
from tradetalks.sim.snapshot import TradeTalksModel

CalendarEvent = Any  # sim.model.CalendarEvent (a dated event with .week, .payload, .cancelled)


class TariffDesk:
    """Runs the tariff actions of one model: due actions, new announcements, the logs."""

    def __init__(self, model: TradeTalksModel) -> None:
        self.model = model
        cfg = model.config.makers
        self.makers: dict[str, TariffMaker] = (
            {}
            if cfg is None
            else {
                s: TariffMaker(model, s, cfg.side(s), model.streams.get(f"makers.{s}"))
                for s in SIDES
            }
        )
        self.fired: dict[str, list[tuple[int, float, float]]] = {s: [] for s in SIDES}
        self.announced: dict[str, list[tuple[int, float, float]]] = {s: [] for s in SIDES}
        self.gesture_week: dict[str, int | None] = dict.fromkeys(SIDES)
        self.per_pp_cost: dict[str, float] = dict.fromkeys(SIDES, 0.0)
        self.legacy = LegacyTariffs(model)

    # ------------------------------------------------------------------ due actions
    def due(self, ev: CalendarEvent) -> None:
        """An own announced action falls due: fire it or postpone it."""
        ev.done = True
        if not self.makers:
            self.legacy.due(ev, self.fire)
            return
        m, action = self.model, ev.payload
        side = action.side
        inputs = self.due_inputs(ev)
        decision = self.makers[side].decide_due(action, ev.week, inputs)
        if decision.kind == "fire":
            self.fire(side, action, ev.week)
        else:
            m.gestures.append(
                {"week": ev.week, "side": side, "label": action.label, "kind": "postponement"}
            )
            self.gesture_week[side] = ev.week
            m.talks_signal += m.config.world.gestures.talks_signal_gesture
            m.negotiation.record_event("postponement", side, ev.week)
            if decision.postpone_weeks is not None:
                new = m._schedule("tariff", ev.week + decision.postpone_weeks, action)
                if new is not None:
                    new.announced_week = getattr(ev, "announced_week", None)

    def due_inputs(self, ev: CalendarEvent, week: int | None = None) -> DueInputs:
        """The inputs of the fire-or-postpone rule for ``ev``'s action at ``week`` (default:
        its due week), as ``due`` computes them before deciding: it refreshes the projection
        and the side's own cost per pp (which the weekly rule reads).  The maker-fit reads
        it in replayed weeks (experiments/maker_fit.py)."""
        m, action = self.model, ev.payload
        side, week = action.side, ev.week if week is None else week
        valuation = snapshot.refresh(m) if m.projector is not None else None
        cost = 0.0
        if valuation is not None:
            cost = float(valuation.action_effect.get(action.label, {}).get(side, 0.0))
            size = max(abs(action.tariff_delta_pp), 1e-9)
            self.per_pp_cost[side] = cost / size
        return DueInputs(
            progress=snapshot.progress(m),
            own_cost=cost,
            age_weeks=snapshot.action_age(m.config, ev, week),
            weeks_since_opp_escalation=self._since(self.fired[other(side)], week),
            weeks_since_opp_gesture=self._since_week(self.gesture_week[other(side)], week),
        )

    def fire(self, side: str, action: TariffAction, week: int) -> None:
        """The action takes effect: tariffs rise, the world and the public record note it."""
        m = self.model
        m.world.escalate(side, action.tariff_delta_pp, action.soy_tariff_delta_pp)
        m.escalation_log.append({"week": week, "side": side, "label": action.label})
        m.last_fired[side] = week
        self.fired[side].append((week, action.tariff_delta_pp, action.soy_tariff_delta_pp))
        m.talks_signal += m.config.world.gestures.talks_signal_escalation
        if self.makers:
            m.negotiation.record_event("fired", side, week)
        m.monitor.fired(action.label, week)
        m._update_teams()

    # ------------------------------------------------------------------ weekly decisions
    def weekly(self, week: int) -> None:
        """Each maker may announce an escalation or a retaliation (v2 with makers only); not
        while a replay forces the record (their weekly draws are skipped, not shifted)."""
        if self.model.replaying(week):
            return
        for side, maker in self.makers.items():
            for d in maker.decide_week(week, self.week_inputs(side)):
                self.announce(side, d, week)

    def week_inputs(self, side: str) -> WeekInputs:
        """The inputs of ``side``'s maker's weekly rule now (see ``WeekInputs``)."""
        maker, opp = self.makers[side], other(side)
        mid = sum(maker.cfg.escalation_pp) / 2
        return WeekInputs(
            progress=snapshot.progress(self.model),
            own_cost=self.per_pp_cost[side] * mid,
            opp_fired=self._last_move(maker, self.fired[opp]),
            opp_announced=self._last_move(maker, self.announced[opp]),
            opp_gesture_week=self.gesture_week[opp],
            n_pending=len(self.model.pending_tariff_actions(side)),
            weeks_to_opp_election=self._weeks_to_election(opp),
        )

    def _weeks_to_election(self, side: str) -> float:
        """Weeks to ``side``'s next election (``farm_politics.election_dates`` are the US's;
        China has none): inf when none is ahead."""
        fp = self.model.config.farm_politics
        if side != "us" or fp is None:
            return math.inf
        today = self.model.date
        ahead = [(d - today).days / 7 for d in fp.election_dates if d >= today]
        return min(ahead, default=math.inf)

    def announce(self, side: str, d: Any, week: int) -> None:
        """A new action is public now and falls due ``d.lead_weeks`` weeks later."""
        m = self.model
        due = week + max(1, d.lead_weeks)
        action = TariffAction(
            date=m.start_date + dt.timedelta(weeks=due - 1),
            side=side,
            label=d.label,
            tariff_delta_pp=d.tariff_pp,
            soy_tariff_delta_pp=d.soy_pp,
            announced=m.date,
        )
        self.announced[side].append((week, d.tariff_pp, d.soy_pp))
        kind = "retaliation" if d.kind == "retaliate" else "escalation"  # remedial too
        m.negotiation.record_event(kind, side, week)
        m.announcements.append({"week": week, "side": side, "label": d.label, "kind": kind})
        ev = m._schedule("tariff", due, action)
        if ev is not None:
            ev.announced_week = week

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _last_move(maker: TariffMaker, log: list[tuple[int, float, float]]) -> OppMove | None:
        if not log:
            return None
        week, pp, soy = log[-1]
        return OppMove(week, float(threat_size(maker.cfg, pp, soy)))

    @staticmethod
    def _since(log: list[tuple[int, float, float]], week: int) -> float:
        return math.inf if not log else float(week - log[-1][0])

    @staticmethod
    def _since_week(then: int | None, week: int) -> float:
        return math.inf if then is None else float(week - then)

    def bind(self, sides: set[str]) -> None:
        """A signed deal covers these sides' tariffs: their makers stop escalating."""
        for side in sides:
            if side in self.makers:
                self.makers[side].bind()

    def audience_paid(self) -> list[dict[str, Any]]:
        """Every audience cost paid, both sides, in week order."""
        paid = [p for maker in self.makers.values() for p in maker.audience_paid]
        return sorted(paid, key=lambda p: (p["week"], p["side"]))


class LegacyTariffs:
    """The first version's rule for due actions (configs without ``[makers]``): a logit on
    talks momentum and the team's pressure, the audience cost as a ratifier shift, and a
    coin flip for the other side's reciprocal gesture."""

    def __init__(self, model: TradeTalksModel) -> None:
        self.model = model

    def due(self, ev: CalendarEvent, fire: Any) -> None:
        """Postpone ``ev``'s action as a gesture, or let it fire through ``fire``."""
        m, action = self.model, ev.payload
        g = m.config.world.gestures
        if not (action.postponable and self._decides_to_postpone(action, ev.week)):
            fire(action.side, action, ev.week)
            return
        m.gestures.append(
            {"week": ev.week, "side": action.side, "label": action.label, "kind": "postponement"}
        )
        self._postpone(ev, action)
        m.negotiation.credit_goodwill(other(action.side), m.config.protocol.goodwill_credit)
        for rat in m.ratifiers:  # audience cost: hawks at home punish backing down
            if rat.side == action.side and rat.cfg.base_indicator is None:
                rat.base_shift -= action.audience_cost
        m.talks_signal += g.talks_signal_gesture
        if m.streams.get(f"makers.{other(action.side)}").random() < g.reciprocate_probability:
            self._reciprocate(other(action.side), ev.week)

    def _decides_to_postpone(self, action: TariffAction, week_no: int) -> bool:
        m = self.model
        g = m.config.world.gestures
        window = m.config.protocol.talks_window_weeks
        talks_ahead = any(
            e.kind == "round" and week_no <= e.week <= week_no + window for e in m._events
        )
        momentum = float(talks_ahead) + float(m.negotiation.settled_text is not None)
        z = (
            g.postpone_bias
            + g.postpone_talks_weight * momentum
            + g.postpone_pressure_weight * m.teams[action.side].pressure
            - g.audience_cost_weight * action.audience_cost
        )
        u = m.streams.get(f"makers.{action.side}").random()
        return bool(u < 1 / (1 + math.exp(-z)))

    def _postpone(self, ev: CalendarEvent, action: TariffAction) -> None:
        ev.cancelled = True
        self.model._schedule("tariff", ev.week + action.postpone_weeks, action)

    def _reciprocate(self, side: str, week_no: int) -> None:
        m = self.model
        pending = [
            e for e in m.pending_tariff_actions(side) if e.payload.postponable and e.week > week_no
        ]
        if pending:
            ev = min(pending, key=lambda e: e.week)
            self._postpone(ev, ev.payload)
        if side == "china":
            m.world.state.goodwill_purchases_bn += m.config.world.soybeans.goodwill_purchase_bn
        m.negotiation.credit_goodwill(other(side), m.config.protocol.goodwill_credit)
        m.gestures.append(
            {"week": week_no, "side": side, "label": "reciprocal gesture", "kind": "reciprocation"}
        )
