"""``tradetalks run`` and ``tradetalks validate``: one simulation, or a config checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tradetalks.console import app, fail, load_scenario, readable, write_dir_atomically
from tradetalks.sim.config import to_toml

CONFIG_HELP = "Scenario TOML, or a shipped config by name (e.g. hawkish_us); default: baseline"


@app.command()
def run(
    config: Annotated[Path | None, typer.Argument(help=CONFIG_HELP)] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the run (default: run.seed)", min=0)
    ] = None,
    weeks: Annotated[
        int | None, typer.Option(help="Weeks to simulate (default: run.weeks)")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: key.path=value (repeatable)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write summary.json, timeseries.parquet, config.toml here")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Run one simulation and print its summary."""
    from tradetalks.sim.model import TradeTalksModel

    cfg, seed_ = load_scenario(config, seed, weeks, set_)
    if out is not None and out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a directory")
    model = TradeTalksModel(config=cfg, rng=seed_)
    summary = model.run()
    text = json.dumps(summary)
    if out is not None:
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(model.timeseries(), preserve_index=False), buf)
        write_dir_atomically(
            out,
            {
                "summary.json": (json.dumps(summary, indent=2) + "\n").encode(),
                "timeseries.parquet": buf.getvalue(),
                "config.toml": to_toml(cfg).encode(),
            },
        )
    typer.echo(text if as_json else readable(summary))


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
