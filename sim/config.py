"""Scenario configuration: TOML loading, inheritance, `--set` overrides and validation.

A config is a TOML file validated by pydantic models with unknown keys forbidden.  A
scenario may name a parent with ``extends = "path.toml"`` and override only what differs.
Every problem is reported by its dotted key path in plain words (``ConfigError``).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from tradetalks.sim.indicators import PRESSURES, RATIFIER_INDICATORS
from tradetalks.sim.shipped import locate, shipped_names

SIDES = ("us", "china")
MAX_LEVELS = 1001  # a divisible issue (a pie) may be finely graded; beyond this is a typo
WEIGHT_TOLERANCE = 1e-6  # numerical tolerance when checking that weights sum to 1


class ConfigError(Exception):
    """A config (or override) is invalid; ``problems`` lists (key path, message) pairs."""

    what = "configuration"  # what kind of input was invalid, for the message

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        """One readable paragraph naming every problem by its key path."""
        head = f"Invalid {self.what}{f' {self.source}' if self.source else ''}: "
        head += f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}."
        lines = [head] + [f"  - {path or '(top level)'}: {msg}" for path, msg in self.problems]
        return "\n".join(lines)


# --------------------------------------------------------------------------- field types
Finite = Annotated[float, Field(allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Pos = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Probability = Unit


class Strict(BaseModel):
    """Base for all config sections: unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


# --------------------------------------------------------------------------- sections
class RunConfig(Strict):
    """When the run starts and how long it lasts."""

    start_date: dt.date
    weeks: Annotated[int, Field(ge=1, le=520)]
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1


class IssueConfig(Strict):
    """One negotiable issue: ordered levels, their economic quantities and values."""

    description: str = ""
    concedes: Literal["us", "china", "both"]
    levels: Annotated[list[str], Field(min_length=2, max_length=MAX_LEVELS)]
    status_quo: str
    negotiable: bool = True
    quantities: dict[str, list[Finite]] = Field(default_factory=dict)
    values: dict[str, list[Unit]]

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
        for name, table in {**self.values, **self.quantities}.items():
            if len(table) != n:
                raise ValueError(f"{name!r} has {len(table)} entries but there are {n} levels")
        if self.concedes != "both":
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
        return self


class StrategyConfig(Strict):
    """A negotiator's strategy by name, with its parameters."""

    kind: str
    params: dict[str, Finite] = Field(default_factory=dict)


class MemberConfig(Strict):
    """One member of a negotiating team (a Mesa agent)."""

    title: str = ""
    influence: Pos
    pressure_sensitivity: Finite = 0.0
    weights: dict[str, NonNeg]
    strategy: StrategyConfig


class ReservationConfig(Strict):
    """Reservation value = base − Σ coefficient × pressure (pressures in [0, 1])."""

    base: Unit
    coefficients: dict[str, Finite] = Field(default_factory=dict)

    @field_validator("coefficients")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(PRESSURES))
        if unknown:
            raise ValueError(
                f"unknown pressure(s) {unknown}; known pressures are {sorted(PRESSURES)}"
            )
        return v


class LeadsConfig(Strict):
    """Which member speaks for the team at each level of talks."""

    deputy: str
    principal: str


class TeamConfig(Strict):
    """A negotiating team: members, patience and reservation dynamics."""

    name: str
    patience: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]
    reservation: ReservationConfig
    leads: LeadsConfig
    members: dict[str, MemberConfig]
    pressure_weights: dict[str, NonNeg] = Field(default_factory=dict)

    @field_validator("members")
    @classmethod
    def _nonempty(cls, v: dict[str, MemberConfig]) -> dict[str, MemberConfig]:
        if not v:
            raise ValueError("a team needs at least one member")
        return v

    @field_validator("pressure_weights")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(PRESSURES))
        if unknown:
            raise ValueError(f"unknown pressure(s) {unknown}")
        return v


class RatifierConfig(Strict):
    """A domestic body whose support a deal needs (two-level game win-set)."""

    side: Literal["us", "china"]
    values: str
    weights: dict[str, NonNeg]
    base: Unit = 0.5
    base_indicator: str | None = None
    sensitivity: NonNeg = 1.0
    threshold: Unit

    @field_validator("base_indicator")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in RATIFIER_INDICATORS:
            raise ValueError(f"unknown indicator {v!r}; known: {sorted(RATIFIER_INDICATORS)}")
        return v


class ProtocolConfig(Strict):
    """Alternating-offers protocol settings."""

    max_offers_per_round: Annotated[int, Field(ge=1, le=100)]
    first_mover: Literal["us", "china"] = "us"
    alternate_first_mover: bool = True
    allow_interim: bool = True
    min_issues_in_deal: Annotated[int, Field(ge=1)] = 1
    goodwill_credit: Unit = 0.0
    talks_window_weeks: Annotated[int, Field(ge=0, le=52)] = 2


class RoundEvent(Strict):
    """A scheduled negotiation round."""

    date: dt.date
    level: Literal["deputy", "principal"]
    note: str = ""


class TariffAction(Strict):
    """A scheduled tariff change that fires at its date unless the acting side postpones it."""

    date: dt.date
    side: Literal["us", "china"]
    label: str
    tariff_delta_pp: Finite
    soy_tariff_delta_pp: Finite = 0.0
    postponable: bool = True
    postpone_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    audience_cost: NonNeg = 0.0


class AidTranche(Strict):
    """A scheduled farm-aid (MFP) payment."""

    date: dt.date
    amount_bn: NonNeg


class PatienceChange(Strict):
    """A dated change in a team's patience (a deadline, an election)."""

    date: dt.date
    team: Literal["us", "china"]
    patience: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]
    note: str = ""


class CalendarConfig(Strict):
    """Everything that happens on a date."""

    rounds: list[RoundEvent] = Field(default_factory=list)
    tariff_actions: list[TariffAction] = Field(default_factory=list)
    fed_meetings: list[dt.date] = Field(default_factory=list)
    pboc_meetings: list[dt.date] = Field(default_factory=list)
    farm_aid: list[AidTranche] = Field(default_factory=list)
    patience_changes: list[PatienceChange] = Field(default_factory=list)


class TradeConfig(Strict):
    """Bilateral trade and tariffs."""

    us_imports_base_bn: Pos
    cn_imports_base_bn: Pos
    us_tariff_start: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    cn_tariff_start: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    us_tariff_base: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    cn_tariff_base: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    tariff_ceiling: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
    us_import_elasticity: NonNeg
    cn_import_elasticity: NonNeg
    fx_passthrough: Unit


class SoybeanConfig(Strict):
    """US soybean exports to China and the soybean price."""

    exports_normal_bn: Pos
    soy_tariff_start: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    soy_tariff_mfn: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    elasticity: NonNeg
    price_normal: Pos
    price_flex: NonNeg
    purchase_soy_share: Unit
    purchase_ramp_weeks: Annotated[int, Field(ge=1, le=104)]
    goodwill_purchase_bn: NonNeg
    goodwill_decay: Unit


class GrowthConfig(Strict):
    """Reduced-form growth of both economies (annualised %)."""

    us_potential: Pos
    cn_potential: Pos
    us_start: Finite
    cn_start: Finite
    adjustment: Unit
    us_tariff_drag: NonNeg
    us_uncertainty_drag: NonNeg
    us_rate_effect: NonNeg
    cn_export_drag: NonNeg
    cn_huawei_drag: NonNeg
    cn_uncertainty_drag: NonNeg
    cn_rrr_effect: NonNeg
    shock_sd: NonNeg
    shortfall_scale: Pos


class UncertaintyConfig(Strict):
    """Trade-policy uncertainty index in [0, 1]."""

    start: Unit
    base: Unit
    threat_weight: NonNeg
    threat_scale_pp: Pos
    no_deal_weight: NonNeg
    escalation_jump: Unit
    deal_relief: Unit
    adjustment: Unit


class FedConfig(Strict):
    """The Federal Reserve's policy-rate rule, applied at scheduled meetings."""

    rate_start: Annotated[float, Field(ge=0, le=20, allow_inf_nan=False)]
    neutral: Annotated[float, Field(ge=0, le=20, allow_inf_nan=False)]
    growth_response: NonNeg
    uncertainty_response: NonNeg
    step: Pos
    lower_bound: Annotated[float, Field(ge=0, le=20, allow_inf_nan=False)]
    upper_bound: Annotated[float, Field(ge=0, le=20, allow_inf_nan=False)]


class PBoCConfig(Strict):
    """The People's Bank of China: managed CNY/USD, threshold, label, reserve ratio."""

    cny_start: Pos
    cny_anchor: Pos
    tariff_offset: Unit
    adjustment: Unit
    shock_sd: NonNeg
    threshold: Pos
    pledge_margin: NonNeg
    designation_weeks: Annotated[int, Field(ge=1, le=52)]
    lift_weeks: Annotated[int, Field(ge=1, le=52)]
    lift_probability: Probability
    manipulator_start: bool
    rrr_start: Annotated[float, Field(ge=0, le=50, allow_inf_nan=False)]
    rrr_cut: NonNeg
    rrr_floor: Annotated[float, Field(ge=0, le=50, allow_inf_nan=False)]
    rrr_trigger_shortfall: Unit


class HuaweiConfig(Strict):
    """Huawei's status under US export controls."""

    status_start: Unit
    supplier_loss_weight: Unit


class NetworkConfig(Strict):
    """The farmers' social graph (Watts–Strogatz small world)."""

    kind: Literal["watts_strogatz"] = "watts_strogatz"
    k: Annotated[int, Field(ge=2, le=50)]
    p: Probability


class FarmerConfig(Strict):
    """US soybean farmers: heterogeneity, income, aid and approval dynamics."""

    count: Annotated[int, Field(ge=2, le=400_000)]
    network: NetworkConfig
    size_log_mean: Finite
    size_log_sd: NonNeg
    soy_share_alpha: Pos
    soy_share_beta: Pos
    debt_alpha: Pos
    debt_beta: Pos
    leaning_mean: Finite
    leaning_sd: NonNeg
    revenue_total_bn: Pos
    aid_soy_share: Unit
    debt_amplification: NonNeg
    welfare_response: NonNeg
    talks_response: NonNeg
    talks_signal_decay: Unit
    own_adjustment: Unit
    social_adjustment: Unit


class GesturesConfig(Strict):
    """Postponements of tariff actions as goodwill, and reciprocity."""

    postpone_bias: Finite
    postpone_talks_weight: NonNeg
    postpone_pressure_weight: NonNeg
    audience_cost_weight: NonNeg
    reciprocate_probability: Probability
    talks_signal_gesture: Finite
    talks_signal_escalation: Finite
    talks_signal_deal: Finite


class PoliticsConfig(Strict):
    """Political incidents (e.g. Hong Kong, the NBA tweet in Oct 2019) that harden one side."""

    incident_probability: Probability
    incident_hardening: NonNeg


class WorldConfig(Strict):
    """All coefficients of the domestic and economic dynamics."""

    trade: TradeConfig
    soybeans: SoybeanConfig
    growth: GrowthConfig
    uncertainty: UncertaintyConfig
    fed: FedConfig
    pboc: PBoCConfig
    huawei: HuaweiConfig
    farmers: FarmerConfig
    gestures: GesturesConfig
    politics: PoliticsConfig


class Config(Strict):
    """A complete, validated scenario."""

    name: str = "scenario"
    description: str = ""
    run: RunConfig
    issues: dict[str, IssueConfig]
    teams: dict[str, TeamConfig]
    ratifiers: dict[str, RatifierConfig] = Field(default_factory=dict)
    protocol: ProtocolConfig
    calendar: CalendarConfig
    world: WorldConfig

    @model_validator(mode="after")
    def _cross_check(self) -> Config:
        problems = cross_check(self)
        if problems:
            raise _CrossCheckError(problems)
        return self

    @property
    def end_date(self) -> dt.date:
        """The last day of the horizon."""
        return self.run.start_date + dt.timedelta(weeks=self.run.weeks) - dt.timedelta(days=1)

    def week_of(self, day: dt.date) -> int:
        """Week number (1-based) in which ``day`` falls."""
        return (day - self.run.start_date).days // 7 + 1

    def negotiable_issues(self) -> list[str]:
        """Names of the issues on the table, in config order."""
        return [k for k, v in self.issues.items() if v.negotiable]


class _CrossCheckError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _check_weights(path: str, weights: dict[str, float], issues: dict[str, Any]) -> list:
    out = []
    unknown = sorted(set(weights) - set(issues))
    if unknown:
        out.append((path, f"weights name unknown issue(s) {unknown}"))
    total = sum(weights.values())
    if not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
        out.append((path, f"weights must sum to 1, but they sum to {total:.6g}"))
    return out


def cross_check(cfg: Config) -> list[tuple[str, str]]:
    """Checks that span sections: weights, names, dates inside the horizon."""
    problems: list[tuple[str, str]] = []
    if set(cfg.teams) != set(SIDES):
        problems.append(("teams", f"there must be exactly the teams {list(SIDES)}"))
    if not cfg.negotiable_issues():
        problems.append(("issues", "at least one issue must be negotiable"))
    for side, team in cfg.teams.items():
        for m, member in team.members.items():
            problems += _check_weights(
                f"teams.{side}.members.{m}.weights", member.weights, cfg.issues
            )
        for lvl in ("deputy", "principal"):
            who = getattr(team.leads, lvl)
            if who not in team.members:
                problems.append(
                    (f"teams.{side}.leads.{lvl}", f"{who!r} is not a member of the team")
                )
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
    if cfg.protocol.min_issues_in_deal > len(cfg.negotiable_issues()):
        problems.append(
            ("protocol.min_issues_in_deal", "is larger than the number of negotiable issues")
        )
    start, end = cfg.run.start_date, cfg.end_date
    cal = cfg.calendar

    def date_ok(path: str, day: dt.date) -> None:
        if not start <= day <= end:
            problems.append((path, f"date {day} is outside the horizon {start} to {end}"))

    for i, ev in enumerate(cal.rounds):
        date_ok(f"calendar.rounds[{i}].date", ev.date)
    for i, ev in enumerate(cal.tariff_actions):
        date_ok(f"calendar.tariff_actions[{i}].date", ev.date)
    for i, day in enumerate(cal.fed_meetings):
        date_ok(f"calendar.fed_meetings[{i}]", day)
    for i, day in enumerate(cal.pboc_meetings):
        date_ok(f"calendar.pboc_meetings[{i}]", day)
    for i, ev in enumerate(cal.farm_aid):
        date_ok(f"calendar.farm_aid[{i}].date", ev.date)
    for i, ev in enumerate(cal.patience_changes):
        date_ok(f"calendar.patience_changes[{i}].date", ev.date)
    fed = cfg.world.fed
    if fed.lower_bound > fed.upper_bound:
        problems.append(("world.fed.lower_bound", "must not exceed world.fed.upper_bound"))
    if not fed.lower_bound <= fed.rate_start <= fed.upper_bound:
        problems.append(("world.fed.rate_start", "must lie between the lower and upper bounds"))
    return problems


# --------------------------------------------------------------------------- loading
def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _plain(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "")
    if kind == "extra_forbidden":
        return "unknown key (not part of the configuration schema)"
    if kind == "missing":
        return "required key is missing"
    if kind == "finite_number":
        return "must be a finite number (NaN and infinity are not allowed)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[0].lower() + msg[1:] if msg else kind


def _problems_from(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, _CrossCheckError):
            problems += ctx_err.problems
            continue
        path = _loc_to_path(tuple(p for p in err["loc"] if p not in ("function-after",)))
        problems.append((path, _plain(err)))
    return problems


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML config and resolve its ``extends`` chain into one plain dict."""
    p = Path(path).resolve()
    if p in _seen:
        raise ConfigError([("extends", f"circular inheritance through {p}")], str(path))
    if not p.is_file():
        hint = "" if _seen else f" (nor a shipped config: {', '.join(shipped_names())})"
        raise ConfigError([("", f"file not found: {path}{hint}")], str(path))
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("", f"TOML syntax error: {exc}")], str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError([("", "the file is not UTF-8 text")], str(path)) from None
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError([("extends", "must be a path to the parent config")], str(path))
    base = read_raw(p.parent / parent, (*_seen, p))
    return _deep_merge(base, data)


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value (else a string)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Set dotted key paths in a raw config (list items by index, e.g. ``calendar.farm_aid.0``).

    Missing table keys are created so that keys with defaults can be set; validation then
    rejects any key the schema does not know, by its path.
    """
    if not overrides:
        return raw
    out = copy.deepcopy(raw)
    problems = []
    for key, value in overrides.items():
        parts = key.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            else:
                where = ".".join(parts[:depth]) or "(top level)"
                problems.append((key, f"unknown key: {where} has no item {part!r}"))
                break
    if problems:
        raise ConfigError(problems, "(overrides)")
    return out


def validate_raw(raw: dict[str, Any], source: str | None = None) -> Config:
    """Validate a resolved raw dict into a ``Config`` or raise ``ConfigError``."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc), source) from None


def load_config(
    source: str | Path | Config | dict[str, Any],
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Load and validate a config from a path, a raw dict or a Config, then apply overrides.

    The calendar is checked against the scenario's own horizon; an override of ``run.weeks``
    (a shorter or longer run) is applied after that check, so a shorter run simply stops
    before later events.
    """
    overrides = dict(overrides or {})
    weeks = overrides.pop("run.weeks", None)
    if isinstance(source, Config):
        cfg = (
            source
            if not overrides
            else validate_raw(apply_overrides(dump_config(source), overrides))
        )
    else:
        if isinstance(source, dict):
            raw, name = source, None  # validation and overrides never mutate it
        else:
            raw, name = read_raw(locate(source)), str(source)
        cfg = validate_raw(apply_overrides(raw, overrides), name)
    return cfg if weeks is None else with_weeks(cfg, weeks)


def with_weeks(cfg: Config, weeks: Any) -> Config:
    """The same scenario run for a different number of weeks (validated like any value)."""
    run = dump_config(cfg)["run"]
    run["weeks"] = weeks
    try:
        new_run = RunConfig.model_validate(run)
    except ValidationError as exc:
        raise ConfigError(
            [(f"run.{p}", m) for p, m in _problems_from(exc)], "(overrides)"
        ) from None
    end = new_run.start_date + dt.timedelta(weeks=new_run.weeks) - dt.timedelta(days=1)

    def keep(day: dt.date) -> bool:
        return day <= end

    cal = cfg.calendar
    calendar = cal.model_copy(
        update={
            "rounds": [e for e in cal.rounds if keep(e.date)],
            "tariff_actions": [e for e in cal.tariff_actions if keep(e.date)],
            "fed_meetings": [d for d in cal.fed_meetings if keep(d)],
            "pboc_meetings": [d for d in cal.pboc_meetings if keep(d)],
            "farm_aid": [e for e in cal.farm_aid if keep(e.date)],
            "patience_changes": [e for e in cal.patience_changes if keep(e.date)],
        }
    )
    # events after a shortened horizon cannot happen: the resolved config drops them
    return cfg.model_copy(update={"run": new_run, "calendar": calendar})


def dump_config(cfg: Config) -> dict[str, Any]:
    """The config as a plain TOML-ready dict (dates stay dates)."""
    return cfg.model_dump(mode="python")


def to_toml(cfg: Config) -> str:
    """Serialise a config to TOML text that ``load_config`` reads back equal."""
    return tomli_w.dumps(_drop_none(dump_config(cfg)))


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
