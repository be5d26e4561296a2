"""Config schema of the world: trade, soybeans, growth, central banks, farmers, gestures."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from tradetalks.sim.config_base import (
    PERCENT_MAX,
    RRR_MAX,
    WEEKS_PER_YEAR,
    Finite,
    NonNeg,
    Percent,
    Pos,
    Probability,
    Rate,
    Strict,
    Unit,
    Weeks,
)

MAX_FARMERS = 400_000  # about 300,000 US soybean farms (USDA census), with room to spare
MAX_NEIGHBOURS = 50  # small-world degree: beyond this the graph is no longer sparse


class TradeConfig(Strict):
    """Bilateral trade and tariffs."""

    us_imports_base_bn: Pos
    cn_imports_base_bn: Pos
    us_tariff_start: Percent
    cn_tariff_start: Percent
    us_tariff_base: Percent
    cn_tariff_base: Percent
    tariff_ceiling: Annotated[float, Field(gt=0, le=PERCENT_MAX, allow_inf_nan=False)]
    us_import_elasticity: NonNeg
    cn_import_elasticity: NonNeg
    fx_passthrough: Unit


class SoybeanConfig(Strict):
    """US soybean exports to China and the soybean price."""

    exports_normal_bn: Pos
    soy_tariff_start: Percent
    soy_tariff_mfn: Percent
    elasticity: NonNeg
    price_normal: Pos
    price_flex: NonNeg
    purchase_soy_share: Unit
    purchase_ramp_weeks: Annotated[int, Field(ge=1, le=2 * WEEKS_PER_YEAR)]
    goodwill_purchase_bn: NonNeg
    goodwill_decay: Unit


class GrowthConfig(Strict):
    """Reduced-form growth of both economies (annualised %)."""

    us_potential: Pos
    cn_potential: Pos
    us_start: Finite
    cn_start: Finite
    adjustment: Unit
    us_tariff_drag: NonNeg
    us_uncertainty_drag: NonNeg
    us_rate_effect: NonNeg
    cn_export_drag: NonNeg
    cn_huawei_drag: NonNeg
    cn_uncertainty_drag: NonNeg
    cn_rrr_effect: NonNeg
    shock_sd: NonNeg
    shortfall_scale: Pos


class UncertaintyConfig(Strict):
    """Trade-policy uncertainty index in [0, 1]."""

    start: Unit
    base: Unit
    threat_weight: NonNeg
    threat_scale_pp: Pos
    no_deal_weight: NonNeg
    escalation_jump: Unit
    deal_relief: Unit
    adjustment: Unit


class FedConfig(Strict):
    """The Federal Reserve's policy-rate rule, applied at scheduled meetings."""

    rate_start: Rate
    neutral: Rate
    growth_response: NonNeg
    uncertainty_response: NonNeg
    step: Pos
    lower_bound: Rate
    upper_bound: Rate


class PBoCConfig(Strict):
    """The People's Bank of China: managed CNY/USD, threshold, label, reserve ratio."""

    cny_start: Pos
    cny_anchor: Pos
    tariff_offset: Unit
    adjustment: Unit
    shock_sd: NonNeg
    threshold: Pos
    pledge_margin: NonNeg
    designation_weeks: Weeks
    lift_weeks: Weeks
    lift_probability: Probability
    manipulator_start: bool
    rrr_start: Annotated[float, Field(ge=0, le=RRR_MAX, allow_inf_nan=False)]
    rrr_cut: NonNeg
    rrr_floor: Annotated[float, Field(ge=0, le=RRR_MAX, allow_inf_nan=False)]
    rrr_trigger_shortfall: Unit


class HuaweiConfig(Strict):
    """Huawei's status under US export controls."""

    status_start: Unit


class NetworkConfig(Strict):
    """The farmers' social graph (Watts–Strogatz small world)."""

    k: Annotated[int, Field(ge=2, le=MAX_NEIGHBOURS)]
    p: Probability


class FarmerConfig(Strict):
    """US soybean farmers: heterogeneity, income, aid and approval dynamics."""

    count: Annotated[int, Field(ge=2, le=MAX_FARMERS)]
    network: NetworkConfig
    size_log_mean: Finite
    size_log_sd: NonNeg
    soy_share_alpha: Pos
    soy_share_beta: Pos
    debt_alpha: Pos
    debt_beta: Pos
    leaning_mean: Finite
    leaning_sd: NonNeg
    revenue_total_bn: Pos
    aid_soy_share: Unit
    debt_amplification: NonNeg
    welfare_response: NonNeg
    talks_response: NonNeg
    talks_signal_decay: Unit
    own_adjustment: Unit
    social_adjustment: Unit


class GesturesConfig(Strict):
    """Postponements of tariff actions as goodwill, and reciprocity."""

    postpone_bias: Finite
    postpone_talks_weight: NonNeg
    postpone_pressure_weight: NonNeg
    audience_cost_weight: NonNeg
    reciprocate_probability: Probability
    talks_signal_gesture: Finite
    talks_signal_escalation: Finite
    talks_signal_deal: Finite


class PoliticsConfig(Strict):
    """Political incidents (e.g. Hong Kong, the NBA tweet in Oct 2019) that harden one side."""

    incident_probability: Probability
    incident_hardening: NonNeg


class WorldConfig(Strict):
    """All coefficients of the domestic and economic dynamics."""

    trade: TradeConfig
    soybeans: SoybeanConfig
    growth: GrowthConfig
    uncertainty: UncertaintyConfig
    fed: FedConfig
    pboc: PBoCConfig
    huawei: HuaweiConfig
    farmers: FarmerConfig
    gestures: GesturesConfig
    politics: PoliticsConfig
