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
from helpers import ROOT
from tradetalks.experiments.calibstats import Round, collapse_weeks, held_rounds, truce_weeks
from tradetalks.experiments.forecastfile import (
    EVENTS,
    EventTarget,
    QuantityTarget,
    load_targets,
    read_forecast,
)
from tradetalks.experiments.forecasting import (
    Plan,
    forecast,
    occurred_events,
    producible,
    quantity,
    run_draw,
)
from tradetalks.experiments.scoring import prob_by
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.protocol import PublicEvent
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
[[targets]]
name = "truce"
kind = "event"
event = "truce"
horizon = 2019-06-15
by = [2019-05-31, 2019-06-15]
"""
ORIGIN = dt.date(2019, 4, 30)
SMALL = ["--set", "world.farmers.count=30", "--start", "2019-02-01"]


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("targets") / "short.toml"
    path.write_text(textwrap.dedent(TARGETS))
    return path


def test_every_target_of_every_shipped_list_and_every_event_kind_is_produced(targets):
    lists = sorted((ROOT / "configs" / "forecasts").glob("*.toml"))
    lists = [p for p in lists if p.name != "scoring.toml"]
    assert len(lists) >= 2
    for path in lists:
        keep, skipped = producible(load_targets(path).targets)
        assert skipped == {} and keep, path.name
    june = dt.date(2019, 6, 1)
    kinds = [EventTarget(name=k, kind="event", event=k, horizon=june, by=[june]) for k in EVENTS]
    assert producible(kinds)[1] == {}
    assert producible(load_targets(targets).targets)[1] == {}


def test_a_forecast_replays_the_record_to_its_origin_and_reads_back(targets, tmp_path):
    out = tmp_path / "f"
    args = ["forecast", "--targets", str(targets), "--draws", "3", "--seed", "5", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, *SMALL])
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output
    fc = read_forecast(out)
    # truce, collapse and soybean tonnes are written like any other target
    assert {"truce", "collapse", "soybeans@2019-05"} <= set(fc.values)
    for name, day in (("truce", "2019-05-31"), ("truce", "2019-06-15"), ("collapse", "2019-06-15")):
        assert 0.0 <= prob_by(fc.values[name], fc.weights, dt.date.fromisoformat(day)) <= 1.0
    assert np.all(fc.values["soybeans@2019-05"] > 0)
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


# ------------------------------------------------- truces and collapses read off a run
def ev(week: int, kind: str, side: str = "us") -> PublicEvent:
    return PublicEvent(week=week, side=side, kind=kind)


SUMMIT = [Round(10, "principal")]


def test_a_truce_is_a_principal_round_followed_within_a_week_by_a_postponement():
    assert truce_weeks(SUMMIT, [ev(11, "postponement")]) == [10]  # dated at the round
    assert truce_weeks(SUMMIT, [ev(10, "postponement", "china")]) == [10]
    # the postponement rule: a summit alone, or one with the postponement too late, is none
    assert truce_weeks(SUMMIT, []) == []
    assert truce_weeks(SUMMIT, [ev(12, "postponement")]) == []
    assert truce_weeks(SUMMIT, [ev(9, "postponement")]) == []
    assert truce_weeks([Round(10, "deputy")], [ev(11, "postponement")]) == []
    # no fire held: an escalation or retaliation of either side in the weeks; a deal instead
    for breach in (ev(11, "escalation"), ev(10, "retaliation", "china"), ev(10, "deal")):
        assert truce_weeks(SUMMIT, [ev(11, "postponement"), breach]) == []
    assert truce_weeks(SUMMIT, [ev(11, "postponement"), ev(12, "escalation")]) == [10]


def test_a_truce_is_also_both_sides_postponing_within_a_week_without_a_deal():
    both = [ev(20, "postponement"), ev(21, "postponement", "china")]
    assert truce_weeks([], both) == [21]  # dated when both sides have held fire
    assert truce_weeks([], [ev(20, "postponement"), ev(21, "postponement")]) == []
    assert truce_weeks([], [ev(20, "postponement"), ev(22, "postponement", "china")]) == []
    assert truce_weeks([], [*both, ev(21, "deal"), ev(21, "deal", "china")]) == []
    assert truce_weeks([], [ev(5, "truce"), ev(5, "truce", "china")]) == [5]  # recorded


def test_a_collapse_is_a_round_on_a_settled_text_followed_by_an_escalation():
    settled = [Round(10, "principal", text_settled=True)]
    assert collapse_weeks(settled, [ev(11, "fired")]) == [10]
    assert collapse_weeks(settled, [ev(10, "escalation", "china")]) == [10]
    assert collapse_weeks(settled, [ev(12, "fired")]) == []
    assert collapse_weeks(settled, []) == []
    assert collapse_weeks(SUMMIT, [ev(11, "fired")]) == []  # no text settled
    assert collapse_weeks(settled, [ev(10, "deal"), ev(11, "fired")]) == []  # it signed
    assert collapse_weeks(settled, [ev(11, "retaliation")]) == []  # not the rule's kinds
    assert collapse_weeks([], [ev(7, "collapse")]) == [7]  # recorded (a replayed collapse)


def _small_run(seed: int) -> TradeTalksModel:
    overrides = {
        "world.farmers.count": 30,
        "history.start": dt.date(2018, 12, 1),
        "history.replay_until": dt.date(2019, 4, 30),
        "run.weeks": 52,
    }
    model = TradeTalksModel(None, rng=seed, overrides=overrides)
    model.run()
    return model


def test_rounds_held_on_a_settled_text_agree_with_the_phase_series():
    seen = []
    for seed in (4, 8):  # in seed 8's week 42 a deputy round settles a text after the principal
        model = _small_run(seed)
        phase = model.timeseries()["phase"].tolist()  # row w: the end of week w
        rounds = held_rounds(model)
        offered = {(r.week, r.level) for r in model.negotiation.history}
        assert offered <= {(r.week, r.level) for r in rounds}
        for r in (r for r in rounds if r.level == "principal"):
            assert r.text_settled == (phase[r.week - 1] == "text settled")
            seen += [r.week] if r.text_settled else []
    assert seen == [28, 45, 42, 45]  # seed 8's first: the text its week-42 deputy round settled


def test_the_forecast_reads_truces_and_collapses_off_its_runs(monkeypatch):
    model = _small_run(8)
    branch = int(model.summary()["history"]["branch_week"])
    settled = [r.week for r in held_rounds(model, since=branch) if r.text_settled]
    assert settled == [42, 45]
    w = settled[0]
    neg = model.negotiation
    # the model's own events but its signatures, then a US tariff in force the week after
    unsigned = [e for e in neg.events if e.kind not in ("fired", "deal")]
    monkeypatch.setattr(neg, "events", unsigned)
    assert "collapse" not in {k for _, k, _ in occurred_events(model, ORIGIN, branch)}
    monkeypatch.setattr(neg, "events", [*unsigned, ev(w + 1, "fired")])
    occurred = occurred_events(model, ORIGIN, branch)
    assert (model.start_date + dt.timedelta(weeks=w - 1), "collapse", "both") in occurred
    # signed, the same round is no collapse
    monkeypatch.setattr(neg, "events", [*unsigned, ev(w, "deal"), ev(w + 1, "fired")])
    assert "collapse" not in {k for _, k, _ in occurred_events(model, ORIGIN, branch)}
    # a postponement the week after a principal round that signed nothing: a truce
    monkeypatch.setattr(neg, "events", [ev(w + 4, "postponement")])
    occurred = occurred_events(model, ORIGIN, branch)
    assert (model.start_date + dt.timedelta(weeks=w + 2), "truce", "both") in occurred


def test_soybean_tonnes_are_the_models_dollars_at_its_own_price():
    t = QuantityTarget(
        name="soy",
        kind="quantity",
        record_kind="soybean_exports",
        unit="Mt",
        period_start=dt.date(2019, 5, 1),
        date=dt.date(2019, 5, 31),
    )
    starts = np.array(["2019-04-27", "2019-05-04", "2019-05-11"], dtype="datetime64[D]")
    series = pd.DataFrame({"soybean_exports_bn": [9.0, 6.0, 3.0, 12.0]})
    series["soybean_price"] = [1.0, 8.0, 4.0, 4.0]
    # weeks begun in May: rows 2 and 3, $bn 3 and 12 a year at $4/bushel; a bushel is 60 lb,
    # a tonne 2204.62262 lb: (3 + 12) / 2 / (4 * 36.7437) * 1000 = 51.03 Mt a year; 31/365 of it
    assert quantity(t, series, starts, 0.0) == pytest.approx(4.33398, rel=1e-5)
    series["soybean_price"] *= 2  # a dearer bushel: half the tonnes for the same dollars
    assert quantity(t, series, starts, 0.0) == pytest.approx(4.33398 / 2, rel=1e-5)


def test_a_draws_soybean_tonnes_convert_its_runs_series(targets):
    meta = load_targets(targets)
    soy = next(t for t in meta.targets if t.name == "soybeans@2019-05")
    plan = Plan(meta.origin, dt.date(2019, 2, 1), [soy], 1, 1, sets={"world.farmers.count": 30})
    values, _ = run_draw(plan, {}, 11)
    overrides = {
        "world.farmers.count": 30,
        "history.start": plan.start,
        "history.replay_until": plan.origin,
        "run.weeks": plan.weeks,
    }
    model = TradeTalksModel(None, rng=11, overrides=overrides)
    model.run()
    ts = model.timeseries()
    day = pd.to_datetime(ts["date"])  # a row's week: the week's first day
    may = ts[(ts["week"] >= 1) & (day >= "2019-05-01") & (day <= "2019-05-31")]
    assert len(may) in (4, 5)
    per_tonne = may["soybean_price"].to_numpy() * 2204.62262 / 60
    mt = np.mean(may["soybean_exports_bn"].to_numpy() / per_tonne) * 1000 * 31 / 365
    assert values["soybeans@2019-05"] == pytest.approx(mt, rel=1e-12)
