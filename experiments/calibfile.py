"""Calibration files: read, check and resolve a ``CALIB.toml`` into a runnable calibration.

Every problem is named by its dotted key path, all at once, and nothing runs or is written
until the whole file is sound (``CalibError``, exit 2 from the command line).  Beyond the
schema (``experiments.calibspec``) it checks: unique names; the simulator; for tradetalks the
base scenario, its ``[set]`` overrides, that each parameter's path is a numeric config key
and that both ends of its prior's central range (``PRIOR_CHECK_QUANTILE``) are valid values,
and each statistic's registry function and arguments (``experiments.calibstats``); the
observed values, or a synthetic truth to simulate them from.  One probe simulation checks
the statistics a simulator actually returns.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tradetalks.experiments.calibsim import (
    SEED_KEY,
    GaussianToy,
    ImportedSimulator,
    Simulator,
    TradetalksSimulator,
    import_function,
)
from tradetalks.experiments.calibspec import (
    BUILTIN_SIMULATORS,
    CalibError,
    CalibSpec,
    ParameterSpec,
)
from tradetalks.experiments.sweepcheck import pydantic_problems
from tradetalks.sim.config import ConfigError

Problems = list[tuple[str, str]]
MAX_FILE_BYTES = 1024 * 1024  # a calibration file is a page of TOML
PRIOR_CHECK_QUANTILE = 0.001  # the prior's [q, 1 - q] range must be valid config values
TOY_OPTIONS = frozenset({"noise_sd"})
DEFAULT_BASE = "baseline"
PRIOR_TAG = re.compile(r"\.prior\.(uniform|normal|lognormal|beta)\b")


@dataclass(frozen=True)
class Calibration:
    """A validated calibration: the spec, its simulator and the observed statistics."""

    path: Path
    text: str
    spec: CalibSpec
    simulator: Simulator
    observed: dict[str, float]
    base_path: Path | None  # tradetalks: the resolved base scenario
    start_date: Any | None  # tradetalks: the run's first day (for dated plots)
    horizon: int | None  # tradetalks: run.weeks

    @property
    def names(self) -> list[str]:
        """Parameter names, in file order."""
        return [p.name for p in self.spec.parameters]

    @property
    def paths(self) -> dict[str, str]:
        """Parameter name -> config key path."""
        return {p.name: p.path for p in self.spec.parameters}


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    src = str(path)
    if not path.is_file():
        raise CalibError([("", f"file not found: {path}")], src)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CalibError([("", f"the file is larger than {MAX_FILE_BYTES:,} bytes")], src)
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except UnicodeDecodeError:
        raise CalibError([("", "the file is not UTF-8 text")], src) from None
    except tomllib.TOMLDecodeError as exc:
        raise CalibError([("", f"TOML syntax error: {exc}")], src) from None


def _plain(problems: Problems) -> Problems:
    """Schema problems without pydantic's union tags (``prior.uniform`` is ``prior``)."""
    return [(PRIOR_TAG.sub(".prior", k), m.removeprefix("Value error, ")) for k, m in problems]


def _check_names(spec: CalibSpec) -> Problems:
    out: Problems = []
    for what, items in (("parameters", spec.parameters), ("statistics", spec.statistics)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.name in seen:
                out.append((f"{what}[{i}].name", f"{item.name!r} is used twice"))
            seen.add(item.name)
    paths = [p.path for p in spec.parameters]
    out += [
        (f"parameters[{i}].path", f"{p!r} is set by two parameters")
        for i, p in enumerate(paths)
        if p in paths[:i]
    ]
    out += [
        (f"statistics[{i}].name", f"{SEED_KEY!r} is reserved (the particle's seed)")
        for i, s in enumerate(spec.statistics)
        if s.name == SEED_KEY
    ]
    return out


def _check_observed(spec: CalibSpec) -> Problems:
    synthetic = spec.observed.synthetic
    out: Problems = []
    for i, s in enumerate(spec.statistics):
        if synthetic is None and s.observed is None:
            out.append((f"statistics[{i}].observed", "required (or give [observed] synthetic)"))
        if synthetic is not None and s.observed is not None:
            out.append((f"statistics[{i}].observed", "give it or [observed] synthetic, not both"))
    if synthetic is not None:
        names = {p.name for p in spec.parameters}
        out += [
            (f"observed.synthetic.truth.{k}", "not a parameter of this file")
            for k in synthetic.truth
            if k not in names
        ]
        out += [
            ("observed.synthetic.truth", f"needs a value for parameter {n!r}")
            for n in sorted(names - set(synthetic.truth))
        ]
    return out


def prior_range(p: ParameterSpec) -> tuple[float, float]:
    """The central range of a parameter's prior that must be valid config values."""
    from scipy import stats

    prior = p.prior
    q = PRIOR_CHECK_QUANTILE
    if prior.kind == "uniform":
        return prior.lo, prior.hi
    if prior.kind == "normal":
        dist = stats.norm(prior.mean, prior.sd)
    elif prior.kind == "lognormal":
        dist = stats.lognorm(s=prior.log_sd, scale=math.exp(prior.log_mean))
    else:
        dist = stats.beta(prior.a, prior.b, loc=prior.lo, scale=prior.hi - prior.lo)
    return float(dist.ppf(q)), float(dist.ppf(1 - q))


def _leaf(raw: dict[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _check_config_paths(spec: CalibSpec, base_raw: dict[str, Any]) -> Problems:
    from tradetalks.sim.scenario import resolve_config

    out: Problems = []
    for i, p in enumerate(spec.parameters):
        leaf = _leaf(base_raw, p.path)
        if isinstance(leaf, bool) or not isinstance(leaf, int | float):
            why = "not a numeric config key (`tradetalks keys` lists them)"
            out.append((f"parameters[{i}].path", f"{p.path!r} is {why}"))
            continue
        for end in prior_range(p):
            try:
                resolve_config(base_raw, {p.path: end})
            except ConfigError as exc:
                msg = "; ".join(m for _, m in exc.problems)
                out.append((f"parameters[{i}].prior", f"{p.path} = {end:g} is invalid: {msg}"))
                break
    return out


def _tradetalks(spec: CalibSpec, path: Path) -> tuple[dict[str, Any], Path, Any, Problems]:
    """The resolved base config (raw), its path, the config, and the problems."""
    from tradetalks.experiments.sweepfile import resolve_base_path
    from tradetalks.sim.config import dump_config
    from tradetalks.sim.scenario import resolve_config

    base = spec.base or DEFAULT_BASE
    base_path = resolve_base_path(path, base)
    if base_path is None:
        return {}, Path(), None, [("base", f"{base!r} names no file nor shipped config")]
    try:
        cfg = resolve_config(base_path, dict(spec.fixed))
    except ConfigError as exc:
        return {}, base_path, None, [(f"set.{k}" if k else "set", m) for k, m in exc.problems]
    return dump_config(cfg), base_path, cfg, []


def _check_statistics(spec: CalibSpec, horizon: int, start: Any = None) -> Problems:
    from tradetalks.experiments.calibstats import STATISTICS, check_args

    out: Problems = []
    for i, s in enumerate(spec.statistics):
        if s.function not in STATISTICS:
            known = ", ".join(STATISTICS)
            out.append(
                (f"statistics[{i}].statistic", f"unknown statistic {s.function!r} ({known})")
            )
            continue
        out += [
            (f"statistics[{i}].args.{k}", m)
            for k, m in check_args(s.function, s.args, horizon, start)
        ]
    return out


def _common(spec: CalibSpec) -> dict[str, Any]:
    return {
        "names": tuple(p.name for p in spec.parameters),
        "stats": tuple(s.name for s in spec.statistics),
        "root_seed": spec.seed,
        "seeds_per_particle": spec.seeds_per_particle,
    }


def _simulator(spec: CalibSpec, path: Path) -> tuple[Simulator | None, dict[str, Any], Problems]:
    """The simulator, what the outputs need to know of it, and the problems."""
    paths = tuple(p.path for p in spec.parameters)
    common = _common(spec)
    if spec.simulator == "tradetalks":
        if spec.options:
            return None, {}, [("options", "the tradetalks simulator takes no options")]
        raw, base_path, cfg, problems = _tradetalks(spec, path)
        if problems:
            return None, {}, problems
        problems = _check_config_paths(spec, raw)
        problems += _check_statistics(spec, cfg.run.weeks, cfg.run.start_date)
        measures = tuple((s.name, s.function, dict(s.args)) for s in spec.statistics)
        sim = TradetalksSimulator(**common, base_raw=raw, paths=paths, measures=measures)
        info = {"base_path": base_path, "start_date": cfg.run.start_date, "horizon": cfg.run.weeks}
        return sim, info, problems
    problems: Problems = []
    if spec.base is not None or spec.fixed:
        problems.append(("base" if spec.base is not None else "set", "only for tradetalks"))
    if spec.simulator == "gaussian_toy":
        problems += [
            (f"options.{k}", "unknown option (noise_sd)")
            for k in spec.options
            if k not in TOY_OPTIONS
        ]
        noise = spec.options.get("noise_sd", 1.0)
        if not (isinstance(noise, int | float) and noise > 0 and math.isfinite(noise)):
            problems.append(("options.noise_sd", "must be a positive number"))
        problems += [
            (
                f"statistics[{i}].statistic",
                f"the toy returns one statistic per parameter path ({', '.join(paths)})",
            )
            for i, s in enumerate(spec.statistics)
            if s.function not in paths
        ]
        sim = GaussianToy(**common, paths=paths, noise_sd=float(noise) if not problems else 1.0)
        return sim, {}, problems
    if spec.simulator in BUILTIN_SIMULATORS or ":" not in spec.simulator:
        why = f"must be {' or '.join(BUILTIN_SIMULATORS)}, or 'package.module:function'"
        return None, {}, [*problems, ("simulator", why)]
    try:
        import_function(spec.simulator)
    except ValueError as exc:
        return None, {}, [*problems, ("simulator", str(exc))]
    sim = ImportedSimulator(**common, spec=spec.simulator, paths=paths, options=dict(spec.options))
    return sim, {}, problems


def _probe(spec: CalibSpec, sim: Simulator) -> tuple[dict[str, float], Problems]:
    """One simulation (at the synthetic truth, or the prior means): the observed statistics
    if synthetic, and problems with what the simulator returns."""
    synthetic = spec.observed.synthetic
    if synthetic is not None:
        params, seed = dict(synthetic.truth), synthetic.seed
    else:
        params, seed = {p.name: p.prior.moments()[0] for p in spec.parameters}, spec.seed
    try:
        out = sim.simulate(params, seed)
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        return {}, [("simulator", f"a probe simulation failed: {type(exc).__name__}: {exc}")]
    bad = [
        (f"statistics[{i}]", f"the simulator returned a non-finite {s.name}")
        for i, s in enumerate(spec.statistics)
        if not math.isfinite(out[s.name])
    ]
    if bad or synthetic is None:
        return {s.name: float(s.observed or 0.0) for s in spec.statistics}, bad
    return {s.name: out[s.name] for s in spec.statistics}, []


def load_calibration(path: str | Path) -> Calibration:
    """Read, check and resolve a calibration file; ``CalibError`` naming every problem."""
    path = Path(path)
    text, raw = _read(path)
    try:
        spec = CalibSpec.model_validate(raw)
    except ValidationError as exc:
        raise CalibError(_plain(pydantic_problems(exc)), str(path)) from None
    problems = _check_names(spec) + _check_observed(spec)
    sim, info, more = _simulator(spec, path)
    problems += more
    if problems or sim is None:
        raise CalibError(problems, str(path))
    observed, problems = _probe(spec, sim)
    if problems:
        raise CalibError(problems, str(path))
    return Calibration(
        path=path.resolve(),
        text=text,
        spec=spec,
        simulator=sim,
        observed=observed,
        base_path=info.get("base_path"),
        start_date=info.get("start_date"),
        horizon=info.get("horizon"),
    )
