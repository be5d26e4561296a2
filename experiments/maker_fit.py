"""Fit the tariff makers' logit to the record by conditional likelihood (issue 14, item 3).

The record is replayed from the window's start (1 March 2018) to ``FIT_END`` with
``history.replay_until``.  At the start of each replayed week, where the makers would
decide in a free run (after the week's dynamics, before its calendar events), the inputs
of each side's rules are read with the functions the model itself uses
(``TariffDesk.week_inputs`` and ``TariffMaker.escalation_inputs`` for the weekly
announce-or-hold rule, ``TariffDesk.due_inputs`` for fire-or-postpone), and the record's
decision of that week is taken from the forced history: an announcement (escalation or
retaliation) or not; a due action fired, or postponed.  The margins are linear in the
fitted coefficients (``sim/maker_rule.py``), so the log-likelihood is a logit's, maximised
within the schema's bounds with standard errors from the observed information.
docs/CALIBRATION.md §4 has the data, the estimates and what does not fit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tradetalks.agents.makers import OppMove
from tradetalks.sim.config import Config, TariffAction, load_config
from tradetalks.sim.config_makers import MakerConfig
from tradetalks.sim.maker_fit import (
    KINDS,
    Estimate,
    Obs,
    decision_loglik,
    fit_side,
    one_sided_bound,
    probabilities,
    separated,
)
from tradetalks.sim.maker_rule import threat_size
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.protocol import SIDES
from tradetalks.sim.record import load_record
from tradetalks.sim.shipped import baseline

# the Sunday before the start week (16-20 September 2019): that week is initial state, not a
# target (issue 14); the replay starts on the record's first day (record.window.start)
FIT_END = dt.date(2019, 9, 15)
# the pseudo-out-of-sample origin (issue 14 "Must show": fit to 30 April 2019, forecast
# May-September 2019): the makers fitted only to the record up to it
OOS_END = dt.date(2019, 4, 30)
# the coefficients fitted, per side; the rest stay at the base config's values.  logit_scale
# (ς) is the normalisation (only margin/ς is identified); cost_weight is 1 by construction
# (Q on V's scale, core-v2 §1 E); the decay times are not linear and stay as set.
FITTED = {
    "us": ("escalate_bias", "fire_bias", "reaction_weight", "audience_scale"),
    "china": ("escalate_bias", "fire_bias", "reaction_weight", "noreply_cost"),
}


@dataclass
class Sample:
    """The decisions of one replay: ``obs`` enter the likelihood; ``forced`` are weeks the
    rule gives probability 0 (a deal binds, or ``max_pending`` is reached), with the record's
    decision; ``lapsed`` are due actions the record neither fired nor postponed."""

    obs: list[Obs] = field(default_factory=list)
    forced: list[Obs] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)


class _Recorded(TradeTalksModel):
    """The model, reading the makers' inputs after each replayed week's dynamics."""

    fit_hook: Callable[[TradeTalksModel], None]  # set by ``collect``

    def step(self) -> None:
        """One week; then, in a replayed week, the makers' inputs of that week."""
        super().step()
        if self.replaying(self.steps):
            self.fit_hook(self)


def fit_config(
    base: Any = None, end: dt.date = FIT_END, overrides: dict[str, Any] | None = None
) -> Config:
    """The base config (default: the baseline, with ``overrides``) replayed from the record's
    start to ``end``."""
    record = load_record()
    start = record.window.start
    dues = [d for e in record.of_kind("tariff") for d in e.due]
    dues += [e.to_date for e in record.of_kind("postponement") if e.to_date is not None]
    last = max([end, *dues])  # actions pending at ``end`` are scheduled, as in a free run
    weeks = (last - start).days // 7 + 1
    return load_config(
        baseline() if base is None else base,
        {
            **(overrides or {}),
            "history.start": start,
            "history.replay_until": end,
            "run.weeks": weeks,
        },
    )


def _week_batch(model: TradeTalksModel, week: int) -> list[Any]:
    return dict(model.replay.batches()).get(week, [])


def _announced(batch: list[Any], side: str) -> list[Any]:
    return [f for f in batch if f.action == "announce" and f.entry.side == side]


def _weekly(model: TradeTalksModel, week: int, batch: list[Any], sample: Sample) -> None:
    """Both sides' announce-or-hold inputs.  In a free run's week the makers decide in
    ``SIDES`` order (``TariffDesk.weekly``), so China sees the US's announcement of the same
    week: it is added to China's inputs as the opponent's latest announcement."""
    desk = model.tariffs
    for i, side in enumerate(SIDES):
        maker, inputs = desk.makers[side], desk.week_inputs(side)
        earlier = [f for s in SIDES[:i] for f in _announced(batch, s)]
        if earlier:
            size = float(threat_size(maker.cfg, earlier[-1].size))
            inputs = dataclasses.replace(inputs, opp_announced=OppMove(week, size))
        y = int(bool(_announced(batch, side)))
        obs = Obs(side, "announce", week, model.date, y, maker.escalation_inputs(week, inputs))
        if maker.bound or inputs.n_pending >= maker.cfg.max_pending:
            sample.forced.append(obs)
        else:
            sample.obs.append(obs)


def _last_announced_week(model: TradeTalksModel, side: str) -> int | None:
    weeks = [w for w, _, _ in model.tariffs.announced[side]]
    return max(weeks) if weeks else None


def _due(model: TradeTalksModel, week: int, batch: list[Any]) -> list[tuple[Any, int, str]]:
    """The due decisions read this week: (event, week read at, origin)."""
    out, cfg = [], model.config
    for side in SIDES:
        live = model.pending_tariff_actions(side)
        due = [ev for ev in live if ev.week == week and ev.payload.postponable]
        out += [(ev, week, "scheduled") for ev in due]
        for f in batch:
            if f.action == "postponement" and f.entry.side == side:
                target = cfg.week_of(f.entry.from_date)
                out += [(ev, week, "postponed early") for ev in live if ev.week == target != week]
            if f.action == "fire" and f.entry.side == side and not due:
                action = TariffAction(
                    date=f.date, side=side, label=f.entry.label, tariff_delta_pp=f.size
                )
                ev = _Unscheduled(action, week, _last_announced_week(model, side))
                out.append((ev, week, "fired without a recorded due date"))
    return out


@dataclass
class _Unscheduled:
    """A recorded fire whose announcement gave no due date: a due action of that week."""

    payload: TariffAction
    week: int
    announced_week: int | None
    done: bool = True
    cancelled: bool = False


def _read_due(model: TradeTalksModel, week: int, batch: list[Any]) -> list[tuple[Any, Obs]]:
    pending, desk = [], model.tariffs
    for ev, at, note in _due(model, week, batch):
        a = ev.payload
        per_pp = desk.per_pp_cost[a.side]
        inputs = desk.due_inputs(ev, at)
        maker = desk.makers[a.side]
        if isinstance(ev, _Unscheduled):  # not among the projection's pending actions: its
            desk.per_pp_cost[a.side] = per_pp  # cost is the side's latest cost per pp
            inputs = dataclasses.replace(inputs, own_cost=per_pp * a.tariff_delta_pp)
        size = float(threat_size(maker.cfg, a.tariff_delta_pp, a.soy_tariff_delta_pp))
        pending.append((ev, Obs(a.side, "fire", week, model.date, -1, inputs, size, note)))
    return pending


def _settle(pending: list[tuple[Any, Obs]], batch: list[Any], sample: Sample) -> None:
    """After the week: postponed (cancelled), fired (the record fired the side's action
    this week), or lapsed (neither)."""
    fired = {f.entry.side for f in batch if f.action == "fire"}
    for ev, obs in pending:
        if ev.cancelled:
            sample.obs.append(dataclasses.replace(obs, y=0))
        elif obs.side in fired and obs.note != "postponed early":
            sample.obs.append(dataclasses.replace(obs, y=1))
        else:
            sample.lapsed.append(f"{obs.date} {obs.side}: {ev.payload.label}")


def collect(cfg: Config | None = None, seed: int | None = None) -> Sample:
    """Replay ``cfg`` (default: ``fit_config()``) and read every recorded decision."""
    cfg = fit_config() if cfg is None else cfg
    model = _Recorded(cfg, rng=seed, collect_series=False)
    sample, pending = Sample(), []

    def hook(m: TradeTalksModel) -> None:
        week = m.steps
        batch = _week_batch(m, week)
        _weekly(m, week, batch, sample)
        pending.extend(_read_due(m, week, batch))

    model.fit_hook = hook
    while model.running and model.replaying(model.steps + 1):
        model.step()
        _settle(pending, _week_batch(model, model.steps), sample)
        pending.clear()
    return sample


# --------------------------------------------------------------------------- the likelihood
@dataclass(frozen=True)
class Fit:
    """The fit of both sides: the sample, the first estimates, the coefficients the record
    does not bound (``held``: set at their one-sided bound) and the final estimates (the
    others refitted with those held)."""

    sample: Sample
    first: dict[str, Estimate]
    held: dict[str, dict[str, float]]
    final: dict[str, Estimate]


def fit(cfg: Config | None = None, seed: int | None = None) -> Fit:
    """Replay, read the decisions, fit each side; a coefficient the record does not bound
    is set at its one-sided profile-likelihood bound and the others refitted."""
    cfg = fit_config() if cfg is None else cfg
    sample = collect(cfg, seed)
    first, held, final = {}, {}, {}
    for side in SIDES:
        mcfg = cfg.makers.side(side)
        first[side] = fit_side(sample.obs, mcfg, side, FITTED[side])
        loose = separated(first[side])
        keys = tuple(k for k in FITTED[side] if k not in loose)
        held[side] = {}
        for k in loose:  # one at a time, each on the profile of those not yet set
            free = tuple(f for f in FITTED[side] if f != k and f not in held[side])
            held[side][k] = one_sided_bound(sample.obs, mcfg, side, k, free)
            mcfg = mcfg.model_copy(update={k: held[side][k]})
        est = fit_side(sample.obs, mcfg, side, keys)
        theta = {k: held[side].get(k, est.theta.get(k)) for k in FITTED[side]}
        se = {k: est.se.get(k) for k in FITTED[side]}
        base = first[side].loglik_base  # all at the base values
        final[side] = dataclasses.replace(est, theta=theta, se=se, loglik_base=base)
    return Fit(sample, first, held, final)


# --------------------------------------------------------------------------- report, overlay
OVERLAY = "calibrations/makers_2018_2019.toml"  # under the shipped configs
OOS_OVERLAY = "calibrations/makers_2018_apr2019.toml"  # the fit to OOS_END
OVERLAYS = {FIT_END: OVERLAY, OOS_END: OOS_OVERLAY}
DOC = "docs/CALIBRATION.md §4"
DECIMALS = 3  # of the overlay's values: well inside every standard error
LABEL = {"announce": "announce a new action (weekly)", "fire": "fire a due action"}


def fitted_makers(cfg: Config, result: Fit) -> dict[str, MakerConfig]:
    """Each side's maker config with the final estimates, rounded as in the overlay."""
    return {
        s: cfg.makers.side(s).model_copy(
            update={k: round(v, DECIMALS) for k, v in result.final[s].theta.items()}
        )
        for s in SIDES
    }


def _note(result: Fit, side: str, key: str) -> str:
    if key in result.held[side]:
        return "MLE unbounded (separation): its one-sided 95% bound"
    if result.final[side].se[key] is None:
        return "at the schema's bound"
    return ""


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.{DECIMALS}f}"


def estimates_table(cfg: Config, result: Fit) -> list[str]:
    """The coefficients: base value, estimate ± se, and a note."""
    out = ["| side | coefficient | base | estimate | se | note |", "|---|---|---|---|---|---|"]
    for side in SIDES:
        final = result.final[side]
        for key in FITTED[side]:
            base = getattr(cfg.makers.side(side), key)
            est = final.theta.get(key)
            out.append(
                f"| {side} | `{key}` | {_fmt(base)} | {_fmt(est)} | {_fmt(final.se.get(key))} "
                f"| {_note(result, side, key)} |"
            )
    return out


def decisions_table(cfg: Config, result: Fit) -> list[str]:
    """Per side and decision: rows, recorded and expected acts, hit rate, log-likelihood."""
    out = [
        "| side | decision | n | acted | expected, fitted | expected, base | "
        "hit rate, fitted | log-lik, fitted | log-lik, base |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    fitted = fitted_makers(cfg, result)
    for side in SIDES:
        for kind in KINDS:
            rows = [r for r in result.sample.obs if r.side == side and r.kind == kind]
            y = np.array([r.y for r in rows])
            p, p0 = probabilities(fitted[side], rows), probabilities(cfg.makers.side(side), rows)
            hits = float(np.mean((p >= 0.5) == (y == 1)))
            ll, ll0 = decision_loglik(p, y), decision_loglik(p0, y)
            out.append(
                f"| {side} | {LABEL[kind]} | {len(rows)} | {int(y.sum())} | {p.sum():.1f} | "
                f"{p0.sum():.1f} | {hits:.2f} | {ll:.1f} | {ll0:.1f} |"
            )
    return out


def table(cfg: Config, result: Fit) -> str:
    """The tables of docs/CALIBRATION.md §4 (between its makers-table markers)."""
    return "\n".join([*estimates_table(cfg, result), "", *decisions_table(cfg, result)]) + "\n"


def fit_end(cfg: Config) -> dt.date:
    """The last day of the record the fit of ``cfg`` read (its replay's end)."""
    end = cfg.history.replay_until
    if end is None:
        raise ValueError("a makers fit replays the record: history.replay_until is not set")
    return end


def overlay_text(cfg: Config, result: Fit) -> str:
    """The overlay of ``OVERLAYS[end]`` (configs/calibrations/makers_2018_2019.toml for the
    whole window): the base with the final estimates."""
    last = fit_end(cfg)
    end, name = last.isoformat(), OVERLAYS[last].rsplit("/", 1)[-1].removesuffix(".toml")
    until = "" if last == FIT_END else f"--until {end} "
    lines = [
        "# The tariff makers' logit (issue 14 item 3), fitted by conditional likelihood: each",
        "# recorded weekly decision (announce a new action or not; fire or postpone a due one)",
        f"# on the state replayed from the record's start to {end}.  Written by",
        f"# `python benchmarks/fit_makers.py {until}--write` (experiments/maker_fit.py);",
        f"# the data, the estimates with standard errors and what does not fit are in {DOC}.",
        "# logit_scale (the normalisation) and every other maker coefficient are the baseline's.",
        'extends = "../baseline.toml"',
        f'name = "{name}"',
        "description = \"The tariff makers' logit, fitted to the recorded decisions of "
        f'March 2018 - {last:%B %Y}"',
    ]
    for side in SIDES:
        lines += ["", f"[makers.{side}]"]
        final = result.final[side]
        for key, value in final.theta.items():
            se = final.se[key]
            how = "at the schema's bound" if se is None else f"± {se:.{DECIMALS}f}"
            if key in result.held[side]:
                how = "the MLE is unbounded: one-sided 95% bound"
            lines.append(f"{key} = {value:.{DECIMALS}f}  # fitted ({how}), {DOC}")
    return "\n".join(lines) + "\n"


def report(cfg: Config, result: Fit) -> str:
    """What the fit prints: the sample, the log-likelihoods, the tables."""
    s = result.sample
    lines = [f"makers fit: record from its start to {fit_end(cfg)}, {len(s.obs)} decisions"]
    for side in SIDES:
        f = result.final[side]
        lines.append(
            f"{side}: log-likelihood {f.loglik:.2f} (base {f.loglik_base:.2f}), n = {f.n}; "
            f"unbounded (set at a one-sided bound): {', '.join(result.held[side]) or 'none'}"
        )
    acted = [o for o in s.forced if o.y]
    lines.append(
        f"weeks the rule forbids an announcement (max_pending or a deal): {len(s.forced)}, "
        f"{len(acted)} with a recorded one; due actions lapsed: {len(s.lapsed)}"
    )
    return "\n".join([*lines, "", table(cfg, result)])
