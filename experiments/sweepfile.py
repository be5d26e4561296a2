"""Sweep files: the TOML that names a base scenario, the parameters to vary and how.

A sweep file is validated like a config: unknown keys are errors, every problem is named
by its dotted key path, and nothing runs or is written until the whole file is sound.
``load_sweep`` reads and parses it (``read_spec``), checks it (``experiments.sweepcheck``:
the file, the base scenario, each parameter value or both ends of a range applied to the
base scenario) and makes one probe run of the base scenario (``experiments.probe``) that
checks every outcome and series to keep.  See ``configs/sweeps/`` for annotated examples.

A sweep file is data: it names no code to run.  The model class is the built-in one unless
the command line names another (``--model``, resolved by ``runtime.resolve_model``).
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
from tradetalks.experiments.runtime import resolve_model
from tradetalks.experiments.sweepcheck import (
    check_domains,
    check_size,
    check_spec,
    design_size,
    partial_checks,
    pydantic_problems,
    resolve_base,
)
from tradetalks.experiments.sweepspec import Parameter, SweepError, SweepSpec
from tradetalks.sim.issues import OutcomeSpace

__all__ = ["Sweep", "SweepError", "load_sweep", "read_spec"]

MAX_FILE_BYTES = 4 * 1024 * 1024  # a sweep file is a page of TOML; value lists stay short
CODE_KEYS = {  # keys that once named code (or that someone might expect to): refused by name
    "model": "a sweep file cannot name code to run; choose a model class of your own with "
    "`tradetalks sweep --model package.module:Class` (or an installed model's name)",
}


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
    model: str  # package.module:Class of the model every run uses
    samples: int  # design points
    # the base config's outcome space, warmed by the probe run; workers start from it
    space: OutcomeSpace | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.spec.name

    @property
    def n_runs(self) -> int:
        """Runs of the sweep: design points x replicates."""
        return self.samples * self.spec.replicates

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


def _read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of a sweep file and its TOML; ``SweepError`` if it cannot be read."""
    src = str(path)
    if not path.is_file():
        raise SweepError([("", f"file not found: {path}")], src)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SweepError([("", f"the file is larger than {MAX_FILE_BYTES:,} bytes")], src)
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError:
        raise SweepError([("", "the file is not UTF-8 text")], src) from None
    except tomllib.TOMLDecodeError as exc:
        raise SweepError([("", f"TOML syntax error: {exc}")], src) from None
    except RecursionError:
        raise SweepError([("", "the file is nested too deeply")], src) from None


def read_spec(path: Path) -> tuple[str, SweepSpec]:
    """The text of a sweep file and its parsed spec; ``SweepError`` if it does not parse
    (naming also the problems of the sections that do)."""
    text, raw = _read_toml(path)
    code = [(k, why) for k, why in CODE_KEYS.items() if k in raw]
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        problems = [p for p in pydantic_problems(exc) if p[0] not in CODE_KEYS]
        raise SweepError(code + problems + partial_checks(raw), str(path)) from None
    except RecursionError:
        raise SweepError([("", "the file is nested too deeply")], str(path)) from None
    return text, spec


def load_sweep(path: str | Path, model: str | None = None) -> Sweep:
    """Read, validate and resolve a sweep file; raise ``SweepError`` naming every problem.
    ``model`` is the ``--model`` of the command line (``runtime.resolve_model``: a
    ``ModelError`` if it cannot be used); the sweep file has no say in it."""
    from tradetalks.sim.config import dump_config, to_toml

    path = Path(path)
    text, spec = read_spec(path)
    problems = check_spec(spec)
    problems = problems or check_size(spec)  # sizes only of a file that makes sense
    base_path = (path.parent / spec.base).resolve()
    cfg, more = resolve_base(spec, base_path)
    problems += more
    if problems:
        raise SweepError(problems, str(path))
    assert cfg is not None
    model_spec, model_cls = resolve_model(model)
    params = tuple(Parameter.from_spec(p) for p in spec.parameters)
    problems = check_domains(params, dump_config(cfg))
    probe = None
    if not problems:
        probe = probe_run(spec, cfg, model_cls)
        problems = probe.problems
    if problems:
        raise SweepError(problems, str(path))
    assert probe is not None
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
        model=model_spec,
        samples=design_size(spec),
        space=probe.space,
    )
