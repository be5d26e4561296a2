"""The ``tradetalks`` command line: every module of ``tradetalks.commands`` adds its commands.

Modules are discovered, not listed by hand; ``tradetalks.console`` holds the shared app.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from tradetalks import commands
from tradetalks.console import app

__all__ = ["app", "main"]


def _register_commands() -> None:
    """Import every module of ``tradetalks.commands`` so its commands join the app."""
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


_register_commands()


def main() -> None:
    """Console entry point; maps click's usage errors to exit 2 (they already are)."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
