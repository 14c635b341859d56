"""Writing a live run's journal: calls append to an in-memory deque, and a daemon thread appends
it to this process's segment at least every ``FLUSH_INTERVAL`` seconds.

Nothing is dropped when a write fails (a full disk, a read-only remount): the lines stay in memory,
the failure is reported once on stderr, and every flush tries again until they are on disk. A
journal removed while the run is live (``rm -rf .git/gx``) is written back from this process's
segment, which its still-open file descriptor keeps readable.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from gx.tracking.journal import (
    ARTIFACTS,
    FLUSH_INTERVAL,
    TORN_MARK,
    close_fd,
    describe,
    hold_lock,
    say,
    shown_path,
    write_all,
)


class JournalWriter:
    """Buffers journal entries in memory and appends them to this process's segment file."""

    def __init__(self, run_dir: Path, on_restore: Callable[[], None] | None = None) -> None:
        self.run_dir = run_dir
        self.on_restore = on_restore  # the owner writes meta.json back into a restored directory
        self._closed = False
        self._start()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _start(self) -> None:
        self._queue: collections.deque[tuple[Any, ...]] = collections.deque()
        self._write_lock = threading.Lock()
        self._pending = bytearray()  # encoded lines not yet safely in the segment
        self._failing: str | None = None  # the reported write error, while writes keep failing
        self._vanished = False
        self._closing = False
        self._lock_fd = hold_lock(self.run_dir)
        self._path = self.run_dir / f"journal-{os.getpid()}.jsonl"
        try:
            self._fd: int | None = os.open(self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            close_fd(self._lock_fd)
            raise
        self._size = os.fstat(self._fd).st_size
        self._torn = False
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="gx-journal", daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        # A forked worker (multiprocessing) logs into its own segment with its own flusher.
        if self._closed or not self.run_dir.exists():
            return
        try:
            self._start()
        except OSError as exc:
            self._closed = True
            say(f"a forked process cannot log into run {self.run_dir.name[:8]} ({describe(exc)})")

    @property
    def failure(self) -> str | None:
        """Why the last write failed, while writes keep failing."""
        return self._failing

    def append(self, entry: tuple[Any, ...]) -> None:
        self._queue.append(entry)

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_INTERVAL)
            try:
                self.flush(sync=True)
            except Exception as exc:  # the flusher must never stop without a word
                say(f"journal writer of run {self.run_dir.name[:8]} failed ({describe(exc)}); retrying")

    def flush(self, sync: bool = False) -> None:
        """Write queued entries; with ``sync``, also fsync them. A failed write keeps them in memory."""
        with self._write_lock:
            batch = []
            queue = self._queue
            while queue:
                batch.append(queue.popleft())
            if batch:
                # one JSON array of entries per line: a single C-encoder call per flush
                self._pending += (json.dumps(batch, ensure_ascii=False) + "\n").encode("utf-8")
            if self._fd is None:
                return
            self._check_present()
            if not self._pending:
                return
            try:
                self._write_pending(sync)
            except OSError as exc:
                if self._failing is None:
                    self._failing = describe(exc)
                    say(f"cannot write the journal of run {self.run_dir.name[:8]} ({self._failing}); "
                        f"what was logged stays in memory and gx retries every {FLUSH_INTERVAL:g} s")
                return
            if self._failing is not None:
                self._failing = None
                say(f"the journal of run {self.run_dir.name[:8]} is written again; nothing logged was lost")

    def _write_pending(self, sync: bool) -> None:
        assert self._fd is not None
        data = (TORN_MARK if self._torn else b"") + bytes(self._pending)
        try:
            write_all(self._fd, data)
            if sync:
                os.fsync(self._fd)
        except OSError:
            try:  # cut off what a half-done write left, so no line is ever written twice
                os.ftruncate(self._fd, self._size)
            except OSError:
                self._torn = True
            raise
        self._size += len(data)
        self._torn = False
        self._pending.clear()

    def _check_present(self) -> None:
        """Write the segment back if its directory was removed under us (its fd still holds it all).
        The first sighting only notes it, so whoever is removing the directory can finish."""
        try:
            gone = os.fstat(self._fd).st_nlink == 0  # type: ignore[arg-type]
        except OSError:
            gone = False
        if not gone:
            self._vanished = False
            return
        if not self._vanished and not self._closing:
            self._vanished = True
            return
        self._restore()

    def _restore(self) -> None:
        old_fd, old_lock = self._fd, self._lock_fd
        new_fd = lock_fd = None
        try:
            (self.run_dir / ARTIFACTS).mkdir(parents=True, exist_ok=True)
            lock_fd = hold_lock(self.run_dir)  # before meta.json exists: recovery must not take it
            new_fd = os.open(self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
            offset = 0
            while chunk := os.pread(old_fd, 1 << 20, offset):  # type: ignore[arg-type]
                write_all(new_fd, chunk)
                offset += len(chunk)
            if self.on_restore is not None:
                self.on_restore()
        except OSError as exc:
            close_fd(new_fd)
            close_fd(lock_fd)
            if self._failing is None:
                self._failing = describe(exc)
                say(f"the journal of run {self.run_dir.name[:8]} was removed while the run was live and "
                    f"cannot be written back ({self._failing}); gx keeps it in memory and retries")
            return
        self._fd, self._lock_fd, self._size, self._torn = new_fd, lock_fd, offset, False
        self._vanished = False
        close_fd(old_fd)
        close_fd(old_lock)
        say(f"the journal of run {self.run_dir.name[:8]} was removed while the run was live; gx wrote "
            f"back what this process had logged to {shown_path(self.run_dir)} (files staged there "
            "before, such as artifacts, are gone)")

    def ensure_present(self) -> None:
        """Write the journal back now if its directory was removed (before adding files to it)."""
        with self._write_lock:
            if self._fd is not None:
                self._closing = True
                self._check_present()
                self._closing = False

    def close(self, retry_for: float = 0.0) -> bytes:
        """Flush everything, stop the thread and release this process's hold on the run; returns
        the lines that could not be written (they exist nowhere but in the returned bytes). While
        writes fail, they are retried for up to ``retry_for`` seconds first."""
        if self._closed:
            return b""
        self._closing = True
        deadline = time.monotonic() + retry_for
        # no fsync here: the run is committed next, and what the OS holds survives a crash of ours
        self.flush()
        while self._pending and time.monotonic() < deadline:
            time.sleep(FLUSH_INTERVAL / 5)
            self.flush()
        with self._write_lock:
            self._closed = True
            leftover = bytes(self._pending)
            self._pending.clear()
            close_fd(self._fd)
            close_fd(self._lock_fd)
            self._fd = self._lock_fd = None
        self._wake.set()
        return leftover
