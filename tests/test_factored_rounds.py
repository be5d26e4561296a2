"""Core-v2 rounds over the outcomes the factored search finds (sim/factored_rounds.py,
issue 13) against rounds over every available outcome, the oracle: the same offers, deals
and summaries on the baseline and on scenarios with jointly valued issues and anticipated
disputes; the factored search is used, and it stands aside where it does not apply."""

from __future__ import annotations

import json

import pytest
from helpers import BASELINE
from tradetalks.sim import factored_rounds as fr
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import locate


def _run(cfg, seed: int, factored: bool) -> tuple[str, list[tuple]]:
    model = TradeTalksModel(cfg, rng=seed, collect_series=False)
    model.negotiation.factored = factored
    summary = model.run()
    offers = [
        (r.week, r.round_no, r.proposer, r.outcome, r.accepted, r.utility["us"], r.utility["china"])
        for r in model.negotiation.history
    ]
    return json.dumps(summary, sort_keys=True, default=str), offers


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
    summary are the same; the factored search answered every round (none fell back)."""
    cfg = resolve_config(config if config is BASELINE else locate(config))
    answered = []
    original = fr.round_outcomes

    def counted(*args, **kwargs):
        out = original(*args, **kwargs)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(fr, "round_outcomes", counted)
    enumerated = _run(cfg, seed, factored=False)
    assert not answered
    factored = _run(cfg, seed, factored=True)
    assert answered and all(answered)
    assert factored[1] == enumerated[1]
    assert factored[0] == enumerated[0]


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
    that level; left out, the round holds outcomes at other levels of it."""
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
    assert (covered({}) != level).any()
