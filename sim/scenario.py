"""From a config source to a runnable scenario, without importing Mesa.

``resolve_config`` loads, overrides and fully validates a config (strategy names need the
agents' registry, which ``sim/config.py`` must not import).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradetalks.agents.strategies import REGISTRY
from tradetalks.sim.config import Config, ConfigError, load_config
from tradetalks.sim.shipped import baseline

DEFAULT_CONFIG = baseline()


def check_strategies(cfg: Config) -> list[tuple[str, str]]:
    """Problems with strategy names or parameters (needs the agents' registry)."""
    problems = []
    for side, team in cfg.teams.items():
        for role, member in team.members.items():
            path = f"teams.{side}.members.{role}.strategy"
            cls = REGISTRY.get(member.strategy.kind)
            if cls is None:
                problems.append(
                    (
                        f"{path}.kind",
                        f"unknown strategy {member.strategy.kind!r}; known: {sorted(REGISTRY)}",
                    )
                )
                continue
            bad = sorted(set(member.strategy.params) - set(cls.param_names))
            if bad:
                problems.append(
                    (f"{path}.params", f"strategy {cls.name!r} has no parameter(s) {bad}")
                )
    return problems


def resolve_config(
    config: str | Path | Config | dict[str, Any] | None, overrides: dict[str, Any] | None = None
) -> Config:
    """Load, override and fully validate a config (including strategy names)."""
    cfg = load_config(DEFAULT_CONFIG if config is None else config, overrides)
    problems = check_strategies(cfg)
    if problems:
        raise ConfigError(problems, str(config) if isinstance(config, (str, Path)) else None)
    return cfg
