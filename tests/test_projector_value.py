"""The projector's value terms as pure functions (sim/projector_value.py): the under-fire
factor of irreversibility, which deal terms cancel scheduled actions, and the hostage value's
expected fulfilment φ̂(x). Each is checked against its formula written out here."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import BASELINE
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import Issue, OutcomeSpace
from tradetalks.sim.projector_value import HostageTerm, cancels, under_fire_factor

IRR = load_config(BASELINE).irreversibility
H = IRR.under_fire_half_life_weeks


def hike(side: str, weeks_ahead: int, p: float, pp: float = 5.0) -> SimpleNamespace:
    return SimpleNamespace(side=side, tariff_pp=pp, weeks_ahead=weeks_ahead, p_fire=p)


def test_the_under_fire_cost_halves_every_half_life_since_the_last_hike():
    assert H > 0
    for since, start in ((0, 0), (3, 0), (3, 4), (10, 2)):
        want = 2.0 ** (-(since + start) / H)
        assert under_fire_factor(since, [], "china", start, IRR) == pytest.approx(want)
    assert under_fire_factor(math.inf, [], "china", 4, IRR) == 0.0  # never hit: no cost


def test_hikes_due_before_the_deal_count_by_their_probability_to_fire():
    """A deal ``start`` weeks ahead is under the fire of the opponent's hikes due before it,
    each weighted by its p_fire (capped at 1 in total); the rest of the weight keeps the
    decay from the last hike that did fire."""
    actions = [
        hike("us", 2, 0.6),
        hike("us", 1, 0.3),
        hike("china", 1, 0.9),  # one's own hike: not under fire
        hike("us", 1, 0.9, pp=0.0),  # no tariff
        hike("us", 4, 0.9),  # due at the deal's week or later: the deal comes first
    ]
    start, since = 4, 6
    p = 0.6 + 0.3
    want = (1 - p) * 2.0 ** (-(since + start) / H) + 0.6 * 2.0 ** (-(start - 2) / H)
    want += 0.3 * 2.0 ** (-(start - 1) / H)
    assert under_fire_factor(since, actions, "china", start, IRR) == pytest.approx(want)
    sure = [hike("us", 2, 0.8), hike("us", 3, 0.7)]  # P > 1 in sum: capped, no negative weight
    got = under_fire_factor(since, sure, "china", start, IRR)
    assert got == pytest.approx(0.8 * 2.0 ** (-2 / H) + 0.7 * 2.0 ** (-1 / H))


@pytest.mark.parametrize(("side", "p"), [("us", "us"), ("china", "cn")])
def test_which_deal_terms_cancel_a_sides_scheduled_actions(side, p):
    assert not cancels({}, side)
    assert cancels({f"{p}_cancel_scheduled": 1.0}, side)
    assert cancels({f"{p}_cancel_scheduled": 0.5}, side)
    assert not cancels({f"{p}_cancel_scheduled": 0.4}, side)
    assert cancels({f"{p}_tariff_avg": 10.0}, side)  # a legacy level sets the tariff outright
    assert not cancels({f"{p}_tariff_avg": 10.0, f"{p}_keeps_schedule": 1.0}, side)
    other = "cn" if p == "us" else "us"
    assert not cancels({f"{other}_cancel_scheduled": 1.0, f"{other}_tariff_avg": 1.0}, side)


def _space() -> OutcomeSpace:
    def issue(name: str, n: int) -> Issue:
        return Issue(name, tuple(map(str, range(n))), 0, "us", True, {"us": np.zeros(n)}, {})

    return OutcomeSpace([issue("tariffs", 3), issue("huawei", 2)], allow_interim=True)


@pytest.mark.parametrize(
    ("phi0", "phi1", "retained", "max_pp"),
    [(0.5, 0.5, 10.0, 10.0), (0.2, 1.0, 8.0, 16.0), (-0.3, 0.5, 10.0, 10.0), (0.2, 0.3, 4.0, 0.0)],
)
def test_expected_fulfilment_follows_the_us_pp_a_deal_retains(phi0, phi1, retained, max_pp):
    """φ̂(x) = clip(φ0 + φ1·max(0, retained − pp x gives up)/max pp, 0, 1), and φ0 + φ1 when
    there is no scale (max pp = 0)."""
    space = _space()
    cuts = (np.array([0.0, 6.0, 12.0]), np.array([0.0, 0.0]))  # tariffs: pp given up per level
    term = HostageTerm(phi0, phi1, frozenset({0, 1}), cuts, retained, max_pp)
    given_up = space.additive([cuts[0], None])
    share = np.maximum(retained - given_up, 0.0) / max_pp if max_pp > 0 else 1.0
    want = np.clip(phi0 + phi1 * share, 0.0, 1.0)
    got = term.phi(space)
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert np.all((got >= 0) & (got <= 1)) and term.phi(space) is got  # kept for the space
    if retained < 12.0 and max_pp > 0:
        assert got.min() == pytest.approx(max(0.0, phi0))  # all given up: no leverage left
