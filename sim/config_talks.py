"""Config schema of the bargaining: issues, teams and their members, ratifiers, protocol."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from tradetalks.sim.config_base import (
    MAX_ISSUES,
    MAX_LEVELS,
    MAX_NAMED,
    PERCENT_MAX,
    SIDES,
    Discount,
    Finite,
    Response,
    SignedResponse,
    Strict,
    Unit,
    positive,
)
from tradetalks.sim.config_strategies import StrategyConfig
from tradetalks.sim.indicators import DEAL_QUANTITIES, PRESSURES, RATIFIER_INDICATORS

MAX_OFFERS_PER_ROUND = 100  # beyond this a round is not a meeting; a typo
MAX_TALKS_WINDOW_WEEKS = 52  # a round more than a year away cannot frame a gesture
# China's imports of all US goods were $130bn in 2017 (facts): an extra purchase commitment
# beyond $200bn a year is a typo
AG_PURCHASES_BN_MAX = 200.0
PERCENT_RANGE = (0.0, PERCENT_MAX)  # tariffs and pending hikes, % or pp
FLAG_RANGE = (0.0, 1.0)  # 0/1 switches and [0, 1] indices
# the range of each deal quantity (the names World.apply_terms reads)
QUANTITY_RANGES: dict[str, tuple[float, float]] = {
    "us_tariff_avg": PERCENT_RANGE,
    "us_keeps_schedule": FLAG_RANGE,
    "us_threat_pp": PERCENT_RANGE,
    "cn_tariff_avg": PERCENT_RANGE,
    "cn_keeps_schedule": FLAG_RANGE,
    "cn_threat_pp": PERCENT_RANGE,
    "soy_tariff": PERCENT_RANGE,
    "us_cancel_scheduled": FLAG_RANGE,
    "us_threat_kept": FLAG_RANGE,
    "us_rollback_fired": FLAG_RANGE,
    "us_rollback_pp": PERCENT_RANGE,
    "cn_cancel_scheduled": FLAG_RANGE,
    "cn_threat_kept": FLAG_RANGE,
    "cn_rollback_fired": FLAG_RANGE,
    "cn_rollback_pp": PERCENT_RANGE,
    "soy_rollback_pp": PERCENT_RANGE,
    "ag_extra_bn": (0.0, AG_PURCHASES_BN_MAX),
    "huawei_status": FLAG_RANGE,
    "currency_pledge": FLAG_RANGE,
    "ip_reform": FLAG_RANGE,
    "fentanyl_enforcement": FLAG_RANGE,
    "lift_label": FLAG_RANGE,
}
if set(QUANTITY_RANGES) != set(DEAL_QUANTITIES):  # pragma: no cover - a developer's slip
    raise RuntimeError("QUANTITY_RANGES must give a range to every name in DEAL_QUANTITIES")

DealQuantity = Literal[tuple(DEAL_QUANTITIES)]  # the names World.apply_terms puts into force
Side = Literal["us", "china"]


class IssueConfig(Strict):
    """One negotiable issue: ordered levels, their economic quantities and values."""

    concedes: Literal["us", "china", "both"]
    levels: Annotated[list[str], Field(min_length=2, max_length=MAX_LEVELS)]
    status_quo: str
    negotiable: bool = True
    quantities: dict[DealQuantity, list[Finite]] = Field(default_factory=dict)
    values: Annotated[dict[str, list[Unit]], Field(max_length=MAX_NAMED)]
    # the date the issue enters the agenda (None: on it from the start); before it no deal
    # can cover the issue (DESIGN §3.1: Huawei from May 2019, the label from August 2019)
    on_agenda_from: dt.date | None = None
    # per level: does granting it need a statute of the conceding side's legislature? An
    # outcome covering such a level is a "legislative" agreement (empty: no level does)
    needs_legislation: list[bool] = Field(default_factory=list)

    @field_validator("quantities")
    @classmethod
    def _in_range(cls, quantities: dict[str, list[float]]) -> dict[str, list[float]]:
        for name, table in quantities.items():
            lo, hi = QUANTITY_RANGES[name]
            bad = [x for x in table if not lo <= x <= hi]
            if bad:
                raise ValueError(f"quantity {name!r} must lie in [{lo:g}, {hi:g}], got {bad[0]:g}")
        return quantities

    @model_validator(mode="after")
    def _check(self) -> IssueConfig:
        n = len(self.levels)
        if len(set(self.levels)) != n:
            raise ValueError("level labels must be unique")
        if self.status_quo not in self.levels:
            raise ValueError(f"status_quo {self.status_quo!r} is not one of the levels")
        for side in SIDES:
            if side not in self.values:
                raise ValueError(f"values must include a table for {side!r}")
        tables = {**self.values, **self.quantities}
        if self.needs_legislation:
            tables["needs_legislation"] = self.needs_legislation
        for name, table in tables.items():
            if len(table) != n:
                raise ValueError(f"{name!r} has {len(table)} entries but there are {n} levels")
        if self.concedes != "both":
            self._check_order()
        return self

    def _check_order(self) -> None:
        giver = self.values[self.concedes]
        taker = self.values["china" if self.concedes == "us" else "us"]
        if any(b > a for a, b in itertools.pairwise(giver)):
            raise ValueError(
                f"levels out of order: {self.concedes} concedes, so its values must not "
                "rise from one level to the next (levels run least to most conceded)"
            )
        if any(b < a for a, b in itertools.pairwise(taker)):
            raise ValueError(
                "levels out of order: the receiving side's values must not fall from one "
                "level to the next (levels run least to most conceded)"
            )


def _known_pressures(names: dict[str, float]) -> dict[str, float]:
    """Reject pressure names outside ``sim.indicators.PRESSURES``."""
    unknown = sorted(set(names) - set(PRESSURES))
    if unknown:
        raise ValueError(f"unknown pressure(s) {unknown}; known pressures are {sorted(PRESSURES)}")
    return names


class MemberConfig(Strict):
    """One member of a negotiating team (a Mesa agent)."""

    title: str = ""
    # base influence, a share of the team's say (normalised over members): (0, 1]
    influence: positive(1.0)
    # π ∝ π⁰·exp(σ·P) with the team's pressure P ≤ 10 (ten pressures, weights ≤ 1): |σ| ≤ 10
    # keeps exp() finite and already shifts the say by e^10 per unit of pressure
    pressure_sensitivity: SignedResponse = 0.0
    weights: dict[str, Unit]
    strategy: StrategyConfig


class ReservationConfig(Strict):
    """Reservation value = base − Σ coefficient × pressure (pressures in [0, 1])."""

    base: Unit
    # r is clipped to [0, 1]: beyond ±10 a tenth of a pressure spans the whole range
    coefficients: dict[str, SignedResponse] = Field(default_factory=dict)

    _known = field_validator("coefficients")(_known_pressures)


class LeadsConfig(Strict):
    """Which member speaks for the team at each level of talks."""

    deputy: str
    principal: str


class TeamConfig(Strict):
    """A negotiating team: members, patience and reservation dynamics."""

    patience: Discount
    # the legacy walk-away index; core v2 (a [valuation] section) projects it instead
    reservation: ReservationConfig | None = None
    leads: LeadsConfig
    members: Annotated[dict[str, MemberConfig], Field(max_length=MAX_NAMED)]
    # pressures are in [0, 1]: a weight above 1 counts one pressure more than fully
    pressure_weights: dict[str, Unit] = Field(default_factory=dict)

    _known = field_validator("pressure_weights")(_known_pressures)

    @field_validator("members")
    @classmethod
    def _nonempty(cls, v: dict[str, MemberConfig]) -> dict[str, MemberConfig]:
        if not v:
            raise ValueError("a team needs at least one member")
        return v


class RatifierConfig(Strict):
    """A domestic body whose support a deal needs (two-level game win-set)."""

    side: Side
    values: str
    weights: dict[str, Unit]
    base: Unit = 0.5  # assumption: an undecided body when no base is given
    base_indicator: str | None = None
    # support moves one for one with the weighted value gain (in [−1, 1]); beyond 10 a body's
    # support is a switch on the smallest gain
    sensitivity: Response = 1.0
    # the public threshold; with threshold_sd > 0 it is the prior mean of a private threshold
    # drawn once per run (the other side believes the mean; the mechanism uses the draw)
    threshold: Unit
    threshold_sd: Unit = 0.0
    # "legislative": the body votes only on agreements needing its side's legislation; on
    # executive ones it exerts pressure, weight × max(0, threshold − support), on its side
    applies_to: Literal["all", "legislative"] = "all"
    pressure_weight: Response = 0.0

    @field_validator("base_indicator")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in RATIFIER_INDICATORS:
            raise ValueError(f"unknown indicator {v!r}; known: {sorted(RATIFIER_INDICATORS)}")
        return v


class ChapterConfig(Strict):
    """Readiness of one issue's chapter: its value at the start and its gain per deputy round."""

    start: Unit = 0.0
    # readiness added by each deputy round (1: ready after one round; 0: never ready)
    rate: Unit


class ProtocolConfig(Strict):
    """Alternating-offers protocol settings."""

    max_offers_per_round: Annotated[int, Field(ge=1, le=MAX_OFFERS_PER_ROUND)]
    first_mover: Side = "us"
    alternate_first_mover: bool = True
    allow_interim: bool = True
    min_issues_in_deal: Annotated[int, Field(ge=1, le=MAX_ISSUES)] = 1
    goodwill_credit: Unit = 0.0
    talks_window_weeks: Annotated[int, Field(ge=0, le=MAX_TALKS_WINDOW_WEEKS)] = 2
