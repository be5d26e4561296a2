"""Predictive checks of a calibration to the record (core-v2 §3.8, validation points 1 and 3).

    .venv/bin/python benchmarks/hindcast_checks.py prior configs/calibrations/hindcast.toml \
        --draws 100 --save /tmp/hindcast/prior.json
    .venv/bin/python benchmarks/hindcast_checks.py posterior runs/hindcast_v2 \
        --draws 100 --scales /tmp/hindcast/prior.json
    .venv/bin/python benchmarks/hindcast_checks.py headline forecasts/sep-2019 \
        --by 2019-10-31 2020-03-31 --quantity us_tariff@2020-02-29

``prior`` simulates parameter sets drawn from the file's priors and prints, per statistic, the
record's value against the prior predictive range (is the record inside it?).  ``--save``
keeps the prior predictive standard deviations, the fixed units of ``posterior``'s distance.

``posterior`` draws particles of a calibration output's last generation by weight, simulates
them with fresh seeds and prints the in-sample fit: per statistic the predictive median and
5-95% range against the record, and the block-weighted L1 distance to the record in the
saved units (each block sums to one weight, as the fit's distance).  The same units for two
fits of the same statistics (the ablation) make their distances comparable, which pyabc's
final epsilons, in each fit's own adaptive units, are not.

``headline`` prints a forecast directory's headline numbers (forecasts/README.md).

``replay`` re-simulates a committed posterior's last-generation particles with their own
seeds on today's model and counts those whose every statistic comes out as the fit recorded
it: is the committed fit still a fit of this model, or of an earlier one?

    .venv/bin/python benchmarks/hindcast_checks.py replay configs/calibrations/hindcast.toml \
        configs/calibrations/hindcast_posterior/particles.parquet
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tradetalks.experiments.calibfile import Calibration, load_calibration

QUANTILES = (0.05, 0.5, 0.95)  # the predictive range printed: 5-95%, and the median
SEED_STREAM = 7  # the checks' own seed stream, apart from pyabc's and the fit's
ROUNDING = 5e-4  # the calibration files give the record's values to three decimals


def _prior_sample(calib: Calibration, rng: np.random.Generator, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        params = {}
        for p in calib.spec.parameters:
            pr = p.prior
            if pr.kind == "uniform":
                params[p.name] = float(rng.uniform(pr.lo, pr.hi))
            elif pr.kind == "normal":
                params[p.name] = float(rng.normal(pr.mean, pr.sd))
            elif pr.kind == "lognormal":
                params[p.name] = float(np.exp(rng.normal(pr.log_mean, pr.log_sd)))
            else:
                params[p.name] = float(pr.lo + (pr.hi - pr.lo) * rng.beta(pr.a, pr.b))
        out.append(params)
    return out


def _simulate(calib: Calibration, params: list[dict], seed: int) -> pd.DataFrame:
    seeds = np.random.SeedSequence([seed, SEED_STREAM]).generate_state(len(params))
    rows = []
    for p, s in zip(params, seeds, strict=True):
        out = calib.simulator.simulate(p, int(s))
        rows.append({k: out[k] for k in calib.observed})
    return pd.DataFrame(rows)


def _table(calib: Calibration, sims: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s in calib.spec.statistics:
        v = sims[s.name].to_numpy(float)
        obs = calib.observed[s.name]
        q05, q50, q95 = np.quantile(v, QUANTILES)
        rows.append(
            {
                "statistic": s.name,
                "block": s.block,
                "record": obs,
                "median": q50,
                "5%": q05,
                "95%": q95,
                "min": v.min(),
                "max": v.max(),
                "in range": bool(v.min() - ROUNDING <= obs <= v.max() + ROUNDING),
                "in 5-95%": bool(q05 - ROUNDING <= obs <= q95 + ROUNDING),
                "P(sim <= record)": float(np.mean(v <= obs)),
            }
        )
    return pd.DataFrame(rows)


def _distance(calib: Calibration, sims: pd.DataFrame, scales: dict[str, float]) -> np.ndarray:
    """Block-weighted L1 distance of each simulation to the record, in fixed units."""
    blocks = pd.Series([s.block for s in calib.spec.statistics]).value_counts()
    d = np.zeros(len(sims))
    for s in calib.spec.statistics:
        unit = scales.get(s.name) or 1.0
        d += np.abs(sims[s.name].to_numpy(float) - calib.observed[s.name]) / unit / blocks[s.block]
    return d


def _last_generation(directory: Path, calib: Calibration) -> tuple[pd.DataFrame, np.ndarray]:
    table = pd.read_parquet(directory / "particles.parquet")
    last = table[table["generation"] == table["generation"].max()]
    w = last["weight"].to_numpy(float)
    cols = {calib.paths[n]: n for n in calib.names}
    return last[list(cols)].rename(columns=cols), w / w.sum()


def _cell(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "**no**"
    return f"{v:.2f}" if isinstance(v, float | np.floating) else str(v)


def markdown(table: pd.DataFrame) -> str:
    """A pandas table as a Markdown table (floats to two decimals)."""
    lines = ["| " + " | ".join(map(str, table.columns)) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines)


def _print(title: str, table: pd.DataFrame, extra: str = "") -> None:
    print(f"## {title}\n")
    print(markdown(table))
    if extra:
        print(f"\n{extra}")


def _influence(calib: Calibration, params: list[dict], sims: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of each parameter with each statistic over the prior draws:
    which parameters move which statistics (influence, not identifiability)."""
    pars = pd.DataFrame(params)
    rows = []
    for s in calib.spec.statistics:
        row: dict[str, object] = {"statistic": s.name}
        for n in calib.names:
            rho = stats.spearmanr(pars[n], sims[s.name]).statistic
            row[n] = float(rho) if np.isfinite(rho) else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def prior(args: argparse.Namespace) -> None:
    """The prior predictive check, and each parameter's influence on each statistic."""
    calib = load_calibration(args.file)
    rng = np.random.default_rng(args.seed)
    t0 = time.process_time()
    params = _prior_sample(calib, rng, args.draws)
    sims = _simulate(calib, params, args.seed)
    note = f"{args.draws} prior draws, {time.process_time() - t0:.0f} s CPU"
    _print(f"prior predictive: {calib.spec.name}", _table(calib, sims), note)
    print()
    _print(
        "prior influence (Spearman rho of parameter and statistic)", _influence(calib, params, sims)
    )
    if args.save:
        scales = {c: float(sims[c].std(ddof=1)) for c in sims.columns}
        Path(args.save).write_text(json.dumps(scales, indent=2) + "\n", encoding="utf-8")


def _run_calibration(directory: Path) -> Calibration:
    """The calibration file a ``calibrate`` output ran (its ``calib.toml``), with a ``base``
    given relative to the original file resolved as the run resolved it (calibration.json)."""
    text = (directory / "calib.toml").read_text(encoding="utf-8")
    base = json.loads((directory / "calibration.json").read_text(encoding="utf-8")).get("base")
    if base:
        text = re.sub(r"(?m)^base\s*=.*$", lambda _: f"base = {json.dumps(base)}", text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calib.toml"
        path.write_text(text, encoding="utf-8")
        return load_calibration(path)


def posterior(args: argparse.Namespace) -> None:
    """The posterior predictive check (in-sample fit) and its distance in fixed units."""
    directory = Path(args.directory)
    calib = _run_calibration(directory)
    values, w = _last_generation(directory, calib)
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(w), size=args.draws, p=w)
    params = [{n: float(values.iloc[i][n]) for n in calib.names} for i in idx]
    sims = _simulate(calib, params, args.seed)
    table = _table(calib, sims)
    extra = ""
    if args.scales:
        scales = json.loads(Path(args.scales).read_text(encoding="utf-8"))
        d = _distance(calib, sims, scales)
        extra = (
            f"distance to the record (block-weighted L1, prior predictive sd units): "
            f"mean {d.mean():.3f}, median {np.median(d):.3f}, 5-95% "
            f"{np.quantile(d, 0.05):.3f}-{np.quantile(d, 0.95):.3f}"
        )
    manifest = json.loads((directory / "calibration.json").read_text(encoding="utf-8"))
    eps = manifest["generations"][-1]["epsilon"] if manifest["generations"] else None
    extra += f"\nfinal epsilon (the fit's own units): {eps}; {args.draws} draws"
    _print(f"posterior predictive: {calib.spec.name} ({directory})", table, extra)


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    return float(x[order][np.searchsorted(np.cumsum(w[order]), q)])


def headline(args: argparse.Namespace) -> None:
    """A forecast's headline numbers: P(deal by each date), a tariff's mean and 5-95%, and
    the first-deal terms by issue (shares of the draws with a deal)."""
    root = Path(args.directory)
    draws = pd.read_parquet(root / "draws.parquet")
    w = draws["weight"].to_numpy(float) / draws["weight"].sum()
    deal = pd.to_datetime(draws["deal"])
    print(f"## {root}: {len(draws)} draws\n")
    for by in args.by:
        print(f"P(deal by {by}) = {w[(deal <= by).to_numpy()].sum():.3f}")
    for col in args.quantity:
        x = draws[col].to_numpy(float)
        qs = [_weighted_quantile(x, w, q) for q in QUANTILES]
        print(
            f"{col}: mean {np.sum(w * x):.2f}, 5% {qs[0]:.2f}, median {qs[1]:.2f}, 95% {qs[2]:.2f}"
        )
    terms = pd.read_csv(root / "terms.csv")
    terms = terms[terms["deal_date"].notna()]
    print(f"draws with a deal: {len(terms)}")
    for col in terms.columns:
        if col in ("draw", "seed", "deal_date") or "." in col:  # "." : a particle's config key
            continue
        shares = terms[col].value_counts(normalize=True)
        print(f"  {col}: " + "; ".join(f"{k} {v:.2f}" for k, v in shares.items()))


def replay(args: argparse.Namespace) -> None:
    """Each last-generation particle of ``args.particles`` simulated again with its own seed:
    how many reproduce every statistic the fit recorded, and which ones move."""
    calib = load_calibration(args.file)
    sim = calib.simulator
    parts = pd.read_parquet(args.particles)
    last = parts[parts["generation"] == parts["generation"].max()]
    moved: dict[str, int] = {}
    same = 0
    for _, row in last.iterrows():
        params = {p.name: float(row[p.path]) for p in calib.spec.parameters}
        got = sim(params)
        off = [k for k in sim.stats if abs(got[k] - float(row[f"stat:{k}"])) > 1e-9]
        same += not off
        for k in off:
            moved[k] = moved.get(k, 0) + 1
            print(f"  moved: {k} {float(row[f'stat:{k}']):g} -> {got[k]:g} at {params}")
    print(
        f"{same} of {len(last)} last-generation particles reproduce every statistic on "
        f"today's model; statistics that moved (particles): {moved or 'none'}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: prior, posterior, headline or replay."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prior")
    p.add_argument("file")
    p.add_argument("--draws", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save", default=None)
    p = sub.add_parser("posterior")
    p.add_argument("directory")
    p.add_argument("--draws", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scales", default=None)
    p = sub.add_parser("headline")
    p.add_argument("directory")
    p.add_argument("--by", nargs="+", default=[])
    p.add_argument("--quantity", nargs="+", default=[])
    p = sub.add_parser("replay")
    p.add_argument("file")
    p.add_argument("particles")
    args = ap.parse_args(argv)
    commands = {"prior": prior, "posterior": posterior, "headline": headline, "replay": replay}
    commands[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
