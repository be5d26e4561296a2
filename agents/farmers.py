"""US soybean farmers: one numpy population on a small-world network, with per-farm Mesa
agents only when something reads them.

A week's update of income, aid and approval is a handful of vector operations over the
network's adjacency matrix (``FarmerPopulation``, agents/farm_population.py). The per-farm
``Farmer`` agents in Mesa's ``discrete_space.Network`` (agents/farm_agents.py) are built on
request (the browser app, ``farmer_series``), so a run without them imports neither networkx
nor Mesa's spaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradetalks.agents.farm_population import FarmerPopulation, initial_population
from tradetalks.sim.config import FarmerConfig

if TYPE_CHECKING:
    from mesa import Model
    from mesa.discrete_space import Network
    from tradetalks.agents.farm_agents import Farmer


def __getattr__(name: str) -> Any:
    """``Farmer`` from agents/farm_agents.py, imported on first use (PEP 562)."""
    if name == "Farmer":
        from tradetalks.agents.farm_agents import Farmer

        return Farmer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_farmers(
    model: Model, cfg: FarmerConfig, agents: bool = True
) -> tuple[Network | None, FarmerPopulation, list[Farmer]]:
    """Create the seeded small world, Mesa's Network space and one agent per farm (with
    ``agents=False`` only the population: no networkx graph, no network space, no agents)."""
    edges, population = initial_population(cfg, model.streams.get("farmers"))
    if not agents:
        return None, population, []
    from tradetalks.agents.farm_agents import network_agents

    network, farmers = network_agents(model, population, edges, cfg.count)
    return network, population, farmers
