"""The negotiation view is read-only: a strategy can change nothing the mechanism or other runs use.

A "vandal" wraps a team's real strategy: before every offer it tries to change everything it
can reach through the view (records, arrays, the outcome space and what its methods return),
each attempt must raise, and the run must end exactly as an untouched run does.  Two models
built with one space must not influence each other, and the summary must be plain JSON.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest
from helpers import BASELINE, SMALL
from tradetalks.sim import issues as issues_module
from tradetalks.sim.issues import OutcomeSpace, read_only
from tradetalks.sim.model import TradeTalksModel, resolve_config
from tradetalks.sim.protocol import DealRecord, NegotiationView, OfferRecord
from tradetalks.sim.spaces import outcome_space
from tradetalks.sim.summary import build_summary, plain

SEED = 1
REFUSALS = (TypeError, ValueError, AttributeError)  # what a refused write may raise


@pytest.fixture(scope="module")
def cfg():
    return resolve_config(BASELINE, SMALL)


@pytest.fixture(scope="module")
def space(cfg) -> OutcomeSpace:
    return outcome_space(cfg)


def _array_attacks(name: str, a: np.ndarray) -> dict[str, Callable[[], Any]]:
    """Every way we know to write into ``a`` (or make it writable)."""
    first = (0,) * a.ndim
    attacks: dict[str, Callable[[], Any]] = {
        f"{name}[...] = x": lambda: a.__setitem__(first, a[first]),
        f"{name}.setflags(write=True)": lambda: a.setflags(write=True),
        f"np.copyto({name})": lambda: np.copyto(a, a.copy()),
        f"{name}.fill": lambda: a.fill(a.flat[0]),
        f"view of {name} made writable": lambda: a.view().setflags(write=True),
    }
    owner, depth = a.base, 1
    while isinstance(owner, np.ndarray):  # every array up the chain is read-only too
        attacks[f"{name}'s base {depth} made writable"] = lambda o=owner: o.setflags(write=True)
        owner, depth = owner.base, depth + 1
    return attacks


def _record_attacks(rec: OfferRecord) -> dict[str, Callable[[], Any]]:
    return {
        "record.utility[side] = x": lambda: rec.utility.__setitem__("us", 1.0),
        "record.reservation[side] = x": lambda: rec.reservation.__setitem__("china", 0.0),
        "del record.utility[side]": lambda: rec.utility.__delitem__("us"),
        "record.outcome = x": lambda: setattr(rec, "outcome", 0),
    }


def _space_attacks(space: OutcomeSpace, side: str) -> dict[str, Callable[[], Any]]:
    issue = space.issues[0]
    weights = np.full(space.n_issues, 1 / space.n_issues)
    out: dict[str, Callable[[], Any]] = {
        "space.levels = x": lambda: setattr(space, "levels", None),
        "del space.covered": lambda: delattr(space, "covered"),
        "space.issues.append": lambda: space.issues.append(issue),  # type: ignore[attr-defined]
        "space.names[0] = x": lambda: space.names.__setitem__(0, "x"),  # type: ignore[index]
        "issue.values[side] = x": lambda: issue.values.__setitem__(side, np.zeros(1)),
        "issue.name = x": lambda: setattr(issue, "name", "x"),
    }
    arrays = {
        "space.levels": space.levels,
        "space.covered": space.covered,
        "space.effective": space.effective,
        "issue.values[side]": issue.values[side],
        "space.contributions()": space.contributions(side),
        "space.utility()": space.utility(side, weights),
        "space.blended_utility()": space.blended_utility(side, [weights], np.ones(1)),
        "space.status_quo_values()": space.status_quo_values(side),
        "space.weight_vector()": space.weight_vector({space.names[0]: 1.0}),
        "space.consistent_with()": space.consistent_with({}),
    }
    for name, a in arrays.items():
        out.update(_array_attacks(name, a))
    return out


def attacks(view: NegotiationView) -> dict[str, Callable[[], Any]]:
    """Every write a strategy could try through ``view``, by name."""
    out: dict[str, Callable[[], Any]] = {
        "view.own_utility = x": lambda: setattr(view, "own_utility", None),
        "view.history.append": lambda: view.history.append(None),  # type: ignore[attr-defined]
    }
    arrays = {
        "view.own_utility": view.own_utility,
        "view.available": view.available,
        "view.own_winset": view.own_winset,
        "view.opponent_values": view.opponent_values,
    }
    if view.opponent_winset is not None:
        arrays["view.opponent_winset"] = view.opponent_winset
    if view.outcomes is not None:
        arrays["view.outcomes"] = view.outcomes
    for name, a in arrays.items():
        out.update(_array_attacks(name, a))
    if view.history:
        out.update(_record_attacks(view.history[-1]))
    out.update(_space_attacks(view.space, view.side))
    return out


class Vandal:
    """Wraps a real strategy; tries every attack before each offer, answer and meeting
    request, then plays as it would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tried: set[str] = set()
        self.succeeded: list[str] = []

    def _attack(self, view: NegotiationView) -> None:
        assert not hasattr(view, "rng"), "strategies draw from their own generators"
        for name, attack in attacks(view).items():
            self.tried.add(name)
            try:
                attack()
            except REFUSALS:
                continue
            self.succeeded.append(name)

    def aspiration(self, view: NegotiationView) -> float:
        self._attack(view)
        return self.inner.aspiration(view)

    def propose(self, view: NegotiationView) -> int:
        self._attack(view)
        return self.inner.propose(view)

    def __getattr__(self, name: str) -> Any:
        """Every other hook of the inner strategy (``accepts``, ``wants_meeting``, ...),
        attacking first: the mechanism looks the optional hooks up with ``getattr``."""
        if name in ("inner", "tried", "succeeded") or name.startswith("__"):
            raise AttributeError(name)  # not set yet (unpickling), or a dunder lookup
        hook = getattr(self.inner, name)
        if not callable(hook):
            return hook

        def attacked(view: NegotiationView, *args: Any, **kwargs: Any) -> Any:
            self._attack(view)
            return hook(view, *args, **kwargs)

        return attacked


def _vandalise(model: TradeTalksModel) -> list[Vandal]:
    vandals = []
    for team in model.teams.values():
        for member in team.members.values():
            member.strategy = Vandal(member.strategy)
            vandals.append(member.strategy)
    return vandals


def _fingerprint(space: OutcomeSpace) -> list[bytes]:
    arrays = [space.levels, space.covered, space.effective]
    arrays += [v for i in space.issues for v in i.values.values()]
    return [a.tobytes() for a in arrays]


def test_every_write_through_the_view_is_refused_and_the_run_is_unaffected(cfg, space) -> None:
    before = _fingerprint(space)
    untouched = TradeTalksModel(cfg, rng=SEED, space=space)
    expected = untouched.run()
    attacked = TradeTalksModel(cfg, rng=SEED, space=space)
    vandals = _vandalise(attacked)
    assert attacked.run() == expected
    assert attacked.timeseries().equals(untouched.timeseries())
    tried = set().union(*(v.tried for v in vandals))
    assert any(name.startswith("record.") for name in tried), "no offer history was attacked"
    assert "view.opponent_winset" in " ".join(tried)
    assert [s for v in vandals for s in v.succeeded] == []
    assert _fingerprint(space) == before


def test_records_are_immutable_and_hold_plain_values() -> None:
    offer = OfferRecord(
        week=np.int64(3),
        round_no=1,
        level="principal",
        proposer="us",
        outcome=np.int64(5),
        utility={"us": np.float64(0.5), "china": 0.25},
        reservation={"us": 0.1, "china": 0.2},
        accepted=np.bool_(False),
        blocked_by_ratification=np.bool_(True),
    )
    assert isinstance(offer.utility, MappingProxyType)
    assert type(offer.utility["us"]) is float and type(offer.outcome) is int
    assert type(offer.blocked_by_ratification) is bool
    terms = {"huawei": "removal"}
    deal = DealRecord(
        week=4,
        outcome=5,
        terms=terms,
        new_issues=["huawei"],  # type: ignore[arg-type]
        utility=offer.utility,
        reservation=offer.reservation,
        interim=True,
        nash_product=np.float64(0.01),
    )
    terms["huawei"] = "no change"  # the caller's dict is copied, not kept
    assert deal.terms == {"huawei": "removal"} and deal.new_issues == ("huawei",)
    for attack in (
        lambda: deal.terms.__setitem__("huawei", "x"),
        lambda: deal.utility.__setitem__("us", 1.0),
        lambda: setattr(deal, "week", 1),
        lambda: offer.reservation.pop("us"),
    ):
        with pytest.raises(REFUSALS):
            attack()
    with pytest.raises(dataclasses.FrozenInstanceError):
        deal.week = 9  # type: ignore[misc]


def test_read_only_arrays_cannot_be_made_writable_again() -> None:
    a = read_only(np.arange(6.0).reshape(2, 3))
    assert read_only(a) is a  # already read-only: no copy
    for attack in _array_attacks("a", a).values():
        with pytest.raises(REFUSALS):
            attack()
    source = np.arange(3.0)
    frozen = read_only(source)
    source[0] = 9.0  # the read-only copy does not follow its (writable) source
    assert frozen[0] == 0.0


def test_no_process_wide_space_cache(cfg) -> None:
    assert not hasattr(issues_module, "_SPACE_CACHE")
    assert outcome_space(cfg) is not outcome_space(cfg)


def test_the_spaces_own_caches_hold_only_read_only_arrays(cfg, space) -> None:
    TradeTalksModel(cfg, rng=SEED, space=space).run()
    cached = [*space._contrib.values(), *space._member_cache.values()]
    assert cached, "a run fills the space's caches"
    for a in cached:
        with pytest.raises(ValueError):
            a.setflags(write=True)


def test_models_sharing_a_space_do_not_influence_each_other(cfg, space) -> None:
    alone = {seed: TradeTalksModel(cfg, rng=seed, space=outcome_space(cfg)) for seed in (1, 2)}
    expected = {seed: m.run() for seed, m in alone.items()}
    shared = {seed: TradeTalksModel(cfg, rng=seed, space=space) for seed in (1, 2)}
    for _ in range(cfg.run.weeks):  # interleaved, week by week
        for model in shared.values():
            if model.running:
                model.step()
    assert {seed: m.summary() for seed, m in shared.items()} == expected
    for seed in (1, 2):
        assert shared[seed].timeseries().equals(alone[seed].timeseries())


def test_a_pickled_space_stays_read_only_and_runs_the_same(cfg, space) -> None:
    """Sweeps hand the space to worker processes (pickled unless the workers are forked)."""
    expected = TradeTalksModel(cfg, rng=SEED, space=space).run()  # warms the caches
    copy = pickle.loads(pickle.dumps(space))
    attacked = TradeTalksModel(cfg, rng=SEED, space=copy)
    vandals = _vandalise(attacked)
    assert attacked.run() == expected
    assert [s for v in vandals for s in v.succeeded] == []
    for a in [*copy._contrib.values(), *copy._member_cache.values()]:
        with pytest.raises(ValueError):
            a.setflags(write=True)
    record = attacked.negotiation.history[0]
    assert pickle.loads(pickle.dumps(record)) == record
    deal = pickle.loads(pickle.dumps(attacked.negotiation.deals[-1]))
    assert isinstance(deal.terms, MappingProxyType) and deal == attacked.negotiation.deals[-1]


def _plain_types_only(value: Any) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _plain_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_types_only(v) for v in value)
    return type(value) in (str, int, float, bool, type(None))


@pytest.mark.parametrize("weeks", [None, 30])  # the full run (deals), and one cut short
def test_summary_is_plain_json(cfg, space, weeks: int | None) -> None:
    over = {} if weeks is None else {"run.weeks": weeks}
    model = TradeTalksModel(cfg, rng=SEED, space=space, overrides=over)
    summary = model.run()
    assert _plain_types_only(summary)
    assert json.loads(json.dumps(summary)) == summary  # no ``default=`` needed
    assert type(summary["blocked_by_ratification"]) is int
    assert build_summary(model) == summary


def test_plain_converts_numpy_and_read_only_mappings_and_refuses_the_rest() -> None:
    converted = plain({"a": MappingProxyType({"b": np.int64(2)}), "c": (np.float64(0.5), True)})
    assert converted == {"a": {"b": 2}, "c": [0.5, True]}
    assert type(converted["a"]["b"]) is int  # type: ignore[index]
    for bad in (np.zeros(2), {1: "x"}, object()):
        with pytest.raises(TypeError):
            plain(bad)


def test_a_space_built_for_other_issues_is_refused(cfg, space) -> None:
    other = resolve_config(BASELINE, {**SMALL, "protocol.allow_interim": False})
    with pytest.raises(ValueError, match="another config"):
        TradeTalksModel(config=other, rng=1, space=space)
    TradeTalksModel(config=cfg, rng=1, space=space)  # its own config's space is accepted
