"""The calibration file's schema (pydantic): simulator, priors, statistics, observed values, ABC.

A calibration file (``CALIB.toml``) names the simulator, the parameters with their priors on
natural scales, the summary statistics with their blocks and observed values (or a synthetic
truth to simulate them from) and the ABC-SMC settings.  Unknown keys and non-finite numbers
are errors; checks across fields are in ``experiments.calibfile``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tradetalks.sim.config import ConfigError

NAME = r"^[a-z_][a-z0-9_]*$"  # parameter, statistic and block names: identifiers
BUILTIN_SIMULATORS = ("tradetalks", "gaussian_toy")
MAX_SEEDS_PER_PARTICLE = 5  # core-v2 §3.5: "average 3-5 seeds per particle if the budget allows"


class CalibError(ConfigError):
    """A calibration file is invalid; ``problems`` lists (key path, message) pairs."""

    what = "calibration file"


class Strict(BaseModel):
    """Unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class UniformPrior(Strict):
    """Uniform on [lo, hi]."""

    kind: Literal["uniform"]
    lo: float
    hi: float

    @model_validator(mode="after")
    def _ordered(self) -> UniformPrior:
        if not self.lo < self.hi:
            raise ValueError(f"lo ({self.lo}) must be below hi ({self.hi})")
        return self

    def moments(self) -> tuple[float, float]:
        """The prior's mean and standard deviation."""
        return (self.lo + self.hi) / 2, (self.hi - self.lo) / math.sqrt(12)


class NormalPrior(Strict):
    """Normal with ``mean`` and standard deviation ``sd``."""

    kind: Literal["normal"]
    mean: float
    sd: Annotated[float, Field(gt=0)]

    def moments(self) -> tuple[float, float]:
        """The prior's mean and standard deviation."""
        return self.mean, self.sd


class LognormalPrior(Strict):
    """Lognormal: the log of the value is normal with ``log_mean`` and ``log_sd``."""

    kind: Literal["lognormal"]
    log_mean: float
    log_sd: Annotated[float, Field(gt=0)]

    def moments(self) -> tuple[float, float]:
        """The prior's mean and standard deviation (of the value, not its log)."""
        s2 = self.log_sd**2
        mean = math.exp(self.log_mean + s2 / 2)
        return mean, mean * math.sqrt(math.expm1(s2))


class BetaPrior(Strict):
    """Beta(a, b) stretched onto [lo, hi] (default [0, 1])."""

    kind: Literal["beta"]
    a: Annotated[float, Field(gt=0)]
    b: Annotated[float, Field(gt=0)]
    lo: float = 0.0
    hi: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> BetaPrior:
        if not self.lo < self.hi:
            raise ValueError(f"lo ({self.lo}) must be below hi ({self.hi})")
        return self

    def moments(self) -> tuple[float, float]:
        """The prior's mean and standard deviation."""
        n = self.a + self.b
        width = self.hi - self.lo
        sd = math.sqrt(self.a * self.b / (n * n * (n + 1)))
        return self.lo + width * self.a / n, width * sd


Prior = Annotated[
    UniformPrior | NormalPrior | LognormalPrior | BetaPrior, Field(discriminator="kind")
]


class ParameterSpec(Strict):
    """A calibrated parameter: its name, the config key it sets, its prior and where the
    prior comes from."""

    name: Annotated[str, Field(pattern=NAME)]
    path: Annotated[str, Field(min_length=1)]
    prior: Prior
    source: str = "assumption"


class StatisticSpec(Strict):
    """A summary statistic: its name, its block (distance weights sum to one per block), how
    it is computed (``statistic`` names a function of ``experiments.calibstats`` for the
    tradetalks simulator, or an output key of another simulator; default: ``name``), its
    arguments, and its observed value with its source (unless ``[observed] synthetic``)."""

    name: Annotated[str, Field(pattern=NAME)]
    block: Annotated[str, Field(pattern=NAME)] = "main"
    statistic: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    observed: float | None = None
    source: str = ""

    @property
    def function(self) -> str:
        """The registry function or simulator output key that computes the statistic."""
        return self.statistic or self.name


class SyntheticSpec(Strict):
    """Observed statistics simulated at known parameter values (recovery, SBC)."""

    truth: dict[str, float]
    seed: Annotated[int, Field(ge=0)]


class ObservedSpec(Strict):
    """Where the observed statistics come from when they are not in ``[[statistics]]``."""

    synthetic: SyntheticSpec | None = None


class AbcSpec(Strict):
    """ABC-SMC settings (pyabc 0.13; core-v2 §3.7 gives the defaults and their reasons)."""

    population_size: Annotated[int, Field(ge=2)] = 300  # core-v2 §3.7: fixed, predictable
    max_generations: Annotated[int, Field(ge=1)] = 8  # core-v2 §3.7
    min_acceptance_rate: Annotated[float, Field(ge=0, lt=1)] = 0.02  # core-v2 §3.7
    max_total_simulations: Annotated[int, Field(ge=1)] = 15_000  # core-v2 §3.7: 2 cores, 20 min
    max_walltime_minutes: Annotated[float, Field(gt=0)] = 18.0  # core-v2 §3.7
    # no generation starts that would end past the wall-time limit if it took this many times
    # the last one (assumption: on the hindcast each generation took 1.3-1.7x the one
    # before, docs/CALIBRATION.md §3); 0 is pyabc's own rule, checked only between generations
    walltime_lookahead: Annotated[float, Field(ge=0)] = 1.5
    eps_alpha: Annotated[float, Field(gt=0, lt=1)] = 0.5  # QuantileEpsilon alpha, core-v2 §3.7
    # QuantileEpsilon's quantile_multiplier (pyabc's default 1); below 1, epsilon falls below a
    # level that more than (1 - alpha) of a population ties at (discrete statistics)
    eps_multiplier: Annotated[float, Field(gt=0, le=1)] = 1.0
    k_fraction: Annotated[float, Field(gt=0, le=1)] = 0.25  # LocalTransition, core-v2 §3.7
    distance_p: Annotated[float, Field(ge=1)] = 1.0  # AdaptivePNormDistance p, core-v2 §3.4
    # the distance's scale per statistic: "mad" (core-v2 §3.4; the mean absolute deviation
    # where the MAD is 0, see experiments.calibration.mad_or_mean_ad) or "std"
    scale: Literal["mad", "std"] = "mad"
    # refit the scales every generation (pyabc's default), or fit them once on the prior
    # predictive sample: epsilon then shrinks in fixed units (see docs/CALIBRATION.md §2)
    refit_scales: bool = True
    dask_batch_size: Annotated[int, Field(ge=1)] = 20  # DaskDistributedSampler, core-v2 §3.7
    # posterior predictive check: particles drawn by weight and simulated again (assumption:
    # enough for a 95% band per statistic, cheap next to the fit)
    predictive_draws: Annotated[int, Field(ge=0)] = 100


class CalibSpec(Strict):
    """A whole calibration file."""

    name: Annotated[str, Field(min_length=1, max_length=1000)]
    description: str = ""
    simulator: str = "tradetalks"
    seed: Annotated[int, Field(ge=0)]  # root seed: pyabc's sampling and every simulation seed
    seeds_per_particle: Annotated[int, Field(ge=1, le=MAX_SEEDS_PER_PARTICLE)] = 1
    base: str | None = None  # tradetalks: the base scenario (path or shipped name)
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")  # tradetalks overrides
    options: dict[str, Any] = Field(default_factory=dict)  # keyword arguments of the simulator
    parameters: Annotated[list[ParameterSpec], Field(min_length=1)]
    statistics: Annotated[list[StatisticSpec], Field(min_length=1)]
    observed: ObservedSpec = Field(default_factory=ObservedSpec)
    abc: AbcSpec = Field(default_factory=AbcSpec)
