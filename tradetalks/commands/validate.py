"""``tradetalks validate``: a config, sweep, calibration file or target list checked
without running it.

A config is checked without importing Mesa (quick); a sweep file as ``tradetalks sweep``
checks it before it starts, which includes its base scenario and one probe run; a
calibration file as ``tradetalks calibrate`` does (with its probe simulation); a target list
as ``tradetalks forecast`` and ``score`` read it.  The kind of file is told by its top-level
tables: a calibration file has ``statistics`` or ``abc``, a target list ``targets``, a sweep
file ``sampler`` or ``parameters``; anything else is a config.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import EXIT_BAD_INPUT, app, fail, load_scenario

SWEEP_TABLES = ("sampler", "parameters")  # a sweep file has these; a config never does
CALIBRATION_TABLES = ("statistics", "abc")  # a calibration file (docs/CALIBRATION.md §2)
TARGETS_TABLE = "targets"  # a target list (docs/FORECASTS.md)


def file_kind(path: Path) -> str:
    """``"sweep"``, ``"calibration"``, ``"targets"`` or ``"config"`` (also for a file that
    cannot be read: the config checks name why)."""
    from tradetalks.sim.shipped import locate

    try:
        with locate(path).open("rb") as fh:
            raw: Any = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return "config"
    if not isinstance(raw, dict):  # pragma: no cover - tomllib gives a table
        return "config"
    if any(k in raw for k in CALIBRATION_TABLES):
        return "calibration"
    if TARGETS_TABLE in raw:
        return "targets"
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


def _validate_calibration(path: Path) -> str:
    """Check a calibration file as ``tradetalks calibrate`` would; exit 2 naming every problem."""
    from tradetalks.experiments.calibfile import load_calibration
    from tradetalks.experiments.calibspec import CalibError
    from tradetalks.sim.shipped import locate

    try:
        calib = load_calibration(locate(path))
    except CalibError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    spec = calib.spec
    return (
        f"{path}: valid calibration file ({len(spec.parameters)} parameters, "
        f"{len(spec.statistics)} statistics, simulator {spec.simulator})"
    )


def _validate_targets(path: Path) -> str:
    """Check a target list as ``tradetalks forecast`` reads it; exit 2 naming every problem."""
    from tradetalks.experiments.forecastfile import ForecastError, load_targets

    try:
        meta = load_targets(path)
    except ForecastError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return f"{path}: valid target list ({len(meta.targets)} targets from {meta.origin})"


@app.command()
def validate(
    config: Annotated[
        Path,
        typer.Argument(
            help="Scenario TOML, sweep or calibration file, or target list; or a shipped one "
            "by name",
            metavar="FILE",
        ),
    ],
) -> None:
    """Check a config, sweep or calibration file or a target list; exit 0 if valid, else exit
    2 listing every problem."""
    kind = file_kind(config)
    check = {"calibration": _validate_calibration, "targets": _validate_targets}
    check["sweep"] = _validate_sweep
    if kind in check:
        typer.echo(check[kind](config))
        return
    cfg, _ = load_scenario(config, None, None, None)
    typer.echo(
        f"{config}: valid ({len(cfg.issues)} issues, {cfg.run.weeks} weeks, "
        f"{cfg.world.farmers.count} farmers{_frontier_rows(cfg)})"
    )


def _frontier_rows(cfg: Any) -> str:
    """For a space too large to enumerate, the rows its run keeps (the frontiers are merged
    here, as ``run`` would: a space whose frontiers are too large exits 2 naming why), or
    that a core-v2 run goes without enumerating it."""
    from tradetalks.sim.config_base import ConfigError
    from tradetalks.sim.config_schema import enumerable, never_enumerated, outcome_grid_size

    if never_enumerated(cfg):  # (the schema checked it can do without: lazy_problem)
        n = outcome_grid_size(cfg)
        return f"; {n:,} outcomes, never enumerated: rounds searched issue by issue"
    if enumerable(cfg):
        return ""  # enumerated: nothing more to check (and numpy stays unimported)
    from tradetalks.sim.frontier_rows import frontier_levels

    try:
        levels, _, size = frontier_levels(cfg)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return f"; {size:,} outcomes, run on the {len(levels):,} on its frontiers"
