"""The hindcast calibrations (issue 14 item 6): dated statistics against the record itself.

Each observed value in the shipped files is the record's own (``record_value``), and a model
run forced along the record (a replay from 1 December 2018 to 15 September 2019) gives the
record's values back through the same statistic functions a fit uses, within the record's
precision: the statistics and the record agree.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from helpers import ROOT
from tradetalks.experiments.calibfile import load_calibration
from tradetalks.experiments.calibspec import CalibError
from tradetalks.experiments.calibstats import STATISTICS, RunView, check_args, record_value
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
    run = RunView(summary, list(model.announcements), model.timeseries(), model.start_date, 42)
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
        elif s["statistic"] == "weeks_to_move":
            assert got == pytest.approx(want, abs=WEEK), s["name"]
        else:
            assert got == want, s["name"]


def test_a_date_in_set_reaches_the_overlay_header_as_a_set_option() -> None:
    from tradetalks.experiments.calibout import _set_text
    from tradetalks.sim.config import parse_value

    assert _set_text(START) == "2018-12-01"
    assert parse_value(_set_text(START)) == START  # `--set history.start=...` reads it back
    assert _set_text("record-2018-2019") == '"record-2018-2019"'
