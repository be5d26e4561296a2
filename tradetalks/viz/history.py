"""Every offer of a run, as people read it: when, who, what, both utilities and the answer.

The offers table lists them newest first; the timeline's tooltips use the same words.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradetalks.sim.protocol import OfferRecord, other
from tradetalks.viz.dates import day_text, first_day
from tradetalks.viz.style import SIDE_NAMES, SIDES

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

HISTORY_CSS = """
.tt-history { max-height: 340px; overflow: auto; border: 1px solid #e5e5e5; }
.tt-history table { border-collapse: collapse; font-size: 12px; width: 100%; }
.tt-history th { position: sticky; top: 0; background: #f5f5f5; z-index: 1; }
.tt-history th, .tt-history td { padding: 3px 6px; text-align: left; vertical-align: top;
  border-bottom: 1px solid #eee; }
.tt-history td.tt-num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.tt-history td.tt-day { white-space: nowrap; }
.tt-history tr.tt-accepted td { background: #eafaf1; }
.tt-history tr.tt-blocked td { background: #fdf2e9; }
"""
COLUMNS = ("week of", "round", "by", "terms", "US utility", "China utility", "answer")


@dataclass(frozen=True)
class OfferRow:
    """One offer in words."""

    day: str
    round: str
    proposer: str
    terms: str
    utility: tuple[str, str]  # US, China: "0.612 (r 0.580)"
    answer: str
    kind: str  # accepted, blocked, rejected or pass


def terms_text(model: TradeTalksModel, outcome: int, sep: str = "; ") -> str:
    """``issue: level`` for every issue the outcome covers (open issues are left out)."""
    return sep.join(f"{issue}: {level}" for issue, level in model.space.terms(outcome).items())


def _blockers(model: TradeTalksModel, index: int) -> list[str]:
    trace = getattr(model, "trace", None)
    return [] if trace is None else trace.blocked_by.get(index, [])


def answer(model: TradeTalksModel, index: int, record: OfferRecord) -> tuple[str, str]:
    """(words, kind) of what became of offer ``index``."""
    responder = SIDE_NAMES[other(record.proposer)]
    if record.accepted:
        settled = " (text settled)" if record.level == "deputy" else ""
        return f"accepted by {responder}{settled}", "accepted"
    if record.blocked_by_ratification:
        bodies = _blockers(model, index)
        who = ", ".join(bodies) if bodies else "a ratifying body"
        return f"{responder} agreed; blocked: {who} would not ratify", "blocked"
    own = record.proposer
    if record.utility[own] < record.reservation[own]:
        return f"a pass (below {SIDE_NAMES[own]}'s own reservation); not taken", "pass"
    return f"rejected by {responder}", "rejected"


def offer_rows(model: TradeTalksModel) -> list[OfferRow]:
    """Every offer so far, oldest first."""
    rows = []
    for i, r in enumerate(model.negotiation.history):
        words, kind = answer(model, i, r)
        utility = tuple(f"{r.utility[s]:.3f} (r {r.reservation[s]:.3f})" for s in SIDES)
        rows.append(
            OfferRow(
                day=day_text(first_day(model, r.week)),
                round=f"{r.level} #{r.round_no}",
                proposer=SIDE_NAMES[r.proposer],
                terms=terms_text(model, r.outcome),
                utility=(utility[0], utility[1]),
                answer=words,
                kind=kind,
            )
        )
    return rows


def history_html(model: TradeTalksModel) -> str:
    """The offers table, newest first, as escaped HTML."""
    esc = html.escape
    rows = offer_rows(model)
    if not rows:
        return '<div class="tt-history-empty">No offer yet.</div>'
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = []
    for row in reversed(rows):
        cells = (
            f"<td class='tt-day'>{esc(row.day)}</td><td class='tt-day'>{esc(row.round)}</td>"
            f"<td>{esc(row.proposer)}</td>"
            f"<td>{esc(row.terms)}</td><td class='tt-num'>{esc(row.utility[0])}</td>"
            f"<td class='tt-num'>{esc(row.utility[1])}</td><td>{esc(row.answer)}</td>"
        )
        body.append(f"<tr class='tt-{row.kind}'>{cells}</tr>")
    return (
        f'<div class="tt-history"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def tooltip_text(model: TradeTalksModel, index: int, record: OfferRecord) -> str:
    """The timeline's tooltip for one offer: plain lines (ECharts escapes it as HTML, and the
    tooltip keeps the line breaks)."""
    words, _ = answer(model, index, record)
    util = " · ".join(
        f"{SIDE_NAMES[s]} {record.utility[s]:.3f} (reservation {record.reservation[s]:.3f})"
        for s in SIDES
    )
    lines = [
        f"Week of {day_text(first_day(model, record.week))}: {record.level} round "
        f"#{record.round_no}, offer by {SIDE_NAMES[record.proposer]}",
        words,
        util,
        terms_text(model, record.outcome, sep="\n"),
    ]
    return "\n".join(lines)
