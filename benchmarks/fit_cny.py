"""Fit the PBoC's fixing rule to the record's monthly CNY averages, April 2018 – September 2019
(issue 14 item 3, "yuan by direct fit"): least squares, open loop on the recorded US tariffs,
no model run; prints the estimates, the profile and the table of docs/CALIBRATION.md §5.

    .venv/bin/python benchmarks/fit_cny.py            # print
    .venv/bin/python benchmarks/fit_cny.py --write    # and write the overlay:
                                                      # configs/calibrations/cny_2018_2019.toml

The fit itself is ``tradetalks.sim.cny_fit`` (its docstring and docs/CALIBRATION.md say how).
"""

from __future__ import annotations

import sys

from tradetalks.sim import cny_fit

if __name__ == "__main__":
    raise SystemExit(cny_fit.main(sys.argv[1:]))
