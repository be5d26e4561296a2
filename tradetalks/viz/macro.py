"""The macro view's chart: small panels of weekly series (tariffs, soybeans, yuan, Fed, farms)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tradetalks.viz.style import GREY, num, points

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

MACRO_PANELS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Tariffs, average %", (("us_tariff_avg", "US on China"), ("cn_tariff_avg", "China on US"))),
    ("Soybean exports to China, $bn/yr", (("soybean_exports_bn", "soybean exports"),)),
    ("CNY per USD", (("cny_usd", "CNY/USD"),)),
    ("Fed funds rate, %", (("fed_rate", "Fed rate"),)),
    ("Farm approval (share)", (("farm_approval", "farm approval"),)),
    ("Farm aid paid, $bn (cumulative)", (("farm_aid_paid_bn", "farm aid paid"),)),
)
MACRO_COLUMNS = 3
PANEL_HEIGHT = 50  # per cent of the chart: two rows of panels
CNY_AXIS_STEP = 0.05  # the yuan axis spans whole multiples of this, with the line inside
MACRO_PALETTE = ("#1f4e9c", "#c0392b")
TARIFF_KEY = "blue: US on China · red: China on US"


def _panel_of(column: str) -> int:
    """Index in ``MACRO_PANELS`` of the panel that draws ``column``."""
    return next(i for i, (_, lines) in enumerate(MACRO_PANELS) if column in dict(lines))


def _panel_frame(i: int, title: str, keyed: bool, horizon: int) -> dict[str, list[Any]]:
    """Titles (and a colour key for a two-line panel), grid and axes of panel ``i``."""
    width = 100 / MACRO_COLUMNS
    col, row = i % MACRO_COLUMNS, i // MACRO_COLUMNS
    left, top = col * width, row * PANEL_HEIGHT
    centre = f"{left + width / 2:.1f}%"
    titles = [
        {
            "text": title,
            "left": centre,
            "top": f"{top + 1:.0f}%",
            "textAlign": "center",
            "textStyle": {"fontSize": 12},
        }
    ]
    if keyed:  # a key instead of a legend, under the panel's title
        titles.append(
            {
                "text": TARIFF_KEY,
                "left": centre,
                "top": f"{top + 5:.0f}%",
                "textAlign": "center",
                "textStyle": {"fontSize": 9, "fontWeight": "normal", "color": GREY},
            }
        )
    grid = {
        "left": f"{left + 6:.1f}%",
        "width": f"{width - 9:.1f}%",
        "top": f"{top + 9:.0f}%",
        "height": f"{PANEL_HEIGHT - 19:.0f}%",
    }
    x_axis = {
        "type": "value",
        "gridIndex": i,
        "min": 0,
        "max": horizon,
        "name": "week" if row else "",
        "nameLocation": "middle",
        "nameGap": 22,
    }
    y_axis = {"type": "value", "gridIndex": i, "scale": True}
    return {"title": titles, "grid": [grid], "xAxis": [x_axis], "yAxis": [y_axis]}


def _currency_line(option: dict[str, Any], cny: list[float], threshold: float) -> None:
    """Draw the PBoC's line on the yuan panel and fit its axis around line and rate."""
    series = next(s for s in option["series"] if s["name"] == "CNY/USD")
    series["markLine"] = {
        "silent": True,
        "symbol": "none",
        "lineStyle": {"color": "black"},
        "label": {"formatter": f"{threshold:.2f} line", "position": "insideEndTop"},
        "data": [{"yAxis": threshold}],
    }
    values = [v for v in cny if math.isfinite(v)]
    low, high = min([threshold, *values]), max([threshold, *values])
    axis = option["yAxis"][_panel_of("cny_usd")]
    axis["min"] = num(math.floor(low / CNY_AXIS_STEP - 0.5) * CNY_AXIS_STEP)  # line in view
    axis["max"] = num(math.ceil(high / CNY_AXIS_STEP + 0.5) * CNY_AXIS_STEP)


def macro_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: tariffs both ways, soybean exports, CNY/USD with the PBoC's line (7.0
    by default), the Fed rate, farm approval and farm aid, one small panel each, by week."""
    data = model.datacollector.model_vars
    option: dict[str, Any] = {"animation": False, "title": [], "grid": [], "xAxis": [], "yAxis": []}
    option["tooltip"] = {"trigger": "axis"}
    option["series"] = []
    for i, (title, lines) in enumerate(MACRO_PANELS):
        for key, items in _panel_frame(i, title, len(lines) > 1, model.horizon).items():
            option[key].extend(items)
        for (column, label), colour in zip(lines, MACRO_PALETTE, strict=False):
            option["series"].append(
                {
                    "type": "line",
                    "name": label,
                    "xAxisIndex": i,
                    "yAxisIndex": i,
                    "showSymbol": False,
                    "data": points(data["week"], data[column]),
                    "itemStyle": {"color": colour},
                    "lineStyle": {"color": colour},
                }
            )
    _currency_line(option, data["cny_usd"], model.config.world.pboc.threshold)
    share_axis = option["yAxis"][_panel_of("farm_approval")]  # a share: fixed to [0, 1]
    share_axis.update({"min": 0, "max": 1, "scale": False})
    return option
