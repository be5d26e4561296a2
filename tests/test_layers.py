"""Import layers and cycles, checked with import-linter and grimp on the built wheel.

The contracts live in pyproject.toml (``[tool.importlinter]``): command line > front ends >
experiments > model assembly > agents > model core, the core without Mesa, no cycles.
grimp reads the package from disk, and the mapped folders (sim/, agents/...) appear inside
``tradetalks`` only in an installed tree, so the checks run on the unpacked wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import networkx as nx
import pytest
from helpers import ROOT
from wheelbuild import unpack

PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def installed_tree(built_wheel, tmp_path_factory) -> Path:
    return unpack(built_wheel, tmp_path_factory.mktemp("tree"))


def _lint(tree: Path) -> subprocess.CompletedProcess:
    # lint-imports puts its working directory first on sys.path: run it inside the tree
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(PYPROJECT)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _graph(tree: Path) -> grimp.ImportGraph:
    code = (
        "import grimp, json, sys\n"
        "g = grimp.build_graph('tradetalks')\n"
        "print(json.dumps([[m, i] for m in sorted(g.modules)"
        " for i in sorted(g.find_modules_directly_imported_by(m))]))\n"
        "print(json.dumps(sorted(g.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    edges_line, modules_line = done.stdout.splitlines()
    g = nx.DiGraph()
    g.add_nodes_from(json.loads(modules_line))
    g.add_edges_from(json.loads(edges_line))
    return g


def _layers() -> list[list[str]]:
    cfg = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in cfg["contracts"] if c["type"] == "layers"]
    return [re.split(r"\s*[|:]\s*", layer) for layer in contract["layers"]]


def test_import_contracts_hold(installed_tree):
    done = _lint(installed_tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_import_cycle_between_any_modules(installed_tree):
    g = _graph(installed_tree)
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert cycles == []


def test_every_module_has_a_layer(installed_tree):
    """A new module must be placed in the layers contract, or nothing constrains it."""
    placed = [m for layer in _layers() for m in layer]
    packages_only = {"tradetalks", "tradetalks.sim", "tradetalks.configs", "tradetalks.__main__"}
    unplaced = [
        m
        for m in _graph(installed_tree).nodes
        if m.startswith("tradetalks")
        and m not in packages_only
        and not any(m == p or m.startswith(p + ".") for p in placed)
    ]
    assert unplaced == []


def test_an_upward_import_breaks_the_contract(installed_tree, tmp_path):
    """The contract is not vacuous: a core module importing the Mesa model is caught."""
    tree = tmp_path / "tree"
    shutil.copytree(installed_tree, tree)
    core = tree / "tradetalks" / "sim" / "payoffs.py"
    core.write_text(core.read_text() + "\nimport tradetalks.sim.model  # noqa\n")
    done = _lint(tree)
    assert done.returncode != 0
    assert "tradetalks.sim.payoffs is not allowed to import tradetalks.sim.model" in done.stdout
