"""``tradetalks space`` on the factored concession space (issue 13) against its oracle, the
enumerated report (``sim.start`` + ``sim.analysis``): the same JSON, byte for byte, on the
baseline and the theory configs, on the path small spaces take (one streamed pass) and on
the paths large ones take (the frontier merged issue by issue, counts met in the middle; for
core v2's values, which are not sums, its search issue by issue), and without ever building
the enumerated space."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import BASELINE, ROOT, SCENARIOS
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.start import starting_point
from typer.testing import CliRunner

from tradetalks.cli import app
from tradetalks.commands import space as sp

THEORY = sorted((ROOT / "configs" / "theory").glob("*.toml"))
SPACE_12X5 = ROOT / "benchmarks" / "configs" / "space_12x5.toml"
BASELINE_12 = ROOT / "benchmarks" / "configs" / "baseline_12.toml"
JOINT = ROOT / "configs" / "scenarios" / "implementation.toml"  # jointly valued issues


def _enumerated(cfg, seed: int) -> str:
    return json.dumps(sp.bargaining_space(starting_point(cfg, seed)).report())


def _factored(cfg, seed: int) -> str:
    return json.dumps(sp.factored_report(sp.week0(cfg, seed)))


def _six_issues(tmp_path: Path) -> Path:
    """Six issues of 5 levels that may be left open (6^6 points, min 2 issues a deal) and a
    body on each side: values, win-sets and counts of every kind the large path meets."""
    rng = np.random.default_rng(6)
    body = [f'extends = "{(ROOT / "configs/theory/nash_symmetric.toml").as_posix()}"']
    body += ["[protocol]", "allow_interim = true", "min_issues_in_deal = 2"]
    names = list("abcdef")
    for k, n in enumerate(names):
        up = [0.0, *np.round(np.sort(rng.random(3)), 3).tolist(), 1.0]
        us, cn = (up, up[::-1]) if k % 2 == 0 else (up[::-1], up)
        body += [f"[issues.{n}]", f'concedes = "{"china" if k % 2 == 0 else "us"}"']
        body += ['levels = ["0", "1", "2", "3", "4"]', 'status_quo = "0"']
        body += [f"[issues.{n}.values]", f"us = {us}", f"china = {cn}"]
    for side in ("us", "china"):
        w = np.round(rng.dirichlet(np.ones(6)), 3)
        w[-1] = round(1 - w[:-1].sum(), 3)
        body += [f"[teams.{side}.reservation]", "base = 0.3"]
        body += [f"[teams.{side}.members.lead.weights]"]
        body += [f"{n} = {x}" for n, x in zip(names, w.tolist(), strict=True)]
        body += [f"[ratifiers.body_{side}]", f'side = "{side}"', f'values = "{side}"']
        body += ["base = 0.4", "threshold = 0.3", "threshold_sd = 0.05"]
        body += [f"[ratifiers.body_{side}.weights]", "a = 0.5", "d = 0.5"]
    path = tmp_path / "six.toml"
    path.write_text("\n".join(body) + "\n")
    return path


@pytest.mark.parametrize(
    ("config", "seed"),
    [(BASELINE, 1), (BASELINE, 7), *((p, 1) for p in [*THEORY, *SCENARIOS])],
    ids=lambda x: x.stem if isinstance(x, Path) else str(x),
)
def test_the_factored_report_is_the_enumerated_report(config, seed):
    cfg = load_config(config)
    assert _factored(cfg, seed) == _enumerated(cfg, seed)


@pytest.mark.parametrize("config", [BASELINE, JOINT, *THEORY], ids=lambda p: p.stem)
def test_the_large_space_path_is_the_enumerated_report(config, monkeypatch):
    """Forced onto the path of spaces above ``STREAM_LIMIT``: merged frontier, hostage issues,
    Congress's pressure, retained tariffs and jointly valued issues carried as sums, counts
    met in the middle (the additive theory configs) or streamed (the others)."""
    monkeypatch.setattr(sp, "STREAM_LIMIT", 0)
    cfg = load_config(config)
    report = sp.factored_report(sp.week0(cfg, cfg.run.seed), search=False)
    assert json.dumps(report) == _enumerated(cfg, cfg.run.seed)


@pytest.mark.parametrize(
    ("config", "seed"),
    [(BASELINE, 1), (BASELINE, 7), *((p, 1) for p in SCENARIOS)],
    ids=lambda x: x.stem if isinstance(x, Path) else str(x),
)
def test_core_v2_searched_issue_by_issue_is_the_enumerated_report(config, seed, monkeypatch):
    """The path of large core-v2 spaces: the frontier among ``factored_rounds.ratified``'s
    candidates, individually rational outcomes counted with the coupled issues combined."""
    monkeypatch.setattr(sp, "STREAM_LIMIT", 0)
    cfg = load_config(config)
    w0 = sp.week0(cfg, seed)
    assert sp.search_problem(w0) is None
    assert json.dumps(sp.factored_report(w0, search=True)) == _enumerated(cfg, seed)


@pytest.mark.parametrize(
    "overrides",
    [
        {"protocol.allow_interim": False},  # every issue covered: no outcome left out first
        {"protocol.allow_interim": False, "issues.huawei.negotiable": False},  # one issue open
    ],
    ids=["no_interim", "no_interim_one_off_the_table"],
)
def test_the_search_on_whole_deals_is_the_enumerated_report(overrides, monkeypatch):
    monkeypatch.setattr(sp, "STREAM_LIMIT", 0)
    cfg = load_config(BASELINE, overrides)
    assert json.dumps(sp.factored_report(sp.week0(cfg, 1), search=True)) == _enumerated(cfg, 1)


@settings(max_examples=8, deadline=None)
@given(
    weight=st.sampled_from([0.0, 0.2, 1.0, 3.0]),
    congress=st.floats(0.2, 0.9),
    leadership=st.floats(0.2, 0.9),
    seed=st.integers(0, 50),
)
def test_counts_issue_by_issue_are_the_streamed_counts(weight, congress, leadership, seed):
    """Congress's pressure (a maximum of two sums: one count threshold per subset of its
    bodies), and the win-sets, counted as the product streamed outcome by outcome counts."""
    overrides = {
        "ratifiers.congress.pressure_weight": weight,
        "ratifiers.congress.threshold": congress,
        "ratifiers.leadership.threshold": leadership,
    }
    w0 = sp.week0(load_config(BASELINE, overrides), seed)
    fs, _ = sp.factored_space(w0)
    assert sp.searched(w0, fs)[1:] == sp.streamed(w0, fs, False)[1:]


def test_congress_pressure_moves_the_count_issue_by_issue():
    """The count reads the pressure: a heavier one leaves fewer outcomes individually
    rational, as the stream counts them."""
    got = []
    for weight in (0.0, 1.0):
        w0 = sp.week0(load_config(BASELINE, {"ratifiers.congress.pressure_weight": weight}), 1)
        fs, _ = sp.factored_space(w0)
        counted = sp.searched(w0, fs)[2]
        assert counted == sp.streamed(w0, fs, False)[2]
        got.append(counted)
    assert got[1] < got[0]


def test_what_the_search_issue_by_issue_cannot_value():
    theory = sp.week0(load_config(THEORY[0]), 1)
    assert "[valuation] is not set" in sp.search_problem(theory)
    votes = {"issues.us_tariffs.needs_legislation": [False] + [True] * 5}
    w0 = sp.week0(load_config(BASELINE, votes), 1)
    assert "ratifiers.congress votes on legislation that us_tariffs" in sp.search_problem(w0)
    two = sp.week0(load_config(BASELINE, {"protocol.min_issues_in_deal": 2}), 1)
    assert "min_issues_in_deal is 2" in sp.search_problem(two)


def test_too_many_coupled_issues_are_refused_by_name(monkeypatch):
    from tradetalks.sim import config_schema

    w0 = sp.week0(load_config(BASELINE), 1)
    monkeypatch.setattr(config_schema, "MAX_COUPLED", 244)  # the baseline couples 245
    problem = sp.search_problem(w0)
    assert "ag_purchases, us_tariffs, ip_tech" in problem and "245" in problem


def test_win_sets_and_open_issues_on_the_large_space_path(tmp_path, monkeypatch):
    monkeypatch.setattr(sp, "STREAM_LIMIT", 0)
    cfg = load_config(_six_issues(tmp_path))
    report = json.loads(_factored(cfg, 3))
    assert 0 < report["individually_rational"] < report["feasible"] < report["outcomes"]
    assert _factored(cfg, 3) == _enumerated(cfg, 3)


def test_the_baseline_needs_the_sums_that_are_not_additive():
    """Without the hostage issues' gains, Congress's support and the retained tariffs carried
    through the merge, the baseline's merged candidates miss frontier points."""
    cfg = load_config(BASELINE)
    w0 = sp.week0(cfg, 1)
    fs, additive = sp.factored_space(w0)
    assert not additive and fs.monotone and fs.grouping
    full = sp.factored_frontier(w0, fs)
    bare = sp.factored_frontier(w0, replace(fs, monotone=(), grouping=()))
    assert set(full.position.tolist()) != set(bare.position.tolist())


def test_the_command_prints_the_enumerated_json(tmp_path):
    cfg = load_config(BASELINE)
    res = CliRunner().invoke(app, ["space", str(BASELINE), "--seed", "3", "--json"])
    assert res.exit_code == 0, res.output
    expected = json.loads(_enumerated(cfg, 3))
    assert json.loads(res.stdout) == {**expected, "seed": 3}


def test_twelve_issues_of_five_levels_without_enumerating(monkeypatch):
    """244,140,625 outcomes: the command never builds an ``OutcomeSpace`` (a ``Rows`` of
    candidates is not one built from the product), and its Nash point is on its frontier."""

    def refuse(*args, **kwargs):
        raise AssertionError("the outcome space was enumerated")

    monkeypatch.setattr(OutcomeSpace, "__init__", refuse)
    res = CliRunner().invoke(app, ["space", str(SPACE_12X5), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["outcomes"] == report["feasible"] == 5**12
    # counted outcome by outcome once (benchmarks/bench_space.py --exact, 525 s): the same
    assert report["individually_rational"] == 127_752_193
    assert report["nash"]["index"] in [p["index"] for p in report["frontier"]]
    assert len(report["nash"]["terms"]) == 12


def test_distinct_drops_repeated_and_empty_columns_in_order():
    a, b = (np.array([0.0, 1.0]), np.array([2.0])), (np.array([1.0, 0.0]), np.array([0.0]))
    zero = (np.zeros(2), np.zeros(1))
    got = sp.distinct([zero, a, a, zero, b, a, b])
    assert len(got) == 2 and got[0] is a and got[1] is b


def test_the_twelve_issue_baseline_without_enumerating(monkeypatch):
    """762,047,999 core-v2 outcomes (values that are not sums): the frontier and counts come
    from the search issue by issue, never from an ``OutcomeSpace`` or a streamed product."""

    def refuse(*args, **kwargs):
        raise AssertionError("the outcome space was enumerated or streamed")

    monkeypatch.setattr(OutcomeSpace, "__init__", refuse)
    monkeypatch.setattr(sp, "streamed", refuse)
    res = CliRunner().invoke(app, ["space", str(BASELINE_12), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["outcomes"] == 762_047_999
    # counted outcome by outcome once (benchmarks/bench_space.py --exact-v2, 1,810 s): the same
    assert report["feasible"] == 506_373_119
    assert report["individually_rational"] == 403_927_051
    assert len(report["frontier"]) == 1156
    frontier = [p["index"] for p in report["frontier"]]
    assert report["nash"]["index"] in frontier
    assert report["kalai_smorodinsky"]["index"] in frontier


def test_a_large_space_the_search_cannot_value_is_refused_with_its_reason():
    votes = "issues.us_tariffs.needs_legislation=[false,true,true,true,true,true]"
    res = CliRunner().invoke(app, ["space", str(BASELINE_12), "--set", votes])
    assert res.exit_code == 2
    assert "counted outcome by outcome" in res.output
    assert "ratifiers.congress votes on legislation" in res.output
