"""Mesa agents of tradetalks: negotiators and teams, strategies, farmers, central banks."""
