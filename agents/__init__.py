"""Mesa agents of tradetalks: negotiators and teams, strategies, farmers, central banks."""

# Strategies register themselves on import: load the default one (core v2) with the package,
# so that every ``REGISTRY`` lookup sees it (``screening`` imports ``strategies``, not back).
from tradetalks.agents import screening  # noqa: F401
