"""Lint and format are part of the suite: ruff over the whole project."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed (pip install -e '.[dev]')")
    return [found]


@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(args):
    proc = subprocess.run([*_ruff(), *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
SIZED = ("sim", "agents", "experiments")
REASON = "# size:"  # a line starting so, within a file's first 20 lines, says why it may be longer


def _sized_files():
    for folder in SIZED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _has_reason(lines: list[str]) -> bool:
    return any(line.startswith(REASON) for line in lines[:20])


def test_files_and_functions_stay_small():
    """No file over 400 lines or function over 60 in the model or runner without a reason."""

    too_long = []
    for path in _sized_files():
        text = path.read_text()
        lines = text.splitlines()
        if _has_reason(lines):
            continue
        rel = path.relative_to(ROOT)
        if len(lines) > MAX_FILE_LINES:
            too_long.append(f"{rel}: {len(lines)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    assert too_long == []
