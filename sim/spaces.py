"""Which space a config's run takes: enumerated, its frontiers' rows, or never enumerated.

Up to ``MAX_OUTCOMES`` outcomes the space is enumerated (``issues.OutcomeSpace``).  Beyond,
a run of fixed additive values whose strategies pick only frontier outcomes keeps those
frontiers' rows (``issues.FrontierRows``, sim/frontier_rows.py), and a core-v2 run searches
its rounds issue by issue on a space never listed (``lazy_space.LazySpace``); the config
check refuses any other (``config_schema._check_size``).
"""

from __future__ import annotations

from tradetalks.sim.config import Config
from tradetalks.sim.config_schema import enumerable
from tradetalks.sim.issues import FrontierRows, OutcomeSpace, issues_from_config, space_key
from tradetalks.sim.lazy_space import LazySpace


def outcome_space(cfg: Config) -> OutcomeSpace | LazySpace:
    """A new outcome space of a config's issues (callers running many models build it once)."""
    if enumerable(cfg):
        return OutcomeSpace(
            issues_from_config(cfg),
            cfg.protocol.allow_interim,
            cfg.protocol.min_issues_in_deal,
            key=space_key(cfg),
        )
    if cfg.valuation is None:
        return FrontierRows(cfg)
    return LazySpace(
        issues_from_config(cfg),
        cfg.protocol.allow_interim,
        cfg.protocol.min_issues_in_deal,
        key=space_key(cfg),
    )
