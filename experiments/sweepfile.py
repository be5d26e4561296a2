"""Sweep files: the TOML that names a base scenario, the parameters to vary and how.

A sweep file is validated like a config: unknown keys are errors, every problem is named
by its dotted key path, and nothing runs or is written until the whole file is sound.
``load_sweep`` reads and parses it (``read_spec``), checks it (``experiments.sweepcheck``:
the file, the base scenario, each parameter value or both ends of a range applied to the
base scenario) and makes one probe run of the base scenario (``experiments.probe``) that
checks every outcome and series to keep.  See ``configs/sweeps/`` for annotated examples.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import ValidationError
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.probe import probe_run
from tradetalks.experiments.runtime import import_model
from tradetalks.experiments.sweepcheck import (
    Problems,
    check_domains,
    check_spec,
    partial_checks,
    pydantic_problems,
    resolve_base,
)
from tradetalks.experiments.sweepspec import Parameter, SweepError, SweepSpec
from tradetalks.sim.issues import OutcomeSpace

__all__ = ["Sweep", "SweepError", "load_sweep", "read_spec"]


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
    # the base config's outcome space, warmed by the probe run; workers start from it
    space: OutcomeSpace | None = field(default=None, repr=False, compare=False)

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


def read_spec(path: Path) -> tuple[str, SweepSpec]:
    """The text of a sweep file and its parsed spec; ``SweepError`` if it does not parse
    (naming also the problems of the sections that do)."""
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
        return text, SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SweepError(pydantic_problems(exc) + partial_checks(raw), src) from None


def _import_model(spec: SweepSpec) -> tuple[type | None, Problems]:
    try:
        return import_model(spec.model), []
    except Exception as exc:
        return None, [("model", f"cannot import {spec.model!r}: {exc}")]


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and resolve a sweep file; raise ``SweepError`` naming every problem."""
    from tradetalks.sim.config import dump_config, to_toml

    path = Path(path)
    text, spec = read_spec(path)
    problems = check_spec(spec)
    model_cls, more = _import_model(spec)
    problems += more
    base_path = (path.parent / spec.base).resolve()
    cfg, more = resolve_base(spec, base_path)
    problems += more
    params = tuple(Parameter.from_spec(p) for p in spec.parameters) if not problems else ()
    if cfg is not None and not problems:
        problems = check_domains(params, dump_config(cfg))
    probe = None
    if cfg is not None and model_cls is not None and not problems:
        probe = probe_run(spec, cfg, model_cls)
        problems = probe.problems
    if problems:
        raise SweepError(problems, str(path))
    assert cfg is not None and probe is not None
    return Sweep(
        path=path.resolve(),
        text=text,
        spec=spec,
        base_path=base_path,
        base_raw=dump_config(cfg),
        base_toml=to_toml(cfg),
        horizon=cfg.run.weeks,
        parameters=params,
        outcome_types=probe.outcome_types,
        series=tuple(spec.outcomes.series),
        space=probe.space,
    )
