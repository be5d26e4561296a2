"""Core v2's values on the factored space (issue 13): the frontier of two sides' V_s and the
screening offer search, without enumerating the product of the issues' levels.

A core-v2 value is not additive (sim/projector.py, ``Valuation.utility``):

    V_s(x) = r + D·1[x covers an issue] + Σ_{i∉H} g_i(x_i) + φ̂(Σ_i c_i(x_i))·Σ_{i∈H} g_i(x_i)
             + Σ_pairs t_jk(x_j, x_k) − P(Σ_i f_i(x_i), x_ag)·L(x_ag)

(H the hostage issues, c the US pp a level gives up, t the jointly valued issues'
interactions, f the delivery rate, L the loss of a deal that unravels).  Only a few issues
are *coupled* — read by φ̂'s cut, H, a pair, f or the purchases level (``parts``,
``coupled_issues``); the others enter each value additively.  ``candidates`` combines the
coupled issues first (at most ``MAX_COUPLED`` combinations), values each by the valuation's
own code with the other issues open, and merges them, as one more issue, with the free
issues as ``FactoredSpace`` merges two additive utilities (a partial combination dominated
in both values is dominated in every completion).  Valued exactly on ``Rows``, the
candidates' frontier is the whole space's, the screening pick (``best_for``) its pick on
the whole space at every threshold (tests/test_factored_v2.py; the merge prunes beyond
``factored.MERGE_BAND``, the search ties within ``TOLERANCE``).  Cost: the coupled
combinations (baseline 245) times the frontier plus the free issues' levels."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from tradetalks.sim.analysis import pareto_mask, tidy
from tradetalks.sim.config_schema import coupled_problem
from tradetalks.sim.factored import FactoredSpace, Fold, Frontier, ordered
from tradetalks.sim.issues import OPEN, Issue, OutcomeSpace, Rows, read_only


@dataclass(frozen=True)
class Term:
    """One value column: ``valuation``'s V_side, this round or at the next opportunity."""

    valuation: Any  # sim.projector.Valuation
    side: str
    next_round: bool = False

    def values(self, space: OutcomeSpace) -> np.ndarray:
        """V_side at every outcome of ``space`` (exact: the valuation's own code)."""
        return self.valuation.utility(self.side, space, next_round=self.next_round)

    def any_deal(self) -> float:
        """D_side: what signing any deal adds (of this term's round)."""
        v = self.valuation
        return float((v.any_deal_next if self.next_round else v.any_deal)[self.side])

    def walk_away(self) -> float:
        """r_side: the value of the outcome covering no issue (every other term is 0 there)."""
        return float((self.valuation.r_next if self.next_round else self.valuation.r)[self.side])


@dataclass(frozen=True)
class Product:
    """The product of the issues' choices an outcome space enumerates (or would): each
    issue's choices in enumeration order (``OPEN`` first), the fewest issues an outcome
    covers and, for an enumerated space, which product positions it keeps (to map positions
    to its indices at once)."""

    issues: tuple[Issue, ...]
    choices: tuple[np.ndarray, ...]
    min_issues: int
    kept: slice | np.ndarray | None = None  # OutcomeSpace._keep; None: not enumerated

    @classmethod
    def of(cls, space: OutcomeSpace) -> Product:
        """The product an enumerated space was cut from."""
        # an empty space: more issues asked for than there are (nothing can be covered so)
        fewest = int(space.covered.sum(axis=1).min()) if len(space) else len(space.issues) + 1
        return cls(space.issues, tuple(np.asarray(c) for c in space._choices), fewest, space._keep)

    @classmethod
    def build(cls, issues: Sequence[Issue], allow_interim: bool, min_issues: int) -> Product:
        """The product ``OutcomeSpace(issues, allow_interim, min_issues)`` would enumerate,
        without enumerating it."""
        choices = tuple(
            np.array(
                [OPEN] if not i.negotiable else [OPEN] * allow_interim + list(range(i.n_levels))
            )
            for i in issues
        )
        return cls(tuple(issues), choices, min_issues)

    def index_of(self, position: np.ndarray) -> np.ndarray:
        """Each product position's index among the outcomes (enumeration order)."""
        pos = np.asarray(position, dtype=np.int64)
        if isinstance(self.kept, slice):
            return pos - (self.kept.start or 0)
        if self.kept is not None:
            return np.searchsorted(self.kept, pos).astype(np.int64)
        names = tuple(i.name for i in self.issues)
        return FactoredSpace(names, self.choices, ((), ()), self.min_issues).index_of(pos)


@dataclass(frozen=True)
class Parts:
    """A term split for the factored space: per issue and choice, its additive part, the
    sums it is monotone in and the sums that must be equal for points to be compared."""

    additive: tuple[np.ndarray, ...]
    monotone: tuple[tuple[np.ndarray, ...], ...]
    grouping: tuple[tuple[np.ndarray, ...], ...]


def _per_choice(table: np.ndarray | None, choices: np.ndarray) -> np.ndarray:
    """A per-level table at each choice (0 for ``OPEN`` and for no table), as ``additive``
    reads it."""
    if table is None:
        return np.zeros(len(choices))
    t = np.asarray(table, dtype=float)
    return np.where(choices == OPEN, 0.0, t[np.maximum(choices, 0)])


def _code(c: np.ndarray) -> np.ndarray:
    """A choice's code: 0 for ``OPEN``, 1 + its position otherwise (an issue whose only
    choice is a level still reads as coupled)."""
    return np.where(c == OPEN, 0.0, np.arange(1, len(c) + 1, dtype=float))


def _codes(issues: Sequence[int], choices: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """A grouping sum that takes one value per combination of choices of ``issues``."""
    out, scale = [np.zeros(len(c)) for c in choices], 1.0
    for j in reversed(issues):
        out[j] = _code(choices[j]) * scale
        scale *= len(choices[j]) + 1
    return tuple(out)


def parts(term: Term, choices: Sequence[np.ndarray]) -> Parts:
    """``term``'s value split per issue and choice (constants r and D left out): its
    additive part (the US's hostage issues out), the sums it rises with (the hostage gains,
    φ̂ ≥ 0) and the sums points must share to be compared (φ̂'s cut, each jointly valued
    pair's levels, the delivery rate and the purchases level of the dispute term)."""
    v, side, nxt = term.valuation, term.side, term.next_round
    gains = (v.gains_next if nxt else v.gains)[side]
    hostage = v.hostage if side == "us" else None
    held = hostage.issues if hostage is not None else frozenset()
    n = len(choices)
    additive = tuple(_per_choice(None if j in held else gains[j], choices[j]) for j in range(n))
    monotone: list[tuple[np.ndarray, ...]] = []
    grouping: list[tuple[np.ndarray, ...]] = []
    if held:
        monotone.append(
            tuple(_per_choice(gains[j] if j in held else None, choices[j]) for j in range(n))
        )
        grouping.append(tuple(_per_choice(hostage.us_cut[j], choices[j]) for j in range(n)))
    for j, k, _ in (v.pairs_next if nxt else v.pairs).get(side, ()):
        grouping.append(_codes((j, k), choices))
    d = v.disputes
    if d is not None:
        grouping.append(tuple(_per_choice(d.rate[nxt][j], choices[j]) for j in range(n)))
        grouping.append(_codes((d.ag,), choices))
    return Parts(additive, tuple(monotone), tuple(grouping))


@dataclass(frozen=True)
class Candidates:
    """Outcomes that may be on a frontier or picked by an offer search (enumerated indices,
    ascending) and every term's exact value there."""

    index: np.ndarray
    values: tuple[np.ndarray, ...]
    examined: int  # combinations of the coupled issues the merges started from


def _narrowed(
    product: Product, agreed: Mapping[int, int] | None, keep: Sequence[np.ndarray] | None
) -> tuple[list[np.ndarray], int]:
    """Per issue, the choices allowed, and the fewest issues an outcome must cover:
    ``agreed`` issues fixed at their levels with one more covered issue, as
    ``OutcomeSpace.consistent_with`` asks."""
    choices = product.choices
    kept = [np.ones(len(c), dtype=bool) for c in choices]
    if keep is not None:
        kept = [np.asarray(k, dtype=bool).copy() for k in keep]
    fewest = product.min_issues
    if agreed:
        for j, level in agreed.items():
            kept[j] &= choices[j] == level
        fewest = max(fewest, len(agreed) + 1)
    return kept, fewest


def coupled_issues(split: Sequence[Parts]) -> list[int]:
    """The issues some term's monotone or grouping sum reads: the ones to combine first."""
    n = len(split[0].additive)
    cols = [col for p in split for col in (*p.monotone, *p.grouping)]
    return [j for j in range(n) if any(np.any(col[j]) for col in cols)]


def candidates(
    space: OutcomeSpace | Product,
    terms: Sequence[Term],
    *,
    agreed: Mapping[int, int] | None = None,
    keep: Sequence[np.ndarray] | None = None,
    constraints: Sequence[tuple[np.ndarray, ...]] = (),
    thresholds: Sequence[float] = (),
    monotone: Sequence[tuple[np.ndarray, ...]] = (),
    folds: Sequence[Fold] = (),
) -> Candidates:
    """Every outcome no other outcome beats in all ``terms`` at once (weakly, with one term
    strictly), among those ``agreed``, ``keep`` and the ``constraints`` allow (per issue and
    choice, with ``thresholds``: a body's support), with the terms' exact values: a superset
    of the frontier of the first two and of every offer search over them, also when a term
    rises in further sums (``monotone``; ``folds``: a known pressure, ``factored.Fold``).  A
    constraint is met when its sum reaches its threshold at 12 decimals; int64 positions map
    products up to 2^53 points exactly.  Coupled issues are combined first, each combination
    valued by the terms' code with the others open; the rest is additive, so combinations
    and free issues merge as ``FactoredSpace`` merges (one per number of coupled issues
    covered, so the free issues' coverage is counted)."""
    if len(terms) < 2:
        raise ValueError("candidates need two terms (the frontier's two utilities)")
    product = space if isinstance(space, Product) else Product.of(space)
    n = len(product.choices)
    kept, fewest = _narrowed(product, agreed, keep)
    if not all(k.any() for k in kept):  # an issue with no choice left: no outcome
        empty = read_only(np.zeros(0))
        return Candidates(read_only(np.zeros(0, np.int64)), tuple(empty for _ in terms), 0)
    block = Coupled.of(product, terms, kept, constraints, monotone)
    found: list[np.ndarray] = []
    for t in np.unique(block.covers).tolist():
        need = max(fewest - t, 1 if t == 0 else 0)  # the empty outcome is added by hand
        if need <= len(block.free):
            found.append(block.merge(t, need, constraints, thresholds, monotone, folds))
    if _empty_allowed(product.choices, kept, agreed, fewest, constraints, thresholds):
        found.append(np.full((1, n), OPEN, dtype=np.int64))
    levels = np.concatenate(found) if found else np.zeros((0, n), np.int64)
    return _finish(product, terms, levels, len(block.combos))


@dataclass(frozen=True)
class Coupled:
    """The combinations of the coupled issues and what the merges read: each term's value
    of each combination (less r + D) and its parts, each constraint's sum over it."""

    product: Product
    kept: list[np.ndarray]
    coupled: list[int]
    free: list[int]
    combos: np.ndarray  # (combinations, coupled issues) levels
    covers: np.ndarray  # coupled issues each combination covers
    part: list[np.ndarray]  # per term
    split: list[Parts]  # per term
    con: list[np.ndarray]  # per constraint
    rises: list[np.ndarray]  # per monotone sum

    @classmethod
    def of(
        cls,
        product: Product,
        terms: Sequence[Term],
        kept: list[np.ndarray],
        constraints: Sequence[tuple[np.ndarray, ...]],
        monotone: Sequence[tuple[np.ndarray, ...]] = (),
    ) -> Coupled:
        """Combine the coupled issues' allowed choices and value each combination exactly,
        the other issues open."""
        choices, n = product.choices, len(product.choices)
        split = [parts(t, choices) for t in terms]
        coupled = coupled_issues(split)
        count = math.prod(int(kept[j].sum()) for j in coupled)  # refused beyond MAX_COUPLED
        if problem := coupled_problem([product.issues[j].name for j in coupled], count):
            raise ValueError(problem)
        combos = _combinations([choices[j][kept[j]] for j in coupled])
        rows = np.full((len(combos), n), OPEN, dtype=np.int64)
        rows[:, coupled] = combos
        explicit = Rows(product.issues, rows, once=True)
        part = [t.values(explicit) - t.walk_away() - t.any_deal() for t in terms]
        con = [_at(col, coupled, combos, choices) for col in constraints]
        rises = [_at(col, coupled, combos, choices) for col in monotone]
        free = [j for j in range(n) if j not in coupled]
        covers = (combos != OPEN).sum(axis=1)
        return cls(product, kept, coupled, free, combos, covers, part, split, con, rises)

    def merge(
        self,
        t: int,
        need: int,
        constraints: Sequence[tuple[np.ndarray, ...]],
        thresholds: Sequence[float],
        monotone: Sequence[tuple[np.ndarray, ...]] = (),
        folds: Sequence[Fold] = (),
    ) -> np.ndarray:
        """The candidates (rows of levels) among combinations covering ``t`` coupled issues
        completed by free issues covering at least ``need``: one ``FactoredSpace`` merge with
        the combinations as its first issue."""
        choices, free, n = self.product.choices, self.free, len(self.product.choices)
        sel = np.flatnonzero(self.covers == t)
        columns = [
            (v[sel], *(p.additive[j] for j in free))
            for v, p in zip(self.part, self.split, strict=True)
        ]

        def over(block: list[np.ndarray], cols: Sequence[tuple[np.ndarray, ...]]) -> list:
            return [(c[sel], *(col[j] for j in free)) for c, col in zip(block, cols, strict=True)]

        fs = FactoredSpace(
            ("coupled", *(self.product.issues[j].name for j in free)),
            (np.full(len(sel), OPEN), *(choices[j] for j in free)),
            (columns[0], columns[1]),
            need,
            tuple(over(self.con, constraints)),
            tuple(thresholds),
            (*columns[2:], *over(self.rises, monotone)),  # further terms, rising sums
            folds=tuple(replace(f, column=f.column + len(columns) - 2) for f in folds),
        )
        keep = [np.ones(len(sel), bool), *(self.kept[j] for j in free)]
        sums, position, levels = fs.candidates(keep)
        k = len(constraints)
        if k:
            meets = (tidy(sums[:, 2 : 2 + k]) >= tidy(np.asarray(thresholds))).all(axis=1)
            position, levels = position[meets], levels[meets]
        out = np.full((len(position), n), OPEN, dtype=np.int64)
        out[:, self.coupled] = self.combos[sel][position // max(fs.size // len(sel), 1)]
        out[:, free] = levels.reshape(len(position), len(free) + 1)[:, 1:]
        return out


def _finish(
    product: Product, terms: Sequence[Term], levels: np.ndarray, examined: int
) -> Candidates:
    """Candidates as enumerated indices, ascending, with every term's exact value."""
    n = len(product.choices)
    digits = [np.searchsorted(product.choices[j], levels[:, j]) for j in range(n)]
    radix = [len(c) for c in product.choices]
    position = np.ravel_multi_index(digits, radix) if len(levels) else np.zeros(0, np.int64)
    index = product.index_of(position)
    order = np.argsort(index, kind="stable")
    index, levels = index[order], levels[order]
    values = tuple(t.values(Rows(product.issues, levels, once=True)).copy() for t in terms)
    if len(levels) and (levels[0] == OPEN).all():  # Rows count D everywhere; no deal is r
        for t, v in zip(terms, values, strict=True):
            v[0] = t.walk_away()
    return Candidates(read_only(index), tuple(read_only(v) for v in values), examined)


def _combinations(allowed: Sequence[np.ndarray]) -> np.ndarray:
    """Every combination of the allowed choices (last fastest), one row each."""
    if not allowed:
        return np.zeros((1, 0), dtype=np.int64)
    mesh = np.meshgrid(*allowed, indexing="ij")
    return np.stack(mesh, axis=-1).reshape(-1, len(allowed)).astype(np.int64)


def _at(
    col: tuple[np.ndarray, ...],
    issues: Sequence[int],
    combos: np.ndarray,
    choices: Sequence[np.ndarray],
) -> np.ndarray:
    """A per-issue, per-choice column summed over ``issues`` at each combination."""
    out = np.zeros(len(combos))
    for k, j in enumerate(issues):
        out += np.asarray(col[j])[np.searchsorted(choices[j], combos[:, k])]
    return out


def _empty_allowed(
    choices: Sequence[np.ndarray],
    keep: Sequence[np.ndarray],
    agreed: Mapping[int, int] | None,
    fewest: int,
    constraints: Sequence[tuple[np.ndarray, ...]],
    thresholds: Sequence[float],
) -> bool:
    """True if the outcome covering no issue is allowed here (no issue need be covered,
    nothing agreed, every issue may be left open, every constraint met by it)."""
    if agreed or fewest > 0:
        return False
    if not all(k[c == OPEN].any() for k, c in zip(keep, choices, strict=True)):
        return False
    at_open = [
        sum(float(col[j][choices[j] == OPEN][0]) for j in range(len(choices)))
        for col in constraints
    ]
    return bool((tidy(np.asarray(at_open)) >= tidy(np.asarray(thresholds))).all())


def front(space: OutcomeSpace | Product, us: Term, china: Term, **narrow: Any) -> Frontier:
    """The frontier of the two terms' exact values as a ``factored.Frontier`` (its
    ``position`` holds enumerated indices, in the same order as product positions), for
    ``factored.nash``, ``kalai`` and ``welfare``."""
    c = candidates(space, (us, china), **narrow)
    best = pareto_mask(c.values[0], c.values[1])
    levels = np.zeros((int(best.sum()), 0), dtype=np.int64)  # not needed by the points
    return ordered(c.values[0][best], c.values[1][best], c.index[best], levels)


def frontier(space: OutcomeSpace | Product, us: Term, china: Term, **narrow: Any) -> np.ndarray:
    """Enumerated indices (ascending) of the Pareto frontier of the two terms' exact values,
    as ``analysis.pareto_mask`` finds it on the enumerated space (``narrow``: as
    ``candidates``)."""
    c = candidates(space, (us, china), **narrow)
    return read_only(c.index[pareto_mask(c.values[0], c.values[1])])
