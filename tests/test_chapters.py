"""Chapters (core-v2 §1 F): readiness gates signing, agenda dates gate issues, agreement types
decide who votes, and China's leadership threshold is private.

The mechanism runs with scripted teams on the baseline's outcome space; win-sets are
recomputed here with the independent numpy helpers of ``test_mechanism_guards`` (never
through ``Ratifier``).  Each test contrasts the mechanism on and off.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from helpers import BASELINE, SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mechanism_guards import legislative, ratifier_margins, side_margin
from tradetalks.sim.chapters import Chapters, congress_pressure
from tradetalks.sim.config import load_config
from tradetalks.sim.config_talks import ChapterConfig
from tradetalks.sim.issues import Issue, OutcomeSpace
from tradetalks.sim.payoffs import Ratifier
from tradetalks.sim.protocol import Negotiation
from tradetalks.sim.spaces import outcome_space

SIDES = ("us", "china")
APPROVAL = {"farm_approval": 0.6}
TOL = 1e-9
# Congress votes only on legislation, and removing Huawei from the Entity List needs a statute
# (a test assumption, not the baseline's); the leadership's threshold is private
CFG = load_config(
    BASELINE,
    {
        **SMALL,
        "ratifiers.congress.applies_to": "legislative",
        "ratifiers.congress.pressure_weight": 0.5,
        "ratifiers.leadership.threshold_sd": 0.2,
        "issues.huawei.needs_legislation": [False, False, False, True],
        "readiness": {},  # chapters ready unless a test says otherwise
    },
)
SPACE = outcome_space(CFG)
NAMES = SPACE.names
U = {
    "us": SPACE.utility("us", SPACE.weight_vector(CFG.teams["us"].members["ustr"].weights)),
    "china": SPACE.utility(
        "china", SPACE.weight_vector(CFG.teams["china"].members["deputy"].weights)
    ),
}
N_COVERED = SPACE.covered.sum(axis=1)


class Grand:
    """Offers the feasible outcome covering the most issues (ties: the best for both), and
    accepts anything: what is signed is what the mechanism lets through."""

    def __init__(self, ratify_aware: bool = True) -> None:
        self.ratify_aware = ratify_aware
        self.views: list = []

    def aspiration(self, view) -> float:
        self.views.append(view)
        return 0.0

    def propose(self, view) -> int:
        self.views.append(view)
        mask = view.available.copy()
        if self.ratify_aware:
            both = mask & view.own_winset
            if view.opponent_winset is not None:
                both &= view.opponent_winset
            mask = both if both.any() else mask
        score = np.where(mask, N_COVERED * 10.0 + U["us"] + U["china"], -np.inf)
        return int(np.argmax(score))


class Team:
    def __init__(self, side: str, strategy) -> None:
        self.side, self.strategy = side, strategy
        self.reservation, self.patience = 0.0, 0.99

    def utility(self) -> np.ndarray:
        return U[self.side]

    def strategy_for(self, level: str):
        return self.strategy


def negotiation(chapters=None, ratifiers=(), strategy=Grand) -> Negotiation:
    teams = {s: Team(s, strategy()) for s in SIDES}
    return Negotiation(SPACE, teams, list(ratifiers), CFG.protocol, 52, chapters=chapters)


def covers(deal, issue: str) -> bool:
    return issue in deal.terms


def slow(**rates: float) -> Chapters:
    """Chapters where the named issues start unready and gain ``rate`` per deputy round."""
    return Chapters(
        SPACE, readiness={n: ChapterConfig(start=0.0, rate=r) for n, r in rates.items()}
    )


# =============================================================================== readiness
def test_a_principal_round_before_readiness_signs_a_phase_one():
    neg = negotiation(slow(ip_tech=0.5, huawei=0.5))
    first = neg.run_round(1, "principal", APPROVAL)
    assert first is not None and first.interim
    assert not covers(first, "ip_tech") and not covers(first, "huawei")
    assert set(first.terms) == set(NAMES) - {"ip_tech", "huawei"}, "what is ready gets signed"
    assert neg.run_round(2, "deputy", APPROVAL) is None  # readiness 0.5: not yet
    assert not neg.available.any() and not neg.deals[1:]
    assert neg.run_round(3, "principal", APPROVAL) is None
    neg.run_round(4, "deputy", APPROVAL)
    second = neg.run_round(5, "principal", APPROVAL)
    assert second is not None and set(second.new_issues) == {"ip_tech", "huawei"} and neg.done
    # switched off: the same teams sign everything at once
    grand = negotiation().run_round(1, "principal", APPROVAL)
    assert set(grand.terms) == set(NAMES) and not grand.interim


def test_deputy_rounds_raise_readiness_by_alpha_and_expose_it_read_only():
    neg = negotiation(slow(ip_tech=0.3, huawei=0.25))
    j_ip, j_hw = NAMES.index("ip_tech"), NAMES.index("huawei")
    for k in range(1, 5):
        neg.run_round(k, "deputy", APPROVAL)
        assert neg.readiness["ip_tech"] == pytest.approx(min(1.0, 0.3 * k))
        assert neg.readiness["huawei"] == pytest.approx(0.25 * k)
        assert neg.readiness["ag_purchases"] == 1.0
    ready = neg.chapters.readiness
    with pytest.raises((TypeError, ValueError)):
        ready[j_ip] = 0.0
    with pytest.raises(TypeError):
        neg.readiness["ip_tech"] = 0.0  # type: ignore[index]
    assert ready[j_hw] == 1.0 and neg.available[SPACE.index_of({"huawei": "removal"})]


def test_principal_rounds_and_agreed_issues_do_not_raise_readiness():
    neg = negotiation(slow(ip_tech=0.5, ag_purchases=0.5))
    neg.run_round(1, "principal", APPROVAL)  # nothing to sign on either slow issue
    assert neg.readiness["ip_tech"] == 0.0
    chapters = slow(ip_tech=0.5)
    chapters.advance(None, {NAMES.index("ip_tech"): 1})
    assert chapters.readiness_by_issue()["ip_tech"] == 0.0


@pytest.mark.parametrize("lead", ["deputy", "principal"])
def test_infinite_alpha_gives_the_grand_deals_of_today(lead):
    """Every chapter ready after one deputy round (the fastest readiness) or from the start:
    the deals are those of a run without chapters."""
    fastest = Chapters(SPACE, readiness={n: ChapterConfig(start=0.0, rate=1.0) for n in NAMES})
    at_once = Chapters(SPACE, readiness={n: ChapterConfig(start=1.0, rate=0.0) for n in NAMES})
    runs = []
    for chapters in (None, fastest, at_once):
        neg = negotiation(chapters, ratifiers=ratifiers())
        neg.run_round(1, "deputy", APPROVAL)
        neg.run_round(2, lead, APPROVAL)
        neg.run_round(3, "principal", APPROVAL)
        runs.append(neg.deals)
    assert runs[0] and runs[0] == runs[1] == runs[2]
    assert neg.readiness == dict.fromkeys(NAMES, 1.0)


def test_a_settled_text_with_an_unready_chapter_is_not_signed():
    """Readiness is checked when principals sign a text the deputies settled."""
    x = SPACE.index_of({"ag_purchases": "30", "ip_tech": "pledges"})
    chapters = slow(ip_tech=1.0)
    neg = negotiation(chapters)
    for team in neg.teams.values():
        team.strategy.propose = lambda view, x=x: x
    neg.run_round(1, "deputy", APPROVAL)
    assert neg.settled_text == x
    chapters._readiness[NAMES.index("ip_tech")] = 0.0  # as if a chapter were reopened
    for team in neg.teams.values():
        team.strategy.propose = lambda view: int(np.flatnonzero(view.available)[0])
    deal = neg.run_round(2, "principal", APPROVAL)
    assert deal is None or deal.outcome != x


# =============================================================================== agenda
def test_agenda_dates_gate_issues():
    agenda = {"huawei": dt.date(2019, 5, 16), "currency": dt.date(2019, 8, 5)}
    chapters = Chapters(SPACE, agenda=agenda, start_date=dt.date(2019, 1, 7))
    neg = negotiation(chapters)
    deal = neg.run_round(1, "principal", APPROVAL, date=dt.date(2019, 3, 1))
    assert not covers(deal, "huawei") and not covers(deal, "currency")
    assert neg.run_round(2, "principal", APPROVAL, date=dt.date(2019, 6, 1)).new_issues == (
        "huawei",
    )
    # the default date is the first day of the week: week 31 starts on 5 August 2019
    assert chapters.date_of(31) == dt.date(2019, 8, 5)
    assert neg.run_round(31, "principal", APPROVAL).new_issues == ("currency",)
    # switched off (no date, no agenda): every issue at once
    undated = negotiation(Chapters(SPACE, agenda=agenda)).run_round(1, "principal", APPROVAL)
    assert set(undated.terms) == set(NAMES)
    assert set(negotiation().run_round(1, "principal", APPROVAL).terms) == set(NAMES)


def test_the_baseline_declares_its_chapters():
    base = load_config(BASELINE, SMALL)
    ch = Chapters.from_config(base, outcome_space(base))
    assert base.issues["huawei"].on_agenda_from == dt.date(2019, 5, 16)
    assert base.issues["currency"].on_agenda_from == dt.date(2019, 8, 5)
    assert ch.on_agenda(base.run.start_date).all(), "the 2019 baseline starts with all on it"
    assert not ch.on_agenda(dt.date(2019, 1, 1))[list(ch.space.names).index("huawei")]
    assert "farmers" not in base.ratifiers
    assert base.ratifiers["congress"].applies_to == "legislative"
    assert not ch.legislative("us").any(), "no US level needs a statute (assumption)"
    r = ch.readiness_by_issue()
    assert r["ip_tech"] < 1 and r["huawei"] < 1


# =============================================================================== types
def ratifiers() -> list[Ratifier]:
    return [Ratifier(name, r, SPACE) for name, r in CFG.ratifiers.items()]


def test_executive_agreements_skip_congress_while_legislative_ones_need_it():
    chapters = Chapters.from_config(CFG, SPACE)
    congress = Ratifier("congress", CFG.ratifiers["congress"], SPACE)
    executive = SPACE.index_of({"huawei": "licences for non-security sales"})
    statute = SPACE.index_of({"huawei": "removal"})
    assert not congress.winset({})[executive] and not congress.winset({})[statute]
    for x, kind in ((executive, "executive"), (statute, "legislative")):
        assert chapters.agreement_type(x) == (kind, ("us",) if kind == "legislative" else ())
        neg = negotiation(chapters, ratifiers=[congress], strategy=lambda: Grand(False))
        for team in neg.teams.values():
            team.strategy.propose = lambda view, x=x: x
        deal = neg.run_round(1, "principal", APPROVAL)
        if kind == "executive":
            assert deal is not None and deal.agreement_type == "executive"
            assert deal.legislatures == ()
        else:
            assert deal is None and neg.history[0].blocked_by_ratification
    # switched off (Congress votes on everything): the executive agreement is blocked too
    voting = CFG.ratifiers["congress"].model_copy(update={"applies_to": "all"})
    neg = negotiation(chapters, ratifiers=[Ratifier("congress", voting, SPACE)])
    for team in neg.teams.values():
        team.strategy.propose = lambda view: executive
    assert neg.run_round(1, "principal", APPROVAL) is None


def test_chinese_legislation_labels_the_deal_but_adds_no_vote():
    base = load_config(BASELINE, SMALL)
    chapters = Chapters.from_config(base, SPACE)
    x = SPACE.index_of({"ip_tech": "legal changes", "ag_purchases": "10"})
    assert chapters.agreement_type(x) == ("legislative", ("china",))
    assert chapters.agreement_type(SPACE.index_of({"ip_tech": "pledges"}))[0] == "executive"


def test_congress_pressure_is_its_deficit_on_executive_agreements_only():
    chapters = Chapters.from_config(CFG, SPACE)
    rats = ratifiers()
    p = congress_pressure(SPACE, rats, chapters, APPROVAL)
    margin = ratifier_margins(
        CFG.model_copy(
            update={
                "ratifiers": {
                    "congress": CFG.ratifiers["congress"].model_copy(update={"applies_to": "all"})
                }
            }
        ),
        SPACE.levels,
        NAMES,
        APPROVAL,
    )["congress"]
    expect = 0.5 * np.maximum(0.0, -margin) * ~legislative(CFG, SPACE.levels, NAMES, "us")
    np.testing.assert_allclose(p, expect, atol=1e-12)
    assert p.max() > 0 and not p.flags.writeable
    assert (p[legislative(CFG, SPACE.levels, NAMES, "us")] == 0).all()
    assert not congress_pressure(SPACE, rats, chapters, APPROVAL, side="china").any()


# =============================================================================== private
def leadership(seed: int | None) -> Ratifier:
    rat = Ratifier("leadership", CFG.ratifiers["leadership"], SPACE)
    if seed is not None:
        rat.draw_private(np.random.default_rng(seed))
    return rat


def test_the_draw_takes_one_number_whatever_the_sd():
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    public = CFG.ratifiers["leadership"].model_copy(update={"threshold_sd": 0.0})
    assert Ratifier("l", public, SPACE).draw_private(a) == public.threshold
    leadership(None).draw_private(b)
    assert a.random() == b.random()


def _views_after_a_round(rat: Ratifier):
    neg = negotiation(ratifiers=[rat])
    neg.run_round(1, "principal", APPROVAL)
    return neg, neg.teams["us"].strategy.views[0], neg.teams["china"].strategy.views[0]


def test_the_mechanism_uses_the_true_threshold_and_the_us_view_the_prior_mean():
    rats = {seed: leadership(seed) for seed in range(40)}
    lo = min(rats.values(), key=lambda r: r.threshold)
    hi = max(rats.values(), key=lambda r: r.threshold)
    assert lo.threshold < CFG.ratifiers["leadership"].threshold < hi.threshold
    prior = ratifier_margins(CFG, SPACE.levels, NAMES, APPROVAL)["leadership"]
    for rat in (lo, hi):
        neg, us_view, cn_view = _views_after_a_round(rat)
        thresholds = {"leadership": rat.threshold}
        true = ratifier_margins(CFG, SPACE.levels, NAMES, APPROVAL, thresholds=thresholds)
        true = true["leadership"]
        clear = (np.abs(true) > TOL) & (np.abs(prior) > TOL)
        assert np.array_equal(cn_view.own_winset[clear], (true >= 0)[clear])
        assert np.array_equal(us_view.opponent_winset[clear], (prior >= 0)[clear])
        assert np.array_equal(neg.winset("china", APPROVAL)[clear], cn_view.own_winset[clear])
    _, us_lo, cn_lo = _views_after_a_round(lo)
    _, us_hi, cn_hi = _views_after_a_round(hi)
    assert np.array_equal(us_lo.opponent_winset, us_hi.opponent_winset), "the US never sees it"
    assert us_lo.best_feasible() == us_hi.best_feasible()
    assert not np.array_equal(cn_lo.own_winset, cn_hi.own_winset), "China knows its own"


FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(z=st.floats(-3.0, 3.0), congress=st.floats(0.0, 0.8), aware=st.booleans())
def test_deals_lie_inside_the_true_winsets_of_their_type(z, congress, aware):
    """Over private leadership thresholds and Congress's: every deal is inside both sides'
    true win-sets for its agreement type, and carries that type."""
    cfg = CFG.model_copy(
        update={
            "ratifiers": {
                **CFG.ratifiers,
                "congress": CFG.ratifiers["congress"].model_copy(update={"threshold": congress}),
            }
        }
    )
    rats = {name: Ratifier(name, r, SPACE) for name, r in cfg.ratifiers.items()}
    rats["leadership"].threshold = cfg.ratifiers["leadership"].threshold + 0.2 * z  # private
    chapters = Chapters.from_config(cfg, SPACE)
    teams = {s: Team(s, Grand(aware)) for s in SIDES}
    neg = Negotiation(SPACE, teams, list(rats.values()), cfg.protocol, 52, chapters)
    for week in range(1, 4):
        neg.run_round(week, "principal", APPROVAL)
    margins = ratifier_margins(
        cfg, SPACE.levels, NAMES, APPROVAL, thresholds={n: r.threshold for n, r in rats.items()}
    )
    for deal in neg.deals:
        for side in SIDES:
            assert side_margin(cfg, margins, side)[deal.outcome] >= -TOL, deal
        row = SPACE.levels[[deal.outcome]]
        sides = tuple(s for s in SIDES if legislative(cfg, row, NAMES, s)[0])
        assert deal.legislatures == sides
        assert deal.agreement_type == ("legislative" if sides else "executive")


# ====================================================== guards the mutation run found open
def test_deputies_work_a_chapter_only_once_it_is_on_the_agenda():
    """A deputy round raises the readiness of negotiable issues on the agenda at its date and
    not yet agreed; an issue whose agenda date is still ahead keeps its readiness."""
    agenda = {"huawei": dt.date(2019, 5, 16)}
    rates = {n: ChapterConfig(start=0.0, rate=0.25) for n in ("huawei", "ip_tech", "currency")}
    ch = Chapters(SPACE, readiness=rates, agenda=agenda, start_date=dt.date(2019, 1, 7))
    j = {n: NAMES.index(n) for n in rates}
    ch.advance(dt.date(2019, 3, 1), {j["currency"]: 0})  # currency agreed: no work on it
    r = ch.readiness_by_issue()
    assert (r["huawei"], r["ip_tech"], r["currency"]) == (0.0, 0.25, 0.0)
    ch.advance(dt.date(2019, 6, 1), {})
    r = ch.readiness_by_issue()
    assert (r["huawei"], r["ip_tech"]) == (0.25, 0.5)


def test_chapters_from_a_config_date_their_weeks_from_its_start():
    base = load_config(BASELINE, SMALL)
    ch = Chapters.from_config(base, outcome_space(base))
    assert ch.date_of(1) == base.run.start_date
    assert ch.date_of(3) == base.run.start_date + dt.timedelta(weeks=2)


def _tiny_space():
    def issue(name, n, concedes):
        return Issue(name, tuple(map(str, range(n))), 0, concedes, True, {"us": np.zeros(n)}, {})

    return OutcomeSpace(
        [issue("a", 2, "both"), issue("b", 3, "us"), issue("c", 2, "china")], allow_interim=True
    )


def test_an_agreement_needs_a_legislature_for_any_level_its_side_concedes_that_needs_one():
    """Levels conceded by a side (or by both) that need a statute make the outcome
    legislative for that side, whichever issue they are on."""
    space = _tiny_space()
    laws = {"a": [False, True], "b": [False, False, True], "c": [False, True]}
    ch = Chapters(space, legislation=laws)
    lv, cov = space.levels, space.covered
    a, b, c = (cov[:, j] & (lv[:, j] == k) for j, k in ((0, 1), (1, 2), (2, 1)))
    assert np.array_equal(ch.legislative("us"), a | b) and (a & ~b).any() and (b & ~a).any()
    assert np.array_equal(ch.legislative("china"), a | c)


def test_congress_pressure_follows_its_bodies_and_their_support_when_asked_again():
    """The pressure array is kept while the bodies, thresholds and bases are the same; a new
    base (an indicator moved) or another body recomputes it: Σ weight·deficit on executive
    agreements, every time equal to a fresh computation."""
    chapters = Chapters.from_config(CFG, SPACE)
    indexed = CFG.ratifiers["congress"].model_copy(update={"base_indicator": "farm_approval"})
    senate = indexed.model_copy(update={"threshold": 0.7, "pressure_weight": 0.3})
    congress = Ratifier("congress", indexed, SPACE)
    both = [congress, Ratifier("senate", senate, SPACE)]
    executive = ~chapters.legislative("us")

    def fresh(bodies, ind):
        return sum(r.cfg.pressure_weight * r.deficit(ind) * executive for r in bodies)

    for bodies, approval in (([congress], 0.4), ([congress], 0.2), (both, 0.2), (both, 0.4)):
        ind = {"farm_approval": approval}
        got = congress_pressure(SPACE, bodies, chapters, ind)
        np.testing.assert_allclose(got, fresh(bodies, ind), atol=1e-12)
        assert got.max() > 0
    assert congress_pressure(SPACE, both, chapters, ind) is got  # unchanged: the kept array


@pytest.mark.parametrize("believed", [False, True])
def test_a_rounds_winset_is_the_winset_at_its_outcomes(believed):
    """``winset_at`` (the outcomes of a round) is ``winset`` read there, for every body of a
    side, with the true or the believed (public prior mean) thresholds."""
    chapters = Chapters.from_config(CFG, SPACE)
    indexed = CFG.ratifiers["leadership"].model_copy(update={"base_indicator": "farm_approval"})
    second = indexed.model_copy(update={"threshold": 0.5, "weights": {"us_tariffs": 1.0}})
    bodies = [Ratifier("leadership", indexed, SPACE), Ratifier("standing", second, SPACE)]
    for i, rat in enumerate(bodies):
        rat.draw_private(np.random.default_rng(i))
    index = np.sort(np.random.default_rng(5).choice(len(SPACE), 400, replace=False))
    ind = {"farm_approval": 0.5}
    whole = chapters.winset("china", bodies, ind, believed=believed)
    at = chapters.winset_at("china", bodies, ind, index, believed=believed)
    assert np.array_equal(at, whole[index])
    each = [r.winset(ind, believed=believed)[index] for r in bodies]
    assert np.array_equal(at, each[0] & each[1]) and (each[0] != each[1]).any()
    other = chapters.winset("china", bodies, ind, believed=not believed)
    assert not np.array_equal(whole, other)  # the private draws differ from the means
    if not believed:  # by default the true (drawn) thresholds: the mechanism's, sim/start.py's
        assert np.array_equal(chapters.winset("china", bodies, ind), whole)
        assert np.array_equal(chapters.winset_at("china", bodies, ind, index), at)
