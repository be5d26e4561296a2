"""Bargaining analysis against brute force, and metamorphic properties; and the analysis of
a sweep (``tradetalks analyze``, issue 15): censored time to deal, counts per heatmap cell,
failed runs, labels, the design-size warning (at the end of the module)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tradetalks.sim import analysis as an
from tradetalks.sim.issues import Issue, OutcomeSpace

from tradetalks.testing.negotiation import payoff_tables, small_spaces, weight_vectors

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-12


# --------------------------------------------------------------------------- brute force
def brute_pareto(u1, u2, mask=None):
    n = len(u1)
    m = np.ones(n, bool) if mask is None else mask
    out = set()
    for i in range(n):
        if not m[i]:
            continue
        dominated = any(
            m[j] and u1[j] >= u1[i] and u2[j] >= u2[i] and (u1[j] > u1[i] or u2[j] > u2[i])
            for j in range(n)
        )
        if not dominated:
            out.add(i)
    return out


def pareto_among(u1, u2, indices):
    """Brute-force Pareto set among the given outcomes only."""
    mask = np.zeros(len(u1), bool)
    mask[list(indices)] = True
    return brute_pareto(u1, u2, mask)


def brute_rational(u1, u2, r):
    return [i for i in range(len(u1)) if u1[i] >= r[0] and u2[i] >= r[1]]


@PROPS
@given(payoff_tables())
def test_pareto_frontier_matches_brute_force(table):
    u1, u2, _ = table
    assert set(an.pareto_frontier(u1, u2).tolist()) == brute_pareto(u1, u2)


@PROPS
@given(payoff_tables(), st.data())
def test_pareto_frontier_respects_mask(table, data):
    u1, u2, _ = table
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(u1), max_size=len(u1))))
    assert set(an.pareto_frontier(u1, u2, mask).tolist()) == brute_pareto(u1, u2, mask)


@PROPS
@given(payoff_tables())
def test_nash_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.nash_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    best = max((u1[i] - r[0]) * (u2[i] - r[1]) for i in ir)
    assert x in ir
    assert (u1[x] - r[0]) * (u2[x] - r[1]) == pytest.approx(best, abs=EPS)
    # the Nash point is Pareto-optimal among the rational outcomes
    assert x in pareto_among(u1, u2, ir)


@PROPS
@given(payoff_tables())
def test_kalai_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.kalai_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    i1, i2 = max(u1[i] for i in ir), max(u2[i] for i in ir)

    def gain(i):
        g1 = (u1[i] - r[0]) / (i1 - r[0]) if i1 > r[0] else 1.0
        g2 = (u2[i] - r[1]) / (i2 - r[1]) if i2 > r[1] else 1.0
        return min(g1, g2)

    best = max(gain(i) for i in ir)
    assert x in ir
    assert gain(x) == pytest.approx(best, abs=EPS)
    assert x in pareto_among(u1, u2, ir)


@PROPS
@given(payoff_tables())
def test_welfare_point_matches_brute_force(table):
    u1, u2, r = table
    ir = brute_rational(u1, u2, r)
    x = an.welfare_point(u1, u2, r)
    if not ir:
        assert x is None
        return
    assert u1[x] + u2[x] == pytest.approx(max(u1[i] + u2[i] for i in ir), abs=EPS)


@PROPS
@given(payoff_tables(), st.data())
def test_pareto_distance_is_zero_on_the_frontier_and_positive_off_it(table, data):
    u1, u2, _ = table
    i = data.draw(st.integers(0, len(u1) - 1))
    d = an.pareto_distance((u1[i], u2[i]), u1, u2)
    front = brute_pareto(u1, u2)
    if i in front:
        assert d == 0.0
    else:
        brute = min(np.hypot(u1[j] - u1[i], u2[j] - u2[i]) for j in front)
        assert d == pytest.approx(brute, abs=EPS) and d > 0


# --------------------------------------------------------------------------- metamorphic
@PROPS
@given(
    payoff_tables(),
    st.sampled_from([0.25, 0.5, 2.0, 4.0]),
    st.integers(-4, 4),
    st.sampled_from([0.25, 0.5, 2.0, 4.0]),
    st.integers(-4, 4),
)
def test_affine_rescaling_changes_nothing_it_should_not(table, a1, b1, a2, b2):
    """Positive affine maps of each side's utility (and reservation) leave the frontier,
    the Nash and Kalai points unchanged (Nash's and Kalai's scale invariance); exact here
    because utilities are multiples of 1/16 and the maps dyadic."""
    u1, u2, r = table
    s1, s2 = b1 / 16, b2 / 16
    v1, v2 = a1 * u1 + s1, a2 * u2 + s2
    q = (a1 * r[0] + s1, a2 * r[1] + s2)
    assert set(an.pareto_frontier(v1, v2).tolist()) == set(an.pareto_frontier(u1, u2).tolist())
    assert an.nash_point(v1, v2, q) == an.nash_point(u1, u2, r)
    assert an.kalai_point(v1, v2, q) == an.kalai_point(u1, u2, r)


@PROPS
@given(payoff_tables(), st.randoms(use_true_random=False))
def test_reordering_outcomes_changes_nothing_but_indices(table, rnd):
    u1, u2, r = table
    perm = list(range(len(u1)))
    rnd.shuffle(perm)
    p = np.array(perm)
    v1, v2 = u1[p], u2[p]
    front = set(p[an.pareto_frontier(v1, v2)].tolist())
    assert front == set(an.pareto_frontier(u1, u2).tolist())
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        if a is None:
            assert b is None
        else:  # same utility pair (ties may pick another outcome with the same utilities)
            assert (u1[a], u2[a]) == (v1[b], v2[b])


def _utilities(space, w_us, w_cn):
    return space.utility("us", w_us), space.utility("china", w_cn)


def _relabel(space: OutcomeSpace, j: int, perm: list[int]) -> OutcomeSpace:
    """The same space with issue j's levels listed in another order (values permuted along)."""
    issues = list(space.issues)
    iss = issues[j]
    inv = {old: new for new, old in enumerate(perm)}
    issues[j] = dataclasses.replace(
        iss,
        levels=tuple(iss.levels[k] for k in perm),
        status_quo=inv[iss.status_quo],
        values={k: v[perm] for k, v in iss.values.items()},
    )
    interim = bool((space.levels == -1).any())
    return OutcomeSpace(issues, allow_interim=interim)


@settings(max_examples=60, deadline=None)
@given(small_spaces(), st.data())
def test_relabelling_levels_changes_nothing_it_should_not(space, data):
    w_us = data.draw(weight_vectors(space.n_issues))
    w_cn = data.draw(weight_vectors(space.n_issues))
    r = (data.draw(st.integers(0, 8)) / 16, data.draw(st.integers(0, 8)) / 16)
    j = data.draw(st.integers(0, space.n_issues - 1))
    perm = data.draw(st.permutations(range(space.issues[j].n_levels)))
    other = _relabel(space, j, list(perm))
    u1, u2 = _utilities(space, w_us, w_cn)
    v1, v2 = _utilities(other, w_us, w_cn)

    def terms(sp, idx):
        return {tuple(sorted(sp.terms(int(i)).items())) for i in idx}

    assert terms(space, an.pareto_frontier(u1, u2)) == terms(other, an.pareto_frontier(v1, v2))
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        assert (a is None) == (b is None)
        if a is not None:
            assert (
                an.tidy(np.array([u1[a], u2[a]])).tolist()
                == an.tidy(np.array([v1[b], v2[b]])).tolist()
            )


@settings(max_examples=60, deadline=None)
@given(small_spaces(max_issues=2), st.data())
def test_adding_an_issue_nobody_values_changes_nothing_it_should_not(space, data):
    w_us = data.draw(weight_vectors(space.n_issues))
    w_cn = data.draw(weight_vectors(space.n_issues))
    r = (data.draw(st.integers(0, 8)) / 16, data.draw(st.integers(0, 8)) / 16)
    dummy = Issue(
        name="nobody_cares",
        levels=("x", "y", "z"),
        status_quo=0,
        concedes="us",
        negotiable=True,
        values={"us": np.zeros(3), "china": np.zeros(3)},
        quantities={},
    )
    interim = bool((space.levels == -1).any())
    bigger = OutcomeSpace([*space.issues, dummy], allow_interim=interim)
    u1, u2 = _utilities(space, w_us, w_cn)
    v1, v2 = _utilities(bigger, np.r_[w_us, 0.0], np.r_[w_cn, 0.0])
    pairs = {tuple(p) for p in an.tidy(np.c_[u1, u2][an.pareto_frontier(u1, u2)]).tolist()}
    pairs_big = {tuple(p) for p in an.tidy(np.c_[v1, v2][an.pareto_frontier(v1, v2)]).tolist()}
    assert pairs == pairs_big
    for point in (an.nash_point, an.kalai_point, an.welfare_point):
        a, b = point(u1, u2, r), point(v1, v2, r)
        assert (a is None) == (b is None)
        if a is not None:
            assert (
                an.tidy(np.array([u1[a], u2[a]])).tolist()
                == an.tidy(np.array([v1[b], v2[b]])).tolist()
            )


# --------------------------------------------------------------------------- examples
def test_textbook_example():
    """Split 10 units in halves: frontier is the line, Nash and Kalai at the middle."""
    u1 = np.arange(11) / 10
    u2 = 1 - u1
    assert set(an.pareto_frontier(u1, u2).tolist()) == set(range(11))
    assert an.nash_point(u1, u2, (0, 0)) == 5
    assert an.kalai_point(u1, u2, (0, 0)) == 5
    # a better outside option for side 1 moves the Nash point its way
    assert an.nash_point(u1, u2, (0.4, 0)) == 7


def test_kalai_differs_from_nash_on_an_asymmetric_set():
    """On the frontier (0, 1), (0.5, 0.95), (0.68, 0.68), (1, 0) with ideal (1, 1), Nash
    maximises the product (0.475 at the second point) while Kalai maximises the smaller
    normalised gain (0.68 at the third)."""
    u1 = np.array([0.0, 0.5, 0.68, 1.0])
    u2 = np.array([1.0, 0.95, 0.68, 0.0])
    assert an.nash_point(u1, u2, (0, 0)) == 1  # 0.475 > 0.4624
    assert an.kalai_point(u1, u2, (0, 0)) == 2  # min 0.68 > 0.5


def test_every_point_of_a_grid_is_checked_once():
    """All 2-outcome orderings: the frontier of two points is both unless one dominates."""
    for a, b, c, d in itertools.product([0.0, 0.5, 1.0], repeat=4):
        u1, u2 = np.array([a, c]), np.array([b, d])
        assert set(an.pareto_frontier(u1, u2).tolist()) == brute_pareto(u1, u2)


def test_space_command_json(tmp_path):
    import json

    from typer.testing import CliRunner

    from tradetalks.cli import app

    res = CliRunner().invoke(app, ["space", "configs/theory/nash_symmetric.toml", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["outcomes"] == 121
    assert rep["nash"]["terms"] == {"a": "10", "b": "10"}
    assert rep["kalai_smorodinsky"]["terms"] == {"a": "10", "b": "10"}
    assert len(rep["frontier"]) >= 2
    us = [p["utility"]["us"] for p in rep["frontier"]]
    cn = [p["utility"]["china"] for p in rep["frontier"]]
    assert us == sorted(us, reverse=True) and cn == sorted(cn)


def test_space_command_bad_input_exits_2(tmp_path):
    from typer.testing import CliRunner

    from tradetalks.cli import app

    res = CliRunner().invoke(app, ["space", str(tmp_path / "missing.toml")])
    assert res.exit_code == 2


# --------------------------------------------------------------------------- sweep analysis
# Sweeps of stand-in models (no negotiation: a deal week set by the parameters) take a second
# or two and have known answers.
BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"
START = dt.date(2019, 9, 16)  # the baseline's start date; its runs last 52 weeks


class CensoredModel:
    """A deal in week 4 + 1000 (US patience - 0.97), rounded, for US patience below 0.99,
    none above it (censored at the horizon); China's patience changes nothing."""

    def __init__(self, config=None, rng=None, overrides=None, **_):
        o = overrides or {}
        self.us = o.get("teams.us.patience", 0.995)
        self.seed = rng

    def run(self):
        week = 4 + round(1000 * (self.us - 0.97)) if self.us < 0.99 else None
        return {"deal": week is not None, "deal_week": week, "utility": {"us": self.us}}


class FlakyModel(CensoredModel):
    """Fails for every seed divisible by 4; no deal when China's patience is 0.99 and the
    seed is odd; and a weekly farm_approval series."""

    def __init__(self, config=None, rng=None, overrides=None, **_):
        super().__init__(config, rng, overrides)
        self.cn = (overrides or {}).get("teams.china.patience", 0.997)
        if rng is not None and overrides and rng % 4 == 0:
            raise RuntimeError("injected failure")

    def run(self):
        out = super().run()
        if self.seed is not None and self.cn == 0.99 and self.seed % 2 == 1:
            out.update(deal=False, deal_week=None)
        return out

    def timeseries(self):
        return pd.DataFrame({"week": range(53), "farm_approval": np.linspace(0.6, 0.7, 53)})


SOBOL = f"""
name = "censored"
base = "{BASELINE.as_posix()}"
root_seed = 3
replicates = 1
[sampler]
kind = "sobol"
samples = 32
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
range = [0.97, 0.999]
[[parameters]]
name = "china_patience"
path = "teams.china.patience"
range = [0.97, 0.999]
[outcomes]
keep = ["deal", "deal_week", "utility.us"]
[analysis]
sensitivity = ["deal", "deal_week"]
"""

GRID = f"""
name = "flaky"
base = "{BASELINE.as_posix()}"
root_seed = 8
replicates = 4
[sampler]
kind = "grid"
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
values = [0.97, 0.98, 0.99]
[[parameters]]
name = "china_patience"
path = "teams.china.patience"
values = [0.98, 0.99]
[outcomes]
keep = ["deal", "deal_week", "utility.us"]
series = ["farm_approval"]
"""


def _sweep(tmp: Path, text: str, model: str) -> Path:
    from tradetalks.experiments.runner import run_sweep

    (tmp / "sweep.toml").write_text(textwrap.dedent(text))
    run_sweep(tmp / "sweep.toml", tmp / "out", workers=1, progress=None, model=model)
    return tmp / "out"


@pytest.fixture(scope="module")
def censored(tmp_path_factory) -> Path:
    return _sweep(tmp_path_factory.mktemp("censored"), SOBOL, f"{__name__}:CensoredModel")


@pytest.fixture(scope="module")
def flaky(tmp_path_factory) -> Path:
    return _sweep(tmp_path_factory.mktemp("flaky"), GRID, f"{__name__}:FlakyModel")


def _runs(out: Path) -> pd.DataFrame:
    from tradetalks.experiments.store import read_runs

    return read_runs(out).to_pandas()


def _indices(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "analysis" / "sobol_indices.csv")


def test_censored_deal_timing_still_gets_indices(censored):
    """Runs without a deal censor deal_week: analyze reports indices of the restricted mean
    time to deal (and of a deal by the end) instead of dropping them; US patience alone
    drives both, China's not at all."""
    from typer.testing import CliRunner

    from tradetalks.cli import app

    runs = _runs(censored)
    assert runs["deal_week"].isna().sum() > 0  # censored runs exist
    res = CliRunner().invoke(app, ["analyze", str(censored)])
    assert res.exit_code == 0, res.output
    notes = (censored / "analysis" / "notes.txt").read_text()
    assert "deal_week is censored" in notes
    ix = _indices(censored).set_index(["outcome", "parameter"])
    assert "deal_week" not in ix.index.get_level_values(0)  # censored: not analysed raw
    for outcome in ("time_to_deal_rmst", "deal"):
        us, cn = ix.loc[(outcome, "us_patience")], ix.loc[(outcome, "china_patience")]
        assert us["ST"] > 0.5 and us["ST"] - us["ST_conf"] > cn["ST"] + cn["ST_conf"]
        assert cn["ST"] == pytest.approx(0, abs=1e-9) and cn["S1"] == pytest.approx(0, abs=1e-9)
        assert np.isfinite(ix.loc[outcome][["S1_conf", "ST_conf"]].to_numpy()).all()
    assert "largest ST us_patience" in res.output
    overview = pd.read_csv(censored / "analysis" / "overview.csv").iloc[0]
    rmst = np.minimum(runs["deal_week"].fillna(52), 52).mean()
    assert overview["time_to_deal_rmst"] == pytest.approx(rmst)


def test_a_horizon_date_moves_the_timing_outcomes(censored):
    """By 2019-11-01 (week 7: 46 days after the start) a deal means deal_week <= 7."""
    from tradetalks.experiments.analysis import analyze_sweep
    from tradetalks.experiments.sweepdata import AnalysisError

    analyze_sweep(censored, by="2019-11-01", log=lambda _: None)
    runs = _runs(censored)
    overview = pd.read_csv(censored / "analysis" / "overview.csv").iloc[0]
    assert overview["horizon"] == "2019-11-01 (week 7)"
    assert overview["deal_by_horizon"] == pytest.approx((runs["deal_week"] <= 7).mean())
    rmst = np.minimum(runs["deal_week"].fillna(7), 7).mean()
    assert overview["time_to_deal_rmst"] == pytest.approx(rmst)
    ix = _indices(censored)
    assert set(ix["outcome"]) >= {"deal", "deal_by_horizon", "time_to_deal_rmst"}
    for late in ("2020-09-14", "2019-09-01", "15 Jan"):
        with pytest.raises(AnalysisError):
            analyze_sweep(censored, by=late, log=lambda _: None)


def test_the_too_small_design_warning_fires(censored):
    """N = 32 base samples for 4 indices (S1 and ST of 2 parameters) is under the rule's
    10 per index; N = 64 is not."""
    from tradetalks.experiments import sensitivity as sa
    from tradetalks.experiments.analysis import analyze_sweep

    said: list[str] = []
    analyze_sweep(censored, log=said.append)
    (warning,) = [s for s in said if "too small for its indices" in s]
    assert "N = 32 base samples for 4 indices" in warning and "N >= 10 per index = 40" in warning
    assert sa.design_warning("sobol", 64, 2, False) is None
    assert "N = 256" in sa.design_warning("sobol", 64, 8, False)  # 16 indices: 160 -> 256
    assert "S2" in sa.design_warning("sobol", 256, 8, True)  # 44 indices with pairs: 440
    assert sa.design_warning("morris", 5, 8, False) is not None
    assert sa.design_warning("morris", 10, 8, False) is None


def test_deal_timing_censors_at_the_horizon():
    from tradetalks.experiments import sensitivity as sa

    t = sa.deal_timing(np.array([3.0, np.nan, 18.0, 30.0, np.inf]), horizon=18)
    assert t[sa.DEAL_BY].tolist() == [1, 0, 1, 0, 0]
    assert t[sa.RMST].tolist() == [3, 18, 18, 18, 18]


def test_heatmap_cells_count_runs_deals_and_failures(flaky):
    """Each cell's n is its finished runs, the deal-week mean is over its deals, and failed
    runs are counted apart; the figures' note says how many failed."""
    from tradetalks.experiments import analysis as an_
    from tradetalks.experiments.sweepdata import SweepData

    runs = _runs(flaky)
    ok = runs[runs["status"] == "ok"]
    assert 0 < (runs["status"] != "ok").sum() < len(runs) and ok["deal_week"].isna().any()
    ctx = an_._context(SweepData(flaky), None, lambda _: None)
    cells, xa, ya = an_._cells(ctx, "us_patience", "china_patience")
    for i, cn in enumerate(float(v) for v in ya.labels):
        for j, us in enumerate(float(v) for v in xa.labels):
            here = runs[(runs["us_patience"] == us) & (runs["china_patience"] == cn)]
            done = here[here["status"] == "ok"]
            assert cells["ok"][i, j] == len(done)
            assert cells["failed"][i, j] == len(here) - len(done)
            assert cells["deals"][i, j] == done["deal"].sum() == done["deal_week"].notna().sum()
            assert cells["week"][i, j] == pytest.approx(done["deal_week"].mean(), nan_ok=True)
    failed = int((runs["status"] != "ok").sum())
    assert ctx.footnote == f"{failed} of {len(runs)} runs failed (left out)"


def test_analyze_tables_distributions_and_series_per_design_point(flaky):
    from tradetalks.experiments import analysis as an_
    from tradetalks.experiments.sweepdata import SweepData
    from typer.testing import CliRunner

    from tradetalks.cli import app

    res = CliRunner().invoke(app, ["analyze", str(flaky)])
    assert res.exit_code == 0, res.output
    folder = flaky / "analysis"
    for name in ("deal_heatmap.png", "deal_week_heatmap.png", "series.png", "time_to_deal.png"):
        assert (folder / name).read_bytes()[:4] == b"\x89PNG"
    runs = _runs(flaky)
    truth = runs.groupby("sample_id").agg(
        runs=("run_id", "size"),
        ok=("status", lambda s: int((s == "ok").sum())),
        deals=("deal_week", "count"),
    )
    table = pd.read_csv(folder / "by_sample.csv").set_index("sample_id")
    assert (table[["runs", "ok", "deals"]] == truth).all().all()
    assert (table["failed"] == truth["runs"] - truth["ok"]).all()
    assert ((table["deal_low95"] <= table["deal"]) & (table["deal"] <= table["deal_high95"])).all()
    assert "runs failed; left out" in (folder / "notes.txt").read_text()
    ctx = an_._context(SweepData(flaky), None, lambda _: None)
    dist = an_._distribution(ctx, "utility_us")  # one row per design point, not pooled
    assert len(dist.per_point) == 6
    assert dist.per_point.set_index("sample_id")["runs"].to_dict() == truth["ok"].to_dict()
    assert dist.label == "US utility at the last deal, or of no deal [utility]"


def test_labels_carry_units():
    from tradetalks.experiments import labels as lb

    assert lb.parameter_label("us_patience", ["teams.us.patience"]).endswith("[per week]")
    assert lb.outcome_label("final_farm_approval").startswith("farmers approving")
    assert lb.outcome_label("final_us_tariff_avg") == "US tariff on Chinese goods [%], at the end"
    assert lb.outcome_label("something_else") == "something_else"
    assert lb.week_of(START, dt.date(2020, 1, 15)) == 18  # the issue's example
    assert lb.week_start(START, 18) == dt.date(2020, 1, 13)


def test_the_sweeps_calendar_gives_the_weeks_its_charts_mark(tmp_path):
    """analyze marks the base config's tariff actions and principal rounds on its date axes:
    their weeks (week 1 starts on the start date) come from the sweep's base config."""
    from tradetalks.experiments.labels import sweep_calendar
    from tradetalks.sim.config import load_config, to_toml
    from tradetalks.sim.shipped import baseline

    assert sweep_calendar(tmp_path) == []  # no base config: nothing to mark
    cfg = load_config(baseline())
    (tmp_path / "base_config.toml").write_text(to_toml(cfg))
    marks = sweep_calendar(tmp_path)
    due = {cfg.week_of(a.date) for a in cfg.calendar.tariff_actions}
    rounds = {cfg.week_of(r.date) for r in cfg.calendar.rounds if r.level == "principal"}
    assert {w for w, k in marks if k == "tariff action due"} == due
    assert {w for w, k in marks if k == "principal round"} == rounds
    assert due and rounds
