"""Mesa's logging set-up without the call-stack walk (issue 13, tradetalks/mesa_startup.py):
the same logger names and DEBUG messages as Mesa's own, at a fraction of the import time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, logging, sys
{first}
import mesa, mesa.mesa_logging as ml, mesa.model
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage().split(" with ")[0])
log = logging.getLogger("MESA")
log.setLevel(logging.DEBUG)
log.addHandler(Keep())
mesa.Model(rng=1)
print(json.dumps({{
    "fast": getattr(ml, "_tradetalks_fast", False),
    "model_logger": mesa.model._mesa_logger.name,
    "loggers": sorted(ml._module_loggers),
    "messages": records,
}}))
"""


def _probe(first: str) -> dict:
    code = PROBE.format(first=first)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_patched_logging_names_loggers_and_methods_as_mesa_does():
    mesa_own, ours = _probe(""), _probe("import tradetalks")
    assert not mesa_own["fast"] and ours["fast"]
    assert ours["model_logger"] == mesa_own["model_logger"] == "MESA.mesa.model"
    assert ours["loggers"] == mesa_own["loggers"]
    assert ours["messages"] == mesa_own["messages"] == ["calling Model.__init__"]


def test_importing_mesa_before_tradetalks_still_patches_later_users():
    late = _probe("import mesa.mesa_logging\nimport tradetalks")
    assert late["fast"] and late["model_logger"] == "MESA.mesa.model"


def test_validate_and_help_import_neither_mesa_nor_the_agents():
    """Issue 13's start-up: `tradetalks validate` and `--help` load the schema alone."""
    code = """
import json, sys
from tradetalks.cli import main
sys.argv = ["tradetalks", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = ("mesa", "numpy", "pandas", "tradetalks.agents", "tradetalks.sim.model")
print(json.dumps([m for m in heavy if m in sys.modules]))
"""
    for args in (["validate", str(ROOT / "configs" / "baseline.toml")], ["--help"]):
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout.strip().splitlines()[-1]) == [], args
