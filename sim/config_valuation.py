"""Config schema of the v2 valuation: the projector, farm politics, irreversibility, hostage.

All four sections are optional on ``Config``: a config without ``[valuation]`` keeps the
legacy valuation (blended values, reservation = base − Σ c·pressure).  Coefficients are in
natural units (utility per $bn a year, per pp, per approval share); see core-v2 §1 A, D, F, H.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator
from tradetalks.sim.config_base import (
    MAX_EVENTS,
    MAX_NAMED,
    PERCENT_MAX,
    Strict,
    Unit,
    Weeks,
    between,
)

# the projector's horizon: beyond four years the reduced-form world has no meaning
MAX_PROJECTION_WEEKS = 208
# utility per natural unit: |κ| ≤ 1 per $bn a year already makes a $1bn loss worth as much as
# the whole range of an issue's values (which lie in [0, 1])
Kappa = between(-1.0, 1.0)
# lumps are in utility units, the scale of a whole issue's range (values in [0, 1]): 10 is a
# switch
Lump = between(0.0, 10.0)
AID_PACKAGE_BN_MAX = 100.0  # as calendar.farm_aid: beyond the order of US net farm income

# the consequences c_k the flow utility may weigh (core-v2 §1 A), in natural units
CONSEQUENCES: dict[str, str] = {
    "importer_cost_bn": "US tariff above its Jan-2018 base paid by US importers, $bn a year",
    "us_export_loss_bn": "US exports to China lost (China's tariffs), $bn a year",
    "export_loss_bn": "China's exports to the US lost (US tariffs), $bn a year",
    "us_growth_gap_pp": "US growth below potential, pp",
    "cn_growth_gap_pp": "China's growth below potential, pp",
    "uncertainty": "trade-policy uncertainty index, 0 to 1",
    "manipulator_label": "1 while the US labels China a currency manipulator",
    "huawei_restriction": "1 − Huawei's relief status (1 = on the entity list)",
}
Consequence = Literal[tuple(CONSEQUENCES)]
# [lo, hi] ranges a remedial tariff is drawn from (as the makers' escalation ranges)
PpRange = Annotated[list[between(0.0, PERCENT_MAX)], Field(min_length=2, max_length=2)]
WeekRange = Annotated[list[Weeks], Field(min_length=2, max_length=2)]


class SideValuationConfig(Strict):
    """One side's κ: utility per natural unit of each consequence (missing ones weigh 0)."""

    kappa: dict[Consequence, Kappa] = Field(default_factory=dict)


class ValuationConfig(Strict):
    """The projector (core-v2 §1 A, B): horizon, round gap, per-side κ, farm aggregation."""

    horizon_weeks: Annotated[int, Field(ge=1, le=MAX_PROJECTION_WEEKS)] = 104
    round_gap_weeks: Annotated[int, Field(ge=1, le=52)] = 4  # default Δ
    us: SideValuationConfig = Field(default_factory=SideValuationConfig)
    china: SideValuationConfig = Field(default_factory=SideValuationConfig)
    # numerical resolution of the farm aggregate: quantile groups of leaning × soybean share
    farm_groups_leaning: Annotated[int, Field(ge=1, le=64)] = 12
    farm_groups_soy: Annotated[int, Field(ge=1, le=16)] = 3
    # pairs of issues valued jointly: each pair's levels get their own projected paths, so a
    # deal's value carries their interaction (e.g. purchases delivered more while tariffs are
    # kept, [implementation] hostage_weight), which per-issue paths cannot see; [] = additive
    joint_issues: Annotated[
        list[Annotated[list[str], Field(min_length=2, max_length=2)]],
        Field(max_length=MAX_NAMED),
    ] = Field(default_factory=list)
    # the PBoC's reserve-requirement rule applied on each projected path (issue 12): announced
    # dated cuts on their dates, and at each meeting a cut where that path's growth falls
    # short (world.pboc.rrr_*), so paths without a deal get more stimulus; False: the RRR
    # held at the snapshot's value on every path
    rrr_per_path: bool = False
    # deals whose projected deliveries fall below implementation.dispute_below valued with
    # the chance that the US maker's remedial tariff unravels them (issue 12); False: the
    # projector ignores disputes
    anticipate_disputes: bool = False


class ExpectedAid(Strict):
    """A farm-aid package expected but not announced (enters the projection, not the world)."""

    date: dt.date
    amount_bn: between(0.0, AID_PACKAGE_BN_MAX)


class FarmPoliticsConfig(Strict):
    """Farm income → approval → a lump electoral payoff to the US (core-v2 §1 H)."""

    electoral_weight: between(0.0, 100.0) = 0.0  # w_E: utility per unit of approval share
    approval_reference: Unit = 0.5  # Ā
    election_dates: list[dt.date] = Field(default_factory=list, max_length=MAX_EVENTS)
    aid_scale: between(0.0, 10.0) = 1.0  # the "aid ×k" lever: announced AND expected aid
    # the aid ×k in China's model of the US's values; None: the true aid_scale, so China
    # reads the aid from its announcements (core-v2 §2.1's signalling channel); a number
    # holds the aid still to come in that model fixed across aid arms (the criterion of
    # §2.3 a; realised approval, being public, still reflects the aid paid)
    observed_aid_scale: between(0.0, 10.0) | None = None
    expected_aid: list[ExpectedAid] = Field(default_factory=list, max_length=MAX_EVENTS)
    # aid compensates trade damage: a tranche or package due on a date pays its amount times
    # clip((soy tariff − MFN)/R, 0, 1), the share of a retaliation of R pp still standing;
    # None: paid whatever the talks do (so a deal leaves it, and the US's gain, unchanged)
    aid_follows_retaliation_pp: between(1.0, 100.0) | None = None


class ImplementationConfig(Strict):
    """After the signature (issue 12, core-v2 §1 G): China's state buyers deliver a share
    f_t = clip(base + price_weight·(P_Brazil/P_US − 1) + demand_weight·(demand − 1)
    + hostage_weight·retained + relations_weight·talks_signal, 0, cap) of the purchases due
    each week."""

    base: between(0.0, 1.5) = 1.0  # fulfilment with no price gap, normal demand, no tariffs kept
    price_weight: between(0.0, 10.0) = 0.0  # response to Brazil's premium over US soybeans
    brazil_premium: between(-0.5, 1.0) = 0.0  # P_Brazil/P_normal − 1 (exogenous)
    demand_weight: between(0.0, 10.0) = 0.0  # response to China's soybean demand (ASF)
    hostage_weight: between(0.0, 10.0) = 0.0  # response to US tariffs kept (0–1 of the ceiling)
    # response to relations, the public talks signal (an escalation adds −0.5, a gesture +0.3,
    # a deal +1.0, decaying weekly): at the bound 0.5 one escalation cuts a quarter of what is due
    relations_weight: between(0.0, 0.5) = 0.0
    cap: between(0.0, 2.0) = 1.2  # most of what is due that a week delivers
    # monitoring: every review_weeks the share delivered since the last review is checked;
    # below dispute_below the US files a dispute and its tariff maker decides a remedial
    # tariff (makers.us.remedial_weight); if one fires the agreement unravels (None: no
    # monitoring, deals never unravel)
    review_weeks: Weeks = 13  # assumption: quarterly reviews
    dispute_below: Unit | None = None
    remedial_pp: PpRange = Field(default_factory=lambda: [5.0, 10.0])  # assumption: pp range
    remedial_lead_weeks: WeekRange = Field(default_factory=lambda: [2, 6])  # assumption

    @model_validator(mode="after")
    def _ranges_ordered(self) -> ImplementationConfig:
        for name in ("remedial_pp", "remedial_lead_weeks"):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: the lower end {lo} is above the upper end {hi}")
        return self


class IrreversibilityConfig(Strict):
    """Irreversible losses that give deadlines bite (core-v2 §1 D); all zero = none."""

    rollback_cost_per_pp: between(0.0, 1.0) = 0.0  # lump per pp rolled back from in force
    retaliation_persistence: Unit = 0.0  # share of fired retaliation a deal does not undo
    soy_hysteresis: between(0.0, 0.1) = 0.0  # weekly share of the soybean market lost for good
    under_fire_cost: Lump = 0.0  # lump per unit of conceded value right after a hike fired
    under_fire_half_life_weeks: between(0.1, 104.0) = 4.0


class HostageConfig(Strict):
    """Tariffs kept as enforcement: φ̂(x) = φ0 + φ1·retained US pp / max pp (core-v2 §1 F)."""

    phi0: Unit = 1.0
    phi1: Unit = 0.0
    # the US pp above the base (in force and scheduled) at which φ̂ reaches φ0 + φ1, fixed so
    # that scheduling a hike does not rescale the leverage of the pp already in force; None:
    # the pp in force and scheduled at each decision week
    max_pp: between(0.1, 100.0) | None = None
    issues: Annotated[list[str], Field(max_length=MAX_NAMED)] = Field(default_factory=list)


class TypesConfig(Strict):
    """Each side's private acceptance share γ (core-v2 §1 C): drawn once per run from the
    "types" stream around its Rubinstein/BRW share with this spread; 0 = no private type
    (a side accepts by its look-ahead bar alone)."""

    sd: Unit = 0.0
