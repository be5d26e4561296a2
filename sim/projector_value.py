"""The projector's bookkeeping: plans of paths (a deal with announced actions to first order),
the hostage term φ̂(x) and the under-fire factor (core-v2 §1 B, D, F)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim.config_valuation import HostageConfig, IrreversibilityConfig
from tradetalks.sim.dynamics import deal_terms
from tradetalks.sim.issues import OutcomeSpace, read_only
from tradetalks.sim.projector_paths import PathSpec

PREFIX = {"us": ("us_",), "china": ("cn_", "soy_")}


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
    us_cut: tuple[np.ndarray, ...]  # per issue and level: US pp a level takes off
    retained: float  # US pp above the base in force now
    max_pp: float  # in force plus scheduled
    # φ̂ already computed for a space (this round's and the next round's values share it)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def phi(self, space: OutcomeSpace) -> np.ndarray:
        """φ̂ for every outcome of the space."""
        cached = self._cache.get(id(space))
        if cached is not None and cached[0] is space:
            return cached[1]
        out = read_only(self._phi(space))
        self._cache[id(space)] = (space, out)
        return out

    def _phi(self, space: OutcomeSpace) -> np.ndarray:
        cuts = [cut if np.any(cut) else None for cut in self.us_cut]
        retained = self.retained - space.additive(cuts)
        share = np.maximum(retained, 0.0) / self.max_pp if self.max_pp > 0 else 1.0
        return np.clip(self.phi0 + self.phi1 * share, 0.0, 1.0)


def hostage_term(
    h: HostageConfig | None, space: OutcomeSpace, level_q: list, snap, cfg, persistence: float
) -> HostageTerm | None:
    """The hostage term at the snapshot (None without a [hostage] section or issues)."""
    if h is None or not h.issues:
        return None
    st, t = snap.state, cfg.world.trade
    cuts = []
    for levels in level_q:
        cut = [
            deal_terms(st, q, snap.fired, t, cfg.world.soybeans, persistence).rolled_back_pp["us"]
            if touches(q, "us")
            else 0.0
            for q in levels
        ]
        cuts.append(np.array(cut))
    retained = max(0.0, st["us_tariff_avg"] - t.us_tariff_base)
    issues = frozenset(j for j, n in enumerate(space.names) if n in h.issues)
    return HostageTerm(h.phi0, h.phi1, issues, tuple(cuts), retained, retained + st["us_threat_pp"])
