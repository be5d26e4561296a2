# size: one small schema class per record kind (19 kinds), the loader and the ontology that
# must name those kinds, kept in one module so the vocabulary cannot drift between files.
"""The dated record of the talks as data (issue 14): typed entries, a loader, small queries.

The record is not a model config: it is what happened from March 2018 to the start week
(16-20 September 2019), each entry dated and sourced (``configs/record/``, package data; the
facts with their sources are in ``docs/facts/record-2018-2019.md``).  ``load_record`` reads and
validates a record file, every problem a ``RecordError`` naming its key; ``Record`` answers the
queries a replay, a statistic or a score needs.  ``ONTOLOGY`` maps each public event kind of the
model (``sim/protocol.py: EVENT_KINDS``) to the record entries it is matched with; docs/RECORD.md
explains the kinds, the matching rules and what the model cannot produce.

Conventions: an entry is dated by the day it happened; an observation over a period (a monthly
average, a quarter's growth) by the last day of its period, with ``period_start``.  Forward
fields (``due``, ``from_date``, ``to_date``, ``pending``) hold what was scheduled as of the
entry's date and may lie after the window; nothing else does.  ``approx`` names the figures
the facts give as approximate ("date" for an approximate date), ``at_least`` those given as
lower bounds.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from tradetalks.sim.config_base import (
    PERCENT_MAX,
    RRR_MAX,
    START_DATE_MAX,
    START_DATE_MIN,
    ConfigError,
    Percent,
    Rate,
    Strict,
    between,
    positive,
)
from tradetalks.sim.shipped import shipped_root

SHIPPED = "record-2018-2019"  # configs/record/record-2018-2019.toml
MAX_RECORD_BYTES = 1_000_000  # hand-written text: the shipped record is about 30 kB
MAX_ENTRIES = 10_000
BASELINE_DAYS = 5 * 366  # the baseline list reaches at most five years before the window
# the names entries cite (a source field lists one or more, comma-separated)
SOURCES = (
    "USTR", "FR", "MOFCOM", "Reuters", "PIIE", "Fed", "BEA", "NBS", "Census", "USDA",
    "Treasury", "Commerce", "PBoC", "ECB", "US Soybean Export Council", "Purdue/CME",
    "seed report", "2 U.S.C. §7",
)  # fmt: skip
Side = Literal["us", "china"]
# bounds that catch typos: US imports from China were about $505bn in 2017 (facts)
Billions = positive(10_000.0)
Tonnes = between(0.0, 1_000.0)  # Mt: more than the world's soybean crop is a typo
Basis = Annotated[int, Field(ge=1, le=1_000)]  # basis points of a reserve-ratio cut
Days = Annotated[int, Field(ge=1, le=366)]
# an entry's own dates that may not come after its date, and those that may not come before it
NOT_AFTER = ("period_start", "since", "announced")
NOT_BEFORE = ("end", "due", "from_date", "to_date", "published", "pending", "in_force")
TEXT = ("kind", "source", "note", "approx", "at_least")  # fields that are not figures


class RecordError(ConfigError):
    """A record file is invalid; ``problems`` lists (key path, message) pairs."""

    what = "record"


class _CheckError(ValueError):
    """Problems found by a validator, keyed relative to the object it validated."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))


# --------------------------------------------------------------------------- entries
class Entry(Strict):
    """What every entry has: its date, its source(s), and which figures are approximate."""

    date: dt.date
    source: str
    note: str = ""
    approx: list[str] = Field(default_factory=list)
    at_least: list[str] = Field(default_factory=list)

    @field_validator("source")
    @classmethod
    def _known_sources(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"names no source; known sources: {', '.join(SOURCES)}")
        names = [p.strip() for p in value.split(",")]
        bad = [n for n in names if n not in SOURCES]
        if bad:
            raise ValueError(f"unknown source {bad[0]!r}; known sources: {', '.join(SOURCES)}")
        return value

    @model_validator(mode="after")
    def _check(self) -> Entry:
        fields = type(self).model_fields
        problems = []
        for key in ("approx", "at_least"):
            for name in getattr(self, key):
                given = name in fields and name not in TEXT and getattr(self, name) is not None
                if name != "date" and not given:
                    problems.append((key, f"{name!r} is not a figure given by this entry"))
        for name in (*NOT_AFTER, *NOT_BEFORE):
            value = getattr(self, name, None)
            late = name in NOT_AFTER
            for day in value if isinstance(value, list) else [value]:
                if day is not None and (day > self.date if late else day < self.date):
                    word = "after" if late else "before"
                    problems.append((name, f"{day} is {word} the entry's date {self.date}"))
        problems += self.problems()
        if problems:
            raise _CheckError(problems)
        return self

    def problems(self) -> list[tuple[str, str]]:
        """Checks of one kind (key, message); none by default."""
        return []


class Tariff(Entry):
    """A tariff action of one side: a finding, a proposal, an announcement, a step in force,
    a rescheduling, a suspension or an exemption (``stage``)."""

    kind: Literal["tariff"]
    side: Side
    stage: Literal[
        "memorandum", "proposed", "announced", "rescheduled", "in_force", "suspended", "exemption"
    ]
    label: str
    lists: str = ""
    amount_bn: Billions | None = None
    rate_pct: Percent | None = None
    rate_min_pct: Percent | None = None
    rate_max_pct: Percent | None = None
    rate_from_pct: Percent | None = None
    soy_tariff_pct: Percent | None = None  # China's total tariff on US soybeans after it
    due: list[dt.date] = Field(default_factory=list)  # when it was to take effect
    announced: dt.date | None = None

    @property
    def move(self) -> str:
        """The model's word for it (docs/RECORD.md): US actions escalate, China's retaliate."""
        return "escalation" if self.side == "us" else "retaliation"

    def problems(self) -> list[tuple[str, str]]:
        """The range of rates is ordered."""
        lo, hi = self.rate_min_pct, self.rate_max_pct
        if lo is not None and hi is not None and lo > hi:
            return [("rate_min_pct", f"{lo} is above rate_max_pct {hi}")]
        return []


class Postponement(Entry):
    """A side delays its own scheduled action (``to_date`` None: no new date)."""

    kind: Literal["postponement"]
    side: Side
    label: str
    from_date: dt.date  # when the action was due
    to_date: dt.date | None = None
    goodwill: bool = False

    def problems(self) -> list[tuple[str, str]]:
        """A postponement moves the date later."""
        if self.to_date is not None and self.to_date <= self.from_date:
            return [("to_date", f"{self.to_date} is not after from_date {self.from_date}")]
        return []


class Truce(Entry):
    """A truce-type agreement: both sides hold fire without signed terms."""

    kind: Literal["truce"]
    level: Literal["leaders", "principals"]
    place: str
    label: str


class Round(Entry):
    """A round of talks (leaders: a summit), from ``date`` to ``end``, and how it ended."""

    kind: Literal["round"]
    level: Literal["leaders", "principals", "deputies"]
    end: dt.date | None = None
    places: list[str] = Field(default_factory=list)
    people: str = ""
    mode: Literal["meeting", "call"] = "meeting"
    summit: str = ""
    result: Literal[
        "no_agreement", "statement", "truce", "continued", "extension", "near_final_text",
        "collapse", "no_progress", "next_round_set", "start_week",
    ]  # fmt: skip
    outcome: str  # in the facts' words


class Deal(Entry):
    """A signed agreement (none in the 2018-2019 record; later records may hold one)."""

    kind: Literal["deal"]
    interim: bool
    label: str
    in_force: dt.date | None = None


class AverageTariff(Entry):
    """A side's trade-weighted average tariff on the other's goods, in force from ``date``:
    a figure (``pct``) or a range the facts give instead (``low_pct``-``high_pct``)."""

    kind: Literal["average_tariff"]
    side: Side
    pct: Percent | None = None
    low_pct: Percent | None = None
    high_pct: Percent | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high): the figure twice, or the range."""
        if self.pct is not None:
            return (self.pct, self.pct)
        assert self.low_pct is not None and self.high_pct is not None  # checked on load
        return (self.low_pct, self.high_pct)

    def problems(self) -> list[tuple[str, str]]:
        """Either a figure or an ordered range."""
        lo, hi = self.low_pct, self.high_pct
        if (self.pct is None) == (lo is None and hi is None) or (lo is None) != (hi is None):
            return [("pct", "give pct, or low_pct and high_pct (one of the two)")]
        if lo is not None and hi is not None and lo > hi:
            return [("low_pct", f"{lo} is above high_pct {hi}")]
        return []


class SoybeanExports(Entry):
    """US soybean exports to China over a period (value, volume or China's share)."""

    kind: Literal["soybean_exports"]
    period_start: dt.date
    value_bn: Billions | None = None
    volume_mt: Tonnes | None = None
    china_share_pct: Percent | None = None  # of all US soybean exports in the period
    normal_share_pct: Percent | None = None  # the same share in a normal year


class Purchase(Entry):
    """China's purchases of US farm goods: a running total, a pledge, a halt or a resumption."""

    kind: Literal["purchase"]
    action: Literal["cumulative", "pledge", "sales_to_date", "resumed", "suspended"]
    label: str
    volume_mt: Tonnes | None = None
    year_earlier_mt: Tonnes | None = None
    since: dt.date | None = None
    cargoes: Annotated[int, Field(ge=0, le=10_000)] | None = None

    @property
    def side(self) -> str:
        """The side that acts: China buys."""
        return "china"


class FarmAid(Entry):
    """A US farm-aid package announced, or its payments starting."""

    kind: Literal["farm_aid"]
    stage: Literal["announced", "payments"]
    package: str
    amount_bn: Billions | None = None
    mfp_bn: Billions | None = None  # the Market Facilitation Program's part
    paid_min_bn: Billions | None = None
    paid_max_bn: Billions | None = None
    tranches: Annotated[int, Field(ge=1, le=12)] | None = None
    pending: list[dt.date] = Field(default_factory=list)  # later tranches, to be decided


class Huawei(Entry):
    """A US action on Huawei."""

    kind: Literal["huawei"]
    action: Literal["arrest", "entity_list", "licence", "licence_extended", "relief_statement"]
    label: str
    licence_days: Days | None = None


class Fed(Entry):
    """An FOMC decision: the federal funds target range from ``date``."""

    kind: Literal["fed"]
    lower_pct: Rate
    upper_pct: Rate

    @property
    def midpoint(self) -> float:
        """The range's midpoint (the model's ``fed_rate``)."""
        return (self.lower_pct + self.upper_pct) / 2

    def problems(self) -> list[tuple[str, str]]:
        """The range is a range."""
        ok = self.upper_pct > self.lower_pct
        return [] if ok else [("upper_pct", f"{self.upper_pct} is not above lower_pct")]


class Cny(Entry):
    """CNY per USD averaged over a period (a month, or part of one)."""

    kind: Literal["cny"]
    period_start: dt.date
    cny_per_usd: positive(100.0)
    tolerance: between(0.0, 1.0) = 0.0  # ± the facts give


class Yuan(Entry):
    """The yuan crosses a line (the market rate or the PBoC's daily fixing)."""

    kind: Literal["yuan"]
    measure: Literal["market", "fixing"]
    level: positive(100.0)
    direction: Literal["above", "below"] = "above"


class Manipulator(Entry):
    """The US Treasury designates China a currency manipulator (or lifts the label)."""

    kind: Literal["manipulator"]
    designated: bool


class Rrr(Entry):
    """A cut in the PBoC's reserve requirement ratio, effective on ``date``."""

    kind: Literal["rrr"]
    cut_bp: Basis | None = None
    targeted: bool = False
    level_pct: between(0.0, RRR_MAX) | None = None  # a level the facts give instead of a cut
    announced: dt.date | None = None
    pending: list[dt.date] = Field(default_factory=list)
    pending_cut_bp: Basis | None = None


class Election(Entry):
    """An election day."""

    kind: Literal["election"]
    side: Side
    label: str


class Growth(Entry):
    """Real GDP growth over a period, %."""

    kind: Literal["growth"]
    side: Side
    period_start: dt.date
    pct: between(-PERCENT_MAX, PERCENT_MAX)
    basis: Literal["annual", "q/q annualised", "y/y"]
    published: dt.date | None = None
    # the release it is (a real-time vintage, out on ``published``); None: the figure as the
    # record's end knows it.  "initial": BEA's Q4 2018 release after the shutdown
    estimate: Literal["advance", "initial", "second", "third"] | None = None

    @property
    def vintage(self) -> tuple[str, dt.date, str, str] | None:
        """(side, period start, basis, estimate) of a named estimate, else None."""
        if self.estimate is None:
            return None
        return (self.side, self.period_start, self.basis, self.estimate)

    def problems(self) -> list[tuple[str, str]]:
        """A named estimate has its release date."""
        if self.estimate is not None and self.published is None:
            return [("published", f"the {self.estimate} estimate needs its release date")]
        return []


class FarmSentiment(Entry):
    """US farmers' expectations about the dispute (a monthly survey), % of producers."""

    kind: Literal["farm_sentiment"]
    period_start: dt.date
    expect_benefit_pct: Percent | None = None  # expect it to end well for US agriculture
    expect_resolution_pct: Percent | None = None  # expect it resolved by 1 July 2019
    mfp_eased_pct: Percent | None = None  # say aid eased income worries
    index: between(0.0, 1_000.0) | None = None


class BilateralTrade(Entry):
    """Each side's imports from the other over a period ($bn)."""

    kind: Literal["bilateral_trade"]
    period_start: dt.date
    us_imports_bn: Billions
    china_imports_bn: Billions


ENTRY_TYPES = (
    Tariff, Postponement, Truce, Round, Deal, AverageTariff, SoybeanExports, Purchase, FarmAid,
    Huawei, Fed, Cny, Yuan, Manipulator, Rrr, Election, Growth, FarmSentiment, BilateralTrade,
)  # fmt: skip
KINDS = tuple(t.model_fields["kind"].annotation.__args__[0] for t in ENTRY_TYPES)
AnyEntry = Annotated[
    Tariff | Postponement | Truce | Round | Deal | AverageTariff | SoybeanExports | Purchase
    | FarmAid | Huawei | Fed | Cny | Yuan | Manipulator | Rrr | Election | Growth
    | FarmSentiment | BilateralTrade,
    Field(discriminator="kind"),
]  # fmt: skip


# --------------------------------------------------------------------------- the record
class Window(Strict):
    """The period the record covers; ``start_week``: the week the model starts in, whose
    events are its initial state, not targets."""

    start: Annotated[dt.date, Field(ge=START_DATE_MIN, le=START_DATE_MAX)]
    end: Annotated[dt.date, Field(ge=START_DATE_MIN, le=START_DATE_MAX)]
    start_week: dt.date


class Record(Strict):
    """A dated, sourced record: ``entries`` inside the window, in date order; ``baseline``:
    levels the facts give from before the window (in force or observed when it opens)."""

    title: str
    facts: list[str] = Field(default_factory=list)  # the project's fact files it comes from
    window: Window
    baseline: list[AnyEntry] = Field(default_factory=list, max_length=MAX_ENTRIES)
    entries: list[AnyEntry] = Field(max_length=MAX_ENTRIES)

    @model_validator(mode="after")
    def _dates(self) -> Record:
        w, problems, seen = self.window, [], {}
        if not w.start <= w.start_week <= w.end:
            problems.append(("window.start_week", f"{w.start_week} is outside {w.start}-{w.end}"))
        before = (w.start - dt.timedelta(days=BASELINE_DAYS), w.start - dt.timedelta(days=1))
        for name, items, (lo, hi) in (
            ("baseline", self.baseline, before),
            ("entries", self.entries, (w.start, w.end)),
        ):
            for i, e in enumerate(items):
                key = f"{name}[{i}]"
                if not lo <= e.date <= hi:
                    problems.append((f"{key}.date", f"{e.date} is outside {lo}-{hi}"))
                elif i and e.date < items[i - 1].date:
                    problems.append((f"{key}.date", f"{e.date} comes after {items[i - 1].date}"))
                for field in ("end", "published"):  # known only once the period is over
                    day = getattr(e, field, None)
                    if day is not None and day > w.end:
                        problems.append((f"{key}.{field}", f"{day} is after the window {w.end}"))
                vintage = getattr(e, "vintage", None)
                if vintage in seen:  # one entry per release of a period
                    problems.append((f"{key}.estimate", f"repeats the entry {seen[vintage]}"))
                elif vintage is not None:
                    seen[vintage] = key
        if problems:
            raise _CheckError(problems)
        return self

    # ------------------------------------------------------------------ queries
    def all(self) -> list[Entry]:
        """Baseline and entries, in date order."""
        return [*self.baseline, *self.entries]

    def between(self, start: dt.date, end: dt.date, *kinds: str) -> list[Entry]:
        """Entries dated from ``start`` to ``end`` (both included), of ``kinds`` if given."""
        return [e for e in self.all() if start <= e.date <= end and (not kinds or e.kind in kinds)]

    def of_kind(self, *kinds: str) -> list[Entry]:
        """Every entry (baseline included) of these kinds, in date order."""
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown record kind {sorted(unknown)[0]!r}; known: {KINDS}")
        return [e for e in self.all() if e.kind in kinds]

    def in_force(self, kind: str, day: dt.date, **where: Any) -> Entry | None:
        """The latest entry of ``kind`` dated on or before ``day`` whose fields match ``where``."""
        found = [
            e
            for e in self.of_kind(kind)
            if e.date <= day and all(getattr(e, k) == v for k, v in where.items())
        ]
        return found[-1] if found else None

    def fed_range(self, day: dt.date) -> tuple[float, float] | None:
        """The federal funds target range in force on ``day`` (None before the first decision)."""
        fed = self.in_force("fed", day)
        return None if fed is None else (fed.lower_pct, fed.upper_pct)

    def average_tariff(self, side: str, day: dt.date) -> AverageTariff | None:
        """``side``'s average tariff on the other's goods in force on ``day``."""
        return self.in_force("average_tariff", day, side=side)

    def start_week(self) -> list[Entry]:
        """The entries of the start week: the model's initial state, never targets."""
        return self.between(self.window.start_week, self.window.end)

    def targets(self) -> list[Entry]:
        """The entries before the start week: what a replay forces or a calibration fits."""
        return [e for e in self.entries if e.date < self.window.start_week]

    def counts(self) -> dict[str, int]:
        """Entries (baseline included) by kind."""
        out: dict[str, int] = {}
        for e in self.all():
            out[e.kind] = out.get(e.kind, 0) + 1
        return out

    def counterparts(self, model_kind: str, side: str | None = None) -> list[Entry]:
        """The entries a model event of ``model_kind`` (by ``side``) is matched with."""
        rule = ONTOLOGY[model_kind]
        out = []
        for e in self.entries:
            for kind, where in rule.select:
                if e.kind != kind or any(getattr(e, k) not in v for k, v in where):
                    continue
                if side is None or getattr(e, "side", side) == side:
                    out.append(e)
        return out


# --------------------------------------------------------------------------- the ontology
Selector = tuple[str, tuple[tuple[str, tuple[Any, ...]], ...]]


def select(kind: str, **where: tuple[Any, ...]) -> Selector:
    """Record entries of ``kind`` whose fields take one of the values given."""
    return (kind, tuple(where.items()))


@dataclass(frozen=True)
class Match:
    """How a model event kind meets the record: the entries it matches (``select``), the date
    tolerance in weeks either side of the entry's ``date_field`` (None: nothing in the record
    to match), and the rule in words (docs/RECORD.md has the full table)."""

    select: tuple[Selector, ...]
    weeks: int | None
    date_field: str = "date"
    rule: str = ""


ANNOUNCED = ("proposed", "announced")
ONTOLOGY: dict[str, Match] = {
    "escalation": Match((select("tariff", stage=ANNOUNCED, side=("us",)),), 2),
    "retaliation": Match((select("tariff", stage=ANNOUNCED, side=("china",)),), 2),
    "postponement": Match(
        (select("postponement"),), 1, "from_date", "matched at the postponed action's due date"
    ),
    "gesture": Match(
        (
            select("tariff", stage=("suspended", "exemption")),
            select("purchase", action=("resumed",)),
            select("postponement", goodwill=(True,)),
        ),
        1,
    ),
    "truce": Match((select("truce"),), 1, rule="a truce-type agreement: no signed terms"),
    "deal": Match((select("deal"),), 2, rule="interim or full by Deal.interim"),
    "collapse": Match((select("round", result=("collapse",)),), 1, rule="talks broken off"),
    "fired": Match((select("tariff", stage=("in_force",)),), 1),
    "incident": Match((), None, rule="the facts date no political incident"),
    "dispute": Match((), None, rule="model-only: follows a signed deal"),
    "unravel": Match((), None, rule="model-only: follows a signed deal"),
}


# --------------------------------------------------------------------------- loading
_PLAIN = {
    "extra_forbidden": "unknown key (not part of the record schema for this kind)",
    "missing": "required key is missing",
}


def _path(loc: tuple[Any, ...]) -> str:
    """A dotted key path from pydantic's location, without the union's kind tags."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (i and isinstance(loc[i - 1], int) and part in KINDS):
            out += ("." if out else "") + str(part)
    return out


def _about(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """' (the fed entry of 2018-06-13)' for a location inside an entry, else ''."""
    if len(loc) < 2 or loc[0] not in ("entries", "baseline") or not isinstance(loc[1], int):
        return ""
    items = raw.get(loc[0])
    item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
    if not isinstance(item, dict):
        return ""
    return f" (the {item.get('kind', 'unnamed')} entry of {item.get('date', 'no date')})"


def problems_from(exc: ValidationError, raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, message) for every error of a record's ``ValidationError``."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc, etype = tuple(err["loc"]), err["type"]
        found = (err.get("ctx") or {}).get("error")
        if isinstance(found, _CheckError):
            base = _path(loc)
            for key, msg in found.problems:
                where = key if not base else f"{base}.{key}"
                problems.append((where, msg + _about(raw, (*loc, key) if base else ())))
            continue
        if etype in ("union_tag_invalid", "union_tag_not_found"):
            tag = (err.get("ctx") or {}).get("tag")
            msg = (
                f"unknown kind {tag!r}"
                if etype == "union_tag_invalid"
                else "required key is missing"
            )
            problems.append((_path(loc) + ".kind", f"{msg}; known kinds: {', '.join(KINDS)}"))
            continue
        msg = _PLAIN.get(etype) or err["msg"].removeprefix("Value error, ")
        problems.append((_path(loc), msg[:1].lower() + msg[1:] + _about(raw, loc)))
    return problems


def record_path(name: str = SHIPPED) -> Path:
    """The shipped record of that name: ``configs/record/NAME.toml`` (package data)."""
    return shipped_root() / "record" / f"{Path(name).name.removesuffix('.toml')}.toml"


def load_record(path: str | Path | None = None) -> Record:
    """Read and validate a record file (default: the shipped 2018-2019 record); a bare name
    finds a shipped record.  Every problem raises ``RecordError`` naming its key."""
    given = Path(path) if path is not None else record_path()
    if not given.is_file() and path is not None and record_path(str(path)).is_file():
        given = record_path(str(path))
    shown = str(given)
    try:
        if given.stat().st_size > MAX_RECORD_BYTES:
            raise RecordError([("", f"larger than {MAX_RECORD_BYTES} bytes")], shown)
        raw = tomllib.loads(given.read_text(encoding="utf-8"))
    except OSError as exc:
        shipped = ", ".join(p.stem for p in sorted(record_path().parent.glob("*.toml")))
        problem = f"{exc.strerror or exc} (nor a shipped record: {shipped})"
        raise RecordError([("", problem)], shown) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecordError([("", f"not valid TOML: {exc}")], shown) from None
    try:
        return Record.model_validate(raw)
    except ValidationError as exc:
        raise RecordError(problems_from(exc, raw), shown) from None
