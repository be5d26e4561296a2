"""Shared fixtures: paths to the shipped configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import BASELINE


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline_text() -> str:
    return BASELINE.read_text()
