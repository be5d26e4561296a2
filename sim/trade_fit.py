"""Trade flows and soybean exports fitted open loop on the recorded tariffs: what the record
identifies, and what it does not (issue 14 item 3; docs/CALIBRATION.md §5).  Also the fit
helpers ``sim/cny_fit.py`` shares (admissible ranges, bounds, F-tests, ``Fitted``).

The model's equations (``sim/dynamics.py``: ``trade_flows``, ``soy_hysteresis_step``,
``soy_market_exports``) are driven week by week by recorded inputs, from the dated record
alone (no model run): the average tariffs in force and China's soybean tariff the day before
each week (the MFN rate before the first soybean action), and for trade flows the monthly CNY
average of the week's month (the last known before it where the record has none).  A
period's model value is the mean annualised rate of the weeks begun in it, against the
record's figure over the period ($bn a year).

- **Usable figures.** A dollar value, or a volume of zero (no price needed); tonnes need a
  price the record does not give, and a share is not a model quantity (both left out).  A
  period overlapping China's state purchases (from the first ``purchase`` entry) is a check,
  not a target: the record gives no dollar value for them.
- **Fit.** Least squares within the admissible range (the config schema's); an estimate at a
  bound is not identified.  Without targets, or not identified: the baseline's value kept.

    python -m tradetalks.sim.trade_fit [--write]     (or benchmarks/fit_trade.py)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import f as f_dist
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import Config, load_config
from tradetalks.sim.config_world import SoybeanConfig, TradeConfig
from tradetalks.sim.history import average_pct
from tradetalks.sim.record import Record, load_record
from tradetalks.sim.shipped import baseline, shipped_root

OVERLAY = "calibrations/trade_2018_2019.toml"  # under configs/
COMMAND = "python benchmarks/fit_trade.py --write"
BOUND_TOL = 1e-4  # share of the admissible range: an estimate this close to a bound is at it
DAYS_PER_YEAR = 365.0  # a period's total → its annual rate
# coefficient → (config section, the series it drives); price_flex drives no recorded series
COEFS = {
    "world.soybeans.elasticity": ("soybeans", "soy"),
    "world.trade.us_import_elasticity": ("trade", "us_imports"),
    "world.trade.cn_import_elasticity": ("trade", "cn_imports"),
    "world.soybeans.price_flex": ("soybeans", None),
}
NO_SERIES = "the record holds no soybean price"  # why price_flex has no targets
PROFILE = (0.0, 2.5, 10.0)  # elasticities shown beside the baseline's and the bound (display)


# --------------------------------------------------------------------------- fit helpers
def admissible(model: Any, name: str) -> tuple[float, float]:
    """A config field's admissible range [lo, hi] (its schema's bounds)."""
    meta = model.model_fields[name].metadata
    lo = next(getattr(m, "ge", None) for m in meta if getattr(m, "ge", None) is not None)
    hi = next(getattr(m, "le", None) for m in meta if getattr(m, "le", None) is not None)
    return float(lo), float(hi)


def at_bound(value: float, bounds: tuple[float, float]) -> bool:
    """True if ``value`` is at (within BOUND_TOL of the range of) a bound."""
    lo, hi = bounds
    return min(value - lo, hi - value) <= BOUND_TOL * (hi - lo)


def f_test(restricted: float, full: float, q: int, dof: int) -> tuple[float, float]:
    """F statistic and p-value of ``q`` restrictions (sums of squares; nan without dof)."""
    if dof <= 0 or q <= 0 or full <= 0:
        return float("nan"), float("nan")
    stat = (restricted - full) / q / (full / dof)
    return float(stat), float(f_dist.sf(stat, q, dof))


@dataclass(frozen=True)
class Fitted:
    """A least-squares fit: every coefficient (the free ones fitted), standard errors."""

    coef: dict[str, float]
    free: tuple[str, ...]
    se: dict[str, float]  # nan without degrees of freedom
    sse: float
    n: int

    @property
    def dof(self) -> int:
        """Observations less free coefficients."""
        return self.n - len(self.free)

    @property
    def rmse(self) -> float:
        """Root mean squared residual."""
        return float(np.sqrt(self.sse / self.n))

    @classmethod
    def of(cls, sol: Any, free: Sequence[str], start: Mapping[str, float]) -> Fitted:
        """From scipy's ``least_squares`` result (s.e. from the Jacobian)."""
        coef = {**start, **{k: float(v) for k, v in zip(free, sol.x, strict=True)}}
        n, sse = len(sol.fun), float(np.sum(sol.fun**2))
        dof = n - len(free)
        cov = np.linalg.pinv(sol.jac.T @ sol.jac) * (sse / dof if dof > 0 else np.nan)
        se = {k: float(np.sqrt(abs(cov[i, i]))) for i, k in enumerate(free)}
        return cls(coef, tuple(free), se, sse, n)


# --------------------------------------------------------------------------- the record
@dataclass(frozen=True)
class Obs:
    """One recorded figure as a target: a series' annual rate over a period."""

    label: str
    series: str  # "soy", "us_imports", "cn_imports"
    period_start: dt.date
    date: dt.date
    value_bn: float  # $bn a year
    target: bool  # False: a check (the period overlaps state purchases)


@dataclass(frozen=True)
class Inputs:
    """The recorded inputs week by week and the figures."""

    weeks: tuple[dt.date, ...]
    us_tariff: np.ndarray
    cn_tariff: np.ndarray
    soy_tariff: np.ndarray
    cny: np.ndarray
    obs: tuple[Obs, ...]
    left_out: tuple[str, ...]  # figures that cannot be targets, and why

    def rows(self, o: Obs) -> np.ndarray:
        """The weeks begun in ``o``'s period."""
        days = np.array(self.weeks, dtype="datetime64[D]")
        lo, hi = np.datetime64(o.period_start, "D"), np.datetime64(o.date, "D")
        return np.flatnonzero((days >= lo) & (days <= hi))


def _annual(value: float, start: dt.date, end: dt.date) -> float:
    return value * DAYS_PER_YEAR / ((end - start).days + 1)


def figures(record: Record) -> tuple[list[Obs], list[str]]:
    """The record's soybean and bilateral trade figures in the window: targets, checks, and
    the figures left out with the reason."""
    bought = [e.since or e.date for e in record.of_kind("purchase")]
    first_buy = min(bought) if bought else dt.date.max
    obs, out = [], []
    for e in record.entries:
        label = f"{e.kind} {e.period_start}–{e.date}" if hasattr(e, "period_start") else ""
        if e.kind == "bilateral_trade":
            for series, v in (("us_imports", e.us_imports_bn), ("cn_imports", e.china_imports_bn)):
                rate = _annual(v, e.period_start, e.date)
                obs.append(Obs(label, series, e.period_start, e.date, rate, e.date < first_buy))
        elif e.kind == "soybean_exports":
            if e.value_bn is None and e.volume_mt != 0.0:
                why = f"{e.volume_mt} Mt, tonnes need a price ({NO_SERIES})"
                out.append(f"{label}: {why if e.volume_mt else 'a share, not a model quantity'}")
                continue
            rate = _annual(e.value_bn or 0.0, e.period_start, e.date)  # 0 Mt: no price needed
            obs.append(Obs(label, "soy", e.period_start, e.date, rate, e.date < first_buy))
    return obs, out


def _soy_tariff(record: Record, day: dt.date, mfn: float) -> float:
    """China's soybean tariff in force on ``day`` (MFN before the first soybean action)."""
    acts = [e for e in record.of_kind("tariff") if e.soy_tariff_pct is not None and e.date <= day]
    return acts[-1].soy_tariff_pct if acts else mfn


def _average(record: Record, side: str, day: dt.date) -> float:
    """``side``'s average tariff in force on ``day`` (before the first: the first)."""
    first = next(e for e in record.of_kind("average_tariff") if e.side == side)
    return average_pct(record.average_tariff(side, day) or first)


def _cny(record: Record, day: dt.date) -> float:
    """The monthly CNY average of ``day``'s month; the last one before it, or the first."""
    months = record.of_kind("cny")
    known = [e for e in months if e.period_start <= day]
    return (known[-1] if known else months[0]).cny_per_usd


def inputs(record: Record, cfg: Config) -> Inputs:
    """Week by week from the window's start (back to the earliest figure's period)."""
    obs, out = figures(record)
    start = record.window.start
    first = min([o.period_start for o in obs] + [start])
    last = max([o.date for o in obs] + [start])
    k0, k1 = -((start - first).days // 7), (last - start).days // 7  # weeks begun in them
    weeks = tuple(start + dt.timedelta(weeks=k) for k in range(k0, k1 + 1))
    eve = [d - dt.timedelta(days=1) for d in weeks]
    mfn = cfg.world.soybeans.soy_tariff_mfn
    return Inputs(
        weeks,
        np.array([_average(record, "us", d) for d in eve]),
        np.array([_average(record, "china", d) for d in eve]),
        np.array([_soy_tariff(record, d, mfn) for d in eve]),
        np.array([_cny(record, d) for d in eve]),
        tuple(obs),
        tuple(out),
    )


# --------------------------------------------------------------------------- the model
def series(inp: Inputs, cfg: Config, coef: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Each series' weekly annual rate, open loop: the equations on the recorded inputs, with
    ``coef`` (dotted keys) over the config's coefficients; soybeans are market exports."""
    w = cfg.world
    s = w.soybeans.model_copy(update=_section(coef, "soybeans"))
    t = w.trade.model_copy(update=_section(coef, "trade"))
    rate = 0.0 if cfg.irreversibility is None else cfg.irreversibility.soy_hysteresis
    soy, lost = np.empty(len(inp.weeks)), 0.0  # nothing lost before the first soybean tariff
    for k, tau in enumerate(inp.soy_tariff):
        lost = float(dyn.soy_hysteresis_step(lost, float(tau), s, rate))
        soy[k] = dyn.soy_market_exports(float(tau), lost, s)
    us, cn = dyn.trade_flows(inp.us_tariff, inp.cn_tariff, inp.cny, t, w.pboc.cny_anchor)
    return {"soy": soy, "us_imports": np.asarray(us), "cn_imports": np.asarray(cn)}


def _section(coef: Mapping[str, float], section: str) -> dict[str, float]:
    prefix = f"world.{section}."
    return {k.removeprefix(prefix): v for k, v in coef.items() if k.startswith(prefix)}


def model_values(inp: Inputs, cfg: Config, coef: Mapping[str, float]) -> list[float]:
    """Each figure's model value: the mean weekly rate over the weeks begun in its period."""
    paths = series(inp, cfg, coef)
    return [float(paths[o.series][inp.rows(o)].mean()) for o in inp.obs]


def _schema(key: str) -> tuple[float, float]:
    section = COEFS[key][0]
    return admissible(SoybeanConfig if section == "soybeans" else TradeConfig, key.split(".")[-1])


def base_value(cfg: Config, key: str) -> float:
    """The config's value of a dotted coefficient key."""
    _, section, name = key.split(".")
    return float(getattr(getattr(cfg.world, section), name))


def fit_one(inp: Inputs, cfg: Config, key: str) -> Fitted | None:
    """Least squares of one coefficient on its series' targets (None: no targets)."""
    series_name = COEFS[key][1]
    idx = [i for i, o in enumerate(inp.obs) if o.series == series_name and o.target]
    if not idx:
        return None
    observed = np.array([inp.obs[i].value_bn for i in idx])
    lo, hi = _schema(key)

    def fun(x: np.ndarray) -> np.ndarray:
        got = model_values(inp, cfg, {key: float(x[0])})
        return np.array([got[i] for i in idx]) - observed

    start = float(np.clip(base_value(cfg, key), lo, hi))
    sol = least_squares(fun, [start], bounds=([lo], [hi]))
    return Fitted.of(sol, (key,), {})


@dataclass(frozen=True)
class Status:
    """One coefficient: the baseline's value, its fit (if any) and the verdict."""

    key: str
    base: float
    fitted: Fitted | None
    verdict: str  # "fitted", or why the baseline's value is kept

    @property
    def value(self) -> float:
        """The overlay's value."""
        return self.fitted.coef[self.key] if self.verdict == "fitted" else self.base


def fit(inp: Inputs, cfg: Config) -> list[Status]:
    """Every coefficient: fitted where its targets identify it, else the baseline's kept."""
    out = []
    for key, (_, name) in COEFS.items():
        base = base_value(cfg, key)
        got = None if name is None else fit_one(inp, cfg, key)
        if name is None:
            verdict = f"kept: {NO_SERIES}"
        elif got is None:
            verdict = "kept: no figure in the window (the 2017 flows are the base levels)"
        elif at_bound(got.coef[key], _schema(key)):
            verdict = "kept: not identified, the least-squares estimate is at a bound"
        else:
            verdict = "fitted"
        out.append(Status(key, base, got, verdict))
    return out


# --------------------------------------------------------------------------- outputs
def estimates(statuses: Sequence[Status]) -> str:
    """The coefficients: baseline, least squares (± s.e.), verdict."""
    head = "| coefficient | baseline | least squares | overlay | verdict |\n|---|---|---|---|---|\n"
    rows = []
    for s in statuses:
        ls = "—"
        if s.fitted is not None:
            se, bound = s.fitted.se[s.key], at_bound(s.fitted.coef[s.key], _schema(s.key))
            tail = " (a bound)" if bound else "" if np.isnan(se) else f" ± {se:.2g}"
            ls = f"{s.fitted.coef[s.key]:.3g}{tail}"
        rows.append(f"| `{s.key}` | {s.base:g} | {ls} | {s.value:g} | {s.verdict} |")
    return head + "\n".join(rows) + "\n"


def soy_profile(inp: Inputs, cfg: Config, statuses: Sequence[Status]) -> str:
    """Soybean figures against the model's market exports at a few elasticities (the
    baseline's, the fit's and the admissible bound among them), $bn a year."""
    key = "world.soybeans.elasticity"
    lo, hi = _schema(key)
    fit_ = next(s for s in statuses if s.key == key)
    shown = sorted({*PROFILE, lo, hi, fit_.base})
    idx = [i for i, o in enumerate(inp.obs) if o.series == "soy"]
    head = "| elasticity | " + " | ".join(_name(inp.obs[i]) for i in idx) + " |\n"
    head += "|---" * (len(idx) + 1) + "|\n"
    rec = "| **record** | " + " | ".join(f"**{inp.obs[i].value_bn:.2f}**" for i in idx) + " |"
    rows = [rec]
    for e in shown:
        got = model_values(inp, cfg, {key: e})
        tag = " (baseline)" if e == fit_.base else " (bound)" if e == hi else ""
        rows.append(f"| {e:g}{tag} | " + " | ".join(f"{got[i]:.2f}" for i in idx) + " |")
    return head + "\n".join(rows) + "\n"


def _name(o: Obs) -> str:
    span = f"{o.period_start:%Y}" if o.date - o.period_start > dt.timedelta(days=300) else (
        f"{o.period_start:%Y-%m}")  # fmt: skip
    return span + ("" if o.target else " (check)")


def overlay_text(statuses: Sequence[Status]) -> str:
    """The overlay: each coefficient's value, fitted or the baseline's kept, and why."""
    fitted = [s.key for s in statuses if s.verdict == "fitted"]
    lines = [
        "# Trade flows and soybeans, open loop on the recorded tariffs, March 2018 - September",
        f"# 2019.  Fitted: {', '.join(fitted) or 'none'}.  The others keep the baseline's values:",
        "# the record does not identify them (the reason beside each).",
        f"# Written by `{COMMAND}` (sim/trade_fit.py, from the dated record alone);",
        "# the figures, the profile and what does not fit are in docs/CALIBRATION.md §5.",
        'extends = "../baseline.toml"',
        'name = "trade_2018_2019"',
        'description = "Trade and soybean coefficients, direct fits on the 2018-2019 record"',
    ]
    for section in ("trade", "soybeans"):
        lines += ["", f"[world.{section}]"]
        for s in statuses:
            if COEFS[s.key][0] == section:
                note = "fitted" if s.verdict == "fitted" else s.verdict
                lines.append(f"{s.key.split('.')[-1]} = {round(s.value, 3)!r}   # {note}, §5")
    return "\n".join(lines) + "\n"


def report(inp: Inputs, cfg: Config, statuses: Sequence[Status]) -> str:
    """The fit in words and its tables (what ``main`` prints)."""
    lines = [
        f"weeks: {len(inp.weeks)} from {inp.weeks[0]} to {inp.weeks[-1]}",
        "figures: "
        + "; ".join(f"{o.label} ({'target' if o.target else 'check'})" for o in inp.obs),
        "left out: " + ("; ".join(inp.left_out) or "none"),
        "",
        estimates(statuses),
        soy_profile(inp, cfg, statuses),
    ]
    return "\n".join(lines)


def run(write: bool = False) -> tuple[Inputs, Config, list[Status]]:
    """Fit on the shipped record and baseline; with ``write``, write the overlay."""
    cfg = load_config(baseline())
    inp = inputs(load_record(), cfg)
    statuses = fit(inp, cfg)
    if write:
        path = shipped_root() / OVERLAY
        path.parent.mkdir(exist_ok=True)
        path.write_text(overlay_text(statuses), encoding="utf-8")
    return inp, cfg, statuses


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and print the tables; with ``--write``, write the overlay."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"write configs/{OVERLAY}")
    args = p.parse_args(argv)
    inp, cfg, statuses = run(args.write)
    print(report(inp, cfg, statuses))
    if args.write:
        print(f"wrote {shipped_root() / OVERLAY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
