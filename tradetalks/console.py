"""The Typer app every ``tradetalks`` command registers on, and the helpers they share.

Bad input of any kind exits with code 2 and one readable paragraph on stderr, before any
file is written.  Output directories are written through a temporary directory and moved
into place only when complete.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

EXAMPLES = """Examples (and `tradetalks COMMAND --help`):
  tradetalks run --seed 4 --set teams.us.patience=0.999
  tradetalks run hawkish_us --json
  tradetalks validate my_scenario.toml       (a config or a sweep file)
  tradetalks keys --match farmers            (the keys --set accepts)
  tradetalks sweep farm_aid_x_us_patience --out runs/aid --replicates 2
  tradetalks analyze runs/aid"""
SET_METAVAR = "KEY=VALUE"  # what a repeatable --set takes (not typer's <list[str]>)
SET_HELP = (
    "Change one config key, e.g. teams.us.patience=0.99 (repeatable; `tradetalks keys` lists them)"
)
CONFIG_HELP = "Scenario TOML, or a shipped config by name (e.g. hawkish_us); default: baseline"

EXIT_BAD_INPUT = 2  # the user's input is wrong: a file, a value, a path
EXIT_ENVIRONMENT = 1  # the machine is: a full disk, no permission, no memory, no scheduler


class HelpGroup(TyperGroup):
    """The app's command group.  Its help shows what each option takes in words, not typer's
    ``<bool>`` / ``<list[str]>`` / ``<int range>``, in every command, whoever wrote it: a flag
    shows nothing, an integer ``N``, a repeatable option ``KEY=VALUE`` (``--set``) or its
    name, an argument its name in capitals.  A ``metavar`` given by the command wins."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, its parameters named for the help."""
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            for param in [*cmd.params, cmd.get_help_option(ctx)]:
                _name_for_help(param)
        return cmd

    def get_params(self, ctx: Any) -> list[Any]:
        """The app's own options (``--version``, ``--help``), named for the help."""
        params = super().get_params(ctx)
        for param in params:
            _name_for_help(param)
        return params


def _name_for_help(param: Any) -> None:
    """Set the metavar typer shows for ``param`` (once; a metavar already set is kept)."""
    if param is None or param.metavar is not None:
        return
    if param.param_type_name == "argument":
        param.metavar = param.name.upper()
    elif getattr(param, "is_flag", False):
        param.metavar = ""
    elif getattr(param, "multiple", False):
        param.metavar = SET_METAVAR if "--set" in param.opts else param.name.strip("_").upper()
    elif getattr(getattr(param, "type_descriptor", None), "annotation", None) is int:
        param.metavar = "N"


app = typer.Typer(
    cls=HelpGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tradetalks: agent-based simulator of the 2018-2020 US-China trade talks.",
    epilog=EXAMPLES,
)


def package_version() -> str:
    """The installed version of tradetalks (``unknown`` when it is not installed)."""
    import importlib.metadata  # lazily: some 10 ms, for --version only

    try:
        return importlib.metadata.version("tradetalks")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tradetalks {package_version()}")
        raise typer.Exit()


@app.callback()
def _top(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the installed version and exit",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """tradetalks: agent-based simulator of the 2018-2020 US-China trade talks."""


@functools.cache
def baseline_value(key: str) -> Any:
    """A value of the shipped baseline by dotted key, or None (for help texts: the TOML is
    read as text, without the schema, so ``--help`` stays quick)."""
    from tradetalks.sim.shipped import baseline

    try:
        node: Any = tomllib.loads(baseline().read_text(encoding="utf-8"))
        for part in key.split("."):
            node = node[part]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return None
    return node


def _in_baseline(key: str) -> str:
    value = baseline_value(key)
    return "" if value is None else f", {value} in the baseline"


SEED_HELP = f"Seed of the run (default: the config's run.seed{_in_baseline('run.seed')})"
WEEKS_HELP = f"Weeks to simulate (default: the config's run.weeks{_in_baseline('run.weeks')})"


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
    from tradetalks.sim.config import parse_value  # lazily: --help need not load the schema

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects key.path=value, got {item!r}")
        out[key.strip()] = parse_value(value.strip())
    return out


def load_scenario(config: Path | None, seed: int | None, weeks: int | None, sets: list[str] | None):
    """Resolve CONFIG (a path or a shipped name), --set, --weeks and --seed, or exit 2."""
    from tradetalks.sim.config import ConfigError
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
        when = f"week {summary['deal_week']}"
        if summary.get("deal_date"):
            when += f" (the week of {summary['deal_date']})"
        lines.append(f"Deal: yes ({kind}), first signed in {when}")
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
