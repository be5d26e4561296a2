"""``tradetalks score``: a forecast against a record, beside naive baselines.

The scoring lives in ``tradetalks.experiments.scoring`` (rules), ``.baselines`` and
``.forecastfile`` (the format); this module checks the input, renders the table and writes
``--out`` whole: ``scores.csv``, ``scores.json``, ``table.txt``, ``pit.png`` (several quantity
targets) and each baseline as a forecast directory under ``baselines/``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tradetalks.console import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, app
from tradetalks.outdir import OutputDir, OutputError

FORECAST_HELP = (
    "A forecast directory (forecast.json, draws.parquet), or a target list TOML or shipped "
    "name (e.g. may-sep-2019) to score the baselines alone"
)
RECORD_HELP = "A record file in the sim.record schema, or a shipped record's name"


@app.command()
def score(
    forecast: Annotated[Path, typer.Argument(help=FORECAST_HELP)],
    record: Annotated[Path, typer.Argument(help=RECORD_HELP)],
    out: Annotated[
        Path | None,
        typer.Option(help="Write scores.csv, scores.json, table.txt, pit.png and baselines/"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Score a forecast against a record: CRPS and PIT for quantities, Brier and log scores
    for dated events, beside persistence, "every announced action fires" and a base rate.

    Example: tradetalks score may-sep-2019 record-2018-2019 --out out/score-demo
    """
    from tradetalks.experiments.baselines import build_baselines, load_settings
    from tradetalks.experiments.forecastfile import load_targets, read_forecast
    from tradetalks.experiments.scoring import score as run_score
    from tradetalks.sim.config_base import ConfigError
    from tradetalks.sim.record import load_record

    try:  # every input is read and checked before --out is touched
        fc = read_forecast(forecast) if forecast.is_dir() else None
        meta = fc.meta if fc is not None else load_targets(forecast)
        rec = load_record(record)
        settings = load_settings()
        bases = build_baselines(rec, meta, settings)
        result = run_score(fc, meta, rec, settings, bases)
    except ConfigError as exc:
        typer.echo(exc.render(), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    result["forecast"] = str(forecast)
    if out is not None:
        _write(out, result, bases, settings)
    typer.echo(json.dumps(result, allow_nan=False) if as_json else render(result))


def _write(out: Path, result: dict[str, Any], bases: list[Any], settings: Any) -> None:
    from tradetalks.experiments.forecastfile import forecast_files

    files = {
        "scores.json": (json.dumps(result, indent=2, allow_nan=False) + "\n").encode(),
        "scores.csv": scores_csv(result),
        "table.txt": (render(result) + "\n").encode(),
    }
    pits = _pits(result)
    if sum(len(v) for v in pits.values()) and len(_quantity_rows(result)) >= (
        settings.scoring.pit_min_targets
    ):
        files["pit.png"] = plot_pit(pits, settings.scoring.pit_bins)
    for b in bases:
        if b.forecast is not None:
            for name, data in forecast_files(b.forecast).items():
                files[f"baselines/{b.name}/{name}"] = data
    target = OutputDir(out)
    try:
        target.prepare()
        assert target.tmp is not None
        for name in files:
            (target.tmp / name).parent.mkdir(parents=True, exist_ok=True)
        target.commit(files)
    except OutputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT if exc.bad_input else EXIT_ENVIRONMENT) from None
    finally:
        target.abort()


# ---------------------------------------------------------------------------- output
def _quantity_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in result["rows"] if r["kind"] == "quantity"]


def _pits(result: dict[str, Any]) -> dict[str, list[float]]:
    """PIT values per forecaster over the quantity targets it forecasts."""
    out: dict[str, list[float]] = {}
    for r in _quantity_rows(result):
        for name, s in r["scores"].items():
            out.setdefault(name, []).append(s["pit"])
    return out


def plot_pit(pits: dict[str, list[float]], bins: int) -> bytes:
    """One PIT histogram per forecaster (flat: calibrated; U: overconfident)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(pits), 3), layout="constrained")
    axes = fig.subplots(1, len(pits), squeeze=False)[0]
    for ax, (name, values) in zip(axes, pits.items(), strict=True):
        ax.hist(values, bins=bins, range=(0, 1), density=True, color="tab:blue", alpha=0.8)
        ax.axhline(1.0, color="0.3", linestyle="--", linewidth=1)
        ax.set_title(f"{name} ({len(values)} targets)", fontsize=9)
        ax.set_xlabel("PIT")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("density (flat = calibrated)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def scores_csv(result: dict[str, Any]) -> bytes:
    """One row per scored item and forecaster."""
    fields = ["target", "kind", "group", "date", "observed", "note", "forecaster"]
    fields += ["mean", "pit", "crps", "p", "brier", "log"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, lineterminator="\n", restval="")
    writer.writeheader()
    for r in result["rows"]:
        head = {k: r[k] for k in fields[:6]}
        for name, s in r["scores"].items():
            writer.writerow({**head, "forecaster": name, **s})
    return buf.getvalue().encode()


def _f(x: float | None, d: int = 3) -> str:
    return "–" if x is None else f"{x:.{d}f}"


def _layout(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows if len(r) > i) for i in range(max(map(len, rows)))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows
    )


def render(result: dict[str, Any]) -> str:
    """The scores as tables for people: the summary by group, then every scored item."""
    names = result["forecasters"]
    skills = list(dict.fromkeys(k for s in result["summary"] for k in s["skill"]))
    head = [
        f"tradetalks score — {result['forecast']} (origin {result['origin']}) against "
        f"{result['record']['title']}",
        "Lower scores are better; skill = 1 − score / reference score (mean over the group).",
    ]
    summary = [("group", "rule", "n", *names, *(f"skill {k}" for k in skills))]
    for s in result["summary"]:
        cells = (_f(s["mean"].get(n)) for n in names)
        summary.append((s["group"], s["rule"], str(s["n"]), *cells,
                        *(_f(s["skill"].get(k), 2) for k in skills)))  # fmt: skip
    items = [("target", "date", "observed", *(f"{n} (mean: CRPS | p: Brier)" for n in names))]
    for r in result["rows"]:
        cells = []
        for n in names:
            s = r["scores"].get(n)
            if s is None:
                cells.append("–")
            elif r["kind"] == "quantity":
                cells.append(f"{s['mean']:.3g}: {s['crps']:.3f}")
            else:
                cells.append(f"{s['p']:.2f}: {s['brier']:.3f}")
        items.append((r["target"], r["date"], f"{r['observed']:g}" + (" ~" if r["note"] else ""),
                      *cells))  # fmt: skip
    blocks = ["\n".join(head), _layout(summary), _layout(items)]
    if result["unresolved"]:
        lines = ["Not resolvable from this record (not scored):"]
        lines += [f"  {u['target']}{' by ' + u['by'] if u['by'] else ''}: {u['why']}"
                  for u in result["unresolved"]]  # fmt: skip
        blocks.append("\n".join(lines))
    omitted = [(b, t, why) for b, o in result["omitted"].items() for t, why in o.items()]
    if omitted:
        lines = ["Left out by a baseline:"] + [f"  {b}: {t}: {why}" for b, t, why in omitted]
        blocks.append("\n".join(lines))
    blocks.append("~ the record gives the figure as approximate (or a range: its midpoint)")
    return "\n\n".join(blocks)
