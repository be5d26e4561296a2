"""The tariff makers' decision rule as pure functions (core-v2 §1 E, reduced form).

One rule serves both the maker (``agents/makers.py``, which draws the choice) and the
opponent's projector (credibility: ``p_fire`` weights a pending action by the probability
the same logit gives it from public inputs, core-v2 §1 B).  Every function takes floats or
numpy arrays of matching shapes, so the projector can score many actions at once.  Q values
are on the valuation's scale (the projector's V); sizes are in pp of the acting side's
trade-weighted average tariff, i.e. pp × (share of trade covered): proportional to
pp × $bn covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tradetalks.sim.config_makers import MakerConfig

INF = float("inf")


@dataclass(frozen=True)
class DueInputs:
    """What a due (announced) action's fire-or-postpone decision depends on.

    ``progress`` in [0, 1]: talks progress (rounds held, readiness, a settled text);
    ``own_cost``: V_s(fires) − V_s(does not) from the maker's Valuation (≤ 0 when it hurts);
    ``age_weeks``: weeks since the action was announced (at the due week);
    ``weeks_since_opp_escalation`` / ``weeks_since_opp_gesture``: the opponent's last moves.
    """

    progress: float
    own_cost: float
    age_weeks: float
    weeks_since_opp_escalation: float = INF
    weeks_since_opp_gesture: float = INF


@dataclass(frozen=True)
class EscalationInputs:
    """What the weekly escalate-or-hold decision depends on (the maker fills ``unanswered``).

    ``own_cost``: V_s(a new action fires) − V_s(none) for an action of the configured size;
    ``unanswered_pp``: size of an opponent escalation still unanswered within the window
    (0 if none): holding then costs ``noreply_cost`` per pp.
    """

    progress: float
    own_cost: float
    weeks_since_opp_escalation: float = INF
    weeks_since_opp_gesture: float = INF
    unanswered_pp: float = 0.0


def logistic(z: ArrayLike) -> np.ndarray | float:
    """1/(1 + e^(−z)) without overflow (via tanh), for floats or arrays."""
    out = 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))
    return float(out) if out.ndim == 0 else out


def recency(weeks: ArrayLike, tau: float) -> np.ndarray | float:
    """e^(−weeks/τ): 1 for a move this week, 0 for none (weeks = inf)."""
    out = np.exp(-np.maximum(np.asarray(weeks, dtype=float), 0.0) / tau)
    return float(out) if out.ndim == 0 else out


def threat_size(cfg: MakerConfig, tariff_pp: ArrayLike, soy_pp: ArrayLike = 0.0) -> ArrayLike:
    """S_j: pp of average tariff plus soybean pp weighted by soybeans' share of the trade."""
    return np.abs(tariff_pp) + cfg.soy_size_weight * np.abs(soy_pp)


def audience_cost(cfg: MakerConfig, size_pp: ArrayLike, age_weeks: ArrayLike) -> ArrayLike:
    """A_j(t) = a_s·S_j·e^(−(t − t_announce)/τ_A): the lump paid for backing down."""
    return (
        cfg.audience_scale
        * np.asarray(size_pp, dtype=float)
        * recency(age_weeks, cfg.audience_tau_weeks)
    )


def _reply_terms(cfg: MakerConfig, since_escalation: ArrayLike, since_gesture: ArrayLike):
    """Tit-for-tat: an opponent's recent escalation pushes toward acting, a gesture away."""
    tau = cfg.reaction_tau_weeks
    return cfg.reaction_weight * recency(since_escalation, tau) - cfg.reciprocity_weight * (
        recency(since_gesture, tau)
    )


def fire_margin(cfg: MakerConfig, size_pp: ArrayLike, inp: DueInputs) -> ArrayLike:
    """Q(fire) − Q(postpone) for a due action of size ``size_pp`` (postponing costs A_j)."""
    return (
        cfg.fire_bias
        + cfg.cost_weight * np.asarray(inp.own_cost, dtype=float)
        - cfg.progress_weight_fire * np.asarray(inp.progress, dtype=float)
        + _reply_terms(cfg, inp.weeks_since_opp_escalation, inp.weeks_since_opp_gesture)
        + audience_cost(cfg, size_pp, inp.age_weeks)
    )


def p_fire(
    cfg: MakerConfig, size_pp: ArrayLike, inp: DueInputs, postponable: bool = True
) -> np.ndarray | float:
    """P(the action fires when due): the maker's own logit, and its credibility to others."""
    if not postponable:
        return 1.0
    return logistic(fire_margin(cfg, size_pp, inp) / cfg.logit_scale)


def escalate_margin(cfg: MakerConfig, inp: EscalationInputs) -> ArrayLike:
    """Q(announce a new action) − Q(hold); holding while an answer is owed costs noreply."""
    return (
        cfg.escalate_bias
        + cfg.cost_weight * np.asarray(inp.own_cost, dtype=float)
        - cfg.progress_weight_escalate * np.asarray(inp.progress, dtype=float)
        + _reply_terms(cfg, inp.weeks_since_opp_escalation, inp.weeks_since_opp_gesture)
        + cfg.noreply_cost * np.asarray(inp.unanswered_pp, dtype=float)
    )


def p_escalate(cfg: MakerConfig, inp: EscalationInputs) -> np.ndarray | float:
    """P(announce a new action this week): an escalation, or a retaliation if one is owed."""
    return logistic(escalate_margin(cfg, inp) / cfg.logit_scale)


def pick_int(lo_hi: list[int], u: float) -> int:
    """An integer uniform on [lo, hi] from one uniform u in [0, 1)."""
    lo, hi = lo_hi
    return int(lo + min(int(u * (hi - lo + 1)), hi - lo))


def pick_float(lo_hi: list[float], u: float) -> float:
    """A number uniform on [lo, hi] from one uniform u in [0, 1)."""
    lo, hi = lo_hi
    return float(lo + u * (hi - lo))
