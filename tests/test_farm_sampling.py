"""The farm-state approval's spread from sampling farmers scales like 1/√N (core-v2 §2.3 d).

With policies held fixed and the common shocks off (as ``fixed_policies`` in
benchmarks/bench_core.py: announced tariff actions fire on their dates, no new actions, no
rounds so no deal, no incidents, world shock sds 0), the farmers (their traits and network,
from the ``farmers`` stream) are the only random source of a run.  The standard deviation
across seeds of the mean approval at each week is then a sampling SD: ten times the farmers,
√10 ≈ 3.16 times smaller.  The test fails if the farmers' draws were common across farmers
(the ratio falls to about 1) or if the approval did not depend on the draws (SD 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import BASELINE
from tradetalks.sim import streams
from tradetalks.sim.config import load_config
from tradetalks.sim.model import TradeTalksModel
from tradetalks.sim.spaces import outcome_space

BASE = load_config(BASELINE)
SPACE = outcome_space(BASE)
SEEDS = range(1, 41)
WEEKS = 26  # both baseline hikes (weeks 5 and 13) and half a year of opinion dynamics
FIXED = {
    "run.weeks": WEEKS,
    "calendar.tariff_actions": [
        {**a.model_dump(), "postponable": False} for a in BASE.calendar.tariff_actions
    ],
    "calendar.rounds": [],
    "calendar.meetings.enabled": False,
    "makers.us.escalate_bias": -10.0,
    "makers.china.escalate_bias": -10.0,
    "world.politics.incident_probability": 0.0,
    "world.growth.shock_sd": 0.0,
    "world.pboc.shock_sd": 0.0,
    "world.pboc.lift_probability": 0.0,
}


def approval_paths(n: int, seeds) -> np.ndarray:
    """The mean approval path (weeks 0..WEEKS) of each seed, with ``n`` farmers."""
    out = []
    for seed in seeds:
        model = TradeTalksModel(
            BASELINE,
            rng=seed,
            overrides={**FIXED, "world.farmers.count": n},
            farmer_agents=False,
            collect_series=True,
            space=SPACE,
        )
        while model.running:
            model.step()
        assert not model.negotiation.deals  # the policies really are held fixed
        out.append(model.timeseries()["farm_approval"].to_numpy(float))
    return np.array(out)


def test_farmers_are_the_only_random_source_when_policies_are_fixed(monkeypatch):
    """Control: with the ``farmers`` stream common to every seed (all other streams still
    follow the seed), the approval path is the same for every seed."""
    orig = streams.stream_seed
    monkeypatch.setattr(
        streams, "stream_seed", lambda r, name: orig(1 if name == "farmers" else r, name)
    )
    paths = approval_paths(200, range(1, 6))
    assert paths.std(axis=0).max() < 1e-12


def test_approval_spread_from_farmer_sampling_scales_as_one_over_root_n():
    """SD across 40 seeds of the mean approval at 200 vs 2,000 farmers: the median ratio over
    weeks 1..WEEKS lies in [2, 5] (1/√N: 3.16), and the spread is real at every week."""
    small, large = approval_paths(200, SEEDS), approval_paths(2000, SEEDS)
    sd_small = small.std(axis=0, ddof=1)[1:]
    sd_large = large.std(axis=0, ddof=1)[1:]
    assert np.all(sd_large > 1e-6), "the approval does not depend on the farmers drawn"
    ratio = sd_small / sd_large
    median = float(np.median(ratio))
    print(
        f"SD ratio 200 / 2000 farmers: median {median:.2f} [{ratio.min():.2f}, {ratio.max():.2f}]"
    )
    assert 2.0 <= median <= 5.0
    # the mean paths agree within 3 SE at every week (core-v2 §2.3 d)
    se = np.sqrt(small.var(axis=0, ddof=1) / len(small) + large.var(axis=0, ddof=1) / len(large))
    assert np.all(np.abs(small.mean(axis=0) - large.mean(axis=0)) <= 3 * se)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q", "-s"])
