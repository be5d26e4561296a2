"""Which space a config's run takes: enumerated, its frontiers' rows, or never enumerated.

A core-v2 run whose strategies read only what the factored search keeps goes without
enumerating a space of more than ``LAZY_ABOVE`` outcomes (``lazy_space.LazySpace``: its
rounds are searched issue by issue; smaller spaces are faster enumerated).  Otherwise up to
``MAX_OUTCOMES`` outcomes the space is enumerated (``issues.OutcomeSpace``); beyond, a run
of fixed additive values whose strategies pick only frontier outcomes keeps those frontiers'
rows (``issues.FrontierRows``, sim/frontier_rows.py), and the config check refuses any other
(``config_schema._check_size``).
"""

from __future__ import annotations

from tradetalks.sim.config import Config
from tradetalks.sim.config_schema import enumerable, lazy_problem, never_enumerated
from tradetalks.sim.issues import FrontierRows, OutcomeSpace, issues_from_config, space_key
from tradetalks.sim.lazy_space import LazySpace


def outcome_space(cfg: Config) -> OutcomeSpace | LazySpace:
    """A new outcome space of a config's issues (callers running many models build it once)."""
    protocol = cfg.protocol
    args = (issues_from_config(cfg), protocol.allow_interim, protocol.min_issues_in_deal)
    if never_enumerated(cfg):
        return LazySpace(*args, key=space_key(cfg))
    if enumerable(cfg):
        return OutcomeSpace(*args, key=space_key(cfg))
    return FrontierRows(cfg)


def run_space(cfg: Config, space: OutcomeSpace | LazySpace | None) -> OutcomeSpace | LazySpace:
    """The space a run of ``cfg`` takes: ``space`` (shared by a sweep's runs) unless None or
    never enumerated while this run needs it listed (a sweep point with another strategy),
    then its own; a space built from another config is refused."""
    if space is not None and space.key != space_key(cfg):
        raise ValueError("the outcome space given was built from another config")
    if space is None or (getattr(space, "lazy", False) and lazy_problem(cfg)):
        return outcome_space(cfg)
    return space
