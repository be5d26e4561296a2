"""Rounds on request: which principal and deputy meetings happen beyond the announced calendar.

A baseline calendar holds only the rounds announced by its start date (no hindsight).  Later
rounds are decisions (core-v2 §1 C, "Meetings"): each week each side may ask for a principal
round — because it sees a deal it expects the other side to take, or because one of the
announced tariff actions falls due soon — and a round is set, ``lead_weeks`` ahead, when both
sides ask in the same week or one side asks two weeks running.  While talks are on, deputies
meet every ``deputy_every_weeks`` weeks (they prepare the chapters principals sign).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tradetalks.sim.config_calendar import MeetingsConfig


@dataclass
class MeetingPlanner:
    """Turns weekly meeting requests into scheduled rounds (state: who asked last week)."""

    cfg: MeetingsConfig
    asked_last_week: dict[str, bool] = field(default_factory=dict)
    next_principal: int | None = None  # week of a principal round already set
    last_principal: int = -(10**6)
    last_deputy: int = -(10**6)

    def note_round(self, week: int, level: str) -> None:
        """A round took place (calendar or requested): the spacing rules count from it."""
        if level == "principal":
            self.last_principal = week
            if self.next_principal is not None and self.next_principal <= week:
                self.next_principal = None
        else:
            self.last_deputy = week

    def open_for(self, week: int) -> bool:
        """True if a principal round requested this week could be set (none pending, spaced)."""
        spaced = week + self.cfg.lead_weeks - self.last_principal >= self.cfg.principal_gap_weeks
        return self.cfg.enabled and self.next_principal is None and spaced

    def plan(
        self, week: int, requests: Mapping[str, bool], talks_open: bool
    ) -> list[tuple[int, str]]:
        """Rounds to schedule after this week's requests, as (week, level) pairs."""
        if not self.cfg.enabled or not talks_open:
            self.asked_last_week = dict(requests)
            return []
        out: list[tuple[int, str]] = []
        both = all(requests.values())
        twice = any(asked and self.asked_last_week.get(s, False) for s, asked in requests.items())
        self.asked_last_week = dict(requests)
        spaced = week + self.cfg.lead_weeks - self.last_principal >= self.cfg.principal_gap_weeks
        if (both or twice) and self.next_principal is None and spaced:
            self.next_principal = week + self.cfg.lead_weeks
            self.asked_last_week = {}
            out.append((self.next_principal, "principal"))
        if week + 1 - self.last_deputy >= self.cfg.deputy_every_weeks:
            self.last_deputy = week + 1
            out.append((week + 1, "deputy"))
        return out
