"""The configs shipped with tradetalks, found by name from any working directory.

They are package data of ``tradetalks.configs`` (the repository's ``configs/`` folder) and load
through ``importlib.resources``, so ``tradetalks run hawkish_us`` works after a plain
``pip install`` as well as in a clone.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# folders of configs/ searched for a bare name, in this order
FOLDERS = ("", "scenarios", "theory", "sweeps")


def shipped_root() -> Path:
    """The directory holding the shipped configs (installed or editable: a real directory)."""
    return Path(str(resources.files("tradetalks.configs")))


def baseline() -> Path:
    """The shipped 2019 baseline config."""
    return shipped_root() / "baseline.toml"


def shipped(folder: str = "scenarios") -> list[Path]:
    """The shipped TOML files of one folder of configs/ (``""`` for the top level), sorted."""
    return sorted((shipped_root() / folder).glob("*.toml"))


def locate(source: str | Path) -> Path:
    """A config path as given when it exists, else the shipped config of that name.

    ``hawkish_us``, ``hawkish_us.toml`` and ``scenarios/hawkish_us`` all name
    ``configs/scenarios/hawkish_us.toml``; a name that matches nothing comes back unchanged,
    so the caller reports it as a missing file.
    """
    path = Path(source)
    if path.is_file() or path.is_absolute():
        return path
    stem = path.with_suffix(".toml") if path.suffix != ".toml" else path
    root = shipped_root()
    for folder in FOLDERS:
        candidate = root / folder / stem
        if candidate.is_file():
            return candidate
    return path


def shipped_names() -> list[str]:
    """Names accepted by ``locate`` for every shipped config (for help and error messages)."""
    root = shipped_root()
    names = []
    for folder in FOLDERS:
        for p in shipped(folder):
            names.append(str(p.relative_to(root).with_suffix("")))
    return names
