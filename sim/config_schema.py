"""The complete scenario config (``Config``) and the checks that span its sections."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import Field, model_validator
from tradetalks.sim.config_base import (
    MAX_ISSUES,
    MAX_NAMED,
    MAX_OUTCOMES,
    SIDES,
    WEIGHT_TOLERANCE,
    Strict,
)
from tradetalks.sim.config_calendar import CalendarConfig, RunConfig
from tradetalks.sim.config_makers import MakersConfig
from tradetalks.sim.config_talks import (
    ChapterConfig,
    IssueConfig,
    ProtocolConfig,
    RatifierConfig,
    TeamConfig,
)
from tradetalks.sim.config_valuation import (
    FarmPoliticsConfig,
    HostageConfig,
    ImplementationConfig,
    IrreversibilityConfig,
    TypesConfig,
    ValuationConfig,
)
from tradetalks.sim.config_world import MAX_FARMER_LINKS, WorldConfig

Problems = list[tuple[str, str]]
# math.exp overflows beyond 709: the postponement logit z enters as exp(−z), so its lowest
# value (the bias less the largest audience cost at its weight) must stay above −700
LOGIT_FLOOR = -700.0
TARIFF_QUANTITIES = ("us_tariff_avg", "cn_tariff_avg", "soy_tariff")  # bounded by the ceiling


class Config(Strict):
    """A complete, validated scenario (``name`` and ``description`` label it for people)."""

    name: str = "scenario"
    description: str = ""
    run: RunConfig
    issues: dict[str, IssueConfig] = Field(max_length=MAX_ISSUES)
    teams: dict[str, TeamConfig]
    ratifiers: dict[str, RatifierConfig] = Field(default_factory=dict, max_length=MAX_NAMED)
    protocol: ProtocolConfig
    calendar: CalendarConfig
    world: WorldConfig
    # the tariff makers (agents/makers.py); absent: the legacy postponement rule
    makers: MakersConfig | None = None
    # chapter readiness per issue (sim/chapters.py); an issue not listed is ready from the start
    readiness: dict[str, ChapterConfig] = Field(default_factory=dict, max_length=MAX_ISSUES)
    # core v2 valuation (sim/projector.py); absent: the legacy valuation
    valuation: ValuationConfig | None = None
    farm_politics: FarmPoliticsConfig | None = None
    irreversibility: IrreversibilityConfig | None = None
    hostage: HostageConfig | None = None
    # after the signature (issue 12); absent: purchases are delivered in full on their ramp
    implementation: ImplementationConfig | None = None
    types: TypesConfig | None = None  # private acceptance shares; absent: none

    @model_validator(mode="after")
    def _cross_check(self) -> Config:
        problems = cross_check(self)
        if problems:
            raise CrossCheckError(problems)
        return self

    @property
    def end_date(self) -> dt.date:
        """The last day of the horizon."""
        return end_of(self.run)

    def week_of(self, day: dt.date) -> int:
        """Week number (1-based) in which ``day`` falls."""
        return (day - self.run.start_date).days // 7 + 1

    def negotiable_issues(self) -> list[str]:
        """Names of the issues on the table, in config order."""
        return [k for k, v in self.issues.items() if v.negotiable]


def end_of(run: RunConfig) -> dt.date:
    """The last day of a run's horizon."""
    return run.start_date + dt.timedelta(weeks=run.weeks) - dt.timedelta(days=1)


class CrossCheckError(ValueError):
    """Raised inside validation to carry cross-section problems out with their own paths."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _check_weights(path: str, weights: dict[str, float], issues: dict[str, Any]) -> Problems:
    out = []
    unknown = sorted(set(weights) - set(issues))
    if unknown:
        out.append((path, f"weights name unknown issue(s) {unknown}"))
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
        out.append((path, f"weights must sum to 1, but they sum to {total:.6g}"))
    return out


def _check_teams(cfg: Config) -> Problems:
    problems: Problems = []
    if set(cfg.teams) != set(SIDES):
        problems.append(("teams", f"there must be exactly the teams {list(SIDES)}"))
    for side, team in cfg.teams.items():
        for m, member in team.members.items():
            path = f"teams.{side}.members.{m}.weights"
            problems += _check_weights(path, member.weights, cfg.issues)
        for lvl in ("deputy", "principal"):
            who = getattr(team.leads, lvl)
            if who not in team.members:
                problems.append(
                    (f"teams.{side}.leads.{lvl}", f"{who!r} is not a member of the team")
                )
    return problems


def _check_ratifiers(cfg: Config) -> Problems:
    problems: Problems = []
    for name, rat in cfg.ratifiers.items():
        problems += _check_weights(f"ratifiers.{name}.weights", rat.weights, cfg.issues)
        for issue_name, issue in cfg.issues.items():
            if rat.weights.get(issue_name, 0.0) > 0 and rat.values not in issue.values:
                problems.append(
                    (
                        f"issues.{issue_name}.values",
                        f"ratifier {name!r} needs a values table named {rat.values!r}",
                    )
                )
    return problems


def _check_dates(cfg: Config) -> Problems:
    start, end, cal = cfg.run.start_date, cfg.end_date, cfg.calendar
    dated: list[tuple[str, dt.date]] = [
        *((f"calendar.rounds[{i}].date", e.date) for i, e in enumerate(cal.rounds)),
        *((f"calendar.tariff_actions[{i}].date", e.date) for i, e in enumerate(cal.tariff_actions)),
        *((f"calendar.fed_meetings[{i}]", d) for i, d in enumerate(cal.fed_meetings)),
        *((f"calendar.pboc_meetings[{i}]", d) for i, d in enumerate(cal.pboc_meetings)),
        *((f"calendar.farm_aid[{i}].date", e.date) for i, e in enumerate(cal.farm_aid)),
        *(
            (f"calendar.patience_changes[{i}].date", e.date)
            for i, e in enumerate(cal.patience_changes)
        ),
    ]
    return [
        (path, f"date {day} is outside the horizon {start} to {end}")
        for path, day in dated
        if not start <= day <= end
    ]


def outcome_grid_size(cfg: Config) -> int:
    """Rows of the outcome grid ``sim/issues.py`` enumerates: the product over negotiable
    issues of their levels (plus one for "open" when interim deals are allowed)."""
    extra = 1 if cfg.protocol.allow_interim else 0
    return math.prod(len(i.levels) + extra for i in cfg.issues.values() if i.negotiable)


def _check_size(cfg: Config) -> Problems:
    """The outcome space and the farmers' graph must fit in memory."""
    problems: Problems = []
    n = outcome_grid_size(cfg)
    if n > MAX_OUTCOMES:
        extra = 1 if cfg.protocol.allow_interim else 0
        sizes = " × ".join(
            f"{name} {len(i.levels) + extra}" for name, i in cfg.issues.items() if i.negotiable
        )
        problems.append(
            (
                "issues",
                f"the outcome space would hold {n:,} outcomes ({sizes}); at most "
                f"{MAX_OUTCOMES:,} can be enumerated: use fewer levels or issues, make an issue "
                "non-negotiable, or set protocol.allow_interim = false",
            )
        )
    farmers = cfg.world.farmers
    links = farmers.count * min(farmers.network.k, farmers.count - 1)
    if links > MAX_FARMER_LINKS:
        problems.append(
            (
                "world.farmers.count",
                f"{farmers.count:,} farmers with {farmers.network.k} neighbours each make "
                f"{links:,} links; at most {MAX_FARMER_LINKS:,} fit in memory (lower "
                "world.farmers.count or world.farmers.network.k)",
            )
        )
    return problems


def _check_world(cfg: Config) -> Problems:
    """Tariffs under their ceiling, the Fed's corridor, a computable postponement logit."""
    problems: Problems = []
    t, soy = cfg.world.trade, cfg.world.soybeans
    ceiling = t.tariff_ceiling
    for key, value in (("us_tariff_base", t.us_tariff_base), ("cn_tariff_base", t.cn_tariff_base)):
        if value >= ceiling:  # tariff burdens are measured over (ceiling − base)
            problems.append((f"world.trade.{key}", "must be below world.trade.tariff_ceiling"))
    tariffs = {
        "world.trade.us_tariff_start": t.us_tariff_start,
        "world.trade.cn_tariff_start": t.cn_tariff_start,
        "world.soybeans.soy_tariff_start": soy.soy_tariff_start,
    }
    for name, issue in cfg.issues.items():
        for q in TARIFF_QUANTITIES:
            if q in issue.quantities:
                tariffs[f"issues.{name}.quantities.{q}"] = max(issue.quantities[q])
    problems += [
        (key, f"{value:g} exceeds world.trade.tariff_ceiling ({ceiling:g})")
        for key, value in tariffs.items()
        if value > ceiling
    ]
    fed = cfg.world.fed
    if fed.lower_bound > fed.upper_bound:
        problems.append(("world.fed.lower_bound", "must not exceed world.fed.upper_bound"))
    if not fed.lower_bound <= fed.rate_start <= fed.upper_bound:
        problems.append(("world.fed.rate_start", "must lie between the lower and upper bounds"))
    g = cfg.world.gestures
    cost = max((a.audience_cost for a in cfg.calendar.tariff_actions), default=0.0)
    if g.postpone_bias - g.audience_cost_weight * cost < LOGIT_FLOOR:
        problems.append(
            (
                "world.gestures.audience_cost_weight",
                f"times the largest calendar.tariff_actions audience_cost ({cost:g}) takes the "
                f"postponement logit below {LOGIT_FLOOR:g}, beyond what exp() can compute",
            )
        )
    return problems


def cross_check(cfg: Config) -> Problems:
    """Checks that span sections: weights, names, dates inside the horizon, sizes, ranges."""
    problems = _check_teams(cfg)
    if not cfg.negotiable_issues():
        problems.append(("issues", "at least one issue must be negotiable"))
    problems += _check_ratifiers(cfg)
    problems += [
        (f"readiness.{name}", f"names no issue; known issues are {sorted(cfg.issues)}")
        for name in cfg.readiness
        if name not in cfg.issues
    ]
    if cfg.protocol.min_issues_in_deal > len(cfg.negotiable_issues()):
        problems.append(
            ("protocol.min_issues_in_deal", "is larger than the number of negotiable issues")
        )
    problems += _check_dates(cfg)
    problems += _check_size(cfg)
    problems += _check_world(cfg)
    problems += _check_valuation(cfg)
    return problems


def _check_valuation(cfg: Config) -> Problems:
    """Hostage issues exist; φ̂ stays a share; v2 sections other than [valuation] need it."""
    problems: Problems = []
    if cfg.hostage is not None:
        problems += [
            (f"hostage.issues[{i}]", f"{name!r} is not an issue")
            for i, name in enumerate(cfg.hostage.issues)
            if name not in cfg.issues
        ]
        if cfg.hostage.phi0 + cfg.hostage.phi1 > 1.0 + WEIGHT_TOLERANCE:
            problems.append(("hostage.phi1", "phi0 + phi1 must not exceed 1 (φ̂ is a share)"))
    for name in ("farm_politics", "irreversibility", "hostage"):
        if getattr(cfg, name) is not None and cfg.valuation is None:
            problems.append((name, "needs a [valuation] section (it is part of core v2)"))
    return problems
