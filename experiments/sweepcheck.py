"""Checks of a sweep file beyond its schema, each problem named by its dotted key path.

Three stages, each run only if the one before found nothing (so one pass names every
problem it can): the file on its own (``check_spec``, or ``partial_checks`` when the schema
already failed), the base scenario with the file's ``set`` (``resolve_base``), and every
parameter value (or both ends of a range) applied to the base scenario
(``check_domains``).  The probe run is ``experiments.probe``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.sweepspec import (
    COLUMN_RE,
    NAME_RE,
    RESERVED_COLUMNS,
    Parameter,
    ParameterSpec,
    SamplerSpec,
    SweepSpec,
)
from tradetalks.sim.config import Config, ConfigError

Problems = list[tuple[str, str]]
SHARE_TOLERANCE = 1e-9  # shares of a split parameter must sum to 1 within this
UNION_TAGS = ("bool", "int", "float", "str")  # pydantic's union-branch tags in locations
# Sizes a sweep may have.  The design (one row of parameter values per sample, ~250 bytes
# at six parameters) is held in memory, so it stays well within a laptop's memory; runs
# are planned lazily, but 10^8 of them is years of computing on one machine.
MAX_SAMPLES = 5_000_000
MAX_RUNS = 100_000_000


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def pydantic_problems(exc: ValidationError) -> Problems:
    """Schema errors as (key path, message) pairs, in plain words, each once."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        loc = tuple(p for p in loc if p not in UNION_TAGS)  # e.g. 'bool' / 'int' in list items
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append((_loc(loc), msg))
    return list(dict.fromkeys(problems))


def _check_targets(at: str, p: ParameterSpec) -> Problems:
    """Where a parameter goes: one path or several, their shares, its column name."""
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
    return problems


def _check_values(at: str, p: ParameterSpec, values: list[Any]) -> Problems:
    """A list of values: not empty, of one kind, each once; no range-only keys."""
    problems = []
    if not values:
        problems.append((f"{at}.values", "must not be empty"))
    kinds = {
        "flag" if isinstance(v, bool) else "number" if isinstance(v, int | float) else "label"
        for v in values
    }
    if len(kinds) > 1:
        problems.append((f"{at}.values", f"mixes {' and '.join(sorted(kinds))}s"))
    if len(set(map(repr, values))) != len(values):
        problems.append((f"{at}.values", "lists a value twice"))
    if p.shares is not None and kinds - {"number"}:
        problems.append((f"{at}.shares", "only numbers can be split into shares"))
    if p.steps is not None:
        problems.append((f"{at}.steps", "'steps' goes with 'range', not 'values'"))
    if p.integer:
        problems.append((f"{at}.integer", "'integer' goes with 'range', not 'values'"))
    return problems


def _check_range(at: str, p: ParameterSpec, kind: str | None) -> Problems:
    """A range: low below high; grid points only on a grid, and needed there."""
    assert p.range is not None
    problems = []
    lo, hi = p.range
    if not lo < hi:
        problems.append((f"{at}.range", f"low ({lo:g}) must be below high ({hi:g})"))
    if kind == "grid" and p.steps is None:
        problems.append((f"{at}.steps", "a grid needs 'steps' points on each range"))
    if kind not in ("grid", None) and p.steps is not None:
        problems.append((f"{at}.steps", f"'steps' is for grids; the {kind} sampler draws"))
    return problems


def check_parameter(i: int, p: ParameterSpec, kind: str | None) -> Problems:
    """Problems of parameter ``i`` (``kind`` is the sampler's, if known)."""
    at = f"parameters[{i}]"
    problems = _check_targets(at, p)
    if (p.values is None) == (p.range is None):
        problems.append((at, "give exactly one of 'values' (a list) or 'range' ([low, high])"))
    if p.values is not None:
        problems += _check_values(at, p, p.values)
    if p.range is not None:
        problems += _check_range(at, p, kind)
    return problems


def check_sampler(s: SamplerSpec, n_params: int) -> Problems:
    """Problems of the sampler section for a sweep of ``n_params`` parameters."""
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


def partial_checks(raw: dict[str, Any]) -> Problems:
    """Semantic checks of the sections that are well-formed on their own, so one pass
    names every problem even when another part of the file does not parse."""
    problems: Problems = []
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
        problems += check_parameter(i, spec, sampler.kind if sampler else None)
    if sampler is not None:
        problems += check_sampler(sampler, len(params))
    return problems


def _check_columns(spec: SweepSpec, names: list[str]) -> Problems:
    """Parameter names and config keys each used once; outcome columns distinct."""
    problems = []
    for i, n in enumerate(names):
        if n in names[:i]:
            problems.append((f"parameters[{i}].name", f"the name {n!r} is used twice"))
        if n in RESERVED_COLUMNS:
            problems.append((f"parameters[{i}].name", f"{n!r} is a reserved column name"))
        if not COLUMN_RE.match(n):
            problems.append(
                (
                    f"parameters[{i}]",
                    f"column {n!r} is not a name of up to 128 letters, digits and '_'",
                )
            )
    flat = [t for p in spec.parameters for t in p.config_keys if t]
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
        if not COLUMN_RE.match(c):
            problems.append(
                (
                    f"outcomes.keep[{i}]",
                    f"column {c!r} is not a name of up to 128 letters, digits and '_'",
                )
            )
    return problems


def _check_analysis(spec: SweepSpec, names: list[str]) -> Problems:
    """The analysis defaults name parameters and kept outcomes."""
    problems = []
    if spec.analysis.heatmap is not None:
        for i, n in enumerate(spec.analysis.heatmap):
            if n not in names:
                problems.append((f"analysis.heatmap[{i}]", f"{n!r} is not a parameter name"))
        if len(set(spec.analysis.heatmap)) == 1:
            problems.append(("analysis.heatmap", "name two different parameters"))
    keep_cols = [oc.column_name(k) for k in spec.outcomes.keep]
    for i, o in enumerate(spec.analysis.sensitivity or []):
        if oc.column_name(o) not in keep_cols:
            problems.append((f"analysis.sensitivity[{i}]", f"{o!r} is not a kept outcome"))
    return problems


def check_spec(spec: SweepSpec) -> Problems:
    """Every problem the sweep file shows on its own (without the base scenario)."""
    kind = spec.sampler.kind
    problems = check_sampler(spec.sampler, len(spec.parameters))
    for i, p in enumerate(spec.parameters):
        problems += check_parameter(i, p, kind)
    names = [p.column for p in spec.parameters]
    return problems + _check_columns(spec, names) + _check_analysis(spec, names)


def resolve_base(spec: SweepSpec, base_path: Path) -> tuple[Config | None, Problems]:
    """The base scenario with the file's ``set`` applied, or its problems (by key path)."""
    from tradetalks.sim.scenario import resolve_config

    try:
        return resolve_config(base_path, spec.fixed), []
    except ConfigError as exc:
        return None, [
            (
                f"base ({spec.base})"
                if not k or k in ("extends",)
                else (f"set.{k}" if k in spec.fixed else f"base: {k}"),
                m,
            )
            for k, m in exc.problems
        ]


def check_domains(params: tuple[Parameter, ...], base_raw: dict[str, Any]) -> Problems:
    """Apply every listed value (or both ends of a range) to the base scenario and name
    what the config rejects, once each."""
    from tradetalks.sim.scenario import resolve_config

    problems = []
    for i, p in enumerate(params):
        for value in p.domain_points():
            try:
                resolve_config(base_raw, p.overrides(value))
            except ConfigError as exc:
                for k, m in exc.problems:
                    where = f"parameters[{i}] ({p.name} = {value!r})"
                    problems.append((where, f"{k}: {m}" if k else m))
    return list(dict.fromkeys(problems))


def _grid_points(p: ParameterSpec) -> int:
    """Points of one parameter on a grid (``samplers.grid_levels``), without building them
    when there would be too many anyway."""
    if p.values is not None:
        return len(p.values)
    if p.range is None or p.steps is None:
        return 1
    if not p.integer:
        return p.steps
    lo, hi = p.range
    span = abs(round(hi) - round(lo)) + 1  # distinct integers a range can round to
    if p.steps > MAX_SAMPLES or span > MAX_SAMPLES:
        return min(p.steps, span)
    return int(np.unique(np.round(np.linspace(lo, hi, p.steps))).size)


def design_size(spec: SweepSpec) -> int:
    """Number of design points (samples) the sweep file asks for, computed from the file
    alone: grids multiply their points, Sobol (Saltelli) draws N (D + 2) or N (2D + 2),
    Morris N (D + 1) trajectory points."""
    s, d = spec.sampler, len(spec.parameters)
    if s.kind == "grid":
        return math.prod(_grid_points(p) for p in spec.parameters)
    n = s.samples or 0
    if s.kind == "sobol":
        return n * (2 * d + 2 if s.second_order else d + 2)
    if s.kind == "morris":
        return n * (d + 1)
    return n


def check_size(spec: SweepSpec) -> Problems:
    """The design must fit in memory and the runs within ``MAX_RUNS`` (before anything is
    built or written)."""
    samples = design_size(spec)
    where = "parameters" if spec.sampler.kind == "grid" else "sampler.samples"
    if samples > MAX_SAMPLES:
        return [
            (
                where,
                f"the design has {samples:,} points, more than the {MAX_SAMPLES:,} a "
                "sweep can hold in memory",
            )
        ]
    runs = samples * spec.replicates
    if runs > MAX_RUNS:
        return [
            (
                "replicates",
                f"{samples:,} design points x {spec.replicates:,} replicates = "
                f"{runs:,} runs, more than the limit of {MAX_RUNS:,}",
            )
        ]
    return []
