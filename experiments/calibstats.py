"""Named summary statistics of a finished tradetalks run, for calibration files.

Each statistic is a small function of a finished run (``RunView``: the summary, the makers'
announcements, and the weekly series when a statistic needs them) and of its arguments from
the calibration file; it returns one float.  ``STATISTICS`` is the registry a calibration
file's ``[[statistics]] statistic = "..."`` names; ``check_args`` says what is wrong with a
statistic's arguments before anything runs.  Weeks count from 1 (the run's first week);
windows are inclusive, ``[first, last]``.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


Statistic = Callable[..., float]
STATISTICS: dict[str, Statistic] = {
    "announcements": announcements,
    "mean_tariff": mean_tariff,
    "final": final,
    "weeks_to_deal": weeks_to_deal,
    "deal_by_week": deal_by_week,
}
NEEDS_SERIES = frozenset({"mean_tariff"})
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


def _check_values(name: str, args: Mapping[str, Any], horizon: int) -> list[tuple[str, str]]:
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
    for key in ("cap", "week"):
        if key in args and not (isinstance(args[key], int) and 1 <= args[key] <= horizon):
            out.append((key, f"must be a whole week in 1..run.weeks ({horizon})"))
    return out


def check_args(name: str, args: Mapping[str, Any], horizon: int) -> list[tuple[str, str]]:
    """Problems with a statistic's arguments as (argument, message); empty if they are fine."""
    params = inspect.signature(STATISTICS[name]).parameters
    names = [p for p in params if p != "run"]
    required = [p for p in names if params[p].default is inspect.Parameter.empty]
    out = [(k, f"unknown argument of {name} (it takes {', '.join(names)})") for k in args]
    out = [p for p in out if p[0] not in names]
    out += [(k, "required argument is missing") for k in required if k not in args]
    return out + _check_values(name, args, horizon)


def window_dates(args: Mapping[str, Any], start: dt.date, horizon: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a statistic's window of weeks (the whole run without one)."""
    lo, hi = args.get("weeks") or (1, horizon)
    return start + dt.timedelta(weeks=lo - 1), start + dt.timedelta(weeks=hi, days=-1)
