"""``tradetalks space CONFIG [--json]``: the bargaining space at the start of a run.

Computes week 0 of the run without Mesa, as ``sim.start`` does (checked against the model
by the tests), then reports the number of outcomes, how many both sides could ratify and how
many are individually rational, the Pareto frontier of the ratifiable outcomes, and the
Nash, Kalai–Smorodinsky and maximum-welfare points relative to the reservation values.

It never builds the enumerated outcome space (issue 13).  Up to ``STREAM_LIMIT`` outcomes it
values the product in one pass, ``CHUNK`` outcomes at a time (memory grows with the chunk,
time with the product).  Above that, additive values and win-sets: the frontier is merged
issue by issue (``sim.factored``) and counts meet in the middle.  Core v2's values, which are
not sums (the hostage term, Congress's pressure, jointly valued issues, disputes): the
frontier comes from the search its rounds use (``sim.factored_rounds.ratified``) and the
individually rational outcomes are counted with the coupled issues combined into one issue
first (``sim.factored_count.count_coupled``), so 762 million outcomes take seconds
(``search_problem`` says where this does not apply).  Other spaces whose values or win-sets
are not additive carry the extra sums through the merge and stream their counts, so they are
refused above the schema's limit.  Every way, outcomes are valued by the model's own code on
explicit rows (``Week0.evaluate``), so every figure is the enumerated one bit for bit; the
enumerated report (``bargaining_space``, ``sim.analysis``) is the tests' oracle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradetalks.console import (
    CONFIG_HELP,
    SEED_HELP,
    SET_HELP,
    SET_METAVAR,
    app,
    fail,
    load_scenario,
)

if TYPE_CHECKING:
    import numpy as np

    from tradetalks.sim.factored import FactoredSpace, Frontier
    from tradetalks.sim.issues import Issue, Rows
    from tradetalks.sim.payoffs import Ratifier

FRONTIER_SHOWN = 12  # frontier points listed in the readable output (all of them in --json)
STREAM_LIMIT = 1 << 21  # outcomes valued by streaming the product at or below this many
CHUNK = 1 << 16  # outcomes valued at once when streaming (memory, not results)
# Outcomes the command accepts when values and win-sets are additive: counting meets in the
# middle over two halves of about 10^5 sums each.  Other spaces keep the schema's limit
# (``sim.config_base.MAX_OUTCOMES``): their counts stream the product.
FACTORED_MAX_OUTCOMES = 10**10
SIDES = ("us", "china")


def bargaining_space(start: Any) -> Any:
    """The ``BargainingSpace`` of a run's week 0 (``sim.start.StartingPoint``): the enumerated
    report, the tests' oracle for ``factored_report``."""
    from tradetalks.sim.analysis import BargainingSpace

    feasible = start.winset["us"] & start.winset["china"]
    return BargainingSpace(
        space=start.space,
        utility=start.utility,
        reservation=start.reservation,
        feasible=feasible,
    )


@dataclass
class Week0:
    """Week 0 of a run without its outcome space: what ``sim.start.starting_point`` computes
    once (world, farms, private thresholds, the projection or the teams' positions), and the
    utilities and win-sets of any rows of outcomes from it, exactly as the model's."""

    cfg: Any
    seed: int
    issues: list[Issue]
    world: Any
    reservation: dict[str, float]
    valuation: Any = None  # core v2: the projection of week 0
    positions: dict[str, Any] = field(default_factory=dict)  # before core v2: team positions

    def rows(self, levels: Any = None) -> Rows:
        """Explicit outcomes (None: no outcome, for what depends on the issues only), valued
        once: no valuation caches their values (a stream values thousands of chunks)."""
        import numpy as np

        from tradetalks.sim.issues import Rows

        n = len(self.issues)
        return Rows(self.issues, np.zeros((0, n)) if levels is None else levels, once=True)

    def live(self) -> dict[str, float]:
        """The live indicators bodies take their base support from."""
        from tradetalks.sim.start import indicators

        return indicators(self.world)

    def ratifiers(self, rows: Rows) -> list[Ratifier]:
        """The domestic bodies on these rows, with their private thresholds drawn."""
        from tradetalks.sim.payoffs import Ratifier
        from tradetalks.sim.start import draw_private

        bodies = [Ratifier(name, r, rows) for name, r in self.cfg.ratifiers.items()]
        draw_private(bodies, self.seed)
        return bodies

    def evaluate(self, levels: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Both sides' utilities of each row and whether both sides' bodies ratify it."""
        from tradetalks.sim.chapters import Chapters, congress_pressure

        rows = self.rows(levels)
        bodies, chapters, live = (
            self.ratifiers(rows),
            Chapters.from_config(self.cfg, rows),
            self.live(),
        )
        utility = {}
        for side in SIDES:
            if self.valuation is None:
                team = self.cfg.teams[side]
                weights = [rows.weight_vector(m.weights) for m in team.members.values()]
                utility[side] = rows.blended_utility(side, weights, self.positions[side].influence)
            else:
                utility[side] = self.valuation.utility(side, rows)
        if self.valuation is not None:
            pressure = congress_pressure(rows, bodies, chapters, live)
            if pressure.any():
                utility["us"] = utility["us"] - pressure
        ok = chapters.winset("us", bodies, live) & chapters.winset("china", bodies, live)
        return utility, ok


def week0(cfg: Any, seed: int) -> Week0:
    """Week 0 of ``(cfg, seed)`` as ``sim.start.starting_point`` computes it, without a space."""
    import numpy as np

    from tradetalks.agents.farm_population import initial_population
    from tradetalks.sim.issues import issues_from_config
    from tradetalks.sim.payoffs import team_position
    from tradetalks.sim.start import initial_world, sync_farms
    from tradetalks.sim.streams import stream_seed

    rng = np.random.default_rng(stream_seed(seed, "farmers"))
    world = initial_world(cfg)
    _, farmers = initial_population(cfg.world.farmers, rng)
    sync_farms(world, farmers, talks_signal=0.0)
    w0 = Week0(cfg, seed, issues_from_config(cfg), world, {})
    if cfg.valuation is not None:
        w0.valuation = projection(w0, farmers)
        w0.reservation = {side: float(w0.valuation.r[side]) for side in SIDES}
        return w0
    pressures, none = world.pressures(), w0.rows()
    for side in SIDES:
        team = cfg.teams[side]
        weights = [none.weight_vector(m.weights) for m in team.members.values()]
        w0.positions[side] = team_position(team, weights, pressures)
        w0.reservation[side] = w0.positions[side].reservation
    return w0


def projection(w0: Week0, farmers: Any) -> Any:
    """Core v2: week 0's ``Valuation``, as ``sim.start.projected_values`` projects it."""
    from tradetalks.sim.chapters import Chapters
    from tradetalks.sim.start import week0_valuation

    cfg, none = w0.cfg, w0.rows()
    return week0_valuation(cfg, none, w0.world, farmers, Chapters.from_config(cfg, none))


def choices_of(cfg: Any, issues: list[Issue]) -> tuple[np.ndarray, ...]:
    """Each issue's choices in the order ``OutcomeSpace`` enumerates them (OPEN first)."""
    import numpy as np

    from tradetalks.sim.issues import OPEN

    out = []
    for issue in issues:
        levels = list(range(issue.n_levels))
        if not issue.negotiable:
            levels = [OPEN]
        elif cfg.protocol.allow_interim:
            levels = [OPEN, *levels]
        out.append(np.array(levels))
    return tuple(out)


def _column(w0: Week0, value: Any, open_at_status_quo: bool = False) -> tuple[np.ndarray, ...]:
    """Per issue, ``value(j, issue, level)`` at each of its choices; an open issue counts 0,
    or its status quo's value (``open_at_status_quo``, as values tables count it)."""
    import numpy as np

    def at(j: int, issue: Issue, c: int) -> float:
        if c < 0 and not open_at_status_quo:
            return 0.0
        return float(value(j, issue, issue.status_quo if c < 0 else c))

    pairs = zip(w0.issues, choices_of(w0.cfg, w0.issues), strict=True)
    return tuple(np.array([at(j, i, int(c)) for c in ch]) for j, (i, ch) in enumerate(pairs))


def _values(issue: Issue, table: str, level: int) -> float:
    """An issue's value of a level in a values table (0 without that table)."""
    vals = issue.values.get(table)
    return 0.0 if vals is None else float(vals[level])


def _utilities(w0: Week0) -> list[tuple[np.ndarray, ...]]:
    """Each side's additive value per choice (the US's without its hostage issues)."""
    from tradetalks.sim.payoffs import blend_weights

    v, out = w0.valuation, []
    for side in SIDES:
        if v is None:
            team, none = w0.cfg.teams[side], w0.rows()
            members = [none.weight_vector(m.weights) for m in team.members.values()]
            w = blend_weights(members, w0.positions[side].influence)
            value = lambda j, i, lv, w=w, s=side: w[j] * _values(i, s, lv)  # noqa: E731
            out.append(_column(w0, value, open_at_status_quo=True))
        else:
            out.append(_parts(w0, side).additive)
    return out


def _parts(w0: Week0, side: str) -> Any:
    """Core v2: ``side``'s value at week 0 split for the merge (``sim.factored_v2.parts``)."""
    from tradetalks.sim.factored_v2 import Term, parts

    return parts(Term(w0.valuation, side), choices_of(w0.cfg, w0.issues))


def distinct(columns: list[tuple[np.ndarray, ...]]) -> tuple[tuple[np.ndarray, ...], ...]:
    """The columns less repeats (two terms of one valuation share their grouping sums) and
    less columns that are zero everywhere (they group nothing)."""
    import numpy as np

    out: list[tuple[np.ndarray, ...]] = []
    for col in columns:
        if not any(np.any(c) for c in col):
            continue
        if any(all(np.array_equal(a, b) for a, b in zip(col, o, strict=True)) for o in out):
            continue
        out.append(col)
    return tuple(out)


def _not_additive(w0: Week0, bodies: list[Ratifier]) -> tuple[list, list]:
    """Sums the US's value rises with (the hostage issues' gains) and grouping sums (retained
    tariffs, the levels of jointly valued issues, the delivery rate and purchases level of
    the dispute term: ``sim.factored_v2.parts``; each side's legislative levels)."""
    monotone, grouping = [], []
    if w0.valuation is not None:
        split = [_parts(w0, side) for side in SIDES]
        monotone += [m for p in split for m in p.monotone]
        grouping += distinct([g for p in split for g in p.grouping])
    for side in sorted({b.side for b in bodies if b.cfg.applies_to == "legislative"}):
        flags = {n: ic.needs_legislation or () for n, ic in w0.cfg.issues.items()}
        grouping.append(
            _column(
                w0,
                lambda j, i, lv, s=side, f=flags: float(
                    i.concedes in (s, "both") and bool(f[i.name]) and bool(f[i.name][lv])
                ),
            )
        )
    return monotone, grouping


def factored_space(w0: Week0) -> tuple[FactoredSpace, bool]:
    """Week 0 issue by issue: each side's additive value per choice, each body's support above
    its base (a constraint; for a body voting on legislation only, a sum the US's value rises
    with, Congress's pressure falling) and the sums ``_not_additive`` adds; and whether values
    and win-sets are additive (then counts can meet in the middle)."""
    from tradetalks.sim.factored import FactoredSpace

    bodies, live = w0.ratifiers(w0.rows()), w0.live()
    hard, soft, thresholds = [], [], []
    for rat in bodies:
        w, t, sens = rat.space.weight_vector(rat.cfg.weights), rat.cfg.values, rat.cfg.sensitivity
        col = _column(
            w0,
            lambda j, i, lv, w=w, t=t, k=sens: (
                k * w[j] * (_values(i, t, lv) - _values(i, t, i.status_quo))
            ),
        )
        if rat.cfg.applies_to == "legislative":
            soft.append(col)
        else:
            hard.append(col)
            thresholds.append(rat.threshold - rat.base(live))
    monotone, grouping = _not_additive(w0, bodies)
    tables = _utilities(w0)
    fs = FactoredSpace(
        tuple(i.name for i in w0.issues),
        choices_of(w0.cfg, w0.issues),
        (tables[0], tables[1]),
        w0.cfg.protocol.min_issues_in_deal,
        tuple(hard),
        tuple(thresholds),
        (*soft, *monotone),
        tuple(grouping),
    )
    return fs, not soft and not monotone and not grouping


def _rational(u1: np.ndarray, u2: np.ndarray, r: tuple[float, float]) -> np.ndarray:
    """Individually rational, as ``sim.analysis.rational_mask`` rounds."""
    from tradetalks.sim.analysis import tidy

    return (tidy(u1) >= float(round(r[0], 12))) & (tidy(u2) >= float(round(r[1], 12)))


def streamed(w0: Week0, fs: FactoredSpace, frontier: bool = True) -> tuple[Any, int, int]:
    """The frontier (None unless ``frontier``) and both counts in one pass over the product
    in chunks of ``CHUNK`` outcomes: memory grows with the chunk, time with the product."""
    import numpy as np

    from tradetalks.sim.analysis import pareto_mask
    from tradetalks.sim.factored import ordered
    from tradetalks.sim.issues import OPEN

    r = (w0.reservation["us"], w0.reservation["china"])
    radix = [len(c) for c in fs.choices]
    feasible = rational = 0
    u1, u2, pos, lev = np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros((0, len(radix)))
    for start in range(0, fs.size, CHUNK):
        p = np.arange(start, min(fs.size, start + CHUNK))
        digits = np.unravel_index(p, radix)
        chunk = np.column_stack([c[d] for c, d in zip(fs.choices, digits, strict=True)])
        kept = (chunk != OPEN).sum(axis=1) >= fs.min_issues
        u, ok = w0.evaluate(chunk[kept])
        feasible += int(ok.sum())
        rational += int((ok & _rational(u["us"], u["china"], r)).sum())
        if frontier:
            u1, u2 = np.r_[u1, u["us"][ok]], np.r_[u2, u["china"][ok]]
            pos, lev = np.r_[pos, p[kept][ok]], np.r_[lev, chunk[kept][ok]]
            best = pareto_mask(u1, u2)
            u1, u2, pos, lev = u1[best], u2[best], pos[best], lev[best]
    return (ordered(u1, u2, pos, lev) if frontier else None), feasible, rational


def counts(w0: Week0, fs: FactoredSpace) -> tuple[int, int]:
    """(ratifiable by both sides, individually rational too) of an additive space, counted by
    meeting in the middle (``sim.factored.count_meeting``)."""
    from tradetalks.sim.factored_count import count_meeting

    r = (w0.reservation["us"], w0.reservation["china"])
    feasible = count_meeting(fs, fs.constraints, fs.thresholds)
    v = w0.valuation
    base = [0.0, 0.0] if v is None else [v.r[s] + v.any_deal[s] for s in SIDES]
    thresholds = (r[0] - base[0], r[1] - base[1], *fs.thresholds)
    return feasible, count_meeting(fs, (*fs.tables, *fs.constraints), thresholds)


def factored_frontier(w0: Week0, fs: FactoredSpace) -> Frontier:
    """The Pareto frontier of the ratifiable outcomes: the merged candidates, valued exactly."""
    from tradetalks.sim.analysis import pareto_mask
    from tradetalks.sim.factored import ordered

    _, pos, lev = fs.candidates()
    u, ok = w0.evaluate(lev)
    u1, u2, pos, lev = u["us"][ok], u["china"][ok], pos[ok], lev[ok]
    best = pareto_mask(u1, u2)
    return ordered(u1[best], u2[best], pos[best], lev[best])


def search_problem(w0: Week0) -> str | None:
    """Why core v2's search issue by issue (``searched``) cannot find this space's frontier
    and counts, every reason joined by "; " (None: it can)."""
    import math

    from tradetalks.sim.config_schema import coupled_problem, legislation_votes
    from tradetalks.sim.factored_v2 import coupled_issues

    if w0.valuation is None:
        return "[valuation] is not set (core v2 only)"
    why = legislation_votes(w0.cfg)
    fewest = w0.cfg.protocol.min_issues_in_deal
    if fewest > 1:  # outcomes are then not numbered by their product position
        why.append(f"protocol.min_issues_in_deal is {fewest} (1 at most)")
    choices = choices_of(w0.cfg, w0.issues)
    coupled = coupled_issues([_parts(w0, side) for side in SIDES])
    count = math.prod(len(choices[j]) for j in coupled)
    if problem := coupled_problem([w0.issues[j].name for j in coupled], count):
        why.append(problem)
    return "; ".join(why) or None


def searched(w0: Week0, fs: FactoredSpace) -> tuple[Frontier, int, int]:
    """Core v2's frontier and counts issue by issue, never streaming the product (its values
    are not sums): the frontier among ``factored_rounds.ratified``'s candidates valued
    exactly, the ratifiable outcomes counted by meeting in the middle, the individually
    rational ones with the coupled issues combined first (``factored_count.count_coupled``)."""
    import numpy as np

    from tradetalks.sim.analysis import pareto_mask
    from tradetalks.sim.factored import ordered
    from tradetalks.sim.factored_count import count_coupled, count_meeting
    from tradetalks.sim.factored_rounds import limits, ratified
    from tradetalks.sim.factored_v2 import Product, Term
    from tradetalks.sim.issues import OPEN

    product = Product(tuple(w0.issues), fs.choices, fs.min_issues)
    terms = (Term(w0.valuation, "us"), Term(w0.valuation, "china"))
    bodies, live = w0.ratifiers(w0.rows()), w0.live()
    found = ratified(product, terms, bodies, live)
    start = int(all(c[0] == OPEN for c in fs.choices))  # the product less its first point,
    position = found + start  # which covers no issue (one issue at most is asked for)
    digits = np.unravel_index(position, [len(c) for c in fs.choices])
    levels = np.column_stack([c[d] for c, d in zip(fs.choices, digits, strict=True)])
    u, ok = w0.evaluate(levels)
    u1, u2, position, levels = u["us"][ok], u["china"][ok], position[ok], levels[ok]
    best = pareto_mask(u1, u2)
    front = ordered(u1[best], u2[best], position[best], levels[best])
    feasible = count_meeting(fs, fs.constraints, fs.thresholds)
    hard, (rises, folds) = limits(product, bodies, live)
    r = (w0.reservation["us"], w0.reservation["china"])
    cols, thresholds = [c for c, _ in hard], [t for _, t in hard]
    # a deal covers at least one issue (the schema's floor), so no empty outcome to add
    rational = count_coupled(product, terms, cols, thresholds, r, rises, folds)
    return front, feasible, rational


def factored_report(
    w0: Week0,
    fs: FactoredSpace | None = None,
    additive: bool = True,
    search: bool | None = None,
) -> dict[str, Any]:
    """What ``BargainingSpace.report`` reports of the enumerated space, from the factored one
    (``fs``, ``additive``: ``factored_space(w0)``, built when not given; ``search``: core v2's
    search issue by issue on a large space whose values are not sums, by default where it
    applies, ``search_problem``)."""
    from tradetalks.sim import factored as fa
    from tradetalks.sim.analysis import nash_product

    if fs is None:
        fs, additive = factored_space(w0)
    if search is None:
        search = not additive and search_problem(w0) is None
    if fs.size <= STREAM_LIMIT:  # small: one pass over the product does it all
        front, feasible, rational = streamed(w0, fs)
    elif search:
        front, feasible, rational = searched(w0, fs)
    else:
        front = factored_frontier(w0, fs)
        feasible, rational = counts(w0, fs) if additive else streamed(w0, fs, False)[1:]
    r = (w0.reservation["us"], w0.reservation["china"])
    ir = _rational(front.u1, front.u2, r)
    index = fs.index_of(front.position)

    def point(row: int | None) -> dict[str, Any] | None:
        if row is None:
            return None
        u = (front.u1[row], front.u2[row])
        return {
            "index": int(index[row]),
            "terms": {
                i.name: i.levels[lv]
                for i, lv in zip(w0.issues, front.levels[row], strict=True)
                if lv >= 0
            },
            "utility": {s: round(float(x), 6) for s, x in zip(SIDES, u, strict=True)},
            "gain": {s: round(float(x - ri), 6) for s, x, ri in zip(SIDES, u, r, strict=True)},
            "nash_product": round(nash_product(u, r), 6),
        }

    frontier = []
    for row in range(len(front)):
        p = point(row)
        assert p is not None
        p["individually_rational"] = bool(ir[row])
        frontier.append(p)
    ideal = (float(front.u1[ir].max()), float(front.u2[ir].max())) if ir.any() else None
    return {
        "outcomes": fs.outcomes,
        "feasible": feasible,
        "individually_rational": rational,
        "reservation": {s: round(float(w0.reservation[s]), 6) for s in SIDES},
        "ideal": None if ideal is None else dict(zip(SIDES, ideal, strict=True)),
        "frontier": frontier,
        "nash": point(fa.nash(front, r)),
        "kalai_smorodinsky": point(fa.kalai(front, r)),
        "max_welfare": point(fa.welfare(front, r)),
    }


def _fmt_point(title: str, p: dict[str, Any] | None) -> list[str]:
    if p is None:
        return [f"{title}: none (no individually rational outcome)"]
    u = p["utility"]
    lines = [
        f"{title}: US {u['us']:.3f}  China {u['china']:.3f}  (Nash product {p['nash_product']:.4f})"
    ]
    lines += [f"    {k:<14} {v}" for k, v in p["terms"].items()]
    return lines


def shown_points(n: int, limit: int | None = FRONTIER_SHOWN) -> list[int]:
    """Indices of the frontier points to list: all of them, or ``limit`` evenly spaced ones
    from the first (the US's best) to the last (China's best)."""
    if limit is None or n <= limit:
        return list(range(n))
    if limit < 2:
        return [0][:limit]
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


def _terms(terms: dict[str, Any]) -> str:
    return "; ".join(f"{k} {v}" for k, v in terms.items()) or "no issue settled"


def readable(report: dict[str, Any], limit: int | None = FRONTIER_SHOWN) -> str:
    """A few lines for people: every frontier point, or ``limit`` of them, with its terms."""
    r = report["reservation"]
    frontier = report["frontier"]
    picked = shown_points(len(frontier), limit)
    which = (
        "all shown"
        if len(picked) == len(frontier)
        else f"{len(picked)} of them shown, evenly spaced from the US's best to China's best "
        "(--all lists every one)"
    )
    lines = [
        f"Outcomes {report['outcomes']}, ratifiable by both sides {report['feasible']}, "
        f"individually rational {report['individually_rational']}",
        f"Reservation values: US {r['us']:.3f}  China {r['china']:.3f}",
        f"Pareto frontier: {len(frontier)} outcomes, {which}:",
        "        US   China  terms (an issue not named is left open)",
    ]
    for i in picked:
        p = frontier[i]
        mark = "" if p["individually_rational"] else "  (below a reservation value)"
        u = p["utility"]
        lines.append(f"    {u['us']:6.3f}  {u['china']:6.3f}  {_terms(p['terms'])}{mark}")
    lines += _fmt_point("Nash bargaining point", report["nash"])
    lines += _fmt_point("Kalai-Smorodinsky point", report["kalai_smorodinsky"])
    lines += _fmt_point("Maximum-welfare point", report["max_welfare"])
    return "\n".join(lines)


@contextmanager
def factored_size_limit() -> Iterator[None]:
    """Lets the schema accept spaces up to ``FACTORED_MAX_OUTCOMES`` while a config loads (the
    schema bounds what can be enumerated; this command does not enumerate)."""
    from tradetalks.sim import config_schema

    old = config_schema.MAX_OUTCOMES
    config_schema.MAX_OUTCOMES = max(old, FACTORED_MAX_OUTCOMES)
    try:
        yield
    finally:
        config_schema.MAX_OUTCOMES = old


@app.command()
def space(
    config: Annotated[Path | None, typer.Argument(help=CONFIG_HELP, metavar="CONFIG")] = None,
    seed: Annotated[int | None, typer.Option(help=SEED_HELP, min=0, metavar="N")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help=SET_HELP, metavar=SET_METAVAR)
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"List every frontier point (default: {FRONTIER_SHOWN}, evenly spaced)",
            metavar="",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (every point)", metavar="")
    ] = False,
) -> None:
    """The bargaining space at the start: outcomes, Pareto frontier, Nash and Kalai points."""
    from tradetalks.sim.config_base import MAX_OUTCOMES

    with factored_size_limit():
        cfg, seed_ = load_scenario(config, seed, None, set_)
    w0 = week0(cfg, seed_)
    fs, additive = factored_space(w0)
    problem = None if additive else search_problem(w0)
    if problem is not None and fs.size > MAX_OUTCOMES:
        fail(
            f"{fs.size:,} outcomes: values or win-sets that are not additive (hostage issues, "
            f"bodies voting on legislation, jointly valued issues) are counted outcome by "
            f"outcome, up to {MAX_OUTCOMES:,}, unless core v2's search issue by issue applies "
            f"({problem})"
        )
    report = factored_report(w0, fs, additive, problem is None and not additive)
    report["seed"] = seed_
    text = json.dumps(report) if as_json else readable(report, None if show_all else FRONTIER_SHOWN)
    typer.echo(text)
