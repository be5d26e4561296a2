"""Bargaining analysis against brute force, and metamorphic properties."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tradetalks.sim import analysis as an
from tradetalks.sim.issues import Issue, OutcomeSpace

from tradetalks.testing.negotiation import payoff_tables, small_spaces, weight_vectors

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-12


# --------------------------------------------------------------------------- brute force
def brute_pareto(u1, u2, mask=None):
    n = len(u1)
    m = np.ones(n, bool) if mask is None else mask
    out = set()
    for i in range(n):
        if not m[i]:
            continue
        dominated = any(
            m[j] and u1[j] >= u1[i] and u2[j] >= u2[i] and (u1[j] > u1[i] or u2[j] > u2[i])
            for j in range(n)
        )
        if not dominated:
            out.add(i)
    return out


def pareto_among(u1, u2, indices):
    """Brute-force Pareto set among the given outcomes only."""
    mask = np.zeros(len(u1), bool)
    mask[list(indices)] = True
    return brute_pareto(u1, u2, mask)


def brute_rational(u1, u2, r):
    return [i for i in range(len(u1)) if u1[i] >= r[0] and u2[i] >= r[1]]


@PROPS
@given(payoff_tables())
def test_pareto_frontier_matches_brute_force(table):
    u1, u2, _ = table
    assert set(an.pareto_frontier(u1, u2).tolist()) == brute_pareto(u1, u2)


@PROPS
@given(payoff_tables(), st.data())
def test_pareto_frontier_respects_mask(table, data):
    u1, u2, _ = table
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(u1), max_size=len(u1))))
    assert set(an.pareto_frontier(u1, u2, mask).tolist()) == brute_pareto(u1, u2, mask)


@PROPS
@given(payoff_tables())
def test_nash_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.nash_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    best = max((u1[i] - r[0]) * (u2[i] - r[1]) for i in ir)
    assert x in ir
    assert (u1[x] - r[0]) * (u2[x] - r[1]) == pytest.approx(best, abs=EPS)
    # the Nash point is Pareto-optimal among the rational outcomes
    assert x in pareto_among(u1, u2, ir)


@PROPS
@given(payoff_tables())
def test_kalai_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.kalai_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    i1, i2 = max(u1[i] for i in ir), max(u2[i] for i in ir)

    def gain(i):
        g1 = (u1[i] - r[0]) / (i1 - r[0]) if i1 > r[0] else 1.0
        g2 = (u2[i] - r[1]) / (i2 - r[1]) if i2 > r[1] else 1.0
        return min(g1, g2)

    best = max(gain(i) for i in ir)
    assert x in ir
    assert gain(x) == pytest.approx(best, abs=EPS)
    assert x in pareto_among(u1, u2, ir)


@PROPS
@given(payoff_tables())
def test_welfare_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.welfare_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    assert u1[x] + u2[x] == pytest.approx(max(u1[i] + u2[i] for i in ir), abs=EPS)


@PROPS
@given(payoff_tables(), st.data())
def test_pareto_distance_is_zero_on_the_frontier_and_positive_off_it(table, data):
    u1, u2, _ = table
    i = data.draw(st.integers(0, len(u1) - 1))
    d = an.pareto_distance((u1[i], u2[i]), u1, u2)
    front = brute_pareto(u1, u2)
    if i in front:
        assert d == 0.0
    else:
        brute = min(np.hypot(u1[j] - u1[i], u2[j] - u2[i]) for j in front)
        assert d == pytest.approx(brute, abs=EPS) and d > 0


# --------------------------------------------------------------------------- metamorphic
@PROPS
@given(
    payoff_tables(),
    st.sampled_from([0.25, 0.5, 2.0, 4.0]),
    st.integers(-4, 4),
    st.sampled_from([0.25, 0.5, 2.0, 4.0]),
    st.integers(-4, 4),
)
def test_affine_rescaling_changes_nothing_it_should_not(table, a1, b1, a2, b2):
    """Positive affine maps of each side's utility (and reservation) leave the frontier,
    the Nash and Kalai points unchanged (Nash's and Kalai's scale invariance); exact here
    because utilities are multiples of 1/16 and the maps dyadic."""
    u1, u2, r = table
    s1, s2 = b1 / 16, b2 / 16
    v1, v2 = a1 * u1 + s1, a2 * u2 + s2
    q = (a1 * r[0] + s1, a2 * r[1] + s2)
    assert set(an.pareto_frontier(v1, v2).tolist()) == set(an.pareto_frontier(u1, u2).tolist())
    assert an.nash_point(v1, v2, q) == an.nash_point(u1, u2, r)
    assert an.kalai_point(v1, v2, q) == an.kalai_point(u1, u2, r)


@PROPS
@given(payoff_tables(), st.randoms(use_true_random=False))
def test_reordering_outcomes_changes_nothing_but_indices(table, rnd):
    u1, u2, r = table
    perm = list(range(len(u1)))
    rnd.shuffle(perm)
    p = np.array(perm)
    v1, v2 = u1[p], u2[p]
    front = set(p[an.pareto_frontier(v1, v2)].tolist())
    assert front == set(an.pareto_frontier(u1, u2).tolist())
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        if a is None:
            assert b is None
        else:  # same utility pair (ties may pick another outcome with the same utilities)
            assert (u1[a], u2[a]) == (v1[b], v2[b])


def _utilities(space, w_us, w_cn):
    return space.utility("us", w_us), space.utility("china", w_cn)


def _relabel(space: OutcomeSpace, j: int, perm: list[int]) -> OutcomeSpace:
    """The same space with issue j's levels listed in another order (values permuted along)."""
    issues = list(space.issues)
    iss = issues[j]
    inv = {old: new for new, old in enumerate(perm)}
    issues[j] = dataclasses.replace(
        iss,
        levels=tuple(iss.levels[k] for k in perm),
        status_quo=inv[iss.status_quo],
        values={k: v[perm] for k, v in iss.values.items()},
    )
    interim = bool((space.levels == -1).any())
    return OutcomeSpace(issues, allow_interim=interim)


@settings(max_examples=60, deadline=None)
@given(small_spaces(), st.data())
def test_relabelling_levels_changes_nothing_it_should_not(space, data):
    w_us = data.draw(weight_vectors(space.n_issues))
    w_cn = data.draw(weight_vectors(space.n_issues))
    r = (data.draw(st.integers(0, 8)) / 16, data.draw(st.integers(0, 8)) / 16)
    j = data.draw(st.integers(0, space.n_issues - 1))
    perm = data.draw(st.permutations(range(space.issues[j].n_levels)))
    other = _relabel(space, j, list(perm))
    u1, u2 = _utilities(space, w_us, w_cn)
    v1, v2 = _utilities(other, w_us, w_cn)

    def terms(sp, idx):
        return {tuple(sorted(sp.terms(int(i)).items())) for i in idx}

    assert terms(space, an.pareto_frontier(u1, u2)) == terms(other, an.pareto_frontier(v1, v2))
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        assert (a is None) == (b is None)
        if a is not None:
            assert (
                an.tidy(np.array([u1[a], u2[a]])).tolist()
                == an.tidy(np.array([v1[b], v2[b]])).tolist()
            )


@settings(max_examples=60, deadline=None)
@given(small_spaces(max_issues=2), st.data())
def test_adding_an_issue_nobody_values_changes_nothing_it_should_not(space, data):
    w_us = data.draw(weight_vectors(space.n_issues))
    w_cn = data.draw(weight_vectors(space.n_issues))
    r = (data.draw(st.integers(0, 8)) / 16, data.draw(st.integers(0, 8)) / 16)
    dummy = Issue(
        name="nobody_cares",
        levels=("x", "y", "z"),
        status_quo=0,
        concedes="us",
        negotiable=True,
        values={"us": np.zeros(3), "china": np.zeros(3)},
        quantities={},
    )
    interim = bool((space.levels == -1).any())
    bigger = OutcomeSpace([*space.issues, dummy], allow_interim=interim)
    u1, u2 = _utilities(space, w_us, w_cn)
    v1, v2 = _utilities(bigger, np.r_[w_us, 0.0], np.r_[w_cn, 0.0])
    pairs = {tuple(p) for p in an.tidy(np.c_[u1, u2][an.pareto_frontier(u1, u2)]).tolist()}
    pairs_big = {tuple(p) for p in an.tidy(np.c_[v1, v2][an.pareto_frontier(v1, v2)]).tolist()}
    assert pairs == pairs_big
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        assert (a is None) == (b is None)
        if a is not None:
            assert (
                an.tidy(np.array([u1[a], u2[a]])).tolist()
                == an.tidy(np.array([v1[b], v2[b]])).tolist()
            )


# --------------------------------------------------------------------------- examples
def test_textbook_example():
    """Split 10 units in halves: frontier is the line, Nash and Kalai at the middle."""
    u1 = np.arange(11) / 10
    u2 = 1 - u1
    assert set(an.pareto_frontier(u1, u2).tolist()) == set(range(11))
    assert an.nash_point(u1, u2, (0, 0)) == 5
    assert an.kalai_point(u1, u2, (0, 0)) == 5
    # a better outside option for side 1 moves the Nash point its way
    assert an.nash_point(u1, u2, (0.4, 0)) == 7


def test_kalai_differs_from_nash_on_an_asymmetric_set():
    """On the frontier (0, 1), (0.5, 0.95), (0.68, 0.68), (1, 0) with ideal (1, 1), Nash
    maximises the product (0.475 at the second point) while Kalai maximises the smaller
    normalised gain (0.68 at the third)."""
    u1 = np.array([0.0, 0.5, 0.68, 1.0])
    u2 = np.array([1.0, 0.95, 0.68, 0.0])
    assert an.nash_point(u1, u2, (0, 0)) == 1  # 0.475 > 0.4624
    assert an.kalai_point(u1, u2, (0, 0)) == 2  # min 0.68 > 0.5


def test_every_point_of_a_grid_is_checked_once():
    """All 2-outcome orderings: the frontier of two points is both unless one dominates."""
    for a, b, c, d in itertools.product([0.0, 0.5, 1.0], repeat=4):
        u1, u2 = np.array([a, c]), np.array([b, d])
        assert set(an.pareto_frontier(u1, u2).tolist()) == brute_pareto(u1, u2)


def test_space_command_json(tmp_path):
    import json

    from typer.testing import CliRunner

    from tradetalks.cli import app

    res = CliRunner().invoke(app, ["space", "configs/theory/nash_symmetric.toml", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["outcomes"] == 121
    assert rep["nash"]["terms"] == {"a": "10", "b": "10"}
    assert rep["kalai_smorodinsky"]["terms"] == {"a": "10", "b": "10"}
    assert len(rep["frontier"]) >= 2
    us = [p["utility"]["us"] for p in rep["frontier"]]
    cn = [p["utility"]["china"] for p in rep["frontier"]]
    assert us == sorted(us, reverse=True) and cn == sorted(cn)


def test_space_command_bad_input_exits_2(tmp_path):
    from typer.testing import CliRunner

    from tradetalks.cli import app

    res = CliRunner().invoke(app, ["space", str(tmp_path / "missing.toml")])
    assert res.exit_code == 2
