"""DataCollector reporters: one small named function per weekly series.

The model is typed by the ``WeeklyRun`` protocol below, so this module does not import
``sim.model`` (which imports it).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from tradetalks.sim.protocol import Negotiation, OfferRecord
from tradetalks.sim.world import World


class TeamState(Protocol):
    """What the reporters read from a team."""

    @property
    def reservation(self) -> float:
        """Reservation value this week."""
        ...

    @property
    def pressure(self) -> float:
        """Domestic pressure this week."""
        ...


class WeeklyRun(Protocol):
    """What the reporters read from a model (``TradeTalksModel`` provides all of it)."""

    @property
    def steps(self) -> int:
        """Weeks run."""
        ...

    @property
    def date(self) -> dt.date:
        """First day of the current week."""
        ...

    @property
    def world(self) -> World:
        """The world and its indicators."""
        ...

    @property
    def teams(self) -> Mapping[str, TeamState]:
        """The teams by side."""
        ...

    @property
    def negotiation(self) -> Negotiation:
        """The mechanism."""
        ...


def week(m: WeeklyRun) -> int:
    """Weeks since the start."""
    return m.steps


def date(m: WeeklyRun) -> str:
    """First day of the week (ISO)."""
    return m.date.isoformat()


def _state(name: str) -> Callable[[WeeklyRun], float]:
    def reporter(m: WeeklyRun) -> float:
        return float(getattr(m.world.state, name))

    reporter.__name__ = name
    reporter.__doc__ = f"World indicator {name}."
    return reporter


def us_reservation(m: WeeklyRun) -> float:
    """US team's reservation value this week."""
    return m.teams["us"].reservation


def china_reservation(m: WeeklyRun) -> float:
    """China team's reservation value this week."""
    return m.teams["china"].reservation


def _last_offer(m: WeeklyRun) -> OfferRecord | None:
    return m.negotiation.history[-1] if m.negotiation.history else None


def last_offer_us_utility(m: WeeklyRun) -> float:
    """US utility of the latest offer on the table (NaN before the first)."""
    rec = _last_offer(m)
    return rec.utility["us"] if rec else math.nan


def last_offer_china_utility(m: WeeklyRun) -> float:
    """China's utility of the latest offer on the table (NaN before the first)."""
    rec = _last_offer(m)
    return rec.utility["china"] if rec else math.nan


def offers_made(m: WeeklyRun) -> int:
    """Offers made so far."""
    return len(m.negotiation.history)


def phase(m: WeeklyRun) -> str:
    """Negotiation phase (pre-talks, deputy talks, text settled, interim deal, deal, …)."""
    return m.negotiation.phase


def deal_status(m: WeeklyRun) -> str:
    """'none', 'interim' or 'full'."""
    if not m.negotiation.deals:
        return "none"
    return "full" if m.negotiation.done else "interim"


def us_pressure(m: WeeklyRun) -> float:
    """Domestic pressure on the US team."""
    return m.teams["us"].pressure


def china_pressure(m: WeeklyRun) -> float:
    """Domestic pressure on the China team."""
    return m.teams["china"].pressure


STATE_SERIES = (
    "us_tariff_avg",
    "cn_tariff_avg",
    "soy_tariff",
    "soybean_exports_bn",
    "soybean_price",
    "farm_income_index",
    "farm_approval",
    "farm_distress",
    "farm_aid_paid_bn",
    "fed_rate",
    "cny_usd",
    "manipulator",
    "rrr",
    "huawei_status",
    "us_growth",
    "cn_growth",
    "trade_uncertainty",
    "us_imports_bn",
    "cn_imports_bn",
    "escalations",
    "deal_probability",
    "us_tariff_effective",
    "us_duties_bn",
    "us_section301_duties_bn",
    "us_importer_cost_bn",
    "cn_duties_bn",
    "us_imports_diverted_bn",
    "brazil_soy_share",
    "us_exports_nonsoy_bn",
    "us_exports_energy_bn",
    "us_exports_aircraft_bn",
    "us_exports_farm_other_bn",
    "us_exports_manufactured_other_bn",
)


def model_reporters() -> dict[str, Callable[[WeeklyRun], Any]]:
    """All weekly model series, by column name."""
    out: dict[str, Callable[[WeeklyRun], Any]] = {"week": week, "date": date}
    out.update({name: _state(name) for name in STATE_SERIES})
    for fn in (
        us_reservation,
        china_reservation,
        last_offer_us_utility,
        last_offer_china_utility,
        offers_made,
        us_pressure,
        china_pressure,
        phase,
        deal_status,
    ):
        out[fn.__name__] = fn
    return out


def farmer_reporters() -> dict[str, str]:
    """Optional farmer-level series (off by default and in sweeps)."""
    return {"approval": "approval", "distress": "distress"}
