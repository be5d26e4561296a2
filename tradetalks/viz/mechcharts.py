"""Small charts of the mechanisms that decide a run: beliefs, ratification, chapter readiness.

Each builder returns an ECharts option and the key the page prints beside it (label, colour,
dashed), so the chart itself carries no legend or title that could collide with its axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradetalks.sim.chapters import READY
from tradetalks.viz.dates import week_stamps
from tradetalks.viz.mechanisms import Trace, readiness
from tradetalks.viz.style import (
    AXIS_FONT,
    GREY,
    SIDE_COLOURS,
    SIDE_NAMES,
    SMALL_GRID,
    line,
    num,
    points,
    time_chart,
    unit_axis,
    value_axis,
)

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

KeyEntry = tuple[str, str, bool]  # label, colour, dashed
BODY_SHADES = {"us": ("#1f4e9c", "#5d8ad6", "#0b2a5b"), "china": ("#c0392b", "#e67e73", "#7b1d14")}
NOT_ON_AGENDA = "#b3b6b7"
READY_COLOUR = "#1e8449"
WORKING_COLOUR = "#d68910"
BAR_ROW_PX = 22  # height per issue in the readiness chart
BAR_CHART_PAD_PX = 40


def _trace(model: TradeTalksModel) -> Trace | None:
    return getattr(model, "trace", None)


def _flat(model: TradeTalksModel, value: float | None) -> list[list[Any]]:
    """A constant over the whole run (a true type), or nothing."""
    if value is None:
        return []
    return points(week_stamps(model, [0, model.horizon]), [value, value])


def beliefs_option(model: TradeTalksModel) -> tuple[dict[str, Any], list[KeyEntry]]:
    """Each side's expected resolve of the other (solid) and, where the config draws one,
    the other side's true private type (dashed, same colour: what the estimate aims at)."""
    trace = _trace(model)
    series, key = [], []
    for side, opp in (("us", "china"), ("china", "us")):
        colour = SIDE_COLOURS[side]
        label = f"{SIDE_NAMES[side]}'s estimate of {SIDE_NAMES[opp]}'s resolve"
        data = [] if trace is None else points(week_stamps(model, trace.weeks), trace.beliefs[side])
        if trace is not None and any(v is not None for v in trace.beliefs[side]):
            series.append(line(label, data, colour))
            key.append((label, colour, False))
        truth = model.teams[opp].private_type
        if truth is not None:
            name = f"{SIDE_NAMES[opp]}'s true resolve (private)"
            series.append(line(name, _flat(model, truth), colour, dashed=True))
            key.append((name, colour, True))
    return time_chart(model, series, unit_axis()), key


def ratification_option(model: TradeTalksModel) -> tuple[dict[str, Any], list[KeyEntry]]:
    """Each body's support for the offer on the table minus its true threshold, by week;
    at or above the zero line the body ratifies."""
    trace = _trace(model)
    series, key = [], []
    used: dict[str, int] = {}
    for rat in model.ratifiers:
        shades = BODY_SHADES.get(rat.side, (GREY,))
        colour = shades[used.get(rat.side, 0) % len(shades)]
        used[rat.side] = used.get(rat.side, 0) + 1
        label = f"{rat.name} ({SIDE_NAMES.get(rat.side, rat.side)})"
        margins = [] if trace is None else trace.margins.get(rat.name, [])
        data = points(week_stamps(model, trace.weeks), margins) if trace is not None else []
        series.append(line(label, data, colour))
        key.append((label, colour, False))
    if series:
        series[0]["markLine"] = {
            "silent": True,
            "symbol": "none",
            "label": {"show": False},
            "lineStyle": {"color": "black", "type": "dotted"},
            "data": [{"yAxis": 0}],
        }
    return time_chart(model, series, value_axis(scale=False)), key  # zero (the line) in view


def readiness_height(model: TradeTalksModel) -> int:
    """Pixels the readiness chart needs for its issues."""
    return BAR_CHART_PAD_PX + BAR_ROW_PX * len(readiness(model))


def readiness_option(model: TradeTalksModel) -> tuple[dict[str, Any], list[KeyEntry]]:
    """Readiness of every negotiable chapter: principals sign only chapters at 1."""
    rows = readiness(model)
    bars = []
    for _, value, on_agenda in rows:
        colour = NOT_ON_AGENDA if not on_agenda else READY_COLOUR
        if on_agenda and value < READY:
            colour = WORKING_COLOUR
        bars.append({"value": num(value), "itemStyle": {"color": colour}})
    option = {
        "animation": False,
        "grid": dict(SMALL_GRID),
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": unit_axis(),
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [name for name, _, _ in rows],
            "axisLabel": {"fontSize": AXIS_FONT, "interval": 0},
        },
        "series": [{"type": "bar", "name": "readiness", "data": bars, "barWidth": "60%"}],
    }
    key = [
        ("ready to sign", READY_COLOUR, False),
        ("being drafted", WORKING_COLOUR, False),
        ("not on the agenda yet", NOT_ON_AGENDA, False),
    ]
    return option, key
