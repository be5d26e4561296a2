"""What-if comparisons over paired seeds, and one scenario's distribution over many seeds.

Both arms run the same seeds, so every random stream is the same in both (common random
numbers, sim/streams.py) and outcomes pair up by seed (seed s of arm X is ``tradetalks run X
--seed s``).  From run summaries, per arm and as paired differences B − A with 95% intervals:
P(first deal by a date) (exact per arm; paired bootstrap and exact McNemar for the
difference), time to the first deal as a Kaplan–Meier curve with no deal censored at the end
(``scipy.stats.ecdf``) and its restricted mean (RMST), terms by issue, final indicators.
Bootstrap intervals are BCa with a fixed seed: the same runs give the same numbers.  Runs go
through the sweep's worker, in a local process pool or in this process; a failed run's seed
drops out of the pairs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tradetalks.experiments import outcomes as oc
from tradetalks.experiments.backends import LocalBackend, default_workers
from tradetalks.experiments.compare_stats import (  # noqa: F401 - the statistics, re-exported
    LEVEL,
    _f,
    _p,
    _yes_no,
    km_curve,
    mcnemar,
    mean_stats,
    paired_effect,
    share_stats,
)
from tradetalks.experiments.paired import first_deal_weeks, logrank
from tradetalks.experiments.progress import Progress
from tradetalks.experiments.runner import auto_batch_size
from tradetalks.experiments.runtime import DEFAULT_MODEL, limit_blas
from tradetalks.experiments.seeds import SEED_BITS
from tradetalks.experiments.worker import Context, Run, Task, run_spaces, run_task
from tradetalks.sim.config import Config, dump_config
from tradetalks.sim.issues import OutcomeSpace
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.spaces import outcome_space

MAX_SEEDS = 100_000  # more runs than this per arm is a typo, not a study
LEFT_OPEN = "left open"  # an issue no deal covered by the end
SUMMARY_PATHS = ("deal", "deal_week", "deal_date", "full_deal", "weeks", "start_date")
LATER_PATHS = ("second_deal_week", "n_issues")  # the deals after the first (derived outcomes)
INDICATOR_GROUPS = ("final", "dollars")  # summary sections compared indicator by indicator
Run_ = dict[str, Any]  # a run summary (or the part of it this module reads)
Levels = Mapping[str, Sequence[str]]  # issue -> its level labels, least to most conceded


class InputError(ValueError):
    """Seeds, a date or a pair of configs that cannot be compared (exit 2 at the CLI)."""


# ---------------------------------------------------------------------------- input
def parse_seeds(text: str) -> list[int]:
    """``N`` (seeds 1..N) or a list of seeds and ranges: ``1-200``, ``3,7,9``, ``1-5,9``."""
    text = text.strip()
    if text.isdigit():
        n = int(text)
        if not 1 <= n <= MAX_SEEDS:
            raise InputError(f"--seeds {text}: give between 1 and {MAX_SEEDS:,} seeds")
        return list(range(1, n + 1))
    seeds: list[int] = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()) or (not dash and hi):
            raise InputError(f"--seeds expects N, a range A-B or a list A,B,C-D, not {text!r}")
        first, last = int(lo), int(hi) if dash else int(lo)
        if not first <= last < 2**SEED_BITS:
            raise InputError(f"--seeds {part.strip()}: not a range of seeds (0 to 2^63 - 1)")
        if len(seeds) + last - first + 1 > MAX_SEEDS:
            raise InputError(f"--seeds {text}: more than {MAX_SEEDS:,} seeds")
        seeds.extend(range(first, last + 1))
    if len(set(seeds)) != len(seeds):
        raise InputError(f"--seeds {text}: a seed is listed twice")
    return seeds


@dataclass(frozen=True)
class Horizon:
    """A date of the run and the week it falls in: "a deal by DATE" is deal_week <= week."""

    date: dt.date
    week: int


def parse_by(cfg: Config, text: str | None) -> Horizon:
    """``--by DATE`` (YYYY-MM-DD) as a ``Horizon`` of ``cfg``'s run; None: its last day.

    The one place a date on the command line becomes a week (``Config.week_of``); a date
    outside the run is ``InputError``.
    """
    if text is None:
        return Horizon(cfg.end_date, cfg.run.weeks)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--by expects a date as YYYY-MM-DD, not {text!r}") from None
    start, end = cfg.run.start_date, cfg.end_date
    if not start <= day <= end:
        raise InputError(
            f"--by {day}: outside the run, which covers {start} to {end} ({cfg.run.weeks} "
            "weeks); choose a date in it, or change --weeks"
        )
    return Horizon(day, cfg.week_of(day))


# ---------------------------------------------------------------------------- running
@dataclass
class ArmRuns:
    """One arm's runs by seed: summaries (the paths kept) and errors of failed runs."""

    runs: dict[int, Run_] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def kept_paths(summary: Mapping[str, Any], issues: Sequence[str]) -> list[str]:
    """What a run keeps of its summary: deal and timing, terms and every indicator."""
    groups = [p for p in oc.known_paths(summary) if p.split(".")[0] in INDICATOR_GROUPS]
    return [*SUMMARY_PATHS, *LATER_PATHS, *(f"{oc.TERMS_PREFIX}{i}" for i in issues), *groups]


def _nest(values: Mapping[str, Any]) -> Run_:
    """Dotted paths and values back into a (partial) summary."""
    out: Run_ = {}
    for path, value in values.items():
        node = out
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def _probe(
    raw: dict[str, Any], cfg: Config, space: OutcomeSpace, seeds: list[int], arm: ArmRuns
) -> list[str] | None:
    """Run seeds here until one finishes; its summary says which paths to keep."""
    for seed in seeds:
        try:
            model = TradeTalksModel(
                raw, rng=seed, space=space, farmer_agents=False, collect_series=False
            )
            summary = model.run()
        except Exception as exc:  # recorded like a worker's failed run
            arm.failed[seed] = f"{type(exc).__name__}: {exc}"
            continue
        paths = kept_paths(summary, cfg.negotiable_issues())
        arm.runs[seed] = _nest({p: oc.extract(summary, p) for p in paths})
        return paths
    return None


def _tasks(seeds: Sequence[int], size: int) -> list[Task]:
    runs = [Run(i, 0, i, s, {}) for i, s in enumerate(seeds)]
    return [Task(b, tuple(runs[i : i + size])) for b, i in enumerate(range(0, len(runs), size))]


def _run_arm(cfg: Config, seeds: list[int], workers: int, tick: Callable[[int], None]) -> ArmRuns:
    arm = ArmRuns()
    raw, space = dump_config(cfg), outcome_space(cfg)  # the space: built once, shared
    paths = _probe(raw, cfg, space, seeds, arm)
    tick(len(arm.runs) + len(arm.failed))
    rest = seeds[len(arm.runs) + len(arm.failed) :]
    if paths is None or not rest:
        return arm
    ctx = Context(DEFAULT_MODEL, raw, {}, tuple(paths), ())
    run_spaces(ctx, space)  # this process's runs (one worker) use it too
    tasks = _tasks(rest, auto_batch_size(len(rest), workers))
    if workers == 1:
        results = (run_task(ctx, t) for t in tasks)
    else:
        results = LocalBackend(ctx, workers, space).map(tasks)
    for result in results:
        for row in result.rows:
            if row["status"] == "ok":
                arm.runs[row["seed"]] = _nest({p: row[oc.column_name(p)] for p in paths})
            else:
                arm.failed[row["seed"]] = row["error"]
        tick(len(result.rows))
    return arm


def run_arms(
    cfgs: Sequence[Config],
    seeds: list[int],
    workers: int | None = None,
    progress: bool | None = True,
) -> list[ArmRuns]:
    """Run every seed of every arm (``workers`` processes; 1: in this process).

    ``progress``: True shows a bar on a terminal and plain lines otherwise, None nothing.
    """
    limit_blas()
    n_workers = max(1, min(workers or default_workers(), len(seeds)))
    bar = None if progress is None else Progress(len(cfgs) * len(seeds), desc="runs")
    try:
        return [_run_arm(c, seeds, n_workers, bar.update if bar else lambda _: None) for c in cfgs]
    finally:
        if bar is not None:
            bar.close()


# ---------------------------------------------------------------------------- analysis
def horizon_of(runs: Sequence[Run_], by: Horizon | None) -> tuple[dt.date, int, Horizon]:
    """The start date and weeks every run shares, and ``by`` (None: the runs' last day)."""
    found = {(r["start_date"], r["weeks"]) for r in runs}
    if len(found) != 1:
        raise InputError(f"the runs do not share one start date and horizon: {sorted(found)}")
    ((first, weeks),) = found
    start = dt.date.fromisoformat(first)
    return start, weeks, by or Horizon(start + dt.timedelta(weeks=weeks, days=-1), weeks)


def indicators(runs: Sequence[Run_]) -> dict[str, np.ndarray]:
    """Every numeric indicator all runs report (``final.*``, ``dollars.*``), by path."""
    out: dict[str, np.ndarray] = {}
    first = runs[0] if runs else {}
    for group in INDICATOR_GROUPS:
        for name in first.get(group) or {}:
            vals = [(r.get(group) or {}).get(name) for r in runs]
            if all(isinstance(v, bool | int | float) for v in vals):
                out[f"{group}.{name}"] = np.array(vals, float)
    return out


def terms_shares(runs: Sequence[Run_], levels: Levels) -> dict[str, Any]:
    """Per issue, the share of runs with a deal that ended at each level (or left it open)."""
    deals = [r for r in runs if r["deal"]]
    out: dict[str, Any] = {}
    for issue, names in levels.items():
        got = [(r.get("terms") or {}).get(issue) or LEFT_OPEN for r in deals]
        labels = [*names, LEFT_OPEN, *sorted(set(got) - {*names, LEFT_OPEN})]
        out[issue] = {lab: share_stats(np.array([g == lab for g in got], bool)) for lab in labels}
    return out


def _later(runs: Sequence[Run_]) -> tuple[np.ndarray, np.ndarray]:
    """Second-deal weeks (inf without one) and the issues settled by the end, per run."""
    weeks = first_deal_weeks([r["second_deal_week"] for r in runs])
    return weeks, np.array([r["n_issues"] for r in runs], float)


def later_deals(runs: Sequence[Run_], weeks: int) -> dict[str, Any]:
    """The deals after the first: a second deal by the end, its RMST counted from the start
    (no second deal scores the horizon), and the issues settled by the end."""
    t2, settled = _later(runs)
    return {
        "second_deal_by_end": share_stats(np.isfinite(t2)),
        "rmst_second_weeks": mean_stats(np.minimum(t2, weeks)),
        "issues_settled": mean_stats(settled),
    }


def _later_difference(ra: Sequence[Run_], rb: Sequence[Run_], weeks: int) -> dict[str, Any]:
    """Paired B − A on the deals after the first, with the log-rank test of their timing."""
    (ta, na), (tb, nb) = _later(ra), _later(rb)
    chi2, p = logrank(ta, tb)
    return {
        "second_deal_by_end": _yes_no(np.isfinite(ta), np.isfinite(tb)),
        "rmst_second_weeks": paired_effect(np.minimum(ta, weeks), np.minimum(tb, weeks)),
        "logrank_second": {"chi2": _f(chi2), "p": _p(p)},
        "issues_settled": paired_effect(na, nb),
    }


def analyse_arm(runs: Sequence[Run_], by: Horizon | None, levels: Levels) -> dict[str, Any]:
    """One arm's distribution over its runs: deal by a date, time to deal, terms, indicators."""
    start, weeks, by = horizon_of(runs, by)
    t = first_deal_weeks([r["deal_week"] for r in runs])
    return {
        "n": len(runs),
        "deal_by": share_stats(t <= by.week),
        "deal_by_end": share_stats(np.isfinite(t)),
        "rmst_weeks": mean_stats(np.minimum(t, weeks)),
        "time_to_deal": km_curve(t, weeks, start),
        **later_deals(runs, weeks),
        "terms": terms_shares(runs, levels),
        "indicators": {k: mean_stats(v) for k, v in indicators(runs).items()},
    }


def describe(arm: ArmRuns, by: Horizon | None, levels: Levels) -> dict[str, Any]:
    """The distribution of one scenario over seeds (``tradetalks run --seeds``)."""
    seeds = sorted(arm.runs)
    runs = [arm.runs[s] for s in seeds]
    if not runs:
        raise InputError("every run failed; first error: " + next(iter(arm.failed.values()), "?"))
    return {**_frame(runs, by, seeds, _failed(arm)), **analyse_arm(runs, by, levels)}


def _failed(arm: ArmRuns) -> dict[str, str]:
    return {str(s): e for s, e in sorted(arm.failed.items())}


def _frame(runs: Sequence[Run_], by: Horizon | None, seeds: list[int], failed: Any) -> Run_:
    start, weeks, h = horizon_of(runs, by)
    return {
        "start_date": start.isoformat(),
        "weeks": weeks,
        "end_date": (start + dt.timedelta(weeks=weeks, days=-1)).isoformat(),
        "by": {"date": h.date.isoformat(), "week": h.week},
        "seeds": seeds,
        "failed": failed,
    }


def compare_arms(a: ArmRuns, b: ArmRuns, by: Horizon | None, levels: Levels) -> dict[str, Any]:
    """Both arms on the seeds that finished in both, and the paired differences B − A."""
    seeds = sorted(set(a.runs) & set(b.runs))
    if not seeds:
        errors = [*a.failed.values(), *b.failed.values()]
        raise InputError("no seed finished in both arms; first error: " + (errors or ["?"])[0])
    ra, rb = [a.runs[s] for s in seeds], [b.runs[s] for s in seeds]
    _, weeks, h = horizon_of([*ra, *rb], by)  # the arms share start date and horizon
    ta = first_deal_weeks([r["deal_week"] for r in ra])
    tb = first_deal_weeks([r["deal_week"] for r in rb])
    ia, ib = indicators(ra), indicators(rb)
    chi2, p = logrank(ta, tb)
    diff = {
        "deal_by": _yes_no(ta <= h.week, tb <= h.week),
        "deal_by_end": _yes_no(np.isfinite(ta), np.isfinite(tb)),
        "rmst_weeks": paired_effect(np.minimum(ta, weeks), np.minimum(tb, weeks)),
        "logrank": {"chi2": _f(chi2), "p": _p(p)},
        **_later_difference(ra, rb, weeks),
        "indicators": {k: paired_effect(ia[k], ib[k]) for k in ia if k in ib},
    }
    return {
        **_frame(ra, by, seeds, {"a": _failed(a), "b": _failed(b)}),
        "n_pairs": len(seeds),
        "a": analyse_arm(ra, h, levels),
        "b": analyse_arm(rb, h, levels),
        "difference": diff,
    }
