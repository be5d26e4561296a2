"""The negotiation timeline's chart: each side's utility of every offer, reservations, deals.

Dates on the x axis (``dates.py``: offers inside their week, a week's reservation at its
end).  Each offer's tooltip names it: its week, round, proposer, answer, both utilities and
its terms.  The page prints the key (colours and symbols), so the chart has no legend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradetalks.viz.dates import day_text, first_day, offer_stamps, stamp, time_axis, week_end
from tradetalks.viz.dates import week_stamps as _week_stamps
from tradetalks.viz.history import tooltip_text
from tradetalks.viz.style import (
    AXIS_FONT,
    CALENDAR_COLOURS,
    DEAL_COLOUR,
    GREY,
    SIDE_COLOURS,
    SIDE_NAMES,
    SIDES,
    num,
    points,
    unit_axis,
)

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

OFFER_SYMBOL_SIZE = 8
ACCEPTED_SYMBOL_SIZE = 15
TOOLTIP_CSS = "white-space: pre-line; max-width: 460px; font-size: 12px;"
TIMELINE_GRID = {"left": 8, "right": 18, "top": 24, "bottom": 6, "containLabel": True}
KEY = (
    "Blue: the US's utility, red: China's. Filled dots: a side's own offers; hollow: the other "
    "side's offers; diamonds: accepted. Dashed: each side's reservation value (what walking "
    "away is worth). Green lines: deals; dotted: now; thin orange dashes: tariff actions due on "
    "the calendar; purple dashes: principal rounds on it. Point at an offer for its terms."
)


def _offer_series(model: TradeTalksModel, side: str, stamps: list[str]) -> list[dict[str, Any]]:
    """``side``'s utility of own, other and accepted offers; each point named by its offer."""
    history = model.negotiation.history
    colour, name = SIDE_COLOURS[side], SIDE_NAMES[side]
    groups = (
        ("own offers", "circle", OFFER_SYMBOL_SIZE, lambda r: r.proposer == side),
        ("other side's offers", "emptyCircle", OFFER_SYMBOL_SIZE, lambda r: r.proposer != side),
        ("accepted", "diamond", ACCEPTED_SYMBOL_SIZE, lambda r: r.accepted),
    )
    series = []
    for label, symbol, size, chosen in groups:
        style: dict[str, Any] = {"color": colour}
        if label == "accepted":
            style["borderColor"] = "black"
        data = [
            {
                "value": [x, num(r.utility[side])],
                "name": tooltip_text(model, i, r),
            }
            for i, (x, r) in enumerate(zip(stamps, history, strict=True))
            if chosen(r)
        ]
        series.append(
            {
                "type": "scatter",
                "name": f"{name} utility, {label}",
                "data": data,
                "symbol": symbol,
                "symbolSize": size,
                "itemStyle": style,
                "tooltip": {"formatter": "{b}"},
            }
        )
    return series


def _reservation(model: TradeTalksModel, side: str) -> dict[str, Any]:
    data = model.datacollector.model_vars
    colour = SIDE_COLOURS[side]
    return {
        "type": "line",
        "name": f"{SIDE_NAMES[side]} reservation",
        "step": "start",
        "showSymbol": False,
        "data": points(_week_stamps(model, data["week"]), data[f"{side}_reservation"]),
        "lineStyle": {"type": "dashed", "color": colour},
        "itemStyle": {"color": colour},
        "tooltip": {"show": False},
        "silent": True,  # the pointer passes to an offer drawn on the line (it has a tooltip)
    }


def _calendar_marks(model: TradeTalksModel) -> list[dict[str, Any]]:
    """Thin dashed lines at the calendar's dated events within the run: tariff actions as
    scheduled and principal rounds (each named in its tooltip)."""
    cal, end = model.config.calendar, model.config.end_date
    events = [("tariff", a.date, f"Due on the calendar: {a.label}") for a in cal.tariff_actions]
    events += [
        ("round", r.date, "Principal round on the calendar")
        for r in cal.rounds
        if r.level == "principal"
    ]
    return [
        {
            "xAxis": stamp(day),
            "name": f"{text} ({day_text(day)})",
            "lineStyle": {"color": CALENDAR_COLOURS[kind], "width": 1, "type": "dashed"},
            "label": {"show": False},
        }
        for kind, day, text in sorted(events, key=lambda e: e[1])
        if model.start_date <= day <= end
    ]


def _marks(model: TradeTalksModel) -> list[dict[str, Any]]:
    """Vertical lines: the calendar's events, each deal (named in its tooltip) and, once the
    run has begun, now (labelled above the plot)."""
    marks = _calendar_marks(model)
    for deal in model.negotiation.deals:
        kind = "Interim deal" if deal.interim else "Deal"
        marks.append(
            {
                "xAxis": stamp(week_end(model, deal.week)),  # signed by the week's end
                "name": f"{kind} signed in the week of {day_text(first_day(model, deal.week))}",
                "lineStyle": {"color": DEAL_COLOUR, "width": 3, "type": "solid"},
                "label": {"show": False},
            }
        )
    if model.steps == 0:  # nothing has happened yet (and the label would sit on the axis's)
        return marks
    marks.append(
        {
            "xAxis": stamp(week_end(model, model.steps)),
            "name": "now",
            "lineStyle": {"color": GREY, "type": "dotted"},
            "label": {"formatter": "now", "color": GREY, "position": "end", "fontSize": AXIS_FONT},
        }
    )
    return marks


def timeline_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: each side's utility of every offer against its reservation; deals and
    the current week marked."""
    stamps = offer_stamps(model, [r.week for r in model.negotiation.history])
    series = [_reservation(model, side) for side in SIDES]
    series += [s for side in SIDES for s in _offer_series(model, side, stamps)]
    series[0]["markLine"] = {  # on the first series: its own data is never hidden
        "symbol": "none",
        "data": _marks(model),
        "tooltip": {"formatter": "{b}"},
    }
    return {
        "animation": False,
        "grid": TIMELINE_GRID,
        "tooltip": {"trigger": "item", "confine": True, "extraCssText": TOOLTIP_CSS},
        "xAxis": time_axis(model),
        "yAxis": unit_axis(),
        "series": series,
    }
