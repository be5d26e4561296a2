"""``tradetalks calibrate CALIB.toml --out DIR``: ABC-SMC (pyabc) of a calibration file.

The work is in ``tradetalks.experiments.calibrun`` (and the ``calib*`` modules it uses); this
module turns its failures into one paragraph and an exit code (2: the file or ``--out``; 1:
the machine or a Dask scheduler) and reports each generation on stderr.  pyabc is imported
only when the command runs, so ``tradetalks --help`` stays quick.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app, fail

EXIT_INTERRUPTED = 130
PYABC_LOGGERS = ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "ABC.History")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _progress(info: dict[str, Any]) -> None:
    if "note" in info:
        typer.echo(info["note"], err=True)
        return
    typer.echo(
        f"generation {info['generation']}: epsilon {info['epsilon']:.4g}, acceptance "
        f"{info['acceptance_rate']:.3f}, {info['simulations']:,} simulations, "
        f"{info['elapsed_s']:.1f} s",
        err=True,
    )


def _quiet_pyabc() -> None:
    """pyabc logs every generation at INFO; the command prints its own progress line."""
    import pyabc  # noqa: F401  # it sets its loggers' levels when imported

    for name in PYABC_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@app.command(
    epilog="Example: tradetalks calibrate calibrations/gaussian_toy --out runs/toy --workers 2"
)
def calibrate(
    calib_file: Annotated[
        Path,
        typer.Argument(
            help="Calibration file (TOML), or a shipped one by name (e.g. "
            "calibrations/recovery_us_escalation)",
            metavar="CALIB.toml",
        ),
    ],
    out: Annotated[
        Path, typer.Option(help="Output directory (new or empty, or with --resume)", metavar="DIR")
    ],
    backend: Annotated[
        str, typer.Option(help="local (process pool) or dask", metavar="local|dask")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Existing Dask scheduler, tcp://HOST:PORT or tls://HOST:PORT "
            "(with --backend dask)",
            metavar="ADDRESS",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help=f"Worker processes (default: one per core, {_cores()} here; 1: in this process)",
            min=1,
            metavar="N",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the run in --out from its last completed generation"
        ),
    ] = False,
) -> None:
    """Fit a calibration file's parameters by ABC-SMC (pyabc); write the posterior to DIR.

    DIR gets abc.db (pyabc's database, the resumable store), particles.parquet,
    posterior.csv, marginals.png, pairs.png, predictive.png, calibrated.toml (tradetalks: the
    posterior medians as a config overlay, a convenience) and calibration.json.
    """
    from tradetalks.experiments.calibration import Backend
    from tradetalks.experiments.calibrun import calibrate as run
    from tradetalks.experiments.calibspec import CalibError
    from tradetalks.experiments.daskbackend import SchedulerAddressError, SchedulerError
    from tradetalks.sim.shipped import locate

    if backend not in ("local", "dask"):
        fail(f"--backend must be local or dask, not {backend!r}")
    if scheduler and backend != "dask":
        fail("--scheduler goes with --backend dask")
    _quiet_pyabc()
    try:
        result = run(
            locate(calib_file),
            out,
            Backend(backend, workers, scheduler),
            resume=resume,
            progress=_progress,
            on_start=lambda c: typer.echo(f"calibrating {c.spec.name!r} into {out}", err=True),
        )
    except CalibError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SchedulerAddressError as exc:
        fail(str(exc))
    except SchedulerError as exc:
        typer.echo(f"error: {exc}; run the same command with --resume to continue", err=True)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
    except KeyboardInterrupt:
        typer.echo(
            f"interrupted; completed generations are in {out}/abc.db: run the same command "
            "with --resume to continue",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for row in result["posterior"]:
        typer.echo(
            f"{row['path']}: {row['mean']:.4g} ± {row['sd']:.3g} (95% {row['q2.5']:.4g}–"
            f"{row['q97.5']:.4g}; prior sd {row['prior_sd']:.3g}, contraction "
            f"{row['contraction']:.2f})"
        )
    typer.echo(f"wrote {', '.join(result['files'])} to {result['out']}")
