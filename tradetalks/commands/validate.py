"""``tradetalks validate``: a config or a sweep file checked without running it.

A config is checked without importing Mesa (quick); a sweep file as ``tradetalks sweep``
checks it before it starts, which includes its base scenario and one probe run.  The kind of
file is told by its top-level tables: a sweep file has ``sampler`` or ``parameters``, a
calibration file ``calibration`` (not supported yet), anything else is a config.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import EXIT_BAD_INPUT, app, fail, load_scenario

SWEEP_TABLES = ("sampler", "parameters")  # a sweep file has these; a config never does
CALIBRATION_TABLE = "calibration"


def file_kind(path: Path) -> str:
    """``"sweep"``, ``"calibration"`` or ``"config"`` (also for a file that cannot be read:
    the config checks name why)."""
    from tradetalks.sim.shipped import locate

    try:
        with locate(path).open("rb") as fh:
            raw: Any = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return "config"
    if not isinstance(raw, dict):  # pragma: no cover - tomllib gives a table
        return "config"
    if CALIBRATION_TABLE in raw:
        return "calibration"
    if any(k in raw for k in SWEEP_TABLES):
        return "sweep"
    return "config"


def _validate_sweep(path: Path) -> str:
    """Check a sweep file as ``tradetalks sweep`` would; exit 2 naming every problem."""
    from tradetalks.experiments.runtime import ModelError
    from tradetalks.experiments.sweepfile import SweepError, load_sweep

    try:
        sweep = load_sweep(path)
    except SweepError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ModelError as exc:  # pragma: no cover - the built-in model always loads
        fail(str(exc))
    return (
        f"{path}: valid sweep file ({sweep.spec.sampler.kind}, {sweep.samples} design points "
        f"x {sweep.spec.replicates} replicates = {sweep.n_runs} runs; base {sweep.base_path})"
    )


@app.command()
def validate(
    config: Annotated[
        Path,
        typer.Argument(
            help="Scenario TOML or sweep file, or a shipped one by name", metavar="FILE"
        ),
    ],
) -> None:
    """Check a config or sweep file; exit 0 if valid, else exit 2 listing every problem."""
    kind = file_kind(config)
    if kind == "calibration":
        fail(
            f"{config} is a calibration file (it has a [{CALIBRATION_TABLE}] table): "
            "calibration files are not supported yet, so it cannot be checked"
        )
    if kind == "sweep":
        typer.echo(_validate_sweep(config))
        return
    cfg, _ = load_scenario(config, None, None, None)
    typer.echo(
        f"{config}: valid ({len(cfg.issues)} issues, {cfg.run.weeks} weeks, "
        f"{cfg.world.farmers.count} farmers)"
    )
