"""The negotiation timeline's chart: each side's utility of every offer, reservations, deals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tradetalks.sim.protocol import OfferRecord
from tradetalks.viz.style import DEAL_COLOUR, GREY, SIDE_COLOURS, SIDE_NAMES, SIDES, num, points

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

OFFER_SYMBOL_SIZE = 8
ACCEPTED_SYMBOL_SIZE = 16
DEAL_LINE_OFFSET = 0.5  # a deal's line sits mid-week, clear of that week's offers


def _offer_positions(weeks: np.ndarray) -> np.ndarray:
    """Spread the offers of one round across their week so they do not overlap."""
    x = weeks.astype(float)
    for week in np.unique(weeks):
        idx = np.flatnonzero(weeks == week)
        x[idx] += (np.arange(len(idx)) + 1) / (len(idx) + 1)
    return x


def _side_series(
    model: TradeTalksModel, side: str, x: np.ndarray, history: Sequence[OfferRecord]
) -> list[dict[str, Any]]:
    """One side's reservation line and its utility of own, other and accepted offers."""
    data = model.datacollector.model_vars
    colour, name = SIDE_COLOURS[side], SIDE_NAMES[side]
    series: list[dict[str, Any]] = [
        {
            "type": "line",
            "name": f"{name} reservation",
            "step": "end",
            "showSymbol": False,
            "data": points(data["week"], data[f"{side}_reservation"]),
            "lineStyle": {"type": "dashed", "color": colour},
            "itemStyle": {"color": colour},
        }
    ]
    groups = (
        ("own offers", "circle", OFFER_SYMBOL_SIZE, lambda r: r.proposer == side),
        ("other side's offers", "emptyCircle", OFFER_SYMBOL_SIZE, lambda r: r.proposer != side),
        ("accepted", "diamond", ACCEPTED_SYMBOL_SIZE, lambda r: r.accepted),
    )
    for label, symbol, size, chosen in groups:
        style: dict[str, Any] = {"color": colour}
        if label == "accepted":
            style["borderColor"] = "black"
        series.append(
            {
                "type": "scatter",
                "name": f"{name} utility, {label}",
                "data": [
                    [num(xi), num(r.utility[side])]
                    for xi, r in zip(x, history, strict=True)
                    if chosen(r)
                ],
                "symbol": symbol,
                "symbolSize": size,
                "itemStyle": style,
            }
        )
    return series


def _marks(model: TradeTalksModel) -> list[dict[str, Any]]:
    """Vertical lines: the current week, and each deal."""
    marks = [
        {
            "xAxis": model.steps,
            "lineStyle": {"color": GREY, "type": "dotted"},
            "label": {"formatter": "now", "color": GREY},
        }
    ]
    for deal in model.negotiation.deals:
        kind = "interim deal" if deal.interim else "deal"
        marks.append(
            {
                "xAxis": deal.week + DEAL_LINE_OFFSET,
                "lineStyle": {"color": DEAL_COLOUR, "width": 3},
                "label": {"formatter": f"{kind}, week {deal.week}", "color": DEAL_COLOUR},
            }
        )
    return marks


def timeline_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: each side's utility of every offer against its reservation; deals marked.

    Filled dots are a side's utility of its own offers, hollow ones of the other side's
    offers; diamonds mark accepted offers and a green line each deal.
    """
    history = model.negotiation.history
    x = _offer_positions(np.array([r.week for r in history], dtype=int))
    series = [s for side in SIDES for s in _side_series(model, side, x, history)]
    series[0]["markLine"] = {"silent": True, "symbol": "none", "data": _marks(model)}
    return {
        "animation": False,
        "title": {
            "text": f"Negotiation timeline: {len(history)} offers, phase: "
            f"{model.negotiation.phase}",
            "textStyle": {"fontSize": 14},
        },
        "legend": {"top": 28, "textStyle": {"fontSize": 10}, "itemWidth": 14},
        "grid": {"left": 50, "right": 30, "top": 110, "bottom": 45},
        "tooltip": {"trigger": "item"},
        "xAxis": {
            "type": "value",
            "name": "week",
            "nameLocation": "middle",
            "nameGap": 25,
            "min": 0,
            "max": model.horizon + 1,
        },
        "yAxis": {"type": "value", "name": "utility", "min": 0, "max": 1},
        "series": series,
    }
