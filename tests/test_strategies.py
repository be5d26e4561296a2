"""Strategies: declared properties against observed behaviour, behaviour tables against
scripted opponents, the logrolling offer rule, typed parameters, user
strategies named by import path, and each strategy's own generator."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from helpers import BASELINE, SMALL
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from tradetalks.agents.strategies import (
    REGISTRY,
    OpponentModelling,
    RatificationAware,
    Strategy,
    TimeDependent,
)
from tradetalks.sim import frontier_rows
from tradetalks.sim.config import STRATEGY_PARAMS, ConfigError, StrategyConfig
from tradetalks.sim.config_strategies import FACTORED_KINDS, FRONTIER_KINDS
from tradetalks.sim.issues import Issue, OutcomeSpace
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.scenario import resolve_config
from user_strategies import Stubborn

from tradetalks.testing.negotiation import make_view, scripted_duel, small_spaces, weight_vectors

EXPECTED = {
    "time_dependent",
    "boulware",
    "linear",
    "conceder",
    "tit_for_tat",
    "opponent_model",
    "ratification_aware",
    "rubinstein",
    "random_acceptable",
    "screening",
}
HORIZON = 10
W_US = np.array([0.5, 0.3, 0.2])
W_CN = np.array([0.6, 0.3, 0.1])  # China's true weights (the opponent model must learn them)


def _space() -> OutcomeSpace:
    """Three issues, five levels each; China concedes on all (US values rise with the level)."""
    issues = [
        Issue(
            name=n,
            levels=tuple(str(i) for i in range(5)),
            status_quo=0,
            concedes="china",
            negotiable=True,
            values={"us": np.linspace(0, 1, 5), "china": np.linspace(1, 0, 5)},
            quantities={},
        )
        for n in ("x", "y", "z")
    ]
    return OutcomeSpace(issues, allow_interim=False)


SPACE = _space()
U = {"us": SPACE.utility("us", W_US), "china": SPACE.utility("china", W_CN)}
HARDLINER = [int(np.argmax(U["china"]))] * HORIZON  # always China's best outcome


def _conceding_script() -> list[int]:
    """China conceding linearly and logrolling with its true weights (a scripted opponent)."""
    china = TimeDependent(exponent=1.0)
    return [
        int(
            china.propose(make_view(SPACE, "china", U["china"], (), time=float(k), horizon=HORIZON))
        )
        for k in range(HORIZON)
    ]


CONCEDER = _conceding_script()


def duel(kind: str, script, seed: int = 0, **kw):
    return scripted_duel(REGISTRY[kind](), SPACE, U, script, horizon=HORIZON, seed=seed, **kw)


def offers(kind: str, script, seed: int = 0, **kw) -> list[int]:
    return [s.offer for s in duel(kind, script, seed, **kw)]


# --------------------------------------------------------------------------- the registry
def test_registry_has_every_strategy_and_fills_itself():
    assert set(REGISTRY) >= EXPECTED

    class Probe(REGISTRY["linear"]):  # a throwaway subclass registers itself by name
        name = "probe_strategy_for_registry_test"

    try:
        assert REGISTRY["probe_strategy_for_registry_test"] is Probe
    finally:
        del REGISTRY["probe_strategy_for_registry_test"]


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_classifier_is_complete_and_read_only(kind):
    cls = REGISTRY[kind]
    assert set(cls.classifier) == set(Strategy.classifier)
    assert all(isinstance(v, bool) for v in cls.classifier.values())
    with pytest.raises(TypeError):
        cls.classifier["stochastic"] = True  # type: ignore[index]


def test_every_registered_strategy_has_its_params_model_in_the_union_and_back():
    """The agents' registry and the schema's union list the same kinds, with one model each."""
    assert set(REGISTRY) == set(STRATEGY_PARAMS)
    union = TypeAdapter(StrategyConfig)
    for kind, cls in REGISTRY.items():
        assert cls.params_model is STRATEGY_PARAMS[kind], kind
        assert type(union.validate_python({"kind": kind}).params) is cls.params_model


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_every_parameter_has_a_default_and_unknown_ones_are_refused(kind):
    cls = REGISTRY[kind]
    assert cls().params == cls.params_model()  # every parameter optional
    with pytest.raises(ValueError):
        cls(no_such_parameter=1.0)


def test_strategies_read_their_typed_parameters():
    """The kinds of the time-dependent family differ only in their default exponent."""
    assert [REGISTRY[k]().params.exponent for k in ("boulware", "linear", "conceder")] == [
        0.2,
        1.0,
        3.0,
    ]
    assert REGISTRY["tit_for_tat"](initial=0.1).params.initial == 0.1


@pytest.mark.parametrize(
    ("params", "path", "expected"),
    [
        ({"exponnt": 0.5}, "params.exponnt", "unknown parameter of strategy 'boulware'"),
        ({"exponent": -1.0}, "params.exponent", "greater than 0"),
        ({"exponent": "0.5"}, "params.exponent", "must be a number"),
    ],
)
def test_bad_strategy_parameters_are_config_errors_by_key_path(params, path, expected):
    key = "teams.us.members.president.strategy"
    with pytest.raises(ConfigError) as exc:
        resolve_config(BASELINE, {key: {"kind": "boulware", "params": params}})
    problems = dict(exc.value.problems)
    assert list(problems) == [f"{key}.{path}"]
    assert expected in problems[f"{key}.{path}"]


# --------------------------------------------------------------------------- declared properties
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_stochastic_property_matches_behaviour(kind):
    runs = {tuple(offers(kind, CONCEDER, seed=s)) for s in range(6)}
    if REGISTRY[kind].classifier["stochastic"]:
        assert len(runs) > 1, "declared stochastic but the seed changes nothing"
    else:
        assert len(runs) == 1, "declared non-stochastic but offers depend on the seed"


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_history_dependence_matches_declared_properties(kind):
    """Strategies that neither model nor reciprocate make the same offers whatever the
    opponent offered; those that do respond to it."""
    cls = REGISTRY[kind]
    hard, soft = duel(kind, HARDLINER), duel(kind, CONCEDER)
    responsive = cls.classifier["uses_opponent_model"] or cls.classifier["reciprocal"]
    same_offers = [s.offer for s in hard] == [s.offer for s in soft]
    same_asp = [s.aspiration for s in hard] == [s.aspiration for s in soft]
    if not responsive:
        assert same_offers and same_asp
    if cls.classifier["reciprocal"]:
        assert not same_asp, "declared reciprocal but ignores the opponent's concessions"
    if cls.classifier["uses_opponent_model"]:
        assert not same_offers, "declared opponent-modelling but offers ignore the opponent"


def _restrictive_opponent_winset() -> np.ndarray:
    """China's legislature rejects every deal giving it less than 0.45."""
    return U["china"] >= 0.45


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_ratification_awareness_matches_declared_property(kind):
    ws = _restrictive_opponent_winset()
    blind = offers(kind, CONCEDER)
    seen = offers(kind, CONCEDER, opponent_winset=ws)
    if REGISTRY[kind].classifier["ratification_aware"]:
        assert all(ws[x] for x in seen), "offers outside the other side's win-set"
        assert blind != seen
    else:
        assert blind == seen, "offers depend on the other side's win-set"


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_time_dependent_aspiration_never_rises(kind):
    cls = REGISTRY[kind]
    if not cls.classifier["time_dependent"]:
        return
    asp = [s.aspiration for s in duel(kind, HARDLINER)]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(asp))
    assert asp[-1] < asp[0]


def _beaten_on_both(x: int, own: np.ndarray, model: np.ndarray, margin: float) -> bool:
    return bool(((own >= own[x] + margin) & (model >= model[x] + margin)).any())


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_frontier_offers_are_never_beaten_on_own_and_modelled_utility(kind):
    """A strategy declaring ``frontier_offers`` never offers an outcome another one beats on
    both its own utility and its equal-weight model of China's (sim/frontier_rows.py keeps
    only those outcomes); the random-offer strategy, which does not declare it, does."""
    model = SPACE.contributions("china") @ np.full(SPACE.n_issues, 1 / SPACE.n_issues)
    beaten = [
        _beaten_on_both(x, U["us"], model, frontier_rows.MARGIN)
        for script in (HARDLINER, CONCEDER)
        for x in offers(kind, script)
    ]
    if REGISTRY[kind].classifier["frontier_offers"]:
        assert not any(beaten)
    if kind == "random_acceptable":
        assert any(beaten), "the check cannot tell a random offer from a frontier one"


def test_the_schemas_frontier_kinds_are_those_declaring_frontier_offers():
    declared = {k for k, cls in REGISTRY.items() if cls.classifier["frontier_offers"]}
    assert set(FRONTIER_KINDS) == declared


def test_the_schemas_factored_kinds_are_those_declaring_factored_rounds():
    declared = {k for k, cls in REGISTRY.items() if getattr(cls, "factored_rounds", False)}
    assert set(FACTORED_KINDS) == declared and declared


# --------------------------------------------------------------------------- behaviour tables
def _concession_share(kind: str, at: int, **params: float) -> float:
    strat = REGISTRY[kind](**params)
    steps = scripted_duel(strat, SPACE, U, HARDLINER, horizon=HORIZON)
    top = steps[0].aspiration
    return (top - steps[at].aspiration) / top


# (strategy, share of the way to reservation conceded at half time against a hardliner)
TIME_TABLE = [
    ("boulware", 0.0, 0.05),
    ("linear", 0.45, 0.55),
    ("conceder", 0.75, 0.85),
    ("time_dependent", 0.45, 0.55),
]


@pytest.mark.parametrize(("kind", "low", "high"), TIME_TABLE)
def test_behaviour_table_time_dependent_family(kind, low, high):
    assert low <= _concession_share(kind, HORIZON // 2) <= high


@pytest.mark.parametrize("exponent", [0.2, 0.5, 1.0, 2.0, 5.0])
def test_exponent_orders_concession(exponent):
    """A larger exponent concedes more at any given time (Faratin et al. 1998)."""
    lo = _concession_share("time_dependent", 4, exponent=exponent)
    hi = _concession_share("time_dependent", 4, exponent=exponent * 1.5)
    assert hi > lo


def test_behaviour_table_tit_for_tat():
    """Against a hardliner it concedes only its opening gesture; against a conceder it
    concedes what the conceder conceded (in its own utility)."""
    initial = 0.05
    strat = REGISTRY["tit_for_tat"](initial=initial, reciprocity=1.0)
    hard = scripted_duel(strat, SPACE, U, HARDLINER, horizon=HORIZON)
    soft = scripted_duel(strat, SPACE, U, CONCEDER, horizon=HORIZON)
    top = float(U["us"].max())
    assert all(s.aspiration == pytest.approx(top - initial) for s in hard)
    for k, s in enumerate(soft):
        conceded = max(0.0, U["us"][CONCEDER[k]] - U["us"][CONCEDER[0]]) if k else 0.0
        assert s.aspiration == pytest.approx(max(0.0, top - initial - conceded))
    assert soft[-1].aspiration < hard[-1].aspiration


def test_behaviour_table_opponent_model_learns_the_weights():
    strat = OpponentModelling()
    prior = np.full(3, 1 / 3)
    view = make_view(
        SPACE,
        "us",
        U["us"],
        [_offer_record(x) for x in CONCEDER],
        time=0.0,
        horizon=HORIZON,
    )
    learnt = strat.opponent_weights(view)
    assert list(np.argsort(-learnt)) == list(np.argsort(-W_CN))  # ranks the issues right
    assert np.abs(learnt - W_CN).sum() < np.abs(prior - W_CN).sum()  # closer than the prior
    assert learnt.sum() == pytest.approx(1.0)


def _offer_record(x: int):
    from tradetalks.sim.protocol import OfferRecord

    return OfferRecord(
        week=1,
        round_no=1,
        level="principal",
        proposer="china",
        outcome=x,
        utility={s: float(U[s][x]) for s in U},
        reservation={"us": 0.0, "china": 0.0},
        accepted=False,
        blocked_by_ratification=False,
    )


def test_opponent_model_logrolls_better_than_the_prior():
    """Against the conceding script, the learnt model's offers are worth more to China (its
    true utility) at the same own aspiration than offers built on the equal-weight prior."""
    learnt = duel("opponent_model", CONCEDER)
    prior = duel("linear", CONCEDER)
    gain = [U["china"][a.offer] - U["china"][b.offer] for a, b in zip(learnt, prior, strict=True)]
    assert all(g >= -1e-12 for g in gain[1:]) and sum(gain) > 0


def test_behaviour_table_ratification_aware_leverage():
    """A narrower own win-set raises the floor of its concessions (tied hands)."""
    strat = RatificationAware(leverage=1.0)
    wide = np.ones(len(SPACE), bool)
    narrow = U["us"] >= 0.5
    late = float(HORIZON)  # at the horizon a time-dependent strategy is at its floor
    a_wide = strat.aspiration(
        make_view(SPACE, "us", U["us"], (), time=late, horizon=HORIZON, own_winset=wide)
    )
    a_narrow = strat.aspiration(
        make_view(SPACE, "us", U["us"], (), time=late, horizon=HORIZON, own_winset=narrow)
    )
    assert a_wide == pytest.approx(0.0)
    assert a_narrow > a_wide + 0.1


def test_behaviour_table_rubinstein_is_stationary():
    steps = scripted_duel(
        REGISTRY["rubinstein"](discount=0.9, opponent_discount=0.8),
        SPACE,
        U,
        CONCEDER,
        horizon=HORIZON,
    )
    assert len({s.offer for s in steps}) == 1
    assert len({s.aspiration for s in steps}) == 1
    assert steps[0].aspiration == pytest.approx(0.9 * (1 - 0.8) / (1 - 0.72), abs=1e-6)


def test_behaviour_table_random_acceptable_meets_its_aspiration():
    for s in duel("random_acceptable", CONCEDER, seed=3):
        assert U["us"][s.offer] >= s.aspiration - 1e-12


# --------------------------------------------------------------------------- logrolling
@settings(max_examples=80, deadline=None)
@given(small_spaces(), st.data())
def test_logrolling_offer_is_best_for_the_modelled_opponent(space, data):
    """Among outcomes meeting the aspiration, the offer maximises the modelled opponent's
    utility (brute force over the space)."""
    w = data.draw(weight_vectors(space.n_issues))
    own = space.utility("us", w)
    asp = data.draw(st.floats(0, 1))

    class Fixed(Strategy):  # a nameless probe: not registered
        def aspiration(self, view):
            return asp

    strat = Fixed()
    view = make_view(space, "us", own, (), time=0.0, horizon=HORIZON)
    x = strat.propose(view)
    model = strat.opponent_utility(view)
    meets = [i for i in range(len(space)) if own[i] >= asp]
    if meets:
        assert own[x] >= asp
        assert model[x] == pytest.approx(max(model[i] for i in meets), abs=1e-9)
    else:
        assert own[x] == pytest.approx(own.max())


def test_logrolling_concedes_first_on_what_matters_little():
    """Two issues, the US weighs `a` 0.7 and `b` 0.3: its first concession is on `b`."""
    issues = [
        Issue(
            "a",
            tuple("012"),
            0,
            "china",
            True,
            {"us": np.array([0, 0.5, 1.0]), "china": np.array([1.0, 0.5, 0])},
            {},
        ),
        Issue(
            "b",
            tuple("012"),
            0,
            "us",
            True,
            {"us": np.array([1.0, 0.5, 0]), "china": np.array([0, 0.5, 1.0])},
            {},
        ),
    ]
    space = OutcomeSpace(issues, allow_interim=False)
    own = space.utility("us", np.array([0.7, 0.3]))
    strat = TimeDependent(exponent=1.0)
    first = strat.propose(make_view(space, "us", own, (), time=0.0, horizon=4))
    later = strat.propose(make_view(space, "us", own, (), time=2.0, horizon=4))
    assert space.terms(first) == {"a": "2", "b": "0"}
    assert space.terms(later)["a"] == "2" and space.terms(later)["b"] != "0"


# --------------------------------------------------------------------------- user strategies
USTR = "teams.us.members.ustr.strategy"  # the US principal lead


def test_a_user_strategy_named_by_import_path_plays(tmp_path: Path):
    cfg_file = tmp_path / "stubborn.toml"
    cfg_file.write_text(
        f'extends = "{BASELINE.as_posix()}"\n'
        "[teams.us.members.ustr]\n"
        'strategy = { kind = "user_strategies:Stubborn", params = { share = 0.8 } }\n'
    )
    model = TradeTalksModel(config=cfg_file, rng=1, overrides={**SMALL, "run.weeks": 20})
    strategy = model.teams["us"].members["ustr"].strategy
    assert type(strategy) is Stubborn and strategy.params.share == 0.8
    model.run()
    assert strategy.offers_made > 0  # it led the US at principal rounds


@pytest.mark.parametrize(
    ("spec", "path", "expected"),
    [
        ({"kind": "user_strategies:Missing"}, "kind", "has no attribute 'Missing'"),
        ({"kind": "no_such_module_for_tests:X"}, "kind", "cannot import module"),
        ({"kind": "user_strategies:NotAStrategy"}, "kind", "is not a subclass"),
        ({"kind": "user_strategies:"}, "kind", "not an import path"),
        ({"kind": "user_strategies:Stubborn", "params": {"shar": 0.8}}, "params.shar", "unknown"),
        ({"kind": "user_strategies:Stubborn", "params": {"share": 2.0}}, "params.share", "1"),
    ],
)
def test_a_bad_user_strategy_is_a_clear_config_error(spec, path, expected):
    with pytest.raises(ConfigError) as exc:
        resolve_config(BASELINE, {USTR: spec})
    problems = dict(exc.value.problems)
    assert list(problems) == [f"{USTR}.{path}"]
    assert expected in problems[f"{USTR}.{path}"]


# --------------------------------------------------------------------------- generators
RANDOM_EVERYWHERE = {
    **SMALL,
    **{
        f"teams.{side}.members.{role}.strategy": {"kind": "random_acceptable"}
        for side, roles in {
            "us": ("president", "ustr", "treasury", "deputy_ustr"),
            "china": ("vice_premier", "deputy"),
        }.items()
        for role in roles
    },
}


def _strategies(model: TradeTalksModel) -> list[Strategy]:
    return [m.strategy for team in model.teams.values() for m in team.members.values()]


def test_each_strategy_has_its_own_deterministic_generator():
    a, b = (TradeTalksModel(rng=7, overrides=RANDOM_EVERYWHERE) for _ in range(2))
    firsts = [s.rng.random() for s in _strategies(a)]
    assert firsts == [s.rng.random() for s in _strategies(b)]  # same seed, same streams
    assert len(set(firsts)) == len(firsts)  # one independent stream per member
    assert all(s.rng is not a.rng for s in _strategies(a))


def test_strategy_draws_leave_the_model_generator_alone():
    """Random offers draw from the strategies' generators: the model's stream is untouched."""
    drawn, quiet = (TradeTalksModel(rng=7, overrides=RANDOM_EVERYWHERE) for _ in range(2))
    for side, team in drawn.teams.items():
        view = make_view(drawn.space, side, team.utility(), (), time=HORIZON / 2, horizon=HORIZON)
        for member in team.members.values():
            before = member.strategy.rng.bit_generator.state
            for _ in range(5):
                member.strategy.propose(view)
            assert member.strategy.rng.bit_generator.state != before  # it did draw
    assert drawn.rng.bit_generator.state == quiet.rng.bit_generator.state
    assert drawn.rng.random() == quiet.rng.random()


def test_a_scenario_changing_a_strategy_kind_does_not_inherit_its_parameters(tmp_path: Path):
    """`extends` merges tables, but a strategy of another kind replaces the parent's table
    (screening's type grid means nothing to tit-for-tat); the same kind still inherits."""
    path = tmp_path / "tft.toml"
    path.write_text(
        f'extends = "{BASELINE.as_posix()}"\n'
        "[teams.us.members.president]\n"
        'strategy = { kind = "tit_for_tat", params = { initial = 0.1 } }\n'
        "[teams.us.members.deputy_ustr]\n"
        'strategy = { kind = "screening", params = { optimism = 0.3 } }\n'
    )
    parent = resolve_config(BASELINE).teams["us"].members["deputy_ustr"].strategy.params
    cfg = resolve_config(path)
    president, deputy = (cfg.teams["us"].members[r].strategy for r in ("president", "deputy_ustr"))
    assert president.kind == "tit_for_tat" and president.params.initial == 0.1
    assert deputy.params.optimism == 0.3 != parent.optimism
    assert deputy.params.types == parent.types and len(parent.types) == 249  # inherited
    assert deputy.params.types != STRATEGY_PARAMS["screening"]().types  # not the default


def test_a_type_step_spells_the_screening_grid_and_conflicts_with_other_types():
    """``type_step`` is the grid of its multiples in (0, 1); a dump of it reloads; naming
    other types beside it is a clear error, not a silent choice."""
    params = STRATEGY_PARAMS["screening"]
    grid = params(type_step=0.25)
    assert grid.types == [0.25, 0.5, 0.75]
    assert params.model_validate(grid.model_dump()).types == [0.25, 0.5, 0.75]
    assert len(params(type_step=0.01).types) == 99
    assert len(params(type_step=0.001).types) == 999  # fine enough for a convergence check
    with pytest.raises(ValueError, match="type_step, not both"):
        params(type_step=0.25, types=[0.5])
    with pytest.raises(ValueError):
        params(type_step=0.0005)  # finer than the grid's size limit
