"""An outcome space never enumerated, for core-v2 runs on spaces too large to list (issue 13).

A core-v2 round covers only the outcomes its decisions can reach, found issue by issue
(sim/factored_rounds.py), so the mechanism never needs a value of every outcome: it needs
the outcomes' indices, their levels where it reads them, and which of them can be signed.
``LazySpace`` numbers the outcomes as ``OutcomeSpace`` would enumerate them (the product of
the issues' choices, last issue fastest, less the outcome covering no issue) and decodes an
index into its levels on demand; ``rows`` hands the mechanism and the teams the ``Rows`` of
a round's outcomes, valued by the enumerated space's own code.  What can be signed is a
``ProductMask``: per issue the choices allowed (agreed levels, chapters ready and on the
agenda) and the sets of issues an outcome must cover one of (it adds to what is agreed).
Memory grows with the sum of the levels, not their product.  The enumerated space stays the
oracle: tests/test_lazy_space.py runs the baseline on both and compares every offer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tradetalks.sim.issues import (
    LEVEL_DTYPE,
    OPEN,
    Issue,
    OutcomeSpace,
    Rows,
    read_only,
    sealed_delattr,
    sealed_setattr,
)


class LazySpace:
    """The outcomes of a product of issues' choices, numbered as ``OutcomeSpace`` enumerates
    them, never listed: levels, rows and masks are computed for the indices asked."""

    lazy = True  # the mechanism takes the factored path on such a space (sim/protocol.py)

    def __init__(
        self, issues: Sequence[Issue], allow_interim: bool, min_issues: int = 1, key: str = ""
    ) -> None:
        if min_issues > 1:
            raise ValueError(
                f"a space never enumerated needs min_issues_in_deal ≤ 1 (got {min_issues})"
            )
        self.key = key
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.names: tuple[str, ...] = tuple(i.name for i in self.issues)
        self.allow_interim, self.min_issues = allow_interim, min_issues
        # each issue's choices in enumeration order (``OPEN`` first), as the product has them
        self._choices = tuple(
            read_only(
                [OPEN] if not i.negotiable else [OPEN] * allow_interim + list(range(i.n_levels))
            )
            for i in self.issues
        )
        self._radix = read_only([len(c) for c in self._choices], dtype=np.int64)
        # the outcome covering no issue is the product's first point; it is left out
        self._offset = int(min_issues >= 1 and all(c[0] == OPEN for c in self._choices))
        self.all_cover = bool(min_issues >= 1 or any(OPEN not in c for c in self._choices))
        self._size = math.prod(len(c) for c in self._choices) - self._offset
        self._sealed = True  # read-only from here on, as ``OutcomeSpace``: runs share it

    __setattr__ = sealed_setattr
    __delattr__ = sealed_delattr

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled (e.g. in a worker process): its arrays read-only again."""
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                value = read_only(value)
            elif isinstance(value, tuple) and value and isinstance(value[0], np.ndarray):
                value = tuple(read_only(v) for v in value)
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return self._size

    @property
    def n_issues(self) -> int:
        """Number of issues (negotiable or not)."""
        return len(self.issues)

    # ------------------------------------------------------------------ indices and levels
    def digits(self, index: np.ndarray) -> np.ndarray:
        """(k, n_issues) position of each outcome's choice within its issue's choices."""
        pos = np.asarray(index, dtype=np.int64).reshape(-1) + self._offset
        if len(pos) and (pos.min() < self._offset or pos.max() >= self._size + self._offset):
            raise IndexError(f"outcome index out of range 0..{self._size - 1}")
        return np.column_stack(np.unravel_index(pos, tuple(self._radix.tolist())))

    def levels_of(self, index: np.ndarray) -> np.ndarray:
        """(k, n_issues) levels of the outcomes ``index`` (``OPEN`` for an issue left open)."""
        d = self.digits(index)
        cols = [c[d[:, j]] for j, c in enumerate(self._choices)]  # a config has an issue
        return np.column_stack(cols).astype(LEVEL_DTYPE)

    def row(self, x: int) -> np.ndarray:
        """Levels of outcome ``x`` (read-only)."""
        return read_only(self.levels_of(np.array([x]))[0])

    def rows(self, index: np.ndarray) -> Rows:
        """The outcomes ``index`` as a space of their own, valued by the enumerated code."""
        return Rows(self.issues, self.levels_of(index))

    def terms(self, index: int) -> dict[str, str]:
        """Issue → level label for the issues outcome ``index`` covers (a new dict)."""
        return self.rows(np.array([index])).terms(0)

    def index_of(self, terms: Mapping[str, str]) -> int:
        """Index of the outcome with exactly these terms (issue → level label)."""
        pos = 0
        for issue, choices in zip(self.issues, self._choices, strict=True):
            level = issue.levels.index(terms[issue.name]) if issue.name in terms else OPEN
            hit = np.flatnonzero(choices == level)
            if len(hit) == 0:
                raise KeyError(f"no outcome with terms {dict(terms)}")
            pos = pos * len(choices) + int(hit[0])
        if pos < self._offset:
            raise KeyError(f"no outcome with terms {dict(terms)}")
        return pos - self._offset

    # the per-issue helpers read only the issues: the enumerated space's own code
    weight_vector = OutcomeSpace.weight_vector
    status_quo_values = OutcomeSpace.status_quo_values

    # ------------------------------------------------------------------ masks
    def everything(self) -> ProductMask:
        """Every outcome."""
        return ProductMask(self, tuple(np.ones(len(c), bool) for c in self._choices))

    def nothing(self) -> ProductMask:
        """No outcome."""
        return ProductMask(self, tuple(np.ones(len(c), bool) for c in self._choices), ((),))

    def consistent_with(self, agreed: Mapping[int, int]) -> ProductMask:
        """Outcomes that keep already-agreed issues and add at least one more."""
        allowed = tuple(
            (c == agreed[j]) if j in agreed else np.ones(len(c), bool)
            for j, c in enumerate(self._choices)
        )
        needs = (tuple(j for j in range(self.n_issues) if j not in agreed),) if agreed else ()
        return ProductMask(self, allowed, needs)

    def open_only(self, blocked: np.ndarray) -> ProductMask:
        """Outcomes leaving every ``blocked`` issue open."""
        allowed = tuple(
            (c == OPEN) if b else np.ones(len(c), bool)
            for c, b in zip(self._choices, blocked, strict=True)
        )
        return ProductMask(self, allowed)


@dataclass(frozen=True, eq=False)
class ProductMask:
    """A mask over a ``LazySpace``: per issue, the choices allowed, and sets of issues of
    which an outcome must cover at least one (each set a condition; all must hold)."""

    space: LazySpace
    allowed: tuple[np.ndarray, ...]
    needs: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", tuple(read_only(a) for a in self.allowed))

    def __getitem__(self, index: Any) -> Any:
        scalar = np.ndim(index) == 0
        d = self.space.digits(np.atleast_1d(index))
        ok = np.ones(len(d), dtype=bool)
        for j, allowed in enumerate(self.allowed):
            ok &= allowed[d[:, j]]
        for issues in self.needs:
            cover = np.zeros(len(d), dtype=bool)
            for j in issues:
                cover |= self.space._choices[j][d[:, j]] != OPEN
            ok &= cover
        return bool(ok[0]) if scalar else read_only(ok)

    def any(self) -> bool:
        """True if some outcome is in the mask: covering every issue it can never hurts."""
        if not all(a.any() for a in self.allowed):
            return False
        can_cover = [
            bool((a & (c != OPEN)).any())
            for a, c in zip(self.allowed, self.space._choices, strict=True)
        ]
        if self.space._offset and not any(can_cover):
            return False  # only the outcome covering nothing, which the space leaves out
        return all(any(can_cover[j] for j in issues) for issues in self.needs)

    def indices(self, limit: int) -> np.ndarray | None:
        """The outcomes in the mask, ascending, listed from the allowed choices; None when
        the choices allowed combine into more than ``limit`` (then the mask is searched)."""
        allowed = [np.flatnonzero(a) for a in self.allowed]
        if math.prod(len(a) for a in allowed) > limit:
            return None
        grid = np.meshgrid(*allowed, indexing="ij")  # ascending digits: ascending positions
        digits = np.stack([g.ravel() for g in grid], axis=1).astype(np.int64)
        ok = np.ones(len(digits), dtype=bool)
        covered = [c[digits[:, j]] != OPEN for j, c in enumerate(self.space._choices)]
        for issues in self.needs:
            ok &= np.logical_or.reduce([covered[j] for j in issues]) if issues else False
        if self.space._offset:  # the outcome covering nothing is not in the space
            ok &= np.logical_or.reduce(covered)
        pos = np.ravel_multi_index(tuple(digits[ok].T), tuple(self.space._radix.tolist()))
        return read_only(pos.astype(np.int64) - self.space._offset)

    def __and__(self, other: ProductMask) -> ProductMask:
        if other.space is not self.space:
            raise ValueError("masks of different spaces")
        allowed = tuple(a & b for a, b in zip(self.allowed, other.allowed, strict=True))
        return ProductMask(self.space, allowed, _union(self.needs, other.needs))

    def same(self, other: object) -> bool:
        """The same outcomes: both empty, or built alike (the same choices and conditions)."""
        if not isinstance(other, ProductMask) or other.space is not self.space:
            return False
        if not self.any() and not other.any():
            return True
        return all(
            np.array_equal(a, b) for a, b in zip(self.allowed, other.allowed, strict=True)
        ) and set(self.needs) == set(other.needs)


Needs = tuple[tuple[int, ...], ...]  # sets of issues an outcome must cover one of


def _union(a: Needs, b: Needs) -> Needs:
    """The conditions of both masks, each once, in order."""
    return tuple(dict.fromkeys([*a, *b]))


def is_lazy(space: Any) -> bool:
    """True for a space never enumerated (``LazySpace``)."""
    return bool(getattr(space, "lazy", False))


@dataclass(frozen=True, eq=False)
class IssueUnion:
    """A mask over a ``LazySpace``: outcomes taking, at some issue, a choice its table
    marks (e.g. a level needing legislation)."""

    space: LazySpace
    tables: tuple[np.ndarray, ...]  # per issue, over its choices

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(read_only(t) for t in self.tables))

    def __getitem__(self, index: Any) -> Any:
        scalar = np.ndim(index) == 0
        d = self.space.digits(np.atleast_1d(index))
        out = np.zeros(len(d), dtype=bool)
        for j, table in enumerate(self.tables):
            if table.any():
                out |= table[d[:, j]]
        return bool(out[0]) if scalar else read_only(out)

    def any(self) -> bool:
        """True if some outcome is in the mask (a marked choice is a level: it is covered)."""
        return any(bool(t.any()) for t in self.tables)
