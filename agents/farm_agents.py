"""Per-farm Mesa agents: each ``Farmer`` is a ``CellAgent`` in a cell of Mesa's
``discrete_space.Network``, a view onto its row of the ``FarmerPopulation`` arrays.

Built only when something reads single farms (the browser app, ``farmer_series``); kept apart
from agents/farmers.py so that a run without them never imports networkx or Mesa's spaces
(issue 13: start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from mesa.discrete_space import CellAgent, Network
from tradetalks.agents.farm_population import FarmerPopulation

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


def network_agents(
    model: Model, population: FarmerPopulation, edges: np.ndarray, count: int
) -> tuple[Network, list[Farmer]]:
    """Mesa's Network space on the small world's ``edges`` (``count`` farms) and one agent
    per farm."""
    graph = nx.Graph()
    graph.add_nodes_from(range(count))
    graph.add_edges_from(edges.tolist())
    network = Network(graph, random=model.random, layout=None)
    return network, [Farmer(model, population, i, network[i]) for i in range(count)]
