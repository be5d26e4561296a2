"""Config schema of the tariff makers: ``[makers.us]`` and ``[makers.china]`` (core-v2 §1 E).

Each government's maker decides, by a reduced-form logit, whether a due action fires or is
postponed and whether to announce a new one (escalate, or retaliate after the opponent's
escalation).  Utility terms (biases, audience costs) are on the valuation's scale (the
projector's V, core-v2 §1 A); sizes are in pp of the side's trade-weighted average tariff.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from tradetalks.sim.config_base import (
    PERCENT_MAX,
    WEEKS_PER_YEAR,
    Probability,
    Strict,
    Unit,
    Weeks,
    between,
    positive,
)

# Utility terms: V is normalised so that r(start) = 0 and the best deal is about 1 (core-v2
# §3.5); a bias or weight beyond ±10 such ranges makes every decision certain: a switch.
UTILITY_MAX = 10.0
Bias = between(-UTILITY_MAX, UTILITY_MAX)
Weight = between(0.0, UTILITY_MAX)
# utility per pp of threat size: 10 per pp already makes a 1pp threat outweigh ten deals
PerPp = between(0.0, UTILITY_MAX)
LogitScale = positive(UTILITY_MAX)  # ς: the logit's noise, on the same scale
DecayWeeks = positive(10 * WEEKS_PER_YEAR)  # a memory beyond ten years is "never forgets"
SizePp = between(0.0, PERCENT_MAX)  # tariffs are percentages (config_base)
MAX_SLOTS = 20  # own actions due in one week, or pending at once: more is a typo
Slots = Annotated[int, Field(ge=1, le=MAX_SLOTS)]
PpRange = Annotated[list[SizePp], Field(min_length=2, max_length=2)]
WeekRange = Annotated[list[Weeks], Field(min_length=2, max_length=2)]


class TargetingConfig(Strict):
    """Which products a new action hits (issue 12): farm goods (soybeans: the action's soybean
    tariff is drawn from its range) or others (no soybean tariff).  P(farm) =
    logistic((farm_bias + election_weight·e^(−weeks to the opponent's next election/τ))/ς)."""

    farm_bias: Bias
    election_weight: Weight
    election_tau_weeks: DecayWeeks


class MakerConfig(Strict):
    """One government's tariff maker: logit coefficients and the sizes of what it announces.

    Due action j: P(fire) = logistic((Q_fire − Q_postpone)/ς) with
    Q_fire − Q_postpone = fire_bias + cost_weight·own_cost − progress_weight_fire·progress
    + reaction_weight·e^(−w_esc/τ_r) − reciprocity_weight·e^(−w_gest/τ_r) + A_j(t),
    A_j(t) = audience_scale·S_j·e^(−age/τ_A).  Weekly: P(announce) = logistic((Q_esc −
    Q_hold)/ς), Q_hold = −noreply_cost·S_opp while an opponent escalation is unanswered.
    """

    logit_scale: LogitScale
    fire_bias: Bias
    escalate_bias: Bias
    cost_weight: Weight
    progress_weight_fire: Weight
    progress_weight_escalate: Weight
    reaction_weight: Weight
    reciprocity_weight: Weight
    reaction_tau_weeks: DecayWeeks
    audience_scale: PerPp
    audience_tau_weeks: DecayWeeks
    noreply_cost: PerPp
    answer_to: Literal["fired", "announced"]
    retaliate_window_weeks: Weeks
    soy_size_weight: Unit
    escalation_pp: PpRange
    escalation_soy_pp: PpRange
    escalation_lead_weeks: WeekRange
    retaliation_pp: PpRange
    retaliation_soy_pp: PpRange
    retaliation_lead_weeks: WeekRange
    postpone_weeks: WeekRange
    indefinite_share: Probability
    max_pending: Slots
    max_due_per_week: Slots
    # utility of a remedial tariff per unit of purchase shortfall at a review with a dispute
    # (implementation.dispute_below); 0: the maker never answers a shortfall (assumption)
    remedial_weight: Weight = 0.0
    # product targets of new actions; None: every action draws its soybean tariff from its
    # range (no choice of target)
    targeting: TargetingConfig | None = None

    @model_validator(mode="after")
    def _ranges_ordered(self) -> MakerConfig:
        for name in (
            "escalation_pp",
            "escalation_soy_pp",
            "escalation_lead_weeks",
            "retaliation_pp",
            "retaliation_soy_pp",
            "retaliation_lead_weeks",
            "postpone_weeks",
        ):
            lo, hi = getattr(self, name)
            if lo > hi:
                raise ValueError(f"{name}: the lower end {lo} exceeds the upper end {hi}")
        return self


class MakersConfig(Strict):
    """Both governments' tariff makers (present: the makers decide; absent: the legacy rule)."""

    us: MakerConfig
    china: MakerConfig

    def side(self, side: str) -> MakerConfig:
        """The maker config of ``side`` ("us" or "china")."""
        return self.us if side == "us" else self.china
