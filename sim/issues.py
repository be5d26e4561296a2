"""Issues and the outcome space: every (possibly interim) deal as a row of a numpy array.

An outcome assigns each negotiable issue a level or leaves it open; an open issue stays at
its status-quo level.  Utilities are additive, so a team's utility of every outcome is one
matrix-vector product of the per-issue value contributions with its weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from tradetalks.sim.config import Config, dump_config

OPEN = -1  # marker for an issue a deal leaves open
MEMBER_CACHE_SIZE = 16  # teams' stacked member utilities kept per space (~4 MB at baseline)
LEVEL_DTYPE = np.int16  # level indices: up to MAX_LEVELS levels per issue


@dataclass(frozen=True)
class Issue:
    """One issue: ordered level labels, status quo, per-level values and quantities."""

    name: str
    levels: tuple[str, ...]
    status_quo: int
    concedes: str
    negotiable: bool
    values: dict[str, np.ndarray] = field(hash=False, compare=False)
    quantities: dict[str, np.ndarray] = field(hash=False, compare=False)

    @property
    def n_levels(self) -> int:
        """Number of levels of this issue."""
        return len(self.levels)


def issues_from_config(cfg: Config) -> list[Issue]:
    """Build the issue list in config order."""
    out = []
    for name, ic in cfg.issues.items():
        out.append(
            Issue(
                name=name,
                levels=tuple(ic.levels),
                status_quo=ic.levels.index(ic.status_quo),
                concedes=ic.concedes,
                negotiable=ic.negotiable,
                values={k: np.asarray(v, dtype=float) for k, v in ic.values.items()},
                quantities={k: np.asarray(v, dtype=float) for k, v in ic.quantities.items()},
            )
        )
    return out


class OutcomeSpace:
    """All deals the teams can make: rows of level indices (``OPEN`` for left open)."""

    def __init__(self, issues: list[Issue], allow_interim: bool, min_issues: int = 1) -> None:
        self.issues = issues
        self.names = [i.name for i in issues]
        choices = []
        for issue in issues:
            if not issue.negotiable:
                choices.append([OPEN])
            elif allow_interim:
                choices.append([OPEN, *range(issue.n_levels)])
            else:
                choices.append(list(range(issue.n_levels)))
        mesh = np.meshgrid(*[np.array(c, dtype=LEVEL_DTYPE) for c in choices], indexing="ij")
        grid = np.stack(mesh, axis=-1).reshape(-1, len(issues))
        covered = grid != OPEN
        grid = grid[covered.sum(axis=1) >= min_issues]
        self.levels: np.ndarray = grid  # (n, n_issues) level index or OPEN
        self.levels.setflags(write=False)
        self.covered: np.ndarray = self.levels != OPEN
        sq = np.array([i.status_quo for i in issues], dtype=LEVEL_DTYPE)
        # effective level: the agreed one, or the status quo for open issues
        self.effective: np.ndarray = np.where(self.covered, self.levels, sq)
        self._contrib: dict[str, np.ndarray] = {}
        self._member_cache: dict[tuple[str, bytes], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.levels)

    @property
    def n_issues(self) -> int:
        """Number of issues (negotiable or not)."""
        return len(self.issues)

    def contributions(self, table: str) -> np.ndarray:
        """(n_outcomes, n_issues) matrix of per-issue values from the named values table."""
        if table not in self._contrib:
            cols = []
            for j, issue in enumerate(self.issues):
                vals = issue.values.get(table)
                if vals is None:
                    vals = np.zeros(issue.n_levels)
                cols.append(vals[self.effective[:, j]])
            mat = np.column_stack(cols) if cols else np.zeros((len(self), 0))
            mat.setflags(write=False)
            self._contrib[table] = mat
        return self._contrib[table]

    def utility(self, table: str, weights: np.ndarray) -> np.ndarray:
        """Additive utility of every outcome: Σ_i w_i v_i(x_i).

        ``einsum`` rather than ``@``: for this tall, thin matrix it avoids BLAS thread
        start-up and is several times faster here.
        """
        return np.einsum("ij,j->i", self.contributions(table), weights)

    def blended_utility(
        self, table: str, member_weights: list[np.ndarray], shares: np.ndarray
    ) -> np.ndarray:
        """Utility under influence-blended weights, Σ_m s_m (C w_m), from cached member vectors.

        Utility is linear in the weights, so a team's utility is the share-weighted sum of its
        members' utilities; those depend only on config and are computed once per process
        (stacked member-major), which turns the weekly recomputation into one short product.
        """
        key = (table, b"".join(np.asarray(w, dtype=float).tobytes() for w in member_weights))
        stack = self._member_cache.get(key)
        if stack is None:
            if len(self._member_cache) >= MEMBER_CACHE_SIZE:
                self._member_cache.pop(next(iter(self._member_cache)))
            stack = np.stack([self.utility(table, w) for w in member_weights])
            stack.setflags(write=False)
            self._member_cache[key] = stack
        return np.einsum("ji,j->i", stack, np.asarray(shares, dtype=float))

    def status_quo_values(self, table: str) -> np.ndarray:
        """Per-issue value of the status-quo level in the named table."""
        return np.array(
            [(i.values[table][i.status_quo] if table in i.values else 0.0) for i in self.issues]
        )

    def weight_vector(self, weights: dict[str, float]) -> np.ndarray:
        """Weights by issue name as a vector in space order (missing issues weigh 0)."""
        return np.array([weights.get(n, 0.0) for n in self.names], dtype=float)

    def terms(self, index: int) -> dict[str, str]:
        """Issue → level label for the issues outcome ``index`` covers."""
        row = self.levels[index]
        return {
            issue.name: issue.levels[lvl]
            for issue, lvl in zip(self.issues, row, strict=True)
            if lvl != OPEN
        }

    def index_of(self, terms: dict[str, str]) -> int:
        """Index of the outcome with exactly these terms (issue → level label)."""
        target = np.full(self.n_issues, OPEN, dtype=LEVEL_DTYPE)
        for j, issue in enumerate(self.issues):
            if issue.name in terms:
                target[j] = issue.levels.index(terms[issue.name])
        hits = np.flatnonzero((self.levels == target).all(axis=1))
        if len(hits) == 0:
            raise KeyError(f"no outcome with terms {terms}")
        return int(hits[0])

    def consistent_with(self, agreed: dict[int, int]) -> np.ndarray:
        """Mask of outcomes that keep already-agreed issues and add at least one more."""
        mask = np.ones(len(self), dtype=bool)
        for j, lvl in agreed.items():
            mask &= self.levels[:, j] == lvl
        if agreed:
            others = [j for j in range(self.n_issues) if j not in agreed]
            mask &= self.covered[:, others].any(axis=1) if others else False
        return mask

    def quantity(self, index: int, name: str) -> float | None:
        """Value of an economic quantity implied by outcome ``index`` (None if no issue sets it)."""
        for j, issue in enumerate(self.issues):
            if name in issue.quantities and self.covered[index, j]:
                return float(issue.quantities[name][self.levels[index, j]])
        return None


_SPACE_CACHE: dict[tuple[str, bool, int], OutcomeSpace] = {}
_SPACE_CACHE_SIZE = 8  # distinct issue sets kept (sweeps reuse one)


def outcome_space(cfg: Config) -> OutcomeSpace:
    """The outcome space of a config; identical issue sets share one read-only space."""
    key = (
        json.dumps(dump_config(cfg)["issues"], sort_keys=True, default=str),
        cfg.protocol.allow_interim,
        cfg.protocol.min_issues_in_deal,
    )
    space = _SPACE_CACHE.get(key)
    if space is None:
        if len(_SPACE_CACHE) >= _SPACE_CACHE_SIZE:
            _SPACE_CACHE.pop(next(iter(_SPACE_CACHE)))
        space = OutcomeSpace(issues_from_config(cfg), key[1], key[2])
        _SPACE_CACHE[key] = space
    return space
