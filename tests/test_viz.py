"""Browser app without a browser: levers → config, session models, views, and the Solara page.

The page is rendered with Solara's test utilities (``solara.render``) and driven through its
widgets: pressing Step, moving a slider, pressing Reset.
"""

from __future__ import annotations

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

from tradetalks.viz.levers import Levers, apply_levers, list_scenarios, parse_seed
from tradetalks.viz.macro import macro_option
from tradetalks.viz.network import NETWORK_DRAW_LIMIT, network_option
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


def test_untouched_levers_keep_the_scenarios_values(setup: AppSetup) -> None:
    label = "scenarios/patient_china.toml"
    scenario_cfg = resolve_config(setup.path_of(label))
    lv = setup.levers
    model = SessionModel(
        label,
        setup.seed,
        setup,
        lv.us_patience,
        lv.china_patience,
        lv.farm_aid_bn,
        SMALL_FARMS,
        lv.currency_threshold,
        lv.us_strategy,
        lv.china_strategy,
    )
    assert model.config.teams["china"].patience == scenario_cfg.teams["china"].patience
    moved = SessionModel(label, "7", setup, china_patience=0.96, farmers=SMALL_FARMS)
    assert moved.config.teams["china"].patience == 0.96
    assert moved.seed == 7


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
    assert "sample of 1,000 of 3,000" in option["title"][0]["subtext"]
    assert model.rng.bit_generator.state == state  # drawing never consumes the model's draws


def test_timeline_shows_every_offer_reservations_and_deals(ran: SessionModel) -> None:
    option = timeline_option(ran)
    history = ran.negotiation.history
    by_name = {s["name"]: s for s in option["series"]}
    for side, name in (("us", "US"), ("china", "China")):
        own = by_name[f"{name} utility, own offers"]["data"]
        others = by_name[f"{name} utility, other side's offers"]["data"]
        assert len(own) + len(others) == len(history)
        assert len(by_name[f"{name} reservation"]["data"]) == ran.steps + 1
        assert len(by_name[f"{name} utility, accepted"]["data"]) == sum(r.accepted for r in history)
        assert sorted(p[1] for p in own + others) == pytest.approx(
            sorted(round(r.utility[side], DIGITS) for r in history)
        )
    marks = option["series"][0]["markLine"]["data"]
    assert len(marks) == 1 + len(ran.negotiation.deals)
    assert all("week" in m["label"]["formatter"] for m in marks[1:])


def test_offer_table_lists_every_issue(setup: AppSetup, ran: SessionModel) -> None:
    fresh = SessionModel(setup=setup, farmers=SMALL_FARMS)
    assert offer_table(fresh).title == "No offer yet"
    view = offer_table(ran)
    assert [row[0] for row in view.rows] == [i.name for i in ran.space.issues]
    if ran.negotiation.deals:
        agreed = {}
        for deal in ran.negotiation.deals:
            agreed.update(deal.terms)
        assert {row[0]: row[3] for row in view.rows if row[0] in agreed} == agreed
    else:
        terms = ran.space.terms(ran.negotiation.history[-1].outcome)
        assert {row[0]: row[3] for row in view.rows} == {
            i.name: terms.get(i.name, "open") for i in ran.space.issues
        }
    assert "<script" not in table_html(view)


def test_macro_view_has_every_series_and_the_currency_line(ran: SessionModel) -> None:
    option = macro_option(ran)
    names = {s["name"] for s in option["series"]}
    assert {
        "US on China",
        "China on US",
        "soybean exports",
        "CNY/USD",
        "Fed rate",
        "farm approval",
    } <= names
    assert all(len(s["data"]) == ran.steps + 1 for s in option["series"])
    cny = next(s for s in option["series"] if s["name"] == "CNY/USD")
    assert cny["markLine"]["data"] == [{"yAxis": ran.config.world.pboc.threshold}]


def test_status_names_week_scenario_and_changed_levers(ran: SessionModel) -> None:
    lines = status_lines(ran)
    assert lines[0].startswith(f"Week {ran.horizon} of {ran.horizon}")
    assert "Scenario: baseline.toml" in lines[2]
    assert lines[-1] == "Changed from the scenario: farmers"


# --------------------------------------------------------------------------- the page
def _page():
    from tradetalks.viz.app import Layout, Page

    # as Solara serves the app: the module's Layout around its Page
    return solara.render(Layout(children=[Page()]), handle_error=False)


def _week_text(rc) -> str:
    return rc.find(v.Html, class_="tt-week").widget.children[0]


def _options(rc) -> list[dict]:
    return [w.option for w in rc.find(EchartsWidget).widgets]


def test_page_steps_and_resets_with_a_moved_slider() -> None:
    _, rc = _page()
    assert _week_text(rc).startswith("Week 0 of")
    charts_before = _options(rc)
    assert len(charts_before) == 3 and all(o.get("series") for o in charts_before)
    step = rc.find(v.Btn, children=["Step"])
    for _ in range(3):
        step.widget.click()
    assert _week_text(rc).startswith("Week 3 of")
    charts_after = _options(rc)
    assert all(a != b for a, b in zip(charts_before, charts_after, strict=True))

    farmers = rc.find(v.Slider, label="Number of farmers").widget
    farmers.v_model = 300
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _week_text(rc).startswith("Week 0 of")
    texts = [w.children[0] for w in rc.find(v.Html, tag="span").widgets if w.children]
    assert any("300 farmers" in t for t in texts)
    assert any(t == "Changed from the scenario: farmers" for t in texts)
    network = next(o for o in _options(rc) if "network" in str(o["title"]))
    assert len(network["series"][1]["data"]) == 300


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
