"""The files auto-logging reads: a commit's (or the index's) snapshot, and its declared params and
metrics files parsed and checked, cached by blob id so unchanged YAML is never parsed again."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gx import datafiles
from gx.errors import BadFile, GxError
from gx.values import check_key, metric_value, numeric_or_none, param_value

CONFIG_FILE = "gx.yaml"
_CHUNK = 1024 * 1024


class AutologError(BadFile):
    """gx.yaml or a file it declares is missing or malformed; the pre-commit check stops on it."""


class TooLarge(Exception):
    """A file in a snapshot is over the limit its reader gave; the caller words the refusal."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(path, size)
        self.path, self.size = path, size


def worktree_blob(worktree: Path, path: str, sha: bytes, limit: int) -> bytes | None:
    """The working tree's copy of a staged file when it is the staged blob: a regular file (never a
    FIFO, a device or a symlink to one) with the same id; None otherwise. It is hashed in chunks, so
    a huge file costs no memory: when it is the staged blob and over ``limit``, TooLarge."""
    try:
        fd = os.open(worktree / path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        digest, kept, left = hashlib.sha1(b"blob %d\0" % st.st_size), [], st.st_size + 1
        while left > 0 and (chunk := fh.read(min(_CHUNK, left))):  # a file still growing stops here
            digest.update(chunk)
            left -= len(chunk)
            if st.st_size <= limit:
                kept.append(chunk)
    if digest.hexdigest().encode() != sha:
        return None  # changed since it was staged: what is committed is the staged blob
    if st.st_size > limit:
        raise TooLarge(path, st.st_size)
    return b"".join(kept)


def load_yaml(text: str | bytes) -> Any:
    from gx import yamlio  # loaded only when a YAML file is parsed: most commits need none

    try:
        return yamlio.load(text)
    except yamlio.YAMLError as exc:
        raise ValueError(str(exc)) from None


def read_cache(path: Path) -> dict[str, Any]:
    """A JSON cache file's mapping; {} when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_cache(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # caches are an optimisation only


class Snapshot:
    """The files of a commit-to-be (an index) or of a commit (a tree), as ``(mode, sha)`` by path.

    ``objects`` opens the object store when first needed: a staged file that is also the worktree's
    (same blob id) is read from the worktree, so most checks never load dulwich. With ``git_dir``,
    blobs stream through git (``gx.store.blobstream``): a large one is never whole in memory.
    """

    def __init__(self, objects: Callable[[], Any], tree: bytes | None = None, index: Any = None,
                 worktree: Path | None = None, git_dir: Path | None = None) -> None:
        self._open, self._objects, self.tree, self._index, self.worktree = objects, None, tree, index, worktree
        self.git_dir = git_dir
        self._blobs: Any = None

    @property
    def objects(self) -> Any:
        if self._objects is None:
            self._objects = self._open()
        return self._objects

    def entry(self, path: str) -> tuple[int, bytes] | None:
        if self._index is not None:  # an index lists files only: a directory is a prefix
            found = self._index.get(path)
            if found is None and any(p.startswith(path + "/") for p in self._index):
                return 0o040000, b"0" * 40
            return found
        found: tuple[int, bytes] = (0o040000, self.tree)  # type: ignore[assignment]
        for part in path.encode("utf-8").split(b"/"):
            node = self.objects[found[1]] if found[0] & 0o170000 == 0o040000 else None
            try:
                found = node[part]  # type: ignore[index]
            except (KeyError, TypeError):  # absent, or a file where a directory should be
                return None
        return found

    def read(self, path: str, limit: int) -> bytes | None:
        """A file's committed content (None for a directory); over ``limit`` bytes, TooLarge."""
        found = self.entry(path)
        if found is None or found[0] & 0o170000 not in (0o100000, 0o120000):
            return None
        if self._index is not None and self.worktree is not None and found[0] & 0o170000 == 0o100000:
            data = worktree_blob(self.worktree, path, found[1], limit)
            if data is not None:
                return data
        return self.read_blob(path, found[1], limit)

    def open_blob(self, sha: bytes) -> Any:
        """A ``BlobStream`` of the blob ``sha``: its size first, its content in chunks (one git process
        serves every blob of the snapshot; ``close()`` ends it)."""
        if self._blobs is None:
            from gx.store.blobstream import BlobReader

            self._blobs = BlobReader(self.git_dir, lambda: self.objects)
        return self._blobs.open(sha)

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()
            self._blobs = None

    def read_blob(self, path: str, sha: bytes, limit: int) -> bytes:
        """The blob ``sha`` (``path`` in the commit); over ``limit`` bytes, TooLarge before it is read."""
        with self.open_blob(sha) as blob:
            if blob.size > limit:
                raise TooLarge(path, blob.size)
            return blob.read()

    def entries_under(self, prefix: str) -> dict[str, tuple[int, bytes]]:
        """``(mode, sha)`` of every regular file below a directory, keyed by its path from the root."""
        if self._index is not None:
            found = {p: self._index.get(p) for p in sorted(self._index) if p.startswith(prefix + "/")}
            return {p: entry for p, entry in found.items() if entry[0] & 0o170000 == 0o100000}
        out, stack = {}, [(prefix, self.entry(prefix))]
        while stack:
            name, found = stack.pop()
            if found is not None and found[0] & 0o170000 == 0o040000:
                stack.extend((f"{name}/{e.path.decode('utf-8', 'surrogateescape')}", (e.mode, e.sha))
                             for e in self.objects[found[1]].items())
            elif found is not None and found[0] & 0o170000 == 0o100000:
                out[name] = found
        return dict(sorted(out.items()))


@dataclass
class Collected:
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    ids: list[tuple[str, str]] = field(default_factory=list)  # (path, blob or tree id) for the key
    checked_only: list[str] = field(default_factory=list)  # large artifacts a pre-commit check sized, not stored


class ParsedFiles:
    """Checked contents of gx.yaml and declared files by blob id (``.git/gx/cache/autolog-files.json``):
    the pre-commit check of a commit that leaves the YAML files alone never loads a YAML parser."""

    LIMIT = 64

    def __init__(self, gx_dir: Path | None) -> None:
        self.path = gx_dir / "cache" / "autolog-files.json" if gx_dir is not None else None
        self.data: dict[str, Any] = (read_cache(self.path) if self.path else None) or {}
        self.dirty = False

    def get(self, key: str, compute: Any) -> Any:
        if key not in self.data:
            self.data[key] = compute()
            self.dirty = True
        return self.data[key]

    def save(self) -> None:
        if self.dirty and self.path is not None:
            write_cache(self.path, dict(list(self.data.items())[-self.LIMIT :]))


def parse_structured(data: bytes, path: str, kind: str) -> dict[str, Any]:
    """A params/metrics file's mapping, flattened; errors stop the commit (AutologError)."""
    return datafiles.parse_structured(data, path, kind, error=AutologError)


def read_declared(snap: Snapshot, path: str, what: str) -> bytes | None:
    """A declared YAML/JSON file's committed content, refused over ``MAX_DOCUMENT_BYTES``."""
    from gx.limits import MAX_DOCUMENT_BYTES

    try:
        return snap.read(path, MAX_DOCUMENT_BYTES)
    except TooLarge as big:
        raise AutologError(f"{what} {path!r} is {big.size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,}") from None


def declared_entry(snap: Snapshot, path: str, kind: str) -> tuple[int, bytes]:
    """``(mode, sha)`` of a file declared in gx.yaml; AutologError when the commit lacks it."""
    found = snap.entry(path)
    if found is None:
        what = "artifact" if kind == "artifacts" else f"{kind} file"
        raise AutologError(
            f"{what} {path!r} declared in {CONFIG_FILE} (autolog.{kind}) is not in the commit; "
            f"git add it, or remove it from autolog.{kind}"
        )
    return found


def checked_values(snap: Snapshot, path: str, kind: str) -> dict[str, Any]:
    """A declared params or metrics file's values, each checked as ``log_param``/``log_metric`` would."""
    data = read_declared(snap, path, f"{kind} file")
    if data is None:
        raise AutologError(f"{kind} file {path!r} declared in {CONFIG_FILE} is a directory, not a file")
    values = parse_structured(data, path, kind)
    try:
        for key, value in values.items():
            check_key(kind[:-1], key)
            if kind == "params":
                values[key] = param_value(key, value)
                continue
            number = value if type(value) is int else numeric_or_none(value)
            if number is None:
                raise AutologError(f"metrics file {path!r}: metric {key!r} is not a number ({value!r})")
            values[key] = float(metric_value(key, number))
    except AutologError:
        raise
    except GxError as exc:
        raise AutologError(f"{kind} file {path!r}: {exc}") from None
    return values
