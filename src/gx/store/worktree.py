"""A run's exact source in a linked worktree: its commit checked out detached, its uncommitted
changes (the snapshot commit) written over it. The user's working tree, index and branches are
never touched; a temporary worktree is removed when done."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dulwich.diff_tree import tree_changes
from dulwich.objects import Blob
from dulwich.refs import check_ref_format
from dulwich.worktree import add_worktree, remove_worktree

from gx.errors import GxError
from gx.store.repo import Store


def source_commits(store: Store, source: dict[str, Any]) -> tuple[bytes, bytes | None]:
    """``(commit to check out, snapshot to write over it or None)``; a missing object is a GxError."""
    commit, snapshot = source.get("commit"), source.get("snapshot")
    wanted = [c for c in (commit, snapshot) if c]
    if not wanted:
        raise GxError("the run recorded no source commit (it ran outside a commit), so it cannot be rebuilt")
    for sha in wanted:
        if not isinstance(sha, str) or len(sha) != 40 or sha.encode() not in store.repo:
            raise GxError(f"the run's source commit {str(sha)[:12]} is not in this repository; "
                          "fetch it (gx pull carries snapshots with the experiment)")
    if not commit:
        return snapshot.encode(), None
    return commit.encode(), snapshot.encode() if snapshot else None


def _write_snapshot(store: Store, root: Path, commit: bytes, snapshot: bytes) -> None:
    """Write the files that differ between the commit and the snapshot, as the run had them."""
    repo = store.repo
    for change in tree_changes(repo.object_store, repo[commit].tree, repo[snapshot].tree):  # type: ignore[attr-defined]
        if change.old.path and change.old.path != change.new.path:
            (root / os.fsdecode(change.old.path)).unlink(missing_ok=True)
        if not change.new.path:
            continue
        target = root / os.fsdecode(change.new.path)
        blob = repo[change.new.sha]
        if not isinstance(blob, Blob) or not target.resolve().is_relative_to(root.resolve()):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        if stat.S_ISLNK(change.new.mode):
            target.symlink_to(os.fsdecode(blob.as_raw_string()))
        else:
            target.write_bytes(blob.as_raw_string())
            target.chmod(0o755 if change.new.mode & 0o111 else 0o644)


def add_source_worktree(store: Store, source: dict[str, Any], path: Path) -> Path:
    """A new linked worktree at ``path`` holding the run's exact source; its HEAD is detached."""
    commit, snapshot = source_commits(store, source)
    if path.exists():
        raise GxError(f"{path} already exists; choose another place for the worktree")
    add_worktree(store.repo, str(path), commit=commit, detach=True)
    if snapshot is not None:
        _write_snapshot(store, path, commit, snapshot)
    return path


@contextmanager
def temporary_source(store: Store, source: dict[str, Any]) -> Iterator[Path]:
    """The run's exact source in a temporary linked worktree, removed (with its admin files) after."""
    parent = Path(tempfile.mkdtemp(prefix="gx-reproduce-"))
    path = parent / "source"
    try:
        yield add_source_worktree(store, source, path)
    finally:
        if path.exists():
            remove_worktree(store.repo, str(path), force=True)
        shutil.rmtree(parent, ignore_errors=True)


def create_branch(store: Store, name: str, source: dict[str, Any]) -> bytes:
    """A new branch at the run's exact source: the snapshot commit when the tree was dirty (its
    parent is the run's commit), else the commit. An existing branch is never moved."""
    ref = b"refs/heads/" + name.encode("utf-8", "surrogateescape")
    if not name or name.startswith("-") or not check_ref_format(ref):
        raise GxError(f"bad branch name {name!r}: git refuses it as a branch name")
    commit, snapshot = source_commits(store, source)
    target = snapshot or commit
    if not store.repo.refs.add_if_new(ref, target):
        raise GxError(f"branch {name!r} already exists; choose another name")
    return target
