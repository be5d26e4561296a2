"""The command-line contract: run/validate output, determinism, and exit 2 on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BASELINE, ROOT, SCENARIOS
from typer.testing import CliRunner

from tradetalks.cli import app

runner = CliRunner()
CONTRACT_DOLLARS = {
    "total_us_section301_duties_bn",
    "total_us_importer_cost_bn",
    "total_us_imports_diverted_bn",
    "final_us_tariff_effective_pct",
    "final_brazil_soy_share",
}
CONTRACT_FINAL = {
    "us_tariff_avg",
    "cn_tariff_avg",
    "soybean_exports_bn",
    "farm_approval",
    "fed_rate",
    "cny_usd",
}


def run_cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_run_json_has_contract_fields():
    res = run_cli("run", BASELINE, "--json", "--seed", "1", "--set", "world.farmers.count=200")
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, "exactly one JSON object on stdout"
    out = json.loads(lines[0])
    assert isinstance(out["deal"], bool)
    assert out["deal_week"] is None or isinstance(out["deal_week"], int)
    assert isinstance(out["issues_covered"], list)
    assert set(out["terms"]) == set(out["issues_covered"])
    assert set(out["utility"]) == {"us", "china"} == set(out["reservation"])
    assert out["seed"] == 1 and out["weeks"] == 52
    assert CONTRACT_FINAL <= set(out["final"])
    # issue 12: the dollar outcomes, each key naming its unit (README table)
    assert CONTRACT_DOLLARS <= set(out["dollars"])
    assert all(isinstance(q["share"], float) for q in out["fulfilment"])


def test_run_readable_summary_mentions_deal_and_indicators():
    res = run_cli("run", "--weeks", "8", "--set", "world.farmers.count=100")
    assert res.exit_code == 0, res.output
    assert "Deal:" in res.stdout and "Final:" in res.stdout


def test_same_seed_gives_identical_json_and_parquet(tmp_path: Path):
    outs = []
    for name in ("a", "b"):
        d = tmp_path / name
        res = run_cli(
            "run", "--json", "--seed", "7", "--out", d, "--set", "world.farmers.count=150"
        )
        assert res.exit_code == 0, res.output
        outs.append(
            (res.stdout, (d / "timeseries.parquet").read_bytes(), (d / "summary.json").read_bytes())
        )
    assert outs[0] == outs[1]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "config.toml",
        "summary.json",
        "timeseries.parquet",
    ]


def test_out_config_is_the_resolved_config_and_validates(tmp_path: Path):
    res = run_cli("run", "--out", tmp_path / "o", "--weeks", "3", "--set", "teams.us.patience=0.98")
    assert res.exit_code == 0, res.output
    text = (tmp_path / "o" / "config.toml").read_text()
    assert "patience = 0.98" in text and "weeks = 3" in text
    assert run_cli("validate", tmp_path / "o" / "config.toml").exit_code == 0


@pytest.mark.parametrize("path", [BASELINE, *SCENARIOS], ids=lambda p: p.name)
def test_shipped_configs_validate(path: Path):
    res = run_cli("validate", path)
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------ bad input
def _mutate(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BAD_CONFIGS = {
    "toml_syntax": (lambda t: t.replace("[run]", "[run", 1), r"TOML syntax error"),
    "unknown_key": (
        lambda t: _mutate(t, "weeks = 52", "weeks = 52\nwekes = 3"),
        r"run\.wekes: unknown key",
    ),
    "wrong_type": (lambda t: _mutate(t, "weeks = 52", 'weeks = "many"'), r"run\.weeks"),
    "nan": (
        lambda t: _mutate(t, "rate_start = 1.875", "rate_start = nan"),
        r"world\.fed\.rate_start: must be a finite number",
    ),
    "infinity": (
        lambda t: _mutate(t, "elasticity = 6.3", "elasticity = inf"),
        r"world\.soybeans\.elasticity: must be a finite number",
    ),
    "negative": (
        lambda t: _mutate(t, "price_normal = 9.5", "price_normal = -9.5"),
        r"world\.soybeans\.price_normal: input should be greater than 0",
    ),
    "absurd_farmers": (
        lambda t: _mutate(t, "count = 1000", "count = 1000000000000"),
        r"world\.farmers\.count: input should be less than or equal to",
    ),
    "weights_sum": (
        lambda t: _mutate(t, "ag_purchases = 0.35", "ag_purchases = 0.55"),
        r"teams\.us\.members\.president\.weights: weights must sum to 1, but they sum to 1\.2",
    ),
    "levels_order": (
        lambda t: _mutate(
            t, "us = [0.0, 0.35, 0.6, 0.8, 0.92, 1.0]", "us = [0.0, 0.6, 0.35, 0.8, 0.92, 1.0]"
        ),
        r"issues\.ag_purchases: levels out of order",
    ),
    "date_outside": (
        lambda t: _mutate(t, "date = 2019-10-15", "date = 2021-10-15"),
        r"calendar\.tariff_actions\[0\]\.date: date 2021-10-15 is outside the horizon",
    ),
    "unknown_strategy": (
        lambda t: _mutate(
            t,
            'influence = 0.15\nstrategy = { kind = "screening"',  # the Treasury Secretary
            'influence = 0.15\nstrategy = { kind = "telepathic"',
        ),
        r"teams\.us\.members\.treasury\.strategy\.kind: unknown strategy",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_names_key_and_writes_nothing(case: str, tmp_path: Path, baseline_text):
    mutate, pattern = BAD_CONFIGS[case]
    cfg = tmp_path / "bad.toml"
    cfg.write_text(mutate(baseline_text))
    for args in (("validate", cfg), ("run", cfg, "--out", tmp_path / "out")):
        res = run_cli(*args)
        assert res.exit_code == 2, (case, res.output)
        assert re.search(pattern, res.stderr), res.stderr
        assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_every_problem_is_listed(tmp_path: Path, baseline_text):
    text = _mutate(baseline_text, "weeks = 52", "weeks = -1\nextra_key = 1")
    text = _mutate(text, "rate_start = 1.875", "rate_start = inf")
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    res = run_cli("validate", cfg)
    assert res.exit_code == 2
    for key in ("run.weeks", "run.extra_key", "world.fed.rate_start"):
        assert key in res.stderr


@pytest.mark.parametrize(
    "args, pattern",
    [
        (("--set", "teams.us.patiense=0.9"), r"teams\.us\.patiense: unknown key"),
        (("--set", "noequals"), r"--set expects key\.path=value"),
        (
            ("--set", "teams.us.patience=2.0"),
            r"teams\.us\.patience: input should be less than or equal to 1",
        ),
        (("--weeks", "0"), r"run\.weeks"),
    ],
)
def test_bad_cli_arguments_exit_2(args, pattern, tmp_path: Path):
    res = run_cli("run", *args, "--out", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert re.search(pattern, res.stderr), res.stderr
    assert not (tmp_path / "o").exists()


def test_missing_file_exits_2(tmp_path: Path):
    res = run_cli("validate", tmp_path / "nope.toml")
    assert res.exit_code == 2 and "file not found" in res.stderr


def test_real_process_exit_code_and_no_traceback(tmp_path: Path):
    """The installed console command behaves the same as the in-process runner."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nweeks = nan\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tradetalks", "validate", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "run.weeks" in proc.stderr
