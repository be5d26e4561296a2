"""The run summary: a JSON-ready dict built from a finished model.

The summary holds only plain JSON types (dict, list, str, int, float, bool, None) by
construction: ``plain`` converts the records' read-only mappings, tuples and numpy scalars
and refuses anything else.  It holds no NaN or infinity either: a run whose world ended in a
non-finite state raises ``ModelStateError`` naming the indicators and the config keys that
drove them, and so does any other non-finite number that reaches the summary.  The model
is typed by the ``FinishedRun`` protocol below, so this module does not import ``sim.model``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from tradetalks.sim import dollars
from tradetalks.sim.analysis import concession_profile, issue_concessions
from tradetalks.sim.config import ModelStateError
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.protocol import SIDES, DealRecord, Negotiation
from tradetalks.sim.world import World

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
    "farm_aid_budget_paid_bn",
    "fed_rate",
    "cny_usd",
    "manipulator",
    "huawei_status",
    "us_growth",
    "cn_growth",
    "trade_uncertainty",
)

OUTCOME_KEYS = ("terms", "utility", "reservation", "nash_product", "pareto_distance")

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


class TeamOutcome(Protocol):
    """What the summary reads from a team."""

    @property
    def weights(self) -> np.ndarray:
        """Blended issue weights."""
        ...

    @property
    def reservation(self) -> float:
        """Reservation value now."""
        ...


class FinishedRun(Protocol):
    """What the summary reads from a model (``TradeTalksModel`` provides all of it)."""

    @property
    def negotiation(self) -> Negotiation:
        """The mechanism, with its offers and deals."""
        ...

    @property
    def world(self) -> World:
        """The world, with its final indicators."""
        ...

    @property
    def space(self) -> OutcomeSpace:
        """The outcome space."""
        ...

    @property
    def teams(self) -> Mapping[str, TeamOutcome]:
        """The teams by side."""
        ...

    @property
    def seed(self) -> int | None:
        """The run's seed (None if not an integer)."""
        ...

    @property
    def steps(self) -> int:
        """Weeks run."""
        ...

    @property
    def start_date(self) -> dt.date:
        """First day of week 1."""
        ...

    @property
    def escalation_log(self) -> Sequence[Mapping[str, Any]]:
        """Tariff actions that fired."""
        ...

    @property
    def gestures(self) -> Sequence[Mapping[str, Any]]:
        """Postponements and reciprocal gestures."""
        ...

    @property
    def incidents(self) -> Sequence[Mapping[str, Any]]:
        """Political incidents."""
        ...


def plain(value: Any) -> JsonValue:
    """``value`` in plain JSON types: mappings → dict, tuples → list, numpy scalars → Python.

    Raises ``TypeError`` for anything JSON cannot hold (or a mapping key that is not a str).
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"summary keys must be str, got {k!r}")
            out[k] = plain(v)
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not a JSON type: {value!r}")


def non_finite_paths(value: JsonValue, path: str = "") -> list[str]:
    """Dotted paths of every NaN or infinite number in a plain summary."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite_paths(v, f"{path}[{i}]")]
    return []


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def _opt(x: float | None) -> float | None:
    """Rounded, or None when missing or not a number."""
    return None if x is None or math.isnan(x) else _r(x)


def status_quo_utility(model: FinishedRun, side: str) -> float:
    """A team's utility of the no-deal path: every issue at its status-quo level."""
    team = model.teams[side]
    return float(team.weights @ model.space.status_quo_values(side))


def _deal(d: DealRecord) -> dict[str, Any]:
    """One agreement as the summary lists it."""
    return {
        "week": d.week,
        "interim": d.interim,
        "new_issues": list(d.new_issues),
        "terms": dict(d.terms),
        "utility": {s: _r(d.utility[s]) for s in SIDES},
        "reservation": {s: _r(d.reservation[s]) for s in SIDES},
        "nash_product": _opt(d.nash_product),
        "pareto_distance": _opt(d.pareto_distance),
    }


def _outcome(model: FinishedRun) -> dict[str, Any]:
    """Terms, utilities and reservations at the last agreement, or of the status quo."""
    deals = model.negotiation.deals
    if not deals:
        return {
            "terms": {},
            "utility": {s: _r(status_quo_utility(model, s)) for s in SIDES},
            "reservation": {s: _r(model.teams[s].reservation) for s in SIDES},
            "nash_product": None,
            "pareto_distance": None,
        }
    last = _deal(deals[-1])
    return {k: last[k] for k in OUTCOME_KEYS}


def _final(world: World) -> dict[str, Any]:
    """The final indicators (rounded numbers, or booleans)."""
    out: dict[str, Any] = {}
    for name in FINAL_INDICATORS:
        v = getattr(world.state, name)
        out[name] = bool(v) if isinstance(v, bool | np.bool_) else _r(v)
    return out


def _dollars(world: World) -> dict[str, Any] | None:
    """Totals over the run's weeks ($bn) and the final levels (None without
    [world.dollars]); units in the key names: _bn = $bn, _share in [0, 1], _pct = %."""
    if world.cfg.dollars is None or len(world.dollars) < 2:
        return None
    total = dollars.totals(world.dollars[1:])  # week 0 is the starting state
    last = world.dollars[-1]
    return {
        **{f"total_{k}": _r(v) for k, v in total.items()},
        "final_us_tariff_effective_pct": _r(last.us_tariff_effective),
        "final_brazil_soy_share": _r(last.brazil_soy_share),
        "final_us_imports_diverted_bn_a_year": _r(last.us_imports_diverted_bn),
    }


def fulfilment_by_quarter(world: World, quarter_weeks: int = 13) -> list[dict[str, Any]]:
    """Soybean purchases due and delivered under the agreement, per quarter of weeks counted
    from the first week anything was due ($bn; share = delivered / due)."""
    if not world.purchases:
        return []
    first = world.purchases[0][0]
    quarters: dict[int, list[float]] = {}
    for week, due, delivered in world.purchases:
        q = quarters.setdefault((week - first) // quarter_weeks, [0.0, 0.0])
        q[0] += due
        q[1] += delivered
    return [
        {
            "from_week": first + q * quarter_weeks,
            "due_bn": _r(due),
            "delivered_bn": _r(got),
            "share": _r(got / due) if due > 0 else None,
        }
        for q, (due, got) in sorted(quarters.items())
    ]


def deal_date(start: dt.date, week: int) -> str:
    """ISO date of week ``week``'s first day (week 1 starts on ``start``), for people;
    ``deal_week`` keeps the week for programs."""
    return (start + dt.timedelta(weeks=max(week - 1, 0))).isoformat()


def dated(entries: Sequence[Mapping[str, Any]], start: dt.date) -> list[dict[str, Any]]:
    """Log entries with the ISO ``date`` of their ``week`` added beside it, for people."""
    return [{**e, "date": deal_date(start, e["week"])} if "week" in e else dict(e) for e in entries]


def build_summary(model: FinishedRun) -> dict[str, JsonValue]:
    """Deal or not, when, what, each side's utility and reservation, and final indicators.

    ``deal_week`` is the week of the first agreement and ``deal_date`` its date (ISO, the
    first day of that week); ``terms`` are all terms agreed by the end; ``utility`` and
    ``reservation`` are taken at the last agreement, or at the end (utility of the status
    quo) when there was none.  ``nash_product`` and
    ``pareto_distance`` describe the last agreement at its signature (None without a deal);
    ``concessions`` says, per side, how far and from which week it lowered its own offers,
    and ``deal_concessions`` what each side gave up issue by issue against the status quo.
    """
    model.world.check_finite()
    neg = model.negotiation
    deals = neg.deals
    outcome = _outcome(model)
    summary = {
        "deal": bool(deals),
        "deal_week": deals[0].week if deals else None,
        "deal_date": deal_date(model.start_date, deals[0].week) if deals else None,
        "full_deal": neg.done,
        "issues_covered": [n for n in model.space.names if n in outcome["terms"]],
        **outcome,
        "concessions": {s: concession_profile(neg.history, s) for s in SIDES},
        "deal_concessions": issue_concessions(model.space, deals[-1].outcome) if deals else {},
        "seed": model.seed,
        "weeks": model.steps,
        "start_date": model.start_date.isoformat(),
        "phase": neg.phase,
        "deals": dated([_deal(d) for d in deals], model.start_date),
        "offers": len(neg.history),
        "blocked_by_ratification": sum(int(r.blocked_by_ratification) for r in neg.history),
        "escalations": len(model.escalation_log),
        "escalation_log": dated(model.escalation_log, model.start_date),
        "gestures": len(model.gestures),
        "gesture_log": dated(model.gestures, model.start_date),
        "incidents": len(model.incidents),
        "final": _final(model.world),
        "dollars": _dollars(model.world),
        "fulfilment": [
            {**q, "from_date": deal_date(model.start_date, q["from_week"])}
            for q in fulfilment_by_quarter(model.world)
        ],
        "monitoring": {
            **(mon := model.monitor.summary()),
            "disputes": dated(mon["disputes"], model.start_date),
        },
    }
    out = {key: plain(value) for key, value in summary.items()}
    bad = non_finite_paths(out, "summary")
    if bad:
        raise ModelStateError([(p, "is not a finite number") for p in bad])
    return out
