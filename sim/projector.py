"""The projector: walk-away and deal values on one scale (core-v2 §1 A, B; core-v2-build.md).

``Projector(cfg, space).project(snap)`` runs a batch of deterministic, mean-field paths
(``sim/projector_paths.py``) from a ``Snapshot`` of what is public at week t and returns a
``Valuation``: r_s(t) (the no-deal path, announced actions weighted by p_fire to first order),
the "any deal" value D_s, per-issue gains Δ_{s,i}(ℓ), the same with the deal at t+Δ, and each
announced action's effect.  The flow utility is Σ_i w_{s,i} v_{s,i}(ℓ_i) + Σ_k κ_{s,k} c_k;
lumps (election, rollback, conceding under fire) are added undiscounted by (1 − δ).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim import projector_paths as pp
from tradetalks.sim import projector_value as pv
from tradetalks.sim.config import Config
from tradetalks.sim.config_valuation import (
    FarmPoliticsConfig,
    IrreversibilityConfig,
    ValuationConfig,
)
from tradetalks.sim.dynamics import FarmAggregate, TermsMemo, changes_world
from tradetalks.sim.issues import OPEN, OutcomeSpace, read_only
from tradetalks.sim.payoffs import blend_weights
from tradetalks.sim.projector_value import Batch, HostageTerm, hostage_term, under_fire_factor

SIDES = ("us", "china")


@dataclass(frozen=True)
class PendingAction:
    """An announced tariff action as the projector sees it."""

    side: str
    weeks_ahead: int  # 0 = fires this week
    tariff_pp: float
    soy_pp: float
    p_fire: float
    label: str


@dataclass(frozen=True)
class Snapshot:
    """What is public at decision week t (``patience`` and ``talks_signal`` are additions:
    when None the config's patience and the farm aggregate's talks signal are used)."""

    week: int
    date: dt.date
    state: Mapping[str, float]
    farm: FarmAggregate
    pending: tuple[PendingAction, ...] = ()
    aid: tuple[tuple[int, float], ...] = ()
    agreed: Mapping[str, int] = field(default_factory=dict)
    fired: Mapping[str, float] = field(default_factory=dict)
    under_fire: Mapping[str, float] = field(default_factory=dict)
    patience: Mapping[str, float] | None = None
    talks_signal: float | None = None


@dataclass(frozen=True)
class Valuation:
    """Values of one projection (additions to the interface: ``action_effect``, ``lumps``,
    ``hostage``)."""

    week: int
    gap: int
    r: Mapping[str, float]
    r_next: Mapping[str, float]
    flow_no_deal: Mapping[str, float]
    any_deal: Mapping[str, float]
    gains: Mapping[str, tuple[np.ndarray, ...]]
    gains_next: Mapping[str, tuple[np.ndarray, ...]]
    any_deal_next: Mapping[str, float]
    paths: Mapping[str, np.ndarray]
    action_effect: Mapping[str, Mapping[str, float]]  # label → side → V(fires) − V(not)
    lumps: Mapping[str, tuple[np.ndarray, ...]]  # rollback + under-fire part of ``gains``
    hostage: HostageTerm | None = None
    # per side: (j, k, table) interactions of jointly valued issues (valuation.joint_issues),
    # table[ℓ_j, ℓ_k] = joint path's gain − the two issues' own gains; now and at t + Δ
    pairs: Mapping[str, tuple[tuple[int, int, np.ndarray], ...]] = field(default_factory=dict)
    pairs_next: Mapping[str, tuple[tuple[int, int, np.ndarray], ...]] = field(default_factory=dict)
    disputes: pv.DisputeTerm | None = None  # valuation.anticipate_disputes
    # utilities already computed from this valuation: (side, next round, space) → array
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def utility(self, side: str, space: OutcomeSpace, *, next_round: bool = False) -> np.ndarray:
        """V_s(x) for every outcome: r + D·1[covers an issue] + Σ_i Δ_i(x_i), the US's gains
        on hostage issues scaled by expected fulfilment φ̂(x)."""
        key = (side, next_round, id(space))
        cached = self._cache.get(key)
        if cached is not None and cached[0] is space:
            return cached[1]
        r = self.r_next[side] if next_round else self.r[side]
        d = self.any_deal_next[side] if next_round else self.any_deal[side]
        gains = self.gains_next[side] if next_round else self.gains[side]
        hostage = self.hostage if side == "us" else None
        held_issues = hostage.issues if hostage is not None else frozenset()
        value = space.additive([None if j in held_issues else g for j, g in enumerate(gains)])
        value += (r + d) if space.all_cover else r + d * space.covers_any
        if hostage is not None and held_issues:
            held = space.additive([g if j in held_issues else None for j, g in enumerate(gains)])
            value += hostage.phi(space) * held
        for j, k, table in (self.pairs_next if next_round else self.pairs).get(side, ()):
            value += space.pairwise(j, k, table)
        if self.disputes is not None:  # deals that may unravel after a dispute
            value -= self.disputes.cost(side, space, next_round)
        out = read_only(value)
        pv.remember(self._cache, key, space, out)
        return out

    def gain(self, side: str, space: OutcomeSpace, *, next_round: bool = False) -> np.ndarray:
        """G_s(x) = V_s(x) − r_s."""
        r = self.r_next[side] if next_round else self.r[side]
        return read_only(self.utility(side, space, next_round=next_round) - r)


class Projector:
    """Projects the world from a snapshot over a batch of paths and values them per side."""

    def __init__(self, cfg: Config, space: OutcomeSpace) -> None:
        self.cfg, self.space = cfg, space
        self.val = cfg.valuation or ValuationConfig()
        self.fp = cfg.farm_politics or FarmPoliticsConfig()
        self.irr = cfg.irreversibility or IrreversibilityConfig()
        self.weights, self.values = {}, {}
        for side in SIDES:
            team = cfg.teams[side]
            members = [space.weight_vector(m.weights) for m in team.members.values()]
            base = np.array([m.influence for m in team.members.values()])
            self.weights[side] = blend_weights(members, base)
            self.values[side] = [
                np.asarray(i.values.get(side, np.zeros(i.n_levels))) for i in space.issues
            ]
        self.kappa = {"us": dict(self.val.us.kappa), "china": dict(self.val.china.kappa)}
        self.level_q = [
            [{k: float(v[lv]) for k, v in i.quantities.items()} for lv in range(i.n_levels)]
            for i in space.issues
        ]
        index = {name: j for j, name in enumerate(space.names)}
        self.pairs = [(index[a], index[b]) for a, b in self.val.joint_issues]
        self.ends = np.cumsum([i.n_levels for i in space.issues]).tolist()  # issue j's end
        self.terms = TermsMemo()  # deal_terms, kept across projections

    # ------------------------------------------------------------------ context
    def _context(self, snap: Snapshot, gap: int) -> pp.Context:
        horizon = self.val.horizon_weeks + gap
        aid = np.zeros(horizon + 1)
        share = self.cfg.world.farmers.aid_soy_share
        for weeks_ahead, amount in snap.aid:
            if 0 <= weeks_ahead <= horizon:
                aid[weeks_ahead] += amount * share
        talks = snap.farm.talks_signal if snap.talks_signal is None else snap.talks_signal
        return pp.Context(
            self.cfg, snap.state, snap.fired, snap.week, snap.pending, aid, snap.farm, talks,
            horizon, self.terms,
        )  # fmt: skip

    def _elections(self, snap: Snapshot, horizon: int) -> list[int]:
        weeks = [(d - snap.date).days // 7 for d in self.fp.election_dates]
        return sorted(k for k in weeks if 0 <= k < horizon)

    def _base_levels(self, snap: Snapshot) -> list[int]:
        return [snap.agreed.get(i.name, i.status_quo) for i in self.space.issues]

    def _split(self, a: np.ndarray) -> list[np.ndarray]:
        """``a`` (every issue's levels side by side) as views, issue by issue."""
        return [a[e - i.n_levels : e] for i, e in zip(self.space.issues, self.ends, strict=True)]

    def _needs_path(self, j: int, lv: int, base: int) -> bool:
        q, q0 = self.level_q[j][lv], self.level_q[j][base]
        return lv != base and changes_world(q) and q != q0

    # ------------------------------------------------------------------ batches
    def _deal_plans(self, batch: Batch, snap: Snapshot, start: int, exact: bool) -> dict:
        """Plans for the "any deal" path and each issue level that changes the world."""
        plans = {"any": batch.plan(start, {}, True, exact=exact)}
        base = self._base_levels(snap)
        for j, issue in enumerate(self.space.issues):
            if issue.name in snap.agreed:
                continue
            for lv in range(issue.n_levels):
                if self._needs_path(j, lv, base[j]):
                    q = self.level_q[j][lv]
                    plans[(j, lv)] = batch.plan(start, q, False, exact=exact)
        for j, k in self.pairs:  # both issues moved together: their interaction's paths
            if self.space.issues[j].name in snap.agreed or self.space.issues[k].name in snap.agreed:
                continue
            for lv in range(self.space.issues[j].n_levels):
                for lu in range(self.space.issues[k].n_levels):
                    if (j, lv) in plans and (k, lu) in plans:
                        q = {**self.level_q[j][lv], **self.level_q[k][lu]}
                        plans[(j, k, lv, lu)] = batch.plan(start, q, False, exact=exact)
        return plans

    def project(
        self, snap: Snapshot, *, gap: int | None = None, farm_weeks: int | None = None
    ) -> Valuation:
        """The valuation at ``snap``: one batch of paths, deterministic."""
        gap = self.val.round_gap_weeks if gap is None else gap
        ctx = self._context(snap, gap)
        batch = Batch(snap.pending)
        nd = batch.plan(None, {}, False, exact=True)
        now = self._deal_plans(batch, snap, 0, exact=False)
        nxt = self._deal_plans(batch, snap, gap, exact=False)
        rem = pv.remedial_paths(self.cfg, batch, gap)  # None unless disputes are anticipated
        elections = self._elections(snap, ctx.horizon)
        weeks = max([*elections, farm_weeks or 0])
        sim = pp.simulate(batch.specs, ctx, weeks)
        scored = {s: self._score(sim, snap, s, gap, elections) for s in SIDES}
        return self._assemble(snap, gap, nd, now, nxt, sim, scored, rem)

    def _score(self, sim, snap, side, gap, elections) -> dict[str, np.ndarray]:
        """Per path: V at t and at t+Δ (flows and lumps), and the weekly flows and lumps."""
        delta = snap.patience[side] if snap.patience else self.cfg.teams[side].patience
        c = pp.consequences(sim, self.cfg)
        flow = np.zeros_like(c["uncertainty"])
        for k, kap in self.kappa[side].items():
            flow += kap * c[k]
        horizon, lump = flow.shape[1] - 1, np.zeros_like(flow)
        if side == "us":
            fp = self.fp
            for k in elections:
                lump[:, k] += fp.electoral_weight * (sim["approval"][:, k] - fp.approval_reference)
        rows = np.flatnonzero(sim["deal_week"] >= 0)
        cost = self.irr.rollback_cost_per_pp * sim[f"rollback_{side}"][rows]
        np.subtract.at(lump, (rows, sim["deal_week"][rows]), cost)
        rollback = self.irr.rollback_cost_per_pp * sim[f"rollback_{side}"]
        out = {"flow": flow, "lump": lump, "delta": delta, "rollback": rollback}
        for name, start in (("now", 0), ("next", gap)):
            k = np.arange(horizon + 1 - start)
            w = (1 - delta) * delta**k
            w[-1] = delta ** (horizon - start)
            disc = delta**k
            disc[-1] = 0.0  # the terminal week is outside [t, t + window)
            out[name] = flow[:, start:] @ w + lump[:, start:] @ disc
        return out

    def _intrinsic(self, side: str, base: list[int]) -> tuple[float, list[np.ndarray]]:
        """Σ_i w_i v_i(base_i), and per issue w_i·(v_i(ℓ) − v_i(base_i))."""
        w, v = self.weights[side], self.values[side]
        c0 = float(sum(w[j] * v[j][b] for j, b in enumerate(base)))
        return c0, [w[j] * (v[j] - v[j][b]) for j, b in enumerate(base)]

    def _conceded(self, side: str, base: list[int]) -> list[np.ndarray]:
        """Per issue and level: the intrinsic value ``side`` concedes (≥ 0)."""
        return [np.maximum(0.0, -d) for d in self._intrinsic(side, base)[1]]

    def _gains(self, side, snap, plans, sc, eff, p, r, start) -> tuple[float, list, list, list]:
        """D, per-issue gains (with lumps) and the joint issues' interactions for deals
        starting at ``start`` (every issue's levels side by side in one array, then split)."""
        base = self._base_levels(snap)
        c0, per_issue = self._intrinsic(side, base)
        intrinsic = np.concatenate(per_issue)
        uf = under_fire_factor(
            snap.under_fire.get(side, math.inf), snap.pending, side, start, self.irr
        )
        v, rb = sc["now" if start == 0 else "next"], sc["rollback"]
        fast = (v.tolist(), np.asarray(eff).tolist(), p.tolist())  # the same doubles, as floats
        proj, rollback = np.zeros(len(intrinsic)), np.zeros(len(intrinsic))
        lump = -self.irr.under_fire_cost * uf * np.maximum(0.0, -intrinsic)  # _conceded
        for j, issue in enumerate(self.space.issues):
            at = self.ends[j] - issue.n_levels
            if issue.name in snap.agreed:  # no gain, no lump (and no paths: _deal_plans)
                lump[at : self.ends[j]] = 0.0
                continue
            for lv in range(issue.n_levels):
                plan = plans.get((j, lv))
                if plan is not None:
                    proj[at + lv] = plan.value(*fast) + c0 - r
                    rollback[at + lv] = -rb[plan.base]
        gains, lumps = read_only(proj + intrinsic + lump), read_only(lump + rollback)
        gains, lumps, projected = self._split(gains), self._split(lumps), self._split(proj)
        pairs = []
        for j, k in self.pairs:
            table = np.zeros((len(projected[j]), len(projected[k])))
            for lv in range(table.shape[0]):
                for lu in range(table.shape[1]):
                    plan = plans.get((j, k, lv, lu))
                    if plan is not None:
                        joint = plan.value(*fast) + c0 - r
                        table[lv, lu] = joint - projected[j][lv] - projected[k][lu]
            pairs.append((j, k, read_only(table)))
        d = plans["any"].value(v, eff, p) + c0 - r
        return d, gains, lumps, pairs

    def _assemble(self, snap, gap, nd, now, nxt, sim, scored, rem=None) -> Valuation:
        """Combine the scored paths into r, ū, D and the gains, per side."""
        p = np.array([a.p_fire for a in snap.pending])
        base = self._base_levels(snap)
        out: dict[str, dict] = {
            k: {} for k in ("r", "rn", "u", "d", "dn", "g", "gn", "l", "p", "pn")
        }
        effects: dict[str, dict[str, float]] = {a.label: {} for a in snap.pending}
        for side in SIDES:
            sc, delta = scored[side], scored[side]["delta"]
            c0 = self._intrinsic(side, base)[0]
            e_now, e_next = nd.effects(sc["now"]), nd.effects(sc["next"])
            r = nd.value(sc["now"], e_now, p) + c0
            r_next = nd.value(sc["next"], e_next, p) + c0
            k = np.arange(gap)
            flows = nd.mix(sc["flow"], p)[:gap] @ ((1 - delta) * delta**k)
            lumps = nd.mix(sc["lump"], p)[:gap] @ delta**k
            norm = 1 - delta**gap
            if norm > 0:
                out["u"][side] = (flows + lumps) / norm + c0
            else:  # δ = 1: no discounting, ū is the plain average over the gap
                mean_flow = float(nd.mix(sc["flow"], p)[:gap].mean())
                out["u"][side] = mean_flow + lumps / max(gap, 1) + c0
            out["r"][side], out["rn"][side] = r, r_next
            out["d"][side], out["g"][side], out["l"][side], out["p"][side] = self._gains(
                side, snap, now, sc, e_now, p, r, 0
            )
            out["dn"][side], out["gn"][side], _, out["pn"][side] = self._gains(
                side, snap, nxt, sc, e_next, p, r_next, gap
            )
            for a, e in zip(snap.pending, e_now, strict=True):
                effects[a.label][side] = float(e)
        paths = {k: read_only(nd.mix(sim[k], p)) for k in DIAGNOSTICS}
        persistence = self.irr.retaliation_persistence
        hostage = hostage_term(
            self.cfg.hostage, self.space, self.level_q, snap, self.cfg, persistence, self.terms
        )
        disputes = pv.dispute_term(self, rem, sim, scored, out, (nd, now, nxt))
        return Valuation(
            week=snap.week, gap=gap, r=out["r"], r_next=out["rn"], flow_no_deal=out["u"],
            any_deal=out["d"], gains={s: tuple(g) for s, g in out["g"].items()},
            gains_next={s: tuple(g) for s, g in out["gn"].items()}, any_deal_next=out["dn"],
            paths=paths, action_effect=effects,
            lumps={s: tuple(g) for s, g in out["l"].items()}, hostage=hostage,
            pairs={s: tuple(g) for s, g in out["p"].items()},
            pairs_next={s: tuple(g) for s, g in out["pn"].items()}, disputes=disputes,
        )  # fmt: skip

    def joint_path(self, snap: Snapshot, fires: frozenset[int], weeks: int) -> dict:
        """One no-deal path with the announced actions ``fires`` (indices) all firing, not to
        first order: the weekly state for the consistency check against the full model."""
        ctx = self._context(snap, self.val.round_gap_weeks)
        return pp.simulate([pp.PathSpec(frozenset(fires))], ctx, weeks)

    def exact_values(self, snap: Snapshot, rows: np.ndarray, *, gap: int | None = None) -> dict:
        """V_s(x, t) of outcome rows (level per issue, OPEN = −1) by joint projection, every
        announced action on its own path: the check of the additive approximation (no hostage
        scaling)."""
        gap = self.val.round_gap_weeks if gap is None else gap
        ctx, batch, base = self._context(snap, gap), Batch(snap.pending), self._base_levels(snap)
        nd = batch.plan(None, {}, False, exact=True)
        plans = []
        for row in np.atleast_2d(rows):
            q = {}
            for j, lv in enumerate(row):
                if lv != OPEN and self.space.names[j] not in snap.agreed:
                    q.update(self.level_q[j][lv])
            plans.append(batch.plan(0, q, True, exact=True))
        elections = self._elections(snap, ctx.horizon)
        sim = pp.simulate(batch.specs, ctx, max(elections, default=0))
        p = np.array([a.p_fire for a in snap.pending])
        out = {}
        for side in SIDES:
            v = self._score(sim, snap, side, gap, elections)["now"]
            c0, intrinsic = self._intrinsic(side, base)
            uf = under_fire_factor(
                snap.under_fire.get(side, math.inf), snap.pending, side, 0, self.irr
            )
            conceded = self._conceded(side, base)
            vals = []
            for plan, row in zip(plans, np.atleast_2d(rows), strict=True):
                extra = sum(
                    intrinsic[j][lv] - self.irr.under_fire_cost * uf * conceded[j][lv]
                    for j, lv in enumerate(row)
                    if lv != OPEN and self.space.names[j] not in snap.agreed
                )
                vals.append(plan.value(v, nd.effects(v), p) + c0 + extra)
            out[side] = np.array(vals)
        return out


DIAGNOSTICS = (
    "us_tau", "cn_tau", "soy_tau", "uncertainty", "us_growth", "cn_growth", "price",
    "soy_exports", "us_imports", "cn_imports", "approval", "farm_income_bn",
)  # fmt: skip


def observer_projector(cfg: Config, space: OutcomeSpace) -> Projector | None:
    """The projector of China's model of the US's values when it assumes another aid scale
    (``farm_politics.observed_aid_scale``); None when that model is the US's own values."""
    fp = cfg.farm_politics
    if fp is None or fp.observed_aid_scale is None or fp.observed_aid_scale == fp.aid_scale:
        return None
    seen = fp.model_copy(update={"aid_scale": fp.observed_aid_scale})
    return Projector(cfg.model_copy(update={"farm_politics": seen}), space)


def state_numbers(state: object) -> dict[str, float]:
    """A ``WorldState``'s numeric fields as floats (the snapshot's ``state``)."""
    return {k: float(v) for k, v in vars(state).items() if isinstance(v, int | float | np.number)}
