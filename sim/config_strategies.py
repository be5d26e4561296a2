"""Strategy parameters: one pydantic model per built-in strategy kind, and the member's
``strategy`` table as a union discriminated on ``kind``.

The models live in the Mesa-free core so that a config validates without importing the
agents; each strategy class in ``agents/strategies.py`` names its model (``params_model``)
and a test checks that the two lists agree.  Defaults are the strategies' defaults, with
their source.  A ``kind`` of the form ``"package.module:Class"`` names a user strategy: its
params are kept as a table here and validated against the class's own model when the class
is imported (``sim/scenario.py``).
"""

from __future__ import annotations

import functools
import importlib
import operator
import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, create_model, field_validator, model_validator
from tradetalks.sim.config_base import (
    MAX_HORIZON_WEEKS,
    Discount,
    Strict,
    Unit,
    between,
    positive,
)

USER_STRATEGY_TAG = "user strategy"  # the union member for "package.module:Class" kinds
UNKNOWN_STRATEGY_TAG = "unknown strategy"  # the union member that reports a bad kind
IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")

# Faratin et al. (1998) concession a(t) ∝ 1 − τ^(1/e): e must be > 0 (1/e); beyond 100 the
# curve is a step (it concedes everything at once), so larger values are typos
EXPONENT_MAX = 100.0
Exponent = positive(EXPONENT_MAX)
# weeks to concede fully (> 0: elapsed time is divided by it), at most twice the longest run
Horizon = positive(MAX_HORIZON_WEEKS)
# tit-for-tat: mirroring more than ten times the opponent's concession is not reciprocity
RECIPROCITY_MAX = 10.0
Reciprocity = between(0.0, RECIPROCITY_MAX)
# opponent model: ŵ ∝ exp(−λ·loss), loss in [0, 1]; at λ = 50 a conceded issue's weight is
# already e^−50 ≈ 2e−22 of another's, beyond it every weight can underflow to 0
LEARNING_RATE_MAX = 50.0
LearningRate = between(0.0, LEARNING_RATE_MAX)
# screening: an acceptance share is a share of the best feasible gain, so types lie in [0, 1];
# a tremble above ½ would make offers evidence against themselves
TypeShare = between(0.0, 1.0)
Tremble = between(0.0, 0.5)
# signal strengths: μ ∝ μ·exp(±η·γ) over γ ∈ [0, 1]; beyond 50 one signal is a point mass
SignalStrength = between(0.0, LEARNING_RATE_MAX)
MAX_TYPES = 1001  # thousandths: no source pins a type finer than hundredths, but a grid-
# convergence check needs finer ones (docs/MODEL.md §10: 0.004 settles the pre-hike round)
GAP_WEEKS_MAX = 52  # a decision opportunity at least once a year


def import_object(path: str) -> Any:
    """The object a ``"package.module:Name"`` path names; ``ValueError`` saying why if none."""
    if not IMPORT_PATH.fullmatch(path):
        raise ValueError(f"{path!r} is not an import path of the form 'package.module:Class'")
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any failure of user code on import is a config problem
        raise ValueError(f"cannot import module {module_name!r}: {exc}") from None
    if not hasattr(module, attr):
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}")
    return getattr(module, attr)


class StrategyParams(Strict):
    """Base of every strategy's parameters (a strategy without parameters uses it as is)."""


class TimeDependentParams(StrategyParams):
    """Faratin et al. (1998) time-dependent concession: exponent and horizon."""

    exponent: Exponent = 1.0  # e = 1: linear concession
    horizon_weeks: Horizon | None = None  # weeks to concede fully; None: the run's horizon


class BoulwareParams(TimeDependentParams):
    """Time-dependent, firm until near the horizon."""

    exponent: Exponent = 0.2  # assumption: a typical Boulware exponent in Faratin et al. (1998)


class LinearParams(TimeDependentParams):
    """Time-dependent, conceding evenly."""

    exponent: Exponent = 1.0  # linear by definition


class ConcederParams(TimeDependentParams):
    """Time-dependent, conceding early."""

    exponent: Exponent = 3.0  # assumption: a typical conceder exponent in Faratin et al. (1998)


class RandomAcceptableParams(TimeDependentParams):
    """Time-dependent aspiration; the offer is a random outcome meeting it."""


class TitForTatParams(StrategyParams):
    """Relative tit-for-tat on concessions (Faratin et al. 1998)."""

    reciprocity: Reciprocity = 1.0  # concede exactly what the other side conceded
    initial: Unit = 0.0  # no unilateral opening concession


class OpponentModelParams(TimeDependentParams):
    """Time-dependent concession with issue weights learnt from the opponent's offers."""

    # assumption: a full loss divides a weight by e² ≈ 7.4; on the scripted logrolling
    # conceder of tests/test_strategies.py it recovers weights (0.6, 0.3, 0.1) to L1 ≈ 0.13
    learning_rate: LearningRate = 2.0


class RatificationAwareParams(TimeDependentParams):
    """Time-dependent concession with the own win-set as leverage."""

    leverage: Unit = 0.5  # assumption: half the domestic constraint is credible


class RubinsteinParams(StrategyParams):
    """Rubinstein (1982) equilibrium: discount factors (None: the teams' patience)."""

    discount: Discount | None = None
    opponent_discount: Discount | None = None


class ScreeningParams(StrategyParams):
    """Bayesian screening with one-step look-ahead (core-v2 §1 C): the default strategy."""

    # core-v2 §1 C: the grid Γ of the opponent's acceptance share (the prior mean is added)
    types: Annotated[list[TypeShare], Field(min_length=1, max_length=MAX_TYPES)] = Field(
        default_factory=lambda: [0.1, 0.3, 0.5, 0.7, 0.9]
    )
    # Γ as every multiple of this step in (0, 1), instead of listing ``types``: a coarse grid
    # can lock both sides' learning (benchmarks/results/core_v2_previous_baseline.md §3c, §5a)
    type_step: Annotated[float, Field(ge=1.0 / MAX_TYPES, lt=1.0)] | None = None
    sigma0: TypeShare = 0.15  # assumption: prior spread σ_0 (to calibrate, core-v2 §3.3)
    optimism: TypeShare = 0.0  # b ≥ 0, prior mean β_o − b; assumption (to calibrate, §3.3)
    epsilon: Tremble = 0.05  # core-v2 §1 C: tremble ε in offer/rejection updates
    drift: TypeShare = 0.9  # core-v2 §1 C: λ per week, drift toward the prior
    eta_esc: SignalStrength = 1.0  # assumption: escalation as a signal of resolve
    eta_gw: SignalStrength = 1.0  # assumption: gesture/postponement as a signal of softness
    pi_min: TypeShare = 0.5  # assumption: meeting-request threshold (core-v2 §1 C, later use)
    # core-v2 §1 notation: Δ when no next round is known (default 4); legacy views only
    gap_weeks: Annotated[int, Field(ge=1, le=GAP_WEEKS_MAX)] = 4

    @model_validator(mode="after")
    def _grid_from_step(self) -> ScreeningParams:
        """With ``type_step``, Γ is its multiples in (0, 1); giving both is an error."""
        if self.type_step is None:
            return self
        n = round(1.0 / self.type_step)
        grid = [g for g in (round(k * self.type_step, 10) for k in range(1, n + 1)) if g < 1.0]
        if "types" in self.model_fields_set and list(self.types) != grid:  # a dump repeats it
            raise ValueError("give the screening types or type_step, not both")
        object.__setattr__(self, "types", grid)
        return self


STRATEGY_PARAMS: dict[str, type[StrategyParams]] = {
    "time_dependent": TimeDependentParams,
    "boulware": BoulwareParams,
    "linear": LinearParams,
    "conceder": ConcederParams,
    "random_acceptable": RandomAcceptableParams,
    "tit_for_tat": TitForTatParams,
    "opponent_model": OpponentModelParams,
    "ratification_aware": RatificationAwareParams,
    "rubinstein": RubinsteinParams,
    "screening": ScreeningParams,
}


# kinds whose classifier declares ``frontier_offers`` (tests/test_strategies.py checks this
# list against the registry): a run of only these may skip enumerating its outcome space
# (sim/frontier_rows.py, config_schema.frontier_problem)
FRONTIER_KINDS = ("time_dependent", "boulware", "linear", "conceder", "tit_for_tat")
# kinds declaring ``factored_rounds`` (checked against the registry likewise): a core-v2 run
# of only these may run on a space never enumerated (sim/lazy_space.py, config_schema.lazy_problem)
FACTORED_KINDS = ("screening",)


class StrategySpec(Strict):
    """A member's strategy: its kind and its parameters."""

    kind: str
    params: Any


def _builtin_spec(kind: str, params: type[StrategyParams]) -> type[StrategySpec]:
    """The ``{kind, params}`` table of one built-in kind, its params typed by ``params``."""
    name = f"{params.__name__.removesuffix('Params')}Spec"
    return create_model(
        name,
        __base__=StrategySpec,
        __doc__=f"The strategy table of kind {kind!r}.",
        kind=(Literal[kind], ...),
        params=(params, Field(default_factory=params)),
    )


BUILTIN_SPECS: dict[str, type[StrategySpec]] = {
    kind: _builtin_spec(kind, params) for kind, params in STRATEGY_PARAMS.items()
}
# module attributes too (BoulwareSpec, ...): pickle finds a class by its module and name,
# and configs travel to worker processes
globals().update({spec.__name__: spec for spec in BUILTIN_SPECS.values()})


class UserStrategySpec(StrategySpec):
    """A user strategy named by import path; its params are checked when it is imported."""

    kind: Annotated[str, Field(pattern=IMPORT_PATH.pattern)]
    params: dict[str, Any] = Field(default_factory=dict)


class UnknownStrategySpec(StrategySpec):
    """Catches a ``kind`` that names nothing, so the error names ``strategy.kind``."""

    kind: Any
    params: Any = None

    @field_validator("kind")
    @classmethod
    def _reject(cls, kind: Any) -> Any:
        if not isinstance(kind, str):
            raise ValueError("must be a strategy name (a string)")
        if ":" in kind:
            raise ValueError(f"{kind!r} is not an import path of the form 'package.module:Class'")
        raise ValueError(
            f"unknown strategy {kind!r}; known: {sorted(STRATEGY_PARAMS)}, or a user strategy "
            "named by import path, 'package.module:Class'"
        )


def _strategy_tag(value: Any) -> str | None:
    """Which union member validates ``value`` (a raw table or an already built spec)."""
    if isinstance(value, StrategySpec):
        kind = value.kind
    elif isinstance(value, dict):
        kind = value.get("kind")
    else:
        return None
    if isinstance(kind, str) and kind in BUILTIN_SPECS:
        return kind
    if isinstance(kind, str) and IMPORT_PATH.fullmatch(kind):
        return USER_STRATEGY_TAG
    return UNKNOWN_STRATEGY_TAG


STRATEGY_TAGS = frozenset({*BUILTIN_SPECS, USER_STRATEGY_TAG, UNKNOWN_STRATEGY_TAG})

_MEMBERS = [Annotated[spec, Tag(kind)] for kind, spec in BUILTIN_SPECS.items()] + [
    Annotated[UserStrategySpec, Tag(USER_STRATEGY_TAG)],
    Annotated[UnknownStrategySpec, Tag(UNKNOWN_STRATEGY_TAG)],
]
StrategyConfig = Annotated[
    functools.reduce(operator.or_, _MEMBERS),
    Discriminator(
        _strategy_tag,
        custom_error_type="strategy_table",
        custom_error_message='must be a table with a kind, e.g. { kind = "linear" }',
    ),
]
"""A member's strategy table, discriminated on ``kind``."""
