"""The progress line of a long index build (the first command after a clone or a big fetch).

Shown only on a terminal and only once a build has run for a second: a quick build and any
scripted use (stderr a pipe or a file) print nothing. The line is rewritten in place and ends
with one summary line, so a user who waited sees what the wait was for.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: A build quicker than this prints nothing.
QUIET_SECONDS = 1.0
#: The line is rewritten at most this often.
REDRAW_SECONDS = 0.2


class BuildProgress:
    """Counts the runs indexed in one refresh and draws the line when worth it."""

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic) -> None:  # noqa: ANN001
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.drawn_at: float | None = None
        try:
            self.live = self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            self.live = False

    def advance(self, runs: int) -> None:
        self.done += runs
        if not self.live:
            return
        now = self.clock()
        if now - self.started < QUIET_SECONDS or (self.drawn_at is not None and now - self.drawn_at < REDRAW_SECONDS):
            return
        self.drawn_at = now
        self._write(f"\rgx: indexing runs: {self.done:,} read ({self.done / (now - self.started):,.0f}/s)")

    def finish(self) -> None:
        """The closing line, when a progress line was drawn."""
        if self.drawn_at is not None:
            took = self.clock() - self.started
            self._write(f"\rgx: indexed {self.done:,} runs in {took:.1f} s (kept in .git/gx/index.sqlite)", end="\n")
            self.drawn_at = None

    def _write(self, text: str, end: str = "") -> None:
        try:
            self.stream.write(text + "\x1b[K" + end)  # erase what a longer earlier line left
            self.stream.flush()
        except (OSError, ValueError):
            self.live = False
