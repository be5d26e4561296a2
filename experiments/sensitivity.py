"""SALib sensitivity indices of a Sobol or Morris sweep, from each sample's mean outcome.

Takes data only (the SALib problem, the design matrix, one outcome's per-sample means);
``experiments.analysis`` queries the sweep for them.  Rows come back one per parameter,
with the indices SALib reports for it and their 95% intervals (SALib's bootstrap).

Time to deal is censored: a run without a deal by the horizon has no deal week.  It enters
the indices as two outcomes defined for every run (``TIMING``): the indicator of a deal by
the horizon, and the restricted mean time to deal, min(deal week, horizon week).

``design_warning`` says when a design is too small for its indices, by this rule (an
assumption, in the spirit of ten events per variable in regression): a Sobol design needs
at least ``SAMPLES_PER_INDEX`` = 10 base samples N per index it estimates (2 D indices, S1
and ST, for D parameters, plus D (D - 1) / 2 with second order); a Morris design at least
``MIN_TRAJECTORIES`` = 10 trajectories (the low end of the 10-50 Campolongo, Cariboni and
Saltelli, 2007, recommend).  ``wide_intervals`` adds what the intervals say afterwards.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

CONF_LEVEL = 0.95  # confidence level of SALib's bootstrap intervals
NUM_RESAMPLES = 1000  # SALib bootstrap resamples (its default of 100 gives ragged CIs)
SOBOL_KEYS = ("S1", "S1_conf", "ST", "ST_conf")  # SALib sobol.analyze results kept
MORRIS_KEYS = ("mu", "mu_star", "mu_star_conf", "sigma")  # SALib morris.analyze results kept
DESIGNS = ("sobol", "morris")  # samplers whose designs SALib can analyse
DEAL_BY = "deal_by_horizon"  # 1 if the first deal came by the horizon week, else 0
RMST = "time_to_deal_rmst"  # min(deal week, horizon week): no deal counts as the horizon
TIMING = (DEAL_BY, RMST)
SAMPLES_PER_INDEX = 10  # Sobol: base samples N per index estimated (the rule above)
MIN_TRAJECTORIES = 10  # Morris: trajectories r (the rule above)
WIDE_CI = 0.1  # a Sobol index's 95% half-width above this cannot rank indices that close
NOISE_ST = 0.1  # every ST's interval above this: a variance floor shared by all parameters


def index_rows(
    outcome: str, names: list[str], si: Any, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One row per parameter: the outcome, the parameter and SALib's ``keys`` for it."""
    return [
        {"outcome": outcome, "parameter": name, **{k: float(si[k][j]) for k in keys}}
        for j, name in enumerate(names)
    ]


def sobol_indices(
    outcome: str, problem: dict[str, Any], y: np.ndarray, second_order: bool, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """First-order and total Sobol indices of one outcome (a row per parameter), and the
    second-order ones (a row per pair; none without ``second_order``), with intervals."""
    from SALib.analyze import sobol

    si = sobol.analyze(
        problem,
        y,
        calc_second_order=second_order,
        num_resamples=NUM_RESAMPLES,
        conf_level=CONF_LEVEL,
        seed=seed,
    )
    names = problem["names"]
    pairs = []
    if second_order:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                s2, conf = float(si["S2"][i, j]), float(si["S2_conf"][i, j])
                pairs.append(
                    {"outcome": outcome, "parameter": names[i], "other": names[j], "S2": s2}
                    | {"S2_conf": conf}
                )
    return index_rows(outcome, names, si, SOBOL_KEYS), pairs


def sobol_rows(
    outcome: str, problem: dict[str, Any], y: np.ndarray, second_order: bool, seed: int
) -> list[dict[str, Any]]:
    """First-order and total Sobol indices (with intervals) of one outcome."""
    return sobol_indices(outcome, problem, y, second_order, seed)[0]


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


def deal_timing(weeks: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """The two censoring-proof timing outcomes of runs whose first deal weeks are ``weeks``
    (NaN or inf: no deal): a deal by week ``horizon`` (0/1), and min(week, horizon)."""
    w = np.where(np.isfinite(weeks), weeks, np.inf)
    return {DEAL_BY: (w <= horizon).astype(float), RMST: np.minimum(w, horizon).astype(float)}


def indices_estimated(kind: str, n_params: int, second_order: bool) -> int:
    """How many indices an analysis estimates per outcome."""
    if kind == "sobol":
        return 2 * n_params + (n_params * (n_params - 1) // 2 if second_order else 0)
    return n_params  # Morris: mu* per parameter


def design_warning(kind: str, samples: int, n_params: int, second_order: bool) -> str | None:
    """Why a design of ``samples`` base samples (Sobol N) or trajectories (Morris r) over
    ``n_params`` parameters is too small for its indices, by the module's rule; or None."""
    k = indices_estimated(kind, n_params, second_order)
    if kind == "sobol":
        need = SAMPLES_PER_INDEX * k
        if samples >= need:
            return None
        n2 = 2 ** math.ceil(math.log2(need))
        runs = n2 * (2 * n_params + 2 if second_order else n_params + 2)
        what = "S1, ST and S2" if second_order else "S1 and ST"
        return (
            f"the Sobol design is too small for its indices: N = {samples} base samples for "
            f"{k} indices ({what} of {n_params} parameters); rule used: N >= "
            f"{SAMPLES_PER_INDEX} per index = {need} (N = {n2} as a power of 2: {runs:,} "
            "runs a replicate)"
        )
    if kind == "morris" and samples < MIN_TRAJECTORIES:
        return (
            f"the Morris design is too small for its indices: {samples} trajectories; rule "
            f"used: at least {MIN_TRAJECTORIES} (Campolongo et al. 2007), "
            f"{MIN_TRAJECTORIES * (n_params + 1):,} runs a replicate"
        )
    return None


def wide_intervals(rows: list[dict[str, Any]]) -> str | None:
    """What the Sobol intervals say about the design's size, if they are wider than
    +/- ``WIDE_CI`` anywhere; else None."""
    confs = [(r[k], r["outcome"]) for r in rows for k in ("S1_conf", "ST_conf") if k in r]
    confs = [(c, o) for c, o in confs if np.isfinite(c)]
    if not confs:
        return None
    widest, where = max(confs)
    if widest <= WIDE_CI:
        return None
    return (
        f"95% intervals reach +/-{widest:.2f} ({where}): indices closer than that are not "
        "ranked by this design"
    )


def noise_warning(rows: list[dict[str, Any]]) -> str | None:
    """Outcomes whose every total index is at least ``NOISE_ST`` (its interval's low end):
    variance every parameter seems to share, as run-to-run noise does when each design
    point runs with its own seed (a deterministic model has sum S1 <= 1 <= sum ST only
    with interactions, and never that floor under every parameter)."""
    noisy = []
    for outcome in dict.fromkeys(r["outcome"] for r in rows):
        floor = [r["ST"] - r["ST_conf"] for r in rows if r["outcome"] == outcome and "ST" in r]
        if floor and min(floor) > NOISE_ST:
            noisy.append(f"{outcome} ({min(floor):.2f})")
    if not noisy:
        return None
    return (
        f"every parameter's total index is above {NOISE_ST:g} for {', '.join(noisy)}: that "
        "share of the variance behaves like run-to-run noise (each design point has its own "
        "seed), which inflates every ST; more replicates per design point average it out"
    )


def top_parameter(rows: list[dict[str, Any]], outcome: str) -> str:
    """One line naming the parameter with the largest total (Sobol ST) or mean absolute
    (Morris mu*) effect on ``outcome``, with its 95% interval, and whether the interval
    separates it from the runner-up."""
    mine = [r for r in rows if r["outcome"] == outcome]
    key = "ST" if mine and "ST" in mine[0] else "mu_star"
    ranked = sorted(mine, key=lambda r: r[key], reverse=True)
    best = ranked[0]

    def shown(r: dict[str, Any], k: str) -> str:
        v, ci = r[k], r[f"{k}_conf"]
        return f"{v:.3g} [{v - ci:.3g}, {v + ci:.3g}]"

    text = f"{outcome}: largest {key} {best['parameter']} {shown(best, key)}"
    if key == "ST":
        text += f" (S1 {shown(best, 'S1')})"
    if len(ranked) > 1:
        second = ranked[1]
        apart = best[key] - best[f"{key}_conf"] > second[key] + second[f"{key}_conf"]
        verdict = "clear of" if apart else "not separated from"
        text += f"; {verdict} {second['parameter']} {shown(second, key)}"
    return text
