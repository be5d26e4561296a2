"""Build the project's wheel from a clean copy of the source tree (for install and layer tests).

The folders sim/, agents/, experiments/ and configs/ are mapped into ``tradetalks`` by
setuptools; only a built wheel shows the package as users get it, so the tests that check the
import root and the import layers look at one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import ROOT

SKIP = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "out",
    "runs",
    "mutants",
)


def build_wheel(workdir: Path) -> Path:
    """Build the wheel of a copy of the repository into ``workdir`` and return its path."""
    src = workdir / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(workdir), str(src)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = workdir.glob("tradetalks-*.whl")
    return wheel


def unpack(wheel: Path, dest: Path) -> Path:
    """Unpack a wheel (a zip of the installed files) into ``dest``: an importable tree."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    return dest
