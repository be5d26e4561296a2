"""``tradetalks run``: one simulation (or, with ``--seeds``, a distribution of runs)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradetalks.console import (
    CONFIG_HELP,
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    SEED_HELP,
    SET_HELP,
    WEEKS_HELP,
    app,
    fail,
    load_scenario,
    readable,
)
from tradetalks.outdir import OutputDir, OutputError

if TYPE_CHECKING:  # the schema and Mesa load when a command runs, not for --help
    from tradetalks.sim.config import Config
    from tradetalks.sim.model import TradeTalksModel


@app.command()
def run(
    config: Annotated[Path | None, typer.Argument(help=CONFIG_HELP)] = None,
    seed: Annotated[int | None, typer.Option(help=SEED_HELP, min=0)] = None,
    weeks: Annotated[int | None, typer.Option(help=WEEKS_HELP)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write summary.json, timeseries.parquet, config.toml here")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    seeds: Annotated[
        str | None,
        typer.Option(
            help="Many runs, summarised: N (seeds 1..N) or seeds and ranges (1-200, 3,7,9)",
            metavar="SEEDS",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(help="With --seeds: P(first deal by DATE), YYYY-MM-DD", metavar="DATE"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="With --seeds: processes (default: one per core)", min=1)
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="Start on this record date with its state (history.start), YYYY-MM-DD",
            metavar="DATE",
        ),
    ] = None,
    replay_until: Annotated[
        str | None,
        typer.Option(
            help="With --start: force the record up to this date, then branch "
            "(history.replay_until), YYYY-MM-DD",
            metavar="DATE",
        ),
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option(
            help="With --replay-until: leave this record entry out of the forced history, "
            "'YYYY-MM-DD kind [side]' (history.drop; repeatable)",
            metavar="ENTRY",
        ),
    ] = None,
) -> None:
    """Run one simulation and print its summary (with --seeds: many, and their distribution)."""
    set_ = [*(set_ or []), *_history_sets(start, replay_until, drop)]
    if seeds is not None:
        if seed is not None:
            fail("--seed runs one seed and --seeds many: give one of them")
        from tradetalks.commands.compare import run_distribution

        run_distribution(config, seeds, by, weeks, set_, workers, out, as_json)
        return
    if by is not None or workers is not None:
        fail("--by and --workers go with --seeds (a distribution over many runs)")
    from tradetalks.experiments.runtime import limit_blas
    from tradetalks.sim.config import ConfigError
    from tradetalks.sim.model import TradeTalksModel  # lazily: --help stays quick

    limit_blas()  # one BLAS thread: the farmers' weekly products are small and many
    cfg, seed_ = load_scenario(config, seed, weeks, set_)
    target = OutputDir(out) if out is not None else None
    try:
        if target is not None:
            target.prepare()  # the location is checked before the simulation starts
        model = TradeTalksModel(config=cfg, rng=seed_)
        summary = model.run()
        text = json.dumps(summary, allow_nan=False)
        if target is not None:
            target.commit(_run_files(model, summary, cfg))
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_ENVIRONMENT) from None
    except ConfigError as exc:  # ModelStateError: the run ended in a non-finite state
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        if target is not None:
            target.abort()
    typer.echo(text if as_json else readable(summary))


def _history_sets(start: str | None, until: str | None, drop: list[str] | None) -> list[str]:
    """--start, --replay-until and --drop as ``--set`` items on ``[history]`` (a date that
    does not parse stays a string, and validation names the key)."""
    out = [] if start is None else [f"history.start={start}"]
    out += [] if until is None else [f"history.replay_until={until}"]
    out += [] if not drop else ["history.drop=" + json.dumps(drop)]
    return out


def _run_files(model: TradeTalksModel, summary: dict[str, Any], cfg: Config) -> dict[str, bytes]:
    """The files of ``run --out``: summary, weekly series and the resolved config."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tradetalks.sim.config import to_toml

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(model.timeseries(), preserve_index=False), buf)
    return {
        "summary.json": (json.dumps(summary, indent=2, allow_nan=False) + "\n").encode(),
        "timeseries.parquet": buf.getvalue(),
        "config.toml": to_toml(cfg).encode(),
    }
