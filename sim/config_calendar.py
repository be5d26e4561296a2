"""Config schema of time: the run's horizon and the calendar of dated events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator
from tradetalks.sim.config_base import (
    MAX_EVENTS,
    MAX_WEEKS,
    START_DATE_MAX,
    START_DATE_MIN,
    Discount,
    PercentChange,
    Strict,
    Unit,
    Weeks,
    between,
)

MAX_SEED = 2**63 - 1  # numpy seeds are unsigned 64-bit; int64 keeps them storable everywhere
# the 2019 Market Facilitation Program paid $14.5bn in all (USDA): one tranche beyond $100bn,
# the order of all US net farm income in a year, is a typo
AID_TRANCHE_BN_MAX = 100.0
# the record's cuts are 0.5 to 1pp each (facts): 5pp in one step is a typo
RRR_CUT_MAX = 5.0


class RunConfig(Strict):
    """When the run starts and how long it lasts."""

    start_date: Annotated[dt.date, Field(ge=START_DATE_MIN, le=START_DATE_MAX)]
    weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)]
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 1


class RoundEvent(Strict):
    """A scheduled negotiation round (``announced``: when it became public; None: by the start)."""

    date: dt.date
    level: Literal["deputy", "principal"]
    announced: dt.date | None = None


class TariffAction(Strict):
    """A scheduled tariff change that fires at its date unless the acting side postpones it."""

    date: dt.date
    side: Literal["us", "china"]
    label: str
    tariff_delta_pp: PercentChange
    soy_tariff_delta_pp: PercentChange = 0.0
    postponable: bool = True
    postpone_weeks: Weeks = 4  # assumption: a month's reprieve
    audience_cost: Unit = 0.0  # legacy core: taken off a ratifier's support, itself in [0, 1]
    announced: dt.date | None = None  # when the threat became public (None: by the start)


class AidTranche(Strict):
    """A scheduled farm-aid (MFP) payment."""

    date: dt.date
    amount_bn: between(0.0, AID_TRANCHE_BN_MAX)
    announced: dt.date | None = None  # None: public by the start


class RrrCut(Strict):
    """A dated reserve-requirement cut (issue 12), applied by the PBoC in the week of ``date``
    as ``cut_pp``·``coverage`` off ``world.pboc``'s reserve ratio (a cut dated before the run's
    start is part of ``rrr_start``).  ``coverage``: the share of the banking system the cut
    applies to (1: every bank; a targeted cut less), so the ratio stays system-wide."""

    date: dt.date
    cut_pp: between(0.0, RRR_CUT_MAX)
    coverage: Unit = 1.0
    announced: dt.date | None = None  # None: public by the start

    @model_validator(mode="after")
    def _announced_first(self) -> RrrCut:
        if self.announced is not None and self.announced > self.date:
            raise ValueError(f"announced {self.announced} after the cut's date {self.date}")
        return self

    @property
    def effective_pp(self) -> float:
        """The cut off the system-wide ratio, pp."""
        return self.cut_pp * self.coverage


class PatienceChange(Strict):
    """A dated change in a team's patience (a deadline, an election)."""

    date: dt.date
    team: Literal["us", "china"]
    patience: Discount


class MeetingsConfig(Strict):
    """Rounds on request (core-v2 §1 C, "Meetings"): beyond the calendar's announced rounds,
    a principal round happens when both sides ask for it, or one side asks twice running."""

    enabled: bool = False
    lead_weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)] = 2
    # a side also asks when one of the announced tariff actions falls due within this many weeks
    request_within_weeks: Annotated[int, Field(ge=0, le=MAX_WEEKS)] = 3
    principal_gap_weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)] = 3
    deputy_every_weeks: Annotated[int, Field(ge=1, le=MAX_WEEKS)] = 3


class CalendarConfig(Strict):
    """Everything that happens on a date."""

    rounds: list[RoundEvent] = Field(default_factory=list, max_length=MAX_EVENTS)
    tariff_actions: list[TariffAction] = Field(default_factory=list, max_length=MAX_EVENTS)
    fed_meetings: list[dt.date] = Field(default_factory=list, max_length=MAX_EVENTS)
    pboc_meetings: list[dt.date] = Field(default_factory=list, max_length=MAX_EVENTS)
    farm_aid: list[AidTranche] = Field(default_factory=list, max_length=MAX_EVENTS)
    patience_changes: list[PatienceChange] = Field(default_factory=list, max_length=MAX_EVENTS)
    # dated reserve-requirement cuts (issue 12); none: the PBoC cuts by its meeting rule only
    rrr_cuts: list[RrrCut] = Field(default_factory=list, max_length=MAX_EVENTS)
    meetings: MeetingsConfig = Field(default_factory=MeetingsConfig)

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
                "rrr_cuts": [e for e in self.rrr_cuts if keep(e.date)],
            }
        )


class HuaweiLevels(Strict):
    """Huawei's relief index (``world.huawei.status_start``) by the record's latest action:
    the levels of the baseline's ``issues.huawei.quantities.huawei_status``."""

    unlisted: Unit = 1.0  # before the Entity List: no restriction ("removal", baseline)
    entity_list: Unit = 0.0  # on the Entity List without a licence ("entity list", baseline)
    licence: Unit = 0.33  # rolling temporary licences (baseline's status_start)


class HistoryConfig(Strict):
    """Start anywhere, replay, branch (issue 14; docs/RECORD.md, "Start anywhere, replay,
    branch").  ``start``: the record date the run starts on, with that date's state taken
    from the record (None: the config's own state); ``replay_until``: force the recorded
    policy events and outcomes up to this date, then let the agents decide; ``drop``: record
    entries left out of the forced history, each "YYYY-MM-DD kind" or "YYYY-MM-DD kind side".
    ``applied`` is set by the overlay itself: the start, replay date and record it put the
    config at (a resolved config is already at its start; "": not yet)."""

    start: dt.date | None = None
    record: str = "record-2018-2019"
    replay_until: dt.date | None = None
    drop: list[str] = Field(default_factory=list, max_length=MAX_EVENTS)
    # the 2019 MFP's first tranche was about half of it, the later two about a quarter each
    # (USDA, approx.; the baseline's calendar.farm_aid tranches are ~25% each)
    first_tranche_share: Unit = 0.5
    # share of the banking system a targeted RRR cut reaches; assumption
    targeted_rrr_coverage: Unit = 0.25
    huawei: HuaweiLevels = Field(default_factory=HuaweiLevels)
    applied: str = ""

    def key(self) -> str:
        """What the overlay depends on (``applied`` once it is applied)."""
        return f"{self.start} {self.replay_until} {self.record}"
