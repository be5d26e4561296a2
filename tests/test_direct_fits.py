"""Direct fits of the yuan and of trade and soybeans on recorded inputs (issue 14 item 3;
docs/CALIBRATION.md §5): the fits use the model's own equations, recover known coefficients
from data those equations simulate, the shipped overlays hold the fits and validate, the
baseline is unchanged, and the page's tables are what the fits print."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib

import mesa
import numpy as np
import pytest
from helpers import BASELINE, ROOT, SMALL
from scipy.special import ndtri
from tradetalks.agents.central_banks import PBoC
from tradetalks.sim import cny_fit, trade_fit
from tradetalks.sim.config import load_config
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.record import load_record
from tradetalks.sim.world import World

CALIB = ROOT / "configs" / "calibrations"
CNY_OVERLAY = CALIB / "cny_2018_2019.toml"
TRADE_OVERLAY = CALIB / "trade_2018_2019.toml"
DOC = ROOT / "docs" / "CALIBRATION.md"
CFG = load_config(BASELINE)
RECORD = load_record()


@pytest.fixture(scope="module")
def cny():
    """The yuan fit on the shipped record and baseline (a second or two)."""
    return cny_fit.run()


@pytest.fixture(scope="module")
def trade():
    """The trade and soybean fit on the shipped record and baseline."""
    return trade_fit.run()


def _doc_block(name: str) -> str:
    text = DOC.read_text()
    start = text.index(f"<!-- {name}:")
    return text[text.index("\n", start) + 1 : text.index(f"<!-- /{name} -->")]


# --------------------------------------------------------------------------- the rule
def _pboc(**update):
    pc = CFG.world.pboc.model_copy(update=update)
    w = World(CFG.world.model_copy(update={"pboc": pc}))
    return PBoC(mesa.Model(rng=0), pc, CFG.world.growth, w.state, 21.0), w.state, pc


def test_the_fit_steps_the_agents_own_rule():
    bank, state, pc = _pboc(shock_sd=0.0, cny_anchor=6.5, tariff_offset=0.5, adjustment=0.2)
    state.cny_usd, state.us_tariff_avg, state.currency_pledge = 6.3, 12.0, 0.0
    expected = 6.3
    for _ in range(5):
        bank.step()
        target = pc.cny_anchor * (1 + pc.tariff_offset * 12.0 / 100)
        expected = expected + pc.adjustment * (target - expected)
        assert state.cny_usd == pytest.approx(expected, rel=1e-12)
    inp = cny_fit.inputs(RECORD)
    flat = dataclasses.replace(inp, tariff=np.full(len(inp.tariff), 12.0))
    start = dataclasses.replace(flat, start=dataclasses.replace(inp.start, observed=6.3))
    weekly = cny_fit.path(start, 6.5, 0.5, 0.2)
    assert weekly[4] == pytest.approx(expected, rel=1e-12), "the fit's path is the agent's"


def _inline_step(self) -> None:
    """The PBoC's weekly step before the rule's functions were factored out, as it was."""
    st, c = self.state, self.cfg
    week = self.model.steps
    u = self.draws.take(week)
    self.update_expectations()
    self._apply_dated_cuts(week)
    self._decide_line(week, float(u[1]))
    shock = c.shock_sd * float(ndtri(u[0]))
    rate = float(max(0.01, st.cny_usd + c.adjustment * (self.target_rate() - st.cny_usd) + shock))
    if self.defending:
        rate = min(rate, self.line_cap)
    elif self.line_open:
        self._rearm(rate)
    st.cny_usd = rate
    self._treasury_review()


def test_baseline_runs_are_unchanged(monkeypatch):
    cfg = load_config(BASELINE, {**SMALL, "run.weeks": 12})

    def runs() -> list:
        return [TradeTalksModel(config=cfg, rng=seed).run() for seed in (1, 2)]

    now = runs()
    monkeypatch.setattr(PBoC, "step", _inline_step)
    assert runs() == now
    assert CFG.world.pboc.cny_anchor == 6.75 and CFG.world.soybeans.elasticity == 6.3


# --------------------------------------------------------------------------- recovery
def test_the_yuan_fit_recovers_known_coefficients():
    inp = cny_fit.inputs(RECORD)
    truth = {"cny_anchor": 6.6, "tariff_offset": 0.4, "adjustment": 0.3}
    clean = cny_fit.monthly(inp, cny_fit.path(inp, *truth.values()))
    noisy = clean + np.random.default_rng(20180301).normal(0.0, 0.003, len(clean))
    months = tuple(
        dataclasses.replace(m, observed=float(v)) for m, v in zip(inp.months, noisy, strict=True)
    )
    result = cny_fit.fit(dataclasses.replace(inp, months=months), CFG.world.pboc.model_dump())
    assert result.kept == (), "interior truth: every coefficient identified"
    for k, v in truth.items():
        assert result.coef[k] == pytest.approx(v, abs=4 * result.final.se[k] + 1e-3), k
        assert result.final.se[k] < 0.25 * v, k
    assert result.joint[1] < 0.01, "the baseline's values are rejected"


def test_the_soybean_and_import_fits_recover_known_elasticities(trade):
    inp, cfg, _ = trade
    rng = np.random.default_rng(2019)
    truth = {"world.soybeans.elasticity": 4.0, "world.trade.us_import_elasticity": 3.0}
    series = {"world.soybeans.elasticity": "soy", "world.trade.us_import_elasticity": "us_imports"}
    for key, value in truth.items():
        months = [(dt.date(2018, m, 1), dt.date(2018, m + 1, 1) - dt.timedelta(days=1))
                  for m in range(6, 12)]  # fmt: skip
        obs = tuple(trade_fit.Obs("synthetic", series[key], a, b, 0.0, True) for a, b in months)
        synthetic = dataclasses.replace(inp, obs=obs)
        clean = trade_fit.model_values(synthetic, cfg, {key: value})
        noisy = np.array(clean) * (1 + rng.normal(0.0, 0.01, len(clean)))
        obs = tuple(
            dataclasses.replace(o, value_bn=float(v)) for o, v in zip(obs, noisy, strict=True)
        )
        got = trade_fit.fit_one(dataclasses.replace(inp, obs=obs), cfg, key)
        assert got is not None and got.coef[key] == pytest.approx(value, rel=0.05), key
        assert got.se[key] < 0.1 * value


# --------------------------------------------------------------------------- the yuan
def test_the_yuan_fit_on_the_record(cny):
    inp, result, _ = cny
    assert [m.period_start.month for m in inp.months][:3] == [4, 6, 7], "May 2018: no figure"
    assert inp.start.observed == 6.32 and inp.months[-1].date == dt.date(2019, 9, 15)
    assert result.kept == ("adjustment",), "the weekly adjustment: at the bound 1"
    assert result.full.coef["adjustment"] == pytest.approx(1.0)
    assert result.final.rmse < result.base_rmse
    assert result.joint[1] < 0.05, "the record moves anchor and offset jointly"
    fixing = next(e for e in RECORD.of_kind("yuan") if e.measure == "fixing")
    crossed = cny_fit.crossing(inp, result.coef, CFG.world.pboc.threshold)
    assert abs((crossed - fixing.date).days) < 7, "the fitted rule crosses 7.0 that week"


def test_the_cny_overlay_holds_the_fit_and_validates(cny):
    _, result, _ = cny
    assert CNY_OVERLAY.read_text() == cny_fit.overlay_text(result)
    raw = tomllib.loads(CNY_OVERLAY.read_text())
    assert raw["extends"] == "../baseline.toml"
    assert set(raw["world"]["pboc"]) == {"cny_anchor", "tariff_offset"}
    fitted = load_config(CNY_OVERLAY)
    for k in ("cny_anchor", "tariff_offset"):
        assert getattr(fitted.world.pboc, k) == round(result.coef[k], 3)
    assert fitted.world.pboc.adjustment == CFG.world.pboc.adjustment
    model = TradeTalksModel(config=load_config(CNY_OVERLAY, {**SMALL, "run.weeks": 8}), rng=0)
    assert model.run()["final"]["cny_usd"] > 0


# --------------------------------------------------------------------------- trade
def test_what_the_record_identifies_in_trade(trade):
    inp, cfg, statuses = trade
    verdict = {s.key: s.verdict for s in statuses}
    assert not any(v == "fitted" for v in verdict.values()), "nothing fitted on this record"
    soy = next(s for s in statuses if s.key == "world.soybeans.elasticity")
    assert soy.fitted is not None and soy.fitted.coef[soy.key] == pytest.approx(20.0)
    targets = [o for o in inp.obs if o.target]
    assert [o.value_bn for o in targets] == [0.0, 0.0], "September and November 2018"
    assert any("tonnes need a price" in why for why in inp.left_out)
    check = next(o for o in inp.obs if not o.target)
    assert check.value_bn == pytest.approx(3.1)
    top = trade_fit.model_values(inp, cfg, {soy.key: 20.0})[inp.obs.index(check)]
    assert top > 2 * check.value_bn, "no elasticity reaches 2018's 3.1bn"


def test_the_trade_overlay_keeps_the_baseline_and_validates(trade):
    _, _, statuses = trade
    assert TRADE_OVERLAY.read_text() == trade_fit.overlay_text(statuses)
    kept = load_config(TRADE_OVERLAY)
    assert kept.world.trade == CFG.world.trade and kept.world.soybeans == CFG.world.soybeans


# --------------------------------------------------------------------------- the page
def test_the_doc_tables_are_what_the_fits_print(cny, trade):
    inp, result, _ = cny
    assert _doc_block("cny-estimates") == cny_fit.estimates(result)
    assert _doc_block("cny-profile") == cny_fit.profile(inp, result, "adjustment")
    assert _doc_block("cny-months") == cny_fit.table(inp, result)
    tinp, cfg, statuses = trade
    assert _doc_block("trade-estimates") == trade_fit.estimates(statuses)
    assert _doc_block("trade-soy") == trade_fit.soy_profile(tinp, cfg, statuses)
    text = DOC.read_text()
    assert ".venv/bin/python benchmarks/fit_cny.py" in text
    assert ".venv/bin/python benchmarks/fit_trade.py" in text
