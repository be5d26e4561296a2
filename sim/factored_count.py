"""Counts for the factored space (issue 13): ``count_meeting`` counts the points of a
product whose per-issue sums reach thresholds by meeting in the middle, without enumerating
the product (sim/factored.py keeps the frontier itself; ``issues.Rows`` values explicit
outcomes with ``OutcomeSpace``'s own code).  ``count_coupled`` counts core-v2 values, which
are not sums, the same way: their coupled issues combined into one issue first, as
``factored_v2.candidates`` merges them."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from tradetalks.sim.factored import FactoredSpace, Fold
from tradetalks.sim.factored_v2 import Coupled, Product, Term
from tradetalks.sim.issues import OPEN

# ---------------------------------------------------------------------- counting
ROUNDING_SLACK = 5e-13  # a sum counts as ≥ θ when it rounds (``tidy``) to at least θ
BRUTE_CHUNK = 1 << 22  # pairs compared at once when more than two sums must reach a threshold


def count_meeting(
    space: FactoredSpace, columns: Sequence[tuple[np.ndarray, ...]], thresholds: Sequence[float]
) -> int:
    """Number of points covering at least ``min_issues`` issues whose sums Σ_j c_kj(x_j) reach
    every θ_k, without enumerating them: each half of the issues is enumerated (memory and
    time grow with the square root of the product) and the pairs meeting every threshold are
    counted by sorting (one or two sums) or in chunks (more)."""
    n = len(space.choices)
    sizes = [len(c) for c in space.choices]
    h = min(
        range(n + 1),
        key=lambda i: max(np.prod(sizes[:i], dtype=float), np.prod(sizes[i:], dtype=float)),
    )
    halves = [_half_sums(space, range(0, h), columns), _half_sums(space, range(h, n), columns)]
    thr = np.round(np.asarray(thresholds, dtype=float), 12) - ROUNDING_SLACK
    total = 0
    (left, lcov), (right, rcov) = halves
    for cl in np.unique(lcov):
        for cr in np.unique(rcov):
            if cl + cr >= space.min_issues:
                a, b = left[lcov == cl], right[rcov == cr]
                total += _count_pairs(a, b, thr)
    return int(total)


def _half_sums(
    space: FactoredSpace, issues: range, columns: Sequence[tuple[np.ndarray, ...]]
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``columns`` and covered counts over every combination of ``issues``' choices."""
    sums, cov = np.zeros((1, len(columns))), np.zeros(1, dtype=np.int64)
    for j in issues:
        c = space.choices[j]
        col = np.column_stack([t[j] for t in columns]) if columns else np.zeros((len(c), 0))
        sums = (sums[:, None, :] + col[None, :, :]).reshape(len(sums) * len(c), len(columns))
        cov = (cov[:, None] + (c != OPEN)[None, :]).ravel()
    return sums, cov


def _count_pairs(a: np.ndarray, b: np.ndarray, thr: np.ndarray) -> int:
    """Number of pairs (row of ``a``, row of ``b``; neither empty) whose sum reaches ``thr``
    in every column."""
    if len(thr) == 0:
        return len(a) * len(b)
    need = thr[None, :] - a  # what a row of b must reach
    every = (need <= b.min(axis=0)).all(axis=1)
    open_ = ~every & ~(need > b.max(axis=0)).any(axis=1)
    total, need = int(every.sum()) * len(b), need[open_]
    if len(need) == 0:
        return total
    # a sum every open row reaches is dropped; each open row misses some sum, so one stays
    binding = ~(need <= b.min(axis=0)).all(axis=0)
    need, b, thr = need[:, binding], b[:, binding], thr[binding]
    if len(thr) == 1:
        return total + int((len(b) - np.searchsorted(np.sort(b[:, 0]), need[:, 0])).sum())
    if len(thr) == 2:
        return total + _dominance_2d(b, need)
    columns, need = np.ascontiguousarray(b.T), np.ascontiguousarray(need.T)
    step = max(1, BRUTE_CHUNK // len(b))
    for s in range(0, need.shape[1], step):  # one column at a time: no reduction over a row
        meets = columns[0][None, :] >= need[0, s : s + step, None]
        for k in range(1, len(thr)):
            meets &= columns[k][None, :] >= need[k, s : s + step, None]
        total += int(np.count_nonzero(meets))
    return total


def _dominance_2d(points: np.ndarray, queries: np.ndarray) -> int:
    """Σ over queries q of #{points p: p ≥ q in both columns}: a sweep down the first
    column with a Fenwick tree over the ranks of the second."""
    second = np.sort(points[:, 1])
    rank = np.searchsorted(second, points[:, 1]).tolist()  # points below p in column 2
    qrank = np.searchsorted(second, queries[:, 1]).tolist()
    p_order = np.argsort(-points[:, 0], kind="stable").tolist()
    first = points[:, 0].tolist()
    tree, n, inserted, total, i = [0] * (len(points) + 1), len(points), 0, 0, 0
    for q in np.argsort(-queries[:, 0], kind="stable").tolist():
        q1 = queries[q, 0]
        while i < n and first[p_order[i]] >= q1:
            r = rank[p_order[i]] + 1
            while r <= n:
                tree[r] += 1
                r += r & -r
            i, inserted = i + 1, inserted + 1
        r, below = qrank[q], 0  # inserted points whose rank < qrank: below q in column 2
        while r > 0:
            below += tree[r]
            r -= r & -r
        total += inserted - below
    return total


def count_coupled(
    product: Product,
    terms: tuple[Term, Term],
    constraints: Sequence[tuple[np.ndarray, ...]],
    thresholds: Sequence[float],
    floors: tuple[float, float],
    rises: Sequence[tuple[np.ndarray, ...]] = (),
    folds: Sequence[Fold] = (),
) -> int:
    """Number of outcomes covering at least one issue (and ``min_issues``) inside every
    constraint (a body's support, per issue and choice, against its threshold) where each
    term's value, less the pressures ``folds`` put on it (weight · max(0, level − Σ rises)),
    reaches its floor — without enumerating them.  Each combination of the coupled issues
    becomes a choice of one issue, valued by the valuation's code; the free issues add to
    each value, so a value is a sum per combination.  A pressure is a maximum of two sums,
    so a value reaches its floor when every sum it may take does: one threshold per subset
    of its folds (``folds`` on a term are few: Congress's bodies)."""
    every = [np.ones(len(c), bool) for c in product.choices]
    block = Coupled.of(product, terms, every, constraints, rises)
    free, total = block.free, 0
    for t in np.unique(block.covers).tolist():
        need = max(product.min_issues, 1) - t  # one issue at least: no empty outcome
        sel = block.covers == t

        def over(first: np.ndarray, col: tuple[np.ndarray, ...], sel: np.ndarray = sel) -> tuple:
            return (first[sel], *(col[j] for j in free))

        columns = [over(c, col) for c, col in zip(block.con, constraints, strict=True)]
        limits = list(thresholds)
        for k, term in enumerate(terms):
            value = over(block.part[k], block.split[k].additive)  # V − r − D
            floor = floors[k] - term.walk_away() - term.any_deal()
            on = [f for f in folds if f.term == k]
            for size in range(len(on) + 1):
                for pressed in combinations(on, size):
                    col = [np.array(v, dtype=float) for v in value]
                    for f in pressed:  # V − w·(L − Σ rises) ≥ floor
                        for i, r in enumerate(over(block.rises[f.column], rises[f.column])):
                            col[i] = col[i] + f.weight * r
                    columns.append(tuple(col))
                    limits.append(floor + sum(f.weight * f.level for f in pressed))
        space = FactoredSpace(
            ("coupled", *(product.issues[j].name for j in free)),
            (np.full(int(sel.sum()), OPEN), *(product.choices[j] for j in free)),
            ((), ()),
            need,
        )
        total += count_meeting(space, columns, limits)
    return total
