"""The run summary (DESIGN §4–5): a JSON-ready dict built from a finished model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tradetalks.sim.analysis import concession_profile, issue_concessions
from tradetalks.sim.protocol import SIDES

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

DIGITS = 6  # decimals kept in the summary: beyond the model's meaningful precision

FINAL_INDICATORS = (
    "us_tariff_avg",
    "cn_tariff_avg",
    "soy_tariff",
    "soybean_exports_bn",
    "soybean_price",
    "farm_approval",
    "farm_income_index",
    "farm_distress",
    "farm_aid_paid_bn",
    "fed_rate",
    "cny_usd",
    "manipulator",
    "huawei_status",
    "us_growth",
    "cn_growth",
    "trade_uncertainty",
)


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def _opt(x: float | None) -> float | None:
    """Rounded, or None when missing or not a number."""
    return None if x is None or math.isnan(x) else _r(x)


def status_quo_utility(model: TradeTalksModel, side: str) -> float:
    """A team's utility of the no-deal path: every issue at its status-quo level."""
    team = model.teams[side]
    return float(team.weights @ model.space.status_quo_values(side))


def build_summary(model: TradeTalksModel) -> dict[str, Any]:
    """Deal or not, when, what, each side's utility and reservation, and final indicators.

    ``deal_week`` is the week of the first agreement; ``terms`` are all terms agreed by the
    end; ``utility`` and ``reservation`` are taken at the last agreement, or at the end
    (utility of the status quo) when there was none.  ``nash_product`` and
    ``pareto_distance`` describe the last agreement at its signature (None without a deal);
    ``concessions`` says, per side, how far and from which week it lowered its own offers,
    and ``deal_concessions`` what each side gave up issue by issue against the status quo.
    """
    neg = model.negotiation
    deals = neg.deals
    st = model.world.state
    if deals:
        last = deals[-1]
        utility = {s: _r(last.utility[s]) for s in SIDES}
        reservation = {s: _r(last.reservation[s]) for s in SIDES}
        terms = dict(last.terms)
        nash, dist = _opt(last.nash_product), _opt(last.pareto_distance)
    else:
        nash = dist = None
        utility = {s: _r(status_quo_utility(model, s)) for s in SIDES}
        reservation = {s: _r(model.teams[s].reservation) for s in SIDES}
        terms = {}
    final = {}
    for name in FINAL_INDICATORS:
        v = getattr(st, name)
        final[name] = bool(v) if isinstance(v, bool) else _r(v)
    return {
        "deal": bool(deals),
        "deal_week": deals[0].week if deals else None,
        "full_deal": neg.done,
        "issues_covered": [n for n in model.space.names if n in terms],
        "terms": terms,
        "utility": utility,
        "reservation": reservation,
        "nash_product": nash,
        "pareto_distance": dist,
        "concessions": {s: concession_profile(neg.history, s) for s in SIDES},
        "deal_concessions": issue_concessions(model.space, deals[-1].outcome) if deals else {},
        "seed": model.seed,
        "weeks": model.steps,
        "start_date": model.start_date.isoformat(),
        "phase": neg.phase,
        "deals": [
            {
                "week": d.week,
                "interim": d.interim,
                "new_issues": list(d.new_issues),
                "terms": dict(d.terms),
                "utility": {s: _r(d.utility[s]) for s in SIDES},
                "reservation": {s: _r(d.reservation[s]) for s in SIDES},
                "nash_product": _opt(d.nash_product),
                "pareto_distance": _opt(d.pareto_distance),
            }
            for d in deals
        ],
        "offers": len(neg.history),
        "blocked_by_ratification": sum(r.blocked_by_ratification for r in neg.history),
        "escalations": len(model.escalation_log),
        "escalation_log": list(model.escalation_log),
        "gestures": len(model.gestures),
        "gesture_log": list(model.gestures),
        "incidents": len(model.incidents),
        "final": final,
    }
