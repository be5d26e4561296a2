"""The app's views: small named Solara components, each a function of the model.

Each view is split in two: plain functions that build a chart's ECharts option
(``network.py``, ``timeline.py``, ``macro.py``, ``mechcharts.py``) or a table's HTML
(``offers.py``, ``history.py``, ``facts.py``, ``status.py``) from the model, testable
without Solara or a browser, and a thin component here that shows it.  The controller bumps
Mesa's ``update_counter`` after every Step; only ``MainView`` listens to it and hands its
value (``tick``) down, so a Step re-renders the page in one pass (a listener per view
costs a pass each: half a second a Step with a dozen views).  Charts only receive data
(``charts.py``).  ``MainView`` lays the panels out with CSS: rows of panels that wrap
on a narrow window, and small charts in a grid that fits as many columns as there is room
for, so nothing overlaps or is clipped at any width.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import solara
from mesa.visualization.utils import update_counter

from tradetalks.viz import mechcharts
from tradetalks.viz.charts import KEY_CSS, ChartView, key_html, panel
from tradetalks.viz.facts import FACTS_CSS, facts_html
from tradetalks.viz.history import HISTORY_CSS, history_html
from tradetalks.viz.macro import MACRO_PANELS, macro_panel_option
from tradetalks.viz.mechanisms import ready_count
from tradetalks.viz.network import NETWORK_HEIGHT, network_option, network_sample, sample_caption
from tradetalks.viz.offers import TABLE_CSS, offer_table, table_html
from tradetalks.viz.status import status_lines
from tradetalks.viz.style import CHART_HEIGHT, SMALL_HEIGHT
from tradetalks.viz.timeline import KEY, timeline_option

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

KeyedBuilder = Callable[[Any], tuple[dict[str, Any], list[tuple[str, str, bool]]]]

PAGE_CSS = """
.tt-main { display: flex; flex-direction: column; gap: 14px; padding: 4px 2px 32px 2px; }
.tt-row { display: flex; flex-wrap: wrap; gap: 14px; align-items: stretch; }
.tt-panel { background: #fff; border: 1px solid #dcdcdc; border-radius: 6px;
  padding: 10px 12px; min-width: 0; box-sizing: border-box; overflow: hidden; }
.tt-row > .tt-panel { flex: 1 1 420px; }
.tt-row > .tt-panel.tt-narrow { flex: 1 1 340px; max-width: 640px; }
.tt-row > .tt-panel.tt-wide { flex: 3 1 600px; }
.tt-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
  gap: 12px 16px; }
.tt-grid > .tt-panel { border: none; padding: 0; border-radius: 0; }
h3.tt-heading { font-size: 15px; font-weight: 600; margin: 0 0 2px 0; line-height: 1.3; }
.tt-grid h3.tt-heading { font-size: 13px; }
p.tt-caption { font-size: 12px; color: #555; margin: 0 0 6px 0; line-height: 1.35; }
.tt-status span { display: block; }
"""
CSS = PAGE_CSS + KEY_CSS + FACTS_CSS + HISTORY_CSS + TABLE_CSS
RUN_CAPTION = "The deal signed so far, else the offer on the table, issue by issue."
HISTORY_CAPTION = (
    "Newest first. Utilities are on each side's own 0–1 scale, with its reservation (r): an "
    "offer below a side's reservation is worse for it than walking away."
)
BELIEF_CAPTION = (
    "What each side expects to be the smallest gain share the other accepts (its screening "
    "belief; the higher, the tougher it thinks the other side is)."
)
RATIFY_CAPTION = (
    "Support for the offer on the table minus the body's private threshold: at or above "
    "the dotted zero line it ratifies. A gap: no offer, or the body does not vote on it."
)
THREATS_CAPTION = "Pending tariff actions, audience costs, purchases after signing, dollars."
FARMERS_CAPTION = "On a spiral in ring order; rewired links cross it."


@solara.component
def StatusView(model: TradeTalksModel, tick: int) -> solara.Element:
    """Where the run is (week, dates, phase, deal, scenario, levers) and the terms."""
    lines = status_lines(model)
    with solara.Column(gap="2px", classes=["tt-status"]) as main:
        solara.Text(lines[0], classes=["tt-week"], style={"font-size": "18px", "font-weight": 600})
        for line in lines[1:]:
            solara.Text(line, style={"font-size": "13px"})
        solara.HTML(tag="div", unsafe_innerHTML=table_html(offer_table(model)))
    return main


@solara.component
def HtmlView(
    build: Callable[[TradeTalksModel], str], model: TradeTalksModel, tick: int
) -> solara.Element:
    """HTML built from the model (escaped by ``build``), redrawn after every Step."""
    return solara.HTML(tag="div", unsafe_innerHTML=build(model))


@solara.component
def KeyedChart(
    build: KeyedBuilder, model: TradeTalksModel, height: int, name: str, tick: int
) -> solara.Element:
    """A chart whose builder returns (option, key); the key is printed under the chart."""
    _, key = build(model)
    with solara.Column(gap="2px") as main:
        ChartView(lambda m: build(m)[0], model, height, name, tick)
        solara.HTML(tag="div", unsafe_innerHTML=key_html(key))
    return main


@solara.component
def MechanismsView(model: TradeTalksModel, tick: int) -> solara.Element:
    """The mechanisms that decide the run, as small charts and a short table."""
    ready, total = ready_count(model)
    with solara.Div(classes=["tt-grid"]) as main:
        with panel("Beliefs about the other side's resolve", BELIEF_CAPTION):
            KeyedChart(mechcharts.beliefs_option, model, SMALL_HEIGHT, "beliefs", tick)
        with panel("Ratification at home", RATIFY_CAPTION):
            KeyedChart(mechcharts.ratification_option, model, SMALL_HEIGHT, "ratification", tick)
        with panel(
            f"Chapter readiness: {ready} of {total} ready to sign",
            "Deputy rounds draft chapters; principals sign only ready ones.",
        ):
            height = mechcharts.readiness_height(model)
            KeyedChart(mechcharts.readiness_option, model, height, "readiness", tick)
        with panel("Threats, fulfilment and dollars", THREATS_CAPTION):
            HtmlView(facts_html, model, tick)
    return main


@solara.component
def MacroView(model: TradeTalksModel, tick: int) -> solara.Element:
    """The macro series, one small chart each."""
    with solara.Div(classes=["tt-grid"]) as main:
        for i, spec in enumerate(MACRO_PANELS):
            with panel(spec.title, spec.key):
                ChartView(
                    partial(macro_panel_option, index=i), model, SMALL_HEIGHT, f"macro-{i}", tick
                )
    return main


@solara.component
def MainView(model: TradeTalksModel) -> solara.Element:
    """Every panel of the page, in rows that wrap on a narrow window (the one listener to
    Mesa's update counter: see the module's note)."""
    tick = update_counter.get()
    with solara.Div(classes=["tt-main"]) as main:
        solara.Style(CSS)
        with solara.Div(classes=["tt-row"]):
            with panel("The run", RUN_CAPTION):
                StatusView(model, tick)
            with panel("Negotiation timeline", KEY, size="wide"):
                ChartView(timeline_option, model, CHART_HEIGHT, "timeline", tick)
        with solara.Div(classes=["tt-row"]):
            with panel(f"Every offer ({len(model.negotiation.history)})", HISTORY_CAPTION):
                HtmlView(history_html, model, tick)
        with solara.Div(classes=["tt-row"]):
            with panel("What decides the run", size="wide"):
                MechanismsView(model, tick)
        with solara.Div(classes=["tt-row"]):
            with panel("The world, week by week", size="wide"):
                MacroView(model, tick)
            caption = f"{sample_caption(network_sample(model))}. {FARMERS_CAPTION}"
            with panel("Farmers", caption, size="narrow"):
                ChartView(network_option, model, NETWORK_HEIGHT, "network", tick)
    return main
