"""Sweep files: the TOML that names a base scenario, the parameters to vary and how.

A sweep file is validated like a config: unknown keys are errors, every problem is named
by its dotted key path, and nothing runs or is written until the whole file is sound.
``load_sweep`` reads and parses it (``read_spec``), checks it (``experiments.sweepcheck``:
the file, the base scenario, each parameter value or both ends of a range applied to the
base scenario) and makes one probe run of the base scenario (``experiments.probe``) that
checks every outcome and series to keep.  See ``configs/sweeps/`` for annotated examples.

A sweep file is data: it names no code to run.  The model class is the built-in one unless
the command line names another (``--model``, resolved by ``runtime.resolve_model``).

A relative ``base`` is found next to the sweep file; failing that, among the shipped configs
(``base = "baseline"``), or next to the file the sweep file was copied from: a shipped sweep,
or, for the ``sweep.toml`` a sweep directory keeps, the sweep file its manifest names.  The
manifest records the base's absolute path.  The command line may change the sweep
(``SweepSource``: ``--replicates``, ``--samples``, ``--set``); the sweep then recorded (its
``text``, hence ``sweep.toml`` and the hash ``--resume`` compares) is the changed one, with
an absolute ``base``, followed by the file as written, commented out.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import tomli_w
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
from tradetalks.sim.shipped import FOLDERS, locate, shipped_root

__all__ = ["Sweep", "SweepError", "SweepSource", "load_sweep", "read_spec", "resolve_base_path"]

MAX_FILE_BYTES = 4 * 1024 * 1024  # a sweep file is a page of TOML; value lists stay short
CODE_KEYS = {  # keys that once named code (or that someone might expect to): refused by name
    "model": "a sweep file cannot name code to run; choose a model class of your own with "
    "`tradetalks sweep --model package.module:Class` (or an installed model's name)",
}


@dataclass(frozen=True)
class SweepSource:
    """A sweep file and the command line's changes to it: ``replicates``, the sampler's
    ``samples`` and config keys laid over the file's ``[set]`` table (``sets``)."""

    path: Path
    replicates: int | None = None
    samples: int | None = None
    sets: tuple[tuple[str, Any], ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the command line changes the sweep file at all."""
        return self.replicates is not None or self.samples is not None or bool(self.sets)

    def options(self) -> list[str]:
        """The changes as command-line options (for the record)."""
        out = [] if self.replicates is None else [f"--replicates {self.replicates}"]
        out += [] if self.samples is None else [f"--samples {self.samples}"]
        return out + [f"--set {k}={_toml_value(v)}" for k, v in self.sets]

    def apply(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The sweep file's TOML with the changes; ``SweepError`` if one cannot apply."""
        out = copy.deepcopy(raw)
        if self.replicates is not None:
            out["replicates"] = self.replicates
        if self.samples is not None:
            sampler = out.get("sampler")
            if isinstance(sampler, dict) and sampler.get("kind") == "grid":
                why = (
                    "a grid sweep has one design point per combination of its parameters' "
                    "values; change them, or --replicates, to resize it"
                )
                raise SweepError([("sampler.samples (--samples)", why)], str(self.path))
            if isinstance(sampler, dict):
                sampler["samples"] = self.samples
        if self.sets:
            fixed = out.get("set", {})
            if isinstance(fixed, dict):
                out["set"] = {**fixed, **dict(self.sets)}
        return out

    def blame(self, problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``problems`` with those of a changed key marked with its option."""
        options = {"replicates": self.replicates, "sampler.samples": self.samples}
        mine = {k for k, v in options.items() if v is not None}
        mine |= {f"set.{k}" for k, _ in self.sets}
        return [
            (f"{k} ({'--set' if k.startswith('set.') else '--' + k.split('.')[-1]})", m)
            if k in mine
            else (k, m)
            for k, m in problems
        ]


def _toml_value(value: Any) -> str:
    """``value`` as an inline TOML literal, on one line (as ``--set`` takes it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # escapes every control character: one line
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + "}"
        )
    return str(value)  # numbers, dates


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
    # the command line's changes to the sweep file (``SweepSource.options``), for the record
    options: tuple[str, ...] = ()

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


def read_spec(path: Path, source: SweepSource | None = None) -> tuple[str, SweepSpec]:
    """The text of a sweep file and its parsed spec (with ``source``'s changes); ``SweepError``
    if it does not parse (naming also the problems of the sections that do)."""
    text, spec, _ = _parse(path, source)
    return text, spec


def _parse(path: Path, source: SweepSource | None) -> tuple[str, SweepSpec, dict[str, Any]]:
    """``read_spec``, and the TOML (with the changes) the spec was parsed from."""
    text, raw = _read_toml(path)
    if source is not None:
        raw = source.apply(raw)
    code = [(k, why) for k, why in CODE_KEYS.items() if k in raw]
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        problems = [p for p in pydantic_problems(exc) if p[0] not in CODE_KEYS]
        raise SweepError(code + problems + partial_checks(raw), str(path)) from None
    except RecursionError:
        raise SweepError([("", "the file is nested too deeply")], str(path)) from None
    return text, spec, raw


def resolve_base_path(path: Path, base: str) -> Path | None:
    """The base config a sweep file at ``path`` names, or None if there is none.

    A relative ``base`` is looked for next to the sweep file; then among the shipped configs
    (``"baseline"``, ``"scenarios/hawkish_us"``); then next to the file the sweep file was
    copied from: the shipped sweeps (``"../baseline.toml"`` in a copy of one of them) or, for
    a sweep directory's ``sweep.toml``, the sweep file its manifest names."""
    try:
        given = Path(base)
        if given.is_absolute():
            return given if _is_file(given) else None
        candidates = [path.parent / given]
        if ".." not in given.parts and given.name:
            stem = given if given.suffix == ".toml" else given.with_suffix(".toml")
            candidates += [shipped_root() / folder / stem for folder in FOLDERS]
        candidates.append(shipped_root() / "sweeps" / given)
        origin = _copied_from(path)
        if origin is not None:
            candidates.append(origin.parent / given)
        return next((c.resolve() for c in candidates if _is_file(c)), None)
    except (ValueError, RuntimeError):  # a name no file can have; a symbolic link loop
        return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # e.g. a name too long
        return False


def _copied_from(path: Path) -> Path | None:
    """The sweep file a sweep directory's ``sweep.toml`` was copied from (its manifest)."""
    from tradetalks.experiments.manifest import MANIFEST, ManifestError, load_manifest

    if path.name != "sweep.toml" or not (path.parent / MANIFEST).is_file():
        return None
    try:
        return Path(load_manifest(path.parent).sweep_file)
    except ManifestError:
        return None


def _base_problem(path: Path, base: str) -> tuple[str, str]:
    where = path.parent / base
    return (
        "base",
        f"{base!r} names no file: not {where} (next to the sweep file) nor a shipped config; "
        "give a path relative to the sweep file, an absolute path, or a shipped config's name "
        '(e.g. base = "baseline")',
    )


def _recorded_text(source: SweepSource, text: str, raw: dict[str, Any], base: Path) -> str:
    """What is recorded of a sweep the command line changed: the sweep as run, its base
    absolute, then the file as written, commented out."""
    said = f"{source.path.name} as run with {' '.join(source.options())}"
    header = f"# {' '.join(said.split())}\n# (the file as written follows, commented out)\n"
    written = "".join(f"# {line}" for line in text.splitlines(keepends=True))
    return header + tomli_w.dumps({**raw, "base": str(base)}) + "\n" + written


def load_sweep(path: str | Path | SweepSource, model: str | None = None) -> Sweep:
    """Read, validate and resolve a sweep file (a path, a shipped sweep's name, or a
    ``SweepSource`` with the command line's changes); raise ``SweepError`` naming every
    problem.  ``model`` is the ``--model`` of the command line
    (``runtime.resolve_model``: a ``ModelError`` if it cannot be used); the sweep file has
    no say in it."""
    source = path if isinstance(path, SweepSource) else SweepSource(Path(path))
    source = SweepSource(locate(source.path), source.replicates, source.samples, source.sets)
    try:
        return _load(source, model)
    except SweepError as exc:
        raise SweepError(source.blame(exc.problems), exc.source) from None


def _load(source: SweepSource, model: str | None) -> Sweep:
    from tradetalks.sim.config import dump_config, to_toml

    path = source.path
    text, spec, raw = _parse(path, source)
    problems = check_spec(spec)
    problems = problems or check_size(spec)  # sizes only of a file that makes sense
    base_path = resolve_base_path(path, spec.base)
    cfg = None
    if base_path is None:
        problems.append(_base_problem(path, spec.base))
    else:
        cfg, more = resolve_base(spec, base_path)
        problems += more
    if problems:
        raise SweepError(problems, str(path))
    assert cfg is not None and base_path is not None
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
        text=_recorded_text(source, text, raw, base_path) if source.changed else text,
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
        options=tuple(source.options()),
    )
