"""The browser app of ``tradetalks viz``: controls, views, and one model per browser session.

Served by Solara's server as ``tradetalks.viz.app`` (``tradetalks viz`` runs it behind an
owner check).  The launch config comes from ``$TRADETALKS_VIZ_CONFIG`` (default: the
baseline).  ``Page`` builds a fresh ``SessionModel`` and ``SpaceBook`` for every browser
session; a module-level model would be shared by all of them.  ``Layout`` turns any error
into a plain message (no traceback, no server paths).

The page is built from Mesa's pieces rather than ``SolaraViz`` itself: Mesa's
``ModelController`` (Step, ▶ / ❚❚, Reset) drives the model, while the app draws its own
controls (``controls.py``: levers that show their values, follow the chosen scenario and
mark what waits for Reset) and its own layout (``components.py``).  SolaraViz's own parameter
panel keeps the values it started with whatever the scenario, and its page adds controls
that mean nothing here ("Render Interval", "Use Threads", a lone "Page 0" tab).
"""

# ruff: noqa: N802 - Solara components are named in PascalCase, like React components

from __future__ import annotations

import logging
from collections.abc import Callable

import solara
from mesa.visualization.solara_viz import ModelController

from tradetalks.viz.components import MainView
from tradetalks.viz.controls import CONTROLS_CSS, HELP, LeverPanel, initial_params
from tradetalks.viz.session import AppSetup, SessionModel, SpaceBook
from tradetalks.viz.status import plain_error

LOG = logging.getLogger(__name__)  # the server's log: full tracebacks stay there

PLAY_INTERVAL_MS = 150  # pause between weeks while playing
RENDER_INTERVAL = 1  # weeks per redraw while playing: every week
APP_NAME = "tradetalks: US-China trade talks"
NOTICE_STYLE = {"padding": "24px", "max-width": "720px"}  # the error notice: a short column

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
    """One browser session: its own model, the controls in the sidebar, and the views."""
    setup = app_setup()
    spaces = solara.use_memo(SpaceBook, [])
    first = solara.use_memo(lambda: SessionModel(setup=setup, spaces=spaces), [])
    model = solara.use_reactive(first)
    params = solara.use_reactive(solara.use_memo(lambda: initial_params(setup, spaces), []))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(RENDER_INTERVAL)
    use_threads = solara.use_reactive(False)
    with solara.Column(style={"padding": "0"}) as main:
        solara.Title(APP_NAME)
        with solara.AppBar():
            solara.AppBarTitle(APP_NAME)
        with solara.Sidebar():
            solara.Style(CONTROLS_CSS)
            with solara.Card("Run"):
                ModelController(
                    model,
                    model_parameters=params,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=use_threads,
                )
                solara.HTML(tag="p", unsafe_innerHTML=HELP, classes=["tt-help"])
            with solara.Card("Scenario and levers"):
                LeverPanel(setup, params, model.value)
        MainView(model.value)
    return main
