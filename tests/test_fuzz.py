"""Fuzzing the command line with hostile input: every bad input exits 2, plainly, writing nothing.

Hypothesis mutates the shipped baseline (its values, keys and text), a tiny sweep file, a
finished sweep's manifest and ``--set`` values. A valid mutant may run (exit 0); anything
else must exit 2 (or 1 for an environment failure) with a message, no traceback, and no
output directory. Bounded: a fixed number of examples per input kind, no deadline per input.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tradetalks.sim.config import read_raw
from typer.testing import CliRunner

from tradetalks.cli import app

# inputs per kind (the suite's run stays around half a minute); derandomized so CI is
# repeatable. A longer hunt: TRADETALKS_FUZZ_EXAMPLES=2000 TRADETALKS_FUZZ_RANDOM=1
EXAMPLES = int(os.environ.get("TRADETALKS_FUZZ_EXAMPLES", "60"))
RANDOM = os.environ.get("TRADETALKS_FUZZ_RANDOM") == "1"
FAST = ["--weeks", "2", "--set", "world.farmers.count=30"]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE_RAW = read_raw(BASELINE)


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))] or [path]
    return [path]


LEAVES = _leaves(BASE_RAW)

hostile_values = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e308, 1e-308, 2, 0.5, 10**9, "52", "", "x" * 200]),
    st.text(max_size=30),
    st.booleans(),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2),
)


def _set(raw: Any, path: tuple, value: Any) -> None:
    node = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(raw: Any, path: tuple) -> None:
    node = raw
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    """The baseline with one to three leaves replaced, deleted, or an unknown key added."""
    raw = json.loads(json.dumps(BASE_RAW, default=str))  # a deep copy, dates as text
    raw = _restore_dates(raw, BASE_RAW)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(LEAVES))
        action = draw(st.sampled_from(["replace", "delete", "unknown"]))
        try:
            if action == "replace":
                _set(raw, path, draw(hostile_values))
            elif action == "delete" and path:
                _delete(raw, path)
            elif path and isinstance(path[-1], str):
                _set(raw, (*path[:-1], draw(st.text(min_size=1, max_size=8))), 1)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the path
    return raw


def _restore_dates(copy: Any, original: Any) -> Any:
    if isinstance(original, dict):
        return {k: _restore_dates(copy[k], v) for k, v in original.items()}
    if isinstance(original, list):
        return [_restore_dates(c, o) for c, o in zip(copy, original, strict=True)]
    return original if not isinstance(original, (dict, list)) else copy


def _toml(raw: dict[str, Any]) -> str | None:
    try:
        return tomli_w.dumps(raw)
    except (TypeError, ValueError):
        return None  # not representable in TOML (e.g. a None produced by a mutation)


class TooSlowError(Exception):
    """An input that a bounded config should not allow: one command ran past ``LIMIT_S``."""


LIMIT_S = 30  # a 2-week run of 30 farmers takes well under a second; the bound is generous


def _on_alarm(signum, frame):
    raise TooSlowError(f"one command ran longer than {LIMIT_S} s")


def invoke(args: list[str]):
    """Run the command line in-process, stopped after ``LIMIT_S`` seconds."""
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    try:
        return CliRunner().invoke(app, args, catch_exceptions=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _handled(res, out: Path | None = None) -> None:
    """Exit 0, or 2 / 1 with a plain message: no traceback, nothing half-written."""
    assert res.exit_code in (0, 1, 2), res.output
    if res.exception is not None:
        assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    if res.exit_code != 0:
        assert res.output.strip(), "a failure must say why"
        if out is not None:
            assert not out.exists(), "a failed run wrote its output directory"
            assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]


@FUZZ
@given(raw=mutated_configs())
def test_mutated_configs(tmp_path_factory, raw):
    where = tmp_path_factory.mktemp("cfg")
    text = _toml(raw)
    if text is None:
        return
    path = where / "c.toml"
    path.write_text(text)
    _handled(invoke(["validate", str(path)]))
    out = where / "out"
    _handled(invoke(["run", str(path), *FAST, "--out", str(out)]), out)


@FUZZ
@given(
    cut=st.integers(0, len(BASELINE.read_text())),
    junk=st.text(max_size=20),
    drop=st.integers(0, 50),
)
def test_mangled_config_text(tmp_path_factory, cut, junk, drop):
    where = tmp_path_factory.mktemp("txt")
    text = BASELINE.read_text()
    path = where / "c.toml"
    path.write_text(text[:cut] + junk + text[cut + drop :], encoding="utf-8")
    out = where / "out"
    _handled(invoke(["run", str(path), *FAST, "--out", str(out)]), out)


@FUZZ
@given(
    path=st.sampled_from([".".join(map(str, p)) for p in LEAVES if p]),
    value=st.one_of(
        st.text(max_size=20),
        st.sampled_from(["1e308", "-1", "0", "nan", "inf", "[1,2]", "{a=1}", '"x"', "true"]),
    ),
)
def test_hostile_set_values(tmp_path_factory, path, value):
    out = tmp_path_factory.mktemp("set") / "out"
    args = ["run", *FAST, "--set", f"{path}={value}", "--out", str(out)]
    _handled(invoke(args), out)


@pytest.fixture(scope="module")
def small_base(tmp_path_factory) -> Path:
    """The baseline with 30 farmers (the sweep runs it for 2 weeks): valid mutants run fast."""
    path = tmp_path_factory.mktemp("base") / "small.toml"
    small = {"extends": str(BASELINE), "world": {"farmers": {"count": 30}}}
    path.write_text(tomli_w.dumps(small))
    return path


TINY_SWEEP = {
    "name": "tiny",
    "base": "small.toml",
    "root_seed": 1,
    "replicates": 1,
    "sampler": {"kind": "grid"},
    "parameters": [
        {"name": "weeks", "path": "run.weeks", "values": [2]},
        {"name": "p", "path": "teams.us.patience", "values": [0.99]},
    ],
    "outcomes": {"keep": ["deal", "deal_week"]},
}


@st.composite
def mutated_sweeps(draw: st.DrawFn, base: Path) -> dict[str, Any]:
    """The tiny sweep with one value replaced by something hostile, or a key added."""
    raw = json.loads(json.dumps({**TINY_SWEEP, "base": str(base)}))
    path = draw(st.sampled_from(_leaves(raw)))
    if draw(st.booleans()):
        _set(raw, path, draw(hostile_values))
    else:
        _set(raw, (draw(st.sampled_from(["model", "extra", "sampler"])),), draw(hostile_values))
    return raw


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=st.data())
def test_mutated_sweep_files(tmp_path_factory, small_base, data):
    where = tmp_path_factory.mktemp("sweep")
    raw = data.draw(mutated_sweeps(small_base))
    text = _toml(raw)
    if text is None:
        return
    path = where / "s.toml"
    path.write_text(text)
    out = where / "out"
    res = invoke(["sweep", str(path), "--out", str(out), "--workers", "1"])
    _handled(res, out)


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory, small_base) -> Path:
    where = tmp_path_factory.mktemp("done")
    path = where / "s.toml"
    sweep = {**TINY_SWEEP, "base": str(small_base)}
    path.write_text(tomli_w.dumps(sweep))
    out = where / "out"
    res = invoke(["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    return out


@st.composite
def mutated_manifests(draw: st.DrawFn, manifest: dict[str, Any]) -> dict[str, Any]:
    raw = json.loads(json.dumps(manifest))
    path = draw(st.sampled_from(_leaves(raw)))
    value = draw(
        st.one_of(
            hostile_values.filter(lambda v: not isinstance(v, float) or math.isfinite(v)),
            st.sampled_from(["'; COPY (SELECT 1) TO 'pwned.csv'; --", "../../etc", "*"]),
        )
    )
    try:
        _set(raw, path, value if not hasattr(value, "isoformat") else str(value))
    except (KeyError, IndexError, TypeError):
        pass
    return raw


@settings(FUZZ, max_examples=EXAMPLES // 2)
@given(data=st.data())
def test_mutated_manifests(tmp_path_factory, finished_sweep, data):
    copy = tmp_path_factory.mktemp("man") / "sweep"
    shutil.copytree(finished_sweep, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps(data.draw(mutated_manifests(manifest))))
    res = invoke(["analyze", str(copy)])
    _handled(res)
    assert not list(copy.parent.rglob("pwned*"))
    if res.exit_code != 0:
        assert not (copy / "analysis").exists()
