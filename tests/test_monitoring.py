"""After the signature, with teeth (issue 12): reviews, disputes, remedial tariffs and
unravelling (sim/monitoring.py; configs/scenarios/enforcement.toml)."""

from __future__ import annotations

import pytest
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate

ENFORCEMENT = locate("scenarios/enforcement")
IMPLEMENTATION = locate("scenarios/implementation")
# seeds where the enforcement scenario's US maker announced a remedial tariff (seed 10: one
# fires in week 36 and the deal unravels; talks re-sign in week 51)
REMEDIAL_SEEDS = (6, 10, 13)
UNRAVEL_SEED = 13


def _run(config, seed: int, overrides: dict | None = None) -> dict:
    cfg = resolve_config(config, overrides)
    return TradeTalksModel(cfg, rng=seed, collect_series=False).run()


def _remedials(summary: dict) -> int:
    return sum(d["remedial"] is not None for d in summary["monitoring"]["disputes"])


def test_a_fired_remedial_tariff_unravels_the_deal_and_talks_sign_again():
    on = _run(ENFORCEMENT, UNRAVEL_SEED)
    off = _run(IMPLEMENTATION, UNRAVEL_SEED)
    (week,) = on["monitoring"]["unravelled_weeks"]
    assert off["monitoring"] == {"disputes": [], "unravelled_weeks": []}
    # without monitoring the first agreement stands; with it a later one is signed anew
    assert [d["week"] for d in on["deals"]][-1] > week
    assert [d["week"] for d in off["deals"]] != [d["week"] for d in on["deals"]]
    assert on["escalations"] > off["escalations"]  # the remedial tariff fired


def test_unravelling_reopens_every_issue_from_the_tariffs_in_force():
    cfg = resolve_config(ENFORCEMENT)
    model = TradeTalksModel(cfg, rng=UNRAVEL_SEED, collect_series=False)
    while not model.negotiation.deals:
        model.step()
    tariff_before = model.world.state.us_tariff_avg
    assert model.negotiation.agreed and model.world.state.deal_in_force
    model.monitor.unravel(model.steps)
    neg, st = model.negotiation, model.world.state
    assert neg.agreed == {} and not neg.done and neg.phase == "talks reopened"
    assert neg.available.any()
    assert not st.deal_in_force and st.ag_commitment_bn == 0.0
    assert st.us_tariff_avg == tariff_before  # the status quo is what is in force
    assert not any(maker.bound for maker in model.tariffs.makers.values())
    assert [e.kind for e in neg.events[-2:]] == ["unravel", "unravel"]


def test_the_us_makers_shortfall_weight_drives_the_remedial_tariffs():
    weighted = sum(_remedials(_run(ENFORCEMENT, s)) for s in REMEDIAL_SEEDS)
    unweighted = sum(
        _remedials(_run(ENFORCEMENT, s, {"makers.us.remedial_weight": 0.0})) for s in REMEDIAL_SEEDS
    )
    assert weighted >= len(REMEDIAL_SEEDS)
    assert unweighted < weighted


def test_a_remedial_tariff_frees_chinas_maker_to_answer():
    cfg = resolve_config(ENFORCEMENT)
    model = TradeTalksModel(cfg, rng=UNRAVEL_SEED, collect_series=False)
    while not model.negotiation.deals:
        model.step()
    assert model.tariffs.makers["china"].bound  # the deal covered China's tariffs
    while not model.monitor.remedial:
        assert model.running, "the seed's remedial tariff never came"
        model.step()
    assert not model.tariffs.makers["china"].bound


@pytest.mark.parametrize("seed", [4, UNRAVEL_SEED])
def test_disputes_only_below_the_line_and_an_unreachable_line_changes_nothing(seed):
    on = _run(ENFORCEMENT, seed)
    line = resolve_config(ENFORCEMENT).implementation.dispute_below
    assert on["monitoring"]["disputes"]
    assert all(d["share"] < line for d in on["monitoring"]["disputes"])
    # a line no quarter falls below: no dispute, and the run is the implementation run
    # (the monitoring stream moves no other draw: common random numbers)
    quiet = _run(ENFORCEMENT, seed, {"implementation.dispute_below": 0.0})
    plain = _run(IMPLEMENTATION, seed)
    assert quiet["monitoring"]["disputes"] == []
    quiet.pop("monitoring"), plain.pop("monitoring")
    assert quiet == plain
