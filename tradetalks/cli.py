"""The ``tradetalks`` command line: every module of ``tradetalks.commands`` adds its commands.

Modules are discovered, not listed by hand; ``tradetalks.console`` holds the shared app.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from tradetalks import commands
from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app

__all__ = ["app", "main"]


def _register_commands() -> None:
    """Import every module of ``tradetalks.commands`` so its commands join the app."""
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


_register_commands()


def main() -> None:
    """Console entry point: every failure ends in one plain paragraph and an exit code.

    Usage errors and bad input exit 2 (click and the commands already do); what the machine
    refuses (a full disk, no permission, no memory) exits 1; input nested too deeply to
    process is bad input.  No traceback reaches the user.
    """
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except RecursionError:
        typer.echo("error: the input is nested too deeply to process", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except MemoryError:
        typer.echo("error: out of memory (try a smaller run or sweep)", err=True)
        sys.exit(EXIT_ENVIRONMENT)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(EXIT_ENVIRONMENT)
