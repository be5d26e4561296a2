"""The mechanisms panel's words: threats and audience costs, what happened after signing, and
the dollars so far, as short escaped HTML tables (no Markdown: its renderer would fetch KaTeX
from a CDN)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tradetalks.viz import mechanisms as mech
from tradetalks.viz.dates import day_text, first_day
from tradetalks.viz.style import SIDE_NAMES

if TYPE_CHECKING:
    from tradetalks.sim.model import TradeTalksModel

FACTS_CSS = """
.tt-facts h5 { font-size: 13px; margin: 10px 0 2px 0; }
.tt-facts h5:first-child { margin-top: 0; }
.tt-facts table { border-collapse: collapse; font-size: 12px; width: 100%; }
.tt-facts td, .tt-facts th { padding: 2px 6px; text-align: left; border-bottom: 1px solid #eee;
  vertical-align: top; }
.tt-facts th { font-weight: 600; color: #444; }
.tt-facts td.tt-num { text-align: right; font-variant-numeric: tabular-nums; }
.tt-facts p { font-size: 12px; color: #444; margin: 2px 0 4px 0; overflow-wrap: anywhere; }
"""
# the summary's dollar outcomes shown, with their labels ($bn over the run so far)
DOLLAR_ROWS = (
    ("total_us_duties_bn", "US duties on Chinese goods"),
    ("total_us_importer_cost_bn", "paid by US importers and consumers"),
    ("total_cn_duties_bn", "China's duties on US goods"),
    ("total_us_imports_diverted_bn", "US imports diverted to other countries"),
    ("total_us_exports_nonsoy_bn", "US exports to China other than soybeans"),
    ("total_us_exports_energy_bn", "of which energy"),
    ("total_us_exports_aircraft_bn", "of which aircraft (untariffed)"),
    ("total_us_exports_farm_other_bn", "of which farm goods other than soybeans"),
    ("total_us_exports_manufactured_other_bn", "of which manufactured and other goods"),
)


def day(model: TradeTalksModel, week: int) -> str:
    """The first day of week ``week``, as people read it."""
    return day_text(first_day(model, week))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    esc = html.escape
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='tt-num'>{esc(c)}</td>" if i in numeric else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, content: str) -> str:
    return f"<h5>{html.escape(title)}</h5>{content}"


def _note(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def threats_html(model: TradeTalksModel) -> str:
    """Pending tariff threats with the audience cost of backing down, and the costs paid, one
    short line each (a narrow panel has no room for a wide table)."""
    pending = mech.threats(model)
    if not model.tariffs.makers:
        text = _note("No tariff makers in this config: scheduled actions follow the old rule.")
    elif not pending:
        text = _note("None pending.")
    else:
        text = ""
        for t in pending:
            public = "public" if t.public else "not yet public"
            cost = "" if t.audience_cost is None else f"; backing down costs {t.audience_cost:.3f}"
            text += _note(
                f"{SIDE_NAMES[t.side]}, due {day(model, t.due_week)}: {t.label} "
                f"({t.size_pp:+.1f} pp, {public}){cost}."
            )
    for p in mech.audience_paid(model):
        text += _note(
            f"Paid: {SIDE_NAMES[p['side']]} backed down on {p['label']} in the week of "
            f"{day(model, p['week'])}, at an audience cost of {p['cost']:.3f}."
        )
    return _section("Tariff threats (costs in utility)", text)


def after_signing_html(model: TradeTalksModel) -> str:
    """Soybean purchases due and delivered, disputes and unravelling."""
    got = mech.fulfilment(model)
    if got is None:
        text = _note("No purchases due yet (they start after a deal that commits to them).")
    else:
        due, delivered, share = got
        text = _note(
            f"Soybean purchases due ${due:.2f}bn, delivered ${delivered:.2f}bn; "
            f"this week {share:.0%} of what is due."
        )
    fights = mech.disputes(model)
    for d in fights["disputes"]:
        remedial = f"; remedial tariff: {d['remedial']}" if d["remedial"] else ""
        text += _note(
            f"Dispute in the week of {day(model, d['week'])}: "
            f"{d['share']:.0%} delivered since the last review{remedial}."
        )
    for week in fights["unravelled_weeks"]:
        text += _note(f"The agreement unravelled in the week of {day(model, week)}.")
    return _section("After signing", text)


def dollars_html(model: TradeTalksModel) -> str:
    """The dollar outcomes so far ($bn over the weeks run)."""
    totals = mech.dollars(model)
    if totals is None:
        text = _note("None yet (from the first week), or no [world.dollars] in the config.")
    else:
        rows = [(label, f"{totals[k]:,.1f}") for k, label in DOLLAR_ROWS if k in totals]
        text = _table(("so far", "$bn"), rows, {1})
    return _section("Dollars", text)


def facts_html(model: TradeTalksModel) -> str:
    """The whole panel."""
    body = threats_html(model) + after_signing_html(model) + dollars_html(model)
    return f'<div class="tt-facts">{body}</div>'
