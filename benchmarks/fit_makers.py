"""Fit the tariff makers' logit to the record's weekly decisions (issue 14 item 3): replay
the record from its start to 15 September 2019, read each side's rule inputs every week and
its recorded decision, maximise the conditional likelihood; prints the fit and the tables
of docs/CALIBRATION.md §4.

    .venv/bin/python benchmarks/fit_makers.py            # print
    .venv/bin/python benchmarks/fit_makers.py --write    # and write the overlay,
        # configs/calibrations/makers_2018_2019.toml
    .venv/bin/python benchmarks/fit_makers.py --set makers.china.answer_to=announced
        # the fit on a variant of the base (printed, never written)
    .venv/bin/python benchmarks/fit_makers.py --until 2019-04-30 --write
        # the fit to the pseudo-out-of-sample origin only (configs/calibrations/
        # makers_2018_apr2019.toml, the base of calibrations/hindcast_apr2019)

The fit itself is ``tradetalks.experiments.maker_fit`` (its docstring and the doc say how).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from tradetalks.experiments import maker_fit
from tradetalks.sim.shipped import shipped_root


def main(argv: list[str]) -> int:
    """Fit, print; with ``--write`` write the overlay (not with ``--set``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write configs/{maker_fit.OVERLAY}")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ends = ", ".join(str(d) for d in maker_fit.OVERLAYS)
    ap.add_argument(
        "--until",
        type=dt.date.fromisoformat,
        default=maker_fit.FIT_END,
        help=f"the last day of the record read (default {maker_fit.FIT_END}; written: {ends})",
    )
    args = ap.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    if args.write and overrides:
        ap.error("--write writes the fit on the baseline: drop --set")
    if args.write and args.until not in maker_fit.OVERLAYS:
        ap.error(f"--write writes the fits to {ends} only")
    cfg = maker_fit.fit_config(end=args.until, overrides=overrides)
    result = maker_fit.fit(cfg)
    print(maker_fit.report(cfg, result))
    if args.write:
        path = shipped_root() / maker_fit.OVERLAYS[args.until]
        path.write_text(maker_fit.overlay_text(cfg, result), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
