"""Named random streams: one generator per source of randomness, seeded by its name.

A run has one seed.  Every source of randomness (farmers, world shocks, incidents, private
types, each tariff maker, each side's strategy) draws from its own generator, spawned from
that seed by the stream's *name* (``SeedSequence(entropy=seed, spawn_key=(crc32(name),))``),
so adding a stream or changing what one source draws never moves another's numbers: paired
what-if runs use common random numbers (core-v2 §1 J).  Weekly draws come in fixed counts
(``WeeklyDraws``): a branch taken or not never changes how much a stream consumes.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS: tuple[str, ...] = (
    "farmers",
    "world",
    "incidents",
    "types",
    "makers.us",
    "makers.china",
    "fulfilment",
    "monitoring",
    "strategy.us",
    "strategy.china",
)


def stream_key(name: str) -> int:
    """The spawn key of stream ``name``: a CRC-32 of its name (stable across versions)."""
    return zlib.crc32(name.encode("utf-8"))


def stream_seed(root: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in the run seeded with ``root``."""
    return np.random.SeedSequence(entropy=int(root), spawn_key=(stream_key(name),))


class RunStreams:
    """The named generators of one run; ``get(name)`` always returns the same generator."""

    def __init__(self, root: int) -> None:
        self.root = int(root)
        self._streams: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use, then reused)."""
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}")
        gen = self._streams.get(name)
        if gen is None:
            gen = np.random.default_rng(stream_seed(self.root, name))
            self._streams[name] = gen
        return gen

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.get(name)


class WeeklyDraws:
    """A fixed block of uniforms per week from one stream ("draw, then mask").

    ``take(week)`` returns this week's ``n`` uniforms, drawing them the first time a week is
    asked for; every week consumes exactly ``n`` numbers whether the caller uses them or not,
    so the stream's later weeks never depend on earlier branches.
    """

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.n = int(n)
        self._week = -1
        self._block = np.zeros(self.n)

    def take(self, week: int) -> np.ndarray:
        """The ``n`` uniforms of ``week`` (weeks must be asked in non-decreasing order)."""
        if week < self._week:
            raise ValueError(f"week {week} asked after week {self._week}")
        while self._week < week:
            self._block = self.rng.random(self.n)
            self._week += 1
        return self._block
