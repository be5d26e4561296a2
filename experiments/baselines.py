"""Naive baseline forecasts from the record as known at the origin (docs/FORECASTS.md §3).

Three baselines, written in the forecast format of ``forecastfile`` for the same targets:

- ``persistence``: every quantity stays at its last value known at the origin; no event.
- ``actions``: every announced tariff action still pending at the origin fires on its due
  date, stepping the side's average tariff by amount x (new rate - old rate) / imports
  (a trade-weighted average with the record's 2017 weights); other quantities persist; the
  only event is ``fired``, on the first due date.
- ``base_rate``: a constant weekly hazard per event kind, the count of that kind's entries
  from the record's start to the origin over the weeks between; no quantity.

Each sees only ``known_at(record, origin)``: the entries dated (and published, and ended)
on or before the origin.  Coefficients live in ``configs/forecasts/scoring.toml``.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError
from tradetalks.experiments.forecastfile import (
    QUANTITIES,
    EventTarget,
    Forecast,
    Meta,
    QuantityTarget,
    build_forecast,
)
from tradetalks.sim.config_base import ConfigError, Strict, between
from tradetalks.sim.record import ONTOLOGY, Record, problems_from
from tradetalks.sim.shipped import shipped_root

WEEK_DAYS = 7  # a calendar fact: the hazard is per week
NAMES = ("persistence", "actions", "base_rate")


class SettingsError(ConfigError):
    """The scoring settings file is invalid."""

    what = "scoring settings"


class ScoringSection(Strict):
    """How scores are computed (reasons in the TOML)."""

    probability_floor: between(1e-12, 0.1)
    pit_bins: Annotated[int, Field(ge=2, le=100)]
    pit_min_targets: Annotated[int, Field(ge=1, le=10_000)]


class BaselineSection(Strict):
    """How the baselines are built (reasons in the TOML)."""

    draws: Annotated[int, Field(ge=1, le=100_000)]
    period_tolerance_days: Annotated[int, Field(ge=0, le=31)]
    range_rate: Literal["low", "mid", "high", "omit"]


class Settings(Strict):
    """``configs/forecasts/scoring.toml``."""

    scoring: ScoringSection
    baselines: BaselineSection


def package_version() -> str:
    """The installed tradetalks version (``unknown`` when it is not installed)."""
    import importlib.metadata

    try:
        return importlib.metadata.version("tradetalks")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def settings_path() -> Path:
    """The shipped scoring settings."""
    return shipped_root() / "forecasts" / "scoring.toml"


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate the scoring settings (default: the shipped file)."""
    given = Path(path) if path is not None else settings_path()
    try:
        raw = tomllib.loads(given.read_text(encoding="utf-8"))
        return Settings.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError([("", str(exc))], str(given)) from None
    except ValidationError as exc:
        raise SettingsError(problems_from(exc, raw), str(given)) from None


# --------------------------------------------------------------------------- the record
def known_at(record: Record, origin: dt.date) -> Record:
    """The record as known on ``origin``: entries dated, published and ended by then."""

    def known(e: Any) -> bool:
        last = max(
            e.date, getattr(e, "published", None) or e.date, getattr(e, "end", None) or e.date
        )
        return last <= origin

    return record.model_copy(
        update={
            "entries": [e for e in record.entries if known(e)],
            "baseline": [e for e in record.baseline if known(e)],
        }
    )


def event_dates(record: Record, event: str, side: str | None) -> list[dt.date]:
    """The dates of the record's entries matching a model event kind (docs/RECORD.md §2),
    each at the ontology's matching date (a postponement at the date it was due)."""
    kind = "deal" if event == "interim_deal" else event
    entries = record.counterparts(kind, side)
    if event == "interim_deal":
        entries = [e for e in entries if e.interim]
    return sorted(getattr(e, ONTOLOGY[kind].date_field) for e in entries)


def _period_days(e: Any) -> int:
    return (e.date - e.period_start).days


def persisted(known: Record, t: QuantityTarget, origin: dt.date, tolerance: int) -> float | None:
    """The last value of the target's quantity known at the origin (None: none known)."""
    q = QUANTITIES[t.record_kind]
    if t.record_kind == "average_tariff":
        e = known.average_tariff(t.side, origin)
        return None if e is None else sum(e.bounds) / 2
    if t.record_kind == "fed":
        r = known.fed_range(origin)
        return None if r is None else r[1]
    length = (t.date - t.period_start).days
    found = [
        getattr(e, q.field)
        for e in known.of_kind(t.record_kind)
        if getattr(e, q.field) is not None and abs(_period_days(e) - length) <= tolerance
    ]
    return found[-1] if found else None


# --------------------------------------------------------------------------- tariff actions
@dataclass(frozen=True)
class Step:
    """A pending tariff action's step of its side's average tariff on its due date; ``pp``
    None when the record does not determine it (``why``)."""

    side: str
    due: dt.date
    pp: float | None
    label: str
    why: str = ""


def _rate(a: Any, range_rate: str) -> tuple[float | None, str]:
    if a.rate_pct is not None:
        return a.rate_pct, ""
    lo, hi = a.rate_min_pct, a.rate_max_pct
    if lo is None or hi is None or range_rate == "omit":
        return None, "no single rate given"
    return {"low": lo, "mid": (lo + hi) / 2, "high": hi}[range_rate], ""


def _step_pp(a: Any, imports: float | None, range_rate: str) -> tuple[float | None, str]:
    """amount x (rate - rate before) / imports, in pp of the trade-weighted average."""
    if len(a.due) > 1:
        return None, "several due dates; the record gives no split of the amount"
    if a.amount_bn is None:
        return None, "no amount given"
    if imports is None:
        return None, "no bilateral trade weights known at the origin"
    rate, why = _rate(a, range_rate)
    if rate is None:
        return None, why
    return a.amount_bn * (rate - (a.rate_from_pct or 0.0)) / imports, ""


def pending_steps(known: Record, origin: dt.date, range_rate: str) -> list[Step]:
    """Announced (or rescheduled) actions due after the origin, their due dates moved by the
    side's own postponements known at the origin (no new date: no longer pending)."""
    trade = known.in_force("bilateral_trade", origin)
    imports = {
        "us": None if trade is None else trade.us_imports_bn,
        "china": None if trade is None else trade.china_imports_bn,
    }
    posts = known.of_kind("postponement")
    steps = []
    for a in known.of_kind("tariff"):
        if a.stage not in ("announced", "rescheduled"):
            continue
        pp, why = _step_pp(a, imports[a.side], range_rate)
        for due in a.due:
            day: dt.date | None = due
            for p in posts:
                if day is not None and p.side == a.side and p.date >= a.date and p.from_date == day:
                    day = p.to_date
            if day is not None and day > origin:
                steps.append(Step(a.side, day, pp, a.label, why))
    return sorted(steps, key=lambda s: s.due)


# --------------------------------------------------------------------------- the baselines
@dataclass
class Baseline:
    """A baseline's forecast (None when it forecasts none of the targets) and the targets it
    leaves out, with the reason."""

    name: str
    forecast: Forecast | None
    omitted: dict[str, str] = field(default_factory=dict)


def hazard(
    known: Record, event: str, side: str | None, origin: dt.date
) -> tuple[float, int, float]:
    """(weekly hazard, events, weeks): the event kind's entries from the record's start to the
    origin, per week."""
    start = known.window.start
    n = sum(start <= d <= origin for d in event_dates(known, event, side))
    weeks = (origin - start).days / WEEK_DAYS
    return (min(n / weeks, 1.0) if weeks > 0 else 0.0), n, weeks


def hazard_draws(h: float, origin: dt.date, horizon: dt.date, n: int) -> np.ndarray:
    """Stratified draws of the first event date under a constant weekly hazard ``h``:
    draw i is the date where P(event by date) = (i + 0.5) / n (NaT: after the horizon)."""
    out = np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")
    if h <= 0:
        return out
    u = (np.arange(n) + 0.5) / n
    days = np.full(n, 1.0) if h >= 1 else WEEK_DAYS * np.log1p(-u) / math.log1p(-h)
    day = np.datetime64(origin, "D") + np.maximum(np.ceil(days), 1).astype(int)
    inside = day <= np.datetime64(horizon, "D")
    out[inside] = day[inside]
    return out


def _none(n: int) -> np.ndarray:
    return np.full(n, np.datetime64("NaT", "D"), dtype="datetime64[D]")


def _quantities(name: str, known: Record, meta: Meta, cfg: BaselineSection,
                steps: list[Step]) -> tuple[dict[str, Any], dict[str, str]]:  # fmt: skip
    """Persistence (``steps`` empty) or every action firing, for each quantity target."""
    values, omitted = {}, {}
    for t in meta.targets:
        if not isinstance(t, QuantityTarget):
            continue
        base = persisted(known, t, meta.origin, cfg.period_tolerance_days)
        if base is None:
            omitted[t.name] = "no value of this quantity known at the origin"
            continue
        mine = [s for s in steps if t.side is not None and s.side == t.side and s.due <= t.date]
        if t.record_kind != "average_tariff" or not mine:
            values[t.name] = base
            continue
        bad = next((s for s in mine if s.pp is None), None)
        if bad is not None:
            omitted[t.name] = f"the step of '{bad.label}' ({bad.due}) is undetermined: {bad.why}"
            continue
        values[t.name] = base + sum(s.pp for s in mine)
    return values, omitted


def build_baselines(record: Record, meta: Meta, settings: Settings) -> list[Baseline]:
    """The three baselines for ``meta``'s origin and targets, from ``known_at`` alone."""
    known, cfg, n = known_at(record, meta.origin), settings.baselines, settings.baselines.draws
    steps = pending_steps(known, meta.origin, cfg.range_rate)
    made = {"command": "tradetalks score (naive baseline)", "version": package_version()}
    events = [t for t in meta.targets if isinstance(t, EventTarget)]
    out = []
    for name in NAMES:
        cols: dict[str, Any] = {}
        omitted: dict[str, str] = {}
        if name != "base_rate":
            values, omitted = _quantities(
                name, known, meta, cfg, steps if name == "actions" else []
            )
            cols = {k: np.full(n, v) for k, v in values.items()}
        for t in events:
            if name == "base_rate":
                h = hazard(known, t.event, t.side, meta.origin)[0]
                cols[t.name] = hazard_draws(h, meta.origin, t.horizon, n)
            elif name == "actions" and t.event == "fired":
                due = [s.due for s in steps if t.side in (None, s.side) and s.due <= t.horizon]
                cols[t.name] = _none(n) if not due else np.full(n, np.datetime64(min(due), "D"))
            else:
                cols[t.name] = _none(n)
        targets = [t for t in meta.targets if t.name in cols]
        made_by = {**made, "command": f"{made['command']}: {name}"}
        fc = build_forecast(meta.origin, targets, cols, None, made_by) if targets else None
        out.append(Baseline(name, fc, omitted))
    return out
