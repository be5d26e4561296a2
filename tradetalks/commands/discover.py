"""``tradetalks discover``: scenario discovery (PRIM) over a finished sweep.

Bad input — a directory that is not an analysable sweep, a target that names no kept
outcome or cannot be compared, a target no run (or every run) meets — exits 2 with one
plain paragraph; nothing is written.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app, fail

EXIT_INTERRUPTED = 130
# errors that mean the user named a path that cannot be used (bad input, not the machine)
BAD_PATH_ERRNOS = frozenset(
    {errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.EEXIST}
)


@app.command()
def discover(
    directory: Annotated[Path, typer.Argument(help="A sweep output directory", metavar="DIR")],
    target: Annotated[
        str,
        typer.Option(
            help="Condition on each run's outcomes, e.g. 'deal_date <= 2020-01-15', "
            "'deal_week <= 18', 'utility_us > 0.6', 'full_deal'",
            metavar="CONDITION",
        ),
    ],
    threshold: Annotated[
        float, typer.Option(help="Least density of a chosen box (share of its runs in the target)")
    ] = 0.8,
    boxes: Annotated[int, typer.Option(help="Boxes to find, one after another (1-10)")] = 1,
    mass_min: Annotated[
        float, typer.Option(help="PRIM stops peeling at boxes with this share of the runs")
    ] = 0.05,
    peel_alpha: Annotated[float, typer.Option(help="Share of the runs peeled per step")] = 0.05,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (default: DIR/discovery)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the table")
    ] = False,
) -> None:
    """Find the parameter boxes whose runs meet a target (PRIM): coverage, density, limits.

    Writes tradeoff.png (the peeling trajectory, coverage against density, and the chosen
    boxes), boxes.csv, trajectory.csv and discovery.json, and prints the boxes.
    """
    from tradetalks.experiments.discovery import discover as run_discovery
    from tradetalks.experiments.discovery import table, write
    from tradetalks.experiments.sweepdata import AnalysisError

    try:
        found = run_discovery(
            directory,
            target,
            threshold=threshold,
            boxes=boxes,
            mass_min=mass_min,
            peel_alpha=peel_alpha,
        )
        write(found, directory, out)
    except AnalysisError as exc:  # DiscoveryError too: a bad directory or target
        fail(str(exc))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        bad = exc.errno in BAD_PATH_ERRNOS
        raise typer.Exit(EXIT_BAD_INPUT if bad else EXIT_ENVIRONMENT) from None
    except RecursionError:
        typer.echo("error: the input is nested too deeply to process", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; nothing was written", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if as_json:
        typer.echo(json.dumps(found.as_json(), default=str))
        return
    typer.echo(table(found))
    for f in found.files:
        typer.echo(f)
