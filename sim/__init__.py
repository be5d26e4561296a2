"""The model: its Mesa-free core (config, issues, payoffs, protocol, world, analysis) and its
assembly into a Mesa model (``tradetalks.sim.model.TradeTalksModel``).

This module imports nothing, so importing a core module never pulls in Mesa or the agents.
"""
