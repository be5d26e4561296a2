"""Shared fixtures: paths to the shipped configs and a small, fast variant of the baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.toml"))

# fewer farmers keeps unit tests quick; the behaviour under test does not depend on the count
SMALL = {"world.farmers.count": 120}


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline_text() -> str:
    return BASELINE.read_text()
