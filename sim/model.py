"""TradeTalksModel: the Mesa model that assembles teams, farmers, central banks and the calendar.

One step is one week.  Each week the PBoC fixes the yuan, trade and soybean markets clear,
farmers update income and approval, growth and uncertainty move, and the teams recompute
utilities and reservation values.  Dated events (rounds, tariff deadlines, central-bank
meetings, aid tranches, patience changes) run through Mesa's event list right after the
step, and the DataCollector records the week last.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.time import Priority, Schedule
from scipy.special import ndtri
from tradetalks.agents import farmers as farms
from tradetalks.agents.central_banks import PBOC_DRAWS, Fed, PBoC
from tradetalks.agents.negotiators import Team
from tradetalks.sim import reporters, snapshot
from tradetalks.sim.chapters import Chapters
from tradetalks.sim.config import AidTranche, Config, PatienceChange, RoundEvent
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.meetings import MeetingPlanner
from tradetalks.sim.monitoring import Monitor
from tradetalks.sim.payoffs import Ratifier, rubinstein_share
from tradetalks.sim.projector import Projector, Valuation, observer_projector
from tradetalks.sim.protocol import SIDES, DealRecord, Negotiation, other
from tradetalks.sim.replay import Replay
from tradetalks.sim.scenario import DEFAULT_CONFIG, check_strategies, resolve_config
from tradetalks.sim.snapshot import meeting_requests
from tradetalks.sim.spaces import outcome_space, run_space
from tradetalks.sim.start import indicators, initial_world, sync_farms
from tradetalks.sim.streams import RunStreams, WeeklyDraws
from tradetalks.sim.summary import build_summary
from tradetalks.sim.tariffs import TariffDesk

__all__ = [
    "DEFAULT_CONFIG",
    "TradeTalksModel",
    "check_strategies",
    "outcome_space",
    "resolve_config",
]

INCIDENT_DRAWS = 2  # uniforms a week for political incidents: whether, and which side
EVENT_ORDER = ("patience", "aid", "fed", "pboc", "replay", "round", "tariff")  # in a week


class CalendarEvent:
    """A dated event; a callable object (kept alive by the model) for Mesa's event list."""

    def __init__(self, model: TradeTalksModel, kind: str, week: int, payload: Any) -> None:
        self.model = model
        self.kind = kind
        self.week = week
        self.payload = payload
        self.cancelled = False

    def __call__(self) -> None:
        """Run the event unless it was cancelled."""
        if not self.cancelled:
            getattr(self.model, f"_on_{self.kind}")(self)


class TradeTalksModel(mesa.Model):
    """The US–China trade talks, one step per week.

    ``config`` is a path, a raw dict or a ``Config``; ``rng`` the run's seed (defaults to
    ``run.seed`` in the config); ``overrides`` and any extra keyword arguments are dotted
    key paths set on the config (so ``mesa.batch_run`` can sweep them).  With
    ``farmer_series`` the DataCollector also records every farmer's approval and distress
    (off by default, and in sweeps).  ``collect_series=False`` skips the weekly series
    altogether (a sweep that keeps only summary outcomes); the summary is unchanged.
    Farmers are population arrays (``model.farmers``); a Mesa agent and network cell per
    farm are built only when something reads them: ``farmer_agents=True`` (the browser app)
    or ``farmer_series`` (the default, ``None``, means "only for the farmer series").  Every
    farmer's state and the weekly dynamics are the same either way (the per-farm agents
    draw no random numbers), so the summary and series are unchanged.
    ``space`` is a prebuilt ``OutcomeSpace`` of this config's issues: it is read-only, so
    callers that run many models (sweeps, the browser app, tests) build it once and share it.
    """

    def __init__(
        self,
        config: str | Path | Config | dict[str, Any] | None = None,
        rng: int | None = None,
        overrides: dict[str, Any] | None = None,
        farmer_series: bool = False,
        collect_series: bool = True,
        farmer_agents: bool | None = None,
        space: OutcomeSpace | None = None,
        **params: Any,
    ) -> None:
        if farmer_series and farmer_agents is False:
            raise ValueError("farmer_series=True needs farmer_agents=True")
        farmer_agents = bool(farmer_series) if farmer_agents is None else farmer_agents
        merged = {**(overrides or {}), **params}
        self.config = resolve_config(config, merged)
        cfg = self.config
        seed = cfg.run.seed if rng is None else rng
        super().__init__(rng=seed)
        self.seed = int(seed) if isinstance(seed, (int, np.integer)) else None
        # every source of randomness draws from its own named stream (sim/streams.py)
        root = self.seed if self.seed is not None else int(self.rng.integers(2**63))
        self.streams = RunStreams(root)
        self.incident_draws = WeeklyDraws(self.streams.get("incidents"), INCIDENT_DRAWS)
        self.start_date = cfg.run.start_date
        self.horizon = cfg.run.weeks

        self.space = run_space(cfg, space)
        self._build_agents(farmer_agents)
        self.talks_signal = 0.0
        self.gestures: list[dict[str, Any]] = []
        self.escalation_log: list[dict[str, Any]] = []
        self.announcements: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.last_fired: dict[str, int | None] = dict.fromkeys(SIDES)
        self.tariffs = TariffDesk(self)
        self.monitor = Monitor(self)  # reviews of purchases after a deal (issue 12)
        self.planner = MeetingPlanner(cfg.calendar.meetings)
        # core v2: values from the projector (None: the legacy pressure-index valuation)
        self.projector = Projector(cfg, self.space) if cfg.valuation is not None else None
        # China's model of the US's values, projected at another aid scale (None: the same)
        self.observer = observer_projector(cfg, self.space) if self.projector else None
        self.valuation: Valuation | None = None
        self.valuation_week = 0
        # the recorded history forced up to history.replay_until (None: the agents decide)
        hist = cfg.history
        self.replay = Replay(self) if hist is not None and hist.replay_until else None

        self._update_domestic()
        self._update_teams()
        self._events: list[CalendarEvent] = []
        self._schedule_calendar()
        if self.projector is not None:
            snapshot.refresh(self)
        self._start_collection(farmer_series, collect_series)

    def _build_agents(self, farmer_agents: bool) -> None:
        """The world, farmers, central banks, teams, ratifiers and the mechanism."""
        cfg = self.config
        self.world = initial_world(cfg)
        st = self.world.state

        self.network, self.farmers, self.farmer_agents = farms.build_farmers(
            self, cfg.world.farmers, agents=farmer_agents
        )
        self.fed = Fed(self, cfg.world.fed, cfg.world.growth, st)
        self.pboc = PBoC(
            self,
            cfg.world.pboc,
            cfg.world.growth,
            st,
            cfg.world.trade.us_tariff_start,
            draws=WeeklyDraws(self.streams.get("world"), PBOC_DRAWS),
            us_tariff_base=cfg.world.trade.us_tariff_base,
        )
        self.teams = {side: Team(self, side, cfg.teams[side], self.space) for side in SIDES}
        self.ratifiers = [Ratifier(name, r, self.space) for name, r in cfg.ratifiers.items()]
        self._draw_private_types()
        self.chapters = Chapters.from_config(cfg, self.space)
        self.negotiation = Negotiation(
            self.space, self.teams, self.ratifiers, cfg.protocol, self.horizon, self.chapters
        )

    def _draw_private_types(self) -> None:
        """Private information from the "types" stream, in a fixed order and count: each
        ratifier's true threshold, then each side's own acceptance share (core-v2 §1 C, F)."""
        types = self.streams.get("types")
        for rat in self.ratifiers:
            rat.draw_private(types)
        spec = self.config.types
        u = types.random(len(SIDES))
        if spec is None or spec.sd <= 0:
            return
        for side, ui in zip(SIDES, u, strict=True):
            team, opp = self.teams[side], self.teams[other(side)]
            mean = rubinstein_share(team.patience, opp.patience)
            team.private_type = float(np.clip(mean + spec.sd * ndtri(ui), 0.0, 1.0))

    def _start_collection(self, farmer_series: bool, collect_series: bool) -> None:
        """The DataCollector; with ``collect_series`` it records week 0 now and each week last."""
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters.model_reporters(),
            agenttype_reporters={farms.Farmer: reporters.farmer_reporters()}
            if farmer_series
            else None,
        )
        if collect_series:
            self.schedule_recurring(
                self._collect, Schedule(interval=1.0, start=1.0), priority=Priority.LOW
            )
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ calendar
    @property
    def date(self) -> dt.date:
        """First day of the current week."""
        return self.start_date + dt.timedelta(weeks=max(self.steps - 1, 0))

    def _schedule_calendar(self) -> None:
        cal, cfg = self.config.calendar, self.config
        items: list[tuple[int, int, str, Any]] = []

        def add(kind: str, day: dt.date, payload: Any) -> None:
            items.append((cfg.week_of(day), EVENT_ORDER.index(kind), kind, payload))

        for p in cal.patience_changes:
            add("patience", p.date, p)
        for a in cal.farm_aid:
            add("aid", a.date, a)
        for d in cal.fed_meetings:
            add("fed", d, d)
        for d in cal.pboc_meetings:
            add("pboc", d, d)
        for r in cal.rounds:
            add("round", r.date, r)
        for t in cal.tariff_actions:
            add("tariff", t.date, t)
        for week_no, batch in self.replay.batches() if self.replay is not None else []:
            items.append((week_no, EVENT_ORDER.index("replay"), "replay", batch))
        for week_no, _, kind, payload in sorted(items, key=lambda x: (x[0], x[1])):
            if week_no <= self.horizon:  # a shortened run stops before later events
                self._schedule(kind, week_no, payload)

    def _schedule(self, kind: str, week_no: int, payload: Any) -> CalendarEvent | None:
        """Put an event on Mesa's event list (None: it would fall after the run's end)."""
        if week_no > self.horizon or week_no < max(self.steps, 1):
            return None
        ev = CalendarEvent(self, kind, week_no, payload)
        self._events.append(ev)
        self.schedule_event(ev, at=float(week_no))
        return ev

    def pending_rounds(self) -> list[CalendarEvent]:
        """Rounds set and not yet held (calendar or requested)."""
        return [
            e for e in self._events if e.kind == "round" and not e.cancelled and e.week > self.steps
        ]

    def pending_tariff_actions(self, side: str) -> list[CalendarEvent]:
        """Scheduled tariff actions of ``side`` that have not fired, been cancelled or lapsed."""
        return [
            e
            for e in self._events
            if e.kind == "tariff"
            and not e.cancelled
            and e.payload.side == side
            and e.week >= self.steps
            and not getattr(e, "done", False)
        ]

    # ------------------------------------------------------------------ weekly step
    def step(self) -> None:
        """One week of world dynamics; dated events follow through the event list."""
        week_no = self.steps
        self.pboc.step()
        self.world.update_trade(week_no, self.talks_signal)  # last week's, before the decay
        self._update_domestic()
        self.world.update_growth(self.streams.get("world"))
        self.world.update_uncertainty()
        self._politics(week_no)
        self._update_teams()
        self.tariffs.weekly(week_no)
        self.monitor.weekly(week_no)
        self._plan_meetings(week_no)
        if week_no >= self.horizon:
            self.running = False

    def replaying(self, week_no: int) -> bool:
        """True in the weeks a replay forces the record (no choices of the agents)."""
        return self.replay is not None and self.replay.covers(week_no)

    def _plan_meetings(self, week_no: int) -> None:
        """Rounds on request beyond the announced calendar (calendar.meetings)."""
        if not self.planner.cfg.enabled or self.replaying(week_no):
            return
        requests = meeting_requests(self, week_no)
        for week, level in self.planner.plan(week_no, requests, not self.negotiation.done):
            self._schedule("round", week, RoundEvent(date=self._date_of(week), level=level))

    def _date_of(self, week: int) -> dt.date:
        return self.start_date + dt.timedelta(weeks=week - 1)

    def _politics(self, week_no: int) -> None:
        """A political incident, with small weekly probability, hardens one side's stance."""
        pol = self.config.world.politics
        u = self.incident_draws.take(week_no)  # drawn every week, used or not
        if u[0] < pol.incident_probability and not self.replaying(week_no):
            side = SIDES[min(int(u[1] * len(SIDES)), len(SIDES) - 1)]
            self.negotiation.credit_goodwill(side, -pol.incident_hardening)
            self.incidents.append({"week": week_no, "offended": side})
            if self.projector is not None:  # core v2: the offended side hardens its own bar
                team = self.teams[side]
                team.private_type = min(1.0, (team.private_type or 0.0) + pol.incident_hardening)
                self.negotiation.record_event("incident", side, week_no)

    def _update_domestic(self) -> None:
        self.talks_signal *= 1 - self.config.world.farmers.talks_signal_decay
        sync_farms(self.world, self.farmers, self.talks_signal)

    def _update_teams(self) -> None:
        if self.projector is not None:  # core v2: values come from the projection only
            return
        pressures = self.world.pressures()
        for team in self.teams.values():
            team.update(pressures)

    def indicators(self) -> dict[str, float]:
        """Live indicators ratifiers may use as their base support."""
        return indicators(self.world)

    def _collect(self) -> None:
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ event handlers
    def _on_patience(self, ev: CalendarEvent) -> None:
        change: PatienceChange = ev.payload
        self.teams[change.team].patience = change.patience

    def _on_aid(self, ev: CalendarEvent) -> None:
        tranche: AidTranche = ev.payload
        fp = self.config.farm_politics
        amount = tranche.amount_bn * (1.0 if fp is None else fp.aid_scale)  # the aid lever
        amount *= snapshot.aid_due_now(self.config, self.world.state.soy_tariff)
        self.world.state.farm_aid_paid_bn += self.farmers.pay_aid(amount)
        self.world.state.farm_aid_budget_paid_bn += amount

    def _on_fed(self, ev: CalendarEvent) -> None:
        self.fed.meet()

    def _on_pboc(self, ev: CalendarEvent) -> None:
        self.pboc.meet()

    def _on_round(self, ev: CalendarEvent) -> None:
        rnd: RoundEvent = ev.payload
        self.planner.note_round(ev.week, rnd.level)
        if self.projector is not None and (
            rnd.level == "principal"
            or ev.week - self.valuation_week >= self.projector.val.round_gap_weeks
        ):
            snapshot.refresh(self)  # principals decide on a fresh projection; deputies reuse one

        deal = self.negotiation.run_round(ev.week, rnd.level, self.indicators(), date=rnd.date)
        if deal is not None:
            self._apply_deal(deal)

    def _apply_deal(self, deal: DealRecord) -> None:
        quantities: dict[str, float] = {}
        for j, issue in enumerate(self.space.issues):
            if issue.name in deal.new_issues:
                lvl = int(self.space.row(deal.outcome)[j])
                quantities.update({k: float(v[lvl]) for k, v in issue.quantities.items()})
        ended = self.world.apply_terms(quantities, deal.week)
        for side in ended:
            for ev in self.pending_tariff_actions(side):
                ev.cancelled = True
        self.tariffs.bind(ended)
        for side in SIDES:
            self.negotiation.record_event("deal", side, deal.week)
        self.talks_signal += self.config.world.gestures.talks_signal_deal
        self._update_teams()
        if self.projector is not None:
            snapshot.refresh(self)

    def _on_tariff(self, ev: CalendarEvent) -> None:
        if self.replay is not None and self.replay.covers(ev.week):
            self.replay.retire(ev)
        else:
            self.tariffs.due(ev)

    def _on_replay(self, ev: CalendarEvent) -> None:
        self.replay.run(ev.week, ev.payload)

    # ------------------------------------------------------------------ results
    def run(self) -> dict[str, Any]:
        """Run to the horizon and return the summary."""
        while self.running:
            self.step()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """The run summary (JSON-ready; fields in README, "Running one simulation"); a run
        with ``[history]`` adds a ``history`` block (sim/replay.py)."""
        out = build_summary(self)
        if self.config.history is not None and self.config.history.start is not None:
            rep = self.replay.summary() if self.replay else {"start": str(self.start_date)}
            out["history"] = rep
        return out

    def timeseries(self):
        """Weekly model series as a pandas DataFrame (one row per week, week 0 = start)."""
        df = self.datacollector.get_model_vars_dataframe()
        return df.reset_index(drop=True)
