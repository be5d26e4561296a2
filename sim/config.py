"""Scenario configuration: the public names of the schema and the loader, in one place.

A config is a TOML file validated by strict pydantic models (a string is not a number,
unknown keys are errors).  A scenario may name a parent with ``extends = "path.toml"`` and
override only what differs.  Every number is bounded to the range the model can compute
with, and files by size, nesting and ``extends`` depth.  Every problem is reported by its
dotted key path in plain words (``ConfigError``; ``ModelStateError`` when a run still ends in
a non-finite world state).  The code lives in ``config_base`` (error, field types),
``config_strategies`` (strategy parameters), ``config_talks``, ``config_calendar``,
``config_world`` (the sections), ``config_schema`` (``Config`` and cross-section checks) and
``config_loader`` (reading, overrides, validation, writing); import from here.
"""

from __future__ import annotations

from tradetalks.sim.config_base import (
    MAX_LEVELS,
    SIDES,
    WEIGHT_TOLERANCE,
    ConfigError,
    Finite,
    ModelStateError,
    NonNeg,
    Pos,
    Probability,
    Strict,
    Unit,
)
from tradetalks.sim.config_calendar import (
    AidTranche,
    CalendarConfig,
    HistoryConfig,
    PatienceChange,
    RoundEvent,
    RunConfig,
    TariffAction,
)
from tradetalks.sim.config_loader import (
    apply_overrides,
    dump_config,
    load_config,
    nesting_problem,
    parse_value,
    problems_from,
    read_raw,
    to_toml,
    validate_raw,
    with_weeks,
)
from tradetalks.sim.config_schema import Config, cross_check
from tradetalks.sim.config_strategies import (
    STRATEGY_PARAMS,
    StrategyConfig,
    StrategyParams,
    StrategySpec,
    UserStrategySpec,
)
from tradetalks.sim.config_talks import (
    DealQuantity,
    IssueConfig,
    LeadsConfig,
    MemberConfig,
    ProtocolConfig,
    RatifierConfig,
    ReservationConfig,
    TeamConfig,
)
from tradetalks.sim.config_world import (
    DealExpectationsConfig,
    DollarsConfig,
    FarmerConfig,
    FedConfig,
    GesturesConfig,
    GrowthConfig,
    HuaweiConfig,
    NetworkConfig,
    PBoCConfig,
    PoliticsConfig,
    SoybeanConfig,
    TradeConfig,
    UncertaintyConfig,
    WorldConfig,
)

__all__ = [
    "MAX_LEVELS",
    "SIDES",
    "STRATEGY_PARAMS",
    "WEIGHT_TOLERANCE",
    "AidTranche",
    "CalendarConfig",
    "Config",
    "ConfigError",
    "DealExpectationsConfig",
    "DealQuantity",
    "DollarsConfig",
    "FarmerConfig",
    "FedConfig",
    "Finite",
    "GesturesConfig",
    "GrowthConfig",
    "HistoryConfig",
    "HuaweiConfig",
    "IssueConfig",
    "LeadsConfig",
    "MemberConfig",
    "ModelStateError",
    "NetworkConfig",
    "NonNeg",
    "PBoCConfig",
    "PatienceChange",
    "PoliticsConfig",
    "Pos",
    "Probability",
    "ProtocolConfig",
    "RatifierConfig",
    "ReservationConfig",
    "RoundEvent",
    "RunConfig",
    "SoybeanConfig",
    "StrategyConfig",
    "StrategyParams",
    "StrategySpec",
    "Strict",
    "TariffAction",
    "TeamConfig",
    "TradeConfig",
    "UncertaintyConfig",
    "Unit",
    "UserStrategySpec",
    "WorldConfig",
    "apply_overrides",
    "cross_check",
    "dump_config",
    "load_config",
    "nesting_problem",
    "parse_value",
    "problems_from",
    "read_raw",
    "to_toml",
    "validate_raw",
    "with_weeks",
]
