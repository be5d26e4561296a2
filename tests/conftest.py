"""Shared fixtures: paths to the shipped configs; the hypothesis profile of the suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import BASELINE
from hypothesis import settings

# No test in the suite is timed (speed is measured in benchmarks/): hypothesis's per-example
# deadline failed a property test on a loaded machine, so it is off for every test.
settings.register_profile("tradetalks", deadline=None)
settings.load_profile("tradetalks")


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline_text() -> str:
    return BASELINE.read_text()


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once per test process from a clean copy of the tree."""
    from wheelbuild import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))
