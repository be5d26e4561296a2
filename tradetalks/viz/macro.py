"""The macro view: one small chart per weekly series (tariffs, soybeans, yuan, Fed, farms).

Each panel is its own chart, laid out by the page's CSS grid, so panels never share a canvas
and their headings (HTML, above each chart) cannot overlap at any window width.  A week's
value is drawn at the end of that week (``dates.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradetalks.viz.dates import week_stamps
from tradetalks.viz.style import GREY, line, num, points, time_chart, unit_axis, value_axis

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

CNY_AXIS_STEP = 0.05  # the yuan axis spans whole multiples of this, with the line inside
MACRO_PALETTE = ("#1f4e9c", "#c0392b")


@dataclass(frozen=True)
class MacroPanel:
    """One small chart: its heading, the columns it draws (with their labels) and a key."""

    title: str
    lines: tuple[tuple[str, str], ...]
    key: str = ""


MACRO_PANELS = (
    MacroPanel(
        "Average tariff, %",
        (("us_tariff_avg", "US on China"), ("cn_tariff_avg", "China on US")),
        "blue: US tariff on Chinese goods · red: China's on US goods",
    ),
    MacroPanel("Soybean exports to China, $bn a year", (("soybean_exports_bn", "exports"),)),
    MacroPanel(
        "Yuan per dollar (CNY/USD)",
        (("cny_usd", "CNY/USD"),),
        "dashed: the PBoC's line (above it, the US may label China a manipulator)",
    ),
    MacroPanel("Fed funds rate, %", (("fed_rate", "Fed rate"),)),
    MacroPanel(
        "Farmers approving the US stance (share)",
        (("farm_approval", "farm approval"),),
    ),
    MacroPanel(
        "Farm aid paid to soybean farms, $bn (cumulative)",
        (("farm_aid_paid_bn", "aid paid"),),
        "their share of each aid tranche; the budget lever sets the whole programme",
    ),
)


def _currency_line(option: dict[str, Any], cny: list[float], threshold: float) -> None:
    """Draw the PBoC's line on the yuan chart and fit its axis around line and rate."""
    option["series"][0]["markLine"] = {
        "silent": True,
        "symbol": "none",
        "lineStyle": {"color": GREY, "type": "dashed"},
        "label": {"show": False},
        "data": [{"yAxis": threshold}],
    }
    values = [v for v in cny if math.isfinite(v)]
    low, high = min([threshold, *values]), max([threshold, *values])
    axis = option["yAxis"]
    axis["min"] = num(math.floor(low / CNY_AXIS_STEP - 0.5) * CNY_AXIS_STEP)  # line in view
    axis["max"] = num(math.ceil(high / CNY_AXIS_STEP + 0.5) * CNY_AXIS_STEP)


def macro_panel_option(model: TradeTalksModel, index: int) -> dict[str, Any]:
    """ECharts option of macro panel ``index`` (see ``MACRO_PANELS``)."""
    panel = MACRO_PANELS[index]
    data = model.datacollector.model_vars
    x = week_stamps(model, data["week"])
    series = [
        line(label, points(x, data[column]), colour)
        for (column, label), colour in zip(panel.lines, MACRO_PALETTE, strict=False)
    ]
    option = time_chart(model, series, value_axis())
    columns = [c for c, _ in panel.lines]
    if "cny_usd" in columns:
        _currency_line(option, data["cny_usd"], model.config.world.pboc.threshold)
    if "farm_approval" in columns:  # a share: fixed to [0, 1]
        option["yAxis"] = unit_axis()
    return option


def macro_option(model: TradeTalksModel) -> list[dict[str, Any]]:
    """Every macro panel's option, in ``MACRO_PANELS`` order."""
    return [macro_panel_option(model, i) for i in range(len(MACRO_PANELS))]
