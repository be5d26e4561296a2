"""What the app's views share: colours, side names, sizes and numbers made safe for ECharts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

DIGITS = 4  # decimals sent to the browser
CHART_HEIGHT = 370  # pixels: fits a cell of SolaraViz's default grid layout
SIDES = ("us", "china")
SIDE_COLOURS = {"us": "#1f4e9c", "china": "#c0392b"}
SIDE_NAMES = {"us": "US", "china": "China"}
DEAL_COLOUR = "#1e8449"
GREY = "#555555"


def num(x: Any) -> float | None:
    """A JSON-safe rounded number (``None`` for NaN, which ECharts shows as a gap)."""
    v = float(x)
    return round(v, DIGITS) if math.isfinite(v) else None


def points(xs: Sequence[Any], ys: Sequence[Any]) -> list[list[float | None]]:
    """``[x, y]`` pairs of JSON-safe numbers, as ECharts takes a series' data."""
    return [[num(x), num(y)] for x, y in zip(xs, ys, strict=True)]
