"""A sweep directory's ``manifest.json``: written when the sweep starts, and validated by a
strict schema before anything reads it again (``resume``, ``analyze``).

A manifest is data from a directory that may have come from anyone: every name that later
reaches SQL or a file name is a plain identifier, every file it names is the one file of
that role, every count agrees with the others, and a manifest that is not so is refused
with a message naming the problem (``ManifestError``), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import math
import platform
import subprocess
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.runtime import MODEL_RE
from tradetalks.experiments.sweepcheck import (
    MAX_RUNS,
    MAX_SAMPLES,
    check_parameter,
    check_sampler,
    pydantic_problems,
)
from tradetalks.experiments.sweepspec import (
    COLUMN,
    MAX_DESCRIPTION,
    MAX_NAME,
    AnalysisSpec,
    ParameterSpec,
    SamplerSpec,
)

MANIFEST = "manifest.json"
FORMAT = 2  # 2: every part has a commit record (rows, size, sha256); 1: none (older sweeps)
MAX_BYTES = 64 * 1024 * 1024  # a manifest is a few kB; parameter value lists stay short
ID_COLUMNS = ("run_id", "sample_id", "replicate", "seed")
STATUS_COLUMNS = ("status", "error")
DESIGN_FILE = "design.parquet"
BASE_CONFIG_FILE = "base_config.toml"
MAX_HORIZON_WEEKS = 100_000  # any run's horizon is far below this

Identifier = Annotated[str, StringConstraints(pattern=COLUMN)]  # SQL identifier, file name
Count = Annotated[int, Field(ge=1)]


class ManifestError(Exception):
    """A sweep directory's manifest is missing, corrupt or inconsistent (bad input: exit 2)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Problem(_Strict):
    """The SALib problem of a Sobol or Morris design."""

    num_vars: Count
    names: list[Identifier]
    bounds: list[tuple[float, float]]


class Design(_Strict):
    """The design section: sampler, parameters and their column names, size, file."""

    sampler: SamplerSpec
    parameters: Annotated[list[ParameterSpec], Field(min_length=1)]
    names: Annotated[list[Identifier], Field(min_length=1)]
    samples: Annotated[int, Field(ge=1, le=MAX_SAMPLES)]
    problem: Problem | None
    file: Literal["design.parquet"]


class Manifest(_Strict):
    """The whole manifest (format 1 or 2)."""

    format: Literal[1, 2]
    name: Annotated[str, Field(max_length=MAX_NAME)]
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] = ""
    created: str
    sweep_file: str
    sweep_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    base: str  # the base config's absolute path (a relative base resolved as the sweep did)
    # the command line's changes to the sweep file (--replicates, --samples, --set); the
    # sweep as run, with them, is sweep.toml
    overrides: list[str] = Field(default_factory=list)
    base_config_file: Literal["base_config.toml"]
    model: Annotated[str, StringConstraints(pattern=MODEL_RE.pattern)]
    code_version: dict[str, str | bool | None]
    root_seed: Annotated[int, Field(ge=0)]
    seeds: str
    integrity: str = ""
    design: Design
    replicates: Count
    runs: Annotated[int, Field(ge=1, le=MAX_RUNS)]
    batch_size: Count
    batches: Count
    outcomes: list[str]
    series: list[str]
    columns: list[Identifier]
    horizon_weeks: Annotated[int, Field(ge=1, le=MAX_HORIZON_WEEKS)]
    analysis: AnalysisSpec

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        """Counts agree; columns are exactly ids, parameters, status and outcomes."""
        d = self.design
        problems = check_sampler(d.sampler, len(d.parameters))
        for i, p in enumerate(d.parameters):
            problems += check_parameter(i, p, d.sampler.kind)
        if problems:  # the rules a sweep file obeys (ranges low < high, one kind of value...)
            raise ValueError("; ".join(f"design.{k}: {m}" for k, m in problems[:3]))
        if self.runs != d.samples * self.replicates:
            raise ValueError("runs is not design.samples x replicates")
        if self.batches != math.ceil(self.runs / self.batch_size):
            raise ValueError("batches does not match runs and batch_size")
        if [p.column for p in d.parameters] != d.names:
            raise ValueError("design.names do not match design.parameters")
        outcome_cols = [oc.column_name(o) for o in self.outcomes]
        if self.columns != [*ID_COLUMNS, *d.names, *STATUS_COLUMNS, *outcome_cols]:
            raise ValueError("columns are not the ids, parameters, status and outcomes")
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("a column name is used twice")
        if d.sampler.kind in ("sobol", "morris") and d.problem is None:
            raise ValueError(f"a {d.sampler.kind} design needs its problem")
        if d.problem is not None and (
            d.problem.names != d.names
            or d.problem.num_vars != len(d.names)
            or len(d.problem.bounds) != len(d.names)
        ):
            raise ValueError("design.problem does not match the parameters")
        for n in (self.analysis.heatmap or []) + (self.analysis.sensitivity or []):
            if n not in d.names and oc.column_name(n) not in outcome_cols:
                raise ValueError(f"analysis names {n!r}, neither a parameter nor an outcome")
        return self

    @property
    def params(self) -> list[str]:
        """Parameter column names."""
        return list(self.design.names)


def load_manifest(root: Path) -> Manifest:
    """The validated manifest of a sweep directory; ``ManifestError`` naming the problem."""
    path = Path(root) / MANIFEST
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ManifestError(f"{path} is larger than {MAX_BYTES:,} bytes; not a manifest")
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ManifestError(f"{root} is not a sweep directory (no {MANIFEST})") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ManifestError(f"{path} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ManifestError(f"{path} is nested too deeply") from None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path} is not a JSON object")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{k or 'manifest'}: {m}" for k, m in pydantic_problems(exc)[:5])
        raise ManifestError(f"{path} is not a valid sweep manifest: {problems}") from None


def code_version() -> dict[str, Any]:
    """Versions that determine the results: this package (and git commit), key libraries."""
    out: dict[str, Any] = {"python": platform.python_version()}
    for dist in (
        "tradetalks",
        "mesa",
        "numpy",
        "scipy",
        "SALib",
        "pyarrow",
        "dask",
        "distributed",
        "duckdb",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    repo = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        out["git_commit"] = git("rev-parse", "HEAD")
        out["git_dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = None
    return out


def build_manifest(sweep: Any, samples: int, problem: Any, batch_size: int) -> dict[str, Any]:
    """The manifest of a new sweep (a ``sweepfile.Sweep`` whose design has ``samples``
    points and SALib ``problem``), checked against the schema it will be read with."""
    spec = sweep.spec
    n_runs = samples * spec.replicates
    manifest = {
        "format": FORMAT,
        "name": spec.name,
        "description": spec.description,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sweep_file": str(sweep.path),
        "sweep_sha256": sweep.sha256,
        "base": str(Path(sweep.base_path).resolve()),
        "overrides": list(getattr(sweep, "options", ())),
        "base_config_file": BASE_CONFIG_FILE,
        "model": sweep.model,
        "code_version": code_version(),
        "root_seed": spec.root_seed,
        "seeds": "run seed = SeedSequence(root_seed, spawn_key=(sample_id, replicate))"
        ".generate_state(1, uint64)[0] >> 1; design from SeedSequence(root_seed)",
        "integrity": "each batch's parts are listed in commits/part-NNNNNN.json with their "
        "rows, bytes and sha256, written after the parts: a batch is done when its record "
        "exists and its parts match it",
        "design": {
            "sampler": spec.sampler.model_dump(),
            "parameters": [p.model_dump(exclude_none=True) for p in spec.parameters],
            "names": [p.name for p in sweep.parameters],
            "samples": samples,
            "problem": problem,
            "file": DESIGN_FILE,
        },
        "replicates": spec.replicates,
        "runs": n_runs,
        "batch_size": batch_size,
        "batches": math.ceil(n_runs / batch_size),
        "outcomes": list(sweep.outcome_types),
        "series": list(sweep.series),
        "columns": sweep.result_schema().names,
        "horizon_weeks": sweep.horizon,
        "analysis": spec.analysis.model_dump(),
    }
    try:
        Manifest.model_validate(manifest)  # what is written can be read back
    except ValidationError as exc:
        problems = "; ".join(f"{k}: {m}" for k, m in pydantic_problems(exc)[:5])
        raise ManifestError(f"the sweep cannot be recorded: {problems}") from None
    return manifest
