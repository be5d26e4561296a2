"""Tariff makers as Mesa agents, one per government: fire, postpone, escalate, retaliate, hold.

The rule is the reduced-form logit of ``sim/maker_rule.py`` (core-v2 §1 E); the agent adds
the draws, the memory (which opponent escalation it has answered, whether a signed deal binds
it) and the record of audience costs paid.  Draws come from the maker's own stream in a fixed
block per week ("draw, then mask", core-v2 §1 J): a decision never changes how many numbers
the stream consumes.  The model keeps the calendar: it calls ``decide_due`` for each own
action due, ``decide_week`` once a week, and schedules what the decisions announce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mesa import Agent
from tradetalks.sim.config_makers import MakerConfig
from tradetalks.sim.maker_rule import (
    INF,
    DueInputs,
    EscalationInputs,
    audience_cost,
    escalate_margin,
    logistic,
    p_escalate,
    p_fire,
    pick_float,
    pick_int,
    recency,
    threat_size,
)
from tradetalks.sim.streams import WeeklyDraws

if TYPE_CHECKING:
    import numpy as np
    from mesa import Model
    from tradetalks.sim.config_calendar import TariffAction

Kind = Literal["fire", "postpone", "escalate", "retaliate", "remedial", "hold"]
EVENT_KINDS = {
    "fire": "fired",
    "postpone": "postponement",
    "escalate": "escalation",
    "retaliate": "retaliation",
    "remedial": "escalation",  # a remedial tariff is an escalation to the other side
}
REMEDIAL_DRAWS = 3  # per review: the choice, the lead time, the size
DUE_DRAWS = 3  # per due slot: the choice, indefinite or not, the postponement's length
WEEK_DRAWS = 4  # the weekly choice, lead time, tariff size, soybean size


@dataclass(frozen=True)
class OppMove:
    """An opponent's escalation: the week it was announced or fired, and its size S (pp)."""

    week: int
    size_pp: float


@dataclass(frozen=True)
class WeekInputs:
    """The weekly decision's inputs, from the model (see ``EscalationInputs`` for the terms).

    ``opp_fired`` / ``opp_announced``: the opponent's latest escalation that fired / was
    announced (None if none); ``opp_gesture_week``: its latest postponement or gesture;
    ``n_pending``: own announced actions not yet fired.
    """

    progress: float
    own_cost: float
    opp_fired: OppMove | None = None
    opp_announced: OppMove | None = None
    opp_gesture_week: int | None = None
    n_pending: int = 0
    weeks_to_opp_election: float = INF  # to the opponent's next election (targeting)


@dataclass(frozen=True)
class Decision:
    """One decision; for ``escalate``/``retaliate`` a new action firing at ``week + lead_weeks``.

    ``p_act`` is the logit probability of acting (firing, or announcing) for the inputs given;
    ``postpone_weeks`` None with kind ``postpone`` means "indefinitely" (no new date).
    """

    week: int
    side: str
    kind: Kind
    label: str
    p_act: float
    postpone_weeks: int | None = None
    lead_weeks: int = 0
    tariff_pp: float = 0.0
    soy_pp: float = 0.0
    audience_cost: float = 0.0
    target: str | None = None  # "farm" or "other" with targeting; None without

    @property
    def fire_week(self) -> int:
        """The week a newly announced action is due."""
        return self.week + self.lead_weeks

    def event(self) -> dict[str, Any] | None:
        """The public event record (week, side, kind, label); None for ``hold``."""
        kind = EVENT_KINDS.get(self.kind)
        if kind is None:
            return None
        return {"week": self.week, "side": self.side, "kind": kind, "label": self.label}


def since(week: int, then: int | None) -> float:
    """Weeks from ``then`` to ``week`` (inf if ``then`` is None)."""
    return INF if then is None else float(week - then)


class TariffMaker(Agent):
    """A government's tariff maker: one logit rule for its due actions and its new ones."""

    def __init__(self, model: Model, side: str, cfg: MakerConfig, rng: np.random.Generator):
        super().__init__(model)
        self.side = side
        self.cfg = cfg
        self.draws = WeeklyDraws(rng, cfg.max_due_per_week * DUE_DRAWS + WEEK_DRAWS)
        self.audience_paid: list[dict[str, Any]] = []
        self.decisions: list[Decision] = []
        self.bound = False  # a signed deal covers this side's tariffs: no new escalation
        self.answered_week: int | None = None  # the opponent escalation last answered
        self._slot_week = -1
        self._slot = 0

    # ------------------------------------------------------------------ deals
    def bind(self) -> None:
        """A signed deal now covers this side's tariffs: stop announcing new actions."""
        self.bound = True

    def unbind(self) -> None:
        """The deal that bound this maker is void (unravelling): it may escalate again."""
        self.bound = False

    # ------------------------------------------------------------------ draws
    def _block(self, week: int) -> np.ndarray:
        """This week's fixed block of uniforms (drawing skipped weeks' blocks too)."""
        if week != self._slot_week:
            self._slot_week, self._slot = week, 0
        return self.draws.take(week)

    def _due_uniforms(self, week: int) -> np.ndarray:
        block = self._block(week)
        k = self._slot
        if k >= self.cfg.max_due_per_week:
            raise ValueError(
                f"more than makers.{self.side}.max_due_per_week = {self.cfg.max_due_per_week} "
                f"own actions due in week {week}"
            )
        self._slot += 1
        return block[WEEK_DRAWS + k * DUE_DRAWS : WEEK_DRAWS + (k + 1) * DUE_DRAWS]

    # ------------------------------------------------------------------ decisions
    def decide_due(self, action: TariffAction, week: int, inputs: DueInputs) -> Decision:
        """Fire or postpone an own announced action due this week; backing down pays A_j."""
        u = self._due_uniforms(week)
        size = float(threat_size(self.cfg, action.tariff_delta_pp, action.soy_tariff_delta_pp))
        p = float(p_fire(self.cfg, size, inputs, action.postponable))
        if u[0] < p:
            decision = Decision(week, self.side, "fire", action.label, p)
        else:
            indefinite = u[1] < self.cfg.indefinite_share
            weeks = None if indefinite else pick_int(self.cfg.postpone_weeks, float(u[2]))
            cost = float(audience_cost(self.cfg, size, inputs.age_weeks))
            decision = Decision(
                week, self.side, "postpone", action.label, p, weeks, audience_cost=cost
            )
            self.audience_paid.append(
                {
                    "week": week,
                    "side": self.side,
                    "label": action.label,
                    "cost": cost,
                    "size_pp": size,
                    "age_weeks": float(inputs.age_weeks),
                }
            )
        self.decisions.append(decision)
        return decision

    def _owed(self, week: int, inputs: WeekInputs) -> OppMove | None:
        """The opponent escalation this maker has not answered yet, within the window."""
        move = inputs.opp_fired if self.cfg.answer_to == "fired" else inputs.opp_announced
        if move is None or move.week == self.answered_week:
            return None
        if not 0 <= week - move.week <= self.cfg.retaliate_window_weeks:
            return None
        return move

    def escalation_inputs(self, week: int, inputs: WeekInputs) -> EscalationInputs:
        """The pure rule's inputs for this week (the reply terms, what is owed)."""
        move = inputs.opp_fired if self.cfg.answer_to == "fired" else inputs.opp_announced
        owed = self._owed(week, inputs)
        return EscalationInputs(
            progress=inputs.progress,
            own_cost=inputs.own_cost,
            weeks_since_opp_escalation=since(week, None if move is None else move.week),
            weeks_since_opp_gesture=since(week, inputs.opp_gesture_week),
            unanswered_pp=0.0 if owed is None else owed.size_pp,
        )

    def p_announce(self, week: int, inputs: WeekInputs) -> float:
        """P(announcing a new action this week); 0 while bound by a deal or at max_pending."""
        if self.bound or inputs.n_pending >= self.cfg.max_pending:
            return 0.0
        return float(p_escalate(self.cfg, self.escalation_inputs(week, inputs)))

    def decide_remedial(
        self,
        week: int,
        inputs: WeekInputs,
        shortfall: float,
        sizes: tuple[list[float], list[int]],
        u: np.ndarray,
    ) -> Decision | None:
        """At a review with a dispute: announce a remedial tariff or not, by the weekly rule
        plus ``remedial_weight``·shortfall (a deal binding this maker does not stop it).
        ``sizes``: (pp range, lead-week range); ``u``: ``REMEDIAL_DRAWS`` uniforms."""
        margin = escalate_margin(self.cfg, self.escalation_inputs(week, inputs))
        margin = margin + self.cfg.remedial_weight * shortfall
        p = float(logistic(margin / self.cfg.logit_scale))
        if not u[0] < p:
            return None
        lead = pick_int(sizes[1], float(u[1]))
        tariff = pick_float(sizes[0], float(u[2]))
        label = f"{self.side} remedial: +{tariff:.2f}pp from week {week + lead}"
        decision = Decision(week, self.side, "remedial", label, p, None, lead, tariff, 0.0)
        self.decisions.append(decision)
        return decision

    def decide_week(self, week: int, inputs: WeekInputs) -> list[Decision]:
        """Escalate, retaliate or hold (an empty list); call it once every week."""
        u = self._block(week)[:WEEK_DRAWS]
        p = self.p_announce(week, inputs)
        if not u[0] < p:
            return []
        owed = self._owed(week, inputs)
        c = self.cfg
        if owed is not None:
            self.answered_week = owed.week
            kind: Kind = "retaliate"
            pp, soy, lead = c.retaliation_pp, c.retaliation_soy_pp, c.retaliation_lead_weeks
        else:
            kind = "escalate"
            pp, soy, lead = c.escalation_pp, c.escalation_soy_pp, c.escalation_lead_weeks
        lead_weeks = pick_int(lead, float(u[1]))
        tariff = pick_float(pp, float(u[2]))
        target, soy_pp = self._target(inputs, soy, float(u[3]))
        label = f"{self.side} {kind}: +{tariff:.2f}pp from week {week + lead_weeks}"
        if target is not None:
            label += f" on {target} goods"
        decision = Decision(
            week, self.side, kind, label, p, None, lead_weeks, tariff, soy_pp, target=target
        )
        self.decisions.append(decision)
        return [decision]

    def p_farm_target(self, inputs: WeekInputs) -> float | None:
        """P(a new action targets farm goods) by ``targeting`` (None without targeting)."""
        t = self.cfg.targeting
        if t is None:
            return None
        pull = t.election_weight * recency(inputs.weeks_to_opp_election, t.election_tau_weeks)
        return float(logistic((t.farm_bias + pull) / self.cfg.logit_scale))

    def _target(self, inputs: WeekInputs, soy: list[float], u: float) -> tuple[str | None, float]:
        """(target, soybean pp) from one uniform: without targeting the soybean size is drawn
        from it; with targeting u < P(farm) picks farm goods and u/P(farm) the size (so the
        stream consumes the same numbers either way)."""
        p = self.p_farm_target(inputs)
        if p is None:
            return None, pick_float(soy, u)
        if u < p:
            return "farm", pick_float(soy, u / p)
        return "other", 0.0
