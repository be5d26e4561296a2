"""Issue 15, item 5: sweep and command-line papercuts.  Sweeps here are two or three runs of
a 30-farmer, 6-week baseline, so the module takes a few seconds."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from helpers import BASELINE, ROOT
from typer.testing import CliRunner

from tradetalks.cli import app

runner = CliRunner()

TINY = """
name = "tiny"
base = "base/small.toml"
root_seed = 3
replicates = 1
[set]
"world.farmers.count" = 30
"run.weeks" = 6
[sampler]
kind = "grid"
[[parameters]]
name = "us_patience"
path = "teams.us.patience"
values = [0.98, 0.995]
[outcomes]
keep = ["deal", "utility.us"]
"""
RANDOM = TINY.replace('kind = "grid"', 'kind = "random"\nsamples = 2').replace(
    "values = [0.98, 0.995]", "range = [0.98, 0.995]"
)


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A sweep file whose relative base sits in a folder beside it."""
    (tmp_path / "base").mkdir()
    shutil.copy(BASELINE, tmp_path / "base" / "small.toml")
    (tmp_path / "tiny.toml").write_text(textwrap.dedent(TINY))
    return tmp_path


# ------------------------------------------------------------------ sweep files and their base
def test_a_copied_sweep_file_finds_its_relative_base_next_to_it(project, tmp_path_factory):
    """Copied with its base, anywhere: the base is found next to the copy, not in the working
    directory, and the manifest records it as an absolute path."""
    elsewhere = tmp_path_factory.mktemp("copy")
    shutil.copytree(project, elsewhere / "proj")
    copy = elsewhere / "proj" / "tiny.toml"
    out = elsewhere / "out"
    res = cli("sweep", copy, "--out", out, "--workers", 1)
    assert res.exit_code == 0, res.output
    base = Path(manifest(out)["base"])
    assert base.is_absolute() and base == (elsewhere / "proj" / "base" / "small.toml").resolve()
    # the sweep directory's own copy of the sweep file still finds the base it was run with
    res = cli("validate", out / "sweep.toml")
    assert res.exit_code == 0, res.output
    assert str(base) in res.stdout


def test_a_missing_base_is_named_with_where_it_was_looked_for(project):
    (project / "tiny.toml").write_text(textwrap.dedent(TINY).replace("base/small", "nope/none"))
    res = cli("validate", project / "tiny.toml")
    assert res.exit_code == 2
    assert "base: 'nope/none.toml' names no file" in res.stderr
    assert str(project / "nope" / "none.toml") in res.stderr


def test_a_shipped_config_can_be_the_base_by_name(project):
    (project / "tiny.toml").write_text(textwrap.dedent(TINY).replace("base/small", "baseline"))
    res = cli("validate", project / "tiny.toml")
    assert res.exit_code == 0, res.output
    assert str((ROOT / "configs" / "baseline.toml").resolve()) in res.stdout


# ------------------------------------------------------------------ sweep options
def test_sweep_options_resize_the_sweep_and_change_its_base(project):
    out = project / "out"
    args = ("sweep", project / "tiny.toml", "--out", out, "--workers", 1)
    more = ("--replicates", 2, "--set", "world.farmers.count=40")
    res = cli(*args, *more)
    assert res.exit_code == 0, res.output
    m = manifest(out)
    assert (m["replicates"], m["runs"]) == (2, 4)  # the file says 1 replicate: 2 runs
    assert m["overrides"] == ["--replicates 2", "--set world.farmers.count=40"]
    assert "count = 40" in (out / "base_config.toml").read_text()
    recorded = (out / "sweep.toml").read_text()
    assert recorded.startswith("# tiny.toml as run with --replicates 2")
    # the same command resumes; without the options it is another sweep
    assert "resumed after" in cli(*args, *more, "--resume").output
    assert cli(*args, "--resume").exit_code == 2
    # the recorded sweep file runs the same sweep from anywhere (its base is absolute)
    res = cli("validate", out / "sweep.toml")
    assert res.exit_code == 0 and "2 design points x 2 replicates = 4 runs" in res.stdout


def test_samples_resizes_a_sampled_design_and_is_refused_for_a_grid(project):
    (project / "random.toml").write_text(textwrap.dedent(RANDOM))
    out = project / "out"
    res = cli("sweep", project / "random.toml", "--out", out, "--workers", 1, "--samples", 3)
    assert res.exit_code == 0, res.output
    assert (manifest(out)["design"]["samples"], manifest(out)["runs"]) == (3, 3)
    res = cli("sweep", project / "tiny.toml", "--out", project / "o2", "--samples", 3)
    assert res.exit_code == 2 and "sampler.samples (--samples)" in res.output
    assert not (project / "o2").exists()


def test_a_bad_set_is_named_by_its_option(project):
    res = cli("sweep", project / "tiny.toml", "--out", project / "o", "--set", "run.weeks=0")
    assert res.exit_code == 2
    assert "set.run.weeks (--set)" in res.output
    assert not (project / "o").exists()


# ------------------------------------------------------------------ validate
def test_validate_a_sweep_file(project):
    res = cli("validate", project / "tiny.toml")
    assert res.exit_code == 0, res.output
    assert "valid sweep file (grid, 2 design points x 1 replicates = 2 runs" in res.stdout
    bad = textwrap.dedent(TINY).replace('"deal"', '"deel"')
    (project / "bad.toml").write_text(bad)
    res = cli("validate", project / "bad.toml")
    assert res.exit_code == 2 and "outcomes.keep[0]" in res.stderr
    assert "required key is missing" not in res.stderr  # not checked as a config


def test_validate_checks_calibration_files_and_target_lists(tmp_path):
    toy = (ROOT / "configs" / "calibrations" / "gaussian_toy.toml").read_text()
    ok = cli("validate", ROOT / "configs" / "calibrations" / "gaussian_toy.toml")
    assert ok.exit_code == 0 and "valid calibration file (2 parameters" in ok.stdout
    path = tmp_path / "calibrate.toml"
    path.write_text(toy.replace("[abc]", "[abc]\nspeed = 3"))
    res = cli("validate", path)
    assert res.exit_code == 2 and "abc.speed: unknown key" in res.stderr
    assert "required key is missing" not in res.stderr  # not checked as a config or sweep
    targets = ROOT / "configs" / "forecasts" / "may-sep-2019.toml"
    listed = cli("validate", targets)
    assert listed.exit_code == 0 and "valid target list" in listed.stdout
    bad = tmp_path / "targets.toml"
    bad.write_text(targets.read_text().replace('unit = "pct"', 'unit = "percent"', 1))
    res = cli("validate", bad)
    assert res.exit_code == 2 and "the record holds 'pct'" in res.stderr


def test_validate_names_field_and_cross_section_problems_in_one_pass(tmp_path):
    """The README's example: a NaN (a field check) and weights summing to 1.2 (a check across
    sections, which pydantic runs only when every field passed)."""
    text = BASELINE.read_text()
    text = text.replace("rate_start = 1.875", "rate_start = nan", 1)
    text = text.replace("ag_purchases = 0.35", "ag_purchases = 0.55", 1)  # the President
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    res = cli("validate", bad)
    assert res.exit_code == 2
    assert "2 problems" in res.stderr
    assert "world.fed.rate_start: must be a finite number" in res.stderr
    assert re.search(r"president\.weights: weights must sum to 1, but they sum to 1\.2", res.stderr)


def test_cross_section_checks_skip_only_what_failed(tmp_path):
    """A check whose input failed its own check is skipped (no second message about the
    same value); the others still run."""
    text = BASELINE.read_text()
    text = text.replace("weeks = 52", "weeks = -1", 1)  # the horizon: dates cannot be checked
    text = text.replace("upper_bound = 5.0", "upper_bound = 0.1", 1)  # below the lower bound
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    res = cli("validate", bad)
    assert res.exit_code == 2
    assert "run.weeks" in res.stderr and "world.fed.lower_bound" in res.stderr
    assert "outside the horizon" not in res.stderr


# ------------------------------------------------------------------ keys, version, help, space
def test_keys_lists_settable_keys_with_type_default_and_description():
    res = cli("keys")
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("world.farmers.count "))
    assert re.match(r"world\.farmers\.count\s+integer in \[2, \d+\]\s+1000\s+\S", line), line
    keys = json.loads(cli("keys", "--json", "--match", "farm_aid").stdout)
    amount = {r["key"]: r for r in keys}["calendar.farm_aid.0.amount_bn"]
    assert amount["value"] == 3.6 and "MFP" in amount["description"]
    # every key listed is one --set accepts
    assert cli("validate", BASELINE).exit_code == 0
    sample = [r for r in json.loads(cli("keys", "--json").stdout) if r["value"] is not None]
    assert len(sample) > 300
    from tradetalks.sim.config import load_config
    from tradetalks.sim.config_loader import parse_value

    def as_set(v):  # JSON gives dates as text: read each text as --set reads it
        if isinstance(v, str):
            return parse_value(v)
        if isinstance(v, list):
            return [as_set(x) for x in v]
        if isinstance(v, dict):
            return {k: as_set(x) for k, x in v.items()}
        return v

    for r in sample[::40]:
        load_config(BASELINE, {r["key"]: as_set(r["value"])})


def test_keys_of_another_config_show_its_values():
    res = cli("keys", "hawkish_us", "--match", "teams.us.patience")
    assert res.exit_code == 0, res.output
    assert res.stdout.split()[:1] == ["teams.us.patience"]


def test_version():
    res = cli("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"tradetalks {importlib.metadata.version('tradetalks')}"


@pytest.mark.parametrize("command", ["run", "space", "sweep", "analyze", "validate", "keys"])
def test_help_names_what_options_take(command):
    res = cli(command, "--help")
    assert res.exit_code == 0
    assert "<bool>" not in res.stdout and "<list[str]>" not in res.stdout
    if command in ("run", "space", "sweep"):
        assert "KEY=VALUE" in res.stdout


def test_top_level_help_has_examples_and_real_defaults():
    res = cli("--help")
    assert res.exit_code == 0 and "Examples" in res.stdout and "--version" in res.stdout
    space_help = re.sub(r"[\s│]+", " ", cli("space", "--help").stdout)
    assert "run.seed, 1 in the baseline" in space_help  # the baseline's run.seed


def test_space_says_how_many_frontier_points_it_shows_and_their_terms():
    from tradetalks.commands.space import readable, shown_points

    assert shown_points(32, 12)[0] == 0 and shown_points(32, 12)[-1] == 31
    assert len(shown_points(32, 12)) == 12 and shown_points(5, 12) == [0, 1, 2, 3, 4]
    point = {
        "utility": {"us": 0.5, "china": 0.4},
        "individually_rational": True,
        "terms": {"huawei": "removal", "ag_purchases": "30"},
    }
    report = {
        "outcomes": 100,
        "feasible": 90,
        "individually_rational": 80,
        "reservation": {"us": 0.1, "china": 0.2},
        "frontier": [point] * 32,
        "nash": None,
        "kalai_smorodinsky": None,
        "max_welfare": None,
    }
    text = readable(report)
    assert "Pareto frontier: 32 outcomes, 12 of them shown" in text
    assert text.count("huawei removal; ag_purchases 30") == 12
    assert "all shown" in readable(report, None)


def test_sweep_then_analyze_in_one_command(project):
    out = project / "out"
    res = cli("sweep", project / "tiny.toml", "--out", out, "--workers", 1, "--analyze")
    assert res.exit_code == 0, res.output
    assert (out / "analysis" / "overview.csv").is_file()
    assert not (project / "plain" / "analysis").exists()
    res = cli("sweep", project / "tiny.toml", "--out", project / "plain", "--workers", 1)
    assert res.exit_code == 0 and not (project / "plain" / "analysis").exists()
