"""``tradetalks space`` on the factored concession space (issue 13) against its oracle, the
enumerated report (``sim.start`` + ``sim.analysis``): the same JSON, byte for byte, on the
baseline and the theory configs, on the path small spaces take (one streamed pass) and on
the path large ones take (the frontier merged issue by issue, counts met in the middle), and
without ever building the enumerated space."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import BASELINE, ROOT, SCENARIOS
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.start import starting_point
from typer.testing import CliRunner

from tradetalks.cli import app
from tradetalks.commands import space as sp

THEORY = sorted((ROOT / "configs" / "theory").glob("*.toml"))
SPACE_12X5 = ROOT / "benchmarks" / "configs" / "space_12x5.toml"
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
    assert _factored(cfg, cfg.run.seed) == _enumerated(cfg, cfg.run.seed)


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
