"""``tradetalks sweep`` and ``tradetalks analyze``: run experiments and summarise them.

Every failure ends in one plain paragraph and an exit code, never a traceback: 2 for bad
input (the sweep file, an option, a sweep directory, a path that cannot be a directory),
1 for what the machine refuses (permissions, a full disk, memory, a Dask scheduler).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    SET_METAVAR,
    app,
    fail,
    parse_sets,
)

EXIT_INTERRUPTED = 130
# errors that mean the user named a path that cannot be used (bad input, not the machine)
BAD_PATH_ERRNOS = frozenset(
    {errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EEXIST}
)


def _os_error(exc: OSError, resume_hint: str) -> None:
    """Report an OSError in one paragraph and exit 2 (a bad path) or 1 (the machine)."""
    where = f" ({exc.filename})" if exc.filename else ""
    typer.echo(f"error: {exc.strerror or exc}{where}{resume_hint}", err=True)
    code = EXIT_BAD_INPUT if exc.errno in BAD_PATH_ERRNOS else EXIT_ENVIRONMENT
    raise typer.Exit(code)


def _resume_hint(out: Path | None) -> str:
    """What to do after a sweep stopped by the machine, if it left a sweep directory."""
    if out is None or not (out / "manifest.json").is_file():
        return ""
    return f"; finished batches are saved in {out}: fix this and run the same command with --resume"


@contextmanager
def _plain_errors(out: Path | None = None) -> Iterator[None]:
    """Turn every failure of a sweep or an analysis into one paragraph and an exit code."""
    from tradetalks.experiments.daskbackend import SchedulerError
    from tradetalks.experiments.runner import SweepUsageError
    from tradetalks.experiments.runtime import ModelError
    from tradetalks.experiments.sweepdata import AnalysisError
    from tradetalks.experiments.sweepfile import SweepError

    try:
        yield
    except SweepError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (SweepUsageError, ModelError, AnalysisError) as exc:
        fail(str(exc))
    except SchedulerError as exc:
        typer.echo(f"error: {exc}{_resume_hint(out)}", err=True)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
    except MemoryError:
        typer.echo(f"error: out of memory (try a smaller sweep){_resume_hint(out)}", err=True)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
    except RecursionError:
        typer.echo("error: the input is nested too deeply to process", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as exc:
        _os_error(exc, _resume_hint(out))


def _cores() -> int:
    """Cores this process may use (the default number of local workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@app.command(
    epilog="Example: tradetalks sweep farm_aid_x_us_patience --out runs/aid --replicates 2"
)
def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(
            help="Sweep file (TOML), or a shipped sweep by name (e.g. farm_aid_x_us_patience)",
            metavar="SWEEP_FILE",
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Output directory for the Parquet parts", metavar="DIR")
    ],
    replicates: Annotated[
        int | None,
        typer.Option(help="Runs per design point (default: the sweep file's)", min=1, metavar="N"),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            help="The sampler's samples (default: the sweep file's; not for a grid, whose "
            "parameters' values make its points)",
            min=1,
            metavar="N",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Change one key of the base config for every run, e.g. "
            "world.farmers.count=300 (repeatable; laid over the sweep file's set table)",
            metavar=SET_METAVAR,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help=f"Worker processes (default: one per core, {_cores()} here)", min=1, metavar="N"
        ),
    ] = None,
    backend: Annotated[
        str, typer.Option(help="local (process pool) or dask", metavar="local|dask")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Existing Dask scheduler, tcp://HOST:PORT or tls://HOST:PORT (with --backend "
            "dask; TLS settings from Dask's config)",
            metavar="ADDRESS",
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Finish an interrupted sweep in --out")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model class of your own: package.module:Class, or the name of an installed "
            "model (entry point group tradetalks.models); default: the built-in model",
            metavar="MODEL",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Run a sweep of more than 1,000,000 runs")
    ] = False,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard", help="Serve the Dask dashboard on 127.0.0.1 (local Dask cluster)"
        ),
    ] = False,
    then_analyze: Annotated[
        bool,
        typer.Option("--analyze", help="When the runs are done, analyze them (as `analyze`)"),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            help="With --analyze: the horizon of the deal-timing outcomes, YYYY-MM-DD",
            metavar="DATE",
        ),
    ] = None,
) -> None:
    """Run a parameter sweep (grid, random, LHS, Sobol, Morris) into Parquet parts."""
    from tradetalks.experiments.runner import run_sweep
    from tradetalks.experiments.sweepfile import SweepSource

    source = SweepSource(sweep_file, replicates, samples, tuple(parse_sets(set_).items()))
    try:
        with _plain_errors(out):
            if dashboard and (backend != "dask" or scheduler):
                fail("--dashboard goes with --backend dask and no --scheduler")
            report = run_sweep(
                source,  # type: ignore[arg-type]  # load_sweep takes a path or a SweepSource
                out,
                workers=workers,
                backend=backend,
                scheduler=scheduler,
                resume=resume,
                model=model,
                yes=yes,
                dashboard=dashboard,
                log=lambda m: typer.echo(m, err=True),
            )
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
        + (
            f"; ran {report.repaired_batches} damaged or uncommitted batches again"
            if report.repaired_batches
            else ""
        )
    )
    if then_analyze:
        analyze(out, x=None, y=None, by=by)


@app.command()
def analyze(
    directory: Annotated[Path, typer.Argument(help="A sweep output directory", metavar="DIR")],
    x: Annotated[
        str | None,
        typer.Option(
            help="Heatmap x parameter (default: from the sweep file, else the first)",
            metavar="PARAM",
        ),
    ] = None,
    y: Annotated[
        str | None,
        typer.Option(
            help="Heatmap y parameter (default: from the sweep file, else the second)",
            metavar="PARAM",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="Horizon of the deal-timing outcomes (deal by DATE, restricted mean time "
            "to deal): YYYY-MM-DD within the runs (default: their end)",
            metavar="DATE",
        ),
    ] = None,
) -> None:
    """Summary tables (DuckDB), PNG plots and sensitivity indices of a sweep."""
    from tradetalks.experiments.analysis import analyze_sweep

    try:
        with _plain_errors():
            files = analyze_sweep(directory, x=x, y=y, by=by, log=lambda m: typer.echo(m, err=True))
    except KeyboardInterrupt:
        typer.echo("interrupted; the analysis was not written", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for f in files:
        typer.echo(str(f))
