"""The projector anticipates disputes (issue 12; ``valuation.anticipate_disputes``): a deal
whose projected deliveries fall below ``implementation.dispute_below`` is valued with the
chance that the US maker's remedial tariff unravels it (docs/MODEL.md §7.13)."""

from __future__ import annotations

import numpy as np
import pytest
from test_projector import SPACE, snapshot
from tradetalks.sim import projector_paths as pp
from tradetalks.sim.projector import Projector
from tradetalks.sim.projector_value import Batch
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate

# the scenario with the switch set either way here (the shipped file leaves it off: its runs
# are the monitoring tests' test bed, and with disputes anticipated they have none)
ENFORCEMENT = resolve_config(locate("scenarios/enforcement"))
SNAP = snapshot(ENFORCEMENT)  # week 1: China's soybean tariffs in force, US tariffs kept


def switched(on: bool, **implementation):
    """The enforcement scenario with the switch ``on`` (and implementation keys replaced)."""
    cfg = ENFORCEMENT
    val = cfg.valuation.model_copy(update={"anticipate_disputes": on})
    imp = cfg.implementation.model_copy(update=implementation)
    return cfg.model_copy(update={"valuation": val, "implementation": imp})


def deal(**terms: str) -> int:
    """The index of the deal with purchases of $30bn, every other issue as the space allows."""
    row = {
        "ag_purchases": "30",
        "us_tariffs": "full rollback",
        "cn_tariffs": "waive farm tariffs",
        **terms,
    }
    for issue in SPACE.issues:
        row.setdefault(issue.name, issue.levels[issue.status_quo + 1])
    return SPACE.index_of(row)


SHORT = deal()  # full rollback and China's soybean waiver: deliveries fall below the line
KEPT = deal(us_tariffs="also cut 4A", cn_tariffs="exemptions")  # deliveries above it


def test_anticipation_is_off_unless_set():
    from helpers import BASELINE
    from tradetalks.sim.config import load_config
    from tradetalks.sim.config_valuation import ValuationConfig

    assert not ValuationConfig().anticipate_disputes
    assert not load_config(BASELINE).valuation.anticipate_disputes


def test_a_deal_delivering_below_the_line_is_worth_less_to_the_us_with_disputes_anticipated():
    off = Projector(switched(False), SPACE).project(SNAP)
    on = Projector(switched(True), SPACE).project(SNAP)
    assert off.disputes is None and on.disputes is not None
    p = on.disputes.p_unravel(SPACE, False)
    assert p[SHORT] > 0.5 and p[KEPT] == 0.0
    g_off, g_on = off.gain("us", SPACE), on.gain("us", SPACE)
    print(f"US gain of the short deal: {g_off[SHORT]:.4f} off, {g_on[SHORT]:.4f} on")
    assert g_on[SHORT] < g_off[SHORT] - 0.05
    assert g_on[KEPT] == g_off[KEPT]
    for side in ("us", "china"):  # walk-away values see no deal, hence no dispute
        assert on.r[side] == off.r[side]
    # the next round's values carry the same risk
    assert (
        on.gain("us", SPACE, next_round=True)[SHORT] < off.gain("us", SPACE, next_round=True)[SHORT]
    )


def test_full_rollback_loses_more_against_keeping_tariffs_when_disputes_are_anticipated():
    """The hostage value of tariffs before signing: rolling back everything lowers deliveries
    below the line, so its value relative to keeping tariffs falls."""
    kept = deal(us_tariffs="also cut 4A")
    gaps = {}
    for on in (False, True):
        g = Projector(switched(on), SPACE).project(SNAP).gain("us", SPACE)
        gaps[on] = g[SHORT] - g[kept]
    assert gaps[True] < gaps[False] - 0.05


def test_an_unreachable_line_changes_no_value():
    """With a dispute line no delivery falls below, the switch changes nothing."""
    off = Projector(switched(False, dispute_below=0.0), SPACE).project(SNAP)
    on = Projector(switched(True, dispute_below=0.0), SPACE).project(SNAP)
    assert not np.any(on.disputes.p_unravel(SPACE, False))
    for side in ("us", "china"):
        np.testing.assert_allclose(on.gain(side, SPACE), off.gain(side, SPACE), atol=1e-12)


@pytest.mark.parametrize(("relations", "tolerance"), [(0.0, 1e-9), (0.06, 0.02)])
def test_the_projected_delivery_share_adds_up_across_issues(relations, tolerance):
    """The share delivered is linear in the soybean price before purchases and in the US
    tariff kept: the issues' own paths give the joint path's share (before the cap), exactly.
    With relations (the talks signal) the deal's own signal is on the any-deal path, but which
    announced actions still fire depends on the deal as a whole, so the sum is approximate
    (1 pp of the share here; docs/MODEL.md §7.13)."""
    cfg = switched(True, relations_weight=relations)
    proj = Projector(cfg, SPACE)
    val = proj.project(SNAP)
    q = {}
    for name in ("ag_purchases", "us_tariffs", "cn_tariffs"):
        issue = SPACE.issues[SPACE.names.index(name)]
        level = SPACE.levels[SHORT, SPACE.names.index(name)]
        q.update({k: float(v[level]) for k, v in issue.quantities.items()})
    batch = Batch(())
    batch.plan(0, q, True, exact=True)
    sim = pp.simulate(batch.specs, proj._context(SNAP, 4), 0)
    window = slice(1, 1 + cfg.implementation.review_weeks)
    joint = sim["ag_rate"][0, window].mean()
    d = val.disputes
    additive = d.rate0[0] + SPACE.additive(list(d.rate[0]))[SHORT]
    assert joint < cfg.implementation.dispute_below
    assert additive == pytest.approx(joint, abs=tolerance)


def test_on_the_remedial_path_the_deal_unravels_and_the_us_tariff_rises():
    cfg = switched(True)
    ctx = Projector(cfg, SPACE)._context(SNAP, 4)
    q = {"ag_extra_bn": 30.0, "us_cancel_scheduled": 1.0}
    specs = [
        pp.PathSpec(deal_week=0, quantities=q, any_deal=True),
        pp.PathSpec(deal_week=0, quantities=q, any_deal=True, unravel=(20, 7.5)),
    ]
    sim = pp.simulate(specs, ctx, 0)
    deal_flag, commit = sim["deal"], sim["commit"]
    assert np.all(deal_flag[0, :] == 1.0) and np.all(deal_flag[1, 20:] == 0.0)
    assert np.all(commit[1, 20:] == 0.0) and np.all(commit[1, :20] == 30.0)
    assert sim["us_tau"][1, 20] == pytest.approx(sim["us_tau"][0, 20] + 7.5)
