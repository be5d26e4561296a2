"""Start anywhere in the record, replay it, branch (issue 14, item 2): pure, no Mesa.

``overlay`` builds the config overlay of a record date D: the levels in force on D (average
tariffs, the soybean tariff, the Fed's range, the yuan, the manipulator label, Huawei's
status), the tariff actions announced and still pending on D with their due dates, and the
calendar the record held as scheduled after D (pending aid tranches and RRR cuts; the
statutory election dates).  It reads only what the record knew on D: entries dated on or
before D (``published`` where given).  What the record does not give for D stays as the
base config has it, and the overlay lists it (``Overlay.kept``).  ``sim/replay.py`` forces
the record after D; docs/RECORD.md, "Start anywhere, replay, branch", has the rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tradetalks.sim.config_base import ConfigError
from tradetalks.sim.config_loader import dump_config, validate_raw
from tradetalks.sim.config_schema import Config, end_of
from tradetalks.sim.record import Entry, Record, RecordError, load_record

ANNOUNCING = ("proposed", "announced", "rescheduled")  # tariff stages that set a due date
STATUTORY = ("election",)  # fixed by law in advance: known before their date (2 U.S.C. §7)
HUAWEI_STATUS = {"entity_list": "entity_list", "licence": "licence", "licence_extended": "licence"}
# forced-history kinds of the record kinds replay acts on (the rest are outcomes or targets)
FORCED_KINDS = ("tariff", "postponement", "truce", "round", "average_tariff", "fed", "rrr")
FORCED_KINDS += ("manipulator", "huawei", "farm_aid", "purchase")
# start-state keys the record gives no value for: the base config's stay (Overlay.kept)
KEPT = ["world.pboc.rrr_start", "world.growth.us_start", "world.growth.cn_start"]
KEPT += ["world.uncertainty.start", "readiness.*.start", "farm_politics.expected_aid"]


@dataclass
class Overlay:
    """The config overlay of a record date: dotted keys set, base keys kept, notes."""

    start: dt.date
    info_date: dt.date  # what the calendar may know: the start, or the replay's date
    branch: dt.date  # the last day the forced history covers (the start without a replay)
    values: dict[str, Any]
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- knowledge
def known_on(record: Record, day: dt.date) -> list[tuple[int, Entry]]:
    """(index, entry) of every entry the record knew on ``day``: dated on or before it and,
    where a release date is given, published by then; statutory dates are always known."""
    out = []
    for i, e in enumerate(record.all()):
        published = getattr(e, "published", None)
        if e.kind in STATUTORY or (e.date <= day and (published is None or published <= day)):
            out.append((i, e))
    return out


def _latest(known: list[tuple[int, Entry]], kind: str, **where: Any) -> Any:
    """The latest known entry of ``kind`` whose fields match ``where`` (None: none)."""
    found = [
        e
        for _, e in known
        if e.kind == kind and all(getattr(e, k, None) == v for k, v in where.items())
    ]
    return found[-1] if found else None


def average_pct(entry: Any) -> float:
    """An average tariff's figure (the middle of the range where the facts give one)."""
    lo, hi = entry.bounds
    return (lo + hi) / 2


# --------------------------------------------------------------------------- tariff sizes
def _rate(e: Any) -> float | None:
    """The rate change an action makes, pp on the goods it covers (None: not given)."""
    if e.rate_pct is not None:
        top = e.rate_pct
    elif e.rate_min_pct is not None and e.rate_max_pct is not None:
        top = (e.rate_min_pct + e.rate_max_pct) / 2
    else:
        return None
    return top - (e.rate_from_pct or 0.0)


def action_size(cfg: Config, known: list[tuple[int, Entry]], e: Any) -> tuple[float, float, bool]:
    """(pp of the side's average, soybean pp, assumed) for a tariff action: rate × $bn / the
    side's 2017 imports (``world.trade``), in equal parts over its due dates.  A rate or an
    amount it lacks comes from the latest earlier entry of its side on a list it refines
    ("List 4B" from "List 4"); with neither, the midpoint of ``makers.SIDE.escalation_pp``."""
    rate, amount = _rate(e), e.amount_bn
    if (rate is None or amount is None) and e.lists:
        for _, p in reversed(known):
            if p is e or p.kind != "tariff" or p.side != e.side or p.date > e.date:
                continue
            if p.lists and e.lists.startswith(p.lists):
                rate = _rate(p) if rate is None else rate
                amount = p.amount_bn if amount is None else amount
    trade = cfg.world.trade
    imports = trade.us_imports_base_bn if e.side == "us" else trade.cn_imports_base_bn
    tranches = max(len(e.due), 1)  # an action due in tranches: equal parts (assumption)
    if rate is not None and amount is not None:
        return rate * amount / imports / tranches, 0.0, False
    makers = cfg.makers
    mid = 0.0 if makers is None else sum(makers.side(e.side).escalation_pp) / 2
    return mid, 0.0, True


def _follow(
    known: list[tuple[int, Entry]], side: str, due: dt.date, after: dt.date
) -> dt.date | None:
    """Where the recorded postponements of ``side`` moved an action due on ``due``."""
    for _, p in known:
        if p.kind == "postponement" and p.side == side and p.date >= after and p.from_date == due:
            return None if p.to_date is None else _follow(known, side, p.to_date, p.date)
    return due


def _refined(known: list[tuple[int, Entry]], e: Any) -> bool:
    """True if a later rescheduling of its side splits ``e``'s list (List 4 -> 4A, 4B)."""
    return bool(e.lists) and any(
        r.kind == "tariff"
        and r.stage == "rescheduled"
        and r.side == e.side
        and r.date >= e.date
        and r is not e
        and r.lists != e.lists
        and r.lists.startswith(e.lists)
        for _, r in known
    )


def pending_actions(
    cfg: Config, record: Record, day: dt.date, end: dt.date
) -> tuple[list[dict[str, Any]], list[str]]:
    """The tariff actions the record knew on ``day`` as announced and due after it (up to
    ``end``), as ``calendar.tariff_actions`` items; and notes on sizes assumed."""
    known = known_on(record, day)
    actions, notes = [], []
    for _, e in known:
        if e.kind != "tariff" or e.stage not in ANNOUNCING or _refined(known, e):
            continue
        for due in e.due:
            when = _follow(known, e.side, due, e.date)
            if when is None or not day < when <= end:
                continue
            size, soy, assumed = action_size(cfg, known, e)
            label = f"{e.label} (record {e.date}, due {when})"
            actions.append(
                {
                    "date": when,
                    "side": e.side,
                    "label": label,
                    "tariff_delta_pp": round(size, 4),
                    "soy_tariff_delta_pp": soy,
                    "announced": e.date,
                }
            )
            if assumed:
                notes.append(f"size of {label!r} assumed: the record gives no rate or amount")
    actions.sort(key=lambda a: (a["date"], a["side"]))
    return actions, notes


# --------------------------------------------------------------------------- the overlay
def _state(cfg: Config, known: list[tuple[int, Entry]], ov: Overlay) -> None:
    """The levels in force on the start date, or the base value kept (and listed)."""
    put, keep = ov.values.__setitem__, ov.kept.append
    for side, key in (
        ("us", "world.trade.us_tariff_start"),
        ("china", "world.trade.cn_tariff_start"),
    ):
        avg = _latest(known, "average_tariff", side=side)
        put(key, round(average_pct(avg), 4)) if avg is not None else keep(key)
    soy = [e for _, e in known if e.kind == "tariff" and e.soy_tariff_pct is not None]
    put(
        "world.soybeans.soy_tariff_start",
        soy[-1].soy_tariff_pct if soy else cfg.world.soybeans.soy_tariff_mfn,
    )
    fed = _latest(known, "fed")
    put("world.fed.rate_start", fed.midpoint) if fed is not None else keep("world.fed.rate_start")
    cny = _latest(known, "cny")
    put("world.pboc.cny_start", cny.cny_per_usd) if cny is not None else keep(
        "world.pboc.cny_start"
    )
    label = _latest(known, "manipulator")  # the record holds every designation: none, no label
    put("world.pboc.manipulator_start", False if label is None else label.designated)
    acts = [e for _, e in known if e.kind == "huawei" and e.action in HUAWEI_STATUS]
    levels = cfg.history.huawei if cfg.history is not None else None
    level = "unlisted" if not acts else HUAWEI_STATUS[acts[-1].action]
    put("world.huawei.status_start", getattr(levels, level))
    ov.kept += KEPT


def _aid(
    cfg: Config, known: list[tuple[int, Entry]], after: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """The tranches of the known packages pending from ``after`` to ``end`` (the first tranche
    ``history.first_tranche_share`` of the programme, the rest in equal parts)."""
    share = cfg.history.first_tranche_share if cfg.history is not None else 0.0
    out = []
    for _, e in known:
        if e.kind == "farm_aid" and e.stage == "announced" and e.pending:
            each = (e.mfp_bn or e.amount_bn or 0.0) * (1 - share) / len(e.pending)
            out += [
                {"date": d, "amount_bn": round(each, 4), "announced": e.date}
                for d in e.pending
                if after < d <= end
            ]
    return out


def _cut(day: dt.date, bp: int, coverage: float, announced: dt.date) -> dict[str, Any]:
    return {"date": day, "cut_pp": bp / 100, "coverage": coverage, "announced": announced}


def _rrr(
    cfg: Config, record: Record, day: dt.date, span: tuple[dt.date, dt.date]
) -> list[dict[str, Any]]:
    """RRR cuts known on ``day`` as scheduled within ``span``: announced ones, and pending
    ones (targeted)."""
    cover = cfg.history.targeted_rrr_coverage if cfg.history is not None else 1.0
    (after, end), out = span, []
    for e in record.of_kind("rrr"):  # announced by the day, effective after it
        if e.announced is not None and e.announced <= day and after < e.date <= end and e.cut_bp:
            out.append(_cut(e.date, e.cut_bp, cover if e.targeted else 1.0, e.announced))
    for _, e in known_on(record, day):
        if e.kind == "rrr" and e.pending_cut_bp:
            out += [_cut(d, e.pending_cut_bp, cover, e.date) for d in e.pending if after < d <= end]
    return sorted(out, key=lambda c: c["date"])


def _calendar(cfg: Config, record: Record, ov: Overlay, end: dt.date) -> None:
    """The calendar from the start: the record's pending actions, aid and RRR cuts; the base
    config's rounds, meetings and patience changes public by the information date; all after
    the replay's last week (the forced history covers it)."""
    day, info, cal, after = ov.start, ov.info_date, cfg.calendar, ov.branch
    known = known_on(record, day)
    actions, notes = pending_actions(cfg, record, day, end)
    ov.notes += notes
    base_start = cfg.run.start_date

    def dated(item: Any) -> dict[str, Any]:  # public by the base start, not before it
        return {**item.model_dump(), "announced": item.announced or base_start}

    def public(item: Any, when: dt.date) -> bool:
        announced = getattr(item, "announced", None) or base_start
        return announced <= info and after < when <= end

    ov.values.update(
        {
            "calendar.tariff_actions": actions,
            "calendar.farm_aid": _aid(cfg, known, after, end),
            "calendar.rrr_cuts": _rrr(cfg, record, day, (after, end)),
            "calendar.rounds": [dated(r) for r in cal.rounds if public(r, r.date)],
            "calendar.fed_meetings": [d for d in cal.fed_meetings if after < d <= end],
            "calendar.pboc_meetings": [d for d in cal.pboc_meetings if after < d <= end],
            "calendar.patience_changes": [
                dated(p) for p in cal.patience_changes if public(p, p.date)
            ],
        }
    )
    ov.kept += [f"calendar.{k}" for k in ("rounds", "fed_meetings", "pboc_meetings")]
    if cfg.farm_politics is not None:
        statutory = [e.date for _, e in known if e.kind == "election" and e.date > day]
        ov.values["farm_politics.election_dates"] = sorted(
            {*statutory, *(d for d in cfg.farm_politics.election_dates if d > day)}
        )


def overlay(cfg: Config, record: Record) -> Overlay:
    """The config overlay of ``history.start`` (see the module docstring)."""
    h = cfg.history
    assert h is not None and h.start is not None
    info = h.replay_until or h.start
    weeks = (info - h.start).days // 7 + (1 if h.replay_until else 0)  # the replay's weeks
    branch = h.start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1 if weeks else 0)
    values = {"run.start_date": h.start, "history.applied": h.key()}
    ov = Overlay(start=h.start, info_date=info, branch=branch, values=values)
    _state(cfg, known_on(record, h.start), ov)
    end = end_of(cfg.run.model_copy(update={"start_date": h.start}))
    _calendar(cfg, record, ov, end)
    ov.notes.append("kept from base (no record value on the start date): " + ", ".join(ov.kept))
    return ov


# --------------------------------------------------------------------------- checks, drops
def parse_drop(spec: str) -> tuple[dt.date, str, str | None]:
    """ "YYYY-MM-DD kind" or "YYYY-MM-DD kind side" -> (date, kind, side or None)."""
    parts = spec.split()
    if len(parts) not in (2, 3):
        raise ValueError(f"{spec!r} is not 'YYYY-MM-DD kind' or 'YYYY-MM-DD kind side'")
    try:
        day = dt.date.fromisoformat(parts[0])
    except ValueError:
        raise ValueError(f"{spec!r}: {parts[0]!r} is not a date (YYYY-MM-DD)") from None
    return day, parts[1], parts[2] if len(parts) == 3 else None


def dropped(
    record: Record, specs: list[str], start: dt.date, until: dt.date
) -> tuple[set[int], list[tuple[str, str]]]:
    """Indices of the entries ``history.drop`` names, and a problem for each spec that names
    no entry of the forced history (dated after the start, up to the replay date)."""
    out: set[int] = set()
    problems = []
    for k, spec in enumerate(specs):
        key = f"history.drop[{k}]"
        try:
            day, kind, side = parse_drop(spec)
        except ValueError as exc:
            problems.append((key, str(exc)))
            continue
        hits = [
            i
            for i, e in enumerate(record.all())
            if e.date == day
            and e.kind == kind
            and (side is None or getattr(e, "side", None) == side)
        ]
        if not hits:
            problems.append((key, f"{spec!r} names no entry of the record"))
        elif not start < day <= until or kind not in FORCED_KINDS:
            problems.append(
                (key, f"{spec!r} is not in the forced history ({start} exclusive to {until})")
            )
        out.update(hits)
    return out, problems


def check(cfg: Config, record: Record) -> list[tuple[str, str]]:
    """Problems with ``[history]`` against the record and the run (key, message)."""
    h, w = cfg.history, record.window
    assert h is not None
    if h.start is None:
        return [
            (f"history.{k}", "needs history.start")
            for k in ("replay_until", "drop")
            if getattr(h, k)
        ]
    if not w.start <= h.start <= w.start_week:
        return [
            (
                "history.start",
                f"{h.start} is outside the record's window {w.start} to {w.start_week}",
            )
        ]
    if h.replay_until is None:
        return (
            [("history.drop", "drop removes entries from a replay: set history.replay_until")]
            if h.drop
            else []
        )
    end = end_of(cfg.run.model_copy(update={"start_date": h.start}))
    if h.replay_until < h.start:
        return [("history.replay_until", f"{h.replay_until} is before the start {h.start}")]
    if h.replay_until > w.end:
        return [("history.replay_until", f"{h.replay_until} is after the record's end {w.end}")]
    if h.replay_until > end:
        return [
            ("history.replay_until", f"{h.replay_until} is after the run's end {end} (run.weeks)")
        ]
    return dropped(record, h.drop, h.start, h.replay_until)[1]


def load(cfg: Config) -> Record:
    """The record ``history.record`` names, or ``ConfigError`` naming the key."""
    assert cfg.history is not None
    try:
        return load_record(cfg.history.record)
    except RecordError as exc:
        raise ConfigError([("history.record", exc.render())]) from None


def _set(raw: dict[str, Any], key: str, value: Any) -> None:
    *path, last = key.split(".")
    for part in path:
        raw = raw.setdefault(part, {})
    raw[last] = value


def apply_history(cfg: Config) -> Config:
    """``cfg`` started on ``history.start`` with that date's state (unchanged without one or
    once applied); ``ConfigError`` naming the bad key."""
    h = cfg.history
    if h is None or (h.start is None and not (h.replay_until or h.drop)) or h.applied == h.key():
        return cfg
    if h.applied:  # the calendar was filtered for another start: the base is gone
        raise ConfigError([("history.start", f"already applied ({h.applied}): change the base")])
    record = load(cfg)
    problems = check(cfg, record)
    if problems:
        raise ConfigError(problems)
    raw = dump_config(cfg)
    for key, value in overlay(cfg, record).values.items():
        _set(raw, key, value)
    return validate_raw(raw, "(history overlay)")
