"""Issues and the outcome space: every (possibly interim) deal as a row of a numpy array.

An outcome assigns each negotiable issue a level or leaves it open; an open issue stays at
its status-quo level.  Utilities are additive, so a team's utility of every outcome is one
matrix-vector product of the per-issue value contributions with its weights.

Everything here is read-only: strategies see the outcome space through the negotiation
view, and one space may serve many runs, so no array it holds or returns can be written
(``read_only``) and no attribute of a built space can be rebound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from tradetalks.sim.config import Config, dump_config
from tradetalks.sim.config_schema import enumerable
from tradetalks.sim.frontier_rows import frontier_levels

OPEN = -1  # marker for an issue a deal leaves open
MEMBER_CACHE_SIZE = 16  # teams' stacked member utilities kept per space (~4 MB at baseline)
LEVEL_DTYPE = np.int16  # level indices: up to MAX_LEVELS levels per issue


def _locked(a: np.ndarray) -> bool:
    """True if nothing can make ``a`` writable: its memory ends in immutable ``bytes``."""
    if a.flags.writeable:
        return False
    owner: Any = a
    while isinstance(owner, np.ndarray):
        if owner.base is None:  # an array owning its memory may set WRITEABLE back
            return False
        owner = owner.base
    return isinstance(owner, bytes)


def read_only(a: ArrayLike, dtype: Any = None) -> np.ndarray:
    """``a`` as an array nobody can write to, nor make writable again (backed by ``bytes``).

    An array that is already so is returned as it is; anything else is copied once.
    """
    arr = np.asarray(a, dtype=dtype)
    if _locked(arr):
        return arr
    flat = np.ascontiguousarray(arr)
    return np.frombuffer(flat.tobytes(), dtype=flat.dtype).reshape(flat.shape)


_ZERO = read_only(np.zeros(1))  # the value of an issue left open (``_with_open``)


def _with_open(table: ArrayLike) -> np.ndarray:
    """A per-level table with 0 appended: index ``OPEN`` (−1) reads it (``np.append``'s
    result, without its overhead)."""
    return np.concatenate((np.asarray(table, dtype=float).ravel(), _ZERO))


def _read_only_tables(tables: Mapping[str, ArrayLike]) -> Mapping[str, np.ndarray]:
    return MappingProxyType({k: read_only(v, dtype=float) for k, v in tables.items()})


class PickledByFields:
    """Pickles a frozen dataclass by its constructor arguments, read-only mappings as dicts
    (``MappingProxyType`` cannot be pickled); its ``__post_init__`` locks them again."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        values = (getattr(self, f.name) for f in fields(self))  # type: ignore[arg-type]
        return type(self), tuple(dict(v) if isinstance(v, MappingProxyType) else v for v in values)


@dataclass(frozen=True)
class Issue(PickledByFields):
    """One issue: ordered level labels, status quo, per-level values and quantities.

    ``values`` and ``quantities`` become read-only mappings of read-only arrays.
    """

    name: str
    levels: tuple[str, ...]
    status_quo: int
    concedes: str
    negotiable: bool
    values: Mapping[str, np.ndarray] = field(hash=False, compare=False)
    quantities: Mapping[str, np.ndarray] = field(hash=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "values", _read_only_tables(self.values))
        object.__setattr__(self, "quantities", _read_only_tables(self.quantities))

    @property
    def n_levels(self) -> int:
        """Number of levels of this issue."""
        return len(self.levels)


def issues_from_config(cfg: Config) -> list[Issue]:
    """Build the issue list in config order."""
    return [
        Issue(
            name=name,
            levels=tuple(ic.levels),
            status_quo=ic.levels.index(ic.status_quo),
            concedes=ic.concedes,
            negotiable=ic.negotiable,
            values=ic.values,
            quantities=ic.quantities,
        )
        for name, ic in cfg.issues.items()
    ]


def _outcome_grid(issues: tuple[Issue, ...], allow_interim: bool, min_issues: int) -> np.ndarray:
    """Every combination of levels (``OPEN`` included when interim deals are allowed)."""
    grid, keep = _full_grid(issues, allow_interim, min_issues)
    return grid[keep]


def _full_grid(
    issues: tuple[Issue, ...], allow_interim: bool, min_issues: int
) -> tuple[np.ndarray, np.ndarray]:
    """The full product of every issue's choices (last issue fastest) and the mask of rows
    covering at least ``min_issues`` issues."""
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
    return grid, (grid != OPEN).sum(axis=1) >= min_issues


def sealed_setattr(self: Any, name: str, value: Any) -> None:
    """``__setattr__`` of a space shared by runs: refused once ``_sealed`` is set."""
    if getattr(self, "_sealed", False):
        raise AttributeError(f"{type(self).__name__} is read-only: cannot set {name!r}")
    object.__setattr__(self, name, value)


def sealed_delattr(self: Any, name: str) -> None:
    """``__delattr__`` of a space shared by runs: always refused."""
    raise AttributeError(f"{type(self).__name__} is read-only: cannot delete {name!r}")


class OutcomeSpace:
    """All deals the teams can make: rows of level indices (``OPEN`` for left open).

    Read-only once built: its attributes cannot be rebound, its sequences are tuples and
    every array it holds or returns is ``read_only``.  It keeps two caches of derived
    arrays, both belonging to this space only and holding only read-only arrays: the
    per-table value contributions and the teams' stacked member utilities (bounded by
    ``MEMBER_CACHE_SIZE``).  Runs that share a space therefore share nothing they can write.
    """

    def __init__(
        self, issues: list[Issue], allow_interim: bool, min_issues: int = 1, key: str = ""
    ) -> None:
        self.key = key  # what it was built from (``space_key``); "" when built by hand
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.names: tuple[str, ...] = tuple(i.name for i in self.issues)
        full, keep = _full_grid(self.issues, allow_interim, min_issues)
        levels = full[keep]
        # additive(): per-issue choices of the full product and the rows kept from it
        self._choices = tuple(read_only(np.unique(full[:, j])) for j in range(len(self.issues)))
        dropped = np.flatnonzero(~keep)
        if len(dropped) == 0 or np.array_equal(dropped, np.arange(len(dropped))):
            self._keep: Any = slice(len(dropped), None)  # only leading rows dropped
        else:
            self._keep = read_only(np.flatnonzero(keep))
        self.levels: np.ndarray = read_only(levels)  # (n, n_issues) level index or OPEN
        self.covered: np.ndarray = read_only(levels != OPEN)
        sq = np.array([i.status_quo for i in self.issues], dtype=LEVEL_DTYPE)
        # effective level: the agreed one, or the status quo for open issues
        self.effective: np.ndarray = read_only(np.where(self.covered, levels, sq))
        self.covers_any: np.ndarray = read_only(self.covered.any(axis=1))  # a deal at all
        self.all_cover: bool = bool(self.covers_any.all())  # no empty outcome (min_issues ≥ 1)
        self._contrib: dict[str, np.ndarray] = {}
        self._member_cache: dict[tuple[str, bytes], np.ndarray] = {}
        self._sealed = True

    __setattr__ = sealed_setattr
    __delattr__ = sealed_delattr

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled (e.g. in a worker process): every array, cached ones too, read-only again."""
        locked = {k: read_only(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}
        for cache in ("_contrib", "_member_cache"):
            locked[cache] = {k: read_only(v) for k, v in state[cache].items()}
        self.__dict__.update(locked)

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
            self._contrib[table] = read_only(mat)
        return self._contrib[table]

    def additive(self, tables: list[np.ndarray | None]) -> np.ndarray:
        """Σ_j t_j(x_j) for every outcome x, with t_j a per-level table of issue j (an open
        issue counts 0; a None table is skipped): one gather per issue that has a table."""
        # the product is a full grid (last issue fastest): an outer sum issue by issue, then
        # the rows kept; contiguous adds instead of one gather per issue
        out = np.zeros(1)
        for choices, table in zip(self._choices, tables, strict=True):
            if table is None:
                col = np.zeros(len(choices))
            else:
                ext = _with_open(table)
                col = ext[np.where(choices == OPEN, len(ext) - 1, choices)]
            out = (out[:, None] + col[None, :]).ravel()
        return out[self._keep]

    def rows(self, index: np.ndarray) -> OutcomeSpace:
        """The outcomes ``index`` as a space of their own (``Rows``): every value computed on it
        equals the same outcomes' values on this space, bit for bit."""
        return Rows(self.issues, self.levels[index])

    def pairwise(self, j: int, k: int, table: np.ndarray) -> np.ndarray:
        """t(x_j, x_k) for every outcome x, ``table`` indexed by the two issues' levels (an
        outcome leaving either issue open counts 0)."""
        t = np.asarray(table, dtype=float)
        ext = np.zeros((t.shape[0] + 1, t.shape[1] + 1))
        ext[:-1, :-1] = t  # OPEN (−1) indexes the zero row and column
        return ext[self.levels[:, j], self.levels[:, k]]

    def utility(self, table: str, weights: np.ndarray) -> np.ndarray:
        """Additive utility of every outcome: Σ_i w_i v_i(x_i).

        ``einsum`` rather than ``@``: for this tall, thin matrix it avoids BLAS thread
        start-up and is several times faster here.
        """
        return read_only(np.einsum("ij,j->i", self.contributions(table), weights))

    def blended_utility(
        self, table: str, member_weights: list[np.ndarray], shares: np.ndarray
    ) -> np.ndarray:
        """Utility under influence-blended weights, Σ_m s_m (C w_m), from cached member vectors.

        Utility is linear in the weights, so a team's utility is the share-weighted sum of its
        members' utilities; those depend only on the space and the weights and are computed
        once per space (stacked member-major), which turns the weekly recomputation into one
        short product.
        """
        key = (table, b"".join(np.asarray(w, dtype=float).tobytes() for w in member_weights))
        stack = self._member_cache.get(key)
        if stack is None:
            if len(self._member_cache) >= MEMBER_CACHE_SIZE:
                self._member_cache.pop(next(iter(self._member_cache)))
            stack = read_only(np.stack([self.utility(table, w) for w in member_weights]))
            self._member_cache[key] = stack
        return read_only(np.einsum("ji,j->i", stack, np.asarray(shares, dtype=float)))

    def status_quo_values(self, table: str) -> np.ndarray:
        """Per-issue value of the status-quo level in the named table."""
        return read_only(
            [(i.values[table][i.status_quo] if table in i.values else 0.0) for i in self.issues],
            dtype=float,
        )

    def weight_vector(self, weights: Mapping[str, float]) -> np.ndarray:
        """Weights by issue name as a vector in space order (missing issues weigh 0)."""
        return read_only([weights.get(n, 0.0) for n in self.names], dtype=float)

    def row(self, x: int) -> np.ndarray:
        """Levels of outcome ``x`` (read-only; ``LazySpace`` decodes them instead)."""
        return self.levels[x]

    def terms(self, index: int) -> dict[str, str]:
        """Issue → level label for the issues outcome ``index`` covers (a new dict)."""
        row = self.levels[index]
        return {
            issue.name: issue.levels[lvl]
            for issue, lvl in zip(self.issues, row, strict=True)
            if lvl != OPEN
        }

    def index_of(self, terms: Mapping[str, str]) -> int:
        """Index of the outcome with exactly these terms (issue → level label)."""
        target = np.full(self.n_issues, OPEN, dtype=LEVEL_DTYPE)
        for j, issue in enumerate(self.issues):
            if issue.name in terms:
                target[j] = issue.levels.index(terms[issue.name])
        hits = np.flatnonzero((self.levels == target).all(axis=1))
        if len(hits) == 0:
            raise KeyError(f"no outcome with terms {terms}")
        return int(hits[0])

    def consistent_with(self, agreed: Mapping[int, int]) -> np.ndarray:
        """Mask of outcomes that keep already-agreed issues and add at least one more."""
        mask = np.ones(len(self), dtype=bool)
        for j, lvl in agreed.items():
            mask &= self.levels[:, j] == lvl
        if agreed:
            others = [j for j in range(self.n_issues) if j not in agreed]
            mask &= self.covered[:, others].any(axis=1) if others else False
        return read_only(mask)


# the config keys an outcome space is built from: a run may reuse a space if these agree
SPACE_INPUTS = ("issues", "protocol.allow_interim", "protocol.min_issues_in_deal")
# ...and, for a space too large to enumerate, the teams too: its rows are the frontiers of the
# members' utilities and strategies (``FrontierRows``)
FRONTIER_INPUTS = ("teams",)


def space_inputs(cfg: Config) -> tuple[str, ...]:
    """The config keys ``cfg``'s outcome space is built from."""
    if enumerable(cfg) or cfg.valuation is not None:
        return SPACE_INPUTS
    return SPACE_INPUTS + FRONTIER_INPUTS


def space_key(cfg: Config) -> str:
    """A canonical text of everything ``outcome_space`` reads from ``cfg`` (``space_inputs``)."""
    raw = dump_config(cfg)
    parts = {}
    for path in space_inputs(cfg):
        node: Any = raw
        for part in path.split("."):
            node = node[part]
        parts[path] = node
    return json.dumps(parts, sort_keys=True, default=str)


class Rows(OutcomeSpace):
    """Explicit outcomes (rows of levels) of a config's space, evaluated by the very code the
    enumerated space runs (contributions, member utilities, pairs); ``additive`` sums issue by
    issue, as ``OutcomeSpace.additive`` does on the full product, so values agree bit for bit."""

    def __init__(self, issues: Sequence[Issue], levels: np.ndarray, once: bool = False) -> None:
        """No product built; ``once``: valued once, so no valuation caches its values."""
        levels = read_only(np.asarray(levels, dtype=LEVEL_DTYPE).reshape(-1, len(issues)))
        sq = np.array([i.status_quo for i in issues], dtype=LEVEL_DTYPE)
        covered = read_only(levels != OPEN)
        names = tuple(i.name for i in issues)
        for name, value in (
            *{"key": "", "issues": tuple(issues), "names": names, "levels": levels}.items(),
            ("covered", covered),
            ("effective", read_only(np.where(covered, levels, sq))),
            ("covers_any", read_only(covered.any(axis=1))),
            ("all_cover", True),  # min_issues_in_deal ≥ 1: every outcome covers an issue
            ("_columns", read_only(levels.T, dtype=np.intp)),  # additive(): issue by issue
            ("once", once),
            *{"_contrib": {}, "_member_cache": {}, "_sealed": True}.items(),
        ):
            object.__setattr__(self, name, value)

    def additive(self, tables: list[np.ndarray | None]) -> np.ndarray:
        """Σ_j t_j(x_j) for each row (an open issue counts 0), summed in issue order; a None
        table adds nothing (its + 0 changes no sum begun at +0, which is never −0)."""
        out = np.zeros(len(self))
        for table, column in zip(tables, self._columns, strict=True):
            if table is not None:  # OPEN (−1) reads the 0 appended to the table
                np.add(out, _with_open(table).take(column), out)
        return out


class FrontierRows(Rows):
    """The outcomes a frontier-seeking run of ``cfg`` can pick (sim/frontier_rows.py), as the
    space it runs on: rows in enumeration order (``positions`` in the product of
    ``full_size`` outcomes), values by ``Rows``' code, the config's key."""

    def __init__(self, cfg: Config) -> None:
        levels, positions, size = frontier_levels(cfg)
        super().__init__(issues_from_config(cfg), levels)
        for name, value in (("key", space_key(cfg)), ("positions", read_only(positions))):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "full_size", size)
