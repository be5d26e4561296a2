"""The world's equations as pure functions of floats or numpy arrays (one set for both users).

``World`` (sim/world.py) calls them on scalars each week; the projector (sim/projector.py)
calls them on arrays of paths.  Coefficients come from the config sections passed in; nothing
here draws random numbers (shocks are added by the caller).  Also here: the deal terms (what a
level does to the tariffs in force and scheduled) and the farm aggregate the projector steps.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim.config_valuation import ImplementationConfig
from tradetalks.sim.config_world import (
    FarmerConfig,
    GrowthConfig,
    SoybeanConfig,
    TradeConfig,
    UncertaintyConfig,
    WorldConfig,
)

Num = float | np.ndarray


def sigmoid(x: Num) -> Num:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def clip01(x: Num, out: np.ndarray | None = None) -> Num:
    """Clip to [0, 1] (pressures and indices); ``out``: an array to write into."""
    return np.minimum(1.0, np.maximum(0.0, x, out=out), out=out)


# ---------------------------------------------------------------------------- trade
def trade_flows(
    us_tariff: Num, cn_tariff: Num, cny: Num, t: TradeConfig, cny_anchor: float
) -> tuple[Num, Num]:
    """US imports from China and China's imports from the US, $bn a year (constant elasticity);
    CNY depreciation lowers the dollar price of Chinese goods, a partial tariff offset."""
    fx = (cny / cny_anchor) ** t.fx_passthrough
    us_price = (1 + us_tariff / 100) / (1 + t.us_tariff_base / 100) / fx
    cn_price = (1 + cn_tariff / 100) / (1 + t.cn_tariff_base / 100) * fx
    return (
        t.us_imports_base_bn * us_price ** (-t.us_import_elasticity),
        t.cn_imports_base_bn * cn_price ** (-t.cn_import_elasticity),
    )


def soy_hysteresis_step(lost: Num, soy_tariff: Num, s: SoybeanConfig, rate: float) -> Num:
    """Share of the soybean market lost for good: grows by ``rate`` a week while the soybean
    tariff is above MFN (Brazil keeps the share it won; core-v2 §1 D item 3)."""
    if rate == 0.0:
        return lost
    return lost + rate * (1.0 - lost) * (soy_tariff > s.soy_tariff_mfn)


def soy_market_exports(soy_tariff: Num, lost: Num, s: SoybeanConfig) -> Num:
    """Market soybean exports to China, $bn a year, before state purchases."""
    soy_rel = (1 + soy_tariff / 100) / (1 + s.soy_tariff_mfn / 100)
    market = s.exports_normal_bn * soy_rel ** (-s.elasticity)
    return market if isinstance(lost, float) and lost == 0.0 else market * (1.0 - lost)


def purchase_ramp(weeks_since: Num, s: SoybeanConfig) -> Num:
    """Share of a purchase commitment delivered so far (a linear ramp)."""
    return np.minimum(1.0, weeks_since / s.purchase_ramp_weeks)


def committed_soy_bn(commitment_bn: Num, ramp: Num, s: SoybeanConfig) -> Num:
    """Soybeans bought under a purchase commitment, $bn a year."""
    return s.purchase_soy_share * commitment_bn * ramp


def soy_demand(world: WorldConfig) -> float:
    """China's soybean demand relative to normal (``world.dollars.cn_soy_demand``; 1 without
    that section)."""
    return 1.0 if world.dollars is None else world.dollars.cn_soy_demand


def fulfilment_rate(
    us_price_ratio: Num,
    us_burden: Num,
    demand: float,
    imp: ImplementationConfig | None,
    talks: Num = 0.0,
) -> Num:
    """Share of the purchases due this week that China's state buyers deliver (core-v2 §1 G):
    they buy more when US soybeans are cheap against Brazil's, less when China's demand is
    down (ASF), more while the US keeps tariffs it could lift later (``us_burden`` in
    [0, 1]), and more while relations are good (``talks``: the public talks signal, raised by
    deals and gestures, lowered by escalations); ``us_price_ratio`` is the US price before
    these purchases over its normal level, Brazil's is normal plus ``brazil_premium``; 1
    without [implementation]."""
    if imp is None:
        return np.ones_like(np.asarray(us_price_ratio, dtype=float))
    gap = imp.price_weight * ((1 + imp.brazil_premium) / us_price_ratio - 1.0)
    rate = imp.base + gap + imp.demand_weight * (demand - 1.0) + imp.hostage_weight * us_burden
    if imp.relations_weight:  # 0: the rule without relations, number for number
        rate = rate + imp.relations_weight * talks
    return np.clip(rate, 0.0, imp.cap)


def soybean_price(exports_bn: Num, s: SoybeanConfig) -> Num:
    """Soybean price, $/bushel: falls with the share of normal exports China still takes."""
    share = np.maximum(exports_bn, 1e-9) / s.exports_normal_bn
    return s.price_normal * np.minimum(share, 1.0) ** s.price_flex


# ---------------------------------------------------------------------------- growth
def tariff_burden(tariff: Num, base: float, ceiling: float) -> Num:
    """A tariff above its 2018 base relative to the ceiling, in [0, 1]."""
    return clip01((tariff - base) / (ceiling - base))


def growth_targets(
    us_burden: Num,
    cn_burden: Num,
    export_loss: Num,
    huawei_pressure: Num,
    uncertainty: Num,
    fed_gap: Num,
    rrr_cut: Num,
    g: GrowthConfig,
) -> tuple[Num, Num]:
    """Growth targets (%): potential less tariff, export, Huawei and uncertainty drags, plus
    the Fed's rate below neutral (``fed_gap``) and the PBoC's RRR cuts (``rrr_cut``)."""
    us = (
        g.us_potential
        - g.us_tariff_drag * (us_burden + cn_burden)
        - g.us_uncertainty_drag * uncertainty
        + g.us_rate_effect * fed_gap
    )
    cn = (
        g.cn_potential
        - g.cn_export_drag * export_loss
        - g.cn_huawei_drag * huawei_pressure
        - g.cn_uncertainty_drag * uncertainty
        + g.cn_rrr_effect * rrr_cut
    )
    return us, cn


def uncertainty_target(threat_pp: Num, deal_in_force: Num, u: UncertaintyConfig) -> Num:
    """Uncertainty's target: base, pending threats and the absence of a deal, capped at 1."""
    threat = np.minimum(1.0, threat_pp / u.threat_scale_pp)
    return np.minimum(
        1.0, u.base + u.threat_weight * threat + u.no_deal_weight * (1 - deal_in_force)
    )


def uncertainty_step(
    level: Num, target: Num, u: UncertaintyConfig, out: np.ndarray | None = None
) -> Num:
    """One week of partial adjustment of uncertainty toward its target, in [0, 1]: level +
    adjustment·(target − level).  ``out``: an array to write into (not ``level``), for the
    projector's weekly loop."""
    moved = np.multiply(u.adjustment, np.subtract(target, level, out=out), out=out)
    return clip01(np.add(level, moved, out=out), out=out)


def uncertainty_guards(
    start: np.ndarray, target: np.ndarray, mult: np.ndarray, add: np.ndarray, adjustment: float
) -> tuple[bool, bool]:
    """What the projector's uncertainty loop may leave out, bit for bit: (``signed``) a sign bit
    in the start, the events' factors or jumps (without one no step is −0, so a calm week's
    + 0 changes nothing); (``inside``) start and targets in [0, 1], the adjustment in [0, 1]
    and finite factors and jumps ≥ 0 (then a step toward the target rounds into [0, 1], as
    does min(1, step·factor + jump), so the clip changes nothing)."""
    signed = bool(np.signbit(start).any() or np.signbit(mult).any() or np.signbit(add).any())
    inside = 0.0 <= adjustment <= 1.0 and all(
        bool(((x >= 0.0) & (x <= top)).all())
        for x, top in ((start, 1.0), (target, 1.0), (mult, np.inf), (add, np.inf))
    )
    return signed, inside and bool(np.isfinite(mult).all() and np.isfinite(add).all())


# ---------------------------------------------------------------------------- farm chain
def farm_welfare(soy_share: Num, price_ratio: Num, aid_share: Num) -> Num:
    """A farm's income including aid, 1 = a normal year (soybeans priced at ``price_ratio``)."""
    return (1.0 - soy_share) + soy_share * price_ratio + aid_share


def aid_income_share(soy_aid_bn: Num, soy_share: Num, f: FarmerConfig, soy_mean: float) -> Num:
    """Aid to soybean farms (paid by soybean acreage) as a share of a farm's normal income:
    it depends on the farm's soybean share only (``soy_mean``: acreage-weighted mean share)."""
    return soy_aid_bn * soy_share / (f.revenue_total_bn * soy_mean)


def aid_due_share(soy_tariff: Num, mfn: float, retaliation_pp: float | None) -> Num:
    """The share of a tranche paid when due: 1 if aid is unconditional (``retaliation_pp``
    None), else the share of a soybean retaliation of ``retaliation_pp`` still standing."""
    if retaliation_pp is None:
        return np.ones_like(soy_tariff, dtype=float)
    return np.clip((np.asarray(soy_tariff, dtype=float) - mfn) / retaliation_pp, 0.0, 1.0)


def soy_value_of_production_bn(price_ratio: Num, f: FarmerConfig, soy_mean: float) -> Num:
    """Soybean value of production of the farms, $bn a year (USDA scale)."""
    return f.revenue_total_bn * soy_mean * price_ratio


def farm_income_bn(price_ratio: Num, soy_aid_bn: Num, f: FarmerConfig, soy_mean: float) -> Num:
    """Soybean farms' income incl. aid, $bn a year: other crops + soybean value + MFP aid."""
    other = f.revenue_total_bn * (1.0 - soy_mean)
    return other + soy_value_of_production_bn(price_ratio, f, soy_mean) + soy_aid_bn


def approval_target(leaning: Num, welfare: Num, talks_signal: Num, f: FarmerConfig) -> Num:
    """A farmer's approval target: logistic in leaning, income (concave above ½) and talks."""
    return sigmoid(leaning + f.welfare_response * (welfare - 1.0) + f.talks_response * talks_signal)


def approval_step(
    approval: Num, target: Num, social: Num, f: FarmerConfig, out: np.ndarray | None = None
) -> Num:
    """One week of approval, approval + own·(target − approval) + social·(neighbours' mean −
    approval) clipped to [0, 1]: own adjustment to the target and pull of the neighbours'
    mean.  ``out``: an array to write into (not ``approval`` nor ``social``), for the
    projector's weekly loop."""
    own, soc = f.own_adjustment, f.social_adjustment
    moved = np.multiply(own, np.subtract(target, approval, out=out), out=out)
    moved = np.add(approval, moved, out=out)
    pull = soc * (social - approval)
    return np.add(moved, pull, out=out).clip(0.0, 1.0, out=out)  # np.clip without its wrapper


def electoral_payoff(approval: Num, weight: float, reference: float) -> Num:
    """The US lump on an election day: E = w_E·(A_farm − Ā) (core-v2 §1 H)."""
    return weight * (approval - reference)


@dataclass(frozen=True)
class FarmAggregate:
    """Farmers as acreage-weighted representative groups (quantiles of leaning × soybean
    share): all a farm's dynamics depend on those two traits, so groups step like farms."""

    count_share: np.ndarray  # share of farms in each group (the neighbours' mean-field)
    acre_share: np.ndarray  # share of acreage in each group (farm-state approval)
    leaning: np.ndarray
    soy_share: np.ndarray
    approval: np.ndarray  # each group's mean approval now
    soy_mean: float  # acreage-weighted mean soybean share
    soy_aid_bn: float  # aid paid to soybean farms so far, $bn
    talks_signal: float = 0.0
    extra: Mapping[str, float] = field(default_factory=dict)

    @property
    def acreage_approval(self) -> float:
        """Acreage-weighted approval (farm-state approval)."""
        return float(self.acre_share @ self.approval)


def aggregate_groups(
    leaning: np.ndarray, soy: np.ndarray, acres: np.ndarray, n_leaning: int, n_soy: int
) -> list[np.ndarray]:
    """Index arrays of the groups: quantile bins of leaning, then of soybean share within."""
    order = np.argsort(leaning, kind="stable")
    groups = []
    for chunk in np.array_split(order, min(n_leaning, len(order))):
        by_soy = chunk[np.argsort(soy[chunk], kind="stable")]
        groups += [g for g in np.array_split(by_soy, min(n_soy, len(chunk))) if len(g)]
    return groups


# ---------------------------------------------------------------------------- deal terms
@dataclass(frozen=True)
class Terms:
    """What a deal's quantities do to the world at signature (core-v2 §1 D, DESIGN §3.1)."""

    tariffs: dict[str, float]  # new us/cn tariff, soy tariff and threats
    ended: frozenset[str]  # sides whose scheduled actions are cancelled
    rolled_back_pp: dict[str, float]  # side → pp taken off the tariff in force
    settings: dict[str, float]  # other quantities put into force as they are


SETTINGS = ("ag_extra_bn", "huawei_status", "currency_pledge", "ip_reform", "fentanyl_enforcement")
LEGACY_KEYS = {"us": "us_tariff_avg", "china": "cn_tariff_avg"}


def _legacy_side(st: Mapping[str, float], q: Mapping[str, float], side: str, out: dict) -> bool:
    """Absolute quantities (older configs): the tariff and threat are set as given."""
    p, key = ("us" if side == "us" else "cn"), LEGACY_KEYS[side]
    if key not in q or q.get(f"{p}_keeps_schedule", 0.0):
        return False
    out[key] = q[key]
    out[f"{p}_threat_pp"] = q.get(f"{p}_threat_pp", 0.0)
    if side == "china" and "soy_tariff" in q:
        out["soy_tariff"] = q["soy_tariff"]
    return True


def _relative_side(
    st: Mapping[str, float], q: Mapping[str, float], side: str, fired: Mapping[str, float],
    base: float, mfn: float, persistence: float, out: dict,
) -> bool:  # fmt: skip
    """Relative quantities: cancel scheduled hikes, roll back fired ones and more."""
    p, key = ("us" if side == "us" else "cn"), LEGACY_KEYS[side]
    ended = q.get(f"{p}_cancel_scheduled", 0.0) >= 0.5
    if ended:
        out[f"{p}_threat_pp"] = q.get(f"{p}_threat_kept", 0.0) * st[f"{p}_threat_pp"]
    keep = 1.0 - (persistence if side == "china" else 0.0)  # retaliation persists in part
    share = q.get(f"{p}_rollback_fired", 0.0) * keep
    cut = share * fired.get(side, 0.0) + q.get(f"{p}_rollback_pp", 0.0)
    out[key] = st[key] - min(max(st[key] - base, 0.0), cut)
    if side == "china":
        soy_cut = share * fired.get("china_soy", 0.0) + q.get("soy_rollback_pp", 0.0)
        out["soy_tariff"] = st["soy_tariff"] - min(max(st["soy_tariff"] - mfn, 0.0), soy_cut)
    return ended


def deal_terms(
    st: Mapping[str, float],
    q: Mapping[str, float],
    fired: Mapping[str, float],
    t: TradeConfig,
    s: SoybeanConfig,
    persistence: float = 0.0,
) -> Terms:
    """The tariffs, ended schedules, rollbacks and settings a deal's quantities put in force;
    ``st``: the world's numeric state; ``fired``: pp fired since the start per side (and
    ``china_soy``); ``persistence``: share of fired retaliation a deal does not undo."""
    out = {k: st[k] for k in ("us_tariff_avg", "cn_tariff_avg", "soy_tariff")}
    out.update(us_threat_pp=st["us_threat_pp"], cn_threat_pp=st["cn_threat_pp"])
    ended = set()
    for side, base in (("us", t.us_tariff_base), ("china", t.cn_tariff_base)):
        if _legacy_side(st, q, side, out) or _relative_side(
            st, q, side, fired, base, s.soy_tariff_mfn, persistence, out
        ):
            ended.add(side)
    rolled = {
        "us": max(0.0, st["us_tariff_avg"] - out["us_tariff_avg"]),
        "china": max(0.0, st["cn_tariff_avg"] - out["cn_tariff_avg"]),
        "china_soy": max(0.0, st["soy_tariff"] - out["soy_tariff"]),
    }
    settings = {k: q[k] for k in (*SETTINGS, "lift_label") if k in q}
    return Terms(out, frozenset(ended), rolled, settings)


TERMS_KEPT = 4096  # TermsMemo: results kept before it starts afresh (speed only)
_TERMS_STATE = ("us_tariff_avg", "cn_tariff_avg", "soy_tariff", "us_threat_pp", "cn_threat_pp")
FIRED_KEYS = ("us", "china", "china_soy")


class TermsMemo:
    """``deal_terms`` kept by the bits of everything it reads: a projector's paths and hostage
    term meet the same tariffs and quantities week after week.  The ``Terms`` returned are
    shared: read them, never change them."""

    def __init__(self) -> None:
        self._kept: dict[tuple, Terms] = {}

    def __call__(
        self, st: Mapping[str, float], q: Mapping[str, float], fired: Mapping[str, float],
        t: TradeConfig, s: SoybeanConfig, persistence: float = 0.0,
    ) -> Terms:  # fmt: skip
        """``deal_terms(st, q, fired, t, s, persistence)``, computed once per distinct input."""
        nums = [st[k] for k in _TERMS_STATE] + [fired.get(k, 0.0) for k in FIRED_KEYS]
        nums += [*q.values(), t.us_tariff_base, t.cn_tariff_base, s.soy_tariff_mfn, persistence]
        key = (tuple(q), struct.pack(f"{len(nums)}d", *nums))  # −0.0 and 0.0 apart
        hit = self._kept.get(key)
        if hit is None:
            if len(self._kept) >= TERMS_KEPT:
                self._kept.clear()
            hit = self._kept[key] = deal_terms(st, q, fired, t, s, persistence)
        return hit


def changes_world(q: Mapping[str, float]) -> bool:
    """True if quantities change anything the world's equations read (not only values)."""
    inert = {"currency_pledge", "ip_reform", "fentanyl_enforcement"}
    return any(k not in inert for k in q)
