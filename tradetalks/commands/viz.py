"""``tradetalks viz``: serve the browser app (Mesa SolaraViz) for one run at a time.

The server loads nothing from the internet: Solara's front-end assets come from the
``solara-assets`` package, telemetry and Solara's version check are off.  Each browser
session gets its own model (see ``tradetalks.viz.app``).  Only the server's owner can drive
it: Solara's ASGI app runs behind ``tradetalks.viz.guard.OwnerOnly`` (own origin only, and a
token when it listens beyond loopback, which needs ``--allow-remote``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app, default_config, fail
from tradetalks.viz.guard import TOKEN_PARAM, Access, OwnerOnly, is_loopback, new_token

APP_MODULE = "tradetalks.viz.app"
OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage pings
    "SOLARA_THEME_SHOW_BANNER": "False",
}
LOOPBACK = "127.0.0.1"
WILDCARDS = ("0.0.0.0", "::", "")  # hosts that mean "every interface"
UVICORN_LOG_LEVEL = "error"  # what `solara run` uses: no access log lines


def app_url(host: str, port: int, token: str | None = None) -> str:
    """The URL to open: ``host`` (127.0.0.1 for a wildcard), with the token if there is one."""
    shown = LOOPBACK if host in WILDCARDS else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?{TOKEN_PARAM}={token}" if token else "")


def serve(host: str, port: int, access: Access) -> None:
    """Run Solara's server for the app in this process, behind the owner check.

    Does what ``solara run APP --production`` does, but hands uvicorn Solara's ASGI app
    wrapped in ``OwnerOnly``.
    """
    os.environ.update(OFFLINE_ENV)  # for a process that has not imported Solara yet
    # read when Solara's server module is imported: the app to serve and where it listens
    os.environ.update({"SOLARA_APP": APP_MODULE, "SERVER_NAME": host, "SERVER_PORT": str(port)})
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG
    from solara.server import settings

    settings.main.mode = "production"
    settings.telemetry.mixpanel_enable = False  # as OFFLINE_ENV, should Solara be loaded
    settings.theme.show_banner = False
    # plain-http localhost cannot use samesite=none cookies; Solara falls back to lax, fine here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none")
    from solara.server.starlette import app as solara_app

    config = uvicorn.Config(
        OwnerOnly(solara_app, access),
        host=host,
        port=port,
        log_config=LOGGING_CONFIG,
        log_level=UVICORN_LOG_LEVEL,
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit:  # how uvicorn gives up when it cannot start
        if server.started:
            raise
    if not server.started:  # uvicorn has logged why (a port in use, an unknown host)
        typer.echo(f"error: the app could not listen on {host}:{port}", err=True)
        raise typer.Exit(EXIT_ENVIRONMENT)


@app.command()
def viz(
    config: Annotated[
        Path | None,
        typer.Argument(help="Scenario TOML to start from (default configs/baseline.toml)"),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface to listen on (beyond loopback needs --allow-remote)")
    ] = LOOPBACK,
    port: Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)] = 8765,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host other than loopback; the app then wants the printed token",
        ),
    ] = False,
) -> None:
    """Serve the browser app: watch and steer one run (Step, Play, Reset, levers)."""
    from tradetalks.sim.config import ConfigError
    from tradetalks.sim.model import resolve_config

    remote = not is_loopback(host)
    if remote and not allow_remote:
        fail(
            f"--host {host} lets other machines reach the app and drive it; "
            "add --allow-remote to do that on purpose (a token then guards it), "
            f"or leave --host at {LOOPBACK}"
        )
    path = config or default_config()
    try:
        resolve_config(path)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    os.environ.update(OFFLINE_ENV)  # before Solara reads its settings from the environment
    try:
        import solara  # noqa: F401 - only checks that the viz extra is installed
    except ImportError:
        fail("the browser app needs the viz extra: pip install -e '.[viz]'")
    from tradetalks.viz.session import CONFIG_ENV

    os.environ[CONFIG_ENV] = str(Path(path).resolve())
    access = Access(port, new_token() if remote else None)
    if remote:
        typer.echo(
            f"warning: tradetalks viz listens on {host}, beyond this machine: anyone who can "
            f"reach port {port} and has the token can drive the app; the URL below holds the "
            "token (from another machine, use this machine's address in it)",
            err=True,
        )
    url = app_url(host, port, access.token)
    typer.echo(f"tradetalks viz: {path} at {url} (Ctrl-C stops)", err=True)
    serve(host, port, access)
