"""Benchmark: simulation-based calibration (Talts et al. 2018) of a calibration file.

    nice -n 10 .venv/bin/python benchmarks/bench_sbc.py [FILE] [--datasets 20] [--jobs 2]
        [--population N] [--generations N] [--walltime MIN] [--seed 1] [--write [PATH]]

    # the hindcast's own four parameters (issue 14), on a smaller budget per dataset:
    nice -n 10 .venv/bin/python benchmarks/bench_sbc.py configs/calibrations/hindcast.toml \
        --datasets 20 --population 60 --generations 5 --walltime 6 \
        --write benchmarks/results/sbc_hindcast.md

FILE defaults to configs/calibrations/recovery_us_escalation.toml (core-v2 §3.8, docs/
CALIBRATION.md §2).  For each of ``--datasets`` synthetic datasets the truth is drawn from
the file's prior (seeded by ``--seed`` and the dataset's index), the file's
``[observed] synthetic`` is set to it (with a synthetic seed and a root seed drawn from the
same generator), and the copy is fitted by the same ``calibrate`` plumbing as
``tradetalks calibrate`` (one worker each, ``--jobs`` datasets at a time).  From each
posterior (the last generation's weighted particles) it takes the central 90% interval,
the posterior sd and the rank of the truth among ``RANK_DRAWS`` draws by weight.  Per
parameter it reports the coverage of the 90% intervals (target 0.75-0.98), the mean
contraction 1 - posterior sd / prior sd, and the rank histogram; a parameter is labelled
"calibrated" only if it contracts by at least 30% on average and its coverage is in the
target.  ``--population``, ``--generations`` and ``--walltime`` set the file's ``[abc]``
budget per dataset (default: the file's own).  ``--write`` writes benchmarks/results/sbc.md
(or the path given).  Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
from scipy import stats
from tradetalks.experiments.calibfile import load_calibration
from tradetalks.experiments.calibout import last_generation, weighted_quantiles
from tradetalks.experiments.calibration import Backend
from tradetalks.experiments.calibrun import calibrate
from tradetalks.sim.shipped import shipped_root

DEFAULT = shipped_root() / "calibrations" / "recovery_us_escalation.toml"
RESULT = Path(__file__).parent / "results" / "sbc.md"
LEVEL = 0.90  # the interval whose coverage is checked (core-v2 §3.8)
COVERAGE_TARGET = (0.75, 0.98)  # core-v2 §3.8
MIN_CONTRACTION = 0.30  # core-v2 §3.8: "only parameters that contract by >= 30%"
RANK_DRAWS = 99  # posterior draws per dataset for the rank statistic: ranks 0..99
RANK_BINS = 5  # with 20 datasets, 4 expected per bin under uniform ranks
SEED_WORDS = 2**31 - 1  # range of the drawn root and synthetic seeds


@dataclass(frozen=True)
class Job:
    """One synthetic dataset: its index, the file's text (a copy), where to run it."""

    index: int
    raw: dict[str, Any]
    out: Path
    truth: dict[str, float]


def prior_rv(prior: Any) -> Any:
    """The scipy distribution of a calibration prior (the same parametrisation as pyabc's)."""
    if prior.kind == "uniform":
        return stats.uniform(prior.lo, prior.hi - prior.lo)
    if prior.kind == "normal":
        return stats.norm(prior.mean, prior.sd)
    if prior.kind == "lognormal":
        return stats.lognorm(prior.log_sd, 0.0, np.exp(prior.log_mean))
    return stats.beta(prior.a, prior.b, prior.lo, prior.hi - prior.lo)


def make_jobs(path: Path, n: int, seed: int, budget: dict[str, Any], tmp: Path) -> list[Job]:
    """``n`` copies of the file, each with a truth drawn from the prior and its own seeds and
    the ``[abc]`` settings in ``budget``."""
    calib = load_calibration(path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    base = raw.get("base")
    if base and (path.parent / base).is_file():  # the copy lives elsewhere
        raw["base"] = str((path.parent / base).resolve())
    jobs = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        truth = {
            p.name: float(prior_rv(p.prior).rvs(random_state=rng)) for p in calib.spec.parameters
        }
        copy = {**raw, "seed": int(rng.integers(SEED_WORDS))}
        copy["observed"] = {"synthetic": {"truth": truth, "seed": int(rng.integers(SEED_WORDS))}}
        # the synthetic truth replaces the record's (or the file's) observed values
        copy["statistics"] = [
            {k: v for k, v in st.items() if k != "observed"} for st in raw["statistics"]
        ]
        copy["abc"] = {**raw.get("abc", {}), **budget, "predictive_draws": 0}
        jobs.append(Job(i, copy, tmp / f"d{i:03d}", truth))
    return jobs


OBSERVED_SHOWN = 3  # statistics shown per dataset in the table (a file may have 18)


def _observed(observed: dict[str, float]) -> str:
    """The synthetic dataset's first statistics, for the per-dataset table."""
    values = [f"{v:g}" for v in observed.values()]
    more = len(values) - OBSERVED_SHOWN
    return ", ".join(values[:OBSERVED_SHOWN]) + (f", … (+{more})" if more > 0 else "")


def run_job(job: Job) -> dict[str, Any]:
    """Fit one dataset; its posterior summary per parameter (interval, sd, rank)."""
    job.out.mkdir(parents=True)
    file = job.out / "calib.toml"
    file.write_text(tomli_w.dumps(job.raw), encoding="utf-8")
    t0 = time.perf_counter()
    calibrate(file, job.out / "run", Backend("local", 1))
    wall = time.perf_counter() - t0
    calib = load_calibration(file)
    table = last_generation(pd.read_parquet(job.out / "run" / "particles.parquet"))
    w = table["weight"].to_numpy()
    rng = np.random.default_rng(np.random.SeedSequence([job.raw["seed"], job.index]))
    rows = []
    tail = (1 - LEVEL) / 2
    for p in calib.spec.parameters:
        x = table[p.path].to_numpy()
        lo, hi = weighted_quantiles(x, w, [tail, 1 - tail])
        mean = float(np.average(x, weights=w))
        sd = float(np.sqrt(np.average((x - mean) ** 2, weights=w)))
        draws = rng.choice(x, size=RANK_DRAWS, p=w / w.sum())
        truth = job.truth[p.name]
        rows.append(
            {"dataset": job.index, "parameter": p.name, "truth": truth,
             "observed": _observed(calib.observed),
             "mean": mean, "sd": sd, "lo": lo, "hi": hi,
             "covered": bool(lo <= truth <= hi), "rank": int(np.sum(draws < truth)),
             "contraction": 1 - sd / p.prior.moments()[1], "wall_s": wall}
        )  # fmt: skip
    return {"rows": rows}


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: coverage, mean contraction, rank histogram, the label."""
    out = []
    edges = np.linspace(0, RANK_DRAWS + 1, RANK_BINS + 1)
    for name, g in df.groupby("parameter", sort=False):
        cover = float(g["covered"].mean())
        contraction = float(g["contraction"].mean())
        hist, _ = np.histogram(g["rank"], bins=edges)
        chi2 = stats.chisquare(hist)
        ok = contraction >= MIN_CONTRACTION and COVERAGE_TARGET[0] <= cover <= COVERAGE_TARGET[1]
        out.append(
            {"parameter": name, "datasets": len(g), "coverage": cover,
             "contraction": contraction, "median contraction": float(g["contraction"].median()),
             "ranks": " ".join(str(int(h)) for h in hist), "rank chi2 p": float(chi2.pvalue),
             "label": "calibrated" if ok else "assumption"}
        )  # fmt: skip
    return pd.DataFrame(out)


def md_table(df: pd.DataFrame) -> str:
    """A markdown table of ``df`` (floats to 3 decimals; pandas' own needs tabulate)."""

    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _as_set(value: float | None) -> str:
    """A budget option as given, or the file's own."""
    return "as in the file" if value is None else f"{value:g}"


def report(cmd: str, args: argparse.Namespace, df: pd.DataFrame, wall: float) -> str:
    """The markdown of benchmarks/results/sbc.md."""
    summary = summarise(df)
    lines = [
        "# Simulation-based calibration",
        "",
        f"Made by `{cmd}` ({wall / 60:.1f} min wall on this shared 2-core machine).",
        "",
        f"- File: `{args.file}`; per dataset: population {_as_set(args.population)}, "
        f"generations {_as_set(args.generations)}, wall-time limit {_as_set(args.walltime)} "
        f"min; {args.datasets} datasets, truth drawn from the prior, seed {args.seed}.",
        f"- {LEVEL:.0%} intervals: weighted quantiles of the last generation. Ranks: the truth "
        f"among {RANK_DRAWS} draws by weight (0..{RANK_DRAWS}), {RANK_BINS} bins.",
        f'- Label: "calibrated" needs mean contraction >= {MIN_CONTRACTION:.0%} and coverage '
        f'in {COVERAGE_TARGET[0]}-{COVERAGE_TARGET[1]}; otherwise "assumption".',
        "",
        md_table(summary),
        "",
        "## Per dataset",
        "",
        md_table(df.drop(columns=["parameter"] if df["parameter"].nunique() == 1 else [])),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, fit the datasets, print (and with --write save) the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--datasets", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--population", type=int, default=None)
    ap.add_argument("--generations", type=int, default=None, help="max_generations")
    ap.add_argument("--walltime", type=float, default=None, help="max_walltime_minutes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tmp", type=Path, default=None, help="work directory (default: a temp)")
    ap.add_argument("--write", nargs="?", type=Path, const=RESULT, default=None, metavar="PATH")
    args = ap.parse_args()
    budget = {
        key: value
        for key, value in (
            ("population_size", args.population),
            ("max_generations", args.generations),
            ("max_walltime_minutes", args.walltime),
        )
        if value is not None
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        jobs = make_jobs(args.file, args.datasets, args.seed, budget, Path(tmp))
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = []
            for res in pool.map(run_job, jobs):
                results.append(res)
                r = res["rows"][0]
                print(
                    f"dataset {r['dataset']}: truth {r['truth']:.3f} -> {r['mean']:.3f} "
                    f"± {r['sd']:.3f} ({r['wall_s']:.0f} s)",
                    file=sys.stderr,
                )
    df = pd.DataFrame([row for res in results for row in res["rows"]])
    cmd = "nice -n 10 .venv/bin/python benchmarks/bench_sbc.py " + shlex.join(sys.argv[1:])
    text = report(cmd.strip(), args, df, time.perf_counter() - t0)
    print(text)
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
