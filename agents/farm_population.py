"""The farmers' array state and its vectorised weekly update (no Mesa, no networkx).

Kept apart from the Mesa agents in ``agents/farmers.py`` so that the starting point of a
run (``sim/start.py``) can be computed without importing Mesa.

The farm network is an edge array from ``agents/small_world.py`` (a vectorised
Watts–Strogatz generator); a networkx graph is built only for Mesa's per-farm agents
(``agents/farmers.py``). Its draws come from the ``farmers`` stream: one integer seed
drawn first, as before, then the network from a generator on that seed, so the farms'
traits and the stream's state afterwards are unchanged. The networks themselves changed
once (issue 13), when the generator replaced ``networkx.watts_strogatz_graph``: same model,
other draws, so each seed's network (and any result that depends on it) differs from
earlier versions; same seed → same network as ever since.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from tradetalks.agents.small_world import watts_strogatz_edges
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import FarmerConfig


def edge_array(network: Any) -> np.ndarray:
    """The network's edges as an ``(m, 2)`` int64 array: an edge array as it is, or a graph
    with networkx's ``edges()`` (nodes 0..n-1) read into one."""
    if hasattr(network, "edges"):
        network = list(network.edges())
    return np.asarray(network, dtype=np.int64).reshape(-1, 2)


def neighbour_mean_matrix(network: Any, n: int) -> sparse.csr_array:
    """Row-normalised adjacency (nodes 0..n-1) from an edge array (or a graph): row i
    averages farmer i's neighbours."""
    edges = edge_array(network)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    deg = np.bincount(rows, minlength=n).astype(float)
    data = 1.0 / np.maximum(deg, 1.0)[rows]
    return sparse.csr_array((data, (rows, cols)), shape=(n, n))


class FarmerPopulation:
    """Array state of all farmers and their vectorised weekly update."""

    def __init__(self, cfg: FarmerConfig, rng: np.random.Generator, network: Any) -> None:
        """``network``: the farm network's ``(m, 2)`` edge array (or a graph), nodes 0..n-1."""
        n = cfg.count
        self.cfg = cfg
        self.n = n
        self.size = rng.lognormal(cfg.size_log_mean, cfg.size_log_sd, n)
        self.soy_share = rng.beta(cfg.soy_share_alpha, cfg.soy_share_beta, n)
        self.debt = rng.beta(cfg.debt_alpha, cfg.debt_beta, n)
        self.leaning = rng.normal(cfg.leaning_mean, cfg.leaning_sd, n)
        self.neighbour_mean = neighbour_mean_matrix(network, n)
        # each farm's share of soybean-farm revenue and of soybean acreage (MFP pays per crop)
        self.revenue_share = self.size / self.size.sum()
        soy_acres = self.size * self.soy_share
        self.aid_share = soy_acres / soy_acres.sum()
        self.aid_received = np.zeros(n)  # this year's aid as a share of normal annual income
        self.income = np.ones(n)
        self.welfare = np.ones(n)
        self.distress = np.zeros(n)
        self.approval = dyn.sigmoid(self.leaning)
        self.soy_mean = float(self.revenue_share @ self.soy_share)  # acreage-weighted
        self.soy_aid_bn = 0.0  # aid paid to soybean farms so far, $bn
        self.talks_signal = 0.0  # the talks signal of the latest update

    def pay_aid(self, amount_bn: float) -> float:
        """Distribute an aid tranche by soybean acreage; return what soybean farms receive."""
        to_soy = amount_bn * self.cfg.aid_soy_share
        normal_income = self.cfg.revenue_total_bn * self.revenue_share
        self.aid_received += to_soy * self.aid_share / normal_income
        self.soy_aid_bn += to_soy
        return to_soy

    def update(self, price_ratio: float, talks_signal: float) -> None:
        """One week: income from the soybean price, welfare with aid, then opinion dynamics."""
        c = self.cfg
        self.talks_signal = talks_signal
        self.income = dyn.farm_welfare(self.soy_share, price_ratio, 0.0)
        self.welfare = self.income + self.aid_received
        shortfall = np.clip(1.0 - self.welfare, 0.0, None)
        self.distress = np.clip(shortfall * (1.0 + c.debt_amplification * self.debt), 0.0, 1.0)
        target = dyn.approval_target(self.leaning, self.welfare, talks_signal, c)
        social = self.neighbour_mean @ self.approval
        self.approval = dyn.approval_step(self.approval, target, social, c)

    def aggregate(self, n_leaning: int, n_soy: int) -> dyn.FarmAggregate:
        """The population as representative groups (quantiles of leaning × soybean share) for
        the projector: each group's mean traits and approval, with count and acreage shares."""
        # the groups and their fixed traits depend only on the farms: computed once per size
        fixed = getattr(self, "_groups", None)
        if fixed is None or fixed[0] != (n_leaning, n_soy):
            groups = dyn.aggregate_groups(self.leaning, self.soy_share, self.size, n_leaning, n_soy)
            label = np.empty(self.n, dtype=np.intp)
            for k, g in enumerate(groups):
                label[g] = k
            counts = np.bincount(label, minlength=len(groups)).astype(float)
            acres = np.bincount(label, weights=self.size, minlength=len(groups))
            traits = {
                "count_share": counts / self.n,
                "acre_share": acres / acres.sum(),
                "leaning": np.bincount(label, weights=self.leaning) / counts,
                "soy_share": np.bincount(label, weights=self.soy_share) / counts,
            }
            fixed = ((n_leaning, n_soy), label, counts, traits)
            self._groups = fixed
        _, label, counts, traits = fixed
        return dyn.FarmAggregate(
            count_share=traits["count_share"],
            acre_share=traits["acre_share"],
            leaning=traits["leaning"],
            soy_share=traits["soy_share"],
            approval=np.bincount(label, weights=self.approval, minlength=len(counts)) / counts,
            soy_mean=self.soy_mean,
            soy_aid_bn=self.soy_aid_bn,
            talks_signal=self.talks_signal,
        )

    @property
    def mean_approval(self) -> float:
        """Share of farmers approving of the US stance."""
        return float(self.approval.mean())

    @property
    def acreage_approval(self) -> float:
        """Acreage-weighted approval: the farm-state approval of the electoral payoff."""
        return float(self.revenue_share @ self.approval)

    @property
    def farm_income_bn(self) -> float:
        """Soybean farms' income including aid, $bn a year (USDA scale)."""
        return self.income_index * self.cfg.revenue_total_bn

    @property
    def mean_distress(self) -> float:
        """Mean distress in [0, 1]."""
        return float(self.distress.mean())

    @property
    def income_index(self) -> float:
        """Revenue-weighted farm income including aid, 1 = a normal year."""
        return float(self.revenue_share @ self.welfare)


def initial_population(
    cfg: FarmerConfig, rng: np.random.Generator
) -> tuple[np.ndarray, FarmerPopulation]:
    """The seeded small world's ``(m, 2)`` edge array and the farmers' initial state, both
    drawn from ``rng`` (the ``farmers`` stream): the network from a generator seeded by one
    integer drawn first, so its variable number of draws never moves the farms' traits."""
    network_seed = int(rng.integers(2**31 - 1))
    k = min(cfg.network.k, cfg.count - 1)
    edges = watts_strogatz_edges(cfg.count, k, cfg.network.p, np.random.default_rng(network_seed))
    return edges, FarmerPopulation(cfg, rng, edges)
