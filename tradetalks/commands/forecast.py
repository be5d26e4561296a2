"""``tradetalks forecast``: draws of the model branched from the replayed record, written in
the forecast format (docs/FORECASTS.md) for ``tradetalks score``.

The work lives in ``tradetalks.experiments.forecasting``; this module checks the input, runs
the draws with a progress bar and writes the directory whole, or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import (
    CONFIG_HELP,
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    SET_HELP,
    app,
    fail,
    package_version,
    parse_sets,
)
from tradetalks.outdir import OutputDir, OutputError

# the negotiation block's hindcast starts on the Buenos Aires summit (issue 14, core-v2 §3.4)
DEFAULT_REPLAY_START = dt.date(2018, 12, 1)
TARGETS_HELP = (
    "Target list: a TOML path or a shipped name (configs/forecasts/), e.g. sep2019-feb2020"
)


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)")
        raise  # pragma: no cover - fail exits


@app.command()
def forecast(
    targets: Annotated[str, typer.Option(help=TARGETS_HELP, metavar="LIST")],
    out: Annotated[Path, typer.Option(help="Write forecast.json, draws.parquet, terms.csv here")],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", help="Origin, YYYY-MM-DD (default: the target list's)", metavar="DATE"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help=f"Replay the record from this date (default {DEFAULT_REPLAY_START})",
            metavar="DATE",
        ),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(help="A tradetalks calibrate output: draws sample its weighted particles"),
    ] = None,
    config: Annotated[Path | None, typer.Option(help=CONFIG_HELP)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    draws: Annotated[int, typer.Option(help="Number of draws (runs)", min=1)] = 200,
    seed: Annotated[int, typer.Option(help="Root seed of the draws", min=0)] = 1,
) -> None:
    """Forecast a target list: each draw replays the record to the origin, then the agents
    decide; with --calibration each draw's parameters are a weighted particle."""
    from tqdm import tqdm

    from tradetalks.experiments.forecastfile import forecast_files, load_targets
    from tradetalks.experiments.forecasting import (
        ForecastInputError,
        Plan,
        load_particles,
        producible,
    )
    from tradetalks.experiments.forecasting import (
        forecast as run,
    )
    from tradetalks.sim.config import ConfigError

    target = OutputDir(out)
    try:
        meta = load_targets(targets)
        origin = _date(from_, "--from") or meta.origin
        if origin != meta.origin:
            fail(
                f"--from {origin}: the target list {targets!r} is made for the origin {meta.origin}"
            )
        first = _date(start, "--start") or DEFAULT_REPLAY_START
        keep, skipped = producible(meta.targets)
        if not keep:
            fail("the model can forecast none of the targets: " + "; ".join(skipped.values()))
        particles = load_particles(calibration) if calibration is not None else None
        plan = Plan(
            origin, min(first, origin), keep, draws, seed, config, parse_sets(set_), particles
        )
        target.prepare()
        for name, why in skipped.items():
            typer.echo(f"note: {name} left out: {why}", err=True)
        line = _command_line(
            targets, out, origin, plan.start, calibration, config, set_, draws, seed
        )
        made_by = {"command": line, "version": package_version()}
        with tqdm(
            total=draws,
            desc="forecast",
            unit="draw",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        ) as bar:
            fc, terms = run(plan, made_by, bar.update)
        files = forecast_files(fc)
        files["terms.csv"] = _terms_csv(terms)
        target.commit(files)
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_ENVIRONMENT) from None
    except ForecastInputError as exc:
        fail(str(exc))
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        target.abort()
    typer.echo(str(out))


def _command_line(
    targets: str,
    out: Path,
    origin: dt.date,
    start: dt.date,
    calibration: Path | None,
    config: Path | None,
    sets: list[str] | None,
    draws: int,
    seed: int,
) -> str:
    """The command that makes this forecast again (every default spelled out)."""
    words = ["tradetalks", "forecast", "--targets", targets, "--from", str(origin)]
    words += ["--start", str(start), "--draws", str(draws), "--seed", str(seed), "--out", str(out)]
    words += ["--calibration", str(calibration)] if calibration is not None else []
    words += ["--config", str(config)] if config is not None else []
    for item in sets or []:
        words += ["--set", item]
    return shlex.join(words)


def _terms_csv(rows: list[dict[str, object]]) -> bytes:
    """One row per draw: its seed, first deal date and the terms of its first deal."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, cols, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()
