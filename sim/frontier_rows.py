"""Runs on outcome spaces too large to enumerate (issue 13): keep only the outcomes the
negotiation can ever pick, found issue by issue.

A strategy whose classifier declares ``frontier_offers`` proposes the first outcome (lowest
index) maximising its modelled opponent's utility plus a tiny share of its own among the
outcomes worth its aspiration, and accepts on its own utility alone.  Such a pick is never
beaten on both its own and its modelled opponent's utility, so on a space where every value
is additive and nothing masks outcomes during the run (``config_schema.frontier_problem``)
the run picks only outcomes on three frontiers: the US's own utility against its model of
China's, China's against its model of the US's, and the true pair (for the Nash product and
the distance to the frontier the summary reports).  They are merged issue by issue
(a combination beaten on both utilities by ``MARGIN`` is dropped, with every completion
of it beaten likewise), so memory and time grow with the frontiers and the sum of the
levels, not their product, unless values tie (every tied outcome is kept: a space whose
frontiers outgrow ``FRONTIER_MAX_ROWS`` is refused with the reason).  The kept rows stay in
enumeration order, so every tie the strategies break "lowest index first" falls the same
way, and their values are computed by the enumerated space's own code (``issues.Rows``).
tests/test_frontier_rows.py runs the enumerated space beside it as the oracle: the same
offers, deals and weeks.
"""

from __future__ import annotations

import numpy as np
from tradetalks.sim.config import Config
from tradetalks.sim.config_base import FRONTIER_MAX_ROWS, ConfigError
from tradetalks.sim.config_schema import frontier_problem

OPEN = -1  # an issue left open (sim/issues.OPEN; that module builds on this one)
# A prefix is dropped only when another prefix beats it by this much on both objectives.
# Numerical, not a model coefficient.  Exactness needs it far above the rounding of a sum
# of a few dozen utilities (about 1e-15, so that "beaten by the margin" in these sums is
# "beaten" in the model's own sums too); a larger margin only keeps more rows.
MARGIN = 1e-9
FANOUT = 10  # candidates of one merge step at most FANOUT × FRONTIER_MAX_ROWS (memory)


def issue_choices(cfg: Config) -> list[np.ndarray]:
    """Per issue, the levels an outcome may take in enumeration order (no interim deals: an
    issue that is not negotiable stays ``OPEN``)."""
    return [
        np.arange(len(i.levels)) if i.negotiable else np.array([OPEN]) for i in cfg.issues.values()
    ]


def _values(cfg: Config, name: str, table: str, choices: np.ndarray) -> np.ndarray:
    """Issue ``name``'s value in ``table`` at each choice (``OPEN`` reads the status quo)."""
    issue = cfg.issues[name]
    vals = issue.values.get(table)
    vals = np.zeros(len(issue.levels)) if vals is None else np.asarray(vals, dtype=float)
    return vals[np.where(choices == OPEN, issue.levels.index(issue.status_quo), choices)]


def objectives(cfg: Config) -> list[tuple[list, list]]:
    """The three pairs of per-issue tables whose frontiers hold every pick: each side's own
    utility against its model of the other (equal weights over negotiable issues, the
    strategies' prior: ``Strategy.opponent_weights``), and the two true utilities."""
    choices = issue_choices(cfg)
    negotiable = np.array([i.negotiable for i in cfg.issues.values()], dtype=float)
    equal = negotiable / negotiable.sum()
    own: dict[str, list[np.ndarray]] = {}
    model: dict[str, list[np.ndarray]] = {}
    for side in ("us", "china"):
        (member,) = cfg.teams[side].members.values()
        weights = [float(member.weights.get(n, 0.0)) for n in cfg.issues]
        vals = [_values(cfg, n, side, c) for n, c in zip(cfg.issues, choices, strict=True)]
        own[side] = [w * v for w, v in zip(weights, vals, strict=True)]
        model[side] = [float(e) * v for e, v in zip(equal, vals, strict=True)]
    return [
        (own["us"], model["china"]),
        (own["china"], model["us"]),
        (own["us"], own["china"]),
    ]


def _undominated(a: np.ndarray, b: np.ndarray, margin: float) -> np.ndarray:
    """Mask of points no other point beats by ``margin`` on both ``a`` and ``b``."""
    order = np.argsort(-a, kind="stable")
    a_s, b_s = a[order], b[order]
    best_b = np.maximum.accumulate(b_s)  # the best b among the first k points (a descending)
    # points with a ≥ a_x + margin: the first ``reach`` of the sorted order
    reach = np.searchsorted(-a_s, -(a_s + margin), side="right")
    beaten = (reach > 0) & (best_b[np.maximum(reach - 1, 0)] >= b_s + margin)
    keep = np.empty(len(a), dtype=bool)
    keep[order] = ~beaten
    return keep


def _too_many(cap: int, issues: int) -> ConfigError:
    why = (
        f"the outcome space is too large to enumerate and its frontiers hold more than {cap:,} "
        f"outcomes over its first {issues} issues (utilities that tie keep every tied outcome: "
        "e.g. opposed linear values with equal weights, or issues no side weighs); use fewer "
        "issues or levels, or values and weights that do not tie (FRONTIER_MAX_ROWS)"
    )
    return ConfigError([("issues", why)])


def margin_frontier(
    a_tables: list, b_tables: list, margin: float = MARGIN, cap: int = FRONTIER_MAX_ROWS
) -> np.ndarray:
    """Product positions (last issue fastest) of every outcome no outcome beats by ``margin``
    on both additive utilities a and b, found issue by issue (sorted); a ``ConfigError`` when
    the frontier outgrows ``cap`` rows (ties keep every tied outcome)."""
    pos, a, b = np.zeros(1, np.int64), np.zeros(1), np.zeros(1)
    for j, (ta, tb) in enumerate(zip(a_tables, b_tables, strict=True)):
        n = len(ta)
        if len(pos) * n > FANOUT * cap:
            raise _too_many(cap, j)
        pos = (pos[:, None] * n + np.arange(n)[None, :]).ravel()
        a = (a[:, None] + np.asarray(ta)[None, :]).ravel()
        b = (b[:, None] + np.asarray(tb)[None, :]).ravel()
        keep = _undominated(a, b, margin)
        pos, a, b = pos[keep], a[keep], b[keep]
        if len(pos) > cap:
            raise _too_many(cap, j + 1)
    return np.sort(pos)


def frontier_levels(cfg: Config) -> tuple[np.ndarray, np.ndarray, int]:
    """(levels, product positions, size of the product): the rows of the union of the three
    frontiers of ``objectives``, in enumeration order; a ValueError naming why if a run of
    ``cfg`` could pick outcomes off them (``config_schema.frontier_problem``)."""
    problem = frontier_problem(cfg)
    if problem is not None:
        raise ValueError(f"this configuration cannot run on its frontiers: {problem}")
    choices = issue_choices(cfg)
    positions = np.unique(np.concatenate([margin_frontier(a, b) for a, b in objectives(cfg)]))
    digits = np.unravel_index(positions, [len(c) for c in choices])
    levels = np.column_stack([c[d] for c, d in zip(choices, digits, strict=True)])
    return levels, positions, int(np.prod([len(c) for c in choices], dtype=object))
