"""benchmarks/bench_scale.py --all: every script it runs exists and takes the arguments it is
given (the benchmarks themselves are run by hand, never timed in the suite)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from helpers import ROOT

spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "bench_scale.py")
bench_scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_scale)


@pytest.mark.parametrize("cmd", [c for _, full, short in bench_scale.OTHERS for c in (full, short)])
def test_each_other_benchmark_takes_its_arguments(cmd):
    assert (ROOT / cmd[0]).is_file()
    out = subprocess.run(
        [sys.executable, cmd[0], "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    for option in (a for a in cmd[1:] if a.startswith("--")):
        assert option in out.stdout, (cmd[0], option)
