"""Core-v2 rounds over the outcomes the factored search finds (sim/factored_rounds.py,
issue 13) against rounds over every available outcome, the oracle: the same offers, deals
and summaries on the baseline and on scenarios with jointly valued issues and anticipated
disputes; the factored search is used, and it stands aside where it does not apply."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from helpers import BASELINE
from tradetalks.sim import factored_rounds as fr
from tradetalks.sim import snapshot
from tradetalks.sim.analysis import pareto_mask
from tradetalks.sim.factored_v2 import Product
from tradetalks.sim.issues import OPEN
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.protocol import Negotiation
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate


def _frontiers_missed(
    space, teams, ratifiers, chapters, indicators, agreed, date, got, extra=()
) -> list:
    """The enumerated oracle of one round: for each side, own gain now and next round against
    the other's public value, the Pareto frontier within each mask (available ∩ own win-set ∩
    the other's believed win-set; available ∩ own win-set; available) must lie in ``got``,
    and ``got`` in what is available or offered (``extra``).  Returns the (side, term, mask)
    whose frontier does not, and "outside" for outcomes that cannot be signed."""
    available = space.consistent_with(agreed) & chapters.signable(date)
    inside = np.zeros(len(space), dtype=bool)
    inside[got] = True
    allowed = available.copy()
    allowed[list(extra)] = True
    missed = ["outside"] if (inside & ~allowed).any() else []
    for side, other in (("us", "china"), ("china", "us")):
        own_ws = chapters.winset(side, ratifiers, indicators)
        believed = chapters.winset(other, ratifiers, indicators, believed=True)
        opp = teams[other].public_values()[0]
        masks = {
            "offer set": available & own_ws & believed,
            "own win-set": available & own_ws,
            "available": available,
        }
        for term, own in (("now", teams[side].gain()), ("next", teams[side].gain_next())):
            for name, mask in masks.items():
                if (pareto_mask(own, opp, mask) & ~inside).any():
                    missed.append((side, term, name))
    return missed


def _checked(calls: list, missed: list):
    """``Negotiation._factored_index`` that records whether it answered and checks each
    answer (searched or kept from an earlier round state) against the enumerated frontiers
    (``_frontiers_missed``)."""
    original = Negotiation._factored_index

    def checked(self, date, extra):
        got = original(self, date, extra)
        calls.append(got is not None)
        if got is not None:
            state = (self.space, self.teams, self.ratifiers, self.chapters, self._indicators)
            missed.extend(_frontiers_missed(*state, self.agreed, date, got, extra))
        return got

    return checked


def _run(cfg, seed: int, factored: bool) -> tuple[str, list[tuple]]:
    model = TradeTalksModel(cfg, rng=seed, collect_series=False)
    model.negotiation.factored = factored
    summary = model.run()
    return json.dumps(summary, sort_keys=True, default=str), _offers(model)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "seed"),
    [
        (BASELINE, 1),
        (BASELINE, 7),
        ("scenarios/implementation", 2),
        ("scenarios/enforcement_anticipated", 3),
    ],
    ids=lambda x: str(x).rsplit("/", 1)[-1],
)
def test_factored_rounds_make_the_enumerated_rounds_decisions(config, seed, monkeypatch):
    """Every offer (week, round, proposer, outcome, acceptance, both values) and the run's
    summary are the same; the factored search answered every round (none fell back), each
    time holding every enumerated frontier its decisions read."""
    cfg = resolve_config(config if config is BASELINE else locate(config))
    answered, missed = [], []
    monkeypatch.setattr(Negotiation, "_factored_index", _checked(answered, missed))
    enumerated = _run(cfg, seed, factored=False)
    assert not answered
    factored = _run(cfg, seed, factored=True)
    assert answered and all(answered)
    assert not missed
    assert factored[1] == enumerated[1]
    assert factored[0] == enumerated[0]


FIRST_WEEKS = 4  # the baseline's first weeks: 24 offers, about 0.7 s on the factored path


def _offers(model: TradeTalksModel) -> list[tuple]:
    return [
        (r.week, r.round_no, r.proposer, r.outcome, r.accepted, r.utility["us"], r.utility["china"])
        for r in model.negotiation.history
    ]


def _first_weeks(cfg, monkeypatch) -> tuple[list, list, list]:
    """The offers of the first weeks on the enumerated and the factored path, whether each
    ``round_outcomes`` call answered, and the frontiers its answers missed (``_checked``)."""
    answered, missed = [], []
    monkeypatch.setattr(Negotiation, "_factored_index", _checked(answered, missed))
    histories = []
    for factored in (False, True):
        model = TradeTalksModel(cfg, rng=1, collect_series=False)
        model.negotiation.factored = factored
        for _ in range(FIRST_WEEKS):
            model.step()
        histories.append(_offers(model))
    return histories, answered, missed


def test_the_first_weeks_offers_are_the_enumerated_rounds_offers(monkeypatch):
    """The fast check of the slow test above (run by the mutation preset): the baseline's
    first weeks make the same offers on both paths, every round answered by the factored
    search, each answer holding every frontier its decisions read."""
    histories, answered, missed = _first_weeks(BASELINE, monkeypatch)
    assert len(histories[0]) > 2 * FIRST_WEEKS
    assert histories[1] == histories[0]
    assert answered and all(answered)
    assert not missed


def test_the_round_covers_fewer_outcomes_than_are_available():
    """At the first principal round of the baseline the factored round covers a small part
    of what is available, the history included."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    neg.factored = True
    while model.running and not neg.history:
        model.step()
    assert neg.history
    available = int(neg.available.sum())
    assert 0 < len(neg._index) < available / 5
    assert set(r.outcome for r in neg.history) <= set(neg._index.tolist())


def test_a_body_voting_on_legislation_some_outcome_needs_turns_the_factored_search_off():
    """Congress voting only on legislative deals, with a US level that needs a statute: the
    deal type is not a sum, so ``round_outcomes`` answers None (rounds cover every available
    outcome)."""
    cfg = resolve_config(BASELINE)
    issues = dict(cfg.issues)
    hw = issues["us_tariffs"]
    flags = [False] * (len(hw.levels) - 1) + [True]
    issues["us_tariffs"] = hw.model_copy(update={"needs_legislation": flags})
    cfg = cfg.model_copy(update={"issues": issues})
    model = TradeTalksModel(cfg, rng=1, collect_series=False)
    neg = model.negotiation
    assert neg.chapters.legislative("us").any()
    got = fr.round_outcomes(
        model.space, neg.teams, neg.ratifiers, neg.chapters, model.indicators(), {}, None, []
    )
    assert got is None


@pytest.mark.slow
@pytest.mark.parametrize(
    "left_out",
    [{"constraints": [], "thresholds": []}, {"keep": None}],
    ids=["win-sets", "chapters"],
)
def test_without_a_narrowing_the_factored_rounds_decide_otherwise(left_out, monkeypatch):
    """The mechanism: leave the bodies' constraints or the chapters' readiness out of the
    search and its candidates miss offers the enumerated rounds make (or, without the
    chapters, hold no outcome that can be signed, and a side offers one that is not on the
    table).  The agreed issues: the next test (a whole run takes two minutes)."""
    from tradetalks.sim import factored_v2 as f2
    from tradetalks.sim.protocol import ProtocolError

    enumerated = _run(BASELINE, 1, factored=False)

    def narrowed_less(product, terms, **kwargs):
        return f2.candidates(product, terms, **{**kwargs, **left_out})

    monkeypatch.setattr(fr, "candidates", narrowed_less)
    if "keep" in left_out:
        with pytest.raises(ProtocolError, match="not on the table"):
            _run(BASELINE, 1, factored=True)
    else:
        assert _run(BASELINE, 1, factored=True)[1] != enumerated[1]


def test_agreed_levels_narrow_the_round_to_outcomes_that_keep_them():
    """With an issue agreed at a level, every outcome the round adds beyond the history keeps
    that level; left out, the round holds outcomes that settle it at another level."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg, space = model.negotiation, model.space
    while model.running and not neg.history:
        model.step()
    date = model.date
    j = next(j for j, issue in enumerate(space.issues) if issue.n_levels > 2)
    level = space.issues[j].n_levels - 1

    def covered(agreed):
        got = fr.round_outcomes(
            space, neg.teams, neg.ratifiers, neg.chapters, model.indicators(), agreed, date, []
        )
        assert got is not None and len(got)
        return space.levels[got, j]

    assert (covered({j: level}) == level).all()
    free = covered({})
    assert ((free != level) & (free != OPEN)).any()


# China modelling the US's values under another aid scale than the true one (core-v2 §2.1)
OTHER_MODEL = {"farm_politics.aid_scale": 3.0, "farm_politics.observed_aid_scale": 1.0}
# Huawei's chapter not on the agenda until after the first round (its date in the record is
# May 2019): its levels cannot be signed there
LATE_AGENDA = {"issues.huawei.on_agenda_from": dt.date(2019, 12, 1)}


@pytest.mark.parametrize(
    ("shift", "overrides"),
    [(-0.1, {}), (-0.03, {}), (0.03, {}), (0.1, {}), (0.1, OTHER_MODEL), (-0.03, OTHER_MODEL),
     (0.03, LATE_AGENDA)],
)  # fmt: skip
def test_every_frontier_a_round_reads_is_covered_whatever_the_private_threshold(shift, overrides):
    """China's leadership's true threshold away from the public mean the US holds: each
    side's offer set, own win-set and available outcomes keep their frontiers in the round's
    outcomes (true and believed win-sets kept apart), also where China's model of the US's
    values is not the US's own, and the win-sets bind (the offer set's frontier is not the
    available outcomes')."""
    model = TradeTalksModel(BASELINE, rng=1, overrides=overrides, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    leadership = next(r for r in neg.ratifiers if r.side == "china")
    leadership.threshold = leadership.cfg.threshold + shift
    args = (model.space, neg.teams, neg.ratifiers, neg.chapters, model.indicators())
    got = fr.round_outcomes(*args, neg.agreed, model.date, [])
    assert got is not None
    assert _frontiers_missed(*args, neg.agreed, model.date, got) == []
    space, chapters = model.space, neg.chapters
    available = space.consistent_with(neg.agreed) & chapters.signable(model.date)
    own_ws = chapters.winset("china", neg.ratifiers, model.indicators())
    u, v = neg.teams["china"].gain(), neg.teams["us"].public_values()[0]
    assert (pareto_mask(u, v, available & own_ws) != pareto_mask(u, v, available)).any()


def test_a_round_where_next_rounds_values_reorder_outcomes_keeps_their_frontiers():
    """At week 7 of the implementation scenario (seed 3) the frontier of the US's gain at the
    next opportunity is not that of its gain now (checked here); the round's outcomes hold
    both."""
    model = TradeTalksModel(resolve_config(locate("scenarios/implementation")), rng=3)
    neg = model.negotiation
    for _ in range(7):
        model.step()
    args = (model.space, neg.teams, neg.ratifiers, neg.chapters, model.indicators())
    got = fr.round_outcomes(*args, neg.agreed, model.date, [])
    assert got is not None
    assert _frontiers_missed(*args, neg.agreed, model.date, got) == []
    available = model.space.consistent_with(neg.agreed) & neg.chapters.signable(model.date)
    us, opp = neg.teams["us"], neg.teams["china"].public_values()[0]
    now = pareto_mask(us.gain(), opp, available)
    assert (pareto_mask(us.gain_next(), opp, available) & ~now).any()


def test_strategies_that_read_more_than_the_factored_values_keep_every_available_outcome(
    monkeypatch,
):
    """The conceder reads other functions of the round's outcomes than the argmaxes the
    factored search keeps (its offers differ from week 1 on the factored outcomes): with it
    at the principals' table the mechanism does not ask the factored search, and the offers
    are those of the enumerated rounds."""
    members = [("us", r) for r in ("president", "ustr", "treasury", "deputy_ustr")]
    members += [("china", r) for r in ("vice_premier", "deputy")]
    over = {f"teams.{s}.members.{r}.strategy": {"kind": "conceder"} for s, r in members}
    histories, answered, _ = _first_weeks(resolve_config(BASELINE, over), monkeypatch)
    assert histories[0] and histories[1] == histories[0]
    assert not answered


def test_a_round_state_is_searched_once_and_again_when_anything_it_reads_changes(monkeypatch):
    """The mechanism keeps the factored outcomes of recent round states (a week's previews
    and its round share one): asked again in the same state it does not search, and it
    searches again when a body's threshold, the ready chapters, the valuations or the agreed
    levels change; the history is added to what it keeps."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    searches = []
    original = fr.round_outcomes

    def counted(*args):
        searches.append(args[5:7])
        return original(*args)

    monkeypatch.setattr(fr, "round_outcomes", counted)
    date = model.date
    first = neg._factored_index(date, [])
    assert len(searches) == 1
    offered = [r.outcome for r in neg.history]
    again = neg._factored_index(date, offered)
    assert len(searches) == 1
    np.testing.assert_array_equal(again, np.union1d(first, offered))

    leadership = next(r for r in neg.ratifiers if r.side == "china")
    leadership.threshold += 0.01
    neg._factored_index(date, [])
    assert len(searches) == 2
    before = neg.chapters.ready(date)
    while (neg.chapters.ready(date) == before).all():  # deputies' work readies a chapter
        neg.chapters.advance(date, neg.agreed)
    neg._factored_index(date, [])
    assert len(searches) == 3
    snapshot.refresh(model)  # this week's valuations again, as new objects
    neg._factored_index(date, [])
    assert len(searches) == 4
    j = next(j for j, issue in enumerate(model.space.issues) if issue.negotiable)
    neg.agreed = {j: 0}
    neg._table = model.space.consistent_with(neg.agreed)
    neg._factored_index(date, [])
    assert len(searches) == 5 and searches[-1][0] == {j: 0}


def test_a_product_never_enumerated_gives_the_enumerated_spaces_round():
    """The round's outcomes found on the product of the issues' choices (no outcome space
    built) are the enumerated space's, as indices of the outcomes it would enumerate."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    protocol = model.config.protocol
    product = Product.build(model.space.issues, protocol.allow_interim, protocol.min_issues_in_deal)
    assert product.kept is None
    args = (neg.teams, neg.ratifiers, neg.chapters, model.indicators(), {}, model.date, [])
    on_space = fr.round_outcomes(model.space, *args)
    assert on_space is not None and len(on_space)
    np.testing.assert_array_equal(fr.round_outcomes(product, *args), on_space)


def test_congress_pressure_folded_once_final_narrows_the_round(monkeypatch):
    """Folding Congress's pressure into the US's values once no later issue moves its
    support (``factored.Fold``) keeps fewer outcomes than comparing the support all the way
    (the frontiers either way: the tests above)."""
    model = TradeTalksModel(BASELINE, rng=1, collect_series=False)
    neg = model.negotiation
    while model.running and not neg.history:
        model.step()
    args = (model.space, neg.teams, neg.ratifiers, neg.chapters, model.indicators(), {})
    folded = fr.round_outcomes(*args, model.date, [])
    original = fr.candidates
    monkeypatch.setattr(fr, "candidates", lambda p, t, **kw: original(p, t, **{**kw, "folds": []}))
    compared = fr.round_outcomes(*args, model.date, [])
    assert set(folded.tolist()) < set(compared.tolist())
