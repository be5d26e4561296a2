"""``tradetalks compare`` and ``run --seeds`` (issue 15): paired what-ifs with intervals.

The statistics are checked on hand-made summaries (Kaplan–Meier, RMST, McNemar, terms), the
command line on short runs: a config against itself gives zero difference, a strong lever
(a patient China settles weeks earlier) a difference whose interval excludes 0, bad input
exits 2 and leaves nothing in --out.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import BASELINE
from scipy import stats
from tradetalks.experiments import compare as cmp
from tradetalks.experiments import outcomes as oc
from tradetalks.sim.scenario import resolve_config
from typer.testing import CliRunner

from tradetalks.cli import app
from tradetalks.commands.compare import render_compare

runner = CliRunner()
FAST = ("--weeks", "12", "--set", "world.farmers.count=120", "--workers", "1")
START = "2019-09-16"


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_json(res) -> dict:
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, "exactly one JSON object on stdout"
    return json.loads(lines[0])


def fake_run(deal_week, weeks=6, approval=0.5, terms=None, second=None) -> dict:
    return {
        "deal": deal_week is not None,
        "deal_week": deal_week,
        "second_deal_week": second,
        "n_issues": len(terms or {}),
        "weeks": weeks,
        "start_date": START,
        "terms": terms or {},
        "final": {"farm_approval": approval, "manipulator": False},
        "dollars": None,
    }


def arm(weeks_by_seed: dict[int, int | None], **kw) -> cmp.ArmRuns:
    return cmp.ArmRuns(runs={s: fake_run(w, **kw) for s, w in weeks_by_seed.items()})


# ------------------------------------------------------------------------- input parsing
@pytest.mark.parametrize(
    "text, seeds",
    [("3", [1, 2, 3]), ("1-3,7", [1, 2, 3, 7]), ("0", None), ("5,", None), ("4-4", [4])],
)
def test_seeds_are_a_count_or_a_list(text, seeds):
    if seeds is None:
        with pytest.raises(cmp.InputError):
            cmp.parse_seeds(text)
    else:
        assert cmp.parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["3-1", "1,1", "a", "1-", "-3", "", "1-200000"])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(cmp.InputError, match="--seeds"):
        cmp.parse_seeds(text)


def test_by_date_maps_to_the_week_it_falls_in():
    cfg = resolve_config(BASELINE)
    # 15 Jan 2020 is 121 days after 16 Sep 2019: week 121 // 7 + 1 = 18
    assert cmp.parse_by(cfg, "2020-01-15") == cmp.Horizon(dt.date(2020, 1, 15), 18)
    assert cmp.parse_by(cfg, START).week == 1
    assert cmp.parse_by(cfg, None) == cmp.Horizon(cfg.end_date, cfg.run.weeks)
    assert cmp.parse_by(cfg, cfg.end_date.isoformat()).week == cfg.run.weeks
    for bad in ("2019-09-15", (cfg.end_date + dt.timedelta(days=1)).isoformat(), "15/01/2020"):
        with pytest.raises(cmp.InputError, match="--by"):
            cmp.parse_by(cfg, bad)


# ------------------------------------------------------------------------- statistics
def test_kaplan_meier_matches_a_hand_computed_case():
    # six runs: deals in weeks 2, 3, 3, 5; two without a deal, censored at the end (week 6)
    km = cmp.km_curve(cmp.first_deal_weeks([2, 3, 3, 5, None, None]), 6, dt.date(2019, 9, 16))
    assert km["week"] == [0, 2, 3, 5, 6]
    # S(2) = 5/6, S(3) = 5/6 * 3/5, S(5) = 1/2 * 2/3; censoring at the end keeps 1 - S(5)
    assert km["p_deal"] == pytest.approx([0, 1 / 6, 1 / 2, 2 / 3, 2 / 3], abs=1e-6)
    assert km["median_week"] == 3 and km["median_date"] == "2019-09-30"
    assert km["date"][:3] == ["2019-09-16", "2019-09-23", "2019-09-30"]
    # log-log interval at week 2 by hand: Greenwood var of log S, then exp(-exp(...))
    s, var = 5 / 6, 1 / (6 * 5)
    z = stats.norm.ppf(0.975)
    half = z * math.sqrt(var) / abs(math.log(s))
    s_lo, s_hi = (math.exp(-math.exp(math.log(-math.log(s)) + k * half)) for k in (1, -1))
    assert km["low"][1] == pytest.approx(1 - s_hi, abs=1e-6)
    assert km["high"][1] == pytest.approx(1 - s_lo, abs=1e-6)
    # all bands hold their estimates, including where the formula is undefined (p = 0 or 1)
    every = cmp.km_curve(cmp.first_deal_weeks([4, 4, 4]), 6, dt.date(2019, 9, 16))
    assert every["p_deal"][-1] == 1 and every["low"][-1] < 1 and every["high"][-1] == 1
    assert all(lo <= p <= hi for lo, p, hi in zip(km["low"], km["p_deal"], km["high"], strict=True))


def test_rmst_is_the_area_under_the_survival_curve():
    runs = [fake_run(w) for w in (2, 3, 3, 5, None, None)]
    res = cmp.analyse_arm(runs, None, {})
    assert res["rmst_weeks"]["mean"] == pytest.approx(25 / 6, abs=1e-6)
    km = res["time_to_deal"]
    weeks = [*km["week"], 6]
    area = sum((1 - p) * (weeks[i + 1] - weeks[i]) for i, p in enumerate(km["p_deal"]))
    assert area == pytest.approx(25 / 6, abs=1e-6)
    assert res["deal_by_end"]["count"] == 4 and res["deal_by_end"]["n"] == 6
    exact = stats.binomtest(4, 6).proportion_ci(0.95, method="exact")
    assert res["deal_by_end"]["low"] == pytest.approx(exact.low, abs=1e-6)


def test_an_arm_against_itself_differs_by_exactly_zero():
    a = arm({s: w for s, w in enumerate([2, 3, None, 5, 4, None, 2], 1)})
    res = cmp.compare_arms(a, a, cmp.Horizon(dt.date(2019, 9, 30), 3), {})
    diff = res["difference"]
    for eff in (diff["deal_by"], diff["deal_by_end"], diff["rmst_weeks"]):
        assert eff["estimate"] == eff["low"] == eff["high"] == 0 and not eff["excludes_0"]
    assert diff["deal_by"]["mcnemar"] == {"only_a": 0, "only_b": 0, "p": 1.0}
    assert diff["logrank"]["p"] == pytest.approx(1.0)
    assert diff["indicators"]["final.farm_approval"]["estimate"] == 0


def test_a_consistent_shift_gives_an_interval_that_excludes_zero():
    rng = np.random.default_rng(3)
    weeks = rng.integers(3, 20, size=40)
    a = arm({s: int(w) for s, w in enumerate(weeks)}, weeks=30)
    b = arm({s: int(w) + 4 for s, w in enumerate(weeks)}, weeks=30)
    eff = cmp.compare_arms(a, b, None, {})["difference"]["rmst_weeks"]
    assert eff["estimate"] == pytest.approx(4.0) and eff["low"] == eff["high"] == 4.0
    b_noisy = arm({s: int(w) + int(rng.integers(2, 7)) for s, w in enumerate(weeks)}, weeks=30)
    eff = cmp.compare_arms(a, b_noisy, None, {})["difference"]["rmst_weeks"]
    assert eff["excludes_0"] and eff["low"] > 0


def test_mcnemar_counts_discordant_pairs_exactly():
    a = np.array([True] * 5 + [False] * 15)
    b = np.array([False] * 3 + [True] * 17)  # pairs 3 and 4 agree (yes in both)
    got = cmp.mcnemar(a, b)
    assert got["only_a"] == 3 and got["only_b"] == 15
    # exact: two-sided binomial test of 15 of the 18 discordant pairs against 1/2
    assert got["p"] == pytest.approx(2 * stats.binom.sf(14, 18, 0.5), rel=1e-2)
    assert got["p"] < 0.01


def test_terms_are_shares_of_the_deals_by_level():
    runs = [
        fake_run(3, terms={"huawei": "licences"}),
        fake_run(4, terms={"huawei": "licences"}),
        fake_run(5, terms={}),
        fake_run(None),  # no deal: not in the denominator
    ]
    got = cmp.terms_shares(runs, {"huawei": ["none", "licences"]})["huawei"]
    assert list(got) == ["none", "licences", cmp.LEFT_OPEN]
    assert got["licences"]["count"] == 2 and got["licences"]["n"] == 3
    assert got[cmp.LEFT_OPEN]["share"] == pytest.approx(1 / 3, abs=1e-6)
    assert got["none"]["share"] == 0


def test_failed_runs_drop_their_seed_from_the_pairs():
    a = arm({1: 3, 2: 4, 3: None})
    b = arm({1: 3, 3: None})
    b.failed[2] = "ModelStateError: boom"
    res = cmp.compare_arms(a, b, None, {})
    assert res["seeds"] == [1, 3] and res["n_pairs"] == 2
    assert res["failed"] == {"a": {}, "b": {"2": "ModelStateError: boom"}}
    labels = {k: {"label": k.upper()} for k in ("a", "b")}
    table = render_compare({"arms": labels, **res})
    assert "2 paired seeds" in table
    assert "Failed runs (b, left out): seeds 2; first error: ModelStateError: boom" in table
    b.runs.clear()
    with pytest.raises(cmp.InputError, match="no seed finished in both arms; first error: Model"):
        cmp.compare_arms(a, b, None, {})


def test_later_deals_are_timed_from_the_start_and_censored_at_the_horizon():
    a = cmp.ArmRuns(runs={
        1: fake_run(2, second=3, terms={"x": "1", "y": "1"}),
        2: fake_run(2, second=None, terms={"x": "1"}),
        3: fake_run(4, second=5, terms={"x": "1", "y": "1"}),
    })  # fmt: skip
    b = cmp.ArmRuns(runs={s: fake_run(r["deal_week"], terms={"x": "1"}) for s, r in a.runs.items()})
    got = cmp.analyse_arm(list(a.runs.values()), None, {})
    assert got["second_deal_by_end"]["count"] == 2 and got["second_deal_by_end"]["n"] == 3
    assert got["rmst_second_weeks"]["mean"] == pytest.approx((3 + 6 + 5) / 3, abs=1e-6)
    assert got["issues_settled"]["mean"] == pytest.approx(5 / 3, abs=1e-6)
    diff = cmp.compare_arms(a, b, None, {})["difference"]
    assert diff["second_deal_by_end"]["mcnemar"] == {"only_a": 2, "only_b": 0, "p": 0.5}
    assert diff["rmst_second_weeks"]["estimate"] == pytest.approx((3 + 1) / 3, abs=1e-6)
    assert diff["issues_settled"]["estimate"] == pytest.approx(-2 / 3, abs=1e-6)
    assert diff["rmst_weeks"]["estimate"] == 0  # the first deals are the same
    assert 0 < diff["logrank_second"]["p"] < 1


def test_the_second_deal_week_is_read_off_the_deals_signed():
    assert oc.extract({"deals": [{"week": 7}, {"week": 17}]}, "second_deal_week") == 17
    assert oc.extract({"deals": [{"week": 7}]}, "second_deal_week") is None
    assert oc.extract({"deals": []}, "second_deal_week") is None


# ------------------------------------------------------------------------- command line
def test_compare_a_config_with_itself_gives_zero_difference():
    out = one_json(cli("compare", "baseline", "--seeds", "4", *FAST, "--json"))
    assert out["n_pairs"] == 4 and out["seeds"] == [1, 2, 3, 4]
    diff = out["difference"]
    for eff in [diff["deal_by"], diff["rmst_weeks"], *diff["indicators"].values()]:
        assert eff["low"] <= 0 <= eff["high"] and eff["estimate"] == 0
    assert {"final.us_tariff_avg", "final.farm_approval", "final.soybean_exports_bn"} <= set(
        diff["indicators"]
    )
    assert out["a"]["time_to_deal"] == out["b"]["time_to_deal"]


def test_a_strong_lever_gives_an_interval_that_excludes_zero(tmp_path: Path):
    """A patient China settles weeks earlier (week 4 against 4-7 at 12 weeks); 12 seeds, as
    with 8 one more baseline seed in week 4 leaves McNemar's exact p at 0.0625."""
    res = cli(
        "compare", "baseline", "patient_china", "--seeds", "12", *FAST,
        "--by", "2019-10-20", "--out", tmp_path / "out", "--json",
    )  # fmt: skip
    out = one_json(res)
    assert out["by"] == {"date": "2019-10-20", "week": 5}
    rmst = out["difference"]["rmst_weeks"]
    assert rmst["high"] < 0 and rmst["excludes_0"]
    by = out["difference"]["deal_by"]
    assert by["estimate"] > 0.5 and by["low"] > 0 and by["mcnemar"]["p"] < 0.05
    assert out["b"]["time_to_deal"]["median_week"] < out["a"]["time_to_deal"]["median_week"]
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "compare.json", "config_a.toml", "config_b.toml", "runs.csv", "table.txt",
        "time_to_deal.png",
    ]  # fmt: skip
    assert json.loads((tmp_path / "out" / "compare.json").read_text()) == out
    assert (tmp_path / "out" / "time_to_deal.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((tmp_path / "out" / "runs.csv").read_text().splitlines()) == 1 + 2 * 12
    table = (tmp_path / "out" / "table.txt").read_text()
    assert "P(deal by 2019-10-20, week 5)" in table and "B − A" in table


def test_an_arm_is_the_run_of_that_seed(tmp_path: Path):
    """Seed s of an arm is `tradetalks run ARM --seed s` (with its deal date)."""
    lever = "teams.china.patience=0.9995"
    args = ("compare", "--seeds", "2-3", *FAST, "--set-b", lever, "--out", tmp_path / "o")
    out = one_json(cli(*args, "--json"))
    assert out["arms"]["b"]["label"] == f"baseline --set world.farmers.count=120 --set {lever}"
    with open(tmp_path / "o" / "runs.csv") as fh:
        rows = {(r["arm"], int(r["seed"])): r for r in csv.DictReader(fh)}
    for arm_, sets in (("a", ()), ("b", ("--set", lever))):
        single = one_json(cli("run", "--seed", "3", "--json", *FAST[:4], *sets))
        row = rows[(arm_, 3)]
        assert single["deal"] and row["deal_week"] == str(single["deal_week"])
        assert row["deal_date"] == single["deal_date"]
        assert float(row["final.farm_approval"]) == single["final"]["farm_approval"]
    week = single["deal_week"]
    assert single["deal_date"] == (dt.date(2019, 9, 16) + dt.timedelta(weeks=week - 1)).isoformat()
    assert resolve_config(BASELINE).week_of(dt.date.fromisoformat(single["deal_date"])) == week


def test_run_without_a_deal_has_no_deal_date():
    single = one_json(cli("run", "--seed", "1", "--json", "--weeks", "2", *FAST[2:4]))
    assert single["deal"] is False and single["deal_week"] is None and single["deal_date"] is None


@pytest.mark.parametrize(
    "args, pattern",
    [
        (("--by", "2019-09-01"), r"--by 2019-09-01: outside the run, which covers 2019-09-16"),
        (("--by", "2020-01-15"), r"outside the run"),  # 12 weeks end on 8 Dec 2019
        (("--by", "soon"), r"--by expects a date as YYYY-MM-DD"),
        (("--seeds", "5-1"), r"--seeds 5-1"),
        (("--set-b", "teams.us.patiense=0.9"), r"teams\.us\.patiense: unknown key"),
        (("--workers", "0"), r"--workers"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(args, pattern, tmp_path: Path):
    res = cli("compare", "baseline", "--seeds", "2", *FAST, *args, "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert re.search(pattern, res.stderr), res.stderr
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_arms_of_different_horizons_are_refused(tmp_path: Path):
    res = cli("compare", "--set-b", "run.weeks=10", "--out", tmp_path / "o")
    assert res.exit_code == 2 and "the arms must share run.weeks" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failure_during_the_runs_leaves_out_as_it_was(tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("previous result")

    def broken(*_a, **_k):
        raise cmp.InputError("every run failed; first error: ModelStateError: boom")

    monkeypatch.setattr(cmp, "run_arms", broken)
    res = cli("compare", "--seeds", "2", *FAST, "--out", out)
    assert res.exit_code == 2 and "every run failed" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no hidden sibling left
    assert [p.name for p in out.iterdir()] == ["old.txt"]


def test_run_seeds_summarises_the_distribution(tmp_path: Path):
    by = ("--by", "2019-11-10")
    res = cli("run", "--seeds", "1-3", *by, *FAST, "--json", "--out", tmp_path / "d")
    out = one_json(res)
    assert out["seeds"] == [1, 2, 3] and out["n"] == 3
    assert out["by"] == {"date": "2019-11-10", "week": 8}
    assert 0 <= out["deal_by"]["low"] <= out["deal_by"]["share"] <= out["deal_by"]["high"] <= 1
    assert out["time_to_deal"]["week"][0] == 0 and "final.farm_approval" in out["indicators"]
    assert {p.name for p in (tmp_path / "d").iterdir()} == {
        "distribution.json", "config.toml", "runs.csv", "table.txt", "time_to_deal.png",
    }  # fmt: skip
    text = cli("run", "--seeds", "2", *FAST)
    assert text.exit_code == 0 and "Median first deal" in text.stdout


@pytest.mark.parametrize(
    "args, pattern",
    [
        (("--seeds", "3", "--seed", "1"), r"--seed runs one seed and --seeds many"),
        (("--by", "2020-01-15"), r"--by and --workers go with --seeds"),
        (("--seeds", "1,x"), r"--seeds expects N"),
        (("--seeds", "2", "--by", "2021-01-01"), r"outside the run"),
    ],
)
def test_run_seeds_bad_input_exits_2(args, pattern, tmp_path: Path):
    res = cli("run", *args, "--weeks", "4", "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert re.search(pattern, res.stderr), res.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_worker_processes_give_the_same_answer_as_one():
    args = ("compare", "baseline", "hawkish_us", "--seeds", "6", *FAST[:4], "--json")
    serial = one_json(cli(*args, "--workers", "1"))
    pooled = one_json(cli(*args, "--workers", "2"))
    assert serial == pooled


def test_cutting_the_electoral_link_leaves_the_last_chapter_open():
    """The README's what-if: without the farms' approval at the election the US gains next to
    nothing from closing the chapter the first deal left open (Huawei), so fewer runs sign a
    second deal; the first deal is where it was (docs/MODEL.md §10)."""
    out = one_json(cli(
        "compare", "--set-b", "farm_politics.electoral_weight=0", "--seeds", "24",
        "--weeks", "22", "--set", "world.farmers.count=120", "--workers", "1", "--json",
    ))  # fmt: skip
    diff = out["difference"]
    assert diff["second_deal_by_end"]["high"] < 0 and diff["issues_settled"]["high"] < 0
    assert diff["rmst_second_weeks"]["low"] > 0
    assert diff["second_deal_by_end"]["mcnemar"]["only_b"] == 0
    assert abs(diff["rmst_weeks"]["estimate"]) < 0.5
