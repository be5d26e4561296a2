"""The app's views: small named Solara components, each a function of the model.

Each view is split in two: a plain function that builds the chart (an ECharts ``option``
dict) or the table from the model, testable without Solara or a browser, and a thin
component that shows it.  SolaraViz re-renders every view after each Step, so the server
only sends data: charts are drawn in the browser by ECharts, which ships with
``solara-assets`` (no internet needed).  Matplotlib PNGs cost about a second per Step on a
small machine; ECharts keeps a Step well under half a second at 1,000 farmers.  At large
farmer counts the network view draws a fixed sample plus a histogram of all farmers.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

import html
import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import solara
import solara.components.echarts
import traitlets
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

# --------------------------------------------------------------------------- UI constants
NETWORK_DRAW_LIMIT = 1000  # farmers drawn at most; above this a fixed sample keeps Steps fast
NETWORK_SAMPLE_SEED = 20190916  # the sample's own generator: drawing never touches model.rng
FARMERS_PER_TURN = 150  # farmers per turn of the spiral the network is laid out on
SPIRAL_INNER_RADIUS = 0.25  # where the spiral starts (the outer radius is 1)
LOCAL_SPAN = 3  # links between farmers this close on the spiral hide under the dots: not drawn
APPROVAL_BINS = 20  # histogram bins for the approval of all farmers
DIGITS = 4  # decimals sent to the browser
CHART_HEIGHT = 370  # pixels: fits a cell of SolaraViz's default grid layout
NETWORK_BOX = 230  # pixels: side of the square the network is drawn in
SIDE_COLOURS = {"us": "#1f4e9c", "china": "#c0392b"}
SIDE_NAMES = {"us": "US", "china": "China"}
DEAL_COLOUR = "#1e8449"
APPROVAL_COLOURS = ["#c0392b", "#f4d03f", "#1e8449"]  # disapprove → approve
EDGE_COLOUR = "#9aa5b1"
GREY = "#555555"


def _num(x: Any) -> float | None:
    """A JSON-safe rounded number (``None`` for NaN, which ECharts shows as a gap)."""
    v = float(x)
    return round(v, DIGITS) if math.isfinite(v) else None


def _points(xs: Sequence[Any], ys: Sequence[Any]) -> list[list[float | None]]:
    return [[_num(x), _num(y)] for x, y in zip(xs, ys, strict=True)]


# --------------------------------------------------------------------------- farmer network
@dataclass(frozen=True)
class NetworkSample:
    """Which farmers the network view draws, where, and the edges among them."""

    nodes: np.ndarray  # indices of the drawn farmers
    xy: np.ndarray  # their positions, shape (len(nodes), 2)
    edges: list[list[list[float]]]  # edges among them, as [[x1, y1], [x2, y2]]
    total: int  # farmers in the model

    @property
    def sampled(self) -> bool:
        """True if only a sample of the farmers is drawn."""
        return len(self.nodes) < self.total


_SAMPLES: weakref.WeakKeyDictionary[Any, NetworkSample] = weakref.WeakKeyDictionary()


def network_sample(model: TradeTalksModel, limit: int = NETWORK_DRAW_LIMIT) -> NetworkSample:
    """The farmers to draw (all, or a fixed random sample of ``limit``), cached per model.

    Farmers sit on a spiral in the order of the small-world ring lattice, so clusters of
    opinion among neighbours show as arcs of colour and the rewired shortcuts as chords
    (links between farmers within ``LOCAL_SPAN`` places on the spiral are left out).
    """
    cached = _SAMPLES.get(model)
    if cached is not None and len(cached.nodes) == min(limit, cached.total):
        return cached
    total = int(model.farmers.n)
    if total > limit:
        gen = np.random.default_rng(NETWORK_SAMPLE_SEED)
        nodes = np.sort(gen.choice(total, size=limit, replace=False))
    else:
        nodes = np.arange(total)
    rank = np.arange(len(nodes)) / max(len(nodes), 1)
    turns = max(1.0, len(nodes) / FARMERS_PER_TURN)
    angle = 2 * np.pi * turns * rank
    radius = SPIRAL_INNER_RADIUS + (1 - SPIRAL_INNER_RADIUS) * rank
    xy = np.round(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), 3)
    where = np.full(total, -1)
    where[nodes] = np.arange(len(nodes))
    pairs = np.array(list(model.network.G.edges()), dtype=int).reshape(-1, 2)
    pairs = where[pairs]
    pairs = pairs[(pairs >= 0).all(axis=1) & (np.abs(pairs[:, 0] - pairs[:, 1]) > LOCAL_SPAN)]
    edges = [[xy[i].tolist(), xy[j].tolist()] for i, j in pairs]
    sample = NetworkSample(nodes, xy, edges, total)
    _SAMPLES[model] = sample
    return sample


def network_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: the farmer network coloured by approval, and the approval histogram."""
    sample = network_sample(model)
    approval = np.asarray(model.farmers.approval, dtype=float)
    counts, bin_edges = np.histogram(approval, bins=APPROVAL_BINS, range=(0.0, 1.0))
    centres = (bin_edges[:-1] + bin_edges[1:]) / 2
    shown = (
        f"a sample of {len(sample.nodes):,} of {sample.total:,} farmers"
        if sample.sampled
        else f"all {sample.total:,} farmers"
    )
    dots = [
        [float(x), float(y), _num(a)]
        for (x, y), a in zip(sample.xy, approval[sample.nodes], strict=True)
    ]
    axis_off = {"show": False, "min": -1.05, "max": 1.05}
    return {
        "animation": False,
        "title": [
            {
                "text": f"Farmer network, week {model.steps}",
                "subtext": f"{shown}, coloured by approval of the US stance",
                "left": "center",
                "textStyle": {"fontSize": 14},
            },
            {
                "text": f"approval of all farmers (mean {approval.mean():.2f})",
                "left": "center",
                "top": NETWORK_BOX + 58,
                "textStyle": {"fontSize": 11, "fontWeight": "normal"},
            },
        ],
        "grid": [
            {"left": "center", "top": 50, "width": NETWORK_BOX, "height": NETWORK_BOX},
            {"left": "15%", "right": "20%", "top": NETWORK_BOX + 78, "bottom": 22},
        ],
        "xAxis": [
            {**axis_off, "gridIndex": 0},
            {"type": "value", "gridIndex": 1, "min": 0, "max": 1, "splitLine": {"show": False}},
        ],
        "yAxis": [{**axis_off, "gridIndex": 0}, {"type": "value", "gridIndex": 1, "show": False}],
        "visualMap": {
            "type": "continuous",
            "min": 0,
            "max": 1,
            "dimension": 2,
            "seriesIndex": 1,
            "inRange": {"color": APPROVAL_COLOURS},
            "right": 10,
            "top": "middle",
            "text": ["approve", "disapprove"],
            "calculable": False,
            "itemHeight": 120,
        },
        "series": [
            {
                "type": "lines",
                "coordinateSystem": "cartesian2d",
                "xAxisIndex": 0,
                "yAxisIndex": 0,
                "data": [{"coords": e} for e in sample.edges],
                "silent": True,
                "large": True,
                "lineStyle": {"color": EDGE_COLOUR, "width": 0.5, "opacity": 0.35},
            },
            {
                "type": "scatter",
                "name": "farmers",
                "xAxisIndex": 0,
                "yAxisIndex": 0,
                "data": dots,
                "symbolSize": 5,
            },
            {
                "type": "bar",
                "name": "farmers by approval",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": _points(centres, counts),
                "barWidth": "90%",
                "itemStyle": {"color": "#7f8c8d"},
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "label": {"show": False},
                    "lineStyle": {"color": "black"},
                    "data": [{"xAxis": _num(approval.mean())}],
                },
            },
        ],
    }


# --------------------------------------------------------------------------- negotiation
def _offer_positions(weeks: np.ndarray) -> np.ndarray:
    """Spread the offers of one round across their week so they do not overlap."""
    x = weeks.astype(float)
    for week in np.unique(weeks):
        idx = np.flatnonzero(weeks == week)
        x[idx] += (np.arange(len(idx)) + 1) / (len(idx) + 1)
    return x


def timeline_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: each side's utility of every offer against its reservation; deals marked.

    Filled dots are a side's utility of its own offers, hollow ones of the other side's
    offers; stars mark accepted offers and a green line each deal.
    """
    series_data = model.datacollector.model_vars
    weeks = series_data["week"]
    history = model.negotiation.history
    x = _offer_positions(np.array([r.week for r in history], dtype=int))
    series: list[dict[str, Any]] = []
    for side in ("us", "china"):
        colour, name = SIDE_COLOURS[side], SIDE_NAMES[side]
        series.append(
            {
                "type": "line",
                "name": f"{name} reservation",
                "step": "end",
                "showSymbol": False,
                "data": _points(weeks, series_data[f"{side}_reservation"]),
                "lineStyle": {"type": "dashed", "color": colour},
                "itemStyle": {"color": colour},
            }
        )
        for own, label, symbol in (
            (True, "own offers", "circle"),
            (False, "other side's offers", "emptyCircle"),
        ):
            pts = [
                [_num(xi), _num(r.utility[side])]
                for xi, r in zip(x, history, strict=True)
                if (r.proposer == side) == own
            ]
            series.append(
                {
                    "type": "scatter",
                    "name": f"{name} utility, {label}",
                    "data": pts,
                    "symbol": symbol,
                    "symbolSize": 8,
                    "itemStyle": {"color": colour},
                }
            )
        stars = [
            [_num(xi), _num(r.utility[side])]
            for xi, r in zip(x, history, strict=True)
            if r.accepted
        ]
        series.append(
            {
                "type": "scatter",
                "name": f"{name} utility, accepted",
                "data": stars,
                "symbol": "diamond",
                "symbolSize": 16,
                "itemStyle": {"color": colour, "borderColor": "black"},
            }
        )
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
                "xAxis": deal.week + 0.5,
                "lineStyle": {"color": DEAL_COLOUR, "width": 3},
                "label": {"formatter": f"{kind}, week {deal.week}", "color": DEAL_COLOUR},
            }
        )
    series[0]["markLine"] = {"silent": True, "symbol": "none", "data": marks}
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


@dataclass(frozen=True)
class TableView:
    """The offer or deal on the table, issue by issue."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str


def _agreed_terms(model: TradeTalksModel) -> dict[str, str]:
    terms: dict[str, str] = {}
    for deal in model.negotiation.deals:
        terms.update(deal.terms)
    return terms


def offer_table(model: TradeTalksModel) -> TableView:
    """The deal signed so far, else the latest offer; every issue of the space is listed."""
    space = model.space
    deals, history = model.negotiation.deals, model.negotiation.history
    columns = ("issue", "concedes", "status quo", "")
    if deals:
        last = deals[-1]
        terms = _agreed_terms(model)
        kind = (
            "interim deal"
            if any(d.interim for d in deals) and not model.negotiation.done
            else "deal"
        )
        title = f"{kind.capitalize()} signed in week {deals[0].week}"
        if len(deals) > 1:
            title += f" (latest in week {last.week})"
        columns = (*columns[:3], "agreed")
        util, res = last.utility, last.reservation
    elif history:
        last_offer = history[-1]
        terms = space.terms(last_offer.outcome)
        outcome = (
            "accepted"
            if last_offer.accepted
            else ("blocked by ratification" if last_offer.blocked_by_ratification else "rejected")
        )
        title = (
            f"Latest offer: week {last_offer.week}, {last_offer.level} round, proposed by "
            f"{SIDE_NAMES[last_offer.proposer]}, {outcome}"
        )
        columns = (*columns[:3], "offered")
        util, res = last_offer.utility, last_offer.reservation
    else:
        return TableView(
            "No offer yet",
            ("issue", "concedes", "status quo"),
            tuple((i.name, i.concedes, i.status_quo) for i in _issue_info(model)),
            "Talks have not started; the first round is on the calendar.",
        )
    rows = tuple(
        (i.name, i.concedes, i.status_quo, terms.get(i.name, "open")) for i in _issue_info(model)
    )
    note = " · ".join(
        f"{SIDE_NAMES[s]} utility {util[s]:.3f} (reservation {res[s]:.3f})" for s in ("us", "china")
    )
    return TableView(title, columns, rows, note)


@dataclass(frozen=True)
class _Issue:
    name: str
    concedes: str
    status_quo: str


def _issue_info(model: TradeTalksModel) -> list[_Issue]:
    out = []
    for issue in model.space.issues:
        cfg = model.config.issues[issue.name]
        out.append(_Issue(issue.name, cfg.concedes, cfg.status_quo))
    return out


def table_html(view: TableView) -> str:
    """The table as escaped HTML (no Markdown: its renderer would fetch KaTeX from a CDN)."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in view.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in view.rows
    )
    return (
        f'<div class="tt-offer"><h4>{esc(view.title)}</h4>'
        f'<table class="tt-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f"<p>{esc(view.note)}</p></div>"
    )


TABLE_CSS = """
.tt-table { border-collapse: collapse; font-size: 13px; }
.tt-table th, .tt-table td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
.tt-table td:last-child { font-weight: 600; }
.tt-offer h4 { margin: 4px 0 8px 0; }
.tt-offer p { font-size: 12px; color: #555; margin-top: 6px; }
"""


# --------------------------------------------------------------------------- macro series
MACRO_PANELS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Tariffs, average %", (("us_tariff_avg", "US on China"), ("cn_tariff_avg", "China on US"))),
    ("Soybean exports to China, $bn/yr", (("soybean_exports_bn", "soybean exports"),)),
    ("CNY per USD", (("cny_usd", "CNY/USD"),)),
    ("Fed funds rate, %", (("fed_rate", "Fed rate"),)),
    ("Farm approval (share)", (("farm_approval", "farm approval"),)),
    ("Farm aid paid, $bn (cumulative)", (("farm_aid_paid_bn", "farm aid paid"),)),
)
MACRO_COLUMNS = 3
CNY_AXIS_STEP = 0.05  # the yuan axis spans whole multiples of this, with the line inside
MACRO_PALETTE = ("#1f4e9c", "#c0392b")
TARIFF_KEY = "blue: US on China · red: China on US"


def macro_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: tariffs both ways, soybean exports, CNY/USD with the PBoC's line (7.0
    by default), the Fed rate, farm approval and farm aid, one small panel each, by week."""
    data = model.datacollector.model_vars
    weeks = data["week"]
    titles, grids, xs, ys, series = [], [], [], [], []
    width, height = 100 / MACRO_COLUMNS, 50
    for i, (title, lines) in enumerate(MACRO_PANELS):
        col, row = i % MACRO_COLUMNS, i // MACRO_COLUMNS
        left, top = col * width, row * height
        titles.append(
            {
                "text": title,
                "left": f"{left + width / 2:.1f}%",
                "top": f"{top + 1:.0f}%",
                "textAlign": "center",
                "textStyle": {"fontSize": 12},
            }
        )
        if len(lines) > 1:  # a key instead of a legend, under the panel's title
            titles.append(
                {
                    "text": TARIFF_KEY,
                    "left": f"{left + width / 2:.1f}%",
                    "top": f"{top + 5:.0f}%",
                    "textAlign": "center",
                    "textStyle": {"fontSize": 9, "fontWeight": "normal", "color": GREY},
                }
            )
        grids.append(
            {
                "left": f"{left + 6:.1f}%",
                "width": f"{width - 9:.1f}%",
                "top": f"{top + 9:.0f}%",
                "height": f"{height - 19:.0f}%",
            }
        )
        xs.append(
            {
                "type": "value",
                "gridIndex": i,
                "min": 0,
                "max": model.horizon,
                "name": "week" if row else "",
                "nameLocation": "middle",
                "nameGap": 22,
            }
        )
        ys.append({"type": "value", "gridIndex": i, "scale": True})
        for (column, label), colour in zip(lines, MACRO_PALETTE, strict=False):
            series.append(
                {
                    "type": "line",
                    "name": label,
                    "xAxisIndex": i,
                    "yAxisIndex": i,
                    "showSymbol": False,
                    "data": _points(weeks, data[column]),
                    "itemStyle": {"color": colour},
                    "lineStyle": {"color": colour},
                }
            )
    threshold = model.config.world.pboc.threshold
    cny = next(s for s in series if s["name"] == "CNY/USD")
    cny["markLine"] = {
        "silent": True,
        "symbol": "none",
        "lineStyle": {"color": "black"},
        "label": {"formatter": f"{threshold:.2f} line", "position": "insideEndTop"},
        "data": [{"yAxis": threshold}],
    }
    cny_values = [v for v in data["cny_usd"] if math.isfinite(v)]
    low, high = min([threshold, *cny_values]), max([threshold, *cny_values])
    ys[2]["min"] = _num(math.floor(low / CNY_AXIS_STEP - 0.5) * CNY_AXIS_STEP)  # line in view
    ys[2]["max"] = _num(math.ceil(high / CNY_AXIS_STEP + 0.5) * CNY_AXIS_STEP)
    ys[4].update({"min": 0, "max": 1, "scale": False})
    return {
        "animation": False,
        "title": titles,
        "grid": grids,
        "xAxis": xs,
        "yAxis": ys,
        "tooltip": {"trigger": "axis"},
        "series": series,
    }


# --------------------------------------------------------------------------- status
def status_lines(model: TradeTalksModel) -> list[str]:
    """Week, date, phase, deal status and (for a session model) scenario, seed and levers."""
    deals = model.negotiation.deals
    deal = "none" if not deals else ("full" if model.negotiation.done else "interim")
    lines = [
        f"Week {model.steps} of {model.horizon} · {model.date:%d %b %Y}",
        f"Phase: {model.negotiation.phase} · deal: {deal} · offers: "
        f"{len(model.negotiation.history)}",
    ]
    label = getattr(model, "scenario_label", None)
    if label is not None:
        lines.append(f"Scenario: {label} · seed {model.seed}")
    levers = getattr(model, "levers", None)
    if levers is not None:
        lines.append(
            f"Patience US {levers.us_patience:.3f}, China {levers.china_patience:.3f} · farm aid "
            f"${levers.farm_aid_bn:.1f}bn · {levers.farmers:,} farmers · CNY line "
            f"{levers.currency_threshold:.2f} · leads: US {levers.us_strategy}, China "
            f"{levers.china_strategy}"
        )
        changed = model.overridden_names
        lines.append("Changed from the scenario: " + (", ".join(changed) if changed else "nothing"))
    lines.extend(f"Note: {note}" for note in getattr(model, "notes", []))
    return lines


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
