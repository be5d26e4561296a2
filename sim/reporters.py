"""DataCollector reporters: one small named function per weekly series."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel


def week(m: TradeTalksModel) -> int:
    """Weeks since the start."""
    return m.steps


def date(m: TradeTalksModel) -> str:
    """First day of the week (ISO)."""
    return m.date.isoformat()


def _state(name: str) -> Callable[[TradeTalksModel], float]:
    def reporter(m: TradeTalksModel) -> float:
        return float(getattr(m.world.state, name))

    reporter.__name__ = name
    reporter.__doc__ = f"World indicator {name}."
    return reporter


def us_reservation(m: TradeTalksModel) -> float:
    """US team's reservation value this week."""
    return m.teams["us"].reservation


def china_reservation(m: TradeTalksModel) -> float:
    """China team's reservation value this week."""
    return m.teams["china"].reservation


def _last_offer(m: TradeTalksModel) -> Any:
    return m.negotiation.history[-1] if m.negotiation.history else None


def last_offer_us_utility(m: TradeTalksModel) -> float:
    """US utility of the latest offer on the table (NaN before the first)."""
    rec = _last_offer(m)
    return rec.utility["us"] if rec else math.nan


def last_offer_china_utility(m: TradeTalksModel) -> float:
    """China's utility of the latest offer on the table (NaN before the first)."""
    rec = _last_offer(m)
    return rec.utility["china"] if rec else math.nan


def offers_made(m: TradeTalksModel) -> int:
    """Offers made so far."""
    return len(m.negotiation.history)


def phase(m: TradeTalksModel) -> str:
    """Negotiation phase (pre-talks, deputy talks, text settled, interim deal, deal, …)."""
    return m.negotiation.phase


def deal_status(m: TradeTalksModel) -> str:
    """'none', 'interim' or 'full'."""
    if not m.negotiation.deals:
        return "none"
    return "full" if m.negotiation.done else "interim"


def us_pressure(m: TradeTalksModel) -> float:
    """Domestic pressure on the US team."""
    return m.teams["us"].pressure


def china_pressure(m: TradeTalksModel) -> float:
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
)


def model_reporters() -> dict[str, Callable[[TradeTalksModel], Any]]:
    """All weekly model series, by column name."""
    out: dict[str, Callable[[TradeTalksModel], Any]] = {"week": week, "date": date}
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
