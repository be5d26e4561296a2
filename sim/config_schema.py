# size: the checks across sections and the partial config they also run on when some fields
# fail (so one pass names every problem, issue 15) are one contract: what a check may touch.
"""The complete scenario config (``Config``) and the checks that span its sections."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import math
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, model_validator
from tradetalks.sim.config_base import (
    FRONTIER_MAX_OUTCOMES,
    LAZY_ABOVE,
    MAX_COUPLED,
    MAX_ISSUES,
    MAX_NAMED,
    MAX_OUTCOMES,
    SIDES,
    WEIGHT_TOLERANCE,
    Strict,
)
from tradetalks.sim.config_calendar import CalendarConfig, HistoryConfig, RunConfig
from tradetalks.sim.config_makers import MakersConfig
from tradetalks.sim.config_strategies import FACTORED_KINDS, FRONTIER_KINDS
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
    # start anywhere in the record, replay it, branch (sim/history.py); absent: no record
    history: HistoryConfig | None = None

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
    with unchecked():
        if set(cfg.teams) != set(SIDES):
            problems.append(("teams", f"there must be exactly the teams {list(SIDES)}"))
    for side, team in cfg.teams.items():
        with unchecked():
            for m, member in team.members.items():
                with unchecked():
                    path = f"teams.{side}.members.{m}.weights"
                    problems += _check_weights(path, member.weights, cfg.issues)
        for lvl in ("deputy", "principal"):
            with unchecked():
                who = getattr(team.leads, lvl)
                if who not in team.members:
                    problems.append(
                        (f"teams.{side}.leads.{lvl}", f"{who!r} is not a member of the team")
                    )
    return problems


def _check_ratifiers(cfg: Config) -> Problems:
    problems: Problems = []
    for name, rat in cfg.ratifiers.items():
        with unchecked():
            problems += _check_weights(f"ratifiers.{name}.weights", rat.weights, cfg.issues)
        for issue_name, issue in cfg.issues.items():
            with unchecked():
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
    problems: Problems = []
    for name, attr in DATED:
        with unchecked():
            for i, item in enumerate(getattr(cal, name)):
                with unchecked():
                    day = getattr(item, attr) if attr else item
                    if not start <= day <= end:
                        path = f"calendar.{name}[{i}]" + (f".{attr}" if attr else "")
                        problems.append(
                            (path, f"date {day} is outside the horizon {start} to {end}")
                        )
    return problems


def outcome_grid_size(cfg: Config) -> int:
    """Rows of the outcome grid ``sim/issues.py`` enumerates: the product over negotiable
    issues of their levels (plus one for "open" when interim deals are allowed)."""
    extra = 1 if cfg.protocol.allow_interim else 0
    return math.prod(len(i.levels) + extra for i in cfg.issues.values() if i.negotiable)


def enumerable(cfg: Config) -> bool:
    """True if ``cfg``'s outcome space is small enough to enumerate (``MAX_OUTCOMES``); a
    larger one runs on its frontiers (``frontier_problem``)."""
    return outcome_grid_size(cfg) <= MAX_OUTCOMES


def frontier_problem(cfg: Config) -> str | None:
    """Why a run of ``cfg`` could pick an outcome off the frontiers ``sim/frontier_rows.py``
    keeps, every reason joined by "; " (None: it cannot, so it may run on them).  Every value
    must be additive and fixed (no core-v2 valuation, hostage, private types or replayed
    record), nothing may mask outcomes during the run (no interim deals, ratifiers, readiness,
    agenda dates or legislative levels), and each team must be one member whose strategy
    declares ``frontier_offers`` (``config_strategies.FRONTIER_KINDS``)."""
    why = []
    if cfg.protocol.allow_interim:
        why.append("protocol.allow_interim is true (agreed issues mask outcomes)")
    why += [
        f"[{key}] is set (values that are not fixed and additive)"
        for key in ("valuation", "hostage", "types", "history")
        if getattr(cfg, key) is not None
    ]
    if cfg.ratifiers or cfg.readiness:
        why.append("[ratifiers] or [readiness] mask outcomes during the run")
    why += [
        f"issues.{name} has an agenda date or legislative levels"
        for name, issue in cfg.issues.items()
        if issue.on_agenda_from is not None or any(issue.needs_legislation)
    ]
    for side, team in cfg.teams.items():
        kinds = {m.strategy.kind for m in team.members.values()}
        if len(team.members) != 1:
            why.append(f"teams.{side} has {len(team.members)} members (one is needed)")
        elif not kinds <= set(FRONTIER_KINDS):
            why.append(
                f"teams.{side}'s strategy {kinds.pop()!r} does not declare frontier offers "
                f"(kinds that do: {', '.join(FRONTIER_KINDS)})"
            )
    return "; ".join(why) or None


def lazy_problem(cfg: Config) -> str | None:
    """Why a core-v2 run of ``cfg`` cannot run on a space never enumerated (sim/lazy_space.py),
    every reason joined by "; " (None: it can).  Its rounds then cover only the outcomes the
    factored search finds (sim/factored_rounds.py): the strategy of every member leading a
    round must declare ``factored_rounds`` (``config_strategies.FACTORED_KINDS``), an outcome
    must cover at most one issue to count, a body voting only on legislation must meet no
    legislative outcome (the agreement type is then not a sum over issues), and the issues
    the values couple must combine into at most ``MAX_COUPLED`` (the ones the config names;
    a run meeting more stops naming them, sim/factored_v2.py)."""
    why = []
    if cfg.valuation is None:
        why.append("[valuation] is not set (only core-v2 runs search rounds issue by issue)")
    if cfg.protocol.min_issues_in_deal > 1:
        why.append(f"protocol.min_issues_in_deal is {cfg.protocol.min_issues_in_deal} (1 at most)")
    for side, team in cfg.teams.items():
        for role in dict.fromkeys((team.leads.deputy, team.leads.principal)):  # rounds' rules
            member = team.members.get(role)
            if member is not None and member.strategy.kind not in FACTORED_KINDS:
                why.append(
                    f"teams.{side}.members.{role}'s strategy {member.strategy.kind!r} does not "
                    f"declare factored rounds (kinds that do: {', '.join(FACTORED_KINDS)})"
                )
    coupled = {n for n in (cfg.hostage.issues if cfg.hostage else []) if n in cfg.issues}
    pairs = cfg.valuation.joint_issues if cfg.valuation is not None else []
    coupled |= {n for pair in pairs for n in pair if n in cfg.issues}
    extra = int(cfg.protocol.allow_interim)
    count = math.prod(len(cfg.issues[n].levels) + extra for n in coupled)
    if problem := coupled_problem(sorted(coupled), count):
        why.append(f"hostage.issues and valuation.joint_issues: {problem}")
    why += legislation_votes(cfg)
    return "; ".join(why) or None


def legislation_votes(cfg: Config) -> list[str]:
    """The bodies voting only on legislation that some outcome may need (a deal's type, and
    with it their vote and Congress's pressure, is then not a sum over issues), each named."""
    why = []
    for name, rat in cfg.ratifiers.items():
        if rat.applies_to != "legislative":
            continue
        hit = [
            n
            for n, i in cfg.issues.items()
            if i.negotiable and any(i.needs_legislation) and i.concedes in (rat.side, "both")
        ]
        if hit:
            why.append(f"ratifiers.{name} votes on legislation that {', '.join(hit)} may need")
    return why


def coupled_problem(names: list[str], count: int) -> str | None:
    """Why the ``count`` combinations of the coupled issues ``names`` cannot be listed
    (``MAX_COUPLED``), or None."""
    if count <= MAX_COUPLED:
        return None
    return (
        f"the values couple {len(names)} issues ({', '.join(names)}): their {count:,} "
        f"combinations pass {MAX_COUPLED:,} (fewer hostage issues, jointly valued pairs or levels)"
    )


def never_enumerated(cfg: Config) -> bool:
    """True if ``cfg``'s core-v2 run goes without enumerating its space (sim/lazy_space.py):
    it can (``lazy_problem``), and the space holds more than ``LAZY_ABOVE`` outcomes."""
    if cfg.valuation is None or outcome_grid_size(cfg) <= LAZY_ABOVE:
        return False
    return lazy_problem(cfg) is None


def _check_size(cfg: Config) -> Problems:
    """The outcome space and the farmers' graph must fit in memory: a space larger than can
    be enumerated only for a run that keeps just its frontiers (``frontier_problem``) or a
    core-v2 run that searches its rounds issue by issue (``lazy_problem``)."""
    problems: Problems = []
    with unchecked():
        n = outcome_grid_size(cfg)
        if enumerable(cfg):
            why = None
        else:
            why = frontier_problem(cfg) if cfg.valuation is None else lazy_problem(cfg)
        if n > FRONTIER_MAX_OUTCOMES and why is None:
            why = (
                f"it holds more than {FRONTIER_MAX_OUTCOMES:.0e} outcomes, the frontier runs' bound"
            )
        if why is not None:
            extra = 1 if cfg.protocol.allow_interim else 0
            sizes = " × ".join(
                f"{name} {len(i.levels) + extra}" for name, i in cfg.issues.items() if i.negotiable
            )
            advice = ", or set protocol.allow_interim = false" if extra else ""
            how = "on its frontiers alone" if cfg.valuation is None else "never enumerated"
            problems.append(
                (
                    "issues",
                    f"the outcome space would hold {n:,} outcomes ({sizes}); at most "
                    f"{MAX_OUTCOMES:,} can be enumerated (use fewer levels or issues, or make an "
                    f"issue non-negotiable{advice}), and it cannot run {how}: {why}",
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


def _check_tariffs(cfg: Config) -> Problems:
    """Tariffs under their ceiling (burdens are measured over ceiling − base)."""
    problems: Problems = []
    t, ceiling = cfg.world.trade, cfg.world.trade.tariff_ceiling
    for key in ("us_tariff_base", "cn_tariff_base"):
        with unchecked():
            if getattr(t, key) >= ceiling:
                problems.append((f"world.trade.{key}", "must be below world.trade.tariff_ceiling"))
    tariffs = [
        ("world.trade.us_tariff_start", lambda: t.us_tariff_start),
        ("world.trade.cn_tariff_start", lambda: t.cn_tariff_start),
        ("world.soybeans.soy_tariff_start", lambda: cfg.world.soybeans.soy_tariff_start),
    ]
    for name, issue in cfg.issues.items():
        for q in TARIFF_QUANTITIES:
            with unchecked():
                if q in issue.quantities:
                    top = max(issue.quantities[q])
                    tariffs.append((f"issues.{name}.quantities.{q}", lambda v=top: v))
    for key, value in tariffs:
        with unchecked():
            if value() > ceiling:
                problems.append(
                    (key, f"{value():g} exceeds world.trade.tariff_ceiling ({ceiling:g})")
                )
    return problems


def _check_world(cfg: Config) -> Problems:
    """The Fed's corridor, a computable postponement logit."""
    problems: Problems = []
    fed = cfg.world.fed
    with unchecked():
        if fed.lower_bound > fed.upper_bound:
            problems.append(("world.fed.lower_bound", "must not exceed world.fed.upper_bound"))
    with unchecked():
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


def _check_negotiable(cfg: Config) -> Problems:
    if not cfg.negotiable_issues():
        return [("issues", "at least one issue must be negotiable")]
    return []


def _check_names(cfg: Config) -> Problems:
    """Readiness names issues; a deal can cover enough issues."""
    problems: Problems = []
    with unchecked():
        problems += [
            (f"readiness.{name}", f"names no issue; known issues are {sorted(cfg.issues)}")
            for name in cfg.readiness
            if name not in cfg.issues
        ]
    if cfg.protocol.min_issues_in_deal > len(cfg.negotiable_issues()):
        problems.append(
            ("protocol.min_issues_in_deal", "is larger than the number of negotiable issues")
        )
    return problems


def _check_valuation(cfg: Config) -> Problems:
    """Hostage issues exist; φ̂ stays a share; v2 sections other than [valuation] need it."""
    problems: Problems = []
    with unchecked():
        if cfg.hostage is not None:
            problems += [
                (f"hostage.issues[{i}]", f"{name!r} is not an issue")
                for i, name in enumerate(cfg.hostage.issues)
                if name not in cfg.issues
            ]
    with unchecked():
        if cfg.valuation is not None:
            for i, pair in enumerate(cfg.valuation.joint_issues):
                problems += [
                    (f"valuation.joint_issues[{i}]", f"{name!r} is not an issue")
                    for name in pair
                    if name not in cfg.issues
                ]
                if len(set(pair)) < len(pair):
                    problems.append((f"valuation.joint_issues[{i}]", "names one issue twice"))
    with unchecked():
        if cfg.hostage is not None and cfg.hostage.phi0 + cfg.hostage.phi1 > 1.0 + WEIGHT_TOLERANCE:
            problems.append(("hostage.phi1", "phi0 + phi1 must not exceed 1 (φ̂ is a share)"))
    for name in ("farm_politics", "irreversibility", "hostage"):
        if getattr(cfg, name) is not None and cfg.valuation is None:
            problems.append((name, "needs a [valuation] section (it is part of core v2)"))
    return problems


# the checks that span sections, in the order their problems are listed
CHECKS = (
    _check_teams,
    _check_negotiable,
    _check_ratifiers,
    _check_names,
    _check_dates,
    _check_size,
    _check_tariffs,
    _check_world,
    _check_valuation,
)


def cross_check(cfg: Config, partial: bool = False) -> Problems:
    """Checks that span sections: weights, names, dates inside the horizon, sizes, ranges.

    ``partial``: ``cfg`` comes from ``partial_config``, and each check (or part of one) that
    meets a value which failed its own checks is skipped."""
    token = _SKIPPED.set((SkipCheck, TypeError) if partial else (SkipCheck,))
    try:
        problems: Problems = []
        for check in CHECKS:
            with unchecked():
                problems += check(cfg)
        return problems
    finally:
        _SKIPPED.reset(token)


# --------------------------------------------------------------------------- partial configs
# When some values fail their checks, the checks above still run on the rest, so one pass names
# every problem: ``partial_config`` rebuilds the raw config with each value that failed (or
# whose section failed its own check) replaced by ``UNCHECKED``, and any use of that skips the
# check, or the part of it, that meets it (``unchecked``).  A valid config has none.
DATED = (  # calendar lists and the key of each item's date ("": the items are dates)
    ("rounds", "date"),
    ("tariff_actions", "date"),
    ("fed_meetings", ""),
    ("pboc_meetings", ""),
    ("farm_aid", "date"),
    ("patience_changes", "date"),
    ("rrr_cuts", "date"),
)


class SkipCheck(Exception):  # noqa: N818 - not an error: a check skipped
    """A check met a value that failed its own checks."""


# what skips a check: ``UNCHECKED`` used, or (on a partial config only) handed to a built-in
# function that checks types itself (``timedelta(weeks=UNCHECKED)``: a TypeError)
_SKIPPED: contextvars.ContextVar[tuple[type[Exception], ...]] = contextvars.ContextVar(
    "skipped", default=(SkipCheck,)
)


def unchecked() -> contextlib.suppress:
    """A block that is skipped from where it meets a value that failed its own checks."""
    return contextlib.suppress(*_SKIPPED.get())


def _skip(*_: Any) -> Any:
    raise SkipCheck


class _Unchecked:
    """A value that failed its checks: any use of it (but ``is``) raises ``SkipCheck``."""

    __getattr__ = __getitem__ = __iter__ = __len__ = __bool__ = __contains__ = _skip
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _skip  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _skip
    __rtruediv__ = __neg__ = __float__ = __int__ = __index__ = __format__ = _skip  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "UNCHECKED"


UNCHECKED: Any = _Unchecked()


def partial_problems(raw: Any, errors: list[Any]) -> Problems:
    """The problems of the checks across sections that can run on the values of ``raw``
    that passed their own checks (pydantic's ``errors`` name those that did not)."""
    try:
        return cross_check(partial_config(raw, errors), partial=True)
    except Exception:  # best effort: the fields' own problems are reported anyway
        return []


def partial_config(raw: Any, errors: list[Any]) -> Config:
    """``Config`` from ``raw`` without its own checks, with ``UNCHECKED`` for every value at
    or above one of the error locations of pydantic's ``errors`` (the rest validated)."""
    built = _partial(Config, raw, (), [tuple(e["loc"]) for e in errors])
    return built if isinstance(built, Config) else Config.model_construct()


def _partial(model: type[BaseModel], raw: Any, at: tuple[Any, ...], locs: list[Any]) -> Any:
    mine = [loc[len(at) :] for loc in locs if loc[: len(at)] == at]
    if not mine:
        return _validated(model, None, raw)
    if () in mine or not isinstance(raw, dict):  # the section failed its own check
        return UNCHECKED
    values = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in raw:
            values[name] = (
                UNCHECKED if field.is_required() else field.get_default(call_default_factory=True)
            )
        elif any(loc[:1] == (key,) for loc in mine):
            values[name] = _partial_field(field.annotation, raw[key], (*at, key), locs)
        else:
            values[name] = _validated(model, name, raw[key])
    return model.model_construct(**values)


def _partial_field(annotation: Any, value: Any, at: tuple[Any, ...], locs: list[Any]) -> Any:
    """A value with errors at or below it: a section, or a table or list of sections, is
    rebuilt part by part; anything else is ``UNCHECKED``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation, args = args[0], list(typing.get_args(args[0]))  # X | None
    origin, item = typing.get_origin(annotation), args[-1] if args else None
    if at in locs or value is None:
        return UNCHECKED
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _partial(annotation, value, at, locs)
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return UNCHECKED
    if origin is dict and isinstance(value, dict):
        if any(
            loc[len(at) + 1 : len(at) + 2] == ("[key]",) for loc in locs if loc[: len(at)] == at
        ):
            return UNCHECKED  # a name outside its vocabulary
        return {k: _partial(item, v, (*at, k), locs) for k, v in value.items()}
    if origin is list and isinstance(value, list):
        return [_partial(item, v, (*at, i), locs) for i, v in enumerate(value)]
    return UNCHECKED


@functools.cache
def _adapter(model: type[BaseModel], name: str | None) -> TypeAdapter[Any]:
    """Validates one field of ``model`` (its type and constraints), or the whole model."""
    if name is None:
        return TypeAdapter(model)
    field = model.model_fields[name]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(Annotated[field.annotation, *field.metadata])


def _validated(model: type[BaseModel], name: str | None, value: Any) -> Any:
    try:
        return _adapter(model, name).validate_python(value, strict=True)
    except ValidationError:
        return UNCHECKED
