"""The tariff makers' fit by conditional likelihood (issue 14 item 3): the likelihood is the
rule's own logit, it recovers known coefficients from data simulated with that logit, the
replay reads the record's decisions, and the shipped overlay and doc table are the fit's."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from helpers import ROOT
from tradetalks.experiments import maker_fit
from tradetalks.sim import maker_fit as lik
from tradetalks.sim.config import load_config
from tradetalks.sim.maker_rule import DueInputs, EscalationInputs
from tradetalks.sim.record import load_record
from tradetalks.sim.replay import forced_history
from tradetalks.sim.scenario import resolve_config
from tradetalks.sim.shipped import baseline, shipped_root

BASE = load_config(baseline())
US = BASE.makers.us
OVERLAY = shipped_root() / maker_fit.OVERLAY
DOC = ROOT / "docs" / "CALIBRATION.md"
SEED = 20180301  # the synthetic data's seed


def synthetic_rows(n: int, seed: int) -> list[lik.Obs]:
    """``n`` decisions of each kind with random inputs (outcomes to be drawn)."""
    rng = np.random.default_rng(seed)
    day = dt.date(2018, 3, 1)

    def weeks() -> float:
        return math.inf if rng.random() < 0.3 else float(rng.integers(0, 12))

    rows = []
    for i in range(n):
        esc = EscalationInputs(
            progress=rng.random(),
            own_cost=-0.01 * rng.random(),
            weeks_since_opp_escalation=weeks(),
            weeks_since_opp_gesture=weeks(),
            unanswered_pp=0.0 if rng.random() < 0.5 else 1 + 3 * rng.random(),
        )
        due = DueInputs(
            progress=rng.random(),
            own_cost=-0.01 * rng.random(),
            age_weeks=20 * rng.random(),
            weeks_since_opp_escalation=weeks(),
            weeks_since_opp_gesture=weeks(),
        )
        rows.append(lik.Obs("us", "announce", i, day, 0, esc))
        rows.append(lik.Obs("us", "fire", i, day, 0, due, size=1 + 5 * rng.random()))
    return rows


def with_outcomes(rows: list[lik.Obs], cfg, seed: int) -> list[lik.Obs]:
    """The rows with outcomes drawn from the rule's own probabilities under ``cfg``."""
    p = lik.probabilities(cfg, rows)
    y = np.random.default_rng(seed).random(len(rows)) < p
    return [
        lik.Obs(r.side, r.kind, r.week, r.date, int(v), r.inputs, r.size)
        for r, v in zip(rows, y, strict=True)
    ]


@pytest.fixture(scope="module")
def fitted():
    cfg = maker_fit.fit_config()
    return cfg, maker_fit.fit(cfg)


def test_the_design_is_the_rules_own_margin():
    rows = synthetic_rows(50, SEED)
    keys = maker_fit.FITTED["us"]
    d = lik.design(rows, US, "us", keys)
    rng = np.random.default_rng(SEED + 1)
    for _ in range(5):
        theta = rng.uniform(-1, 1, len(keys))
        cfg = US.model_copy(update=dict(zip(keys, theta, strict=True)))
        z = (d.offset + d.x @ theta) / d.scale
        assert np.allclose(1 / (1 + np.exp(-z)), lik.probabilities(cfg, rows))


def test_the_fit_recovers_known_coefficients_from_simulated_decisions():
    truth = {
        "escalate_bias": -0.15,
        "fire_bias": 0.3,
        "reaction_weight": 0.12,
        "audience_scale": 0.05,
    }
    cfg = US.model_copy(update=truth)
    rows = with_outcomes(synthetic_rows(2000, SEED), cfg, SEED + 2)
    est = lik.fit_side(rows, US, "us", tuple(truth))  # starts from the baseline's values
    for key, value in truth.items():
        se = est.se[key]
        assert se is not None and se < 0.05, key
        assert abs(est.theta[key] - value) < 4 * se, (key, est.theta[key], value, se)
    assert est.loglik > est.loglik_base


def test_a_term_that_only_ever_fires_is_flagged_and_bounded_on_one_side():
    rows = [r for r in synthetic_rows(60, SEED) if r.kind == "fire"]
    rows = [lik.Obs(r.side, r.kind, r.week, r.date, 1, r.inputs, r.size) for r in rows]
    est = lik.fit_side(rows, US, "us", ("fire_bias",))
    assert lik.separated(est) == ["fire_bias"]
    bound = lik.one_sided_bound(rows, US, "us", "fire_bias", ())
    d = lik.design(rows, US, "us", ("fire_bias",))
    top = lik.loglik(d, np.array([lik.bounds("fire_bias")[1]]))
    assert lik.loglik(d, np.array([bound])) == pytest.approx(top - lik.LR_DROP, abs=1e-6)
    assert lik.loglik(d, np.array([US.fire_bias])) < top - lik.LR_DROP  # the base is rejected


def test_the_replay_reads_the_records_decisions(fitted):
    cfg, result = fitted
    cfg = resolve_config(cfg)  # at its start: weeks count from 1 March 2018
    forced = forced_history(cfg, load_record())
    for side in ("us", "china"):
        weeks = {
            cfg.week_of(f.date) for f in forced if f.action == "announce" and f.entry.side == side
        }
        read = {
            o.week
            for o in result.sample.obs + result.sample.forced
            if o.side == side and o.kind == "announce" and o.y
        }
        assert read == weeks
    postponed = {o.week for o in result.sample.obs if o.kind == "fire" and o.y == 0}
    dates = [f.date for f in forced if f.action == "postponement"]
    assert postponed == {cfg.week_of(d) for d in dates} and len(dates) == 3
    assert all(o.side == "us" for o in result.sample.obs if o.kind == "fire" and o.y == 0)
    assert not result.sample.lapsed


def test_the_fit_beats_the_baseline_on_the_record(fitted):
    cfg, result = fitted
    for side in ("us", "china"):
        final = result.final[side]
        assert final.loglik > final.loglik_base
        mcfg = maker_fit.fitted_makers(cfg, result)[side]
        rows = [o for o in result.sample.obs if o.side == side]
        y = np.array([o.y for o in rows])
        p, p0 = lik.probabilities(mcfg, rows), lik.probabilities(cfg.makers.side(side), rows)
        assert lik.decision_loglik(p, y) >= lik.decision_loglik(p0, y)
        for key, value in final.theta.items():
            lo, hi = lik.bounds(key)
            assert lo <= value <= hi


def test_the_overlay_holds_the_fit_and_loads_as_a_config(fitted):
    cfg, result = fitted
    assert OVERLAY.read_text(encoding="utf-8") == maker_fit.overlay_text(cfg, result)
    over = load_config(OVERLAY)
    for side, mcfg in maker_fit.fitted_makers(cfg, result).items():
        assert over.makers.side(side) == BASE.makers.side(side).model_copy(
            update={k: getattr(mcfg, k) for k in maker_fit.FITTED[side]}
        )


def test_the_doc_table_is_what_the_fit_prints(fitted):
    cfg, result = fitted
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- makers-table")
    body = text[text.index("\n", start) + 1 : text.index("<!-- /makers-table -->")]
    assert body == maker_fit.table(cfg, result)


def test_the_estimates_and_errors_agree_with_statsmodels_logit():
    sm = pytest.importorskip("statsmodels.api")  # installed with ema-workbench
    truth = {
        "escalate_bias": -0.1,
        "fire_bias": 0.2,
        "reaction_weight": 0.1,
        "audience_scale": 0.04,
    }
    cfg = US.model_copy(update=truth)
    rows = with_outcomes(synthetic_rows(500, SEED + 3), cfg, SEED + 4)
    est = lik.fit_side(rows, US, "us", tuple(truth))
    d = lik.design(rows, US, "us", tuple(truth))
    ref = sm.Logit(d.y, d.x / d.scale, offset=d.offset / d.scale).fit(disp=0)
    assert all(est.se[k] is not None for k in truth)  # no bound is active
    assert np.allclose([est.theta[k] for k in truth], ref.params, atol=1e-4)
    assert np.allclose([est.se[k] for k in truth], ref.bse, rtol=1e-3)


def test_the_oos_overlay_is_the_fit_to_april_2019_and_reads_nothing_later():
    """The pseudo-out-of-sample makers (issue 14): fitted on decisions up to 30 April 2019
    only, written as the overlay the April hindcast extends."""
    cfg = maker_fit.fit_config(end=maker_fit.OOS_END)
    result = maker_fit.fit(cfg)
    assert result.sample.obs and max(o.date for o in result.sample.obs) <= maker_fit.OOS_END
    whole = maker_fit.fit(maker_fit.fit_config()).sample.obs
    assert len(result.sample.obs) < len(whole)
    path = shipped_root() / maker_fit.OOS_OVERLAY
    assert path.read_text(encoding="utf-8") == maker_fit.overlay_text(cfg, result)
    hindcast = shipped_root() / "calibrations" / "hindcast_apr2019.toml"
    assert 'base = "makers_2018_apr2019.toml"' in hindcast.read_text(encoding="utf-8")
