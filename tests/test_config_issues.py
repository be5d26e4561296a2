"""Issues are added, dropped or re-levelled by config alone; scenarios are overrides; the
schema is strict (types, unknown keys, the deal-quantity vocabulary)."""

from __future__ import annotations

import datetime as dt
import pickle
import tomllib
from pathlib import Path

import pytest
from helpers import BASELINE, LEGACY, SCENARIOS, SMALL
from tradetalks.experiments.calibspec import CalibError
from tradetalks.sim.config import (
    STRATEGY_PARAMS,
    ConfigError,
    load_config,
    parse_value,
    read_raw,
    to_toml,
    validate_raw,
)
from tradetalks.sim.indicators import DEAL_QUANTITIES
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.record import RecordError
from tradetalks.sim.snapshot import aid_schedule
from tradetalks.sim.world import World

CRISIS = BASELINE.parent / "scenarios" / "farm_crisis_no_aid.toml"

STEEL = """
extends = "{base}"

[issues.steel]   # Section 232 steel tariffs (an issue nobody values)
concedes = "us"
levels = ["keep", "quota", "remove"]
status_quo = "keep"
[issues.steel.values]
us = [1.0, 0.5, 0.0]
china = [0.0, 0.5, 1.0]
"""


def test_add_an_issue_by_config(tmp_path: Path):
    path = tmp_path / "steel.toml"
    path.write_text(STEEL.format(base=BASELINE.as_posix()))
    cfg = load_config(path, SMALL)
    assert "steel" in cfg.negotiable_issues()
    m = TradeTalksModel(config=cfg, rng=1)
    assert "steel" in m.space.names
    summary = m.run()
    assert summary["weeks"] == 52


def test_drop_an_issue_by_config():
    cfg = load_config(BASELINE, {**SMALL, "issues.huawei.negotiable": False})
    m = TradeTalksModel(config=cfg, rng=1)
    summary = m.run()
    assert "huawei" not in summary["terms"]


def test_relevel_an_issue_by_config():
    over = {
        **SMALL,
        "issues.ag_purchases.levels": ["0", "25", "50"],
        "issues.ag_purchases.status_quo": "0",
        "issues.ag_purchases.quantities": {"ag_extra_bn": [0.0, 25.0, 50.0]},
        "issues.ag_purchases.values": {
            "us": [0.0, 0.7, 1.0],
            "china": [1.0, 0.6, 0.2],
            "farmers": [0.0, 0.7, 1.0],
            "congress": [0.3, 0.5, 0.6],
            "leadership": [1.0, 0.6, 0.1],
        },
    }
    m = TradeTalksModel(config=BASELINE, rng=1, overrides=over)
    m.run()
    assert m.space.issues[0].levels == ("0", "25", "50")
    for deal in m.negotiation.deals:
        assert deal.terms.get("ag_purchases", "0") in {"0", "25", "50"}


def test_relevel_with_wrong_table_length_is_rejected():
    with pytest.raises(ConfigError) as exc:
        load_config(BASELINE, {"issues.ag_purchases.levels": ["0", "50"]})
    paths = [p for p, _ in exc.value.problems]
    assert "issues.ag_purchases" in paths


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_are_overrides_not_copies(path: Path):
    """A scenario file extends the baseline, directly or through a chain of shipped scenarios,
    and is much shorter than it."""
    text, seen = path.read_text(), {path.name}
    while 'extends = "../baseline.toml"' not in text:
        parents = [p for p in SCENARIOS if f'extends = "{p.name}"' in text]
        assert len(parents) == 1 and parents[0].name not in seen, f"{path.name}: no chain"
        seen.add(parents[0].name)
        text = parents[0].read_text()
    text = path.read_text()
    assert len(text) < len(BASELINE.read_text()) / 4
    raw, base = read_raw(path), read_raw(BASELINE)
    assert raw != base


def _debt_mean(cfg) -> float:
    f = cfg.world.farmers
    return f.debt_alpha / (f.debt_alpha + f.debt_beta)


def test_scenarios_change_what_they_claim():
    """Each shipped scenario is a core-v2 config and moves the v2 levers its name claims."""
    base = load_config(BASELINE)
    scen = {p.stem: load_config(p) for p in SCENARIOS}
    for cfg in scen.values():  # core v2 (a projector, tariff makers), no legacy walk-away index
        assert cfg.valuation is not None and cfg.makers is not None
        assert all(team.reservation is None for team in cfg.teams.values())
    # hawkish US: more patient, more optimistic screening, costlier climb-downs
    hawk, b_us = scen["hawkish_us"], base.teams["us"]
    assert hawk.teams["us"].patience > b_us.patience
    for role, member in hawk.teams["us"].members.items():
        before = b_us.members[role].strategy
        assert member.strategy.kind == before.kind == "screening", role
        assert member.strategy.params.optimism > before.params.optimism, role
        assert member.strategy.params.types == before.params.types, role  # inherited
    assert hawk.makers.us.audience_scale > base.makers.us.audience_scale
    assert hawk.makers.china == base.makers.china and hawk.teams["china"] == base.teams["china"]
    # patient China
    patient = scen["patient_china"]
    assert patient.teams["china"].patience > base.teams["china"].patience
    assert patient.teams["us"] == base.teams["us"]
    # farm crisis: no aid announced or expected, a deeper price slump, more debt
    crisis = scen["farm_crisis_no_aid"]
    assert crisis.farm_politics.aid_scale == 0 < base.farm_politics.aid_scale
    assert crisis.world.soybeans.price_flex > base.world.soybeans.price_flex
    assert _debt_mean(crisis) > _debt_mean(base)
    assert not scen["huawei_off_table"].issues["huawei"].negotiable
    assert base.issues["huawei"].negotiable
    assert len(SCENARIOS) >= 3


def test_farm_crisis_without_aid_hurts_farmers():
    # aid paid whatever the talks do (a deal before a tranche would otherwise cancel it)
    over = {**SMALL, "run.weeks": 30, "farm_politics.aid_follows_retaliation_pp": None}
    base = TradeTalksModel(config=BASELINE, rng=4, overrides=over)
    crisis = TradeTalksModel(
        config=CRISIS,
        rng=4,
        overrides=over,
    )
    base.run()
    crisis.run()
    assert crisis.world.state.farm_aid_paid_bn == 0 < base.world.state.farm_aid_paid_bn
    # the projector expects no aid either (announced tranches and the 2020 package)
    expected = {
        name: aid_schedule(TradeTalksModel(config=path, rng=4, overrides=over))
        for name, path in (("base", BASELINE), ("crisis", CRISIS))
    }
    assert expected["crisis"] and all(bn == 0 for _, bn in expected["crisis"])
    assert len(expected["base"]) == len(expected["crisis"])
    assert all(bn > 0 for _, bn in expected["base"])
    df_b, df_c = base.timeseries(), crisis.timeseries()
    assert df_c["farm_income_index"].mean() < df_b["farm_income_index"].mean()


def test_baseline_outcomes_vary_across_seeds():
    """The model is not a script: 20 seeds give different deal weeks or terms."""
    results = set()
    for seed in range(1, 21):
        s = TradeTalksModel(config=BASELINE, rng=seed).run()
        results.add((s["deal"], s["deal_week"], tuple(sorted(s["terms"].items()))))
    assert len(results) >= 3
    assert len({r[1] for r in results}) >= 2, "deal weeks differ across seeds"


# --------------------------------------------------------------------------- strict schema
def _problems(source, overrides=None) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        load_config(source, overrides)
    return dict(exc.value.problems)


def _with_line(tmp_path: Path, old: str, new: str) -> Path:
    text = BASELINE.read_text()
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_quoted_number_is_not_a_number(tmp_path: Path):
    """`weeks = "52"` in a file is rejected by its key path, with a hint."""
    problems = _problems(_with_line(tmp_path, "weeks = 52 ", 'weeks = "52" '))
    assert list(problems) == ["run.weeks"]
    assert "integer" in problems["run.weeks"] and "without quotes" in problems["run.weeks"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("world.farmers.count", 120.0, "must be an integer, got a float"),  # float for an int
        ("teams.us.patience", "0.99", "must be a number, got the string"),
        ("protocol.allow_interim", 1, "must be true or false"),
        ("run.start_date", "2019-09-16", "must be a date"),
        ("calendar.farm_aid.0.amount_bn", "3.6", "must be a number"),
    ],
)
def test_strict_types_name_the_key(key, value, expected):
    problems = _problems(BASELINE, {key: value})
    path = key.replace(".0.", "[0].")
    assert expected in problems[path]


def test_an_integer_is_still_a_number_and_set_values_parse_as_toml():
    cfg = load_config(BASELINE, {"teams.us.patience": 1, "world.pboc.threshold": 7})
    assert cfg.teams["us"].patience == 1.0 and isinstance(cfg.world.pboc.threshold, float)
    # --set values are TOML literals, so the strict schema accepts them
    sets = {"run.weeks": "30", "teams.us.patience": "0.99", "issues.huawei.negotiable": "false"}
    cfg = load_config(BASELINE, {k: parse_value(v) for k, v in sets.items()})
    assert cfg.run.weeks == 30 and cfg.teams["us"].patience == 0.99
    assert not cfg.issues["huawei"].negotiable
    assert parse_value("2019-10-01") == dt.date(2019, 10, 1)


def test_weeks_override_is_strict_too():
    problems = _problems(BASELINE, {"run.weeks": "52"})
    assert "must be an integer" in problems["run.weeks"]


REMOVED_KEYS = [
    ("world.huawei.supplier_loss_weight", 0.5),
    ("world.farmers.network.kind", "watts_strogatz"),
    ("issues.huawei.description", "Huawei and the US Entity List"),
    ("teams.us.name", "United States"),
    ("calendar.rounds.0.note", "Gerrish-Liao Min"),
    ("calendar.patience_changes.0.note", "Iowa caucuses"),
]
# patience changes are a legacy mechanism: only the legacy config has a list to index
SOURCE = {"calendar.patience_changes.0.note": LEGACY}


@pytest.mark.parametrize(("key", "value"), REMOVED_KEYS, ids=[k for k, _ in REMOVED_KEYS])
def test_keys_the_model_never_read_are_unknown(key, value):
    """Keys nothing read were removed from the schema: setting one is an error by path."""
    problems = _problems(SOURCE.get(key, BASELINE), {key: value})
    path = key.replace(".0.", "[0].")
    assert problems == {path: "unknown key (not part of the configuration schema)"}


def test_a_typo_in_a_deal_quantity_is_rejected():
    """A misspelt quantity would silently void the term: it is an error naming its key."""
    bad = {"issues.ag_purchases.quantities": {"ag_extra_bnn": [0.0, 10, 20, 30, 40, 50]}}
    problems = _problems(BASELINE, bad)
    path = "issues.ag_purchases.quantities.ag_extra_bnn"
    assert list(problems) == [path]
    assert "unknown deal quantity 'ag_extra_bnn'" in problems[path]
    assert "'ag_extra_bn'" in problems[path]  # the known names are listed


# a probe per quantity: the terms that put it into force, with and without it
QUANTITY_PROBES = {
    "us_tariff_avg": ({}, {"us_tariff_avg": 10.0}),
    "us_keeps_schedule": ({"us_tariff_avg": 10.0}, {"us_keeps_schedule": 1.0}),
    "us_threat_pp": ({"us_tariff_avg": 10.0}, {"us_threat_pp": 3.0}),
    "cn_tariff_avg": ({}, {"cn_tariff_avg": 10.0}),
    "cn_keeps_schedule": ({"cn_tariff_avg": 10.0}, {"cn_keeps_schedule": 1.0}),
    "cn_threat_pp": ({"cn_tariff_avg": 10.0}, {"cn_threat_pp": 3.0}),
    "soy_tariff": ({"cn_tariff_avg": 10.0}, {"soy_tariff": 5.0}),
    "ag_extra_bn": ({}, {"ag_extra_bn": 30.0}),
    "huawei_status": ({}, {"huawei_status": 0.9}),
    "currency_pledge": ({}, {"currency_pledge": 0.5}),
    "ip_reform": ({}, {"ip_reform": 0.5}),
    "fentanyl_enforcement": ({}, {"fentanyl_enforcement": 0.5}),
    "lift_label": ({}, {"lift_label": 1.0}),
    "us_cancel_scheduled": ({}, {"us_cancel_scheduled": 1.0}),
    "us_threat_kept": ({"us_cancel_scheduled": 1.0}, {"us_threat_kept": 0.5}),
    "us_rollback_fired": ({}, {"us_rollback_fired": 1.0}),
    "us_rollback_pp": ({}, {"us_rollback_pp": 1.0}),
    "cn_cancel_scheduled": ({}, {"cn_cancel_scheduled": 1.0}),
    "cn_threat_kept": ({"cn_cancel_scheduled": 1.0}, {"cn_threat_kept": 0.5}),
    "cn_rollback_fired": ({}, {"cn_rollback_fired": 1.0}),
    "cn_rollback_pp": ({}, {"cn_rollback_pp": 1.0}),
    "soy_rollback_pp": ({}, {"soy_rollback_pp": 1.0}),
}


def _probe_world(cfg) -> World:
    """A world where each side has fired a hike and has more scheduled (so that relative
    quantities have something to act on)."""
    world = World(cfg.world)
    world.escalate("us", 2.5, 0.0)
    world.escalate("china", 2.0, 5.0)
    world.state.us_threat_pp, world.state.cn_threat_pp = 4.75, 2.0
    return world


def test_the_quantity_vocabulary_is_what_the_world_puts_into_force():
    """Every name in the vocabulary changes the world when agreed (none is dead)."""
    assert set(QUANTITY_PROBES) == set(DEAL_QUANTITIES)
    cfg = load_config(BASELINE)
    for name, (base, extra) in QUANTITY_PROBES.items():
        without, with_ = _probe_world(cfg), _probe_world(cfg)
        ended = (without.apply_terms(dict(base), 1), with_.apply_terms({**base, **extra}, 1))
        assert (vars(without.state), ended[0]) != (vars(with_.state), ended[1]), name


def test_resolved_config_round_trips_through_toml():
    cfg = load_config(BASELINE)
    assert validate_raw(tomllib.loads(to_toml(cfg))) == cfg


def test_configs_pickle_with_every_strategy_kind():
    """Configs travel to worker processes: each strategy table's class must pickle."""
    members = [("us", r) for r in ("president", "ustr", "treasury", "deputy_ustr")]
    members += [("china", r) for r in ("vice_premier", "deputy")]
    kinds = sorted(STRATEGY_PARAMS)
    for start in range(0, len(kinds), len(members)):
        chosen = kinds[start : start + len(members)]
        over = {
            f"teams.{side}.members.{role}.strategy": {"kind": kind}
            for (side, role), kind in zip(members, chosen, strict=False)
        }
        cfg = load_config(BASELINE, over)
        assert pickle.loads(pickle.dumps(cfg)) == cfg


@pytest.mark.parametrize("error", [ConfigError, CalibError, RecordError])
def test_config_errors_cross_process_pools(error: type[ConfigError]) -> None:
    """A worker's error reaches the parent with its problems (a pool unpickles it: an error
    that cannot be rebuilt breaks the whole pool instead, as the SBC benchmark's did)."""
    problems = [("statistics[0].observed", "give it or [observed] synthetic, not both")]
    original = error(problems, "calib.toml")
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is error and copy.problems == problems and str(copy) == str(original)
