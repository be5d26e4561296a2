"""Browser app without a browser: levers → config, session models, views, and the Solara page.

The page is rendered with Solara's test utilities (``solara.render``) and driven through its
widgets: pressing Step, moving a slider, picking a scenario, pressing Reset.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

pytest.importorskip("solara")

import ipyvuetify as v
import ipywidgets as widgets
import solara
from solara.components.echarts import EchartsWidget
from tradetalks.sim.model import TradeTalksModel, resolve_config

from tradetalks.viz import mechcharts
from tradetalks.viz.controls import (
    LEVERS,
    initial_params,
    lever_message,
    pending,
    slider_bounds,
    with_scenario,
)
from tradetalks.viz.dates import (
    day_text,
    first_day,
    offer_stamps,
    stamp,
    time_axis,
    week_end,
    week_span,
    week_stamps,
)
from tradetalks.viz.facts import facts_html
from tradetalks.viz.history import history_html, offer_rows
from tradetalks.viz.levers import Levers, apply_levers, list_scenarios, parse_seed
from tradetalks.viz.macro import MACRO_PANELS, macro_option
from tradetalks.viz.mechanisms import belief_mean, readiness, threats
from tradetalks.viz.network import (
    NETWORK_DRAW_LIMIT,
    network_option,
    network_sample,
    sample_caption,
)
from tradetalks.viz.offers import offer_table, table_html
from tradetalks.viz.session import AppSetup, SessionModel, SpaceBook
from tradetalks.viz.status import status_lines
from tradetalks.viz.style import DIGITS
from tradetalks.viz.timeline import timeline_option

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
BASELINE = CONFIGS / "baseline.toml"
SMALL_FARMS = 120  # keeps models quick; nothing here depends on the count
DEEP = 5_000  # nesting depth of the broken config files: past Python's recursion limit


@pytest.fixture(scope="module")
def setup() -> AppSetup:
    return AppSetup.from_config(BASELINE)


# --------------------------------------------------------------------------- scenarios, levers
def test_scenarios_list_configs_and_scenarios_but_not_sweeps(tmp_path: Path) -> None:
    labels = [s.label for s in list_scenarios(CONFIGS, launch=BASELINE)]
    assert labels[0] == "baseline.toml"
    expected = {f"scenarios/{p.name}" for p in (CONFIGS / "scenarios").glob("*.toml")}
    assert expected <= set(labels)
    assert not any(label.startswith("sweeps/") for label in labels)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "a_sweep.toml").write_text('name = "s"\nbase = "x.toml"\n')
    own = tmp_path / "scenarios" / "mine.toml"
    own.write_text(f'extends = "{BASELINE.as_posix()}"\n[teams.us]\npatience = 0.98\n')
    found = [s.label for s in list_scenarios(tmp_path, launch=BASELINE)]
    assert found == ["baseline.toml", "scenarios/mine.toml"]  # a label never shows server paths


def test_a_launch_config_outside_configs_gets_a_unique_label(tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text(f'extends = "{BASELINE.as_posix()}"\n')
    found = list_scenarios(tmp_path, launch=BASELINE)
    assert [s.label for s in found][:2] == ["launch: baseline.toml", "baseline.toml"]
    assert [s.path for s in found][:2] == [BASELINE, tmp_path / "baseline.toml"]
    inside = list_scenarios(CONFIGS, launch=CONFIGS / "theory" / "rubinstein.toml")
    assert inside[0].label == "theory/rubinstein.toml"


def _broken_configs(root: Path) -> list[str]:
    """Files in ``root`` (and ``root/scenarios``) that no config loader can take; their names."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    (root / "deep_array.toml").write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")
    (root / "deep_table.toml").write_text("x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n")
    (root / "binary.toml").write_bytes(bytes(range(256)))  # every byte value
    (root / "cycle.toml").write_text('extends = "cycle.toml"\n')
    (root / "a_directory.toml").mkdir()
    os.mkfifo(root / "fifo.toml")  # reading it would block the server for ever
    (root / "scenarios" / "loop.toml").symlink_to("loop.toml")  # a symlink loop
    (root / "scenarios" / "dangling.toml").symlink_to(root / "missing.toml")
    return ["deep_array", "deep_table", "binary", "cycle", "a_directory", "fifo", "loop"]


def test_scenario_list_skips_broken_and_too_deep_files(tmp_path: Path) -> None:
    broken = _broken_configs(tmp_path)
    good = tmp_path / "scenarios" / "good.toml"
    good.write_text(f'extends = "{BASELINE.as_posix()}"\n')
    found = list_scenarios(tmp_path, launch=BASELINE)
    assert [s.label for s in found] == ["baseline.toml", "scenarios/good.toml"]
    assert not any(name in s.label for s in found for name in broken)


def test_levers_read_and_set_a_config() -> None:
    cfg = resolve_config(BASELINE)
    levers = Levers.of(cfg)
    assert levers.farmers == cfg.world.farmers.count
    assert levers.farm_aid_bn == pytest.approx(sum(t.amount_bn for t in cfg.calendar.farm_aid))
    other = next(k for k in ("linear", "conceder", "boulware") if k != levers.us_strategy)
    raw = apply_levers(
        cfg,
        Levers(
            us_patience=0.97,
            farmers=300,
            currency_threshold=7.2,
            farm_aid_bn=2 * levers.farm_aid_bn,
            us_strategy=other,
        ),
    )
    new = resolve_config(raw)
    assert new.teams["us"].patience == 0.97
    assert new.teams["china"].patience == cfg.teams["china"].patience  # None keeps the config's
    assert new.world.farmers.count == 300
    assert new.world.pboc.threshold == 7.2
    for old_t, new_t in zip(cfg.calendar.farm_aid, new.calendar.farm_aid, strict=True):
        assert new_t.amount_bn == pytest.approx(2 * old_t.amount_bn)  # proportional rescale
    lead = new.teams["us"].members[new.teams["us"].leads.principal].strategy
    assert lead.kind == other
    assert lead.params == type(lead.params)()  # the old kind's parameters: dropped for defaults


def test_changed_from_keeps_only_moved_levers() -> None:
    base = Levers.of(resolve_config(BASELINE))
    moved = Levers(**{**base.as_dict(), "farmers": 500})
    assert moved.changed_from(base) == Levers(farmers=500)


@pytest.mark.parametrize("text", ["x", "1.5", "-3"])
def test_bad_seeds_are_refused_readably(text: str) -> None:
    with pytest.raises(ValueError, match="seed"):
        parse_seed(text)


# --------------------------------------------------------------------------- session models
def test_session_model_matches_the_plain_model(setup: AppSetup) -> None:
    session = SessionModel(setup=setup, farmers=SMALL_FARMS)
    plain = TradeTalksModel(
        config=BASELINE, rng=setup.seed, overrides={"world.farmers.count": SMALL_FARMS}
    )
    for _ in range(6):
        session.step()
        plain.step()
    assert session.timeseries().equals(plain.timeseries())
    assert session.overridden_names == ["farmers"]


def test_levers_count_as_changed_against_the_chosen_scenario(setup: AppSetup) -> None:
    """Levers at the scenario's own values run it as written; a lever set back to the launch
    value where the scenario differs is applied, not ignored."""
    label = "scenarios/patient_china.toml"
    scenario = resolve_config(setup.path_of(label))
    own = Levers.of(scenario)
    as_written = SessionModel(label, None, setup, **{**own.as_dict(), "farmers": SMALL_FARMS})
    assert as_written.config.teams["china"].patience == scenario.teams["china"].patience
    assert as_written.overridden_names == ["farmers"]
    assert as_written.seed == scenario.run.seed  # no seed given: the scenario's
    launch = setup.levers.china_patience
    assert launch != scenario.teams["china"].patience
    back = SessionModel(label, "7", setup, china_patience=launch, farmers=SMALL_FARMS)
    assert back.config.teams["china"].patience == launch
    assert back.overridden_names == ["china_patience", "farmers"]
    assert back.seed == 7
    assert back.scenario_levers == own


def test_a_bad_seed_falls_back_to_the_scenarios_with_a_note(setup: AppSetup) -> None:
    model = SessionModel(rng="12x", setup=setup, farmers=SMALL_FARMS)
    assert model.seed == resolve_config(BASELINE).run.seed
    assert status_lines(model)[-1].startswith("Note: the seed must be a whole number")


def test_a_session_reuses_its_space_across_resets(setup: AppSetup) -> None:
    spaces = SpaceBook()
    first = SessionModel(setup=setup, farmers=SMALL_FARMS, spaces=spaces)
    reset = SessionModel(setup=setup, farmers=2 * SMALL_FARMS, spaces=spaces)
    assert reset.space is first.space  # the levers do not touch the issues
    other = SessionModel("scenarios/huawei_off_table.toml", setup=setup, spaces=spaces)
    assert other.space is not first.space  # another issue set, another space
    plain = SessionModel(setup=setup, farmers=SMALL_FARMS)
    for _ in range(6):
        first.step()
        plain.step()
    assert first.timeseries().equals(plain.timeseries())
    assert SessionModel(setup=setup, spaces=SpaceBook()).space is not first.space


def test_each_session_model_is_its_own(setup: AppSetup) -> None:
    a = SessionModel(setup=setup, farmers=SMALL_FARMS)
    b = SessionModel(setup=setup, farmers=SMALL_FARMS)
    a.step()
    a.step()
    assert (a.steps, b.steps) == (2, 0)


# --------------------------------------------------------------------------- views
@pytest.fixture(scope="module")
def ran() -> SessionModel:
    model = SessionModel(setup=AppSetup.from_config(BASELINE), farmers=SMALL_FARMS)
    for _ in range(model.horizon):
        model.step()
    return model


@pytest.fixture(scope="module")
def blocked() -> SessionModel:
    """A run of the first version's model, whose ratifiers block offers."""
    model = SessionModel(setup=AppSetup.from_config(CONFIGS / "legacy" / "clock_v1.toml"))
    for _ in range(model.horizon):
        model.step()
    assert any(r.blocked_by_ratification for r in model.negotiation.history)
    return model


def test_dates_put_weeks_on_the_calendar(ran: SessionModel) -> None:
    start = ran.start_date
    assert first_day(ran, 1) == first_day(ran, 0) == start
    assert first_day(ran, 9) == start + dt.timedelta(weeks=8)
    assert week_end(ran, 0) == dt.datetime.combine(start, dt.time())
    assert stamp(week_end(ran, 1)) == (start + dt.timedelta(weeks=1)).isoformat() + "T00:00:00"
    spread = offer_stamps(ran, [3, 3, 3, 4])
    assert spread[0] < spread[1] < spread[2] < stamp(week_end(ran, 3)) < spread[3]
    assert stamp(week_end(ran, 2)) < spread[0]  # inside week 3
    assert week_span(ran, 1) == "16–22 Sep 2019"
    assert week_span(ran, 3) == "30 Sep–6 Oct 2019"
    assert week_span(ran, 16) == "30 Dec 2019–5 Jan 2020"
    axis = time_axis(ran)
    assert axis["type"] == "time"
    assert axis["min"] == start.isoformat()
    assert axis["max"] == stamp(week_end(ran, ran.horizon))


def test_network_view_draws_every_farmer_at_small_counts(ran: SessionModel) -> None:
    option = network_option(ran)
    dots = option["series"][1]["data"]
    assert len(dots) == SMALL_FARMS
    assert [d[2] for d in dots] == pytest.approx(ran.farmers.approval, abs=1e-4)
    assert sum(p[1] for p in option["series"][2]["data"]) == SMALL_FARMS  # histogram of all


def test_network_view_samples_large_populations(setup: AppSetup) -> None:
    model = SessionModel(setup=setup, farmers=3 * NETWORK_DRAW_LIMIT)
    state = model.rng.bit_generator.state
    option = network_option(model)
    assert len(option["series"][1]["data"]) == NETWORK_DRAW_LIMIT
    assert sum(p[1] for p in option["series"][2]["data"]) == 3 * NETWORK_DRAW_LIMIT
    assert sample_caption(network_sample(model)) == "a fixed sample of 1,000 of 3,000 farmers"
    assert model.rng.bit_generator.state == state  # drawing never consumes the model's draws


def test_timeline_shows_every_offer_by_date_with_its_tooltip(ran: SessionModel) -> None:
    option = timeline_option(ran)
    history = ran.negotiation.history
    assert option["xAxis"]["type"] == "time"
    by_name = {s["name"]: s for s in option["series"]}
    for side, name in (("us", "US"), ("china", "China")):
        own = by_name[f"{name} utility, own offers"]["data"]
        others = by_name[f"{name} utility, other side's offers"]["data"]
        assert len(own) + len(others) == len(history)
        reservation = by_name[f"{name} reservation"]["data"]
        assert [p[0] for p in reservation] == week_stamps(ran, range(ran.steps + 1))
        accepted = by_name[f"{name} utility, accepted"]["data"]
        assert len(accepted) == sum(r.accepted for r in history)
        assert sorted(p["value"][1] for p in own + others) == pytest.approx(
            sorted(round(r.utility[side], DIGITS) for r in history)
        )
    first = by_name["US utility, own offers"]["data"][0]
    assert first["name"].startswith("Week of ") and "offer by US" in first["name"]
    record = next(r for r in history if r.proposer == "us")
    for issue, level in ran.space.terms(record.outcome).items():
        assert f"{issue}: {level}" in first["name"]
    assert all(s.get("tooltip", {}).get("formatter") in ("{b}", None) for s in option["series"])
    marks = option["series"][0]["markLine"]["data"]
    cal = ran.config.calendar
    on_calendar = [m for m in marks if "on the calendar" in m["name"]]
    due = [a for a in cal.tariff_actions if ran.start_date <= a.date <= ran.config.end_date]
    rounds = [r for r in cal.rounds if r.level == "principal"]
    assert len(on_calendar) == len(due) + len(rounds) > 0  # the calendar's events marked
    assert any(due[0].label in m["name"] for m in on_calendar)
    marks = [m for m in marks if m not in on_calendar]
    assert len(marks) == 1 + len(ran.negotiation.deals)  # and now
    assert all(m["name"].startswith(("Deal signed", "Interim deal signed")) for m in marks[:-1])
    assert marks[-1]["name"] == "now"


def test_offers_table_lists_every_offer_and_its_answer(
    ran: SessionModel, blocked: SessionModel
) -> None:
    rows = offer_rows(ran)
    history = ran.negotiation.history
    assert len(rows) == len(history)
    for row, record in zip(rows, history, strict=True):
        assert row.proposer == {"us": "US", "china": "China"}[record.proposer]
        assert row.utility[0].startswith(f"{record.utility['us']:.3f} (r ")
        assert (row.kind == "accepted") == record.accepted
        assert row.day == day_text(first_day(ran, record.week))
    page = history_html(ran)
    assert page.count("<tr class=") == len(history)
    assert page.index(rows[-1].terms.split(";")[0]) < page.rindex(rows[0].terms.split(";")[0])
    answers = {row.answer for row in offer_rows(blocked)}
    by_whom = {a.split("blocked: ")[1] for a in answers if "blocked: " in a}
    bodies = {r.name for r in blocked.ratifiers}
    assert by_whom and by_whom <= {f"{b} would not ratify" for b in bodies}  # named
    assert {"rejected by US", "rejected by China"} <= answers


def test_terms_table_lists_every_issue(setup: AppSetup, ran: SessionModel) -> None:
    fresh = SessionModel(setup=setup, farmers=SMALL_FARMS)
    assert offer_table(fresh).title == "No offer yet"
    view = offer_table(ran)
    assert [row[0] for row in view.rows] == [i.name for i in ran.space.issues]
    assert "week of" in view.title
    if ran.negotiation.deals:
        agreed = {}
        for deal in ran.negotiation.deals:
            agreed.update(deal.terms)
        assert {row[0]: row[3] for row in view.rows if row[0] in agreed} == agreed
    assert "<script" not in table_html(view)


def test_macro_panels_draw_their_series_by_date(ran: SessionModel) -> None:
    options = macro_option(ran)
    assert len(options) == len(MACRO_PANELS)
    for panel, option in zip(MACRO_PANELS, options, strict=True):
        assert option["xAxis"]["type"] == "time"
        assert "title" not in option and "legend" not in option  # headings are HTML
        assert [s["name"] for s in option["series"]] == [label for _, label in panel.lines]
        assert all(len(s["data"]) == ran.steps + 1 for s in option["series"])
    cny = options[next(i for i, p in enumerate(MACRO_PANELS) if p.lines[0][0] == "cny_usd")]
    assert cny["series"][0]["markLine"]["data"] == [{"yAxis": ran.config.world.pboc.threshold}]


def test_the_trace_records_beliefs_and_ratification_each_week(ran: SessionModel) -> None:
    trace = ran.trace
    assert trace.weeks == list(range(ran.horizon + 1))
    for side in ("us", "china"):
        assert len(trace.beliefs[side]) == len(trace.weeks)
        assert all(b is None or 0 <= b <= 1 for b in trace.beliefs[side])
        assert trace.beliefs[side][-1] == pytest.approx(belief_mean(ran, side))
    assert set(trace.margins) == {r.name for r in ran.ratifiers}
    assert all(len(m) == len(trace.weeks) for m in trace.margins.values())
    option, key = mechcharts.beliefs_option(ran)
    assert [s["name"] for s in option["series"]] == [k[0] for k in key]
    assert "US's estimate of China's resolve" in {k[0] for k in key}
    option, key = mechcharts.ratification_option(ran)
    assert len(option["series"]) == len(ran.ratifiers)
    option, key = mechcharts.readiness_option(ran)
    assert option["yAxis"]["data"] == [n for n, _, _ in readiness(ran)]


def test_mechanisms_panel_names_threats_fulfilment_and_dollars(setup: AppSetup) -> None:
    model = SessionModel("scenarios/enforcement.toml", setup=setup, farmers=SMALL_FARMS)
    saw_threat = False
    while model.running:
        model.step()
        pending = threats(model)
        if pending and not saw_threat:
            saw_threat = True
            first = pending[0]
            assert f"{first.label} ({first.size_pp:+.1f} pp, " in facts_html(model)
            assert f"backing down costs {first.audience_cost:.3f}." in facts_html(model)
    assert saw_threat  # the makers announce threats in this scenario
    page = facts_html(model)
    for paid in model.tariffs.audience_paid():
        assert f"in the week of {day_text(first_day(model, paid['week']))}, at an audience " in page
    if model.world.state.ag_due_bn > 0:
        assert f"Soybean purchases due ${model.world.state.ag_due_bn:.2f}bn" in page
    for dispute in model.monitor.summary()["disputes"]:
        assert f"Dispute in the week of {day_text(first_day(model, dispute['week']))}" in page
    dollars = model.summary()["dollars"]
    assert f"{dollars['total_us_duties_bn']:,.1f}" in page
    assert "<script" not in page


def test_every_panel_draws_a_run_on_a_space_never_enumerated() -> None:
    """The baseline with five more issues (762 million outcomes) runs in the app on a space
    it never lists (sim/lazy_space.py), and every panel reads it."""
    twelve = ROOT / "benchmarks" / "configs" / "baseline_12.toml"
    model = SessionModel(setup=AppSetup.from_config(twelve), farmers=SMALL_FARMS)
    assert getattr(model.space, "lazy", False) and len(model.space) == 762_047_999
    while model.running:
        model.step()
    assert model.negotiation.history  # offers were made
    view = offer_table(model)
    assert [row[0] for row in view.rows] == [i.name for i in model.space.issues]
    for option, _ in (
        mechcharts.beliefs_option(model),
        mechcharts.ratification_option(model),
        mechcharts.readiness_option(model),
    ):
        assert option["series"]
    assert len(macro_option(model)) == len(MACRO_PANELS)
    assert timeline_option(model)["series"]
    for page in (facts_html(model), history_html(model), table_html(view)):
        assert "<script" not in page
    assert status_lines(model)[0].startswith(f"Week {model.horizon} of {model.horizon}")


def test_status_names_week_dates_scenario_and_changed_levers(ran: SessionModel) -> None:
    lines = status_lines(ran)
    assert lines[0] == f"Week {ran.horizon} of {ran.horizon} · {week_span(ran, ran.horizon)}"
    assert "Scenario: baseline.toml" in lines[2]
    assert lines[-1] == "Changed from the scenario: farmers"


# --------------------------------------------------------------------------- controls
def test_controls_follow_the_chosen_scenario(setup: AppSetup) -> None:
    params = initial_params(setup, None)
    assert params["scenario_file"] == setup.launch.label
    assert params["rng"] == str(setup.seed)
    moved = {**params, "farmers": 300}
    label = "scenarios/patient_china.toml"
    chosen = with_scenario(moved, setup, label)
    scenario = resolve_config(setup.path_of(label))
    assert chosen["china_patience"] == scenario.teams["china"].patience
    assert chosen["farmers"] == scenario.world.farmers.count  # the scenario's, not the moved one
    assert chosen["rng"] == str(scenario.run.seed)
    model = SessionModel(**{**chosen, "farmers": SMALL_FARMS})
    assert pending({**chosen, "farmers": SMALL_FARMS}, model) == []
    assert pending({**chosen, "farmers": 500, "rng": "9"}, model) == ["rng", "farmers"]
    assert pending({**chosen, "farmers": SMALL_FARMS, "rng": "x"}, model) == ["rng"]


def test_sliders_show_their_value_and_whether_it_waits_for_reset() -> None:
    spec = next(s for s in LEVERS if s.key == "china_patience")
    assert lever_message(spec, 0.997, 0.997, 0.997) == "0.997 a week"
    assert lever_message(spec, 0.9995, 0.9995, 0.997) == "0.9995 a week · applies at Reset"
    assert lever_message(spec, 0.99, 0.9995, 0.99) == "0.99 a week (scenario: 0.9995 a week)"
    low, high, step = slider_bounds(0.9995, spec.bounds)
    assert (0.9995 - low) / step == pytest.approx(round((0.9995 - low) / step))  # on the grid
    assert (low, high) == (pytest.approx(0.95), 1.0)
    assert slider_bounds(10_500, (100, 10_000, 100)) == (100, 10_500, 100)


# --------------------------------------------------------------------------- the page
def _page():
    from tradetalks.viz.app import Layout, Page

    # as Solara serves the app: the module's Layout around its Page
    return solara.render(Layout(children=[Page()]), handle_error=False)


def _week_text(rc) -> str:
    return rc.find(v.Html, class_="tt-week").widget.children[0]


def _charts(rc) -> dict[str, dict]:
    return {w.attributes["data-chart"]: w.option for w in rc.find(EchartsWidget).widgets}


def _slider(rc, label: str):
    return rc.find(v.Slider, label=label).widget


def test_page_steps_and_resets_with_a_moved_slider() -> None:
    _, rc = _page()
    assert _week_text(rc).startswith("Week 0 of")
    before = _charts(rc)
    assert set(before) >= {"timeline", "network", "beliefs", "ratification", "readiness"}
    assert {f"macro-{i}" for i in range(len(MACRO_PANELS))} <= set(before)
    step = rc.find(v.Btn, children=["Step"])
    for _ in range(3):
        step.widget.click()
    assert _week_text(rc).startswith("Week 3 of")
    after = _charts(rc)
    moved = [k for k in before if k != "readiness" and before[k] == after[k]]
    assert moved == []  # every chart over time changed

    farmers = _slider(rc, "Number of farmers")
    assert farmers.messages == ["1,000"]
    farmers.v_model = 300
    assert farmers.messages == ["300 (scenario: 1,000) · applies at Reset"]
    assert "tt-pending" in farmers.class_
    assert any("applies at Reset: Number of farmers" in t for t in _texts(rc))
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _week_text(rc).startswith("Week 0 of")
    assert _slider(rc, "Number of farmers").messages == ["300 (scenario: 1,000)"]
    assert not any("applies at Reset" in t for t in _texts(rc))
    texts = _texts(rc)
    assert any("300 farmers" in t for t in texts)
    assert "Changed from the scenario: farmers" in texts
    assert len(_charts(rc)["network"]["series"][1]["data"]) == 300


def test_page_sliders_follow_a_scenario_and_apply_a_lever_set_back() -> None:
    _, rc = _page()
    patience = _slider(rc, "China patience (weekly)")
    launch = patience.v_model
    label = "scenarios/patient_china.toml"
    wanted = resolve_config(CONFIGS / label).teams["china"].patience
    assert wanted != launch
    rc.find(v.Select, label="Scenario").widget.v_model = label
    assert patience.v_model == wanted  # the scenario's value, shown on the slider
    assert patience.messages == [f"{wanted:.4g} a week · applies at Reset"]
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "Changed from the scenario: nothing" in _texts(rc)
    patience.v_model = launch  # back to the launch value: a change from this scenario
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert "Changed from the scenario: china_patience" in _texts(rc)
    assert any(f"China {launch:.3f}" in t for t in _texts(rc))


def test_page_hides_mesas_controls_that_mean_nothing_here() -> None:
    _, rc = _page()
    labels = {w.label for w in rc.find(v.Slider).widgets}
    assert not labels & {"Render Interval (steps)", "Play Interval (ms)"}
    assert not [w for w in rc.find(v.Checkbox).widgets if w.label == "Use Threads"]
    assert not rc.find(v.Tab).widgets  # no lone "Page 0" tab
    assert {"Step", "Reset", "▶"} <= {c for w in rc.find(v.Btn).widgets for c in w.children}


def test_two_pages_get_two_models() -> None:
    _, first = _page()
    _, second = _page()
    first.find(v.Btn, children=["Step"]).widget.click()
    assert _week_text(first).startswith("Week 1 of")
    assert _week_text(second).startswith("Week 0 of")


# --------------------------------------------------------------------------- errors in the page
FAILING_WEEK = 4  # the week whose step raises in the tests below
PLAY_TIMEOUT_S = 60.0  # playing to FAILING_WEEK takes well under a second per week
POLL_S = 0.1
SERVER_PATH = "/srv/secret/place/model.py"  # a path in an error message: the page must not show it


@pytest.fixture
def failing_week(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new model raises ZeroDivisionError (naming a server path) in week FAILING_WEEK."""
    original = TradeTalksModel.step

    def step(self: TradeTalksModel) -> None:
        if self.steps == FAILING_WEEK:
            raise ZeroDivisionError(f"division by zero in {SERVER_PATH}")
        original(self)

    monkeypatch.setattr(TradeTalksModel, "step", step)


def test_a_failing_week_stops_the_run_with_a_plain_note(
    setup: AppSetup, failing_week: None
) -> None:
    model = SessionModel(setup=setup, farmers=SMALL_FARMS)
    for _ in range(FAILING_WEEK + 2):
        model.step()  # no exception: the week's error becomes a note
    assert not model.running
    assert model.steps == FAILING_WEEK
    note = status_lines(model)[-1]
    assert note == (
        f"Note: the run stopped in week {FAILING_WEEK}: ZeroDivisionError: division by zero in "
        "model.py (Reset starts again)"
    )
    assert "/srv" not in note


def _texts(rc) -> list[str]:
    """Every text line of the page: Solara's Text (spans) and Error (alerts)."""
    shown = [*rc.find(v.Html, tag="span").widgets, *rc.find(v.Alert).widgets]
    return [c for w in shown for c in w.children if isinstance(c, str)]


def _no_traceback_or_paths(rc) -> None:
    shown = " ".join(_texts(rc)) + " ".join(w.value for w in rc.find(widgets.HTML).widgets)
    assert "Traceback" not in shown
    assert "/srv/" not in shown and str(ROOT) not in shown


def test_page_shows_a_failing_step_as_a_plain_note(failing_week: None) -> None:
    _, rc = _page()
    step = rc.find(v.Btn, children=["Step"])
    for _ in range(FAILING_WEEK):
        step.widget.click()
    assert _week_text(rc).startswith(f"Week {FAILING_WEEK} of")
    assert any(t.startswith(f"Note: the run stopped in week {FAILING_WEEK}") for t in _texts(rc))
    assert step.widget.disabled  # the run is over: Reset starts again
    _no_traceback_or_paths(rc)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _week_text(rc).startswith("Week 0 of")


def test_playing_into_a_failing_week_stops_with_a_plain_note(failing_week: None) -> None:
    _, rc = _page()
    rc.find(v.Btn, children=["▶"]).widget.click()
    deadline = time.monotonic() + PLAY_TIMEOUT_S
    stopped = f"Note: the run stopped in week {FAILING_WEEK}"
    mesas = "error in step"  # Mesa's own message, with the exception's text
    while not any(t.startswith((stopped, mesas)) for t in _texts(rc)):
        assert time.monotonic() < deadline, "playing never reached the failing week"
        time.sleep(POLL_S)
    assert not any(t.startswith(mesas) for t in _texts(rc))
    assert _week_text(rc).startswith(f"Week {FAILING_WEEK} of")
    _no_traceback_or_paths(rc)


def test_page_shows_a_failing_reset_as_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import tradetalks.viz.session as session

    _, rc = _page()
    rc.find(v.Btn, children=["Step"]).widget.click()

    def broken(*args, **kwargs):
        raise RecursionError(f"maximum recursion depth exceeded reading {SERVER_PATH}")

    monkeypatch.setattr(session, "resolve_config", broken)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    messages = [t for t in _texts(rc) if t.startswith("The app hit an error")]
    assert messages == [
        "The app hit an error: RecursionError: maximum recursion depth exceeded reading model.py"
    ]
    _no_traceback_or_paths(rc)
    monkeypatch.undo()
    rc.find(v.Btn, children=["Start again"]).widget.click()
    assert _week_text(rc).startswith("Week 0 of")  # a fresh session
