"""The projector's weekly loops step exactly as the world's equations (sim/dynamics.py) do:
the loops inline ``uncertainty_step`` and ``approval_step`` for speed, so they are checked
against a plain loop over those functions, bit for bit, on a projection of the baseline."""

from __future__ import annotations

import numpy as np
from test_projector import BASE, SPACE, snapshot
from tradetalks.sim import dynamics as dyn
from tradetalks.sim import projector_paths as pp
from tradetalks.sim.projector import Projector
from tradetalks.sim.projector_value import Batch


def _batch():
    snap = snapshot(p_fire=0.6)
    proj = Projector(BASE, SPACE)
    batch = Batch(snap.pending)
    batch.plan(None, {}, False, exact=True)
    proj._deal_plans(batch, snap, 0, exact=False)
    proj._deal_plans(batch, snap, 4, exact=False)
    ctx = proj._context(snap, 4)
    ev = pp.event_arrays(batch.specs, ctx)
    return ev, pp._markets(ev, ctx), ctx


def plain_uncertainty(ev, ctx):
    """The uncertainty loop as ``dyn.uncertainty_step`` week by week: the loops' oracle."""
    u, st = ctx.cfg.world.uncertainty, ctx.state
    target = dyn.uncertainty_target(ev["threat"], ev["deal"], u)
    mult, add = ev["unc_mult"], ev["unc_add"]
    unc = np.empty_like(target)
    unc[:, 0] = np.minimum(1.0, st["trade_uncertainty"] * mult[:, 0] + add[:, 0])
    for k in range(1, unc.shape[1]):
        step = dyn.uncertainty_step(unc[:, k - 1], target[:, k - 1], u)
        unc[:, k] = np.minimum(1.0, step * mult[:, k] + add[:, k])
    return unc


def test_the_uncertainty_loop_is_uncertainty_step_week_by_week():
    ev, mk, ctx = _batch()
    unc = plain_uncertainty(ev, ctx)
    got = pp._uncertainty_growth(ev, mk, ctx)["uncertainty"]
    assert got.tobytes() == unc.tobytes()


def test_the_farm_loop_is_approval_step_week_by_week():
    ev, mk, ctx = _batch()
    f, farm, weeks = ctx.cfg.world.farmers, ctx.farm, 40
    n, w = mk["price"].shape[0], weeks + 1
    aid = farm.soy_aid_bn + np.concatenate([[0.0], np.cumsum(ctx.aid_weeks)])[:w]
    ratio = mk["price"][:, :w] / ctx.cfg.world.soybeans.price_normal
    target = pp._approval_targets(ratio, ev["talks_add"], aid, ctx)
    a = np.tile(farm.approval, (n, 1))
    want = [a @ farm.acre_share]
    for k in range(1, w):
        social = np.tile((a @ farm.count_share)[:, None], (1, a.shape[1]))
        a = dyn.approval_step(a, target[k - 1], social, f)
        want.append(a @ farm.acre_share)
    got, _ = pp.farm_approval(mk["price"], ev["talks_add"], ctx, weeks)
    assert len(ev["us_tau"]) > 4  # several paths: the neighbours' mean is per path
    assert got.tobytes() == np.ascontiguousarray(np.array(want).T).tobytes()
