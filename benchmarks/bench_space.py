"""Benchmark: the factored concession space (issue 13) against the enumerated one.

For spaces of n issues with 5 levels each (plus "left open"), prints the time and peak
traced memory of the Pareto frontier, Nash point and one offer search, factored (merged
issue by issue, ``sim/factored.py``) and enumerated (``OutcomeSpace`` + ``sim/analysis.py``),
their ratio where both run, and whether they agree.  Enumeration stops at ``--max-enumerated``
issues (memory grows with the product of the levels).

Then the whole command on 12 issues of 5 levels (244,140,625 outcomes,
``benchmarks/configs/space_12x5.toml``; issue 13's target: under 2 s and 500 MB), wall time
and peak RSS of the process by ``/usr/bin/time -v``, against the same command on the
two-issue theory space (121 outcomes: what starting the process and loading a config cost)
measured in the same run, each the median of ``--repeats`` interleaved runs:

    .venv/bin/python benchmarks/bench_space.py [--issues 5 7 8 12 15] [--max-enumerated 8]
        [--repeats 3]

``--exact`` also values all 244,140,625 outcomes of the 12-issue space one by one with the
model's arithmetic (the command's small-space pass, in chunks; about 9 minutes here) and
checks the command's counts and frontier against them; ``--exact-v2`` does the same for the
core-v2 baseline on 12 issues (762,047,999 outcomes, ``benchmarks/configs/baseline_12.toml``;
values that are not sums, which the command counts with the coupled issues combined first;
about half an hour here).

Last, ``tradetalks run`` for 52 weeks on the same 12-issue space (on the rows its
frontier-seeking strategies can pick, sim/frontier_rows.py; issue 13's target: under 1 s)
against the run on the two-issue space, and a 7-issue cut of it run on both the enumerated
space and its frontier rows (the same offers, bit for bit).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tradetalks.agents.screening import best_for as enumerated_best_for
from tradetalks.sim import analysis as an
from tradetalks.sim import factored as fa
from tradetalks.sim.issues import Issue, OutcomeSpace

ROOT = Path(__file__).resolve().parent.parent
TWELVE = ROOT / "benchmarks" / "configs" / "space_12x5.toml"
BASELINE_12 = ROOT / "benchmarks" / "configs" / "baseline_12.toml"  # core v2, 762,047,999
BASELINE = ROOT / "configs" / "baseline.toml"
SMALL = ROOT / "configs" / "theory" / "nash_symmetric.toml"
TARGET_S, TARGET_MB = 2.0, 500.0  # issue 13: `tradetalks space` on 12 issues x 5 levels

LEVELS = 5
R = 0.3  # reservation value per issue's worth of utility (both sides)


def issues(n: int, rng: np.random.Generator) -> list[Issue]:
    """n issues of LEVELS levels; the US's values rise with the level, China's fall."""
    out = []
    for j in range(n):
        us = np.sort(rng.random(LEVELS))
        out.append(
            Issue(
                name=f"issue{j}",
                levels=tuple(f"l{k}" for k in range(LEVELS)),
                status_quo=0,
                concedes="china",
                negotiable=True,
                values={"us": us, "china": np.sort(rng.random(LEVELS))[::-1]},
                quantities={},
            )
        )
    return out


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak MB traced) of one call."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, dt, peak


Summary = tuple[np.ndarray, tuple[float, float], tuple[float, float]]


def factored(iss: list[Issue], w: np.ndarray) -> Summary:
    """Frontier utility pairs, the Nash point's and the offer's utilities, factored."""
    choices = tuple(np.array([-1, *range(LEVELS)]) for _ in iss)
    tables = tuple(
        tuple(
            w[j] * np.asarray(i.values[s])[np.where(c == -1, i.status_quo, c)]
            for j, (i, c) in enumerate(zip(iss, choices, strict=True))
        )
        for s in ("us", "china")
    )
    space = fa.FactoredSpace(tuple(i.name for i in iss), choices, tables, 1)
    front = space.frontier()
    k, x = fa.nash(front, (R, R)), int(fa.best_for(front, 0.5)[0])
    pairs = np.column_stack([front.u1, front.u2])
    return pairs, (front.u1[k], front.u2[k]), (front.u1[x], front.u2[x])


def enumerated(iss: list[Issue], w: np.ndarray) -> Summary:
    """The same from the enumerated space."""
    space = OutcomeSpace(iss, allow_interim=True)
    u1, u2 = space.utility("us", w), space.utility("china", w)
    every = np.ones(len(space), dtype=bool)
    front = an.pareto_frontier(u1, u2)
    k = an.nash_point(u1, u2, (R, R))
    x = int(enumerated_best_for(u1, u2, 0.5, every))
    pairs = np.column_stack([u1[front], u2[front]])
    return pairs, (u1[k], u2[k]), (u1[x], u2[x])


def same(a: Summary, b: Summary) -> bool:
    """Equal frontiers (as sets of utility pairs), Nash points and offers."""
    pa, pb = (np.unique(np.round(p, 9), axis=0) for p in (a[0], b[0]))
    return pa.shape == pb.shape and np.allclose(pa, pb) and np.allclose(a[1:], b[1:])


def timed_command(config: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one ``tradetalks ARGS CONFIG`` process (by default
    ``space CONFIG --json``)."""
    cli = Path(sys.executable).with_name("tradetalks")
    args = args or ("space", str(config), "--json")
    cmd = ["/usr/bin/time", "-v", str(cli), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", res.stderr)
    assert wall is not None, res.stderr
    h, m, sec = wall.groups()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    assert rss is not None, res.stderr
    return int(h or 0) * 3600 + int(m) * 60 + float(sec), int(rss.group(1)) / 1024


def interleaved(
    repeats: int,
    timed: Callable[[Path], tuple[float, float]],
    configs: tuple[Path, ...] = (TWELVE, SMALL),
) -> list[tuple[float, float]]:
    """Median (wall s, peak MB) of ``timed`` on each config (by default the 12-issue and the
    two-issue one), the processes interleaved against the machine's drift."""
    runs: dict[Path, list[tuple[float, float]]] = {config: [] for config in configs}
    for _ in range(repeats):
        for config in runs:
            runs[config].append(timed(config))
    return [
        (statistics.median(x[0] for x in r), statistics.median(x[1] for x in r))
        for r in runs.values()
    ]


def command_rows(repeats: int) -> None:
    """The command on 12 issues x 5 levels against the two-issue space, interleaved."""
    (t12, m12), (t2, m2) = interleaved(repeats, timed_command)
    print(f"\n.venv/bin/tradetalks space {TWELVE.relative_to(ROOT)}  (/usr/bin/time -v)")
    print(
        f"  12 issues x 5 levels: {t12:.2f} s, {m12:.0f} MB peak RSS (target < {TARGET_S} s, "
        f"< {TARGET_MB:.0f} MB): {'met' if t12 < TARGET_S and m12 < TARGET_MB else 'NOT met'}"
    )
    print(
        f"  2 issues (reference): {t2:.2f} s, {m2:.0f} MB; ratio {t12 / t2:.2f}x time, "
        f"{m12 / m2:.2f}x memory"
    )
    (tv, mv), (tb, mb) = interleaved(repeats, timed_command, (BASELINE_12, BASELINE))
    print(f"\n.venv/bin/tradetalks space {BASELINE_12.relative_to(ROOT)}  (/usr/bin/time -v)")
    print(
        f"  core v2, 12 issues (762,047,999 outcomes, searched issue by issue): {tv:.2f} s, "
        f"{mv:.0f} MB peak RSS; the baseline (97,999 outcomes, streamed; reference): "
        f"{tb:.2f} s, {mb:.0f} MB; ratio {tv / tb:.2f}x time, {mv / mb:.2f}x memory"
    )


RUN_TARGET_S = 1.0  # issue 13: a 52-week run on the 12-issue space under 1 s
RUN_ARGS = ("--set", "run.weeks=52")


def run_rows(repeats: int) -> None:
    """``tradetalks run`` for 52 weeks on 12 issues x 5 levels (on its frontier rows,
    sim/frontier_rows.py) against the same command on the enumerated two-issue space, each
    the median of ``repeats`` interleaved processes; then in one process the rows' build and
    the run's CPU, and a 7-issue cut of the space run on both (the oracle: same offers)."""
    (t12, m12), (t2, m2) = interleaved(
        repeats, lambda config: timed_command(config, "run", str(config), *RUN_ARGS)
    )
    print(f"\n.venv/bin/tradetalks run {TWELVE.relative_to(ROOT)} {' '.join(RUN_ARGS)}")
    print(
        f"  12 issues x 5 levels, 52 weeks: {t12:.2f} s wall, {m12:.0f} MB peak RSS "
        f"(target < {RUN_TARGET_S} s): {'met' if t12 < RUN_TARGET_S else 'NOT met'}"
    )
    print(f"  2 issues, enumerated (reference): {t2:.2f} s, {m2:.0f} MB; ratio {t12 / t2:.2f}x")
    in_process()


def in_process() -> None:
    """Build the 12-issue frontier rows and run 52 weeks on them (CPU); run a 7-issue cut of
    the space on the enumerated space and on its rows and compare every offer."""
    from tradetalks.sim.issues import FrontierRows
    from tradetalks.sim.model import TradeTalksModel
    from tradetalks.sim.scenario import resolve_config
    from tradetalks.sim.spaces import outcome_space

    cfg = resolve_config(TWELVE, {"run.weeks": 52})
    t0 = time.process_time()
    rows = outcome_space(cfg)
    t1 = time.process_time()
    model = TradeTalksModel(config=cfg, rng=1, space=rows, farmer_agents=False)
    model.run()
    t2 = time.process_time()
    deals = model.negotiation.deals
    print(
        f"  in one process: {len(rows):,} rows kept of {rows.full_size:,} in "
        f"{(t1 - t0) * 1e3:.1f} ms CPU; the 52-week run on them {(t2 - t1) * 1e3:.0f} ms CPU "
        f"(first deal in week {deals[0].week if deals else '-'})"
    )
    names = list(cfg.issues)[:7]
    over: dict[str, Any] = {"issues": {n: cfg.issues[n].model_dump() for n in names}}
    for side, team in cfg.teams.items():
        ((role, member),) = team.members.items()
        w = {n: member.weights.get(n, 0.0) for n in names}
        over[f"teams.{side}.members.{role}.weights"] = {
            n: v / sum(w.values()) for n, v in w.items()
        }
    cut = resolve_config(cfg, over)
    traces, cpu, sizes = [], [], []
    for space in (outcome_space(cut), FrontierRows(cut)):
        t0 = time.process_time()
        m = TradeTalksModel(config=cut, rng=1, space=space, farmer_agents=False)
        m.run()
        cpu.append(time.process_time() - t0)
        sizes.append(len(space))
        sp = m.space
        traces.append(
            [(r.week, r.proposer, sp.terms(r.outcome), r.utility) for r in m.negotiation.history]
        )
    print(
        f"  7 issues (78,125 outcomes): enumerated {cpu[0] * 1e3:.0f} ms CPU, frontier rows "
        f"({sizes[1]} kept) {cpu[1] * 1e3:.0f} ms; {len(traces[0])} offers, the same on both "
        f"(terms and utilities, bit for bit): {traces[0] == traces[1]}"
    )


def exact_check(config: Path = TWELVE) -> None:
    """A large space's counts and frontier, streamed outcome by outcome, against the command's
    own: the merged frontier and the counts met in the middle (``TWELVE``, additive), or core
    v2's search issue by issue (``BASELINE_12``: values that are not sums)."""
    from tradetalks.sim.config import load_config

    from tradetalks.commands import space as sp

    with sp.factored_size_limit():
        cfg = load_config(config)
    w0 = sp.week0(cfg, cfg.run.seed)
    fs, additive = sp.factored_space(w0)
    t0 = time.perf_counter()
    if additive:
        merged, counts = sp.factored_frontier(w0, fs), sp.counts(w0, fs)
    else:
        merged, *counts = sp.searched(w0, fs)
    t1 = time.perf_counter()
    streamed, feasible, rational = sp.streamed(w0, fs)
    same = all(
        np.array_equal(getattr(streamed, a), getattr(merged, a)) for a in ("position", "u1", "u2")
    )
    print(
        f"\n{config.name}: exact pass over {fs.size:,} outcomes ({time.perf_counter() - t1:.0f} s):"
        f" ratifiable {feasible:,}, individually rational {rational:,}; the command "
        f"({t1 - t0:.1f} s) {counts[0]:,}, {counts[1]:,}; frontier {len(streamed)} points, "
        f"the same as the command's: {same}"
    )


def main() -> None:
    """Print one row per space size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, nargs="+", default=[5, 7, 8, 12, 15])
    ap.add_argument("--max-enumerated", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--exact", action="store_true", help="stream the 12-issue space (minutes)")
    ap.add_argument(
        "--exact-v2", action="store_true", help="stream the 12-issue baseline (half an hour)"
    )
    args = ap.parse_args()
    print(
        f"{'issues':>6} {'outcomes':>10} {'frontier':>8} {'factored s':>10} {'MB':>6}"
        f" {'enumerated s':>12} {'MB':>7} {'ratio':>7} {'same':>5}"
    )
    for n in args.issues:
        rng = np.random.default_rng(n)
        iss = issues(n, rng)
        w = np.full(n, 1.0 / n)
        fact, t_f, m_f = measured(lambda: factored(iss, w))  # noqa: B023
        size = (LEVELS + 1) ** n - 1
        row = f"{n:>6} {size:>10.3g} {len(fact[0]):>8} {t_f:>10.4f} {m_f:>6.1f}"
        if n <= args.max_enumerated:
            enum, t_e, m_e = measured(lambda: enumerated(iss, w))  # noqa: B023
            row += f" {t_e:>12.4f} {m_e:>7.1f} {t_e / t_f:>7.1f} {same(fact, enum)!s:>5}"
        else:
            row += f" {'—':>12} {'—':>7} {'—':>7} {'—':>5}"
        print(row)
    command_rows(args.repeats)
    run_rows(args.repeats)
    if args.exact:
        exact_check()
    if args.exact_v2:
        exact_check(BASELINE_12)


if __name__ == "__main__":
    main()
