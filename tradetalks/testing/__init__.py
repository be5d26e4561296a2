"""Hypothesis strategies for valid tradetalks configs, payoff tables and offers.

Shipped with the package so that users can property-test their own variants::

    from hypothesis import given
    from tradetalks.testing import configs

    @given(configs())
    def test_my_invariant(cfg): ...

Every config drawn here validates; draws vary payoffs (weights, per-level values,
reservations where the base has them, patience), strategies (the base's own or a drawn
one), thresholds and world coefficients around a base
scenario, with few farmers and weeks so that a model run stays quick.  Every range drawn lies
inside the schema's bounds (``sim/config_base.py`` and the section modules), e.g. exponents
in [0.1, 5] within (0, 100], patience in [0.9, 1] within (0, 1], influence in [0.05, 1].
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from tradetalks.sim.config import Config, read_raw, validate_raw
from tradetalks.sim.shipped import baseline, locate

BASE = baseline()
TIME_DEPENDENT_KINDS = ("boulware", "linear", "conceder", "time_dependent")


def simplex(names: list[str], min_size: int = 1) -> st.SearchStrategy[dict[str, float]]:
    """Non-negative weights over ``names`` that sum to 1 (some may be zero)."""

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, float]:
        raw = [data(st.integers(0, 20)) for _ in names]
        if sum(raw) == 0:
            raw[data(st.integers(0, len(names) - 1))] = 1
        total = sum(raw)
        w = [r / total for r in raw]
        w[-1] = 1.0 - sum(w[:-1])  # exact sum despite rounding
        return {n: max(0.0, x) for n, x in zip(names, w, strict=True)}

    return draw()


def level_values(n: int, direction: str) -> st.SearchStrategy[list[float]]:
    """``n`` per-level values in [0, 1], non-increasing ('down'), non-decreasing ('up') or free."""
    vals = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=n, max_size=n)
    if direction == "down":
        return vals.map(lambda v: sorted(v, reverse=True))
    if direction == "up":
        return vals.map(sorted)
    return vals


def payoff_tables(raw: dict[str, Any]) -> st.SearchStrategy[dict[str, dict[str, list[float]]]]:
    """New us/china value tables for every issue of a raw config, respecting level order."""

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, dict[str, list[float]]]:
        out = {}
        for name, issue in raw["issues"].items():
            n = len(issue["levels"])
            giver = issue["concedes"]
            tables = {}
            for side in ("us", "china"):
                if giver == "both":
                    direction = "free"
                else:
                    direction = "down" if side == giver else "up"
                tables[side] = data(level_values(n, direction))
            out[name] = tables
        return out

    return draw()


def strategy_specs() -> st.SearchStrategy[dict[str, Any]]:
    """A strategy table for a team member (time-dependent family or tit-for-tat)."""
    td = st.builds(
        lambda kind, e: {"kind": kind, "params": {"exponent": e}},
        st.sampled_from(TIME_DEPENDENT_KINDS),
        st.floats(0.1, 5.0),
    )
    tft = st.builds(
        lambda k, i: {"kind": "tit_for_tat", "params": {"reciprocity": k, "initial": i}},
        st.floats(0.2, 2.0),
        st.floats(0.0, 0.2),
    )
    return st.one_of(td, tft)


def raw_configs(
    base: Path = BASE, max_weeks: int = 26, max_farmers: int = 120
) -> st.SearchStrategy[dict[str, Any]]:
    """Raw (dict) configs around ``base`` that validate."""
    base_raw = read_raw(base)

    @st.composite
    def draw(data: st.DrawFn) -> dict[str, Any]:
        raw = copy.deepcopy(base_raw)
        issues = list(raw["issues"])
        raw["run"]["weeks"] = data(st.integers(4, max_weeks))
        end_week = raw["run"]["weeks"]
        raw["world"]["farmers"]["count"] = data(st.integers(10, max_farmers))
        raw["world"]["farmers"]["network"]["k"] = data(st.integers(2, 8))
        raw["world"]["farmers"]["network"]["p"] = data(st.floats(0.0, 1.0))
        for name, tables in data(payoff_tables(raw)).items():
            raw["issues"][name]["values"].update(tables)
        raw["protocol"]["allow_interim"] = data(st.booleans())
        raw["protocol"]["max_offers_per_round"] = data(st.integers(1, 8))
        raw["protocol"]["first_mover"] = data(st.sampled_from(["us", "china"]))
        for side, team in raw["teams"].items():
            team["patience"] = data(st.floats(0.9, 1.0))
            if "reservation" in team:  # the legacy walk-away index (core v2 projects it)
                team["reservation"]["base"] = data(st.floats(0.0, 1.0))
            for member in team["members"].values():
                member["weights"] = data(simplex(issues))
                member["influence"] = data(st.floats(0.05, 1.0))
                member["strategy"] = data(st.one_of(st.just(member["strategy"]), strategy_specs()))
            del side
        for rat in raw["ratifiers"].values():
            rat["threshold"] = data(st.floats(0.0, 0.8))
        raw["world"]["politics"]["incident_probability"] = data(st.floats(0.0, 0.3))
        raw["world"]["gestures"]["reciprocate_probability"] = data(st.floats(0.0, 1.0))
        # keep the calendar inside the drawn horizon (validation rejects dates outside it)
        from tradetalks.sim.config import RunConfig

        run = RunConfig.model_validate(raw["run"])
        cfg_end = run.start_date.toordinal() + 7 * end_week - 1
        cal = raw["calendar"]
        for key in ("rounds", "tariff_actions", "farm_aid", "patience_changes"):
            cal[key] = [e for e in cal.get(key, []) if e["date"].toordinal() <= cfg_end]
        for key in ("fed_meetings", "pboc_meetings"):
            cal[key] = [d for d in cal.get(key, []) if d.toordinal() <= cfg_end]
        return raw

    return draw()


def configs(
    base: Path = BASE, max_weeks: int = 26, max_farmers: int = 120
) -> st.SearchStrategy[Config]:
    """Valid ``Config`` objects around ``base``."""
    return raw_configs(base, max_weeks, max_farmers).map(validate_raw)


def offers(space: Any, available: np.ndarray | None = None) -> st.SearchStrategy[int]:
    """Outcome indices of an ``OutcomeSpace`` (restricted to ``available`` if given)."""
    if available is None:
        return st.integers(0, len(space) - 1)
    idx = np.flatnonzero(available)
    return st.sampled_from(idx.tolist())


def seeds() -> st.SearchStrategy[int]:
    """Run seeds."""
    return st.integers(0, 2**32 - 1)


def frontier_configs(max_issues: int = 5, max_levels: int = 5) -> st.SearchStrategy[Config]:
    """Valid configs a run may play on its frontiers alone (``config_schema.frontier_problem``
    is None): the symmetric theory scenario's world with 2..``max_issues`` issues of drawn
    levels and values, one member a side (time-dependent or tit-for-tat) with drawn weights,
    parameters, patience and walk-away value."""
    base_raw = read_raw(locate("theory/nash_symmetric"))

    @st.composite
    def draw(data: st.DrawFn) -> Config:
        raw = copy.deepcopy(base_raw)
        names = [f"i{j}" for j in range(data(st.integers(2, max_issues)))]
        raw["issues"] = {}
        for name in names:
            n = data(st.integers(2, max_levels))
            giver = data(st.sampled_from(["us", "china"]))  # its values fall as it concedes
            raw["issues"][name] = {
                "concedes": giver,
                "levels": [str(k) for k in range(n)],
                "status_quo": "0",
                "values": {
                    s: data(level_values(n, "down" if s == giver else "up"))
                    for s in ("us", "china")
                },
            }
        raw["run"]["weeks"] = data(st.integers(20, 40))  # the base holds 20 weekly rounds
        raw["protocol"]["first_mover"] = data(st.sampled_from(["us", "china"]))
        raw["protocol"]["max_offers_per_round"] = data(st.integers(1, 4))
        raw["protocol"]["min_issues_in_deal"] = 1
        for team in raw["teams"].values():
            team["patience"] = data(st.floats(0.9, 1.0))
            team["reservation"]["base"] = data(st.floats(0.0, 0.6))
            (member,) = team["members"].values()
            member["weights"] = data(simplex(names))
            member["strategy"] = data(strategy_specs())
        return validate_raw(raw)

    return draw()
