# size: the record-derived uncertainty index, the meeting inputs, the grid fit and the table of
# decisions form one calibration module (issue 14, "Fed by direct fits"), with issue 12's two
# options of the rule (the shadow rate, adopted; U's memory) fitted by the same grid and the
# three-rule comparison; split when it grows.
"""The Fed's inertial rule fitted to the FOMC decisions of March 2018 – September 2019.

Issue 12 (item 2) and issue 14 ("Fed and yuan by direct fits").  Everything the fit sees is
read from the dated record (``sim/record.py``) and the meeting calendar below; no model run:

- **Decisions.** The record lists the decisions that changed the target range; a meeting
  between two of them held the range (the range in force stays the same between them).  The
  range before the first decision of the window (21 March 2018) is not in the record: it is
  ``RANGE_BEFORE`` below, with its source.
- **Growth** at a meeting, in real time: BEA's latest estimate (advance, second, third) of
  the latest quarter, as released before the decision day (the record's ``estimate`` entries,
  each with its ``published`` date), quarter on quarter annualised; no hindsight.  The old
  input (``real_time=False``: the figures as the record's end knows them, the 2018 annual
  figure standing in at the 2018 meetings) is kept for the comparison.
- **Uncertainty** U: the model's own recursion (``sim/dynamics.py``: ``uncertainty_target``,
  ``uncertainty_step``, with the baseline's ``world.uncertainty``) driven by the record: the
  share of bilateral trade (2017 flows, the record's baseline) under a tariff action
  announced or proposed and not yet in force stands for the pending threat, each action put
  in force is an escalation jump, each truce a relief; no deal is in force in the window.
  docs/CALIBRATION.md says why.

The rule (``Fed.inertial_rate``, the agent's own code): i* = neutral + a·(growth −
potential) − b·U, i = the 25 bp range containing ρ·i_prev + (1 − ρ)·i*, evaluated one meeting
ahead from the recorded range before each meeting.  The fit is a grid over (neutral, a, b, ρ)
on natural scales: the most meetings whose decision and resulting range are reproduced, ties
broken by the squared error of the rule's own path (from the range before March 2018) against
the recorded rates, then by that of the unrounded rule rate.  In-sample only: no decision
after 18 September 2019.

The overlay's rule is the latent-rate form (``world.fed.shadow_rate``): the same grid and
criterion with the inertia acting on the unrounded rate carried from meeting to meeting
(``rule(..., shadow=True)``, handed over to the recorded range before each meeting as the
agent does; the latent rate before March 2018 is the range's midpoint), U the day before;
``latent_start`` is its latent rate after the last meeting, where runs start
(``world.fed.shadow_start``).  ``fit(..., shadow=False)`` is the plain rule (the inertia on
the announced rate), kept for the comparison with the old rule (growth in hindsight):
``comparison_table``, ``benchmarks/fit_fed.py --compare``; ``fit_options`` fits U's
memories (``world.fed.uncertainty_memory``, ``remembered``), not adopted.

    python -m tradetalks.sim.fed_fit [--write]     (or benchmarks/fit_fed.py)
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from tradetalks.agents.central_banks import Fed
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import Config, UncertaintyConfig, load_config
from tradetalks.sim.config_world import FedMemory
from tradetalks.sim.record import Record, Tariff, load_record
from tradetalks.sim.shipped import baseline, shipped_root

# FOMC meetings, March 2018 – September 2019, by the day the decision was announced (the
# second day of each two-day meeting).
MEETINGS_SOURCE = "Federal Reserve, FOMC meeting calendars 2018 and 2019, federalreserve.gov"
MEETINGS = tuple(
    dt.date.fromisoformat(d)
    for d in (
        "2018-03-21", "2018-05-02", "2018-06-13", "2018-08-01", "2018-09-26", "2018-11-08",
        "2018-12-19", "2019-01-30", "2019-03-20", "2019-05-01", "2019-06-19", "2019-07-31",
        "2019-09-18",
    )
)  # fmt: skip
# the range in force before 21 March 2018 ("not in the notes", docs/facts/record-2018-2019.md)
RANGE_BEFORE = (1.25, 1.50)
RANGE_BEFORE_SOURCE = "Federal Reserve, FOMC statement of 13 December 2017, federalreserve.gov"

# The grid: natural scales, bounds wide enough to hold every plausible rule
GRID = {
    "neutral": (1.0, 4.5, 0.05),  # % a year: the baseline's 2.5 (approx., FOMC), ±1.5 and more
    "growth_response": (0.0, 2.0, 0.05),  # pp per pp of growth gap: up to 4 × Taylor's 0.5
    "uncertainty_response": (0.0, 6.0, 0.05),  # pp per unit of U in [0, 1]: up to a 6 pp cut
    "inertia": (0.0, 0.95, 0.05),  # ρ: 0.95 is a move of 1/20 of the gap a meeting
}
PARAMS = tuple(GRID)
OVERLAY = "calibrations/fed_2018_2019.toml"  # under configs/
DOC = "docs/CALIBRATION.md"
COMMAND = "python benchmarks/fit_fed.py --write"
WORDS = {1: "hike", 0: "hold", -1: "cut"}
DAYS_PER_WEEK = 7
# issue 12's options searched by the extended fit (``fit_options``): the memory of U (none: U
# the day before the decision; the intermeeting mean; an exponentially weighted mean with a
# half-life of 2, 4 or 8 weeks: a month to a quarter, the FOMC's six to seven weeks between
# meetings inside), each with and without the shadow rate
MEMORIES: tuple[FedMemory | None, ...] = (
    None,
    FedMemory(kind="mean"),
    *(FedMemory(kind="ewma", half_life_weeks=h) for h in (2.0, 4.0, 8.0)),
)


# --------------------------------------------------------------------------- the record
@dataclass(frozen=True)
class Meeting:
    """One FOMC meeting as the fit sees it."""

    date: dt.date
    before: tuple[float, float]  # the range in force before the decision
    after: tuple[float, float]  # the range it set
    growth: float  # US growth, % (annualised), the figure of ``growth_note``
    growth_note: str
    uncertainty: float  # U the day before the decision
    threat_share: float  # share of bilateral trade under a pending action, that day

    @property
    def previous(self) -> float:
        """The rate before the decision (the range's midpoint, the model's ``fed_rate``)."""
        return sum(self.before) / 2

    @property
    def rate(self) -> float:
        """The rate set (midpoint)."""
        return sum(self.after) / 2

    @property
    def decision(self) -> int:
        """+1 a hike, 0 a hold, −1 a cut."""
        return int(np.sign(round(self.rate - self.previous, 6)))


def _ids(lists: str) -> set[str]:
    """The lists an entry's ``lists`` names: "Lists 1-3" → {1, 2, 3}, "List 4A" → {4A}."""
    m = re.fullmatch(r"Lists? (\w+)(?:-(\w+))?", lists.strip())
    if m is None:
        return {lists.strip()} if lists.strip() else set()
    lo, hi = m.groups()
    if hi is None:
        return {lo}
    return {str(i) for i in range(int(lo), int(hi) + 1)}


def _part_of(part: set[str], whole: set[str]) -> bool:
    """A list is part of another when named in it, or a split of it (4A, 4B of 4)."""
    return bool(part) and all(any(p == w or p.rstrip("AB") == w for w in whole) for p in part)


@dataclass
class _Pending:
    """A tariff action announced and not yet in force: the trade it covers, $bn."""

    ids: set[str]
    amount_bn: float
    due: list[dt.date]


class ThreatBook:
    """Trade under pending tariff actions, per side, kept from the record's tariff entries.

    An announcement or proposal with an amount adds an action (or restates a pending one of
    the same lists: re-announcements and rate changes on pending lists add no trade); a
    rescheduled split replaces the action it splits; an action put in force ends the pending
    action of its lists (a part of it: the part's amount; China's actions, which name no
    lists: its amount, oldest first, or without one the tranche due that day).  Actions the
    record gives no amount for, and suspensions and exemptions, are not threats."""

    def __init__(self) -> None:
        self.pending: dict[str, list[_Pending]] = {"us": [], "china": []}

    def apply(self, e: Tariff) -> None:
        """One tariff entry of the record."""
        book, ids = self.pending[e.side], _ids(e.lists)
        if e.stage in ("proposed", "announced"):
            same = [p for p in book if ids and (p.ids == ids or _part_of(p.ids, ids))]
            if same or e.amount_bn is None:
                for p in same:  # restated (or its rate changed): the latest amount and dates
                    if p.ids == ids:
                        p.amount_bn = p.amount_bn if e.amount_bn is None else e.amount_bn
                        p.due = list(e.due) or p.due
                return
            book.append(_Pending(ids, e.amount_bn, list(e.due)))
        elif e.stage == "rescheduled" and e.amount_bn is not None:
            book[:] = [p for p in book if not _part_of(ids, p.ids)]
            book.append(_Pending(ids, e.amount_bn, list(e.due)))
        elif e.stage == "in_force":
            self._fire(book, ids, e)

    @staticmethod
    def _fire(book: list[_Pending], ids: set[str], e: Tariff) -> None:
        if ids:
            for p in list(book):
                if p.ids == ids:
                    book.remove(p)
                elif _part_of(ids, p.ids) and e.amount_bn is not None:
                    p.amount_bn -= e.amount_bn
                    if p.amount_bn <= 1e-9:
                        book.remove(p)
            return
        if e.amount_bn is None:  # a tranche of an action due that day
            for p in book:
                if e.date in p.due and p.due:
                    p.amount_bn -= p.amount_bn / len(p.due)
                    p.due = [d for d in p.due if d != e.date]
            book[:] = [p for p in book if p.amount_bn > 1e-9]
            return
        left = e.amount_bn
        for p in list(book):  # oldest first
            used = min(left, p.amount_bn)
            p.amount_bn -= used
            left -= used
            if p.amount_bn <= 1e-9:
                book.remove(p)
            if left <= 0:
                break

    def trade_bn(self, side: str) -> float:
        """Trade under the side's pending actions, $bn."""
        return float(sum(p.amount_bn for p in self.pending[side]))


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def uncertainty_index(
    record: Record, u: UncertaintyConfig, end: dt.date | None = None
) -> dict[dt.date, tuple[float, float]]:
    """U and the pending-threat share by day, each as of the start of the day (what was
    known the day before), from the record's window start to ``end``.

    Weeks run from the window's start; the record's events move U on their day (a jump for
    each action put in force, a relief for a truce), and at the end of each week U moves part
    of the way to its target (the model's ``uncertainty_step``).  The pending threat enters
    the target as a share of bilateral trade, in place of the model's pp/scale; U starts at
    the target with nothing pending and no deal."""
    trade = record.in_force("bilateral_trade", record.window.start)
    if trade is None:
        raise ValueError("the record gives no bilateral trade flows (its baseline)")
    total = trade.us_imports_bn + trade.china_imports_bn
    end = end or record.window.end
    events: dict[dt.date, list] = {}
    for e in record.between(record.window.start, end, "tariff", "truce", "deal"):
        events.setdefault(e.date, []).append(e)
    book = ThreatBook()
    level = float(dyn.uncertainty_target(0.0, 0.0, u))
    deal = 0.0
    out: dict[dt.date, tuple[float, float]] = {}
    for day in _days(record.window.start, end):
        share = min(1.0, (book.trade_bn("us") + book.trade_bn("china")) / total)
        out[day] = (level, share)
        for e in events.get(day, ()):
            if e.kind == "tariff":
                book.apply(e)
                if e.stage == "in_force":
                    level = min(1.0, level + u.escalation_jump)
            elif e.kind in ("truce", "deal"):
                level *= 1 - u.deal_relief
                deal = 1.0 if e.kind == "deal" else deal
        if (day - record.window.start).days % 7 == 6:  # the week's partial adjustment
            share = min(1.0, (book.trade_bn("us") + book.trade_bn("china")) / total)
            target = dyn.uncertainty_target(share * u.threat_scale_pp, deal, u)
            level = float(dyn.uncertainty_step(level, target, u))
    return out


def us_growth(record: Record, day: dt.date, real_time: bool = True) -> tuple[float, str]:
    """US growth as read on ``day``.  Real time: BEA's latest estimate released before ``day``
    of the latest quarter released (the ``estimate`` entries, no hindsight).  Otherwise the
    figures as the record's end knows them (no ``estimate``), each from its release date, else
    its period's end; before the first, the first (the 2018 annual figure, not yet out)."""
    us = [e for e in record.of_kind("growth") if e.side == "us"]
    if real_time:
        out = [e for e in us if e.estimate is not None and e.published < day]
        if not out:
            raise ValueError(f"the record gives no US growth estimate released before {day}")
        e = max(out, key=lambda e: (e.period_start, e.published))
        return e.pct, f"{e.pct:.1f} ({_quarter(e.period_start)} {e.estimate}, {e.published})"
    figures = [e for e in us if e.estimate is None]
    if not figures:
        raise ValueError("the record gives no US growth")
    out = [e for e in figures if (e.published or e.date) < day]
    e, early = (out[-1], "") if out else (figures[0], ", not yet out")
    period = f"{e.period_start.year}" if e.basis == "annual" else _quarter(e.period_start)
    return e.pct, f"{e.pct:.1f} ({period}, {e.basis}{early})"


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def meetings(
    record: Record | None = None,
    u: UncertaintyConfig | None = None,
    dates: Sequence[dt.date] = MEETINGS,
    memory: FedMemory | None = None,
    real_time: bool = True,
) -> list[Meeting]:
    """The meetings with what the record says of each: ranges, growth (``us_growth``: real time
    unless ``real_time`` is False), uncertainty (U the day before the decision, or with
    ``memory`` its memory since the last meeting)."""
    record = record or load_record()
    u = u or load_config(baseline()).world.uncertainty
    index = uncertainty_index(record, u, max(dates))
    read = remembered(index, dates, memory)
    decided = sorted(e.date for e in record.between(min(dates), max(dates), "fed"))
    off = [d for d in decided if d not in dates]
    if off:  # a decision off the calendar: the calendar or the record is wrong
        raise ValueError(f"the record has a Fed decision on {off[0]}, not a meeting date")
    out = []
    for day in dates:
        before = record.fed_range(day - dt.timedelta(days=1)) or RANGE_BEFORE
        after = record.fed_range(day) or before
        growth, note = us_growth(record, day, real_time)
        out.append(Meeting(day, before, after, growth, note, read[day], index[day][1]))
    return out


def remembered(
    index: dict[dt.date, tuple[float, float]],
    dates: Sequence[dt.date],
    memory: FedMemory | None,
) -> dict[dt.date, float]:
    """U as the rule reads it at each meeting, from the daily index (each day's value as of its
    start): that of the decision day without ``memory``; ``mean``, the mean over the days
    since the last meeting's decision (from the index's start for the first); ``ewma``, the
    daily exponentially weighted mean from the index's start, half-life 7 days a week."""
    days = sorted(index)
    if memory is None:
        return {d: index[d][0] for d in dates}
    if memory.kind == "mean":
        bounds = [days[0] - dt.timedelta(days=1), *dates]
        return {
            d: float(np.mean([index[x][0] for x in days if last < x <= d]))
            for last, d in itertools.pairwise(bounds)
        }
    keep = 0.5 ** (1.0 / (DAYS_PER_WEEK * float(memory.half_life_weeks or 1.0)))
    level, out = index[days[0]][0], {}
    for d in days:
        level = keep * level + (1 - keep) * index[d][0]
        out[d] = level
    return {d: out[d] for d in dates}


# --------------------------------------------------------------------------- the rule and fit
@dataclass(frozen=True)
class Setting:
    """The fixed parts of the rule: the grid step, bounds and potential growth."""

    step: float
    lower: float
    upper: float
    potential: float

    @classmethod
    def of(cls, cfg: Config) -> Setting:
        """From a config's ``world.fed`` and ``world.growth``."""
        f = cfg.world.fed
        return cls(f.step, f.lower_bound, f.upper_bound, cfg.world.growth.us_potential)


def _target(ms: Sequence[Meeting], s: Setting, neutral, a, b) -> np.ndarray:
    """The rule's target i* at each meeting (last axis), coefficients broadcast."""
    g = np.array([m.growth for m in ms])
    uu = np.array([m.uncertainty for m in ms])
    n, a, b = (np.asarray(x, dtype=float)[..., None] for x in (neutral, a, b))
    return n + a * (g - s.potential) - b * uu


def rule(
    ms: Sequence[Meeting], s: Setting, neutral, a, b, rho, previous=None, shadow=False
) -> tuple[np.ndarray, np.ndarray]:
    """(unrounded, rounded) rates at each meeting (last axis), the coefficients broadcast
    over leading axes; ``previous``: the rates before each meeting (default: the recorded
    ranges' midpoints: one meeting ahead).  With ``shadow`` the inertia acts on the latent
    rate carried from meeting to meeting, handed over to the rate before each (``Fed.hand_over``:
    kept if it rounds to it, else moved into its range), as the agent does."""
    prev = np.array([m.previous for m in ms]) if previous is None else previous
    target, rho = _target(ms, s, neutral, a, b), np.asarray(rho, dtype=float)[..., None]
    if not shadow:
        aim = rho * prev + (1 - rho) * target
        return aim, Fed.inertial_rate(prev, target, rho, s.step, s.lower, s.upper)
    shape = np.broadcast_shapes(target.shape, np.shape(prev))
    prev, target = np.broadcast_to(prev, shape), np.broadcast_to(target, shape)
    latent, aims = prev[..., 0], []
    for j in range(shape[-1]):
        latent = Fed.hand_over(latent, prev[..., j], s.step, s.lower, s.upper)
        latent = rho[..., 0] * latent + (1 - rho[..., 0]) * target[..., j]
        aims.append(latent)
    aim = np.stack(aims, axis=-1)
    return aim, Fed.inertial_rate(aim, 0.0, 1.0, s.step, s.lower, s.upper)


def own_path(ms: Sequence[Meeting], s: Setting, neutral, a, b, rho, shadow=False) -> np.ndarray:
    """The rule's own path (last axis): each meeting from the rate the rule set at the one
    before, the first from the range before it; coefficients broadcast as in ``rule``."""
    if shadow:  # the latent rate always rounds to the rule's own rate: nothing handed over
        target, rho = _target(ms, s, neutral, a, b), np.asarray(rho, dtype=float)
        latent, out = np.full(np.broadcast_shapes(target.shape[:-1], rho.shape), ms[0].previous), []
        for j in range(len(ms)):
            latent = rho * latent + (1 - rho) * target[..., j]
            out.append(Fed.inertial_rate(latent, 0.0, 1.0, s.step, s.lower, s.upper))
        return np.stack(out, axis=-1)
    rate = np.full(np.broadcast(neutral, a, b, rho).shape, ms[0].previous)
    out = []
    for m in ms:
        _, new = rule([m], s, neutral, a, b, rho, previous=rate[..., None])
        rate = new[..., 0]
        out.append(rate)
    return np.stack(out, axis=-1)


@dataclass(frozen=True)
class Fit:
    """The fitted coefficients and how well they reproduce the meetings."""

    coef: dict[str, float]
    matches: int  # meetings reproduced one meeting ahead
    path_error: float  # squared error of the rule's own path, pp² (the first tie-break)
    aim_error: float  # squared error of the unrounded rule rate, pp² (the second)
    rates: tuple[float, ...]  # the rule's rate at each meeting, from the recorded range before
    path: tuple[float, ...]  # the rule's own path
    tied: dict[str, tuple[float, float]]  # each coefficient's range over the first two ties
    shadow: bool = False  # the latent-rate rule (world.fed.shadow_rate)
    memory: FedMemory | None = None  # the U it reads (world.fed.uncertainty_memory)
    size: int = 0  # grid points searched
    top: int = 0  # of them, those reproducing ``matches`` meetings
    spread: dict[str, tuple[float, float]] = field(default_factory=dict)  # their ranges
    near: int = 0  # grid points reproducing at least ``matches`` − 1 meetings
    near_spread: dict[str, tuple[float, float]] = field(default_factory=dict)  # their ranges


def _axis(name: str) -> np.ndarray:
    lo, hi, step = GRID[name]
    return np.round(np.arange(lo, hi + step / 2, step), 10)


def fit(
    ms: Sequence[Meeting],
    s: Setting,
    fixed: dict[str, float] | None = None,
    shadow: bool = False,
    must: Sequence[dt.date] = (),
) -> Fit:
    """The grid fit, lexicographic: the most meetings reproduced one meeting ahead (decision
    and range), then the least squared error of the rule's own path against the recorded
    rates, then of the unrounded rule rate; ``fixed`` holds coefficients at given values,
    ``shadow`` fits the latent-rate rule, ``must`` keeps only rules reproducing those meetings."""
    fixed = fixed or {}
    need = [[m.date for m in ms].index(d) for d in must]
    axes = [np.array([float(fixed[k])]) if k in fixed else _axis(k) for k in PARAMS]
    grid = np.meshgrid(*axes, indexing="ij")
    recorded = np.array([m.rate for m in ms])
    hits = np.zeros(grid[0].shape, dtype=int)
    path_err, aim_err = np.zeros(grid[0].shape), np.zeros(grid[0].shape)
    for j in range(grid[0].shape[-1]):  # one inertia at a time: a few million points in all
        coef = [g[..., j] for g in grid]
        aim, rate = rule(ms, s, *coef, shadow=shadow)
        hit = np.isclose(rate, recorded)
        hits[..., j] = np.where(hit[..., need].all(axis=-1), hit.sum(axis=-1), -1)
        aim_err[..., j] = ((aim - recorded) ** 2).sum(axis=-1)
        path_err[..., j] = ((own_path(ms, s, *coef, shadow=shadow) - recorded) ** 2).sum(-1)
    top = hits == hits.max()
    first = top & np.isclose(path_err, path_err[top].min())
    ranges = {  # each coefficient's range over the grid points a mask keeps
        name: {
            k: (float(g[mask].min()), float(g[mask].max()))
            for k, g in zip(PARAMS, grid, strict=True)
        }
        for name, mask in (("tied", first), ("spread", top), ("near", hits >= hits.max() - 1))
    }
    i = np.unravel_index(int(np.argmin(np.where(first, aim_err, np.inf))), aim_err.shape)
    coef = {k: float(g[i]) for k, g in zip(PARAMS, grid, strict=True)}
    values = tuple(coef.values())
    return Fit(
        coef=coef,
        matches=int(hits[i]),
        path_error=float(path_err[i]),
        aim_error=float(aim_err[i]),
        rates=tuple(map(float, np.ravel(rule(ms, s, *values, shadow=shadow)[1]))),
        path=tuple(map(float, np.ravel(own_path(ms, s, *values, shadow=shadow)))),
        tied=ranges["tied"],
        size=int(top.size),
        top=int(top.sum()),
        spread=ranges["spread"],
        near=int((hits >= hits.max() - 1).sum()),
        near_spread=ranges["near"],
    )


# --------------------------------------------------------------------------- outputs
def _range(mid: float, step: float) -> str:
    return f"{mid - step / 2:.2f}–{mid + step / 2:.2f}"


def _word(before: float, after: float) -> str:
    return WORDS[int(np.sign(round(after - before, 6)))]


def misses(ms: Sequence[Meeting], rates: Sequence[float]) -> list[dt.date]:
    """The meetings whose recorded range the rule does not set."""
    return [m.date for m, r in zip(ms, rates, strict=True) if not np.isclose(r, m.rate)]


def table(ms: Sequence[Meeting], result: Fit, s: Setting) -> str:
    """The one table: each meeting's recorded and model range (one meeting ahead, from the
    recorded range before it), whether they match, the inputs, the rule's rate before
    rounding (the latent rate for the shadow rule) and the rule's own path."""
    head = (
        "| meeting | recorded range, % | model range, % | match | US growth, % (latest out) "
        "| U | trade under threat | rate before rounding, % | rule's own path, % |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    aim = np.ravel(rule(ms, s, *result.coef.values(), shadow=result.shadow)[0])
    rows = []
    for m, r, lat, own in zip(ms, result.rates, aim, result.path, strict=True):
        ok = "yes" if np.isclose(r, m.rate) else "**no**"
        rows.append(
            f"| {m.date} | {_range(m.rate, s.step)} ({_word(m.previous, m.rate)}) "
            f"| {_range(r, s.step)} ({_word(m.previous, r)}) | {ok} | {m.growth_note} "
            f"| {m.uncertainty:.2f} | {m.threat_share:.0%} | {lat:.3f} | {_range(own, s.step)} |"
        )
    return head + "\n".join(rows) + "\n"


def latent_start(ms: Sequence[Meeting], result: Fit, s: Setting, rate_start: float) -> float:
    """The shadow rule's latent rate after the last meeting (18 September 2019, the rate the
    runs start from), one meeting ahead as in the fit, rounded to the 0.001 the overlay
    writes; an error if it does not round to ``rate_start`` (the runs' announced rate)."""
    aim = np.ravel(rule(ms, s, *result.coef.values(), shadow=True)[0])
    latent = round(float(aim[-1]), 3)
    if not np.isclose(Fed.inertial_rate(latent, 0.0, 1.0, s.step, s.lower, s.upper), rate_start):
        raise ValueError(f"the latent rate {latent} is not in the range of {rate_start}")
    return latent


def overlay_text(result: Fit, ms: Sequence[Meeting], start: float) -> str:
    """The calibration overlay: the fitted shadow-rate rule over the baseline, its latent
    rate at the start ``start``."""
    c, note = result.coef, f"calibrated: `{COMMAND}` # fitted, docs/CALIBRATION.md"
    form = f"calibrated: `{COMMAND}` # the form adopted, docs/CALIBRATION.md §1"
    missed = ", ".join(str(d) for d in misses(ms, result.rates)) or "none"
    return (
        "# The Fed's inertial 25bp rule (issue 12 item 2) in its latent-rate form: the inertia\n"
        "# acts on an unrounded (shadow) rate carried across meetings, the announcement is its\n"
        "# 25bp range.  Fitted to the FOMC decisions of March 2018 - September 2019, US growth\n"
        "# read in real time (BEA's latest estimate out before each meeting), U the day before:\n"
        f"# {result.matches} of {len(ms)} meetings reproduced one meeting ahead; missed: "
        f"{missed}.\n"
        f"# Written by `{COMMAND}` (sim/fed_fit.py, from the dated record\n"
        "# alone); the table, the uncertainty index, the criterion and the plain rule it\n"
        "# replaces are in docs/CALIBRATION.md §1.  shadow_start is the fitted latent rate after\n"
        "# the 18 September 2019 meeting, where the runs start.  Everything else is the\n"
        "# baseline's; world.fed.neutral also enters US growth (docs/MODEL.md §7.9).\n"
        'extends = "../baseline.toml"\n'
        'name = "fed_2018_2019"\n'
        "description = \"The Fed's inertial 25bp rule (latent-rate form), fitted to the FOMC "
        'decisions of 2018 - Sep 2019"\n\n'
        "[world.fed]\n"
        f"neutral = {c['neutral']:.2f}                # {note}\n"
        f"growth_response = {c['growth_response']:.2f}        # {note}\n"
        f"uncertainty_response = {c['uncertainty_response']:.2f}   # {note}\n"
        f"inertia = {c['inertia']:.2f}                # {note}\n"
        f"shadow_rate = true            # {form}\n"
        f"shadow_start = {start:.3f}          # {note}\n"
    )


def _ranges(ranges: dict[str, tuple[float, float]]) -> str:
    return ", ".join(f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi) in ranges.items())


def report(ms: Sequence[Meeting], result: Fit, s: Setting) -> str:
    """The fit in words and the table (what ``main`` prints)."""
    c, sh = result.coef, result.shadow
    no_u = fit(ms, s, {"uncertainty_response": 0.0}, shadow=sh)
    _, off = rule(ms, s, c["neutral"], c["growth_response"], 0.0, c["inertia"], shadow=sh)
    changed = [
        str(m.date) for m, a, z in zip(ms, result.rates, np.ravel(off), strict=True) if a != z
    ]
    lines = [
        ("shadow-rate rule" if sh else "plain rule")
        + " fitted: "
        + ", ".join(f"{k} = {v:.2f}" for k, v in c.items()),
        f"reproduced one meeting ahead: {result.matches} of {len(ms)}; missed: "
        + (", ".join(str(d) for d in misses(ms, result.rates)) or "none"),
        f"squared error: own path {result.path_error:.4f} pp², unrounded rule "
        f"{result.aim_error:.4f} pp²",
        f"grid points reproducing {result.matches}: {result.top} of {result.size}; their "
        f"ranges: {_ranges(result.spread)}",
        f"grid points reproducing at least {result.matches - 1}: {result.near}; their ranges: "
        f"{_ranges(result.near_spread)}",
        f"tied on matches and own path: {_ranges(result.tied)}",
        f"b = 0 at the fitted coefficients changes: {', '.join(changed) or 'nothing'}",
        f"refitted with b = 0: {no_u.matches} of {len(ms)}; missed: "
        + (", ".join(str(d) for d in misses(ms, no_u.rates)) or "none")
        + f"; {', '.join(f'{k} = {v:.2f}' for k, v in no_u.coef.items())}",
        "",
        table(ms, result, s),
    ]
    return "\n".join(lines)


def run(write: bool = False) -> tuple[list[Meeting], Fit, Setting]:
    """Fit the shadow-rate rule on the shipped record and baseline (real-time growth, U the
    day before); with ``write``, write the overlay."""
    cfg = load_config(baseline())
    s = Setting.of(cfg)
    ms = meetings(load_record(), cfg.world.uncertainty)
    result = replace(fit(ms, s, shadow=True), shadow=True)
    if write:
        start = latent_start(ms, result, s, cfg.world.fed.rate_start)
        path = shipped_root() / OVERLAY
        path.parent.mkdir(exist_ok=True)
        path.write_text(overlay_text(result, ms, start), encoding="utf-8")
    return ms, result, s


def fit_options(
    record: Record,
    cfg: Config,
    memories: Sequence[FedMemory | None] = MEMORIES,
    real_time: bool = True,
) -> list[tuple[list[Meeting], Fit]]:
    """Issue 12's options fitted one by one: the shadow rate with each memory of U, each fit
    on the grid and the criterion of ``fit``; best first (the most meetings reproduced, then
    the least own-path error, then the least unrounded error)."""
    s, out = Setting.of(cfg), []
    for memory in memories:
        ms = meetings(record, cfg.world.uncertainty, memory=memory, real_time=real_time)
        result = replace(fit(ms, s, shadow=True), shadow=True, memory=memory)
        out.append((ms, result))
    return sorted(out, key=lambda x: (-x[1].matches, x[1].path_error, x[1].aim_error))


def option_text(result: Fit) -> str:
    """The rule's options in words: 'shadow rate, U: mean since the last meeting'."""
    m = result.memory
    u = (
        "U the day before"
        if m is None
        else "U: mean since the last meeting"
        if m.kind == "mean"
        else f"U: ewma, half-life {m.half_life_weeks:g} weeks"
    )
    return ("shadow rate, " if result.shadow else "") + u


def comparison_table(rules: Sequence[tuple[str, Sequence[Meeting], Fit]], s: Setting) -> str:
    """The one table: each meeting's recorded decision and each rule's (label, its meetings,
    its fit), one meeting ahead from the recorded range before it; the growth the first and
    the last rule read, the U of the last, and the last rule's rate before rounding."""
    last_name, last_ms, last = rules[-1]
    head = (
        "| meeting | recorded | " + " | ".join(name for name, _, _ in rules)
        + f" | growth, % ({rules[0][0]}) | growth, % ({last_name}) | U "
        f"| {last_name}: rate before rounding, % |\n|" + "---|" * (len(rules) + 6) + "\n"
    )  # fmt: skip
    aim = np.ravel(rule(last_ms, s, *last.coef.values(), shadow=last.shadow)[0])
    rows = []
    for j, (m, mn) in enumerate(zip(rules[0][1], last_ms, strict=True)):
        cells = [f"{_range(m.rate, s.step)} ({_word(m.previous, m.rate)})"]
        for _, _, f in rules:
            mark = "" if np.isclose(f.rates[j], m.rate) else " **miss**"
            cells.append(f"{_word(m.previous, f.rates[j])} {_range(f.rates[j], s.step)}{mark}")
        rows.append(
            f"| {m.date} | {' | '.join(cells)} | {m.growth:.1f} | {mn.growth_note} "
            f"| {mn.uncertainty:.2f} | {aim[j]:.3f} |"
        )
    return head + "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and print the table; with ``--write``, write the overlay."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"write configs/{OVERLAY}")
    args = p.parse_args(argv)
    ms, result, s = run(args.write)
    print(report(ms, result, s))
    if args.write:
        print(f"wrote {shipped_root() / OVERLAY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
