"""Config schema of the world: trade, soybeans, growth, central banks, farmers, gestures.

Every coefficient is bounded to the range in which it has an economic meaning and the weekly
updates (``sim/world.py``, ``agents/``) stay finite; each bound says why.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from tradetalks.sim.config_base import (
    PERCENT_MAX,
    RRR_MAX,
    WEEKS_PER_YEAR,
    Percent,
    Probability,
    Rate,
    Response,
    SignedResponse,
    Strict,
    Unit,
    Weeks,
    between,
    positive,
)

MAX_FARMERS = 400_000  # about 300,000 US soybean farms (USDA census), with room to spare
MAX_NEIGHBOURS = 50  # small-world degree: beyond this the graph is no longer sparse
# farmers × neighbours: the graph and the per-farm agents take about 1.7 GB at the maximum
# count with the baseline's six neighbours; denser or larger populations are not runnable
MAX_FARMER_LINKS = MAX_FARMERS * 6

# Trade: US goods imports from the world were about $2,400bn in 2017 (US Census); a bilateral
# flow beyond $5,000bn is a typo, one below $1bn leaves the trade war nothing to act on.
TradeFlow = between(1.0, 5000.0)
SectorFlow = between(0.0, 5000.0)  # one sector of a bilateral flow: none at all to all of it
# Import elasticities: estimates run from about 1 to 10 (Fajgelbaum et al. 2020; the soybean
# calibration is 6.3); beyond 20 they have no empirical meaning, and price ratio^(−ε)
# overflows the trade equation
Elasticity = between(0.0, 20.0)
# Soybean exports to China: $12.2bn in 2017 (facts); at least $0.1bn (a share of it is
# divided by it), at most China's imports of all US goods
SoyExports = between(0.1, 200.0)
GoodwillPurchase = between(0.0, 200.0)  # a gesture's purchases: at most all US exports
Price = positive(100.0)  # $/bushel: soybeans have traded between $5 and $18 since 2000 (USDA)
PriceFlex = between(0.0, 5.0)  # price ∝ share^flex (calibrated 0.12): beyond 5 it is a switch
# Growth, % a year: China's fastest year since 1978 was 15%, the US's worst quarter −31%
# annualised (2020 Q2); ±30 bounds both
GROWTH_MAX = 30.0
Growth = between(-GROWTH_MAX, GROWTH_MAX)
Potential = positive(GROWTH_MAX)
GrowthEffect = between(0.0, GROWTH_MAX)  # pp of growth per unit of an index or per pp of rate
GrowthShock = between(0.0, 5.0)  # weekly sd, pp: 5 already gives quarterly swings beyond 2020's
ShortfallScale = between(0.1, GROWTH_MAX)  # pp shortfall that is full pressure (a divisor)
ThreatScale = between(0.1, PERCENT_MAX)  # pp of pending hikes that is a full threat (a divisor)
FedStep = positive(2.0)  # pp a meeting: the largest move since 1990 was 1pp (March 2020)
# CNY/USD: the yuan has traded between 1.5 (1980) and 8.7 (1994) per dollar; [1, 20] catches
# a slipped digit and keeps the tariff-offset and price equations finite
CNY_MIN, CNY_MAX = 1.0, 20.0
Yuan = between(CNY_MIN, CNY_MAX)
YuanShock = between(0.0, 0.5)  # weekly sd: the August 2015 devaluation moved it about 0.2
PledgeMargin = between(0.0, 1.0)  # yuan under the line: more is a revaluation, not a pledge
Rrr = between(0.0, RRR_MAX)
# Farmers: relative size is lognormal (only ratios matter): a log-mean beyond ±10 or a log-sd
# beyond 3 puts the largest of 400,000 farms e^15 times above the median
SizeLogMean = between(-10.0, 10.0)
SizeLogSd = between(0.0, 3.0)
# beta shapes: below 0.1 draws pile up at exactly 0 or 1 (no farm grows soybeans, aid shares
# are 0/0); above 100 the distribution is a point
BetaShape = between(0.1, 100.0)
# log-odds: ±10 is approval of 0.005% or 99.995%
LogOdds = between(-10.0, 10.0)
LogOddsSd = between(0.0, 10.0)
# the revenue aid is divided by: US soybean revenue is about $40bn a year, all US farm cash
# receipts about $400bn (USDA)
FarmRevenue = between(1.0, 1000.0)
# approval responds in log-odds per unit of welfare or talks signal: beyond 50 it is a switch
LogOddsResponse = between(0.0, 50.0)
# the postponement logit: a bias beyond ±50 makes every decision certain; a weight may be
# large (thousands forbid every postponement); the cross-check in config_schema.py keeps the
# logit where exp() is finite
PostponeBias = between(-50.0, 50.0)
POSTPONE_WEIGHT_MAX = 10_000.0
PostponeWeight = between(0.0, POSTPONE_WEIGHT_MAX)


class TradeConfig(Strict):
    """Bilateral trade and tariffs."""

    us_imports_base_bn: TradeFlow
    cn_imports_base_bn: TradeFlow
    us_tariff_start: Percent
    cn_tariff_start: Percent
    us_tariff_base: Percent
    cn_tariff_base: Percent
    tariff_ceiling: positive(PERCENT_MAX)
    us_import_elasticity: Elasticity
    cn_import_elasticity: Elasticity
    fx_passthrough: Unit


class SoybeanConfig(Strict):
    """US soybean exports to China and the soybean price."""

    exports_normal_bn: SoyExports
    soy_tariff_start: Percent
    soy_tariff_mfn: Percent
    elasticity: Elasticity
    price_normal: Price
    price_flex: PriceFlex
    purchase_soy_share: Unit
    purchase_ramp_weeks: Annotated[int, Field(ge=1, le=2 * WEEKS_PER_YEAR)]
    goodwill_purchase_bn: GoodwillPurchase
    goodwill_decay: Unit


class GrowthConfig(Strict):
    """Reduced-form growth of both economies (annualised %)."""

    us_potential: Potential
    cn_potential: Potential
    us_start: Growth
    cn_start: Growth
    adjustment: Unit
    us_tariff_drag: GrowthEffect
    us_uncertainty_drag: GrowthEffect
    us_rate_effect: GrowthEffect
    cn_export_drag: GrowthEffect
    cn_huawei_drag: GrowthEffect
    cn_uncertainty_drag: GrowthEffect
    cn_rrr_effect: GrowthEffect
    shock_sd: GrowthShock
    shortfall_scale: ShortfallScale


class UncertaintyConfig(Strict):
    """Trade-policy uncertainty index in [0, 1] (its weights are parts of that index)."""

    start: Unit
    base: Unit
    threat_weight: Unit
    threat_scale_pp: ThreatScale
    no_deal_weight: Unit
    escalation_jump: Unit
    deal_relief: Unit
    adjustment: Unit


# an intermeeting memory's half-life: beyond a year it no longer reads "since the last meeting"
FedHalfLife = positive(WEEKS_PER_YEAR)


class FedMemory(Strict):
    """The uncertainty the Fed's rule reads at a meeting (issue 12): ``mean``, the mean of the
    weekly U since the last meeting (this week included); ``ewma``, an exponentially weighted
    mean of the weekly U with half-life ``half_life_weeks``, carried across meetings."""

    kind: Literal["mean", "ewma"]
    half_life_weeks: FedHalfLife | None = None  # ewma only

    @model_validator(mode="after")
    def _half_life(self) -> FedMemory:
        if (self.kind == "ewma") != (self.half_life_weeks is not None):
            raise ValueError("half_life_weeks is set for kind = 'ewma' and only for it")
        return self


class FedConfig(Strict):
    """The Federal Reserve's policy-rate rule, applied at scheduled meetings.

    Without ``inertia`` the rate moves one ``step`` toward the rule's target when the gap is
    at least half a step.  With it (issue 12, fitted in ``sim/fed_fit.py``) the rule is
    inertial and rounded: i = the ``step``-wide range (midpoint) containing
    inertia·i_prev + (1 − inertia)·target, within the bounds.  With ``shadow_rate`` i_prev is
    the latent unrounded rate of the last meeting (``shadow_start`` before the first); with
    ``uncertainty_memory`` the target reads U's memory since the last meeting
    (docs/CALIBRATION.md §1)."""

    rate_start: Rate
    neutral: Rate
    growth_response: Response  # pp of rate per pp of growth gap: Taylor's 0.5
    uncertainty_response: Response  # pp of rate per unit of uncertainty
    step: FedStep
    lower_bound: Rate
    upper_bound: Rate
    # ρ of the inertial 25bp rule, the weight on the previous rate (1 never moves, 0 sets the
    # range containing the target; docs/CALIBRATION.md); not set: one step toward the target
    inertia: Unit | None = None
    # the inertia acts on a latent (unrounded) shadow rate carried across meetings, announced
    # rounded to the step; not set: on the announced rate (needs ``inertia``)
    shadow_rate: bool | None = None
    # the U the rule reads: its memory since the last meeting; not set: U at the meeting
    uncertainty_memory: FedMemory | None = None
    # the latent rate at the start (needs ``shadow_rate``): handed over to ``rate_start``'s
    # range if outside it; not set: the start rate (the range's midpoint)
    shadow_start: Rate | None = None

    @model_validator(mode="after")
    def _needs_inertia(self) -> FedConfig:
        if self.inertia is None and (self.shadow_rate or self.uncertainty_memory is not None):
            raise ValueError("shadow_rate and uncertainty_memory need inertia (the 25bp rule)")
        if self.shadow_start is not None and not self.shadow_rate:
            raise ValueError("shadow_start needs shadow_rate")
        return self


class DealExpectationsConfig(Strict):
    """The market's probability of a deal (issue 12): its log-odds step on public news and
    revert each week toward the start; the PBoC then aims at the *expected* US tariff."""

    p_start: Annotated[float, Field(gt=0.0, lt=1.0)]  # the market's deal probability at the start
    reversion: Unit  # weekly share of the log-odds gap to the start closed
    step_deal: LogOdds  # a deal or truce
    step_gesture: LogOdds  # a goodwill gesture or a postponed hike
    step_escalation: LogOdds  # an escalation announced, a hike fired, a retaliation
    step_collapse: LogOdds  # talks broken off


# The defended line's decision is a logit on the tariff makers' scale (China's
# ``makers.china.logit_scale``, utility units): a bias or weight beyond ±10 makes it certain
LineBias = between(-10.0, 10.0)
LineWeight = between(0.0, 10.0)
LineMargin = between(0.0, 0.5)  # yuan under the line the rate is held at: more is a new line
MemoryWeeks = positive(10 * WEEKS_PER_YEAR)  # a memory beyond ten years is "never forgets"
# the label's weekly hazard in log-odds: ±20 is a certain or impossible lift; a weight of 1 a
# week already moves a 1% hazard to 99% in ten weeks
HazardBias = between(-20.0, 20.0)
HazardWeeksWeight = between(0.0, 1.0)
HazardDealWeight = between(0.0, 20.0)


class DefendedLineConfig(Strict):
    """7.0 as a defended line (issue 12): while the line is defended the PBoC caps its target
    and the rate at ``threshold − margin``; each week its aim is above that cap China decides
    to let the rate pass with P = logistic((bias + reaction_weight·e^(−w/τ))/ς), w the weeks
    since the last US tariff action fired, ς China's maker's ``logit_scale``.  Once passed, the
    line is defended again from the week the rate is back under ``threshold``."""

    margin: LineMargin  # yuan under the line where the rate is held
    bias: LineBias  # utility of letting the line pass without a US escalation (< 0: defend)
    reaction_weight: LineWeight  # utility of letting it pass just after a US hike fired
    reaction_tau_weeks: MemoryWeeks  # τ: how fast the pull of a fired US hike fades


class LiftHazardConfig(Strict):
    """The Treasury's weekly hazard of lifting the manipulator label (issue 12), replacing
    ``lift_probability``: h = logistic(bias + weeks_weight·weeks below the threshold +
    deal_weight·the market's deal probability), once ``lift_weeks`` weeks are below."""

    bias: HazardBias  # log-odds of a lift at 0 weeks below and no deal expected
    weeks_weight: HazardWeeksWeight  # log-odds per week below the threshold
    deal_weight: HazardDealWeight  # log-odds per unit of deal probability (0 without expectations)


class PBoCConfig(Strict):
    """The People's Bank of China: managed CNY/USD, threshold, label, reserve ratio."""

    cny_start: Yuan
    cny_anchor: Yuan
    tariff_offset: Unit
    adjustment: Unit
    shock_sd: YuanShock
    threshold: Yuan
    pledge_margin: PledgeMargin
    designation_weeks: Weeks
    lift_weeks: Weeks
    lift_probability: Probability
    manipulator_start: bool
    rrr_start: Rrr
    rrr_cut: Rrr
    rrr_floor: Rrr
    rrr_trigger_shortfall: Unit
    # the market's deal probability moving the target (issue 12); None: the tariff in force
    expectations: DealExpectationsConfig | None = None
    # 7.0 defended unless China lets it pass (issue 12); None: no line, the target uncapped
    line: DefendedLineConfig | None = None
    # the label lifted by a hazard (issue 12); None: ``lift_probability`` a week
    lift_hazard: LiftHazardConfig | None = None


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
    size_log_mean: SizeLogMean
    size_log_sd: SizeLogSd
    soy_share_alpha: BetaShape
    soy_share_beta: BetaShape
    debt_alpha: BetaShape
    debt_beta: BetaShape
    leaning_mean: LogOdds
    leaning_sd: LogOddsSd
    revenue_total_bn: FarmRevenue
    aid_soy_share: Unit
    debt_amplification: Response  # distress = shortfall·(1 + a·debt), clipped to 1
    welfare_response: LogOddsResponse
    talks_response: LogOddsResponse
    talks_signal_decay: Unit
    own_adjustment: Unit
    social_adjustment: Unit


class GesturesConfig(Strict):
    """Postponements of tariff actions as goodwill, and reciprocity."""

    postpone_bias: PostponeBias
    postpone_talks_weight: PostponeWeight
    postpone_pressure_weight: PostponeWeight
    audience_cost_weight: PostponeWeight
    reciprocate_probability: Probability
    # talks-signal steps, in the farmers' log-odds units
    talks_signal_gesture: SignedResponse
    talks_signal_escalation: SignedResponse
    talks_signal_deal: SignedResponse


class PoliticsConfig(Strict):
    """Political incidents (e.g. Hong Kong, the NBA tweet in Oct 2019) that harden one side."""

    incident_probability: Probability
    incident_hardening: Unit  # aspiration added, in utility units (utilities are in [0, 1])


class DollarsConfig(Strict):
    """Coefficients of the dollar outcomes (``sim/dollars.py``): who pays the tariffs, what
    product exclusions take off, how much lost trade goes to third countries, and China's
    soybean market."""

    pass_through: Unit  # share of US tariffs paid by US importers and consumers
    excluded_share: Unit  # share of the Section 301 tariff taken off by product exclusions
    diversion_share: Unit  # share of the fall in US imports from China bought elsewhere
    cn_soy_imports_normal_bn: TradeFlow  # China's soybean imports in a normal year, $bn
    cn_soy_demand: between(0.1, 2.0)  # China's soybean demand relative to normal (ASF)
    brazil_share_of_rest: Unit  # Brazil's share of China's non-US soybean imports
    # US exports to China by sector: normal (2017) level, $bn a year, and the share of it that
    # China's retaliatory tariffs cover; manufactured and other goods are the rest
    energy_normal_bn: SectorFlow
    energy_tariffed_share: Unit
    aircraft_normal_bn: SectorFlow
    aircraft_tariffed_share: Unit
    farm_other_normal_bn: SectorFlow  # farm goods other than soybeans
    farm_other_tariffed_share: Unit
    manufactured_other_tariffed_share: Unit


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
    dollars: DollarsConfig | None = None  # outcomes in dollars (issue 12); None: not reported
