"""Benchmark: the same N runs through `tradetalks sweep` and through `mesa.batch_run`.

    .venv/bin/python benchmarks/bench_sweep.py [--runs 500] [--workers 2] [--repeats 3]

Sweep and batch_run alternate ``--repeats`` times and the medians are reported, because
this VM's speed drifts by ±25% over minutes.  Both execute the baseline scenario on a
grid of US patience values with equal replicate counts (so the same configurations;
seeds come from each tool's own scheme).  Prints both throughputs, their ratio and the
sweep's parallel efficiency

    (N x mean single-run time) / (workers x wall time),

where the single-run time is measured serially in this process, through the code a worker
runs (BLAS limited to one thread), as CPU time: other load on the machine slows the
sweep's wall time but not that, so the efficiency is not flattered by load.  Half of
those serial runs come before the sweep and half after, because this VM's speed drifts
over minutes.  The share of workers x wall that the sweep's processes kept a CPU busy is
printed too.  Both wall times are whole processes, from interpreter start to exit
(batch_run's call alone is printed too).  batch_run runs in its own interpreter because
it switches multiprocessing to "spawn" process-wide.  ``--fair-blas``
adds a batch_run pass with OPENBLAS_NUM_THREADS=1 to show where the difference comes from.

Where the sweep's edge comes from: the same model class and the same results, but the
sweep parses the base config once, asks the model to skip what none of its columns read
(the weekly series and the per-farm Mesa agents; tests/test_mechanisms.py checks that the
results do not change), forks warm workers whose garbage collector leaves the inherited
heap alone, and sends runs in batches.  batch_run builds the whole model from the config
path every run, in freshly spawned workers.  The line after the single-run time gives
what one run costs when the model is built that way.
Not a test: timings depend on the machine and on whatever else it is running.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
WORKER_RSS_TARGET_MB = 250  # issue 13
PATIENCE = [0.97, 0.98, 0.99, 0.995, 0.999]  # US weekly discount factors on the grid
ROOT_SEED = 2019
FULL_MODEL_SAMPLE = 50  # runs timed serially as batch_run builds the model (explanatory)

BATCH_RUN = """
import json, sys, time
import mesa
from tradetalks.sim.model import TradeTalksModel
args = json.loads(sys.argv[1])
if __name__ == "__main__":
    start = time.perf_counter()
    out = mesa.batch_run(TradeTalksModel,
                         parameters={"config": args["config"],
                                     "teams.us.patience": args["patience"]},
                         rng=args["seeds"], number_processes=args["workers"],
                         data_collection_period=-1, display_progress=False)
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "rows": len(out)}))
"""


def sweep_file(path: Path, replicates: int) -> Path:
    path.write_text(
        textwrap.dedent(f"""
        name = "bench"
        base = "{BASELINE.as_posix()}"
        root_seed = {ROOT_SEED}
        replicates = {replicates}
        [sampler]
        kind = "grid"
        [[parameters]]
        name = "us_patience"
        path = "teams.us.patience"
        values = {PATIENCE}
        [outcomes]
        keep = ["deal", "deal_week", "utility.us", "utility.china", "final.farm_approval"]
    """)
    )
    return path


class SerialTimer:
    """Times runs of the sweep one by one in this process, through the same code a worker
    runs (``run_task``), as CPU time."""

    def __init__(self, sweep: Path) -> None:
        from tradetalks.experiments.runner import _tasks
        from tradetalks.experiments.runtime import prepare_process
        from tradetalks.experiments.samplers import build_design
        from tradetalks.experiments.sweepfile import load_sweep
        from tradetalks.experiments.worker import Context, run_spaces

        sw = load_sweep(sweep)  # includes a probe run, which builds and warms the space
        design = build_design(sw)
        n_runs = len(design) * sw.spec.replicates
        self.ctx = Context(
            model=sw.model,
            base_raw=sw.base_raw,
            targets={p.name: p.targets for p in sw.parameters},
            outcomes=tuple(sw.outcome_types),
            series=sw.series,
        )
        run_spaces(self.ctx, sw.space)  # as a forked local worker starts: with that space
        prepare_process()  # once per worker process, so not part of any run's time
        self.runs = [r for t in _tasks(sw, design.rows, 1, n_runs, set()) for r in t.runs]

    def pick(self, sample: int | None) -> list[int]:
        """Indices of all runs, or of ``sample`` runs spread evenly over the design."""
        n = len(self.runs)
        k = n if sample is None else min(sample, n)
        return [i * n // k for i in range(k)]

    def cpu(self, indices: list[int]) -> float:
        """Total CPU seconds of the given runs, one task each."""
        from tradetalks.experiments.worker import Task, run_task

        total = 0.0
        for i in indices:
            run = self.runs[i]
            start = time.process_time()
            run_task(self.ctx, Task(run.run_id, (run,)))
            total += time.process_time() - start
        return total


def _children_cpu() -> float:
    """CPU seconds of this process's finished children and their descendants."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


class TreeMemory:
    """Peak resident memory (VmHWM) of a process's descendants, polled from /proc while it
    runs: the figure is the largest worker's peak, and the root's own peak beside it.  Use it
    as a context manager around waiting for the root; off Linux (no /proc) it reports 0."""

    # VmHWM only rises, so a poll misses at most what a worker adds in its last interval;
    # a tenth of a second keeps the poller's own CPU small beside the two measured cores
    POLL_S = 0.1

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks: dict[int, int] = {}  # pid -> VmHWM, kB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> TreeMemory:
        if os.path.isdir("/proc"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @staticmethod
    def _hwm_kb(pid: int) -> int | None:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def _descendants(self) -> set[int]:
        parent: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        # the command name may hold spaces: fields follow its closing ")"
                        parent[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        found, frontier = set(), {self.root}
        while frontier:
            frontier = {p for p, pp in parent.items() if pp in frontier} - found
            found |= frontier
        return found

    def _poll(self) -> None:
        while not self._stop.is_set():
            for pid in self._descendants() | {self.root}:
                kb = self._hwm_kb(pid)
                if kb is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0), kb)
            self._stop.wait(self.POLL_S)

    def result(self) -> tuple[float, float]:
        """(largest descendant's peak, root's peak), MB; 0 where nothing was seen."""
        workers = [kb for pid, kb in self.peaks.items() if pid != self.root]
        return max(workers, default=0) / 1024, self.peaks.get(self.root, 0) / 1024


def serial_full_model(k: int) -> float:
    """Mean CPU time of the model built as batch_run builds it (config path parsed each
    run, weekly series, a Mesa agent per farm), over ``k`` runs, in this process (whose
    collector is already frozen, as a sweep worker's is): where the sweep's edge per run
    comes from, apart from batch_run's own handling of each run."""
    from tradetalks.sim.model import TradeTalksModel

    cpu = 0.0
    for i in range(k):
        patience = PATIENCE[i % len(PATIENCE)]
        start = time.process_time()
        TradeTalksModel(
            config=BASELINE, rng=ROOT_SEED * 1000 + i, **{"teams.us.patience": patience}
        ).run()
        cpu += time.process_time() - start
    return cpu / k


def batch_run(
    workers: int, replicates: int, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Wall time of a fresh interpreter running mesa.batch_run over the same grid, of the
    batch_run call alone, and the largest worker's peak RSS (MB)."""
    args = {
        "config": str(BASELINE),
        "patience": PATIENCE,
        "workers": workers,
        "seeds": [ROOT_SEED * 1000 + r for r in range(replicates)],
    }
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "batch_run_bench.py"
        script.write_text(BATCH_RUN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(script), json.dumps(args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        try:
            with TreeMemory(proc.pid) as memory:
                stdout, stderr = proc.communicate()
        finally:
            if proc.poll() is None:  # interrupted: do not leave batch_run running
                proc.kill()
        wall = time.perf_counter() - start
        worker_mb, _ = memory.result()
    if proc.returncode != 0:
        raise RuntimeError(f"batch_run failed: {stderr}")
    out = json.loads(stdout.strip().splitlines()[-1])
    assert out["rows"] == replicates * len(PATIENCE), out
    return wall, float(out["wall"]), worker_mb


def sweep_cli(sweep: Path, out: Path, workers: int) -> tuple[float, float, float, float]:
    """Wall time of a fresh interpreter running ``tradetalks sweep``, the CPU time of its
    whole process tree, and the peak RSS (MB) of its largest worker and of the sweep process."""
    cmd = [
        sys.executable,
        "-c",
        "from tradetalks.cli import main; main()",
        "sweep",
        str(sweep),
        "--out",
        str(out),
        "--workers",
        str(workers),
    ]
    start, cpu0 = time.perf_counter(), _children_cpu()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with TreeMemory(proc.pid) as memory:
            code = proc.wait()
    finally:
        if proc.poll() is None:  # interrupted: do not leave the sweep running
            proc.kill()
    wall = time.perf_counter() - start
    worker_mb, parent_mb = memory.result()
    if code != 0:
        raise subprocess.CalledProcessError(code, cmd)
    return wall, _children_cpu() - cpu0, worker_mb, parent_mb


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="sweep / batch_run pairs, interleaved; the medians are the result",
    )
    ap.add_argument(
        "--fair-blas", action="store_true", help="also time batch_run with OPENBLAS_NUM_THREADS=1"
    )
    ap.add_argument(
        "--serial-sample",
        type=int,
        default=None,
        help="time only this many runs serially (default: all N, exact but slower)",
    )
    a = ap.parse_args()
    replicates = -(-a.runs // len(PATIENCE))
    n = replicates * len(PATIENCE)
    print(
        f"benchmark: N = {n} runs (baseline, {len(PATIENCE)} US patience values x "
        f"{replicates} replicates), {a.workers} workers, {os.cpu_count()} CPUs, "
        f"{a.repeats} interleaved repeats, load average before: {os.getloadavg()[0]:.2f}"
    )

    ratios, efficiencies, walls = [], [], []
    memory: list[tuple[float, float, float]] = []  # (sweep worker, sweep process, batch_run worker)
    with tempfile.TemporaryDirectory() as tmp:
        sweep = sweep_file(Path(tmp) / "bench.toml", replicates)
        timer = SerialTimer(sweep)
        picked = timer.pick(a.serial_sample)
        # half the serial runs before the repeats and half after: this VM's speed drifts
        # over minutes, and bracketing keeps most of the drift out of the efficiency
        before = timer.cpu(picked[0::2])
        for r in range(a.repeats):
            sweep_wall, sweep_cpu, sweep_mb, parent_mb = sweep_cli(
                sweep, Path(tmp) / f"out{r}", a.workers
            )
            br_wall, br_call, br_mb = batch_run(a.workers, replicates)
            walls.append((sweep_wall, sweep_cpu, br_wall, br_call))
            memory.append((sweep_mb, parent_mb, br_mb))
        t1 = (before + timer.cpu(picked[1::2])) / len(picked)
        full = serial_full_model(min(len(picked), FULL_MODEL_SAMPLE))
    print(
        f"mean single-run time (serial, {len(picked)} runs, half before and half after the "
        f"repeats): {t1:.3f} s CPU"
    )
    print(
        f"  the same model as batch_run builds it (config parsed, weekly series, per-farm "
        f"agents): {full:.3f} s CPU per run"
    )
    for r, (sweep_wall, sweep_cpu, br_wall, br_call) in enumerate(walls, 1):
        ratio = br_wall / sweep_wall  # throughputs n / wall, so their ratio
        eff = n * t1 / (a.workers * sweep_wall)
        ratios.append(ratio)
        efficiencies.append(eff)
        print(
            f"repeat {r}: tradetalks sweep {sweep_wall:.1f} s wall ({n / sweep_wall:.2f} runs/s, "
            f"its processes busy {sweep_cpu / (a.workers * sweep_wall):.0%} of "
            f"{a.workers} x wall); mesa.batch_run(number_processes={a.workers}) "
            f"{br_wall:.1f} s wall ({br_call:.1f} s in the call, {n / br_wall:.2f} runs/s); "
            f"ratio {ratio:.2f}, efficiency {eff:.2f}"
        )
    print(f"throughput ratio (sweep / batch_run), median: {statistics.median(ratios):.2f}")
    worker_mb = statistics.median(m[0] for m in memory)
    br_worker_mb = statistics.median(m[2] for m in memory)
    seen = br_worker_mb > 0  # 0: no batch_run worker was seen (one worker, or no /proc)
    ratio = f"{worker_mb / br_worker_mb:.2f}" if seen else "n/a"
    print(
        f"peak RSS of the largest sweep worker, median: {worker_mb:.0f} MB (target < "
        f"{WORKER_RSS_TARGET_MB} MB; per repeat "
        + ", ".join(f"{m[0]:.0f}" for m in memory)
        + f"); the sweep process itself {statistics.median(m[1] for m in memory):.0f} MB; "
        f"largest mesa.batch_run worker {br_worker_mb:.0f} MB; ratio {ratio}"
    )
    print(
        f"parallel efficiency of the sweep, N x t1 / (workers x wall), median: "
        f"{statistics.median(efficiencies):.2f}"
    )
    if a.fair_blas:
        fair, fair_call, _ = batch_run(
            a.workers, replicates, {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        )
        print(
            f"mesa.batch_run with OPENBLAS_NUM_THREADS=1: {fair:.1f} s wall ({fair_call:.1f} s "
            f"in the call), {n / fair:.2f} runs/s; ratio to the median sweep "
            f"{fair / statistics.median(w[0] for w in walls):.2f}"
        )


if __name__ == "__main__":
    main()
