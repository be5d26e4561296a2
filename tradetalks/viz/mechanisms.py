"""The mechanisms that decide a run, read from a model: plain data, no Solara.

- each side's belief about the other's resolve: the mean, over the screening strategy's type
  grid, of its belief about the smallest gain share the other side accepts (from the view
  the side would get if a principal round opened now: ``Negotiation.preview``, which changes
  nothing), with the other side's true private type when it has one;
- the ratifying bodies' support for the offer on the table against their (true, private)
  thresholds, and which bodies blocked an offer;
- chapter readiness; the tariff makers' pending threats with the audience cost of backing
  down; fulfilment, disputes and dollars after signing.

``Trace`` records the weekly ones so the charts can show them over time; a session model
records one entry per week (``SessionModel``).  Reading never draws a random number and
never changes the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tradetalks.sim.chapters import LEGISLATIVE, READY
from tradetalks.sim.maker_rule import audience_cost, threat_size
from tradetalks.sim.protocol import SIDES, OfferRecord
from tradetalks.sim.snapshot import action_age, is_public

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel


def belief_mean(model: TradeTalksModel, side: str) -> float | None:
    """``side``'s expected value of the other side's type (the smallest normalised gain it
    accepts: its resolve), or None when ``side``'s lead strategy keeps no such belief."""
    strategy = model.teams[side].strategy_for("principal")
    belief = getattr(strategy, "belief", None)
    if not callable(belief):
        return None
    neg = model.negotiation
    view = neg.preview(side, max(model.steps, 1), "principal", model.indicators(), model.date)
    grid, mu = belief(view)
    return float(grid @ mu)


def true_type(model: TradeTalksModel, side: str) -> float | None:
    """``side``'s own private type (None when the config draws none)."""
    value = model.teams[side].private_type
    return None if value is None else float(value)


def on_table(model: TradeTalksModel) -> OfferRecord | None:
    """The latest offer, or None before the first."""
    history = model.negotiation.history
    return history[-1] if history else None


def votes_on(model: TradeTalksModel, rat: Any, outcome: int) -> bool:
    """True if body ``rat`` votes on ``outcome`` (a legislature only on legislative deals)."""
    return rat.cfg.applies_to != LEGISLATIVE or bool(model.chapters.legislative(rat.side)[outcome])


def ratification_margins(model: TradeTalksModel) -> dict[str, float | None]:
    """Body → support for the offer on the table minus its true threshold (≥ 0 ratifies;
    None: no offer yet, or the body does not vote on it)."""
    offer = on_table(model)
    indicators = model.indicators()
    out: dict[str, float | None] = {}
    for rat in model.ratifiers:
        if offer is None or not votes_on(model, rat, offer.outcome):
            out[rat.name] = None
        else:
            support = float(rat.support_at(indicators, np.array([offer.outcome]))[0])
            out[rat.name] = support - float(rat.threshold)
    return out


def blocking_bodies(model: TradeTalksModel, outcome: int) -> list[str]:
    """The bodies that would not ratify ``outcome`` now."""
    indicators = model.indicators()
    return [
        rat.name
        for rat in model.ratifiers
        if votes_on(model, rat, outcome) and not rat.winset_at(indicators, np.array([outcome]))[0]
    ]


@dataclass
class Trace:
    """Weekly record of what the charts show over time, and who blocked which offer."""

    weeks: list[int] = field(default_factory=list)
    beliefs: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SIDES})
    margins: dict[str, list[float | None]] = field(default_factory=dict)
    blocked_by: dict[int, list[str]] = field(default_factory=dict)  # offer index → bodies
    offers_seen: int = 0

    def record(self, model: TradeTalksModel) -> None:
        """Add this week's entry (once per week: a repeated call replaces it)."""
        if self.weeks and self.weeks[-1] == model.steps:
            self._drop_last()
        self.weeks.append(model.steps)
        for side in SIDES:
            self.beliefs[side].append(belief_mean(model, side))
        for name, margin in ratification_margins(model).items():
            self.margins.setdefault(name, [None] * (len(self.weeks) - 1)).append(margin)
        history = model.negotiation.history
        for i in range(self.offers_seen, len(history)):
            if history[i].blocked_by_ratification:  # judged at this week's indicators
                self.blocked_by[i] = blocking_bodies(model, history[i].outcome)
        self.offers_seen = len(history)

    def _drop_last(self) -> None:
        self.weeks.pop()
        for series in (*self.beliefs.values(), *self.margins.values()):
            series.pop()


# --------------------------------------------------------------------------- facts now
def readiness(model: TradeTalksModel) -> list[tuple[str, float, bool]]:
    """(issue, readiness, on the agenda now) for every negotiable issue."""
    agenda = model.chapters.on_agenda(model.date)
    ready = model.chapters.readiness
    return [
        (issue.name, float(ready[j]), bool(agenda[j]))
        for j, issue in enumerate(model.space.issues)
        if issue.negotiable
    ]


def ready_count(model: TradeTalksModel) -> tuple[int, int]:
    """(chapters ready to sign and on the agenda, negotiable chapters)."""
    rows = readiness(model)
    return sum(r >= READY and on for _, r, on in rows), len(rows)


@dataclass(frozen=True)
class Threat:
    """A tariff action that has not fired: who, what, when, and the cost of backing down."""

    side: str
    label: str
    size_pp: float
    due_week: int
    public: bool
    audience_cost: float | None  # utility lump paid for postponing at the due date


def threats(model: TradeTalksModel) -> list[Threat]:
    """Every pending tariff action of both sides, soonest first."""
    out = []
    for side in SIDES:
        maker = model.tariffs.makers.get(side)
        for ev in model.pending_tariff_actions(side):
            act = ev.payload
            public = hasattr(ev, "announced_week") or is_public(model, act)
            cost = None
            if maker is not None:
                size = threat_size(maker.cfg, act.tariff_delta_pp, act.soy_tariff_delta_pp)
                age = action_age(model.config, ev, ev.week)
                cost = float(audience_cost(maker.cfg, size, age))
            out.append(Threat(side, act.label, float(act.tariff_delta_pp), ev.week, public, cost))
    return sorted(out, key=lambda t: (t.due_week, t.side))


def audience_paid(model: TradeTalksModel) -> list[dict[str, Any]]:
    """Audience costs paid so far (week, side, label, cost)."""
    return model.tariffs.audience_paid() if model.tariffs.makers else []


def fulfilment(model: TradeTalksModel) -> tuple[float, float, float] | None:
    """(purchases due, delivered — $bn so far — and this week's fulfilment share), or None
    before any purchase is due."""
    st = model.world.state
    if st.ag_due_bn <= 0:
        return None
    return float(st.ag_due_bn), float(st.ag_delivered_bn), float(st.ag_fulfilment)


def disputes(model: TradeTalksModel) -> dict[str, Any]:
    """Disputes filed and weeks an agreement unravelled (``Monitor.summary``)."""
    return model.monitor.summary()


def dollars(model: TradeTalksModel) -> dict[str, Any] | None:
    """The summary's dollar outcomes so far (None without ``[world.dollars]``)."""
    return model.summary()["dollars"]
