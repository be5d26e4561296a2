"""The PBoC's fixing rule fitted to the record's monthly CNY averages, March 2018 – September 2019.

Issue 14 item 3 ("Fed and yuan by direct fits"); docs/CALIBRATION.md §5.  Open loop, from the
dated record alone (no model run, no shocks): the weekly rule of ``agents/central_banks.py``
(``PBoC.tariff_target``, ``PBoC.fixing``, the agent's own code), driven by the record's US
average tariff in force at the start of each week, from the window's start (1 March 2018):

    target_w = cny_anchor·(1 + tariff_offset·τ_w/100)
    cny_w    = cny_{w−1} + adjustment·(target_w − cny_{w−1})

- **Weeks** begin on the window's start and every 7 days after; week w's fixing sees the
  tariff in force the day before it begins (calendar events run after the week's step).
- **Start.** The path starts at the record's first monthly average (March 2018), an input:
  the months after it are the targets (the record holds no earlier rate).
- **Months.** A month's model value is the mean of the weekly rates of the weeks begun in it
  (the forecasts' rule, ``experiments/forecasting.py: quantity``).
- **Fit.** Least squares on the monthly averages, within each coefficient's admissible range
  (the config schema's).  A coefficient whose estimate sits at a bound of that range is not
  identified: it keeps the baseline's value and the others are refitted given it.  Standard
  errors from the Jacobian; the joint F-test of the baseline's values of the fitted ones.

    python -m tradetalks.sim.cny_fit [--write]     (or benchmarks/fit_cny.py)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from tradetalks.agents.central_banks import PBoC
from tradetalks.sim.config import Config, PBoCConfig, load_config
from tradetalks.sim.history import average_pct
from tradetalks.sim.record import Record, load_record
from tradetalks.sim.shipped import baseline, shipped_root
from tradetalks.sim.trade_fit import Fitted, admissible, at_bound, f_test

COEFS = ("cny_anchor", "tariff_offset", "adjustment")  # world.pboc: the rule's coefficients
OVERLAY = "calibrations/cny_2018_2019.toml"  # under configs/
COMMAND = "python benchmarks/fit_cny.py --write"
PROFILE = {"adjustment": (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)}  # shown values (display)


@dataclass(frozen=True)
class Month:
    """One recorded monthly average and the model weeks begun in its period."""

    date: dt.date  # the period's last day (the record's date)
    period_start: dt.date
    observed: float  # CNY per USD
    tolerance: float
    rows: tuple[int, ...]  # indices of the weeks begun in the period


@dataclass(frozen=True)
class Inputs:
    """What the fit reads from the record: weekly US tariffs, the start rate, the months."""

    weeks: tuple[dt.date, ...]  # each week's first day
    tariff: np.ndarray  # US average tariff in force the day before each week, %
    start: Month  # the first recorded month: its average is the path's start
    months: tuple[Month, ...]  # the targets

    @property
    def observed(self) -> np.ndarray:
        """The targets' recorded averages."""
        return np.array([m.observed for m in self.months])


def inputs(record: Record | None = None) -> Inputs:
    """The record's monthly averages before the start week and the weekly US tariffs."""
    record = load_record() if record is None else record
    w = record.window
    cny = [e for e in record.of_kind("cny") if e.date < w.start_week and e.date >= w.start]
    n = (cny[-1].date - w.start).days // 7 + 1
    weeks = tuple(w.start + dt.timedelta(weeks=k) for k in range(n))
    before = [record.average_tariff("us", d - dt.timedelta(days=1)) for d in weeks]
    if any(a is None for a in before):
        raise ValueError("the record gives no US average tariff before the window's start")
    tariff = np.array([average_pct(a) for a in before])
    months = tuple(
        Month(
            e.date, e.period_start, e.cny_per_usd, e.tolerance,
            tuple(k for k, d in enumerate(weeks) if e.period_start <= d <= e.date),
        )
        for e in cny
    )  # fmt: skip
    return Inputs(weeks, tariff, months[0], months[1:])


def path(inp: Inputs, anchor: float, offset: float, adjustment: float) -> np.ndarray:
    """The weekly fixing, open loop: the agent's rule on the recorded tariffs, no shocks."""
    targets = PBoC.tariff_target(anchor, offset, inp.tariff)
    out, rate = np.empty(len(targets)), inp.start.observed
    for k, target in enumerate(targets):
        rate = PBoC.fixing(rate, float(target), adjustment)
        out[k] = rate
    return out


def monthly(inp: Inputs, weekly: np.ndarray) -> np.ndarray:
    """Each target month's mean of the weekly rates begun in it."""
    return np.array([weekly[list(m.rows)].mean() for m in inp.months])


def residuals(inp: Inputs, coef: Mapping[str, float]) -> np.ndarray:
    """Model minus recorded monthly averages."""
    weekly = path(inp, *(coef[k] for k in COEFS))
    return monthly(inp, weekly) - inp.observed


def least(
    inp: Inputs, start: Mapping[str, float], free: Sequence[str],
    seeds: Sequence[Mapping[str, float]] = (),
) -> Fitted:  # fmt: skip
    """Least squares over ``free`` (the others as in ``start``), within admissible ranges,
    from ``start``'s values and each seed's: the best."""
    bounds = [admissible(PBoCConfig, k) for k in free]

    def fun(x: np.ndarray) -> np.ndarray:
        return residuals(inp, {**start, **dict(zip(free, x, strict=True))})

    best = None
    for origin in (start, *seeds):
        x0 = [float(np.clip(origin[k], lo, hi)) for k, (lo, hi) in zip(free, bounds, strict=True)]
        sol = least_squares(fun, x0, bounds=tuple(zip(*bounds, strict=True)))
        if best is None or sol.cost < best.cost:
            best = sol
    return Fitted.of(best, free, start)


@dataclass(frozen=True)
class Result:
    """The fit: the full least squares, what it keeps, the final fit and its tests."""

    full: Fitted  # every coefficient free
    kept: tuple[str, ...]  # at a bound in the full fit: the baseline's value kept
    final: Fitted  # the rest refitted given the kept ones
    base: dict[str, float]  # the baseline's coefficients
    joint: tuple[float, float]  # F and p of the baseline's values of the fitted ones
    alone: dict[str, tuple[float, float]]  # each baseline value alone, others refitted
    base_rmse: float  # the baseline rule's RMSE

    @property
    def coef(self) -> dict[str, float]:
        """The overlay's coefficients."""
        return self.final.coef


def fit(inp: Inputs, base: Mapping[str, float]) -> Result:
    """Fit every coefficient; keep those at a bound; refit the rest; test the baseline's."""
    base = {k: float(base[k]) for k in COEFS}
    full = least(inp, base, COEFS)
    kept = tuple(k for k in COEFS if at_bound(full.coef[k], admissible(PBoCConfig, k)))
    free = tuple(k for k in COEFS if k not in kept)
    final = least(inp, {**full.coef, **{k: base[k] for k in kept}}, free, [base])
    restricted = float(np.sum(residuals(inp, {**final.coef, **{k: base[k] for k in free}}) ** 2))
    joint = f_test(restricted, final.sse, len(free), final.dof)
    alone = {}
    for k in COEFS:
        others = tuple(o for o in COEFS if o != k)
        fixed = least(inp, {**full.coef, k: base[k]}, others, [base])
        alone[k] = f_test(fixed.sse, full.sse, 1, full.dof)
    base_rmse = float(np.sqrt(np.mean(residuals(inp, base) ** 2)))
    return Result(full, kept, final, base, joint, alone, base_rmse)


def crossing(inp: Inputs, coef: Mapping[str, float], threshold: float) -> dt.date | None:
    """The first day of the first week the rule's path is at or above ``threshold``."""
    weekly = path(inp, *(coef[k] for k in COEFS))
    above = np.flatnonzero(weekly >= threshold)
    return inp.weeks[int(above[0])] if len(above) else None


def table(inp: Inputs, result: Result) -> str:
    """Month by month: the recorded average, the fitted rule's, the baseline's, the tariff."""
    fitted = residuals(inp, result.coef) + inp.observed
    base = residuals(inp, result.base) + inp.observed
    head = (
        "| month | US tariff, % (its last week) | recorded CNY/USD | fitted rule "
        "| error | baseline rule |\n|---|---|---|---|---|---|\n"
    )
    rows = [
        f"| {m.period_start:%Y-%m}{'' if m.date.day > 27 else f' (to {m.date:%d})'} "
        f"| {inp.tariff[m.rows[-1]]:.1f} | {m.observed:.2f} | {a:.2f} | {a - m.observed:+.2f} "
        f"| {b:.2f} |"
        for m, a, b in zip(inp.months, fitted, base, strict=True)
    ]
    return head + "\n".join(rows) + "\n"


def estimates(result: Result) -> str:
    """The coefficients: baseline, full least squares, overlay ± standard error, status."""
    head = (
        "| `world.pboc.` | baseline | all free | overlay (± s.e.) | status |\n"
        "|---|---|---|---|---|\n"
    )
    rows = []
    for k in COEFS:
        if k in result.kept:
            value, status = f"{result.base[k]:.3f}", "kept: the estimate is at a bound"
        else:
            value, status = f"{result.coef[k]:.3f} ± {result.final.se[k]:.3f}", "fitted"
        rows.append(
            f"| `{k}` | {result.base[k]:.3f} | {result.full.coef[k]:.3f} | {value} | {status} |"
        )
    return head + "\n".join(rows) + "\n"


def profile(inp: Inputs, result: Result, name: str) -> str:
    """The fit with ``name`` held at each value of ``PROFILE``: the others refitted, RMSE."""
    others = tuple(k for k in COEFS if k != name)
    head = f"| `{name}` | " + " | ".join(f"`{k}`" for k in others) + " | RMSE |\n"
    head += "|---" * (len(others) + 2) + "|\n"
    rows = []
    for v in PROFILE[name]:
        got = least(inp, {**result.full.coef, name: v}, others, [result.base])
        cells = " | ".join(f"{got.coef[k]:.3f}" for k in others)
        rows.append(f"| {v:g} | {cells} | {got.rmse:.3f} |")
    return head + "\n".join(rows) + "\n"


def overlay_text(result: Result) -> str:
    """The calibration overlay: the fitted coefficients over the baseline (kept ones not set)."""
    note = "fitted, docs/CALIBRATION.md §5"
    kept = ", ".join(result.kept) or "none"
    lines = [
        "# The PBoC's fixing rule fitted to the record's monthly CNY averages, April 2018 -",
        f"# September 2019, open loop on the recorded US tariffs: RMSE {result.final.rmse:.3f} "
        f"CNY (baseline rule {result.base_rmse:.3f}).",
        f"# Not identified (estimate at a bound), the baseline's kept: {kept}.",
        f"# Written by `{COMMAND}` (sim/cny_fit.py, from the dated record alone);",
        "# the table and what does not fit are in docs/CALIBRATION.md §5.  world.pboc.cny_anchor",
        "# also enters trade flows (fx = cny / anchor, sim/dynamics.py: trade_flows).",
        'extends = "../baseline.toml"',
        'name = "cny_2018_2019"',
        "description = \"The PBoC's fixing rule, fitted to the monthly CNY averages of "
        'Apr 2018 - Sep 2019"',
        "",
        "[world.pboc]",
    ]
    width = max(len(k) for k in COEFS)
    for k in COEFS:
        if k not in result.kept:
            lines.append(f"{k:<{width}} = {result.coef[k]:.3f}   # {note}")
    return "\n".join(lines) + "\n"


def report(inp: Inputs, result: Result, cfg: Config) -> str:
    """The fit in words and its tables (what ``main`` prints)."""
    threshold = cfg.world.pboc.threshold
    fq, fp = result.joint
    lines = [
        f"targets: {len(inp.months)} monthly averages, {inp.months[0].period_start:%Y-%m} to "
        f"{inp.months[-1].date}; start {inp.start.observed:.2f} ({inp.start.period_start:%Y-%m})",
        f"RMSE: fitted {result.final.rmse:.3f}, all free {result.full.rmse:.3f}, "
        f"baseline {result.base_rmse:.3f} CNY",
        f"baseline's values of the fitted coefficients, jointly: F = {fq:.2f}, p = {fp:.3f}",
        "each baseline value alone, the others refitted: "
        + ", ".join(f"{k} F = {a:.2f} (p = {b:.3f})" for k, (a, b) in result.alone.items()),
        f"the fitted rule first reaches {threshold:.1f} in the week of "
        f"{crossing(inp, result.coef, threshold)}",
        "",
        estimates(result),
        *(profile(inp, result, name) for name in PROFILE),
        table(inp, result),
    ]
    return "\n".join(lines)


def run(write: bool = False) -> tuple[Inputs, Result, Config]:
    """Fit on the shipped record and baseline; with ``write``, write the overlay."""
    cfg = load_config(baseline())
    inp = inputs(load_record())
    result = fit(inp, cfg.world.pboc.model_dump())
    if write:
        path = shipped_root() / OVERLAY
        path.parent.mkdir(exist_ok=True)
        path.write_text(overlay_text(result), encoding="utf-8")
    return inp, result, cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and print the tables; with ``--write``, write the overlay."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"write configs/{OVERLAY}")
    args = p.parse_args(argv)
    inp, result, cfg = run(args.write)
    print(report(inp, result, cfg))
    if args.write:
        print(f"wrote {shipped_root() / OVERLAY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
