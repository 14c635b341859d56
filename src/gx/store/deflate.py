"""Large blobs deflated ahead of their pack, in pieces that any idle thread may take.

A run's pack is written at its very end, and for a model of a few MB its zlib stream is most of
that end (a 2.4 MB LightGBM model: 21 ms of zlib at level 1). The model exists earlier — when the
flavor serialises it — so ``prepare`` starts deflating it then, on a thread of its own, while the
caller goes on with signatures, charts and the run's record. zlib and SHA-1 release the GIL, so
that work runs on another core. The stream is cut into pieces deflated independently as pigz does
(each piece primed with the 32 KiB before it, ended by a full flush, so the pieces join into one
valid zlib stream), so a thread that would otherwise wait — the one writing the pack, or one
waiting for the feature-importance chart — takes pieces too (``help_while``, ``take``) instead of idling.

What comes out is an ordinary zlib stream of the blob's loose-object content (git, dulwich and
``git fsck`` read it as any other), only a few bytes longer than one ``zlib.compress`` of it.

At git's loose-object level (1), large data is deflated with ISA-L (the ``isal`` package, a
dependency where it has wheels) when it is installed: three times zlib's speed at level 1, and a
smaller result (a 2.7 MB LightGBM model: 7 ms and 1.06 MB against 21 ms and 1.11 MB). Other levels,
small data, and machines without ``isal`` use zlib.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import zlib
from collections import OrderedDict
from typing import Any, Callable

#: Blobs from this size up are worth deflating ahead; up to the second size only (a larger one, when
#: LFS does not take it, is deflated where its pack is written, as before).
MIN_BYTES = 256 << 10
MAX_BYTES = 64 << 20
#: Bytes of blobs and their deflated forms waiting for their pack, at most (the oldest are dropped).
HELD_MAX_BYTES = 128 << 20
#: One piece of work; each piece after the first is primed with the window before it.
PIECE = 256 << 10
_WINDOW = 32 << 10
#: Data from this size up is worth importing ISA-L for (a run of small files never loads it).
FAST_MIN_BYTES = 64 << 10
_FAST_LEVEL = 1
_fast_module: Any = None


def _fast() -> Any:
    """ISA-L's zlib module, or False where it is not installed (looked up once)."""
    global _fast_module
    if _fast_module is None:
        try:
            from isal import isal_zlib
        except ImportError:
            isal_zlib = False
        _fast_module = isal_zlib
    return _fast_module


def _module(level: int, size: int) -> Any:
    """Who deflates ``size`` bytes at zlib ``level``: ISA-L at level 1 for large data where it is
    installed (its level 1 is faster and smaller than zlib's), else zlib."""
    if level == _FAST_LEVEL and size >= FAST_MIN_BYTES:
        return _fast() or zlib
    return zlib


def compress(data: bytes | memoryview, level: int) -> bytes:
    """One zlib stream of ``data`` at ``level`` (see ``_module`` for who makes it)."""
    module = _module(level, len(data))
    return module.compress(data, _FAST_LEVEL if module is not zlib else level)


class _Job:
    """A blob being deflated: pieces are claimed under ``lock``; ``done`` is set once ``data`` (the
    whole zlib stream) and ``sha`` (the blob's id) are there, or once a piece failed (``data`` None)."""

    def __init__(self, source: bytes, level: int) -> None:
        self.source: bytes | None = source  # the bytes object given, until taken: given twice, deflated once
        self.size, self.level = len(source), level
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.pieces: list[bytes | None] = [None] * max(1, -(-len(source) // PIECE))
        self.claimed = 0
        self.finished = 0
        self.failed = False
        self.sha: bytes | None = None
        self.data: bytes | None = None

    def work(self) -> bool:
        """Deflate one unclaimed piece (the last one to finish also joins them); False when none is left."""
        with self.lock:
            index = self.claimed
            if index >= len(self.pieces) or self.source is None:
                return False
            self.claimed += 1
            source = self.source
        try:
            view = memoryview(source)
            start, end = index * PIECE, min((index + 1) * PIECE, len(source))
            last = index == len(self.pieces) - 1
            module = _module(self.level, len(source))
            level = _FAST_LEVEL if module is not zlib else self.level
            if start:
                packer = module.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=view[start - _WINDOW:start])
            else:
                packer = module.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
            piece = packer.compress(view[start:end]) + packer.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)
        except Exception:  # memory, mostly: the pack is then deflated where it is written
            piece = None
        with self.lock:
            self.pieces[index] = piece
            self.failed = self.failed or piece is None
            self.finished += 1
            complete = self.finished == len(self.pieces)
        if complete:
            self._join(source)
        return True

    def _join(self, source: bytes) -> None:
        try:
            if not self.failed:
                sha = hashlib.sha1(b"blob %d\0" % len(source))
                sha.update(source)
                header = zlib.compress(b"", self.level)[:2]  # the header zlib itself writes for this level
                body = b"".join(piece or b"" for piece in self.pieces)
                self.data = header + body + struct.pack(">I", zlib.adler32(source))
                self.sha = sha.digest()
        finally:
            self.pieces = []
            self.done.set()

    def help_until_done(self) -> None:
        while self.work():
            pass
        self.done.wait()


_jobs: OrderedDict[int, _Job] = OrderedDict()
_jobs_lock = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child has none of the threads deflating its parent's pieces: it forgets their jobs
    (and a lock one of them may have held), so nothing in it waits for work nobody will finish."""
    global _jobs, _jobs_lock
    _jobs, _jobs_lock = OrderedDict(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def prepare(content: bytes, level: int) -> None:
    """Start deflating ``content`` (a blob's bytes) at zlib ``level`` for a pack written soon; sizes
    outside ``MIN_BYTES``..``MAX_BYTES`` are left alone. The same bytes object given again is not
    deflated twice (a model file as its flavor makes it, then as the run stages it)."""
    if not MIN_BYTES <= len(content) <= MAX_BYTES:
        return
    job = _Job(content, level)
    with _jobs_lock:
        if any(other.source is content and other.level == level for other in _jobs.values()):
            return
        _jobs[id(job)] = job
        held = sum(other.size + len(other.data or b"") for other in _jobs.values())
        while held > HELD_MAX_BYTES and len(_jobs) > 1:
            _, dropped = _jobs.popitem(last=False)
            dropped.source = None  # threads at it stop after their piece; nobody waits for it
            dropped.done.set()
            held -= dropped.size + len(dropped.data or b"")
    threading.Thread(target=job.help_until_done, name="gx-deflate", daemon=True).start()


def take(sha: bytes, size: int, level: int) -> bytes | None:
    """The zlib stream of blob ``sha`` if it was prepared at ``level`` (helping to finish it, and
    waiting for pieces other threads hold), else None; a stream is taken once."""
    with _jobs_lock:
        candidates = [(key, job) for key, job in _jobs.items() if job.size == size and job.level == level]
    for key, job in candidates:
        job.help_until_done()
        if job.sha == sha:
            with _jobs_lock:
                _jobs.pop(key, None)
            job.source = None
            return job.data
    return None


def help_while(busy: Callable[[], bool]) -> None:
    """Deflate pending pieces while ``busy()`` (another thread's work this one would wait for)."""
    while busy():
        with _jobs_lock:
            pending = [job for job in _jobs.values() if not job.done.is_set()]
        if not any(job.work() for job in pending):
            return
