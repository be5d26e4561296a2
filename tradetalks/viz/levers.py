"""Scenarios and levers of the browser app: what the controls offer and how they change a config.

The app lets a user pick a scenario file (``configs/*.toml`` and ``configs/scenarios/*.toml``)
and move a few levers: each side's patience, the farm-aid budget, the number of farmers, the
PBoC's currency threshold and each team's lead strategy.  This module is plain Python (no
Solara) so the mapping from controls to a config is testable on its own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tradetalks.sim.config import Config, dump_config
from tradetalks.sim.scenario import DEFAULT_CONFIG, resolve_config
from tradetalks.sim.shipped import shipped_root

SIDES = ("us", "china")
SCENARIO_SUBDIR = "scenarios"
LAUNCH_PREFIX = "launch: "  # labels a launch config whose file name a configs/ file also has


@dataclass(frozen=True)
class Scenario:
    """A scenario file the selector offers, labelled by its path below ``configs/``."""

    label: str
    path: Path


def configs_root() -> Path:
    """``configs/`` in the working directory if there is one, else the one shipped with the code."""
    local = Path("configs")
    return local if (local / DEFAULT_CONFIG.name).is_file() else shipped_root()


def _is_scenario(path: Path) -> bool:
    """True if ``path`` is a valid scenario config (sweep definitions and broken files are not).

    Never raises: a file that cannot be read or checked (unreadable, a symlink loop, nested too
    deep for the parser, anything) is simply not offered, so one bad file in ``configs/``
    cannot break the page.
    """
    try:
        if not path.is_file():  # a directory, a FIFO (reading would block), a dangling link
            return False
        resolve_config(path)
    except Exception:  # any failure (RecursionError, OSError...) means "not a scenario"
        return False
    return True


def _resolved(path: Path) -> Path | None:
    """``path`` with symlinks resolved, or ``None`` if that fails (a symlink loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.12 reports a symlink loop as RuntimeError
        return None


def _candidates(directory: Path) -> list[Path]:
    """``*.toml`` files directly in ``directory``, sorted (none if it cannot be listed)."""
    try:
        return sorted(directory.glob("*.toml"))
    except OSError:
        return []


def list_scenarios(root: Path | None = None, launch: Path | None = None) -> list[Scenario]:
    """Valid scenario files in ``root`` and ``root/scenarios``, the launch config first.

    The launch config (the ``CONFIG`` given to ``tradetalks viz``) is listed even when it lives
    outside ``root``, labelled by its file name there (labels are shown in the page, which must
    not learn the server's paths); files that do not validate as scenarios (e.g. sweep files,
    broken or unreadable files, symlink loops) are left out.
    """
    root = configs_root() if root is None else root
    found: list[Scenario] = []
    seen: set[Path] = set()
    for directory, prefix in ((root, ""), (root / SCENARIO_SUBDIR, f"{SCENARIO_SUBDIR}/")):
        for path in _candidates(directory):
            resolved = _resolved(path)
            if resolved is None or resolved in seen or not _is_scenario(path):
                continue
            seen.add(resolved)
            found.append(Scenario(f"{prefix}{path.name}", path))
    if launch is None:
        return found
    launch = Path(launch)
    resolved = _resolved(launch)
    own = next((s for s in found if _resolved(s.path) == resolved), None)
    if own is not None:
        found.remove(own)
        return [own, *found]
    return [Scenario(_launch_label(launch, root, found), launch), *found]


def _launch_label(launch: Path, root: Path, found: list[Scenario]) -> str:
    """Label of a launch config that is not among ``found``: its path below ``root`` if it lies
    there, else its file name (never a server path), prefixed if another scenario has it."""
    resolved, base = _resolved(launch), _resolved(root)
    label = launch.name
    if resolved is not None and base is not None and resolved.is_relative_to(base):
        label = resolved.relative_to(base).as_posix()
    return f"{LAUNCH_PREFIX}{label}" if label in {s.label for s in found} else label


@dataclass(frozen=True)
class Levers:
    """The values of the app's levers; ``None`` in a field means "keep the scenario's value"."""

    us_patience: float | None = None
    china_patience: float | None = None
    farm_aid_bn: float | None = None
    farmers: int | None = None
    currency_threshold: float | None = None
    us_strategy: str | None = None
    china_strategy: str | None = None

    @classmethod
    def of(cls, cfg: Config) -> Levers:
        """The lever values a config has."""
        return cls(
            us_patience=cfg.teams["us"].patience,
            china_patience=cfg.teams["china"].patience,
            farm_aid_bn=sum(t.amount_bn for t in cfg.calendar.farm_aid),
            farmers=cfg.world.farmers.count,
            currency_threshold=cfg.world.pboc.threshold,
            us_strategy=lead_strategy(cfg, "us"),
            china_strategy=lead_strategy(cfg, "china"),
        )

    def changed_from(self, reference: Levers) -> Levers:
        """Only the levers that differ from ``reference`` (the others become ``None``)."""
        out = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(reference, f.name)
            out[f.name] = None if _same(mine, theirs) else mine
        return Levers(**out)

    def as_dict(self) -> dict[str, Any]:
        """Field name → value."""
        return asdict(self)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-9)
    return a == b


def lead_member(cfg: Config, side: str) -> str:
    """Role of the member who leads ``side`` at principal level (the one who closes deals)."""
    return cfg.teams[side].leads.principal


def lead_strategy(cfg: Config, side: str) -> str:
    """Strategy kind of ``side``'s principal lead."""
    return cfg.teams[side].members[lead_member(cfg, side)].strategy.kind


def apply_levers(cfg: Config, levers: Levers) -> dict[str, Any]:
    """A raw config (dict) equal to ``cfg`` with every non-``None`` lever set.

    The farm-aid budget rescales the scenario's aid tranches proportionally (evenly if they
    are all zero; a scenario without tranches has no dates to pay aid on, so it stays
    without).  Changing a lead's strategy kind drops the old kind's parameters, so the new
    strategy starts from its own defaults.
    """
    raw = dump_config(cfg)
    teams, world = raw["teams"], raw["world"]
    for side, value in (("us", levers.us_patience), ("china", levers.china_patience)):
        if value is not None:
            teams[side]["patience"] = float(value)
    for side, kind in (("us", levers.us_strategy), ("china", levers.china_strategy)):
        strategy = teams[side]["members"][lead_member(cfg, side)]["strategy"]
        if kind is not None and kind != strategy["kind"]:
            strategy["kind"] = kind
            strategy["params"] = {}
    if levers.farmers is not None:
        world["farmers"]["count"] = int(levers.farmers)
    if levers.currency_threshold is not None:
        world["pboc"]["threshold"] = float(levers.currency_threshold)
    tranches = raw["calendar"]["farm_aid"]
    if levers.farm_aid_bn is not None and tranches:
        total = sum(t["amount_bn"] for t in tranches)
        for t in tranches:
            share = t["amount_bn"] / total if total > 0 else 1.0 / len(tranches)
            t["amount_bn"] = float(levers.farm_aid_bn) * share
    return raw


def parse_seed(value: Any) -> int:
    """A seed from a text box or a number; raises ``ValueError`` with a readable message."""
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ValueError(f"the seed must be a whole number, got {value!r}") from None
    if seed < 0:
        raise ValueError(f"the seed must not be negative, got {seed}")
    return seed
