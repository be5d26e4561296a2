"""Model forecasts: draws of the model branched from the replayed record, in the forecast format.

Each draw replays the record from ``start`` to the origin (``[history]``, sim/replay.py), so
beliefs, readiness, approval and the world carry the recorded history, and then lets the
agents decide.  With a calibration, each draw's parameters are a particle drawn by its
weight from the last generation (never the medians: core-v2 §3.5).  The draws become the
targets of a target list (docs/FORECASTS.md); a target the model cannot produce would be left
out and named, never filled in.  Truces and collapses are read off each run by the composite
rules of docs/RECORD.md (``calibstats.truce_weeks``, ``collapse_weeks``); soybean exports in
tonnes are the model's dollars divided by its own soybean price.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tradetalks.experiments.calibstats import collapse_weeks, held_rounds, truce_weeks
from tradetalks.experiments.forecastfile import (
    EventTarget,
    Forecast,
    QuantityTarget,
    build_forecast,
)
from tradetalks.experiments.seeds import run_seed

SERIES_OF = {
    ("average_tariff", "us"): "us_tariff_avg",
    ("average_tariff", "china"): "cn_tariff_avg",
}
MODEL_EVENTS = ("escalation", "retaliation", "fired", "postponement", "gesture")  # public kinds
DEAL_EVENTS = ("deal", "interim_deal")  # from the signed agreements
COMPOSITE_EVENTS = {"truce": truce_weeks, "collapse": collapse_weeks}  # read off (RECORD.md)
# Unit conversions of the soybean target (definitions, not coefficients): the model's exports
# are $bn a year at its price in $/bushel; the record's are million tonnes in a period.
BUSHELS_PER_TONNE = 2204.62262 / 60.0  # a soybean bushel is 60 lb (USDA); a tonne 2204.62 lb
DAYS_PER_YEAR = 365.0  # an annual rate over a period of d days: d / 365 of it (sim/trade_fit.py)
MT_PER_BN = 1e9 / 1e6  # $bn/($/t) = 1e9 t; in million tonnes


class ForecastInputError(ValueError):
    """Bad forecast input (a calibration directory, dates): the command exits 2."""


@dataclass(frozen=True)
class Particles:
    """The weighted particles of a calibration's last generation, by config key."""

    paths: list[str]
    values: np.ndarray  # particles × parameters
    weights: np.ndarray  # normalised
    provenance: dict[str, Any]

    def draw(self, rng: np.random.Generator, n: int) -> list[dict[str, float]]:
        """``n`` parameter sets, sampled with replacement by weight."""
        idx = rng.choice(len(self.weights), size=n, p=self.weights)
        return [dict(zip(self.paths, map(float, self.values[i]), strict=True)) for i in idx]


def load_particles(directory: str | Path) -> Particles:
    """The last generation of ``tradetalks calibrate``'s output (particles.parquet and
    calibration.json); a missing or inconsistent directory raises ``ForecastInputError``."""
    import pyarrow.parquet as pq

    root = Path(directory)
    try:
        manifest = json.loads((root / "calibration.json").read_text(encoding="utf-8"))
        table = pq.read_table(root / "particles.parquet").to_pandas()
    except (OSError, ValueError) as exc:
        raise ForecastInputError(
            f"--calibration {root}: not a calibration output ({exc})"
        ) from None
    paths = [p["path"] for p in manifest.get("parameters", []) if p.get("path")]
    missing = [p for p in paths if p not in table.columns]
    if not paths or missing or "weight" not in table.columns:
        raise ForecastInputError(
            f"--calibration {root}: particles.parquet lacks "
            f"{', '.join(missing) or 'parameter columns' if paths else 'parameters'} or weight"
        )
    gen = int(table["generation"].max()) if "generation" in table.columns else None
    last = table if gen is None else table[table["generation"] == gen]
    w = last["weight"].to_numpy(float)
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ForecastInputError(f"--calibration {root}: particle weights are not usable")
    prov = {"directory": str(root), "generation": gen, "particles": len(last)}
    return Particles(paths, last[paths].to_numpy(float), w / w.sum(), prov)


@dataclass
class Plan:
    """What to run: the branch (origin) and replay start, the targets, the draws."""

    origin: dt.date
    start: dt.date
    targets: list[Any]
    draws: int
    seed: int
    config: str | Path | None = None
    sets: dict[str, Any] = field(default_factory=dict)
    particles: Particles | None = None

    @property
    def horizon(self) -> dt.date:
        """The last day any target needs."""
        return max(t.horizon if isinstance(t, EventTarget) else t.date for t in self.targets)

    @property
    def weeks(self) -> int:
        """Weeks to run from the start so the run covers the horizon."""
        return math.ceil(((self.horizon - self.start).days + 1) / 7)


def producible(targets: Sequence[Any]) -> tuple[list[Any], dict[str, str]]:
    """The targets the model can forecast, and the others with the reason."""
    keep, skipped = [], {}
    for t in targets:
        why = _why_not(t)
        if why is None:
            keep.append(t)
        else:
            skipped[t.name] = why
    return keep, skipped


def _why_not(t: Any) -> str | None:
    if isinstance(t, QuantityTarget):
        return None
    if t.event in MODEL_EVENTS or t.event in DEAL_EVENTS or t.event in COMPOSITE_EVENTS:
        return None
    return f"the model records no {t.event!r} event yet (docs/RECORD.md §2)"


def _week_starts(start: dt.date, weeks: int) -> np.ndarray:
    return np.array([start + dt.timedelta(weeks=w) for w in range(weeks)], dtype="datetime64[D]")


def quantity(t: QuantityTarget, series: Any, starts: np.ndarray, fed_half_step: float) -> float:
    """A quantity target's value in one run's weekly series (row 0: the start; row k + 1:
    the end of the week that begins on ``starts[k]``): a level in force on the date (the
    last week begun by then), a period's average over the weeks begun in it, or (soybean
    exports) a period's total in tonnes, ``soybean_tonnes``."""
    day = np.datetime64(t.date, "D")
    if t.record_kind in ("cny", "soybean_exports"):
        lo = np.datetime64(t.period_start, "D")
        rows = np.flatnonzero((starts >= lo) & (starts <= day)) + 1
        if t.record_kind == "soybean_exports":
            return soybean_tonnes(series, rows, (t.date - t.period_start).days + 1)
        return float(series["cny_usd"].to_numpy(float)[rows].mean())
    row = int(np.searchsorted(starts, day, side="right"))
    if t.record_kind == "fed":  # the model's rate is the range's midpoint
        return float(series["fed_rate"].to_numpy(float)[row]) + fed_half_step
    return float(series[SERIES_OF[(t.record_kind, t.side)]].to_numpy(float)[row])


def soybean_tonnes(series: Any, rows: np.ndarray, days: int) -> float:
    """Million tonnes exported over a period of ``days`` days: each week's annualised exports
    ($bn a year) divided by its soybean price ($/bushel, converted to $/tonne), averaged over
    the period's weeks (``rows``), times the period's share of a year."""
    dollars = series["soybean_exports_bn"].to_numpy(float)[rows]
    per_tonne = series["soybean_price"].to_numpy(float)[rows] * BUSHELS_PER_TONNE
    return float((dollars / per_tonne).mean() * MT_PER_BN * days / DAYS_PER_YEAR)


def event_date(t: EventTarget, occurred: list[tuple[dt.date, str, str]], origin: dt.date) -> Any:
    """The first matching event after the origin, up to the horizon (None: none)."""
    for day, kind, side in occurred:
        if kind == t.event and (t.side is None or side == t.side) and origin < day <= t.horizon:
            return np.datetime64(day, "D")
    return np.datetime64("NaT", "D")


def occurred_events(
    model: Any, origin: dt.date, branch_week: int
) -> list[tuple[dt.date, str, str]]:
    """The run's dated events from the branch week on (public kinds, signed agreements, and
    the truces and collapses read off its rounds and events), in date order; the weeks
    before were replayed.  Without a replay the first week starts on the origin itself, so
    its events are dated the day after."""
    floor = origin + dt.timedelta(days=1)

    def day(week: int) -> dt.date:
        return max(model.start_date + dt.timedelta(weeks=week - 1), floor)

    neg = model.negotiation
    out = [
        (day(e.week), e.kind, e.side)
        for e in neg.events
        if e.kind in MODEL_EVENTS and e.week >= branch_week
    ]
    for d in (d for d in neg.deals if d.week >= branch_week):
        out.append((day(d.week), "deal", "both"))
        if d.interim:
            out.append((day(d.week), "interim_deal", "both"))
    rounds = held_rounds(model)
    for kind, read_off in COMPOSITE_EVENTS.items():
        weeks = read_off(rounds, neg.events)
        out += [(day(w), kind, "both") for w in weeks if w >= branch_week]
    return sorted(out, key=lambda x: x[0])


def run_draw(plan: Plan, params: dict[str, float], seed: int) -> tuple[dict[str, Any], dict]:
    """One draw: the model replayed to the origin, then free; its targets and terms."""
    from tradetalks.sim.model import TradeTalksModel

    overrides = {
        **plan.sets,
        **params,
        "history.start": plan.start,
        "run.weeks": plan.weeks,
        **({"history.replay_until": plan.origin} if plan.origin > plan.start else {}),
    }
    model = TradeTalksModel(plan.config, rng=seed, overrides=overrides)
    summary = model.run()
    series = model.timeseries()
    starts = _week_starts(model.start_date, len(series) - 1)
    half = model.config.world.fed.step / 2
    branch = int((summary.get("history") or {}).get("branch_week") or 1)
    events = occurred_events(model, plan.origin, branch)
    values = {
        t.name: quantity(t, series, starts, half)
        if isinstance(t, QuantityTarget)
        else event_date(t, events, plan.origin)
        for t in plan.targets
    }
    return values, {"seed": seed, "deal_date": summary.get("deal_date"), **summary["terms"]}


def forecast(
    plan: Plan, made_by: dict[str, str], tick: Callable[[], None] | None = None
) -> tuple[Forecast, list[dict[str, Any]]]:
    """Run every draw; the validated forecast and one row of first-deal terms per draw."""
    rng = np.random.default_rng(plan.seed)
    params = plan.particles.draw(rng, plan.draws) if plan.particles else [{}] * plan.draws
    cols: dict[str, list[Any]] = {t.name: [] for t in plan.targets}
    terms = []
    for i, p in enumerate(params):
        values, row = run_draw(plan, p, run_seed(plan.seed, i, 0))
        for name, v in values.items():
            cols[name].append(v)
        terms.append({"draw": i, **p, **row})  # the particle's parameters, for provenance
        if tick:
            tick()
    prov = plan.particles.provenance if plan.particles else None
    fc = build_forecast(plan.origin, plan.targets, cols, None, made_by, prov)
    return fc, terms
