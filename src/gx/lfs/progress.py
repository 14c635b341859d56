"""One progress line on stderr for LFS transfers that take over a second: objects, bytes, rate."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: A transfer shorter than this prints nothing; then the line is redrawn at most this often.
QUIET_SECONDS = 1.0
REDRAW_SECONDS = 0.2
#: Without a terminal (a log file, CI), a new line at most this often.
LOG_SECONDS = 10.0


def human_bytes(n: float) -> str:
    """``52.4 MB``: sizes in decimal units, as git-lfs prints them."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class Progress:
    """Counts bytes and objects of one transfer and draws the line when it is worth it."""

    def __init__(self, verb: str, objects: int, total_bytes: int, stream: TextIO | None = None) -> None:
        self.verb = verb
        self.objects = objects
        self.total_bytes = total_bytes
        self.done_objects = 0
        self.done_bytes = 0
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self._drawn_at = 0.0
        self._drawn = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def add(self, nbytes: int) -> None:
        self.done_bytes += nbytes
        self._maybe_draw()

    def rewind(self, nbytes: int) -> None:
        """Forget ``nbytes`` counted for a download that restarts."""
        self.done_bytes = max(0, self.done_bytes - nbytes)

    def object_done(self) -> None:
        self.done_objects += 1
        self._maybe_draw()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        return (f"LFS {self.verb}: {self.done_objects}/{self.objects} objects, "
                f"{human_bytes(self.done_bytes)} of {human_bytes(self.total_bytes)}, "
                f"{human_bytes(self.done_bytes / elapsed)}/s")

    def _maybe_draw(self) -> None:
        now = time.monotonic()
        if now - self.start < QUIET_SECONDS:
            return
        if now - self._drawn_at < (REDRAW_SECONDS if self._tty else LOG_SECONDS):
            return
        self._draw(final=False)
        self._drawn_at = now

    def _draw(self, final: bool) -> None:
        text = self.line() + (", done" if final else "")
        if self._tty:
            self.stream.write(f"\r\033[K{text}" + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """The closing line, only when a line was drawn (a quick transfer stays silent)."""
        if self._drawn or time.monotonic() - self.start >= QUIET_SECONDS:
            self._draw(final=True)
