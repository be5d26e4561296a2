"""SALib sensitivity indices of a Sobol or Morris sweep, from each sample's mean outcome.

Takes data only (the SALib problem, the design matrix, one outcome's per-sample means);
``experiments.analysis`` queries the sweep for them.  Rows come back one per parameter,
with the indices SALib reports for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

CONF_LEVEL = 0.95  # confidence level of SALib's bootstrap intervals
NUM_RESAMPLES = 1000  # SALib bootstrap resamples (its default of 100 gives ragged CIs)
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")  # SALib sobol.analyze results kept
MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")  # SALib morris.analyze results kept
DESIGNS = ("sobol", "morris")  # samplers whose designs SALib can analyse


def index_rows(
    outcome: str, names: list[str], si: Any, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One row per parameter: the outcome, the parameter and SALib's ``keys`` for it."""
    return [
        {"outcome": outcome, "parameter": name, **{k: float(si[k][j]) for k in keys}}
        for j, name in enumerate(names)
    ]


def sobol_rows(
    outcome: str, problem: dict[str, Any], y: np.ndarray, second_order: bool, seed: int
) -> list[dict[str, Any]]:
    """First-order and total Sobol indices (with intervals) of one outcome."""
    from SALib.analyze import sobol

    si = sobol.analyze(
        problem,
        y,
        calc_second_order=second_order,
        num_resamples=NUM_RESAMPLES,
        conf_level=CONF_LEVEL,
        seed=seed,
    )
    return index_rows(outcome, problem["names"], si, SOBOL_KEYS)


def morris_rows(
    outcome: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray, levels: int, seed: int
) -> list[dict[str, Any]]:
    """Morris elementary-effect statistics (mu, mu*, sigma) of one outcome; ``x`` is the
    design in problem space, ``levels`` the Morris grid levels it was drawn on."""
    from SALib.analyze import morris

    si = morris.analyze(
        problem,
        x,
        y,
        num_resamples=NUM_RESAMPLES,
        conf_level=CONF_LEVEL,
        num_levels=levels,
        seed=seed,
    )
    return index_rows(outcome, problem["names"], si, MORRIS_KEYS)


def unusable(y: np.ndarray) -> str | None:
    """Why SALib cannot analyse these per-sample means, or None if it can."""
    if np.isnan(y).any():
        return f"is missing for {int(np.isnan(y).sum())} samples (failed runs or no value)"
    if np.ptp(y) == 0:
        return "does not vary"
    return None
