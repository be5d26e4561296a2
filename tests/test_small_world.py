"""The vectorised Watts–Strogatz generator (agents/small_world.py) and the farm network built
from it: seeded, the right structure, and networkx's small-world statistics."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.agents.farm_population import (
    FarmerPopulation,
    initial_population,
    neighbour_mean_matrix,
)
from tradetalks.agents.small_world import ring_lattice, watts_strogatz_edges
from tradetalks.sim.config import load_config

from tradetalks.testing import seeds

CFG = load_config(BASELINE)


def _edges(n: int, k: int, p: float, seed: int) -> np.ndarray:
    return watts_strogatz_edges(n, k, p, np.random.default_rng(seed))


def _pairs(edges: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(e) for e in edges.tolist()}


def _graph(edges: np.ndarray, n: int) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges.tolist())
    return g


def _check_structure(edges: np.ndarray, n: int, k: int) -> None:
    half = k // 2
    assert edges.shape == (n * half, 2) and edges.dtype == np.int64
    assert ((edges >= 0) & (edges < n)).all()
    assert (edges[:, 0] != edges[:, 1]).all()  # no self-loops
    assert len(_pairs(edges)) == len(edges)  # no duplicate, in either direction
    # each node keeps its own k/2 lattice edges (only their far ends move), as in networkx
    assert (np.bincount(edges[:, 0], minlength=n) == half).all()
    assert np.bincount(edges.ravel(), minlength=n).mean() == pytest.approx(2 * half if n else 0)


# ------------------------------------------------------------------------ determinism
def test_the_same_seed_draws_the_same_edges_and_other_seeds_other_edges():
    a, b = _edges(1000, 6, 0.1, 11), _edges(1000, 6, 0.1, 11)
    assert np.array_equal(a, b)
    others = {_edges(1000, 6, 0.1, s).tobytes() for s in range(20)}
    assert len(others) == 20


def test_all_draws_come_from_the_generator_passed_in():
    """Two generators in the same state give the same edges and end in the same state."""
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    assert np.array_equal(
        watts_strogatz_edges(300, 4, 0.3, r1), watts_strogatz_edges(300, 4, 0.3, r2)
    )
    assert r1.bit_generator.state == r2.bit_generator.state


# -------------------------------------------------------------------------- structure
@pytest.mark.parametrize(("n", "k", "p"), [(1000, 6, 0.1), (500, 4, 1.0), (30, 7, 0.5)])
def test_edge_count_no_loops_no_duplicates_and_mean_degree(n, k, p):
    _check_structure(_edges(n, k, p, 3), n, k)


def test_p_zero_is_exactly_the_ring_lattice():
    n, k = 200, 6
    edges = _edges(n, k, 0.0, 9)
    assert np.array_equal(edges, ring_lattice(n, k))
    assert _pairs(edges) == {frozenset(e) for e in nx.watts_strogatz_graph(n, k, 0.0).edges()}


def test_a_complete_graph_stays_complete_whatever_p():
    """k = n - 1 joins every pair: nothing can be rewired (networkx keeps such edges)."""
    for p in (0.5, 1.0):
        edges = _edges(7, 6, p, 1)
        assert _pairs(edges) == {frozenset(e) for e in nx.complete_graph(7).edges()}


def test_about_a_share_p_of_the_edges_is_rewired():
    """Each edge is rewired with probability p, never onto a pair already present: the share of
    edges off the lattice is Binomial(m, p)/m (SE 0.0012 here; the bound is 5 SE)."""
    n, k, p = 20_000, 6, 0.1
    off = len(_pairs(_edges(n, k, p, 4)) - _pairs(ring_lattice(n, k)))
    assert off / (n * k // 2) == pytest.approx(p, abs=0.006)


def test_k_must_be_below_n_and_p_a_probability():
    with pytest.raises(ValueError, match="k < n"):
        _edges(5, 5, 0.1, 0)
    with pytest.raises(ValueError, match="p <= 1"):
        _edges(5, 2, 1.5, 0)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 80),
    k_frac=st.floats(0.0, 1.0),
    p=st.floats(0.0, 1.0),
    seed=seeds(),
)
def test_any_small_world_is_a_simple_graph_with_n_k_over_2_edges(n, k_frac, p, seed):
    k = int(k_frac * (n - 1))
    edges = _edges(n, k, p, seed)
    _check_structure(edges, n, k)
    assert np.array_equal(edges, _edges(n, k, p, seed))
    if p == 0.0:
        assert np.array_equal(edges, ring_lattice(n, k))


# -------------------------------------------------- small-world statistics vs networkx
# Mean clustering C and mean shortest path L at n=500, k=6, averaged over SEEDS seeds of
# each generator. Measured over 30 seeds each, the two generators agree within their noise
# (p=0.05: C 0.517/0.520, L 6.78/6.78; p=0.3: C 0.215/0.217, L 4.151/4.158) with per-graph
# SDs C 0.008-0.013 and L 0.29 (p=0.05) / 0.034 (p=0.3). The tolerances are 4 SEs of the
# difference of two means of SEEDS graphs (4·sd·sqrt(2/SEEDS)), far below the gap between the
# two p (C 0.52 vs 0.22, L 6.8 vs 4.2), and both means sit near the theory for C,
# C(p) ≈ 3(k-2)/(4(k-1))·(1-p)³ = 0.514 and 0.206. Seeds are fixed, so the test is exact.
SEEDS = 4
TOLERANCE = {0.05: (0.037, 0.83), 0.3: (0.037, 0.1)}  # (C, L)


def _statistics(graphs: list[nx.Graph]) -> tuple[float, float]:
    c = np.mean([nx.average_clustering(g) for g in graphs])
    path = np.mean([nx.average_shortest_path_length(g) for g in graphs])
    return float(c), float(path)


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_clustering_and_path_length_match_networkx(p):
    n, k = 500, 6
    ours = [_graph(_edges(n, k, p, 100 + s), n) for s in range(SEEDS)]
    theirs = [nx.watts_strogatz_graph(n, k, p, seed=100 + s) for s in range(SEEDS)]
    assert all(nx.is_connected(g) for g in ours + theirs)
    (c_ours, l_ours), (c_nx, l_nx) = _statistics(ours), _statistics(theirs)
    tol_c, tol_l = TOLERANCE[p]
    assert c_ours == pytest.approx(c_nx, abs=tol_c)
    assert l_ours == pytest.approx(l_nx, abs=tol_l)
    assert c_ours == pytest.approx(0.6 * (1 - p) ** 3, abs=tol_c)


# ------------------------------------------------------------------ the farm network
def _farm_cfg(count: int, k: int | None = None, p: float | None = None):
    net = CFG.world.farmers.network
    update = {"k": net.k if k is None else k, "p": net.p if p is None else p}
    return CFG.world.farmers.model_copy(
        update={"count": count, "network": net.model_copy(update=update)}
    )


@pytest.mark.parametrize(("count", "k", "degree"), [(5, 6, 4), (2, 6, 0), (40, 6, 6)])
def test_the_farm_network_never_asks_for_more_neighbours_than_farmers(count, k, degree):
    edges, pop = initial_population(_farm_cfg(count, k=k, p=0.0), np.random.default_rng(1))
    assert pop.n == count
    assert set(np.bincount(edges.ravel(), minlength=count).tolist()) == {degree}


def test_each_run_seed_draws_its_own_farm_network():
    fc = _farm_cfg(30)
    nets = [initial_population(fc, np.random.default_rng(s))[0].tobytes() for s in range(100)]
    assert len(set(nets)) == 100
    assert initial_population(fc, np.random.default_rng(7))[0].tobytes() == nets[7]


def test_the_network_moves_neither_the_farms_traits_nor_the_stream():
    """One integer is drawn for the network, then the traits: the farms and the stream's
    state afterwards are what they were with networkx (only the edges changed, issue 13)."""
    fc = _farm_cfg(500)
    rng = np.random.default_rng(21)
    _, pop = initial_population(fc, rng)
    ref_rng = np.random.default_rng(21)
    ref_rng.integers(2**31 - 1)
    ref = FarmerPopulation(fc, ref_rng, nx.empty_graph(fc.count))
    for name in ("size", "soy_share", "debt", "leaning"):
        assert np.array_equal(getattr(pop, name), getattr(ref, name))
    assert rng.bit_generator.state == ref_rng.bit_generator.state


def test_the_neighbour_mean_matrix_reads_the_edge_array():
    edges = np.array([[0, 1], [2, 1]])
    mat = neighbour_mean_matrix(edges, 4).toarray()
    expect = [[0, 1, 0, 0], [0.5, 0, 0.5, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    assert mat == pytest.approx(np.array(expect, dtype=float))
    assert not neighbour_mean_matrix(np.empty((0, 2), dtype=np.int64), 2).toarray().any()
    graph_mat = neighbour_mean_matrix(_graph(edges, 4), 4).toarray()
    assert np.array_equal(mat, graph_mat)


def test_the_mesa_network_holds_the_population_s_edges():
    from tradetalks.sim.model import TradeTalksModel

    cfg = load_config(BASELINE, overrides={"world.farmers.count": 120})
    model = TradeTalksModel(cfg, rng=2, collect_series=False, farmer_agents=True)
    mesa_pairs = {frozenset(e) for e in model.network.G.edges()}
    adjacency = model.farmers.neighbour_mean.toarray() > 0
    assert mesa_pairs == {
        frozenset((int(i), int(j))) for i, j in zip(*np.nonzero(adjacency), strict=True)
    }
    assert len(mesa_pairs) == 120 * CFG.world.farmers.network.k // 2
