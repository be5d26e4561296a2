"""Smoke test of benchmarks/bench_network_outcomes.py: the old network, the comparison."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from helpers import load_script
from tradetalks.agents import farm_population


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks/bench_network_outcomes.py")


def test_the_old_arm_draws_networkx_s_graph_on_the_stream_s_integer(bench):
    edges = bench.networkx_edges(50, 4, 0.3, np.random.default_rng(1234))
    expected = farm_population.edge_array(nx.watts_strogatz_graph(50, 4, 0.3, seed=1234))
    assert np.array_equal(edges, expected)
    shipped = farm_population.watts_strogatz_edges(50, 4, 0.3, np.random.default_rng(1234))
    assert {frozenset(e) for e in edges.tolist()} != {frozenset(e) for e in shipped.tolist()}


def test_a_run_on_the_old_network_restores_the_shipped_generator(bench):
    run = bench.run_first_deal("networkx", 3)
    assert farm_population.watts_strogatz_edges is bench.SHIPPED
    assert run["week"] is not None and run["terms"]
    assert 0.0 <= run["approval"] <= 1.0


def _runs(weeks_a, weeks_b, level_b="x"):
    def rows(weeks, level):
        return [
            {"week": w, "terms": {"issue": level} if w is not None else {}, "approval": 0.5}
            for w in weeks
        ]

    return {"numpy": rows(weeks_a, "x"), "networkx": rows(weeks_b, level_b)}


def test_identical_arms_compare_as_identical(bench):
    weeks = [3, 4, 4, 5, None, 7] * 5
    res = bench.compare(_runs(weeks, weeks))
    assert res["same_week"] == res["same_week_and_terms"] == len(weeks)
    assert res["rmst_difference"]["estimate"] == 0.0
    assert res["tost_90"]["within_1_week"]
    assert res["logrank"]["p"] == pytest.approx(1.0)
    assert res["terms"]["issue"]["p"] == 1.0
    assert res["no_deal"] == {"numpy": 5, "networkx": 5}


def test_a_later_arm_with_other_terms_is_told_apart(bench):
    weeks = [3, 4, 4, 5, 6, 7] * 10
    res = bench.compare(_runs(weeks, [w + 3 for w in weeks], level_b="y"))
    assert res["same_week"] == 0 and res["same_week_and_terms"] == 0
    assert res["rmst_difference"]["estimate"] == pytest.approx(3.0)
    assert res["rmst_difference"]["low"] > 0
    assert not res["tost_90"]["within_1_week"]
    assert res["mann_whitney_p"] < 0.01 and res["logrank"]["p"] < 0.01
    assert res["terms"]["issue"]["p"] < 0.01
