"""Issues are added, dropped or re-levelled by config alone; scenarios are overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import BASELINE, SCENARIOS, SMALL
from tradetalks.sim.config import ConfigError, load_config, read_raw
from tradetalks.sim.model import TradeTalksModel

STEEL = """
extends = "{base}"

[issues.steel]
description = "Section 232 steel tariffs (an issue nobody values)"
concedes = "us"
levels = ["keep", "quota", "remove"]
status_quo = "keep"
[issues.steel.values]
us = [1.0, 0.5, 0.0]
china = [0.0, 0.5, 1.0]
"""


def test_add_an_issue_by_config(tmp_path: Path):
    path = tmp_path / "steel.toml"
    path.write_text(STEEL.format(base=BASELINE.as_posix()))
    cfg = load_config(path, SMALL)
    assert "steel" in cfg.negotiable_issues()
    m = TradeTalksModel(config=cfg, rng=1)
    assert "steel" in m.space.names
    summary = m.run()
    assert summary["weeks"] == 52


def test_drop_an_issue_by_config():
    cfg = load_config(BASELINE, {**SMALL, "issues.huawei.negotiable": False})
    m = TradeTalksModel(config=cfg, rng=1)
    summary = m.run()
    assert "huawei" not in summary["terms"]


def test_relevel_an_issue_by_config():
    over = {
        **SMALL,
        "issues.ag_purchases.levels": ["0", "25", "50"],
        "issues.ag_purchases.status_quo": "0",
        "issues.ag_purchases.quantities": {"ag_extra_bn": [0.0, 25.0, 50.0]},
        "issues.ag_purchases.values": {
            "us": [0.0, 0.7, 1.0],
            "china": [1.0, 0.6, 0.2],
            "farmers": [0.0, 0.7, 1.0],
            "congress": [0.3, 0.5, 0.6],
            "leadership": [1.0, 0.6, 0.1],
        },
    }
    m = TradeTalksModel(config=BASELINE, rng=1, overrides=over)
    m.run()
    assert m.space.issues[0].levels == ("0", "25", "50")
    for deal in m.negotiation.deals:
        assert deal.terms.get("ag_purchases", "0") in {"0", "25", "50"}


def test_relevel_with_wrong_table_length_is_rejected():
    with pytest.raises(ConfigError) as exc:
        load_config(BASELINE, {"issues.ag_purchases.levels": ["0", "50"]})
    paths = [p for p, _ in exc.value.problems]
    assert "issues.ag_purchases" in paths


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_are_overrides_not_copies(path: Path):
    """A scenario file extends the baseline and is much shorter than it."""
    text = path.read_text()
    assert 'extends = "../baseline.toml"' in text
    assert len(text) < len(BASELINE.read_text()) / 4
    raw, base = read_raw(path), read_raw(BASELINE)
    assert raw != base


def test_scenarios_change_what_they_claim():
    base = load_config(BASELINE)
    scen = {p.stem: load_config(p) for p in SCENARIOS}
    assert scen["hawkish_us"].teams["us"].reservation.base > base.teams["us"].reservation.base
    assert scen["farm_crisis_no_aid"].calendar.farm_aid == []
    assert not scen["huawei_off_table"].issues["huawei"].negotiable
    assert len(SCENARIOS) >= 3


def test_farm_crisis_without_aid_hurts_farmers():
    over = {**SMALL, "run.weeks": 30}
    base = TradeTalksModel(config=BASELINE, rng=4, overrides=over)
    crisis = TradeTalksModel(
        config=Path(BASELINE.parent / "scenarios" / "farm_crisis_no_aid.toml"),
        rng=4,
        overrides=over,
    )
    base.run()
    crisis.run()
    assert crisis.world.state.farm_aid_paid_bn == 0 < base.world.state.farm_aid_paid_bn
    df_b, df_c = base.timeseries(), crisis.timeseries()
    assert df_c["farm_income_index"].mean() < df_b["farm_income_index"].mean()


def test_baseline_outcomes_vary_across_seeds():
    """The model is not a script: 20 seeds give different deal weeks or terms."""
    results = set()
    for seed in range(1, 21):
        s = TradeTalksModel(config=BASELINE, rng=seed).run()
        results.add((s["deal"], s["deal_week"], tuple(sorted(s["terms"].items()))))
    assert len(results) >= 3
    assert len({r[1] for r in results}) >= 2, "deal weeks differ across seeds"
