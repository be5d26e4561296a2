"""The sweep file's schema (pydantic) and the validated parameter it resolves to.

A sweep file names a base scenario, the parameters to vary and how, the design, the
outcomes to keep and a few settings.  Unknown keys and non-finite numbers are errors; the
checks that go beyond one field are in ``experiments.sweepcheck``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field
from tradetalks.sim.config import ConfigError

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"  # any column: an SQL identifier and a file name
COLUMN_RE = re.compile(COLUMN)
MAX_NAME = 1000  # characters of a sweep's name (a plot subtitle) ...
MAX_DESCRIPTION = 100_000  # ... and of its description
RESERVED_COLUMNS = ("run_id", "sample_id", "replicate", "seed", "status", "error")
DEFAULT_BINS = 6  # bins per continuous parameter in plots
MORRIS_LEVELS = 4  # Morris grid levels (SALib's default)


class SweepError(ConfigError):
    """A sweep file is invalid; ``problems`` lists (key path, message) pairs."""

    what = "sweep file"


class Strict(BaseModel):
    """Unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


Scalar = bool | int | float | str


class ParameterSpec(Strict):
    """One varied parameter: where it goes in the config and which values it takes.

    ``path`` names one config key; ``paths`` several that move together (``shares`` splits
    the value among them, e.g. a farm-aid budget over its tranches; without shares each
    path gets the whole value).  Values come from ``values`` (a list) or ``range``
    (``[low, high]``; a grid needs ``steps`` points on it).
    """

    name: str | None = None
    path: str | None = None
    paths: list[str] | None = None
    shares: list[Annotated[float, Field(ge=0.0)]] | None = None
    values: list[Scalar] | None = None
    range: tuple[float, float] | None = None
    steps: Annotated[int, Field(ge=2)] | None = None
    integer: bool = False

    @property
    def column(self) -> str:
        """The parameter's column name: its ``name``, or its path with '_' for '.'."""
        return self.name or (self.path or "").replace(".", "_")

    @property
    def config_keys(self) -> list[str | None]:
        """The config keys the parameter sets."""
        return list(self.paths) if self.paths is not None else [self.path]


class SamplerSpec(Strict):
    """The design: grid, random, Latin hypercube (lhs), Sobol (Saltelli) or Morris."""

    kind: Literal["grid", "random", "lhs", "sobol", "morris"]
    samples: Annotated[int, Field(ge=1)] | None = None
    second_order: bool = False  # Sobol: S2 indices too (doubles the runs)
    levels: Annotated[int, Field(ge=2)] = MORRIS_LEVELS
    scramble: bool = True  # Sobol: scrambled sequence (SALib's default)


class OutcomesSpec(Strict):
    """Summary fields kept per run, and optional weekly series (long form)."""

    keep: Annotated[list[str], Field(min_length=1)]
    series: list[str] = Field(default_factory=list)


class ExecutionSpec(Strict):
    """How runs are grouped into tasks (a modelling-neutral performance knob)."""

    batch_size: Annotated[int, Field(ge=1)] | None = None


class AnalysisSpec(Strict):
    """Defaults for ``tradetalks analyze``."""

    heatmap: Annotated[list[str], Field(min_length=2, max_length=2)] | None = None
    bins: Annotated[int, Field(ge=2, le=50)] = DEFAULT_BINS
    sensitivity: list[str] | None = None


class SweepSpec(Strict):
    """A whole sweep file.  It is data: no key names code to import (a model class of
    one's own is chosen on the command line, ``tradetalks sweep --model``)."""

    name: Annotated[str, Field(max_length=MAX_NAME)]
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] = ""
    base: str
    root_seed: Annotated[int, Field(ge=0)]
    replicates: Annotated[int, Field(ge=1)]
    # common random numbers: every design point runs replicate r with the same seed, so
    # differences between points come from the parameters, not from run-to-run noise (the
    # right design for sensitivity indices); False: each point has its own seeds
    common_seeds: bool = False
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    sampler: SamplerSpec
    parameters: Annotated[list[ParameterSpec], Field(min_length=1)]
    outcomes: OutcomesSpec
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)


@dataclass(frozen=True)
class Parameter:
    """A validated parameter: its column name, config targets and value domain."""

    name: str
    targets: tuple[tuple[str, float | None], ...]  # (config path, share or None)
    values: tuple[Scalar, ...] | None
    low: float | None
    high: float | None
    steps: int | None
    integer: bool

    @classmethod
    def from_spec(cls, p: ParameterSpec) -> Parameter:
        """Resolve a parameter spec that passed the checks of ``experiments.sweepcheck``."""
        shares = p.shares
        return cls(
            name=p.column,
            targets=tuple(
                (str(t), None if shares is None else float(shares[j]))
                for j, t in enumerate(p.config_keys)
            ),
            values=None if p.values is None else tuple(p.values),
            low=None if p.range is None else float(p.range[0]),
            high=None if p.range is None else float(p.range[1]),
            steps=p.steps,
            integer=p.integer,
        )

    def overrides(self, value: Scalar) -> dict[str, Any]:
        """Config overrides that set this parameter to ``value``."""
        out: dict[str, Any] = {}
        for path, share in self.targets:
            out[path] = value if share is None else float(value) * share  # type: ignore[arg-type]
        return out

    def domain_points(self) -> list[Scalar]:
        """Values to check against the config: every listed value, or both ends of a range."""
        if self.values is not None:
            return list(self.values)
        assert self.low is not None and self.high is not None
        if self.integer:
            return [math.ceil(self.low), math.floor(self.high)]
        return [self.low, self.high]

    def arrow_type(self) -> pa.DataType:
        """Column type of the parameter in the results table."""
        if self.values is None:
            return pa.int64() if self.integer else pa.float64()
        if all(isinstance(v, bool) for v in self.values):
            return pa.bool_()
        if all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return pa.int64()
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return pa.float64()
        return pa.string()
