"""One blob's content in chunks, for files too large to hold in memory (a commit's large artifacts).

dulwich reads an object whole (a loose object inflated, a pack entry with its deltas resolved), so
when git is on PATH the blob streams through ``git cat-file --batch`` — one process per
``BlobReader``, kept for every blob it reads (a commit's declared files cost one git start, not one
each); without git (or with ``GX_GIT_READS=0``) dulwich reads it and it is handed out in chunks, so
memory then grows with the file. Every byte is hashed against the blob id as it streams: a corrupt object is refused
(``BadRecord``), never handed on whole.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from gx.errors import BadRecord

CHUNK = 1024 * 1024


class BlobReader:
    """The blobs of one repository: through one ``git cat-file --batch`` started on first use and kept
    while each blob is read to its end (a blob left half-read ends the process; the next one starts
    another), else through dulwich. ``close()`` ends the process."""

    def __init__(self, git_dir: Path | None, objects: Callable[[], Any]) -> None:
        self._objects, self._proc = objects, None
        self._git_dir = git_dir if git_dir is not None and _git_allowed() else None

    def open(self, sha: bytes) -> BlobStream:
        """The blob ``sha``: its size now, its content from ``chunks()`` (KeyError when missing)."""
        proc = self._process()
        if proc is not None:
            try:
                proc.stdin.write(sha + b"\n")
                proc.stdin.flush()
                parts = proc.stdout.readline().split()
            except OSError:
                parts = []
            if len(parts) == 3 and parts[1] == b"blob" and parts[2].isdigit():
                return BlobStream(sha, int(parts[2]), self, proc=proc)
            if len(parts) != 2:  # not a blob (its content follows), or git failed: start afresh next time
                self.close()
        obj = self._objects()[sha]  # KeyError when missing, as every dulwich read
        if obj.type_name != b"blob":
            raise BadRecord(f"object {sha.decode()[:12]} is a {obj.type_name.decode()}, not a file")
        whole = obj.as_raw_string()
        return BlobStream(sha, len(whole), self, whole=whole)

    def _process(self) -> Any:
        if self._proc is None and self._git_dir is not None:
            import subprocess

            env = {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}
            for name in ("GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_INDEX_FILE"):
                env.pop(name, None)  # a hook's environment names the commit's; the store's own dir is read
            try:
                self._proc = subprocess.Popen(
                    ["git", "--git-dir", str(self._git_dir), "--no-replace-objects", "cat-file", "--batch"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            except OSError:
                self._git_dir = None  # no git after all: dulwich from now on
        return self._proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                with suppress(OSError):
                    stream.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _git_allowed() -> bool:
    import shutil

    return os.environ.get("GX_GIT_READS", "") not in ("0", "false", "no") and shutil.which("git") is not None


class BlobStream:
    """A blob's ``size`` (known before any content is read) and its verified content, ``chunks()``."""

    def __init__(self, sha: bytes, size: int, reader: BlobReader, proc: Any = None, whole: bytes = b"") -> None:
        self.sha, self.size, self._reader, self._proc, self._whole = sha, size, reader, proc, whole

    def chunks(self) -> Iterator[bytes]:
        """The content, ``CHUNK`` bytes at a time; BadRecord at the end when it is not the blob's."""
        digest = hashlib.sha1(b"blob %d\0" % self.size)
        if self._proc is None:
            for start in range(0, self.size, CHUNK):
                chunk = self._whole[start : start + CHUNK]
                digest.update(chunk)
                yield chunk
        else:
            read, left = self._proc.stdout.read, self.size
            while left > 0:
                chunk = read(min(CHUNK, left))
                if not chunk:
                    raise BadRecord(f"blob {self.sha.decode()[:12]}: git stopped after {self.size - left:,} "
                                    f"of {self.size:,} bytes")
                digest.update(chunk)
                left -= len(chunk)
                yield chunk
            if read(1) != b"\n":  # the batch output's separator: without it the process is out of step
                raise BadRecord(f"blob {self.sha.decode()[:12]}: git's output is not what was asked for")
            self._proc = None  # read to its end: the reader's process serves the next blob
        if digest.hexdigest().encode() != self.sha:
            raise BadRecord(f"blob {self.sha.decode()[:12]} is corrupt: its content does not match its id")

    def read(self) -> bytes:
        """The whole content (for blobs the caller already knows are small)."""
        return b"".join(self.chunks())

    def close(self) -> None:
        if self._proc is not None:  # left half-read: the process is out of step, end it
            self._reader.close()
            self._proc = None
        self._whole = b""

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
