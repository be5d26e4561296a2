"""A space never enumerated (sim/lazy_space.py, issue 13) against the enumerated space, the
oracle: the same numbering, levels, masks, win-sets and pressure, the same baseline runs
offer by offer, and a 12-issue core-v2 run that no enumerated space could hold."""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest
from helpers import BASELINE, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from tradetalks.sim import config_schema, protocol
from tradetalks.sim import factored_rounds as fr
from tradetalks.sim.analysis import pareto_mask
from tradetalks.sim.chapters import Chapters, congress_pressure
from tradetalks.sim.config import ConfigError
from tradetalks.sim.config_base import LAZY_ABOVE, MAX_OUTCOMES
from tradetalks.sim.factored_v2 import Product
from tradetalks.sim.issues import OPEN, Issue, OutcomeSpace, issues_from_config, space_key
from tradetalks.sim.lazy_space import IssueUnion, LazySpace, ProductMask
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.payoffs import Ratifier
from tradetalks.sim.protocol import Negotiation, ProtocolError
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate
from tradetalks.sim.spaces import outcome_space

from tradetalks.testing.negotiation import issue_lists

TWELVE = ROOT / "benchmarks" / "configs" / "baseline_12.toml"
NINE = ROOT / "benchmarks" / "configs" / "baseline_9.toml"


def _lazy(cfg) -> LazySpace:
    """``cfg``'s space, never enumerated (whatever its size)."""
    protocol = cfg.protocol
    return LazySpace(
        issues_from_config(cfg),
        protocol.allow_interim,
        protocol.min_issues_in_deal,
        key=space_key(cfg),
    )


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[OutcomeSpace, LazySpace]:
    """A small space enumerated and never enumerated: issues maybe not negotiable, interim
    deals on or off, outcomes covering at least 0 or 1 issue."""
    issues = draw(issue_lists(max_issues=4, max_levels=4))
    issues = [dataclasses.replace(i, negotiable=draw(st.booleans())) for i in issues]
    interim, fewest = draw(st.booleans()), draw(st.integers(0, 1))
    return OutcomeSpace(issues, interim, fewest), LazySpace(issues, interim, fewest)


@settings(max_examples=60, deadline=None)
@given(_pairs())
def test_outcomes_are_numbered_and_decoded_as_the_enumerated_space_lists_them(pair):
    space, lazy = pair
    assert len(lazy) == len(space) and lazy.all_cover == space.all_cover
    every = np.arange(len(space))
    np.testing.assert_array_equal(lazy.levels_of(every), space.levels)
    for x in every[:: max(1, len(space) // 7)].tolist():
        assert lazy.terms(x) == space.terms(x)
        assert lazy.index_of(space.terms(x)) == x
        np.testing.assert_array_equal(lazy.row(x), space.row(x))
    with pytest.raises(IndexError):
        lazy.levels_of(np.array([len(space)]))


@settings(max_examples=60, deadline=None)
@given(_pairs(), st.data())
def test_masks_hold_the_enumerated_masks_outcomes(pair, data):
    space, lazy = pair
    every = np.arange(len(space))
    negotiable = [j for j, i in enumerate(space.issues) if i.negotiable]
    agreed_issues = data.draw(
        st.lists(st.sampled_from(negotiable), unique=True) if negotiable else st.just([])
    )
    agreed = {j: data.draw(st.integers(0, space.issues[j].n_levels - 1)) for j in agreed_issues}
    blocked = np.array(
        data.draw(st.lists(st.booleans(), min_size=space.n_issues, max_size=space.n_issues))
    )
    table, signable = lazy.consistent_with(agreed), lazy.open_only(blocked)
    expect_table = space.consistent_with(agreed)
    expect_signable = ~space.covered[:, blocked].any(axis=1)
    np.testing.assert_array_equal(table[every], expect_table)
    np.testing.assert_array_equal(signable[every], expect_signable)
    both = table & signable
    np.testing.assert_array_equal(both[every], expect_table & expect_signable)
    assert both.any() == bool((expect_table & expect_signable).any())
    assert table.any() == bool(expect_table.any())
    assert not lazy.nothing().any() and lazy.everything().any() == bool(len(space))
    assert table.same(lazy.consistent_with(agreed))
    assert lazy.nothing().same(lazy.everything()) == (not len(space))
    if len(space):
        assert isinstance(both[int(every[-1])], bool)
    expect = np.flatnonzero(expect_table & expect_signable)
    np.testing.assert_array_equal(both.indices(len(space) + 1), expect)
    np.testing.assert_array_equal(table.indices(10**6), np.flatnonzero(expect_table))
    bound = int(np.prod([a.sum() for a in both.allowed]))
    assert both.indices(bound - 1) is None or bound == 0
    np.testing.assert_array_equal(both.indices(bound), expect)  # at most ``limit``: listed


def test_legislative_outcomes_agreement_types_and_win_sets_are_the_enumerated_ones():
    """Chapters, bodies and Congress's pressure on the baseline with every US tariff level
    needing a statute: the same masks and values at any outcomes asked."""
    cfg = resolve_config(BASELINE, {"issues.us_tariffs.needs_legislation": [False] + [True] * 5})
    lazy = _lazy(cfg)
    space = OutcomeSpace(issues_from_config(cfg), True, key=lazy.key)
    index = np.random.default_rng(5).choice(len(space), 400, replace=False)
    indicators = TradeTalksModel(cfg, rng=1, space=space, collect_series=False).indicators()
    spaces = {}
    for name, sp in (("enumerated", space), ("lazy", lazy)):
        chapters = Chapters.from_config(cfg, sp)
        bodies = [Ratifier(n, r, sp) for n, r in cfg.ratifiers.items()]
        for body in bodies:
            body.threshold += 0.01  # a private draw
        spaces[name] = (chapters, bodies)
    (ch_e, rat_e), (ch_l, rat_l) = spaces["enumerated"], spaces["lazy"]
    for side in ("us", "china"):
        np.testing.assert_array_equal(ch_l.legislative(side)[index], ch_e.legislative(side)[index])
        assert ch_l.legislative(side).any() == ch_e.legislative(side).any()
        for believed in (False, True):
            got = ch_l.winset_at(side, rat_l, indicators, index, believed=believed)
            np.testing.assert_array_equal(
                got, ch_e.winset(side, rat_e, indicators, believed=believed)[index]
            )
    assert ch_e.legislative("us").any()
    for x in index[:40].tolist():
        assert ch_l.agreement_type(x) == ch_e.agreement_type(x)
    for a, b in zip(rat_l, rat_e, strict=True):
        np.testing.assert_array_equal(a.support_at(indicators, index), b.support(indicators)[index])
        with pytest.raises(ValueError, match="never enumerated"):
            a.support(indicators)
    pressure = congress_pressure(lazy, rat_l, ch_l, indicators)
    expect = congress_pressure(space, rat_e, ch_e, indicators)
    assert expect.any() and pressure.any()
    np.testing.assert_array_equal(pressure[index], expect[index])


def _record(model: TradeTalksModel) -> tuple[list, str]:
    summary = model.run()
    offers = [
        (r.week, r.round_no, r.proposer, r.outcome, r.accepted, dict(r.utility))
        for r in model.negotiation.history
    ]
    return offers, json.dumps(summary, sort_keys=True, default=str)


def _same_runs(cfg, seed: int) -> None:
    """The enumerated space with the factored rounds is the oracle: every offer (week,
    round, proposer, outcome, acceptance, values), every deal's values, Nash product and
    distance to the frontier (found issue by issue on the space never enumerated) and the
    summary are the same."""
    runs = {}
    p = cfg.protocol
    enumerated = OutcomeSpace(
        issues_from_config(cfg), p.allow_interim, p.min_issues_in_deal, key=space_key(cfg)
    )
    for name, space in (("enumerated", enumerated), ("lazy", _lazy(cfg))):
        model = TradeTalksModel(cfg, rng=seed, space=space, collect_series=False)
        model.negotiation.factored = True
        runs[name] = _record(model), model.negotiation.deals
    assert runs["lazy"][1], "a deal is signed: its metrics are compared"
    assert runs["lazy"][0] == runs["enumerated"][0]
    assert runs["lazy"][1] == runs["enumerated"][1]


@pytest.mark.parametrize(("seed", "listed"), [(1, True), (2, True), (1, False)])
def test_the_baseline_never_enumerated_makes_every_offer_and_deal_of_the_enumerated_run(
    seed, listed, monkeypatch
):
    """Rounds with few available outcomes list them (``LIST_BELOW``), or, with that off,
    every round is searched: the same runs either way."""
    if not listed:
        monkeypatch.setattr(protocol, "LIST_BELOW", 0)
    _same_runs(resolve_config(BASELINE), seed)


@pytest.mark.slow
@pytest.mark.parametrize(
    "config",
    [NINE, locate("scenarios/implementation"), locate("scenarios/enforcement_anticipated")],
    ids=lambda p: p.stem,
)
def test_issues_beyond_the_baselines_and_coupled_values_run_alike_never_enumerated(config):
    """Two more issues (1.57 million outcomes), jointly valued issues, anticipated disputes."""
    _same_runs(resolve_config(config), 3)


def test_a_deals_frontier_and_the_top_value_found_issue_by_issue_are_the_enumerated_ones():
    """At the first offer of a baseline run: ``deal_outcomes`` holds the frontier of both
    true utilities over what can be signed inside both true win-sets, and ``top_value`` is
    each side's best utility over the whole space."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    ind, space = model.indicators(), model.space
    feasible = space.consistent_with(neg.agreed) & neg.chapters.signable(model.date)
    for side in ("us", "china"):
        feasible &= neg.winset(side, ind)
    u = {s: neg.teams[s].utility() for s in ("us", "china")}
    keep = fr._keep(Product.of(space), neg.chapters.ready(model.date))
    found = fr.deal_outcomes(model.space, neg.teams, neg.ratifiers, ind, neg.agreed, keep)
    frontier = np.flatnonzero(pareto_mask(u["us"], u["china"], feasible))
    assert len(frontier) and np.isin(frontier, found).all()
    for side in ("us", "china"):
        top = fr.top_value(model.space, neg.teams, side, neg.ratifiers, ind)
        assert top == float(u[side].max())


def test_a_12_issue_core_v2_run_needs_no_enumerated_space():
    """The baseline with five more issues: 762 million outcomes, above what can be enumerated,
    run on a space never listed; its deals may cover the new issues."""
    cfg = resolve_config(TWELVE)
    model = TradeTalksModel(cfg, rng=1, collect_series=False)
    assert isinstance(model.space, LazySpace) and len(model.space) > 100 * MAX_OUTCOMES
    assert isinstance(model.negotiation.available, ProductMask)
    summary = model.run()
    deals = model.negotiation.deals
    assert deals and any(n.startswith("extra_") for d in deals for n in d.new_issues)
    assert summary["deal"] and "ag_purchases" in summary["issues_covered"]


def test_a_config_that_cannot_do_without_enumeration_is_refused_with_every_reason():
    """Too large to enumerate, and a strategy that reads more than the factored search
    keeps, a minimum of two issues a deal and a legislative body meeting legislation."""
    overrides = {
        "teams.china.members.deputy.strategy": {"kind": "boulware", "params": {}},
        "protocol.min_issues_in_deal": 2,
        "issues.us_tariffs.needs_legislation": [False] + [True] * 5,
    }
    with pytest.raises(ConfigError) as exc:
        resolve_config(TWELVE, overrides)
    text = str(exc.value)
    assert "never enumerated" in text and "boulware" in text
    assert "min_issues_in_deal is 2" in text and "ratifiers.congress votes on legislation" in text


def test_rounds_on_a_space_never_enumerated_without_the_factored_search_stop_with_the_reason(
    monkeypatch,
):
    """Were a strategy not to declare ``factored_rounds`` (the config check refuses such a
    run), a round could not list its outcomes: the mechanism says so rather than enumerate."""
    cfg = resolve_config(TWELVE)
    model = TradeTalksModel(cfg, rng=1, collect_series=False)
    strategy = type(model.negotiation.teams["us"].strategy_for("principal"))
    monkeypatch.setattr(strategy, "factored_rounds", False)
    with pytest.raises(ProtocolError, match="never enumerated"):
        model.run()
    assert Negotiation  # the mechanism under test


def test_a_body_over_a_space_never_enumerated_refuses_whole_space_values():
    cfg = resolve_config(BASELINE)
    body = Ratifier("congress", cfg.ratifiers["congress"], _lazy(cfg))
    with pytest.raises(ValueError, match="never enumerated"):
        body.winset({"farm_approval": 0.5})


@settings(max_examples=40, deadline=None)
@given(_pairs(), st.data())
def test_an_issue_union_marks_the_outcomes_taking_any_marked_choice(pair, data):
    space, lazy = pair
    tables = tuple(
        np.array(data.draw(st.lists(st.booleans(), min_size=len(c), max_size=len(c)))) & (c != OPEN)
        for c in lazy._choices
    )
    union = IssueUnion(lazy, tables)
    expect = np.zeros(len(space), dtype=bool)
    for j, (c, table) in enumerate(zip(lazy._choices, tables, strict=True)):
        expect |= table[np.searchsorted(c, space.levels[:, j])]
    np.testing.assert_array_equal(union[np.arange(len(space))], expect)
    assert union.any() == bool(expect.any()) or not len(space)
    if len(space):
        assert union[len(space) - 1] is bool(expect[-1])


def test_the_space_refuses_what_it_cannot_number():
    """Two issues or more a deal, an index past the end, terms with no outcome, masks of
    another space; a mask is the same only as a mask of its own space."""
    values = {"us": np.array([0.0, 1.0]), "china": np.array([1.0, 0.0])}
    issues = [Issue(n, ("0", "1"), 0, "china", True, values, {}) for n in ("a", "b")]
    with pytest.raises(ValueError, match="min_issues_in_deal"):
        LazySpace(issues, True, 2)
    lazy, other = LazySpace(issues, True), LazySpace(issues, True)
    assert len(lazy) == len(OutcomeSpace(issues, True))
    with pytest.raises(KeyError):
        lazy.index_of({})  # the outcome covering nothing is left out
    with pytest.raises(KeyError):
        LazySpace(issues, False).index_of({"a": issues[0].levels[0]})  # "b" cannot stay open
    with pytest.raises(ValueError, match="different spaces"):
        lazy.everything() & other.everything()
    assert not lazy.everything().same(other.everything())
    assert not lazy.everything().same(np.ones(len(lazy), bool))
    assert lazy.everything().same(lazy.everything())


def test_a_core_v2_space_above_lazy_above_is_never_enumerated_when_its_run_allows():
    """Above ``LAZY_ABOVE`` outcomes a screening run goes without the enumerated space; a
    rule reading more keeps it; the baseline, below, is enumerated (faster there)."""
    nine = resolve_config(NINE)
    assert LAZY_ABOVE < len(outcome_space(nine)) <= MAX_OUTCOMES
    assert isinstance(outcome_space(nine), LazySpace)
    boulware = {"teams.china.members.deputy.strategy": {"kind": "boulware", "params": {}}}
    assert isinstance(outcome_space(resolve_config(NINE, boulware)), OutcomeSpace)
    follower = {"teams.us.members.president.strategy": {"kind": "boulware", "params": {}}}
    assert isinstance(outcome_space(resolve_config(NINE, follower)), LazySpace), "never leads"
    shared = TradeTalksModel(resolve_config(NINE, boulware), rng=1, space=outcome_space(nine))
    assert isinstance(shared.space, OutcomeSpace), "a sweep's shared space is not forced on it"
    assert isinstance(outcome_space(resolve_config(BASELINE)), OutcomeSpace)


def test_a_space_never_enumerated_is_read_only_like_the_enumerated_one():
    """Runs share it (sweeps, workers): nothing reachable from it may be rebound or written,
    also once unpickled."""
    lazy = _lazy(resolve_config(BASELINE))
    for space in (lazy, pickle.loads(pickle.dumps(lazy))):
        with pytest.raises(AttributeError, match="read-only"):
            space._offset = 0
        with pytest.raises(ValueError):
            space._radix[-1] = 3
        with pytest.raises(ValueError):
            space._choices[0][0] = 2
        with pytest.raises(ValueError):
            space.everything().allowed[0][0] = False
        assert space.terms(5) == lazy.terms(5)


def test_values_coupling_too_many_issues_are_refused_before_and_during_a_run(monkeypatch):
    """Hostage issues and jointly valued pairs the config names are counted by the check;
    any other coupling stops the search naming the issues rather than list them all."""
    hostage = ["ag_purchases", "ip_tech", "fentanyl", "currency", "huawei"]
    many = {"hostage.issues": hostage + [f"extra_{k}" for k in range(1, 6)]}
    with pytest.raises(ConfigError, match=r"couple 10 issues .* combinations pass"):
        resolve_config(TWELVE, many)
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:  # chapters ready: the coupled issues open up
        model.step()
    monkeypatch.setattr(config_schema, "MAX_COUPLED", 10)
    args = (neg.teams, neg.ratifiers, neg.chapters, model.indicators(), {}, model.date, [])
    with pytest.raises(ValueError, match=r"the values couple \d+ issues \(ag_purchases"):
        fr.round_outcomes(model.space, *args)


def test_a_cache_of_values_by_space_is_bounded_and_skips_spaces_valued_once():
    from tradetalks.sim.issues import Rows
    from tradetalks.sim.projector_value import CACHED_SPACES, remember

    issues = issues_from_config(resolve_config(BASELINE))
    cache: dict = {}
    spaces = [Rows(issues, np.full((1, len(issues)), OPEN)) for _ in range(CACHED_SPACES + 2)]
    for k, space in enumerate(spaces):
        remember(cache, k, space, k)
    assert list(cache) == list(range(2, CACHED_SPACES + 2))  # the oldest two dropped
    remember(cache, 2, spaces[2], 2)  # stored again: now the newest
    remember(cache, "x", spaces[0], 0)
    assert 2 in cache and 3 not in cache and list(cache)[-1] == "x"
    once = Rows(issues, np.full((1, len(issues)), OPEN), once=True)
    remember(cache, "once", once, 1)
    assert "once" not in cache


def test_a_search_leaves_its_candidates_in_no_cache():
    """The candidates a search values (sim/factored_v2.py) are valued once: no valuation keeps
    them (every round state kept its candidates alive, 1.9 GB with a 1,001-level issue)."""
    from tradetalks.sim.projector_value import CACHED_SPACES

    cfg = resolve_config(BASELINE)
    model = TradeTalksModel(cfg, rng=1, space=_lazy(cfg), collect_series=False)
    for _ in range(6):  # rounds are searched from the fifth week (seed 1)
        model.step()
        teams = model.negotiation.teams.values()
        for v in {id(v): v for t in teams for v in (t.valuation, t.observed)}.values():
            caches = [v._cache]
            caches += [v.hostage._cache] if v.hostage is not None else []
            caches += [v.disputes._cache] if v.disputes is not None else []
            for cache in caches:
                assert len(cache) <= CACHED_SPACES
                assert not any(getattr(space, "once", False) for space, _ in cache.values())
    assert model.negotiation.history  # rounds were searched
