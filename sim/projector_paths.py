"""The projector's batch of paths: discrete events per path, then the world's equations
(``sim/dynamics.py``) stepped over all paths at once, shocks at zero, farmers as aggregates.

A path is a ``PathSpec``: which announced actions fire, and which deal (if any) takes effect
in which week.  Week k's state is the state after week k's events (aid, then the deal, then
tariff actions: the model's event order); week 0 is the snapshot with this week's events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import Config

EVENT_KEYS = ("us_tau", "cn_tau", "soy_tau", "threat", "deal", "huawei", "manip", "commit", "cweek")


@dataclass(frozen=True)
class PathSpec:
    """One path: the actions that fire (unless a deal cancels them) and the deal, if any."""

    fires: frozenset[int] = frozenset()
    deal_week: int | None = None
    quantities: Mapping[str, float] = field(default_factory=dict)
    any_deal: bool = False  # uncertainty relief, deal in force, the talks signal of a deal


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
    terms = dyn.deal_terms(
        s, spec.quantities, fired, cfg.world.trade, cfg.world.soybeans, persistence
    )
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


def _walk(spec: PathSpec, ctx: Context, out: dict[str, np.ndarray], p: int) -> None:
    """Fill row ``p`` of the event arrays: walk the path's events week by week."""
    cfg, st = ctx.cfg, ctx.state
    s = {k: float(st[k]) for k in ("us_tariff_avg", "cn_tariff_avg", "soy_tariff")}
    s.update({k: float(st[k]) for k in ("us_threat_pp", "cn_threat_pp", "huawei_status")})
    s.update(manipulator=float(st["manipulator"]), deal=float(st["deal_in_force"]))
    s.update(ag_commitment_bn=float(st["ag_commitment_bn"]))
    s.update(ag_commitment_week=float(st["ag_commitment_week"]), ended=frozenset())
    s.update({f"fired_{k}": float(ctx.fired.get(k, 0.0)) for k in ("us", "china", "china_soy")})
    g, u = cfg.world.gestures, cfg.world.uncertainty
    weeks = sorted({a.weeks_ahead for a in ctx.actions} | {spec.deal_week or 0, 0})
    weeks = [w for w in weeks if w <= ctx.horizon]
    for i, k in enumerate(weeks):
        if k == spec.deal_week:
            rolled = _apply_deal(s, spec, ctx, k)
            out["rollback_us"][p], out["rollback_china"][p] = rolled["us"], rolled["china"]
            if spec.any_deal:
                s["deal"] = 1.0
                out["unc_mult"][p, k] *= 1.0 - u.deal_relief
                out["talks_add"][p, k] += g.talks_signal_deal
        for j, a in enumerate(ctx.actions):
            if a.weeks_ahead == k and j in spec.fires and a.side not in s["ended"]:
                _escalate(s, a.side, a.tariff_pp, a.soy_pp, cfg.world.trade.tariff_ceiling)
                out["unc_add"][p, k] += u.escalation_jump
                out["talks_add"][p, k] += g.talks_signal_escalation
        end = weeks[i + 1] if i + 1 < len(weeks) else ctx.horizon + 1
        row = (
            s["us_tariff_avg"], s["cn_tariff_avg"], s["soy_tariff"],
            s["us_threat_pp"] + s["cn_threat_pp"], s["deal"], s["huawei_status"],
            s["manipulator"], s["ag_commitment_bn"], s["ag_commitment_week"],
        )  # fmt: skip
        for key, value in zip(EVENT_KEYS, row, strict=True):
            out[key][p, k:end] = value


def event_arrays(specs: Sequence[PathSpec], ctx: Context) -> dict[str, np.ndarray]:
    """Per path and week, the piecewise-constant state the events set, and event effects."""
    n, width = len(specs), ctx.horizon + 1
    out = {k: np.zeros((n, width)) for k in (*EVENT_KEYS, "unc_add", "talks_add")}
    out["unc_mult"] = np.ones((n, width))
    out["rollback_us"], out["rollback_china"] = np.zeros(n), np.zeros(n)
    out["deal_week"] = np.array([-1 if s.deal_week is None else s.deal_week for s in specs])
    for p, spec in enumerate(specs):
        _walk(spec, ctx, out, p)
    return out


def _markets(ev: dict[str, np.ndarray], ctx: Context) -> dict[str, np.ndarray]:
    """Trade and soybean markets at every step (step k reads the tariffs set by week k−1)."""
    w, st = ctx.cfg.world, ctx.state
    s, irr = w.soybeans, ctx.cfg.irreversibility
    n, width = ev["us_tau"].shape
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
        committed = committed * dyn.fulfilment_rate(before, burden, dyn.soy_demand(w), imp)
    exports = market + committed + goodwill
    out = {"us_imports": us, "cn_imports": cn, "soy_exports": exports}
    out["price"] = dyn.soybean_price(exports, s)
    first = {
        "us_imports": st["us_imports_bn"],
        "cn_imports": st["cn_imports_bn"],
        "soy_exports": st["soybean_exports_bn"],
        "price": st["soybean_price"],
    }
    return {key: np.column_stack([np.full(n, first[key]), v]) for key, v in out.items()}


def _uncertainty_growth(ev: dict, mk: dict, ctx: Context) -> dict[str, np.ndarray]:
    """Uncertainty and growth, stepped week by week (each reads last week's uncertainty)."""
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
    unc_target = dyn.uncertainty_target(ev["threat"][:, prev], ev["deal"][:, prev], u)
    unc = np.empty((n, width))
    unc[:, 0] = np.minimum(
        1.0, st["trade_uncertainty"] * ev["unc_mult"][:, 0] + ev["unc_add"][:, 0]
    )
    for k in range(1, width):
        stepped = dyn.uncertainty_step(unc[:, k - 1], unc_target[:, k - 1], u)
        unc[:, k] = np.minimum(1.0, stepped * ev["unc_mult"][:, k] + ev["unc_add"][:, k])
    g = w.growth
    us_g = _partial_adjustment(st["us_growth"], us_t - g.us_uncertainty_drag * unc[:, prev], g)
    cn_g = _partial_adjustment(st["cn_growth"], cn_t - g.cn_uncertainty_drag * unc[:, prev], g)
    return {"uncertainty": unc, "us_growth": us_g, "cn_growth": cn_g}


def first_order_filter(b: float, c: float, x: np.ndarray, z0: float) -> np.ndarray:
    """y_k = b·x_k + c·y_{k−1} along axis 1, with c·y_{−1} = ``z0``: scipy's ``lfilter([b],
    [1, −c], x, zi=z0)`` step for step, without importing scipy.signal (a third of a second
    of start-up) for two first-order filters."""
    y = np.empty_like(x, dtype=float)
    prev = b * x[:, 0] + z0
    y[:, 0] = prev
    for k in range(1, x.shape[1]):
        prev = b * x[:, k] + c * prev
        y[:, k] = prev
    return y


def _partial_adjustment(start: float, targets: np.ndarray, g) -> np.ndarray:
    """y_k = y_{k−1} + a·(x_k − y_{k−1}) from y_0 = ``start`` (growth, shocks at zero), as a
    linear filter over the weeks of every path at once."""
    a = g.adjustment
    y = first_order_filter(a, 1 - a, targets, (1 - a) * start)
    return np.column_stack([np.full(targets.shape[0], start), y])


def farm_approval(
    price: np.ndarray, talks_add: np.ndarray, ctx: Context, weeks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Acreage-weighted approval and farm income ($bn) per path for weeks 0..``weeks``: the
    groups step like farms, the neighbours' mean replaced by the population mean."""
    f, farm = ctx.cfg.world.farmers, ctx.farm
    n, w = price.shape[0], weeks + 1
    aid = farm.soy_aid_bn + np.concatenate([[0.0], np.cumsum(ctx.aid_weeks)])[:w]
    ratio = price[:, :w] / ctx.cfg.world.soybeans.price_normal
    # the talks signal each step reads: decayed at the start of the step, events added after
    decay = 1 - f.talks_signal_decay
    after = first_order_filter(1.0, decay, talks_add[:, :w], ctx.talks)
    talks = np.column_stack([np.full(n, ctx.talks), decay * after[:, :-1]])
    aid_share = dyn.aid_income_share(aid[None, :, None], farm.soy_share, f, farm.soy_mean)
    welfare = dyn.farm_welfare(farm.soy_share, ratio[:, :, None], aid_share)
    target = dyn.approval_target(farm.leaning, welfare, talks[:, :, None], f)
    a = np.tile(farm.approval, (n, 1))
    approval = np.empty((n, w))
    approval[:, 0] = a @ farm.acre_share
    for k in range(1, w):
        a = dyn.approval_step(a, target[:, k], (a @ farm.count_share)[:, None], f)
        approval[:, k] = a @ farm.acre_share
    return approval, dyn.farm_income_bn(ratio, aid, f, farm.soy_mean)


def simulate(specs: Sequence[PathSpec], ctx: Context, farm_weeks: int) -> dict[str, np.ndarray]:
    """Every path's weekly state (paths × weeks 0..horizon): events, markets, growth, uncertainty,
    and the farm chain up to ``farm_weeks`` (the last election day in the window)."""
    ev = event_arrays(specs, ctx)
    mk = _markets(ev, ctx)
    out = {**ev, **mk, **_uncertainty_growth(ev, mk, ctx)}
    out["approval"], out["farm_income_bn"] = farm_approval(
        mk["price"], ev["talks_add"], ctx, farm_weeks
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
