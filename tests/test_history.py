"""Start anywhere in the record, replay it up to a date, branch (issue 14, item 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from helpers import BASELINE, ROOT, SMALL
from tradetalks.sim.history import STATUTORY, load, overlay
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.record import Record, load_record
from tradetalks.sim.replay import forced_history
from tradetalks.sim.scenario import resolve_config
from typer.testing import CliRunner

from tradetalks.cli import app

RECORD = load_record()
D = dt.date(2018, 12, 1)  # the hindcast's start (core-v2 §3.3)
R = dt.date(2019, 9, 16)  # the start week: the replay ends where the baseline starts
COUNTERFACTUAL = ROOT / "configs" / "scenarios" / "no_may_2019_hike.toml"


def config(path: Any = BASELINE, **history: Any):
    over = {**SMALL, **{f"history.{k}": v for k, v in history.items()}}
    return resolve_config(path, over)


def run(cfg, seed: int = 1, weeks: int | None = None) -> TradeTalksModel:
    """A model run to its horizon, or stopped after ``weeks`` steps."""
    model = TradeTalksModel(cfg, rng=seed)
    while model.running and (weeks is None or model.steps < weeks):
        model.step()
    return model


@pytest.fixture(scope="module")
def replay() -> TradeTalksModel:
    return run(config(start=D, replay_until=R))


# ------------------------------------------------------------------ start anywhere
def test_a_history_table_without_a_start_date_changes_nothing():
    """The baseline's run is the same with an empty [history] (no start: no overlay)."""
    base = TradeTalksModel(resolve_config(BASELINE, SMALL), rng=3).run()
    same = TradeTalksModel(config(record="record-2018-2019"), rng=3).run()
    assert same == base and "history" not in same


def test_starting_on_1_july_2018_takes_that_day_s_state_from_the_record():
    day = dt.date(2018, 7, 1)
    model = run(config(start=day), weeks=0)
    st, ts = model.world.state, model.timeseries()
    assert model.start_date == day
    assert st.us_tariff_avg == ts.loc[0, "us_tariff_avg"] == RECORD.average_tariff("us", day).pct
    assert st.cn_tariff_avg == RECORD.average_tariff("china", day).pct == 7.2
    assert st.fed_rate == 1.875  # 1.75-2.00 from 13 June 2018
    assert st.cny_usd == 6.47  # the June 2018 average, the last known on 1 July
    assert st.soy_tariff == model.config.world.soybeans.soy_tariff_mfn  # before 6 July 2018
    assert not st.manipulator and st.huawei_status == 1.0
    assert dt.date(2018, 11, 6) in model.config.farm_politics.election_dates  # the midterms
    assert model.config.calendar.tariff_actions == []  # no announced action had a due date


def test_starting_in_the_start_week_agrees_with_the_baseline_where_the_record_does():
    """On 16 September 2019 the record and the baseline agree within the record's precision
    on the levels; they cannot agree where the baseline takes in the rest of the start week
    (the FOMC cut of 18 September) or an approximate figure (the yuan, 7.08)."""
    base, start = resolve_config(BASELINE, SMALL), config(start=R)
    b, s = base.world, start.world
    assert abs(s.trade.us_tariff_start - b.trade.us_tariff_start) <= 0.25  # PIIE 21.0 vs 21.2
    assert s.trade.cn_tariff_start == b.trade.cn_tariff_start
    assert s.soybeans.soy_tariff_start == b.soybeans.soy_tariff_start
    assert s.pboc.manipulator_start == b.pboc.manipulator_start
    assert s.huawei.status_start == b.huawei.status_start
    assert s.pboc.rrr_start == b.pboc.rrr_start  # kept from base: the record gives no level
    assert [(r.date, r.level) for r in start.calendar.rounds] == [
        (r.date, r.level) for r in base.calendar.rounds
    ]
    us = [a for a in start.calendar.tariff_actions if a.side == "us"]
    us_base = [a for a in base.calendar.tariff_actions if a.side == "us"]
    assert [a.date for a in us_base] == sorted({a.date for a in us})
    pending, pending_base = (sum(a.tariff_delta_pp for a in x) for x in (us, us_base))
    assert abs(pending - pending_base) <= 0.25  # 7.13 vs 7.25pp scheduled
    assert (s.fed.rate_start, b.fed.rate_start) == (2.125, 1.875)  # the cut of 18 Sep is later
    assert s.pboc.cny_start == 7.13 != b.pboc.cny_start


def _mutated(record: Record, day: dt.date) -> Record:
    """Every entry dated after ``day`` changed (figures, labels, dates within its year) and
    one more announced action, except what was known on ``day``: statutory dates and
    entries announced by then."""
    out = []
    for e in record.entries:
        known = e.kind in STATUTORY or (getattr(e, "announced", None) or e.date) <= day
        if e.date <= day or known:
            out.append(e)
            continue
        update = {k: v * 1.5 + 1 for k, v in e if isinstance(v, float)}
        update.update({k: v + "?" for k, v in e if k in ("label", "lists", "outcome")})
        update.update({k: [d + dt.timedelta(days=3) for d in v] for k, v in e if k == "due"})
        out.append(e.model_copy(update=update))
    extra = record.entries[-1].model_copy(update={"date": record.window.end})
    return record.model_copy(update={"entries": [*out, extra]})


@pytest.mark.parametrize("day", ["2018-07-01", "2018-12-01", "2019-05-12", "2019-09-10"])
def test_no_hindsight_entries_after_the_start_change_nothing(day: str):
    start = dt.date.fromisoformat(day)
    cfg = resolve_config(BASELINE, {"history.record": "record-2018-2019"})
    cfg = cfg.model_copy(update={"history": cfg.history.model_copy(update={"start": start})})
    ov, changed = overlay(cfg, RECORD), overlay(cfg, _mutated(RECORD, start))
    assert ov.values == changed.values and ov.kept == changed.kept


def test_no_hindsight_in_the_forced_history_after_the_replay_date():
    cfg = config(start=D, replay_until=dt.date(2019, 6, 30))
    until = cfg.history.replay_until
    key = [(f.date, f.action, f.index, f.size, f.level) for f in forced_history(cfg, RECORD)]
    later = forced_history(cfg, _mutated(RECORD, until))
    assert key == [(f.date, f.action, f.index, f.size, f.level) for f in later]


# ------------------------------------------------------------------ replay
def test_every_recorded_tariff_action_fires_in_its_week_and_no_deal_is_signed(replay):
    cfg, m = replay.config, replay
    last = cfg.week_of(R)
    fired = [(e.week, e.side) for e in m.negotiation.events if e.kind == "fired"]
    fires = [e for e in RECORD.between(D + dt.timedelta(days=1), R, "tariff")]
    expected = sorted((cfg.week_of(e.date), e.side) for e in fires if e.stage == "in_force")
    assert len(expected) == 4 and sorted(f for f in fired if f[0] <= last) == expected
    moves = [
        (e.week, e.side) for e in m.negotiation.events if e.kind in ("escalation", "retaliation")
    ]
    announced = [e for e in fires if e.stage in ("proposed", "announced")]
    assert sorted(w for w in moves if w[0] <= last) == sorted(
        (cfg.week_of(e.date), e.side) for e in announced
    )
    assert all(deal.week > last for deal in m.negotiation.deals)
    assert all(r.week > last for r in m.negotiation.history)  # the replay makes no offers
    ts = m.timeseries()
    for side, col in (("us", "us_tariff_avg"), ("china", "cn_tariff_avg")):
        assert ts.loc[last, col] == pytest.approx(RECORD.average_tariff(side, R).pct)
    truces = [e.week for e in m.negotiation.events if e.kind == "truce"]
    assert truces == [cfg.week_of(dt.date(2019, 6, 29))] * 2  # Osaka, both sides


def test_after_the_branch_the_makers_decide_and_only_then(replay):
    last = replay.config.week_of(R)
    decisions = [d for mk in replay.tariffs.makers.values() for d in mk.decisions]
    assert decisions and all(d.week > last for d in decisions)


def test_the_replay_carries_latent_state_that_a_fresh_start_resets(replay):
    """At the replay date the replayed model's beliefs, readiness and farm approval differ
    from those of a model started fresh on that date."""
    m = run(config(start=D, replay_until=R), weeks=replay.config.week_of(R))
    fresh = run(config(start=R), weeks=0)
    assert m.date <= R < m.date + dt.timedelta(weeks=1)
    for side in ("us", "china"):
        beliefs = []
        for model in (m, fresh):
            view = model.negotiation.preview(
                side, model.steps, "principal", model.indicators(), model.date
            )
            beliefs.append(model.teams[side].strategy_for("principal").belief(view)[1])
        assert not np.allclose(*beliefs), side
    assert m.world.state.farm_approval != fresh.world.state.farm_approval
    assert dict(m.negotiation.readiness) != dict(fresh.negotiation.readiness)
    assert len(m.negotiation.events) > 10 and not fresh.negotiation.events


def test_the_forced_history_does_not_depend_on_the_branch_date(replay):
    early = dt.date(2019, 6, 30)
    m = run(config(start=D, replay_until=early))
    week = m.config.week_of(early)
    a, b = m.timeseries().iloc[: week + 1], replay.timeseries().iloc[: week + 1]
    assert a.equals(b)
    assert [e for e in m.negotiation.events if e.week <= week] == [
        e for e in replay.negotiation.events if e.week <= week
    ]


def test_a_replay_keeps_each_stream_s_weekly_draws():
    """After the branch the makers and incidents draw what a free run from the same start
    draws in that week (the skipped weeks' blocks are drawn, not shifted)."""
    until = dt.date(2019, 3, 1)
    week = config(start=D).week_of(until) + 3
    free, rep = (
        run(config(start=D), weeks=week),
        run(config(start=D, replay_until=until), weeks=week),
    )
    for side in ("us", "china"):
        a, b = free.tariffs.makers[side].draws, rep.tariffs.makers[side].draws
        assert a._week == b._week == week and np.array_equal(a._block, b._block)
    assert np.array_equal(free.incident_draws._block, rep.incident_draws._block)


def test_same_seed_same_replay(replay):
    again = run(config(start=D, replay_until=R))
    assert again.summary() == replay.summary()


# ------------------------------------------------------------------ the counterfactual
def test_the_counterfactual_without_the_may_2019_hike_branches_from_the_factual():
    cf_cfg = resolve_config(COUNTERFACTUAL, SMALL)
    fact_cfg = resolve_config(COUNTERFACTUAL, {**SMALL, "history.drop": []})
    cf, fact = run(cf_cfg), run(fact_cfg)
    hike = cf_cfg.week_of(dt.date(2019, 5, 5))
    a, b = cf.timeseries(), fact.timeseries()
    assert a.iloc[:hike].equals(b.iloc[:hike])
    assert not a.iloc[hike:].equals(b.iloc[hike:])
    fired = {(e["week"], e["side"]) for e in fact.escalation_log}
    assert (cf_cfg.week_of(dt.date(2019, 5, 10)), "us") in fired
    assert not any(
        e["week"] <= cf_cfg.week_of(cf_cfg.history.replay_until) for e in cf.escalation_log
    )
    assert cf.summary()["history"]["dropped"] == [
        "2019-05-05 tariff us", "2019-05-09 round", "2019-05-10 tariff us"
    ]  # fmt: skip


# ------------------------------------------------------------------ bad input
runner = CliRunner()
REPLAY = ["--start", "2018-12-01", "--replay-until", "2019-06-01"]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--start", "2018-02-01"], "history.start"),
        (["--start", "2018-13-01"], "history.start"),
        (["--start", "2018-12-01", "--replay-until", "2018-11-30"], "history.replay_until"),
        (["--start", "2018-12-01", "--replay-until", "2019-09-21"], "history.replay_until"),
        (["--replay-until", "2019-01-01"], "history.replay_until"),
        ([*REPLAY, "--drop", "2019-05-06 tariff us"], "history.drop[0]"),  # no such entry
        ([*REPLAY, "--drop", "2019-07-30 round"], "history.drop[0]"),  # after the replay
        (["--set", "history.record='nowhere'", "--start", "2018-12-01"], "history.record"),
    ],
)  # fmt: skip
def test_bad_history_input_exits_2_naming_the_key(args: list[str], key: str, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(BASELINE), "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert key in res.output
    assert not out.exists()


def test_run_start_and_replay_on_the_command_line(tmp_path):
    res = runner.invoke(
        app,
        ["run", str(BASELINE), "--json", "--weeks", "30", "--set", "world.farmers.count=120",
         "--start", "2018-12-01", "--replay-until", "2019-03-01",
         "--drop", "2019-02-24 postponement"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    import json

    out = json.loads(res.stdout)
    assert out["start_date"] == "2018-12-01"
    assert out["history"]["dropped"] == ["2019-02-24 postponement us"]
    assert out["history"]["branch_week"] == 14
    assert load(resolve_config(BASELINE, {"history.start": D})).window.start == dt.date(2018, 3, 1)


def test_a_resolved_config_cannot_be_restarted_elsewhere():
    """Its calendar was filtered for its own start: a new start must come from the base."""
    from tradetalks.sim.config import ConfigError

    cfg = resolve_config(COUNTERFACTUAL, SMALL)
    assert resolve_config(cfg) is cfg  # resolving again changes nothing
    with pytest.raises(ConfigError, match=r"history\.start"):
        resolve_config(cfg, {"history.start": dt.date(2019, 1, 1)})
