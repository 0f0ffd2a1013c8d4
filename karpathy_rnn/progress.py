"""Progress of counted work (characters traced, bytes downloaded) on stderr: one line redrawn in place on a
terminal; anywhere else (a pipe, a log file) a plain line each tenth of the work, so a log never holds carriage
returns. The rate is over the last few seconds of work, not since the start (which counts compilation).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

RATE_WINDOW_SECONDS = 10.0     # the rate shown is over about this much of the latest work
PLAIN_LINES = 10               # off a terminal: a line at each tenth of the work (and at its end)
REDRAW_SECONDS = 0.25          # on a terminal: redrawn at most 4x a second


class WorkProgress:
    """Reports `update(done, total)` of counted work as '<label>  42.0% (12,345 chars/s)'."""

    def __init__(self, label: str, unit: str = "chars", stream: TextIO | None = None, live: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, scale: float = 1.0):
        self.label, self.unit, self.scale = label, unit, scale
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque()     # (time, done) of the latest updates
        self.next_plain = 1                                   # the next tenth a plain line is due at
        self.last_drawn = float("-inf")
        self.mid_line = False

    def rate(self) -> float | None:
        """Units per second over the latest RATE_WINDOW_SECONDS of updates; None before two updates."""
        if len(self.samples) < 2:
            return None
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else None

    def line(self, done: int, total: int | None) -> str:
        """'tracing  42.0% (12,345 chars/s)'; with a `scale` (bytes as MB) '<label>  42.0% of 3.1 MB', and with no
        total '<label> 1.2 MB'."""
        if self.scale != 1:
            if not total:
                return f"{self.label} {done / self.scale:.1f} {self.unit}"
            return f"{self.label} {100 * done / total:5.1f}% of {total / self.scale:.1f} {self.unit}"
        rate = self.rate()
        return f"{self.label} {done / total:6.1%} ({f'{rate:,.0f} {self.unit}/s' if rate is not None else 'timing'})"

    def update(self, done: int, total: int | None) -> None:
        """Record that `done` of `total` units are done, and show it when due."""
        now = self.clock()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW_SECONDS:
            self.samples.popleft()
        finished = bool(total) and done >= total
        if self.live:
            if finished or now - self.last_drawn >= REDRAW_SECONDS:
                self.last_drawn = now
                self.stream.write("\r" + self.line(done, total) + "\033[K")
                self.stream.flush()
                self.mid_line = True
            if finished:
                self.end()
            return
        tenths = PLAIN_LINES * done // total if total else 0
        if finished or tenths >= self.next_plain:
            self.next_plain = tenths + 1
            self.stream.write(self.line(done, total) + "\n")
            self.stream.flush()

    def end(self) -> None:
        """Finish a redrawn line, so what follows starts on its own line."""
        if self.mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self.mid_line = False
