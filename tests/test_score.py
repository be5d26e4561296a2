"""Forecast files, `tradetalks score` and the naive baselines (issue 14 item 5)."""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from types import SimpleNamespace

import numpy as np
import pytest
import tomli_w
from helpers import ROOT
from tradetalks.experiments import baselines as bl
from tradetalks.experiments import forecastfile as ff
from tradetalks.experiments import scoring as sc
from tradetalks.sim.record import load_record, record_path
from typer.testing import CliRunner

from tradetalks.cli import app

runner = CliRunner()
D = dt.date
ORIGIN = D(2019, 4, 30)


@pytest.fixture(scope="module")
def record():
    return load_record()


@pytest.fixture(scope="module")
def meta():
    return ff.load_targets("may-sep-2019")


@pytest.fixture(scope="module")
def settings():
    return bl.load_settings()


# --------------------------------------------------------------------------- scoring rules
def test_crps_of_a_point_mass_is_the_absolute_error():
    for x, y in ((3.0, 7.5), (-2.0, -2.0), (10.0, 1.25)):
        draws = np.full(7, x)
        assert sc.crps(draws, np.full(7, 1 / 7), y) == pytest.approx(abs(x - y), abs=1e-12)


def test_weighted_crps_equals_the_unweighted_crps_of_repeated_draws():
    x, w = np.array([1.0, 2.0, 5.0, -1.5]), np.array([1.0, 2.0, 3.0, 4.0])
    repeated = np.repeat(x, w.astype(int))
    for y in (-3.0, 0.0, 2.0, 4.9, 8.0):
        weighted = sc.crps(x, w / w.sum(), y)
        assert weighted == pytest.approx(sc.crps(repeated, np.ones(repeated.size), y), abs=1e-12)
        # and the definition E|X - y| - E|X - X'| / 2 over the weighted members, by hand
        p = w / w.sum()
        by_hand = p @ abs(x - y) - 0.5 * p @ abs(x[:, None] - x[None, :]) @ p
        assert weighted == pytest.approx(by_hand, abs=1e-12)


def test_brier_and_log_scores_of_known_probabilities():
    # p = 0.8 and it happened: Brier (0.8 - 1)^2 = 0.04, log score -ln 0.8 = 0.2231
    assert sc.brier(0.8, True) == pytest.approx(0.04)
    assert sc.log_score(0.8, True, 1e-3) == pytest.approx(0.22314355)
    # p = 0.8 and it did not: Brier 0.64, log -ln 0.2 = 1.6094
    assert sc.brier(0.8, False) == pytest.approx(0.64)
    assert sc.log_score(0.8, False, 1e-3) == pytest.approx(1.60943791)
    # p = 0 and it happened: Brier 1; the log score is clipped at the floor, -ln 0.001 = 6.9078
    assert sc.brier(0.0, True) == 1.0
    assert sc.log_score(0.0, True, 1e-3) == pytest.approx(6.90775528)
    assert sc.log_score(1.0, False, 1e-3) == pytest.approx(6.90775528)


def test_event_probability_counts_the_weight_of_draws_by_the_date():
    dates = np.array(["2019-05-10", "2019-06-01", "NaT", "2019-07-01"], dtype="datetime64[D]")
    w = np.array([0.1, 0.2, 0.3, 0.4])
    assert sc.prob_by(dates, w, D(2019, 5, 9)) == 0.0
    assert sc.prob_by(dates, w, D(2019, 6, 1)) == pytest.approx(0.3)  # the day itself counts
    assert sc.prob_by(dates, w, D(2019, 12, 31)) == pytest.approx(0.7)  # NaT: never


def test_the_pit_of_an_ensemble_with_the_truth_at_its_median_is_one_half():
    draws = np.random.default_rng(7).normal(20.0, 3.0, 1001)
    y = float(np.median(draws))
    assert sc.pit(draws, np.ones(1001), y) == pytest.approx(0.5, abs=1e-9)
    assert sc.pit(draws, np.ones(1001), y + 100) == 1.0 and sc.pit(draws, np.ones(1001), -1) == 0


# --------------------------------------------------------------------------- the format
def _perfect(record, meta) -> dict[str, np.ndarray]:
    """Draws that put every target at what the record holds (events: the first one)."""
    cols = {}
    for t in meta.targets:
        if isinstance(t, ff.EventTarget):
            first = [d for d in bl.event_dates(record, t.event, t.side) if d > meta.origin]
            day = first[0] if first and first[0] <= t.horizon else None
            cols[t.name] = np.array([day or "NaT"] * 4, dtype="datetime64[D]")
        else:
            y, _ = sc.observed(record, t)
            cols[t.name] = np.full(4, 5.0 if y is None else y)
    return cols


def test_a_forecast_round_trips_through_its_directory(tmp_path, record, meta):
    cols = _perfect(record, meta)
    made = {"command": "test", "version": "0"}
    w = [1.0, 2.0, 3.0, 4.0]
    written = ff.write_forecast(tmp_path / "f", ORIGIN, meta.targets, cols, w, made)
    back = ff.read_forecast(tmp_path / "f")
    assert back.meta == written.meta and back.origin == ORIGIN
    assert np.allclose(back.weights, np.array(w) / 10)
    for name, v in cols.items():
        assert np.array_equal(back.values[name], v.astype(back.values[name].dtype), equal_nan=True)


def test_a_perfect_forecast_scores_better_than_each_baseline(tmp_path, record, meta):
    made = {"command": "test", "version": "0"}
    ff.write_forecast(tmp_path / "f", ORIGIN, meta.targets, _perfect(record, meta), None, made)
    res = runner.invoke(app, ["score", str(tmp_path / "f"), "record-2018-2019", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    floor = out["probability_floor"]
    for s in out["summary"]:
        best = -math.log(1 - floor) if s["rule"] == "log" else 0.0  # p = 1 is clipped to 1 - floor
        assert s["mean"]["forecast"] == pytest.approx(best, abs=1e-9), s
        assert all(s["mean"]["forecast"] <= v for v in s["mean"].values()), s
    for name in bl.NAMES:  # every baseline is beaten strictly on some group
        assert any(s["mean"]["forecast"] < s["mean"].get(name, 0) for s in out["summary"]), name


def test_an_event_the_model_gives_probability_zero_is_scored_at_the_floor(
    tmp_path, record, meta, settings
):
    cols = _perfect(record, meta)
    cols["collapse"] = np.array(["NaT"] * 4, dtype="datetime64[D]")  # no draw collapses
    made = {"command": "test", "version": "0"}
    fc = ff.write_forecast(tmp_path / "f", ORIGIN, meta.targets, cols, None, made)
    rows = [r for r in sc.score(fc, meta, record, settings)["rows"] if r["target"] == "collapse"]
    floor = settings.scoring.probability_floor
    assert rows and all(r["observed"] == 1 for r in rows)  # 9-10 May 2019, by every date
    for r in rows:
        got = r["scores"]["forecast"]
        assert got["p"] == 0.0 and got["brier"] == 1.0
        assert got["log"] == pytest.approx(-math.log(floor))  # finite: 6.9 nats


# --------------------------------------------------------------------------- the baselines
def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal arrays, NaT equal to NaT."""
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _draws(bases):
    return {b.name: (b.forecast.values if b.forecast else {}) for b in bases}


def test_baselines_cannot_see_entries_after_the_origin(record, meta, settings):
    before = _draws(bl.build_baselines(record, meta, settings))
    late = [e for e in record.entries if e.date > ORIGIN]
    figures = ("pct", "volume_mt", "cny_per_usd", "lower_pct", "upper_pct", "amount_bn")
    changed = [
        e.model_copy(update={k: getattr(e, k) + 1 for k in figures if getattr(e, k, None)})
        for e in late
    ]
    truce = next(e for e in record.entries if e.kind == "truce").model_copy(
        update={"date": D(2019, 5, 2)}
    )
    early = [e for e in record.entries if e.date <= ORIGIN]
    altered = record.model_copy(update={"entries": [*early, truce, *changed]})
    after = _draws(bl.build_baselines(altered, meta, settings))
    assert before.keys() == after.keys()
    for name in before:
        assert before[name].keys() == after[name].keys()
        for t, v in before[name].items():
            assert _same(v, after[name][t]), (name, t)
    # the same change before the origin does move the baselines (the test can fail)
    moved = [
        e.model_copy(update={"pct": e.pct + 30}) if e.kind == "average_tariff" and e.pct else e
        for e in early
    ]
    shifted = record.model_copy(update={"entries": [*moved, *record.entries[len(early) :]]})
    persist = bl.build_baselines(shifted, meta, settings)[0].forecast.values
    assert persist["us_tariff@2019-05-31"][0] == pytest.approx(12.0 + 30)


def test_persistence_holds_the_last_values_known_at_the_origin(record, meta, settings):
    persist, actions, base = bl.build_baselines(record, meta, settings)
    v = persist.forecast.values
    assert v["us_tariff@2019-09-15"][0] == 12.0 and v["china_tariff@2019-06-30"][0] == 16.5
    assert v["fed_upper@2019-08-01"][0] == 2.5 and v["cny@2019-08"][0] == 6.72
    assert v["soybeans@2019-07"][0] == 2.10  # February 2019: the last month known
    assert np.isnat(v["truce"]).all()
    # on 30 April 2019 nothing announced was pending (List 3 postponed with no date on
    # 24 February), so every action firing is persistence
    assert all(_same(actions.forecast.values[k], x) for k, x in v.items())
    assert base.forecast is not None and "us_tariff@2019-09-15" not in base.forecast.values


def _meta(origin, targets):
    return ff.make_meta(origin, targets, 1, {"command": "test", "version": "0"})


def _us(date):
    return {
        "name": f"us@{date}", "kind": "quantity", "record_kind": "average_tariff",
        "side": "us", "unit": "pct", "date": date.isoformat(),
    }  # fmt: skip


def test_pending_actions_fire_on_their_due_dates_after_postponements(record, settings):
    imports = 505.0  # the record's 2017 US imports from China, the average's weights
    # 15 December 2018: List 3 to 25%, due 1 January, was postponed to 2 March
    meta = _meta(D(2018, 12, 15), [_us(D(2019, 2, 1)), _us(D(2019, 3, 15))])
    actions = bl.build_baselines(record, meta, settings)[1].forecast.values
    assert actions["us@2019-02-01"][0] == pytest.approx(12.0)
    assert actions["us@2019-03-15"][0] == pytest.approx(12.0 + 200 * (25 - 10) / imports)
    # 1 March 2019: postponed again on 24 February with no new date, so nothing fires
    meta = _meta(D(2019, 3, 1), [_us(D(2019, 3, 15))])
    assert bl.build_baselines(record, meta, settings)[1].forecast.values["us@2019-03-15"][0] == 12
    # 16 September 2019: Lists 1-3 to 30% on 15 October (postponed from 1 October) fire;
    # List 4B on 15 December has no rate of its own, so February 2020 is left out, with why
    meta = _meta(D(2019, 9, 16), [_us(D(2019, 11, 30)), _us(D(2020, 2, 1))])
    base = bl.build_baselines(record, meta, settings)[1]
    assert base.forecast.values["us@2019-11-30"][0] == pytest.approx(21.0 + 250 * 5 / imports)
    assert "us@2020-02-01" not in base.forecast.values
    assert "undetermined" in base.omitted["us@2020-02-01"]
    fired = {"name": "fired", "kind": "event", "event": "fired", "side": "us"}
    fired |= {"horizon": "2020-03-01", "by": ["2019-10-14", "2019-10-15"]}
    meta = _meta(D(2019, 9, 16), [fired])
    values = bl.build_baselines(record, meta, settings)[1].forecast.values["fired"]
    assert (values == np.datetime64("2019-10-15")).all()


def test_a_range_of_rates_takes_the_configured_point_or_is_left_out():
    action = SimpleNamespace(rate_pct=None, rate_min_pct=5.0, rate_max_pct=10.0)
    assert [bl._rate(action, k)[0] for k in ("low", "mid", "high")] == [5.0, 7.5, 10.0]
    assert bl._rate(action, "omit") == (None, "no single rate given")
    upto = SimpleNamespace(rate_pct=None, rate_min_pct=None, rate_max_pct=25.0)  # "up to 25%"
    assert bl._rate(upto, "mid")[0] is None


def test_the_base_rate_is_the_record_count_per_week_before_the_origin(record, meta, settings):
    h, n, weeks = bl.hazard(bl.known_at(record, ORIGIN), "truce", None, ORIGIN)
    assert n == 2  # 20 May 2018 and Buenos Aires; Osaka is after the origin
    assert weeks == pytest.approx((ORIGIN - D(2018, 3, 1)).days / 7) and h == pytest.approx(
        n / weeks
    )
    base = bl.build_baselines(record, meta, settings)[2].forecast
    for day in (D(2019, 5, 31), D(2019, 9, 20)):
        expected = 1 - (1 - h) ** ((day - ORIGIN).days / 7)
        got = sc.prob_by(base.values["truce"], base.weights, day)
        assert got == pytest.approx(expected, abs=1.5 / settings.baselines.draws)


# --------------------------------------------------------------------------- the command
def test_score_writes_the_demo_and_its_baselines_as_forecasts(tmp_path):
    out = tmp_path / "demo"
    res = runner.invoke(app, ["score", "may-sep-2019", "record-2018-2019", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Not resolvable" in res.stdout and "soybeans@2019-05" in res.stdout
    names = {p.name for p in out.iterdir()}
    assert {"scores.csv", "scores.json", "table.txt", "pit.png", "baselines"} <= names
    for name in bl.NAMES:
        assert ff.read_forecast(out / "baselines" / name).origin == ORIGIN
    scores = json.loads((out / "scores.json").read_text())
    truce = [r for r in scores["rows"] if r["target"] == "truce"]
    assert [r["observed"] for r in truce] == [0, 1, 1, 1, 1]  # Osaka, 29 June


def _bad_forecast(tmp_path, record, meta, how):
    path = tmp_path / "bad"
    cols = _perfect(record, meta)
    ff.write_forecast(path, ORIGIN, meta.targets, cols, None, {"command": "t", "version": "0"})
    if how == "unit":
        raw = json.loads((path / ff.META).read_text())
        raw["targets"][0]["unit"] = "percent"
        (path / ff.META).write_text(json.dumps(raw))
    elif how == "nan":
        import pyarrow.parquet as pq

        table = pq.read_table(path / ff.DRAWS).to_pandas()
        table.loc[0, "us_tariff@2019-05-31"] = math.nan
        table.to_parquet(path / ff.DRAWS)
    elif how == "missing":
        (path / ff.DRAWS).unlink()
    return path


@pytest.mark.parametrize(
    ("how", "named"),
    [("unit", "unit 'percent'"), ("nan", "us_tariff@2019-05-31"), ("missing", "draws.parquet")],
)
def test_a_bad_forecast_exits_2_naming_the_problem_and_writes_nothing(
    tmp_path, record, meta, how, named
):
    path = _bad_forecast(tmp_path, record, meta, how)
    out = tmp_path / "out"
    res = runner.invoke(app, ["score", str(path), "record-2018-2019", "--out", str(out)])
    assert res.exit_code == 2 and named in res.stderr, res.output
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_a_bad_record_or_target_list_exits_2_naming_the_key(tmp_path):
    raw = tomllib.loads(record_path().read_text())
    raw["entries"][3]["kind"] = "skirmish"
    bad = tmp_path / "bad.toml"
    bad.write_text(tomli_w.dumps(raw))
    out = tmp_path / "out"
    res = runner.invoke(app, ["score", "may-sep-2019", str(bad), "--out", str(out)])
    assert res.exit_code == 2 and "entries[3].kind" in res.stderr, res.output
    targets = tmp_path / "t.toml"
    spec = {"name": "x", "kind": "quantity", "record_kind": "cny", "unit": "CNY per USD"}
    spec["months"] = ["2019-13"]
    targets.write_text(tomli_w.dumps({"origin": ORIGIN, "targets": [spec]}))
    res = runner.invoke(app, ["score", str(targets), "record-2018-2019", "--out", str(out)])
    assert res.exit_code == 2 and "targets[0]" in res.stderr and "2019-13" in res.stderr
    res = runner.invoke(app, ["score", "no-such-targets", "record-2018-2019", "--out", str(out)])
    assert res.exit_code == 2 and "no-such-targets" in res.stderr
    assert not out.exists()


def test_the_shipped_targets_and_settings_load(meta, settings):
    assert (ROOT / "configs" / "forecasts" / "scoring.toml").is_file()
    assert meta.origin == ORIGIN and len(meta.targets) == 27
    assert 0 < settings.scoring.probability_floor < 0.01
