"""Mutation testing of the mechanism modules (run by hand, not in CI).

    .venv/bin/pip install -e '.[mutation]'         # mutmut 3
    .venv/bin/python benchmarks/mutation.py        # mutmut over the core modules, then a score
    .venv/bin/python benchmarks/mutation.py --hand # the hand-made mechanism mutants of issue 9

Options: ``--modules sim/protocol.py ...`` (repository paths; default ``DEFAULT_MODULES``, the
mechanism modules), ``--tests tests/test_x.py ...`` (default ``DEFAULT_TESTS``), ``--preset
core_v2`` (core v2's decision modules with their unit tests; ``core_v2_values``: the makers
agent and the projector's value terms; ``core_v2_projector``: the projector;
``core_v2_paths``: its paths; ``factored``, ``factored_v2``, ``factored_rounds``: the
factored space; ``lazy_space``: the space never enumerated; ``factored_count``: its counts),
``--max-children N`` (parallel mutants; default the CPU count), ``--workdir DIR``
(default /tmp/tradetalks-mutation, rebuilt on each run), ``--report-only`` (score an
existing workspace again).  The score is killed / all mutants per module, a timeout counting
as killed and a mutant no selected test reaches as not killed; the survivors are listed
with their diffs.  On 2 cores the default run takes about 20-25 minutes.

mutmut 3 names a mutant's module after its file path and runs the tests inside a copied
``mutants/`` tree, while this repository maps its folders into one package
(``sim/protocol.py`` is imported as ``tradetalks.sim.protocol``).  So the script first copies
a snapshot of the working tree into a workspace with a true src layout::

    WORK/src/tradetalks/{__init__.py, cli.py, ..., sim/, agents/, experiments/, configs/}
    WORK/tests/      (the test-suite; its conftest gains a guard, below)
    WORK/configs/, docs/, benchmarks/  (what the tests read at ROOT: configs, doc tables, scripts)
    WORK/pyproject.toml  ([tool.mutmut] and [tool.pytest.ini_options])

and runs ``mutmut run`` there; mutmut puts ``mutants/src`` first on ``sys.path``, so the tests
import the mutated copy, not the editable install of the repository (its import hook is
consulted only after ``sys.path``).  The copied ``conftest.py`` asserts this at the start of
every pytest session: ``tradetalks.sim.protocol.__file__`` must lie inside the workspace.
mutmut's own forced-failure run (every mutant switched on at once must fail the tests)
checks it again.

Hypothesis runs with a fixed seed (``--hypothesis-seed=0``) so the score is reproducible.
Tests that start subprocesses or clusters, lint the repository or drive a browser are not
selected: they import the installed package, not the mutated copy, and test no mechanism.

``--hand`` applies each hand-made mechanism mutant (``HAND_MUTANTS``: switching off the
proposer's and responder's reservation checks, the win-set re-check at signing, audience
costs, pressure channels, patience, goodwill, deal relief, the manipulator label, the Fed and
PBoC rules) to a fresh copy, one at a time, runs the selected tests on it and reports which
tests fail.  A mutant whose text is no longer found in the snapshot is reported as such
(the code moved); it is not counted as survived.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# repository folder -> package directory under src/ (pyproject.toml's package-dir)
PACKAGE_DIRS = {
    "tradetalks": "tradetalks",
    "sim": "tradetalks/sim",
    "agents": "tradetalks/agents",
    "experiments": "tradetalks/experiments",
    "configs": "tradetalks/configs",
}
# the shipped configs, the docs whose tables tests check, the benchmark configs and scripts
DATA_DIRS = ("configs", "docs", "benchmarks")
DEFAULT_MODULES = (
    "sim/protocol.py",
    "sim/payoffs.py",
    "sim/world.py",
    "agents/central_banks.py",
    "agents/farm_population.py",
)
# core v2's decision modules (issue 11) with the unit tests that reach them, fast enough for a
# run of about 15 minutes on 2 cores: ``--preset core_v2`` (benchmarks/results/mutation_core_v2.md)
PRESETS = {
    "core_v2": (
        ("agents/screening.py", "sim/chapters.py", "sim/meetings.py", "sim/maker_rule.py"),
        (
            "tests/test_screening.py",
            "tests/test_chapters.py",
            "tests/test_meetings.py",
            "tests/test_makers.py",
            "tests/test_tariff_desk.py",
            "tests/test_mechanism_guards.py",
            "tests/test_theory.py",
            "tests/test_strategies.py",
            "tests/test_readonly_view.py",
        ),
    ),
    # the makers agent and the projector's value terms (about 10 minutes)
    "core_v2_values": (
        ("agents/makers.py", "sim/projector_value.py"),
        (
            "tests/test_makers.py",
            "tests/test_maker_agent.py",
            "tests/test_tariff_desk.py",
            "tests/test_hostage.py",
            "tests/test_dispute_anticipation.py",
            "tests/test_projector.py",
            "tests/test_projector_value.py",
            "tests/test_mechanism_guards.py",
            "tests/test_implementation.py",
            "tests/test_monitoring.py",
        ),
    ),
    # core v2's values on the factored space (issue 13)
    "factored_v2": (
        ("sim/factored_v2.py",),
        ("tests/test_factored_v2.py", "tests/test_space_command.py"),
    ),
    # the factored space's merge: pruning, folds, counts and indices (issue 13)
    "factored": (
        ("sim/factored.py",),
        (
            "tests/test_factored.py",
            "tests/test_factored_v2.py",
            "tests/test_space_command.py",
            "tests/test_frontier_rows.py",
        ),
    ),
    # core-v2 rounds on the factored path (issue 13; its fast identity test)
    "factored_rounds": (("sim/factored_rounds.py",), ("tests/test_factored_rounds.py",)),
    # a space never enumerated (issue 13) against the enumerated oracle
    "lazy_space": (("sim/lazy_space.py",), ("tests/test_lazy_space.py",)),
    # counts without enumerating: met in the middle, core v2's coupled issues combined
    "factored_count": (
        ("sim/factored_count.py",),
        ("tests/test_factored.py", "tests/test_space_command.py"),
    ),
    # the projector: walk-away and deal values on one scale (about 6 minutes)
    "core_v2_projector": (
        ("sim/projector.py",),
        (
            "tests/test_projector.py",
            "tests/test_projector_value.py",
            "tests/test_projector_loops.py",
            "tests/test_hostage.py",
            "tests/test_dispute_anticipation.py",
            "tests/test_mechanism_guards.py",
            "tests/test_stimulus.py",
            "tests/test_round_views.py",
            "tests/test_cpu_second_round.py",
        ),
    ),
    # the projector's paths: events, markets, uncertainty, growth, the farm chain (about 7 min)
    "core_v2_paths": (
        ("sim/projector_paths.py",),
        (
            "tests/test_projector_paths.py",
            "tests/test_projector.py",
            "tests/test_projector_value.py",
            "tests/test_projector_loops.py",
            "tests/test_hostage.py",
            "tests/test_dispute_anticipation.py",
            "tests/test_stimulus.py",
            "tests/test_implementation.py",
            "tests/test_cpu_second_round.py",
            "tests/test_mechanism_guards.py",
        ),
    ),
}
# the mechanism tests; left out: the sweep runner, CLI, install, viz, browser and style tests
# (subprocesses, clusters, ruff) — they test no mechanism and import the installed package
DEFAULT_TESTS = (
    "tests/test_mechanisms.py",
    "tests/test_mechanism_guards.py",
    "tests/test_theory.py",
    "tests/test_properties.py",
    "tests/test_strategies.py",
    "tests/test_analysis.py",
    "tests/test_config_issues.py",
    # core v2 (issue 11)
    "tests/test_projector.py",
    "tests/test_screening.py",
    "tests/test_makers.py",
    "tests/test_chapters.py",
    "tests/test_streams.py",
    "tests/test_meetings.py",
    "tests/test_core_v2.py",
    "tests/test_tariff_desk.py",
    # issue 12
    "tests/test_implementation.py",
    "tests/test_monitoring.py",
    "tests/test_stimulus.py",
    "tests/test_dispute_anticipation.py",
    "tests/test_fed.py",
    "tests/test_round_views.py",
)
PYTEST_ARGS = ("-p", "no:cacheprovider", "-m", "not slow and not browser", "--hypothesis-seed=0")
# Lines that are pure presentation: an error message's wording changes no behaviour.
# Each pattern matches one line of the mutated modules (re.search on the source line).
DO_NOT_MUTATE_PATTERNS = (
    r'raise ProtocolError\(f"',  # the message of a protocol violation (the raise itself stays)
)
# the US Treasury review and the PBoC's step draw from the model's generator: a mutant
# that loops forever is stopped by mutmut's CPU-time limit (reported as a timeout = killed)
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
GUARD = """

# ---- added by benchmarks/mutation.py
# Hypothesis: no shrinking (it only makes a failure readable, and can take a minute per
# killed mutant) and no example database (a failure found on one mutant is not replayed on
# the next); seeds stay fixed by --hypothesis-seed.
from hypothesis import Phase as _Phase
from hypothesis import settings as _settings

_settings.register_profile(
    "mutation", phases=[_Phase.explicit, _Phase.reuse, _Phase.generate], database=None
)
_settings.load_profile("mutation")


# the tests must import the workspace copy
def pytest_sessionstart(session):
    import tradetalks.sim.protocol as _protocol

    _here = Path(__file__).resolve().parent.parent
    _file = Path(_protocol.__file__).resolve()
    assert _file.is_relative_to(_here), f"tests import {_file}, not the copy under {_here}"
"""


@dataclass(frozen=True)
class HandMutant:
    """A hand-made mutant of ``path``: the first (regex, replacement) pair of ``edits`` that
    matches exactly once is applied (several spellings survive refactoring of the code)."""

    key: str
    mechanism: str
    path: str  # repository-relative
    edits: tuple[tuple[str, str], ...]

    def apply(self, source: str) -> str | None:
        """The mutated source, or None if no pattern matches exactly once."""
        for pattern, replacement in self.edits:
            if len(re.findall(pattern, source)) == 1:
                return re.sub(pattern, replacement, source)
        return None


def _lit(old: str, new: str) -> tuple[str, str]:
    """A literal edit."""
    return re.escape(old), new.replace("\\", "\\\\")


HAND_MUTANTS = (
    HandMutant(
        "proposer_ir",
        "the proposer never binds itself below its reservation value",
        "sim/protocol.py",
        (
            _lit(
                "own_ok = bool(self._utility_at(proposer)[pos] "
                ">= self.teams[proposer].reservation)",
                "own_ok = True",
            ),
        ),
    ),
    HandMutant(
        "responder_ir",
        "the responder's floor is max(aspiration, reservation)",
        "sim/protocol.py",
        (
            (
                r"floor = max\((team\.strategy_for\([^()]*\)\.aspiration\(view\)), "
                r"team\.reservation\)",
                r"floor = \1",
            ),
            _lit("if value < team.reservation:", "if False:"),
        ),
    ),
    HandMutant(
        "signing_winset",
        "a settled text is signed only if still inside both win-sets",
        "sim/protocol.py",
        (
            _lit("if signed and both_ws[text]:", "if signed:"),
            (
                r"if (self\._acceptable\(text, SIDES, [a-z_]+\)) and self\._ratifiable\(text\):",
                r"if \1:",
            ),
            _lit(
                "and self._acceptable(text, SIDES, moment)\n"
                "                and self._ratifiable(text)",
                "and self._acceptable(text, SIDES, moment)",
            ),
        ),
    ),
    HandMutant(
        "audience_cost_support",
        "backing down costs support at home (ratifier base shift)",
        "sim/payoffs.py",
        (_lit("return b + self.base_shift", "return b"),),
    ),
    HandMutant(
        "audience_cost_decision",
        "the audience cost weighs against postponing a tariff action (legacy rule)",
        "sim/tariffs.py",
        (_lit("- g.audience_cost_weight * action.audience_cost", "- 0.0"),),
    ),
    HandMutant(
        "farm_distress_pressure",
        "farm distress reaches the US pressures",
        "sim/world.py",
        (_lit('"farm_distress": st.farm_distress,', '"farm_distress": 0.0,'),),
    ),
    HandMutant(
        "export_loss_pressure",
        "China's export loss reaches its pressures",
        "sim/world.py",
        (
            _lit(
                '"export_loss": 1 - st.us_imports_bn / t.us_imports_base_bn,',
                '"export_loss": 0.0,',
            ),
        ),
    ),
    HandMutant(
        "patience",
        "strategies discount their ceiling by patience^t",
        "agents/strategies.py",
        (_lit("return top * view.patience**view.time", "return top"),),
    ),
    HandMutant(
        "goodwill",
        "goodwill received reaches the receiver's view (and lowers its aspiration)",
        "sim/protocol.py",
        (_lit("goodwill=self.goodwill[side],", "goodwill=0.0,"),),
    ),
    HandMutant(
        "deal_relief",
        "a deal relieves trade uncertainty",
        "sim/world.py",
        (_lit("st.trade_uncertainty *= 1 - self.cfg.uncertainty.deal_relief", "pass"),),
    ),
    HandMutant(
        "label_lift_treasury",
        "the Treasury lifts the manipulator label after weeks below the line",
        "agents/central_banks.py",
        (
            (
                r"(if self\.draws\.take\(self\.model\.steps\)\[1\] "
                r"< self\.lift_probability\(\):\n\s+)"
                r"st\.manipulator = False",
                r"\1pass",
            ),
        ),
    ),
    HandMutant(
        "label_lift_deal",
        "a deal with the currency pledge lifts the manipulator label",
        "sim/world.py",
        (
            (
                r"(if quantities\.get\(\"lift_label\", 0\.0\) >= 1\.0:\n\s+)"
                r"st\.manipulator = False",
                r"\1pass",
            ),
        ),
    ),
    HandMutant(
        "fed_growth_rule",
        "the Fed's rule answers the growth gap (Taylor 1993)",
        "agents/central_banks.py",
        (_lit("+ c.growth_response * (st.us_growth - self.growth.us_potential)", "+ 0.0"),),
    ),
    # ---- core v2 (issue 11)
    HandMutant(
        "v2_electoral_lump",
        "farm approval reaches the US value as a lump on election days",
        "sim/projector.py",
        (
            _lit(
                "lump[:, k] += fp.electoral_weight * "
                '(sim["approval"][:, k] - fp.approval_reference)',
                "pass",
            ),
        ),
    ),
    HandMutant(
        "v2_rollback_cost",
        "rolling back tariffs in force costs the imposing side (irreversibility)",
        "sim/projector.py",
        (
            _lit(
                'cost = self.irr.rollback_cost_per_pp * sim[f"rollback_{side}"][rows]',
                'cost = 0.0 * sim[f"rollback_{side}"][rows]',
            ),
        ),
    ),
    HandMutant(
        "v2_hostage",
        "retained tariffs raise the expected fulfilment of US gains (hostage value)",
        "sim/projector_value.py",
        (
            _lit(
                "return np.clip(self.phi0 + self.phi1 * share, 0.0, 1.0)",
                "return 1.0 + 0.0 * share",
            ),
        ),
    ),
    HandMutant(
        "v2_hostage_cancelled",
        "a scheduled US hike a deal cancels is hostage leverage given up, as a rolled-back one is",
        "sim/projector_value.py",
        (
            _lit(
                'return terms.rolled_back_pp["us"] + max(0.0, st["us_threat_pp"] - '
                'terms.tariffs["us_threat_pp"])',
                'return terms.rolled_back_pp["us"]',
            ),
        ),
    ),
    HandMutant(
        "v2_hostage_scale",
        "hostage.max_pp fixes φ̂'s scale, so a newly scheduled hike leaves the leverage in force",
        "sim/projector_value.py",
        (_lit("max_pp = h.max_pp if h.max_pp is not None else retained", "max_pp = retained"),),
    ),
    HandMutant(
        "v2_rejection_learning",
        "a rejected offer tells the proposer the other side's type is above its gain",
        "agents/screening.py",
        (
            _lit(
                "offers.append((r.week, r.outcome, False))  # rejected: the type is above g_o(x)",
                "pass  # rejected: the type is above g_o(x)",
            ),
        ),
    ),
    HandMutant(
        "v2_offer_learning",
        "an opponent's offer caps its type at its own gain",
        "agents/screening.py",
        (_lit("offers.append((r.week, r.outcome, True))", "pass"),),
    ),
    HandMutant(
        "v2_observed_aid",
        "China's model of the US's values can hold its own aid scale (the signalling switch)",
        "sim/projector.py",
        (
            _lit(
                'return Projector(cfg.model_copy(update={"farm_politics": seen}), space)',
                "return None",
            ),
        ),
    ),
    HandMutant(
        "v2_joint_issues",
        "purchases and tariffs valued jointly (their interaction's paths)",
        "sim/projector.py",
        (_lit("value += space.pairwise(j, k, table)", "pass"),),
    ),
    HandMutant(
        "v2_monitoring_unravel",
        "a remedial tariff that fires unravels the agreement",
        "sim/monitoring.py",
        (_lit("self.unravel(week)", "pass"),),
    ),
    HandMutant(
        "v2_monitoring_line",
        "a dispute only below the line",
        "sim/monitoring.py",
        (_lit("if share >= self.cfg.dispute_below:", "if share >= self.cfg.dispute_below + 1.0:"),),
    ),
    HandMutant(
        "v2_remedial_weight",
        "the US maker weighs the shortfall",
        "agents/makers.py",
        (_lit("margin = margin + self.cfg.remedial_weight * shortfall", "margin = margin"),),
    ),
    HandMutant(
        "v2_targeting",
        "a maker's target decides whether its action carries a soybean tariff",
        "agents/makers.py",
        (_lit('return "other", 0.0', 'return "other", pick_float(soy, u)'),),
    ),
    HandMutant(
        "v2_audience_cost_maker",
        "the audience cost weighs against a maker backing down",
        "sim/maker_rule.py",
        (_lit("+ audience_cost(cfg, size_pp, inp.age_weeks)", "+ 0.0"),),
    ),
    HandMutant(
        "v2_readiness",
        "principals sign only ready chapters",
        "sim/chapters.py",
        (_lit("blocked = ~self.ready(date)", "blocked = ~self.on_agenda(date)"),),
    ),
    HandMutant(
        "v2_private_threshold",
        "the other side sees the leadership's public prior threshold, not the true one",
        "sim/payoffs.py",
        (
            _lit(
                "return self.cfg.threshold if believed else self.threshold",
                "return self.threshold",
            ),
        ),
    ),
    HandMutant(
        "v2_no_hindsight",
        "a calendar entry is invisible before its announcement",
        "sim/snapshot.py",
        (
            _lit(
                "return announced is None or cfg.week_of(announced) <= max(week, 1)",
                "return True",
            ),
        ),
    ),
    HandMutant(
        "v2_fixed_draws",
        "each week draws a fixed block from its stream (skipped weeks too)",
        "sim/streams.py",
        (
            (
                r"while self\._week < week:\n(\s+)self\._block = self\.rng\.random\(self\.n\)\n"
                r"\s+self\._week \+= 1",
                r"if self._week < week:\n\1self._block = self.rng.random(self.n)"
                r"\n\1self._week = week",
            ),
        ),
    ),
    HandMutant(
        "v2_meetings_both",
        "a principal round needs both sides' request (or one side's, twice)",
        "sim/meetings.py",
        (_lit("if (both or twice) and", "if twice and"),),
    ),
    HandMutant(
        "v2_next_gap",
        "the look-ahead Δ is the weeks to the next public principal round",
        "sim/snapshot.py",
        (_lit("return min(ahead) if ahead else None", "return None"),),
    ),
    HandMutant(
        "v2_congress_pressure",
        "Congress weighs on executive agreements through a signing lump",
        "sim/chapters.py",
        (
            _lit(
                "out += rat.cfg.pressure_weight * rat.deficit(indicators) * executive",
                "pass",
            ),
        ),
    ),
    HandMutant(
        "pboc_rrr_rule",
        "the PBoC cuts the reserve ratio when growth falls short",
        "agents/central_banks.py",
        ((r"(\n\s+)st\.rrr -= c\.rrr_cut", r"\1pass"),),
    ),
    HandMutant(
        "stimulus_per_path",
        "the PBoC's reserve rule runs on every projected path (stimulus: China's cost of delay)",
        "sim/projector_paths.py",
        (_lit("if v is not None and v.rrr_per_path:", "if False:"),),
    ),
    HandMutant(
        "disputes_anticipated",
        "valuations net the expected cost of a dispute that unravels the deal",
        "sim/projector_value.py",
        (
            _lit(
                "if not (val and val.anticipate_disputes and imp and imp.dispute_below"
                " is not None):",
                "if True:",
            ),
        ),
    ),
    HandMutant(
        "relations_in_purchases",
        "state buyers deliver more when relations (the talks signal) are good",
        "sim/dynamics.py",
        (_lit("rate = rate + imp.relations_weight * talks", "rate = rate + 0.0"),),
    ),
    HandMutant(
        "fed_shadow_rate",
        "the Fed's inertia acts on the latent (unrounded) rate",
        "agents/central_banks.py",
        (_lit("            if c.shadow_rate:\n", "            if False:\n"),),
    ),
    HandMutant(
        "aid_follows_retaliation",
        "aid compensates the retaliation: a tranche pays the share of it still standing",
        "sim/dynamics.py",
        (
            _lit(
                "    if retaliation_pp is None:\n        return np.ones_like",
                "    if True:\n        return np.ones_like",
            ),
        ),
    ),
    HandMutant(
        "aid_per_path",
        "the projector withholds the aid on paths where a deal lifts the retaliation",
        "sim/projector_paths.py",
        (_lit("    if ref is not None and soy_tau is not None:", "    if False:"),),
    ),
    HandMutant(
        "round_outcomes_only",
        "rounds value only the outcomes they can touch, bit for bit the whole space's values",
        "sim/protocol.py",
        (_lit("            return at(self._rows, self._index)", "            return None"),),
    ),
    HandMutant(
        "lazy_modules",
        "the modules a run does not use (Mesa's spaces, pandas) wait for their first use",
        "tradetalks/mesa_startup.py",
        (_lit("        if fullname in LAZY and not os.environ.get(EAGER):", "        if False:"),),
    ),
    HandMutant(
        "lazy_module_lock",
        "a lazy module stays lazy while it executes, so other threads wait until it is whole",
        "tradetalks/mesa_startup.py",
        (
            _lit(
                '                try:\n                    state["loader"].exec_module(self)',
                '                object.__setattr__(self, "__class__", types.ModuleType)\n'
                '                try:\n                    state["loader"].exec_module(self)',
            ),
        ),
    ),
    HandMutant(
        "frontier_margin",
        "a frontier prefix is dropped only when another beats it on both utilities by the margin",
        "sim/frontier_rows.py",
        (
            _lit(
                "(best_b[np.maximum(reach - 1, 0)] >= b_s + margin)",
                "(best_b[np.maximum(reach - 1, 0)] >= b_s - margin)",
            ),
        ),
    ),
    HandMutant(
        "frontier_objectives",
        "the frontier rows hold each side's own utility against its model of the other",
        "sim/frontier_rows.py",
        (_lit('        (own["us"], model["china"]),\n', ""),),
    ),
    HandMutant(
        "frontier_teams_key",
        "a frontier space is keyed by the teams whose utilities its rows are the frontiers of",
        "sim/issues.py",
        (_lit('FRONTIER_INPUTS = ("teams",)', "FRONTIER_INPUTS = ()"),),
    ),
    HandMutant(
        "screening_pruning_level",
        "the screening offer's pruning keeps only outcomes that meet some threshold",
        "agents/screening.py",
        (
            _lit(
                "return (level > 0) & (own >= top[level] - TOLERANCE)",
                "return (level >= 0) & (own >= top[level] - TOLERANCE)",
            ),
        ),
    ),
    HandMutant(
        "screening_pruning_ties",
        "the screening offer's pruning keeps outcomes tied with the best within the tolerance",
        "agents/screening.py",
        (
            _lit(
                "return (level > 0) & (own >= top[level] - TOLERANCE)",
                "return (level > 0) & (own >= top[level])",
            ),
        ),
    ),
    HandMutant(
        "count_pressure",
        "a count of individually rational outcomes reads Congress's pressure on the US's value",
        "sim/factored_count.py",
        (_lit("            on = [f for f in folds if f.term == k]", "            on = []"),),
    ),
    HandMutant(
        "values_once",
        "a search's candidates are valued once: no valuation's cache keeps them alive",
        "sim/projector_value.py",
        (_lit('    if getattr(space, "once", False):\n        return\n', ""),),
    ),
    HandMutant(
        "frontier_interim",
        "a config with interim deals may not run on its frontier rows alone",
        "sim/config_schema.py",
        (_lit("    if cfg.protocol.allow_interim:\n", "    if False:\n"),),
    ),
)


# ---------------------------------------------------------------------------- workspace
def _ignore(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"__pycache__", ".pytest_cache", ".hypothesis"}}


def snapshot(work: Path, tests: list[str]) -> dict[str, str]:
    """Copy the working tree into ``work`` with a src layout; return what was copied."""
    if work.exists():
        shutil.rmtree(work)
    (work / "src").mkdir(parents=True)
    for folder, target in PACKAGE_DIRS.items():
        shutil.copytree(ROOT / folder, work / "src" / target, ignore=_ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=_ignore)
    for folder in DATA_DIRS:  # what the tests read beside the code
        shutil.copytree(ROOT / folder, work / folder, ignore=_ignore)
    conftest = work / "tests" / "conftest.py"
    text = conftest.read_text()
    if "from pathlib import Path" not in text:
        text = "from pathlib import Path\n" + text
    conftest.write_text(text + GUARD)
    head = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", *PACKAGE_DIRS, "tests")
    missing = [t for t in tests if not (work / t.split("::")[0]).exists()]
    if missing:
        raise SystemExit(f"test selection not found in the snapshot: {missing}")
    return {
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "head": head,
        "dirty": dirty or "(clean)",
    }


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip()


def src_path(repo_path: str) -> str:
    """``sim/protocol.py`` -> ``src/tradetalks/sim/protocol.py``."""
    folder, _, rest = repo_path.partition("/")
    return f"src/{PACKAGE_DIRS[folder]}/{rest}"


def _toml_list(items: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_toml_str(i) for i in items) + "]"


def _toml_str(s: str) -> str:
    return "'" + s + "'" if "'" not in s else '"' + s.replace("\\", "\\\\") + '"'


def write_pyproject(work: Path, modules: list[str], tests: list[str], mutmut: bool) -> None:
    """pytest settings as in the repository, plus mutmut's section."""
    original = (ROOT / "pyproject.toml").read_text()
    markers = re.search(r"markers = \[.*?\]", original, re.S)
    lines = [
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        'pythonpath = ["tests"]',
        'addopts = "-q"',
        markers.group(0) if markers else "",
    ]
    if mutmut:
        lines += [
            "",
            "[tool.mutmut]",
            'source_paths = ["src"]',
            f"only_mutate = {_toml_list([src_path(m) for m in modules])}",
            f"also_copy = {_toml_list(DATA_DIRS)}",
            f"pytest_add_cli_args = {_toml_list(PYTEST_ARGS)}",
            f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
            f"do_not_mutate_patterns = {_toml_list(DO_NOT_MUTATE_PATTERNS)}",
            "use_git_change_detection = false",
        ]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")


def _env(extra_path: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


# ---------------------------------------------------------------------------- mutmut
def run_mutmut(work: Path, max_children: int) -> None:
    """``mutmut run`` in the workspace (its output streams through)."""
    cmd = [str(VENV_BIN / "mutmut"), "run", "--max-children", str(max_children)]
    proc = subprocess.run(cmd, cwd=work, env=_env())
    if proc.returncode != 0:
        raise SystemExit(f"mutmut run failed (exit {proc.returncode})")


def mutant_statuses(work: Path) -> dict[str, str]:
    """Every mutant's status from ``mutmut results --all=true``."""
    proc = subprocess.run(
        [str(VENV_BIN / "mutmut"), "results", "--all=true"],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
    )
    out = {}
    for line in proc.stdout.splitlines():
        key, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in key:
            out[key] = status
    return out


def module_of(key: str) -> str:
    """The module of a mutant key (``tradetalks.sim.protocol.xǁNegotiationǁrun__mutmut_3``)."""
    name = key.partition("__mutmut_")[0]
    return name.rpartition(".")[0]


def mutant_diff(work: Path, key: str) -> str:
    """The diff of one mutant (``mutmut show``), without the header lines."""
    proc = subprocess.run(
        [str(VENV_BIN / "mutmut"), "show", key],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
    )
    keep = [
        ln
        for ln in proc.stdout.splitlines()
        if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))
    ]
    return " | ".join(ln.strip() for ln in keep)


def report(work: Path, statuses: dict[str, str], show_survivors: bool) -> float:
    """Print killed/total per module and overall, and the surviving mutants; return the score."""
    modules = sorted({module_of(k) for k in statuses})
    total_k = total_n = 0
    print(f"\n{'module':<36} {'killed':>7} {'total':>6} {'score':>7}")
    for mod in modules:
        keys = [k for k in statuses if module_of(k) == mod]
        killed = sum(statuses[k] in KILLED for k in keys)
        total_k, total_n = total_k + killed, total_n + len(keys)
        print(f"{mod:<36} {killed:>7} {len(keys):>6} {killed / len(keys):>7.1%}")
    score = total_k / total_n if total_n else 0.0
    print(f"{'all':<36} {total_k:>7} {total_n:>6} {score:>7.1%}")
    counts: dict[str, int] = {}
    for s in statuses.values():
        counts[s] = counts.get(s, 0) + 1
    print("statuses:", ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())))
    survivors = sorted(k for k, s in statuses.items() if s not in KILLED)
    if survivors and show_survivors:
        print(f"\n{len(survivors)} not killed:")
        for key in survivors:
            print(f"  [{statuses[key]}] {key}\n      {mutant_diff(work, key)}")
    return score


# ---------------------------------------------------------------------------- hand mutants
def run_hand(
    work: Path, tests: list[str], pytest_extra: list[str], keys: list[str] | None = None
) -> None:
    """Apply each hand mutant to a fresh copy of the snapshot and run the selected tests."""
    chosen = [m for m in HAND_MUTANTS if keys is None or any(m.key.startswith(k) for k in keys)]
    pristine = {}
    for m in chosen:
        pristine.setdefault(m.path, (work / src_path(m.path)).read_text())
    rows = []
    for m in chosen:
        target = work / src_path(m.path)
        source = pristine[m.path]
        mutated = m.apply(source)
        if mutated is None:
            rows.append((m, "code moved", [], 0.0))
            print(f"{m.key}: the text to mutate is not found exactly once in {m.path}")
            continue
        target.write_text(mutated)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-rf", "-q", *pytest_extra, *tests],
            cwd=work,
            env=_env(work / "src"),
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        target.write_text(source)
        failed = sorted(
            {
                ln.split()[1].split(" - ")[0]
                for ln in proc.stdout.splitlines()
                if ln.startswith("FAILED ")
            }
        )
        # exit 1: tests failed; 2: interrupted after a failure (-x with xdist)
        status = "killed" if failed else "survived" if proc.returncode == 0 else "error"
        if status == "error":
            print(proc.stdout[-3000:], proc.stderr[-3000:])
        rows.append((m, status, failed, elapsed))
        print(f"{m.key}: {status} ({len(failed)} failing tests, {elapsed:.0f} s)", flush=True)
    print("\nhand mutants")
    for m, status, failed, _ in rows:
        print(f"- {m.key} [{status}] {m.mechanism} ({m.path})")
        for test in failed:
            print(f"    {test}")
    killed = sum(status == "killed" for _, status, _, _ in rows)
    print(f"\n{killed}/{len(rows)} hand mutants killed")


# ---------------------------------------------------------------------------- main
def main() -> None:
    """Build the workspace, run mutmut (or the hand mutants) and print the score."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/tradetalks-mutation"))
    ap.add_argument("--modules", nargs="+", default=None, metavar="PATH")
    ap.add_argument("--tests", nargs="+", default=None, metavar="PATH")
    ap.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="a named set of modules and tests: " + ", ".join(PRESETS),
    )
    ap.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--hand", action="store_true", help="run the hand-made mechanism mutants")
    ap.add_argument(
        "--pytest-args", default="", help="extra pytest arguments for --hand (e.g. '-x -n 2')"
    )
    ap.add_argument("--quiet", action="store_true", help="do not list the surviving mutants")
    ap.add_argument(
        "--keys", nargs="+", default=None, help="with --hand: only the mutants whose key starts so"
    )
    ap.add_argument(
        "--report-only", action="store_true", help="score an existing workspace, do not run"
    )
    args = ap.parse_args()
    modules, tests = PRESETS[args.preset] if args.preset else (DEFAULT_MODULES, DEFAULT_TESTS)
    args.modules = list(args.modules or modules)  # an explicit list overrides the preset's
    args.tests = list(args.tests or tests)
    work = args.workdir.resolve()
    for m in args.modules:
        if not (ROOT / m).is_file():
            raise SystemExit(f"no module {m} in {ROOT}")
    t0 = time.perf_counter()
    if not args.report_only:
        snap = snapshot(work, args.tests)
        write_pyproject(work, args.modules, args.tests, mutmut=not args.hand)
        print(
            f"snapshot of {ROOT} at {snap['time']} (HEAD {snap['head']}; changes: {snap['dirty']})"
        )
        print(f"workspace {work}")
        if args.hand:
            run_hand(work, args.tests, args.pytest_args.split(), args.keys)
            print(f"run time {time.perf_counter() - t0:.0f} s")
            return
        run_mutmut(work, args.max_children)
    statuses = mutant_statuses(work)
    if not statuses:
        raise SystemExit("no mutant results found")
    score = report(work, statuses, show_survivors=not args.quiet)
    print(f"\nmutation score {score:.1%}; run time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
