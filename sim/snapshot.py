"""Core v2 glue: what is public this week, projected into the teams' values.

``snapshot(model)`` collects what the projector may see at the current week — the world's
public state, the farm population's aggregates, the tariff actions announced by now (each
weighted by its credibility, the makers' own firing rule), the aid announced or expected,
the terms in force — and ``refresh(model)`` projects it and hands each team its
``Valuation``: utilities and walk-away values on one scale (core-v2 §1 A–B).  Nothing
unannounced enters: a calendar entry is invisible before its ``announced`` date (§1 K).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tradetalks.sim.chapters import congress_pressure
from tradetalks.sim.maker_rule import DueInputs, p_fire, threat_size
from tradetalks.sim.projector import PendingAction, Snapshot, Valuation, state_numbers
from tradetalks.sim.protocol import SIDES, other

# The model (sim/model.py) sits above this module: it is typed by what is used of it.
TradeTalksModel = Any


def is_public(model: TradeTalksModel, payload: Any) -> bool:
    """True if a calendar entry is public by the current week (None: public at the start)."""
    announced = getattr(payload, "announced", None)
    return announced is None or model.config.week_of(announced) <= max(model.steps, 1)


def progress(model: TradeTalksModel) -> float:
    """Public talks progress in [0, 1]: the mean readiness of the chapters still open."""
    neg = model.negotiation
    open_ = [
        j for j, issue in enumerate(model.space.issues) if issue.negotiable and j not in neg.agreed
    ]
    if not open_:
        return 1.0
    ready = model.chapters.readiness
    return float(np.mean([min(1.0, ready[j]) for j in open_]))


def credibility(model: TradeTalksModel, ev: Any, week: int) -> float:
    """The probability the opponent gives an announced action: the maker's own firing rule
    with public inputs (its own cost from the latest valuation; 1 without makers)."""
    action = ev.payload
    if model.config.makers is None or not action.postponable:
        return 1.0
    cfg = model.config.makers.side(action.side)
    size = float(threat_size(cfg, action.tariff_delta_pp, action.soy_tariff_delta_pp))
    last: Valuation | None = model.valuation
    cost = 0.0
    if last is not None:
        cost = float(last.action_effect.get(action.label, {}).get(action.side, 0.0))
    due = DueInputs(progress=progress(model), own_cost=cost, age_weeks=age(model, ev, ev.week))
    return float(p_fire(cfg, size, due, action.postponable))


def age(model: TradeTalksModel, ev: Any, week: int) -> float:
    """Weeks between an action's announcement (the start if unknown) and ``week``."""
    announced = getattr(ev, "announced_week", None)
    if announced is None:
        a = getattr(ev.payload, "announced", None)
        announced = 0 if a is None else model.config.week_of(a)
    return float(max(0, week - announced))


def pending_actions(model: TradeTalksModel) -> tuple[PendingAction, ...]:
    """Announced, unfired tariff actions of both sides, as the projector sees them."""
    week = model.steps
    out = []
    for side in SIDES:
        for ev in model.pending_tariff_actions(side):
            if not is_public(model, ev.payload) and getattr(ev, "announced_week", None) is None:
                continue
            a = ev.payload
            out.append(
                PendingAction(
                    side=side,
                    weeks_ahead=max(0, ev.week - week),
                    tariff_pp=a.tariff_delta_pp,
                    soy_pp=a.soy_tariff_delta_pp,
                    p_fire=credibility(model, ev, week),
                    label=a.label,
                )
            )
    return tuple(out)


def aid_schedule(model: TradeTalksModel) -> tuple[tuple[int, float], ...]:
    """Aid still to come that is public now: announced tranches and expected packages, both
    scaled by the aid lever, as (weeks ahead, $bn)."""
    cfg, date = model.config, model.date
    fp = cfg.farm_politics
    scale = 1.0 if fp is None else fp.aid_scale
    items = [a for a in cfg.calendar.farm_aid if is_public(model, a)]
    items += [] if fp is None else list(fp.expected_aid)
    return tuple(
        ((a.date - date).days // 7, a.amount_bn * scale)
        for a in sorted(items, key=lambda a: a.date)
        if a.date >= date
    )


def snapshot(model: TradeTalksModel) -> Snapshot:
    """Everything public at the current week, in the projector's terms."""
    v = model.config.valuation
    week = model.steps
    under_fire = {
        side: (
            math.inf
            if model.last_fired[other(side)] is None
            else week - model.last_fired[other(side)]
        )
        for side in SIDES
    }
    return Snapshot(
        week=week,
        date=model.date,
        state=state_numbers(model.world.state),
        farm=model.farmers.aggregate(v.farm_groups_leaning, v.farm_groups_soy),
        pending=pending_actions(model),
        aid=aid_schedule(model),
        agreed={model.space.names[j]: lv for j, lv in model.negotiation.agreed.items()},
        fired=dict(model.world.fired),
        under_fire=under_fire,
        patience={s: model.teams[s].patience for s in SIDES},
        talks_signal=model.talks_signal,
    )


def refresh(model: TradeTalksModel) -> Valuation:
    """Project the current week and give both teams their values (core v2 only)."""
    valuation = model.projector.project(snapshot(model))
    model.valuation = valuation
    model.valuation_week = model.steps
    pressure = congress_pressure(model.space, model.ratifiers, model.chapters, model.indicators())
    for side in SIDES:
        model.teams[side].set_valuation(valuation, pressure if side == "us" else None)
    return valuation


def own_share(patience: float, opponent_patience: float) -> float:
    """A side's Rubinstein/BRW surplus share β_s = ρ_o/(ρ_s + ρ_o), ρ = −ln δ (½ if both are
    perfectly patient): the centre of its private acceptance share."""
    rho_s, rho_o = -math.log(patience), -math.log(opponent_patience)
    return 0.5 if rho_s + rho_o <= 0 else rho_o / (rho_s + rho_o)


def meeting_requests(model: TradeTalksModel, week: int) -> dict[str, bool]:
    """Whether each side asks for a principal round this week: an announced action falls due
    soon, or its lead strategy expects the other side to take its offer (``wants_meeting``)."""
    soon = model.planner.cfg.request_within_weeks
    due_soon = any(
        ev.week - week <= soon
        for side in SIDES
        for ev in model.pending_tariff_actions(side)
        if ev.week > week
    )
    out = {}
    for side in SIDES:
        strategy = model.teams[side].strategy_for("principal")
        wants = getattr(strategy, "wants_meeting", None)
        asks = due_soon
        if not asks and callable(wants):
            date = model.date
            view = model.negotiation.preview(side, week, "principal", model.indicators(), date)
            asks = bool(view.available.any()) and bool(wants(view))
        out[side] = asks
    return out
