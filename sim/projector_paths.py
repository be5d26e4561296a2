"""The projector's batch of paths: discrete events per path, then the world's equations
(``sim/dynamics.py``) stepped over all paths at once, shocks at zero, farmers as aggregates.

A path is a ``PathSpec``: which announced actions fire, and which deal (if any) takes effect
in which week.  Week k's state is the state after week k's events (aid, then the deal, then
tariff actions: the model's event order); week 0 is the snapshot with this week's events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import Config
from tradetalks.sim.path_arrays import _filter_weeks, _unique_rows

_clip = np._core.umath.clip  # ``ndarray.clip``'s ufunc; weekly loops pass ``out`` by position
EVENT_KEYS = ("us_tau", "cn_tau", "soy_tau", "threat", "deal", "huawei", "manip", "commit", "cweek")


@dataclass(frozen=True)
class PathSpec:
    """One path: the actions that fire (unless a deal cancels them) and the deal, if any."""

    fires: frozenset[int] = frozenset()
    deal_week: int | None = None
    quantities: Mapping[str, float] = field(default_factory=dict)
    any_deal: bool = False  # uncertainty relief, deal in force, the talks signal of a deal
    unravel: tuple[int, float] | None = None  # (week, US remedial pp): the deal void from then


@dataclass
class Context:
    """What every path shares: the snapshot's numbers, actions, aid and horizon."""

    cfg: Config
    state: Mapping[str, float]
    fired: Mapping[str, float]
    week: int  # absolute week of the snapshot
    actions: Sequence  # PendingAction
    aid_weeks: np.ndarray  # (horizon+1,) soybean-farm aid paid in each week's event phase, $bn
    farm: dyn.FarmAggregate
    talks: float
    horizon: int
    terms: Callable = dyn.deal_terms  # the projector's ``dyn.TermsMemo``: the same values


def _escalate(s: dict, side: str, tariff_pp: float, soy_pp: float, ceiling: float) -> None:
    """``World.escalate`` on the path's scalar state."""
    if side == "us":
        new = min(max(s["us_tariff_avg"] + tariff_pp, 0.0), ceiling)
        s["fired_us"] += new - s["us_tariff_avg"]
        s["us_tariff_avg"] = new
        s["us_threat_pp"] = max(0.0, s["us_threat_pp"] - max(tariff_pp, 0.0))
    else:
        new = min(max(s["cn_tariff_avg"] + tariff_pp, 0.0), ceiling)
        soy = min(max(s["soy_tariff"] + soy_pp, 0.0), ceiling)
        s["fired_china"] += new - s["cn_tariff_avg"]
        s["fired_china_soy"] += soy - s["soy_tariff"]
        s["cn_tariff_avg"], s["soy_tariff"] = new, soy
        s["cn_threat_pp"] = max(0.0, s["cn_threat_pp"] - max(tariff_pp, 0.0))


def _apply_deal(s: dict, spec: PathSpec, ctx: Context, k: int) -> dict[str, float]:
    """The deal's terms on the path's scalar state; returns the pp rolled back per side."""
    cfg, irr = ctx.cfg, ctx.cfg.irreversibility
    fired = {"us": s["fired_us"], "china": s["fired_china"], "china_soy": s["fired_china_soy"]}
    persistence = irr.retaliation_persistence if irr else 0.0
    terms = ctx.terms(s, spec.quantities, fired, cfg.world.trade, cfg.world.soybeans, persistence)
    s.update(terms.tariffs)
    s["ended"] = s["ended"] | terms.ended
    q = spec.quantities
    if "ag_extra_bn" in q:
        s["ag_commitment_bn"], s["ag_commitment_week"] = q["ag_extra_bn"], ctx.week + k
    if "huawei_status" in q:
        s["huawei_status"] = q["huawei_status"]
    if q.get("lift_label", 0.0) >= 1.0:
        s["manipulator"] = 0.0
    return terms.rolled_back_pp


def _start_state(ctx: Context) -> dict:
    """The scalar state every path starts from."""
    st = ctx.state
    s = {k: float(st[k]) for k in ("us_tariff_avg", "cn_tariff_avg", "soy_tariff")}
    s.update({k: float(st[k]) for k in ("us_threat_pp", "cn_threat_pp", "huawei_status")})
    s.update(manipulator=float(st["manipulator"]), deal=float(st["deal_in_force"]))
    s.update(ag_commitment_bn=float(st["ag_commitment_bn"]))
    s.update(ag_commitment_week=float(st["ag_commitment_week"]), ended=frozenset())
    s.update({f"fired_{k}": float(ctx.fired.get(k, 0.0)) for k in ("us", "china", "china_soy")})
    return s


@dataclass
class _Walk:
    """What the walks of one batch share, and the segments they collect: per path, the
    piecewise-constant state (``EVENT_KEYS`` order) from each event week to the next."""

    ctx: Context
    out: dict[str, np.ndarray]
    start: dict = field(init=False)  # ``_start_state``
    actions_at: dict[int, list] = field(init=False)  # week → [(index, action)], in order
    weeks: list[int] = field(init=False)  # weeks with announced actions, and week 0
    rows: list[tuple] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.start = _start_state(self.ctx)
        self.actions_at = {}
        for j, a in enumerate(self.ctx.actions):
            self.actions_at.setdefault(a.weeks_ahead, []).append((j, a))
        self.weeks = sorted(k for k in {0, *self.actions_at} if k <= self.ctx.horizon)


def _walk(spec: PathSpec, w: _Walk, p: int) -> None:
    """Row ``p``'s event effects, and its segments: walk the path's events week by week."""
    ctx, out, s, cfg = w.ctx, w.out, dict(w.start), w.ctx.cfg
    g, u = cfg.world.gestures, cfg.world.uncertainty
    weeks = w.weeks
    extra = {spec.deal_week, *(spec.unravel or ())[:1]} - {None, *weeks}
    if extra:
        weeks = sorted(k for k in {*weeks, *extra} if k <= ctx.horizon)
    for i, k in enumerate(weeks):
        if k == spec.deal_week:
            rolled = _apply_deal(s, spec, ctx, k)
            out["rollback_us"][p], out["rollback_china"][p] = rolled["us"], rolled["china"]
            if spec.any_deal:
                s["deal"] = 1.0
                out["unc_mult"][p, k] *= 1.0 - u.deal_relief
                out["talks_add"][p, k] += g.talks_signal_deal
        if spec.unravel is not None and k == spec.unravel[0]:  # the remedial tariff fires
            s["deal"], s["ag_commitment_bn"] = 0.0, 0.0
            _escalate(s, "us", spec.unravel[1], 0.0, cfg.world.trade.tariff_ceiling)
            out["unc_add"][p, k] += u.escalation_jump
            out["talks_add"][p, k] += g.talks_signal_escalation
        for j, a in w.actions_at.get(k, ()):
            if j in spec.fires and a.side not in s["ended"]:
                _escalate(s, a.side, a.tariff_pp, a.soy_pp, cfg.world.trade.tariff_ceiling)
                out["unc_add"][p, k] += u.escalation_jump
                out["talks_add"][p, k] += g.talks_signal_escalation
        end = weeks[i + 1] if i + 1 < len(weeks) else ctx.horizon + 1
        w.rows.append((
            s["us_tariff_avg"], s["cn_tariff_avg"], s["soy_tariff"],
            s["us_threat_pp"] + s["cn_threat_pp"], s["deal"], s["huawei_status"],
            s["manipulator"], s["ag_commitment_bn"], s["ag_commitment_week"],
        ))  # fmt: skip
        w.lengths.append(end - k)


def event_arrays(specs: Sequence[PathSpec], ctx: Context) -> dict[str, np.ndarray]:
    """Per path and week, the piecewise-constant state the events set, and event effects."""
    n, width = len(specs), ctx.horizon + 1
    out: dict = dict.fromkeys(EVENT_KEYS)  # filled below, in this order
    out.update({k: np.zeros((n, width)) for k in ("unc_add", "talks_add")})
    out["unc_mult"] = np.ones((n, width))
    out["rollback_us"], out["rollback_china"] = np.zeros(n), np.zeros(n)
    out["deal_week"] = np.array([-1 if s.deal_week is None else s.deal_week for s in specs])
    walk = _Walk(ctx, out)
    for p, spec in enumerate(specs):
        _walk(spec, walk, p)
    # the segments tile each row's weeks in order: one repeat lays out every key's array
    rows = np.array(walk.rows, dtype=float).reshape(-1, len(EVENT_KEYS)).T
    state = np.repeat(rows, walk.lengths, axis=1).reshape(len(EVENT_KEYS), n, width)
    out.update(zip(EVENT_KEYS, state, strict=True))
    return out


def _with_first(first: float, weeks: np.ndarray) -> np.ndarray:
    """``weeks`` (paths × steps 1..) with week 0's value ``first`` in front."""
    return np.concatenate((np.full((weeks.shape[0], 1), first, dtype=float), weeks), axis=1)


def _markets(ev: dict[str, np.ndarray], ctx: Context) -> dict[str, np.ndarray]:
    """Trade and soybean markets at every step (step k reads the tariffs set by week k−1)."""
    w, st = ctx.cfg.world, ctx.state
    s, irr, width = w.soybeans, ctx.cfg.irreversibility, ev["us_tau"].shape[1]
    us, cn = dyn.trade_flows(
        ev["us_tau"][:, :-1], ev["cn_tau"][:, :-1], st["cny_usd"], w.trade, w.pboc.cny_anchor
    )
    rate = irr.soy_hysteresis if irr else 0.0
    kept = (1.0 - st["soy_market_lost"]) * np.cumprod(
        1.0 - rate * (ev["soy_tau"][:, :-1] > s.soy_tariff_mfn), axis=1
    )
    market = dyn.soy_market_exports(ev["soy_tau"][:, :-1], 1.0 - kept, s)
    k = np.arange(1, width)
    since = ctx.week + k - ev["cweek"][:, :-1]
    commit = ev["commit"][:, :-1]
    committed = np.where(
        commit > 0, dyn.committed_soy_bn(commit, dyn.purchase_ramp(since, s), s), 0.0
    )
    goodwill = st["goodwill_purchases_bn"] * (1 - s.goodwill_decay) ** k
    imp = ctx.cfg.implementation
    if imp is not None:  # the share delivered, by the world's rule (World.update_trade)
        before = dyn.soybean_price(market + goodwill, s) / s.price_normal
        burden = dyn.tariff_burden(
            ev["us_tau"][:, :-1], w.trade.us_tariff_base, w.trade.tariff_ceiling
        )
        talks = _talks_after(ev["talks_add"][:, :-1], ctx).T if imp.relations_weight else 0.0
        rate = dyn.fulfilment_rate(before, burden, dyn.soy_demand(w), imp, talks)
        committed = committed * rate
    exports = market + committed + goodwill
    return {
        **({"ag_rate": rate} if imp is not None else {}),  # the share delivered, steps 1..
        "us_imports": _with_first(st["us_imports_bn"], us),
        "cn_imports": _with_first(st["cn_imports_bn"], cn),
        "soy_exports": _with_first(st["soybean_exports_bn"], exports),
        "price": _with_first(st["soybean_price"], dyn.soybean_price(exports, s)),
    }


def _uncertainty_growth(ev: dict, mk: dict, ctx: Context) -> dict[str, np.ndarray]:
    """Uncertainty and growth, stepped week by week (each reads last week's uncertainty).

    Weeks × paths inside (a week's paths contiguous, the loop writing into buffers); a step is
    ``dyn.uncertainty_step``, its clip01 as one clip (the same bits, −0 and NaN included).  A
    week without events on any path skips the events' factor (× 1) and the cap at 1 (the step
    is ≤ 1 already), keeping their + 0; + 0 and clip where a bit may change (uncertainty_guards)."""
    w, st = ctx.cfg.world, ctx.state
    t, u = w.trade, w.uncertainty
    n, width = ev["us_tau"].shape
    prev = slice(0, width - 1)
    us_t, cn_t = dyn.growth_targets(
        dyn.tariff_burden(ev["us_tau"][:, prev], t.us_tariff_base, t.tariff_ceiling),
        dyn.tariff_burden(ev["cn_tau"][:, prev], t.cn_tariff_base, t.tariff_ceiling),
        dyn.clip01(1 - mk["us_imports"][:, 1:] / t.us_imports_base_bn),
        dyn.clip01(1 - ev["huawei"][:, prev]),
        0.0,
        w.fed.neutral - st["fed_rate"],
        w.pboc.rrr_start - st["rrr"],
        w.growth,
    )
    target = np.ascontiguousarray(dyn.uncertainty_target(ev["threat"], ev["deal"], u).T)
    mult, add, adj = ev["unc_mult"], ev["unc_add"], u.adjustment
    quiet = np.all(mult == 1.0, axis=0) & np.all((add == 0.0) & ~np.signbit(add), axis=0)
    unc, calm = np.empty((width, n)), quiet.tolist()
    unc[0] = np.minimum(1.0, st["trade_uncertainty"] * mult[:, 0] + add[:, 0])
    signed, inside = dyn.uncertainty_guards(unc[0], target, mult, add, adj)
    for k, (last, step, goal) in enumerate(zip(unc[:-1], unc[1:], target[:-1], strict=True), 1):
        np.add(last, np.multiply(adj, np.subtract(goal, last, step), step), step)
        if not inside:
            _clip(step, 0.0, 1.0, step)
        if not calm[k]:
            np.minimum(1.0, step * mult[:, k] + add[:, k], out=step)
        elif signed:
            np.add(step, 0.0, step)
    # growth: y_k = y_{k−1} + a·(x_k − y_{k−1}) from y_0 = the snapshot's (shocks at zero), as
    # the linear filter y_k = a·x_k + (1 − a)·y_{k−1}; both sides' paths stacked in one
    g = w.growth
    x = np.empty((width - 1, 2 * n))
    np.subtract(us_t.T, g.us_uncertainty_drag * unc[prev], out=x[:, :n])
    np.subtract(cn_t.T, g.cn_uncertainty_drag * unc[prev], out=x[:, n:])
    a = g.adjustment
    starts = (st["us_growth"], st["cn_growth"])
    z0 = np.repeat([(1 - a) * starts[0], (1 - a) * starts[1]], n)
    y = _filter_weeks(a, 1 - a, x, z0)
    out = {"uncertainty": np.ascontiguousarray(unc.T)}
    v = ctx.cfg.valuation
    if v is not None and v.rrr_per_path:  # China's growth re-stepped with each path's cuts
        y[:, n:], out["rrr"] = _stimulus(x[:, n:], ctx)
    us_g, cn_g = _with_first(starts[0], y[:, :n].T), _with_first(starts[1], y[:, n:].T)
    return {**out, "us_growth": us_g, "cn_growth": cn_g}


def _stimulus(x: np.ndarray, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """China's growth (weeks 1.. × paths, from targets ``x`` at the snapshot's RRR) with the
    PBoC's reserve rule on each path, in the model's order within a week: the dated cuts
    announced by the snapshot (before the growth step), then at a meeting a cut where the
    path's growth falls short by ``rrr_trigger_shortfall`` (after it; a meeting in the
    snapshot's week is not projected); and the RRR after each week's events (paths × weeks 0..)."""
    cfg, st = ctx.cfg, ctx.state
    c, g = cfg.world.pboc, cfg.world.growth
    steps, n = x.shape
    dated: dict[int, list[float]] = {}
    for cut in cfg.calendar.rrr_cuts:
        known = cut.announced is None or cfg.week_of(cut.announced) <= max(ctx.week, 1)
        if known and 1 <= cfg.week_of(cut.date) - ctx.week <= steps:
            dated.setdefault(cfg.week_of(cut.date) - ctx.week, []).append(cut.effective_pp)
    meets = {cfg.week_of(d) - ctx.week for d in cfg.calendar.pboc_meetings}
    rrr, y = np.full(n, float(st["rrr"])), np.full(n, float(st["cn_growth"]))
    out, path = np.empty((steps, n)), np.empty((steps + 1, n))
    path[0], a = rrr, g.adjustment
    for k in range(1, steps + 1):
        for pp in dated.get(k, ()):
            rrr = np.maximum(0.0, rrr - pp)
        y = a * (x[k - 1] + g.cn_rrr_effect * (st["rrr"] - rrr)) + (1 - a) * y
        if k in meets:
            short = (g.cn_potential - y) / g.shortfall_scale
            cut = (short >= c.rrr_trigger_shortfall) & (rrr - c.rrr_cut >= c.rrr_floor)
            rrr = np.where(cut, rrr - c.rrr_cut, rrr)
        out[k - 1], path[k] = y, rrr
    return out, np.ascontiguousarray(path.T)


def _talks_after(talks_add: np.ndarray, ctx: Context) -> np.ndarray:
    """The talks signal after each week's events (weeks × rows of ``talks_add``), decayed at
    each week's start: week k+1's trade step reads row k, its farms row k decayed once more."""
    decay = 1 - ctx.cfg.world.farmers.talks_signal_decay
    return _filter_weeks(1.0, decay, talks_add.T, ctx.talks)


def paid_aid(soy_tau: np.ndarray | None, ctx: Context, weeks: int) -> np.ndarray:
    """Soybean farms' aid received by each week 0..``weeks`` ($bn; one row, or one per path
    when aid follows the retaliation standing on the path: ``soy_tau`` paths × weeks)."""
    fp, w = ctx.cfg.farm_politics, weeks + 1
    due = ctx.aid_weeks[: w - 1]  # step k reads the aid of weeks 0..k−1
    ref = None if fp is None else fp.aid_follows_retaliation_pp
    if ref is not None and soy_tau is not None:
        mfn = ctx.cfg.world.soybeans.soy_tariff_mfn
        due = due * dyn.aid_due_share(soy_tau[:, : w - 1], mfn, ref)  # week j's events set row j
    cum = np.cumsum(due, axis=-1)
    return ctx.farm.soy_aid_bn + np.concatenate([np.zeros((*cum.shape[:-1], 1)), cum], axis=-1)


def farm_approval(
    price: np.ndarray,
    talks_add: np.ndarray,
    ctx: Context,
    weeks: int,
    soy_tau: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Acreage-weighted approval and farm income ($bn) per path for weeks 0..``weeks``: the
    groups step like farms, the neighbours' mean replaced by the population mean; aid that
    follows the retaliation reads each path's soybean tariff ``soy_tau``."""
    f, farm, n, w = ctx.cfg.world.farmers, ctx.farm, price.shape[0], weeks + 1
    aid = paid_aid(soy_tau, ctx, weeks)
    ratio = price[:, :w] / ctx.cfg.world.soybeans.price_normal
    groups = np.empty((w, n, len(farm.approval)))  # weeks × paths × groups
    groups[0] = farm.approval
    if w > 1:
        target = _approval_targets(ratio, talks_add, aid, ctx)
        pull, mean = np.empty(groups.shape[1:]), np.empty(n)  # mean: the neighbours', per path
        for a, new, goal in zip(groups[:-1], groups[1:], target, strict=True):  # approval_step
            np.add(a, np.multiply(f.own_adjustment, np.subtract(goal, a, new), new), new)
            np.matmul(a, farm.count_share, mean)
            np.multiply(f.social_adjustment, np.subtract(mean[:, None], a, pull), pull)
            _clip(np.add(new, pull, new), 0.0, 1.0, new)
    approval = np.ascontiguousarray((groups @ farm.acre_share).T)  # the weeks' products at once
    return approval, dyn.farm_income_bn(ratio, aid, f, farm.soy_mean)


def _approval_targets(
    ratio: np.ndarray, talks_add: np.ndarray, aid: np.ndarray, ctx: Context
) -> np.ndarray:
    """The groups' approval targets of steps 1..w−1 (steps × paths × groups, w = the width
    of ``ratio``).  They are elementwise in a path's prices and talks signal, so they are
    computed once per distinct path; the weekly step keeps every path, as the neighbours'
    mean it reads is a matrix product over all of them."""
    f, farm = ctx.cfg.world.farmers, ctx.farm
    w = ratio.shape[1]
    per_path = aid.ndim > 1  # aid that follows each path's retaliation
    rows = (ratio[:, 1:], talks_add[:, : w - 1]) + ((aid[:, 1:],) if per_path else ())
    first, inverse = _unique_rows(*rows)
    ratio_u = np.ascontiguousarray(ratio[first, 1:].T)
    # the talks signal each step reads: last week's, decayed at the start of the step
    talks_u = (1 - f.talks_signal_decay) * _talks_after(talks_add[first, : w - 1], ctx)
    aid_u = aid[first, 1:].T[:, :, None] if per_path else aid[1:, None, None]
    aid_share = dyn.aid_income_share(aid_u, farm.soy_share, f, farm.soy_mean)
    welfare = dyn.farm_welfare(farm.soy_share, ratio_u[:, :, None], aid_share)
    target = dyn.approval_target(farm.leaning, welfare, talks_u[:, :, None], f)
    return target if inverse is None else target[:, inverse]


def simulate(specs: Sequence[PathSpec], ctx: Context, farm_weeks: int) -> dict[str, np.ndarray]:
    """Every path's weekly state (paths × weeks 0..horizon): events, markets, growth, uncertainty,
    and the farm chain up to ``farm_weeks`` (the last election day in the window)."""
    ev = event_arrays(specs, ctx)
    mk = _markets(ev, ctx)
    out = {**ev, **mk, **_uncertainty_growth(ev, mk, ctx)}
    out["approval"], out["farm_income_bn"] = farm_approval(
        mk["price"], ev["talks_add"], ctx, farm_weeks, ev["soy_tau"]
    )
    return out


def consequences(sim: Mapping[str, np.ndarray], cfg: Config) -> dict[str, np.ndarray]:
    """The consequences c_k (``config_valuation.CONSEQUENCES``) per path and week."""
    t, g = cfg.world.trade, cfg.world.growth
    return {
        "importer_cost_bn": (sim["us_tau"] - t.us_tariff_base) / 100 * sim["us_imports"],
        "us_export_loss_bn": t.cn_imports_base_bn - sim["cn_imports"],
        "export_loss_bn": t.us_imports_base_bn - sim["us_imports"],
        "us_growth_gap_pp": g.us_potential - sim["us_growth"],
        "cn_growth_gap_pp": g.cn_potential - sim["cn_growth"],
        "uncertainty": sim["uncertainty"],
        "manipulator_label": sim["manip"],
        "huawei_restriction": 1.0 - sim["huawei"],
    }
