"""The tariff makers' logit as a likelihood of recorded decisions (issue 14, item 3), pure.

A recorded decision is an ``Obs``: the inputs of the maker's rule (``sim/maker_rule.py``)
and what the side did.  The rule's margin Q(act) − Q(not) is linear in each logit
coefficient, so ``design`` writes a side's decisions as a logit in the coefficients fitted
(each column: the rule's own margin with that coefficient 1, less all 0) and ``fit_side``
maximises its likelihood within the schema's bounds, with standard errors from the
observed information.  The replay that reads the decisions is
``tradetalks.experiments.maker_fit``; docs/CALIBRATION.md §4 has the results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.stats import chi2
from tradetalks.sim.config_makers import UTILITY_MAX, MakerConfig
from tradetalks.sim.maker_rule import DueInputs, EscalationInputs, escalate_margin, fire_margin

KINDS = ("announce", "fire")  # the weekly rule, the due rule
LR_DROP = float(chi2.ppf(0.90, 1)) / 2  # a one-sided 95% likelihood-ratio bound
REL_TOL = float(np.sqrt(np.finfo(float).eps))  # "at a bound": within this share of the range


@dataclass(frozen=True)
class Obs:
    """One recorded decision and the maker's inputs: ``kind`` "announce" (``y`` 1: the side
    announced a new action that week) or "fire" (``y`` 1: fired, 0: postponed).  ``size`` is
    the due action's S (pp); ``note`` says where a due decision came from."""

    side: str
    kind: str
    week: int
    date: dt.date
    y: int
    inputs: EscalationInputs | DueInputs
    size: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class Design:
    """One side's decisions as a logit: margin = ``offset`` + ``x`` @ θ (θ: the fitted
    coefficients ``keys``), P(act) = logistic(margin / ``scale``); ``kind`` per row."""

    side: str
    keys: tuple[str, ...]
    offset: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray
    scale: float


def _stack(rows: list[Obs], kind: str) -> Any:
    """The rows' inputs of one kind as one inputs object of arrays (the rule takes arrays)."""
    cls = EscalationInputs if kind == "announce" else DueInputs
    names = [f.name for f in dataclasses.fields(cls)]
    return cls(**{n: np.array([getattr(r.inputs, n) for r in rows], float) for n in names})


def _margins(cfg: MakerConfig, rows: list[Obs]) -> np.ndarray:
    """Q(act) − Q(not) of each row by ``sim/maker_rule.py``, for the maker config ``cfg``."""
    out = np.zeros(len(rows))
    for kind in KINDS:
        idx = [i for i, r in enumerate(rows) if r.kind == kind]
        if not idx:
            continue
        sub = [rows[i] for i in idx]
        inputs = _stack(sub, kind)
        if kind == "announce":
            out[idx] = escalate_margin(cfg, inputs)
        else:
            out[idx] = fire_margin(cfg, np.array([r.size for r in sub]), inputs)
    return out


def design(rows: list[Obs], cfg: MakerConfig, side: str, keys: tuple[str, ...]) -> Design:
    """The side's rows as a logit in ``keys``: the margin is linear in each of them, so its
    column is the rule's margin with that coefficient 1 less the margin with all 0."""
    rows = [r for r in rows if r.side == side]
    zero = cfg.model_copy(update=dict.fromkeys(keys, 0.0))
    offset = _margins(zero, rows)
    cols = [_margins(zero.model_copy(update={k: 1.0}), rows) - offset for k in keys]
    x = np.column_stack(cols) if cols else np.zeros((len(rows), 0))
    y = np.array([r.y for r in rows], float)
    kind = np.array([r.kind for r in rows])
    return Design(side, keys, offset, x, y, kind, cfg.logit_scale)


def loglik(d: Design, theta: np.ndarray) -> float:
    """The log-likelihood of the recorded decisions at coefficients ``theta``."""
    z = (d.offset + d.x @ theta) / d.scale
    return float(np.sum(d.y * -np.logaddexp(0.0, -z) + (1 - d.y) * -np.logaddexp(0.0, z)))


def _score(d: Design, theta: np.ndarray) -> np.ndarray:
    z = (d.offset + d.x @ theta) / d.scale
    p = 0.5 * (1 + np.tanh(0.5 * z))
    return d.x.T @ (d.y - p) / d.scale


def information(d: Design, theta: np.ndarray) -> np.ndarray:
    """The observed information (minus the Hessian of the log-likelihood) at ``theta``."""
    z = (d.offset + d.x @ theta) / d.scale
    p = 0.5 * (1 + np.tanh(0.5 * z))
    return (d.x * (p * (1 - p))[:, None]).T @ d.x / d.scale**2


def bounds(key: str) -> tuple[float, float]:
    """The schema's range of a maker coefficient (``sim/config_makers.py``)."""
    lo, hi = -np.inf, np.inf
    for m in MakerConfig.model_fields[key].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return float(lo), float(hi)


@dataclass(frozen=True)
class Estimate:
    """The maximum-likelihood coefficients of one side: ``theta`` by key, ``se`` (None for a
    coefficient at a bound of the schema), the log-likelihoods at θ̂ and at the start."""

    side: str
    theta: dict[str, float]
    se: dict[str, float | None]
    loglik: float
    loglik_base: float
    n: int


def mle(d: Design, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ̂ within the schema's bounds (L-BFGS-B from ``start``) and which θ are at a bound."""
    box = [bounds(k) for k in d.keys]
    res = minimize(
        lambda t: -loglik(d, t), start, jac=lambda t: -_score(d, t), method="L-BFGS-B", bounds=box
    )
    theta = np.asarray(res.x, float)
    span = np.array([hi - lo for lo, hi in box])
    tol = REL_TOL * span  # relative to the range: "at the bound"
    at = np.array(
        [min(t - lo, hi - t) <= e for t, (lo, hi), e in zip(theta, box, tol, strict=True)]
    )
    return theta, at


def fit_side(rows: list[Obs], cfg: MakerConfig, side: str, keys: tuple[str, ...]) -> Estimate:
    """Fit ``keys`` of ``side`` from ``cfg``'s values, the others held at them; standard
    errors from the information of the coefficients inside their bounds (None at one)."""
    d = design(rows, cfg, side, keys)
    base = np.array([getattr(cfg, k) for k in keys], float)
    theta, at = mle(d, base)
    free = ~at
    se: dict[str, float | None] = dict.fromkeys(keys)
    if free.any():
        cov = np.linalg.pinv(information(d, theta)[np.ix_(free, free)])
        for k, v in zip(np.array(keys)[free], np.sqrt(np.diag(cov)), strict=True):
            se[str(k)] = float(v)
    theta_by = dict(zip(keys, map(float, theta), strict=True))
    return Estimate(side, theta_by, se, loglik(d, theta), loglik(d, base), len(d.y))


def separated(est: Estimate) -> list[str]:
    """Coefficients the data do not bound (separation: the decisions the term moves all went
    one way): a standard error above half the schema's range (a flat likelihood), or an
    estimate at one of the schema's outer limits (``UTILITY_MAX``: a switch, not a value).
    A weight at 0 is a sign restriction of the rule, not separation."""
    out = []
    for k, se in est.se.items():
        lo, hi = bounds(k)
        at_limit = se is None and math.isclose(abs(est.theta[k]), UTILITY_MAX, rel_tol=REL_TOL)
        if at_limit or (se is not None and se > (hi - lo) / 2):
            out.append(k)
    return out


def one_sided_bound(
    rows: list[Obs], cfg: MakerConfig, side: str, key: str, others: tuple[str, ...]
) -> float:
    """For a coefficient whose likelihood rises toward one end of the schema's range
    (separation): where the profile log-likelihood (``others`` maximised, the rest at
    ``cfg``'s values) is ``LR_DROP`` below its value at that end: a one-sided 95%
    likelihood-ratio bound; the other end if the whole range is within it."""

    def ll(v: float) -> float:
        at = cfg.model_copy(update={key: v})
        if not others:
            return loglik(design(rows, at, side, ()), np.zeros(0))
        return fit_side(rows, at, side, others).loglik

    lo, hi = bounds(key)
    top, far = (hi, lo) if ll(hi) >= ll(lo) else (lo, hi)
    level = ll(top) - LR_DROP
    if ll(far) >= level:
        return far
    return float(brentq(lambda v: ll(v) - level, far, top))


def probabilities(mcfg: MakerConfig, rows: list[Obs]) -> np.ndarray:
    """P(act) of each row by the rule with ``mcfg``."""
    z = _margins(mcfg, rows) / mcfg.logit_scale
    return 0.5 * (1 + np.tanh(0.5 * z))


def decision_loglik(p: np.ndarray, y: np.ndarray) -> float:
    """The log-likelihood of outcomes ``y`` (0/1) under probabilities ``p``."""
    return float(np.sum(np.log(np.where(y == 1, p, 1 - p))))
