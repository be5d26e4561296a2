"""The hindcast calibrations (issue 14 item 6): dated statistics against the record itself.

Each observed value in the shipped files is the record's own (``record_value``), and a model
run forced along the record (a replay from 1 December 2018 to 15 September 2019) gives the
record's values back through the same statistic functions a fit uses, within the record's
precision: the statistics and the record agree.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from tradetalks.experiments.calibfile import load_calibration
from tradetalks.experiments.calibspec import CalibError
from tradetalks.experiments.calibstats import (
    STATISTICS,
    Round,
    RunView,
    check_args,
    held_rounds,
    record_value,
)
from tradetalks.sim.record import load_record

CALIBRATIONS = ROOT / "configs" / "calibrations"
FILES = ("hindcast.toml", "hindcast_apr2019.toml", "clock_hindcast.toml")
START = dt.date(2018, 12, 1)
RECORD_DIGITS = 3  # the files write the record's values to three decimals
TARIFF_PRECISION = 0.1  # pp: the record gives averages to one decimal (PIIE)
WEEK = 1.0  # a model run dates an announcement by its week's first day


def _spec(name: str) -> dict:
    return tomllib.loads((CALIBRATIONS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FILES)
def test_observed_values_are_the_records_own(name: str) -> None:
    record = load_record()
    spec = _spec(name)
    start = spec["set"]["history.start"]
    for s in spec["statistics"]:
        value = record_value(s["statistic"], s["args"], record, start)
        assert value is not None, s["name"]
        assert s["observed"] == pytest.approx(round(value, RECORD_DIGITS), abs=1e-9), s["name"]


def test_the_oos_fit_uses_nothing_after_april_2019() -> None:
    spec = _spec("hindcast_apr2019.toml")
    cutoff = dt.date(2019, 4, 30)
    assert all(s["args"]["dates"][1] <= cutoff for s in spec["statistics"])
    last_day = START + dt.timedelta(weeks=spec["set"]["run.weeks"], days=-1)
    assert last_day < dt.date(2019, 5, 5)  # the run ends before the next record event


def test_hindcast_validates() -> None:
    calib = load_calibration(CALIBRATIONS / "hindcast.toml")
    assert calib.start_date == START and calib.horizon == 42
    assert {s.block for s in calib.spec.statistics} == {"tariffs", "events", "timing"}


def test_a_window_outside_the_run_is_refused(tmp_path) -> None:
    text = (CALIBRATIONS / "hindcast_apr2019.toml").read_text(encoding="utf-8")
    bad = text.replace("dates = [2019-04-01, 2019-04-30]", "dates = [2019-04-01, 2019-06-30]", 1)
    assert bad != text
    base = (CALIBRATIONS / "makers_2018_apr2019.toml").as_posix()  # the copy's base, found
    bad = bad.replace('base = "makers_2018_apr2019.toml"', f'base = "{base}"')
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(CalibError) as err:
        load_calibration(tmp_path / "bad.toml")
    assert any(k.endswith("args.dates") for k, _ in err.value.problems)
    assert check_args("tariff_dated", {"side": "us", "dates": [1, 2]}, 22, START)


def test_a_replay_of_the_record_gives_the_records_values() -> None:
    from tradetalks.sim.model import TradeTalksModel

    spec = _spec("hindcast.toml")
    overrides = {**spec["set"], "history.replay_until": dt.date(2019, 9, 15)}
    model = TradeTalksModel(None, rng=0, overrides=overrides, farmer_agents=False)
    summary = model.run()
    run = RunView(
        summary,
        list(model.announcements),
        model.timeseries(),
        model.start_date,
        42,
        held_rounds(model),
        list(model.negotiation.events),
    )
    record = load_record()
    for s in spec["statistics"]:
        got = STATISTICS[s["statistic"]](run, **s["args"])
        want = record_value(s["statistic"], s["args"], record, START)
        if s["name"] == "us_tariff_q2_2019":
            # the one known gap: the replay puts List 3 at 25% in force on 10 May 2019, PIIE's
            # average steps on 15 June (goods in transit; docs/RECORD.md §2 "fired")
            assert got > want + 2
        elif s["statistic"] == "tariff_dated":
            assert got == pytest.approx(want, abs=TARIFF_PRECISION), s["name"]
        elif s["statistic"] == "postponements_dated":
            # a replay logs a postponement on its record date, a free run on the due date
            # (docs/RECORD.md §2): 24 Feb and 11 Sep 2019 here, the 2 March hike in the fit
            assert got == want + 1
        elif s["statistic"] in ("weeks_to_move", "weeks_to_truce", "weeks_to_collapse"):
            # the replay dates the 9-10 May 2019 round's collapse by its week (4 May)
            assert got == pytest.approx(want, abs=WEEK), s["name"]
        else:
            assert got == want, s["name"]


def test_a_date_in_set_reaches_the_overlay_header_as_a_set_option() -> None:
    from tradetalks.experiments.calibout import _set_text
    from tradetalks.sim.config import parse_value

    assert _set_text(START) == "2018-12-01"
    assert parse_value(_set_text(START)) == START  # `--set history.start=...` reads it back
    assert _set_text("record-2018-2019") == '"record-2018-2019"'


OSAKA = [dt.date(2019, 6, 29), dt.date(2019, 9, 15)]  # the Osaka summit is week 31's first day
CAP = (OSAKA[1] - OSAKA[0]).days / 7


def _event(week: int, kind: str, side: str = "us") -> SimpleNamespace:
    return SimpleNamespace(week=week, kind=kind, side=side)


def test_truce_and_collapse_statistics_read_the_runs_rounds_and_events() -> None:
    def run(rounds, events) -> RunView:
        return RunView({}, [], None, START, 42, rounds, events)

    summit = [Round(31, "principal")]
    assert STATISTICS["weeks_to_truce"](run(summit, [_event(32, "postponement")]), OSAKA) == 0
    assert STATISTICS["weeks_to_truce"](run(summit, []), OSAKA) == CAP  # no truce: the cap
    later = run([Round(33, "principal")], [_event(33, "postponement")])
    assert STATISTICS["weeks_to_truce"](later, OSAKA) == 2
    before = run([Round(29, "principal")], [_event(29, "postponement")])
    assert STATISTICS["weeks_to_truce"](before, OSAKA) == CAP  # before the summit: not counted
    settled = [Round(23, "principal", text_settled=True)]
    since = [START, dt.date(2019, 9, 15)]
    assert STATISTICS["weeks_to_collapse"](run(settled, [_event(23, "fired")]), since) == 22
    assert STATISTICS["weeks_to_collapse"](run(settled, []), since) == pytest.approx(288 / 7)


def test_the_record_values_of_the_truce_and_collapse_statistics() -> None:
    record = load_record()
    assert record_value("weeks_to_truce", {"dates": OSAKA}, record, START) == 0  # Osaka itself
    since = {"dates": [START, dt.date(2019, 9, 15)]}
    assert record_value("weeks_to_collapse", since, record, START) == pytest.approx(159 / 7)
    late = {"dates": [dt.date(2019, 7, 1), dt.date(2019, 9, 15)]}
    assert record_value("weeks_to_truce", late, record, START) == pytest.approx(76 / 7)  # none


def test_the_calibrations_run_view_carries_the_rounds() -> None:
    """The hindcast's simulator gives the truce and collapse timings a model run has: without
    the rounds and events in its run view every run would sit at the caps."""
    from tradetalks.experiments.calibstats import collapse_weeks, truce_weeks
    from tradetalks.sim.model import TradeTalksModel

    calib = load_calibration(CALIBRATIONS / "hindcast.toml")
    sim = calib.simulator
    params = dict(us_optimism=0.3, china_optimism=0.3, leadership_threshold=0.6, us_sigma0=0.02)
    caps = {"weeks_to_truce_osaka": CAP, "weeks_to_collapse": 288 / 7}
    seen = {k: 0 for k in caps}
    for seed in range(12):
        got = sim.run_once(params, seed)
        model = TradeTalksModel(
            dict(sim.base_raw), rng=seed, overrides=sim.overrides(params), farmer_agents=False
        )
        model.run()
        rounds, events = held_rounds(model), model.negotiation.events
        day = [model.start_date + dt.timedelta(weeks=w - 1) for w in range(1, 43)]
        truces = [day[w - 1] for w in truce_weeks(rounds, events) if day[w - 1] >= OSAKA[0]]
        collapses = [day[w - 1] for w in collapse_weeks(rounds, events)]
        want_t = min([(truces[0] - OSAKA[0]).days / 7, CAP]) if truces else CAP
        want_c = min([(collapses[0] - START).days / 7, 288 / 7]) if collapses else 288 / 7
        assert got["weeks_to_truce_osaka"] == pytest.approx(want_t), seed
        assert got["weeks_to_collapse"] == pytest.approx(want_c), seed
        for k, cap in caps.items():
            seen[k] += got[k] < cap - 1e-9
    assert all(seen.values()), seen  # both events happen in some runs: the statistics move


def test_the_clock_ablation_fits_the_hindcasts_own_statistics() -> None:
    """The ablation (issue 14) is comparable only if it fits the same statistics to the same
    observed values over the same run."""
    clock, v2 = _spec("clock_hindcast.toml"), _spec("hindcast.toml")
    assert clock["statistics"] == v2["statistics"]
    assert clock["set"] == v2["set"]


def test_the_predictive_check_draws_every_dated_statistic_on_dates() -> None:
    """Issue 14: the posterior predictive check has one panel per statistic with dates on
    its x axis; the record's value sits at its date (a time to an event) or across the
    window's dates (a value over a window)."""
    from matplotlib.dates import DateFormatter, date2num
    from tradetalks.experiments.calibout import STAT_PREFIX
    from tradetalks.experiments.calibplots import WEEKS_FROM_WINDOW, predictive_figure

    calib = load_calibration(CALIBRATIONS / "hindcast.toml")
    rng = np.random.default_rng(0)
    draws = pd.DataFrame(
        {f"{STAT_PREFIX}{s.name}": rng.uniform(0, 5, 20) for s in calib.spec.statistics}
    )
    fig = predictive_figure(calib, draws)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == len(calib.spec.statistics)
    for ax, s in zip(axes, calib.spec.statistics, strict=True):
        assert isinstance(ax.xaxis.get_major_formatter(), DateFormatter), s.name
        first, last = s.args["dates"]
        recorded = [ln for ln in ax.get_lines() if ln.get_label().startswith("recorded")]
        assert len(recorded) == 1, s.name
        x, obs = list(recorded[0].get_xdata()), calib.observed[s.name]
        if s.function in WEEKS_FROM_WINDOW:  # a vertical line at the recorded date
            expected = date2num(first) + 7.0 * obs
            assert x == pytest.approx([expected, expected]), s.name
        else:  # a line across the window at the recorded value
            assert x == [first, last], s.name
            assert list(recorded[0].get_ydata()) == [obs, obs], s.name
