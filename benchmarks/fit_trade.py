"""Fit trade flows and soybeans open loop on the recorded tariffs, March 2018 – September 2019
(issue 14 item 3, "trade, soybeans and prices by direct fits"): which coefficients the
record's figures identify, least squares where they do, no model run; prints the estimates
and the soybean profile of docs/CALIBRATION.md §5.

    .venv/bin/python benchmarks/fit_trade.py            # print
    .venv/bin/python benchmarks/fit_trade.py --write    # and write the overlay:
                                                        # configs/calibrations/trade_2018_2019.toml

The fit itself is ``tradetalks.sim.trade_fit`` (its docstring and docs/CALIBRATION.md say how).
"""

from __future__ import annotations

import sys

from tradetalks.sim import trade_fit

if __name__ == "__main__":
    raise SystemExit(trade_fit.main(sys.argv[1:]))
