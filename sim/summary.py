"""The run summary (DESIGN §4–5): a JSON-ready dict built from a finished model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.protocol import SIDES

if TYPE_CHECKING:
    from sim.model import TradeTalksModel

DIGITS = 6  # decimals kept in the summary: beyond the model's meaningful precision

FINAL_INDICATORS = (
    "us_tariff_avg", "cn_tariff_avg", "soy_tariff", "soybean_exports_bn", "soybean_price",
    "farm_approval", "farm_income_index", "farm_distress", "farm_aid_paid_bn", "fed_rate",
    "cny_usd", "manipulator", "huawei_status", "us_growth", "cn_growth", "trade_uncertainty",
)


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def status_quo_utility(model: TradeTalksModel, side: str) -> float:
    """A team's utility of the no-deal path: every issue at its status-quo level."""
    team = model.teams[side]
    return float(team.weights @ model.space.status_quo_values(side))


def build_summary(model: TradeTalksModel) -> dict[str, Any]:
    """Deal or not, when, what, each side's utility and reservation, and final indicators.

    ``deal_week`` is the week of the first agreement; ``terms`` are all terms agreed by the
    end; ``utility`` and ``reservation`` are taken at the last agreement, or at the end
    (utility of the status quo) when there was none.
    """
    neg = model.negotiation
    deals = neg.deals
    st = model.world.state
    if deals:
        last = deals[-1]
        utility = {s: _r(last.utility[s]) for s in SIDES}
        reservation = {s: _r(last.reservation[s]) for s in SIDES}
        terms = dict(last.terms)
    else:
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
