"""Outcomes in dollars (issue 12, deliverable 4): accounting identities on the week's trade
flows, their totals over a run, and the summary block (units in every key)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given
from hypothesis import strategies as st
from tradetalks.sim import dollars, dynamics
from tradetalks.sim.config import load_config
from tradetalks.sim.model import TradeTalksModel

CFG = load_config(BASELINE)
D, T, S = CFG.world.dollars, CFG.world.trade, CFG.world.soybeans
MARKET = 2.0  # $bn a year of soybeans in the tariff-driven flow (before purchases)


def state(us=21.2, imports=380.0, cn=21.8, cn_imports=100.0, soy=3.0):
    return {
        "us_tariff_avg": us,
        "us_imports_bn": imports,
        "cn_tariff_avg": cn,
        "cn_imports_bn": cn_imports,
        "soybean_exports_bn": soy,
    }


@given(
    us=st.floats(0.0, 60.0),
    imports=st.floats(1.0, 700.0),
    soy=st.floats(0.0, 40.0),
    excluded=st.floats(0.0, 1.0),
    pass_through=st.floats(0.0, 1.0),
)
def test_the_accounting_identities_hold(us, imports, soy, excluded, pass_through):
    d = D.model_copy(update={"excluded_share": excluded, "pass_through": pass_through})
    w = dollars.week_dollars(state(us=us, imports=imports, soy=soy), d, T, S, MARKET)
    above = max(us - T.us_tariff_base, 0.0)
    assert w.us_tariff_effective == pytest.approx(T.us_tariff_base + above * (1 - excluded))
    assert w.us_section301_duties_bn == pytest.approx(
        (w.us_tariff_effective - T.us_tariff_base) / 100 * imports, abs=1e-9
    )
    assert w.us_duties_bn == pytest.approx(w.us_tariff_effective / 100 * imports)
    assert w.us_importer_cost_bn == pytest.approx(pass_through * w.us_section301_duties_bn)
    assert 0.0 <= w.brazil_soy_share <= D.brazil_share_of_rest
    assert w.us_imports_diverted_bn >= 0.0


def test_each_coefficient_moves_its_outcome():
    """Switching a coefficient off changes exactly the outcome it names."""
    base = dollars.week_dollars(state(), D, T, S, MARKET)
    off = {
        "pass_through": ("us_importer_cost_bn", 0.0),
        "diversion_share": ("us_imports_diverted_bn", 0.0),
        "excluded_share": ("us_section301_duties_bn", 1.0),
    }
    for key, (field, value) in off.items():
        changed = dollars.week_dollars(state(), D.model_copy(update={key: value}), T, S, MARKET)
        assert getattr(changed, field) != getattr(base, field), key
    # at the January 2018 tariff nothing is collected above the base and nothing is diverted
    calm = dollars.week_dollars(
        state(us=T.us_tariff_base, imports=T.us_imports_base_bn), D, T, S, MARKET
    )
    assert calm.us_section301_duties_bn == 0.0 == calm.us_imports_diverted_bn
    # more US soybeans sold to China: a smaller Brazilian share
    more = dollars.week_dollars(state(soy=20.0), D, T, S, MARKET)
    assert more.brazil_soy_share < base.brazil_soy_share
    # purchases under a deal add to soybeans without taking from China's other US imports
    assert more.us_exports_nonsoy_bn == base.us_exports_nonsoy_bn


def test_a_run_reports_weekly_series_and_totals_in_dollars():
    model = TradeTalksModel(BASELINE, rng=3, overrides={"world.farmers.count": 150})
    model.run()
    ts = model.timeseries()
    weekly = ts["us_section301_duties_bn"].to_numpy(float)[1:]
    summary = model.summary()
    block = summary["dollars"]
    assert block["total_us_section301_duties_bn"] == pytest.approx(weekly.sum() / 52, abs=1e-5)
    assert all(k.endswith(("_bn", "_share", "_pct", "_bn_a_year")) for k in block)
    json.dumps(summary)  # plain JSON
    assert np.all(ts["brazil_soy_share"].between(0.0, 1.0))


def test_without_the_section_there_is_no_dollar_block():
    model = TradeTalksModel(
        BASELINE, rng=3, overrides={"world.farmers.count": 150, "world.dollars": None}
    )
    model.run()
    assert model.summary()["dollars"] is None
    assert (model.timeseries()["us_duties_bn"] == 0.0).all()


# ---------------------------------------------------------------- exports beyond soybeans
SECTOR_KEYS = ("energy", "aircraft", "farm_other", "manufactured_other")
NORMAL_NONSOY = T.cn_imports_base_bn - S.exports_normal_bn  # the flow at January 2018 tariffs


def sectors_at(cn_tariff: float, d=D, market=MARKET) -> dict[str, float]:
    """The week's sector exports when China's average tariff is ``cn_tariff`` (yuan at anchor)."""
    _, cn_imports = dynamics.trade_flows(T.us_tariff_base, cn_tariff, 1.0, T, 1.0)
    w = dollars.week_dollars(state(cn=cn_tariff, cn_imports=float(cn_imports)), d, T, S, market)
    return {k: getattr(w, f"us_exports_{k}_bn") for k in SECTOR_KEYS} | {
        "nonsoy": w.us_exports_nonsoy_bn
    }


@given(
    cn_imports=st.floats(0.0, 400.0),
    market=st.floats(0.0, 40.0),
    energy=st.floats(0.0, 1.0),
    aircraft=st.floats(0.0, 1.0),
    rest=st.floats(0.0, 1.0),
)
def test_the_sectors_add_up_to_the_non_soybean_exports(cn_imports, market, energy, aircraft, rest):
    d = D.model_copy(
        update={
            "energy_tariffed_share": energy,
            "aircraft_tariffed_share": aircraft,
            "manufactured_other_tariffed_share": rest,
        }
    )
    w = dollars.week_dollars(state(cn_imports=cn_imports), d, T, S, market)
    parts = [getattr(w, f"us_exports_{k}_bn") for k in SECTOR_KEYS]
    assert sum(parts) == pytest.approx(w.us_exports_nonsoy_bn, abs=1e-9)
    assert min(parts) >= -1e-9  # no sector below zero, even when the whole flow is gone


def test_a_chinese_tariff_increase_leaves_untariffed_exports_alone():
    """China's tariff up from its start to the ceiling: aircraft (untariffed) stay at their
    normal level while energy, other farm goods and manufactured goods fall; rolled back to the
    January 2018 tariff every sector is at its normal level."""
    before, after = sectors_at(T.cn_tariff_start), sectors_at(T.tariff_ceiling)
    assert after["nonsoy"] < before["nonsoy"]
    assert after["aircraft"] == before["aircraft"] == D.aircraft_normal_bn
    for k in ("energy", "farm_other", "manufactured_other"):
        assert after[k] < before[k] < getattr(D, f"{k}_normal_bn", np.inf), k
    normal = sectors_at(T.cn_tariff_base, market=S.exports_normal_bn)
    assert normal["nonsoy"] == pytest.approx(NORMAL_NONSOY)
    assert normal["energy"] == pytest.approx(D.energy_normal_bn)
    assert normal["farm_other"] == pytest.approx(D.farm_other_normal_bn)
    # switching the aircraft exemption off: aircraft fall with the rest
    taxed = D.model_copy(update={"aircraft_tariffed_share": 1.0})
    assert sectors_at(T.tariff_ceiling, taxed)["aircraft"] < D.aircraft_normal_bn


def test_the_fall_is_split_by_tariffed_normal_exports():
    """Each sector loses its share of the tariffed normal exports (config shares × levels)."""
    named = D.energy_normal_bn + D.aircraft_normal_bn + D.farm_other_normal_bn
    tariffed = {
        "energy": D.energy_normal_bn * D.energy_tariffed_share,
        "aircraft": D.aircraft_normal_bn * D.aircraft_tariffed_share,
        "farm_other": D.farm_other_normal_bn * D.farm_other_tariffed_share,
        "manufactured_other": (NORMAL_NONSOY - named) * D.manufactured_other_tariffed_share,
    }
    got = sectors_at(T.cn_tariff_start)
    fall = NORMAL_NONSOY - got["nonsoy"]
    assert 0 < fall < sum(tariffed.values())
    normal = {
        "energy": D.energy_normal_bn,
        "aircraft": D.aircraft_normal_bn,
        "farm_other": D.farm_other_normal_bn,
        "manufactured_other": NORMAL_NONSOY - named,
    }
    for k in SECTOR_KEYS:
        expected = normal[k] - fall * tariffed[k] / sum(tariffed.values())
        assert got[k] == pytest.approx(expected, rel=1e-12), k
    # crude ($4.4bn of $9bn, never tariffed) is the floor of energy exports
    assert D.energy_normal_bn * (1 - D.energy_tariffed_share) == pytest.approx(4.4, abs=0.01)


def test_a_run_reports_the_sectors_weekly_and_in_total():
    model = TradeTalksModel(BASELINE, rng=3, overrides={"world.farmers.count": 150})
    model.run()
    weeks = model.world.dollars[1:]
    block = model.summary()["dollars"]
    keys = [f"total_us_exports_{k}_bn" for k in SECTOR_KEYS]
    assert sum(block[k] for k in keys) == pytest.approx(block["total_us_exports_nonsoy_bn"])
    weekly = [w.us_exports_energy_bn for w in weeks]
    assert block["total_us_exports_energy_bn"] == pytest.approx(sum(weekly) / 52, abs=1e-5)
    assert {w.us_exports_aircraft_bn for w in weeks} == {D.aircraft_normal_bn}
    assert len({round(w.us_exports_manufactured_other_bn, 9) for w in weeks}) > 1
