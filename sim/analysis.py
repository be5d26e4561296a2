"""Bargaining analysis of the outcome space: Pareto frontier, Nash, Kalai–Smorodinsky, welfare.

Everything works on whole utility vectors (one entry per outcome of the space) with numpy,
relative to the reservation values ``r = (r_us, r_china)`` of the moment, over a mask of
feasible outcomes (typically: still on the table and inside both sides' win-sets):

- the **Pareto frontier**: feasible outcomes no other feasible outcome weakly improves for
  both sides and strictly for one;
- the **Nash bargaining point** (Nash 1950): the individually rational outcome maximising
  ``(u_us − r_us)(u_china − r_china)``;
- the **Kalai–Smorodinsky point** (Kalai & Smorodinsky 1975): the individually rational
  outcome maximising the smaller of the two normalised gains ``(u_i − r_i)/(ideal_i − r_i)``,
  where ``ideal_i`` is side i's best individually rational utility (the discrete analogue of
  the intersection of the frontier with the disagreement–ideal line);
- the **maximum-welfare point**: the individually rational outcome maximising
  ``u_us + u_china``.

Ties between outcomes are broken deterministically (documented per function) so that the
chosen utilities do not depend on the order of the outcomes in the space; an exact tie
between mirror-image points goes to side 1 (the US) — a convention, stated here.
Utilities are compared after rounding to ``UTILITY_DECIMALS`` so that two outcomes whose
utilities differ only by floating-point noise count as equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.sim.issues import OutcomeSpace

UTILITY_DECIMALS = 12  # utilities closer than 1e-12 are equal (floating-point noise of sums)
SIDE_ORDER = ("us", "china")


def tidy(u: np.ndarray) -> np.ndarray:
    """Utilities rounded to ``UTILITY_DECIMALS`` (so float noise cannot break a tie)."""
    return np.round(np.asarray(u, dtype=float), UTILITY_DECIMALS)


def _mask(n: int, mask: np.ndarray | None) -> np.ndarray:
    return np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def pareto_mask(u1: np.ndarray, u2: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Mask of the Pareto-optimal outcomes among ``mask`` for two utility vectors.

    An outcome is on the frontier when no masked outcome is at least as good for both sides
    and strictly better for one.  Outcomes with identical utility pairs are all kept.
    Runs in O(n log n): sort by u1 descending, then keep each point whose u2 beats every u2
    of strictly larger u1 and is the best u2 among equal u1.
    """
    a_all, b_all = tidy(u1), tidy(u2)
    m = _mask(len(a_all), mask)
    out = np.zeros(len(a_all), dtype=bool)
    idx = np.flatnonzero(m)
    if len(idx) == 0:
        return out
    a, b = a_all[idx], b_all[idx]
    order = np.lexsort((-b, -a))  # primary: u1 descending; secondary: u2 descending
    a_s, b_s = a[order], b[order]
    first = np.r_[True, a_s[1:] != a_s[:-1]]  # first (best-u2) point of each equal-u1 group
    group = np.cumsum(first) - 1
    group_best = b_s[first]
    better_a_best = np.r_[-np.inf, np.maximum.accumulate(group_best)[:-1]]
    keep = (b_s == group_best[group]) & (b_s > better_a_best[group])
    out[idx[order[keep]]] = True
    return out


def pareto_frontier(u1: np.ndarray, u2: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the Pareto-optimal outcomes, ordered by u1 descending (then index)."""
    idx = np.flatnonzero(pareto_mask(u1, u2, mask))
    order = np.lexsort((idx, -tidy(u1)[idx]))
    return idx[order]


def rational_mask(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None = None
) -> np.ndarray:
    """Feasible outcomes worth at least each side's reservation value (individually rational)."""
    a, b = tidy(u1), tidy(u2)
    r1, r2 = (float(np.round(x, UTILITY_DECIMALS)) for x in r)
    return _mask(len(a), mask) & (a >= r1) & (b >= r2)


def _argbest(keys: list[np.ndarray], candidates: np.ndarray) -> int | None:
    """Index among ``candidates`` maximising keys lexicographically (first key first); ties
    left after all keys go to the smallest index."""
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return None
    cols = [tidy(k[idx]) for k in keys]
    # lexsort sorts ascending by the last key first: negate to maximise, index last-resort
    order = np.lexsort((idx, *[-c for c in reversed(cols)]))
    return int(idx[order[0]])


def nash_point(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None = None
) -> int | None:
    """Index of the Nash bargaining point relative to ``r`` (None if no outcome is rational).

    Maximises the Nash product over the Pareto-optimal outcomes; ties go to the larger sum
    of normalised gains (a tie-break that, like the product, does not change when either
    side's utility is rescaled), then side 1's gain (so that the chosen utilities never
    depend on the order of the outcomes), then the smaller index.
    """
    ideal = ideal_point(u1, u2, r, mask)
    if ideal is None:
        return None
    n1, n2 = normalised_gains(u1, u2, r, ideal)
    return _argbest([(u1 - r[0]) * (u2 - r[1]), n1 + n2, n1], _optimal(u1, u2, r, mask))


def ideal_point(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None = None
) -> tuple[float, float] | None:
    """Each side's best individually rational utility (None if nothing is rational)."""
    ir = rational_mask(u1, u2, r, mask)
    if not ir.any():
        return None
    return float(u1[ir].max()), float(u2[ir].max())


def normalised_gains(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], ideal: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Gains over reservation as a share of the ideal gain (a side with no possible gain
    counts as fully served: its share is 1)."""
    out = []
    for u, ri, ii in ((u1, r[0], ideal[0]), (u2, r[1], ideal[1])):
        span = ii - ri
        out.append((u - ri) / span if span > 0 else np.ones_like(u, dtype=float))
    return out[0], out[1]


def kalai_point(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None = None
) -> int | None:
    """Index of the Kalai–Smorodinsky point relative to ``r`` (None if nothing is rational).

    Maximises the smaller normalised gain; ties go to the larger sum of normalised gains
    (which makes the point Pareto-optimal), then side 1's gain, then the smaller index.
    """
    ideal = ideal_point(u1, u2, r, mask)
    if ideal is None:
        return None
    n1, n2 = normalised_gains(u1, u2, r, ideal)
    return _argbest([np.minimum(n1, n2), n1 + n2, n1], _optimal(u1, u2, r, mask))


def welfare_point(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None = None
) -> int | None:
    """Index of the maximum-welfare (utilitarian) point among rational outcomes.

    Maximises u1 + u2; ties go to the larger smaller gain over reservation, then side 1's
    utility, then the smaller index.
    """
    keys = [u1 + u2, np.minimum(u1 - r[0], u2 - r[1]), u1]
    return _argbest(keys, _optimal(u1, u2, r, mask))


def _optimal(
    u1: np.ndarray, u2: np.ndarray, r: Sequence[float], mask: np.ndarray | None
) -> np.ndarray:
    """The rational outcomes on the Pareto frontier (at 12 decimals), where a bargaining
    point is sought: keys that tie once rounded could otherwise pick an outcome another beats
    by a rounding step (found by hypothesis, tests/test_factored_v2.py)."""
    return rational_mask(u1, u2, r, mask) & pareto_mask(u1, u2, mask)


def nash_product(utility: Sequence[float], r: Sequence[float]) -> float:
    """(u1 − r1)(u2 − r2) of one agreement; negative when one side is below reservation."""
    return float((utility[0] - r[0]) * (utility[1] - r[1]))


def pareto_distance(
    point: Sequence[float], u1: np.ndarray, u2: np.ndarray, mask: np.ndarray | None = None
) -> float:
    """Euclidean distance in utility space from ``point`` to the nearest Pareto-optimal outcome.

    Zero for a deal on the frontier.  The frontier is that of the masked outcomes (those
    the deal was chosen from), as in GENIUS' "distance to Pareto" measure.
    """
    front = pareto_frontier(u1, u2, mask)
    if len(front) == 0:
        return float("nan")
    d = np.hypot(u1[front] - point[0], u2[front] - point[1])
    return float(np.round(d.min(), UTILITY_DECIMALS))


@dataclass(frozen=True)
class BargainingSpace:
    """Two sides' utilities of every outcome, their reservation values and what is feasible."""

    space: OutcomeSpace
    utility: Mapping[str, np.ndarray]  # side → utility of every outcome
    reservation: Mapping[str, float]
    feasible: np.ndarray  # outcomes a deal may be (on the table and inside both win-sets)

    @property
    def u(self) -> tuple[np.ndarray, np.ndarray]:
        """(u_us, u_china)."""
        return self.utility["us"], self.utility["china"]

    @property
    def r(self) -> tuple[float, float]:
        """(r_us, r_china)."""
        return self.reservation["us"], self.reservation["china"]

    def point(self, index: int | None) -> dict[str, Any] | None:
        """One outcome as JSON: index, terms, both utilities and gains over reservation."""
        if index is None:
            return None
        return {
            "index": int(index),
            "terms": self.space.terms(index),
            "utility": {s: round(float(self.utility[s][index]), 6) for s in SIDE_ORDER},
            "gain": {
                s: round(float(self.utility[s][index] - self.reservation[s]), 6) for s in SIDE_ORDER
            },
            "nash_product": round(
                nash_product(
                    [self.utility[s][index] for s in SIDE_ORDER],
                    [self.reservation[s] for s in SIDE_ORDER],
                ),
                6,
            ),
        }

    def report(self) -> dict[str, Any]:
        """Outcome counts, frontier, Nash, Kalai–Smorodinsky and maximum-welfare points."""
        u1, u2 = self.u
        r = self.r
        ir = rational_mask(u1, u2, r, self.feasible)
        front = pareto_frontier(u1, u2, self.feasible)
        ideal = ideal_point(u1, u2, r, self.feasible)
        frontier = []
        for i in front:
            p = self.point(int(i))
            assert p is not None
            p["individually_rational"] = bool(ir[i])
            frontier.append(p)
        return {
            "outcomes": len(self.space),
            "feasible": int(self.feasible.sum()),
            "individually_rational": int(ir.sum()),
            "reservation": {s: round(float(self.reservation[s]), 6) for s in SIDE_ORDER},
            "ideal": None if ideal is None else dict(zip(SIDE_ORDER, ideal, strict=True)),
            "frontier": frontier,
            "nash": self.point(nash_point(u1, u2, r, self.feasible)),
            "kalai_smorodinsky": self.point(kalai_point(u1, u2, r, self.feasible)),
            "max_welfare": self.point(welfare_point(u1, u2, r, self.feasible)),
        }


def deal_metrics(
    x: int, u: Mapping[str, np.ndarray], r: Mapping[str, float], feasible: np.ndarray
) -> dict[str, float]:
    """Nash product and distance to the Pareto frontier of a deal ``x``, at the moment of the
    deal (``feasible``: the outcomes the deal was chosen from)."""
    point = [float(u[s][x]) for s in SIDE_ORDER]
    res = [float(r[s]) for s in SIDE_ORDER]
    return {
        "nash_product": nash_product(point, res),
        "pareto_distance": pareto_distance(point, u["us"], u["china"], feasible),
    }


def concession_profile(history: Sequence[Any], side: str, tol: float = 1e-9) -> dict[str, Any]:
    """Who conceded what and when: ``side``'s own utility of its own offers over time.

    ``history`` is the mechanism's list of ``OfferRecord``s.  Returns the own utility of the
    first and last offer, the total conceded (first − lowest), the week of the first
    concession (the first offer worth less to ``side`` than its opening offer, by more
    than ``tol``) and the own utility of its last offer in each week it made one.
    """
    own = [(rec.week, float(rec.utility[side])) for rec in history if rec.proposer == side]
    if not own:
        return {
            "offers": 0,
            "first_offer": None,
            "last_offer": None,
            "total": 0.0,
            "first_week": None,
            "by_week": {},
        }
    opening = own[0][1]
    first_week = next((w for w, v in own if v < opening - tol), None)
    by_week: dict[str, float] = {}
    for w, v in own:
        by_week[str(w)] = round(v, 6)
    return {
        "offers": len(own),
        "first_offer": round(opening, 6),
        "last_offer": round(own[-1][1], 6),
        "total": round(opening - min(v for _, v in own), 6),
        "first_week": first_week,
        "by_week": by_week,
    }


def issue_concessions(space: OutcomeSpace, x: int) -> dict[str, dict[str, Any]]:
    """What each side gave up issue by issue in outcome ``x``, against the status quo.

    For each issue the deal covers: its status-quo and agreed levels, and each side's value
    change (negative for the side that conceded on it).
    """
    out: dict[str, dict[str, Any]] = {}
    row = space.row(x)
    for j, issue in enumerate(space.issues):
        lvl = int(row[j])
        if lvl < 0:
            continue
        sq = issue.status_quo
        change = {}
        for s in SIDE_ORDER:
            vals = issue.values.get(s)
            change[s] = 0.0 if vals is None else round(float(vals[lvl] - vals[sq]), 6)
        out[issue.name] = {
            "from": issue.levels[sq],
            "to": issue.levels[lvl],
            "value_change": change,
        }
    return out
