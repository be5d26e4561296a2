"""The record as data (issue 14, item 1): the shipped record, its loader and the ontology."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import typing
from pathlib import Path

import pytest
import tomli_w
from helpers import ROOT
from tradetalks.sim import record as rec
from tradetalks.sim.protocol import EVENT_KINDS
from tradetalks.sim.record import ONTOLOGY, RecordError, load_record, record_path
from tradetalks.sim.shipped import locate

D = dt.date
WINDOW = (D(2018, 3, 1), D(2019, 9, 20))
RECORD_DOC = ROOT / "docs" / "RECORD.md"
SHIPPED_TOML = ROOT / "configs" / "record" / "record-2018-2019.toml"
FORWARD = ("due", "from_date", "to_date", "pending")  # what was scheduled may lie after the window


@pytest.fixture(scope="module")
def record() -> rec.Record:
    return load_record()


# --------------------------------------------------------------------------- the shipped record
def test_the_shipped_record_loads_by_default_by_name_and_through_shipped(record):
    assert record_path() == locate("record/record-2018-2019")
    assert record_path().is_file() and record_path() == record_path("record-2018-2019.toml")
    assert load_record("record-2018-2019") == record == load_record(SHIPPED_TOML)
    assert (record.window.start, record.window.end) == WINDOW
    assert record.window.start_week == D(2019, 9, 16)


def test_entries_are_in_date_order_within_the_window_and_the_baseline_before_it(record):
    dates = [e.date for e in record.entries]
    assert dates == sorted(dates)
    assert WINDOW[0] <= dates[0] and dates[-1] <= WINDOW[1]
    assert all(e.date < WINDOW[0] for e in record.baseline)


def test_nothing_after_the_start_week_but_what_was_scheduled(record):
    for e in record.all():
        for name, value in e:
            days = value if isinstance(value, list) else [value]
            if name in FORWARD or not all(isinstance(d, dt.date) for d in days):
                continue
            assert all(d <= WINDOW[1] for d in days), (e.kind, e.date, name)


def test_every_entry_names_a_known_source(record):
    for e in record.all():
        assert e.source.strip(), (e.kind, e.date)
        assert {s.strip() for s in e.source.split(",")} <= set(rec.SOURCES)


def test_the_fed_range_in_force_at_a_date(record):
    assert record.fed_range(D(2019, 8, 1)) == (2.00, 2.25)
    assert record.fed_range(D(2018, 12, 20)) == (2.25, 2.50)
    assert record.fed_range(D(2018, 12, 18)) == (2.00, 2.25)
    assert record.fed_range(D(2019, 9, 18)) == (1.75, 2.00)  # the start week's cut
    assert record.fed_range(D(2018, 3, 20)) is None  # the range before is not in the facts
    assert all(f.upper_pct - f.lower_pct == pytest.approx(0.25) for f in record.of_kind("fed"))


def test_the_us_average_tariff_rises_through_the_listed_steps(record):
    steps = [e for e in record.of_kind("average_tariff") if e.side == "us"]
    levels = [e.pct for e in steps]
    assert levels == [3.1, 3.8, 3.8, 6.7, 8.3, 12.0, 12.0, 12.0, 17.5, 21.0]
    assert levels == sorted(levels)
    for step in steps:
        assert record.average_tariff("us", step.date).pct == step.pct
    # between steps the earlier level holds: the List 3 hike of 10 May shows on 15 June
    assert record.average_tariff("us", D(2019, 6, 14)).pct == 12.0
    assert record.average_tariff("us", D(2019, 9, 20)).pct == 21.0
    assert record.average_tariff("china", D(2018, 8, 1)).bounds == (13.0, 14.0)
    assert record.average_tariff("us", D(2017, 12, 31)) is None


def test_the_core_v2_record_values_can_be_read_off_the_record(record):
    """core-v2 §3.4's record values: 3 postponements Dec 2018 - Sep 2019, 5 US steps in force,
    truces at both summits, one collapse, no signed agreement."""
    dec = D(2018, 12, 1)
    assert len(record.between(dec, WINDOW[1], "postponement")) == 3
    in_force = [e for e in record.of_kind("tariff") if e.stage == "in_force"]
    assert len([e for e in in_force if e.side == "us"]) == 5
    summits = {e.place: e.date for e in record.of_kind("truce") if e.level == "leaders"}
    assert summits == {"Buenos Aires": dec, "Osaka": D(2019, 6, 29)}
    assert [e.date for e in record.counterparts("collapse")] == [D(2019, 5, 9)]
    assert record.counterparts("deal") == []


def test_the_start_week_is_initial_state_not_targets(record):
    week = record.start_week()
    assert {(e.kind, e.date) for e in week} == {
        ("rrr", D(2019, 9, 16)),
        ("fed", D(2019, 9, 18)),
        ("round", D(2019, 9, 19)),
    }
    assert not set(map(id, week)) & set(map(id, record.targets()))
    assert len(record.targets()) + len(week) == len(record.entries)


def test_approximate_figures_and_lower_bounds_name_given_figures(record):
    for e in record.all():
        for name in (*e.approx, *e.at_least):
            assert name == "date" or getattr(e, name) is not None


# --------------------------------------------------------------------------- bad files
def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "bad.toml"
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


def _raw() -> dict:
    return tomllib.loads(SHIPPED_TOML.read_text(encoding="utf-8"))


def _problems(tmp_path: Path, raw: dict) -> dict[str, str]:
    with pytest.raises(RecordError) as exc:
        load_record(_write(tmp_path, raw))
    return dict(exc.value.problems)


def test_an_unknown_kind_is_named_by_its_key(tmp_path):
    raw = _raw()
    raw["entries"][4]["kind"] = "skirmish"
    problems = _problems(tmp_path, raw)
    assert list(problems) == ["entries[4].kind"]
    assert "unknown kind 'skirmish'" in problems["entries[4].kind"]
    assert "fed" in problems["entries[4].kind"]  # the known kinds are listed


def test_a_date_outside_the_window_is_named_by_its_key(tmp_path):
    raw = _raw()
    late = {"date": D(2019, 10, 30), "kind": "fed", "lower_pct": 1.5, "upper_pct": 1.75}
    raw["entries"].append({**late, "source": "Fed"})  # after the start week: a forecast target
    problems = _problems(tmp_path, raw)
    key = f"entries[{len(raw['entries']) - 1}].date"
    assert list(problems) == [key] and "outside 2018-03-01-2019-09-20" in problems[key]
    raw = _raw()
    raw["entries"][0]["date"] = D(2018, 2, 1)
    assert "entries[0].date" in _problems(tmp_path, raw)


def test_entries_out_of_order_are_named(tmp_path):
    raw = _raw()
    raw["entries"][2]["date"] = D(2018, 3, 21)  # before the entry listed ahead of it
    problems = _problems(tmp_path, raw)
    assert list(problems) == ["entries[2].date"] and "comes after" in problems["entries[2].date"]


def test_a_missing_or_unknown_source_is_named_by_its_key(tmp_path):
    raw = _raw()
    del raw["entries"][0]["source"]
    problems = _problems(tmp_path, raw)
    assert list(problems) == ["entries[0].source"]
    assert "required key is missing" in problems["entries[0].source"]
    assert "fed entry of 2018-03-21" in problems["entries[0].source"]
    raw = _raw()
    raw["entries"][1]["source"] = " "
    assert "names no source" in _problems(tmp_path, raw)["entries[1].source"]
    raw = _raw()
    raw["baseline"][0]["source"] = "Census, a blog"
    problems = _problems(tmp_path, raw)
    assert "unknown source 'a blog'" in problems["baseline[0].source"]


def test_entry_checks_name_the_field(tmp_path):
    raw = _raw()
    raw["entries"][0]["upper_pct"] = 1.25  # below the lower bound of the range
    raw["entries"][1]["approx"] = ["amount_bn"]  # the memorandum gives no amount
    raw["entries"][2]["color"] = "red"
    tariffs = [i for i, e in enumerate(raw["entries"]) if e["kind"] == "tariff" and i > 2]
    raw["entries"][tariffs[0]]["due"] = [D(2018, 3, 1)]  # due before it was announced
    problems = _problems(tmp_path, raw)
    assert set(problems) == {
        "entries[0].upper_pct",
        "entries[1].approx",
        "entries[2].color",
        f"entries[{tariffs[0]}].due",
    }
    assert "unknown key" not in problems[f"entries[{tariffs[0]}].due"]
    assert "unknown key" in problems["entries[2].color"]
    assert "'amount_bn' is not a figure" in problems["entries[1].approx"]


def test_files_that_are_not_records(tmp_path):
    with pytest.raises(RecordError, match="No such file"):
        load_record(tmp_path / "missing.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("title = \n")
    with pytest.raises(RecordError, match="not valid TOML"):
        load_record(bad)


# --------------------------------------------------------------------------- the ontology
def test_the_ontology_covers_exactly_the_model_event_kinds():
    assert set(ONTOLOGY) == set(EVENT_KINDS) and len(ONTOLOGY) == len(EVENT_KINDS)


def test_the_written_ontology_lists_exactly_the_model_event_kinds():
    text = RECORD_DOC.read_text(encoding="utf-8")
    table = text.split("| model event kind |", 1)[1].split("\n\n", 1)[0]
    kinds = re.findall(r"^\| `(\w+)` \|", table, flags=re.M)
    assert sorted(kinds) == sorted(EVENT_KINDS)


def test_the_ontology_selects_record_kinds_and_fields_that_exist(record):
    by_kind = {t.model_fields["kind"].annotation.__args__[0]: t for t in rec.ENTRY_TYPES}
    for model_kind, match in ONTOLOGY.items():
        assert (match.weeks is None) == (not match.select), model_kind
        for kind, where in match.select:
            fields = by_kind[kind].model_fields
            assert match.date_field in fields
            for name, values in where:
                literal = typing.get_args(fields[name].annotation)
                assert not literal or set(values) <= set(literal), (model_kind, name)
    assert {e.side for e in record.counterparts("retaliation")} == {"china"}
    assert record.counterparts("escalation", side="china") == []
    assert len(record.counterparts("truce")) == 3
    gestures = record.counterparts("gesture")
    assert D(2019, 9, 11) in {e.date for e in gestures}


def test_the_counts_in_the_written_record_match_the_file(record):
    text = RECORD_DOC.read_text(encoding="utf-8")
    table = text.split("| record kind |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \|", table, flags=re.M)
    assert {k for k, _ in rows} == set(rec.KINDS)  # every kind has its row, zero or not
    assert {k: int(n) for k, n in rows if int(n)} == record.counts()


# --------------------------------------------------------------------------- growth vintages
def test_growth_estimates_are_releases_with_their_dates(record):
    """BEA's estimates as released (docs/facts/us-growth-real-time.md): each named estimate has
    its release date, after its quarter and inside the window; one entry per release."""
    named = [e for e in record.of_kind("growth") if e.estimate is not None]
    assert len(named) == 19 and {e.side for e in named} == {"us"}
    assert len({e.vintage for e in named}) == len(named)
    for e in named:
        assert e.basis == "q/q annualised" and e.date < e.published <= WINDOW[1]
        assert "http" in e.note, "each release names where it was checked"
    q2 = {e.estimate: (e.pct, e.published) for e in named if e.period_start == D(2019, 4, 1)}
    assert q2 == {"advance": (2.1, D(2019, 7, 26)), "second": (2.0, D(2019, 8, 29))}
    q4 = {e.estimate for e in named if e.period_start == D(2018, 10, 1)}
    assert q4 == {"initial", "third"}, "the shutdown's initial estimate replaced two releases"
    hindsight = [(e.side, e.pct, e.basis) for e in record.of_kind("growth") if e.estimate is None]
    assert ("us", 2.9, "annual") in hindsight and ("us", 3.1, "q/q annualised") in hindsight


def test_a_named_estimate_needs_its_release_date_and_is_not_repeated(tmp_path):
    raw = _raw()
    at = next(i for i, e in enumerate(raw["entries"]) if e.get("estimate") == "advance")
    del raw["entries"][at]["published"]
    problems = _problems(tmp_path, raw)
    assert list(problems) == [f"entries[{at}].published"]
    assert "needs its release date" in problems[f"entries[{at}].published"]
    raw = _raw()
    raw["entries"].insert(at + 1, dict(raw["entries"][at]))
    problems = _problems(tmp_path, raw)
    assert list(problems) == [f"entries[{at + 1}].estimate"]
    assert f"repeats the entry entries[{at}]" in problems[f"entries[{at + 1}].estimate"]


def test_a_tariff_due_before_its_entry_is_named(tmp_path):
    raw = _raw()
    at = next(i for i, e in enumerate(raw["entries"]) if e["kind"] == "tariff" and e.get("due"))
    raw["entries"][at]["due"] = [D(2018, 3, 1)]
    problems = _problems(tmp_path, raw)
    assert list(problems) == [f"entries[{at}].due"]
    assert "is before the entry's date" in problems[f"entries[{at}].due"]
