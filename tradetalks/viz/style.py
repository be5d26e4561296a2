"""What the app's views share: colours, side names, sizes, numbers made safe for ECharts, and
the frame of a small chart over the run's dates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tradetalks.viz.dates import time_axis

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

DIGITS = 4  # decimals sent to the browser
CHART_HEIGHT = 340  # pixels: the timeline and the farmer network
SMALL_HEIGHT = 190  # pixels: one small chart (macro series, mechanisms)
SIDES = ("us", "china")
SIDE_COLOURS = {"us": "#1f4e9c", "china": "#c0392b"}
SIDE_NAMES = {"us": "US", "china": "China"}
DEAL_COLOUR = "#1e8449"
CALENDAR_COLOURS = {"tariff": "#e67e22", "round": "#7d3c98"}  # the calendar's dated events
GREY = "#555555"
AXIS_FONT = 10  # px: tick labels
# room around a small chart's plot; containLabel makes room for the tick labels on top
SMALL_GRID = {"left": 6, "right": 14, "top": 12, "bottom": 4, "containLabel": True}


def num(x: Any) -> float | None:
    """A JSON-safe rounded number (``None`` for NaN or a missing value: a gap in ECharts)."""
    if x is None:
        return None
    v = float(x)
    return round(v, DIGITS) if math.isfinite(v) else None


def points(xs: Sequence[Any], ys: Sequence[Any]) -> list[list[Any]]:
    """``[x, y]`` pairs, as ECharts takes a series' data (x: a date stamp or a number)."""
    return [[x if isinstance(x, str) else num(x), num(y)] for x, y in zip(xs, ys, strict=True)]


def line(name: str, data: list[list[Any]], colour: str, dashed: bool = False) -> dict[str, Any]:
    """A plain line series without symbols."""
    style = {"color": colour, "type": "dashed" if dashed else "solid"}
    return {
        "type": "line",
        "name": name,
        "showSymbol": False,
        "data": data,
        "itemStyle": {"color": colour},
        "lineStyle": style,
    }


def value_axis(**extra: Any) -> dict[str, Any]:
    """A numeric y axis with small labels that hide rather than overlap."""
    axis: dict[str, Any] = {
        "type": "value",
        "scale": True,
        "axisLabel": {"fontSize": AXIS_FONT, "hideOverlap": True},
        "splitNumber": 4,
    }
    axis.update(extra)
    return axis


def unit_axis(**extra: Any) -> dict[str, Any]:
    """A value axis fixed to [0, 1] (utilities, shares, beliefs), ticks every quarter."""
    return value_axis(min=0, max=1, interval=0.25, scale=False, **extra)


def time_chart(
    model: TradeTalksModel, series: list[dict[str, Any]], y_axis: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A small chart of ``series`` over the run's dates (no title or legend: the page's
    heading and key say what it shows, so nothing in the chart can collide with them)."""
    return {
        "animation": False,
        "grid": dict(SMALL_GRID),
        "tooltip": {"trigger": "axis"},
        "xAxis": time_axis(model),
        "yAxis": y_axis or value_axis(),
        "series": series,
    }
