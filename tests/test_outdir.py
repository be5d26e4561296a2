"""``run --out``: all or nothing, checked before the run, with the user's umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from tradetalks import outdir
from tradetalks.cli import app
from tradetalks.outdir import TMP_TAG, OutputDir, OutputError

SHORT = ["--weeks", "3", "--set", "world.farmers.count=40"]


def _run(*args: str):
    return CliRunner().invoke(app, ["run", *SHORT, *args])


def _series(seed: int) -> pd.DataFrame:
    from tradetalks.sim.model import TradeTalksModel

    model = TradeTalksModel(
        config="baseline", rng=seed, overrides={"run.weeks": 3, "world.farmers.count": 40}
    )
    model.run()
    return model.timeseries()


def _hidden(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if TMP_TAG in p.name]


def test_a_new_directory_appears_complete(tmp_path):
    d = tmp_path / "a" / "b"
    res = _run("--out", str(d))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in d.iterdir()) == [
        "config.toml",
        "summary.json",
        "timeseries.parquet",
    ]
    assert _hidden(d.parent) == []


def test_an_existing_directory_is_replaced_whole(tmp_path):
    d = tmp_path / "out"
    assert _run("--out", str(d), "--seed", "1").exit_code == 0
    (d / "stale.txt").write_text("from before")
    assert _run("--out", str(d), "--seed", "2").exit_code == 0
    assert not (d / "stale.txt").exists()
    assert json.loads((d / "summary.json").read_text())["seed"] == 2
    assert _hidden(tmp_path) == []


def test_a_failed_swap_leaves_the_old_directory_untouched(tmp_path, monkeypatch):
    d = tmp_path / "out"
    assert _run("--out", str(d), "--seed", "1").exit_code == 0
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def broken(a, b):
        raise OSError(28, "No space left on device", str(b))

    monkeypatch.setattr(outdir, "_exchange", broken)
    res = _run("--out", str(d), "--seed", "2")
    assert res.exit_code == 1
    assert "No space left on device" in res.output
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    assert _hidden(tmp_path) == []


def test_the_location_is_checked_before_the_run(tmp_path, monkeypatch):
    afile = tmp_path / "file"
    afile.write_text("x")
    ran = []
    import tradetalks.sim.model as model_module

    monkeypatch.setattr(model_module.TradeTalksModel, "run", lambda self: ran.append(1))
    for bad in (afile, afile / "sub"):
        res = _run("--out", str(bad))
        assert res.exit_code == 2
        assert "is not a directory" in res.output
    assert ran == []


def test_an_unwritable_location_is_an_environment_error(tmp_path):
    res = _run("--out", "/proc/tradetalks-cannot-write-here")
    assert res.exit_code == 1
    assert "cannot write --out" in res.output
    assert "Traceback" not in res.output


def test_leftovers_of_a_killed_writer_are_cleaned(tmp_path):
    d = tmp_path / "out"
    dead = tmp_path / f".out{TMP_TAG}999999999-abc"  # no such pid
    dead.mkdir()
    (dead / "summary.json").write_text("{}")
    target = OutputDir(d)
    target.prepare()
    target.commit({"x.txt": b"1"})
    assert not dead.exists()
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_files_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        target = OutputDir(tmp_path / "out")
        target.commit({"x.txt": b"1"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "out" / "x.txt").stat().st_mode) == 0o666 & ~mask


def test_output_error_says_whose_fault(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError) as err:
        OutputDir(tmp_path / "f").prepare()
    assert err.value.bad_input


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_old_or_new_whole(tmp_path):
    """Kill ``run --out D`` at spread-out moments: D holds one run's complete files, never a mix."""
    import signal
    import subprocess
    import sys
    import time

    d = tmp_path / "out"
    cmd = [sys.executable, "-m", "tradetalks", "run", "--out", str(d), *SHORT]
    subprocess.run([*cmd, "--seed", "1"], check=True, capture_output=True)
    seeds_seen: set[int] = set()
    for i, delay in enumerate([0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0]):
        proc = subprocess.Popen([*cmd, "--seed", str(i + 2)], stdout=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        names = sorted(p.name for p in d.iterdir())
        assert names == ["config.toml", "summary.json", "timeseries.parquet"]
        seed = json.loads((d / "summary.json").read_text())["seed"]
        if seed not in seeds_seen:  # the series on disk are this seed's, not another run's
            assert_frame_equal(pd.read_parquet(d / "timeseries.parquet"), _series(seed))
            seeds_seen.add(seed)
    assert len(seeds_seen) > 1  # some kills came after a run had finished
    subprocess.run([*cmd, "--seed", "99"], check=True, capture_output=True)
    assert _hidden(tmp_path) == []  # leftovers of the killed writers are gone
    assert json.loads((d / "summary.json").read_text())["seed"] == 99
