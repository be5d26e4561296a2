"""The hostage value of tariffs (core-v2 §1 F): expected fulfilment φ̂(x) rises with the US pp
a deal keeps, counting scheduled hikes it lets fire, on a scale that a scheduled hike does not
change when ``hostage.max_pp`` is set."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from test_projector import snapshot
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import OPEN
from tradetalks.sim.projector import Projector
from tradetalks.sim.spaces import outcome_space

BASE = load_config(BASELINE)
SPACE = outcome_space(BASE)
US = SPACE.names.index("us_tariffs")
LEVELS = BASE.issues["us_tariffs"].levels


def _no_hike(cfg):
    """The week-1 snapshot with no US hike scheduled (none pending, none in the state)."""
    snap = snapshot(cfg, no_actions=True)
    return dataclasses.replace(snap, state={**snap.state, "us_threat_pp": 0.0})


def _phi(cfg, snap) -> np.ndarray:
    return Projector(cfg, SPACE).project(snap).hostage.phi(SPACE)


def _rows_by_us_level() -> dict[str, int]:
    """One row per US tariff level, every other issue as in the first row that covers it."""
    lv = SPACE.levels
    ref = lv[np.argmax(lv[:, US] != OPEN)]
    others = np.delete(np.arange(lv.shape[1]), US)
    same = np.all(lv[:, others] == ref[others], axis=1)
    return {LEVELS[k]: int(np.flatnonzero(same & (lv[:, US] == k))[0]) for k in range(len(LEVELS))}


ROWS = _rows_by_us_level()


def test_a_deal_that_lets_scheduled_hikes_fire_keeps_more_leverage():
    """Keeping the schedule > cancelling the October hike > cancelling both > full rollback:
    a cancelled hike is leverage given up, as a rolled-back one is."""
    phi = _phi(BASE, snapshot(p_fire=1.0))
    order = ["scheduled hikes", "cancel hikes", "cancel + suspend 4B", "full rollback"]
    values = [phi[ROWS[name]] for name in order]
    assert all(a > b for a, b in itertools.pairwise(values)), values
    assert phi[ROWS["delay hikes"]] == pytest.approx(phi[ROWS["scheduled hikes"]])


@pytest.mark.parametrize("level", ["cancel + suspend 4B", "also cut 4A"])
def test_with_max_pp_set_a_scheduled_hike_does_not_rescale_the_leverage_in_force(level):
    """A deal that cancels every scheduled hike keeps the same φ̂ whether hikes were scheduled or
    not when the scale is fixed; with the scale read from the week's schedule, scheduling a
    hike lowers it (the level effect of docs/MODEL.md §7.2)."""
    row = ROWS[level]
    fixed = load_config(BASELINE, {"hostage.max_pp": 25.35})
    assert _phi(fixed, snapshot(fixed))[row] == pytest.approx(
        _phi(fixed, _no_hike(fixed))[row], abs=1e-12
    )
    floating = load_config(BASELINE, {"hostage.max_pp": None})
    assert _phi(floating, snapshot(floating))[row] < _phi(floating, _no_hike(floating))[row] - 1e-3


@settings(max_examples=25, deadline=None)
@given(
    phi0=st.floats(0.0, 1.0),
    phi1=st.floats(0.0, 1.0),
    max_pp=st.one_of(st.none(), st.floats(0.5, 80.0)),
)
def test_phi_is_a_share_and_weakly_falls_as_the_us_gives_up_more(phi0, phi1, max_pp):
    phi1 = min(phi1, 1.0 - phi0)
    cfg = load_config(
        BASELINE, {"hostage.phi0": phi0, "hostage.phi1": phi1, "hostage.max_pp": max_pp}
    )
    phi = _phi(cfg, snapshot(cfg))
    assert np.all((phi >= 0.0) & (phi <= 1.0))
    order = [ROWS[name] for name in LEVELS if name != "delay hikes"]
    assert np.all(np.diff(phi[order]) <= 1e-12)
