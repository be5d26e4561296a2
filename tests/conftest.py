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


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once per test process from a clean copy of the tree."""
    from wheelbuild import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))
