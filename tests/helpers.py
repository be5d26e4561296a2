"""Paths to the shipped configs and a small, fast variant of the baseline, for every test module."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.toml"))

# fewer farmers keeps unit tests quick; the behaviour under test does not depend on the count
SMALL = {"world.farmers.count": 120}
