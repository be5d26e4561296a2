"""What a calibration writes beside its database: particles, posterior table, overlay, manifest.

``particles`` reads every generation of the pyabc History into one table (a column per
parameter named by its config key path, ``weight`` normalised per generation, ``stat:<name>``
per statistic, ``seed``, ``distance``).  ``posterior_table`` summarises the last generation
against the prior; ``calibrated_toml`` is the weighted medians as a config overlay, labelled
a convenience (forecasts must sample the weighted particles); ``manifest`` records the run.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tradetalks.experiments.calibfile import Calibration
from tradetalks.experiments.calibsim import SEED_KEY

STAT_PREFIX = "stat:"
QUANTILES = (0.025, 0.5, 0.975)


def particles(calib: Calibration, history: Any) -> pd.DataFrame:
    """Every stored generation's particles, one row each."""
    rows = []
    paths = calib.paths
    for t in range(int(history.max_t) + 1):
        pop = history.get_population(t)
        total = sum(p.weight for p in pop.particles)
        for p in pop.particles:
            row: dict[str, Any] = {"generation": t}
            row.update({paths[n]: float(p.parameter[n]) for n in calib.names})
            row["weight"] = float(p.weight) / total
            row.update({f"{STAT_PREFIX}{s}": float(p.sum_stat[s]) for s in calib.observed})
            row["seed"] = int(p.sum_stat[SEED_KEY])
            row["distance"] = float(p.distance)
            rows.append(row)
    return pd.DataFrame(rows)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample (midpoint rule on the sorted weights)."""
    order = np.argsort(x)
    xs, ws = x[order], w[order] / w.sum()
    cdf = np.cumsum(ws) - ws / 2
    return [float(np.interp(q, cdf, xs)) for q in qs]


def last_generation(table: pd.DataFrame) -> pd.DataFrame:
    """The particles of the last stored generation."""
    return table[table["generation"] == table["generation"].max()]


def posterior_table(calib: Calibration, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Per parameter: prior mean and sd, weighted posterior mean, sd, quantiles, contraction."""
    last = last_generation(table)
    w = last["weight"].to_numpy()
    out = []
    for p in calib.spec.parameters:
        x = last[p.path].to_numpy()
        mean = float(np.sum(w * x))
        sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
        prior_mean, prior_sd = p.prior.moments()
        q = weighted_quantiles(x, w, QUANTILES)
        out.append(
            {
                "parameter": p.name,
                "path": p.path,
                "prior": p.prior.kind,
                "prior_mean": prior_mean,
                "prior_sd": prior_sd,
                "mean": mean,
                "sd": sd,
                "q2.5": q[0],
                "q50": q[1],
                "q97.5": q[2],
                "contraction": 1.0 - sd / prior_sd,
            }
        )
    return out


def posterior_csv(rows: list[dict[str, Any]]) -> bytes:
    """The posterior table as CSV."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    for r in rows:
        writer.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in r.items()})
    return buf.getvalue().encode()


def _set_path(tree: dict[str, Any], base: Any, path: str, value: Any) -> None:
    """Set ``path`` in the nested overlay ``tree``; a list on the way is copied whole from
    the base config (an overlay replaces a list, it does not merge it)."""
    parts = path.split(".")
    node, src = tree, base
    for i, part in enumerate(parts[:-1]):
        src = src[int(part)] if isinstance(src, list) else src[part]
        if isinstance(src, list):
            if part not in node:
                node[part] = copy.deepcopy(src)
            _set_in_list(node[part], parts[i + 1 :], value)
            return
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _set_in_list(node: Any, parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def calibrated_toml(calib: Calibration, rows: list[dict[str, Any]]) -> bytes:
    """A config overlay of the weighted posterior medians on the calibration's base scenario;
    the file's ``[set]`` overrides, on which the posterior is conditional, are listed in its
    header as ``--set`` options (a run length there is not a property of the world)."""
    import tomli_w

    assert calib.base_path is not None
    from tradetalks.sim.config import dump_config
    from tradetalks.sim.scenario import resolve_config

    base_raw = dump_config(resolve_config(calib.base_path))
    tree: dict[str, Any] = {}
    for r in rows:
        _set_path(tree, base_raw, r["path"], float(r["q50"]))
    sets = " ".join(f"--set {k}={_set_text(v)}" for k, v in calib.spec.fixed.items())
    header = [
        f"# Posterior medians of calibration {calib.spec.name!r} ({calib.path.name}), made by",
        "# `tradetalks calibrate`.  A CONVENIENCE ONLY: component-wise medians can fall off a",
        "# ridge of the posterior, in a region of low posterior probability (core-v2 §3.5).",
        "# Forecasts must sample the weighted particles (particles.parquet), never these medians.",
        "# Each value is 'fitted, posterior median' (posterior.csv has its interval).",
    ]
    if sets:
        header += [
            "# The posterior is conditional on the calibration file's [set] overrides:",
            f"#   {sets}",
        ]
    body = {"extends": str(calib.base_path), "name": f"calibrated-{calib.spec.name}", **tree}
    return ("\n".join(header) + "\n" + tomli_w.dumps(body)).encode()


def _set_text(value: Any) -> str:
    """A ``[set]`` value as ``--set`` writes it: a date (``history.start``) as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, dt.date) else json.dumps(value)


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("tradetalks", "pyabc", "numpy", "scipy", "pandas"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def generations(history: Any) -> list[dict[str, Any]]:
    """Per stored generation: epsilon, simulations, particles, acceptance rate, wall time."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return [
        {
            "generation": int(r.t),
            "epsilon": float(r.epsilon),
            "simulations": int(r.samples),
            "particles": int(r.particles),
            "acceptance_rate": float(r.particles) / float(r.samples),
            "wall_time_s": None if pd.isna(r.wall_time) else float(r.wall_time),
        }
        for r in pops.itertuples()
    ]


def manifest(
    calib: Calibration, history: Any, wall_s: float, backend: dict[str, Any], resumed: bool
) -> bytes:
    """calibration.json: the file, parameters, statistics, generations, time, versions."""
    gens = generations(history)
    data = {
        "file": str(calib.path),
        "name": calib.spec.name,
        "simulator": calib.spec.simulator,
        "base": None if calib.base_path is None else str(calib.base_path),
        "seed": calib.spec.seed,
        "seeds_per_particle": calib.spec.seeds_per_particle,
        "parameters": [{"name": p.name, "path": p.path} for p in calib.spec.parameters],
        "statistics": [
            {"name": s.name, "block": s.block, "observed": calib.observed[s.name]}
            for s in calib.spec.statistics
        ],
        "synthetic": None
        if calib.spec.observed.synthetic is None
        else calib.spec.observed.synthetic.model_dump(),
        "generations": gens,
        "simulations": int(sum(g["simulations"] for g in gens)),
        "wall_time_s": wall_s,
        "backend": backend,
        "resumed": resumed,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
    }
    return (json.dumps(data, indent=2) + "\n").encode()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
