"""Paths to the shipped configs and a small, fast variant of the baseline, for every test module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
# the first version's model (concession clocks, a walk-away index): tests of those mechanisms
LEGACY = ROOT / "configs" / "legacy" / "clock_v1.toml"
SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.toml"))

# fewer farmers keeps unit tests quick; the behaviour under test does not depend on the count
SMALL = {"world.farmers.count": 120}

# The two-level game's test bed (tests of the ratifier mechanism itself): the baseline's
# bodies plus a farmers' body on the live farm approval, with Congress voting on every
# agreement, as the baseline had them before core v2 (which keeps farm politics to one
# channel, the electoral payoff, and makes Congress vote on legislative agreements only).
TWO_LEVEL = {
    "ratifiers.farmers": {
        "side": "us",
        "values": "farmers",
        "base_indicator": "farm_approval",
        "sensitivity": 0.5,
        "threshold": 0.5,
        "weights": {"ag_purchases": 0.6, "cn_tariffs": 0.3, "us_tariffs": 0.1},
    },
    "ratifiers.congress.applies_to": "all",
}


def load_script(relative: str) -> ModuleType:
    """A script outside the package (``benchmarks/NAME.py``) imported as module ``NAME``,
    registered in ``sys.modules`` so that its dataclasses and worker functions resolve."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
