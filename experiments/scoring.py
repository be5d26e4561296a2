"""Scoring a forecast against a record with proper scoring rules, beside naive baselines.

Quantities: the CRPS of the weighted ensemble (``scoringrules.crps_ensemble``, energy form,
which honours member weights: E|X - y| - E|X - X'| / 2) and the PIT, F(y-) + P(X = y) / 2 (the
mid-point of a tie, so no random number is drawn).  Dated events: for each date D, the
probability p of the event by D, its Brier score (p - o)^2 and its log score -ln p (or
-ln(1 - p) when it did not happen), p clipped to [floor, 1 - floor] for the log score.  Lower
is better for all three; skill = 1 - score / baseline score.  docs/FORECASTS.md has the rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from tradetalks.experiments.baselines import (
    Baseline,
    Settings,
    build_baselines,
    event_dates,
)
from tradetalks.experiments.forecastfile import QUANTITIES, EventTarget, Forecast, Meta
from tradetalks.sim.record import Record


# --------------------------------------------------------------------------- scoring rules
def crps(draws: np.ndarray, weights: np.ndarray, y: float) -> float:
    """The CRPS of a weighted ensemble at ``y`` (scoringrules, energy form with weights)."""
    import scoringrules as sr

    return float(sr.crps_ensemble(y, draws, ens_w=weights, estimator="nrg", backend="numpy"))


def pit(draws: np.ndarray, weights: np.ndarray, y: float) -> float:
    """The PIT of ``y``: the weight below it plus half the weight at it."""
    below = weights[draws < y].sum() + 0.5 * weights[draws == y].sum()
    return float(min(max(below / weights.sum(), 0.0), 1.0))  # no rounding past 0 or 1


def prob_by(dates: np.ndarray, weights: np.ndarray, day: dt.date) -> float:
    """P(the event by ``day``): the weight of draws with an event date on or before it."""
    hit = ~np.isnat(dates) & (dates <= np.datetime64(day, "D"))
    return float(min(weights[hit].sum() / weights.sum(), 1.0))  # no rounding past 1


def brier(p: float, happened: bool) -> float:
    """The Brier score of a probability (lower is better)."""
    return (p - float(happened)) ** 2


def log_score(p: float, happened: bool, floor: float) -> float:
    """The negative log likelihood of the outcome, ``p`` clipped to [floor, 1 - floor]."""
    q = min(max(p, floor), 1.0 - floor)
    return float(-np.log(q if happened else 1.0 - q))


# --------------------------------------------------------------------------- the record
def observed(record: Record, t: Any) -> tuple[float | None, str]:
    """The record's value of a quantity target and a note, or (None, why not)."""
    end = record.window.end
    if t.date > end:
        return None, f"{t.date} is after the record's window (to {end})"
    if t.record_kind == "average_tariff":
        e = record.average_tariff(t.side, t.date)
        if e is None:
            return None, "no average tariff in force at the date"
        lo, hi = e.bounds
        note = f"range {lo}-{hi}: midpoint" if lo != hi else ("approx" if e.approx else "")
        return (lo + hi) / 2, note
    if t.record_kind == "fed":
        r = record.fed_range(t.date)
        return (None, "no FOMC decision before the date") if r is None else (r[1], "")
    q = QUANTITIES[t.record_kind]
    for e in record.of_kind(t.record_kind):
        value = getattr(e, q.field)
        if e.period_start == t.period_start and e.date == t.date and value is not None:
            return value, "approx" if q.field in e.approx else ""
    return None, f"the record has no {t.record_kind} {q.field} for {t.period_start} to {t.date}"


def outcomes(record: Record, t: EventTarget, origin: dt.date) -> dict[dt.date, bool | str]:
    """For each date of ``t.by``: did the event happen by then (after the origin), or why
    the record cannot say (a date past its window with no event before it)."""
    first = next((d for d in event_dates(record, t.event, t.side) if d > origin), None)
    out: dict[dt.date, bool | str] = {}
    for day in t.by:
        if first is not None and first <= day:
            out[day] = True
        elif day <= record.window.end:
            out[day] = False
        else:
            out[day] = f"{day} is after the record's window (to {record.window.end})"
    return out


# --------------------------------------------------------------------------- scoring
def _quantity_row(fcs: dict[str, Forecast], t: Any, y: float, note: str) -> dict[str, Any]:
    row: dict[str, Any] = {"target": t.name, "kind": "quantity", "group": _group(t)}
    row |= {"date": t.date.isoformat(), "observed": y, "note": note, "scores": {}}
    for name, fc in fcs.items():
        if t.name in fc.values:
            x, w = fc.values[t.name], fc.weights
            row["scores"][name] = {
                "mean": float(np.dot(w, x)),
                "crps": crps(x, w, y),
                "pit": pit(x, w, y),
            }
    return row


def _event_rows(
    fcs: dict[str, Forecast],
    t: EventTarget,
    origin: dt.date,
    floor: float,
    record: Record,
    unresolved: list[dict[str, str]],
) -> list[dict[str, Any]]:
    rows = []
    for day, happened in outcomes(record, t, origin).items():
        if isinstance(happened, str):
            unresolved.append({"target": t.name, "by": day.isoformat(), "why": happened})
            continue
        row: dict[str, Any] = {"target": t.name, "kind": "event", "group": "events"}
        row |= {"date": day.isoformat(), "observed": int(happened), "note": "", "scores": {}}
        for name, fc in fcs.items():
            if t.name in fc.values:
                p = prob_by(fc.values[t.name], fc.weights, day)
                row["scores"][name] = {
                    "p": p,
                    "brier": brier(p, happened),
                    "log": log_score(p, happened, floor),
                }
        rows.append(row)
    return rows


def _group(t: Any) -> str:
    return t.record_kind + (f" {t.side}" if t.side else "")


RULES = {"quantity": ("crps",), "event": ("brier", "log")}


def summarise(
    rows: list[dict[str, Any]], names: list[str], refs: list[str]
) -> list[dict[str, Any]]:
    """Mean score per group, rule and forecaster over the rows all of them cover; skill of
    each forecaster against each reference (None where the reference scores 0)."""
    out = []
    groups = list(dict.fromkeys((r["group"], r["kind"]) for r in rows))
    for group, kind in groups:
        mine = [r for r in rows if r["group"] == group]
        for rule in RULES[kind]:
            means = {}
            for n in names:
                vals = [r["scores"][n][rule] for r in mine if n in r["scores"]]
                if len(vals) == len(mine):
                    means[n] = float(np.mean(vals))
            skill = {
                f"{n} vs {b}": (None if means[b] == 0 else 1.0 - means[n] / means[b])
                for n in means
                for b in refs
                if b in means and b != n
            }
            out.append(
                {"group": group, "rule": rule, "n": len(mine), "mean": means, "skill": skill}
            )
    return out


def score(forecast: Forecast | None, meta: Meta, record: Record, settings: Settings,
          baselines: list[Baseline] | None = None) -> dict[str, Any]:  # fmt: skip
    """Score ``forecast`` (None: the baselines alone) and the baselines on every target the
    record resolves; list the targets it cannot."""
    bases = baselines if baselines is not None else build_baselines(record, meta, settings)
    fcs = {} if forecast is None else {"forecast": forecast}
    fcs |= {b.name: b.forecast for b in bases if b.forecast is not None}
    rows: list[dict[str, Any]] = []
    unresolved: list[dict[str, str]] = []
    for t in meta.targets:
        if isinstance(t, EventTarget):
            floor = settings.scoring.probability_floor
            rows += _event_rows(fcs, t, meta.origin, floor, record, unresolved)
            continue
        y, note = observed(record, t)
        if y is None:
            unresolved.append({"target": t.name, "by": "", "why": note})
        else:
            rows.append(_quantity_row(fcs, t, y, note))
    names = list(fcs)
    refs = [b.name for b in bases if b.forecast is not None]
    refs = refs if forecast is not None else refs[:1]  # no forecast: baselines vs persistence
    return {
        "origin": meta.origin.isoformat(),
        "record": {
            "title": record.title,
            "window": [str(record.window.start), str(record.window.end)],
        },
        "made_by": meta.made_by.model_dump(),
        "draws": meta.draws if forecast is not None else None,
        "probability_floor": settings.scoring.probability_floor,
        "forecasters": names,
        "rows": rows,
        "summary": summarise(rows, names, refs),
        "unresolved": unresolved,
        "omitted": {b.name: b.omitted for b in bases},
    }
