"""Capture the code a run ran: HEAD, its branch, and a snapshot commit when the tree is dirty.

The snapshot is what ``git stash create`` would make of the tracked files (untracked files are
left out): a commit whose parent is HEAD, so it travels with the run when the experiment is pushed.
"""

from __future__ import annotations

import io
import os
import time

from dulwich.index import blob_from_path_and_stat, cleanup_mode, commit_tree, get_unstaged_changes
from dulwich.patch import write_tree_diff

from gx.store import objects as gobj
from gx.store.repo import Store

#: A patch larger than this is cut (the snapshot commit still holds the full tree).
MAX_PATCH_BYTES = 5 * 1024 * 1024


def capture_source(store: Store, run_id: str) -> tuple[dict[str, object], bytes | None]:
    """Return ``({commit, branch, dirty[, snapshot]}, patch)`` for the current worktree."""
    repo = store.repo
    info: dict[str, object] = {}
    try:
        head = repo.refs[b"HEAD"]
    except KeyError:
        head = None
    info["commit"] = head.decode() if head else None
    info["branch"] = store.head_branch()
    root = store.paths.worktree
    if root is None:
        info["dirty"] = False
        return info, None
    index = repo.open_index()
    changed = set(get_unstaged_changes(index, str(root)))
    entries = []
    for path, entry in index.items():
        entry = getattr(entry, "this", None) or entry  # a conflicted entry: take our side
        sha = getattr(entry, "sha", None)
        if sha is None:
            continue
        if path in changed:
            fs_path = os.path.join(os.fsencode(root), path)
            try:
                st = os.lstat(fs_path)
            except FileNotFoundError:
                continue  # deleted in the worktree
            blob = blob_from_path_and_stat(fs_path, st)
            repo.object_store.add_object(blob)
            entries.append((path, blob.id, cleanup_mode(st.st_mode)))
        else:
            entries.append((path, sha, entry.mode))
    if head is None and not entries:  # a new repository with nothing staged: nothing to snapshot
        info["dirty"] = False
        return info, None
    tree_id = commit_tree(repo.object_store, entries)
    head_tree = repo[head].tree if head else None  # type: ignore[attr-defined]
    info["dirty"] = tree_id != head_tree
    if not info["dirty"]:
        return info, None
    now = time.time()
    snapshot = gobj.make_commit(
        tree_id, [head] if head else [], f"gx: uncommitted changes for run {run_id[:8]}",
        {"Gx-Kind": "snapshot", "Gx-Run": run_id}, store.identity(), now,
    )
    repo.object_store.add_object(snapshot)
    info["snapshot"] = snapshot.id.decode()
    buf = io.BytesIO()
    write_tree_diff(buf, repo.object_store, head_tree, tree_id)
    patch = buf.getvalue()
    if len(patch) > MAX_PATCH_BYTES:
        patch = patch[:MAX_PATCH_BYTES] + b"\n# gx: patch cut at 5 MiB; see the snapshot commit\n"
    return info, patch


def commits_diff(store: Store, old: bytes, new: bytes) -> bytes:
    """Unified diff between two commits' trees (KeyError when either is not here)."""
    buf = io.BytesIO()
    write_tree_diff(buf, store.repo.object_store, store.commit(old).tree, store.commit(new).tree)
    return buf.getvalue()
