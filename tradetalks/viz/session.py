"""The model one browser session watches: ``TradeTalksModel`` built from the app's controls.

Mesa's run controller re-creates the model on Reset by calling its class with the values of the
controls as keyword arguments.  ``SessionModel`` accepts exactly those controls (a scenario
file, a seed and the levers) and turns them into a config for ``TradeTalksModel``.  The
controls follow the chosen scenario (picking one sets every lever and the seed to its
values), so a lever counts as changed exactly when it differs from the chosen scenario's own
value, whatever the launch config had; a lever or seed left out (``None``) keeps the
scenario's.  Each session keeps the outcome spaces it has built (``SpaceBook``), so a Reset
does not rebuild the space of the same issues.  A session model also records, week by week,
the mechanisms the app charts (``mechanisms.Trace``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from tradetalks.sim.config import Config, ConfigError
from tradetalks.sim.issues import OutcomeSpace, space_key
from tradetalks.sim.model import DEFAULT_CONFIG, TradeTalksModel, resolve_config
from tradetalks.sim.spaces import outcome_space
from tradetalks.viz.levers import (
    Levers,
    Scenario,
    apply_levers,
    configs_root,
    list_scenarios,
    parse_seed,
)
from tradetalks.viz.mechanisms import Trace
from tradetalks.viz.status import plain_error

LOG = logging.getLogger(__name__)  # the server's log: full tracebacks stay there
CONFIG_ENV = "TRADETALKS_VIZ_CONFIG"  # the launch config, passed from `tradetalks viz`
SPACES_PER_SESSION = 2  # issue sets a session keeps built (a space is tens of MB)


@dataclass(frozen=True)
class AppSetup:
    """What the app starts from: scenarios on offer, the launch scenario, its levers and seed."""

    scenarios: tuple[Scenario, ...]
    launch: Scenario
    levers: Levers
    seed: int

    @classmethod
    def from_config(cls, path: str | Path | None = None) -> AppSetup:
        """Set up from a launch config (default: ``$TRADETALKS_VIZ_CONFIG``, else the baseline)."""
        chosen = path or os.environ.get(CONFIG_ENV) or configs_root() / DEFAULT_CONFIG.name
        scenarios = tuple(list_scenarios(launch=Path(chosen)))
        cfg = resolve_config(scenarios[0].path)
        return cls(scenarios, scenarios[0], Levers.of(cfg), cfg.run.seed)

    def scenario(self, label: str) -> tuple[Levers, int]:
        """The levers and seed of the scenario with this label (what the controls show)."""
        cfg = resolve_config(self.path_of(label))
        return Levers.of(cfg), cfg.run.seed

    @property
    def labels(self) -> list[str]:
        """Scenario labels in selector order."""
        return [s.label for s in self.scenarios]

    def path_of(self, label: str) -> Path:
        """Path of the scenario with this label."""
        for s in self.scenarios:
            if s.label == label:
                return s.path
        raise ConfigError([("scenario", f"unknown scenario {label!r}; known: {self.labels}")])


class SpaceBook:
    """The outcome spaces one browser session has built, by issue set (never shared between
    sessions); a Reset with the same issues reuses the read-only space instead of rebuilding."""

    def __init__(self) -> None:
        self._spaces: dict[str, OutcomeSpace] = {}

    def space_for(self, cfg: Config) -> OutcomeSpace:
        """The space of ``cfg``'s issues and deal rules, built the first time it is asked for."""
        key = space_key(cfg)
        space = self._spaces.pop(key, None)
        if space is None:
            space = outcome_space(cfg)
        self._spaces[key] = space  # most recently used last
        while len(self._spaces) > SPACES_PER_SESSION:
            self._spaces.pop(next(iter(self._spaces)))
        return space


class SessionModel(TradeTalksModel):
    """A ``TradeTalksModel`` made from the app's controls; one per browser session.

    ``scenario_file`` is a label from ``setup.labels``; ``rng`` the seed (text or number;
    blank or ``None``: the scenario's); the lever arguments override the scenario where they
    differ from its own values.  ``spaces`` is the session's book of outcome spaces (a fresh
    space is built without one).
    """

    def __init__(
        self,
        scenario_file: str | None = None,
        rng: int | str | None = None,
        setup: AppSetup | None = None,
        us_patience: float | None = None,
        china_patience: float | None = None,
        farm_aid_bn: float | None = None,
        farmers: int | None = None,
        currency_threshold: float | None = None,
        us_strategy: str | None = None,
        china_strategy: str | None = None,
        spaces: SpaceBook | None = None,
    ) -> None:
        self.setup = setup or AppSetup.from_config()
        self.scenario_label = scenario_file or self.setup.launch.label
        base = resolve_config(self.setup.path_of(self.scenario_label))
        chosen = Levers(
            us_patience,
            china_patience,
            farm_aid_bn,
            farmers,
            currency_threshold,
            us_strategy,
            china_strategy,
        )
        self.scenario_levers = Levers.of(base)
        self.overridden = chosen.changed_from(self.scenario_levers)
        self.notes: list[str] = []  # shown by the status view
        seed = base.run.seed
        if rng is not None and str(rng).strip():
            try:
                seed = parse_seed(rng)
            except ValueError as exc:  # a typo in the seed box should not break the page
                self.notes.append(f"{exc}; using the scenario's seed {base.run.seed}")
        cfg = resolve_config(apply_levers(base, self.overridden))
        space = None if spaces is None else spaces.space_for(cfg)
        # the page draws the farm network: per-farm agents and their network cells
        super().__init__(config=cfg, rng=seed, space=space, farmer_agents=True)
        self.levers = Levers.of(self.config)
        self.trace = Trace()  # the mechanisms week by week, for the charts
        self.trace.record(self)
        self.failure: str | None = None  # why the run stopped, if a week failed
        # Mesa's step (the week, then its calendar events and data collection), guarded
        self._advance_week = self.step
        self.step = self._guarded_step

    def _guarded_step(self) -> None:
        """One week; an error stops the run with a plain note instead of reaching the page.

        The page must show no traceback and no server path: the note says what went wrong in
        one line (``plain_error``) and the Step and Play buttons go grey (``running`` is off).
        """
        if self.failure is not None:
            return
        try:
            self._advance_week()
            self.trace.record(self)
        except Exception as exc:  # whatever the model raised: the page gets a plain message
            LOG.exception("week %d of a browser session failed", self.steps)
            self.running = False
            self.failure = plain_error(exc)
            self.notes.append(
                f"the run stopped in week {self.steps}: {self.failure} (Reset starts again)"
            )

    @property
    def overridden_names(self) -> list[str]:
        """Levers this run sets differently from its scenario."""
        return [k for k, v in self.overridden.as_dict().items() if v is not None]
