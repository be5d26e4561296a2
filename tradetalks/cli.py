"""The ``tradetalks`` command line: run, validate (and further commands registered below).

Bad input of any kind exits with code 2 and one readable paragraph on stderr, before any
file is written.  Output directories are written through a temporary directory and moved
into place only when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.config import ConfigError, parse_value, to_toml

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tradetalks: agent-based simulator of the 2018-2020 US-China trade talks.",
)

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """Print a bad-input message to stderr and exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def default_config() -> Path:
    """``configs/baseline.toml`` in the working directory, else the one shipped with the code."""
    local = Path("configs/baseline.toml")
    if local.is_file():
        return local
    from sim.scenario import DEFAULT_CONFIG

    return DEFAULT_CONFIG


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """Turn repeated ``--set key.path=value`` options into an overrides dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects key.path=value, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def write_dir_atomically(out: Path, files: dict[str, bytes]) -> None:
    """Write all files into ``out`` so that either all of them appear or none do."""
    out = out.resolve()
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        if not out.exists():
            os.replace(tmp, out)
            return
        if not out.is_dir():
            raise NotADirectoryError(out)
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(config: Path | None, seed: int | None, weeks: int | None, sets: list[str] | None):
    from sim.scenario import resolve_config

    overrides = parse_sets(sets)
    if weeks is not None:
        overrides["run.weeks"] = weeks
    path = config or default_config()
    try:
        cfg = resolve_config(path, overrides)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return cfg, (cfg.run.seed if seed is None else seed)


def readable(summary: dict[str, Any]) -> str:
    """A few lines for people: deal or not, terms, utilities, final indicators."""
    lines = [
        f"tradetalks run — seed {summary['seed']}, {summary['weeks']} weeks from "
        f"{summary['start_date']}"
    ]
    if summary["deal"]:
        kind = "full deal" if summary["full_deal"] else "interim deal"
        lines.append(f"Deal: yes ({kind}), first signed in week {summary['deal_week']}")
        for issue, level in summary["terms"].items():
            lines.append(f"  {issue:<14} {level}")
    else:
        lines.append("Deal: no")
    u, r = summary["utility"], summary["reservation"]
    lines.append(f"Utility   US {u['us']:.3f}  China {u['china']:.3f}")
    lines.append(f"Reserv.   US {r['us']:.3f}  China {r['china']:.3f}")
    for key in ("nash_product", "pareto_distance"):
        if summary.get(key) is not None:
            lines.append(f"{key.replace('_', ' ').capitalize():<16}{summary[key]:.4f}")
    lines.append(f"Escalations {summary['escalations']}, goodwill gestures {summary['gestures']}")
    f = summary["final"]
    lines.append(
        f"Final: US tariff {f['us_tariff_avg']:.1f}%, China tariff {f['cn_tariff_avg']:.1f}%, "
        f"soybean exports ${f['soybean_exports_bn']:.1f}bn/yr, farm approval "
        f"{f['farm_approval']:.2f}, Fed {f['fed_rate']:.2f}%, CNY/USD {f['cny_usd']:.3f}"
    )
    return "\n".join(lines)


@app.command()
def run(
    config: Annotated[
        Path | None, typer.Argument(help="Scenario TOML (default configs/baseline.toml)")
    ] = None,
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
    from sim.model import TradeTalksModel

    cfg, seed_ = _load(config, seed, weeks, set_)
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
    config: Annotated[Path, typer.Argument(help="Scenario TOML to check")],
) -> None:
    """Check a config; exit 0 if valid, else exit 2 listing every problem by key path."""
    cfg, _ = _load(config, None, None, None)
    typer.echo(
        f"{config}: valid ({len(cfg.issues)} issues, {cfg.run.weeks} weeks, "
        f"{cfg.world.farmers.count} farmers)"
    )


def _register_commands() -> None:
    """Import every module of ``tradetalks.commands`` so its commands join the app."""
    import importlib
    import pkgutil

    from tradetalks import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


_register_commands()


def main() -> None:
    """Console entry point; maps click's usage errors to exit 2 (they already are)."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
