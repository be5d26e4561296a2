"""``tradetalks validate``: a config checked without running it (and without importing Mesa)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import app, load_scenario


@app.command()
def validate(
    config: Annotated[Path, typer.Argument(help="Scenario TOML, or a shipped config by name")],
) -> None:
    """Check a config; exit 0 if valid, else exit 2 listing every problem by key path."""
    cfg, _ = load_scenario(config, None, None, None)
    typer.echo(
        f"{config}: valid ({len(cfg.issues)} issues, {cfg.run.weeks} weeks, "
        f"{cfg.world.farmers.count} farmers)"
    )
