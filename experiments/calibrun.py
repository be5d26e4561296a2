"""``calibrate``: a calibration file in, an output directory out (what the command runs).

The file is checked before anything is created (``CalibError``: exit 2, no directory).  A new
run needs a missing or empty ``out``; there it keeps a copy of the file (``calib.toml``) and
pyabc's database (``abc.db``, written generation by generation).  ``resume`` continues the
database in ``out`` from its last completed generation, if the file still poses the same
problem (everything but ``[abc]``, whose budget may grow).  At the end the tables, plots,
overlay and manifest are written, each through a temporary file and a rename.
"""

from __future__ import annotations

import io
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tradetalks.experiments.calibfile import Calibration, load_calibration
from tradetalks.experiments.calibration import (
    SCALES,
    Backend,
    Progress,
    predictive_draws,
    run_abc,
)
from tradetalks.experiments.calibspec import CalibError, CalibSpec

DB = "abc.db"
COPY = "calib.toml"
SETTINGS_ONLY = frozenset({"abc", "description", "name"})  # what a resume may change


def _problem(spec: CalibSpec) -> dict[str, Any]:
    return spec.model_dump(exclude=set(SETTINGS_ONLY), by_alias=True)


def _differences(old: dict[str, Any], new: dict[str, Any], at: str = "") -> list[str]:
    keys = sorted(set(old) | set(new))
    out = []
    for k in keys:
        path = f"{at}.{k}" if at else k
        a, b = old.get(k), new.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, path)
        elif a != b:
            out.append(path)
    return out


def _check_out(calib: Calibration, out: Path, resume: bool) -> None:
    """``CalibError`` (key ``--out``) if ``out`` cannot take this run."""
    if not resume:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            why = "exists and is not empty; give a new directory, or --resume to continue it"
            raise CalibError([("--out", f"{out} {why}")], str(calib.path))
        return
    if not (out / DB).is_file() or not (out / COPY).is_file():
        why = f"has no {DB} and {COPY} of an earlier run to resume"
        raise CalibError([("--out", f"{out} {why}")], str(calib.path))
    old = CalibSpec.model_validate(tomllib.loads((out / COPY).read_text(encoding="utf-8")))
    changed = _differences(_problem(old), _problem(calib.spec))
    if changed:
        why = f"differs from the run in {out / COPY}; a resume may change only [abc]"
        raise CalibError([(k, why) for k in changed], str(calib.path))


def _outputs(
    calib: Calibration, history: Any, wall: float, backend: Backend, resume: bool
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    from tradetalks.experiments import calibout, calibplots

    table = calibout.particles(calib, history)
    rows = calibout.posterior_table(calib, table)
    synthetic = calib.spec.observed.synthetic
    draws = predictive_draws(calib, table, calib.spec.abc.predictive_draws)
    files = {
        "posterior.csv": calibout.posterior_csv(rows),
        "marginals.png": calibplots.marginals(
            calib, table, None if synthetic is None else synthetic.truth
        ),
        "pairs.png": calibplots.pairs(calib, table),
        "calibration.json": calibout.manifest(
            calib, history, wall, {"kind": backend.kind, "workers": backend.workers}, resume
        ),
    }
    if len(draws):
        files["predictive.png"] = calibplots.predictive(calib, draws)
    if calib.base_path is not None:
        files["calibrated.toml"] = calibout.calibrated_toml(calib, rows)
    buf = io.BytesIO()
    table.to_parquet(buf, index=False)
    files["particles.parquet"] = buf.getvalue()
    return files, rows


def calibrate(
    file: str | Path,
    out: str | Path,
    backend: Backend | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_start: Callable[[Calibration], None] | None = None,
) -> dict[str, Any]:
    """Run a calibration file into ``out``; return the posterior rows and the output paths.
    ``CalibError`` for a bad file or ``out`` (nothing is created)."""
    from tradetalks.experiments import calibout

    backend = backend or Backend()
    out = Path(out)
    calib = load_calibration(file)
    _check_out(calib, out, resume)
    if on_start is not None:
        on_start(calib)
    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        calibout.write_atomic(out / COPY, calib.text.encode())
    started = time.perf_counter()
    history = run_abc(calib, out / DB, backend, resume=resume, progress=progress)
    wall = time.perf_counter() - started
    files, rows = _outputs(calib, history, wall, backend, resume)
    for name, data in files.items():
        calibout.write_atomic(out / name, data)
    kept = [name for name in (DB, COPY, SCALES) if (out / name).exists()]
    return {"posterior": rows, "files": sorted([*kept, *files]), "out": str(out)}
