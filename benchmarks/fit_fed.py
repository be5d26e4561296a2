"""Fit the Fed's inertial rule to the FOMC decisions of March 2018 - September 2019 (issue 12
item 2; issue 14, "Fed by direct fit"): a grid over (neutral, a, b, rho) on the dated record
alone, no model run; prints the fit and the table of docs/CALIBRATION.md.

    .venv/bin/python benchmarks/fit_fed.py               # print
    .venv/bin/python benchmarks/fit_fed.py --write       # and write the overlay:
                                                          # configs/calibrations/fed_2018_2019.toml
    .venv/bin/python benchmarks/fit_fed.py --robustness  # and the index variants of the doc
    .venv/bin/python benchmarks/fit_fed.py --compare     # and issue 12's options (the shadow
                                                          # rate, U's intermeeting memory): the
                                                          # old and new rule, meeting by meeting

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
    cfg = load_config(baseline())
    s, record = fed_fit.Setting.of(cfg), load_record()
    for name, update in VARIANTS.items():
        ms = fed_fit.meetings(record, cfg.world.uncertainty.model_copy(update=update))
        result = fed_fit.fit(ms, s)
        missed = ", ".join(str(d) for d in fed_fit.misses(ms, result.rates))
        coef = ", ".join(f"{k} = {v:.2f}" for k, v in result.coef.items())
        print(f"{name}: {result.matches} of {len(ms)}; missed {missed}; {coef}")


def _line(ms, result) -> str:
    missed = ", ".join(str(d) for d in fed_fit.misses(ms, result.rates)) or "none"
    coef = ", ".join(f"{k} = {v:.2f}" for k, v in result.coef.items())
    tied = ", ".join(f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi) in result.tied.items())
    return (
        f"{fed_fit.option_text(result)}: {result.matches} of {len(ms)}; missed {missed}; "
        f"{coef}; own path {result.path_error:.4f} pp², unrounded {result.aim_error:.4f} pp²; "
        f"tied on criteria 1-2: {tied}"
    )


def july(ms, result, s) -> None:
    """Why the new rule holds in July, in numbers: June's latent rate and July's target."""
    c = result.coef
    rho, dates = c["inertia"], [m.date for m in ms]
    j, k = dates.index(JUNE), dates.index(JULY)
    aim, _ = fed_fit.rule(ms, s, *c.values(), shadow=True)
    target = fed_fit._target(ms, s, c["neutral"], c["growth_response"], c["uncertainty_response"])
    aim, target = np.ravel(aim), np.ravel(target)
    floor = ms[k].previous - s.step / 2  # the July cut needs the latent rate below 2.25
    need = (floor - rho * aim[j]) / (1 - rho)
    print(
        f"July at the new coefficients: June U {ms[j].uncertainty:.3f}, target "
        f"{target[j]:.3f}, latent {aim[j]:.3f}; July U {ms[k].uncertainty:.3f}, growth "
        f"{ms[k].growth} (June {ms[j].growth}), target {target[k]:.3f}, latent {aim[k]:.3f}; "
        f"a cut needs a July target below {need:.3f}"
    )


def compare() -> None:
    """The old rule against issue 12's options (docs/CALIBRATION.md §1, the comparison)."""
    cfg = load_config(baseline())
    s, record = fed_fit.Setting.of(cfg), load_record()
    ms = fed_fit.meetings(record, cfg.world.uncertainty)
    old = fed_fit.fit(ms, s)
    print("old rule " + _line(ms, old))
    options = fed_fit.fit_options(record, cfg)
    for oms, result in options:
        print("  " + _line(oms, result))
    new_ms, new = options[0]
    print("\nnew rule (best of the options): " + _line(new_ms, new) + "\n")
    print(fed_fit.comparison_table(ms, old, new_ms, new, s))
    july(new_ms, new, s)
    for oms, result in options:
        for must in ((JULY,), (JULY, SEPTEMBER)):
            forced = fed_fit.fit(oms, s, shadow=True, must=must)
            forced = replace(forced, shadow=True, memory=result.memory)
            print(f"  reproducing {' and '.join(map(str, must))}: " + _line(oms, forced))
    refit = fed_fit.fit(new_ms, s, {"uncertainty_response": 0.0}, shadow=True)
    print(f"new rule refitted with b = 0: {refit.matches} of {len(ms)}")


if __name__ == "__main__":
    argv = sys.argv[1:]
    flags = {"--robustness", "--compare"}
    code = fed_fit.main([a for a in argv if a not in flags])
    if "--robustness" in argv:
        robustness()
    if "--compare" in argv:
        compare()
    raise SystemExit(code)
