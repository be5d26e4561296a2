"""From a config source to a runnable scenario, without importing Mesa.

``resolve_config`` loads, overrides and fully validates a config.  Built-in strategy kinds
and their parameters are checked by the schema; a user strategy named by import path
(``kind = "package.module:Class"``) is imported here, since ``sim/config.py`` must not
import the agents, and its parameters are checked against the class's own model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from tradetalks.sim.config import (
    Config,
    ConfigError,
    StrategyParams,
    UserStrategySpec,
    load_config,
    problems_from,
)
from tradetalks.sim.config_strategies import import_object
from tradetalks.sim.history import apply_history
from tradetalks.sim.shipped import baseline

if TYPE_CHECKING:
    from tradetalks.agents.strategies import Strategy

DEFAULT_CONFIG = baseline()
Problems = list[tuple[str, str]]


def user_strategy_class(kind: str) -> type[Strategy]:
    """The ``Strategy`` subclass an import path names; ``ValueError`` saying why if none."""
    # the agents (and numpy) only when a user strategy is named: `validate` starts faster
    from tradetalks.agents.strategies import Strategy

    found = import_object(kind)
    if not (isinstance(found, type) and issubclass(found, Strategy)):
        raise ValueError(f"{kind!r} is not a subclass of tradetalks.agents.strategies.Strategy")
    model = found.params_model
    if not (isinstance(model, type) and issubclass(model, StrategyParams)):
        raise ValueError(f"{kind!r}: its params_model must subclass StrategyParams")
    return found


def _check_user_strategy(path: str, spec: UserStrategySpec) -> Problems:
    """Import a user strategy and validate its params with the class's own model."""
    try:
        cls = user_strategy_class(spec.kind)
    except ValueError as exc:
        return [(f"{path}.kind", str(exc))]
    try:
        cls.params_model.model_validate(spec.params)
    except ValidationError as exc:
        return [(f"{path}.params{'.' if p else ''}{p}", m) for p, m in problems_from(exc)]
    return []


def check_strategies(cfg: Config) -> Problems:
    """Problems with the members' strategies that the schema alone cannot see.

    User strategies are imported and their params validated. A built-in kind is one the
    schema already accepts (``config_strategies.STRATEGY_PARAMS``), and tests/test_strategies.py
    checks that every one has a registered class, so validating a config does not import the
    agents.
    """
    problems: Problems = []
    for side, team in cfg.teams.items():
        for role, member in team.members.items():
            path = f"teams.{side}.members.{role}.strategy"
            spec = member.strategy
            if isinstance(spec, UserStrategySpec):
                problems += _check_user_strategy(path, spec)
    return problems


def resolve_config(
    config: str | Path | Config | dict[str, Any] | None, overrides: dict[str, Any] | None = None
) -> Config:
    """Load, override and fully validate a config (including user strategies); with
    ``history.start`` it starts on that record date with that date's state (sim/history.py)."""
    cfg = apply_history(load_config(DEFAULT_CONFIG if config is None else config, overrides))
    problems = check_strategies(cfg)
    if problems:
        raise ConfigError(problems, str(config) if isinstance(config, (str, Path)) else None)
    return cfg
