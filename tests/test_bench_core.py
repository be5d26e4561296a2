"""Smoke test of benchmarks/bench_core.py: paired arms, window hazards, one small section."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import load_script


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks/bench_core.py")


def test_identical_arms_give_exactly_zero(bench):
    """Two arms with the same overrides run the same seeds identically: every paired effect
    is exactly 0 with the interval [0, 0] (common random numbers, no hidden state)."""
    runner = bench.Runner(workers=1, progress=False)
    res = runner.arms({"a": {}, "b": {}}, range(1, 4))
    assert [r["seed"] for r in res["a"]] == [1, 2, 3]
    assert res["a"] == res["b"]
    rng = np.random.default_rng(0)
    for stat in ("rmst52", "p_deal_by_2020_01_15", "us_gain_at_deal"):
        e = bench.effect(res["a"], res["b"], stat, rng, n_boot=50)
        assert (e.estimate, e.low, e.high) == (0.0, 0.0, 0.0)
        assert not e.excludes(0.0)


def test_window_hazards_and_did_ratio(bench):
    """Window counts: at risk while no deal before the week; HR from summed counts."""
    ref = np.array([10.0, 10.0, 10.0, 10.0])
    # deals at week 8 (pre), 12 (post), never, and week 3 (before both windows)
    weeks = np.array([8.0, 12.0, math.inf, 3.0])
    c = bench.window_counts(weeks, ref)
    assert c[0].tolist() == [1, 2, 0, 0]  # at risk in weeks 7 and 8, the deal in 8
    assert c[1].tolist() == [0, 3, 1, 2]  # at risk in 11 and 12
    assert c[2].tolist() == [0, 3, 0, 3]
    assert c[3].tolist() == [0, 0, 0, 0]
    assert bench.did_hr(c, c) == pytest.approx(1.0)


def test_patience_section_runs(bench):
    """The stationary patience section: one seed per cell, shares in [0, 1] and deals."""
    runner = bench.Runner(workers=1, progress=False)
    text, data = bench.section_patience(runner, 1)
    assert text.startswith("### 2.")
    assert set(data["arms"]) == {f"{s}_{k}" for s in ("us", "china") for k in (0.5, 1.0, 2.0)}
    for arm in data["arms"].values():
        assert arm["deal_rate"] == 1.0
        assert 0.0 <= arm["us_share_mean"] <= 1.0


def _labels(arm):
    return sorted(a["label"] for a in arm["calendar.tariff_actions"])


def test_single_deadline_arms_differ_only_in_the_tested_hike(bench):
    """did_single: in every variant arm 0 is arm H less the tested hike, the other deadlines
    are gone from both arms, and everything else (schedule, irreversibility) is shared."""
    base = sorted(a.label for a in bench._BASE.calendar.tariff_actions)
    for name, (label, _key, shared, _note) in bench.did_single_variants().items():
        arms = bench.did_arms(label, shared)
        assert set(arms) == {"H_on", "0_on", "H_off", "0_off"}
        for irr in ("on", "off"):
            h, z = arms[f"H_{irr}"], arms[f"0_{irr}"]
            assert label in _labels(h) and label not in _labels(z)
            assert sorted([*_labels(z), label]) == _labels(h)
            assert len(_labels(h)) < len(base), name  # another deadline removed from both
            assert {k: v for k, v in h.items() if k != "calendar.tariff_actions"} == {
                k: v for k, v in z.items() if k != "calendar.tariff_actions"
            }
        assert arms["H_off"]["irreversibility.under_fire_cost"] == 0.0
        assert "irreversibility.under_fire_cost" not in arms["H_on"]
    # the default arms (sections did, did_oct) keep the baseline's calendar in arm H
    assert "calendar.tariff_actions" not in bench.did_arms(bench.HIKE_LABEL)["H_on"]
    with pytest.raises(ValueError):
        bench.did_arms(bench.HIKE_LABEL, {"calendar.tariff_actions": []})
    with pytest.raises(ValueError):
        bench.tariff_actions_without("no such hike")


def test_single_deadline_section_runs(bench):
    """The oct variant on two seeds: its reference weeks are the hike's, its table prints."""
    runner = bench.Runner(workers=1, progress=False)
    rng = np.random.default_rng(0)
    text, data = bench.section_did_single(runner, 2, 20, rng, ["oct"])
    assert text.startswith("### 3c.") and "variant `oct`" in text
    d = data["oct"]
    assert d["due_week"] == 5 and d["label"] == bench.OCT_HIKE_LABEL
    for irr in ("on", "off"):
        refs = d[irr]["ref_weeks"]
        assert sum(refs.values()) == 2 and all(float(w) >= 5 for w in refs)
        assert sum(d[irr]["first_deal_weeks_H"].values()) == 2


def test_did_components_section_runs(bench):
    """did_components on one seed: all on, all off and each irreversibility alone, both arms."""
    runner = bench.Runner(workers=1, progress=False)
    text, data = bench.section_did_components(runner, 1, np.random.default_rng(0))
    assert text.startswith("### 3d.")
    names = {"all on", "all off"} | {f"only {k.split('.')[1]}" for k in bench.IRREVERSIBILITY_OFF}
    assert set(data["arms"]) == {f"{n}|{a}" for n in names for a in ("H", "0")}
    for d in data["arms"].values():
        assert d["p_by_week_before_due"] + d["p_open_after_due"] <= 1.0


def test_aid_section_runs_and_reports_both_signs(bench):
    """The farm-aid section end to end on a few seeds (its levels read every statistic, the
    after-signature ones included, from runs that stop at the first deal) with the LHS sign
    of the timing and of the terms."""
    runner = bench.Runner(workers=1, progress=False)
    rng = np.random.default_rng(0)
    text, data = bench.section_aid(runner, 2, 2, 1, 20, rng)
    assert text.startswith("### 1.")
    lhs = data["lhs"]
    assert sum(lhs["sign_counts"].values()) == 2
    assert sum(lhs["terms_sign_counts"].values()) == 2
    assert all("terms_diff" in d for d in lhs["per_draw"])
    for d in lhs["per_draw"]:  # each draw's paired interval brackets its own estimate
        lo, hi = d["rmst_ci95"]
        assert lo <= d["rmst_diff"] <= hi
    assert sum(lhs["detected_sign_counts"].values()) == 2
    held = data["lhs_makers_held"]  # the same draws with the makers held to the calendar
    assert held["overrides"] == bench.makers_held() and len(held["per_draw"]) == 2
    assert "makers held" in text
    for levels in data["levels"].values():
        assert math.isnan(levels["share_delivered"])  # nothing runs past the first deal here


def test_makers_held_leave_only_the_calendar(bench):
    """``makers_held``: every announced action fires when due and no maker announces anything
    (the aid LHS's isolation of the bargaining chain); free makers do postpone or announce."""
    from tradetalks.sim.model import TradeTalksModel

    def kinds(overrides):
        cfg = bench._config(overrides)
        out = set()
        for seed in (1, 2, 3):
            model = TradeTalksModel(cfg, rng=seed, farmer_agents=False, space=bench._space(cfg))
            for _ in range(30):
                model.step()
            out |= {d.kind for m in model.tariffs.makers.values() for d in m.decisions}
        return out

    assert kinds(bench.makers_held()) == {"fire"}  # the 15 Oct hike fires in week 5
    assert kinds({}) - {"fire"}  # the baseline's makers do more than fire


def test_held_deadline_variants_make_the_hike_certain(bench):
    """did_single's ``*_held`` variants: in every arm each remaining action fires when due and
    the makers announce nothing (``makers_held``); the other variants leave the makers free."""
    for name, (label, _key, shared, note) in bench.did_single_variants().items():
        arms = bench.did_arms(label, shared)
        held = "_held" in name
        for arm in arms.values():
            certain = all(a["postponable"] is False for a in arm["calendar.tariff_actions"])
            assert certain or not held, name
            assert (arm.get("makers.us.escalate_bias") == -10.0) is held, name
        assert ("held to the calendar" in note) is held and ("may still announce" in note) != held


def test_screening_grid_reaches_every_member_of_every_arm(bench, monkeypatch):
    """``--screening-grid``: every screening member of both teams gets the grid, in every arm
    (``_config`` merges ``COMMON`` under the arm's own overrides)."""
    assert (
        bench.screening_grid(0.05)["teams.us.members.president.strategy.params.type_step"] == 0.05
    )
    monkeypatch.setattr(bench, "COMMON", bench.screening_grid(0.25))
    for arm in ({}, {"farm_politics.aid_scale": 3.0}):
        cfg = bench._config(arm)
        grids = [m.strategy.params.types for t in cfg.teams.values() for m in t.members.values()]
        assert grids and all(g == [0.25, 0.5, 0.75] for g in grids)
    monkeypatch.setattr(bench, "COMMON", {})
    assert bench._config({}).teams["us"].members["president"].strategy.params.types[1] == 0.008


def test_detected_signs_count_only_intervals_that_exclude_zero(bench):
    """A draw counts as later/earlier only when its whole CI lies on that side of 0; an
    interval touching or straddling 0 is "no effect detected"."""
    draws = [{"ci": [0.1, 2.0]}, {"ci": [-0.06, 0.0]}, {"ci": [-0.2, 0.3]}, {"ci": [-1.0, -0.5]}]
    counts = bench.detected_signs(draws, "ci", "later", "earlier")
    assert list(counts.values()) == [1, 2, 1]
    assert "later" in next(iter(counts)) and "earlier" in list(counts)[-1]


def test_deadline_benchmark_moves_only_the_tested_hike(bench):
    """bench_deadline's calendar: the 15 Oct hike due in the requested week (same weekday),
    the 15 Dec hikes gone, nothing else changed; ``due_week`` reads arm H's calendar."""
    mod = load_script("benchmarks/bench_deadline.py")
    base = {a["label"]: a for a in bench.tariff_actions_without()}
    for week in (3, 7):
        acts = mod.hike_due_in(week)
        by_label = {a["label"]: a for a in acts}
        assert bench.HIKE_LABEL not in by_label and bench.CN_DEC_LABEL not in by_label
        moved = by_label[bench.OCT_HIKE_LABEL]
        assert bench.due_week(bench.OCT_HIKE_LABEL, {"calendar.tariff_actions": acts}) == week
        assert moved["date"].weekday() == base[bench.OCT_HIKE_LABEL]["date"].weekday()
        assert {k: v for k, v in moved.items() if k != "date"} == {
            k: v for k, v in base[bench.OCT_HIKE_LABEL].items() if k != "date"
        }
    assert bench.due_week(bench.OCT_HIKE_LABEL) == 5  # the baseline's: 15 Oct 2019


def test_later_deals_are_read_only_from_runs_taken_to_the_horizon(bench):
    """The second deal is known only for runs taken to the horizon; a run stopped at its
    first deal has no second-deal field, so the statistic fails rather than count it never."""
    runner = bench.Runner(workers=1, progress=False)
    full = runner.arms({"a": {}}, range(1, 3), full=True)["a"]
    first = runner.arms({"a": {}}, range(1, 3))["a"]
    for r in full:
        assert r["issues_agreed_end"] >= r.get("n_issues", 0)  # unravelling is off here
        assert r["second_deal_week"] is None or r["second_deal_week"] > r["deal_week"]
    assert 0.0 < bench.level_of(full, "rmst52_second") <= 52.0
    with pytest.raises(KeyError):
        bench.level_of(first, "rmst52_second")


def test_farmers_section_reports_the_channel_on_both_deals(bench):
    """The farmers section end to end on a few seeds: the channel's first- and second-deal
    rows, and the second deal's TOST between 1,000 and 10,000 farmers."""
    runner = bench.Runner(workers=1, progress=False)
    text, data = bench.section_farmers(runner, 2, 2, 20, np.random.default_rng(0), 2)
    assert text.startswith("### 4.")
    assert set(data["tost"]) == {
        "rmst52",
        "p_deal_by_2020_01_15",
        "rmst52_second",
        "p_second_by_2020_01_15",
    }
    chan = data["channel_off"]
    for part in (chan, chan["second_deal"]):
        assert 0.0 <= part["logrank_p"] <= 1.0
        assert 0.0 < part["rmst_on"] <= 52.0 and 0.0 < part["rmst_off"] <= 52.0
    assert chan["second_deal"]["rmst_on"] >= chan["rmst_on"]  # a second deal comes later


def test_ablation_section_reads_the_first_and_the_second_deal(bench):
    """The ablation end to end on two seeds: every mechanism's row holds every statistic,
    the second deal's included (its runs go to week 52)."""
    runner = bench.Runner(workers=1, progress=False)
    text, data = bench.section_ablation(runner, 2, 20, np.random.default_rng(0))
    assert text.startswith("### 5.")
    assert set(data["effects"]) == set(bench.ABLATIONS)
    for effs in data["effects"].values():
        assert set(effs) == set(bench.ABLATION_STATS)
    assert data["baseline"]["rmst52_second"] >= data["baseline"]["rmst52"]
