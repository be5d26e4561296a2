"""``tradetalks viz``: serve the browser app (Mesa SolaraViz) for one run at a time.

The server loads nothing from the internet: Solara's front-end assets come from the
``solara-assets`` package, telemetry and Solara's version check are off.  Each browser
session gets its own model (see ``tradetalks.viz.app``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import EXIT_BAD_INPUT, app, default_config, fail

APP_MODULE = "tradetalks.viz.app"
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage pings
    "SOLARA_THEME_SHOW_BANNER": "False",
}


def solara_args(host: str, port: int) -> list[str]:
    """Arguments of ``solara run`` for the app: production mode, no browser, no version check."""
    return [
        "run", APP_MODULE, "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version",
    ]  # fmt: skip


@app.command()
def viz(
    config: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML to start from (default configs/baseline.toml)"),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8765,
) -> None:
    """Serve the browser app: watch and steer one run (Step, Play, Reset, levers)."""
    from tradetalks.sim.config import ConfigError
    from tradetalks.sim.model import resolve_config

    path = config or default_config()
    try:
        resolve_config(path)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        from solara.__main__ import cli as solara_cli
    except ImportError:
        fail("the browser app needs the viz extra: pip install -e '.[viz]'")
    from tradetalks.viz.session import CONFIG_ENV

    os.environ.update(OFFLINE_ENV)
    # plain-http localhost cannot use samesite=none cookies; Solara falls back to lax, fine here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    os.environ[CONFIG_ENV] = str(Path(path).resolve())
    typer.echo(f"tradetalks viz: {path} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    solara_cli.main(args=solara_args(host, port), prog_name="solara", standalone_mode=True)
