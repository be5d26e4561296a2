"""``tradetalks compare``: a what-if over paired seeds, with effects and their intervals.

Also the many-seed half of ``tradetalks run --seeds``, which summarises one scenario's
distribution the same way.  The statistics live in ``tradetalks.experiments.compare``; this
module checks the input, runs, and renders a table, JSON, a PNG and the ``--out`` files.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app, fail, load_scenario
from tradetalks.outdir import OutputDir, OutputError

if TYPE_CHECKING:  # the schema loads when a command runs, not for --help
    from tradetalks.experiments.compare import ArmRuns
    from tradetalks.sim.config import Config

ARM_HELP = "Scenario TOML, or a shipped config by name (e.g. patient_china)"
SEEDS_HELP = "N (seeds 1..N) or a list of seeds and ranges: 1-200, 3,7,9"
BY_HELP = "Report P(first deal by DATE), YYYY-MM-DD within the run (default: its last day)"
WEEKS_HELP = "Weeks to simulate in both arms (default: run.weeks)"
KV = "KEY=VALUE"  # what --set, --set-a and --set-b take
WORKERS_HELP = "Processes (default: one per core; 1 runs in this process)"


# ---------------------------------------------------------------------------- commands
@app.command()
def compare(
    a: Annotated[Path | None, typer.Argument(help=f"Arm A: {ARM_HELP}; default: baseline")] = None,
    b: Annotated[Path | None, typer.Argument(help=f"Arm B: {ARM_HELP}; default: arm A")] = None,
    seeds: Annotated[str, typer.Option(help=SEEDS_HELP, metavar="SEEDS")] = "100",
    by: Annotated[str | None, typer.Option(help=BY_HELP, metavar="DATE")] = None,
    weeks: Annotated[int | None, typer.Option(help=WEEKS_HELP)] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override in both arms: key.path=value", metavar=KV),
    ] = None,
    set_a: Annotated[
        list[str] | None,
        typer.Option("--set-a", help="Override in arm A only (repeatable)", metavar=KV),
    ] = None,
    set_b: Annotated[
        list[str] | None,
        typer.Option("--set-b", help="Override in arm B only (repeatable)", metavar=KV),
    ] = None,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP, min=1)] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write compare.json, table.txt, time_to_deal.png, runs.csv")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Compare two arms on the same seeds: deal by a date, time to deal, terms, indicators.

    A and B are configs or shipped names; B defaults to A.

    Seed s of an arm is `tradetalks run ARM --seed s`.  Examples:

    tradetalks compare baseline patient_china --seeds 200 --by 2020-01-15

    tradetalks compare --set-b farm_politics.aid_scale=0 --out runs/no_aid
    """
    from tradetalks.experiments import compare as cmp

    seed_list = _seeds(seeds)
    both = list(set_ or [])
    cfg_a, _ = load_scenario(a, None, weeks, [*both, *(set_a or [])])
    cfg_b, _ = load_scenario(b or a, None, weeks, [*both, *(set_b or [])])
    for key in ("start_date", "weeks"):
        if getattr(cfg_a.run, key) != getattr(cfg_b.run, key):
            fail(
                f"the arms must share run.{key} to be paired (A: {getattr(cfg_a.run, key)}, "
                f"B: {getattr(cfg_b.run, key)}); set it with --set or --weeks"
            )
    horizon = _by(cfg_a, by)
    arms = {
        "a": _arm(a, [*both, *(set_a or [])]),
        "b": _arm(b or a, [*both, *(set_b or [])]),
    }

    def work() -> tuple[dict[str, Any], Callable[[], dict[str, bytes]]]:
        from tradetalks.sim.config import to_toml

        runs = cmp.run_arms([cfg_a, cfg_b], seed_list, workers)
        levels = {**_levels(cfg_b), **_levels(cfg_a)}
        result = {"arms": arms, **cmp.compare_arms(runs[0], runs[1], horizon, levels)}
        return result, lambda: {
            "compare.json": _json(result, indent=2),
            "table.txt": (render_compare(result) + "\n").encode(),
            "time_to_deal.png": plot_time_to_deal(result, _curves(result), _calendar(cfg_a)),
            "runs.csv": runs_csv({"a": runs[0], "b": runs[1]}),
            "config_a.toml": to_toml(cfg_a).encode(),
            "config_b.toml": to_toml(cfg_b).encode(),
        }

    result = _with_out(out, work)
    typer.echo(_json(result).decode() if as_json else render_compare(result))


def run_distribution(
    config: Path | None,
    seeds: str,
    by: str | None,
    weeks: int | None,
    sets: list[str] | None,
    workers: int | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """``tradetalks run --seeds``: one scenario over many seeds, summarised like an arm."""
    from tradetalks.experiments import compare as cmp

    seed_list = _seeds(seeds)
    cfg, _ = load_scenario(config, None, weeks, sets)
    horizon = _by(cfg, by)
    arm = _arm(config, list(sets or []))

    def work() -> tuple[dict[str, Any], Callable[[], dict[str, bytes]]]:
        from tradetalks.sim.config import to_toml

        (runs,) = cmp.run_arms([cfg], seed_list, workers)
        result = {"arm": arm, **cmp.describe(runs, horizon, _levels(cfg))}
        return result, lambda: {
            "distribution.json": _json(result, indent=2),
            "table.txt": (render_distribution(result) + "\n").encode(),
            "time_to_deal.png": plot_time_to_deal(result, [(arm["label"], result)], _calendar(cfg)),
            "runs.csv": runs_csv({"runs": runs}),
            "config.toml": to_toml(cfg).encode(),
        }

    result = _with_out(out, work)
    typer.echo(_json(result).decode() if as_json else render_distribution(result))


# ---------------------------------------------------------------------------- input
def _seeds(text: str) -> list[int]:
    from tradetalks.experiments.compare import InputError, parse_seeds

    try:
        return parse_seeds(text)
    except InputError as exc:
        fail(str(exc))
        raise  # pragma: no cover - fail exits


def _by(cfg: Config, text: str | None) -> Any:
    from tradetalks.experiments.compare import InputError, parse_by

    try:
        return parse_by(cfg, text)
    except InputError as exc:
        fail(str(exc))
        raise  # pragma: no cover - fail exits


def _arm(config: Path | None, sets: list[str]) -> dict[str, Any]:
    """How an arm was given: config and overrides, and a one-line label."""
    source = "baseline" if config is None else str(config)
    label = " ".join([source, *(f"--set {s}" for s in sets)])
    return {"config": source, "sets": sets, "label": label}


def _curves(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{k.upper()}: {result['arms'][k]['label']}", result[k]) for k in ("a", "b")]


def _levels(cfg: Config) -> dict[str, list[str]]:
    return {name: list(cfg.issues[name].levels) for name in cfg.negotiable_issues()}


Work = Callable[[], tuple[dict[str, Any], Callable[[], dict[str, bytes]]]]


def _with_out(out: Path | None, work: Work) -> dict[str, Any]:
    """Run ``work`` (the runs: a result and its files) and write ``--out`` whole, or nothing."""
    from tradetalks.experiments.compare import InputError
    from tradetalks.sim.config import ConfigError

    target = OutputDir(out) if out is not None else None
    try:
        if target is not None:
            target.prepare()  # the location is checked before any run starts
        result, files = work()
        if target is not None:
            target.commit(files())
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_ENVIRONMENT) from None
    except InputError as exc:
        fail(str(exc))
        raise  # pragma: no cover - fail exits
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        if target is not None:
            target.abort()
    return result


# ---------------------------------------------------------------------------- output
def _json(result: dict[str, Any], indent: int | None = None) -> bytes:
    text = json.dumps(result, indent=indent, allow_nan=False)
    return (text + "\n").encode() if indent else text.encode()


def _digits(*xs: float | None) -> int:
    """Decimals for about three significant digits of the largest of ``xs`` (at most 3)."""
    top = max((abs(x) for x in xs if x is not None), default=0.0)
    return 3 if top == 0 else max(0, min(3, 2 - math.floor(math.log10(top))))


def _ci(stat: dict[str, Any], d: int, key: str = "mean", sign: bool = False) -> str:
    """``estimate [low, high]`` with ``d`` decimals (no "-0.0")."""
    ci = (stat["low"], stat["high"])
    est, low, high = (None if v is None else round(v, d) + 0.0 for v in (stat[key], *ci))
    if est is None:
        return "–"
    lead = f"{est:+.{d}f}" if sign else f"{est:.{d}f}"
    return lead if low is None or high is None else f"{lead} [{low:.{d}f}, {high:.{d}f}]"


def _pv(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"


def _share(s: dict[str, Any]) -> str:
    return _ci(s, 2, "share")


def _eff(e: dict[str, Any], d: int = 2) -> str:
    return _ci(e, d, "estimate", sign=True)


Line = str | tuple[str, ...]  # a line of text, or a row of cells aligned by ``_layout``


def _layout(lines: list[Line]) -> str:
    """Rows of cells padded to their columns' widths (two spaces apart); text lines as given."""
    rows = [r for r in lines if isinstance(r, tuple)] or [()]
    widths = [max(len(r[i]) for r in rows if len(r) > i) for i in range(max(map(len, rows)))]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()
        if isinstance(r, tuple)
        else r
        for r in lines
    ]
    return "\n".join(out)


def _median(arm: dict[str, Any]) -> str:
    km = arm["time_to_deal"]
    if km["median_date"] is None:
        return "not reached"
    return f"{km['median_date']} (wk {km['median_week']})"


def _head(result: dict[str, Any], what: str, kind: str) -> str:
    seeds = result["seeds"]
    span = f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else "listed"
    return (
        f"tradetalks {what} — {len(seeds)} {kind} ({span}), {result['weeks']} weeks from "
        f"{result['start_date']} to {result['end_date']}"
    )


def _timing_rows(result: dict[str, Any], arms: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """Deal by the --by date and by the end, RMST and the median first deal, per arm."""
    by = result["by"]
    return [
        (f"P(deal by {by['date']}, week {by['week']})", *(_share(a["deal_by"]) for a in arms)),
        (f"P(deal by {result['end_date']}, the end)", *(_share(a["deal_by_end"]) for a in arms)),
        (
            f"RMST, weeks to deal (to week {result['weeks']})",
            *(_ci(a["rmst_weeks"], 1) for a in arms),
        ),
        ("Median first deal (Kaplan–Meier)", *(_median(a) for a in arms)),
        ("P(a second deal by the end)", *(_share(a["second_deal_by_end"]) for a in arms)),
        (
            "RMST, weeks to a second deal (from the start)",
            *(_ci(a["rmst_second_weeks"], 1) for a in arms),
        ),
        ("Issues settled by the end", *(_ci(a["issues_settled"], 2) for a in arms)),
    ]


def _terms_rows(arms: list[dict[str, Any]]) -> list[Line]:
    """Per issue and level reached in some arm, the share of that arm's deals."""
    lines: list[Line] = [
        ("Terms: share of deals (95% CI)", *(f"{a['deal_by_end']['count']} deals" for a in arms))
    ]
    for issue, levels in arms[0]["terms"].items():
        for level in levels:
            cells = [a["terms"].get(issue, {}).get(level) for a in arms]
            if any(c and c["count"] for c in cells):
                shares = (_share(c) if c and c["n"] else "–" for c in cells)
                lines.append((f"  {issue:<14} {level}", *shares))
    return lines


def _failed_note(failed: dict[str, dict[str, str]]) -> list[Line]:
    """Which seeds failed in which arm (they are left out of every number), and why."""
    return [
        f"Failed runs ({k}, left out): seeds {', '.join(v)}; first error: {next(iter(v.values()))}"
        for k, v in failed.items()
        if v
    ]


def render_compare(result: dict[str, Any]) -> str:
    """The comparison as a table for people (each block aligned on its own)."""
    arms, diff = [result["a"], result["b"]], result["difference"]
    head = [_head(result, "compare", "paired seeds")]
    head += [f"  A  {result['arms']['a']['label']}", f"  B  {result['arms']['b']['label']}"]
    extra = [
        _eff(diff["deal_by"]) + f"  McNemar {_pv(diff['deal_by']['mcnemar']['p'])}",
        _eff(diff["deal_by_end"]) + f"  McNemar {_pv(diff['deal_by_end']['mcnemar']['p'])}",
        _eff(diff["rmst_weeks"], 1),
        f"log-rank {_pv(diff['logrank']['p'])}",
        _eff(diff["second_deal_by_end"])
        + f"  McNemar {_pv(diff['second_deal_by_end']['mcnemar']['p'])}",
        _eff(diff["rmst_second_weeks"], 1) + f"  log-rank {_pv(diff['logrank_second']['p'])}",
        _eff(diff["issues_settled"]),
    ]
    timing: list[Line] = [("", "A", "B", "B − A (95% CI)")]
    timing += [(*row, d) for row, d in zip(_timing_rows(result, arms), extra, strict=True)]
    finals: list[Line] = [("Final indicators: mean (95% CI)", "A", "B", "B − A")]
    for key, e in diff["indicators"].items():
        ia, ib = arms[0]["indicators"][key], arms[1]["indicators"][key]
        d = _digits(ia["mean"], ib["mean"])
        finals.append((f"  {key}", _ci(ia, d), _ci(ib, d), _eff(e, d)))
    blocks = [head, timing, _terms_rows(arms), finals, _failed_note(result["failed"])]
    return "\n\n".join(_layout(b) for b in blocks if b)


def render_distribution(result: dict[str, Any]) -> str:
    """One scenario's distribution over seeds as a table for people."""
    head: list[Line] = [_head(result, "run", "seeds"), f"  {result['arm']['label']}"]
    timing: list[Line] = [("", "estimate (95% CI)"), *_timing_rows(result, [result])]
    finals: list[Line] = [("Final indicators: mean (95% CI)",)]
    finals += [(f"  {k}", _ci(v, _digits(v["mean"]))) for k, v in result["indicators"].items()]
    blocks = [head, timing, _terms_rows([result]), finals, _failed_note({"runs": result["failed"]})]
    return "\n\n".join(_layout(b) for b in blocks if b)


def _calendar(cfg: Config) -> list[tuple[Any, str]]:
    """The calendar's dated events a chart marks: scheduled tariff actions and principal
    rounds (arm A's calendar)."""
    marks = [(a.date, "tariff action due") for a in cfg.calendar.tariff_actions]
    marks += [(r.date, "principal round") for r in cfg.calendar.rounds if r.level == "principal"]
    return sorted(marks)


CALENDAR_COLOURS = {"tariff action due": "tab:red", "principal round": "tab:green"}


def plot_time_to_deal(
    result: dict[str, Any],
    curves: list[tuple[str, dict[str, Any]]],
    calendar: list[tuple[Any, str]] = (),
) -> bytes:
    """Kaplan–Meier curves of P(first deal by date) with 95% bands, the --by date and the
    calendar's events (ticks along the top) marked."""
    import datetime as dt

    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    end = dt.date.fromisoformat(result["end_date"])
    by = dt.date.fromisoformat(result["by"]["date"])
    for i, (name, arm) in enumerate(curves):
        km = arm["time_to_deal"]
        x = [dt.date.fromisoformat(d) for d in km["date"]] + [end]
        y, lo, hi = (km[k] + km[k][-1:] for k in ("p_deal", "low", "high"))
        share = arm["deal_by"]["share"]
        ax.step(x, y, where="post", color=f"C{i}", label=f"{name} — P(by {by}) = {share:.2f}")
        ax.fill_between(x, lo, hi, step="post", color=f"C{i}", alpha=0.2, linewidth=0)
    ax.axvline(by, color="0.3", linestyle="--", linewidth=1)
    ax.annotate(f" by {by}", (by, 0.02), color="0.3", fontsize=9)
    for kind, colour in CALENDAR_COLOURS.items():
        days = [d for d, k in calendar if k == kind and d <= end]
        for i, day in enumerate(days):
            ax.axvline(day, ymin=0.94, ymax=1.0, color=colour, linewidth=2,
                       label=f"calendar: {kind}" if i == 0 else None)  # fmt: skip
    ax.xaxis.set_major_locator(locator := AutoDateLocator())
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlim(dt.date.fromisoformat(result["start_date"]), end)
    ax.set_ylim(0, 1)
    ax.set_ylabel("P(first deal signed by date)")
    ax.set_title(
        f"Time to first deal, Kaplan–Meier with 95% bands ({len(result['seeds'])} seeds; "
        f"no deal by {end} = censored)",
        fontsize=10,
    )
    fig.legend(loc="outside lower center", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def runs_csv(arms: dict[str, ArmRuns]) -> bytes:
    """One row per arm and seed: status, deal timing, terms and indicators."""
    rows: list[dict[str, Any]] = []
    for name, arm in arms.items():
        for seed in sorted({*arm.runs, *arm.failed}):
            row: dict[str, Any] = {"arm": name, "seed": seed}
            run = arm.runs.get(seed)
            row["status"] = "ok" if run is not None else "failed"
            row["error"] = arm.failed.get(seed, "")
            row.update(_flat(run or {}))
            rows.append(row)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _flat(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in node.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
