"""The projector's value terms as pure functions (sim/projector_value.py): the under-fire
factor of irreversibility, which deal terms cancel scheduled actions, the plans of paths, the
hostage value's expected fulfilment φ̂(x) and its inputs, and the dispute term of issue 12
(the remedial tariff's paths, the chance of unravelling, the loss). Each is checked against
its formula written out here."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import BASELINE
from tradetalks.sim.config import load_config
from tradetalks.sim.issues import OPEN, Issue, OutcomeSpace
from tradetalks.sim.maker_rule import (
    DueInputs,
    EscalationInputs,
    escalate_margin,
    p_fire,
    threat_size,
)
from tradetalks.sim.projector_value import (
    Batch,
    DisputeTerm,
    HostageTerm,
    Plan,
    Remedial,
    cancels,
    dispute_term,
    hostage_term,
    remedial_paths,
    under_fire_factor,
)
from tradetalks.sim.shipped import locate

IRR = load_config(BASELINE).irreversibility
H = IRR.under_fire_half_life_weeks


def hike(side: str, weeks_ahead: int, p: float, pp: float = 5.0) -> SimpleNamespace:
    return SimpleNamespace(side=side, tariff_pp=pp, weeks_ahead=weeks_ahead, p_fire=p)


def test_the_under_fire_cost_halves_every_half_life_since_the_last_hike():
    assert H > 0
    for since, start in ((0, 0), (3, 0), (3, 4), (10, 2)):
        want = 2.0 ** (-(since + start) / H)
        assert under_fire_factor(since, [], "china", start, IRR) == pytest.approx(want)
    assert under_fire_factor(math.inf, [], "china", 4, IRR) == 0.0  # never hit: no cost


def test_hikes_due_before_the_deal_count_by_their_probability_to_fire():
    """A deal ``start`` weeks ahead is under the fire of the opponent's hikes due before it,
    each weighted by its p_fire (capped at 1 in total); the rest of the weight keeps the
    decay from the last hike that did fire."""
    actions = [
        hike("us", 2, 0.6),
        hike("us", 1, 0.3),
        hike("china", 1, 0.9),  # one's own hike: not under fire
        hike("us", 1, 0.9, pp=0.0),  # no tariff
        hike("us", 4, 0.9),  # due at the deal's week or later: the deal comes first
    ]
    start, since = 4, 6
    p = 0.6 + 0.3
    want = (1 - p) * 2.0 ** (-(since + start) / H) + 0.6 * 2.0 ** (-(start - 2) / H)
    want += 0.3 * 2.0 ** (-(start - 1) / H)
    assert under_fire_factor(since, actions, "china", start, IRR) == pytest.approx(want)
    sure = [hike("us", 2, 0.8), hike("us", 3, 0.7)]  # P > 1 in sum: capped, no negative weight
    got = under_fire_factor(since, sure, "china", start, IRR)
    assert got == pytest.approx(0.8 * 2.0 ** (-2 / H) + 0.7 * 2.0 ** (-1 / H))


@pytest.mark.parametrize(("side", "p"), [("us", "us"), ("china", "cn")])
def test_which_deal_terms_cancel_a_sides_scheduled_actions(side, p):
    assert not cancels({}, side)
    assert cancels({f"{p}_cancel_scheduled": 1.0}, side)
    assert cancels({f"{p}_cancel_scheduled": 0.5}, side)
    assert not cancels({f"{p}_cancel_scheduled": 0.4}, side)
    assert cancels({f"{p}_tariff_avg": 10.0}, side)  # a legacy level sets the tariff outright
    assert not cancels({f"{p}_tariff_avg": 10.0, f"{p}_keeps_schedule": 1.0}, side)
    other = "cn" if p == "us" else "us"
    assert not cancels({f"{other}_cancel_scheduled": 1.0, f"{other}_tariff_avg": 1.0}, side)


def issue(name: str, n: int) -> Issue:
    """An issue of ``n`` levels valued 0 (the terms under test bring their own tables)."""
    return Issue(name, tuple(map(str, range(n))), 0, "us", True, {"us": np.zeros(n)}, {})


def _space() -> OutcomeSpace:
    return OutcomeSpace([issue("tariffs", 3), issue("huawei", 2)], allow_interim=True)


@pytest.mark.parametrize(
    ("phi0", "phi1", "retained", "max_pp"),
    [(0.5, 0.5, 10.0, 10.0), (0.2, 1.0, 8.0, 16.0), (-0.3, 0.5, 10.0, 10.0), (0.2, 0.3, 4.0, 0.0)],
)
def test_expected_fulfilment_follows_the_us_pp_a_deal_retains(phi0, phi1, retained, max_pp):
    """φ̂(x) = clip(φ0 + φ1·max(0, retained − pp x gives up)/max pp, 0, 1), and φ0 + φ1 when
    there is no scale (max pp = 0)."""
    space = _space()
    cuts = (np.array([0.0, 6.0, 12.0]), np.array([0.0, 0.0]))  # tariffs: pp given up per level
    term = HostageTerm(phi0, phi1, frozenset({0, 1}), cuts, retained, max_pp)
    given_up = space.additive([cuts[0], None])
    share = np.maximum(retained - given_up, 0.0) / max_pp if max_pp > 0 else 1.0
    want = np.clip(phi0 + phi1 * share, 0.0, 1.0)
    got = term.phi(space)
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert np.all((got >= 0) & (got <= 1)) and term.phi(space) is got  # kept for the space
    if retained < 12.0 and max_pp > 0:
        assert got.min() == pytest.approx(max(0.0, phi0))  # all given up: no leverage left


# ---------------------------------------------------------------- plans of paths
def act(side: str, weeks_ahead: int) -> SimpleNamespace:
    return SimpleNamespace(side=side, weeks_ahead=weeks_ahead, p_fire=0.5, tariff_pp=5.0)


def test_a_plan_counts_each_announced_action_by_its_own_path_a_zero_or_the_no_deal_effect():
    """For a deal at ``start`` (not exact): an action the deal's terms cancel before it is due
    counts zero; one of a side whose tariffs the terms touch gets its own path; any other
    takes its no-deal effect ("approx"). The no-deal plan and exact plans give every action
    its own path."""
    actions = [act("us", 2), act("china", 5), act("us", 4), act("china", 1)]
    q = {"us_cancel_scheduled": 1.0}  # touches the US only, and cancels its schedule
    batch = Batch(actions)
    plan = batch.plan(4, q, False, exact=False)
    assert plan.base == 0
    assert plan.parts == [(0, "path", 1), (1, "approx", -1), (2, "zero", -1), (3, "approx", -1)]
    assert [s.fires for s in batch.specs] == [frozenset(), frozenset({0})]
    assert all(s.deal_week == 4 and s.quantities == q for s in batch.specs)
    exact = batch.plan(4, q, False, exact=True)
    assert exact.parts == [(j, "path", 3 + j) for j in range(4)]
    none = batch.plan(None, {}, False, exact=False)
    assert none.parts == [(j, "path", 8 + j) for j in range(4)]
    assert all(s.deal_week is None for s in batch.specs[7:])
    # V(deal) = V(none fires) + Σ p_j·E_j: the zero adds nothing, "approx" its effect
    v = np.arange(len(batch.specs), dtype=float) ** 2
    effects, p = np.array([10.0, 20.0, 30.0, 40.0]), np.array([0.1, 0.2, 0.3, 0.4])
    want = v[0] + 0.1 * (v[1] - v[0]) + 0.2 * 20.0 + 0.4 * 40.0
    assert plan.value(v, effects, p) == pytest.approx(want)


# ---------------------------------------------------------------- hostage term's inputs
def test_the_hostage_term_reads_the_us_pp_each_level_gives_up_and_what_is_retained_now():
    """cut = pp rolled back + scheduled pp cancelled, for levels that touch US tariffs (0
    otherwise); retained = max(0, US tariff − base) + scheduled pp; terms are computed with
    the projector's persistence; no [hostage] issues, no term."""
    seen = []

    def terms(st, q, fired, t, soybeans, persistence):
        seen.append(persistence)
        threat = st["us_threat_pp"] - q.get("us_cancel_scheduled", 0.0) * 3.0
        return SimpleNamespace(
            rolled_back_pp={"us": q.get("us_tariff_cut_pp", 0.0)}, tariffs={"us_threat_pp": threat}
        )

    space = _space()
    level_q = [
        [{}, {"us_tariff_cut_pp": 4.0}, {"us_tariff_cut_pp": 2.0, "us_cancel_scheduled": 1.0}],
        [{}, {"cn_tariff_cut_pp": 7.0}],  # China's tariffs: no US pp given up
    ]
    for avg, want_retained in ((20.5, 0.5 + 5.0), (19.0, 5.0)):
        snap = SimpleNamespace(state={"us_tariff_avg": avg, "us_threat_pp": 5.0}, fired=())
        cfg = SimpleNamespace(
            world=SimpleNamespace(trade=SimpleNamespace(us_tariff_base=20.0), soybeans=None)
        )
        h = SimpleNamespace(phi0=0.3, phi1=0.6, issues=["huawei"], max_pp=None)
        term = hostage_term(h, space, level_q, snap, cfg, 0.37, terms)
        assert term.retained == pytest.approx(want_retained)
        assert term.max_pp == pytest.approx(want_retained)  # no fixed scale: the pp retained
        np.testing.assert_allclose(term.us_cut[0], [0.0, 4.0, 5.0])
        np.testing.assert_allclose(term.us_cut[1], [0.0, 0.0])
        assert term.issues == frozenset({1}) and (term.phi0, term.phi1) == (0.3, 0.6)
        assert set(seen) == {0.37}
        fixed = hostage_term(
            SimpleNamespace(**{**vars(h), "max_pp": 9.0}), space, level_q, snap, cfg, 0.37, terms
        )
        assert fixed.max_pp == 9.0
    none = SimpleNamespace(phi0=0.3, phi1=0.6, issues=[], max_pp=None)
    assert hostage_term(none, space, level_q, snap, cfg, 0.37, terms) is None
    assert hostage_term(None, space, level_q, snap, cfg, 0.37, terms) is None


def test_a_hike_of_any_size_puts_the_other_side_under_fire():
    small = [hike("us", 1, 0.5, pp=0.4)]
    want = 0.5 * 2.0 ** (-(3 + 4) / H) + 0.5 * 2.0 ** (-(4 - 1) / H)
    assert under_fire_factor(3, small, "china", 4, IRR) == pytest.approx(want)


# ---------------------------------------------------------------- disputes (issue 12)
ENFORCED = load_config(locate("scenarios/enforcement_anticipated"))
IMP = ENFORCED.implementation


def _ag_space() -> OutcomeSpace:
    return OutcomeSpace([issue("tariffs", 3), issue("purchases", 3)], allow_interim=True)


def test_the_chance_of_unravelling_follows_the_maker_rule_on_the_projected_delivery_share():
    """f(x) = clip(f0 + Σ Δf_i(x_i), 0, cap); below the line each of N reviews brings a
    remedial tariff with q = logistic((margin + weight·(line − f)/line)/ς)·fire, so P(x) =
    1 − (1 − q)^N; 0 at or above the line, and 0 for outcomes that commit no purchases."""
    space = _ag_space()
    line, cap, margin, weight, scale, fire = 0.8, 1.1, -0.3, 2.0, 0.25, 0.9
    rate = (
        (np.array([0.0, -0.2, -0.9]), np.array([0.0, 0.1, 0.5])),
        (None, np.array([0.0, 0.3, -0.4])),
    )
    term = DisputeTerm(
        ag=1,
        commits=np.array([True, False, True]),  # level 0 commits, level 1 not: masks differ
        rate0=(0.6, 0.7),
        rate=rate,
        reviews=(3, 2),
        loss={},
        rule=(line, cap, margin, weight, scale, fire),
    )
    for rnd in (False, True):
        got = term.p_unravel(space, rnd)
        assert term.p_unravel(space, rnd) is got  # both sides' costs read one array
        want = []
        for a, b in space.levels.tolist():
            f = term.rate0[rnd] + sum(
                0.0 if t is None or lv == OPEN else t[lv]
                for t, lv in zip(rate[rnd], (a, b), strict=True)
            )
            f = min(max(f, 0.0), cap)
            q = fire / (1.0 + math.exp(-(margin + weight * (line - f) / line) / scale))
            p = 1.0 - (1.0 - q) ** term.reviews[rnd] if f < line else 0.0
            want.append(p if b != OPEN and term.commits[b] else 0.0)
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert 0 < got.max() < 1 and (got == 0).any()
    # a cap below the line: the capped share sets the shortfall
    low_cap = DisputeTerm(1, term.commits, (0.75, 0.75), ((None, None), (None, None)), (3, 2),
                          {}, (line, 0.5, margin, weight, scale, fire))  # fmt: skip
    q = fire / (1.0 + math.exp(-(margin + weight * (line - 0.5) / line) / scale))
    got = low_cap.p_unravel(space, False)
    assert got.max() == pytest.approx(1.0 - (1.0 - q) ** 3, rel=1e-12)
    flat = DisputeTerm(1, term.commits, (0.0, 0.0), ((None, None), (None, None)), (3, 2), {},
                       (0.0, cap, margin, weight, scale, fire))  # fmt: skip
    assert not flat.p_unravel(space, False).any()  # no dispute line: nothing unravels


def _dispute_cfg(horizon: int) -> SimpleNamespace:
    val = SimpleNamespace(anticipate_disputes=True, horizon_weeks=horizon)
    return SimpleNamespace(implementation=IMP, valuation=val, makers=ENFORCED.makers)


# the last: a horizon that ends exactly at a review of the deal made now
LEAD = round(float(np.mean(IMP.remedial_lead_weeks)))


@pytest.mark.parametrize(
    ("horizon", "gap"), [(104, 3), (30, 6), (12, 4), (2 * IMP.review_weeks + 1 + LEAD - 3, 3)]
)
def test_the_remedial_tariffs_paths_fire_after_the_first_review_and_its_lead(horizon, gap):
    """Per round (a deal now, at t + gap): the remedial tariff fires review_weeks + lead after
    the week after the deal; the first review reads the delivery share over the window from
    that week; the horizon holds (horizon + gap − start − 1 − lead) // review_weeks reviews."""
    batch = Batch([])
    rem = remedial_paths(_dispute_cfg(horizon), batch, gap)
    size = float(np.mean(IMP.remedial_pp))
    lead = round(float(np.mean(IMP.remedial_lead_weeks)))
    rw = IMP.review_weeks
    assert (rem.size, rem.lead) == (size, lead)
    for rnd, start in enumerate((0, gap)):
        assert rem.weeks[rnd] == start + 1 + rw + lead
        assert rem.windows[rnd] == slice(start + 1, start + 1 + rw)
        assert rem.reviews[rnd] == max(0, (horizon + gap - start - 1 - lead) // rw)
        spec = batch.specs[rem.rows[rnd]]
        assert spec.unravel == (rem.weeks[rnd], size) and spec.deal_week is None
    assert rem.rows == (0, 1)
    if horizon < rw:
        assert rem.reviews == (0, 0)


def test_no_remedial_paths_unless_disputes_can_be_filed_and_answered():
    cfg = _dispute_cfg(52)
    for off in (
        SimpleNamespace(**{**vars(cfg), "valuation": None}),
        SimpleNamespace(**{**vars(cfg), "valuation": SimpleNamespace(anticipate_disputes=False)}),
        SimpleNamespace(**{**vars(cfg), "implementation": None}),
        SimpleNamespace(**{**vars(cfg), "makers": None}),
    ):
        batch = Batch([])
        assert remedial_paths(off, batch, 3) is None and batch.specs == []


@pytest.mark.parametrize("any_next", [True, False])
def test_the_dispute_term_is_assembled_from_the_paths_as_its_formulas_say(any_next):
    """rate0 from the any-deal path (the no-deal one without it), Δf per issue level against
    the no-deal path, each over the first review's window; per side and round the loss when
    the deal unravels, δ^(u − start)·(D + g_ag) − (V(remedial) − V(no deal)); the purchases
    levels that commit; the US maker's rule after the deal (progress 1, own cost the remedial
    tariff's effect now)."""
    space = _ag_space()
    level_q = [
        [{}, {"us_cancel_scheduled": 1.0}, {}],
        [{}, {"ag_extra_bn": 20.0}, {"ag_extra_bn": 0.5}],
    ]
    rem = Remedial((9, 10), (15, 18), (slice(1, 5), slice(4, 8)), (3, 2), 7.5, 2)
    rng = np.random.default_rng(3)
    sim = {"ag_rate": rng.uniform(0.3, 1.0, (11, 20))}
    now = {"any": Plan(1), (1, 1): Plan(2), (0, 1): Plan(3)}
    nxt = {(1, 1): Plan(5), (0, 1): Plan(6)} | ({"any": Plan(4)} if any_next else {})
    scored = {
        s: {"now": rng.normal(0, 1, 11), "next": rng.normal(0, 1, 11), "delta": d}
        for s, d in (("us", 0.97), ("china", 0.99))
    }
    out = {
        "d": {"us": 0.4, "china": 0.1},
        "dn": {"us": 0.3, "china": 0.2},
        "g": {s: [np.zeros(3), np.array([0.0, 0.5, 0.1])] for s in ("us", "china")},
        "gn": {s: [np.zeros(3), np.array([0.0, 0.25, 0.2])] for s in ("us", "china")},
    }
    proj = SimpleNamespace(cfg=ENFORCED, space=space, level_q=level_q)
    term = dispute_term(proj, rem, sim, scored, out, (Plan(0), now, nxt))
    assert term.ag == 1 and term.commits.tolist() == [False, True, True]
    mean = [sim["ag_rate"][:, w].mean(axis=1) for w in rem.windows]
    assert term.rate0 == (mean[0][1], mean[1][4] if any_next else mean[1][0])
    for rnd, deals in enumerate((now, nxt)):
        tariffs, ag = term.rate[rnd]
        np.testing.assert_allclose(
            tariffs, [0.0, mean[rnd][deals[(0, 1)].base] - mean[rnd][0], 0.0]
        )
        np.testing.assert_allclose(ag, [0.0, mean[rnd][deals[(1, 1)].base] - mean[rnd][0], 0.0])
    start = (0, rem.weeks[1] - rem.weeks[0])
    for side in ("us", "china"):
        for rnd, (v, d, g) in enumerate(
            (
                (scored[side]["now"], out["d"], out["g"]),
                (scored[side]["next"], out["dn"], out["gn"]),
            )
        ):
            held = scored[side]["delta"] ** (rem.weeks[rnd] - start[rnd]) * (d[side] + g[side][1])
            want = held - (v[rem.rows[rnd]] - v[0])
            np.testing.assert_allclose(term.loss[side][rnd], want, rtol=1e-12)
    assert term.reviews == rem.reviews
    m, effect = ENFORCED.makers.us, float(scored["us"]["now"][9] - scored["us"]["now"][0])
    margin = escalate_margin(m, EscalationInputs(progress=1.0, own_cost=effect))
    due = DueInputs(progress=1.0, own_cost=effect, age_weeks=rem.lead)
    fire = p_fire(m, threat_size(m, rem.size), due)
    want_rule = (IMP.dispute_below, IMP.cap, margin, m.remedial_weight, m.logit_scale, fire)
    np.testing.assert_allclose(term.rule, want_rule, rtol=1e-12)
    # without purchases that commit anything, or without remedial paths: no term
    plain = SimpleNamespace(cfg=ENFORCED, space=space, level_q=[level_q[0], [{}, {}, {}]])
    assert dispute_term(plain, rem, sim, scored, out, (Plan(0), now, nxt)) is None
    assert dispute_term(proj, None, sim, scored, out, (Plan(0), now, nxt)) is None
