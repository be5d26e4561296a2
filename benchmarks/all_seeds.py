"""Run ``tradetalks run --seed N --json`` for many seeds of every shipped scenario.

Each run goes through the command itself (typer's runner, in-process, so no start-up per
run) and must exit 0 and print strict JSON (no NaN or infinity). Prints the counts per
scenario and every failure with its seed.

    .venv/bin/python benchmarks/all_seeds.py [--seeds 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

from tradetalks.sim.shipped import baseline, shipped

_APP = None


def _check(job: tuple[str, int]) -> tuple[str, int, str | None]:
    """Run one (config, seed); None if it ran and printed strict JSON, else the problem."""
    global _APP
    from typer.testing import CliRunner

    if _APP is None:
        from tradetalks.cli import app

        _APP = app
    config, seed = job
    res = CliRunner().invoke(_APP, ["run", config, "--seed", str(seed), "--json"])
    if res.exit_code != 0:
        return config, seed, f"exit {res.exit_code}: {res.output.strip()[-300:]}"
    try:
        json.loads(res.stdout, parse_constant=_refuse)
    except ValueError as exc:
        return config, seed, f"not strict JSON: {exc}"
    return config, seed, None


def _refuse(name: str) -> None:
    raise ValueError(f"{name} in the output")


def main() -> None:
    """Run every (scenario, seed) pair and print a table of counts and the failures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    configs = [str(baseline()), *(str(p) for p in shipped("scenarios"))]
    jobs = [(c, s) for c in configs for s in range(args.seeds)]
    t0 = time.perf_counter()
    ok: dict[str, int] = dict.fromkeys(configs, 0)
    failures = []
    with ProcessPoolExecutor(args.workers) as pool:
        for config, seed, problem in pool.map(_check, jobs, chunksize=20):
            if problem is None:
                ok[config] += 1
            else:
                failures.append((config, seed, problem))
    for config in configs:
        print(f"{config.rsplit('/', 1)[-1]:<28} {ok[config]:>5} of {args.seeds} ok")
    for config, seed, problem in failures:
        print(f"FAILED {config} --seed {seed}: {problem}")
    print(f"{len(jobs)} runs, {len(failures)} failed, {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
