"""The farmer-network view's chart: farmers on a spiral coloured by approval, and a histogram.

At large farmer counts the view draws a fixed sample (its own generator: drawing never
touches the model's) plus a histogram of all farmers.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradetalks.viz.style import num, points

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

NETWORK_DRAW_LIMIT = 1000  # farmers drawn at most; above this a fixed sample keeps Steps fast
NETWORK_SAMPLE_SEED = 20190916  # the sample's own generator: drawing never touches model.rng
FARMERS_PER_TURN = 150  # farmers per turn of the spiral the network is laid out on
SPIRAL_INNER_RADIUS = 0.25  # where the spiral starts (the outer radius is 1)
LOCAL_SPAN = 3  # links between farmers this close on the spiral hide under the dots: not drawn
APPROVAL_BINS = 20  # histogram bins for the approval of all farmers
NETWORK_BOX = 220  # pixels: side of the square the network is drawn in
NETWORK_HEIGHT = 330  # pixels: the whole chart, network and histogram
AXIS_SPAN = 1.05  # the spiral's axes reach a little beyond its unit radius
APPROVAL_COLOURS = ["#c0392b", "#f4d03f", "#1e8449"]  # disapprove → approve
EDGE_COLOUR = "#9aa5b1"
HISTOGRAM_COLOUR = "#7f8c8d"


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


def _spiral(n: int) -> np.ndarray:
    """Positions of ``n`` points along the spiral, innermost first."""
    rank = np.arange(n) / max(n, 1)
    turns = max(1.0, n / FARMERS_PER_TURN)
    angle = 2 * np.pi * turns * rank
    radius = SPIRAL_INNER_RADIUS + (1 - SPIRAL_INNER_RADIUS) * rank
    return np.round(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), 3)


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
    xy = _spiral(len(nodes))
    where = np.full(total, -1)
    where[nodes] = np.arange(len(nodes))
    rows, cols = model.farmers.neighbour_mean.nonzero()  # the population's own network
    pairs = np.column_stack([rows, cols])[rows < cols]
    pairs = where[pairs]
    pairs = pairs[(pairs >= 0).all(axis=1) & (np.abs(pairs[:, 0] - pairs[:, 1]) > LOCAL_SPAN)]
    edges = [[xy[i].tolist(), xy[j].tolist()] for i, j in pairs]
    sample = NetworkSample(nodes, xy, edges, total)
    _SAMPLES[model] = sample
    return sample


def sample_caption(sample: NetworkSample) -> str:
    """Which farmers the network shows."""
    if sample.sampled:
        return f"a fixed sample of {len(sample.nodes):,} of {sample.total:,} farmers"
    return f"all {sample.total:,} farmers"


def _layout(mean: float) -> dict[str, Any]:
    """The histogram's label, the two grids (network above, histogram below), their axes and
    the colour scale (the page's heading says what the chart shows)."""
    axis_off = {"show": False, "min": -AXIS_SPAN, "max": AXIS_SPAN}
    return {
        "title": [
            {
                "text": f"approval of all farmers (mean {mean:.2f})",
                "left": "center",
                "top": NETWORK_BOX + 14,
                "textStyle": {"fontSize": 11, "fontWeight": "normal"},
            },
        ],
        "grid": [
            {"left": "center", "top": 8, "width": NETWORK_BOX, "height": NETWORK_BOX},
            {"left": "15%", "right": "20%", "top": NETWORK_BOX + 38, "bottom": 22},
        ],
        "xAxis": [
            {**axis_off, "gridIndex": 0},
            {
                "type": "value",
                "gridIndex": 1,
                "min": 0,
                "max": 1,
                "splitLine": {"show": False},
                "axisLabel": {"fontSize": 10},
            },
        ],
        "yAxis": [{**axis_off, "gridIndex": 0}, {"type": "value", "gridIndex": 1, "show": False}],
        "visualMap": {
            "type": "continuous",
            "min": 0,
            "max": 1,
            "dimension": 2,
            "seriesIndex": 1,
            "inRange": {"color": APPROVAL_COLOURS},
            "right": 6,
            "top": 30,
            "text": ["approve", "disapprove"],
            "textStyle": {"fontSize": 10},
            "calculable": False,
            "itemHeight": 110,
            "itemWidth": 14,
        },
    }


def _series(sample: NetworkSample, approval: np.ndarray) -> list[dict[str, Any]]:
    """Edges, farmer dots and the approval histogram of all farmers."""
    counts, bin_edges = np.histogram(approval, bins=APPROVAL_BINS, range=(0.0, 1.0))
    centres = (bin_edges[:-1] + bin_edges[1:]) / 2
    dots = [
        [float(x), float(y), num(a)]
        for (x, y), a in zip(sample.xy, approval[sample.nodes], strict=True)
    ]
    return [
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
            "data": points(centres, counts),
            "barWidth": "90%",
            "itemStyle": {"color": HISTOGRAM_COLOUR},
            "markLine": {
                "silent": True,
                "symbol": "none",
                "label": {"show": False},
                "lineStyle": {"color": "black"},
                "data": [{"xAxis": num(approval.mean())}],
            },
        },
    ]


def network_option(model: TradeTalksModel) -> dict[str, Any]:
    """ECharts option: the farmer network coloured by approval, and the approval histogram."""
    sample = network_sample(model)
    approval = np.asarray(model.farmers.approval, dtype=float)
    return {
        "animation": False,
        **_layout(float(approval.mean())),
        "series": _series(sample, approval),
    }
