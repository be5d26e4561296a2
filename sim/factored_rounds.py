"""A core-v2 round's outcomes from the factored space (issue 13; docs/design/factored-rounds.md).

The screening strategy and the mechanism read argmax-type functions over a round's outcomes:
``best_for`` (own gain, this round or the next, against the opponent's public normalised
gain), the top of a side's values and of the other side's public values, and the values of
outcomes already offered.  So the round may cover, instead of every available outcome, the
union over both sides of ``factored_v2.candidates`` for (own now, opponent public) and
(own next, opponent public) — separately, since a merge of three values drops outcomes tied
in two — over three masks: available ∩ own true win-set ∩ the other's believed win-set (the
offer set), available ∩ own true win-set (``_best``), and available alone (the strategies'
fallback) — plus the history and a settled text; a mask as long as the one before it is
the same mask, searched once.  What can be signed is per issue (agreed levels, chapters ready
and on the agenda), each ratifying body a linear constraint, and Congress's pressure on
executive deals a sum the US's value rises in, folded into it as the pressure it is once no
later issue moves that sum (``factored.Fold``: at 12 issues a round then searches 0.24 s, not
19 s).

``round_outcomes`` returns None (the mechanism then covers every available outcome) where
this does not hold: a team without a core-v2 valuation, or a body voting only on
legislation while some outcome needs its side's legislation (the deal type is then not a
sum).  The mechanism asks only when both sides' strategies declare ``factored_rounds``
(agents/strategies.py): on a space never enumerated (sim/lazy_space.py) always, on an
enumerated one when ``Negotiation.factored`` is on.  ``deal_outcomes`` and ``top_value``
find, the same way, what the mechanism measures a deal against and a side's best outcome.
The tests check, with the enumerated rounds as the oracle, that every frontier those
decisions read lies in the round's outcomes and that runs make the same offers; one gap is
known: the offer search ties values 2e-12..1e-9 apart and takes the lowest index, which may
be an outcome the merge dropped for a value slightly lower (sim/factored_v2.py) — no run
measured has met it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from tradetalks.sim.factored import Fold
from tradetalks.sim.factored_v2 import Product, Term, candidates
from tradetalks.sim.issues import OPEN, OutcomeSpace

SIDES = ("us", "china")
LEGISLATIVE = "legislative"


def _support(rat: Any, product: Product) -> tuple[np.ndarray, ...]:
    """A body's support above its base, per issue and choice: sensitivity · w_j ·
    (v_j(level) − v_j(status quo)), an open issue at its status quo (issues the body's
    weights do not name weigh 0, as ``OutcomeSpace.weight_vector`` has it)."""
    out = []
    for issue, c in zip(product.issues, product.choices, strict=True):
        w = rat.cfg.weights.get(issue.name, 0.0)
        vals = issue.values.get(rat.cfg.values)
        vals = np.zeros(issue.n_levels) if vals is None else np.asarray(vals, dtype=float)
        level = np.where(c == OPEN, issue.status_quo, c)
        out.append(rat.cfg.sensitivity * w * (vals[level] - vals[issue.status_quo]))
    return tuple(out)


def _keep(product: Product, ready: np.ndarray) -> list[np.ndarray]:
    """Per issue, the choices a signable outcome may take: only ``OPEN`` where the chapter
    is not ready or not on the agenda."""
    return [
        c == OPEN if not ok else np.ones(len(c), bool)
        for c, ok in zip(product.choices, ready, strict=True)
    ]


def round_outcomes(
    space: OutcomeSpace | Product,
    teams: Mapping[str, Any],
    ratifiers: Sequence[Any],
    chapters: Any,
    indicators: Mapping[str, float],
    agreed: Mapping[int, int],
    date: dt.date | None,
    extra: Sequence[int],
) -> np.ndarray | None:
    """The round's outcomes (enumerated indices, ascending), or None where the factored
    search does not apply (module docstring).  ``extra``: outcomes offered or settled.
    ``space`` may be a ``Product`` never enumerated (indices then count the outcomes it
    would enumerate)."""
    if any(getattr(t, "valuation", None) is None for t in teams.values()):
        return None
    for rat in ratifiers:
        if rat.cfg.applies_to == LEGISLATIVE and chapters.legislative(rat.side).any():
            return None
    product = _product(space)
    keep = _keep(product, chapters.ready(date))
    support = [_support(rat, product) for rat in ratifiers]  # the same for both sides
    found = [np.asarray(list(extra), dtype=np.int64)]
    for side in SIDES:
        other = "china" if side == "us" else "us"
        own_team, opp_team = teams[side], teams[other]
        opp = Term(opp_team.observed, other)
        true_, believed = [], []
        for rat, col in zip(ratifiers, support, strict=True):
            if rat.cfg.applies_to == LEGISLATIVE:  # votes on no outcome here: presses the US
                continue
            if rat.side == side:
                true_.append((col, rat.threshold - rat.base(indicators)))
            else:
                believed.append((col, rat.threshold_for(True) - rat.base(indicators)))
        # Congress presses the US: own value (term 0), or the opponent's (term 1)
        pressure = _pressure(ratifiers, support, indicators, 0 if side == "us" else 1)
        masks: list[list] = []  # nested: a mask as long as the one before is the same
        for bodies in (true_ + believed, true_, []):
            if not masks or len(bodies) != len(masks[-1]):
                masks.append(bodies)
        for own in (Term(own_team.valuation, side), Term(own_team.valuation, side, True)):
            for bodies in masks:
                found.append(_search(product, (own, opp), agreed, keep, bodies, pressure))
    return np.unique(np.concatenate(found))


def _search(
    product: Product,
    terms: tuple[Term, Term],
    agreed: Mapping[int, int] | None,
    keep: Sequence[np.ndarray] | None,
    bodies: Sequence[tuple[tuple[np.ndarray, ...], float]],
    pressure: tuple[list, list[Fold]],
) -> np.ndarray:
    """``candidates`` of two terms inside the bodies' win-sets (support column, threshold
    above the base), with Congress's pressure folded in."""
    rises, folds = pressure
    return candidates(
        product,
        terms,
        agreed=agreed,
        keep=keep,
        constraints=[col for col, _ in bodies],
        thresholds=[t for _, t in bodies],
        monotone=rises,
        folds=folds,
    ).index


def _pressure(
    ratifiers: Sequence[Any],
    support: Sequence[tuple[np.ndarray, ...]],
    indicators: Mapping[str, float],
    term: int,
) -> tuple[list, list[Fold]]:
    """Congress's pressure on executive deals (``chapters.congress_pressure``): the sums the
    US's value (``term``) rises in, folded as the pressure they are once final."""
    rises, folds = [], []
    for rat, col in zip(ratifiers, support, strict=True):
        if rat.cfg.applies_to == LEGISLATIVE and rat.side == "us" and rat.cfg.pressure_weight:
            level = rat.threshold - rat.base(indicators)
            folds.append(Fold(len(rises), term, rat.cfg.pressure_weight, level))
            rises.append(col)
    return rises, folds


def _product(space: Any) -> Product:
    """The product of ``space``'s choices (a ``LazySpace`` carries its own)."""
    if isinstance(space, Product):
        return space
    if getattr(space, "lazy", False):  # never enumerated: the product it numbers
        return Product.build(space.issues, space.allow_interim, space.min_issues)
    return Product.of(space)


def deal_outcomes(
    space: Any,
    teams: Mapping[str, Any],
    ratifiers: Sequence[Any],
    indicators: Mapping[str, float],
    agreed: Mapping[int, int],
    keep: Sequence[np.ndarray],
) -> np.ndarray:
    """A superset of the Pareto frontier of both sides' true values (the US's less Congress's
    pressure) over the outcomes a deal is chosen from: those ``agreed`` and ``keep`` allow
    inside every body's true win-set (what ``Negotiation._deal_values`` measures a deal
    against), found issue by issue."""
    terms = (Term(teams["us"].valuation, "us"), Term(teams["china"].valuation, "china"))
    return ratified(space, terms, ratifiers, indicators, agreed, keep)


def ratified(
    space: Any,
    terms: tuple[Term, Term],
    ratifiers: Sequence[Any],
    indicators: Mapping[str, float],
    agreed: Mapping[int, int] | None = None,
    keep: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """A superset (enumerated indices, ascending) of the Pareto frontier of two terms, the
    US's less Congress's pressure, over the outcomes ``agreed`` and ``keep`` allow inside every
    body's true win-set: ``deal_outcomes``, and ``tradetalks space`` on a space too large to
    enumerate."""
    product = _product(space)
    bodies, pressure = limits(product, ratifiers, indicators)
    return _search(product, terms, agreed, keep, bodies, pressure)


def limits(
    product: Product, ratifiers: Sequence[Any], indicators: Mapping[str, float]
) -> tuple[list[tuple[tuple[np.ndarray, ...], float]], tuple[list, list[Fold]]]:
    """Every body's true win-set as (support per issue and choice, threshold above its base),
    and Congress's pressure on the US's value (term 0) as sums and folds (``_pressure``)."""
    support = [_support(rat, product) for rat in ratifiers]
    bodies = [
        (col, rat.threshold - rat.base(indicators))
        for rat, col in zip(ratifiers, support, strict=True)
        if rat.cfg.applies_to != LEGISLATIVE
    ]
    return bodies, _pressure(ratifiers, support, indicators, 0)


def top_value(
    space: Any,
    teams: Mapping[str, Any],
    side: str,
    ratifiers: Sequence[Any],
    indicators: Mapping[str, float],
) -> float:
    """The best of ``side``'s utility over the whole space (what ``Negotiation._best`` falls
    back to), found issue by issue: the top of the frontier of its value against itself."""
    product = _product(space)
    team = teams[side]
    support = [_support(rat, product) for rat in ratifiers] if side == "us" else []
    pressure = _pressure(ratifiers, support, indicators, 0) if side == "us" else ([], [])
    own = Term(team.valuation, side)
    index = _search(product, (own, own), None, None, [], pressure)
    return float(team.utility_at(space.rows(index), index).max())
