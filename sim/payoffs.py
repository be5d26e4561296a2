"""Payoffs: blended team weights, reservation values from pressures, ratification win-sets.

All three are pure functions of config and the current world so that the mechanism, the
strategies and the analysis compute them the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim.config import RatifierConfig, ReservationConfig, TeamConfig
from tradetalks.sim.issues import OutcomeSpace


def rubinstein_share(patience: float, opponent_patience: float) -> float:
    """A side's Rubinstein/BRW surplus share ρ_o/(ρ_s + ρ_o), ρ = −ln δ (½ if both sides are
    perfectly patient)."""
    rho_s, rho_o = -math.log(patience), -math.log(opponent_patience)
    return 0.5 if rho_s + rho_o <= 0 else rho_o / (rho_s + rho_o)


def blend_weights(weights: list[np.ndarray], influence: np.ndarray) -> np.ndarray:
    """Team issue weights: the influence-weighted mean of its members' weights."""
    share = influence / influence.sum()
    return np.asarray(weights).T @ share


def shifted_influence(base: np.ndarray, sensitivity: np.ndarray, pressure: float) -> np.ndarray:
    """Influence after domestic pressure: base · exp(sensitivity · pressure), normalised."""
    raw = base * np.exp(sensitivity * pressure)
    return raw / raw.sum()


def reservation_value(cfg: ReservationConfig, pressures: Mapping[str, float]) -> float:
    """Value of the no-deal path this week: base − Σ c_k · pressure_k, clipped to [0, 1]."""
    r = cfg.base - sum(c * pressures[k] for k, c in cfg.coefficients.items())
    return float(min(1.0, max(0.0, r)))


def team_pressure(weights: Mapping[str, float], pressures: Mapping[str, float]) -> float:
    """Domestic pressure on a team: a weighted sum of world pressures."""
    return float(sum(w * pressures[k] for k, w in weights.items()))


@dataclass(frozen=True)
class TeamPosition:
    """A team's stance this week: pressure, member influence, blended weights, reservation."""

    pressure: float
    influence: np.ndarray
    weights: np.ndarray
    reservation: float


def team_position(
    cfg: TeamConfig, member_weights: list[np.ndarray], pressures: Mapping[str, float]
) -> TeamPosition:
    """Where a team stands given the world's pressures (used by the Team agent and sim.start)."""
    pressure = team_pressure(cfg.pressure_weights, pressures)
    base = np.array([m.influence for m in cfg.members.values()])
    sens = np.array([m.pressure_sensitivity for m in cfg.members.values()])
    influence = shifted_influence(base, sens, pressure)
    return TeamPosition(
        pressure=pressure,
        influence=influence,
        weights=blend_weights(member_weights, influence),
        reservation=(
            reservation_value(cfg.reservation, pressures) if cfg.reservation is not None else 0.0
        ),
    )


@dataclass
class Ratifier:
    """A domestic body (Congress, farmers, the leadership) whose support a deal needs.

    support(x) = base + sensitivity · Σ_i w_i (v_i(x_i) − v_i(status quo_i)); the deal is in
    the body's win-set when support ≥ threshold.  ``base`` may follow a live indicator.
    ``threshold`` is the true threshold: the public one (``cfg.threshold``, the prior mean)
    until ``draw_private`` draws a private one.
    """

    name: str
    cfg: RatifierConfig
    space: OutcomeSpace
    base_shift: float = 0.0
    threshold: float = field(init=False)
    # ``_scaled`` gathered at a round's outcomes, kept while they are the same array
    _scaled_at: tuple[np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.threshold = self.cfg.threshold
        self._w = self.space.weight_vector(self.cfg.weights)
        self._sq = self.space.status_quo_values(self.cfg.values) @ self._w
        self._delta: np.ndarray | None = None  # a space never enumerated: values at rows only
        self._scaled: np.ndarray | None = None
        if not getattr(self.space, "lazy", False):  # a lazy_space.LazySpace: values at rows
            # the value vector depends only on the space and weights: the space caches it
            self._delta = self._delta_of(self.space)
            self._scaled = self.cfg.sensitivity * self._delta

    def _delta_of(self, space: OutcomeSpace) -> np.ndarray:
        """v(x) − v(status quo) at every outcome of ``space`` (the whole space or rows of it:
        the same code, so the same bits)."""
        return space.blended_utility(self.cfg.values, [self._w], np.ones(1)) - self._sq

    def _whole(self) -> np.ndarray:
        """``_delta`` over the whole space (refused on a space never enumerated)."""
        if self._delta is None:
            raise ValueError(f"{self.name}: values over a space never enumerated: ask at outcomes")
        return self._delta

    def delta_at(self, index: np.ndarray) -> np.ndarray:
        """v(x) − v(status quo) at the outcomes ``index``."""
        if self._delta is not None:
            return self._delta[index]
        return self._delta_of(self.space.rows(np.asarray(index)))

    @property
    def side(self) -> str:
        """The side whose domestic body this is."""
        return self.cfg.side

    def base(self, indicators: Mapping[str, float]) -> float:
        """Current base support (an indicator's value, or the configured constant)."""
        b = indicators[self.cfg.base_indicator] if self.cfg.base_indicator else self.cfg.base
        return b + self.base_shift

    def support(self, indicators: Mapping[str, float]) -> np.ndarray:
        """Support for every outcome of the space."""
        return self.base(indicators) + self.cfg.sensitivity * self._whole()

    def support_at(self, indicators: Mapping[str, float], index: np.ndarray) -> np.ndarray:
        """``support`` at the outcomes ``index`` (the same arithmetic, element by element)."""
        return self.base(indicators) + self.cfg.sensitivity * self.delta_at(index)

    def draw_private(self, rng: np.random.Generator) -> float:
        """Draw the true threshold once per run: prior mean + sd · z, always one normal draw
        (whatever the sd), so the stream's later draws never depend on this config."""
        z = float(rng.standard_normal())
        self.threshold = self.cfg.threshold + self.cfg.threshold_sd * z
        return self.threshold

    def winset(self, indicators: Mapping[str, float], *, believed: bool = False) -> np.ndarray:
        """Mask of outcomes this body would ratify: support ≥ threshold, as one comparison.

        ``believed``: against the public prior mean (what the other side believes), not the
        true threshold."""
        if self._scaled is None:
            self._whole()  # refused: a space never enumerated
        return self._scaled >= self.threshold_for(believed) - self.base(indicators)

    def winset_at(
        self, indicators: Mapping[str, float], index: np.ndarray, *, believed: bool = False
    ) -> np.ndarray:
        """``winset`` at the outcomes ``index`` only (the same comparison, element by element)."""
        at = self._scaled_at
        if at is None or at[0] is not index:  # the same outcomes: the same gathered values
            scaled = (
                self._scaled[index]
                if self._scaled is not None
                else self.cfg.sensitivity * self.delta_at(index)
            )
            at = self._scaled_at = (index, scaled)
        return at[1] >= self.threshold_for(believed) - self.base(indicators)

    def threshold_for(self, believed: bool) -> float:
        """The true threshold, or (``believed``) the public prior mean the other side holds."""
        return self.cfg.threshold if believed else self.threshold

    def deficit(self, indicators: Mapping[str, float]) -> np.ndarray:
        """Support lacking for every outcome, max(0, threshold − support) (its pressure)."""
        return np.maximum(0.0, self.threshold - self.support(indicators))
