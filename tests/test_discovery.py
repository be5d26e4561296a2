"""Scenario discovery (issue 15, item 4): PRIM recovers a known box; ``tradetalks discover``
reads a sweep, parses targets (dates, weeks, flags) and refuses bad input with exit 2.

The sweep here runs a stand-in model (``TimingModel``: a deal week set by the US team's
patience, no negotiation) so that it takes a couple of seconds and its answer is known.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tradetalks.experiments import discovery as dv
from tradetalks.experiments.runner import run_sweep
from typer.testing import CliRunner

from tradetalks.cli import app

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
START = dt.date(2019, 9, 16)  # the baseline's start date


class TimingModel:
    """A stand-in for the model: the first deal comes in week 4 + 200 (patience - 0.97),
    rounded (weeks 4 to 7), for the US team's patience below 0.99, and never above it."""

    def __init__(self, config=None, rng=None, overrides=None, **_):
        self.patience = (overrides or {}).get("teams.us.patience", 0.995)

    def run(self):
        week = 4 + round(200 * (self.patience - 0.97)) if self.patience < 0.99 else None
        return {"deal": week is not None, "deal_week": week, "utility": {"us": self.patience}}


SWEEP = f"""
name = "timing"
base = "{BASELINE.as_posix()}"
root_seed = 5
replicates = 2
[sampler]
kind = "grid"
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
values = [0.97, 0.975, 0.98, 0.985, 0.99, 0.995]
[[parameters]]
name = "china_patience"
path = "teams.china.patience"
values = [0.98, 0.99]
[outcomes]
keep = ["deal", "deal_week", "utility.us"]
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("discover")
    (tmp / "timing.toml").write_text(textwrap.dedent(SWEEP))
    out = tmp / "out"
    run_sweep(tmp / "timing.toml", out, workers=1, progress=None, model=f"{__name__}:TimingModel")
    return out


def test_prim_recovers_a_known_box():
    """Target: x0 < 0.3 and x1 > 0.6 on a uniform sample; x2 is noise.  PRIM's first box
    restricts exactly x0 and x1, near those limits, and is dense and covering."""
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.uniform(size=(2000, 3)), columns=["x0", "x1", "x2"])
    y = ((x["x0"] < 0.3) & (x["x1"] > 0.6)).to_numpy()
    boxes, trajectory, _ = dv.find_boxes(x, y, threshold=0.95)
    (box,) = boxes
    limits = {lim["parameter"]: lim for lim in box.limits}
    assert set(limits) == {"x0", "x1"}
    assert limits["x0"]["high"] == pytest.approx(0.3, abs=0.03)
    assert limits["x1"]["low"] == pytest.approx(0.6, abs=0.03)
    assert box.density >= 0.95 and box.coverage >= 0.95
    assert box.mass == pytest.approx(box.runs / 2000)
    assert box.cases == round(box.density * box.runs)
    # the trajectory starts from all runs and only grows denser along the chosen path
    first = trajectory.iloc[0]
    assert first["coverage"] == 1 and first["density"] == pytest.approx(y.mean())
    assert trajectory["density"].iloc[box.step] == pytest.approx(box.density)


def test_choose_takes_the_widest_dense_enough_box():
    t = pd.DataFrame(
        {
            "coverage": [1.0, 0.9, 0.7, 0.4],
            "density": [0.3, 0.6, 0.85, 0.95],
            "res_dim": [0, 1, 2, 2],
        }
    )
    assert dv.choose(t, 0.8) == 2
    assert dv.choose(t, 0.99) == 3  # none reaches it: the densest


def test_a_second_box_is_sought_outside_the_first():
    """An L-shaped target, x0 < 0.3 or x1 < 0.2: the first box is the x0 strip, the second,
    among the runs outside it, the x1 strip; together they cover the target."""
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(size=(3000, 2)), columns=["x0", "x1"])
    y = ((x["x0"] < 0.3) | (x["x1"] < 0.2)).to_numpy()
    first, second = dv.find_boxes(x, y, threshold=0.9, boxes=2)[0]
    assert [lim["parameter"] for lim in first.limits] == ["x0"]
    assert 0.3 <= first.limits[0]["high"] < 0.36
    assert [lim["parameter"] for lim in second.limits] == ["x1"]
    assert 0.2 <= second.limits[0]["high"] < 0.25
    assert first.density >= 0.9 and second.density >= 0.9
    assert first.coverage + second.coverage == pytest.approx(1.0)


def test_discover_on_a_sweep_by_date_and_by_week(sweep, tmp_path):
    """'deal_date <= 2019-10-14' (the first day of week 5) is 'deal_week <= 5': patience
    0.97 and 0.975 (8 of 24 runs).  Both find the same box, on us_patience alone."""
    res = CliRunner().invoke(
        app, ["discover", str(sweep), "--target", "deal_date <= 2019-10-14", "--json"]
    )
    assert res.exit_code == 0, res.output
    by_date = json.loads(res.stdout)
    assert START + dt.timedelta(weeks=4) == dt.date(2019, 10, 14)
    assert by_date["runs"] == 24 and by_date["cases"] == 8 and by_date["failed"] == 0
    (box,) = by_date["boxes"]
    assert box["density"] == 1 and box["coverage"] == 1
    assert [lim["parameter"] for lim in box["limits"]] == ["us_patience"]
    assert 0.975 <= box["limits"][0]["high"] < 0.98
    out = tmp_path / "d"
    res = CliRunner().invoke(
        app, ["discover", str(sweep), "--target", "deal_week <= 5", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "coverage 1.000, density 1.000" in res.stdout and "us_patience" in res.stdout
    assert {p.name for p in out.iterdir()} == {
        "tradeoff.png",
        "boxes.csv",
        "trajectory.csv",
        "discovery.json",
    }
    assert (out / "tradeoff.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((out / "discovery.json").read_text())["boxes"] == by_date["boxes"]


def test_no_deal_is_not_in_a_deal_target(sweep):
    """'deal_week > 5' holds for weeks 6 and 7 only: runs without a deal do not meet it."""
    res = CliRunner().invoke(app, ["discover", str(sweep), "--target", "deal_week > 5", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["cases"] == 8  # patience 0.98 and 0.985, 2 x 2 runs each


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--target", "deal_wek <= 5"], "deal_wek is not kept"),
        (["--target", "deal_date <= 2019-13-01"], "is not a date"),
        (["--target", "deal_week <= soon"], "is not one"),
        (["--target", "utility_us"], "not a flag"),
        (["--target", "deal == maybe"], "true or false"),
        (["--target", "utility_us > 0"], "every finished run"),
        (["--target", "deal_week < 0"], "no finished run"),
        (["--target", "deal_week <= 5", "--threshold", "1.5"], "--threshold"),
    ],
)
def test_bad_targets_exit_2_and_write_nothing(sweep, args, fragment):
    before = {p: p.stat().st_mtime_ns for p in sweep.rglob("*")}
    res = CliRunner().invoke(app, ["discover", str(sweep), *args])
    assert res.exit_code == 2, res.output
    assert fragment in res.output and "Traceback" not in res.output
    assert {p: p.stat().st_mtime_ns for p in sweep.rglob("*")} == before


def test_a_directory_that_is_no_sweep_exits_2(tmp_path):
    res = CliRunner().invoke(app, ["discover", str(tmp_path), "--target", "deal"])
    assert res.exit_code == 2 and "not a sweep directory" in res.output


def test_no_ipyparallel_warning(sweep, recwarn):
    dv.discover(sweep, "deal")
    assert not [w for w in recwarn if "ipyparallel" in str(w.message)]
