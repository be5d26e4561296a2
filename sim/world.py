"""Reduced-form economics: tariffs, trade flows, soybeans, growth, uncertainty.

``WorldState`` holds the weekly macro indicators; ``World`` updates them from tariffs,
agreed terms and shocks.  Farmers and central banks are agents (``agents/``) that read and
write this state; all coefficients come from ``WorldConfig`` (see configs/baseline.toml).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np
from tradetalks.sim import dollars
from tradetalks.sim import dynamics as dyn
from tradetalks.sim.config import ModelStateError, WorldConfig
from tradetalks.sim.config_valuation import ImplementationConfig, IrreversibilityConfig
from tradetalks.sim.indicators import PRESSURES

_TARIFF_ACTIONS = "calendar.tariff_actions"
_TRADE = ("world.trade", "world.pboc.cny_start", "world.pboc.cny_anchor", "world.pboc.shock_sd")
# The config keys that drive each indicator of ``WorldState`` (``issues.*.quantities.X``: the
# quantity X of any issue's levels), named when an indicator is not finite after a run.
STATE_SOURCES: dict[str, tuple[str, ...]] = {
    "us_tariff_avg": (
        "world.trade.us_tariff_start",
        _TARIFF_ACTIONS,
        "issues.*.quantities.us_tariff_avg",
    ),
    "cn_tariff_avg": (
        "world.trade.cn_tariff_start",
        _TARIFF_ACTIONS,
        "issues.*.quantities.cn_tariff_avg",
    ),
    "soy_tariff": (
        "world.soybeans.soy_tariff_start",
        _TARIFF_ACTIONS,
        "issues.*.quantities.soy_tariff",
    ),
    "us_threat_pp": (_TARIFF_ACTIONS, "issues.*.quantities.us_threat_pp"),
    "cn_threat_pp": (_TARIFF_ACTIONS, "issues.*.quantities.cn_threat_pp"),
    "us_imports_bn": (*_TRADE, "world.trade.us_import_elasticity"),
    "cn_imports_bn": (*_TRADE, "world.trade.cn_import_elasticity"),
    "soybean_exports_bn": ("world.soybeans", "issues.*.quantities.ag_extra_bn"),
    "soybean_price": ("world.soybeans.price_normal", "world.soybeans.price_flex"),
    "ag_commitment_bn": ("issues.*.quantities.ag_extra_bn",),
    "goodwill_purchases_bn": ("world.soybeans.goodwill_purchase_bn", "world.gestures"),
    "us_growth": ("world.growth", "world.fed"),
    "cn_growth": ("world.growth", "world.pboc.rrr_start", "world.pboc.rrr_cut"),
    "trade_uncertainty": ("world.uncertainty",),
    "fed_rate": ("world.fed", "world.growth"),
    "cny_usd": ("world.pboc",),
    "rrr": (
        "world.pboc.rrr_start",
        "world.pboc.rrr_cut",
        "world.pboc.rrr_floor",
        "calendar.rrr_cuts",
    ),
    "huawei_status": ("world.huawei.status_start", "issues.*.quantities.huawei_status"),
    "currency_pledge": ("issues.*.quantities.currency_pledge",),
    "ip_reform": ("issues.*.quantities.ip_reform",),
    "fentanyl_enforcement": ("issues.*.quantities.fentanyl_enforcement",),
    "farm_income_index": ("world.farmers", "world.soybeans", "calendar.farm_aid"),
    "farm_approval": ("world.farmers", "world.gestures"),
    "farm_distress": ("world.farmers", "world.soybeans"),
    "farm_aid_paid_bn": ("calendar.farm_aid", "world.farmers.aid_soy_share"),
    "farm_aid_budget_paid_bn": ("calendar.farm_aid", "farm_politics.aid_scale"),
    "soy_market_lost": ("irreversibility.soy_hysteresis", "world.soybeans.soy_tariff_mfn"),
    "deal_probability": ("world.pboc.expectations",),
    "ag_due_bn": ("issues.*.quantities.ag_extra_bn", "world.soybeans.purchase_ramp_weeks"),
    "ag_delivered_bn": ("implementation", "issues.*.quantities.ag_extra_bn"),
    "ag_fulfilment": ("implementation", "world.dollars.cn_soy_demand"),
    "us_tariff_effective": ("world.dollars.excluded_share", "world.trade.us_tariff_base"),
    "us_duties_bn": ("world.dollars.excluded_share", *_TRADE),
    "us_section301_duties_bn": ("world.dollars.excluded_share", *_TRADE),
    "us_importer_cost_bn": ("world.dollars.pass_through", "world.dollars.excluded_share"),
    "cn_duties_bn": (*_TRADE, "world.trade.cn_import_elasticity"),
    "us_imports_diverted_bn": ("world.dollars.diversion_share", *_TRADE),
    "brazil_soy_share": ("world.dollars", "world.soybeans"),
    "us_exports_nonsoy_bn": (*_TRADE, "world.soybeans"),
    **{
        f"us_exports_{k}_bn": (*_TRADE, "world.soybeans", "world.dollars")
        for k in ("energy", "aircraft", "farm_other", "manufactured_other")
    },
}


@dataclass
class WorldState:
    """The macro indicators of one week (all public, all recorded)."""

    us_tariff_avg: float
    cn_tariff_avg: float
    soy_tariff: float
    us_threat_pp: float
    cn_threat_pp: float
    us_imports_bn: float
    cn_imports_bn: float
    soybean_exports_bn: float
    soybean_price: float
    ag_commitment_bn: float = 0.0
    ag_commitment_week: int = 0
    goodwill_purchases_bn: float = 0.0
    us_growth: float = 0.0
    cn_growth: float = 0.0
    trade_uncertainty: float = 0.0
    fed_rate: float = 0.0
    cny_usd: float = 0.0
    manipulator: bool = False
    rrr: float = 0.0
    huawei_status: float = 0.0
    currency_pledge: float = 0.0
    ip_reform: float = 0.0
    fentanyl_enforcement: float = 0.0
    farm_income_index: float = 1.0
    farm_approval: float = 0.5
    farm_distress: float = 0.0
    farm_aid_paid_bn: float = 0.0  # to soybean farms: their share of each tranche
    farm_aid_budget_paid_bn: float = 0.0  # whole tranches paid, all farms ($bn)
    soy_market_lost: float = 0.0  # share of the soybean market lost for good (hysteresis)
    deal_probability: float = 0.0  # the market's, moved by news (0 without expectations)
    # purchases under an agreement: soybeans due and delivered so far ($bn), this week's rate
    ag_due_bn: float = 0.0
    ag_delivered_bn: float = 0.0
    ag_fulfilment: float = 0.0
    # outcomes in dollars (sim/dollars.py; 0 without [world.dollars]): annualised $bn, %, shares
    us_tariff_effective: float = 0.0
    us_duties_bn: float = 0.0
    us_section301_duties_bn: float = 0.0
    us_importer_cost_bn: float = 0.0
    cn_duties_bn: float = 0.0
    us_imports_diverted_bn: float = 0.0
    brazil_soy_share: float = 0.0
    us_exports_nonsoy_bn: float = 0.0
    us_exports_energy_bn: float = 0.0  # the same by sector (they add up to it)
    us_exports_aircraft_bn: float = 0.0
    us_exports_farm_other_bn: float = 0.0
    us_exports_manufactured_other_bn: float = 0.0
    escalations: int = 0
    deal_in_force: bool = False
    extra: dict[str, float] = field(default_factory=dict)


class World:
    """Weekly updates of trade, soybeans, growth and uncertainty, and the pressures they imply.

    The equations are those of ``sim/dynamics.py`` (shared with the projector); ``irr`` holds
    the irreversibilities (none when absent).  ``fired`` counts pp fired since the start per
    side (and ``china_soy``); ``last_terms`` is what the latest deal did.
    """

    def __init__(
        self,
        cfg: WorldConfig,
        irr: IrreversibilityConfig | None = None,
        implementation: ImplementationConfig | None = None,
    ) -> None:
        self.cfg = cfg
        self.irr = irr if irr is not None else IrreversibilityConfig()
        self.implementation = implementation  # None: purchases delivered in full
        self.fired: dict[str, float] = {"us": 0.0, "china": 0.0, "china_soy": 0.0}
        self.last_terms: dyn.Terms | None = None
        self.dollars: list[dollars.Dollars] = []  # one per trade update (week 0 first)
        self.purchases: list[tuple[int, float, float]] = []  # (week, $bn due, $bn delivered)
        t, s, g = cfg.trade, cfg.soybeans, cfg.growth
        self.state = WorldState(
            us_tariff_avg=t.us_tariff_start,
            cn_tariff_avg=t.cn_tariff_start,
            soy_tariff=s.soy_tariff_start,
            us_threat_pp=0.0,
            cn_threat_pp=0.0,
            us_imports_bn=0.0,
            cn_imports_bn=0.0,
            soybean_exports_bn=0.0,
            soybean_price=s.price_normal,
            us_growth=g.us_start,
            cn_growth=g.cn_start,
            trade_uncertainty=cfg.uncertainty.start,
            fed_rate=cfg.fed.rate_start,
            cny_usd=cfg.pboc.cny_start,
            manipulator=cfg.pboc.manipulator_start,
            rrr=cfg.pboc.rrr_start,
            huawei_status=cfg.huawei.status_start,
        )
        self.update_trade(week=0)

    # ------------------------------------------------------------------ trade and soybeans
    def update_trade(self, week: int, talks: float = 0.0) -> None:
        """Trade flows and soybean market from current tariffs, exchange rate and purchases;
        ``talks`` is the public talks signal the week starts with (after last week's events,
        before this week's decay), which the delivery rule reads as relations."""
        st, t, s = self.state, self.cfg.trade, self.cfg.soybeans
        us, cn = dyn.trade_flows(
            st.us_tariff_avg, st.cn_tariff_avg, st.cny_usd, t, self.cfg.pboc.cny_anchor
        )
        st.us_imports_bn, st.cn_imports_bn = float(us), float(cn)
        lost = dyn.soy_hysteresis_step(
            st.soy_market_lost, st.soy_tariff, s, self.irr.soy_hysteresis
        )
        st.soy_market_lost = float(lost)
        market = dyn.soy_market_exports(st.soy_tariff, st.soy_market_lost, s)
        ramp = 0.0
        if st.ag_commitment_bn > 0:
            ramp = float(dyn.purchase_ramp(week - st.ag_commitment_week, s))
        due = float(dyn.committed_soy_bn(st.ag_commitment_bn, ramp, s))
        st.goodwill_purchases_bn *= 1 - s.goodwill_decay
        rate = 1.0  # without an implementation stage every purchase due is delivered
        if self.implementation is not None:
            before = dyn.soybean_price(market + st.goodwill_purchases_bn, s) / s.price_normal
            burden = dyn.tariff_burden(st.us_tariff_avg, t.us_tariff_base, t.tariff_ceiling)
            demand = dyn.soy_demand(self.cfg)
            imp = self.implementation
            rate = float(dyn.fulfilment_rate(before, burden, demand, imp, talks))
        committed = due * rate
        if week > 0 and due > 0:  # this week's share of the year's purchases, due and delivered
            st.ag_due_bn += due / dollars.WEEKS_PER_YEAR
            st.ag_delivered_bn += committed / dollars.WEEKS_PER_YEAR
            self.purchases.append(
                (week, due / dollars.WEEKS_PER_YEAR, committed / dollars.WEEKS_PER_YEAR)
            )
        st.ag_fulfilment = rate if due > 0 else 0.0
        st.soybean_exports_bn = float(market + committed + st.goodwill_purchases_bn)
        st.soybean_price = float(dyn.soybean_price(st.soybean_exports_bn, s))
        if self.cfg.dollars is not None:
            money = dollars.week_dollars(vars(st), self.cfg.dollars, t, s, float(market))
            for key, value in asdict(money).items():
                setattr(st, key, float(value))
            self.dollars.append(money)

    # ------------------------------------------------------------------ growth, uncertainty
    def update_growth(self, rng: np.random.Generator) -> None:
        """Growth moves toward a tariff-, uncertainty- and policy-dependent target, with shocks."""
        st, g, fed = self.state, self.cfg.growth, self.cfg.fed
        p = self.pressures()
        us_target, cn_target = dyn.growth_targets(
            p["us_tariff_burden"],
            p["cn_tariff_burden"],
            p["export_loss"],
            p["huawei_pressure"],
            st.trade_uncertainty,
            fed.neutral - st.fed_rate,
            self.cfg.pboc.rrr_start - st.rrr,
            g,
        )
        shocks = rng.normal(0.0, g.shock_sd, size=2)
        st.us_growth += g.adjustment * (us_target - st.us_growth) + shocks[0]
        st.cn_growth += g.adjustment * (cn_target - st.cn_growth) + shocks[1]

    def update_uncertainty(self) -> None:
        """Uncertainty drifts toward a level set by pending threats and the absence of a deal."""
        st, u = self.state, self.cfg.uncertainty
        target = dyn.uncertainty_target(st.us_threat_pp + st.cn_threat_pp, st.deal_in_force, u)
        st.trade_uncertainty = float(dyn.uncertainty_step(st.trade_uncertainty, target, u))

    def escalate(self, side: str, tariff_pp: float, soy_pp: float) -> None:
        """A tariff action fires: tariffs rise, the threat is spent, uncertainty jumps."""
        st = self.state
        ceiling = self.cfg.trade.tariff_ceiling
        before = (st.us_tariff_avg, st.cn_tariff_avg, st.soy_tariff)
        if side == "us":
            st.us_tariff_avg = float(np.clip(st.us_tariff_avg + tariff_pp, 0.0, ceiling))
            st.us_threat_pp = max(0.0, st.us_threat_pp - max(tariff_pp, 0.0))
        else:
            st.cn_tariff_avg = float(np.clip(st.cn_tariff_avg + tariff_pp, 0.0, ceiling))
            st.soy_tariff = float(np.clip(st.soy_tariff + soy_pp, 0.0, ceiling))
            st.cn_threat_pp = max(0.0, st.cn_threat_pp - max(tariff_pp, 0.0))
        self.fired["us"] += st.us_tariff_avg - before[0]
        self.fired["china"] += st.cn_tariff_avg - before[1]
        self.fired["china_soy"] += st.soy_tariff - before[2]
        st.escalations += 1
        st.trade_uncertainty = min(1.0, st.trade_uncertainty + self.cfg.uncertainty.escalation_jump)

    def apply_terms(self, quantities: dict[str, float], week: int) -> set[str]:
        """Put agreed quantities into force; return the sides whose scheduled actions end."""
        st = self.state
        terms = dyn.deal_terms(
            vars(st),
            quantities,
            self.fired,
            self.cfg.trade,
            self.cfg.soybeans,
            self.irr.retaliation_persistence,
        )
        self.last_terms = terms
        for key, value in terms.tariffs.items():
            setattr(st, key, value)
        for side in self.fired:  # what was rolled back no longer counts as fired
            self.fired[side] = max(0.0, self.fired[side] - terms.rolled_back_pp[side])
        if "ag_extra_bn" in quantities:
            st.ag_commitment_bn = quantities["ag_extra_bn"]
            st.ag_commitment_week = week
        for name in ("huawei_status", "currency_pledge", "ip_reform", "fentanyl_enforcement"):
            if name in quantities:
                setattr(st, name, quantities[name])
        if quantities.get("lift_label", 0.0) >= 1.0:
            st.manipulator = False
        ended = set(terms.ended)
        st.deal_in_force = True
        st.trade_uncertainty *= 1 - self.cfg.uncertainty.deal_relief
        return ended

    def end_deal(self) -> None:
        """The agreement unravelled: no deal in force and the purchase commitments lapse
        (tariffs stay where they are: the new status quo)."""
        self.state.deal_in_force = False
        self.state.ag_commitment_bn = 0.0

    # ------------------------------------------------------------------ checks
    def non_finite(self) -> dict[str, float]:
        """Every numeric indicator of the state that is NaN or infinite, by name."""
        out = {}
        for f in fields(self.state):
            value = getattr(self.state, f.name)
            if isinstance(value, float | int | np.number) and not math.isfinite(value):
                out[f.name] = float(value)
        out.update({k: v for k, v in self.state.extra.items() if not math.isfinite(v)})
        return out

    def check_finite(self) -> None:
        """Raise ``ModelStateError`` naming every non-finite indicator and its config keys."""
        bad = self.non_finite()
        if bad:
            raise ModelStateError(
                [
                    (
                        f"indicator {name}",
                        f"is {value} after the run; driven by "
                        + ", ".join(STATE_SOURCES.get(name, ("world",))),
                    )
                    for name, value in bad.items()
                ]
            )

    # ------------------------------------------------------------------ pressures
    def pressures(self) -> dict[str, float]:
        """Every pressure indicator of ``sim.indicators.PRESSURES``, each clipped to [0, 1]."""
        st, t, s, g = self.state, self.cfg.trade, self.cfg.soybeans, self.cfg.growth
        span = t.tariff_ceiling
        raw = {
            "farm_distress": st.farm_distress,
            "soy_loss": 1 - st.soybean_exports_bn / s.exports_normal_bn,
            "us_tariff_burden": (st.us_tariff_avg - t.us_tariff_base) / (span - t.us_tariff_base),
            "cn_tariff_burden": (st.cn_tariff_avg - t.cn_tariff_base) / (span - t.cn_tariff_base),
            "export_loss": 1 - st.us_imports_bn / t.us_imports_base_bn,
            "us_growth_shortfall": (g.us_potential - st.us_growth) / g.shortfall_scale,
            "cn_growth_shortfall": (g.cn_potential - st.cn_growth) / g.shortfall_scale,
            "trade_uncertainty": st.trade_uncertainty,
            "manipulator": float(st.manipulator),
            "huawei_pressure": 1 - st.huawei_status,
        }
        assert raw.keys() == PRESSURES.keys()
        return {k: min(1.0, max(0.0, v)) if math.isfinite(v) else 1.0 for k, v in raw.items()}
