"""The status view's lines: where the run is, and the scenario and levers in effect."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel


def status_lines(model: TradeTalksModel) -> list[str]:
    """Week, date, phase, deal status and (for a session model) scenario, seed and levers."""
    neg = model.negotiation
    deal = "none" if not neg.deals else ("full" if neg.done else "interim")
    lines = [
        f"Week {model.steps} of {model.horizon} · {model.date:%d %b %Y}",
        f"Phase: {neg.phase} · deal: {deal} · offers: {len(neg.history)}",
    ]
    label = getattr(model, "scenario_label", None)
    if label is not None:
        lines.append(f"Scenario: {label} · seed {model.seed}")
    levers = getattr(model, "levers", None)
    if levers is not None:
        lines.append(
            f"Patience US {levers.us_patience:.3f}, China {levers.china_patience:.3f} · farm aid "
            f"${levers.farm_aid_bn:.1f}bn · {levers.farmers:,} farmers · CNY line "
            f"{levers.currency_threshold:.2f} · leads: US {levers.us_strategy}, China "
            f"{levers.china_strategy}"
        )
        changed = model.overridden_names
        lines.append("Changed from the scenario: " + (", ".join(changed) if changed else "nothing"))
    lines.extend(f"Note: {note}" for note in getattr(model, "notes", []))
    return lines
