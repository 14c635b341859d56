"""A commit's declared artifacts as a run holds them: small files as blobs, files over the LFS
threshold streamed from the committed blob into the local LFS store (the run keeps the pointer),
files git-lfs already tracks as the pointer git-lfs committed, reused without reading the content.

What is committed is the truth: a large file is read from the commit's blob, never from the working
tree, which may have changed since (the pre-commit check sizes a staged file from the working tree
only when its blob id is the staged one, as every check does).
"""

from __future__ import annotations

from pathlib import Path

from gx.errors import ArtifactTooLarge, BadName, BadValue
from gx.hooks.commit_files import AutologError, Snapshot, TooLarge, worktree_blob
from gx.lfs import config as lfs_config
from gx.lfs.objects import has_object, store_stream
from gx.lfs.pointer import MAX_POINTER_BYTES, parse
from gx.records import ArtifactLink, LfsArtifact
from gx.store.encode import add_lfs_attribute, check_lfs_path
from gx.values import MAX_ARTIFACT_BYTES

_FILE, _DIR, _LINK = 0o100000, 0o040000, 0o120000


def lfs_settings(worktree: Path | None) -> lfs_config.LfsSettings:
    """The threshold and cap ``log_artifact`` uses in this repository; a bad size stops the commit."""
    try:
        return lfs_config.settings(worktree)
    except BadValue as exc:
        raise AutologError(str(exc)) from None


class ArtifactReader:
    """Reads one snapshot's artifacts. ``lfs_dir`` is the common git dir whose LFS store large files
    go into; None for a pre-commit check, which sizes and checks them but stores nothing."""

    def __init__(self, snap: Snapshot, settings: lfs_config.LfsSettings, lfs_dir: Path | None) -> None:
        self.snap, self.settings, self.lfs_dir = snap, settings, lfs_dir
        self._lfs_bytes = 0  # the run's .gitattributes so far: bounded as every reader reads it

    def files(self, path: str, mode: int) -> dict[str, bytes | None]:
        """The artifact files a declared path stands for, by repository path. A value of None is a
        large file the check sized without storing it."""
        if mode & 0o170000 == _DIR:
            return {name: self._file(name, sha) for name, (_, sha) in self.snap.entries_under(path).items()}
        if mode & 0o170000 == _LINK:  # a committed symbolic link: recorded as a link, never followed
            return {path: ArtifactLink(self.snap.read(path, MAX_ARTIFACT_BYTES) or b"")}
        found = self.snap.entry(path)
        return {path: self._file(path, found[1]) if found else b""}

    def _file(self, name: str, sha: bytes) -> bytes | None:
        try:
            small = self._small(name, sha)
        except TooLarge as big:
            return self._large(name, sha, big.size)
        pointer = parse(small) if len(small) < MAX_POINTER_BYTES else None
        if pointer is not None and self.lfs_dir is not None and has_object(self.lfs_dir, pointer):
            self._cap(name, pointer.size)  # git-lfs's own pointer: its object is here, nothing is read
            return LfsArtifact(self._attribute_ok(name, pointer.encode()))
        return small  # a pointer whose object this clone lacks stays what the commit holds: its text

    def _small(self, name: str, sha: bytes) -> bytes:
        """The file's content when it is at most the threshold; TooLarge (nothing kept) otherwise. A
        staged file is read from the working tree when it is the staged blob (hashed in chunks)."""
        if self.snap.worktree is not None:
            data = worktree_blob(self.snap.worktree, name, sha, self.settings.threshold)
            if data is not None:
                return data
        return self.snap.read_blob(name, sha, self.settings.threshold)

    def _large(self, name: str, sha: bytes, size: int) -> bytes | None:
        self._cap(name, size)
        self._attribute_ok(name, b"")
        if self.lfs_dir is None:
            return None
        with self.snap.open_blob(sha) as blob:
            pointer = store_stream(self.lfs_dir, blob.chunks())
        return LfsArtifact(pointer.encode())

    def _cap(self, name: str, size: int) -> None:
        try:
            lfs_config.check_cap(name, size, self.settings.max_bytes)
        except ArtifactTooLarge as exc:
            raise AutologError(f"{exc}; remove it from autolog.artifacts or raise the cap") from None

    def _attribute_ok(self, name: str, content: bytes) -> bytes:
        """``content`` once ``name`` may be a large file: its .gitattributes line is one git reads, and
        the run's lines so far stay within what gx reads back."""
        try:
            check_lfs_path(name)
            self._lfs_bytes = add_lfs_attribute(self._lfs_bytes, name)
        except (BadName, BadValue) as exc:
            raise AutologError(str(exc)) from None
        return content
