"""Sweep files: the TOML that names a base scenario, the parameters to vary and how.

A sweep file is validated like a config: unknown keys are errors, every problem is named
by its dotted key path, and nothing runs or is written until the whole file is sound.  The
checks go as far as the model: each parameter value (or both ends of a range) is applied
to the base scenario and validated, and one probe run of the base scenario checks that
every outcome and series to keep exists.  See ``configs/sweeps/`` for annotated examples.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.seeds import run_seed
from tradetalks.sim.config import ConfigError

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
RESERVED_COLUMNS = ("run_id", "sample_id", "replicate", "seed", "status", "error")
DEFAULT_MODEL = "tradetalks.sim.model:TradeTalksModel"
SHARE_TOLERANCE = 1e-9  # shares of a split parameter must sum to 1 within this


class SweepError(ConfigError):
    """A sweep file is invalid; ``problems`` lists (key path, message) pairs."""

    what = "sweep file"


# --------------------------------------------------------------------------- schema
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


class SamplerSpec(Strict):
    """The design: grid, random, Latin hypercube (lhs), Sobol (Saltelli) or Morris."""

    kind: Literal["grid", "random", "lhs", "sobol", "morris"]
    samples: Annotated[int, Field(ge=1)] | None = None
    second_order: bool = False  # Sobol: S2 indices too (doubles the runs)
    levels: Annotated[int, Field(ge=2)] = 4  # Morris grid levels (SALib's default)
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
    bins: Annotated[int, Field(ge=2, le=50)] = 6  # bins per continuous parameter in plots
    sensitivity: list[str] | None = None


class SweepSpec(Strict):
    """A whole sweep file."""

    name: str
    description: str = ""
    base: str
    model: str = DEFAULT_MODEL
    root_seed: Annotated[int, Field(ge=0)]
    replicates: Annotated[int, Field(ge=1)]
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    sampler: SamplerSpec
    parameters: Annotated[list[ParameterSpec], Field(min_length=1)]
    outcomes: OutcomesSpec
    execution: ExecutionSpec = Field(default_factory=ExecutionSpec)
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec)


# --------------------------------------------------------------------------- resolved
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

    @property
    def discrete(self) -> bool:
        """True when the parameter takes values from a list."""
        return self.values is not None

    def overrides(self, value: Scalar) -> dict[str, Any]:
        """Config overrides that set this parameter to ``value``."""
        out: dict[str, Any] = {}
        for path, share in self.targets:
            out[path] = value if share is None else float(value) * share  # type: ignore[arg-type]
        return out

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


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the spec plus everything resolved from it."""

    path: Path
    text: str
    spec: SweepSpec
    base_path: Path
    base_raw: dict[str, Any]  # resolved base config (with `set`), as a raw dict
    base_toml: str
    horizon: int
    parameters: tuple[Parameter, ...]
    outcome_types: dict[str, pa.DataType]  # outcome path -> column type
    series: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.spec.name

    @property
    def sha256(self) -> str:
        """Hash of the sweep file's text (resume refuses a changed file)."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def result_schema(self) -> pa.Schema:
        """Schema of a results part: ids, seed, parameters, status, outcomes."""
        fields = [
            pa.field("run_id", pa.int64(), nullable=False),
            pa.field("sample_id", pa.int64(), nullable=False),
            pa.field("replicate", pa.int64(), nullable=False),
            pa.field("seed", pa.int64(), nullable=False),
        ]
        fields += [pa.field(p.name, p.arrow_type()) for p in self.parameters]
        fields += [pa.field("status", pa.string(), nullable=False), pa.field("error", pa.string())]
        fields += [pa.field(oc.column_name(k), t) for k, t in self.outcome_types.items()]
        return pa.schema(fields)


SERIES_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("week", pa.int64(), nullable=False),
        pa.field("series", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
    ]
)


# --------------------------------------------------------------------------- loading
def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # drop pydantic's union-branch tags such as 'bool' / 'int' in list items
        loc = tuple(p for p in loc if p not in ("bool", "int", "float", "str"))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append((_loc(loc), msg))
    seen: set[tuple[str, str]] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]


def import_model(spec: str) -> type:
    """Import a model class from ``module:Class``."""
    module, _, cls = spec.partition(":")
    if not module or not cls:
        raise ValueError("expected 'module:Class'")
    obj = getattr(importlib.import_module(module), cls)
    if not isinstance(obj, type):
        raise ValueError(f"{spec} is not a class")
    return obj


def _check_parameter(i: int, p: ParameterSpec, kind: str | None) -> list[tuple[str, str]]:
    at = f"parameters[{i}]"
    problems = []
    if (p.path is None) == (p.paths is None):
        problems.append((at, "give exactly one of 'path' (one config key) or 'paths' (several)"))
    if p.paths is not None:
        if not p.paths:
            problems.append((f"{at}.paths", "must name at least one config key"))
        if p.name is None:
            problems.append((f"{at}.name", "a parameter with several 'paths' needs a 'name'"))
    if p.shares is not None:
        if p.paths is None:
            problems.append((f"{at}.shares", "only a parameter with 'paths' can be split"))
        elif len(p.shares) != len(p.paths):
            problems.append((f"{at}.shares", f"needs one share per path ({len(p.paths)})"))
        elif abs(sum(p.shares) - 1.0) > SHARE_TOLERANCE:
            problems.append((f"{at}.shares", f"must sum to 1, not {sum(p.shares):g}"))
    if p.name is not None and not NAME_RE.match(p.name):
        problems.append((f"{at}.name", "use lower-case letters, digits and '_' (a column name)"))
    if (p.values is None) == (p.range is None):
        problems.append((at, "give exactly one of 'values' (a list) or 'range' ([low, high])"))
    if p.values is not None:
        if not p.values:
            problems.append((f"{at}.values", "must not be empty"))
        kinds = {
            "flag" if isinstance(v, bool) else "number" if isinstance(v, int | float) else "label"
            for v in p.values
        }
        if len(kinds) > 1:
            problems.append((f"{at}.values", f"mixes {' and '.join(sorted(kinds))}s"))
        if len(set(map(repr, p.values))) != len(p.values):
            problems.append((f"{at}.values", "lists a value twice"))
        if p.shares is not None and kinds - {"number"}:
            problems.append((f"{at}.shares", "only numbers can be split into shares"))
        if p.steps is not None:
            problems.append((f"{at}.steps", "'steps' goes with 'range', not 'values'"))
        if p.integer:
            problems.append((f"{at}.integer", "'integer' goes with 'range', not 'values'"))
    if p.range is not None:
        lo, hi = p.range
        if not lo < hi:
            problems.append((f"{at}.range", f"low ({lo:g}) must be below high ({hi:g})"))
        if kind == "grid" and p.steps is None:
            problems.append((f"{at}.steps", "a grid needs 'steps' points on each range"))
        if kind not in ("grid", None) and p.steps is not None:
            problems.append((f"{at}.steps", f"'steps' is for grids; the {kind} sampler draws"))
    return problems


def _check_sampler(s: SamplerSpec, n_params: int) -> list[tuple[str, str]]:
    problems = []
    if s.kind == "grid" and s.samples is not None:
        problems.append(("sampler.samples", "a grid has as many samples as points; omit it"))
    if s.kind != "grid" and s.samples is None:
        problems.append(("sampler.samples", f"the {s.kind} sampler needs a number of samples"))
    if s.kind == "sobol" and s.samples is not None and s.samples & (s.samples - 1):
        problems.append(("sampler.samples", "Sobol (Saltelli) needs a power of 2, e.g. 64"))
    if s.kind == "sobol" and n_params < 2:
        problems.append(("parameters", "Sobol indices need at least 2 parameters"))
    if s.kind != "sobol" and s.second_order:
        problems.append(("sampler.second_order", "only the sobol sampler has second order"))
    return problems


def _partial_checks(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Semantic checks of the sections that are well-formed on their own, so one pass
    names every problem even when another part of the file does not parse."""
    problems: list[tuple[str, str]] = []
    sampler = None
    try:
        sampler = SamplerSpec.model_validate(raw.get("sampler"))
    except ValidationError:
        pass
    params = raw.get("parameters")
    params = params if isinstance(params, list) else []
    for i, p in enumerate(params):
        try:
            spec = ParameterSpec.model_validate(p)
        except ValidationError:
            continue
        problems += _check_parameter(i, spec, sampler.kind if sampler else None)
    if sampler is not None:
        problems += _check_sampler(sampler, len(params))
    return problems


def _param_name(p: ParameterSpec) -> str:
    return p.name or (p.path or "").replace(".", "_")


def _domain_points(p: ParameterSpec) -> list[Scalar]:
    """Values to check against the config: every listed value, or both ends of a range."""
    if p.values is not None:
        return list(p.values)
    assert p.range is not None
    lo, hi = p.range
    if p.integer:
        return [math.ceil(lo), math.floor(hi)]
    return [lo, hi]


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and resolve a sweep file; raise ``SweepError`` naming every problem."""
    from tradetalks.sim.config import dump_config, to_toml
    from tradetalks.sim.model import resolve_config

    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise SweepError([("", f"file not found: {path}")], src)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError:
        raise SweepError([("", "the file is not UTF-8 text")], src) from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError([("", f"TOML syntax error: {exc}")], src) from None
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SweepError(_pydantic_problems(exc) + _partial_checks(raw), src) from None

    kind = spec.sampler.kind
    problems = _check_sampler(spec.sampler, len(spec.parameters))
    for i, p in enumerate(spec.parameters):
        problems += _check_parameter(i, p, kind)
    names = [_param_name(p) for p in spec.parameters]
    for i, n in enumerate(names):
        if n in names[:i]:
            problems.append((f"parameters[{i}].name", f"the name {n!r} is used twice"))
        if n in RESERVED_COLUMNS:
            problems.append((f"parameters[{i}].name", f"{n!r} is a reserved column name"))
    targets = [p.paths if p.paths is not None else [p.path] for p in spec.parameters]
    flat = [t for ts in targets for t in ts if t]
    for t in sorted({t for t in flat if flat.count(t) > 1}):
        problems.append(("parameters", f"the config key {t!r} is varied by two parameters"))
    for t in sorted(set(flat) & set(spec.fixed)):
        problems.append((f"set.{t}", "this key is also a varied parameter"))
    keep_cols = [oc.column_name(k) for k in spec.outcomes.keep]
    for i, c in enumerate(keep_cols):
        if c in keep_cols[:i]:
            problems.append((f"outcomes.keep[{i}]", f"{spec.outcomes.keep[i]!r} is listed twice"))
        if c in names or c in RESERVED_COLUMNS:
            problems.append((f"outcomes.keep[{i}]", f"column {c!r} clashes with another column"))
    if spec.analysis.heatmap is not None:
        for i, n in enumerate(spec.analysis.heatmap):
            if n not in names:
                problems.append((f"analysis.heatmap[{i}]", f"{n!r} is not a parameter name"))
        if len(set(spec.analysis.heatmap)) == 1:
            problems.append(("analysis.heatmap", "name two different parameters"))

    for i, o in enumerate(spec.analysis.sensitivity or []):
        if oc.column_name(o) not in keep_cols:
            problems.append((f"analysis.sensitivity[{i}]", f"{o!r} is not a kept outcome"))
    try:
        model_cls = import_model(spec.model)
    except Exception as exc:
        problems.append(("model", f"cannot import {spec.model!r}: {exc}"))
        model_cls = None

    base_path = (path.parent / spec.base).resolve()
    cfg = None
    try:
        cfg = resolve_config(base_path, spec.fixed)
    except ConfigError as exc:
        problems += [
            (
                f"base ({spec.base})"
                if not k or k in ("extends",)
                else (f"set.{k}" if k in spec.fixed else f"base: {k}"),
                m,
            )
            for k, m in exc.problems
        ]

    if cfg is not None and not problems:
        base_raw = dump_config(cfg)
        for i, p in enumerate(spec.parameters):
            name = names[i]
            for value in _domain_points(p):
                split = [
                    (t, None if p.shares is None else p.shares[j]) for j, t in enumerate(targets[i])
                ]
                ovr = {t: value if s is None else float(value) * s for t, s in split}
                try:
                    resolve_config(base_raw, ovr)
                except ConfigError as exc:
                    for k, m in exc.problems:
                        where = f"parameters[{i}] ({name} = {value!r})"
                        problems.append((where, f"{k}: {m}" if k else m))
        problems = list(dict.fromkeys(problems))

    outcome_types: dict[str, pa.DataType] = {}
    if cfg is not None and model_cls is not None and not problems:
        from tradetalks.experiments.worker import limit_blas

        limit_blas()
        try:
            model = model_cls(config=dump_config(cfg), rng=run_seed(spec.root_seed, 0, 0))
            summary = model.run()
        except Exception as exc:
            problems.append(
                ("base", f"a probe run of the base scenario failed: {type(exc).__name__}: {exc}")
            )
        else:
            issue_names = list(cfg.issues)
            for i, key in enumerate(spec.outcomes.keep):
                if key.startswith(oc.TERMS_PREFIX) and key.count(".") == 1:
                    if key[len(oc.TERMS_PREFIX) :] not in issue_names:
                        problems.append(
                            (
                                f"outcomes.keep[{i}]",
                                f"no issue named {key[6:]!r}; issues: {issue_names}",
                            )
                        )
                        continue
                try:
                    outcome_types[key] = oc.arrow_type(key, oc.extract(summary, key))
                except KeyError:
                    problems.append(
                        (
                            f"outcomes.keep[{i}]",
                            f"the run summary has no {key!r}; "
                            f"known: {', '.join(oc.known_paths(summary))}",
                        )
                    )
                except TypeError as exc:
                    problems.append((f"outcomes.keep[{i}]", str(exc)))
            if spec.outcomes.series:
                ts = model.timeseries()
                numeric = [c for c in ts.columns if c != "week" and ts[c].dtype.kind in "biuf"]
                for i, s in enumerate(spec.outcomes.series):
                    if s not in numeric:
                        problems.append(
                            (
                                f"outcomes.series[{i}]",
                                f"no numeric weekly series {s!r}; known: {', '.join(numeric)}",
                            )
                        )
    if problems:
        raise SweepError(problems, src)
    assert cfg is not None
    params = tuple(
        Parameter(
            name=names[i],
            targets=tuple(
                (t, None if p.shares is None else float(p.shares[j]))
                for j, t in enumerate(targets[i])
            ),
            values=None if p.values is None else tuple(p.values),
            low=None if p.range is None else float(p.range[0]),
            high=None if p.range is None else float(p.range[1]),
            steps=p.steps,
            integer=p.integer,
        )
        for i, p in enumerate(spec.parameters)
    )
    return Sweep(
        path=path.resolve(),
        text=text,
        spec=spec,
        base_path=base_path,
        base_raw=dump_config(cfg),
        base_toml=to_toml(cfg),
        horizon=cfg.run.weeks,
        parameters=params,
        outcome_types=outcome_types,
        series=tuple(spec.outcomes.series),
    )
