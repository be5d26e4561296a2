"""Chapters: readiness, agenda dates and agreement types, as masks over the outcome space.

Additive utilities make the grand bargain the attractor; partial deals need frictions
(core-v2 §1 F).  Each issue is a chapter with a readiness R_i ∈ [0, 1]: deputy rounds raise
it by α_i (config ``[readiness]``), and principals can sign only outcomes whose covered
issues are all ready (R_i ≥ 1) and on the agenda (``on_agenda_from``).  Under a deadline what
is ready gets signed: a "phase one".  An outcome is a *legislative* agreement for a side when
it covers a level, conceded by that side, that needs its legislature (``needs_legislation``);
otherwise it is *executive*: bodies with ``applies_to = "legislative"`` then do not vote but
weigh on their side through ``congress_pressure``.  Without a ``[readiness]`` section, agenda
dates or legislation flags every chapter is ready, on the agenda and executive: the old model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tradetalks.sim.config import Config
from tradetalks.sim.config_talks import ChapterConfig
from tradetalks.sim.issues import OPEN, OutcomeSpace, read_only
from tradetalks.sim.lazy_space import IssueUnion, LazySpace, is_lazy
from tradetalks.sim.payoffs import Ratifier

SIDES = ("us", "china")
READY = 1.0  # a chapter can be signed once its readiness reaches this
EXECUTIVE, LEGISLATIVE = "executive", "legislative"


class Chapters:
    """Per-issue readiness (mutable, advanced only by the mechanism), agenda dates and the
    agreement type of every outcome (read-only masks)."""

    def __init__(
        self,
        space: OutcomeSpace,
        readiness: Mapping[str, ChapterConfig] | None = None,
        agenda: Mapping[str, dt.date | None] | None = None,
        legislation: Mapping[str, Sequence[bool]] | None = None,
        start_date: dt.date | None = None,
    ) -> None:
        readiness, agenda, legislation = readiness or {}, agenda or {}, legislation or {}
        self.space = space
        self.start_date = start_date
        ready_now = [readiness[n].start if n in readiness else READY for n in space.names]
        self._readiness = np.array(ready_now, dtype=float)
        self._rate = np.array([readiness[n].rate if n in readiness else 0.0 for n in space.names])
        self._agenda = tuple(agenda.get(n) for n in space.names)
        self._legislative = {s: _legislative_mask(space, legislation, s) for s in SIDES}
        self._signable: tuple[bytes, Any] | None = None  # the last mask, by blocked set
        self._pressure: dict[str, tuple[list, np.ndarray]] = {}  # congress_pressure's last, by side

    @classmethod
    def from_config(cls, cfg: Config, space: OutcomeSpace) -> Chapters:
        """The chapters of a config: ``[readiness]``, ``on_agenda_from``, ``needs_legislation``."""
        return cls(
            space,
            readiness=cfg.readiness,
            agenda={n: ic.on_agenda_from for n, ic in cfg.issues.items()},
            legislation={n: ic.needs_legislation for n, ic in cfg.issues.items()},
            start_date=cfg.run.start_date,
        )

    # ------------------------------------------------------------------ read-only state
    @property
    def readiness(self) -> np.ndarray:
        """Readiness R_i of every issue, in space order (a read-only copy)."""
        return read_only(self._readiness)

    def readiness_by_issue(self) -> dict[str, float]:
        """Issue name → readiness (a new dict of floats, for reporters)."""
        return {n: float(r) for n, r in zip(self.space.names, self._readiness, strict=True)}

    def date_of(self, week: int) -> dt.date | None:
        """The first day of run week ``week`` (1-based), or None without a start date."""
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(weeks=week - 1)

    def on_agenda(self, date: dt.date | None) -> np.ndarray:
        """Per issue: on the agenda at ``date`` (every issue when ``date`` is None)."""
        return np.array([d is None or date is None or date >= d for d in self._agenda])

    def ready(self, date: dt.date | None) -> np.ndarray:
        """Per issue: ready to sign and on the agenda at ``date``."""
        return (self._readiness >= READY) & self.on_agenda(date)

    def signable(self, date: dt.date | None) -> np.ndarray:
        """Mask of outcomes whose covered issues are all ready and on the agenda (read-only;
        the same array while the same chapters are blocked)."""
        blocked = ~self.ready(date)
        key = blocked.tobytes()
        if self._signable is None or self._signable[0] != key:
            if is_lazy(self.space):
                self._signable = (key, self.space.open_only(blocked))
            else:
                self._signable = (key, read_only(~self.space.covered[:, blocked].any(axis=1)))
        return self._signable[1]

    def legislative(self, side: str) -> Any:
        """Mask of outcomes that need ``side``'s legislation (read-only; on a space never
        enumerated an ``IssueUnion`` to index)."""
        return self._legislative[side]

    def agreement_type(self, x: int) -> tuple[str, tuple[str, ...]]:
        """The type of outcome ``x`` and the sides whose legislature it needs."""
        sides = tuple(s for s in SIDES if self._legislative[s][x])
        return (LEGISLATIVE if sides else EXECUTIVE), sides

    # ------------------------------------------------------------------ state change
    def advance(self, date: dt.date | None, agreed: Mapping[int, int]) -> None:
        """One deputy round: each negotiable issue on the agenda and not yet agreed gains α_i."""
        work = self.on_agenda(date) & np.array([i.negotiable for i in self.space.issues])
        if agreed:
            work[list(agreed)] = False
        self._readiness = np.minimum(READY, self._readiness + np.where(work, self._rate, 0.0))

    # ------------------------------------------------------------------ ratification
    def winset(
        self,
        side: str,
        ratifiers: Sequence[Ratifier],
        indicators: Mapping[str, float],
        *,
        believed: bool = False,
    ) -> np.ndarray:
        """Outcomes every body of ``side`` ratifies; a body that votes only on legislation
        lets every executive agreement through (read-only)."""
        mask = np.ones(len(self.space), dtype=bool)
        for rat in ratifiers:
            if rat.side != side:
                continue
            votes = rat.winset(indicators, believed=believed)
            if rat.cfg.applies_to == LEGISLATIVE:
                votes = votes | ~self._legislative[side]
            mask &= votes
        return read_only(mask)

    def winset_at(
        self,
        side: str,
        ratifiers: Sequence[Ratifier],
        indicators: Mapping[str, float],
        index: np.ndarray,
        *,
        believed: bool = False,
    ) -> np.ndarray:
        """``winset`` at the outcomes ``index`` only (read-only; what a round's views need)."""
        mask = np.ones(len(index), dtype=bool)
        for rat in ratifiers:
            if rat.side != side:
                continue
            votes = rat.winset_at(indicators, index, believed=believed)
            if rat.cfg.applies_to == LEGISLATIVE:
                votes = votes | ~self._legislative[side][index]
            mask &= votes
        return read_only(mask)


def _legislative_mask(
    space: OutcomeSpace, legislation: Mapping[str, Sequence[bool]], side: str
) -> np.ndarray:
    """Outcomes covering a level, conceded by ``side`` (or by both), that needs legislation."""
    if is_lazy(space):
        return _legislative_tables(space, legislation, side)
    mask = np.zeros(len(space), dtype=bool)
    for j, issue in enumerate(space.issues):
        flags = legislation.get(issue.name)
        if not flags or not any(flags) or issue.concedes not in (side, "both"):
            continue
        table = np.asarray(flags, dtype=bool)
        level = np.where(space.covered[:, j], space.levels[:, j], 0)
        mask |= space.covered[:, j] & table[level]
    return read_only(mask)


def _legislative_tables(
    space: LazySpace, legislation: Mapping[str, Sequence[bool]], side: str
) -> IssueUnion:
    """``_legislative_mask`` on a space never enumerated: per issue, the choices it marks."""
    tables = []
    for issue, choices in zip(space.issues, space._choices, strict=True):
        flags = legislation.get(issue.name)
        table = np.zeros(len(choices), dtype=bool)
        if flags and any(flags) and issue.concedes in (side, "both"):
            level = np.asarray(flags, dtype=bool)
            table = (choices != OPEN) & level[np.maximum(choices, 0)]
        tables.append(read_only(table))
    return IssueUnion(space, tuple(tables))


def congress_pressure(
    space: OutcomeSpace,
    ratifiers: Sequence[Ratifier],
    chapters: Chapters,
    indicators: Mapping[str, float],
    side: str = "us",
) -> Any:
    """Lump off ``side``'s value of signing each outcome: Σ weight · max(0, threshold −
    support) over its bodies that vote only on legislation, on executive agreements only (the
    last array kept on ``chapters`` while the bodies, thresholds and bases are the same; on a
    space never enumerated a ``PressureAt`` to index)."""
    bodies = [
        rat
        for rat in ratifiers
        if rat.side == side and rat.cfg.applies_to == LEGISLATIVE and rat.cfg.pressure_weight
    ]
    key = [space, *((rat, rat.cfg, rat.threshold, rat.base(indicators)) for rat in bodies)]
    hit = chapters._pressure.get(side)
    if hit is not None and _same(hit[0], key):
        return hit[1]
    if is_lazy(space):
        terms = tuple(
            (rat, rat.cfg.pressure_weight, rat.threshold, rat.base(indicators)) for rat in bodies
        )
        chapters._pressure[side] = (key, PressureAt(terms, chapters.legislative(side)))
        return chapters._pressure[side][1]
    out = np.zeros(len(space))
    executive = ~chapters.legislative(side)
    for rat in bodies:
        out += rat.cfg.pressure_weight * rat.deficit(indicators) * executive
    chapters._pressure[side] = (key, read_only(out))
    return chapters._pressure[side][1]


@dataclass(frozen=True, eq=False)
class PressureAt:
    """``congress_pressure`` on a space never enumerated: its value at the outcomes asked,
    by the same arithmetic (the bodies' weights, thresholds and bases as they were)."""

    terms: tuple[tuple[Ratifier, float, float, float], ...]  # body, weight, threshold, base
    legislative: IssueUnion
    # the last outcomes asked and their lumps: a round's values (now, next, as seen) ask alike
    _last: list = field(default_factory=list, compare=False, repr=False)

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        if self._last and self._last[0] is index:
            return self._last[1]
        out = self._lumps(np.asarray(index))
        self._last[:] = [index, out]
        return out

    def _lumps(self, index: np.ndarray) -> np.ndarray:
        out = np.zeros(len(index))
        executive = ~self.legislative[index]
        for rat, weight, threshold, base in self.terms:
            support = base + rat.cfg.sensitivity * rat.delta_at(index)
            out += weight * np.maximum(0.0, threshold - support) * executive
        return read_only(out)

    def any(self) -> bool:
        """True if a body presses (its lump may be 0 at every outcome: subtracting 0 is exact)."""
        return bool(self.terms)


def _same(old: list, new: list) -> bool:
    """The same space, bodies and their configs (by identity), with thresholds and bases equal."""
    if len(old) != len(new) or old[0] is not new[0]:
        return False
    pairs = zip(old[1:], new[1:], strict=True)
    return all(a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:] for a, b in pairs)
