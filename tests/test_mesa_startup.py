"""Mesa's logging set-up without the call-stack walk (issue 13, tradetalks/mesa_startup.py):
the same logger names and DEBUG messages as Mesa's own, at a fraction of the import time."""

from __future__ import annotations

import json
import os
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


LAZY_PROBE = """
import json, sys
import tradetalks.sim.model as m
from tradetalks import mesa_startup as ms
from tradetalks.sim.shipped import baseline
from tradetalks.sim.scenario import resolve_config
model = m.TradeTalksModel(config=resolve_config(baseline()), rng=1)
model.run_for(4)
state = {
    "lazy": sorted(n for n in ms.LAZY if n in sys.modules and ms.is_lazy(sys.modules[n])),
    "absent": sorted(n for n in ("networkx", "scipy.spatial") if n not in sys.modules),
}
import pandas as pd
frame = model.datacollector.get_model_vars_dataframe()
from mesa.discrete_space import Network
state["after_use"] = {
    "pandas_lazy": ms.is_lazy(sys.modules["pandas"]),
    "rows": len(frame),
    "network": Network.__module__,
    "version": pd.__version__ == __import__("importlib.metadata").metadata.version("pandas"),
}
print(json.dumps(state))
"""


def test_a_run_leaves_the_modules_it_does_not_use_unexecuted_until_first_use():
    """Mesa's spaces and pandas wait for their first use; a week's run never uses them, and
    networkx and scipy.spatial are never imported. Used afterwards, they work as usual."""
    out = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, check=True
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["lazy"] == sorted(
        ["mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space", "pandas"]
    )
    assert state["absent"] == ["networkx", "scipy.spatial"]
    after = state["after_use"]
    assert not after["pandas_lazy"] and after["rows"] == 5 and after["version"]
    assert after["network"] == "mesa.discrete_space.network"


def test_per_farm_agents_import_mesa_spaces_on_request():
    """``farmer_series`` builds the per-farm agents (agents/farm_agents.py) in Mesa's Network."""
    code = """
import json
import os
import tradetalks.sim.model as m
from tradetalks.sim.shipped import baseline
from tradetalks.sim.scenario import resolve_config
model = m.TradeTalksModel(config=resolve_config(baseline()), rng=1, farmer_series=True)
model.run_for(1)
frame = model.datacollector.get_agenttype_vars_dataframe(type(model.farmer_agents[0]))
print(json.dumps([type(model.network).__name__, len(model.farmer_agents), len(frame) > 0]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    name, count, rows = json.loads(out.stdout.strip().splitlines()[-1])
    assert name == "Network" and count > 0 and rows


def test_eager_imports_on_request():
    """``TRADETALKS_EAGER_IMPORTS=1`` executes every module on import, as without the hook."""
    code = "import json, sys, tradetalks.sim.model; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "TRADETALKS_EAGER_IMPORTS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"networkx", "scipy.spatial", "pandas.core.frame"} <= set(loaded)


def test_threads_that_touch_a_lazy_module_at_once_all_see_it_executed():
    """The first use executes the module once, under a lock: no thread sees it half-built."""
    code = """
import json, sys, threading
import tradetalks.sim.model
from tradetalks import mesa_startup as ms
pd = sys.modules["pandas"]
assert ms.is_lazy(pd)
gate, seen = threading.Barrier(4), []
def use():
    gate.wait()
    seen.append(pd.DataFrame({"a": [1, 2]}).shape)
threads = [threading.Thread(target=use) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[2, 1]] * 4
