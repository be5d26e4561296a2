"""Benchmark: the cost of one simulation of a calibration file, and a short ABC-SMC run.

    .venv/bin/python benchmarks/bench_calibrate.py [FILE] [--sims 20] [--workers 2]
        [--population 40] [--generations 2]

FILE defaults to configs/calibrations/recovery_us_escalation.toml.  Prints the CPU time of
one particle's simulation (the file's simulator, serially in this process, at parameters
drawn from the prior), then runs `calibrate` with ``--workers`` workers on a copy of the
file with the given population and generations and prints simulations per second of wall
time and the parallel efficiency (simulations x CPU per simulation) / (workers x wall).
Not a test: timings depend on the machine and on whatever else it is running.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import tomli_w
from tradetalks.experiments.calibfile import load_calibration
from tradetalks.experiments.calibration import Backend
from tradetalks.experiments.calibrun import calibrate
from tradetalks.sim.shipped import shipped_root

DEFAULT = shipped_root() / "calibrations" / "recovery_us_escalation.toml"
BENCH_SEED = 1  # seeds the prior draws of the timing runs


def per_simulation(path: Path, sims: int) -> float:
    """Median CPU seconds of one particle's simulation at prior draws."""
    calib = load_calibration(path)
    rng = np.random.default_rng(BENCH_SEED)
    times = []
    for i in range(sims):
        params = {}
        for p in calib.spec.parameters:
            mean, sd = p.prior.moments()
            params[p.name] = float(rng.uniform(mean - sd, mean + sd))
        t0 = time.process_time()
        calib.simulator.simulate(params, i)
        times.append(time.process_time() - t0)
    return float(np.median(times))


def main() -> None:
    """Parse the options, time the simulations and the short run, print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--sims", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--population", type=int, default=40)
    ap.add_argument("--generations", type=int, default=2)
    args = ap.parse_args()
    cpu = per_simulation(args.file, args.sims)
    print(f"one particle's simulation: {cpu * 1000:.1f} ms CPU (median of {args.sims})")
    raw = tomllib.loads(args.file.read_text(encoding="utf-8"))
    beside = args.file.parent / raw.get("base", "")
    if raw.get("base") and beside.is_file():  # the copy lives elsewhere: make the base absolute
        raw["base"] = str(beside.resolve())
    raw.setdefault("abc", {}).update(
        population_size=args.population, max_generations=args.generations, predictive_draws=0
    )
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "calib.toml"
        copy.write_text(tomli_w.dumps(raw), encoding="utf-8")
        t0 = time.perf_counter()
        calibrate(copy, Path(tmp) / "out", Backend("local", args.workers))
        wall = time.perf_counter() - t0
        manifest = json.loads((Path(tmp) / "out" / "calibration.json").read_text())
    sims = manifest["simulations"]
    print(
        f"calibrate, {args.workers} workers: {sims} simulations in {wall:.1f} s wall "
        f"= {sims / wall:.1f} simulations/s; efficiency {sims * cpu / (args.workers * wall):.2f}"
    )


if __name__ == "__main__":
    main()
