"""Config schema of time: the run's horizon and the calendar of dated events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field
from tradetalks.sim.config_base import (
    MAX_WEEKS,
    Discount,
    Finite,
    NonNeg,
    Strict,
    Weeks,
)

MAX_SEED = 2**63 - 1  # numpy seeds are unsigned 64-bit; int64 keeps them storable everywhere


class RunConfig(Strict):
    """When the run starts and how long it lasts."""

    start_date: dt.date
    weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 1


class RoundEvent(Strict):
    """A scheduled negotiation round."""

    date: dt.date
    level: Literal["deputy", "principal"]


class TariffAction(Strict):
    """A scheduled tariff change that fires at its date unless the acting side postpones it."""

    date: dt.date
    side: Literal["us", "china"]
    label: str
    tariff_delta_pp: Finite
    soy_tariff_delta_pp: Finite = 0.0
    postponable: bool = True
    postpone_weeks: Weeks = 4  # assumption: a month's reprieve
    audience_cost: NonNeg = 0.0


class AidTranche(Strict):
    """A scheduled farm-aid (MFP) payment."""

    date: dt.date
    amount_bn: NonNeg


class PatienceChange(Strict):
    """A dated change in a team's patience (a deadline, an election)."""

    date: dt.date
    team: Literal["us", "china"]
    patience: Discount


class CalendarConfig(Strict):
    """Everything that happens on a date."""

    rounds: list[RoundEvent] = Field(default_factory=list)
    tariff_actions: list[TariffAction] = Field(default_factory=list)
    fed_meetings: list[dt.date] = Field(default_factory=list)
    pboc_meetings: list[dt.date] = Field(default_factory=list)
    farm_aid: list[AidTranche] = Field(default_factory=list)
    patience_changes: list[PatienceChange] = Field(default_factory=list)

    def until(self, end: dt.date) -> CalendarConfig:
        """The calendar without the events after ``end`` (a shortened run never reaches them)."""

        def keep(day: dt.date) -> bool:
            return day <= end

        return self.model_copy(
            update={
                "rounds": [e for e in self.rounds if keep(e.date)],
                "tariff_actions": [e for e in self.tariff_actions if keep(e.date)],
                "fed_meetings": [d for d in self.fed_meetings if keep(d)],
                "pboc_meetings": [d for d in self.pboc_meetings if keep(d)],
                "farm_aid": [e for e in self.farm_aid if keep(e.date)],
                "patience_changes": [e for e in self.patience_changes if keep(e.date)],
            }
        )
