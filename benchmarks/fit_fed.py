"""Fit the Fed's inertial rule to the FOMC decisions of March 2018 - September 2019 (issue 12
item 2; issue 14, "Fed by direct fit"): a grid over (neutral, a, b, rho) on the dated record
alone, no model run; prints the fit and the table of docs/CALIBRATION.md.

    .venv/bin/python benchmarks/fit_fed.py               # print
    .venv/bin/python benchmarks/fit_fed.py --write       # and write the overlay:
                                                          # configs/calibrations/fed_2018_2019.toml
    .venv/bin/python benchmarks/fit_fed.py --robustness  # and the index variants of the doc

The fit itself is ``tradetalks.sim.fed_fit`` (its docstring and docs/CALIBRATION.md say how).
"""

from __future__ import annotations

import sys

from tradetalks.sim import fed_fit
from tradetalks.sim.config import load_config
from tradetalks.sim.record import load_record
from tradetalks.sim.shipped import baseline

VARIANTS = {  # docs/CALIBRATION.md, "Robustness": the index with one of its parts off
    "truces not relieved (deal_relief = 0)": {"deal_relief": 0.0},
    "no jump when an action fires (escalation_jump = 0)": {"escalation_jump": 0.0},
}


def robustness() -> None:
    cfg = load_config(baseline())
    s, record = fed_fit.Setting.of(cfg), load_record()
    for name, update in VARIANTS.items():
        ms = fed_fit.meetings(record, cfg.world.uncertainty.model_copy(update=update))
        result = fed_fit.fit(ms, s)
        missed = ", ".join(str(d) for d in fed_fit.misses(ms, result.rates))
        coef = ", ".join(f"{k} = {v:.2f}" for k, v in result.coef.items())
        print(f"{name}: {result.matches} of {len(ms)}; missed {missed}; {coef}")


if __name__ == "__main__":
    argv = sys.argv[1:]
    show = "--robustness" in argv
    code = fed_fit.main([a for a in argv if a != "--robustness"])
    if show:
        robustness()
    raise SystemExit(code)
