"""Experiment runner (issue 4): determinism across workers and backends, kill/resume,
failed runs, bad sweep files, and the analysis outputs.  Sweeps here are tiny (few
farmers, a dozen runs) so the whole module takes well under a minute on two cores."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from tradetalks.experiments import backends
from tradetalks.experiments.runner import run_sweep
from tradetalks.experiments.runtime import prepare_process
from tradetalks.experiments.seeds import run_seed
from tradetalks.experiments.store import read_runs
from tradetalks.sim.model import TradeTalksModel
from typer.testing import CliRunner

from tradetalks.cli import app

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
KILL_TIMEOUT_S = 120  # generous: CI machines are slow; never reached when things work

SMALL = f"""
name = "small"
base = "{BASELINE.as_posix()}"
root_seed = 11
replicates = 2
[set]
"world.farmers.count" = 30
[sampler]
kind = "grid"
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
range = [0.97, 0.999]
steps = 3
[[parameters]]
name = "farm_aid_bn"
paths = ["calendar.farm_aid.0.amount_bn", "calendar.farm_aid.1.amount_bn"]
shares = [0.5, 0.5]
values = [0.0, 7.2]
[outcomes]
keep = ["deal", "deal_week", "full_deal", "utility.us", "final.farm_approval",
        "terms.huawei", "n_issues"]
series = ["farm_approval"]
[execution]
batch_size = 2
"""


class FlakyModel(TradeTalksModel):
    """The real model, except that it raises for one patience value (a failing run)."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        if (overrides or {}).get("teams.us.patience") == 0.98:
            raise RuntimeError("injected failure for the test")
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


class DyingModel(TradeTalksModel):
    """Kills its worker process the first time it meets one patience value."""

    marker: Path | None = None  # set by the test before the workers are forked

    def __init__(self, config=None, rng=None, overrides=None, **params):
        if (overrides or {}).get("teams.us.patience") == 0.98 and self.marker is not None:
            if not self.marker.exists():
                self.marker.touch()
                os._exit(1)  # the worker dies mid-task, as if killed
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


class EnvDyingModel(TradeTalksModel):
    """Like DyingModel, for workers that do not inherit the test's objects (Dask spawns
    its workers): the marker path comes from the environment."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        marker = os.environ.get(DIE_MARKER_ENV)
        if (overrides or {}).get("teams.us.patience") == 0.98 and marker:
            if not os.path.exists(marker):
                Path(marker).touch()
                os._exit(1)  # the worker process dies mid-task, as if killed
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


DIE_MARKER_ENV = "TRADETALKS_TEST_DIE_MARKER"


class AlwaysDyingModel(TradeTalksModel):
    """Kills its worker process whenever it meets one patience value, in any worker."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        if (overrides or {}).get("teams.us.patience") == 0.98:
            os._exit(1)
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


TRACED: list[weakref.ref] = []  # TracedModel's instances, weakly; a test clears it first
ALIVE_AT_BUILD: list[int] = []  # per instance: how many earlier ones were still alive


class TracedModel(TradeTalksModel):
    """The real model, each instance weakly listed: a test sees which ones are still alive,
    and each instance records how many earlier ones were alive when it was built."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        ALIVE_AT_BUILD.append(sum(ref() is not None for ref in TRACED))
        super().__init__(config=config, rng=rng, overrides=overrides, **params)
        TRACED.append(weakref.ref(self))


SESSION_PID_ENV = "TRADETALKS_TEST_SESSION_PID"
os.environ.setdefault(SESSION_PID_ENV, str(os.getpid()))  # the test session's process


class ForkedDyingModel(TradeTalksModel):
    """Kills a worker forked straight from the test session (as a native library that does
    not survive a fork would), never one started by a fork server."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        forked_here = os.getppid() == int(os.environ[SESSION_PID_ENV])
        if (overrides or {}).get("teams.us.patience") == 0.98 and forked_here:
            os._exit(1)
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


class Inherited:
    """Garbage a worker may inherit: its finaliser leaves a file if a worker collects it."""

    def __init__(self, marker: Path) -> None:
        self.marker, self.owner, self.cycle = marker, os.getpid(), self

    def __del__(self) -> None:
        if os.getpid() != self.owner:
            self.marker.touch()


class CollectingModel(TradeTalksModel):
    """Runs a full garbage collection in a sweep run (not in the probe run, which has no
    overrides and runs in the sweep's own process) before building the real model."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        if overrides:
            gc.collect()
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


class FailingModel(TradeTalksModel):
    """Raises in every sweep run (the probe run, with no overrides, passes)."""

    def __init__(self, config=None, rng=None, overrides=None, **params):
        if "teams.us.patience" in (overrides or {}):
            raise RuntimeError("injected failure in every run")
        super().__init__(config=config, rng=rng, overrides=overrides, **params)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text))
    return path


def series_table(out: Path):
    return pq.read_table(out / "series").sort_by([("run_id", "ascending"), ("week", "ascending")])


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("sweepfile"), "small.toml", SMALL)


@pytest.fixture(scope="module")
def reference(small, tmp_path_factory) -> Path:
    """The small sweep with one local worker: the table every other way must reproduce."""
    out = tmp_path_factory.mktemp("ref") / "one_worker"
    report = run_sweep(small, out, workers=1, progress=None)
    assert report.runs == 12 and report.failed == 0
    return out


def test_table_layout_and_seeds(reference):
    t = read_runs(reference).to_pylist()
    assert [r["run_id"] for r in t] == list(range(12))
    for r in t:
        assert r["sample_id"] == r["run_id"] // 2 and r["replicate"] == r["run_id"] % 2
        assert r["seed"] == run_seed(11, r["sample_id"], r["replicate"])
        assert r["status"] == "ok" and r["error"] is None
    assert {r["us_patience"] for r in t} == {0.97, 0.9845, 0.999}
    assert {r["farm_aid_bn"] for r in t} == {0.0, 7.2}
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["root_seed"] == 11 and manifest["runs"] == 12
    assert manifest["code_version"]["tradetalks"]
    assert "world" in (reference / "base_config.toml").read_text()
    assert series_table(reference).num_rows == 12 * 53  # weeks 0..52


def test_run_seed_is_the_spawn_tree():
    child = np.random.SeedSequence(5).spawn(4)[3].spawn(3)[2]
    assert run_seed(5, 3, 2) == int(child.generate_state(1, np.uint64)[0]) >> 1
    assert len({run_seed(5, s, r) for s in range(20) for r in range(5)}) == 100


def test_a_run_reproduces_from_its_row(reference):
    row = read_runs(reference).to_pylist()[5]
    overrides = {
        "world.farmers.count": 30,
        "teams.us.patience": row["us_patience"],
        "calendar.farm_aid.0.amount_bn": row["farm_aid_bn"] / 2,
        "calendar.farm_aid.1.amount_bn": row["farm_aid_bn"] / 2,
    }
    summary = TradeTalksModel(config=BASELINE, rng=row["seed"], overrides=overrides).run()
    assert summary["deal"] == row["deal"] and summary["utility"]["us"] == row["utility_us"]


def test_two_local_workers_give_the_same_table(small, reference, tmp_path):
    run_sweep(small, tmp_path / "two", workers=2, progress=None)
    assert read_runs(tmp_path / "two").equals(read_runs(reference))
    assert series_table(tmp_path / "two").equals(series_table(reference))


def test_sigkill_then_resume_completes_the_same_table(small, reference, tmp_path):
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-c",
        "from tradetalks.cli import main; main()",
        "sweep",
        str(small),
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    runs, commits = out / "runs", out / "commits"  # a batch is done when it is committed
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while not (commits.is_dir() and any(commits.glob("part-*.json"))):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep never wrote a part"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, without warning
    proc.wait()
    proc.stderr.close()
    done = len(list(commits.glob("part-*.json")))
    assert 0 < done < 6, "the kill must land mid-sweep"
    assert not (out / "status.json").exists()

    result = subprocess.run(
        [*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=KILL_TIMEOUT_S
    )
    assert result.returncode == 0, result.stderr
    assert f"resumed after {done} finished batches" in result.stdout
    assert read_runs(out).equals(read_runs(reference))
    assert series_table(out).equals(series_table(reference))
    assert not list(runs.glob(".*"))  # no temporary files left


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    text = SMALL.replace('name = "small"', 'name = "flaky"')
    text = text.replace("range = [0.97, 0.999]\nsteps = 3", "values = [0.97, 0.98, 0.99]")
    sweep = write(tmp_path, "flaky.toml", text)
    model = f"{__name__}:FlakyModel"  # a model of one's own comes from the command line
    args = ["sweep", str(sweep), "--out", str(tmp_path / "out"), "--workers", "2"]
    ran = CliRunner().invoke(app, [*args, "--model", model])
    assert ran.exit_code == 0, ran.output
    assert "12 runs (4 failed)" in ran.output
    rows = read_runs(tmp_path / "out").to_pylist()
    assert len(rows) == 12
    for r in rows:
        if r["us_patience"] == 0.98:
            assert r["status"] == "failed" and "injected failure" in r["error"]
            assert r["deal"] is None and r["utility_us"] is None
        else:
            assert r["status"] == "ok" and r["deal"] is not None
    out = CliRunner().invoke(app, ["analyze", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert "injected failure" in (tmp_path / "out" / "analysis" / "failures.csv").read_text()


@pytest.fixture
def forked_workers(monkeypatch):
    """Workers forked from this process, whatever threads earlier tests left running (the
    runner would start them from a fork server then): the tests below are about forking."""
    monkeypatch.setattr(backends, "start_method", lambda: "fork")


def test_a_lost_worker_s_tasks_are_retried(tmp_path, forked_workers):
    text = SMALL.replace('name = "small"', 'name = "dying"')
    text = text.replace("range = [0.97, 0.999]\nsteps = 3", "values = [0.97, 0.98, 0.99]")
    sweep = write(tmp_path, "dying.toml", text)
    DyingModel.marker = tmp_path / "died-once"
    try:
        report = run_sweep(
            sweep, tmp_path / "out", workers=2, progress=None, model=f"{__name__}:DyingModel"
        )
    finally:
        DyingModel.marker = None
    assert DyingModel.marker is None and (tmp_path / "died-once").exists()
    rows = read_runs(tmp_path / "out").to_pylist()
    assert report.failed == 0 and [r["run_id"] for r in rows] == list(range(12))
    assert all(r["status"] == "ok" for r in rows)


def test_a_batch_whose_worker_always_dies_is_recorded_failed_and_the_sweep_finishes(tmp_path):
    text = SMALL.replace('name = "small"', 'name = "doomed"')
    text = text.replace("range = [0.97, 0.999]\nsteps = 3", "values = [0.97, 0.98, 0.99]")
    sweep = write(tmp_path, "doomed.toml", text)
    model = f"{__name__}:AlwaysDyingModel"
    report = run_sweep(sweep, tmp_path / "out", workers=2, progress=None, model=model)
    rows = read_runs(tmp_path / "out").to_pylist()
    assert [r["run_id"] for r in rows] == list(range(12))
    doomed = [r for r in rows if r["us_patience"] == 0.98]
    assert len(doomed) == 4 and report.failed >= 4
    for r in doomed:
        assert r["status"] == "failed" and "worker process died 3 times" in r["error"]
    assert sum(r["status"] == "ok" for r in rows) == 12 - report.failed
    assert any(r["status"] == "ok" for r in rows if r["us_patience"] != 0.98)


def test_workers_that_die_when_forked_are_replaced_by_fork_server_workers(tmp_path, forked_workers):
    text = SMALL.replace('name = "small"', 'name = "forked"')
    text = text.replace("range = [0.97, 0.999]\nsteps = 3", "values = [0.97, 0.98, 0.99]")
    sweep = write(tmp_path, "forked.toml", text)
    model = f"{__name__}:ForkedDyingModel"
    report = run_sweep(sweep, tmp_path / "out", workers=2, progress=None, model=model)
    rows = read_runs(tmp_path / "out").to_pylist()
    assert report.failed == 0 and [r["run_id"] for r in rows] == list(range(12))
    assert all(r["status"] == "ok" for r in rows)


def test_forked_workers_never_collect_the_garbage_they_inherit(tmp_path, forked_workers):
    sweep = write(tmp_path, "gc.toml", SMALL.replace('name = "small"', 'name = "gc"'))
    marker = tmp_path / "collected-in-a-worker"
    prepare_process()  # as an earlier sweep run in this process (workers = 1) leaves it
    gc.disable()  # so the garbage below is still there when the workers are forked
    try:
        Inherited(marker)  # an unreachable cycle with a finaliser
        run_sweep(
            sweep, tmp_path / "out", workers=2, progress=None, model=f"{__name__}:CollectingModel"
        )
    finally:
        gc.enable()
        gc.collect()  # collected here, in the process that made it: no file
    assert not marker.exists()


def test_analyze_a_sweep_whose_every_run_failed_writes_tables_and_says_so(tmp_path):
    sweep = write(tmp_path, "failing.toml", SMALL.replace('name = "small"', 'name = "failing"'))
    run_sweep(sweep, tmp_path / "out", workers=1, progress=None, model=f"{__name__}:FailingModel")
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "12 of 12 runs failed" in result.output and "no run finished" in result.output
    written = {p.name for p in (tmp_path / "out" / "analysis").iterdir()}
    assert {"overview.csv", "failures.csv"} <= written
    assert not [n for n in written if n.endswith(".png")]


BAD = {
    "unknown key and missing sampler": (
        SMALL.replace('[sampler]\nkind = "grid"\n', "").replace(
            "replicates = 2", "replicates = 2\nworkers = 3"
        ),
        ["workers: unknown key", "sampler: required key is missing"],
    ),
    "unknown config path": (
        SMALL.replace('path = "teams.us.patience"', 'path = "teams.us.patienc"'),
        ["parameters[0] (us_patience = 0.97): teams.us.patienc: unknown key"],
    ),
    "value outside the config's range": (
        SMALL.replace("range = [0.97, 0.999]", "range = [0.97, 1.5]"),
        ["parameters[0] (us_patience = 1.5): teams.us.patience"],
    ),
    "several problems at once": (
        SMALL.replace("steps = 3", "")
        .replace("shares = [0.5, 0.5]", "shares = [0.5, 0.6]")
        .replace('"n_issues"', '"n_issuez"')
        .replace("replicates = 2", "replicates = 0"),
        ["replicates", "parameters[0].steps", "parameters[1].shares: must sum to 1"],
    ),
    "unknown outcome": (
        SMALL.replace('"n_issues"', '"n_issuez"'),
        ["outcomes.keep[6]", "n_issuez"],
    ),
    "sobol needs a power of two": (
        SMALL.replace('kind = "grid"', 'kind = "sobol"\nsamples = 10').replace("steps = 3", ""),
        ["sampler.samples", "power of 2"],
    ),
    "not TOML": ("name = [", ["TOML syntax error"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_sweep_files_exit_2_naming_every_problem(case, tmp_path):
    text, expected = BAD[case]
    sweep = write(tmp_path, "bad.toml", text)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out)])
    assert result.exit_code == 2, result.output
    for fragment in expected:
        assert fragment in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [sweep]  # nothing half-written next to it either


def test_existing_output_needs_resume_and_the_same_file(small, reference, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["sweep", str(small), "--out", str(reference)])
    assert result.exit_code == 2 and "--resume" in result.output
    changed = write(tmp_path, "changed.toml", SMALL.replace("root_seed = 11", "root_seed = 12"))
    result = runner.invoke(app, ["sweep", str(changed), "--out", str(reference), "--resume"])
    assert result.exit_code == 2 and "differs" in result.output
    result = runner.invoke(app, ["sweep", str(small), "--out", str(reference), "--resume"])
    assert result.exit_code == 0 and "resumed after 6 finished batches" in result.output


def test_bad_options_exit_2(small, tmp_path):
    runner = CliRunner()
    for args, fragment in (
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --backend dask"),
        (["--backend", "spark"], "--backend must be one of local, dask"),
    ):
        result = runner.invoke(app, ["sweep", str(small), "--out", str(tmp_path / "o"), *args])
        assert result.exit_code == 2 and fragment in result.output
        assert not (tmp_path / "o").exists()
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2 and "not a sweep directory" in result.output


def test_analyze_grid_writes_tables_and_plots(reference):
    result = CliRunner().invoke(app, ["analyze", str(reference)])
    assert result.exit_code == 0, result.output
    listed = {Path(line).name for line in result.stdout.split()}
    for name in (
        "overview.csv",
        "by_sample.csv",
        "by_us_patience.csv",
        "deal_heatmap.png",
        "outcome_distributions.png",
        "time_to_deal.png",
    ):
        assert name in listed
        assert (reference / "analysis" / name).is_file()
    assert (reference / "analysis" / "deal_heatmap.png").read_bytes()[:4] == b"\x89PNG"
    overview = (reference / "analysis" / "overview.csv").read_text().splitlines()
    assert overview[0].startswith("runs,ok,failed,planned") and overview[1].startswith("12,12,0,12")
    bad = CliRunner().invoke(app, ["analyze", str(reference), "--x", "nope"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("sampler", ["sobol", "morris"])
def test_sensitivity_designs_are_analysed(sampler, tmp_path):
    design = {"sobol": 'kind = "sobol"\nsamples = 4', "morris": 'kind = "morris"\nsamples = 3'}
    text = (
        SMALL.replace('kind = "grid"', design[sampler])
        .replace("steps = 3\n", "")
        .replace("replicates = 2", "replicates = 1")
        .replace("values = [0.0, 7.2]", "range = [0.0, 14.4]")
    )
    sweep = write(tmp_path, f"{sampler}.toml", text)
    report = run_sweep(sweep, tmp_path / "out", workers=2, progress=None)
    assert report.runs == (16 if sampler == "sobol" else 9)
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    table = (tmp_path / "out" / "analysis" / f"{sampler}_indices.csv").read_text()
    header = (
        "outcome,parameter,S1,S1_conf,ST,ST_conf"
        if sampler == "sobol"
        else "outcome,parameter,mu,mu_star,mu_star_conf,sigma"
    )
    assert table.startswith(header)
    assert (tmp_path / "out" / "analysis" / f"{sampler}_indices.png").is_file()


def test_runs_share_the_base_outcome_space_unless_a_parameter_shapes_it():
    from tradetalks.experiments.spaces import RunSpaces
    from tradetalks.sim.config import dump_config
    from tradetalks.sim.scenario import resolve_config

    spaces = RunSpaces(dump_config(resolve_config(BASELINE)))
    assert spaces.for_run({"teams.us.patience": 0.98}) is spaces.base
    narrow = spaces.for_run({"protocol.min_issues_in_deal": 2})
    assert narrow is not None and len(narrow) < len(spaces.base)
    assert spaces.for_run({"protocol.min_issues_in_deal": 2, "teams.us.patience": 0.9}) is narrow
    assert spaces.for_run({"protocol.min_issues_in_deal": 99}) is None  # the model says why


def test_a_parameter_that_shapes_the_outcome_space_gives_the_model_s_own_results(tmp_path):
    text = (
        SMALL.replace("replicates = 2", "replicates = 1")
        .replace('path = "teams.us.patience"', 'path = "protocol.min_issues_in_deal"')
        .replace("range = [0.97, 0.999]\nsteps = 3", "values = [1, 2]")
        .replace('name = "us_patience"', 'name = "min_issues"')
        .replace('series = ["farm_approval"]\n', "")
    )
    report = run_sweep(
        write(tmp_path, "space.toml", text), tmp_path / "out", workers=1, progress=None
    )
    assert report.runs == 4 and report.failed == 0
    for row in read_runs(tmp_path / "out").to_pylist():
        overrides = {
            "world.farmers.count": 30,
            "protocol.min_issues_in_deal": row["min_issues"],
            "calendar.farm_aid.0.amount_bn": row["farm_aid_bn"] / 2,
            "calendar.farm_aid.1.amount_bn": row["farm_aid_bn"] / 2,
        }
        summary = TradeTalksModel(config=BASELINE, rng=row["seed"], overrides=overrides).run()
        assert (summary["deal"], summary["utility"]["us"]) == (row["deal"], row["utility_us"])


def test_plots_draw_from_data_alone():
    import pandas as pd
    from tradetalks.experiments import plots

    x, y = plots.Axis("a", ["1", "2"]), plots.Axis("b", ["x", "y", "z"])
    grid = np.array([[0.2, np.nan], [0.5, 1.0], [0.0, 0.7]])
    png = plots.heatmap(grid, np.ones_like(grid), x, y, "share", (0.0, 1.0), "Deal", "test")
    assert png[:4] == b"\x89PNG"
    labels = pd.DataFrame({"value": pd.Series(["cut", None], dtype=object), "n": [3, 1]})
    dists = [
        plots.Distribution("week", "number", values=np.array([3.0, 5.0]), integer=True),
        plots.Distribution("terms", "label", counts=labels),
    ]
    assert plots.outcome_distributions(dists, "test")[:4] == b"\x89PNG"
    weeks = np.array([4.0, np.inf, 10.0])
    assert plots.time_to_deal(weeks, {"a = 1": weeks[:2]}, 52, "test")[:4] == b"\x89PNG"


# Last in the module: the in-process Dask client leaves threads behind, and the local
# backend forks its workers (best done from a process without stray threads).
def test_dask_gives_the_same_table(small, reference, tmp_path):
    report = run_sweep(small, tmp_path / "dask", workers=2, backend="dask", progress=None)
    assert report.backend == "dask"
    assert read_runs(tmp_path / "dask").equals(read_runs(reference))
    assert series_table(tmp_path / "dask").equals(series_table(reference))


def test_an_existing_dask_scheduler_gives_the_same_table(small, reference, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        result = CliRunner().invoke(
            app,
            [
                "sweep",
                str(small),
                "--out",
                str(tmp_path / "remote"),
                "--backend",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
            ],
        )
    assert result.exit_code == 0, result.output
    assert "2 dask worker(s)" in result.output  # workers counted from the cluster
    assert read_runs(tmp_path / "remote").equals(read_runs(reference))


def test_a_lost_dask_worker_s_tasks_are_retried(tmp_path, monkeypatch):
    text = SMALL.replace('name = "small"', 'name = "dying"')
    text = text.replace("range = [0.97, 0.999]\nsteps = 3", "values = [0.97, 0.98, 0.99]")
    sweep = write(tmp_path, "dying.toml", text)
    marker = tmp_path / "dask-worker-died"
    monkeypatch.setenv(DIE_MARKER_ENV, str(marker))
    model = f"{__name__}:EnvDyingModel"
    report = run_sweep(
        sweep, tmp_path / "out", workers=2, backend="dask", progress=None, model=model
    )
    assert marker.exists()  # a worker process did die mid-task
    rows = read_runs(tmp_path / "out").to_pylist()
    assert report.failed == 0 and [r["run_id"] for r in rows] == list(range(12))
    assert all(r["status"] == "ok" for r in rows)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
@pytest.mark.parametrize("env, applied", [({"MALLOC_TRIM_THRESHOLD_": "65536"}, True), ({}, False)])
def test_workers_undo_the_nanny_s_malloc_setting_only_when_it_is_set(env, applied):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which makes every ~1 MB utility vector an
    mmap; workers raise the mmap threshold back then, and leave malloc alone otherwise."""
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    code = "from tradetalks.experiments.runtime import restore_malloc_reuse as r; print(r())"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(applied)


def test_progress_prints_plain_lines_off_a_terminal():
    import io

    from tradetalks.experiments.progress import Progress

    stream = io.StringIO()  # not a terminal
    bar = Progress(10, initial=4, desc="demo", stream=stream)
    for _ in range(6):
        bar.update(1)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines and "\r" not in stream.getvalue()
    assert lines[-1].startswith("demo: 100%") and "10/10" in lines[-1] and "run/s" in lines[-1]
    assert "<" in lines[0]  # elapsed<remaining: time left is shown


def test_common_seeds_give_every_design_point_the_same_seeds(tmp_path):
    """common_seeds = true: replicate r has one seed at every design point (common random
    numbers), so outcomes differ between points only through the parameters."""
    spec = tmp_path / "crn.toml"
    spec.write_text(SMALL.replace("replicates = 2\n", "replicates = 2\ncommon_seeds = true\n"))
    run_sweep(spec, tmp_path / "out", workers=1, progress=None)
    t = read_runs(tmp_path / "out").to_pylist()
    assert {r["seed"] for r in t if r["replicate"] == 0} == {run_seed(11, 0, 0)}
    assert {r["seed"] for r in t if r["replicate"] == 1} == {run_seed(11, 0, 1)}
    assert len({r["seed"] for r in t}) == 2  # two replicates, six design points


def test_a_worker_frees_each_run_before_the_next():
    """A finished model and its agents refer to each other, so only the cycle collector frees
    them; the worker collects after every run (``runtime.free_run``), or dead models pile up
    to its memory peak.  With automatic collection off, none may outlive the batch."""
    from tradetalks.experiments import worker
    from tradetalks.sim.config import read_raw

    ctx = worker.Context(
        model="test_sweep_runner:TracedModel",
        base_raw=read_raw(BASELINE),
        targets={"weeks": (("run.weeks", None),), "farmers": (("world.farmers.count", None),)},
        outcomes=("deal",),
        series=(),
    )
    params = {"weeks": 6, "farmers": 30}  # short runs: the cycles exist from the start
    runs = tuple(worker.Run(i, i, 0, seed, params) for i, seed in enumerate((3, 4, 5)))
    TRACED.clear()
    ALIVE_AT_BUILD.clear()
    prepare_process()
    gc.disable()
    try:
        result = worker.run_task(ctx, worker.Task(0, runs))
        alive = sum(ref() is not None for ref in TRACED)
    finally:
        gc.enable()
    assert [r["status"] for r in result.rows] == ["ok"] * 3
    assert len(TRACED) == 3 and alive == 0
    assert ALIVE_AT_BUILD == [0, 0, 0]  # each run's model was gone before the next was built
