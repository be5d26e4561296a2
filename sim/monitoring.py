"""After the signature: reviews of the purchases, disputes, remedial tariffs, unravelling.

Issue 12, core-v2 §1 G.  With ``implementation.dispute_below`` set, every
``implementation.review_weeks`` after a purchase commitment the share of the purchases due
that China delivered since the last review is checked.  Below the line the US files a dispute
(a public event) and its tariff maker decides, by its own weekly rule plus
``makers.us.remedial_weight``·shortfall, whether to announce a remedial tariff; China's maker
is then free of the deal and answers by its own rule.  If a remedial tariff fires, the
agreement unravels: the commitments lapse, every issue is open again and talks restart from
the tariffs now in force (the status quo of relative levels).
"""

from __future__ import annotations

from typing import Any

from tradetalks.agents.makers import REMEDIAL_DRAWS
from tradetalks.sim.streams import WeeklyDraws

TradeTalksModel = Any  # sim/model.py sits above this module


class Monitor:
    """The reviews of one run: the disputes filed, the remedial tariffs, the unravellings."""

    def __init__(self, model: TradeTalksModel) -> None:
        self.model = model
        imp = model.config.implementation
        self.cfg = imp if imp is not None and imp.dispute_below is not None else None
        self.draws = (
            WeeklyDraws(model.streams.get("monitoring"), REMEDIAL_DRAWS) if self.cfg else None
        )
        self.disputes: list[dict[str, Any]] = []
        self.remedial: dict[str, int] = {}  # label of each remedial tariff → week announced
        self.unravelled: list[int] = []
        # (week of the last review or of the commitment, cumulative due, cumulative delivered)
        self._last: tuple[int, float, float] | None = None

    def weekly(self, week: int) -> None:
        """Review the purchases when one is due (no-op without monitoring or a commitment)."""
        if self.cfg is None:
            return
        st = self.model.world.state
        if st.ag_commitment_bn <= 0 or not st.deal_in_force:
            self._last = None
            return
        if self._last is None or self._last[0] < st.ag_commitment_week:
            self._last = (max(week, st.ag_commitment_week), st.ag_due_bn, st.ag_delivered_bn)
            return
        start, due0, delivered0 = self._last
        if week - start < self.cfg.review_weeks:
            return
        due, delivered = st.ag_due_bn - due0, st.ag_delivered_bn - delivered0
        self._last = (week, st.ag_due_bn, st.ag_delivered_bn)
        if due <= 0:
            return
        share = delivered / due
        if share >= self.cfg.dispute_below:
            return
        self._dispute(week, share)

    def _dispute(self, week: int, share: float) -> None:
        """File a dispute and let the US maker decide on a remedial tariff."""
        m, cfg = self.model, self.cfg
        shortfall = (cfg.dispute_below - share) / cfg.dispute_below
        record: dict[str, Any] = {"week": week, "share": round(share, 6), "remedial": None}
        self.disputes.append(record)
        m.negotiation.record_event("dispute", "us", week)
        u = self.draws.take(week)  # drawn at every dispute, used or not
        desk = m.tariffs
        maker = desk.makers.get("us")
        if maker is None:
            return
        decision = maker.decide_remedial(
            week,
            desk.week_inputs("us"),
            shortfall,
            (cfg.remedial_pp, cfg.remedial_lead_weeks),
            u,
        )
        if decision is None:
            return
        record["remedial"] = decision.label
        self.remedial[decision.label] = week
        desk.announce("us", decision, week)
        if "china" in desk.makers:  # the truce is broken: China may answer by its own rule
            desk.makers["china"].unbind()

    def fired(self, label: str, week: int) -> None:
        """An action fired: a remedial tariff firing on a deal in force unravels it."""
        if label in self.remedial and self.model.world.state.deal_in_force:
            self.unravel(week)

    def unravel(self, week: int) -> None:
        """The agreement is void: commitments lapse, talks restart from the status quo."""
        m = self.model
        m.world.end_deal()
        m.negotiation.reopen(week)
        for maker in m.tariffs.makers.values():
            maker.unbind()
        self.unravelled.append(week)
        self._last = None

    def summary(self) -> dict[str, Any]:
        """The summary's block: disputes (week, share delivered, remedial label or None) and
        the weeks an agreement unravelled."""
        return {"disputes": list(self.disputes), "unravelled_weeks": list(self.unravelled)}
