"""Dates for the app's charts and tables: weeks become days on the calendar.

Week ``w`` (1-based) runs from ``start_date + (w - 1)`` weeks for seven days.  A week's
recorded state (the DataCollector row of week ``w``) is the state at the *end* of that week,
so charts draw it on ``start_date + w`` weeks; week 0, the starting state, sits on the start
date.  Offers are drawn inside their week, spread so that the offers of one week do not
overlap; tables name an offer by the first day of its week (as ``deal_date`` does).
ECharts reads the ISO strings as local dates and prints its axis labels in local time, so
the browser's time zone never shifts a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

WEEK = dt.timedelta(weeks=1)
# ECharts time-axis label templates by tick level: a month tick says the month, a day tick
# the day and month, a year tick the year (never a bare "15" that reads as a value)
AXIS_FORMATS = {"year": "{yyyy}", "month": "{MMM}", "day": "{d} {MMM}", "hour": "{d} {MMM}"}


def first_day(model: TradeTalksModel, week: int) -> dt.date:
    """First day of week ``week`` (week 1 starts on the start date; week 0 is the start)."""
    return model.start_date + WEEK * max(week - 1, 0)


def week_end(model: TradeTalksModel, week: float) -> dt.datetime:
    """The moment a week's recorded state refers to: the end of week ``week``."""
    start = dt.datetime.combine(model.start_date, dt.time())
    return start + WEEK * float(week)


def stamp(moment: dt.date | dt.datetime) -> str:
    """ISO text ECharts parses as a local date (seconds precision)."""
    if isinstance(moment, dt.datetime):
        return moment.replace(microsecond=0).isoformat()
    return moment.isoformat()


def week_stamps(model: TradeTalksModel, weeks: Sequence[Any]) -> list[str]:
    """Chart positions of recorded weeks (each at the end of its week)."""
    return [stamp(week_end(model, float(w))) for w in weeks]


def offer_stamps(model: TradeTalksModel, weeks: Sequence[int]) -> list[str]:
    """Chart positions of offers: inside their week, spread evenly among that week's offers."""
    counts: dict[int, int] = {}
    for w in weeks:
        counts[w] = counts.get(w, 0) + 1
    seen: dict[int, int] = {}
    out = []
    for w in weeks:
        k = seen.get(w, 0)
        seen[w] = k + 1
        out.append(stamp(week_end(model, w - 1 + (k + 1) / (counts[w] + 1))))
    return out


def day_text(day: dt.date) -> str:
    """A date as people read it: ``11 Nov 2019``."""
    return f"{day.day} {day:%b %Y}"


def week_span(model: TradeTalksModel, week: int) -> str:
    """The days of week ``week``: ``11–17 Nov 2019`` (the start date for week 0)."""
    if week <= 0:
        return f"starting {day_text(model.start_date)}"
    first = first_day(model, week)
    last = first + dt.timedelta(days=6)
    if first.month == last.month:
        return f"{first.day}–{day_text(last)}"
    if first.year == last.year:
        return f"{first.day} {first:%b}–{day_text(last)}"
    return f"{day_text(first)}–{day_text(last)}"


def time_axis(model: TradeTalksModel, **extra: Any) -> dict[str, Any]:
    """An ECharts time axis over the run: the start date to the end of the last week."""
    axis: dict[str, Any] = {
        "type": "time",
        "min": stamp(model.start_date),
        "max": stamp(week_end(model, model.horizon)),
        "axisLabel": {"formatter": AXIS_FORMATS, "hideOverlap": True, "fontSize": 10},
        "splitLine": {"show": False},
    }
    axis.update(extra)
    return axis
