"""The app's chart widget (Solara's ECharts, patched) and the components that show a chart.

Charts are drawn in the browser by ECharts, which ships with ``solara-assets`` (no internet
needed), so a Step sends data, not images.  Two changes to Solara 1.58's template:

- its watcher calls ``this.chart.setOption`` whenever the option changes, even before
  ECharts has loaded and created the chart (a console error when a Step or Reset comes that
  early); the guarded copy skips that call, and ``create()`` draws the latest option;
- charts render as SVG, not on a canvas: every title, label and legend is then an element
  of the page, so the browser test can check that none overlaps another or is clipped.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import solara
import solara.components.echarts
import traitlets
from solara.components.echarts import EchartsWidget

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

_ECHARTS_VUE = Path(solara.components.echarts.__file__).with_name("echarts.vue").read_text()
_WATCHER_END = "\n    },\n  },\n  methods: {"
_UNGUARDED = "      this.chart.setOption(this.option, true);" + _WATCHER_END
_GUARDED = "      if (this.chart) this.chart.setOption(this.option, true);" + _WATCHER_END
_CANVAS_INIT = "this.chart = this.echarts.init(this.$refs.echarts);"
_SVG_INIT = "this.chart = this.echarts.init(this.$refs.echarts, null, { renderer: 'svg' });"
if _UNGUARDED not in _ECHARTS_VUE or _CANVAS_INIT not in _ECHARTS_VUE:  # pragma: no cover
    raise ImportError("Solara's echarts.vue changed: review tradetalks/viz/charts.py ChartWidget")
CHART_TEMPLATE = _ECHARTS_VUE.replace(_UNGUARDED, _GUARDED, 1).replace(_CANVAS_INIT, _SVG_INIT, 1)

KEY_CSS = """
.tt-key { font-size: 11px; color: #444; line-height: 1.5; }
.tt-key span.tt-swatch { display: inline-block; width: 16px; height: 0; vertical-align: middle;
  margin: 0 4px 0 10px; border-top-width: 3px; }
.tt-key span.tt-swatch:first-child { margin-left: 0; }
"""


class ChartWidget(EchartsWidget):
    """Solara's ECharts widget, drawn as SVG and safe against an option that arrives before
    ECharts loads."""

    template_file = None

    @traitlets.default("template")
    def _template(self) -> str:
        return CHART_TEMPLATE


def _figure_key(model: TradeTalksModel) -> list[Any]:
    # the model itself (not its id, which a new model may reuse) and how far it has run
    return [model, model.steps, len(model.negotiation.history)]


@solara.component
def ChartView(
    build: Callable[[TradeTalksModel], dict[str, Any]],
    model: TradeTalksModel,
    height: int,
    name: str = "",
    tick: int = 0,
) -> solara.Element:
    """An ECharts view, rebuilt only when the model has moved on (a Step or a Reset).

    The option goes straight onto the widget in an effect instead of through the element's
    props: reacton walks every prop value looking for child elements, and walking thousands
    of network points on each render cost over a second per Step.  ``name`` labels the
    chart's element (``data-chart``) for tests.  ``tick`` is Mesa's update counter, passed
    down by the page so a Step re-renders the whole page in one pass (see ``MainView``).
    """
    style = f"height: {height}px; width: 100%;"
    chart = ChartWidget.element(responsive=True, attributes={"style": style, "data-chart": name})

    def push_option() -> None:
        solara.get_widget(chart).option = build(model)

    solara.use_effect(push_option, _figure_key(model))
    return chart


def key_html(entries: Sequence[tuple[str, str, bool]]) -> str:
    """A chart's key: a short line of colour (dashed or solid) before each label."""
    parts = [
        f"<span class='tt-swatch' style='border-top-style: {'dashed' if dashed else 'solid'}; "
        f"border-top-color: {html.escape(colour)};'></span>{html.escape(label)}"
        for label, colour, dashed in entries
    ]
    return f"<div class='tt-key'>{''.join(parts)}</div>"


@contextlib.contextmanager
def panel(title: str, caption: str = "", size: str = "") -> Iterator[solara.Element]:
    """``with panel(...):`` a card of the page with a heading and a line saying how to read
    it; what the block creates goes below them.  ``size``: "wide" takes more of a row,
    "narrow" less."""
    classes = ["tt-panel", f"tt-{size}"] if size else ["tt-panel"]
    with solara.Div(classes=classes) as main:
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(title), classes=["tt-heading"])
        if caption:
            solara.HTML(tag="p", unsafe_innerHTML=html.escape(caption), classes=["tt-caption"])
        yield main
