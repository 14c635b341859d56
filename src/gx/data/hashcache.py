"""Hashes of input files already read, by path and stat, so an unchanged 2 GB input is read once, not
at every ``gx run --input`` or commit (git's index and DVC's state database do the same).

A cache in ``.git/gx/cache/input-hashes.json``, safe to delete. An entry is used only while the file's
size, mtime, ctime and inode are those it was hashed with, and only files last changed more than
``RACY_NS`` before their hashing began are kept: a write in the same clock tick as the read could
otherwise leave the old hash beside a new content with the same times (git's "racy clean" case).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gx import limits
from gx.errors import GxError

#: Files changed this recently before their hashing began are not remembered.
RACY_NS = 1_000_000_000
#: Entries kept (the oldest go first): a few thousand data files at most.
MAX_ENTRIES = 5_000
CACHE_NAME = "input-hashes.json"


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class HashCache:
    """``path -> [size, mtime_ns, ctime_ns, inode, sha256, git blob id or None]``."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self.entries: dict[str, list[Any]] = self._load() if file is not None else {}

    def _load(self) -> dict[str, list[Any]]:
        try:
            data = json.loads(limits.read_regular_file(self.file, limits.MAX_DOCUMENT_BYTES, "hash cache"))
        except (GxError, ValueError, RecursionError):
            return {}  # missing or damaged: a cache starts again
        return data if isinstance(data, dict) else {}

    def get(self, path: Path, st: os.stat_result, need_blob: bool) -> tuple[str, str | None] | None:
        entry = self.entries.get(str(path))
        if not isinstance(entry, list) or len(entry) != 6 or entry[:4] != _stamp(st):
            return None
        sha256, blob = entry[4], entry[5]
        if not isinstance(sha256, str) or (need_blob and not isinstance(blob, str)):
            return None
        return sha256, blob if isinstance(blob, str) else None

    def put(self, path: Path, st: os.stat_result, started_ns: int, sha256: str, blob: str | None) -> None:
        """Remember a hash begun at ``started_ns``, and save the cache (best effort: it is only a cache)."""
        if self.file is None or max(st.st_mtime_ns, st.st_ctime_ns) > started_ns - RACY_NS:
            return
        self.entries.pop(str(path), None)
        self.entries[str(path)] = [*_stamp(st), sha256, blob]
        while len(self.entries) > MAX_ENTRIES:
            self.entries.pop(next(iter(self.entries)))
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_name(f".{self.file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(tmp, self.file)
        except OSError:
            pass
