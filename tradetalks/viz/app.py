"""The SolaraViz app of ``tradetalks viz``: controls, views, and one model per browser session.

Served by Solara's server as ``tradetalks.viz.app`` (``tradetalks viz`` runs it behind an
owner check).  The launch config comes from ``$TRADETALKS_VIZ_CONFIG`` (default: the
baseline).  ``Page`` builds a fresh ``SessionModel`` and ``SpaceBook`` for every browser
session; a module-level model would be shared by all of them.  ``Layout`` turns any error
into a plain message (no traceback, no server paths).  Follows Mesa's example apps: small
named components handed to ``SolaraViz``.
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz

from tradetalks.agents.strategies import REGISTRY
from tradetalks.viz.components import (
    FarmerNetworkView,
    MacroView,
    OfferTableView,
    StatusView,
    TimelineView,
)
from tradetalks.viz.session import AppSetup, SessionModel, SpaceBook
from tradetalks.viz.status import plain_error

LOG = logging.getLogger(__name__)  # the server's log: full tracebacks stay there

# Lever ranges and steps (UI constants; a launch config outside a range widens it).
PATIENCE_RANGE = (0.95, 1.0, 0.001)  # weekly discount factor
FARM_AID_RANGE = (0.0, 30.0, 0.1)  # $bn over all tranches (2019 MFP: $14.5bn)
FARMERS_RANGE = (100, 10_000, 100)  # farmer agents
THRESHOLD_RANGE = (6.5, 7.5, 0.01)  # CNY per USD
SNAP_TOLERANCE = 1e-9  # float slack when aligning a slider's grid with its value
ROUND_DIGITS = 9
PLAY_INTERVAL_MS = 150  # pause between weeks while playing
APP_NAME = "tradetalks: US-China trade talks"
NOTICE_STYLE = {"padding": "24px", "max-width": "720px"}  # the error notice: a short column


def _slider(label: str, value: float, bounds: tuple[float, float, float]) -> Slider:
    """A slider whose grid of steps passes through ``value``.

    Vuetify snaps a slider's value to ``min + n * step``; were ``value`` off that grid, the
    slider would move by itself and the lever would count as changed.
    """
    low, high, step = bounds
    start = value - math.floor((value - low) / step + SNAP_TOLERANCE) * step
    start = round(start, ROUND_DIGITS) if isinstance(step, float) else int(start)
    return Slider(label, value=value, min=start, max=max(high, value), step=step)


def model_params(setup: AppSetup, spaces: SpaceBook | None = None) -> dict[str, Any]:
    """SolaraViz's controls: scenario, seed and levers, starting at the launch config's values
    (``spaces``: the session's outcome spaces, reused by every Reset)."""
    lv = setup.levers
    strategies = sorted(REGISTRY)
    return {
        "setup": setup,  # fixed: passed to every new SessionModel on Reset
        "spaces": spaces,  # fixed too: this session's own book of outcome spaces
        "scenario_file": {
            "type": "Select",
            "label": "Scenario",
            "value": setup.launch.label,
            "values": setup.labels,
        },
        "rng": {"type": "InputText", "label": "Seed", "value": str(setup.seed)},
        "us_patience": _slider("US patience (weekly)", lv.us_patience, PATIENCE_RANGE),
        "china_patience": _slider("China patience (weekly)", lv.china_patience, PATIENCE_RANGE),
        "farm_aid_bn": _slider("Farm aid budget ($bn)", lv.farm_aid_bn, FARM_AID_RANGE),
        "farmers": _slider("Number of farmers", lv.farmers, FARMERS_RANGE),
        "currency_threshold": _slider(
            "Currency threshold (CNY/USD)", lv.currency_threshold, THRESHOLD_RANGE
        ),
        "us_strategy": {
            "type": "Select",
            "label": "US lead strategy",
            "value": lv.us_strategy,
            "values": strategies,
        },
        "china_strategy": {
            "type": "Select",
            "label": "China lead strategy",
            "value": lv.china_strategy,
            "values": strategies,
        },
    }


VIEWS = [
    (StatusView, 0),
    (FarmerNetworkView, 0),
    (TimelineView, 0),
    (OfferTableView, 0),
    (MacroView, 0),
]

_SETUP: AppSetup | None = None


def app_setup() -> AppSetup:
    """The launch setup, read once per server (it is immutable, so sessions may share it)."""
    global _SETUP  # a lazily built, read-only value
    if _SETUP is None:
        _SETUP = AppSetup.from_config()
    return _SETUP


@solara.component
def Layout(children: list[solara.Element] | None = None) -> solara.Element:
    """Solara's app layout around the page, or a plain message if anything in it failed.

    Solara wraps ``Page`` in this module's ``Layout`` instead of its default ``AppLayout``, so
    every exception raised below it (building or drawing the session, a button: a Reset whose
    scenario no longer loads, say) lands here instead of in Solara's error page, which would
    show the traceback and the server's paths.  "Start again" builds a fresh session.
    """
    error, clear = solara.use_exception()

    def log_error() -> None:
        if error is not None:  # the full story goes to the server's log, once
            LOG.error("a browser session failed", exc_info=error)

    solara.use_effect(log_error, [error])
    if error is not None:
        return ErrorNotice(plain_error(error), clear)
    return solara.AppLayout(children=children or [])


@solara.component
def ErrorNotice(message: str, restart: Callable[[], None]) -> solara.Element:
    """What went wrong, in one plain line, and a button that starts a fresh session."""
    with solara.Column(style=NOTICE_STYLE) as main:
        solara.Error(f"The app hit an error: {message}", classes=["tt-error"])
        solara.Button("Start again", color="primary", on_click=restart)
    return main


@solara.component
def Page() -> solara.Element:
    """One browser session: its own model, Mesa's controls, and the views."""
    setup = app_setup()
    spaces = solara.use_memo(SpaceBook, [])
    model = solara.use_memo(lambda: SessionModel(setup=setup, spaces=spaces), [])
    return SolaraViz(
        model,
        components=VIEWS,
        model_params=model_params(setup, spaces),
        name=APP_NAME,
        play_interval=PLAY_INTERVAL_MS,
    )
