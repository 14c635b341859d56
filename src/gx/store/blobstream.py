"""One blob's content in chunks, for files too large to hold in memory (a commit's large artifacts).

dulwich reads an object whole (a loose object inflated, a pack entry with its deltas resolved), so
when git is on PATH the blob streams through ``git cat-file --batch``; without git (or with
``GX_GIT_READS=0``) dulwich reads it and it is handed out in chunks, so memory then grows with the
file. Every byte is hashed against the blob id as it streams: a corrupt object is refused
(``BadRecord``), never handed on whole.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gx.errors import BadRecord

CHUNK = 1024 * 1024


class BlobStream:
    """A blob's ``size`` (known before any content is read) and its verified content, ``chunks()``."""

    def __init__(self, git_dir: Path | None, objects: Callable[[], Any], sha: bytes) -> None:
        self.sha, self._proc, self._whole = sha, None, b""
        if git_dir is not None and self._git_allowed():
            self._start_git(git_dir)
        if self._proc is None:
            obj = objects()[sha]  # KeyError when missing, as every dulwich read
            if obj.type_name != b"blob":
                raise BadRecord(f"object {sha.decode()[:12]} is a {obj.type_name.decode()}, not a file")
            self._whole = obj.as_raw_string()
            self.size = len(self._whole)

    @staticmethod
    def _git_allowed() -> bool:
        import shutil

        return os.environ.get("GX_GIT_READS", "") not in ("0", "false", "no") and shutil.which("git") is not None

    def _start_git(self, git_dir: Path) -> None:
        import subprocess

        env = {**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}
        for name in ("GIT_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_INDEX_FILE"):
            env.pop(name, None)  # a hook's environment names the commit's; the store's own dir is read
        try:
            proc = subprocess.Popen(["git", "--git-dir", str(git_dir), "--no-replace-objects", "cat-file", "--batch"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        except OSError:
            return
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(self.sha + b"\n")
            proc.stdin.close()
            parts = proc.stdout.readline().split()
        except OSError:
            parts = []
        if len(parts) != 3 or parts[1] != b"blob" or not parts[2].isdigit():
            self._stop(proc)  # missing, or not a blob: dulwich reads it and decides
            return
        self._proc, self.size = proc, int(parts[2])

    @staticmethod
    def _stop(proc: Any) -> None:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()

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
        if digest.hexdigest().encode() != self.sha:
            raise BadRecord(f"blob {self.sha.decode()[:12]} is corrupt: its content does not match its id")

    def read(self) -> bytes:
        """The whole content (for blobs the caller already knows are small)."""
        return b"".join(self.chunks())

    def close(self) -> None:
        if self._proc is not None:
            self._stop(self._proc)
            self._proc = None
        self._whole = b""

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
