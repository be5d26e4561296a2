"""Runs on a space too large to enumerate keep only its frontiers (sim/frontier_rows.py,
issue 13): the enumerated space is the oracle, and a run on the kept rows must make the same
offers, decisions and deals with the same values, bit for bit."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import BASELINE, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.sim import frontier_rows as fr
from tradetalks.sim.config import ConfigError
from tradetalks.sim.config_schema import frontier_problem
from tradetalks.sim.issues import FrontierRows, OutcomeSpace, space_key
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.spaces import outcome_space

from tradetalks.testing import frontier_configs

SPACE_12X5 = ROOT / "benchmarks" / "configs" / "space_12x5.toml"
THEORY = "theory/nash_symmetric"


def trace(model: TradeTalksModel) -> tuple:
    """Every offer (week, proposer, terms, accepted, both utilities and walk-away values)
    and every deal, by terms: comparable across spaces that index outcomes differently."""
    sp = model.space
    offers = [
        (r.week, r.proposer, sp.terms(r.outcome), r.accepted, r.utility, r.reservation)
        for r in model.negotiation.history
    ]
    deals = [(d.week, sp.terms(d.outcome), d.utility) for d in model.negotiation.deals]
    return offers, deals


def both_runs(cfg, seed: int = 1) -> tuple[TradeTalksModel, TradeTalksModel]:
    """The same run on the enumerated space and on its frontier rows."""
    runs = []
    for space in (outcome_space(cfg), FrontierRows(cfg)):
        model = TradeTalksModel(config=cfg, rng=seed, space=space, farmer_agents=False)
        model.run()
        runs.append(model)
    return runs[0], runs[1]


def first_issues(k: int):
    """The 12-issue benchmark space cut to its first ``k`` issues (weights renormalised)."""
    cfg = resolve_config(SPACE_12X5)
    names = list(cfg.issues)[:k]
    over = {"issues": {n: cfg.issues[n].model_dump() for n in names}}
    for side, team in cfg.teams.items():
        ((role, member),) = team.members.items()
        w = {n: member.weights.get(n, 0.0) for n in names}
        total = sum(w.values())
        over[f"teams.{side}.members.{role}.weights"] = {n: v / total for n, v in w.items()}
    return resolve_config(SPACE_12X5, {**over, "run.weeks": 40})


# ------------------------------------------------------------------ runs against the oracle
@pytest.mark.parametrize("k", [4, 6, 7])
def test_a_run_on_the_frontier_rows_is_the_enumerated_run(k):
    cfg = first_issues(k)
    full, kept = both_runs(cfg)
    assert len(kept.space) < len(full.space) / 5  # it does keep few
    assert trace(full) == trace(kept)
    assert trace(full)[1], "the oracle run should reach a deal (else little is compared)"
    assert kept.summary()["deals"] == full.summary()["deals"]


def test_the_theory_scenario_on_its_frontiers_ends_where_the_enumerated_one_does():
    full, kept = both_runs(resolve_config(THEORY))
    assert trace(full) == trace(kept)
    assert kept.summary()["pareto_distance"] == full.summary()["pareto_distance"]


@settings(max_examples=25, deadline=None)
@given(cfg=frontier_configs(), seed=st.integers(0, 2**16))
def test_drawn_frontier_configs_run_alike_on_both_spaces(cfg, seed):
    full, kept = both_runs(cfg, seed)
    assert trace(full) == trace(kept)


# ------------------------------------------------------------------ the merge
def _tables(rng: np.random.Generator, sizes: list[int]) -> tuple[list, list]:
    return [rng.random(n) for n in sizes], [rng.random(n) for n in sizes]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
    grid=st.sampled_from([None, 4]),  # 4: values on a coarse grid, many exact ties
)
def test_the_merge_keeps_every_pick_a_frontier_strategy_can_make(sizes, seed, grid):
    """For every aspiration, the first outcome maximising b + 1e-9·a among those with
    a ≥ aspiration (the logrolling offer) is kept, and so is the exact Pareto frontier."""
    rng = np.random.default_rng(seed)
    ta, tb = _tables(rng, sizes)
    if grid:
        ta, tb = ([np.round(t * grid) / grid for t in ts] for ts in (ta, tb))
    kept = set(fr.margin_frontier(ta, tb).tolist())
    rows = list(itertools.product(*[range(n) for n in sizes]))
    a = np.array([sum(t[i] for t, i in zip(ta, r, strict=True)) for r in rows])
    b = np.array([sum(t[i] for t, i in zip(tb, r, strict=True)) for r in rows])
    for asp in np.unique(a):
        ok = np.flatnonzero(a >= asp)
        pick = int(ok[np.argmax(b[ok] + 1e-9 * a[ok])])
        assert pick in kept, (asp, rows[pick])
    beaten = [((a >= a[i]) & (b >= b[i]) & ((a > a[i]) | (b > b[i]))).any() for i in range(len(a))]
    assert {i for i, x in enumerate(beaten) if not x} <= kept


def test_the_merge_drops_what_is_beaten_on_both_utilities():
    """Two issues, positions (0,0) (0,1) (1,0) (1,1) with (a, b) = (0, .5) (.5, 0) (.5, 1)
    (1, .5): (1,0) beats (0,0) on both and (1,1) beats (0,1); the two left are kept."""
    ta = [np.array([0.0, 0.5]), np.array([0.0, 0.5])]
    tb = [np.array([0.0, 0.5]), np.array([0.5, 0.0])]
    assert fr.margin_frontier(ta, tb).tolist() == [2, 3]
    assert fr.margin_frontier(ta, tb, margin=0.6).tolist() == [0, 1, 2, 3]  # none by 0.6


# ------------------------------------------------------------------ the space and its config
def test_the_twelve_issue_space_is_its_frontiers_in_enumeration_order():
    cfg = resolve_config(SPACE_12X5)
    space = outcome_space(cfg)
    assert isinstance(space, FrontierRows) and space.full_size == 5**12
    assert len(space) < 5_000 and np.all(np.diff(space.positions) > 0)
    digits = np.array(np.unravel_index(space.positions, [5] * 12)).T
    assert np.array_equal(digits, space.levels)
    assert space.key == space_key(cfg)


def test_a_52_week_run_on_244_million_outcomes(tmp_path: Path):
    """``tradetalks run`` on the 12-issue space (issue 13's target: under 1 s, benchmarked
    in benchmarks/bench_space.py) plays to a deal on a few hundred rows."""
    out = subprocess.run(
        [sys.executable, "-m", "tradetalks", "run", str(SPACE_12X5), "--set", "run.weeks=52"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert "Deal: yes" in out


REFUSED = {
    "protocol.allow_interim": (True, "allow_interim"),
    "teams.us.members.lead.strategy": ({"kind": "random_acceptable"}, "random_acceptable"),
    "ratifiers": (
        {"senate": {"side": "us", "values": "us", "threshold": 0.2, "weights": {"a": 1.0}}},
        "ratifiers",
    ),
    "issues.a.on_agenda_from": ("2019-10-01", "agenda"),
}


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_a_run_that_could_pick_off_the_frontiers_is_refused_with_the_reason(key):
    value, reason = REFUSED[key]
    with pytest.raises(ConfigError) as exc:
        resolve_config(SPACE_12X5, {key: value})
    assert reason in str(exc.value) and "frontiers" in str(exc.value)


def test_the_baseline_cannot_run_on_frontiers_and_small_spaces_stay_enumerated():
    cfg = resolve_config(BASELINE)
    reason = frontier_problem(cfg)
    assert reason is not None
    assert "valuation" in frontier_problem(
        resolve_config(BASELINE, {"protocol.allow_interim": False})
    )
    assert type(outcome_space(resolve_config(THEORY))) is OutcomeSpace
    with pytest.raises(ValueError, match="cannot run on its frontiers"):
        FrontierRows(cfg)


def test_a_frontier_space_serves_only_the_teams_it_was_built_for():
    """The rows are the frontiers of the teams' utilities: a space built for other weights is
    refused by the model, and a sweep varying the teams builds one per setting."""
    from tradetalks.experiments.spaces import RunSpaces
    from tradetalks.sim.config import dump_config

    cfg = resolve_config(SPACE_12X5)
    w = {n: 1 / 12 for n in cfg.issues}
    other = resolve_config(SPACE_12X5, {"teams.us.members.lead.weights": w})
    assert space_key(other) != space_key(cfg)
    with pytest.raises(ValueError, match="another config"):
        TradeTalksModel(config=other, rng=1, space=outcome_space(cfg))
    spaces = RunSpaces(dump_config(cfg))
    varied = spaces.for_run({"teams.us.members.lead.weights": w})
    assert varied is not spaces.base and varied.key == space_key(other)
    assert spaces.for_run({"run.weeks": 30}) is spaces.base
    small = RunSpaces(dump_config(resolve_config(THEORY)))  # enumerated: teams do not shape it
    assert small.for_run({"teams.us.members.lead.weights": {"a": 0.5, "b": 0.5}}) is small.base


def test_a_sweep_that_enlarges_the_space_keys_it_by_the_teams_too():
    """Overrides that take a small base past the enumeration bound and vary the teams get a
    space per teams setting, each the one its run needs."""
    from tradetalks.experiments.spaces import RunSpaces
    from tradetalks.sim.config import dump_config

    big = resolve_config(SPACE_12X5)
    over = {"issues": dump_config(big)["issues"], "protocol.min_issues_in_deal": 1}
    for side in ("us", "china"):
        over[f"teams.{side}.members.lead.weights"] = dict(big.teams[side].members["lead"].weights)
    spaces = RunSpaces(dump_config(resolve_config(THEORY)))
    first = spaces.for_run(over)
    equal = {**over, "teams.us.members.lead.weights": {n: 1 / 12 for n in big.issues}}
    second = spaces.for_run(equal)
    assert isinstance(first, FrontierRows) and isinstance(second, FrontierRows)
    assert first.key == space_key(resolve_config(THEORY, over))
    assert second.key == space_key(resolve_config(THEORY, equal)) != first.key


def _tied(tmp_path: Path) -> Path:
    """The 12-issue space with opposed linear values and equal weights: every outcome ties
    on the frontiers, which hold all 244 million."""
    cfg = resolve_config(SPACE_12X5)
    lines = [f'extends = "{SPACE_12X5}"']
    up, down = "[0.0, 0.25, 0.5, 0.75, 1.0]", "[1.0, 0.75, 0.5, 0.25, 0.0]"
    for name, issue in cfg.issues.items():
        us, cn = (up, down) if issue.concedes == "china" else (down, up)
        lines += [f"[issues.{name}.values]", f"us = {us}", f"china = {cn}"]
    for side in ("us", "china"):
        lines.append(f"[teams.{side}.members.lead.weights]")
        lines += [f"{name} = {1 / 12!r}" for name in cfg.issues]
    path = tmp_path / "tied.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_frontiers_too_large_to_hold_are_refused_naming_why(tmp_path: Path):
    path = _tied(tmp_path)
    with pytest.raises(ConfigError, match="frontiers hold more than"):
        FrontierRows(resolve_config(path))
    for command in ("validate", "run"):
        res = subprocess.run(
            [sys.executable, "-m", "tradetalks", command, str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert res.returncode == 2 and "frontiers hold more than" in res.stderr, command
    ok = subprocess.run(
        [sys.executable, "-m", "tradetalks", "validate", str(SPACE_12X5)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "run on the 532 on its frontiers" in ok.stdout
