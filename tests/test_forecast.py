"""tradetalks forecast: draws of the model branched from the replayed record, in the format
that tradetalks score reads (experiments/forecasting.py, docs/FORECASTS.md)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tradetalks.experiments.forecastfile import load_targets, read_forecast
from tradetalks.experiments.forecasting import Plan, forecast, producible
from typer.testing import CliRunner

from tradetalks.cli import app

TARGETS = """
origin = 2019-04-30
[[targets]]
name = "us_tariff"
kind = "quantity"
record_kind = "average_tariff"
side = "us"
unit = "pct"
dates = [2019-05-31, 2019-06-15]
[[targets]]
name = "fed_upper"
kind = "quantity"
record_kind = "fed"
unit = "pct"
dates = [2019-06-15]
[[targets]]
name = "cny"
kind = "quantity"
record_kind = "cny"
unit = "CNY per USD"
months = ["2019-05"]
[[targets]]
name = "soybeans"
kind = "quantity"
record_kind = "soybean_exports"
unit = "Mt"
months = ["2019-05"]
[[targets]]
name = "deal"
kind = "event"
event = "deal"
horizon = 2019-06-15
by = [2019-05-31, 2019-06-15]
[[targets]]
name = "postponement"
kind = "event"
event = "postponement"
horizon = 2019-06-15
by = [2019-06-15]
[[targets]]
name = "collapse"
kind = "event"
event = "collapse"
horizon = 2019-06-15
by = [2019-06-15]
"""
SMALL = ["--set", "world.farmers.count=30", "--start", "2019-02-01"]


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("targets") / "short.toml"
    path.write_text(textwrap.dedent(TARGETS))
    return path


def test_unproducible_targets_are_left_out_with_their_reason(targets):
    keep, skipped = producible(load_targets(targets).targets)
    assert {t.name for t in keep} - {"postponement"} == {
        "us_tariff@2019-05-31",
        "us_tariff@2019-06-15",
        "fed_upper@2019-06-15",
        "cny@2019-05",
        "deal",
    }
    assert "tonnes" in skipped["soybeans@2019-05"] and "collapse" in skipped["collapse"]


def test_a_forecast_replays_the_record_to_its_origin_and_reads_back(targets, tmp_path):
    out = tmp_path / "f"
    args = ["forecast", "--targets", str(targets), "--draws", "3", "--seed", "5", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, *SMALL])
    assert result.exit_code == 0, result.output
    assert "soybeans@2019-05 left out" in result.output
    fc = read_forecast(out)
    assert fc.meta.draws == 3 and fc.origin == dt.date(2019, 4, 30)
    assert "tradetalks forecast" in fc.meta.made_by.command
    # the replay forced the record up to the origin: List 3 at 10% is in force (the record's
    # 12% average; 25% only from 10 May, after the branch, is the agents' choice)
    assert np.all(fc.values["us_tariff@2019-05-31"] >= 3.1)
    assert np.all(np.isfinite(fc.values["cny@2019-05"]))
    days = fc.values["deal"][~np.isnat(fc.values["deal"])]
    assert np.all(days > np.datetime64("2019-04-30")) and np.all(
        days <= np.datetime64("2019-06-15")
    )
    # the replayed weeks' events (the 24 Feb postponement) are history, not forecast: the
    # branch week starts on 3 May, so no draw dates an event between the origin and then
    for name in ("deal", "postponement"):
        assert not np.any(fc.values[name] < np.datetime64("2019-05-03"))
    rows = list(csv.DictReader((out / "terms.csv").open()))
    assert [int(r["draw"]) for r in rows] == [0, 1, 2] and len({r["seed"] for r in rows}) == 3


def test_the_same_seed_gives_the_same_draws_and_another_seed_other_runs(targets):
    meta = load_targets(targets)
    keep, _ = producible(meta.targets)
    sets = {"world.farmers.count": 30}

    def draws(seed: int) -> pd.DataFrame:
        plan = Plan(meta.origin, dt.date(2019, 2, 1), keep, 2, seed, sets=sets)
        fc, terms = forecast(plan, {"command": "test", "version": "0"})
        return pd.DataFrame(fc.values), [t["seed"] for t in terms]

    (a, sa), (b, sb), (_, sc) = draws(3), draws(3), draws(4)
    pd.testing.assert_frame_equal(a, b)
    assert sa == sb and set(sa).isdisjoint(sc)


def test_draws_sample_calibration_particles_by_weight(targets, tmp_path):
    calib = tmp_path / "calib"
    calib.mkdir()
    key = "teams.us.patience"
    manifest = {"parameters": [{"name": "us_patience", "path": key}]}
    (calib / "calibration.json").write_text(json.dumps(manifest))
    particles = pd.DataFrame(
        {"generation": [0, 1, 1], key: [0.9, 0.95, 0.99], "weight": [1.0, 0.0, 1.0]}
    )
    particles.to_parquet(calib / "particles.parquet")
    out = tmp_path / "f"
    args = [
        "forecast",
        "--targets",
        str(targets),
        "--draws",
        "2",
        "--out",
        str(out),
        "--calibration",
        str(calib),
    ]
    result = CliRunner().invoke(app, [*args, *SMALL])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "terms.csv").open()))
    assert [float(r[key]) for r in rows] == [0.99, 0.99]  # the last generation, weight > 0
    assert read_forecast(out).meta.calibration == {
        "directory": str(calib),
        "generation": 1,
        "particles": 2,
    }


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--from", "2019-05-01"], "made for the origin 2019-04-30"),
        (["--from", "May"], "not a date"),
        (["--calibration", "nowhere"], "not a calibration output"),
        (["--set", "teams.us.patience=7"], "teams.us.patience"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(targets, tmp_path, extra, fragment):
    out = tmp_path / "f"
    args = [
        "forecast",
        "--targets",
        str(targets),
        "--draws",
        "1",
        "--out",
        str(out),
        *SMALL,
        *extra,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and fragment in result.output
    assert not out.exists()
