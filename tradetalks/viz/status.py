"""The status view's lines: where the run is, and the scenario and levers in effect."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tradetalks.viz.dates import week_span

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

MESSAGE_LIMIT = 240  # characters of an error message the page shows (the server log has all)
# an absolute file path (POSIX, home or Windows): in quotes (spaces allowed), or else not glued
# to a word as in "CNY/USD" or "2/0.5"; the last group is its last part, the file name
_PATH_START = r"(?:~|[A-Za-z]:)?[\\/]"
_QUOTED_PATH = re.compile(rf"""(['"]){_PATH_START}(?:[^'"]*[\\/])?([^'"\\/]*)\1""")
_BARE_PATH = re.compile(rf"(?<![\w.]){_PATH_START}(?:[^\s'\"\\/]+[\\/])*([^\s'\"\\/]*)")


def plain_error(exc: BaseException) -> str:
    """A short message for the page about ``exc``: no traceback, no server paths.

    Absolute paths become their file names; the message is cut at ``MESSAGE_LIMIT``.
    """
    text = " ".join(str(exc).split())  # one line
    text = _QUOTED_PATH.sub(lambda m: f"{m.group(1)}{m.group(2) or '(path)'}{m.group(1)}", text)
    text = _BARE_PATH.sub(lambda m: m.group(1) or "(path)", text)
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return message


def status_lines(model: TradeTalksModel) -> list[str]:
    """Week, date, phase, deal status and (for a session model) scenario, seed and levers."""
    neg = model.negotiation
    deal = "none" if not neg.deals else ("full" if neg.done else "interim")
    lines = [
        f"Week {model.steps} of {model.horizon} · {week_span(model, model.steps)}",
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
