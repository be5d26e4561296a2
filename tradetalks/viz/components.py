"""The app's views: small named Solara components, each a function of the model.

Each view is split in two: a plain function that builds the chart (an ECharts ``option``
dict, in ``network.py``, ``timeline.py``, ``macro.py``) or the table and lines
(``offers.py``, ``status.py``) from the model, testable without Solara or a browser, and a
thin component here that shows it.  SolaraViz re-renders every view after each Step, so the
server only sends data: charts are drawn in the browser by ECharts, which ships with
``solara-assets`` (no internet needed).  Matplotlib PNGs cost about a second per Step on a
small machine; ECharts keeps a Step well under half a second at 1,000 farmers.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import solara
import solara.components.echarts
import traitlets
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

from tradetalks.viz.macro import macro_option
from tradetalks.viz.network import network_option
from tradetalks.viz.offers import TABLE_CSS, offer_table, table_html
from tradetalks.viz.status import status_lines
from tradetalks.viz.style import CHART_HEIGHT
from tradetalks.viz.timeline import timeline_option

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

# Solara 1.58's ECharts template calls ``this.chart.setOption`` whenever the option changes,
# even before ECharts has loaded and created the chart (a console error when a Step or Reset
# comes that early).  The guarded copy skips that call; ``create()`` then draws the latest
# option once ECharts is there.
_ECHARTS_VUE = Path(solara.components.echarts.__file__).with_name("echarts.vue").read_text()
_WATCHER_END = "\n    },\n  },\n  methods: {"
_UNGUARDED = "      this.chart.setOption(this.option, true);" + _WATCHER_END
_GUARDED = "      if (this.chart) this.chart.setOption(this.option, true);" + _WATCHER_END
if _UNGUARDED not in _ECHARTS_VUE:  # pragma: no cover - only if Solara changes the template
    raise ImportError(
        "Solara's echarts.vue changed: review tradetalks/viz/components.py ChartWidget"
    )
CHART_TEMPLATE = _ECHARTS_VUE.replace(_UNGUARDED, _GUARDED, 1)


class ChartWidget(EchartsWidget):
    """Solara's ECharts widget, safe against an option that arrives before ECharts loads."""

    template_file = None

    @traitlets.default("template")
    def _template(self) -> str:
        return CHART_TEMPLATE


def _figure_key(model: TradeTalksModel) -> list[Any]:
    # the model itself (not its id, which a new model may reuse) and how far it has run
    return [model, model.steps, len(model.negotiation.history)]


@solara.component
def ChartView(
    build: Callable[[TradeTalksModel], dict[str, Any]], model: TradeTalksModel, height: int
) -> solara.Element:
    """An ECharts view, rebuilt only when the model has moved on (a Step or a Reset).

    The option goes straight onto the widget in an effect instead of through the element's
    props: reacton walks every prop value looking for child elements, and walking thousands
    of network points on each render cost over a second per Step.
    """
    update_counter.get()  # SolaraViz bumps this counter after every Step
    chart = ChartWidget.element(
        responsive=True, attributes={"style": f"height: {height}px; width: 100%;"}
    )

    def push_option() -> None:
        solara.get_widget(chart).option = build(model)

    solara.use_effect(push_option, _figure_key(model))
    return chart


@solara.component
def StatusView(model: TradeTalksModel) -> solara.Element:
    """Where the run is: week, date, phase, deal, and the scenario and levers in effect."""
    update_counter.get()
    with solara.Column(gap="2px") as main:
        lines = status_lines(model)
        solara.Text(lines[0], classes=["tt-week"], style={"font-size": "18px", "font-weight": 600})
        for line in lines[1:]:
            solara.Text(line, style={"font-size": "13px"})
    return main


@solara.component
def FarmerNetworkView(model: TradeTalksModel) -> solara.Element:
    """The farmer network coloured by approval."""
    return ChartView(network_option, model, CHART_HEIGHT)


@solara.component
def TimelineView(model: TradeTalksModel) -> solara.Element:
    """The negotiation timeline."""
    return ChartView(timeline_option, model, CHART_HEIGHT)


@solara.component
def OfferTableView(model: TradeTalksModel) -> solara.Element:
    """The current offer or deal, issue by issue."""
    update_counter.get()
    with solara.Column() as main:
        solara.Style(TABLE_CSS)
        solara.HTML(tag="div", unsafe_innerHTML=table_html(offer_table(model)))
    return main


@solara.component
def MacroView(model: TradeTalksModel) -> solara.Element:
    """The macro series."""
    return ChartView(macro_option, model, CHART_HEIGHT)
