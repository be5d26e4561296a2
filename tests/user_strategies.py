"""User strategies for the tests: classes a config names by import path
(``kind = "user_strategies:Stubborn"``; ``tests/`` is on ``sys.path`` under pytest)."""

from __future__ import annotations

from tradetalks.agents.strategies import Strategy
from tradetalks.sim.config import StrategyParams, Unit


class StubbornParams(StrategyParams):
    """How much of its best outcome the stubborn strategy insists on."""

    share: Unit = 0.9


class Stubborn(Strategy):
    """Never concedes below ``share`` of its best outcome; counts its offers."""

    params_model = StubbornParams
    params: StubbornParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offers_made = 0

    def aspiration(self, view) -> float:
        """A fixed share of the best feasible outcome (never below the reservation)."""
        return max(view.reservation, self.params.share * view.best_feasible())

    def propose(self, view) -> int:
        """The base logrolling offer, counted."""
        self.offers_made += 1
        return super().propose(view)


class NotAStrategy:
    """A class that is not a ``Strategy`` (a config naming it is an error)."""
