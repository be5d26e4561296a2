"""Seeds of a sweep, all derived from one root with ``numpy.random.SeedSequence``.

A run's seed depends only on (root, sample id, replicate): it is the first word of
``SeedSequence(root, spawn_key=(sample, replicate))`` — exactly the state of
``SeedSequence(root).spawn(sample + 1)[sample].spawn(replicate + 1)[replicate]`` — so
results cannot depend on worker count, backend or the order in which runs finish.  With
``common_seeds = true`` in the sweep file every design point takes sample id 0's seeds
(common random numbers across the design).  The
design's own randomness (random, Latin hypercube, Sobol scrambling, Morris trajectories)
comes from the root sequence itself, which is independent of all its spawned children.
"""

from __future__ import annotations

import numpy as np

SEED_BITS = 63  # run seeds fit a signed 64-bit Parquet column and the config's run.seed


def run_seed(root: int, sample_id: int, replicate: int) -> int:
    """The seed of run (sample_id, replicate) of a sweep with root seed ``root``."""
    ss = np.random.SeedSequence(root, spawn_key=(sample_id, replicate))
    word = int(ss.generate_state(1, dtype=np.uint64)[0])
    return word >> (64 - SEED_BITS)


def design_rng(root: int) -> np.random.Generator:
    """Generator for the sampling design (independent of every run's stream)."""
    return np.random.default_rng(np.random.SeedSequence(root))


def design_seed(root: int) -> int:
    """An integer seed for design libraries that take one (SALib)."""
    return int(np.random.SeedSequence(root).generate_state(1, dtype=np.uint32)[0])
