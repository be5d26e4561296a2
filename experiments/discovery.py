# size: the target, PRIM and its report (table, CSV, JSON and the trade-off plot) are one
# feature, read together; each function stays short
"""Scenario discovery over a finished sweep: the boxes of parameter space whose runs meet a
target, found by PRIM (the Patient Rule Induction Method of Friedman and Fisher, 1999, as
the EMA Workbench implements it for scenario discovery, Bryant and Lempert, 2010).

A target is one condition on each run's outcomes:

* ``deal_date <= 2020-01-15`` — the first deal in a week that starts on or before the date
  (week w starts ``start + 7 (w - 1)`` days, as ``deal_date`` in a run summary);
* ``deal_week <= 18``, ``utility_us > 0.6`` — any numeric outcome against a number;
* ``full_deal`` (a flag is true), ``full_deal == false``, ``terms_huawei == "removed"``.

Outcome names may be written as kept (``utility.us``) or as columns (``utility_us``).  A run
without the value (no deal, say) does not meet the target; failed runs are left out.

For each box PRIM peels the space into a trajectory of ever smaller, denser boxes; the box
chosen is the one of largest coverage whose density reaches ``threshold`` (else the
densest), and the next box is sought among the runs outside the ones found.  Coverage is
the share of the target's runs inside the box, density the share of the box's runs that
meet the target, mass the share of all runs inside it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import multiprocessing
import operator
import re
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tradetalks.experiments import labels as lb
from tradetalks.experiments.outcomes import column_name
from tradetalks.experiments.sweepdata import AnalysisError, SweepData, quote

DISCOVERY_DIR = "discovery"
THRESHOLD = 0.8  # least density of the chosen box (the EMA Workbench's usual default)
MASS_MIN = 0.05  # PRIM stops peeling at boxes holding this share of the runs
PEEL_ALPHA = 0.05  # share of the runs peeled off per step
MAX_BOXES = 10
DPI = 120
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
TARGET_RE = re.compile(
    r"^\s*(?P<col>[A-Za-z_][A-Za-z0-9_.]*)\s*(?:(?P<op><=|>=|==|!=|<|>|=)\s*(?P<value>\S.*?))?\s*$"
)
DEAL_DATE = "deal_date"


class DiscoveryError(AnalysisError):
    """A target that cannot be evaluated on this sweep (bad input: exit 2)."""


@dataclass(frozen=True)
class Target:
    """A parsed target: an outcome column, a comparison and the value compared with (no
    comparison: the flag is true)."""

    text: str
    column: str
    op: str | None = None
    value: Any = None


@dataclass
class Box:
    """A chosen box: its statistics and the limits of the parameters it restricts."""

    box: int
    coverage: float
    density: float
    mass: float
    runs: int  # runs inside
    cases: int  # ... of which meet the target
    restricted: int
    step: int  # its place on the peeling trajectory
    limits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Discovery:
    """What ``discover`` found, ready for a table, JSON and a plot."""

    target: str
    sweep: str
    runs: int
    failed: int
    cases: int
    threshold: float
    boxes: list[Box]
    trajectory: pd.DataFrame  # box, step, coverage, density, mass, res_dim
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["base_density"] = self.cases / self.runs if self.runs else None
        out["trajectory"] = json.loads(self.trajectory.to_json(orient="records"))
        return out


# --------------------------------------------------------------------------- target
def _literal(text: str, kind: str, col: str) -> Any:
    t = text.strip()
    if kind == "bool":
        if t.lower() not in ("true", "false"):
            raise DiscoveryError(f"{col} is a flag: compare it with true or false, not {t!r}")
        return t.lower() == "true"
    if kind == "label":
        return t[1:-1] if len(t) > 1 and t[0] == t[-1] and t[0] in "'\"" else t
    try:
        value = float(t)
    except ValueError:
        raise DiscoveryError(f"{col} is a number: {t!r} is not one") from None
    if not np.isfinite(value):
        raise DiscoveryError(f"{col}: compare with a finite number, not {t!r}")
    return value


def parse_target(text: str, d: SweepData) -> Target:
    """The target ``text`` checked against the sweep's outcomes; DiscoveryError if bad."""
    m = TARGET_RE.match(text or "")
    if m is None:
        raise DiscoveryError(
            f"--target {text!r} is not OUTCOME OP VALUE (e.g. 'deal_date <= 2020-01-15', "
            "'deal_week <= 18', 'full_deal')"
        )
    col, op, value = column_name(m["col"]), m["op"], m["value"]
    op = "==" if op == "=" else op
    if col == DEAL_DATE and "deal_week" in d.outcomes:
        if op is None:
            raise DiscoveryError("deal_date needs a comparison, e.g. 'deal_date <= 2020-01-15'")
        try:
            return Target(text, col, op, lb.parse_date(value))
        except ValueError as exc:
            raise DiscoveryError(f"--target: {exc}") from None
    if col not in d.outcomes:
        why = "deal_date needs the outcome deal_week, which" if col == DEAL_DATE else col
        kept = ", ".join(d.outcomes)
        raise DiscoveryError(f"--target: {why} is not kept by this sweep; outcomes: {kept}")
    kind = d.kind(col)
    if op is None:
        if kind != "bool":
            raise DiscoveryError(f"--target: {col} is not a flag; compare it, e.g. '{col} > 0'")
        return Target(text, col, "==", True)
    if kind == "label" and op not in ("==", "!="):
        raise DiscoveryError(f"--target: {col} holds labels; compare it with == or !=")
    return Target(text, col, op, _literal(value, kind, col))


def _start(d: SweepData) -> dt.date:
    moved = [p.column for p in d.param_specs if "run.start_date" in p.config_keys]
    if moved:
        raise DiscoveryError(f"deal_date: the start date varies with {moved[0]}; use deal_week")
    start = lb.sweep_start_date(d.root)
    if start is None:
        raise DiscoveryError(f"{d.root}: the base config gives no start date; use deal_week")
    return start


def target_data(d: SweepData, target: Target) -> tuple[pd.DataFrame, np.ndarray, int]:
    """(parameters of each finished run, whether it meets the target, failed runs)."""
    col = "deal_week" if target.column == DEAL_DATE else target.column
    pcols = ", ".join(quote(p) for p in d.params)
    cols, rows = d.sql(
        f"SELECT {pcols}, {quote(col)} FROM runs WHERE status = 'ok' ORDER BY run_id"
    )
    _, ((failed,),) = d.sql("SELECT count(*) FROM runs WHERE status <> 'ok'")
    values = [r[-1] for r in rows]
    if target.column == DEAL_DATE:
        start = _start(d)
        values = [None if w is None else lb.week_start(start, w) for w in values]
    compare = OPS[target.op or "=="]
    y = np.array([v is not None and bool(compare(v, target.value)) for v in values], dtype=bool)
    x = pd.DataFrame([r[:-1] for r in rows], columns=cols[:-1])
    return x, y, int(failed)


# --------------------------------------------------------------------------- PRIM
def _prim(x: pd.DataFrame, y: np.ndarray, mass_min: float, peel_alpha: float) -> Any:
    with warnings.catch_warnings():  # the workbench warns about parallel back ends on import
        warnings.filterwarnings("ignore", message=".*ipyparallel.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from ema_workbench.analysis.prim import Prim

    for c in x.columns:  # flags and labels are categories to PRIM
        if x[c].dtype == bool or x[c].dtype == object:
            x[c] = x[c].astype(str)
    return Prim(x, y.astype(int), mass_min=mass_min, peel_alpha=peel_alpha)


def choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The step of largest coverage whose density reaches ``threshold`` (ties: fewer
    restricted parameters, then the earlier step), else the densest step."""
    t = trajectory.reset_index(drop=True)
    ok = t[t["density"] >= threshold - 1e-12]
    if ok.empty:
        return int(t["density"].to_numpy().argmax())
    best = ok.sort_values(["coverage", "res_dim"], ascending=[False, True], kind="stable")
    return int(best.index[0])


def _limits(prim: Any, box: Any, step: int, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The parameters box ``step`` restricts: its limits, the full range, quasi-p values."""
    lim, init = box.box_lims[step], prim.box_init
    out = []
    for c in lim.columns:
        low, high = lim[c].iloc[0], lim[c].iloc[1]
        if isinstance(low, set):
            if low == init[c].iloc[0]:
                continue
            low, high = sorted(low), None
            full: list[Any] = sorted(init[c].iloc[0])
        else:
            if low == init[c].iloc[0] and high == init[c].iloc[1]:
                continue
            low, high = float(low), float(high)
            full = [float(init[c].iloc[0]), float(init[c].iloc[1])]
        qp = [q for q in box.p_values[step].get(c, []) if q is not None and q >= 0]
        out.append(
            {"parameter": c, "label": labels.get(c, c), "low": low, "high": high}
            | {"range": full, "qp": float(max(qp)) if qp else None}
        )
    return out


def find_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float = THRESHOLD,
    boxes: int = 1,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
    labels: dict[str, str] | None = None,
) -> tuple[list[Box], pd.DataFrame, list[str]]:
    """PRIM on parameters ``x`` (a row per run) and target flags ``y``: up to ``boxes``
    chosen boxes (see ``choose``), their peeling trajectories and notes.

    PRIM runs in a fresh interpreter (a spawned process): the EMA Workbench loads
    scikit-learn and statsmodels, whose native thread pools make a later fork unsafe, and
    this process may fork sweep workers afterwards (a forked worker crashed in CI so)."""
    args = (x, y, threshold, boxes, mass_min, peel_alpha, labels or {})
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_find_boxes_quietly, *args).result()


def _find_boxes_quietly(*args: Any) -> tuple[list[Box], pd.DataFrame, list[str]]:
    with warnings.catch_warnings():  # the workbench's pandas deprecations are not ours
        warnings.filterwarnings("ignore", module="ema_workbench")
        return _find_boxes(*args)


def _find_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float,
    boxes: int,
    mass_min: float,
    peel_alpha: float,
    labels: dict[str, str],
) -> tuple[list[Box], pd.DataFrame, list[str]]:
    prim = _prim(x.copy(), y, mass_min, peel_alpha)
    found: list[Box] = []
    steps, notes = [], []
    for k in range(1, boxes + 1):
        box = prim.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        i = choose(traj, threshold)
        box.select(i)
        r = traj.iloc[i]
        found.append(
            Box(
                box=k,
                coverage=float(r["coverage"]),
                density=float(r["density"]),
                mass=float(r["mass"]),
                runs=int(r["n"]),
                cases=int(r["k"]),
                restricted=int(r["res_dim"]),
                step=i,
                limits=_limits(prim, box, i, labels),
            )
        )
        steps.append(traj.assign(box=k, step=range(len(traj))))
        if r["density"] < threshold:
            notes.append(
                f"box {k}: no box on the trajectory reaches density {threshold:g}; the densest "
                f"({r['density']:.2f}) is shown"
            )
            break
        if r["res_dim"] == 0:
            notes.append(
                f"box {k} restricts nothing: all runs together reach density {threshold:g} "
                "already; ask for a higher --threshold"
            )
            break
    cols = ["box", "step", "coverage", "density", "mass", "res_dim", "n", "k"]
    return found, pd.concat(steps)[cols].reset_index(drop=True), notes


def discover(
    directory: str | Path,
    target: str,
    threshold: float = THRESHOLD,
    boxes: int = 1,
    mass_min: float = MASS_MIN,
    peel_alpha: float = PEEL_ALPHA,
) -> Discovery:
    """Run PRIM on a sweep's runs for ``target``; up to ``boxes`` boxes."""
    if not 0 < threshold <= 1:
        raise DiscoveryError(f"--threshold must be in (0, 1], not {threshold}")
    if not 1 <= boxes <= MAX_BOXES:
        raise DiscoveryError(f"--boxes must be between 1 and {MAX_BOXES}")
    if not (0 < mass_min < 1 and 0 < peel_alpha < 1):
        raise DiscoveryError("--mass-min and --peel-alpha must be in (0, 1)")
    d = SweepData(Path(directory))
    t = parse_target(target, d)
    x, y, failed = target_data(d, t)
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        which = "no" if cases == 0 else "every"
        raise DiscoveryError(
            f"{which} finished run of {d.root} meets the target {t.text!r} "
            f"({cases} of {len(y)}): there is no box to find"
        )
    labels = lb.parameter_labels(d.param_specs)
    found, trajectory, notes = find_boxes(x, y, threshold, boxes, mass_min, peel_alpha, labels)
    declared = {p.column: p.range for p in d.param_specs if p.range is not None}
    for lim in (lim for b in found for lim in b.limits if lim["parameter"] in declared):
        # the sweep's range, not the data's; a side the box leaves open is the range's end
        lo, hi = (float(v) for v in declared[lim["parameter"]])
        lim["low"] = lo if lim["low"] == lim["range"][0] else lim["low"]
        lim["high"] = hi if lim["high"] == lim["range"][1] else lim["high"]
        lim["range"] = [lo, hi]
    if failed:
        notes.insert(0, f"{failed} failed runs left out")
    return Discovery(t.text, d.m.name, len(y), failed, cases, threshold, found, trajectory, notes)


# --------------------------------------------------------------------------- report
def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "{" + ", ".join(map(str, v)) + "}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def table(found: Discovery) -> str:
    """The chosen boxes as a plain-text table."""
    share = found.cases / found.runs
    lines = [
        f"Scenario discovery (PRIM) in sweep {found.sweep!r}: {found.target}",
        f"  {found.cases} of {found.runs} finished runs meet the target ({share:.1%}); "
        f"{found.failed} failed runs left out; box chosen: largest coverage with density "
        f">= {found.threshold:g}",
    ]
    for b in found.boxes:
        lines.append(
            f"  Box {b.box}: coverage {b.coverage:.3f}, density {b.density:.3f}, mass "
            f"{b.mass:.3f} ({b.cases} of {b.runs} runs inside meet the target), "
            f"{b.restricted} parameter(s) restricted"
        )
        width = max([len(lim["parameter"]) for lim in b.limits] + [9])
        if b.limits:
            lines.append(f"    {'parameter':<{width}}  {'low':>10}  {'high':>10}  full range    qp")
        for lim in b.limits:
            lo, hi = _fmt(lim["low"]), "" if lim["high"] is None else _fmt(lim["high"])
            full = " - ".join(map(_fmt, lim["range"][:1] + lim["range"][-1:]))
            qp = "" if lim["qp"] is None else f"{lim['qp']:.2g}"
            lines.append(f"    {lim['parameter']:<{width}}  {lo:>10}  {hi:>10}  {full:<12}  {qp}")
            lines.append(f"      {lim['label']}")
    if any(b.limits for b in found.boxes):
        lines.append(
            "  qp: quasi-p value of a restriction (Bryant and Lempert 2010, a one-sided "
            "binomial test); above 0.05 it may be chance"
        )
    lines += [f"  note: {n}" for n in found.notes]
    return "\n".join(lines)


def boxes_csv(found: Discovery) -> bytes:
    """A row per restricted parameter of each box, with the box's statistics."""
    rows = [
        {
            "box": b.box,
            "coverage": b.coverage,
            "density": b.density,
            "mass": b.mass,
            "runs": b.runs,
            "cases": b.cases,
            "parameter": lim["parameter"],
            "low": _fmt(lim["low"]),
            "high": "" if lim["high"] is None else _fmt(lim["high"]),
            "range_low": _fmt(lim["range"][0]),
            "range_high": _fmt(lim["range"][-1]),
            "qp": lim["qp"],
            "label": lim["label"],
        }
        for b in found.boxes
        for lim in b.limits
        or [{"parameter": "", "label": "", "low": "", "high": None, "range": [""], "qp": None}]
    ]
    buf = io.StringIO()
    pd.DataFrame(rows).to_csv(buf, index=False, float_format="%.6g")
    return buf.getvalue().encode()


def tradeoff_png(found: Discovery) -> bytes:
    """The peeling trajectories (coverage against density, coloured by the number of
    restricted parameters) with the chosen boxes marked, and the chosen boxes' limits
    within each parameter's full range."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(12, 5.2), layout="constrained")
    ax, bx = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    t = found.trajectory
    markers = "os^Dv<>ph*"
    sc = None
    for k, part in t.groupby("box"):
        sc = ax.scatter(
            part["coverage"],
            part["density"],
            c=part["res_dim"],
            cmap="viridis",
            marker=markers[(k - 1) % len(markers)],
            s=22,
            label=f"box {k} trajectory",
            vmin=0,
            vmax=max(1, int(t["res_dim"].max())),
        )
    for b in found.boxes:
        ax.scatter([b.coverage], [b.density], s=160, facecolors="none", edgecolors="tab:red")
        ax.annotate(
            f"box {b.box}: {b.restricted} param.",
            (b.coverage, b.density),
            xytext=(6, -12),
            textcoords="offset points",
            color="tab:red",
            fontsize=8,
        )
    ax.axhline(found.threshold, color="grey", ls="--", lw=1, label=f"threshold {found.threshold:g}")
    base = found.cases / found.runs
    ax.axhline(base, color="grey", ls=":", lw=1, label=f"all runs: {base:.2f}")
    if sc is not None:
        bar = fig.colorbar(sc, ax=ax, label="restricted parameters")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    ax.set_xlim(0, 1.02)
    ax.set_ylim(max(0.0, min(float(t["density"].min()), base) - 0.05), 1.01)
    ax.set_xlabel("coverage (share of the target's runs inside the box)")
    ax.set_ylabel("density (share of the box's runs in the target)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("PRIM peeling trajectory: coverage against density", fontsize=10)
    _limits_panel(bx, found)
    fig.suptitle(
        f"Scenario discovery: {found.target} — sweep {found.sweep!r}, "
        f"{found.runs} runs ({found.failed} failed, left out)",
        fontsize=11,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _limits_panel(ax: Any, found: Discovery) -> None:
    """Each chosen box's numeric limits as bars within the parameter's range (0 to 1)."""
    rows = [(b.box, lim) for b in found.boxes for lim in b.limits if lim["high"] is not None]
    for i, (k, lim) in enumerate(rows):
        lo, hi = lim["range"]
        span = (hi - lo) or 1.0
        a, b = (lim["low"] - lo) / span, (lim["high"] - lo) / span
        ax.barh(i, b - a, left=a, height=0.5, color=f"C{k - 1}", alpha=0.7)
        ax.text(a, i, f"{lim['low']:.3g} ", ha="right", va="center", fontsize=7)
        ax.text(b, i, f" {lim['high']:.3g}", ha="left", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [f"box {k}: {lim['parameter']}" for k, lim in rows], fontsize=8)
    ax.set_ylim(max(len(rows), 3) - 0.5, -0.5)
    ax.set_xlim(-0.15, 1.15)
    ax.set_xlabel("box limits within each parameter's range (0: low end, 1: high end)")
    ax.set_title("Chosen boxes: restricted parameters", fontsize=10)
    ax.grid(alpha=0.3, axis="x")


def write(found: Discovery, root: Path, out: Path | None = None) -> list[Path]:
    """Write the plot, the boxes and the trajectory (default: ``DIR/discovery/``)."""
    import matplotlib
    from tradetalks.experiments.analysis import _write_dir

    target = Path(out) if out is not None else Path(root) / DISCOVERY_DIR
    buf = io.StringIO()
    found.trajectory.to_csv(buf, index=False, float_format="%.6g")
    with matplotlib.rc_context({"text.parse_math": False}):
        files = {"tradeoff.png": tradeoff_png(found)}
    files |= {"boxes.csv": boxes_csv(found), "trajectory.csv": buf.getvalue().encode()}
    files["discovery.json"] = (json.dumps(found.as_json(), indent=1, default=str) + "\n").encode()
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_dir(target, files)
    found.files = [str(target / name) for name in sorted(files)]
    return [target / name for name in sorted(files)]
