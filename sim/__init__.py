"""tradetalks' simulation core: config, issues, payoffs, protocol, world and the Mesa model.

``sim.TradeTalksModel`` is loaded lazily so that ``agents`` can import sim's core types
without an import cycle.
"""

from typing import Any

from sim.config import Config, ConfigError, load_config

__all__ = ["Config", "ConfigError", "TradeTalksModel", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "TradeTalksModel":
        from sim.model import TradeTalksModel

        return TradeTalksModel
    raise AttributeError(name)
