"""Core v2 glue: what is public this week, projected into the teams' values.

``snapshot(model)`` collects what the projector may see at the current week — the world's
public state, the farm population's aggregates, the tariff actions announced by now (each
weighted by its credibility, the makers' own firing rule), the aid announced or expected,
the terms in force — and ``refresh(model)`` projects it and hands each team its
``Valuation``: utilities and walk-away values on one scale (core-v2 §1 A–B).  Nothing
unannounced enters: a calendar entry is invisible before its ``announced`` date (§1 K).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.chapters import congress_pressure
from tradetalks.sim.config import Config
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.maker_rule import DueInputs, p_fire, threat_size
from tradetalks.sim.projector import PendingAction, Snapshot, Valuation, state_numbers
from tradetalks.sim.protocol import SIDES, other
from tradetalks.sim.world import World

# The model (sim/model.py) sits above this module: it is typed by what is used of it.
TradeTalksModel = Any


def public_by(cfg: Config, payload: Any, week: int) -> bool:
    """True if a calendar entry is public by ``week`` (None: public at the start)."""
    announced = getattr(payload, "announced", None)
    return announced is None or cfg.week_of(announced) <= max(week, 1)


def is_public(model: TradeTalksModel, payload: Any) -> bool:
    """True if a calendar entry is public by the current week (None: public at the start)."""
    return public_by(model.config, payload, model.steps)


def open_progress(space: OutcomeSpace, agreed: Mapping[int, int], readiness: np.ndarray) -> float:
    """Talks progress in [0, 1]: the mean readiness of the negotiable chapters not agreed."""
    open_ = [j for j, issue in enumerate(space.issues) if issue.negotiable and j not in agreed]
    if not open_:
        return 1.0
    return float(np.mean([min(1.0, readiness[j]) for j in open_]))


def progress(model: TradeTalksModel) -> float:
    """Public talks progress in [0, 1]: the mean readiness of the chapters still open."""
    return open_progress(model.space, model.negotiation.agreed, model.chapters.readiness)


def action_credibility(
    cfg: Config, ev: Any, last: Valuation | None, talks_progress: float
) -> float:
    """The probability the opponent gives an announced action ``ev`` (``.payload``,
    ``.week``): the maker's own firing rule with public inputs (its own cost from the latest
    valuation ``last``; 1 without makers)."""
    action = ev.payload
    if cfg.makers is None or not action.postponable:
        return 1.0
    mcfg = cfg.makers.side(action.side)
    size = float(threat_size(mcfg, action.tariff_delta_pp, action.soy_tariff_delta_pp))
    cost = 0.0
    if last is not None:
        cost = float(last.action_effect.get(action.label, {}).get(action.side, 0.0))
    due = DueInputs(progress=talks_progress, own_cost=cost, age_weeks=action_age(cfg, ev, ev.week))
    return float(p_fire(mcfg, size, due, action.postponable))


def action_age(cfg: Config, ev: Any, week: int) -> float:
    """Weeks between an action's announcement (the start if unknown) and ``week``."""
    announced = getattr(ev, "announced_week", None)
    if announced is None:
        a = getattr(ev.payload, "announced", None)
        announced = 0 if a is None else cfg.week_of(a)
    return float(max(0, week - announced))


def pending_from(
    cfg: Config,
    events: Mapping[str, Sequence[Any]],
    week: int,
    last: Valuation | None,
    talks_progress: float,
) -> tuple[PendingAction, ...]:
    """Announced, unfired tariff actions (scheduled events with ``.week`` and ``.payload``,
    by side) as the projector sees them at ``week``."""
    out = []
    for side in SIDES:
        for ev in events[side]:
            if not public_by(cfg, ev.payload, week) and getattr(ev, "announced_week", None) is None:
                continue
            a = ev.payload
            out.append(
                PendingAction(
                    side=side,
                    weeks_ahead=max(0, ev.week - week),
                    tariff_pp=a.tariff_delta_pp,
                    soy_pp=a.soy_tariff_delta_pp,
                    p_fire=action_credibility(cfg, ev, last, talks_progress),
                    label=a.label,
                )
            )
    return tuple(out)


def pending_actions(model: TradeTalksModel) -> tuple[PendingAction, ...]:
    """Announced, unfired tariff actions of both sides, as the projector sees them."""
    events = {side: model.pending_tariff_actions(side) for side in SIDES}
    return pending_from(model.config, events, model.steps, model.valuation, progress(model))


def aid_from(cfg: Config, date: dt.date, week: int) -> tuple[tuple[int, float], ...]:
    """Aid still to come that is public at ``week`` (starting on ``date``): announced
    tranches and expected packages, both scaled by the aid lever, as (weeks ahead, $bn)."""
    fp = cfg.farm_politics
    scale = 1.0 if fp is None else fp.aid_scale
    items = [a for a in cfg.calendar.farm_aid if public_by(cfg, a, week)]
    items += [] if fp is None else list(fp.expected_aid)
    return tuple(
        ((a.date - date).days // 7, a.amount_bn * scale)
        for a in sorted(items, key=lambda a: a.date)
        if a.date >= date
    )


def aid_due_now(cfg: Config, soy_tariff: float) -> float:
    """The share of a tranche paid when due with China's soybean tariff at ``soy_tariff``:
    1 unless aid follows the retaliation (``farm_politics.aid_follows_retaliation_pp``)."""
    fp = cfg.farm_politics
    ref = None if fp is None else fp.aid_follows_retaliation_pp
    return float(dyn.aid_due_share(soy_tariff, cfg.world.soybeans.soy_tariff_mfn, ref))


def aid_schedule(model: TradeTalksModel) -> tuple[tuple[int, float], ...]:
    """Aid still to come that is public now: announced tranches and expected packages, both
    scaled by the aid lever, as (weeks ahead, $bn)."""
    return aid_from(model.config, model.date, model.steps)


@dataclass(frozen=True)
class PublicState:
    """What a snapshot is built from besides the world and the farms: the week and its
    date, the actions pending, the terms in force, when each side last fired, patience."""

    week: int
    date: dt.date
    pending: tuple[PendingAction, ...]
    agreed: Mapping[str, int]
    last_fired: Mapping[str, int | None]
    patience: Mapping[str, float]
    talks_signal: float


def build_snapshot(cfg: Config, world: World, farms: Any, pub: PublicState) -> Snapshot:
    """Everything public at ``pub.week``, in the projector's terms (``farms``: the farm
    population, a ``FarmerPopulation``); the model and ``sim/start.py`` both build it here."""
    v = cfg.valuation
    under_fire = {
        side: (
            math.inf
            if pub.last_fired[other(side)] is None
            else pub.week - pub.last_fired[other(side)]
        )
        for side in SIDES
    }
    return Snapshot(
        week=pub.week,
        date=pub.date,
        state=state_numbers(world.state),
        farm=farms.aggregate(v.farm_groups_leaning, v.farm_groups_soy),
        pending=pub.pending,
        aid=aid_from(cfg, pub.date, pub.week),
        agreed=dict(pub.agreed),
        fired=dict(world.fired),
        under_fire=under_fire,
        patience=dict(pub.patience),
        talks_signal=pub.talks_signal,
    )


def snapshot(model: TradeTalksModel) -> Snapshot:
    """Everything public at the current week, in the projector's terms."""
    pub = PublicState(
        week=model.steps,
        date=model.date,
        pending=pending_actions(model),
        agreed={model.space.names[j]: lv for j, lv in model.negotiation.agreed.items()},
        last_fired=model.last_fired,
        patience={s: model.teams[s].patience for s in SIDES},
        talks_signal=model.talks_signal,
    )
    return build_snapshot(model.config, model.world, model.farmers, pub)


def refresh(model: TradeTalksModel) -> Valuation:
    """Project the current week and give both teams their values (core v2 only)."""
    model.world.check_finite()  # a NaN world would value everything as NaN: stop, naming it
    snap, gap = snapshot(model), next_gap(model)
    valuation = model.projector.project(snap, gap=gap)
    observed = valuation  # China's model of the US's values (the same unless it assumes
    if model.observer is not None:  # another aid scale: farm_politics.observed_aid_scale)
        seen = model.observer.cfg
        snap = dataclasses.replace(snap, aid=aid_from(seen, snap.date, snap.week))
        observed = model.observer.project(snap, gap=gap)
    model.valuation = valuation
    model.valuation_week = model.steps
    model.valuation_serial = getattr(model, "valuation_serial", 0) + 1
    pressure = congress_pressure(model.space, model.ratifiers, model.chapters, model.indicators())
    for side in SIDES:
        model.teams[side].set_valuation(
            valuation, pressure if side == "us" else None, observed=observed
        )
    return valuation


def next_gap(model: TradeTalksModel) -> int | None:
    """Δ: weeks to the next public principal round after this week (None: none is set, the
    projector's default ``valuation.round_gap_weeks`` is expected)."""
    week = model.steps
    ahead = [
        ev.week - week
        for ev in model.pending_rounds()
        if ev.payload.level == "principal" and ev.week > week and is_public(model, ev.payload)
    ]
    return min(ahead) if ahead else None


def meeting_requests(model: TradeTalksModel, week: int) -> dict[str, bool]:
    """Whether each side asks for a principal round this week: an announced action falls due
    soon, or its lead strategy expects the other side to take its offer (``wants_meeting``)."""
    soon = model.planner.cfg.request_within_weeks
    due_soon = any(
        ev.week - week <= soon
        for side in SIDES
        for ev in model.pending_tariff_actions(side)
        if ev.week > week and (is_public(model, ev.payload) or hasattr(ev, "announced_week"))
    )
    neg = model.negotiation
    if due_soon or not model.planner.open_for(week):
        return dict.fromkeys(SIDES, due_soon)  # no need to weigh a round that cannot be set
    # a side reviews its wish to meet when something public changed: a projection, an event,
    # an offer, a chapter's readiness, an agreement (not on each week's drift of beliefs alone)
    key = (
        model.valuation_serial,  # not id(): a freed valuation's id can be reused
        len(neg.events),
        len(neg.history),
        tuple(np.round(model.chapters.readiness, 9)),
        len(neg.agreed),
    )
    cached = getattr(model, "_meeting_wish", None)
    if cached is None or cached[0] != key:
        wishes = {}
        for side in SIDES:
            strategy = model.teams[side].strategy_for("principal")
            wants = getattr(strategy, "wants_meeting", None)
            wish = False
            if callable(wants):
                view = neg.preview(side, week, "principal", model.indicators(), model.date)
                wish = bool(view.available.any()) and bool(wants(view))
            wishes[side] = wish
        cached = (key, wishes)
        model._meeting_wish = cached
    return {side: due_soon or cached[1][side] for side in SIDES}
