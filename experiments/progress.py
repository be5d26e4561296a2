"""Progress of a sweep: a tqdm bar on a terminal, plain lines otherwise.

Both show runs done, the rate and the time left.  Plain lines (for logs and CI) come at
most every ``PLAIN_INTERVAL_S`` seconds, plus one at the end; their text is tqdm's own.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

PLAIN_INTERVAL_S = 5.0  # seconds between plain progress lines in logs
tqdm.monitor_interval = 0  # no monitor thread: the local backend may fork worker processes


class Progress:
    """Counts finished runs of a sweep and reports them."""

    def __init__(
        self,
        total: int,
        initial: int = 0,
        desc: str = "sweep",
        stream: TextIO | None = None,
        plain: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.plain = not self.stream.isatty() if plain is None else plain
        self.total, self.n, self.initial, self.desc = total, initial, initial, desc
        self.start = time.monotonic()
        self.last_line = -float("inf")
        self.bar = None
        if not self.plain:
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=desc,
                unit="run",
                file=self.stream,
                dynamic_ncols=True,
                smoothing=0.1,
            )

    def update(self, runs: int) -> None:
        """Record ``runs`` more finished runs."""
        self.n += runs
        if self.bar is not None:
            self.bar.update(runs)
            return
        now = time.monotonic()
        if now - self.last_line >= PLAIN_INTERVAL_S or self.n >= self.total:
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = now - self.start
        rate = (self.n - self.initial) / elapsed if elapsed > 0 else None
        text = tqdm.format_meter(
            self.n,
            self.total,
            elapsed,
            prefix=self.desc,
            unit="run",
            rate=rate,
            initial=self.initial,
            ncols=0,
        )
        print(text, file=self.stream, flush=True)
        self.last_line = now

    def close(self) -> None:
        """Finish the bar (or print the last line if it is missing)."""
        if self.bar is not None:
            self.bar.close()
        elif self.last_line < 0 or self.n < self.total:
            self._line(time.monotonic())
