"""US soybean farmers: Mesa agents on a small-world network, updated as one numpy population.

Each ``Farmer`` is a Mesa ``CellAgent`` living in a cell of Mesa's ``discrete_space.Network``
(built from the small world's edge array, agents/small_world.py, only when agents are asked for);
its state lives in the arrays of a ``FarmerPopulation`` (agents/farm_population.py) so that
a week's update of income, aid and approval is a handful of vector operations over the
network's adjacency matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
from mesa.discrete_space import CellAgent, Network
from tradetalks.agents.farm_population import FarmerPopulation, initial_population
from tradetalks.sim.config import FarmerConfig

if TYPE_CHECKING:
    from mesa import Model


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
    model: Model, cfg: FarmerConfig, agents: bool = True
) -> tuple[Network | None, FarmerPopulation, list[Farmer]]:
    """Create the seeded small world, Mesa's Network space and one agent per farm (with
    ``agents=False`` only the population: no networkx graph, no network space, no agents)."""
    edges, population = initial_population(cfg, model.streams.get("farmers"))
    if not agents:
        return None, population, []
    graph = nx.Graph()
    graph.add_nodes_from(range(cfg.count))
    graph.add_edges_from(edges.tolist())
    network = Network(graph, random=model.random, layout=None)
    farmers = [Farmer(model, population, i, network[i]) for i in range(cfg.count)]
    return network, population, farmers
