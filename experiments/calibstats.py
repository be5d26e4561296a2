"""Named summary statistics of a finished tradetalks run, for calibration files.

Each statistic is a small function of a finished run (``RunView``: the summary, the makers'
announcements, and the weekly series when a statistic needs them) and of its arguments from
the calibration file; it returns one float.  ``STATISTICS`` is the registry a calibration
file's ``[[statistics]] statistic = "..."`` names; ``check_args`` says what is wrong with a
statistic's arguments before anything runs.  Weeks count from 1 (the run's first week);
windows are inclusive, ``[first, last]``.  The dated statistics of the hindcast (core-v2
§3.4; names ending in ``_dated`` and ``weeks_to_move``) take ``dates = [first, last]``
instead, days of the run's own calendar (week w covers ``start + 7(w - 1)`` to
``start + 7w - 1``), and ``record_value`` computes each one's value on the record itself.
The composite events of docs/RECORD.md (truce-type agreements, collapses) are read off a
run's public events and rounds by ``truce_weeks`` and ``collapse_weeks``, for statistics
(``weeks_to_truce``, ``weeks_to_collapse``: the run view then carries them) and forecasts.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.sim.summary import FINAL_INDICATORS

SIDES = ("us", "china")
KINDS = ("escalation", "retaliation")
TARIFF_COLUMN = {"us": "us_tariff_avg", "china": "cn_tariff_avg"}


@dataclass(frozen=True)
class RunView:
    """What a statistic may read of a finished run."""

    summary: Mapping[str, Any]
    announcements: Sequence[Mapping[str, Any]]
    series: Any | None  # the weekly series (pandas), when a statistic needs it
    start_date: dt.date
    weeks: int
    rounds: Sequence[Round] = ()  # the rounds held (``held_rounds``), for composite events
    events: Sequence[Any] = ()  # the public events (week, kind, side), for composite events


def _window(weeks: Sequence[int] | None, run: RunView) -> tuple[int, int]:
    return (1, run.weeks) if weeks is None else (int(weeks[0]), int(weeks[1]))


def announcements(
    run: RunView, side: str, kind: str = "escalation", weeks: Sequence[int] | None = None
) -> float:
    """Number of new tariff actions ``side`` announced (``kind``: escalation or retaliation)
    in the window of weeks."""
    lo, hi = _window(weeks, run)
    return float(
        sum(
            a["side"] == side and a["kind"] == kind and lo <= a["week"] <= hi
            for a in run.announcements
        )
    )


def mean_tariff(run: RunView, side: str, weeks: Sequence[int] | None = None) -> float:
    """``side``'s mean trade-weighted average tariff (%) over the window of weeks."""
    lo, hi = _window(weeks, run)
    ts = run.series
    assert ts is not None, "mean_tariff needs the weekly series"
    week = ts["week"].to_numpy()
    values = ts[TARIFF_COLUMN[side]].to_numpy(dtype=float)
    mask = (week >= lo) & (week <= hi)
    return float(values[mask].mean())


def final(run: RunView, indicator: str) -> float:
    """An indicator's value at the end of the run (a key of the summary's ``final``)."""
    return float(run.summary["final"][indicator])


def weeks_to_deal(run: RunView, cap: int) -> float:
    """Weeks to the first signed deal, capped at ``cap`` (``cap`` also when none is signed)."""
    week = run.summary.get("deal_week")
    return float(cap if week is None else min(int(week), cap))


def deal_by_week(run: RunView, week: int) -> float:
    """1 if a first deal is signed by ``week``, else 0."""
    first = run.summary.get("deal_week")
    return float(first is not None and int(first) <= week)


# ------------------------------------------------------------ dated statistics (hindcast)
MOVE_KINDS = {"us": "escalation", "china": "retaliation"}  # the record's Tariff.move rule
WEEK_DAYS = 7


def _week_day(run: RunView, week: int) -> dt.date:
    """The first day of model week ``week`` (week 1 starts on the run's start date)."""
    return run.start_date + dt.timedelta(weeks=int(week) - 1)


def _span_weeks(dates: Sequence[dt.date]) -> float:
    return (dates[1] - dates[0]).days / WEEK_DAYS


def tariff_dated(run: RunView, side: str, dates: Sequence[dt.date]) -> float:
    """``side``'s mean average tariff (%) over the days of ``dates`` (each week's level on
    each of its days)."""
    ts = run.series
    assert ts is not None, "tariff_dated needs the weekly series"
    week = ts["week"].to_numpy()
    values = ts[TARIFF_COLUMN[side]].to_numpy(dtype=float)
    first = np.array([(_week_day(run, w) - dates[0]).days for w in week])
    last = np.minimum(first + WEEK_DAYS - 1, (dates[1] - dates[0]).days)
    days = np.where(week >= 1, np.clip(last - np.maximum(first, 0) + 1, 0, None), 0)
    return float((days * values).sum() / days.sum())


def moves_dated(run: RunView, side: str, dates: Sequence[dt.date]) -> float:
    """New tariff actions ``side``'s maker announced (any kind) in weeks whose first day is
    in ``dates``."""
    return float(
        sum(
            a["side"] == side and dates[0] <= _week_day(run, a["week"]) <= dates[1]
            for a in run.announcements
        )
    )


def postponements_dated(run: RunView, dates: Sequence[dt.date]) -> float:
    """Postponements by either side of an action due in a week whose first day is in
    ``dates`` (the model decides when the action falls due)."""
    log = run.summary.get("gesture_log") or []
    return float(
        sum(
            g["kind"] == "postponement" and dates[0] <= _week_day(run, g["week"]) <= dates[1]
            for g in log
        )
    )


def weeks_to_deal_dated(run: RunView, dates: Sequence[dt.date]) -> float:
    """Weeks from ``dates[0]`` to the first signed deal, capped at ``dates[1]`` (0 if the deal
    came earlier)."""
    week = run.summary.get("deal_week")
    cap = _span_weeks(dates)
    if week is None:
        return cap
    return float(min(max((_week_day(run, week) - dates[0]).days / WEEK_DAYS, 0.0), cap))


def weeks_to_move(run: RunView, side: str, dates: Sequence[dt.date]) -> float:
    """Weeks from ``dates[0]`` to ``side``'s first new tariff action announced in a week
    starting on or after it, capped at ``dates[1]``."""
    days = sorted(
        _week_day(run, a["week"])
        for a in run.announcements
        if a["side"] == side and _week_day(run, a["week"]) >= dates[0]
    )
    cap = _span_weeks(dates)
    return cap if not days else min((days[0] - dates[0]).days / WEEK_DAYS, cap)


def _weeks_to_first(run: RunView, weeks: Sequence[int], dates: Sequence[dt.date]) -> float:
    days = sorted(_week_day(run, w) for w in weeks if _week_day(run, w) >= dates[0])
    cap = _span_weeks(dates)
    return cap if not days else min((days[0] - dates[0]).days / WEEK_DAYS, cap)


def weeks_to_truce(run: RunView, dates: Sequence[dt.date]) -> float:
    """Weeks from ``dates[0]`` to the first truce-type agreement (``truce_weeks``) dated in a
    week starting on or after it, capped at ``dates[1]``."""
    return _weeks_to_first(run, truce_weeks(run.rounds, run.events), dates)


def weeks_to_collapse(run: RunView, dates: Sequence[dt.date]) -> float:
    """Weeks from ``dates[0]`` to the first collapse (``collapse_weeks``) dated in a week
    starting on or after it, capped at ``dates[1]``."""
    return _weeks_to_first(run, collapse_weeks(run.rounds, run.events), dates)


Statistic = Callable[..., float]
STATISTICS: dict[str, Statistic] = {
    "announcements": announcements,
    "mean_tariff": mean_tariff,
    "final": final,
    "weeks_to_deal": weeks_to_deal,
    "deal_by_week": deal_by_week,
    "tariff_dated": tariff_dated,
    "moves_dated": moves_dated,
    "postponements_dated": postponements_dated,
    "weeks_to_deal_dated": weeks_to_deal_dated,
    "weeks_to_move": weeks_to_move,
    "weeks_to_truce": weeks_to_truce,
    "weeks_to_collapse": weeks_to_collapse,
}
NEEDS_SERIES = frozenset({"mean_tariff", "tariff_dated"})
NEEDS_ROUNDS = frozenset({"weeks_to_truce", "weeks_to_collapse"})  # read rounds and events
FINAL_KEYS = FINAL_INDICATORS  # every indicator the summary's `final` block holds


def _check_window(weeks: Any, horizon: int) -> str | None:
    ok = (
        isinstance(weeks, list)
        and len(weeks) == 2
        and all(isinstance(w, int) and not isinstance(w, bool) for w in weeks)
    )
    if not ok:
        return "weeks must be [first, last], two whole weeks"
    if not 1 <= weeks[0] <= weeks[1] <= horizon:
        return f"weeks must satisfy 1 <= first <= last <= run.weeks ({horizon})"
    return None


def _check_dates(dates: Any, start: dt.date | None, horizon: int) -> str | None:
    ok = (
        isinstance(dates, list)
        and len(dates) == 2
        and all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in dates)
    )
    if not ok:
        return "dates must be [first, last], two dates (YYYY-MM-DD)"
    if not dates[0] <= dates[1]:
        return "dates must satisfy first <= last"
    if start is not None:
        end = start + dt.timedelta(weeks=horizon, days=-1)
        if not start <= dates[0] <= dates[1] <= end:
            return f"dates must lie within the run, {start} to {end}"
    return None


def _check_values(
    name: str, args: Mapping[str, Any], horizon: int, start: dt.date | None
) -> list[tuple[str, str]]:
    out = []
    if "side" in args and args["side"] not in SIDES:
        out.append(("side", f"must be one of {', '.join(SIDES)}"))
    if "kind" in args and args["kind"] not in KINDS:
        out.append(("kind", f"must be one of {', '.join(KINDS)}"))
    if "weeks" in args:
        why = _check_window(args["weeks"], horizon)
        if why:
            out.append(("weeks", why))
    if name == "final" and args.get("indicator") not in FINAL_KEYS:
        out.append(("indicator", f"must be one of {', '.join(FINAL_KEYS)}"))
    if "dates" in args:
        why = _check_dates(args["dates"], start, horizon)
        if why:
            out.append(("dates", why))
    for key in ("cap", "week"):
        if key in args and not (isinstance(args[key], int) and 1 <= args[key] <= horizon):
            out.append((key, f"must be a whole week in 1..run.weeks ({horizon})"))
    return out


def check_args(
    name: str, args: Mapping[str, Any], horizon: int, start: dt.date | None = None
) -> list[tuple[str, str]]:
    """Problems with a statistic's arguments as (argument, message); empty if they are fine.
    With ``start`` (the run's first day) dated windows must lie within the run."""
    params = inspect.signature(STATISTICS[name]).parameters
    names = [p for p in params if p != "run"]
    required = [p for p in names if params[p].default is inspect.Parameter.empty]
    out = [(k, f"unknown argument of {name} (it takes {', '.join(names)})") for k in args]
    out = [p for p in out if p[0] not in names]
    out += [(k, "required argument is missing") for k in required if k not in args]
    return out + _check_values(name, args, horizon, start)


def window_dates(args: Mapping[str, Any], start: dt.date, horizon: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a statistic's window of weeks (the whole run without one)."""
    if "dates" in args:
        return args["dates"][0], args["dates"][1]
    lo, hi = args.get("weeks") or (1, horizon)
    return start + dt.timedelta(weeks=lo - 1), start + dt.timedelta(weeks=hi, days=-1)


# ------------------------------------------------------------ the record's own values
def _record_moves(record: Any, side: str) -> list[dt.date]:
    return sorted(e.date for e in record.counterparts(MOVE_KINDS[side], side))


def _record_tariff(record: Any, side: str, dates: Sequence[dt.date]) -> float:
    n = (dates[1] - dates[0]).days + 1
    days = (dates[0] + dt.timedelta(days=i) for i in range(n))
    return float(np.mean([sum(record.average_tariff(side, d).bounds) / 2 for d in days]))


def record_value(name: str, args: Mapping[str, Any], record: Any, start: dt.date) -> float | None:
    """A dated statistic's value on the record (``sim.record.Record``) for a run starting on
    ``start``: what a model run that followed the record would give (None: not a dated one).
    A range of the record's average tariff counts at its middle, as the start state does."""
    dates = args.get("dates")
    side = args.get("side")
    cap = None if dates is None else _span_weeks(dates)
    if name == "tariff_dated":
        return _record_tariff(record, side, dates)
    if name == "moves_dated":
        return float(sum(dates[0] <= d <= dates[1] for d in _record_moves(record, side)))
    if name == "postponements_dated":
        due = [e.from_date for e in record.of_kind("postponement") if e.date > start]
        return float(sum(dates[0] <= d <= dates[1] for d in due))
    if name == "weeks_to_deal_dated":
        deals = [e.date for e in record.of_kind("deal") if e.date >= dates[0]]
        return cap if not deals else min((deals[0] - dates[0]).days / WEEK_DAYS, cap)
    if name in ("weeks_to_move", "weeks_to_truce", "weeks_to_collapse"):
        kind = name.removeprefix("weeks_to_")  # truce, collapse: the ontology's counterparts
        days = _record_moves(record, side) if side else [e.date for e in record.counterparts(kind)]
        days = sorted(d for d in days if d >= dates[0])
        return cap if not days else min((days[0] - dates[0]).days / WEEK_DAYS, cap)
    return None


# ------------------------------------------------- composite events (docs/RECORD.md §2)
# "Truce-type agreement" and "collapse" read off a run's public events and rounds until the
# model records them itself (docs/RECORD.md, "The composite notions of core-v2 §3.4").
COMPOSITE_WEEKS = 1  # the definition's "within 1 week" (docs/RECORD.md), not a coefficient
HOSTILE = ("escalation", "retaliation")  # a truce holds fire: none of these
BREAKING = ("escalation", "fired")  # what turns a round held on a settled text into a collapse


@dataclass(frozen=True)
class Round:
    """A round the model held: its week, level, and whether a text settled by deputies
    awaited it (the negotiation's phase "text settled")."""

    week: int
    level: str
    text_settled: bool = False


def held_rounds(model: Any, since: int = 1) -> list[Round]:
    """The rounds a finished model held itself (calendar or requested) from week ``since``,
    in the order they ran.  A principal round is held on a settled text when a deputy round
    agreed a text after the previous principal round ran, in the same week or before (the
    model keeps no round log: rounds are its event list's, which runs a week's events in
    its order; settlements the accepted deputy offers of its offer history)."""
    rounds = [e for e in model._events if e.kind == "round" and not e.cancelled]
    held = sorted(rounds, key=lambda e: e.week)  # stable: a week's events run in list order
    history = model.negotiation.history  # a deputy round that agrees a text ends with it
    settled = Counter(r.week for r in history if r.accepted and r.level == "deputy")
    out, pending = [], False  # a text settled and not yet taken to a principal round
    for week, level in ((e.week, e.payload.level) for e in held if e.week <= model.steps):
        text, pending = (pending, False) if level == "principal" else (False, pending)
        if level == "deputy" and settled[week] > 0:
            settled[week], pending = settled[week] - 1, True
        out += [Round(week, level, text)] if week >= since else []
    return out


def _weeks_of(events: Sequence[Any], kinds: Sequence[str], side: str | None = None) -> list[int]:
    return sorted(e.week for e in events if e.kind in kinds and side in (None, e.side))


def truce_weeks(
    rounds: Sequence[Round], events: Sequence[Any], weeks: int = COMPOSITE_WEEKS
) -> list[int]:
    """Weeks of truce-type agreements (sorted, distinct): a principal round followed within
    ``weeks`` by a postponement, with no escalation, retaliation or deal from the round to it
    (dated at the round); postponements of both sides within ``weeks`` of each other with no
    deal between (dated at the second); and ``truce`` events the model recorded.  ``events``
    are public events (``week``, ``kind``, ``side``), deals included."""
    post = _weeks_of(events, ("postponement",))
    bad = _weeks_of(events, (*HOSTILE, "deal"))
    deals = _weeks_of(events, ("deal",))
    out = set(_weeks_of(events, ("truce",)))
    for r in (r for r in rounds if r.level == "principal"):
        held = [p for p in post if r.week <= p <= r.week + weeks]
        if any(not any(r.week <= b <= p for b in bad) for p in held):
            out.add(r.week)
    us, cn = (
        _weeks_of(events, ("postponement",), "us"),
        _weeks_of(events, ("postponement",), "china"),
    )
    for a in us:
        for b in (b for b in cn if abs(a - b) <= weeks):
            lo, hi = min(a, b), max(a, b)
            if not any(lo <= d <= hi for d in deals):
                out.add(hi)
    return sorted(out)


def collapse_weeks(
    rounds: Sequence[Round], events: Sequence[Any], weeks: int = COMPOSITE_WEEKS
) -> list[int]:
    """Weeks of collapses (sorted, distinct): a principal round held on a settled text, with
    no deal signed in it, followed within ``weeks`` by an escalation or a tariff in force of
    either side (dated at the round); and ``collapse`` events the model recorded."""
    breaking = _weeks_of(events, BREAKING)
    deals = set(_weeks_of(events, ("deal",)))
    out = set(_weeks_of(events, ("collapse",)))
    for r in rounds:
        if r.level == "principal" and r.text_settled and r.week not in deals:
            if any(r.week <= b <= r.week + weeks for b in breaking):
                out.add(r.week)
    return sorted(out)
