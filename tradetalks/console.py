"""The Typer app every ``tradetalks`` command registers on, and the helpers they share.

Bad input of any kind exits with code 2 and one readable paragraph on stderr, before any
file is written.  Output directories are written through a temporary directory and moved
into place only when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from tradetalks.sim.config import ConfigError, parse_value

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tradetalks: agent-based simulator of the 2018-2020 US-China trade talks.",
)

EXIT_BAD_INPUT = 2  # the user's input is wrong: a file, a value, a path
EXIT_ENVIRONMENT = 1  # the machine is: a full disk, no permission, no memory, no scheduler


def fail(message: str) -> None:
    """Print a bad-input message to stderr and exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def default_config() -> Path:
    """The shipped baseline (``tradetalks/configs/baseline.toml``), from any directory."""
    from tradetalks.sim.shipped import baseline

    return baseline()


def parse_sets(items: list[str] | None) -> dict[str, Any]:
    """Turn repeated ``--set key.path=value`` options into an overrides dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects key.path=value, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def load_scenario(config: Path | None, seed: int | None, weeks: int | None, sets: list[str] | None):
    """Resolve CONFIG (a path or a shipped name), --set, --weeks and --seed, or exit 2."""
    from tradetalks.sim.scenario import resolve_config

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
