"""Hardening of the sweep runner and store (issue 10): no code or SQL from data files, sweep
directories checked part by part, bounded sizes, a Dask cluster only its owner can drive,
and one plain paragraph (exit 2 for bad input, 1 for the machine) for every failure.

Each test reproduces one finding of the fuzzing pass and failed before the fix.  The sweeps
here are tiny (four runs of a 30-farmer baseline) so the module stays quick."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from tradetalks.experiments.runner import run_sweep
from tradetalks.experiments.store import read_runs
from tradetalks.sim.model import TradeTalksModel
from typer.testing import CliRunner

from tradetalks.cli import app

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"

TINY = f"""
name = "tiny"
base = "{BASELINE.as_posix()}"
root_seed = 5
replicates = 1
[set]
"world.farmers.count" = 30
[sampler]
kind = "grid"
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
values = [0.97, 0.98, 0.99, 0.995]
[outcomes]
keep = ["deal", "deal_week", "utility.us"]
series = ["farm_approval"]
[execution]
batch_size = 1
"""


class MarkedModel(TradeTalksModel):
    """The real model, installed under an entry-point name by a test."""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_plain(result, code: int) -> None:
    """Exit ``code`` with a message and no traceback (no exception escaped the command)."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    assert result.output.strip()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("tiny"), "tiny.toml", TINY)


@pytest.fixture(scope="module")
def finished(tiny, tmp_path_factory) -> Path:
    """A finished tiny sweep (four batches of one run, with series)."""
    out = tmp_path_factory.mktemp("finished") / "sweep"
    run_sweep(tiny, out, workers=1, progress=None)
    return out


@pytest.fixture
def copy(finished, tmp_path) -> Path:
    """A copy of the finished sweep to damage."""
    target = tmp_path / "copy"
    shutil.copytree(finished, target)
    shutil.rmtree(target / "analysis", ignore_errors=True)
    return target


# --------------------------------------------------------------------------- SQL from data
def _manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text())


def _hostile(root: Path, marker: Path) -> dict[str, object]:
    """Manifest edits that once reached SQL, a file path or a traceback."""
    m = _manifest(root)
    injection = f"1; COPY (SELECT 42 AS pwned) TO '{marker}' (FORMAT csv); SELECT 4"
    design_elsewhere = {**m["design"], "file": "../../../../etc/passwd"}
    quoted = {**m["design"], "names": ['us_patience" FROM runs; --']}
    deep = "[" * 100_000 + "]" * 100_000
    other_values = json.loads(json.dumps(m["design"]))
    other_values["parameters"][0]["values"] = [0.5]
    empty_range = json.loads(json.dumps(m["design"]))
    del empty_range["parameters"][0]["values"]
    empty_range["parameters"][0]["range"] = [0.9, 0.9]
    return {
        "runs: SQL injection": json.dumps({**m, "runs": injection}),
        "design.file: outside the directory": json.dumps({**m, "design": design_elsewhere}),
        "design.names: not an identifier": json.dumps({**m, "design": quoted}),
        "runs: does not match the design": json.dumps({**m, "runs": 5}),
        "not JSON": "{ this is not json",
        "nested too deeply": deep,
        "a list": "[1, 2, 3]",
        "NaN": json.dumps({**m, "horizon_weeks": float("nan")}),
        "format unknown": json.dumps({**m, "format": 99}),
        "values that are not the runs'": json.dumps({**m, "design": other_values}),
        "an empty range": json.dumps({**m, "design": empty_range}),
    }


@pytest.mark.parametrize(
    "case",
    [
        "runs: SQL injection",
        "design.file: outside the directory",
        "design.names: not an identifier",
        "runs: does not match the design",
        "not JSON",
        "nested too deeply",
        "a list",
        "NaN",
        "format unknown",
        "values that are not the runs'",
        "an empty range",
    ],
)
def test_a_hostile_manifest_is_refused_and_nothing_is_written(case, copy, tmp_path):
    marker = tmp_path / "pwned.csv"
    (copy / "manifest.json").write_text(_hostile(copy, marker)[case])
    result = invoke("analyze", copy)
    assert not marker.exists()  # before the fix, DuckDB wrote it
    assert not (copy / "analysis").exists()
    assert_plain(result, 2)
    assert "manifest" in result.output


def test_a_manifest_cannot_make_resume_read_other_files(copy, tiny):
    m = _manifest(copy)
    m["base_config_file"] = "/etc/hostname"
    (copy / "manifest.json").write_text(json.dumps(m))
    result = invoke("sweep", tiny, "--out", copy, "--resume")
    assert_plain(result, 2)
    assert "base_config_file" in result.output


def _relabel(root: Path, labels: dict[float, str]) -> None:
    """Rewrite a sweep's parameter as labels, with parts and commit records to match."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from tradetalks.experiments.store import file_record

    for part in sorted((root / "runs").glob("part-*.parquet")):
        table = pq.read_table(part)
        i = table.schema.get_field_index("us_patience")
        values = [labels[v] for v in table.column(i).to_pylist()]
        pq.write_table(table.set_column(i, "us_patience", pa.array(values, pa.string())), part)
        record_path = root / "commits" / part.name.replace(".parquet", ".json")
        record = json.loads(record_path.read_text())
        record["runs"] = file_record(part, table.num_rows)
        record_path.write_text(json.dumps(record))
    m = _manifest(root)
    m["design"]["parameters"][0]["values"] = list(labels.values())
    (root / "manifest.json").write_text(json.dumps(m))


def test_parameter_values_reach_sql_only_as_bound_values(copy):
    """Level labels with quotes and SQL in them are data, never query text."""
    labels = {0.97: "x'); DROP VIEW runs; --", 0.98: "b", 0.99: 'c"', 0.995: "$d"}
    _relabel(copy, labels)
    result = invoke("analyze", copy)
    assert_plain(result, 0)
    table = (copy / "analysis" / "by_us_patience.csv").read_text()
    assert "x'); DROP VIEW runs; --" in table and "$d,1," in table


# --------------------------------------------------------------------------- code from data
def test_a_sweep_file_naming_a_module_is_refused_and_the_module_not_imported(tmp_path, monkeypatch):
    module = f"tt_marker_{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "imported"
    (tmp_path / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
        "from tradetalks.sim.model import TradeTalksModel as Model\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # importable, were anything to import it
    sweep = write(
        tmp_path,
        "sweep.toml",
        TINY.replace('name = "tiny"', f'model = "{module}:Model"\nname = "tiny"'),
    )
    out = tmp_path / "out"
    result = invoke("sweep", sweep, "--out", out)
    assert_plain(result, 2)
    assert "model: a sweep file cannot name code" in result.output
    assert "--model" in result.output
    assert not marker.exists() and module not in sys.modules
    assert not out.exists()


def test_model_flag_takes_an_import_path_or_an_installed_name(tmp_path, monkeypatch):
    from tradetalks.experiments.runtime import ModelError, resolve_model

    dist = tmp_path / "tt_test_models-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tt-test-models\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[tradetalks.models]\nmarked = {__name__}:MarkedModel\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert resolve_model("marked") == (f"{__name__}:MarkedModel", MarkedModel)
    assert resolve_model(f"{__name__}:MarkedModel")[1] is MarkedModel
    assert resolve_model(None)[1] is TradeTalksModel
    for bad, fragment in (
        ("nosuchmodel", "no installed model has that name"),
        ("a b:C", "expects package.module:Class"),
        ("json:loads", "is not a class"),
        ("tt_no_such_module_x:Model", "cannot import"),
    ):
        with pytest.raises(ModelError, match=fragment):
            resolve_model(bad)


def test_a_bad_model_flag_exits_2_before_anything_is_written(tiny, tmp_path):
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--model", "nosuchmodel")
    assert_plain(result, 2)
    assert "--model 'nosuchmodel'" in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- store integrity
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated part": lambda d: _truncate(d / "runs" / "part-000001.parquet"),
    "corrupt part (same size)": lambda d: _flip(d / "runs" / "part-000002.parquet"),
    "missing part": lambda d: (d / "runs" / "part-000001.parquet").unlink(),
    "truncated series part": lambda d: _truncate(d / "series" / "part-000003.parquet"),
    "corrupt commit record": lambda d: (d / "commits" / "part-000000.json").write_text("{"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_part_is_refused_by_analyze(damage, copy):
    DAMAGE[damage](copy)
    result = invoke("analyze", copy)
    assert_plain(result, 2)
    assert "part-00000" in result.output and "damaged" in result.output
    assert not (copy / "analysis").exists()


@pytest.mark.parametrize(
    "damage",
    [
        "truncated part",
        *(pytest.param(d, marks=pytest.mark.slow) for d in DAMAGE if d != "truncated part"),
    ],
)
def test_resume_runs_a_damaged_batch_again(damage, copy, finished, tiny):
    DAMAGE[damage](copy)
    resumed = invoke("sweep", tiny, "--out", copy, "--resume", "--workers", "1")
    assert_plain(resumed, 0)
    assert "resumed after 3 finished batches" in resumed.output
    assert "ran 1 damaged or uncommitted batches again" in resumed.output
    assert read_runs(copy).equals(read_runs(finished))
    assert_plain(invoke("analyze", copy), 0)


def test_a_part_never_committed_is_left_out_and_run_again(copy, finished, tiny):
    """A kill between a part's rename and its commit record leaves the part unrecorded."""
    (copy / "commits" / "part-000002.json").unlink()
    noted = invoke("analyze", copy)
    assert_plain(noted, 0)
    assert "(3 of 4 runs)" in noted.output and "never committed" in noted.output
    resumed = invoke("sweep", tiny, "--out", copy, "--resume", "--workers", "1")
    assert_plain(resumed, 0)
    assert "ran 1 damaged or uncommitted batches again" in resumed.output
    assert read_runs(copy).equals(read_runs(finished))


DUPLICATES = {
    "a copy beside it": ("part-000001.parquet", "part-000001 (copy).parquet", False),
    "a part beyond the last batch": ("part-000001.parquet", "part-000009.parquet", True),
}


@pytest.mark.parametrize("case", list(DUPLICATES))
def test_a_duplicated_part_is_refused_by_analyze(case, copy):
    src, dst, with_record = DUPLICATES[case]
    shutil.copy(copy / "runs" / src, copy / "runs" / dst)
    if with_record:
        shutil.copy(copy / "commits" / "part-000001.json", copy / "commits" / "part-000009.json")
    result = invoke("analyze", copy)
    assert_plain(result, 2)
    assert dst in result.output
    assert not (copy / "analysis").exists()


def test_a_part_forged_under_a_missing_batch_is_refused(copy):
    """A part and its record copied to the name of a batch that never finished."""
    for folder, ext in (("runs", "parquet"), ("series", "parquet"), ("commits", "json")):
        (copy / folder / f"part-000003.{ext}").unlink()
    for folder, ext in (("runs", "parquet"), ("series", "parquet")):
        shutil.copy(copy / folder / f"part-000001.{ext}", copy / folder / f"part-000003.{ext}")
    record = json.loads((copy / "commits" / "part-000001.json").read_text())
    (copy / "commits" / "part-000003.json").write_text(json.dumps(record))
    result = invoke("analyze", copy)
    assert_plain(result, 2)
    assert "part-000003" in result.output


def test_a_sweep_without_commit_records_is_checked_by_its_run_ids(copy, finished, tiny):
    """Sweeps written before commit records (format 1) are still analysed; a copied part is
    refused there too, and resume adds the records."""
    m = _manifest(copy)
    m["format"] = 1
    del m["integrity"]
    (copy / "manifest.json").write_text(json.dumps(m))
    shutil.rmtree(copy / "commits")
    assert_plain(invoke("analyze", copy), 0)
    (copy / "runs" / "part-000003.parquet").unlink()
    shutil.copy(copy / "runs" / "part-000001.parquet", copy / "runs" / "part-000003.parquet")
    refused = invoke("analyze", copy)
    assert_plain(refused, 2)
    assert "part-000003" in refused.output
    resumed = invoke("sweep", tiny, "--out", copy, "--resume", "--workers", "1")
    assert_plain(resumed, 0)
    assert read_runs(copy).equals(read_runs(finished))
    assert len(list((copy / "commits").glob("part-*.json"))) == 4


# --------------------------------------------------------------------------- sizes
def _grid(steps: int) -> str:
    return TINY.replace(
        "values = [0.97, 0.98, 0.99, 0.995]", f"range = [0.97, 0.999]\nsteps = {steps}"
    ) + textwrap.dedent(f"""
        [[parameters]]
        name = "cn_patience"
        path = "teams.china.patience"
        range = [0.97, 0.999]
        steps = {steps}
        """)


def _sampled(kind: str, samples: int) -> str:
    return (
        _grid(2)
        .replace('kind = "grid"', f'kind = "{kind}"\nsamples = {samples}')
        .replace("steps = 2\n", "")
    )


OVERSIZED = {
    "grid of 10^10 points": (_grid(100_000), "parameters: the design has 10,000,000,000"),
    "10^9 random samples": (_sampled("random", 10**9), "sampler.samples"),
    "2^30 Sobol samples": (_sampled("sobol", 2**30), "sampler.samples"),
    "10^9 replicates": (
        TINY.replace("replicates = 1", f"replicates = {10**9}"),
        "replicates: 4 design points x 1,000,000,000 replicates",
    ),
}


@pytest.mark.parametrize("case", list(OVERSIZED))
def test_an_absurd_sweep_size_exits_2_before_anything_is_built(case, tmp_path):
    text, fragment = OVERSIZED[case]
    sweep = write(tmp_path, "big.toml", text)
    start = time.monotonic()
    result = invoke("sweep", sweep, "--out", tmp_path / "out")
    assert_plain(result, 2)
    assert fragment in result.output
    assert time.monotonic() - start < 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]


def test_a_sweep_above_the_ceiling_needs_yes(tiny, tmp_path, monkeypatch):
    big = write(tmp_path, "big.toml", TINY.replace("replicates = 1", "replicates = 300000"))
    result = invoke("sweep", big, "--out", tmp_path / "out")
    assert_plain(result, 2)
    assert "1,200,000 runs" in result.output and "--yes" in result.output
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr("tradetalks.experiments.runner.RUNS_NEEDING_YES", 3)
    assert_plain(invoke("sweep", tiny, "--out", tmp_path / "out"), 2)
    assert not (tmp_path / "out").exists()
    assert_plain(invoke("sweep", tiny, "--out", tmp_path / "out", "--yes", "--workers", "1"), 0)


# --------------------------------------------------------------------------- one error path
def test_an_out_whose_parent_is_a_file_exits_2(tiny, tmp_path):
    (tmp_path / "file").write_text("x")
    result = invoke("sweep", tiny, "--out", tmp_path / "file" / "out")
    assert_plain(result, 2)
    assert "is not a directory" in result.output


def _raise(exc: BaseException):
    def fail(*_args, **_kwargs):
        raise exc

    return fail


ENVIRONMENT = {
    "disk full while writing a part": (
        "tradetalks.experiments.store.SweepStore.write_batch",
        OSError(errno.ENOSPC, "No space left on device", "runs/part-000000.parquet"),
        "No space left on device",
    ),
    "read-only directory": (
        "tradetalks.experiments.store.SweepStore.create",
        PermissionError(errno.EROFS, "Read-only file system", "out"),
        "Read-only file system",
    ),
    "out of memory": (
        "tradetalks.experiments.runner.build_design",
        MemoryError(),
        "out of memory",
    ),
}


@pytest.mark.parametrize("case", list(ENVIRONMENT))
def test_what_the_machine_refuses_exits_1_in_one_paragraph(case, tiny, tmp_path, monkeypatch):
    target, exc, fragment = ENVIRONMENT[case]
    monkeypatch.setattr(target, _raise(exc))
    result = invoke("sweep", tiny, "--out", tmp_path / "out", "--workers", "1")
    assert_plain(result, 1)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0]


def test_an_unwritable_analysis_exits_1(copy, monkeypatch):
    err = OSError(errno.ENOSPC, "No space left on device", str(copy / "analysis"))
    monkeypatch.setattr("tradetalks.experiments.analysis._write_dir", _raise(err))
    result = invoke("analyze", copy)
    assert_plain(result, 1)
    assert "No space left on device" in result.output


def test_a_sweep_file_nested_too_deeply_exits_2(tmp_path):
    sweep = write(tmp_path, "deep.toml", "name = " + "[" * 5000 + "]" * 5000 + "\n")
    result = invoke("sweep", sweep, "--out", tmp_path / "out")
    assert_plain(result, 2)
    assert "nested too deeply" in result.output


# --------------------------------------------------------------------------- Dask
INTRUDER = """
import sys
from distributed import Client, Security
addr = sys.argv[1]
attempts = {
    "plain tcp": lambda: Client(addr.replace("tls://", "tcp://"), timeout=3),
    "no certificate": lambda: Client(addr, timeout=3),
    "a certificate of its own": lambda: Client(addr, timeout=3, security=Security.temporary()),
}
for name, connect in attempts.items():
    try:
        client = connect()
    except Exception as exc:
        print(f"refused: {name}: {type(exc).__name__}")
    else:
        print(f"CONNECTED: {name}: workers {list(client.nthreads())}")
        client.close()
"""


def _listening_ports() -> set[int]:
    """Ports this process and its children listen on."""
    import psutil

    me = psutil.Process()
    ports = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
        except psutil.Error:
            continue
        ports |= {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN}
    return ports


def _serves_http(port: int) -> bool:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@pytest.mark.slow
def test_the_local_dask_cluster_admits_only_its_owner_and_serves_no_pages():
    from tradetalks.experiments.daskbackend import DaskBackend
    from tradetalks.experiments.runtime import DEFAULT_MODEL
    from tradetalks.experiments.worker import Context

    context = Context(model=DEFAULT_MODEL, base_raw={}, targets={}, outcomes=(), series=())
    with DaskBackend(context, workers=1) as be:
        address = be.client.scheduler.address
        assert be.client.submit(sum, [1, 2]).result() == 3  # the owner's client works
        ports = _listening_ports()
        serving = [p for p in ports if _serves_http(p)]
        intruder = subprocess.run(
            [sys.executable, "-c", INTRUDER, address],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert intruder.returncode == 0, intruder.stderr
    assert intruder.stdout.count("refused:") == 3, intruder.stdout  # before: it connected
    assert address.startswith("tls://127.0.0.1:")
    assert 8787 not in ports
    assert serving == []


def test_an_unreachable_scheduler_exits_1_quickly_and_writes_nothing(tiny, tmp_path):
    import dask
    import distributed  # noqa: F401  (its defaults enter dask.config on import)

    # imported before dask.config.set: a set() that creates the "distributed" key removes the
    # whole key on exit, defaults loaded inside it included, and a later dask.config.get of
    # any distributed.* key (another test's connect) then raises KeyError('distributed')

    start = time.monotonic()
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = invoke(
            "sweep",
            tiny,
            "--out",
            tmp_path / "out",
            "--backend",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:1",
        )
    assert_plain(result, 1)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert time.monotonic() - start < 20
    assert not (tmp_path / "out").exists()


def test_a_scheduler_lost_mid_sweep_exits_1(tiny, tmp_path, monkeypatch):
    from distributed.comm.core import CommClosedError
    from tradetalks.experiments.daskbackend import DaskBackend

    monkeypatch.setattr(DaskBackend, "__enter__", lambda self: self)  # no cluster needed
    monkeypatch.setattr(DaskBackend, "_run", _raise(CommClosedError("scheduler gone")))
    out = tmp_path / "out"
    result = invoke("sweep", tiny, "--out", out, "--backend", "dask", "--workers", "1")
    assert_plain(result, 1)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "the Dask cluster failed during the sweep" in errors[0]
    assert "--resume" in errors[0]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:8786", "tcp://127.0.0.1", "http://127.0.0.1:8786", "tcp://a b:1", "tcp://h:99999"],
)
def test_a_malformed_scheduler_address_exits_2(address, tiny, tmp_path):
    result = invoke(
        "sweep", tiny, "--out", tmp_path / "out", "--backend", "dask", "--scheduler", address
    )
    assert_plain(result, 2)
    assert "--scheduler" in result.output
    assert not (tmp_path / "out").exists()


def test_a_tls_scheduler_without_tls_settings_exits_1(tiny, tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith("DASK_DISTRIBUTED__COMM__TLS")]:
        monkeypatch.delenv(key)
    result = invoke(
        "sweep",
        tiny,
        "--out",
        tmp_path / "out",
        "--backend",
        "dask",
        "--scheduler",
        "tls://127.0.0.1:1",
    )
    assert_plain(result, 1)
    assert "no TLS is configured" in result.output
