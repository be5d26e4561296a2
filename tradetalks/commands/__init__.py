"""Further ``tradetalks`` subcommands: each module here registers its commands on ``cli.app``.

Modules are discovered automatically (no hand-kept list): add a module that does
``from tradetalks.console import app`` and decorates functions with ``@app.command()``.
"""
