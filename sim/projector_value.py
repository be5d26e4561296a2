"""The projector's bookkeeping: plans of paths (a deal with announced actions to first order),
the hostage term φ̂(x), the under-fire factor (core-v2 §1 B, D, F) and the risk that a deal
unravels after a dispute over its purchases (issue 12, core-v2 §1 G)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tradetalks.sim import maker_rule as mr
from tradetalks.sim.config_valuation import HostageConfig, IrreversibilityConfig
from tradetalks.sim.dynamics import deal_terms
from tradetalks.sim.issues import OPEN, OutcomeSpace, read_only
from tradetalks.sim.projector_paths import PathSpec

PREFIX = {"us": ("us_",), "china": ("cn_", "soy_")}

# values kept per cache of values by space, the oldest dropped first (memory, not results)
CACHED_SPACES = 16


def remember(cache: dict, key: Any, space: Any, value: Any, limit: int = CACHED_SPACES) -> None:
    """Store (``space``, ``value``) under ``key`` in a cache of values by space, unless the
    space is valued once (``Rows.once``: a search's candidates), dropping the oldest entries
    beyond ``limit``: the spaces cached stay alive as long as the valuation caching them
    (a round's rows each round; 1.9 GB at 200,000 candidates a search when all were kept)."""
    if getattr(space, "once", False):
        return
    cache.pop(key, None)
    cache[key] = (space, value)
    while len(cache) > limit:
        del cache[next(iter(cache))]


def touches(q: Mapping[str, float], side: str) -> bool:
    """True if the quantities change ``side``'s tariffs or schedule."""
    return side in _touched(tuple(q))


@functools.lru_cache(maxsize=1024)
def _touched(keys: tuple[str, ...]) -> frozenset[str]:
    """The sides whose tariffs or schedule quantities with these names change (the names
    are few: a cache saves the prefix scans of every plan and level)."""
    return frozenset(side for side, pre in PREFIX.items() if any(k.startswith(pre) for k in keys))


def cancels(q: Mapping[str, float], side: str) -> bool:
    """True if the quantities cancel ``side``'s scheduled actions (``dynamics.deal_terms``)."""
    p = "us" if side == "us" else "cn"
    legacy = f"{p}_tariff_avg" in q and not q.get(f"{p}_keeps_schedule", 0.0)
    return legacy or q.get(f"{p}_cancel_scheduled", 0.0) >= 0.5


@dataclass
class Plan:
    """A deal path and, per announced action, how its effect is counted: its own path
    ("path"), none because the deal cancels it first ("zero"), or the no-deal effect."""

    base: int
    parts: list[tuple[int, str, int]] = field(default_factory=list)

    def value(self, v: np.ndarray, effects: np.ndarray, p: np.ndarray) -> float:
        """V(deal) = V(deal, none fires) + Σ_j p_j·E_j (first order in p)."""
        total = float(v[self.base])
        for j, kind, idx in self.parts:
            if kind == "path":
                total += p[j] * (v[idx] - v[self.base])
            elif kind == "approx":
                total += p[j] * effects[j]
        return total

    def effects(self, v: np.ndarray) -> np.ndarray:
        """E_j = V(j fires) − V(none fires) for a plan whose parts are all paths."""
        return np.array([v[idx] - v[self.base] for _, _, idx in self.parts])

    def mix(self, m: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The p-weighted path (rows of ``m``) of a plan whose parts are all paths."""
        out = m[self.base].astype(float)
        for j, _, idx in self.parts:
            out = out + p[j] * (m[idx] - m[self.base])
        return out


class Batch:
    """Path specs collected from plans, simulated together."""

    def __init__(self, actions: Sequence) -> None:
        self.actions = tuple(actions)
        self.specs: list[PathSpec] = []

    def _add(self, spec: PathSpec) -> int:
        self.specs.append(spec)
        return len(self.specs) - 1

    def plan(self, start: int | None, q: Mapping[str, float], any_deal: bool, exact: bool) -> Plan:
        """Add the paths of one deal (``start`` None: no deal) and return its plan (its paths
        share one copy of ``q``)."""
        q = dict(q)
        plan = Plan(self._add(PathSpec(frozenset(), start, q, any_deal)))
        touched = _touched(tuple(q))
        for j, a in enumerate(self.actions):
            if start is not None and not exact and a.weeks_ahead >= start and cancels(q, a.side):
                plan.parts.append((j, "zero", -1))
            elif start is None or exact or a.side in touched:
                idx = self._add(PathSpec(frozenset({j}), start, q, any_deal))
                plan.parts.append((j, "path", idx))
            else:
                plan.parts.append((j, "approx", -1))
        return plan


def under_fire_factor(
    under_fire: float, actions: Sequence, side: str, start: int, irr: IrreversibilityConfig
) -> float:
    """Decay factor of the under-fire cost for a deal at ``start`` weeks ahead: 2^(−weeks since
    the opponent's last hike / half-life), hikes before ``start`` counted to first order."""
    h = irr.under_fire_half_life_weeks

    def decay(weeks: float) -> float:
        return 0.0 if math.isinf(weeks) else 2.0 ** (-weeks / h)

    hikes = [a for a in actions if a.side != side and a.tariff_pp > 0 and a.weeks_ahead < start]
    p = min(1.0, sum(a.p_fire for a in hikes))
    out = (1.0 - p) * decay(under_fire + start)
    return out + sum(a.p_fire * decay(start - a.weeks_ahead) for a in hikes)


@dataclass(frozen=True)
class HostageTerm:
    """Expected fulfilment φ̂(x) = φ0 + φ1·retained US pp / max pp, scaling the US's gains on
    the hostage issues (core-v2 §1 F)."""

    phi0: float
    phi1: float
    issues: frozenset[int]
    us_cut: tuple[np.ndarray, ...]  # per issue and level: US pp a level gives up
    retained: float  # US pp above the base in force and scheduled now
    max_pp: float  # the pp at which φ̂ = φ0 + φ1 (config, or retained now)
    # φ̂ already computed for a space (this round's and the next round's values share it)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def phi(self, space: OutcomeSpace) -> np.ndarray:
        """φ̂ for every outcome of the space."""
        cached = self._cache.get(id(space))
        if cached is not None and cached[0] is space:
            return cached[1]
        out = read_only(self._phi(space))
        remember(self._cache, id(space), space, out)
        return out

    def _phi(self, space: OutcomeSpace) -> np.ndarray:
        cuts = [cut if np.any(cut) else None for cut in self.us_cut]
        retained = self.retained - space.additive(cuts)
        share = np.maximum(retained, 0.0) / self.max_pp if self.max_pp > 0 else 1.0
        return np.clip(self.phi0 + self.phi1 * share, 0.0, 1.0)


def hostage_term(
    h: HostageConfig | None, space: OutcomeSpace, level_q: list, snap, cfg, persistence: float,
    terms: Callable = deal_terms,
) -> HostageTerm | None:  # fmt: skip
    """The hostage term at the snapshot (None without a [hostage] section or issues; ``terms``:
    ``deal_terms`` or a ``dynamics.TermsMemo``, the same values)."""
    if h is None or not h.issues:
        return None
    st, t = snap.state, cfg.world.trade
    cuts = []
    for levels in level_q:
        cut = [
            _us_pp_given_up(terms(st, q, snap.fired, t, cfg.world.soybeans, persistence), st)
            if touches(q, "us")
            else 0.0
            for q in levels
        ]
        cuts.append(np.array(cut))
    # retained: the US pp above the base in force and scheduled; a deal keeps what it neither
    # rolls back nor cancels
    retained = max(0.0, st["us_tariff_avg"] - t.us_tariff_base) + st["us_threat_pp"]
    max_pp = h.max_pp if h.max_pp is not None else retained
    issues = frozenset(j for j, n in enumerate(space.names) if n in h.issues)
    return HostageTerm(h.phi0, h.phi1, issues, tuple(cuts), retained, max_pp)


def _us_pp_given_up(terms, st: Mapping[str, float]) -> float:
    """US pp a deal gives up: rolled back from those in force plus scheduled ones cancelled."""
    return terms.rolled_back_pp["us"] + max(0.0, st["us_threat_pp"] - terms.tariffs["us_threat_pp"])


@dataclass(frozen=True)
class DisputeTerm:
    """The expected cost of a dispute that unravels a deal (``valuation.anticipate_disputes``;
    issue 12, core-v2 §1 G).  The share of the purchases due that China delivers is a sum of
    a term in the soybean price before purchases (China's soybean tariff) and one in the US
    tariff kept, so its projected mean over the first review window adds up per issue: f(x) =
    f0 + Σ_i Δf_i(x_i), each term read on the issue's own path (no announced action firing).
    Below ``dispute_below`` each review brings a dispute, and the US maker's rule a remedial
    tariff that is announced and fires with probability q(f); the deal unravels by the end
    of the horizon with P(x) = 1 − (1 − q)^N.  Unravelling ends the
    purchases and the deal in force (D_s + Δ_{s,ag}) from week u and adds the remedial tariff
    (E_s, its projected effect), so V_s(x) falls by P(x)·(δ_s^u·(D_s + Δ_{s,ag}(x_ag)) − E_s).
    Per round (now, next): f0, Δf per issue and level, N and, per side, the loss per level
    of the purchases issue."""

    ag: int  # the purchases issue
    commits: np.ndarray  # per purchases level: True where it commits purchases
    rate0: tuple[float, float]
    rate: tuple[tuple[np.ndarray | None, ...], tuple[np.ndarray | None, ...]]
    reviews: tuple[int, int]
    loss: Mapping[str, tuple[np.ndarray, np.ndarray]]
    rule: tuple[float, float, float, float, float, float]  # line, cap, margin, weight, ς, fire
    # P(x) already computed: (space's id, next round) → (space, P); both sides' costs read it
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def p_unravel(self, space: OutcomeSpace, next_round: bool) -> np.ndarray:
        """P(x): the deal unravels after a dispute within the horizon, for every outcome."""
        cached = self._cache.get((id(space), next_round))
        if cached is not None and cached[0] is space:
            return cached[1]
        out = read_only(self._p_unravel(space, next_round))
        remember(self._cache, (id(space), next_round), space, out)
        return out

    def _p_unravel(self, space: OutcomeSpace, next_round: bool) -> np.ndarray:
        line, cap, margin, weight, scale, fire = self.rule
        f = np.clip(self.rate0[next_round] + space.additive(list(self.rate[next_round])), 0, cap)
        short = np.maximum(line - f, 0.0) / line if line > 0 else np.zeros_like(f)
        q = mr.logistic((margin + weight * short) / scale) * fire
        p = np.where(f < line, 1.0 - (1.0 - q) ** self.reviews[next_round], 0.0)
        lv = space.levels[:, self.ag]
        return p * ((lv != OPEN) & self.commits[np.maximum(lv, 0)])

    def cost(self, side: str, space: OutcomeSpace, next_round: bool) -> np.ndarray:
        """P(x)·loss_s(x_ag): what the chance of unravelling takes off V_s(x)."""
        loss = [None] * len(space.issues)
        loss[self.ag] = self.loss[side][next_round]
        return self.p_unravel(space, next_round) * space.additive(loss)


@dataclass(frozen=True)
class Remedial:
    """The paths the dispute term reads: per round (deal now, deal at t + Δ), the row of the
    no-deal path on which the remedial tariff fires, that week, the first review's window
    (path steps, as indices of the markets' arrays) and the reviews in the horizon."""

    rows: tuple[int, int]
    weeks: tuple[int, int]
    windows: tuple[slice, slice]
    reviews: tuple[int, int]
    size: float  # the remedial tariff, pp (the mean of its range)
    lead: int  # weeks from the dispute to the remedial tariff (the mean of its range)


def remedial_paths(cfg, batch: Batch, gap: int) -> Remedial | None:
    """Add the remedial tariff's paths to ``batch`` (None, adding nothing, unless disputes are
    anticipated and can be filed and answered: the switch, a dispute line and makers)."""
    imp, val = cfg.implementation, cfg.valuation
    if not (val and val.anticipate_disputes and imp and imp.dispute_below is not None):
        return None
    if cfg.makers is None:
        return None
    size, lead = float(np.mean(imp.remedial_pp)), round(float(np.mean(imp.remedial_lead_weeks)))
    span, rows, weeks, windows, reviews = val.horizon_weeks + gap, [], [], [], []
    for start in (0, gap):  # the first review comes review_weeks after the week after the deal
        weeks.append(start + 1 + imp.review_weeks + lead)
        rows.append(batch._add(PathSpec(unravel=(weeks[-1], size))))
        windows.append(slice(start + 1, start + 1 + imp.review_weeks))
        reviews.append(max(0, (span - start - 1 - lead) // imp.review_weeks))
    return Remedial(tuple(rows), tuple(weeks), tuple(windows), tuple(reviews), size, lead)


def dispute_term(proj, rem: Remedial | None, sim, scored, out, plans) -> DisputeTerm | None:
    """The dispute term of a ``Projector``'s projection (None without ``rem``): ``plans`` =
    (no-deal plan, deal plans now, at t + Δ), ``scored`` the per-side path values and ``out``
    the per-side D and gains (``Projector._assemble``: "d", "g" now, "dn", "gn" at t + Δ)."""
    cfg, space, level_q = proj.cfg, proj.space, proj.level_q
    committing = [j for j, lv in enumerate(level_q) if any("ag_extra_bn" in q for q in lv)]
    if rem is None or not committing:
        return None
    imp, m, ag = cfg.implementation, cfg.makers.us, committing[0]  # the purchases issue
    nd = plans[0]
    rate0, rates, loss = [], [], {"us": [], "china": []}
    for rnd, (deals, window) in enumerate(zip(plans[1:], rem.windows, strict=True)):
        mean = sim["ag_rate"][:, window].mean(axis=1)
        # a deal's own effects (its talks signal: implementation.relations_weight) are on the
        # any-deal path, each issue's on its own path against the no-deal one
        anyd = deals.get("any")
        rate0.append(float(mean[nd.base if anyd is None else anyd.base]))
        per_issue = []
        for j, issue in enumerate(space.issues):
            got = [deals.get((j, lv)) for lv in range(issue.n_levels)]
            d = np.array([0.0 if g is None else mean[g.base] - mean[nd.base] for g in got])
            per_issue.append(d if np.any(d) else None)
        rates.append(tuple(per_issue))
        start = 0 if rnd == 0 else rem.weeks[1] - rem.weeks[0]
        for side in ("us", "china"):
            v = scored[side]["next" if rnd else "now"]
            effect = float(v[rem.rows[rnd]] - v[nd.base])
            d, g = (out["dn"], out["gn"]) if rnd else (out["d"], out["g"])
            held = scored[side]["delta"] ** (rem.weeks[rnd] - start) * (d[side] + g[side][ag])
            loss[side].append(held - effect)
    commits = np.array([q.get("ag_extra_bn", 0.0) > 0 for q in level_q[ag]])
    # the maker's rule after the deal: its chapters settled (talks progress 1, as
    # snapshot.open_progress with nothing open) and its own cost the remedial tariff's effect
    v = scored["us"]["now"]
    inputs = {"progress": 1.0, "own_cost": float(v[rem.rows[0]] - v[nd.base])}
    margin = float(mr.escalate_margin(m, mr.EscalationInputs(**inputs)))
    due = mr.DueInputs(**inputs, age_weeks=rem.lead)
    fire = float(mr.p_fire(m, mr.threat_size(m, rem.size), due))
    rule = (imp.dispute_below, imp.cap, margin, m.remedial_weight, m.logit_scale, fire)
    return DisputeTerm(
        ag, commits, tuple(rate0), tuple(rates), rem.reviews,
        {s: tuple(v) for s, v in loss.items()}, rule,
    )  # fmt: skip
