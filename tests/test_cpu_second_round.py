"""Issue 11, CPU (second round): shortcuts that must change nothing, bit for bit.

Each shortcut is checked against the plain computation it replaces: the Congress pressure
kept on the chapters while its inputs stay (and recomputed, not stale, when one changes),
the screening strategy's coarse pruning of non-contenders, the deal metrics computed at the
feasible outcomes only with dominated ones dropped before the Pareto sort, the explicit rows'
issue-by-issue sums and the projector's search for distinct paths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_chapters import APPROVAL, CFG, SPACE
from test_core_v2 import FAST
from test_projector import BASE as PCFG
from test_projector import SPACE as PSPACE
from test_projector import snapshot
from test_projector_loops import _batch, plain_uncertainty
from tradetalks.agents import screening as scr
from tradetalks.sim import dynamics as dyn
from tradetalks.sim import projector_paths as pp
from tradetalks.sim import protocol as proto
from tradetalks.sim.analysis import deal_metrics, pareto_distance, pareto_mask
from tradetalks.sim.chapters import LEGISLATIVE, Chapters, congress_pressure
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.payoffs import Ratifier
from tradetalks.sim.projector import Projector
from tradetalks.sim.projector_value import Batch
from tradetalks.sim.shipped import locate

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ====================================================================== congress pressure
def _plain_pressure(rats, chapters, indicators, side="us") -> np.ndarray:
    """The uncached sum: Σ weight · deficit on the side's executive agreements."""
    out = np.zeros(len(SPACE))
    for rat in rats:
        if rat.side == side and rat.cfg.applies_to == LEGISLATIVE and rat.cfg.pressure_weight:
            out += rat.cfg.pressure_weight * rat.deficit(indicators) * ~chapters.legislative(side)
    return out


def _bodies() -> list[Ratifier]:
    return [Ratifier(name, r, SPACE) for name, r in CFG.ratifiers.items()]


def test_congress_pressure_is_kept_while_its_inputs_stay_and_never_goes_stale():
    chapters, rats = Chapters.from_config(CFG, SPACE), _bodies()
    congress = next(r for r in rats if r.name == "congress")
    first = congress_pressure(SPACE, rats, chapters, APPROVAL)
    assert first.any() and first.tobytes() == _plain_pressure(rats, chapters, APPROVAL).tobytes()
    assert congress_pressure(SPACE, rats, chapters, dict(APPROVAL)) is first  # kept
    congress.base_shift -= 0.05  # an audience cost: support falls, the pressure rises
    shifted = congress_pressure(SPACE, rats, chapters, APPROVAL)
    assert shifted is not first and (shifted >= first).all() and (shifted > first).any()
    assert shifted.tobytes() == _plain_pressure(rats, chapters, APPROVAL).tobytes()
    congress.threshold += 0.1  # a new threshold
    raised = congress_pressure(SPACE, rats, chapters, APPROVAL)
    assert raised.tobytes() == _plain_pressure(rats, chapters, APPROVAL).tobytes()
    assert not np.array_equal(raised, shifted)
    fresh = _bodies()  # other bodies (equal numbers): computed for them, the same values
    again = congress_pressure(SPACE, fresh, chapters, APPROVAL)
    assert again is not raised and again.tobytes() == first.tobytes()
    assert not congress_pressure(SPACE, rats, chapters, APPROVAL, side="china").any()


def test_congress_pressure_follows_a_live_indicator():
    live = CFG.ratifiers["congress"].model_copy(update={"base_indicator": "farm_approval"})
    rats, chapters = [Ratifier("congress", live, SPACE)], Chapters.from_config(CFG, SPACE)
    low = congress_pressure(SPACE, rats, chapters, {"farm_approval": 0.3})
    high = congress_pressure(SPACE, rats, chapters, {"farm_approval": 0.7})
    assert high.sum() < low.sum()
    for value in (0.3, 0.7):
        got = congress_pressure(SPACE, rats, chapters, {"farm_approval": value})
        want = _plain_pressure(rats, chapters, {"farm_approval": value})
        assert got.tobytes() == want.tobytes()


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from([-0.1, 0.0, 0.05]), st.booleans()), max_size=8))
def test_congress_pressure_equals_the_plain_sum_after_any_changes(changes):
    chapters, rats = Chapters.from_config(CFG, SPACE), _bodies()
    congress = next(r for r in rats if r.name == "congress")
    for shift, redraw in changes:
        congress.base_shift += shift
        if redraw:
            congress.threshold = congress.cfg.threshold + shift
        got = congress_pressure(SPACE, rats, chapters, APPROVAL)
        assert got.tobytes() == _plain_pressure(rats, chapters, APPROVAL).tobytes()


# ====================================================================== screening pruning
def _brute_contenders(own, opp, thresholds):
    """Every outcome that is, for some threshold, best or tied with the best (the definition
    ``_contenders`` implements), threshold by threshold."""
    keep = np.zeros(len(own), dtype=bool)
    for m in thresholds:
        meets = opp >= m - scr.TOLERANCE
        if meets.any():
            best = np.max(own[meets])
            keep |= meets & (own >= best - scr.TOLERANCE)
    return keep


values = st.sampled_from([0.0, 0.1, 0.2 + 1e-10, 0.2, 0.5, 0.9, 1.0, -0.3])


@SETTINGS
@given(
    st.lists(st.tuples(values, values), min_size=1, max_size=300),
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]), min_size=2, max_size=21),
)
def test_pruning_keeps_exactly_the_contenders(pairs, grid):
    own, opp = (np.array(c, dtype=float) for c in zip(*pairs, strict=True))
    thresholds = np.array(grid)
    assert np.array_equal(
        scr._contenders(own, opp, thresholds), _brute_contenders(own, opp, thresholds)
    )


@SETTINGS
@given(
    st.lists(st.tuples(values, values), min_size=2, max_size=200),
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.9]), min_size=2, max_size=12),
)
def test_pruning_changes_no_pick_of_best_for(pairs, grid):
    """Finite gains, as the model's are: with a NaN gain the unpruned search finds a NaN best
    and picks nothing for that threshold, while pruning may drop the NaN and pick."""
    own, opp = (np.array(c, dtype=float) for c in zip(*pairs, strict=True))
    thresholds, mask = np.array(grid), np.ones(len(own), dtype=bool)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(scr, "PRUNE_ABOVE", 0)
        pruned = scr.best_for(own, opp, thresholds, mask)
        m.setattr(scr, "PRUNE_ABOVE", len(own) + 1)
        plain = scr.best_for(own, opp, thresholds, mask)
    assert np.array_equal(pruned, plain)


@SETTINGS
@given(
    st.lists(st.tuples(values, values), min_size=1, max_size=120),
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.5, 0.9]), min_size=1, max_size=12),
    st.integers(1, 64),
)
def test_thresholds_in_blocks_change_no_pick_of_best_for(pairs, grid, pairs_at_once):
    """best_for compares a block of thresholds at a time (memory): any block gives the picks
    of all thresholds at once."""
    own, opp = (np.array(c, dtype=float) for c in zip(*pairs, strict=True))
    thresholds, mask = np.array(grid), np.ones(len(own), dtype=bool)
    whole = scr.best_for(own, opp, thresholds, mask)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(scr, "BEST_FOR_PAIRS", pairs_at_once)
        assert np.array_equal(scr.best_for(own, opp, thresholds, mask), whole)
        assert scr.best_for(own, opp, float(grid[0]), mask) == whole[0]


def test_pruning_drops_most_outcomes_and_keeps_the_picks():
    rng = np.random.default_rng(3)
    own, opp = rng.random(4000), rng.random(4000)
    thresholds = np.linspace(0.0, 0.95, 20)
    kept = scr._contenders(own, opp, thresholds)
    assert kept.sum() < len(own) / 2  # the shortcut does something
    picks = scr.best_for(own, opp, thresholds, np.ones(len(own), dtype=bool))
    assert kept[picks].all()
    for k, m in enumerate(thresholds):  # best_for's picks by brute force
        ok = opp >= m - scr.TOLERANCE
        assert picks[k] == int(np.flatnonzero(ok)[np.argmax(own[ok])])


# ====================================================================== deal metrics
@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.25, 0.5, 0.5 + 1e-13, 0.75, 1.0]),
            st.sampled_from([0.0, 0.3, 0.6, 0.6 + 1e-13, 0.9]),
            st.booleans(),
        ),
        min_size=1,
        max_size=200,
    ),
    st.integers(1, 80),
)
def test_dropping_dominated_outcomes_keeps_the_frontier(rows, bins):
    u1, u2, mask = (np.array(c) for c in zip(*rows, strict=True))
    mask = mask.astype(bool)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(proto, "DOMINANCE_BINS", bins)
        kept = proto._undominated(u1, u2, mask)
    assert not (kept & ~mask).any()
    assert np.array_equal(pareto_mask(u1, u2, kept), pareto_mask(u1, u2, mask))
    point = (float(u1[0]), float(u2[0]))
    a, b = pareto_distance(point, u1, u2, kept), pareto_distance(point, u1, u2, mask)
    assert (np.isnan(a) and np.isnan(b)) or a == b


def test_dropping_dominated_outcomes_drops_some_and_leaves_nan_alone():
    rng = np.random.default_rng(5)
    u1, u2, mask = rng.random(5000), rng.random(5000), rng.random(5000) < 0.5
    kept = proto._undominated(u1, u2, mask)
    assert kept.sum() < mask.sum() / 10
    u1[7], mask[7] = np.nan, True
    assert proto._undominated(u1, u2, mask) is mask


def _checked_deal_values(seen):
    """``_deal_values`` beside the whole-space computation it replaces (must agree bitwise)."""
    restricted = proto.Negotiation._deal_values

    def both(self, x, feasible):
        utility, metrics = restricted(self, x, feasible)
        u = {s: self.teams[s].utility() for s in proto.SIDES}
        res = {s: self.teams[s].reservation for s in proto.SIDES}
        whole = deal_metrics(x, u, res, feasible)
        assert utility == {s: float(u[s][x]) for s in proto.SIDES}
        assert repr(metrics) == repr(whole)  # NaN-safe, bit for bit
        seen.append(metrics)
        return utility, metrics

    return both


@pytest.mark.parametrize("config", ["baseline", "theory/nash_symmetric"])
def test_deal_metrics_at_the_feasible_outcomes_equal_the_whole_spaces(config, monkeypatch):
    seen: list = []
    monkeypatch.setattr(proto.Negotiation, "_deal_values", _checked_deal_values(seen))
    cfg = BASELINE if config == "baseline" else locate(config)
    for seed in (1, 2, 3):
        TradeTalksModel(cfg, rng=seed, overrides=FAST, farmer_agents=False).run()
    assert seen, "no deal was signed: nothing was compared"


# ====================================================================== rows and paths
@SETTINGS
@given(st.data())
def test_explicit_rows_sum_as_the_enumerated_space_does(data):
    index = np.array(
        data.draw(st.lists(st.integers(0, len(SPACE) - 1), min_size=1, max_size=50, unique=True))
    )
    tables = []
    for issue in SPACE.issues:
        none = data.draw(st.booleans())
        vals = data.draw(
            st.lists(st.floats(-5, 5), min_size=issue.n_levels, max_size=issue.n_levels)
        )
        tables.append(None if none else np.array(vals))
    rows = SPACE.rows(index)
    assert rows.additive(tables).tobytes() == SPACE.additive(tables)[index].tobytes()


def _plain_unique_rows(*arrays):
    seen, first, inverse = {}, [], []
    for i in range(arrays[0].shape[0]):
        key = b"".join(a[i].tobytes() for a in arrays)
        j = seen.setdefault(key, len(first))
        if j == len(first):
            first.append(i)
        inverse.append(j)
    return first, (None if len(first) == len(inverse) else inverse)


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 6), st.integers(0, 10_000))
def test_distinct_paths_are_found_as_row_by_row(n, w, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, (n, w)).astype(float)
    b = rng.integers(0, 2, (n, w + 1)).astype(float)[:, :w]  # a strided view
    b[0, 0] = -0.0  # another byte pattern than 0.0
    assert pp._unique_rows(a, b) == _plain_unique_rows(a, b)


# ====================================================================== projector
def test_the_uncertainty_loop_adds_its_zero_where_a_minus_zero_can_arise():
    """A calm week's + 0 is skipped only when no −0 can arise; here one does (a −0 start, no
    adjustment, a negative target), and the loop still matches the plain steps bit for bit."""
    ev, mk, ctx = _batch()
    w = ctx.cfg.world
    odd = w.uncertainty.model_copy(
        update={"adjustment": 0.0, "base": -0.5, "threat_weight": 0.0, "no_deal_weight": 0.0}
    )
    cfg = ctx.cfg.model_copy(update={"world": w.model_copy(update={"uncertainty": odd})})
    ctx = dataclasses.replace(ctx, cfg=cfg)
    ctx.state = {**ctx.state, "trade_uncertainty": -0.0}
    ev["unc_add"][:, 0] = -0.0
    want = plain_uncertainty(ev, ctx)
    assert np.signbit(want[:, 0]).all() and not np.signbit(want[:, 1:]).any()
    got = pp._uncertainty_growth(ev, mk, ctx)["uncertainty"]
    assert got.tobytes() == want.tobytes()
    ev, mk, ctx = _batch()  # the baseline: no sign bit, the + 0 skipped, the same bits
    assert pp._uncertainty_growth(ev, mk, ctx)["uncertainty"].tobytes() == (
        plain_uncertainty(ev, ctx).tobytes()
    )


STATE = {
    "us_tariff_avg": 12.0,
    "cn_tariff_avg": 16.0,
    "soy_tariff": 28.0,
    "us_threat_pp": 5.0,
    "cn_threat_pp": 2.0,
}
QUANTITIES = (
    {},
    {"us_rollback_fired": 0.5, "cn_rollback_fired": 0.5},
    {"us_cancel_scheduled": 1.0, "us_threat_kept": 0.5, "soy_rollback_pp": 3.0},
)


def test_the_terms_memo_returns_deal_terms_and_keeps_inputs_apart():
    t, s = PCFG.world.trade, PCFG.world.soybeans
    memo = dyn.TermsMemo()
    for q in QUANTITIES:
        for fired in ({"us": 4.0, "china": 2.0, "china_soy": 1.0}, {"us": 0.0}):
            got = memo(STATE, q, fired, t, s, 0.3)
            assert repr(got) == repr(dyn.deal_terms(STATE, q, fired, t, s, 0.3))
            assert memo(dict(STATE), dict(q), dict(fired), t, s, 0.3) is got  # kept
    q, fired = QUANTITIES[2], {"us": 4.0}
    kept = memo(STATE, q, fired, t, s, 0.3)
    for change in ({"us_tariff_avg": 20.0}, {"us_threat_pp": 0.0}, {"us_threat_pp": -0.0}):
        st = {**STATE, **change}  # another state (−0.0 is not 0.0): computed afresh
        got = memo(st, q, fired, t, s, 0.3)
        assert got is not kept and repr(got) == repr(dyn.deal_terms(st, q, fired, t, s, 0.3))
    zero = memo({**STATE, "us_threat_pp": 0.0}, q, fired, t, s, 0.3)
    assert repr(zero) != repr(memo({**STATE, "us_threat_pp": -0.0}, q, fired, t, s, 0.3))
    assert repr(memo(STATE, q, fired, t, s, 0.0)) == repr(dyn.deal_terms(STATE, q, fired, t, s))


def test_a_projector_keeping_terms_values_as_fresh_ones_do():
    """Projections one after another on one projector (its memo warm) equal those of
    projectors that compute every deal's terms afresh."""
    warm = Projector(PCFG, PSPACE)
    for seed, fire in ((1, False), (2, True), (1, False), (3, True)):
        snap = snapshot(seed=seed, fire_us=fire)
        cold = Projector(PCFG, PSPACE)
        cold.terms = dyn.deal_terms
        a, b = warm.project(snap), cold.project(snap)
        assert repr((a.r, a.any_deal, a.r_next)) == repr((b.r, b.any_deal, b.r_next))
        for side in proto.SIDES:
            mine, theirs = a.gains[side] + a.lumps[side], b.gains[side] + b.lumps[side]
            for x, y in zip(mine, theirs, strict=True):
                assert x.tobytes() == y.tobytes()
            assert a.utility(side, PSPACE).tobytes() == b.utility(side, PSPACE).tobytes()
    assert warm.terms._kept, "the memo kept nothing"


def test_the_uncertainty_loop_clips_where_a_step_can_leave_the_unit_interval():
    """A target below 0 (a test assumption, no shipped config has one): the clip is kept and
    the loop matches the plain steps; on the baseline both shortcuts are taken."""
    ev, mk, ctx = _batch()
    u, st = ctx.cfg.world.uncertainty, ctx.state
    target = dyn.uncertainty_target(ev["threat"], ev["deal"], u).T
    start = np.minimum(1.0, st["trade_uncertainty"] * ev["unc_mult"][:, 0] + ev["unc_add"][:, 0])
    guards = dyn.uncertainty_guards(start, target, ev["unc_mult"], ev["unc_add"], u.adjustment)
    assert guards == (False, True)  # the baseline: no + 0, no clip
    w = ctx.cfg.world
    low = w.uncertainty.model_copy(
        update={"base": -0.5, "threat_weight": 0.0, "no_deal_weight": 0.0}
    )
    cfg = ctx.cfg.model_copy(update={"world": w.model_copy(update={"uncertainty": low})})
    ctx = dataclasses.replace(ctx, cfg=cfg)
    want = plain_uncertainty(ev, ctx)
    assert (want[:, -1] == 0.0).all()  # clipped at 0 on the way down
    assert pp._uncertainty_growth(ev, mk, ctx)["uncertainty"].tobytes() == want.tobytes()


@SETTINGS
@given(st.integers(0, 10_000), st.integers(0, 4))
def test_a_plan_values_floats_as_it_values_arrays(seed, actions):
    """``_gains`` hands ``Plan.value`` Python floats: the same doubles, the same sums."""
    rng = np.random.default_rng(seed)
    batch = Batch([snapshot().pending[0]] * actions if actions else [])
    plans = [
        batch.plan(None, {}, False, exact=True),
        batch.plan(2, {"us_rollback_pp": 1.0}, True, exact=False),
    ]
    v = rng.normal(size=len(batch.specs)) * 10.0 ** rng.integers(-3, 4)
    p, eff = rng.random(actions), rng.normal(size=actions)
    for plan in plans:
        assert plan.value(v.tolist(), eff.tolist(), p.tolist()) == plan.value(v, eff, p)
        assert repr(float(plan.value(v.tolist(), eff.tolist(), p.tolist()))) == repr(
            float(plan.value(v, eff, p))
        )
