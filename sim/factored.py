"""A concession space kept issue by issue (issue 13): two sides' additive utilities, the Pareto
frontier merged issue by issue, the Nash, Kalai–Smorodinsky and maximum-welfare points, and
the screening offer search — without enumerating the product of the issues' levels.

Utilities are additive: u_s(x) = Σ_j t_sj(x_j), where t_sj holds issue j's contribution at
each of its *choices* (its levels, and ``OPEN`` when an issue may be left open; an open issue
contributes its status quo's value).  A point that is Pareto-optimal in the product is
Pareto-optimal in every partial product of the issues it combines (else swapping in the
dominating partial combination would dominate it), so the frontier of issues 1..j is the
frontier of (frontier of 1..j−1) ⊕ (issue j's choices).  Memory and time grow with the
frontier's size and the sum of the levels, not with their product.

Points are identified by their position in the full product of choices (last issue fastest),
the order ``OutcomeSpace`` enumerates outcomes in; ``OutcomeSpace.levels`` rows are that
product less the rows covering fewer than ``min_issues`` issues (``index_of`` maps one to
the other), so ties broken "lowest position first" here are broken "lowest index first"
there.  Values that are not additive ride along as extra sums (``monotone``, ``grouping``)
for a caller to finish on the few candidates left, on ``factored_count.Rows`` (explicit
outcomes valued by ``OutcomeSpace``'s own code); ``factored_count.count_meeting`` counts the
points whose sums reach thresholds by meeting in the middle.  The enumerated space is the test
oracle (tests/test_factored.py, tests/test_space_command.py): same frontier, points, offers,
counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from tradetalks.sim.analysis import UTILITY_DECIMALS, pareto_mask, tidy
from tradetalks.sim.issues import OPEN, OutcomeSpace


@dataclass(frozen=True)
class Frontier:
    """Pareto-optimal points of two additive utilities: utilities, product positions and the
    chosen level (``OPEN`` for left open) of every issue, ordered by u1 descending, then u2
    descending, then position."""

    u1: np.ndarray
    u2: np.ndarray
    position: np.ndarray  # in the full product of choices, last issue fastest
    levels: np.ndarray  # (points, issues)

    def __len__(self) -> int:
        return len(self.u1)


@dataclass(frozen=True)
class Fold:
    """A monotone sum's final effect on a utility, u_term −= weight·max(0, level − sum) (a
    pressure that stops once the sum reaches ``level``): applied in the merge once no later
    issue moves the sum, after which the sum is no longer compared (the frontier of many
    sums is far larger than that of two utilities)."""

    column: int  # which monotone sum
    term: int  # 0: u1, 1: u2
    weight: float
    level: float


@dataclass(frozen=True)
class FactoredSpace:
    """Each issue's choices, both sides' contribution at each choice and, optionally, linear
    constraints Σ_j c_kj(x_j) ≥ θ_k (a domestic body's support against its threshold).

    Two kinds of extra additive columns serve utilities that are not additive (the command's
    exact evaluation finishes them): ``monotone`` sums side 1's final utility never falls in,
    and ``grouping`` sums it may move either way with, so points are compared only when
    those sums are equal."""

    names: tuple[str, ...]
    choices: tuple[np.ndarray, ...]  # per issue: level index or OPEN, in product order
    tables: tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]  # side → issue → per choice
    min_issues: int = 1
    constraints: tuple[tuple[np.ndarray, ...], ...] = ()  # constraint → issue → per choice
    thresholds: tuple[float, ...] = ()
    monotone: tuple[tuple[np.ndarray, ...], ...] = ()  # column → issue → per choice
    grouping: tuple[tuple[np.ndarray, ...], ...] = ()  # column → issue → per choice
    folds: tuple[Fold, ...] = ()  # monotone sums whose effect on a utility is known

    @property
    def size(self) -> int:
        """Number of points of the full product (what enumeration would hold)."""
        return int(np.prod([len(c) for c in self.choices], dtype=float))

    @classmethod
    def from_space(
        cls, space: OutcomeSpace, weights: Sequence[np.ndarray], tables: Sequence[str]
    ) -> FactoredSpace:
        """The factored form of an enumerated space, for two sides' values tables and issue
        weights (the oracle's u_s = ``space.utility(tables[s], weights[s])``)."""
        choices = tuple(np.asarray(c) for c in space._choices)
        per_side = tuple(
            per_choice(space, choices, table, w) for table, w in zip(tables, weights, strict=True)
        )
        return cls(space.names, choices, (per_side[0], per_side[1]), _min_issues(space))

    def with_constraints(
        self, constraints: Sequence[tuple[np.ndarray, ...]], thresholds: Sequence[float]
    ) -> FactoredSpace:
        """The same space where a point must also meet Σ_j c_kj(x_j) ≥ θ_k for every k."""
        return replace(self, constraints=tuple(constraints), thresholds=tuple(thresholds))

    # ------------------------------------------------------------------ the frontier
    def frontier(self, keep: Sequence[np.ndarray] | None = None) -> Frontier:
        """The Pareto frontier of (u1, u2) over the points meeting every constraint, merged
        issue by issue (``keep``: per issue, the choices allowed; None: all)."""
        vals, pos, lev = self.candidates(keep)
        k = len(self.constraints)
        if k:  # the points meeting every constraint, and the frontier among them
            meets = (tidy(vals[:, 2 : 2 + k]) >= tidy(np.asarray(self.thresholds))).all(axis=1)
            vals, pos, lev = vals[meets], pos[meets], lev[meets]
        best = pareto_mask(vals[:, 0], vals[:, 1])
        return ordered(vals[best, 0], vals[best, 1], pos[best], lev[best])

    def candidates(
        self, keep: Sequence[np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every point that may be on a frontier, as (column sums, positions, levels): the
        columns are u1, u2, the constraints, ``monotone`` and ``grouping``, in that order.

        A partial combination is pruned only when another one covering as many issues (up to
        ``min_issues``) with equal grouping sums is at least as good in both utilities, every
        constraint and every monotone sum, and strictly better in a utility: swapping it in
        then breaks no constraint and lowers neither final utility.  A folded monotone sum
        (``folds``) is added to its utility once final, and compares nothing after."""
        keep = keep or [np.ones(len(c), dtype=bool) for c in self.choices]
        cap, width = max(self.min_issues, 0), 2 + len(self.constraints) + len(self.monotone)
        low, high = self._rest_bounds(keep)
        columns = (*self.tables, *self.constraints, *self.monotone, *self.grouping)
        final = self._final_issue(keep)
        fronts = {0: (np.zeros((1, len(columns))), np.zeros(1, np.int64), np.zeros((1, 0)))}
        for j, c in enumerate(self.choices):
            cols = np.column_stack([col[j] for col in columns])
            ok = np.flatnonzero(keep[j])
            merged: dict[int, list] = {}
            for count, (vals, pos, lev) in fronts.items():
                for covered in (False, True):
                    sel = ok[(c[ok] != OPEN) == covered]
                    if len(sel) == 0:
                        continue
                    v = (vals[:, None, :] + cols[sel][None, :, :]).reshape(-1, len(columns))
                    p = (pos[:, None] * len(c) + sel[None, :]).ravel()
                    lv = np.concatenate(
                        [np.repeat(lev, len(sel), axis=0), np.tile(c[sel], len(vals))[:, None]],
                        axis=1,
                    )
                    merged.setdefault(min(cap, count + int(covered)), []).append((v, p, lv))
            fronts = {}
            for count, parts in merged.items():
                vals, pos, lev = (np.concatenate(x) for x in zip(*parts, strict=True))
                for fold, last in zip(self.folds, final, strict=True):
                    if last == j:  # no later issue moves the sum: its effect is known
                        col = 2 + len(self.constraints) + fold.column
                        vals[:, fold.term] -= fold.weight * np.maximum(
                            0.0, fold.level - vals[:, col]
                        )
                        vals[:, col] = 0.0
                cons = vals[:, 2 : 2 + len(self.constraints)]
                thr = np.asarray(self.thresholds, dtype=float)
                alive = (cons + high[j] >= thr - BOUND_SLACK).all(axis=1)
                seen = vals[alive].copy()  # a constraint every completion meets: no longer compared
                seen[:, 2 : 2 + len(thr)][cons[alive] + low[j] >= thr + BOUND_SLACK] = np.inf
                kept = np.flatnonzero(alive)[_prune(seen, width)]
                fronts[count] = (vals[kept], pos[kept], lev[kept])
        if cap not in fronts:
            return np.zeros((0, len(columns))), np.zeros(0, np.int64), np.zeros((0, 0), np.int64)
        vals, pos, lev = fronts[cap]
        return vals, pos, lev.astype(np.int64)

    def _final_issue(self, keep: Sequence[np.ndarray]) -> list[int]:
        """Per fold, the last issue whose allowed choices move its sum (0 if none does)."""
        out = []
        for fold in self.folds:
            col = self.monotone[fold.column]
            moving = [j for j, k in enumerate(keep) if np.any(np.asarray(col[j])[k] != 0)]
            out.append(max(moving, default=0))
        return out

    def _rest_bounds(self, keep: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per issue j: the smallest and largest sum of each constraint over issues after j."""
        k, n = len(self.constraints), len(self.choices)
        low, high = np.zeros((n, k)), np.zeros((n, k))
        for j in range(n - 2, -1, -1):
            allowed = [np.asarray(con[j + 1])[keep[j + 1]] for con in self.constraints]
            low[j] = low[j + 1] + [a.min() for a in allowed]
            high[j] = high[j + 1] + [a.max() for a in allowed]
        return low, high

    # ------------------------------------------------------------------ counts and indices
    @property
    def outcomes(self) -> int:
        """Number of points covering at least ``min_issues`` issues (the enumerated rows)."""
        return int(sum(_coverage(self.choices)[max(self.min_issues, 0) :]))

    def index_of(self, position: np.ndarray) -> np.ndarray:
        """Enumerated row of each product position: the position less the points before it
        covering fewer than ``min_issues`` issues (the rows enumeration leaves out)."""
        pos = np.asarray(position, dtype=np.int64)
        if self.outcomes == self.size or len(pos) == 0:
            return pos
        if self.min_issues == 1:  # only the point leaving every issue open, position 0
            return pos - 1
        rest = [_coverage(self.choices[j + 1 :]) for j in range(len(self.choices))]
        digits = np.column_stack(np.unravel_index(pos, [len(c) for c in self.choices]))
        out = []
        for p, row in zip(pos.tolist(), digits.tolist(), strict=True):
            dropped = covered = 0
            for j, d in enumerate(row):
                for ch in self.choices[j][:d]:  # the rest must cover fewer than ``need``
                    need = self.min_issues - covered - int(ch != OPEN)
                    dropped += int(sum(rest[j][: max(need, 0)]))
                covered += int(self.choices[j][d] != OPEN)
            out.append(p - dropped)
        return np.array(out, dtype=np.int64)


def _coverage(choices: Sequence[np.ndarray]) -> np.ndarray:
    """Number of points of the product of ``choices`` covering exactly t issues, t = 0, 1, …"""
    poly = np.array([1], dtype=object)  # exact integers, whatever the product
    for c in choices:
        n_open = int((c == OPEN).sum())
        poly = np.convolve(poly, np.array([n_open, len(c) - n_open], dtype=object))
    return poly


def per_choice(
    space: OutcomeSpace, choices: Sequence[np.ndarray], table: str, weights: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Per issue, w_j·v_j at each choice (an open issue counts its status quo)."""
    out = []
    for j, (issue, c) in enumerate(zip(space.issues, choices, strict=True)):
        vals = issue.values.get(table)
        vals = np.zeros(issue.n_levels) if vals is None else np.asarray(vals, float)
        out.append(float(weights[j]) * vals[np.where(c == OPEN, issue.status_quo, c)])
    return tuple(out)


def ordered(u1: np.ndarray, u2: np.ndarray, pos: np.ndarray, lev: np.ndarray) -> Frontier:
    """A ``Frontier`` of these points: u1 descending, then u2 descending, then position."""
    order = np.lexsort((pos, -tidy(u2), -tidy(u1)))
    return Frontier(u1[order], u2[order], pos[order], np.asarray(lev)[order].astype(np.int64))


def _prune(vals: np.ndarray, width: int) -> np.ndarray:
    """Mask of the rows no row with equal grouping sums (the columns from ``width`` on)
    dominates in the first ``width`` columns (``_nondominated``; two columns: the frontier)."""
    varying = [0, 1, *(c for c in range(2, width) if (vals[:, c] != vals[:1, c]).any())]
    if len(varying) < width:
        vals, width = np.column_stack([vals[:, varying], vals[:, width:]]), len(varying)
    inner = (lambda v: _front(v[:, 0], v[:, 1])) if width == 2 else _nondominated
    if vals.shape[1] == width:
        return inner(vals)
    _, group = np.unique(tidy(vals[:, width:]), axis=0, return_inverse=True)
    out = np.zeros(len(vals), dtype=bool)
    for g in np.unique(group):
        rows = np.flatnonzero(group.ravel() == g)
        out[rows[inner(vals[rows, :width])]] = True
    return out


BOUND_SLACK = 1e-9  # constraint bounds within this of a threshold decide nothing (rounding)
# partial sums closer than this may round to one value at UTILITY_DECIMALS once completed
# (two grid steps: rounding, plus the sums' own float error): no strict dominance
MERGE_BAND = 2 * 10.0**-UTILITY_DECIMALS
NONDOMINATED_CHUNK = 256  # points compared at once in ``_nondominated`` (memory, not results)


def _front(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """Mask of the points no other point dominates in a merge: at least as large in both
    utilities and larger by more than ``MERGE_BAND`` in one.  A point better only within
    the band may tie once completed (rounded at ``UTILITY_DECIMALS``), so both stay; the
    final frontier (``pareto_mask`` on exact values) decides.  O(n log n): for each point,
    the largest u2 among points with u1 ≥ its own, and among points with u1 beyond the band."""
    order = np.argsort(-u1, kind="stable")
    a, best = u1[order], np.maximum.accumulate(u2[order])
    at_least = np.searchsorted(-a, -u1, side="right") - 1  # last point with u1 ≥ this one's
    beyond = np.searchsorted(-a, -(u1 + MERGE_BAND), side="left") - 1  # u1 > this + band
    ge_best = best[at_least]
    gt_best = np.where(beyond >= 0, best[np.maximum(beyond, 0)], -np.inf)
    return ~((ge_best > u2 + MERGE_BAND) | (gt_best >= u2))


def _dominated(block: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Mask of ``block``'s rows some row of ``other`` dominates: at least as large in every
    column and larger by more than ``MERGE_BAND`` in a utility (``_front``'s rule; column by
    column, as numpy reduces a short last axis slowly)."""
    ge = np.ones((len(block), len(other)), dtype=bool)
    for c in range(block.shape[1]):
        ge &= other[None, :, c] >= block[:, None, c]
    gt = (other[None, :, 0] > block[:, None, 0] + MERGE_BAND) | (
        other[None, :, 1] > block[:, None, 1] + MERGE_BAND
    )
    return (ge & gt).any(axis=1)


def _nondominated(vals: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row dominates (``_dominated``): at least as large in every
    column and larger beyond ``MERGE_BAND`` in a utility (the first two columns).  A row
    equal in both utilities is kept whatever its constraint sums, as the oracle keeps equal
    utility pairs alike.  Nothing is rounded: a row whose constraint or monotone sum is below
    another's, even by a rounding error (a body's support of -1e-17 against 3e-13), never
    dominates it, since the model's own comparison may put a threshold between the two.
    Rows sorted in decreasing lexicographic order can be dominated only by earlier rows, so
    each chunk is compared with the rows kept so far and with itself."""
    v = np.asarray(vals, dtype=float)
    if len(v) <= NONDOMINATED_CHUNK:  # one chunk: every pair at once, no order needed
        return ~_dominated(v, v)
    order = np.lexsort(tuple(-v[:, i] for i in reversed(range(v.shape[1]))))
    s = v[order]
    keep = np.zeros(len(s), dtype=bool)
    kept = s[:0]
    for start in range(0, len(s), NONDOMINATED_CHUNK):
        block = s[start : start + NONDOMINATED_CHUNK]
        dominated = _dominated(block, block)
        if len(kept):
            dominated |= _dominated(block, kept)
        keep[start : start + len(block)] = ~dominated
        kept = np.concatenate([kept, block[~dominated]])
    out = np.zeros(len(s), dtype=bool)
    out[order[keep]] = True
    return out


def _min_issues(space: OutcomeSpace) -> int:
    """The smallest number of covered issues among the enumerated outcomes."""
    return int(space.covered.sum(axis=1).min()) if len(space) else 0


# ---------------------------------------------------------------------- points on the frontier
def _best(front: Frontier, keys: list[np.ndarray], candidates: np.ndarray) -> int | None:
    """Row of ``front`` maximising ``keys`` lexicographically, ties to the lowest position."""
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return None
    cols = [tidy(k[idx]) for k in keys]
    order = np.lexsort((front.position[idx], *[-c for c in reversed(cols)]))
    return int(idx[order[0]])


def _rational(front: Frontier, r: Sequence[float]) -> np.ndarray:
    r1, r2 = (float(np.round(x, 12)) for x in r)
    return (tidy(front.u1) >= r1) & (tidy(front.u2) >= r2)


def _normalised(front: Frontier, r: Sequence[float], ir: np.ndarray) -> tuple[np.ndarray, ...]:
    out = []
    for u, ri in ((front.u1, r[0]), (front.u2, r[1])):
        span = float(u[ir].max()) - ri
        out.append((u - ri) / span if span > 0 else np.ones_like(u))
    return out[0], out[1]


def nash(front: Frontier, r: Sequence[float]) -> int | None:
    """Row of the Nash point (as ``analysis.nash_point`` ranks: product, normalised sum,
    side 1's normalised gain, position); None when no point is individually rational."""
    ir = _rational(front, r)
    if not ir.any():
        return None
    n1, n2 = _normalised(front, r, ir)
    return _best(front, [(front.u1 - r[0]) * (front.u2 - r[1]), n1 + n2, n1], ir)


def kalai(front: Frontier, r: Sequence[float]) -> int | None:
    """Row of the Kalai–Smorodinsky point (as ``analysis.kalai_point`` ranks)."""
    ir = _rational(front, r)
    if not ir.any():
        return None
    n1, n2 = _normalised(front, r, ir)
    return _best(front, [np.minimum(n1, n2), n1 + n2, n1], ir)


def welfare(front: Frontier, r: Sequence[float]) -> int | None:
    """Row of the maximum-welfare point (as ``analysis.welfare_point`` ranks)."""
    ir = _rational(front, r)
    gains = np.minimum(front.u1 - r[0], front.u2 - r[1])
    return _best(front, [front.u1 + front.u2, gains, front.u1], ir)


def best_for(front: Frontier, min_u2: float | np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """For each threshold m: the row maximising u1 subject to u2 ≥ m (−1 if none); ties
    within ``tolerance`` go to the larger u2, then the lowest position — the screening
    strategy's offer search (``agents.screening.best_for``) on the frontier, where its
    answer always lies."""
    m = np.atleast_1d(np.asarray(min_u2, dtype=float))
    out = np.full(len(m), -1)
    for k, threshold in enumerate(m):
        ok = front.u2 >= threshold - tolerance
        if not ok.any():
            continue
        top = front.u1[ok].max()
        ties = ok & (front.u1 >= top - tolerance)
        out[k] = _best(front, [front.u2], ties)
    return out


# ---------------------------------------------------------------------- explicit rows
