"""Bayesian screening with one-step look-ahead: the default strategy of core v2 (core-v2 §1 C).

The opponent's private *type* γ_o is the smallest normalised gain it accepts.  Side s holds a
belief μ over a grid Γ of types (plus its prior mean), starting from a discretised normal
around the opponent's Rubinstein/BRW share β_o = ρ_s/(ρ_s + ρ_o) less an optimism b.

- *Offer*: for each type γ_k, x_k is s's best outcome giving the opponent at least γ_k
  (``best_for``); s proposes x_k* with k* = argmax_k P(γ_o ≤ γ_k)·G_s(x_k).  When no
  x_k gains anything (every G ≤ 0) s *passes*: it names its own best outcome, which the
  mechanism never binds it to below its reservation value.
- *Acceptance*: V_s(y) ≥ max(r_s, W_s) with W_s = r_s + δ^Δ·max_k P'(γ_o ≤ γ_k)·G_s(x_k, t+Δ),
  P' the belief after seeing y, and g_s(y) ≥ own type.  Never below r (individually rational).
- *Learning*, replayed from the public record (offers and events) at every call, so the
  belief is a function of what is public: a rejected offer x raises μ above g_o(x), an
  offer y by the opponent caps it at g_o(y) (both with a tremble ε), an escalation shifts
  it up, a gesture or postponement down, and each week it drifts back toward the prior.

With legacy views (no ``own_gain``) the gains are utility − reservation, the next-round gains
equal today's, and the opponent's normalised gain comes from its public values under the
base class's equal-weight model, scaled to [0, 1] over the feasible outcomes.
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np
from tradetalks.agents.strategies import TOLERANCE, Strategy, _classifier
from tradetalks.sim import config_strategies as sp
from tradetalks.sim.issues import read_only
from tradetalks.sim.payoffs import rubinstein_share
from tradetalks.sim.protocol import (
    NegotiationView,
    OfferRecord,
    PublicEvent,
    normalised_gain,
    top_value,
)

UP_SIGNALS = (
    "escalation",
    "retaliation",
    "incident",
)  # the opponent shows resolve: μ ∝ μ·exp(η_esc·γ)
DOWN_SIGNALS = ("gesture", "postponement")  # the opponent softens: μ ∝ μ·exp(−η_gw·γ)
PRUNE_ABOVE = 64  # best_for drops non-contenders first above this many outcomes (speed only)
BEST_FOR_PAIRS = 1 << 21  # (threshold, outcome) pairs best_for compares at once (memory only)


def best_for(
    side_gain: np.ndarray,
    opp_gain: np.ndarray,
    min_opp_gain: float | np.ndarray,
    mask: np.ndarray,
) -> int | np.ndarray:
    """argmax{side_gain(x) : opp_gain(x) ≥ m, x in mask} for each threshold m (−1 if none).

    Exact, vectorised over thresholds; ties go to the larger opponent gain (Pareto), then to
    the lowest index.  A scalar m gives an int.  Outcomes no threshold could pick are dropped
    first (``_contenders``), so the work per threshold is over the few that could.
    """
    thresholds = np.atleast_1d(np.asarray(min_opp_gain, dtype=float))
    idx = np.flatnonzero(mask)
    own, opp = side_gain[idx], opp_gain[idx]
    if len(idx) > PRUNE_ABOVE and len(thresholds) > 1:
        keep = _contenders(own, opp, thresholds)
        idx, own, opp = idx[keep], own[keep], opp[keep]
    out = np.full(len(thresholds), -1)
    step = max(1, BEST_FOR_PAIRS // max(len(idx), 1))
    for s in range(0, len(thresholds) if len(idx) else 0, step):  # memory: a block at a time
        bars = thresholds[s : s + step]
        feasible = opp[None, :] >= bars[:, None] - TOLERANCE
        score = np.where(feasible, own[None, :], -np.inf)
        best = score.max(axis=1)
        ties = feasible & (own[None, :] >= best[:, None] - TOLERANCE)
        pick = np.argmax(np.where(ties, opp[None, :], -np.inf), axis=1)
        out[s : s + step] = np.where(np.isfinite(best), idx[pick], -1)
    return int(out[0]) if np.ndim(min_opp_gain) == 0 else out


def _contenders(own: np.ndarray, opp: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Mask of the outcomes ``best_for`` could pick (or count in a tie) for some threshold.

    An outcome meeting the j lowest thresholds competes, for each of them, with every outcome
    meeting at least as many; if its gain is below the best of those by more than the
    tolerance it is never the best nor tied with it, so dropping it changes no pick.  One
    pass: each outcome's level by binary search, the best gain per level, then suffix maxima.
    """
    bars = np.sort(thresholds - TOLERANCE)  # the comparisons best_for makes, sorted
    level = np.searchsorted(bars, opp, side="right")  # how many thresholds each one meets
    top = np.full(len(bars) + 1, -np.inf)
    np.maximum.at(top, level, own)
    top = np.maximum.accumulate(top[::-1])[::-1]  # best gain among those meeting ≥ j
    return (level > 0) & (own >= top[level] - TOLERANCE)


def _same_prefix(seen: tuple, now: tuple) -> bool:
    """True if ``now`` extends ``seen`` (the same records, by identity, in the same places)."""
    return len(seen) <= len(now) and all(map(operator.is_, seen, now))


class Tables(NamedTuple):
    """What the strategy reads per round: the offer set and the gains on it."""

    mask: np.ndarray  # on the table and in the believed joint win-set
    own: np.ndarray  # G_s(x, t) = V − r
    own_next: np.ndarray  # G_s(x, t + Δ)
    own_share: np.ndarray  # g_s(x, t), normalised as the opponent normalises it
    own_share_next: np.ndarray  # g_s(x, t + Δ)
    opp: np.ndarray  # g_o(x): the opponent's normalised gain from public values
    gap: int  # Δ, weeks to the next decision opportunity
    # best_for's offers per (next round, own type, grid): fixed with the tables, whatever μ
    picks: dict


class ScreeningStrategy(Strategy):
    """One-step look-ahead with Bayesian screening over the opponent's acceptance share."""

    name = "screening"
    params_model = sp.ScreeningParams
    params: sp.ScreeningParams
    classifier = _classifier(uses_opponent_model=True, ratification_aware=True)
    factored_rounds = True  # best_for, _best, the fallback: argmaxes factored_rounds keeps

    # ------------------------------------------------------------------ prior
    def prior_mean(self, view: NegotiationView) -> float:
        """m = β_o − b, β_o = ρ_s/(ρ_s + ρ_o), ρ = −ln δ (equal shares if both are patient)."""
        opp = view.opponent_patience if view.opponent_patience is not None else view.patience
        beta = rubinstein_share(opp, view.patience)  # the opponent's share
        return min(1.0, max(0.0, beta - self.params.optimism))

    def prior(self, view: NegotiationView) -> tuple[np.ndarray, np.ndarray]:
        """(grid, μ_0): Γ plus the prior mean, a discretised normal (a point mass if σ_0 = 0).

        It depends only on the two patiences and the parameters, so it is kept per triple."""
        key = (view.patience, view.opponent_patience, self.params)
        cache = getattr(self, "_prior_cache", None)
        if cache is not None and cache[0] == key:
            return cache[1]
        out = self._prior(view)
        self._prior_cache = (key, out)
        return out

    def _prior(self, view: NegotiationView) -> tuple[np.ndarray, np.ndarray]:
        m = self.prior_mean(view)
        grid = np.unique(np.array([*self.params.types, m], dtype=float))
        if self.params.sigma0 <= 0:
            mu0 = (grid == m).astype(float)
        else:
            log_density = -((grid - m) ** 2) / (2 * self.params.sigma0**2)
            mu0 = np.exp(log_density - log_density.max())
        return read_only(grid), read_only(mu0 / mu0.sum())

    # ------------------------------------------------------------------ tables
    def tables(self, view: NegotiationView) -> Tables:
        """The offer set and gains (cached within a mechanism round, where they are fixed, and
        for the same view outside one)."""
        key = (view.round_no, view.week, view.side, id(view.space), view.level)
        cache = getattr(self, "_tables_cache", None)
        if cache is not None and (
            cache[2] is view or (view.round_no is not None and cache[0] == key)
        ):
            return cache[1]
        joint = view.available & view.own_winset
        if view.opponent_winset is not None:
            joint = joint & view.opponent_winset
        mask = joint if joint.any() else view.available
        share = normalised_gain(view.own_utility, view.reservation, mask)
        if view.own_gain is None:  # legacy view
            own = view.own_utility - view.reservation
            opp_u = self.opponent_utility(view)
            low, high = float(opp_u[mask].min()), float(opp_u[mask].max())
            opp = (opp_u - low) / (high - low) if high > low else np.ones_like(opp_u)
            tables = Tables(mask, own, own, share, share, opp, self.params.gap_weeks, {})
        else:
            nxt = view.own_gain_next if view.own_gain_next is not None else view.own_gain
            span = top_value(nxt, mask, 0.0)
            share_next = nxt / (span if span > 0 else 1.0)
            opp = view.opponent_gain_public
            if opp is None:
                raise ValueError("a core-v2 view needs opponent_gain_public")
            gap = view.gap if view.gap is not None else self.params.gap_weeks
            tables = Tables(mask, view.own_gain, nxt, share, share_next, opp, gap, {})
        self._tables_cache = (key, tables, view)
        return tables

    # ------------------------------------------------------------------ beliefs
    def _observe(self, mu: np.ndarray, likelihood: np.ndarray) -> np.ndarray:
        """Bayes' rule on the grid; an observation every type rules out is ignored."""
        post = mu * likelihood
        total = post.sum()
        return post / total if total > 0 else mu

    def _drift(self, mu: np.ndarray, mu0: np.ndarray, weeks: int) -> np.ndarray:
        """μ ← normalise(μ^λ·μ_0^(1−λ)) applied ``weeks`` times: exponent λ^weeks."""
        if weeks <= 0:
            return mu
        lam = self.params.drift**weeks
        with np.errstate(divide="ignore", invalid="ignore"):
            out = mu**lam * mu0 ** (1.0 - lam)
        total = out.sum()
        return out / total if total > 0 else mu0.copy()

    def _censor(self, grid: np.ndarray, gain: float, above: bool) -> np.ndarray:
        """Tremble likelihood ε + (1 − 2ε)·1(γ > g) if ``above`` else ·1(γ ≤ g)."""
        eps = self.params.epsilon
        accepts = grid <= gain + TOLERANCE
        return eps + (1 - 2 * eps) * (~accepts if above else accepts)

    def _likelihood(
        self, grid: np.ndarray, item: OfferRecord | PublicEvent, side: str, opp: np.ndarray
    ) -> np.ndarray | None:
        """The likelihood one public record carries about the opponent's type (None: none)."""
        if isinstance(item, PublicEvent):
            if item.side == side:
                return None
            if item.kind in UP_SIGNALS:
                return np.exp(self.params.eta_esc * grid)
            if item.kind in DOWN_SIGNALS:
                return np.exp(-self.params.eta_gw * grid)
            return None
        gain = float(opp[item.outcome])
        if item.proposer != side:  # a type never offers below what it would accept
            return self._censor(grid, gain, above=False)
        binding = item.utility[side] >= item.reservation[side]  # not a pass
        if not item.accepted and not item.blocked_by_ratification and binding:
            return self._censor(grid, gain, above=True)  # rejected: its type is above g_o(x)
        return None

    def belief(self, view: NegotiationView) -> tuple[np.ndarray, np.ndarray]:
        """(grid, μ) after replaying the public record up to now (and the offer on the table).

        The replay multiplies likelihoods and drifts toward the prior, and a drift acts on
        the log-belief's distance from the prior as the factor λ^weeks: so the posterior is
        log μ = log μ_0 + Σ_i λ^(now − week_i)·log L_i (+ the offer on the table), summed
        in one product over the record (``replay`` is the step-by-step form, and the one used
        when a zero tremble or a point prior can rule types out)."""
        if self.params.epsilon <= 0 or self.params.sigma0 <= 0:
            return self.replay(view)
        grid, mu0 = self.prior(view)
        opp = self.tables(view).opp
        eps, lam = self.params.epsilon, self.params.drift
        offers_week, outcomes, below, events_week, signs = self._record(view)
        log_mu = np.log(mu0, out=np.full_like(mu0, -np.inf), where=mu0 > 0)  # 0: ruled out
        if len(outcomes):
            weight = lam ** np.maximum(view.week - offers_week, 0)
            accepts = grid[None, :] <= opp[outcomes][:, None] + TOLERANCE
            log_lik = np.where(accepts == below[:, None], math.log1p(-eps), math.log(eps))
            log_mu = log_mu + weight @ log_lik
        if len(signs):
            weight = lam ** np.maximum(view.week - events_week, 0)
            up, down = weight @ (signs > 0), weight @ (signs < 0)
            log_mu = log_mu + (up * self.params.eta_esc - down * self.params.eta_gw) * grid
        if view.on_table is not None:
            accepts = grid <= float(opp[view.on_table]) + TOLERANCE
            log_mu = log_mu + np.where(accepts, math.log1p(-eps), math.log(eps))
        mu = np.exp(log_mu - log_mu.max())
        return grid, mu / mu.sum()

    def _record(
        self, view: NegotiationView
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The informative public record as arrays: offers (week, outcome, True if it caps
        the type from above, i.e. the opponent offered it; False if a rejection bounds it
        from below) and signal events (week, +1 resolve / −1 softening).  Extended
        incrementally: the record only grows at its end."""
        history, events = view.history, view.events
        cache = getattr(self, "_record_cache", None)
        if cache is None or not (
            cache[4] == view.side
            and _same_prefix(cache[0], history)
            and _same_prefix(cache[1], events)
        ):
            cache = ((), (), np.zeros((0, 3)), np.zeros((0, 2)), view.side, None)
        offers, signals = [], []  # the records new since the cached ones
        for r in history[len(cache[0]) :]:
            if r.proposer != view.side:  # a type never offers below what it would accept
                offers.append((r.week, r.outcome, True))
            elif (
                not r.accepted
                and not r.blocked_by_ratification
                and r.utility[view.side] >= r.reservation[view.side]  # not a pass
            ):
                offers.append((r.week, r.outcome, False))  # rejected: the type is above g_o(x)
        for e in events[len(cache[1]) :]:
            if e.side != view.side and e.kind in UP_SIGNALS:
                signals.append((e.week, 1))
            elif e.side != view.side and e.kind in DOWN_SIGNALS:
                signals.append((e.week, -1))
        o, e, arrays = cache[2], cache[3], cache[5]
        if offers or signals or arrays is None:
            o = np.concatenate((o, np.array(offers, dtype=float).reshape(-1, 3)))
            e = np.concatenate((e, np.array(signals, dtype=float).reshape(-1, 2)))
            arrays = o[:, 0], o[:, 1].astype(np.intp), o[:, 2].astype(bool), e[:, 0], e[:, 1]
        self._record_cache = (history, events, o, e, view.side, arrays)
        return arrays

    def replay(self, view: NegotiationView) -> tuple[np.ndarray, np.ndarray]:
        """``belief`` step by step: events of a week before its rounds, Bayes' rule per
        record, a drift between weeks; an observation every type rules out is ignored."""
        grid, mu0 = self.prior(view)
        opp = self.tables(view).opp
        items: list[tuple[int, int, int, OfferRecord | PublicEvent]] = [
            (e.week, 0, i, e) for i, e in enumerate(view.events)
        ]
        items += [(r.week, 1, i, r) for i, r in enumerate(view.history)]
        items.sort(key=lambda t: t[:3])
        mu, week = mu0.copy(), None
        for w, _, _, item in items:
            if week is not None:
                mu = self._drift(mu, mu0, w - week)
            week = w if week is None else max(week, w)
            lik = self._likelihood(grid, item, view.side, opp)
            if lik is not None:
                mu = self._observe(mu, lik)
        if week is not None:
            mu = self._drift(mu, mu0, view.week - week)
        if view.on_table is not None:
            mu = self._observe(mu, self._censor(grid, float(opp[view.on_table]), above=False))
        return grid, mu

    # ------------------------------------------------------------------ decisions
    def plan(
        self, view: NegotiationView, grid: np.ndarray, mu: np.ndarray, *, next_round: bool = False
    ) -> tuple[int, float]:
        """(x_k*, P(γ_o ≤ γ_k*)·G_s(x_k*)): the screening offer and its expected gain."""
        t = self.tables(view)
        own = t.own_next if next_round else t.own
        key = (next_round, view.own_type, grid.tobytes())
        xs = t.picks.get(key)
        if xs is None:
            share = t.own_share_next if next_round else t.own_share
            mask = t.mask
            if view.own_type is not None:
                mask = mask & (share >= view.own_type - TOLERANCE)
            xs = t.picks[key] = np.asarray(best_for(own, t.opp, grid, mask))
        found = xs >= 0
        if not found.any():
            return -1, -math.inf
        value = np.where(found, np.cumsum(mu) * own[np.where(found, xs, 0)], -np.inf)
        k = int(np.argmax(value))
        return int(xs[k]), float(value[k])

    def propose(self, view: NegotiationView) -> int:
        """The screening offer x_k*; a pass (own best outcome) when no offer gains anything."""
        grid, mu = self.belief(view)
        x, value = self.plan(view, grid, mu)
        if x >= 0 and value > 0:
            return x
        t = self.tables(view)
        return int(best_for(t.own, t.opp, -math.inf, t.mask))

    def wants_meeting(self, view: NegotiationView) -> bool:
        """Ask for a principal round when the screening offer gains something and the belief
        that the other side takes it, P(γ_o ≤ γ_k*), is at least ``pi_min`` (core-v2 §1 C)."""
        grid, mu = self.belief(view)
        x, value = self.plan(view, grid, mu)
        if x < 0 or value <= 0:
            return False
        gain = float(self.tables(view).own[x])
        return gain > 0 and value / gain >= self.params.pi_min - TOLERANCE

    def bar(self, view: NegotiationView) -> float:
        """W_s − r_s = δ^Δ·max_k P'(γ_o ≤ γ_k)·G_s(x_k, t + Δ) (may be negative)."""
        grid, mu = self.belief(view)
        _, value = self.plan(view, grid, mu, next_round=True)
        return view.patience ** self.tables(view).gap * value

    def aspiration(self, view: NegotiationView) -> float:
        """The acceptance bar on the V scale: max(r, W, r + own type·(M − r))."""
        t = self.tables(view)
        span = top_value(t.own, t.mask, 0.0)
        typed = 0.0 if view.own_type is None else view.own_type * (span if span > 0 else 1.0)
        return view.reservation + max(0.0, self.bar(view), typed)

    def accepts(self, view: NegotiationView, outcome: int) -> bool:
        """Accept y iff G_s(y) ≥ max(0, W − r) and g_s(y) ≥ own type (never below r)."""
        t = self.tables(view)
        gain = float(t.own[outcome])
        if gain < 0:
            return False
        if view.own_type is not None and t.own_share[outcome] < view.own_type - TOLERANCE:
            return False
        return gain >= self.bar(view)
