"""Smoke test of benchmarks/bench_core.py: paired arms, window hazards, one small section."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_core.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_core", PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_core"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_identical_arms_give_exactly_zero(bench):
    """Two arms with the same overrides run the same seeds identically: every paired effect
    is exactly 0 with the interval [0, 0] (common random numbers, no hidden state)."""
    runner = bench.Runner(workers=1, progress=False)
    res = runner.arms({"a": {}, "b": {}}, range(1, 4))
    assert [r["seed"] for r in res["a"]] == [1, 2, 3]
    assert res["a"] == res["b"]
    rng = np.random.default_rng(0)
    for stat in ("rmst52", "p_deal_by_2020_01_15", "us_gain_at_deal"):
        e = bench.effect(res["a"], res["b"], stat, rng, n_boot=50)
        assert (e.estimate, e.low, e.high) == (0.0, 0.0, 0.0)
        assert not e.excludes(0.0)


def test_window_hazards_and_did_ratio(bench):
    """Window counts: at risk while no deal before the week; HR from summed counts."""
    ref = np.array([10.0, 10.0, 10.0, 10.0])
    # deals at week 8 (pre), 12 (post), never, and week 3 (before both windows)
    weeks = np.array([8.0, 12.0, math.inf, 3.0])
    c = bench.window_counts(weeks, ref)
    assert c[0].tolist() == [1, 2, 0, 0]  # at risk in weeks 7 and 8, the deal in 8
    assert c[1].tolist() == [0, 3, 1, 2]  # at risk in 11 and 12
    assert c[2].tolist() == [0, 3, 0, 3]
    assert c[3].tolist() == [0, 0, 0, 0]
    assert bench.did_hr(c, c) == pytest.approx(1.0)


def test_patience_section_runs(bench):
    """The stationary patience section: one seed per cell, shares in [0, 1] and deals."""
    runner = bench.Runner(workers=1, progress=False)
    text, data = bench.section_patience(runner, 1)
    assert text.startswith("### 2.")
    assert set(data["arms"]) == {f"{s}_{k}" for s in ("us", "china") for k in (0.5, 1.0, 2.0)}
    for arm in data["arms"].values():
        assert arm["deal_rate"] == 1.0
        assert 0.0 <= arm["us_share_mean"] <= 1.0
