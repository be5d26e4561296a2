"""A plain install of the built wheel, used from another directory, as a new user would.

The wheel must put one top-level name, ``tradetalks``, into site-packages, ship its configs
(the baseline and scenarios by name work from any directory) and run without hypothesis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(built_wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (runtime dependencies only)."""
    where = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    subprocess.run(
        [
            str(where / "bin" / "pip"),
            "install",
            "-q",
            "--disable-pip-version-check",
            str(built_wheel),
        ],
        check=True,
        capture_output=True,
    )
    return where


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)},
    )


def test_run_from_another_directory(venv, tmp_path):
    done = _run(venv, "tradetalks", "run", "--json", "--seed", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["seed"] == 1 and summary["weeks"] == 52


def test_shipped_scenario_by_name(venv, tmp_path):
    done = _run(venv, "tradetalks", "run", "hawkish_us", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tradetalks run — seed")
    missing = _run(venv, "tradetalks", "run", "no_such_scenario", cwd=tmp_path)
    assert missing.returncode == 2
    assert "hawkish_us" in missing.stderr  # the message lists the shipped names
    assert "Traceback" not in missing.stderr


@pytest.mark.parametrize("name", ["sim", "agents", "experiments", "configs"])
def test_no_generic_top_level_names(venv, tmp_path, name):
    done = _run(venv, "python", "-c", f"import {name}", cwd=tmp_path)
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr


def test_installed_top_level_names_are_tradetalks_only(venv, tmp_path):
    code = (
        "import importlib.metadata as m; "
        "print(sorted({f.parts[0] for f in m.files('tradetalks') "
        "if f.parts[0] != '..' and not f.parts[0].endswith('.dist-info')}))"
    )
    done = _run(venv, "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.replace("'", '"')) == ["tradetalks"]


def test_hypothesis_is_not_a_runtime_dependency(venv, tmp_path):
    code = (
        "import importlib.util as u, tradetalks.sim.model; print(u.find_spec('hypothesis') is None)"
    )
    done = _run(venv, "python", "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    extra = _run(venv, "python", "-c", "import tradetalks.testing", cwd=tmp_path)
    assert extra.returncode != 0 and "hypothesis" in extra.stderr
