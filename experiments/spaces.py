"""The outcome spaces of a sweep's runs, built once per base config rather than once per run.

``TradeTalksModel(space=...)`` takes a prebuilt ``OutcomeSpace``; the space also carries the
teams' cached utility vectors, so sharing it between the runs of a worker saves building
both every run.  A run's space is the base config's unless its parameters set one of the
config keys a space is built from (``sim.issues.space_inputs``: the issues and deal rules,
and the teams too for a space too large to enumerate, which holds the frontiers of the
teams' utilities); then a space is built for that setting and kept for the runs that share
it (the replicates of a sample).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradetalks.sim.config_schema import enumerable
from tradetalks.sim.issues import FRONTIER_INPUTS, SPACE_INPUTS, OutcomeSpace
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.spaces import outcome_space

MAX_VARIED_SPACES = 8  # spaces kept for parameter settings that change the space


def shapes_space(path: str, inputs: tuple[str, ...] = SPACE_INPUTS) -> bool:
    """True if the config key ``path`` is (inside) one of ``inputs``, the keys the outcome
    space is built from."""
    return any(path == key or path.startswith(key + ".") for key in inputs)


class RunSpaces:
    """The outcome spaces of the runs of one base config (raw dict) in this process; the base
    config's own is ``base`` (given, or built here)."""

    def __init__(self, base_raw: dict[str, Any], base: OutcomeSpace | None = None) -> None:
        self.base_raw = base_raw
        cfg = resolve_config(base_raw)
        self.base = outcome_space(cfg) if base is None else base
        self._frontier = {(): _frontier_rows(cfg)}  # by issue/protocol setting
        self._varied: dict[tuple[tuple[str, str], ...], OutcomeSpace] = {}

    def for_run(self, overrides: Mapping[str, Any]) -> OutcomeSpace | None:
        """The space of a run with these config overrides; None if it cannot be built (the
        overrides are invalid: the model then reports the problem itself)."""
        varied = {k: v for k, v in overrides.items() if shapes_space(k)}
        try:  # a space too large to enumerate holds the teams' frontiers: they shape it too
            if self._is_frontier(varied):
                varied |= {k: v for k, v in overrides.items() if shapes_space(k, FRONTIER_INPUTS)}
        except Exception:  # the run fails in the model, which names the problem
            return None
        if not varied:
            return self.base
        key = _key(varied)
        space = self._varied.get(key)
        if space is None:
            try:
                space = outcome_space(resolve_config(self.base_raw, varied))
            except Exception:  # the run fails in the model, which names the problem
                return None
            if len(self._varied) >= MAX_VARIED_SPACES:
                self._varied.pop(next(iter(self._varied)))
            self._varied[key] = space
        return space

    def _is_frontier(self, varied: Mapping[str, Any]) -> bool:
        """Whether the space of this issue/protocol setting is too large to enumerate (the
        base's answer unless a key may change the number of outcomes)."""
        sized = {k: v for k, v in varied.items() if _sizes_space(k)}
        key = _key(sized)
        if key not in self._frontier:
            if len(self._frontier) >= MAX_VARIED_SPACES:
                self._frontier.pop(next(k for k in self._frontier if k))  # the base's stays
            self._frontier[key] = _frontier_rows(resolve_config(self.base_raw, sized))
        return self._frontier[key]


def _frontier_rows(cfg: Any) -> bool:
    """True if ``cfg``'s space is its teams' frontiers (too large to enumerate, no core-v2
    valuation: a core-v2 space never enumerated depends on the issues alone)."""
    return not enumerable(cfg) and cfg.valuation is None


def _sizes_space(path: str) -> bool:
    """True if the config key ``path`` may change how many outcomes the space has (levels,
    negotiable, whole issues, interim deals) rather than only their values."""
    parts = path.split(".")
    if parts[0] == "protocol":
        return path == "protocol.allow_interim"
    return parts[0] == "issues" and (len(parts) <= 2 or parts[2] in ("levels", "negotiable"))


def _key(overrides: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in overrides.items()))
