"""Fit the Fed's inertial rule to the FOMC decisions of March 2018 - September 2019 (issue 12
item 2; issue 14, "Fed by direct fit"): a grid over (neutral, a, b, rho) on the dated record
alone, no model run; prints the fit and the table of docs/CALIBRATION.md.

    .venv/bin/python benchmarks/fit_fed.py               # print
    .venv/bin/python benchmarks/fit_fed.py --write       # and write the overlay (the shadow-
                                                          # rate rule, its latent rate at the
                                                          # start): configs/calibrations/
                                                          # fed_2018_2019.toml
    .venv/bin/python benchmarks/fit_fed.py --robustness  # and the index variants of the doc
    .venv/bin/python benchmarks/fit_fed.py --compare     # and the old rule (growth in hindsight),
                                                          # the plain and the shadow rule on
                                                          # real-time growth, meeting by meeting;
                                                          # U's memories

The fit itself is ``tradetalks.sim.fed_fit`` (its docstring and docs/CALIBRATION.md say how).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import replace

import numpy as np
from tradetalks.sim import fed_fit
from tradetalks.sim.config import load_config
from tradetalks.sim.record import load_record
from tradetalks.sim.shipped import baseline

VARIANTS = {  # docs/CALIBRATION.md, "Robustness": the index with one of its parts off
    "truces not relieved (deal_relief = 0)": {"deal_relief": 0.0},
    "no jump when an action fires (escalation_jump = 0)": {"escalation_jump": 0.0},
}
JULY, JUNE, SEPTEMBER = dt.date(2019, 7, 31), dt.date(2019, 6, 19), dt.date(2019, 9, 18)


def robustness() -> None:
    """The index variants (docs/CALIBRATION.md §1, "Robustness"), each fitted with the
    adopted shadow-rate rule and, for reference, the plain rule."""
    cfg = load_config(baseline())
    s, record = fed_fit.Setting.of(cfg), load_record()
    for name, update in VARIANTS.items():
        ms = fed_fit.meetings(record, cfg.world.uncertainty.model_copy(update=update))
        for shadow in (True, False):
            result = replace(fed_fit.fit(ms, s, shadow=shadow), shadow=shadow)
            label = "shadow rule" if shadow else "plain rule"
            print(f"{name}, {label}: " + _line(ms, result))


def _line(ms, result) -> str:
    missed = ", ".join(str(d) for d in fed_fit.misses(ms, result.rates)) or "none"
    coef = ", ".join(f"{k} = {v:.2f}" for k, v in result.coef.items())
    return (
        f"{fed_fit.option_text(result)}: {result.matches} of {len(ms)}; missed {missed}; "
        f"{coef}; own path {result.path_error:.4f} pp², unrounded {result.aim_error:.4f} pp²; "
        f"{result.top} of {result.size} grid points reproduce {result.matches}, ranges "
        f"{fed_fit._ranges(result.spread)}; tied on criteria 1-2: {fed_fit._ranges(result.tied)}"
    )


def july(ms, result, s) -> None:
    """Why a rule cuts (or holds) in July, in numbers: June's and July's inputs, targets
    and unrounded rates, and the July target a cut needs."""
    c = result.coef
    rho, dates = c["inertia"], [m.date for m in ms]
    j, k = dates.index(JUNE), dates.index(JULY)
    aim, _ = fed_fit.rule(ms, s, *c.values(), shadow=result.shadow)
    target = fed_fit._target(ms, s, c["neutral"], c["growth_response"], c["uncertainty_response"])
    aim, target = np.ravel(aim), np.ravel(target)
    floor = ms[k].previous - s.step / 2  # the July cut needs the rule's rate below 2.25
    start = aim[j] if result.shadow else ms[k].previous
    need = (floor - rho * start) / (1 - rho)
    print(
        f"July ({fed_fit.option_text(result)}): June growth {ms[j].growth}, U "
        f"{ms[j].uncertainty:.3f}, target {target[j]:.3f}, unrounded {aim[j]:.3f}; July growth "
        f"{ms[k].growth}, U {ms[k].uncertainty:.3f}, target {target[k]:.3f}, unrounded "
        f"{aim[k]:.3f}; a cut needs a July target below {need:.3f}"
    )


def compare() -> None:
    """The old rule (growth in hindsight), the plain rule on real-time growth and the adopted
    shadow-rate rule on real-time growth, meeting by meeting; then U's memories (issue 12's
    other option) on both inputs (docs/CALIBRATION.md §1, the comparison)."""
    cfg = load_config(baseline())
    s, record, u = fed_fit.Setting.of(cfg), load_record(), cfg.world.uncertainty
    ms = fed_fit.meetings(record, u, real_time=False)
    old = fed_fit.fit(ms, s)
    print("old rule, growth in hindsight: " + _line(ms, old))
    now = fed_fit.meetings(record, u)
    plain = fed_fit.fit(now, s)
    print("plain rule, real-time growth: " + _line(now, plain))
    shadow = replace(fed_fit.fit(now, s, shadow=True), shadow=True)
    print("shadow rule, real-time growth (the overlay): " + _line(now, shadow) + "\n")
    rules = [("old rule", ms, old), ("plain rule", now, plain), ("shadow rule", now, shadow)]
    print(fed_fit.comparison_table(rules, s))
    for result in (plain, shadow):
        july(now, result, s)
        refit = fed_fit.fit(now, s, {"uncertainty_response": 0.0}, shadow=result.shadow)
        print(
            f"  refitted with b = 0: {refit.matches} of {len(now)}; missed "
            + (", ".join(map(str, fed_fit.misses(now, refit.rates))) or "none")
        )
    print("U's memories, with the shadow rate, on real-time growth:")
    for oms, result in fed_fit.fit_options(record, cfg):
        print("  " + _line(oms, result))
    print("the same on growth in hindsight:")
    for hind, result in fed_fit.fit_options(record, cfg, real_time=False):
        print("  " + _line(hind, result))


if __name__ == "__main__":
    argv = sys.argv[1:]
    flags = {"--robustness", "--compare"}
    code = fed_fit.main([a for a in argv if a not in flags])
    if "--robustness" in argv:
        robustness()
    if "--compare" in argv:
        compare()
    raise SystemExit(code)
