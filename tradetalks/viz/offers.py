"""The terms table: the deal signed so far, else the latest offer, issue by issue."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tradetalks.viz.dates import day_text, first_day
from tradetalks.viz.style import SIDE_NAMES, SIDES

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

TABLE_CSS = """
.tt-table { border-collapse: collapse; font-size: 13px; }
.tt-table th, .tt-table td { border-bottom: 1px solid #ddd; padding: 3px 10px; text-align: left; }
.tt-table td:last-child { font-weight: 600; }
.tt-offer h4 { margin: 8px 0 6px 0; font-size: 14px; }
.tt-offer p { font-size: 12px; color: #555; margin-top: 6px; }
"""
BASE_COLUMNS = ("issue", "concedes", "status quo")


@dataclass(frozen=True)
class TableView:
    """The offer or deal on the table, issue by issue."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str


@dataclass(frozen=True)
class _Issue:
    name: str
    concedes: str
    status_quo: str


def _issue_info(model: TradeTalksModel) -> list[_Issue]:
    """Every issue of the space with who concedes on it and its status-quo level."""
    out = []
    for issue in model.space.issues:
        cfg = model.config.issues[issue.name]
        out.append(_Issue(issue.name, cfg.concedes, cfg.status_quo))
    return out


def _deal_table(model: TradeTalksModel) -> tuple[str, dict[str, str], str]:
    """Title, agreed terms and note for a run with at least one deal."""
    deals = model.negotiation.deals
    last = deals[-1]
    terms: dict[str, str] = {}
    for deal in deals:
        terms.update(deal.terms)
    interim = any(d.interim for d in deals) and not model.negotiation.done
    kind = "Interim deal" if interim else "Deal"
    title = f"{kind} signed in the week of {_day(model, deals[0].week)}"
    if len(deals) > 1:
        title += f" (latest in the week of {_day(model, last.week)})"
    return title, terms, _note(last.utility, last.reservation)


def _offer_table(model: TradeTalksModel) -> tuple[str, dict[str, str], str]:
    """Title, offered terms and note for a run with offers but no deal."""
    offer = model.negotiation.history[-1]
    if offer.accepted:
        outcome = "accepted"
    elif offer.blocked_by_ratification:
        outcome = "blocked by ratification"
    else:
        outcome = "rejected"
    title = (
        f"Latest offer: week of {_day(model, offer.week)}, {offer.level} round, proposed by "
        f"{SIDE_NAMES[offer.proposer]}, {outcome}"
    )
    return title, model.space.terms(offer.outcome), _note(offer.utility, offer.reservation)


def _day(model: TradeTalksModel, week: int) -> str:
    return day_text(first_day(model, week))


def _note(utility: Mapping[str, float], reservation: Mapping[str, float]) -> str:
    """Both sides' utility and reservation value, on one line."""
    return " · ".join(
        f"{SIDE_NAMES[s]} utility {utility[s]:.3f} (reservation {reservation[s]:.3f})"
        for s in SIDES
    )


def offer_table(model: TradeTalksModel) -> TableView:
    """The deal signed so far, else the latest offer; every issue of the space is listed."""
    issues = _issue_info(model)
    if model.negotiation.deals:
        (title, terms, note), last_column = _deal_table(model), "agreed"
    elif model.negotiation.history:
        (title, terms, note), last_column = _offer_table(model), "offered"
    else:
        return TableView(
            "No offer yet",
            BASE_COLUMNS,
            tuple((i.name, i.concedes, i.status_quo) for i in issues),
            "Talks have not started; the first round is on the calendar.",
        )
    rows = tuple((i.name, i.concedes, i.status_quo, terms.get(i.name, "open")) for i in issues)
    return TableView(title, (*BASE_COLUMNS, last_column), rows, note)


def table_html(view: TableView) -> str:
    """The table as escaped HTML (no Markdown: its renderer would fetch KaTeX from a CDN)."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in view.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in view.rows
    )
    return (
        f'<div class="tt-offer"><h4>{esc(view.title)}</h4>'
        f'<table class="tt-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f"<p>{esc(view.note)}</p></div>"
    )
