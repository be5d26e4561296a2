"""``tradetalks sweep`` and ``tradetalks analyze``: run experiments and summarise them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import app, fail

EXIT_INTERRUPTED = 130


@app.command()
def sweep(
    sweep_file: Annotated[
        Path, typer.Argument(help="Sweep file (TOML), e.g. configs/sweeps/*.toml")
    ],
    out: Annotated[Path, typer.Option(help="Output directory for the Parquet parts")],
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: all cores)", min=1)
    ] = None,
    backend: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Existing Dask scheduler, tcp://HOST:PORT (with --backend dask)"),
    ] = None,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted sweep in --out")] = False,
) -> None:
    """Run a parameter sweep (grid, random, LHS, Sobol, Morris) into Parquet parts."""
    from tradetalks.experiments.runner import SweepUsageError, run_sweep
    from tradetalks.experiments.sweepfile import SweepError

    try:
        report = run_sweep(
            sweep_file, out, workers=workers, backend=backend, scheduler=scheduler, resume=resume
        )
    except SweepError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(2) from None
    except SweepUsageError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; finished batches are saved in {out}: run the same command "
            "with --resume to complete the sweep",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    rate = report.ran_now / report.elapsed_s if report.elapsed_s > 0 else float("nan")
    typer.echo(
        f"{report.out}: {report.runs} runs ({report.failed} failed); this invocation ran "
        f"{report.ran_now} in {report.elapsed_s:.1f} s ({rate:.1f} runs/s) on "
        f"{report.workers} {report.backend} worker(s)"
        + (
            f"; resumed after {report.skipped_batches} finished batches"
            if report.skipped_batches
            else ""
        )
    )


@app.command()
def analyze(
    directory: Annotated[Path, typer.Argument(help="A sweep output directory")],
    x: Annotated[
        str | None,
        typer.Option(help="Heatmap x parameter (default: from the sweep file, else the first)"),
    ] = None,
    y: Annotated[
        str | None,
        typer.Option(help="Heatmap y parameter (default: from the sweep file, else the second)"),
    ] = None,
) -> None:
    """Summary tables (DuckDB), PNG plots and sensitivity indices of a sweep."""
    from tradetalks.experiments.analysis import AnalysisError, analyze_sweep

    try:
        files = analyze_sweep(directory, x=x, y=y, log=lambda m: typer.echo(m, err=True))
    except AnalysisError as exc:
        fail(str(exc))
    for f in files:
        typer.echo(str(f))
