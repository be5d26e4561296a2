"""Replay the record up to a date, then branch (issue 14, item 2).

``forced_history`` (pure) lists the recorded policy events after ``history.start`` up to
``history.replay_until``; ``Replay`` forces them on a running model, week by week: recorded
tariff actions are announced, postponed and fire on their recorded dates (the makers'
choices are not asked for), recorded rounds happen (without offers: the record holds none,
so no deal can be signed), truces and collapses enter the public record, and the Fed, the
PBoC's cuts, the manipulator label, Huawei's status and the recorded farm aid follow the
record.  Meanwhile the world, the farmers, readiness and the beliefs (which read the public
record) run forward.  From the week after ``replay_until`` the agents decide.
docs/RECORD.md, "Start anywhere, replay, branch", has the rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.sim.config import AidTranche, Config, TariffAction
from tradetalks.sim.history import action_size, average_pct, dropped, known_on, load
from tradetalks.sim.maker_rule import audience_cost, threat_size
from tradetalks.sim.protocol import SIDES, other
from tradetalks.sim.record import Entry, Record
from tradetalks.sim.snapshot import action_age

# record round levels -> the model's round levels (a leaders' summit runs as a principal round)
ROUND_LEVEL = {"leaders": "principal", "principals": "principal", "deputies": "deputy"}
TARIFF_ACTION = {
    "proposed": "announce",
    "announced": "announce",
    "rescheduled": "reschedule",
    "in_force": "fire",
    "suspended": "gesture",
    "exemption": "gesture",
}
SIMPLE = ("postponement", "truce", "round", "fed", "rrr", "manipulator")


@dataclass(frozen=True)
class Forced:
    """One recorded event a replay forces: the entry (its index in ``Record.all()``) and what
    the model does with it (``action``, one ``Replay._do_ACTION`` handler each)."""

    date: dt.date
    action: str
    index: int
    entry: Entry
    size: float = 0.0  # tariffs: pp of the side's average per due date; aid: $bn paid
    level: float | None = None  # average tariffs: the record's level in force from the date


# --------------------------------------------------------------------------- pure
def _observed(record: Record, side: str, day: dt.date) -> float | None:
    """``side``'s average tariff the record observes on ``day`` if it changed from the
    record's previous observation (None: no observation that day, or no change)."""
    steps = [e for e in record.of_kind("average_tariff") if e.side == side and e.date <= day]
    if not steps or steps[-1].date != day:
        return None
    now = average_pct(steps[-1])
    return None if len(steps) > 1 and average_pct(steps[-2]) == now else now


def _aid_paid(cfg: Config, record: Record, e: Any) -> float:
    """$bn paid when a package's payments begin: the first tranche where later ones are
    pending, else all that was paid (the record gives no tranche dates for it)."""
    ann = [
        a for a in record.of_kind("farm_aid") if a.package == e.package and a.stage == "announced"
    ]
    a = ann[-1] if ann else e
    total = a.mfp_bn or a.amount_bn or 0.0
    if a.pending:
        assert cfg.history is not None
        return total * cfg.history.first_tranche_share
    if a.paid_min_bn is not None and a.paid_max_bn is not None:
        return (a.paid_min_bn + a.paid_max_bn) / 2
    return total


def _action(e: Any, fires: set[tuple[dt.date, str]]) -> str | None:
    """What a replay does with an entry (None: nothing; an outcome or a target)."""
    if e.kind == "tariff":
        return TARIFF_ACTION.get(e.stage)
    if e.kind == "average_tariff":  # a step on a day the side's action fired is that fire's
        return None if (e.date, e.side) in fires else "level"
    if e.kind == "huawei":
        return "huawei" if e.action in ("entity_list", "licence", "licence_extended") else None
    if e.kind == "farm_aid":
        return "aid_announce" if e.stage == "announced" else "aid_pay"
    if e.kind == "purchase":
        return {"resumed": "gesture", "suspended": "purchase_stop"}.get(e.action)
    return e.kind if e.kind in SIMPLE else None


def forced_history(cfg: Config, record: Record) -> list[Forced]:
    """The recorded events a replay forces, after ``history.start`` up to ``replay_until``
    (both dates), in record order, without the entries ``history.drop`` names."""
    h = cfg.history
    if h is None or h.start is None or h.replay_until is None:
        return []
    drops, _ = dropped(record, h.drop, h.start, h.replay_until)
    fires = {(e.date, e.side) for e in record.of_kind("tariff") if e.stage == "in_force"}
    out = []
    for i, e in enumerate(record.all()):
        if not h.start < e.date <= h.replay_until or i in drops:
            continue
        action = _action(e, fires)
        if action is None:
            continue
        size, level = 0.0, None
        if action in ("announce", "reschedule", "fire"):
            size = action_size(cfg, known_on(record, e.date), e)[0]
        if action in ("fire", "level"):
            level = _observed(record, e.side, e.date)
        if action == "level" and level is None:
            continue  # an observation of an unchanged level forces nothing
        if action == "aid_pay":
            size = _aid_paid(cfg, record, e)
        out.append(Forced(e.date, action, i, e, size, level))
    return out


# --------------------------------------------------------------------------- in a run
class Replay:
    """Forces the recorded history on one model (``model.replay``; None without a replay)."""

    def __init__(self, model: Any) -> None:
        cfg = model.config
        assert cfg.history is not None and cfg.history.replay_until is not None
        self.model = model
        self.record = load(cfg)
        self.until = cfg.history.replay_until
        self.until_week = cfg.week_of(self.until)
        self.forced = forced_history(cfg, self.record)
        self.dropped = sorted(
            dropped(self.record, cfg.history.drop, cfg.history.start, self.until)[0]
        )
        self.log: list[dict[str, Any]] = []  # what was forced, week by week
        self.origin: dict[int, list[Any]] = {}  # record entry -> the pending events it set

    def covers(self, week: int) -> bool:
        """True in the weeks the record decides (up to the week of ``replay_until``)."""
        return week <= self.until_week

    def batches(self) -> list[tuple[int, list[Forced]]]:
        """The forced events by model week, in record order."""
        weeks: dict[int, list[Forced]] = {}
        for f in self.forced:
            weeks.setdefault(self.model.config.week_of(f.date), []).append(f)
        return sorted(weeks.items())

    def run(self, week: int, batch: list[Forced]) -> None:
        """Force one week's recorded events."""
        for f in batch:
            getattr(self, f"_do_{f.action}")(f, week)
            side = getattr(f.entry, "side", None)
            label = getattr(f.entry, "label", "") or getattr(f.entry, "result", "")
            self.log.append(
                {"week": week, "date": f.date.isoformat(), "action": f.action,
                 "kind": f.entry.kind, "side": side, "label": label}
            )  # fmt: skip
        self._threats()

    def retire(self, ev: Any) -> None:
        """A pending action falls due inside the replay: the record says what happened (a
        fire or a postponement forced on its own date), so the makers are not asked."""
        ev.done = True
        self._threats()

    def _threats(self) -> None:
        """Each side's threat is its pending dated actions, as at the start (sim/start.py)."""
        st = self.model.world.state
        for side, key in (("us", "us_threat_pp"), ("china", "cn_threat_pp")):
            live = self.model.pending_tariff_actions(side)
            setattr(st, key, sum(ev.payload.tariff_delta_pp for ev in live))

    # ------------------------------------------------------------------ tariffs
    def _pending(self, f: Forced, week: int, due: dt.date) -> None:
        m, e = self.model, f.entry
        action = TariffAction(
            date=due, side=e.side, label=f"{e.label} (record {e.date}, due {due})",
            tariff_delta_pp=f.size, announced=e.date,
        )  # fmt: skip
        ev = m._schedule("tariff", m.config.week_of(due), action)
        if ev is not None:
            ev.announced_week = week
            self.origin.setdefault(f.index, []).append(ev)

    def _do_announce(self, f: Forced, week: int) -> None:
        m, e = self.model, f.entry
        kind = e.move  # US actions escalate, China's retaliate (docs/RECORD.md)
        m.negotiation.record_event(kind, e.side, week)
        m.announcements.append({"week": week, "side": e.side, "label": e.label, "kind": kind})
        m.tariffs.announced[e.side].append((week, f.size, 0.0))
        opp_fired = m.tariffs.fired[other(e.side)]
        maker = m.tariffs.makers.get(e.side)
        if maker is not None and opp_fired:
            if week - opp_fired[-1][0] <= maker.cfg.retaliate_window_weeks:
                maker.answered_week = opp_fired[-1][0]  # this answers the opponent's step
        for due in e.due:
            if due > e.date:
                self._pending(f, week, due)

    def _do_reschedule(self, f: Forced, week: int) -> None:
        """A list split into parts with their own dates (List 4 -> 4A, 4B): the parent's
        pending actions give way to the parts'; neither an escalation nor a postponement."""
        e = f.entry
        for i, events in self.origin.items():
            parent = self.record.all()[i]
            if parent.side == e.side and parent.lists and e.lists.startswith(parent.lists):
                for ev in events:
                    ev.cancelled = True
        for due in e.due:
            if due > e.date:
                self._pending(f, week, due)

    def _live(self, side: str, week: int) -> list[Any]:
        return [ev for ev in self.model.pending_tariff_actions(side) if ev.week == week]

    def _do_fire(self, f: Forced, week: int) -> None:
        m, e = self.model, f.entry
        st = m.world.state
        soy = 0.0 if e.soy_tariff_pct is None else e.soy_tariff_pct - st.soy_tariff
        now = st.us_tariff_avg if e.side == "us" else st.cn_tariff_avg
        delta = f.size if f.level is None else f.level - now  # the record's level, if observed
        action = TariffAction(
            date=f.date, side=e.side, label=e.label, tariff_delta_pp=delta, soy_tariff_delta_pp=soy
        )
        m.tariffs.fire(e.side, action, week)
        for ev in self._live(e.side, week):
            ev.done = True

    def _do_level(self, f: Forced, week: int) -> None:
        """The average changes without an action of that day (the in-transit rule of 15 June
        2019, the car-tariff suspension): the level follows the record, no event."""
        world, side = self.model.world, f.entry.side
        assert f.level is not None
        key = "us_tariff_avg" if side == "us" else "cn_tariff_avg"
        delta = f.level - getattr(world.state, key)
        setattr(world.state, key, f.level)
        world.fired[side] = max(0.0, world.fired[side] + delta)

    def _do_postponement(self, f: Forced, week: int) -> None:
        m, e = self.model, f.entry
        cfg = m.config
        for ev in self._live(e.side, cfg.week_of(e.from_date)):
            ev.cancelled = True
            self._audience(ev, week)
            if e.to_date is not None:
                new = m._schedule("tariff", cfg.week_of(e.to_date), ev.payload)
                if new is not None:
                    new.announced_week = getattr(ev, "announced_week", None)
        self._gesture(e.side, week, e.label, "postponement")

    def _audience(self, ev: Any, week: int) -> None:
        """The maker pays the audience cost of backing down, as its own postponement would."""
        maker = self.model.tariffs.makers.get(ev.payload.side)
        if maker is None:
            return
        a = ev.payload
        size = float(threat_size(maker.cfg, a.tariff_delta_pp, a.soy_tariff_delta_pp))
        age = action_age(self.model.config, ev, week)
        cost = float(audience_cost(maker.cfg, size, age))
        maker.audience_paid.append(
            {"week": week, "side": a.side, "label": a.label, "cost": cost,
             "size_pp": size, "age_weeks": float(age)}
        )  # fmt: skip

    def _gesture(self, side: str, week: int, label: str, kind: str) -> None:
        m = self.model
        m.negotiation.record_event(kind, side, week)
        m.gestures.append({"week": week, "side": side, "label": label, "kind": kind})
        m.tariffs.gesture_week[side] = week
        m.talks_signal += m.config.world.gestures.talks_signal_gesture

    def _do_gesture(self, f: Forced, week: int) -> None:
        e = f.entry
        if e.kind == "purchase":
            st = self.model.world.state
            st.goodwill_purchases_bn += self.model.config.world.soybeans.goodwill_purchase_bn
        self._gesture(e.side, week, e.label, "gesture")

    def _do_purchase_stop(self, f: Forced, week: int) -> None:
        self.model.world.state.goodwill_purchases_bn = 0.0

    # ------------------------------------------------------------------ talks
    def _do_truce(self, f: Forced, week: int) -> None:
        for side in SIDES:
            self.model.negotiation.record_event("truce", side, week)

    def _do_round(self, f: Forced, week: int) -> None:
        m, e = self.model, f.entry
        level = ROUND_LEVEL[e.level]
        m.planner.note_round(week, level)
        m.negotiation.forced_round(week, level, f.date, collapse=e.result == "collapse")

    # ------------------------------------------------------------------ policy levels
    def _do_fed(self, f: Forced, week: int) -> None:
        m = self.model
        m.world.state.fed_rate = float(f.entry.midpoint)
        m.fed.moves.append((m.steps, m.world.state.fed_rate))

    def _do_rrr(self, f: Forced, week: int) -> None:
        e, h = f.entry, self.model.config.history
        if e.cut_bp:  # a level for one class of banks (level_pct) moves no system-wide ratio
            cover = h.targeted_rrr_coverage if e.targeted else 1.0
            st = self.model.world.state
            st.rrr = float(np.clip(st.rrr - e.cut_bp / 100 * cover, 0.0, None))

    def _do_manipulator(self, f: Forced, week: int) -> None:
        self.model.world.state.manipulator = bool(f.entry.designated)

    def _do_huawei(self, f: Forced, week: int) -> None:
        levels = self.model.config.history.huawei
        key = "entity_list" if f.entry.action == "entity_list" else "licence"
        self.model.world.state.huawei_status = float(getattr(levels, key))

    def _do_aid_announce(self, f: Forced, week: int) -> None:
        m, e, h = self.model, f.entry, self.model.config.history
        if not e.pending:
            return
        each = (e.mfp_bn or e.amount_bn or 0.0) * (1 - h.first_tranche_share) / len(e.pending)
        for day in e.pending:
            m._schedule(
                "aid", m.config.week_of(day), AidTranche(date=day, amount_bn=each, announced=e.date)
            )

    def _do_aid_pay(self, f: Forced, week: int) -> None:
        st, amount = self.model.world.state, f.size
        st.farm_aid_paid_bn += self.model.farmers.pay_aid(amount)
        st.farm_aid_budget_paid_bn += amount

    def summary(self) -> dict[str, Any]:
        """The summary's ``history`` block: the start, the branch, what was forced."""
        h = self.model.config.history
        return {
            "start": h.start.isoformat(), "replay_until": self.until.isoformat(),
            "branch_week": self.until_week + 1, "record": h.record,
            "dropped": [self._name(i) for i in self.dropped], "forced": self.log,
        }  # fmt: skip

    def _name(self, i: int) -> str:
        e = self.record.all()[i]
        side = getattr(e, "side", None)
        return f"{e.date} {e.kind}" + (f" {side}" if side else "")
