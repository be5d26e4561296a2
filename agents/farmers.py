"""US soybean farmers: Mesa agents on a small-world network, updated as one numpy population.

Each ``Farmer`` is a Mesa ``CellAgent`` living in a cell of Mesa's ``discrete_space.Network``;
its state lives in the arrays of a ``FarmerPopulation`` so that a week's update of income,
aid and approval is a handful of vector operations over the network's adjacency matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from mesa.discrete_space import CellAgent, Network
from scipy import sparse

from sim.config import FarmerConfig

if TYPE_CHECKING:
    from mesa import Model


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class FarmerPopulation:
    """Array state of all farmers and their vectorised weekly update."""

    def __init__(self, cfg: FarmerConfig, rng: np.random.Generator, graph: nx.Graph) -> None:
        n = cfg.count
        self.cfg = cfg
        self.n = n
        self.size = rng.lognormal(cfg.size_log_mean, cfg.size_log_sd, n)
        self.soy_share = rng.beta(cfg.soy_share_alpha, cfg.soy_share_beta, n)
        self.debt = rng.beta(cfg.debt_alpha, cfg.debt_beta, n)
        self.leaning = rng.normal(cfg.leaning_mean, cfg.leaning_sd, n)
        adj = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=float)
        deg = np.asarray(adj.sum(axis=1)).ravel()
        self.neighbour_mean = sparse.diags(1.0 / np.maximum(deg, 1.0)) @ adj
        self.neighbour_mean = sparse.csr_array(self.neighbour_mean)
        # each farm's share of soybean-farm revenue and of soybean acreage (MFP pays per crop)
        self.revenue_share = self.size / self.size.sum()
        soy_acres = self.size * self.soy_share
        self.aid_share = soy_acres / soy_acres.sum()
        self.aid_received = np.zeros(n)  # this year's aid as a share of normal annual income
        self.income = np.ones(n)
        self.welfare = np.ones(n)
        self.distress = np.zeros(n)
        self.approval = _sigmoid(self.leaning)

    def pay_aid(self, amount_bn: float) -> float:
        """Distribute an aid tranche by soybean acreage; return what soybean farms receive."""
        to_soy = amount_bn * self.cfg.aid_soy_share
        normal_income = self.cfg.revenue_total_bn * self.revenue_share
        self.aid_received += to_soy * self.aid_share / normal_income
        return to_soy

    def update(self, price_ratio: float, talks_signal: float) -> None:
        """One week: income from the soybean price, welfare with aid, then opinion dynamics."""
        c = self.cfg
        self.income = (1.0 - self.soy_share) + self.soy_share * price_ratio
        self.welfare = self.income + self.aid_received
        shortfall = np.clip(1.0 - self.welfare, 0.0, None)
        self.distress = np.clip(shortfall * (1.0 + c.debt_amplification * self.debt), 0.0, 1.0)
        target = _sigmoid(
            self.leaning
            + c.welfare_response * (self.welfare - 1.0)
            + c.talks_response * talks_signal
        )
        social = self.neighbour_mean @ self.approval
        self.approval = np.clip(
            self.approval
            + c.own_adjustment * (target - self.approval)
            + c.social_adjustment * (social - self.approval),
            0.0,
            1.0,
        )

    @property
    def mean_approval(self) -> float:
        """Share of farmers approving of the US stance."""
        return float(self.approval.mean())

    @property
    def mean_distress(self) -> float:
        """Mean distress in [0, 1]."""
        return float(self.distress.mean())

    @property
    def income_index(self) -> float:
        """Revenue-weighted farm income including aid, 1 = a normal year."""
        return float(self.revenue_share @ self.welfare)


class Farmer(CellAgent):
    """One soybean farm; a view onto its row of the population arrays."""

    def __init__(self, model: Model, population: FarmerPopulation, index: int, cell) -> None:
        super().__init__(model)
        self.population = population
        self.index = index
        self.cell = cell

    @property
    def size(self) -> float:
        """Farm size (relative acreage)."""
        return float(self.population.size[self.index])

    @property
    def soy_share(self) -> float:
        """Share of the farm's acreage in soybeans."""
        return float(self.population.soy_share[self.index])

    @property
    def debt(self) -> float:
        """Debt-to-asset ratio."""
        return float(self.population.debt[self.index])

    @property
    def leaning(self) -> float:
        """Political leaning (log-odds of approving the President's stance)."""
        return float(self.population.leaning[self.index])

    @property
    def approval(self) -> float:
        """Current approval of the US stance in [0, 1]."""
        return float(self.population.approval[self.index])

    @property
    def distress(self) -> float:
        """Current financial distress in [0, 1]."""
        return float(self.population.distress[self.index])


def build_farmers(
    model: Model, cfg: FarmerConfig
) -> tuple[Network, FarmerPopulation, list[Farmer]]:
    """Create the seeded small-world graph, Mesa's Network space and one agent per farm."""
    graph_seed = int(model.rng.integers(2**31 - 1))
    graph = nx.watts_strogatz_graph(
        cfg.count, min(cfg.network.k, cfg.count - 1), cfg.network.p, seed=graph_seed
    )
    network = Network(graph, random=model.random, layout=None)
    population = FarmerPopulation(cfg, model.rng, graph)
    farmers = [Farmer(model, population, i, network[i]) for i in range(cfg.count)]
    return network, population, farmers
